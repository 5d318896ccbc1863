// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * agent-link.c - the host's client for mhpstress-agent.
 *
 * Requests carry our ids; each has its own deadline (a GSource), so a hung
 * guest fails a request with MHP_AGENT_ERROR_TIMEOUT instead of blocking.
 * The agent is untrusted: every message is size- and depth-limited, and
 * replies must have an integer id and an "ok" object or an "error" object
 * whose errno, when present, is an integer; anything else is counted and
 * dropped, and a reply to a pending request that breaks this fails it as
 * MHP_AGENT_ERROR_PROTOCOL. When the
 * socket drops, the link retries on a timer for reconnect_ms.
 *
 * A request made while the link is not connected (reconnecting, or not yet
 * connected) waits unsent in a queue, still under its deadline, and goes out
 * in order once the link connects. When the connection drops, only the
 * requests that went out over it fail: their replies are lost with it.
 */
#include <errno.h>

#include "agent-link.h"
#include "clock.h"
#include "json-sock.h"

#define AGENT_MAX_MSG (64u << 20) /* snapshot raw and dmesg can be large */
#define AGENT_MAX_DEPTH 16
#define RECONNECT_INTERVAL_MS 100

G_DEFINE_QUARK(mhp-agent-error-quark, mhp_agent_error)
G_DEFINE_QUARK(mhp-agent-errno-quark, mhp_agent_errno)

typedef struct {
	MhpAgentLink *link;
	gint64 id;
	char *cmd;
	MhpAgentReplyFunc cb;
	gpointer user_data;
	GSource *timeout;
	struct json_object *msg; /* until it is sent */
	gboolean sent;
} Request;

struct MhpAgentLink {
	GMainContext *ctx;
	MhpJsonSock *sock;
	MhpAgentLinkCallbacks cb;
	gpointer user_data;
	GHashTable *pending; /* id -> Request */
	GQueue unsent;       /* Request *, oldest first: waiting for a connection */
	gint64 next_id;
	char *path;
	guint reconnect_ms;
	gint64 reconnect_deadline;
	GSource *reconnect_src;
	gint64 last_seen;
	guint64 bad_messages;
	guint bad_conn;        /* invalid messages on this connection */
	GSource *drop_src;     /* idle: drop a connection that sent too many */
	const MhpClock *clock; /* NULL: real time */
};

static void request_free(Request *r)
{
	if (r->timeout) {
		g_source_destroy(r->timeout);
		g_source_unref(r->timeout);
	}
	json_object_put(r->msg);
	g_free(r->cmd);
	g_free(r);
}

static void complete(MhpAgentLink *l, Request *r, struct json_object *ok, const GError *error)
{
	g_hash_table_steal(l->pending, &r->id);
	if (!r->sent)
		g_queue_remove(&l->unsent, r);
	if (r->cb)
		r->cb(l, ok, error, r->user_data);
	request_free(r);
}

static gboolean on_request_timeout(gpointer user_data)
{
	Request *r = user_data;
	MhpAgentLink *l = r->link;
	g_autoptr(GError) e = g_error_new(MHP_AGENT_ERROR, MHP_AGENT_ERROR_TIMEOUT,
					  "agent '%s': no reply by the deadline", r->cmd);

	g_source_unref(r->timeout);
	r->timeout = NULL;
	complete(l, r, NULL, e);
	return G_SOURCE_REMOVE;
}

static void fail_requests(MhpAgentLink *l, gboolean sent_only, const char *why);

static gboolean on_drop_bad(gpointer user_data)
{
	MhpAgentLink *l = user_data;
	g_autofree char *why = g_strdup_printf("the agent sent %u invalid messages", l->bad_conn);

	g_source_unref(l->drop_src);
	l->drop_src = NULL;
	if (mhp_json_sock_is_connected(l->sock))
		mhp_json_sock_close(l->sock, why); /* on_closed: fail what was sent, reconnect */
	return G_SOURCE_REMOVE;
}

void mhp_agent_link_bad_message(MhpAgentLink *l)
{
	l->bad_messages++;
	if (++l->bad_conn < MHP_AGENT_BAD_MAX || l->drop_src)
		return;
	/* not from here: the socket's read loop is on the stack */
	l->drop_src = g_idle_source_new();
	g_source_set_callback(l->drop_src, on_drop_bad, l, NULL);
	g_source_attach(l->drop_src, l->ctx);
}

static void bad_message(MhpAgentLink *l, struct json_object *msg)
{
	/* the first few are kept for the record, cut short; a flood is only counted */
	if (l->cb.log && l->bad_conn < MHP_AGENT_BAD_LOGGED) {
		gsize len;
		const char *text = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &len);
		struct json_object *rec = json_object_new_object();

		json_object_object_add(rec, "invalid", json_object_new_string_len(text, (int)MIN(len, 256)));
		json_object_object_add(rec, "bytes", json_object_new_int64((int64_t)len));
		l->cb.log(l, TRUE, rec, l->user_data);
		json_object_put(rec);
	}
	mhp_agent_link_bad_message(l);
}

/* A new connection: its own count of invalid messages, then what waits. */
static void send_unsent(MhpAgentLink *l);
static void connected(MhpAgentLink *l)
{
	l->bad_conn = 0;
	send_unsent(l);
}

static void on_message(MhpJsonSock *sock, struct json_object *msg, gpointer user_data)
{
	MhpAgentLink *l = user_data;
	struct json_object *v, *ok = NULL, *err = NULL;

	l->last_seen = mhp_clock_now(l->clock);
	if (l->bad_conn >= MHP_AGENT_BAD_MAX)
		return; /* this connection is being dropped */
	if (json_object_object_get_ex(msg, "event", &v)) {
		if (!json_object_is_type(v, json_type_string)) {
			bad_message(l, msg);
			return;
		}
		if (l->cb.log)
			l->cb.log(l, TRUE, msg, l->user_data);
		if (l->cb.event)
			l->cb.event(l, json_object_get_string(v), msg, l->user_data);
		return;
	}
	if (!json_object_object_get_ex(msg, "id", &v) || !json_object_is_type(v, json_type_int)) {
		bad_message(l, msg); /* includes id:null replies to requests too broken to parse */
		return;
	}
	if (l->cb.log)
		l->cb.log(l, TRUE, msg, l->user_data);
	gint64 id = json_object_get_int64(v);
	Request *r = g_hash_table_lookup(l->pending, &id);
	if (!r)
		return; /* late reply to a request that already timed out */
	if (json_object_object_get_ex(msg, "ok", &ok) && json_object_is_type(ok, json_type_object)) {
		complete(l, r, ok, NULL);
	} else if (json_object_object_get_ex(msg, "error", &err) && json_object_is_type(err, json_type_object)) {
		struct json_object *en = NULL, *m = NULL;
		int e = EIO;

		/* an errno that is there but no integer is a malformed reply, not
		 * a failure the agent reported: it must not pass for EIO */
		if (json_object_object_get_ex(err, "errno", &en) &&
		    (!json_object_is_type(en, json_type_int) || json_object_get_int64(en) < 0 ||
		     json_object_get_int64(en) > G_MAXINT)) {
			g_autoptr(GError) ge = g_error_new(MHP_AGENT_ERROR, MHP_AGENT_ERROR_PROTOCOL,
							   "agent '%s': error reply whose errno is not an integer errno",
							   r->cmd);
			mhp_agent_link_bad_message(l);
			complete(l, r, NULL, ge);
			return;
		}
		if (en)
			e = json_object_get_int(en);
		json_object_object_get_ex(err, "msg", &m);
		g_autoptr(GError) ge = g_error_new(MHP_AGENT_ERRNO, e, "agent '%s': %s (errno %d)", r->cmd,
						   m && json_object_is_type(m, json_type_string)
							   ? json_object_get_string(m) : "error", e);
		complete(l, r, NULL, ge);
	} else {
		g_autoptr(GError) ge = g_error_new(MHP_AGENT_ERROR, MHP_AGENT_ERROR_PROTOCOL,
						   "agent '%s': reply has neither ok nor error", r->cmd);
		mhp_agent_link_bad_message(l);
		complete(l, r, NULL, ge);
	}
}

/*
 * Send what waits for a connection, oldest first. A failed write closes the
 * socket: on_closed then fails what went out, and what is left waits for
 * the next connection.
 */
static void send_unsent(MhpAgentLink *l)
{
	while (l->unsent.length && mhp_json_sock_is_connected(l->sock)) {
		Request *r = g_queue_pop_head(&l->unsent);
		struct json_object *msg = g_steal_pointer(&r->msg);

		r->sent = TRUE; /* from here on, a drop of the connection fails it */
		mhp_json_sock_send(l->sock, msg, NULL);
		json_object_put(msg);
	}
}

static void try_reconnect(MhpAgentLink *l);

static gboolean on_reconnect_timer(gpointer user_data)
{
	MhpAgentLink *l = user_data;

	g_source_unref(l->reconnect_src);
	l->reconnect_src = NULL;
	try_reconnect(l);
	return G_SOURCE_REMOVE;
}

static void try_reconnect(MhpAgentLink *l)
{
	g_autoptr(GError) error = NULL;
	gboolean cut = mhp_json_sock_cut_line(l->sock);

	if (!l->path)
		error = g_error_new_literal(MHP_AGENT_ERROR, MHP_AGENT_ERROR_DISCONNECTED, "the channel closed");
	else if (mhp_json_sock_connect(l->sock, l->path, &error)) {
		/* the agent's output waited while we were away: a line cut when
		 * the last connection dropped (a 64 MiB one) goes on here, and
		 * nothing of it is to be parsed */
		if (cut)
			mhp_json_sock_skip_line(l->sock);
		connected(l);
		return;
	}
	if (!l->path || mhp_clock_now(l->clock) >= l->reconnect_deadline) {
		g_prefix_error(&error, "agent link lost: ");
		mhp_agent_link_cancel_all(l, error->message);
		if (l->cb.lost)
			l->cb.lost(l, error, l->user_data);
		return;
	}
	l->reconnect_src = mhp_clock_timeout_source(l->clock, RECONNECT_INTERVAL_MS);
	g_source_set_callback(l->reconnect_src, on_reconnect_timer, l, NULL);
	g_source_attach(l->reconnect_src, l->ctx);
}

static void on_closed(MhpJsonSock *sock, const GError *error, gpointer user_data)
{
	MhpAgentLink *l = user_data;

	/* Replies to requests in flight are lost with the connection. */
	fail_requests(l, TRUE, error ? error->message : "agent connection closed");
	l->reconnect_deadline = mhp_clock_now(l->clock) + (gint64)l->reconnect_ms * 1000;
	try_reconnect(l);
}

MhpAgentLink *mhp_agent_link_new(GMainContext *ctx, const MhpAgentLinkCallbacks *cb, gpointer user_data)
{
	MhpAgentLink *l = g_new0(MhpAgentLink, 1);

	l->ctx = ctx ? g_main_context_ref(ctx) : g_main_context_ref_thread_default();
	l->cb = *cb;
	l->user_data = user_data;
	l->pending = g_hash_table_new(g_int64_hash, g_int64_equal);
	l->sock = mhp_json_sock_new(l->ctx, AGENT_MAX_MSG, AGENT_MAX_DEPTH, on_message, on_closed, l);
	l->next_id = 1;
	return l;
}

gboolean mhp_agent_link_connect(MhpAgentLink *l, const char *path, guint reconnect_ms, GError **error)
{
	g_free(l->path);
	l->path = g_strdup(path);
	l->reconnect_ms = reconnect_ms;
	if (!mhp_json_sock_connect(l->sock, path, error))
		return FALSE;
	connected(l);
	return TRUE;
}

gboolean mhp_agent_link_adopt(MhpAgentLink *l, int fd, GError **error)
{
	g_clear_pointer(&l->path, g_free);
	l->reconnect_ms = 0;
	if (!mhp_json_sock_adopt(l->sock, fd, error))
		return FALSE;
	connected(l);
	return TRUE;
}

void mhp_agent_link_call(MhpAgentLink *l, const char *cmd, struct json_object *args, guint timeout_ms,
			 MhpAgentReplyFunc cb, gpointer user_data)
{
	struct json_object *msg = json_object_new_object();
	Request *r = g_new0(Request, 1);

	r->link = l;
	r->id = l->next_id++;
	r->cmd = g_strdup(cmd);
	r->cb = cb;
	r->user_data = user_data;
	json_object_object_add(msg, "id", json_object_new_int64(r->id));
	json_object_object_add(msg, "cmd", json_object_new_string(cmd));
	if (args)
		json_object_object_add(msg, "args", args);
	r->timeout = mhp_clock_timeout_source(l->clock, timeout_ms);
	g_source_set_callback(r->timeout, on_request_timeout, r, NULL);
	g_source_attach(r->timeout, l->ctx);
	g_hash_table_insert(l->pending, &r->id, r);
	if (l->cb.log)
		l->cb.log(l, FALSE, msg, l->user_data);
	r->msg = msg;
	g_queue_push_tail(&l->unsent, r);
	send_unsent(l);
}

void mhp_agent_link_cancel_all(MhpAgentLink *l, const char *why)
{
	fail_requests(l, FALSE, why);
}

/* Fail the pending requests (@sent_only: those that went out) as DISCONNECTED. */
static void fail_requests(MhpAgentLink *l, gboolean sent_only, const char *why)
{
	g_autofree char *reason = g_strdup(why);
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));
	GHashTableIter it;
	gpointer key;

	/* Callbacks may issue or cancel requests: complete by id, if still there. */
	g_hash_table_iter_init(&it, l->pending);
	while (g_hash_table_iter_next(&it, &key, NULL))
		g_array_append_val(ids, *(gint64 *)key);
	for (guint i = 0; i < ids->len; i++) {
		Request *r = g_hash_table_lookup(l->pending, &g_array_index(ids, gint64, i));
		if (!r || (sent_only && !r->sent))
			continue;
		g_autoptr(GError) e = g_error_new(MHP_AGENT_ERROR, MHP_AGENT_ERROR_DISCONNECTED,
						  "agent '%s': %s", r->cmd, reason);
		complete(l, r, NULL, e);
	}
	g_array_free(ids, TRUE);
}

void mhp_agent_link_disconnect(MhpAgentLink *l)
{
	if (l->reconnect_src) {
		g_source_destroy(l->reconnect_src);
		g_source_unref(l->reconnect_src);
		l->reconnect_src = NULL;
	}
	mhp_json_sock_disconnect(l->sock);
	mhp_agent_link_cancel_all(l, "the guest is being replaced");
	l->last_seen = 0;
}

gboolean mhp_agent_link_is_connected(MhpAgentLink *l)
{
	return mhp_json_sock_is_connected(l->sock);
}

gint64 mhp_agent_link_last_seen(MhpAgentLink *l)
{
	return l->last_seen;
}

void mhp_agent_link_free(MhpAgentLink *l)
{
	GList *all;

	if (!l)
		return;
	if (l->reconnect_src) {
		g_source_destroy(l->reconnect_src);
		g_source_unref(l->reconnect_src);
	}
	if (l->drop_src) {
		g_source_destroy(l->drop_src);
		g_source_unref(l->drop_src);
	}
	mhp_json_sock_free(l->sock);
	all = g_hash_table_get_values(l->pending);
	for (GList *x = all; x; x = x->next)
		request_free(x->data);
	g_list_free(all);
	g_hash_table_destroy(l->pending);
	g_queue_clear(&l->unsent);
	g_free(l->path);
	g_main_context_unref(l->ctx);
	g_free(l);
}

guint64 mhp_agent_link_bad_messages(MhpAgentLink *l)
{
	return l->bad_messages;
}

void mhp_agent_link_set_clock(MhpAgentLink *link, const MhpClock *clock)
{
	link->clock = clock;
}
