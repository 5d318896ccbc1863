// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * results-ci.c - results.ktap and junit.xml from a finished run's
 * run.json, cycles.jsonl and summary.json.
 *
 * One test per cycle, numbered in cycles.jsonl's order. A cycle that
 * failed carries its class and detail; a planned cycle the run never got
 * to is skipped after a stop and an error when the run ended in one, so a
 * run that died after 3 of 10 cycles does not look green to a CI.
 */
#include <string.h>

#include "jsonget.h"
#include "results-ci.h"
#include "results.h"

typedef struct {
	char *scenario;      /* run.json scenario.name, else "run" */
	char *seed;          /* as run.json has it, or NULL */
	char *kernel;        /* run.json kernel_image, or NULL */
	gint64 started;      /* Unix time, 0: unknown */
	guint64 planned;     /* run.json cycles; 0: bounded by time or unknown */
	MhpVerdict verdict;  /* summary.json's; _MHP_VERDICT_INVALID: none */
	char *message;       /* summary.json's, or NULL */
	gboolean stopped;
	gint64 elapsed_ms;
	guint64 leaks;       /* summary.json failures.leak */
} CiRun;

static void ci_run_clear(CiRun *r)
{
	g_free(r->scenario);
	g_free(r->seed);
	g_free(r->kernel);
	g_free(r->message);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CiRun, ci_run_clear)

/* @key of @o when it is a string, else NULL. */
static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : NULL;
}

/* @key of @o when it is an integer, else @dflt. */
static gint64 int_of(struct json_object *o, const char *key, gint64 dflt)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)
		       ? json_object_get_int64(v) : dflt;
}

static struct json_object *load_json(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	struct json_object *o = json_object_from_file(path);

	if (o && !json_object_is_type(o, json_type_object))
		g_clear_pointer(&o, json_object_put);
	return o;
}

static void ci_run_load(const char *dir, CiRun *r)
{
	struct json_object *run = load_json(dir, MHP_RESULTS_RUN);
	struct json_object *sum = load_json(dir, MHP_RESULTS_SUMMARY);
	struct json_object *sc, *v;
	guint64 seed;

	r->verdict = _MHP_VERDICT_INVALID;
	if (run) {
		if (json_object_object_get_ex(run, "scenario", &sc) && str_of(sc, "name"))
			r->scenario = g_strdup(str_of(sc, "name"));
		if (mhp_json_get_seed(run, "run.json", "seed", &seed, NULL))
			r->seed = g_strdup_printf("%" G_GUINT64_FORMAT, seed);
		r->kernel = g_strdup(str_of(run, "kernel_image"));
		r->started = int_of(run, "started", 0);
		r->planned = (guint64)MAX(int_of(run, "cycles", 0), 0);
	}
	if (sum) {
		r->verdict = mhp_verdict_from_string(str_of(sum, "verdict"));
		r->message = g_strdup(str_of(sum, "message"));
		r->stopped = json_object_object_get_ex(sum, "stopped", &v) && json_object_get_boolean(v);
		r->elapsed_ms = int_of(sum, "elapsed_ms", 0);
		if (json_object_object_get_ex(sum, "failures", &v))
			r->leaks = (guint64)MAX(int_of(v, mhp_fail_class_to_string(MHP_FAIL_LEAK), 0), 0);
	}
	if (!r->scenario)
		r->scenario = g_strdup("run");
	json_object_put(run);
	json_object_put(sum);
}

/*
 * @s as valid UTF-8 that XML 1.0 and a KTAP line can hold: control
 * characters other than '\n' (and '\t' in XML) become '?', and so do
 * U+FFFE and U+FFFF; with @hash, '#' becomes '_' (a KTAP name ends at it).
 */
static char *clean_text(const char *s, gboolean hash)
{
	g_autofree char *valid = g_utf8_make_valid(s ? s : "", -1);
	GString *out = g_string_sized_new(strlen(valid));

	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || c == 0xfffe || c == 0xffff)
			g_string_append_c(out, '?');
		else if (hash && c == '#')
			g_string_append_c(out, '_');
		else
			g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

/* "cycle-N", and the [case]'s name after it. */
static char *cycle_name(struct json_object *rec, guint64 n)
{
	g_autofree char *kase = str_of(rec, "case") ? clean_text(str_of(rec, "case"), TRUE) : NULL;

	if (kase)
		g_strdelimit(kase, "\n\t", ' ');
	return kase ? g_strdup_printf("cycle-%" G_GUINT64_FORMAT " %s", n, kase)
		    : g_strdup_printf("cycle-%" G_GUINT64_FORMAT, n);
}

/* The bytes of @s's first characters that fit in @max. */
static int cut_len(const char *s, gsize max)
{
	const char *end = s;

	while (*end && (gsize)(g_utf8_next_char(end) - s) <= max)
		end = g_utf8_next_char(end);
	return (int)(end - s);
}

/* Each line of @text as "# PREFIXline", at most MHP_CI_DETAIL_LINES of MHP_CI_DETAIL_LINE_BYTES. */
static void ktap_diag(GString *out, const char *prefix, const char *text)
{
	g_autofree char *clean = clean_text(text, FALSE);
	g_auto(GStrv) lines = g_strsplit(clean, "\n", -1);
	guint shown = 0;

	for (guint i = 0; lines[i]; i++) {
		if (!*g_strstrip(lines[i]))
			continue;
		if (shown++ == MHP_CI_DETAIL_LINES) {
			g_string_append_printf(out, "# %s(%u more lines)\n", prefix, g_strv_length(lines) - i);
			break;
		}
		g_string_append_printf(out, "# %s%.*s\n", prefix, cut_len(lines[i], MHP_CI_DETAIL_LINE_BYTES), lines[i]);
	}
}

void mhp_ktap_cycle(GString *out, struct json_object *rec, guint64 n)
{
	g_autofree char *name = cycle_name(rec, n);
	const char *verdict = str_of(rec, "verdict") ? str_of(rec, "verdict") : "no-verdict";
	gboolean pass = !strcmp(verdict, "pass");

	g_string_append_printf(out, "# cycle %" G_GUINT64_FORMAT ": slot %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
			       " MiB, zone %s\n", n, int_of(rec, "slot", -1), int_of(rec, "size", 0) >> 20,
			       str_of(rec, "zone") ? str_of(rec, "zone") : "?");
	if (str_of(rec, "case")) {
		g_autofree char *line = g_strdup_printf("case expects %s, ended in %s",
							str_of(rec, "expected") ? str_of(rec, "expected") : "?",
							str_of(rec, "outcome") ? str_of(rec, "outcome") : "?");
		ktap_diag(out, "", line);
	}
	if (!pass) {
		g_autofree char *prefix = clean_text(verdict, TRUE);

		g_strdelimit(prefix, "\n\t", ' ');
		ktap_diag(out, "", prefix);
		ktap_diag(out, "  ", str_of(rec, "detail"));
	}
	g_string_append_printf(out, "%s %" G_GUINT64_FORMAT " %s\n", pass ? "ok" : "not ok", n, name);
}

char *mhp_cycle_log_line(struct json_object *rec, guint64 n, guint64 planned)
{
	const char *verdict = str_of(rec, "verdict") ? str_of(rec, "verdict") : "no-verdict";
	g_autofree char *kase = str_of(rec, "case") ? clean_text(str_of(rec, "case"), FALSE) : NULL;
	g_autofree char *dimm = clean_text(str_of(rec, "dimm") ? str_of(rec, "dimm") : "?", FALSE);
	g_autofree char *cls = clean_text(verdict, FALSE);
	g_autofree char *detail = str_of(rec, "detail") && strcmp(verdict, "pass") ? clean_text(str_of(rec, "detail"), FALSE)
										    : NULL;
	GString *line = g_string_new(NULL);
	struct json_object *v;

	g_string_append_printf(line, "cycle %" G_GUINT64_FORMAT, n);
	if (planned)
		g_string_append_printf(line, "/%" G_GUINT64_FORMAT, planned);
	if (kase)
		g_string_append_printf(line, " %s (expects %s)", kase, str_of(rec, "expected") ? str_of(rec, "expected") : "?");
	g_string_append_printf(line, ": %s", cls);
	if (json_object_object_get_ex(rec, "cycle_ms", &v) &&
	    (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		g_string_append_printf(line, " in %.0f ms", json_object_get_double(v));
	g_string_append_printf(line, " (slot %" G_GINT64_FORMAT ", %s, %" G_GINT64_FORMAT " MiB, %s)",
			       int_of(rec, "slot", -1), dimm, int_of(rec, "size", 0) >> 20,
			       str_of(rec, "zone") ? str_of(rec, "zone") : "?");
	if (detail) {
		char *nl = strchr(g_strstrip(detail), '\n');

		if (nl)
			*nl = '\0';
		g_string_append_printf(line, ": %.*s", cut_len(detail, MHP_CI_DETAIL_LINE_BYTES), detail);
	}
	g_strdelimit(line->str, "\n\t", ' ');
	return g_string_free(line, FALSE);
}

/* Why the planned cycles after the last did not run, and whether that is an error. */
static char *unrun_reason(const CiRun *r, gboolean *ret_error)
{
	const char *why = r->message ? r->message
			  : r->verdict == _MHP_VERDICT_INVALID ? "the run did not finish (no summary.json)"
			  : r->stopped ? "the run was stopped" : "the run ended first";
	g_autofree char *clean = clean_text(why, TRUE);

	*ret_error = r->verdict != MHP_VERDICT_PASS && r->verdict != MHP_VERDICT_FAIL;
	g_strdelimit(clean, "\n\t", ' ');
	return g_strdup_printf("not run: %s", clean);
}

static guint64 unrun_count(const CiRun *r, guint64 done)
{
	if (r->planned > done)
		return r->planned - done;
	return done ? 0 : 1;
}

static guint64 ktap_tail(const CiRun *r, guint64 done, GString *out)
{
	guint64 n = unrun_count(r, done);
	gboolean error;
	g_autofree char *why = unrun_reason(r, &error);

	for (guint64 i = done + 1; i <= done + n; i++)
		g_string_append_printf(out, "%s %" G_GUINT64_FORMAT " cycle-%" G_GUINT64_FORMAT " # %s %s\n",
				       error ? "not ok" : "ok", i, i, error ? "ERROR" : "SKIP", why);
	if (r->leaks)
		g_string_append_printf(out, "# trends: %" G_GUINT64_FORMAT " series say memory leaks (summary.json trends)\n",
				       r->leaks);
	g_string_append_printf(out, "# verdict: %s\n",
			       r->verdict >= 0 ? mhp_verdict_to_string(r->verdict) : "unknown (no summary.json)");
	return n;
}

guint64 mhp_ktap_tail(const char *dir, guint64 done, GString *out)
{
	g_auto(CiRun) r = { 0 };

	ci_run_load(dir, &r);
	return ktap_tail(&r, done, out);
}

/* @body: the cycles' tests; @n: how many */
static char *ktap_text(const CiRun *r, GString *body, guint64 n)
{
	GString *out = g_string_new("KTAP version 1\n");
	g_autofree char *scenario = clean_text(r->scenario, FALSE);

	g_strdelimit(scenario, "\n\t", ' ');
	n += ktap_tail(r, n, body);
	/* the plan follows the version line (ktap.rst), so the body is built first */
	g_string_append_printf(out, "1..%" G_GUINT64_FORMAT "\n# mhpstress %s: scenario %s, seed %s\n%s", n,
			       MHP_VERSION, scenario, r->seed ? r->seed : "?", body->str);
	return g_string_free(out, FALSE);
}

/* @s cleaned and escaped for XML text or a double-quoted attribute. */
static char *xml(const char *s)
{
	g_autofree char *clean = clean_text(s, FALSE);

	return g_markup_escape_text(clean, -1);
}

/* The first line of @s, for a message attribute. */
static char *first_line(const char *s)
{
	const char *nl = strchr(s, '\n');

	return nl ? g_strndup(s, (gsize)(nl - s)) : g_strdup(s);
}

static void junit_cycle(GString *out, const char *suite, struct json_object *rec, guint64 n)
{
	g_autofree char *name = cycle_name(rec, n), *xname = xml(name);
	const char *verdict = str_of(rec, "verdict") ? str_of(rec, "verdict") : "no-verdict";
	const char *detail = str_of(rec, "detail") ? str_of(rec, "detail") : verdict;
	struct json_object *v;
	char secs[G_ASCII_DTOSTR_BUF_SIZE] = "0";

	if (json_object_object_get_ex(rec, "cycle_ms", &v) &&
	    (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		g_ascii_formatd(secs, sizeof(secs), "%.3f", json_object_get_double(v) / 1000.0);
	g_string_append_printf(out, "  <testcase classname=\"%s\" name=\"%s\" time=\"%s\"", suite, xname, secs);
	if (!strcmp(verdict, "pass")) {
		g_string_append(out, "/>\n");
		return;
	}
	{
		g_autofree char *line = first_line(detail);
		g_autofree char *xmsg = xml(line), *xtype = xml(verdict), *xdetail = xml(detail);

		g_string_append_printf(out, ">\n    <failure message=\"%s\" type=\"%s\">%s</failure>\n  </testcase>\n",
				       xmsg, xtype, xdetail);
	}
}

/* @cases: the cycles' testcases; @n: how many; @failures: how many failed */
static char *junit_text(const CiRun *r, const char *suite, GString *cases, guint64 n, guint64 failures)
{
	GString *out = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	g_autofree char *seed = xml(r->seed ? r->seed : "?");
	g_autofree char *kernel = xml(r->kernel ? r->kernel : "?");
	guint64 unrun = unrun_count(r, n);
	gboolean error;
	g_autofree char *why = unrun_reason(r, &error), *xwhy = xml(why);
	char secs[G_ASCII_DTOSTR_BUF_SIZE];

	for (guint64 i = n + 1; i <= n + unrun; i++)
		g_string_append_printf(cases, "  <testcase classname=\"%s\" name=\"cycle-%" G_GUINT64_FORMAT
				       "\" time=\"0\">\n    <%s message=\"%s\"%s/>\n  </testcase>\n", suite, i,
				       error ? "error" : "skipped", xwhy, error ? " type=\"not-run\"" : "");
	g_ascii_formatd(secs, sizeof(secs), "%.3f", (double)r->elapsed_ms / 1000.0);
	g_string_append_printf(out, "<testsuite name=\"%s\" tests=\"%" G_GUINT64_FORMAT "\" failures=\"%" G_GUINT64_FORMAT
			       "\" errors=\"%" G_GUINT64_FORMAT "\" skipped=\"%" G_GUINT64_FORMAT "\" time=\"%s\"",
			       suite, n + unrun, failures, error ? unrun : 0, error ? 0 : unrun, secs);
	if (r->started > 0) {
		g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(r->started);
		g_autofree char *iso = t ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%S") : NULL;

		if (iso)
			g_string_append_printf(out, " timestamp=\"%s\"", iso);
	}
	g_string_append_printf(out, ">\n  <properties>\n    <property name=\"seed\" value=\"%s\"/>\n"
			       "    <property name=\"kernel\" value=\"%s\"/>\n    <property name=\"verdict\" value=\"%s\"/>\n"
			       "    <property name=\"leaking_trends\" value=\"%" G_GUINT64_FORMAT "\"/>\n  </properties>\n%s",
			       seed, kernel, r->verdict >= 0 ? mhp_verdict_to_string(r->verdict) : "unknown", r->leaks,
			       cases->str);
	if (r->message) {
		g_autofree char *xmsg = xml(r->message);

		g_string_append_printf(out, "  <system-err>%s</system-err>\n", xmsg);
	}
	g_string_append(out, "</testsuite>\n");
	return g_string_free(out, FALSE);
}

static gboolean write_text(const char *dir, const char *name, const char *text, GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);

	return g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/* Both files' parts for the cycles, built in one pass over cycles.jsonl. */
typedef struct {
	GString *ktap;
	GString *junit;
	const char *suite; /* escaped */
	guint64 failures;
} CiBodies;

static void ci_cycle(struct json_object *rec, guint64 n, gpointer user_data)
{
	CiBodies *b = user_data;

	mhp_ktap_cycle(b->ktap, rec, n);
	junit_cycle(b->junit, b->suite, rec, n);
	b->failures += g_strcmp0(str_of(rec, "verdict"), "pass") != 0;
}

gboolean mhp_results_write_ci(const char *dir, GError **error)
{
	g_auto(CiRun) r = { 0 };
	g_autofree char *ktap = NULL, *junit = NULL, *suite_raw = NULL, *suite = NULL;
	g_autoptr(GString) ktap_body = g_string_new(NULL), junit_cases = g_string_new(NULL);
	CiBodies b = { .ktap = ktap_body, .junit = junit_cases };
	guint64 n;

	ci_run_load(dir, &r);
	suite_raw = g_strdup_printf("mhpstress.%s", r.scenario);
	suite = xml(suite_raw);
	b.suite = suite;
	n = mhp_results_foreach_cycle(dir, ci_cycle, &b);
	ktap = ktap_text(&r, ktap_body, n);
	junit = junit_text(&r, suite, junit_cases, n, b.failures);
	return write_text(dir, MHP_RESULTS_KTAP, ktap, error) && write_text(dir, MHP_RESULTS_JUNIT, junit, error);
}
