// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qmp.c - asynchronous QMP client on a GMainContext.
 *
 * QEMU greets with {"QMP":{...}}; we answer qmp_capabilities and are ready.
 * Commands carry an id of ours; replies are matched by it, events go to
 * the event callback. Anything QEMU sends is parsed with limits
 * (json-sock.c); a reply we did not ask for is ignored.
 */
#include <string.h>

#include "json-sock.h"
#include "qmp.h"

#define QMP_MAX_MSG (16u << 20)
#define QMP_MAX_DEPTH 64

G_DEFINE_QUARK(mhp-qmp-error-quark, mhp_qmp_error)

typedef struct {
	guint64 id;
	char *cmd;
	MhpQmpReplyFunc cb;
	gpointer user_data;
} Pending;

struct MhpQmp {
	MhpJsonSock *sock;
	MhpQmpCallbacks cb;
	gpointer user_data;
	GHashTable *pending; /* id -> Pending */
	guint64 next_id;
	char *version;
	gboolean ready;
};

static void pending_free(gpointer p)
{
	Pending *pd = p;

	g_free(pd->cmd);
	g_free(pd);
}

static void log_msg(MhpQmp *q, gboolean incoming, struct json_object *msg)
{
	if (q->cb.log)
		q->cb.log(q, incoming, msg, q->user_data);
}

static void on_capabilities(MhpQmp *q, struct json_object *ret, const GError *error, gpointer user_data)
{
	q->ready = !error;
	if (q->cb.ready)
		q->cb.ready(q, error, q->user_data);
}

static void handle_greeting(MhpQmp *q, struct json_object *greeting)
{
	struct json_object *v, *qemu;

	if (json_object_object_get_ex(greeting, "version", &v) &&
	    json_object_object_get_ex(v, "qemu", &qemu)) {
		struct json_object *ma, *mi, *mc;

		if (json_object_object_get_ex(qemu, "major", &ma) && json_object_object_get_ex(qemu, "minor", &mi) &&
		    json_object_object_get_ex(qemu, "micro", &mc))
			q->version = g_strdup_printf("%d.%d.%d", json_object_get_int(ma), json_object_get_int(mi),
						     json_object_get_int(mc));
	}
	if (!q->version)
		q->version = g_strdup("unknown");
	mhp_qmp_execute(q, "qmp_capabilities", NULL, on_capabilities, NULL);
}

static void handle_reply(MhpQmp *q, struct json_object *msg, struct json_object *idv)
{
	g_autoptr(GError) error = NULL;
	struct json_object *ret = NULL, *err;
	guint64 id;
	Pending *pd;

	if (!json_object_is_type(idv, json_type_int))
		return;
	id = (guint64)json_object_get_int64(idv);
	pd = g_hash_table_lookup(q->pending, &id);
	if (!pd)
		return;
	g_hash_table_steal(q->pending, &id);
	if (json_object_object_get_ex(msg, "error", &err)) {
		struct json_object *cls = NULL, *desc = NULL;

		json_object_object_get_ex(err, "class", &cls);
		json_object_object_get_ex(err, "desc", &desc);
		error = g_error_new(MHP_QMP_ERROR, MHP_QMP_ERROR_COMMAND, "%s: %s: %s", pd->cmd,
				    cls ? json_object_get_string(cls) : "Error",
				    desc ? json_object_get_string(desc) : "(no description)");
	} else if (!json_object_object_get_ex(msg, "return", &ret)) {
		error = g_error_new(MHP_QMP_ERROR, MHP_QMP_ERROR_PROTOCOL, "%s: reply without return or error", pd->cmd);
	}
	if (pd->cb)
		pd->cb(q, error ? NULL : ret, error, pd->user_data);
	pending_free(pd);
}

static void on_message(MhpJsonSock *sock, struct json_object *msg, gpointer user_data)
{
	MhpQmp *q = user_data;
	struct json_object *v;

	log_msg(q, TRUE, msg);
	if (json_object_object_get_ex(msg, "QMP", &v)) {
		if (!q->version && json_object_is_type(v, json_type_object))
			handle_greeting(q, v);
		return;
	}
	if (json_object_object_get_ex(msg, "event", &v)) {
		struct json_object *data = NULL;

		if (!json_object_is_type(v, json_type_string))
			return;
		json_object_object_get_ex(msg, "data", &data);
		if (q->cb.event)
			q->cb.event(q, json_object_get_string(v), data, msg, q->user_data);
		return;
	}
	if (json_object_object_get_ex(msg, "id", &v))
		handle_reply(q, msg, v);
}

static gint cmp_pending(gconstpointer a, gconstpointer b)
{
	const Pending *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void fail_pending(MhpQmp *q, const GError *why)
{
	GList *all = g_list_sort(g_hash_table_get_values(q->pending), cmp_pending);

	g_hash_table_steal_all(q->pending);
	for (GList *l = all; l; l = l->next) {
		Pending *pd = l->data;
		g_autoptr(GError) e = g_error_new(MHP_QMP_ERROR, MHP_QMP_ERROR_DISCONNECTED,
						  "%s: QMP connection lost before the reply: %s", pd->cmd,
						  why ? why->message : "closed");
		if (pd->cb)
			pd->cb(q, NULL, e, pd->user_data);
		pending_free(pd);
	}
	g_list_free(all);
}

static void on_closed(MhpJsonSock *sock, const GError *error, gpointer user_data)
{
	MhpQmp *q = user_data;
	gboolean was_ready = q->ready;

	q->ready = FALSE;
	fail_pending(q, error);
	if (!was_ready && q->cb.ready && !q->version) {
		g_autoptr(GError) e = g_error_new(MHP_QMP_ERROR, MHP_QMP_ERROR_DISCONNECTED,
						  "QMP closed before the greeting: %s", error ? error->message : "closed");
		q->cb.ready(q, e, q->user_data);
		return;
	}
	if (was_ready && q->cb.closed)
		q->cb.closed(q, error, q->user_data);
}

MhpQmp *mhp_qmp_new(GMainContext *ctx, const MhpQmpCallbacks *cb, gpointer user_data)
{
	MhpQmp *q = g_new0(MhpQmp, 1);

	q->cb = *cb;
	q->user_data = user_data;
	q->pending = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, pending_free);
	q->sock = mhp_json_sock_new(ctx, QMP_MAX_MSG, QMP_MAX_DEPTH, on_message, on_closed, q);
	q->next_id = 1;
	return q;
}

gboolean mhp_qmp_connect(MhpQmp *q, const char *path, GError **error)
{
	return mhp_json_sock_connect(q->sock, path, error);
}

void mhp_qmp_execute(MhpQmp *q, const char *cmd, struct json_object *args,
		     MhpQmpReplyFunc cb, gpointer user_data)
{
	struct json_object *msg = json_object_new_object();
	Pending *pd = g_new0(Pending, 1);

	pd->id = q->next_id++;
	pd->cmd = g_strdup(cmd);
	pd->cb = cb;
	pd->user_data = user_data;
	json_object_object_add(msg, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(msg, "arguments", args);
	json_object_object_add(msg, "id", json_object_new_int64((int64_t)pd->id));
	if (!mhp_json_sock_is_connected(q->sock)) {
		g_autoptr(GError) e = g_error_new(MHP_QMP_ERROR, MHP_QMP_ERROR_DISCONNECTED,
						  "%s: QMP is not connected", cmd);
		json_object_put(msg);
		if (cb)
			cb(q, NULL, e, user_data);
		pending_free(pd);
		return;
	}
	g_hash_table_insert(q->pending, &pd->id, pd);
	log_msg(q, FALSE, msg);
	mhp_json_sock_send(q->sock, msg, NULL); /* a failed write: on_closed fails the pending commands */
	json_object_put(msg);
}

const char *mhp_qmp_version(MhpQmp *q)
{
	return q->version;
}

guint mhp_qmp_pending(MhpQmp *q)
{
	return g_hash_table_size(q->pending);
}

void mhp_qmp_free(MhpQmp *q)
{
	if (!q)
		return;
	mhp_json_sock_free(q->sock);
	q->sock = NULL;
	g_hash_table_destroy(q->pending);
	g_free(q->version);
	g_free(q);
}
