// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virt-event.c - libvirt's event loop on GLib sources, no polling thread.
 *
 * libvirt needs an event implementation for keepalives, stream and domain
 * events; virEventRegisterImpl() takes one for the whole process. Ours
 * turns each handle into a unix-fd GSource and each timer into a timeout
 * (or idle) GSource on one GMainContext, so libvirt's callbacks run in the
 * same loop as the rest of the engine.
 *
 * libvirt calls these from any thread (the backend runs its blocking API
 * calls on worker threads), so the tables are under a mutex, and a
 * dispatch looks its handle up by id each time: a source destroyed by
 * another thread never reaches a freed handle. As libvirt requires, a
 * removed handle's free callback runs later, from the loop, never from
 * inside the remove call.
 */
#include <glib-unix.h>
#include <signal.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "virt-event.h"

typedef struct {
	int id;
	int fd;
	int events;
	virEventHandleCallback cb;
	void *opaque;
	virFreeCallback ff;
	GSource *src;
} Handle;

typedef struct {
	int id;
	int interval;
	virEventTimeoutCallback cb;
	void *opaque;
	virFreeCallback ff;
	GSource *src;
} Timer;

static GMutex lock;
static GMainContext *loop_ctx;
static GHashTable *handles; /* id -> Handle */
static GHashTable *timers;  /* id -> Timer */
static int next_id = 1;

static void drop_source(GSource **src)
{
	if (*src) {
		g_source_destroy(*src);
		g_source_unref(*src);
		*src = NULL;
	}
}

static int from_cond(GIOCondition c)
{
	return (c & G_IO_IN ? VIR_EVENT_HANDLE_READABLE : 0) | (c & G_IO_OUT ? VIR_EVENT_HANDLE_WRITABLE : 0) |
	       (c & (G_IO_ERR | G_IO_NVAL) ? VIR_EVENT_HANDLE_ERROR : 0) | (c & G_IO_HUP ? VIR_EVENT_HANDLE_HANGUP : 0);
}

static gboolean on_handle(gint fd, GIOCondition cond, gpointer data)
{
	int id = GPOINTER_TO_INT(data);
	virEventHandleCallback cb = NULL;
	void *opaque = NULL;

	g_mutex_lock(&lock);
	Handle *h = g_hash_table_lookup(handles, GINT_TO_POINTER(id));
	if (h) {
		cb = h->cb;
		opaque = h->opaque;
	}
	g_mutex_unlock(&lock);
	if (cb)
		cb(id, fd, from_cond(cond), opaque);
	return G_SOURCE_CONTINUE;
}

/* Called with the lock held. No events asked for: no source at all. */
static void handle_arm(Handle *h)
{
	GIOCondition c = 0;

	drop_source(&h->src);
	if (h->events & VIR_EVENT_HANDLE_READABLE)
		c |= G_IO_IN;
	if (h->events & VIR_EVENT_HANDLE_WRITABLE)
		c |= G_IO_OUT;
	if (!c)
		return;
	h->src = g_unix_fd_source_new(h->fd, c | G_IO_HUP | G_IO_ERR);
	g_source_set_callback(h->src, G_SOURCE_FUNC(on_handle), GINT_TO_POINTER(h->id), NULL);
	g_source_attach(h->src, loop_ctx);
}

static int add_handle(int fd, int events, virEventHandleCallback cb, void *opaque, virFreeCallback ff)
{
	Handle *h = g_new0(Handle, 1);

	g_mutex_lock(&lock);
	h->id = next_id++;
	h->fd = fd;
	h->events = events;
	h->cb = cb;
	h->opaque = opaque;
	h->ff = ff;
	g_hash_table_insert(handles, GINT_TO_POINTER(h->id), h);
	handle_arm(h);
	g_mutex_unlock(&lock);
	return h->id;
}

static void update_handle(int id, int events)
{
	g_mutex_lock(&lock);
	Handle *h = g_hash_table_lookup(handles, GINT_TO_POINTER(id));
	if (h && h->events != events) {
		h->events = events;
		handle_arm(h);
	}
	g_mutex_unlock(&lock);
}

typedef struct {
	virFreeCallback ff;
	void *opaque;
} Release;

static gboolean run_release(gpointer data)
{
	Release *r = data;

	r->ff(r->opaque);
	g_free(r);
	return G_SOURCE_REMOVE;
}

static void release_later(virFreeCallback ff, void *opaque)
{
	Release *r;
	GSource *s;

	if (!ff)
		return;
	r = g_new(Release, 1);
	r->ff = ff;
	r->opaque = opaque;
	s = g_idle_source_new();
	g_source_set_callback(s, run_release, r, NULL);
	g_source_attach(s, loop_ctx);
	g_source_unref(s);
}

static int remove_handle(int id)
{
	g_mutex_lock(&lock);
	Handle *h = g_hash_table_lookup(handles, GINT_TO_POINTER(id));
	if (!h) {
		g_mutex_unlock(&lock);
		return -1;
	}
	g_hash_table_steal(handles, GINT_TO_POINTER(id));
	drop_source(&h->src);
	g_mutex_unlock(&lock);
	release_later(h->ff, h->opaque);
	g_free(h);
	return 0;
}

static gboolean on_timer(gpointer data)
{
	int id = GPOINTER_TO_INT(data);
	virEventTimeoutCallback cb = NULL;
	void *opaque = NULL;

	g_mutex_lock(&lock);
	Timer *t = g_hash_table_lookup(timers, GINT_TO_POINTER(id));
	if (t) {
		cb = t->cb;
		opaque = t->opaque;
	}
	g_mutex_unlock(&lock);
	if (cb)
		cb(id, opaque);
	return G_SOURCE_CONTINUE;
}

/* Called with the lock held. -1 disables; 0 fires on every loop iteration. */
static void timer_arm(Timer *t)
{
	drop_source(&t->src);
	if (t->interval < 0)
		return;
	/* 0 ms (libvirt's "as soon as possible", used to dispatch events)
	 * at default priority, not idle priority behind busy sources */
	t->src = g_timeout_source_new((guint)t->interval);
	g_source_set_callback(t->src, on_timer, GINT_TO_POINTER(t->id), NULL);
	g_source_attach(t->src, loop_ctx);
}

static int add_timeout(int interval, virEventTimeoutCallback cb, void *opaque, virFreeCallback ff)
{
	Timer *t = g_new0(Timer, 1);

	g_mutex_lock(&lock);
	t->id = next_id++;
	t->interval = interval;
	t->cb = cb;
	t->opaque = opaque;
	t->ff = ff;
	g_hash_table_insert(timers, GINT_TO_POINTER(t->id), t);
	timer_arm(t);
	g_mutex_unlock(&lock);
	return t->id;
}

static void update_timeout(int id, int interval)
{
	g_mutex_lock(&lock);
	Timer *t = g_hash_table_lookup(timers, GINT_TO_POINTER(id));
	/* as libvirt's own loop does: an update restarts the timer */
	if (t) {
		t->interval = interval;
		timer_arm(t);
	}
	g_mutex_unlock(&lock);
}

static int remove_timeout(int id)
{
	g_mutex_lock(&lock);
	Timer *t = g_hash_table_lookup(timers, GINT_TO_POINTER(id));
	if (!t) {
		g_mutex_unlock(&lock);
		return -1;
	}
	g_hash_table_steal(timers, GINT_TO_POINTER(id));
	drop_source(&t->src);
	g_mutex_unlock(&lock);
	release_later(t->ff, t->opaque);
	g_free(t);
	return 0;
}

static void silence(void *opaque, virErrorPtr err)
{
	/* errors are taken with virGetLastError() where they happen */
}

static gpointer do_register(gpointer data)
{
	/* The embedded driver logs warnings (taints) to stderr; the errors we
	 * act on are taken with virGetLastError(). Users can still ask. */
	if (!g_getenv("LIBVIRT_LOG_OUTPUTS"))
		g_setenv("LIBVIRT_LOG_OUTPUTS", "4:file:/dev/null", FALSE);
	/* libvirt's sockets write() without MSG_NOSIGNAL: a dropped libvirtd
	 * must be an error on the connection, not the death of every run */
	signal(SIGPIPE, SIG_IGN);
	loop_ctx = g_main_context_ref(data);
	handles = g_hash_table_new(g_direct_hash, g_direct_equal);
	timers = g_hash_table_new(g_direct_hash, g_direct_equal);
	virEventRegisterImpl(add_handle, update_handle, remove_handle, add_timeout, update_timeout, remove_timeout);
	virSetErrorFunc(NULL, silence);
	return loop_ctx;
}

GMainContext *mhp_virt_event_register(GMainContext *ctx)
{
	static GOnce once = G_ONCE_INIT;

	return g_once(&once, do_register, ctx ? ctx : g_main_context_default());
}
