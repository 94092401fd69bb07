#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# gwio-simring's command line: every bad argument is refused with its own
# reason and a non-zero exit (2 for the command line, 1 for a file), and
# the waveforms it documents produce the values it documents.  One line
# "PASS name" / "FAIL name" per check, then "simring-args: N passed, N
# failed".
#
#   tests/tools/simring-args.sh [BUILD_DIR]
#
# BUILD_DIR holds gwio-simring and gwio-cat (default: make print-build).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$(make -s -C "$top/userspace" --no-print-directory print-build)}
SIMRING=$build/gwio-simring
CAT=$build/gwio-cat
tmp=$(mktemp -d /tmp/simring-args.XXXXXX) || exit 1
passed=0 failed=0
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

result() {
	if (($2 == 0)); then
		echo "PASS $1"
		passed=$((passed + 1))
	else
		echo "FAIL $1"
		sed 's/^/    /' "$tmp/why"
		failed=$((failed + 1))
	fi
}

# refuse NAME RC MESSAGE ARGS...: gwio-simring ARGS exits RC before making a
# ring (nothing on stdout, so no "done" either) and says MESSAGE on stderr.
refuse() {
	local name=$1 want_rc=$2 want_msg=$3 rc
	shift 3
	timeout 5 "$SIMRING" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	{
		echo "gwio-simring $*: exit $rc (want $want_rc)"
		echo "stdout: $(cat "$tmp/out")"
		echo "stderr: $(cat "$tmp/err")"
		echo "want on stderr: $want_msg"
	} >"$tmp/why"
	((rc == want_rc)) && [[ ! -s $tmp/out ]] &&
		grep -qF -- "$want_msg" "$tmp/err"
	result "$name" $?
}

# values NAME WANT ARGS...: gwio-simring -r 0 -n N ARGS, read back with
# gwio-cat; WANT is "channel: value value ..." per channel, in order.
values() {
	local name=$1 want=$2 n ring pid ok=1 i
	shift 2
	n=$(tr -cs '0-9\n' ' ' <<<"$want" | wc -w)
	n=$((n - $(grep -c . <<<"$want")))
	# Empty it first: the background job truncates it only once it runs,
	# and until then the loop below would read the last test's "done".
	: >"$tmp/ring"
	"$SIMRING" -r 0 -n "$n" "$@" >"$tmp/ring" 2>"$tmp/err" &
	pid=$!
	pids+=("$pid")
	# "done": every record is in the ring (10 s for a loaded machine)
	for ((i = 0; i < 1000; i++)); do
		[[ $(wc -l <"$tmp/ring") -ge 2 ]] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	ring=$(head -n1 "$tmp/ring")
	[[ -n $ring ]] || ok=0
	"$CAT" -n "$n" -t 2000 "$ring" >"$tmp/recs" 2>"$tmp/cat.err" || ok=0
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	awk '{ v[$3] = v[$3] " " $5 } END { for (c in v) print c ":" v[c] }' \
		"$tmp/recs" | sort -n >"$tmp/got"
	{
		echo "gwio-simring -r 0 -n $n $*"
		echo "want:"; echo "$want"
		echo "got:"; cat "$tmp/got" "$tmp/err" "$tmp/cat.err"
	} >"$tmp/why"
	((ok)) && [[ $(cat "$tmp/got") == "$want" ]]
	result "$name" $?
}

# ---------------------------------------------------------------- refusals

refuse channels-zero 2 "-c 0: the number of channels must be a whole number from 1 to 65535" -c 0
refuse channels-too-many 2 "-c 65536: the number of channels" -c 65536
refuse channels-not-a-number 2 "-c four: the number of channels" -c four
refuse channels-negative 2 "-c -1: the number of channels" -c -1
refuse rate-not-a-number 2 "-r abc: not a rate in samples per second" -r abc
refuse rate-says-flat-out 2 "-r 0 for as fast as the ring takes them" -r abc
refuse rate-trailing-junk 2 "-r 10x: not a rate" -r 10x
refuse rate-negative 2 "-r -5: not a rate" -r -5
refuse rate-infinite 2 "-r inf: not a rate" -r inf
refuse rate-nan 2 "-r nan: not a rate" -r nan
refuse rate-too-fast 2 "-r 2e9: at most 1000000000 samples per second" -r 2e9
refuse rate-hex 2 "-r 0x10: not a rate" -r 0x10
refuse rate-too-slow 2 "-r 1e-11: at least 0.001 samples per second" -r 1e-11
refuse count-zero 2 "-n 0: the number of records must be a whole number from 1 (leave -n out" -n 0
refuse count-not-a-number 2 "-n many: the number of records" -n many
refuse size-not-power-of-two 2 "-s 1000: the ring size must be a power of two" -s 1000
refuse size-zero 2 "-s 0: the ring size must be a power of two" -s 0
refuse size-too-big 2 "-s 134217728: the ring size must be a power of two from 1 to 67108864" -s 134217728
refuse size-not-a-number 2 "-s big: the ring size" -s big
refuse wave-unknown 2 "-w triangle: unknown waveform 'triangle'; there are counter, sine, ramp and square" -w triangle
refuse wave-unknown-in-list 2 "unknown waveform 'saw'" -c 3 -w sine,saw,ramp
refuse wave-more-than-channels 2 "-w sine,ramp,square: 3 waveforms for 2 channels (-c)" -c 2 -w sine,ramp,square
refuse wave-empty-item 2 "-w sine,,ramp: an empty waveform between commas" -c 3 -w sine,,ramp
refuse wave-empty 2 "an empty waveform" -w ""
refuse wave-min-only 2 "-w sine:5: expected sine, sine:MIN:MAX or sine:MIN:MAX:PERIOD" -w sine:5
refuse wave-too-many-fields 2 "expected ramp, ramp:MIN:MAX or ramp:MIN:MAX:PERIOD" -w ramp:0:1:2:3
refuse wave-min-above-max 2 "-w sine:10:5: MIN (10) must be below MAX (5)" -w sine:10:5
refuse wave-min-not-a-number 2 "-w sine:low:5: MIN 'low' is not a whole number" -w sine:low:5
refuse wave-max-too-big 2 "MAX '4294967296' is not a whole number from 0 to 4294967295" -w sine:0:4294967296
refuse wave-period-junk 2 "period '5h' is neither a number of samples" -w sine:0:9:5h
refuse wave-period-one-sample 2 "a period of 1 sample: a waveform needs at least 2" -w square:0:1:1
refuse wave-period-short 2 "the period is 1 sample at 100 Hz: a waveform needs at least 2" -r 100 -w sine:0:9:10ms
refuse wave-period-time-flat-out 2 "a period in time needs a rate" -r 0 -w sine:0:9:1s
refuse wave-counter-period 2 "a counter has no period" -w counter:0:9:10
refuse replay-missing 1 "--replay /nonexistent/capture: No such file or directory" --replay=/nonexistent/capture
printf 'not a capture file at all, but long enough for a header of 64 bytes\n' >"$tmp/junk"
refuse replay-not-a-capture 1 "--replay $tmp/junk: not a gwio capture file" --replay="$tmp/junk"
refuse replay-with-synthetic 2 "--replay produces the capture's records as they are: -w does not apply" --replay="$tmp/junk" -w sine
refuse replay-empty-name 2 "--replay: no file named" --replay=
refuse stray-argument 2 "unexpected argument 'sine'" -w counter sine
refuse unknown-option 2 "Try 'gwio-simring --help'" --frobnicate

# ---------------------------------------------------------------- values

values square-default "0: 4095 4095 0 0" -w square:0:4095:4
values square-range "0: 1 1 0 0 1 1" -w square:0:1:4
values ramp "0: 0 1 2 3 0 1" -w ramp:0:3:4
values sine "0: 1000 1100 1000 900 1000" -w sine:900:1100:4
values counter-default "0: 0 1 2 3 4" -w counter
values counter-range "0: 5 6 7 5 6" -w counter:5:7
# one per channel, the last one repeated for the channels after it
values per-channel "0: 1000 1100 1000 900
1: 0 1 2 3
2: 1 1 0 0
3: 1 1 0 0" -c 4 -w sine:900:1100:4,ramp:0:3:4,square:0:1:4
values period-in-time "0: 1 1 0 0" -r 20 -w square:0:1:200ms -s 16

# A signal before everything is produced: it is not "done".
"$SIMRING" -s 1 -n 3 -r 1000 --exit >"$tmp/cut" 2>"$tmp/err" &
pid=$!
pids+=("$pid")
sleep 0.5	# nobody reads: it waits on a full ring
kill -TERM "$pid"
wait "$pid"
rc=$?
{ echo "exit $rc"; echo "stdout: $(cat "$tmp/cut")"; } >"$tmp/why"
((rc == 0)) && ! grep -q '^done$' "$tmp/cut"
result signal-not-done $?

echo "simring-args: $passed passed, $failed failed"
((failed == 0))
