#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""check-junit.py - check a junit.xml as mhpstress writes it.

usage: check-junit.py FILE TESTS FAILURES ERRORS SKIPPED

The file must parse as XML (xml.dom.minidom), hold one <testsuite> whose
tests/failures/errors/skipped attributes are the given numbers and agree
with its <testcase> children (one per cycle) and their <failure>, <error>
and <skipped> elements; every <failure> has a message and a type.
Exit 0 when it holds, else 1 naming the problem.
"""
import sys
import xml.dom.minidom


def check(path, want):
    try:
        doc = xml.dom.minidom.parse(path)
    except Exception as e:  # expat's errors and OSError alike
        return 'does not parse: %s' % e
    suites = doc.getElementsByTagName('testsuite')
    if len(suites) != 1 or doc.documentElement is not suites[0]:
        return 'expected one <testsuite> as the root'
    suite = suites[0]
    cases = suite.getElementsByTagName('testcase')
    got = {'tests': len(cases)}
    for tag, key in (('failure', 'failures'), ('error', 'errors'), ('skipped', 'skipped')):
        got[key] = sum(1 for c in cases if c.getElementsByTagName(tag))
    for c in cases:
        if not c.getAttribute('name'):
            return 'a <testcase> without a name'
        for f in c.getElementsByTagName('failure'):
            if not f.getAttribute('type') or not f.hasAttribute('message'):
                return '<failure> of %s without a type or a message' % c.getAttribute('name')
    for key, n in zip(('tests', 'failures', 'errors', 'skipped'), want):
        if got[key] != n:
            return '%d %s in the elements, expected %d' % (got[key], key, n)
        if suite.getAttribute(key) != str(n):
            return '<testsuite %s="%s">, expected %d' % (key, suite.getAttribute(key), n)
    return None


def main(argv):
    if len(argv) != 6:
        print(__doc__.split('\n')[2], file=sys.stderr)
        return 2
    bad = check(argv[1], [int(a) for a in argv[2:]])
    if bad:
        print('%s: %s' % (argv[1], bad), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
