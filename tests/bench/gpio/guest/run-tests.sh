#!/bin/sh
# shellcheck disable=SC2015 # pass() never fails
# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/bench/gpio/gpio-bench.sh (busybox sh): gwio.ko
# against the GPIO character device read through libgpiod, on the
# simulated chip (tests/kmod/gwio-test-gpio, catch_up=1 so that each train
# keeps its average rate).  For every rate in $RATES and every repetition:
#   gwio   gwio_edges on line 0 (channel both0 of tests/kmod/gwio-test-board)
#   gpiod  gpiod_edges on line 4 (no gwio channel: nothing else holds it)
#   base   gwio_edges -B on line 5: the train alone, nobody listening
#          (the chip's own cost, to subtract from system busy time)
# each a train of max(MIN_EDGES, rate * SECONDS) edges.  Results stay in
# /tmp until every run is done (console output costs guest CPU), then
# come out as "GWIO-BENCH: <consumer>.<rate>.<key> <median over reps>",
# plus <consumer>.<rate>.clean (reps with no loss and no uncounted
# misclassification) and the worst rep's lost / *_uncounted as *_max.
P=/payload
RATES="100 200 500 1000 2000 5000 10000 20000 50000 100000 200000"
SECONDS_PER_RUN=1
MIN_EDGES=100
REPS=3
BASE_REPS=1
CATCH_UP=1
# shellcheck source=/dev/null
[ -f $P/bench.conf ] && . $P/bench.conf
rc=0
pass() { echo "GWIO-TEST: PASS $*"; }
fail() { echo "GWIO-TEST: FAIL $*"; rc=1; }

cd $P || exit 1
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
insmod ./gwio-test-gpio.ko ngpio=8 && insmod ./gwio.ko &&
	insmod ./gwio-test-board.ko && pass load || { fail load; exit 1; }
echo "$CATCH_UP" >/sys/module/gwio_test_gpio/parameters/catch_up
mkdir -p /tmp/res
chmod +x $P/gwio_edges $P/gpiod_edges

# run CONSUMER RATE REP
run() {
	n=$(($2 * SECONDS_PER_RUN))
	[ $n -ge $MIN_EDGES ] || n=$MIN_EDGES
	n=$((n / 2 * 2))	# even: the line ends low, as it started
	period=$((1000000000 / $2))
	out=/tmp/res/$1.$2.$3
	echo "run $3" >"$out"
	case $1 in
	gwio) $P/gwio_edges -l 0 -p $n:$period >>"$out" 2>"$out.err" ;;
	gpiod) $P/gpiod_edges -l 4 -p $n:$period >>"$out" 2>"$out.err" ;;
	base) $P/gwio_edges -B -l 5 -p $n:$period >>"$out" 2>"$out.err" ;;
	esac
	r=$?
	echo "want $n" >>"$out"
	echo "rc $r" >>"$out"
	sleep 0.1
}

rep=1
while [ $rep -le $REPS ]; do
	for rate in $RATES; do
		for c in gwio gpiod base; do
			[ $c = base ] && [ $rep -gt "$BASE_REPS" ] && continue
			run $c "$rate" $rep
		done
	done
	rep=$((rep + 1))
done
echo 0 >/sys/module/gwio_test_gpio/parameters/catch_up

# --- sanity ------------------------------------------------------------
for f in /tmp/res/*.*.*; do
	case $f in *.err) continue ;; esac
	name=${f#/tmp/res/}
	v() { awk -v k="$1" '$1 == k { print $2 }' "$f"; }
	if [ "$(v rc)" != 0 ]; then
		fail "$name-ran" "rc $(v rc): $(head -c 300 "$f.err")"
		continue
	fi
	[ "$(v generated)" = "$(v want)" ] ||
		fail "$name-generated" "want $(v want) got $(v generated)"
	case $name in
	gwio.*)
		# gwio's promise: whatever it loses or misclassifies is counted
		[ "$(v lost_uncounted)" = 0 ] && [ "$(v misclassified_uncounted)" = 0 ] ||
			fail "$name-all-accounted" "lost_uncounted $(v lost_uncounted) misclassified_uncounted $(v misclassified_uncounted)"
		;;
	esac
done
lo=${RATES%% *}
f=/tmp/res/gwio.$lo.1
[ "$(awk '$1 == "events" { print $2 }' "$f")" = "$(awk '$1 == "want" { print $2 }' "$f")" ] &&
	pass "gwio-exact-at-$lo" || fail "gwio-exact-at-$lo" "$(cat "$f.err")"
# libgpiod v1 event timestamps: CLOCK_MONOTONIC (as the chip's log) if the
# events come after their edges by well under a second
f=/tmp/res/gpiod.$lo.1
p50=$(awk '$1 == "stamp_lat_ns_p50" { print $2 }' "$f")
if [ -n "$p50" ] && [ "$p50" -lt 1000000000 ] && ! grep -q events_before_edge "$f"; then
	pass gpiod-timestamps-monotonic
else
	fail gpiod-timestamps-monotonic "p50 '$p50' $(cat "$f.err")"
fi
[ "$(awk '$1 == "events" { print $2 }' "$f")" -gt 0 ] 2>/dev/null &&
	pass gpiod-events || fail gpiod-events "$(cat "$f.err")"

# --- results: medians over reps ------------------------------------------
KEYS="generated events lost lost_counted lost_uncounted misclassified
misclassified_uncounted flagged same_type_pairs same_edge_events loss_gaps
loss_gap_max lost_in_gaps_of_8_plus chip_irqs chip_masked chip_overruns achieved_edges_per_s wall_ms cpu_ms_per_1k cpu_total_ms_per_1k
sys_busy_ms ring_wakeups irq_thread_cpu_ms stamp_lat_ns_min stamp_lat_ns_p50
stamp_lat_ns_p90 stamp_lat_ns_p99 stamp_lat_ns_p999 stamp_lat_ns_max
deliver_lat_ns_p50 deliver_lat_ns_p99 deliver_lat_ns_max"
for c in gwio gpiod base; do
	for rate in $RATES; do
		# shellcheck disable=SC2086
		cat /tmp/res/$c.$rate.[0-9]* 2>/dev/null | awk -v pre="$c.$rate" \
		    -v keys="$(echo "$KEYS" | tr '\n' ' ')" -v reps="$REPS" '
		BEGIN { nk = split(keys, k, " "); for (i = 1; i <= nk; i++) want[k[i]] = 1 }
		$1 == "run" { run++ }
		$1 == "rc" { if ($2 == 0) ok[run] = 1 }
		$1 == "lost" { lost[run] = $2 + 0 }
		$1 == "lost_uncounted" { lu[run] = $2 + 0 }
		$1 == "misclassified_uncounted" { mu[run] = $2 + 0 }
		want[$1] && $2 ~ /^-?[0-9.]+$/ { n[$1]++; v[$1, n[$1]] = $2 }
		END {
			for (i = 1; i <= nk; i++) {
				key = k[i]; m = n[key]
				if (!m) continue
				if (pre ~ /^base/ && key !~ /^(generated|achieved_edges_per_s|wall_ms|sys_busy_ms)$/)
					continue
				for (a = 1; a <= m; a++) s[a] = v[key, a] + 0
				for (a = 2; a <= m; a++) for (b = a; b > 1 && s[b - 1] > s[b]; b--) {
					t = s[b]; s[b] = s[b - 1]; s[b - 1] = t }
				med = m % 2 ? s[(m + 1) / 2] : (s[m / 2] + s[m / 2 + 1]) / 2
				print "GWIO-BENCH: " pre "." key " " med
			}
			clean = 0; lm = 0; lum = 0; mum = 0
			for (r = 1; r <= run; r++) {
				if (ok[r] && lost[r] == 0 && mu[r] == 0) clean++
				if (lost[r] > lm) lm = lost[r]
				if (lu[r] > lum) lum = lu[r]
				if (mu[r] > mum) mum = mu[r]
			}
			if (pre !~ /^base/) {
				print "GWIO-BENCH: " pre ".clean " clean "/" run
				print "GWIO-BENCH: " pre ".lost_max " lm
				print "GWIO-BENCH: " pre ".lost_uncounted_max " lum
				print "GWIO-BENCH: " pre ".misclassified_uncounted_max " mum
			}
		}'
	done
done
echo "GWIO-BENCH: reps $REPS"
rmmod gwio-test-board && rmmod gwio && rmmod gwio-test-gpio &&
	pass unload || fail unload
exit $rc
