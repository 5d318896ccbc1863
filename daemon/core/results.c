// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * results.c - a run's results directory: run.json, cycles.jsonl,
 * events.jsonl, console.log (written by QEMU itself), summary.json and
 * snapshots/; and the layout of summary.json.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <gio/gio.h>
#include <gio/gunixoutputstream.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "jsonget.h"
#include "results.h"
#include "strtable.h"

struct MhpResults {
	char *dir;
	int dir_fd;    /* every file is opened relative to it */
	int cycles_fd;
	int events_fd;
	guint64 events;
	guint64 events_lost;
	GError *events_error; /* the first lost event's */
	gsize largest;        /* the longest line written, newline included */
	/* segments and the cap */
	guint64 segment_max, events_max;
	guint64 open_bytes;   /* the open events.jsonl's */
	guint64 closed_bytes; /* the closed segments', as they are on disk */
	guint segments;
	guint64 events_dropped;
	/* cycles.jsonl's segments: closed and compressed as events.jsonl's are */
	guint64 cycles_segment_max, cycles_open_bytes;
	guint cycles_segments;
	/* the last elided messages, whole: their events.jsonl lines (char *, newline included) */
	GQueue held;
	gsize held_bytes;
	/* fdatasync off the cycle's path: one pass at a time, at most every MHP_RESULTS_SYNC_US */
	GThreadPool *syncer;
	gint sync_busy;      /* atomic: a pass is queued or running */
	gint sync_errno;     /* atomic: the first failed pass's errno, 0 */
	gint64 last_sync_us; /* monotonic, when the last pass was queued */
	guint64 syncs;       /* passes queued */
};

/* A sync pass: dups of the files' fds, closed when done. */
typedef struct {
	MhpResults *r;
	int fd[2];
} SyncJob;

/* Return: FALSE, with @error "cannot @what '@path': strerror(@err)". */
static gboolean fail_errno(GError **error, int err, const char *what, const char *path)
{
	g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), "cannot %s '%s': %s", what, path, g_strerror(err));
	return FALSE;
}

/* Return: 0, or the errno of the write(2) that failed; a write of 0 bytes is ENOSPC. */
static int write_all(int fd, const char *buf, gsize len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		if (w == 0)
			return ENOSPC;
		buf += w;
		len -= (gsize)w;
	}
	return 0;
}

gboolean mhp_results_dir_create(const char *dir, GError **error)
{
	g_autofree char *canon = g_canonicalize_filename(dir, NULL); /* no trailing '/' */
	g_autofree char *parent = g_path_get_dirname(canon);
	g_autoptr(GDir) d = NULL;
	g_autoptr(GError) err = NULL;

	if (g_mkdir_with_parents(parent, 0755) < 0)
		return fail_errno(error, errno, "create the parent of results directory", parent);
	if (mkdir(canon, 0700) == 0)
		return TRUE;
	if (errno != EEXIST)
		return fail_errno(error, errno, "create results directory", dir);
	d = g_dir_open(canon, 0, &err);
	if (!d) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS, "results directory '%s' exists and cannot be used: %s", dir,
			    err->message);
		return FALSE;
	}
	if (g_dir_read_name(d)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
			    "results directory '%s' is not empty; choose a new or empty directory for --results", dir);
		return FALSE;
	}
	return TRUE;
}

/* A new file of the run: O_EXCL and O_NOFOLLOW refuse what is already there, a symlink above all. */
static int open_new(MhpResults *r, const char *name, GError **error)
{
	g_autofree char *path = g_build_filename(r->dir, name, NULL);
	int fd = openat(r->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	struct stat st;

	if (fd >= 0)
		return fd;
	if (errno != EEXIST) {
		fail_errno(error, errno, "create", path);
		return -1;
	}
	if (fstatat(r->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS, "'%s' is a symbolic link; refusing to follow it", path);
	else
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
			    "results directory '%s' already holds a run ('%s' exists); choose another --results", r->dir,
			    name);
	return -1;
}

static gboolean make_subdir(MhpResults *r, const char *name, GError **error)
{
	g_autofree char *path = g_build_filename(r->dir, name, NULL);
	struct stat st;

	if (mkdirat(r->dir_fd, name, 0700) == 0)
		return TRUE;
	if (errno != EEXIST)
		return fail_errno(error, errno, "create", path);
	if (fstatat(r->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY, "'%s' is not a directory", path);
		return FALSE;
	}
	return TRUE;
}

MhpResults *mhp_results_open(const char *dir, GError **error)
{
	g_autoptr(MhpResults) r = g_new0(MhpResults, 1);
	struct stat st;

	r->dir_fd = r->cycles_fd = r->events_fd = -1;
	r->dir = g_strdup(dir);
	r->segment_max = MHP_RESULTS_EVENTS_SEGMENT;
	r->events_max = MHP_RESULTS_EVENTS_MAX;
	r->cycles_segment_max = MHP_RESULTS_CYCLES_SEGMENT;
	g_queue_init(&r->held);
	if (!g_file_test(dir, G_FILE_TEST_EXISTS) && !mhp_results_dir_create(dir, error))
		return NULL;
	r->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->dir_fd < 0) {
		fail_errno(error, errno, "open results directory", dir);
		return NULL;
	}
	if (fstatat(r->dir_fd, MHP_RESULTS_RUN, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
			    "results directory '%s' already holds a run; choose another --results", dir);
		return NULL;
	}
	if (!make_subdir(r, MHP_RESULTS_SNAPSHOTS, error))
		return NULL;
	r->cycles_fd = open_new(r, MHP_RESULTS_CYCLES, error);
	if (r->cycles_fd < 0)
		return NULL;
	r->events_fd = open_new(r, MHP_RESULTS_EVENTS, error);
	if (r->events_fd < 0)
		return NULL;
	return g_steal_pointer(&r);
}

void mhp_results_close(MhpResults *r)
{
	if (!r)
		return;
	if (r->syncer)
		g_thread_pool_free(r->syncer, FALSE, TRUE); /* the pass in flight ends first */
	/* the last lines reach the disk before the run is called over */
	if (r->events_fd >= 0)
		(void)fdatasync(r->events_fd);
	if (r->cycles_fd >= 0)
		(void)fdatasync(r->cycles_fd);
	if (r->cycles_fd >= 0)
		close(r->cycles_fd);
	if (r->events_fd >= 0)
		close(r->events_fd);
	if (r->dir_fd >= 0)
		close(r->dir_fd);
	g_clear_error(&r->events_error);
	g_queue_clear_full(&r->held, g_free);
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

/*
 * Replace @name in @dir_fd with @len bytes of @data: a temporary file
 * (0600, O_NOFOLLOW), fsync, rename. A failure leaves the old file and
 * no temporary one.
 */
static gboolean write_file_at(int dir_fd, const char *dir, const char *name, const char *data, gsize len,
			      GError **error)
{
	g_autofree char *tmp = g_strconcat(name, ".tmp", NULL);
	g_autofree char *path = g_build_filename(dir, name, NULL);
	int fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	int err = fd < 0 ? errno : write_all(fd, data, len);

	if (!err && fsync(fd) < 0)
		err = errno;
	if (fd >= 0 && close(fd) < 0 && !err)
		err = errno;
	if (!err && renameat(dir_fd, tmp, dir_fd, name) < 0)
		err = errno;
	if (!err)
		return TRUE;
	if (fd >= 0)
		unlinkat(dir_fd, tmp, 0);
	return fail_errno(error, err, "write", path);
}

static gboolean write_json_file(int dir_fd, const char *dir, const char *name, struct json_object *obj,
				GError **error)
{
	const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	g_autofree char *with_nl = g_strconcat(text, "\n", NULL);

	return write_file_at(dir_fd, dir, name, with_nl, strlen(with_nl), error);
}

gboolean mhp_results_write_json(MhpResults *r, const char *name, struct json_object *obj, GError **error)
{
	return write_json_file(r->dir_fd, r->dir, name, obj, error);
}

gboolean mhp_results_write_file(const char *path, const char *data, gssize len, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *name = g_path_get_basename(path);
	int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	gboolean ok;

	if (dir_fd < 0)
		return fail_errno(error, errno, "write", path);
	ok = write_file_at(dir_fd, dir, name, data, len < 0 ? strlen(data) : (gsize)len, error);
	close(dir_fd);
	return ok;
}

/*
 * @len bytes of @line (a whole line, newline included), whole or not at
 * all: after a short write or an error the file is cut back to where it
 * ended, so the next line never follows half of this one, and space freed
 * later never completes it.
 */
static gboolean append_text(MhpResults *r, int fd, const char *name, const char *line, gsize len, GError **error)
{
	g_autofree char *path = g_build_filename(r->dir, name, NULL);
	struct stat st;
	int err;

	if (fd < 0)
		return fail_errno(error, EBADF, "write", path); /* a segment that could not be reopened */
	if (fstat(fd, &st) < 0)
		return fail_errno(error, errno, "write", path);
	err = write_all(fd, line, len);
	if (!err) {
		r->largest = MAX(r->largest, len);
		return TRUE;
	}
	if (ftruncate(fd, st.st_size) < 0) {
		int terr = errno;

		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
			    "cannot write '%s': %s; cutting it back to its last whole line failed too: %s", path,
			    g_strerror(err), g_strerror(terr));
		return FALSE;
	}
	return fail_errno(error, err, "write", path);
}

/* @obj's compact JSON and a newline (and a NUL, not counted). */
static char *line_of(struct json_object *obj, gsize *ret_len)
{
	size_t n;
	const char *text = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	char *line = g_malloc(n + 2);

	memcpy(line, text, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	*ret_len = n + 1;
	return line;
}

static gboolean compress_segment(MhpResults *r, const char *plain, guint64 *ret_size, GError **error);

/*
 * The open cycles.jsonl is full: it becomes cycles.NNNN.jsonl, compressed to
 * cycles.NNNN.jsonl.gz, and a new cycles.jsonl is opened. The plain segment
 * goes only once its compressed copy is on disk; when compressing fails it
 * stays, and readers take it as it is. Return: FALSE when no new
 * cycles.jsonl could be opened (the next record could not be written).
 */
static gboolean close_cycles_segment(MhpResults *r, GError **error)
{
	g_autofree char *plain = g_strdup_printf("cycles.%04u.jsonl", r->cycles_segments + 1);
	g_autoptr(GError) err = NULL;
	guint64 size = 0;

	if (renameat(r->dir_fd, MHP_RESULTS_CYCLES, r->dir_fd, plain) < 0) {
		g_autofree char *path = mhp_results_path(r, MHP_RESULTS_CYCLES);

		/* not fatal: the open segment goes on growing */
		g_message("cannot rename '%s' to close its segment: %s", path, g_strerror(errno));
		return TRUE;
	}
	close(r->cycles_fd);
	r->cycles_segments++;
	r->cycles_open_bytes = 0;
	r->cycles_fd = open_new(r, MHP_RESULTS_CYCLES, error);
	if (r->cycles_fd < 0)
		return FALSE;
	if (!compress_segment(r, plain, &size, &err))
		g_message("%s stays uncompressed: %s", plain, err->message);
	return TRUE;
}

static void sync_pass(gpointer data, gpointer user_data)
{
	SyncJob *j = data;

	for (guint i = 0; i < G_N_ELEMENTS(j->fd); i++) {
		if (j->fd[i] < 0)
			continue;
		/* EINVAL: a file system without fdatasync */
		if (fdatasync(j->fd[i]) < 0 && errno != EINVAL)
			g_atomic_int_compare_and_exchange(&j->r->sync_errno, 0, errno);
		close(j->fd[i]);
	}
	g_atomic_int_set(&j->r->sync_busy, 0);
	g_free(j);
}

/*
 * events.jsonl, then cycles.jsonl, to the disk in a worker thread, at most
 * every MHP_RESULTS_SYNC_US: a cycle never waits for the disk (two
 * fdatasyncs were 1.6 ms of a 65 ms race cycle, and more on a busy disk).
 */
static void sync_soon(MhpResults *r)
{
	gint64 now = g_get_monotonic_time();
	SyncJob *j;

	if (r->syncs && now - r->last_sync_us < MHP_RESULTS_SYNC_US)
		return;
	if (!g_atomic_int_compare_and_exchange(&r->sync_busy, 0, 1))
		return;
	if (!r->syncer)
		r->syncer = g_thread_pool_new(sync_pass, NULL, 1, FALSE, NULL);
	j = g_new0(SyncJob, 1);
	j->r = r;
	j->fd[0] = r->events_fd >= 0 ? fcntl(r->events_fd, F_DUPFD_CLOEXEC, 3) : -1;
	j->fd[1] = fcntl(r->cycles_fd, F_DUPFD_CLOEXEC, 3);
	r->last_sync_us = now;
	r->syncs++;
	g_thread_pool_push(r->syncer, j, NULL);
}

gboolean mhp_results_append_cycle(MhpResults *r, struct json_object *obj, GError **error)
{
	int err = g_atomic_int_get(&r->sync_errno);

	if (err) {
		g_autofree char *path = mhp_results_path(r, MHP_RESULTS_CYCLES);

		return fail_errno(error, err, "sync", path);
	}
	gsize len;
	g_autofree char *line = line_of(obj, &len);

	if (!append_text(r, r->cycles_fd, MHP_RESULTS_CYCLES, line, len, error))
		return FALSE;
	r->cycles_open_bytes += len;
	if (r->cycles_open_bytes >= r->cycles_segment_max)
		return close_cycles_segment(r, error);
	sync_soon(r);
	return TRUE;
}

void mhp_results_set_cycles_segment(MhpResults *r, guint64 segment)
{
	r->cycles_segment_max = segment;
}

guint mhp_results_cycles_segments(MhpResults *r)
{
	return r->cycles_segments;
}

guint64 mhp_results_syncs(MhpResults *r)
{
	return r->syncs;
}

/* ---- events.jsonl: segments, the cap, elided messages ---- */

static void event_error(MhpResults *r, GError *err)
{
	if (!r->events_error)
		r->events_error = err;
	else
		g_error_free(err);
}

static void event_lost(MhpResults *r, GError *err)
{
	r->events_lost++;
	event_error(r, err);
}

/*
 * @plain.gz from the closed segment @plain, 64 KiB at a time through the
 * compressor into @plain.gz.tmp (O_NOFOLLOW), then fsync and rename: an
 * 8 MiB segment is never held in memory (whole, it left the daemon 8 MB
 * larger for good after the first segment: malloc keeps what it had).
 */
static gboolean compress_segment(MhpResults *r, const char *plain, guint64 *ret_size, GError **error)
{
	g_autofree char *path = g_build_filename(r->dir, plain, NULL);
	g_autofree char *gz = g_strconcat(plain, ".gz", NULL);
	g_autofree char *tmp = g_strconcat(gz, ".tmp", NULL);
	g_autofree char *tmp_path = g_build_filename(r->dir, tmp, NULL);
	g_autoptr(GZlibCompressor) z = g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
	g_autoptr(GOutputStream) file = NULL, out = NULL;
	g_autofree char *buf = g_malloc(64 << 10);
	int in = openat(r->dir_fd, plain, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int fd = -1;
	ssize_t got = 0;
	gboolean ok = FALSE;
	struct stat st;

	if (in < 0)
		return fail_errno(error, errno, "read", path);
	fd = openat(r->dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		fail_errno(error, errno, "write", tmp_path);
		close(in);
		return FALSE;
	}
	file = g_unix_output_stream_new(fd, FALSE);
	out = g_converter_output_stream_new(file, G_CONVERTER(z));
	while ((got = read(in, buf, 64 << 10)) > 0)
		if (!g_output_stream_write_all(out, buf, (gsize)got, NULL, NULL, error))
			break;
	if (got < 0)
		fail_errno(error, errno, "read", path);
	else if (got == 0 && g_output_stream_close(out, NULL, error)) {
		if (fsync(fd) < 0 || fstat(fd, &st) < 0)
			fail_errno(error, errno, "write", tmp_path);
		else if (renameat(r->dir_fd, tmp, r->dir_fd, gz) < 0)
			fail_errno(error, errno, "rename", tmp_path);
		else
			ok = TRUE;
	}
	close(in);
	close(fd);
	if (!ok) {
		unlinkat(r->dir_fd, tmp, 0);
		return FALSE;
	}
	*ret_size = (guint64)st.st_size;
	if (unlinkat(r->dir_fd, plain, 0) < 0)
		return fail_errno(error, errno, "remove", path);
	return TRUE;
}

/*
 * The open events.jsonl is full: it becomes events.NNNN.jsonl, compressed
 * to events.NNNN.jsonl.gz, and a new events.jsonl is opened. Nothing
 * written is lost on the way: the plain segment goes only once its
 * compressed copy is on disk, and when compressing fails it stays.
 */
static void close_segment(MhpResults *r)
{
	g_autofree char *plain = g_strdup_printf("events.%04u.jsonl", r->segments + 1);
	GError *err = NULL;
	guint64 size = 0;

	if (renameat(r->dir_fd, MHP_RESULTS_EVENTS, r->dir_fd, plain) < 0) {
		g_autofree char *path = mhp_results_path(r, MHP_RESULTS_EVENTS);

		fail_errno(&err, errno, "rename", path);
		event_error(r, err); /* the open segment goes on growing */
		return;
	}
	close(r->events_fd);
	r->segments++;
	r->events_fd = open_new(r, MHP_RESULTS_EVENTS, &err);
	if (r->events_fd < 0)
		event_error(r, g_steal_pointer(&err)); /* what follows is lost, and counted */
	if (compress_segment(r, plain, &size, &err))
		r->closed_bytes += size;
	else {
		r->closed_bytes += r->open_bytes;
		event_error(r, err);
	}
	r->open_bytes = 0;
}

/* An events line, or its loss, counted; the cap and the segments applied. */
static gboolean append_event_text(MhpResults *r, const char *line, gsize len)
{
	GError *err = NULL;

	if (r->closed_bytes + r->open_bytes + len > r->events_max) {
		r->events_dropped++;
		return FALSE;
	}
	if (!append_text(r, r->events_fd, MHP_RESULTS_EVENTS, line, len, &err)) {
		event_lost(r, err);
		return FALSE;
	}
	r->events++;
	r->open_bytes += len;
	if (r->open_bytes >= r->segment_max)
		close_segment(r);
	return TRUE;
}

/* {"ts_ns", "source", "replay" (a held message written late), "msg"} */
static char *event_line(gint64 ts_ns, const char *source, gboolean replay, struct json_object *msg, gsize *ret_len)
{
	struct json_object *e = json_object_new_object();
	char *line;

	json_object_object_add(e, "ts_ns", json_object_new_int64(ts_ns));
	json_object_object_add(e, "source", json_object_new_string(source));
	if (replay)
		json_object_object_add(e, "replay", json_object_new_boolean(TRUE));
	json_object_object_add(e, "msg", json_object_get(msg));
	line = line_of(e, ret_len);
	json_object_put(e);
	return line;
}

gboolean mhp_results_append_event(MhpResults *r, const char *source, struct json_object *msg)
{
	gsize len;
	g_autofree char *line = event_line(g_get_monotonic_time() * 1000, source, FALSE, msg, &len);

	return append_event_text(r, line, len);
}

struct json_object *mhp_results_elide(struct json_object *msg, const char *text, gsize len)
{
	static const char *const copied[] = { "id", "cmd", "execute" };
	static const char *const bodies[] = { "ok", "return", "args" };
	struct json_object *o = json_object_new_object(), *el = json_object_new_object();
	struct json_object *keys = json_object_new_array(), *from = msg, *v;
	g_autofree char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)text, len);

	for (guint i = 0; i < G_N_ELEMENTS(copied); i++)
		if (json_object_object_get_ex(msg, copied[i], &v) &&
		    (json_object_is_type(v, json_type_int) ||
		     (json_object_is_type(v, json_type_string) && json_object_get_string_len(v) <= 64)))
			json_object_object_add(o, copied[i], json_object_get(v));
	for (guint i = 0; i < G_N_ELEMENTS(bodies); i++)
		if (json_object_object_get_ex(msg, bodies[i], &v) && json_object_is_type(v, json_type_object)) {
			from = v;
			break;
		}
	if (json_object_is_type(from, json_type_object)) {
		json_object_object_foreach(from, k, val) {
			if (json_object_array_length(keys) >= 16)
				break;
			json_object_array_add(keys, json_object_new_string_len(k, (int)MIN(strlen(k), 64)));
			(void)val;
		}
	}
	sum[16] = '\0';
	json_object_object_add(el, "bytes", json_object_new_int64((int64_t)len));
	json_object_object_add(el, "sha256", json_object_new_string(sum));
	json_object_object_add(el, "keys", keys);
	json_object_object_add(o, "elided", el);
	return o;
}

/* Hold @msg's whole line for mhp_results_flush_held(): the last few, within the bytes allowed. */
static void hold(MhpResults *r, gint64 ts_ns, const char *source, struct json_object *msg)
{
	gsize len;
	char *line = event_line(ts_ns, source, TRUE, msg, &len);

	if (len > MHP_RESULTS_HELD_BYTES) {
		g_free(line);
		return;
	}
	g_queue_push_tail(&r->held, line);
	r->held_bytes += len;
	while (r->held.length > MHP_RESULTS_HELD || r->held_bytes > MHP_RESULTS_HELD_BYTES) {
		char *old = g_queue_pop_head(&r->held);

		r->held_bytes -= strlen(old);
		g_free(old);
	}
}

gboolean mhp_results_append_message(MhpResults *r, const char *source, struct json_object *msg)
{
	gint64 ts_ns = g_get_monotonic_time() * 1000;
	struct json_object *stand;
	const char *text;
	g_autofree char *line = NULL;
	size_t n;
	gsize len;

	if (json_object_object_get_ex(msg, "event", NULL))
		return mhp_results_append_event(r, source, msg);
	text = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (n <= MHP_RESULTS_ELIDE_BYTES)
		return mhp_results_append_event(r, source, msg);
	stand = mhp_results_elide(msg, text, n);
	hold(r, ts_ns, source, msg);
	line = event_line(ts_ns, source, FALSE, stand, &len);
	json_object_put(stand);
	return append_event_text(r, line, len);
}

guint mhp_results_flush_held(MhpResults *r)
{
	guint n = 0;
	char *line;

	while ((line = g_queue_pop_head(&r->held))) {
		gsize len = strlen(line);

		r->held_bytes -= len;
		n += append_event_text(r, line, len);
		g_free(line);
	}
	return n;
}

void mhp_results_set_events_limits(MhpResults *r, guint64 segment, guint64 max)
{
	r->segment_max = segment;
	r->events_max = max;
}

guint mhp_results_events_segments(MhpResults *r)
{
	return r->segments;
}

guint64 mhp_results_events_bytes(MhpResults *r)
{
	return r->closed_bytes + r->open_bytes;
}

guint64 mhp_results_events_dropped(MhpResults *r)
{
	return r->events_dropped;
}

guint64 mhp_results_events_written(MhpResults *r)
{
	return r->events;
}

guint64 mhp_results_events_lost(MhpResults *r)
{
	return r->events_lost;
}

const GError *mhp_results_events_error(MhpResults *r)
{
	return r->events_error;
}

gboolean mhp_results_check_space(MhpResults *r, GError **error)
{
	struct statvfs v;
	guint64 need = MAX((guint64)MHP_RESULTS_MIN_FREE, 4 * (guint64)r->largest), avail;

	if (fstatvfs(r->dir_fd, &v) < 0)
		return fail_errno(error, errno, "read the free space of results directory", r->dir);
	avail = (guint64)v.f_bavail * v.f_frsize;
	if (avail >= need)
		return TRUE;
	/* plain KiB: g_format_size() puts a no-break space in */
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
		    "results directory '%s' has %" G_GUINT64_FORMAT " KiB free, less than the %" G_GUINT64_FORMAT
		    " KiB needed to record a cycle; free some space there",
		    r->dir, avail / 1024, need / 1024);
	return FALSE;
}

/* ---- summary.json ---- */

static const char *const verdict_names[_MHP_VERDICT_MAX] = {
	[MHP_VERDICT_PASS] = "pass",
	[MHP_VERDICT_FAIL] = "fail",
	[MHP_VERDICT_ERROR] = "error",
	[MHP_VERDICT_INTERRUPTED] = "interrupted",
};

MHP_DEFINE_STRING_TABLE(mhp_verdict, MhpVerdict, verdict_names, _MHP_VERDICT_MAX, _MHP_VERDICT_INVALID)

static int cmp_uint(gconstpointer a, gconstpointer b)
{
	guint x = *(const guint *)a, y = *(const guint *)b;

	return x < y ? -1 : x > y;
}

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

/* ---- bounded latency samples ---- */

#define LAT_MIN_MS 1e-3                  /* bucket 0: up to a microsecond */
#define LAT_RATIO (1.0 + 1.0 / 128.0)    /* each bucket's upper bound over its lower */
#define LAT_BUCKETS 3000                 /* to about 1e10 x LAT_MIN_MS: 2.8 hours */

struct MhpLatencyAcc {
	GArray *exact; /* double ms; NULL once there were more than MHP_LATENCY_EXACT */
	guint32 *buckets;
	guint64 n;
	double max;
};

static guint lat_bucket(double ms)
{
	double i;

	if (!(ms > LAT_MIN_MS)) /* NaN too */
		return 0;
	i = 1 + floor(log(ms / LAT_MIN_MS) / log(LAT_RATIO));
	return i >= LAT_BUCKETS - 1 ? LAT_BUCKETS - 1 : (guint)i;
}

/* A bucket's geometric middle: within half a bucket of any of its samples. */
static double lat_value(guint b)
{
	return b == 0 ? LAT_MIN_MS : LAT_MIN_MS * pow(LAT_RATIO, (double)b - 0.5);
}

MhpLatencyAcc *mhp_latency_acc_new(void)
{
	MhpLatencyAcc *a = g_new0(MhpLatencyAcc, 1);

	a->exact = g_array_sized_new(FALSE, FALSE, sizeof(double), MHP_LATENCY_EXACT);
	a->buckets = g_new0(guint32, LAT_BUCKETS);
	return a;
}

void mhp_latency_acc_free(MhpLatencyAcc *a)
{
	if (!a)
		return;
	if (a->exact)
		g_array_unref(a->exact);
	g_free(a->buckets);
	g_free(a);
}

void mhp_latency_acc_add(MhpLatencyAcc *a, double ms)
{
	a->n++;
	a->max = a->n == 1 ? ms : MAX(a->max, ms);
	a->buckets[lat_bucket(ms)]++;
	if (a->exact && a->exact->len < MHP_LATENCY_EXACT)
		g_array_append_val(a->exact, ms);
	else
		g_clear_pointer(&a->exact, g_array_unref);
}

void mhp_latency_acc_replace(MhpLatencyAcc *a, double old_ms, double ms)
{
	guint ob = lat_bucket(old_ms);

	if (a->buckets[ob])
		a->buckets[ob]--;
	a->buckets[lat_bucket(ms)]++;
	a->max = MAX(a->max, ms); /* an old maximum stays: max is of every sample taken */
	for (guint i = a->exact ? a->exact->len : 0; i-- > 0;)
		if (g_array_index(a->exact, double, i) == old_ms) {
			g_array_index(a->exact, double, i) = ms;
			break;
		}
}

static double lat_percentile(const MhpLatencyAcc *a, double p)
{
	guint64 rank = (guint64)(p / 100.0 * (double)a->n + 0.999999), seen = 0;

	rank = CLAMP(rank, 1, a->n);
	for (guint b = 0; b < LAT_BUCKETS; b++) {
		seen += a->buckets[b];
		if (seen >= rank)
			return MIN(lat_value(b), a->max);
	}
	return a->max;
}

void mhp_latency_acc_get(const MhpLatencyAcc *a, MhpLatency *ret)
{
	*ret = (MhpLatency){ 0 };
	if (!a || !a->n)
		return;
	if (a->exact) {
		g_autoptr(GArray) copy = g_array_copy(a->exact);

		mhp_latency_from_samples(copy, ret);
		return;
	}
	ret->n = (guint)MIN(a->n, G_MAXUINT);
	ret->p50 = lat_percentile(a, 50);
	ret->p90 = lat_percentile(a, 90);
	ret->p99 = lat_percentile(a, 99);
	ret->max = a->max;
}

void mhp_latency_add(struct json_object *lat, const char *name, const MhpLatency *l)
{
	struct json_object *p;

	if (!l->n)
		return;
	p = json_object_new_object();
	json_object_object_add(p, "n", json_object_new_int((int)l->n));
	json_object_object_add(p, "p50", mhp_json_new_double(l->p50));
	json_object_object_add(p, "p90", mhp_json_new_double(l->p90));
	json_object_object_add(p, "p99", mhp_json_new_double(l->p99));
	json_object_object_add(p, "max", mhp_json_new_double(l->max));
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
	int dir_fd;

	for (int c = 0; c < _MHP_FAIL_MAX; c++)
		if (s->failures[c])
			json_object_object_add(f, mhp_fail_class_to_string(c), json_object_new_int64((int64_t)s->failures[c]));
	for (int ph = 0; ph < _MHP_PHASE_MAX; ph++)
		mhp_latency_add(lat, mhp_phase_to_string(ph), &s->latency[ph]);
	mhp_latency_add(lat, "cycle", &s->cycle_latency);
	json_object_object_add(o, "verdict", json_object_new_string(mhp_verdict_to_string(s->verdict)));
	if (s->message)
		json_object_object_add(o, "message", json_object_new_string(s->message));
	json_object_object_add(o, "cycles", json_object_new_int64((int64_t)s->cycles));
	json_object_object_add(o, "failed_cycles", json_object_new_int64((int64_t)s->failed_cycles));
	json_object_object_add(o, "failures", f);
	json_object_object_add(o, "latency_ms", lat);
	if (s->events_lost)
		json_object_object_add(o, "events_lost", json_object_new_uint64(s->events_lost));
	if (s->events_dropped)
		json_object_object_add(o, "events_dropped", json_object_new_uint64(s->events_dropped));
	if (!s->partial) {
		json_object_object_add(o, "trends", borrowed_or_empty(s->trends));
		json_object_object_add(o, "stressors", borrowed_or_empty(s->stressors));
		json_object_object_add(o, "evidence", json_object_new_boolean(s->evidence));
		json_object_object_add(o, "seed", mhp_json_new_seed(s->seed));
		json_object_object_add(o, "elapsed_ms", json_object_new_int64(s->elapsed_ms));
		json_object_object_add(o, "stopped", json_object_new_boolean(s->stopped));
	}
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		g_autofree char *path = g_build_filename(dir, MHP_RESULTS_SUMMARY, NULL);

		okv = fail_errno(error, errno, "write", path);
	} else {
		okv = write_json_file(dir_fd, dir, MHP_RESULTS_SUMMARY, o, error);
		close(dir_fd);
	}
	json_object_put(o);
	return okv;
}

/* The closed segments' numbers of @prefix ("cycles."), in order: NNNN from NAME.NNNN.jsonl[.gz]. */
static GArray *segment_numbers(const char *dir, const char *prefix)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	GArray *nums = g_array_new(FALSE, FALSE, sizeof(guint));
	const char *n;

	while (d && (n = g_dir_read_name(d))) {
		const char *p = n + strlen(prefix);
		char *end = NULL;
		guint64 v;

		if (!g_str_has_prefix(n, prefix) || !g_ascii_isdigit(*p))
			continue;
		v = g_ascii_strtoull(p, &end, 10);
		if (v == 0 || v > G_MAXUINT || end - p != 4 || (strcmp(end, ".jsonl") && strcmp(end, ".jsonl.gz")))
			continue;
		guint u = (guint)v;
		gboolean seen = FALSE;
		for (guint i = 0; i < nums->len; i++)
			seen = seen || g_array_index(nums, guint, i) == u;
		if (!seen)
			g_array_append_val(nums, u);
	}
	g_array_sort(nums, (GCompareFunc)cmp_uint);
	return nums;
}

/* Each line of @in that is a JSON object, to @func; Return: the count so far. */
static guint64 foreach_line(GInputStream *in, guint64 n, MhpCycleFunc func, gpointer user_data)
{
	g_autoptr(GDataInputStream) data = g_data_input_stream_new(in);
	char *line;

	g_data_input_stream_set_newline_type(data, G_DATA_STREAM_NEWLINE_TYPE_LF);
	while ((line = g_data_input_stream_read_line(data, NULL, NULL, NULL))) {
		struct json_object *c = json_tokener_parse(line);

		if (json_object_is_type(c, json_type_object))
			func(c, ++n, user_data);
		json_object_put(c);
		g_free(line);
	}
	return n;
}

guint64 mhp_results_foreach_cycle(const char *dir, MhpCycleFunc func, gpointer user_data)
{
	g_autoptr(GArray) nums = segment_numbers(dir, "cycles.");
	g_autofree char *open_path = g_build_filename(dir, MHP_RESULTS_CYCLES, NULL);
	guint64 n = 0;

	/* the closed segments, compressed (or plain, when compressing failed), then the open one */
	for (guint i = 0; i <= nums->len; i++) {
		g_autofree char *plain = i < nums->len
			? g_strdup_printf("%s/cycles.%04u.jsonl", dir, g_array_index(nums, guint, i)) : NULL;
		g_autofree char *gz = plain ? g_strconcat(plain, ".gz", NULL) : NULL;
		gboolean compressed = gz && g_file_test(gz, G_FILE_TEST_IS_REGULAR);
		g_autoptr(GFile) file = g_file_new_for_path(compressed ? gz : plain ? plain : open_path);
		g_autoptr(GInputStream) raw = G_INPUT_STREAM(g_file_read(file, NULL, NULL));
		g_autoptr(GInputStream) in = NULL;

		if (!raw)
			continue;
		if (compressed) {
			g_autoptr(GZlibDecompressor) z = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP);

			in = g_converter_input_stream_new(raw, G_CONVERTER(z));
		} else {
			in = g_object_ref(raw);
		}
		n = foreach_line(in, n, func, user_data);
	}
	return n;
}

static void summary_count(struct json_object *c, guint64 n, gpointer user_data)
{
	MhpSummary *s = user_data;
	struct json_object *v;
	MhpFailClass cls;

	s->cycles++;
	if (json_object_object_get_ex(c, "verdict", &v) && json_object_is_type(v, json_type_string) &&
	    (cls = mhp_fail_class_from_string(json_object_get_string(v))) != MHP_FAIL_NONE) {
		s->failed_cycles++;
		if (cls >= 0)
			s->failures[cls]++;
	}
}

void mhp_summary_from_cycles(const char *dir, MhpSummary *s)
{
	mhp_results_foreach_cycle(dir, summary_count, s);
}
