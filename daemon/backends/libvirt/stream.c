// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stream.c - the libvirt backend's streams: the console into console.log
 * and console lines, and the agent's channel pumped to and from our end of
 * a socketpair, whose other end the agent link owns.
 */
#include <errno.h>
#include <glib-unix.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libvirt-private.h"

#define STREAM_MAX_BUFFER (64u << 20)

struct Stream {
	BackendLibvirt *b;
	virStreamPtr st;
	const char *what;
	int fd;          /* the agent: our end of the socketpair; -1 for the console */
	GSource *fd_src;
	GIOCondition fd_cond;
	GByteArray *to_fd;
	GByteArray *to_st;
	int st_events;
	gboolean closed;
};

static void stream_update(Stream *s);
static gboolean on_fd(gint fd, GIOCondition cond, gpointer data);

/* (Re)watch our end of the agent's socketpair for @cond. */
static void fd_watch(Stream *s, GIOCondition cond)
{
	if (s->fd_src && s->fd_cond == cond)
		return;
	mhp_backend_source_clear(&s->fd_src);
	s->fd_cond = cond;
	s->fd_src = g_unix_fd_source_new(s->fd, cond);
	g_source_set_callback(s->fd_src, G_SOURCE_FUNC(on_fd), s, NULL);
	g_source_attach(s->fd_src, s->b->base.ctx);
}

/**
 * lv_stream_close() - stop pumping @s; our end of its socketpair closes.
 * @s: the stream; closing twice is fine
 */
void lv_stream_close(Stream *s)
{
	if (s->closed)
		return;
	s->closed = TRUE;
	mhp_backend_source_clear(&s->fd_src);
	if (s->fd >= 0) {
		close(s->fd); /* the agent link sees the hangup */
		s->fd = -1;
	}
	if (s->st_events >= 0)
		virStreamEventRemoveCallback(s->st);
	s->st_events = -1;
}

/**
 * lv_stream_free() - close and abort @s, and free it.
 * @s: the stream, or NULL
 */
void lv_stream_free(Stream *s)
{
	if (!s)
		return;
	lv_stream_close(s);
	if (virStreamAbort(s->st) < 0)
		virResetLastError(); /* it had ended already */
	virStreamFree(s->st);
	g_byte_array_unref(s->to_fd);
	g_byte_array_unref(s->to_st);
	g_free(s);
}

static void console_data(BackendLibvirt *b, const char *buf, gssize n)
{
	if (b->console_log >= 0 && write(b->console_log, buf, (size_t)n) != n) {
		/* a full disk loses console.log lines, not the run */
	}
	mhp_backend_console_feed(&b->base, buf, (gsize)n);
}

/**
 * lv_console_drain() - read what the console still holds.
 * @s: the console stream
 *
 * When the domain stops its last lines (a panic's) may still be queued:
 * up to 1 MiB of them, and the partial line, go to console.log and out.
 */
void lv_console_drain(Stream *s)
{
	char buf[65536];

	for (int i = 0; i < 16 && !s->closed; i++) {
		int n = virStreamRecv(s->st, buf, sizeof(buf));
		if (n <= 0)
			break;
		console_data(s->b, buf, n);
	}
	virResetLastError();
	mhp_backend_console_flush(&s->b->base);
}

static void stream_eof(Stream *s)
{
	if (s == s->b->console)
		mhp_backend_console_flush(&s->b->base);
	lv_stream_close(s);
}

static gboolean flush_fd(Stream *s)
{
	while (s->to_fd->len) {
		ssize_t n = send(s->fd, s->to_fd->data, s->to_fd->len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return TRUE;
		if (n <= 0)
			return FALSE;
		g_byte_array_remove_range(s->to_fd, 0, (guint)n);
	}
	return TRUE;
}

/* Send what the agent link wrote; FALSE when the stream failed. A full
 * stream (-2) keeps the rest for its WRITABLE event. */
static gboolean stream_send(Stream *s)
{
	while (s->to_st->len) {
		int n = virStreamSend(s->st, (const char *)s->to_st->data, s->to_st->len);
		if (n == -2)
			return TRUE;
		if (n < 0)
			return FALSE;
		g_byte_array_remove_range(s->to_st, 0, (guint)n);
	}
	return TRUE;
}

static void on_stream(virStreamPtr st, int events, void *opaque)
{
	Stream *s = opaque;
	char buf[65536];

	if (s->closed)
		return;
	if (events & VIR_STREAM_EVENT_READABLE) {
		int n = virStreamRecv(st, buf, sizeof(buf));
		if (n == 0 || n == -1) {
			stream_eof(s);
			return;
		}
		if (n > 0) {
			if (s->fd < 0) {
				console_data(s->b, buf, n);
			} else {
				g_byte_array_append(s->to_fd, (guint8 *)buf, (guint)n);
				if (s->to_fd->len > STREAM_MAX_BUFFER || !flush_fd(s)) {
					stream_eof(s);
					return;
				}
			}
		}
	}
	if ((events & VIR_STREAM_EVENT_WRITABLE) && !stream_send(s)) {
		stream_eof(s);
		return;
	}
	if ((events & (VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP)) && !(events & VIR_STREAM_EVENT_READABLE)) {
		stream_eof(s);
		return;
	}
	stream_update(s);
}

static gboolean on_fd(gint fd, GIOCondition cond, gpointer data)
{
	Stream *s = data;
	char buf[65536];

	if (cond & G_IO_OUT) {
		if (!flush_fd(s)) {
			stream_eof(s);
			return G_SOURCE_CONTINUE; /* lv_stream_close destroyed us */
		}
	}
	if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return G_SOURCE_CONTINUE;
		if (n <= 0 || s->to_st->len > STREAM_MAX_BUFFER) {
			stream_eof(s);
			return G_SOURCE_CONTINUE;
		}
		g_byte_array_append(s->to_st, (guint8 *)buf, (guint)n);
		/* at once, rather than one loop iteration later */
		if (!stream_send(s)) {
			stream_eof(s);
			return G_SOURCE_CONTINUE;
		}
	}
	stream_update(s);
	return G_SOURCE_CONTINUE;
}

static void stream_update(Stream *s)
{
	int ev = VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP;

	if (s->closed)
		return;
	if (s->to_st->len)
		ev |= VIR_STREAM_EVENT_WRITABLE;
	if (ev != s->st_events) {
		virStreamEventUpdateCallback(s->st, ev);
		s->st_events = ev;
	}
	if (s->fd >= 0)
		fd_watch(s, G_IO_IN | G_IO_HUP | G_IO_ERR | (s->to_fd->len ? G_IO_OUT : 0));
}

/**
 * lv_stream_start() - start pumping @s.
 * @s: from lv_stream_new()
 * @error: why libvirt would not watch the stream
 *
 * Return: TRUE, or FALSE with @error set.
 */
gboolean lv_stream_start(Stream *s, GError **error)
{
	int ev = VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP;

	if (virStreamEventAddCallback(s->st, ev, on_stream, s, NULL) < 0) {
		lv_set_virt_error(error, "watching the %s stream", s->what);
		return FALSE;
	}
	s->st_events = ev;
	if (s->fd >= 0)
		fd_watch(s, G_IO_IN | G_IO_HUP | G_IO_ERR);
	return TRUE;
}

/**
 * lv_stream_new() - a stream of @b's, not yet pumping.
 * @b: the backend; the stream does not take a reference
 * @st: the libvirt stream; owned from now on
 * @what: for messages ("console", "agent channel")
 * @fd: our end of the agent's socketpair; -1 for the console, whose bytes
 *      go to console.log and the console_line callback
 *
 * Return: the stream.
 */
Stream *lv_stream_new(BackendLibvirt *b, virStreamPtr st, const char *what, int fd)
{
	Stream *s = g_new0(Stream, 1);

	s->b = b;
	s->st = st;
	s->what = what;
	s->fd = fd;
	s->st_events = -1;
	s->to_fd = g_byte_array_new();
	s->to_st = g_byte_array_new();
	return s;
}
