#!/bin/bash
# check-harness.sh [ID...] — prove the VM harness on each kernel (default: all
# four): build tests/vm/selftest/gwio_hello.ko out of tree against that
# kernel's headers (cross for arm64) and run it through run-vm.sh.
#
# Environment: GWIO_VM_LOGDIR (default ${TMPDIR:-/tmp}/gwio-vm-logs-UID) keeps the
# console logs as CI artifacts; GWIO_VM_JOBS=N runs N VMs at once (default 1;
# each VM already keeps two host cores busy under TCG).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

ids=("$@")
((${#ids[@]})) || mapfile -t ids < <(vm_default_ids harness)
logdir=${GWIO_VM_LOGDIR:-${TMPDIR:-/tmp}/gwio-vm-logs-$(id -u)}
mkdir -p "$logdir"

"$here/fetch-kernels.sh" "${ids[@]}"

work=$(mktemp -d "${TMPDIR:-/tmp}/gwio-harness.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Build all modules first (seconds each) so a build error stops us before
# any minutes are spent booting. No "|| die" after the subshell: that would
# switch off set -e inside it.
for id in "${ids[@]}"; do
	echo "building selftest for $id" >&2
	(
		# shellcheck source=/dev/null
		. "$KCACHE/$id.env"
		b=$work/$id/build p=$work/$id/payload
		mkdir -p "$b" "$p"
		# Build in a copy: M= writes objects next to the sources and the
		# four builds must not trample each other or the source tree.
		cp "$here"/selftest/{gwio_hello.c,Kbuild} "$b/"
		# ARCH must be the kbuild name (x86/arm64), not uname -m.
		make -s -C "$KDIR" M="$b" ARCH="$KARCH" CROSS_COMPILE="$CROSS_COMPILE" modules
		cp "$b/gwio_hello.ko" "$here/selftest/run-tests.sh" "$p/"
	)
done

jobs=${GWIO_VM_JOBS:-1}
declare -A pid_of=()
for id in "${ids[@]}"; do
	while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
	"$here/run-vm.sh" "$id" "$work/$id/payload" "$logdir/$id.log" >"$work/$id.out" 2>&1 &
	pid_of[$id]=$!
done

failed=()
for id in "${ids[@]}"; do
	wait "${pid_of[$id]}" || failed+=("$id")
	cat "$work/$id.out"
done
echo "logs: $logdir"
if ((${#failed[@]})); then
	echo "harness check FAILED on: ${failed[*]}"
	exit 1
fi
echo "harness check passed on: ${ids[*]}"
