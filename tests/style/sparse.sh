#!/bin/bash
# sparse.sh [ID...] — build gwio.ko with sparse (C=2: every file) and W=1
# against the test kernels' headers; any diagnostic fails that kernel.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../vm/lib.sh
. "$top/tests/vm/lib.sh"

ids=("$@")
((${#ids[@]})) || mapfile -t ids < <(vm_default_ids sparse)
"$top/tests/vm/fetch-kernels.sh" "${ids[@]}" >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pass=0 fail=0
for id in "${ids[@]}"; do
	# shellcheck source=/dev/null
	. "$KCACHE/$id.env"
	b=$work/$id
	mkdir -p "$b"
	cp -r "$top/Kbuild" "$top/kmod" "$b/"
	if out=$(make -s -C "$KDIR" M="$b" ARCH="$KARCH" \
		CROSS_COMPILE="$CROSS_COMPILE" C=2 W=1 modules 2>&1 |
		grep -v -e '^Skipping BTF generation' -e '^  [A-Z]') && [[ -n $out ]]; then
		echo "FAIL sparse+W=1 $id"
		echo "$out" | sed 's/^/    /'
		fail=$((fail + 1))
	elif [[ -f $b/gwio.ko ]]; then
		echo "PASS sparse+W=1 $id"
		pass=$((pass + 1))
	else
		echo "FAIL sparse+W=1 $id: no gwio.ko"
		fail=$((fail + 1))
	fi
done
echo "sparse: $pass passed, $fail failed"
((fail == 0))
