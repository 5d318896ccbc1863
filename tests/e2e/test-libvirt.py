#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-libvirt.py - the libvirt backend on real libvirt, real QEMU and the real
# guest: smoke.ini through qemu:///system, qemu:///embed and
# qemu+tcp://127.0.0.1/system with the same verifications as the QEMU
# backend; negative.ini's refusal classified; a hang restarting the guest and a
# panic with its vmcore; a user's persistent domain; a
# killed run leaves no domain; a killed libvirtd ends the run, and its orphan
# is reaped by the next run; a fleet of two with a combined summary; bad
# URIs and fleet files fail fast and clearly.
#
# Needs libvirtd with a TCP listener on loopback: tools/check starts one
# (tools/libvirt-setup start). Without it the test bails out.
#
# usage: test-libvirt.py MHPSTRESS SCENARIO_DIR
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guestlib import Tap, require_guest  # noqa: E402

MHP, SCEN = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
SYSTEM, TCP = 'qemu:///system', 'qemu+tcp://127.0.0.1/system'
SEED = '4242'


def jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def virsh(uri, *args, timeout=60):
    return subprocess.run(['virsh', '-q', '-c', uri] + list(args), capture_output=True, text=True, timeout=timeout)


def run(kernel, initrd, scenario, results, *extra, timeout=600):
    argv = [MHP, 'run', os.path.join(SCEN, scenario), '--kernel', kernel, '--initrd', initrd,
            '--results', results, '--seed', SEED] + list(extra)
    t0 = time.monotonic()
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    print('# %s %s: exit %d in %.1f s' % (scenario, ' '.join(extra), p.returncode, time.monotonic() - t0))
    if p.returncode != 0:
        print('# ' + p.stderr.replace('\n', '\n# '))
    return p


def signature(results):
    """What a run verified, cycle by cycle: sizes, phases, check names and outcomes."""
    out = []
    for c in jsonl(os.path.join(results, 'cycles.jsonl')):
        checks = {k: sorted((x['name'], x['pass']) for x in v) for k, v in c['verify'].items() if k.startswith('checks')}
        out.append((c['size'], c['verdict'], sorted(c['phases']), checks))
    return out


def domain_of(results):
    try:
        vmm = json.load(open(os.path.join(results, 'run.json')))['vmm']
    except (OSError, ValueError, KeyError):
        return None
    return vmm.rsplit('domain ', 1)[-1].rstrip(')')


def active_domains(uri):
    return virsh(uri, 'list', '--name').stdout.split()


def start_cycling(kernel, initrd, results):
    """A long smoke run over TCP, returned once its first cycle is recorded (or after 120 s)."""
    proc = subprocess.Popen([MHP, 'run', os.path.join(SCEN, 'smoke.ini'), '--kernel', kernel, '--initrd', initrd,
                             '--results', results, '--cycles', '100', '--backend', 'libvirt', '--connect', TCP],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if len(jsonl(os.path.join(results, 'cycles.jsonl'))) >= 1:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    return proc


def check_smoke(tap, uri, r, p, reference):
    tap.ok(p.returncode == 0, '%s: smoke.ini exits 0' % uri)
    try:
        sig = signature(r)
    except OSError as e:
        tap.ok(False, '%s: cycles.jsonl readable' % uri, str(e))
        return
    tap.ok(len(sig) == 5 and all(s[1] == 'pass' for s in sig), '%s: 5 cycles, all pass' % uri, [s[1] for s in sig])
    tap.ok(sig == reference, '%s: the same sizes, phases and checks as the QEMU backend' % uri, (sig, reference))
    run_json = json.load(open(os.path.join(r, 'run.json')))
    tap.ok(run_json['backend'] == 'libvirt' and ' via libvirt ' in run_json['vmm'] and run_json['connect'] == uri,
           '%s: run.json names the backend, QEMU and libvirt versions and the URI' % uri, run_json['vmm'])
    ev = jsonl(os.path.join(r, 'events.jsonl'))
    names = {(e['source'], e['msg'].get('event')) for e in ev}
    tap.ok({('libvirt', 'DEVICE_REMOVED'), ('libvirt', 'DEVICE_ADDED'), ('qmp-in', 'ACPI_DEVICE_OST')} <= names,
           '%s: libvirt device events and raw ACPI_DEVICE_OST recorded' % uri, sorted(n for n in names if n[1]))
    inserts = [e for e in ev if e['source'] == 'qmp-in' and e['msg'].get('event') == 'ACPI_DEVICE_OST'
               and e['msg']['data']['info'].get('source') == 1]
    tap.ok(len(inserts) == 5 and all(e['msg']['data']['info']['device'].startswith('ua-dimm') for e in inserts),
           '%s: one insert OST per DIMM, for the ua-dimmN alias' % uri, len(inserts))
    console = open(os.path.join(r, 'console.log'), errors='replace').read()
    tap.ok('Linux version' in console, '%s: console.log has the boot log, from the start' % uri)


def main():
    tap = Tap()
    kernel, initrd = require_guest(tap)
    if not shutil.which('virsh'):
        tap.bail('virsh not found: run tools/libvirt-setup start')
    for uri in (SYSTEM, TCP):
        if virsh(uri, 'uri', timeout=20).returncode != 0:
            tap.bail('libvirt does not answer at %s: run tools/libvirt-setup start' % uri)
    top = tempfile.mkdtemp(prefix='mhp-libvirt-')

    # the reference: the QEMU backend, same scenario and seed
    ref = os.path.join(top, 'qemu')
    p = run(kernel, initrd, 'smoke.ini', ref)
    tap.ok(p.returncode == 0, 'reference: smoke.ini on the QEMU backend passes')
    reference = signature(ref)

    embed_root = os.path.join(top, 'embed-root')
    for uri in (SYSTEM, 'qemu:///embed?root=' + embed_root, TCP):
        r = os.path.join(top, 'smoke-' + uri.split(':')[0] + ('-embed' if 'embed' in uri else ''))
        p = run(kernel, initrd, 'smoke.ini', r, '--backend', 'libvirt', '--connect', uri)
        check_smoke(tap, uri, r, p, reference)
        if 'embed' not in uri:
            tap.ok(domain_of(r) not in active_domains(uri), '%s: the domain is gone after the run' % uri)
    tap.ok(os.path.isfile(os.path.join(embed_root, 'etc', 'qemu.conf')),
           'embed: the driver root got its qemu.conf')

    # negative.ini: the guest's refusal, and the other cases, classified as with QEMU
    r = os.path.join(top, 'negative')
    p = run(kernel, initrd, 'negative.ini', r, '--backend', 'libvirt')
    tap.ok(p.returncode == 0, 'negative.ini through libvirt: every case ends as expected')
    cases = {c['case']: c for c in jsonl(os.path.join(r, 'cycles.jsonl'))}
    want = {'refused-unplug': 'guest-refused', 'misaligned': 'add-not-seen', 'offline-boot': 'offline-failed'}
    tap.ok({k: cases.get(k, {}).get('outcome') for k in want} == want, 'negative: outcomes per case',
           {k: (c.get('outcome'), c.get('detail')) for k, c in cases.items()})
    ev = jsonl(os.path.join(r, 'events.jsonl'))
    tap.ok(any(e['source'] == 'libvirt' and e['msg'].get('event') == 'DEVICE_REMOVAL_FAILED' for e in ev),
           'negative: libvirt reported DEVICE_REMOVAL_FAILED for the refused unplug')

    # failure classes as with QEMU: a hang restarts the guest (a new domain); a panic leaves a vmcore
    inject = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scenarios', 'inject')
    r = os.path.join(top, 'restart')
    p = run(kernel, initrd, os.path.join(inject, 'restart.ini'), r, '--backend', 'libvirt')
    got = [(c['case'], c['outcome'], c['verdict']) for c in jsonl(os.path.join(r, 'cycles.jsonl'))]
    tap.ok(p.returncode == 0 and got == [('hang', 'hang', 'pass'), ('after-restart-1', 'pass', 'pass'),
                                         ('after-restart-2', 'pass', 'pass')],
           'restart-guest: a hang, then two cycles on a new domain', got)
    r = os.path.join(top, 'panic')
    p = run(kernel, initrd, os.path.join(inject, 'panic.ini'), r, '--backend', 'libvirt')
    got = [(c['case'], c['outcome']) for c in jsonl(os.path.join(r, 'cycles.jsonl'))]
    core = os.path.join(r, 'evidence', 'vmcore')
    try:
        with open(core, 'rb') as f:
            head = f.read(20)
    except OSError:
        head = b''
    tap.ok(p.returncode == 0 and got == [('panic', 'panic')] and head[:4] == b'\x7fELF' and
           int.from_bytes(head[16:18], 'little') == 4 and int.from_bytes(head[18:20], 'little') == 183,
           'panic: classified, and virDomainCoreDumpWithFormat wrote an AArch64 ELF core', (got, head))
    if os.path.exists(core):
        os.unlink(core)  # 1.3 GB

    # a user's persistent domain, shut off: booted, cycled, shut off again, still defined
    name = 'mhp-test-persistent'
    virsh(SYSTEM, 'destroy', name)
    virsh(SYSTEM, 'undefine', '--nvram', name)
    xmlp = os.path.join(top, 'persistent.xml')
    with open(xmlp, 'w') as f:
        f.write(PERSISTENT_XML.format(name=name, kernel=kernel, initrd=initrd))
    d = virsh(SYSTEM, 'define', xmlp)
    tap.ok(d.returncode == 0, 'a persistent domain with the agent channel is defined', d.stderr)
    r = os.path.join(top, 'persistent')
    p = run(kernel, initrd, 'smoke.ini', r, '--backend', 'libvirt', '--domain', name, '--cycles', '2')
    tap.ok(p.returncode == 0 and len(jsonl(os.path.join(r, 'cycles.jsonl'))) == 2,
           '--domain: the existing domain runs 2 cycles')
    st = virsh(SYSTEM, 'domstate', name).stdout.strip()
    tap.ok(st == 'shut off', '--domain: it is shut off afterwards and still defined', st)
    # a running domain is somebody's guest: refused, and left running
    virsh(SYSTEM, 'start', name)
    p = run(kernel, initrd, 'smoke.ini', os.path.join(top, 'busy'), '--backend', 'libvirt', '--domain', name,
            timeout=120)
    st = virsh(SYSTEM, 'domstate', name).stdout.strip()
    tap.ok(p.returncode == 2 and "the domain '%s' on 'qemu:///system' is running" % name in p.stderr and
           st == 'running', '--domain: a running domain is refused and left running', (p.stderr[-500:], st))
    virsh(SYSTEM, 'destroy', name)
    virsh(SYSTEM, 'undefine', '--nvram', name)

    # SIGKILL mid-run: libvirtd's autodestroy removes the domain
    r = os.path.join(top, 'killed')
    proc = start_cycling(kernel, initrd, r)
    dom = domain_of(r)
    tap.ok(dom and dom in active_domains(SYSTEM), 'kill: the run is cycling on its domain', dom)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and dom in active_domains(SYSTEM):
        time.sleep(0.2)
    tap.ok(dom not in active_domains(SYSTEM), 'kill: libvirtd destroyed the domain when the client died')
    tap.ok(all(isinstance(c, dict) for c in jsonl(os.path.join(r, 'cycles.jsonl'))), 'kill: cycles.jsonl parses')

    # libvirtd dies mid-run: the run ends at once, classified; the domain outlives
    # it (libvirtd reconnects to it on restart), and the next run reaps it
    state = os.environ.get('MHPSTRESS_LIBVIRT_STATE', '/run/mhpstress/libvirtd')
    setup = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools', 'libvirt-setup')
    try:
        lvpid = int(open(os.path.join(state, 'libvirtd.pid')).read())
        os.kill(lvpid, 0)
    except (OSError, ValueError):
        tap.bail('the libvirtd-death check needs the libvirtd of tools/libvirt-setup (no live %s/libvirtd.pid)' % state)
    r = os.path.join(top, 'libvirtd-killed')
    proc = start_cycling(kernel, initrd, r)
    orphan = domain_of(r)
    os.kill(lvpid, signal.SIGKILL)
    t0 = time.monotonic()
    try:
        rc = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = None
    waited = time.monotonic() - t0
    try:
        s = json.load(open(os.path.join(r, 'summary.json')))
    except (OSError, ValueError):
        s = {}
    tap.ok(rc == 1 and waited < 30 and 'libvirt connection' in s.get('message', ''),
           'libvirtd killed: the run ends in %.1f s with the reason' % waited, (rc, s.get('message')))
    sp = subprocess.run([setup, 'start'], capture_output=True, text=True, timeout=120)
    tap.ok(sp.returncode == 0 and orphan in active_domains(SYSTEM),
           'libvirtd restarted; the dead run\'s domain is still there', (sp.stderr[-300:], orphan))
    r = os.path.join(top, 'after-orphan')
    p = run(kernel, initrd, 'smoke.ini', r, '--backend', 'libvirt', '--cycles', '1')
    tap.ok(p.returncode == 0 and domain_of(r) == orphan and orphan not in active_domains(SYSTEM),
           'the next run recognized its dead owner, destroyed it and reused the name', (domain_of(r), orphan))

    # a fleet of two: local and over TCP, in parallel
    fleet = os.path.join(top, 'fleet.ini')
    with open(fleet, 'w') as f:
        f.write('[fleet]\nscenario = %s\ncycles = 3\nkernel = %s\ninitrd = %s\n\n'
                '[target local]\nconnect = %s\ndomain = mhp-fleet-local\n\n'
                '[target loopback]\nconnect = %s\n' % (os.path.join(SCEN, 'smoke.ini'), kernel, initrd, SYSTEM, TCP))
    fr = os.path.join(top, 'fleet')
    t0 = time.monotonic()
    p = subprocess.run([MHP, 'fleet', fleet, '--results', fr], capture_output=True, text=True, timeout=900)
    print('# fleet: exit %d in %.1f s' % (p.returncode, time.monotonic() - t0))
    tap.ok(p.returncode == 0, 'fleet of two exits 0', p.stderr[-2000:])
    try:
        fs = json.load(open(os.path.join(fr, 'fleet-summary.json')))
    except (OSError, ValueError) as e:
        fs = {'error': str(e)}
    tap.ok(fs.get('verdict') == 'pass' and fs.get('targets_passed') == 2 and
           [(t['name'], t['verdict'], t['cycles']) for t in fs.get('targets', [])] ==
           [('local', 'pass', 3), ('loopback', 'pass', 3)], 'fleet: the combined summary', fs)
    tap.ok(all(os.path.isfile(os.path.join(fr, t, 'summary.json')) for t in ('local', 'loopback')),
           'fleet: one results directory per target')
    tap.ok(domain_of(os.path.join(fr, 'local')) == 'mhp-fleet-local', 'fleet: the named transient domain was used')
    tap.ok('local' in p.stdout and 'loopback' in p.stdout, 'fleet: a table on stdout', p.stdout)

    # mhpstressd runs libvirt targets too
    mhpd = os.path.join(os.path.dirname(MHP), 'mhpstressd')
    sock = os.path.join(top, 'ctl', 'control')
    dlog = open(os.path.join(top, 'daemon.log'), 'a')
    dproc = subprocess.Popen([mhpd, '--socket', sock, '--results', os.path.join(top, 'runs')], stdout=dlog, stderr=dlog)
    ctl = lambda *a: subprocess.run([MHP, '--socket', sock] + list(a), capture_output=True, text=True, timeout=120)
    deadline = time.monotonic() + 10
    while ctl('list').returncode != 0 and time.monotonic() < deadline and dproc.poll() is None:
        time.sleep(0.05)
    run_id = ctl('start', os.path.join(SCEN, 'smoke.ini'), '--kernel', kernel, '--initrd', initrd, '--cycles', '2',
                 '--backend', 'libvirt', '--connect', TCP).stdout.strip()
    st = {}
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        p = ctl('status', run_id, '--json')
        st = json.loads(p.stdout) if p.returncode == 0 else {}
        if st.get('state') not in (None, 'queued', 'running'):
            break
        time.sleep(0.25)
    res = st.get('results', '')
    tap.ok(st.get('state') == 'passed' and json.load(open(os.path.join(res, 'summary.json')))['cycles'] == 2 and
           json.load(open(os.path.join(res, 'run.json')))['connect'] == TCP,
           'mhpstressd: a run started with --backend libvirt completes over TCP', st)
    dproc.terminate()
    dproc.wait(timeout=60)

    # bad input: fast, clear, nothing hangs
    bad = os.path.join(top, 'bad.ini')
    with open(bad, 'w') as f:
        f.write('[fleet]\nscenario = %s\n[target a]\nconnect = qemu:///system\nhost = x\n' % os.path.join(SCEN, 'smoke.ini'))
    p = subprocess.run([MHP, 'fleet', bad], capture_output=True, text=True, timeout=60)
    tap.ok(p.returncode == 2 and '%s:5: [target a] host: unknown key' % bad in p.stderr, 'a bad fleet file is named',
           p.stderr)
    t0 = time.monotonic()
    r = os.path.join(top, 'nohost')
    p = run(kernel, initrd, 'smoke.ini', r, '--backend', 'libvirt', '--connect', 'qemu+tcp://127.0.0.1:1/system',
            timeout=120)
    tap.ok(p.returncode == 2 and "cannot connect to 'qemu+tcp://127.0.0.1:1/system'" in p.stderr
           and time.monotonic() - t0 < 60, 'an unreachable URI fails with its name, at once', p.stderr)
    p = subprocess.run([MHP, 'run', os.path.join(SCEN, 'smoke.ini'), '--connect', SYSTEM], capture_output=True,
                       text=True, timeout=60)
    tap.ok(p.returncode == 2 and '--backend libvirt' in p.stderr, '--connect without --backend libvirt is refused')
    return tap.done()


PERSISTENT_XML = """<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>{name}</name>
  <memory unit='MiB'>1024</memory>
  <maxMemory slots='8' unit='MiB'>8192</maxMemory>
  <vcpu>2</vcpu>
  <os firmware='efi'>
    <type arch='aarch64' machine='virt'>hvm</type>
    <firmware><feature enabled='no' name='secure-boot'/></firmware>
    <kernel>{kernel}</kernel>
    <initrd>{initrd}</initrd>
    <cmdline>console=ttyAMA0 panic=-1</cmdline>
  </os>
  <features><acpi/><gic version='3'/></features>
  <cpu mode='custom' match='exact'><model fallback='forbid'>max</model>
    <numa><cell id='0' cpus='0-1' memory='1024' unit='MiB'/></numa>
  </cpu>
  <on_reboot>destroy</on_reboot>
  <devices>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <channel type='unix'><source mode='bind'/><target type='virtio' name='org.mhpstress.agent.0'/></channel>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-global'/><qemu:arg value='max-arm-cpu.pauth-impdef=on'/>
  </qemu:commandline>
</domain>
"""

if __name__ == '__main__':
    sys.exit(main())
