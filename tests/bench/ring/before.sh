# shellcheck shell=bash
# Sourced by compare-host.sh and compare-vm.sh: the "before" side of a
# before/after benchmark, the sources of an older commit extracted at run
# time (never copied into the tree).
#
#   GWIO_BENCH_BEFORE=REV   the commit that is "before" (default 75c7ac5^,
#                           the last ABI 1.2 tree: the parent of the ABI
#                           2.0 commit 75c7ac5, issue 9); "none" (or 0)
#                           runs the current tree alone
#
# Outside a git checkout (a release tarball) the default is skipped with a
# note; a REV given explicitly that git cannot resolve is an error.

BENCH_BEFORE_DEFAULT='75c7ac5^'

# before_rev TOP: print the full commit id of "before", or nothing when the
# before side is off or (default only) cannot be had.
before_rev() {
	local top=$1 spec=${GWIO_BENCH_BEFORE-$BENCH_BEFORE_DEFAULT} rev
	case $spec in
	'' | none | 0) return 0 ;;
	esac
	if ! rev=$(git -C "$top" rev-parse -q --verify "$spec^{commit}" 2>/dev/null); then
		if [[ -z ${GWIO_BENCH_BEFORE+set} ]]; then
			echo "note: no git history for $spec here: before side skipped" >&2
			return 0
		fi
		echo "error: GWIO_BENCH_BEFORE=$spec: not a commit of $top" >&2
		return 1
	fi
	echo "$rev"
}

# before_extract TOP REV DIR PATH...: those paths of REV's tree into DIR.
before_extract() {
	local top=$1 rev=$2 dir=$3
	shift 3
	mkdir -p "$dir"
	git -C "$top" archive --format=tar "$rev" -- "$@" | tar -x -C "$dir"
}

# before_describe TOP REV: "8491c8b (ABI 1.2)" from REV's uapi header.
before_describe() {
	local top=$1 rev=$2 h maj min
	h=$(git -C "$top" show "$rev:kmod/uapi/gwio.h" 2>/dev/null) || h=
	maj=$(awk '$1 == "#define" && $2 == "GWIO_ABI_MAJOR" { print $3 }' <<<"$h")
	min=$(awk '$1 == "#define" && $2 == "GWIO_ABI_MINOR" { print $3 }' <<<"$h")
	echo "$(git -C "$top" rev-parse --short "$rev") (ABI ${maj:-?}.${min:-?})"
}

# current_describe TOP: the same for the working tree.
current_describe() {
	local top=$1 maj min rev
	maj=$(awk '$1 == "#define" && $2 == "GWIO_ABI_MAJOR" { print $3 }' "$top/kmod/uapi/gwio.h")
	min=$(awk '$1 == "#define" && $2 == "GWIO_ABI_MINOR" { print $3 }' "$top/kmod/uapi/gwio.h")
	rev=$(git -C "$top" rev-parse --short HEAD 2>/dev/null) || rev=tree
	[[ -z $(git -C "$top" status --porcelain -- kmod userspace tests 2>/dev/null) ]] || rev="$rev+changes"
	echo "$rev (ABI ${maj:-?}.${min:-?})"
}
