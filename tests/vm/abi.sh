#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# abi.sh [ID...] — the ring ABI as documented, in real Debian kernels
# (default: lib.sh's vm_default_ids): a clean-room consumer
# (tests/vm/abi/consumer.c, written from kmod/uapi/gwio.h, docs/abi.md and
# docs/sysfs.md only, no libgwio) maps gwio.ko's synthetic devices, checks
# the geometry and the channel table, consumes with poll() under both
# overflow policies with exact accounting of every counter-waveform
# sample, reads the seqcount counters, and abuses its own consumer page,
# mmap/mprotect, the ioctls and read(); tests/vm/abi/run-tests.sh adds
# module parameters and rmmod.  What the docs left open is printed as
# GWIO-INFO lines.  Last line "vm-abi: N passed, N failed".
#
# Environment as for ring.sh, and GWIO_ABI_WRAP_BUDGET (seconds, default
# 0: off): let the overwrite producer run up to that long to wrap the
# 32-bit head (2^32 records; only fast hosts get there) in a ring of
# GWIO_ABI_WRAP_RING records (default 65536); GWIO_ABI_TESTS
# ("abi-overwrite abi-wrap"): only those of consumer.c's tests.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

ids=("$@")
((${#ids[@]})) || mapfile -t ids < <(vm_default_ids abi)
"$here/fetch-kernels.sh" "${ids[@]}" >&2

work=$(mktemp -d "${TMPDIR:-/tmp}/gwio-abi.XXXXXX")
trap 'rm -rf "$work"' EXIT

budget=${GWIO_ABI_WRAP_BUDGET:-0}
if ((budget > 0)); then
	# the wrap run comes on top of the rest (about five minutes under TCG)
	export GWIO_VM_TIMEOUT=${GWIO_VM_TIMEOUT:-$((600 + 2 * budget))}
fi

for id in "${ids[@]}"; do
	echo "building for $id" >&2
	p=$work/$id/payload
	vm_build_module "$id" "$p" "$work/$id"
	sed -e "s/@WRAP_BUDGET@/$budget/" -e "s/@TESTS@/${GWIO_ABI_TESTS:-all}/" \
		-e "s/@WRAP_RING@/${GWIO_ABI_WRAP_RING:-65536}/" \
		"$here/abi/run-tests.sh" >"$p/run-tests.sh"
	chmod +x "$p/run-tests.sh"
	(
		# shellcheck source=/dev/null
		. "$KCACHE/$id.env"
		"${CROSS_COMPILE}gcc" -std=c11 -O2 -Wall -Wextra -Werror -static \
			-I"$top/kmod" -o "$p/consumer" "$here/abi/consumer.c"
	)
done

vm_boot_all abi "$work" "${ids[@]}"
