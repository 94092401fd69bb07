#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dt.sh — suite "dt" of make check: the overlays in dts/overlays against the
# real boards' device trees, and the bindings in dts/bindings through
# dt-schema.  Last line "dt: N passed, N failed".
#
#  1. every overlay compiles with dtc -@ (the only warning allowed, and
#     only with -Wno-unit_address_vs_reg off, is dtc's unit_address_vs_reg
#     on Raspberry Pi style __dormant__ fragments); the header pins named
#     in its comments are the lines and pads it uses (the BeagleBone's pad
#     entries recomputed with the kernel's AM33XX_PADCONF); the Raspberry
#     Pi help text (dts/overlays/README) lists exactly its parameters
#  2. base trees, built by dts/base-dtb.sh from Debian's linux-source-6.1
#     and -6.12 (cpp + dtc -@): Raspberry Pi 4 B (arm64 and 32-bit arm),
#     Pi 5 (6.12: no RP1 in mainline), BeagleBone Black; and stand-ins
#     (tests/dt/standin/) for Raspberry Pi OS's labels and nodes (spi0,
#     spidev0/1, rp1_gpio) and BeagleBoard.org's pinmux helpers and
#     cape-universal
#  3. Debian's own DTBs (the linux-image packages the VM suites use):
#     which have __symbols__, as dts/README.md says
#  4. every overlay applied with fdtoverlay to every base it claims (the
#     Raspberry Pi ones also with parameters, by tests/dt/rpi-params.py),
#     refused by those it cannot work on, and the merged tree checked node
#     by node (tests/dt/check.py): gwio under /, gpios resolving to the
#     right controller and line, pin mux entries well-formed for the
#     controller, nothing else enabled on the same lines, pads or chip
#     select (gpio-hogs and GPIO interrupts count), the other spidev as
#     in the base, the SPI controller wired; deliberate mistakes (the old
#     4-cell BeagleBone overlay, cape-universal left on, a GPIO on an SPI
#     pin, a hog or interrupt on a channel's line, the other spidev off,
#     no_adc before adc_cs) must be caught
#  5. the qemu virt overlay on the DTB qemu itself dumps, checked as above
#  6. dt-schema: dt-doc-validate on each binding (with each kernel's
#     spi-peripheral-props.yaml), the bindings' examples through
#     dt-validate, dt-validate on every merged tree (clean against the gwio
#     bindings, nothing new against everything dt-schema and the bindings
#     know), and broken trees (tests/dt/broken/, tests/vm/dt/bad.dtso)
#     refused node by node
#
# Downloads and unpacked sources are cached in ${GWIO_CACHE:-~/.cache/gwio}
# (kernels/debs/ shared with the VM suites, dt/): a rerun is offline.
# GWIO_DT_WORK=DIR keeps the merged trees and dt-validate's output there.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
tdt=$top/tests/dt
# shellcheck source=tests/vm/lib.sh
. "$top/tests/vm/lib.sh"
if [[ -n ${GWIO_DT_WORK:-} ]]; then
	work=$GWIO_DT_WORK
	rm -rf "$work" && mkdir -p "$work"
else
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi
dtcache=$GWIO_CACHE/dt
passed=0 failed=0
py=python3

result() {
	if [[ $1 == 0 ]]; then
		echo "PASS $2"
		passed=$((passed + 1))
	else
		echo "FAIL $2"
		[[ -s $work/err ]] && sed 's/^/    /' "$work/err"
		failed=$((failed + 1))
	fi
	: >"$work/err"
}

# Count check.py's own PASS/FAIL lines (it prints them, we add them up).
py_check() {
	local out rc
	out=$("$py" "$tdt/check.py" "$@" 2>&1)
	rc=$?
	[[ -n $out ]] && echo "$out"
	passed=$((passed + $(grep -c '^PASS ' <<<"$out")))
	failed=$((failed + $(grep -c '^FAIL ' <<<"$out")))
	# a crash is a failure even without a FAIL line
	if ((rc != 0)) && ! grep -q '^FAIL ' <<<"$out"; then
		echo "FAIL check.py $1 exited $rc"
		failed=$((failed + 1))
	fi
}

: >"$work/err"
missing=()
for t in cpp dtc fdtoverlay fdtget dt-doc-validate dt-validate dt-mk-schema dt-extract-example; do
	command -v "$t" >/dev/null || missing+=("$t")
done
if ((${#missing[@]})); then
	echo "missing: ${missing[*]} (device-tree-compiler, dt-schema, cpp: make deps)" >"$work/err"
	result 1 "tools"
	echo "dt: $passed passed, $failed failed"
	exit 1
fi

# --- 1. the overlays themselves -------------------------------------------
mkdir -p "$work/dtbo"
for f in "$top"/dts/overlays/*.dtso; do
	name=$(basename "$f" .dtso)
	dtc -@ -Wno-unit_address_vs_reg -I dts -O dtb -o "$work/dtbo/$name.dtbo" "$f" 2>"$work/err"
	rc=$?
	[[ $rc == 0 && -s $work/err ]] && rc=1
	if [[ $rc == 0 ]]; then
		# without the flag: unit_address_vs_reg on __dormant__ fragments only
		dtc -@ -I dts -O dtb -o /dev/null "$f" 2>&1 |
			grep -v 'Warning (unit_address_vs_reg): /fragment@[0-9]*: node has a unit name, but no reg' |
			grep . >"$work/err" && rc=1
		for frag in $(dtc -@ -I dts -O dtb -o /dev/null "$f" 2>&1 |
			sed -n 's|.*Warning (unit_address_vs_reg): \(/fragment@[0-9]*\):.*|\1|p'); do
			fdtget -l "$work/dtbo/$name.dtbo" "$frag" | grep -qx __dormant__ ||
				{ echo "$frag: unit_address_vs_reg but no __dormant__" >>"$work/err"; rc=1; }
		done
	fi
	result $rc "overlay $name compiles with dtc -@, no warnings"
done
# the newest kernel's headers evaluate the pad macros (fetched in step 2)

# --- 2. base trees from Debian's kernel sources ---------------------------
# name|series|board|stand-in: every base the overlays are tried on
bases=(
	"6.1/rpi4-arm64|6.1|rpi4|" "6.1/rpi4-arm|6.1|rpi4-arm|" "6.1/bbb|6.1|bbb|"
	"6.1/rpi4-arm64-downstream|6.1|rpi4|rpi4-downstream.dtsi"
	"6.1/bbb-beagleboard|6.1|bbb|bbb-beagleboard.dtsi"
	"6.12/rpi4-arm64|6.12|rpi4|" "6.12/rpi4-arm|6.12|rpi4-arm|" "6.12/bbb|6.12|bbb|"
	"6.12/rpi5|6.12|rpi5|"
	"6.12/rpi4-arm64-downstream|6.12|rpi4|rpi4-downstream.dtsi"
	"6.12/rpi5-downstream|6.12|rpi5|rpi5-downstream.dtsi"
	"6.12/bbb-beagleboard|6.12|bbb|bbb-beagleboard.dtsi"
)
declare -A base_dtb=()
for s in 6.1 6.12; do
	# once per series: fetch and unpack (cached), say the version
	GWIO_BASE_DTB_QUIET=1 "$top/dts/base-dtb.sh" --series "$s" -o "$work/probe" rpi4 >/dev/null 2>"$work/err"
	rc=$?
	ver=$(cat "$dtcache/linux-$s/.version" 2>/dev/null)
	result $rc "Debian's ${ver:-linux-source-$s}: device-tree sources unpacked in the cache"
done
for b in "${bases[@]}"; do
	IFS='|' read -r name series board standin <<<"$b"
	out=$work/base/$name
	add=()
	[[ -n $standin ]] && add=(--add "$tdt/standin/$standin")
	GWIO_BASE_DTB_QUIET=1 "$top/dts/base-dtb.sh" --series "$series" -o "$out" "${add[@]}" "$board" 2>"$work/err"
	rc=$?
	f=$(find "$out" -name '*.dtb' -print -quit 2>/dev/null)
	[[ $rc == 0 && -n $f ]] && ! fdtget -l "$f" /__symbols__ >/dev/null 2>&1 &&
		{ echo "no __symbols__ in $f" >>"$work/err"; rc=1; }
	base_dtb[$name]=$f
	result $rc "base $name: $(basename "${f:-?}")${standin:+ + tests/dt/standin/$standin}, built with symbols"
done

py_check source "$dtcache/linux-6.12" "$top"/dts/overlays/*.dtso
py_check help "$top/dts/overlays/README" "$work"/dtbo/gwio-rpi4.dtbo "$work"/dtbo/gwio-rpi5.dtbo

# --- 3. the DTBs Debian ships ---------------------------------------------
# ID|meta package|dtb paths: the image a Debian 12 board boots
debian=(
	"6.1-arm64|linux-image-arm64|broadcom/bcm2711-rpi-4-b.dtb"
	"6.12-arm64|linux-image-6.12-arm64|broadcom/bcm2711-rpi-4-b.dtb broadcom/bcm2712-rpi-5-b.dtb"
	"6.1-armhf|linux-image-armmp|bcm2711-rpi-4-b.dtb am335x-boneblack.dtb"
	"6.12-armhf|linux-image-6.12-armmp|bcm2711-rpi-4-b.dtb am335x-boneblack.dtb"
)
# the image package behind each meta package, re-resolved when apt's lists
# change (apt-cache costs a second a call)
resolve_debian() {
	local list=$dtcache/debian-images.list id meta dtbs darch img
	if apt_unchanged_since "$list" && [[ $list -nt $0 ]]; then
		cat "$list"
		return
	fi
	mkdir -p "$dtcache"
	for d in "${debian[@]}"; do
		IFS='|' read -r id meta dtbs <<<"$d"
		darch=${id##*-}
		img=$(apt-cache depends "$meta:$darch" 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9][^:> ]*\).*/\1/p' | head -n1)
		[[ -n $img ]] || continue
		apt-cache show "$img:$darch" >/dev/null 2>&1 || img=$img-unsigned
		read -r n v a < <(pkg_candidates "$img:$darch") || continue
		echo "$id $n $v $a"
	done >"$list.tmp" && mv "$list.tmp" "$list"
	cat "$list"
}
declare -A deb_dtb=()
mapfile -t images < <(resolve_debian)
for d in "${debian[@]}"; do
	IFS='|' read -r id meta dtbs <<<"$d"
	line=$(printf '%s\n' "${images[@]}" | awk -v id="$id" '$1 == id')
	if [[ -z $line ]]; then
		echo "apt knows no $meta for ${id##*-} (dpkg --add-architecture ${id##*-}; apt-get update: make deps)" >"$work/err"
		result 1 "Debian $id: $meta resolved"
		continue
	fi
	read -r _ n v a <<<"$line"
	dir=$dtcache/debian/${n}_$v
	if [[ ! -f $dir/.done ]]; then
		deb=$(fetch_deb "$n" "$v" "$a" 2>"$work/err") || { result 1 "Debian $id: $n $v downloaded"; continue; }
		rm -rf "$dir" && mkdir -p "$dir"
		pats=()
		for x in $dtbs; do pats+=("*/$x"); done
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" --wildcards "${pats[@]}" 2>"$work/err" &&
			touch "$dir/.done"
	fi
	for x in $dtbs; do
		f=$(find "$dir" -path "*/$x" -print -quit)
		if [[ -z $f ]]; then
			echo "$n $v has no $x" >"$work/err"
			result 1 "Debian $id: $x shipped"
			continue
		fi
		deb_dtb[$id/$(basename "$x" .dtb)]=$f
		if fdtget -l "$f" /__symbols__ >/dev/null 2>&1; then sym=yes; else sym=no; fi
		# what dts/README.md tells a Debian user
		case $id/$(basename "$x" .dtb) in
		6.1-arm64/bcm2711-rpi-4-b | */am335x-boneblack) want=no ;;
		*) want=yes ;;
		esac
		[[ $sym == "$want" ]] || echo "__symbols__: $sym; dts/README.md says $want" >"$work/err"
		result "$([[ $sym == "$want" ]]; echo $?)" "Debian $id $n: $(basename "$x") $([[ $want == yes ]] && echo has || echo "has no") __symbols__, as dts/README.md says"
	done
done

# --- 4. apply and check -----------------------------------------------------
mkdir -p "$work/merged"
: >"$work/cases.tsv"
# case name|overlay|base|board|world|params|expect
cases=(
	"6.1 rpi4-arm64 mainline|gwio-rpi4|6.1/rpi4-arm64|rpi4|mainline|-|-"
	"6.1 rpi4-arm mainline|gwio-rpi4|6.1/rpi4-arm|rpi4|mainline|-|-"
	"6.1 rpi4 Raspberry Pi OS stand-in|gwio-rpi4|6.1/rpi4-arm64-downstream|rpi4|downstream|-|-"
	"6.1 bbb mainline|gwio-bbb|6.1/bbb|bbb|mainline|-|-"
	"6.1 bbb BeagleBoard.org stand-in|gwio-bbb|6.1/bbb-beagleboard|bbb|beagleboard|-|-"
	"6.12 rpi4-arm64 mainline|gwio-rpi4|6.12/rpi4-arm64|rpi4|mainline|-|-"
	"6.12 rpi4-arm mainline|gwio-rpi4|6.12/rpi4-arm|rpi4|mainline|-|-"
	"6.12 rpi4 Raspberry Pi OS stand-in|gwio-rpi4|6.12/rpi4-arm64-downstream|rpi4|downstream|-|-"
	"6.12 rpi5 Raspberry Pi OS stand-in|gwio-rpi5|6.12/rpi5-downstream|rpi5|downstream|-|-"
	"6.12 bbb mainline|gwio-bbb|6.12/bbb|bbb|mainline|-|-"
	"6.12 bbb BeagleBoard.org stand-in|gwio-bbb|6.12/bbb-beagleboard|bbb|beagleboard|-|-"
	# the Raspberry Pi parameters
	"6.12 rpi4 Raspberry Pi OS stand-in|gwio-rpi4|6.12/rpi4-arm64-downstream|rpi4|downstream|adc_cs=1|-"
	"6.12 rpi4 Raspberry Pi OS stand-in, every parameter|gwio-rpi4|6.12/rpi4-arm64-downstream|rpi4|downstream|door_gpio=22,flow_gpio=23,door_edge=rising,door_activelow=0,door_debounce=5000,door_pull=1,flow_edge=both,flow_debounce=300,flow_activelow=1,flow_pull=0,adc_cs=1,adc_speed=500000,adc_period=2000|-"
	"6.12 rpi4 Raspberry Pi OS stand-in|gwio-rpi4|6.12/rpi4-arm64-downstream|rpi4|downstream|no_adc|-"
	"6.12 rpi4-arm64 mainline|gwio-rpi4|6.12/rpi4-arm64|rpi4|mainline|adc_cs=1,adc_period=250|-"
	"6.12 rpi4-arm64 mainline|gwio-rpi4|6.12/rpi4-arm64|rpi4|mainline|no_adc|-"
	# the firmware's words for integers: up = 2, down = 1, off = 0
	"6.12 rpi4 Raspberry Pi OS stand-in, pulls by name|gwio-rpi4|6.12/rpi4-arm64-downstream|rpi4|downstream|door_pull=up,flow_pull=down,door_activelow=off|-"
	"6.12 rpi5 Raspberry Pi OS stand-in, pulls by name|gwio-rpi5|6.12/rpi5-downstream|rpi5|downstream|door_pull=down,flow_pull=up|-"
	# no_adc after adc_cs wins, whatever its value
	"6.12 rpi4 Raspberry Pi OS stand-in, no_adc last|gwio-rpi4|6.12/rpi4-arm64-downstream|rpi4|downstream|adc_cs=1,no_adc|-"
	# one logical edge on an active-low line: a pulse counted as it starts
	"6.12 rpi4-arm64 mainline, flow meter active low|gwio-rpi4|6.12/rpi4-arm64|rpi4|mainline|flow_activelow=1,flow_edge=rising|-"
	"6.12 rpi5 Raspberry Pi OS stand-in|gwio-rpi5|6.12/rpi5-downstream|rpi5|downstream|adc_cs=1,adc_speed=2000000|-"
	"6.12 rpi5 Raspberry Pi OS stand-in, every parameter|gwio-rpi5|6.12/rpi5-downstream|rpi5|downstream|door_gpio=5,flow_gpio=6,door_edge=both,door_debounce=0,door_pull=0,flow_edge=falling,flow_debounce=100,flow_activelow=0,flow_pull=1,adc_period=500|-"
	"6.12 rpi5 Raspberry Pi OS stand-in|gwio-rpi5|6.12/rpi5-downstream|rpi5|downstream|no_adc|-"
	# Debian's own DTBs, where they have symbols
	"Debian 6.12-arm64 DTB rpi4|gwio-rpi4|deb:6.12-arm64/bcm2711-rpi-4-b|rpi4|mainline|-|-"
	"Debian 6.12-armhf DTB rpi4|gwio-rpi4|deb:6.12-armhf/bcm2711-rpi-4-b|rpi4|mainline|-|-"
	"Debian 6.1-armhf DTB rpi4|gwio-rpi4|deb:6.1-armhf/bcm2711-rpi-4-b|rpi4|mainline|-|-"
	# deliberate mistakes the checks must catch
	"mistake: the old 4-cell gwio-bbb on 6.12 bbb|bad/gwio-bbb-4cell|6.12/bbb|bbb|mainline|-|pinmux:not a multiple of 3"
	"mistake: the old 4-cell gwio-bbb on the BeagleBoard.org stand-in|bad/gwio-bbb-4cell|6.12/bbb-beagleboard|bbb|beagleboard|-|conflicts:also muxed by /ocp/P8_07_pinmux"
	"mistake: a GPIO on SPI0 MISO (rpi4 stand-in)|gwio-rpi4|6.12/rpi4-arm64-downstream|rpi4|downstream|door_gpio=9|conflicts:GPIO9 also muxed by /soc/spi@7e204000"
	# cape-universal (gpio-of-helper) left holding the lines: gwio-bbb before review finding 1
	"mistake: gwio-bbb without disabling cape-universal (6.1 BeagleBoard.org stand-in)|bad/gwio-bbb-cape-universal|6.1/bbb-beagleboard|bbb|beagleboard|-|conflicts:also in /ocp/cape-universal/P8_07:gpio"
	"mistake: gwio-bbb without disabling cape-universal (6.12 BeagleBoard.org stand-in)|bad/gwio-bbb-cape-universal|6.12/bbb-beagleboard|bbb|beagleboard|-|conflicts:also in /ocp/cape-universal/P8_08:gpio"
	# line claims that are not *-gpios properties, and the other spidev
	"mistake: a gpio-hog on the flow line (rpi4 stand-in)|gwio-rpi4+bad/rpi4-gpio-hog|6.12/rpi4-arm64-downstream|rpi4|downstream|-|conflicts:also in /soc/gpio@7e200000/flow-hog:gpio-hog"
	"mistake: a gpio-hog on the flow line (6.12 rpi4-arm64 mainline)|gwio-rpi4+bad/rpi4-gpio-hog|6.12/rpi4-arm64|rpi4|mainline|-|conflicts:also in /soc/gpio@7e200000/flow-hog:gpio-hog"
	"mistake: an interrupt from the door line (rpi4 stand-in)|gwio-rpi4+bad/rpi4-gpio-irq|6.12/rpi4-arm64-downstream|rpi4|downstream|-|conflicts:line 17 of /soc/gpio@7e200000 also in /hat-sensor:interrupts"
	"mistake: the spidev on CE1 disabled too (rpi4 stand-in)|gwio-rpi4+bad/rpi4-spidev1-off|6.12/rpi4-arm64-downstream|rpi4|downstream|-|spi:/soc/spi@7e204000/spidev@1 status 'disabled', base 'okay'"
	# no_adc takes no value and must come last: given before adc_cs, adc_cs brings the CE1 ADC back
	"mistake: no_adc before adc_cs (rpi4 stand-in)|gwio-rpi4|6.12/rpi4-arm64-downstream|rpi4|downstream|no_adc,adc_cs=1|spi:ADC nodes without an ADC"
)
# and where they must not apply
refusals=(
	"gwio-rpi5|6.12/rpi5|mainline 6.12 bcm2712-rpi-5-b (no RP1)"
	"gwio-rpi4|6.12/rpi5|mainline 6.12 bcm2712-rpi-5-b (not a Pi 4)"
	"gwio-rpi5|6.12/rpi4-arm64-downstream|the Pi 4's Raspberry Pi OS stand-in (no rp1_gpio)"
	"gwio-rpi4|deb:6.1-arm64/bcm2711-rpi-4-b|Debian 6.1-arm64's bcm2711-rpi-4-b.dtb (no __symbols__)"
	"gwio-bbb|deb:6.1-armhf/am335x-boneblack|Debian 6.1-armhf's am335x-boneblack.dtb (no __symbols__)"
	"gwio-bbb|deb:6.12-armhf/am335x-boneblack|Debian 6.12-armhf's am335x-boneblack.dtb (no __symbols__)"
)
base_of() {
	if [[ $1 == deb:* ]]; then echo "${deb_dtb[${1#deb:}]:-}"; else echo "${base_dtb[$1]:-}"; fi
}
dtbo_of() {
	local o=$1 f
	[[ $o == bad/* ]] || { echo "$work/dtbo/$o.dtbo"; return; }
	f=$work/dtbo/$(basename "$o").dtbo
	[[ -f $f ]] || dtc -q -@ -I dts -O dtb -o "$f" "$tdt/$o.dtso" 2>>"$work/err"
	echo "$f"
}
i=0
declare -a merged_of=()
for c in "${cases[@]}"; do
	IFS='|' read -r cname ov base board world params expect <<<"$c"
	i=$((i + 1))
	b=$(base_of "$base")
	# "A+B": overlay A (with the parameters), then B
	IFS=+ read -r ov1 ovmore <<<"$ov"
	o=$(dtbo_of "$ov1")
	more=()
	for x in ${ovmore//+/ }; do more+=("$(dtbo_of "$x")"); done
	m=$work/merged/$i.dtb
	rc=1
	if [[ -z $b ]]; then
		echo "no base $base (see above)" >"$work/err"
	else
		if [[ $params != - ]]; then
			IFS=, read -r -a plist <<<"$params"
			"$py" "$tdt/rpi-params.py" "$o" "$work/merged/$i.dtbo" "${plist[@]}" 2>"$work/err" &&
				o=$work/merged/$i.dtbo
		fi
		fdtoverlay -i "$b" -o "$m" "$o" "${more[@]}" 2>>"$work/err" && rc=0
	fi
	shown=$cname
	[[ $params == - ]] || shown+=" [$params]"
	if [[ $expect == - ]]; then
		result $rc "$ov applies to $shown"
	else
		result $rc "$shown: $ov applies"
	fi
	((rc == 0)) && printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$shown" \
		"$board" "$world" "$params" "$m" "$b" "$expect" >>"$work/cases.tsv" &&
		[[ $expect == - ]] && merged_of+=("$base|$m|$shown")
done
# the BeagleBoard.org stand-in really has cape-universal on P8_7/P8_8,
# and gwio-bbb leaves it disabled: the lines are gwio's alone
while IFS=$'\t' read -r cname _ world _ m b expect; do
	[[ $world == beagleboard && $expect == - ]] || continue
	rc=0
	for c in P8_07 P8_08; do
		fdtget -l "$b" /ocp/cape-universal 2>/dev/null | grep -qx "$c" ||
			{ echo "base has no /ocp/cape-universal/$c" >>"$work/err"; rc=1; }
	done
	st=$(fdtget "$m" /ocp/cape-universal status 2>&1)
	[[ $st == disabled ]] || { echo "merged: /ocp/cape-universal status: $st" >>"$work/err"; rc=1; }
	result $rc "$cname: cape-universal (P8_07, P8_08 in the base) disabled, gpio2_2 and gpio2_3 free"
done <"$work/cases.tsv"
for r in "${refusals[@]}"; do
	IFS='|' read -r ov base why <<<"$r"
	b=$(base_of "$base")
	if [[ -z $b ]]; then
		echo "no base $base" >"$work/err"
		result 1 "$ov refused by $why"
		continue
	fi
	out=$(fdtoverlay -i "$b" -o "$work/refused.dtb" "$work/dtbo/$ov.dtbo" 2>&1)
	rc=$?
	if ((rc == 0)); then
		echo "fdtoverlay applied it" >"$work/err"
		result 1 "$ov refused by $why"
	else
		[[ $out == *FDT_ERR_NOTFOUND* ]] || echo "$out" >"$work/err"
		result "$([[ $out == *FDT_ERR_NOTFOUND* ]]; echo $?)" "$ov refused by $why: FDT_ERR_NOTFOUND"
	fi
done

# --- 5. qemu virt (the board vm-dt boots) -----------------------------------
{
	qemu-system-aarch64 -M virt,dumpdtb="$work/virt.dtb" -cpu cortex-a72 \
		-nographic >/dev/null 2>&1 &&
		dtc -q -I dtb -O dts "$work/virt.dtb" |
		sed 's|^\tpl061@9030000 {|\tpl061: pl061@9030000 {|' >"$work/virt.dts" &&
		dtc -q -@ -I dts -O dtb -o "$work/virt-l.dtb" "$work/virt.dts" &&
		fdtoverlay -i "$work/virt-l.dtb" -o "$work/merged/virt.dtb" "$work/dtbo/gwio-qemu-virt.dtbo" &&
		[[ $(fdtget "$work/merged/virt.dtb" /gpio-keys status) == disabled ]]
} >"$work/err" 2>&1
rc=$?
result $rc "gwio-qemu-virt applies to qemu's own virt DTB, gpio-keys disabled"
if ((rc == 0)); then
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "qemu virt" virt qemu - "$work/merged/virt.dtb" \
		"$work/virt-l.dtb" - >>"$work/cases.tsv"
	# a mistake: the line left to gpio-keys too
	dtc -q -@ -I dts -O dtb -o "$work/keys.dtbo" "$tdt/bad/gwio-qemu-virt-keys.dtso" &&
		fdtoverlay -i "$work/virt-l.dtb" -o "$work/merged/virt-keys.dtb" "$work/keys.dtbo" &&
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "mistake: gpio-keys left on the power button line (qemu virt)" \
			virt qemu - "$work/merged/virt-keys.dtb" "$work/virt-l.dtb" "conflicts:also in /gpio-keys/" >>"$work/cases.tsv"
	dtc -q -@ -I dts -O dtb -o "$work/bad.dtbo" "$top/tests/vm/dt/bad.dtso" &&
		fdtoverlay -i "$work/merged/virt.dtb" -o "$work/virt-bad.dtb" "$work/bad.dtbo" 2>"$work/err"
	result $? "tests/vm/dt/bad.dtso applies to the virt tree"
fi

py_check trees "$work/cases.tsv"

# --- 6. dt-schema -----------------------------------------------------------
# per series: our bindings and that kernel's spi-peripheral-props.yaml
# (with the *-peripheral-props.yaml it refers to) in one schema folder
for s in 6.1 6.12; do
	sch=$work/schemas-$s
	mkdir -p "$sch/spi"
	cp "$top"/dts/bindings/*.yaml "$sch/"
	cp "$dtcache/linux-$s"/Documentation/devicetree/bindings/spi/*peripheral-props.yaml "$sch/spi/" 2>"$work/err"
	for y in "$top"/dts/bindings/*.yaml; do
		n=$(basename "$y")
		# it prints problems and may still exit 0: any output is a failure
		dt-doc-validate -u "$sch" "$sch/$n" >"$work/err" 2>&1
		rc=$?
		[[ -s $work/err ]] && rc=1
		sed -i "s|$sch/|dts/bindings/|g" "$work/err"
		result $rc "dt-doc-validate $n (with $s's spi-peripheral-props.yaml)"
	done
	dt-mk-schema -j -o "$work/processed-$s.json" "$sch" >"$work/err" 2>&1
	rc=$?
	[[ -s $work/err ]] && rc=1
	result $rc "dt-mk-schema: gwio bindings + dt-schema's core schemas ($s)"
done
# the bindings' own examples, as the kernel's dt_binding_check runs them
for y in "$top"/dts/bindings/*.yaml; do
	n=$(basename "$y" .yaml)
	{
		dt-extract-example "$y" >"$work/ex-$n.dts" &&
			cpp -nostdinc -undef -D__DTS__ -x assembler-with-cpp \
				-I "$dtcache/linux-6.12/scripts/dtc/include-prefixes" \
				-o "$work/ex-$n.pp" "$work/ex-$n.dts" &&
			dtc -q -I dts -O dtb -o "$work/ex-$n.dtb" "$work/ex-$n.pp" &&
			dt-validate -s "$work/processed-6.12.json" "$work/ex-$n.dtb"
	} >"$work/err" 2>&1
	rc=$?
	[[ -s $work/err ]] && rc=1
	result $rc "the examples of $n.yaml compile and validate"
done

# every merged tree: clean against the gwio bindings (-l), and nothing new
# against every schema (dt-schema's core schemas + ours) that the base
# did not already draw (the boards' own trees have complaints of their
# own with Debian 12's dt-schema 2022.08)
clean_args=() new_args=() bases_v=() merged_v=()
for mo in "${merged_of[@]}"; do
	IFS='|' read -r base m cname <<<"$mo"
	clean_args+=("$m=$cname")
	bases_v+=("$(base_of "$base")")
	merged_v+=("$m")
	new_args+=("$(base_of "$base")=$m=$cname")
done
clean_args+=("$work/merged/virt.dtb=qemu virt")
merged_v+=("$work/merged/virt.dtb")
# 6.12's schema for all: the two series' spi-peripheral-props differ in
# properties no gwio node uses (both pass dt-doc-validate above)
dt-validate -M -l /gwio, -s "$work/processed-6.12.json" "${merged_v[@]}" >"$work/v-clean.txt" 2>&1
py_check schema clean "$work/v-clean.txt" "${clean_args[@]}"
mapfile -t ubases < <(printf '%s\n' "${bases_v[@]}" | sort -u)
dt-validate -s "$work/processed-6.12.json" "${ubases[@]}" >"$work/v-base.txt" 2>&1
dt-validate -s "$work/processed-6.12.json" "${merged_v[@]}" >"$work/v-merged.txt" 2>&1
py_check schema new "$work/v-base.txt" "$work/v-merged.txt" "${new_args[@]}"

# broken trees, refused node by node
b=${base_dtb[6.12/rpi4-arm64]:-}
if [[ -n $b ]] && dtc -q -@ -I dts -O dtb -o "$work/broken.dtbo" "$tdt/broken/gwio-broken.dtso" 2>"$work/err" &&
	fdtoverlay -i "$b" -o "$work/broken.dtb" "$work/broken.dtbo" 2>>"$work/err"; then
	dt-validate -l /gwio, -s "$work/processed-6.12.json" "$work/broken.dtb" >"$work/v-broken.txt" 2>&1
	py_check schema broken "$work/v-broken.txt" "$work/broken.dtb" "tests/dt/broken/gwio-broken.dtso" \
		"gwio-no-gpios='gpios' is a required property" \
		"gwio-bad-type='thermocouple' is not one of" \
		"gwio-bad-edge='sideways' is not one of" \
		"gwio-bad-reg=300 is greater than the maximum of 255" \
		"gwio-bad-debounce=2000000 is greater than the maximum" \
		"gwio-small-ring=100 is less than the minimum of 256" \
		"gwio-long-label='a-device-label-of-thirty-two-chr' does not match" \
		"gwio-slash-label='door/left' does not match" \
		"gwio-typo='gwio,debounce' does not match any of the regexes" \
		"gwio-no-cells='#address-cells' is a required property" \
		"adc@0=5 is less than the minimum of 10" \
		"adc@1='gwio,period-us' is a required property" \
		"adc@2='gwio,transfer-bytes' is a required property" \
		"adc@3='spi-max-frequncy' was unexpected" \
		"adc@4=40 is greater than the maximum of 32"
else
	result 1 "tests/dt/broken/gwio-broken.dtso applies to 6.12 rpi4-arm64"
fi
if [[ -f $work/virt-bad.dtb ]]; then
	dt-validate -l /gwio, -s "$work/processed-6.12.json" "$work/virt-bad.dtb" >"$work/v-virt-bad.txt" 2>&1
	# gwio-dup-label is the driver's to refuse: no schema sees two equal labels
	py_check schema broken "$work/v-virt-bad.txt" "$work/virt-bad.dtb" "tests/vm/dt/bad.dtso" \
		"gwio-no-gpios='gpios' is a required property" \
		"gwio-bad-type='thermocouple' is not one of" \
		"gwio-bad-reg=300 is greater than the maximum of 255" \
		"gwio-bad-edge='sideways' is not one of" \
		"gwio-no-channels='#address-cells' is a required property"
fi

echo "dt: $passed passed, $failed failed"
((failed == 0))
