#!/bin/bash
# run.sh — what `make bench` runs: every benchmark, then docs/benchmarks.md
# rewritten with the numbers, the commands and the machine.
#
#  1. the ring code natively on the host (tests/bench/ring/run.sh): producer
#     and consumer threads pinned to two CPUs, zero loss verified;
#  2. gwiod's pipeline on one core (points, deadband, windows, JSON);
#  3. gwiod against a private mosquitto (tests/bench/gwiod/run.sh): ring
#     -> source -> windows on one core, messages/s at QoS 0 and 1 beside a
#     bare libmosquitto loop, peak RSS with 1000 points;
#  4. gwio.ko in the amd64 VMs (6.1 and 6.12): synthetic source -> ring ->
#     epoll consumer, records/s, drops and syscalls per 1000 records;
#  5. GPIO edges in the amd64 VMs on the simulated chip: gwio.ko beside the
#     GPIO character device read through libgpiod (tests/bench/gpio/), and
#     the edge-to-record latency of the vm-gpio suite;
#  6. SPI ADC sampling jitter (latency percentiles) of the vm-spi suite.
#
# Numbers, not verdicts: nothing here fails on a slow machine. Runs
# side by side in one invocation so ratios compare like with like.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${GWIO_BENCH_OUT:-$top/docs/benchmarks.md}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== host ring benchmark" >&2
"$here/ring/run.sh" | tee "$work/host.txt" >&2

echo "== gwiod pipeline benchmark" >&2
make -s -C "$top/userspace" bench-pipeline | tee "$work/pipeline.txt" >&2

echo "== gwiod and mosquitto" >&2
"$here/gwiod/run.sh" | tee "$work/gwiod.txt" >&2

echo "== gwio.ko in the amd64 VMs" >&2
GWIO_VM_APPEND="gwio.bench=1" GWIO_VM_TIMEOUT=900 \
	"$top/tests/vm/ring.sh" 6.1-amd64 6.12-amd64 | tee "$work/vm.txt" >&2 || true

echo "== GPIO edges: gwio.ko vs libgpiod in the amd64 VMs" >&2
"$here/gpio/gpio-bench.sh" 6.1-amd64 6.12-amd64 | tee "$work/gpio.txt" >&2 || true
echo "== GPIO latency and SPI jitter from the VM suites" >&2
"$top/tests/vm/gpio.sh" 6.1-amd64 6.12-amd64 | tee "$work/vmgpio.txt" >&2 || true
"$top/tests/vm/spi.sh" 6.1-amd64 6.12-amd64 | tee "$work/vmspi.txt" >&2 || true

host() { sed -n "s/^bench $1 //p" "$work/host.txt" | tail -n1; }
gp() { sed -n "s/^bench gpio\\.$1 //p" "$work/gpio.txt" | tail -n1; }
# vb FILE ID KEY: a GWIO-BENCH value from a VM suite's output
vb() { awk -v id="[$2]" -v key="$3" '$1 == id && $2 == "BENCH" && $3 == key { print $4 }' "$1" | tail -n1; }
# g ID RATE: "p50 / p99 / max" edge-to-record latency from vm-gpio
g() { echo "$(vb "$work/vmgpio.txt" "$1" "both-$2_latency_ns_p50") / $(vb "$work/vmgpio.txt" "$1" "both-$2_latency_ns_p99") / $(vb "$work/vmgpio.txt" "$1" "both-$2_latency_ns_max")"; }
gw() { sed -n "s/^bench $1 //p" "$work/gwiod.txt" | tail -n1; }
# vm ID KEY [RATE]: the value of KEY from the bench run at RATE (in order)
vm() {
	awk -v id="[$1]" -v key="$2" -v nth="${3:-1}" \
		'$1 == id && $2 == "BENCH" && $3 == key { if (++n == nth) print $4 }' \
		"$work/vm.txt"
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
{
	cat <<EOF
# gwio benchmarks

Written by \`make bench\` (tests/bench/run.sh) on $(date -u +%Y-%m-%d):
$(nproc) CPUs ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo),
$(uname -sr). The machine is shared and noisy: compare numbers within one
run, not across runs.

## The ring algorithm on the host

\`tests/bench/ring/run.sh\`: kmod/gwio_ring.h compiled for userspace, the
producer on CPU 0 and the consumer on CPU 1, drop-newest policy, every
record's sequence and content verified, zero loss required. Median of runs.

| variant | M records/s, median | min .. max | vs BPF ringbuf (12.1 M/s) |
|---|---|---|---|
EOF
	sed -n 's/^\([a-z0-9_]*\) *\([0-9.]*\) M records\/s median (\([^)]*\)).*$/\1 \2 \3/p' \
		"$work/host.txt" |
		while read -r name median range; do
			ratio=$(awk -v m="$median" 'BEGIN { printf "%.1fx", m / 12.1 }')
			echo "| $name | $median | $range | $ratio |"
		done
	cat <<EOF

Variants: \`pubN\` publishes head every N records; \`copy\` reads batches
with gwio_ring_cons_read(), \`peek\` reads in place (zero copy),
\`libgwio_read\` goes through gwio_ring_read(); \`overwrite_overload\`
floods an overwrite ring and reports what still reaches the consumer
(accounting checked exact). A wide min .. max means the shared host
interfered: compare within one run.
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

## gwio.ko in qemu (TCG, amd64 guest with 2 vCPUs)

\`GWIO_VM_APPEND=gwio.bench=1 tests/vm/ring.sh 6.1-amd64 6.12-amd64\`:
four synthetic channels, ring 262144 records, watermark 16384, an epoll
consumer draining the mapped ring for 4 s (\`vmtest bench\`). Under TCG
every guest instruction is emulated, so these are lower bounds for
hardware.

| kernel | target rate | records/s delivered | dropped | syscalls / 1000 records | wakeups |
|---|---|---|---|---|---|
EOF
	for id in 6.1-amd64 6.12-amd64; do
		for nth in 1 2 3 4; do
			t=$(vm "$id" vm_rate_target "$nth")
			[[ -n $t ]] || continue
			echo "| $id | $t | $(vm "$id" vm_records_per_s "$nth") | $(vm "$id" vm_dropped "$nth") | $(vm "$id" vm_syscalls_per_1000 "$nth") | $(vm "$id" vm_wakeups "$nth") |"
		done
	done
	cat <<EOF

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
		echo "| $id | $(gp "$id.gwio.loss_free_rate") ($(gp "$id.top_rate_tested")) / $(gp "$id.gpiod.loss_free_rate") | $(gp "$id.rate_ratio")x | $(gp "$id.cpu_total_ratio") ($(gp "$id.cpu_ratio")) at $(gp "$id.cpu_compare_rate")/s | $([[ $(gp "$id.goal_gwio_all_counted") == yes ]] && echo none || echo SOME) |"
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
(percentiles over the last 4096 ticks); ticks skipped because the bus was
still busy are counted as overruns.

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
