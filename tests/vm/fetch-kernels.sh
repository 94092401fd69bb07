#!/bin/bash
# fetch-kernels.sh [ID...] — download and unpack Debian kernels + headers for
# the VM tests. IDs: 6.1-amd64 6.1-arm64 6.12-amd64 6.12-arm64 6.1-armhf
# 6.12-armhf 6.12-rt-amd64 6.12-rt-armhf (default: all). armhf is Debian's
# armmp flavour, rt- the PREEMPT_RT one.
#
# For each ID this leaves, under ${GWIO_CACHE:-$HOME/.cache/gwio}/kernels/:
#   <ID>/root/   image, modules, headers and kbuild unpacked into ONE tree, so
#                the packages' relative symlinks (scripts -> ../../lib/linux-kbuild-*)
#                resolve inside it without installing anything on the host
#   <ID>.env     KVER KDIR VMLINUZ VMLINUX_PVH MODDIR ARCH KARCH CROSS_COMPILE
#                DEB_ARCH QEMU QEMU_ARGS CONSOLE (sourceable). ARCH is the
#                uname -m name (x86_64/arm64/armv7l); give make the kbuild one:
#                make -C "$KDIR" M=... ARCH="$KARCH" CROSS_COMPILE="$CROSS_COMPILE"
#   debs/        the downloaded .debs, kept so reruns need no network
#
# Versions are resolved through Debian's meta packages each run (cheap, local
# apt metadata), so a new kernel ABI upload is picked up after `apt-get update`
# without editing this file. Nothing is installed with dpkg -i.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

# Print the dependencies of the given packages whose names match the regex
# $1, without ":arch" suffixes or the <virtual> brackets apt-cache prints.
deps_matching() {
	local re=$1; shift
	apt-cache depends "$@" 2>/dev/null |
		sed -n 's/^ *|\{0,1\}Depends: <\{0,1\}\([^:> ]*\).*/\1/p' |
		grep -E "$re" | awk '!seen[$0]++' || true
}

# Uncompressed ELF vmlinux out of an x86 bzImage, for qemu's PVH direct boot:
# TCG spends ~4 s decompressing 6.1's XZ bzImage before the first kernel line
# (6.12 uses zstd, ~1 s); the ELF's Xen PVH entry note lets qemu -kernel
# jump straight in. Prints nothing if no known payload/tool is found.
extract_vmlinux() {
	local bz=$1 out=$2 magic tool off
	for magic in xz zstd; do
		case $magic in
		xz) off=$(LC_ALL=C grep -abo -m1 $'\xfd7zXZ\x00' "$bz" | head -n1 | cut -d: -f1) tool=(xz -dc --single-stream) ;;
		zstd) off=$(LC_ALL=C grep -abo -m1 $'\x28\xb5\x2f\xfd' "$bz" | head -n1 | cut -d: -f1) tool=(zstd -dcq) ;;
		esac
		if [[ -z $off ]] || ! command -v "${tool[0]}" >/dev/null; then continue; fi
		# zstd complains about the bzImage bytes after the frame: ignore the
		# status, check that the result is an ELF with the PVH note (0x12).
		tail -c +$((off + 1)) "$bz" | "${tool[@]}" >"$out.tmp" 2>/dev/null || true
		if grep -q 'Xen.*0x00000012' <<<"$(readelf -n "$out.tmp" 2>/dev/null)"; then
			mv "$out.tmp" "$out"
			echo "$out"
			return 0
		fi
	done
	rm -f "$out.tmp"
}

fetch_one() {
	local id=$1 series darch flavour
	series=$(id_series "$id") darch=$(id_arch "$id") flavour=$(id_flavour "$id")
	local LOG_TAG=$id
	local img_meta hdr_meta img hdr common kbuild ver
	ensure_apt_arch "$darch"

	# 6.1 is bookworm's default kernel (linux-image-<arch>); 6.12 comes from
	# the linux-*-6.12-<flavour> meta packages (bookworm-security/backports).
	# The flavour is the arch's name for amd64/arm64, armmp for armhf (not
	# armmp-lpae: LPAE needs a Cortex-A7/A15 class core, the armmp kernel
	# also runs on the A8/A9 gateways, the BeagleBone's AM335x among them),
	# rt-<that> for PREEMPT_RT.
	if [[ $series == 6.1 ]]; then
		img_meta=linux-image-$flavour hdr_meta=linux-headers-$flavour
	else
		img_meta=linux-image-$series-$flavour hdr_meta=linux-headers-$series-$flavour
	fi
	local env=$KCACHE/$id.env
	# Skip even the apt queries when neither the apt lists nor this script
	# changed since the env file was written.
	if apt_unchanged_since "$env" && [[ $env -nt $0 && -f $KCACHE/$id/.stamp ]]; then
		log "up to date (apt lists unchanged since $env)"
		return 0
	fi

	local names
	mapfile -t names < <(deps_matching '^linux-(image|headers)-[0-9]' \
		"$img_meta:$darch" "$hdr_meta:$darch")
	img=$(printf '%s\n' "${names[@]}" | grep -m1 '^linux-image-') || die "$img_meta: no image dependency"
	hdr=$(printf '%s\n' "${names[@]}" | grep -m1 '^linux-headers-') || die "$hdr_meta: no headers dependency"
	# (the rt flavours' headers share -common-rt instead of -common)
	mapfile -t names < <(deps_matching '^linux-(headers-.*-common(-rt)?|kbuild-.*)$' "$hdr:$darch")
	common=$(printf '%s\n' "${names[@]}" | grep -m1 -E -- '-common(-rt)?$') || die "$hdr: no -common dependency"
	kbuild=$(printf '%s\n' "${names[@]}" | grep -m1 '^linux-kbuild-') || die "$hdr: no linux-kbuild dependency"

	# The image meta points at the signed image; its contents are identical
	# to -unsigned apart from the signature, and qemu does not care. Fall
	# back to -unsigned if a mirror lacks the signed build.
	apt-cache show "$img:$darch" >/dev/null 2>&1 || img=$img-unsigned

	# linux-kbuild holds *host* binaries (fixdep, modpost, ...): always take
	# the amd64 build, so cross builds for arm64/armhf run x86 tools; unpacked in
	# the same tree it is what the headers' relative scripts/tools links hit
	# (DESIGN.md's "point the links at the host kbuild" step, without /usr/lib).
	local infos
	mapfile -t infos < <(pkg_candidates "$img:$darch" "$hdr:$darch" "$common" "$kbuild:amd64")
	((${#infos[@]} == 4)) || die "$id: apt-cache show gave ${#infos[@]} of 4 packages"
	ver=$(awk -v h="$hdr" '$1 == h {print $2}' <<<"$(printf '%s\n' "${infos[@]}")")
	local debs=() info n v a
	for info in "${infos[@]}"; do
		read -r n v a <<<"$info"
		# kbuild-6.1 is not ABI-named: make sure it matches the headers.
		[[ $n == "$img" || $v == "$ver" ]] ||
			die "$id: $n candidate $v differs from $hdr $ver (partial mirror sync?)"
		debs+=("$(fetch_deb "$n" "$v" "$a")")
	done

	local dir=$KCACHE/$id root=$KCACHE/$id/root
	local stamp
	stamp=$(printf '%s\n' "${debs[@]##*/}")
	if [[ -f $dir/.stamp && $(<"$dir/.stamp") == "$stamp" ]]; then
		log "already unpacked ($ver)"
	else
		log "unpacking $ver"
		rm -rf "$dir"
		mkdir -p "$root"
		for d in "${debs[@]}"; do dpkg -x "$d" "$root"; done
	fi

	local kver kdir moddir vmlinuz
	# bookworm ships modules under /lib/modules; accept usrmerged too.
	local m
	moddir=
	for m in "$root"/lib/modules/* "$root"/usr/lib/modules/*; do
		[[ -d $m ]] && moddir=$m && break
	done
	[[ -n $moddir ]] || die "$id: no modules directory in $img"
	kver=${moddir##*/}
	kdir=$root/usr/src/linux-headers-$kver
	vmlinuz=$root/boot/vmlinuz-$kver
	[[ -f $kdir/Makefile && -f $vmlinuz ]] || die "$id: headers or vmlinuz missing for $kver"

	# The arch header Makefile is a one-liner "include /usr/src/<...>-common/Makefile";
	# point it at our extracted copy instead of the host's /usr/src.
	# (Idempotent: a rewritten line no longer matches.)
	sed -i "s#^include /usr/src/#include $root/usr/src/#" "$kdir/Makefile"
	if grep -qE '(^|[[:space:]])/usr/src/' "$kdir/Makefile"; then
		grep -nE '(^|[[:space:]])/usr/src/' "$kdir/Makefile" >&2
		die "$id: unexpected absolute path left in $kdir/Makefile"
	fi
	# The scripts/tools links are relative and must land on the amd64 kbuild.
	local fixdep=$kdir/scripts/basic/fixdep
	[[ -x $fixdep ]] || die "$id: $fixdep missing (scripts link broken?)"
	grep -q 'x86-64' <<<"$(file -L "$fixdep")" || die "$id: $fixdep is not an x86-64 binary"

	local arch karch cross qemu qemu_args console pvh=
	if [[ $darch == amd64 ]]; then
		arch=x86_64 karch=x86 cross=
		qemu=qemu-system-x86_64 console=ttyS0
		# -cpu max: newest TCG-emulated features; KVM aborts on these hosts.
		qemu_args="-accel tcg -cpu max"
		pvh=$dir/vmlinux-pvh
		[[ -s $pvh ]] || pvh=$(extract_vmlinux "$vmlinuz" "$pvh")
		[[ -n $pvh ]] || log "no PVH vmlinux (xz/zstd missing?): VMs will boot the bzImage"
	elif [[ $darch == armhf ]]; then
		arch=armv7l karch=arm cross=arm-linux-gnueabihf-
		qemu=qemu-system-arm console=ttyAMA0
		# The armmp vmlinuz is a zImage (self-decompressing), which qemu
		# -kernel boots on -M virt; qemu makes the DTB for the board.
		# cortex-a15: the core the virt board models best on 32 bits.
		# highmem=off: no PCIe window above 4 GiB in the board's DTB, which
		# the armmp (non-LPAE) kernel could not address (it boots either
		# way, ignoring it); -m stays at run-vm.sh's 1 GiB (256 MiB highmem).
		qemu_args="-M virt,highmem=off -accel tcg -cpu cortex-a15"
	else
		arch=arm64 karch=arm64 cross=aarch64-linux-gnu-
		qemu=qemu-system-aarch64 console=ttyAMA0
		# The signed arm64 vmlinuz is a plain (EFI-stub, PE-signed) Image;
		# the -unsigned one is a gzipped Image. qemu -M virt -kernel loads
		# both (it gunzips itself), so no conversion is needed either way.
		# cortex-a72 is the Raspberry Pi 4 core, and ~3x faster to boot under
		# TCG than -cpu max, whose pointer-auth emulation (QARMA) dominates.
		qemu_args="-M virt -accel tcg -cpu cortex-a72"
	fi

	{
		echo "# generated by tests/vm/fetch-kernels.sh from $img $ver"
		printf 'ID=%q\n' "$id"
		printf 'KVER=%q\n' "$kver"
		printf 'KDIR=%q\n' "$kdir"
		printf 'VMLINUZ=%q\n' "$vmlinuz"
		printf 'VMLINUX_PVH=%q\n' "$pvh"
		printf 'MODDIR=%q\n' "$moddir"
		printf 'ARCH=%q\n' "$arch"
		printf 'KARCH=%q\n' "$karch"
		printf 'CROSS_COMPILE=%q\n' "$cross"
		printf 'DEB_ARCH=%q\n' "$darch"
		printf 'DEB_VERSION=%q\n' "$ver"
		printf 'QEMU=%q\n' "$qemu"
		printf 'QEMU_ARGS=%q\n' "$qemu_args"
		printf 'CONSOLE=%q\n' "$console"
	} >"$KCACHE/$id.env.tmp"
	mv "$KCACHE/$id.env.tmp" "$KCACHE/$id.env"
	echo "$stamp" >"$dir/.stamp"
	log "ready: KVER=$kver"
}

ids=("$@")
((${#ids[@]})) || ids=("${ALL_IDS[@]}")
for id in "${ids[@]}"; do
	valid_id "$id" || die "unknown ID '$id' (want: ${ALL_IDS[*]})"
done
# Several jobs (check-harness, the real VM tests) may call us at once: one
# unpacks, the others wait and then find it done.
mkdir -p "$KCACHE"
exec 9>"$KCACHE/.lock"
flock 9
for id in "${ids[@]}"; do fetch_one "$id"; done
