// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * results.c - a run's results directory: run.json, cycles.jsonl,
 * events.jsonl, console.log (written by QEMU itself), summary.json and
 * snapshots/; and the layout of summary.json.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "results.h"
#include "strtable.h"

struct MhpResults {
	char *dir;
	int cycles_fd;
	int events_fd;
	guint64 events;
	gboolean write_failed;
};

static int open_append(const char *dir, const char *name, GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0)
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot open '%s': %s", path,
			    g_strerror(errno));
	return fd;
}

MhpResults *mhp_results_open(const char *dir, GError **error)
{
	g_autofree char *run = g_build_filename(dir, MHP_RESULTS_RUN, NULL);
	g_autofree char *snaps = g_build_filename(dir, MHP_RESULTS_SNAPSHOTS, NULL);
	MhpResults *r;

	if (g_mkdir_with_parents(snaps, 0755) < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot create results directory '%s': %s",
			    dir, g_strerror(errno));
		return NULL;
	}
	if (g_file_test(run, G_FILE_TEST_EXISTS)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
			    "results directory '%s' already holds a run; choose another --results", dir);
		return NULL;
	}
	r = g_new0(MhpResults, 1);
	r->dir = g_strdup(dir);
	r->cycles_fd = open_append(dir, MHP_RESULTS_CYCLES, error);
	r->events_fd = r->cycles_fd < 0 ? -1 : open_append(dir, MHP_RESULTS_EVENTS, error);
	if (r->events_fd < 0) {
		mhp_results_close(r);
		return NULL;
	}
	return r;
}

void mhp_results_close(MhpResults *r)
{
	if (!r)
		return;
	if (r->cycles_fd >= 0)
		close(r->cycles_fd);
	if (r->events_fd >= 0)
		close(r->events_fd);
	g_free(r->dir);
	g_free(r);
}

const char *mhp_results_dir(MhpResults *r)
{
	return r->dir;
}

char *mhp_results_path(MhpResults *r, const char *name)
{
	return g_build_filename(r->dir, name, NULL);
}

static gboolean write_json_file(const char *dir, const char *name, struct json_object *obj, GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	g_autofree char *with_nl = g_strconcat(text, "\n", NULL);

	/* g_file_set_contents writes a temporary file, fsyncs and renames it */
	return g_file_set_contents(path, with_nl, -1, error);
}

gboolean mhp_results_write_json(MhpResults *r, const char *name, struct json_object *obj, GError **error)
{
	return write_json_file(r->dir, name, obj, error);
}

static gboolean append_line(MhpResults *r, int fd, struct json_object *obj)
{
	size_t n;
	const char *text = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	g_autofree char *line = g_malloc(n + 1);

	memcpy(line, text, n);
	line[n] = '\n';
	for (;;) {
		ssize_t w = write(fd, line, n + 1);

		if (w < 0 && errno == EINTR)
			continue;
		if (w != (ssize_t)(n + 1)) {
			r->write_failed = TRUE;
			return FALSE;
		}
		return TRUE;
	}
}

gboolean mhp_results_append_cycle(MhpResults *r, struct json_object *obj)
{
	gboolean okv = append_line(r, r->cycles_fd, obj);

	fdatasync(r->cycles_fd);
	return okv;
}

gboolean mhp_results_append_event(MhpResults *r, const char *source, struct json_object *msg)
{
	struct json_object *e = json_object_new_object();
	gboolean okv;

	json_object_object_add(e, "ts_ns", json_object_new_int64(g_get_monotonic_time() * 1000));
	json_object_object_add(e, "source", json_object_new_string(source));
	json_object_object_add(e, "msg", json_object_get(msg));
	okv = append_line(r, r->events_fd, e);
	json_object_put(e);
	r->events++;
	return okv;
}

guint64 mhp_results_events_written(MhpResults *r)
{
	return r->events;
}

/* ---- summary.json ---- */

static const char *const verdict_names[_MHP_VERDICT_MAX] = {
	[MHP_VERDICT_PASS] = "pass",
	[MHP_VERDICT_FAIL] = "fail",
	[MHP_VERDICT_ERROR] = "error",
	[MHP_VERDICT_INTERRUPTED] = "interrupted",
};

MHP_DEFINE_STRING_TABLE(mhp_verdict, MhpVerdict, verdict_names, _MHP_VERDICT_MAX, _MHP_VERDICT_INVALID)

static int cmp_double(gconstpointer a, gconstpointer b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double percentile(GArray *sorted, double p)
{
	/* nearest rank */
	guint n = sorted->len;
	guint rank = (guint)(p / 100.0 * n + 0.999999);

	if (!n)
		return 0;
	rank = CLAMP(rank, 1, n);
	return g_array_index(sorted, double, rank - 1);
}

void mhp_latency_from_samples(GArray *ms, MhpLatency *ret)
{
	*ret = (MhpLatency){ 0 };
	if (!ms || !ms->len)
		return;
	g_array_sort(ms, cmp_double);
	ret->n = ms->len;
	ret->p50 = percentile(ms, 50);
	ret->p90 = percentile(ms, 90);
	ret->p99 = percentile(ms, 99);
	ret->max = g_array_index(ms, double, ms->len - 1);
}

static void latency_add(struct json_object *lat, const char *name, const MhpLatency *l)
{
	struct json_object *p;

	if (!l->n)
		return;
	p = json_object_new_object();
	json_object_object_add(p, "n", json_object_new_int((int)l->n));
	json_object_object_add(p, "p50", json_object_new_double(l->p50));
	json_object_object_add(p, "p90", json_object_new_double(l->p90));
	json_object_object_add(p, "p99", json_object_new_double(l->p99));
	json_object_object_add(p, "max", json_object_new_double(l->max));
	json_object_object_add(lat, name, p);
}

static struct json_object *borrowed_or_empty(struct json_object *o)
{
	return o ? json_object_get(o) : json_object_new_object();
}

gboolean mhp_summary_write(const char *dir, const MhpSummary *s, GError **error)
{
	struct json_object *o = json_object_new_object(), *f = json_object_new_object(), *lat = json_object_new_object();
	gboolean okv;

	for (int c = 0; c < _MHP_FAIL_MAX; c++)
		if (s->failures[c])
			json_object_object_add(f, mhp_fail_class_to_string(c), json_object_new_int64((int64_t)s->failures[c]));
	for (int ph = 0; ph < _MHP_PHASE_MAX; ph++)
		latency_add(lat, mhp_phase_to_string(ph), &s->latency[ph]);
	latency_add(lat, "cycle", &s->cycle_latency);
	json_object_object_add(o, "verdict", json_object_new_string(mhp_verdict_to_string(s->verdict)));
	if (s->message)
		json_object_object_add(o, "message", json_object_new_string(s->message));
	json_object_object_add(o, "cycles", json_object_new_int64((int64_t)s->cycles));
	json_object_object_add(o, "failed_cycles", json_object_new_int64((int64_t)s->failed_cycles));
	json_object_object_add(o, "failures", f);
	json_object_object_add(o, "latency_ms", lat);
	if (!s->partial) {
		json_object_object_add(o, "trends", borrowed_or_empty(s->trends));
		json_object_object_add(o, "stressors", borrowed_or_empty(s->stressors));
		json_object_object_add(o, "evidence", json_object_new_boolean(s->evidence));
		json_object_object_add(o, "seed", json_object_new_uint64(s->seed));
		json_object_object_add(o, "elapsed_ms", json_object_new_int64(s->elapsed_ms));
		json_object_object_add(o, "stopped", json_object_new_boolean(s->stopped));
	}
	okv = write_json_file(dir, MHP_RESULTS_SUMMARY, o, error);
	json_object_put(o);
	return okv;
}

void mhp_summary_from_cycles(const char *dir, MhpSummary *s)
{
	g_autofree char *path = g_build_filename(dir, MHP_RESULTS_CYCLES, NULL);
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return;
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i]; i++) {
		struct json_object *c = json_tokener_parse(lines[i]), *v;
		MhpFailClass cls;

		if (!c)
			continue;
		s->cycles++;
		if (json_object_object_get_ex(c, "verdict", &v) && json_object_is_type(v, json_type_string) &&
		    (cls = mhp_fail_class_from_string(json_object_get_string(v))) != MHP_FAIL_NONE) {
			s->failed_cycles++;
			if (cls >= 0)
				s->failures[cls]++;
		}
		json_object_put(c);
	}
}
