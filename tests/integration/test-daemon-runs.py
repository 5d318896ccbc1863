#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-daemon-runs.py - mhpstressd keeps the last 64 finished runs in memory
# (older ones stay on disk), and a run of the longest scenario name the
# protocol takes gets an id the protocol takes. No guest: the runs fail at
# QEMU's spawn.
#
# usage: test-daemon-runs.py MHPSTRESSD
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemonlib import Daemon, Tap, start_args, tmpdir  # noqa: E402

MHPD = sys.argv[1]
KEEP = 64  # daemon.c RUNS_KEEP_FINISHED


def wait_ended(d, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = d.call('list')['ok']['runs']
        if all(r['state'] not in ('queued', 'running') for r in runs):
            return runs
        time.sleep(0.1)
    return d.call('list')['ok']['runs']


def main():
    tap = Tap()
    top = tmpdir()
    d = Daemon(MHPD, top)

    name = 'b' * 124 + '.ini'  # a scenario_name at the protocol's 128 characters
    r = d.call('start', **start_args(top, name))
    run = r.get('ok', {}).get('run', '')
    st = d.call('status', run=run) if run else r
    tap.ok(0 < len(run) <= 128 and 'ok' in st, "a 128-character scenario name: id of %d characters, 'status' takes it"
           % len(run), st)

    ids = [run]
    for _ in range(KEEP + 9):
        ids.append(d.call('start', **start_args(top))['ok']['run'])
        if len(ids) % 8 == 0:
            wait_ended(d)
    runs = wait_ended(d)
    ids.append(d.call('start', **start_args(top))['ok']['run'])  # prunes the ended ones
    runs = wait_ended(d)
    listed = [x['run'] for x in runs]
    on_disk = [n for n in os.listdir(d.results) if not n.startswith('.')]
    tap.ok(len(listed) == KEEP + 1 and listed == ids[-(KEEP + 1):],
           '%d runs started: the last %d finished and the new one are listed' % (len(ids), KEEP), listed[:3])
    tap.ok(sorted(on_disk) == sorted(ids), 'all %d run directories stay on disk' % len(on_disk))
    old = d.call('status', run=ids[0])
    tap.ok('error' in old and 'no run' in old['error']['msg'], 'a pruned run is not found by status', old)
    tap.ok(d.stop() == 0, 'the daemon exits cleanly', d.logtext())

    d = Daemon(MHPD, top, results=d.results)
    listed = [x['run'] for x in d.call('list')['ok']['runs']]
    tap.ok(len(listed) == KEEP and set(listed) <= set(ids), 'a restarted daemon reads them back and keeps %d'
           % len(listed))
    tap.ok(d.stop() == 0, 'the daemon exits cleanly', d.logtext())
    tap.done()


if __name__ == '__main__':
    main()
