#!/bin/bash
# demo/run.sh [--arch=amd64|arm64] [--host] [--shell] — what `make demo`
# and `make vm-shell` run (demo/README.md, docs/quickstart.md).
#
#   (default)   boots Debian's 6.12 kernel for ARCH under qemu with gwio.ko,
#               the simulated board of tests/kmod (demo/guest.sh sets it
#               up), mosquitto, gwiod and a subscriber inside, and prints
#               each MQTT message on stdout as `mosquitto_sub -v` does
#               ("topic payload") for DEMO_SECONDS (default 60) or until
#               Ctrl-C; then the guest stops cleanly and a summary follows
#               on stderr
#   --host      the same on this machine's own kernel, where it can load
#               modules (root, headers of the running kernel); says why
#               not where it cannot
#   --shell     a shell on the guest's console instead, gwio.ko and the
#               tools in /payload (Ctrl-A x or `poweroff -f` to leave)
#
# Exit status: 0 when the demo ran and the guest stopped cleanly.
# Environment: DEMO_SECONDS; GWIO_CACHE (downloads, default ~/.cache/gwio);
# DEMO_LOG keeps the guest's console log at that path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
vm=$top/tests/vm
# shellcheck source=../tests/vm/lib.sh
. "$vm/lib.sh"
LOG_TAG=demo

arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
mode=vm
for a in "$@"; do
	case $a in
	--arch=*) arch=${a#--arch=} ;;
	--host) mode=host ;;
	--shell) mode=shell ;;
	*) die "usage: $0 [--arch=amd64|arm64] [--host] [--shell]" ;;
	esac
done
# make passes ARCH=... down in the environment too; the kernel builds below
# take theirs from the kernel's env file.
unset ARCH
case $arch in
amd64 | x86_64) arch=amd64 ;;
arm64 | aarch64) arch=arm64 ;;
*) die "--arch=$arch: the demo runs on amd64 or arm64 guests" ;;
esac
seconds=${DEMO_SECONDS:-60}
[[ $seconds =~ ^[1-9][0-9]{0,4}$ ]] || die "DEMO_SECONDS=$seconds: want whole seconds, 1 to 99999"

need() { # PROGRAM...: every one on PATH, or say how to get them
	local p missing=()
	for p in "$@"; do
		command -v "$p" >/dev/null || [[ -x /usr/sbin/$p ]] || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	die "missing ${missing[*]}: install the dependencies first with 'make deps'"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/gwio-demo.XXXXXX")
# Whatever ends this script (an error, a closed terminal, a reader of our
# output gone), nothing it started may go on: the guest is asked to stop,
# given a little time, then qemu (or the host demo) is ended by its pid.
demo_pid=
teardown() {
	local i
	[[ -n $demo_pid && -s $demo_pid ]] || return 0
	local pid
	pid=$(<"$demo_pid")
	echo stop >&7 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -TERM "$pid" 2>/dev/null || true
}
cleanup() {
	teardown
	touch "$work/stopping" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
# A closed terminal or pipe must not kill us half way: our writes fail
# instead, and the teardown above still runs.
trap '' PIPE
trap 'exit 129' HUP
payload=$work/payload
mkdir -p "$payload"

# --- the host's own kernel --------------------------------------------------
# Where it can: root, the running kernel's headers, and a kernel that lets
# us load modules (a container's does not).  Otherwise say why, and what
# works instead.
host_prepare() {
	local rel kdir
	rel=$(uname -r)
	kdir=/lib/modules/$rel/build
	[[ $arch == "$(dpkg --print-architecture 2>/dev/null || echo amd64)" ]] ||
		die "HOST=1 runs on this machine's own kernel: ARCH=$arch is for the qemu demo"
	((EUID == 0)) || die "make demo HOST=1 loads kernel modules: run it as root (sudo make demo HOST=1)"
	# The kernel's own word first: finit_module() on a bad fd fails with
	# EBADF where loading is allowed, EPERM without the right (no
	# CAP_SYS_MODULE, kernel.modules_disabled=1), ENOSYS where a container's
	# seccomp filter forbids it outright.
	local nr errno
	nr=$(case $(uname -m) in x86_64) echo 313 ;; aarch64) echo 273 ;; esac)
	if [[ -n $nr ]]; then
		errno=$(perl -e 'my $a = ""; syscall($ARGV[0], -1, $a, 0); print 0 + $!' "$nr")
		case $errno in
		38) die "this machine cannot load kernel modules at all (finit_module:" \
			"Function not implemented: a container, typically); use the qemu demo: make demo" ;;
		1) die "this machine does not let us load kernel modules (no CAP_SYS_MODULE," \
			"or kernel.modules_disabled=1); use the qemu demo: make demo" ;;
		esac
	fi
	need mosquitto mosquitto_sub make gcc
	[[ -d $kdir ]] || die "no headers for the running kernel $rel in $kdir: install them" \
		"(on Debian: apt-get install linux-headers-$rel), or use the qemu demo: make demo"
	[[ ! -d /sys/module/gwio ]] || die "gwio is loaded already: rmmod gwio first (and stop whatever uses it)"
	# Built in $work, not in the tree: a root build there would leave
	# root-owned files behind for the user's next make.
	log "building gwio.ko and the simulated board for $rel (this machine's kernel)"
	mkdir -p "$work/km" "$work/tk"
	cp -r "$top/Kbuild" "$top/kmod" "$work/km/"
	cp "$top/tests/kmod/Kbuild" "$top"/tests/kmod/*.[ch] "$top/kmod/compat.h" "$work/tk/"
	make -s -C "$kdir" M="$work/km" modules >&2
	make -s -C "$kdir" M="$work/tk" modules >&2
	cp "$work/km/gwio.ko" "$work"/tk/*.ko "$payload/"
	log "building gwiod"
	make -s -C "$top/userspace" --no-print-directory BUILD="$work/us" gwiod >&2
	cp "$work/us/gwiod/gwiod" "$payload/"
	cp "$here/gwiod.yaml.in" "$here/mosquitto.conf" "$here/guest.sh" "$payload/"
	cp "$vm/guest/lib.sh" "$payload/guest-lib.sh"
	# Whatever else refuses the module (Secure Boot without its key, a
	# lockdown) says so at once.
	local out
	if ! out=$(insmod "$payload/gwio.ko" 2>&1); then
		die "this machine cannot load gwio.ko: ${out##*: }." \
			"Use the qemu demo instead: make demo"
	fi
	rmmod gwio
	# debugfs drives the simulated board
	mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
}

# --- a qemu guest -------------------------------------------------------------
vm_prepare() {
id=6.12-$arch
need "qemu-system-$([[ $arch == arm64 ]] && echo aarch64 || echo x86_64)" \
	mosquitto mosquitto_sub make gcc
log "kernel: Debian $id (downloaded once into $KCACHE)"
"$vm/fetch-kernels.sh" "$id" 2>&1 | sed 's/^/  /' >&2
# shellcheck source=/dev/null
. "$KCACHE/$id.env"

log "building gwio.ko and the simulated board for $KVER"
vm_build_module "$id" "$payload" "$work" >&2
"$top/tests/kmod/build.sh" "$id" "$payload" >/dev/null
vm_build_tools "$id" "$payload" "$work"

rootfs=$work/rootfs
if [[ $arch == "$(dpkg --print-architecture)" ]]; then
	log "building gwiod"
	build=$(make -s -C "$top/userspace" --no-print-directory print-build)
	make -s -C "$top/userspace" --no-print-directory BUILD="$build" gwiod >&2
	cp "$build/gwiod/gwiod" "$payload/"
	vm_host_programs "$rootfs" "$(command -v mosquitto || echo /usr/sbin/mosquitto):/usr/sbin/mosquitto" \
		"$(command -v mosquitto_sub):/usr/bin/mosquitto_sub" "$payload/gwiod:"
else
	log "building gwiod for $arch"
	"$here/foreign.sh" "$arch" "$payload" "$rootfs" "$work"
fi
cp "$here/gwiod.yaml.in" "$here/mosquitto.conf" "$payload/"
cp "$vm/guest/lib.sh" "$payload/guest-lib.sh"

dtb=
if [[ $arch == arm64 ]]; then
	dtb=$work/board.dtb
	need qemu-system-aarch64 dtc fdtoverlay socat
	vm_virt_dtb "$dtb" "$work"
fi

if [[ $mode == shell ]]; then
	cp "$here/shell.sh" "$payload/run-tests.sh"
	cp "$here/guest.sh" "$payload/"
	log "booting $KVER: a shell on the console; Ctrl-A x (or poweroff -f) leaves"
	GWIO_VM_ROOTFS=$rootfs GWIO_VM_DTB=$dtb GWIO_VM_INTERACTIVE=1 \
		"$vm/run-vm.sh" "$id" "$payload" "$work/console.log"
	exit 0
fi
cp "$here/guest.sh" "$payload/run-tests.sh"
}

# --- run, show the traffic, stop on Ctrl-C ------------------------------------
if [[ $mode == host ]]; then host_prepare; else vm_prepare; fi

# The demo reads "stop" on its standard input (the guest's console): qemu's
# stdin, or the host script's, is this fifo, held open here so that it
# never sees end of file.
mkfifo "$work/stdin"
exec 7<>"$work/stdin"
logf=${DEMO_LOG:-$work/console.log}
: >"$logf"
# Started in the background, qemu (or the host's demo) and the log reader
# ignore the terminal's SIGINT (timeout(1) and setsid give them a process
# group of their own): Ctrl-C reaches only this script, which asks the
# demo to stop.
if [[ $mode == host ]]; then
	port=18830
	while grep -qi ":$(printf '%04X' $port) 00000000:0000 0A" /proc/net/tcp; do
		port=$((port + 1))
	done
	log "running on this machine's kernel $(uname -r), broker on 127.0.0.1:$port"
	mkdir -p "$work/t"
	DEMO_SECONDS=$seconds DEMO_PAYLOAD=$payload DEMO_TMP=$work/t DEMO_PORT=$port \
		setsid sh "$payload/guest.sh" <"$work/stdin" >"$logf" 2>&1 &
	echo $! >"$work/demo.pid"
else
	log "booting $KVER under qemu (software emulation: about 20 s to the first message)"
	GWIO_VM_ROOTFS=$rootfs GWIO_VM_DTB=$dtb GWIO_VM_STDIN=$work/stdin \
		GWIO_VM_MONITOR=$([[ $arch == arm64 ]] && echo "$work/monitor") \
		GWIO_VM_TIMEOUT=$((seconds + 600)) GWIO_VM_PIDFILE=$work/demo.pid \
		GWIO_VM_APPEND="DEMO_SECONDS=$seconds log_buf_len=4M" \
		"$vm/run-vm.sh" "$id" "$payload" "$logf" >"$work/verdict" 2>&1 &
fi
vmpid=$!
demo_pid=$work/demo.pid

# arm64: the device tree's gwio channel is the PL061 line that qemu's
# system_powerdown pulses: a front-panel button, pressed every 8 s.
press_button() {
	local i
	for ((i = 1; i <= seconds; i++)); do
		sleep 1
		[[ -e $work/stopping || ! -S $work/monitor ]] && return 0
		((i % 8)) ||
			echo system_powerdown | socat - "UNIX-CONNECT:$work/monitor" >/dev/null 2>&1
	done
}

# One line in the guest's log, routed: traffic to stdout, the rest to stderr.
show() {
	local kind=$1 text=$2
	case $kind in
	MSG) printf '%s\n' "$text" ;;
	NOTE) printf 'demo: %s\n' "$text" >&2 ;;
	ERROR) printf 'demo: error: %s\n' "$text" >&2 ;;
	STAT) printf '%s\n' "$text" >>"$work/stats" ;;
	READY) [[ $arch == arm64 ]] && press_button </dev/null >/dev/null 2>&1 & ;;
	esac
}
tail -n +1 -F --pid=$vmpid "$logf" 2>/dev/null |
	sed -u -n -e 's/\r$//' -e 's/^.*GWIO-DEMO: /MSG\t/p' \
		-e 's/^.*GWIO-DEMO-\([A-Z]*\): \{0,1\}/\1\t/p' |
	while IFS=$'\t' read -r kind text; do show "$kind" "$text"; done | tee "$work/traffic" &
reader=$!

stopping=0
on_interrupt() {
	if ((stopping)); then
		log "still stopping the guest cleanly; once more does not hurry it"
		return
	fi
	stopping=1
	touch "$work/stopping"
	echo >&2
	log "stopping: gwiod publishes what it holds and says offline, then the guest powers off"
	echo stop >&7
}
trap on_interrupt INT TERM
# wait returns early when the trap runs; the guest is still going then
vmrc=
while [[ -z $vmrc ]]; do
	if wait "$vmpid"; then
		vmrc=0
	else
		rc=$?
		kill -0 "$vmpid" 2>/dev/null || vmrc=$rc
	fi
done
touch "$work/stopping"
demo_pid=
while kill -0 "$reader" 2>/dev/null; do wait "$reader" || true; done
trap - INT TERM

# --- summary --------------------------------------------------------------------
{
	echo
	echo "--- demo summary"
	if [[ -s $work/traffic ]]; then
		echo "messages per topic:"
		awk '{ n[$1]++ } END { for (t in n) printf "  %6d  %s\n", n[t], t }' \
			"$work/traffic" | sort -k2
	else
		echo "no MQTT messages arrived"
	fi
	if [[ -s $work/stats ]]; then
		echo "in the kernel:"
		sed 's/^/  /' "$work/stats"
	fi
	if [[ $mode == host ]]; then
		if ((vmrc == 0)); then
			echo "host: stopped cleanly, modules unloaded ($(uname -r))"
		else
			echo "host: FAILED, exit $vmrc (log: ${DEMO_LOG:-run again with DEMO_LOG=/tmp/demo.log to keep it})"
		fi
	elif ((vmrc == 0)); then
		echo "guest: stopped cleanly, no kernel warnings ($KVER, $(sed -n 's/.*boot+test took \([0-9.]*s\).*/\1/p' "$work/verdict"))"
	else
		echo "guest: FAILED (console log: ${DEMO_LOG:-run again with DEMO_LOG=/tmp/demo.log to keep it})"
		grep -E 'FAIL' "$work/verdict" | sed 's/^/  /' | head -n 30
	fi
} >&2
exit "$vmrc"
