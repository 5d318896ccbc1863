// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report-data.c - a results directory read for report.html: run.json,
 * summary.json, the kept snapshots, and cycles.jsonl one record at a time
 * into a fixed number of buckets, histograms and the first failures, so
 * that a 100,000-cycle run costs the report no more memory than a short
 * one.
 *
 * The buckets hold consecutive cycles: the first REPORT_BUCKETS cycles one
 * each; when a cycle falls past the last bucket, neighbours are merged in
 * pairs and each holds twice as many. A bucket keeps each series' min and
 * max, so a spike in one cycle of 100 still shows.
 */
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "report-private.h"
#include "results.h"

#define REPORT_JSON_DEPTH 64
#define REPORT_RUN_MAX_BYTES (16u << 20)

const char *const report_snap_names[3] = { "baseline.json", "plugged-1.json", "end.json" };

#define PLUGGED(id, title, unit, series, base, pcp) \
	[id] = { title " plugged", unit, { series, REPORT_SERIES_NONE }, { "plugged", NULL }, NULL, NULL, base, pcp }

const ReportPlot report_plots[_REPORT_PLOT_MAX] = {
	[REPORT_PLOT_PAGE_TABLES] = { "PageTables after removal", "kB", { REPORT_SERIES_PAGE_TABLES, REPORT_SERIES_NONE },
		{ "after removal", NULL }, "PageTables", "page-tables-band", "meminfo.PageTables", FALSE },
	PLUGGED(REPORT_PLOT_PAGE_TABLES_PLUGGED, "PageTables", "kB", REPORT_SERIES_PAGE_TABLES_PLUGGED,
		"meminfo.PageTables", FALSE),
	[REPORT_PLOT_NR_PTP] = { "nr_page_table_pages after removal", "pages", { REPORT_SERIES_NR_PTP, REPORT_SERIES_NONE },
		{ "after removal", NULL }, "nr_page_table_pages", "nr-page-table-pages-band", "vmstat.nr_page_table_pages",
		FALSE },
	PLUGGED(REPORT_PLOT_NR_PTP_PLUGGED, "nr_page_table_pages", "pages", REPORT_SERIES_NR_PTP_PLUGGED,
		"vmstat.nr_page_table_pages", FALSE),
	[REPORT_PLOT_TABLE_PAGES] = { "kernel table pages (ptdump) after removal", "pages",
		{ REPORT_SERIES_TABLE_PAGES, REPORT_SERIES_NONE }, { "after removal", NULL }, "kernel_table_pages", NULL,
		"ptdump.total.table_pages", FALSE },
	PLUGGED(REPORT_PLOT_TABLE_PAGES_PLUGGED, "kernel table pages (ptdump)", "pages", REPORT_SERIES_TABLE_PAGES_PLUGGED,
		"ptdump.total.table_pages", FALSE),
	[REPORT_PLOT_MEM_FREE] = { "MemFree + pcp_kb after removal", "kB", { REPORT_SERIES_MEM_FREE, REPORT_SERIES_NONE },
		{ "after removal", NULL }, "MemFree", "memfree-band", "meminfo.MemFree", TRUE },
	PLUGGED(REPORT_PLOT_MEM_FREE_PLUGGED, "MemFree + pcp_kb", "kB", REPORT_SERIES_MEM_FREE_PLUGGED, "meminfo.MemFree",
		TRUE),
	[REPORT_PLOT_RISE] = { "what each plug added (verify.rise)", "pages",
		{ REPORT_SERIES_RISE_NR_PTP, REPORT_SERIES_RISE_TABLES },
		{ "nr_page_table_pages", "derived kernel table pages" }, NULL, NULL, NULL, FALSE },
	[REPORT_PLOT_CYCLE_MS] = { "cycle_ms", "ms", { REPORT_SERIES_CYCLE_MS, REPORT_SERIES_NONE }, { "every cycle", NULL },
		NULL, NULL, NULL, FALSE },
};

/* Where each series is read in a cycle's record; MemFree adds pcp_kb. */
static const struct {
	const char *path;
	const char *plus;
} series_src[_REPORT_SERIES_MAX] = {
	[REPORT_SERIES_PAGE_TABLES] = { "verify.removed.PageTables", NULL },
	[REPORT_SERIES_PAGE_TABLES_PLUGGED] = { "verify.plugged.PageTables", NULL },
	[REPORT_SERIES_NR_PTP] = { "verify.removed.nr_page_table_pages", NULL },
	[REPORT_SERIES_NR_PTP_PLUGGED] = { "verify.plugged.nr_page_table_pages", NULL },
	[REPORT_SERIES_TABLE_PAGES] = { "verify.removed.table_pages", NULL },
	[REPORT_SERIES_TABLE_PAGES_PLUGGED] = { "verify.plugged.table_pages", NULL },
	[REPORT_SERIES_MEM_FREE] = { "verify.removed.MemFree", "verify.removed.pcp_kb" },
	[REPORT_SERIES_MEM_FREE_PLUGGED] = { "verify.plugged.MemFree", "verify.plugged.pcp_kb" },
	[REPORT_SERIES_RISE_TABLES] = { "verify.rise.tables", NULL },
	[REPORT_SERIES_RISE_NR_PTP] = { "verify.rise.nr_page_table_pages", NULL },
	[REPORT_SERIES_CYCLE_MS] = { "cycle_ms", NULL },
};

/* ---- JSON ---- */

/* @path's member of @o, one key per '.'-separated word; NULL when a step is missing or not an object. */
static struct json_object *json_path(struct json_object *o, const char *path)
{
	char key[64];

	while (o && json_object_is_type(o, json_type_object)) {
		const char *dot = strchr(path, '.');
		gsize len = dot ? (gsize)(dot - path) : strlen(path);

		if (len >= sizeof(key))
			return NULL;
		memcpy(key, path, len);
		key[len] = '\0';
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		if (!dot)
			return o;
		path = dot + 1;
	}
	return NULL;
}

struct json_object *mhp_report_obj(struct json_object *o, const char *path)
{
	struct json_object *v = json_path(o, path);

	return v && json_object_is_type(v, json_type_object) ? v : NULL;
}

const char *mhp_report_str(struct json_object *o, const char *path)
{
	struct json_object *v = json_path(o, path);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

gboolean mhp_report_double(struct json_object *o, const char *path, double *ret)
{
	struct json_object *v = json_path(o, path);
	double d;

	if (!v || !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return FALSE;
	d = json_object_get_double(v);
	if (!isfinite(d))
		return FALSE;
	*ret = d;
	return TRUE;
}

/* ---- files ---- */

/* A regular file, not followed if it is a symbolic link; -1 with errno otherwise. */
static int open_regular(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

static gboolean read_at(int fd, char *buf, gsize len, off_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		buf += n;
		len -= (gsize)n;
		off += n;
	}
	return TRUE;
}

GString *mhp_report_read_text(const char *path, gsize max, guint64 *ret_size, gboolean *ret_binary, GError **error)
{
	struct stat st;
	int fd = open_regular(path, &st);
	gsize size, head, tail;
	GString *out;

	*ret_binary = FALSE;
	if (fd < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot read '%s': %s", path,
			    errno == EINVAL ? "not a regular file" : errno == ELOOP ? "a symbolic link, not followed"
			    : g_strerror(errno));
		return NULL;
	}
	*ret_size = (guint64)st.st_size;
	size = (gsize)MIN((guint64)st.st_size, (guint64)G_MAXSIZE / 2);
	head = size <= max ? size : max / 4;
	tail = size <= max ? 0 : max - head;
	out = g_string_sized_new(head + tail + 64);
	g_string_set_size(out, head);
	if (!read_at(fd, out->str, head, 0)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "cannot read '%s'", path);
		goto fail;
	}
	if (memchr(out->str, '\0', MIN(head, 4096))) {
		*ret_binary = TRUE;
		goto fail;
	}
	if (tail) {
		g_string_append_printf(out, "\n[... %" G_GSIZE_FORMAT " bytes left out ...]\n", size - head - tail);
		gsize at = out->len;

		g_string_set_size(out, at + tail);
		if (!read_at(fd, out->str + at, tail, (off_t)(size - tail))) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "cannot read '%s'", path);
			goto fail;
		}
	}
	close(fd);
	return out;
fail:
	close(fd);
	g_string_free(out, TRUE);
	return NULL;
}

/* @dir/@name as a JSON object of at most @max bytes, or NULL. */
static struct json_object *load_json(const char *dir, const char *name, gsize max)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GString) text = NULL;
	struct json_tokener *tok;
	struct json_object *o;
	guint64 size;
	gboolean binary;
	GStatBuf st;

	if (g_stat(path, &st) == 0 && (guint64)st.st_size > max)
		return NULL; /* not read at all */
	text = mhp_report_read_text(path, max + 1, &size, &binary, NULL);
	if (!text || size > max)
		return NULL;
	tok = json_tokener_new_ex(REPORT_JSON_DEPTH);
	o = json_tokener_parse_ex(tok, text->str, (int)text->len);
	json_tokener_free(tok);
	if (o && !json_object_is_type(o, json_type_object))
		g_clear_pointer(&o, json_object_put);
	return o;
}

struct json_object *mhp_report_load_json(const char *dir, const char *name)
{
	return load_json(dir, name, REPORT_SNAPSHOT_MAX_BYTES);
}

/* ---- buckets ---- */

gboolean mhp_report_bucket_has(const ReportBucket *b, ReportSeries s)
{
	return b->lo[s] <= b->hi[s];
}

static void bucket_init(ReportBucket *b)
{
	for (int s = 0; s < _REPORT_SERIES_MAX; s++) {
		b->lo[s] = INFINITY;
		b->hi[s] = -INFINITY;
	}
	b->failed = 0;
	b->cls = -1;
}

static void bucket_merge(ReportBucket *into, const ReportBucket *a, const ReportBucket *b)
{
	for (int s = 0; s < _REPORT_SERIES_MAX; s++) {
		into->lo[s] = MIN(a->lo[s], b->lo[s]);
		into->hi[s] = MAX(a->hi[s], b->hi[s]);
	}
	into->failed = a->failed + b->failed;
	into->cls = a->cls >= 0 ? a->cls : b->cls;
}

/* Each bucket takes twice as many cycles: pairs are merged into the first half. */
static void buckets_halve(ReportRun *r)
{
	for (guint i = 0; i < REPORT_BUCKETS / 2; i++)
		bucket_merge(&r->buckets[i], &r->buckets[2 * i], &r->buckets[2 * i + 1]);
	for (guint i = REPORT_BUCKETS / 2; i < REPORT_BUCKETS; i++)
		bucket_init(&r->buckets[i]);
	r->width *= 2;
	r->n_buckets = (r->n_buckets + 1) / 2;
}

/* The bucket of cycle @n (from 1, in order). */
static ReportBucket *bucket_for(ReportRun *r, guint64 n)
{
	guint i;

	while ((n - 1) / r->width >= REPORT_BUCKETS)
		buckets_halve(r);
	i = (guint)((n - 1) / r->width);
	r->n_buckets = MAX(r->n_buckets, i + 1);
	return &r->buckets[i];
}

/* ---- cycles ---- */

static void hist_add(ReportHist *h, double ms)
{
	int bin;

	if (!isfinite(ms) || ms < 0)
		return;
	bin = ms > 0 ? (int)floor((log10(ms) - REPORT_HIST_MIN_LOG10) * 10) : 0;
	h->bins[CLAMP(bin, 0, REPORT_HIST_BINS - 1)]++;
	h->min = h->n ? MIN(h->min, ms) : ms;
	h->max = h->n ? MAX(h->max, ms) : ms;
	h->n++;
}

static void read_phases(ReportRun *r, struct json_object *rec)
{
	struct json_object *phases = mhp_report_obj(rec, "phases");
	double ms;

	if (phases) {
		json_object_object_foreach(phases, name, t) {
			MhpPhase ph = mhp_phase_from_string(name);
			double start, end;

			if (ph > MHP_PHASE_NONE && mhp_report_double(t, "start_ns", &start) &&
			    mhp_report_double(t, "end_ns", &end) && end >= start)
				hist_add(&r->phase_hist[ph], (end - start) / 1e6);
		}
	}
	if (mhp_report_double(rec, "cycle_ms", &ms))
		hist_add(&r->cycle_hist, ms);
}

/* A plot's band: the first removal check of its name that has one. */
static void read_bands(ReportRun *r, struct json_object *rec)
{
	struct json_object *checks = json_path(rec, "verify.checks_removed");

	if (!checks || !json_object_is_type(checks, json_type_array))
		return;
	for (int p = 0; p < _REPORT_PLOT_MAX; p++) {
		ReportPlotData *d = &r->plots[p];

		for (gsize i = 0; report_plots[p].band && !d->have_band && i < json_object_array_length(checks); i++) {
			struct json_object *c = json_object_array_get_idx(checks, i);

			if (!g_strcmp0(mhp_report_str(c, "name"), report_plots[p].band) &&
			    mhp_report_double(c, "expected", &d->band_center) && mhp_report_double(c, "band", &d->band))
				d->have_band = TRUE;
		}
	}
}

static void read_values(ReportRun *r, struct json_object *rec, ReportBucket *b, guint64 n)
{
	double v[_REPORT_SERIES_MAX], plus;
	guint32 have = 0;

	for (int s = 0; s < _REPORT_SERIES_MAX; s++) {
		if (!mhp_report_double(rec, series_src[s].path, &v[s]))
			continue;
		if (series_src[s].plus && mhp_report_double(rec, series_src[s].plus, &plus))
			v[s] += plus;
		have |= 1u << s;
		b->lo[s] = MIN(b->lo[s], v[s]);
		b->hi[s] = MAX(b->hi[s], v[s]);
		if (!(r->have_first & (1u << s)))
			r->first[s] = v[s];
	}
	r->have_first |= have;
	for (int p = 0; p < _REPORT_PLOT_MAX; p++) {
		ReportSeries s = report_plots[p].series[0];

		if (have & (1u << s)) {
			r->plots[p].sum_x += (double)n;
			r->plots[p].sum_y += v[s];
			r->plots[p].n++;
		}
	}
}

static void failure_free(gpointer p)
{
	ReportFailure *f = p;

	g_free(f->verdict);
	g_free(f->detail);
	g_free(f->kase);
	g_free(f->expected);
	g_free(f->outcome);
	g_free(f);
}

static char *cut(const char *s, gsize max)
{
	return s ? g_strndup(s, max) : NULL;
}

static void read_verdict(ReportRun *r, struct json_object *rec, ReportBucket *b, guint64 n)
{
	const char *verdict = mhp_report_str(rec, "verdict");
	MhpFailClass cls = mhp_fail_class_from_string(verdict);
	int idx = cls > MHP_FAIL_NONE ? (int)cls : _MHP_FAIL_MAX;
	ReportFailure *f;
	double err = 0;

	if (cls == MHP_FAIL_NONE)
		return;
	r->failed++;
	r->by_class[idx]++;
	b->failed++;
	if (b->cls < 0)
		b->cls = idx;
	if (r->failures->len >= REPORT_FAILURE_ROWS)
		return;
	f = g_new0(ReportFailure, 1);
	f->n = n;
	f->verdict = cut(verdict ? verdict : "no-verdict", 256);
	f->detail = cut(mhp_report_str(rec, "detail"), REPORT_DETAIL_BYTES);
	f->kase = cut(mhp_report_str(rec, "case"), 256);
	f->expected = cut(mhp_report_str(rec, "expected"), 256);
	f->outcome = cut(mhp_report_str(rec, "outcome"), 256);
	if (mhp_report_double(rec, "errno", &err))
		f->err = (gint64)CLAMP(err, -1e9, 1e9);
	g_ptr_array_add(r->failures, f);
}

static void read_cycle(struct json_object *rec, guint64 n, gpointer user_data)
{
	ReportRun *r = user_data;
	ReportBucket *b = bucket_for(r, n);
	struct json_object *ta = mhp_report_obj(rec, "verify.table_accounting");

	r->cycles = n;
	read_values(r, rec, b, n);
	read_bands(r, rec);
	read_phases(r, rec);
	read_verdict(r, rec, b, n);
	if (ta && !r->table_accounting) {
		r->table_accounting = json_object_get(ta);
		r->table_accounting_n = n;
	}
}

/* ---- the run ---- */

/* Each plot's baseline (the baseline snapshot's, else its first value) and trend. */
static void plots_finish(ReportRun *r)
{
	struct json_object *base = r->snap[REPORT_SNAP_BASELINE];
	struct json_object *trends = mhp_report_obj(r->summary, "trends");

	for (int p = 0; p < _REPORT_PLOT_MAX; p++) {
		const ReportPlot *spec = &report_plots[p];
		ReportPlotData *d = &r->plots[p];
		struct json_object *t = spec->trend ? mhp_report_obj(trends, spec->trend) : NULL;
		double pcp = 0;

		if (spec->base_path && mhp_report_double(base, spec->base_path, &d->baseline)) {
			if (spec->base_pcp && mhp_report_double(base, "pcp_kb", &pcp))
				d->baseline += pcp;
			d->have_baseline = TRUE;
			d->baseline_from = "snapshots/baseline.json";
		} else if (spec->base_path && (r->have_first & (1u << spec->series[0]))) {
			d->baseline = r->first[spec->series[0]];
			d->have_baseline = TRUE;
			d->baseline_from = "the first value";
		}
		if (t && mhp_report_double(t, "slope", &d->slope)) {
			d->have_trend = d->n > 0;
			d->trend_verdict = mhp_report_str(t, "verdict");
		}
	}
}

gboolean mhp_report_plot_extent(const ReportRun *r, ReportPlotId p, double *lo, double *hi)
{
	const ReportPlot *spec = &report_plots[p];
	gboolean any = FALSE;

	for (int k = 0; k < 2; k++) {
		ReportSeries s = spec->series[k];

		for (guint i = 0; s != REPORT_SERIES_NONE && i < r->n_buckets; i++) {
			if (!mhp_report_bucket_has(&r->buckets[i], s))
				continue;
			*lo = any ? MIN(*lo, r->buckets[i].lo[s]) : r->buckets[i].lo[s];
			*hi = any ? MAX(*hi, r->buckets[i].hi[s]) : r->buckets[i].hi[s];
			any = TRUE;
		}
	}
	if (any && r->plots[p].have_baseline) {
		*lo = MIN(*lo, r->plots[p].baseline);
		*hi = MAX(*hi, r->plots[p].baseline);
	}
	return any;
}

void mhp_report_run_free(ReportRun *r)
{
	if (!r)
		return;
	g_free(r->dir);
	json_object_put(r->run);
	json_object_put(r->summary);
	for (int i = 0; i < 3; i++)
		json_object_put(r->snap[i]);
	json_object_put(r->table_accounting);
	if (r->failures)
		g_ptr_array_unref(r->failures);
	g_free(r);
}

/* A directory that holds a run: run.json or cycles.jsonl, as compare asks. */
static gboolean is_run(const char *dir, struct json_object *run, GError **error)
{
	g_autofree char *cycles = g_build_filename(dir, MHP_RESULTS_CYCLES, NULL);

	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "'%s': %s", dir,
			    g_file_test(dir, G_FILE_TEST_EXISTS) ? "not a directory" : "no such directory");
		return FALSE;
	}
	if (!run && !g_file_test(cycles, G_FILE_TEST_EXISTS)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
			    "'%s' is not the results directory of a run: no readable run.json or cycles.jsonl", dir);
		return FALSE;
	}
	return TRUE;
}

ReportRun *mhp_report_run_load(const char *dir, GError **error)
{
	g_autoptr(ReportRun) r = g_new0(ReportRun, 1);

	r->dir = g_strdup(dir);
	r->run = load_json(dir, MHP_RESULTS_RUN, REPORT_RUN_MAX_BYTES);
	if (!is_run(dir, r->run, error))
		return NULL;
	r->summary = load_json(dir, MHP_RESULTS_SUMMARY, REPORT_RUN_MAX_BYTES);
	for (int i = 0; i < 3; i++) {
		g_autofree char *name = g_build_filename(MHP_RESULTS_SNAPSHOTS, report_snap_names[i], NULL);

		r->snap[i] = load_json(dir, name, REPORT_SNAPSHOT_MAX_BYTES);
	}
	r->width = 1;
	for (guint i = 0; i < REPORT_BUCKETS; i++)
		bucket_init(&r->buckets[i]);
	r->failures = g_ptr_array_new_with_free_func(failure_free);
	mhp_results_foreach_cycle(dir, read_cycle, r);
	plots_finish(r);
	return g_steal_pointer(&r);
}
