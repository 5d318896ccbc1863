// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * work.c - the libvirt backend's lifetime and threads: its references,
 * libvirt errors as GErrors, and blocking libvirt calls run on a GTask
 * worker whose result comes back on the engine's context.
 */
#include <gio/gio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "libvirt-private.h"

/**
 * lv_ref() - take a reference on the backend.
 * @b: the backend
 *
 * Workers and libvirt's callbacks hold one each, so the object outlives
 * mhp_backend_free() until the last of them is done.
 *
 * Return: @b.
 */
BackendLibvirt *lv_ref(BackendLibvirt *b)
{
	g_atomic_int_inc(&b->refs);
	return b;
}

/**
 * lv_unref() - drop a reference; the last one frees the backend.
 * @data: the backend (a GDestroyNotify for libvirt's callbacks)
 */
void lv_unref(gpointer data)
{
	BackendLibvirt *b = data;

	if (!g_atomic_int_dec_and_test(&b->refs))
		return;
	g_free(b->dom_name);
	mhp_backend_clear(&b->base);
	g_free(b);
}

/**
 * lv_set_virt_error() - libvirt's last error on this thread, as a GError.
 * @error: where to put it
 * @fmt: what failed, printf-style; the GError reads "WHAT: libvirt's message"
 */
void lv_set_virt_error(GError **error, const char *fmt, ...)
{
	virErrorPtr ve = virGetLastError();
	g_autofree char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what,
		    ve && ve->message ? ve->message : "unknown libvirt error");
}

/**
 * lv_hold() - take references on a connection and a domain.
 * @ret_conn: where @conn goes, with a reference of its own (untouched if @conn is NULL)
 * @ret_dom: where @dom goes, likewise
 * @conn: a connection, or NULL
 * @dom: a domain, or NULL
 */
void lv_hold(virConnectPtr *ret_conn, virDomainPtr *ret_dom, virConnectPtr conn, virDomainPtr dom)
{
	if (conn) {
		virConnectRef(conn);
		*ret_conn = conn;
	}
	if (dom) {
		virDomainRef(dom);
		*ret_dom = dom;
	}
}

static void work_free(Work *w)
{
	if (w->dom)
		virDomainFree(w->dom);
	if (w->conn)
		virConnectClose(w->conn);
	g_free(w->arg);
	g_free(w->reply);
	lv_unref(w->b);
	g_free(w);
}

static void work_thread(GTask *task, gpointer src, gpointer data, GCancellable *c)
{
	Work *w = data;
	GError *error = NULL;

	if (w->fn(w, &error))
		g_task_return_boolean(task, TRUE);
	else
		g_task_return_error(task, error);
}

static void work_done(GObject *src, GAsyncResult *res, gpointer data)
{
	Work *w = g_task_get_task_data(G_TASK(res));
	g_autoptr(GError) error = NULL;

	g_task_propagate_boolean(G_TASK(res), &error);
	if (!w->b->disposed)
		w->finish(w, error);
	else if (w->abandon)
		w->abandon(w);
	/* the GTask owns w and frees it */
}

static void simple_finish(Work *w, const GError *error)
{
	w->done(&w->b->base, error, w->user_data);
}

/**
 * lv_work_run() - run @fn on a worker thread, then @finish on the backend's context.
 * @b: the backend; @w takes a reference, and its connection and domain
 * @fn: the blocking part
 * @finish: what to do with the result (NULL: call @w->done)
 * @w: from lv_work_new(); owned by the task from now on
 *
 * If the backend is freed in the meantime, @w->abandon runs instead of @finish.
 */
void lv_work_run(BackendLibvirt *b, WorkFunc fn, void (*finish)(Work *, const GError *), Work *w)
{
	GTask *task;

	w->b = lv_ref(b);
	w->fn = fn;
	w->finish = finish ? finish : simple_finish;
	lv_hold(&w->conn, &w->dom, b->conn, b->dom);
	g_main_context_push_thread_default(b->base.ctx);
	task = g_task_new(NULL, NULL, work_done, NULL);
	g_main_context_pop_thread_default(b->base.ctx);
	g_task_set_task_data(task, w, (GDestroyNotify)work_free);
	g_task_run_in_thread(task, work_thread);
	g_object_unref(task);
}

/**
 * lv_work_new() - a work item that reports to @done.
 * @done: the engine's callback, or NULL
 * @user_data: for @done
 *
 * Return: the item, for lv_work_run().
 */
Work *lv_work_new(MhpBackendDoneFunc done, gpointer user_data)
{
	Work *w = g_new0(Work, 1);

	w->done = done;
	w->user_data = user_data;
	return w;
}
