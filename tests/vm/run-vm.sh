#!/bin/bash
# run-vm.sh ID PAYLOAD_DIR LOG — boot the Debian kernel ID (see fetch-kernels.sh)
# under qemu/TCG with a busybox initramfs carrying PAYLOAD_DIR as /payload, run
# /payload/run-tests.sh, and judge the result from the console log LOG.
#
# Payload contract: run-tests.sh prints "GWIO-TEST: PASS <name>",
# "GWIO-TEST: FAIL <name> <reason>" and optionally "GWIO-BENCH: <key> <value>".
# In the guest, GWIO_VM_ID=<ID> is set and `uname -r` is the kernel release.
#
# Exit status is non-zero if any test FAILs, if no test reported at all, if
# run-tests.sh exits non-zero, if GWIO-TESTS-DONE never shows (crash, hang,
# timeout), or if the kernel log shows an oops/BUG/WARNING/panic/etc.
#
# Optional environment:
#   GWIO_VM_DTB=file        -dtb for the arm64/armhf virt board (device-tree tests)
#   GWIO_VM_MONITOR=sock    qemu monitor on a unix socket (drive it with socat)
#   GWIO_VM_APPEND="..."    extra kernel command line
#   GWIO_VM_TIMEOUT=secs    hard limit for the whole VM run (default 600, or
#                           the kernel's VM_TIMEOUT from its env file: the
#                           debug kernels' is longer)
#   GWIO_VM_MEM / GWIO_VM_SMP  default 1024 (or the env file's VM_MEM) / 2
#   GWIO_VM_CPU             override the qemu -cpu model
#   GWIO_VM_VERBOSE=1       also stream the console to stderr while it runs
#   GWIO_VM_BZIMAGE=1       x86: boot the bzImage instead of the PVH vmlinux
#   GWIO_VM_STDIN=file      qemu's standard input, which the guest reads on its
#                           console (default /dev/null); make demo sends "stop"
#                           through a fifo
#   GWIO_VM_PIDFILE=file    where the pid of timeout(1) around qemu goes: a
#                           SIGTERM to it ends qemu (make demo's teardown)
#   GWIO_VM_INTERACTIVE=1   the console is this terminal (make vm-shell): qemu
#                           reads it and writes to it as well as to LOG, no
#                           time limit, no verdict; exit status is qemu's
#   GWIO_VM_ROOTFS=dir      extra files for the initramfs: dir's contents are
#                           copied over its root (symlinks followed), e.g.
#                           dir/lib/x86_64-linux-gnu/libc.so.6 for dynamically
#                           linked guest programs
#
# Console design (why test lines never get torn by kernel messages): the
# guest's console keeps full kernel verbosity (loglevel=7) so oops and WARN
# traces land in LOG as they happen, even if the guest then dies. Everything
# run-tests.sh prints is fed line by line into /dev/kmsg instead of being
# written to the serial port directly, so each line becomes one printk record:
# the kernel serialises it with its own messages (whole lines, in time order,
# with a timestamp) and never interleaves mid-line. printk.devkmsg=on lifts the
# /dev/kmsg rate limit. Lines longer than ~1000 bytes are truncated by printk.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

(($# == 3)) || die "usage: $0 ID PAYLOAD_DIR LOG"
id=$1 payload=$2 logf=$3
valid_id "$id" || die "unknown ID '$id' (want: ${ALL_IDS[*]} ${DEBUG_IDS[*]})"
[[ -f $payload/run-tests.sh ]] || die "$payload/run-tests.sh missing"
LOG_TAG=$id
envf=$KCACHE/$id.env
[[ -f $envf ]] || die "$envf missing: run tests/vm/fetch-kernels.sh $id first"
VM_TIMEOUT=600 VM_MEM=1024
# shellcheck source=/dev/null
. "$envf"
timeout_s=${GWIO_VM_TIMEOUT:-$VM_TIMEOUT}

# --- busybox for the guest arch --------------------------------------------
# Statically linked, so the one binary is the whole userland. Unpacked once per
# arch into the cache; the arm64 one cannot run on the host, which is fine.
busybox_for() {
	local darch=$1 dir=$GWIO_CACHE/busybox/$1
	if [[ ! -x $dir/bin/busybox ]]; then
		# Same lock as fetch-kernels.sh: parallel VMs must not download or
		# unpack over each other.
		mkdir -p "$KCACHE"
		exec 9>"$KCACHE/.lock"
		flock 9
		if [[ ! -x $dir/bin/busybox ]]; then
			ensure_apt_arch "$darch"
			local n v a deb
			read -r n v a < <(pkg_candidates "busybox-static:$darch")
			deb=$(fetch_deb "$n" "$v" "$a")
			rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
			dpkg -x "$deb" "$dir.tmp"
			rm -rf "$dir" && mv "$dir.tmp" "$dir"
		fi
		exec 9>&-
	fi
	echo "$dir/bin/busybox"
}
busybox=$(busybox_for "$DEB_ARCH")

# --- initramfs ---------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/gwio-vm-$id.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,payload}
cp "$busybox" "$rootfs/bin/busybox"
# Debian kernels also unpack their built-in initramfs (which has /dev/console)
# but do not rely on it: without a console node init starts with no stdio.
mknod -m 600 "$rootfs/dev/console" c 5 1 2>/dev/null || true
# -L: payloads may symlink to build outputs elsewhere (e.g. the .ko files).
cp -rL "$payload"/. "$rootfs/payload/"
if [[ -n ${GWIO_VM_ROOTFS:-} ]]; then
	[[ -d $GWIO_VM_ROOTFS ]] || die "GWIO_VM_ROOTFS=$GWIO_VM_ROOTFS is not a directory"
	cp -rL "$GWIO_VM_ROOTFS"/. "$rootfs/"
fi

cat >"$rootfs/init" <<'EOF'
#!/bin/busybox sh
# Generated by tests/vm/run-vm.sh — PID 1 of the gwio test VM.
/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts 2>/dev/null
ip link set lo up 2>/dev/null

# One printk record per output line (see run-vm.sh header for why).
to_kmsg() {
	if [ -w /dev/kmsg ]; then
		while IFS= read -r line; do
			[ -n "$line" ] && printf '<5>%s\n' "$line" >/dev/kmsg
		done
	else
		cat
	fi
}

# kmemleak (see the end): boot's own leaks are listed, tagged so that the
# verdict skips them, and cleared; only the payload's count.
if [ -w /sys/kernel/debug/kmemleak ]; then
	sleep 5
	echo scan >/sys/kernel/debug/kmemleak
	sed 's/^/GWIO-BOOT-KMEMLEAK: /' /sys/kernel/debug/kmemleak | to_kmsg
	echo clear >/sys/kernel/debug/kmemleak
fi
echo "gwio-init: running /payload/run-tests.sh on $(uname -r) ($GWIO_VM_ID)" | to_kmsg
cd /payload
rcfile=/tmp/.run-tests.rc
{ sh /payload/run-tests.sh; echo $? >$rcfile; } 2>&1 | to_kmsg
echo "GWIO-TESTS-RC: $(cat $rcfile 2>/dev/null || echo killed)" | to_kmsg
# Kernels with kmemleak (the debug ones; automatic scans off): what the
# payload leaked.  The scan and "clear" before it (above) took boot's own
# leaks out of the report.  Objects younger than 5 s are never reported,
# so wait first (which also lets DEBUG_KOBJECT_RELEASE's 1-4 s delayed
# releases run after the last rmmod, where a release function in a
# module's freed text oopses), then scan twice (one scan may take a
# pointer in flight for a leak; kmemleak's documentation says repeat it):
# any "unreferenced object" left is a leak, and fails the run (bad_re).
kml=/sys/kernel/debug/kmemleak
if [ -w $kml ]; then
	sleep 6
	echo scan >$kml
	sleep 6
	echo scan >$kml
	cat $kml >/tmp/.kmemleak
	if [ -s /tmp/.kmemleak ]; then
		echo "gwio-init: kmemleak found $(grep -c '^unreferenced object' /tmp/.kmemleak) leaked objects:"
		cat /tmp/.kmemleak
	else
		echo "gwio-init: kmemleak: no leaks"
	fi | to_kmsg
fi
echo "GWIO-TESTS-DONE" | to_kmsg
cd /
sync
poweroff -f
EOF
chmod 755 "$rootfs/init"

initrd=$work/initrd.gz
(cd "$rootfs" && find . -print0 | cpio --null -o -H newc --owner=0:0 --quiet) | gzip -1 >"$initrd"

# --- qemu ----------------------------------------------------------------------
read -r -a qargs <<<"$QEMU_ARGS"
if [[ -n ${GWIO_VM_CPU:-} ]]; then
	# Replace the -cpu value from the env file.
	for i in "${!qargs[@]}"; do
		[[ ${qargs[$i]} == -cpu ]] && qargs[i + 1]=$GWIO_VM_CPU
	done
fi
qargs+=(-m "${GWIO_VM_MEM:-$VM_MEM}" -smp "${GWIO_VM_SMP:-2}"
	-nographic -no-reboot
	-initrd "$initrd")
# x86: boot the uncompressed vmlinux through PVH when fetch-kernels made one
# (saves seconds of TCG decompression); GWIO_VM_BZIMAGE=1 forces the bzImage.
if [[ -n ${VMLINUX_PVH:-} && -s $VMLINUX_PVH && ${GWIO_VM_BZIMAGE:-0} != 1 ]]; then
	qargs+=(-kernel "$VMLINUX_PVH")
else
	qargs+=(-kernel "$VMLINUZ")
fi
if [[ -n ${GWIO_VM_DTB:-} ]]; then
	[[ $DEB_ARCH == arm64 || $DEB_ARCH == armhf ]] ||
		die "GWIO_VM_DTB is only meaningful for the arm virt board (arm64, armhf)"
	# Repack through dtc: a raw `-machine dumpdtb=` blob is padded to 1 MiB,
	# and booting with it hangs the kernel silently (seen with qemu 7.2);
	# the compacted blob boots. Harmless for already compact blobs.
	dtc -q -I dtb -O dtb -o "$work/vm.dtb" "$GWIO_VM_DTB" || die "dtc cannot read $GWIO_VM_DTB"
	qargs+=(-dtb "$work/vm.dtb")
fi
if [[ -n ${GWIO_VM_MONITOR:-} ]]; then
	qargs+=(-monitor "unix:$GWIO_VM_MONITOR,server,nowait")
fi
# panic=-1: reboot at once on panic, which -no-reboot turns into qemu exit, so a
# dead guest costs seconds, not the timeout. No oops=panic: an oops in a test
# process should be logged and the run carried on to report the rest.
# mitigations=off: speculative-execution workarounds only cost TCG time here.
append="console=$CONSOLE loglevel=7 printk.devkmsg=on panic=-1 mitigations=off"
append+=" GWIO_VM_ID=$id ${GWIO_VM_APPEND:-}"
qargs+=(-append "$append")

mkdir -p "$(dirname "$logf")"
log "booting $KVER ($QEMU ${QEMU_ARGS})"
start=${EPOCHREALTIME/[.,]/}
# stdin from /dev/null: -nographic would otherwise read the terminal (and a
# backgrounded job would stop on SIGTTIN). qemu's own errors go to LOG too.
boot() {
	qrc=0
	if [[ ${GWIO_VM_VERBOSE:-0} == 1 ]]; then
		timeout -k 10 "$timeout_s" "$QEMU" "${qargs[@]}" </dev/null 2>&1 |
			tee "$logf" >&2 || qrc=$?
	else
		timeout -k 10 "$timeout_s" "$QEMU" "${qargs[@]}" \
			<"${GWIO_VM_STDIN:-/dev/null}" >"$logf" 2>&1 &
		[[ -z ${GWIO_VM_PIDFILE:-} ]] || echo $! >"$GWIO_VM_PIDFILE"
		wait $! || qrc=$?
	fi
}
if [[ ${GWIO_VM_INTERACTIVE:-0} == 1 ]]; then
	# qemu puts the terminal in raw mode and gives it back at exit; Ctrl-A x
	# quits qemu, Ctrl-C goes to the guest.
	qrc=0
	"$QEMU" "${qargs[@]}" | tee "$logf" || qrc=${PIPESTATUS[0]}
	exit "$qrc"
fi
boot
# A kernel that died before PID 1 started the payload says nothing about
# gwio: TCG has rare boot-time races (seen: an int3 Oops in sched_clock
# while the other vCPU patched a static key). Boot once more, and say so;
# the first log stays beside LOG.
if ! grep -q 'gwio-init: running' "$logf" &&
	grep -qE 'Kernel panic|Oops' "$logf"; then
	mv "$logf" "$logf.boot1"
	log "the kernel died while booting, before the payload ran ($logf.boot1); booting once more"
	boot
fi
elapsed_us=$((${EPOCHREALTIME/[.,]/} - start))
elapsed=$((elapsed_us / 1000000)).$((elapsed_us / 100000 % 10))

# --- verdict -------------------------------------------------------------------
# Serial output has CRLF line ends; printk records carry a "[ time] " prefix.
clean=$work/console.txt
tr -d '\r' <"$logf" >"$clean"

pass=0 fail=0
while IFS= read -r line; do
	read -r _ verdict rest <<<"$line"
	case $verdict in
	PASS) echo "[$id] PASS $rest"; pass=$((pass + 1)) ;;
	FAIL) echo "[$id] FAIL $rest"; fail=$((fail + 1)) ;;
	*) echo "[$id] FAIL malformed result line: $line"; fail=$((fail + 1)) ;;
	esac
done < <(grep -o 'GWIO-TEST: .*' "$clean" || true)
grep -o 'GWIO-BENCH: .*' "$clean" | sed "s/^GWIO-BENCH:/[$id] BENCH/" || true

problems=0
# Kernel trouble, anywhere in the log. Test output lines (GWIO-*) are excluded
# so a FAIL reason quoting "BUG" is not counted twice. The unsigned-module
# taint lines are expected and match none of these.
bad_re='Oops|BUG:|kernel BUG|WARNING:|Call Trace|KASAN|UBSAN|KFENCE|general protection|Unable to handle'
bad_re+='|Kernel panic|soft lockup|hard LOCKUP|blocked for more than|rcu_.*stall|list_(add|del) corruption'
bad_re+='|refcount_t:|segfault at|Internal error:|kernel stack overflow|double fault'
# the debug kernels' own words (lockdep's and DEBUG_OBJECTS' reports also
# start with WARNING: or BUG:, KASAN's and UBSAN's with their names)
bad_re+='|unreferenced object 0x|possible (circular|recursive) locking|lockdep is turned off'
bad_re+='|turning off the locking correctness validator'
bad_re+='|ODEBUG:|Kernel memory leak detector disabled|INFO: task .* blocked'
if grep -v 'GWIO-' "$clean" | grep -E "$bad_re" >"$work/bad.txt"; then
	echo "[$id] FAIL kernel problems in $logf:"
	sed "s/^/[$id]   /" "$work/bad.txt" | head -n 40
	problems=1
fi

rc=$(sed -n 's/.*GWIO-TESTS-RC: \([^ ]*\).*/\1/p' "$clean" | tail -n1)
if ! grep -q 'GWIO-TESTS-DONE' "$clean"; then
	if ((qrc == 124 || qrc == 137)); then
		echo "[$id] FAIL timeout after ${timeout_s}s (no GWIO-TESTS-DONE)"
	else
		echo "[$id] FAIL no GWIO-TESTS-DONE (qemu rc=$qrc); log tail:"
		tail -n 25 "$clean" | sed "s/^/[$id]   /"
	fi
	problems=1
elif [[ $rc != 0 ]]; then
	echo "[$id] FAIL run-tests.sh exited $rc"
	problems=1
elif ((pass + fail == 0)); then
	echo "[$id] FAIL run-tests.sh reported no GWIO-TEST results"
	problems=1
fi

echo "[$id] boot+test took ${elapsed}s ($KVER)"
fail=$((fail + problems))
echo "vm $id: $pass passed, $fail failed"
((fail == 0))
