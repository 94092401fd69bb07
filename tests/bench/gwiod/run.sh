#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# gwiod benchmarks (part of `make bench`), all against a private mosquitto
# on 127.0.0.1:
#
#  1. ring -> gwiod's ring source -> windows, one core (bench_source.c);
#  2. messages/s published by the gwiod daemon at QoS 0 and QoS 1, and by
#     a bare libmosquitto loop (tests/bench/mqtt/bare_pub.c) with the same
#     payload size and in-flight window, alternating, REPS times each;
#  3. gwiod's peak RSS with 1000 points.
#
# Prints "bench KEY VALUE" lines (medians) for tests/bench/run.sh.
#   GWIOD_BENCH_MSGS=N messages per publish run (default 200000)
#   GWIOD_BENCH_REPS=N runs of each publisher (default 3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
msgs=${GWIOD_BENCH_MSGS:-200000}
reps=${GWIOD_BENCH_REPS:-5}
# gwiod's in-flight window (GWIOD_MQTT_INFLIGHT in userspace/gwiod/mqtt.h)
inflight=256

build=$(make -s -C "$top/userspace" --no-print-directory print-build)
make -s -C "$top/userspace" --no-print-directory bench-tools >/dev/null
# the baseline gets gwiod's in-flight window: like with like
gcc -std=c11 -O2 -Wall -Wextra -Werror -DMAX_INFLIGHT=$inflight \
	-o "$build/bare_pub_$inflight" "$top/tests/bench/mqtt/bare_pub.c" -lmosquitto

# shellcheck source=../../mqtt/lib.sh
. "$top/tests/mqtt/lib.sh"
mqtt_init
# broker logging off: it would halve the broker, the same for both sides
MQTT_BROKER_LOG_TYPES="error warning" MQTT_BROKER_CONF_EXTRA="max_queued_messages 0" \
	mqtt_broker_start bench plain
port=$MQTT_BENCH_PORT
work=$MQTT_TMPDIR

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "== ring -> gwiod source -> windows, one core" >&2
"$build/bench_source" 50 1000 | tee "$work/source.txt" >&2
grep '^bench ' "$work/source.txt"

# A ring of $msgs counter samples on one channel, raw batches of one
# sample: one message per sample.  gwiod exits once the ring stays empty.
gwiod_run() {
	local qos=$1 ring pid summary
	# the background job truncates the file when it gets to it: start clean
	rm -f "$work/ring.path"
	"$build/gwio-simring" -c 1 -r 0 -n "$msgs" -s 1048576 >"$work/ring.path" &
	pid=$!
	# start on a full ring: a producer still writing would share the two
	# CPUs with gwiod and the broker, and the run would measure that
	until [[ $(sed -n 2p "$work/ring.path" 2>/dev/null) == done ]]; do
		sleep 0.01
	done
	ring=$(head -n1 "$work/ring.path")
	cat >"$work/pub.yaml" <<-EOF
	site: bench
	broker: { host: 127.0.0.1, port: $port, health_interval: 1h }
	sources: [ { name: ring0, type: gwio, device: "$ring" } ]
	points: [ { name: v, channel: 0 } ]
	routes:
	  - points: [v]
	    topic: "{site}/{point}"
	    mode: raw
	    batch: { max_samples: 1, max_span: 1s }
	    qos: $qos
	EOF
	"$build/gwiod/gwiod" -c "$work/pub.yaml" -l notice --exit-idle 300ms \
		2>"$work/gwiod.log" || echo "gwiod exited $?: $(tail -n 3 "$work/gwiod.log")" >&2
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	summary=$(grep 'summary:' "$work/gwiod.log") || {
		echo "gwiod left no summary:" >&2
		tail -n 5 "$work/gwiod.log" >&2
		return 1
	}
	# "... N messages published ... X s from the first message ..."
	sed -E 's/.* ([0-9]+) messages published.* ([0-9.]+) s from.*/\1 \2/' <<<"$summary" |
		awk '{ printf "%.0f\n", $1 / $2 }'
}

# the payload gwiod sends for one sample, to give the baseline the same
payload_bytes() {
	local ts=1795000000000000000
	printf '{"point":"v","unit":"","ts":%s,"samples":[[%s,%s]]}' "$ts" "$ts" "$((msgs / 2))" | wc -c
}

bytes=$(payload_bytes)
for qos in 0 1; do
	echo "== publish $msgs messages of ~$bytes bytes, QoS $qos: gwiod vs bare libmosquitto" >&2
	: >"$work/gwiod-$qos.txt"
	: >"$work/bare-$qos.txt"
	for ((r = 0; r < reps; r++)); do
		g=$(gwiod_run "$qos") && echo "$g" >>"$work/gwiod-$qos.txt"
		line=$("$build/bare_pub_$inflight" 127.0.0.1 "$port" "$qos" "$msgs" "$bytes" bench/bare)
		# QoS 0: both figures end when the last message is in the socket
		b=$(sed -E 's/.*msgs=([0-9]+).* written_s=([0-9.]+).*/\1 \2/' <<<"$line" |
			awk '{ printf "%.0f\n", $1 / $2 }')
		echo "$b" >>"$work/bare-$qos.txt"
		echo "  run $((r + 1)): gwiod $g msgs/s, bare $b msgs/s ($line)" >&2
	done
	g=$(median <"$work/gwiod-$qos.txt")
	b=$(median <"$work/bare-$qos.txt")
	echo "bench gwiod_qos${qos}_msgs_per_s $g"
	echo "bench bare_qos${qos}_msgs_per_s $b"
	echo "bench gwiod_vs_bare_qos${qos}_percent $(awk -v g="$g" -v b="$b" 'BEGIN { printf "%.0f", 100 * g / b }')"
	# best of the runs too: on a shared host a run can lose half its
	# speed to a neighbour, and the best is what each can do
	g=$(sort -g "$work/gwiod-$qos.txt" | tail -n1)
	b=$(sort -g "$work/bare-$qos.txt" | tail -n1)
	echo "bench gwiod_best_qos${qos}_msgs_per_s $g"
	echo "bench bare_best_qos${qos}_msgs_per_s $b"
	echo "bench gwiod_vs_bare_best_qos${qos}_percent $(awk -v g="$g" -v b="$b" 'BEGIN { printf "%.0f", 100 * g / b }')"
done
echo "bench payload_bytes $bytes"
echo "bench publish_msgs $msgs"

echo "== gwiod peak RSS with 1000 points" >&2
"$build/gwio-simring" -c 1000 -r 100 >"$work/rss-ring.path" &
ring_pid=$!
while [[ ! -s $work/rss-ring.path ]]; do sleep 0.01; done
{
	cat <<-EOF
	site: bench
	broker: { host: 127.0.0.1, port: $port, health_interval: 1s }
	sources: [ { name: ring0, type: gwio, device: "$(head -n1 "$work/rss-ring.path")" } ]
	points:
	EOF
	for ((i = 0; i < 1000; i++)); do
		echo "  - { name: p$i, channel: $i, unit: V, scale: 0.001 }"
	done
	cat <<-EOF
	routes:
	  - points: ["p*"]
	    topic: "{site}/{point}/1s"
	    mode: window
	    window: 1s
	  - points: ["p1*"]
	    topic: "{site}/{point}/raw"
	    mode: raw
	    batch: { max_samples: 100, max_span: 1s }
	EOF
} >"$work/rss.yaml"
"$build/gwiod/gwiod" -c "$work/rss.yaml" -l warn 2>"$work/rss.log" &
gpid=$!
sleep 4
hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$gpid/status")
kill -TERM "$gpid"
wait "$gpid" || true
kill "$ring_pid" 2>/dev/null || true
wait "$ring_pid" 2>/dev/null || true
echo "  peak RSS ${hwm} KiB (1000 points, 1000 windows/s + 111 raw streams, 100 k samples/s, 4 s)" >&2
echo "bench gwiod_rss_1000_points_kib $hwm"
