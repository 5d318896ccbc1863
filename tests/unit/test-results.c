// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-results.c - the results directory on a full disk and against symlinks.
 *
 * A 64 KiB tmpfs is mounted (the tests run as root); if it cannot be, the
 * test bails out: it fails, it does not skip. On it, cycles.jsonl and
 * events.jsonl are filled until a write fails, and every line left must be
 * whole; space is freed and the next line must follow the last whole one.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

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
	{
		const char *argv[] = { "rm", "-rf", base, NULL };
		g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
	}
	return tap_done();
}
