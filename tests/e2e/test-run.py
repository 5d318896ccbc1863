#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-run.py - 'mhpstress run' on the real guest: smoke.ini passes with every
# cycle verified; each negative.ini case ends in the class it documents; a
# run killed with SIGKILL mid-cycle leaves JSONL files that parse, and no QEMU.
#
# usage: test-run.py MHPSTRESS SCENARIO_DIR
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guestlib import Tap, require_guest  # noqa: E402

MHP, SCEN = sys.argv[1], sys.argv[2]
CHECK_HTML = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'tools',
                          'check-report-html.py')


def check_html(tap, html, png, what):
    """report.html in headless Chromium: no console message, a screenshot that is not blank."""
    p = subprocess.run([sys.executable, CHECK_HTML, html, '--screenshot', png], capture_output=True, text=True,
                       timeout=180)
    tap.ok(p.returncode == 0 and os.path.getsize(png) > 20 * 1024,
           '%s opens in headless Chromium with no console message; screenshot %s' % (what, png),
           p.stdout + p.stderr)
PHASES_PLUG = ['add', 'ost', 'query', 'blocks', 'online', 'verify-online']
PHASES_UNPLUG = ['offline', 'del', 'eject-ost', 'deleted', 'eject-done', 'object-del', 'blocks-gone', 'verify-removed']


def jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def run(tap, kernel, initrd, scenario, results, *extra, timeout=600):
    argv = [MHP, 'run', os.path.join(SCEN, scenario), '--kernel', kernel, '--initrd', initrd,
            '--results', results] + list(extra)
    t0 = time.monotonic()
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    print('# %s: exit %d in %.1f s' % (scenario, p.returncode, time.monotonic() - t0))
    if p.returncode != 0:
        print('# ' + p.stderr.replace('\n', '\n# '))
    return p


def qemu_running(results):
    try:
        pid = int(open(os.path.join(results, 'qemu.pid')).read())
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open('/proc/%d/cmdline' % pid, 'rb') as f:
        return b'qemu' in f.read()


def main():
    tap = Tap()
    kernel, initrd = require_guest(tap)
    top = tempfile.mkdtemp(prefix='mhp-run-')

    # smoke: every cycle verified
    r = os.path.join(top, 'smoke')
    p = run(tap, kernel, initrd, 'smoke.ini', r)
    tap.ok(p.returncode == 0, 'smoke.ini exits 0')
    tap.ok(p.stdout.strip() == r, 'the results directory is printed', p.stdout)
    cycles = jsonl(os.path.join(r, 'cycles.jsonl'))
    tap.ok(len(cycles) == 5 and all(c['verdict'] == 'pass' for c in cycles), 'smoke: 5 cycles, all pass',
           [c['verdict'] for c in cycles])
    tap.ok(all(set(PHASES_PLUG + PHASES_UNPLUG) <= set(c['phases']) for c in cycles), 'smoke: every phase recorded',
           [sorted(c['phases']) for c in cycles])
    tap.ok(all(v['end_ns'] >= v['start_ns'] for c in cycles for v in c['phases'].values()), 'smoke: phases have start and end')
    tap.ok([c['size'] >> 20 for c in cycles] == [256, 512, 256, 512, 256], 'smoke: sizes alternate 256M/512M')
    tap.ok(all(c['verify']['plugged']['MemTotal'] - c['verify']['removed']['MemTotal'] == c['size'] // 1024
               for c in cycles), 'smoke: MemTotal grew by exactly the DIMM and came back')
    tap.ok(all(c['verify']['plugged']['linear_map']['mapped_bytes'] - c['verify']['removed']['linear_map']['mapped_bytes']
               == c['size'] for c in cycles), 'smoke: the Linear Mapping grew by exactly the DIMM')
    s = json.load(open(os.path.join(r, 'summary.json')))
    tap.ok(s['cycles'] == 5 and s['failures'] == {} and s['verdict'] == 'pass', 'smoke: summary', s)
    tap.ok(all(k in s['latency_ms'] for k in ['cycle', 'ost', 'online', 'offline', 'deleted']) and
           all(set(v) >= {'p50', 'p90', 'p99', 'max'} for v in s['latency_ms'].values()), 'smoke: latency percentiles')
    run_json = json.load(open(os.path.join(r, 'run.json')))
    tap.ok(run_json['vmm'].startswith('QEMU ') and run_json['guest']['kernel'] and run_json['scenario']['text'] and
           'seed' in run_json and run_json['host'], 'run.json: versions, kernel, scenario copy, seed, host')
    ev = jsonl(os.path.join(r, 'events.jsonl'))
    kinds = {e['source'] for e in ev}
    tap.ok({'qmp-in', 'qmp-out', 'agent-in', 'agent-out', 'engine'} <= kinds, 'events.jsonl has QMP, agent and engine messages', kinds)
    tap.ok(all(os.stat(os.path.join(r, f)).st_mode & 0o777 == 0o600 for f in ('console.log', 'qemu.log', 'qemu.pid')),
           'console.log, qemu.log and qemu.pid are 0600', [oct(os.stat(os.path.join(r, f)).st_mode & 0o777)
                                                          for f in ('console.log', 'qemu.log', 'qemu.pid')])
    tap.ok(os.path.getsize(os.path.join(r, 'console.log')) > 0 and
           'mhpstress-init' in open(os.path.join(r, 'console.log'), errors='replace').read(), 'console.log captured')
    tap.ok(all(os.path.exists(os.path.join(r, 'snapshots', n)) for n in ('baseline.json', 'plugged-1.json', 'end.json')),
           'snapshots: baseline, plugged-1, end')
    tap.ok(not qemu_running(r), 'no QEMU left after the run')
    html = os.path.join(r, 'report.html')
    text = open(html, errors='replace').read() if os.path.exists(html) else ''
    tap.ok(text.count('<svg') >= 5 and 'PageTables' in text and 'nr_page_table_pages' in text and 'MemFree' in text,
           'smoke: report.html has its plots (%d svg)' % text.count('<svg'))
    check_html(tap, html, os.path.join(top, 'smoke-report.png'), 'smoke: report.html')
    smoke_dir = r

    # negative: each case classified as documented
    r = os.path.join(top, 'negative')
    p = run(tap, kernel, initrd, 'negative.ini', r)
    tap.ok(p.returncode == 0, 'negative.ini exits 0 (every case as expected)')
    cases = {c['case']: c for c in jsonl(os.path.join(r, 'cycles.jsonl'))}
    want = {'refused-unplug': 'guest-refused', 'misaligned': 'add-not-seen', 'offline-boot': 'offline-failed'}
    for name, cls in want.items():
        c = cases.get(name, {})
        tap.ok(c.get('verdict') == 'pass' and c.get('outcome') == cls, 'negative: %s ends in %s' % (name, cls), c)
    c = cases.get('offline-boot', {})
    tap.ok(c.get('errno') in (16, 22), 'negative: offline-boot fails with EBUSY or EINVAL', c.get('errno'))
    ab = os.path.join(top, 'report-ab.html')
    p = subprocess.run([MHP, 'report', smoke_dir, r, '-o', ab], capture_output=True, text=True, timeout=120)
    tap.ok(p.returncode == 0 and os.path.exists(ab), 'report A B writes the A/B page', p.stderr)
    if os.path.exists(ab):
        check_html(tap, ab, os.path.join(top, 'ab-report.png'), 'the A/B report')

    # SIGKILL mid-cycle: the files still parse, QEMU goes with us
    r = os.path.join(top, 'killed')
    proc = subprocess.Popen([MHP, 'run', os.path.join(SCEN, 'smoke.ini'), '--kernel', kernel, '--initrd', initrd,
                             '--results', r, '--cycles', '200'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    cpath = os.path.join(r, 'cycles.jsonl')
    while time.monotonic() < deadline and (not os.path.exists(cpath) or len(open(cpath).readlines()) < 3):
        time.sleep(0.1)
    time.sleep(0.13)  # somewhere inside a cycle
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    try:
        c = jsonl(cpath)
        e = jsonl(os.path.join(r, 'events.jsonl'))
        tap.ok(len(c) >= 3 and len(e) > 10, 'after SIGKILL: cycles.jsonl (%d) and events.jsonl (%d) parse' % (len(c), len(e)))
    except (ValueError, OSError) as ex:
        tap.ok(False, 'after SIGKILL: the JSONL files parse', str(ex))
    time.sleep(0.5)
    tap.ok(not qemu_running(r), 'after SIGKILL: QEMU is gone too')
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
