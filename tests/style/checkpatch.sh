#!/bin/bash
# checkpatch.sh — the kernel's checkpatch.pl over kmod/ and the test-only
# modules in tests/kmod/, one verdict a file.
# checkpatch is not packaged on its own: take it from Debian's linux-source
# package (downloaded once into ${GWIO_CACHE:-$HOME/.cache/gwio}/checkpatch).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${GWIO_CACHE:-$HOME/.cache/gwio}/checkpatch
cp=$cache/scripts/checkpatch.pl

if [[ ! -f $cp ]]; then
	pkg=$(apt-cache depends linux-source 2>/dev/null |
		sed -n 's/.*Depends: \(linux-source-[0-9.]*\)$/\1/p' | head -n1)
	pkg=${pkg:-linux-source-6.1}
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	echo "checkpatch: fetching it from $pkg (once)" >&2
	(cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download "$pkg" >&2)
	dpkg-deb --fsys-tarfile "$tmp"/"$pkg"_*.deb |
		tar -x -C "$tmp" --wildcards './usr/src/linux-source-*.tar.xz'
	mkdir -p "$cache.tmp/scripts"
	tar -xJf "$tmp"/usr/src/linux-source-*.tar.xz -C "$cache.tmp/scripts" \
		--strip-components=2 --wildcards '*/scripts/checkpatch.pl' \
		'*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
	rm -rf "$cache" && mv "$cache.tmp" "$cache"
fi

cd "$top"
pass=0 fail=0
for f in kmod/*.c kmod/*.h kmod/uapi/*.h tests/kmod/*.c tests/kmod/*.h; do
	ignore=""
	# the one file allowed to test kernel versions (out of tree, it must)
	[[ $f == kmod/compat.h ]] && ignore="--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON"
	# shellcheck disable=SC2086
	if out=$(perl "$cp" --no-tree --terse --show-types $ignore -f "$f" 2>&1) &&
		[[ $out != *WARNING* && $out != *ERROR* ]]; then
		echo "PASS checkpatch $f"
		pass=$((pass + 1))
	else
		echo "FAIL checkpatch $f"
		echo "$out" | sed 's/^/    /'
		fail=$((fail + 1))
	fi
done
echo "style: $pass passed, $fail failed"
((fail == 0))
