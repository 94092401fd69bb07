#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# stress.sh [ID...] — gwio.ko load/unload loops and concurrency in real
# Debian kernels (default: lib.sh's vm_default_ids), on the simulated
# hardware of tests/kmod (tests/vm/stress/run-tests.sh):
#   - gwio.ko and the boards loaded and unloaded 100 times while a sim
#     channel, GPIO edges and SPI sampling run and a consumer maps and
#     polls three devices: rmmod gwio refused while it holds them, devices
#     removed under it report POLLHUP/ENODEV, nothing left after each
#     unload (modules, /dev, sysfs, references on the hardware modules),
#     memory flat;
#   - sysfs writers (valid and hostile values on every writable
#     attribute), open/mmap/poll/read/munmap/close loops with hostile
#     consumer pages, an ioctl hammer, unbind/bind and module reloads, all
#     at once for fixed iteration counts: every process finishes (a
#     watchdog on their progress, not on the clock), refcounts back to 0,
#     the device ids reused, rmmod works and the hardware still delivers.
# The harness fails any boot whose log shows an oops, WARNING, lockdep or
# KASAN report; run-tests.sh also checks dmesg per phase, and kmemleak when
# the kernel has it.  Last line "vm-stress: N passed, N failed".
#
# Environment as for ring.sh (GWIO_VM_LOGDIR, GWIO_VM_JOBS, GWIO_VM_IDS,
# GWIO_VM_APPEND; GWIO_VM_TIMEOUT defaults to 1500 s here, or the kernel's
# VM_TIMEOUT if longer); on the
# guest's command line (GWIO_VM_APPEND):
# gwio.stress_loops=N load/unload cycles (default 100),
# gwio.stress_scale=PERCENT scales the concurrent workers' iterations
# (default 100).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

ids=("$@")
((${#ids[@]})) || mapfile -t ids < <(vm_default_ids stress)
"$here/fetch-kernels.sh" "${ids[@]}" >&2

work=$(mktemp -d "${TMPDIR:-/tmp}/gwio-stress.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Build everything before booting anything: a build error costs seconds.
for id in "${ids[@]}"; do
	echo "building for $id" >&2
	p=$work/$id/payload
	vm_build_payload "$id" "$p" "$work/$id"
	cp "$here/stress/run-tests.sh" "$p/"
	cp "$here/guest/lib.sh" "$p/guest-lib.sh"
	(
		# shellcheck source=/dev/null
		. "$KCACHE/$id.env"
		"${CROSS_COMPILE}gcc" -std=c11 -O2 -Wall -Wextra -Werror -static \
			-I"$top/kmod" -o "$p/gwio-stress" "$here/stress/gwio-stress.c"
	)
done

# 100 load cycles and the workers take 1.5-3 minutes under TCG, 8 on a
# loaded host, and a debug kernel (KASAN, lockdep) is slower still: more
# than run-vm.sh's default 600 s before a run counts as hung, or the
# kernel's own VM_TIMEOUT from its env file if that is longer.  An
# explicit GWIO_VM_TIMEOUT wins.
user_timeout=${GWIO_VM_TIMEOUT:-}
stress_setup() {
	local t=1500 own
	[[ -z $user_timeout ]] || return 0
	own=$(
		# shellcheck source=/dev/null
		. "$KCACHE/$1.env"
		echo "${VM_TIMEOUT:-0}"
	)
	((own > t)) && t=$own
	export GWIO_VM_TIMEOUT=$t
}
VM_SETUP=stress_setup vm_boot_all stress "$work" "${ids[@]}"
