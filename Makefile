# SPDX-License-Identifier: GPL-2.0
# gwio: the kernel module (kmod/, built through Kbuild) and userspace/.
#
#   make                      gwio.ko for KDIR, libgwio and the tools
#   make KDIR=/path/to/headers ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
#   make C=1                  the same, with sparse on every kernel file
#   make check                every test suite (see tests/run-suites.sh)
#   make check-debug          the VM suites on a kernel built here with KASAN,
#                             lockdep, kmemleak, DEBUG_KOBJECT_RELEASE, ...
#                             (tests/vm/check-debug.sh; not in make check:
#                             the first run builds that kernel, ~20 min)
#   make bench                benchmarks into docs/benchmarks.md
#   make style                checkpatch on the kernel sources
#   make dtbs                 device-tree overlays into dts/build/*.dtbo
#   make install              module, library, tools, gwiod and its unit,
#                             udev rules, the gwio group (docs/install.md)
#   make deps                 install the packages all of this needs (sudo)
#   make demo                 the whole gateway in a qemu guest, MQTT traffic
#                             on this terminal (DEMO_SECONDS=60, ARCH=arm64,
#                             HOST=1 on this machine's own kernel)
#   make vm-shell             a shell in a qemu guest with gwio.ko and tools

# The running kernel's headers; on a machine without them (a container, a
# foreign kernel) the newest (by version) Debian headers under /usr/src.
KRUN := $(shell uname -r)
ifeq ($(origin KDIR),undefined)
KDIR := $(firstword $(wildcard /lib/modules/$(KRUN)/build) \
	$(lastword $(shell printf '%s\n' $(filter-out %-common %-common-rt,\
	$(wildcard /usr/src/linux-headers-*)) | sort -V)))
endif
# The release KDIR builds for, as the module's vermagic and modules_install
# name it: UTS_RELEASE (Debian's include/config/kernel.release holds the
# upstream 6.1.N, not 6.1.0-N-amd64), else kernel.release, else the
# directory's name.
KREL := $(or $(shell sed -n 's/.*UTS_RELEASE "\(.*\)".*/\1/p' \
	  $(KDIR)/include/generated/utsrelease.h 2>/dev/null),\
	$(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null),\
	$(patsubst linux-headers-%,%,$(notdir $(patsubst %/build,%,\
	$(abspath $(KDIR))))))
PREFIX ?= /usr/local
DESTDIR ?=
# Absolute: the module is installed from inside KDIR, userspace from
# userspace/.  Where udev and systemd look, whatever the PREFIX.
DEST := $(abspath $(DESTDIR))
INSTALL_MOD_DIR ?= extra
MODDIR := $(DEST)/lib/modules/$(KREL)/$(INSTALL_MOD_DIR)
UDEVDIR ?= /usr/lib/udev
SYSUSERSDIR ?= /usr/lib/sysusers.d
SYSCONFDIR ?= /etc

ifneq ($(ARCH),)
KARCH := ARCH=$(ARCH)
endif

.PHONY: all module userspace check check-debug unit vm bench style clean install \
	modules_install uninstall dtbs demo vm-shell deps

# Headers for another kernel build a module this one will not load: said
# after the build (after userspace's when `make` builds both), never an
# error.
define kernel_note
if [ "$(KREL)" = "$(KRUN)" ]; then :; \
elif [ -n "$(ARCH)" ]; then \
  echo "note: gwio.ko is built for an ARCH=$(ARCH) kernel $(KREL) (KDIR=$(KDIR))"; \
else \
  echo "note: gwio.ko is built for kernel $(KREL) (KDIR=$(KDIR))"; \
  echo "      but this machine runs $(KRUN): modprobe/insmod here will not load it."; \
  if [ -d /lib/modules/$(KRUN)/build ]; then \
    echo "      KDIR=/lib/modules/$(KRUN)/build builds for the running kernel."; \
  else \
    echo "      For the running kernel, install its headers (/lib/modules/$(KRUN)/build;"; \
    echo "      on Debian the package linux-headers-$(KRUN)) or pass KDIR=<its build tree>."; \
  fi; \
  echo "      Without them: make demo runs gwio.ko in a qemu guest."; \
fi >&2
endef
NOTE_AT_END := $(filter all,$(or $(MAKECMDGOALS),all))

all: module userspace
	@$(kernel_note)

module:
	@test -d "$(KDIR)" || { echo "no kernel headers$(if $(KDIR), at KDIR=$(KDIR)):" \
	  "install linux-headers-$(KRUN) or pass KDIR=<a build tree>" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KARCH) modules
	@$(if $(NOTE_AT_END),:,$(kernel_note))

userspace:
	$(MAKE) -C userspace

check:
	tests/run-suites.sh

# The VM suites (ring, abi, gpio, spi, stress) on 6.12-debug-amd64, a kernel
# built from Debian's linux-source with the kernel's own debugging on
# (tests/vm/README.md).  Its cold build is far outside CI's budget, so it
# is kept out of check; a warm cache rebuilds nothing.
check-debug:
	tests/vm/check-debug.sh

# The packages the build, the demo and the tests need (.ci/run --deps-only:
# compilers and cross compilers, kernel headers, qemu, mosquitto, cmocka,
# ...), through sudo unless we are root already.
deps:
	@$(if $(filter 0,$(shell id -u)),,sudo )$(CURDIR)/.ci/run --deps-only

# The demo and the VM shell pick their own kernels and builds (demo/README.md,
# docs/quickstart.md).
DEMO_SECONDS ?= 60
demo:
	@DEMO_SECONDS=$(DEMO_SECONDS) demo/run.sh $(if $(filter-out 0,$(HOST)),--host) $(if $(ARCH),--arch=$(ARCH))

vm-shell:
	@demo/run.sh --shell $(if $(ARCH),--arch=$(ARCH))

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

# Into $(DESTDIR)/lib/modules/<KREL>/$(INSTALL_MOD_DIR)/: the headers' kernel,
# which need not be the running one.  depmod only on this machine's own /;
# Kbuild's skips itself without a System.map, as with Debian's headers.
modules_install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KARCH) INSTALL_MOD_PATH=$(DEST) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install
	@ko=$$(find $(MODDIR) -maxdepth 1 -name 'gwio.ko*' \
		-newer $(CURDIR)/gwio.ko 2>/dev/null | head -n 1); \
	if [ -z "$$ko" ]; then \
		echo "modules_install: no new gwio.ko in $(MODDIR)/" >&2; exit 1; \
	fi; \
	echo "gwio.ko installed for kernel $(KREL): $$ko"; \
	if [ "$(KREL)" != "$(KRUN)" ]; then \
		echo "  (this machine runs $(KRUN): modprobe finds it once $(KREL) runs)"; \
	fi; \
	if [ -n "$(DEST)" ]; then \
		echo "depmod not run (DESTDIR): run depmod -a $(KREL) where it is installed"; \
	elif command -v depmod >/dev/null 2>&1; then \
		echo "depmod -a $(KREL)"; depmod -a $(KREL); \
	else \
		echo "no depmod here: run depmod -a $(KREL) before modprobe gwio"; \
	fi

install: modules_install
	$(MAKE) -C userspace install PREFIX=$(PREFIX) DESTDIR=$(DEST)
	install -D -m 644 udev/60-gwio.rules $(DEST)$(UDEVDIR)/rules.d/60-gwio.rules
	install -D -m 755 udev/gwio-links $(DEST)$(UDEVDIR)/gwio-links
	install -D -m 644 udev/gwio.sysusers $(DEST)$(SYSUSERSDIR)/gwio.conf
	@if [ -z "$(DEST)" ]; then \
		echo "next: systemd-sysusers gwio.conf (creates the gwio group)," \
		     "udevadm control --reload, systemctl daemon-reload;"; \
		echo "      edit $(SYSCONFDIR)/gwiod/gwiod.yaml, then systemctl enable --now gwiod"; \
	else \
		echo "installed into $(DEST): on the target run systemd-sysusers gwio.conf" \
		     "(the gwio group) and depmod -a $(KREL)"; \
	fi

# The configuration in /etc and the gwio group stay.
uninstall:
	$(MAKE) -C userspace uninstall PREFIX=$(PREFIX) DESTDIR=$(DEST)
	rm -f $(DEST)$(UDEVDIR)/rules.d/60-gwio.rules $(DEST)$(UDEVDIR)/gwio-links \
	      $(DEST)$(SYSUSERSDIR)/gwio.conf $(MODDIR)/gwio.ko*
	@if [ -z "$(DEST)" ] && command -v depmod >/dev/null 2>&1; then \
		echo "depmod -a $(KREL)"; depmod -a $(KREL); \
	fi

clean:
	-test -d "$(KDIR)" && $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C userspace clean
	rm -rf dts/build
