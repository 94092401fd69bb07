#!/bin/sh
# Build and run the host ring benchmark; arguments go to bench_ring
# (e.g. -n 50000000 -r 1024 -p 32).  Exit status is bench_ring's: non-zero
# if any run lost, reordered or corrupted a record.
set -eu
us=$(cd "$(dirname "$0")/../../../userspace" && pwd)
build=$(make -s -C "$us" print-build)
make -s -C "$us" "$build/bench_ring" >&2
exec "$build/bench_ring" "$@"
