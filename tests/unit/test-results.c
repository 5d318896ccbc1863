// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-results.c - the results directory on a full disk and against symlinks.
 *
 * A 64 KiB tmpfs is mounted (the tests run as root); if it cannot be, the
 * test bails out: it fails, it does not skip. On it, cycles.jsonl and
 * events.jsonl are filled until a write fails, and every line left must be
 * whole; space is freed and the next line must follow the last whole one.
 *
 * Off the tmpfs: events.jsonl's segments (compressed, readable with
 * GZlibDecompressor and gzip -dc, lines whole and in order across them),
 * its byte cap and drop counter, and the stand-ins of big messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonget.h"
#include "results.h"
#include "tap.h"

#define REC_PAD 1500 /* not a divisor of the page size: the last write is cut short */

static char *base, *fs;

/* {"cycle":"000042","pad":"xxx..."}: every record the same length */
static struct json_object *record(guint i)
{
	struct json_object *o = json_object_new_object();
	g_autofree char *num = g_strdup_printf("%06u", i);
	g_autofree char *pad = g_strnfill(REC_PAD, 'x');

	json_object_object_add(o, "cycle", json_object_new_string(num));
	json_object_object_add(o, "pad", json_object_new_string(pad));
	return o;
}

static gsize record_len(void)
{
	struct json_object *o = record(0);
	gsize n = strlen(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) + 1;

	json_object_put(o);
	return n;
}

/* Every line of @path parses and has "cycle"; Return: the line count, or -1 (a half line). */
static int whole_lines(const char *path, gsize *ret_size, char **ret_last)
{
	g_autofree char *text = NULL;
	gsize len = 0;
	g_auto(GStrv) lines = NULL;
	int n = 0;

	if (!g_file_get_contents(path, &text, &len, NULL))
		return -1;
	*ret_size = len;
	if (len && text[len - 1] != '\n')
		return -1;
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] && *lines[i]; i++) {
		struct json_object *o = json_tokener_parse(lines[i]), *v;

		if (!o || (!json_object_object_get_ex(o, "msg", &v) && !json_object_object_get_ex(o, "cycle", &v))) {
			json_object_put(o);
			return -1;
		}
		json_object_put(o);
		g_free(*ret_last);
		*ret_last = g_strdup(lines[i]);
		n++;
	}
	return n;
}

/* A file of @kib KiB, or as much as fits. */
static void fill(const char *path, gsize kib)
{
	g_autofree char *buf = g_malloc0(1024);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	for (gsize i = 0; fd >= 0 && i < kib; i++)
		if (write(fd, buf, 1024) != 1024)
			break;
	if (fd >= 0)
		close(fd);
}

static guint mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) < 0 ? 0xffff : st.st_mode & 07777;
}

static void test_full_disk(void)
{
	g_autofree char *dir = g_build_filename(fs, "run", NULL);
	g_autofree char *cycles = g_build_filename(dir, MHP_RESULTS_CYCLES, NULL);
	g_autofree char *events = g_build_filename(dir, MHP_RESULTS_EVENTS, NULL);
	g_autofree char *filler = g_build_filename(fs, "filler", NULL);
	g_autofree char *last = NULL, *want = NULL;
	g_autoptr(MhpResults) r = NULL;
	g_autoptr(GError) err = NULL;
	gsize len = record_len(), size = 0;
	guint written = 0;
	gboolean okv;
	int lines;
	struct json_object *o;

	r = mhp_results_open(dir, &err);
	tap_ok(r != NULL, "a results directory opens on the tmpfs (%s)", err ? err->message : "ok");
	if (!r)
		return;
	tap_ok(mode_of(dir) == 0700 && mode_of(cycles) == 0600 && mode_of(events) == 0600, "created 0700, its files 0600 (umask 0)");
	fill(filler, 16);
	for (guint i = 1; i < 1000; i++) {
		o = record(i);
		if (!mhp_results_append_cycle(r, o, &err)) {
			json_object_put(o);
			break;
		}
		json_object_put(o);
		written++;
	}
	tap_ok(err && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NO_SPACE), "filling the disk: an append fails with ENOSPC");
	tap_ok(err && strstr(err->message, cycles) && strstr(err->message, g_strerror(ENOSPC)),
	       "the error names the file and the errno: %s", err ? err->message : "none");
	lines = whole_lines(cycles, &size, &last);
	tap_ok(lines == (int)written && size == written * len,
	       "cycles.jsonl holds the %u whole lines written, nothing of the failed one (%zu bytes, %d lines)", written, size,
	       lines);
	printf("# %u records of %zu bytes fit\n", written, len);

	/* free space: the next line follows the last whole one */
	g_clear_error(&err);
	g_unlink(filler);
	o = record(written + 1);
	want = g_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	okv = mhp_results_append_cycle(r, o, &err);
	tap_ok(okv, "after freeing space an append succeeds (%s)", err ? err->message : "ok");
	json_object_put(o);
	g_clear_pointer(&last, g_free);
	lines = whole_lines(cycles, &size, &last);
	tap_ok(lines == (int)written + 1 && size == (written + 1) * len && !g_strcmp0(last, want),
	       "no half line came back and none was merged: %d whole lines, the last is the new record", lines);

	/* events.jsonl: counted, and the file stays whole */
	g_clear_error(&err);
	fill(filler, 4);
	o = record(0);
	for (guint i = 0; i < 10000 && mhp_results_append_event(r, "engine", o); i++)
		;
	json_object_put(o);
	tap_ok(mhp_results_events_lost(r) == 1 && mhp_results_events_error(r) &&
	       strstr(mhp_results_events_error(r)->message, events),
	       "a lost event is counted and its error names events.jsonl: %s",
	       mhp_results_events_error(r) ? mhp_results_events_error(r)->message : "none");
	g_clear_pointer(&last, g_free);
	lines = whole_lines(events, &size, &last);
	tap_ok(lines > 0 && (guint64)lines == mhp_results_events_written(r), "events.jsonl holds only whole lines (%d)", lines);

	/* the free-space check */
	okv = !mhp_results_check_space(r, &err);
	tap_ok(okv && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NO_SPACE) && strstr(err->message, dir) &&
	       strstr(err->message, "has 0 KiB free") && strstr(err->message, "1024 KiB needed"),
	       "the free-space check refuses the full disk: %s", err ? err->message : "no error");
	g_clear_error(&err);
	g_unlink(filler);
	okv = !mhp_results_check_space(r, &err);
	tap_ok(okv && strstr(err->message, "KiB free"), "a 64 KiB file system is under the 1 MiB minimum: %s",
	       err ? err->message : "no error");
	g_clear_error(&err);
}

static void test_summary_full(void)
{
	g_autofree char *dir = g_build_filename(fs, "run", NULL);
	g_autofree char *path = g_build_filename(dir, MHP_RESULTS_SUMMARY, NULL);
	g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
	g_autofree char *filler = g_build_filename(fs, "filler", NULL);
	g_autofree char *big = g_strnfill(8192, 'm');
	g_autoptr(GError) err = NULL;
	MhpSummary s = { .verdict = MHP_VERDICT_PASS, .message = big, .cycles = 3 };
	gboolean okv;

	fill(filler, 64);
	okv = !mhp_summary_write(dir, &s, &err);
	tap_ok(okv && err && strstr(err->message, path) &&
	       strstr(err->message, g_strerror(ENOSPC)),
	       "summary.json on a full disk: an error naming it: %s", err ? err->message : "none");
	tap_ok(!g_file_test(path, G_FILE_TEST_EXISTS) && !g_file_test(tmp, G_FILE_TEST_EXISTS),
	       "no summary.json and no temporary file are left");
	g_clear_error(&err);
	g_unlink(filler);
	s.message = NULL;
	okv = mhp_summary_write(dir, &s, &err);
	tap_ok(okv && mode_of(path) == 0600, "with space, summary.json is written 0600 (%s)",
	       err ? err->message : "ok");
}

/* summary.json: the seed as a string jq 1.6 cannot round, latencies with a sane precision. */
static void test_summary_numbers(void)
{
	g_autofree char *dir = g_build_filename(base, "numbers", NULL);
	g_autofree char *path = g_build_filename(dir, MHP_RESULTS_SUMMARY, NULL);
	g_autofree char *text = NULL;
	g_autoptr(GError) err = NULL;
	MhpSummary s = { .verdict = MHP_VERDICT_PASS, .cycles = 1, .seed = 15153715275266450073ull };
	struct json_object *o;
	guint64 seed = 0;
	size_t len;

	s.latency[MHP_PHASE_ADD] = (MhpLatency){ .n = 1, .p50 = 77.94, .p90 = 77.94, .p99 = 77.94, .max = 77.94 };
	g_mkdir(dir, 0700);
	tap_ok(mhp_summary_write(dir, &s, &err), "summary.json written (%s)", err ? err->message : "ok");
	text = tap_slurp(path, &len);
	tap_ok(text && strstr(text, "\"seed\":\"15153715275266450073\""), "summary.json: the seed is a decimal string");
	tap_ok(text && strstr(text, "\"p50\":77.94,") && !strstr(text, "77.939"),
	       "summary.json: 77.94 is written 77.94, not 77.939999999999998");
	o = json_object_from_file(path);
	tap_ok(mhp_json_get_seed(o, "summary.json", "seed", &seed, NULL) && seed == s.seed,
	       "summary.json: the seed reads back exactly");
	json_object_put(o);
}

static void test_dirs(void)
{
	g_autofree char *fresh = g_build_filename(base, "a", "b", "fresh", NULL);
	g_autofree char *empty = g_build_filename(base, "empty", NULL);
	g_autofree char *full = g_build_filename(base, "full", NULL);
	g_autofree char *full_file = g_build_filename(full, "notes.txt", NULL);
	g_autofree char *link_dir = g_build_filename(base, "linked", NULL);
	g_autofree char *link = g_build_filename(link_dir, MHP_RESULTS_CYCLES, NULL);
	g_autofree char *target = g_build_filename(base, "target", NULL);
	g_autofree char *used = g_build_filename(base, "used", NULL);
	g_autofree char *tmp_link_dir = g_build_filename(base, "tmplink", NULL);
	g_autofree char *tmp_link = g_build_filename(tmp_link_dir, MHP_RESULTS_SUMMARY ".tmp", NULL);
	g_autoptr(GError) err = NULL;
	MhpResults *r;
	MhpSummary s = { .verdict = MHP_VERDICT_PASS };
	gboolean okv;

	okv = mhp_results_dir_create(fresh, &err);
	tap_ok(okv && mode_of(fresh) == 0700, "a new results directory is created 0700");
	g_clear_error(&err);
	g_mkdir(empty, 0755);
	tap_ok(mhp_results_dir_create(empty, &err), "an existing empty directory is accepted");
	g_clear_error(&err);
	g_mkdir(full, 0755);
	g_file_set_contents(full_file, "x", -1, NULL);
	okv = !mhp_results_dir_create(full, &err);
	tap_ok(okv && strstr(err->message, full) && strstr(err->message, "not empty"),
	       "a non-empty directory is refused: %s", err ? err->message : "accepted");
	g_clear_error(&err);

	g_mkdir(link_dir, 0700);
	g_file_set_contents(target, "", -1, NULL);
	symlink(target, link);
	r = mhp_results_open(link_dir, &err);
	tap_ok(!r && err && strstr(err->message, link) && strstr(err->message, "symbolic link"),
	       "a symlinked cycles.jsonl is refused: %s", err ? err->message : "followed");
	mhp_results_close(r);
	tap_ok(mode_of(target) != 0xffff && g_file_test(target, G_FILE_TEST_IS_REGULAR) && !g_unlink(target) &&
	       !g_file_test(target, G_FILE_TEST_EXISTS), "its target was not written to");
	g_clear_error(&err);
	r = mhp_results_open(link_dir, &err);
	tap_ok(!r && err && strstr(err->message, "symbolic link"), "a dangling one too: %s", err ? err->message : "created");
	mhp_results_close(r);
	g_clear_error(&err);

	r = mhp_results_open(used, &err);
	mhp_results_close(r);
	r = mhp_results_open(used, &err);
	tap_ok(!r && err && strstr(err->message, "already holds a run"), "a directory that holds a run is refused: %s",
	       err ? err->message : "reused");
	mhp_results_close(r);
	g_clear_error(&err);

	g_mkdir(tmp_link_dir, 0700);
	g_file_set_contents(target, "keep", -1, NULL);
	symlink(target, tmp_link);
	okv = !mhp_summary_write(tmp_link_dir, &s, &err);
	tap_ok(okv && strstr(err->message, "Too many levels"), "summary.json's temporary file is not followed through a symlink (%s)",
	       err ? err->message : "followed");
	{
		g_autofree char *t = NULL;
		tap_ok(g_file_get_contents(target, &t, NULL, NULL) && !strcmp(t, "keep"), "the link's target is unchanged");
	}
}

/* ---- events.jsonl: segments, cap, stand-ins ---- */

/* @path gunzip'ed in-process, appended to @out. */
static gboolean gunzip_into(const char *path, GString *out)
{
	g_autofree char *data = NULL;
	gsize len = 0;
	g_autoptr(GZlibDecompressor) z = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP);
	g_autoptr(GInputStream) mem = NULL;
	g_autoptr(GInputStream) in = NULL;
	char buf[65536];
	gssize n;

	if (!g_file_get_contents(path, &data, &len, NULL))
		return FALSE;
	mem = g_memory_input_stream_new_from_data(data, (gssize)len, NULL);
	in = g_converter_input_stream_new(mem, G_CONVERTER(z));
	while ((n = g_input_stream_read(in, buf, sizeof(buf), NULL, NULL)) > 0)
		g_string_append_len(out, buf, n);
	return n == 0;
}

/* The "cycle" numbers of @text's event lines, in order; -1 for a line that is not whole. */
static GArray *cycles_of(const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GArray *a = g_array_new(FALSE, FALSE, sizeof(int));

	for (guint i = 0; lines[i] && *lines[i]; i++) {
		struct json_object *o = json_tokener_parse(lines[i]), *m, *c;
		int v = -1;

		if (o && json_object_object_get_ex(o, "msg", &m) && json_object_object_get_ex(m, "cycle", &c))
			v = atoi(json_object_get_string(c));
		g_array_append_val(a, v);
		json_object_put(o);
	}
	return a;
}

/* An events.jsonl line of record(): what one append adds. */
static gsize event_len(void)
{
	static guint k;
	g_autofree char *dir = g_strdup_printf("%s/event-len-%u", base, k++);
	g_autoptr(MhpResults) r = mhp_results_open(dir, NULL);
	struct json_object *o = record(1);
	gsize n = 0;

	if (r && mhp_results_append_event(r, "engine", o))
		n = (gsize)mhp_results_events_bytes(r);
	json_object_put(o);
	if (!n) {
		printf("Bail out! cannot measure an events line in %s\n", dir);
		exit(1);
	}
	return n;
}

static guint64 file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? 0 : (guint64)st.st_size;
}

static void test_segments(void)
{
	g_autofree char *dir = g_build_filename(base, "segments", NULL);
	g_autofree char *open_seg = g_build_filename(dir, MHP_RESULTS_EVENTS, NULL);
	g_autoptr(MhpResults) r = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(GString) all = g_string_new(NULL), viagzip = g_string_new(NULL);
	g_autoptr(GArray) got = NULL;
	g_autofree char *tail = NULL;
	guint64 on_disk = 0;
	gboolean ok_gz = TRUE, ok_gzip = TRUE, in_order = TRUE, no_plain = TRUE;
	guint segs;

	r = mhp_results_open(dir, &err);
	tap_ok(r != NULL, "a results directory for segments (%s)", err ? err->message : "ok");
	if (!r)
		return;
	mhp_results_set_events_limits(r, 16 * 1024, G_MAXUINT64);
	for (guint i = 1; i <= 200; i++) {
		struct json_object *o = record(i);

		mhp_results_append_event(r, "engine", o);
		json_object_put(o);
	}
	segs = mhp_results_events_segments(r);
	/* 200 lines of 1.5 KiB, 11 to a 16 KiB segment */
	tap_ok(segs == 18, "200 lines of %zu bytes in 16 KiB segments close 18 of them (%u)", event_len(), segs);
	for (guint k = 1; k <= segs; k++) {
		g_autofree char *gz = g_strdup_printf("%s/events.%04u.jsonl.gz", dir, k);
		g_autofree char *plain = g_strdup_printf("%s/events.%04u.jsonl", dir, k);
		g_autofree char *out = NULL;
		const char *argv[] = { "gzip", "-dc", gz, NULL };
		int status = -1;

		no_plain &= !g_file_test(plain, G_FILE_TEST_EXISTS);
		on_disk += file_size(gz);
		ok_gz &= mode_of(gz) == 0600 && gunzip_into(gz, all);
		ok_gzip &= g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL, &status, NULL) &&
			   g_spawn_check_wait_status(status, NULL);
		if (out)
			g_string_append(viagzip, out);
	}
	tap_ok(ok_gz && no_plain, "every closed segment is events.NNNN.jsonl.gz (0600), GZlibDecompressor reads it, no plain copy is left");
	tap_ok(ok_gzip && g_str_equal(viagzip->str, all->str), "gzip -dc reads them to the same lines");
	g_file_get_contents(open_seg, &tail, NULL, NULL);
	on_disk += file_size(open_seg);
	g_string_append(all, tail ? tail : "");
	got = cycles_of(all->str);
	for (guint i = 0; i < got->len; i++)
		in_order &= g_array_index(got, int, i) == (int)i + 1;
	tap_ok(got->len == 200 && in_order && mhp_results_events_written(r) == 200,
	       "the segments then events.jsonl hold the 200 lines whole and in order (%u)", got->len);
	tap_ok(mhp_results_events_bytes(r) == on_disk && on_disk < 200 * record_len() / 4,
	       "the events' bytes count what is on disk, compressed: %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT ")",
	       mhp_results_events_bytes(r), on_disk);
}

/* The default segment: a short run never rotates; one over 8 MiB does, once. */
static void test_segment_default(void)
{
	g_autofree char *dir = g_build_filename(base, "segment-default", NULL);
	g_autofree char *gz = g_build_filename(dir, "events.0001.jsonl.gz", NULL);
	g_autoptr(MhpResults) r = mhp_results_open(dir, NULL);
	gsize len = event_len();
	guint lines = MHP_RESULTS_EVENTS_SEGMENT / len;
	gint64 t0 = 0, worst = 0;

	for (guint i = 1; r && i <= lines + 2; i++) {
		struct json_object *o = record(i);
		gint64 t = g_get_monotonic_time();

		mhp_results_append_event(r, "engine", o);
		json_object_put(o);
		if (i == lines - 1)
			tap_ok(mhp_results_events_segments(r) == 0, "%u lines (%.1f MiB) stay in events.jsonl", i,
			       i * len / 1048576.0);
		t0 = g_get_monotonic_time() - t;
		worst = MAX(worst, t0);
	}
	tap_ok(r && mhp_results_events_segments(r) == 1 && g_file_test(gz, G_FILE_TEST_EXISTS),
	       "past 8 MiB the first segment is closed and compressed");
	printf("# the slowest append (the one that closed and compressed 8 MiB) took %.1f ms\n", worst / 1000.0);
}

static void test_cap(void)
{
	g_autofree char *dir = g_build_filename(base, "cap", NULL);
	g_autofree char *events = g_build_filename(dir, MHP_RESULTS_EVENTS, NULL);
	g_autofree char *summary = g_build_filename(dir, MHP_RESULTS_SUMMARY, NULL);
	g_autoptr(MhpResults) r = mhp_results_open(dir, NULL);
	gsize len = event_len();
	MhpSummary s = { .verdict = MHP_VERDICT_PASS, .cycles = 1 };
	struct json_object *sum, *v;
	guint okn = 0;
	gsize size = 0;
	g_autofree char *last = NULL;

	if (!r) {
		tap_ok(FALSE, "a results directory for the cap");
		return;
	}
	mhp_results_set_events_limits(r, MHP_RESULTS_EVENTS_SEGMENT, 10 * len + 100);
	for (guint i = 1; i <= 25; i++) {
		struct json_object *o = record(i);

		okn += mhp_results_append_event(r, "engine", o);
		json_object_put(o);
	}
	tap_ok(okn == 10 && mhp_results_events_dropped(r) == 15 && mhp_results_events_lost(r) == 0,
	       "a cap of 10 lines' bytes: 10 written, 15 dropped and counted, none lost (%u, %" G_GUINT64_FORMAT ")", okn,
	       mhp_results_events_dropped(r));
	tap_ok(whole_lines(events, &size, &last) == 10, "events.jsonl holds the 10 whole lines");
	tap_ok(size <= 10 * len + 100, "and stays under the cap (%zu bytes)", size);
	s.events_dropped = mhp_results_events_dropped(r);
	mhp_summary_write(dir, &s, NULL);
	sum = json_object_from_file(summary);
	tap_ok(sum && json_object_object_get_ex(sum, "events_dropped", &v) && json_object_get_int64(v) == 15 &&
	       !json_object_object_get_ex(sum, "events_lost", NULL),
	       "summary.json has events_dropped 15 (and no events_lost)");
	json_object_put(sum);
}

/* A snapshot-like reply: {"id", "ok": {"meminfo": {...}, "ptdump": {...}}}, about @kib KiB. */
static struct json_object *big_reply(int id, guint kib)
{
	struct json_object *m = json_object_new_object(), *ok = json_object_new_object(), *mi = json_object_new_object();

	for (guint i = 0; i < kib * 1024 / 24; i++) {
		g_autofree char *k = g_strdup_printf("Key%06u", i);
		json_object_object_add(mi, k, json_object_new_int64(1000000 + i));
	}
	json_object_object_add(ok, "meminfo", mi);
	json_object_object_add(ok, "ptdump", json_object_new_object());
	json_object_object_add(m, "id", json_object_new_int(id));
	json_object_object_add(m, "ok", ok);
	return m;
}

static void put_json(gpointer o)
{
	json_object_put(o);
}

static GPtrArray *event_lines(const char *path)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	GPtrArray *a = g_ptr_array_new_with_free_func(put_json);

	if (g_file_get_contents(path, &text, NULL, NULL)) {
		lines = g_strsplit(text, "\n", -1);
		for (guint i = 0; lines[i] && *lines[i]; i++)
			g_ptr_array_add(a, json_tokener_parse(lines[i]));
	}
	return a;
}

static struct json_object *at(struct json_object *o, const char *a, const char *b)
{
	struct json_object *v = NULL;

	if (json_object_object_get_ex(o, a, &v) && b)
		json_object_object_get_ex(v, b, &v);
	return v;
}

static void test_elision(void)
{
	g_autofree char *dir = g_build_filename(base, "elide", NULL);
	g_autofree char *events = g_build_filename(dir, MHP_RESULTS_EVENTS, NULL);
	g_autoptr(MhpResults) r = mhp_results_open(dir, NULL);
	g_autoptr(GPtrArray) ev = NULL;
	struct json_object *snap = big_reply(7, 8), *small = json_object_new_object(), *event = big_reply(0, 8);
	struct json_object *stand, *replays[6];
	g_autofree char *text = g_strdup(json_object_to_json_string_ext(snap, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	g_autofree char *sha = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
	gboolean same = TRUE;
	guint n;

	if (!r) {
		tap_ok(FALSE, "a results directory for stand-ins");
		return;
	}
	json_object_object_add(small, "id", json_object_new_int(8));
	json_object_object_add(small, "ok", json_object_new_object());
	json_object_object_add(event, "event", json_object_new_string("kmsg"));
	mhp_results_append_message(r, "agent-in", snap);
	mhp_results_append_message(r, "agent-in", small);
	mhp_results_append_message(r, "agent-in", event);
	ev = event_lines(events);
	stand = at(ev->len > 0 ? ev->pdata[0] : NULL, "msg", NULL);
	sha[16] = '\0';
	tap_ok(ev->len == 3 && json_object_get_int(at(stand, "id", NULL)) == 7 && !at(stand, "ok", NULL) &&
	       json_object_get_int64(at(stand, "elided", "bytes")) == (int64_t)strlen(text) &&
	       g_strcmp0(json_object_get_string(at(stand, "elided", "sha256")), sha) == 0,
	       "an 8 KiB snapshot reply is a stand-in: its id, bytes (%zu) and SHA-256 prefix %s", strlen(text), sha);
	tap_ok(g_strcmp0(json_object_to_json_string(at(stand, "elided", "keys")), "[ \"meminfo\", \"ptdump\" ]") == 0,
	       "it names the reply's keys: %s", json_object_to_json_string(at(stand, "elided", "keys")));
	tap_ok(ev->len == 3 && json_object_equal(at(ev->pdata[1], "msg", NULL), small) &&
	       json_object_equal(at(ev->pdata[2], "msg", NULL), event),
	       "a small reply and a big event are logged whole");
	tap_ok(ev->len == 3 && strlen(json_object_to_json_string(ev->pdata[0])) < 256,
	       "the stand-in's line is %zu bytes", ev->len ? strlen(json_object_to_json_string(ev->pdata[0])) : 0);

	/* held: the last MHP_RESULTS_HELD whole, written on a failure */
	for (int i = 0; i < 6; i++) {
		replays[i] = big_reply(100 + i, 2);
		mhp_results_append_message(r, "agent-out", replays[i]);
	}
	n = mhp_results_flush_held(r);
	g_ptr_array_unref(ev);
	ev = event_lines(events);
	for (guint i = 0; i < MHP_RESULTS_HELD && ev->len == 3 + 6 + MHP_RESULTS_HELD; i++) {
		struct json_object *l = ev->pdata[3 + 6 + i];

		same &= json_object_equal(at(l, "msg", NULL), replays[6 - MHP_RESULTS_HELD + i]) &&
			json_object_get_boolean(at(l, "replay", NULL)) &&
			g_strcmp0(json_object_get_string(at(l, "source", NULL)), "agent-out") == 0 &&
			json_object_get_int64(at(l, "ts_ns", NULL)) == json_object_get_int64(at(ev->pdata[3 + 2 + i], "ts_ns", NULL));
	}
	tap_ok(n == MHP_RESULTS_HELD && same,
	       "a flush writes the last %d elided messages whole, oldest first, with their own ts_ns and \"replay\": true (%u)",
	       MHP_RESULTS_HELD, n);
	tap_ok(mhp_results_flush_held(r) == 0, "a second flush writes nothing");
	for (int i = 0; i < 6; i++)
		json_object_put(replays[i]);
	json_object_put(snap);
	json_object_put(small);
	json_object_put(event);
}

/* The cycle's record is written at once, its fdatasync is queued at most
 * once a second, and close waits for it. */
static void test_sync(void)
{
	g_autofree char *dir = g_build_filename(base, "sync", NULL);
	g_autofree char *cycles = g_build_filename(dir, MHP_RESULTS_CYCLES, NULL);
	g_autoptr(GError) err = NULL;
	g_autofree char *last = NULL;
	MhpResults *r = mhp_results_open(dir, &err);
	gboolean all = TRUE;
	gsize size = 0;

	tap_ok(r != NULL, "a results directory opens (%s)", err ? err->message : "ok");
	if (!r)
		return;
	for (guint i = 1; i <= 20; i++) {
		struct json_object *o = record(i);

		all = all && mhp_results_append_cycle(r, o, &err);
		json_object_put(o);
	}
	tap_ok(all, "twenty records appended (%s)", err ? err->message : "ok");
	tap_ok(whole_lines(cycles, &size, &last) == 20, "each is in cycles.jsonl before any sync");
	tap_ok(mhp_results_syncs(r) >= 1 && mhp_results_syncs(r) <= 2,
	       "back to back, they queue one fdatasync pass, not twenty (%" G_GUINT64_FORMAT ")", mhp_results_syncs(r));
	mhp_results_close(r);
	tap_ok(whole_lines(cycles, &size, &last) == 20, "closing waits for the pass and keeps every line");
}

/* Latency samples in bounded memory: exact when few, within a bucket when many. */
static void test_latency_acc(void)
{
	MhpLatencyAcc *a = mhp_latency_acc_new();
	MhpLatency l;

	for (guint i = 1; i <= 10; i++)
		mhp_latency_acc_add(a, i);
	mhp_latency_acc_replace(a, 10, 20);
	mhp_latency_acc_get(a, &l);
	tap_ok(l.n == 10 && l.p50 == 5 && l.p90 == 9 && l.p99 == 20 && l.max == 20,
	       "10 samples, one replaced: exact nearest-rank percentiles (%g %g %g %g)", l.p50, l.p90, l.p99, l.max);
	for (guint i = 11; i <= 100000; i++)
		mhp_latency_acc_add(a, i == 20 ? 10 : i);
	mhp_latency_acc_get(a, &l);
	tap_ok(l.n == 100000 && fabs(l.p50 - 50000) / 50000 < 0.008 && fabs(l.p90 - 90000) / 90000 < 0.008 &&
	       fabs(l.p99 - 99000) / 99000 < 0.008 && l.max == 100000,
	       "100,000 samples: percentiles within 0.8 %%, max exact (%g %g %g %g)", l.p50, l.p90, l.p99, l.max);
	mhp_latency_acc_replace(a, 100000, 0.5);
	mhp_latency_acc_get(a, &l);
	tap_ok(l.n == 100000 && fabs(l.p99 - 99000) / 99000 < 0.008, "a replaced sample moves buckets (p99 %g)", l.p99);
	mhp_latency_acc_free(a);
	mhp_latency_acc_get(NULL, &l);
	tap_ok(l.n == 0, "no samples: n 0");
}

static void count_cycle(struct json_object *c, guint64 n, gpointer user_data)
{
	GString *order = user_data;
	struct json_object *v;

	if (json_object_object_get_ex(c, "cycle", &v))
		g_string_append_printf(order, "%s%s", order->len ? "," : "", json_object_get_string(v));
}

/* cycles.jsonl is closed and compressed like events.jsonl, and read back whole and in order. */
static void test_cycle_segments(void)
{
	g_autofree char *dir = g_build_filename(base, "cycle-segments", NULL);
	g_autofree char *gz1 = g_build_filename(dir, "cycles.0001.jsonl.gz", NULL);
	g_autofree char *plain1 = g_build_filename(dir, "cycles.0001.jsonl", NULL);
	g_autofree char *gz2 = g_build_filename(dir, "cycles.0002.jsonl.gz", NULL);
	g_autofree char *gz2_saved = g_build_filename(base, "saved.gz", NULL);
	g_autoptr(GString) order = g_string_new(NULL);
	g_autoptr(GString) want = g_string_new(NULL);
	g_autoptr(GError) err = NULL;
	MhpResults *r = mhp_results_open(dir, &err);
	gboolean all = TRUE;
	guint64 n;

	tap_ok(r != NULL, "a results directory opens (%s)", err ? err->message : "ok");
	if (!r)
		return;
	/* three records to a segment */
	mhp_results_set_cycles_segment(r, 3 * record_len());
	for (guint i = 1; i <= 10; i++) {
		struct json_object *o = record(i);

		all = all && mhp_results_append_cycle(r, o, &err);
		json_object_put(o);
		g_string_append_printf(want, "%s%06u", i > 1 ? "," : "", i);
	}
	tap_ok(all, "ten records appended (%s)", err ? err->message : "ok");
	TAP_EQ_U64(mhp_results_cycles_segments(r), 3, "three segments closed");
	mhp_results_close(r);
	tap_ok(g_file_test(gz1, G_FILE_TEST_IS_REGULAR) && !g_file_test(plain1, G_FILE_TEST_EXISTS),
	       "cycles.0001.jsonl.gz is written and its plain copy gone");
	n = mhp_results_foreach_cycle(dir, count_cycle, order);
	TAP_EQ_U64(n, 10, "foreach reads the ten records");
	tap_ok(!strcmp(order->str, want->str), "in order, across the segments and the open file (%s)", order->str);

	/* a segment whose compression failed stays plain, and is read as it is */
	{
		g_autofree char *data = NULL;
		gsize len = 0;
		g_autoptr(GConverter) z = G_CONVERTER(g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP));
		g_autoptr(GInputStream) raw = NULL, in = NULL;
		g_autoptr(GFile) f = g_file_new_for_path(gz2);
		char buf[4096];
		gssize got;
		GString *plain = g_string_new(NULL);

		raw = G_INPUT_STREAM(g_file_read(f, NULL, NULL));
		in = g_converter_input_stream_new(raw, z);
		while ((got = g_input_stream_read(in, buf, sizeof(buf), NULL, NULL)) > 0)
			g_string_append_len(plain, buf, got);
		g_file_get_contents(gz2, &data, &len, NULL);
		g_file_set_contents(gz2_saved, data, (gssize)len, NULL);
		g_unlink(gz2);
		g_autofree char *plain2 = g_build_filename(dir, "cycles.0002.jsonl", NULL);
		g_file_set_contents(plain2, plain->str, (gssize)plain->len, NULL);
		g_string_free(plain, TRUE);
	}
	g_string_truncate(order, 0);
	n = mhp_results_foreach_cycle(dir, count_cycle, order);
	tap_ok(n == 10 && !strcmp(order->str, want->str), "with cycles.0002.jsonl plain: still ten, in order (%s)",
	       order->str);
}

/* Files of a run written outside MhpResults (state.json, evidence, fleet-summary.json): never through a symlink. */
static void test_write_file(void)
{
	g_autofree char *dir = g_build_filename(base, "nofollow", NULL);
	g_autofree char *outside = g_build_filename(base, "outside", NULL);
	g_autofree char *state = g_build_filename(dir, "state.json", NULL);
	g_autofree char *fleet = g_build_filename(dir, "fleet-summary.json", NULL);
	g_autofree char *fleet_tmp = g_build_filename(dir, "fleet-summary.json.tmp", NULL);
	g_autofree char *text = NULL;
	g_autoptr(GError) err = NULL;
	struct stat st;

	g_mkdir(dir, 0700);
	g_file_set_contents(outside, "the user's file\n", -1, NULL);
	tap_ok(symlink(outside, state) == 0, "a symlink planted at state.json");
	tap_ok(mhp_results_write_file(state, "{}\n", -1, &err), "state.json is written: %s",
	       err ? err->message : "ok");
	tap_ok(g_file_get_contents(outside, &text, NULL, NULL) && !strcmp(text, "the user's file\n"),
	       "the symlink's target is left alone");
	tap_ok(lstat(state, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600,
	       "state.json is a regular file of mode 0600, the symlink replaced");
	g_clear_pointer(&text, g_free);
	tap_ok(g_file_get_contents(state, &text, NULL, NULL) && !strcmp(text, "{}\n"), "with what was written");

	tap_ok(symlink(outside, fleet_tmp) == 0, "a symlink planted at the temporary file's name");
	tap_ok(!mhp_results_write_file(fleet, "{\"a\":1}", 7, &err) && err && strstr(err->message, fleet),
	       "the write is refused, naming the file: %s", err ? err->message : "(written)");
	g_clear_pointer(&text, g_free);
	tap_ok(g_file_get_contents(outside, &text, NULL, NULL) && !strcmp(text, "the user's file\n"),
	       "the symlink's target is left alone");
	tap_ok(!g_file_test(fleet, G_FILE_TEST_EXISTS), "no fleet-summary.json");
}

int main(void)
{
	g_autoptr(GError) err = NULL;

	umask(0); /* the modes seen are the ones the code asks for */
	base = g_dir_make_tmp("test-results-XXXXXX", &err);
	if (!base) {
		printf("Bail out! cannot make a temporary directory: %s\n", err->message);
		return 1;
	}
	fs = g_build_filename(base, "tmpfs", NULL);
	g_mkdir(fs, 0700);
	if (mount("tmpfs", fs, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") < 0) {
		printf("Bail out! cannot mount a 64 KiB tmpfs on %s: %s (this test needs root)\n", fs, g_strerror(errno));
		return 1;
	}
	test_full_disk();
	test_summary_full();
	if (umount2(fs, MNT_DETACH) < 0)
		printf("# cannot unmount %s: %s\n", fs, g_strerror(errno));
	test_dirs();
	test_summary_numbers();
	test_segments();
	test_segment_default();
	test_cap();
	test_elision();
	test_sync();
	test_cycle_segments();
	test_latency_acc();
	test_write_file();
	{
		const char *argv[] = { "rm", "-rf", base, NULL };
		g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
	}
	return tap_done();
}
