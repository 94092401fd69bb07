#!/bin/bash
# ring.sh [ID...] — the gwio.ko ring suite in real Debian kernels (default:
# the four, 6.12-rt-amd64, and armhf with GWIO_ARMHF=1; lib.sh's
# vm_default_ids): build gwio.ko against each kernel's headers (cross for arm64),
# the static test programs for its arch, and run tests/vm/ring/run-tests.sh
# in a qemu guest.  Prints each verdict and a last line "N passed, N failed".
#
# Environment: GWIO_VM_LOGDIR keeps console logs (default
# ${TMPDIR:-/tmp}/gwio-vm-logs-UID); GWIO_VM_JOBS VMs at once (default 1);
# GWIO_VM_APPEND (e.g. gwio.bench=1: the throughput benchmark after the
# tests; make bench runs the same measurement, the ABI 1.2 module beside
# this one, through tests/bench/ring/compare-vm.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

ids=("$@")
((${#ids[@]})) || mapfile -t ids < <(vm_default_ids ring)
"$here/fetch-kernels.sh" "${ids[@]}" >&2

work=$(mktemp -d "${TMPDIR:-/tmp}/gwio-ring.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Build everything before booting anything: a build error costs seconds.
# (No "|| die" after the subshell: that would switch off set -e inside it.)
for id in "${ids[@]}"; do
	echo "building for $id" >&2
	p=$work/$id/payload
	vm_build_module "$id" "$p" "$work/$id"
	vm_build_tools "$id" "$p" "$work/$id"
	cp "$here/ring/run-tests.sh" "$p/"
	(
		# shellcheck source=/dev/null
		. "$KCACHE/$id.env"
		"${CROSS_COMPILE}gcc" -std=c11 -O2 -Wall -Wextra -Werror -static \
			-I"$top/kmod" -o "$p/vmtest" "$here/ring/vmtest.c"
	)
done

vm_boot_all ring "$work" "${ids[@]}"
