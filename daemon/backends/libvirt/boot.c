// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * boot.c - start a libvirt domain: connect, boot it paused (the user's or
 * a transient one, destroying our own orphan that holds the name), read
 * its identity, open its console and agent streams, register for its
 * events, then resume it.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend-libvirt.h"
#include "libvirt-private.h"

typedef struct {
	virStreamPtr console;
	virStreamPtr agent;
	char *name;
	char *identity;
} StartResult;

static void start_result_free(StartResult *r)
{
	for (virStreamPtr *st = (virStreamPtr[]){ r->console, r->agent, NULL }; *st; st++) {
		if (virStreamAbort(*st) < 0)
			virResetLastError();
		virStreamFree(*st);
	}
	g_free(r->name);
	g_free(r->identity);
	g_free(r);
}

static gboolean is_embedded(const char *uri)
{
	g_autoptr(GUri) u = g_uri_parse(uri, G_URI_FLAGS_NONE, NULL);

	return u && g_strcmp0(g_uri_get_path(u), "/embed") == 0;
}

/* qemu:///embed?root=DIR runs QEMU in this process's driver; it reads
 * DIR/etc/qemu.conf, which needs the same settings as the system one. */
static gboolean embed_prepare(const char *uri, GError **error)
{
	g_autoptr(GUri) u = g_uri_parse(uri, G_URI_FLAGS_NONE, NULL);
	g_autoptr(GHashTable) params = NULL;
	const char *root;
	g_autofree char *etc = NULL, *conf = NULL;

	if (!u || g_strcmp0(g_uri_get_path(u), "/embed") != 0 || !g_uri_get_query(u))
		return TRUE;
	params = g_uri_parse_params(g_uri_get_query(u), -1, "&", G_URI_PARAMS_NONE, NULL);
	root = params ? g_hash_table_lookup(params, "root") : NULL;
	if (!root)
		return TRUE;
	etc = g_build_filename(root, "etc", NULL);
	conf = g_build_filename(etc, "qemu.conf", NULL);
	if (g_file_test(conf, G_FILE_TEST_EXISTS))
		return TRUE;
	if (g_mkdir_with_parents(etc, 0700) < 0 ||
	    !g_file_set_contents(conf, "# written by mhpstress for an embedded libvirt driver\n"
				       "user = \"root\"\ngroup = \"root\"\nstdio_handler = \"file\"\n", -1, error)) {
		if (error && !*error)
			g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot create '%s': %s", etc,
				    g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

static gboolean start_work(Work *w, GError **error)
{
	BackendLibvirt *b = w->b;
	StartResult *r = g_new0(StartResult, 1);
	g_autofree char *xml = NULL;
	char *reply = NULL;
	unsigned long lib = 0;
	unsigned int flags = VIR_DOMAIN_START_PAUSED | VIR_DOMAIN_START_AUTODESTROY;

	w->user_data = r;
	if (!embed_prepare(b->uri, error))
		return FALSE;
	/* the embedded driver has no autodestroy: there, free() destroys the domain */
	if (is_embedded(b->uri))
		flags &= ~VIR_DOMAIN_START_AUTODESTROY;
	w->conn = virConnectOpenAuth(b->uri, virConnectAuthPtrDefault, 0);
	if (!w->conn) {
		lv_set_virt_error(error, "cannot connect to '%s'", b->uri);
		return FALSE;
	}
	if (b->base.cfg.domain) {
		w->dom = virDomainLookupByName(w->conn, b->base.cfg.domain);
		if (w->dom && virDomainIsActive(w->dom) == 1 && lv_domain_is_orphan(w->dom) && virDomainDestroy(w->dom) == 0)
			g_clear_pointer(&w->dom, virDomainFree); /* our own leftover, transient: gone now */
		virResetLastError();
		if (w->dom && virDomainIsActive(w->dom) == 1) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
				    "the domain '%s' on '%s' is running; shut it off first: mhpstress boots it paused, "
				    "so that the console and the agent see everything",
				    b->base.cfg.domain, b->uri);
			g_clear_pointer(&w->dom, virDomainFree); /* not ours: never stop it */
			return FALSE;
		}
		if (w->dom && virDomainCreateWithFlags(w->dom, flags) < 0) {
			lv_set_virt_error(error, "cannot start the domain '%s'", b->base.cfg.domain);
			g_clear_pointer(&w->dom, virDomainFree);
			return FALSE;
		}
		r->name = g_strdup(b->base.cfg.domain);
	}
	if (!w->dom) {
		/* a transient domain, named after the scenario unless a free --domain name was given */
		for (int i = 1; !w->dom && i < 100; i++) {
			virDomainPtr other;

			g_free(r->name);
			r->name = b->base.cfg.domain ? g_strdup(b->base.cfg.domain)
				  : i == 1       ? g_strdup_printf("mhpstress-%s", b->base.cfg.scenario->name)
						 : g_strdup_printf("mhpstress-%s-%d", b->base.cfg.scenario->name, i);
			other = virDomainLookupByName(w->conn, r->name);
			if (other && lv_domain_is_orphan(other) && virDomainDestroy(other) == 0) {
				/* transient: destroying it undefines it; the name is free */
				g_clear_pointer(&other, virDomainFree);
			}
			virResetLastError();
			if (other) {
				virDomainFree(other);
				if (b->base.cfg.domain)
					break;
				continue;
			}
			g_free(xml);
			xml = mhp_backend_libvirt_domain_xml(&b->base.cfg, r->name, error);
			if (!xml)
				return FALSE;
			w->dom = virDomainCreateXML(w->conn, xml, flags);
			if (!w->dom) {
				virErrorPtr ve = virGetLastError();
				/* another run took the name between lookup and create */
				if (!b->base.cfg.domain && ve && (ve->code == VIR_ERR_DOM_EXIST ||
							     (ve->message && strstr(ve->message, "already exists"))))
					continue;
				lv_set_virt_error(error, "cannot create the domain '%s' on '%s'", r->name, b->uri);
				return FALSE;
			}
		}
		if (!w->dom) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS, "no free domain name for '%s' on '%s'",
				    r->name, b->uri);
			return FALSE;
		}
	}
	/* from here on the domain exists: the finish callback destroys it on failure */
	if (virConnectSetKeepAlive(w->conn, 5, 6) < 0)
		virResetLastError(); /* local drivers have no keepalive */
	virConnectGetLibVersion(w->conn, &lib);
	if (virDomainQemuMonitorCommand(w->dom, "{\"execute\":\"query-version\"}", &reply, 0) == 0) {
		struct json_object *o = json_tokener_parse(reply), *ret, *q, *v;
		int ma = 0, mi = 0, mc = 0;

		if (o && json_object_object_get_ex(o, "return", &ret) && json_object_object_get_ex(ret, "qemu", &q)) {
			if (json_object_object_get_ex(q, "major", &v))
				ma = json_object_get_int(v);
			if (json_object_object_get_ex(q, "minor", &v))
				mi = json_object_get_int(v);
			if (json_object_object_get_ex(q, "micro", &v))
				mc = json_object_get_int(v);
		}
		json_object_put(o);
		free(reply);
		r->identity = g_strdup_printf("QEMU %d.%d.%d via libvirt %lu.%lu.%lu (%s, domain %s)", ma, mi, mc,
					      lib / 1000000, lib / 1000 % 1000, lib % 1000, b->uri, r->name);
	} else {
		virResetLastError();
		r->identity = g_strdup_printf("libvirt %lu.%lu.%lu (%s, domain %s)", lib / 1000000, lib / 1000 % 1000,
					      lib % 1000, b->uri, r->name);
	}
	r->console = virStreamNew(w->conn, VIR_STREAM_NONBLOCK);
	if (!r->console || virDomainOpenConsole(w->dom, NULL, r->console, VIR_DOMAIN_CONSOLE_FORCE) < 0) {
		lv_set_virt_error(error, "cannot open the console of '%s'", r->name);
		return FALSE;
	}
	r->agent = virStreamNew(w->conn, VIR_STREAM_NONBLOCK);
	if (!r->agent || virDomainOpenChannel(w->dom, AGENT_CHANNEL, r->agent, VIR_DOMAIN_CHANNEL_FORCE) < 0) {
		lv_set_virt_error(error, "cannot open the channel '" AGENT_CHANNEL "' of '%s' (the domain needs a "
				      "virtio-serial channel of that name for mhpstress-agent)",
			       r->name);
		return FALSE;
	}
	return TRUE;
}

/**
 * lv_resume_work() - resume the domain (a WorkFunc).
 * @w: the work item, with its domain
 * @error: why libvirt refused
 *
 * Return: TRUE, or FALSE with @error set.
 */
gboolean lv_resume_work(Work *w, GError **error)
{
	if (virDomainResume(w->dom) < 0) {
		lv_set_virt_error(error, "cannot resume the domain");
		return FALSE;
	}
	return TRUE;
}

static void resume_finish(Work *w, const GError *error)
{
	BackendLibvirt *b = w->b;
	g_autoptr(GError) e = error ? g_error_copy(error) : NULL;

	if (b->started)
		return;
	b->started = TRUE;
	b->base.cb.started(&b->base, e, b->base.user_data);
}

static gboolean attach_streams(BackendLibvirt *b, StartResult *r, GError **error)
{
	g_autofree char *log = g_build_filename(b->base.cfg.results_dir, "console.log", NULL);
	int sv[2];

	b->console_log = open(log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644); /* not through a symlink */
	if (b->console_log < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot open '%s': %s", log,
			    g_strerror(errno));
		return FALSE;
	}
	b->console = lv_stream_new(b, g_steal_pointer(&r->console), "console", -1);
	if (!lv_stream_start(b->console, error))
		return FALSE;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "socketpair: %s", g_strerror(errno));
		return FALSE;
	}
	b->agent = lv_stream_new(b, g_steal_pointer(&r->agent), "agent channel", sv[1]);
	if (!mhp_agent_link_adopt(b->base.agent, sv[0], error))
		return FALSE;
	return lv_stream_start(b->agent, error);
}

static void start_finish(Work *w, const GError *error)
{
	BackendLibvirt *b = w->b;
	StartResult *r = w->user_data;
	g_autoptr(GError) e = error ? g_error_copy(error) : NULL;

	lv_hold(&b->conn, &b->dom, w->conn, w->dom);
	b->dom_name = g_steal_pointer(&r->name);
	g_free(b->base.identity);
	b->base.identity = g_steal_pointer(&r->identity);
	if (!e && lv_events_register(b, &e) && attach_streams(b, r, &e)) {
		lv_work_run(b, lv_resume_work, resume_finish, lv_work_new(NULL, NULL));
	} else {
		b->started = TRUE;
		b->base.cb.started(&b->base, e, b->base.user_data);
		/* the engine stops us, or frees us, which destroys the domain */
	}
	start_result_free(r);
	w->user_data = NULL;
}

/* Freed while starting: the streams hold the connection open, so without
 * this autodestroy would never fire; the domain is ours to destroy. */
static void start_abandon(Work *w)
{
	if (w->user_data)
		start_result_free(w->user_data);
	w->user_data = NULL;
	if (w->dom && virDomainDestroy(w->dom) < 0)
		virResetLastError();
}

/**
 * lv_start() - the start operation: connect and boot on a worker thread.
 * @base: the backend
 *
 * The started callback reports the outcome.
 */
void lv_start(MhpBackend *base)
{
	Work *w = lv_work_new(NULL, NULL);

	w->abandon = start_abandon;
	lv_work_run((BackendLibvirt *)base, start_work, start_finish, w);
}
