#!/bin/bash
# gwiod.sh [ID...] — gwiod end to end in real Debian kernels (default: the
# host's two, 6.1-amd64 and 6.12-amd64): gwio.ko with simulated counter
# channels -> /dev/gwio0 -> gwiod -> mosquitto on the guest's 127.0.0.1 ->
# mosquitto_sub, checked in the guest (tests/vm/gwiod/run-tests.sh) and
# again on the host, where what the subscriber received comes back through
# the console and goes through tests/gwiod/payloads.py.  Prints each
# verdict and a last line "vm-gwiod: N passed, N failed".
#
# gwiod, mosquitto and mosquitto_sub are the host's dynamically linked
# programs: they go into the initramfs with every library ldd names for
# them, at the same paths, so only kernels of the host's architecture work.
# Needs mosquitto and mosquitto-clients installed on the host.
#
# Environment: GWIO_VM_LOGDIR keeps console logs (default
# ${TMPDIR:-/tmp}/gwio-vm-logs-UID); GWIO_VM_JOBS VMs at once (default 1);
# GWIOD_BUILD picks the userspace build directory (default: make
# print-build); GWIO_VM_APPEND, GWIO_VM_TIMEOUT as for run-vm.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

darch=$(dpkg --print-architecture)
ids=("$@")
((${#ids[@]})) || ids=("6.1-$darch" "6.12-$darch")
for id in "${ids[@]}"; do
	valid_id "$id" || die "unknown ID '$id' (want: ${ALL_IDS[*]} ${DEBUG_IDS[*]})"
	[[ $id == *-"$darch" ]] ||
		die "$id: the guest runs the host's $darch programs, so $darch kernels only"
done
logdir=${GWIO_VM_LOGDIR:-${TMPDIR:-/tmp}/gwio-vm-logs-$(id -u)}
mkdir -p "$logdir"

mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
mosquitto_sub=$(command -v mosquitto_sub || true)
[[ -x $mosquitto && -n $mosquitto_sub ]] ||
	die "needs mosquitto and mosquitto_sub on the host (apt-get install mosquitto mosquitto-clients)"

"$here/fetch-kernels.sh" "${ids[@]}" >&2

work=$(mktemp -d "${TMPDIR:-/tmp}/gwio-vmgwiod.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- userspace, once: the host's arch is the guest's ------------------------
echo "building gwiod" >&2
build=${GWIOD_BUILD:-$(make -s -C "$top/userspace" --no-print-directory print-build)}
make -s -C "$top/userspace" --no-print-directory BUILD="$build" gwiod >&2
gwiod=$build/gwiod/gwiod

# The initramfs extras (GWIO_VM_ROOTFS): the broker and the subscriber at
# their host paths, with the libraries of all three programs.
rootfs=$work/rootfs
vm_host_programs "$rootfs" "$mosquitto:/usr/sbin/mosquitto" \
	"$mosquitto_sub:/usr/bin/mosquitto_sub" "$gwiod:"
echo "initramfs extras: $(find "$rootfs" -type f | wc -l) files," \
	"$(du -sh "$rootfs" | cut -f1)" >&2

# --- gwio.ko per kernel, and the payloads -----------------------------------
for id in "${ids[@]}"; do
	echo "building gwio.ko for $id" >&2
	vm_build_module "$id" "$work/$id/payload" "$work/$id"
	cp "$gwiod" "$here"/gwiod/* "$work/$id/payload/"
	cp "$here/guest/lib.sh" "$work/$id/payload/guest-lib.sh"
done

# --- host-side check of what the guest's subscriber received ----------------
# host_check ID LOG: "[ID] PASS|FAIL host-..." lines
host_check() {
	local id=$1 logf=$2 sub=$work/$1/sub.out want got n r
	tr -d '\r' <"$logf" | grep -o 'GWIO-SUB: .*' | sed 's/^GWIO-SUB: //' >"$sub" || true
	want=$(tr -d '\r' <"$logf" | sed -n 's/.*GWIO-SUB-LINES: \([0-9]*\).*/\1/p' | tail -n1)
	got=$(wc -l <"$sub")
	if [[ -z $want ]]; then
		echo "[$id] FAIL host-payloads the guest sent no subscriber output"
		return
	fi
	if [[ $got != "$want" ]]; then
		echo "[$id] FAIL host-payloads $got of $want subscriber lines came through the console"
		return
	fi
	if ! command -v python3 >/dev/null; then
		echo "[$id] FAIL host-payloads no python3 on the host for tests/gwiod/payloads.py"
		return
	fi
	# N for payloads.py: the counters ran from 0 up to the largest value seen
	n=$(python3 - "$sub" <<-'EOF'
		import json, sys
		raw = win = 0
		for line in open(sys.argv[1], encoding="utf-8"):
		    t, _, p = line.rstrip("\n").partition(" ")
		    if t == "t/ring0/b/raw":
		        raw = max([raw] + [int(v) + 1 for _, v in json.loads(p)["samples"]])
		    elif t == "t/a/w":
		        win = max(win, int(json.loads(p)["window"]["last"][1]) + 1)
		print(raw, win)
		EOF
	) || { echo "[$id] FAIL host-payloads unreadable subscriber output"; return; }
	read -r nraw nwin <<<"$n"
	if r=$(python3 "$top/tests/gwiod/payloads.py" raw "$sub" t/ring0/b/raw "$nraw" 2>&1); then
		echo "[$id] PASS host-payloads-raw $r"
	else
		echo "[$id] FAIL host-payloads-raw $r"
	fi
	if r=$(python3 "$top/tests/gwiod/payloads.py" windows "$sub" t/a/w "$nwin" 2>&1); then
		echo "[$id] PASS host-payloads-windows $r"
	else
		echo "[$id] FAIL host-payloads-windows $r"
	fi
	if r=$(python3 "$top/tests/gwiod/payloads.py" keys "$sub" t/gwiod/status/health \
		uptime_s broker published acked queued refused points sources 2>&1); then
		echo "[$id] PASS host-payloads-health $r"
	else
		echo "[$id] FAIL host-payloads-health $r"
	fi
}

# --- boot -------------------------------------------------------------------
# log_buf_len: the subscriber's output (~200 lines of up to ~650 bytes)
# goes through printk in a burst; a bigger buffer keeps a slow console from
# dropping any of it.
export GWIO_VM_ROOTFS=$rootfs
export GWIO_VM_APPEND="log_buf_len=4M ${GWIO_VM_APPEND:-}"
export GWIO_VM_TIMEOUT=${GWIO_VM_TIMEOUT:-300}
VM_AFTER=host_check vm_boot_all gwiod "$work" "${ids[@]}"
