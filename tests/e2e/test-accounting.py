#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-accounting.py - page-table accounting on the real guest: 50 cycles pass
# every invariant with every trend near zero; 'mhpstress compare' names the
# plugged DIMM's Linear Mapping range and vmemmap growth exactly and finds the
# end equal to the baseline; 'mhpstress snapshot' reads a running guest.
#
# usage: test-accounting.py MHPSTRESS SCENARIO_DIR
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guestlib import Guest, Tap, require_guest  # noqa: E402

MHP, SCEN = sys.argv[1], sys.argv[2]
MiB = 1 << 20


def main():
    tap = Tap()
    kernel, initrd = require_guest(tap)
    top = tempfile.mkdtemp(prefix='mhp-acct-')
    r = os.path.join(top, 'fifty')
    p = subprocess.run([MHP, 'run', os.path.join(SCEN, 'smoke.ini'), '--kernel', kernel, '--initrd', initrd,
                        '--results', r, '--cycles', '50'], capture_output=True, text=True, timeout=900)
    tap.ok(p.returncode == 0, '50 cycles exit 0', p.stderr[-2000:])
    cycles = [json.loads(line) for line in open(os.path.join(r, 'cycles.jsonl'))]
    tap.ok(len(cycles) == 50 and all(c['verdict'] == 'pass' for c in cycles), '50 cycles, all pass',
           [(c['cycle'], c.get('detail')) for c in cycles if c['verdict'] != 'pass'])
    checks = [x for c in cycles for x in c['verify']['checks_plugged'] + c['verify']['checks_removed']]
    names = {x['name'] for x in checks}
    tap.ok({'memtotal-exact', 'linear-map-grew', 'vmemmap-grew', 'linear-map-restored', 'vmemmap-restored',
            'linear-map-restored-table-pages', 'page-tables-band', 'nr-page-table-pages-band', 'memfree-band'} <= names,
           'every invariant is checked', names)
    tap.ok(all(x['pass'] is True for x in checks), 'every check of every cycle passes (no false positive)',
           [x for x in checks if x['pass'] is not True][:5])
    s = json.load(open(os.path.join(r, 'summary.json')))
    t = s['trends']
    tap.ok(all(v['verdict'] in ('ok', 'context') for v in t.values()), 'no trend is flagged',
           {k: v['verdict'] for k, v in t.items()})
    tap.ok(abs(t['PageTables']['slope']) < 4 and abs(t['nr_page_table_pages']['slope']) < 1 and
           abs(t['kernel_table_pages']['slope']) < 1 and abs(t['MemFree']['slope']) < 64,
           'slopes near zero: PageTables %.2f kB, nr_page_table_pages %.2f, kernel tables %.2f, MemFree %.1f kB per cycle'
           % (t['PageTables']['slope'], t['nr_page_table_pages']['slope'], t['kernel_table_pages']['slope'],
              t['MemFree']['slope']))
    tap.ok(t['PageTables']['n'] == 50, 'trends over 50 quiet samples', t['PageTables']['n'])

    snaps = os.path.join(r, 'snapshots')
    p = subprocess.run([MHP, 'compare', os.path.join(snaps, 'baseline.json'), os.path.join(snaps, 'plugged-1.json')],
                       capture_output=True, text=True)
    tap.ok(p.returncode == 1, 'compare baseline plugged-1 exits 1', p.returncode)
    # the first smoke cycle plugs 256M at 0x80000000
    tap.ok('+ 0xffff000080000000-0xffff000090000000 256M PTE' in p.stdout, 'compare names the extra Linear Mapping range',
           p.stdout)
    p = subprocess.run([MHP, 'compare', '--json', os.path.join(snaps, 'baseline.json'), os.path.join(snaps, 'plugged-1.json')],
                       capture_output=True, text=True)
    rep = json.loads(p.stdout)
    sec = {x['name']: x for x in rep['sections']}
    tap.ok(sec['Linear Mapping']['mapped_delta'] == 256 * MiB and sec['vmemmap']['mapped_delta'] == 4 * MiB,
           'compare: Linear Mapping +256M and vmemmap +4M (256M / 4K x 64 B)', sec)
    tap.ok(sec['Linear Mapping']['table_pages_delta'] == 129,
           'compare: 129 more Linear Mapping table pages (128 PTE tables for 256M and one PMD table)',
           sec['Linear Mapping']['table_pages_delta'])
    added = rep['ranges']['vmemmap']['only_b']
    tap.ok(len(added) == 1 and added[0]['size'] == 4 * MiB, 'compare --json: one vmemmap range of exactly 4M', added)
    p = subprocess.run([MHP, 'compare', os.path.join(snaps, 'baseline.json'), os.path.join(snaps, 'end.json')],
                       capture_output=True, text=True)
    tap.ok(p.returncode == 0 and 'hold' in p.stdout, 'compare baseline end exits 0', p.stdout[-500:])
    p = subprocess.run([MHP, 'compare', r], capture_output=True, text=True)
    tap.ok(p.returncode == 0, 'compare RESULTS_DIR (baseline vs end) exits 0')
    p = subprocess.run([MHP, 'compare', os.path.join(snaps, 'nope.json'), os.path.join(snaps, 'end.json')],
                       capture_output=True, text=True)
    tap.ok(p.returncode == 2 and 'nope.json' in p.stderr, 'compare names a missing file, exit 2', p.stderr)

    # mhpstress snapshot from a guest started by hand
    g = Guest(kernel, initrd)
    try:
        g.wait_agent()
        g.agent.s.close()  # the chardev takes one client at a time
        out = os.path.join(top, 'by-hand.json')
        p = subprocess.run([MHP, 'snapshot', '--agent', g.dir + '/agent.sock', '--out', out],
                           capture_output=True, text=True, timeout=120)
        snap = json.load(open(out)) if p.returncode == 0 else {}
        tap.ok(p.returncode == 0 and snap.get('meminfo', {}).get('MemTotal', 0) > 0 and 'ptdump_raw' in snap,
               'mhpstress snapshot writes a full snapshot', p.stderr)
        p = subprocess.run([MHP, 'compare', os.path.join(snaps, 'baseline.json'), out], capture_output=True, text=True)
        tap.ok(p.returncode == 0, 'a fresh guest compares equal to the run baseline', p.stdout[-800:])
    finally:
        g.close()
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
