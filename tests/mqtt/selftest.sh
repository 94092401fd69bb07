#!/bin/bash
# selftest.sh — proves tests/mqtt/lib.sh: private brokers on 127.0.0.1 in
# plain, TLS and mutual-TLS mode, refused client certificates, and a QoS 1
# persistent session whose queued messages survive a broker restart.
# One "PASS name" / "FAIL name" line a case, then "mqtt-selftest: N passed,
# N failed"; exit status non-zero if any case failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

mqtt_init || exit 1
pass=0 fail=0

# check NAME FUNCTION: run a case, its output indented, count the verdict
check() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if ((rc == 0)); then
		echo "PASS $name"
		pass=$((pass + 1))
	else
		echo "FAIL $name"
		[[ -n $out ]] && printf '%s\n' "$out" | sed 's/^/    /'
		fail=$((fail + 1))
	fi
}

# the cases run in $(...) subshells (check), so they must not start
# processes that outlive them: brokers and long-running subscribers are
# started here, in the main shell, and only used by the cases.

t_certs() {
	local f
	for f in ca client server rogue-ca rogue-client; do
		[[ -s $MQTT_CERTS/$f.crt && -s $MQTT_CERTS/$f.key ]] || return 1
	done
	openssl verify -CAfile "$MQTT_CERTS/ca.crt" "$MQTT_CERTS/server.crt" \
		"$MQTT_CERTS/client.crt" || return 1
	# the rogue client must not verify against the test CA
	! openssl verify -CAfile "$MQTT_CERTS/ca.crt" \
		"$MQTT_CERTS/rogue-client.crt" >/dev/null 2>&1 || return 1
	[[ $(openssl x509 -in "$MQTT_CERTS/server.crt" -noout -ext subjectAltName) == \
		*"IP Address:127.0.0.1"* ]] || return 1
}

# roundtrip BROKER SUB TAG: publish a message, see it in subscriber SUB,
# and read a retained one back
roundtrip() {
	local b=$1 s=$2 tag=$3 out n
	n=${s^^}
	out=MQTT_SUB_${n}_OUT
	mqtt_pub "$b" -t "gwio/test/$tag" -m "hello $tag" || return 1
	mqtt_wait_match "${!out}" "^gwio/test/$tag hello $tag\$" 5 || return 1
	mqtt_pub "$b" -t "gwio/retained/$tag" -m "kept $tag" -r -q 1 || return 1
	[[ $(mqtt_read "$b" "gwio/retained/$tag" 5) == "gwio/retained/$tag kept $tag" ]] ||
		return 1
	mqtt_clear_retained "$b" "gwio/retained/$tag" || return 1
	mqtt_expect_none "$b" "gwio/retained/$tag" 1 || return 1
}

t_plain() { roundtrip plain splain plain; }
t_tls() { roundtrip tls stls tls; }
t_mtls() { roundtrip mtls smtls mtls; }

# refused BROKER WHO REASON: a publish with client identity WHO must fail,
# and the broker must log the TLS error REASON (with TLS 1.3 the client
# only sees "connection lost": its certificate is checked after the client
# side of the handshake is done)
refused() {
	local -a a
	local mark
	mark=$(mqtt_log_mark "$1")
	mapfile -t a < <(mqtt_client_args "$1" "$2")
	if mosquitto_pub "${a[@]}" -t gwio/test/refused -m x -q 1 2>&1; then
		echo "connection with $2 client identity was accepted"
		return 1
	fi
	mqtt_wait_log "$1" "OpenSSL Error.*$3" 5 "$mark"
}
t_mtls_no_cert() { refused mtls none 'peer did not return a certificate'; }
t_mtls_rogue_cert() { refused mtls rogue 'certificate verify failed'; }
t_tls_wrong_ca() {
	# server verification: a client trusting only the rogue CA must fail
	if mosquitto_pub -h 127.0.0.1 -p "$MQTT_TLS_PORT" \
		--cafile "$MQTT_CERTS/rogue-ca.crt" -t x -m x 2>&1; then
		echo "client accepted a server cert from another CA"
		return 1
	fi
}
t_plain_to_tls() {
	# a plain MQTT client to a TLS listener must not get through
	if mosquitto_pub -h 127.0.0.1 -p "$MQTT_TLS_PORT" -t x -m x 2>&1; then
		echo "plain client got through to the TLS listener"
		return 1
	fi
}

# The persistent-session case, in steps run from the main shell.
t_persist_queued() {
	# all 20 messages (published while the subscriber was away, across a
	# broker restart) arrive once, in order, as QoS 1
	mqtt_wait_lines "$MQTT_SUB_SPERSIST_OUT" 20 10 || return 1
	local want got
	want=$(for i in $(seq 1 20); do echo "gwio/persist msg-$i"; done)
	got=$(head -n 20 "$MQTT_SUB_SPERSIST_OUT")
	if [[ $got != "$want" ]]; then
		diff <(echo "$want") <(echo "$got")
		return 1
	fi
}
t_persist_live() {
	# the subscriber reconnected across a broker restart and still gets
	# new messages
	mqtt_pub persist -t gwio/persist -m live -q 1 || return 1
	mqtt_wait_match "$MQTT_SUB_SPERSIST_OUT" '^gwio/persist live$' 10
}
t_wait_timeout() {
	# the waiting helpers fail (and quickly) when nothing comes
	local f=$MQTT_TMPDIR/empty t0
	: >"$f"
	t0=$SECONDS
	if mqtt_wait_lines "$f" 1 0.3 || mqtt_wait_match "$f" x 0.3; then
		return 1
	fi
	((SECONDS - t0 <= 2))
}
t_ports() {
	# brokers got distinct ports, all listening on 127.0.0.1 only
	local p ports=("$MQTT_PLAIN_PORT" "$MQTT_TLS_PORT" "$MQTT_MTLS_PORT" "$MQTT_PERSIST_PORT")
	(($(printf '%s\n' "${ports[@]}" | sort -u | wc -l) == 4)) || return 1
	for p in "${ports[@]}"; do
		ss -Hltn "sport = :$p" | grep -q "127.0.0.1:$p" || return 1
		if ss -Hltn "sport = :$p" | grep -qv "127.0.0.1:$p"; then
			echo "port $p: a listener not on 127.0.0.1"
			return 1
		fi
	done
}

started=1
mqtt_certs "$MQTT_TMPDIR/certs" || started=0
check certs t_certs
for m in plain tls mtls; do
	mqtt_broker_start "$m" "$m" || started=0
	mqtt_sub_start "s$m" "$m" 'gwio/test/#' || started=0
done
((started)) || echo "FAIL setup (see above)"
check plain-roundtrip t_plain
check tls-roundtrip t_tls
check tls-wrong-ca t_tls_wrong_ca
check tls-plain-client t_plain_to_tls
check mtls-roundtrip t_mtls
check mtls-no-cert t_mtls_no_cert
check mtls-rogue-cert t_mtls_rogue_cert
check wait-timeouts t_wait_timeout

# persistence: subscribe with a persistent session (-c, QoS 1), go away,
# 20 messages are queued for it, the broker restarts (SIGTERM saves the
# queue), the subscriber comes back and gets them
persist_setup() {
	local i
	mqtt_broker_start persist plain persist || return 1
	mqtt_sub_start spersist persist gwio/persist -c -q 1 || return 1
	mqtt_sub_stop spersist || return 1
	for i in $(seq 1 20); do
		mqtt_pub persist -t gwio/persist -m "msg-$i" -q 1 || return 1
	done
	mqtt_broker_restart persist || return 1
	[[ -s $MQTT_PERSIST_DIR/db/mosquitto.db ]] || return 1
	mqtt_sub_start spersist persist gwio/persist -c -q 1
}
if persist_setup; then
	check persist-queued-qos1 t_persist_queued
	# now a restart with the subscriber connected: mosquitto_sub reconnects
	if mqtt_broker_restart persist &&
		mqtt_wait_client persist gwio-sub-spersist 15; then
		check persist-reconnect t_persist_live
	else
		echo "FAIL persist-reconnect (subscriber did not reconnect)"
		fail=$((fail + 1))
	fi
else
	echo "FAIL persist-queued-qos1 (setup)"
	fail=$((fail + 1))
fi

if command -v ss >/dev/null; then
	check ports-loopback t_ports
fi

# a stopped broker is gone and its port closed
pid=$MQTT_PLAIN_PID port=$MQTT_PLAIN_PORT
mqtt_sub_stop splain
mqtt_broker_stop plain
if ! kill -0 "$pid" 2>/dev/null && ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
	echo "PASS broker-stop"
	pass=$((pass + 1))
else
	echo "FAIL broker-stop"
	fail=$((fail + 1))
fi

echo "mqtt-selftest: $pass passed, $fail failed"
((fail == 0 && started))
