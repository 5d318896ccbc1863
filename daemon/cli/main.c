// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - mhpstress: the command-line tool. One table of verbs, each in
 * the file of its family:
 *
 *   run                                 run.c        a scenario in the foreground
 *   fleet                               fleet-run.c  one scenario on several libvirt targets
 *   compare, snapshot                   compare.c    page-table invariants between snapshots
 *   start, list, status, stop,          ctl.c        mhpstressd's client
 *   follow, results
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct {
	const char *name;
	int (*dispatch)(int argc, char **argv, void *userdata);
} Verb;

static const Verb verbs[] = {
	{ "run", verb_run },
	{ "fleet", verb_fleet },
	{ "compare", verb_compare },
	{ "snapshot", verb_snapshot },
	{ "start", verb_ctl_start },
	{ "list", verb_ctl_list },
	{ "status", verb_ctl_run },
	{ "stop", verb_ctl_run },
	{ "follow", verb_ctl_follow },
	{ "results", verb_ctl_run },
};

/* @argv[0] is the verb; it gets @argc and @argv as they are. */
static int dispatch_verb(int argc, char **argv, CliGlobals *g)
{
	for (size_t i = 0; i < G_N_ELEMENTS(verbs); i++)
		if (!strcmp(verbs[i].name, argv[0]))
			return verbs[i].dispatch(argc, argv, g);
	fprintf(stderr, "mhpstress: unknown command '%s'\n", argv[0]);
	return cli_usage(stderr);
}

int main(int argc, char **argv)
{
	CliGlobals g = { 0 };

	setlocale(LC_ALL, "");
	if (argc >= 3 && !strcmp(argv[1], "--socket")) {
		g.socket = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		return cli_usage(stderr);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cli_usage(stdout);
	if (!strcmp(argv[1], "--version")) {
		printf("mhpstress %s\n", MHP_VERSION);
		return CLI_EXIT_PASS;
	}
	return dispatch_verb(argc - 1, argv + 1, &g);
}
