/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * results.h - a run's results directory.
 */
#ifndef MHP_RESULTS_H
#define MHP_RESULTS_H

#include <errno.h>
#include <glib.h>
#include <json-c/json.h>

#include "failclass.h"
#include "phase.h"

/* The files of a results directory (docs/results-format.md). */
#define MHP_RESULTS_RUN "run.json"
#define MHP_RESULTS_CYCLES "cycles.jsonl"
#define MHP_RESULTS_EVENTS "events.jsonl"
#define MHP_RESULTS_CONSOLE "console.log"     /* written by QEMU or libvirt */
#define MHP_RESULTS_SUMMARY "summary.json"
#define MHP_RESULTS_STATE "state.json"         /* the daemon's, per run */
#define MHP_RESULTS_FLEET_SUMMARY "fleet-summary.json"
#define MHP_RESULTS_SNAPSHOTS "snapshots"      /* directory: NAME.json */
#define MHP_RESULTS_EVIDENCE "evidence"        /* directory, the first failure's: */
#define MHP_EVIDENCE_INFO "info.json"
#define MHP_EVIDENCE_CONSOLE "console.txt"
#define MHP_EVIDENCE_DMESG "dmesg.txt"
#define MHP_EVIDENCE_SNAPSHOT "snapshot.json"
#define MHP_EVIDENCE_VMCORE "vmcore"

typedef struct MhpResults MhpResults;

/* Create @dir (and parents); refuse a directory that already holds a run. */
MhpResults *mhp_results_open(const char *dir, GError **error);
void mhp_results_close(MhpResults *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MhpResults, mhp_results_close)

const char *mhp_results_dir(MhpResults *r);
char *mhp_results_path(MhpResults *r, const char *name);

/**
 * mhp_results_write_json() - replace @name with @obj, atomically (tmp + rename).
 */
gboolean mhp_results_write_json(MhpResults *r, const char *name, struct json_object *obj, GError **error);

/*
 * One line per call, written with a single write(2) on an O_APPEND file:
 * a killed run leaves only whole lines.
 */
gboolean mhp_results_append_cycle(MhpResults *r, struct json_object *obj);
/* @source: "qmp-in", "qmp-out", "agent-in", "agent-out", "engine"; @msg borrowed */
gboolean mhp_results_append_event(MhpResults *r, const char *source, struct json_object *msg);
guint64 mhp_results_events_written(MhpResults *r);

/* A run's verdict in summary.json. */
typedef enum {
	MHP_VERDICT_PASS,        /* every cycle passed */
	MHP_VERDICT_FAIL,        /* failures found */
	MHP_VERDICT_ERROR,       /* the run could not be done */
	MHP_VERDICT_INTERRUPTED, /* the daemon running it ended first */
	_MHP_VERDICT_MAX,
	_MHP_VERDICT_INVALID = -EINVAL,
} MhpVerdict;

const char *mhp_verdict_to_string(MhpVerdict v);
MhpVerdict mhp_verdict_from_string(const char *s);

/* Nearest-rank percentiles of one phase's times; n == 0: no sample. */
typedef struct {
	guint n;
	double p50, p90, p99, max;
} MhpLatency;

/**
 * mhp_latency_from_samples() - the percentiles of @ms.
 * @ms: double milliseconds, sorted in place; NULL is no sample
 * @ret: the result
 */
void mhp_latency_from_samples(GArray *ms, MhpLatency *ret);

/*
 * summary.json. Keys are written in this order; @partial leaves out what
 * only a finished run knows (trends .. stopped): an interrupted run's
 * summary has only what its cycles.jsonl tells.
 */
typedef struct {
	MhpVerdict verdict;
	const char *message;              /* NULL: no "message" */
	guint64 cycles;
	guint64 failed_cycles;
	guint64 failures[_MHP_FAIL_MAX];  /* per class; zero counts are left out */
	MhpLatency latency[_MHP_PHASE_MAX]; /* per phase; n == 0 left out */
	MhpLatency cycle_latency;         /* whole passed cycles, "cycle" */
	gboolean partial;
	struct json_object *trends;       /* borrowed; NULL: {} */
	struct json_object *stressors;    /* borrowed; NULL: {} */
	gboolean evidence;
	guint64 seed;
	gint64 elapsed_ms;
	gboolean stopped;
} MhpSummary;

/**
 * mhp_summary_from_cycles() - count the cycles and failures in @dir's cycles.jsonl.
 * @dir: a results directory
 * @s: filled in (cycles, failed_cycles, failures); the rest is left as it is
 *
 * Lines that do not parse (a killed writer's last) are skipped; a missing
 * file counts nothing.
 */
void mhp_summary_from_cycles(const char *dir, MhpSummary *s);

/**
 * mhp_summary_write() - write @s to @dir/summary.json, atomically.
 * @dir: the results directory
 * @s: the summary
 * @error: set on failure
 *
 * Return: TRUE on success.
 */
gboolean mhp_summary_write(const char *dir, const MhpSummary *s, GError **error);

#endif
