# SPDX-License-Identifier: GPL-2.0
"""A small flattened-device-tree (DTB) reader and writer, for the dt suite.

No dependency beyond the standard library (python3-libfdt would do too, but
this is all the suite needs): parse a .dtb/.dtbo into Node objects, look
nodes up by path, label (__symbols__) or phandle, decode cells and
strings, and write a tree back out (tests/dt/rpi-params.py patches
overlays with it).  The format is the Devicetree Specification's
chapter 5: a header, a memory reservation block, a structure block of
BEGIN_NODE/PROP/END_NODE tokens and a strings block.
"""

import struct

FDT_MAGIC = 0xD00DFEED
FDT_BEGIN_NODE, FDT_END_NODE, FDT_PROP, FDT_NOP, FDT_END = 1, 2, 3, 4, 9


class Node:
    def __init__(self, name, parent=None):
        self.name = name
        self.parent = parent
        self.props = {}      # name -> bytes, in file order
        self.children = []   # Node, in file order

    # --- structure ---------------------------------------------------
    def path(self):
        if self.parent is None:
            return "/"
        p = self.parent.path()
        return (p if p != "/" else "") + "/" + self.name

    def child(self, name):
        for c in self.children:
            if c.name == name:
                return c
        return None

    def add_child(self, name):
        c = Node(name, self)
        self.children.append(c)
        return c

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

    def unit(self):
        return self.name.split("@", 1)[1] if "@" in self.name else None

    def basename(self):
        return self.name.split("@", 1)[0]

    # --- properties --------------------------------------------------
    def has(self, prop):
        return prop in self.props

    def raw(self, prop, default=None):
        return self.props.get(prop, default)

    def u32s(self, prop):
        v = self.props.get(prop)
        if v is None:
            return None
        if len(v) % 4:
            raise ValueError(f"{self.path()}: {prop} is {len(v)} bytes, not cells")
        return list(struct.unpack(">%dI" % (len(v) // 4), v))

    def u32(self, prop, default=None):
        v = self.u32s(prop)
        if v is None:
            return default
        if len(v) != 1:
            raise ValueError(f"{self.path()}: {prop} has {len(v)} cells, not 1")
        return v[0]

    def strings(self, prop):
        v = self.props.get(prop)
        if v is None:
            return None
        if not v.endswith(b"\0"):
            raise ValueError(f"{self.path()}: {prop} is not a string")
        return [s.decode() for s in v[:-1].split(b"\0")]

    def string(self, prop, default=None):
        s = self.strings(prop)
        if s is None:
            return default
        return s[0]

    def set_u32s(self, prop, cells):
        self.props[prop] = struct.pack(">%dI" % len(cells), *cells)

    def set_strings(self, prop, strings):
        self.props[prop] = b"".join(s.encode() + b"\0" for s in strings)

    def status_ok(self):
        s = self.string("status", "okay")
        return s in ("okay", "ok")

    def enabled(self):
        """This node and every ancestor are okay (what the kernel probes)."""
        n = self
        while n is not None:
            if not n.status_ok():
                return False
            n = n.parent
        return True


class Tree:
    def __init__(self, root, version=17, boot_cpuid=0, reserve=()):
        self.root = root
        self.version = version
        self.boot_cpuid = boot_cpuid
        self.reserve = list(reserve)
        self._phandles = None

    # --- lookups -----------------------------------------------------
    def node(self, path):
        if not path.startswith("/"):
            # an alias or a label, as fdt_path_offset resolves them
            first, _, rest = path.partition("/")
            target = self.alias(first) or self.symbol(first)
            if target is None:
                return None
            path = target + ("/" + rest if rest else "")
        n = self.root
        for part in [p for p in path.split("/") if p]:
            c = n.child(part)
            if c is None:
                # a node may be named without its unit address
                matches = [x for x in n.children if x.basename() == part]
                if len(matches) != 1:
                    return None
                c = matches[0]
            n = c
        return n

    def symbol(self, label):
        s = self.root.child("__symbols__")
        return s.string(label) if s is not None and s.has(label) else None

    def alias(self, name):
        a = self.root.child("aliases")
        return a.string(name) if a is not None and a.has(name) else None

    def label_node(self, label):
        p = self.symbol(label)
        return self.node(p) if p else None

    def labels_of(self, node):
        s = self.root.child("__symbols__")
        if s is None:
            return []
        path = node.path()
        return [k for k in s.props if s.string(k) == path]

    def phandles(self):
        if self._phandles is None:
            self._phandles = {}
            for n in self.root.walk():
                for p in ("phandle", "linux,phandle"):
                    if n.has(p):
                        self._phandles[n.u32(p)] = n
        return self._phandles

    def by_phandle(self, ph):
        return self.phandles().get(ph)

    def invalidate(self):
        self._phandles = None

    def to_bytes(self):
        return dump(self)


# --- reading -----------------------------------------------------------
def parse(data):
    (magic, totalsize, off_struct, off_strings, off_rsvmap, version,
     _last_comp, boot_cpuid, size_strings, size_struct) = struct.unpack_from(">10I", data, 0)
    if magic != FDT_MAGIC:
        raise ValueError("not a flattened device tree (bad magic)")
    if totalsize > len(data):
        raise ValueError("truncated device tree")
    reserve = []
    off = off_rsvmap
    while True:
        addr, size = struct.unpack_from(">QQ", data, off)
        off += 16
        if addr == 0 and size == 0:
            break
        reserve.append((addr, size))

    strings = data[off_strings:off_strings + size_strings]

    def string_at(o):
        end = strings.index(b"\0", o)
        return strings[o:end].decode()

    root = None
    stack = []
    off = off_struct
    end = off_struct + size_struct
    while off < end:
        (tok,) = struct.unpack_from(">I", data, off)
        off += 4
        if tok == FDT_BEGIN_NODE:
            z = data.index(b"\0", off)
            name = data[off:z].decode()
            off = (z + 1 + 3) & ~3
            if not stack:
                node = root = Node("")
            else:
                node = stack[-1].add_child(name)
            stack.append(node)
        elif tok == FDT_END_NODE:
            stack.pop()
        elif tok == FDT_PROP:
            length, nameoff = struct.unpack_from(">II", data, off)
            off += 8
            stack[-1].props[string_at(nameoff)] = bytes(data[off:off + length])
            off = (off + length + 3) & ~3
        elif tok == FDT_NOP:
            continue
        elif tok == FDT_END:
            break
        else:
            raise ValueError("bad structure token %#x at %#x" % (tok, off - 4))
    if root is None or stack:
        raise ValueError("unbalanced structure block")
    return Tree(root, version=version, boot_cpuid=boot_cpuid, reserve=reserve)


def load(path):
    with open(path, "rb") as f:
        return parse(f.read())


# --- writing -----------------------------------------------------------
def dump(tree):
    strings = bytearray()
    str_off = {}
    struct_blk = bytearray()

    def name_off(name):
        if name not in str_off:
            str_off[name] = len(strings)
            strings.extend(name.encode() + b"\0")
        return str_off[name]

    def pad():
        while len(struct_blk) % 4:
            struct_blk.append(0)

    def emit(node):
        struct_blk.extend(struct.pack(">I", FDT_BEGIN_NODE))
        struct_blk.extend(node.name.encode() + b"\0")
        pad()
        for k, v in node.props.items():
            struct_blk.extend(struct.pack(">III", FDT_PROP, len(v), name_off(k)))
            struct_blk.extend(v)
            pad()
        for c in node.children:
            emit(c)
        struct_blk.extend(struct.pack(">I", FDT_END_NODE))

    emit(tree.root)
    struct_blk.extend(struct.pack(">I", FDT_END))

    rsv = b"".join(struct.pack(">QQ", a, s) for a, s in tree.reserve) + b"\0" * 16
    header_len = 40
    off_rsvmap = (header_len + 7) & ~7
    off_struct = off_rsvmap + len(rsv)
    off_strings = off_struct + len(struct_blk)
    total = off_strings + len(strings)
    hdr = struct.pack(">10I", FDT_MAGIC, total, off_struct, off_strings, off_rsvmap,
                      17, 16, tree.boot_cpuid, len(strings), len(struct_blk))
    out = bytearray(hdr)
    out.extend(b"\0" * (off_rsvmap - len(out)))
    out.extend(rsv)
    out.extend(struct_blk)
    out.extend(strings)
    return bytes(out)


def save(tree, path):
    with open(path, "wb") as f:
        f.write(dump(tree))
