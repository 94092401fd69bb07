#!/bin/bash
# check-debug.sh — what `make check-debug` runs: the VM suites (ring, abi, gpio,
# spi, and stress once tests/vm/stress.sh exists) on the debug kernel(s)
# built from Debian's linux-source with KASAN, lockdep, kmemleak,
# DEBUG_KOBJECT_RELEASE, DEBUG_ATOMIC_SLEEP and friends
# (tests/vm/build-debug-kernel.sh, tests/vm/debug-kernel.config).  Any
# kernel report in a guest's log (KASAN, lockdep, ODEBUG, UBSAN, a
# might_sleep BUG, a kmemleak "unreferenced object" after the payload)
# fails that suite, as run-vm.sh judges every log.  Last line "N passed,
# N failed" (tests/run-suites.sh).
#
#   GWIO_DEBUG_IDS="ID..."  the debug kernels (default: 6.12-debug-amd64)
#   GWIO_VM_LOGDIR          where the console logs go (as for every suite)
#
# Not part of make check: a cold kernel build alone takes far longer than
# CI's budget (tests/vm/README.md has the times).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

read -r -a ids <<<"${GWIO_DEBUG_IDS:-${DEBUG_IDS[0]}}"
for id in "${ids[@]}"; do
	is_debug_id "$id" || die "$id is no debug kernel (want: ${DEBUG_IDS[*]})"
done
# Built (or found in the cache) before any suite starts, so that a cold
# build shows here and not inside the first suite's log.
start=$SECONDS
"$here/fetch-kernels.sh" "${ids[@]}"
echo "debug kernels ready (${ids[*]}) after $((SECONDS - start)) s"

# Each fixture module's exit outlives DEBUG_KOBJECT_RELEASE's delayed
# release of its software nodes (5 s, tests/kmod/gwio-test.h): 20
# load/unload cycles instead of 100 keep vm-stress near 20 minutes.
export GWIO_VM_APPEND="${GWIO_VM_APPEND:-gwio.stress_loops=20}"
suites=(vm-ring vm-abi vm-gpio vm-spi)
[[ -x $here/stress.sh ]] && suites+=(vm-stress)
GWIO_VM_IDS="${ids[*]}" exec "$top/tests/run-suites.sh" "${suites[@]}"
