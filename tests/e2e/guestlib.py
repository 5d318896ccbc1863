# SPDX-License-Identifier: GPL-2.0-or-later
# guestlib.py - boot the project's arm64 guest under QEMU (TCG, UEFI) for the
# e2e tests, with QMP and agent sockets, and TAP helpers. Every wait has a
# deadline; nothing here sleeps on the guest without one.
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

FIRMWARE = '/usr/share/qemu-efi-aarch64/QEMU_EFI.fd'


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, what, detail=None):
        self.n += 1
        print(('ok' if cond else 'not ok'), self.n, '-', what, flush=True)
        if not cond:
            self.failed += 1
            if detail is not None:
                print('#   ' + repr(detail)[:3000], flush=True)
            # meson prints a failed test's stderr, not its TAP: say why there too
            print('not ok %d - %s' % (self.n, what), file=sys.stderr, flush=True)
            if detail is not None:
                print('    ' + repr(detail)[:3000], file=sys.stderr, flush=True)
        return cond

    def diag(self, what):
        print('# ' + what, flush=True)

    def bail(self, why):
        print('Bail out! ' + why, flush=True)
        sys.exit(1)

    def done(self):
        print('1..%d' % self.n, flush=True)
        return 1 if self.failed else 0


def require_guest(tap):
    """The kernel and initramfs from tools/check; fail loudly without them."""
    k, i = os.environ.get('MHPSTRESS_KERNEL'), os.environ.get('MHPSTRESS_INITRD')
    if not k or not i or not os.path.isfile(k) or not os.path.isfile(i):
        tap.bail('MHPSTRESS_KERNEL and MHPSTRESS_INITRD must name a built kernel and initramfs '
                 '(tools/check sets them; or run tools/build-kernel and tools/build-guest)')
    for tool in ('qemu-system-aarch64',):
        if not shutil.which(tool):
            tap.bail(tool + ' not found: apt-get install qemu-system-arm')
    if not os.path.isfile(FIRMWARE):
        tap.bail(FIRMWARE + ' not found: apt-get install qemu-efi-aarch64')
    return k, i


def require_debuginfo_guest(tap):
    """The kernel built with tools/kconfig/debuginfo.config, and its initramfs."""
    k, i = os.environ.get('MHPSTRESS_KERNEL_DEBUGINFO'), os.environ.get('MHPSTRESS_INITRD_DEBUGINFO')
    if not k or not i or not os.path.isfile(k) or not os.path.isfile(i):
        tap.bail('MHPSTRESS_KERNEL_DEBUGINFO and MHPSTRESS_INITRD_DEBUGINFO must name a kernel built with '
                 'tools/kconfig/debuginfo.config and its initramfs (tools/check sets them)')
    return k, i


class Line:
    def __init__(self, path, deadline):
        self.s = socket.socket(socket.AF_UNIX)
        while True:
            try:
                self.s.connect(path)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError('cannot connect to ' + path)
                time.sleep(0.05)
        self.buf = b''

    def send(self, obj):
        self.s.sendall((json.dumps(obj) + '\n').encode())

    def recv(self, deadline):
        while b'\n' not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError('no message by the deadline')
            self.s.settimeout(left)
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise EOFError('peer closed')
            self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        return json.loads(line)


class Guest:
    def __init__(self, kernel, initrd, mem='1G', slots=8, maxmem='8G', cpus=2):
        self.dir = tempfile.mkdtemp(prefix='mhp-e2e-')
        self.console = os.path.join(self.dir, 'console.log')
        argv = ['qemu-system-aarch64', '-M', 'virt,gic-version=3', '-cpu', 'max,pauth-impdef=on',
                '-accel', 'tcg', '-smp', str(cpus), '-m', '%s,slots=%d,maxmem=%s' % (mem, slots, maxmem),
                '-nic', 'none', '-bios', FIRMWARE, '-kernel', kernel, '-initrd', initrd,
                '-append', 'console=ttyAMA0 panic=-1', '-display', 'none',
                '-serial', 'file:' + self.console, '-no-reboot', '-sandbox', 'on',
                '-device', 'virtio-serial-pci,id=vser0',
                '-chardev', 'socket,id=agent,path=%s/agent.sock,server=on,wait=off' % self.dir,
                '-device', 'virtserialport,bus=vser0.0,chardev=agent,name=org.mhpstress.agent.0',
                '-qmp', 'unix:%s/qmp.sock,server=on,wait=off' % self.dir]
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, 'qemu.log'), 'w'))
        deadline = time.monotonic() + 30
        self.qmp = Line(self.dir + '/qmp.sock', deadline)
        greeting = self.qmp.recv(deadline)
        if 'QMP' not in greeting:
            raise RuntimeError('bad QMP greeting %r' % greeting)
        self.qmp_events = []
        self.execute('qmp_capabilities')
        self.agent = Line(self.dir + '/agent.sock', deadline)
        self.agent_events = []
        self.next_id = 0

    def execute(self, cmd, timeout=10, **args):
        self.qmp.send({'execute': cmd, 'arguments': args})
        deadline = time.monotonic() + timeout
        while True:
            m = self.qmp.recv(deadline)
            if 'event' in m:
                self.qmp_events.append(m)
                continue
            return m

    def qmp_event(self, name, pred=lambda d: True, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.qmp_events):
                if e['event'] == name and pred(e.get('data', {})):
                    return self.qmp_events.pop(i)
            m = self.qmp.recv(deadline)
            if 'event' in m:
                self.qmp_events.append(m)

    def call(self, cmd, timeout=30, **args):
        self.next_id += 1
        req = {'id': self.next_id, 'cmd': cmd}
        if args:
            req['args'] = args
        self.agent.send(req)
        deadline = time.monotonic() + timeout
        while True:
            m = self.agent.recv(deadline)
            if 'event' in m:
                self.agent_events.append(m)
                continue
            if m.get('id') == self.next_id:
                return m

    def wait_agent(self, timeout=60):
        """The first hello; the guest may still be booting (a TCG boot is ~2-5 s)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.call('hello', timeout=max(1, min(5, deadline - time.monotonic())))
            except TimeoutError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise

    def console_text(self):
        try:
            with open(self.console, errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    def close(self):
        if self.proc.poll() is None:
            try:
                self.execute('quit', timeout=5)
            except Exception:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if os.environ.get('MHPSTRESS_KEEP_E2E'):
            print('# kept ' + self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
