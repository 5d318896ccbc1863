// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * probe.c - does libvirt answer? For mhpstress doctor: one connection
 * opened in a thread, waited for with a deadline. libvirt's own printing
 * of errors on stderr is turned off for the process: the probe's caller
 * says what failed.
 */
#include <gio/gio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "backend-libvirt.h"

/* Shared by the caller and the thread; the last of the two to let go frees it. */
typedef struct {
	gint refs;
	GMutex lock;
	GCond done_cond;
	gboolean done;
	char *uri;
	char *detail;  /* on success */
	char *error;   /* on failure */
} Probe;

static void probe_unref(Probe *p)
{
	if (!g_atomic_int_dec_and_test(&p->refs))
		return;
	g_mutex_clear(&p->lock);
	g_cond_clear(&p->done_cond);
	g_free(p->uri);
	g_free(p->detail);
	g_free(p->error);
	g_free(p);
}

static char *version_text(unsigned long v)
{
	return g_strdup_printf("%lu.%lu.%lu", v / 1000000, v / 1000 % 1000, v % 1000);
}

/* libvirt prints every error on stderr by default; the probe reports its own. */
static void quiet(void *user_data, virErrorPtr err)
{
}

static gpointer probe_thread(gpointer data)
{
	Probe *p = data;
	virConnectPtr conn = virConnectOpen(p->uri);
	unsigned long lib = 0, hv = 0;
	char *detail = NULL, *err = NULL;

	if (!conn) {
		const char *m = virGetLastErrorMessage();

		err = g_strdup_printf("cannot connect to '%s': %s", p->uri, m ? m : "unknown error");
	} else {
		g_autofree char *l = NULL, *h = NULL;

		virConnectGetLibVersion(conn, &lib);
		virConnectGetVersion(conn, &hv);
		l = version_text(lib);
		h = version_text(hv);
		detail = g_strdup_printf("libvirt %s, hypervisor %s at %s", l, h, p->uri);
		virConnectClose(conn);
	}
	g_mutex_lock(&p->lock);
	p->detail = detail;
	p->error = err;
	p->done = TRUE;
	g_cond_signal(&p->done_cond);
	g_mutex_unlock(&p->lock);
	probe_unref(p);
	return NULL;
}

gboolean mhp_backend_libvirt_probe(const char *uri, guint timeout_ms, char **ret_detail, GError **error)
{
	Probe *p = g_new0(Probe, 1);
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	gboolean ok;

	virSetErrorFunc(NULL, quiet);
	p->refs = 2;
	g_mutex_init(&p->lock);
	g_cond_init(&p->done_cond);
	p->uri = g_strdup(uri ? uri : mhp_backend_libvirt_default_uri());
	g_thread_unref(g_thread_new("libvirt-probe", probe_thread, p));
	g_mutex_lock(&p->lock);
	while (!p->done)
		if (!g_cond_wait_until(&p->done_cond, &p->lock, deadline))
			break;
	ok = p->done && p->detail;
	if (ok)
		*ret_detail = g_strdup(p->detail);
	else if (p->done)
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, p->error);
	else
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "'%s' did not answer in %u ms", p->uri, timeout_ms);
	g_mutex_unlock(&p->lock);
	probe_unref(p);
	return ok;
}
