/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qmp.h - asynchronous QMP client on a GMainContext.
 */
#ifndef MHP_QMP_H
#define MHP_QMP_H

#include <glib.h>
#include <json-c/json.h>

#define MHP_QMP_ERROR (mhp_qmp_error_quark())
GQuark mhp_qmp_error_quark(void);

typedef enum {
	MHP_QMP_ERROR_COMMAND,      /* QEMU answered with an error; the message is "Class: desc" */
	MHP_QMP_ERROR_DISCONNECTED, /* the connection went away before a reply */
	MHP_QMP_ERROR_PROTOCOL,     /* the peer broke the protocol */
} MhpQmpError;

typedef struct MhpQmp MhpQmp;

/* @ret is the "return" value (borrowed), NULL when @error is set. */
typedef void (*MhpQmpReplyFunc)(MhpQmp *qmp, struct json_object *ret, const GError *error, gpointer user_data);

typedef struct {
	/* after the greeting and qmp_capabilities; or the handshake failed */
	void (*ready)(MhpQmp *qmp, const GError *error, gpointer user_data);
	/* an event; @data may be NULL; @msg is the whole message (borrowed) */
	void (*event)(MhpQmp *qmp, const char *name, struct json_object *data,
		      struct json_object *msg, gpointer user_data);
	/* every message in either direction, for the record */
	void (*log)(MhpQmp *qmp, gboolean incoming, struct json_object *msg, gpointer user_data);
	/* the connection is gone (after ready) */
	void (*closed)(MhpQmp *qmp, const GError *error, gpointer user_data);
} MhpQmpCallbacks;

MhpQmp *mhp_qmp_new(GMainContext *ctx, const MhpQmpCallbacks *cb, gpointer user_data);
void mhp_qmp_free(MhpQmp *qmp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MhpQmp, mhp_qmp_free)

/**
 * mhp_qmp_connect() - connect and start the handshake; cb->ready follows.
 * Return: false when the socket cannot be connected (nothing else is called).
 */
gboolean mhp_qmp_connect(MhpQmp *qmp, const char *path, GError **error);

/**
 * mhp_qmp_execute() - send a command; @cb gets the reply, once.
 * @qmp: client
 * @cmd: command name
 * @args: arguments object, consumed; NULL for none
 * @cb: reply callback (may be NULL)
 * @user_data: for @cb
 *
 * On a disconnect, every pending command fails with MHP_QMP_ERROR_DISCONNECTED.
 */
void mhp_qmp_execute(MhpQmp *qmp, const char *cmd, struct json_object *args,
		     MhpQmpReplyFunc cb, gpointer user_data);

/* The greeting's QEMU version, e.g. "7.2.22", or NULL before the greeting. */
const char *mhp_qmp_version(MhpQmp *qmp);
guint mhp_qmp_pending(MhpQmp *qmp);

#endif
