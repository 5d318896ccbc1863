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

/**
 * mhp_results_dir_create() - make @dir a new results directory.
 * @dir: the directory; its missing parents are created 0755
 * @error: set on failure, naming @dir
 *
 * @dir is created 0700. An existing @dir is accepted only when it is an
 * empty directory: results are never mixed with what was there.
 *
 * Return: TRUE on success.
 */
gboolean mhp_results_dir_create(const char *dir, GError **error);

/**
 * mhp_results_open() - open @dir to record a run in.
 * @dir: created with mhp_results_dir_create() when it does not exist; an
 *       existing one (the daemon's, with its scenario and state.json) must
 *       not hold cycles.jsonl, events.jsonl or run.json yet
 * @error: set on failure, naming the directory or the file
 *
 * Every file is opened relative to @dir with O_NOFOLLOW | O_CLOEXEC and
 * created 0600: a symbolic link in its place is refused, not followed.
 *
 * Return: the results, or NULL.
 */
MhpResults *mhp_results_open(const char *dir, GError **error);
void mhp_results_close(MhpResults *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MhpResults, mhp_results_close)

const char *mhp_results_dir(MhpResults *r);
char *mhp_results_path(MhpResults *r, const char *name);

/**
 * mhp_results_write_json() - replace @name with @obj, atomically (tmp + rename).
 * @r: the results
 * @name: relative to the results directory ("run.json", "snapshots/end.json")
 * @obj: written pretty, with a final newline
 * @error: set on failure, naming the file
 *
 * Return: TRUE on success.
 */
gboolean mhp_results_write_json(MhpResults *r, const char *name, struct json_object *obj, GError **error);

/**
 * mhp_results_write_file() - replace @path with @data, atomically, never through a symlink.
 * @path: a file in a run's directory (state.json, evidence, fleet-summary.json)
 * @data: the bytes
 * @len: how many, or -1 for a NUL-terminated @data
 * @error: set on failure, naming the file
 *
 * As mhp_results_write_json(): a temporary file "@path.tmp" opened
 * O_NOFOLLOW (0600), fsync, rename. A symlink planted at @path.tmp makes
 * the write fail; one at @path is replaced, its target left alone. For
 * files of a run written outside an open MhpResults.
 *
 * Return: TRUE on success.
 */
gboolean mhp_results_write_file(const char *path, const char *data, gssize len, GError **error);

/* At most this often, events.jsonl and cycles.jsonl are fdatasync'ed (µs). */
#define MHP_RESULTS_SYNC_US G_USEC_PER_SEC

/**
 * mhp_results_append_cycle() - append @obj to cycles.jsonl as one line.
 * @r: the results
 * @obj: the cycle's record
 * @error: set on failure: "cannot write '/dir/cycles.jsonl': No space left on device",
 *         or "cannot sync '/dir/cycles.jsonl': ..." when an earlier sync pass failed
 *
 * A line is written whole or not at all: after a short write or an error
 * the file is cut back to its length before the call, so that freeing
 * space later never brings a half line back and the next line never
 * follows a cut one.
 *
 * A written line survives the process's death at once. It reaches the
 * disk in a worker thread's fdatasync pass (events.jsonl first), queued
 * now unless one ran less than MHP_RESULTS_SYNC_US ago, and at the latest
 * in mhp_results_close(): a power cut loses at most the last second.
 *
 * Return: TRUE when the whole line is written.
 */
gboolean mhp_results_append_cycle(MhpResults *r, struct json_object *obj, GError **error);

/* The fdatasync passes queued so far (tests). */
guint64 mhp_results_syncs(MhpResults *r);

/*
 * cycles.jsonl is closed at this size like events.jsonl: renamed
 * cycles.NNNN.jsonl and gzip-compressed to cycles.NNNN.jsonl.gz (the plain
 * copy stays when compressing fails). mhp_results_foreach_cycle() reads
 * them all in order.
 */
#define MHP_RESULTS_CYCLES_SEGMENT (8u << 20)
/* Change the segment size (tests); the closed segments so far. */
void mhp_results_set_cycles_segment(MhpResults *r, guint64 segment);
guint mhp_results_cycles_segments(MhpResults *r);

/**
 * mhp_results_append_event() - append one event to events.jsonl, whole or not at all.
 * @r: the results
 * @source: "qmp-in", "qmp-out", "agent-in", "agent-out", "libvirt", "engine"
 * @msg: borrowed
 *
 * A failure is counted (mhp_results_events_lost()) and its first error
 * kept (mhp_results_events_error()) for the summary: the cycle records
 * and the free-space check decide whether the run goes on.
 *
 * Return: TRUE when the whole line is written.
 */
gboolean mhp_results_append_event(MhpResults *r, const char *source, struct json_object *msg);

/*
 * What events.jsonl keeps of a protocol message (docs/results-format.md,
 * "Elided messages"): an event (an "event" key) always whole; a reply or
 * request whose compact JSON is longer than MHP_RESULTS_ELIDE_BYTES (an
 * agent snapshot, a big QMP return) as a stand-in
 * {"id", "elided": {"bytes", "sha256", "keys"}}, while the last
 * MHP_RESULTS_HELD such messages (MHP_RESULTS_HELD_BYTES in all) are held
 * whole in memory until mhp_results_flush_held() writes them.
 */
#define MHP_RESULTS_ELIDE_BYTES 1024
#define MHP_RESULTS_HELD 4
#define MHP_RESULTS_HELD_BYTES (8u << 20)

/**
 * mhp_results_append_message() - append a protocol message to events.jsonl, or its stand-in.
 * @r: the results
 * @source: "qmp-in", "qmp-out", "agent-in", "agent-out", "libvirt"
 * @msg: borrowed
 *
 * Return: TRUE when its line (whole or stand-in) is written.
 */
gboolean mhp_results_append_message(MhpResults *r, const char *source, struct json_object *msg);

/**
 * mhp_results_elide() - the stand-in events.jsonl has for @msg.
 * @msg: borrowed
 * @text: @msg's compact JSON text, as events.jsonl would have it
 * @len: its length
 *
 * Return: a new object: @msg's "id" (an integer), "cmd" or "execute" (a
 * short string), and "elided": {"bytes": @len, "sha256": the first 16 hex
 * digits of the SHA-256 of @text, "keys": the first 16 keys of its "ok",
 * "return" or "args" object (else of @msg)}.
 */
struct json_object *mhp_results_elide(struct json_object *msg, const char *text, gsize len);

/**
 * mhp_results_flush_held() - write the held whole messages to events.jsonl.
 * @r: the results
 *
 * Called when a cycle fails: its evidence keeps every message that was
 * elided around it. Each is written as it would have been, with its own
 * ts_ns and "replay": true, oldest first, and no longer held.
 *
 * Return: how many were written.
 */
guint mhp_results_flush_held(MhpResults *r);

/*
 * Segments and the cap (docs/results-format.md, "Segments"). When the
 * open events.jsonl reaches the segment size after a line, it is closed,
 * renamed events.NNNN.jsonl (NNNN from 0001) and compressed to
 * events.NNNN.jsonl.gz (gzip, tmp + fsync + rename, then the plain copy
 * is removed), and a new events.jsonl is opened. A line that would take
 * the events' bytes on disk (closed segments compressed + the open one)
 * over the cap is dropped and counted (mhp_results_events_dropped()).
 */
#define MHP_RESULTS_EVENTS_SEGMENT (8u << 20)
#define MHP_RESULTS_EVENTS_MAX (256ull << 20)

/**
 * mhp_results_set_events_limits() - change the segment size and the cap (tests).
 * @r: the results
 * @segment: close the open segment once it holds this many bytes
 * @max: the events' bytes on disk, at most
 */
void mhp_results_set_events_limits(MhpResults *r, guint64 segment, guint64 max);
/* Closed segments so far; the events' bytes on disk; lines dropped by the cap. */
guint mhp_results_events_segments(MhpResults *r);
guint64 mhp_results_events_bytes(MhpResults *r);
guint64 mhp_results_events_dropped(MhpResults *r);
guint64 mhp_results_events_written(MhpResults *r);
/* Events that could not be written, and the first such error (NULL: none). */
guint64 mhp_results_events_lost(MhpResults *r);
const GError *mhp_results_events_error(MhpResults *r);

/* The free space mhp_results_check_space() asks for, at least. */
#define MHP_RESULTS_MIN_FREE (1024 * 1024)

/**
 * mhp_results_check_space() - whether the results' file system can take another cycle.
 * @r: the results
 * @error: set when it cannot, naming the directory, what is free and what is needed
 *
 * Needs MAX(MHP_RESULTS_MIN_FREE, 4 x the largest line written so far)
 * available to an unprivileged writer (statvfs f_bavail).
 *
 * Return: TRUE when there is room.
 */
gboolean mhp_results_check_space(MhpResults *r, GError **error);

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
 * A run's samples of one phase, in bounded memory: kept exactly up to
 * MHP_LATENCY_EXACT (percentiles as mhp_latency_from_samples() gives
 * them), then in logarithmic buckets 1/128 wide (a percentile within 0.8 %,
 * max exact). About 20 KB a phase however long the run.
 */
#define MHP_LATENCY_EXACT 1024
typedef struct MhpLatencyAcc MhpLatencyAcc;
MhpLatencyAcc *mhp_latency_acc_new(void);
void mhp_latency_acc_free(MhpLatencyAcc *a);
void mhp_latency_acc_add(MhpLatencyAcc *a, double ms);
/* A sample taken again (a phase run twice in a cycle): @old_ms becomes @ms. */
void mhp_latency_acc_replace(MhpLatencyAcc *a, double old_ms, double ms);
/* @a may be NULL: no sample. */
void mhp_latency_acc_get(const MhpLatencyAcc *a, MhpLatency *ret);

/**
 * mhp_latency_add() - add @l to @lat as @name: {n, p50, p90, p99, max}.
 * @lat: a JSON object (summary.json "latency_ms", or compare's)
 * @name: a phase name, or "cycle"
 * @l: the percentiles; nothing is added when @l->n is 0
 */
void mhp_latency_add(struct json_object *lat, const char *name, const MhpLatency *l);

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
	guint64 events_lost;              /* events.jsonl lines not written; 0 left out */
	guint64 events_dropped;           /* events lines over the cap; 0 left out */
} MhpSummary;

/* One record of cycles.jsonl (borrowed), and its number among them, from 1. */
typedef void (*MhpCycleFunc)(struct json_object *record, guint64 n, gpointer user_data);

/**
 * mhp_results_foreach_cycle() - call @func on each record of @dir's cycles.
 * @dir: a results directory
 * @func: called in the records' order: the closed segments
 *        (cycles.NNNN.jsonl.gz, or cycles.NNNN.jsonl where compressing
 *        failed) by NNNN, then the open cycles.jsonl
 * @user_data: for @func
 *
 * One line is held at a time, so an 8-hour run's file is never read
 * whole. Lines that are not a JSON object (a killed writer's last) are
 * skipped; a missing file has none.
 *
 * Return: the number of records.
 */
guint64 mhp_results_foreach_cycle(const char *dir, MhpCycleFunc func, gpointer user_data);

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
 * @error: set on failure: "cannot write '/dir/summary.json': ..."
 *
 * Return: TRUE on success.
 */
gboolean mhp_summary_write(const char *dir, const MhpSummary *s, GError **error);

#endif
