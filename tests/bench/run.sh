#!/bin/bash
# run.sh — what `make bench` runs: every benchmark, then docs/benchmarks.md
# rewritten with the numbers, the commands and the machine.
#
#  1. the ring code natively on the host (tests/bench/ring/compare-host.sh):
#     producer and consumer threads pinned to two CPUs, zero loss verified,
#     the current tree's bench beside the one of the last ABI 1.2 tree
#     (75c7ac5^), both built now and run in turn;
#  2. gwiod's pipeline on one core (points, deadband, windows, JSON);
#  3. gwiod against a private mosquitto (tests/bench/gwiod/run.sh): ring
#     -> source -> windows on one core, messages/s at QoS 0 and 1 beside a
#     bare libmosquitto loop, peak RSS with 1000 points;
#  4. gwio.ko in the VMs (6.1 and 6.12, amd64 and armhf;
#     tests/bench/ring/compare-vm.sh): synthetic source -> ring -> epoll
#     consumer, records/s, drops and syscalls per 1000 records, the current
#     module beside the ABI 1.2 one, booted one after the other (ABI 1.2 does
#     not build for 32-bit ARM: said so in the table);
#  5. GPIO edges in the amd64 VMs on the simulated chip: gwio.ko beside the
#     GPIO character device read through libgpiod (tests/bench/gpio/), and
#     the edge-to-record latency of the vm-gpio suite;
#  6. SPI ADC sampling jitter (latency percentiles) of the vm-spi suite.
#
# Numbers, not verdicts: nothing here fails on a slow machine (a ring that
# loses or corrupts a record does: make bench then exits 1 after writing
# the page, which says so). Runs side by side in one invocation so ratios
# compare like with like.
#
# Environment: GWIO_BENCH_OUT (default docs/benchmarks.md);
# GWIO_BENCH_BEFORE=none leaves the ABI 1.2 side out of 1 and 4 (default
# 75c7ac5^, see tests/bench/ring/before.sh); GWIO_BENCH_ROUNDS (host runs
# of each side, default 5), GWIO_BENCH_RING_ARGS, GWIO_BENCH_VM_ROUNDS,
# GWIO_BENCH_VM_IDS (default "6.1-amd64 6.12-amd64 6.1-armhf 6.12-armhf"):
# see compare-host.sh and compare-vm.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${GWIO_BENCH_OUT:-$top/docs/benchmarks.md}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
t_start=$(date +%s)
t_phase=$t_start
# phase: how long the benchmark before took, on stderr
phase() {
	local now
	now=$(date +%s)
	echo "== ($((now - t_phase)) s)" >&2
	t_phase=$now
}
read -r -a vm_ids <<<"${GWIO_BENCH_VM_IDS:-6.1-amd64 6.12-amd64 6.1-armhf 6.12-armhf}"

echo "== host ring benchmark, current tree beside ABI 1.2" >&2
host_rc=0
"$here/ring/compare-host.sh" | tee "$work/host.txt" >&2 || host_rc=$?

phase
echo "== gwiod pipeline benchmark" >&2
make -s -C "$top/userspace" bench-pipeline | tee "$work/pipeline.txt" >&2

phase
echo "== gwiod and mosquitto" >&2
"$here/gwiod/run.sh" | tee "$work/gwiod.txt" >&2

phase
echo "== gwio.ko in the VMs, current module beside ABI 1.2" >&2
GWIO_VM_TIMEOUT=900 "$here/ring/compare-vm.sh" "${vm_ids[@]}" |
	tee "$work/vm.txt" >&2 || true

phase
echo "== GPIO edges: gwio.ko vs libgpiod in the amd64 VMs" >&2
"$here/gpio/gpio-bench.sh" 6.1-amd64 6.12-amd64 | tee "$work/gpio.txt" >&2 || true
phase
echo "== GPIO latency and SPI jitter from the VM suites" >&2
"$top/tests/vm/gpio.sh" 6.1-amd64 6.12-amd64 | tee "$work/vmgpio.txt" >&2 || true
"$top/tests/vm/spi.sh" 6.1-amd64 6.12-amd64 | tee "$work/vmspi.txt" >&2 || true
phase

gp() { sed -n "s/^bench gpio\\.$1 //p" "$work/gpio.txt" | tail -n1; }
# vb FILE ID KEY: a GWIO-BENCH value from a VM suite's output
vb() { awk -v id="[$2]" -v key="$3" '$1 == id && $2 == "BENCH" && $3 == key { print $4 }' "$1" | tail -n1; }
# g ID RATE: "p50 / p99 / max" edge-to-record latency from vm-gpio
g() { echo "$(vb "$work/vmgpio.txt" "$1" "both-$2_latency_ns_p50") / $(vb "$work/vmgpio.txt" "$1" "both-$2_latency_ns_p99") / $(vb "$work/vmgpio.txt" "$1" "both-$2_latency_ns_max")"; }
gw() { sed -n "s/^bench $1 //p" "$work/gwiod.txt" | tail -n1; }
host() { sed -n "s/^bench $1 //p" "$work/host.txt" | tail -n1; }
# variants of the host benchmark, in bench_ring's order
host_variants() { sed -n 's/^bench ring_host_after_mrps_\([a-z0-9_]*\) .*/\1/p' "$work/host.txt"; }
# fx A B: A / B as "N.Nx" (empty if either is missing)
fx() { [[ -n $1 && -n $2 ]] && awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b }'; }
# bvm ID SIDE FIELD: the rest of compare-vm.sh's "bench-vm ID SIDE FIELD ..." line
bvm() {
	awk -v id="$1" -v side="$2" -v f="$3" '$1 == "bench-vm" && $2 == id && $3 == side && $4 == f {
		sub(/^bench-vm [^ ]+ [^ ]+ [^ ]+ ?/, ""); print }' "$work/vm.txt" | tail -n1
}
# vm_rates ID SIDE: "TARGET RECORDS_PER_S DROPPED WORST LOSS_FREE RUNS
# SYSCALLS WAKEUPS" per rate (compare-vm.sh's "KEY VALUE" pairs by name)
vm_rates() {
	awk -v id="$1" -v side="$2" '$1 == "bench-vm" && $2 == id && $3 == side && $4 == "rate" {
		for (i = 6; i < NF; i += 2) v[$i] = $(i + 1)
		print $5, v["records_per_s"], v["dropped"], v["dropped_worst"], v["loss_free"],
			v["runs"], v["syscalls_per_1000"], v["wakeups"] }' "$work/vm.txt"
}
# vm_best ID SIDE: "TARGET RECORDS_PER_S SYSCALLS" of the fastest rate at
# which every boot dropped nothing and delivered within 1 % of the target,
# at fewer than 10 syscalls per 1000 records, if the boots passed
vm_best() {
	[[ $(bvm "$1" "$2" verdict) == *" 0 failed" ]] || return 0
	vm_rates "$1" "$2" | awk '$5 == $6 && $7 < 10 && $2 >= 0.99 * $1 && $1 > best {
		best = $1; rps = $2; sc = $7 } END { if (best) print best, rps, sc }'
}
# vm_cell ID SIDE: what the goal table says of SIDE on kernel ID
vm_cell() {
	local t rps sc build
	build=$(bvm "$1" "$2" build)
	if [[ $2 == before && -z $vm_before_tree ]]; then
		echo "not run"
	elif [[ -z $build ]]; then
		echo "no result"
	elif [[ $build != ok ]]; then
		echo "does not build"
	else
		read -r t rps sc <<<"$(vm_best "$1" "$2")"
		if [[ -n $t ]]; then
			echo "$t: $rps ($sc)"
		else
			echo "none"
		fi
	fi
}
# vm_goal ID: issue 9's goal for the current tree on kernel ID: "yes", or
# "no" and how many boots were loss-free at 1 M
vm_goal() {
	local t lf
	read -r t _ <<<"$(vm_best "$1" after)"
	if [[ -n $t ]] && ((t >= 1000000)); then
		echo yes
		return
	fi
	lf=$(vm_rates "$1" after | awk '$1 == 1000000 { print $5 " of " $6 }')
	echo "no${lf:+ (loss-free at 1 M in $lf boots)}"
}
# tree_of FILE KEY: the tree description a compare script printed
before_tree=$(sed -n 's/^bench ring_host_before_tree //p' "$work/host.txt" | tail -n1)
after_tree=$(sed -n 's/^bench ring_host_after_tree //p' "$work/host.txt" | tail -n1)
vm_before_tree=$(sed -n 's/^bench-vm tree before //p' "$work/vm.txt" | tail -n1)
vm_after_tree=$(sed -n 's/^bench-vm tree after //p' "$work/vm.txt" | tail -n1)
t_total=$((($(date +%s) - t_start + 30) / 60))
# abi_of "cf7cdd8 (ABI 2.0)": "ABI 2.0"
abi_of() { local d=${1#*(}; echo "${d%)}"; }
# the command as it was given: make bench and what was set for it
bench_cmd="make bench"
for v in GWIO_BENCH_BEFORE GWIO_BENCH_ROUNDS GWIO_BENCH_RING_ARGS \
	GWIO_BENCH_VM_ROUNDS GWIO_BENCH_VM_IDS GWIO_BENCH_VM_RATES GWIO_BENCH_VM_SECONDS; do
	[[ -z ${!v+set} ]] || bench_cmd="$v=\"${!v}\" $bench_cmd"
done
# summary: the before/after paragraph at the top of the page
summary() {
	local head head_n ha hb fa fb slow sv lo lon hi hin id vmtxt=""
	head=$(host_variants | sed -n 2p)
	ha=$(host "ring_host_after_mrps_$head")
	hb=$(host "ring_host_before_mrps_$head")
	fa=$(fx "$ha" 12.1)
	read -r slow sv < <(for n in $(host_variants); do echo "$n $(host "ring_host_after_mrps_$n")"; done |
		sort -k2,2g | head -n1)
	if [[ -n $before_tree ]]; then
		read -r lo lon hi hin < <(for n in $(host_variants); do echo "$(host "ring_host_ratio_$n") $n"; done |
			sort -g | awk 'NR == 1 { lo = $1 " " $2 } { hi = $1 " " $2 } END { print lo, hi }')
		fb=$(fx "$hb" 12.1)
		head_n=${head#pub}
		echo "Host, the headline variant $head (publish every ${head_n%_copy} records, batch"
		echo "copies): after ${ha:-?} M records/s, before ${hb:-?}, after / before"
		echo "$(host "ring_host_ratio_$head") (per round $(host "ring_host_ratio_range_$head")). After is ${fa:-?} the BPF"
		echo "ring buffer's 12.1 M records/s (before ${fb:-?}): the issue's \"at least 3x\""
		echo "(36.3 M records/s) $(awk -v a="${ha:-0}" 'BEGIN { print (a >= 36.3) ? "holds" : "does not hold" }'). The slowest variant after, $slow, does"
		echo "${sv:-?} M records/s ($(fx "$sv" 12.1)); after / before over the variants runs from"
		echo "$lo ($lon) to $hi ($hin)."
	else
		echo "Host, the headline variant $head: after ${ha:-?} M records/s, ${fa:-?} the BPF"
		echo "ring buffer's 12.1 M records/s (the issue asks for 3x); the slowest"
		echo "variant, $slow, ${sv:-?} M records/s. Before: not run (GWIO_BENCH_BEFORE=none)."
	fi
	echo
	for id in "${vm_ids[@]}"; do
		vmtxt+="${vmtxt:+; }$id: after $(vm_cell "$id" after), goal $(vm_goal "$id"); before $(vm_cell "$id" before)"
	done
	echo "In the qemu/TCG guests (emulated, see below), the fastest target rate at"
	echo "which every boot dropped nothing, \"target: records/s delivered"
	echo "(syscalls / 1000 records)\", and issue 9's goal (at least 1 M records/s"
	echo "loss-free, fewer than 10 syscalls per 1000): $vmtxt."
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
{
	cat <<EOF
# gwio benchmarks

Written by \`$bench_cmd\` (tests/bench/run.sh) on $(date -u +%Y-%m-%d)
in $t_total min: $(nproc) CPUs ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo),
$(uname -sr). The machine is shared and noisy: compare numbers within one
run, not across runs.

## ABI 2.0 beside ABI 1.2 (issue 9)

$(summary)

## The ring algorithm on the host: ABI 2.0 beside ABI 1.2

\`tests/bench/ring/compare-host.sh\`: kmod/gwio_ring.h compiled for
userspace, the producer on CPU 0 and the consumer on CPU 1, drop-newest
policy, every record's sequence and content verified, zero loss required.
The benchmark is built twice in this run, from the current tree (after:
${after_tree:-?}) and from the last ABI 1.2 tree (before:
${before_tree:-not run}; its kmod/, userspace/ and tests/bench/ring/
taken with \`git archive\` at run time, never kept in the tree), with the
same compiler and flags, and the two run in turn, $(host ring_host_rounds)
runs of each (after before, before after, ...), every run each variant
once ($(sed -n 's/^after 1: # \([0-9]*\) records x [0-9]* runs per variant, /\1 records, /p' "$work/host.txt" | head -n1)).
A figure is the median of a side's runs, the ratio the median of the
per-round after / before ratios.

| variant | after: M records/s, median (min .. max) | before (ABI 1.2) | after / before, median (min .. max) | after vs BPF ringbuf (12.1 M/s) | zero loss verified, after / before |
|---|---|---|---|---|---|
EOF
	for n in $(host_variants); do
		if [[ -n $before_tree ]]; then
			b="$(host "ring_host_before_mrps_$n") ($(host "ring_host_before_range_$n"))"
			q="$(host "ring_host_ratio_$n") ($(host "ring_host_ratio_range_$n"))"
			bok=$(host "ring_host_before_verified_$n")
		else
			b="not run" q="-" bok="-"
		fi
		echo "| $n | $(host "ring_host_after_mrps_$n") ($(host "ring_host_after_range_$n")) | $b | $q | $(fx "$(host "ring_host_after_mrps_$n")" 12.1) | $(host "ring_host_after_verified_$n") / $bok |"
	done
	cat <<EOF

Variants: \`pubN\` publishes head every N records; \`copy\` reads batches
with gwio_ring_cons_read(), \`peek\` reads in place (zero copy),
\`libgwio_read\` goes through gwio_ring_read(); \`overwrite_overload\`
floods an overwrite ring and reports what still reaches the consumer
(accounting checked exact; ABI 1.2 and 2.0 account a lapped consumer
differently, so that row's before and after are each checked by their own
tree's rules). A wide min .. max means the shared host interfered: compare
within one run, and trust the ratio, taken pair by pair, over the
absolute figures.
Reference point from the issue: the kernel's BPF ring buffer does 12.1 M
records/s with producer and consumer on separate CPUs (8-byte records).

## gwiod pipeline on one core

\`make -C userspace bench-pipeline\` (tests/bench/pipeline/bench_pipeline.c):
100 M in-memory records over 1000 points, point lookup, scaling, a
deadband that holds back a third, then the mode; flush every 100 ms of
sample time. Goal from issue 3: at least 10 M samples/s aggregated.

| stage | M samples/s |
|---|---|
$(sed -n 's/^bench \(pipeline_msps[a-z_]*\|payload_batch_msps\) \(.*\)$/| \1 | \2 |/p' "$work/pipeline.txt")

## gwiod: ring to windows, and publishing to mosquitto

\`tests/bench/gwiod/run.sh\`, against a private mosquitto 2.0 on
127.0.0.1 with its logging off. Goals from issue 3: at least 10 M
samples/s aggregated from a userspace-filled ring, at least 80 % of a bare
libmosquitto loop's messages/s, under 16 MiB peak RSS with 1000 points.

| measure | result |
|---|---|
| ring -> gwiod ring source -> 1 s windows, 1000 points, one core (\`bench_source\`) | $(gw gwiod_ring_windows_msps) M samples/s |
| QoS 0: gwiod / bare libmosquitto loop, msgs/s, median | $(gw gwiod_qos0_msgs_per_s) / $(gw bare_qos0_msgs_per_s) = **$(gw gwiod_vs_bare_qos0_percent) %** |
| QoS 0, best run of each | $(gw gwiod_best_qos0_msgs_per_s) / $(gw bare_best_qos0_msgs_per_s) = **$(gw gwiod_vs_bare_best_qos0_percent) %** |
| QoS 1: gwiod / bare libmosquitto loop, msgs/s, median | $(gw gwiod_qos1_msgs_per_s) / $(gw bare_qos1_msgs_per_s) = **$(gw gwiod_vs_bare_qos1_percent) %** |
| QoS 1, best run of each | $(gw gwiod_best_qos1_msgs_per_s) / $(gw bare_best_qos1_msgs_per_s) = **$(gw gwiod_vs_bare_best_qos1_percent) %** |
| gwiod peak RSS (VmHWM), 1000 points in 1 s windows + 111 raw streams, 100 k samples/s | $(awk -v k="$(gw gwiod_rss_1000_points_kib)" 'BEGIN { printf "%.1f MiB", k / 1024 }') |

Publishing: $(gw publish_msgs) messages of $(gw payload_bytes) bytes each run,
5 runs of each taken alternately. gwiod runs as the daemon: a memory
ring filled by \`gwio-simring\` with one counter channel, a raw route with
batches of one sample (one message per sample: the per-message cost is
what is compared), \`--exit-idle\`; its rate is messages over the time from
its first publish to its last message done, from its exit summary. The
bare loop (tests/bench/mqtt/bare_pub.c) publishes a fixed payload of the
same size with the same in-flight window (256). QoS 1 ends when every
message is acknowledged; QoS 0 ends, for both, when the last message is
written to the socket. Both pay libmosquitto's own costs (a wake-up byte
written per message, byte-wise header reads). Open question: at QoS 0
gwiod's runs fall into two groups, one at the bare loop's speed and one
at about 40 % of it, on the same build within one invocation; the bare
loop does not vary that way. Until that is understood, the median may
land in either group; the best runs show what the publish path can do.

## gwio.ko in qemu (TCG, 2 vCPUs): ABI 2.0 beside ABI 1.2, amd64 and armhf

\`tests/bench/ring/compare-vm.sh ${vm_ids[*]}\`: for each kernel, gwio.ko
and the guest's benchmark program (tests/vm/ring/vmtest.c) built from the
current tree (after: ${vm_after_tree:-?}) and from the last ABI 1.2 tree
(before: ${vm_before_tree:-not run}), each booted in a guest of its own,
one after the other. The guest loads gwio.ko and runs only \`vmtest
bench\` at each target rate, the call tests/vm/ring/run-tests.sh makes
under gwio.bench=1: four synthetic channels, ring 262144 records,
watermark 16384, an epoll consumer draining the mapped ring for 4 s. The
syscalls counted are the consumer's epoll_wait calls and its start and
stop ioctls; it reads the records through the mapping.

| kernel | tree | target rate | records/s delivered | dropped (worst boot) | boots loss-free | syscalls / 1000 records | wakeups |
|---|---|---|---|---|---|---|---|
EOF
	for id in "${vm_ids[@]}"; do
		for side in after before; do
			tree=$vm_after_tree
			[[ $side == after ]] || tree=$vm_before_tree
			label="$side ($(abi_of "$tree"))"
			build=$(bvm "$id" "$side" build)
			if [[ -z $build ]]; then
				[[ $side == before && -z $vm_before_tree ]] && continue
				echo "| $id | $label | - | no result | | | | |"
			elif [[ $build != ok ]]; then
				echo "| $id | $label | - | does not build: ${build#failed } | | | | |"
			else
				rows=$(vm_rates "$id" "$side")
				if [[ -z $rows ]]; then
					echo "| $id | $label | - | no result ($(bvm "$id" "$side" verdict)) | | | | |"
					continue
				fi
				while read -r t rps d dw lf n sc w; do
					echo "| $id | $label | $t | $rps | $d ($dw) | $lf of $n | $sc | $w |"
				done <<<"$rows"
			fi
		done
	done
	cat <<EOF

Issue 9's goal in the guest: at least 1 M records/s with nothing dropped
and fewer than 10 syscalls per 1000 records. Per kernel and tree, the
fastest target rate at which every boot dropped nothing, delivered within
1 % of the target and stayed under 10 syscalls per 1000 (in guests whose
every check passed), as "target: records/s delivered (syscalls / 1000)";
a lower rate may still have lost in one boot (the table above has each):

| kernel | after (ABI 2.0) | before (ABI 1.2) | goal met, after | boot + benchmark, s, after / before |
|---|---|---|---|---|
EOF
	for id in "${vm_ids[@]}"; do
		b_s=$(bvm "$id" before boot_s)
		echo "| $id | $(vm_cell "$id" after) | $(vm_cell "$id" before) | $(vm_goal "$id") | $(bvm "$id" after boot_s) / ${b_s:--} |"
	done
	cat <<EOF

Every figure in this section is emulated: qemu's TCG translates each guest
instruction on this host, amd64 guests with qemu-system-x86_64 (-cpu max),
armhf guests with qemu-system-arm (-M virt, Cortex-A15, Debian's armmp
kernel). The armhf rows are an emulated 32-bit ARM core on an amd64 host,
and TCG emulates ARM more slowly than x86, so they are no measurement of
ARM hardware: compare amd64-TCG with armhf-TCG as two emulations, and both
as lower bounds. The synthetic channels are asked for the target rate, so
a loss-free run at the highest target says the ring kept up with all that
was offered, not where it would stop. ABI 1.2 does not build for 32-bit
ARM: its 64-bit head and tail are read and written with smp_load_acquire()
and smp_store_release(), which a 32-bit kernel refuses at compile time
(issue 9's defect; the table quotes the compiler), so armhf has no before
figures.

## GPIO edges: gwio.ko beside the GPIO character device (libgpiod)

\`tests/bench/gpio/gpio-bench.sh 6.1-amd64 6.12-amd64\` (method in
tests/bench/gpio/README.md): in one qemu/TCG guest per kernel, the same
simulated GPIO chip (tests/kmod/gwio-test-gpio, real gpiolib and irq core)
pulses one line read by gwio.ko (hard-IRQ stamp and level, mmap ring,
libgwio) and another read through libgpiod 1.6 (GPIO character device v1
line events), at 100 to 200 000 edges/s, 3 repetitions, medians. Every
event is scored against the chip's own log of the edges it made. Goal from
issue 4: gwio sustains at least 5x the loss-free rate at no more than a
fifth of the CPU per event, and loses or misclassifies nothing it does not
count.

| kernel | loss-free edges/s: gwio (highest tested) / libgpiod | ratio | CPU per event, gwio / libgpiod incl. its irq thread (process only), at libgpiod's loss-free rate | uncounted losses or misclassifications by gwio |
|---|---|---|---|---|
EOF
	for id in 6.1-amd64 6.12-amd64; do
		echo "| $id | $(gp "$id.gwio.loss_free_rate") ($(gp "$id.top_rate_tested")) / $(gp "$id.gpiod.loss_free_rate") | $(r=$(gp "$id.rate_ratio"); [[ $r == - ]] && echo "- (libgpiod lost edges at every rate, in at least one run)" || echo "${r}x") | $(gp "$id.cpu_total_ratio") ($(gp "$id.cpu_ratio")) at $(gp "$id.cpu_compare_rate")/s | $([[ $(gp "$id.goal_gwio_all_counted") == yes ]] && echo none || echo SOME) |"
	done
	cat <<EOF

Per rate (medians; lost = edges the consumer never saw; CPU in ms per
1000 events received, libgpiod's including its irq thread):

| kernel | edges/s | gwio lost | libgpiod lost | gwio CPU | libgpiod CPU | gwio stamp latency p50 / p99 ns | libgpiod p50 / p99 ns |
|---|---|---|---|---|---|---|---|
EOF
	for id in 6.1-amd64 6.12-amd64; do
		for r in 100 1000 10000 100000 200000; do
			[[ -n $(gp "$id.gwio.$r.generated") ]] || continue
			echo "| $id | $r | $(gp "$id.gwio.$r.lost") | $(gp "$id.gpiod.$r.lost") | $(gp "$id.gwio.$r.cpu_total_ms_per_1k") | $(gp "$id.gpiod.$r.cpu_total_ms_per_1k") | $(gp "$id.gwio.$r.stamp_lat_ns_p50") / $(gp "$id.gwio.$r.stamp_lat_ns_p99") | $(gp "$id.gpiod.$r.stamp_lat_ns_p50") / $(gp "$id.gpiod.$r.stamp_lat_ns_p99") |"
		done
	done
	cat <<EOF

## GPIO edge-to-record latency and SPI sampling jitter (vm-gpio, vm-spi)

\`tests/vm/gpio.sh\` and \`tests/vm/spi.sh\` on 6.1-amd64 and 6.12-amd64.
GPIO: the record's timestamp minus the chip's log time of the edge (both
CLOCK_MONOTONIC), over every edge of trains of 1000 (1 kHz), 10000
(10 kHz) and 20000 (100 kHz, bunched) edges; every edge arrived as a
record, in order, with the right level. SPI: an MCP3008 (4 inputs)
sampled every 1 ms through the emulated bus; records carry the scheduled
tick time; the latency runs from that time to the message's completion
(percentiles over the last 4096 messages completed); ticks skipped because the bus was
still busy are counted in the channels' `ticks_skipped`.

| kernel | GPIO 1 kHz p50 / p99 / max ns | GPIO 10 kHz | GPIO 100 kHz | SPI latency p50 / p99 / max ns | SPI ticks skipped per 500 |
|---|---|---|---|---|---|
EOF
	for id in 6.1-amd64 6.12-amd64; do
		echo "| $id | $(g "$id" 1k) | $(g "$id" 10k) | $(g "$id" 100k) | $(vb "$work/vmspi.txt" "$id" spi_latency_ns_p50) / $(vb "$work/vmspi.txt" "$id" spi_latency_ns_p99) / $(vb "$work/vmspi.txt" "$id" spi_latency_ns_max) | $(vb "$work/vmspi.txt" "$id" spi_ticks_skipped_per_500) |"
	done
	cat <<EOF

Under TCG the SPI bus is emulated in the controller's kthread and the host
preempts the guest, so SPI latencies and skipped ticks are far above what
hardware shows; what these runs prove is the accounting (every skip
counted, every sample on its scheduled time), not the speed.
EOF
} >"$out"
echo "wrote $out" >&2
cat "$out"
if ((host_rc)); then
	echo "error: the host ring benchmark failed its own checks (exit $host_rc): see the table" >&2
	exit 1
fi
