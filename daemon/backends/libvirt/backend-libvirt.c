// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * backend-libvirt.c - drive a libvirt domain, local or remote.
 *
 * DOC: Theory of Operation
 *
 * The same operations as backend-qemu.c, through libvirt's API:
 *
 * - start: connect to the URI, then boot the domain paused with
 *   VIR_DOMAIN_START_AUTODESTROY (libvirtd destroys it if our connection
 *   drops, so a killed mhpstress leaves no guest behind). The domain is
 *   either the user's (--domain NAME, which must be shut off) or a
 *   transient one built from the scenario's [guest] section. While it is
 *   paused we register for events and open the console and the agent's
 *   virtio-serial channel as streams (virDomainOpenConsole,
 *   virDomainOpenChannel: both work over remote connections), then resume.
 *   Nothing the guest prints is missed.
 * - plug: attach a <memory model='dimm'> with the user alias "ua-dimmN";
 *   libvirt sends object-add memua-dimmN and device_add ua-dimmN.
 * - unplug: virDomainDetachDeviceAlias, which only sends device_del.
 *   Completion is an event, never a return value: libvirt's
 *   DEVICE_REMOVED, or DEVICE_REMOVAL_FAILED when the guest refuses.
 * - The raw QMP events come through virConnectDomainQemuMonitorEventRegister,
 *   so the engine sees every ACPI_DEVICE_OST exactly as with QEMU, and can
 *   wait for the insert OST before a device_del.
 * - release: nothing to do; libvirt deletes the memory backend itself
 *   before it reports DEVICE_REMOVED.
 *
 * Every libvirt call that can block runs on a worker thread (GTask) and
 * reports back on the engine's context (work.c). libvirt's own events run
 * on the same context through virt-event.c. Strings the engine sees name
 * devices as it does ("dimmN"): the "ua-" prefix is added and stripped here.
 *
 * This file has the operations; start is boot.c, the events events.c, the
 * console and agent streams stream.c, the XML xml.c and owner.c.
 */
#include <gio/gio.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <string.h>
#include <unistd.h>

#include "backend-libvirt.h"
#include "libvirt-private.h"
#include "virt-event.h"

#define STOP_GRACE_MS 40000 /* a graceful destroy waits 10 s, then SIGKILL */

/* ---- hotplug --------------------------------------------------------- */

static gboolean attach_work(Work *w, GError **error)
{
	if (virDomainAttachDeviceFlags(w->dom, w->arg, VIR_DOMAIN_AFFECT_LIVE) < 0) {
		lv_set_virt_error(error, "attaching the DIMM");
		return FALSE;
	}
	return TRUE;
}

static gboolean refuse_backend_work(Work *w, GError **error)
{
	/* libvirt takes the memory backend from the domain's <memoryBacking> */
	g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
			    "the libvirt backend uses one memory backend per domain: a case's 'backend' must match "
			    "[dimm] backend");
	return FALSE;
}

static void lv_plug(MhpBackend *base, const MhpDimmSpec *d, MhpBackendDoneFunc cb, gpointer user_data)
{
	BackendLibvirt *b = (BackendLibvirt *)base;
	Work *w = lv_work_new(cb, user_data);

	if (d->backend != b->base.cfg.scenario->dimm.backend) {
		lv_work_run(b, refuse_backend_work, NULL, w);
		return;
	}
	w->arg = mhp_backend_libvirt_dimm_xml(d);
	lv_work_run(b, attach_work, NULL, w);
}

static gboolean detach_work(Work *w, GError **error)
{
	/* asynchronous: only sends device_del; the outcome is an event */
	if (virDomainDetachDeviceAlias(w->dom, w->arg, VIR_DOMAIN_AFFECT_LIVE) < 0) {
		lv_set_virt_error(error, "detaching '%s'", w->arg);
		return FALSE;
	}
	return TRUE;
}

static void lv_unplug(MhpBackend *base, const MhpDimmSpec *d, MhpBackendDoneFunc cb, gpointer user_data)
{
	Work *w = lv_work_new(cb, user_data);

	w->arg = g_strconcat(ALIAS_PREFIX, d->id, NULL);
	lv_work_run((BackendLibvirt *)base, detach_work, NULL, w);
}

static gboolean nothing_work(Work *w, GError **error)
{
	return TRUE;
}

static void lv_release(MhpBackend *base, const MhpDimmSpec *d, MhpBackendDoneFunc cb, gpointer user_data)
{
	/* libvirt removed memua-dimmN before it reported DEVICE_REMOVED */
	lv_work_run((BackendLibvirt *)base, nothing_work, NULL, lv_work_new(cb, user_data));
}

static gboolean monitor_work(Work *w, GError **error)
{
	if (virDomainQemuMonitorCommand(w->dom, w->arg, &w->reply, 0) < 0) {
		lv_set_virt_error(error, "QEMU monitor command %s", w->arg);
		return FALSE;
	}
	return TRUE;
}

static void devices_finish(Work *w, const GError *error)
{
	g_autoptr(GError) e = error ? g_error_copy(error) : NULL;
	g_autoptr(GArray) devs = NULL;

	if (!e) {
		struct json_tokener *tok = json_tokener_new_ex(QMP_EVENT_MAX_DEPTH);
		struct json_object *o = json_tokener_parse_ex(tok, w->reply, (int)strlen(w->reply)), *ret = NULL;

		json_tokener_free(tok);
		if (o && json_object_object_get_ex(o, "return", &ret) && json_object_is_type(ret, json_type_array)) {
			devs = mhp_memory_devices_from_qmp(ret);
			for (guint i = 0; i < devs->len; i++) {
				MhpMemoryDevice *m = &g_array_index(devs, MhpMemoryDevice, i);
				g_autofree char *id = g_strdup(lv_engine_name(m->id));
				g_strlcpy(m->id, id, sizeof(m->id));
			}
		} else {
			e = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
						"query-memory-devices: a reply without a return array");
		}
		json_object_put(o);
	}
	w->devices(&w->b->base, e ? NULL : devs, e, w->user_data);
}

static void lv_query_devices(MhpBackend *base, MhpBackendDevicesFunc cb, gpointer user_data)
{
	Work *w = lv_work_new(NULL, user_data);

	w->devices = cb;
	w->arg = g_strdup("{\"execute\":\"query-memory-devices\"}");
	lv_work_run((BackendLibvirt *)base, monitor_work, devices_finish, w);
}

/* ---- machine control ------------------------------------------------- */

static gboolean suspend_work(Work *w, GError **error)
{
	if (virDomainSuspend(w->dom) < 0) {
		lv_set_virt_error(error, "cannot pause the domain");
		return FALSE;
	}
	return TRUE;
}

static void lv_pause(MhpBackend *base, MhpBackendDoneFunc cb, gpointer user_data)
{
	lv_work_run((BackendLibvirt *)base, suspend_work, NULL, lv_work_new(cb, user_data));
}

static void lv_resume(MhpBackend *base, MhpBackendDoneFunc cb, gpointer user_data)
{
	lv_work_run((BackendLibvirt *)base, lv_resume_work, NULL, lv_work_new(cb, user_data));
}

static gboolean dump_work(Work *w, GError **error)
{
	/* memory only: QEMU's dump-guest-memory, an ELF core crash reads */
	if (virDomainCoreDumpWithFormat(w->dom, w->arg, VIR_DOMAIN_CORE_DUMP_FORMAT_RAW,
					VIR_DUMP_MEMORY_ONLY) < 0) {
		lv_set_virt_error(error, "cannot dump the guest's memory to '%s'", w->arg);
		return FALSE;
	}
	return TRUE;
}

static void lv_dump_memory(MhpBackend *base, const char *path, MhpBackendDoneFunc cb, gpointer user_data)
{
	Work *w = lv_work_new(cb, user_data);

	w->arg = g_strdup(path);
	lv_work_run((BackendLibvirt *)base, dump_work, NULL, w);
}

static gboolean destroy_work(Work *w, GError **error)
{
	/* SIGTERM first, then SIGKILL: libvirt waits for each */
	if (virDomainDestroyFlags(w->dom, VIR_DOMAIN_DESTROY_GRACEFUL) == 0 || virDomainDestroy(w->dom) == 0)
		return TRUE;
	lv_set_virt_error(error, "cannot destroy the domain");
	return FALSE;
}

static gboolean on_stop_deadline(gpointer data)
{
	BackendLibvirt *b = data;

	g_source_unref(b->timer);
	b->timer = NULL;
	/* no STOPPED event in time: the connection is gone or libvirt is stuck */
	lv_emit_exited(b, "the domain did not report stopping within the deadline");
	return G_SOURCE_REMOVE;
}

static void stop_finish(Work *w, const GError *error)
{
	/* the STOPPED event reports the exit; the deadline covers its absence */
}

static void lv_stop(MhpBackend *base)
{
	BackendLibvirt *b = (BackendLibvirt *)base;

	if (b->exited || b->stopping || !b->dom)
		return;
	b->stopping = TRUE;
	b->timer = g_timeout_source_new(STOP_GRACE_MS);
	g_source_set_callback(b->timer, on_stop_deadline, b, NULL);
	g_source_attach(b->timer, b->base.ctx);
	lv_work_run(b, destroy_work, stop_finish, lv_work_new(NULL, NULL));
}

static gboolean lv_is_running(MhpBackend *base)
{
	BackendLibvirt *b = (BackendLibvirt *)base;

	return b->dom && !b->exited;
}

static void lv_free(MhpBackend *base)
{
	BackendLibvirt *b = (BackendLibvirt *)base;

	b->disposed = TRUE;
	mhp_backend_source_clear(&b->timer);
	lv_stream_free(b->agent);
	lv_stream_free(b->console);
	b->agent = b->console = NULL;
	if (b->console_log >= 0)
		close(b->console_log);
	if (b->dom && !b->exited) {
		/* like the QEMU backend's SIGKILL: a guest never outlives its run */
		if (virDomainDestroy(b->dom) < 0)
			virResetLastError();
	}
	lv_events_deregister(b);
	if (b->dom)
		virDomainFree(b->dom);
	if (b->conn)
		virConnectClose(b->conn);
	lv_unref(b);
}

static const MhpBackendOps libvirt_ops = {
	.name = "libvirt",
	.start = lv_start,
	.plug = lv_plug,
	.unplug = lv_unplug,
	.release = lv_release,
	.query_devices = lv_query_devices,
	.pause = lv_pause,
	.resume = lv_resume,
	.dump_memory = lv_dump_memory,
	.stop = lv_stop,
	.is_running = lv_is_running,
	.free = lv_free,
};

const char *mhp_backend_libvirt_default_uri(void)
{
	const char *env = g_getenv("LIBVIRT_DEFAULT_URI");

	return env && *env ? env : "qemu:///system";
}

MhpBackend *mhp_backend_libvirt_new(GMainContext *ctx, const MhpBackendConfig *cfg, MhpAgentLink *agent,
				    const MhpBackendCallbacks *cb, gpointer user_data)
{
	BackendLibvirt *b = g_new0(BackendLibvirt, 1);

	b->refs = 1;
	mhp_backend_init(&b->base, &libvirt_ops, ctx, cfg, agent, cb, user_data);
	mhp_virt_event_register(b->base.ctx);
	if (!b->base.cfg.connect)
		b->base.cfg.connect = g_strdup(mhp_backend_libvirt_default_uri());
	b->uri = b->base.cfg.connect;
	b->console_log = -1;
	for (guint i = 0; i < G_N_ELEMENTS(b->cb_ids); i++)
		b->cb_ids[i] = -1;
	b->cb_qmp = -1;
	return &b->base;
}

