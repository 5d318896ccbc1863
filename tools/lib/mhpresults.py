# SPDX-License-Identifier: GPL-2.0-or-later
# mhpresults.py - a results directory's cycle records for the project's
# Python tools, read as mhp_results_foreach_cycle() reads them
# (docs/results-format.md, "cycles.jsonl"): the closed segments
# cycles.NNNN.jsonl.gz (or cycles.NNNN.jsonl where compressing failed) by
# number, then the open cycles.jsonl. A line that does not parse (a killed
# writer's last) is skipped.
import gzip
import json
import os
import re

_SEGMENT = re.compile(r'^cycles\.([0-9]{4})\.jsonl(\.gz)?$')


def cycle_files(rdir):
    """The files that hold the cycle records, in order."""
    try:
        names = os.listdir(rdir)
    except OSError:
        return []
    nums = sorted({int(m.group(1)) for m in map(_SEGMENT.match, names) if m and int(m.group(1)) > 0})
    files = []
    for n in nums:
        gz = os.path.join(rdir, 'cycles.%04d.jsonl.gz' % n)
        files.append(gz if os.path.isfile(gz) else gz[:-3])
    return files + [os.path.join(rdir, 'cycles.jsonl')]


def cycles(rdir):
    """Every cycle record of @rdir, in order."""
    out = []
    for path in cycle_files(rdir):
        try:
            f = gzip.open(path, 'rt') if path.endswith('.gz') else open(path)
        except OSError:
            continue
        with f:
            for line in f:
                try:
                    c = json.loads(line)
                except ValueError:
                    continue
                if isinstance(c, dict):
                    out.append(c)
    return out
