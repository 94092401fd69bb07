#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of vm-abi (tests/vm/abi.sh): the clean-room consumer
# (consumer.c, written from kmod/uapi/gwio.h, docs/abi.md and
# docs/sysfs.md only) against gwio.ko's synthetic devices, then module
# parameters and unloading as the docs describe them.  busybox sh.
set -u
P=/payload
pass() { echo "GWIO-TEST: PASS $1"; }
fail() { echo "GWIO-TEST: FAIL $1 $2"; }
info() { echo "GWIO-INFO: $*"; }

[ -d /sys/class ] || mount -t sysfs sysfs /sys
[ -d /proc/self ] || mount -t proc proc /proc
[ -e /dev/null ] || mount -t devtmpfs devtmpfs /dev

# --- module parameters (sysfs.md "Module parameters"): bad ones are EINVAL
# with the parameter named in the kernel log
badparam() {
	name=$1
	shift
	dmesg -c >/dev/null 2>&1
	if insmod $P/gwio.ko "$@" 2>/tmp/insmod.err; then
		fail "abi-param-$name" "insmod $* succeeded"
		rmmod gwio
		return
	fi
	dmesg >/tmp/dmesg.txt 2>&1
	if grep -q "$name" /tmp/dmesg.txt; then
		pass "abi-param-$name"
	else
		fail "abi-param-$name" "insmod $* failed ($(cat /tmp/insmod.err)) but the kernel log does not name $name"
	fi
}
badparam ring_records ring_records=1000
badparam sim_rate sim_channels=2 sim_rate=0
badparam watermark watermark=0
badparam timeout_us timeout_us=10000001
badparam sim_channels sim_channels=4,x

# watermark is 1 ... ring_records (sysfs.md): a watermark above the ring
# never wakes poll() when timeout_us is 0
if insmod $P/gwio.ko sim_channels=1 ring_records=256 watermark=512 2>/tmp/insmod.err; then
	wm=$(cat /sys/class/gwio/gwio0/watermark) rr=$(cat /sys/class/gwio/gwio0/ring_records)
	rmmod gwio
	if [ "$wm" -le "$rr" ]; then
		info "insmod ring_records=256 watermark=512: accepted, watermark $wm"
		pass abi-param-watermark-ring
	else
		fail abi-param-watermark-ring "insmod ring_records=256 watermark=512 accepted: watermark $wm > ring_records $rr"
	fi
else
	info "insmod ring_records=256 watermark=512 refused: $(cat /tmp/insmod.err)"
	pass abi-param-watermark-ring
fi

if ! insmod $P/gwio.ko sim_channels=4,2 sim_rate=777 ring_records=8192 watermark=128 timeout_us=5000; then
	fail abi-insmod "insmod gwio.ko sim_channels=4,2 failed"
	exit 0
fi
pass abi-insmod

# the parameters arrived (sysfs.md: initial values of every device)
ok=1
for d in 0 1; do
	s=/sys/class/gwio/gwio$d
	[ "$(cat $s/ring_records)" = 8192 ] || { ok=0; info "gwio$d ring_records $(cat $s/ring_records)"; }
	[ "$(cat $s/watermark)" = 128 ] || { ok=0; info "gwio$d watermark $(cat $s/watermark)"; }
	[ "$(cat $s/timeout_us)" = 5000 ] || { ok=0; info "gwio$d timeout_us $(cat $s/timeout_us)"; }
	[ "$(cat $s/enable)" = 0 ] || info "gwio$d enable $(cat $s/enable) after insmod (docs do not say)"
	info "gwio$d label '$(cat $s/label)', overflow '$(cat $s/overflow)', clock '$(cat $s/clock)', channels: $(echo $s/channels/* | sed "s|$s/channels/||g")"
	for c in "$s"/channels/*; do
		[ "$(cat "$c/rate_hz")" = 777 ] || { ok=0; info "$c rate_hz $(cat "$c/rate_hz")"; }
		info "$(basename "$c"): type $(cat "$c/type") index $(cat "$c/index") waveform '$(cat "$c/waveform")' cycle $(cat "$c/cycle") enable $(cat "$c/enable")"
	done
	[ -c /dev/gwio$d ] || { ok=0; info "no /dev/gwio$d"; }
done
if [ "$(cat /sys/class/gwio/gwio0/label)" != sim0 ] || [ "$(cat /sys/class/gwio/gwio1/label)" != sim1 ]; then
	info "device labels are not sim0/sim1 (sysfs.md: simN)"
fi
if [ $ok = 1 ]; then pass abi-params; else fail abi-params "module parameters not in sysfs"; fi

# --- the consumer
# abi.sh puts GWIO_ABI_WRAP_BUDGET here (0: measure the rate, do not wrap)
# and GWIO_ABI_TESTS (default all)
GWIO_WRAP_BUDGET=@WRAP_BUDGET@ GWIO_WRAP_RING=@WRAP_RING@ $P/consumer @TESTS@
rc=$?
if [ $rc -ge 128 ]; then
	fail abi-consumer "consumer killed by signal $((rc - 128))"
fi
info "consumer exit status $rc"

# --- rmmod while mapped, or asleep in poll(), fails; afterwards it works
for mode in hold pollhold; do
	$P/consumer $mode 0 6 &
	pid=$!
	sleep 2
	if rmmod gwio 2>/tmp/rmmod.err; then
		fail "abi-rmmod-$mode" "rmmod succeeded while a process was in $mode"
		wait $pid
		insmod $P/gwio.ko sim_channels=4,2 || exit 0
		continue
	fi
	info "rmmod during $mode: $(cat /tmp/rmmod.err)"
	# the holder keeps working and exits normally
	if wait $pid; then
		pass "abi-rmmod-$mode"
	else
		fail "abi-rmmod-$mode" "the holding process failed after rmmod was refused"
	fi
done

if rmmod gwio 2>/tmp/rmmod.err; then
	pass abi-rmmod
else
	fail abi-rmmod "rmmod after every consumer closed: $(cat /tmp/rmmod.err)"
fi
[ -e /sys/class/gwio/gwio0 ] && fail abi-rmmod-gone "/sys/class/gwio/gwio0 still there after rmmod"
exit 0
