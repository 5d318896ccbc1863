/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * engine-private.h - the cycle engine's state and the calls between its
 * files. Included by the engine's .c files only (daemon/engine/); nothing
 * outside the engine includes it: the interface is cycle.h.
 *
 * The files form layers, and a file calls only the files below it:
 *
 *   engine.c   public API, life, policy (step: what comes next)
 *   boot.c     boot, hello, baseline
 *   events.c   backend and agent events, wait expiry, watchdog
 *   plug.c     the plug half of a cycle, the offline-boot case
 *   unplug.c   the removal half, the end of a cycle and its policy
 *   verify.c   blocks and snapshot checks, agent errors as classes
 *   evidence.c kernel failures and the first failure's evidence
 *   stressors.c
 *   record.c   clock, records, phases, waits, scheduling, request args
 *
 * Where a lower file must continue in a higher one (a step is due, a
 * wait expired), it calls through MhpEngine.up, set by engine.c.
 */
#ifndef MHP_ENGINE_PRIVATE_H
#define MHP_ENGINE_PRIVATE_H

#include <glib.h>
#include <json-c/json.h>

#include "accounting.h"
#include "agent-link.h"
#include "backend.h"
#include "cycle.h"
#include "replies.h"
#include "results.h"

#define CONSOLE_TAIL 1000
/* console lines added to evidence/console.txt after the failure's: the rest of an oops */
#define CONSOLE_AFTER 200
/* ... and after its "---[ end trace": the panic an oops turns into */
#define CONSOLE_AFTER_END 12
/* how long a panic's trace is given to reach the console before the VM is paused (ms) */
#define PANIC_SETTLE_MS 2000
/* a failure this soon after the last one's "---[ end trace" is part of it (µs) */
#define EVIDENCE_SAME_US G_USEC_PER_SEC
/* ... and one this soon after it was taken, without an end line seen: a
 * report on a 115200 baud console takes well under a second */
#define EVIDENCE_REPORT_US (5 * G_USEC_PER_SEC)
#define EVIDENCE_AGENT_MS 5000

typedef enum {
	DIMM_FREE,
	DIMM_PLUGGING,
	DIMM_ONLINE,
	DIMM_UNPLUGGING,
	DIMM_STUCK,   /* could not be removed: the slot is not used again */
} DimmState;

/* When a phase of a DIMM's cycle began and ended (run time, ns). */
typedef struct {
	gint64 start_ns, end_ns;
	gboolean begun, ended;
} PhaseTimes;

typedef struct Dimm {
	int slot;
	DimmState state;
	MhpDimmSpec spec;
	guint64 cycle;
	MhpZone zone;
	gboolean offline_first;
	const MhpCase *kase;
	guint64 addr;
	guint64 first_block, nblocks;
	gboolean insert_ost;
	int insert_status;
	gboolean eject_ost;     /* source 3, 0x84: the eject is in progress */
	gboolean refused;       /* source 3 with a failure status */
	int refused_status;
	gboolean deleted;
	gboolean guest_error;
	gboolean eject_pending; /* slot: waiting for the trailing OST */
	gboolean hogged;
	gboolean query_pending; /* plug.c: query-memory-devices in flight */
	gboolean ost_done;      /* plug.c: the insert OST said 0 */
	gboolean blocks_waited; /* plug.c: race mode waited for the blocks after all */
	guint64 query_size;     /* plug.c: the DIMM's size as QEMU lists it */
	char *query_error;      /* plug.c: why the query found no address */
	gboolean gone_asked;    /* unplug.c: race mode asked for the blocks' absence at DEVICE_DELETED */
	gboolean gone_answered; /* unplug.c: ... and has the answer */
	gboolean released;      /* unplug.c: object-del has returned */
	gint64 t_start;
	PhaseTimes phases[_MHP_PHASE_MAX];
	double latency_ms[_MHP_PHASE_MAX]; /* record.c: the sample this cycle gave latencies[], */
	gboolean latency_taken[_MHP_PHASE_MAX]; /* ... once taken */
	struct json_object *data;
	MhpFailClass failure;   /* the cycle's first failure */
	char *detail;
	int failure_errno;
	gboolean cleanup; /* removing after a failure */
	MhpAcctRise rise; /* what its plug added to the counters (verify.c) */
} Dimm;

typedef enum {
	WAIT_NONE,
	WAIT_INSERT_OST,
	WAIT_EJECT_OST,
	WAIT_DELETED,
	WAIT_EJECT_DONE,
	WAIT_HOLD,
} WaitKind;

/* Upcalls from record.c, set once by mhp_engine_new(). */
typedef struct {
	void (*step)(MhpEngine *e);                     /* engine.c */
	void (*wait_expired)(MhpEngine *e, WaitKind w); /* events.c */
} EngineUpcalls;

struct MhpEngine {
	GMainContext *ctx;
	const EngineUpcalls *up;
	const MhpScenario *s;
	MhpRunOptions opts;
	MhpEngineCallbacks cb;
	gpointer user_data;

	MhpResults *results;
	MhpBackend *backend;
	MhpAgentLink *agent;
	GRand *rand;
	guint64 seed;

	guint64 cycles_planned; /* 0: duration */
	guint64 duration_ms;
	guint64 started_cycles;
	guint64 finished_cycles;
	guint64 failed_cycles;
	guint64 failures[_MHP_FAIL_MAX]; /* cycles (and leaks) per class */
	MhpLatencyAcc *latencies[_MHP_PHASE_MAX]; /* per phase, NULL until one ends */
	MhpLatencyAcc *cycle_latency; /* passed cycles */

	gint64 t0;
	gint64 boot_deadline;
	guint64 seq;            /* flow token for callbacks */
	MhpEngineState state;
	MhpPhase phase;
	gboolean stopping;
	gboolean finished;
	gboolean fatal;         /* the run cannot go on: end as soon as possible */
	char *fatal_msg;
	gboolean results_failed; /* a record could not be written: exit 2 */
	gboolean booted;        /* a guest has been running: a boot failure after is a failure, not untestable */
	gboolean vm_start_failed; /* the backend did not start the VM: an environment error, not untestable */
	gboolean restarting;
	gboolean restart_pending;
	gboolean shutting_down; /* we asked the VM to quit */

	guint64 block_size;
	guint page_size;
	struct json_object *baseline; /* the snapshot every check compares with */
	gboolean rebaseline;          /* a slot got stuck: re-measure once the rest is out */
	gboolean measuring;           /* the re-baseline snapshot is in flight */
	MhpTrends *trends;
	MhpAcctBands bands;
	MhpAcctDiff diff;             /* verify.c: the differential's finding and noise */
	struct json_object *diff_snap;/* verify.c: its last snapshot, with what was plugged then */
	guint64 diff_plugged;
	struct json_object *hello;
	Dimm *slots;            /* [guest.slots] */
	GQueue plugged;         /* Dimm*, oldest first */
	Dimm *cur;              /* the DIMM the step in progress is about */
	WaitKind wait;
	GSource *wait_src;
	guint64 next_rr_slot;
	GQueue console_tail;    /* the last CONSOLE_TAIL console lines */
	gint64 console_last_us; /* monotonic time of the last console line */
	GSource *watchdog_src;
	struct json_object *last_snapshot;
	guint evidence_taken;    /* evidence directories taken: one per distinct failure */
	GPtrArray *evidence_sigs; /* their signatures (mhp_oops_signature) */
	struct BugReports *bug_reports; /* report.md being written at the run's end */
	gint64 evidence_quiet_us;
	struct Evidence *evidence_settle; /* a panic's evidence, waiting for its trace */
	GSource *evidence_settle_src; /* until then a failure is part of the last one's report */
	gboolean collecting;     /* the evidence sequence is running */
	char *evidence_console;  /* evidence/console.txt, while lines are still added to it */
	guint evidence_console_left;
	gboolean guest_gone;     /* panicked or hung: nothing more can be asked of it */
	gboolean fatal_expected; /* the guest is gone as a case expected */
	gboolean held;           /* paused after a failure for a debugger */
	guint started_stressors;
	gint64 kmsg_seq;        /* the highest kmsg seq of this boot, -1: none yet */
	gint64 kmsg_window;     /* events.c: the second kmsg records are logged in */
	guint kmsg_logged;
	guint64 kmsg_unlogged;  /* in this window, not yet reported */
	MhpFailClass pending_kernel_failure; /* a kernel failure seen between cycles */
	char *pending_kernel_detail;
	GSource *idle;
};

typedef struct {
	MhpEngine *e;
	guint64 seq;
	Dimm *d;
} Ctx;

/* record.c: below every other file */
gint64 engine_now(MhpEngine *e); /* the run options' clock (MhpClock), or the real one */
GSource *engine_timeout_source(MhpEngine *e, guint ms);
void emit_progress(MhpEngine *e);
void engine_event(MhpEngine *e, const char *what, struct json_object *fields);
void phase_begin(MhpEngine *e, Dimm *d, MhpPhase ph);
void phase_end(MhpEngine *e, Dimm *d, MhpPhase ph);
/* The first failure is the cycle's class; later ones are ignored. */
void set_failure(Dimm *d, MhpFailClass cls, int err, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
Ctx *ctx_new(MhpEngine *e, Dimm *d);
/* Return: the engine when the callback is still current, else NULL (ctx freed). */
MhpEngine *ctx_take(Ctx *c, Dimm **ret_d);
void cancel_wait(MhpEngine *e);
/* Wait @ms for the event of @kind; on expiry, e->up->wait_expired. */
void wait_for(MhpEngine *e, WaitKind kind, guint64 ms);
/* Steps run from an idle source (e->up->step): no recursion through long cycles. */
void schedule_step(MhpEngine *e);
/* Append the cycle to cycles.jsonl and count it; a failed write ends the
 * run (results_failed). Return: whether it passed. */
gboolean write_cycle(MhpEngine *e, Dimm *d);
/* A cycle or the summary could not be recorded: the run ends, exit 2, with @err's message. */
void results_failed(MhpEngine *e, const GError *err);
/* Before a cycle: whether the results' file system has room for it; if not, results_failed. */
gboolean results_room(MhpEngine *e);
void dimm_reset(Dimm *d);
void cycle_failed(MhpEngine *e, Dimm *d);
/* End every cycle still open with @cls (their first failure stays theirs).
 * Return: whether one of them was a case expecting @cls (if @check_expect). */
gboolean close_open_cycles(MhpEngine *e, MhpFailClass cls, const char *detail, gboolean check_expect);
struct json_object *block_list(Dimm *d);
/* { blocks, timeout_ms }: online, offline */
struct json_object *blocks_args(Dimm *d, guint64 timeout_ms);
/* { phys_start, size, [present: false], timeout_ms }: wait-blocks */
struct json_object *wait_blocks_args(MhpEngine *e, Dimm *d, gboolean present);
/* @full: one of the snapshots kept whole (baseline, plugged-1, end): raw ptdump too */
struct json_object *snapshot_args_full(MhpEngine *e, gboolean full);
struct json_object *snapshot_args(MhpEngine *e);
void remember_snapshot(MhpEngine *e, struct json_object *snap);
void save_snapshot(MhpEngine *e, const char *name, struct json_object *snap);

/* stressors.c */
void stressors_phase(MhpEngine *e, MhpStressorPhase phase, gboolean start);

/* evidence.c */
void kernel_failure(MhpEngine *e, MhpFailClass cls, const char *detail);
void evidence_console_line(MhpEngine *e, const char *line);

/* verify.c */
guint64 memtotal_kb(struct json_object *snap);
gboolean agent_failed(Dimm *d, const GError *error, const char *what);
gboolean protocol_failed(Dimm *d, const GError *error, const char *what);
gboolean verify_is_light(MhpEngine *e, Dimm *d);
void verify_light(MhpEngine *e, Dimm *d, struct json_object *ok, gboolean plugged);
gboolean snapshot_failed(MhpEngine *e, Dimm *d, struct json_object *ok, const GError *error, const char *what);
guint block_results(Dimm *d, struct json_object *ok, MhpFailClass cls, const char *verb);
void verify_online_blocks(Dimm *d, struct json_object *ok);
void verify_plugged(MhpEngine *e, Dimm *d, struct json_object *ok);
void verify_removed(MhpEngine *e, Dimm *d, struct json_object *ok);

/* unplug.c */
void begin_unplug(MhpEngine *e, Dimm *d);
void unplug_finished(MhpEngine *e, Dimm *d);
void stuck(MhpEngine *e, Dimm *d, const char *why);
void release(MhpEngine *e, Dimm *d);
void eject_ost_seen(MhpEngine *e, Dimm *d);
void refusal_seen(MhpEngine *e, Dimm *d);
void deleted_seen(MhpEngine *e, Dimm *d);
void eject_done(MhpEngine *e, Dimm *d);

/* plug.c */
void begin_plug(MhpEngine *e, Dimm *d, const MhpCase *k);
void run_case_offline_boot(MhpEngine *e, Dimm *d);
void insert_ost_seen(MhpEngine *e, Dimm *d);
void after_hold(MhpEngine *e, Dimm *d);

/* events.c */
extern const MhpBackendCallbacks engine_backend_events; /* all but .started */
extern const MhpAgentLinkCallbacks engine_agent_events;
void events_wait_expired(MhpEngine *e, WaitKind w);
gboolean engine_watchdog(gpointer user_data);
void events_flush_kmsg(MhpEngine *e);

/* boot.c */
void boot(MhpEngine *e);
void boot_failed(MhpEngine *e, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#endif
