// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report.c - mhpstress report: a results directory (or two, A/B) as one
 * self-contained HTML page (results-report.c).
 */
#include <stdio.h>

#include "cli.h"
#include "results-report.h"

/* Two runs' page goes to the current directory, not into either run. */
#define REPORT_AB_DEFAULT "report-ab.html"

int verb_report(int argc, char **argv, void *userdata)
{
	g_autofree char *out = NULL, *path = NULL, *html = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) oc = g_option_context_new("RESULTS [RESULTS_B]");
	GOptionEntry entries[] = {
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "where to write the page (default: RESULTS/report.html; "
		  "for two runs ./" REPORT_AB_DEFAULT ")", "FILE" },
		{ NULL },
	};

	g_option_context_set_summary(oc, "RESULTS: a results directory, as one HTML page: plots, latency, failures,\n"
					 "ptdump ranges and evidence. With RESULTS_B, the two runs side by side.");
	g_option_context_add_main_entries(oc, entries, NULL);
	if (!cli_option_parse(oc, "report", &argc, &argv))
		return CLI_EXIT_USAGE;
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "mhpstress report: expected RESULTS [RESULTS_B] (results directories)\n");
		return CLI_EXIT_USAGE;
	}
	html = mhp_report_html(argv[1], argc == 3 ? argv[2] : NULL, &error);
	if (!html) {
		fprintf(stderr, "mhpstress report: %s\n", error->message);
		return CLI_EXIT_USAGE;
	}
	path = out ? g_strdup(out) : argc == 3 ? g_strdup(REPORT_AB_DEFAULT)
					       : g_build_filename(argv[1], MHP_RESULTS_REPORT, NULL);
	/* 0600 as in the results directory: the page quotes the guest's logs */
	if (!g_file_set_contents_full(path, html, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error)) {
		fprintf(stderr, "mhpstress report: %s\n", error->message);
		return CLI_EXIT_USAGE;
	}
	printf("%s\n", path);
	return CLI_EXIT_PASS;
}
