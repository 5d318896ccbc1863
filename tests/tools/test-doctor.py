#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""test-doctor.py - mhpstress doctor names what is missing and how to get it.

usage: test-doctor.py MHPSTRESS SOURCE_ROOT

PATH holds stand-ins for qemu-system-aarch64 and aarch64-linux-gnu-gcc (or
not), the firmware is a file made here (or not), libvirt is its test driver
(test:///default), the cache and daemon socket are under a temporary
directory; kernel configs are written here, as a .config and embedded in an
Image the way CONFIG_IKCONFIG does. Prints TAP.
"""
import gzip
import os
import subprocess
import sys
import tempfile

n = 0
failed = 0


def ok(cond, what, got=None):
    global n, failed
    n += 1
    failed += not cond
    print('%s %d - %s' % ('ok' if cond else 'not ok', n, what))
    if not cond and got is not None:
        for line in str(got).splitlines()[-20:]:
            print('#   ' + line)


def stub(bindir, name, line):
    path = os.path.join(bindir, name)
    with open(path, 'w') as f:
        f.write('#!/bin/sh\necho "%s"\n' % line)
    os.chmod(path, 0o755)


def main():
    if len(sys.argv) != 3:
        print('Bail out! usage: test-doctor.py MHPSTRESS SOURCE_ROOT')
        return 1
    exe, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tmp = tempfile.mkdtemp(prefix='test-doctor-')
    full, bare = os.path.join(tmp, 'bin'), os.path.join(tmp, 'bare')
    os.mkdir(full)
    os.mkdir(bare)
    stub(full, 'qemu-system-aarch64', 'QEMU emulator version 9.9.1')
    stub(full, 'aarch64-linux-gnu-gcc', '14.2.0')
    fw = os.path.join(tmp, 'QEMU_EFI.fd')
    with open(fw, 'wb') as f:
        f.write(b'\0' * 4096)
    cache = os.path.join(tmp, 'cache')
    os.makedirs(os.path.join(cache, 'kernels', 'k1'))
    with open(os.path.join(cache, 'kernels', 'k1', 'Image'), 'wb') as f:
        f.write(b'Image')
    env = dict(os.environ, LC_ALL='C.UTF-8', MHPSTRESS_CACHE=cache, MHPSTRESS_SOURCE_ROOT=root,
               LIBVIRT_DEFAULT_URI='test:///default', XDG_RUNTIME_DIR=tmp)

    def doctor(path, *args):
        p = subprocess.run([exe, '--socket', os.path.join(tmp, 'control'), 'doctor', '--firmware', fw] + list(args),
                           capture_output=True, text=True, env=dict(env, PATH=path), timeout=60)
        return p.returncode, p.stdout, p.stderr

    def line(out, what):
        return next((l for l in out.splitlines() if l.split(None, 1)[-1].startswith(what + ':')), '')

    # the fragment's options, all as wanted: a good .config
    want = []
    with open(os.path.join(root, 'tools', 'kconfig', 'mhpstress.config')) as f:
        for l in f:
            l = l.strip()
            if l.startswith('CONFIG_') and '=' in l:
                want.append(l)
    good = '\n'.join(w.replace('=m', '=y') for w in want) + '\n# CONFIG_KASAN is not set\n'
    good_cfg = os.path.join(tmp, 'good.config')
    with open(good_cfg, 'w') as f:
        f.write(good)

    rc, out, err = doctor(full, '--config', good_cfg)
    ok(rc == 0 and '0 missing' in out, 'everything present: exit 0, nothing missing', (rc, out, err))
    ok(line(out, 'qemu-system-aarch64').startswith('ok') and 'QEMU emulator version 9.9.1' in out,
       'qemu-system-aarch64 found, with its version', out)
    ok(line(out, 'aarch64-linux-gnu-gcc').startswith('ok') and '14.2.0' in out, 'the cross compiler, with its version',
       out)
    ok(line(out, 'UEFI firmware').startswith('ok') and fw in out, 'the firmware', out)
    ok(line(out, 'libvirt').startswith('ok') and 'test:///default' in line(out, 'libvirt'),
       'libvirt answers at LIBVIRT_DEFAULT_URI', out)
    ok(line(out, 'kernel').startswith('ok') and 'k1/Image' in line(out, 'kernel'), 'the cached kernel', out)
    ok(line(out, 'mhpstressd').startswith('WARN') and os.path.join(tmp, 'control') in out,
       'no daemon: a warning naming the socket, not a failure', out)
    ok('has all %d options' % len(want) in out, 'the .config has all %d options' % len(want), out)
    ok(all(l.split(None, 1)[0] in ('ok', 'WARN', 'MISSING') for l in out.splitlines()[:-1]),
       'every line is ok, WARN or MISSING', out)

    rc, out, err = doctor(bare)
    q = line(out, 'qemu-system-aarch64')
    ok(rc == 1 and q.startswith('MISSING') and 'apt-get install qemu-system-arm' in q,
       'no qemu on PATH: MISSING, with its package, exit 1', (rc, out))
    ok('gcc-aarch64-linux-gnu' in line(out, 'aarch64-linux-gnu-gcc'), 'no cross compiler: its package named', out)

    rc, out, err = doctor(full, '--firmware', os.path.join(tmp, 'nope.fd'))
    ok(rc == 1 and 'qemu-efi-aarch64' in line(out, 'UEFI firmware') and 'nope.fd' in out,
       'no firmware: MISSING, the file and qemu-efi-aarch64 named', (rc, out))

    bad = good.replace('CONFIG_MEMORY_HOTREMOVE=y\n', '# CONFIG_MEMORY_HOTREMOVE is not set\n')
    bad_cfg = os.path.join(tmp, 'bad.config')
    with open(bad_cfg, 'w') as f:
        f.write(bad)
    rc, out, err = doctor(full, '--config', bad_cfg)
    m = line(out, 'CONFIG_MEMORY_HOTREMOVE')
    ok(rc == 1 and m.startswith('MISSING') and 'wants y' in m and 'it unset' in m,
       'a .config without MEMORY_HOTREMOVE: that option MISSING', (rc, out))
    ok(sum(l.startswith('MISSING') for l in out.splitlines()) == 1, 'and only that one', out)

    # an Image with the config embedded (IKCONFIG), raw and as Image.gz
    image = os.path.join(tmp, 'Image')

    def kimage(config):
        return b'\x00MZ' + os.urandom(3000) + b'IKCFG_ST' + gzip.compress(config.encode()) + b'IKCFG_ED' + os.urandom(500)
    body = kimage(bad)
    with open(image, 'wb') as f:
        f.write(body)
    rc, out, err = doctor(full, '--kernel', image)
    ok(rc == 1 and line(out, 'CONFIG_MEMORY_HOTREMOVE').startswith('MISSING') and image in out,
       'the config embedded in an Image is read (IKCFG_ST)', (rc, out))
    with open(image + '.gz', 'wb') as f:
        f.write(gzip.compress(kimage(good)))
    rc, out, err = doctor(full, '--kernel', image + '.gz')
    ok(rc == 0 and 'has all' in out, 'and in an Image.gz', (rc, out))
    plain = os.path.join(tmp, 'Image.plain')
    with open(plain, 'wb') as f:
        f.write(os.urandom(4000))
    rc, out, err = doctor(full, '--kernel', plain)
    ok(rc == 1 and 'no embedded config' in out and '--config' in out, 'an Image without IKCONFIG: said, with --config',
       (rc, out))

    rc, out, err = doctor(full, '--kernel', image, '--config', good_cfg)
    ok(rc == 2 and 'not both' in err, '--kernel and --config together: a usage error', (rc, err))
    rc, out, err = doctor(full, image)
    ok(rc == 2 and "unexpected argument '%s'" % image in err and '--kernel' in err,
       'a bare argument is named, with --kernel suggested', (rc, err))

    print('1..%d' % n)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
