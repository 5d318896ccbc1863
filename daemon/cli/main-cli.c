// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main-cli.c - mhpstress: the command-line tool.
 *
 *   mhpstress run SCENARIO [options]   run a scenario in the foreground
 */
#include <errno.h>
#include <inttypes.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "accounting.h"
#include "agent-link.h"
#include "cycle.h"
#include "fleet.h"
#include "jsonstream.h"
#include "scenario.h"

#define EXIT_USAGE 2

typedef struct {
	GMainLoop *loop;
	int exit_code;
	gboolean tty;
	gint64 last_draw;
	guint signals;
	MhpEngine *engine;
} Cli;

static int usage(FILE *f)
{
	fprintf(f,
		"usage: mhpstress run SCENARIO [--kernel IMAGE] [--initrd FILE] [--results DIR]\n"
		"                 [--cycles N] [--duration T] [--seed S] [--gdb PORT]\n"
		"                 [--backend qemu|libvirt] [--connect URI] [--domain NAME]\n"
		"       mhpstress fleet FLEET [--results DIR]\n"
		"       mhpstress compare A [B] [--json]\n"
		"       mhpstress snapshot --agent SOCKET --out FILE\n"
		"       mhpstress [--socket PATH] start SCENARIO [--kernel IMAGE] [--initrd FILE]\n"
		"                 [--cycles N] [--duration T] [--seed S] [--json]\n"
		"                 [--backend qemu|libvirt] [--connect URI] [--domain NAME]\n"
		"       mhpstress [--socket PATH] list|status RUN|stop RUN|follow RUN|results RUN [--json]\n"
		"\n"
		"Runs SCENARIO's hotplug cycles on an arm64 guest under QEMU and writes\n"
		"run.json, cycles.jsonl, events.jsonl, console.log and summary.json to the\n"
		"results directory. Exit status: 0 every cycle passed, 1 failures found,\n"
		"2 usage or environment error.\n"
		"\n"
		"compare: A and B are snapshot files or results directories. One directory\n"
		"compares its baseline with its end; two compare their ends. Exit 0 when\n"
		"the page-table invariants hold, 1 when they do not. See mhpstress(1).\n");
	return f == stdout ? 0 : EXIT_USAGE;
}

/* Paths go to a daemon or into run.json: make them absolute. */
static void make_absolute(char **path)
{
	if (*path) {
		char *abs = g_canonicalize_filename(*path, NULL);
		g_free(*path);
		*path = abs;
	}
}

/* The project-built guest: tools/build-kernel and tools/build-guest, cached. */
static char *run_tool_last_line(const char *const *argv, GError **error)
{
	g_autofree char *out = NULL;
	gint status = 0;

	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN,
			  NULL, NULL, &out, NULL, &status, error))
		return NULL;
	if (!g_spawn_check_wait_status(status, error)) {
		g_prefix_error(error, "%s: ", argv[0]);
		return NULL;
	}
	g_strchomp(out);
	char *nl = strrchr(out, '\n');
	return g_strdup(nl ? nl + 1 : out);
}

static gboolean default_guest(char **kernel, char **initrd, GError **error)
{
	const char *top = g_getenv("MHPSTRESS_SOURCE_ROOT") ? g_getenv("MHPSTRESS_SOURCE_ROOT") : MHP_SOURCE_ROOT;
	g_autofree char *bk = g_build_filename(top, "tools", "build-kernel", NULL);
	g_autofree char *bg = g_build_filename(top, "tools", "build-guest", NULL);

	if (!*kernel) {
		const char *argv[] = { bk, NULL };
		fprintf(stderr, "mhpstress: no --kernel given; using the project kernel (tools/build-kernel)\n");
		*kernel = run_tool_last_line(argv, error);
		if (!*kernel)
			return FALSE;
	}
	if (!*initrd) {
		g_autofree char *kdir = g_path_get_dirname(*kernel);
		g_autofree char *info = g_build_filename(kdir, "build-info", NULL);
		const char *argv[] = { bg, "--kernel-build", kdir, NULL };

		if (!g_file_test(info, G_FILE_TEST_EXISTS)) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				    "--kernel '%s' is not from tools/build-kernel, so give --initrd too "
				    "(tools/build-guest --kernel-build DIR builds one)", *kernel);
			return FALSE;
		}
		fprintf(stderr, "mhpstress: no --initrd given; using the project guest (tools/build-guest)\n");
		*initrd = run_tool_last_line(argv, error);
		if (!*initrd)
			return FALSE;
	}
	return TRUE;
}

static void draw(Cli *c, const MhpProgress *p, gboolean force)
{
	gint64 now = g_get_monotonic_time();
	char count[64];

	if (!c->tty || (!force && now - c->last_draw < 200000))
		return;
	c->last_draw = now;
	if (p->cycles)
		g_snprintf(count, sizeof(count), "cycle %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT, p->cycle, p->cycles);
	else
		g_snprintf(count, sizeof(count), "%" G_GUINT64_FORMAT "s/%" G_GUINT64_FORMAT "s, %" G_GUINT64_FORMAT
			   " cycles", p->elapsed_ms / 1000, p->duration_ms / 1000, p->cycle);
	fprintf(stderr, "\r\033[K%s  %-8s %-14s failures %" G_GUINT64_FORMAT "  %.2f cycles/s", count, mhp_engine_state_to_string(p->state),
		mhp_phase_to_string(p->phase), p->failures, p->cycles_per_s);
	fflush(stderr);
}

static void on_progress(MhpEngine *e, const MhpProgress *p, gpointer user_data)
{
	draw(user_data, p, FALSE);
}

static void on_finished(MhpEngine *e, int code, const char *message, gpointer user_data)
{
	Cli *c = user_data;

	if (c->tty)
		fprintf(stderr, "\r\033[K");
	if (message)
		fprintf(stderr, "mhpstress: %s\n", message);
	c->exit_code = code;
	g_main_loop_quit(c->loop);
}

static void on_evidence(MhpEngine *e, const char *dir, gpointer user_data)
{
	Cli *c = user_data;
	g_autofree char *info = g_build_filename(dir, "info.json", NULL);
	struct json_object *o = json_object_from_file(info), *v, *cmds;

	if (c->tty)
		fprintf(stderr, "\r\033[K");
	fprintf(stderr, "mhpstress: first failure: evidence in %s\n", dir);
	if (o && json_object_object_get_ex(o, "class", &v))
		fprintf(stderr, "mhpstress:   class %s\n", json_object_get_string(v));
	if (o && json_object_object_get_ex(o, "commands", &cmds)) {
		json_object_object_foreach(cmds, k, cmd)
			fprintf(stderr, "mhpstress:   %s: %s\n", k, json_object_get_string(cmd));
	}
	json_object_put(o);
}

static gboolean on_signal(gpointer user_data)
{
	Cli *c = user_data;

	if (++c->signals == 1) {
		fprintf(stderr, "\nmhpstress: stopping: removing DIMMs and shutting the guest down (again to abort)\n");
		mhp_engine_stop(c->engine);
	} else {
		fprintf(stderr, "mhpstress: aborting\n");
		c->exit_code = 1;
		g_main_loop_quit(c->loop);
	}
	return G_SOURCE_CONTINUE;
}

/* qemu+tcp://host/system names a host; qemu:///system does not. */
/* --backend, --connect and --domain, shared by run and start */
typedef struct {
	char *backend;
	char *connect;
	char *domain;
} BackendArgs;

static void backend_args_clear(BackendArgs *a)
{
	g_free(a->backend);
	g_free(a->connect);
	g_free(a->domain);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(BackendArgs, backend_args_clear)

static void add_backend_entries(GOptionContext *oc, BackendArgs *a)
{
	/* copied by GLib: the array may go */
	GOptionEntry entries[] = {
		{ "backend", 0, 0, G_OPTION_ARG_STRING, &a->backend, "qemu (default: mhpstress runs QEMU) or libvirt", "NAME" },
		{ "connect", 'c', 0, G_OPTION_ARG_STRING, &a->connect, "libvirt URI (default qemu:///system)", "URI" },
		{ "domain", 0, 0, G_OPTION_ARG_STRING, &a->domain, "libvirt domain to boot (default: a transient one)", "NAME" },
		{ NULL },
	};

	g_option_context_add_main_entries(oc, entries, NULL);
}

/* Validate through the registry; --backend libvirt without --connect means qemu:///system. */
static const MhpBackendClass *check_backend(BackendArgs *a, const char *gdb)
{
	g_autoptr(GError) error = NULL;
	const MhpBackendClass *cls = mhp_backend_options_check(a->backend, &a->connect, &a->domain, &error);

	if (!cls) {
		fprintf(stderr, "mhpstress: %s\n", error->message);
		return NULL;
	}
	if (gdb && mhp_backend_uri_is_remote(a->connect))
		fprintf(stderr, "mhpstress: --gdb opens the stub on the libvirt host, not here\n");
	return cls;
}

static int cmd_run(int argc, char **argv)
{
	g_autofree char *kernel = NULL, *initrd = NULL, *results = NULL, *duration = NULL, *seed = NULL, *gdb = NULL;
	g_autofree char *replay = NULL, *replay_text = NULL, *replay_name = NULL;
	g_auto(BackendArgs) ba = { 0 };
	gint64 cycles = -1;
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) oc = g_option_context_new("SCENARIO");
	GOptionEntry entries[] = {
		{ "kernel", 0, 0, G_OPTION_ARG_FILENAME, &kernel, "guest kernel Image", "IMAGE" },
		{ "initrd", 0, 0, G_OPTION_ARG_FILENAME, &initrd, "guest initramfs", "FILE" },
		{ "results", 0, 0, G_OPTION_ARG_FILENAME, &results, "results directory", "DIR" },
		{ "cycles", 0, 0, G_OPTION_ARG_INT64, &cycles, "number of cycles", "N" },
		{ "duration", 0, 0, G_OPTION_ARG_STRING, &duration, "run for this long (30s, 10m, 8h)", "T" },
		{ "seed", 0, 0, G_OPTION_ARG_STRING, &seed, "random seed", "S" },
		{ "gdb", 0, 0, G_OPTION_ARG_STRING, &gdb, "open QEMU's gdbstub on this TCP port", "PORT" },
		{ "replay", 0, 0, G_OPTION_ARG_FILENAME, &replay, "repeat a recorded run: its scenario, seed, guest and bounds", "RESULTS_DIR" },
		{ NULL },
	};
	MhpRunOptions opts = MHP_RUN_OPTIONS_INIT;
	g_autoptr(MhpScenario) s = NULL;
	g_autoptr(MhpEngine) e = NULL;
	g_autofree char *gdb_arg = NULL;
	Cli c = { .exit_code = 2 };

	g_option_context_add_main_entries(oc, entries, NULL);
	add_backend_entries(oc, &ba);
	if (!g_option_context_parse(oc, &argc, &argv, &error)) {
		fprintf(stderr, "mhpstress run: %s\n", error->message);
		return EXIT_USAGE;
	}
	if (replay) {
		/* everything that decides the run comes from run.json; options given still win */
		g_autofree char *path = g_build_filename(replay, "run.json", NULL);
		struct json_object *run = json_object_from_file(path), *sc, *v;

		if (!run || !json_object_object_get_ex(run, "scenario", &sc) || !json_object_object_get_ex(sc, "text", &v)) {
			fprintf(stderr, "mhpstress run: --replay '%s': no readable run.json with a scenario\n", replay);
			json_object_put(run);
			return EXIT_USAGE;
		}
		replay_text = g_strdup(json_object_get_string(v));
		replay_name = g_strdup(json_object_object_get_ex(sc, "path", &v) ? json_object_get_string(v) : path);
		if (!seed && json_object_object_get_ex(run, "seed", &v))
			seed = g_strdup_printf("%" G_GUINT64_FORMAT, (guint64)json_object_get_uint64(v));
		if (!kernel && json_object_object_get_ex(run, "kernel_image", &v))
			kernel = g_strdup(json_object_get_string(v));
		if (!initrd && json_object_object_get_ex(run, "initrd", &v))
			initrd = g_strdup(json_object_get_string(v));
		if (cycles < 0 && !duration && json_object_object_get_ex(run, "cycles", &v) && json_object_get_int64(v) > 0)
			cycles = json_object_get_int64(v);
		if (!duration && json_object_object_get_ex(run, "duration_ms", &v) && json_object_get_int64(v) > 0)
			duration = g_strdup_printf("%" PRId64 "ms", json_object_get_int64(v));
		json_object_put(run);
		if (argc != 1) {
			fprintf(stderr, "mhpstress run: --replay takes no SCENARIO\n");
			return EXIT_USAGE;
		}
	} else if (argc != 2) {
		fprintf(stderr, "mhpstress run: expected one SCENARIO file\n");
		return usage(stderr);
	}
	if (cycles < -1 || cycles == 0) {
		fprintf(stderr, "mhpstress run: --cycles must be at least 1\n");
		return EXIT_USAGE;
	}
	if (!(opts.backend = check_backend(&ba, gdb)))
		return EXIT_USAGE;
	opts.connect = ba.connect;
	opts.domain = ba.domain;
	opts.cycles = cycles;
	if (duration) {
		guint64 ms;
		if (!mhp_parse_duration(duration, &ms) || !ms) {
			fprintf(stderr, "mhpstress run: --duration '%s': expected a duration like 90s, 10m or 8h\n", duration);
			return EXIT_USAGE;
		}
		opts.duration_ms = (gint64)ms;
		if (cycles < 0)
			opts.cycles = 0; /* bounded by time */
	}
	if (seed) {
		char *end;
		errno = 0;
		opts.seed = g_ascii_strtoull(seed, &end, 0);
		if (!*seed || *end || errno) {
			fprintf(stderr, "mhpstress run: --seed '%s': expected a whole number\n", seed);
			return EXIT_USAGE;
		}
		opts.have_seed = TRUE;
	}
	if (gdb) {
		char *end;
		long port = strtol(gdb, &end, 10);
		if (*end || port < 1 || port > 65535) {
			fprintf(stderr, "mhpstress run: --gdb '%s': expected a TCP port\n", gdb);
			return EXIT_USAGE;
		}
		gdb_arg = g_strdup_printf("tcp:127.0.0.1:%ld", port);
		opts.gdb = gdb_arg;
	}
	s = replay ? mhp_scenario_load_data(replay_name, replay_text, &error) : mhp_scenario_load(argv[1], &error);
	if (!s) {
		fprintf(stderr, "mhpstress: %s\n", error->message);
		return EXIT_USAGE;
	}
	make_absolute(&kernel);
	make_absolute(&initrd);
	if (!kernel && s->guest.kernel)
		kernel = g_strdup(s->guest.kernel);
	if (!initrd && s->guest.initrd)
		initrd = g_strdup(s->guest.initrd);
	if (!default_guest(&kernel, &initrd, &error)) {
		fprintf(stderr, "mhpstress: cannot get a guest: %s\n", error->message);
		return EXIT_USAGE;
	}
	for (const char *const *f = (const char *const[]){ kernel, initrd, s->guest.firmware, NULL }; *f; f++) {
		/* libvirt picks its own firmware; a remote host has its own files */
		if (ba.connect && (*f == s->guest.firmware || mhp_backend_uri_is_remote(ba.connect)))
			continue;
		if (!g_file_test(*f, G_FILE_TEST_IS_REGULAR)) {
			fprintf(stderr, "mhpstress: '%s' does not exist%s\n", *f,
				strstr(*f, "QEMU_EFI") ? "; apt-get install qemu-efi-aarch64" : "");
			return EXIT_USAGE;
		}
	}
	if (!results) {
		g_autoptr(GDateTime) now = g_date_time_new_now_local();
		g_autofree char *stamp = g_date_time_format(now, "%Y%m%d-%H%M%S");
		results = g_strdup_printf("results/%s-%s%s", s->name, replay ? "replay-" : "", stamp);
	}
	opts.kernel = kernel;
	opts.initrd = initrd;
	opts.results_dir = results;

	c.loop = g_main_loop_new(NULL, FALSE);
	c.tty = isatty(STDERR_FILENO);
	e = mhp_engine_new(NULL, s, &opts,
			   &(MhpEngineCallbacks){ .progress = on_progress, .finished = on_finished, .evidence = on_evidence },
			   &c);
	c.engine = e;
	if (!mhp_engine_start(e, &error)) {
		fprintf(stderr, "mhpstress: %s\n", error->message);
		g_main_loop_unref(c.loop);
		return EXIT_USAGE;
	}
	guint sig1 = g_unix_signal_add(SIGINT, on_signal, &c);
	guint sig2 = g_unix_signal_add(SIGTERM, on_signal, &c);
	g_main_loop_run(c.loop);
	g_source_remove(sig1);
	g_source_remove(sig2);
	g_main_loop_unref(c.loop);
	printf("%s\n", results);
	fprintf(stderr, "mhpstress: %s (seed %" G_GUINT64_FORMAT "), results in %s\n",
		c.exit_code == 0 ? "pass" : c.exit_code == 1 ? "FAILURES FOUND" : "error", mhp_engine_seed(e), results);
	return c.exit_code;
}

/* ---- fleet: one scenario on several libvirt targets at once ---- */

typedef struct {
	Cli *cli;
	const MhpFleetTarget *t;
	MhpEngine *engine;
	char *results;
	int exit_code;
	char *message;
	gboolean done;
} FleetRun;

typedef struct {
	GMainLoop *loop;
	guint pending;
	guint signals;
	GPtrArray *runs; /* FleetRun */
} Fleet;

static Fleet *the_fleet;

static void fleet_finished(MhpEngine *e, int code, const char *message, gpointer user_data)
{
	FleetRun *r = user_data;

	r->exit_code = code;
	r->message = g_strdup(message);
	r->done = TRUE;
	fprintf(stderr, "mhpstress fleet: %s: %s%s%s\n", r->t->name,
		code == 0 ? "pass" : code == 1 ? "FAILURES FOUND" : "error", message ? ": " : "", message ? message : "");
	if (--the_fleet->pending == 0)
		g_main_loop_quit(the_fleet->loop);
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

	mhp_engine_free(r->engine);
	g_free(r->results);
	g_free(r->message);
	g_free(r);
}

/* fleet-summary.json: each target's verdict and counts, from its summary.json */
static int fleet_summary(const MhpFleet *fl, Fleet *f, const char *results)
{
	struct json_object *o = json_object_new_object(), *targets = json_object_new_array();
	g_autofree char *out = g_build_filename(results, "fleet-summary.json", NULL);
	int worst = 0;
	guint passed = 0;

	printf("%-16s %-8s %7s %7s  %s\n", "target", "verdict", "cycles", "failed", "results");
	for (guint i = 0; i < f->runs->len; i++) {
		FleetRun *r = g_ptr_array_index(f->runs, i);
		g_autofree char *sp = g_build_filename(r->results, "summary.json", NULL);
		struct json_object *sum = json_object_from_file(sp), *t = json_object_new_object(), *v;
		const char *verdict = r->exit_code == 0 ? "pass" : r->exit_code == 1 ? "fail" : "error";
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
		json_object_array_add(targets, t);
		printf("%-16s %-8s %7" G_GINT64_FORMAT " %7" G_GINT64_FORMAT "  %s\n", r->t->name, verdict, cycles, failed,
		       r->results);
		worst = MAX(worst, r->exit_code);
		passed += r->exit_code == 0;
		json_object_put(sum);
	}
	json_object_object_add(o, "fleet", json_object_new_string(fl->path));
	json_object_object_add(o, "scenario", json_object_new_string(fl->scenario));
	json_object_object_add(o, "verdict", json_object_new_string(worst == 0 ? "pass" : worst == 1 ? "fail" : "error"));
	json_object_object_add(o, "targets_passed", json_object_new_int((int)passed));
	json_object_object_add(o, "targets", targets);
	if (json_object_to_file_ext(out, o, JSON_C_TO_STRING_PRETTY) < 0) {
		fprintf(stderr, "mhpstress fleet: cannot write '%s': %s\n", out, g_strerror(errno));
		worst = MAX(worst, 2);
	}
	json_object_put(o);
	return worst;
}

static int cmd_fleet(int argc, char **argv)
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
	if (!g_option_context_parse(oc, &argc, &argv, &error)) {
		fprintf(stderr, "mhpstress fleet: %s\n", error->message);
		return EXIT_USAGE;
	}
	if (argc != 2) {
		fprintf(stderr, "mhpstress fleet: expected one FLEET file\n");
		return EXIT_USAGE;
	}
	fl = mhp_fleet_load(argv[1], &error);
	if (!fl) {
		fprintf(stderr, "mhpstress fleet: %s\n", error->message);
		return EXIT_USAGE;
	}
	s = mhp_scenario_load(fl->scenario, &error);
	if (!s) {
		fprintf(stderr, "mhpstress fleet: %s: [fleet] scenario: %s\n", fl->path, error->message);
		return EXIT_USAGE;
	}
	kernel = g_strdup(fl->kernel ? fl->kernel : s->guest.kernel);
	initrd = g_strdup(fl->initrd ? fl->initrd : s->guest.initrd);
	if (!default_guest(&kernel, &initrd, &error)) {
		fprintf(stderr, "mhpstress fleet: cannot get a guest: %s\n", error->message);
		return EXIT_USAGE;
	}
	opts.backend = mhp_backend_class_find("libvirt");
	opts.cycles = fl->duration_ms > 0 && fl->cycles < 0 ? 0 : fl->cycles; /* 0: bounded by time */
	opts.duration_ms = fl->duration_ms;
	opts.seed = fl->seed;
	opts.have_seed = fl->have_seed;
	opts.kernel = kernel;
	opts.initrd = initrd;
	if (!results) {
		g_autoptr(GDateTime) now = g_date_time_new_now_local();
		g_autofree char *stamp = g_date_time_format(now, "%Y%m%d-%H%M%S");
		g_autofree char *base = g_path_get_basename(fl->path);
		char *dot = strrchr(base, '.');
		if (dot)
			*dot = '\0';
		results = g_strdup_printf("results/fleet-%s-%s", base, stamp);
	}
	make_absolute(&results);
	if (g_mkdir_with_parents(results, 0755) < 0) {
		fprintf(stderr, "mhpstress fleet: cannot create '%s': %s\n", results, g_strerror(errno));
		return EXIT_USAGE;
	}
	f.loop = g_main_loop_new(NULL, FALSE);
	f.runs = g_ptr_array_new_with_free_func(fleet_run_free);
	the_fleet = &f;
	for (guint i = 0; i < fl->targets->len; i++) {
		FleetRun *r = g_new0(FleetRun, 1);

		r->t = g_ptr_array_index(fl->targets, i);
		r->results = g_build_filename(results, r->t->name, NULL);
		r->exit_code = 2;
		g_ptr_array_add(f.runs, r);
		opts.connect = r->t->connect;
		opts.domain = r->t->domain;
		opts.results_dir = r->results;
		r->engine = mhp_engine_new(NULL, s, &opts, &(MhpEngineCallbacks){ .finished = fleet_finished }, r);
		if (!mhp_engine_start(r->engine, &error)) {
			r->message = g_strdup(error->message);
			r->done = TRUE;
			fprintf(stderr, "mhpstress fleet: %s: %s\n", r->t->name, error->message);
			g_clear_error(&error);
			continue;
		}
		f.pending++;
	}
	if (f.pending) {
		guint sig1 = g_unix_signal_add(SIGINT, fleet_signal, &f);
		guint sig2 = g_unix_signal_add(SIGTERM, fleet_signal, &f);
		g_main_loop_run(f.loop);
		g_source_remove(sig1);
		g_source_remove(sig2);
	}
	rc = fleet_summary(fl, &f, results);
	fprintf(stderr, "mhpstress fleet: %s, summary in %s/fleet-summary.json\n",
		rc == 0 ? "every target passed" : rc == 1 ? "FAILURES FOUND" : "error", results);
	g_ptr_array_free(f.runs, TRUE);
	g_main_loop_unref(f.loop);
	the_fleet = NULL;
	return rc;
}

#define SNAPSHOT_MAX_BYTES (256u << 20)

static struct json_object *load_snapshot(const char *path, GError **error)
{
	g_autofree char *text = NULL;
	gsize len;
	struct json_tokener *tok;
	struct json_object *o;

	if (!g_file_get_contents(path, &text, &len, error))
		return NULL;
	if (len > SNAPSHOT_MAX_BYTES) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "'%s' is larger than 256 MiB", path);
		return NULL;
	}
	tok = json_tokener_new_ex(32);
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "meminfo", NULL)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "'%s' is not an mhpstress snapshot: %s", path,
			    o ? "no meminfo" : json_tokener_error_desc(json_tokener_get_error(tok)));
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static char *snapshot_path(const char *arg, const char *which)
{
	if (g_file_test(arg, G_FILE_TEST_IS_DIR))
		return g_build_filename(arg, "snapshots", which, NULL);
	return g_strdup(arg);
}

static int cmd_compare(int argc, char **argv)
{
	gboolean json = FALSE;
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) oc = g_option_context_new("A [B]");
	GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "print the differences as JSON", NULL },
		{ NULL },
	};
	g_autofree char *pa = NULL, *pb = NULL;
	struct json_object *a, *b, *report = NULL;
	gboolean hold;

	g_option_context_add_main_entries(oc, entries, NULL);
	if (!g_option_context_parse(oc, &argc, &argv, &error)) {
		fprintf(stderr, "mhpstress compare: %s\n", error->message);
		return EXIT_USAGE;
	}
	if (argc == 2 && g_file_test(argv[1], G_FILE_TEST_IS_DIR)) {
		pa = snapshot_path(argv[1], "baseline.json");
		pb = snapshot_path(argv[1], "end.json");
	} else if (argc == 3) {
		pa = snapshot_path(argv[1], "end.json");
		pb = snapshot_path(argv[2], "end.json");
	} else {
		fprintf(stderr, "mhpstress compare: expected A B (snapshots or results directories), or one results directory\n");
		return EXIT_USAGE;
	}
	a = load_snapshot(pa, &error);
	b = a ? load_snapshot(pb, &error) : NULL;
	if (!a || !b) {
		fprintf(stderr, "mhpstress compare: %s\n", error->message);
		json_object_put(a);
		return EXIT_USAGE;
	}
	hold = mhp_compare(a, b, &report);
	if (json) {
		json_object_object_add(report, "a", json_object_new_string(pa));
		json_object_object_add(report, "b", json_object_new_string(pb));
		printf("%s\n", json_object_to_json_string_ext(report, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		g_autofree char *text = mhp_compare_format(report, pa, pb);
		fputs(text, stdout);
	}
	json_object_put(report);
	json_object_put(a);
	json_object_put(b);
	return hold ? 0 : 1;
}

typedef struct {
	GMainLoop *loop;
	struct json_object *snap;
	char *error;
} SnapCall;

static void on_snapshot(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	SnapCall *c = user_data;

	if (error)
		c->error = g_strdup(error->message);
	else
		c->snap = json_object_get(ok);
	g_main_loop_quit(c->loop);
}

static int cmd_snapshot(int argc, char **argv)
{
	g_autofree char *socket = NULL, *out = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) oc = g_option_context_new("");
	GOptionEntry entries[] = {
		{ "agent", 0, 0, G_OPTION_ARG_FILENAME, &socket, "the agent's socket (QEMU's chardev for the port)", "SOCKET" },
		{ "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "where to write the snapshot", "FILE" },
		{ NULL },
	};
	static const MhpAgentLinkCallbacks cb = { 0 };
	g_autoptr(MhpAgentLink) link = NULL;
	SnapCall c = { 0 };
	struct json_object *args;

	g_option_context_add_main_entries(oc, entries, NULL);
	if (!g_option_context_parse(oc, &argc, &argv, &error)) {
		fprintf(stderr, "mhpstress snapshot: %s\n", error->message);
		return EXIT_USAGE;
	}
	if (!socket || !out || argc != 1) {
		fprintf(stderr, "mhpstress snapshot: --agent SOCKET and --out FILE are required\n");
		return EXIT_USAGE;
	}
	link = mhp_agent_link_new(NULL, &cb, NULL);
	if (!mhp_agent_link_connect(link, socket, 0, &error)) {
		fprintf(stderr, "mhpstress snapshot: %s\n", error->message);
		return EXIT_USAGE;
	}
	c.loop = g_main_loop_new(NULL, FALSE);
	args = json_object_new_object();
	json_object_object_add(args, "ptdump", json_object_new_string("raw"));
	json_object_object_add(args, "timeout_ms", json_object_new_int(60000));
	mhp_agent_link_call(link, "snapshot", args, 65000, on_snapshot, &c);
	g_main_loop_run(c.loop);
	g_main_loop_unref(c.loop);
	if (!c.snap) {
		fprintf(stderr, "mhpstress snapshot: %s\n", c.error);
		g_free(c.error);
		return 2;
	}
	const char *text = json_object_to_json_string_ext(c.snap, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!g_file_set_contents(out, text, -1, &error)) {
		fprintf(stderr, "mhpstress snapshot: %s\n", error->message);
		json_object_put(c.snap);
		return 2;
	}
	json_object_put(c.snap);
	printf("%s\n", out);
	return 0;
}

/* ---- the daemon's client ---- */

typedef struct {
	int fd;
	struct json_stream js;
	GQueue msgs; /* parsed, not yet consumed */
	guint64 next_id;
} Ctl;

static int ctl_collect(struct json_object *obj, void *userdata)
{
	g_queue_push_tail(&((Ctl *)userdata)->msgs, obj);
	return 0;
}

static char *ctl_default_socket(void)
{
	if (geteuid() == 0)
		return g_strdup("/run/mhpstress/control");
	return g_build_filename(g_get_user_runtime_dir(), "mhpstress", "control", NULL);
}

static gboolean ctl_connect(Ctl *c, const char *path, GError **error)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG, "socket path '%s' is too long", path);
		return FALSE;
	}
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot reach mhpstressd at '%s': %s%s", path,
			    g_strerror(errno), errno == ENOENT || errno == ECONNREFUSED ? " (is mhpstressd running?)" : "");
		return FALSE;
	}
	json_stream_init(&c->js, 64u << 20, 32);
	g_queue_init(&c->msgs);
	return TRUE;
}

/* The next message from the daemon; blocks (the CLI has nothing else to do). */
static struct json_object *ctl_next(Ctl *c, GError **error)
{
	char buf[65536];

	while (g_queue_is_empty(&c->msgs)) {
		ssize_t n = read(c->fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "mhpstressd closed the connection");
			return NULL;
		}
		if (json_stream_feed(&c->js, buf, (size_t)n, ctl_collect, c) < 0) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "bad message from mhpstressd: %s", c->js.error);
			return NULL;
		}
	}
	return g_queue_pop_head(&c->msgs);
}

/* Send a request; return its "ok" object (owned), or NULL with the daemon's error. */
static struct json_object *ctl_call(Ctl *c, const char *cmd, struct json_object *args, GError **error)
{
	struct json_object *req = json_object_new_object(), *m, *v, *ok;
	gint64 id = (gint64)++c->next_id;
	const char *text;

	json_object_object_add(req, "id", json_object_new_int64(id));
	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	if (args)
		json_object_object_add(req, "args", args);
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	g_autofree char *line = g_strconcat(text, "\n", NULL);
	json_object_put(req);
	/* no SIGPIPE: a daemon that refused us has said why; read it below */
	if (send(c->fd, line, strlen(line), MSG_NOSIGNAL) < 0 && errno != EPIPE && errno != ECONNRESET) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "write to mhpstressd: %s", g_strerror(errno));
		return NULL;
	}
	for (;;) {
		if (!(m = ctl_next(c, error)))
			return NULL;
		if (json_object_object_get_ex(m, "error", &v)) {
			struct json_object *msg;
			json_object_object_get_ex(v, "msg", &msg);
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", msg ? json_object_get_string(msg) : "error");
			json_object_put(m);
			return NULL;
		}
		if (json_object_object_get_ex(m, "id", &v) && json_object_get_int64(v) == id &&
		    json_object_object_get_ex(m, "ok", &ok)) {
			ok = json_object_get(ok);
			json_object_put(m);
			return ok;
		}
		json_object_put(m);
	}
}

static void print_run_line(struct json_object *r)
{
	struct json_object *v, *p;
	const char *f[4] = { "", "", "", "" };
	static const char *const keys[] = { "run", "state", "scenario", "results" };
	gint64 cyc = 0, fail = 0;

	for (int i = 0; i < 4; i++)
		if (json_object_object_get_ex(r, keys[i], &v))
			f[i] = json_object_get_string(v);
	if (json_object_object_get_ex(r, "progress", &p)) {
		if (json_object_object_get_ex(p, "cycle", &v))
			cyc = json_object_get_int64(v);
		if (json_object_object_get_ex(p, "failures", &v))
			fail = json_object_get_int64(v);
	}
	printf("%-40s %-11s %-16s %7" G_GINT64_FORMAT " %8" G_GINT64_FORMAT "  %s\n", f[0], f[1], f[2], cyc, fail, f[3]);
}

static int cmd_ctl(const char *socket_path, int argc, char **argv)
{
	const char *cmd = argv[0];
	gboolean json = FALSE;
	g_autofree char *kernel = NULL, *initrd = NULL, *duration = NULL, *seed = NULL;
	g_auto(BackendArgs) ba = { 0 };
	gint64 cycles = -1;
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) oc = g_option_context_new(NULL);
	GOptionEntry common[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "machine-readable output", NULL },
		{ NULL },
	};
	GOptionEntry start[] = {
		{ "kernel", 0, 0, G_OPTION_ARG_FILENAME, &kernel, "guest kernel Image", "IMAGE" },
		{ "initrd", 0, 0, G_OPTION_ARG_FILENAME, &initrd, "guest initramfs", "FILE" },
		{ "cycles", 0, 0, G_OPTION_ARG_INT64, &cycles, "number of cycles", "N" },
		{ "duration", 0, 0, G_OPTION_ARG_STRING, &duration, "run for this long", "T" },
		{ "seed", 0, 0, G_OPTION_ARG_STRING, &seed, "random seed", "S" },
		{ NULL },
	};
	g_autofree char *path = socket_path ? g_strdup(socket_path) : ctl_default_socket();
	struct json_object *args = NULL, *ok;
	Ctl c = { .fd = -1 };

	g_option_context_add_main_entries(oc, common, NULL);
	if (strcmp(cmd, "start") == 0) {
		g_option_context_add_main_entries(oc, start, NULL);
		add_backend_entries(oc, &ba);
	}
	if (!g_option_context_parse(oc, &argc, &argv, &error)) {
		fprintf(stderr, "mhpstress %s: %s\n", cmd, error->message);
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "list") == 0) {
		if (argc != 1)
			return usage(stderr);
	} else if (strcmp(cmd, "start") == 0) {
		g_autofree char *text = NULL, *base = NULL;
		g_autoptr(MhpScenario) s = NULL;

		if (argc != 2)
			return usage(stderr);
		if (!check_backend(&ba, NULL))
			return EXIT_USAGE;
		/* check here too: errors name the file as the user wrote it */
		s = mhp_scenario_load(argv[1], &error);
		if (!s) {
			fprintf(stderr, "mhpstress: %s\n", error->message);
			return EXIT_USAGE;
		}
		if (!g_file_get_contents(argv[1], &text, NULL, &error)) {
			fprintf(stderr, "mhpstress: %s\n", error->message);
			return EXIT_USAGE;
		}
		make_absolute(&kernel);
		make_absolute(&initrd);
		if (!default_guest(&kernel, &initrd, &error)) {
			fprintf(stderr, "mhpstress: cannot get a guest: %s\n", error->message);
			return EXIT_USAGE;
		}
		base = g_path_get_basename(argv[1]);
		args = json_object_new_object();
		json_object_object_add(args, "scenario", json_object_new_string(text));
		json_object_object_add(args, "scenario_name", json_object_new_string(base));
		json_object_object_add(args, "kernel", json_object_new_string(kernel));
		json_object_object_add(args, "initrd", json_object_new_string(initrd));
		if (ba.connect)
			json_object_object_add(args, "connect", json_object_new_string(ba.connect));
		if (ba.domain)
			json_object_object_add(args, "domain", json_object_new_string(ba.domain));
		if (cycles >= 0)
			json_object_object_add(args, "cycles", json_object_new_int64(cycles));
		if (duration) {
			guint64 ms;
			if (!mhp_parse_duration(duration, &ms) || !ms) {
				fprintf(stderr, "mhpstress start: --duration '%s': expected a duration like 90s, 10m or 8h\n", duration);
				json_object_put(args);
				return EXIT_USAGE;
			}
			json_object_object_add(args, "duration_ms", json_object_new_int64((gint64)ms));
		}
		if (seed) {
			char *end;
			guint64 v = g_ascii_strtoull(seed, &end, 0);
			if (!*seed || *end || v > G_MAXINT64) {
				fprintf(stderr, "mhpstress start: --seed '%s': expected a whole number\n", seed);
				json_object_put(args);
				return EXIT_USAGE;
			}
			json_object_object_add(args, "seed", json_object_new_int64((gint64)v));
		}
	} else {
		if (argc != 2)
			return usage(stderr);
		args = json_object_new_object();
		json_object_object_add(args, "run", json_object_new_string(argv[1]));
	}
	if (!ctl_connect(&c, path, &error)) {
		fprintf(stderr, "mhpstress: %s\n", error->message);
		json_object_put(args);
		return EXIT_USAGE;
	}
	ok = ctl_call(&c, cmd, args, &error);
	if (!ok) {
		fprintf(stderr, "mhpstress %s: %s\n", cmd, error->message);
		close(c.fd);
		return strcmp(cmd, "status") == 0 || strcmp(cmd, "stop") == 0 ? 1 : EXIT_USAGE;
	}
	int rc = 0;
	if (json && strcmp(cmd, "follow") != 0) {
		printf("%s\n", json_object_to_json_string_ext(ok, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else if (strcmp(cmd, "list") == 0) {
		struct json_object *runs;
		printf("%-40s %-11s %-16s %7s %8s  %s\n", "RUN", "STATE", "SCENARIO", "CYCLES", "FAILURES", "RESULTS");
		if (json_object_object_get_ex(ok, "runs", &runs))
			for (size_t i = 0; i < json_object_array_length(runs); i++)
				print_run_line(json_object_array_get_idx(runs, i));
	} else if (strcmp(cmd, "results") == 0) {
		struct json_object *v;
		json_object_object_get_ex(ok, "results", &v);
		printf("%s\n", json_object_get_string(v));
	} else if (strcmp(cmd, "start") == 0) {
		struct json_object *v;
		json_object_object_get_ex(ok, "run", &v);
		printf("%s\n", json_object_get_string(v));
	} else if (strcmp(cmd, "follow") == 0) {
		/* progress until the run ends; a killed follower changes nothing for the run */
		for (;;) {
			struct json_object *m = ctl_next(&c, &error), *ev, *v, *p;
			if (!m) {
				fprintf(stderr, "mhpstress follow: %s\n", error->message);
				rc = EXIT_USAGE;
				break;
			}
			if (!json_object_object_get_ex(m, "event", &ev)) {
				json_object_put(m);
				continue;
			}
			if (json) {
				printf("%s\n", json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN));
			} else if (json_object_object_get_ex(m, "progress", &p)) {
				struct json_object *ph, *cy, *cs, *fa;
				json_object_object_get_ex(p, "phase", &ph);
				json_object_object_get_ex(p, "cycle", &cy);
				json_object_object_get_ex(p, "cycles", &cs);
				json_object_object_get_ex(p, "failures", &fa);
				printf("%s cycle %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " %s failures %" G_GINT64_FORMAT "\n",
				       json_object_get_string(ev), json_object_get_int64(cy), json_object_get_int64(cs),
				       json_object_get_string(ph), json_object_get_int64(fa));
			}
			fflush(stdout);
			if (strcmp(json_object_get_string(ev), "finished") == 0) {
				json_object_object_get_ex(m, "exit_code", &v);
				rc = json_object_get_int(v);
				if (!json) {
					json_object_object_get_ex(m, "state", &v);
					printf("%s\n", json_object_get_string(v));
				}
				json_object_put(m);
				break;
			}
			json_object_put(m);
		}
	} else {
		print_run_line(ok);
	}
	json_object_put(ok);
	json_stream_free(&c.js);
	close(c.fd);
	return rc;
}

int main(int argc, char **argv)
{
	const char *socket_path = NULL;

	setlocale(LC_ALL, "");
	if (argc >= 3 && strcmp(argv[1], "--socket") == 0) {
		socket_path = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return usage(stdout);
	if (strcmp(argv[1], "--version") == 0) {
		printf("mhpstress %s\n", MHP_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "fleet") == 0)
		return cmd_fleet(argc - 1, argv + 1);
	if (strcmp(argv[1], "compare") == 0)
		return cmd_compare(argc - 1, argv + 1);
	if (strcmp(argv[1], "snapshot") == 0)
		return cmd_snapshot(argc - 1, argv + 1);
	for (const char *const *c = (const char *const[]){ "start", "list", "status", "stop", "follow", "results", NULL };
	     *c; c++)
		if (strcmp(argv[1], *c) == 0)
			return cmd_ctl(socket_path, argc - 1, argv + 1);
	fprintf(stderr, "mhpstress: unknown command '%s'\n", argv[1]);
	return usage(stderr);
}
