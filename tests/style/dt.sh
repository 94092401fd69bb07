#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Device-tree checks without dt-schema (not packaged in Debian 12, and
# PyPI is out of reach here): every overlay in dts/overlays compiles with
# dtc -@ without a warning; each binding in dts/bindings is valid YAML
# with the keys a dt-schema binding needs, and its examples compile; the
# qemu virt overlay applies with fdtoverlay to the DTB qemu itself dumps,
# giving /gwio and disabling gpio-keys.  "dt: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

result() {
	if [[ $1 == 0 ]]; then
		echo "PASS $2"
		passed=$((passed + 1))
	else
		echo "FAIL $2"
		[[ -s $work/err ]] && sed 's/^/    /' "$work/err"
		failed=$((failed + 1))
	fi
}

for f in "$top"/dts/overlays/*.dtso; do
	name=$(basename "$f" .dtso)
	dtc -@ -I dts -O dtb -o "$work/$name.dtbo" "$f" 2>"$work/err"
	rc=$?
	# a warning is a failure too
	[[ $rc == 0 && -s $work/err ]] && rc=1
	result $rc "overlay $name"
done

for f in "$top"/dts/bindings/*.yaml; do
	name=$(basename "$f" .yaml)
	python3 - "$f" "$work/example.dts" >"$work/err" 2>&1 <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
for key in ("$id", "$schema", "title", "maintainers", "properties", "required", "examples"):
    if key not in doc:
        sys.exit(f"missing top-level key {key}")
if not doc["$id"].endswith(sys.argv[1].rsplit("/", 1)[1] + "#"):
    sys.exit("$id does not end with the file name")
compat = doc["properties"]["compatible"]
if "const" not in compat and "enum" not in compat:
    sys.exit("compatible has neither const nor enum")
# the examples, inside a root with the controllers they refer to
with open(sys.argv[2], "w") as out:
    out.write("/dts-v1/;\n#define GPIO_ACTIVE_HIGH 0\n#define GPIO_ACTIVE_LOW 1\n")
    out.write("/ { #address-cells = <1>; #size-cells = <0>;\n")
    out.write("gpio: gpio-controller { gpio-controller; #gpio-cells = <2>; };\n")
    for ex in doc["examples"]:
        out.write("\n".join(l for l in ex.splitlines() if not l.startswith("#include")))
        out.write("\n")
    out.write("};\n")
PY
	rc=$?
	if [[ $rc == 0 ]]; then
		cpp -nostdinc -undef -P -x assembler-with-cpp "$work/example.dts" \
			>"$work/example.pp" 2>"$work/err" &&
		dtc -I dts -O dtb -o /dev/null "$work/example.pp" 2>"$work/err"
		rc=$?
		[[ $rc == 0 && -s $work/err ]] && rc=1
	fi
	result $rc "binding $name"
done

# The overlay the arm64 VM test uses, on the board it is for.
{
	qemu-system-aarch64 -M virt,dumpdtb="$work/virt.dtb" -cpu cortex-a72 \
		-nographic >/dev/null 2>&1 &&
	dtc -q -I dtb -O dts "$work/virt.dtb" |
		sed 's|^\tpl061@9030000 {|\tpl061: pl061@9030000 {|' >"$work/virt.dts" &&
	dtc -q -@ -I dts -O dtb -o "$work/virt-l.dtb" "$work/virt.dts" &&
	fdtoverlay -i "$work/virt-l.dtb" -o "$work/virt-gwio.dtb" \
		"$work/gwio-qemu-virt.dtbo" &&
	[[ $(fdtget "$work/virt-gwio.dtb" /gwio compatible) == gwio,io ]] &&
	[[ $(fdtget "$work/virt-gwio.dtb" /gwio/channel@0 label) == power-button ]] &&
	[[ $(fdtget "$work/virt-gwio.dtb" /gpio-keys status) == disabled ]]
} >"$work/err" 2>&1
result $? "qemu-virt overlay applies"

echo "dt: $passed passed, $failed failed"
((failed == 0))
