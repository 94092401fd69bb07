#!/bin/sh
# In-VM end-to-end test of gwiod (busybox sh, PID 1's child; see
# tests/vm/run-vm.sh and tests/vm/gwiod.sh): gwio.ko's simulated channels
# -> /dev/gwio0 -> gwiod -> mosquitto on 127.0.0.1 -> mosquitto_sub, all
# inside the guest. /payload holds gwio.ko, gwiod and the files beside this
# script; mosquitto, mosquitto_sub and the shared libraries of all three
# programs are in the initramfs at their host paths (GWIO_VM_ROOTFS).
#
# Prints "GWIO-TEST: PASS|FAIL name ..." lines, then everything the
# subscriber received as "GWIO-SUB: topic payload" lines, which
# tests/vm/gwiod.sh checks again on the host with tests/gwiod/payloads.py.

P=/payload
SYS=/sys/class/gwio/gwio0
T=/tmp/gwiod
RATE_A=1000	# Hz: sim0 = point a, window statistics on t/a/w
RATE_B=500	# Hz: sim1 = point b, raw batches on t/ring0/b/raw
WINDOW_MS=200	# window of point a
BATCH_MAX=20	# batch max_samples in gwiod.yaml.in
RUN_S=3		# seconds of sampling once gwiod is connected

pass() { echo "GWIO-TEST: PASS $*"; }
fail() { echo "GWIO-TEST: FAIL $*"; }
# show FILE [N]: the last N lines of FILE, indented, as a FAIL's context
show() {
	echo "--- $1:"
	tail -n "${2:-15}" "$1" | cut -c1-300 | sed 's/^/    /'
}

# wait_for, listening
. $P/guest-lib.sh
subscribed() { grep -q "Sending SUBACK to gwio-vm-sub" $T/mosquitto.log; }
in_file() { grep -q "$2" "$1"; }
# retained TOPIC WANT: the broker holds WANT as TOPIC's retained message
retained() {
	got=$(timeout 5 mosquitto_sub -h 127.0.0.1 -t "$1" --retained-only \
		-C 1 -W 2 2>&1)
	[ "$got" = "$2" ]
}
# ok_line TEXT: TEXT starts with "ok " (the checkers' verdict)
ok_line() { case $1 in "ok "*) return 0 ;; esac; return 1; }

mkdir -p $T
ip link set lo up

# --- the module: two counter channels at their own rates ----------------
if insmod $P/gwio.ko sim_channels=2 && [ -c /dev/gwio0 ] &&
	[ "$(cat $SYS/enable)" = 0 ] &&
	echo counter >$SYS/channels/sim0/waveform &&
	echo counter >$SYS/channels/sim1/waveform &&
	echo $RATE_A >$SYS/channels/sim0/rate_hz &&
	echo $RATE_B >$SYS/channels/sim1/rate_hz; then
	pass gwiod-setup "sim0 $RATE_A Hz, sim1 $RATE_B Hz"
else
	fail gwiod-setup "insmod gwio.ko sim_channels=2 or the sysfs writes failed"
	ls -l /dev/gwio* /sys/class/gwio 2>&1
	exit 1
fi

# --- the programs run (shared libraries complete) and the config is good --
sed "s/@WINDOW@/${WINDOW_MS}ms/" $P/gwiod.yaml.in >$T/gwiod.yaml
if ! out=$($P/gwiod --check-config $T/gwiod.yaml 2>&1); then
	fail gwiod-setup "gwiod --check-config: $out"
	exit 1
fi

# --- broker, and a subscriber that sees everything from the start --------
mosquitto -c $P/mosquitto.conf >$T/mosquitto.log 2>&1 &
broker=$!
if ! wait_for 200 listening 1883; then
	fail gwiod-broker "mosquitto is not listening on 127.0.0.1:1883"
	show $T/mosquitto.log
	exit 1
fi
mosquitto_sub -h 127.0.0.1 -i gwio-vm-sub -q 1 -v -t 't/#' \
	>$T/sub.out 2>$T/sub.err &
sub=$!
if wait_for 200 subscribed; then
	pass gwiod-broker
else
	fail gwiod-broker "mosquitto_sub did not subscribe"
	show $T/sub.err
	show $T/mosquitto.log
	exit 1
fi

# --- gwiod: starts acquisition, connects, says "online" (retained) ------
$P/gwiod -c $T/gwiod.yaml -v 2>$T/gwiod.log &
gwiod=$!
if ! wait_for 300 in_file $T/gwiod.log "mqtt: connected to 127.0.0.1:1883"; then
	fail gwiod-online "no connection in 30 s"
	show $T/gwiod.log
	show $T/mosquitto.log
	kill -KILL $gwiod
	exit 1
fi
if wait_for 10 retained t/gwiod/status online &&
	wait_for 50 in_file $T/sub.out '^t/gwiod/status online$'; then
	pass gwiod-online
else
	fail gwiod-online "retained status: '$got'"
	show $T/sub.out 5
fi

sleep $RUN_S
kernel_dropped=$(cat $SYS/statistics/dropped)

# --- SIGTERM: flush, exit 0, retained "offline" ---------------------------
kill -TERM $gwiod
n=0
while kill -0 $gwiod 2>/dev/null && [ $n -lt 150 ]; do
	sleep 0.1
	n=$((n + 1))
done
kill -0 $gwiod 2>/dev/null && kill -KILL $gwiod
wait $gwiod
rc=$?
summary=$(grep -o 'summary: .*' $T/gwiod.log)
if [ $rc -eq 0 ] && case $summary in *" 0 refused, 0 lost unsent"*) true ;; *) false ;; esac; then
	pass gwiod-sigterm "exit 0; $summary"
else
	fail gwiod-sigterm "exit $rc after SIGTERM; ${summary:-no summary}"
	show $T/gwiod.log
fi
if wait_for 50 in_file $T/sub.out '^t/gwiod/status offline$' &&
	wait_for 10 retained t/gwiod/status offline; then
	pass gwiod-offline
else
	fail gwiod-offline "retained status after exit: '$got'"
	grep '^t/gwiod/status ' $T/sub.out | sed 's/^/    /'
fi
sleep 0.3	# the last messages on their way to the subscriber
kill -TERM $sub $broker
wait $sub $broker 2>/dev/null

# --- what the subscriber got ---------------------------------------------
r=$(awk -v topic=t/a/w -v expect=$((RATE_A * WINDOW_MS / 1000)) \
	-f $P/check-windows.awk $T/sub.out)
if ok_line "$r"; then pass gwiod-windows "${r#ok }"; else fail gwiod-windows "${r#bad }"; fi

r=$(awk -v topic=t/ring0/b/raw -v period=$((1000000000 / RATE_B)) \
	-v max=$BATCH_MAX -f $P/check-raw.awk $T/sub.out)
if ok_line "$r"; then
	# plausible amount: at least RUN_S seconds' worth (acquisition ran longer)
	total=$(echo "$r" | awk '{ print $4 }')
	if [ "$total" -ge $((RATE_B * RUN_S)) ]; then
		pass gwiod-raw "${r#ok }"
	else
		fail gwiod-raw "only $total samples in ${RUN_S}+ s at $RATE_B Hz: ${r#ok }"
	fi
else
	fail gwiod-raw "${r#bad }"
fi

health=$(grep '^t/gwiod/status/health ' $T/sub.out | tail -n 1)
nhealth=$(grep -c '^t/gwiod/status/health ' $T/sub.out)
ring=$(echo "$health" | sed -n 's/.*"sources":{"ring0":{\([^}]*\)}.*/\1/p')
if [ -n "$ring" ] && [ "$nhealth" -ge 2 ] &&
	echo ",$ring," | grep -q ',"dropped":0,' &&
	echo ",$ring," | grep -q ',"lost":0,' &&
	echo "$health" | grep -q '"broker":"connected"' &&
	[ "$kernel_dropped" = 0 ]; then
	pass gwiod-health "$nhealth messages, last ring0: $ring"
else
	fail gwiod-health "$nhealth messages, sysfs dropped '$kernel_dropped', last: $(echo "$health" | cut -c1-400)"
fi

# --- the raw material, for the host's checks ------------------------------
echo "GWIO-SUB-LINES: $(wc -l <$T/sub.out)"
sed 's/^/GWIO-SUB: /' $T/sub.out
rmmod gwio
exit 0
