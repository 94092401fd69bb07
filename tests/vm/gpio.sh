#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# gpio.sh [ID...] — gwio.ko GPIO edge channels in real Debian kernels
# (default: all four), on the simulated GPIO chip of tests/kmod through the
# real gpiolib and irq core: exact edge counts and levels at 1, 10 and
# 100 kHz, single-edge modes, debounce, bad sysfs writes, unbind/bind/rmmod
# under a 50 kHz storm, a controller that sleeps.  Edge-to-record latency
# comes out as GWIO-BENCH lines.  Last line "vm-gpio: N passed, N failed".
# Environment as for ring.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

ids=("$@")
((${#ids[@]})) || ids=("${ALL_IDS[@]}")
logdir=${GWIO_VM_LOGDIR:-${TMPDIR:-/tmp}/gwio-vm-logs}
mkdir -p "$logdir"
"$here/fetch-kernels.sh" "${ids[@]}" >&2

work=$(mktemp -d "${TMPDIR:-/tmp}/gwio-gpio.XXXXXX")
trap 'rm -rf "$work"' EXIT

for id in "${ids[@]}"; do
	echo "building for $id" >&2
	(
		# shellcheck source=/dev/null
		. "$KCACHE/$id.env"
		b=$work/$id/build p=$work/$id/payload
		mkdir -p "$b" "$p"
		cp -r "$top/Kbuild" "$top/kmod" "$b/"
		make -s -C "$KDIR" M="$b" ARCH="$KARCH" \
			CROSS_COMPILE="$CROSS_COMPILE" modules
		cp "$b/gwio.ko" "$here/gpio/run-tests.sh" "$p/"
		"$top/tests/kmod/build.sh" "$id" "$p" >&2
		make -s -C "$top/userspace" BUILD="$work/$id/us" \
			CC="${CROSS_COMPILE}gcc" AR="${CROSS_COMPILE}ar" \
			STATIC=1 tools >&2
		cp "$work/$id/us/gwio-cat" "$p/"
	)
done

jobs=${GWIO_VM_JOBS:-1}
declare -A pid_of=()
for id in "${ids[@]}"; do
	while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
	"$here/run-vm.sh" "$id" "$work/$id/payload" "$logdir/gpio-$id.log" \
		>"$work/$id.out" 2>&1 &
	pid_of[$id]=$!
done

pass=0 fail=0
for id in "${ids[@]}"; do
	wait "${pid_of[$id]}" || true
	cat "$work/$id.out"
	p=$(grep -c "^\[$id\] PASS" "$work/$id.out" || true)
	f=$(grep -c "^\[$id\] FAIL" "$work/$id.out" || true)
	if ! grep -q "^vm $id: .* 0 failed" "$work/$id.out" && ((f == 0)); then
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f))
done
echo "logs: $logdir"
echo "vm-gpio: $pass passed, $fail failed"
((fail == 0))
