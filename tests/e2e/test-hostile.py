#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-hostile.py - a hostile guest agent against the real host, under
# mhpstressd (issue 12). The guest's agent runs in its test-only hostile mode
# (mhpstress.agent_args=--hostile on the kernel command line): each case of
# tests/scenarios/hostile/hostile.ini spoils one request of its cycle (wrong
# types, nulls, missing keys, a million blocks, 2^63 and 1e308, wrong and
# duplicate ids, floods, a kmsg storm, garbage, invalid UTF-8, deep nesting, a
# 64 MiB line). Beside it a healthy run, and a guest whose every hello says
# block_size 1. Asserts: the daemon survives and answers; each hostile cycle
# has exactly the class its case expects; the healthy run's cycles all pass;
# the block_size 1 guest is refused at boot naming the key; events.jsonl stays
# small. Needs an initramfs whose agent has --hostile (tools/build-guest).
#
# usage: test-hostile.py MHPSTRESS MHPSTRESSD SCENARIO_DIR TEST_SCENARIO_DIR
import configparser
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guestlib import Tap, require_guest  # noqa: E402

MHP, MHPD, SCEN, TSCEN = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
HOSTILE = os.path.join(TSCEN, 'hostile', 'hostile.ini')
HELLO = os.path.join(TSCEN, 'hostile', 'hello.ini')


class Daemon:
    def __init__(self, top):
        self.sock = os.path.join(top, 'ctl', 'control')
        self.log = open(os.path.join(top, 'daemon.log'), 'a')
        self.proc = subprocess.Popen([MHPD, '--socket', self.sock, '--results', os.path.join(top, 'runs')],
                                     stderr=self.log, stdout=self.log)
        deadline = time.monotonic() + 10
        while self.cli('list').returncode != 0:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError('mhpstressd did not come up')
            time.sleep(0.05)

    def cli(self, *args, timeout=60):
        return subprocess.run([MHP, '--socket', self.sock] + list(args), capture_output=True, text=True,
                              timeout=timeout)

    def status(self, run):
        p = self.cli('status', run, '--json')
        if p.returncode != 0:
            return {'state': 'unknown', 'message': p.stderr.strip(), 'results': ''}
        return json.loads(p.stdout)

    def wait_end(self, run, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = self.status(run)
            if st['state'] not in ('queued', 'running'):
                return st
            time.sleep(0.5)
        return self.status(run)


def expected_classes():
    """Case name -> the class hostile.ini says its cycle must end in."""
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(HOSTILE)
    return {s[len('case '):]: ini[s]['expect'] for s in ini.sections() if s.startswith('case ')}


def cycles(results):
    try:
        with open(os.path.join(results, 'cycles.jsonl')) as f:
            return [json.loads(line) for line in f]
    except OSError:
        return []


def events_bytes(results):
    return sum(os.path.getsize(p) for p in glob.glob(os.path.join(results, 'events.jsonl*')))


def main():
    tap = Tap()
    kernel, initrd = require_guest(tap)
    top = tempfile.mkdtemp(prefix='mhp-hostile-')
    d = Daemon(top)
    guest = ['--kernel', kernel, '--initrd', initrd]
    want = expected_classes()
    tap.ok(len(want) >= 23, 'hostile.ini has %d cases' % len(want))

    healthy = d.cli('start', os.path.join(SCEN, 'smoke.ini'), '--cycles', '16', *guest).stdout.strip()
    hostile = d.cli('start', HOSTILE, *guest).stdout.strip()
    tap.ok(healthy and hostile, 'a healthy and a hostile run started (%s, %s)' % (healthy, hostile))
    if not (healthy and hostile):
        d.proc.kill()
        return tap.done()

    st = d.wait_end(hostile, 600)
    alive = d.proc.poll() is None
    tap.ok(alive, 'mhpstressd survives the hostile agent')
    if not alive:
        return tap.done()
    by_case = {c.get('case'): c for c in cycles(st['results'])}
    tap.ok(set(by_case) == set(want), 'every hostile case has its cycle (%d of %d)' % (len(by_case), len(want)),
           sorted(set(want) ^ set(by_case)))
    for name, cls in want.items():
        c = by_case.get(name, {})
        tap.ok(c.get('outcome') == cls and c.get('verdict') == 'pass',
               'hostile %s: %s' % (name, cls), (c.get('outcome'), c.get('detail')))
        if cls == 'agent-protocol':
            tap.ok(bool(c.get('detail')), 'hostile %s: the detail says what was wrong' % name, c.get('detail'))
    # The run passes when every case ended as expected. Its MemFree trend is
    # the one exception allowed: the hostile agent itself takes and frees
    # guest memory (floods, a million blocks, a 64 MiB line), so MemFree
    # swings by megabytes from case to case, and 25 points of that can read
    # as a slope past 64 kB a cycle (seen once: -71 kB, ending above where
    # it began). Any other run-level failure fails the test.
    try:
        summ = json.load(open(os.path.join(st['results'], 'summary.json')))
    except (OSError, ValueError):
        summ = {}
    leaks = sorted(k for k, v in summ.get('trends', {}).items() if v.get('verdict') == 'leak')
    only_memfree = st['state'] == 'failed' and summ.get('failures') == {'leak': 1} and leaks == ['MemFree']
    tap.ok(st['state'] == 'passed' or only_memfree,
           'the hostile run passes: every case as expected%s' % (' (a MemFree trend flagged from the agent\'s '
                                                                 'own swings)' if only_memfree else ''),
           (st['state'], st.get('message'), summ.get('failures'), leaks))
    ev = events_bytes(st['results'])
    tap.ok(ev < 48 << 20, 'its events.jsonl stays small (%d bytes): the 64 MiB line and the storm are not kept' % ev)

    # the healthy run went on beside it
    hs = d.wait_end(healthy, 600)
    hc = cycles(hs['results'])
    tap.ok(hs['state'] == 'passed' and len(hc) == 16 and all(c['verdict'] == 'pass' for c in hc),
           'the healthy run beside it passes, all 16 cycles', (hs['state'], [c['verdict'] for c in hc]))

    # a guest whose every hello says block_size 1 is refused at boot
    bad = d.cli('start', HELLO, *guest).stdout.strip()
    bs = d.wait_end(bad, 300)
    tap.ok(bs['state'] == 'failed' and 'block_size' in (bs.get('message') or ''),
           'hello with block_size 1: the run fails at boot, naming the key', (bs['state'], bs.get('message')))
    tap.ok(d.proc.poll() is None and d.cli('list').returncode == 0, 'mhpstressd still answers')

    d.proc.terminate()
    d.proc.wait(timeout=60)
    if tap.failed == 0 and not os.environ.get('MHPSTRESS_KEEP_E2E'):
        shutil.rmtree(top, ignore_errors=True)
    else:
        print('# kept ' + top)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
