// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report.c - mhpstress report: a results directory (or two, A/B) as one
 * self-contained HTML page (results-report.c); mhpstress bugreport: its
 * evidence/report.md files written again (bugreport.c).
 */
#include <stdio.h>

#include "bugreport.h"
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

/*
 * bugreport RESULTS: evidence/report.md written again for each evidence
 * directory, e.g. decoded against the developer's own vmlinux and tree.
 */
int verb_bugreport(int argc, char **argv, void *userdata)
{
	g_autofree char *vmlinux = NULL, *src = NULL;
	g_autoptr(GOptionContext) oc = g_option_context_new("RESULTS");
	g_autoptr(GPtrArray) dirs = NULL;
	MhpBugReportOptions o = { 0 };
	int rc = CLI_EXIT_PASS;
	GOptionEntry entries[] = {
		{ "vmlinux", 0, 0, G_OPTION_ARG_FILENAME, &vmlinux, "decode against this vmlinux (default: the one next "
		  "to the run's kernel image)", "FILE" },
		{ "src", 0, 0, G_OPTION_ARG_FILENAME, &src, "the kernel source tree it was built from (default: build-info's)",
		  "DIR" },
		{ NULL },
	};

	g_option_context_set_summary(oc, "Write RESULTS/evidence*/report.md again: a title in syzbot's style, the trace\n"
					 "decoded with the kernel's scripts/decode_stacktrace.sh, the kernel, QEMU,\n"
					 "seed and replay command. Every run writes them when it ends.");
	g_option_context_add_main_entries(oc, entries, NULL);
	if (!cli_option_parse(oc, "bugreport", &argc, &argv))
		return CLI_EXIT_USAGE;
	if (argc != 2) {
		fprintf(stderr, "mhpstress bugreport: expected RESULTS (a results directory)\n");
		return CLI_EXIT_USAGE;
	}
	if (!g_file_test(argv[1], G_FILE_TEST_IS_DIR)) {
		fprintf(stderr, "mhpstress bugreport: '%s': no such directory\n", argv[1]);
		return CLI_EXIT_USAGE;
	}
	if (vmlinux && !g_file_test(vmlinux, G_FILE_TEST_IS_REGULAR)) {
		fprintf(stderr, "mhpstress bugreport: --vmlinux '%s': no such file\n", vmlinux);
		return CLI_EXIT_USAGE;
	}
	if (src && !g_file_test(src, G_FILE_TEST_IS_DIR)) {
		fprintf(stderr, "mhpstress bugreport: --src '%s': no such directory\n", src);
		return CLI_EXIT_USAGE;
	}
	dirs = mhp_results_evidence_dirs(argv[1]);
	if (!dirs->len) {
		fprintf(stderr, "mhpstress bugreport: '%s' has no evidence directory (the run found no kernel failure)\n",
			argv[1]);
		return CLI_EXIT_USAGE;
	}
	o.vmlinux = vmlinux;
	o.srcdir = src;
	for (guint i = 0; i < dirs->len; i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *title = mhp_bugreport_title(g_ptr_array_index(dirs, i));

		if (!mhp_bugreport_write(argv[1], g_ptr_array_index(dirs, i), &o, &error)) {
			fprintf(stderr, "mhpstress bugreport: %s\n", error->message);
			rc = CLI_EXIT_USAGE;
			continue;
		}
		printf("%s/%s: %s\n", (const char *)g_ptr_array_index(dirs, i), MHP_EVIDENCE_REPORT, title);
	}
	return rc;
}
