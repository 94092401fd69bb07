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
# shellcheck source=lib.sh
. "$here/lib.sh"

ids=("$@")
((${#ids[@]})) || ids=("${ALL_IDS[@]}")
"$here/fetch-kernels.sh" "${ids[@]}" >&2
work=$(mktemp -d "${TMPDIR:-/tmp}/gwio-gpio.XXXXXX")
trap 'rm -rf "$work"' EXIT

for id in "${ids[@]}"; do
	echo "building for $id" >&2
	vm_build_payload "$id" "$work/$id/payload" "$work/$id"
	cp "$here/gpio/run-tests.sh" "$work/$id/payload/"
done
vm_boot_all gpio "$work" "${ids[@]}"
