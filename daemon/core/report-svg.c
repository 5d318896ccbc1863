// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report-svg.c - report.html's plots as inline SVG, drawn by hand: a
 * frame with ticks and labels, then the data. Coordinates are whole
 * pixels printed with %d, so no locale can put a ',' in them; numbers
 * shown as text go through mhp_report_num(). The data area is a nested
 * <svg> whose viewBox is its own place in the plot, which clips a band or
 * a trend line that leaves it.
 */
#include <math.h>
#include <string.h>

#include "report-private.h"

#define PLOT_W 640
#define PLOT_H 260
#define HIST_W 320
#define HIST_H 180
#define STRIP_W 1200
#define STRIP_H 84
#define MARGIN_L 76
#define MARGIN_R 30  /* the last x tick label is centred on the frame's edge */
#define MARGIN_T 26
#define MARGIN_B 58
#define PX_LIMIT 100000.0  /* far outside any plot: a value off the chart stays a finite int */

#define COLOUR_MAIN "#1f77b4"
#define COLOUR_SECOND "#ff7f0e"
#define COLOUR_BASELINE "#555555"
#define COLOUR_BAND "#d8f0d8"
#define COLOUR_TREND "#d62728"

/* The data area in pixels, and the values at its edges. */
typedef struct {
	int x, y, w, h;
	ReportRange r;
} Frame;

static int to_px(double v, double v0, double v1, int p0, int len)
{
	double p = p0 + (v - v0) / (v1 - v0) * len;

	if (!isfinite(p)) /* a range of 1e308 to -1e308 from a hostile guest */
		return p0;
	return (int)lround(CLAMP(p, -PX_LIMIT, PX_LIMIT));
}

static int px(const Frame *f, double x)
{
	return to_px(x, f->r.x0, f->r.x1, f->x, f->w);
}

static int py(const Frame *f, double y)
{
	return to_px(y, f->r.y1, f->r.y0, f->y, f->h); /* y grows downwards */
}

/* A step of 1, 2 or 5 times a power of ten giving about @target ticks over @span. */
static double nice_step(double span, int target)
{
	double raw = span / target, mag = pow(10, floor(log10(raw))), m = raw / mag;

	return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * mag;
}

static void svg_open(GString *out, int w, int h, const char *title)
{
	g_string_append_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
			       "height=\"%d\" role=\"img\"><title>", w, h, w, h);
	mhp_report_escape(out, title, -1);
	g_string_append(out, "</title>\n");
}

static void text(GString *out, int x, int y, const char *anchor, const char *cls, const char *s)
{
	g_string_append_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\" class=\"%s\">", x, y, anchor, cls);
	mhp_report_escape(out, s, -1);
	g_string_append(out, "</text>\n");
}

static void num_text(GString *out, int x, int y, const char *anchor, double v)
{
	g_autoptr(GString) s = g_string_new(NULL);

	mhp_report_num(s, v);
	text(out, x, y, anchor, "tick", s->str);
}

/*
 * The @k-th tick from @v0 by @step, while it is at most @v1. Counted, not
 * added up: near 2^63 a step of 200 is below a double's resolution, and
 * v += step would never end; TICKS_MAX ends it.
 */
#define TICKS_MAX 24
static gboolean tick(double v0, double step, double v1, int k, double *ret)
{
	*ret = v0 + k * step;
	return k < TICKS_MAX && *ret <= v1 + step * 1e-9;
}

/* The frame, grid lines and tick labels; the axis titles under and beside it. */
static void axes(GString *out, const Frame *f, const char *xlabel, const char *ylabel, gboolean whole_x)
{
	double ys = nice_step(f->r.y1 - f->r.y0, 5), xs = nice_step(f->r.x1 - f->r.x0, 6), v;

	if (whole_x)
		xs = MAX(xs, 1);
	g_string_append_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"frame\"/>\n", f->x, f->y,
			       f->w, f->h);
	for (int k = 0; tick(ceil(f->r.y0 / ys) * ys, ys, f->r.y1, k, &v); k++) {
		int y = py(f, v);

		g_string_append_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"grid\"/>\n", f->x, y,
				       f->x + f->w, y);
		num_text(out, f->x - 5, y + 4, "end", fabs(v) < ys * 1e-9 ? 0 : v);
	}
	for (int k = 0; tick(ceil(f->r.x0 / xs) * xs, xs, f->r.x1, k, &v); k++) {
		int x = px(f, v);

		g_string_append_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"grid\"/>\n", x, f->y, x,
				       f->y + f->h);
		num_text(out, x, f->y + f->h + 15, "middle", v);
	}
	text(out, f->x + f->w / 2, f->y + f->h + 32, "middle", "label", xlabel);
	g_string_append_printf(out, "<g transform=\"translate(14 %d) rotate(-90)\">", f->y + f->h / 2);
	text(out, 0, 0, "middle", "label", ylabel);
	g_string_append(out, "</g>\n");
}

/* The clipping data area: its viewBox is its own place, so the coordinates inside stay the plot's. */
static void clip_open(GString *out, const Frame *f)
{
	g_string_append_printf(out, "<svg x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" viewBox=\"%d %d %d %d\">\n", f->x,
			       f->y, f->w, f->h, f->x, f->y, f->w, f->h);
}

/* One series: each bucket's min and max at its middle cycle, joined across buckets with no value. */
static void series_path(GString *out, const ReportRun *r, const Frame *f, ReportSeries s, const char *colour,
			guint *ret_points)
{
	g_autoptr(GString) marks = g_string_new(NULL);
	gboolean first = TRUE;
	guint points = 0;

	g_string_append_printf(out, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.2\" d=\"", colour);
	for (guint i = 0; i < r->n_buckets; i++) {
		const ReportBucket *b = &r->buckets[i];
		double mid = (double)i * r->width + 1 + (r->width - 1) / 2.0;
		int x = px(f, mid), lo, hi;

		if (!mhp_report_bucket_has(b, s))
			continue;
		lo = py(f, b->lo[s]);
		hi = py(f, b->hi[s]);
		g_string_append_printf(out, "%c%d %d", first ? 'M' : 'L', x, lo);
		if (hi != lo)
			g_string_append_printf(out, "L%d %d", x, hi);
		g_string_append_printf(marks, "<circle cx=\"%d\" cy=\"%d\" r=\"2\" fill=\"%s\"/>\n", x, lo, colour);
		first = FALSE;
		points++;
	}
	g_string_append(out, "\"/>\n");
	if (points <= 100) /* few points (a light run checks every Nth cycle): each is marked */
		g_string_append(out, marks->str);
	*ret_points = points;
}

/* The band, the baseline and the trend line, under the data. */
static void references(GString *out, const ReportPlotData *d, const Frame *f)
{
	if (d->have_band) {
		int top = py(f, d->band_center + d->band), bottom = py(f, d->band_center - d->band);

		g_string_append_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", f->x, top,
				       f->w, MAX(bottom - top, 1), COLOUR_BAND);
	}
	if (d->have_baseline) {
		int y = py(f, d->baseline);

		g_string_append_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
				       "stroke-dasharray=\"6 4\"/>\n", f->x, y, f->x + f->w, y, COLOUR_BASELINE);
	}
	if (d->have_trend) {
		double mx = d->sum_x / (double)d->n, my = d->sum_y / (double)d->n;
		double ya = my + d->slope * (f->r.x0 - mx), yb = my + d->slope * (f->r.x1 - mx);

		g_string_append_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
				       "stroke-width=\"1.5\" stroke-dasharray=\"2 3\"/>\n", f->x, py(f, ya), f->x + f->w,
				       py(f, yb), COLOUR_TREND);
	}
}

/* One legend entry: a swatch in @colour (a line, or with @box a filled square) and its words. */
static int legend_item(GString *out, int x, int y, const char *colour, gboolean box, const char *words)
{
	if (box)
		g_string_append_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"9\" fill=\"%s\"/>\n", x,
				       y - 8, colour);
	else
		g_string_append_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
				       "stroke-width=\"2\"/>\n", x, y - 4, x + 14, y - 4, colour);
	text(out, x + 18, y, "start", "tick", words);
	return x + 26 + 7 * (int)strlen(words);
}

static void plot_legend(GString *out, const ReportPlot *spec, const ReportPlotData *d, int y)
{
	int x = MARGIN_L;

	x = legend_item(out, x, y, COLOUR_MAIN, FALSE, spec->labels[0]);
	if (spec->series[1] != REPORT_SERIES_NONE)
		x = legend_item(out, x, y, COLOUR_SECOND, FALSE, spec->labels[1]);
	if (d->have_baseline)
		x = legend_item(out, x, y, COLOUR_BASELINE, FALSE, "baseline");
	if (d->have_band)
		x = legend_item(out, x, y, COLOUR_BAND, TRUE, "band");
	if (d->have_trend)
		legend_item(out, x, y, COLOUR_TREND, FALSE, "trend");
}

void mhp_report_svg_plot(GString *out, const ReportRun *r, ReportPlotId p, const ReportRange *range)
{
	const ReportPlot *spec = &report_plots[p];
	const ReportPlotData *d = &r->plots[p];
	Frame f = { MARGIN_L, MARGIN_T, PLOT_W - MARGIN_L - MARGIN_R, PLOT_H - MARGIN_T - MARGIN_B, *range };
	guint points = 0, more = 0;

	svg_open(out, PLOT_W, PLOT_H, spec->title);
	text(out, PLOT_W / 2, 17, "middle", "title", spec->title);
	axes(out, &f, r->width > 1 ? "cycle (min and max of each bucket)" : "cycle", spec->unit, TRUE);
	clip_open(out, &f);
	references(out, d, &f);
	series_path(out, r, &f, spec->series[0], COLOUR_MAIN, &points);
	if (spec->series[1] != REPORT_SERIES_NONE)
		series_path(out, r, &f, spec->series[1], COLOUR_SECOND, &more);
	g_string_append(out, "</svg>\n");
	if (!points && !more)
		text(out, f.x + f.w / 2, f.y + f.h / 2, "middle", "label", "no values recorded");
	plot_legend(out, spec, d, PLOT_H - 8);
	g_string_append(out, "</svg>\n");
}

/* The ms at the lower edge of bin @bin. */
static double bin_ms(int bin)
{
	return pow(10, REPORT_HIST_MIN_LOG10 + bin / 10.0);
}

void mhp_report_svg_hist(GString *out, const char *title, const char *subtitle, const ReportHist *h, int first,
			 int last)
{
	guint64 top = 1;
	Frame f = { 56, 36, HIST_W - 56 - 16, HIST_H - 36 - 40, { first, last + 1, 0, 1 } };

	for (int i = first; i <= last; i++)
		top = MAX(top, h->bins[i]);
	f.r.y1 = (double)top * 1.05;
	svg_open(out, HIST_W, HIST_H, title);
	text(out, HIST_W / 2, 14, "middle", "title", title);
	text(out, HIST_W / 2, 28, "middle", "tick", subtitle);
	g_string_append_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"frame\"/>\n", f.x, f.y,
			       f.w, f.h);
	for (int i = first; i <= last; i++) {
		int x0 = px(&f, i), x1 = px(&f, i + 1), y = py(&f, (double)h->bins[i]);

		if (h->bins[i])
			g_string_append_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n",
					       x0, y, MAX(x1 - x0 - 1, 1), f.y + f.h - y, COLOUR_MAIN);
		if (i % 10 == 0) /* a decade */
			num_text(out, x0, f.y + f.h + 14, "middle", bin_ms(i));
	}
	num_text(out, f.x - 4, f.y + 10, "end", (double)top);
	num_text(out, f.x - 4, f.y + f.h, "end", 0);
	text(out, f.x + f.w / 2, HIST_H - 8, "middle", "label", "ms (log scale, 10 bins a decade)");
	g_string_append(out, "</svg>\n");
}

void mhp_report_svg_failures(GString *out, const ReportRun *r, double x1)
{
	/* a cycle's bar spans [n, n + 1) */
	double v;
	Frame f = { 40, 8, STRIP_W - 40 - 14, STRIP_H - 8 - 40, { 1, MAX(x1, 1) + 1, 0, 1 } };

	svg_open(out, STRIP_W, STRIP_H, "failed cycles");
	g_string_append_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"frame\"/>\n", f.x, f.y,
			       f.w, f.h);
	for (guint i = 0; i < r->n_buckets; i++) {
		const ReportBucket *b = &r->buckets[i];
		int xa = px(&f, (double)i * r->width + 1), xb = px(&f, (double)(i + 1) * r->width + 1);

		if (b->failed)
			g_string_append_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", xa,
					       f.y, MAX(xb - xa, 2), f.h, mhp_report_class_colour(b->cls));
	}
	num_text(out, px(&f, 1), f.y + f.h + 15, "middle", 1);
	for (int k = 1; tick(0, MAX(nice_step(x1, 10), 1), x1, k, &v); k++)
		if (v > 1)
			num_text(out, px(&f, v), f.y + f.h + 15, "middle", v);
	text(out, f.x + f.w / 2, STRIP_H - 6, "middle", "label", "cycle (a bar: a failed cycle, coloured by its class)");
	g_string_append(out, "</svg>\n");
}
