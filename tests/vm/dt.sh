#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dt.sh [ID...] — gwio.ko probing from a real device tree (default: 6.1-arm64
# and 6.12-arm64).  The qemu virt board's own DTB, its PL061 labelled, with
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
((${#ids[@]})) || ids=(6.1-arm64 6.12-arm64)
"$here/fetch-kernels.sh" "${ids[@]}" >&2

work=$(mktemp -d "${TMPDIR:-/tmp}/gwio-dt.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The board's DTB as qemu makes it for the machine run-vm.sh boots (memory
# and CPU count are in it), the PL061 given a label, rebuilt with symbols.
make_dtb() {
	local out=$1
	qemu-system-aarch64 -M virt -cpu cortex-a72 -m "${GWIO_VM_MEM:-1024}" \
		-smp "${GWIO_VM_SMP:-2}" -nographic \
		-machine dumpdtb="$work/virt.dtb" >/dev/null 2>&1
	dtc -q -I dtb -O dts "$work/virt.dtb" |
		sed 's|^\tpl061@9030000 {|\tpl061: pl061@9030000 {|' >"$work/virt.dts"
	grep -q 'pl061: pl061@' "$work/virt.dts" || die "no PL061 in qemu's DTB"
	dtc -q -@ -I dts -O dtb -o "$work/virt-l.dtb" "$work/virt.dts"
	dtc -q -@ -I dts -O dtb -o "$work/gwio.dtbo" \
		"$top/dts/overlays/gwio-qemu-virt.dtso"
	dtc -q -@ -I dts -O dtb -o "$work/bad.dtbo" "$here/dt/bad.dtso"
	fdtoverlay -i "$work/virt-l.dtb" -o "$out" "$work/gwio.dtbo" \
		"$work/bad.dtbo"
}
make_dtb "$work/board.dtb"

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

export GWIO_VM_DTB=$work/board.dtb
VM_MONITOR=1 VM_DURING=press_when_ready vm_boot_all dt "$work" "${ids[@]}"
