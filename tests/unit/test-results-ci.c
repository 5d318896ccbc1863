// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-results-ci.c - results.ktap and junit.xml from recorded runs: a
 * stopped run with a hostile failure detail, a run that never booted, an
 * interrupted one; checked by tests/tools/check-ktap.py (KTAP v1 grammar)
 * and check-junit.py (XML, one testcase per cycle), which are first shown
 * to reject broken files.
 *
 * usage: test-results-ci PYTHON3 CHECK-KTAP CHECK-JUNIT
 */
#include <string.h>

#include <glib/gstdio.h>

#include "results-ci.h"
#include "results.h"
#include "tap.h"

static const char *python, *check_ktap, *check_junit;
static char *base;

/* Run a checker; its stderr goes to the TAP log as a comment. */
static int run_checker(const char *const *argv)
{
	g_autofree char *err = NULL;
	gint status = -1;

	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err, &status, NULL)) {
		printf("Bail out! cannot run %s\n", argv[1]);
		exit(1);
	}
	if (err && *err)
		printf("#   %s", err);
	return g_spawn_check_wait_status(status, NULL) ? 0 : 1;
}

static int ktap_ok(const char *path, int tests)
{
	g_autofree char *n = g_strdup_printf("%d", tests);
	const char *argv[] = { python, check_ktap, path, "--tests", n, NULL };

	return run_checker(argv) == 0;
}

static int junit_ok(const char *path, int tests, int failures, int errors, int skipped)
{
	g_autofree char *t = g_strdup_printf("%d", tests), *f = g_strdup_printf("%d", failures);
	g_autofree char *e = g_strdup_printf("%d", errors), *s = g_strdup_printf("%d", skipped);
	const char *argv[] = { python, check_junit, path, t, f, e, s, NULL };

	return run_checker(argv) == 0;
}

static char *put(const char *dir, const char *name, const char *text)
{
	char *path = g_build_filename(dir, name, NULL);

	if (!g_file_set_contents(path, text, -1, NULL)) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	return path;
}

static char *new_dir(const char *name)
{
	char *dir = g_build_filename(base, name, NULL);

	g_mkdir(dir, 0700);
	return dir;
}

static char *slurp(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	size_t len;

	return tap_slurp(path, &len);
}

/* The checkers catch what they are for, or their passes mean nothing. */
static void test_checkers(void)
{
	g_autofree char *dir = new_dir("checkers");
	static const struct {
		const char *text, *what;
	} bad_ktap[] = {
		{ "1..1\nok 1 a\n", "no version line" },
		{ "KTAP version 1\n1..2\nok 1 a\n", "a plan of 2 with one result" },
		{ "KTAP version 1\nok 1 a\nok 3 b\n", "a number skipped" },
		{ "KTAP version 1\nok 1 a#b\n", "a '#' in a description" },
		{ "KTAP version 1\nok 1 a # ERROR boom\n", "ERROR with ok" },
		{ "KTAP version 1\nok 1 a\n1..1\n", "the plan at the end" },
		{ "KTAP version 1\nok 1 a\x01\n", "a control character" },
		{ "KTAP version 1\nbanner\nok 1 a\n", "an unknown line" },
		{ "KTAP version 1\nok 1 a", "no final newline" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad_ktap); i++) {
		g_autofree char *path = put(dir, "bad.ktap", bad_ktap[i].text);

		tap_ok(!ktap_ok(path, 1), "check-ktap rejects %s", bad_ktap[i].what);
	}
	{
		g_autofree char *path = put(dir, "good.ktap", "KTAP version 1\n1..2\n# hello\nok 1 a\nnot ok 2 b # SKIP c\n");

		tap_ok(ktap_ok(path, 2), "check-ktap accepts a good file");
		tap_ok(!ktap_ok(path, 3), "check-ktap checks the number of tests");
	}
	{
		g_autofree char *broken = put(dir, "broken.xml", "<testsuite tests=\"1\"><testcase name=\"a\"></testsuite>");
		g_autofree char *good = put(dir, "good.xml", "<?xml version=\"1.0\"?>\n<testsuite tests=\"1\" failures=\"1\" "
					    "errors=\"0\" skipped=\"0\"><testcase name=\"a\"><failure type=\"x\" "
					    "message=\"m\">d</failure></testcase></testsuite>\n");

		tap_ok(!junit_ok(broken, 1, 0, 0, 0), "check-junit rejects XML that does not parse");
		tap_ok(junit_ok(good, 1, 1, 0, 0), "check-junit accepts a good file");
		tap_ok(!junit_ok(good, 2, 1, 0, 0), "check-junit checks the number of testcases");
	}
}

/*
 * 5 planned, 3 recorded and a half line, stopped: a pass, a warning whose
 * detail has markup, a control character, a '#', a bad UTF-8 byte and 40
 * lines, a [case] that ended as expected; then 2 skipped.
 */
static void test_stopped_run(void)
{
	g_autofree char *dir = new_dir("stopped");
	g_autofree char *ktap = NULL, *junit = NULL, *ktap_path = g_build_filename(dir, MHP_RESULTS_KTAP, NULL);
	g_autofree char *junit_path = g_build_filename(dir, MHP_RESULTS_JUNIT, NULL);
	GString *cycles = g_string_new(NULL), *detail = g_string_new("WARNING: CPU: 1 PID: 7 at mm/x.c:12 <f>&\\\"'\\u0001 # x \xff");
	g_autoptr(GError) err = NULL;
	char *p;

	for (int i = 0; i < 40; i++)
		g_string_append_printf(detail, "\\n  frame %d", i);
	g_string_append(cycles, "{\"cycle\":1,\"verdict\":\"pass\",\"slot\":0,\"size\":536870912,\"zone\":\"movable\",\"cycle_ms\":77.94}\n");
	g_string_append_printf(cycles, "{\"cycle\":2,\"verdict\":\"kernel-warning\",\"detail\":\"%s\",\"slot\":1,"
			       "\"size\":536870912,\"zone\":\"normal\",\"cycle_ms\":1200.5}\n", detail->str);
	g_string_append(cycles, "{\"cycle\":3,\"case\":\"busy#1 <x>\",\"expected\":\"offline-failed\",\"outcome\":\"offline-failed\","
			"\"verdict\":\"pass\",\"slot\":2,\"size\":134217728,\"zone\":\"movable\",\"cycle_ms\":5}\n{\"cycle\":4,");
	g_free(put(dir, MHP_RESULTS_RUN, "{\"seed\":\"15153715275266450073\",\"cycles\":5,\"started\":1700000000,"
					 "\"kernel_image\":\"/k/Image\",\"scenario\":{\"name\":\"smoke\"}}"));
	g_free(put(dir, MHP_RESULTS_CYCLES, cycles->str));
	g_free(put(dir, MHP_RESULTS_SUMMARY, "{\"verdict\":\"fail\",\"cycles\":3,\"stopped\":true,\"elapsed_ms\":9000,"
					     "\"failures\":{\"kernel-warning\":1,\"leak\":2}}"));
	g_string_free(cycles, TRUE);
	g_string_free(detail, TRUE);

	tap_ok(mhp_results_write_ci(dir, &err), "a stopped run's CI files are written (%s)", err ? err->message : "ok");
	ktap = slurp(dir, MHP_RESULTS_KTAP);
	junit = slurp(dir, MHP_RESULTS_JUNIT);
	tap_ok(ktap_ok(ktap_path, 5), "results.ktap is KTAP v1 with 5 tests: 3 cycles and 2 planned ones");
	tap_ok(junit_ok(junit_path, 5, 1, 0, 2), "junit.xml: 5 testcases, 1 failure, 2 skipped");
	tap_ok(strstr(ktap, "KTAP version 1\n1..5\n# mhpstress ") == ktap && strstr(ktap, "seed 15153715275266450073\n"),
	       "KTAP: version, the plan, a banner with the seed");
	tap_ok(strstr(ktap, "\nok 1 cycle-1\n") && strstr(ktap, "\n# kernel-warning\n#   WARNING: CPU: 1 PID: 7 at mm/x.c:12 "
								 "<f>&\"'? # x \xef\xbf\xbd\n") &&
		       strstr(ktap, "\nnot ok 2 cycle-2\n"),
	       "KTAP: the failure's class and detail as diagnostics, cleaned, before 'not ok'");
	tap_ok(strstr(ktap, "#   frame 30\n#   (9 more lines)\n") && !strstr(ktap, "frame 31"),
	       "KTAP: a detail is cut at 32 lines and says how many are left");
	tap_ok(strstr(ktap, "\n# case expects offline-failed, ended in offline-failed\nok 3 cycle-3 busy_1 <x>\n") != NULL,
	       "KTAP: a [case] ended as expected is ok, its name without '#'");
	tap_ok(strstr(ktap, "\nok 4 cycle-4 # SKIP not run: the run was stopped\nok 5 cycle-5 # SKIP") != NULL,
	       "KTAP: the planned cycles a stop left are skipped");
	tap_ok(strstr(ktap, "# trends: 2 series say memory leaks") && g_str_has_suffix(ktap, "# verdict: fail\n"),
	       "KTAP: the leak and the verdict close the file");
	tap_ok(strstr(junit, "type=\"kernel-warning\"") && strstr(junit, "&lt;f&gt;&amp;&quot;&apos;? # x \xef\xbf\xbd") &&
		       !strstr(junit, "&#x1;"),
	       "junit.xml: the class is the failure type; markup escaped, control characters dropped");
	tap_ok(strstr(junit, "name=\"cycle-3 busy#1 &lt;x&gt;\"") || strstr(junit, "name=\"cycle-3 busy_1 &lt;x&gt;\""),
	       "junit.xml: the case name escaped");
	tap_ok(strstr(junit, "time=\"0.078\"") && strstr(junit, "time=\"9.000\"") &&
		       strstr(junit, "timestamp=\"2023-11-14T22:13:20\""),
	       "junit.xml: times in seconds, the start as a timestamp");
	p = strstr(junit, "<property name=\"seed\" value=\"15153715275266450073\"/>");
	tap_ok(p != NULL, "junit.xml: the seed is a property");

	/* --ktap's live stream: the same tests, without a plan */
	{
		GString *live = g_string_new("KTAP version 1\n");
		g_autofree char *live_path = NULL;
		struct json_object *c1 = json_tokener_parse("{\"cycle\":1,\"verdict\":\"pass\",\"slot\":0,\"size\":536870912,\"zone\":\"movable\"}");

		mhp_ktap_cycle(live, c1, 1);
		TAP_EQ_U64(mhp_ktap_tail(dir, 1, live), 4, "the live tail after 1 cycle: 4 planned cycles not run");
		live_path = put(dir, "live.ktap", live->str);
		tap_ok(ktap_ok(live_path, 5), "the live stream is KTAP v1 too");
		json_object_put(c1);
		g_string_free(live, TRUE);
	}
	{
		g_autofree char *sym = g_build_filename(dir, "results.ktap", NULL);
		struct stat st;

		tap_ok(g_stat(sym, &st) == 0 && (st.st_mode & 0777) == 0600, "results.ktap is 0600");
	}
}

/* The guest never booted: no cycle, bounded by time. */
static void test_no_boot(void)
{
	g_autofree char *dir = new_dir("no-boot");
	g_autofree char *ktap = NULL, *junit = NULL, *ktap_path = g_build_filename(dir, MHP_RESULTS_KTAP, NULL);
	g_autofree char *junit_path = g_build_filename(dir, MHP_RESULTS_JUNIT, NULL);

	g_free(put(dir, MHP_RESULTS_SUMMARY, "{\"verdict\":\"error\",\"message\":\"the guest agent did not answer\\nwithin 10 s\","
					     "\"cycles\":0,\"stopped\":false}"));
	tap_ok(mhp_results_write_ci(dir, NULL), "a run without run.json or cycles gets CI files");
	ktap = slurp(dir, MHP_RESULTS_KTAP);
	junit = slurp(dir, MHP_RESULTS_JUNIT);
	tap_ok(ktap_ok(ktap_path, 1) && junit_ok(junit_path, 1, 0, 1, 0), "one test, an error, in both");
	tap_ok(strstr(ktap, "\n1..1\n") &&
		       strstr(ktap, "\nnot ok 1 cycle-1 # ERROR not run: the guest agent did not answer within 10 s\n"),
	       "KTAP: 'not ok # ERROR' with the message on one line");
	tap_ok(strstr(junit, "<error message=\"not run: the guest agent did not answer within 10 s\" type=\"not-run\"/>") &&
		       strstr(junit, "<system-err>the guest agent did not answer\nwithin 10 s</system-err>"),
	       "junit.xml: an <error>, and the message as system-err");
}

/* A daemon died: cycles, no summary.json, no plan. */
static void test_interrupted(void)
{
	g_autofree char *dir = new_dir("interrupted");
	g_autofree char *ktap = NULL, *ktap_path = g_build_filename(dir, MHP_RESULTS_KTAP, NULL);
	g_autofree char *junit_path = g_build_filename(dir, MHP_RESULTS_JUNIT, NULL);

	g_free(put(dir, MHP_RESULTS_RUN, "{\"seed\":12,\"cycles\":0}"));
	g_free(put(dir, MHP_RESULTS_CYCLES, "{\"cycle\":1,\"verdict\":\"pass\"}\n{\"cycle\":2,\"verdict\":\"hang\"}\n"));
	tap_ok(mhp_results_write_ci(dir, NULL), "an interrupted run gets CI files");
	ktap = slurp(dir, MHP_RESULTS_KTAP);
	tap_ok(ktap_ok(ktap_path, 2) && junit_ok(junit_path, 2, 1, 0, 0), "its two cycles, one failed, in both");
	tap_ok(strstr(ktap, "seed 12\n") && g_str_has_suffix(ktap, "# verdict: unknown (no summary.json)\n"),
	       "a legacy integer seed is read; the verdict is unknown");
}

/* mhpstress run's line per cycle off a terminal. */
static void test_log_line(void)
{
	struct json_object *pass = json_tokener_parse("{\"cycle\":3,\"verdict\":\"pass\",\"slot\":0,\"dimm\":\"dimm3\","
						      "\"size\":536870912,\"zone\":\"movable\",\"cycle_ms\":1234.4}");
	struct json_object *fail = json_tokener_parse("{\"cycle\":4,\"verdict\":\"kernel-warning\",\"slot\":1,\"dimm\":\"dimm4\","
						      "\"size\":134217728,\"zone\":\"normal\",\"cycle_ms\":5,"
						      "\"detail\":\"  \\u001b[2JWARNING: at mm/x.c:1\\nsecond line\"}");
	struct json_object *kase = json_tokener_parse("{\"verdict\":\"pass\",\"case\":\"busy\",\"expected\":\"offline-failed\","
						      "\"slot\":2,\"dimm\":\"dimm5\",\"size\":134217728,\"zone\":\"movable\"}");
	g_autofree char *a = mhp_cycle_log_line(pass, 3, 10), *b = mhp_cycle_log_line(fail, 4, 0);
	g_autofree char *c = mhp_cycle_log_line(kase, 5, 10);

	tap_ok(!strcmp(a, "cycle 3/10: pass in 1234 ms (slot 0, dimm3, 512 MiB, movable)"), "log line of a pass: %s", a);
	tap_ok(!strcmp(b, "cycle 4: kernel-warning in 5 ms (slot 1, dimm4, 128 MiB, normal): ?[2JWARNING: at mm/x.c:1"),
	       "log line of a failure, bounded by time: the detail's first line, its escape defused: %s", b);
	tap_ok(!strcmp(c, "cycle 5/10 busy (expects offline-failed): pass (slot 2, dimm5, 128 MiB, movable)"),
	       "log line of a [case]: %s", c);
	json_object_put(pass);
	json_object_put(fail);
	json_object_put(kase);
}

static void test_unwritable(void)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *dir = g_build_filename(base, "missing", NULL);

	tap_ok(!mhp_results_write_ci(dir, &err) && err && strstr(err->message, "results.ktap"),
	       "a directory that is not there: an error naming results.ktap (%s)", err ? err->message : "none");
}

int main(int argc, char **argv)
{
	g_autoptr(GError) err = NULL;

	if (argc != 4) {
		printf("Bail out! usage: test-results-ci PYTHON3 CHECK-KTAP CHECK-JUNIT\n");
		return 1;
	}
	python = argv[1];
	check_ktap = argv[2];
	check_junit = argv[3];
	base = g_dir_make_tmp("test-results-ci-XXXXXX", &err);
	if (!base) {
		printf("Bail out! cannot make a temporary directory: %s\n", err->message);
		return 1;
	}
	test_checkers();
	test_stopped_run();
	test_no_boot();
	test_interrupted();
	test_unwritable();
	test_log_line();
	{
		const char *rm[] = { "rm", "-rf", base, NULL };
		g_spawn_sync(NULL, (char **)rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
	}
	g_free(base);
	return tap_done();
}
