#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dt.sh [ID...] — gwio.ko probing from a real device tree (default: 6.1-arm64
# and 6.12-arm64; with GWIO_ARMHF=1 also 6.1-armhf and 6.12-armhf).  The qemu virt board's own DTB, its PL061 labelled, with
# dts/overlays/gwio-qemu-virt.dtso and tests/vm/dt/bad.dtso applied by
# fdtoverlay; the guest (tests/vm/dt/run-tests.sh) checks the probes, and
# when it prints "GWIO-READY: powerdown", this script presses the power
# button twice through the qemu monitor: four edges on PL061 line 3.
# Last line "vm-dt: N passed, N failed".  Environment as for ring.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

ids=("$@")
((${#ids[@]})) || mapfile -t ids < <(vm_default_ids dt)
"$here/fetch-kernels.sh" "${ids[@]}" >&2

work=$(mktemp -d "${TMPDIR:-/tmp}/gwio-dt.XXXXXX")
trap 'rm -rf "$work"' EXIT

# One board DTB per architecture (qemu virt on arm64 and on armhf).
for id in "${ids[@]}"; do
	a=$(id_arch "$id")
	[[ $a == arm64 || $a == armhf ]] || die "$id: vm-dt needs the arm virt board (arm64, armhf)"
	[[ -f $work/board-$a.dtb ]] && continue
	mkdir -p "$work/dtb-$a"
	VM_DTB_ARCH=$a vm_virt_dtb "$work/board-$a.dtb" "$work/dtb-$a" "$here/dt/bad.dtso"
done

for id in "${ids[@]}"; do
	echo "building for $id" >&2
	vm_build_module "$id" "$work/$id/payload" "$work/$id"
	vm_build_tools "$id" "$work/$id/payload" "$work/$id"
	cp "$here/dt/run-tests.sh" "$top/udev/gwio-links" "$work/$id/payload/"
done

# Press the button when the guest asks, through the monitor socket.
press_when_ready() {
	local id=$1 logf=$2 sock=$work/$1.mon i
	for ((i = 0; i < 1200; i++)); do
		if grep -q 'GWIO-READY: powerdown' "$logf" 2>/dev/null; then
			sleep 0.5
			echo system_powerdown | socat - "UNIX-CONNECT:$sock" >/dev/null
			sleep 1
			echo system_powerdown | socat - "UNIX-CONNECT:$sock" >/dev/null
			return 0
		fi
		sleep 0.25
	done
}

board_of() {
	GWIO_VM_DTB=$work/board-$(id_arch "$1").dtb
	export GWIO_VM_DTB
}
VM_SETUP=board_of VM_MONITOR=1 VM_DURING=press_when_ready vm_boot_all dt "$work" "${ids[@]}"
