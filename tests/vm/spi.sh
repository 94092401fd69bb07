#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# spi.sh [ID...] — gwio.ko SPI ADC devices in real Debian kernels
# (default: all four), on the emulated MCP3008/MCP3208 of tests/kmod through
# the real SPI core: every input every tick, the emulator's waveform with
# no conversion missed, timestamps on the period, overruns counted when
# the bus is too slow, period changes, unbind and rmmod while sampling.
# Latency comes out as GWIO-BENCH lines.  "vm-spi: N passed, N failed".
# Environment as for ring.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

ids=("$@")
((${#ids[@]})) || ids=("${ALL_IDS[@]}")
"$here/fetch-kernels.sh" "${ids[@]}" >&2
work=$(mktemp -d "${TMPDIR:-/tmp}/gwio-spi.XXXXXX")
trap 'rm -rf "$work"' EXIT

for id in "${ids[@]}"; do
	echo "building for $id" >&2
	vm_build_payload "$id" "$work/$id/payload" "$work/$id"
	cp "$here/spi/run-tests.sh" "$work/$id/payload/"
done
vm_boot_all spi "$work" "${ids[@]}"
