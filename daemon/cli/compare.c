// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * compare.c - mhpstress compare (two snapshots, a run's baseline and
 * end, or two whole runs side by side) and mhpstress snapshot (one from an
 * agent socket, for a guest started by hand).
 */
#include <stdio.h>

#include <gio/gio.h>
#include <json-c/json.h>

#include "accounting.h"
#include "agent-link.h"
#include "cli.h"
#include "results-ab.h"

#define SNAPSHOT_MAX_BYTES (256u << 20)

static struct json_object *load_snapshot(const char *path, GError **error)
{
	g_autofree char *text = NULL;
	gsize len;
	struct json_tokener *tok;
	struct json_object *o;

	if (!g_file_get_contents(path, &text, &len, error))
		return NULL;
	if (len > SNAPSHOT_MAX_BYTES) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "'%s' is larger than 256 MiB", path);
		return NULL;
	}
	tok = json_tokener_new_ex(32);
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "meminfo", NULL)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "'%s' is not an mhpstress snapshot: %s", path,
			    o ? "no meminfo" : json_tokener_error_desc(json_tokener_get_error(tok)));
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static char *snapshot_path(const char *arg, const char *which)
{
	if (g_file_test(arg, G_FILE_TEST_IS_DIR))
		return g_build_filename(arg, "snapshots", which, NULL);
	return g_strdup(arg);
}

static void print_json(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/*
 * Two runs: side by side, and their end snapshots compared when both have
 * one. The exit status is the end-state invariants', as for two snapshots.
 */
static int compare_runs(const char *dir_a, const char *dir_b, gboolean json)
{
	g_autofree char *pa = snapshot_path(dir_a, "end.json"), *pb = snapshot_path(dir_b, "end.json");
	g_autoptr(GError) error = NULL;
	struct json_object *a = NULL, *b = NULL, *end = NULL, *report;
	gboolean hold = TRUE;

	if (g_file_test(pa, G_FILE_TEST_EXISTS) && g_file_test(pb, G_FILE_TEST_EXISTS)) {
		a = load_snapshot(pa, &error);
		b = a ? load_snapshot(pb, &error) : NULL;
		if (!b) {
			fprintf(stderr, "mhpstress compare: %s\n", error->message);
			json_object_put(a);
			return CLI_EXIT_USAGE;
		}
		hold = mhp_compare(a, b, &end);
		json_object_object_add(end, "a", json_object_new_string(pa));
		json_object_object_add(end, "b", json_object_new_string(pb));
		json_object_put(a);
		json_object_put(b);
	}
	report = mhp_ab_compare(dir_a, dir_b, end, &error);
	json_object_put(end);
	if (!report) {
		fprintf(stderr, "mhpstress compare: %s\n", error->message);
		return CLI_EXIT_USAGE;
	}
	if (json) {
		print_json(report);
	} else {
		g_autofree char *text = mhp_ab_format(report);

		fputs(text, stdout);
	}
	json_object_put(report);
	return hold ? CLI_EXIT_PASS : CLI_EXIT_FAILURES;
}

int verb_compare(int argc, char **argv, void *userdata)
{
	gboolean json = FALSE;
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) oc = g_option_context_new("A [B]");
	GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "print the differences as JSON", NULL },
		{ NULL },
	};
	g_autofree char *pa = NULL, *pb = NULL;
	struct json_object *a, *b, *report = NULL;
	gboolean hold;

	g_option_context_set_summary(oc, "A and B: two snapshots, or two runs' results directories (side by side);\n"
					 "A alone: a results directory, its baseline against its end.");
	g_option_context_add_main_entries(oc, entries, NULL);
	if (!cli_option_parse(oc, "compare", &argc, &argv))
		return CLI_EXIT_USAGE;
	if (argc == 3 && g_file_test(argv[1], G_FILE_TEST_IS_DIR) && g_file_test(argv[2], G_FILE_TEST_IS_DIR))
		return compare_runs(argv[1], argv[2], json);
	if (argc == 2 && g_file_test(argv[1], G_FILE_TEST_IS_DIR)) {
		pa = snapshot_path(argv[1], "baseline.json");
		pb = snapshot_path(argv[1], "end.json");
	} else if (argc == 3) {
		pa = snapshot_path(argv[1], "end.json");
		pb = snapshot_path(argv[2], "end.json");
	} else if (argc == 2 && !g_file_test(argv[1], G_FILE_TEST_EXISTS)) {
		fprintf(stderr, "mhpstress compare: '%s': no such file or directory\n", argv[1]);
		return CLI_EXIT_USAGE;
	} else if (argc == 2) {
		fprintf(stderr, "mhpstress compare: '%s' is a snapshot: give a second one (A B), or a results directory\n",
			argv[1]);
		return CLI_EXIT_USAGE;
	} else {
		fprintf(stderr, "mhpstress compare: expected A B (snapshots or results directories), or one results directory\n");
		return CLI_EXIT_USAGE;
	}
	a = load_snapshot(pa, &error);
	b = a ? load_snapshot(pb, &error) : NULL;
	if (!a || !b) {
		fprintf(stderr, "mhpstress compare: %s\n", error->message);
		json_object_put(a);
		return CLI_EXIT_USAGE;
	}
	hold = mhp_compare(a, b, &report);
	if (json) {
		json_object_object_add(report, "a", json_object_new_string(pa));
		json_object_object_add(report, "b", json_object_new_string(pb));
		print_json(report);
	} else {
		g_autofree char *text = mhp_compare_format(report, pa, pb);
		fputs(text, stdout);
	}
	json_object_put(report);
	json_object_put(a);
	json_object_put(b);
	return hold ? CLI_EXIT_PASS : CLI_EXIT_FAILURES;
}

typedef struct {
	GMainLoop *loop;
	struct json_object *snap;
	char *error;
} SnapCall;

static void on_snapshot(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	SnapCall *c = user_data;

	if (error)
		c->error = g_strdup(error->message);
	else
		c->snap = json_object_get(ok);
	g_main_loop_quit(c->loop);
}

int verb_snapshot(int argc, char **argv, void *userdata)
{
	g_autofree char *socket = NULL, *out = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) oc = g_option_context_new("");
	GOptionEntry entries[] = {
		{ "agent", 0, 0, G_OPTION_ARG_FILENAME, &socket, "the agent's socket (QEMU's chardev for the port)", "SOCKET" },
		{ "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "where to write the snapshot", "FILE" },
		{ NULL },
	};
	static const MhpAgentLinkCallbacks cb = { 0 };
	g_autoptr(MhpAgentLink) link = NULL;
	SnapCall c = { 0 };
	struct json_object *args;

	g_option_context_add_main_entries(oc, entries, NULL);
	if (!cli_option_parse(oc, "snapshot", &argc, &argv))
		return CLI_EXIT_USAGE;
	if (!socket || !out || argc != 1) {
		fprintf(stderr, "mhpstress snapshot: --agent SOCKET and --out FILE are required\n");
		return CLI_EXIT_USAGE;
	}
	link = mhp_agent_link_new(NULL, &cb, NULL);
	if (!mhp_agent_link_connect(link, socket, 0, &error)) {
		fprintf(stderr, "mhpstress snapshot: %s\n", error->message);
		return CLI_EXIT_USAGE;
	}
	c.loop = g_main_loop_new(NULL, FALSE);
	args = json_object_new_object();
	json_object_object_add(args, "ptdump", json_object_new_string("raw"));
	json_object_object_add(args, "timeout_ms", json_object_new_int(60000));
	mhp_agent_link_call(link, "snapshot", args, 65000, on_snapshot, &c);
	g_main_loop_run(c.loop);
	g_main_loop_unref(c.loop);
	if (!c.snap) {
		fprintf(stderr, "mhpstress snapshot: %s\n", c.error);
		g_free(c.error);
		return CLI_EXIT_USAGE;
	}
	const char *text = json_object_to_json_string_ext(c.snap, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!g_file_set_contents(out, text, -1, &error)) {
		fprintf(stderr, "mhpstress snapshot: %s\n", error->message);
		json_object_put(c.snap);
		return CLI_EXIT_USAGE;
	}
	json_object_put(c.snap);
	printf("%s\n", out);
	return CLI_EXIT_PASS;
}
