// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * accounting.c - page-table accounting: per-cycle checks and trends.
 *
 * Everything works on agent snapshots: {meminfo, vmstat, ptdump summary,
 * and in full snapshots ptdump_raw}, read through accounting-snapshot.c.
 * See docs/accounting.md for what each check means and where its noise
 * comes from. Comparing two snapshots is accounting-compare.c's.
 */
#include <math.h>
#include <string.h>

#include "accounting-private.h"
#include "jsonget.h"

void mhp_acct_bands_default(MhpAcctBands *b)
{
	*b = (MhpAcctBands){
		/* user page tables of short-lived agent children and busybox: measured
		 * spread over 50 cycles in docs/accounting.md, with headroom */
		.page_tables_kb = 512,
		.nr_page_table_pages = 128,
		/* page cache, slab and per-CPU lists move MemFree by a few MiB */
		.memfree_kb = 64 * 1024,
		.struct_page_size = 64,
		.stressed = FALSE,
	};
}

guint64 mhp_acct_vmemmap_bytes(guint64 size, guint page_size, guint struct_page_size)
{
	guint64 bytes = size / page_size * struct_page_size;
	guint64 granule = page_size == 4096 ? 2u << 20 : page_size;

	return (bytes + granule - 1) / granule * granule;
}

/**
 * mhp_acct_add_check() - add a check's result to a checks array.
 * @arr: the array
 * @name: the check's name, with static storage (*@failed outlives the array)
 * @pass: its verdict
 * @value: what was measured
 * @expected: what it should be
 * @band: how far @value may be from @expected, or -1 (exact)
 * @failed: set to @name if it failed and is the first to
 */
void mhp_acct_add_check(struct json_object *arr, const char *name, gboolean pass, gint64 value, gint64 expected,
			gint64 band, const char **failed)
{
	struct json_object *c = json_object_new_object();

	json_object_object_add(c, "name", json_object_new_string(name));
	json_object_object_add(c, "pass", json_object_new_boolean(pass));
	json_object_object_add(c, "value", json_object_new_int64(value));
	json_object_object_add(c, "expected", json_object_new_int64(expected));
	if (band >= 0)
		json_object_object_add(c, "band", json_object_new_int64(band));
	json_object_array_add(arr, c);
	if (!pass && !*failed)
		*failed = name;
}

/**
 * mhp_acct_add_skipped() - add a check that could not be made (pass: null).
 * @arr: the array
 * @name: the check
 * @why: the reason, as the record shows it
 */
void mhp_acct_add_skipped(struct json_object *arr, const char *name, const char *why)
{
	struct json_object *c = json_object_new_object();

	json_object_object_add(c, "name", json_object_new_string(name));
	json_object_object_add(c, "pass", NULL);
	json_object_object_add(c, "skipped", json_object_new_string(why));
	json_object_array_add(arr, c);
}

static void check_memtotal(struct json_object *arr, struct json_object *base, struct json_object *snap,
			   guint64 plugged, const char **failed)
{
	gint64 b, v;

	if (mhp_acct_get_i64(base, "meminfo", "MemTotal", &b) && mhp_acct_get_i64(snap, "meminfo", "MemTotal", &v))
		mhp_acct_add_check(arr, "memtotal-exact", v == b + (gint64)(plugged / 1024), v, b + (gint64)(plugged / 1024), -1,
			  failed);
	else
		mhp_acct_add_skipped(arr, "memtotal-exact", "no MemTotal");
}

/* A section grew by exactly @delta bytes over the baseline. */
static void check_section_grew(struct json_object *arr, const char *check, const char *name, struct json_object *base,
			       struct json_object *snap, guint64 delta, const char **failed)
{
	struct json_object *sb = mhp_acct_section(base, name), *sn = mhp_acct_section(snap, name);

	if (!sb || !sn) {
		mhp_acct_add_skipped(arr, check, "no ptdump in the snapshots");
		return;
	}
	gint64 want = mhp_acct_sec_i64(sb, "mapped_bytes") + (gint64)delta, got = mhp_acct_sec_i64(sn, "mapped_bytes");

	mhp_acct_add_check(arr, check, got == want, got, want, -1, failed);
}

/*
 * A section equals the baseline: the same mapped ranges and table pages.
 * The attributes must match too, unless stressors run: loading a module
 * (test_vmalloc) makes its pages' linear-map aliases read-only, which
 * splits lines without mapping or freeing anything.
 */
static void check_section_restored(struct json_object *arr, const char *const check[3], const char *name,
				   struct json_object *base, struct json_object *snap, gboolean stressed,
				   const char **failed)
{
	struct json_object *sb = mhp_acct_section(base, name), *sn = mhp_acct_section(snap, name);
	/* names with static storage: *failed outlives this call */
	const char *tables = check[1], *attrs = check[2];

	if (!sb || !sn) {
		mhp_acct_add_skipped(arr, check[0], "no ptdump in the snapshots");
		return;
	}
	mhp_acct_add_check(arr, check[0], strcmp(mhp_acct_ranges(sb), mhp_acct_ranges(sn)) == 0,
		  mhp_acct_sec_i64(sn, "mapped_bytes"), mhp_acct_sec_i64(sb, "mapped_bytes"), -1, failed);
	gint64 tb = mhp_acct_sec_i64(sb, "table_pages"), tn = mhp_acct_sec_i64(sn, "table_pages");
	mhp_acct_add_check(arr, tables, tb == tn, tn, tb, -1, failed);
	if (stressed)
		mhp_acct_add_skipped(arr, attrs, "stressors change attributes (module loads)");
	else
		mhp_acct_add_check(arr, attrs, strcmp(mhp_acct_sec_str(sb, "digest"), mhp_acct_sec_str(sn, "digest")) == 0,
			  mhp_acct_sec_i64(sn, "lines"), mhp_acct_sec_i64(sb, "lines"), -1, failed);
}

static void check_band(struct json_object *arr, const char *check, struct json_object *base, struct json_object *snap,
		       const char *group, const char *key, guint64 band, const char **failed)
{
	gint64 b, v;

	if (!mhp_acct_get_i64(base, group, key, &b) || !mhp_acct_get_i64(snap, group, key, &v)) {
		mhp_acct_add_skipped(arr, check, "not in the snapshots");
		return;
	}
	mhp_acct_add_check(arr, check, (guint64)ABS(v - b) <= band, v, b, (gint64)band, failed);
}

struct json_object *mhp_acct_check_light(struct json_object *base, struct json_object *reply, guint64 plugged_bytes,
					 const char **ret_failed)
{
	struct json_object *arr = json_object_new_array();

	*ret_failed = NULL;
	check_memtotal(arr, base, reply, plugged_bytes, ret_failed);
	return arr;
}

struct json_object *mhp_acct_check_plugged(struct json_object *base, struct json_object *snap, guint64 plugged_bytes,
					   guint64 vmemmap_bytes, const MhpAcctBands *bands, const char **ret_failed)
{
	struct json_object *arr = json_object_new_array();

	*ret_failed = NULL;
	check_memtotal(arr, base, snap, plugged_bytes, ret_failed);
	check_section_grew(arr, "linear-map-grew", SECTION_LINEAR, base, snap, plugged_bytes, ret_failed);
	check_section_grew(arr, "vmemmap-grew", SECTION_VMEMMAP, base, snap, vmemmap_bytes, ret_failed);
	return arr;
}

struct json_object *mhp_acct_check_removed(struct json_object *base, struct json_object *snap, guint64 plugged_bytes,
					   guint64 vmemmap_bytes, const MhpAcctBands *bands, const char **ret_failed)
{
	struct json_object *arr = json_object_new_array();

	*ret_failed = NULL;
	check_memtotal(arr, base, snap, plugged_bytes, ret_failed);
	if (plugged_bytes) {
		/* other DIMMs are still in: only their share is allowed */
		check_section_grew(arr, "linear-map-restored", SECTION_LINEAR, base, snap, plugged_bytes, ret_failed);
		check_section_grew(arr, "vmemmap-restored", SECTION_VMEMMAP, base, snap, vmemmap_bytes, ret_failed);
		return arr;
	}
	static const char *const linear[3] = { "linear-map-restored", "linear-map-restored-table-pages",
					       "linear-map-restored-attributes" };
	static const char *const vmemmap[3] = { "vmemmap-restored", "vmemmap-restored-table-pages",
						"vmemmap-restored-attributes" };
	check_section_restored(arr, linear, SECTION_LINEAR, base, snap, bands->stressed, ret_failed);
	check_section_restored(arr, vmemmap, SECTION_VMEMMAP, base, snap, bands->stressed, ret_failed);
	if (bands->stressed) {
		mhp_acct_add_skipped(arr, "page-tables-band", "stressors allocate page tables by design");
		mhp_acct_add_skipped(arr, "nr-page-table-pages-band", "stressors allocate page tables by design");
		mhp_acct_add_skipped(arr, "memfree-band", "stressors allocate memory by design");
		return arr;
	}
	check_band(arr, "page-tables-band", base, snap, "meminfo", "PageTables", bands->page_tables_kb, ret_failed);
	check_band(arr, "nr-page-table-pages-band", base, snap, "vmstat", "nr_page_table_pages",
		   bands->nr_page_table_pages, ret_failed);
	{
		gint64 b, v;

		if (mhp_acct_free_kb(base, &b) && mhp_acct_free_kb(snap, &v))
			mhp_acct_add_check(arr, "memfree-band", (guint64)ABS(v - b) <= bands->memfree_kb, v, b,
				  (gint64)bands->memfree_kb, ret_failed);
		else
			mhp_acct_add_skipped(arr, "memfree-band", "no MemFree");
	}
	return arr;
}

/* ---- trends ---- */

typedef struct {
	char *unit;
	int direction;    /* +1: a leak makes it grow; -1: shrink; 0: context only */
	double threshold; /* one page per cycle, in the series' unit */
	/* the least-squares line's sums, kept as they come (Welford): a soak's
	 * millions of points take no memory */
	guint64 n;
	double mx, my;    /* means */
	double cxx, cxy, cyy; /* sums of the products of deviations */
} Series;

struct MhpTrends {
	GHashTable *series; /* name -> Series */
	GPtrArray *order;
	gboolean context_only;
};

void mhp_trends_set_context_only(MhpTrends *t, gboolean context_only)
{
	t->context_only = context_only;
}

static void series_free(gpointer p)
{
	Series *s = p;

	g_free(s->unit);
	g_free(s);
}

MhpTrends *mhp_trends_new(void)
{
	MhpTrends *t = g_new0(MhpTrends, 1);

	t->series = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, series_free);
	t->order = g_ptr_array_new();
	return t;
}

void mhp_trends_free(MhpTrends *t)
{
	if (!t)
		return;
	g_ptr_array_unref(t->order);
	g_hash_table_destroy(t->series);
	g_free(t);
}

static Series *series_get(MhpTrends *t, const char *name, const char *unit)
{
	Series *s = g_hash_table_lookup(t->series, name);

	if (!s) {
		s = g_new0(Series, 1);
		s->unit = g_strdup(unit);
		s->direction = strcmp(name, "MemFree") == 0 ? -1 : 1;
		if (!strcmp(name, "VmallocUsed") || !strcmp(name, "Percpu") || !strcmp(name, "KernelStack") ||
		    !strcmp(name, "pcp_kb"))
			s->direction = 0;
		/* one page per cycle; MemFree also carries slab and anon growth from
		 * the guest's own churn (about a page per cycle measured), so it
		 * flags 16 pages: still far below a vmemmap leak (512 per 128M) */
		s->threshold = strcmp(name, "MemFree") == 0 ? 64.0 : strcmp(unit, "kB") == 0 ? 4.0 : 1.0;
		char *key = g_strdup(name);
		g_hash_table_insert(t->series, key, s);
		g_ptr_array_add(t->order, key);
	}
	return s;
}

void mhp_trends_add(MhpTrends *t, const char *name, const char *unit, double x, double y)
{
	Series *s = series_get(t, name, unit);
	double dx = x - s->mx, dy = y - s->my;

	/* deviations from the old means times those from the new: exact sums, stably */
	s->n++;
	s->mx += dx / (double)s->n;
	s->my += dy / (double)s->n;
	s->cxx += dx * (x - s->mx);
	s->cxy += dx * (y - s->my);
	s->cyy += dy * (y - s->my);
}

static const char *const series_names[_MHP_ACCT_SERIES_MAX] = {
	[MHP_ACCT_PAGE_TABLES] = "PageTables",
	[MHP_ACCT_VMALLOC_USED] = "VmallocUsed",
	[MHP_ACCT_PERCPU] = "Percpu",
	[MHP_ACCT_KERNEL_STACK] = "KernelStack",
	[MHP_ACCT_MEM_FREE] = "MemFree",
	[MHP_ACCT_PCP_KB] = "pcp_kb",
	[MHP_ACCT_NR_PAGE_TABLE_PAGES] = "nr_page_table_pages",
	[MHP_ACCT_KERNEL_TABLE_PAGES] = "kernel_table_pages",
};

const char *mhp_acct_series_to_string(MhpAcctSeries s)
{
	return s >= 0 && s < _MHP_ACCT_SERIES_MAX ? series_names[s] : NULL;
}

MhpAcctSeries mhp_acct_series_from_string(const char *s)
{
	for (int i = 0; s && i < _MHP_ACCT_SERIES_MAX; i++)
		if (strcmp(series_names[i], s) == 0)
			return (MhpAcctSeries)i;
	return _MHP_ACCT_SERIES_INVALID;
}

static void value_set(MhpAcctValues *v, MhpAcctSeries s, gint64 n)
{
	v->v[s] = (double)n;
	v->have |= 1u << s;
}

void mhp_acct_values(struct json_object *snap, MhpAcctValues *ret)
{
	static const MhpAcctSeries kb[] = { MHP_ACCT_PAGE_TABLES, MHP_ACCT_VMALLOC_USED, MHP_ACCT_PERCPU,
					    MHP_ACCT_KERNEL_STACK };
	struct json_object *pt, *tot, *v;
	gint64 n;

	*ret = (MhpAcctValues){ 0 };
	for (gsize i = 0; i < G_N_ELEMENTS(kb); i++)
		if (mhp_acct_get_i64(snap, "meminfo", series_names[kb[i]], &n))
			value_set(ret, kb[i], n);
	if (mhp_acct_free_kb(snap, &n))
		value_set(ret, MHP_ACCT_MEM_FREE, n);
	if (snap && json_object_object_get_ex(snap, "pcp_kb", &v) && json_object_is_type(v, json_type_int))
		value_set(ret, MHP_ACCT_PCP_KB, json_object_get_int64(v));
	if (mhp_acct_get_i64(snap, "vmstat", "nr_page_table_pages", &n))
		value_set(ret, MHP_ACCT_NR_PAGE_TABLE_PAGES, n);
	if (snap && json_object_object_get_ex(snap, "ptdump", &pt) && json_object_object_get_ex(pt, "total", &tot) &&
	    json_object_object_get_ex(tot, "table_pages", &v) && json_object_is_type(v, json_type_int))
		value_set(ret, MHP_ACCT_KERNEL_TABLE_PAGES, json_object_get_int64(v));
}

void mhp_trends_add_values(MhpTrends *t, double x, const MhpAcctValues *v)
{
	for (int s = 0; s < _MHP_ACCT_SERIES_MAX; s++)
		if (v->have & (1u << s))
			mhp_trends_add(t, series_names[s], s >= MHP_ACCT_NR_PAGE_TABLE_PAGES ? "pages" : "kB", x, v->v[s]);
}

void mhp_trends_add_snapshot(MhpTrends *t, double x, struct json_object *snap)
{
	MhpAcctValues v;

	mhp_acct_values(snap, &v);
	mhp_trends_add_values(t, x, &v);
}

struct json_object *mhp_trends_to_json(MhpTrends *t, guint *ret_leaks)
{
	struct json_object *o = json_object_new_object();

	*ret_leaks = 0;
	for (guint i = 0; i < t->order->len; i++) {
		const char *name = g_ptr_array_index(t->order, i);
		Series *s = g_hash_table_lookup(t->series, name);
		guint n = (guint)MIN(s->n, G_MAXUINT);
		double sxx = s->cxx, sxy = s->cxy, sse = 0, slope = 0, se = 0, tstat = 0;
		const char *verdict;
		struct json_object *e = json_object_new_object();

		if (sxx > 0) {
			slope = sxy / sxx;
			sse = MAX(s->cyy - slope * sxy, 0.0); /* the residuals' squares */
		}
		if (n > 2 && sxx > 0) {
			se = sqrt(sse / (n - 2) / sxx);
			tstat = se > 0 ? slope / se : (slope != 0 ? INFINITY : 0);
		}
		if (n < 10)
			verdict = "too-few-points";
		else if (s->direction == 0 || t->context_only)
			verdict = "context";
		else if (s->direction * slope > s->threshold && s->direction * tstat > 3.0)
			verdict = "leak";
		else
			verdict = "ok";
		if (strcmp(verdict, "leak") == 0)
			(*ret_leaks)++;
		json_object_object_add(e, "slope", mhp_json_new_double(slope));
		json_object_object_add(e, "unit", json_object_new_string(s->unit));
		json_object_object_add(e, "per", json_object_new_string("cycle"));
		json_object_object_add(e, "n", json_object_new_int((int)n));
		json_object_object_add(e, "stderr", mhp_json_new_double(se));
		json_object_object_add(e, "t", mhp_json_new_double(isfinite(tstat) ? tstat : 1e9));
		json_object_object_add(e, "threshold", mhp_json_new_double(s->threshold));
		json_object_object_add(e, "verdict", json_object_new_string(verdict));
		json_object_object_add(o, name, e);
	}
	return o;
}

