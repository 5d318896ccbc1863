/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run.h - one daemon run's lifecycle: its state, state.json, its engine and
 * the clients following it. Private to daemon/server/ (daemon.c, run.c,
 * recover.c); nothing else includes it.
 *
 * States and events (docs/control-protocol.md):
 *
 *   state     event                       next
 *   queued    a place is free             running (or failed: the engine did not start)
 *   queued    stop, daemon shutdown       stopped
 *   running   engine finished, code 0     passed
 *   running   engine finished, code != 0  failed
 *   running   stop, daemon shutdown       stopped (when the engine has finished)
 *   running   shutdown deadline           stopped
 *   queued,   found at start-up           interrupted
 *   running   (the daemon died)
 */
#ifndef MHP_SERVER_RUN_H
#define MHP_SERVER_RUN_H

#include <errno.h>

#include <glib.h>
#include <json-c/json.h>

#include "cycle.h"

typedef enum {
	MHP_RUN_STATE_QUEUED,
	MHP_RUN_STATE_RUNNING,
	MHP_RUN_STATE_PASSED,
	MHP_RUN_STATE_FAILED,
	MHP_RUN_STATE_STOPPED,
	MHP_RUN_STATE_INTERRUPTED,
	_MHP_RUN_STATE_MAX,
	_MHP_RUN_STATE_INVALID = -EINVAL,
} MhpRunState;

/* The names state.json and the protocol use: "queued" ... "interrupted". */
const char *mhp_run_state_to_string(MhpRunState s);
/* _MHP_RUN_STATE_INVALID for NULL or an unknown name. */
MhpRunState mhp_run_state_from_string(const char *s);
/* queued or running: the run has not ended. */
gboolean mhp_run_state_is_active(MhpRunState s);

typedef struct Run Run;

/* Upcalls into the daemon, set when the run is made. */
typedef struct {
	/* the engine has finished and the run ended: a place is free */
	void (*ended)(Run *r, gpointer user_data);
	/* an event for the follower @owner; a @droppable one (progress) may be skipped */
	void (*send)(gconstpointer owner, struct json_object *msg, gboolean droppable, gpointer user_data);
} RunHooks;

struct Run {
	char *id;
	char *dir;
	char *scenario_name;
	MhpRunState state;
	char *message;
	MhpScenario *s;
	MhpEngine *e;
	MhpRunOptions opts;     /* opts.backend is recorded in state.json */
	MhpProgress progress;
	char progress_state[16], progress_phase[32];
	gint64 started, ended;
	gint64 mono_start;      /* for live elapsed time */
	int qemu_pid;           /* the backend's qemu.pid, once seen; 0 before */
	guint64 qemu_start;     /* its start time (/proc/PID/stat field 22) */
	int exit_code;
	GPtrArray *followers;   /* Follow*, private to run.c */
	gboolean stop_requested;
	const RunHooks *hooks;
	gpointer hooks_data;
};

/**
 * run_new() - a run with no state yet; the caller sets it with run_set_state().
 * @id: its id, also its directory's name
 * @dir: its results directory
 * @hooks: upcalls, borrowed (static)
 * @hooks_data: for @hooks
 */
Run *run_new(const char *id, const char *dir, const RunHooks *hooks, gpointer hooks_data);
void run_free(gpointer r);

/**
 * run_set_state() - move to @state and rewrite state.json atomically.
 * @r: the run
 * @state: the new state; an end state also sets the end time
 */
void run_set_state(Run *r, MhpRunState state);
gboolean run_active(const Run *r);

/**
 * run_json() - the run object of the protocol.
 * @r: the run
 *
 * Return: a new object: run, state, scenario, results, times, message, progress.
 */
struct json_object *run_json(const Run *r);

/**
 * run_start_engine() - start a queued run: running, or failed with the
 * engine's message when it cannot start.
 * @r: the run
 */
void run_start_engine(Run *r);

/**
 * run_stop() - stop a run gracefully: its engine ends it as stopped, or at
 * once if it is still queued.
 * @r: the run
 *
 * Return: FALSE when it has ended already.
 */
gboolean run_stop(Run *r);

/**
 * run_follow() - send @owner progress events until the run ends.
 * @r: the run
 * @owner: the client, handed to the send hook and to run_drop_follower()
 * @id: the follow request's id, echoed in every event
 *
 * A run that has ended gets its "finished" event at once.
 */
void run_follow(Run *r, gconstpointer owner, struct json_object *id);
/* @owner went away: stop sending it events. */
void run_drop_follower(Run *r, gconstpointer owner);

/**
 * run_make_id() - a new run's id: SCENARIO-STAMP-SEQ.
 * @scenario_name: the scenario's file name; its stem before the first '.',
 *   cut to RUN_ID_MAX_STEM characters and with anything outside
 *   [A-Za-z0-9_-] (and a leading '-') made '_', starts the id; "run" when empty
 * @stamp: the start time, YYYYmmdd-HHMMSS
 * @seq: the daemon's run counter
 *
 * Return: an id mhp_ctl_valid_run_id() accepts, whatever the name.
 */
char *run_make_id(const char *scenario_name, const char *stamp, guint64 seq);
#define RUN_ID_MAX_STEM 64

/**
 * run_proc_start_time() - when process @pid started, in clock ticks after
 * boot (/proc/PID/stat field 22): with the pid, it names one process.
 * @pid: the process
 *
 * Return: the start time, or 0 when there is no such process.
 */
guint64 run_proc_start_time(int pid);

#endif
