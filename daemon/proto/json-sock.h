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

/* Serve an already connected fd (a server's accepted client); takes the fd. */
gboolean mhp_json_sock_adopt(MhpJsonSock *sock, int fd, GError **error);

/* Queue @msg (not consumed) plus a newline; written as the socket allows. */
void mhp_json_sock_send(MhpJsonSock *sock, struct json_object *msg);
/* Queue raw bytes, as they are. */
void mhp_json_sock_send_raw(MhpJsonSock *sock, const char *data, gsize len);
/* Bytes queued and not yet written: how far behind the peer is reading. */
gsize mhp_json_sock_pending(MhpJsonSock *sock);

/* Drop the connection without calling on_closed. */
void mhp_json_sock_disconnect(MhpJsonSock *sock);
void mhp_json_sock_free(MhpJsonSock *sock);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MhpJsonSock, mhp_json_sock_free)

#endif
