// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * results.c - a run's results directory: run.json, cycles.jsonl,
 * events.jsonl, console.log (written by QEMU itself), summary.json and
 * snapshots/.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "results.h"

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
	g_autofree char *run = g_build_filename(dir, "run.json", NULL);
	g_autofree char *snaps = g_build_filename(dir, "snapshots", NULL);
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
	r->cycles_fd = open_append(dir, "cycles.jsonl", error);
	r->events_fd = r->cycles_fd < 0 ? -1 : open_append(dir, "events.jsonl", error);
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

gboolean mhp_results_write_json(MhpResults *r, const char *name, struct json_object *obj, GError **error)
{
	g_autofree char *path = g_build_filename(r->dir, name, NULL);
	const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	g_autofree char *with_nl = g_strconcat(text, "\n", NULL);

	/* g_file_set_contents writes a temporary file, fsyncs and renames it */
	return g_file_set_contents(path, with_nl, -1, error);
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
