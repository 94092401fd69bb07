#!/bin/sh
# shellcheck disable=SC2015 # pass() never fails
# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/vm/stress.sh (busybox sh): gwio.ko loaded and
# unloaded under traffic, then everything at once.  Hardware: the
# simulated GPIO chip and SPI bus of tests/kmod, with
#   gwio-test-board     gwio device "testboard": lines 0..3 (both0, rise1,
#                       fall2, bounce3 with 1 ms debounce)
#   gwio-test-adcboard  gwio devices "adc0" (MCP3008) and "adc1" (MCP3208)
# and gwio.ko's own synthetic devices (sim_channels).
#
# No assertion on time: loops have fixed counts; a wait that has to give
# up (a reader that should have seen its device go, a process that should
# have ended) gives up only after it has seen no progress for minutes,
# which is a hang on any machine, however slow or loaded.
P=/payload
S=$P/gwio-stress
G=/sys/kernel/debug/gwio-test-gpio
W=/tmp/stress
rc=0
pass() { echo "GWIO-TEST: PASS $*"; }
fail() { echo "GWIO-TEST: FAIL $*"; rc=1; }
info() { echo "stress: $*"; }
# shellcheck source=../guest/lib.sh
. $P/guest-lib.sh

# A debug kernel (KASAN, lockdep) runs an order of magnitude slower under
# TCG: fewer cycles and worker iterations by default (what it is for,
# lifetime and locking bugs, shows in a few), and KASAN's quarantine keeps
# freed objects counted in the slabs (see the memory check).
kasan=0 debugk=0
grep -q '__kasan_slab_free' /proc/kallsyms 2>/dev/null && kasan=1
[ $kasan = 1 ] || [ -e /proc/lockdep ] && debugk=1
param() { sed -n "s/.*gwio\.$1=\([0-9][0-9]*\).*/\1/p" /proc/cmdline; }
LOOPS=$(param stress_loops)
SCALE=$(param stress_scale)	# percent of the workers' iterations
if [ $debugk = 1 ]; then
	LOOPS=${LOOPS:-20} SCALE=${SCALE:-25}
else
	LOOPS=${LOOPS:-100} SCALE=${SCALE:-100}
fi
scaled() { echo $(($1 * SCALE / 100 + 1)); }
# the longest any single step may go without progress before it is a hang
HANG=1200	# tenths of a second

SIM_ARGS="sim_rate=50000"
# what run-vm.sh counts as kernel trouble, for a verdict per phase
BAD_RE='Oops|BUG:|kernel BUG|WARNING:|Call Trace|KASAN|UBSAN|KFENCE|general protection|Unable to handle'
BAD_RE="$BAD_RE|Kernel panic|soft lockup|hard LOCKUP|blocked for more than|rcu_.*stall|list_(add|del) corruption"
BAD_RE="$BAD_RE|refcount_t:|segfault at|Internal error:|kernel stack overflow|double fault|possible .*locking|circular locking"

# --- helpers -------------------------------------------------------------

# Helpers read files with the shell's own "read": under TCG every process
# started costs milliseconds, and the load loop calls them a lot.

# state PID: st= its state letter from /proc (R, S, D, Z, ...), empty if
# gone (a variable, not output: $(...) would fork)
state() {
	st=""
	read -r st 2>/dev/null <"/proc/$1/stat" || return 0
	st=${st##*) }
	st=${st%% *}
}
# alive PID: not gone and not a zombie waiting to be reaped
alive() {
	state "$1"
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
# describe PID: what a stuck process is doing
describe() {
	state "$1"
	echo "pid $1 state $st wchan $(cat "/proc/$1/wchan" 2>/dev/null)" \
		"cmd $(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline")"
	sed 's/^/  stack: /' "/proc/$1/stack" 2>/dev/null | head -n 12
}
# cmdline PID: cl= its command line, empty for kernel threads
cmdline() { cl=$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline"); }
# dump_procs: every user process but this shell, for a hang's report
# (one line each, so that none is cut at printk's line length)
dump_procs() {
	for _p in /proc/[0-9]*; do
		_p=${_p#/proc/}
		[ "$_p" = $$ ] && continue
		cmdline "$_p"
		[ -n "$cl" ] || continue
		describe "$_p" | sed 's/^/stress: hang: /'
	done
	# and the kernel's view of every task in D
	echo w >/proc/sysrq-trigger 2>/dev/null
}

# until_ok CMD...: retry CMD until it succeeds: every 20 ms for the first
# half second, then every 0.1 s for HANG tenths; false if it never did
until_ok() {
	_n=0
	while ! "$@"; do
		[ $_n -ge $((HANG + 25)) ] && return 1
		if [ $_n -lt 25 ]; then sleep 0.02; else sleep 0.1; fi
		_n=$((_n + 1))
	done
}
gone() { ! alive "$1"; }

# reap PID: wait for it to end (HANG tenths at most), then its exit
# status; 124 and a description when it does not end
reap() {
	if ! until_ok gone "$1"; then
		describe "$1"
		return 124
	fi
	wait "$1"
}

# bounded CMD...: run CMD in the background and reap it: a command that
# hangs (rmmod stuck in a driver's remove) is reported, not waited for
bounded() {
	"$@" &
	reap $!
}

# by_label LABEL: the sysfs directory of the gwio device called LABEL
by_label() {
	for _d in /sys/class/gwio/gwio*; do
		_lb=""
		read -r _lb 2>/dev/null <"$_d/label"
		[ "$_lb" = "$1" ] && { echo "$_d"; return; }
	done
}

# loaded MODULE: MODULE (with underscores) is loaded
loaded() { [ -e "/sys/module/$1/refcnt" ]; }
refcnt() {
	_rc=gone
	read -r _rc 2>/dev/null <"/sys/module/$1/refcnt"
	echo "$_rc"
}

# leftovers: what an unloaded gwio.ko must not leave behind
leftovers() {
	_l=""
	loaded gwio && _l="$_l module;"
	[ -e /sys/module/gwio ] && _l="$_l /sys/module/gwio;"
	[ -e /sys/class/gwio ] && _l="$_l /sys/class/gwio;"
	for _f in /dev/gwio*; do [ -e "$_f" ] && _l="$_l $_f;"; done
	[ -e /sys/bus/platform/drivers/gwio-io ] && _l="$_l platform driver;"
	[ -e /sys/bus/spi/drivers/gwio-spi-adc ] && _l="$_l spi driver;"
	grep -q ' gwio$' /proc/devices && _l="$_l chrdev region;"
	# every line and interrupt of the chip given back (gpiolib pins the
	# chip's module once per requested line and irq)
	[ "$(refcnt gwio_test_gpio)" = 0 ] ||
		_l="$_l gwio_test_gpio refcnt $(refcnt gwio_test_gpio);"
	[ "$(refcnt gwio_test_spi)" = 0 ] ||
		_l="$_l gwio_test_spi refcnt $(refcnt gwio_test_spi);"
	echo "$_l"
}

# kernel messages since the last call that run-vm.sh would call trouble
dmesg_trouble() {
	dmesg -c 2>/dev/null | grep -v GWIO- | grep -E "$BAD_RE" | head -n 3 | tr '\n' '|'
}

# mem: MemAvailable VmallocUsed SUnreclaim (kB) and the bytes in kmalloc
# slabs, after the kernel has had the chance to free what it defers
mem() {
	echo 3 >/proc/sys/vm/drop_caches
	_k=$(awk '$1 ~ /^(dma-)?kmalloc-/ { b += $2 * $4 } END { printf "%d", b / 1024 }' \
		/proc/slabinfo 2>/dev/null)
	awk -v k="${_k:-0}" '/^MemAvailable:/ { a = $2 } /^VmallocUsed:/ { v = $2 }
		/^SUnreclaim:/ { s = $2 } END { print a, v, s, k }' /proc/meminfo
}

pulses_on() {
	# 10 kHz of edges on both0, and a train on bounce3 faster than its
	# debounce: its timer restarts on every edge until it is cancelled
	echo "0 0 0" >$G/pulse
	echo "3 0 0" >$G/pulse
	echo "0 100000000 100000" >$G/pulse
	echo "3 100000000 200000" >$G/pulse
}
pulses_off() {
	echo "0 0 0" >$G/pulse
	echo "3 0 0" >$G/pulse
}

hw_load() {
	insmod ./gwio-test-gpio.ko ngpio=8 && insmod ./gwio-test-spi.ko &&
		pulses_on
}
hw_unload() {
	pulses_off
	rmmod gwio-test-spi && rmmod gwio-test-gpio
}

cd $P || exit 1
mkdir -p $W
# a soft lockup shows every CPU, not only the one that locked up
echo 1 >/proc/sys/kernel/softlockup_all_cpu_backtrace 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
dmesg -c >/dev/null
KMEMLEAK=/sys/kernel/debug/kmemleak
if [ -w $KMEMLEAK ] && echo clear >$KMEMLEAK 2>/dev/null; then
	info "kmemleak: on"
else
	KMEMLEAK=""
fi
info "$LOOPS load cycles, workers at $SCALE %$([ $debugk = 0 ] || echo ' (a debug kernel)')"
if hw_load; then pass hw-load; else fail hw-load; exit 1; fi

# --- 1: load/unload under traffic ------------------------------------------
# Each cycle: gwio.ko and both boards (in one order or the other: probe
# from the driver's registration or from the device's), traffic on every
# kind of source, a consumer mapping and polling sim0, testboard and adc0;
# then rmmod gwio must be refused, and so must the hardware modules, with
# the consumer untouched; then the boards go under it (even cycles: it
# must see POLLHUP and ENODEV) or it closes first (odd cycles) and rmmod
# gwio takes the devices from the drivers' side, edges still arriving.
cyc_ok=0 refused_ok=0 hup_ok=0 clean_ok=0 errs="" mems="" slab_first=""
note() { # note CYCLE REASON: keep the first few reasons
	case $errs in
	*\;*\;*\;*\;*) ;;
	*) errs="$errs $1: $2;" ;;
	esac
}
# said PREFIX: the consumer has printed a line starting with PREFIX
said() {
	while read -r _ln; do
		case $_ln in "$1"*) return 0 ;; esac
	done <$W/hold.out
	return 1
}
held() { said holding || gone "$1"; }
hup() { said "hup $1 " || gone "$2"; }
t0=$(cut -d. -f1 /proc/uptime)
i=1
while [ $i -le "$LOOPS" ]; do
	bad=""
	if [ $((i % 2)) = 0 ]; then
		insmod ./gwio.ko sim_channels=2 $SIM_ARGS && insmod ./gwio-test-board.ko &&
			insmod ./gwio-test-adcboard.ko || bad="load;"
	else
		insmod ./gwio-test-board.ko && insmod ./gwio-test-adcboard.ko &&
			insmod ./gwio.ko sim_channels=2 $SIM_ARGS || bad="load;"
	fi
	sim="" tb="" a0="" a1=""
	for d in /sys/class/gwio/gwio*; do
		lb=""
		read -r lb 2>/dev/null <"$d/label"
		case $lb in
		sim0) sim=$d ;;
		testboard) tb=$d ;;
		adc0) a0=$d ;;
		adc1) a1=$d ;;
		esac
	done
	if [ -z "$bad" ] && [ -n "$sim" ] && [ -n "$tb" ] && [ -n "$a0" ] && [ -n "$a1" ] &&
		[ -c "/dev/${sim##*/}" ] && [ -c "/dev/${tb##*/}" ] && [ -c "/dev/${a0##*/}" ]; then
		for d in "$sim" "$tb" "$a0" "$a1"; do echo 1 >"$d/enable"; done
		# emptied here, not by the job's redirection: that happens only
		# once the job runs, and the wait below would read the last cycle's
		: >$W/hold.out
		$S hold "/dev/${sim##*/}" "/dev/${tb##*/}" "/dev/${a0##*/}" >$W/hold.out 2>&1 &
		holder=$!
		# "holding" once every device has delivered a record
		until_ok held $holder
		grep -q '^holding' $W/hold.out || bad="$bad no traffic ($(tr '\n' ' ' <$W/hold.out));"
		# the contract: in use, so refused, and everything stays
		r=""
		rmmod gwio 2>/dev/null && r="$r rmmod gwio worked;"
		rmmod gwio-test-gpio 2>/dev/null && r="$r rmmod gwio-test-gpio worked;"
		rmmod gwio-test-spi 2>/dev/null && r="$r rmmod gwio-test-spi worked;"
		loaded gwio || r="$r gwio gone;"
		# every open file holds the module
		[ "$(refcnt gwio)" -ge 3 ] || r="$r gwio refcnt $(refcnt gwio) with 3 files open;"
		[ "$(refcnt gwio_test_gpio)" -gt 0 ] 2>/dev/null ||
			r="$r gwio_test_gpio refcnt $(refcnt gwio_test_gpio) with its lines in use;"
		[ -c "/dev/${sim##*/}" ] && [ -d "$tb/channels/both0" ] || r="$r devices changed;"
		alive $holder || r="$r consumer died: $(tr '\n' ' ' <$W/hold.out);"
		if [ -z "$r" ]; then
			refused_ok=$((refused_ok + 1))
		else
			bad="$bad$r"
		fi
		if [ $((i % 2)) = 0 ]; then
			# hardware gone under the consumer
			r=""
			bounded rmmod gwio-test-board || r="$r rmmod gwio-test-board;"
			bounded rmmod gwio-test-adcboard || r="$r rmmod gwio-test-adcboard;"
			for d in "$tb" "$a0"; do
				until_ok hup "/dev/${d##*/}" $holder
				grep -q "^hup /dev/${d##*/} ok" $W/hold.out ||
					r="$r /dev/${d##*/} removed: $(grep -e "${d##*/}" -e VIOLATION $W/hold.out | tr '\n' ' ');"
			done
			kill -TERM $holder 2>/dev/null
			reap $holder || r="$r consumer: exit $? $(grep VIOLATION $W/hold.out | tr '\n' ' ');"
			bounded rmmod gwio || r="$r rmmod gwio after the consumer;"
			if [ -z "$r" ]; then hup_ok=$((hup_ok + 1)); else bad="$bad$r"; fi
		else
			kill -TERM $holder 2>/dev/null
			reap $holder || bad="$bad consumer: exit $? $(grep VIOLATION $W/hold.out | tr '\n' ' ');"
			bounded rmmod gwio || bad="$bad rmmod gwio after the consumer;"
			bounded rmmod gwio-test-adcboard || bad="$bad rmmod gwio-test-adcboard;"
			bounded rmmod gwio-test-board || bad="$bad rmmod gwio-test-board;"
		fi
	else
		bad="$bad devices: sim0 '$sim' testboard '$tb' adc0 '$a0' adc1 '$a1';"
		rmmod gwio 2>/dev/null
		rmmod gwio-test-adcboard 2>/dev/null
		rmmod gwio-test-board 2>/dev/null
	fi
	l=$(leftovers)
	if [ -z "$l" ]; then clean_ok=$((clean_ok + 1)); else bad="$bad left:$l"; fi
	[ -z "$bad" ] && cyc_ok=$((cyc_ok + 1)) || note $i "$bad"
	# a failure to unload poisons every later cycle: stop there
	if loaded gwio || loaded gwio_test_board || loaded gwio_test_adcboard; then
		note $i "still loaded after the cycle, stopping"
		break
	fi
	# the hardware modules must come out too: nothing of gwio holds them
	if [ $((i % 25)) = 0 ]; then
		hw_unload && hw_load || { note $i "hardware modules reload"; break; }
	fi
	if [ $((i % 10)) = 0 ]; then
		m=$(mem)
		info "cycle $i: MemAvailable VmallocUsed SUnreclaim kmalloc (kB): $m"
		mems="$mems$m
"
		[ -n "$slab_first" ] || { slab_first=1; cp /proc/slabinfo $W/slab.first 2>/dev/null; }
	fi
	i=$((i + 1))
done
t1=$(cut -d. -f1 /proc/uptime)
info "$((i - 1)) load/unload cycles in $((t1 - t0)) s"
check_count() { # check_count NAME GOT
	if [ "$2" = "$LOOPS" ]; then pass "$1 $2/$LOOPS"; else fail "$1 $2/$LOOPS:$errs"; fi
}
check_count load-unload-cycles $cyc_ok
check_count load-unload-rmmod-refused-in-use $refused_ok
check_count load-unload-nothing-left $clean_ok
if [ "$hup_ok" = $((LOOPS / 2)) ]; then
	pass "load-unload-removed-under-consumer $hup_ok/$((LOOPS / 2))"
else
	fail "load-unload-removed-under-consumer $hup_ok/$((LOOPS / 2)):$errs"
fi
# Memory, sampled every 10 cycles with only the hardware modules loaded:
# from the first sample on (allocator caches warmed up) the numbers may
# move either way; a leak grows at every sample.  A gwio device leaked
# per cycle would be its ring (> 256 kB of vmalloc) and kBs of kmalloc,
# so MBs between the first and the last sample.  Fails when a number
# grew at every sample by more than SOFT in all, or by more than HARD.
# KASAN keeps freed objects in a quarantine (up to 1/32 of memory) that
# the slab numbers count as allocated until it fills: there only
# VmallocUsed is judged (kmemleak, below, is the better judge anyway).
# (worded so that no kernel-report pattern, "KASAN:", matches it)
[ $kasan = 0 ] || info "slab numbers not judged under kasan (its quarantine grows them)"
r=$(printf '%s' "$mems" | awk -v soft=1024 -v hard=8192 -v kasan=$kasan '
	function judge(name, col,    i, up) {
		up = 1
		for (i = 2; i <= NR; i++) if (v[i, col] <= v[i - 1, col]) up = 0
		d = v[NR, col] - v[1, col]
		if (d > hard || (up && d > soft))
			printf " %s +%d kB over %d samples%s;", name, d, NR,
				up ? ", growing at each" : ""
	}
	{ for (c = 1; c <= 4; c++) v[NR, c] = $c }
	END {
		if (NR < 2) exit
		judge("VmallocUsed", 2)
		if (!kasan) { judge("SUnreclaim", 3); judge("kmalloc", 4) }
	}')
if [ -z "$r" ]; then pass load-unload-memory-flat; else fail load-unload-memory-flat "$r"; fi
# where it went: the slab caches that grew most since the first sample
if [ -f $W/slab.first ]; then
	info "slab caches grown most since the first sample (kB):$(awk '
		FNR == NR { b[$1] = $2 * $4; next }
		$1 in b { d = ($2 * $4 - b[$1]) / 1024; if (d >= 8) printf " %s +%d\n", $1, d }' \
		$W/slab.first /proc/slabinfo | sort -t+ -k2 -rn | head -n 6 | tr '\n' ' ')"
fi
r=$(dmesg_trouble)
if [ -z "$r" ]; then pass load-unload-dmesg-clean; else fail load-unload-dmesg-clean "$r"; fi

# --- 2: everything at once -------------------------------------------------
# Workers with fixed iteration counts, writing their progress to
# $W/NAME.progress; the watchdog below only calls it a hang when a worker
# makes no progress for HANG tenths of a second.
SIM2="sim_channels=4,2 sim_rate=20000"
insmod ./gwio.ko $SIM2 && insmod ./gwio-test-board.ko &&
	insmod ./gwio-test-adcboard.ko && pass concurrent-setup ||
	fail concurrent-setup "$(ls /sys/class/gwio 2>&1)"
for d in /sys/class/gwio/gwio*; do echo 1 >"$d/enable"; done
spidevs=""
for l in /sys/bus/spi/drivers/gwio-spi-adc/spi*; do spidevs="$spidevs ${l##*/}"; done
info "spi devices:$spidevs"
rm -f $W/*.progress $W/*.out
rm -rf $W/spi.lock
# the processes there are before the workers
before=" "
for p in /proc/[0-9]*; do before="$before${p#/proc/} "; done

# The SPI core removes a device's software node before device_del(),
# without the device lock (spi_unregister_device()), so a probe that a
# sysfs "bind" runs at that moment sees dev->fwnode vanish: "found 0
# channel nodes", or a NULL dereference in fw_devlink
# (__fw_devlink_link_to_consumers, 6.12) with the device locks held and
# everything after hung.  Not gwio's to fix: the ADC board's reload and
# the ADCs' bind/unbind take turns (mkdir is atomic); everything else
# still races.
spi_lock() { while ! mkdir $W/spi.lock 2>/dev/null; do sleep 0.02; done; }
spi_unlock() { rmdir $W/spi.lock; }

unbinder() { # unbind/bind the board and both ADCs, ROUNDS times
	for _i in $(seq "$1"); do
		echo "$_i" >$W/unbind.progress
		# gwio.ko being reloaded: wait (a round with no driver is none)
		while [ ! -e /sys/bus/platform/drivers/gwio-io ]; do sleep 0.05; done
		echo gwio-io >/sys/bus/platform/drivers/gwio-io/unbind
		spi_lock
		for _s in $spidevs; do echo "$_s" >/sys/bus/spi/drivers/gwio-spi-adc/unbind; done
		spi_unlock
		echo gwio-io >/sys/bus/platform/drivers/gwio-io/bind
		spi_lock
		for _s in $spidevs; do echo "$_s" >/sys/bus/spi/drivers/gwio-spi-adc/bind; done
		spi_unlock
	done 2>/dev/null
	echo "done" >$W/unbind.progress
}
modcycler() { # the boards out and in, gwio.ko too when nobody has it open
	_reloads=0
	for _i in $(seq "$1"); do
		echo "$_i" >$W/modules.progress
		rmmod gwio-test-board && insmod ./gwio-test-board.ko
		spi_lock
		rmmod gwio-test-adcboard && insmod ./gwio-test-adcboard.ko
		spi_unlock
		# gwio.ko itself, every third round, while the sysfs writers
		# and the unbinder go on: refused while a file is open (each
		# refusal races an open()), so the openers and the ioctl hammer
		# close theirs and wait (SIGUSR1) until it is back (SIGUSR2)
		if [ $((_i % 3)) = 0 ]; then
			# shellcheck disable=SC2086 # a list of pids
			kill -USR1 $openers
			_k=0
			while [ $_k -lt 100 ]; do
				if rmmod gwio; then
					_reloads=$((_reloads + 1))
					insmod ./gwio.ko $SIM2 ||
						echo "VIOLATION: modules: insmod gwio failed"
					break
				fi
				sleep 0.05
				_k=$((_k + 1))
			done
			# shellcheck disable=SC2086
			kill -USR2 $openers
		fi
		loaded gwio_test_board || echo "VIOLATION: modules: board not back"
	done 2>/dev/null
	echo "modules: $1 rounds, gwio.ko reloaded $_reloads times of $(($1 / 3))"
	[ $_reloads = $(($1 / 3)) ] ||
		echo "VIOLATION: modules: gwio.ko reloaded $_reloads times of $(($1 / 3)) with nothing open"
	echo "done" >$W/modules.progress
}
workers=""
start() { # start NAME CMD...: a worker in the background
	_name=$1
	shift
	"$@" >$W/"$_name".out 2>&1 &
	workers="$workers $_name:$!"
}
start sysfs1 $S sysfs "$(scaled 60)" 1 $W/sysfs1.progress
start sysfs2 $S sysfs "$(scaled 60)" 2 $W/sysfs2.progress
start open1 $S open "$(scaled 1200)" 3 $W/open1.progress
start open2 $S open "$(scaled 1200)" 4 $W/open2.progress
start open3 $S open "$(scaled 1200)" 5 $W/open3.progress
start ioctl $S ioctl "$(scaled 900)" 6 $W/ioctl.progress
openers=""
for w in $workers; do
	case $w in open*|ioctl*) openers="$openers ${w#*:}" ;; esac
done
start unbind unbinder "$(scaled 75)"
start modules modcycler "$(scaled 24)"
t0=$(cut -d. -f1 /proc/uptime)

# watchdog: every worker must move on within HANG tenths (checked once a
# second: the watchdog's own processes cost the workers' CPU)
stuck=""
for w in $workers; do eval "last_${w%%:*}=''; idle_${w%%:*}=0"; done
while :; do
	running=0
	for w in $workers; do
		name=${w%%:*} pid=${w#*:}
		alive "$pid" || continue
		running=$((running + 1))
		now=$(cat $W/"$name".progress 2>/dev/null)
		eval "prev=\$last_$name idle=\$idle_$name"
		# shellcheck disable=SC2154 # set by the eval
		if [ "$now" = "$prev" ]; then idle=$((idle + 10)); else idle=0; fi
		eval "last_$name=\$now idle_$name=\$idle"
		if [ "$idle" -ge $HANG ]; then
			# everything, before anything is killed
			[ -n "$stuck" ] || dump_procs
			state "$pid"
			stuck="$stuck $name (pid $pid, $st);"
			kill -KILL "$pid" 2>/dev/null
		fi
	done
	[ $running = 0 ] && break
	sleep 1
done
t1=$(cut -d. -f1 /proc/uptime)
info "concurrent workers done in $((t1 - t0)) s"
if [ -n "$stuck" ]; then
	fail concurrent-no-hang "no progress for $((HANG / 10)) s:$stuck (stress: hang: lines above)"
else
	pass concurrent-no-hang
fi
for w in $workers; do
	name=${w%%:*} pid=${w#*:}
	wait "$pid"
	st=$?
	grep -v VIOLATION $W/"$name".out | tail -n 2 | sed "s/^/stress: $name: /"
	v=$(grep VIOLATION $W/"$name".out | head -n 5 | tr '\n' ' ')
	if [ $st = 0 ] && [ -z "$v" ]; then
		pass "concurrent-$name"
	else
		fail "concurrent-$name" "exit $st $v"
	fi
done

# nothing of ours left: every user process now was there before the
# workers started (a worker's rmmod or insmod outliving it, or anything
# in D, is a hang the watchdog could not end)
r=""
for p in /proc/[0-9]*; do
	p=${p#/proc/}
	cmdline "$p"
	[ -n "$cl" ] || continue	# kernel threads
	state "$p"
	case "$before" in
	*" $p "*) [ "$st" = D ] && r="$r $p in D: $cl;" ;;
	*) r="$r $p ($st) left: $cl;" ;;
	esac
done
if [ -z "$r" ]; then
	pass concurrent-no-process-left
else
	dump_procs
	fail concurrent-no-process-left "$r"
fi

# everything back as it was set up; no reference left
loaded gwio || insmod ./gwio.ko $SIM2
loaded gwio_test_board || insmod ./gwio-test-board.ko
loaded gwio_test_adcboard || insmod ./gwio-test-adcboard.ko
echo gwio-io >/sys/bus/platform/drivers/gwio-io/bind 2>/dev/null
for s in $spidevs; do echo "$s" >/sys/bus/spi/drivers/gwio-spi-adc/bind 2>/dev/null; done
r=$(refcnt gwio)
[ "$r" = 0 ] && pass concurrent-refcount-zero || fail concurrent-refcount-zero "gwio refcnt $r"
# every mapping counted out again (split, forked, grown, unmapped): a
# ring resizes only when its count is zero (EBUSY otherwise)
r=""
for d in /sys/class/gwio/gwio*; do
	echo 0 >"$d/enable"
	echo 1024 >"$d/ring_records" || r="$r ${d##*/} ($(cat "$d/label"));"
done
[ -z "$r" ] && pass concurrent-rings-unmapped || fail concurrent-rings-unmapped "resize refused:$r"
# with every file closed, every removed device is released and gives its
# id back: one more unbind/bind round, alone, lands on gwio2..gwio4
# behind the two sim devices (a leaked device reference keeps its id).
# CONFIG_DEBUG_KOBJECT_RELEASE delays releases by up to 4 s: a few more
# rounds, a second apart; a leak never converges.
n=0
while :; do
	echo gwio-io >/sys/bus/platform/drivers/gwio-io/unbind 2>/dev/null
	for s in $spidevs; do echo "$s" >/sys/bus/spi/drivers/gwio-spi-adc/unbind 2>/dev/null; done
	[ $n = 0 ] || sleep 1
	echo gwio-io >/sys/bus/platform/drivers/gwio-io/bind
	for s in $spidevs; do echo "$s" >/sys/bus/spi/drivers/gwio-spi-adc/bind; done
	ids=$(ls /sys/class/gwio | tr '\n' ' ')
	n=$((n + 1))
	# a debug kernel delays each release (and its id) by seconds
	[ "$ids" = "gwio0 gwio1 gwio2 gwio3 gwio4 " ] || [ $n -ge 30 ] && break
done
labels=""
for d in /sys/class/gwio/gwio*; do labels="$labels $(cat "$d/label")"; done
[ "$ids" = "gwio0 gwio1 gwio2 gwio3 gwio4 " ] && pass concurrent-ids-reused ||
	fail concurrent-ids-reused "devices $ids($labels)"
r=""
bounded rmmod gwio-test-adcboard || r="$r rmmod gwio-test-adcboard;"
bounded rmmod gwio-test-board || r="$r rmmod gwio-test-board;"
bounded rmmod gwio || r="$r rmmod gwio;"
l=$(leftovers)
[ -z "$r$l" ] && pass concurrent-rmmod || fail concurrent-rmmod "$r$l"

# the hardware and a fresh gwio.ko still work: records from every kind
r=""
insmod ./gwio.ko sim_channels=1 && insmod ./gwio-test-board.ko &&
	insmod ./gwio-test-adcboard.ko || r="load;"
for l in sim0 testboard adc0; do
	d=$(by_label $l)
	if [ -z "$d" ]; then
		r="$r $l missing;"
		continue
	fi
	n=$(timeout 120 $P/gwio-cat --start --flush -f csv -n 20 -t 60000 "/dev/${d##*/}" 2>/dev/null |
		grep -c '^[0-9]')
	[ "$n" = 20 ] || r="$r $l: $n records of 20;"
done
bounded rmmod gwio-test-adcboard && bounded rmmod gwio-test-board &&
	bounded rmmod gwio || r="$r unload;"
[ -z "$r" ] && pass concurrent-works-after || fail concurrent-works-after "$r"
r=$(dmesg_trouble)
[ -z "$r" ] && pass concurrent-dmesg-clean || fail concurrent-dmesg-clean "$r"

hw_unload && pass hw-unload || fail hw-unload "$(leftovers)"

# kmemleak (debug kernels): anything unreferenced since the clear above
if [ -n "$KMEMLEAK" ]; then
	echo scan >$KMEMLEAK
	sleep 6		# objects younger than 5 s are not reported
	echo scan >$KMEMLEAK
	n=$(grep -c '^unreferenced object' $KMEMLEAK)
	if [ "$n" = 0 ]; then
		pass kmemleak
	else
		sed -n '1,40p' $KMEMLEAK
		fail kmemleak "$n unreferenced objects"
	fi
fi
exit $rc
