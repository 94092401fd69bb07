#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# base-dtb.sh [--series 6.1|6.12] [-o DIR] [--add FILE.dtsi] BOARD|FILE.dts...
#
# A board's device tree WITH symbols (__symbols__, dtc -@), built from
# Debian's own kernel sources, for the DTBs Debian does not build that way
# (6.1's arm64 Raspberry Pi 4, the armmp BeagleBone Black): an overlay
# needs the base tree's labels to apply.  Needs apt-get (Debian), cpp and
# dtc (device-tree-compiler); no root.
#
#   BOARD   rpi4      Raspberry Pi 4 B, arm64    bcm2711-rpi-4-b.dtb
#           rpi4-arm  Raspberry Pi 4 B, 32-bit   bcm2711-rpi-4-b.dtb
#           rpi5      Raspberry Pi 5 B (6.12 only; no RP1: no header GPIOs)
#           bbb       BeagleBone Black           am335x-boneblack.dtb
#   FILE.dts  any .dts that #includes the kernel's (<arm64/broadcom/...>,
#           <dt-bindings/...>), built the same way (tests/dt/standin/)
#
#   --series  the linux-source package: 6.1 (Debian 12's kernel, default)
#             or 6.12 (its newer kernel, bookworm-security/backports);
#             pick the one your board boots
#   -o DIR    where the .dtb files go (default: the current directory;
#             rpi4 and rpi4-arm both write bcm2711-rpi-4-b.dtb)
#   --add FILE.dtsi  compile FILE.dtsi into every tree after the board's
#             own source, like a board .dts that #includes another
#             (tests/dt/standin/ adds Raspberry Pi OS's labels this way)
#
# linux-source-SERIES is fetched once with apt-get download into
# ${GWIO_CACHE:-~/.cache/gwio}/kernels/debs (the VM tests' cache too) and
# only its device-tree sources are unpacked, into .../dt/linux-SERIES/
# (~70 MB; the source package itself is ~150 MB).  A rerun is offline
# while apt's lists are unchanged.  Each DTB is preprocessed with cpp and
# compiled with dtc -@ like the kernel's own build (scripts/Makefile.dtbs).
set -euo pipefail

series=6.1 out=. boards=() adds=()
while (($#)); do
	case $1 in
	--series) series=$2; shift 2 ;;
	--series=*) series=${1#*=}; shift ;;
	-o) out=$2; shift 2 ;;
	--add) adds+=("$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"); shift 2 ;;
	-h | --help) sed -n '3,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "base-dtb.sh: unknown option $1" >&2; exit 2 ;;
	*) boards+=("$1"); shift ;;
	esac
done
((${#boards[@]})) || { echo "usage: base-dtb.sh [--series 6.1|6.12] [-o DIR] BOARD|FILE.dts..." >&2; exit 2; }
[[ $series == 6.1 || $series == 6.12 ]] || { echo "base-dtb.sh: --series 6.1 or 6.12" >&2; exit 2; }

cache=${GWIO_CACHE:-$HOME/.cache/gwio}
debs=$cache/kernels/debs
src=$cache/dt/linux-$series
pkg=linux-source-$series
say() { echo "base-dtb: $*" >&2; }

# --- the sources, once per package version ----------------------------
# Resolve the candidate only when apt's lists changed since the unpacking
# (apt-cache costs a second); the stamp holds "package version".
lists_newer() {
	[[ -n $(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -newer "$1" -print -quit 2>/dev/null) ]]
}
if [[ ! -f $src/.version ]] || lists_newer "$src/.version"; then
	ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
	[[ -n $ver ]] || { say "apt knows no $pkg (apt-get update?)"; exit 1; }
	if [[ ! -f $src/.version || $(<"$src/.version") != "$pkg $ver" ]]; then
		deb=$debs/${pkg}_${ver//:/%3a}_all.deb
		if [[ ! -s $deb ]]; then
			say "downloading $pkg $ver (once)"
			mkdir -p "$debs"
			dl=(apt-get -q download)
			((EUID)) || dl=(apt-get -q -o APT::Sandbox::User=root download)
			(cd "$debs" && "${dl[@]}" "$pkg=$ver" >&2)
			[[ -s $deb ]] || { say "apt-get download gave no $deb"; exit 1; }
		fi
		say "unpacking the device-tree sources of $pkg $ver"
		rm -rf "$src.tmp" && mkdir -p "$src.tmp"
		# only what a DTB build reads, and the bindings dt-schema needs
		dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$pkg.tar.xz" |
			xz -dc -T0 | tar -x -C "$src.tmp" --strip-components=1 --wildcards \
			"$pkg/arch/arm/boot/dts/*" "$pkg/arch/arm64/boot/dts/*" \
			"$pkg/scripts/dtc/include-prefixes/*" "$pkg/include/dt-bindings/*" \
			"$pkg/Documentation/devicetree/bindings/*"
		echo "$pkg $ver" >"$src.tmp/.version"
		rm -rf "$src" && mv "$src.tmp" "$src"
	else
		touch "$src/.version"
	fi
fi
[[ ${GWIO_BASE_DTB_QUIET:-0} == 1 ]] || say "$(<"$src/.version") in $src"

# --- the DTBs ---------------------------------------------------------
board_dts() {
	local arch name f
	case $1 in
	rpi4) arch=arm64 name=bcm2711-rpi-4-b ;;
	rpi4-arm) arch=arm name=bcm2711-rpi-4-b ;;
	rpi5) arch=arm64 name=bcm2712-rpi-5-b ;;
	bbb) arch=arm name=am335x-boneblack ;;
	*) say "unknown board $1 (rpi4 rpi4-arm rpi5 bbb, or a .dts file)"; return 1 ;;
	esac
	# 6.1 keeps 32-bit ARM trees flat, 6.12 in vendor folders
	f=$(find "$src/arch/$arch/boot/dts" -name "$name.dts" -print -quit)
	[[ -n $f ]] || { say "$(<"$src/.version") has no $arch $name.dts"; return 1; }
	echo "$f"
}

mkdir -p "$out"
inc=$src/scripts/dtc/include-prefixes
for b in "${boards[@]}"; do
	if [[ $b == *.dts ]]; then
		dts=$(cd "$(dirname "$b")" && pwd)/$(basename "$b")
	else
		dts=$(board_dts "$b")
	fi
	name=$(basename "$dts" .dts)
	tmp=$out/.$name.pp.$$
	top=$dts
	if ((${#adds[@]})); then
		top=$out/.$name.top.$$.dts
		{
			echo "#include \"$dts\""
			for a in "${adds[@]}"; do echo "#include \"$a\""; done
		} >"$top"
	fi
	cpp -nostdinc -I "$(dirname "$dts")" -I "$inc" -undef -D__DTS__ \
		-x assembler-with-cpp -o "$tmp" "$top"
	[[ $top == "$dts" ]] || rm -f "$top"
	# the kernel's own defaults for the board's warnings: they are not ours
	dtc -q -@ -I dts -O dtb -b 0 -i "$(dirname "$dts")" -i "$inc" \
		-o "$out/$name.dtb" "$tmp" || { rm -f "$tmp"; say "dtc failed on $dts"; exit 1; }
	rm -f "$tmp"
	[[ ${GWIO_BASE_DTB_QUIET:-0} == 1 ]] || say "$out/$name.dtb (from $dts)"
done
