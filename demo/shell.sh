#!/bin/sh
# make vm-shell, inside the guest: an interactive shell on the console with
# gwio.ko, the simulated board of tests/kmod and the tools in /payload.
# demo/run.sh --shell boots it; `poweroff -f` or Ctrl-A x ends it.
exec </dev/console >/dev/console 2>&1
dmesg -n 1	# kernel messages stay in dmesg, not over the prompt
cat <<'TXT'

gwio VM shell.  In /payload: gwio.ko, the simulated hardware
(gwio-test-gpio.ko, gwio-test-spi.ko, gwio-demo-board.ko), gwio-cat, gwiod.

  insmod /payload/gwio.ko sim_channels=2
  ls /sys/class/gwio/gwio0/channels; cat /sys/class/gwio/gwio0/statistics/produced
  /payload/gwio-cat --start -n 10 /dev/gwio0
  for m in gwio-test-gpio gwio-test-spi gwio-demo-board; do insmod /payload/$m.ko; done
  sh /payload/guest.sh          # the whole demo, MQTT lines prefixed GWIO-DEMO:

Leave with: poweroff -f   (or Ctrl-A x)
TXT
cd /payload
setsid cttyhack sh -l
