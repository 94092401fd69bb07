#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# gpio-bench.sh [ID...] — GPIO edges through gwio.ko beside the GPIO
# character device read through libgpiod, in the same VM with the same
# simulated chip (tests/kmod/gwio-test-gpio), on Debian's 6.1-amd64 and
# 6.12-amd64 kernels (default: both; amd64 only, the consumers are the
# host's static binaries).  See README.md here for the method.
#
# stdout: "bench KEY VALUE" lines (medians over the repetitions), KEY =
#   gpio.<ID>.<gwio|gpiod|base>.<RATE>.<metric>   per consumer and rate
#   gpio.<ID>.<summary>                           loss-free rates, ratios
# stderr: build noise, the VM's verdicts and a table per kernel.
# Exit status: non-zero if a VM run failed (a FAIL line: sanity, or gwio
# losing or misclassifying something it did not count).
#
# Environment:
#   GWIO_GPIO_BENCH_RATES   edges/s, ascending (default "100 200 500 1000
#                           2000 5000 10000 20000 50000 100000 200000")
#   GWIO_GPIO_BENCH_SECONDS train length per run (default 1)
#   GWIO_GPIO_BENCH_MIN_EDGES  at least this many edges per train (default 100)
#   GWIO_GPIO_BENCH_REPS    repetitions, medians reported (default 3)
#   GWIO_GPIO_BENCH_BASE_REPS  baseline (train alone) runs (default 1)
#   GWIO_GPIO_BENCH_CATCH_UP   the chip's catch_up (default 1)
#   GWIO_VM_LOGDIR          console logs (default ${TMPDIR:-/tmp}/gwio-vm-logs-UID)
#   GWIO_VM_TIMEOUT         per VM (default 600)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
vm=$top/tests/vm
# shellcheck source=/dev/null
. "$vm/lib.sh"

rates=${GWIO_GPIO_BENCH_RATES:-100 200 500 1000 2000 5000 10000 20000 50000 100000 200000}
seconds=${GWIO_GPIO_BENCH_SECONDS:-1}
reps=${GWIO_GPIO_BENCH_REPS:-3}
base_reps=${GWIO_GPIO_BENCH_BASE_REPS:-1}
min_edges=${GWIO_GPIO_BENCH_MIN_EDGES:-100}
catch_up=${GWIO_GPIO_BENCH_CATCH_UP:-1}
ids=("$@")
((${#ids[@]})) || ids=(6.1-amd64 6.12-amd64)
for id in "${ids[@]}"; do
	valid_id "$id" || die "unknown ID '$id' (want 6.1-amd64 or 6.12-amd64)"
	[[ $id == *-amd64 ]] || die "$id: the consumers are amd64 binaries, amd64 kernels only"
done
[[ $(dpkg --print-architecture) == amd64 ]] || die "needs an amd64 host"
[[ -f /usr/include/gpiod.h ]] ||
	die "needs libgpiod v1 headers and library (apt-get install libgpiod-dev)"
logdir=${GWIO_VM_LOGDIR:-${TMPDIR:-/tmp}/gwio-vm-logs-$(id -u)}
mkdir -p "$logdir"
"$vm/fetch-kernels.sh" "${ids[@]}" >&2

work=$(mktemp -d "${TMPDIR:-/tmp}/gwio-gpiobench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- the two consumers: static, so the guest needs no libraries ------------
echo "building gwio_edges and gpiod_edges" >&2
us=$work/us
make -s -C "$top/userspace" BUILD="$us" STATIC=1 lib >&2
cflags=(-O2 -g -std=gnu11 -Wall -Wextra -Werror)
gcc "${cflags[@]}" -I"$top/userspace/include" -I"$us/include" \
	-o "$work/gwio_edges" "$here/gwio_edges.c" "$us/libgwio.a" -static
# Debian's libgpiod-dev ships libgpiod.a; without it, link dynamically
# and put the library and loader into the initramfs (GWIO_VM_ROOTFS).
rootfs=
if [[ -f /usr/lib/x86_64-linux-gnu/libgpiod.a ]]; then
	gcc "${cflags[@]}" -o "$work/gpiod_edges" "$here/gpiod_edges.c" \
		-static -lgpiod
else
	gcc "${cflags[@]}" -o "$work/gpiod_edges" "$here/gpiod_edges.c" -lgpiod
	rootfs=$work/rootfs
	while read -r f; do
		mkdir -p "$rootfs$(dirname "$f")"
		cp -L "$f" "$rootfs$f"
	done < <(ldd "$work/gpiod_edges" | awk '$2 == "=>" && $3 ~ /^\// { print $3; next }
					       $1 ~ /^\// { print $1 }')
fi

# --- gwio.ko and the test modules per kernel, the payloads -------------------
for id in "${ids[@]}"; do
	echo "building modules for $id" >&2
	(
		# shellcheck source=/dev/null
		. "$KCACHE/$id.env"
		b=$work/$id/build p=$work/$id/payload
		mkdir -p "$b" "$p"
		cp -r "$top/Kbuild" "$top/kmod" "$b/"
		make -s -C "$KDIR" M="$b" ARCH="$KARCH" \
			CROSS_COMPILE="$CROSS_COMPILE" modules
		cp "$b/gwio.ko" "$here/guest/run-tests.sh" "$work/gwio_edges" \
			"$work/gpiod_edges" "$p/"
		"$top/tests/kmod/build.sh" "$id" "$p" >&2
		cat >"$p/bench.conf" <<-EOF
			RATES="$rates"
			SECONDS_PER_RUN=$seconds
			MIN_EDGES=$min_edges
			REPS=$reps
			BASE_REPS=$base_reps
			CATCH_UP=$catch_up
		EOF
	)
done

# --- one VM at a time: two on two host cores would skew every number --------
failed=0
for id in "${ids[@]}"; do
	out=$work/$id.out
	if ! GWIO_VM_ROOTFS=$rootfs "$vm/run-vm.sh" "$id" "$work/$id/payload" \
		"$logdir/gpio-bench-$id.log" >"$out" 2>&1; then
		failed=1
	fi
	grep -v ' BENCH ' "$out" >&2 || true
done

# --- bench lines and the summary --------------------------------------------
for id in "${ids[@]}"; do
	awk -v id="$id" '$1 == "[" id "]" && $2 == "BENCH" { print "bench gpio." id "." $3, $4 }' \
		"$work/$id.out"
done >"$work/bench.txt"

# val ID CONSUMER RATE KEY
val() { awk -v k="gpio.$1.$2.$3.$4" '$2 == k { print $3 }' "$work/bench.txt"; }

for id in "${ids[@]}"; do
	# loss-free: every rep at this rate and every lower rate had no loss
	# and no uncounted misclassification
	# (lf CONSUMER most: more than half of the reps is enough)
	lf() {
		local r best=0 c
		for r in $rates; do
			c=$(val "$id" "$1" "$r" clean)
			c=${c:-0/0}
			if [[ ${2:-} == most ]]; then
				((${c%/*} * 2 > reps)) || break
			else
				[[ $c == "$reps/$reps" ]] || break
			fi
			best=$r
		done
		echo "$best"
	}
	gw=$(lf gwio) gd=$(lf gpiod)
	gwm=$(lf gwio most) gdm=$(lf gpiod most)
	topr=${rates##* }
	# CPU compared where both delivered everything: gpiod's loss-free
	# rate (the lowest rate if it has none)
	cr=$gd
	((cr > 0)) || cr=${rates%% *}
	ratio() {
		awk -v a="$1" -v b="$2" 'BEGIN { n = "^-?[0-9.]+$"
			if (a !~ n || b !~ n || b <= 0) print "-"; else printf "%.3f\n", a / b }'
	}
	# system busy ms per 1000 events above the train-only baseline; "-"
	# when that is under 50 ms (/proc/stat counts in 10 ms ticks)
	sysper() {
		awk -v b="$(val "$id" "$1" "$2" sys_busy_ms)" -v z="$(val "$id" base "$2" sys_busy_ms)" \
			-v e="$(val "$id" "$1" "$2" events)" \
			'BEGIN { if (e > 0 && b != "" && z != "" && b - z >= 50)
				printf "%.3f\n", (b - z) * 1000 / e; else print "-" }'
	}
	allcounted=yes
	for r in $rates; do
		[[ $(val "$id" gwio "$r" lost_uncounted_max) == 0 &&
			$(val "$id" gwio "$r" misclassified_uncounted_max) == 0 ]] || allcounted=no
	done
	rr=$(ratio "$gw" "$gd")
	c1=$(ratio "$(val "$id" gwio "$cr" cpu_ms_per_1k)" "$(val "$id" gpiod "$cr" cpu_ms_per_1k)")
	c2=$(ratio "$(val "$id" gwio "$cr" cpu_total_ms_per_1k)" "$(val "$id" gpiod "$cr" cpu_total_ms_per_1k)")
	{
		echo "bench gpio.$id.gwio.loss_free_rate $gw"
		echo "bench gpio.$id.gpiod.loss_free_rate $gd"
		echo "bench gpio.$id.top_rate_tested $topr"
		echo "bench gpio.$id.gwio.loss_free_rate_most $gwm"
		echo "bench gpio.$id.gpiod.loss_free_rate_most $gdm"
		echo "bench gpio.$id.rate_ratio $rr"
		echo "bench gpio.$id.rate_ratio_most $(ratio "$gwm" "$gdm")"
		echo "bench gpio.$id.rate_ratio_is_lower_bound $([[ $gw == "$topr" ]] && echo 1 || echo 0)"
		echo "bench gpio.$id.cpu_compare_rate $cr"
		echo "bench gpio.$id.cpu_ratio $c1"
		echo "bench gpio.$id.cpu_total_ratio $c2"
		for r in $rates; do
			echo "bench gpio.$id.gwio.$r.sys_ms_per_1k_over_base $(sysper gwio "$r")"
			echo "bench gpio.$id.gpiod.$r.sys_ms_per_1k_over_base $(sysper gpiod "$r")"
			echo "bench gpio.$id.cpu_ratio.$r $(ratio "$(val "$id" gwio "$r" cpu_ms_per_1k)" "$(val "$id" gpiod "$r" cpu_ms_per_1k)")"
			echo "bench gpio.$id.cpu_total_ratio.$r $(ratio "$(val "$id" gwio "$r" cpu_total_ms_per_1k)" "$(val "$id" gpiod "$r" cpu_total_ms_per_1k)")"
			echo "bench gpio.$id.sys_cpu_ratio.$r $(ratio "$(sysper gwio "$r")" "$(sysper gpiod "$r")")"
		done
		echo "bench gpio.$id.goal_rate_5x $(awk -v r="$rr" 'BEGIN { print (r != "-" && r >= 5) ? "yes" : "no" }')"
		echo "bench gpio.$id.goal_cpu_fifth $(awk -v r="$c2" 'BEGIN { print (r != "-" && r <= 0.2) ? "yes" : "no" }')"
		echo "bench gpio.$id.goal_gwio_all_counted $allcounted"
	} >>"$work/bench.txt"
done
cat "$work/bench.txt"

# --- a table per kernel for people ------------------------------------------
{
	for id in "${ids[@]}"; do
		echo
		echo "== $id (medians of $reps reps; l_max, mis_unc: worst rep; clean: reps with no loss)"
		printf '%-6s %7s %8s %7s %7s %5s %7s %9s %9s %8s %9s %9s %10s\n' \
			who rate events lost l_max clean mis_unc cpu/1k cpu+th/1k sys/1k \
			stamp_p50 stamp_p99 deliv_p99
		for r in $rates; do
			for c in gwio gpiod; do
				printf '%-6s %7s %8s %7s %7s %5s %7s %9s %9s %8s %9s %9s %10s\n' \
					"$c" "$r" "$(val "$id" $c "$r" events)" \
					"$(val "$id" $c "$r" lost)" \
					"$(val "$id" $c "$r" lost_max)" \
					"$(val "$id" $c "$r" clean)" \
					"$(val "$id" $c "$r" misclassified_uncounted_max)" \
					"$(val "$id" $c "$r" cpu_ms_per_1k)" \
					"$(val "$id" $c "$r" cpu_total_ms_per_1k)" \
					"$(val "$id" $c "$r" sys_ms_per_1k_over_base)" \
					"$(val "$id" $c "$r" stamp_lat_ns_p50)" \
					"$(val "$id" $c "$r" stamp_lat_ns_p99)" \
					"$(val "$id" $c "$r" deliver_lat_ns_p99)"
			done
		done
		grep "^bench gpio\.$id\.[a-z_0-9]* " "$work/bench.txt" | sed 's/^bench /  /'
	done
	echo
	echo "logs: $logdir/gpio-bench-*.log"
} >&2
exit "$failed"
