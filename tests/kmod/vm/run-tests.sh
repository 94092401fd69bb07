#!/bin/sh
# shellcheck disable=SC2015 # pass() never fails
# Guest side of tests/kmod/vm-test.sh (busybox sh): load the simulated
# hardware, drive it, check what the consumer module and the counters saw.
G=/sys/kernel/debug/gwio-test-gpio
S=/sys/kernel/debug/gwio-test-spi
C=/sys/kernel/debug/gwio-test-consumer
rc=0
pass() { echo "GWIO-TEST: PASS $*"; }
fail() { echo "GWIO-TEST: FAIL $*"; rc=1; }
check() { # check NAME WANT GOT
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 want $2 got $3"; fi
}
stat() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
line_stat() { # line_stat LINE FIELD
	awk -v l="line$1" -v f="$2" '$1 == l { for (i = 2; i < NF; i += 2) if ($i == f) print $(i + 1) }' $G/stats
}
wait_idle() { # wait_idle LINE: pulse train finished (at most ~60 s)
	n=0
	while [ "$(line_stat "$1" busy)" != 0 ] && [ $n -lt 600 ]; do
		sleep 0.1; n=$((n + 1))
	done
	sleep 0.2	# let threaded/nested handlers drain
}
consumer_results() {
	while read -r verdict rest; do
		case $verdict in
		PASS) pass "consumer-$rest" ;;
		FAIL) fail "consumer-$rest" ;;
		*) echo "consumer: $verdict $rest" ;;
		esac
	done <$C/result
}
reset_all() { echo 1 >$G/reset; echo 0 >$C/irq_count; }

# pulse LINE COUNT PERIOD NAME: train, then compare generator and consumer
pulse() {
	reset_all
	echo "$1 $2 $3" >$G/pulse
	wait_idle "$1"
	edges=$(stat $G/stats edges) irqs=$(stat $G/stats irqs)
	coal=$(stat $G/stats coalesced) masked=$(stat $G/stats masked)
	got=$(cat $C/irq_count) logged=$(wc -l <$G/edges)
	# %.0f: busybox awk's %d stops at 2^31 (a 2.1 s train under TCG)
	span=$(awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%.0f", b - a }' $G/edges)
	order=$(awk 'NR > 1 && $1 < p { bad++ } { p = $1 } END { print bad + 0 }' $G/edges)
	rate=$(awk -v n="$2" -v s="$span" 'BEGIN { printf "%.0f", s ? (n - 1) * 1e9 / s : 0 }')
	ovr=$(stat $G/stats overruns)
	echo "pulse $4: overruns $ovr edges $edges irqs $irqs coalesced $coal masked $masked consumer $got span ${span}ns -> $rate edges/s"
	echo "GWIO-BENCH: $4-edges-per-s $rate"
	check "$4-edges" "$2" "$edges"
	check "$4-logged" "$2" "$logged"
	check "$4-log-order" 0 "$order"
	check "$4-consumer-saw-all-irqs" "$irqs" "$got"
}

cd /payload || exit 1
insmod ./gwio-test-gpio.ko ngpio=8 && pass load-gpio || fail load-gpio
insmod ./gwio-test-spi.ko && pass load-spi || fail load-spi
grep -q 'gwio-test-gpio' /sys/kernel/debug/gpio && pass gpio-in-debugfs ||
	fail gpio-in-debugfs "$(cat /sys/kernel/debug/gpio)"
insmod ./gwio-test-consumer.ko line=2 edge=both && pass load-consumer ||
	fail load-consumer
consumer_results
cat $S/stats
# 3 spi_sync rounds over every channel, then 200 spi_async reads of ch7
check spi-async-conversions 203 "$(stat $S/stats cs0.ch7)"
check spi-mcp3208-conversions 24 "$(stat $S/stats cs1.conversions)"
check spi-mode-errors 0 "$(stat $S/stats mode_errors)"
echo reset >$S/reset
check spi-reset 0 "$(stat $S/stats transfers)"

# both edges, fast (hard irq) chip: every edge is an interrupt
pulse 2 1000 1000000 both-1khz
check both-1khz-irqs 1000 "$irqs"
lvl=$(cat $G/line2/level)
check level-after-even-toggles 0 "$lvl"
pulse 2 10000 100000 both-10khz
pulse 2 20000 20000 both-50khz
pulse 2 20000 10000 both-100khz
echo 1 >/sys/module/gwio_test_gpio/parameters/catch_up
pulse 2 20000 10000 both-100khz-catch-up
echo 0 >/sys/module/gwio_test_gpio/parameters/catch_up
grep gwio-test-consumer /proc/interrupts

# an unrequested line: edges, no interrupts
reset_all
echo "5 10 100000" >$G/pulse; wait_idle 5
check other-line-edges 10 "$(stat $G/stats edges)"
check other-line-no-irqs 0 "$(stat $G/stats irqs)"

# disable_irq: edges while disabled are counted masked, one is resent
reset_all
echo 0 >$C/irq_enabled
echo "2 10 100000" >$G/pulse; wait_idle 2
echo 1 >$C/irq_enabled
sleep 0.2
echo "masked: $(cat $G/stats | head -5 | tr '\n' ' ') consumer $(cat $C/irq_count)"
check masked-edges 10 "$(stat $G/stats edges)"
m=$(stat $G/stats masked)
[ "$m" -ge 9 ] && pass masked-counted || fail masked-counted "masked=$m"
[ "$(cat $C/irq_count)" -le 1 ] && pass masked-not-delivered ||
	fail masked-not-delivered "consumer=$(cat $C/irq_count)"

# level write from debugfs is an edge too
reset_all
echo 1 >$G/line2/level
check level-write-edge 1 "$(stat $G/stats edges)"
check level-write-irq 1 "$(cat $C/irq_count)"
echo 0 >$G/line2/level
rmmod gwio-test-consumer && pass unload-consumer || fail unload-consumer

# rising only: half the edges interrupt
insmod ./gwio-test-consumer.ko line=3 edge=rising spi=0 || fail load-rising
pulse 3 100 100000 rising
check rising-irqs 50 "$irqs"
rmmod gwio-test-consumer

# level types are refused by the chip (the consumer asks edges only), so
# check the chip via a sleeping instance: nested threaded interrupts
rmmod gwio-test-gpio && pass unload-gpio || fail unload-gpio
insmod ./gwio-test-gpio.ko sleeping=1 ngpio=4 && pass load-gpio-sleeping ||
	fail load-gpio-sleeping
insmod ./gwio-test-consumer.ko line=1 edge=both spi=0 || fail load-consumer-sleeping
consumer_results
pulse 1 1000 1000000 sleeping-1khz
pulse 1 10000 100000 sleeping-10khz
n=$((irqs + coal))
check sleeping-irqs-plus-coalesced 10000 "$n"
pulse 1 20000 10000 sleeping-100khz
rmmod gwio-test-consumer
rmmod gwio-test-gpio && pass unload-gpio-sleeping || fail unload-gpio-sleeping
rmmod gwio-test-spi && pass unload-spi || fail unload-spi
exit $rc
