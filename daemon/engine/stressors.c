// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stressors.c - the scenario's stressors: started in the guest after the
 * baseline ('always') or around each removal ('remove'), through the agent.
 */
#include "engine-private.h"

static void on_stressor_reply(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	MhpEngine *e = ctx_take(user_data, NULL);

	if (e && error) {
		struct json_object *f = json_object_new_object();
		json_object_object_add(f, "error", json_object_new_string(error->message));
		engine_event(e, "stressor-error", f);
	}
}

/* Requests are served in order: a start lands before the next step's request. */
void stressors_phase(MhpEngine *e, MhpStressorPhase phase, gboolean start)
{
	for (guint i = 0; i < e->s->stressors->len; i++) {
		MhpStressor *t = g_ptr_array_index(e->s->stressors, i);
		struct json_object *a = json_object_new_object();

		if (t->phase != phase) {
			json_object_put(a);
			continue;
		}
		json_object_object_add(a, "name", json_object_new_string(t->name));
		if (start) {
			json_object_object_add(a, "kind", json_object_new_string(mhp_stressor_kind_name(t->kind)));
			if (t->cpu >= 0)
				json_object_object_add(a, "cpu", json_object_new_int(t->cpu));
			json_object_object_add(a, "rate_hz", json_object_new_int((int)t->rate));
			json_object_object_add(a, "bytes", json_object_new_int64((int64_t)t->bytes));
			json_object_object_add(a, "threads", json_object_new_int((int)t->threads));
			json_object_object_add(a, "mask", json_object_new_int((int)t->mask));
			json_object_object_add(a, "repeat", json_object_new_int((int)t->repeat));
			if (t->kind == MHP_STRESSOR_VMALLOC_MODULE) {
				json_object_object_add(a, "loops", json_object_new_int((int)t->loops));
				json_object_object_add(a, "pages", json_object_new_int((int)t->pages));
				json_object_object_add(a, "huge", json_object_new_boolean(t->huge));
			}
			if (t->kind == MHP_STRESSOR_PTDUMP) {
				json_object_object_add(a, "readers", json_object_new_int((int)t->readers));
				json_object_object_add(a, "efi", json_object_new_boolean(t->efi));
			}
			if (t->argv) {
				struct json_object *argv = json_object_new_array();
				for (guint k = 0; t->argv[k]; k++)
					json_object_array_add(argv, json_object_new_string(t->argv[k]));
				json_object_object_add(a, "argv", argv);
			}
		}
		mhp_agent_link_call(e->agent, start ? "stressor-start" : "stressor-stop", a, (guint)e->s->timeouts.agent_ms,
				    on_stressor_reply, ctx_new(e, NULL));
	}
}
