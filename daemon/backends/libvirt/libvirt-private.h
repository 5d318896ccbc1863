/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt-private.h - the libvirt backend's object, shared by the files of
 * libvirt/ only: backend-libvirt.c (the ops), boot.c (start), events.c,
 * stream.c, work.c (references and worker threads), xml.c and owner.c.
 * Nothing outside libvirt/ includes it; the rest of mhpstress sees an
 * MhpBackend and backend-libvirt.h.
 *
 * Calls run one way: backend-libvirt.c -> boot.c -> events.c -> stream.c
 * -> work.c, and boot.c, events.c -> xml.c -> owner.c; no file calls back
 * into one that calls it (nm on the objects shows no pair).
 */
#ifndef MHP_LIBVIRT_PRIVATE_H
#define MHP_LIBVIRT_PRIVATE_H

#include <libvirt/libvirt.h>

#include "backend.h"

#define ALIAS_PREFIX "ua-"
#define AGENT_CHANNEL "org.mhpstress.agent.0"
#define QMP_EVENT_MAX_DEPTH 16
/* Transient domains carry who made them, so an orphan can be recognized:
 * one whose mhpstress died while libvirtd was down (autodestroy lost). */
#define OWNER_NS "https://mhpstress.org/xmlns/owner/1"

typedef struct BackendLibvirt BackendLibvirt;
/* a libvirt stream pumped to the console or to a socketpair (stream.c) */
typedef struct Stream Stream;

struct BackendLibvirt {
	MhpBackend base;
	gint refs;
	gboolean disposed;
	const char *uri; /* base.cfg.connect, with its default */
	virConnectPtr conn;
	virDomainPtr dom;
	char *dom_name;
	int cb_ids[4];   /* lifecycle, removed, removal-failed, added; -1: none */
	int cb_qmp;
	gboolean close_cb;
	Stream *console;
	Stream *agent;
	int console_log;
	GSource *timer;  /* the stop deadline */
	gboolean started;
	gboolean exited;
	gboolean stopping;
};

/* work.c: references, errors, and a blocking call on a worker thread */
typedef struct Work Work;
typedef gboolean (*WorkFunc)(Work *w, GError **error);

struct Work {
	BackendLibvirt *b;
	virConnectPtr conn; /* our own references: dispose may drop the backend's */
	virDomainPtr dom;
	WorkFunc fn;
	void (*finish)(Work *w, const GError *error);
	void (*abandon)(Work *w); /* the backend was freed first: release what fn made */
	MhpBackendDoneFunc done;
	MhpBackendDevicesFunc devices;
	gpointer user_data;
	char *arg;
	char *reply;
};

BackendLibvirt *lv_ref(BackendLibvirt *b);
void lv_unref(gpointer data);
void lv_set_virt_error(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void lv_hold(virConnectPtr *ret_conn, virDomainPtr *ret_dom, virConnectPtr conn, virDomainPtr dom);
Work *lv_work_new(MhpBackendDoneFunc done, gpointer user_data);
void lv_work_run(BackendLibvirt *b, WorkFunc fn, void (*finish)(Work *, const GError *), Work *w);

/* xml.c, owner.c */
const char *lv_engine_name(const char *alias);
gboolean lv_domain_is_orphan(virDomainPtr d);

/* stream.c */
Stream *lv_stream_new(BackendLibvirt *b, virStreamPtr st, const char *what, int fd);
gboolean lv_stream_start(Stream *s, GError **error);
void lv_stream_close(Stream *s);
void lv_stream_free(Stream *s);
void lv_console_drain(Stream *s);

/* events.c */
gboolean lv_events_register(BackendLibvirt *b, GError **error);
void lv_events_deregister(BackendLibvirt *b);
void lv_emit_exited(BackendLibvirt *b, const char *how);

/* boot.c */
void lv_start(MhpBackend *base);
gboolean lv_resume_work(Work *w, GError **error);

#endif
