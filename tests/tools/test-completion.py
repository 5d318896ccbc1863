#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""test-completion.py - completion/mhpstress.bash, sourced in bash.

usage: test-completion.py COMPLETION_SCRIPT

Each case sets COMP_WORDS and COMP_CWORD as bash does, calls _mhpstress in
a directory holding scenario files, a results directory and other files,
and compares COMPREPLY. Run ids come from a stand-in for 'mhpstress list'.
Prints TAP.
"""
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

n = 0
failed = 0


def main():
    global n, failed
    if len(sys.argv) != 2:
        print('Bail out! usage: test-completion.py COMPLETION_SCRIPT')
        return 1
    script = os.path.abspath(sys.argv[1])
    bash = shutil.which('bash')
    if not bash:
        print('Bail out! no bash')
        return 1
    tmp = tempfile.mkdtemp(prefix='test-completion-')
    for name in ('smoke.ini', 'soak.ini', 'notes.txt', 'a.json'):
        open(os.path.join(tmp, name), 'w').close()
    os.makedirs(os.path.join(tmp, 'res-a'))
    open(os.path.join(tmp, 'res-a', 'run.json'), 'w').close()
    os.makedirs(os.path.join(tmp, 'res-b', 'snapshots'))
    os.makedirs(os.path.join(tmp, 'scenarios'))
    fake = os.path.join(tmp, 'fake-mhpstress')
    with open(fake, 'w') as f:
        f.write('#!/bin/sh\n'
                '[ "$1" = --socket ] && { echo "$2" > "%s/socket-seen"; shift 2; }\n'
                '[ "$1" = list ] || exit 2\n'
                'printf "%%-40s %%s\\n" RUN STATE\n'
                'printf "%%-40s %%s\\n" 20261206-0301-smoke-ab12 running\n'
                'printf "%%-40s %%s\\n" 20261205-2200-soak-cd34 finished\n' % tmp)
    os.chmod(fake, 0o755)

    def complete(line):
        words = line.split(' ')
        words[0] = fake if words[0] == 'mhpstress' else words[0]
        prog = ('source %s\ncd %s\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\n_mhpstress\nprintf "%%s\\n" "${COMPREPLY[@]}"\n'
                % (shlex.quote(script), shlex.quote(tmp), ' '.join(shlex.quote(w) for w in words), len(words) - 1))
        p = subprocess.run([bash, '--norc', '--noprofile', '-c', prog], capture_output=True, text=True, timeout=30)
        if p.returncode:
            return ['<bash exit %d: %s>' % (p.returncode, p.stderr.strip())]
        return sorted(w for w in p.stdout.split('\n') if w)

    def case(line, want, what):
        global n, failed
        got = complete(line)
        n += 1
        good = got == sorted(want)
        failed += not good
        print('%s %d - %s' % ('ok' if good else 'not ok', n, what))
        if not good:
            print('#   %r: got %r, want %r' % (line, got, sorted(want)))

    case('mhpstress ', ['run', 'fleet', 'compare', 'report', 'bugreport', 'snapshot', 'doctor', 'start', 'list', 'status', 'stop',
                        'follow', 'results', 'help', '--socket', '--version', '--help'], 'the verbs and global options')
    case('mhpstress st', ['start', 'status', 'stop'], 'a verb from its start')
    case('mhpstress run ', ['smoke.ini', 'soak.ini', 'res-a', 'res-b', 'scenarios'],
         'run: scenario files (and directories to descend), not other files')
    case('mhpstress run --re', ['--results', '--replay'], 'run: its options')
    case('mhpstress run --replay ', ['res-a', 'res-b'], '--replay: results directories only')
    case('mhpstress run smoke.ini --backend ', ['qemu', 'libvirt'], '--backend: the backends')
    case('mhpstress compare re', ['res-a', 'res-b'], 'compare: results directories')
    case('mhpstress compare --', ['--json', '--help'], 'compare: its options')
    case('mhpstress report re', ['res-a', 'res-b'], 'report: results directories')
    case('mhpstress report res-a --', ['--output', '--help'], 'report: its options')
    case('mhpstress report res-a -o no', ['notes.txt'], 'report -o: a file')
    case('mhpstress doctor --', ['--kernel', '--config', '--firmware', '--help'], 'doctor: its options')
    case('mhpstress status ', ['20261206-0301-smoke-ab12', '20261205-2200-soak-cd34'],
         'status: the run ids mhpstress list gives')
    case('mhpstress --socket /tmp/ctl stop 2026120', ['20261206-0301-smoke-ab12', '20261205-2200-soak-cd34'],
         'stop after --socket: the run ids')
    try:
        with open(os.path.join(tmp, 'socket-seen')) as f:
            seen = f.read().strip()
    except OSError:
        seen = None
    n += 1
    failed += seen != '/tmp/ctl'
    print('%s %d - and list is asked at that --socket' % ('ok' if seen == '/tmp/ctl' else 'not ok', n))
    case('mhpstress help c', ['compare'], 'help: the verbs')
    case('mhpstress help r', ['run', 'report', 'results'], 'help: report among the verbs')
    case('/nonexistent/mhpstress follow ', [], 'no daemon (list fails): no ids, no error')
    print('1..%d' % n)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
