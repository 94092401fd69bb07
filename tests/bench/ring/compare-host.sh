#!/bin/bash
# compare-host.sh — the host ring benchmark (bench_ring.c: kmod/gwio_ring.h
# compiled for userspace, producer and consumer threads pinned to two CPUs)
# of the current tree beside the same benchmark of the "before" commit
# (before.sh: GWIO_BENCH_BEFORE, default 75c7ac5^, the last ABI 1.2 tree).
# Both are built now, with the same compiler and flags, each from its own
# kmod/, userspace/ and tests/bench/ring/ (the old ones extracted with git
# archive into a temporary directory), and run in turn, each run
# `bench_ring -k 1` (every variant once): after before, before after, after
# before, ... (ABBA, so a steady drift of the shared machine's speed
# weighs on both sides alike).  Each round's after/before ratio is taken
# pair by pair; the medians are quoted.
#
# Output: every run's own lines, prefixed "after N:" / "before N:", then
#   bench ring_host_{after,before}_mrps_VARIANT MEDIAN
#   bench ring_host_{after,before}_range_VARIANT MIN..MAX
#   bench ring_host_{after,before}_verified_VARIANT yes|no   (zero loss, order
#                                   and content; accounting for overwrite)
#   bench ring_host_ratio_VARIANT MEDIAN          (after / before, per round)
#   bench ring_host_ratio_range_VARIANT MIN..MAX
#   bench ring_host_{after,before}_tree DESCRIPTION
#   bench ring_host_rounds N
# and a table for people.
#
# Environment:
#   GWIO_BENCH_ROUNDS=N        runs of each side (default 5)
#   GWIO_BENCH_RING_ARGS="..." bench_ring options for every run of both
#                              sides (default none: 200 M records, ring 4096,
#                              publish batch 64, CPUs 0 and 1)
#   GWIO_BENCH_BEFORE=REV|none see before.sh
# Exit status 1 if any run of either side failed its own verification.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
# shellcheck source=before.sh
. "$here/before.sh"

rounds=${GWIO_BENCH_ROUNDS:-5}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "GWIO_BENCH_ROUNDS=$rounds: want a count" >&2; exit 2; }
read -r -a args <<<"${GWIO_BENCH_RING_ARGS:-}"
rev=$(before_rev "$top")

work=$(mktemp -d "${TMPDIR:-/tmp}/gwio-bench-ring.XXXXXX")
trap 'rm -rf "$work"' EXIT

sides=(after)
make -s -C "$top/userspace" BUILD="$work/after" "$work/after/bench_ring" >&2
echo "bench ring_host_after_tree $(current_describe "$top")"
if [[ -n $rev ]]; then
	before_extract "$top" "$rev" "$work/src" kmod userspace tests/bench/ring
	make -s -C "$work/src/userspace" BUILD="$work/before" \
		"$work/before/bench_ring" >&2
	echo "bench ring_host_before_tree $(before_describe "$top" "$rev")"
	sides+=(before)
fi

# run SIDE ROUND: one bench_ring run, its lines kept as "SIDE ROUND NAME
# VALUE OK" in $work/results
status=0
run() {
	local side=$1 k=$2 out rc=0
	out=$("$work/$side/bench_ring" -k 1 "${args[@]}" 2>&1) || rc=$?
	awk -v p="$side $k: " '{ print p $0 }' <<<"$out"
	((rc == 0)) || { status=1; echo "$side $k: bench_ring exited $rc"; }
	awk -v side="$side" -v k="$k" '
		$1 == "bench" && $2 ~ /^ring_host_mrps_/ {
			name = substr($2, 16); sub(/_consumer$/, "", name)
			val[name] = $3; order[++n] = name
		}
		$2 ~ /^[0-9.]+$/ && $1 in val { ok[$1] = ($0 !~ /FAILED|WRONG/) }
		END { for (i = 1; i <= n; i++)
			print side, k, order[i], val[order[i]], (order[i] in ok) ? ok[order[i]] : 0 }
	' <<<"$out" >>"$work/results"
}

for ((k = 1; k <= rounds; k++)); do
	if ((${#sides[@]} == 1)); then
		run after "$k"
	elif ((k % 2)); then
		run after "$k"
		run before "$k"
	else
		run before "$k"
		run after "$k"
	fi
done

echo "bench ring_host_rounds $rounds"
awk '
	function median(list,   a, m, i, j, t) {
		m = split(list, a, " ")
		for (i = 2; i <= m; i++)	# insertion sort, a handful of values
			for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		lo = a[1]; hi = a[m]
		return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
	}
	{
		if (!(($3) in seen)) { seen[$3] = 1; names[++nn] = $3 }
		v[$1, $3] = v[$1, $3] " " $4
		r[$1, $3, $2] = $4
		if (!$5) bad[$1, $3] = 1
		side[$1] = 1
		if ($2 > rounds) rounds = $2
	}
	END {
		for (i = 1; i <= nn; i++) {
			n = names[i]
			for (si = 1; si <= 2; si++) {
				s = si == 1 ? "after" : "before"
				if (!(s in side))
					continue
				m = median(v[s, n])
				printf "bench ring_host_%s_mrps_%s %.2f\n", s, n, m
				printf "bench ring_host_%s_range_%s %.2f..%.2f\n", s, n, lo, hi
				printf "bench ring_host_%s_verified_%s %s\n", s, n, ((s, n) in bad) ? "no" : "yes"
			}
			if (!("before" in side))
				continue
			q = ""
			for (k = 1; k <= rounds; k++)
				if ((("after", n, k) in r) && (("before", n, k) in r) && r["before", n, k] > 0)
					q = q " " r["after", n, k] / r["before", n, k]
			if (q == "")
				continue
			m = median(q)
			printf "bench ring_host_ratio_%s %.2f\n", n, m
			printf "bench ring_host_ratio_range_%s %.2f..%.2f\n", n, lo, hi
		}
	}
' "$work/results" >"$work/summary"
cat "$work/summary"

# the same for people
val() { awk -v k="$1" '$1 == "bench" && $2 == k { print $3 }' "$work/summary"; }
echo
printf '%-20s %-26s %-26s %s\n' variant "after M rec/s (min..max)" "before M rec/s (min..max)" "after/before (min..max)"
while read -r n; do
	b="not run" q="-"
	if ((${#sides[@]} == 2)); then
		b="$(val "ring_host_before_mrps_$n") ($(val "ring_host_before_range_$n"))"
		q="$(val "ring_host_ratio_$n") ($(val "ring_host_ratio_range_$n"))"
	fi
	printf '%-20s %-26s %-26s %s\n' "$n" \
		"$(val "ring_host_after_mrps_$n") ($(val "ring_host_after_range_$n"))" "$b" "$q"
done < <(awk '!seen[$3]++ { print $3 }' "$work/results")
exit "$status"
