// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-results-ab.c - mhpstress compare RUN_A RUN_B on results
 * directories written here: a finished run (summary.json, a cut last
 * cycle line), a run with no summary (failures from cycles.jsonl), one
 * with another seed written as an old-style integer, and a directory that
 * is no run. The percentiles are checked against numbers worked out by
 * hand (nearest rank).
 */
#include <string.h>

#include <glib/gstdio.h>

#include "results-ab.h"
#include "tap.h"

static char *base;

static void put(const char *dir, const char *name, const char *text)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);

	if (!g_file_set_contents(path, text, -1, NULL)) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

static char *new_dir(const char *name)
{
	char *dir = g_build_filename(base, name, NULL);

	if (g_mkdir(dir, 0700) < 0) {
		printf("Bail out! cannot make %s\n", dir);
		exit(1);
	}
	return dir;
}

/* One cycle: add takes @add_ms, online @online_ms (phases in ns from the run's start). */
static void cycle(GString *out, int n, const char *verdict, int add_ms, int online_ms, int cycle_ms)
{
	gint64 t = (gint64)n * 1000000000;

	g_string_append_printf(out,
			       "{\"cycle\":%d,\"verdict\":\"%s\",\"cycle_ms\":%d.0,\"phases\":{"
			       "\"add\":{\"start_ns\":%" G_GINT64_FORMAT ",\"end_ns\":%" G_GINT64_FORMAT "},"
			       "\"online\":{\"start_ns\":%" G_GINT64_FORMAT ",\"end_ns\":%" G_GINT64_FORMAT "},"
			       "\"offline\":{\"start_ns\":%" G_GINT64_FORMAT "}}}\n",
			       n, verdict, cycle_ms, t, t + add_ms * (gint64)1000000, t + 100000000, t + 100000000 + online_ms * (gint64)1000000,
			       t + 500000000);
}

#define RUN_JSON                                                                   \
	"{\"seed\":%s,\"kernel_image\":\"%s\",\"vmm\":\"QEMU 9.2.0\","         \
	"\"guest\":{\"kernel\":\"%s\",\"kernel_version\":\"#1 SMP PREEMPT\"},\"scenario\":{\"name\":\"smoke\"}}"

static char *run_a(void)
{
	char *dir = new_dir("a");
	g_autofree char *a_image = g_build_filename(dir, "Image", NULL);
	g_autoptr(GString) c = g_string_new(NULL);
	g_autofree char *run = g_strdup_printf(RUN_JSON, "\"15153715275266450073\"", a_image, "7.3.0");

	put(dir, "run.json", run);
	put(dir, "build-info", "release=7.3.0\nsource=git:0123abcd:e3b0c442\nseconds=894\n");
	put(dir, "summary.json",
	    "{\"verdict\":\"pass\",\"failures\":{},\"trends\":{"
	    "\"PageTables\":{\"slope\":0.5,\"unit\":\"kB\",\"per\":\"cycle\",\"verdict\":\"ok\"},"
	    "\"MemFree\":{\"slope\":-2.25,\"unit\":\"kB\",\"per\":\"cycle\",\"verdict\":\"ok\"}}}");
	for (int i = 1; i <= 4; i++)
		cycle(c, i, "pass", i, 10 * i, 100 * i);
	g_string_append(c, "{\"cycle\":5,\"verdict\":\"pa"); /* a killed writer's last line */
	put(dir, "cycles.jsonl", c->str);
	return dir;
}

static char *run_b(void)
{
	char *dir = new_dir("b");
	g_autoptr(GString) c = g_string_new(NULL);
	g_autofree char *run = g_strdup_printf(RUN_JSON, "\"15153715275266450073\"", "/k/b/Image", "7.3.0-patched");

	put(dir, "run.json", run);
	cycle(c, 1, "pass", 5, 70, 700);
	cycle(c, 2, "online-failed", 5, 80, 800);
	cycle(c, 3, "online-failed", 6, 90, 900);
	put(dir, "cycles.jsonl", c->str);
	return dir;
}

static double num(struct json_object *r, const char *path)
{
	g_auto(GStrv) keys = g_strsplit(path, ".", -1);
	struct json_object *o = r;

	for (int i = 0; keys[i]; i++)
		if (!o || !json_object_object_get_ex(o, keys[i], &o))
			return -1;
	return o ? json_object_get_double(o) : -2;
}

static const char *str(struct json_object *r, const char *side, const char *key)
{
	struct json_object *o, *v;

	return json_object_object_get_ex(r, side, &o) && json_object_object_get_ex(o, key, &v)
		       ? json_object_get_string(v) : NULL;
}

static void test_ab(const char *a, const char *b)
{
	g_autoptr(GError) error = NULL;
	struct json_object *end = json_object_new_object(), *r, *v;
	g_autofree char *text = NULL;

	json_object_object_add(end, "hold", json_object_new_boolean(TRUE));
	r = mhp_ab_compare(a, b, end, &error);
	tap_ok(r != NULL, "two runs compare%s%s", error ? ": " : "", error ? error->message : "");
	if (!r)
		return;
	tap_ok(!g_strcmp0(str(r, "a", "kernel"), "7.3.0") && !g_strcmp0(str(r, "b", "kernel"), "7.3.0-patched"),
	       "each side names its kernel");
	tap_ok(!g_strcmp0(str(r, "b", "kernel_image"), "/k/b/Image"), "and its image");
	tap_ok(!g_strcmp0(str(r, "a", "kernel_source"), "git:0123abcd:e3b0c442") && !str(r, "b", "kernel_source"),
	       "A's source from the build-info beside its Image; B has none");
	tap_ok(!g_strcmp0(str(r, "a", "seed"), "15153715275266450073"), "the seed is the 64-bit string, whole");
	tap_ok(json_object_object_get_ex(r, "same_seed", &v) && json_object_get_boolean(v), "same seed");
	tap_ok(num(r, "a.cycles") == 4 && num(r, "b.cycles") == 3 && num(r, "b.failed_cycles") == 2,
	       "cycles: 4 (the cut line skipped) and 3, 2 failed: %g %g %g", num(r, "a.cycles"), num(r, "b.cycles"),
	       num(r, "b.failed_cycles"));
	tap_ok(!g_strcmp0(str(r, "a", "verdict"), "pass") && !str(r, "b", "verdict"),
	       "A's verdict from summary.json, B has none");
	tap_ok(num(r, "failures.online-failed.a") == 0 && num(r, "failures.online-failed.b") == 2,
	       "online-failed: 0 against 2 (B's from cycles.jsonl)");
	tap_ok(num(r, "trends.PageTables.a.slope") == 0.5 && num(r, "trends.MemFree.a.slope") == -2.25 &&
		       json_object_object_get_ex(json_object_object_get(json_object_object_get(r, "trends"), "PageTables"),
						 "b", &v) && !v,
	       "trend slopes side by side, null where B has no summary");
	/* add: A 1,2,3,4 ms -> p50 rank 2 = 2, p90 rank 4 = 4; B 5,5,6 -> p50 5, max 6 */
	tap_ok(num(r, "latency_ms.add.a.p50") == 2 && num(r, "latency_ms.add.a.p90") == 4 &&
		       num(r, "latency_ms.add.a.max") == 4 && num(r, "latency_ms.add.a.n") == 4,
	       "add latency A: p50 2, p90 4, max 4, n 4: %g %g %g", num(r, "latency_ms.add.a.p50"),
	       num(r, "latency_ms.add.a.p90"), num(r, "latency_ms.add.a.max"));
	tap_ok(num(r, "latency_ms.add.b.p50") == 5 && num(r, "latency_ms.add.b.max") == 6, "add latency B: p50 5, max 6");
	tap_ok(num(r, "latency_ms.online.a.p99") == 40 && num(r, "latency_ms.online.b.p50") == 80,
	       "online latency: A p99 40, B p50 80");
	tap_ok(!json_object_object_get_ex(json_object_object_get(r, "latency_ms"), "offline", NULL),
	       "a phase that never ended has no latency");
	tap_ok(num(r, "latency_ms.cycle.a.p50") == 200 && num(r, "latency_ms.cycle.b.n") == 1 &&
		       num(r, "latency_ms.cycle.b.max") == 700,
	       "whole cycles: passed ones only (A p50 200, B one of 700)");
	tap_ok(num(r, "end.hold") == 1, "the end-state comparison is kept");
	text = mhp_ab_format(r);
	tap_ok(strstr(text, "7.3.0-patched") && strstr(text, "git:0123abcd:e3b0c442") && strstr(text, "  online-failed") && strstr(text, "+0.5 kB/cycle ok") &&
		       strstr(text, "2 / 4 / 4 / 4 (n 4)") && strstr(text, "4 (0 failed)") && strstr(text, "3 (2 failed)") &&
		       !strstr(text, "seeds differ"),
	       "the text has both kernels, the classes, slopes and percentiles");
	if (!strstr(text, "2 / 4 / 4 / 4 (n 4)"))
		printf("# %s", text);
	json_object_put(r);
	json_object_put(end);
}

static void test_other_seed(const char *a)
{
	g_autofree char *dir = new_dir("c");
	g_autofree char *run = g_strdup_printf(RUN_JSON, "42", "/k/c/Image", "6.12.0");
	g_autoptr(GError) error = NULL;
	struct json_object *r, *v;
	g_autofree char *text = NULL;

	put(dir, "run.json", run);
	r = mhp_ab_compare(a, dir, NULL, &error);
	tap_ok(r && json_object_object_get_ex(r, "same_seed", &v) && !json_object_get_boolean(v) &&
		       !g_strcmp0(str(r, "b", "seed"), "42"),
	       "an old integer seed is read; seeds differ");
	if (!r)
		return;
	tap_ok(num(r, "b.cycles") == 0 && json_object_object_get_ex(r, "end", &v) && !v, "no cycles, no end snapshot");
	text = mhp_ab_format(r);
	tap_ok(strstr(text, "seeds differ") && strstr(text, "has no snapshots/end.json"), "the text says so");
	json_object_put(r);
}

static void test_not_a_run(const char *a)
{
	g_autofree char *dir = new_dir("empty");
	g_autoptr(GError) error = NULL;
	struct json_object *r = mhp_ab_compare(a, dir, NULL, &error);

	tap_ok(!r && error && strstr(error->message, dir) && strstr(error->message, "run.json"),
	       "a directory that is no run is named: %s", error ? error->message : "(no error)");
}

int main(void)
{
	g_autofree char *a = NULL, *b = NULL;

	base = g_dir_make_tmp("test-results-ab-XXXXXX", NULL);
	if (!base) {
		printf("Bail out! no temporary directory\n");
		return 1;
	}
	a = run_a();
	b = run_b();
	test_ab(a, b);
	test_other_seed(a);
	test_not_a_run(a);
	return tap_done();
}
