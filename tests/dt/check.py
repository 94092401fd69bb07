#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""check.py — the dt suite's checks of merged device trees (tests/style/dt.sh).

  check.py trees CASES.tsv      every case: an overlay applied to a board's
                                base tree (with parameters), node by node
  check.py source KSRC DTSO...  the overlays' own comments: header pins
                                against the lines and pads they name
  check.py help README DTBO...  dts/overlays/README against __overrides__
  check.py schema clean|new|broken ...   dt-validate's output, judged

Each check prints "PASS name" or "FAIL name" with the reasons indented
below, like the rest of the suite; the exit status is 1 if any failed.

CASES.tsv, one case a line, tab-separated:
  name  board  world  params  merged.dtb  base.dtb  expect
board is rpi4, rpi5, bbb or virt; world mainline, downstream (Raspberry Pi
OS's labels, tests/dt/standin/), beagleboard (BeagleBoard.org's pinmux
helpers) or qemu; params "-" or "a=1,b" as given to tests/dt/rpi-params.py;
expect "-" or "ASPECT:substring": the case is a deliberate mistake, and
passes when that aspect fails with that reason (the other aspects are not
reported).
"""

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fdt  # noqa: E402

# --- the boards --------------------------------------------------------
# Raspberry Pi 40-pin header: physical pin -> BCM GPIO (the same on the
# Pi 4's BCM2711 and on the Pi 5's RP1).
RPI_HEADER = {
    3: 2, 5: 3, 7: 4, 8: 14, 10: 15, 11: 17, 12: 18, 13: 27, 15: 22, 16: 23,
    18: 24, 19: 10, 21: 9, 22: 25, 23: 11, 24: 8, 26: 7, 27: 0, 28: 1,
    29: 5, 31: 6, 32: 12, 33: 13, 35: 19, 36: 16, 37: 26, 38: 20, 40: 21,
}
RPI_SPI0 = {"MOSI": 10, "MISO": 9, "SCLK": 11, "CE0": 8, "CE1": 7}

# BeagleBone Black P8 pins: (GPIO bank, line, pad name in
# <dt-bindings/pinctrl/am33xx.h>, pad offset from the pinmux base),
# after BeagleBoard.org's am335x-bone-common-univ.dtsi.
BBB_HEADER = {
    "P8_7": (2, 2, "AM335X_PIN_GPMC_ADVN_ALE", 0x090),
    "P8_8": (2, 3, "AM335X_PIN_GPMC_OEN_REN", 0x094),
    "P8_9": (2, 5, "AM335X_PIN_GPMC_BEN0_CLE", 0x09c),
    "P8_10": (2, 4, "AM335X_PIN_GPMC_WEN", 0x098),
    "P8_11": (1, 13, "AM335X_PIN_GPMC_AD13", 0x034),
    "P8_12": (1, 12, "AM335X_PIN_GPMC_AD12", 0x030),
    "P8_14": (0, 26, "AM335X_PIN_GPMC_AD10", 0x028),
    "P8_15": (1, 15, "AM335X_PIN_GPMC_AD15", 0x03c),
    "P8_16": (1, 14, "AM335X_PIN_GPMC_AD14", 0x038),
    "P8_17": (0, 27, "AM335X_PIN_GPMC_AD11", 0x02c),
    "P8_18": (2, 1, "AM335X_PIN_GPMC_CLK", 0x08c),
}
# the AM335x GPIO banks' nodes in mainline's am33xx-l4.dtsi
BBB_BANKS = {
    0: "/ocp/interconnect@44c00000/segment@200000/target-module@7000/gpio@0",
    1: "/ocp/interconnect@48000000/segment@0/target-module@4c000/gpio@0",
    2: "/ocp/interconnect@48000000/segment@100000/target-module@ac000/gpio@0",
    3: "/ocp/interconnect@48000000/segment@100000/target-module@ae000/gpio@0",
}
BBB_PINMUX = "/ocp/interconnect@44c00000/segment@200000/target-module@10000/scm@0/pinmux@800"

RP1 = "/axi/pcie@120000/rp1"
BOARDS = {
    "rpi4": {"gpio": "/soc/gpio@7e200000", "pinctrl": "/soc/gpio@7e200000",
             "spi": "/soc/spi@7e204000", "gpio_compat": "brcm,bcm2711-gpio"},
    "rpi5": {"gpio": RP1 + "/gpio@d0000", "pinctrl": RP1 + "/gpio@d0000",
             "spi": RP1 + "/spi@50000", "gpio_compat": "raspberrypi,rp1-gpio"},
    "bbb": {"gpio": BBB_BANKS[2], "pinctrl": BBB_PINMUX, "spi": None,
            "gpio_compat": "ti,omap4-gpio"},
    "virt": {"gpio": "/pl061@9030000", "pinctrl": None, "spi": None,
             "gpio_compat": "arm,pl061"},
}

# what each overlay does by default; the Raspberry Pi parameters change it
RPI_DEFAULT = {
    "door": {"reg": 0, "line": 17, "flags": 1, "edge": "both", "debounce": 2000, "pull": 2},
    "flow": {"reg": 1, "line": 27, "flags": 0, "edge": "rising", "debounce": 0, "pull": 2},
    "adc": {"cs": 0, "speed": 1000000, "period": 1000, "present": True,
            "channels": ["boiler-temp", "boiler-press", "tank-level", "supply-volts"]},
}


def fw_int(value):
    """An integer parameter value as Raspberry Pi's firmware reads it
    (dtoverlay.c, as tests/dt/rpi-params.py does)."""
    words = {"y": 1, "yes": 1, "on": 1, "true": 1, "down": 1,
             "n": 0, "no": 0, "off": 0, "false": 0, "up": 2}
    return words[value] if value in words else int(value, 0)


def expected(board, params):
    if board in ("rpi4", "rpi5"):
        e = {k: dict(v) for k, v in RPI_DEFAULT.items()}
        for p in params:
            name, eq, value = p.partition("=")
            value = value if eq else "1"
            if name == "no_adc":
                e["adc"]["present"] = False
                continue
            ch, _, what = name.partition("_")
            if ch == "adc":
                e["adc"][{"cs": "cs", "speed": "speed", "period": "period"}[what]] = fw_int(value)
            else:
                key = {"gpio": "line", "edge": "edge", "debounce": "debounce",
                       "activelow": "flags", "pull": "pull"}[what]
                e[ch][key] = value if key == "edge" else fw_int(value)
        return e
    if board == "bbb":
        return {
            "door": {"reg": 0, "line": 2, "flags": 1, "edge": "both", "debounce": 2000,
                     "pull": "up", "header": "P8_7"},
            "flow": {"reg": 1, "line": 3, "flags": 0, "edge": "rising", "debounce": 0,
                     "pull": "up", "header": "P8_8"},
            "adc": {"present": False},
        }
    if board == "virt":
        return {
            "power-button": {"reg": 0, "line": 3, "flags": 0, "edge": "both", "debounce": 0},
            "adc": {"present": False},
        }
    raise ValueError(f"unknown board {board}")


# --- reporting ---------------------------------------------------------
failed = 0


def report(name, problems):
    global failed
    if problems:
        failed += 1
        print(f"FAIL {name}")
        for p in problems:
            print(f"    {p}")
    else:
        print(f"PASS {name}")


# --- tree helpers ------------------------------------------------------
def gpio_specs(tree, node, prop):
    """(controller node, cells) for each specifier of a GPIO property."""
    cells = node.u32s(prop) or []
    out, i = [], 0
    while i < len(cells):
        ctrl = tree.by_phandle(cells[i])
        if ctrl is None:
            raise ValueError(f"{node.path()}:{prop}: phandle {cells[i]:#x} resolves to nothing")
        n = ctrl.u32("#gpio-cells")
        if n is None:
            raise ValueError(f"{node.path()}:{prop}: {ctrl.path()} has no #gpio-cells")
        out.append((ctrl, cells[i + 1:i + 1 + n]))
        i += 1 + n
    return out


GPIO_PROP = re.compile(r"^(.*-)?gpios?$")


def is_gpio_prop(name):
    return bool(GPIO_PROP.match(name)) and name not in ("gpio-controller",)


def claims_active(node):
    """Whether the kernel would act on this node's line claims: it and its
    ancestors enabled.  BeagleBoard.org's gpio-of-helper (cape-universal)
    requests every child's line whatever the child's status, so there
    only the parent's status counts."""
    p = node.parent
    if p is not None and "gpio-of-helper" in (p.strings("compatible") or []):
        return p.enabled()
    return node.enabled()


def interrupt_parent(tree, node):
    """The node's interrupt parent: its own or an ancestor's
    interrupt-parent (what of_irq_find_parent does)."""
    n = node
    while n is not None:
        if n.has("interrupt-parent") and len(n.raw("interrupt-parent")) == 4:
            return tree.by_phandle(n.u32("interrupt-parent"))
        n = n.parent
    return None


def other_line_claims(tree, node):
    """(controller path, line, what) for the claims on GPIO lines that are
    not *-gpios properties: a gpio-hog child of a GPIO controller (its
    gpios has no phandle), and interrupts taken from a GPIO controller
    (interrupts with interrupt-parent, interrupts-extended)."""
    out = []
    par = node.parent
    if node.has("gpio-hog") and par is not None and par.has("gpio-controller"):
        n = par.u32("#gpio-cells", 2) or 2
        cells = node.u32s("gpios") or []
        out += [(par.path(), cells[i], "gpio-hog") for i in range(0, len(cells) - n + 1, n)]
    if node.has("interrupts") and not node.has("interrupts-extended"):
        ip = interrupt_parent(tree, node)
        if ip is not None and ip is not node and ip.has("gpio-controller"):
            n = ip.u32("#interrupt-cells")
            cells = node.u32s("interrupts") or []
            if n:
                out += [(ip.path(), cells[i], "interrupts") for i in range(0, len(cells) - n + 1, n)]
    if node.has("interrupts-extended"):
        cells, i = node.u32s("interrupts-extended") or [], 0
        while i < len(cells):
            ip = tree.by_phandle(cells[i])
            n = ip.u32("#interrupt-cells") if ip is not None else None
            if n is None:
                break
            if ip.has("gpio-controller") and i + 1 < len(cells):
                out.append((ip.path(), cells[i + 1], "interrupts-extended"))
            i += 1 + n
    return out


def in_subtree(node, top):
    while node is not None:
        if node is top:
            return True
        node = node.parent
    return False


def pin_groups(tree, node):
    """The pin configuration nodes a device's pinctrl-N properties name."""
    groups = []
    for k in node.props:
        if re.match(r"^pinctrl-\d+$", k):
            for ph in node.u32s(k) or []:
                g = tree.by_phandle(ph)
                if g is not None:
                    groups.append(g)
    return groups


def group_pins(group):
    """What a pin group claims: ('line', n) for BCM2835/RP1 lines,
    ('pad', offset) for pinctrl-single pads."""
    claims = []
    for g in [group] + group.children:
        if g.has("brcm,pins") and len(g.raw("brcm,pins")) % 4 == 0:
            claims += [("line", p) for p in g.u32s("brcm,pins")]
        if g.has("pins"):
            for s in g.strings("pins") or []:
                m = re.match(r"^gpio(\d+)$", s)
                if m:
                    claims.append(("line", int(m.group(1))))
        if g.has("pinctrl-single,pins"):
            ctrl = g.parent
            cells = ctrl.u32("#pinctrl-cells", 1)
            v = g.u32s("pinctrl-single,pins")
            step = cells + 1
            claims += [("pad", v[i]) for i in range(0, len(v) - len(v) % step, step)]
    return claims


def pinctrl_kind(ctrl):
    compat = ctrl.strings("compatible") or []
    if any(c.startswith("brcm,bcm2") and c.endswith("-gpio") for c in compat):
        return "brcm"
    if "raspberrypi,rp1-gpio" in compat:
        return "rp1"
    if "pinctrl-single" in compat or any("pinctrl-single" in c for c in compat):
        return "single"
    return "unknown"


# --- the aspects of one case --------------------------------------------
def check_gwio_node(tree, exp):
    probs = []
    g = tree.node("/gwio")
    if g is None:
        return ["no /gwio node"], None
    if g.parent is not tree.root:
        probs.append(f"/gwio is under {g.parent.path()}, not /")
    if g.strings("compatible") != ["gwio,io"]:
        probs.append(f"compatible {g.strings('compatible')}")
    if g.u32("#address-cells") != 1 or g.u32("#size-cells") != 0:
        probs.append("#address-cells/#size-cells not 1/0")
    if not g.enabled():
        probs.append("/gwio is disabled")
    others = [n.path() for n in tree.root.walk()
              if n is not g and "gwio,io" in (n.strings("compatible") or [])]
    if others:
        probs.append(f"other gwio,io nodes: {others}")
    return probs, g


def check_channels(tree, g, board, exp):
    probs = []
    want = {k: v for k, v in exp.items() if k != "adc"}
    seen = set()
    ctrl_path = BOARDS[board]["gpio"]
    for ch in g.children:
        if not ch.name.startswith("channel@"):
            probs.append(f"unexpected child {ch.name}")
            continue
        label = ch.string("label")
        if label not in want:
            probs.append(f"{ch.name}: unexpected label {label!r}")
            continue
        w = want[label]
        seen.add(label)
        if ch.name != f"channel@{w['reg']:x}" or ch.u32("reg") != w["reg"]:
            probs.append(f"{label}: {ch.name} reg {ch.u32('reg')}, want {w['reg']}")
        if ch.string("gwio,type") != "gpio-edge":
            probs.append(f"{label}: gwio,type {ch.string('gwio,type')!r}")
        try:
            specs = gpio_specs(tree, ch, "gpios")
        except ValueError as e:
            probs.append(f"{label}: {e}")
            continue
        if len(specs) != 1:
            probs.append(f"{label}: {len(specs)} gpios specifiers, want 1")
            continue
        ctrl, cells = specs[0]
        if ctrl.path() != ctrl_path:
            probs.append(f"{label}: gpios resolve to {ctrl.path()}, want {ctrl_path}")
        if BOARDS[board]["gpio_compat"] not in (ctrl.strings("compatible") or []):
            probs.append(f"{label}: controller {ctrl.path()} is {ctrl.strings('compatible')}")
        # edges need interrupts: the controller must be an interrupt
        # controller too (qemu's PL061 node does not say so, its driver
        # always is one)
        if not ctrl.has("gpio-controller") or not (
                ctrl.has("interrupt-controller") or "arm,pl061" in (ctrl.strings("compatible") or [])):
            probs.append(f"{label}: {ctrl.path()} is not a GPIO and interrupt controller")
        if len(cells) != 2:
            probs.append(f"{label}: {len(cells)} cells after the phandle, want 2")
            continue
        if cells[0] != w["line"]:
            probs.append(f"{label}: line {cells[0]}, want {w['line']}")
        if cells[1] != w["flags"]:
            probs.append(f"{label}: flags {cells[1]}, want {w['flags']}")
        if ch.string("gwio,edge", "both") != w["edge"]:
            probs.append(f"{label}: gwio,edge {ch.string('gwio,edge')!r}, want {w['edge']!r}")
        if ch.u32("gwio,debounce-us", 0) != w["debounce"]:
            probs.append(f"{label}: gwio,debounce-us {ch.u32('gwio,debounce-us', 0)}, want {w['debounce']}")
    for label in set(want) - seen:
        probs.append(f"no channel {label!r}")
    return probs


def check_pinmux(tree, g, board, exp):
    """The gwio node's own pin groups, well-formed, muxing every line."""
    probs = []
    if BOARDS[board]["pinctrl"] is None:
        if g.has("pinctrl-0"):
            probs.append("pinctrl-0 on a board without a pin controller")
        return probs
    names = g.strings("pinctrl-names")
    if names != ["default"] or not g.has("pinctrl-0"):
        return [f"pinctrl-names {names}, pinctrl-0 {'present' if g.has('pinctrl-0') else 'missing'}"]
    groups = pin_groups(tree, g)
    if len(groups) != len(g.u32s("pinctrl-0")):
        probs.append("pinctrl-0 names a phandle that resolves to nothing")
    want_ctrl = BOARDS[board]["pinctrl"]
    channels = {k: v for k, v in exp.items() if k != "adc"}
    muxed = {}
    for grp in groups:
        ctrl = grp.parent
        if ctrl.path() != want_ctrl:
            probs.append(f"{grp.path()} is not under {want_ctrl}")
            continue
        kind = pinctrl_kind(ctrl)
        if kind in ("brcm", "rp1") and grp.has("brcm,pins"):
            pins = grp.u32s("brcm,pins")
            fn = grp.u32s("brcm,function") or []
            pull = grp.u32s("brcm,pull") or []
            if not pins:
                probs.append(f"{grp.path()}: empty brcm,pins")
                continue
            if len(fn) not in (1, len(pins)):
                probs.append(f"{grp.path()}: {len(fn)} brcm,function values for {len(pins)} pins")
                continue
            if len(pull) not in (0, 1, len(pins)):
                probs.append(f"{grp.path()}: {len(pull)} brcm,pull values for {len(pins)} pins")
                continue
            if any(f > 7 for f in fn) or any(p > 2 for p in pull):
                probs.append(f"{grp.path()}: brcm,function {fn} / brcm,pull {pull} out of range")
            if any(p > 53 for p in pins):
                probs.append(f"{grp.path()}: brcm,pins {pins} beyond GPIO53")
            for i, p in enumerate(pins):
                muxed[("line", p)] = (fn[i if len(fn) > 1 else 0],
                                      pull[i if len(pull) > 1 else 0] if pull else None)
        elif kind == "single":
            cells = ctrl.u32("#pinctrl-cells")
            if cells is None:
                probs.append(f"{ctrl.path()} has no #pinctrl-cells")
                continue
            step = cells + 1
            v = grp.u32s("pinctrl-single,pins") or []
            if not v or len(v) % step:
                probs.append(f"{grp.path()}: pinctrl-single,pins has {len(v)} cells, "
                             f"not a multiple of {step} (#pinctrl-cells = <{cells}>: "
                             f"offset and {cells} value cell{'s' if cells > 1 else ''} an entry)")
                continue
            size = (ctrl.u32s("reg") or [0, 0])[1]
            mask = ctrl.u32("pinctrl-single,function-mask", 0xffffffff)
            width = ctrl.u32("pinctrl-single,register-width", 32) // 8
            for i in range(0, len(v), step):
                off, val = v[i], 0
                for c in v[i + 1:i + step]:
                    val |= c
                if off % width or off >= size:
                    probs.append(f"{grp.path()}: pad offset {off:#x} outside the {size:#x}-byte "
                                 f"pinmux or not {width}-byte aligned")
                if val & ~mask:
                    probs.append(f"{grp.path()}: pad {off:#x} value {val:#x} outside "
                                 f"function-mask {mask:#x}")
                muxed[("pad", off)] = val
        else:
            probs.append(f"{grp.path()}: pin group of an unknown kind under {ctrl.path()}")
    for label, w in channels.items():
        if board == "bbb":
            pad = BBB_HEADER[w["header"]][3]
            val = muxed.get(("pad", pad))
            if val is None:
                probs.append(f"{label}: pad {pad:#x} ({w['header']}) is not muxed")
                continue
            if val & 7 != 7:
                probs.append(f"{label}: pad {pad:#x} ({w['header']}) in mode {val & 7}, not 7 (GPIO)")
            if not val & 0x20:
                probs.append(f"{label}: pad {pad:#x} ({w['header']}) input not enabled")
            if w["pull"] == "up" and (val & 0x18) != 0x10:
                probs.append(f"{label}: pad {pad:#x} ({w['header']}) pull {val & 0x18:#x}, want up (0x10)")
        else:
            m = muxed.get(("line", w["line"]))
            if m is None:
                probs.append(f"{label}: GPIO{w['line']} is not in gwio's pin groups")
                continue
            if m[0] != 0:
                probs.append(f"{label}: GPIO{w['line']} function {m[0]}, want 0 (input)")
            if m[1] != w["pull"]:
                probs.append(f"{label}: GPIO{w['line']} pull {m[1]}, want {w['pull']}")
    return probs


def check_conflicts(tree, g, board, exp):
    """Nothing else enabled holds the channels' lines or pins, or the ADC's CS."""
    probs = []
    lines, pads = {}, {}
    for ch in g.children:
        try:
            for ctrl, cells in gpio_specs(tree, ch, "gpios"):
                lines[(ctrl.path(), cells[0])] = ch.string("label")
        except ValueError:
            pass
    for label, w in exp.items():
        if label != "adc" and "header" in w:
            pads[BBB_HEADER[w["header"]][3]] = label
    for n in tree.root.walk():
        if in_subtree(n, g) or n.name.startswith("__") or not claims_active(n):
            continue
        for ctrl_path, line, what in other_line_claims(tree, n):
            if (ctrl_path, line) in lines:
                probs.append(f"{lines[(ctrl_path, line)]}: line {line} of {ctrl_path} also in {n.path()}:{what}")
        for k in n.props:
            # cells, not a string (a value's last byte says nothing: flags 0)
            if not is_gpio_prop(k) or not n.raw(k) or len(n.raw(k)) % 4:
                continue
            if k == "gpios" and n.has("gpio-hog"):
                continue  # no phandle: other_line_claims above
            try:
                specs = gpio_specs(tree, n, k)
            except ValueError:
                continue
            for ctrl, cells in specs:
                key = (ctrl.path(), cells[0] if cells else None)
                if key in lines:
                    probs.append(f"{lines[key]}: line {key[1]} of {key[0]} also in {n.path()}:{k}")
        for grp in pin_groups(tree, n):
            for what, v in group_pins(grp):
                if what == "line" and board in ("rpi4", "rpi5"):
                    ctrl = BOARDS[board]["gpio"]
                    if grp.parent.path() == ctrl or (grp.parent.parent and grp.parent.parent.path() == ctrl):
                        if (ctrl, v) in lines:
                            probs.append(f"{lines[(ctrl, v)]}: GPIO{v} also muxed by {n.path()} ({grp.name})")
                if what == "pad" and v in pads:
                    probs.append(f"{pads[v]}: pad {v:#x} also muxed by {n.path()} ({grp.name})")
    # the ADC's chip select: one enabled device per CS
    spi_path = BOARDS[board]["spi"]
    spi = tree.node(spi_path) if spi_path else None
    if spi is not None:
        by_reg = {}
        for c in spi.children:
            if c.enabled() and c.has("reg"):
                by_reg.setdefault(c.u32s("reg")[0], []).append(c.name)
        for reg, names in sorted(by_reg.items()):
            if len(names) > 1:
                probs.append(f"chip select {reg} of {spi_path}: {', '.join(names)} all enabled")
    return probs


def check_spi(tree, base, board, exp):
    probs = []
    spi_path = BOARDS[board]["spi"]
    adcs = [n for n in tree.root.walk()
            if any(c.startswith("gwio,mcp") or c == "gwio,spi-adc" for c in n.strings("compatible") or [])]
    a = exp["adc"]
    if not a["present"]:
        if adcs:
            probs.append(f"ADC nodes without an ADC: {[n.path() for n in adcs]}")
        if spi_path and base.node(spi_path) is not None:
            b, m = base.node(spi_path), tree.node(spi_path)
            if b.string("status", "okay") != m.string("status", "okay"):
                probs.append(f"{spi_path} status changed to {m.string('status')!r}")
            for c in m.children:
                bc = b.child(c.name)
                if bc is None or bc.enabled() != c.enabled():
                    probs.append(f"{c.path()} changed without an ADC")
        return probs
    spi = tree.node(spi_path)
    if spi is None:
        return [f"no {spi_path}"]
    if not spi.enabled():
        probs.append(f"{spi_path} is disabled")
    enabled = [n for n in adcs if n.enabled()]
    if len(enabled) != 1:
        return probs + [f"{len(enabled)} enabled ADC nodes: {[n.path() for n in enabled]}"]
    adc = enabled[0]
    if adc.parent is not spi:
        probs.append(f"{adc.path()} is not a child of {spi_path}")
    # the other chip selects' devices (the other spidev) as in the base
    bspi = base.node(spi_path)
    for c in spi.children:
        if c is adc or not c.has("reg") or (c.u32s("reg") or [None])[0] == a["cs"]:
            continue
        bc = bspi.child(c.name) if bspi is not None else None
        if bc is None:
            if c.string("status", "okay") == "okay":
                probs.append(f"{c.path()} added, enabled, on a chip select not the ADC's")
        elif bc.string("status", "okay") != c.string("status", "okay"):
            probs.append(f"{c.path()} status {c.string('status', 'okay')!r}, "
                         f"base {bc.string('status', 'okay')!r}: not the ADC's chip select")
    if adc.name != f"adc@{a['cs']:x}" or adc.u32s("reg") != [a["cs"]]:
        probs.append(f"{adc.name} reg {adc.u32s('reg')}, want chip select {a['cs']}")
    if adc.strings("compatible") != ["gwio,mcp3008"]:
        probs.append(f"compatible {adc.strings('compatible')}")
    if adc.u32("spi-max-frequency") != a["speed"]:
        probs.append(f"spi-max-frequency {adc.u32('spi-max-frequency')}, want {a['speed']}")
    if adc.u32("gwio,period-us") != a["period"]:
        probs.append(f"gwio,period-us {adc.u32('gwio,period-us')}, want {a['period']}")
    # by reg: fdtoverlay adds a fragment's new nodes in reverse order
    labels = [c.string("label") for c in sorted(adc.children, key=lambda c: c.u32("reg", 0))]
    if labels != a["channels"] or any(c.name != f"channel@{c.u32('reg', 0):x}" for c in adc.children):
        probs.append(f"channels {labels}, want {a['channels']} at reg 0..{len(a['channels']) - 1}")
    # the controller can reach it: SPI pins muxed, the CS wired
    mux = {}
    for grp in pin_groups(tree, spi):
        for node in [grp] + grp.children:
            if node.has("brcm,pins"):
                pins, fn = node.u32s("brcm,pins"), node.u32s("brcm,function") or [None]
                for i, p in enumerate(pins):
                    mux[p] = fn[i if len(fn) > 1 else 0]
            for s in node.strings("pins") or []:
                m = re.match(r"^gpio(\d+)$", s)
                if m:
                    mux[int(m.group(1))] = node.string("function")
    for name in ("MOSI", "MISO", "SCLK"):
        p = RPI_SPI0[name]
        if mux.get(p) not in (4, "spi0"):
            probs.append(f"{name} (GPIO{p}) muxed as {mux.get(p)!r}, not SPI0")
    ce = RPI_SPI0[f"CE{a['cs']}"]
    try:
        cs = gpio_specs(tree, spi, "cs-gpios") if spi.has("cs-gpios") else []
    except ValueError as e:
        return probs + [str(e)]
    if cs:
        if len(cs) <= a["cs"]:
            probs.append(f"cs-gpios has {len(cs)} entries, none for CS{a['cs']}")
        else:
            ctrl, cells = cs[a["cs"]]
            if ctrl.path() != BOARDS[board]["gpio"] or cells[0] != ce:
                probs.append(f"cs-gpios[{a['cs']}] is {ctrl.path()} {cells}, want GPIO{ce}")
            if mux.get(ce) not in (1, "spi0"):
                probs.append(f"CE{a['cs']} (GPIO{ce}) muxed as {mux.get(ce)!r}, not an output")
    elif mux.get(ce) not in (4, "spi0"):
        probs.append(f"no cs-gpios and CE{a['cs']} (GPIO{ce}) not muxed to SPI0")
    return probs


def check_superset(tree, base):
    """An overlay adds and changes; it never loses a node of the base."""
    have = {n.path() for n in tree.root.walk()}
    lost = [n.path() for n in base.root.walk() if n.path() not in have]
    return [f"lost {len(lost)} nodes, e.g. {lost[:3]}"] if lost else []


def run_case(name, board, world, params, merged, base, expect):
    params = [] if params == "-" else params.split(",")
    exp = expected(board, params)
    tree, btree = fdt.load(merged), fdt.load(base)
    results = {}
    results["base kept"] = check_superset(tree, btree)
    probs, g = check_gwio_node(tree, exp)
    results["gwio node"] = probs
    if g is not None:
        results["channels"] = check_channels(tree, g, board, exp)
        results["pinmux"] = check_pinmux(tree, g, board, exp)
        results["conflicts"] = check_conflicts(tree, g, board, exp)
    if BOARDS[board]["spi"]:
        results["spi"] = check_spi(tree, btree, board, exp)
    if expect != "-":
        aspect, _, why = expect.partition(":")
        got = results.get(aspect, [])
        ok = any(why in p for p in got)
        report(f"{name}: {aspect} catches it ({why})",
               [] if ok else [f"{aspect} said: {got or 'nothing'}"])
        return
    for aspect, probs in results.items():
        report(f"{name}: {aspect}", probs)


def cmd_trees(cases):
    for line in open(cases):
        if not line.strip() or line.startswith("#"):
            continue
        f = line.rstrip("\n").split("\t")
        try:
            run_case(*f)
        except Exception as e:  # a case that cannot even be read fails
            report(f"{f[0]}: readable", [f"{type(e).__name__}: {e}"])


# --- the overlays' comments ------------------------------------------------
def cell_exprs(text):
    """Split a preprocessed cell list into its cells: each a bare number
    or a parenthesised C expression (what dtc's < > accepts)."""
    cells, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        if depth == 0 and ch.isspace():
            if cur:
                cells.append(cur)
            cur = ""
            continue
        cur += ch
        if ch == ")":
            depth -= 1
    if cur:
        cells.append(cur)
    for c in cells:
        if not re.fullmatch(r"[0-9a-fA-Fx()|&<>+\- ~]+", c):
            raise ValueError(f"not a cell expression: {c!r}")
    return cells


def cpp_cells(ksrc, exprs):
    """Evaluate <dt-bindings/pinctrl/am33xx.h> macros with the kernel's headers."""
    with tempfile.NamedTemporaryFile("w", suffix=".dts", delete=False) as f:
        f.write("#include <dt-bindings/pinctrl/am33xx.h>\n")
        for i, e in enumerate(exprs):
            f.write(f"ENTRY{i}: < {e} >\n")
        src = f.name
    try:
        out = subprocess.run(["cpp", "-nostdinc", "-undef", "-D__DTS__", "-P", "-x",
                              "assembler-with-cpp", "-I",
                              os.path.join(ksrc, "scripts/dtc/include-prefixes"), src],
                             check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(src)
    vals = {}
    for m in re.finditer(r"ENTRY(\d+): <(.*?)>", out, re.S):
        vals[int(m.group(1))] = [eval(t, {"__builtins__": {}}, {}) for t in cell_exprs(m.group(2))]
    return [vals[i] for i in range(len(exprs))]


def cmd_source(ksrc, files):
    for path in files:
        src = open(path).read()
        name = os.path.basename(path)
        probs = []
        board = ("bbb" if "bbb" in name else "virt" if "virt" in name else "rpi")
        if board == "virt":
            continue
        # gpios lines: the header pin in the comment is the line
        n_gpios = 0
        for m in re.finditer(r"gpios = <&(\w+) (\d+) (\d+)>;\s*/\*([^*]*)\*/", src):
            label, line, comment = m.group(1), int(m.group(2)), m.group(4)
            n_gpios += 1
            if board == "rpi":
                h = re.search(r"header pin (\d+)", comment)
                if not h:
                    probs.append(f"gpios <&{label} {line}>: no 'header pin N' in its comment")
                elif RPI_HEADER.get(int(h.group(1))) != line:
                    probs.append(f"gpios <&{label} {line}>: header pin {h.group(1)} is "
                                 f"GPIO{RPI_HEADER.get(int(h.group(1)))}")
            else:
                h = re.search(r"\b(P[89]_\d+)\b", comment)
                if not h or h.group(1) not in BBB_HEADER:
                    probs.append(f"gpios <&{label} {line}>: no known P8_/P9_ pin in its comment")
                else:
                    bank, bline, _, _ = BBB_HEADER[h.group(1)]
                    if label != f"gpio{bank}" or line != bline:
                        probs.append(f"gpios <&{label} {line}>: {h.group(1)} is GPIO{bank}_{bline}")
        if n_gpios == 0:
            probs.append("no gpios lines with comments found")
        # the description at the top: "GPIO17, header pin 11", "P8_7 (GPIO2_2"
        for m in re.finditer(r"GPIO(\d+), header pin (\d+)", src):
            if RPI_HEADER.get(int(m.group(2))) != int(m.group(1)):
                probs.append(f"'{m.group(0)}': header pin {m.group(2)} is GPIO{RPI_HEADER.get(int(m.group(2)))}")
        for m in re.finditer(r"\b(P[89]_\d+) \(GPIO(\d)_(\d+), pad (\w+)\)", src):
            bank, line, pad, _ = BBB_HEADER.get(m.group(1), (None, None, None, None))
            if (bank, line) != (int(m.group(2)), int(m.group(3))) or \
                    pad != "AM335X_PIN_" + m.group(4).upper():
                probs.append(f"'{m.group(0)}': {m.group(1)} is GPIO{bank}_{line}, pad {pad}")
        for m in re.finditer(r"\b(MOSI|MISO|SCLK|CE0|CE1)\)? pin (\d+)", src):
            if RPI_HEADER.get(int(m.group(2))) != RPI_SPI0[m.group(1)]:
                probs.append(f"'{m.group(0)}': {m.group(1)} is GPIO{RPI_SPI0[m.group(1)]}, "
                             f"header pin {m.group(2)} GPIO{RPI_HEADER.get(int(m.group(2)))}")
        for m in re.finditer(r"brcm,pins = <([\d ]+)>;\s*/\*\s*header pins ([\d, ]+)\*/", src):
            lines = [int(x) for x in m.group(1).split()]
            pins = [int(x) for x in m.group(2).replace(",", " ").split()]
            if [RPI_HEADER.get(p) for p in pins] != lines:
                probs.append(f"brcm,pins <{m.group(1)}>: header pins {m.group(2)} are "
                             f"GPIO{[RPI_HEADER.get(p) for p in pins]}")
        # pinctrl-single entries: the numbers are what the kernel's macro
        # in the comment gives, and the macro's pad is the header pin's
        entries = list(re.finditer(r"/\*\s*(P[89]_\d+): (AM33XX_PADCONF\((\w+),[^*]*\))\s*\*/\s*\n"
                                   r"\s*((?:0x[0-9a-fA-F]+|\d+)(?:\s+(?:0x[0-9a-fA-F]+|\d+))*)", src))
        if board == "bbb":
            if not entries:
                probs.append("no '/* P8_N: AM33XX_PADCONF(...) */' comments over the pin entries")
            want = cpp_cells(ksrc, [e.group(2) for e in entries]) if entries else []
            for e, w in zip(entries, want):
                have = [int(x, 0) for x in e.group(4).split()]
                if have != w:
                    probs.append(f"{e.group(1)}: <{e.group(4)}>, but {e.group(2)} is "
                                 f"<{' '.join(f'{x:#x}' for x in w)}>")
                if BBB_HEADER.get(e.group(1), (0, 0, None))[2] != e.group(3):
                    probs.append(f"{e.group(1)}: {e.group(3)} is not its pad "
                                 f"({BBB_HEADER.get(e.group(1), (0, 0, '?'))[2]})")
        report(f"{name}: the header pins in its comments are the lines and pads it uses", probs)


# --- the Raspberry Pi overlay README --------------------------------------
def readme_entries(path):
    """{overlay: {"params": {name: text}, "load": str, "info": str}} in the
    format of Raspberry Pi's arch/arm/boot/dts/overlays/README."""
    entries, cur, field, last = {}, None, None, None
    for raw in open(path):
        line = raw.rstrip("\n")
        m = re.match(r"^(Name|Info|Load|Params):(\s+)(.*)$", line)
        if m:
            field = m.group(1)
            if len(m.group(1)) + 1 + len(m.group(2)) != 8:
                raise ValueError(f"{path}: '{line}': text must start in column 9")
            text = m.group(3)
            if field == "Name":
                cur = entries.setdefault(text.strip(), {"params": {}, "info": "", "load": ""})
            elif cur is None:
                raise ValueError(f"{path}: {field} before any Name")
            elif field == "Params":
                last = add_param(cur, text, path)
            else:
                cur[field.lower()] += text
            continue
        if not line.strip():
            field = None if field != "Params" else field
            continue
        if line.startswith(" " * 8) and cur is not None and field:
            body = line[8:]
            if field == "Params":
                if body.startswith(" " * 24):
                    cur["params"][last] += " " + body.strip()
                else:
                    last = add_param(cur, body, path)
            else:
                cur[field.lower()] += " " + body.strip()
    return entries


def add_param(cur, text, path):
    m = re.match(r"^(\S+)(\s+)(.*)$", text)
    if not m or len(m.group(1)) + len(m.group(2)) != 24:
        raise ValueError(f"{path}: parameter line '{text}': name in 24 columns, then the text")
    cur["params"][m.group(1)] = m.group(3)
    return m.group(1)


def cmd_help(readme, dtbos):
    try:
        entries = readme_entries(readme)
    except ValueError as e:
        report("overlays/README: Raspberry Pi README format", [str(e)])
        return
    report("overlays/README: Raspberry Pi README format", [])
    for path in dtbos:
        name = os.path.basename(path)[:-len(".dtbo")]
        t = fdt.load(path)
        ov = t.root.child("__overrides__")
        probs = []
        e = entries.get(name)
        if e is None:
            probs.append(f"no 'Name:   {name}' entry")
        else:
            have = set(ov.props) if ov is not None else set()
            documented = set(e["params"]) - {"<None>"}
            for p in sorted(have - documented):
                probs.append(f"parameter {p} is not documented")
            for p in sorted(documented - have):
                probs.append(f"documented parameter {p} is not in __overrides__")
            if not e["info"] or f"dtoverlay={name}" not in e["load"]:
                probs.append("Info or 'Load:   dtoverlay=NAME...' missing")
        report(f"overlays/README: {name}'s help text lists exactly its parameters", probs)


# --- dt-validate's output ----------------------------------------------
def dtv_blocks(path):
    """dt-validate prints 'FILE: what' lines with tab-indented continuations."""
    blocks = []
    for line in open(path, errors="replace"):
        if line.startswith("\t") and blocks:
            blocks[-1][1].append(line.strip())
        elif ": " in line:
            f, _, rest = line.rstrip("\n").partition(": ")
            blocks.append((f, [rest]))
    return blocks


def cmd_schema(mode, args):
    if mode == "clean":
        # OUT (dt-validate -M -l /gwio, ...), then DTB=CASE pairs
        out, pairs = args[0], args[1:]
        blocks = dtv_blocks(out)
        for pair in pairs:
            dtb, _, case = pair.partition("=")
            errs, matched = [], {}
            for f, lines in blocks:
                if os.path.abspath(f) != os.path.abspath(dtb):
                    continue
                if lines[0].endswith("matched on schema(s)"):
                    matched[lines[0].split(":")[0]] = lines[1:]
                else:
                    errs.append(" / ".join(lines))
            t = fdt.load(dtb)
            for n in t.root.walk():
                c = n.strings("compatible") or []
                if any(x.startswith("gwio,") for x in c) and not any(
                        "gwio," in s for s in matched.get(n.path(), [])):
                    errs.append(f"{n.path()} ({c[0]}) matched none of the gwio schemas")
            report(f"{case}: dt-validate clean against the gwio bindings", errs)
    elif mode == "new":
        # BASE_OUT MERGED_OUT, then BASE=MERGED=CASE triples: what the
        # overlay adds to what every schema (kernel's and dt-schema's) says
        bout, mout, triples = args[0], args[1], args[2:]
        bb, mb = dtv_blocks(bout), dtv_blocks(mout)
        for tri in triples:
            base, merged, case = tri.split("=", 2)
            def msgs(blocks, dtb):
                return {" / ".join(lines) for f, lines in blocks
                        if os.path.abspath(f) == os.path.abspath(dtb)
                        and not lines[0].endswith("matched on schema(s)")}
            new = sorted(msgs(mb, merged) - msgs(bb, base))
            report(f"{case}: no schema complaint the base tree did not have", new[:10])
    elif mode == "broken":
        # OUT DTB CASE, then NODE=substring expectations
        out, dtb, case, exps = args[0], args[1], args[2], args[3:]
        blocks = [(f, lines) for f, lines in dtv_blocks(out)
                  if os.path.abspath(f) == os.path.abspath(dtb)
                  and not lines[0].endswith("matched on schema(s)")]
        for e in exps:
            node, _, why = e.partition("=")
            hit = [lines for f, lines in blocks
                   if lines[0].startswith(node + ":") and why in " ".join(lines)]
            report(f"{case}: the schema refuses {node} ({why})",
                   [] if hit else [f"dt-validate said about {node}: " +
                                   "; ".join(" ".join(lines) for f, lines in blocks
                                             if lines[0].startswith(node + ":")) or "nothing"])
    else:
        raise SystemExit(f"unknown schema mode {mode}")


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[1]
    if cmd == "trees":
        cmd_trees(argv[2])
    elif cmd == "source":
        cmd_source(argv[2], argv[3:])
    elif cmd == "help":
        cmd_help(argv[2], argv[3:])
    elif cmd == "schema":
        cmd_schema(argv[2], argv[3:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
