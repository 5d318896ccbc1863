// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * json-sock.c - a unix-socket client exchanging JSON objects on a GMainContext.
 *
 * Input goes through a persistent json-c tokener with a size and depth limit
 * (common/jsonstream.c); a peer that breaks them is disconnected. Output is
 * queued and written when the socket is writable, so nothing here blocks.
 */
#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "json-sock.h"
#include "jsonstream.h"

struct MhpJsonSock {
	GMainContext *ctx;
	int fd;
	GSource *in_src;
	GSource *out_src;
	GByteArray *out;
	struct json_stream stream;
	gsize max_msg;
	int max_depth;
	MhpJsonSockMessageFunc on_message;
	MhpJsonSockClosedFunc on_closed;
	gpointer user_data;
	gboolean dispatching_closed;
	gboolean cut; /* the last connection ended mid-line */
};

MhpJsonSock *mhp_json_sock_new(GMainContext *ctx, gsize max_msg, int max_depth,
			       MhpJsonSockMessageFunc on_message, MhpJsonSockClosedFunc on_closed,
			       gpointer user_data)
{
	MhpJsonSock *s = g_new0(MhpJsonSock, 1);

	s->ctx = ctx ? g_main_context_ref(ctx) : g_main_context_ref_thread_default();
	s->fd = -1;
	s->out = g_byte_array_new();
	s->max_msg = max_msg;
	s->max_depth = max_depth;
	s->on_message = on_message;
	s->on_closed = on_closed;
	s->user_data = user_data;
	return s;
}

static void drop_sources(MhpJsonSock *s)
{
	if (s->in_src) {
		g_source_destroy(s->in_src);
		g_source_unref(s->in_src);
		s->in_src = NULL;
	}
	if (s->out_src) {
		g_source_destroy(s->out_src);
		g_source_unref(s->out_src);
		s->out_src = NULL;
	}
}

void mhp_json_sock_disconnect(MhpJsonSock *s)
{
	drop_sources(s);
	if (s->fd >= 0) {
		s->cut = s->stream.error ? s->stream.line_cut : s->stream.msg_bytes > 0;
		close(s->fd);
		s->fd = -1;
	}
	json_stream_free(&s->stream);
	g_byte_array_set_size(s->out, 0);
}

static void closed(MhpJsonSock *s, GError *error)
{
	mhp_json_sock_disconnect(s);
	if (s->on_closed)
		s->on_closed(s, error, s->user_data);
	g_clear_error(&error);
}

void mhp_json_sock_close(MhpJsonSock *s, const char *why)
{
	closed(s, g_error_new_literal(G_IO_ERROR, G_IO_ERROR_INVALID_DATA, why));
}

static int deliver(struct json_object *obj, void *userdata)
{
	MhpJsonSock *s = userdata;

	s->on_message(s, obj, s->user_data);
	json_object_put(obj);
	/* the handler may have disconnected us */
	return s->fd < 0 ? -ECANCELED : 0;
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer user_data)
{
	MhpJsonSock *s = user_data;
	char buf[65536];

	for (int rounds = 0; rounds < 64; rounds++) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return G_SOURCE_CONTINUE;
		if (n <= 0) {
			closed(s, n < 0 ? g_error_new(G_IO_ERROR, g_io_error_from_errno(errno),
						      "read: %s", g_strerror(errno))
					: g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
							      "the peer closed the connection"));
			return G_SOURCE_REMOVE;
		}
		int r = json_stream_feed(&s->stream, buf, (size_t)n, deliver, s);
		if (r == -ECANCELED)
			return G_SOURCE_REMOVE;
		if (r < 0) {
			closed(s, g_error_new(G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
					      "protocol violation: %s", s->stream.error));
			return G_SOURCE_REMOVE;
		}
	}
	return G_SOURCE_CONTINUE; /* let other sources run; more next time */
}

static gboolean flush(MhpJsonSock *s)
{
	while (s->out->len) {
		ssize_t n = send(s->fd, s->out->data, s->out->len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return TRUE;
		if (n < 0) {
			closed(s, g_error_new(G_IO_ERROR, g_io_error_from_errno(errno),
					      "write: %s", g_strerror(errno)));
			return FALSE;
		}
		g_byte_array_remove_range(s->out, 0, (guint)n);
	}
	return TRUE;
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer user_data)
{
	MhpJsonSock *s = user_data;

	if (!flush(s))
		return G_SOURCE_REMOVE;
	if (s->out->len)
		return G_SOURCE_CONTINUE;
	g_source_unref(s->out_src);
	s->out_src = NULL;
	return G_SOURCE_REMOVE;
}

gboolean mhp_json_sock_adopt(MhpJsonSock *s, int fd, GError **error)
{
	g_return_val_if_fail(s->fd < 0, FALSE);
	if (json_stream_init(&s->stream, s->max_msg, s->max_depth) < 0) {
		close(fd);
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, "out of memory");
		return FALSE;
	}
	g_unix_set_fd_nonblocking(fd, TRUE, NULL);
	s->fd = fd;
	s->in_src = g_unix_fd_source_new(fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
	g_source_set_callback(s->in_src, G_SOURCE_FUNC(on_readable), s, NULL);
	g_source_attach(s->in_src, s->ctx);
	return TRUE;
}

gboolean mhp_json_sock_connect(MhpJsonSock *s, const char *path, GError **error)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	g_return_val_if_fail(s->fd < 0, FALSE);
	if (strlen(path) >= sizeof(sa.sun_path)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG,
			    "socket path '%s' is too long for a unix socket", path);
		return FALSE;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "connect to '%s': %s", path, g_strerror(e));
		return FALSE;
	}
	return mhp_json_sock_adopt(s, fd, error);
}

gboolean mhp_json_sock_is_connected(MhpJsonSock *s)
{
	return s->fd >= 0;
}

gboolean mhp_json_sock_cut_line(MhpJsonSock *s)
{
	return s->cut;
}

void mhp_json_sock_skip_line(MhpJsonSock *s)
{
	if (s->fd >= 0)
		json_stream_skip_line(&s->stream);
}

gboolean mhp_json_sock_send_raw(MhpJsonSock *s, const char *data, gsize len, GError **error)
{
	if (s->fd < 0) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "not connected: nothing was sent");
		return FALSE;
	}
	g_byte_array_append(s->out, (const guint8 *)data, (guint)len);
	if (s->out_src)
		return TRUE;
	if (!flush(s)) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
				    "the write failed: the connection is closed");
		return FALSE;
	}
	if (!s->out->len)
		return TRUE;
	s->out_src = g_unix_fd_source_new(s->fd, G_IO_OUT);
	g_source_set_callback(s->out_src, G_SOURCE_FUNC(on_writable), s, NULL);
	g_source_attach(s->out_src, s->ctx);
	return TRUE;
}

gsize mhp_json_sock_pending(MhpJsonSock *s)
{
	return s->out->len;
}

gboolean mhp_json_sock_send(MhpJsonSock *s, struct json_object *msg, GError **error)
{
	size_t n;
	const char *text = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &n);
	g_autofree char *line = g_malloc(n + 1);

	/* one piece: a message is queued whole or not at all */
	memcpy(line, text, n);
	line[n] = '\n';
	return mhp_json_sock_send_raw(s, line, n + 1, error);
}

void mhp_json_sock_free(MhpJsonSock *s)
{
	if (!s)
		return;
	mhp_json_sock_disconnect(s);
	g_byte_array_unref(s->out);
	g_main_context_unref(s->ctx);
	g_free(s);
}
