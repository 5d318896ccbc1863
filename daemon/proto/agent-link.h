/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent-link.h - the host's client for mhpstress-agent (JSON lines).
 */
#ifndef MHP_AGENT_LINK_H
#define MHP_AGENT_LINK_H

#include <glib.h>
#include <json-c/json.h>

#include "clock.h"

#define MHP_AGENT_ERROR (mhp_agent_error_quark())
#define MHP_AGENT_ERRNO (mhp_agent_errno_quark())
GQuark mhp_agent_error_quark(void);
/* The agent answered with an error: the GError code is its errno. */
GQuark mhp_agent_errno_quark(void);

typedef enum {
	MHP_AGENT_ERROR_TIMEOUT,      /* no reply by the request's deadline */
	MHP_AGENT_ERROR_DISCONNECTED, /* the link went away before the reply */
	MHP_AGENT_ERROR_PROTOCOL,     /* a reply that breaks the protocol */
} MhpAgentError;

typedef struct MhpAgentLink MhpAgentLink;

/* @ok is the reply's "ok" object (borrowed), NULL when @error is set. */
typedef void (*MhpAgentReplyFunc)(MhpAgentLink *link, struct json_object *ok, const GError *error,
				  gpointer user_data);

typedef struct {
	/* an event message ("heartbeat", "kmsg", "uevent", ...), borrowed */
	void (*event)(MhpAgentLink *link, const char *name, struct json_object *msg, gpointer user_data);
	/* every message in either direction, for the record */
	void (*log)(MhpAgentLink *link, gboolean incoming, struct json_object *msg, gpointer user_data);
	/* reconnecting failed for reconnect_ms: the link is down for good */
	void (*lost)(MhpAgentLink *link, const GError *error, gpointer user_data);
} MhpAgentLinkCallbacks;

MhpAgentLink *mhp_agent_link_new(GMainContext *ctx, const MhpAgentLinkCallbacks *cb, gpointer user_data);
void mhp_agent_link_free(MhpAgentLink *link);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MhpAgentLink, mhp_agent_link_free)

/**
 * mhp_agent_link_connect() - connect to the agent's chardev socket.
 * @link: the link
 * @path: the unix socket QEMU serves for the virtio-serial port
 * @reconnect_ms: when the connection drops, retry for this long before
 *                cb->lost (0: give up at once)
 * @error: return location
 */
gboolean mhp_agent_link_connect(MhpAgentLink *link, const char *path, guint reconnect_ms, GError **error);

/**
 * mhp_agent_link_adopt() - talk to the agent over a connected socket.
 * @link: the link
 * @fd: a connected stream socket (taken), e.g. one end of a socketpair
 *      bridged to a libvirt channel stream
 * @error: return location
 *
 * When it closes there is nothing to reconnect to: cb->lost follows.
 */
gboolean mhp_agent_link_adopt(MhpAgentLink *link, int fd, GError **error);

/**
 * mhp_agent_link_call() - send a request; @cb gets the reply or an error, once.
 * @link: the link
 * @cmd: command
 * @args: arguments, consumed; NULL for none
 * @timeout_ms: deadline for the reply
 * @cb: callback
 * @user_data: for @cb
 *
 * While the link is not connected (reconnecting after the agent restarted,
 * or not connected yet) the request waits unsent, under its deadline, and
 * goes out once the link connects. Only a failed write runs @cb before
 * this returns: the connection closes, and what went out over it fails
 * with MHP_AGENT_ERROR_DISCONNECTED.
 */
void mhp_agent_link_call(MhpAgentLink *link, const char *cmd, struct json_object *args, guint timeout_ms,
			 MhpAgentReplyFunc cb, gpointer user_data);

/* Drop the connection and any reconnect attempt (a new guest is coming);
 * pending requests fail. */
void mhp_agent_link_disconnect(MhpAgentLink *link);

/* Deadlines and times from @clock (borrowed; NULL: real time). */
void mhp_agent_link_set_clock(MhpAgentLink *link, const MhpClock *clock);

/* Fail every pending request now (for example when the guest is going away). */
void mhp_agent_link_cancel_all(MhpAgentLink *link, const char *why);
gboolean mhp_agent_link_is_connected(MhpAgentLink *link);

/* Invalid messages one connection may send before it is dropped (and the
 * link reconnects, failing what was in flight); the first few are logged,
 * the rest only counted. */
#define MHP_AGENT_BAD_MAX 32
#define MHP_AGENT_BAD_LOGGED 4

/**
 * mhp_agent_link_bad_message() - count a message that passed the envelope
 * but not its reader (a kmsg event of the wrong shape, say).
 * @link: the link
 *
 * The MHP_AGENT_BAD_MAX-th on one connection drops it, from an idle source.
 */
void mhp_agent_link_bad_message(MhpAgentLink *link);
/* Invalid messages over the link's life. */
guint64 mhp_agent_link_bad_messages(MhpAgentLink *link);
/* Monotonic time (us) of the last message from the agent, 0 if none. */
gint64 mhp_agent_link_last_seen(MhpAgentLink *link);

#endif
