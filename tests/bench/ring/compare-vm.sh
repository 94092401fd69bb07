#!/bin/bash
# compare-vm.sh [ID...] — gwio.ko's throughput in qemu/TCG guests (vmtest
# bench: four synthetic channels -> ring of 262144 records, watermark 16384
# -> an epoll consumer draining the mapped ring), for the current tree
# ("after") and for the "before" commit (before.sh: GWIO_BENCH_BEFORE,
# default 75c7ac5^, the last ABI 1.2 tree).  Each side's gwio.ko and vmtest
# are built from that side's own sources (the old ones extracted with git
# archive into a temporary directory) against each kernel's headers, and
# booted one after the other on the same kernel: before then after on the
# first kernel, after then before on the next, and so on.  A side that does
# not build for a kernel is reported with the compiler's first error (ABI
# 1.2's 64-bit shared positions on 32-bit ARM) and not booted.
#
# Default IDs: 6.1-amd64 6.12-amd64 6.1-armhf 6.12-armhf.
#
# Output: each boot's verdicts and GWIO-BENCH lines as tests/vm/ring.sh
# prints them, under a "== ID SIDE round N" header, then
#   bench-vm tree SIDE DESCRIPTION
#   bench-vm ID SIDE build ok|failed FIRST-ERROR
#   bench-vm ID SIDE verdict N passed, N failed
#   bench-vm ID SIDE boot_s SECONDS              (boot + benchmark, median)
#   bench-vm ID SIDE rate TARGET records_per_s V dropped V dropped_worst V
#            loss_free K syscalls_per_1000 V wakeups V runs N
# (over several rounds the medians; dropped_worst the largest, loss_free
# the boots that dropped nothing at that rate), and a table for people.
#
# Environment:
#   GWIO_BENCH_VM_RATES="..."  target records/s (default 1000000 2000000
#                              4000000 8000000, as tests/vm/ring/run-tests.sh)
#   GWIO_BENCH_VM_SECONDS=N    seconds per rate (default 4, as run-tests.sh)
#   GWIO_BENCH_VM_ROUNDS=N     boots of each side per kernel (default 2: the
#                              second round in the other order)
#   GWIO_BENCH_VM_FULL=1       boot each side's whole tests/vm/ring suite
#                              with gwio.bench=1 instead (its functional
#                              tests, then the same benchmark at its own
#                              fixed rates; slower, and how docs/benchmarks.md
#                              was made before this script)
#   GWIO_BENCH_BEFORE=REV|none see before.sh
#   GWIO_VM_LOGDIR, GWIO_VM_TIMEOUT, ... as for every VM suite; the logs are
#   ringbench-SIDE[-rN]-ID.log
# Exit status 1 if a boot failed or the current tree did not build (the
# before side not building is a result, reported as such), 0 otherwise.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
# shellcheck source=../../vm/lib.sh
. "$top/tests/vm/lib.sh"
# shellcheck source=before.sh
. "$here/before.sh"

ids=("$@")
((${#ids[@]})) || ids=(6.1-amd64 6.12-amd64 6.1-armhf 6.12-armhf)
for id in "${ids[@]}"; do valid_id "$id" || die "unknown ID '$id' (want: ${ALL_IDS[*]})"; done
rates=${GWIO_BENCH_VM_RATES:-1000000 2000000 4000000 8000000}
seconds=${GWIO_BENCH_VM_SECONDS:-4}
rounds=${GWIO_BENCH_VM_ROUNDS:-2}
full=${GWIO_BENCH_VM_FULL:-0}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "GWIO_BENCH_VM_ROUNDS=$rounds: want a count"
[[ $seconds =~ ^[1-9][0-9]*$ ]] || die "GWIO_BENCH_VM_SECONDS=$seconds: want seconds"
rev=$(before_rev "$top")
"$top/tests/vm/fetch-kernels.sh" "${ids[@]}" >&2

work=$(mktemp -d "${TMPDIR:-/tmp}/gwio-ringbench.XXXXXX")
trap 'rm -rf "$work"' EXIT

sides=(after)
echo "bench-vm tree after $(current_describe "$top")"
if [[ -n $rev ]]; then
	before_extract "$top" "$rev" "$work/src" Kbuild kmod userspace tests/vm/ring
	echo "bench-vm tree before $(before_describe "$top" "$rev")"
	sides+=(before)
fi

# build SIDE ID SRC: SIDE's payload for kernel ID from the tree SRC into
# $work/SIDE/ID/payload; false (the first error in $work/SIDE/ID.fail) if
# it does not build.  Every step checked by hand: a function called in an
# if runs without set -e.
build() {
	local side=$1 id=$2 src=$3 d=$work/$1/$2 p=$work/$1/$2/payload
	mkdir -p "$p"
	vm_build_module "$id" "$p" "$d" "$src" >"$d.log" 2>&1 && [[ -f $p/gwio.ko ]] || return 1
	(
		# shellcheck source=/dev/null
		. "$KCACHE/$id.env"
		"${CROSS_COMPILE}gcc" -std=c11 -O2 -Wall -Wextra -Werror -static \
			-I"$src/kmod" -o "$p/vmtest" "$src/tests/vm/ring/vmtest.c" || exit 1
		if [[ $full == 1 ]]; then
			make -s -C "$src/userspace" BUILD="$d/us" CC="${CROSS_COMPILE}gcc" \
				AR="${CROSS_COMPILE}ar" STATIC=1 tools || exit 1
			cp "$d/us/gwio-cat" "$p/" || exit 1
		fi
	) >>"$d.log" 2>&1 || return 1
	if [[ $full == 1 ]]; then
		cp "$src/tests/vm/ring/run-tests.sh" "$p/"
	else
		cp "$here/vm-guest.sh" "$p/run-tests.sh"
		printf 'rates="%s"\nseconds=%s\n' "$rates" "$seconds" >"$p/bench.conf"
	fi
}

# build_error LOG PREFIX: "N compile errors, the first: MESSAGE (at
# kmod/FILE:LINE)" from a failed build's LOG, the location the first gwio
# macro or function the compiler names (PREFIX, the build copy, cut off).
build_error() {
	local n msg at
	n=$(grep -c 'error:' "$1" || true)
	if ((n == 0)); then
		tail -n1 "$1"
		return
	fi
	msg=$(grep -m1 'error:' "$1")
	msg=${msg##*error: }
	at=$(grep -m1 -E "in expansion of macro .gwio_|^ +inlined from" "$1" || true)
	at=$(grep -o -m1 -E 'kmod/[A-Za-z0-9_]+\.[ch]:[0-9]+' <<<"${at//$2/}" || true)
	echo "$n compile errors, the first: $msg${at:+ (at $at)}"
}

for id in "${ids[@]}"; do
	for side in "${sides[@]}"; do
		src=$top
		[[ $side == before ]] && src=$work/src
		echo "building $side for $id" >&2
		if build "$side" "$id" "$src"; then
			echo ok >"$work/$side/$id.built"
		else
			err=$(build_error "$work/$side/$id.log" "$work/$side/$id/build/")
			echo "$err" >"$work/$side/$id.fail"
			echo "$side does not build for $id: $err" >&2
		fi
	done
done

append=${GWIO_VM_APPEND:-}
[[ $full == 1 ]] && append="${append:+$append }gwio.bench=1"
status=0
for ((r = 1; r <= rounds; r++)); do
	i=0
	for id in "${ids[@]}"; do
		order=("${sides[@]}")
		if ((${#sides[@]} == 2 && (i + r) % 2 == 1)); then order=(before after); fi
		i=$((i + 1))
		for side in "${order[@]}"; do
			[[ -f $work/$side/$id.built ]] || continue
			suite=ringbench-$side
			((rounds == 1)) || suite=$suite-r$r
			echo "== $id $side round $r" >&2
			out=$work/$side.$id.$r.out
			GWIO_VM_APPEND=$append vm_boot_all "$suite" "$work/$side" "$id" >"$out" 2>&1 || status=1
			sed "s/^/$side: /" "$out"
		done
	done
done

# summary: one line per fact, from every boot's output
for id in "${ids[@]}"; do
	for side in "${sides[@]}"; do
		if [[ ! -f $work/$side/$id.built ]]; then
			[[ $side == before ]] || status=1
			echo "bench-vm $id $side build failed $(<"$work/$side/$id.fail")"
			continue
		fi
		echo "bench-vm $id $side build ok"
		cat "$work/$side.$id".*.out | awk -v id="$id" -v side="$side" '
			function median(list,   a, m, i, j, t) {
				m = split(list, a, " ")
				for (i = 2; i <= m; i++)
					for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
						t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
					}
				return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
			}
			$1 == "[" id "]" && $2 == "BENCH" {
				k = $3; sub(/^vm_/, "", k)
				if (k == "rate_target") {
					rate = $4
					if (!(rate in runs)) order[++n] = rate
					runs[rate]++
				} else if (rate != "") {
					v[rate, k] = v[rate, k] " " $4
					if (k == "dropped") {
						if (!((rate, "maxdrop") in v) || $4 + 0 > v[rate, "maxdrop"])
							v[rate, "maxdrop"] = $4 + 0
						clean[rate] += ($4 + 0 == 0)
					}
				}
			}
			$1 == "[" id "]" && $2 == "boot+test" { boot = boot " " ($4 + 0) }
			$1 ~ /^vm-ringbench/ { sub(/^[^:]*: /, ""); p += $1; f += $3 }
			END {
				printf "bench-vm %s %s verdict %d passed, %d failed\n", id, side, p, f
				if (boot != "") printf "bench-vm %s %s boot_s %d\n", id, side, median(boot)
				for (i = 1; i <= n; i++) {
					r = order[i]
					printf "bench-vm %s %s rate %s records_per_s %.0f dropped %.0f dropped_worst %s loss_free %d syscalls_per_1000 %.3f wakeups %.0f runs %d\n",
						id, side, r, median(v[r, "records_per_s"]), median(v[r, "dropped"]),
						v[r, "maxdrop"], clean[r],
						median(v[r, "syscalls_per_1000"]), median(v[r, "wakeups"]), runs[r]
				}
			}'
	done
done >"$work/summary"
cat "$work/summary"

echo
printf '%-12s %-7s %10s %14s %9s %9s %12s %8s\n' kernel side target records/s dropped loss-free syscalls/1k wakeups
awk '$1 == "bench-vm" && $4 == "rate" {
	printf "%-12s %-7s %10s %14s %9s %9s %12s %8s\n", $2, $3, $5, $7, $9, $13 "/" $19, $15, $17 }
     $1 == "bench-vm" && $4 == "build" && $5 == "failed" {
	printf "%-12s %-7s does not build: %s\n", $2, $3, substr($0, index($0, "failed") + 7) }' \
	"$work/summary"
exit "$status"
