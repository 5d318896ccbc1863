/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * results-ci.h - a results directory in the formats CI systems read:
 * results.ktap (KTAP version 1, Documentation/dev-tools/ktap.rst) and
 * junit.xml. Both are written from run.json, cycles.jsonl and summary.json
 * once the run has ended; docs/results-format.md describes them.
 */
#ifndef MHP_RESULTS_CI_H
#define MHP_RESULTS_CI_H

#include <glib.h>
#include <json-c/json.h>

#define MHP_RESULTS_KTAP "results.ktap"
#define MHP_RESULTS_JUNIT "junit.xml"

/* What a cycle's diagnostics keep of its detail: lines, bytes a line. */
#define MHP_CI_DETAIL_LINES 32
#define MHP_CI_DETAIL_LINE_BYTES 512

/**
 * mhp_ktap_cycle() - append one cycle's KTAP test: diagnostics, then its result line.
 * @out: where the lines go, each ending in '\n'
 * @rec: the cycle's cycles.jsonl record (borrowed; read with type checks)
 * @n: its test number, from 1
 *
 * "ok N cycle-N[ CASE]" when its verdict is "pass" (a [case] that ended as
 * it expected too), else "not ok N ..." after a "# CLASS: detail"
 * diagnostic. Text from the guest is made valid UTF-8, its control
 * characters and '#' in names are replaced, and it is cut to
 * MHP_CI_DETAIL_LINES lines of MHP_CI_DETAIL_LINE_BYTES.
 */
void mhp_ktap_cycle(GString *out, struct json_object *rec, guint64 n);

/**
 * mhp_cycle_log_line() - one cycle as mhpstress run logs it off a terminal.
 * @rec: the cycle's cycles.jsonl record (borrowed)
 * @n: its number
 * @planned: the cycles planned, 0 when the run is bounded by time
 *
 * "cycle 3/10: pass in 1234 ms (slot 0, dimm3, 512 MiB, movable)", with the
 * [case] and what it expected, and for a failure the first line of its
 * detail, cut at MHP_CI_DETAIL_LINE_BYTES. Text from the guest has its
 * control characters replaced, so it cannot drive a terminal.
 *
 * Return: the line, without a newline.
 */
char *mhp_cycle_log_line(struct json_object *rec, guint64 n, guint64 planned);

/**
 * mhp_ktap_tail() - the KTAP tests a finished run adds after its cycles.
 * @dir: the results directory (run.json and summary.json are read)
 * @done: how many cycle tests were given already
 * @out: where the lines go
 *
 * Planned cycles that did not run: "ok N cycle-N # SKIP not run: WHY"
 * after a stop, "not ok N cycle-N # ERROR not run: WHY" when the run ended
 * in an error. A run with no cycle and no planned count gets one such
 * test. Then a "# " diagnostic with the run's verdict and message.
 *
 * Return: the number of tests added.
 */
guint64 mhp_ktap_tail(const char *dir, guint64 done, GString *out);

/**
 * mhp_results_write_ci() - write @dir/results.ktap and @dir/junit.xml.
 * @dir: a results directory whose run has ended
 * @error: set when a file cannot be written, naming it
 *
 * Each file is replaced atomically and created 0600. Lines of
 * cycles.jsonl that do not parse (a killed writer's last) are skipped;
 * a missing run.json or summary.json leaves out what they tell.
 *
 * Return: TRUE when both were written.
 */
gboolean mhp_results_write_ci(const char *dir, GError **error);

#endif
