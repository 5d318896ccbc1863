// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * accounting-compare.c - compare two snapshots: counters, ptdump sections
 * and the mapped ranges only one of them has; the report as text.
 */
#include <string.h>

#include "accounting-private.h"
#include "ptdump.h"

static char *fmt_bytes(gint64 v, gboolean sign)
{
	const char *s = sign ? (v > 0 ? "+" : v < 0 ? "-" : "") : (v < 0 ? "-" : "");
	guint64 a = (guint64)ABS(v);

	if (a && a % (1ull << 30) == 0)
		return g_strdup_printf("%s%" G_GUINT64_FORMAT "G", s, a >> 30);
	if (a && a % (1ull << 20) == 0)
		return g_strdup_printf("%s%" G_GUINT64_FORMAT "M", s, a >> 20);
	if (a && a % 1024 == 0)
		return g_strdup_printf("%s%" G_GUINT64_FORMAT "K", s, a >> 10);
	return g_strdup_printf("%s%" G_GUINT64_FORMAT, s, a);
}

/*
 * The range diff works on mapped intervals, not lines: ptdump merges
 * neighbours with equal attributes, so a new DIMM's range can extend an
 * existing line (7.3's PTE-mapped linear map). Each section's mapped lines
 * become intervals keyed by level and attributes; "only in B" is B's
 * intervals minus A's of the same key.
 */
typedef struct {
	guint64 start, end; /* end 0: the top of the address space */
	char *key;          /* "LEVEL ATTRS", white space normalized */
} Interval;

typedef struct {
	GHashTable *by_section; /* name -> GArray of Interval */
} Ranges;

static void interval_clear(gpointer p)
{
	g_free(((Interval *)p)->key);
}

static void collect_range(const char *sec, const char *line, size_t len, void *userdata)
{
	Ranges *r = userdata;
	g_autofree char *text = g_strndup(line, len);
	g_auto(GStrv) f = g_strsplit_set(text, " \t", -1);
	GString *key = g_string_new(NULL);
	Interval iv = { 0 };
	guint n = 0, tok = 0;
	char *dash;

	for (guint i = 0; f[i]; i++) {
		if (!*f[i])
			continue;
		if (tok == 0 && (dash = strchr(f[i], '-'))) {
			*dash = '\0';
			iv.start = g_ascii_strtoull(f[i], NULL, 16);
			iv.end = g_ascii_strtoull(dash + 1, NULL, 16);
		} else if (tok >= 2) {
			g_string_append_printf(key, "%s%s", key->len ? " " : "", f[i]);
			n++;
		}
		tok++;
	}
	if (n < 2) { /* a level and at least one attribute: mapped */
		g_string_free(key, TRUE);
		return;
	}
	iv.key = g_string_free(key, FALSE);
	GArray *arr = g_hash_table_lookup(r->by_section, sec);
	if (!arr) {
		arr = g_array_new(FALSE, FALSE, sizeof(Interval));
		g_array_set_clear_func(arr, interval_clear);
		g_hash_table_insert(r->by_section, g_strdup(sec), arr);
	}
	g_array_append_val(arr, iv);
}

static gboolean raw_ranges(struct json_object *snap, Ranges *r)
{
	struct json_object *raw;

	r->by_section = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_array_unref);
	if (!snap || !json_object_object_get_ex(snap, "ptdump_raw", &raw) || !json_object_is_type(raw, json_type_string))
		return FALSE;
	ptdump_for_each_line(json_object_get_string(raw), (size_t)json_object_get_string_len(raw), collect_range, r);
	return TRUE;
}

static void ranges_clear(Ranges *r)
{
	g_hash_table_destroy(r->by_section);
}

/* 128-bit-free interval arithmetic: map end 0 to UINT64_MAX (inclusive ends). */
static guint64 last_of(const Interval *iv)
{
	return iv->end ? iv->end - 1 : G_MAXUINT64;
}

static void add_piece(struct json_object *arr, guint64 first, guint64 last, const char *key)
{
	struct json_object *o = json_object_new_object();
	guint64 size = last - first + 1;
	g_autofree char *sz = fmt_bytes((gint64)size, FALSE);
	g_autofree char *text = g_strdup_printf("0x%016" G_GINT64_MODIFIER "x-0x%016" G_GINT64_MODIFIER "x %s %s",
						first, last + 1, sz, key);

	json_object_object_add(o, "start", json_object_new_uint64(first));
	json_object_object_add(o, "end", json_object_new_uint64(last + 1));
	json_object_object_add(o, "size", json_object_new_uint64(size));
	json_object_object_add(o, "mapping", json_object_new_string(key));
	json_object_object_add(o, "text", json_object_new_string(text));
	json_object_array_add(arr, o);
}

/* Mapped intervals of @a not covered by @b with the same level and attributes. */
static struct json_object *only_in(GArray *a, GArray *b)
{
	struct json_object *arr = json_object_new_array();

	for (guint i = 0; a && i < a->len; i++) {
		const Interval *x = &g_array_index(a, Interval, i);
		guint64 cur = x->start, last = last_of(x);
		gboolean done = FALSE;

		/* b is sorted by address: walk the pieces of b inside x */
		for (guint j = 0; b && j < b->len && !done; j++) {
			const Interval *y = &g_array_index(b, Interval, j);
			guint64 ylast = last_of(y);

			if (ylast < cur || y->start > last || strcmp(x->key, y->key))
				continue;
			if (y->start > cur)
				add_piece(arr, cur, y->start - 1, x->key);
			if (ylast >= last)
				done = TRUE;
			else
				cur = ylast + 1;
		}
		if (!done)
			add_piece(arr, cur, last, x->key);
	}
	return arr;
}

static void diff_group(struct json_object *report, const char *key, struct json_object *a, struct json_object *b)
{
	struct json_object *ga, *gb, *arr = json_object_new_array();

	if (json_object_object_get_ex(a, key, &ga) && json_object_object_get_ex(b, key, &gb) &&
	    json_object_is_type(ga, json_type_object)) {
		json_object_object_foreach(ga, k, va) {
			struct json_object *vb;
			if (!json_object_object_get_ex(gb, k, &vb) || !json_object_is_type(va, json_type_int) ||
			    !json_object_is_type(vb, json_type_int))
				continue;
			gint64 x = json_object_get_int64(va), y = json_object_get_int64(vb);
			if (x == y)
				continue;
			struct json_object *d = json_object_new_object();
			json_object_object_add(d, "key", json_object_new_string(k));
			json_object_object_add(d, "a", json_object_new_int64(x));
			json_object_object_add(d, "b", json_object_new_int64(y));
			json_object_object_add(d, "delta", json_object_new_int64(y - x));
			json_object_array_add(arr, d);
		}
	}
	json_object_object_add(report, key, arr);
}

gboolean mhp_compare(struct json_object *a, struct json_object *b, struct json_object **ret_report)
{
	struct json_object *report = json_object_new_object(), *secs = json_object_new_array(),
			   *ranges = json_object_new_object(), *sa_arr = mhp_acct_sections(a);
	gboolean hold = TRUE, have_ptdump;
	Ranges la, lb;
	gboolean raw_a = raw_ranges(a, &la), raw_b = raw_ranges(b, &lb);
	g_autoptr(GPtrArray) names = g_ptr_array_new();

	diff_group(report, "meminfo", a, b);
	diff_group(report, "vmstat", a, b);
	have_ptdump = mhp_acct_section(a, SECTION_LINEAR) && mhp_acct_section(b, SECTION_LINEAR);
	for (size_t i = 0; sa_arr && i < json_object_array_length(sa_arr); i++) {
		struct json_object *s = json_object_array_get_idx(sa_arr, i);

		if (json_object_is_type(s, json_type_object) && *mhp_acct_sec_str(s, "name"))
			g_ptr_array_add(names, (gpointer)mhp_acct_sec_str(s, "name"));
	}
	for (guint i = 0; i < names->len; i++) {
		const char *name = g_ptr_array_index(names, i);
		struct json_object *sa = mhp_acct_section(a, name), *sb = mhp_acct_section(b, name);
		struct json_object *o = json_object_new_object();
		gint64 mapped_a = mhp_acct_sec_i64(sa, "mapped_bytes"), mapped_b = mhp_acct_sec_i64(sb, "mapped_bytes");
		gint64 tables_a = mhp_acct_sec_i64(sa, "table_pages"), tables_b = mhp_acct_sec_i64(sb, "table_pages");
		gboolean equal = sb && strcmp(mhp_acct_ranges(sa), mhp_acct_ranges(sb)) == 0 && tables_a == tables_b;
		gboolean same_attrs = sb && strcmp(mhp_acct_sec_str(sa, "digest"), mhp_acct_sec_str(sb, "digest")) == 0;
		gboolean invariant = strcmp(name, SECTION_LINEAR) == 0 || strcmp(name, SECTION_VMEMMAP) == 0;

		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "mapped_a", json_object_new_int64(mapped_a));
		json_object_object_add(o, "mapped_b", json_object_new_int64(mapped_b));
		json_object_object_add(o, "mapped_delta", json_object_new_int64(mapped_b - mapped_a));
		json_object_object_add(o, "table_pages_a", json_object_new_int64(tables_a));
		json_object_object_add(o, "table_pages_b", json_object_new_int64(tables_b));
		json_object_object_add(o, "table_pages_delta", json_object_new_int64(tables_b - tables_a));
		json_object_object_add(o, "equal", json_object_new_boolean(equal));
		json_object_object_add(o, "same_attributes", json_object_new_boolean(same_attrs));
		json_object_object_add(o, "invariant", json_object_new_boolean(invariant));
		json_object_array_add(secs, o);
		if (invariant && !equal)
			hold = FALSE;
		if (raw_a && raw_b && !(equal && same_attrs)) {
			struct json_object *r = json_object_new_object();
			json_object_object_add(r, "only_a", only_in(g_hash_table_lookup(la.by_section, name),
								   g_hash_table_lookup(lb.by_section, name)));
			json_object_object_add(r, "only_b", only_in(g_hash_table_lookup(lb.by_section, name),
								   g_hash_table_lookup(la.by_section, name)));
			json_object_object_add(ranges, name, r);
		}
	}
	if (!have_ptdump)
		hold = FALSE; /* nothing to judge page tables by */
	json_object_object_add(report, "sections", secs);
	json_object_object_add(report, "ranges", ranges);
	json_object_object_add(report, "ptdump", json_object_new_boolean(have_ptdump));
	json_object_object_add(report, "invariants_hold", json_object_new_boolean(hold));
	ranges_clear(&la);
	ranges_clear(&lb);
	*ret_report = report;
	return hold;
}

char *mhp_compare_format(struct json_object *r, const char *name_a, const char *name_b)
{
	GString *out = g_string_new(NULL);
	struct json_object *arr, *ranges, *v;
	static const char *const keys[] = { "MemTotal", "MemFree", "PageTables", "VmallocUsed", "Percpu", "KernelStack",
					    "Slab", "SUnreclaim" };

	g_string_append_printf(out, "A: %s\nB: %s\n\n", name_a, name_b);
	g_string_append_printf(out, "%-22s %14s %14s %14s\n", "meminfo (kB)", "A", "B", "B-A");
	json_object_object_get_ex(r, "meminfo", &arr);
	for (gsize k = 0; k < G_N_ELEMENTS(keys); k++)
		for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
			struct json_object *d = json_object_array_get_idx(arr, i), *x, *a, *b, *dl;
			json_object_object_get_ex(d, "key", &x);
			if (strcmp(json_object_get_string(x), keys[k]) != 0)
				continue;
			json_object_object_get_ex(d, "a", &a);
			json_object_object_get_ex(d, "b", &b);
			json_object_object_get_ex(d, "delta", &dl);
			g_string_append_printf(out, "%-22s %14" G_GINT64_FORMAT " %14" G_GINT64_FORMAT " %+14" G_GINT64_FORMAT "\n",
					       keys[k], json_object_get_int64(a), json_object_get_int64(b), json_object_get_int64(dl));
		}
	json_object_object_get_ex(r, "vmstat", &arr);
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		struct json_object *d = json_object_array_get_idx(arr, i), *x, *a, *b, *dl;
		json_object_object_get_ex(d, "key", &x);
		if (strcmp(json_object_get_string(x), "nr_page_table_pages") != 0)
			continue;
		json_object_object_get_ex(d, "a", &a);
		json_object_object_get_ex(d, "b", &b);
		json_object_object_get_ex(d, "delta", &dl);
		g_string_append_printf(out, "%-22s %14" G_GINT64_FORMAT " %14" G_GINT64_FORMAT " %+14" G_GINT64_FORMAT "\n",
				       "nr_page_table_pages", json_object_get_int64(a), json_object_get_int64(b),
				       json_object_get_int64(dl));
	}
	json_object_object_get_ex(r, "ptdump", &v);
	if (!json_object_get_boolean(v)) {
		g_string_append(out, "\nno ptdump in one of the snapshots: page tables cannot be compared\n");
	} else {
		g_string_append_printf(out, "\n%-16s %10s %10s %10s %9s %9s %7s  %s\n", "ptdump section", "mapped A",
				       "mapped B", "B-A", "tables A", "tables B", "B-A", "same");
		json_object_object_get_ex(r, "sections", &arr);
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			struct json_object *s = json_object_array_get_idx(arr, i), *x;
			g_autofree char *ma = NULL, *mb = NULL, *md = NULL;
			json_object_object_get_ex(s, "name", &x);
			const char *name = json_object_get_string(x);
			json_object_object_get_ex(s, "mapped_a", &x);
			ma = fmt_bytes(json_object_get_int64(x), FALSE);
			json_object_object_get_ex(s, "mapped_b", &x);
			mb = fmt_bytes(json_object_get_int64(x), FALSE);
			json_object_object_get_ex(s, "mapped_delta", &x);
			md = fmt_bytes(json_object_get_int64(x), TRUE);
			struct json_object *ta, *tb, *td, *eq, *inv, *sa2;
			json_object_object_get_ex(s, "table_pages_a", &ta);
			json_object_object_get_ex(s, "table_pages_b", &tb);
			json_object_object_get_ex(s, "table_pages_delta", &td);
			json_object_object_get_ex(s, "equal", &eq);
			json_object_object_get_ex(s, "invariant", &inv);
			json_object_object_get_ex(s, "same_attributes", &sa2);
			g_string_append_printf(out, "%-16s %10s %10s %10s %9" G_GINT64_FORMAT " %9" G_GINT64_FORMAT
					       " %+7" G_GINT64_FORMAT "  %s\n", name, ma, mb, *md ? md : "0",
					       json_object_get_int64(ta), json_object_get_int64(tb), json_object_get_int64(td),
					       !json_object_get_boolean(eq) ? (json_object_get_boolean(inv) ? "NO" : "no")
					       : json_object_get_boolean(sa2) ? "yes" : "ranges (attributes differ)");
		}
		json_object_object_get_ex(r, "ranges", &ranges);
		json_object_object_foreach(ranges, name, rr) {
			struct json_object *oa, *ob;
			json_object_object_get_ex(rr, "only_a", &oa);
			json_object_object_get_ex(rr, "only_b", &ob);
			g_string_append_printf(out, "\n%s, mapped only in A (-) or only in B (+):\n", name);
			for (size_t i = 0; i < json_object_array_length(oa); i++) {
				struct json_object *t;
				json_object_object_get_ex(json_object_array_get_idx(oa, i), "text", &t);
				g_string_append_printf(out, "  - %s\n", json_object_get_string(t));
			}
			for (size_t i = 0; i < json_object_array_length(ob); i++) {
				struct json_object *t;
				json_object_object_get_ex(json_object_array_get_idx(ob, i), "text", &t);
				g_string_append_printf(out, "  + %s\n", json_object_get_string(t));
			}
		}
	}
	json_object_object_get_ex(r, "invariants_hold", &v);
	g_string_append_printf(out, "\npage-table invariants (Linear Mapping and vmemmap: same ranges and table pages): %s\n",
			       json_object_get_boolean(v) ? "hold" : "DO NOT hold");
	return g_string_free(out, FALSE);
}

