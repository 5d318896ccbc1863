/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * results-report.h - report.html: a results directory (or two side by
 * side) as one self-contained page a person reads: per-cycle plots,
 * latency histograms, the failures, the ptdump ranges a plug added and
 * the evidence. docs/results-format.md describes it.
 */
#ifndef MHP_RESULTS_REPORT_H
#define MHP_RESULTS_REPORT_H

#include <glib.h>

#define MHP_RESULTS_REPORT "report.html"

/**
 * mhp_report_html() - the HTML report of a run, or of two side by side.
 * @dir: a results directory
 * @dir_b: a second one, shown beside @dir (A/B, with compare's numbers), or NULL
 * @error: set when a directory does not exist or holds neither run.json
 *         nor cycles.jsonl ("'DIR' is not the results directory of a run: ...")
 *
 * One file with no reference outside itself: inline CSS and hand-drawn
 * inline SVG, no script, no font, no link. Every string from the results
 * is escaped (mhp_html_escape()). cycles.jsonl (with its segments) is read
 * one record at a time and the plots keep at most 2,000 points each, so a
 * 100,000-cycle run makes a page of a few MB.
 *
 * Return: the page, or NULL.
 */
char *mhp_report_html(const char *dir, const char *dir_b, GError **error);

/**
 * mhp_results_write_report() - write @dir/report.html.
 * @dir: a results directory
 * @error: set when it is not a run's or the file cannot be written, naming it
 *
 * Replaced atomically (tmp + rename), created 0600 like every file of the
 * directory: it quotes the guest's logs.
 *
 * Return: TRUE on success.
 */
gboolean mhp_results_write_report(const char *dir, GError **error);

/**
 * mhp_html_escape() - @s as HTML text or a quoted attribute's value.
 * @s: any bytes; NULL is ""
 * @len: its length, or -1 when it ends in a NUL
 *
 * Made valid UTF-8 first (g_utf8_make_valid(): invalid sequences and NUL
 * bytes become U+FFFD); & < > " ' become entities; control characters but
 * '\n' and '\t', and the bidirectional overrides, become U+FFFD.
 *
 * Return: a new string.
 */
char *mhp_html_escape(const char *s, gssize len);

#endif
