#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-agent-protocol.py - the native mhpstress-agent against a sysroot built
# from real guest captures, over a unix socket. Every command, every kind of
# malformed input, and sysfs files that hang (FIFOs) while the loop keeps
# answering. Prints TAP.
#
# usage: test-agent-protocol.py AGENT FIXTURES_DIR
import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

AGENT, FIX = sys.argv[1], sys.argv[2]
n = 0
failed = 0


def ok(cond, what, detail=None):
    global n, failed
    n += 1
    print(('ok' if cond else 'not ok'), n, '-', what, flush=True)
    if not cond:
        failed += 1
        if detail is not None:
            print('#   ' + repr(detail)[:2000])


def write(path, text, mode='w'):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(text)


def make_sysroot(root):
    mem = root + '/sys/devices/system/memory'
    write(mem + '/auto_online_blocks', 'offline\n')
    # the memory tree as the 7.3 guest listed it with a 512M DIMM plugged,
    # not yet online (tests/fixtures/guest-7.3-512M/blocks.plugged-offline.json)
    listing = json.load(open(FIX + '/guest-7.3-512M/blocks.plugged-offline.json'))
    write(mem + '/block_size_bytes', '%x\n' % listing['block_size'])
    for blk in listing['blocks']:
        d = '%s/memory%d' % (mem, blk['index'])
        write(d + '/state', blk['state'] + '\n')
        write(d + '/valid_zones', blk['valid_zones'] + '\n')
        os.symlink('../../node/node%d' % blk['node'], d + '/node%d' % blk['node'])
        if blk['firmware_node']:
            os.symlink('../../../LNXSYSTM:00/LNXSYBUS:00/PNP0A06:00/' + blk['firmware_node'], d + '/firmware_node')
    g = FIX + '/guest-7.3-512M'
    os.makedirs(root + '/proc', exist_ok=True)
    shutil.copy(g + '/meminfo.before.txt', root + '/proc/meminfo')
    shutil.copy(g + '/vmstat.before.txt', root + '/proc/vmstat')
    shutil.copy(g + '/ptdump.before.txt', root + '/ptdump.txt')
    os.makedirs(root + '/sys/kernel/debug')
    shutil.copy(g + '/ptdump.before.txt', root + '/sys/kernel/debug/kernel_page_tables')
    with gzip.open(root + '/proc/config.gz', 'wt') as f:
        f.write('# comment\nCONFIG_MEMORY_HOTREMOVE=y\nCONFIG_ARM64_VA_BITS=48\nCONFIG_TEST_VMALLOC=m\n'
                '# CONFIG_KASAN is not set\n')
    write(root + '/proc/sys/kernel/random/boot_id', '01234567-89ab-cdef-0123-456789abcdef\n')
    write(root + '/proc/sys/vm/drop_caches', '')
    write(root + '/proc/sys/vm/stat_refresh', '')
    write(root + '/dev/kmsg', '4,812,21319760,-;WARNING: CPU: 1 PID: 42 at mm/memory_hotplug.c:1 test\n')


class Agent:
    def __init__(self, root, *extra, heartbeat_ms=100):
        self.root = root
        self.sock_path = root + '/agent.sock'
        env = dict(os.environ, MHPSTRESS_SYSROOT=root)
        self.proc = subprocess.Popen([AGENT, '--listen', 'unix:' + self.sock_path, '--heartbeat-ms', str(heartbeat_ms)]
                                     + list(extra), env=env, stderr=open(root + '/agent.log', 'w'))
        self.events = []
        self.next_id = 0
        self.connect()

    def connect(self):
        deadline = time.monotonic() + 10
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(self.sock_path)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        self.s.settimeout(10)
        self.buf = b''

    def send_raw(self, data):
        self.s.sendall(data)

    def read_msg(self):
        while b'\n' not in self.buf:
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise EOFError('agent closed the connection')
            self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        return json.loads(line)

    def read_line(self):
        """One line as bytes, whatever it holds."""
        while b'\n' not in self.buf:
            chunk = self.s.recv(1 << 22)
            if not chunk:
                raise EOFError('agent closed the connection')
            self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        return line

    def send(self, cmd, **args):
        """A request whose reply the caller reads raw; returns its id."""
        self.next_id += 1
        req = {'id': self.next_id, 'cmd': cmd}
        if args:
            req['args'] = args
        self.send_raw((json.dumps(req) + '\n').encode())
        return self.next_id

    def stop(self):
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def reply(self):
        """The next reply, keeping events aside."""
        while True:
            m = self.read_msg()
            if 'event' in m:
                self.events.append(m)
                continue
            return m

    def call(self, cmd, **args):
        self.next_id += 1
        req = {'id': self.next_id, 'cmd': cmd}
        if args:
            req['args'] = args
        self.send_raw((json.dumps(req) + '\n').encode())
        m = self.reply()
        if m.get('id') != self.next_id:
            raise AssertionError('reply id %r for request %d' % (m.get('id'), self.next_id))
        return m

    def wait_event(self, name, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in self.events:
                if e['event'] == name:
                    return e
            self.s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                m = self.read_msg()
            except socket.timeout:
                break
            finally:
                self.s.settimeout(10)
            if 'event' in m:
                self.events.append(m)
        return None


def err_of(m):
    return m.get('error', {}).get('errno')


def hostile_tests(root):
    """The test-only hostile mode: what each case puts on the wire."""
    a = Agent(root, heartbeat_ms=0)
    m = a.call('inject', kind='hostile', case='blocks-object')
    ok(err_of(m) == 1 and '--hostile' in m['error']['msg'], 'hostile: refused without --hostile (EPERM)', m)
    a.stop()

    r = subprocess.run([AGENT, '--hostile=list'], capture_output=True, text=True)
    names = [line.split()[0] for line in r.stdout.splitlines()]
    ok(r.returncode == 0 and len(names) >= 29 and 'line-64mib' in names, 'hostile: --hostile=list', r.stdout)
    r = subprocess.run([AGENT, '--hostile=nope'], capture_output=True, text=True)
    ok(r.returncode == 2 and "'nope'" in r.stderr, 'hostile: --hostile=nope is refused', r.stderr)

    a = Agent(root, '--hostile=hello-block-size-1', heartbeat_ms=0)
    h = a.call('hello')['ok']
    ok(h['block_size'] == 1, 'hostile: --hostile=CASE arms from the start (hello block_size 1)', h)
    h = a.call('hello')['ok']
    ok(h['block_size'] == 1, 'hostile: --hostile=CASE stays armed (every hello)', h)
    ok(a.call('blocks')['ok']['block_size'] == 128 << 20, 'hostile: other requests are answered truly')
    a.stop()

    a = Agent(root, '--hostile', heartbeat_ms=0)
    first = a.call('blocks')['ok']['blocks'][0]['index']
    wait = {'phys_start': first * (128 << 20), 'size': 128 << 20, 'timeout_ms': 2000}

    def arm(case):
        m = a.call('inject', kind='hostile', case=case)
        return 'ok' in m

    m = a.call('inject', kind='hostile', case='no-such-case')
    ok(err_of(m) == 22 and 'no-such-case' in m['error']['msg'], 'hostile: an unknown case is EINVAL', m)
    m = a.call('inject', kind='warn', case='flood')
    ok(err_of(m) == 22, "hostile: 'case' only goes with kind hostile", m)

    ok(arm('blocks-object'), 'hostile: inject arms blocks-object')
    ok(a.call('ping').get('ok') is not None, 'hostile: another request is not spoiled')
    ok(a.call('blocks')['ok'] == {'blocks': {}}, 'hostile: blocks-object')
    ok(isinstance(a.call('blocks')['ok']['blocks'], list), 'hostile: the next blocks reply is real again')
    arm('block-state-null')
    bl = a.call('blocks')['ok']['blocks']
    ok(bl and all(b['state'] is None for b in bl), 'hostile: block-state-null', bl[:2])
    arm('ptdump-sections-number')
    m = a.call('snapshot', ptdump='none')['ok']
    ok(m['ptdump'] == {'sections': 5} and m['meminfo']['MemTotal'] > 0, 'hostile: ptdump-sections-number',
       m.get('ptdump'))
    arm('memfree-1e308')
    m = a.call('snapshot', ptdump='none')['ok']
    ok(m['meminfo']['MemFree'] == 1e308, 'hostile: memfree-1e308', m['meminfo'].get('MemFree'))
    arm('blocks-million')
    m = a.call('blocks')['ok']
    ok(len(m['blocks']) == 1000001, 'hostile: blocks-million has a million entries', len(m['blocks']))
    arm('errno-2e63')
    i = a.send('online', blocks=[first])
    line = a.read_line()
    ok(b'"id":%d' % i in line and b'9223372036854775808' in line, 'hostile: errno-2e63', line)
    arm('wrong-id')
    i = a.send('blocks')
    m = a.reply()
    ok(m['id'] == i * 100000, 'hostile: wrong-id answers another id', m)
    arm('duplicate-reply')
    i = a.send('blocks')
    ok(a.reply()['id'] == i and a.reply()['id'] == i, 'hostile: duplicate-reply')
    arm('garbage')
    i = a.send('wait-blocks', **wait)
    ok(a.read_line() == b'this is not JSON' and a.reply()['id'] == i, 'hostile: garbage, then the reply')
    arm('invalid-utf8')
    i = a.send('wait-blocks', **wait)
    ok(b'\xff\xfe' in a.read_line() and a.reply()['id'] == i, 'hostile: invalid-utf8, then the reply')
    arm('deep-nesting')
    i = a.send('wait-blocks', **wait)
    line = a.read_line()
    ok(b'[' * 64 in line and len(line) < 256 and a.reply()['id'] == i, 'hostile: deep-nesting, one short line', line)
    arm('flood')
    i = a.send('wait-blocks', **wait)
    lines = [a.read_line() for _ in range(1000)]
    ok(set(lines) == {b'{}'} and a.reply()['id'] == i, 'hostile: flood is 1000 {} then the reply')
    arm('kmsg-storm')
    i = a.send('wait-blocks', **wait)
    storm = [a.read_msg() for _ in range(20000)]
    ok(all(e['event'] == 'kmsg' and 'seq' not in e and e['match'] is None for e in storm) and a.reply()['id'] == i,
       'hostile: kmsg-storm is 20000 plain records without seq, then the reply')
    rss0 = a.call('ping')['ok']['rss_kb']
    arm('line-64mib')
    i = a.send('wait-blocks', **wait)
    line = a.read_line()
    ok(len(line) == 64 << 20 and line.startswith(b'{"event":"hostile"') and a.reply()['id'] == i,
       'hostile: line-64mib is 64 MiB before its newline, then the reply', len(line))
    rss1 = a.call('ping')['ok']['rss_kb']
    ok(rss1 < rss0 + 16 * 1024, 'hostile: the 64 MiB output buffer is freed once sent (rss %d -> %d kB)' % (rss0, rss1))
    a.stop()


def main():
    root = tempfile.mkdtemp(prefix='mhp-agent-test-')
    make_sysroot(root)
    a = Agent(root)
    mem = root + '/sys/devices/system/memory'

    # hello
    h = a.call('hello')['ok']
    ok(h['page_size'] == os.sysconf('SC_PAGESIZE') and h['block_size'] == 128 << 20, 'hello: page and block size', h)
    ok(h['auto_online_blocks'] == 'offline', 'hello: auto_online_blocks', h)
    ok(h['features']['ptdump'] is True and h['features']['efi_ptdump'] is False, 'hello: ptdump feature', h)
    ok(h['features']['config']['CONFIG_MEMORY_HOTREMOVE'] == 'y' and h['features']['config']['CONFIG_KASAN'] is None,
       'hello: config from /proc/config.gz', h['features']['config'])
    ok(h['va_bits'] == 48 and h['boot_id'].startswith('01234567'), 'hello: va_bits and boot_id', h)
    ok(h['agent_version'] and h['cpus'] >= 1, 'hello: version and cpus', h)

    p = a.call('ping')['ok']
    ok(p['uptime_ns'] > 0 and p['children'] == 0 and p['rss_kb'] > 0, 'ping', p)

    # blocks
    b = a.call('blocks')['ok']
    idx = [x['index'] for x in b['blocks']]
    ok(idx == [0] + list(range(8, 20)), 'blocks: every memoryN, sorted', idx)
    by = {x['index']: x for x in b['blocks']}
    ok(by[16]['boot'] is False and by[8]['boot'] is True and by[0]['boot'] is True, 'blocks: boot vs hot-added', by[16])
    ok(by[16]['phys_start'] == 0x80000000 and by[16]['node'] == 0 and by[16]['state'] == 'offline',
       'blocks: phys_start, node, state', by[16])
    ok(by[17]['valid_zones'] == 'Normal Movable', 'blocks: valid_zones', by[17])
    ok(by[16]['firmware_node'] == 'PNP0C80:00' and by[8]['firmware_node'] is None, 'blocks: firmware_node',
       (by[16], by[8]))

    # hog: a child holding memory; release answers once it is reaped
    m = a.call('hog', kind='movable', bytes=4 << 20)
    ok('ok' in m and m['ok']['bytes'] == 4 << 20 and m['ok']['pid'] > 0, 'hog movable 4M', m)
    hog_pid = m['ok']['pid']
    ok(err_of(a.call('hog', kind='movable', bytes=1 << 20)) == 16, 'a second hog is EBUSY')
    ok(a.call('ping')['ok']['children'] == 1, 'the hog is a live child')
    m = a.call('hog-release')
    ok('ok' in m and not os.path.exists('/proc/%d' % hog_pid), 'hog-release answers after the child is gone', m)
    m = a.call('hog', kind='unmovable', bytes=3 << 20)
    ok('ok' in m and m['ok']['bytes'] >= 3 << 20, 'hog unmovable (pipe buffers) 3M', m)
    ok('ok' in a.call('hog-release'), 'hog-release of the pipe hog')
    ok('ok' in a.call('hog-release'), 'hog-release with nothing held is fine')
    for args, want, what in [({'kind': 'slab', 'bytes': 1}, 22, 'an unknown kind'),
                             ({'kind': 'movable', 'bytes': 0}, 34, 'zero bytes'),
                             ({'kind': 'movable'}, 22, 'missing bytes'),
                             ({'kind': 'movable', 'bytes': '1M'}, 22, 'string bytes')]:
        ok(err_of(a.call('hog', **args)) == want, 'hog rejects ' + what)

    # online / offline
    r = a.call('online', blocks=[16, 17], zone='online_movable')['ok']
    ok(r['failed'] == 0 and [x['block'] for x in r['results']] == [16, 17] and not r['timed_out'],
       'online: per-block results', r)
    ok(open(mem + '/memory16/state').read() == 'online_movable', 'online: wrote the zone to state')
    r = a.call('online', blocks=[99])['ok']
    ok(r['failed'] == 1 and r['results'][0]['errno'] == 2, 'online: missing block gives ENOENT', r)
    r = a.call('online', blocks=[17], zone='online_movable', report=True)['ok']
    ok(r['failed'] == 0 and r['meminfo'] == {'MemTotal': 1010168} and len(r['blocks']) == 1 and
       r['blocks'][0]['index'] == 17 and r['blocks'][0]['state'] == 'online_movable' and 'valid_zones' in r['blocks'][0],
       'online report: MemTotal and the block states', r)
    ok('meminfo' not in a.call('online', blocks=[17])['ok'], 'online: no report unless asked')
    r = a.call('offline', blocks=[16], timeout_ms=5000)['ok']
    ok(r['failed'] == 0 and open(mem + '/memory16/state').read().startswith('offline'), 'offline', r)
    for args, what in [({'blocks': [16], 'zone': 'online_dma'}, 'bad zone'),
                       ({'blocks': []}, 'empty blocks'),
                       ({'blocks': ['x']}, 'non-integer block'),
                       ({'blocks': [-1]}, 'negative block'),
                       ({'blocks': 16}, 'blocks not an array'),
                       ({'zone': 'online'}, 'missing blocks'),
                       ({'blocks': [16], 'timeout_ms': -5}, 'negative timeout'),
                       ({'blocks': [16], 'bogus': 1}, 'unknown argument')]:
        m = a.call('online', **args)
        ok(err_of(m) in (22, 34), 'online rejects ' + what, m)

    # a state file that hangs: the child is killed at the deadline, the loop answers meanwhile
    os.makedirs(mem + '/memory21')
    os.mkfifo(mem + '/memory21/state')
    a.next_id += 1
    hang_id = a.next_id
    a.send_raw((json.dumps({'id': hang_id, 'cmd': 'offline', 'args': {'blocks': [21], 'timeout_ms': 800}}) + '\n').encode())
    t0 = time.monotonic()
    p = a.call('ping')
    ok('ok' in p and time.monotonic() - t0 < 0.5 and p['ok']['children'] == 1,
       'ping answers while an offline hangs in a child', p)
    r = a.reply()
    ok(r.get('id') == hang_id and r['ok']['timed_out'] and r['ok']['results'][0]['errno'] == 110,
       'hung offline reports ETIMEDOUT at its deadline', r)
    time.sleep(0.2)
    ok(a.call('ping')['ok']['children'] == 0, 'the killed child was reaped')

    # wait-blocks
    m = a.call('wait-blocks', phys_start=0x80000000, size=512 << 20)
    ok('ok' in m and m['ok']['first'] == 16 and m['ok']['last'] == 19, 'wait-blocks: present range returns at once', m)
    m = a.call('wait-blocks', phys_start=0x80000000, size=512 << 20, report=True)
    ok(m['ok']['meminfo'] == {'MemTotal': 1010168}, 'wait-blocks report: MemTotal', m)
    m = a.call('wait-blocks', phys_start=0xa0000000, size=128 << 20, timeout_ms=200)
    ok(err_of(m) == 110, 'wait-blocks: missing block times out', m)
    a.next_id += 1
    wid = a.next_id
    a.send_raw((json.dumps({'id': wid, 'cmd': 'wait-blocks',
                            'args': {'phys_start': 0xa0000000, 'size': 256 << 20, 'timeout_ms': 5000}}) + '\n').encode())
    time.sleep(0.1)
    os.makedirs(mem + '/memory20')
    os.makedirs(mem + '/memory22')
    r = a.reply()
    ok(r.get('id') == wid and 'ok' in r and r['ok']['elapsed_ns'] < 4e9, 'wait-blocks: wakes when blocks appear', r)
    a.next_id += 1
    wid = a.next_id
    a.send_raw((json.dumps({'id': wid, 'cmd': 'wait-blocks',
                            'args': {'phys_start': 0xa0000000, 'size': 128 << 20, 'present': False}}) + '\n').encode())
    time.sleep(0.1)
    os.rmdir(mem + '/memory20')
    r = a.reply()
    ok(r.get('id') == wid and 'ok' in r, 'wait-blocks present=false: wakes when blocks vanish', r)
    for args, what in [({'phys_start': 0x80001000, 'size': 128 << 20}, 'misaligned start'),
                       ({'phys_start': 0x80000000, 'size': 0}, 'zero size'),
                       ({'phys_start': 0x80000000}, 'missing size'),
                       ({'phys_start': '0x80000000', 'size': 1}, 'string start'),
                       ({'phys_start': 0x80000000, 'size': 128 << 20, 'present': 1}, 'non-boolean present')]:
        m = a.call('wait-blocks', **args)
        ok(err_of(m) in (22, 34), 'wait-blocks rejects ' + what, m)

    # snapshot
    s = a.call('snapshot')['ok']
    lm = [x for x in s['ptdump']['sections'] if x['name'] == 'Linear Mapping'][0]
    ok(lm['mapped_bytes'] == 1066598400 and lm['table_pages'] == 514, 'snapshot: Linear Mapping summary', lm)
    ok(s['meminfo']['MemTotal'] == 1010168 and s['vmstat']['nr_page_table_pages'] == 49, 'snapshot: meminfo and vmstat')
    ok(open(root + '/proc/sys/vm/stat_refresh').read() == '1',
       'snapshot: the per-CPU counters are folded (stat_refresh written) before they are read')
    ok('ptdump_raw' not in s and 'errors' not in s, 'snapshot: summary only, no errors', s.get('errors'))
    s = a.call('snapshot', ptdump='raw', raw_procfs=True, drop_caches=True)['ok']
    ok(s['ptdump_raw'] == open(FIX + '/guest-7.3-512M/ptdump.before.txt').read(), 'snapshot raw: ptdump text verbatim')
    ok(s['meminfo_raw'].startswith('MemTotal:') and s['vmstat_raw'], 'snapshot raw_procfs')
    s = a.call('snapshot', ptdump='none')['ok']
    ok('ptdump' not in s and s['meminfo']['MemTotal'] == 1010168, 'snapshot ptdump=none', s.keys())
    m = a.call('snapshot', ptdump='full')
    ok(err_of(m) == 22, 'snapshot rejects ptdump=full', m)
    os.rename(root + '/sys/kernel/debug/kernel_page_tables', root + '/ptdump.saved')
    s = a.call('snapshot')['ok']
    ok(s['ptdump'] is None and 'kernel_page_tables' in s['errors']['ptdump'] and s['meminfo'],
       'snapshot without ptdump: null with an error, meminfo kept', s.get('errors'))
    write(root + '/sys/kernel/debug/kernel_page_tables', '0xffff000000000000-0xffff000040000000 1G PUD\ngarbage\n')
    s = a.call('snapshot')['ok']
    ok(s['ptdump'] is None and 'line 2' in s['errors']['ptdump'], 'snapshot: malformed ptdump names the line',
       s.get('errors'))
    os.unlink(root + '/sys/kernel/debug/kernel_page_tables')
    os.mkfifo(root + '/sys/kernel/debug/kernel_page_tables')
    t0 = time.monotonic()
    m = a.call('snapshot', timeout_ms=500)
    ok(err_of(m) == 110 and 0.4 < time.monotonic() - t0 < 3, 'snapshot: a hung ptdump read times out', m)
    os.unlink(root + '/sys/kernel/debug/kernel_page_tables')
    os.rename(root + '/ptdump.saved', root + '/sys/kernel/debug/kernel_page_tables')

    # stressors: children counting into shared memory
    m = a.call('stressor-start', name='pt', kind='ptdump', rate_hz=200)
    ok('ok' in m and m['ok']['running'] and m['ok']['kind'] == 'ptdump', 'stressor-start ptdump', m)
    m = a.call('stressor-start', name='churn', kind='vmalloc-churn', rate_hz=100, cpu=0)
    ok('ok' in m, 'stressor-start vmalloc-churn pinned to cpu 0', m)
    m = a.call('stressor-start', name='cmd', kind='command', argv=['/bin/true'], rate_hz=50)
    ok('ok' in m, 'stressor-start command /bin/true', m)
    time.sleep(0.5)
    st = a.call('stressors')['ok']
    ok(st['pt']['ops'] > 10 and st['churn']['ops'] > 5 and st['cmd']['ops'] > 2 and
       all(v['errors'] == 0 for v in st.values()), 'stressor counters rise, no errors', st)
    snap = a.call('snapshot', quiet=True, ptdump='none')['ok']
    ok(set(snap['stressors']) == {'pt', 'churn', 'cmd'} and not any(v['paused'] for v in snap['stressors'].values()),
       'a quiet snapshot reports stressors and resumes them', snap['stressors'])
    before = a.call('stressors')['ok']['pt']['ops']
    time.sleep(0.3)
    ok(a.call('stressors')['ok']['pt']['ops'] > before, 'stressors run again after the quiet snapshot')
    ok(err_of(a.call('stressor-start', name='pt', kind='ptdump')) == 16, 'starting a running stressor is EBUSY')
    m = a.call('stressor-stop', name='pt')
    ok('ok' in m and m['ok']['pt']['ops'] > 0, 'stressor-stop one', m)
    time.sleep(0.2)
    ok(a.call('stressors')['ok']['pt']['running'] is False, 'the stopped stressor is reaped')
    stopped_ops = a.call('stressors')['ok']['pt']['ops']
    m = a.call('stressor-start', name='pt', kind='ptdump', rate_hz=10)
    ok('ok' in m and m['ok']['ops'] >= stopped_ops > 0, 'a restarted stressor keeps counting from where it was', m)
    m = a.call('stressor-start', name='pt4', kind='ptdump', readers=4, rate_hz=20)
    time.sleep(0.3)
    group = m.get('ok', {}).get('pid', 0)
    walkers = []
    for d in filter(str.isdigit, os.listdir('/proc')):
        try:
            if int(open('/proc/%s/stat' % d).read().rsplit(')', 1)[1].split()[2]) == group:
                walkers.append(d)
        except (OSError, ValueError, IndexError):
            pass
    ok(group > 0 and len(walkers) == 4, 'a ptdump stressor with readers = 4 is four walkers in its group',
       (m, walkers))
    m = a.call('stressor-stop')
    ok('ok' in m and set(m['ok']) == {'pt', 'churn', 'cmd', 'pt4'}, 'stressor-stop all', m)
    for args, want, what in [({'name': 'x', 'kind': 'fork-bomb'}, 22, 'an unknown kind'),
                             ({'name': 'x', 'kind': 'command'}, 22, 'a command without argv'),
                             ({'name': 'x', 'kind': 'command', 'argv': ['true']}, 22, 'a relative argv[0]'),
                             ({'name': 'x', 'kind': 'ptdump', 'cpu': 4096}, 22, 'an offline cpu'),
                             ({'name': 'x', 'kind': 'ptdump', 'rate_hz': -1}, 34, 'a negative rate'),
                             ({'name': 'x', 'kind': 'ptdump', 'readers': 0}, 34, 'zero readers'),
                             ({'name': 'x', 'kind': 'ptdump', 'readers': 65}, 34, '65 readers'),
                             ({'name': 'x', 'kind': 'ptdump', 'efi': 1}, 22, 'efi as a number'),
                             ({'name': '', 'kind': 'ptdump'}, 22, 'an empty name')]:
        ok(err_of(a.call('stressor-start', **args)) == want, 'stressor-start rejects ' + what)
    ok(err_of(a.call('stressor-stop', name='nope')) == 2, 'stressor-stop of an unknown name')
    ok(err_of(a.call('inject', kind='panic')) == 1 and err_of(a.call('inject', kind='hang')) == 1,
       'inject panic and hang are refused under a sysroot')
    ok(err_of(a.call('inject', kind='warn')) == 2, 'inject warn without the module: ENOENT')
    ok(err_of(a.call('inject', kind='oops')) == 22, 'inject rejects an unknown kind')

    # kernel log
    e = a.wait_event('kmsg')
    ok(e and e['match'] == 'WARNING:' and e['level'] == 4 and e['seq'] == 812, 'kmsg event for a WARNING', e)
    d = a.call('dmesg')['ok']
    ok('[   21.319760] WARNING: CPU: 1' in d['text'], 'dmesg text', d)
    ok(err_of(a.call('dmesg', max_bytes=10)) == 34, 'dmesg rejects a tiny max_bytes')
    e = a.wait_event('heartbeat')
    ok(e and e['seq'] >= 1 and 'ts_ns' in e, 'heartbeat events', e)

    # malformed input: each gets an error reply, then the agent still answers
    bad = [
        (b'this is not json\n', 74, 'non-JSON'),
        (b'{"id": 1, "cmd": "ping"} trailing\n', 74, 'trailing data'),
        (b'[1, 2, 3]\n', 74, 'not an object'),
        (b'{"id": 1, "cmd": "ping"\n', 74, 'truncated JSON'),
        (b'{"id": 1, "cmd": "pi\x00ng"}\n', 74, 'NUL byte'),
        (b'{"id": 1, "cmd": "ping", "x": 1}\n', 22, 'unknown member'),
        (b'{"id": "1", "cmd": "ping"}\n', 22, 'string id'),
        (b'{"id": -1, "cmd": "ping"}\n', 22, 'negative id'),
        (b'{"cmd": "ping"}\n', 22, 'missing id'),
        (b'{"id": 1, "cmd": 5}\n', 22, 'integer cmd'),
        (b'{"id": 1}\n', 22, 'missing cmd'),
        (b'{"id": 1, "cmd": "ping", "args": [1]}\n', 22, 'array args'),
        (b'{"id": 1, "cmd": "ping", "args": {"x": 1}}\n', 22, 'unknown argument to ping'),
        (b'{"id": 1, "cmd": "format-disk"}\n', 38, 'unknown command'),
        (b'{"id": 1, "cmd": "ping", "args": ' + b'[' * 17 + b']' * 17 + b'}\n', 40, 'too deep'),
        (b'{"id": 1, "cmd": "' + b'x' * (70 << 10) + b'"}\n', 90, 'line over 64 KiB'),
        (b'{"id": 1, "cmd": "' + b'y' * (200 << 10), 90, 'line over 64 KiB, split'),
    ]
    for data, want, what in bad:
        a.send_raw(data)
        if not data.endswith(b'\n'):
            a.send_raw(b'still the same line"}\n')
        m = a.reply()
        ok(err_of(m) == want, 'rejects %s with errno %d' % (what, want), m)
    a.send_raw(b'\n\r\n')
    ok('ok' in a.call('ping'), 'empty lines are ignored, agent still answers')
    a.send_raw(b'{"id": 7, "cmd": "ping"}\r\n')
    ok(a.reply().get('id') == 7, 'CRLF line endings accepted')

    # reconnect: a new host connection replaces the old one
    a.s.close()
    a.connect()
    ok('ok' in a.call('ping'), 'reconnect after the host went away')

    # poweroff under a sysroot is simulated and ends the agent
    m = a.call('poweroff')
    ok(m['ok']['simulated'] is True, 'poweroff is simulated under MHPSTRESS_SYSROOT', m)
    try:
        rc = a.proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        a.proc.kill()
        rc = None
    ok(rc == 0, 'agent exits cleanly after poweroff', rc)
    a = Agent(root)
    m = a.call('reboot')
    ok(m['ok']['simulated'] is True, 'reboot is simulated under MHPSTRESS_SYSROOT', m)
    try:
        rc = a.proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        a.proc.kill()
        rc = None
    ok(rc == 0, 'agent exits cleanly after reboot', rc)

    hroot = tempfile.mkdtemp(prefix='mhp-agent-hostile-')
    make_sysroot(hroot)
    hostile_tests(hroot)
    shutil.rmtree(hroot)

    # bad command lines
    r = subprocess.run([AGENT, '--listen', 'tcp:1'], capture_output=True, text=True)
    ok(r.returncode == 2 and "--listen 'tcp:1'" in r.stderr, 'rejects --listen tcp:', r.stderr)
    r = subprocess.run([AGENT, '--heartbeat-ms', 'soon'], capture_output=True, text=True)
    ok(r.returncode == 2 and 'soon' in r.stderr, 'rejects a bad --heartbeat-ms', r.stderr)
    r = subprocess.run([AGENT], capture_output=True, text=True, env=dict(os.environ, MHPSTRESS_SYSROOT=root))
    ok(r.returncode == 1 and 'virtio port' in r.stderr, 'no virtio port: clear error', r.stderr)

    shutil.rmtree(root)
    print('1..%d' % n)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
