#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-layers.sh - no two engine files call each other both ways.
# Usage: daemon/engine/check-layers.sh BUILDDIR
# For each object file, lists the engine files whose symbols it uses (nm -u
# against nm --defined-only), then fails on any pair that uses each other.
set -eu
dir=${1:?usage: $0 BUILDDIR}/daemon/engine/libmhpengine.a.p
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for o in "$dir"/*.o; do
	n=$(basename "$o" .c.o)
	nm --defined-only "$o" | awk '$2 ~ /[TDRB]/ { print $3 }' | sort -u >"$tmp/$n.def"
	nm -u "$o" | awk '{ print $2 }' | sort -u >"$tmp/$n.use"
done
rc=0
for a in "$tmp"/*.use; do
	an=$(basename "$a" .use)
	deps=
	for d in "$tmp"/*.def; do
		bn=$(basename "$d" .def)
		[ "$an" = "$bn" ] && continue
		if [ -n "$(comm -12 "$a" "$d")" ]; then
			deps="$deps $bn"
			if [ -n "$(comm -12 "$tmp/$bn.use" "$tmp/$an.def")" ]; then
				echo "FAIL: $an and $bn call each other: $(comm -12 "$a" "$d" | tr '\n' ' ')/ $(comm -12 "$tmp/$bn.use" "$tmp/$an.def" | tr '\n' ' ')"
				rc=1
			fi
		fi
	done
	echo "$an ->$deps"
done
[ $rc = 0 ] && echo "ok: no two engine files call each other both ways"
exit $rc
