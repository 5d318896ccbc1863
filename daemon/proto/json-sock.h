/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * json-sock.h - a unix-socket client exchanging JSON objects on a GMainContext.
 */
#ifndef MHP_JSON_SOCK_H
#define MHP_JSON_SOCK_H

#include <glib.h>
#include <json-c/json.h>

typedef struct MhpJsonSock MhpJsonSock;

/* @msg is borrowed for the duration of the call. */
typedef void (*MhpJsonSockMessageFunc)(MhpJsonSock *sock, struct json_object *msg, gpointer user_data);
/* The peer closed, or sent something that broke the limits (@error says). */
typedef void (*MhpJsonSockClosedFunc)(MhpJsonSock *sock, const GError *error, gpointer user_data);

MhpJsonSock *mhp_json_sock_new(GMainContext *ctx, gsize max_msg, int max_depth,
			       MhpJsonSockMessageFunc on_message, MhpJsonSockClosedFunc on_closed,
			       gpointer user_data);

/**
 * mhp_json_sock_connect() - connect to a unix socket.
 * @sock: the socket
 * @path: its path
 * @error: return location
 *
 * A local connect completes at once or fails at once (ENOENT, ECONNREFUSED):
 * callers that wait for a socket to appear retry on a timer with a deadline.
 *
 * Return: true when connected.
 */
gboolean mhp_json_sock_connect(MhpJsonSock *sock, const char *path, GError **error);
gboolean mhp_json_sock_is_connected(MhpJsonSock *sock);

/*
 * Whether the last connection ended in the middle of a line (a message cut
 * by a protocol violation or a close): a peer whose output resumes on the
 * next connection (the agent) then sends that line's tail first. After
 * connecting again, mhp_json_sock_skip_line() drops it up to its newline.
 */
gboolean mhp_json_sock_cut_line(MhpJsonSock *sock);
void mhp_json_sock_skip_line(MhpJsonSock *sock);

/* Serve an already connected fd (a server's accepted client); takes the fd. */
gboolean mhp_json_sock_adopt(MhpJsonSock *sock, int fd, GError **error);

/**
 * mhp_json_sock_send() - queue @msg (not consumed) plus a newline.
 * @sock: the socket
 * @msg: the message
 * @error: return location
 *
 * The bytes are written as the socket allows. Nothing is dropped silently:
 * when the socket is not connected, or the write fails (on_closed has then
 * run), nothing is queued and @error says so (G_IO_ERROR_NOT_CONNECTED,
 * G_IO_ERROR_CONNECTION_CLOSED).
 *
 * Return: true when the message is written or queued whole.
 */
gboolean mhp_json_sock_send(MhpJsonSock *sock, struct json_object *msg, GError **error);
/* Bytes queued and not yet written: how far behind the peer is reading. */
gsize mhp_json_sock_pending(MhpJsonSock *sock);

/**
 * mhp_json_sock_send_raw() - queue raw bytes, as they are.
 * @sock: the socket
 * @data: the bytes
 * @len: how many
 * @error: return location
 *
 * Return: as mhp_json_sock_send().
 */
gboolean mhp_json_sock_send_raw(MhpJsonSock *sock, const char *data, gsize len, GError **error);

/**
 * mhp_json_sock_close() - drop the connection as if the peer had broken it.
 * @sock: the socket
 * @why: on_closed's error message
 *
 * on_closed runs before this returns. Not from inside on_message: the read
 * loop is still on the stack there; use an idle source.
 */
void mhp_json_sock_close(MhpJsonSock *sock, const char *why);
/* Drop the connection without calling on_closed. */
void mhp_json_sock_disconnect(MhpJsonSock *sock);
void mhp_json_sock_free(MhpJsonSock *sock);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MhpJsonSock, mhp_json_sock_free)

#endif
