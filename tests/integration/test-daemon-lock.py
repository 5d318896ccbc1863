#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-daemon-lock.py - a second mhpstressd on a results root exits at once
# and touches nothing; recovery kills only a dead run's own QEMU (not one
# whose daemon lives, not a process that reused the pid); state.json of any
# shape does not crash it. No guest: the "QEMUs" are sleeping processes whose
# command line carries the run's console.log option, as QEMU's does.
#
# usage: test-daemon-lock.py MHPSTRESSD
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemonlib import Daemon, Tap, alive, start_time, tmpdir  # noqa: E402

MHPD = sys.argv[1]
procs = []


def dead_pid():
    p = subprocess.Popen(['true'])
    p.wait()
    return p.pid


def fake_qemu(rdir):
    """A long sleeper that recovery would take for this run's QEMU."""
    p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(1000)', '-chardev',
                          'file,id=con,logfile=%s/console.log,logappend=on' % rdir])
    procs.append(p)
    return p


def fake_run(root, name, state, **extra):
    rdir = os.path.join(root, name)
    os.makedirs(rdir)
    st = {'run': name, 'state': state, 'scenario': 'smoke.ini', 'backend': 'qemu', 'daemon_pid': dead_pid(),
          'started': int(time.time()), 'ended': 0}
    st.update(extra)
    with open(os.path.join(rdir, 'state.json'), 'w') as f:
        json.dump(st, f)
    return rdir


def with_qemu(rdir):
    q = fake_qemu(rdir)
    with open(os.path.join(rdir, 'qemu.pid'), 'w') as f:
        f.write('%d\n' % q.pid)
    return q


def read(path):
    with open(path) as f:
        return f.read()


def wait_dead(pid, timeout=5):
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def main():
    tap = Tap()
    top = tmpdir()

    # 1. the second daemon on a root
    a = Daemon(MHPD, top)
    rdir = fake_run(a.results, 'smoke-20260101-000000-1', 'running')
    q = with_qemu(rdir)
    before = read(os.path.join(rdir, 'state.json'))
    t0 = time.monotonic()
    b = Daemon(MHPD, top, results=a.results, wait=False)
    try:
        rc = b.proc.wait(10)
    except subprocess.TimeoutExpired:
        rc = None
    took = time.monotonic() - t0
    log = b.logtext()
    tap.ok(rc is not None and rc != 0 and took < 5, 'a second daemon on the root exits non-zero at once (rc %s, %.2f s)'
           % (rc, took))
    tap.ok('another mhpstressd holds the results root' in log and a.results in log,
           'its error names the root and the other daemon', log)
    tap.ok(alive(q.pid), "the first daemon's run's QEMU is alive")
    tap.ok(read(os.path.join(rdir, 'state.json')) == before, 'its state.json is unchanged')
    tap.ok(not os.path.exists(os.path.join(rdir, 'summary.json')), 'no interrupted summary was written')
    tap.ok(a.proc.poll() is None and 'ok' in a.call('list'), 'the first daemon still answers')
    tap.ok(os.path.exists(os.path.join(a.results, '.mhpstressd.lock')), 'the lock file is in the root')

    # 2. recovery, on a fresh root, with daemon A alive on another one
    root = os.path.join(top, 'root2')
    os.makedirs(root)
    live = fake_run(root, 'smoke-20260101-000000-2', 'running', daemon_pid=a.pid, daemon_start=start_time(a.pid))
    q_live = with_qemu(live)
    live_before = read(os.path.join(live, 'state.json'))
    reused = fake_run(root, 'smoke-20260101-000000-3', 'running')
    q_reused = with_qemu(reused)
    with open(os.path.join(reused, 'state.json')) as f:
        st = json.load(f)
    st.update(qemu_pid=q_reused.pid, qemu_start=start_time(q_reused.pid) + 12345)
    with open(os.path.join(reused, 'state.json'), 'w') as f:
        json.dump(st, f)
    dead = fake_run(root, 'smoke-20260101-000000-4', 'running')
    q_dead = with_qemu(dead)
    recorded = fake_run(root, 'smoke-20260101-000000-5', 'running')
    q_rec = with_qemu(recorded)
    with open(os.path.join(recorded, 'state.json')) as f:
        st = json.load(f)
    st.update(qemu_pid=q_rec.pid, qemu_start=start_time(q_rec.pid))
    with open(os.path.join(recorded, 'state.json'), 'w') as f:
        json.dump(st, f)
    # 6. state.json of the wrong shape
    bad = {
        'smoke-20260101-000000-6': '{"state": null, "started": null, "scenario": null, "backend": null}',
        'smoke-20260101-000000-7': '{"state": 5, "started": "x", "ended": [], "scenario": {}, "backend": 7, '
                                   '"daemon_pid": "1", "daemon_start": null, "qemu_pid": {}, "qemu_start": "x"}',
        'smoke-20260101-000000-8': 'null',
        'smoke-20260101-000000-9': '[1, 2]',
        'smoke-20260101-000000-10': '"running"',
        'smoke-20260101-000000-11': '{"state": "running", "daemon_pid": -1, "daemon_start": 18446744073709551615, '
                                    '"qemu_pid": 99999999999, "qemu_start": -5, "message": 3}',
    }
    for name, text in bad.items():
        os.makedirs(os.path.join(root, name))
        with open(os.path.join(root, name, 'state.json'), 'w') as f:
            f.write(text)

    c = Daemon(MHPD, top, results=root)
    runs = {r['run']: r for r in c.call('list')['ok']['runs']}
    tap.ok(alive(q_live.pid) and read(os.path.join(live, 'state.json')) == live_before
           and 'smoke-20260101-000000-2' not in runs,
           'a run whose recorded daemon is alive is left alone (QEMU alive, state.json unchanged, not listed)')
    tap.ok(alive(q_reused.pid) and runs.get('smoke-20260101-000000-3', {}).get('state') == 'interrupted',
           'a QEMU whose start time differs from the recorded one is not killed; the run is interrupted')
    tap.ok(wait_dead(q_rec.pid) and runs.get('smoke-20260101-000000-5', {}).get('state') == 'interrupted',
           'a QEMU with the recorded pid and start time is killed')
    tap.ok(wait_dead(q_dead.pid) and runs.get('smoke-20260101-000000-4', {}).get('state') == 'interrupted',
           'a dead run with no record: the backend check kills its QEMU (the fake is a real target)')
    got = {n: runs.get(n, {}).get('state') for n in ('smoke-20260101-000000-6', 'smoke-20260101-000000-7',
                                                     'smoke-20260101-000000-9', 'smoke-20260101-000000-10',
                                                     'smoke-20260101-000000-11')}
    tap.ok(c.proc.poll() is None and all(s == 'interrupted' for s in got.values()),
           'state.json with null, wrong types or no object: no readable state, so interrupted; no crash', got)
    tap.ok('smoke-20260101-000000-8' not in runs, 'a state.json of "null" is skipped')
    tap.ok(c.stop() == 0, 'the recovering daemon exits cleanly', c.logtext())
    tap.ok(a.stop() == 0, 'the first daemon exits cleanly', a.logtext())
    for p in procs:
        p.kill()
        p.wait()
    tap.done()


if __name__ == '__main__':
    main()
