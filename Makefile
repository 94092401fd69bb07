# SPDX-License-Identifier: GPL-2.0
# gwio: the kernel module (kmod/, built through Kbuild) and userspace/.
#
#   make                      gwio.ko for KDIR, libgwio and the tools
#   make KDIR=/path/to/headers ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
#   make C=1                  the same, with sparse on every kernel file
#   make check                every test suite (see tests/run-suites.sh)
#   make bench                benchmarks into docs/benchmarks.md
#   make style                checkpatch on the kernel sources
#   make dtbs                 device-tree overlays into dts/build/*.dtbo
#   make install              module, library, tools, udev rules
#   make demo                 the whole gateway in a qemu guest, MQTT traffic
#                             on this terminal (DEMO_SECONDS=60, ARCH=arm64,
#                             HOST=1 on this machine's own kernel)
#   make vm-shell             a shell in a qemu guest with gwio.ko and tools

# The running kernel's headers; on a machine without them (a container, a
# foreign kernel) the newest Debian headers installed under /usr/src.
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(lastword $(sort $(filter-out %-common %-common-rt,\
	$(wildcard /usr/src/linux-headers-*)))))
PREFIX ?= /usr/local
DESTDIR ?=

ifneq ($(ARCH),)
KARCH := ARCH=$(ARCH)
endif

.PHONY: all module userspace check unit vm bench style clean install \
	modules_install dtbs demo vm-shell

all: module userspace

module:
	@test -d "$(KDIR)" || { echo "no kernel headers: install" \
	  "linux-headers-$$(uname -r) or pass KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KARCH) modules

userspace:
	$(MAKE) -C userspace

check:
	tests/run-suites.sh

# The demo and the VM shell pick their own kernels and builds (demo/README.md).
DEMO_SECONDS ?= 60
demo:
	DEMO_SECONDS=$(DEMO_SECONDS) demo/run.sh $(if $(filter 1,$(HOST)),--host,$(if $(ARCH),--arch=$(ARCH)))

vm-shell:
	demo/run.sh --shell $(if $(ARCH),--arch=$(ARCH))

bench:
	tests/bench/run.sh

style:
	tests/style/checkpatch.sh

# Overlays keep their labels' references unresolved (-@): the firmware or
# fdtoverlay resolves them against the board's DTB.
DTC ?= dtc
DTBOS := $(patsubst dts/overlays/%.dtso,dts/build/%.dtbo,\
	   $(wildcard dts/overlays/*.dtso))

dtbs: $(DTBOS)

dts/build/%.dtbo: dts/overlays/%.dtso
	@mkdir -p $(dir $@)
	$(DTC) -@ -q -I dts -O dtb -o $@ $<

modules_install:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KARCH) INSTALL_MOD_PATH=$(DESTDIR) \
		modules_install

install: modules_install
	$(MAKE) -C userspace install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	install -D -m 644 udev/60-gwio.rules \
		$(DESTDIR)/usr/lib/udev/rules.d/60-gwio.rules
	install -D -m 755 udev/gwio-links $(DESTDIR)/usr/lib/udev/gwio-links
	install -D -m 644 userspace/gwiod/gwiod.service \
		$(DESTDIR)/usr/lib/systemd/system/gwiod.service

clean:
	-test -d "$(KDIR)" && $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C userspace clean
	rm -rf dts/build
