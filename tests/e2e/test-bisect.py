#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-bisect.py - `git bisect run tools/bisect-run` finds the commit that
# breaks the kernel, on a real git history of the kernel source:
#   base  the Debian source tools/check built (good)
#   c1    a comment in mm/memory_hotplug.c (good: one file recompiles)
#   c2    tools/mutants/hotplug-pgtable-no-dtor.patch (bad: pgtable-leak.ini
#         fails at cycle 1)
#   c3    a line in the documentation (bad)
# The repository is made once per source under ~/.cache/mhpstress/bisect-test
# (a copy and a `git add` of the tree: about a minute); the commits have
# fixed dates, so their ids and their kernels (cached by commit) are the
# same every run, and tools/build-kernel --src keeps one build tree for
# them: the first step is a cold build, every later one tens of seconds.
# Also: bisect-run's exit codes for a tree that does not build (125) and
# for a usage error (255).
#
# usage: test-bisect.py TOP MHPSTRESS
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guestlib import Tap, require_guest  # noqa: E402

# meson passes MHPSTRESS relative to the build directory; git bisect run
# runs each step in the kernel tree
TOP, MHP = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
CACHE = os.environ.get('MHPSTRESS_CACHE') or os.path.join(
    os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'), 'mhpstress')
ENV = dict(os.environ, GIT_AUTHOR_NAME='mhpstress', GIT_AUTHOR_EMAIL='mhpstress@localhost',
           GIT_COMMITTER_NAME='mhpstress', GIT_COMMITTER_EMAIL='mhpstress@localhost',
           GIT_AUTHOR_DATE='2026-01-01T00:00:00Z', GIT_COMMITTER_DATE='2026-01-01T00:00:00Z')


def git(repo, *args, check=True):
    return subprocess.run(['git', '-C', repo] + list(args), capture_output=True, text=True, env=ENV, check=check)


def build_info(kernel):
    info = {}
    for line in open(os.path.join(os.path.dirname(kernel), 'build-info')):
        k, _, v = line.rstrip('\n').partition('=')
        info[k] = v
    return info


def make_repo(tap, srcdir):
    """A git repository of the clean source, made once (its .complete says so)."""
    name = os.path.basename(srcdir.rstrip('/'))
    repo = os.path.join(CACHE, 'bisect-test', name)
    done = repo + '.complete'
    if os.path.exists(done):
        return repo
    t0 = time.monotonic()
    shutil.rmtree(repo, ignore_errors=True)
    os.makedirs(os.path.dirname(repo), exist_ok=True)
    subprocess.run(['cp', '-a', srcdir, repo], check=True)
    for f in ('.complete', '.config'):
        if os.path.exists(os.path.join(repo, f)):
            os.unlink(os.path.join(repo, f))
    git(repo, 'init', '-q', '-b', 'main')
    git(repo, 'add', '-A', '-f')  # Debian's .gitignore ignores the top level
    git(repo, 'commit', '-q', '-m', 'base: ' + name)
    git(repo, 'tag', '-f', 'base')
    open(done, 'w').close()
    tap.diag('made %s in %.0f s' % (repo, time.monotonic() - t0))
    return repo


def commit_edit(repo, path, line, message):
    p = os.path.join(repo, path)
    text = open(p).read()
    os.unlink(p)  # a new file: never write through a link into the cache's tree
    with open(p, 'w') as f:
        f.write(text + line)
    git(repo, 'commit', '-q', '-a', '-m', message)
    return git(repo, 'rev-parse', 'HEAD').stdout.strip()


def main():
    tap = Tap()
    kernel, _ = require_guest(tap)
    if not shutil.which('git'):
        tap.bail('git not found: apt-get install git')
    info = build_info(kernel)
    if not info.get('srcdir') or not os.path.isdir(info['srcdir']):
        tap.bail('the kernel %s has no source tree in its build-info' % kernel)
    repo = make_repo(tap, info['srcdir'])
    git(repo, 'bisect', 'reset', check=False)
    git(repo, 'checkout', '-q', '-f', '-B', 'mhp-bisect-test', 'base')
    git(repo, 'clean', '-q', '-f', '-d', '-e', '/mhpstress-bisect/')
    c1 = commit_edit(repo, 'mm/memory_hotplug.c', '/* mhpstress bisect test: a harmless change */\n', 'c1: a comment')
    subprocess.run(['git', '-C', repo, 'apply', os.path.join(TOP, 'tools/mutants/hotplug-pgtable-no-dtor.patch')],
                   check=True, env=ENV)
    git(repo, 'commit', '-q', '-a', '-m', 'c2: arm64/mm: the calibration mutant hotplug-pgtable-no-dtor')
    c2 = git(repo, 'rev-parse', 'HEAD').stdout.strip()
    c3 = commit_edit(repo, 'Documentation/admin-guide/mm/memory-hotplug.rst', '\n.. mhpstress bisect test\n',
                     'c3: a line of documentation')
    tap.diag('base..c3: %s %s %s' % (c1[:12], c2[:12], c3[:12]))

    run = [os.path.join(TOP, 'tools/bisect-run'), '--mhpstress', MHP, os.path.join(TOP, 'scenarios/pgtable-leak.ini'),
           '--cycles', '2', '--seed', '1']
    t0 = time.monotonic()
    git(repo, 'bisect', 'start', c3, 'base')
    p = subprocess.run(['git', '-C', repo, 'bisect', 'run'] + run, capture_output=True, text=True, env=ENV,
                       timeout=3000)
    took = time.monotonic() - t0
    log = git(repo, 'bisect', 'log', check=False).stdout
    git(repo, 'bisect', 'reset', check=False)
    steps = [l for l in p.stderr.splitlines() if ': running ' in l]
    tap.ok(p.returncode == 0 and (c2 + ' is the first bad commit') in p.stdout,
           'git bisect run finds c2, the commit that applies the mutant (%d steps, %.0f s)' % (len(steps), took),
           (p.returncode, p.stdout[-1500:], p.stderr[-3000:]))
    tap.ok('# good: [%s]' % c1 in log or c1 not in log, 'c1, a harmless change, is good when tested', log)

    # a tree that does not build: 125, and git bisect would skip it
    git(repo, 'checkout', '-q', '-f', '-B', 'mhp-bisect-broken', c1)
    commit_edit(repo, 'mm/memory_hotplug.c', 'this is not C;\n', 'broken: does not compile')
    p = subprocess.run(run, cwd=repo, capture_output=True, text=True, env=ENV, timeout=1800)
    tap.ok(p.returncode == 125 and 'does not build' in p.stderr, 'a commit that does not build: 125 (skip)',
           (p.returncode, p.stderr[-1500:]))
    git(repo, 'checkout', '-q', '-f', 'mhp-bisect-test')
    # usage errors abort a bisection: 255
    p = subprocess.run([os.path.join(TOP, 'tools/bisect-run'), '--boot-failure', 'maybe', 'x.ini'], cwd=repo,
                       capture_output=True, text=True)
    tap.ok(p.returncode == 255, 'a usage error: 255 (git bisect run stops)', (p.returncode, p.stderr))
    p = subprocess.run([os.path.join(TOP, 'tools/bisect-run'), '--mhpstress', MHP, '/nonexistent.ini'], cwd=repo,
                       capture_output=True, text=True)
    tap.ok(p.returncode == 255 and 'no such file' in p.stderr, 'a missing scenario: 255', (p.returncode, p.stderr))
    p = subprocess.run([os.path.join(TOP, 'tools/bisect-run'), '--mhpstress', 'no/such/mhpstress',
                        os.path.join(TOP, 'scenarios/pgtable-leak.ini')], cwd=repo, capture_output=True, text=True)
    tap.ok(p.returncode == 255 and 'no such executable' in p.stderr, 'a missing --mhpstress: 255, before any build',
           (p.returncode, p.stderr))
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
