// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ptdump.c - summarize arm64 kernel_page_tables dumps per section and level.
 *
 * A dump line reads
 *   0xffff000040000000-0xffff00007a000000   928M PMD   RW NX SHD AF CON BLK UXN MEM/NORMAL
 * and a line without attributes is a run of empty entries in a table that
 * exists. Markers "---[ Name start ]---" and "---[ Name end ]---" split the
 * address space into sections.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "ptdump.h"

static const char *const level_names[_PTDUMP_LEVEL_MAX] = {
	[PTDUMP_LEVEL_PTE] = "PTE", [PTDUMP_LEVEL_PMD] = "PMD",
	[PTDUMP_LEVEL_PUD] = "PUD", [PTDUMP_LEVEL_P4D] = "P4D",
	[PTDUMP_LEVEL_PGD] = "PGD",
};

const char *ptdump_level_name(enum ptdump_level l)
{
	return l < _PTDUMP_LEVEL_MAX ? level_names[l] : "?";
}

struct geometry {
	unsigned page_shift;
	unsigned bits;   /* index bits per table: page_shift - 3 */
	unsigned top;    /* depth of the top level (levels - 1) */
};

static uint64_t fnv1a(uint64_t h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int parse_hex(const char **p, const char *end, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;
	int n = 0;

	if (end - s < 3 || s[0] != '0' || s[1] != 'x')
		return -EBADMSG;
	s += 2;
	while (s < end && isxdigit((unsigned char)*s)) {
		if (++n > 16)
			return -EBADMSG;
		v = v << 4 | (uint64_t)(isdigit((unsigned char)*s) ? *s - '0' : (tolower((unsigned char)*s) - 'a' + 10));
		s++;
	}
	if (n == 0)
		return -EBADMSG;
	*p = s;
	*ret = v;
	return 0;
}

static void skip_spaces(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

static int level_from_name(const char *s, size_t n, const struct geometry *g)
{
	for (int l = 0; l < _PTDUMP_LEVEL_MAX; l++) {
		if (strlen(level_names[l]) == n && memcmp(level_names[l], s, n) == 0) {
			if (l == PTDUMP_LEVEL_PGD || (unsigned)l > g->top)
				return (int)g->top;
			return l;
		}
	}
	return -1;
}

static void fold_run(struct ptdump_section *sec)
{
	if (!sec->in_run)
		return;
	sec->ranges_digest = fnv1a(sec->ranges_digest, (const char *)&sec->run_start, sizeof(sec->run_start));
	sec->ranges_digest = fnv1a(sec->ranges_digest, (const char *)&sec->run_end, sizeof(sec->run_end));
	sec->in_run = false;
}

/* Coverage: adjacent mapped lines merge whatever their level or attributes. */
static void cover(struct ptdump_section *sec, uint64_t start, uint64_t end, bool mapped)
{
	if (!mapped) {
		fold_run(sec);
		return;
	}
	if (sec->in_run && sec->run_end == start) {
		sec->run_end = end;
		return;
	}
	fold_run(sec);
	sec->in_run = true;
	sec->run_start = start;
	sec->run_end = end;
}

static void account(struct ptdump_section *sec, const struct geometry *g,
		    int depth, uint64_t start, uint64_t end, bool mapped,
		    uint64_t digest_line)
{
	struct ptdump_level_stats *st = &sec->level[depth == (int)g->top ? PTDUMP_LEVEL_PGD : depth];
	unsigned entry_shift = g->page_shift + (unsigned)depth * g->bits;
	uint64_t size = end - start; /* end == 0 means the top of the address space */
	uint64_t last = end - 1;
	uint64_t s0, s1;

	st->lines++;
	sec->lines++;
	sec->digest = (sec->digest ^ digest_line) * 0x100000001b3ULL;
	cover(sec, start, end, mapped);
	if (mapped) {
		st->mapped_bytes += size;
		if (depth == PTDUMP_LEVEL_PTE)
			st->page_entries += size >> entry_shift;
		else
			st->block_entries += size >> entry_shift;
	} else {
		st->hole_bytes += size;
	}

	/* Tables at this level: one per (entry size << bits) slot; the top is one table. */
	if (depth == (int)g->top) {
		s0 = s1 = 0;
	} else {
		unsigned span_shift = entry_shift + g->bits;

		s0 = start >> span_shift;
		s1 = last >> span_shift;
	}
	int idx = depth == (int)g->top ? PTDUMP_LEVEL_PGD : depth;
	uint64_t count = s1 - s0 + 1;

	if (sec->have_slot[idx] && sec->last_slot[idx] == s0)
		count--;
	st->table_pages += count;
	sec->last_slot[idx] = s1;
	sec->have_slot[idx] = true;
}

static struct ptdump_section *section_get(struct ptdump_summary *s, const char *name, size_t n)
{
	for (size_t i = 0; i < s->n_sections; i++)
		if (strlen(s->section[i].name) == n && memcmp(s->section[i].name, name, n) == 0)
			return &s->section[i];
	if (s->n_sections == PTDUMP_MAX_SECTIONS || n >= PTDUMP_MAX_NAME)
		return NULL;
	struct ptdump_section *sec = &s->section[s->n_sections++];
	memcpy(sec->name, name, n);
	sec->name[n] = '\0';
	sec->digest = 0xcbf29ce484222325ULL;
	sec->ranges_digest = 0xcbf29ce484222325ULL;
	return sec;
}

static bool has_suffix(const char *s, size_t n, const char *suf, size_t *ret_n)
{
	size_t k = strlen(suf);

	if (n > k && memcmp(s + n - k, suf, k) == 0) {
		*ret_n = n - k;
		return true;
	}
	return false;
}

/* "---[ vmalloc() area ]---" -> name "vmalloc", opening; "... end" closes. */
static int parse_marker(const char *p, size_t n, const char **ret_name,
			size_t *ret_len, bool *ret_open)
{
	size_t base;

	if (n < 10 || memcmp(p, "---[ ", 5) != 0 || memcmp(p + n - 5, " ]---", 5) != 0)
		return -EBADMSG;
	p += 5;
	n -= 10;
	if (has_suffix(p, n, " end", &base))
		*ret_open = false;
	else if (has_suffix(p, n, " start", &base) || has_suffix(p, n, " area", &base))
		*ret_open = true;
	else
		return -EBADMSG;
	if (base > 2 && memcmp(p + base - 2, "()", 2) == 0)
		base -= 2;
	if (base == 0)
		return -EBADMSG;
	*ret_name = p;
	*ret_len = base;
	return 0;
}

static uint64_t normalized_digest(const char *p, const char *end)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	bool space = false;

	for (; p < end; p++) {
		if (*p == ' ' || *p == '\t') {
			space = true;
			continue;
		}
		if (space)
			h = fnv1a(h, " ", 1);
		space = false;
		h = fnv1a(h, p, 1);
	}
	return h;
}

static unsigned infer_va_bits(const char *buf, size_t len)
{
	static const char marker[] = "---[ Linear Mapping start ]---\n";
	const char *m = memmem(buf, len, marker, sizeof(marker) - 1);
	uint64_t start;

	if (m) {
		const char *p = m + sizeof(marker) - 1;

		if (parse_hex(&p, buf + len, &start) == 0 && start)
			return 64 - (unsigned)__builtin_clzll(~start);
	}
	return 48;
}

int ptdump_parse(const char *buf, size_t len, unsigned page_size,
		 unsigned va_bits, struct ptdump_summary *ret, unsigned *ret_line)
{
	_cleanup_free_ struct ptdump_summary *s = calloc(1, sizeof(*s));
	struct ptdump_section *cur = NULL;
	struct geometry g;
	uint64_t prev_end = 0;
	bool have_prev = false;
	unsigned line = 0;
	size_t off = 0;

	if (page_size != 4096 && page_size != 16384 && page_size != 65536)
		return -EINVAL;
	if (!va_bits)
		va_bits = infer_va_bits(buf, len);
	if (va_bits < 36 || va_bits > 52)
		return -EINVAL;
	if (!s)
		return -ENOMEM;
	g.page_shift = (unsigned)__builtin_ctz(page_size);
	g.bits = g.page_shift - 3;
	g.top = (va_bits - g.page_shift + g.bits - 1) / g.bits - 1;
	s->page_size = page_size;
	s->va_bits = va_bits;
	s->levels = g.top + 1;
	s->total.digest = 0xcbf29ce484222325ULL;
	s->total.ranges_digest = 0xcbf29ce484222325ULL;
	strcpy(s->total.name, "total");

	while (off < len) {
		const char *p = buf + off;
		const char *nl = memchr(p, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - p) : len - off;
		const char *end = p + ll;

		off += ll + (nl ? 1 : 0);
		*ret_line = ++line;
		if (ll == 0)
			continue;
		if (ll > PTDUMP_MAX_LINE || line > PTDUMP_MAX_LINES)
			return -E2BIG;
		if (p[0] == '-') {
			const char *name;
			size_t nlen;
			bool open;

			if (parse_marker(p, ll, &name, &nlen, &open) < 0)
				return -EBADMSG;
			cur = open ? section_get(s, name, nlen) : NULL;
			if (open && !cur)
				return -E2BIG;
			continue;
		}

		uint64_t start, stop;
		const char *q = p;

		if (parse_hex(&q, end, &start) < 0 || q >= end || *q++ != '-' ||
		    parse_hex(&q, end, &stop) < 0)
			return -EBADMSG;
		if ((stop != 0 && stop <= start) || (have_prev && start < prev_end))
			return -EBADMSG;
		skip_spaces(&q, end);
		/* printed size: digits and a unit; derived from the range instead */
		const char *sz = q;
		while (q < end && isdigit((unsigned char)*q))
			q++;
		if (q == sz || q >= end || !strchr("KMGTPE", *q))
			return -EBADMSG;
		q++;
		skip_spaces(&q, end);
		const char *lv = q;
		while (q < end && isupper((unsigned char)*q))
			q++;
		int depth = level_from_name(lv, (size_t)(q - lv), &g);
		if (depth < 0 || (q < end && *q != ' ' && *q != '\t'))
			return -EBADMSG;
		unsigned entry_shift = g.page_shift + (unsigned)depth * g.bits;
		uint64_t mask = (1ULL << entry_shift) - 1;
		if ((start & mask) || (stop & mask))
			return -EBADMSG;
		skip_spaces(&q, end);
		bool mapped = q < end;

		uint64_t dl = normalized_digest(p, end);
		if (!cur) {
			cur = section_get(s, "other", 5);
			if (!cur)
				return -E2BIG;
		}
		account(cur, &g, depth, start, stop, mapped, dl);
		account(&s->total, &g, depth, start, stop, mapped, dl);
		/* the "other" section only lasts until the next marker */
		if (strcmp(cur->name, "other") == 0)
			cur = NULL;
		prev_end = stop;
		have_prev = stop != 0;
		if (stop == 0)
			break;
	}
	for (size_t i = 0; i < s->n_sections; i++)
		fold_run(&s->section[i]);
	fold_run(&s->total);
	*ret = *s;
	return 0;
}

void ptdump_for_each_line(const char *buf, size_t len, ptdump_line_fn fn, void *userdata)
{
	char section[PTDUMP_MAX_NAME] = "other";
	size_t off = 0;

	while (off < len) {
		const char *p = buf + off;
		const char *nl = memchr(p, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - p) : len - off;

		off += ll + (nl ? 1 : 0);
		if (!ll)
			continue;
		if (p[0] == '-') {
			const char *name;
			size_t nlen;
			bool open;

			if (parse_marker(p, ll, &name, &nlen, &open) < 0)
				continue;
			if (open && nlen < PTDUMP_MAX_NAME) {
				memcpy(section, name, nlen);
				section[nlen] = '\0';
			} else {
				strcpy(section, "other");
			}
			continue;
		}
		fn(section, p, ll, userdata);
	}
}

const struct ptdump_section *ptdump_find_section(const struct ptdump_summary *s,
						 const char *name)
{
	for (size_t i = 0; i < s->n_sections; i++)
		if (strcmp(s->section[i].name, name) == 0)
			return &s->section[i];
	return NULL;
}

uint64_t ptdump_section_table_pages(const struct ptdump_section *sec)
{
	uint64_t n = 0;

	for (int l = 0; l < _PTDUMP_LEVEL_MAX; l++)
		n += sec->level[l].table_pages;
	return n;
}

static struct json_object *section_to_json(const struct ptdump_section *sec)
{
	struct json_object *o = json_object_new_object();
	struct json_object *levels = json_object_new_object();
	char digest[17], ranges[17];
	uint64_t mapped = 0;

	for (int l = 0; l < _PTDUMP_LEVEL_MAX; l++) {
		const struct ptdump_level_stats *st = &sec->level[l];
		struct json_object *lo;

		if (!st->lines)
			continue;
		lo = json_object_new_object();
		json_object_object_add(lo, "lines", json_object_new_int64((int64_t)st->lines));
		json_object_object_add(lo, "mapped_bytes", json_object_new_int64((int64_t)st->mapped_bytes));
		json_object_object_add(lo, "hole_bytes", json_object_new_int64((int64_t)st->hole_bytes));
		json_object_object_add(lo, "block_entries", json_object_new_int64((int64_t)st->block_entries));
		json_object_object_add(lo, "page_entries", json_object_new_int64((int64_t)st->page_entries));
		json_object_object_add(lo, "table_pages", json_object_new_int64((int64_t)st->table_pages));
		json_object_object_add(levels, level_names[l], lo);
		mapped += st->mapped_bytes;
	}
	snprintf(digest, sizeof(digest), "%016llx", (unsigned long long)sec->digest);
	snprintf(ranges, sizeof(ranges), "%016llx", (unsigned long long)sec->ranges_digest);
	json_object_object_add(o, "name", json_object_new_string(sec->name));
	json_object_object_add(o, "lines", json_object_new_int64((int64_t)sec->lines));
	json_object_object_add(o, "mapped_bytes", json_object_new_int64((int64_t)mapped));
	json_object_object_add(o, "table_pages", json_object_new_int64((int64_t)ptdump_section_table_pages(sec)));
	json_object_object_add(o, "digest", json_object_new_string(digest));
	json_object_object_add(o, "ranges_digest", json_object_new_string(ranges));
	json_object_object_add(o, "levels", levels);
	return o;
}

struct json_object *ptdump_summary_to_json(const struct ptdump_summary *s)
{
	struct json_object *o = json_object_new_object();
	struct json_object *secs = json_object_new_array();

	json_object_object_add(o, "page_size", json_object_new_int((int)s->page_size));
	json_object_object_add(o, "va_bits", json_object_new_int((int)s->va_bits));
	json_object_object_add(o, "levels", json_object_new_int((int)s->levels));
	for (size_t i = 0; i < s->n_sections; i++)
		json_object_array_add(secs, section_to_json(&s->section[i]));
	json_object_object_add(o, "sections", secs);
	json_object_object_add(o, "total", section_to_json(&s->total));
	return o;
}
