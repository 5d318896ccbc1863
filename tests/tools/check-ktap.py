#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""check-ktap.py - check a file against KTAP version 1 (Documentation/dev-tools/ktap.rst).

usage: check-ktap.py FILE [--tests N]

Strict where ktap.rst is loose, since mhpstress writes no unknown lines:
- the first line is "KTAP version 1"; a plan "1..N", if any, follows it;
- every other line is a diagnostic ("# ...") or a result line
  "ok|not ok NUMBER [DESCRIPTION][ # [DIRECTIVE] [DIAGNOSTIC]]";
- numbers run 1, 2, 3 ...; a description has no '#';
- TIMEOUT and ERROR go with "not ok"; directives are SKIP, TODO, XFAIL,
  TIMEOUT and ERROR;
- the plan's N is the number of results, and --tests N too when given;
- the text is UTF-8 without control characters, nothing is indented
  (mhpstress nests no tests).
Exit 0 when it holds, else 1 with the first problem as "FILE:LINE: what".
"""
import re
import sys

RESULT = re.compile(r'^(ok|not ok) ([0-9]+)(?: ([^#]*?))?(?: # ?(.*))?$')
PLAN = re.compile(r'^1\.\.([0-9]+)$')
DIRECTIVES = ('SKIP', 'TODO', 'XFAIL', 'TIMEOUT', 'ERROR')


def check(text, want_tests=None):
    """Return None when @text is KTAP v1 as above, else (line, problem)."""
    lines = text.split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    else:
        return (len(lines), 'the last line does not end in a newline')
    if not lines or lines[0] != 'KTAP version 1':
        return (1, 'the first line is not "KTAP version 1"')
    plan = None
    n = 0
    for i, line in enumerate(lines[1:], start=2):
        if any(ord(c) < 0x20 and c != '\t' for c in line) or '\x7f' in line:
            return (i, 'a control character')
        if line != line.lstrip():
            return (i, 'an indented line: nested tests are not expected')
        m = PLAN.match(line)
        if m:
            if i != 2:
                return (i, 'the plan does not follow the version line')
            plan = int(m.group(1))
            continue
        if line.startswith('#'):
            if line != '#' and not line.startswith('# '):
                return (i, 'a diagnostic line is "# text"')
            continue
        m = RESULT.match(line)
        if not m:
            return (i, 'neither a plan, a result nor a diagnostic: %r' % line)
        ok, num, _, rest = m.groups()
        n += 1
        if int(num) != n:
            return (i, 'test number %s, expected %d' % (num, n))
        if rest is not None and rest.split(' ')[0] in DIRECTIVES:
            directive = rest.split(' ')[0]
            if directive in ('TIMEOUT', 'ERROR') and ok != 'not ok':
                return (i, '%s goes with "not ok"' % directive)
    if plan is not None and plan != n:
        return (len(lines), 'the plan says %d tests, there are %d' % (plan, n))
    if want_tests is not None and n != want_tests:
        return (len(lines), '%d tests, expected %d' % (n, want_tests))
    return None


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != '--tests'):
        print(__doc__.split('\n')[2], file=sys.stderr)
        return 2
    path = argv[1]
    try:
        with open(path, 'rb') as f:
            text = f.read().decode('utf-8')
    except (OSError, UnicodeDecodeError) as e:
        print('%s: %s' % (path, e), file=sys.stderr)
        return 1
    bad = check(text, int(argv[3]) if len(argv) == 4 else None)
    if bad:
        print('%s:%d: %s' % (path, bad[0], bad[1]), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
