/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cycle.h - the hotplug cycle engine: a library on a GMainContext.
 */
#ifndef MHP_CYCLE_H
#define MHP_CYCLE_H

#include <errno.h>
#include <glib.h>
#include <json-c/json.h>

#include "backend.h"
#include "clock.h"
#include "failclass.h"
#include "phase.h"
#include "scenario.h"

typedef struct MhpEngine MhpEngine;

/* What a run is given besides its scenario. The strings are owned. */
typedef struct {
	char *kernel;
	char *initrd;
	char *results_dir;
	gint64 cycles;      /* -1: the scenario's */
	gint64 duration_ms; /* -1: the scenario's */
	guint64 seed;       /* used when have_seed */
	gboolean have_seed;
	char *gdb;          /* -gdb argument, or NULL */
	const MhpBackendClass *backend; /* NULL: qemu */
	char *connect;      /* libvirt URI (NULL: qemu:///system) */
	char *domain;       /* libvirt domain (NULL: a transient one) */
	const MhpClock *clock; /* NULL: real time */
} MhpRunOptions;

#define MHP_RUN_OPTIONS_INIT { .cycles = -1, .duration_ms = -1 }

/* Deep copy of @src into @dst; mhp_run_options_clear() frees it. */
void mhp_run_options_copy(MhpRunOptions *dst, const MhpRunOptions *src);
void mhp_run_options_clear(MhpRunOptions *o);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(MhpRunOptions, mhp_run_options_clear)

/* The engine's states; docs/architecture.md has the state machine. */
typedef enum {
	MHP_ENGINE_NEW,      /* created, not started */
	MHP_ENGINE_BOOTING,  /* the guest boots: hello, baseline */
	MHP_ENGINE_RUNNING,  /* cycles */
	MHP_ENGINE_PAUSED,   /* held after a failure for a debugger */
	MHP_ENGINE_STOPPING, /* end snapshot, shutdown */
	MHP_ENGINE_DONE,     /* summary written */
	_MHP_ENGINE_STATE_MAX,
	_MHP_ENGINE_STATE_INVALID = -EINVAL,
} MhpEngineState;

const char *mhp_engine_state_to_string(MhpEngineState s);
MhpEngineState mhp_engine_state_from_string(const char *s);

typedef struct {
	MhpEngineState state;
	MhpPhase phase;     /* the step in progress */
	guint64 cycle;      /* cycles finished */
	guint64 cycles;     /* planned, 0 when bounded by duration */
	guint64 elapsed_ms;
	guint64 duration_ms;
	guint64 failures;
	double cycles_per_s;
} MhpProgress;

/*
 * How a run ended: the engine's exit code, which mhpstress run exits with.
 * 125 is what git bisect run takes as "this commit cannot be tested".
 */
typedef enum {
	MHP_RUN_EXIT_PASS = 0,         /* every cycle passed */
	MHP_RUN_EXIT_FAILURES = 1,     /* failures found */
	MHP_RUN_EXIT_ERROR = 2,        /* the run could not be done or recorded */
	MHP_RUN_EXIT_UNTESTABLE = 125, /* the guest did not boot: no cycle could run */
} MhpRunExit;

typedef struct {
	void (*progress)(MhpEngine *e, const MhpProgress *p, gpointer user_data);
	/* @exit_code: an MhpRunExit */
	void (*finished)(MhpEngine *e, int exit_code, const char *message, gpointer user_data);
	/* a cycle ended; @record is its cycles.jsonl line, borrowed, written before */
	void (*cycle)(MhpEngine *e, struct json_object *record, gpointer user_data);
	/* the first failure's evidence is in @dir (info.json has the commands) */
	void (*evidence)(MhpEngine *e, const char *dir, gpointer user_data);
} MhpEngineCallbacks;

/**
 * mhp_engine_new() - an engine for one run; nothing starts until mhp_engine_start().
 * @ctx: the context every source of the run is attached to
 * @scenario: borrowed; must outlive the engine
 * @opts: copied
 * @cb: callbacks
 * @user_data: for @cb
 */
MhpEngine *mhp_engine_new(GMainContext *ctx, const MhpScenario *scenario, const MhpRunOptions *opts,
			  const MhpEngineCallbacks *cb, gpointer user_data);
void mhp_engine_free(MhpEngine *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MhpEngine, mhp_engine_free)

/* Open the results directory, write run.json and boot the guest. */
gboolean mhp_engine_start(MhpEngine *e, GError **error);
/* Stop gracefully: finish the step in progress, remove the DIMMs, shut down. */
void mhp_engine_stop(MhpEngine *e);
const char *mhp_engine_results_dir(MhpEngine *e);
guint64 mhp_engine_seed(MhpEngine *e);
/*
 * The run is over but its evidence/report.md files are being written, in
 * a thread: it finishes (the finished callback) when they are. No fake
 * clock moves that along; a caller on one waits for real.
 */
gboolean mhp_engine_writing_reports(MhpEngine *e);

#endif
