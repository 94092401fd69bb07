#!/bin/bash
# run-suites.sh [SUITE...] — what `make check` runs: every test suite, each
# judged on its own, then one line "N passed, N failed" summed over all.
#
#   unit       cmocka tests of the ring code, libgwio and gwiod (userspace/)
#   unit-asan  the same under AddressSanitizer and UBSan
#   unit-armhf the same cross-built for 32-bit ARM, under qemu-arm-static
#              (tests/cross/unit.sh)
#   mqtt-lib   the MQTT test library itself (brokers, TLS, persistence)
#   gwiod      gwiod against real mosquitto brokers on 127.0.0.1
#   gwiod-asan the same with gwiod built with ASan and UBSan
#   style      checkpatch over kmod/
#   dt         device-tree overlays on the boards' own trees (Debian's
#              linux-source 6.1 and 6.12, Raspberry Pi OS stand-ins,
#              Debian's DTBs), node by node, and dt-schema on the bindings
#              and every merged tree (tests/style/dt.sh)
#   sparse     gwio.ko built with sparse and W=1 for every test kernel
#   vm-ring    gwio.ko in Debian 6.1 and 6.12, amd64, arm64 and armhf, and
#              6.12-rt-amd64 (PREEMPT_RT), under qemu
#   vm-abi     a clean-room consumer written from gwio.h, docs/abi.md and
#              docs/sysfs.md only, on the same kernels as vm-ring: both
#              overflow policies accounted exactly, hostile consumer pages
#              and mmap/ioctl misuse (tests/vm/abi.sh)
#   vm-gpio    GPIO edge channels on the simulated chip (tests/kmod): exact
#              edges at 1-100 kHz, lost interrupts, debounce, storms
#   vm-spi     SPI ADC devices on the emulated MCP3008/MCP3208 (tests/kmod):
#              waveform, period, overruns, unbind
#   vm-stress  load/unload gwio.ko 100 times under traffic with a consumer
#              holding its devices, then sysfs writers, openers, ioctls,
#              unbind/bind and module reloads at once (tests/vm/stress.sh):
#              no hang, nothing left, memory flat; the four kernels and
#              6.12-rt-amd64
#   vm-dt      arm64 and armhf qemu virt with the gwio overlay: probe from the device
#              tree, power-button edges on the PL061, broken nodes refused
#   vm-gwiod   module -> ring -> gwiod -> mosquitto -> subscriber, all in
#              the amd64 guests (6.1 and 6.12)
#   install    make install into a DESTDIR: every path the systemd unit,
#              the udev rules and the sysusers file name is there
#   demo       make demo for a short DEMO_SECONDS, amd64 and arm64 (device
#              tree + overlay): what a newcomer sees, checked
#
# The VM suites' kernels: tests/vm/lib.sh's vm_default_ids: 6.1-armhf and
# 6.12-armhf join vm-ring, vm-abi, vm-gpio, vm-spi, vm-dt and sparse
# (GWIO_ARMHF=0 leaves them out), 6.12-rt-amd64 joins vm-ring, vm-abi,
# vm-gpio, vm-spi and sparse (GWIO_RT=0 leaves it out), GWIO_VM_IDS="ID..."
# replaces every list.
#
# GWIO_SUITES="unit style" (or arguments) picks suites; logs of failing
# suites are printed in full, passing ones only as their summary lines.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

all=(unit unit-asan unit-armhf mqtt-lib gwiod gwiod-asan install style dt sparse vm-ring vm-abi vm-gpio vm-spi vm-stress vm-dt vm-gwiod demo)
suites=("$@")
((${#suites[@]})) || read -r -a suites <<<"${GWIO_SUITES:-${all[*]}}"

run_suite() {
	case $1 in
	unit) make -C "$top/userspace" --no-print-directory check ;;
	unit-asan) make -C "$top/userspace" --no-print-directory \
		BUILD="$top/userspace/build-asan" SANITIZE=1 check ;;
	unit-armhf) "$top/tests/cross/unit.sh" armhf ;;
	mqtt-lib) "$top/tests/mqtt/selftest.sh" ;;
	gwiod) "$top/tests/gwiod/run.sh" ;;
	gwiod-asan) GWIOD_BUILD="$top/userspace/build-asan" GWIOD_MAKEFLAGS=SANITIZE=1 \
		"$top/tests/gwiod/run.sh" ;;
	style) "$top/tests/style/checkpatch.sh" ;;
	dt) "$top/tests/style/dt.sh" ;;
	sparse) "$top/tests/style/sparse.sh" ;;
	vm-ring) "$top/tests/vm/ring.sh" ;;
	vm-abi) "$top/tests/vm/abi.sh" ;;
	vm-gpio) "$top/tests/vm/gpio.sh" ;;
	vm-spi) "$top/tests/vm/spi.sh" ;;
	vm-stress) "$top/tests/vm/stress.sh" ;;
	vm-dt) "$top/tests/vm/dt.sh" ;;
	vm-gwiod) "$top/tests/vm/gwiod.sh" ;;
	install) "$top/tests/install/run.sh" ;;
	demo) "$top/tests/demo/run.sh" ;;
	# any other tests/vm/NAME.sh (make check-debug picks up a new one)
	vm-*) if [[ -x $top/tests/vm/${1#vm-}.sh ]]; then "$top/tests/vm/${1#vm-}.sh"
	      else echo "unknown suite $1"; return 2; fi ;;
	*) echo "unknown suite $1"; return 2 ;;
	esac
}

# Counts from a suite's output: cmocka's "[  PASSED  ] N test(s)." /
# "[  FAILED  ] N test(s)," lines, plus the last of our own "name: N
# passed, N failed" lines (a suite may have both: unit runs cmocka and
# tests/tools/simring-args.sh).
count() {
	local log=$1 p=0 f=0 line n
	while read -r n; do p=$((p + n)); done < <(sed -n -E 's/^\[  PASSED  \] ([0-9]+) test.*/\1/p' "$log")
	while read -r n; do f=$((f + n)); done < <(sed -n -E 's/^\[  FAILED  \] ([0-9]+) test.*/\1/p' "$log")
	line=$(grep -E '^[a-z0-9-]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n1)
	if [[ -n $line ]]; then
		p=$((p + $(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line")))
		f=$((f + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")))
	fi
	echo "$p $f"
}

logdir=$(mktemp -d "${TMPDIR:-/tmp}/gwio-check.XXXXXX")
total_p=0 total_f=0
for s in "${suites[@]}"; do
	log=$logdir/$s.log
	start=$SECONDS
	echo "=== $s"
	run_suite "$s" >"$log" 2>&1
	rc=$?
	read -r p f < <(count "$log")
	# a suite that exits non-zero without reporting a failure still failed
	if ((rc != 0 && f == 0)); then
		f=1
		echo "$s exited $rc"
	fi
	if ((f)); then
		cat "$log"
	else
		grep -E 'passed|PASSED|BENCH' "$log" | tail -n 5
	fi
	echo "--- $s: $p passed, $f failed ($((SECONDS - start))s)"
	total_p=$((total_p + p)) total_f=$((total_f + f))
done
echo "logs: $logdir"
echo "$total_p passed, $total_f failed"
((total_f == 0))
