# shellcheck shell=bash
# Shared helpers for the gwio VM test harness (sourced, not executed).

GWIO_CACHE="${GWIO_CACHE:-$HOME/.cache/gwio}"
KCACHE="$GWIO_CACHE/kernels"
DEBCACHE="$KCACHE/debs"
# Every kernel the harness knows: SERIES-[rt-]ARCH, ARCH a Debian
# architecture (armhf boots Debian's armmp flavour, rt- the PREEMPT_RT one).
ALL_IDS=(6.1-amd64 6.1-arm64 6.12-amd64 6.12-arm64 6.1-armhf 6.12-armhf 6.12-rt-amd64 6.12-rt-armhf)
# The four every suite runs on by default; see vm_default_ids for the rest.
BASE_IDS=(6.1-amd64 6.1-arm64 6.12-amd64 6.12-arm64)
# Kernels built here from Debian's linux-source (tests/vm/build-debug-kernel.sh,
# which fetch-kernels.sh calls for them) with the kernel's own debugging on:
# valid everywhere an ID is, in no default list (not even ALL_IDS: a cold
# build takes most of an hour); make check-debug runs the suites on them.
DEBUG_IDS=(6.12-debug-amd64)

# apt-get download refuses to drop privileges to _apt for a directory _apt
# cannot write and prints a noisy warning; we are root in CI, so just say so.
APT_DL=(apt-get -q -o APT::Sandbox::User=root download)

die() { echo "error: $*" >&2; exit 1; }
log() { echo "[${LOG_TAG:-vm}] $*" >&2; }

valid_id() {
	local id
	for id in "${ALL_IDS[@]}" "${DEBUG_IDS[@]}"; do [[ $1 == "$id" ]] && return 0; done
	return 1
}

# is_debug_id ID: one of DEBUG_IDS (built, not downloaded);
# debug_id_fragment ID: its config fragment, relative to tests/vm/
is_debug_id() {
	local id
	for id in "${DEBUG_IDS[@]}"; do [[ $1 == "$id" ]] && return 0; done
	return 1
}
debug_id_fragment() {
	case $1 in
	*-debug-*) echo debug-kernel.config ;;
	*) return 1 ;;
	esac
}

# id_arch ID: the Debian architecture (amd64, arm64, armhf);
# id_series ID: 6.1 or 6.12; id_flavour ID: Debian's kernel flavour
# (amd64, arm64, armmp, rt-amd64, rt-armmp; debug-amd64 for the one built
# here, which is no Debian flavour).
id_arch() { echo "${1##*-}"; }
id_series() { echo "${1%%-*}"; }
id_flavour() {
	local a=${1##*-} f
	f=$a
	[[ $a == armhf ]] && f=armmp
	[[ $1 == *-rt-* ]] && f=rt-$f
	[[ $1 == *-debug-* ]] && f=debug-$f
	echo "$f"
}

# vm_default_ids SUITE: the kernels SUITE runs on when given none.
#   GWIO_VM_IDS="ID..."  overrides every suite's list (make check on one
#                        kernel, or the whole matrix)
#   GWIO_ARMHF=1|0       6.1-armhf and 6.12-armhf in the suites that run
#                        on them (ring abi gpio spi dt sparse): 1 (default), 0
#                        to leave them out; the harness self-test always
#                        has them
#   GWIO_RT=1|0          PREEMPT_RT (6.12-rt-amd64) in ring, abi, gpio,
#                        spi, stress and sparse: 1 (default), 0 to leave it out
vm_default_ids() {
	local suite=$1 ids=()
	if [[ -n ${GWIO_VM_IDS:-} ]]; then
		read -r -a ids <<<"$GWIO_VM_IDS"
		# vm-dt needs the arm virt board: its share of the list
		[[ $suite == dt ]] && mapfile -t ids < <(printf '%s\n' "${ids[@]}" | grep -E -- '-arm(64|hf)$')
		printf '%s\n' "${ids[@]}"
		return
	fi
	case $suite in
	dt) ids=(6.1-arm64 6.12-arm64) ;;
	harness) ids=("${ALL_IDS[@]}") ;;
	# each boot is two minutes of loops: one of each kernel version and
	# architecture pair is enough for make check (GWIO_VM_IDS for more)
	stress) ids=(6.1-amd64 6.12-arm64) ;;
	*) ids=("${BASE_IDS[@]}") ;;
	esac
	if [[ ${GWIO_ARMHF:-1} == 1 ]]; then
		case $suite in
		ring | abi | gpio | spi | dt | sparse) ids+=(6.1-armhf 6.12-armhf) ;;
		esac
	fi
	case ${GWIO_RT:-1}:$suite in
	1:ring | 1:abi | 1:gpio | 1:spi | 1:stress | 1:sparse) ids+=(6.12-rt-amd64) ;;
	esac
	printf '%s\n' "${ids[@]}"
}

# Foreign-arch packages (arm64 kernels, busybox-static:arm64) are invisible to
# apt until the architecture is added and the lists refreshed.
ensure_apt_arch() {
	local arch=$1
	[[ $arch == "$(dpkg --print-architecture)" ]] && return 0
	# not "dpkg ... | grep -q": under pipefail, grep's early exit can cost
	# dpkg a SIGPIPE, and the test would fail with the arch present
	if ! grep -qx "$arch" <<<"$(dpkg --print-foreign-architectures)"; then
		((EUID == 0)) || die "dpkg does not know the $arch architecture: 'make deps' adds it (through sudo)"
		log "adding dpkg architecture $arch (needs root) and refreshing apt lists"
		dpkg --add-architecture "$arch"
		apt-get update -q >&2
	fi
}

# Print "name version arch" for the candidate of each package given
# ("name" or "name:arch"), in apt's order, one apt-cache call for all.
pkg_candidates() {
	apt-cache show --no-all-versions "$@" |
		awk '/^Package:/ {p=$2} /^Version:/ {v=$2} /^Architecture:/ {a=$2}
		     /^$/ {if (p) print p, v, a; p=""}'
}

# fetch_deb NAME VERSION ARCH: download that exact .deb into DEBCACHE unless
# already there, print its absolute path. The file name is the one
# apt-get download writes (epoch ":" escaped as %3a), so a rerun is offline.
fetch_deb() {
	local name=$1 ver=$2 arch=$3 f
	f=${name}_${ver//:/%3a}_${arch}.deb
	mkdir -p "$DEBCACHE"
	if [[ ! -s $DEBCACHE/$f ]]; then
		log "downloading $name $ver ($arch)"
		local spec=$name=$ver
		[[ $arch == all ]] || spec=$name:$arch=$ver
		(cd "$DEBCACHE" && "${APT_DL[@]}" "$spec" >&2) || die "apt-get download $spec failed"
		[[ -s $DEBCACHE/$f ]] || die "apt-get download $spec did not produce $f"
	fi
	echo "$DEBCACHE/$f"
}

# True when the apt lists have not changed since FILE was written: nothing
# apt could resolve differently, so callers may skip the (slow, ~1 s per
# apt-cache call) resolution entirely.
apt_unchanged_since() {
	[[ -f $1 ]] || return 1
	[[ -z $(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -newer "$1" -print -quit) ]]
}

# --- what the suites share ----------------------------------------------

# vm_build_module ID DIR WORK [SRC]: gwio.ko for kernel ID into DIR, built
# in a copy of the sources under WORK (M= writes objects beside the
# sources); SRC is the tree whose Kbuild and kmod/ to build (default this
# one; tests/bench/ring/compare-vm.sh gives an older commit's).
vm_build_module() {
	local id=$1 dir=$2 work=$3 top
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	top=${4:-$top}
	(
		# shellcheck source=/dev/null
		. "$KCACHE/$id.env"
		mkdir -p "$work/build" "$dir"
		cp -r "$top/Kbuild" "$top/kmod" "$work/build/"
		make -s -C "$KDIR" M="$work/build" ARCH="$KARCH" \
			CROSS_COMPILE="$CROSS_COMPILE" modules
		cp "$work/build/gwio.ko" "$dir/"
	)
}

# vm_build_tools ID DIR WORK: the static userspace tools (gwio-cat) for
# kernel ID's architecture into DIR.
vm_build_tools() {
	local id=$1 dir=$2 work=$3 top
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	(
		# shellcheck source=/dev/null
		. "$KCACHE/$id.env"
		make -s -C "$top/userspace" BUILD="$work/us" \
			CC="${CROSS_COMPILE}gcc" AR="${CROSS_COMPILE}ar" \
			STATIC=1 tools >&2
		cp "$work/us/gwio-cat" "$dir/"
	)
}

# vm_build_payload ID DIR WORK: gwio.ko, the test-only modules of
# tests/kmod and a static gwio-cat for kernel ID, all into DIR.
vm_build_payload() {
	local top
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	vm_build_module "$@"
	"$top/tests/kmod/build.sh" "$1" "$2" >&2
	vm_build_tools "$@"
}

# vm_sysroot DIR DEB_ARCH PKG...: Debian's DEB_ARCH builds of exactly these
# packages (their candidates), fetched with apt-get download into the
# cache and unpacked into DIR; again only when a candidate changed.  For
# cross builds and foreign guests (demo/foreign.sh, tests/cross/unit.sh):
# nothing is installed on the host.
vm_sysroot() {
	local dir=$1 darch=$2 infos info stamp n v a
	shift 2
	mkdir -p "$KCACHE"
	exec 9>"$KCACHE/.lock"
	flock 9
	ensure_apt_arch "$darch"
	mapfile -t infos < <(pkg_candidates "${@/%/:$darch}")
	((${#infos[@]} == $#)) || die "apt-cache show found ${#infos[@]} of $# $darch packages"
	stamp=$(printf '%s\n' "${infos[@]}")
	if [[ ! -f $dir/.stamp || $(<"$dir/.stamp") != "$stamp" ]]; then
		log "unpacking ${#infos[@]} $darch packages into $dir"
		rm -rf "$dir"
		mkdir -p "$dir"
		for info in "${infos[@]}"; do
			read -r n v a <<<"$info"
			dpkg -x "$(fetch_deb "$n" "$v" "$a")" "$dir"
		done
		echo "$stamp" >"$dir/.stamp"
	fi
	exec 9>&-
}

# vm_host_programs ROOTFS SRC[:DEST]...: the host's dynamically linked
# programs SRC for an initramfs extras tree (run-vm.sh's GWIO_VM_ROOTFS):
# each at DEST (default SRC; "SRC:" for its libraries only, when the
# program itself travels in the payload) inside ROOTFS, with every shared library and
# the dynamic loader ldd names for it, at the paths ldd resolves them to,
# so the loader's own search finds them in the guest too (same paths, same
# ld.so).  Only guests of the host's architecture can run them.
vm_host_programs() {
	local rootfs=$1 spec src dest out f
	shift
	for spec in "$@"; do
		src=${spec%%:*} dest=${spec#*:}
		[[ $spec == *:* ]] || dest=$src
		if [[ -n $dest ]]; then
			mkdir -p "$rootfs$(dirname "$dest")"
			cp -L "$src" "$rootfs$dest"
		fi
		out=$(ldd "$src") || die "ldd $src failed"
		if grep -q 'not found' <<<"$out"; then
			die "$src: $(grep 'not found' <<<"$out" | tr '\n' ' ')"
		fi
		while read -r f; do
			[[ -e $rootfs$f ]] && continue
			mkdir -p "$rootfs$(dirname "$f")"
			cp -L "$f" "$rootfs$f"
		done < <(awk '$2 == "=>" && $3 ~ /^\// { print $3; next }
			      $1 ~ /^\// { print $1 }' <<<"$out")
	done
}

# vm_virt_dtb OUT WORK [OVERLAY.dtso...]: qemu virt's own DTB for the
# machine run-vm.sh boots (memory and CPU count are in it; arm64, or armhf
# with VM_DTB_ARCH=armhf: the same board and PL061 on 32 bits), its PL061
# given the label "pl061" that dts/overlays/gwio-qemu-virt.dtso refers to,
# rebuilt with symbols, with the gwio overlay and any others applied.
vm_virt_dtb() {
	local out=$1 work=$2 top o dtbos=()
	shift 2
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	local qemu=(qemu-system-aarch64 -M virt -cpu cortex-a72)
	# the -M and -cpu of fetch-kernels.sh's armhf QEMU_ARGS
	[[ ${VM_DTB_ARCH:-arm64} == armhf ]] &&
		qemu=(qemu-system-arm -M "virt,highmem=off" -cpu cortex-a15)
	"${qemu[@]}" -m "${GWIO_VM_MEM:-1024}" \
		-smp "${GWIO_VM_SMP:-2}" -nographic \
		-machine dumpdtb="$work/virt.dtb" >/dev/null 2>&1
	dtc -q -I dtb -O dts "$work/virt.dtb" |
		sed 's|^\tpl061@9030000 {|\tpl061: pl061@9030000 {|' >"$work/virt.dts"
	grep -q 'pl061: pl061@' "$work/virt.dts" || die "no PL061 in qemu's DTB"
	dtc -q -@ -I dts -O dtb -o "$work/virt-l.dtb" "$work/virt.dts"
	for o in "$top/dts/overlays/gwio-qemu-virt.dtso" "$@"; do
		dtbos+=("$work/$(basename "$o" .dtso).dtbo")
		dtc -q -@ -I dts -O dtb -o "${dtbos[-1]}" "$o"
	done
	fdtoverlay -i "$work/virt-l.dtb" -o "$out" "${dtbos[@]}"
}

# vm_boot_all SUITE WORK ID...: boot each ID with WORK/ID/payload (at most
# GWIO_VM_JOBS at once), print the verdicts and "vm-SUITE: N passed, N
# failed"; false if anything failed.  Console logs go to
# GWIO_VM_LOGDIR/SUITE-ID.log.  Optional hooks, names of functions called
# with "ID LOG" (their output counts like the guest's PASS/FAIL lines):
#   VM_SETUP   called with "ID" only, in the boot's own subshell just
#              before it: may export run-vm.sh options for that kernel
#              (vm-dt's per-architecture GWIO_VM_DTB)
#   VM_DURING  runs in the background while the VM boots (e.g. drives the
#              qemu monitor, at WORK/ID.mon when VM_MONITOR=1)
#   VM_AFTER   runs after the VM exited (e.g. checks its log on the host)
vm_boot_all() {
	local suite=$1 work=$2 id p f pass=0 fail=0 log
	local logdir=${GWIO_VM_LOGDIR:-${TMPDIR:-/tmp}/gwio-vm-logs-$(id -u)}
	local -A pid_of=()
	shift 2
	mkdir -p "$logdir"
	for id in "$@"; do
		while (($(jobs -rp | wc -l) >= ${GWIO_VM_JOBS:-1})); do
			wait -n || true
		done
		log=$logdir/$suite-$id.log
		rm -f "$log"
		(
			during=
			[[ -z ${VM_SETUP:-} ]] || "$VM_SETUP" "$id"
			[[ ${VM_MONITOR:-0} == 1 ]] && export GWIO_VM_MONITOR=$work/$id.mon
			if [[ -n ${VM_DURING:-} ]]; then
				"$VM_DURING" "$id" "$log" &
				during=$!
			fi
			"$(dirname "${BASH_SOURCE[0]}")/run-vm.sh" "$id" \
				"$work/$id/payload" "$log" || true
			if [[ -n $during ]]; then
				kill "$during" 2>/dev/null || true
				wait "$during" 2>/dev/null || true
			fi
			if [[ -n ${VM_AFTER:-} ]]; then
				"$VM_AFTER" "$id" "$log"
			fi
		) >"$work/$id.out" 2>&1 &
		pid_of[$id]=$!
	done
	for id in "$@"; do
		wait "${pid_of[$id]}" || true
		cat "$work/$id.out"
		p=$(grep -c "^\[$id\] PASS" "$work/$id.out" || true)
		f=$(grep -c "^\[$id\] FAIL" "$work/$id.out" || true)
		# a VM that died or logged a kernel problem fails without a FAIL line
		if ! grep -q "^vm $id: .* 0 failed" "$work/$id.out" && ((f == 0)); then
			f=1
		fi
		pass=$((pass + p)) fail=$((fail + f))
	done
	echo "logs: $logdir"
	echo "vm-$suite: $pass passed, $fail failed"
	((fail == 0))
}

# vm_kmod_suite SUITE ID...: the usual suite: gwio.ko, the test modules and
# gwio-cat for each kernel (default: all four), tests/vm/SUITE/run-tests.sh
# as the guest's script, vm_boot_all.
vm_kmod_suite() {
	local suite=$1 here id work
	shift
	local ids=("$@")
	((${#ids[@]})) || mapfile -t ids < <(vm_default_ids "$suite")
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	"$here/fetch-kernels.sh" "${ids[@]}" >&2
	work=$(mktemp -d "${TMPDIR:-/tmp}/gwio-$suite.XXXXXX")
	# shellcheck disable=SC2064 # expand now: work is local
	trap "rm -rf '$work'" EXIT
	for id in "${ids[@]}"; do
		echo "building for $id" >&2
		vm_build_payload "$id" "$work/$id/payload" "$work/$id"
		cp "$here/$suite/run-tests.sh" "$work/$id/payload/"
	done
	vm_boot_all "$suite" "$work" "${ids[@]}"
}
