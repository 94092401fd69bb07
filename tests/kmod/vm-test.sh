#!/bin/bash
# vm-test.sh [ID...] — self-test of the simulated hardware: build the test
# modules for each VM kernel (default 6.1-amd64 6.12-amd64), boot it with
# tests/vm/run-vm.sh and run vm/run-tests.sh there (loads gwio-test-gpio,
# gwio-test-spi and gwio-test-consumer, drives pulses, checks counters).
# Logs in ${GWIO_VM_LOGDIR:-/tmp/gwio-vm-logs-UID}/kmod-ID.log.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

ids=("$@")
((${#ids[@]})) || ids=(6.1-amd64 6.12-amd64)
logdir=${GWIO_VM_LOGDIR:-${TMPDIR:-/tmp}/gwio-vm-logs-$(id -u)}
work=$(mktemp -d "${TMPDIR:-/tmp}/gwio-kmod-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$logdir"

failed=()
for id in "${ids[@]}"; do
	p=$work/$id
	"$here/build.sh" "$id" "$p"
	cp "$here/vm/run-tests.sh" "$p/"
	"$top/tests/vm/run-vm.sh" "$id" "$p" "$logdir/kmod-$id.log" ||
		failed+=("$id")
done
if ((${#failed[@]})); then
	echo "kmod vm test FAILED on: ${failed[*]} (logs: $logdir)"
	exit 1
fi
echo "kmod vm test passed on: ${ids[*]}"
