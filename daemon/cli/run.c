// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * run.c - mhpstress run: one scenario in the foreground, with a progress
 * line on a terminal and a line per cycle off one (a CI log); --ktap
 * prints KTAP on standard output as the cycles end; --replay repeats a
 * recorded run.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <json-c/json.h>

#include "cli.h"
#include "cycle.h"
#include "jsonget.h"
#include "results-ci.h"
#include "results.h"

/* What is printed as the run goes: -q, -v and --ktap. */
typedef struct {
	gboolean quiet;   /* no progress line, no line per cycle */
	gboolean verbose; /* a line per phase too, and per cycle on a terminal */
	gboolean ktap;    /* KTAP on standard output */
} CliOutput;

typedef struct {
	GMainLoop *loop;
	int exit_code;
	gboolean tty;
	gint64 last_draw;
	guint signals;
	MhpEngine *engine;
	CliOutput out;
	guint64 planned;      /* from the progress: 0 when bounded by time */
	guint64 cycles_seen;  /* cycle records, the KTAP tests printed */
	MhpPhase last_phase;
	const char *results_dir;
} Cli;

/* A log line on stderr; on a terminal the progress line is cleared first and drawn again later. */
static void log_line(Cli *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void log_line(Cli *c, const char *fmt, ...)
{
	va_list ap;

	if (c->tty)
		fprintf(stderr, "\r\033[K");
	fprintf(stderr, "mhpstress: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	c->last_draw = 0;
}

/* The progress line on a terminal, at most five times a second. */
static void draw(Cli *c, const MhpProgress *p, gboolean force)
{
	gint64 now = g_get_monotonic_time();
	char count[64];

	if (!c->tty || c->out.quiet || (!force && now - c->last_draw < 200000))
		return;
	c->last_draw = now;
	if (p->cycles)
		g_snprintf(count, sizeof(count), "cycle %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT, p->cycle, p->cycles);
	else
		g_snprintf(count, sizeof(count), "%" G_GUINT64_FORMAT "s/%" G_GUINT64_FORMAT "s, %" G_GUINT64_FORMAT
			   " cycles", p->elapsed_ms / 1000, p->duration_ms / 1000, p->cycle);
	fprintf(stderr, "\r\033[K%s  %-8s %-14s failures %" G_GUINT64_FORMAT "  %.2f cycles/s", count,
		mhp_engine_state_to_string(p->state), mhp_phase_to_string(p->phase), p->failures, p->cycles_per_s);
	fflush(stderr);
}

static void on_progress(MhpEngine *e, const MhpProgress *p, gpointer user_data)
{
	Cli *c = user_data;

	c->planned = p->cycles;
	if (c->out.verbose && !c->out.quiet && p->phase != c->last_phase && p->phase != MHP_PHASE_NONE)
		log_line(c, "  %s: %s", mhp_engine_state_to_string(p->state), mhp_phase_to_string(p->phase));
	c->last_phase = p->phase;
	draw(c, p, FALSE);
}

/* Off a terminal a line per cycle, so a long CI log is never blank; --ktap its test on stdout. */
static void on_cycle(MhpEngine *e, struct json_object *record, gpointer user_data)
{
	Cli *c = user_data;

	c->cycles_seen++;
	if (!c->out.quiet && (!c->tty || c->out.verbose)) {
		g_autofree char *line = mhp_cycle_log_line(record, c->cycles_seen, c->planned);

		log_line(c, "%s", line);
	}
	if (c->out.ktap) {
		g_autoptr(GString) t = g_string_new(NULL);

		mhp_ktap_cycle(t, record, c->cycles_seen);
		fputs(t->str, stdout);
		fflush(stdout);
	}
}

static void on_finished(MhpEngine *e, int code, const char *message, gpointer user_data)
{
	Cli *c = user_data;

	if (c->tty)
		fprintf(stderr, "\r\033[K");
	if (message)
		fprintf(stderr, "mhpstress: %s\n", message);
	if (c->out.ktap) {
		g_autoptr(GString) t = g_string_new(NULL);

		mhp_ktap_tail(c->results_dir, c->cycles_seen, t);
		fputs(t->str, stdout);
		fflush(stdout);
	}
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
		c->exit_code = CLI_EXIT_FAILURES;
		g_main_loop_quit(c->loop);
	}
	return G_SOURCE_CONTINUE;
}

/*
 * --replay DIR: everything that decides the run comes from its run.json
 * (scenario text, seed, guest, bounds); options given still win.
 */
static gboolean load_replay(const char *dir, CliRunArgs *a, char **ret_name, char **ret_text)
{
	g_autofree char *path = g_build_filename(dir, "run.json", NULL);
	struct json_object *run = json_object_from_file(path), *sc, *v;

	if (!run || !json_object_object_get_ex(run, "scenario", &sc) || !json_object_object_get_ex(sc, "text", &v)) {
		fprintf(stderr, "mhpstress run: --replay '%s': no readable run.json with a scenario\n", dir);
		json_object_put(run);
		return FALSE;
	}
	*ret_text = g_strdup(json_object_get_string(v));
	*ret_name = g_strdup(json_object_object_get_ex(sc, "path", &v) ? json_object_get_string(v) : path);
	if (!a->seed && json_object_object_get_ex(run, "seed", NULL)) {
		g_autoptr(GError) error = NULL;
		guint64 seed;

		if (!mhp_json_get_seed(run, path, "seed", &seed, &error)) {
			fprintf(stderr, "mhpstress run: --replay: %s\n", error->message);
			json_object_put(run);
			return FALSE;
		}
		a->seed = g_strdup_printf("%" G_GUINT64_FORMAT, seed);
	}
	if (!a->kernel && json_object_object_get_ex(run, "kernel_image", &v))
		a->kernel = g_strdup(json_object_get_string(v));
	if (!a->initrd && json_object_object_get_ex(run, "initrd", &v))
		a->initrd = g_strdup(json_object_get_string(v));
	if (a->cycles < 0 && !a->duration && json_object_object_get_ex(run, "cycles", &v) && json_object_get_int64(v) > 0)
		a->cycles = json_object_get_int64(v);
	if (!a->duration && json_object_object_get_ex(run, "duration_ms", &v) && json_object_get_int64(v) > 0)
		a->duration = g_strdup_printf("%" PRId64 "ms", json_object_get_int64(v));
	json_object_put(run);
	return TRUE;
}

/*
 * The files QEMU opens here; libvirt picks its own firmware, and a remote
 * host has its own files. A kernel or initrd that is not there or cannot
 * be read is a commit that cannot be tested (CLI_EXIT_UNTESTABLE, for git
 * bisect run); missing firmware is this host's problem (CLI_EXIT_USAGE).
 *
 * Return: CLI_EXIT_PASS when every file is readable, else the exit code.
 */
static int guest_files_check(const CliRunArgs *a, const MhpScenario *s)
{
	for (const char *const *f = (const char *const[]){ a->kernel, a->initrd, s->guest.firmware, NULL }; *f; f++) {
		gboolean firmware = *f == s->guest.firmware;

		if (a->connect && (firmware || mhp_backend_uri_is_remote(a->connect)))
			continue;
		if (!g_file_test(*f, G_FILE_TEST_IS_REGULAR) || access(*f, R_OK) < 0) {
			fprintf(stderr, "mhpstress: '%s' does not exist or cannot be read%s\n", *f,
				strstr(*f, "QEMU_EFI") ? "; apt-get install qemu-efi-aarch64" : "");
			return firmware ? CLI_EXIT_USAGE : CLI_EXIT_UNTESTABLE;
		}
	}
	return CLI_EXIT_PASS;
}

/* Run the engine until it finishes; SIGINT/SIGTERM stop it, a second one aborts. */
static int run_engine(const MhpScenario *s, const MhpRunOptions *opts, const CliOutput *out)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MhpEngine) e = NULL;
	Cli c = { .exit_code = CLI_EXIT_USAGE, .out = *out, .results_dir = opts->results_dir };
	guint sig1, sig2;

	c.loop = g_main_loop_new(NULL, FALSE);
	c.tty = isatty(STDERR_FILENO);
	if (out->ktap) {
		printf("KTAP version 1\n");
		fflush(stdout);
	}
	e = mhp_engine_new(NULL, s, opts,
			   &(MhpEngineCallbacks){ .progress = on_progress, .finished = on_finished, .cycle = on_cycle,
						  .evidence = on_evidence },
			   &c);
	c.engine = e;
	if (!mhp_engine_start(e, &error)) {
		fprintf(stderr, "mhpstress: %s\n", error->message);
		g_main_loop_unref(c.loop);
		return CLI_EXIT_USAGE;
	}
	sig1 = g_unix_signal_add(SIGINT, on_signal, &c);
	sig2 = g_unix_signal_add(SIGTERM, on_signal, &c);
	g_main_loop_run(c.loop);
	g_source_remove(sig1);
	g_source_remove(sig2);
	g_main_loop_unref(c.loop);
	/* stdout: the directory for scripts, or with --ktap a diagnostic line */
	printf(out->ktap ? "# results in %s\n" : "%s\n", opts->results_dir);
	fprintf(stderr, "mhpstress: %s (seed %" G_GUINT64_FORMAT "), results in %s\n", cli_exit_word(c.exit_code),
		mhp_engine_seed(e), opts->results_dir);
	return c.exit_code;
}

int verb_run(int argc, char **argv, void *userdata)
{
	g_autofree char *results = NULL, *gdb = NULL, *gdb_arg = NULL;
	g_autofree char *replay = NULL, *replay_text = NULL, *replay_name = NULL;
	g_auto(CliRunArgs) a = CLI_RUN_ARGS_INIT;
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) oc = g_option_context_new("SCENARIO");
	CliOutput out = { 0 };
	GOptionEntry entries[] = {
		{ "results", 0, 0, G_OPTION_ARG_FILENAME, &results, "results directory", "DIR" },
		{ "gdb", 0, 0, G_OPTION_ARG_STRING, &gdb, "open QEMU's gdbstub on this TCP port", "PORT" },
		{ "replay", 0, 0, G_OPTION_ARG_FILENAME, &replay, "repeat a recorded run: its scenario, seed, guest and bounds", "RESULTS_DIR" },
		{ "ktap", 0, 0, G_OPTION_ARG_NONE, &out.ktap, "print KTAP on standard output as the cycles end", NULL },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &out.quiet, "no progress line and no line per cycle", NULL },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &out.verbose, "a line per phase, and per cycle on a terminal too", NULL },
		{ NULL },
	};
	MhpRunOptions opts = MHP_RUN_OPTIONS_INIT;
	g_autoptr(MhpScenario) s = NULL;
	int rc;

	cli_run_args_add_entries(oc, &a);
	g_option_context_add_main_entries(oc, entries, NULL);
	if (!cli_option_parse(oc, "run", &argc, &argv))
		return CLI_EXIT_USAGE;
	if (replay) {
		if (!load_replay(replay, &a, &replay_name, &replay_text))
			return CLI_EXIT_USAGE;
		if (argc != 1) {
			fprintf(stderr, "mhpstress run: --replay takes no SCENARIO\n");
			return CLI_EXIT_USAGE;
		}
	} else if (argc != 2) {
		fprintf(stderr, "mhpstress run: expected one SCENARIO file\n");
		return cli_usage(stderr);
	}
	if (!cli_run_args_check(&a, "run", gdb != NULL))
		return CLI_EXIT_USAGE;
	if (gdb) {
		char *end;
		long port = strtol(gdb, &end, 10);
		if (*end || port < 1 || port > 65535) {
			fprintf(stderr, "mhpstress run: --gdb '%s': expected a TCP port\n", gdb);
			return CLI_EXIT_USAGE;
		}
		gdb_arg = g_strdup_printf("tcp:127.0.0.1:%ld", port);
	}
	s = replay ? mhp_scenario_load_data(replay_name, replay_text, &error) : mhp_scenario_load(argv[1], &error);
	if (!s) {
		fprintf(stderr, "mhpstress: %s\n", error->message);
		return CLI_EXIT_USAGE;
	}
	/* no guest to boot (tools/build-kernel failed): this commit cannot be tested; bad options are usage */
	if (!cli_resolve_guest(&a.kernel, &a.initrd, s, &error)) {
		fprintf(stderr, "mhpstress: cannot get a guest: %s\n", error->message);
		return cli_resolve_guest_exit(error);
	}
	rc = guest_files_check(&a, s);
	if (rc != CLI_EXIT_PASS)
		return rc;
	if (!results) {
		g_autoptr(GDateTime) now = g_date_time_new_now_local();
		g_autofree char *stamp = g_date_time_format(now, "%Y%m%d-%H%M%S");
		results = g_strdup_printf("results/%s-%s%s", s->name, replay ? "replay-" : "", stamp);
	}
	if (!mhp_results_dir_create(results, &error)) {
		fprintf(stderr, "mhpstress: %s\n", error->message);
		return CLI_EXIT_USAGE;
	}
	/* borrowed: the engine copies them */
	opts.backend = a.backend_class;
	opts.connect = a.connect;
	opts.domain = a.domain;
	opts.cycles = a.duration_ms > 0 && a.cycles < 0 ? 0 : a.cycles; /* 0: bounded by time */
	opts.duration_ms = a.duration_ms;
	opts.seed = a.seed_value;
	opts.have_seed = a.have_seed;
	opts.gdb = gdb_arg;
	opts.kernel = a.kernel;
	opts.initrd = a.initrd;
	opts.results_dir = results;
	return run_engine(s, &opts, &out);
}
