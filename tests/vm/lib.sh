# shellcheck shell=bash
# Shared helpers for the gwio VM test harness (sourced, not executed).

GWIO_CACHE="${GWIO_CACHE:-$HOME/.cache/gwio}"
KCACHE="$GWIO_CACHE/kernels"
DEBCACHE="$KCACHE/debs"
ALL_IDS=(6.1-amd64 6.1-arm64 6.12-amd64 6.12-arm64)

# apt-get download refuses to drop privileges to _apt for a directory _apt
# cannot write and prints a noisy warning; we are root in CI, so just say so.
APT_DL=(apt-get -q -o APT::Sandbox::User=root download)

die() { echo "error: $*" >&2; exit 1; }
log() { echo "[${LOG_TAG:-vm}] $*" >&2; }

valid_id() {
	local id
	for id in "${ALL_IDS[@]}"; do [[ $1 == "$id" ]] && return 0; done
	return 1
}

# Foreign-arch packages (arm64 kernels, busybox-static:arm64) are invisible to
# apt until the architecture is added and the lists refreshed.
ensure_apt_arch() {
	local arch=$1
	[[ $arch == "$(dpkg --print-architecture)" ]] && return 0
	if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
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
	! find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -newer "$1" | grep -q .
}
