/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cli.h - private to daemon/cli/: the verbs main.c dispatches (run.c,
 * fleet-run.c, compare.c, ctl.c) and what they share (cli-util.c). Nothing
 * outside the mhpstress command includes it.
 */
#ifndef MHP_CLI_H
#define MHP_CLI_H

#include <stdio.h>

#include <glib.h>

#include "backend.h"
#include "cycle.h"
#include "scenario.h"

/*
 * The exit status of every verb; run's is the engine's MhpRunExit as is.
 * docs/man/mhpstress.1.scd, EXIT STATUS, lists them for git bisect run.
 */
typedef enum {
	CLI_EXIT_PASS = MHP_RUN_EXIT_PASS,         /* every cycle passed, the invariants hold, the request was done */
	CLI_EXIT_FAILURES = MHP_RUN_EXIT_FAILURES, /* failures found */
	CLI_EXIT_USAGE = MHP_RUN_EXIT_ERROR,       /* usage or environment error */
	CLI_EXIT_UNTESTABLE = MHP_RUN_EXIT_UNTESTABLE, /* could not test: no guest to boot, or it did not boot */
} CliExit;

/* A verb: @argv[0] is its name; @userdata is main()'s CliGlobals. */
typedef struct {
	char *socket; /* --socket PATH anywhere on the line, or NULL */
} CliGlobals;

int verb_run(int argc, char **argv, void *userdata);
int verb_fleet(int argc, char **argv, void *userdata);
int verb_compare(int argc, char **argv, void *userdata);
int verb_snapshot(int argc, char **argv, void *userdata);
int verb_report(int argc, char **argv, void *userdata);
int verb_bugreport(int argc, char **argv, void *userdata);
int verb_doctor(int argc, char **argv, void *userdata);
int verb_ctl_start(int argc, char **argv, void *userdata);
int verb_ctl_list(int argc, char **argv, void *userdata);
int verb_ctl_run(int argc, char **argv, void *userdata); /* status, stop, results: one RUN */
int verb_ctl_follow(int argc, char **argv, void *userdata);

/**
 * cli_usage() - print the usage text.
 * @f: stdout for --help, stderr for a usage error
 *
 * Return: the exit status to go with it: CLI_EXIT_PASS for stdout, else
 * CLI_EXIT_USAGE.
 */
int cli_usage(FILE *f);

/**
 * cli_source_root() - the source tree the tools (tools/build-kernel,
 * tools/kconfig) are run from.
 *
 * Return: $MHPSTRESS_SOURCE_ROOT when set and not empty, else the tree
 * this mhpstress was built from.
 */
const char *cli_source_root(void);

/**
 * cli_exit_word() - an exit code as the closing line says it.
 * @code: an engine exit code
 *
 * Return: "pass", "FAILURES FOUND", "could not test" or "error".
 */
const char *cli_exit_word(int code);

/**
 * cli_exit_worst() - the exit code of several runs (fleet targets).
 * @a: an exit code
 * @b: another
 *
 * From best to worst: pass, could not test, failures found, error. A
 * target that found failures outweighs one that could not test.
 *
 * Return: the worse of @a and @b.
 */
int cli_exit_worst(int a, int b);

/**
 * cli_make_absolute() - replace a path with its absolute form, in place.
 * @path: a g_free()able path, or a pointer to NULL (left alone)
 *
 * Paths go to a daemon or into run.json: they must not depend on the cwd.
 */
void cli_make_absolute(char **path);

/**
 * cli_resolve_guest() - the guest to boot.
 * @kernel: in: --kernel or NULL; out: the kernel, absolute
 * @initrd: in: --initrd or NULL; out: the initramfs, absolute
 * @s: the scenario, whose [guest] kernel and initrd come next, or NULL
 *
 * What is still missing is the project's guest, built (or found cached) by
 * tools/build-kernel and tools/build-guest.
 *
 * Return: TRUE with both set.
 */
gboolean cli_resolve_guest(char **kernel, char **initrd, const MhpScenario *s, GError **error);

/**
 * cli_resolve_guest_exit() - the exit code for cli_resolve_guest()'s error.
 * @error: its error
 *
 * Return: CLI_EXIT_USAGE for an option that needs another (--kernel not
 * from tools/build-kernel without --initrd), else CLI_EXIT_UNTESTABLE:
 * tools/build-kernel or build-guest failed, so this tree cannot be tested.
 */
int cli_resolve_guest_exit(const GError *error);

/**
 * cli_parse_seed() - a random seed as every mhpstress input takes it.
 * @text: decimal digits, 0 to 18446744073709551615 (2^64-1)
 * @ret: the seed; untouched on failure
 *
 * Used by --seed (run, start) and fleet files; the control protocol and
 * scenario files take the same range.
 *
 * Return: TRUE when @text is such a number.
 */
gboolean cli_parse_seed(const char *text, guint64 *ret);

/* What run and start both take: the guest, the bounds and the backend. */
typedef struct {
	char *kernel;
	char *initrd;
	gint64 cycles;   /* -1: not given (CLI_CYCLES_UNSET until cli_run_args_check()) */
	char *duration;  /* as given */
	char *seed;      /* as given */
	char *backend;
	char *connect;
	char *domain;
	/* set by cli_run_args_check() */
	gint64 duration_ms;     /* -1: not given */
	gboolean have_seed;
	guint64 seed_value;
	const MhpBackendClass *backend_class;
} CliRunArgs;

/* --cycles not given: GOption leaves it; any value a user can type, -1 too, is checked. */
#define CLI_CYCLES_UNSET G_MININT64
#define CLI_RUN_ARGS_INIT { .cycles = CLI_CYCLES_UNSET, .duration_ms = -1 }

void cli_run_args_clear(CliRunArgs *a);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CliRunArgs, cli_run_args_clear)

/**
 * cli_run_args_add_entries() - --kernel, --initrd, --cycles, --duration,
 * --seed, --backend, --connect and --domain.
 * @oc: the verb's option context
 * @a: where the values go
 */
void cli_run_args_add_entries(GOptionContext *oc, CliRunArgs *a);

/**
 * cli_run_args_check() - check what was given, and parse it.
 * @a: the options; duration_ms, have_seed, seed_value and backend_class
 *     are set, and connect may get the backend's default
 * @verb: "run" or "start", for messages
 * @gdb: whether --gdb was given (a remote libvirt host gets a note)
 *
 * Errors are printed as "mhpstress VERB: ..." and name the option.
 *
 * Return: TRUE when everything is valid.
 */
gboolean cli_run_args_check(CliRunArgs *a, const char *verb, gboolean gdb);

/**
 * cli_option_parse() - parse a verb's options, printing the error.
 * @oc: the verb's option context
 * @verb: its name, for the message
 * @argc: in/out, as g_option_context_parse()
 * @argv: in/out
 *
 * Return: TRUE on success; else the message is printed and the verb exits
 * with CLI_EXIT_USAGE.
 */
gboolean cli_option_parse(GOptionContext *oc, const char *verb, int *argc, char ***argv);

#endif
