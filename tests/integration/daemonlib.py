# SPDX-License-Identifier: GPL-2.0-or-later
# daemonlib.py - mhpstressd on a temporary results root, spoken to over its
# control socket, for the integration tests. Nothing here boots a guest: runs
# are started with a QEMU binary that does not exist, so they fail at once.
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

# A scenario whose run fails at QEMU's spawn: the engine's start path, no guest.
NO_QEMU_SCENARIO = """[scenario]
cycles = 1
[guest]
qemu = /nonexistent/qemu-system-aarch64
[dimm]
sizes = 256M
"""


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, detail=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print('%s %d - %s' % ('ok' if cond else 'not ok', self.n, name))
        if not cond and detail is not None:
            for line in str(detail).splitlines()[:20]:
                print('# ' + line)
        sys.stdout.flush()

    def done(self):
        print('1..%d' % self.n)
        sys.exit(1 if self.failed else 0)


def proc_stat(pid):
    """/proc/PID/stat's fields after the command name: [state, ppid, ...]."""
    text = open('/proc/%d/stat' % pid).read()
    return text[text.rindex(')') + 2:].split()


def start_time(pid):
    return int(proc_stat(pid)[19])  # field 22


def cpu_ticks(pid):
    f = proc_stat(pid)
    return int(f[11]) + int(f[12])  # utime + stime (fields 14, 15)


def rss_kib(pid):
    for line in open('/proc/%d/status' % pid):
        if line.startswith('VmRSS:'):
            return int(line.split()[1])
    raise RuntimeError('no VmRSS for %d' % pid)


def alive(pid):
    try:
        return proc_stat(pid)[0] != 'Z'
    except OSError:
        return False


class Conn:
    """One client connection, speaking JSON lines."""

    def __init__(self, path, timeout=10):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b''
        self.next_id = 1

    def send(self, cmd, **args):
        rid = self.next_id
        self.next_id += 1
        msg = {'id': rid, 'cmd': cmd}
        if args:
            msg['args'] = args
        self.s.sendall(json.dumps(msg).encode() + b'\n')
        return rid

    def recv(self):
        while b'\n' not in self.buf:
            data = self.s.recv(65536)
            if not data:
                raise EOFError('the daemon closed the connection')
            self.buf += data
        line, self.buf = self.buf.split(b'\n', 1)
        return json.loads(line)

    def call(self, cmd, **args):
        rid = self.send(cmd, **args)
        while True:
            m = self.recv()
            if m.get('id') == rid and 'event' not in m:
                return m

    def close(self):
        self.s.close()


class Daemon:
    def __init__(self, mhpd, top, results=None, preexec_fn=None, wait=True, asan=False):
        self.top = top
        self.sock = os.path.join(top, 'ctl-%d' % time.monotonic_ns(), 'control')
        self.results = results or os.path.join(top, 'runs')
        self.logpath = os.path.join(top, 'daemon-%d.log' % time.monotonic_ns())
        self.log = open(self.logpath, 'w')
        env = dict(os.environ)
        env.setdefault('ASAN_OPTIONS', 'abort_on_error=1:detect_leaks=1')
        self.proc = subprocess.Popen([mhpd, '--socket', self.sock, '--results', self.results],
                                     stdout=self.log, stderr=self.log, preexec_fn=preexec_fn, env=env)
        self.pid = self.proc.pid
        if wait:
            self.wait_up()

    def wait_up(self, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            try:
                c = Conn(self.sock)
                r = c.call('list')
                c.close()
                if 'ok' in r:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError('mhpstressd did not come up: ' + self.logtext())
            time.sleep(0.05)

    def conn(self):
        return Conn(self.sock)

    def call(self, cmd, **args):
        c = self.conn()
        try:
            return c.call(cmd, **args)
        finally:
            c.close()

    def logtext(self):
        self.log.flush()
        return open(self.logpath).read()

    def stop(self, timeout=20):
        """SIGTERM; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def tmpdir():
    return tempfile.mkdtemp(prefix='mhp-integ-')


def start_args(tmp, name='noqemu.ini', scenario=NO_QEMU_SCENARIO):
    """The start request's args for a run that fails at once without a guest."""
    kernel = os.path.join(tmp, 'Image')
    initrd = os.path.join(tmp, 'initrd')
    for p in (kernel, initrd):
        open(p, 'a').close()
    return dict(scenario=scenario, scenario_name=name, kernel=kernel, initrd=initrd)
