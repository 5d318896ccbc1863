// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-ktap.c - a cycle record carries guest text (its detail, a case
 * name) into results.ktap and the CI log line. On any record, or any text
 * as a failure's detail, mhp_ktap_cycle() gives valid UTF-8 lines that are
 * each a "# " diagnostic or the one "ok"/"not ok N" result, with no control
 * character; mhp_cycle_log_line() gives one such line.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "results-ci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, gboolean newlines)
{
	assert(g_utf8_validate(s, -1, NULL));
	for (const char *p = s; *p; p++)
		assert((unsigned char)*p >= 0x20 || *p == '\t' || (newlines && *p == '\n'));
	assert(!strchr(s, 0x7f));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = g_strndup((const char *)data, size);
	struct json_object *rec = json_tokener_parse(text);
	g_autoptr(GString) out = g_string_new(NULL);
	g_auto(GStrv) lines = NULL;
	g_autofree char *log = NULL;
	guint results = 0;

	if (!json_object_is_type(rec, json_type_object)) {
		json_object_put(rec);
		rec = json_object_new_object();
		json_object_object_add(rec, "verdict", json_object_new_string("kernel-warning"));
		json_object_object_add(rec, "detail", json_object_new_string(text));
		json_object_object_add(rec, "case", json_object_new_string(text));
	}
	mhp_ktap_cycle(out, rec, 7);
	check_text(out->str, TRUE);
	assert(out->len && out->str[out->len - 1] == '\n');
	lines = g_strsplit(out->str, "\n", -1);
	for (guint i = 0; lines[i] && lines[i + 1]; i++) {
		if (g_str_has_prefix(lines[i], "ok 7") || g_str_has_prefix(lines[i], "not ok 7")) {
			results++;
			/* no directive a guest could fake, and the result closes the test */
			assert(!strchr(lines[i], '#') && !lines[i + 1][0] && !lines[i + 2]);
		} else {
			assert(g_str_has_prefix(lines[i], "# "));
		}
	}
	assert(results == 1);
	log = mhp_cycle_log_line(rec, 7, 10);
	check_text(log, FALSE);
	json_object_put(rec);
	return 0;
}
