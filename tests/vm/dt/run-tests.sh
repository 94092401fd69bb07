#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In the arm64 guest booted with qemu virt's DTB + the gwio overlays:
# gwio.ko probes from the device tree, the power button line (PL061 line
# 3, pulsed by the host's system_powerdown) arrives as edge records, and
# the broken nodes fail their probes with clear messages.
P=/payload
pass() { echo "GWIO-TEST: PASS $1"; }
fail() { echo "GWIO-TEST: FAIL $1 $2"; }
check() { if eval "$2"; then pass "$1"; else fail "$1" "$3"; fi; }

insmod $P/gwio.ko || { fail load "insmod failed"; exit 1; }
sleep 0.2
ch=/sys/class/gwio/gwio0/channels/power-button
check dt-probe '[ -c /dev/gwio0 ] && [ "$(cat $ch/type)" = gpio-edge ] && [ "$(cat $ch/edge)" = both ]' \
	"no gwio0 with the power-button channel: $(ls /sys/class/gwio 2>&1)"
check dt-one-device '[ "$(ls /sys/class/gwio | wc -l)" = 1 ]' \
	"devices: $(ls /sys/class/gwio)"
# the names udev/60-gwio.rules gives it
links=$($P/gwio-links /class/gwio/gwio0)
check dt-udev-links '[ "$links" = "gwio/by-name/gwio gwio/by-label/power-button" ]' \
	"gwio-links: $links"

# the mistakes, each with its own message
dmesg >/tmp/dmesg.txt
check dt-no-gpios 'grep -q "channel nogpios: no usable gpios" /tmp/dmesg.txt' "no message"
check dt-bad-type 'grep -q "channel badtype: unknown gwio,type \"thermocouple\"" /tmp/dmesg.txt' "no message"
check dt-bad-reg 'grep -q "reg 300: at most 255" /tmp/dmesg.txt' "no message"
check dt-bad-edge 'grep -q "channel badedge: gwio,edge \"sideways\"" /tmp/dmesg.txt' "no message"
check dt-no-channels 'grep -q "no channels: add child nodes" /tmp/dmesg.txt' "no message"
check dt-dup-label 'grep -q "label \"twice\" is used twice" /tmp/dmesg.txt' "no message"
check dt-dup-label-no-sysfs-warning '! grep -q "sysfs: cannot create duplicate" /tmp/dmesg.txt' \
	"$(grep -A2 "cannot create duplicate" /tmp/dmesg.txt)"
check dt-dup-label-lines-free '! grep -q "gpio-[45] *(twice" /sys/kernel/debug/gpio 2>/dev/null' \
	"$(cat /sys/kernel/debug/gpio 2>&1)"
# the node's gwio,ring-records, not the default
check dt-ring-records '[ "$(cat /sys/class/gwio/gwio0/ring_records)" = 1024 ]' \
	"ring_records $(cat /sys/class/gwio/gwio0/ring_records)"
# the good channel of the failed node gave its line back
check dt-line-released '! grep -q "gpio-6 *(fine" /sys/kernel/debug/gpio 2>/dev/null' \
	"$(cat /sys/kernel/debug/gpio 2>&1)"

# four edges: two presses of the power button, each a 1 then a 0
$P/gwio-cat --start -f csv -n 4 -t 60000 /dev/gwio0 >/tmp/edges.csv 2>/tmp/cat.err &
catpid=$!
sleep 1
echo "GWIO-READY: powerdown x2"
wait $catpid
rc=$?
cat /tmp/edges.csv | sed 's/^/edge: /'
check dt-edges-read '[ $rc = 0 ] && [ "$(grep -c "^[0-9]" /tmp/edges.csv)" = 4 ]' \
	"gwio-cat rc $rc: $(cat /tmp/cat.err)"
# seq,ts,channel,kind,value,flags: kind 2 = EDGE, flags 2 rising / 4 falling
check dt-edges-right 'awk -F, '"'"'
	/^[0-9]/ { n++; want = (n % 2) ? 1 : 0; flags = (n % 2) ? 2 : 4
		if ($3 != 0 || $4 != 2 || $5 != want || $6 != flags) bad = 1
		if (n > 1 && $2 <= ts) bad = 1; ts = $2 }
	END { exit bad || n != 4 }'"'"' /tmp/edges.csv' "$(cat /tmp/edges.csv)"
check dt-counters '[ "$(cat $ch/events)" = 4 ] && [ "$(cat $ch/glitches)" = 0 ] && [ "$(cat $ch/overruns)" = 0 ]' \
	"events $(cat $ch/events) glitches $(cat $ch/glitches)"

# unbind and bind again: the device goes and comes back
dev=$(basename "$(readlink /sys/class/gwio/gwio0/device)")
echo "$dev" >/sys/bus/platform/drivers/gwio-io/unbind
check dt-unbind '[ ! -e /dev/gwio0 ]' "gwio0 still there"
echo "$dev" >/sys/bus/platform/drivers/gwio-io/bind
check dt-rebind '[ -c /dev/gwio0 ] && [ -d /sys/class/gwio/gwio0/channels/power-button ]' \
	"$(ls /sys/class/gwio 2>&1)"
check dt-unload 'rmmod gwio' "rmmod failed"
