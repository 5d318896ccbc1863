/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * accounting-private.h - typed readers of agent snapshots, shared by
 * accounting.c (checks, trends), accounting-diff.c and accounting-compare.c. Private to the
 * accounting*.c files; callers use accounting.h.
 *
 * Snapshots come from the guest. Every reader checks types itself, so that
 * the checks and mhp_compare() survive any JSON (fuzz-engine-replies);
 * mhp_acct_snapshot_check() is the strict gate the engine applies first.
 */
#ifndef MHP_ACCOUNTING_PRIVATE_H
#define MHP_ACCOUNTING_PRIVATE_H

#include "accounting.h"

#define SECTION_LINEAR "Linear Mapping"
#define SECTION_VMEMMAP "vmemmap"

gboolean mhp_acct_get_i64(struct json_object *snap, const char *group, const char *key, gint64 *ret);
gboolean mhp_acct_free_kb(struct json_object *snap, gint64 *ret);
struct json_object *mhp_acct_sections(struct json_object *snap);
struct json_object *mhp_acct_section(struct json_object *snap, const char *name);
const char *mhp_acct_sec_str(struct json_object *sec, const char *key);
gint64 mhp_acct_sec_i64(struct json_object *sec, const char *key);
const char *mhp_acct_ranges(struct json_object *sec);
/* accounting.c: the checks arrays */
void mhp_acct_add_check(struct json_object *arr, const char *name, gboolean pass, gint64 value, gint64 expected,
			gint64 band, const char **failed);
void mhp_acct_add_skipped(struct json_object *arr, const char *name, const char *why);

#endif
