#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# gpio.sh [ID...] — gwio.ko GPIO edge channels in real Debian kernels
# (default: lib.sh's vm_default_ids), on the simulated GPIO chip of tests/kmod through the
# real gpiolib and irq core (tests/vm/gpio/run-tests.sh): exact edge
# counts and levels at 1, 10 and 100 kHz, single-edge modes, debounce, bad
# sysfs writes, unbind/bind/rmmod under a 50 kHz storm, a controller that
# sleeps.  Edge-to-record latency comes out as GWIO-BENCH lines.  Last line
# "vm-gpio: N passed, N failed".  Environment as for ring.sh.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
vm_kmod_suite gpio "$@"
