#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""test-layers.py - the host's layering, read off the object files with nm.

usage: test-layers.py NM LIB...   (each LIB a daemon/<layer>/libmhp<layer>.a)

Checks, as TAP:
- each layer uses only symbols defined in itself or in the layers below it
  (the table LOWER below, which docs/architecture.md draws);
- no two object files call each other both ways: if a.o uses a symbol that
  b.o defines, b.o uses none that a.o defines. Upcalls go through function
  pointers set at creation, which nm does not see as a reference.
"""
import os
import subprocess
import sys

# layer -> the layers it may use (besides itself)
LOWER = {
    'core': set(),
    'proto': set(),
    'backends': {'core', 'proto'},
    'engine': {'backends', 'core', 'proto'},
    'cli': {'engine', 'backends', 'core', 'proto'},
    'server': {'engine', 'backends', 'core', 'proto'},
}


def symbols(nm, lib):
    """{object: (defined set, undefined set)} for one static library."""
    out = subprocess.run([nm, '-A', '--format=posix', lib], check=True, capture_output=True, text=True).stdout
    objs = {}
    for line in out.splitlines():
        # "lib.a[obj.o]: sym T value size" (posix format with -A)
        head, _, rest = line.partition(': ')
        parts = rest.split()
        if len(parts) < 2 or '[' not in head:
            continue
        obj = os.path.basename(head[head.index('[') + 1:head.rindex(']')]).removesuffix('.o')
        d, u = objs.setdefault(obj, (set(), set()))
        (u if parts[1] == 'U' else d if parts[1] in 'TDRBC' else set()).add(parts[0])
    return objs


def main():
    nm, libs = sys.argv[1], sys.argv[2:]
    defined = {}  # symbol -> (layer, object)
    objects = {}  # (layer, object) -> (defined, undefined)
    for lib in libs:
        layer = os.path.basename(lib)[len('libmhp'):-len('.a')]
        if layer not in LOWER:
            print('Bail out! %s: a library of no known layer' % lib)
            return 1
        for obj, (d, u) in symbols(nm, lib).items():
            objects[(layer, obj)] = (d, u)
            for s in d:
                defined[s] = (layer, obj)
    n = 0
    bad = []
    for (layer, obj), (_, undef) in sorted(objects.items()):
        for s in sorted(undef):
            if s in defined:
                lay2, obj2 = defined[s]
                if lay2 != layer and lay2 not in LOWER[layer]:
                    bad.append('%s/%s uses %s from %s/%s, a layer above it' % (layer, obj, s, lay2, obj2))
    n += 1
    print(('ok' if not bad else 'not ok') + ' %d - every layer uses only the layers below it' % n)
    for b in bad:
        print('# ' + b)
    uses = {}
    for key, (_, undef) in objects.items():
        for s in undef:
            if s in defined and defined[s] != key:
                uses.setdefault(key, {}).setdefault(defined[s], s)
    both = []
    for a, targets in sorted(uses.items()):
        for b, s in sorted(targets.items()):
            if a < b and a in uses.get(b, {}):
                both.append('%s/%s uses %s, and %s/%s uses %s' % (a[0], a[1], s, b[0], b[1], uses[b][a]))
    n += 1
    print(('ok' if not both else 'not ok') + ' %d - no two object files call each other both ways' % n)
    for b in both:
        print('# ' + b)
    print('1..%d' % n)
    return 0


if __name__ == '__main__':
    sys.exit(main())
