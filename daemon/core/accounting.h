/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accounting.h - page-table accounting: per-cycle checks, trends, compare.
 * Pure functions over agent snapshots (docs/accounting.md).
 */
#ifndef MHP_ACCOUNTING_H
#define MHP_ACCOUNTING_H

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

/* ---- trends ---- */

typedef struct MhpTrends MhpTrends;

MhpTrends *mhp_trends_new(void);
/* Every series is context only (stressors running): nothing is flagged. */
void mhp_trends_set_context_only(MhpTrends *t, gboolean context_only);
void mhp_trends_free(MhpTrends *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MhpTrends, mhp_trends_free)

/* Record the post-removal values of a quiet guest (nothing else plugged). */
void mhp_trends_add_snapshot(MhpTrends *t, double x, struct json_object *snap);
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
