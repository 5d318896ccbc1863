// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - mhpstress: the command-line tool. One table of verbs, each in
 * the file of its family:
 *
 *   run                                 run.c        a scenario in the foreground
 *   fleet                               fleet-run.c  one scenario on several libvirt targets
 *   compare, snapshot                   compare.c    page-table invariants between snapshots
 *   report, bugreport                   report.c     a results directory as one HTML page;
 *                                                    its evidence/report.md again
 *   doctor                              doctor.c     what this host lacks to run a guest
 *   start, list, status, stop,          ctl.c        mhpstressd's client
 *   follow, results
 *   help                                main.c       the usage, or a verb's --help
 *
 * The global options (--socket, --version, --help) are taken anywhere on
 * the line, before or after the verb, up to a "--".
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int verb_help(int argc, char **argv, void *userdata);

typedef struct {
	const char *name;
	int (*dispatch)(int argc, char **argv, void *userdata);
} Verb;

static const Verb verbs[] = {
	{ "run", verb_run },
	{ "fleet", verb_fleet },
	{ "compare", verb_compare },
	{ "snapshot", verb_snapshot },
	{ "report", verb_report },
	{ "bugreport", verb_bugreport },
	{ "doctor", verb_doctor },
	{ "start", verb_ctl_start },
	{ "list", verb_ctl_list },
	{ "status", verb_ctl_run },
	{ "stop", verb_ctl_run },
	{ "follow", verb_ctl_follow },
	{ "results", verb_ctl_run },
	{ "help", verb_help },
};

static const Verb *find_verb(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(verbs); i++)
		if (!strcmp(verbs[i].name, name))
			return &verbs[i];
	return NULL;
}

/* @argv[0] is the verb; it gets @argc and @argv as they are, and its --help says "mhpstress VERB". */
static int dispatch_verb(int argc, char **argv, CliGlobals *g)
{
	const Verb *v = find_verb(argv[0]);
	g_autofree char *prgname = NULL;

	if (!v) {
		fprintf(stderr, "mhpstress: unknown command '%s'\n", argv[0]);
		return cli_usage(stderr);
	}
	prgname = g_strdup_printf("mhpstress %s", argv[0]);
	g_set_prgname(prgname);
	return v->dispatch(argc, argv, g);
}

/* help [VERB]: the usage, or VERB --help. */
static int verb_help(int argc, char **argv, void *userdata)
{
	char *help_argv[] = { argc > 1 ? argv[1] : NULL, (char *)"--help", NULL };

	if (argc == 1)
		return cli_usage(stdout);
	if (argc > 2 || !find_verb(argv[1]) || !strcmp(argv[1], "help")) {
		fprintf(stderr, "mhpstress help: expected one command%s%s%s\n", argc == 2 ? ", not '" : "",
			argc == 2 ? argv[1] : "", argc == 2 ? "'" : "");
		return cli_usage(stderr);
	}
	return dispatch_verb(2, help_argv, userdata);
}

/*
 * Take the global options out of @argv wherever they are, before a "--":
 * GOption with unknown options left for the verb, and without its own
 * --help, which a verb's context answers.
 */
static gboolean parse_globals(int *argc, char ***argv, CliGlobals *g, gboolean *ret_version, gboolean *ret_help)
{
	g_autoptr(GOptionContext) oc = g_option_context_new(NULL);
	g_autoptr(GError) error = NULL;
	int before = 1, n;
	char **head;
	GOptionEntry entries[] = {
		{ "socket", 0, 0, G_OPTION_ARG_FILENAME, &g->socket, "mhpstressd's control socket", "PATH" },
		{ "version", 0, 0, G_OPTION_ARG_NONE, ret_version, "print the version", NULL },
		{ NULL },
	};

	g_option_context_set_help_enabled(oc, FALSE);
	g_option_context_set_ignore_unknown_options(oc, TRUE);
	g_option_context_add_main_entries(oc, entries, NULL);
	/* --help and -h before the verb are the global usage; after it, the verb's */
	*ret_help = *argc >= 2 && (!strcmp((*argv)[1], "--help") || !strcmp((*argv)[1], "-h"));
	/* only the words before "--" are looked at; the rest, "--" too, is the verb's */
	while (before < *argc && strcmp((*argv)[before], "--"))
		before++;
	head = g_new0(char *, *argc + 1);
	memcpy(head, *argv, sizeof(char *) * (size_t)before);
	n = before;
	if (!g_option_context_parse(oc, &n, &head, &error)) {
		fprintf(stderr, "mhpstress: %s\n", error->message);
		g_free(head);
		return FALSE;
	}
	memcpy(head + n, *argv + before, sizeof(char *) * (size_t)(*argc - before + 1));
	*argc = n + *argc - before;
	*argv = head; /* main's, freed at its end */
	return TRUE;
}

int main(int argc, char **argv)
{
	CliGlobals g = { 0 };
	gboolean version = FALSE, help = FALSE;
	g_autofree char **args = NULL; /* the vector, not its strings: those are the process's */
	int rc;

	setlocale(LC_ALL, "");
	if (!parse_globals(&argc, &argv, &g, &version, &help))
		return CLI_EXIT_USAGE;
	args = argv;
	if (version) {
		printf("mhpstress %s\n", MHP_VERSION);
		rc = CLI_EXIT_PASS;
	} else if (help) {
		rc = cli_usage(stdout);
	} else if (argc < 2) {
		rc = cli_usage(stderr);
	} else {
		rc = dispatch_verb(argc - 1, argv + 1, &g);
	}
	g_free(g.socket);
	return rc;
}
