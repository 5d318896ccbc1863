#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-failures.py - failure detection on the real guest: an injected WARN,
# panic and hang are each detected and classified with evidence (a vmcore
# for the panic: ELF, AArch64, NT_PRSTATUS notes); stressors' counters rise
# in a clean stressed run; --replay repeats a run exactly. On the kernel
# built with tools/kconfig/debuginfo.config, a WARN and then a panic leave
# two evidence directories whose report.md decode both traces to file:line
# and name the kernel, compiler, QEMU, seed and replay command.
#
# usage: test-failures.py MHPSTRESS SCENARIO_DIR TEST_SCENARIO_DIR
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guestlib import Tap, require_debuginfo_guest, require_guest  # noqa: E402

MHP, SCEN, TSCEN = sys.argv[1], sys.argv[2], sys.argv[3]


def run(kernel, initrd, scenario, results, *extra):
    return subprocess.run([MHP, 'run', scenario, '--kernel', kernel, '--initrd', initrd, '--results', results]
                          + list(extra), capture_output=True, text=True, timeout=600)


def cycles(r):
    return [json.loads(line) for line in open(os.path.join(r, 'cycles.jsonl'))]


def elf_notes(path):
    """(e_type, e_machine, [note type, ...]) of an ELF64 little-endian core."""
    with open(path, 'rb') as f:
        h = f.read(64)
        if h[:4] != b'\x7fELF' or h[4] != 2:
            return None
        e_type, e_machine = struct.unpack_from('<HH', h, 16)
        e_phoff, = struct.unpack_from('<Q', h, 32)
        e_phentsize, e_phnum = struct.unpack_from('<HH', h, 54)
        notes = []
        for i in range(e_phnum):
            f.seek(e_phoff + i * e_phentsize)
            p_type, _, p_offset, _, _, p_filesz = struct.unpack('<IIQQQQ', f.read(40))
            if p_type != 4:  # PT_NOTE
                continue
            f.seek(p_offset)
            data, off = f.read(p_filesz), 0
            while off + 12 <= len(data):
                namesz, descsz, ntype = struct.unpack_from('<III', data, off)
                notes.append((data[off + 12:off + 12 + namesz].rstrip(b'\0').decode(errors='replace'), ntype))
                off += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
        return e_type, e_machine, notes


def main():
    tap = Tap()
    kernel, initrd = require_guest(tap)
    top = tempfile.mkdtemp(prefix='mhp-fail-')

    # WARN: classified, evidence kept, the guest goes on
    r = os.path.join(top, 'warn')
    p = run(kernel, initrd, os.path.join(TSCEN, 'inject/warn.ini'), r)
    c = {x['case']: x for x in cycles(r)}
    tap.ok(p.returncode == 0, 'warn.ini exits 0 (each case as expected)', p.stderr[-1500:])
    tap.ok(c.get('warn', {}).get('outcome') == 'kernel-warning' and c['warn']['verdict'] == 'pass',
           'an injected WARN is a kernel-warning', c.get('warn'))
    tap.ok(c.get('after', {}).get('verdict') == 'pass', 'the next cycle passes: the guest survives a WARN')
    ev = os.path.join(r, 'evidence')
    info = json.load(open(os.path.join(ev, 'info.json')))
    tap.ok(info['class'] == 'kernel-warning' and info['cycle'] == 1 and info['seed'] and info['phase'],
           'evidence/info.json: class, cycle, phase, seed', info)
    tap.ok('injected warning' in open(os.path.join(ev, 'console.txt')).read() and
           'injected warning' in open(os.path.join(ev, 'dmesg.txt')).read(),
           'evidence: the console excerpt and the agent dmesg hold the WARN')
    tap.ok(json.load(open(os.path.join(ev, 'snapshot.json')))['meminfo']['MemTotal'] > 0, 'evidence: the last snapshot')

    # panic: classified, vmcore with the expected notes, the command to open it
    r = os.path.join(top, 'panic')
    p = run(kernel, initrd, os.path.join(TSCEN, 'inject/panic.ini'), r)
    c = cycles(r)
    tap.ok(p.returncode == 0 and c[0]['outcome'] == 'panic' and c[0]['verdict'] == 'pass',
           'a panic (sysrq c) is classified as panic', (p.returncode, c))
    ev = os.path.join(r, 'evidence')
    info = json.load(open(os.path.join(ev, 'info.json')))
    core = os.path.join(ev, 'vmcore')
    notes = elf_notes(core) if os.path.exists(core) else None
    tap.ok(notes and notes[0] == 4 and notes[1] == 183, 'vmcore is an ELF core (ET_CORE) for AArch64',
           notes and notes[:2])
    prstatus = [n for n in (notes[2] if notes else []) if n == ('CORE', 1)]
    tap.ok(len(prstatus) == 2, 'vmcore has an NT_PRSTATUS note per vCPU (%d)' % len(prstatus), notes and notes[2])
    tap.ok(info['commands'].get('crash', '').startswith('crash ') and info['commands']['crash'].endswith(core) and
           'vmlinux' in info['commands']['crash'], 'info.json gives the crash command', info['commands'])
    tap.ok('crash ' in p.stderr, 'the crash command is printed', p.stderr[-800:])
    os.unlink(core)

    # --gdb: after the first failure the VM is held paused with the gdbstub open
    r = os.path.join(top, 'gdb')
    proc = subprocess.Popen([MHP, 'run', os.path.join(TSCEN, 'inject/warn.ini'), '--kernel', kernel, '--initrd', initrd,
                             '--results', r, '--gdb', '12345'], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    info_path = os.path.join(r, 'evidence', 'info.json')
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (os.path.exists(info_path) and 'gdb' in open(info_path).read()):
        time.sleep(0.2)
    time.sleep(1)
    reply = b''
    try:
        with socket.create_connection(('127.0.0.1', 12345), timeout=5) as g:
            g.sendall(b'$?#3f')  # GDB remote protocol: why did the target stop?
            while b'#' not in reply.partition(b'$')[2]:  # an ack '+', then the packet
                chunk = g.recv(64)
                if not chunk:
                    break
                reply += chunk
    except OSError as ex:
        reply = str(ex).encode()
    tap.ok(proc.poll() is None and b'$T05' in reply, '--gdb holds the VM paused; the gdbstub answers', reply)
    info = json.load(open(info_path))
    tap.ok("target remote 127.0.0.1:12345" in info['commands'].get('gdb', ''), 'info.json gives the gdb command',
           info['commands'])
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
    tap.ok(proc.returncode is not None and json.load(open(os.path.join(r, 'summary.json')))['message'].startswith('stopped while paused'),
           'SIGINT ends a held run', proc.returncode)

    # a WARN then a panic on the debuginfo kernel: two reports, decoded
    dkernel, dinitrd = require_debuginfo_guest(tap)
    plain = open(os.path.join(os.path.dirname(kernel), 'config')).read().splitlines()
    debug = open(os.path.join(os.path.dirname(dkernel), 'config')).read().splitlines()
    changed = sorted(set(plain) ^ set(debug))
    tap.ok(changed and all('DEBUG_INFO' in l or 'CONFIG_PAHOLE' in l or l.startswith('#') for l in changed),
           'debuginfo.config changes only DEBUG_INFO options (%d lines)' % len(changed), changed)
    r = os.path.join(top, 'bugreport')
    p = run(dkernel, dinitrd, os.path.join(TSCEN, 'inject/warn-panic.ini'), r)
    c = cycles(r)
    tap.ok(p.returncode == 0 and [x['outcome'] for x in c] == ['kernel-warning', 'panic'],
           'warn-panic.ini: a kernel-warning, then a panic', (p.returncode, c, p.stderr[-1500:]))
    seed = json.load(open(os.path.join(r, 'run.json')))['seed']
    for d, title, frame in (('evidence', '# WARNING in mhpstress_warn_init\n', 'mhpstress_warn_init ('),
                            ('evidence-2', '# kernel panic: sysrq triggered crash\n', '__handle_sysrq (drivers/tty/sysrq.c:')):
        path = os.path.join(r, d, 'report.md')
        md = open(path).read() if os.path.exists(path) else ''
        tap.ok(md.startswith(title), '%s/report.md: the title %r' % (d, title.strip()), md[:300])
        trace = md.split('Call trace:\n', 1)[-1].split('```', 1)[0].splitlines()
        top_frames = [l for l in trace if '.c:' in l][:3]
        tap.ok(frame in md and len(top_frames) >= 3 and all(l.strip() in trace[i].strip() for i, l in enumerate(top_frames)),
               '%s/report.md: the top frames decoded to file:line (%s)' % (d, top_frames[:1]), md[:3000])
        tap.ok('Debian package `linux-source-' in md and 'compiler: aarch64-linux-gnu-gcc' in md and
               'Linux version ' in md and os.path.getsize(os.path.join(r, d, 'kernel.config')) > 1000,
               '%s/report.md: the kernel source, compiler, banner and kernel.config' % d, md[-3000:])
        tap.ok('QEMU 7.' in md or 'QEMU 8.' in md or 'QEMU 9.' in md or 'QEMU 10.' in md, '%s: QEMU version' % d)
        tap.ok('qemu-system-aarch64 ' in md, '%s/report.md: the QEMU command line' % d)
        tap.ok(('--seed %s' % seed) in md and 'mhpstress run --replay ' in md and 'inject/warn-panic.ini' in md,
               '%s/report.md: the scenario, seed %s and the replay commands' % (d, seed))
    html = open(os.path.join(r, 'report.html')).read()
    tap.ok('WARNING in mhpstress_warn_init' in html and 'kernel panic: sysrq triggered crash' in html,
           'report.html shows both evidence directories with their titles')
    for d in ('warn', 'panic'):
        tap.ok(os.path.exists(os.path.join(top, d, 'evidence', 'report.md')),
               'the plain kernel\'s %s run has evidence/report.md too' % d)

    # hang: a silent agent and console
    r = os.path.join(top, 'hang')
    p = run(kernel, initrd, os.path.join(TSCEN, 'inject/hang.ini'), r)
    c = cycles(r)
    tap.ok(p.returncode == 0 and c[0]['outcome'] == 'hang' and 'heartbeat' in c[0]['detail'],
           'a stopped agent with a silent console is a hang', (p.returncode, c))
    tap.ok(os.path.exists(os.path.join(r, 'evidence', 'info.json')), 'evidence for the hang')

    # restart-guest: a new guest, a new baseline, the next cases pass
    r = os.path.join(top, 'restart')
    p = run(kernel, initrd, os.path.join(TSCEN, 'inject/restart.ini'), r)
    c = cycles(r)
    events = [json.loads(l)['msg'].get('engine') for l in open(os.path.join(r, 'events.jsonl'))]
    tap.ok(p.returncode == 0 and [x['verdict'] for x in c] == ['pass'] * 3 and c[0]['outcome'] == 'hang',
           'restart-guest: the hang, then two cycles on a restarted guest', (p.returncode, c))
    tap.ok(events.count('restart-guest') == 1 and events.count('running') == 2,
           'restart-guest: one restart, two baselines', events.count('running'))

    # stressors: counters rise, nothing fails
    r = os.path.join(top, 'stressed')
    p = run(kernel, initrd, os.path.join(TSCEN, 'stressed-short.ini'), r)
    s = json.load(open(os.path.join(r, 'summary.json')))
    tap.ok(p.returncode == 0 and s['cycles'] == 6 and s['failures'] == {}, 'a stressed run passes',
           (p.returncode, s.get('failures'), p.stderr[-800:]))
    st = s['stressors']
    tap.ok(st.get('ptdump', {}).get('ops', 0) > 0 and st.get('cmd', {}).get('ops', 0) > 0 and
           all(v['errors'] == 0 for v in st.values()), "summary.json 'stressors': counters rose, no errors", st)

    # replay: the same sizes, slots, zones and order
    a, b = os.path.join(top, 'soak'), os.path.join(top, 'soak-replay')
    run(kernel, initrd, os.path.join(SCEN, 'soak.ini'), a, '--cycles', '6')
    p = subprocess.run([MHP, 'run', '--replay', a, '--results', b], capture_output=True, text=True, timeout=600)
    seq = lambda d: [(x['slot'], x['size'], x['zone']) for x in cycles(d)]
    tap.ok(p.returncode == 0 and seq(a) == seq(b) and len(seq(a)) == 6, '--replay repeats the recorded sequence',
           (seq(a), seq(b)))
    tap.ok(json.load(open(os.path.join(a, 'run.json')))['seed'] == json.load(open(os.path.join(b, 'run.json')))['seed'],
           '--replay uses the recorded seed')
    shutil.rmtree(top, ignore_errors=True)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
