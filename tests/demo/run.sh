#!/bin/bash
# tests/demo/run.sh — the `demo` suite of make check: `make demo` as a
# newcomer runs it, on the amd64 guest stopped by Ctrl-C (SIGINT) once the
# windows have come round twice, and on the arm64 guest (device tree and
# the qemu overlay) for a short DEMO_SECONDS; tests/demo/check.py judges
# what reached the terminal.  Last line "demo: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
pass=0 fail=0
run() { # NAME SECONDS [--interrupt] -- make demo ...
	local out
	out=$(python3 "$here/check.py" "$@" 2>&1)
	echo "$out"
	pass=$((pass + $(grep -c '^PASS ' <<<"$out")))
	fail=$((fail + $(grep -c '^FAIL ' <<<"$out")))
	grep -qE '^(PASS|FAIL) ' <<<"$out" || fail=$((fail + 1))
}
cd "$top"
run demo-amd64 300 --interrupt -- make -s demo DEMO_SECONDS=300
run demo-arm64 30 --dt -- make -s demo ARCH=arm64 DEMO_SECONDS=30
echo "demo: $pass passed, $fail failed"
((fail == 0))
