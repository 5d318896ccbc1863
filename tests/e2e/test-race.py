#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-race.py - scenarios/vmalloc-race.ini, shortened with --duration: the
# hot-remove loop runs in race mode (light verification, every 20th cycle
# full) under test_vmalloc's huge mappings and a ptdump walker; both
# stressors' counters rise and nothing is reported (no false positive).
# tools/calibrate measures what it catches (docs/calibration.md).
#
# usage: test-race.py MHPSTRESS SCENARIO_DIR [DURATION]
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guestlib import Tap, require_guest  # noqa: E402

MHP, SCEN = sys.argv[1], sys.argv[2]
DURATION = sys.argv[3] if len(sys.argv) > 3 else '60s'  # a test_vmalloc load takes under a second


def main():
    tap = Tap()
    kernel, initrd = require_guest(tap)
    top = tempfile.mkdtemp(prefix='mhp-race-')
    r = os.path.join(top, 'race')
    p = subprocess.run([MHP, 'run', os.path.join(SCEN, 'vmalloc-race.ini'), '--kernel', kernel, '--initrd', initrd,
                        '--results', r, '--duration', DURATION], capture_output=True, text=True, timeout=1800)
    s = json.load(open(os.path.join(r, 'summary.json')))
    cycles = [json.loads(line) for line in open(os.path.join(r, 'cycles.jsonl'))]
    print('# %d cycles in %s; stressors %s' % (len(cycles), DURATION,
                                            {k: v['ops'] for k, v in s['stressors'].items()}))
    tap.ok(p.returncode == 0 and s['verdict'] == 'pass' and s['failures'] == {},
           'vmalloc-race passes: no failure reported', (p.returncode, s['failures'], p.stderr[-1500:]))
    tap.ok(len(cycles) >= 5 and all(c['verdict'] == 'pass' for c in cycles), 'every cycle passed (%d)' % len(cycles),
           [(c['cycle'], c.get('detail')) for c in cycles if c['verdict'] != 'pass'])
    st = s['stressors']
    tap.ok(set(st) == {'vmalloc', 'ptdump'}, 'both stressors are reported', sorted(st))
    light = [c for c in cycles if c['verify'].get('level') == 'light']
    full = [c['cycle'] for c in cycles if c['verify'].get('level') != 'light']
    tap.ok(full and full == [n for n in range(1, len(cycles) + 1) if n == 1 or n % 20 == 0] and
           len(light) == len(cycles) - len(full), 'race mode: cycle 1 and every 20th are full, the rest light', full)
    tap.ok(all(c['verify']['checks_removed'][0]['name'] == 'memtotal-exact' for c in light),
           'a light cycle checks MemTotal after the removal')
    tap.ok(all(v['ops'] > 0 for v in st.values()), "every stressor's counter rose",
           {k: v['ops'] for k, v in st.items()})
    tap.ok(all(v['errors'] == 0 for v in st.values()), 'no stressor errors', {k: v['errors'] for k, v in st.items()})
    checks = [x for c in cycles for x in c['verify']['checks_removed']]
    tap.ok(all(x['pass'] is True for x in checks if x['name'] in ('linear-map-restored', 'vmemmap-restored',
                                                                  'linear-map-restored-table-pages', 'memtotal-exact')),
           'under stress, every removal restores the Linear Mapping and vmemmap ranges and tables exactly')
    tap.ok(not os.path.exists(os.path.join(r, 'evidence')), 'no evidence: nothing failed')
    shutil.rmtree(top, ignore_errors=True)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
