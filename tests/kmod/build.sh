#!/bin/bash
# build.sh ID [OUT] — build the test-only modules (gwio-test-gpio.ko,
# gwio-test-spi.ko, gwio-test-consumer.ko, the boards gwio-test-board.ko,
# gwio-test-adcboard.ko, gwio-test-adcprobe.ko and gwio-demo-board.ko) for
# a VM kernel ID (6.1-amd64, 6.1-arm64, 6.12-amd64, 6.12-arm64, 6.1-armhf,
# 6.12-armhf, 6.12-rt-amd64; see tests/vm/fetch-kernels.sh) with W=1, and
# copy the .ko files to OUT (default: tests/kmod/build/ID).
# GWIO_KMOD_SPARSE=1 adds sparse (C=2). Any compiler or sparse diagnostic
# fails the build. Builds in a scratch copy: parallel builds never collide.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../vm/lib.sh
. "$top/tests/vm/lib.sh"

(($# >= 1 && $# <= 2)) || die "usage: $0 ID [OUT]"
id=$1 out=${2:-$here/build/$1}
valid_id "$id" || die "unknown ID '$id' (want: ${ALL_IDS[*]} ${DEBUG_IDS[*]})"
[[ -f $KCACHE/$id.env ]] || "$top/tests/vm/fetch-kernels.sh" "$id" >&2
# shellcheck source=/dev/null
. "$KCACHE/$id.env"

work=$(mktemp -d "${TMPDIR:-/tmp}/gwio-kmod-$id.XXXXXX")
trap 'rm -rf "$work"' EXIT
# kmod/compat.h beside them: they follow kernel API changes as gwio.ko does
cp "$here"/Kbuild "$here"/*.[ch] "$here/../../kmod/compat.h" "$work/"
sparse=()
[[ ${GWIO_KMOD_SPARSE:-0} == 1 ]] && sparse=(C=2)
diag=$(make -s -C "$KDIR" M="$work" ARCH="$KARCH" \
	CROSS_COMPILE="$CROSS_COMPILE" W=1 "${sparse[@]}" modules 2>&1 |
	grep -v -e '^Skipping BTF generation' -e '^  [A-Z]') || true
if [[ -n $diag ]]; then
	echo "$diag" >&2
	die "build for $id printed diagnostics"
fi
mkdir -p "$out"
for m in gwio-test-gpio gwio-test-spi gwio-test-consumer gwio-test-board \
	 gwio-test-adcboard gwio-test-adcprobe gwio-demo-board; do
	[[ -f $work/$m.ko ]] || die "$m.ko not built for $id"
	cp "$work/$m.ko" "$out/"
done
echo "built $id: $out"
