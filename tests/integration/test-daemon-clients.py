#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-daemon-clients.py - mhpstressd against hostile clients: followers that
# close at once (issue 12, the follow use-after-free); 1,000 idle clients
# (256 are served, the rest refused); a `list` flood from a client that never
# reads (dropped at the 4 MiB output cap). RSS stays under RSS_BOUND_KIB. No
# guest: the run to follow has a "QEMU" that is a shell script sleeping, so
# it stays running (booting) until it is stopped; other runs fail at spawn.
#
# usage: test-daemon-clients.py MHPSTRESSD
import json
import os
import resource
import socket
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemonlib import Daemon, Tap, rss_kib, start_args, tmpdir  # noqa: E402

MHPD = sys.argv[1]
CLIENTS_MAX = 256              # daemon.c
RSS_BOUND_KIB = 32 * 1024      # docs/control-protocol.md, "Limits"
ASAN_RSS_BOUND_KIB = 256 * 1024  # under ASan, whose quarantine holds freed memory


def rss_bound(pid):
    with open('/proc/%d/maps' % pid) as f:
        return ASAN_RSS_BOUND_KIB if 'libasan' in f.read() else RSS_BOUND_KIB


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


def test_idle_clients(tap, top):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    d = Daemon(MHPD, top)
    base = rss_kib(d.pid)
    conns, refused = [], 0
    for _ in range(1000):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(d.sock)
        conns.append(s)
    time.sleep(1)
    for s in conns:
        s.setblocking(False)
        try:
            data = s.recv(4096)
        except BlockingIOError:
            continue
        if b'too many clients' in data:
            refused += 1
    rss = rss_kib(d.pid)
    tap.ok(d.proc.poll() is None and refused == 1000 - CLIENTS_MAX,
           '1,000 idle clients: %d served, %d refused with an error line' % (1000 - refused, refused))
    tap.ok(rss < rss_bound(d.pid), '... daemon RSS %d KiB (%d KiB before) < %d KiB' % (rss, base, rss_bound(d.pid)))
    for s in conns[:10]:
        s.close()
    time.sleep(0.3)
    tap.ok('ok' in d.call('list'), 'with places free again, the daemon answers list')
    for s in conns[10:]:
        s.close()
    tap.ok(d.stop() == 0, 'the daemon exits cleanly', d.logtext())


def test_list_flood(tap, top):
    d = Daemon(MHPD, top)
    args = start_args(top)
    for _ in range(20):
        d.call('start', **args)  # failed runs with a long message: list replies of about 15 KB
    reply = len(json.dumps(d.call('list')))
    base = rss_kib(d.pid)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(d.sock)
    s.settimeout(10)
    sent, dropped, peak = 0, False, 0
    try:
        for _ in range(50):
            s.sendall(b'{"id":1,"cmd":"list"}\n' * 100)
            sent += 100
            peak = max(peak, rss_kib(d.pid))
    except (BrokenPipeError, ConnectionResetError):
        dropped = True
    deadline = time.monotonic() + 5
    while not dropped and time.monotonic() < deadline:
        time.sleep(0.1)
        dropped = 'more than' in d.logtext()
    peak = max(peak, rss_kib(d.pid))
    tap.ok(dropped and 'behind, dropping it' in d.logtext(),
           'a client that sends %d lists (%d B each) and never reads is dropped' % (sent, reply), d.logtext())
    tap.ok(peak < rss_bound(d.pid), '... daemon RSS peak %d KiB (%d KiB before) < %d KiB'
           % (peak, base, rss_bound(d.pid)))
    s.close()
    tap.ok(d.proc.poll() is None and len(d.call('list')['ok']['runs']) == 20, 'the daemon answers list after it')
    tap.ok(d.stop() == 0, 'the daemon exits cleanly', d.logtext())


def main():
    tap = Tap()
    for t in TESTS:
        top = tmpdir()  # a results root of its own
        try:
            t(tap, top)
        except Exception:  # the daemon died or hung: say so, with its log
            logs = [open(os.path.join(top, f)).read() for f in sorted(os.listdir(top)) if f.startswith('daemon-')]
            tap.ok(False, '%s ran to its end' % t.__name__, traceback.format_exc() + (logs[-1] if logs else ''))
    tap.done()


TESTS = [test_follow_close, test_idle_clients, test_list_flood]


if __name__ == '__main__':
    main()
