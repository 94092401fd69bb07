# shellcheck shell=sh
# Helpers for scripts that run inside a test guest (busybox sh), sourced
# from /payload/guest-lib.sh: the suites and make demo copy this file
# into their payloads under that name.

# wait_for TENTHS CMD...: retry CMD every 0.1 s, at most TENTHS times
wait_for() {
	_n=$1
	shift
	while [ "$_n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

# listening PORT: something listens on 127.0.0.1:PORT (TCP, IPv4)
listening() {
	grep -q " 0100007F:$(printf '%04X' "$1") 00000000:0000 0A " /proc/net/tcp
}
