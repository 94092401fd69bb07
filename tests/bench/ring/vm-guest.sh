#!/bin/sh
# In-VM part of tests/bench/ring/compare-vm.sh (busybox sh, see
# tests/vm/run-vm.sh): load this payload's gwio.ko, run its vmtest's
# throughput benchmark at each rate of bench.conf, unload.  The same
# `vmtest bench` call as the throughput block of tests/vm/ring/run-tests.sh
# (gwio.bench=1), without the functional tests before it.
P=/payload
rates="1000000 2000000 4000000 8000000"
seconds=4
# shellcheck source=/dev/null
. $P/bench.conf

if insmod $P/gwio.ko sim_channels=4,1 && [ -c /dev/gwio0 ]; then
	echo "GWIO-TEST: PASS load"
else
	echo "GWIO-TEST: FAIL load insmod or /dev/gwio0 missing"
	exit 1
fi
for rate in $rates; do
	$P/vmtest bench /dev/gwio0 "$rate" "$seconds" || echo "vmtest bench $rate exited $?"
done
if rmmod gwio; then
	echo "GWIO-TEST: PASS final-unload"
else
	echo "GWIO-TEST: FAIL final-unload rmmod"
fi
exit 0
