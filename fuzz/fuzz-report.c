// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-report.c - a results directory is the guest's text on disk, and
 * report.html shows it. The input becomes cycles.jsonl, summary.json and
 * evidence/dmesg.txt of a run, and the detail of one failed cycle; the page
 * must be valid UTF-8 in which every '<' opens a tag of report.html's own,
 * so nothing the guest wrote can open a script, a link or an image.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-c/json.h>

#include "results-report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The tags results-report.c and report-svg.c write, and nothing else. */
static const char *const tags[] = {
	"!DOCTYPE", "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4", "section", "div", "p",
	"table", "tr", "th", "td", "pre", "span", "b", "code", "figure", "figcaption", "footer", "svg", "text", "g",
	"rect", "line", "path", "circle",
};

static gboolean own_tag(const char *p)
{
	p += p[1] == '/' ? 2 : 1;
	for (gsize i = 0; i < G_N_ELEMENTS(tags); i++) {
		gsize n = strlen(tags[i]);

		if (!strncmp(p, tags[i], n) && (p[n] == '>' || p[n] == ' ' || p[n] == '\n' || p[n] == '/'))
			return TRUE;
	}
	return FALSE;
}

static void put(const char *dir, const char *name, const char *text, gssize len)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);

	assert(g_file_set_contents(path, text, len, NULL));
}

static char *dir;

static void remove_dir(void)
{
	static const char *const names[] = { "cycles.jsonl", "summary.json", "evidence/dmesg.txt", "evidence" };

	for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *path = g_build_filename(dir, names[i], NULL);

		g_remove(path);
	}
	g_rmdir(dir);
}

/* One directory for every input, removed at exit. */
static const char *run_dir(void)
{
	if (!dir) {
		g_autofree char *evidence = NULL;

		dir = g_dir_make_tmp("fuzz-report-XXXXXX", NULL);
		assert(dir);
		evidence = g_build_filename(dir, "evidence", NULL);
		assert(g_mkdir(evidence, 0700) == 0);
		atexit(remove_dir);
	}
	return dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *run = run_dir();
	g_autofree char *text = g_strndup((const char *)data, size);
	struct json_object *rec = json_object_new_object();
	g_autoptr(GString) cycles = g_string_new_len((const char *)data, (gssize)size);
	g_autofree char *html = NULL;

	json_object_object_add(rec, "verdict", json_object_new_string("kernel-warning"));
	json_object_object_add(rec, "detail", json_object_new_string(text));
	g_string_append_printf(cycles, "\n%s\n", json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN));
	json_object_put(rec);
	put(run, "cycles.jsonl", cycles->str, (gssize)cycles->len);
	put(run, "summary.json", (const char *)data, (gssize)size);
	put(run, "evidence/dmesg.txt", (const char *)data, (gssize)size);
	html = mhp_report_html(run, NULL, NULL);
	assert(html && g_utf8_validate(html, -1, NULL));
	for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<'))
		assert(own_tag(p));
	return 0;
}
