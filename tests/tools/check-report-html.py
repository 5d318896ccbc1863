#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""check-report-html.py - render a report.html in headless Chromium and check it.

usage: check-report-html.py HTML [--screenshot PNG] [--chromium PATH] [--min-kb N]

Runs Debian's chromium (apt-get install chromium) headless, sandboxed from
the network (no first run, background networking, component updates or
sync) with a fresh profile, and takes a 1400x3000 screenshot. Fails
(exit 1, the reason on stderr) when:
- the page logs anything to the console ("CONSOLE:N]" or "CONSOLE(N)" lines,
  "Uncaught ...", "Failed to load resource"): report.html runs no script, and
  chromium logs console.error at INFO level, so any console line counts;
- the screenshot is missing, smaller than --min-kb (default 20), or of one
  colour (the PNG is decoded with zlib: 8-bit RGB or RGBA, no interlace).
Exit 2 when chromium is missing or cannot start.
"""
import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

CONSOLE = re.compile(r'CONSOLE[(:]\d+')


def chromium_argv(chromium, profile, png, html):
    return [chromium, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync',
            '--user-data-dir=' + profile, '--enable-logging=stderr', '--v=0', '--screenshot=' + png,
            '--window-size=1400,3000', 'file://' + os.path.abspath(html)]


def console_errors(stderr):
    """The page's console messages. Chromium logs them as ":INFO:CONSOLE:LINE]" (older ones
    "CONSOLE(LINE)"), console.error too, so the level cannot tell: report.html runs no script,
    so any message at all (an error, "Uncaught ...", a resource it failed to load) is one."""
    return [line for line in stderr.splitlines()
            if CONSOLE.search(line) or 'Uncaught' in line or 'Failed to load resource' in line]


def png_pixels(path):
    """(width, height, channels, rows of bytes) of an 8-bit, non-interlaced RGB(A) PNG."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG')
    pos, idat, hdr = 8, b'', None
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            hdr = struct.unpack('>IIBBBBB', chunk)
        elif kind == b'IDAT':
            idat += chunk
        pos += 12 + length
    w, h, depth, colour, _, _, interlace = hdr
    channels = {2: 3, 6: 4}.get(colour)
    if depth != 8 or not channels or interlace:
        raise ValueError('PNG of depth %d, colour type %d, interlace %d: not decoded here' % (depth, colour, interlace))
    raw = zlib.decompress(idat)
    stride = w * channels
    rows, prev = [], bytearray(stride)
    for y in range(h):
        ftype, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, channels, rows


def colours(path, step=7):
    """The distinct colours of every @step-th row (enough to tell a blank page from a drawn one)."""
    w, h, channels, rows = png_pixels(path)
    seen = set()
    for y in range(0, h, step):
        row = rows[y]
        for x in range(0, w * channels, channels):
            seen.add(row[x:x + 3])
    return seen


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('html')
    ap.add_argument('--screenshot', help='where to keep the PNG (default: a temporary file, removed)')
    ap.add_argument('--chromium', default=shutil.which('chromium') or '/usr/bin/chromium')
    ap.add_argument('--min-kb', type=int, default=20)
    args = ap.parse_args()
    if not os.path.isfile(args.html):
        print('check-report-html: %s: no such file' % args.html, file=sys.stderr)
        return 2
    if not os.access(args.chromium, os.X_OK):
        print('check-report-html: no chromium at %s (apt-get install chromium)' % args.chromium, file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix='check-report-html-')
    try:
        png = args.screenshot or os.path.join(tmp, 'shot.png')
        if os.path.exists(png):
            os.unlink(png)
        try:
            p = subprocess.run(chromium_argv(args.chromium, os.path.join(tmp, 'profile'), png, args.html),
                               capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as e:
            print('check-report-html: chromium did not run: %s' % e, file=sys.stderr)
            return 2
        errors = console_errors(p.stderr)
        for line in errors:
            print('check-report-html: %s' % line, file=sys.stderr)
        if not os.path.exists(png):
            print('check-report-html: no screenshot (chromium exit %d):\n%s' % (p.returncode, p.stderr[-2000:]),
                  file=sys.stderr)
            return 1
        kb = os.path.getsize(png) / 1024
        if kb < args.min_kb:
            print('check-report-html: the screenshot is %.1f KiB, under %d: blank?' % (kb, args.min_kb),
                  file=sys.stderr)
            return 1
        try:
            n = len(colours(png))
        except (ValueError, zlib.error) as e:
            print('check-report-html: cannot decode the screenshot: %s' % e, file=sys.stderr)
            return 1
        if n < 4:
            print('check-report-html: the screenshot has %d colours: blank' % n, file=sys.stderr)
            return 1
        print('check-report-html: %s: %.0f KiB screenshot, %d colours, no console error' % (args.html, kb, n))
        return 1 if errors else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
