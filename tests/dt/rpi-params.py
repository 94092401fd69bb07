#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
r"""rpi-params.py IN.dtbo OUT.dtbo [PARAM[=VALUE]...]

Apply Raspberry Pi overlay parameters to a compiled overlay, as the
firmware does for "dtoverlay=NAME,PARAM=VALUE,..." before it merges the
overlay (Raspberry Pi's dtmerge/ovmerge are not packaged in Debian):
each PARAM is looked up in the overlay's __overrides__ node and its
targets are patched in order; OUT.dtbo is then an ordinary overlay that
fdtoverlay can apply.  It follows what the boot runs, raspberrypi/utils'
dtmerge/dtoverlay.c (dtoverlay_override_one_target), for the forms
Raspberry Pi's documentation ("Device Trees, overlays, and parameters",
part 2.2) describes:

  <&label>, "prop"          string, taken as given; for "status"
                            y/yes/on/true/enable/1 -> "okay",
                            n/no/off/false/0 -> "disabled"; "prop=value"
                            a literal
  <&label>, "prop.N" ";N" ":N" "#N"
                            8/16/32/64-bit integer at byte offset N,
                            growing the property if needed; "prop:N=V"
                            a literal, "prop:N{a=1,b=2}" a lookup table
  <&label>, "prop?" "prop!" boolean (created/deleted), "!" inverted
  <0>, "+N-N=N!N"           fragment N enabled / disabled / enabled if
                            true / enabled if false (__overlay__ and
                            __dormant__ renamed, with the fixup tables
                            that name their paths)

A parameter given without a value is "true".  Integer, boolean and
fragment values as dtoverlay.c reads them, case-sensitive: strtoull
(17, 0x11, 021; a leading "-" wraps, as in C), else y/yes/on/true/down
= 1, n/no/off/false = 0, up = 2 (the pull words); for <0> fragment
overrides any other non-empty string is true.  Anything else ("okay",
"disabled", "17x") the firmware ignores with "invalid override value";
here it is an error.  Not modelled, and refused or left as they are:
reg and name targets, byte strings, cells after "=", and the escapes
(\n, \x..) the firmware expands in string values.
"""

import os
import re
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fdt  # noqa: E402

WORDS = {"y": 1, "yes": 1, "on": 1, "true": 1, "down": 1,
         "n": 0, "no": 0, "off": 0, "false": 0, "up": 2}
STATUS = {"y": "okay", "yes": "okay", "on": "okay", "true": "okay",
          "enable": "okay", "1": "okay",
          "n": "disabled", "no": "disabled", "off": "disabled",
          "false": "disabled", "0": "disabled"}


class ParamError(Exception):
    pass


def strtoull(value):
    """C's strtoull(value, &end, 0) with end at the string's end, or None."""
    m = re.fullmatch(r"[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)", value)
    if not m:
        return None
    v = int(m.group(2), 16) if m.group(2)[:2].lower() == "0x" else \
        int(m.group(2), 8) if m.group(2).startswith("0") and len(m.group(2)) > 1 else int(m.group(2))
    v = min(v, (1 << 64) - 1)
    return ((1 << 64) - v) % (1 << 64) if m.group(1) == "-" else v


def integer(value, overlay=False):
    """An override value as dtoverlay.c parses it for integer, boolean and
    (overlay=True) <0> fragment targets."""
    v = strtoull(value)
    if v is not None:
        return v
    if value in WORDS:
        return WORDS[value]
    if overlay:
        return int(value != "")
    raise ParamError(f"invalid override value {value!r} (the firmware ignores it)")


def truth(value):
    return integer(value) != 0


def parse_overrides(raw):
    """The (phandle, string) pairs of one __overrides__ property."""
    out, pos = [], 0
    while pos < len(raw):
        if pos + 4 > len(raw):
            raise ParamError("truncated __overrides__ entry")
        (ph,) = struct.unpack_from(">I", raw, pos)
        pos += 4
        z = raw.find(b"\0", pos)
        if z < 0:
            raise ParamError("__overrides__ string without its NUL")
        spec = raw[pos:z].decode()
        pos = z + 1
        if spec.endswith("=") and ph != 0:
            raise ParamError(f"{spec!r}: cell values after '=' are not supported")
        out.append((ph, spec))
    return out


def lookup(table, value):
    """A "{a=1,b=2,=default}" table (without the braces)."""
    default = None
    passthrough = table.startswith(",") or table.endswith(",") or ",," in table
    for item in [i for i in table.split(",") if i != ""]:
        key, eq, val = item.partition("=")
        val = val.strip("'")
        if not eq:
            val = key
        if key == "":
            default = val
        elif key == value:
            return val
    if default is not None:
        return default
    if passthrough:
        return value
    raise ParamError(f"{value!r} is not in the table {{{table}}}")


SPEC = re.compile(r"^(?P<prop>#?[^.;:#?!\[{=]+)(?P<rest>.*)$")
SIZES = {".": 1, ";": 2, ":": 4, "#": 8}


def apply_target(tree, node, spec, value, param):
    m = SPEC.match(spec)
    if not m:
        raise ParamError(f"{param}: cannot parse target {spec!r}")
    prop, rest = m.group("prop"), m.group("rest")
    if prop in ("reg", "name", "bootargs"):
        raise ParamError(f"{param}: special target {prop!r} is not supported")
    if rest[:1] in SIZES and rest[1:2].isdigit():
        size = SIZES[rest[0]]
        m2 = re.match(r"^.(\d+)(.*)$", rest)
        offset, tail = int(m2.group(1)), m2.group(2)
        if tail.startswith("="):
            v = integer(tail[1:])
        elif tail.startswith("{") and tail.endswith("}"):
            v = integer(lookup(tail[1:-1], value))
        elif tail == "":
            v = integer(value)
        else:
            raise ParamError(f"{param}: cannot parse {spec!r}")
        data = bytearray(node.props.get(prop, b""))
        if len(data) < offset + size:
            data.extend(b"\0" * (offset + size - len(data)))
        fmt = {1: ">B", 2: ">H", 4: ">I", 8: ">Q"}[size]
        struct.pack_into(fmt, data, offset, v & ((1 << (8 * size)) - 1))
        node.props[prop] = bytes(data)
    elif rest in ("?", "!"):
        on = truth(value)
        if rest == "!":
            on = not on
        if on:
            node.props[prop] = b""
        else:
            node.props.pop(prop, None)
    elif rest.startswith("["):
        raise ParamError(f"{param}: byte-string targets are not supported")
    else:
        if rest.startswith("="):
            s = rest[1:]
        elif rest.startswith("{") and rest.endswith("}"):
            s = lookup(rest[1:-1], value)
        elif rest == "":
            s = value
        else:
            raise ParamError(f"{param}: cannot parse {spec!r}")
        if prop == "status":
            s = STATUS.get(s, s)
        node.set_strings(prop, [s])


def set_fragment(tree, n, active):
    frag = tree.root.child(f"fragment@{n}")
    if frag is None:
        raise ParamError(f"no fragment@{n}")
    want, other = ("__overlay__", "__dormant__") if active else ("__dormant__", "__overlay__")
    body = frag.child(other)
    if body is None:
        if frag.child(want) is None:
            raise ParamError(f"fragment@{n} has neither __overlay__ nor __dormant__")
        return
    body.name = want
    # the tables that name paths inside the fragment
    old, new = f"/fragment@{n}/{other}", f"/fragment@{n}/{want}"
    for table in ("__fixups__", "__symbols__"):
        t = tree.root.child(table)
        if t is None:
            continue
        for k, v in list(t.props.items()):
            strings = v[:-1].split(b"\0") if v.endswith(b"\0") else None
            if strings is None:
                continue
            fixed = []
            for s in strings:
                s = s.decode()
                if s == old or s.startswith(old + "/") or s.startswith(old + ":"):
                    s = new + s[len(old):]
                fixed.append(s)
            t.set_strings(k, fixed)
    lf = tree.root.child("__local_fixups__")
    if lf is not None and lf.child(f"fragment@{n}") is not None:
        b = lf.child(f"fragment@{n}").child(other)
        if b is not None:
            b.name = want


def fragment_ops(tree, ops, value, param):
    for op, n in re.findall(r"([+\-=!])(\d+)", ops):
        if re.sub(r"[+\-=!]\d+", "", ops):
            raise ParamError(f"{param}: cannot parse fragment operations {ops!r}")
        n = int(n)
        on = integer(value, overlay=True) != 0
        if op == "+":
            set_fragment(tree, n, True)
        elif op == "-":
            set_fragment(tree, n, False)
        elif op == "=":
            set_fragment(tree, n, on)
        else:
            set_fragment(tree, n, not on)


def apply_params(tree, params):
    ov = tree.root.child("__overrides__")
    if ov is None:
        raise ParamError("the overlay has no __overrides__")
    phandles = {}
    for n in tree.root.walk():
        if n.has("phandle"):
            phandles[n.u32("phandle")] = n
    for p in params:
        name, eq, value = p.partition("=")
        if not eq:
            value = "true"
        if name not in ov.props:
            raise ParamError(f"unknown parameter {name!r} (known: {', '.join(ov.props)})")
        for ph, spec in parse_overrides(ov.props[name]):
            if ph == 0:
                fragment_ops(tree, spec, value, name)
                continue
            node = phandles.get(ph)
            if node is None:
                raise ParamError(f"{name}: no node with phandle {ph:#x} in the overlay")
            apply_target(tree, node, spec, value, name)


def main(argv):
    if len(argv) < 3:
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 2
    tree = fdt.load(argv[1])
    try:
        apply_params(tree, argv[3:])
    except ParamError as e:
        print(f"rpi-params: {e}", file=sys.stderr)
        return 1
    fdt.save(tree, argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
