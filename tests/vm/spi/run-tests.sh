#!/bin/sh
# shellcheck disable=SC2015 # pass() never fails
# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/vm/spi.sh (busybox sh): gwio.ko SPI ADC devices on
# the emulated bus of tests/kmod/gwio-test-spi (MCP3008 on cs0, MCP3208 on
# cs1, MCP3008 on cs2), added by tests/kmod/gwio-test-adcboard:
#   adc0: MCP3008 inputs 0..3 as channels a0..a3 (indices 0..3)
#   adc1: MCP3208 inputs 5 and 7 as channels b5, b7 (indices 0, 1), a
#         ring of 1024 records
# and, on cs2, by tests/kmod/gwio-test-adcprobe, one description at a time
# that the probe accepts or refuses.
# The emulator's Nth conversion of input ch reads (N + 100 ch) & mask.
P=/payload
S=/sys/kernel/debug/gwio-test-spi
rc=0
pass() { echo "GWIO-TEST: PASS $*"; }
fail() { echo "GWIO-TEST: FAIL $*"; rc=1; }
check() { # check NAME WANT GOT
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 want $2 got $3"; fi
}
by_label() {
	for d in /sys/class/gwio/gwio*; do
		[ "$(cat "$d"/label 2>/dev/null)" = "$1" ] && { echo "$d"; return; }
	done
}
records() { grep -c '^[0-9]' "$1"; }
# drv SPIDEV: the driver bound to it, or nothing
drv() { l=$(readlink "/sys/bus/spi/devices/$1/driver") && echo "${l##*/}"; }
# modalias SPIDEV: what its uevent gives udev to load a module by
modalias() { sed -n 's/^MODALIAS=//p' "/sys/bus/spi/devices/$1/uevent"; }
# spidev CS NODE: the device on chip select CS, named by bus and chip
# select (spiB.CS), or from 6.12 by its software node (spi-NODE)
spidev() {
	if [ -e "/sys/bus/spi/devices/spi$bus.$1" ]; then
		echo "spi$bus.$1"
	else
		echo "spi-$2"
	fi
}

# ticks FILE NINPUTS PERIOD_NS MASK: each tick's records share one
# timestamp, on a multiple of the period after the last; per input the
# value goes up by one conversion per tick (nothing missed) and all inputs
# of a tick sit at the same N.  Prints "bad ticks skipped".
ticks() {
	awk -F, -v n="$2" -v per="$3" -v mask="$4" '
	/^[0-9]/ {
		i = r % n; r++
		if ($4 != 3) bad++
		if (i == 0) {
			if (t && (($2 - t) % per != 0 || $2 <= t)) bad++
			if (t) skipped += ($2 - t) / per - 1
			t = $2; k++
		} else if ($2 != t) bad++
		v[i] = $5; ch[i] = $3
		if (i == n - 1) {
			# the same N for every input of the tick, one more than before
			for (j = 0; j < n; j++) {
				if (ch[j] != j) bad++
				nj = (v[j] - off[j] + mask + 1) % (mask + 1)
				if (j == 0) n0 = nj
				else if (nj != n0) bad++
			}
			if (k > 1 && n0 != (prev + 1) % (mask + 1)) bad++
			prev = n0
		}
	}
	BEGIN { split(ENVIRON["OFFSETS"], o, " "); for (j = 0; j < n; j++) off[j] = o[j + 1] }
	END { print bad + 0, k + 0, skipped + 0 }' "$1"
}

cd $P || exit 1
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
insmod ./gwio-test-spi.ko model=mcp3008,mcp3208,mcp3008 &&
	insmod ./gwio-test-adcboard.ko period_us=1000 && pass load || fail load
bus=$(awk '$1 == "bus" { print $2 }' $S/stats)
cs0=$(spidev 0 adc0)
cs1=$(spidev 1 adc1)

# --- gwio.ko loaded as udev loads it: by the devices' modalias -----------
# A device-tree node's modalias is its compatible after the comma
# ("gwio,mcp3008" -> "mcp3008"); the board gives the same.  gwio.ko must
# list those in its id table, or nothing autoloads it and the SPI core
# warns "has no spi_device_id" for each of its compatibles.
check modalias "spi:mcp3008 spi:mcp3208" "$(modalias "$cs0") $(modalias "$cs1")"
mods=/lib/modules/$(uname -r)
mkdir -p "$mods/extra" && cp ./gwio.ko "$mods/extra/" && depmod
dmesg -c >/dev/null
if modprobe "$(modalias "$cs0")"; then
	pass autoload
else
	fail autoload "modprobe $(modalias "$cs0") found nothing"
	insmod ./gwio.ko
fi
dmesg >/tmp/load.txt
check autoload-bound "gwio-spi-adc gwio-spi-adc" "$(drv "$cs0") $(drv "$cs1")"
check no-spi-device-id-warning 0 "$(grep -c 'has no spi_device_id' /tmp/load.txt)"
A=$(by_label adc0)
B=$(by_label adc1)
check probe "2 4 2" "$(ls /sys/class/gwio | wc -l) $(ls "$A"/channels 2>/dev/null | wc -l) $(ls "$B"/channels 2>/dev/null | wc -l)"
check types "spi-adc 0 5 7 1000" \
	"$(cat "$A"/channels/a0/type) $(cat "$A"/channels/a0/input) $(cat "$B"/channels/b5/input) $(cat "$B"/channels/b7/input) $(cat "$A"/channels/a0/period_us)"
devA=/dev/$(basename "$A")
devB=/dev/$(basename "$B")
check channel-table "0 adc b5,1 adc b7," "$($P/gwio-cat --channels "$devB" | tr '\n' ',')"
# adc1's gwio,ring-records; adc0 has none: the default
check ring-records-from-firmware "16384 1024" "$(cat "$A"/ring_records) $(cat "$B"/ring_records)"

# --- 500 ticks of the MCP3008, 4 inputs each ------------------------------
$P/gwio-cat --start --flush -f csv -n 2000 -t 20000 "$devA" >/tmp/a.csv 2>/tmp/a.err ||
	echo "gwio-cat: $(cat /tmp/a.err)"
check adc0-records 2000 "$(records /tmp/a.csv)"
OFFSETS="0 100 200 300" ticks /tmp/a.csv 4 1000000 1023 >/tmp/a.res
set -- $(cat /tmp/a.res)
check adc0-ticks-values-timestamps "0 500" "$1 $2"
echo "adc0: $3 ticks skipped in 500, ticks_skipped $(cat "$A"/channels/a0/ticks_skipped)"
[ "$3" -le "$(cat "$A"/channels/a0/ticks_skipped)" ] && pass adc0-skips-counted ||
	fail adc0-skips-counted "$3 skipped, ticks_skipped $(cat "$A"/channels/a0/ticks_skipped)"
echo "GWIO-BENCH: spi_latency_ns_mean $(cat "$A"/channels/a0/latency_ns_mean)"
echo "GWIO-BENCH: spi_latency_ns_max $(cat "$A"/channels/a0/latency_ns_max)"
echo "GWIO-BENCH: spi_latency_ns_p50 $(cat "$A"/channels/a0/latency_ns_p50)"
echo "GWIO-BENCH: spi_latency_ns_p99 $(cat "$A"/channels/a0/latency_ns_p99)"
p50=$(cat "$A"/channels/a0/latency_ns_p50) p99=$(cat "$A"/channels/a0/latency_ns_p99)
[ "$p50" -gt 0 ] && [ "$p50" -le "$p99" ] && [ "$p99" -le "$(cat "$A"/channels/a0/latency_ns_max)" ] &&
	pass latency-percentiles || fail latency-percentiles "p50 $p50 p99 $p99"
echo "GWIO-BENCH: spi_ticks_skipped_per_500 $3"
check adc0-no-errors 0 "$(cat "$A"/channels/a0/errors)"
conv=$(awk '$1 == "cs0.ch0" { print $2 }' $S/stats)
[ "$conv" -ge 500 ] && pass adc0-emulator-converted ||
	fail adc0-emulator-converted "cs0.ch0 $conv"

# --- the MCP3208, two inputs of eight --------------------------------------
$P/gwio-cat --start --flush -f csv -n 400 -t 20000 "$devB" >/tmp/b.csv 2>/tmp/b.err ||
	echo "gwio-cat: $(cat /tmp/b.err)"
check adc1-records 400 "$(records /tmp/b.csv)"
OFFSETS="500 700" ticks /tmp/b.csv 2 1000000 4095 >/tmp/b.res
set -- $(cat /tmp/b.res)
check adc1-ticks-values-timestamps "0 200" "$1 $2"
check adc1-others-untouched 0 "$(awk '$1 == "cs1.ch0" { print $2 }' $S/stats)"

# --- descriptions the probe must refuse, with a message --------------------
# gwio-test-adcprobe config=NAME adds one device on cs2; refused, it stays
# without a driver, no /dev/gwioN appears, and dmesg says why.
ndev=$(ls /sys/class/gwio | wc -l)
probe_refused() { # probe_refused CONFIG MESSAGE
	dmesg -c >/dev/null
	if ! insmod ./gwio-test-adcprobe.ko config="$1"; then
		fail "probe-$1" "insmod gwio-test-adcprobe config=$1"
		return
	fi
	dmesg >/tmp/probe.txt
	cs2=$(spidev 2 adcprobe)
	said=no
	grep -qF -- "$2" /tmp/probe.txt && said=yes
	got="$(drv "$cs2")|$(ls /sys/class/gwio | wc -l)|$said"
	rmmod gwio-test-adcprobe
	check "probe-$1" "|$ndev|yes" "$got"
	[ "$said" = yes ] || grep -e gwio -e "$cs2" /tmp/probe.txt
}
# rx-shift + rx-bits wrapped to 0 and passed; the completion then shifted
# by 2^32 - 1 in interrupt context
probe_refused rx-shift-wrap "gwio,rx-bits 1 at gwio,rx-shift 4294967295: beyond the 24 bits of a transfer"
probe_refused tx-too-wide "gwio,tx-template 0x18000: wider than 2 bytes"
probe_refused input-too-wide "gwio,input-shift 22: input 7 does not fit in 3 bytes"
# labels as platform.c checks them: no silent truncation, no '!' for '/'
probe_refused label-long 'label "a-label-of-forty-characters-0123456789ab": 1..31 characters'
probe_refused label-slash "label \"g/2\": 1..31 characters, no '/'"
probe_refused label-empty 'label "": 1..31 characters'
probe_refused label-dotdot 'label "..": 1..31 characters'
probe_refused devlabel-long 'label "a-label-of-forty-characters-0123456789ab": 1..31 characters'
# another driver's compatible: its modalias "mcp3008" is in gwio's id
# table, but the node is not gwio's, and gwio leaves it alone, silently
dmesg -c >/dev/null
insmod ./gwio-test-adcprobe.ko config=foreign
dmesg >/tmp/probe.txt
cs2=$(spidev 2 adcprobe)
check probe-foreign-declined "spi:mcp3008||$ndev|0" \
	"$(modalias "$cs2")|$(drv "$cs2")|$(ls /sys/class/gwio | wc -l)|$(grep -c "gwio-spi-adc $cs2" /tmp/probe.txt)"
rmmod gwio-test-adcprobe
# and the generic description of an MCP3008 works: input 2 of cs2
insmod ./gwio-test-adcprobe.ko config=generic
cs2=$(spidev 2 adcprobe)
G=$(by_label adcprobe)
check probe-generic "gwio-spi-adc $((ndev + 1)) 2" \
	"$(drv "$cs2") $(ls /sys/class/gwio | wc -l) $(cat "$G"/channels/g2/input 2>/dev/null)"
$P/gwio-cat --start --flush -f csv -n 100 -t 20000 "/dev/${G##*/}" >/tmp/g.csv 2>/tmp/g.err ||
	echo "gwio-cat: $(cat /tmp/g.err)"
OFFSETS="200" ticks /tmp/g.csv 1 1000000 1023 >/tmp/g.res
set -- $(cat /tmp/g.res)
check probe-generic-ticks-values-timestamps "0 100" "$1 $2"
rmmod gwio-test-adcprobe

# --- period changes and bad writes ----------------------------------------
echo 5 >"$A"/channels/a0/period_us 2>/dev/null && fail period-too-short || pass period-too-short
echo abc >"$A"/channels/a0/period_us 2>/dev/null && fail period-garbage || pass period-garbage
check period-unchanged 1000 "$(cat "$A"/channels/a3/period_us)"
echo 500 >"$A"/channels/a2/period_us && pass period-set || fail period-set
check period-shared 500 "$(cat "$A"/channels/a0/period_us)"
$P/gwio-cat --start --flush -f csv -n 800 -t 20000 "$devA" >/tmp/p.csv 2>/dev/null
OFFSETS="0 100 200 300" ticks /tmp/p.csv 4 500000 1023 >/tmp/p.res
set -- $(cat /tmp/p.res)
check period-500us-ticks "0 200" "$1 $2"

# --- a start the controller refuses: counted and said, not swallowed -----
# The host refuses transfers below 2 MHz, adc0 runs at 1 MHz.  From 6.9,
# spi_optimize_message() refuses the message when sampling starts: that
# is one error, one message naming the code, and the enable write fails
# with it, the device left disabled; before 6.9 there is no such step and
# every tick's spi_async() fails instead, also an error.
kv=$(uname -r)
kmin=${kv#*.}
kmin=${kmin%%[.-]*}
optimizes=0
if [ "${kv%%.*}" -gt 6 ] || [ "$kmin" -ge 9 ]; then optimizes=1; fi
e0=$(cat "$A"/channels/a0/errors)
dmesg -c >/dev/null
echo 2000000 >$S/min_speed_hz
if echo 1 2>/tmp/enable.err >"$A"/enable; then en_rc=0; else en_rc=1; fi
if [ $optimizes = 1 ]; then
	check start-refused-enable-fails "1 0" "$en_rc $(cat "$A"/enable)"
	grep -q "Invalid argument" /tmp/enable.err && pass start-refused-errno ||
		fail start-refused-errno "$(cat /tmp/enable.err)"
else
	check start-refused-enable-fails "0 1" "$en_rc $(cat "$A"/enable)"
fi
i=0
while [ "$(cat "$A"/channels/a0/errors)" = "$e0" ] && [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
echo 0 >"$A"/enable
echo 0 >$S/min_speed_hz
dmesg >/tmp/start.txt
e1=$(cat "$A"/channels/a0/errors)
[ "$e1" -gt "$e0" ] && pass start-refused-counted ||
	fail start-refused-counted "errors $e0 -> $e1"
if [ $optimizes = 1 ]; then
	check start-refused-said 1 \
		"$(grep -c "refused the SPI message: -EINVAL" /tmp/start.txt)"
fi
$P/gwio-cat --start --flush -f csv -n 40 -t 20000 "$devA" >/tmp/r.csv 2>/dev/null
check start-after-refusal 40 "$(records /tmp/r.csv)"
# a period change restarts sampling: refused, the period is set and the
# device is left disabled, as a refused enable leaves it
if [ $optimizes = 1 ]; then
	p0=$(cat "$A"/channels/a0/period_us)
	echo 1 >"$A"/enable
	echo 2000000 >$S/min_speed_hz
	if echo 2000 2>/dev/null >"$A"/channels/a0/period_us; then pr=0; else pr=1; fi
	echo 0 >$S/min_speed_hz
	check restart-refused "1 0 2000" \
		"$pr $(cat "$A"/enable) $(cat "$A"/channels/a0/period_us)"
	echo 0 >"$A"/enable
	echo "$p0" >"$A"/channels/a0/period_us
fi

# --- a bus too slow for the period: skipped ticks counted, nothing misread
# (in ticks_skipped, the ADC's; overruns are the ring's drops only)
echo 1000 >"$A"/channels/a0/period_us
before=$(cat "$A"/channels/a0/ticks_skipped)
ov0=$(cat "$A"/channels/a0/overruns)
echo 600000 >/sys/module/gwio_test_spi/parameters/delay_ns	# 4 x 0.6 ms > 1 ms
$P/gwio-cat --start --flush -f csv -n 200 -t 20000 "$devA" >/tmp/o.csv 2>/dev/null
echo 0 >/sys/module/gwio_test_spi/parameters/delay_ns
after=$(cat "$A"/channels/a0/ticks_skipped)
OFFSETS="0 100 200 300" ticks /tmp/o.csv 4 1000000 1023 >/tmp/o.res
set -- $(cat /tmp/o.res)
echo "slow bus: $3 ticks skipped over $2 taken, ticks_skipped $before -> $after"
check slow-bus-values-consistent 0 "$1"
[ "$3" -gt 0 ] && [ $((after - before)) -ge "$3" ] && pass slow-bus-overruns-counted ||
	fail slow-bus-overruns-counted "skipped $3, ticks_skipped +$((after - before))"
check slow-bus-no-ring-overruns "$ov0" "$(cat "$A"/channels/a0/overruns)"
echo "GWIO-BENCH: spi_slow_bus_latency_ns_max $(cat "$A"/channels/a0/latency_ns_max)"

# --- a period whose nanoseconds do not fit in 32 bits ---------------------
# 4294968 us = 4294968000 ns = 2^32 + 704000: kept in a u32, a 704 us
# timer instead of a 71 minute one.  Running, it ticks at most once in 1 s.
echo 1 >"$A"/enable
echo 4294968 >"$A"/channels/a0/period_us && pass period-4294968-accepted ||
	fail period-4294968-accepted
check period-4294968-reads-back 4294968 "$(cat "$A"/channels/a1/period_us)"
t0=$(cat "$A"/channels/a0/ticks)
sleep 1
t1=$(cat "$A"/channels/a0/ticks)
[ $((t1 - t0)) -le 1 ] && pass period-4294968-no-storm ||
	fail period-4294968-no-storm "$((t1 - t0)) ticks in 1 s"
echo 10000000 >"$A"/channels/a0/period_us && pass period-10s-accepted ||
	fail period-10s-accepted
check period-10s-reads-back 10000000 "$(cat "$A"/channels/a0/period_us)"
echo 10000001 >"$A"/channels/a0/period_us 2>/dev/null && fail period-too-long ||
	pass period-too-long
echo 0 >"$A"/enable
echo 1000 >"$A"/channels/a0/period_us

# --- unbind while a message is on the bus for longer than a second ------
# 4 transfers of 2 s: the message the first tick queued is on the bus for
# 8 s, and still there 7 s after unbind stops the device.  Stop must wait
# for it (the controller writes rx and calls the completion), never give
# up after a timeout (gwio once did, after "1 s", about 2 s under TCG) and
# let the buffers be freed under the controller.
uptime_cs() { tr -d . </proc/uptime | cut -d' ' -f1; }
dmesg -c >/dev/null
echo 2000000000 >/sys/module/gwio_test_spi/parameters/delay_ns
echo 1 >"$A"/enable
sleep 0.3
spidev=$(basename "$(readlink "$A"/device)")
t0=$(uptime_cs)
echo "$spidev" >/sys/bus/spi/drivers/gwio-spi-adc/unbind && pass unbind-in-flight ||
	fail unbind-in-flight
t1=$(uptime_cs)
echo 0 >/sys/module/gwio_test_spi/parameters/delay_ns
sleep 1
dmesg >/tmp/inflight.txt
echo "unbind with a message in flight took $((t1 - t0)) cs"
check unbind-in-flight-gone 1 "$(ls /sys/class/gwio | wc -l)"
[ $((t1 - t0)) -ge 600 ] && pass unbind-in-flight-waited ||
	fail unbind-in-flight-waited "unbind took $((t1 - t0)) cs, the message 800"
check unbind-in-flight-no-warning 0 "$(grep -c 'still in flight' /tmp/inflight.txt)"
echo "$spidev" >/sys/bus/spi/drivers/gwio-spi-adc/bind && pass unbind-in-flight-rebind ||
	fail unbind-in-flight-rebind
A=$(by_label adc0)
check unbind-in-flight-back "2 4" "$(ls /sys/class/gwio | wc -l) $(ls "$A"/channels 2>/dev/null | wc -l)"

# --- unbind and unload while sampling ------------------------------------
echo 1 >"$A"/enable
echo 1 >"$B"/enable
sleep 0.3
spidev=$(basename "$(readlink "$A"/device)")
echo "$spidev" >/sys/bus/spi/drivers/gwio-spi-adc/unbind && pass unbind-sampling ||
	fail unbind-sampling
check unbind-gone 1 "$(ls /sys/class/gwio | wc -l)"
echo "$spidev" >/sys/bus/spi/drivers/gwio-spi-adc/bind && pass rebind || fail rebind
check rebind-back 2 "$(ls /sys/class/gwio | wc -l)"

# --- the kernel's IIO driver for the same chips ---------------------------
# mcp320x lists "mcp3008" and "mcp3208" in its spi_device_id table, and the
# SPI core falls back to that table whatever the compatible's vendor: a
# gwio node is its device as much as gwio's, and whichever module loads
# first takes it.  driver_override (what udev/60-gwio.rules writes before
# any module loads) leaves it to gwio alone, in either order.
if [ -f $P/iio/mcp320x.ko ] && [ -f $P/iio/industrialio.ko ]; then
	echo 0 >"$A"/enable
	echo 0 >"$B"/enable
	rmmod gwio
	dmesg -c >/dev/null
	insmod $P/iio/industrialio.ko && insmod $P/iio/mcp320x.ko ||
		fail iio-load
	dmesg >/tmp/iio.txt
	# bound, or (no regulator, x86) its probe ran and said why it gave up
	if [ "$(drv "$cs0")" = mcp320x ] || grep -q "mcp320x $cs0:" /tmp/iio.txt; then
		pass iio-driver-matches-gwio-node
	else
		fail iio-driver-matches-gwio-node "driver '$(drv "$cs0")'"
	fi
	for d in $cs0 $cs1; do
		[ -n "$(drv "$d")" ] &&
			echo "$d" >/sys/bus/spi/drivers/"$(drv "$d")"/unbind
		echo gwio-spi-adc >/sys/bus/spi/devices/"$d"/driver_override
	done
	rmmod mcp320x && insmod $P/iio/mcp320x.ko
	check iio-override-keeps-it-off "" "$(drv "$cs0")$(drv "$cs1")"
	insmod ./gwio.ko
	check iio-override-gwio-binds "gwio-spi-adc gwio-spi-adc 2" \
		"$(drv "$cs0") $(drv "$cs1") $(ls /sys/class/gwio | wc -l)"
	rmmod mcp320x && rmmod industrialio || fail iio-unload
	for d in $cs0 $cs1; do
		echo >/sys/bus/spi/devices/"$d"/driver_override
	done
	A=$(by_label adc0)
	B=$(by_label adc1)
else
	echo "no mcp320x.ko for $(uname -r): the IIO part is skipped"
fi
rmmod gwio-test-adcboard && rmmod gwio && rmmod gwio-test-spi && pass unload ||
	fail unload
exit $rc
