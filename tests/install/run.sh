#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/install/run.sh — `make install` into a DESTDIR works as installed
# (docs/install.md): with the default PREFIX and with PREFIX=/usr, every
# path the systemd unit, the udev rules and the sysusers file name is
# there, the groups they use are declared, gwiod accepts the installed
# configuration, a second install keeps an edited one, the module lands
# under lib/modules/<the headers' release>/ and make says where.
#
# Root or not, it writes only below a temporary directory: never into /.
# One PASS/FAIL line per check, then "install: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

pass=0 fail=0
ok() { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
check() { # check WHAT COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
finish() {
	echo "install: $pass passed, $fail failed"
	((fail == 0))
	exit
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gwio-install.XXXXXX") || exit 1
case $tmp in /tmp/?* | /var/tmp/?* | "${TMPDIR:-/nonexistent}"/?*) ;; *)
	echo "refusing temporary directory '$tmp'"
	exit 1
	;;
esac
trap 'rm -rf "$tmp"' EXIT

# What this machine's / holds before: the test must leave it as it was.
real_paths=(/usr/lib/systemd/system/gwiod.service /usr/lib/sysusers.d/gwio.conf
	/usr/lib/udev/rules.d/60-gwio.rules /usr/lib/udev/gwio-links
	/etc/gwiod /usr/local/sbin/gwiod /usr/sbin/gwiod /etc/group)
snapshot() {
	local p
	for p in "${real_paths[@]}" /lib/modules/*/extra/gwio.ko*; do
		[[ -e $p ]] && stat -c '%n %Y %s' "$p"
	done
	true
}
before=$(snapshot)

# The release the module is built for, from its own vermagic.
ko_release() {
	tr '\0' '\n' <"$top/gwio.ko" | sed -n 's/^vermagic=\([^ ]*\).*/\1/p' | head -n 1
}

# Words of the unit's KEY= lines, one line per occurrence.
unit_values() { sed -n "s/^$2=//p" "$1"; }

# Every path a systemd unit names exists in DESTDIR.
check_unit() { # DESTDIR LABEL PREFIX
	local d=$1 label=$2 prefix=$3 unit=$1/usr/lib/systemd/system/gwiod.service
	local key line bin words w doc grp sysusers=("$d"/usr/lib/sysusers.d/*.conf)

	check "$label: unit installed as /usr/lib/systemd/system/gwiod.service" test -f "$unit"
	[[ -f $unit ]] || return
	check "$label: unit has no @VARIABLE@ left" bash -c "! grep -q '@[A-Z]*@' '$unit'"
	check "$label: ExecStart runs $prefix/sbin/gwiod" \
		test "$(unit_values "$unit" ExecStart | awk '{print $1}')" = "$prefix/sbin/gwiod"
	for key in ExecStartPre ExecStart ExecStartPost ExecReload ExecStop; do
		while read -r line; do
			[[ -n $line ]] || continue
			read -r -a words <<<"$line"
			bin=${words[0]##[-@:+!]}
			bin=${bin##[-@:+!]}
			if [[ $bin == /bin/kill ]]; then
				echo "note: $label: $key $bin is the system's, not checked"
			else
				check "$label: $key binary $bin exists in DESTDIR" test -x "$d$bin"
			fi
			for w in "${words[@]:1}"; do
				[[ $w == /* ]] || continue
				check "$label: $key argument $w exists in DESTDIR" test -e "$d$w"
			done
		done < <(unit_values "$unit" "$key")
	done
	for doc in $(unit_values "$unit" Documentation); do
		case $doc in
		file:*)
			doc=${doc#file:}
			doc=/${doc#"${doc%%[!/]*}"}
			check "$label: Documentation $doc exists in DESTDIR" test -f "$d$doc"
			;;
		*) echo "note: $label: Documentation $doc not a file, not checked" ;;
		esac
	done
	for grp in $(unit_values "$unit" SupplementaryGroups) $(unit_values "$unit" Group); do
		check "$label: unit's group $grp is declared by a sysusers.d file" \
			grep -qsE "^g[[:space:]]+$grp([[:space:]]|\$)" "${sysusers[@]}"
	done
}

# Every program the udev rules run exists where udev looks: relative names
# in /usr/lib/udev (udev(7)), absolute ones as they are.
check_udev() { # DESTDIR LABEL
	local d=$1 label=$2 rules prog grp n=0
	for rules in "$d"/usr/lib/udev/rules.d/*.rules; do
		[[ -f $rules ]] || continue
		n=$((n + 1))
		while read -r prog; do
			[[ $prog == /* ]] || prog=/usr/lib/udev/$prog
			check "$label: ${rules##*/} runs $prog, in DESTDIR" test -x "$d$prog"
		done < <(grep -oE '(PROGRAM|RUN\+?|IMPORT\{program\})="[^" ]+' "$rules" |
			sed 's/.*="//')
		while read -r grp; do
			check "$label: ${rules##*/} group $grp is declared by a sysusers.d file" \
				grep -qsE "^g[[:space:]]+$grp([[:space:]]|\$)" "$d"/usr/lib/sysusers.d/*.conf
		done < <(grep -oE 'GROUP="[^"]+' "$rules" | sed 's/.*="//' | sort -u)
	done
	check "$label: udev rules installed in /usr/lib/udev/rules.d" test "$n" -gt 0
	check "$label: sysusers file /usr/lib/sysusers.d/gwio.conf" \
		test -f "$d/usr/lib/sysusers.d/gwio.conf"
}

# The installed gwiod accepts the installed configuration (both as the
# unit names them).
check_config() { # DESTDIR LABEL
	local d=$1 label=$2 unit=$1/usr/lib/systemd/system/gwiod.service pre words out
	pre=$(unit_values "$unit" ExecStartPre | head -n 1)
	read -r -a words <<<"$pre"
	if [[ ${words[1]:-} != --check-config || -z ${words[2]:-} ]]; then
		bad "$label: ExecStartPre is gwiod --check-config FILE ($pre)"
		return
	fi
	if out=$("$d${words[0]}" --check-config "$d${words[2]}" 2>&1); then
		ok "$label: installed gwiod --check-config accepts the installed ${words[2]}"
	else
		bad "$label: installed gwiod --check-config ${words[2]}: $out"
	fi
}

# The module: under lib/modules/<vermagic release>/ and nowhere else, and
# the install said so; make said it does not match the running kernel.
check_module() { # DESTDIR LABEL LOG
	local d=$1 label=$2 log=$3 rel running ko others
	rel=$(ko_release)
	running=$(uname -r)
	if [[ -z $rel ]]; then
		bad "$label: gwio.ko built, with a vermagic"
		return
	fi
	ko=$(find "$d/lib/modules/$rel" -name 'gwio.ko*' 2>/dev/null | head -n 1)
	check "$label: gwio.ko installed under lib/modules/$rel/ (${ko#"$d"})" test -n "$ko"
	others=$(find "$d/lib/modules" -name 'gwio.ko*' -not -path "$d/lib/modules/$rel/*" 2>/dev/null)
	check "$label: gwio.ko under no other lib/modules/ release" test -z "$others"
	[[ -n $ko ]] &&
		check "$label: make install names $ko" grep -qF "installed for kernel $rel: $ko" "$log"
	check "$label: make install says depmod was not run into DESTDIR" \
		grep -qF "depmod not run (DESTDIR): run depmod -a $rel" "$log"
	if [[ $rel != "$running" ]]; then
		check "$label: make says the module ($rel) will not load in the running $running" \
			grep -qF "built for kernel $rel" "$log"
		check "$label: make says how to pick other headers (KDIR=)" grep -qF "KDIR=" "$log"
	else
		check "$label: no mismatch note, headers are the running kernel's" \
			bash -c "! grep -q 'will not load it' '$log'"
	fi
}

# systemd's own tools, on a scratch copy of DESTDIR: the real / stays.
check_systemd() { # DESTDIR LABEL
	local d=$1 label=$2 root=$tmp/verify-root out u
	rm -rf "$root"
	cp -a "$d" "$root"
	if command -v systemd-sysusers >/dev/null; then
		if out=$(systemd-sysusers --root="$root" 2>&1) &&
			grep -qs '^gwio:' "$root/etc/group"; then
			ok "$label: systemd-sysusers --root creates group gwio"
		else
			bad "$label: systemd-sysusers --root creates group gwio: $out"
		fi
	else
		echo "note: no systemd-sysusers here, sysusers file not run"
	fi
	if command -v systemd-analyze >/dev/null; then
		# what the unit needs from the system: /bin/kill, sysinit.target
		mkdir -p "$root/bin" "$root/usr/lib/systemd/system"
		cp "$(command -v kill || echo /bin/kill)" "$root/bin/kill" 2>/dev/null ||
			printf '#!/bin/sh\n' >"$root/bin/kill"
		chmod 755 "$root/bin/kill"
		for u in sysinit.target basic.target; do
			[[ -f /usr/lib/systemd/system/$u ]] &&
				cp "/usr/lib/systemd/system/$u" "$root/usr/lib/systemd/system/"
		done
		if out=$(systemd-analyze verify --man=no --root="$root" \
			/usr/lib/systemd/system/gwiod.service 2>&1) && [[ -z $out ]]; then
			ok "$label: systemd-analyze verify gwiod.service"
		else
			bad "$label: systemd-analyze verify gwiod.service: $out"
		fi
	else
		echo "note: no systemd-analyze here, unit not verified"
	fi
	rm -rf "$root"
}

install_into() { # DESTDIR LOG MAKEARGS...
	local d=$1 log=$2
	shift 2
	make -C "$top" --no-print-directory install DESTDIR="$d" "$@" >"$log" 2>&1
}

# --- the default PREFIX (/usr/local)
d=$tmp/default
log=$tmp/default.log
if install_into "$d" "$log"; then
	ok "default: make install DESTDIR=... exits 0"
else
	bad "default: make install DESTDIR=... exits 0"
	tail -n 30 "$log"
	finish
fi
check_unit "$d" default /usr/local
check_udev "$d" default
check_config "$d" default
check_module "$d" default "$log"
check_systemd "$d" default
check "default: config in /etc/gwiod, not /usr/local/etc (SYSCONFDIR=/etc)" \
	test -f "$d/etc/gwiod/gwiod.yaml" -a ! -e "$d/usr/local/etc"

# A second install keeps an edited configuration.
conf=$d/etc/gwiod/gwiod.yaml
echo "# edited by tests/install" >>"$conf"
sum=$(md5sum <"$conf")
log2=$tmp/default2.log
if install_into "$d" "$log2"; then
	ok "default: second make install exits 0"
else
	bad "default: second make install exits 0"
	tail -n 30 "$log2"
fi
check "default: second install keeps the edited gwiod.yaml" test "$(md5sum <"$conf")" = "$sum"
check "default: second install says it kept gwiod.yaml" grep -qF "kept $conf" "$log2"

# Uninstall takes everything but the configuration.
if make -C "$top" --no-print-directory uninstall DESTDIR="$d" >"$tmp/uninstall.log" 2>&1; then
	left=$(cd "$d" && find . \( -type f -o -type l \) -not -path ./etc/gwiod/gwiod.yaml)
	check "default: make uninstall leaves only etc/gwiod/gwiod.yaml${left:+ (left: $left)}" \
		test -z "$left" -a -f "$conf"
else
	bad "default: make uninstall exits 0"
	tail -n 20 "$tmp/uninstall.log"
fi

# --- PREFIX=/usr, as a distribution package would
d=$tmp/usr
log=$tmp/usr.log
if install_into "$d" "$log" PREFIX=/usr; then
	ok "usr: make install PREFIX=/usr DESTDIR=... exits 0"
	check_unit "$d" usr /usr
	check_udev "$d" usr
	check_config "$d" usr
	check_module "$d" usr "$log"
	check_systemd "$d" usr
	check "usr: nothing under usr/local" test ! -e "$d/usr/local"
else
	bad "usr: make install PREFIX=/usr DESTDIR=... exits 0"
	tail -n 30 "$log"
fi

check "this machine's / is as it was (unit, udev, sysusers, module, /etc/group)" \
	test "$(snapshot)" = "$before"
finish
