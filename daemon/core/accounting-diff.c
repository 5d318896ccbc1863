// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * accounting-diff.c - the differential: after a DIMM's removal, the
 * page-table counters fall by what they rose at its plug.
 *
 * Some kernels (7.3) count hot-added kernel page tables in PageTables and
 * nr_page_table_pages; others (6.12) do not. Where they are counted, a
 * table page freed without pagetable_dtor() stays counted, and the
 * differential sees one DIMM's worth (65 pages for 128M) in the very cycle.
 * docs/accounting.md has the finding, the band and the numbers behind them.
 */
#include <string.h>

#include "accounting-private.h"

static const char *const counts_names[_MHP_ACCT_COUNTS_MAX] = {
	[MHP_ACCT_COUNTS_UNKNOWN] = "unknown",
	[MHP_ACCT_COUNTS_YES] = "counted",
	[MHP_ACCT_COUNTS_NO] = "not-counted",
};

const char *mhp_acct_counts_to_string(MhpAcctCounts c)
{
	return c >= 0 && c < _MHP_ACCT_COUNTS_MAX ? counts_names[c] : NULL;
}

MhpAcctCounts mhp_acct_counts_from_string(const char *s)
{
	for (int i = 0; s && i < _MHP_ACCT_COUNTS_MAX; i++)
		if (strcmp(counts_names[i], s) == 0)
			return (MhpAcctCounts)i;
	return _MHP_ACCT_COUNTS_INVALID;
}

#define HAS(v, s) (((v)->have & (1u << (s))) != 0)

void mhp_acct_rise(struct json_object *before, struct json_object *after, guint64 size, guint page_size,
		   MhpAcctRise *ret)
{
	MhpAcctValues b, a;

	*ret = (MhpAcctRise){ 0 };
	mhp_acct_values(before, &b);
	mhp_acct_values(after, &a);
	for (int s = 0; s < _MHP_ACCT_SERIES_MAX; s++)
		if (HAS(&a, s) && HAS(&b, s)) {
			ret->delta.v[s] = a.v[s] - b.v[s];
			ret->delta.have |= 1u << s;
		}
	if (HAS(&ret->delta, MHP_ACCT_KERNEL_TABLE_PAGES)) {
		ret->tables = (gint64)ret->delta.v[MHP_ACCT_KERNEL_TABLE_PAGES];
		ret->from_ptdump = TRUE;
	} else if (page_size >= 4096) {
		/* a PTE table spans page_size / 8 entries of page_size; plus the
		 * one table a level up (7.3: 256 + 1 for 512M) */
		guint64 span = (guint64)page_size * (page_size / 8);

		ret->tables = (gint64)((size + span - 1) / span) + 1;
	}
	ret->valid = HAS(&ret->delta, MHP_ACCT_NR_PAGE_TABLE_PAGES);
	if (ret->valid)
		ret->noise = (gint64)ret->delta.v[MHP_ACCT_NR_PAGE_TABLE_PAGES] - ret->tables;
}

/*
 * The finding needs a plug that adds at least 16 table pages: fewer (6.12's
 * block-mapped linear map adds one per 512M) cannot be told from user page
 * tables. Counted: the rise is within half the tables of them (user page
 * tables move it by tens of pages: 21 in the 6.12 capture). Not counted:
 * the rise is under a quarter of them. Between: wait for the next plug.
 */
gboolean mhp_acct_diff_plugged(MhpAcctDiff *st, const MhpAcctRise *rise)
{
	gint64 r;

	if (!rise->valid)
		return FALSE;
	r = (gint64)rise->delta.v[MHP_ACCT_NR_PAGE_TABLE_PAGES];
	if (st->counts == MHP_ACCT_COUNTS_YES) {
		/* the noise of user page tables between two snapshots */
		memmove(st->noise + 1, st->noise, sizeof(st->noise) - sizeof(st->noise[0]));
		st->noise[0] = ABS(rise->noise);
		st->n_noise = MIN(st->n_noise + 1, MHP_ACCT_NOISE_PLUGS);
		return FALSE;
	}
	if (st->counts != MHP_ACCT_COUNTS_UNKNOWN || rise->tables < 16)
		return FALSE;
	if (ABS(r - rise->tables) * 2 <= rise->tables)
		st->counts = MHP_ACCT_COUNTS_YES;
	else if (r * 4 < rise->tables)
		st->counts = MHP_ACCT_COUNTS_NO;
	else
		return FALSE;
	st->counts_rise = r;
	st->counts_tables = rise->tables;
	if (st->counts == MHP_ACCT_COUNTS_YES)
		mhp_acct_diff_plugged(st, rise); /* its noise counts too */
	return TRUE;
}

gint64 mhp_acct_diff_band(const MhpAcctDiff *st)
{
	gint64 band = MHP_ACCT_RETURNED_FLOOR;

	for (guint i = 0; i < st->n_noise; i++)
		band = MAX(band, 2 * st->noise[i]);
	return band;
}

static void check_one(struct json_object *arr, const char *name, struct json_object *before,
		      struct json_object *after, const MhpAcctRise *rise, MhpAcctSeries s, gint64 band,
		      const char **failed)
{
	MhpAcctValues b, a;

	mhp_acct_values(before, &b);
	mhp_acct_values(after, &a);
	if (!HAS(&b, s) || !HAS(&a, s) || !HAS(&rise->delta, s)) {
		mhp_acct_add_skipped(arr, name, "not in the snapshots");
		return;
	}
	gint64 fall = (gint64)(b.v[s] - a.v[s]), want = (gint64)rise->delta.v[s];

	/*
	 * One-sided: leaked tables make the fall short of the rise. A fall past
	 * it is user page tables freed between the snapshots (measured on a
	 * clean 7.3.4 under libvirt: 34 pages past a 32-page band); an
	 * accounting underflow would still cross the baseline band.
	 */
	mhp_acct_add_check(arr, name, fall >= want - band, fall, want, band, failed);
}

void mhp_acct_check_returned(struct json_object *arr, struct json_object *before, struct json_object *after,
			     const MhpAcctRise *rise, const MhpAcctDiff *st, guint page_size, const MhpAcctBands *bands,
			     const char **ret_failed)
{
	static const char *const names[2] = { "pagetables-returned", "nr_page_table_pages-returned" };
	const char *why = NULL;
	gint64 band = mhp_acct_diff_band(st);

	if (st->counts == MHP_ACCT_COUNTS_NO)
		why = "this kernel does not count hot-added page tables";
	else if (st->counts == MHP_ACCT_COUNTS_UNKNOWN)
		why = "not known yet whether this kernel counts hot-added page tables";
	else if (bands->stressed)
		why = "stressors allocate page tables by design";
	else if (!rise->valid)
		why = "the plug's rise was not measured";
	else if (!before)
		why = "no snapshot just before the removal";
	if (why) {
		mhp_acct_add_skipped(arr, names[0], why);
		mhp_acct_add_skipped(arr, names[1], why);
		return;
	}
	check_one(arr, names[0], before, after, rise, MHP_ACCT_PAGE_TABLES, band * (gint64)(page_size / 1024),
		  ret_failed);
	check_one(arr, names[1], before, after, rise, MHP_ACCT_NR_PAGE_TABLE_PAGES, band, ret_failed);
}

struct json_object *mhp_acct_rise_to_json(const MhpAcctRise *rise)
{
	struct json_object *o = json_object_new_object();

	for (int s = 0; s < _MHP_ACCT_SERIES_MAX; s++)
		if (HAS(&rise->delta, s))
			json_object_object_add(o, mhp_acct_series_to_string(s),
					       json_object_new_int64((gint64)rise->delta.v[s]));
	json_object_object_add(o, "tables", json_object_new_int64(rise->tables));
	json_object_object_add(o, "tables_from", json_object_new_string(rise->from_ptdump ? "ptdump" : "geometry"));
	if (rise->valid)
		json_object_object_add(o, "noise", json_object_new_int64(rise->noise));
	return o;
}
