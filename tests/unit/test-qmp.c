// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-qmp.c - the QMP client against a transcript captured from QEMU 7.2
 * during a real hotplug cycle (replayed in 1-7 byte chunks), against broken
 * peers, and (with --real) against a real qemu-system-aarch64 -M virt -S.
 */
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qmp.h"
#include "tap.h"

typedef struct {
	GMainLoop *loop;
	char *path;
	int listen_fd;
	int fd;
	GByteArray *out;       /* bytes the fake QEMU still has to send */
	char **lines;          /* transcript lines, "\r\n" kept */
	guint next_line;
	GString *in;           /* what the client sent */
	guint commands;
	GPtrArray *cmd_names;
	guint32 rng;
	guint flush_src, timeout_src, accept_src;
	enum { SCRIPT_REPLAY, SCRIPT_HANGUP, SCRIPT_GARBAGE, SCRIPT_HUGE } script;
	/* client side */
	GPtrArray *events;
	GPtrArray *replies; /* "ok:<json>" or "err:<message>" in callback order */
	gboolean ready;
	char *ready_error;
	char *closed_error;
	gboolean closed;
} Fake;

static void fake_send(Fake *f, const char *data, gsize len)
{
	g_byte_array_append(f->out, (const guint8 *)data, (guint)len);
}

#define FAKE_SENDS(f, literal) fake_send((f), (literal), sizeof(literal) - 1)

/* Send the transcript up to and including the reply to command number @n. */
static void send_through_reply(Fake *f, guint n)
{
	while (f->lines[f->next_line] && *f->lines[f->next_line]) {
		const char *l = f->lines[f->next_line++];
		g_autofree char *needle = g_strdup_printf("\"id\": %u}", n);
		g_autofree char *needle2 = g_strdup_printf("{\"id\": %u,", n);

		fake_send(f, l, strlen(l));
		FAKE_SENDS(f, "\n");
		if (strstr(l, needle) || g_str_has_prefix(l, needle2))
			return;
	}
}

static gboolean fake_flush(gpointer user_data)
{
	Fake *f = user_data;

	if (f->fd < 0)
		return G_SOURCE_REMOVE;
	if (!f->out->len && f->script == SCRIPT_REPLAY && f->lines &&
	    (!f->lines[f->next_line] || !*f->lines[f->next_line])) {
		/* the transcript is over: hang up, as QEMU did after quit */
		close(f->fd);
		f->fd = -1;
		return G_SOURCE_CONTINUE;
	}
	if (f->out->len) {
		/* uneven chunks: messages arrive split anywhere */
		f->rng = f->rng * 1103515245 + 12345;
		guint n = MIN(f->out->len, f->out->len > 65536 ? 256u << 10 : 1 + (f->rng >> 16) % 7);
		ssize_t w = write(f->fd, f->out->data, n);
		if (w > 0)
			g_byte_array_remove_range(f->out, 0, (guint)w);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean fake_readable(gint fd, GIOCondition cond, gpointer user_data)
{
	Fake *f = user_data;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));
	char *nl;

	if (n <= 0)
		return G_SOURCE_REMOVE;
	g_string_append_len(f->in, buf, n);
	while ((nl = strchr(f->in->str, '\n'))) {
		g_autofree char *line = g_strndup(f->in->str, (gsize)(nl - f->in->str));
		struct json_object *o = json_tokener_parse(line), *v;

		g_string_erase(f->in, 0, nl - f->in->str + 1);
		f->commands++;
		if (o && json_object_object_get_ex(o, "execute", &v))
			g_ptr_array_add(f->cmd_names, g_strdup(json_object_get_string(v)));
		json_object_put(o);
		switch (f->script) {
		case SCRIPT_REPLAY:
			send_through_reply(f, f->commands);
			break;
		case SCRIPT_HANGUP:
			if (f->commands == 1)
				FAKE_SENDS(f, "{\"return\": {}, \"id\": 1}\r\n");
			if (f->commands == 4) {
				close(f->fd);
				f->fd = -1;
				return G_SOURCE_REMOVE;
			}
			break;
		case SCRIPT_GARBAGE:
			FAKE_SENDS(f, "{\"return\": {}, \"id\": 1}\r\nthis is not json\r\n");
			break;
		case SCRIPT_HUGE: {
			/* a 17 MiB string: over the 16 MiB message limit */
			FAKE_SENDS(f, "{\"return\": {}, \"id\": 1}\r\n{\"event\": \"X\", \"data\": \"");
			GByteArray *big = g_byte_array_sized_new(17u << 20);
			g_byte_array_set_size(big, 17u << 20);
			memset(big->data, 'a', big->len);
			fake_send(f, (const char *)big->data, big->len);
			g_byte_array_unref(big);
			break;
		}
		}
	}
	return G_SOURCE_CONTINUE;
}

static gboolean fake_accept(gint fd, GIOCondition cond, gpointer user_data)
{
	Fake *f = user_data;

	f->fd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK); /* one thread: never block */
	g_unix_fd_add(f->fd, G_IO_IN | G_IO_HUP, fake_readable, f);
	if (f->script == SCRIPT_REPLAY) {
		const char *l = f->lines[f->next_line++];
		fake_send(f, l, strlen(l));
		FAKE_SENDS(f, "\n");
	} else {
		FAKE_SENDS(f, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}}, \"capabilities\": []}}\r\n");
	}
	return G_SOURCE_REMOVE;
}

static void on_ready(MhpQmp *q, const GError *error, gpointer user_data)
{
	Fake *f = user_data;

	f->ready = !error;
	if (error)
		f->ready_error = g_strdup(error->message);
	g_main_loop_quit(f->loop);
}

static void on_event(MhpQmp *q, const char *name, struct json_object *data, struct json_object *msg, gpointer user_data)
{
	Fake *f = user_data;
	struct json_object *info, *src, *st;
	char *e;

	if (data && json_object_object_get_ex(data, "info", &info) && json_object_object_get_ex(info, "source", &src) &&
	    json_object_object_get_ex(info, "status", &st))
		e = g_strdup_printf("%s:%d:%d", name, json_object_get_int(src), json_object_get_int(st));
	else
		e = g_strdup(name);
	g_ptr_array_add(f->events, e);
}

static void on_closed(MhpQmp *q, const GError *error, gpointer user_data)
{
	Fake *f = user_data;

	f->closed = TRUE;
	f->closed_error = g_strdup(error ? error->message : "");
	g_main_loop_quit(f->loop);
}

static void on_reply(MhpQmp *q, struct json_object *ret, const GError *error, gpointer user_data)
{
	Fake *f = user_data;

	g_ptr_array_add(f->replies, error ? g_strdup_printf("err:%s", error->message)
					  : g_strdup_printf("ok:%s", json_object_to_json_string_ext(ret, JSON_C_TO_STRING_PLAIN)));
}

static gboolean on_timeout(gpointer user_data)
{
	Fake *f = user_data;

	printf("# timed out\n");
	f->timeout_src = 0;
	g_main_loop_quit(f->loop);
	return G_SOURCE_REMOVE;
}

static Fake *fake_new(int script, const char *transcript)
{
	Fake *f = g_new0(Fake, 1);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	g_autofree char *dir = g_dir_make_tmp("mhp-qmp-XXXXXX", NULL);

	f->script = script;
	f->loop = g_main_loop_new(NULL, FALSE);
	f->path = g_build_filename(dir, "qmp.sock", NULL);
	f->fd = -1;
	f->out = g_byte_array_new();
	f->in = g_string_new(NULL);
	f->cmd_names = g_ptr_array_new_with_free_func(g_free);
	f->events = g_ptr_array_new_with_free_func(g_free);
	f->replies = g_ptr_array_new_with_free_func(g_free);
	f->rng = 42;
	if (transcript) {
		size_t len;
		char *text = tap_slurp(transcript, &len);
		f->lines = g_strsplit(text, "\n", -1);
		free(text);
	}
	g_strlcpy(sa.sun_path, f->path, sizeof(sa.sun_path));
	f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(f->listen_fd, 1) < 0) {
		printf("Bail out! cannot listen on %s\n", f->path);
		exit(1);
	}
	f->accept_src = g_unix_fd_add(f->listen_fd, G_IO_IN, fake_accept, f);
	f->flush_src = g_timeout_add(1, fake_flush, f);
	f->timeout_src = g_timeout_add_seconds(20, on_timeout, f);
	return f;
}

static void fake_free(Fake *f)
{
	g_source_remove(f->flush_src);
	if (f->timeout_src)
		g_source_remove(f->timeout_src);
	if (f->fd >= 0)
		close(f->fd);
	close(f->listen_fd);
	g_unlink(f->path);
	g_main_loop_unref(f->loop);
}

static MhpQmp *connect_client(Fake *f)
{
	static const MhpQmpCallbacks cb = { .ready = on_ready, .event = on_event, .closed = on_closed };
	MhpQmp *q = mhp_qmp_new(NULL, &cb, f);
	g_autoptr(GError) e = NULL;

	if (!mhp_qmp_connect(q, f->path, &e)) {
		printf("Bail out! %s\n", e->message);
		exit(1);
	}
	return q;
}

static struct json_object *args_of(const char *json)
{
	return json_tokener_parse(json);
}

static void test_replay(const char *fixtures)
{
	g_autofree char *tr = g_build_filename(fixtures, "qmp", "hotplug-session.raw", NULL);
	Fake *f = fake_new(SCRIPT_REPLAY, tr);
	MhpQmp *q = connect_client(f);

	g_main_loop_run(f->loop);
	tap_ok(f->ready, "replay: ready after greeting and qmp_capabilities");
	tap_ok(g_strcmp0(mhp_qmp_version(q), "7.2.22") == 0, "replay: version from the greeting (%s)", mhp_qmp_version(q));
	mhp_qmp_execute(q, "object-add", args_of("{\"qom-type\":\"memory-backend-ram\",\"id\":\"mem1\",\"size\":268435456}"), on_reply, f);
	mhp_qmp_execute(q, "device_add", args_of("{\"driver\":\"pc-dimm\",\"id\":\"dimm1\",\"memdev\":\"mem1\"}"), on_reply, f);
	mhp_qmp_execute(q, "query-memory-devices", NULL, on_reply, f);
	mhp_qmp_execute(q, "device_add", args_of("{\"driver\":\"pc-dimm\",\"id\":\"dimm1\",\"memdev\":\"mem1\"}"), on_reply, f);
	mhp_qmp_execute(q, "device_del", args_of("{\"id\":\"dimm1\"}"), on_reply, f);
	mhp_qmp_execute(q, "object-del", args_of("{\"id\":\"mem1\"}"), on_reply, f);
	mhp_qmp_execute(q, "quit", NULL, on_reply, f);
	g_main_loop_run(f->loop); /* until the transcript ends and the fake hangs up */
	tap_ok(f->replies->len == 7, "replay: 7 replies (%u)", f->replies->len);
	if (f->replies->len == 7) {
		tap_ok(strcmp(g_ptr_array_index(f->replies, 0), "ok:{}") == 0, "replay: object-add returns {}");
		tap_ok(strstr(g_ptr_array_index(f->replies, 2), "\"addr\":2147483648") != NULL,
		       "replay: query-memory-devices has the DIMM at 0x80000000");
		tap_ok(strcmp(g_ptr_array_index(f->replies, 3),
			      "err:device_add: GenericError: Duplicate device ID 'dimm1'") == 0,
		       "replay: the duplicate device_add is an error with class and desc (%s)",
		       (char *)g_ptr_array_index(f->replies, 3));
	}
	g_ptr_array_add(f->events, NULL);
	g_autofree char *events = g_strjoinv(" ", (char **)f->events->pdata);
	tap_ok(strcmp(events, "ACPI_DEVICE_OST:1:0 ACPI_DEVICE_OST:3:132 DEVICE_DELETED ACPI_DEVICE_OST:3:0 SHUTDOWN") == 0,
	       "replay: events in order (%s)", events);
	tap_ok(f->closed, "replay: closed when QEMU hangs up");
	mhp_qmp_free(q);
	fake_free(f);
}

static void test_hangup(void)
{
	Fake *f = fake_new(SCRIPT_HANGUP, NULL);
	MhpQmp *q = connect_client(f);

	g_main_loop_run(f->loop);
	tap_ok(f->ready, "hangup: ready");
	mhp_qmp_execute(q, "a", NULL, on_reply, f);
	mhp_qmp_execute(q, "b", NULL, on_reply, f);
	mhp_qmp_execute(q, "c", NULL, on_reply, f);
	g_main_loop_run(f->loop);
	tap_ok(f->replies->len == 3 && strstr(g_ptr_array_index(f->replies, 0), "err:a: QMP connection lost") &&
	       strstr(g_ptr_array_index(f->replies, 2), "err:c: QMP connection lost"),
	       "hangup: every pending command fails, in order, naming itself");
	tap_ok(mhp_qmp_pending(q) == 0, "hangup: nothing left pending");
	mhp_qmp_execute(q, "d", NULL, on_reply, f);
	tap_ok(f->replies->len == 4 && strstr(g_ptr_array_index(f->replies, 3), "not connected"),
	       "hangup: a command after the hangup fails at once");
	mhp_qmp_free(q);
}

static void test_broken(int script, const char *what, const char *want)
{
	Fake *f = fake_new(script, NULL);
	MhpQmp *q = connect_client(f);

	g_main_loop_run(f->loop);
	mhp_qmp_execute(q, "x", NULL, on_reply, f);
	g_main_loop_run(f->loop);
	tap_ok(f->closed && f->closed_error && strstr(f->closed_error, want), "%s: disconnected with '%s' (%s)", what,
	       want, f->closed_error ? f->closed_error : "-");
	tap_ok(f->replies->len == 1 && g_str_has_prefix(g_ptr_array_index(f->replies, 0), "err:"),
	       "%s: the pending command failed", what);
	mhp_qmp_free(q);
	fake_free(f);
}

/* ---- a real QEMU ---- */

static void test_real(void)
{
	g_autofree char *dir = g_dir_make_tmp("mhp-qmp-real-XXXXXX", NULL);
	g_autofree char *sock = g_build_filename(dir, "qmp.sock", NULL);
	g_autofree char *qmparg = g_strdup_printf("unix:%s,server=on,wait=on", sock);
	/* pc-dimm hotplug on virt needs the ACPI GED device: ACPI, the firmware and an AArch64 CPU */
	const char *argv[] = { "qemu-system-aarch64", "-M", "virt,acpi=on", "-cpu", "max", "-S", "-nodefaults", "-display", "none",
			       "-bios", "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd",
			       "-m", "1G,slots=2,maxmem=4G", "-qmp", qmparg, NULL };
	g_autoptr(GError) e = NULL;
	GPid pid;
	Fake f = { 0 };
	static const MhpQmpCallbacks cb = { .ready = on_ready, .event = on_event, .closed = on_closed };
	MhpQmp *q;

	if (!g_spawn_async(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &pid, &e)) {
		printf("Bail out! cannot start qemu-system-aarch64: %s (apt-get install qemu-system-arm)\n", e->message);
		exit(1);
	}
	f.loop = g_main_loop_new(NULL, FALSE);
	f.events = g_ptr_array_new_with_free_func(g_free);
	f.replies = g_ptr_array_new_with_free_func(g_free);
	q = mhp_qmp_new(NULL, &cb, &f);
	for (int i = 0; i < 500 && !mhp_qmp_connect(q, sock, NULL); i++)
		g_usleep(10000);
	g_timeout_add_seconds(20, on_timeout, &f);
	g_main_loop_run(f.loop);
	tap_ok(f.ready, "real QEMU: ready (%s)", f.ready_error ? f.ready_error : mhp_qmp_version(q));
	mhp_qmp_execute(q, "object-add", args_of("{\"qom-type\":\"memory-backend-ram\",\"id\":\"m0\",\"size\":268435456}"), on_reply, &f);
	mhp_qmp_execute(q, "device_add", args_of("{\"driver\":\"pc-dimm\",\"id\":\"d0\",\"memdev\":\"m0\"}"), on_reply, &f);
	mhp_qmp_execute(q, "query-memory-devices", NULL, on_reply, &f);
	mhp_qmp_execute(q, "device_add", args_of("{\"driver\":\"pc-dimm\",\"id\":\"d1\",\"memdev\":\"m0\"}"), on_reply, &f);
	mhp_qmp_execute(q, "query-no-such-command", NULL, on_reply, &f);
	mhp_qmp_execute(q, "quit", NULL, on_reply, &f);
	g_main_loop_run(f.loop);
	tap_ok(f.replies->len == 6, "real QEMU: six replies (%u)", f.replies->len);
	if (f.replies->len == 6) {
		tap_ok(strcmp(g_ptr_array_index(f.replies, 0), "ok:{}") == 0 &&
		       strcmp(g_ptr_array_index(f.replies, 1), "ok:{}") == 0, "real QEMU: object-add and device_add");
		tap_ok(strstr(g_ptr_array_index(f.replies, 2), "\"id\":\"d0\"") &&
		       strstr(g_ptr_array_index(f.replies, 2), "\"size\":268435456"), "real QEMU: query-memory-devices lists d0 (%s)",
		       (char *)g_ptr_array_index(f.replies, 2));
		tap_ok(g_str_has_prefix(g_ptr_array_index(f.replies, 3), "err:device_add: GenericError:"),
		       "real QEMU: reusing a busy memdev is an error (%s)", (char *)g_ptr_array_index(f.replies, 3));
		tap_ok(g_str_has_prefix(g_ptr_array_index(f.replies, 4), "err:query-no-such-command: CommandNotFound:"),
		       "real QEMU: unknown command (%s)", (char *)g_ptr_array_index(f.replies, 4));
	}
	tap_ok(f.closed, "real QEMU: closed after quit");
	int status;
	waitpid(pid, &status, 0);
	mhp_qmp_free(q);
	g_unlink(sock);
	g_rmdir(dir);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && strcmp(argv[1], "--real") == 0) {
		test_real();
		return tap_done();
	}
	test_replay(argv[1]);
	test_hangup();
	test_broken(SCRIPT_GARBAGE, "garbage", "protocol violation");
	test_broken(SCRIPT_HUGE, "17 MiB message", "larger than the limit");
	return tap_done();
}
