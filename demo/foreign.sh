#!/bin/bash
# demo/foreign.sh DEB_ARCH PAYLOAD ROOTFS WORK — the demo's userland for a
# guest whose architecture is not the host's (arm64 or armhf on an amd64 machine):
# gwiod cross-built into PAYLOAD, mosquitto and mosquitto_sub with every
# shared library they and gwiod need, and the dynamic loader, into ROOTFS
# (run-vm.sh's GWIO_VM_ROOTFS).
#
# Nothing is installed on the host: Debian's DEB_ARCH packages are fetched
# with apt-get download into the cache (like the kernels) and unpacked
# into a sysroot there, ${GWIO_CACHE:-~/.cache/gwio}/sysroot/DEB_ARCH;
# gwiod compiles with the cross compiler against its headers and
# libraries.  The libraries the guest gets are exactly the ELF NEEDED
# closure of the three programs, found in that sysroot.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source=../tests/vm/lib.sh
. "$top/tests/vm/lib.sh"
(($# == 4)) || die "usage: $0 DEB_ARCH PAYLOAD ROOTFS WORK"
darch=$1 payload=$2 rootfs=$3 work=$4
LOG_TAG=demo
case $darch in
arm64) triplet=aarch64-linux-gnu loader=ld-linux-aarch64.so.1 ;;
armhf) triplet=arm-linux-gnueabihf loader=ld-linux-armhf.so.3 ;;
*) die "no cross userland for $darch" ;;
esac
command -v "$triplet-gcc" >/dev/null ||
	die "$triplet-gcc missing: install gcc-$triplet (.ci/run --deps-only does)"

# The packages whose files the build and the guest need; their library
# dependencies come from apt's own dependency graph, so a new Debian point
# release needs no edit here.
roots=(mosquitto mosquitto-clients libmosquitto-dev libyaml-dev)
sysroot=$GWIO_CACHE/sysroot/$darch
ensure_apt_arch "$darch"
mapfile -t pkgs < <(apt-cache depends --recurse --no-recommends --no-suggests \
	--no-conflicts --no-breaks --no-replaces --no-enhances \
	"${roots[@]/%/:$darch}" 2>/dev/null |
	sed -n "s/^\([a-z0-9][^ :]*\):$darch\$/\1/p" | sort -u |
	grep -E '^(lib|mosquitto)' | grep -v -E -- '-(dev|doc|bin)$|^libc-|^libgcc-[0-9]' || true)
pkgs+=(libmosquitto-dev libyaml-dev)
((${#pkgs[@]} > 5)) || die "apt-cache found no $darch packages for ${roots[*]}"
vm_sysroot "$sysroot" "$darch" "${pkgs[@]}"

libdirs=("$sysroot/lib/$triplet" "$sysroot/usr/lib/$triplet")

# --- gwiod, cross-compiled ----------------------------------------------------
# pkg-config leaves out -I/usr/include: the sysroot's headers are added by
# hand, after the cross compiler's own libc headers.
export PKG_CONFIG_SYSROOT_DIR=$sysroot
export PKG_CONFIG_LIBDIR=$sysroot/usr/lib/$triplet/pkgconfig:$sysroot/usr/share/pkgconfig
make -s -C "$top/userspace" --no-print-directory BUILD="$work/us-$darch" \
	CROSS_COMPILE="$triplet-" CFLAGS="-O2 -g -idirafter $sysroot/usr/include" \
	LDFLAGS="${libdirs[*]/#/-L} ${libdirs[*]/#/-Wl,-rpath-link,}" gwiod >&2
cp "$work/us-$darch/gwiod/gwiod" "$payload/"

# --- the guest's programs and their NEEDED closure -----------------------------
mkdir -p "$rootfs/usr/sbin" "$rootfs/usr/bin" "$rootfs/lib/$triplet"
cp "$sysroot/usr/sbin/mosquitto" "$rootfs/usr/sbin/"
cp "$sysroot/usr/bin/mosquitto_sub" "$rootfs/usr/bin/"
find_lib() { # SONAME: its path in the sysroot, symlinks resolved inside it
	local d f t
	for d in "${libdirs[@]}"; do
		f=$d/$1
		while [[ -L $f ]]; do
			t=$(readlink "$f")
			[[ $t == /* ]] && f=$sysroot$t || f=$(dirname "$f")/$t
		done
		[[ -f $f ]] && echo "$f" && return 0
	done
	return 1
}
todo=("$payload/gwiod" "$rootfs/usr/sbin/mosquitto" "$rootfs/usr/bin/mosquitto_sub")
declare -A have=()
while ((${#todo[@]})); do
	elf=${todo[0]}
	todo=("${todo[@]:1}")
	while read -r so; do
		[[ -n ${have[$so]:-} ]] && continue
		f=$(find_lib "$so") || die "$so (needed by ${elf##*/}) is in none of the $darch packages"
		cp "$f" "$rootfs/lib/$triplet/$so"
		have[$so]=1
		todo+=("$rootfs/lib/$triplet/$so")
	done < <(readelf -d "$elf" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done
f=$(find_lib "$loader") || die "no $loader in the $darch libc6"
cp "$f" "$rootfs/lib/$loader"
log "$darch userland: gwiod, mosquitto, mosquitto_sub and ${#have[@]} libraries"
