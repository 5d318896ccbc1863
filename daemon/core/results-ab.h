/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * results-ab.h - two whole runs side by side (mhpstress compare RUN_A
 * RUN_B): one scenario on two kernels.
 */
#ifndef MHP_RESULTS_AB_H
#define MHP_RESULTS_AB_H

#include <glib.h>
#include <json-c/json.h>

/**
 * mhp_ab_compare() - the A/B report of two results directories.
 * @dir_a: run A's results directory
 * @dir_b: run B's
 * @end: borrowed: mhp_compare()'s report on the two runs' end snapshots,
 *       with the snapshots' paths as "a" and "b", or NULL when one of
 *       them has none
 * @error: set when a directory holds neither run.json nor cycles.jsonl
 *
 * Reads run.json (kernel, seed, scenario), summary.json (verdict, trends,
 * failures) and cycles.jsonl line by line (cycles, failures when there is
 * no summary, each phase's latency percentiles). What a run lacks is left
 * out or null; a run's file that does not parse counts as missing.
 *
 * Return: a new object {"a", "b", "same_seed", "same_scenario", "trends",
 * "failures", "latency_ms", "end"} (docs/accounting.md), or NULL.
 */
struct json_object *mhp_ab_compare(const char *dir_a, const char *dir_b, struct json_object *end, GError **error);

/**
 * mhp_ab_format() - mhp_ab_compare()'s report as text, A and B in columns.
 * @report: the report
 *
 * Return: the text, ending in a newline.
 */
char *mhp_ab_format(struct json_object *report);

#endif
