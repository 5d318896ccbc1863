#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""test-cli-usage.py - mhpstress's command line where no guest is booted.

usage: test-cli-usage.py MHPSTRESS SCENARIOS_DIR

Global options anywhere, help and --version, option errors that name the
option, exit 125 when the guest to boot is missing (also through --replay
with a string seed), 2 for usage errors, report's files. Prints TAP.
"""
import json
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
        for line in str(got).splitlines()[-12:]:
            print('#   ' + line)


def main():
    if len(sys.argv) != 3:
        print('Bail out! usage: test-cli-usage.py MHPSTRESS SCENARIOS_DIR')
        return 1
    exe, scenarios = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    smoke = os.path.join(scenarios, 'smoke.ini')
    tmp = tempfile.mkdtemp(prefix='test-cli-usage-')
    env = dict(os.environ, LC_ALL='C.UTF-8')

    def run(*args):
        p = subprocess.run([exe] + list(args), capture_output=True, text=True, env=env, timeout=30, cwd=tmp)
        return p.returncode, p.stdout, p.stderr

    rc, out, _ = run('--version')
    ok(rc == 0 and out.startswith('mhpstress '), '--version', out)
    rc, out2, _ = run('list', '--version')
    ok(rc == 0 and out2 == out, '--version after the verb too', out2)

    rc, out, _ = run('help')
    ok(rc == 0 and 'usage: mhpstress run SCENARIO' in out and '--replay RESULTS_DIR' in out and '125' in out,
       'help: the usage on stdout, with --replay and exit 125', out)
    rc, out, _ = run('help', 'run')
    ok(rc == 0 and 'mhpstress run [OPTION' in out and 'SCENARIO' in out.splitlines()[1] and '--ktap' in out
       and '--replay' in out and '--quiet' in out, 'help run: "mhpstress run [OPTION...] SCENARIO" and its options', out)
    rc, out, _ = run('run', '--help')
    ok(rc == 0 and out.splitlines()[1].strip().startswith('mhpstress run ['), 'run --help names mhpstress run', out)
    rc, _, err = run('help', 'nope')
    ok(rc == 2 and "'nope'" in err, 'help of an unknown command: exit 2, named', err)
    rc, _, err = run('nope')
    ok(rc == 2 and "unknown command 'nope'" in err, 'an unknown command: exit 2, named', err)

    sock = os.path.join(tmp, 'no', 'sock')
    for args, where in ((['--socket', sock, 'list'], 'before the verb'), (['list', '--socket', sock], 'after the verb'),
                        (['list', '--socket=' + sock, '--json'], 'as --socket=PATH among the verb\'s options')):
        rc, _, err = run(*args)
        ok(rc != 0 and "'%s'" % sock in err, '--socket %s is used' % where, err)
    rc, _, err = run('list', '--socket')
    ok(rc == 2 and '--socket' in err, '--socket without a path: exit 2', err)

    for bad in ('-1', '0'):
        rc, _, err = run('run', smoke, '--cycles', bad)
        ok(rc == 2 and ('--cycles %s: expected a whole number of at least 1' % bad) in err,
           '--cycles %s is refused, naming the value' % bad, err)
    rc, _, err = run('start', smoke, '--cycles=-1', '--socket', sock)
    ok(rc == 2 and '--cycles -1' in err, 'start refuses --cycles -1 too', err)
    rc, _, err = run('run', smoke, '--seed', '-1')
    ok(rc == 2 and "--seed '-1'" in err, '--seed -1 is refused', err)

    rc, _, err = run('compare', '/nonexistent')
    ok(rc == 2 and "'/nonexistent': no such file or directory" in err, 'compare /nonexistent: no such file, named', err)
    rc, _, err = run('compare', smoke)
    ok(rc == 2 and 'give a second one' in err, 'compare with one snapshot file asks for a second', err)

    # two runs side by side (the numbers are checked in test-results-ab)
    runs = []
    for name, kernel, verdicts, pt in (('ra', '7.3.0', ['pass', 'pass'], 100), ('rb', '7.3.0-patched',
                                                                                   ['pass', 'online-failed'], 120)):
        d = os.path.join(tmp, name)
        os.makedirs(os.path.join(d, 'snapshots'))
        with open(os.path.join(d, 'run.json'), 'w') as f:
            json.dump({'seed': '7', 'guest': {'kernel': kernel}, 'scenario': {'name': 'smoke'}}, f)
        with open(os.path.join(d, 'cycles.jsonl'), 'w') as f:
            for i, v in enumerate(verdicts):
                f.write(json.dumps({'cycle': i + 1, 'verdict': v,
                                    'phases': {'add': {'start_ns': 0, 'end_ns': (i + 1) * 1000000}}}) + '\n')
        for snap in ('end', 'baseline'):
            with open(os.path.join(d, 'snapshots', snap + '.json'), 'w') as f:
                json.dump({'meminfo': {'PageTables': pt}}, f)
        runs.append(d)
    rc, out, err = run('compare', *runs)
    ok(rc == 1 and '7.3.0-patched' in out and 'online-failed' in out and '+20' in out,
       'compare RUN_A RUN_B: kernels, failures and the end state side by side, exit 1 on unequal ends', (rc, out, err))
    rc, out, err = run('compare', '--json', *runs)
    rep = json.loads(out) if rc in (0, 1) else {}
    ok(rep.get('failures', {}).get('online-failed') == {'a': 0, 'b': 1} and rep.get('same_seed') is True
       and rep['latency_ms']['add']['b']['max'] == 2.0 and rep['end']['b'].endswith('rb/snapshots/end.json'),
       'compare --json RUN_A RUN_B', out)
    rc, _, err = run('compare', runs[0], tmp)
    ok(rc == 2 and 'is not the results directory of a run' in err, 'a directory that is no run is named', err)

    # report: one run's page in it, two runs' in the current directory (the page itself: test-results-report)
    rc, out, _ = run('help', 'report')
    ok(rc == 0 and 'mhpstress report [OPTION' in out and 'RESULTS [RESULTS_B]' in out and '--output' in out,
       'help report: RESULTS [RESULTS_B] and --output', out)
    rc, _, err = run('report')
    ok(rc == 2 and 'expected RESULTS [RESULTS_B]' in err, 'report without a directory: exit 2, says what it needs', err)
    rc, _, err = run('report', runs[0], runs[1], tmp)
    ok(rc == 2 and 'expected RESULTS [RESULTS_B]' in err, 'report with three directories: exit 2', err)
    rc, _, err = run('report', '--bogus', runs[0])
    ok(rc == 2 and '--bogus' in err, 'report --bogus: exit 2, named', err)
    rc, _, err = run('report', os.path.join(tmp, 'missing'))
    ok(rc == 2 and "missing': no such directory" in err, 'report of a missing directory: exit 2, named', err)
    rc, _, err = run('report', tmp)
    ok(rc == 2 and 'is not the results directory of a run' in err, 'report of a directory that is no run: exit 2', err)
    rc, out, err = run('report', runs[0])
    page = os.path.join(runs[0], 'report.html')
    ok(rc == 0 and out.strip() == page and os.path.isfile(page) and (os.stat(page).st_mode & 0o777) == 0o600,
       'report RUN writes RUN/report.html, 0600, and prints its path', (rc, out, err))
    rc, out, err = run('report', *runs)
    ok(rc == 0 and out.strip() == 'report-ab.html' and os.path.isfile(os.path.join(tmp, 'report-ab.html')),
       'report RUN_A RUN_B writes ./report-ab.html', (rc, out, err))
    mine = os.path.join(tmp, 'mine.html')
    rc, out, err = run('report', runs[0], '-o', mine)
    ok(rc == 0 and os.path.isfile(mine) and '<svg' in open(mine).read(), 'report -o FILE writes FILE', (rc, out, err))
    rc, _, err = run('report', runs[0], '--output', os.path.join(tmp, 'no', 'dir', 'x.html'))
    ok(rc == 2 and 'x.html' in err, 'report to a file that cannot be written: exit 2, named', err)

    # exit 125: nothing to boot, so nothing could be tested (git bisect run: skip)
    gone = os.path.join(tmp, 'gone')
    rc, _, err = run('run', smoke, '--kernel', gone + '/Image', '--initrd', gone + '/initrd', '--results',
                     os.path.join(tmp, 'r1'))
    ok(rc == 125 and gone + '/Image' in err, 'a missing kernel: exit 125, named', (rc, err))
    ok(not os.path.exists(os.path.join(tmp, 'r1')), 'and no results directory is made')

    with open(smoke) as f:
        text = f.read()
    rdir = os.path.join(tmp, 'recorded')
    os.mkdir(rdir)
    run_json = {'seed': '15153715275266450073', 'kernel_image': gone + '/Image', 'initrd': gone + '/initrd',
                'scenario': {'path': smoke, 'text': text}}
    with open(os.path.join(rdir, 'run.json'), 'w') as f:
        json.dump(run_json, f)
    rc, _, err = run('run', '--replay', rdir)
    ok(rc == 125 and gone + '/Image' in err, '--replay takes the string seed; its missing kernel: exit 125', (rc, err))
    run_json['seed'] = '12x'
    with open(os.path.join(rdir, 'run.json'), 'w') as f:
        json.dump(run_json, f)
    rc, _, err = run('run', '--replay', rdir)
    ok(rc == 2 and "'12x' is not a whole number" in err, '--replay with a bad seed: exit 2, named', (rc, err))
    run_json['seed'] = 15153715275266450073
    with open(os.path.join(rdir, 'run.json'), 'w') as f:
        json.dump(run_json, f)
    rc, _, err = run('run', '--replay', rdir)
    ok(rc == 125, '--replay still reads a legacy integer seed', (rc, err))

    subprocess.run(['rm', '-rf', tmp])
    print('1..%d' % n)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
