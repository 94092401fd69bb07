#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# gwiod against real mosquitto brokers on 127.0.0.1: a userspace ring
# (gwio-simring) -> gwiod -> mosquitto -> mosquitto_sub, checked message
# by message (payloads.py).  One line "PASS name" / "FAIL name" per case,
# then "gwiod: N passed, N failed".
#
#   tests/gwiod/run.sh [CASE...]     all cases, or the named ones
#
# GWIOD_BUILD=dir picks the userspace build (default: make print-build),
# GWIOD_MAKEFLAGS adds make variables to it (SANITIZE=1).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../mqtt/lib.sh
. "$top/tests/mqtt/lib.sh"

build=${GWIOD_BUILD:-$(make -s -C "$top/userspace" --no-print-directory print-build)}
# shellcheck disable=SC2086
make -s -C "$top/userspace" --no-print-directory BUILD="$build" \
	${GWIOD_MAKEFLAGS:-} gwiod tools >/dev/null || exit 1
GWIOD=$build/gwiod/gwiod
SIMRING=$build/gwio-simring
PAYLOADS=$here/payloads.py

mqtt_init || exit 1
_pids=()
cleanup() {
	local p
	for p in "${_pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	mqtt_cleanup
}
trap cleanup EXIT

# ------------------------------------------------------------ helpers

# start_ring NAME ARGS...: gwio-simring in the background; RING_<NAME> is
# the path gwiod opens.
start_ring() {
	local name=$1 out=$MQTT_TMPDIR/ring-$1.path i
	shift
	"$SIMRING" "$@" >"$out" 2>"$MQTT_TMPDIR/ring-$name.err" &
	_pids+=($!)
	printf -v "RING_PID_$name" '%s' $!
	disown $!	# killed at cleanup without a job notice
	for ((i = 0; i < 200; i++)); do
		if [[ -s $out ]]; then
			printf -v "RING_$name" '%s' "$(head -n1 "$out")"
			return 0
		fi
		sleep 0.01
	done
	echo "gwio-simring did not start: $(cat "$MQTT_TMPDIR/ring-$name.err")"
	return 1
}

# config FILE BROKER RING [broker lines] : a two-point config whose routes
# come on stdin (appended after "routes:").  Channel 0 is point "a",
# channel 1 point "b".
config() {
	local file=$1 broker=$2 ring=$3 extra=${4:-}
	local n port
	n=$(_mqtt_broker_n "$broker") || return 1
	port=$(_mqtt_get "MQTT_${n}_PORT")
	{
		cat <<-EOF
		site: t
		broker:
		  host: 127.0.0.1
		  port: $port
		  keepalive: 5
		  health_interval: 1s
		EOF
		[[ -n $extra ]] && printf '%s\n' "$extra"
		cat <<-EOF
		sources:
		  - name: ring0
		    type: gwio
		    device: $ring
		points:
		  - name: a
		    channel: 0
		  - name: b
		    channel: 1
		routes:
		EOF
		cat
	} >"$file"
}

# start_gwiod NAME CONFIG: run gwiod, log in GWIOD_LOG_<NAME>; waits until
# it has started (not until it is connected).
start_gwiod() {
	local name=$1 conf=$2 log=$MQTT_TMPDIR/gwiod-$1.log i
	"$GWIOD" -c "$conf" -v 2>"$log" &
	_pids+=($!)
	printf -v "GWIOD_PID_$name" '%s' $!
	printf -v "GWIOD_LOG_$name" '%s' "$log"
	for ((i = 0; i < 500; i++)); do
		grep -q "notice: started" "$log" && return 0
		kill -0 $! 2>/dev/null || break
		sleep 0.01
	done
	echo "gwiod did not start:"
	cat "$log"
	return 1
}

# wait_log FILE REGEX TIMEOUT_S
wait_log() {
	mqtt_wait_match "$1" "$2" "$3"
}

# stop_gwiod NAME [RC]: SIGTERM, wait, expect exit status RC (default 0;
# 1 is what gwiod says when messages were never acknowledged)
stop_gwiod() {
	local pid_var=GWIOD_PID_$1 want=${2:-0} pid rc i
	pid=${!pid_var}
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 1000; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	wait "$pid"
	rc=$?
	if ((rc != want)); then
		echo "gwiod exited $rc, expected $want"
		local log_var=GWIOD_LOG_$1
		tail -n 20 "${!log_var}"
		return 1
	fi
}

# qos1_stream_start NAME N RATE: a persistent broker NAME, a persistent
# QoS 1 subscriber, N counter samples on channel b at RATE Hz, gwiod
# publishing them raw in batches of 50 at QoS 1; waits for the connection.
qos1_stream_start() {
	local name=$1 n=$2 rate=$3 log_var=GWIOD_LOG_$1 ring_var=RING_$1
	mqtt_broker_start "$name" plain persist || return 1
	mqtt_sub_start "$name" "$name" 't/b/raw' -c -q 1 || return 1
	start_ring "$name" -c 2 -r "$rate" -n $((2 * n)) || return 1
	config "$MQTT_TMPDIR/$name.yaml" "$name" "${!ring_var}" <<-EOF
	  - points: [b]
	    topic: "{site}/{point}/raw"
	    mode: raw
	    batch: { max_samples: 50, max_span: 100ms }
	    qos: 1
	EOF
	start_gwiod "$name" "$MQTT_TMPDIR/$name.yaml" || return 1
	wait_log "${!log_var}" "connected to" 10
}

# qos1_stream_check NAME N: stop gwiod; every one of the N samples reached
# the subscriber (duplicates allowed: QoS 1 is at least once)
qos1_stream_check() {
	local name=$1 n=$2 out_var
	out_var=MQTT_SUB_$(tr '[:lower:]' '[:upper:]' <<<"$1")_OUT
	stop_gwiod "$name" || return 1
	mqtt_wait_lines "${!out_var}" $((n / 50)) 10 || return 1
	python3 "$PAYLOADS" raw "${!out_var}" t/b/raw "$n"
}

# ------------------------------------------------------------ cases

case_check_config() {
	local out rc f
	out=$("$GWIOD" --check-config "$top/docs/gwiod.example.yaml" 2>&1) ||
		{ echo "$out"; return 1; }
	[[ $out == *": OK: 1 source, 4 points, 3 routes, 4 published streams" ]] ||
		{ echo "$out"; return 1; }
	for f in "$top"/tests/unit/configs/bad-*.yaml; do
		out=$("$GWIOD" --check-config "$f" 2>&1)
		rc=$?
		if ((rc != 1)) || [[ $out != "$f:"* ]]; then
			echo "$f: exit $rc, output: $out"
			return 1
		fi
	done
	# not in check mode either: a bad file never starts the daemon
	out=$("$GWIOD" -c "$top/tests/unit/configs/bad-missing-host.yaml" 2>&1)
	rc=$?
	((rc == 1)) || { echo "daemon with a bad config exited $rc: $out"; return 1; }
	out=$("$GWIOD" -c "$MQTT_TMPDIR/does-not-exist.yaml" 2>&1)
	rc=$?
	((rc == 1)) && [[ $out == *"does-not-exist.yaml"* ]] ||
		{ echo "missing file: exit $rc: $out"; return 1; }
}

# Counter samples in, every one of them out: raw batches and windows.
case_end_to_end() {
	local n=3000
	mqtt_broker_start e2e plain || return 1
	mqtt_sub_start e2e e2e 't/#' -q 1 || return 1
	start_ring e2e -c 2 -r 2000 -n $((2 * n)) || return 1
	config "$MQTT_TMPDIR/e2e.yaml" e2e "$RING_e2e" <<-EOF
	  - points: [a]
	    topic: "{site}/{point}/w"
	    mode: window
	    window: 100ms
	  - points: [b]
	    topic: "{site}/{source}/{point}/raw"
	    mode: raw
	    batch: { max_samples: 64, max_span: 50ms }
	EOF
	start_gwiod e2e "$MQTT_TMPDIR/e2e.yaml" || return 1
	wait_log "$GWIOD_LOG_e2e" "connected to 127.0.0.1" 10 || return 1
	sleep 2		# 1.5 s of samples
	stop_gwiod e2e || return 1
	mqtt_wait_match "$MQTT_SUB_E2E_OUT" '^t/gwiod/status offline$' 5 || return 1
	# the birth before any data, though the ring was full before gwiod
	# connected; the retained "offline" last
	local first last
	first=$(head -n 1 "$MQTT_SUB_E2E_OUT") last=$(tail -n 1 "$MQTT_SUB_E2E_OUT")
	[[ $first == "t/gwiod/status online" && $last == "t/gwiod/status offline" ]] ||
		{ echo "first message '${first:0:80}', last '${last:0:80}'"; return 1; }
	python3 "$PAYLOADS" raw "$MQTT_SUB_E2E_OUT" t/ring0/b/raw $n &&
	python3 "$PAYLOADS" windows "$MQTT_SUB_E2E_OUT" t/a/w $n &&
	python3 "$PAYLOADS" keys "$MQTT_SUB_E2E_OUT" t/gwiod/status/health \
		uptime_s broker published acked written queued unsent refused \
		lost_unsent backpressure_pauses points sources || return 1
	health_documented "$MQTT_SUB_E2E_OUT" || return 1
	# routes at QoS 1 (acknowledged), health at QoS 0 (written): all delivered
	grep -Eq "summary: $((2 * n)) samples read; of ([0-9]+) messages, \1 delivered \([1-9][0-9]* acknowledged by the broker at QoS 1/2, [1-9][0-9]* written to the socket at QoS 0\), 0 unacknowledged at exit, 0 refused, 0 lost unsent; \1 messages published \(handed to libmosquitto" \
		"$GWIOD_LOG_e2e" || { grep summary: "$GWIOD_LOG_e2e"; return 1; }
}

# health_documented FILE: every member of the last health message in FILE,
# nested ones too, is in docs/gwiod.md's health table as `name`.
health_documented() {
	python3 - "$1" "$top/docs/gwiod.md" <<-'EOF'
	import json, re, sys
	last = [l for l in open(sys.argv[1]) if l.startswith("t/gwiod/status/health ")][-1]
	health = json.loads(last.split(" ", 1)[1])
	doc = open(sys.argv[2]).read()
	section = doc[doc.index("## Health"):]
	section = section[:section.index("\n## ", 4)]
	names = set(health) | set(health["points"])
	for src in health["sources"].values():
	    names |= set(src)
	missing = sorted(n for n in names if not re.search(r"`(points\.|sources\.<name>\.)?%s`" % re.escape(n), section))
	if missing:
	    sys.exit(f"health members not documented in docs/gwiod.md: {missing}")
	EOF
}

# Retained "online" on connect; the broker's will says "offline" when
# gwiod dies without a word.
case_birth_and_will() {
	mqtt_broker_start lwt plain || return 1
	start_ring lwt -c 2 -r 100 || return 1
	config "$MQTT_TMPDIR/lwt.yaml" lwt "$RING_lwt" <<-EOF
	  - points: [a]
	    topic: "{site}/{point}"
	    mode: downsample
	    window: 1s
	EOF
	start_gwiod lwt "$MQTT_TMPDIR/lwt.yaml" || return 1
	wait_log "$GWIOD_LOG_lwt" "connected to" 10 || return 1
	local got
	got=$(mqtt_read lwt t/gwiod/status 5) || return 1
	[[ $got == "t/gwiod/status online" ]] || { echo "birth: $got"; return 1; }
	mqtt_sub_start lwt lwt t/gwiod/status || return 1
	kill -KILL "$GWIOD_PID_lwt"
	mqtt_wait_match "$MQTT_SUB_LWT_OUT" '^t/gwiod/status offline$' 5 || return 1
	got=$(mqtt_read lwt t/gwiod/status 5) || return 1
	[[ $got == "t/gwiod/status offline" ]] || { echo "retained: $got"; return 1; }
}

# The birth is the first message even when the broker is slow to answer
# the CONNECT: samples keep coming meanwhile (QoS 0 and 1), yet nothing
# may reach the broker before "online" (seen in a slow qemu guest).
case_birth_first() {
	local first
	mqtt_broker_start slow plain || return 1
	mqtt_sub_start slow slow 't/#' -q 1 || return 1
	start_ring slow -c 2 -r 1000 || return 1
	config "$MQTT_TMPDIR/slow.yaml" slow "$RING_slow" <<-EOF
	  - points: [a]
	    topic: "{site}/{point}"
	    mode: raw
	    batch: { max_samples: 10, max_span: 20ms }
	  - points: [b]
	    topic: "{site}/{point}"
	    mode: raw
	    batch: { max_samples: 10, max_span: 20ms }
	    qos: 1
	EOF
	mqtt_broker_pause slow || return 1
	start_gwiod slow "$MQTT_TMPDIR/slow.yaml" || return 1
	sleep 1		# connected over TCP, no CONNACK: a second of samples
	mqtt_broker_resume slow || return 1
	wait_log "$GWIOD_LOG_slow" "connected to 127.0.0.1" 10 || return 1
	mqtt_wait_match "$MQTT_SUB_SLOW_OUT" '^t/b ' 5 || return 1
	first=$(head -n 1 "$MQTT_SUB_SLOW_OUT")
	[[ $first == "t/gwiod/status online" ]] ||
		{ echo "first message: ${first:0:100}"; return 1; }
	stop_gwiod slow
}

# QoS 1 through a broker restart: nothing lost (duplicates allowed).
case_broker_restart() {
	local n=6000 connects
	qos1_stream_start rs $n 2000 || return 1
	sleep 1
	mqtt_broker_stop rs || return 1
	sleep 1.5	# gwiod queues meanwhile
	mqtt_broker_start_again rs || return 1
	wait_log "$GWIOD_LOG_rs" "lost the connection" 1 || return 1
	sleep 2.5
	qos1_stream_check rs $n || return 1
	connects=$(grep -c "mqtt: connected to" "$GWIOD_LOG_rs")
	((connects >= 2)) || { echo "reconnected $connects times"; return 1; }
}

# No broker at start: gwiod retries with backoff and gets there.
case_broker_late() {
	local port
	mqtt_broker_start late plain || return 1
	mqtt_broker_stop late || return 1
	start_ring late -c 2 -r 100 || return 1
	config "$MQTT_TMPDIR/late.yaml" late "$RING_late" <<-EOF
	  - points: [a]
	    topic: "{site}/{point}"
	    mode: raw
	    batch: { max_samples: 10, max_span: 1s }
	EOF
	start_gwiod late "$MQTT_TMPDIR/late.yaml" || return 1
	wait_log "$GWIOD_LOG_late" "next connection attempt" 5 || return 1
	mqtt_broker_start_again late || return 1
	wait_log "$GWIOD_LOG_late" "connected to" 10 || return 1
	port=$MQTT_LATE_PORT
	mqtt_read late t/a 5 >/dev/null || return 1
	stop_gwiod late
	: "$port"
}

tls_case() {
	local name=$1 mode=$2 tls=$3 expect=$4
	local n
	mqtt_broker_start "$name" "$mode" || return 1
	start_ring "$name" -c 2 -r 100 || return 1
	config "$MQTT_TMPDIR/$name.yaml" "$name" "$(eval echo "\$RING_$name")" \
		"$tls" <<-EOF
	  - points: [a]
	    topic: "{site}/{point}"
	    mode: downsample
	    window: 100ms
	EOF
	start_gwiod "$name" "$MQTT_TMPDIR/$name.yaml" || return 1
	local log_var=GWIOD_LOG_$name
	if [[ $expect == ok ]]; then
		wait_log "${!log_var}" "connected to" 10 || return 1
		# shellcheck disable=SC2086
		n=$(mqtt_read "$name" t/a 5 ${READ_ARGS:-}) || return 1
		[[ $n == "t/a {"* ]] || { echo "got: $n"; return 1; }
	else
		wait_log "${!log_var}" "$expect" 10 || return 1
		if grep -q "connected to" "${!log_var}"; then
			echo "connected although it should not have"
			return 1
		fi
		stop_gwiod "$name" 1 || return 1
		grep -Eq "[0-9]+ messages? not acknowledged at exit" "${!log_var}" ||
			{ echo "no word on the lost messages"; return 1; }
		# nothing reached a broker: nothing may read as delivered
		grep -Eq "summary: .*; of [0-9]+ messages?, 0 delivered .*, [1-9][0-9]* unacknowledged at exit" \
			"${!log_var}" || { grep summary: "${!log_var}"; return 1; }
		return 0
	fi
	stop_gwiod "$name"
}

case_tls() {
	tls_case tls tls "  tls:
    ca: $MQTT_TMPDIR/certs/ca.crt" ok
}

case_mtls() {
	tls_case mtls mtls "  tls:
    ca: $MQTT_TMPDIR/certs/ca.crt
    cert: $MQTT_TMPDIR/certs/client.crt
    key: $MQTT_TMPDIR/certs/client.key" ok
}

# The broker wants a client certificate and gets none, or a rogue one.
case_mtls_refused() {
	mqtt_certs "$MQTT_TMPDIR/certs" >/dev/null || return 1
	tls_case mtlsnone mtls "  tls:
    ca: $MQTT_TMPDIR/certs/ca.crt" "next connection attempt" || return 1
	tls_case mtlsrogue mtls "  tls:
    ca: $MQTT_TMPDIR/certs/ca.crt
    cert: $MQTT_TMPDIR/certs/rogue-client.crt
    key: $MQTT_TMPDIR/certs/rogue-client.key" "next connection attempt"
}

# A broker certificate from another CA is not trusted.
case_tls_wrong_ca() {
	mqtt_certs "$MQTT_TMPDIR/certs" >/dev/null || return 1
	tls_case tlswrong tls "  tls:
    ca: $MQTT_TMPDIR/certs/rogue-ca.crt" "next connection attempt"
}

case_mqtt5() {
	tls_case v5 plain "  protocol: 5" ok || return 1
	mqtt_wait_log v5 'as gwiod-t \(p5' 5
}

# SIGHUP: a new route appears, the old one loses nothing; a broken file
# is refused and the running setup carries on.
case_reload() {
	local n=6000 conf=$MQTT_TMPDIR/hup.yaml
	mqtt_broker_start hup plain || return 1
	mqtt_sub_start hup hup 't/#' -q 1 || return 1
	start_ring hup -c 2 -r 2000 -n $((2 * n)) || return 1
	config "$conf" hup "$RING_hup" <<-EOF
	  - points: [b]
	    topic: "{site}/{point}/raw"
	    mode: raw
	    batch: { max_samples: 50, max_span: 100ms }
	EOF
	start_gwiod hup "$conf" || return 1
	wait_log "$GWIOD_LOG_hup" "connected to" 10 || return 1
	sleep 0.7
	echo "routes: [ this is not valid" >"$conf.bad"
	cp "$conf" "$conf.good"
	cp "$conf.bad" "$conf"
	kill -HUP "$GWIOD_PID_hup"
	wait_log "$GWIOD_LOG_hup" "hup.yaml:[0-9]+:[0-9]+: .*keeping the running configuration" 5 || return 1
	cp "$conf.good" "$conf"
	cat >>"$conf" <<-EOF
	  - points: [a]
	    topic: "{site}/{point}/w"
	    mode: window
	    window: 200ms
	EOF
	sleep 0.5
	kill -HUP "$GWIOD_PID_hup"
	wait_log "$GWIOD_LOG_hup" "reloaded .*2 routes" 5 || return 1
	sleep 2.5
	stop_gwiod hup || return 1
	python3 "$PAYLOADS" raw "$MQTT_SUB_HUP_OUT" t/b/raw $n || return 1
	grep -q '^t/a/w ' "$MQTT_SUB_HUP_OUT" ||
		{ echo "the new route published nothing"; return 1; }
}

# A burst of more messages than the broker queue holds: backpressure
# leaves samples in the ring instead of refusing messages; nothing is
# lost.  Also: --exit-idle ends gwiod by itself, cleanly.
case_backpressure() {
	local n=40000
	MQTT_BROKER_CONF_EXTRA="max_queued_messages 0" \
		mqtt_broker_start bp plain || return 1
	mqtt_sub_start bp bp 't/b/raw' -q 1 || return 1
	start_ring bp -c 2 -r 0 -n $((2 * n)) -s 131072 || return 1
	sleep 0.5	# all in the ring before gwiod starts: one big burst
	config "$MQTT_TMPDIR/bp.yaml" bp "$RING_bp" <<-EOF
	  - points: [b]
	    topic: "{site}/{point}/raw"
	    mode: raw
	    batch: { max_samples: 1, max_span: 1s }
	    qos: 1
	EOF
	"$GWIOD" -c "$MQTT_TMPDIR/bp.yaml" -v --exit-idle 1s \
		2>"$MQTT_TMPDIR/gwiod-bp.log" || {
		echo "gwiod exited $?"
		tail -n 20 "$MQTT_TMPDIR/gwiod-bp.log"
		return 1
	}
	grep -q "pausing reading the sources" "$MQTT_TMPDIR/gwiod-bp.log" ||
		{ echo "backpressure never engaged"; return 1; }
	grep "summary:" "$MQTT_TMPDIR/gwiod-bp.log"
	grep -Eq "summary: $((2 * n)) samples read; of ([0-9]+) messages, \1 delivered \($n acknowledged .*, 0 unacknowledged at exit, 0 refused, 0 lost unsent; \1 messages published" \
		"$MQTT_TMPDIR/gwiod-bp.log" || return 1
	mqtt_wait_lines "$MQTT_SUB_BP_OUT" $n 20 || return 1
	python3 "$PAYLOADS" raw "$MQTT_SUB_BP_OUT" t/b/raw $n
}

# Username and password from a password_file; a wrong one is refused.
case_auth() {
	local pw=$MQTT_TMPDIR/passwd
	: >"$pw"
	mosquitto_passwd -b "$pw" gateway 's3cret#pass' || return 1
	chmod 0600 "$pw"
	printf 's3cret#pass\n' >"$MQTT_TMPDIR/good.pass"
	printf 'wrong\n' >"$MQTT_TMPDIR/bad.pass"
	READ_ARGS="-u gateway -P s3cret#pass" MQTT_BROKER_CONF_EXTRA="allow_anonymous false
password_file $pw" tls_case auth plain "  username: gateway
  password_file: $MQTT_TMPDIR/good.pass" ok || return 1
	MQTT_BROKER_CONF_EXTRA="allow_anonymous false
password_file $pw" tls_case authbad plain "  username: gateway
  password_file: $MQTT_TMPDIR/bad.pass" "refused the connection: .*(not authori[sz]ed|Not authorized)"
}

# A broker that hangs with the connection open: keepalive finds it, and
# gwiod reconnects when it is back; QoS 1 loses nothing.
case_broker_hang() {
	local n=8000 i
	qos1_stream_start hang $n 1000 || return 1
	sleep 1
	mqtt_broker_pause hang || return 1
	# keepalive 5 s: a PINGREQ after 5 s of silence, given up 5 s later
	wait_log "$GWIOD_LOG_hang" "lost the connection" 15 || return 1
	mqtt_broker_resume hang || return 1
	for ((i = 0; i < 100; i++)); do
		(($(grep -c "mqtt: connected to" "$GWIOD_LOG_hang") >= 2)) && break
		sleep 0.1
	done
	((i < 100)) || { echo "no reconnection"; tail "$GWIOD_LOG_hang"; return 1; }
	sleep 2		# the rest of the samples
	qos1_stream_check hang $n
}

# A capture recorded with gwio-cat --record, replayed by gwio-simring
# into gwiod, which exits by itself when the replay is over: every sample
# arrives, in order, with its recorded spacing in time.
case_replay() {
	local n=3000 cap=$MQTT_TMPDIR/capture.gwio
	start_ring src -c 2 -r 0 -n $((2 * n)) || return 1
	"$build/gwio-cat" -q -n $((2 * n)) -t 5000 --record="$cap" "$RING_src" ||
		return 1
	mqtt_broker_start rp plain || return 1
	mqtt_sub_start rp rp 't/#' -q 1 || return 1
	start_ring rp --replay="$cap" || return 1
	config "$MQTT_TMPDIR/rp.yaml" rp "$RING_rp" <<-EOF
	  - points: [b]
	    topic: "{site}/{point}/raw"
	    mode: raw
	    batch: { max_samples: 100, max_span: 1s }
	EOF
	"$GWIOD" -c "$MQTT_TMPDIR/rp.yaml" --exit-idle 500ms \
		2>"$MQTT_TMPDIR/gwiod-rp.log" ||
		{ echo "gwiod exited $?"; cat "$MQTT_TMPDIR/gwiod-rp.log"; return 1; }
	grep -q "summary: $((2 * n)) samples read" "$MQTT_TMPDIR/gwiod-rp.log" ||
		{ cat "$MQTT_TMPDIR/gwiod-rp.log"; return 1; }
	mqtt_wait_lines "$MQTT_SUB_RP_OUT" $((n / 100)) 5 >/dev/null
	python3 "$PAYLOADS" raw "$MQTT_SUB_RP_OUT" t/b/raw $n
}

# SIGHUP to another broker: the old one is told "offline" and gets what
# was read before, the new one the rest; together, every sample.
case_reload_broker() {
	local n=4000 conf=$MQTT_TMPDIR/mv.yaml got
	mqtt_broker_start mva plain || return 1
	mqtt_broker_start mvb plain || return 1
	mqtt_sub_start mva mva 't/#' -q 1 || return 1
	mqtt_sub_start mvb mvb 't/#' -q 1 || return 1
	start_ring mv -c 2 -r 2000 -n $((2 * n)) || return 1
	config "$conf" mva "$RING_mv" <<-EOF
	  - points: [b]
	    topic: "{site}/{point}/raw"
	    mode: raw
	    batch: { max_samples: 50, max_span: 100ms }
	EOF
	start_gwiod mv "$conf" || return 1
	wait_log "$GWIOD_LOG_mv" "connected to" 10 || return 1
	sleep 0.7
	sed -i "s/port: $MQTT_MVA_PORT/port: $MQTT_MVB_PORT/" "$conf"
	kill -HUP "$GWIOD_PID_mv"
	wait_log "$GWIOD_LOG_mv" "connected to 127.0.0.1:$MQTT_MVB_PORT" 10 || return 1
	sleep 2
	stop_gwiod mv || return 1
	got=$(mqtt_read mva t/gwiod/status 5) || return 1
	[[ $got == "t/gwiod/status offline" ]] || { echo "old broker: $got"; return 1; }
	grep -q '^t/b/raw ' "$MQTT_SUB_MVA_OUT" || { echo "nothing on the old broker"; return 1; }
	grep -q '^t/b/raw ' "$MQTT_SUB_MVB_OUT" || { echo "nothing on the new broker"; return 1; }
	cat "$MQTT_SUB_MVA_OUT" "$MQTT_SUB_MVB_OUT" >"$MQTT_TMPDIR/mv-both.out"
	python3 "$PAYLOADS" raw "$MQTT_TMPDIR/mv-both.out" t/b/raw $n
}

# The broker never there: the summary must not read as if anything had
# been delivered, and it tells the QoS 1 queued in libmosquitto from the
# QoS 0 refused outright.
case_broker_down_summary() {
	mqtt_broker_start down plain || return 1
	mqtt_broker_stop down || return 1
	start_ring down -c 2 -r 200 || return 1
	config "$MQTT_TMPDIR/down.yaml" down "$RING_down" <<-EOF
	  - points: [a]
	    topic: "{site}/{point}/q1"
	    mode: downsample
	    window: 100ms
	    qos: 1
	  - points: [b]
	    topic: "{site}/{point}/q0"
	    mode: downsample
	    window: 100ms
	    qos: 0
	EOF
	start_gwiod down "$MQTT_TMPDIR/down.yaml" || return 1
	wait_log "$GWIOD_LOG_down" "next connection attempt" 5 || return 1
	sleep 1
	stop_gwiod down 1 || return 1
	grep summary: "$GWIOD_LOG_down"
	grep -Eq "summary: [0-9]+ samples read; of [0-9]+ messages, 0 delivered \(0 acknowledged by the broker at QoS 1/2, 0 written to the socket at QoS 0\), ([1-9][0-9]*) unacknowledged at exit, [1-9][0-9]* refused, 0 lost unsent; \1 messages? published \(handed to libmosquitto: all but the refused\)" \
		"$GWIOD_LOG_down"
}

# A device that is not there, a memory ring whose producer is gone: the
# error says what to do about it.
case_missing_source() {
	local out rc
	mqtt_broker_start miss plain || return 1
	config "$MQTT_TMPDIR/miss-dev.yaml" miss /dev/gwio97 </dev/null
	printf '  - points: [a]\n    topic: x\n    mode: downsample\n    window: 1s\n' \
		>>"$MQTT_TMPDIR/miss-dev.yaml"
	out=$("$GWIOD" -c "$MQTT_TMPDIR/miss-dev.yaml" 2>&1)
	rc=$?
	((rc == 1)) && [[ $out == *"source ring0: /dev/gwio97: No such file or directory (is the gwio module loaded? modprobe gwio"* ]] ||
		{ echo "exit $rc: $out"; return 1; }
	sed "s|/dev/gwio97|/proc/$$/fd/999|" "$MQTT_TMPDIR/miss-dev.yaml" \
		>"$MQTT_TMPDIR/miss-ring.yaml"
	out=$("$GWIOD" -c "$MQTT_TMPDIR/miss-ring.yaml" 2>&1)
	rc=$?
	((rc == 1)) && [[ $out == *"/proc/$$/fd/999: No such file or directory"*"is gwio-simring running"* ]] ||
		{ echo "exit $rc: $out"; return 1; }
}

# One consumer per memory ring, as for /dev/gwioN: gwio-cat and a second
# gwiod beside a running gwiod are refused, named the holder, and take
# nothing from it; once gwiod is gone the ring is free.
case_second_consumer() {
	local n=2000 out rc lost
	mqtt_broker_start two plain || return 1
	mqtt_sub_start two two 't/#' -q 1 || return 1
	start_ring two -c 2 -r 1000 -n $((2 * n)) || return 1
	config "$MQTT_TMPDIR/two.yaml" two "$RING_two" <<-EOF
	  - points: [b]
	    topic: "{site}/{point}/raw"
	    mode: raw
	    batch: { max_samples: 50, max_span: 100ms }
	EOF
	start_gwiod two "$MQTT_TMPDIR/two.yaml" || return 1
	wait_log "$GWIOD_LOG_two" "connected to" 10 || return 1
	out=$("$build/gwio-cat" -n 10 -t 500 "$RING_two" 2>&1)
	rc=$?
	((rc == 1)) && [[ $out == *"ring $RING_two is being read by pid $GWIOD_PID_two (gwiod): one consumer at a time"* ]] ||
		{ echo "gwio-cat beside gwiod: exit $rc: $out"; return 1; }
	out=$("$GWIOD" -c "$MQTT_TMPDIR/two.yaml" 2>&1)
	rc=$?
	((rc == 1)) && [[ $out == *"is being read by pid $GWIOD_PID_two (gwiod)"* ]] ||
		{ echo "second gwiod: exit $rc: $out"; return 1; }
	sleep 2.5	# the rest of the samples
	stop_gwiod two || return 1
	python3 "$PAYLOADS" raw "$MQTT_SUB_TWO_OUT" t/b/raw $n || return 1
	lost=$(grep -o '"lost":[0-9]*' "$MQTT_SUB_TWO_OUT" | sort -u)
	[[ $lost == '"lost":0' ]] || { echo "gwiod lost records: $lost"; return 1; }
	"$build/gwio-cat" -q -t 100 "$RING_two" ||
		{ echo "the ring stayed busy after gwiod exited"; return 1; }
}

# Every option gwiod --help shows is in docs/gwiod.md's command line.
case_options_documented() {
	local opt missing=
	for opt in $("$GWIOD" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
		grep -qF -- "\`$opt" "$top/docs/gwiod.md" || missing+=" $opt"
	done
	[[ -z $missing ]] || { echo "not in docs/gwiod.md:$missing"; return 1; }
}

# ------------------------------------------------------------ main

cases=(check_config end_to_end birth_and_will birth_first broker_restart broker_late
       broker_hang backpressure tls mtls mtls_refused tls_wrong_ca mqtt5
       auth replay reload reload_broker broker_down_summary missing_source
       second_consumer options_documented)
(($#)) && cases=("$@")
passed=0 failed=0
for c in "${cases[@]}"; do
	# Each case in a subshell that stops what it started, whatever
	# happens; the temp dir stays the main shell's.
	(
		_MQTT_TMPDIR_OURS=
		_pids=()
		trap cleanup EXIT
		"case_$c"
	) >"$MQTT_TMPDIR/case-$c.log" 2>&1
	rc=$?
	if ((rc == 0)); then
		echo "PASS $c"
		passed=$((passed + 1))
	else
		echo "FAIL $c"
		sed 's/^/    /' "$MQTT_TMPDIR/case-$c.log" | tail -n 40
		failed=$((failed + 1))
	fi
done
echo "gwiod: $passed passed, $failed failed"
((failed == 0))
