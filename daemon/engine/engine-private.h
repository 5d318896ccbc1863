/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * engine-private.h - the cycle engine's state, shared by cycle.c (the state
 * machine) and engine-failures.c (kernel failures, evidence, stressors).
 * Not an interface: nothing outside the engine includes it.
 */
#ifndef MHP_ENGINE_PRIVATE_H
#define MHP_ENGINE_PRIVATE_H

#include <glib.h>
#include <json-c/json.h>

#include "accounting.h"
#include "agent-link.h"
#include "backend.h"
#include "cycle.h"
#include "results.h"

#define CONSOLE_TAIL 1000
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
	gint64 t_start;
	PhaseTimes phases[_MHP_PHASE_MAX];
	struct json_object *data;
	MhpFailClass failure;   /* the cycle's first failure */
	char *detail;
	int failure_errno;
	gboolean cleanup; /* removing after a failure */
} Dimm;

typedef enum {
	WAIT_NONE,
	WAIT_INSERT_OST,
	WAIT_EJECT_OST,
	WAIT_DELETED,
	WAIT_EJECT_DONE,
	WAIT_HOLD,
} WaitKind;

struct MhpEngine {
	GMainContext *ctx;
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
	GArray *latencies[_MHP_PHASE_MAX]; /* double ms per phase, NULL until one ends */
	GArray *cycle_latency;  /* double ms of passed cycles */

	gint64 t0;
	gint64 boot_deadline;
	guint64 seq;            /* flow token for callbacks */
	MhpEngineState state;
	MhpPhase phase;
	gboolean stopping;
	gboolean finished;
	gboolean fatal;         /* the run cannot go on: end as soon as possible */
	char *fatal_msg;
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
	gboolean evidence_taken; /* evidence is collected for the first failure only */
	gboolean collecting;     /* the evidence sequence is running */
	gboolean guest_gone;     /* panicked or hung: nothing more can be asked of it */
	gboolean fatal_expected; /* the guest is gone as a case expected */
	gboolean held;           /* paused after a failure for a debugger */
	guint started_stressors;
	MhpFailClass pending_kernel_failure; /* a kernel failure seen between cycles */
	char *pending_kernel_detail;
	GSource *idle;
};

typedef struct {
	MhpEngine *e;
	guint64 seq;
	Dimm *d;
} Ctx;

/* cycle.c */
void engine_event(MhpEngine *e, const char *what, struct json_object *fields);
void emit_progress(MhpEngine *e);
/* the run options' clock (MhpClock), or the real one */
gint64 engine_now(MhpEngine *e);
GSource *engine_timeout_source(MhpEngine *e, guint ms);
void set_failure(Dimm *d, MhpFailClass cls, int err, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
gboolean write_cycle(MhpEngine *e, Dimm *d);
void cancel_wait(MhpEngine *e);
/* End every cycle still open with @cls (their first failure stays theirs).
 * Return: whether one of them was a case expecting @cls (if @check_expect). */
gboolean close_open_cycles(MhpEngine *e, MhpFailClass cls, const char *detail, gboolean check_expect);
void schedule_step(MhpEngine *e);
Ctx *ctx_new(MhpEngine *e, Dimm *d);
MhpEngine *ctx_take(Ctx *c, Dimm **ret_d);

/* engine-failures.c */
void kernel_failure(MhpEngine *e, MhpFailClass cls, const char *detail);
gboolean engine_watchdog(gpointer user_data);
void stressors_phase(MhpEngine *e, MhpStressorPhase phase, gboolean start);

#endif
