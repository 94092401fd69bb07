# shellcheck shell=bash
# lib.sh — helpers for MQTT integration tests (sourced, not executed):
# private mosquitto brokers, subscribers and test certificates, all on
# 127.0.0.1, all cleaned up.
#
# Source it from a bash test script and call mqtt_init first:
#
#	. "$(dirname "$0")/../mqtt/lib.sh"
#	mqtt_init                          # temp dir + EXIT trap
#	mqtt_broker_start b tls persist    # sets MQTT_B_PORT, MQTT_B_PID, ...
#	mqtt_sub_start s b 'gwio/#' -c -q 1
#	mqtt_pub b -t gwio/x -m hello
#	mqtt_wait_lines "$MQTT_SUB_S_OUT" 1 5
#
# Every broker and subscriber started here is killed by mqtt_cleanup, which
# mqtt_init installs as the EXIT trap (INT/TERM/HUP exit, so run it too).
# A script with its own EXIT trap should call mqtt_cleanup from it.
#
# Rules the functions follow so tests can run in parallel on one machine:
# listeners bind 127.0.0.1 only; ports are picked free at start (and picked
# again if another process wins the race for one); all files live in
# $MQTT_TMPDIR, a fresh mktemp -d under ${TMPDIR:-/tmp}.
#
# Names (brokers, subscribers) are [A-Za-z][A-Za-z0-9_]*; the variables a
# function sets use the name upper-cased: broker "b1" -> MQTT_B1_PORT.
# They are shell globals, not exported (a nested test script sourcing this
# library must not mistake its parent's brokers for its own): export what
# a child process needs yourself.
# Call the functions from the test's main shell, not from $(...) or a
# pipeline: they keep state in shell variables and poll their children.
# Functions return non-zero with a message on stderr ("mqtt: ...") on failure.
#
# Environment knobs:
#	MQTT_KEEP=1               keep $MQTT_TMPDIR after the test (processes
#	                          are killed all the same); it is kept anyway
#	                          when the script exits non-zero, and its path
#	                          printed, unless MQTT_KEEP=0
#	MQTT_BROKER_CONF_EXTRA    extra mosquitto.conf lines for the next
#	                          mqtt_broker_start (e.g. "autosave_interval 1")
#	MQTT_BROKER_LOG_TYPES     log_type values for the next broker, "all" by
#	                          default (every packet: slow under load, use
#	                          e.g. "error warning" for benchmarks);
#	                          "information notice subscribe" are always
#	                          added (broker start, mqtt_sub_start and
#	                          mqtt_wait_client watch them)
#	MQTT_START_TIMEOUT        seconds to wait for a broker/subscriber (10)
#	MOSQUITTO                 broker binary (mosquitto in PATH, else
#	                          /usr/sbin/mosquitto)
#
# Pitfalls this library deals with (see the functions for details):
#  - mosquitto 2.0 started as root drops to user "mosquitto", which then
#    cannot write our log/persistence files or read keys in a 0700 dir:
#    the config says "user root" when we are root.
#  - persistence is written on SIGTERM (and every autosave_interval, 1800 s
#    by default); after mqtt_broker_kill the queue is whatever was saved last.
#  - libmosquitto checks the server certificate against the host given with
#    -h; the server cert carries IP:127.0.0.1 and DNS:localhost, clients
#    here always use -h 127.0.0.1.

[[ -n ${_MQTT_LIB_LOADED:-} ]] && return 0
_MQTT_LIB_LOADED=1

MQTT_HOST=127.0.0.1
MQTT_TMPDIR=
MQTT_CERTS=
_MQTT_PIDS=()          # "pid:comm" of every process started here
_MQTT_PORTS_USED=" "   # ports handed out by mqtt_free_port in this shell
declare -gA _MQTT_SUB_SPEC=() # subscriber NAME -> its arguments, %q-quoted

_mqtt_err() { echo "mqtt: $*" >&2; }

# _mqtt_var NAME: NAME upper-cased, validated (for variable names)
_mqtt_var() {
	if [[ ! $1 =~ ^[A-Za-z][A-Za-z0-9_]*$ ]]; then
		_mqtt_err "bad name '$1' (want [A-Za-z][A-Za-z0-9_]*)"
		return 1
	fi
	printf '%s' "${1^^}"
}

# _mqtt_get VAR: value of the variable named VAR (empty if unset)
_mqtt_get() { printf '%s' "${!1:-}"; }

# _mqtt_now_ms: monotonic-enough wall clock in milliseconds
_mqtt_now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	printf '%s' $((t / 1000))
}

# _mqtt_ceil_s SECONDS: whole seconds, at least 1 (mosquitto_sub -W)
_mqtt_ceil_s() { awk -v s="$1" 'BEGIN { c = int(s); if (c < s) c++; if (c < 1) c = 1; print c }'; }

# _mqtt_grep_from FILE LINE -E|-F PATTERN: a line of FILE from LINE on
# matches (no pipe: a "tail | grep -q" fails under pipefail on SIGPIPE)
_mqtt_grep_from() {
	grep -q "$3" -e "$4" < <(tail -n +"$2" "$1" 2>/dev/null)
}

# _mqtt_ere_escape STRING: STRING as an extended regex matching itself
_mqtt_ere_escape() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }

_mqtt_timeout_s() { printf '%s' "${MQTT_START_TIMEOUT:-10}"; }

# _mqtt_deadline SECONDS: the time (ms) SECONDS from now; fractions allowed
_mqtt_deadline() {
	local s=$1 ms
	ms=$(awk -v s="$s" 'BEGIN { printf "%d", s * 1000 }')
	printf '%s' $(($(_mqtt_now_ms) + ms))
}

# ---------------------------------------------------------------- setup

# mqtt_init: create $MQTT_TMPDIR and install mqtt_cleanup as the EXIT trap
# (plus INT/TERM/HUP -> exit). Checks that mosquitto and the clients exist.
mqtt_init() {
	if [[ -z ${MOSQUITTO:-} ]]; then
		MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)
	fi
	local b
	for b in "$MOSQUITTO" mosquitto_pub mosquitto_sub openssl; do
		if ! command -v "$b" >/dev/null; then
			_mqtt_err "$b not found (apt-get install mosquitto mosquitto-clients openssl)"
			return 1
		fi
	done
	if [[ -z $MQTT_TMPDIR ]]; then
		MQTT_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/gwio-mqtt.XXXXXX") || return 1
		_MQTT_TMPDIR_OURS=1
	fi
	# what /proc/PID/stat calls the broker (comm: basename, 15 chars)
	_MQTT_BROKER_COMM=$(basename "$MOSQUITTO")
	_MQTT_BROKER_COMM=${_MQTT_BROKER_COMM:0:15}
	trap 'mqtt_cleanup' EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# _mqtt_track PID COMM: remember a process to kill at cleanup. It leaves
# the job table: bash reaps it all the same, but prints no "Killed" notice
# and "wait" is not needed (nor possible); liveness is read from /proc.
_mqtt_track() {
	_MQTT_PIDS+=("$1:$2")
	disown "$1" 2>/dev/null || true
}

_mqtt_untrack() {
	local i
	for i in "${!_MQTT_PIDS[@]}"; do
		[[ ${_MQTT_PIDS[i]%%:*} == "$1" ]] && unset '_MQTT_PIDS[i]'
	done
	return 0
}

# _mqtt_alive PID COMM: PID runs (not a zombie) and is still the program
# we started (guards against a recycled pid)
_mqtt_alive() {
	local stat comm
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	comm=${stat#*(}
	comm=${comm%)*}
	[[ $comm == "$2" ]] || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z && ${stat:0:1} != X ]]
}

# _mqtt_pre_exec PID COMM: PID is our fork, alive, not yet COMM: the
# subshell between fork and exec, which a loaded host can stretch past the
# first check of a launch loop (CI saw a broker "fail to start" that way)
_mqtt_pre_exec() {
	local stat comm
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	comm=${stat#*(}
	comm=${comm%)*}
	[[ $comm != "$2" ]] || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z && ${stat:0:1} != X ]]
}

# _mqtt_terminate PID COMM SIGNAL WAIT_S: send SIGNAL, wait up to WAIT_S for
# the exit, then SIGKILL. Returns 0.
_mqtt_terminate() {
	local pid=$1 comm=$2 sig=$3 deadline
	if _mqtt_alive "$pid" "$comm"; then
		kill -s "$sig" "$pid" 2>/dev/null || true
		# a stopped (SIGSTOP) process would not act on SIGTERM
		kill -s CONT "$pid" 2>/dev/null || true
		deadline=$(_mqtt_deadline "$4")
		while _mqtt_alive "$pid" "$comm" && (($(_mqtt_now_ms) < deadline)); do
			sleep 0.02
		done
		if _mqtt_alive "$pid" "$comm"; then
			_mqtt_err "$comm (pid $pid) ignored SIG$sig for $4 s, killing it"
			kill -s KILL "$pid" 2>/dev/null || true
			sleep 0.05
		fi
	fi
	_mqtt_untrack "$pid"
	return 0
}

# mqtt_cleanup: kill every process started by this library (subscribers
# first, then brokers, SIGTERM then SIGKILL after 3 s) and remove
# $MQTT_TMPDIR unless kept (see MQTT_KEEP). Safe to call more than once.
mqtt_cleanup() {
	local rc=$? e pid comm
	for e in "${_MQTT_PIDS[@]}"; do
		pid=${e%%:*} comm=${e#*:}
		[[ $comm == mosquitto_sub ]] && _mqtt_terminate "$pid" "$comm" TERM 3
	done
	for e in "${_MQTT_PIDS[@]}"; do
		pid=${e%%:*} comm=${e#*:}
		_mqtt_terminate "$pid" "$comm" TERM 3
	done
	_MQTT_PIDS=()
	if [[ -n ${_MQTT_TMPDIR_OURS:-} && -d $MQTT_TMPDIR ]]; then
		if [[ ${MQTT_KEEP:-} == 1 || ($rc != 0 && ${MQTT_KEEP:-} != 0) ]]; then
			echo "mqtt: test files kept in $MQTT_TMPDIR" >&2
		else
			rm -rf "$MQTT_TMPDIR"
		fi
		_MQTT_TMPDIR_OURS=
	fi
	return "$rc"
}

_mqtt_need_init() {
	if [[ -z $MQTT_TMPDIR || ! -d $MQTT_TMPDIR ]]; then
		_mqtt_err "call mqtt_init first"
		return 1
	fi
}

# ---------------------------------------------------------------- ports

# _mqtt_port_in_use PORT: some TCP socket (any state, v4 or v6) has PORT
# as its local port
_mqtt_port_in_use() {
	local hex
	hex=$(printf ':%04X ' "$1")
	grep -q -- "^ *[0-9]*: [0-9A-F]*$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# mqtt_free_port: print a TCP port no socket on this machine uses, below the
# ephemeral range (so outgoing connections cannot take it meanwhile) and not
# handed out before by this shell. Still racy against other processes that
# pick ports the same way: mqtt_broker_start retries on "address in use".
# Use as: port=$(mqtt_free_port) (e.g. for a port nothing listens on).
mqtt_free_port() {
	local lo hi p i
	read -r lo hi 2>/dev/null </proc/sys/net/ipv4/ip_local_port_range || lo=32768
	hi=$((lo - 1))
	lo=10000
	((hi > lo + 1000)) || hi=$((lo + 20000))
	for ((i = 0; i < 200; i++)); do
		p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
		[[ $_MQTT_PORTS_USED == *" $p "* ]] && continue
		_mqtt_port_in_use "$p" && continue
		printf '%s\n' "$p"
		return 0
	done
	_mqtt_err "no free port found"
	return 1
}

# ---------------------------------------------------------------- certificates

# mqtt_certs DIR: write a test PKI (EC P-256, valid 30 days) into DIR and
# set MQTT_CERTS=DIR. Skips the work when DIR/ca.crt already exists.
#	ca.crt ca.key                test CA "gwio test CA"
#	server.crt server.key        CN=localhost, SAN IP:127.0.0.1, DNS:localhost
#	client.crt client.key        CN=gwiod-test, signed by the test CA
#	rogue-ca.crt rogue-ca.key    an unrelated CA "gwio rogue CA"
#	rogue-client.crt .key        CN=gwiod-test, signed by the rogue CA
mqtt_certs() {
	local d=${1:?mqtt_certs DIR} log
	if [[ -s $d/ca.crt && -s $d/rogue-client.key ]]; then
		MQTT_CERTS=$d
		return 0
	fi
	mkdir -p "$d" || return 1
	log=$d/openssl.log
	# each function call runs in a subshell so that "set -e" and umask stay here
	if ! (
		set -e
		umask 077
		cd "$d"
		ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
		ca() { # ca NAME CN
			openssl req -x509 "${ec[@]}" -keyout "$1.key" -out "$1.crt" \
				-days 30 -subj "/O=gwio tests/CN=$2" \
				-addext basicConstraints=critical,CA:TRUE \
				-addext keyUsage=critical,keyCertSign,cRLSign
		}
		leaf() { # leaf NAME CN CA EXTFILE
			openssl req "${ec[@]}" -keyout "$1.key" -out "$1.csr" \
				-subj "/O=gwio tests/CN=$2"
			openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" \
				-CAcreateserial -days 30 -out "$1.crt" -extfile "$4"
			rm -f "$1.csr"
		}
		cat >server.ext <<-'EOF'
			basicConstraints = CA:FALSE
			keyUsage = critical, digitalSignature, keyEncipherment
			extendedKeyUsage = serverAuth
			subjectAltName = IP:127.0.0.1, DNS:localhost
		EOF
		cat >client.ext <<-'EOF'
			basicConstraints = CA:FALSE
			keyUsage = critical, digitalSignature, keyEncipherment
			extendedKeyUsage = clientAuth
		EOF
		ca ca "gwio test CA"
		ca rogue-ca "gwio rogue CA"
		leaf server localhost ca server.ext
		leaf client gwiod-test ca client.ext
		leaf rogue-client gwiod-test rogue-ca client.ext
		rm -f ./*.srl server.ext client.ext
		chmod 0644 ./*.crt
	) >"$log" 2>&1; then
		_mqtt_err "certificate generation failed:"
		sed 's/^/    /' "$log" >&2
		return 1
	fi
	MQTT_CERTS=$d
}

# ---------------------------------------------------------------- brokers

# mqtt_broker_start NAME [plain|tls|mtls] [persist]
# Start a private mosquitto on 127.0.0.1 and wait until it listens.
#   plain   no TLS, anonymous clients allowed
#   tls     TLS with the mqtt_certs server cert (certs made on first use in
#           $MQTT_TMPDIR/certs unless MQTT_CERTS is set already)
#   mtls    tls + require_certificate: clients need a cert from ca.crt
#   persist persistence in MQTT_<NAME>_DIR/db/ (saved on SIGTERM; add
#           MQTT_BROKER_CONF_EXTRA="autosave_interval 1" to survive SIGKILL)
# Sets, for NAME upper-cased as N:
#   MQTT_<N>_PORT  MQTT_<N>_PID  MQTT_<N>_MODE (plain|tls|mtls)
#   MQTT_<N>_DIR   (its files)  MQTT_<N>_CONF
#   MQTT_<N>_LOG   its log (log_type all unless MQTT_BROKER_LOG_TYPES)
mqtt_broker_start() {
	local name=${1:?mqtt_broker_start NAME [plain|tls|mtls] [persist]}
	local mode=${2:-plain} persist=${3:-} n dir conf port try
	n=$(_mqtt_var "$name") || return 1
	_mqtt_need_init || return 1
	case $mode in plain | tls | mtls) ;; *)
		_mqtt_err "broker $name: mode '$mode' is not plain, tls or mtls"
		return 1
		;;
	esac
	case $persist in "" | persist) ;; *)
		_mqtt_err "broker $name: unknown option '$persist' (persist?)"
		return 1
		;;
	esac
	if [[ -n $(_mqtt_get "MQTT_${n}_PID") ]] &&
		_mqtt_alive "$(_mqtt_get "MQTT_${n}_PID")" "$_MQTT_BROKER_COMM"; then
		_mqtt_err "broker $name is already running"
		return 1
	fi
	if [[ $mode != plain && -z $MQTT_CERTS ]]; then
		mqtt_certs "$MQTT_TMPDIR/certs" || return 1
	fi
	dir=$MQTT_TMPDIR/broker-$name
	mkdir -p "$dir" || return 1
	conf=$dir/mosquitto.conf
	printf -v "MQTT_${n}_DIR" '%s' "$dir"
	printf -v "MQTT_${n}_CONF" '%s' "$conf"
	printf -v "MQTT_${n}_LOG" '%s' "$dir/mosquitto.log"
	printf -v "MQTT_${n}_MODE" '%s' "$mode"

	for ((try = 1; try <= 5; try++)); do
		port=$(mqtt_free_port) || return 1
		_MQTT_PORTS_USED+="$port "
		_mqtt_broker_conf "$conf" "$dir" "$port" "$mode" "$persist" || return 1
		printf -v "MQTT_${n}_PORT" '%s' "$port"
		_mqtt_broker_launch "$name" "$n" quiet && return 0
		[[ $? == 2 ]] || break # 2: port taken, try another one
	done
	_mqtt_broker_fail "$name" "$n"
	return 1
}

# _mqtt_broker_conf FILE DIR PORT MODE PERSIST
_mqtt_broker_conf() {
	local f=$1 d=$2 port=$3 mode=$4 persist=$5
	{
		echo "# written by tests/mqtt/lib.sh"
		# as root, mosquitto 2.0 would setuid to "mosquitto" and lose
		# access to this 0700 test directory
		((EUID == 0)) && echo "user root"
		echo "per_listener_settings false"
		echo "allow_anonymous true"
		echo "log_dest file $d/mosquitto.log"
		local t
		for t in ${MQTT_BROKER_LOG_TYPES:-all} information notice subscribe; do
			echo "log_type $t"
		done
		echo "log_timestamp_format %Y-%m-%dT%H:%M:%S"
		echo "connection_messages true"
		if [[ $persist == persist ]]; then
			mkdir -p "$d/db"
			echo "persistence true"
			echo "persistence_location $d/db/"
			echo "persistence_file mosquitto.db"
		else
			echo "persistence false"
		fi
		echo "listener $port $MQTT_HOST"
		if [[ $mode != plain ]]; then
			echo "cafile $MQTT_CERTS/ca.crt"
			echo "certfile $MQTT_CERTS/server.crt"
			echo "keyfile $MQTT_CERTS/server.key"
		fi
		if [[ $mode == mtls ]]; then
			echo "require_certificate true"
		fi
		if [[ -n ${MQTT_BROKER_CONF_EXTRA:-} ]]; then
			printf '%s\n' "$MQTT_BROKER_CONF_EXTRA"
		fi
	} >"$f"
}

# _mqtt_broker_launch NAME N [quiet]: run mosquitto on the written config,
# wait for "running" in the log. 0 ok, 2 port in use, 1 other failure
# (reported unless quiet).
_mqtt_broker_launch() {
	local name=$1 n=$2 dir conf log mark pid deadline
	dir=$(_mqtt_get "MQTT_${n}_DIR")
	conf=$(_mqtt_get "MQTT_${n}_CONF")
	log=$(_mqtt_get "MQTT_${n}_LOG")
	mark=$(wc -l 2>/dev/null <"$log" || echo 0)
	# start of this run's lines in the log (mqtt_wait_log counts from here)
	printf -v "MQTT_${n}_LOG_START" '%s' $((mark + 1))
	echo "=== $(date -Is) start" >>"$dir/stderr.log"
	"$MOSQUITTO" -c "$conf" </dev/null >>"$dir/stderr.log" 2>&1 &
	pid=$!
	_mqtt_track "$pid" "$_MQTT_BROKER_COMM"
	printf -v "MQTT_${n}_PID" '%s' "$pid"
	deadline=$(_mqtt_deadline "$(_mqtt_timeout_s)")
	while (($(_mqtt_now_ms) < deadline)); do
		if _mqtt_pre_exec "$pid" "$_MQTT_BROKER_COMM"; then
			sleep 0.02
			continue
		fi
		if ! _mqtt_alive "$pid" "$_MQTT_BROKER_COMM"; then
			_mqtt_untrack "$pid"
			printf -v "MQTT_${n}_PID" '%s' ""
			if _mqtt_grep_from "$log" $((mark + 1)) -F 'Address already in use'; then
				return 2
			fi
			[[ ${3:-} == quiet ]] || _mqtt_broker_fail "$name" "$n"
			return 1
		fi
		if _mqtt_grep_from "$log" $((mark + 1)) -E 'mosquitto version .* running$'; then
			return 0
		fi
		sleep 0.02
	done
	_mqtt_err "broker $name did not come up in $(_mqtt_timeout_s) s"
	_mqtt_terminate "$pid" "$_MQTT_BROKER_COMM" KILL 1
	printf -v "MQTT_${n}_PID" '%s' ""
	[[ ${3:-} == quiet ]] || _mqtt_broker_fail "$name" "$n"
	return 1
}

_mqtt_broker_fail() {
	local name=$1 n=$2 dir
	dir=$(_mqtt_get "MQTT_${n}_DIR")
	_mqtt_err "broker $name failed to start (port $(_mqtt_get "MQTT_${n}_PORT"))"
	if _mqtt_grep_from "$dir/mosquitto.log" "$(_mqtt_get "MQTT_${n}_LOG_START")" \
		-F 'Address already in use'; then
		_mqtt_err "port $(_mqtt_get "MQTT_${n}_PORT") is taken by another process"
	fi
	{
		echo "--- $dir/mosquitto.conf"
		cat "$dir/mosquitto.conf"
		echo "--- $dir/mosquitto.log (last 30 lines)"
		tail -n 30 "$dir/mosquitto.log" 2>/dev/null
		echo "--- $dir/stderr.log (last 10 lines)"
		tail -n 10 "$dir/stderr.log" 2>/dev/null
	} | sed 's/^/    /' >&2
}

# _mqtt_broker_n NAME: N for a started broker (known config), else error
_mqtt_broker_n() {
	local n
	n=$(_mqtt_var "$1") || return 1
	if [[ -z $(_mqtt_get "MQTT_${n}_CONF") ]]; then
		_mqtt_err "no broker named $1"
		return 1
	fi
	printf '%s' "$n"
}

# mqtt_broker_running NAME: true when the broker process is alive
mqtt_broker_running() {
	local n pid
	n=$(_mqtt_broker_n "$1") || return 1
	pid=$(_mqtt_get "MQTT_${n}_PID")
	[[ -n $pid ]] && _mqtt_alive "$pid" "$_MQTT_BROKER_COMM"
}

# mqtt_broker_stop NAME: SIGTERM (mosquitto saves its persistence db and
# closes all connections), wait up to 10 s for the exit.
mqtt_broker_stop() {
	local n pid
	n=$(_mqtt_broker_n "${1:?mqtt_broker_stop NAME}") || return 1
	pid=$(_mqtt_get "MQTT_${n}_PID")
	[[ -n $pid ]] && _mqtt_terminate "$pid" "$_MQTT_BROKER_COMM" TERM 10
	printf -v "MQTT_${n}_PID" '%s' ""
}

# mqtt_broker_kill NAME: SIGKILL, a crash: nothing saved since the last
# autosave; clients see the connection drop (with TLS: no close_notify).
mqtt_broker_kill() {
	local n pid
	n=$(_mqtt_broker_n "${1:?mqtt_broker_kill NAME}") || return 1
	pid=$(_mqtt_get "MQTT_${n}_PID")
	[[ -n $pid ]] && _mqtt_terminate "$pid" "$_MQTT_BROKER_COMM" KILL 5
	printf -v "MQTT_${n}_PID" '%s' ""
}

# mqtt_broker_start_again NAME: start a stopped/killed broker with its old
# config: same port, same mode, same persistence directory. Subscribers of
# this broker that exited meanwhile are started again (mqtt_sub_restart):
# mosquitto_sub gives up instead of reconnecting when a TLS connection is
# cut without a close_notify, as by mqtt_broker_kill on a tls/mtls broker.
mqtt_broker_start_again() {
	local n deadline rc
	n=$(_mqtt_broker_n "${1:?mqtt_broker_start_again NAME}") || return 1
	if mqtt_broker_running "$1"; then
		_mqtt_err "broker $1 is already running"
		return 1
	fi
	# the port is ours no more while the broker is down: if something
	# took it meanwhile, retry for a moment (it may be a client's TIME_WAIT
	# socket, which SO_REUSEADDR ignores, or a real listener)
	deadline=$(_mqtt_deadline 3)
	while :; do
		rc=0
		_mqtt_broker_launch "$1" "$n" quiet || rc=$?
		((rc == 2 && $(_mqtt_now_ms) < deadline)) || break
		sleep 0.2
	done
	if ((rc != 0)); then
		_mqtt_broker_fail "$1" "$n"
		return 1
	fi
	_mqtt_sub_respawn "$1"
}

# mqtt_broker_restart NAME: mqtt_broker_stop + mqtt_broker_start_again
mqtt_broker_restart() {
	mqtt_broker_stop "${1:?mqtt_broker_restart NAME}" &&
		mqtt_broker_start_again "$1"
}

# mqtt_broker_pause NAME / mqtt_broker_resume NAME: SIGSTOP / SIGCONT, a
# broker that hangs with its connections open (keepalive tests).
mqtt_broker_pause() {
	local n
	n=$(_mqtt_broker_n "${1:?mqtt_broker_pause NAME}") || return 1
	kill -s STOP "$(_mqtt_get "MQTT_${n}_PID")"
}
mqtt_broker_resume() {
	local n
	n=$(_mqtt_broker_n "${1:?mqtt_broker_resume NAME}") || return 1
	kill -s CONT "$(_mqtt_get "MQTT_${n}_PID")"
}

# mqtt_client_args BROKER [client|rogue|none]: print, one per line, the
# mosquitto_pub/mosquitto_sub options to reach BROKER: -h 127.0.0.1 -p PORT,
# and for tls/mtls --cafile; for mtls also --cert/--key of the test client
# (default), of the rogue client, or none. Read with:
#	mapfile -t args < <(mqtt_client_args b)
mqtt_client_args() {
	local n mode who=${2:-client}
	n=$(_mqtt_broker_n "${1:?mqtt_client_args BROKER}") || return 1
	mode=$(_mqtt_get "MQTT_${n}_MODE")
	printf '%s\n' -h "$MQTT_HOST" -p "$(_mqtt_get "MQTT_${n}_PORT")"
	[[ $mode == plain ]] && return 0
	printf '%s\n' --cafile "$MQTT_CERTS/ca.crt"
	case $mode:$who in
	mtls:client) printf '%s\n' --cert "$MQTT_CERTS/client.crt" \
		--key "$MQTT_CERTS/client.key" ;;
	mtls:rogue) printf '%s\n' --cert "$MQTT_CERTS/rogue-client.crt" \
		--key "$MQTT_CERTS/rogue-client.key" ;;
	esac
	return 0
}

# _mqtt_args_into ARRAY BROKER [who]: mqtt_client_args into an array
_mqtt_args_into() {
	local -n _a=$1
	local out
	out=$(mqtt_client_args "$2" "${3:-client}") || return 1
	mapfile -t _a <<<"$out"
}

# mqtt_pub BROKER [mosquitto_pub args...]: mosquitto_pub with the options to
# reach BROKER (mtls: the test client cert). E.g. mqtt_pub b -t t -m x -q 1
mqtt_pub() {
	local -a a
	_mqtt_args_into a "${1:?mqtt_pub BROKER ARGS...}" || return 1
	shift
	mosquitto_pub "${a[@]}" "$@"
}

# mqtt_read BROKER TOPIC [TIMEOUT_S] [mosquitto_sub args...]: print the
# first message on TOPIC as "topic payload" (e.g. a retained one) and exit
# 0; non-zero with a message when none arrives within TIMEOUT_S (default
# 5; mosquitto_sub -W takes whole seconds, fractions are rounded up).
mqtt_read() {
	local broker=${1:?mqtt_read BROKER TOPIC [TIMEOUT_S]} topic=${2:?} t=${3:-5} rc
	local -a a
	_mqtt_args_into a "$broker" || return 1
	shift 3 2>/dev/null || shift $#
	rc=0
	mosquitto_sub "${a[@]}" -t "$topic" -v -C 1 -W "$(_mqtt_ceil_s "$t")" "$@" || rc=$?
	((rc == 0)) || _mqtt_err "no message on $topic from broker $broker within $t s (mosquitto_sub rc $rc)"
	return "$rc"
}

# mqtt_expect_none BROKER TOPIC [WAIT_S]: succeed when no message (retained
# or live) arrives on TOPIC within WAIT_S (default 1, whole seconds);
# fail printing it.
mqtt_expect_none() {
	local broker=${1:?mqtt_expect_none BROKER TOPIC [WAIT_S]} topic=${2:?} t=${3:-1} out rc
	local -a a
	_mqtt_args_into a "$broker" || return 1
	rc=0
	out=$(mosquitto_sub "${a[@]}" -t "$topic" -v -C 1 -W "$(_mqtt_ceil_s "$t")" 2>&1) || rc=$?
	# mosquitto_sub exits 27 (timeout) when nothing came
	if ((rc == 0)); then
		_mqtt_err "unexpected message on $topic: $out"
		return 1
	fi
	if ((rc != 27)); then
		_mqtt_err "mosquitto_sub failed on $topic (rc $rc): $out"
		return 1
	fi
	return 0
}

# mqtt_clear_retained BROKER TOPIC: delete a retained message (empty retain)
mqtt_clear_retained() {
	mqtt_pub "${1:?mqtt_clear_retained BROKER TOPIC}" -t "${2:?}" -r -n
}

# ---------------------------------------------------------------- subscribers

# mqtt_sub_start NAME BROKER TOPIC [mosquitto_sub args...]
# Start mosquitto_sub in the background, one line "topic payload" per
# message (-v, flushed each line) into MQTT_SUB_<N>_OUT, and wait until the
# broker has registered the subscription (its "subscribe" log line). The
# client id is fixed, "gwio-sub-NAME" (or your -i ID), so with "-c -q 1" (clean session off, QoS 1) a stopped and
# restarted subscriber, or one reconnecting after a broker restart, gets
# the messages queued for it meanwhile. mtls: uses the test client cert.
# More topics: add "-t TOPIC2" to the args. Every (re)start gets the
# retained messages of its topics again (MQTT sends them on SUBSCRIBE);
# mosquitto_sub -R leaves them out.
# Sets MQTT_SUB_<N>_PID, _OUT, _ERR (stderr), _ID, _BROKER.
mqtt_sub_start() {
	local name=${1:?mqtt_sub_start NAME BROKER TOPIC [args...]} broker=${2:?} topic=${3:?}
	local n bn id idre out err pid mark log deadline i prev
	local -a a
	shift 3
	n=$(_mqtt_var "$name") || return 1
	bn=$(_mqtt_broker_n "$broker") || return 1
	_mqtt_args_into a "$broker" || return 1
	pid=$(_mqtt_get "MQTT_SUB_${n}_PID")
	if [[ -n $pid ]] && _mqtt_alive "$pid" mosquitto_sub; then
		_mqtt_err "subscriber $name is already running"
		return 1
	fi
	id=gwio-sub-$name
	prev=
	for i in "$@"; do
		[[ $prev == -i || $prev == --id ]] && id=$i
		prev=$i
	done
	[[ $id == "gwio-sub-$name" ]] && a+=(-i "$id")
	out=$MQTT_TMPDIR/sub-$name.out
	err=$MQTT_TMPDIR/sub-$name.err
	log=$(_mqtt_get "MQTT_${bn}_LOG")
	mark=$(wc -l 2>/dev/null <"$log" || echo 0)
	# appended: a restarted subscriber keeps its earlier lines
	mosquitto_sub "${a[@]}" -v -t "$topic" "$@" </dev/null >>"$out" 2>>"$err" &
	pid=$!
	_mqtt_track "$pid" mosquitto_sub
	printf -v "MQTT_SUB_${n}_PID" '%s' "$pid"
	printf -v "MQTT_SUB_${n}_OUT" '%s' "$out"
	printf -v "MQTT_SUB_${n}_ERR" '%s' "$err"
	printf -v "MQTT_SUB_${n}_ID" '%s' "$id"
	printf -v "MQTT_SUB_${n}_BROKER" '%s' "$broker"
	_MQTT_SUB_SPEC[$name]=$(printf '%q ' "$broker" "$topic" "$@")
	idre=$(_mqtt_ere_escape "$id")
	touch "$out"
	deadline=$(_mqtt_deadline "$(_mqtt_timeout_s)")
	while (($(_mqtt_now_ms) < deadline)); do
		# log_type subscribe: "TIME: ID QOS TOPIC", once it is registered
		if _mqtt_grep_from "$log" $((mark + 1)) -E "^[^ ]+ $idre [0-2] "; then
			return 0
		fi
		if ! _mqtt_alive "$pid" mosquitto_sub &&
			! _mqtt_pre_exec "$pid" mosquitto_sub; then
			break
		fi
		sleep 0.02
	done
	_mqtt_err "subscriber $name ($id) not subscribed on broker $broker"
	{
		echo "--- $err"
		cat "$err"
		echo "--- broker log since the start (last 20 lines)"
		tail -n +"$((mark + 1))" "$log" | tail -n 20
	} | sed 's/^/    /' >&2
	_mqtt_terminate "$pid" mosquitto_sub KILL 1
	printf -v "MQTT_SUB_${n}_PID" '%s' ""
	return 1
}

# mqtt_sub_stop NAME: stop a subscriber (SIGTERM: mosquitto_sub sends a
# DISCONNECT; with -c the broker keeps its session and queues for it).
mqtt_sub_stop() {
	local n pid
	n=$(_mqtt_var "${1:?mqtt_sub_stop NAME}") || return 1
	pid=$(_mqtt_get "MQTT_SUB_${n}_PID")
	[[ -n $pid ]] && _mqtt_terminate "$pid" mosquitto_sub TERM 5
	printf -v "MQTT_SUB_${n}_PID" '%s' ""
}

# mqtt_sub_running NAME: true when the subscriber's mosquitto_sub is alive
mqtt_sub_running() {
	local n pid
	n=$(_mqtt_var "${1:?mqtt_sub_running NAME}") || return 1
	pid=$(_mqtt_get "MQTT_SUB_${n}_PID")
	[[ -n $pid ]] && _mqtt_alive "$pid" mosquitto_sub
}

# mqtt_sub_restart NAME: stop the subscriber if it runs and start it again
# with the arguments of its last mqtt_sub_start (same client id; output
# appended to the same file)
mqtt_sub_restart() {
	local name=${1:?mqtt_sub_restart NAME}
	if [[ -z ${_MQTT_SUB_SPEC[$name]:-} ]]; then
		_mqtt_err "no subscriber named $name"
		return 1
	fi
	mqtt_sub_stop "$name" || return 1
	eval "set -- ${_MQTT_SUB_SPEC[$name]}"
	mqtt_sub_start "$name" "$@"
}

# _mqtt_sub_respawn BROKER: restart the exited subscribers of BROKER
_mqtt_sub_respawn() {
	local name n rc=0
	for name in "${!_MQTT_SUB_SPEC[@]}"; do
		n=${name^^}
		[[ $(_mqtt_get "MQTT_SUB_${n}_BROKER") == "$1" ]] || continue
		[[ -n $(_mqtt_get "MQTT_SUB_${n}_PID") ]] || continue # stopped by the test
		mqtt_sub_running "$name" && continue
		echo "mqtt: subscriber $name had exited ($(tail -n 1 "$(_mqtt_get "MQTT_SUB_${n}_ERR")")), starting it again" >&2
		mqtt_sub_restart "$name" || rc=1
	done
	return "$rc"
}

# ---------------------------------------------------------------- waiting

# mqtt_count_lines FILE: number of lines in FILE (0 if missing)
mqtt_count_lines() {
	local c
	c=$(wc -l 2>/dev/null <"$1") || c=0
	printf '%s\n' "$c"
}

# mqtt_wait_lines FILE N TIMEOUT_S: wait until FILE has at least N lines;
# on timeout say how many it had and show the last ones.
mqtt_wait_lines() {
	local f=${1:?mqtt_wait_lines FILE N TIMEOUT_S} want=${2:?} t=${3:?} deadline c
	deadline=$(_mqtt_deadline "$t")
	while :; do
		c=$(mqtt_count_lines "$f")
		((c >= want)) && return 0
		(($(_mqtt_now_ms) < deadline)) || break
		sleep 0.05
	done
	_mqtt_err "timeout after $t s: $f has $c lines, wanted $want; last lines:"
	tail -n 5 "$f" 2>/dev/null | sed 's/^/    /' >&2
	return 1
}

# mqtt_wait_match FILE REGEX TIMEOUT_S: wait until a line of FILE matches
# the extended REGEX (grep -E); on timeout show the file's last lines.
mqtt_wait_match() {
	local f=${1:?mqtt_wait_match FILE REGEX TIMEOUT_S} re=${2:?} t=${3:?} deadline
	deadline=$(_mqtt_deadline "$t")
	while :; do
		grep -Eq -- "$re" "$f" 2>/dev/null && return 0
		(($(_mqtt_now_ms) < deadline)) || break
		sleep 0.05
	done
	_mqtt_err "timeout after $t s: no line of $f matches /$re/; last lines:"
	tail -n 5 "$f" 2>/dev/null | sed 's/^/    /' >&2
	return 1
}

# mqtt_wait_log BROKER REGEX TIMEOUT_S [FROM_LINE]: wait for REGEX in the
# broker's log, looking only at lines from FROM_LINE on (default: since the
# broker's last start). Take a mark first with mqtt_log_mark to wait for
# something new, e.g. a reconnect:
#	m=$(mqtt_log_mark b); ...; mqtt_wait_log b 'New client connected.* as gwiod' 10 "$m"
mqtt_wait_log() {
	local n log re=${2:?mqtt_wait_log BROKER REGEX TIMEOUT_S [FROM_LINE]} t=${3:?} from deadline
	n=$(_mqtt_broker_n "$1") || return 1
	log=$(_mqtt_get "MQTT_${n}_LOG")
	from=${4:-$(_mqtt_get "MQTT_${n}_LOG_START")}
	deadline=$(_mqtt_deadline "$t")
	while :; do
		_mqtt_grep_from "$log" "${from:-1}" -E "$re" && return 0
		(($(_mqtt_now_ms) < deadline)) || break
		sleep 0.05
	done
	_mqtt_err "timeout after $t s: broker $1 logged nothing matching /$re/; last lines:"
	tail -n 10 "$log" 2>/dev/null | sed 's/^/    /' >&2
	return 1
}

# mqtt_log_mark BROKER: print the line number where new log lines of BROKER
# will start (for mqtt_wait_log's FROM_LINE)
mqtt_log_mark() {
	local n log
	n=$(_mqtt_broker_n "${1:?mqtt_log_mark BROKER}") || return 1
	log=$(_mqtt_get "MQTT_${n}_LOG")
	echo $(($(mqtt_count_lines "$log") + 1))
}

# mqtt_wait_client BROKER CLIENT_ID TIMEOUT_S [FROM_LINE]: wait until a
# client with CLIENT_ID (a literal, not a regex) is connected per the log
mqtt_wait_client() {
	local id=${2:?mqtt_wait_client BROKER CLIENT_ID TIMEOUT_S [FROM_LINE]}
	id=$(_mqtt_ere_escape "$id")
	mqtt_wait_log "$1" "New client connected from .* as $id \\(" "${3:?}" "${4:-}"
}
