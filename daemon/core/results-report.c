// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * results-report.c - report.html: one run, or two side by side, as a page
 * that opens anywhere and alone (a CI artifact, a mail attachment): CSS
 * and SVG inline, no script, nothing fetched.
 *
 * The page is built from report-data.c's reading of each directory, in
 * sections; with two runs each section has a column per run, and the
 * plots of one value share their axes so A and B can be read across.
 */
#include <math.h>
#include <string.h>

#include "accounting.h"
#include "bugreport.h"
#include "report-private.h"
#include "results-ab.h"
#include "results-report.h"
#include "results.h"

static const char css[] =
	"body{font-family:sans-serif;margin:16px;color:#222;max-width:1400px}\n"
	"h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;margin-top:28px}h3{font-size:15px}\n"
	"table{border-collapse:collapse;font-size:13px;margin:6px 0}\n"
	"th,td{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}\n"
	"pre{background:#f6f6f6;padding:6px;white-space:pre-wrap;overflow-wrap:anywhere;max-height:32em;"
	"overflow:auto;font-size:12px;margin:4px 0}\n"
	".cols{display:grid;gap:12px;grid-template-columns:repeat(2,minmax(0,1fr))}\n"
	".hists{display:grid;gap:8px;grid-template-columns:repeat(auto-fill,minmax(300px,1fr))}\n"
	"svg{max-width:100%;height:auto;font-family:sans-serif}\n"
	"svg .frame{fill:none;stroke:#888}svg .grid{stroke:#eee}svg .tick{font-size:11px;fill:#444}\n"
	"svg .label{font-size:12px;fill:#222}svg .title{font-size:14px;font-weight:bold;fill:#222}\n"
	".fail{color:#b00;font-weight:bold}.pass{color:#070;font-weight:bold}.note{color:#666;font-size:13px}\n"
	".swatch{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}\n"
	"figure{margin:0}figcaption{font-size:12px;color:#444}\n";

/* ---- pieces ---- */

static void esc(GString *out, const char *s)
{
	mhp_report_escape(out, s, -1);
}

/* A scalar at @path as text (a legacy integer seed too), or NULL. */
static const char *scalar(struct json_object *o, const char *path)
{
	g_auto(GStrv) keys = g_strsplit(path, ".", 2);
	struct json_object *v;

	if (keys[1])
		o = mhp_report_obj(o, keys[0]);
	if (!o || !json_object_object_get_ex(o, keys[1] ? keys[1] : keys[0], &v) || !v ||
	    json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array))
		return NULL;
	return json_object_get_string(v);
}

/* What one section shows of one run; @data is the section's own (a shared axis). */
typedef void (*RunPart)(GString *out, const ReportRun *r, gconstpointer data);

/*
 * A section: its heading and note, then @part of each run; with two runs,
 * in two columns headed "A: DIR" and "B: DIR". @note is ours, not escaped.
 */
static void section(GString *out, const char *id, const char *title, const char *note, ReportRun **runs, guint n,
		    RunPart part, gconstpointer data)
{
	g_string_append_printf(out, "<section id=\"%s\"><h2>%s</h2>\n", id, title);
	if (note)
		g_string_append_printf(out, "<p class=\"note\">%s</p>\n", note);
	g_string_append(out, n > 1 ? "<div class=\"cols\">\n" : "<div>\n");
	for (guint i = 0; i < n; i++) {
		g_string_append(out, "<div>");
		if (n > 1) {
			g_string_append_printf(out, "<h3>%c: ", 'A' + i);
			esc(out, runs[i]->dir);
			g_string_append(out, "</h3>\n");
		}
		part(out, runs[i], data);
		g_string_append(out, "</div>\n");
	}
	g_string_append(out, "</div></section>\n");
}

static void verdict_span(GString *out, const char *verdict)
{
	g_string_append_printf(out, "<span class=\"%s\">", !g_strcmp0(verdict, "pass") ? "pass" : "fail");
	esc(out, verdict ? verdict : "none (no summary.json)");
	g_string_append(out, "</span>");
}

/* ---- the run ---- */

static void run_table(GString *out, const ReportRun *r, gconstpointer data)
{
	static const char *const rows[][2] = {
		{ "scenario", "run.scenario.name" }, { "kernel", "run.guest.kernel" }, { "kernel image", "run.kernel_image" },
		{ "vmm", "run.vmm" }, { "seed", "run.seed" }, { "tool", "run.tool" }, { "message", "summary.message" },
		{ "elapsed ms", "summary.elapsed_ms" }, { "stopped", "summary.stopped" },
		{ "events lost", "summary.events_lost" }, { "events dropped", "summary.events_dropped" },
	};
	g_autofree char *cycles = g_strdup_printf("%" G_GUINT64_FORMAT " recorded, %" G_GUINT64_FORMAT " failed",
						  r->cycles, r->failed);

	g_string_append(out, "<table>\n");
	mhp_report_row(out, "results", r->dir);
	g_string_append(out, "<tr><th>verdict</th><td>");
	verdict_span(out, mhp_report_str(r->summary, "verdict"));
	g_string_append(out, "</td></tr>\n");
	mhp_report_row(out, "cycles", cycles);
	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		struct json_object *o = g_str_has_prefix(rows[i][1], "run.") ? r->run : r->summary;
		const char *v = scalar(o, strchr(rows[i][1], '.') + 1);

		if (v)
			mhp_report_row(out, rows[i][0], v);
	}
	if (!r->run)
		mhp_report_row(out, "note", "no readable run.json");
	g_string_append(out, "</table>\n");
}

/* ---- plots ---- */

/* One plot's axes for every run: cycles 1..the most, values over all of them, with a margin. */
static void plot_range(ReportRun **runs, guint n, ReportPlotId p, ReportRange *ret)
{
	gboolean any = FALSE;
	double lo = 0, hi = 1;
	double cycles = 2;

	for (guint i = 0; i < n; i++) {
		double a, b;

		cycles = MAX(cycles, (double)runs[i]->cycles);
		if (!mhp_report_plot_extent(runs[i], p, &a, &b))
			continue;
		lo = any ? MIN(lo, a) : a;
		hi = any ? MAX(hi, b) : b;
		any = TRUE;
	}
	if (hi - lo < 1e-9) {
		double pad = MAX(fabs(lo) * 0.01, 1);

		lo -= pad;
		hi += pad;
	}
	/* half a cycle (or 1%) either side, so the first and last points are not on the frame */
	ret->x0 = 1 - MAX(0.5, cycles * 0.01);
	ret->x1 = cycles + MAX(0.5, cycles * 0.01);
	ret->y0 = lo - (hi - lo) * 0.05;
	ret->y1 = hi + (hi - lo) * 0.05;
}

/* The start of a caption's next part: "; " after the first. */
static void part(GString *out, gsize start)
{
	if (out->len > start)
		g_string_append(out, "; ");
}

static void plot_caption(GString *out, const ReportRun *r, ReportPlotId p)
{
	const ReportPlotData *d = &r->plots[p];
	gsize start;

	g_string_append(out, "<figcaption>");
	start = out->len;
	if (d->have_baseline) {
		g_string_append(out, "baseline ");
		mhp_report_num(out, d->baseline);
		g_string_append_printf(out, " (%s)", d->baseline_from);
	}
	if (d->have_band) {
		part(out, start);
		g_string_append(out, "band ±");
		mhp_report_num(out, d->band);
		g_string_append(out, " around ");
		mhp_report_num(out, d->band_center);
		g_string_append_printf(out, " (verify.checks_removed %s)", report_plots[p].band);
	}
	if (d->have_trend) {
		part(out, start);
		g_string_append(out, "trend ");
		mhp_report_num(out, d->slope);
		g_string_append_printf(out, " %s/cycle, ", report_plots[p].unit);
		esc(out, d->trend_verdict ? d->trend_verdict : "no verdict");
		g_string_append(out, " (summary.json, drawn through the mean of the points)");
	}
	if (p == REPORT_PLOT_RISE && r->table_accounting) {
		part(out, start);
		g_string_append_printf(out, "the plug of cycle %" G_GUINT64_FORMAT " found hot-added page tables ",
				       r->table_accounting_n);
		esc(out, mhp_report_str(r->table_accounting, "hotplug_page_tables"));
		g_string_append(out, " (verify.table_accounting)");
	}
	if (r->width > 1) {
		part(out, start);
		g_string_append_printf(out, "%" G_GUINT64_FORMAT " cycles a bucket", r->width);
	}
	g_string_append(out, "</figcaption>\n");
}

static void section_plots(GString *out, ReportRun **runs, guint n)
{
	g_string_append(out, "<section id=\"plots\"><h2>Per-cycle values</h2>\n<p class=\"note\">From cycles.jsonl "
			     "verify.removed and verify.plugged (a light cycle has none). MemFree is plotted with pcp_kb "
			     "added, as the memfree band and the MemFree trend count it.</p>\n<div class=\"cols\">\n");
	for (int p = 0; p < _REPORT_PLOT_MAX; p++) {
		ReportRange range;

		plot_range(runs, n, (ReportPlotId)p, &range);
		for (guint i = 0; i < n; i++) {
			g_string_append(out, "<figure>");
			if (n > 1)
				g_string_append_printf(out, "<b>%c</b>", 'A' + i); /* a figure has one figcaption */
			mhp_report_svg_plot(out, runs[i], (ReportPlotId)p, &range);
			plot_caption(out, runs[i], (ReportPlotId)p);
			g_string_append(out, "</figure>\n");
		}
	}
	g_string_append(out, "</div></section>\n");
}

/* ---- trends and latency ---- */

static void trends_table(GString *out, const ReportRun *r, gconstpointer data)
{
	struct json_object *trends = mhp_report_obj(r->summary, "trends");

	if (!trends || !json_object_object_length(trends)) {
		g_string_append(out, "<p class=\"note\">No trends (summary.json has none).</p>\n");
		return;
	}
	g_string_append(out, "<table><tr><th>series</th><th>slope</th><th>unit</th><th>n</th><th>t</th>"
			     "<th>verdict</th></tr>\n");
	json_object_object_foreach(trends, name, t) {
		double v;

		g_string_append(out, "<tr><td>");
		esc(out, name);
		g_string_append(out, "</td><td>");
		mhp_report_num(out, mhp_report_double(t, "slope", &v) ? v : NAN);
		g_string_append(out, "</td><td>");
		esc(out, mhp_report_str(t, "unit"));
		g_string_append(out, "/cycle</td><td>");
		mhp_report_num(out, mhp_report_double(t, "n", &v) ? v : NAN);
		g_string_append(out, "</td><td>");
		mhp_report_num(out, mhp_report_double(t, "t", &v) ? v : NAN);
		g_string_append(out, "</td><td>");
		if (!g_strcmp0(mhp_report_str(t, "verdict"), "leak"))
			g_string_append(out, "<span class=\"fail\">leak</span>");
		else
			esc(out, mhp_report_str(t, "verdict") ? mhp_report_str(t, "verdict") : "-");
		g_string_append(out, "</td></tr>\n");
	}
	g_string_append(out, "</table>\n");
}

static void latency_table(GString *out, const ReportRun *r, gconstpointer data)
{
	static const char *const keys[] = { "n", "p50", "p90", "p99", "max" };
	struct json_object *lat = mhp_report_obj(r->summary, "latency_ms");

	if (!lat) {
		g_string_append(out, "<p class=\"note\">No latency percentiles (no summary.json).</p>\n");
		return;
	}
	g_string_append(out, "<table><tr><th>phase (ms)</th><th>n</th><th>p50</th><th>p90</th><th>p99</th>"
			     "<th>max</th></tr>\n");
	json_object_object_foreach(lat, name, l) {
		g_string_append(out, "<tr><td>");
		esc(out, name);
		g_string_append(out, "</td>");
		for (gsize k = 0; k < G_N_ELEMENTS(keys); k++) {
			double v;

			g_string_append(out, "<td>");
			mhp_report_num(out, mhp_report_double(l, keys[k], &v) ? v : NAN);
			g_string_append(out, "</td>");
		}
		g_string_append(out, "</tr>\n");
	}
	g_string_append(out, "</table>\n");
}

/* The bins with samples in any run, widened to whole decades. */
static gboolean hist_bins(ReportRun **runs, guint n, int ph, int *first, int *last)
{
	*first = REPORT_HIST_BINS;
	*last = -1;
	for (guint i = 0; i < n; i++) {
		const ReportHist *h = ph < 0 ? &runs[i]->cycle_hist : &runs[i]->phase_hist[ph];

		for (int b = 0; b < REPORT_HIST_BINS; b++) {
			if (!h->bins[b])
				continue;
			*first = MIN(*first, b);
			*last = MAX(*last, b);
		}
	}
	if (*last < 0)
		return FALSE;
	*first = *first / 10 * 10;
	*last = MIN((*last / 10 + 1) * 10, REPORT_HIST_BINS - 1);
	return TRUE;
}

static void hist_one(GString *out, const char *name, const ReportHist *h, int first, int last, int side)
{
	g_autoptr(GString) title = g_string_new(NULL), sub = g_string_new(NULL);

	if (side >= 0)
		g_string_append_printf(title, "%c · ", 'A' + side);
	g_string_append(title, name);
	g_string_append_printf(sub, "n %" G_GUINT64_FORMAT, h->n);
	if (h->n) {
		g_string_append(sub, ", ");
		mhp_report_num(sub, h->min);
		g_string_append(sub, " to ");
		mhp_report_num(sub, h->max);
		g_string_append(sub, " ms");
	}
	g_string_append(out, "<div>");
	mhp_report_svg_hist(out, title->str, sub->str, h, first, last);
	g_string_append(out, "</div>\n");
}

static void section_histograms(GString *out, ReportRun **runs, guint n)
{
	g_string_append(out, "<section id=\"histograms\"><h2>Latency histograms</h2>\n<p class=\"note\">Every "
			     "cycle's time in each phase, from cycles.jsonl.</p>\n");
	g_string_append(out, n > 1 ? "<div class=\"cols\">\n" : "<div class=\"hists\">\n");
	for (int ph = -1; ph < _MHP_PHASE_MAX; ph++) {
		const char *name = ph < 0 ? "cycle_ms" : mhp_phase_to_string((MhpPhase)ph);
		int first, last;

		if (ph == MHP_PHASE_NONE || !hist_bins(runs, n, ph, &first, &last))
			continue;
		for (guint i = 0; i < n; i++)
			hist_one(out, name, ph < 0 ? &runs[i]->cycle_hist : &runs[i]->phase_hist[ph], first, last,
				 n > 1 ? (int)i : -1);
	}
	g_string_append(out, "</div></section>\n");
}

/* ---- failures ---- */

static void class_counts(GString *out, const ReportRun *r)
{
	g_string_append(out, "<p>");
	for (int c = 0; c <= _MHP_FAIL_MAX; c++) {
		if (!r->by_class[c])
			continue;
		g_string_append_printf(out, "<span class=\"swatch\" style=\"background:%s\"></span>%s: %" G_GUINT64_FORMAT
				       " &nbsp; ", mhp_report_class_colour(c),
				       c < _MHP_FAIL_MAX ? mhp_fail_class_to_string((MhpFailClass)c) : "other names",
				       r->by_class[c]);
	}
	g_string_append(out, "</p>\n");
}

static void failure_row(GString *out, const ReportFailure *f)
{
	g_string_append_printf(out, "<tr class=\"failure\"><td>%" G_GUINT64_FORMAT "</td><td>", f->n);
	esc(out, f->verdict);
	g_string_append(out, "</td><td>");
	if (f->kase) {
		esc(out, f->kase);
		g_string_append(out, ": expects ");
		esc(out, f->expected ? f->expected : "?");
		g_string_append(out, ", ended in ");
		esc(out, f->outcome ? f->outcome : "?");
	}
	g_string_append(out, "</td><td>");
	if (f->err)
		g_string_append_printf(out, "%" G_GINT64_FORMAT, f->err);
	g_string_append(out, "</td><td><pre>");
	esc(out, f->detail ? f->detail : "");
	g_string_append(out, "</pre></td></tr>\n");
}

static void failures_of(GString *out, const ReportRun *r, gconstpointer data)
{
	const double *x1 = data;

	if (!r->failed) {
		g_string_append(out, "<p class=\"pass\">No cycle failed.</p>\n");
		return;
	}
	mhp_report_svg_failures(out, r, *x1);
	class_counts(out, r);
	g_string_append(out, "<table><tr><th>cycle</th><th>class</th><th>case</th><th>errno</th><th>detail</th></tr>\n");
	for (guint i = 0; i < r->failures->len; i++)
		failure_row(out, g_ptr_array_index(r->failures, i));
	g_string_append(out, "</table>\n");
	if (r->failed > r->failures->len)
		g_string_append_printf(out, "<p class=\"note\">%" G_GUINT64_FORMAT " more failed cycles are not listed: "
				       "see cycles.jsonl.</p>\n", r->failed - r->failures->len);
}

/* ---- stressors ---- */

static void stressor_cell(GString *out, struct json_object *all, const char *name)
{
	struct json_object *s = mhp_report_obj(all, name);
	double ops, errors;

	g_string_append(out, "<td>");
	if (s && mhp_report_double(s, "ops", &ops) && mhp_report_double(s, "errors", &errors)) {
		g_string_append(out, "ops ");
		mhp_report_num(out, ops);
		g_string_append(out, ", errors ");
		mhp_report_num(out, errors);
	} else {
		g_string_append(out, "-");
	}
	g_string_append(out, "</td>");
}

static void stressors_of(GString *out, const ReportRun *r, gconstpointer data)
{
	struct json_object *sources[4] = { mhp_report_obj(r->snap[0], "stressors"), mhp_report_obj(r->snap[1], "stressors"),
					   mhp_report_obj(r->snap[2], "stressors"), mhp_report_obj(r->summary, "stressors") };
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	g_string_append(out, "<table><tr><th>stressor</th><th>baseline</th><th>plugged-1</th><th>end</th>"
			     "<th>summary (last snapshot)</th></tr>\n");
	for (int k = 0; k < 4; k++) {
		if (!sources[k])
			continue;
		json_object_object_foreach(sources[k], name, unused) {
			(void)unused;
			if (!g_hash_table_add(seen, name))
				continue;
			g_string_append(out, "<tr><td>");
			esc(out, name);
			g_string_append(out, "</td>");
			for (int j = 0; j < 4; j++)
				stressor_cell(out, sources[j], name);
			g_string_append(out, "</tr>\n");
		}
	}
	g_string_append(out, "</table>\n");
	if (!g_hash_table_size(seen))
		g_string_append(out, "<p class=\"note\">No stressor counters: none ran, or the snapshots and "
				     "summary.json are missing.</p>\n");
}

/* ---- ptdump ---- */

/* Bytes in the largest unit that divides them: "512 MiB", "1 GiB"; else the number. */
static void bytes_text(GString *out, double v)
{
	static const char *const units[] = { "GiB", "MiB", "KiB" };
	double a = fabs(v);

	for (int i = 0; i < 3; i++) {
		double unit = (double)(1ull << (30 - 10 * i));

		if (a >= unit && fmod(a, unit) == 0) {
			mhp_report_num(out, v / unit);
			g_string_append_printf(out, " %s", units[i]);
			return;
		}
	}
	mhp_report_num(out, v);
}

static void sections_table(GString *out, struct json_object *report, const char *a, const char *b)
{
	struct json_object *secs;

	if (!json_object_object_get_ex(report, "sections", &secs) || !json_object_is_type(secs, json_type_array))
		return;
	g_string_append_printf(out, "<table><tr><th>section</th><th>mapped %s</th><th>mapped %s</th><th>table pages %s"
			       "</th><th>table pages %s</th><th>equal</th></tr>\n", a, b, a, b);
	for (gsize i = 0; i < json_object_array_length(secs); i++) {
		static const char *const keys[] = { "mapped_a", "mapped_b", "table_pages_a", "table_pages_b" };
		struct json_object *s = json_object_array_get_idx(secs, i), *eq;

		g_string_append(out, "<tr><td>");
		esc(out, mhp_report_str(s, "name"));
		g_string_append(out, "</td>");
		for (gsize k = 0; k < G_N_ELEMENTS(keys); k++) {
			double v;

			g_string_append(out, "<td>");
			if (k < 2 && mhp_report_double(s, keys[k], &v))
				bytes_text(out, v);
			else
				mhp_report_num(out, mhp_report_double(s, keys[k], &v) ? v : NAN);
			g_string_append(out, "</td>");
		}
		g_string_append_printf(out, "<td>%s</td></tr>\n", json_object_object_get_ex(s, "equal", &eq) &&
				       json_object_get_boolean(eq) ? "yes" : "<b>no</b>");
	}
	g_string_append(out, "</table>\n");
}

static void range_list(GString *out, struct json_object *ranges, const char *key, const char *what)
{
	struct json_object *arr;
	gsize len;

	if (!json_object_object_get_ex(ranges, key, &arr) || !json_object_is_type(arr, json_type_array) ||
	    !(len = json_object_array_length(arr)))
		return;
	g_string_append_printf(out, "<p>%s (%" G_GSIZE_FORMAT "):</p><pre>", what, len);
	for (gsize i = 0; i < MIN(len, REPORT_RANGE_LINES); i++) {
		esc(out, mhp_report_str(json_object_array_get_idx(arr, i), "text"));
		g_string_append_c(out, '\n');
	}
	if (len > REPORT_RANGE_LINES)
		g_string_append_printf(out, "(%" G_GSIZE_FORMAT " more)\n", len - REPORT_RANGE_LINES);
	g_string_append(out, "</pre>\n");
}

static void ptdump_of(GString *out, const ReportRun *r, gconstpointer data)
{
	struct json_object *base = r->snap[REPORT_SNAP_BASELINE], *plugged = r->snap[REPORT_SNAP_PLUGGED];
	struct json_object *report = NULL, *ranges;

	if (!mhp_report_str(base, "ptdump_raw") || !mhp_report_str(plugged, "ptdump_raw")) {
		g_string_append_printf(out, "<p class=\"note\">No range diff: %s. The snapshots keep the raw ptdump only "
				       "when the scenario's [verify] ptdump is on.</p>\n",
				       !base ? "there is no snapshots/baseline.json" : !plugged
				       ? "there is no snapshots/plugged-1.json" : "a snapshot has no ptdump_raw");
		return;
	}
	mhp_compare(base, plugged, &report);
	sections_table(out, report, "baseline", "plugged-1");
	ranges = mhp_report_obj(report, "ranges");
	if (!ranges || !json_object_object_length(ranges)) {
		g_string_append(out, "<p>No mapped range differs.</p>\n");
		json_object_put(report);
		return;
	}
	json_object_object_foreach(ranges, name, rr) {
		g_string_append(out, "<h4>");
		esc(out, name);
		g_string_append(out, "</h4>\n");
		range_list(out, rr, "only_b", "mapped after the first plug, not at the baseline");
		range_list(out, rr, "only_a", "mapped at the baseline, not after the first plug");
	}
	json_object_put(report);
}

/* ---- evidence ---- */

/* One file: its text, escaped, within what is left of @budget. */
static void evidence_file(GString *out, const char *dir, const char *name, gsize *budget)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) text = NULL;
	guint64 size = 0;
	gboolean binary;

	g_string_append(out, "<h4>");
	esc(out, name);
	g_string_append(out, "</h4>\n");
	if (!*budget) {
		g_string_append(out, "<p class=\"note\">Not shown: the report shows 256 KiB of evidence in all.</p>\n");
		return;
	}
	text = mhp_report_read_text(path, MIN(*budget, REPORT_TEXT_BYTES), &size, &binary, &error);
	if (!text) {
		g_string_append(out, "<p class=\"note\">");
		if (binary)
			g_string_append_printf(out, "Binary, %" G_GUINT64_FORMAT " bytes: not shown.", size);
		else
			esc(out, error->message);
		g_string_append(out, "</p>\n");
		return;
	}
	*budget -= MIN(*budget, text->len);
	g_string_append_printf(out, "<p class=\"note\">%" G_GUINT64_FORMAT " bytes</p><pre>", size);
	mhp_report_escape(out, text->str, (gssize)text->len);
	g_string_append(out, "</pre>\n");
}

/* report.md first: it is what the rest is evidence for */
static gint cmp_evidence_file(gconstpointer a, gconstpointer b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	if (!strcmp(x, MHP_EVIDENCE_REPORT) || !strcmp(y, MHP_EVIDENCE_REPORT))
		return !strcmp(y, MHP_EVIDENCE_REPORT) - !strcmp(x, MHP_EVIDENCE_REPORT);
	return strcmp(x, y);
}

static void evidence_dir(GString *out, const char *dir, gsize *budget)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *base = g_path_get_basename(dir);
	g_autofree char *title = mhp_bugreport_title(dir);
	const char *name;

	g_string_append(out, "<h3>");
	esc(out, base);
	g_string_append(out, "/: ");
	esc(out, title);
	g_string_append(out, "</h3>\n");
	if (!d)
		return;
	while ((name = g_dir_read_name(d)))
		g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, cmp_evidence_file);
	for (guint i = 0; i < MIN(names->len, REPORT_EVIDENCE_FILES); i++)
		evidence_file(out, dir, g_ptr_array_index(names, i), budget);
	if (names->len > REPORT_EVIDENCE_FILES)
		g_string_append_printf(out, "<p class=\"note\">%u more files are not shown.</p>\n",
				       names->len - REPORT_EVIDENCE_FILES);
}

static void evidence_of(GString *out, const ReportRun *r, gconstpointer data)
{
	g_autofree char *first = g_build_filename(r->dir, MHP_RESULTS_EVIDENCE, NULL);
	g_autoptr(GPtrArray) dirs = mhp_results_evidence_dirs(r->dir);
	gsize budget = REPORT_EVIDENCE_BYTES;

	if (g_file_test(first, G_FILE_TEST_IS_SYMLINK)) {
		/* mhpstress makes a directory: a link could show any file the reader can read */
		g_string_append(out, "<p class=\"note\">evidence/ is a symbolic link: not followed.</p>\n");
		return;
	}
	if (!dirs->len) {
		g_string_append(out, "<p class=\"note\">No evidence/ (it is written for each distinct failure).</p>\n");
		return;
	}
	for (guint i = 0; i < dirs->len; i++)
		evidence_dir(out, g_ptr_array_index(dirs, i), &budget);
}

/* ---- A/B ---- */

/* One row of compare's side-by-side: "name | a | b", each side in @text's words. */
static void ab_rows(GString *out, struct json_object *m, void (*text)(GString *out, struct json_object *v))
{
	json_object_object_foreach(m, name, p) {
		g_string_append(out, "<tr><td>");
		esc(out, name);
		g_string_append(out, "</td><td>");
		text(out, mhp_report_obj(p, "a") ? mhp_report_obj(p, "a") : json_object_object_get(p, "a"));
		g_string_append(out, "</td><td>");
		text(out, mhp_report_obj(p, "b") ? mhp_report_obj(p, "b") : json_object_object_get(p, "b"));
		g_string_append(out, "</td></tr>\n");
	}
}

static void ab_count(GString *out, struct json_object *v)
{
	mhp_report_num(out, v && json_object_is_type(v, json_type_int) ? json_object_get_double(v) : 0);
}

static void ab_trend(GString *out, struct json_object *t)
{
	double slope;

	if (!t || !mhp_report_double(t, "slope", &slope)) {
		g_string_append(out, "-");
		return;
	}
	mhp_report_num(out, slope);
	g_string_append(out, " ");
	esc(out, mhp_report_str(t, "unit"));
	g_string_append(out, "/cycle ");
	esc(out, mhp_report_str(t, "verdict"));
}

static void ab_latency(GString *out, struct json_object *l)
{
	static const char *const keys[] = { "p50", "p90", "p99", "max" };
	double v;

	if (!l) {
		g_string_append(out, "-");
		return;
	}
	for (gsize k = 0; k < G_N_ELEMENTS(keys); k++) {
		mhp_report_num(out, mhp_report_double(l, keys[k], &v) ? v : NAN);
		g_string_append(out, k + 1 < G_N_ELEMENTS(keys) ? " / " : "");
	}
	g_string_append(out, " (n ");
	mhp_report_num(out, mhp_report_double(l, "n", &v) ? v : NAN);
	g_string_append(out, ")");
}

static void ab_table(GString *out, struct json_object *r, const char *key, const char *title,
		     void (*text)(GString *out, struct json_object *v))
{
	struct json_object *m = mhp_report_obj(r, key);

	g_string_append_printf(out, "<h3>%s</h3>\n", title);
	if (!m || !json_object_object_length(m)) {
		g_string_append(out, "<p class=\"note\">(none)</p>\n");
		return;
	}
	g_string_append(out, "<table><tr><th></th><th>A</th><th>B</th></tr>\n");
	ab_rows(out, m, text);
	g_string_append(out, "</table>\n");
}

/* Both end snapshots compared, as compare RUN_A RUN_B ends; NULL when one is missing. */
static struct json_object *ab_end(ReportRun **runs)
{
	struct json_object *end = NULL;

	if (runs[0]->snap[REPORT_SNAP_END] && runs[1]->snap[REPORT_SNAP_END])
		mhp_compare(runs[0]->snap[REPORT_SNAP_END], runs[1]->snap[REPORT_SNAP_END], &end);
	return end;
}

static void section_ab(GString *out, ReportRun **runs)
{
	g_autoptr(GError) error = NULL;
	struct json_object *end = ab_end(runs), *r = mhp_ab_compare(runs[0]->dir, runs[1]->dir, end, &error), *v;

	g_string_append(out, "<section id=\"ab\"><h2>A against B (mhpstress compare)</h2>\n");
	if (!r) {
		g_string_append(out, "<p class=\"note\">");
		esc(out, error->message);
		g_string_append(out, "</p></section>\n");
		json_object_put(end);
		return;
	}
	if (json_object_object_get_ex(r, "same_seed", &v) && !json_object_get_boolean(v))
		g_string_append(out, "<p>Note: the seeds differ, so the runs drew different sizes, zones and orders.</p>\n");
	if (json_object_object_get_ex(r, "same_scenario", &v) && !json_object_get_boolean(v))
		g_string_append(out, "<p>Note: the scenarios differ.</p>\n");
	ab_table(out, r, "failures", "Failures by class", ab_count);
	ab_table(out, r, "trends", "Trends (slope per cycle, verdict)", ab_trend);
	ab_table(out, r, "latency_ms", "Latency ms per phase (p50 / p90 / p99 / max)", ab_latency);
	g_string_append(out, "<h3>End state: A's snapshots/end.json against B's</h3>\n");
	if (end && !(json_object_object_get_ex(end, "ptdump", &v) && json_object_get_boolean(v))) {
		g_string_append(out, "<p class=\"note\">The end snapshots hold no ptdump: the page-table invariants "
				     "cannot be judged.</p>\n");
	} else if (end) {
		g_string_append_printf(out, "<p>Page-table invariants (Linear Mapping and vmemmap equal): %s</p>\n",
				       json_object_object_get_ex(end, "invariants_hold", &v) && json_object_get_boolean(v)
				       ? "<span class=\"pass\">hold</span>" : "<span class=\"fail\">do not hold</span>");
		sections_table(out, end, "A", "B");
	} else {
		g_string_append(out, "<p class=\"note\">A run has no snapshots/end.json.</p>\n");
	}
	g_string_append(out, "</section>\n");
	json_object_put(end);
	json_object_put(r);
}

/* ---- the page ---- */

static char *page(ReportRun **runs, guint n)
{
	GString *out = g_string_sized_new(256 * 1024);
	const char *scenario = mhp_report_str(runs[0]->run, "scenario.name");
	double x1 = 2; /* the failure strips' axis */

	for (guint i = 0; i < n; i++)
		x1 = MAX(x1, (double)runs[i]->cycles);
	g_string_append_printf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			       "<title>mhpstress report%s", n > 1 ? " A/B" : "");
	if (scenario) {
		g_string_append(out, ": ");
		esc(out, scenario);
	}
	g_string_append_printf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>mhpstress report%s</h1>\n", css,
			       n > 1 ? ": A against B" : "");
	section(out, "run", "The run", NULL, runs, n, run_table, NULL);
	if (n > 1)
		section_ab(out, runs);
	section_plots(out, runs, n);
	section(out, "trends", "Trends", NULL, runs, n, trends_table, NULL);
	section(out, "latency", "Latency", "Percentiles from summary.json (cycle: passing cycles).", runs, n,
		latency_table, NULL);
	section_histograms(out, runs, n);
	section(out, "failures", "Failures", NULL, runs, n, failures_of, &x1);
	section(out, "stressors", "Stressors", "cycles.jsonl records no stressor counters, so they are not shown over "
		"time: only at the snapshots kept (snapshots/) and the last one (summary.json).", runs, n, stressors_of, NULL);
	section(out, "ptdump", "Page tables: the first plug against the baseline", "snapshots/plugged-1.json against "
		"snapshots/baseline.json, as <code>mhpstress compare</code> does.", runs, n, ptdump_of, NULL);
	section(out, "evidence", "Evidence", "evidence/ as the guest and the host left it: a long file is shown by its "
		"head and its tail.", runs, n, evidence_of, NULL);
	g_string_append_printf(out, "<footer class=\"note\">Written by mhpstress %s from the results directory; "
			       "docs/results-format.md says what each file holds.</footer>\n</body>\n</html>\n",
			       MHP_VERSION);
	return g_string_free(out, FALSE);
}

char *mhp_report_html(const char *dir, const char *dir_b, GError **error)
{
	g_autoptr(ReportRun) a = mhp_report_run_load(dir, error);
	g_autoptr(ReportRun) b = NULL;
	ReportRun *runs[2];

	if (!a)
		return NULL;
	if (dir_b && !(b = mhp_report_run_load(dir_b, error)))
		return NULL;
	runs[0] = a;
	runs[1] = b;
	return page(runs, b ? 2 : 1);
}

gboolean mhp_results_write_report(const char *dir, GError **error)
{
	g_autofree char *html = mhp_report_html(dir, NULL, error);
	g_autofree char *path = g_build_filename(dir, MHP_RESULTS_REPORT, NULL);

	return html && g_file_set_contents_full(path, html, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}
