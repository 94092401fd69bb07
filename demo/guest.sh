#!/bin/sh
# make demo, inside the guest (busybox sh, PID 1's child; tests/vm/run-vm.sh
# runs it as /payload/run-tests.sh).  Loads gwio.ko and the simulated board
# of tests/kmod, gives the board signals a person recognises, starts
# mosquitto, a subscriber and gwiod, and prints what the subscriber gets as
# "GWIO-DEMO: topic payload" lines, which demo/run.sh shows on the user's
# terminal as they arrive.  Runs DEMO_SECONDS (kernel command line, default
# 60) or until a line "stop" comes in on the console, then stops gwiod
# cleanly and prints the kernel's counters as "GWIO-DEMO-STAT:" lines.
#
# On arm64 (demo/run.sh --arch=arm64) the device tree has a gwio node from
# dts/overlays/gwio-qemu-virt.dtso: the PL061 power-button line, which the
# host presses through the qemu monitor when it sees "GWIO-DEMO-READY".

# demo/run.sh --host runs it on the host's own kernel with these set.
P=${DEMO_PAYLOAD:-/payload}
T=${DEMO_TMP:-/tmp/demo}
PORT=${DEMO_PORT:-1883}
DBG=/sys/kernel/debug
RUN_S=${DEMO_SECONDS:-60}

note() { echo "GWIO-DEMO-NOTE: $*"; }
errors=0
error() { echo "GWIO-DEMO-ERROR: $*"; errors=$((errors + 1)); }
kstat() { echo "GWIO-DEMO-STAT: $*"; }
die() {
	echo "GWIO-DEMO-ERROR: $*"
	for f in $T/gwiod.log $T/mosquitto.log; do
		[ -s $f ] && sed "s|^|GWIO-DEMO-ERROR:   ${f##*/}: |" $f | tail -n 20
	done
	teardown
	exit 1
}
# What this script started, by PID, and the modules it loaded: on the
# host (--host) nothing may be left behind.
teardown() {
	for p in ${flow:-} ${door:-} ${gwiod:-} ${sub:-} ${broker:-}; do
		kill $p 2>/dev/null
	done
	[ -s $T/tail.pid ] && kill "$(cat $T/tail.pid)" 2>/dev/null
	wait 2>/dev/null
	for m in gwio-demo-board gwio-test-spi gwio-test-gpio gwio; do
		[ -d /sys/module/$(echo $m | tr - _) ] && rmmod $m
	done
}

# wait_for, listening (tests/vm/guest/lib.sh)
. $P/guest-lib.sh
subscribed() { grep -q " demo-sub 1 plant1/#" $T/mosquitto.log; }
online() { grep -q '^plant1/gwiod/status online$' $T/sub.out; }

# dev_of LABEL: /dev/gwioN of the gwio device labelled LABEL
dev_of() {
	for d in /sys/class/gwio/gwio*; do
		if [ "$(cat $d/label 2>/dev/null)" = "$1" ]; then
			echo /dev/${d##*/}
			return 0
		fi
	done
	return 1
}

mkdir -p $T
: >$T/shown
ip link set lo up

# --- the kernel side ------------------------------------------------------
insmod $P/gwio.ko sim_channels=1 || die "insmod gwio.ko failed"
for m in gwio-test-gpio gwio-test-spi gwio-demo-board; do
	insmod $P/$m.ko || die "insmod $m.ko failed"
done
wait_for 50 dev_of plant-adc >/dev/null || die "no gwio device plant-adc"
SIM=$(dev_of sim0) || SIM=/dev/gwio0
IO=$(dev_of plant-io) || die "no gwio device plant-io"
ADC=$(dev_of plant-adc)
# arm64: the node of dts/overlays/gwio-qemu-virt.dtso, probed from the DT
BTN=$(dev_of gwio) && note "from the device tree: $BTN (power-button on the PL061)"
note "gwio.ko loaded: $SIM synthetic, $IO GPIO (door, flow), $ADC MCP3008 (temp, level)"

# The synthetic channel: a 5 Hz sine sampled at 200 Hz.
S=/sys/class/gwio/${SIM#/dev/}/channels/sim0
echo sine >$S/waveform && echo 200 >$S/rate_hz && echo 40 >$S/cycle ||
	die "cannot set up the synthetic channel"
# The ADC's inputs: a boiler swinging 18-26 degC over 40 s, a tank filling
# over 45 s (codes; the scaling is gwiod's, demo/gwiod.yaml.in).
echo "0 0 sine 211 236 40000" >$DBG/gwio-test-spi/wave &&
	echo "0 1 ramp 0 1023 45000" >$DBG/gwio-test-spi/wave ||
	die "cannot set the ADC's waveforms"

# --- broker, subscriber, gwiod -------------------------------------------
sed "s/@PORT@/$PORT/" $P/mosquitto.conf >$T/mosquitto.conf
mosquitto -c $T/mosquitto.conf >$T/mosquitto.log 2>&1 &
broker=$!
wait_for 200 listening $PORT || die "mosquitto is not listening on 127.0.0.1:$PORT"
# What a user would run on the gateway: everything under the site.
mosquitto_sub -h 127.0.0.1 -p $PORT -i demo-sub -q 1 -v -t 'plant1/#' >$T/sub.out 2>$T/sub.err &
sub=$!
wait_for 200 subscribed || die "mosquitto_sub did not subscribe"
# Lines as they come (echo is a builtin: nothing waits in a buffer).
# $T/shown counts them, so the stop can wait until the last one is out.
{ tail -n +1 -f $T/sub.out & echo $! >$T/tail.pid; } |
	while IFS= read -r l; do
		echo "GWIO-DEMO: $l"
		echo >>$T/shown
	done &

# "#dt:" lines describe the device-tree device, where there is one.
dt='/^#dt: /d'
[ -n "$BTN" ] && dt="s|^#dt: ||; s|@BTN@|$BTN|"
sed -e "s|@PORT@|$PORT|" -e "s|@SIM@|$SIM|" -e "s|@IO@|$IO|" -e "s|@ADC@|$ADC|" -e "$dt" \
	$P/gwiod.yaml.in >$T/gwiod.yaml
$P/gwiod --check-config $T/gwiod.yaml >$T/check.out 2>&1 ||
	die "gwiod --check-config: $(cat $T/check.out)"
$P/gwiod -c $T/gwiod.yaml 2>$T/gwiod.log &
gwiod=$!
wait_for 300 online || die "gwiod did not come online in 30 s"

# --- the field: a flow meter and a door -------------------------------------
# Flow: 600 pulses per litre; the rate changes every 10 s (10, 15, 12 L/min
# = 100, 150, 120 pulses/s; a toggle every half period).
(
	while :; do
		for hz in 100 150 120; do
			echo "1 1000000 $((500000000 / hz))" >$DBG/gwio-test-gpio/pulse
			sleep 10
			echo "1 0 0" >$DBG/gwio-test-gpio/pulse
		done
	done
) >/dev/null 2>&1 &	# a sleep left behind must not hold the console pipe
flow=$!
# Door: opened for 4 s every 12 s.
(
	while :; do
		sleep 4
		echo 1 >$DBG/gwio-test-gpio/line0/level
		sleep 4
		echo 0 >$DBG/gwio-test-gpio/line0/level
		sleep 4
	done
) >/dev/null 2>&1 &
door=$!
note "running for $RUN_S s"
echo "GWIO-DEMO-READY: $RUN_S"

# Until the time is up, or the host says "stop" on the console (Ctrl-C);
# on the host (--host), a SIGTERM from demo/run.sh's teardown stops too.
trap : TERM
read -t "$RUN_S" _ 2>/dev/null

# --- a clean stop -------------------------------------------------------
kill $flow $door
wait $flow $door 2>/dev/null
echo "1 0 0" >$DBG/gwio-test-gpio/pulse
echo 0 >$DBG/gwio-test-gpio/line0/level
sleep 0.2	# the last edges into the ring before gwiod reads it a last time
kill -TERM $gwiod
wait $gwiod
rc=$?
# The retained "offline" is the last message; then everything the
# subscriber wrote must be on the console (busybox tail looks once a second).
offline() { grep -q '^plant1/gwiod/status offline$' $T/sub.out; }
wait_for 50 offline || error "no offline status from gwiod"
kill $sub
wait $sub 2>/dev/null
all_shown() { [ "$(wc -l <$T/shown)" -ge "$(wc -l <$T/sub.out)" ]; }
wait_for 50 all_shown || error "not every message reached the console"
kill "$(cat $T/tail.pid)"
kill -TERM $broker
wait $broker 2>/dev/null

# --- what happened in the kernel ----------------------------------------
for d in /sys/class/gwio/gwio*; do
	kstat "device ${d##*/} $(cat $d/label) produced $(cat $d/statistics/produced) dropped $(cat $d/statistics/dropped)"
done
pulses=$(sed -n 's/^line1 level [01] edges \([0-9]*\) .*/\1/p' $DBG/gwio-test-gpio/stats)
kstat "flow pulses $(( (${pulses:-0} + 1) / 2 ))"
kstat "gwiod exit $rc $(grep -o 'summary: .*' $T/gwiod.log)"
grep -E '^(error|warn)' $T/gwiod.log | sed 's/^/GWIO-DEMO-NOTE: gwiod: /'
teardown
[ $rc = 0 ] || error "gwiod exited $rc"
if [ $errors = 0 ]; then
	echo "GWIO-TEST: PASS demo"
else
	echo "GWIO-TEST: FAIL demo $errors errors (GWIO-DEMO-ERROR lines)"
fi
exit 0
