/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ini-index.h - where each group and key of an .ini file is, for messages
 * that name FILE:LINE. Scenario files (scenario.c) and fleet files
 * (daemon/cli/fleet.c) read their values with GKeyFile and check their
 * syntax with this one index (scenario-ini.c), so both take the same
 * syntax: '#' starts a comment only at the start of a line, and a group
 * or a key given twice is an error.
 */
#ifndef MHP_INI_INDEX_H
#define MHP_INI_INDEX_H

#include <glib.h>

/* Where each group and key of a file is: its line, for error messages. */
typedef struct {
	const char *path;
	GArray *locs; /* private to scenario-ini.c */
} MhpScenarioIndex;

/**
 * mhp_scenario_index_build() - check a file's syntax and index its lines.
 * @ix: the index, its path set; free it with mhp_scenario_index_clear() even on failure
 * @text: the file, UTF-8
 * @error: a MHP_SCENARIO_ERROR_SYNTAX "PATH:LINE: what" naming the line
 *
 * Return: TRUE if every line is a comment, a [group] or a key = value,
 * with no group or key twice.
 */
gboolean mhp_scenario_index_build(MhpScenarioIndex *ix, const char *text, GError **error);
void mhp_scenario_index_clear(MhpScenarioIndex *ix);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(MhpScenarioIndex, mhp_scenario_index_clear)

/**
 * mhp_scenario_index_line() - the line of a group or a key.
 * @ix: the index
 * @group: the group
 * @key: the key, or NULL for the group's header
 *
 * Return: the line, from 1; 0 if the file does not have it.
 */
guint mhp_scenario_index_line(const MhpScenarioIndex *ix, const char *group, const char *key);

#endif
