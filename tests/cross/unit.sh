#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# unit.sh [DEB_ARCH] — the userspace unit tests (cmocka: ring, libgwio,
# the gwiod pipeline and config) and gwio-simring's argument tests, cross
# built for DEB_ARCH (default armhf: 32-bit ARM, where long and pointers
# are 32 bits and 64-bit atomics are the ABI's question) and run under
# qemu user emulation (qemu-arm-static), on this amd64 host.
#
# Nothing is installed on the host: libc6, cmocka and libyaml of DEB_ARCH
# are fetched with apt-get download into the cache and unpacked into a
# sysroot, ${GWIO_CACHE:-~/.cache/gwio}/sysroot/unit-DEB_ARCH, which is
# both the link's library path and qemu's -L (the dynamic loader and the
# shared libraries the tests run with).  The tools the tests start
# (gwio-cat, gwio-simring) are reached through wrapper scripts that run
# them under qemu too; no binfmt_misc needed.
#
# Needs gcc-arm-linux-gnueabihf and qemu-user-static (.ci/run installs
# them).  Prints cmocka's own summary lines and "unit-DEB_ARCH: N passed,
# N failed" from the tool tests.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../vm/lib.sh
. "$top/tests/vm/lib.sh"
darch=${1:-armhf}
LOG_TAG=unit-$darch
case $darch in
armhf) triplet=arm-linux-gnueabihf qemu_user=qemu-arm-static ;;
arm64) triplet=aarch64-linux-gnu qemu_user=qemu-aarch64-static ;;
*) die "no cross unit tests for $darch" ;;
esac
command -v "$triplet-gcc" >/dev/null || die "$triplet-gcc missing (.ci/run --deps-only installs it)"
command -v "$qemu_user" >/dev/null || die "$qemu_user missing (package qemu-user-static)"

# --- the sysroot: exact packages, unpacked once per version set ---------------
sysroot=$GWIO_CACHE/sysroot/unit-$darch
vm_sysroot "$sysroot" "$darch" libc6 libcmocka0 libcmocka-dev libyaml-0-2 libyaml-dev
libdir=$sysroot/usr/lib/$triplet

# --- build ----------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/gwio-unit-$darch.XXXXXX")
trap 'rm -rf "$work"' EXIT
build=$work/build
export PKG_CONFIG_SYSROOT_DIR=$sysroot PKG_CONFIG_LIBDIR=$libdir/pkgconfig
make -s -C "$top/userspace" --no-print-directory BUILD="$build" \
	CROSS_COMPILE="$triplet-" CFLAGS="-O2 -g -idirafter $sysroot/usr/include" \
	LDFLAGS="-L$libdir -Wl,-rpath-link,$libdir" tests tools >&2
file "$build/tests/test_ring" | grep -q "$([[ $darch == armhf ]] && echo 'ELF 32-bit.*ARM' || echo 'ARM aarch64')" ||
	die "$build/tests/test_ring is not a $darch binary"

# --- run ------------------------------------------------------------------------
# Wrappers with the tools' names: what the tests exec runs under qemu.
bin=$work/bin
mkdir -p "$bin"
for t in gwio-cat gwio-simring; do
	printf '#!/bin/sh\nexec %s -L %q %q "$@"\n' "$qemu_user" "$sysroot" "$build/$t" >"$bin/$t"
	chmod 755 "$bin/$t"
done
failed=0
# GWIO_TEST_SKIP: test_libgwio's checks that our ioctls on /dev/null fail
# ENOTTY; qemu-user says ENOSYS for ioctls it does not know.
for t in "$build"/tests/test_*; do
	[[ -x $t && $t != *.d ]] || continue
	echo "== $(basename "$t") ($darch, $qemu_user)"
	GWIO_CAT=$bin/gwio-cat GWIO_TEST_SKIP='test_*_errors' \
		GWIOD_TEST_CONFIGS="$top/tests/unit/configs" \
		GWIOD_TEST_EXAMPLE="$top/docs/gwiod.example.yaml" \
		"$qemu_user" -L "$sysroot" "$t" || failed=1
done
echo "== simring-args.sh ($darch)"
"$top/tests/tools/simring-args.sh" "$bin" | sed "s/^simring-args:/unit-$darch:/" || failed=1
exit "$failed"
