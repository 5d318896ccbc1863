#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-daemon-clients.py - mhpstressd against hostile clients: followers that
# close at once (issue 12, the follow use-after-free). No guest: the run to
# follow has a "QEMU" that is a shell script sleeping, so it stays running
# (booting) until it is stopped.
#
# usage: test-daemon-clients.py MHPSTRESSD
import os
import socket
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemonlib import Daemon, Tap, start_args, tmpdir  # noqa: E402

MHPD = sys.argv[1]


def sleeping_qemu_scenario(top):
    fake = os.path.join(top, 'fake-qemu')
    with open(fake, 'w') as f:
        f.write('#!/bin/sh\nexec sleep 1000\n')
    os.chmod(fake, 0o755)
    return '[scenario]\ncycles = 1\n[guest]\nqemu = %s\nboot-timeout = 600s\n[dimm]\nsizes = 256M\n' % fake


def wait_state(d, run, states, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = d.call('status', run=run)['ok']
        if st['state'] in states:
            return st
        time.sleep(0.1)
    return d.call('status', run=run)['ok']


def follow_and_close(path, run, n):
    """n clients that send follow and close without reading."""
    for i in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        s.sendall(b'{"id":%d,"cmd":"follow","args":{"run":"%s"}}\n' % (i, run.encode()))
        if i % 2:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\x01\x00\x00\x00\x00\x00\x00\x00')  # RST
        s.close()


def test_follow_close(tap, top):
    d = Daemon(MHPD, top)
    r = d.call('start', **start_args(top, 'sleeper.ini', sleeping_qemu_scenario(top)))
    run = r['ok']['run']
    st = wait_state(d, run, ('running',))
    tap.ok(st['state'] == 'running', 'a run with a sleeping fake QEMU is running (%s)' % st['progress']['state'])
    follow_and_close(d.sock, run, 300)
    time.sleep(0.5)
    tap.ok(d.proc.poll() is None and 'ok' in d.call('list'), '300 follow-then-close clients: the daemon answers list')
    # the run's events now go out to every follower registered above
    stop = d.call('stop', run=run)
    st = wait_state(d, run, ('stopped', 'failed'))
    tap.ok('ok' in stop and st['state'] in ('stopped', 'failed'), 'the followed run is stopped (%s)' % st['state'])
    follow_and_close(d.sock, run, 100)
    time.sleep(0.3)
    lst = d.call('list')
    tap.ok(d.proc.poll() is None and [x['run'] for x in lst['ok']['runs']] == [run],
           'after its finished event went to the closed followers, the daemon still answers list')
    rc = d.stop()
    log = d.logtext()
    tap.ok(rc == 0 and 'AddressSanitizer' not in log and 'runtime error' not in log,
           'the daemon exits cleanly (rc %d), no sanitizer report' % rc, log)


def main():
    tap = Tap()
    top = tmpdir()
    for t in TESTS:
        try:
            t(tap, top)
        except Exception:  # the daemon died or hung: say so, with its log
            logs = [open(os.path.join(top, f)).read() for f in sorted(os.listdir(top)) if f.startswith('daemon-')]
            tap.ok(False, '%s ran to its end' % t.__name__, traceback.format_exc() + (logs[-1] if logs else ''))
    tap.done()


TESTS = [test_follow_close]


if __name__ == '__main__':
    main()
