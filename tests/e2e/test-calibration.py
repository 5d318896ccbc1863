#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-calibration.py - the shipped scenarios catch the calibration mutants.
# tools/calibrate builds each from the clean kernel's build tree (tens of
# seconds; cached by the patch) and runs it once on a fresh boot:
# - ptdump-no-hotplug-lock under ptdump-race.ini: a kernel-oops in
#   ptdump_pte_entry, with evidence, within 120 s;
# - hotplug-pgtable-no-dtor under pgtable-leak.ini: accounting-mismatch at
#   cycle 1, and over its 12 cycles an nr_page_table_pages trend of `leak`
#   within 10% of the table pages each plug derived; and each of 128M, 256M,
#   512M and 1G alone flagged at cycle 1.
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guestlib import Tap, require_guest  # noqa: E402

TOP, BUILD = sys.argv[1], sys.argv[2]


def calibrate(tap, root, mutant, scenario, limit):
    js = os.path.join(root, mutant + '.json')
    p = subprocess.run([os.path.join(TOP, 'tools', 'calibrate'), '--build-dir', BUILD, '--runs', '1',
                        '--limit', str(limit), '--mutant', mutant, '--results', os.path.join(root, mutant),
                        '--json', js, os.path.join(TOP, 'scenarios', scenario)], capture_output=True, text=True, timeout=1800)
    if not os.path.exists(js):
        tap.bail('tools/calibrate --mutant %s wrote nothing (exit %d): %s' % (mutant, p.returncode, p.stderr[-2000:]))
    print('# ' + '\n# '.join(p.stdout.strip().splitlines()))
    return p, json.load(open(js))['cells']


def main():
    tap = Tap()
    require_guest(tap)
    root = tempfile.mkdtemp(prefix='mhp-calibration-')

    p, cells = calibrate(tap, root, 'ptdump-no-hotplug-lock', 'ptdump-race.ini', 120)
    c = cells[0]
    r = c['each'][0]
    tap.ok(c['scenario'] == 'ptdump-race' and r['caught'] and r['class'] == 'kernel-oops',
           'the ptdump lock mutant is caught as kernel-oops by ptdump-race.ini', r)
    tap.ok(r.get('detect_s') is not None and r['detect_s'] <= 120,
           'within 120 s (%s s, cycle %s)' % (r.get('detect_s'), r.get('cycle')), r)
    tap.ok(r.get('signature') == 'ptdump_pte_entry', 'the oops is in ptdump_pte_entry', r.get('signature'))
    ev = os.path.join(r['results'], 'evidence')
    tap.ok(os.path.isfile(os.path.join(ev, 'info.json')) and os.path.isfile(os.path.join(ev, 'console.txt')),
           'with evidence', sorted(os.listdir(ev)) if os.path.isdir(ev) else None)

    p, cells = calibrate(tap, root, 'hotplug-pgtable-no-dtor', 'pgtable-leak.ini', 120)
    c = cells[0]
    r = c['each'][0]
    tap.ok(c['scenario'] == 'pgtable-leak' and r['caught'] and r['class'] == 'accounting-mismatch',
           'the pagetable_dtor mutant is an accounting-mismatch under pgtable-leak.ini', r)
    tap.ok(r.get('cycle') == 1, 'at cycle 1 (%s)' % r.get('cycle'), r)
    t = r.get('trend') or {}
    tap.ok(t.get('verdict') == 'leak' and t.get('n', 0) >= 10 and abs(t.get('slope_ratio', 0) - 1) <= 0.1,
           'the nr_page_table_pages trend is a leak of the derived table pages per cycle, within 10%%: '
           'slope %s, tables %s, over %s cycles' % (t.get('slope'), t.get('tables_per_cycle'), t.get('n')), t)
    for size in ('128M', '256M', '512M', '1G'):
        cs = [x for x in cells if x['scenario'] == 'pgtable-leak@' + size]
        r = cs[0]['each'][0] if cs else {}
        tap.ok(r.get('caught') and r.get('cycle') == 1, 'a %s DIMM alone is flagged at cycle 1' % size, r)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
