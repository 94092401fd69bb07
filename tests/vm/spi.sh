#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# spi.sh [ID...] — gwio.ko SPI ADC devices in real Debian kernels (default:
# lib.sh's vm_default_ids), on the emulated MCP3008/MCP3208 of tests/kmod through the real
# SPI core (tests/vm/spi/run-tests.sh): every input every tick, the
# emulator's waveform with no conversion missed, timestamps on the period,
# overruns counted when the bus is too slow, period changes, unbind and
# rmmod while sampling; gwio.ko loaded by the devices' modalias, as udev
# would, descriptions the probe must refuse, and the kernel's own IIO
# driver for the chip (mcp320x, from the kernel's package, in the payload's
# iio/) against driver_override.  Latency percentiles come out as
# GWIO-BENCH lines.  Last line "vm-spi: N passed, N failed".  Environment
# as for ring.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

ids=("$@")
((${#ids[@]})) || mapfile -t ids < <(vm_default_ids spi)
"$here/fetch-kernels.sh" "${ids[@]}" >&2
work=$(mktemp -d "${TMPDIR:-/tmp}/gwio-spi.XXXXXX")
trap 'rm -rf "$work"' EXIT

for id in "${ids[@]}"; do
	echo "building for $id" >&2
	p=$work/$id/payload
	vm_build_payload "$id" "$p" "$work/$id"
	cp "$here/spi/run-tests.sh" "$p/"
	# the IIO driver for the same chips, uncompressed for busybox insmod;
	# a kernel without it skips that part (run-tests.sh says so)
	(
		# shellcheck source=/dev/null
		. "$KCACHE/$id.env"
		mkdir -p "$p/iio"
		for m in industrialio mcp320x; do
			# (the debug kernel has no drivers/iio at all)
			[[ -d $MODDIR/kernel/drivers/iio ]] || break
			f=$(find "$MODDIR/kernel/drivers/iio" -name "$m.ko*" | head -n1)
			[[ -n $f ]] || continue
			case $f in
			*.xz) xz -dc "$f" >"$p/iio/$m.ko" ;;
			*.zst) zstd -qdc "$f" >"$p/iio/$m.ko" ;;
			*) cp "$f" "$p/iio/$m.ko" ;;
			esac
		done
	)
done
vm_boot_all spi "$work" "${ids[@]}"
