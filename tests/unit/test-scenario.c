// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-scenario.c - every malformed scenario in tests/scenarios/bad fails
 * before boot with the FILE:LINE: [group] key its first line names; the
 * shipped scenarios load with the values they say.
 */
#include <string.h>

#include "scenario.h"
#include "tap.h"

static void test_bad(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *n;

	if (!d) {
		printf("Bail out! cannot open %s\n", dir);
		exit(1);
	}
	while ((n = g_dir_read_name(d)))
		if (g_str_has_suffix(n, ".ini"))
			g_ptr_array_add(names, g_strdup(n));
	g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
	tap_ok(names->len >= 20, "at least 20 malformed scenarios (%u)", names->len);
	for (guint i = 0; i < names->len; i++) {
		g_autofree char *path = g_build_filename(dir, g_ptr_array_index(names, i), NULL);
		g_autofree char *text = NULL;
		g_autoptr(GError) error = NULL;
		g_autoptr(MhpScenario) s = NULL;

		g_file_get_contents(path, &text, NULL, NULL);
		g_assert(text && g_str_has_prefix(text, "# error: "));
		g_autofree char *want = g_strndup(text + 9, strcspn(text + 9, "\n"));
		s = mhp_scenario_load(path, &error);
		tap_ok(!s && error && strstr(error->message, want), "%s fails with '%s'",
		       (char *)g_ptr_array_index(names, i), want);
		if (error && !strstr(error->message, want))
			printf("#   got: %s\n", error->message);
	}
}

static void test_shipped(const char *dir)
{
	g_autofree char *smoke = g_build_filename(dir, "smoke.ini", NULL);
	g_autofree char *soak = g_build_filename(dir, "soak.ini", NULL);
	g_autofree char *neg = g_build_filename(dir, "negative.ini", NULL);
	g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
	g_autoptr(MhpScenario) s = mhp_scenario_load(smoke, &e1);
	g_autoptr(MhpScenario) o = mhp_scenario_load(soak, &e2);
	g_autoptr(MhpScenario) n = mhp_scenario_load(neg, &e3);

	tap_ok(s != NULL, "smoke.ini loads%s%s", e1 ? ": " : "", e1 ? e1->message : "");
	tap_ok(o != NULL, "soak.ini loads%s%s", e2 ? ": " : "", e2 ? e2->message : "");
	tap_ok(n != NULL, "negative.ini loads%s%s", e3 ? ": " : "", e3 ? e3->message : "");
	if (!s || !o || !n)
		return;
	TAP_EQ_U64(s->cycles, 5, "smoke: cycles");
	TAP_EQ_U64(s->dimm.sizes->len, 2, "smoke: two sizes");
	TAP_EQ_U64(g_array_index(s->dimm.sizes, guint64, 1), 512u << 20, "smoke: second size 512M");
	TAP_EQ_U64(s->guest.slots, 8, "smoke: slots");
	TAP_EQ_U64(strcmp(s->name, "smoke"), 0, "smoke: name from the file");
	TAP_EQ_U64(o->duration_ms, 8ull * 3600 * 1000, "soak: 8h");
	TAP_EQ_U64(o->pattern, MHP_PATTERN_RANDOM, "soak: random");
	TAP_EQ_U64(o->dimm.concurrent, 4, "soak: 4 at once");
	TAP_EQ_U64(n->cases->len, 3, "negative: three cases");
	MhpCase *c = g_ptr_array_index(n->cases, 1);
	tap_ok(strcmp(c->name, "misaligned") == 0 && c->size == 64u << 20 && c->expect == MHP_FAIL_ADD_NOT_SEEN,
	       "negative: misaligned case");
	c = g_ptr_array_index(n->cases, 2);
	tap_ok(c->action == MHP_CASE_OFFLINE_BOOT && c->expect_errno->len == 2, "negative: offline-boot case");
	for (const char *const *f = (const char *const[]){ "vmalloc-race.ini", "zonelist-race.ini", "soak-stress.ini", NULL }; *f; f++) {
		g_autofree char *path = g_build_filename(dir, *f, NULL);
		g_autoptr(GError) e = NULL;
		g_autoptr(MhpScenario) x = mhp_scenario_load(path, &e);
		tap_ok(x && x->stressors->len >= 2, "%s loads with its stressors%s%s", *f, e ? ": " : "", e ? e->message : "");
	}
	{
		g_autofree char *path = g_build_filename(dir, "vmalloc-race.ini", NULL);
		g_autoptr(MhpScenario) v = mhp_scenario_load(path, NULL);
		const MhpStressor *t = v ? g_ptr_array_index(v->stressors, 0) : NULL;

		tap_ok(v && v->verify.light && v->verify.full_every == 20, "vmalloc-race: light, full every 20th cycle");
		tap_ok(t && t->huge && t->pages == 512 && t->loops == 1000 && t->rate == 1,
		       "vmalloc-race: test_vmalloc with use_huge, 512 pages, 1000 loops, once a second");
	}
	g_autoptr(GError) e4 = NULL;
	tap_ok(!mhp_scenario_check_guest(s, 512u << 20, &e4) && strstr(e4->message, "256M is not a multiple of the guest's block size 512M"),
	       "re-check against a 512M guest block size");
}

/* Every scenario shipped in @dir (scenarios/, bench/) loads; fleet files are not scenarios. */
static void test_all_load(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *n;
	guint count = 0;

	while (d && (n = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, n, NULL);
		g_autoptr(GError) e = NULL;
		g_autoptr(MhpScenario) x = NULL;

		if (!g_str_has_suffix(n, ".ini") || g_str_has_prefix(n, "fleet"))
			continue;
		x = mhp_scenario_load(path, &e);
		tap_ok(x != NULL, "%s loads%s%s", path, e ? ": " : "", e ? e->message : "");
		count++;
	}
	tap_ok(count > 0, "%s has scenarios (%u)", dir, count);
}

static void test_units(void)
{
	guint64 v = 0;

	tap_ok(mhp_parse_size("512M", &v) && v == 512u << 20, "size 512M");
	tap_ok(mhp_parse_size("1GiB", &v) && v == 1u << 30, "size 1GiB");
	tap_ok(mhp_parse_size("4096", &v) && v == 4096, "size 4096");
	tap_ok(!mhp_parse_size("-1G", &v) && !mhp_parse_size("1.5G", &v) && !mhp_parse_size("", &v) &&
	       !mhp_parse_size("99999999999T", &v), "bad sizes");
	tap_ok(mhp_parse_duration("500ms", &v) && v == 500, "duration 500ms");
	tap_ok(mhp_parse_duration("8h", &v) && v == 8ull * 3600000, "duration 8h");
	tap_ok(mhp_parse_duration("45", &v) && v == 45000, "duration 45 is seconds");
	tap_ok(!mhp_parse_duration("5 s", &v) && !mhp_parse_duration("1y", &v), "bad durations");
}

/* tests/scenarios/hostile: every hostile case once (hello at boot, in hello.ini). */
static void test_hostile(const char *bad_dir)
{
	g_autofree char *top = g_path_get_dirname(bad_dir);
	g_autofree char *path = g_build_filename(top, "hostile", "hostile.ini", NULL);
	g_autofree char *hello = g_build_filename(top, "hostile", "hello.ini", NULL);
	g_autoptr(GError) e1 = NULL, e2 = NULL;
	g_autoptr(MhpScenario) s = mhp_scenario_load(path, &e1);
	g_autoptr(MhpScenario) h = mhp_scenario_load(hello, &e2);
	guint seen[_HOSTILE_MAX] = { 0 }, once = 0;

	tap_ok(s != NULL, "hostile.ini loads%s%s", e1 ? ": " : "", e1 ? e1->message : "");
	tap_ok(h != NULL, "hostile/hello.ini loads%s%s", e2 ? ": " : "", e2 ? e2->message : "");
	if (!s || !h)
		return;
	for (guint i = 0; i < s->cases->len; i++) {
		const MhpCase *c = g_ptr_array_index(s->cases, i);

		seen[c->hostile]++;
		if (strcmp(c->name, hostile_case_names[c->hostile]) != 0)
			tap_ok(0, "case '%s' is named after its hostile case", c->name);
	}
	for (int i = HOSTILE_NONE + 1; i < _HOSTILE_MAX; i++)
		once += seen[i] == (i == HOSTILE_HELLO_BLOCK_SIZE_1 ? 0u : 1u);
	TAP_EQ_U64(once, _HOSTILE_MAX - 1, "hostile.ini has every hostile case but hello once");
	TAP_EQ_U64(seen[HOSTILE_NONE], 0, "and no case without one");
	tap_ok(s->cases->len >= 23, "at least 23 cases (%u)", s->cases->len);
	tap_ok(strstr(s->guest.append, "mhpstress.agent_args=--hostile") != NULL, "hostile.ini starts the agent with --hostile");
	tap_ok(strstr(h->guest.append, "--hostile=hello-block-size-1") != NULL &&
	       hostile_case_from_string("hello-block-size-1") == HOSTILE_HELLO_BLOCK_SIZE_1,
	       "hello.ini arms hello-block-size-1 from the agent's start");
	tap_ok(hostile_case_from_string("none") == _HOSTILE_INVALID && hostile_case_from_string(NULL) == _HOSTILE_INVALID,
	       "'none' is not a hostile case");
}

int main(int argc, char **argv)
{
	test_bad(argv[1]);
	test_hostile(argv[1]);
	test_shipped(argv[2]);
	test_all_load(argv[2]);
	test_all_load(argv[3]);
	test_units();
	return tap_done();
}
