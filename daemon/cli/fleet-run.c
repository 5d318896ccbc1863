// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fleet-run.c - mhpstress fleet: one scenario on several libvirt targets
 * at once, one engine each on one loop, and fleet-summary.json at the end.
 * The fleet file itself is fleet.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>
#include <json-c/json.h>

#include "cli.h"
#include "cycle.h"
#include "fleet.h"
#include "results.h"

typedef struct Fleet Fleet;

typedef struct {
	Fleet *fleet;
	const MhpFleetTarget *t;
	MhpEngine *engine;
	char *results;
	int exit_code;
	char *message;
	gboolean done;
} FleetRun;

struct Fleet {
	GMainLoop *loop;
	guint pending;
	guint signals;
	GPtrArray *runs; /* FleetRun */
};

/* A target's verdict as fleet-summary.json has it when its summary.json has none. */
static const char *exit_verdict(int code)
{
	return code == CLI_EXIT_PASS ? "pass" : code == CLI_EXIT_FAILURES ? "fail" : "error";
}

static void fleet_finished(MhpEngine *e, int code, const char *message, gpointer user_data)
{
	FleetRun *r = user_data;

	r->exit_code = code;
	r->message = g_strdup(message);
	r->done = TRUE;
	fprintf(stderr, "mhpstress fleet: %s: %s%s%s\n", r->t->name, cli_exit_word(code), message ? ": " : "",
		message ? message : "");
	if (--r->fleet->pending == 0)
		g_main_loop_quit(r->fleet->loop);
}

static gboolean fleet_signal(gpointer user_data)
{
	Fleet *f = user_data;

	if (++f->signals == 1) {
		fprintf(stderr, "\nmhpstress fleet: stopping every target (again to abort)\n");
		for (guint i = 0; i < f->runs->len; i++) {
			FleetRun *r = g_ptr_array_index(f->runs, i);
			if (r->engine && !r->done)
				mhp_engine_stop(r->engine);
		}
	} else {
		g_main_loop_quit(f->loop);
	}
	return G_SOURCE_CONTINUE;
}

static void fleet_run_free(gpointer p)
{
	FleetRun *r = p;

	g_clear_pointer(&r->engine, mhp_engine_free);
	g_clear_pointer(&r->results, g_free);
	g_clear_pointer(&r->message, g_free);
	g_free(r);
}

/* One target's entry in fleet-summary.json, from its summary.json; prints its table row. */
static struct json_object *target_summary(const FleetRun *r)
{
	g_autofree char *sp = g_build_filename(r->results, "summary.json", NULL);
	struct json_object *sum = json_object_from_file(sp), *t = json_object_new_object(), *v;
	const char *verdict = exit_verdict(r->exit_code);
	gint64 cycles = 0, failed = 0;

	if (sum && json_object_object_get_ex(sum, "verdict", &v))
		verdict = json_object_get_string(v);
	if (sum && json_object_object_get_ex(sum, "cycles", &v))
		cycles = json_object_get_int64(v);
	if (sum && json_object_object_get_ex(sum, "failed_cycles", &v))
		failed = json_object_get_int64(v);
	json_object_object_add(t, "name", json_object_new_string(r->t->name));
	json_object_object_add(t, "connect", json_object_new_string(r->t->connect));
	if (r->t->domain)
		json_object_object_add(t, "domain", json_object_new_string(r->t->domain));
	json_object_object_add(t, "results", json_object_new_string(r->results));
	json_object_object_add(t, "exit_code", json_object_new_int(r->exit_code));
	json_object_object_add(t, "verdict", json_object_new_string(verdict));
	json_object_object_add(t, "cycles", json_object_new_int64(cycles));
	json_object_object_add(t, "failed_cycles", json_object_new_int64(failed));
	if (sum && json_object_object_get_ex(sum, "failures", &v))
		json_object_object_add(t, "failures", json_object_get(v));
	if (r->message)
		json_object_object_add(t, "message", json_object_new_string(r->message));
	printf("%-16s %-8s %7" G_GINT64_FORMAT " %7" G_GINT64_FORMAT "  %s\n", r->t->name, verdict, cycles, failed,
	       r->results);
	json_object_put(sum);
	return t;
}

/* fleet-summary.json: each target's verdict and counts; returns the worst exit code. */
static int fleet_summary(const MhpFleet *fl, Fleet *f, const char *results)
{
	struct json_object *o = json_object_new_object(), *targets = json_object_new_array();
	g_autofree char *out = g_build_filename(results, "fleet-summary.json", NULL);
	int worst = CLI_EXIT_PASS;
	guint passed = 0;

	printf("%-16s %-8s %7s %7s  %s\n", "target", "verdict", "cycles", "failed", "results");
	for (guint i = 0; i < f->runs->len; i++) {
		FleetRun *r = g_ptr_array_index(f->runs, i);

		json_object_array_add(targets, target_summary(r));
		worst = cli_exit_worst(worst, r->exit_code);
		passed += r->exit_code == CLI_EXIT_PASS;
	}
	json_object_object_add(o, "fleet", json_object_new_string(fl->path));
	json_object_object_add(o, "scenario", json_object_new_string(fl->scenario));
	json_object_object_add(o, "verdict", json_object_new_string(exit_verdict(worst)));
	json_object_object_add(o, "targets_passed", json_object_new_int((int)passed));
	json_object_object_add(o, "targets", targets);
	/* json_object_to_file() would write through a symlink planted there */
	g_autofree char *text = g_strconcat(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY), "\n", NULL);
	g_autoptr(GError) error = NULL;

	if (!mhp_results_write_file(out, text, -1, &error)) {
		fprintf(stderr, "mhpstress fleet: %s\n", error->message);
		worst = cli_exit_worst(worst, CLI_EXIT_USAGE);
	}
	json_object_put(o);
	return worst;
}

/* results/fleet-NAME-DATE, NAME the fleet file's without its extension */
static char *default_results(const MhpFleet *fl)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree char *stamp = g_date_time_format(now, "%Y%m%d-%H%M%S");
	g_autofree char *base = g_path_get_basename(fl->path);
	char *dot = strrchr(base, '.');

	if (dot)
		*dot = '\0';
	return g_strdup_printf("results/fleet-%s-%s", base, stamp);
}

/* Start every target's engine with @opts, each with its own connect, domain and results. */
static void fleet_start(Fleet *f, const MhpFleet *fl, const MhpScenario *s, MhpRunOptions *opts, const char *results)
{
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < fl->targets->len; i++) {
		FleetRun *r = g_new0(FleetRun, 1);

		r->fleet = f;
		r->t = g_ptr_array_index(fl->targets, i);
		r->results = g_build_filename(results, r->t->name, NULL);
		r->exit_code = CLI_EXIT_USAGE;
		g_ptr_array_add(f->runs, r);
		opts->connect = r->t->connect;
		opts->domain = r->t->domain;
		opts->results_dir = r->results;
		r->engine = mhp_engine_new(NULL, s, opts, &(MhpEngineCallbacks){ .finished = fleet_finished }, r);
		if (!mhp_engine_start(r->engine, &error)) {
			r->message = g_strdup(error->message);
			r->done = TRUE;
			fprintf(stderr, "mhpstress fleet: %s: %s\n", r->t->name, error->message);
			g_clear_error(&error);
			continue;
		}
		f->pending++;
	}
}

int verb_fleet(int argc, char **argv, void *userdata)
{
	g_autofree char *results = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) oc = g_option_context_new("FLEET");
	GOptionEntry entries[] = {
		{ "results", 0, 0, G_OPTION_ARG_FILENAME, &results, "results directory (one subdirectory per target)", "DIR" },
		{ NULL },
	};
	g_autoptr(MhpFleet) fl = NULL;
	g_autoptr(MhpScenario) s = NULL;
	g_autofree char *kernel = NULL, *initrd = NULL;
	Fleet f = { 0 };
	MhpRunOptions opts = MHP_RUN_OPTIONS_INIT;
	int rc;

	g_option_context_add_main_entries(oc, entries, NULL);
	if (!cli_option_parse(oc, "fleet", &argc, &argv))
		return CLI_EXIT_USAGE;
	if (argc != 2) {
		fprintf(stderr, "mhpstress fleet: expected one FLEET file\n");
		return CLI_EXIT_USAGE;
	}
	fl = mhp_fleet_load(argv[1], &error);
	if (!fl) {
		fprintf(stderr, "mhpstress fleet: %s\n", error->message);
		return CLI_EXIT_USAGE;
	}
	s = mhp_scenario_load(fl->scenario, &error);
	if (!s) {
		fprintf(stderr, "mhpstress fleet: %s: [fleet] scenario: %s\n", fl->path, error->message);
		return CLI_EXIT_USAGE;
	}
	kernel = g_strdup(fl->kernel);
	initrd = g_strdup(fl->initrd);
	if (!cli_resolve_guest(&kernel, &initrd, s, &error)) {
		fprintf(stderr, "mhpstress fleet: cannot get a guest: %s\n", error->message);
		return cli_resolve_guest_exit(error);
	}
	/* fleet targets are libvirt URIs: without libvirt there is nothing to run them on */
	if (!(opts.backend = mhp_backend_class_find("libvirt"))) {
		fprintf(stderr, "mhpstress fleet: this mhpstress was built without libvirt (meson setup -Dlibvirt=enabled)\n");
		return CLI_EXIT_USAGE;
	}
	opts.cycles = fl->duration_ms > 0 && fl->cycles < 0 ? 0 : fl->cycles; /* 0: bounded by time */
	opts.duration_ms = fl->duration_ms;
	opts.seed = fl->seed;
	opts.have_seed = fl->have_seed;
	opts.kernel = kernel;
	opts.initrd = initrd;
	if (!results)
		results = default_results(fl);
	cli_make_absolute(&results);
	if (!mhp_results_dir_create(results, &error)) {
		fprintf(stderr, "mhpstress fleet: %s\n", error->message);
		return CLI_EXIT_USAGE;
	}
	f.loop = g_main_loop_new(NULL, FALSE);
	f.runs = g_ptr_array_new_with_free_func(fleet_run_free);
	fleet_start(&f, fl, s, &opts, results);
	if (f.pending) {
		guint sig1 = g_unix_signal_add(SIGINT, fleet_signal, &f);
		guint sig2 = g_unix_signal_add(SIGTERM, fleet_signal, &f);
		g_main_loop_run(f.loop);
		g_source_remove(sig1);
		g_source_remove(sig2);
	}
	rc = fleet_summary(fl, &f, results);
	fprintf(stderr, "mhpstress fleet: %s, summary in %s/fleet-summary.json\n",
		rc == CLI_EXIT_PASS ? "every target passed" : cli_exit_word(rc), results);
	g_ptr_array_free(f.runs, TRUE);
	g_main_loop_unref(f.loop);
	return rc;
}
