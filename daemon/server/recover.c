// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * recover.c - the runs earlier daemons left: read their state.json back,
 * and end the ones a dead daemon left unfinished as interrupted.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "backend.h"
#include "control-proto.h"
#include "recover.h"
#include "results-ci.h"
#include "results-report.h"
#include "results.h"

#define INTERRUPTED_MESSAGE "the daemon running this ended without finishing it"

/* A summary for a run whose daemon died, from the cycles it recorded. */
static void write_interrupted_summary(const char *dir)
{
	g_autofree char *spath = g_build_filename(dir, MHP_RESULTS_SUMMARY, NULL);
	g_autoptr(GError) error = NULL;
	MhpSummary s = {
		.verdict = MHP_VERDICT_INTERRUPTED,
		.message = INTERRUPTED_MESSAGE,
		.partial = TRUE,
	};

	if (g_file_test(spath, G_FILE_TEST_EXISTS))
		return;
	mhp_summary_from_cycles(dir, &s);
	if (!mhp_summary_write(dir, &s, &error) || !mhp_results_write_ci(dir, &error) ||
	    !mhp_results_write_report(dir, &error))
		g_warning("%s: %s", dir, error->message);
}

static gint cmp_started(gconstpointer a, gconstpointer b)
{
	const Run *x = *(Run *const *)a, *y = *(Run *const *)b;

	return x->started < y->started ? -1 : x->started > y->started ? 1 : g_strcmp0(x->id, y->id);
}

/* @key's value when it is a string, else NULL: state.json is only ever read, never trusted. */
static const char *str_member(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		? json_object_get_string(v) : NULL;
}

static gint64 int_member(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)
		? json_object_get_int64(v) : 0;
}

/* The process @pid_key names is alive and is the one recorded: same start time as @start_key. */
static gboolean recorded_alive(struct json_object *o, const char *pid_key, const char *start_key)
{
	gint64 pid = int_member(o, pid_key), start = int_member(o, start_key);

	return pid > 0 && pid <= G_MAXINT && start > 0 && run_proc_start_time((int)pid) == (guint64)start;
}

/*
 * What a dead run left running may be killed: its QEMU is the one recorded
 * (state.json's qemu_pid and qemu_start, once the run noted them) rather
 * than a process that reused the pid. Without a record the backend's own
 * check decides (backend-qemu.c: the command line).
 */
static gboolean may_stop_leftovers(const char *rdir, struct json_object *o)
{
	g_autofree char *pidfile = g_build_filename(rdir, "qemu.pid", NULL);
	g_autofree char *text = NULL;

	if (int_member(o, "qemu_start") <= 0 || !g_file_get_contents(pidfile, &text, NULL, NULL))
		return TRUE;
	if (strtol(text, NULL, 10) != int_member(o, "qemu_pid") || !recorded_alive(o, "qemu_pid", "qemu_start")) {
		g_message("%s: pid %ld is not the QEMU this run started, not killing it", rdir, strtol(text, NULL, 10));
		return FALSE;
	}
	return TRUE;
}

/* One run directory's state.json as a Run; NULL when there is none to read. */
static Run *recover_one(const char *root, const char *name, const RunHooks *hooks, gpointer hooks_data)
{
	g_autofree char *rdir = g_build_filename(root, name, NULL);
	g_autofree char *spath = g_build_filename(rdir, "state.json", NULL);
	g_autofree char *text = NULL;
	const char *scenario, *message, *backend;
	struct json_object *o;
	MhpRunState state;
	Run *r;

	if (!mhp_ctl_valid_run_id(name) || !g_file_get_contents(spath, &text, NULL, NULL))
		return NULL;
	o = json_tokener_parse(text);
	if (!o)
		return NULL;
	state = mhp_run_state_from_string(str_member(o, "state"));
	if ((state < 0 || mhp_run_state_is_active(state)) && int_member(o, "daemon_pid") != getpid() &&
	    recorded_alive(o, "daemon_pid", "daemon_start")) {
		/* not dead: another daemon runs it (one without the root's lock); not ours to end */
		g_warning("%s: its daemon (pid %" G_GINT64_FORMAT ") is alive, leaving the run alone", rdir,
			  int_member(o, "daemon_pid"));
		json_object_put(o);
		return NULL;
	}
	r = run_new(name, rdir, hooks, hooks_data);
	scenario = str_member(o, "scenario");
	r->scenario_name = g_strdup(scenario ? scenario : "?");
	r->started = int_member(o, "started");
	r->ended = int_member(o, "ended");
	message = str_member(o, "message");
	r->message = g_strdup(message);
	/* state.json before the registry has no backend: those were QEMU runs */
	backend = str_member(o, "backend");
	r->opts.backend = mhp_backend_class_find(backend ? backend : "qemu");
	if (state < 0 || mhp_run_state_is_active(state)) {
		/* unfinished, or we cannot tell: what it left running must go */
		if (r->opts.backend && r->opts.backend->recover && may_stop_leftovers(rdir, o))
			r->opts.backend->recover(rdir);
		write_interrupted_summary(rdir);
		g_free(r->message);
		r->message = g_strdup(INTERRUPTED_MESSAGE);
		run_set_state(r, MHP_RUN_STATE_INTERRUPTED);
	} else {
		r->state = state;
	}
	json_object_put(o);
	g_strlcpy(r->progress_state, mhp_run_state_to_string(r->state), sizeof(r->progress_state));
	return r;
}

void recover_runs(const char *root, GPtrArray *runs, const RunHooks *hooks, gpointer hooks_data, guint64 *ret_seq)
{
	g_autoptr(GDir) dir = g_dir_open(root, 0, NULL);
	const char *name;

	while (dir && (name = g_dir_read_name(dir))) {
		Run *r = recover_one(root, name, hooks, hooks_data);
		const char *dash = strrchr(name, '-');

		if (!r)
			continue;
		g_ptr_array_add(runs, r);
		/* ids count on from the highest seen */
		if (dash)
			*ret_seq = MAX(*ret_seq, g_ascii_strtoull(dash + 1, NULL, 10));
	}
	g_ptr_array_sort(runs, cmp_started);
}
