#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-daemon.py - mhpstressd on real guests: two runs at once to completion
# while a follower is killed; status shows live progress; SIGTERM ends runs
# as stopped with finalized summaries; after SIGKILL and a restart the runs
# are interrupted and no QEMU is left; another uid cannot use the socket; a
# follower that never reads a run of 1,500 fast cycles costs the daemon at
# most its documented output cap.
#
# usage: test-daemon.py MHPSTRESS MHPSTRESSD SCENARIO_DIR
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guestlib import Tap, require_guest  # noqa: E402

MHP, MHPD, SCEN = sys.argv[1], sys.argv[2], sys.argv[3]


class Daemon:
    def __init__(self, top):
        self.sock = os.path.join(top, 'ctl', 'control')
        self.results = os.path.join(top, 'runs')
        self.log = open(os.path.join(top, 'daemon.log'), 'a')
        env = dict(os.environ)
        # under ASan, freed memory waits in a quarantine (256 MiB by default)
        # that RSS would count: keep it small so RSS follows live memory
        env.setdefault('ASAN_OPTIONS', 'quarantine_size_mb=8')
        self.proc = subprocess.Popen([MHPD, '--socket', self.sock, '--results', self.results],
                                     stderr=self.log, stdout=self.log, env=env)
        # a dead daemon's socket file may still be there: wait for an answer
        deadline = time.monotonic() + 10
        while self.cli('list').returncode != 0:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError('mhpstressd did not come up')
            time.sleep(0.05)

    def cli(self, *args, timeout=120):
        return subprocess.run([MHP, '--socket', self.sock] + list(args), capture_output=True, text=True,
                              timeout=timeout)

    def status(self, run):
        return json.loads(self.cli('status', run, '--json').stdout)

    def wait_state(self, run, states, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = self.status(run)
            if st['state'] in states:
                return st
            time.sleep(0.25)
        return self.status(run)


def qemu_alive(results_dir):
    try:
        pid = int(open(os.path.join(results_dir, 'qemu.pid')).read())
        return b'qemu' in open('/proc/%d/cmdline' % pid, 'rb').read()
    except (OSError, ValueError):
        return False


def wait_cycles(d, run, n, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = d.status(run)
        if st['progress']['cycle'] >= n or st['state'] not in ('queued', 'running'):
            return st
        time.sleep(0.2)
    return d.status(run)


# A run of light cycles, one 128M DIMM at a time and nothing else: about
# 15 cycles a second, each of them a dozen progress events to every follower.
FAST_INI = """[scenario]
description = a follower's load: light cycles as fast as the guest goes
cycles = %d
[guest]
cpus = 2
memory = 1G
slots = 2
maxmem = 4G
append = movablecore=256M
[dimm]
sizes = 128M
zones = movable
[verify]
ptdump = none
level = light
full-every = 100
"""
FOLLOW_CYCLES = 1500
# docs/control-protocol.md, "Limits": progress stops above 256 KiB unsent and
# the client is dropped above 4 MiB; what the daemon may hold for it
FOLLOWER_CAP_KIB = 4 * 1024 + 512
# under ASan the 8 MiB quarantine (ASAN_OPTIONS below) and redzones come on top
ASAN_SLACK_KIB = 16 * 1024


def under_asan(pid):
    with open('/proc/%d/maps' % pid) as f:
        return 'libasan' in f.read()


def rss_kib(pid):
    for line in open('/proc/%d/status' % pid):
        if line.startswith('VmRSS:'):
            return int(line.split()[1])
    return 0


def test_follower_never_reads(tap, d, top, kernel, initrd):
    """A follower that never reads while a run of 1,500 fast cycles goes on:
    about 3 KB of progress a cycle, 4.5 MB in all if the daemon kept it."""
    ini = os.path.join(top, 'fast.ini')
    with open(ini, 'w') as f:
        f.write(FAST_INI % FOLLOW_CYCLES)
    run = d.cli('start', ini, '--kernel', kernel, '--initrd', initrd).stdout.strip()
    st = wait_cycles(d, run, 20)
    rss0 = rss_kib(d.proc.pid)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(d.sock)
    s.sendall(b'{"id":1,"cmd":"follow","args":{"run":"%s"}}\n' % run.encode())
    peak = rss0
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        peak = max(peak, rss_kib(d.proc.pid))
        st = d.status(run)
        if st['state'] not in ('queued', 'running'):
            break
        time.sleep(1)
    peak = max(peak, rss_kib(d.proc.pid))
    tap.ok(st['state'] == 'passed' and st['progress']['cycle'] == FOLLOW_CYCLES,
           'a follower that never reads: the run goes on to pass all %d cycles' % FOLLOW_CYCLES,
           (st['state'], st.get('message'), st['progress']))
    bound = FOLLOWER_CAP_KIB + (ASAN_SLACK_KIB if under_asan(d.proc.pid) else 0)
    tap.ok(peak - rss0 <= bound,
           'the daemon grew %d KiB (%d -> peak %d KiB), within the %d KiB a follower may cost%s'
           % (peak - rss0, rss0, peak, bound, ' (+ ASan slack)' if bound > FOLLOWER_CAP_KIB else ''))
    tap.ok(d.cli('list').returncode == 0,
           'the daemon still answers list')
    # what the follower finally reads: whole lines, the latest progress, the end
    s.setblocking(False)
    data = b''
    try:
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            data += chunk
    except BlockingIOError:
        pass
    s.close()
    lines = [json.loads(x) for x in data.split(b'\n') if x.strip()]
    print('# the follower had %d bytes waiting: %d lines, the last %s' % (len(data), len(lines),
                                                                            lines[-1].get('event') if lines else None))
    tap.ok(len(data) < 4 << 20, 'what waited for it is bounded too (%d bytes)' % len(data))


def main():
    tap = Tap()
    kernel, initrd = require_guest(tap)
    top = tempfile.mkdtemp(prefix='mhp-daemon-')
    smoke = os.path.join(SCEN, 'smoke.ini')
    start = ['start', smoke, '--kernel', kernel, '--initrd', initrd]

    d = Daemon(top)
    tap.ok(oct(os.stat(d.sock).st_mode & 0o777) == '0o600', 'the control socket is 0600')
    tap.ok(oct(os.stat(os.path.dirname(d.sock)).st_mode & 0o777) == '0o700', 'its directory is 0700')

    # two runs at once; a follower killed in the middle disturbs nothing
    r1 = d.cli(*start, '--cycles', '12').stdout.strip()
    r2 = d.cli(*start, '--cycles', '12').stdout.strip()
    tap.ok(r1 and r2 and r1 != r2, 'two runs started (%s, %s)' % (r1, r2))
    follower = subprocess.Popen([MHP, '--socket', d.sock, 'follow', r1], stdout=subprocess.PIPE, text=True)
    first = follower.stdout.readline()
    st_a = wait_cycles(d, r1, 2)
    tap.ok(first.startswith('progress') and st_a['state'] == 'running', 'follow streams progress', first)
    follower.kill()
    follower.wait()
    both = [d.status(r1), d.status(r2)]
    tap.ok(all(s['state'] == 'running' for s in both), 'both run at once', [s['state'] for s in both])
    st_b = wait_cycles(d, r1, st_a['progress']['cycle'] + 2)
    tap.ok(st_b['progress']['cycle'] > st_a['progress']['cycle'] and st_b['progress']['elapsed_ms'] > st_a['progress']['elapsed_ms'],
           'status shows live progress (cycle %d -> %d)' % (st_a['progress']['cycle'], st_b['progress']['cycle']))
    ends = [d.wait_state(r, ('passed', 'failed', 'stopped'), 300) for r in (r1, r2)]
    tap.ok([e['state'] for e in ends] == ['passed', 'passed'], 'both runs pass after the follower was killed',
           [(e['state'], e.get('message')) for e in ends])
    tap.ok(all(json.load(open(os.path.join(e['results'], 'summary.json')))['cycles'] == 12 for e in ends),
           'both summaries count 12 cycles')
    p = d.cli('follow', r2)
    tap.ok(p.returncode == 0 and p.stdout.strip().endswith('passed'), 'following a finished run reports its end')
    lst = json.loads(d.cli('list', '--json').stdout)
    tap.ok({r['run']: r['state'] for r in lst['runs']} == {r1: 'passed', r2: 'passed'}, 'list --json has states')
    p = d.cli('status', 'no-such-run')
    tap.ok(p.returncode == 1 and 'no run' in p.stderr, 'status of an unknown run', p.stderr)

    test_follower_never_reads(tap, d, top, kernel, initrd)

    # another uid: the directory keeps it out, and so does SO_PEERCRED. The
    # client is copied where uid 65534 can run it, wherever the tree lives.
    client = os.path.join(top, 'mhpstress-client')
    shutil.copy(MHP, client)
    os.chmod(client, 0o755)
    nobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', client, '--socket', d.sock, 'list']
    os.chmod(top, 0o755)
    p = subprocess.run(nobody, capture_output=True, text=True)
    tap.ok(p.returncode != 0 and "cannot reach mhpstressd" in p.stderr and 'Permission denied' in p.stderr,
           'uid 65534 cannot reach the socket (its directory is 0700)', p.stderr)
    os.chmod(os.path.dirname(d.sock), 0o755)
    os.chmod(d.sock, 0o666)
    p = subprocess.run(nobody, capture_output=True, text=True)
    tap.ok(p.returncode != 0 and 'permission denied: uid 65534' in p.stderr,
           'with the file modes opened, SO_PEERCRED still refuses uid 65534', p.stderr)
    os.chmod(d.sock, 0o600)
    os.chmod(os.path.dirname(d.sock), 0o700)
    os.chmod(top, 0o700)

    # SIGTERM: runs end as stopped, summaries finalized, no QEMU left
    r3 = d.cli(*start, '--cycles', '500').stdout.strip()
    r4 = d.cli(*start, '--cycles', '500').stdout.strip()
    wait_cycles(d, r3, 1)
    wait_cycles(d, r4, 1)
    d.proc.send_signal(signal.SIGTERM)
    try:
        rc = d.proc.wait(timeout=150)
    except subprocess.TimeoutExpired:
        d.proc.kill()
        rc = None
    tap.ok(rc == 0, 'SIGTERM: the daemon exits 0 after stopping its runs', rc)
    for r in (r3, r4):
        rd = os.path.join(d.results, r)
        state = json.load(open(os.path.join(rd, 'state.json')))['state']
        summary = json.load(open(os.path.join(rd, 'summary.json')))
        tap.ok(state == 'stopped' and summary['stopped'] is True and summary['cycles'] >= 1,
               'SIGTERM: %s is stopped with a final summary (%d cycles)' % (r, summary['cycles']), (state, summary))
        tap.ok(not qemu_alive(rd), 'SIGTERM: no QEMU left for ' + r)

    # SIGKILL: the next daemon lists the runs as interrupted; no QEMU is left
    d = Daemon(top)
    r5 = d.cli(*start, '--cycles', '500').stdout.strip()
    r6 = d.cli(*start, '--cycles', '500').stdout.strip()
    wait_cycles(d, r5, 1)
    wait_cycles(d, r6, 1)
    d.proc.kill()
    d.proc.wait()
    time.sleep(0.5)
    d = Daemon(top)
    lst = {r['run']: r for r in json.loads(d.cli('list', '--json').stdout)['runs']}
    tap.ok(lst.get(r5, {}).get('state') == 'interrupted' and lst.get(r6, {}).get('state') == 'interrupted',
           'after SIGKILL and a restart the runs are interrupted', {k: v['state'] for k, v in lst.items()})
    tap.ok(lst.get(r3, {}).get('state') == 'stopped' and lst.get(r1, {}).get('state') == 'passed',
           'earlier runs keep their states across restarts')
    for r in (r5, r6):
        rd = os.path.join(d.results, r)
        tap.ok(not qemu_alive(rd), 'after SIGKILL: no QEMU left for ' + r)
        s = json.load(open(os.path.join(rd, 'summary.json')))
        lines = [json.loads(l) for l in open(os.path.join(rd, 'cycles.jsonl'))]
        tap.ok(s['verdict'] == 'interrupted' and s['cycles'] == len(lines) >= 1,
               'after SIGKILL: %s has an interrupted summary of its %d cycles' % (r, len(lines)))
    d.proc.send_signal(signal.SIGTERM)
    d.proc.wait(timeout=30)
    shutil.rmtree(top, ignore_errors=True)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
