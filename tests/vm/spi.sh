#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# spi.sh [ID...] — gwio.ko SPI ADC devices in real Debian kernels (default:
# lib.sh's vm_default_ids), on the emulated MCP3008/MCP3208 of tests/kmod through the real
# SPI core (tests/vm/spi/run-tests.sh): every input every tick, the
# emulator's waveform with no conversion missed, timestamps on the period,
# overruns counted when the bus is too slow, period changes, unbind and
# rmmod while sampling.  Latency percentiles come out as GWIO-BENCH lines.
# Last line "vm-spi: N passed, N failed".  Environment as for ring.sh.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
vm_kmod_suite spi "$@"
