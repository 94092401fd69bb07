#!/bin/bash
# build-debug-kernel.sh ID — build one of lib.sh's DEBUG_IDS (today
# 6.12-debug-amd64) from Debian's linux-source-6.12, once, into the cache
# (fetch-kernels.sh calls it for those IDs; it can be run by hand too).
#
# Leaves, under ${GWIO_CACHE:-$HOME/.cache/gwio}/kernels/:
#   <ID>/src/linux-source-6.12/  the unpacked source (never written to)
#   <ID>/build/                  the O= build tree: KDIR for out-of-tree
#                                modules (make -C "$KDIR" M=...), vmlinux
#                                (PVH-bootable ELF), bzImage, Module.symvers
#   <ID>/root/lib/modules/KVER   modules_install (nearly empty: the guest
#                                needs everything built in)
#   <ID>/build.log               the last build's make output
#   <ID>/.stamp                  the cache key of the tree that is there
#   <ID>.env                     as fetch-kernels.sh's, plus VM_TIMEOUT and
#                                VM_MEM, run-vm.sh's defaults for this kernel
#
# The config is x86_64_defconfig with tests/vm/<fragment>.config merged
# over it (scripts/kconfig/merge_config.sh), for the qemu x86_64 guest of
# run-vm.sh and nothing else.  The cache key is the source package's
# version, the fragment's sha256, the compiler's version and BUILD_REV
# below: when it matches, nothing is run at all; when it does not, the
# config is made again and make rebuilds what changed (a new source
# version starts from scratch).
#
# Cold, on this project's 2-core machine: see tests/vm/README.md.
#   GWIO_KBUILD_JOBS   make -j (default: nproc); make runs under nice -n 10
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

# Bump when the way the tree is built changes (not the fragment: that is
# hashed itself).
BUILD_REV=1

(($# == 1)) || die "usage: $0 ID (one of: ${DEBUG_IDS[*]})"
id=$1
is_debug_id "$id" || die "unknown debug kernel ID '$id' (want: ${DEBUG_IDS[*]})"
[[ $(id_arch "$id") == amd64 ]] || die "$id: only amd64 guests are built"
LOG_TAG=$id
series=$(id_series "$id")
fragment=$here/$(debug_id_fragment "$id")
[[ -f $fragment ]] || die "$fragment missing"

dir=$KCACHE/$id
env=$KCACHE/$id.env
mkdir -p "$dir"
# Our own lock, not fetch-kernels.sh's $KCACHE/.lock: a cold build holds
# it for most of an hour, and the stock kernels must stay usable meanwhile.
exec 8>"$dir.lock"
flock 8

src_pkg=linux-source-$series
# the candidate, resolved like the stock kernels' (local apt metadata)
read -r n ver a < <(pkg_candidates "$src_pkg") || die "apt knows no $src_pkg (apt-get update?)"
[[ $n == "$src_pkg" ]] || die "apt-cache show $src_pkg gave $n"
cc_ver=$(gcc --version | head -n 1)
key=$(printf '%s\n' "$src_pkg $ver" "fragment $(sha256sum <"$fragment" | cut -d' ' -f1)" \
	"$cc_ver" "rev $BUILD_REV")

if [[ -f $dir/.stamp && $(<"$dir/.stamp") == "$key" && -f $env ]]; then
	log "up to date ($src_pkg $ver, $(basename "$fragment") unchanged)"
	exit 0
fi

# --- source ---------------------------------------------------------------
srcroot=$dir/src
ksrc=$srcroot/linux-source-$series
obj=$dir/build
if [[ ! -f $srcroot/.version || $(<"$srcroot/.version") != "$src_pkg $ver" ]]; then
	deb=$(fetch_deb "$n" "$ver" "$a")
	log "unpacking $src_pkg $ver"
	rm -rf "$srcroot" "$obj" "$dir/root" "$dir/.stamp"
	mkdir -p "$srcroot/deb"
	dpkg -x "$deb" "$srcroot/deb"
	tarball=$(find "$srcroot/deb" -name "linux-source-$series.tar.*" -print -quit)
	[[ -n $tarball ]] || die "$deb holds no linux-source-$series.tar.*"
	tar -xf "$tarball" -C "$srcroot"
	rm -rf "$srcroot/deb"
	[[ -f $ksrc/Makefile ]] || die "no $ksrc/Makefile after unpacking"
	echo "$src_pkg $ver" >"$srcroot/.version"
fi

# --- config ---------------------------------------------------------------
mkdir -p "$obj"
kmake=(nice -n 10 make -C "$ksrc" O="$obj" ARCH=x86)
"${kmake[@]}" -s x86_64_defconfig
# -m: merge only; olddefconfig then resolves the dependencies once
(cd "$obj" && "$ksrc/scripts/kconfig/merge_config.sh" -m -O "$obj" \
	"$obj/.config" "$fragment") >"$dir/merge.log" 2>&1 ||
	{ cat "$dir/merge.log" >&2; die "merge_config.sh failed"; }
"${kmake[@]}" -s olddefconfig
# Every symbol the fragment sets to a value must have kept it: a debug
# option that silently fell away (a dependency changed) would make a clean
# run mean nothing.  "is not set" lines may vanish with their menu.
bad=0
while IFS= read -r line; do
	grep -qxF -- "$line" "$obj/.config" || { echo "  $line: .config has" \
		"'$(grep -E "^(# )?${line%%=*}[= ]" "$obj/.config" || echo nothing)'" >&2; bad=1; }
done < <(grep -E '^CONFIG_[A-Z0-9_]+=' "$fragment")
((bad == 0)) || die "$(basename "$fragment"): the options above did not stick"

# --- build ----------------------------------------------------------------
jobs=${GWIO_KBUILD_JOBS:-$(nproc)}
log "building $src_pkg $ver with $(basename "$fragment") (make -j$jobs under nice -n 10; log: $dir/build.log)"
t0=$SECONDS
if ! "${kmake[@]}" -j"$jobs" all >"$dir/build.log" 2>&1; then
	tail -n 40 "$dir/build.log" >&2
	die "kernel build failed (full log: $dir/build.log)"
fi
kver=$(<"$obj/include/config/kernel.release")
rm -rf "$dir/root"
"${kmake[@]}" -s INSTALL_MOD_PATH="$dir/root" INSTALL_MOD_STRIP=1 \
	DEPMOD=/sbin/depmod modules_install >>"$dir/build.log" 2>&1 ||
	die "modules_install failed (log: $dir/build.log)"
log "built $kver in $((SECONDS - t0)) s"

pvh=$obj/vmlinux
grep -q 'Xen.*0x00000012' <<<"$(readelf -n "$pvh" 2>/dev/null)" ||
	die "$pvh has no PVH entry note (CONFIG_PVH?)"
[[ -f $obj/Module.symvers ]] || die "no Module.symvers in $obj"

{
	echo "# generated by tests/vm/build-debug-kernel.sh from $src_pkg $ver + $(basename "$fragment")"
	printf 'ID=%q\n' "$id"
	printf 'KVER=%q\n' "$kver"
	printf 'KDIR=%q\n' "$obj"
	printf 'VMLINUZ=%q\n' "$obj/arch/x86/boot/bzImage"
	printf 'VMLINUX_PVH=%q\n' "$pvh"
	printf 'MODDIR=%q\n' "$dir/root/lib/modules/$kver"
	printf 'ARCH=%q\n' x86_64
	printf 'KARCH=%q\n' x86
	printf 'CROSS_COMPILE=%q\n' ''
	printf 'DEB_ARCH=%q\n' amd64
	printf 'DEB_VERSION=%q\n' "$ver"
	printf 'QEMU=%q\n' qemu-system-x86_64
	printf 'QEMU_ARGS=%q\n' "-accel tcg -cpu max"
	printf 'CONSOLE=%q\n' ttyS0
	# KASAN, lockdep and kmemleak under TCG: several times slower than
	# the stock kernels (run-vm.sh: GWIO_VM_TIMEOUT / GWIO_VM_MEM win)
	printf 'VM_TIMEOUT=%q\n' 2400
	printf 'VM_MEM=%q\n' 2048
} >"$env.tmp"
mv "$env.tmp" "$env"
echo "$key" >"$dir/.stamp"
log "ready: KVER=$kver"
