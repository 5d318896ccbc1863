// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-backend-qemu.c - the QEMU command line: a ',' or '=' in the scenario
 * name, the results directory or the run directory stays inside its value.
 *
 * Each option list is split here as QEMU's option parser splits it (a ','
 * ends a value, ",," is a comma in it, the first item may be a value of
 * the list's implied key), so an injected option shows up as an extra key.
 */
#include <string.h>

#include "qemu/backend-qemu.h"
#include "scenario.h"
#include "tap.h"

#define EVIL_NAME "x,debug-threads=off,y=z"
#define EVIL_RESULTS "/r,logfile=/tmp/own,q"
#define EVIL_RUNDIR "/run/d=1,server=off,w"

/*
 * "k=v,k=v" as QEMU reads it (util/qemu-option.c): a first item with a ','
 * or its end before any '=' is @implied's value; ",," is a comma in a value.
 */
static GHashTable *parse_opts(const char *list, const char *implied)
{
	GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	const char *p = list;

	while (*p) {
		gboolean is_implied = implied && p == list && p[strcspn(p, "=,")] != '=';
		g_autoptr(GString) item = g_string_new(NULL);
		char *sep;

		for (; *p; p++) {
			if (*p == ',' && p[1] == ',') {
				g_string_append_c(item, ',');
				p++;
			} else if (*p == ',') {
				p++;
				break;
			} else {
				g_string_append_c(item, *p);
			}
		}
		sep = strchr(item->str, '=');
		if (is_implied)
			g_hash_table_insert(h, g_strdup(implied), g_strdup(item->str));
		else if (sep)
			g_hash_table_insert(h, g_strndup(item->str, (gsize)(sep - item->str)), g_strdup(sep + 1));
		else
			g_hash_table_insert(h, g_strdup(item->str), g_strdup("on"));
	}
	return h;
}

/* @opts has exactly the keys in @keys (NULL-terminated). */
static gboolean has_keys(GHashTable *opts, const char *const *keys)
{
	guint n = 0;

	for (; keys[n]; n++)
		if (!g_hash_table_contains(opts, keys[n]))
			return FALSE;
	return g_hash_table_size(opts) == n;
}

/* The argument after the @nth (from 0) @flag in @argv, or NULL. */
static const char *arg_after(GPtrArray *argv, const char *flag, guint nth)
{
	for (guint i = 0; i + 1 < argv->len; i++)
		if (strcmp(g_ptr_array_index(argv, i), flag) == 0 && nth-- == 0)
			return g_ptr_array_index(argv, i + 1);
	return NULL;
}

static void test_escape(void)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "", "" }, { "plain", "plain" }, { "a,b", "a,,b" }, { ",", ",," }, { "a,,b", "a,,,,b" }, { "a=b", "a=b" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = mhp_backend_qemu_opt_escape(cases[i].in);

		tap_ok(strcmp(got, cases[i].out) == 0, "escape '%s' -> '%s' (got '%s')", cases[i].in, cases[i].out, got);
	}
}

static void test_argv(void)
{
	g_autoptr(GError) e = NULL;
	g_autoptr(MhpScenario) s = mhp_scenario_load_data("evil.ini", "[scenario]\nname = " EVIL_NAME "\n", &e);
	MhpBackendConfig cfg = { .scenario = s, .kernel = "/k,x=1/Image", .initrd = "/k,x=1/initrd",
				 .results_dir = EVIL_RESULTS };
	g_autoptr(GPtrArray) argv = NULL;
	const char *name, *qmp, *con, *agent, *mon;

	if (!s) {
		printf("Bail out! the scenario did not load: %s\n", e->message);
		exit(1);
	}
	tap_ok(strcmp(s->name, EVIL_NAME) == 0, "a scenario name may hold ',' and '='");
	argv = mhp_backend_qemu_argv(&cfg, EVIL_RUNDIR);
	name = arg_after(argv, "-name", 0);
	qmp = arg_after(argv, "-chardev", 0);
	con = arg_after(argv, "-chardev", 1);
	agent = arg_after(argv, "-chardev", 2);
	mon = arg_after(argv, "-mon", 0);
	if (!name || !qmp || !con || !agent || !mon) {
		printf("Bail out! the command line lacks -name, -mon or three -chardev\n");
		exit(1);
	}

	{
		g_autoptr(GHashTable) o = parse_opts(name, "guest");
		static const char *const keys[] = { "guest", "debug-threads", NULL };

		tap_ok(has_keys(o, keys), "-name '%s': only guest and debug-threads", name);
		tap_ok(!g_strcmp0(g_hash_table_lookup(o, "guest"), "mhpstress-" EVIL_NAME), "-name: the whole name");
		tap_ok(!g_strcmp0(g_hash_table_lookup(o, "debug-threads"), "on"), "-name: debug-threads stays on");
	}
	{
		g_autoptr(GHashTable) o = parse_opts(qmp, "backend");
		static const char *const keys[] = { "backend", "id", "path", "server", "wait", NULL };

		tap_ok(has_keys(o, keys), "QMP -chardev '%s': no extra keys", qmp);
		tap_ok(!g_strcmp0(g_hash_table_lookup(o, "id"), "qmp0"), "QMP: id qmp0");
		tap_ok(!g_strcmp0(g_hash_table_lookup(o, "path"), EVIL_RUNDIR "/qmp.sock"), "QMP: the whole path");
		tap_ok(!g_strcmp0(g_hash_table_lookup(o, "server"), "on"), "QMP: server stays on");
		tap_ok(!g_strcmp0(mon, "chardev=qmp0,mode=control"), "-mon: QMP on qmp0");
	}
	{
		g_autoptr(GHashTable) o = parse_opts(con, "backend");
		static const char *const keys[] = { "backend", "id", "path", "server", "wait", "logfile", "logappend", NULL };

		tap_ok(has_keys(o, keys), "console -chardev '%s': no extra keys", con);
		tap_ok(!g_strcmp0(g_hash_table_lookup(o, "path"), EVIL_RUNDIR "/console.sock"), "console: the whole path");
		tap_ok(!g_strcmp0(g_hash_table_lookup(o, "logfile"), EVIL_RESULTS "/console.log"),
		       "console: the whole logfile path");
		tap_ok(!g_strcmp0(g_hash_table_lookup(o, "id"), "con0"), "console: id con0");
	}
	{
		g_autoptr(GHashTable) o = parse_opts(agent, "backend");
		static const char *const keys[] = { "backend", "id", "path", "server", "wait", NULL };

		tap_ok(has_keys(o, keys), "agent -chardev '%s': no extra keys", agent);
		tap_ok(!g_strcmp0(g_hash_table_lookup(o, "path"), EVIL_RUNDIR "/agent.sock"), "agent: the whole path");
	}
	/* QEMU takes these whole (checked against QEMU 7.2: qom-get /machine kernel) */
	tap_ok(!g_strcmp0(arg_after(argv, "-kernel", 0), "/k,x=1/Image"), "-kernel: the path as it is");
	tap_ok(!g_strcmp0(arg_after(argv, "-initrd", 0), "/k,x=1/initrd"), "-initrd: the path as it is");
}

int main(void)
{
	test_escape();
	test_argv();
	return tap_done();
}
