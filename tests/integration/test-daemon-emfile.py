#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-daemon-emfile.py - mhpstressd out of file descriptors: with
# RLIMIT_NOFILE at 32 and more clients than that, accept fails with EMFILE;
# the daemon must not spin (CPU time over 2 s stays under 0.2 s) and must
# accept again once clients go. No guest.
#
# usage: test-daemon-emfile.py MHPSTRESSD
import os
import resource
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemonlib import Daemon, Tap, cpu_ticks, tmpdir  # noqa: E402

MHPD = sys.argv[1]
NOFILE = 32
HZ = os.sysconf('SC_CLK_TCK')


def low_nofile():
    resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))


def main():
    tap = Tap()
    top = tmpdir()
    d = Daemon(MHPD, top, preexec_fn=low_nofile)
    conns = []
    deadline = time.monotonic() + 5
    while len(conns) < NOFILE + 20 and time.monotonic() < deadline:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(d.sock)
        except BlockingIOError:  # the backlog is full: let the daemon accept, or find it cannot
            s.close()
            time.sleep(0.02)
            continue
        conns.append(s)
    time.sleep(0.5)
    log = d.logtext()
    tap.ok('Too many open files' in log, 'the daemon ran out of fds (RLIMIT_NOFILE %d, %d clients)'
           % (NOFILE, len(conns)), log)
    t0 = cpu_ticks(d.pid)
    time.sleep(2)
    used = (cpu_ticks(d.pid) - t0) / HZ
    tap.ok(d.proc.poll() is None and used < 0.2, 'out of fds, it used %.2f s of CPU in 2 s (< 0.2 s): no spinning'
           % used)
    tap.ok(log.count('cannot accept') == 1, 'it said so once', log)
    for s in conns:
        s.close()
    deadline = time.monotonic() + 5
    answered = False
    while not answered and time.monotonic() < deadline:
        try:
            answered = 'ok' in d.call('list')
        except OSError:
            time.sleep(0.1)
    tap.ok(answered, 'with the clients gone, it accepts again and answers list')
    tap.ok(d.stop() == 0, 'the daemon exits cleanly', d.logtext())
    tap.done()


if __name__ == '__main__':
    main()
