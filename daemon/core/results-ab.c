// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * results-ab.c - two whole runs side by side: their kernels, trends,
 * failures by class, latency percentiles per phase and end-state
 * accounting, for "the same scenario before and after a patch".
 *
 * Everything is read from the results directories as they are on disk;
 * a run still going or cut short has no summary.json, so its counts come
 * from cycles.jsonl, which is read one line at a time.
 */
#include <string.h>

#include "accounting.h"
#include "jsonget.h"
#include "results-ab.h"
#include "results.h"

#define AB_FILE_MAX_BYTES (64u << 20)

/* One run's latency samples while cycles.jsonl is read. */
typedef struct {
	GArray *ms[_MHP_PHASE_MAX];
	GArray *cycle_ms;   /* whole passed cycles */
} AbSamples;

static void ab_samples_clear(AbSamples *s)
{
	for (int ph = 0; ph < _MHP_PHASE_MAX; ph++)
		if (s->ms[ph])
			g_array_unref(s->ms[ph]);
	if (s->cycle_ms)
		g_array_unref(s->cycle_ms);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(AbSamples, ab_samples_clear)

static void sample(GArray **a, double ms)
{
	if (!*a)
		*a = g_array_new(FALSE, FALSE, sizeof(double));
	g_array_append_val(*a, ms);
}

static gboolean int_at(struct json_object *o, const char *key, gint64 *ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return FALSE;
	*ret = json_object_get_int64(v);
	return TRUE;
}

static const char *str_at(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : NULL;
}

static struct json_object *obj_at(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_object) ? v : NULL;
}

/* Each ended phase's time, and a passed cycle's cycle_ms (what the engine's summary counts). */
static void ab_cycle(struct json_object *rec, guint64 n, gpointer user_data)
{
	AbSamples *s = user_data;
	struct json_object *phases = obj_at(rec, "phases"), *v;
	const char *verdict = str_at(rec, "verdict");

	if (phases) {
		json_object_object_foreach(phases, name, t) {
			MhpPhase ph = mhp_phase_from_string(name);
			gint64 start, end;

			if (ph <= MHP_PHASE_NONE || !json_object_is_type(t, json_type_object) ||
			    !int_at(t, "start_ns", &start) || !int_at(t, "end_ns", &end) || end < start)
				continue;
			sample(&s->ms[ph], (double)(end - start) / 1e6);
		}
	}
	if (verdict && !strcmp(verdict, "pass") && json_object_object_get_ex(rec, "cycle_ms", &v) &&
	    (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) &&
	    json_object_get_double(v) >= 0)
		sample(&s->cycle_ms, json_object_get_double(v));
}

static struct json_object *load(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autofree char *text = NULL;
	gsize len;
	struct json_tokener *tok;
	struct json_object *o;

	if (!g_file_get_contents(path, &text, &len, NULL) || len > AB_FILE_MAX_BYTES)
		return NULL;
	tok = json_tokener_new_ex(64);
	o = json_tokener_parse_ex(tok, text, (int)len);
	json_tokener_free(tok);
	if (o && !json_object_is_type(o, json_type_object))
		g_clear_pointer(&o, json_object_put);
	return o;
}

static void add_str(struct json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, s ? json_object_new_string(s) : NULL);
}

/* The failures: summary.json's when there is one (it has trend leaks too), else cycles.jsonl's. */
static struct json_object *run_failures(struct json_object *sum, const MhpSummary *counted)
{
	struct json_object *f = json_object_new_object(), *sf = sum ? obj_at(sum, "failures") : NULL;

	for (MhpFailClass c = MHP_FAIL_NONE + 1; c < _MHP_FAIL_MAX; c++) {
		gint64 n = counted->failures[c];

		if (sf && !int_at(sf, mhp_fail_class_to_string(c), &n))
			n = 0;
		if (n > 0)
			json_object_object_add(f, mhp_fail_class_to_string(c), json_object_new_int64(n));
	}
	return f;
}

/*
 * The kernel's source, from the build-info tools/build-kernel leaves next
 * to the Image ("source=git:SHA:DIFFSHA", "source=debian:linux-source-7.3=V"),
 * when it is still there.
 */
static char *kernel_source(const char *image)
{
	g_autofree char *dir = NULL, *path = NULL, *text = NULL;
	g_auto(GStrv) lines = NULL;

	if (!image)
		return NULL;
	dir = g_path_get_dirname(image);
	path = g_build_filename(dir, "build-info", NULL);
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	lines = g_strsplit(text, "\n", 64);
	for (gsize i = 0; lines[i]; i++)
		if (g_str_has_prefix(lines[i], "source=") && g_utf8_validate(lines[i], -1, NULL))
			return g_strndup(lines[i] + 7, 256);
	return NULL;
}

/* One run: what it ran on, and its numbers; NULL when @dir is not a results directory. */
static struct json_object *run_load(const char *dir, GError **error)
{
	g_auto(AbSamples) s = { 0 };
	g_autofree char *cycles_path = g_build_filename(dir, MHP_RESULTS_CYCLES, NULL);
	struct json_object *run = load(dir, MHP_RESULTS_RUN), *sum = load(dir, MHP_RESULTS_SUMMARY);
	struct json_object *o, *guest = run ? obj_at(run, "guest") : NULL, *lat, *trends;
	MhpSummary counted = { 0 };
	g_autofree char *source = NULL;
	guint64 seed;

	if (!run && !g_file_test(cycles_path, G_FILE_TEST_EXISTS)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
			    "'%s' is not the results directory of a run: no readable run.json or cycles.jsonl", dir);
		json_object_put(sum);
		return NULL;
	}
	o = json_object_new_object();
	add_str(o, "dir", dir);
	add_str(o, "scenario", run && obj_at(run, "scenario") ? str_at(obj_at(run, "scenario"), "name") : NULL);
	json_object_object_add(o, "seed", run && mhp_json_get_seed(run, "run.json", "seed", &seed, NULL)
						  ? mhp_json_new_seed(seed) : NULL);
	add_str(o, "kernel", guest ? str_at(guest, "kernel") : NULL);
	add_str(o, "kernel_version", guest ? str_at(guest, "kernel_version") : NULL);
	add_str(o, "kernel_image", run ? str_at(run, "kernel_image") : NULL);
	source = kernel_source(run ? str_at(run, "kernel_image") : NULL);
	add_str(o, "kernel_source", source);
	add_str(o, "vmm", run ? str_at(run, "vmm") : NULL);
	add_str(o, "verdict", sum ? str_at(sum, "verdict") : NULL);
	mhp_results_foreach_cycle(dir, ab_cycle, &s);
	mhp_summary_from_cycles(dir, &counted);
	json_object_object_add(o, "cycles", json_object_new_int64((gint64)counted.cycles));
	json_object_object_add(o, "failed_cycles", json_object_new_int64((gint64)counted.failed_cycles));
	json_object_object_add(o, "failures", run_failures(sum, &counted));
	trends = sum ? obj_at(sum, "trends") : NULL;
	json_object_object_add(o, "trends", trends ? json_object_get(trends) : json_object_new_object());
	lat = json_object_new_object();
	for (MhpPhase ph = MHP_PHASE_NONE + 1; ph < _MHP_PHASE_MAX; ph++) {
		MhpLatency l;

		mhp_latency_from_samples(s.ms[ph], &l);
		mhp_latency_add(lat, mhp_phase_to_string(ph), &l);
	}
	{
		MhpLatency l;

		mhp_latency_from_samples(s.cycle_ms, &l);
		mhp_latency_add(lat, "cycle", &l);
	}
	json_object_object_add(o, "latency_ms", lat);
	json_object_put(run);
	json_object_put(sum);
	return o;
}

/* {"a": A's @key.@name or null, "b": B's} */
static struct json_object *pair(struct json_object *a, struct json_object *b, const char *key, const char *name)
{
	struct json_object *p = json_object_new_object(), *va, *vb;

	va = obj_at(a, key) && json_object_object_get_ex(obj_at(a, key), name, &va) ? va : NULL;
	vb = obj_at(b, key) && json_object_object_get_ex(obj_at(b, key), name, &vb) ? vb : NULL;
	json_object_object_add(p, "a", json_object_get(va));
	json_object_object_add(p, "b", json_object_get(vb));
	return p;
}

/* @key's names in A, then those only in B, each paired; with @zero a missing count is 0, not null. */
static struct json_object *side_by_side(struct json_object *a, struct json_object *b, const char *key, gboolean zero)
{
	struct json_object *out = json_object_new_object();
	struct json_object *runs[] = { a, b };
	static const char *const sides[] = { "a", "b" };

	for (int i = 0; i < 2; i++) {
		struct json_object *m = obj_at(runs[i], key);

		if (!m)
			continue;
		json_object_object_foreach(m, name, unused) {
			struct json_object *p, *v;

			(void)unused;
			if (json_object_object_get_ex(out, name, NULL))
				continue;
			p = pair(a, b, key, name);
			for (int j = 0; zero && j < 2; j++)
				if (!json_object_object_get_ex(p, sides[j], &v) || !v)
					json_object_object_add(p, sides[j], json_object_new_int(0));
			json_object_object_add(out, name, p);
		}
	}
	return out;
}

struct json_object *mhp_ab_compare(const char *dir_a, const char *dir_b, struct json_object *end, GError **error)
{
	struct json_object *a, *b, *r;
	const char *sa, *sb;

	a = run_load(dir_a, error);
	b = a ? run_load(dir_b, error) : NULL;
	if (!b) {
		json_object_put(a);
		return NULL;
	}
	r = json_object_new_object();
	sa = str_at(a, "seed");
	sb = str_at(b, "seed");
	json_object_object_add(r, "same_seed", json_object_new_boolean(sa && sb && !strcmp(sa, sb)));
	sa = str_at(a, "scenario");
	sb = str_at(b, "scenario");
	json_object_object_add(r, "same_scenario", json_object_new_boolean(sa && sb && !strcmp(sa, sb)));
	json_object_object_add(r, "trends", side_by_side(a, b, "trends", FALSE));
	json_object_object_add(r, "failures", side_by_side(a, b, "failures", TRUE));
	json_object_object_add(r, "latency_ms", side_by_side(a, b, "latency_ms", FALSE));
	json_object_object_add(r, "end", json_object_get(end));
	/* the per-run copies were only for pairing */
	json_object_object_del(a, "trends");
	json_object_object_del(b, "trends");
	json_object_object_del(a, "latency_ms");
	json_object_object_del(b, "latency_ms");
	json_object_object_del(a, "failures");
	json_object_object_del(b, "failures");
	json_object_object_add(r, "a", a);
	json_object_object_add(r, "b", b);
	return r;
}

/* ---- text ---- */

#define AB_LABEL "%-22s"
#define AB_COL "%-34s"

static void row(GString *out, const char *label, const char *a, const char *b)
{
	g_string_append_printf(out, AB_LABEL " " AB_COL " %s\n", label, a ? a : "-", b ? b : "-");
}

static char *trend_text(struct json_object *t)
{
	struct json_object *v;
	const char *unit, *per, *verdict;

	if (!t || !json_object_object_get_ex(t, "slope", &v))
		return g_strdup("-");
	unit = str_at(t, "unit");
	per = str_at(t, "per");
	verdict = str_at(t, "verdict");
	return g_strdup_printf("%+.3g %s/%s %s", json_object_get_double(v), unit ? unit : "", per ? per : "cycle",
			       verdict ? verdict : "");
}

static double num_at(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v) : 0;
}

static char *latency_text(struct json_object *l)
{
	if (!l)
		return g_strdup("-");
	return g_strdup_printf("%.3g / %.3g / %.3g / %.3g (n %" G_GINT64_FORMAT ")", num_at(l, "p50"), num_at(l, "p90"),
			       num_at(l, "p99"), num_at(l, "max"), json_object_get_int64(json_object_object_get(l, "n")));
}

/* A section: a title, then one row per name with @text of each side. */
static void section(GString *out, struct json_object *r, const char *key, const char *title,
		    char *(*text)(struct json_object *v))
{
	struct json_object *m = obj_at(r, key);

	g_string_append_printf(out, "\n%s\n", title);
	if (!m || !json_object_object_length(m)) {
		g_string_append(out, "  (none)\n");
		return;
	}
	json_object_object_foreach(m, name, p) {
		g_autofree char *label = g_strdup_printf("  %s", name);
		g_autofree char *ta = text(json_object_object_get(p, "a"));
		g_autofree char *tb = text(json_object_object_get(p, "b"));

		row(out, label, ta, tb);
	}
}

static char *count_text(struct json_object *v)
{
	return g_strdup_printf("%" G_GINT64_FORMAT, v ? json_object_get_int64(v) : 0);
}

char *mhp_ab_format(struct json_object *r)
{
	GString *out = g_string_new(NULL);
	struct json_object *a = obj_at(r, "a"), *b = obj_at(r, "b"), *end = obj_at(r, "end");
	static const char *const keys[][2] = {
		{ "dir", "run" }, { "scenario", "scenario" }, { "seed", "seed" }, { "kernel", "kernel" },
		{ "kernel_version", "build" }, { "kernel_image", "image" }, { "kernel_source", "source" }, { "vmm", "vmm" }, { "verdict", "verdict" },
	};
	g_autofree char *ca = NULL, *cb = NULL;
	struct json_object *v;

	row(out, "", "A", "B");
	for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
		row(out, keys[i][1], a ? str_at(a, keys[i][0]) : NULL, b ? str_at(b, keys[i][0]) : NULL);
	ca = g_strdup_printf("%.0f (%.0f failed)", num_at(a, "cycles"), num_at(a, "failed_cycles"));
	cb = g_strdup_printf("%.0f (%.0f failed)", num_at(b, "cycles"), num_at(b, "failed_cycles"));
	row(out, "cycles", ca, cb);
	if (json_object_object_get_ex(r, "same_seed", &v) && !json_object_get_boolean(v))
		g_string_append(out, "note: the seeds differ, so the runs drew different sizes, zones and orders\n");
	if (json_object_object_get_ex(r, "same_scenario", &v) && !json_object_get_boolean(v))
		g_string_append(out, "note: the scenarios differ\n");
	section(out, r, "trends", "trends (slope per cycle, verdict)", trend_text);
	section(out, r, "failures", "failures by class", count_text);
	section(out, r, "latency_ms", "latency ms per phase (p50 / p90 / p99 / max)", latency_text);
	g_string_append(out, "\nend-state accounting (A's end snapshot against B's)\n");
	if (end) {
		const char *pa = str_at(end, "a"), *pb = str_at(end, "b");
		g_autofree char *text = mhp_compare_format(end, pa ? pa : "A", pb ? pb : "B");

		g_string_append(out, text);
	} else {
		g_string_append(out, "  (a run has no snapshots/end.json)\n");
	}
	return g_string_free(out, FALSE);
}
