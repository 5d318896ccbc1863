/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * scenario-private.h - the key tables' types and the line index, shared by
 * scenario.c (the tables, defaults, checks across keys, JSON) and
 * scenario-ini.c (the file's syntax, value parsers, the table reader).
 * Private to those two files; callers use scenario.h.
 */
#ifndef MHP_SCENARIO_PRIVATE_H
#define MHP_SCENARIO_PRIVATE_H

#include "scenario.h"

#define KiB ((guint64)1024)
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

typedef enum {
	T_STR, T_PATH, T_UINT, T_SIZE, T_DURATION, T_BOOL, T_ENUM, T_CLASS, T_SIZES, T_ZONES, T_STRV, T_ERRNOS,
} KeyType;

typedef struct {
	const char *key;
	KeyType type;
	gsize offset;
	guint64 min, max;
	const char *const *names; /* T_ENUM, T_ZONES: value i is names[i] */
	const char *help;
} KeySpec;

#include "ini-index.h"

gboolean mhp_scenario_fail(const MhpScenarioIndex *ix, GError **error, MhpScenarioError code, const char *group,
			   const char *key, const char *fmt, ...) G_GNUC_PRINTF(6, 7);

gboolean mhp_scenario_parse_group(const MhpScenarioIndex *ix, GKeyFile *kf, const char *group, const KeySpec *keys,
				  gpointer base, GError **error);

#endif
