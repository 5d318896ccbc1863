// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * boot.c - a guest for the run: start the backend, wait for the agent's
 * hello (retried until [guest] boot-timeout), check block and page size,
 * write run.json, take the baseline snapshot and start the 'always'
 * stressors; then the engine is running.
 */
#include <string.h>

#define HELLO_RETRY_MS 2000

#include "engine-private.h"
#include "jsonget.h"

void boot_failed(MhpEngine *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_free(e->fatal_msg);
	e->fatal_msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	e->fatal = TRUE;
	e->seq++;
	schedule_step(e);
}

static void on_baseline(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	MhpEngine *e = ctx_take(user_data, NULL);
	g_autoptr(GError) bad = NULL;

	if (!e)
		return;
	if (error) {
		boot_failed(e, "baseline snapshot: %s", error->message);
		return;
	}
	if (!mhp_acct_snapshot_check(ok, &bad)) {
		boot_failed(e, "baseline snapshot: %s", bad->message);
		return;
	}
	if (!memtotal_kb(ok)) {
		boot_failed(e, "baseline snapshot has no MemTotal");
		return;
	}
	json_object_put(e->baseline);
	e->baseline = json_object_get(ok);
	remember_snapshot(e, ok);
	save_snapshot(e, "baseline", ok);
	stressors_phase(e, MHP_STRESSOR_ALWAYS, TRUE);
	e->state = MHP_ENGINE_RUNNING;
	e->booted = TRUE;
	engine_event(e, "running", NULL);
	schedule_step(e);
}

static void write_run_json(MhpEngine *e)
{
	struct json_object *o = json_object_new_object();
	g_autoptr(GError) err = NULL;
	g_autofree char *host = g_strdup(g_get_host_name());

	json_object_object_add(o, "tool", json_object_new_string("mhpstress " MHP_VERSION));
	json_object_object_add(o, "backend", json_object_new_string(e->backend->ops->name));
	json_object_object_add(o, "vmm", json_object_new_string(e->backend->identity ? e->backend->identity : ""));
	if (e->opts.connect)
		json_object_object_add(o, "connect", json_object_new_string(e->opts.connect));
	if (e->opts.domain)
		json_object_object_add(o, "domain", json_object_new_string(e->opts.domain));
	json_object_object_add(o, "host", json_object_new_string(host));
	json_object_object_add(o, "seed", mhp_json_new_seed(e->seed));
	json_object_object_add(o, "kernel_image", json_object_new_string(e->opts.kernel));
	json_object_object_add(o, "initrd", json_object_new_string(e->opts.initrd));
	json_object_object_add(o, "cycles", json_object_new_int64((int64_t)e->cycles_planned));
	json_object_object_add(o, "duration_ms", json_object_new_int64((int64_t)e->duration_ms));
	json_object_object_add(o, "started", json_object_new_int64(g_get_real_time() / 1000000));
	json_object_object_add(o, "guest", json_object_get(e->hello));
	json_object_object_add(o, "scenario", mhp_scenario_to_json(e->s));
	mhp_results_write_json(e->results, MHP_RESULTS_RUN, o, &err);
	json_object_put(o);
}

static void send_hello(MhpEngine *e);

static void on_hello(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	MhpEngine *e = ctx_take(user_data, NULL);
	g_autoptr(GError) err = NULL;
	MhpHello h;

	if (!e)
		return;
	if (error) {
		if (engine_now(e) < e->boot_deadline && e->backend->ops->is_running(e->backend)) {
			send_hello(e);
			return;
		}
		boot_failed(e, "the guest agent did not answer within %" G_GUINT64_FORMAT " s: %s",
			    e->s->guest.boot_timeout_ms / 1000, error->message);
		return;
	}
	if (!mhp_reply_hello(ok, &h, &err)) {
		boot_failed(e, "%s", err->message);
		return;
	}
	json_object_put(e->hello);
	e->hello = json_object_get(ok);
	e->block_size = h.block_size;
	e->page_size = h.page_size;
	if (!mhp_scenario_check_guest(e->s, e->block_size, &err)) {
		boot_failed(e, "%s", err->message);
		return;
	}
	write_run_json(e);
	e->phase = MHP_PHASE_BASELINE;
	emit_progress(e);
	mhp_agent_link_call(e->agent, "snapshot", snapshot_args_full(e, TRUE), (guint)e->s->timeouts.agent_ms,
			    on_baseline, ctx_new(e, NULL));
}

static void send_hello(MhpEngine *e)
{
	mhp_agent_link_call(e->agent, "hello", NULL, HELLO_RETRY_MS, on_hello, ctx_new(e, NULL));
}

static void backend_started(MhpBackend *b, const GError *error, gpointer user_data)
{
	MhpEngine *e = user_data;

	if (error) {
		/* QEMU or libvirt could not start the VM: that is the host's
		 * environment (a URI, a running domain), the same on every commit */
		e->vm_start_failed = TRUE;
		boot_failed(e, "%s", error->message);
		return;
	}
	e->phase = MHP_PHASE_HELLO;
	emit_progress(e);
	e->boot_deadline = engine_now(e) + (gint64)e->s->guest.boot_timeout_ms * 1000;
	send_hello(e);
}

void boot(MhpEngine *e)
{
	MhpBackendCallbacks cb = engine_backend_events; /* events.c */
	MhpBackendConfig cfg = {
		.scenario = e->s,
		.kernel = e->opts.kernel,
		.initrd = e->opts.initrd,
		.results_dir = mhp_results_dir(e->results),
		.gdb = e->opts.gdb,
		.connect = e->opts.connect,
		.domain = e->opts.domain,
	};

	cb.started = backend_started;
	mhp_backend_free(e->backend);
	e->backend = NULL;
	/* the old guest's agent socket is gone with it */
	mhp_agent_link_disconnect(e->agent);
	g_clear_pointer(&e->hello, json_object_put);
	g_clear_pointer(&e->baseline, json_object_put);
	e->measuring = FALSE;
	e->rebaseline = FALSE;
	e->guest_gone = FALSE;
	e->kmsg_seq = -1; /* a new kernel numbers its log from 0 again */
	e->console_last_us = engine_now(e);
	/* trends are over one boot: a restarted guest starts a new series */
	mhp_trends_free(e->trends);
	e->trends = mhp_trends_new();
	mhp_trends_set_context_only(e->trends, e->bands.stressed);
	e->state = MHP_ENGINE_BOOTING;
	e->phase = MHP_PHASE_START;
	for (guint i = 0; i < e->s->guest.slots; i++) {
		dimm_reset(&e->slots[i]);
		e->slots[i].state = DIMM_FREE;
		e->slots[i].eject_pending = FALSE;
	}
	e->backend = mhp_backend_new(e->opts.backend, e->ctx, &cfg, e->agent, &cb, e);
	emit_progress(e);
	e->backend->ops->start(e->backend);
}
