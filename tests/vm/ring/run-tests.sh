#!/bin/sh
# In-VM tests of gwio.ko (busybox sh, PID 1's child; see tests/vm/run-vm.sh).
# /payload holds gwio.ko, vmtest and gwio-cat built for this kernel and arch.
# Prints "GWIO-TEST: PASS|FAIL name ..." lines; the harness judges them.

P=/payload
T=$P/vmtest
SYS=/sys/class/gwio/gwio0

pass() { echo "GWIO-TEST: PASS $*"; }
fail() { echo "GWIO-TEST: FAIL $*"; }

# expect_reject ATTR VALUE: the write fails and the attribute keeps its value
expect_reject() {
	before=$(cat "$SYS/$1")
	if echo "$2" >"$SYS/$1" 2>/dev/null; then
		echo "accepted '$2' for $1"
		return 1
	fi
	after=$(cat "$SYS/$1")
	if [ "$before" != "$after" ]; then
		echo "$1 changed from '$before' to '$after' on rejected '$2'"
		return 1
	fi
}

# expect_value ATTR VALUE WANT: the write works and reads back as WANT
expect_value() {
	if ! echo "$2" >"$SYS/$1"; then
		echo "rejected '$2' for $1"
		return 1
	fi
	got=$(cat "$SYS/$1")
	if [ "$got" != "$3" ]; then
		echo "$1: wrote '$2', read '$got', want '$3'"
		return 1
	fi
}

load() {
	insmod $P/gwio.ko "$@"
}

# --- load / unload ---------------------------------------------------------
if load sim_channels=4,1 && [ -c /dev/gwio0 ] && [ -c /dev/gwio1 ] &&
	[ -d $SYS/channels/sim3 ] && [ -d /sys/class/gwio/gwio1/channels/sim0 ]; then
	pass load
else
	fail load "insmod or device nodes missing"
	ls -l /dev/gwio* /sys/class/gwio 2>&1
	exit 1
fi
if rmmod gwio && [ ! -e /dev/gwio0 ] && load sim_channels=4,1; then
	pass unload-reload
else
	fail unload-reload "rmmod/insmod cycle"
fi
for bad in sim_channels=0 sim_channels=999 ring_records=1000 \
	ring_records=64 watermark=0 timeout_us=99999999 sim_rate=0; do
	rmmod gwio
	if load $bad 2>/dev/null; then
		fail "bad-param-$bad" "insmod accepted it"
		rmmod gwio
	else
		pass "bad-param-$bad"
	fi
	load sim_channels=4,1 || exit 1
done

# --- the ring, through mmap ------------------------------------------------
for t in abi sequence clock-monotonic clock-boottime clock-realtime \
	clock-tai overrun-drop-newest overrun-overwrite wakeup read \
	hostile-tail hostile-read read-fault-drop-newest read-fault-overwrite; do
	$T $t /dev/gwio0 || echo "vmtest $t exited $?"
done

# --- sysfs knobs -----------------------------------------------------------
echo 0 >$SYS/enable
r=""
for v in 1000 0 -1 abc 64 128 8388608 4294967296 "" 0x100x; do
	r=$r$(expect_reject ring_records "$v")
done
r=$r$(expect_value ring_records 0x800 2048)
r=$r$(expect_value ring_records 16384 16384)
for v in 0 16385 -5 nan 99999999999; do
	r=$r$(expect_reject watermark "$v")
done
r=$r$(expect_value watermark 16384 16384)
r=$r$(expect_value watermark 1 1)
r=$r$(expect_value watermark 256 256)
for v in 10000001 -1 1.5 x; do
	r=$r$(expect_reject timeout_us "$v")
done
r=$r$(expect_value timeout_us 0 0)
r=$r$(expect_value timeout_us 10000000 10000000)
r=$r$(expect_value timeout_us 10000 10000)
for v in drop overwrite-oldest "" DROP-NEWEST; do
	r=$r$(expect_reject overflow "$v")
done
r=$r$(expect_value overflow overwrite "drop-newest [overwrite]")
r=$r$(expect_value overflow drop-newest "[drop-newest] overwrite")
for v in mono raw 1 ""; do
	r=$r$(expect_reject clock "$v")
done
r=$r$(expect_value clock tai "monotonic boottime realtime [tai]")
r=$r$(expect_value clock monotonic "[monotonic] boottime realtime tai")
for v in 2 maybe ""; do
	r=$r$(expect_reject enable "$v")
done
r=$r$(expect_value enable 1 1)
# policy and clock describe every record: refused while running
r=$r$(expect_reject overflow overwrite)
r=$r$(expect_reject clock boottime)
r=$r$(expect_value enable 0 0)
SYS=$SYS/channels/sim0
for v in 0 10000001 -1 fast; do
	r=$r$(expect_reject rate_hz "$v")
done
r=$r$(expect_value rate_hz 250 250)
for v in square2 "" 3; do
	r=$r$(expect_reject waveform "$v")
done
r=$r$(expect_value waveform sine "counter [sine] square ramp")
r=$r$(expect_value waveform counter "[counter] sine square ramp")
for v in 0 1 1000001; do
	r=$r$(expect_reject cycle "$v")
done
r=$r$(expect_value cycle 64 64)
r=$r$(expect_value enable 0 0)
r=$r$(expect_value enable 1 1)
for f in label type index events; do
	echo 1 >$SYS/$f 2>/dev/null && r="$r $f is writable;"
done
[ "$(cat $SYS/label)" = sim0 ] || r="$r label;"
[ "$(cat $SYS/type)" = sim ] || r="$r type;"
SYS=/sys/class/gwio/gwio0
for f in produced dropped overruns wakeups unread tail_resets; do
	echo 1 >$SYS/statistics/$f 2>/dev/null && r="$r statistics/$f is writable;"
done
if [ -z "$r" ]; then pass sysfs-knobs; else fail sysfs-knobs "$r"; fi

# --- lifetime ----------------------------------------------------------------
# resize refused while mapped, allowed once the mapping is gone
$T hold-map /dev/gwio0 >/tmp/hold.out 2>&1 &
holder=$!
sleep 1
r=$(expect_reject ring_records 4096)
kill $holder
wait $holder 2>/dev/null
r=$r$(expect_value ring_records 4096 4096)
if [ -z "$r" ]; then pass resize-while-mapped; else fail resize-while-mapped "$r"; fi

# rmmod while a process holds the mapping, or sleeps in poll: refused, the
# process keeps working, and rmmod works once it is gone
for mode in hold-map hold-poll; do
	echo 1 >$SYS/enable
	$T $mode /dev/gwio0 >/tmp/hold.out 2>&1 &
	holder=$!
	sleep 1
	r=""
	grep -q holding /tmp/hold.out || r="holder did not start: $(cat /tmp/hold.out);"
	rmmod gwio 2>/dev/null && r="$r rmmod succeeded while in use;"
	[ -c /dev/gwio0 ] || r="$r device vanished;"
	kill -0 $holder 2>/dev/null || r="$r holder died;"
	kill $holder
	wait $holder 2>/dev/null
	rmmod gwio || r="$r rmmod failed after the holder exited;"
	load sim_channels=4,1 || r="$r reload failed;"
	if [ -z "$r" ]; then pass "rmmod-while-$mode"; else fail "rmmod-while-$mode" "$r"; fi
done

# gwio-cat, the library's consumer, reads a counter channel without gaps
if [ -x $P/gwio-cat ]; then
	echo 1000 >$SYS/channels/sim0/rate_hz
	echo 1 >$SYS/enable
	if timeout 30 $P/gwio-cat -n 2000 --check-seq /dev/gwio0 >/tmp/cat.out 2>/tmp/cat.err &&
		[ "$(wc -l </tmp/cat.out)" -eq 2000 ]; then
		pass gwio-cat
	else
		fail gwio-cat "$(tail -n 3 /tmp/cat.err)"
	fi
	echo 0 >$SYS/enable
fi

# --- throughput (only when asked: gwio.bench=1; make bench makes the same ----
# --- vmtest bench calls in tests/bench/ring/compare-vm.sh) -------------------
if grep -q gwio.bench=1 /proc/cmdline; then
	for rate in 1000000 2000000 4000000 8000000; do
		$T bench /dev/gwio0 $rate 4
	done
fi

rmmod gwio && pass final-unload || fail final-unload "rmmod"
exit 0
