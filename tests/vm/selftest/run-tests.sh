#!/bin/sh
# In-guest self-test of the VM harness: load and unload the hello module.
# Runs under busybox sh as part of /init (see ../run-vm.sh).
t=gwio_hello
if ! out=$(insmod /payload/gwio_hello.ko 2>&1); then
	echo "GWIO-TEST: FAIL insmod $out"
	exit 0
fi
echo "GWIO-TEST: PASS insmod"

if dmesg | grep -q "gwio_hello: loaded on $(uname -r)"; then
	echo "GWIO-TEST: PASS hello-message"
else
	echo "GWIO-TEST: FAIL hello-message not in dmesg"
fi

if grep -q "^$t " /proc/modules; then
	echo "GWIO-TEST: PASS listed"
else
	echo "GWIO-TEST: FAIL listed not in /proc/modules"
fi

if out=$(rmmod $t 2>&1); then
	echo "GWIO-TEST: PASS rmmod"
else
	echo "GWIO-TEST: FAIL rmmod $out"
fi

# Two CPUs are a requirement of the real tests; check the VM really has them.
n=$(grep -c '^processor' /proc/cpuinfo)
if [ "$n" -ge 2 ]; then
	echo "GWIO-TEST: PASS smp"
else
	echo "GWIO-TEST: FAIL smp only $n CPU(s)"
fi
echo "GWIO-BENCH: uptime_s $(cut -d' ' -f1 /proc/uptime)"
