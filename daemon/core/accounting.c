// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * accounting.c - page-table accounting: per-cycle checks, trends, compare.
 *
 * Everything works on agent snapshots: {meminfo, vmstat, ptdump summary,
 * and in full snapshots ptdump_raw}. See docs/accounting.md for what each
 * check means and where its noise comes from.
 */
#include <math.h>
#include <string.h>

#include "accounting.h"
#include "jsonget.h"
#include "ptdump.h"

#define SECTION_LINEAR "Linear Mapping"
#define SECTION_VMEMMAP "vmemmap"

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

static gboolean get_i64(struct json_object *snap, const char *group, const char *key, gint64 *ret)
{
	struct json_object *g, *v;

	if (!snap || !json_object_object_get_ex(snap, group, &g) || !json_object_object_get_ex(g, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return FALSE;
	*ret = json_object_get_int64(v);
	return TRUE;
}

/* MemFree plus the pages parked on per-CPU lists, which MemFree leaves out. */
static gboolean free_kb(struct json_object *snap, gint64 *ret)
{
	struct json_object *v;

	if (!get_i64(snap, "meminfo", "MemFree", ret))
		return FALSE;
	if (json_object_object_get_ex(snap, "pcp_kb", &v) && json_object_is_type(v, json_type_int))
		*ret += json_object_get_int64(v);
	return TRUE;
}

/*
 * Snapshots come from the guest. Every reader below checks types itself, so
 * that the checks and mhp_compare() survive any JSON (fuzz-engine-replies);
 * mhp_acct_snapshot_check() is the strict gate the engine applies first.
 */

/* The ptdump sections array of @snap, or NULL. */
static struct json_object *sections_of(struct json_object *snap)
{
	struct json_object *pt, *secs;

	if (!json_object_object_get_ex(snap, "ptdump", &pt) || !json_object_object_get_ex(pt, "sections", &secs) ||
	    !json_object_is_type(secs, json_type_array))
		return NULL;
	return secs;
}

static const char *sec_str(struct json_object *sec, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(sec, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : "";
}

static gint64 sec_i64(struct json_object *sec, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(sec, key, &v) && json_object_is_type(v, json_type_int)
		       ? json_object_get_int64(v) : 0;
}

static struct json_object *section(struct json_object *snap, const char *name)
{
	struct json_object *secs = sections_of(snap);

	for (size_t i = 0; secs && i < json_object_array_length(secs); i++) {
		struct json_object *s = json_object_array_get_idx(secs, i);

		if (json_object_is_type(s, json_type_object) && strcmp(sec_str(s, "name"), name) == 0)
			return s;
	}
	return NULL;
}

#define SNAP_MAX_KEYS 4096    /* meminfo has ~60, vmstat ~200 */
#define SNAP_MAX_SECTIONS 64  /* ptdump has ~10 */
#define SNAP_MAX_STRING 256   /* names and digests */

/* @group, when present, is an object of at most SNAP_MAX_KEYS integers. */
static gboolean check_counters(struct json_object *snap, const char *group, GError **error)
{
	struct json_object *g;
	int n = 0;

	if (!json_object_object_get_ex(snap, group, NULL))
		return TRUE; /* unread: the reply's "errors" says why */
	if (!mhp_json_get_object(snap, "snapshot", group, &g, error))
		return FALSE;
	json_object_object_foreach(g, k, v) {
		if (++n > SNAP_MAX_KEYS) {
			g_set_error(error, MHP_JSON_ERROR, MHP_JSON_ERROR_RANGE, "snapshot: '%s': more than %d keys",
				    group, SNAP_MAX_KEYS);
			return FALSE;
		}
		if (!json_object_is_type(v, json_type_int)) {
			g_set_error(error, MHP_JSON_ERROR, MHP_JSON_ERROR_TYPE,
				    "snapshot: '%s'.'%s': expected an integer, got %s", group, k, mhp_json_type_name(v));
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean check_section(struct json_object *secs, gsize i, GError **error)
{
	g_autofree char *what = g_strdup_printf("snapshot: 'ptdump'.'sections'[%zu]", (size_t)i);
	struct json_object *sec;
	const char *str;
	gint64 n;

	return mhp_json_index_object(secs, "snapshot: 'ptdump'.'sections'", i, &sec, error) &&
	       mhp_json_get_string(sec, what, "name", SNAP_MAX_STRING, &str, error) &&
	       mhp_json_get_int(sec, what, "mapped_bytes", 0, G_MAXINT64, &n, error) &&
	       mhp_json_get_int(sec, what, "table_pages", 0, G_MAXINT64, &n, error) &&
	       mhp_json_opt_int(sec, what, "lines", 0, G_MAXINT64, 0, &n, error) &&
	       mhp_json_opt_string(sec, what, "digest", SNAP_MAX_STRING, "", &str, error) &&
	       mhp_json_opt_string(sec, what, "ranges_digest", SNAP_MAX_STRING, "", &str, error);
}

gboolean mhp_acct_snapshot_check(struct json_object *snap, GError **error)
{
	struct json_object *pt, *secs, *tot;
	const char *str;
	gint64 n;

	if (!json_object_is_type(snap, json_type_object)) {
		g_set_error(error, MHP_JSON_ERROR, MHP_JSON_ERROR_TYPE, "snapshot: expected an object, got %s",
			    mhp_json_type_name(snap));
		return FALSE;
	}
	if (!check_counters(snap, "meminfo", error) || !check_counters(snap, "vmstat", error) ||
	    !mhp_json_opt_int(snap, "snapshot", "pcp_kb", 0, G_MAXINT64, 0, &n, error) ||
	    !mhp_json_opt_string(snap, "snapshot", "ptdump_raw", G_MAXINT32, NULL, &str, error))
		return FALSE;
	/* absent or null: not asked for, or not readable */
	if (!json_object_object_get_ex(snap, "ptdump", &pt) || json_object_is_type(pt, json_type_null))
		return TRUE;
	if (!mhp_json_get_object(snap, "snapshot", "ptdump", &pt, error) ||
	    !mhp_json_get_array(pt, "snapshot: 'ptdump'", "sections", SNAP_MAX_SECTIONS, &secs, error))
		return FALSE;
	if (json_object_object_get_ex(pt, "total", NULL) &&
	    (!mhp_json_get_object(pt, "snapshot: 'ptdump'", "total", &tot, error) ||
	     !mhp_json_get_int(tot, "snapshot: 'ptdump'.'total'", "table_pages", 0, G_MAXINT64, &n, error)))
		return FALSE;
	for (gsize i = 0; i < json_object_array_length(secs); i++)
		if (!check_section(secs, i, error))
			return FALSE;
	return TRUE;
}

static void add_check(struct json_object *arr, const char *name, gboolean pass, gint64 value, gint64 expected,
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

static void add_skipped(struct json_object *arr, const char *name, const char *why)
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

	if (get_i64(base, "meminfo", "MemTotal", &b) && get_i64(snap, "meminfo", "MemTotal", &v))
		add_check(arr, "memtotal-exact", v == b + (gint64)(plugged / 1024), v, b + (gint64)(plugged / 1024), -1,
			  failed);
	else
		add_skipped(arr, "memtotal-exact", "no MemTotal");
}

/* A section grew by exactly @delta bytes over the baseline. */
static void check_section_grew(struct json_object *arr, const char *check, const char *name, struct json_object *base,
			       struct json_object *snap, guint64 delta, const char **failed)
{
	struct json_object *sb = section(base, name), *sn = section(snap, name);

	if (!sb || !sn) {
		add_skipped(arr, check, "no ptdump in the snapshots");
		return;
	}
	gint64 want = sec_i64(sb, "mapped_bytes") + (gint64)delta;
	add_check(arr, check, sec_i64(sn, "mapped_bytes") == want, sec_i64(sn, "mapped_bytes"), want, -1, failed);
}

/* The mapped address ranges, whatever their attributes (older summaries: the full digest). */
static const char *ranges_of(struct json_object *sec)
{
	const char *r = sec_str(sec, "ranges_digest");

	return *r ? r : sec_str(sec, "digest");
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
	struct json_object *sb = section(base, name), *sn = section(snap, name);
	/* names with static storage: *failed outlives this call */
	const char *tables = check[1], *attrs = check[2];

	if (!sb || !sn) {
		add_skipped(arr, check[0], "no ptdump in the snapshots");
		return;
	}
	add_check(arr, check[0], strcmp(ranges_of(sb), ranges_of(sn)) == 0, sec_i64(sn, "mapped_bytes"),
		  sec_i64(sb, "mapped_bytes"), -1, failed);
	add_check(arr, tables, sec_i64(sb, "table_pages") == sec_i64(sn, "table_pages"), sec_i64(sn, "table_pages"),
		  sec_i64(sb, "table_pages"), -1, failed);
	if (stressed)
		add_skipped(arr, attrs, "stressors change attributes (module loads)");
	else
		add_check(arr, attrs, strcmp(sec_str(sb, "digest"), sec_str(sn, "digest")) == 0, sec_i64(sn, "lines"),
			  sec_i64(sb, "lines"), -1, failed);
}

static void check_band(struct json_object *arr, const char *check, struct json_object *base, struct json_object *snap,
		       const char *group, const char *key, guint64 band, const char **failed)
{
	gint64 b, v;

	if (!get_i64(base, group, key, &b) || !get_i64(snap, group, key, &v)) {
		add_skipped(arr, check, "not in the snapshots");
		return;
	}
	add_check(arr, check, (guint64)ABS(v - b) <= band, v, b, (gint64)band, failed);
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
		add_skipped(arr, "page-tables-band", "stressors allocate page tables by design");
		add_skipped(arr, "nr-page-table-pages-band", "stressors allocate page tables by design");
		add_skipped(arr, "memfree-band", "stressors allocate memory by design");
		return arr;
	}
	check_band(arr, "page-tables-band", base, snap, "meminfo", "PageTables", bands->page_tables_kb, ret_failed);
	check_band(arr, "nr-page-table-pages-band", base, snap, "vmstat", "nr_page_table_pages",
		   bands->nr_page_table_pages, ret_failed);
	{
		gint64 b, v;

		if (free_kb(base, &b) && free_kb(snap, &v))
			add_check(arr, "memfree-band", (guint64)ABS(v - b) <= bands->memfree_kb, v, b,
				  (gint64)bands->memfree_kb, ret_failed);
		else
			add_skipped(arr, "memfree-band", "no MemFree");
	}
	return arr;
}

/* ---- trends ---- */

typedef struct {
	char *unit;
	int direction;    /* +1: a leak makes it grow; -1: shrink; 0: context only */
	double threshold; /* one page per cycle, in the series' unit */
	GArray *x, *y;
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
	g_array_unref(s->x);
	g_array_unref(s->y);
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
		s->x = g_array_new(FALSE, FALSE, sizeof(double));
		s->y = g_array_new(FALSE, FALSE, sizeof(double));
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

	g_array_append_val(s->x, x);
	g_array_append_val(s->y, y);
}

void mhp_trends_add_snapshot(MhpTrends *t, double x, struct json_object *snap)
{
	static const char *const kb[] = { "PageTables", "VmallocUsed", "Percpu", "KernelStack" };
	struct json_object *pt, *tot, *v;
	gint64 n;

	for (gsize i = 0; i < G_N_ELEMENTS(kb); i++)
		if (get_i64(snap, "meminfo", kb[i], &n))
			mhp_trends_add(t, kb[i], "kB", x, (double)n);
	if (free_kb(snap, &n))
		mhp_trends_add(t, "MemFree", "kB", x, (double)n);
	if (json_object_object_get_ex(snap, "pcp_kb", &v) && json_object_is_type(v, json_type_int))
		mhp_trends_add(t, "pcp_kb", "kB", x, (double)json_object_get_int64(v));
	if (get_i64(snap, "vmstat", "nr_page_table_pages", &n))
		mhp_trends_add(t, "nr_page_table_pages", "pages", x, (double)n);
	if (json_object_object_get_ex(snap, "ptdump", &pt) && json_object_object_get_ex(pt, "total", &tot) &&
	    json_object_object_get_ex(tot, "table_pages", &v) && json_object_is_type(v, json_type_int))
		mhp_trends_add(t, "kernel_table_pages", "pages", x, (double)json_object_get_int64(v));
}

struct json_object *mhp_trends_to_json(MhpTrends *t, guint *ret_leaks)
{
	struct json_object *o = json_object_new_object();

	*ret_leaks = 0;
	for (guint i = 0; i < t->order->len; i++) {
		const char *name = g_ptr_array_index(t->order, i);
		Series *s = g_hash_table_lookup(t->series, name);
		guint n = s->x->len;
		double mx = 0, my = 0, sxx = 0, sxy = 0, sse = 0, slope = 0, se = 0, tstat = 0;
		const char *verdict;
		struct json_object *e = json_object_new_object();

		for (guint k = 0; k < n; k++) {
			mx += g_array_index(s->x, double, k) / n;
			my += g_array_index(s->y, double, k) / n;
		}
		for (guint k = 0; k < n; k++) {
			double dx = g_array_index(s->x, double, k) - mx;
			sxx += dx * dx;
			sxy += dx * (g_array_index(s->y, double, k) - my);
		}
		if (sxx > 0)
			slope = sxy / sxx;
		for (guint k = 0; k < n; k++) {
			double r = g_array_index(s->y, double, k) - (my + slope * (g_array_index(s->x, double, k) - mx));
			sse += r * r;
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
		json_object_object_add(e, "slope", json_object_new_double(slope));
		json_object_object_add(e, "unit", json_object_new_string(s->unit));
		json_object_object_add(e, "per", json_object_new_string("cycle"));
		json_object_object_add(e, "n", json_object_new_int((int)n));
		json_object_object_add(e, "stderr", json_object_new_double(se));
		json_object_object_add(e, "t", json_object_new_double(isfinite(tstat) ? tstat : 1e9));
		json_object_object_add(e, "threshold", json_object_new_double(s->threshold));
		json_object_object_add(e, "verdict", json_object_new_string(verdict));
		json_object_object_add(o, name, e);
	}
	return o;
}

/* ---- compare ---- */

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
			   *ranges = json_object_new_object(), *sa_arr = sections_of(a);
	gboolean hold = TRUE, have_ptdump;
	Ranges la, lb;
	gboolean raw_a = raw_ranges(a, &la), raw_b = raw_ranges(b, &lb);
	g_autoptr(GPtrArray) names = g_ptr_array_new();

	diff_group(report, "meminfo", a, b);
	diff_group(report, "vmstat", a, b);
	have_ptdump = section(a, SECTION_LINEAR) && section(b, SECTION_LINEAR);
	for (size_t i = 0; sa_arr && i < json_object_array_length(sa_arr); i++) {
		struct json_object *s = json_object_array_get_idx(sa_arr, i);

		if (json_object_is_type(s, json_type_object) && *sec_str(s, "name"))
			g_ptr_array_add(names, (gpointer)sec_str(s, "name"));
	}
	for (guint i = 0; i < names->len; i++) {
		const char *name = g_ptr_array_index(names, i);
		struct json_object *sa = section(a, name), *sb = section(b, name), *o = json_object_new_object();
		gboolean equal = sb && strcmp(ranges_of(sa), ranges_of(sb)) == 0 &&
				 sec_i64(sa, "table_pages") == sec_i64(sb, "table_pages");
		gboolean same_attrs = sb && strcmp(sec_str(sa, "digest"), sec_str(sb, "digest")) == 0;
		gboolean invariant = strcmp(name, SECTION_LINEAR) == 0 || strcmp(name, SECTION_VMEMMAP) == 0;

		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "mapped_a", json_object_new_int64(sec_i64(sa, "mapped_bytes")));
		json_object_object_add(o, "mapped_b", json_object_new_int64(sec_i64(sb, "mapped_bytes")));
		json_object_object_add(o, "mapped_delta", json_object_new_int64(sec_i64(sb, "mapped_bytes") - sec_i64(sa, "mapped_bytes")));
		json_object_object_add(o, "table_pages_a", json_object_new_int64(sec_i64(sa, "table_pages")));
		json_object_object_add(o, "table_pages_b", json_object_new_int64(sec_i64(sb, "table_pages")));
		json_object_object_add(o, "table_pages_delta", json_object_new_int64(sec_i64(sb, "table_pages") - sec_i64(sa, "table_pages")));
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
