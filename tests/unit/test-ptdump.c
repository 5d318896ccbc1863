// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-ptdump.c - ptdump summaries of real captures and synthesized 16K/64K
 * dumps, checked against hand-derived numbers.
 */
#include <errno.h>

#include "ptdump.h"
#include "tap.h"

static const char *fixtures;

static void parse_fixture(const char *rel, unsigned page_size, struct ptdump_summary *s)
{
	char path[1024];
	size_t len;
	unsigned line = 0;

	snprintf(path, sizeof(path), "%s/%s", fixtures, rel);
	char *buf = tap_slurp(path, &len);
	int r = ptdump_parse(buf, len, page_size, 0, s, &line);
	tap_ok(r == 0, "%s parses (r=%d line=%u)", rel, r, line);
	free(buf);
}

static const struct ptdump_section *sec(const struct ptdump_summary *s, const char *name)
{
	const struct ptdump_section *x = ptdump_find_section(s, name);

	tap_ok(x != NULL, "section '%s' present", name);
	if (!x) {
		printf("Bail out! no section %s\n", name);
		exit(1);
	}
	return x;
}

/*
 * 6.12: the Linear Mapping has PTE tables at the 2M slots 0x7b800000,
 * 0x7c400000, 0x7c600000 (the hole 0x7c440000-0x7c730000 crosses into it)
 * and 0x7fe00000, one PMD table (the 1G slot 0x40000000), one PUD table and
 * the PGD: 7. Plugging 512M at 0x80000000 maps it with PMD blocks in a new
 * 1G slot: one more PMD table. vmemmap: one PMD table, one
 * PUD table (for its 511G PUD hole) and the PGD; 18M mapped, 26M plugged.
 */
static void test_612(void)
{
	struct ptdump_summary b, p, a;
	const struct ptdump_section *lb, *lp, *la, *vb, *vp, *va;

	parse_fixture("ptdump-6.12-512M/ptdump.before.txt", 4096, &b);
	parse_fixture("ptdump-6.12-512M/ptdump.plugged.txt", 4096, &p);
	parse_fixture("ptdump-6.12-512M/ptdump.after.txt", 4096, &a);
	TAP_EQ_U64(b.va_bits, 48, "6.12 va_bits inferred");
	TAP_EQ_U64(b.levels, 4, "6.12 levels");
	lb = sec(&b, "Linear Mapping");
	lp = sec(&p, "Linear Mapping");
	la = sec(&a, "Linear Mapping");
	TAP_EQ_U64(lb->level[PTDUMP_LEVEL_PTE].table_pages, 4, "6.12 before: linear PTE tables");
	TAP_EQ_U64(lb->level[PTDUMP_LEVEL_PMD].table_pages, 1, "6.12 before: linear PMD tables");
	TAP_EQ_U64(lb->level[PTDUMP_LEVEL_PUD].table_pages, 1, "6.12 before: linear PUD tables");
	TAP_EQ_U64(lb->level[PTDUMP_LEVEL_PGD].table_pages, 1, "6.12 before: linear PGD tables");
	TAP_EQ_U64(ptdump_section_table_pages(lb), 7, "6.12 before: linear table pages");
	TAP_EQ_U64(ptdump_section_table_pages(lp), 8, "6.12 plugged: linear table pages");
	TAP_EQ_U64(ptdump_section_table_pages(la), 7, "6.12 after: linear table pages");
	/* 928M + 20M + 4M + 10M + 52M PMD blocks; 1280K + 768K + 256K + 832K + 128K pages */
	TAP_EQ_U64(lb->level[PTDUMP_LEVEL_PMD].mapped_bytes, (928 + 20 + 4 + 10 + 52) << 20, "6.12 before: PMD mapped");
	TAP_EQ_U64(lb->level[PTDUMP_LEVEL_PMD].block_entries, (928 + 20 + 4 + 10 + 52) / 2, "6.12 before: PMD blocks");
	TAP_EQ_U64(lb->level[PTDUMP_LEVEL_PTE].mapped_bytes, (1280 + 768 + 256 + 832 + 128) << 10, "6.12 before: PTE mapped");
	TAP_EQ_U64(lb->level[PTDUMP_LEVEL_PTE].page_entries, (1280 + 768 + 256 + 832 + 128) / 4, "6.12 before: PTE pages");
	TAP_EQ_U64(lp->level[PTDUMP_LEVEL_PMD].mapped_bytes - lb->level[PTDUMP_LEVEL_PMD].mapped_bytes, 512 << 20,
		   "6.12 plugged: linear map grew by the DIMM");
	tap_ok(lb->digest == la->digest && lb->digest != lp->digest, "6.12 linear digest: before == after != plugged");
	vb = sec(&b, "vmemmap");
	vp = sec(&p, "vmemmap");
	va = sec(&a, "vmemmap");
	TAP_EQ_U64(vb->level[PTDUMP_LEVEL_PMD].mapped_bytes, 18 << 20, "6.12 before: vmemmap mapped");
	TAP_EQ_U64(vp->level[PTDUMP_LEVEL_PMD].mapped_bytes, 26 << 20, "6.12 plugged: vmemmap mapped");
	TAP_EQ_U64(ptdump_section_table_pages(vb), 3, "6.12 before: vmemmap table pages");
	tap_ok(vb->digest == va->digest && vb->digest != vp->digest, "6.12 vmemmap digest: before == after != plugged");
	TAP_EQ_U64(b.n_sections, 7, "6.12 sections (6 named + other)");
}

/* Our own 6.12 capture agrees with the shared one: PMD blocks, one table more. */
static void test_612_own(void)
{
	struct ptdump_summary b, p, a;

	parse_fixture("guest-6.12-512M/ptdump.before.txt", 4096, &b);
	parse_fixture("guest-6.12-512M/ptdump.plugged.txt", 4096, &p);
	parse_fixture("guest-6.12-512M/ptdump.after.txt", 4096, &a);
	TAP_EQ_U64(ptdump_section_table_pages(sec(&b, "Linear Mapping")), 7, "6.12 (own) before: linear table pages");
	TAP_EQ_U64(ptdump_section_table_pages(sec(&p, "Linear Mapping")), 8, "6.12 (own) plugged: one PMD table more");
	TAP_EQ_U64(sec(&p, "Linear Mapping")->level[PTDUMP_LEVEL_PMD].block_entries -
		   sec(&b, "Linear Mapping")->level[PTDUMP_LEVEL_PMD].block_entries, 256, "6.12 (own) plugged: 256 more 2M blocks");
	tap_ok(sec(&b, "vmemmap")->digest == sec(&a, "vmemmap")->digest, "6.12 (own) vmemmap restored");
}

/*
 * 7.3 with rodata_full: the linear map is PTE-mapped. 1018M + 1M + ... of
 * RAM sit in 511 PTE tables; plus one PMD, one PUD and the PGD: 514.
 * Plugging 512M adds 256 PTE tables and one PMD table: 771 (257 more).
 */
static void test_73(void)
{
	struct ptdump_summary b, p, a;

	parse_fixture("guest-7.3-512M/ptdump.before.txt", 4096, &b);
	parse_fixture("guest-7.3-512M/ptdump.plugged.txt", 4096, &p);
	parse_fixture("guest-7.3-512M/ptdump.after.txt", 4096, &a);
	const struct ptdump_section *lb = sec(&b, "Linear Mapping"), *lp = sec(&p, "Linear Mapping"),
				    *la = sec(&a, "Linear Mapping");
	TAP_EQ_U64(lb->level[PTDUMP_LEVEL_PTE].table_pages, 511, "7.3 before: linear PTE tables");
	TAP_EQ_U64(ptdump_section_table_pages(lb), 514, "7.3 before: linear table pages");
	TAP_EQ_U64(lp->level[PTDUMP_LEVEL_PTE].table_pages, 767, "7.3 plugged: linear PTE tables");
	TAP_EQ_U64(lp->level[PTDUMP_LEVEL_PMD].table_pages, 2, "7.3 plugged: linear PMD tables");
	TAP_EQ_U64(ptdump_section_table_pages(lp) - ptdump_section_table_pages(lb), 257,
		   "7.3: a 512M DIMM adds 257 linear-map table pages");
	TAP_EQ_U64(ptdump_section_table_pages(la), 514, "7.3 after: linear table pages back");
	TAP_EQ_U64(lp->level[PTDUMP_LEVEL_PTE].mapped_bytes - lb->level[PTDUMP_LEVEL_PTE].mapped_bytes, 512 << 20,
		   "7.3 plugged: linear map grew by the DIMM");
	TAP_EQ_U64(lp->level[PTDUMP_LEVEL_PTE].page_entries - lb->level[PTDUMP_LEVEL_PTE].page_entries,
		   (512 << 20) / 4096, "7.3 plugged: PTE entries grew by 131072");
	tap_ok(lb->digest == la->digest, "7.3 linear digest: before == after");
	const struct ptdump_section *vb = sec(&b, "vmemmap"), *vp = sec(&p, "vmemmap");
	/* 512M / 4K * 64-byte struct page = 8M of vmemmap, PMD-mapped */
	TAP_EQ_U64(vp->level[PTDUMP_LEVEL_PMD].mapped_bytes - vb->level[PTDUMP_LEVEL_PMD].mapped_bytes, 8 << 20,
		   "7.3 plugged: vmemmap grew by 8M");
	TAP_EQ_U64(b.total.level[PTDUMP_LEVEL_PGD].table_pages, 1, "7.3 total: one PGD");
	TAP_EQ_U64(ptdump_section_table_pages(&b.total), 535, "7.3 before: distinct table pages");
	TAP_EQ_U64(ptdump_section_table_pages(&p.total), 792, "7.3 plugged: distinct table pages");
}

/* 16K pages, 47-bit VA: 3 levels; PTE tables span 32M, PMD tables 64G. */
static const char dump16k[] =
	"---[ Linear Mapping start ]---\n"
	"0xffff800000000000-0xffff800040000000           1G PMD\n"
	"0xffff800040000000-0xffff800042000000          32M PMD       RW NX SHD AF        BLK UXN    MEM/NORMAL\n"
	"0xffff800042000000-0xffff800042010000          64K PTE       RW NX SHD AF            UXN    MEM/NORMAL\n"
	"0xffff800042010000-0xffff800044000000      32704K PTE\n"
	"0xffff800044000000-0xffff800046000000          32M PTE       RW NX SHD AF            UXN    MEM/NORMAL\n"
	"0xffff800046000000-0xffff801000000000       63392M PMD\n"
	"0xffff801000000000-0xffffc00000000000   67104768M PGD\n"
	"---[ Linear Mapping end ]---\n";

/* 64K pages, 48-bit VA: 3 levels; PTE tables span 512M, PMD tables 4T. */
static const char dump64k[] =
	"---[ Linear Mapping start ]---\n"
	"0xffff000000000000-0xffff000040000000           1G PMD\n"
	"0xffff000040000000-0xffff000060000000         512M PMD       RW NX SHD AF        BLK UXN    MEM/NORMAL\n"
	"0xffff000060000000-0xffff000060040000         256K PTE       RW NX SHD AF            UXN    MEM/NORMAL\n"
	"0xffff000060040000-0xffff000080000000     523008K PTE\n"
	"0xffff000080000000-0xffff040000000000    4193792M PMD\n"
	"0xffff040000000000-0xffff800000000000        124T PGD\n"
	"---[ Linear Mapping end ]---\n"
	"---[ vmemmap start ]---\n"
	"0xfffffc0000000000-0xfffffc0040000000           1G PTE       RW NX SHD AF            UXN    MEM/NORMAL\n"
	"---[ vmemmap end ]---\n";

static void test_synth(void)
{
	struct ptdump_summary s;
	unsigned line;
	const struct ptdump_section *l;

	tap_ok(ptdump_parse(dump16k, sizeof(dump16k) - 1, 16384, 0, &s, &line) == 0, "16K dump parses");
	TAP_EQ_U64(s.va_bits, 47, "16K va_bits inferred");
	TAP_EQ_U64(s.levels, 3, "16K levels");
	l = sec(&s, "Linear Mapping");
	TAP_EQ_U64(l->level[PTDUMP_LEVEL_PTE].table_pages, 2, "16K: PTE tables (32M slots 0x21, 0x22)");
	TAP_EQ_U64(l->level[PTDUMP_LEVEL_PMD].table_pages, 1, "16K: PMD tables (one 64G slot)");
	TAP_EQ_U64(l->level[PTDUMP_LEVEL_PGD].table_pages, 1, "16K: PGD");
	TAP_EQ_U64(l->level[PTDUMP_LEVEL_PTE].page_entries, 4 + 2048, "16K: page entries");
	TAP_EQ_U64(l->level[PTDUMP_LEVEL_PMD].block_entries, 1, "16K: block entries");

	tap_ok(ptdump_parse(dump64k, sizeof(dump64k) - 1, 65536, 0, &s, &line) == 0, "64K dump parses");
	TAP_EQ_U64(s.va_bits, 48, "64K va_bits inferred");
	TAP_EQ_U64(s.levels, 3, "64K levels");
	l = sec(&s, "Linear Mapping");
	TAP_EQ_U64(l->level[PTDUMP_LEVEL_PTE].table_pages, 1, "64K: PTE tables (512M slot 3)");
	TAP_EQ_U64(l->level[PTDUMP_LEVEL_PMD].table_pages, 1, "64K: PMD tables (one 4T slot)");
	TAP_EQ_U64(ptdump_section_table_pages(l), 3, "64K: linear table pages");
	TAP_EQ_U64(l->level[PTDUMP_LEVEL_PTE].page_entries, 4, "64K: page entries");
	TAP_EQ_U64(l->level[PTDUMP_LEVEL_PMD].block_entries, 1, "64K: block entries");
	l = sec(&s, "vmemmap");
	TAP_EQ_U64(l->level[PTDUMP_LEVEL_PTE].table_pages, 2, "64K: vmemmap 1G of PTEs spans two 512M tables");
	TAP_EQ_U64(ptdump_section_table_pages(&s.total), 5, "64K: distinct tables overall");
}

/* A module load makes part of the linear map read-only: the lines split,
 * the mapped ranges stay. */
static void test_ranges_digest(void)
{
	static const char rw[] =
		"---[ Linear Mapping start ]---\n"
		"0xffff000040000000-0xffff000040400000           4M PTE       RW NX SHD AF            UXN    MEM/NORMAL\n"
		"0xffff000040400000-0xffff000080000000        1020M PTE\n"
		"---[ Linear Mapping end ]---\n";
	static const char ro[] =
		"---[ Linear Mapping start ]---\n"
		"0xffff000040000000-0xffff000040100000           1M PTE       RW NX SHD AF            UXN    MEM/NORMAL\n"
		"0xffff000040100000-0xffff000040110000          64K PTE       ro NX SHD AF            UXN    MEM/NORMAL\n"
		"0xffff000040110000-0xffff000040400000        2976K PTE       RW NX SHD AF            UXN    MEM/NORMAL\n"
		"0xffff000040400000-0xffff000080000000        1020M PTE\n"
		"---[ Linear Mapping end ]---\n";
	static const char less[] =
		"---[ Linear Mapping start ]---\n"
		"0xffff000040000000-0xffff000040200000           2M PTE       RW NX SHD AF            UXN    MEM/NORMAL\n"
		"0xffff000040200000-0xffff000080000000        1022M PTE\n"
		"---[ Linear Mapping end ]---\n";
	struct ptdump_summary a, b, c;
	unsigned line;

	ptdump_parse(rw, sizeof(rw) - 1, 4096, 48, &a, &line);
	ptdump_parse(ro, sizeof(ro) - 1, 4096, 48, &b, &line);
	ptdump_parse(less, sizeof(less) - 1, 4096, 48, &c, &line);
	tap_ok(a.section[0].ranges_digest == b.section[0].ranges_digest && a.section[0].digest != b.section[0].digest,
	       "ranges digest: attributes changed, ranges the same");
	tap_ok(a.section[0].ranges_digest != c.section[0].ranges_digest, "ranges digest: a smaller mapping differs");
}

static void test_errors(void)
{
	struct ptdump_summary s;
	unsigned line = 0;
	static const struct {
		const char *text;
		int err;
		unsigned line;
		const char *what;
	} cases[] = {
		{ "garbage\n", -EBADMSG, 1, "not a dump line" },
		{ "0xffff000000000000-0xffff000040000000 1G XYZ\n", -EBADMSG, 1, "unknown level" },
		{ "0xffff000000001000-0xffff000040000000 1G PUD\n", -EBADMSG, 1, "misaligned for its level" },
		{ "0xffff000040000000-0xffff000000000000 1G PUD\n", -EBADMSG, 1, "end before start" },
		{ "0xffff000040000000-0xffff000080000000 1G PUD\n0xffff000000000000-0xffff000040000000 1G PUD\n",
		  -EBADMSG, 2, "out of order" },
		{ "---[ Linear Mapping ]---\n", -EBADMSG, 1, "marker without start/end" },
		{ "0x-0x1 4K PTE\n", -EBADMSG, 1, "empty hex" },
		{ "0x11111111111111111-0x2 4K PTE\n", -EBADMSG, 1, "hex too long" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = ptdump_parse(cases[i].text, strlen(cases[i].text), 4096, 48, &s, &line);
		tap_ok(r == cases[i].err && line == cases[i].line, "rejects %s at line %u (r=%d line=%u)",
		       cases[i].what, cases[i].line, r, line);
	}
	tap_ok(ptdump_parse("", 0, 8192, 48, &s, &line) == -EINVAL, "rejects page size 8192");
	tap_ok(ptdump_parse("", 0, 4096, 48, &s, &line) == 0 && s.n_sections == 0, "empty dump is empty");
}

int main(int argc, char **argv)
{
	fixtures = argc > 1 ? argv[1] : "tests/fixtures";
	test_612();
	test_612_own();
	test_73();
	test_synth();
	test_ranges_digest();
	test_errors();
	return tap_done();
}
