// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-procfs.c - meminfo and vmstat parsing on captures from a 7.3 guest.
 */
#include <errno.h>

#include "procfs.h"
#include "tap.h"

static const char *fixtures;

static struct procfs_kv *parse(const char *rel, enum procfs_format fmt, size_t *n)
{
	char path[1024];
	struct procfs_kv *kv = NULL;
	unsigned line = 0;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", fixtures, rel);
	char *buf = tap_slurp(path, &len);
	int r = procfs_parse(buf, len, fmt, &kv, n, &line);
	tap_ok(r == 0, "%s parses (r=%d line=%u)", rel, r, line);
	free(buf);
	return kv;
}

static uint64_t get(const struct procfs_kv *kv, size_t n, const char *name)
{
	uint64_t v = UINT64_MAX;

	tap_ok(procfs_lookup(kv, n, name, &v) == 0, "has %s", name);
	return v;
}

int main(int argc, char **argv)
{
	size_t nb, np, na, vb, vp, va;
	struct procfs_kv *mb, *mp, *ma, *sb, *sp, *sa;

	fixtures = argc > 1 ? argv[1] : "tests/fixtures";
	mb = parse("guest-7.3-512M/meminfo.before.txt", PROCFS_MEMINFO, &nb);
	mp = parse("guest-7.3-512M/meminfo.plugged.txt", PROCFS_MEMINFO, &np);
	ma = parse("guest-7.3-512M/meminfo.after.txt", PROCFS_MEMINFO, &na);
	TAP_EQ_U64(nb, 40, "meminfo entries");
	TAP_EQ_U64(get(mb, nb, "MemTotal"), 1010168, "MemTotal before (kB)");
	TAP_EQ_U64(get(mp, np, "MemTotal"), 1010168 + 524288, "MemTotal plugged: +512M exactly");
	TAP_EQ_U64(get(ma, na, "MemTotal"), 1010168, "MemTotal after: back");
	TAP_EQ_U64(get(mb, nb, "MemFree"), 995044, "MemFree before");
	TAP_EQ_U64(get(mb, nb, "PageTables"), 196, "PageTables before");
	TAP_EQ_U64(get(mp, np, "PageTables"), 1216, "PageTables plugged (7.3 counts the linear-map tables)");
	TAP_EQ_U64(get(mb, nb, "VmallocUsed"), 772, "VmallocUsed before");
	{
		static const char unitless[] = "HugePages_Total:       0\nHugepagesize:       2048 kB\n";
		struct procfs_kv *kv = NULL;
		size_t n = 0;
		unsigned line;

		tap_ok(procfs_parse(unitless, sizeof(unitless) - 1, PROCFS_MEMINFO, &kv, &n, &line) == 0 && n == 2 &&
		       kv[0].value == 0 && kv[1].value == 2048, "unitless and kB lines mix");
		free(kv);
	}
	TAP_EQ_U64(strcmp(mb[0].name, "MemTotal"), 0, "file order kept");

	sb = parse("guest-7.3-512M/vmstat.before.txt", PROCFS_VMSTAT, &vb);
	sp = parse("guest-7.3-512M/vmstat.plugged.txt", PROCFS_VMSTAT, &vp);
	sa = parse("guest-7.3-512M/vmstat.after.txt", PROCFS_VMSTAT, &va);
	TAP_EQ_U64(vb, 142, "vmstat entries");
	TAP_EQ_U64(get(sb, vb, "nr_page_table_pages"), 49, "nr_page_table_pages before");
	TAP_EQ_U64(get(sp, vp, "nr_page_table_pages"), 304, "nr_page_table_pages plugged");
	TAP_EQ_U64(get(sa, va, "nr_page_table_pages"), 61, "nr_page_table_pages after");
	TAP_EQ_U64(get(sb, vb, "nr_free_pages"), 248761, "nr_free_pages before");

	/* 6.12: PageTables moves with user page tables only (docs/accounting.md) */
	size_t n6b, n6p, v6b;
	struct procfs_kv *m6b = parse("guest-6.12-512M/meminfo.before.txt", PROCFS_MEMINFO, &n6b);
	struct procfs_kv *m6p = parse("guest-6.12-512M/meminfo.plugged.txt", PROCFS_MEMINFO, &n6p);
	struct procfs_kv *s6b = parse("guest-6.12-512M/vmstat.before.txt", PROCFS_VMSTAT, &v6b);
	TAP_EQ_U64(get(m6b, n6b, "MemTotal"), 1012772, "6.12 MemTotal before");
	TAP_EQ_U64(get(m6p, n6p, "MemTotal"), 1012772 + 524288, "6.12 MemTotal plugged: +512M exactly");
	TAP_EQ_U64(get(m6b, n6b, "PageTables"), 96, "6.12 PageTables before");
	TAP_EQ_U64(get(m6p, n6p, "PageTables"), 180, "6.12 PageTables plugged: +84 kB, not the 257 pages 7.3 adds");
	TAP_EQ_U64(get(s6b, v6b, "nr_page_table_pages"), 24, "6.12 nr_page_table_pages before");
	free(m6b); free(m6p); free(s6b);

	static const struct {
		const char *text;
		enum procfs_format fmt;
		int err;
		unsigned line;
		const char *what;
	} bad[] = {
		{ "MemTotal 12 kB\n", PROCFS_MEMINFO, -EBADMSG, 1, "meminfo line without a colon" },
		{ "MemTotal: 12 MB\n", PROCFS_MEMINFO, -EBADMSG, 1, "unknown unit" },
		{ "A: 1 kB\nB: x kB\n", PROCFS_MEMINFO, -EBADMSG, 2, "non-numeric value" },
		{ "A: 99999999999999999999999 kB\n", PROCFS_MEMINFO, -EBADMSG, 1, "overflow" },
		{ "nr_free_pages\n", PROCFS_VMSTAT, -EBADMSG, 1, "vmstat line without a value" },
		{ "nr 1 2\n", PROCFS_VMSTAT, -EBADMSG, 1, "trailing field" },
		{ ": 1\n", PROCFS_MEMINFO, -EBADMSG, 1, "empty name" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct procfs_kv *kv = NULL;
		size_t n;
		unsigned line = 0;
		int r = procfs_parse(bad[i].text, strlen(bad[i].text), bad[i].fmt, &kv, &n, &line);

		tap_ok(r == bad[i].err && line == bad[i].line, "rejects %s (r=%d line=%u)", bad[i].what, r, line);
		free(kv);
	}
	{
		/* the layout of mm/vmstat.c zoneinfo_show_print() in 7.3 */
		static const char zi[] =
			"Node 0, zone      DMA\n  per-node stats\n      nr_inactive_anon 345\n"
			"  pages free     248697\n  pagesets\n    cpu: 0\n              count:    27\n"
			"              high:     154\n              batch:    63\n  vm stats threshold: 6\n"
			"    cpu: 1\n              count:    1500\n              high:     2000\n"
			"Node 0, zone  Movable\n  pagesets\n    cpu: 0\n              count:    3\n";
		uint64_t pcp = 0;
		tap_ok(procfs_zoneinfo_pcp(zi, sizeof(zi) - 1, &pcp) == 0 && pcp == 1530, "zoneinfo: pcp pages summed (%" PRIu64 ")", pcp);
		tap_ok(procfs_zoneinfo_pcp("Node 0\n", 7, &pcp) == -ENOENT, "zoneinfo without pagesets");
		tap_ok(procfs_zoneinfo_pcp("  count: x\n", 11, &pcp) == -EBADMSG, "zoneinfo: bad count");
	}
	free(mb); free(mp); free(ma); free(sb); free(sp); free(sa);
	return tap_done();
}
