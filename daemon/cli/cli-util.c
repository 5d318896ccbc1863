// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli-util.c - what the mhpstress verbs share: usage, exit words, the
 * guest to boot, and the run options that run and start both take.
 */
#include <stdio.h>
#include <string.h>

#include <gio/gio.h>

#include "cli.h"
#include "jsonget.h"

int cli_usage(FILE *f)
{
	fprintf(f,
		"usage: mhpstress run SCENARIO [--kernel IMAGE] [--initrd FILE] [--results DIR]\n"
		"                 [--cycles N] [--duration T] [--seed S] [--gdb PORT]\n"
		"                 [--backend qemu|libvirt] [--connect URI] [--domain NAME]\n"
		"                 [--ktap] [-q|-v]\n"
		"       mhpstress run --replay RESULTS_DIR [OPTION...]\n"
		"       mhpstress fleet FLEET [--results DIR]\n"
		"       mhpstress compare A [B] [--json]\n"
		"       mhpstress report RESULTS [RESULTS_B] [-o FILE]\n"
		"       mhpstress bugreport RESULTS [--vmlinux FILE] [--src DIR]\n"
		"       mhpstress snapshot --agent SOCKET --out FILE\n"
		"       mhpstress doctor [--kernel IMAGE | --config FILE] [--firmware FILE]\n"
		"       mhpstress [--socket PATH] start SCENARIO [--kernel IMAGE] [--initrd FILE]\n"
		"                 [--cycles N] [--duration T] [--seed S] [--json]\n"
		"                 [--backend qemu|libvirt] [--connect URI] [--domain NAME]\n"
		"       mhpstress [--socket PATH] list|status RUN|stop RUN|follow RUN|results RUN [--json]\n"
		"       mhpstress help [COMMAND] | --version\n"
		"\n"
		"Runs SCENARIO's hotplug cycles on an arm64 guest under QEMU and writes\n"
		"run.json, cycles.jsonl, events.jsonl, console.log and summary.json to the\n"
		"results directory. Exit status: 0 every cycle passed, 1 failures found,\n"
		"2 usage or environment error, 125 nothing could be tested (no guest to\n"
		"boot, or it did not boot: git bisect run skips the commit).\n"
		"\n"
		"--socket, --version and --help are taken anywhere on the line.\n"
		"\n"
		"compare: A and B are snapshot files or results directories. One directory\n"
		"compares its baseline with its end; two are shown side by side, ending\n"
		"with their ends compared. Exit 0 when the page-table invariants hold, 1\n"
		"when they do not.\n"
		"\n"
		"report: RESULTS as one self-contained HTML page (RESULTS/report.html, which\n"
		"every run also writes); two directories side by side (./report-ab.html).\n"
		"\n"
		"bugreport: RESULTS/evidence*/report.md written again, each failure's trace\n"
		"decoded against --vmlinux and --src (default: the run's kernel's).\n"
		"\n"
		"Exit status: 0 pass; 1 failures found; 2 usage or could not run;\n"
		"125 could not test (the guest did not boot: git bisect run skips it).\n"
		"See mhpstress(1).\n");
	return f == stdout ? CLI_EXIT_PASS : CLI_EXIT_USAGE;
}

const char *cli_exit_word(int code)
{
	return code == CLI_EXIT_PASS ? "pass" : code == CLI_EXIT_FAILURES ? "FAILURES FOUND"
	       : code == CLI_EXIT_UNTESTABLE ? "could not test" : "error";
}

static int exit_rank(int code)
{
	return code == CLI_EXIT_PASS ? 0 : code == CLI_EXIT_UNTESTABLE ? 1 : code == CLI_EXIT_FAILURES ? 2 : 3;
}

int cli_exit_worst(int a, int b)
{
	return exit_rank(a) >= exit_rank(b) ? a : b;
}

gboolean cli_option_parse(GOptionContext *oc, const char *verb, int *argc, char ***argv)
{
	g_autoptr(GError) error = NULL;

	if (g_option_context_parse(oc, argc, argv, &error))
		return TRUE;
	fprintf(stderr, "mhpstress %s: %s\n", verb, error->message);
	return FALSE;
}

void cli_make_absolute(char **path)
{
	if (*path) {
		char *abs = g_canonicalize_filename(*path, NULL);
		g_free(*path);
		*path = abs;
	}
}

/* The last line a tool prints: tools/build-kernel and tools/build-guest print the path they built. */
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

const char *cli_source_root(void)
{
	const char *env = g_getenv("MHPSTRESS_SOURCE_ROOT");

	return env && *env ? env : MHP_SOURCE_ROOT;
}

/* The project-built guest: tools/build-kernel and tools/build-guest, cached. */
static gboolean default_guest(char **kernel, char **initrd, GError **error)
{
	const char *top = cli_source_root();
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

gboolean cli_resolve_guest(char **kernel, char **initrd, const MhpScenario *s, GError **error)
{
	if (!*kernel && s && s->guest.kernel)
		*kernel = g_strdup(s->guest.kernel);
	if (!*initrd && s && s->guest.initrd)
		*initrd = g_strdup(s->guest.initrd);
	cli_make_absolute(kernel);
	cli_make_absolute(initrd);
	return default_guest(kernel, initrd, error);
}

int cli_resolve_guest_exit(const GError *error)
{
	return g_error_matches(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT) ? CLI_EXIT_USAGE : CLI_EXIT_UNTESTABLE;
}

gboolean cli_parse_seed(const char *text, guint64 *ret)
{
	return mhp_parse_u64(text, ret);
}

void cli_run_args_clear(CliRunArgs *a)
{
	g_free(a->kernel);
	g_free(a->initrd);
	g_free(a->duration);
	g_free(a->seed);
	g_free(a->backend);
	g_free(a->connect);
	g_free(a->domain);
}

void cli_run_args_add_entries(GOptionContext *oc, CliRunArgs *a)
{
	/* copied by GLib: the array may go */
	GOptionEntry entries[] = {
		{ "kernel", 0, 0, G_OPTION_ARG_FILENAME, &a->kernel, "guest kernel Image", "IMAGE" },
		{ "initrd", 0, 0, G_OPTION_ARG_FILENAME, &a->initrd, "guest initramfs", "FILE" },
		{ "cycles", 0, 0, G_OPTION_ARG_INT64, &a->cycles, "number of cycles", "N" },
		{ "duration", 0, 0, G_OPTION_ARG_STRING, &a->duration, "run for this long (30s, 10m, 8h)", "T" },
		{ "seed", 0, 0, G_OPTION_ARG_STRING, &a->seed, "random seed, 0 to 2^64-1", "S" },
		{ "backend", 0, 0, G_OPTION_ARG_STRING, &a->backend, "qemu (default: mhpstress runs QEMU) or libvirt", "NAME" },
		{ "connect", 'c', 0, G_OPTION_ARG_STRING, &a->connect, "libvirt URI (default $LIBVIRT_DEFAULT_URI, else qemu:///system)", "URI" },
		{ "domain", 0, 0, G_OPTION_ARG_STRING, &a->domain, "libvirt domain to boot (default: a transient one)", "NAME" },
		{ NULL },
	};

	g_option_context_add_main_entries(oc, entries, NULL);
}

gboolean cli_run_args_check(CliRunArgs *a, const char *verb, gboolean gdb)
{
	g_autoptr(GError) error = NULL;

	if (a->cycles == CLI_CYCLES_UNSET) {
		a->cycles = -1;
	} else if (a->cycles < 1) {
		fprintf(stderr, "mhpstress %s: --cycles %" G_GINT64_FORMAT ": expected a whole number of at least 1\n",
			verb, a->cycles);
		return FALSE;
	}
	/* the registry decides: --backend libvirt without --connect means $LIBVIRT_DEFAULT_URI or qemu:///system */
	a->backend_class = mhp_backend_options_check(a->backend, &a->connect, &a->domain, &error);
	if (!a->backend_class) {
		fprintf(stderr, "mhpstress: %s\n", error->message);
		return FALSE;
	}
	if (gdb && mhp_backend_uri_is_remote(a->connect))
		fprintf(stderr, "mhpstress: --gdb opens the stub on the libvirt host, not here\n");
	if (a->duration) {
		guint64 ms;
		if (!mhp_parse_duration(a->duration, &ms) || !ms) {
			fprintf(stderr, "mhpstress %s: --duration '%s': expected a duration like 90s, 10m or 8h\n", verb,
				a->duration);
			return FALSE;
		}
		a->duration_ms = (gint64)ms;
	}
	if (a->seed) {
		if (!cli_parse_seed(a->seed, &a->seed_value)) {
			fprintf(stderr, "mhpstress %s: --seed '%s': expected a whole number from 0 to 2^64-1\n", verb,
				a->seed);
			return FALSE;
		}
		a->have_seed = TRUE;
	}
	return TRUE;
}
