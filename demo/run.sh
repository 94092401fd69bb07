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
	die "missing ${missing[*]}: install the dependencies first with" \
		"'sudo .ci/run --deps-only' (or as root without sudo: '.ci/run --deps-only')"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/gwio-demo.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
payload=$work/payload
mkdir -p "$payload"

# --- the host's own kernel --------------------------------------------------
if [[ $mode == host ]]; then
	exec "$here/host.sh" "$seconds"
fi

# --- a qemu guest -------------------------------------------------------------
id=6.12-$arch
need qemu-system-x86_64 qemu-system-aarch64 mosquitto mosquitto_sub make gcc
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

dtb=
if [[ $arch == arm64 ]]; then
	dtb=$work/board.dtb
	"$here/virt-dtb.sh" "$dtb" "$work"
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

# --- run, show the traffic, stop on Ctrl-C ------------------------------------
# The guest reads "stop" on its console: qemu's stdin is this fifo, held open
# here so that qemu never sees end of file.
mkfifo "$work/stdin"
exec 7<>"$work/stdin"
logf=${DEMO_LOG:-$work/console.log}
: >"$logf"
log "booting $KVER under qemu (software emulation: about 20 s to the first message)"
# Started in the background, qemu and the log reader ignore the terminal's
# SIGINT (and timeout(1) gives qemu a process group of its own): Ctrl-C
# reaches only this script, which asks the guest to stop.
GWIO_VM_ROOTFS=$rootfs GWIO_VM_DTB=$dtb GWIO_VM_STDIN=$work/stdin \
	GWIO_VM_MONITOR=$([[ $arch == arm64 ]] && echo "$work/monitor") \
	GWIO_VM_TIMEOUT=$((seconds + 600)) \
	GWIO_VM_APPEND="DEMO_SECONDS=$seconds log_buf_len=4M" \
	"$vm/run-vm.sh" "$id" "$payload" "$logf" >"$work/verdict" 2>&1 &
vmpid=$!

# One line in the guest's log, routed: traffic to stdout, the rest to stderr.
show() {
	local kind=$1 text=$2
	case $kind in
	MSG) printf '%s\n' "$text" ;;
	NOTE) printf 'demo: %s\n' "$text" >&2 ;;
	ERROR) printf 'demo: error: %s\n' "$text" >&2 ;;
	STAT) printf '%s\n' "$text" >>"$work/stats" ;;
	READY) [[ $arch == arm64 ]] && "$here/press.sh" "$work/monitor" "$seconds" & ;;
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
	if ((vmrc == 0)); then
		echo "guest: stopped cleanly, no kernel warnings ($KVER, $(tail -n 2 "$work/verdict" | head -n 1 | sed 's/.*took //'))"
	else
		echo "guest: FAILED (console log: ${DEMO_LOG:-run again with DEMO_LOG=/tmp/demo.log to keep it})"
		grep -E 'FAIL' "$work/verdict" | sed 's/^/  /' | head -n 30
	fi
} >&2
exit "$vmrc"
