/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report-private.h - private to the report.html writer: results-report.c
 * (the page), report-data.c (a results directory read into numbers),
 * report-svg.c (the plots) and report-html.c (escaping and numbers).
 * Nothing else includes it.
 */
#ifndef MHP_REPORT_PRIVATE_H
#define MHP_REPORT_PRIVATE_H

#include <glib.h>
#include <json-c/json.h>

#include "failclass.h"
#include "phase.h"

/*
 * What a report holds at most, so that a 100,000-cycle run or a hostile
 * guest's 1 MiB failure detail still makes a page of a few MB.
 */
#define REPORT_BUCKETS 1000                /* per-cycle plots: a bucket is drawn as its min and max */
#define REPORT_HIST_BINS 100               /* latency histograms: 10 bins a decade ... */
#define REPORT_HIST_MIN_LOG10 (-3)         /* ... from 1 µs (10^-3 ms) to 10^7 ms */
#define REPORT_FAILURE_ROWS 100            /* failed cycles listed with their detail */
#define REPORT_DETAIL_BYTES 2048           /* of each detail */
#define REPORT_TEXT_BYTES (64u << 10)      /* of each evidence file: its head and its tail */
#define REPORT_EVIDENCE_BYTES (256u << 10) /* of all evidence files */
#define REPORT_EVIDENCE_FILES 32
#define REPORT_RANGE_LINES 200             /* ptdump ranges listed per section and side */
#define REPORT_SNAPSHOT_MAX_BYTES (256u << 20)

/* The per-cycle values the plots draw, each read from one key of a cycle's record. */
typedef enum {
	REPORT_SERIES_PAGE_TABLES,         /* verify.removed.PageTables */
	REPORT_SERIES_PAGE_TABLES_PLUGGED, /* verify.plugged.PageTables */
	REPORT_SERIES_NR_PTP,              /* verify.removed.nr_page_table_pages */
	REPORT_SERIES_NR_PTP_PLUGGED,
	REPORT_SERIES_TABLE_PAGES,         /* verify.removed.table_pages (ptdump) */
	REPORT_SERIES_TABLE_PAGES_PLUGGED,
	REPORT_SERIES_MEM_FREE,            /* verify.removed.MemFree + pcp_kb */
	REPORT_SERIES_MEM_FREE_PLUGGED,
	REPORT_SERIES_RISE_TABLES,         /* verify.rise.tables */
	REPORT_SERIES_RISE_NR_PTP,         /* verify.rise.nr_page_table_pages */
	REPORT_SERIES_CYCLE_MS,            /* cycle_ms */
	_REPORT_SERIES_MAX,
	REPORT_SERIES_NONE = _REPORT_SERIES_MAX,
} ReportSeries;

/* After removal (baseline, band, trend), and plugged beside it: a plug's hundreds of table pages would flatten the first. */
typedef enum {
	REPORT_PLOT_PAGE_TABLES,
	REPORT_PLOT_PAGE_TABLES_PLUGGED,
	REPORT_PLOT_NR_PTP,
	REPORT_PLOT_NR_PTP_PLUGGED,
	REPORT_PLOT_TABLE_PAGES,
	REPORT_PLOT_TABLE_PAGES_PLUGGED,
	REPORT_PLOT_MEM_FREE,
	REPORT_PLOT_MEM_FREE_PLUGGED,
	REPORT_PLOT_RISE,
	REPORT_PLOT_CYCLE_MS,
	_REPORT_PLOT_MAX,
} ReportPlotId;

/* What a plot draws, and where its baseline, band and trend come from. */
typedef struct {
	const char *title;
	const char *unit;
	ReportSeries series[2];     /* [0] solid, [1] lighter; REPORT_SERIES_NONE: none */
	const char *labels[2];
	const char *trend;          /* summary.json "trends" name, or NULL */
	const char *band;           /* the verify.checks_removed check giving "expected" ± "band", or NULL */
	const char *base_path;      /* in snapshots/baseline.json ("meminfo.PageTables"), or NULL: no baseline */
	gboolean base_pcp;          /* the baseline adds pcp_kb (MemFree) */
} ReportPlot;

extern const ReportPlot report_plots[_REPORT_PLOT_MAX];

/* Consecutive cycles: each series' min and max over them (lo > hi: none), and their failures. */
typedef struct {
	double lo[_REPORT_SERIES_MAX], hi[_REPORT_SERIES_MAX];
	guint32 failed;
	int cls;            /* the first failure's MhpFailClass, _MHP_FAIL_MAX for a name not known; -1: none */
} ReportBucket;

/* A plot's baseline, band and trend line in one run. */
typedef struct {
	gboolean have_baseline, have_band, have_trend;
	double baseline;
	double band_center, band;     /* the check's expected value and band */
	double slope;                 /* summary.json's, per cycle */
	const char *trend_verdict;    /* borrowed from the summary */
	const char *baseline_from;    /* "snapshots/baseline.json" or "the first value" */
	double sum_x, sum_y;          /* of the main series, for the line through its mean */
	guint64 n;
} ReportPlotData;

/* A log-binned latency histogram, in ms. */
typedef struct {
	guint64 bins[REPORT_HIST_BINS];
	guint64 n;
	double min, max;
} ReportHist;

typedef struct {
	guint64 n;          /* the cycle's number among the records, from 1 */
	char *verdict, *detail, *kase, *expected, *outcome; /* as recorded (cut), unescaped */
	gint64 err;         /* errno, 0: none */
} ReportFailure;

/* One results directory, read. */
typedef struct {
	char *dir;
	struct json_object *run, *summary;       /* or NULL */
	struct json_object *snap[3];             /* baseline, plugged-1, end; or NULL */
	guint64 cycles;
	ReportBucket buckets[REPORT_BUCKETS];
	guint n_buckets;
	guint64 width;                           /* cycles per bucket, a power of 2 */
	double first[_REPORT_SERIES_MAX];        /* the first value of each series ... */
	guint32 have_first;                      /* ... when bit s is set */
	ReportPlotData plots[_REPORT_PLOT_MAX];
	ReportHist phase_hist[_MHP_PHASE_MAX];
	ReportHist cycle_hist;                   /* cycle_ms of every cycle */
	GPtrArray *failures;                     /* ReportFailure, the first REPORT_FAILURE_ROWS */
	guint64 failed;
	guint64 by_class[_MHP_FAIL_MAX + 1];     /* [_MHP_FAIL_MAX]: names not known */
	struct json_object *table_accounting;    /* the first cycle's that has one, or NULL */
	guint64 table_accounting_n;
} ReportRun;

enum { REPORT_SNAP_BASELINE, REPORT_SNAP_PLUGGED, REPORT_SNAP_END };
extern const char *const report_snap_names[3];

/* report-data.c */
ReportRun *mhp_report_run_load(const char *dir, GError **error);
void mhp_report_run_free(ReportRun *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ReportRun, mhp_report_run_free)
struct json_object *mhp_report_load_json(const char *dir, const char *name);
/* @path ("verify.removed.PageTables") in @o: a string, or a finite number; else NULL, FALSE. */
const char *mhp_report_str(struct json_object *o, const char *path);
gboolean mhp_report_double(struct json_object *o, const char *path, double *ret);
struct json_object *mhp_report_obj(struct json_object *o, const char *path);
/*
 * A regular file's text (@path is not followed if it is a symbolic link),
 * at most @max bytes: its first quarter and last three quarters around a
 * "[... N bytes left out ...]" line. NULL when it cannot be read, or holds
 * a NUL byte in its first 4 KiB (*@ret_binary). Not made valid UTF-8.
 */
GString *mhp_report_read_text(const char *path, gsize max, guint64 *ret_size, gboolean *ret_binary, GError **error);
gboolean mhp_report_bucket_has(const ReportBucket *b, ReportSeries s);
/* Where a plot's values lie in @r: min and max over its series and baseline; FALSE: no value. */
gboolean mhp_report_plot_extent(const ReportRun *r, ReportPlotId p, double *lo, double *hi);

/* report-html.c */
void mhp_report_escape(GString *out, const char *s, gssize len);
void mhp_report_num(GString *out, double v);
/* "<tr><th>@label</th><td>@value escaped</td></tr>", or "-" for NULL */
void mhp_report_row(GString *out, const char *label, const char *value);
/* The colour of a failure class in the timeline and its legend. */
const char *mhp_report_class_colour(int cls);

/* report-svg.c: the plots, with data ranges shared by the runs of an A/B report */
typedef struct {
	double x0, x1, y0, y1;
} ReportRange;

void mhp_report_svg_plot(GString *out, const ReportRun *r, ReportPlotId p, const ReportRange *range);
/* Bins @first..@last (inclusive) of @h, under @title and a smaller @subtitle. */
void mhp_report_svg_hist(GString *out, const char *title, const char *subtitle, const ReportHist *h, int first,
			 int last);
void mhp_report_svg_failures(GString *out, const ReportRun *r, double x1);

#endif
