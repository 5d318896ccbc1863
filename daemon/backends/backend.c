// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * backend.c - what the QEMU and libvirt backends share: the base object,
 * console lines, and reading QEMU's memory-device replies and OST events.
 */
#include <stdlib.h>

#include "backend.h"

#define CONSOLE_MAX_LINE 4096

/**
 * mhp_backend_init() - set up the part every backend shares.
 * @b: the backend's base
 * @ops: its operations
 * @ctx: the context its sources run on (NULL: the thread default)
 * @cfg: the guest; copied, strings and all (the scenario is borrowed)
 * @agent: the agent link
 * @cb: what it reports; copied
 * @user_data: for @cb
 */
void mhp_backend_init(MhpBackend *b, const MhpBackendOps *ops, GMainContext *ctx, const MhpBackendConfig *cfg,
		      MhpAgentLink *agent, const MhpBackendCallbacks *cb, gpointer user_data)
{
	b->ops = ops;
	b->ctx = ctx ? g_main_context_ref(ctx) : g_main_context_ref_thread_default();
	b->cfg = (MhpBackendConfig){
		.scenario = cfg->scenario,
		.kernel = g_strdup(cfg->kernel),
		.initrd = g_strdup(cfg->initrd),
		.results_dir = g_strdup(cfg->results_dir),
		.gdb = g_strdup(cfg->gdb),
		.connect = g_strdup(cfg->connect),
		.domain = g_strdup(cfg->domain),
	};
	b->cb = *cb;
	b->user_data = user_data;
	b->agent = agent;
	b->console_line = g_string_new(NULL);
}

/**
 * mhp_backend_clear() - free what mhp_backend_init() set up.
 * @b: the backend's base
 */
void mhp_backend_clear(MhpBackend *b)
{
	g_free((char *)b->cfg.kernel);
	g_free((char *)b->cfg.initrd);
	g_free((char *)b->cfg.results_dir);
	g_free((char *)b->cfg.gdb);
	g_free((char *)b->cfg.connect);
	g_free((char *)b->cfg.domain);
	g_string_free(b->console_line, TRUE);
	g_free(b->identity);
	g_main_context_unref(b->ctx);
}

/**
 * mhp_backend_source_clear() - destroy a backend's source and forget it.
 * @src: the source, or a pointer to NULL
 */
void mhp_backend_source_clear(GSource **src)
{
	if (!*src)
		return;
	g_source_destroy(*src);
	g_source_unref(*src);
	*src = NULL;
}

void mhp_backend_console_flush(MhpBackend *b)
{
	if (!b->console_line->len)
		return;
	b->cb.console_line(b, b->console_line->str, b->user_data);
	g_string_truncate(b->console_line, 0);
}

void mhp_backend_console_feed(MhpBackend *b, const char *buf, gsize n)
{
	for (gsize i = 0; i < n; i++) {
		char c = buf[i];

		if (c == '\n') {
			mhp_backend_console_flush(b);
		} else if (c != '\r') {
			/* the guest is untrusted: cap lines, keep printable bytes */
			if (b->console_line->len >= CONSOLE_MAX_LINE)
				mhp_backend_console_flush(b);
			g_string_append_c(b->console_line, (c >= 0x20 || c == '\t') ? c : '?');
		}
	}
}

GArray *mhp_memory_devices_from_qmp(struct json_object *ret)
{
	GArray *devs = g_array_new(FALSE, TRUE, sizeof(MhpMemoryDevice));

	for (size_t i = 0; json_object_is_type(ret, json_type_array) && i < json_object_array_length(ret); i++) {
		struct json_object *e = json_object_array_get_idx(ret, i), *data, *v;
		MhpMemoryDevice d = { .slot = -1 };

		if (!json_object_object_get_ex(e, "data", &data) || !json_object_is_type(data, json_type_object))
			continue;
		if (json_object_object_get_ex(data, "id", &v) && json_object_is_type(v, json_type_string))
			g_strlcpy(d.id, json_object_get_string(v), sizeof(d.id));
		if (json_object_object_get_ex(data, "addr", &v))
			d.addr = (guint64)json_object_get_uint64(v);
		if (json_object_object_get_ex(data, "size", &v))
			d.size = (guint64)json_object_get_uint64(v);
		if (json_object_object_get_ex(data, "slot", &v))
			d.slot = json_object_get_int(v);
		g_array_append_val(devs, d);
	}
	return devs;
}

gboolean mhp_hotplug_event_from_ost(struct json_object *data, MhpHotplugEvent *ret)
{
	struct json_object *info, *v;

	*ret = (MhpHotplugEvent){ .type = MHP_HOTPLUG_OST, .slot = -1, .source = -1, .status = -1 };
	if (!data || !json_object_object_get_ex(data, "info", &info) || !json_object_is_type(info, json_type_object))
		return FALSE;
	if (json_object_object_get_ex(info, "device", &v) && json_object_is_type(v, json_type_string))
		ret->device = json_object_get_string(v);
	if (json_object_object_get_ex(info, "slot", &v) && json_object_is_type(v, json_type_string))
		ret->slot = atoi(json_object_get_string(v));
	if (json_object_object_get_ex(info, "source", &v) && json_object_is_type(v, json_type_int))
		ret->source = json_object_get_int(v);
	if (json_object_object_get_ex(info, "status", &v) && json_object_is_type(v, json_type_int))
		ret->status = json_object_get_int(v);
	return TRUE;
}
