// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * run.c - one daemon run: its state and state.json, its engine, and the
 * progress events its followers get. The state table is in run.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonget.h"
#include "results.h"
#include "run.h"

static const char *const run_state_table[_MHP_RUN_STATE_MAX] = {
	[MHP_RUN_STATE_QUEUED] = "queued",
	[MHP_RUN_STATE_RUNNING] = "running",
	[MHP_RUN_STATE_PASSED] = "passed",
	[MHP_RUN_STATE_FAILED] = "failed",
	[MHP_RUN_STATE_STOPPED] = "stopped",
	[MHP_RUN_STATE_INTERRUPTED] = "interrupted",
};

const char *mhp_run_state_to_string(MhpRunState s)
{
	return s >= 0 && s < _MHP_RUN_STATE_MAX ? run_state_table[s] : NULL;
}

MhpRunState mhp_run_state_from_string(const char *s)
{
	for (int i = 0; s && i < _MHP_RUN_STATE_MAX; i++)
		if (!strcmp(run_state_table[i], s))
			return (MhpRunState)i;
	return _MHP_RUN_STATE_INVALID;
}

gboolean mhp_run_state_is_active(MhpRunState s)
{
	switch (s) {
	case MHP_RUN_STATE_QUEUED:
	case MHP_RUN_STATE_RUNNING:
		return TRUE;
	case MHP_RUN_STATE_PASSED:
	case MHP_RUN_STATE_FAILED:
	case MHP_RUN_STATE_STOPPED:
	case MHP_RUN_STATE_INTERRUPTED:
	case _MHP_RUN_STATE_MAX:
	case _MHP_RUN_STATE_INVALID:
		return FALSE;
	}
	return FALSE;
}

typedef struct {
	gconstpointer owner;
	struct json_object *id;
} Follow;

static void follow_free(gpointer p)
{
	Follow *f = p;

	json_object_put(f->id);
	g_free(f);
}

static void run_write_state(Run *r)
{
	struct json_object *o = json_object_new_object();
	g_autofree char *path = g_build_filename(r->dir, "state.json", NULL);

	json_object_object_add(o, "run", json_object_new_string(r->id));
	json_object_object_add(o, "state", json_object_new_string(mhp_run_state_to_string(r->state)));
	json_object_object_add(o, "scenario", json_object_new_string(r->scenario_name));
	if (r->opts.backend)
		json_object_object_add(o, "backend", json_object_new_string(r->opts.backend->name));
	json_object_object_add(o, "daemon_pid", json_object_new_int(getpid()));
	json_object_object_add(o, "daemon_start", json_object_new_uint64(run_proc_start_time(getpid())));
	if (r->qemu_pid > 0) {
		json_object_object_add(o, "qemu_pid", json_object_new_int(r->qemu_pid));
		json_object_object_add(o, "qemu_start", json_object_new_uint64(r->qemu_start));
	}
	json_object_object_add(o, "started", json_object_new_int64(r->started));
	json_object_object_add(o, "ended", json_object_new_int64(r->ended));
	if (r->message)
		json_object_object_add(o, "message", json_object_new_string(r->message));
	/* never through a symlink planted in the run's directory */
	mhp_results_write_file(path, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY), -1, NULL);
	json_object_put(o);
}

void run_set_state(Run *r, MhpRunState state)
{
	r->state = state;
	if (!mhp_run_state_is_active(state))
		r->ended = g_get_real_time() / 1000000;
	run_write_state(r);
}

gboolean run_active(const Run *r)
{
	return mhp_run_state_is_active(r->state);
}

struct json_object *run_json(const Run *r)
{
	struct json_object *o = json_object_new_object(), *p = json_object_new_object();
	gboolean live = r->state == MHP_RUN_STATE_RUNNING && r->mono_start;

	json_object_object_add(o, "run", json_object_new_string(r->id));
	json_object_object_add(o, "state", json_object_new_string(mhp_run_state_to_string(r->state)));
	json_object_object_add(o, "scenario", json_object_new_string(r->scenario_name));
	json_object_object_add(o, "results", json_object_new_string(r->dir));
	json_object_object_add(o, "started", json_object_new_int64(r->started));
	if (r->ended)
		json_object_object_add(o, "ended", json_object_new_int64(r->ended));
	if (r->message)
		json_object_object_add(o, "message", json_object_new_string(r->message));
	json_object_object_add(p, "state", json_object_new_string(r->progress_state));
	json_object_object_add(p, "phase", json_object_new_string(r->progress_phase));
	json_object_object_add(p, "cycle", json_object_new_int64((int64_t)r->progress.cycle));
	json_object_object_add(p, "cycles", json_object_new_int64((int64_t)r->progress.cycles));
	json_object_object_add(p, "elapsed_ms", json_object_new_int64(live ? (g_get_monotonic_time() - r->mono_start) / 1000
									   : (int64_t)r->progress.elapsed_ms));
	json_object_object_add(p, "duration_ms", json_object_new_int64((int64_t)r->progress.duration_ms));
	json_object_object_add(p, "failures", json_object_new_int64((int64_t)r->progress.failures));
	json_object_object_add(p, "cycles_per_s", mhp_json_new_double(r->progress.cycles_per_s));
	json_object_object_add(o, "progress", p);
	return o;
}

static void notify_followers(Run *r, const char *event, struct json_object *extra, gboolean droppable)
{
	for (guint i = 0; i < r->followers->len; i++) {
		Follow *f = g_ptr_array_index(r->followers, i);
		struct json_object *m = run_json(r);

		json_object_object_add(m, "event", json_object_new_string(event));
		json_object_object_add(m, "id", json_object_get(f->id));
		if (extra) {
			json_object_object_foreach(extra, k, v)
				json_object_object_add(m, k, json_object_get(v));
		}
		r->hooks->send(f->owner, m, droppable, r->hooks_data);
		json_object_put(m);
	}
}

/* "finished" with the exit code to every follower, who then follow no more. */
static void notify_finished(Run *r)
{
	struct json_object *extra = json_object_new_object();

	json_object_object_add(extra, "exit_code", json_object_new_int(r->exit_code));
	notify_followers(r, "finished", extra, FALSE);
	json_object_put(extra);
	g_ptr_array_set_size(r->followers, 0);
}

void run_follow(Run *r, gconstpointer owner, struct json_object *id)
{
	Follow *f = g_new0(Follow, 1);

	f->owner = owner;
	f->id = json_object_get(id);
	g_ptr_array_add(r->followers, f);
	if (!run_active(r))
		notify_finished(r);
}

void run_drop_follower(Run *r, gconstpointer owner)
{
	for (guint j = r->followers->len; j-- > 0;)
		if (((Follow *)g_ptr_array_index(r->followers, j))->owner == owner)
			g_ptr_array_remove_index(r->followers, j);
}

guint64 run_proc_start_time(int pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
	g_autofree char *text = NULL;
	const char *p;
	guint64 start = 0;

	if (pid <= 0 || !g_file_get_contents(path, &text, NULL, NULL))
		return 0;
	/* "PID (COMM) S ..."; COMM may hold anything: read after its last ')' */
	p = strrchr(text, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %" G_GUINT64_FORMAT,
			 &start) != 1)
		return 0;
	return start;
}

/*
 * Once the backend has written its QEMU's pid, record it in state.json
 * with the process's start time: recovery then kills that process only,
 * never one that reused the pid.
 */
static void note_qemu(Run *r)
{
	g_autofree char *path = g_build_filename(r->dir, "qemu.pid", NULL);
	g_autofree char *text = NULL;
	long pid;

	if (!r->opts.backend || !r->opts.backend->recover || !g_file_get_contents(path, &text, NULL, NULL))
		return;
	pid = strtol(text, NULL, 10);
	if (pid <= 1 || pid > G_MAXINT)
		return;
	r->qemu_start = run_proc_start_time((int)pid);
	if (!r->qemu_start)
		return;
	r->qemu_pid = (int)pid;
	run_write_state(r);
}

char *run_make_id(const char *scenario_name, const char *stamp, guint64 seq)
{
	g_autofree char *stem = g_strndup(scenario_name, MIN(strcspn(scenario_name, "."), RUN_ID_MAX_STEM));

	g_strcanon(stem, G_CSET_A_2_Z G_CSET_a_2_z G_CSET_DIGITS "_-", '_');
	if (stem[0] == '-')
		stem[0] = '_';
	return g_strdup_printf("%s-%s-%" G_GUINT64_FORMAT, *stem ? stem : "run", stamp, seq);
}

/* The one place that reads the engine's progress state and phase. */
static void on_engine_progress(MhpEngine *e, const MhpProgress *p, gpointer user_data)
{
	Run *r = user_data;

	r->progress = *p;
	g_strlcpy(r->progress_state, mhp_engine_state_to_string(p->state), sizeof(r->progress_state));
	g_strlcpy(r->progress_phase, mhp_phase_to_string(p->phase), sizeof(r->progress_phase));
	if (!r->qemu_pid)
		note_qemu(r);
	notify_followers(r, "progress", NULL, TRUE);
}

static gboolean free_engine_idle(gpointer p)
{
	mhp_engine_free(p);
	return G_SOURCE_REMOVE;
}

static void on_engine_finished(MhpEngine *e, int code, const char *message, gpointer user_data)
{
	Run *r = user_data;

	r->exit_code = code;
	g_free(r->message);
	r->message = g_strdup(message);
	run_set_state(r, r->stop_requested ? MHP_RUN_STATE_STOPPED : code == 0 ? MHP_RUN_STATE_PASSED
										 : MHP_RUN_STATE_FAILED);
	notify_finished(r);
	/* the engine is still on the stack: free it from the loop */
	g_idle_add(free_engine_idle, r->e);
	r->e = NULL;
	r->hooks->ended(r, r->hooks_data);
}

void run_start_engine(Run *r)
{
	g_autoptr(GError) error = NULL;
	static const MhpEngineCallbacks cb = { .progress = on_engine_progress, .finished = on_engine_finished };

	r->e = mhp_engine_new(NULL, r->s, &r->opts, &cb, r);
	r->mono_start = g_get_monotonic_time();
	run_set_state(r, MHP_RUN_STATE_RUNNING);
	if (!mhp_engine_start(r->e, &error)) {
		g_free(r->message);
		r->message = g_strdup(error->message);
		mhp_engine_free(r->e);
		r->e = NULL;
		run_set_state(r, MHP_RUN_STATE_FAILED);
	}
}

gboolean run_stop(Run *r)
{
	if (!run_active(r))
		return FALSE;
	r->stop_requested = TRUE;
	if (r->e)
		mhp_engine_stop(r->e);
	else
		run_set_state(r, MHP_RUN_STATE_STOPPED); /* still queued */
	return TRUE;
}

void run_free(gpointer p)
{
	Run *r = p;

	mhp_engine_free(r->e);
	mhp_scenario_free(r->s);
	g_free(r->id);
	g_free(r->dir);
	g_free(r->scenario_name);
	g_free(r->message);
	mhp_run_options_clear(&r->opts);
	g_ptr_array_unref(r->followers);
	g_free(r);
}

Run *run_new(const char *id, const char *dir, const RunHooks *hooks, gpointer hooks_data)
{
	Run *r = g_new0(Run, 1);

	r->id = g_strdup(id);
	r->dir = g_strdup(dir);
	r->state = _MHP_RUN_STATE_INVALID;
	r->hooks = hooks;
	r->hooks_data = hooks_data;
	r->followers = g_ptr_array_new_with_free_func(follow_free);
	g_strlcpy(r->progress_state, "new", sizeof(r->progress_state));
	return r;
}
