// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * accounting-snapshot.c - agent snapshots: typed readers and the strict check.
 *
 * The readers (accounting-private.h) never trust a type; the check,
 * mhp_acct_snapshot_check(), bounds everything the checks, trends and
 * compare read, and names the key at fault.
 */
#include <string.h>

#include "accounting-private.h"
#include "jsonget.h"

/**
 * mhp_acct_get_i64() - an integer counter of a snapshot.
 * @snap: the snapshot, or NULL
 * @group: "meminfo" or "vmstat"
 * @key: the counter
 * @ret: set to its value; untouched on failure
 *
 * Return: TRUE if @snap has @group.@key and it is an integer.
 */
gboolean mhp_acct_get_i64(struct json_object *snap, const char *group, const char *key, gint64 *ret)
{
	struct json_object *g, *v;

	if (!snap || !json_object_object_get_ex(snap, group, &g) || !json_object_object_get_ex(g, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return FALSE;
	*ret = json_object_get_int64(v);
	return TRUE;
}

/**
 * mhp_acct_free_kb() - MemFree plus the pages parked on per-CPU lists, which MemFree leaves out.
 * @snap: the snapshot, or NULL
 * @ret: set to kB; untouched on failure
 *
 * Return: TRUE if @snap has MemFree.
 */
gboolean mhp_acct_free_kb(struct json_object *snap, gint64 *ret)
{
	struct json_object *v;

	if (!mhp_acct_get_i64(snap, "meminfo", "MemFree", ret))
		return FALSE;
	if (json_object_object_get_ex(snap, "pcp_kb", &v) && json_object_is_type(v, json_type_int))
		*ret += json_object_get_int64(v);
	return TRUE;
}

/**
 * mhp_acct_sections() - the ptdump sections array of a snapshot.
 * @snap: the snapshot
 *
 * Return: the array (borrowed), or NULL.
 */
struct json_object *mhp_acct_sections(struct json_object *snap)
{
	struct json_object *pt, *secs;

	if (!json_object_object_get_ex(snap, "ptdump", &pt) || !json_object_object_get_ex(pt, "sections", &secs) ||
	    !json_object_is_type(secs, json_type_array))
		return NULL;
	return secs;
}

/**
 * mhp_acct_sec_str() - a string of a ptdump section.
 * @sec: the section
 * @key: "name", "digest" or "ranges_digest"
 *
 * Return: the string (borrowed), or "" if it is not one.
 */
const char *mhp_acct_sec_str(struct json_object *sec, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(sec, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : "";
}

/**
 * mhp_acct_sec_i64() - an integer of a ptdump section.
 * @sec: the section, or NULL
 * @key: "mapped_bytes", "table_pages" or "lines"
 *
 * Return: the integer, or 0 if it is not one.
 */
gint64 mhp_acct_sec_i64(struct json_object *sec, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(sec, key, &v) && json_object_is_type(v, json_type_int)
		       ? json_object_get_int64(v) : 0;
}

/**
 * mhp_acct_section() - a snapshot's ptdump section by name.
 * @snap: the snapshot
 * @name: e.g. SECTION_LINEAR
 *
 * Return: the section (borrowed), or NULL.
 */
struct json_object *mhp_acct_section(struct json_object *snap, const char *name)
{
	struct json_object *secs = mhp_acct_sections(snap);

	for (size_t i = 0; secs && i < json_object_array_length(secs); i++) {
		struct json_object *s = json_object_array_get_idx(secs, i);

		if (json_object_is_type(s, json_type_object) && strcmp(mhp_acct_sec_str(s, "name"), name) == 0)
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

/**
 * mhp_acct_ranges() - a section's mapped address ranges, whatever their attributes.
 * @sec: the section
 *
 * Return: the digest of its ranges (older summaries: the full digest).
 */
const char *mhp_acct_ranges(struct json_object *sec)
{
	const char *r = mhp_acct_sec_str(sec, "ranges_digest");

	return *r ? r : mhp_acct_sec_str(sec, "digest");
}

