// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-failclass.c - one list of failure classes: the enum's name table,
 * what a scenario's `expect` accepts and the table in
 * docs/scenario-format.md (argv[1]) name exactly the same classes; and
 * summary.json written from a cycles.jsonl (an interrupted run's) counts
 * the classes by those names.
 */
#include <glib/gstdio.h>
#include <string.h>

#include "failclass.h"
#include "failure.h"
#include "results.h"
#include "scenario.h"
#include "tap.h"

static void test_table(void)
{
	for (int i = 0; i < _MHP_FAIL_MAX; i++) {
		const char *n = mhp_fail_class_to_string(i);

		tap_ok(n && mhp_fail_class_from_string(n) == (MhpFailClass)i, "'%s' round-trips to %d", n ? n : "(null)", i);
	}
	tap_ok(!strcmp(mhp_fail_class_to_string(MHP_FAIL_NONE), "pass"), "MHP_FAIL_NONE is 'pass'");
	tap_ok(mhp_fail_class_to_string(_MHP_FAIL_MAX) == NULL, "_MHP_FAIL_MAX has no name");
	tap_ok(mhp_fail_class_from_string("no-such-class") == _MHP_FAIL_INVALID, "an unknown name is invalid");
	tap_ok(mhp_fail_class_from_string(NULL) == _MHP_FAIL_INVALID, "NULL is invalid");
	tap_ok(mhp_fail_class_is_fatal(MHP_FAIL_PANIC) && mhp_fail_class_is_fatal(MHP_FAIL_HANG) &&
	       mhp_fail_class_is_fatal(MHP_FAIL_QEMU_EXITED) && !mhp_fail_class_is_fatal(MHP_FAIL_KERNEL_WARNING) &&
	       !mhp_fail_class_is_fatal(MHP_FAIL_NONE), "panic, hang and qemu-exited are fatal, the rest not");
	tap_ok(mhp_failure_classify("[  1.0] Kernel panic - not syncing") == MHP_FAIL_PANIC &&
	       mhp_failure_classify("an ordinary line") == MHP_FAIL_NONE, "the classifier returns the enum");
}

static MhpScenario *load_with_expect(const char *name, GError **error)
{
	g_autofree char *text = g_strdup_printf("[scenario]\non-failure = continue\n\n[case c]\nexpect = %s\n", name);

	return mhp_scenario_load_data("expect.ini", text, error);
}

static void test_parser(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MhpScenario) bad = NULL;

	for (int i = 0; i < _MHP_FAIL_MAX; i++) {
		const char *n = mhp_fail_class_to_string(i);
		g_autoptr(GError) err = NULL;
		g_autoptr(MhpScenario) s = load_with_expect(n, &err);
		MhpCase *c = s && s->cases->len ? g_ptr_array_index(s->cases, 0) : NULL;

		tap_ok(c && c->expect == (MhpFailClass)i, "expect = %s is accepted%s%s", n, err ? ": " : "",
		       err ? err->message : "");
	}
	bad = load_with_expect("no-such-class", &error);
	tap_ok(!bad && error && strstr(error->message, "'no-such-class' is not one of"), "an unknown expect is refused");
}

/* The names in the first column of the table under "## Failure classes". */
static GPtrArray *docs_classes(const char *path)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	gboolean in = FALSE;

	if (!g_file_get_contents(path, &text, NULL, NULL)) {
		printf("Bail out! cannot read %s\n", path);
		exit(1);
	}
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i]; i++) {
		const char *l = lines[i];

		if (g_str_has_prefix(l, "## ")) {
			in = strcmp(l, "## Failure classes") == 0;
			continue;
		}
		if (!in)
			continue;
		if (g_str_has_prefix(l, "| `")) {
			const char *end = strchr(l + 3, '`');

			if (end)
				g_ptr_array_add(names, g_strndup(l + 3, (gsize)(end - l - 3)));
		} else if (names->len && !g_str_has_prefix(l, "|")) {
			break; /* the table ended */
		}
	}
	return names;
}

static void test_docs(const char *path)
{
	g_autoptr(GPtrArray) names = docs_classes(path);

	/* every class but "pass" (MHP_FAIL_NONE) has a row, in enum order */
	TAP_EQ_U64(names->len, _MHP_FAIL_MAX - 1, "docs: one row per failure class");
	for (guint i = 0; i < names->len; i++) {
		const char *n = g_ptr_array_index(names, i);
		MhpFailClass c = mhp_fail_class_from_string(n);

		tap_ok(c > MHP_FAIL_NONE && (guint)c == i + 1, "docs row %u '%s' is class %u", i + 1, n, i + 1);
	}
}

static void test_summary(void)
{
	g_autofree char *dir = g_dir_make_tmp("test-failclass-XXXXXX", NULL);
	g_autofree char *cycles = g_build_filename(dir, MHP_RESULTS_CYCLES, NULL);
	g_autofree char *path = g_build_filename(dir, MHP_RESULTS_SUMMARY, NULL);
	MhpSummary s = { .verdict = MHP_VERDICT_INTERRUPTED, .message = "ended", .partial = TRUE };
	g_autoptr(GError) error = NULL;
	struct json_object *o, *f, *v;

	g_file_set_contents(cycles, "{\"cycle\":1,\"verdict\":\"pass\"}\n"
				    "{\"cycle\":2,\"verdict\":\"stuck-task\"}\n"
				    "{\"cycle\":3,\"verdict\":\"stuck-task\"}\n"
				    "{\"cycle\":4,\"verd", -1, NULL);
	mhp_summary_from_cycles(dir, &s);
	TAP_EQ_U64(s.cycles, 3, "summary: whole lines are cycles");
	TAP_EQ_U64(s.failed_cycles, 2, "summary: two failed");
	TAP_EQ_U64(s.failures[MHP_FAIL_STUCK_TASK], 2, "summary: both stuck-task");
	tap_ok(mhp_summary_write(dir, &s, &error), "summary: written");
	o = json_object_from_file(path);
	tap_ok(o && json_object_object_get_ex(o, "verdict", &v) && !strcmp(json_object_get_string(v), "interrupted") &&
	       json_object_object_get_ex(o, "failures", &f) && json_object_object_get_ex(f, "stuck-task", &v) &&
	       json_object_get_int64(v) == 2 && json_object_object_get_ex(o, "latency_ms", NULL) &&
	       !json_object_object_get_ex(o, "trends", NULL), "summary: interrupted, stuck-task 2, no trends");
	json_object_put(o);
	g_unlink(path);
	g_unlink(cycles);
	g_rmdir(dir);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		printf("Bail out! usage: test-failclass docs/scenario-format.md\n");
		return 1;
	}
	test_table();
	test_parser();
	test_docs(argv[1]);
	test_summary();
	return tap_done();
}
