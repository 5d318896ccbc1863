// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * events.c - the libvirt backend's events: domain lifecycle and device
 * events, raw QMP events and the connection's close, turned into the
 * engine's MhpHotplugEvent, event, log and exited callbacks.
 */
#include <gio/gio.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <string.h>

#include "libvirt-private.h"

/**
 * lv_emit_exited() - report that the domain is gone, once.
 * @b: the backend
 * @how: why, for the exited callback
 *
 * Closes the agent stream, drains and closes the console, and reports a
 * failed start first if the guest had not started.
 */
void lv_emit_exited(BackendLibvirt *b, const char *how)
{
	if (b->exited || b->disposed)
		return;
	b->exited = TRUE;
	mhp_backend_source_clear(&b->timer);
	if (b->agent)
		lv_stream_close(b->agent);
	if (b->console) {
		lv_console_drain(b->console);
		lv_stream_close(b->console);
	}
	if (!b->started) {
		b->started = TRUE;
		g_autoptr(GError) e = g_error_new(G_IO_ERROR, G_IO_ERROR_FAILED, "%s before the guest started", how);
		b->base.cb.started(&b->base, e, b->base.user_data);
	}
	b->base.cb.exited(&b->base, how, b->base.user_data);
}

static void log_event(BackendLibvirt *b, const char *source, const char *name, struct json_object *data,
		      long long seconds, unsigned int micros)
{
	struct json_object *m = json_object_new_object();

	json_object_object_add(m, "event", json_object_new_string(name));
	if (data)
		json_object_object_add(m, "data", json_object_get(data));
	if (seconds >= 0) {
		struct json_object *ts = json_object_new_object();
		json_object_object_add(ts, "seconds", json_object_new_int64(seconds));
		json_object_object_add(ts, "microseconds", json_object_new_int64(micros));
		json_object_object_add(m, "timestamp", ts);
	}
	b->base.cb.log(&b->base, source, m, b->base.user_data);
	json_object_put(m);
}

static const char *const stopped_detail[] = {
	[VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN] = "shut down",
	[VIR_DOMAIN_EVENT_STOPPED_DESTROYED] = "destroyed",
	[VIR_DOMAIN_EVENT_STOPPED_CRASHED] = "crashed",
	[VIR_DOMAIN_EVENT_STOPPED_MIGRATED] = "migrated",
	[VIR_DOMAIN_EVENT_STOPPED_SAVED] = "saved",
	[VIR_DOMAIN_EVENT_STOPPED_FAILED] = "failed (the emulator died)",
	[VIR_DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT] = "replaced by a snapshot",
};

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
	BackendLibvirt *b = opaque;
	struct json_object *d;

	if (b->disposed)
		return 0;
	d = json_object_new_object();
	json_object_object_add(d, "event", json_object_new_int(event));
	json_object_object_add(d, "detail", json_object_new_int(detail));
	log_event(b, "libvirt", "LIFECYCLE", d, -1, 0);
	json_object_put(d);
	if (event == VIR_DOMAIN_EVENT_STOPPED) {
		g_autofree char *how = g_strdup_printf("the domain '%s' stopped: %s", b->dom_name,
						       detail >= 0 && detail < (int)G_N_ELEMENTS(stopped_detail) &&
								       stopped_detail[detail]
							       ? stopped_detail[detail] : "unknown reason");
		lv_emit_exited(b, how);
	}
	return 0;
}

static void device_event(BackendLibvirt *b, const char *name, MhpHotplugEventType type, const char *alias)
{
	MhpHotplugEvent ev = { .type = type, .device = lv_engine_name(alias), .slot = -1, .source = -1, .status = -1 };
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "alias", json_object_new_string(alias ? alias : ""));
	log_event(b, "libvirt", name, d, -1, 0);
	json_object_put(d);
	if (ev.device)
		b->base.cb.hotplug(&b->base, &ev, b->base.user_data);
}

static int on_device_removed(virConnectPtr conn, virDomainPtr dom, const char *alias, void *opaque)
{
	BackendLibvirt *b = opaque;

	if (!b->disposed)
		device_event(b, "DEVICE_REMOVED", MHP_HOTPLUG_DELETED, alias);
	return 0;
}

static int on_device_removal_failed(virConnectPtr conn, virDomainPtr dom, const char *alias, void *opaque)
{
	BackendLibvirt *b = opaque;

	if (!b->disposed)
		device_event(b, "DEVICE_REMOVAL_FAILED", MHP_HOTPLUG_GUEST_ERROR, alias);
	return 0;
}

static int on_device_added(virConnectPtr conn, virDomainPtr dom, const char *alias, void *opaque)
{
	BackendLibvirt *b = opaque;
	struct json_object *d;

	if (b->disposed)
		return 0;
	d = json_object_new_object();
	json_object_object_add(d, "alias", json_object_new_string(alias ? alias : ""));
	log_event(b, "libvirt", "DEVICE_ADDED", d, -1, 0);
	json_object_put(d);
	return 0;
}

/* A raw QMP event, as QEMU sent it. Its text carries guest-chosen values:
 * it is parsed with a depth limit and type-checked. */
static void on_qmp_event(virConnectPtr conn, virDomainPtr dom, const char *event, long long seconds,
			 unsigned int micros, const char *details, void *opaque)
{
	BackendLibvirt *b = opaque;
	struct json_object *data = NULL;
	MhpHotplugEvent ev;

	if (b->disposed || !event)
		return;
	if (details) {
		struct json_tokener *tok = json_tokener_new_ex(QMP_EVENT_MAX_DEPTH);
		data = json_tokener_parse_ex(tok, details, (int)strlen(details));
		json_tokener_free(tok);
		if (data && !json_object_is_type(data, json_type_object))
			g_clear_pointer(&data, json_object_put);
	}
	log_event(b, "qmp-in", event, data, seconds, micros);
	if (strcmp(event, "ACPI_DEVICE_OST") == 0) {
		if (mhp_hotplug_event_from_ost(data, &ev)) {
			ev.device = lv_engine_name(ev.device);
			b->base.cb.hotplug(&b->base, &ev, b->base.user_data);
		}
	} else if (strcmp(event, "DEVICE_DELETED") != 0 && strcmp(event, "DEVICE_UNPLUG_GUEST_ERROR") != 0) {
		/* those two reach the engine as libvirt's DEVICE_REMOVED and
		 * DEVICE_REMOVAL_FAILED, once libvirt has acted on them */
		b->base.cb.event(&b->base, event, data, b->base.user_data);
	}
	json_object_put(data);
}

typedef struct {
	BackendLibvirt *b;
	int reason;
} Closed;

static gboolean conn_closed_main(gpointer data)
{
	Closed *c = data;
	static const char *const why[] = { "an error", "end of file", "a keepalive timeout", "the client" };
	g_autofree char *how = g_strdup_printf("the libvirt connection to '%s' closed (%s)", c->b->uri,
					       c->reason >= 0 && c->reason < (int)G_N_ELEMENTS(why) ? why[c->reason]
												 : "unknown");

	lv_emit_exited(c->b, how);
	return G_SOURCE_REMOVE;
}

static void closed_free(gpointer data)
{
	Closed *c = data;

	lv_unref(c->b);
	g_free(c);
}

/* libvirt calls this from whichever thread holds the connection (often a
 * worker in the middle of an RPC): hand it to the engine's context. */
static void on_conn_closed(virConnectPtr conn, int reason, void *opaque)
{
	Closed *c = g_new(Closed, 1);

	c->b = lv_ref(opaque);
	c->reason = reason;
	g_main_context_invoke_full(c->b->base.ctx, G_PRIORITY_DEFAULT, conn_closed_main, c, closed_free);
}

/**
 * lv_events_register() - register for @b's domain, QMP and close events.
 * @b: the backend, connected, its domain booted paused
 * @error: why libvirt refused
 *
 * Each registration holds a reference on @b; lv_events_deregister()
 * drops them.
 *
 * Return: TRUE, or FALSE with @error set.
 */
gboolean lv_events_register(BackendLibvirt *b, GError **error)
{
	static const struct {
		int id;
		virConnectDomainEventGenericCallback cb;
	} evs[] = {
		{ VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle) },
		{ VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, VIR_DOMAIN_EVENT_CALLBACK(on_device_removed) },
		{ VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED, VIR_DOMAIN_EVENT_CALLBACK(on_device_removal_failed) },
		{ VIR_DOMAIN_EVENT_ID_DEVICE_ADDED, VIR_DOMAIN_EVENT_CALLBACK(on_device_added) },
	};

	G_STATIC_ASSERT(G_N_ELEMENTS(evs) == G_N_ELEMENTS(b->cb_ids));
	for (guint i = 0; i < G_N_ELEMENTS(evs); i++) {
		b->cb_ids[i] = virConnectDomainEventRegisterAny(b->conn, b->dom, evs[i].id, evs[i].cb, lv_ref(b), lv_unref);
		if (b->cb_ids[i] < 0) {
			lv_unref(b);
			lv_set_virt_error(error, "cannot register for domain events");
			return FALSE;
		}
	}
	b->cb_qmp = virConnectDomainQemuMonitorEventRegister(b->conn, b->dom, NULL, on_qmp_event, lv_ref(b), lv_unref, 0);
	if (b->cb_qmp < 0) {
		lv_unref(b);
		lv_set_virt_error(error, "cannot register for QEMU monitor events");
		return FALSE;
	}
	if (virConnectRegisterCloseCallback(b->conn, on_conn_closed, lv_ref(b), lv_unref) == 0)
		b->close_cb = TRUE;
	else {
		lv_unref(b);
		virResetLastError(); /* local drivers have no close callback */
	}
	return TRUE;
}

/**
 * lv_events_deregister() - undo lv_events_register(), as far as it got.
 * @b: the backend, being freed
 */
void lv_events_deregister(BackendLibvirt *b)
{
	for (guint i = 0; i < G_N_ELEMENTS(b->cb_ids); i++)
		if (b->cb_ids[i] >= 0)
			virConnectDomainEventDeregisterAny(b->conn, b->cb_ids[i]);
	if (b->cb_qmp >= 0)
		virConnectDomainQemuMonitorEventDeregister(b->conn, b->cb_qmp);
	if (b->close_cb)
		virConnectUnregisterCloseCallback(b->conn, on_conn_closed);
}
