/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accounting.h - page-table accounting: per-cycle checks, trends, compare.
 * Pure functions over agent snapshots (docs/accounting.md).
 */
#ifndef MHP_ACCOUNTING_H
#define MHP_ACCOUNTING_H

#include <errno.h>
#include <glib.h>
#include <json-c/json.h>

typedef struct {
	guint64 page_tables_kb;     /* |PageTables - baseline| allowed after removal */
	guint64 nr_page_table_pages;/* |nr_page_table_pages - baseline| */
	guint64 memfree_kb;         /* |MemFree - baseline| */
	guint struct_page_size;     /* bytes of struct page, for the vmemmap expectation */
	gboolean stressed;          /* stressors allocate page tables and memory by design:
				     * the bands are not checked, the trends are context */
} MhpAcctBands;

void mhp_acct_bands_default(MhpAcctBands *b);

/* vmemmap bytes a DIMM of @size maps: size/page * struct page, rounded up to
 * the mapping granule (2 MiB PMD blocks with 4K pages, else one page). */
guint64 mhp_acct_vmemmap_bytes(guint64 size, guint page_size, guint struct_page_size);

/**
 * mhp_acct_snapshot_check() - is an agent snapshot reply well formed?
 * @snap: the reply's "ok" object, from the untrusted guest
 * @error: a MHP_JSON_ERROR naming the key at fault
 *
 * Types and bounds of everything the checks, trends and compare read. They
 * survive any JSON anyway (they read only what has the right type), but a
 * snapshot that fails this is a protocol error, not a verdict.
 */
gboolean mhp_acct_snapshot_check(struct json_object *snap, GError **error);

/**
 * mhp_acct_check_light() - race mode's check after a plug or a removal.
 * @base: the baseline snapshot
 * @reply: the online or wait-blocks reply with "meminfo": {"MemTotal": kB}
 * @plugged_bytes: memory plugged and online now
 * @ret_failed: set to "memtotal-exact" if it failed, else NULL
 *
 * Only MemTotal, read without drop_caches, ptdump or pausing the stressors:
 * the block states are checked from the same reply by the engine.
 *
 * Return: a JSON array with the one check.
 */
struct json_object *mhp_acct_check_light(struct json_object *base, struct json_object *reply, guint64 plugged_bytes,
					 const char **ret_failed);

/**
 * mhp_acct_check_plugged() - checks after a DIMM is online.
 * @base: the baseline snapshot
 * @snap: the snapshot now
 * @plugged_bytes: memory plugged and online now, this DIMM included
 * @vmemmap_bytes: the vmemmap that memory needs (mhp_acct_vmemmap_bytes, summed)
 * @ret_failed: set to the name of the first failing check, or NULL
 *
 * Return: a JSON array of {name, pass, value, expected[, band]}.
 */
struct json_object *mhp_acct_check_plugged(struct json_object *base, struct json_object *snap, guint64 plugged_bytes,
					   guint64 vmemmap_bytes, const MhpAcctBands *bands, const char **ret_failed);

/*
 * After a removal. @plugged_bytes and @vmemmap_bytes are what is still
 * plugged; when nothing is, the Linear Mapping and vmemmap must equal the
 * baseline exactly (digest: ranges, levels, attributes; and table pages).
 */
struct json_object *mhp_acct_check_removed(struct json_object *base, struct json_object *snap, guint64 plugged_bytes,
					   guint64 vmemmap_bytes, const MhpAcctBands *bands, const char **ret_failed);

/* ---- the values trends follow, and what a plug adds to them ---- */

/* The series taken from each post-removal snapshot, in summary order. */
typedef enum {
	MHP_ACCT_PAGE_TABLES,        /* meminfo PageTables, kB */
	MHP_ACCT_VMALLOC_USED,       /* kB, context */
	MHP_ACCT_PERCPU,             /* kB, context */
	MHP_ACCT_KERNEL_STACK,       /* kB, context */
	MHP_ACCT_MEM_FREE,           /* MemFree + pcp_kb, kB */
	MHP_ACCT_PCP_KB,             /* kB, context */
	MHP_ACCT_NR_PAGE_TABLE_PAGES,/* vmstat, pages */
	MHP_ACCT_KERNEL_TABLE_PAGES, /* ptdump total table pages */
	_MHP_ACCT_SERIES_MAX,
	_MHP_ACCT_SERIES_INVALID = -EINVAL,
} MhpAcctSeries;

const char *mhp_acct_series_to_string(MhpAcctSeries s);
MhpAcctSeries mhp_acct_series_from_string(const char *s);

/* One value per series; bit s of @have says whether v[s] was read. */
typedef struct {
	double v[_MHP_ACCT_SERIES_MAX];
	guint32 have;
} MhpAcctValues;

/**
 * mhp_acct_values() - the series' values of a snapshot.
 * @snap: an agent snapshot (any JSON: only values of the right type are read)
 * @ret: every series read; the others are cleared from @ret->have
 */
void mhp_acct_values(struct json_object *snap, MhpAcctValues *ret);

/* Does this kernel count hot-added kernel page tables in PageTables and
 * nr_page_table_pages? Found at the first plug that can tell. */
typedef enum {
	MHP_ACCT_COUNTS_UNKNOWN,
	MHP_ACCT_COUNTS_YES,
	MHP_ACCT_COUNTS_NO,
	_MHP_ACCT_COUNTS_MAX,
	_MHP_ACCT_COUNTS_INVALID = -EINVAL,
} MhpAcctCounts;

const char *mhp_acct_counts_to_string(MhpAcctCounts c);
MhpAcctCounts mhp_acct_counts_from_string(const char *s);

/* The differential's band never goes below this many pages (docs/accounting.md). */
#define MHP_ACCT_RETURNED_FLOOR 32
/* Plugs whose noise the band is made from. */
#define MHP_ACCT_NOISE_PLUGS 16

/* What one DIMM's plug added: the snapshot after its online minus the one
 * just before, with only that plug in between. */
typedef struct {
	gboolean valid;
	MhpAcctValues delta;
	gint64 tables;    /* table pages the plug added: ptdump, else geometry */
	gboolean from_ptdump;
	gint64 noise;     /* nr_page_table_pages rise - tables: user page tables */
} MhpAcctRise;

/**
 * mhp_acct_rise() - measure what a plug added.
 * @before: the snapshot just before the plug
 * @after: the snapshot after its online
 * @size: the DIMM's bytes
 * @page_size: the guest's page size
 * @ret: the rise; ->valid when both snapshots have nr_page_table_pages
 *
 * Without a ptdump in both, the table pages are the geometry's for a linear
 * map of page-sized entries (7.3's): size / (page_size * page_size / 8)
 * PTE tables plus one.
 */
void mhp_acct_rise(struct json_object *before, struct json_object *after, guint64 size, guint page_size,
		   MhpAcctRise *ret);

/* The run's knowledge for the differential: the finding and the noise of
 * the last MHP_ACCT_NOISE_PLUGS plugs. */
typedef struct {
	MhpAcctCounts counts;
	gint64 counts_rise, counts_tables; /* the plug the finding came from */
	gint64 noise[MHP_ACCT_NOISE_PLUGS];
	guint n_noise;
} MhpAcctDiff;

/**
 * mhp_acct_diff_plugged() - learn from a measured plug.
 * @st: the run's state
 * @rise: the plug's rise (ignored unless valid)
 *
 * Return: TRUE when this plug made the finding (st->counts is new).
 */
gboolean mhp_acct_diff_plugged(MhpAcctDiff *st, const MhpAcctRise *rise);

/* The differential's band, in pages: max(floor, 2 x the largest |noise|). */
gint64 mhp_acct_diff_band(const MhpAcctDiff *st);

/**
 * mhp_acct_check_returned() - after a removal, the counters fell by what the plug raised.
 * @arr: the checks (mhp_acct_check_removed()'s array) to add to
 * @before: the snapshot just before the removal, or NULL when something
 *          else changed since it was taken
 * @after: the snapshot after the removal
 * @rise: what this DIMM's plug added
 * @st: the finding and noise
 * @page_size: to turn pages into PageTables kB
 * @bands: stressed: skipped
 * @ret_failed: set to the first failing check, unless already set
 *
 * Adds pagetables-returned and nr_page_table_pages-returned: value is the
 * fall, expected the rise, band mhp_acct_diff_band() (in kB for PageTables).
 */
void mhp_acct_check_returned(struct json_object *arr, struct json_object *before, struct json_object *after,
			     const MhpAcctRise *rise, const MhpAcctDiff *st, guint page_size, const MhpAcctBands *bands,
			     const char **ret_failed);

/* {rise per series, tables, from, noise} for the cycle record. */
struct json_object *mhp_acct_rise_to_json(const MhpAcctRise *rise);

/* ---- trends ---- */

typedef struct MhpTrends MhpTrends;

MhpTrends *mhp_trends_new(void);
/* Every series is context only (stressors running): nothing is flagged. */
void mhp_trends_set_context_only(MhpTrends *t, gboolean context_only);
void mhp_trends_free(MhpTrends *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MhpTrends, mhp_trends_free)

/* Record the post-removal values of a quiet guest (nothing else plugged). */
void mhp_trends_add_snapshot(MhpTrends *t, double x, struct json_object *snap);
/* Record the values read (@v->have), e.g. corrected for DIMMs still plugged. */
void mhp_trends_add_values(MhpTrends *t, double x, const MhpAcctValues *v);
void mhp_trends_add(MhpTrends *t, const char *name, const char *unit, double x, double y);

/**
 * mhp_trends_to_json() - name -> {slope, unit, n, stderr, t, verdict}.
 * @ret_leaks: how many trends are flagged "leak"
 *
 * A leak: at least 10 points, a slope above the threshold (one page per
 * cycle: 4 kB for kB values, 1 for pages; 64 kB for MemFree, which counts
 * pages on per-CPU lists as free), and a t statistic (slope over its
 * residual standard error) above 3. Context trends (VmallocUsed, Percpu,
 * KernelStack, pcp_kb) are never flagged.
 */
struct json_object *mhp_trends_to_json(MhpTrends *t, guint *ret_leaks);

/* ---- compare ---- */

/**
 * mhp_compare() - compare two snapshots.
 * @a: the earlier snapshot
 * @b: the later one
 * @ret_report: the differences as JSON
 *
 * Return: TRUE when the page-table invariants hold: the Linear Mapping and
 * vmemmap sections have equal digests and table pages.
 */
gboolean mhp_compare(struct json_object *a, struct json_object *b, struct json_object **ret_report);
char *mhp_compare_format(struct json_object *report, const char *name_a, const char *name_b);

#endif
