#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-guest-boot.py - boot the project kernel and initramfs under TCG with
# UEFI; the agent must answer hello, list blocks and take a snapshot whose
# ptdump shows the Linear Mapping; one 512M DIMM must arrive and leave.
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guestlib import Guest, Tap, require_guest  # noqa: E402

MiB = 1 << 20


def main():
    tap = Tap()
    kernel, initrd = require_guest(tap)
    g = Guest(kernel, initrd)
    try:
        h = g.wait_agent()
        boot_s = time.monotonic() - g.t0
        print('# agent answered %.2f s after QEMU started' % boot_s)
        tap.ok('ok' in h, 'agent answers hello', h)
        h = h['ok']
        tap.ok(h['machine'] == 'aarch64' and h['page_size'] == 4096 and h['block_size'] == 128 * MiB,
               'hello: aarch64, 4K pages, 128M blocks', h)
        cfg = h['features']['config']
        tap.ok(cfg['CONFIG_ACPI_HOTPLUG_MEMORY'] == 'y' and cfg['CONFIG_MEMORY_HOTREMOVE'] == 'y',
               'hello: the kernel can hot-add and hot-remove', cfg)
        tap.ok(h['features']['ptdump'] and h['features']['test_vmalloc'], 'hello: ptdump and test_vmalloc present',
               h['features'])

        b = g.call('blocks')['ok']
        boot_blocks = [x for x in b['blocks'] if x['boot']]
        tap.ok(len(boot_blocks) >= 8 and all(x['state'] == 'online' for x in boot_blocks),
               'blocks: boot memory listed online', b)

        s = g.call('snapshot')['ok']
        lm = [x for x in s['ptdump']['sections'] if x['name'] == 'Linear Mapping']
        tap.ok(lm and lm[0]['mapped_bytes'] > 0, 'snapshot: Linear Mapping bytes > 0', s['ptdump']['sections'])
        base_lm = lm[0]
        tap.ok(s['meminfo']['MemTotal'] > 0 and 'nr_page_table_pages' in s['vmstat'], 'snapshot: meminfo and vmstat')
        p = g.call('ping')['ok']
        print('# agent RSS in the guest: %d kB' % p['rss_kb'])
        tap.ok(p['rss_kb'] > 0, 'ping reports the agent RSS')

        # one real hotplug: the kernel config must make blocks appear
        tap.ok(g.execute('object-add', **{'qom-type': 'memory-backend-ram', 'id': 'm0', 'size': 512 * MiB}).get('return') == {},
               'object-add memory-backend-ram')
        tap.ok(g.execute('device_add', driver='pc-dimm', id='d0', memdev='m0').get('return') == {}, 'device_add pc-dimm')
        ost = g.qmp_event('ACPI_DEVICE_OST', lambda d: d['info'].get('device') == 'd0' and d['info']['source'] == 1)
        tap.ok(ost['data']['info']['status'] == 0, 'insert OST status 0', ost)
        dev = g.execute('query-memory-devices')['return'][0]['data']
        w = g.call('wait-blocks', phys_start=dev['addr'], size=dev['size'], timeout_ms=10000)
        tap.ok('ok' in w, 'blocks of the DIMM appear in the guest', w)
        first, last = dev['addr'] // (128 * MiB), (dev['addr'] + dev['size']) // (128 * MiB) - 1
        r = g.call('online', blocks=list(range(first, last + 1)), zone='online_movable')
        tap.ok('ok' in r and r['ok']['failed'] == 0, 'online_movable', r)
        s2 = g.call('snapshot')['ok']
        lm2 = [x for x in s2['ptdump']['sections'] if x['name'] == 'Linear Mapping'][0]
        tap.ok(lm2['mapped_bytes'] - base_lm['mapped_bytes'] == 512 * MiB, 'Linear Mapping grew by exactly 512M',
               (base_lm['mapped_bytes'], lm2['mapped_bytes']))
        tap.ok(s2['meminfo']['MemTotal'] - s['meminfo']['MemTotal'] == 512 * 1024, 'MemTotal grew by exactly 512M')
        r = g.call('offline', blocks=list(range(first, last + 1)), timeout_ms=60000)
        tap.ok('ok' in r and r['ok']['failed'] == 0, 'offline', r)
        tap.ok(g.execute('device_del', id='d0').get('return') == {}, 'device_del')
        e = g.qmp_event('DEVICE_DELETED', lambda d: d.get('device') == 'd0', timeout=15)
        tap.ok(e is not None, 'DEVICE_DELETED')
        tap.ok(g.execute('object-del', id='m0').get('return') == {}, 'object-del')
        w = g.call('wait-blocks', phys_start=dev['addr'], size=dev['size'], present=False, timeout_ms=10000)
        tap.ok('ok' in w, 'blocks gone from the guest', w)
        s3 = g.call('snapshot')['ok']
        lm3 = [x for x in s3['ptdump']['sections'] if x['name'] == 'Linear Mapping'][0]
        tap.ok(lm3['digest'] == base_lm['digest'] and lm3['table_pages'] == base_lm['table_pages'],
               'Linear Mapping back to baseline exactly', (base_lm, lm3))
        tap.ok('Kernel panic' not in g.console_text(), 'no panic on the console')
    except Exception as ex:  # report, with the console, instead of a bare traceback
        tap.ok(False, 'guest session: %s: %s' % (type(ex).__name__, ex))
        print('# console tail:\n# ' + '\n# '.join(g.console_text().splitlines()[-30:]))
    finally:
        g.close()
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
