// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cycle.c - the hotplug cycle engine.
 *
 * DOC: Theory of Operation
 *
 * The engine drives one guest through a scenario. It is a state machine on
 * a GMainContext: every step issues one asynchronous operation (a QMP
 * command through the backend, or an agent request) and continues from its
 * callback; every wait for an event (ACPI_DEVICE_OST, DEVICE_DELETED, blocks
 * appearing) is a deadline on that event, never a sleep.
 *
 * A cycle is one DIMM's life. Plugging it:
 *   add (object-add, device_add) -> ost (insert ACPI_DEVICE_OST, source 1)
 *   -> query (query-memory-devices: address) -> blocks (agent wait-blocks)
 *   -> online -> verify-online (blocks online in the zone, MemTotal + size)
 *   -> hold.
 * Removing it:
 *   offline (unless the scenario unplugs without it) -> del (device_del)
 *   -> eject-ost (source 3, 0x84; 0x1/0x80-0x83 or DEVICE_UNPLUG_GUEST_ERROR
 *   mean the guest refused) -> deleted (DEVICE_DELETED) -> eject-done (the
 *   trailing OST, source 3, status 0, which names no device but its slot)
 *   -> object-del -> blocks-gone -> verify-removed (MemTotal back).
 * device_del is never sent before the insert OST: on aarch64 the unplug is
 * otherwise lost. A slot is not reused before its eject is done.
 *
 * One operation runs at a time. With 'concurrent' N, N DIMMs are plugged,
 * then the engine alternates: remove one (the oldest, or a random one),
 * plug the next. Each cycle ends in "pass" or a failure class and is
 * written to cycles.jsonl at once. A case ([case NAME]) passes when it ends
 * in the class it expects. On a failure the scenario's policy applies:
 * stop (remove what is plugged and end), continue, or restart-guest.
 *
 * Callbacks of operations that the flow has left behind (after a failure
 * or QEMU's exit) carry a stale sequence number and are dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "accounting.h"
#include "agent-link.h"
#include "backend.h"
#include "cycle.h"
#include "failure.h"
#include "results.h"

#define HELLO_RETRY_MS 2000
#define OST_EJECTING 0x84

#include "engine-private.h"

static void step(MhpEngine *e);
static void begin_unplug(MhpEngine *e, Dimm *d);
static void finish_run(MhpEngine *e);

/* ---- small helpers ---- */

static const char *const state_names[_MHP_ENGINE_STATE_MAX] = {
	[MHP_ENGINE_NEW] = "new",
	[MHP_ENGINE_BOOTING] = "booting",
	[MHP_ENGINE_RUNNING] = "running",
	[MHP_ENGINE_PAUSED] = "paused",
	[MHP_ENGINE_STOPPING] = "stopping",
	[MHP_ENGINE_DONE] = "done",
};

const char *mhp_engine_state_to_string(MhpEngineState s)
{
	return s >= 0 && s < _MHP_ENGINE_STATE_MAX ? state_names[s] : NULL;
}

MhpEngineState mhp_engine_state_from_string(const char *s)
{
	for (int i = 0; s && i < _MHP_ENGINE_STATE_MAX; i++)
		if (strcmp(state_names[i], s) == 0)
			return (MhpEngineState)i;
	return _MHP_ENGINE_STATE_INVALID;
}

gint64 engine_now(MhpEngine *e)
{
	return mhp_clock_now(e->opts.clock);
}

GSource *engine_timeout_source(MhpEngine *e, guint ms)
{
	return mhp_clock_timeout_source(e->opts.clock, ms);
}

static gint64 run_ns(MhpEngine *e)
{
	return (engine_now(e) - e->t0) * 1000;
}

void emit_progress(MhpEngine *e)
{
	MhpProgress p = {
		.state = e->state,
		.phase = e->phase,
		.cycle = e->finished_cycles,
		.cycles = e->cycles_planned,
		.elapsed_ms = (guint64)((engine_now(e) - e->t0) / 1000),
		.duration_ms = e->duration_ms,
		.failures = e->failed_cycles,
	};

	p.cycles_per_s = p.elapsed_ms ? e->finished_cycles * 1000.0 / p.elapsed_ms : 0;
	if (e->cb.progress)
		e->cb.progress(e, &p, e->user_data);
}

void engine_event(MhpEngine *e, const char *what, struct json_object *fields)
{
	struct json_object *m = fields ? fields : json_object_new_object();

	json_object_object_add(m, "engine", json_object_new_string(what));
	if (e->results)
		mhp_results_append_event(e->results, "engine", m);
	json_object_put(m);
}

/* A phase begun again (a cleanup's second offline) starts afresh. */
static void phase_begin(MhpEngine *e, Dimm *d, MhpPhase ph)
{
	e->phase = ph;
	d->phases[ph] = (PhaseTimes){ .start_ns = run_ns(e), .begun = TRUE };
	emit_progress(e);
}

static void record_latency(GArray **a, double ms)
{
	if (!*a)
		*a = g_array_new(FALSE, FALSE, sizeof(double));
	g_array_append_val(*a, ms);
}

static void phase_end(MhpEngine *e, Dimm *d, MhpPhase ph)
{
	PhaseTimes *t = &d->phases[ph];

	if (!t->begun || t->ended)
		return;
	t->end_ns = run_ns(e);
	t->ended = TRUE;
	record_latency(&e->latencies[ph], (t->end_ns - t->start_ns) / 1e6);
}

/* The phases' times as cycles.jsonl has them: { "add": { "start_ns", "end_ns" }, ... } */
static struct json_object *phases_to_json(const Dimm *d)
{
	struct json_object *o = json_object_new_object();

	for (int ph = 0; ph < _MHP_PHASE_MAX; ph++) {
		const PhaseTimes *t = &d->phases[ph];
		struct json_object *p;

		if (!t->begun)
			continue;
		p = json_object_new_object();
		json_object_object_add(p, "start_ns", json_object_new_int64(t->start_ns));
		if (t->ended)
			json_object_object_add(p, "end_ns", json_object_new_int64(t->end_ns));
		json_object_object_add(o, mhp_phase_to_string(ph), p);
	}
	return o;
}

void set_failure(Dimm *d, MhpFailClass cls, int err, const char *fmt, ...)
{
	va_list ap;

	if (d->failure)
		return; /* the first failure is the cycle's class */
	d->failure = cls;
	d->failure_errno = err;
	va_start(ap, fmt);
	d->detail = g_strdup_vprintf(fmt, ap);
	va_end(ap);
}

Ctx *ctx_new(MhpEngine *e, Dimm *d)
{
	Ctx *c = g_new0(Ctx, 1);

	c->e = e;
	c->seq = e->seq;
	c->d = d;
	return c;
}

/* Return: the engine when the callback is still current, else NULL (ctx freed). */
MhpEngine *ctx_take(Ctx *c, Dimm **ret_d)
{
	MhpEngine *e = c->e;
	gboolean current = c->seq == e->seq && !e->finished;

	if (ret_d)
		*ret_d = c->d;
	g_free(c);
	return current ? e : NULL;
}

void cancel_wait(MhpEngine *e)
{
	if (e->wait_src) {
		g_source_destroy(e->wait_src);
		g_source_unref(e->wait_src);
		e->wait_src = NULL;
	}
	e->wait = WAIT_NONE;
}

void schedule_step(MhpEngine *e);

/* ---- cycle records ---- */

static const char *zone_expected(MhpZone z)
{
	switch (z) {
	case MHP_ZONE_MOVABLE: return "Movable";
	case MHP_ZONE_NORMAL: return "Normal";
	case MHP_ZONE_AUTO: return NULL;
	}
	return NULL;
}

static gboolean errno_expected(const MhpCase *k, int err)
{
	if (!k->expect_errno || !k->expect_errno->len)
		return TRUE;
	for (guint i = 0; i < k->expect_errno->len; i++)
		if (g_array_index(k->expect_errno, int, i) == err)
			return TRUE;
	return FALSE;
}

gboolean write_cycle(MhpEngine *e, Dimm *d)
{
	struct json_object *o = json_object_new_object();
	MhpFailClass cls = d->failure;
	MhpFailClass verdict = cls;
	double cycle_ms = (engine_now(e) - d->t_start) / 1000.0;

	if (d->kase) {
		gboolean match = cls == d->kase->expect &&
				 (cls != MHP_FAIL_OFFLINE || errno_expected(d->kase, d->failure_errno));
		verdict = match ? MHP_FAIL_NONE : MHP_FAIL_EXPECTATION;
		json_object_object_add(o, "case", json_object_new_string(d->kase->name));
		json_object_object_add(o, "expected", json_object_new_string(mhp_fail_class_to_string(d->kase->expect)));
		json_object_object_add(o, "outcome", json_object_new_string(mhp_fail_class_to_string(cls)));
	}
	json_object_object_add(o, "cycle", json_object_new_int64((int64_t)d->cycle));
	json_object_object_add(o, "verdict", json_object_new_string(mhp_fail_class_to_string(verdict)));
	if (d->detail)
		json_object_object_add(o, "detail", json_object_new_string(d->detail));
	if (d->failure_errno)
		json_object_object_add(o, "errno", json_object_new_int(d->failure_errno));
	json_object_object_add(o, "slot", json_object_new_int(d->slot));
	json_object_object_add(o, "dimm", json_object_new_string(d->spec.id));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)d->spec.size));
	json_object_object_add(o, "zone", json_object_new_string(mhp_zone_name(d->zone)));
	json_object_object_add(o, "offline_first", json_object_new_boolean(d->offline_first));
	if (d->addr)
		json_object_object_add(o, "addr", json_object_new_int64((int64_t)d->addr));
	json_object_object_add(o, "cycle_ms", json_object_new_double(cycle_ms));
	json_object_object_add(o, "phases", phases_to_json(d));
	json_object_object_add(o, "verify", json_object_get(d->data));
	mhp_results_append_cycle(e->results, o);
	json_object_put(o);

	e->finished_cycles++;
	if (verdict != MHP_FAIL_NONE) {
		e->failures[verdict]++;
		e->failed_cycles++;
		engine_event(e, "cycle-failed", NULL);
	} else if (!d->failure) {
		record_latency(&e->cycle_latency, cycle_ms);
	}
	emit_progress(e);
	return verdict == MHP_FAIL_NONE;
}

static void dimm_reset(Dimm *d)
{
	int slot = d->slot;
	gboolean eject_pending = d->eject_pending;
	DimmState st = d->state;

	json_object_put(d->data);
	g_free(d->detail);
	memset(d, 0, sizeof(*d));
	d->slot = slot;
	d->eject_pending = eject_pending;
	d->state = st == DIMM_STUCK ? DIMM_STUCK : DIMM_FREE;
}

/*
 * The cycle's verdict is decided: write it, apply the policy. The DIMM may
 * still be plugged (a failure mid-cycle): then it is removed as cleanup.
 */
static void cycle_failed(MhpEngine *e, Dimm *d)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "cycle", json_object_new_int64((int64_t)d->cycle));
	json_object_object_add(f, "class", json_object_new_string(d->failure ? mhp_fail_class_to_string(d->failure) : "?"));
	engine_event(e, "failure", f);
}

/* ---- the plug sequence ---- */

static void plug_failed(MhpEngine *e, Dimm *d)
{
	/* Remove it. begin_unplug decides what can still be done. */
	cycle_failed(e, d);
	d->cleanup = TRUE;
	begin_unplug(e, d);
}

static gboolean on_wait_timeout(gpointer user_data);

static void wait_for(MhpEngine *e, WaitKind kind, guint64 ms)
{
	cancel_wait(e);
	e->wait = kind;
	e->wait_src = engine_timeout_source(e, (guint)MIN(ms, G_MAXUINT));
	g_source_set_callback(e->wait_src, on_wait_timeout, e, NULL);
	g_source_attach(e->wait_src, e->ctx);
}

static void after_hold(MhpEngine *e, Dimm *d)
{
	phase_end(e, d, MHP_PHASE_HOLD);
	d->state = DIMM_ONLINE;
	e->cur = NULL;
	schedule_step(e);
}

static void start_hold(MhpEngine *e, Dimm *d);
static gboolean agent_failed(Dimm *d, const GError *error, const char *what);

static void on_inject(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);

	if (!e)
		return;
	phase_end(e, d, MHP_PHASE_INJECT);
	agent_failed(d, error, "inject");
	start_hold(e, d);
}

static void verify_online_done(MhpEngine *e, Dimm *d)
{
	phase_end(e, d, MHP_PHASE_VERIFY_ONLINE);
	if (d->failure && (!d->kase || !d->kase->inject)) {
		plug_failed(e, d);
		return;
	}
	if (d->kase && d->kase->inject != MHP_INJECT_NONE) {
		struct json_object *a = json_object_new_object();

		/* the kernel fails while the DIMM is online; detection does the rest */
		phase_begin(e, d, MHP_PHASE_INJECT);
		json_object_object_add(a, "kind", json_object_new_string(mhp_inject_name(d->kase->inject)));
		mhp_agent_link_call(e->agent, "inject", a, (guint)e->s->timeouts.agent_ms, on_inject, ctx_new(e, d));
		return;
	}
	start_hold(e, d);
}

static void start_hold(MhpEngine *e, Dimm *d)
{
	if (e->s->dimm.hold_ms || (d->kase && d->kase->inject != MHP_INJECT_NONE)) {
		/* an injected failure gets a moment to be reported */
		guint64 hold = MAX(e->s->dimm.hold_ms, d->kase && d->kase->inject ? 2000 : 0);

		phase_begin(e, d, MHP_PHASE_HOLD);
		wait_for(e, WAIT_HOLD, hold);
		return;
	}
	after_hold(e, d);
}

static guint64 plugged_bytes(MhpEngine *e, Dimm *except)
{
	guint64 n = 0;

	for (GList *l = e->plugged.head; l; l = l->next) {
		Dimm *x = l->data;
		if (x != except && x->nblocks)
			n += x->spec.size;
	}
	return n;
}

static guint64 plugged_vmemmap(MhpEngine *e, Dimm *except)
{
	guint64 n = 0;

	for (GList *l = e->plugged.head; l; l = l->next) {
		Dimm *x = l->data;
		if (x != except && x->nblocks)
			n += mhp_acct_vmemmap_bytes(x->spec.size, e->page_size, e->bands.struct_page_size);
	}
	return n;
}

/* The checks failed: the cycle is an accounting-mismatch naming the first one. */
static void checks_failed(Dimm *d, struct json_object *checks, const char *failed)
{
	for (size_t i = 0; i < json_object_array_length(checks); i++) {
		struct json_object *c = json_object_array_get_idx(checks, i), *n, *v, *x;
		if (!json_object_object_get_ex(c, "name", &n) || strcmp(json_object_get_string(n), failed))
			continue;
		json_object_object_get_ex(c, "value", &v);
		json_object_object_get_ex(c, "expected", &x);
		set_failure(d, MHP_FAIL_ACCOUNTING, 0, "check '%s' failed: %" PRId64 ", expected %" PRId64, failed,
			    json_object_get_int64(v), json_object_get_int64(x));
		return;
	}
}

static struct json_object *section_brief(struct json_object *ptdump, const char *name)
{
	struct json_object *secs, *o = NULL;

	if (!ptdump || !json_object_object_get_ex(ptdump, "sections", &secs))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(secs); i++) {
		struct json_object *s = json_object_array_get_idx(secs, i), *n, *v;
		if (!json_object_object_get_ex(s, "name", &n) || strcmp(json_object_get_string(n), name) != 0)
			continue;
		o = json_object_new_object();
		if (json_object_object_get_ex(s, "mapped_bytes", &v))
			json_object_object_add(o, "mapped_bytes", json_object_get(v));
		if (json_object_object_get_ex(s, "table_pages", &v))
			json_object_object_add(o, "table_pages", json_object_get(v));
		if (json_object_object_get_ex(s, "digest", &v))
			json_object_object_add(o, "digest", json_object_get(v));
	}
	return o;
}

/* The numbers a cycle keeps from a snapshot. */
static struct json_object *snapshot_brief(struct json_object *snap)
{
	struct json_object *o = json_object_new_object(), *mi, *vm, *pt = NULL, *v;
	static const char *const mkeys[] = { "MemTotal", "MemFree", "PageTables", "VmallocUsed", "Percpu", "KernelStack" };

	if (json_object_object_get_ex(snap, "meminfo", &mi))
		for (gsize i = 0; i < G_N_ELEMENTS(mkeys); i++)
			if (json_object_object_get_ex(mi, mkeys[i], &v))
				json_object_object_add(o, mkeys[i], json_object_get(v));
	if (json_object_object_get_ex(snap, "vmstat", &vm) && json_object_object_get_ex(vm, "nr_page_table_pages", &v))
		json_object_object_add(o, "nr_page_table_pages", json_object_get(v));
	if (json_object_object_get_ex(snap, "pcp_kb", &v))
		json_object_object_add(o, "pcp_kb", json_object_get(v));
	json_object_object_get_ex(snap, "ptdump", &pt);
	if (pt && json_object_is_type(pt, json_type_object)) {
		struct json_object *tot;
		json_object_object_add(o, "linear_map", section_brief(pt, "Linear Mapping"));
		json_object_object_add(o, "vmemmap", section_brief(pt, "vmemmap"));
		if (json_object_object_get_ex(pt, "total", &tot) && json_object_object_get_ex(tot, "table_pages", &v))
			json_object_object_add(o, "table_pages", json_object_get(v));
	}
	return o;
}

static guint64 memtotal_kb(struct json_object *snap)
{
	struct json_object *mi, *v;

	if (json_object_object_get_ex(snap, "meminfo", &mi) && json_object_object_get_ex(mi, "MemTotal", &v) &&
	    json_object_is_type(v, json_type_int))
		return (guint64)json_object_get_int64(v);
	return 0;
}

/* @full: one of the snapshots kept whole (baseline, plugged-1, end): raw ptdump too */
static struct json_object *snapshot_args_full(MhpEngine *e, gboolean full)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "ptdump", json_object_new_string(!e->s->verify.ptdump ? "none" : full ? "raw" : "summary"));
	json_object_object_add(a, "drop_caches", json_object_new_boolean(e->s->verify.drop_caches));
	/* stressors pause while it is taken: the guest is quiet */
	json_object_object_add(a, "quiet", json_object_new_boolean(e->s->stressors->len > 0));
	/* the agent gives up on a stuck kernel read 2 s before our deadline, so
	 * its ETIMEDOUT ("timed out reading kernel_page_tables") arrives first */
	json_object_object_add(a, "timeout_ms", json_object_new_int64((int64_t)(e->s->timeouts.agent_ms > 4000
			? e->s->timeouts.agent_ms - 2000 : e->s->timeouts.agent_ms / 2)));
	return a;
}

static struct json_object *snapshot_args(MhpEngine *e)
{
	return snapshot_args_full(e, FALSE);
}

static void remember_snapshot(MhpEngine *e, struct json_object *snap)
{
	json_object_put(e->last_snapshot);
	e->last_snapshot = json_object_get(snap);
}

static void save_snapshot(MhpEngine *e, const char *name, struct json_object *snap)
{
	g_autofree char *rel = g_strdup_printf(MHP_RESULTS_SNAPSHOTS "/%s.json", name);
	g_autoptr(GError) err = NULL;

	if (!mhp_results_write_json(e->results, rel, snap, &err))
		engine_event(e, "snapshot-not-saved", NULL);
}

/* The guest is untrusted: agent failures become agent-lost, with the reason. */
static gboolean agent_failed(Dimm *d, const GError *error, const char *what)
{
	if (!error)
		return FALSE;
	if (error->domain == MHP_AGENT_ERRNO)
		set_failure(d, MHP_FAIL_AGENT_LOST, error->code, "%s: %s", what, error->message);
	else
		set_failure(d, MHP_FAIL_AGENT_LOST, 0, "%s: %s", what, error->message);
	return TRUE;
}

/* A snapshot that failed. ETIMEDOUT from the agent means a read of /proc or
 * debugfs never returned while the agent itself kept answering: a task is
 * stuck in the kernel (D state), which is a kernel failure with evidence
 * (the vmcore shows where), not a lost agent. */
static gboolean snapshot_failed(MhpEngine *e, Dimm *d, const GError *error, const char *what)
{
	if (error && error->domain == MHP_AGENT_ERRNO && error->code == ETIMEDOUT) {
		g_autofree char *detail = g_strdup_printf("%s: %s", what, error->message);

		set_failure(d, MHP_FAIL_STUCK_TASK, ETIMEDOUT, "%s", detail);
		kernel_failure(e, MHP_FAIL_STUCK_TASK, detail);
		return TRUE;
	}
	return agent_failed(d, error, what);
}

static void on_verify_snapshot(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);

	if (!e)
		return;
	if (snapshot_failed(e, d, error, "snapshot after online")) {
		verify_online_done(e, d);
		return;
	}
	remember_snapshot(e, ok);
	{
		const char *failed = NULL;
		struct json_object *checks = mhp_acct_check_plugged(e->baseline, ok, plugged_bytes(e, NULL),
								    plugged_vmemmap(e, NULL), &e->bands, &failed);

		json_object_object_add(d->data, "plugged", snapshot_brief(ok));
		json_object_object_add(d->data, "checks_plugged", checks);
		if (failed)
			checks_failed(d, checks, failed);
	}
	if (d->cycle == 1 && !d->kase)
		save_snapshot(e, "plugged-1", ok);
	verify_online_done(e, d);
}

static void on_verify_blocks(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);
	struct json_object *blocks;
	const char *zone = NULL;
	guint seen = 0;

	if (!e)
		return;
	if (agent_failed(d, error, "blocks after online")) {
		verify_online_done(e, d);
		return;
	}
	zone = zone_expected(d->zone);
	json_object_object_get_ex(ok, "blocks", &blocks);
	for (size_t i = 0; blocks && i < json_object_array_length(blocks); i++) {
		struct json_object *b = json_object_array_get_idx(blocks, i), *v;
		guint64 idx;

		if (!json_object_object_get_ex(b, "index", &v))
			continue;
		idx = (guint64)json_object_get_int64(v);
		if (idx < d->first_block || idx >= d->first_block + d->nblocks)
			continue;
		seen++;
		const char *state = json_object_object_get_ex(b, "state", &v) ? json_object_get_string(v) : "";
		const char *zones = json_object_object_get_ex(b, "valid_zones", &v) ? json_object_get_string(v) : "";
		if (strcmp(state, "online") != 0)
			set_failure(d, MHP_FAIL_ONLINE, 0, "block %" G_GUINT64_FORMAT " is '%s' after online", idx, state);
		else if (zone && strcmp(zones, zone) != 0)
			set_failure(d, MHP_FAIL_ACCOUNTING, 0, "block %" G_GUINT64_FORMAT " is in zone '%s', expected '%s'",
				    idx, zones, zone);
	}
	if (seen != d->nblocks)
		set_failure(d, MHP_FAIL_ADD_NOT_SEEN, 0, "%u of %" G_GUINT64_FORMAT " blocks listed after online", seen,
			    d->nblocks);
	mhp_agent_link_call(e->agent, "snapshot", snapshot_args_full(e, d->cycle == 1 && !d->kase),
			    (guint)e->s->timeouts.agent_ms, on_verify_snapshot, ctx_new(e, d));
}

static void on_hog(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);

	if (!e)
		return;
	phase_end(e, d, MHP_PHASE_HOG);
	if (!agent_failed(d, error, "hog"))
		d->hogged = TRUE;
	phase_begin(e, d, MHP_PHASE_VERIFY_ONLINE);
	mhp_agent_link_call(e->agent, "blocks", NULL, (guint)e->s->timeouts.agent_ms, on_verify_blocks, ctx_new(e, d));
}

/* The agent's per-block results of an online or offline: each failed block
 * is a failure of class @cls (the first one names the cycle's class). */
static guint block_results(Dimm *d, struct json_object *ok, MhpFailClass cls, const char *verb)
{
	struct json_object *res;
	guint failed = 0;

	json_object_object_get_ex(ok, "results", &res);
	for (size_t i = 0; res && i < json_object_array_length(res); i++) {
		struct json_object *r = json_object_array_get_idx(res, i), *en, *b;
		int err = json_object_object_get_ex(r, "errno", &en) ? json_object_get_int(en) : EIO;

		if (!err)
			continue;
		json_object_object_get_ex(r, "block", &b);
		set_failure(d, cls, err, "%s of block %" PRId64 " failed: %s", verb, json_object_get_int64(b),
			    g_strerror(err));
		failed++;
	}
	return failed;
}

static void on_online(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);

	if (!e)
		return;
	phase_end(e, d, MHP_PHASE_ONLINE);
	if (agent_failed(d, error, "online")) {
		plug_failed(e, d);
		return;
	}
	block_results(d, ok, MHP_FAIL_ONLINE, "online");
	if (d->failure) {
		plug_failed(e, d);
		return;
	}
	if (d->kase && d->kase->hog == MHP_HOG_UNMOVABLE) {
		struct json_object *a = json_object_new_object();

		phase_begin(e, d, MHP_PHASE_HOG);
		json_object_object_add(a, "kind", json_object_new_string("unmovable"));
		json_object_object_add(a, "bytes", json_object_new_int64((int64_t)d->spec.size));
		mhp_agent_link_call(e->agent, "hog", a, (guint)e->s->timeouts.agent_ms, on_hog, ctx_new(e, d));
		return;
	}
	phase_begin(e, d, MHP_PHASE_VERIFY_ONLINE);
	mhp_agent_link_call(e->agent, "blocks", NULL, (guint)e->s->timeouts.agent_ms, on_verify_blocks, ctx_new(e, d));
}

static struct json_object *block_list(Dimm *d)
{
	struct json_object *a = json_object_new_array();

	for (guint64 i = 0; i < d->nblocks; i++)
		json_object_array_add(a, json_object_new_int64((int64_t)(d->first_block + i)));
	return a;
}

static void on_blocks(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);
	struct json_object *a;

	if (!e)
		return;
	phase_end(e, d, MHP_PHASE_BLOCKS);
	if (error) {
		if (error->domain == MHP_AGENT_ERRNO && error->code == ETIMEDOUT)
			set_failure(d, MHP_FAIL_ADD_NOT_SEEN, 0,
				    "insert OST status 0, but the guest's blocks %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
				    " did not appear: %s", d->first_block, d->first_block + d->nblocks - 1, error->message);
		else
			agent_failed(d, error, "wait-blocks");
		d->nblocks = 0; /* nothing of it is in the guest */
		plug_failed(e, d);
		return;
	}
	phase_begin(e, d, MHP_PHASE_ONLINE);
	a = json_object_new_object();
	json_object_object_add(a, "blocks", block_list(d));
	json_object_object_add(a, "zone", json_object_new_string(mhp_zone_state(d->zone)));
	json_object_object_add(a, "timeout_ms", json_object_new_int64((int64_t)e->s->timeouts.online_ms));
	mhp_agent_link_call(e->agent, "online", a, (guint)e->s->timeouts.online_ms + 5000, on_online, ctx_new(e, d));
}

static void on_query_devices(MhpBackend *b, GArray *devs, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);
	struct json_object *a;
	guint64 size = 0;

	if (!e)
		return;
	phase_end(e, d, MHP_PHASE_QUERY);
	for (guint i = 0; devs && i < devs->len; i++) {
		MhpMemoryDevice *m = &g_array_index(devs, MhpMemoryDevice, i);
		if (strcmp(m->id, d->spec.id) == 0) {
			d->addr = m->addr;
			size = m->size;
		}
	}
	if (error || !size) {
		set_failure(d, MHP_FAIL_QMP_ERROR, 0, "query-memory-devices: %s",
			    error ? error->message : "the DIMM is not listed");
		plug_failed(e, d);
		return;
	}
	/* a misaligned DIMM still names the blocks it would cover */
	d->first_block = d->addr / e->block_size;
	d->nblocks = MAX((d->addr + size + e->block_size - 1) / e->block_size - d->first_block, 1);
	phase_begin(e, d, MHP_PHASE_BLOCKS);
	a = json_object_new_object();
	json_object_object_add(a, "phys_start", json_object_new_int64((int64_t)(d->first_block * e->block_size)));
	json_object_object_add(a, "size", json_object_new_int64((int64_t)(d->nblocks * e->block_size)));
	json_object_object_add(a, "timeout_ms", json_object_new_int64((int64_t)e->s->timeouts.blocks_ms));
	mhp_agent_link_call(e->agent, "wait-blocks", a, (guint)e->s->timeouts.blocks_ms + 5000, on_blocks, ctx_new(e, d));
}

static void insert_ost_seen(MhpEngine *e, Dimm *d)
{
	cancel_wait(e);
	phase_end(e, d, MHP_PHASE_OST);
	if (d->insert_status != 0) {
		set_failure(d, MHP_FAIL_ADD_NOT_SEEN, 0, "insert OST status 0x%x", d->insert_status);
		plug_failed(e, d);
		return;
	}
	phase_begin(e, d, MHP_PHASE_QUERY);
	e->backend->ops->query_devices(e->backend, on_query_devices, ctx_new(e, d));
}

static void on_plugged(MhpBackend *b, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);

	if (!e)
		return;
	phase_end(e, d, MHP_PHASE_ADD);
	if (error) {
		set_failure(d, MHP_FAIL_QMP_ERROR, 0, "%s", error->message);
		cycle_failed(e, d);
		/* nothing was plugged, but the memory backend may exist */
		d->cleanup = TRUE;
		d->insert_ost = FALSE;
		begin_unplug(e, d);
		return;
	}
	phase_begin(e, d, MHP_PHASE_OST);
	if (d->insert_ost) {
		insert_ost_seen(e, d);
		return;
	}
	wait_for(e, WAIT_INSERT_OST, e->s->timeouts.add_ms);
}

static void begin_plug(MhpEngine *e, Dimm *d, const MhpCase *k)
{
	guint64 n = e->started_cycles++;
	const MhpScenario *s = e->s;

	dimm_reset(d);
	d->state = DIMM_PLUGGING;
	d->cycle = n + 1;
	d->kase = k;
	d->data = json_object_new_object();
	d->t_start = engine_now(e);
	if (k) {
		d->spec.size = k->size;
		d->zone = k->zone;
		d->offline_first = k->offline;
	} else if (s->pattern == MHP_PATTERN_RANDOM) {
		d->spec.size = g_array_index(s->dimm.sizes, guint64, g_rand_int_range(e->rand, 0, (gint32)s->dimm.sizes->len));
		d->zone = g_array_index(s->dimm.zones, int, g_rand_int_range(e->rand, 0, (gint32)s->dimm.zones->len));
		d->offline_first = s->dimm.offline;
	} else {
		d->spec.size = g_array_index(s->dimm.sizes, guint64, n % s->dimm.sizes->len);
		d->zone = g_array_index(s->dimm.zones, int, n % s->dimm.zones->len);
		d->offline_first = s->dimm.offline;
	}
	g_snprintf(d->spec.id, sizeof(d->spec.id), "dimm%" G_GUINT64_FORMAT, d->cycle);
	g_snprintf(d->spec.memdev, sizeof(d->spec.memdev), "mem%" G_GUINT64_FORMAT, d->cycle);
	d->spec.slot = d->slot;
	d->spec.backend = s->dimm.backend;
	d->spec.backend_path = s->dimm.backend_path;
	g_queue_push_tail(&e->plugged, d);
	e->cur = d;
	if (e->pending_kernel_failure) {
		/* a kernel failure seen between cycles is charged to the next one */
		set_failure(d, e->pending_kernel_failure, 0, "%s", e->pending_kernel_detail);
		e->pending_kernel_failure = MHP_FAIL_NONE;
		g_clear_pointer(&e->pending_kernel_detail, g_free);
	}
	phase_begin(e, d, MHP_PHASE_ADD);
	e->backend->ops->plug(e->backend, &d->spec, on_plugged, ctx_new(e, d));
}

/* ---- the unplug sequence ---- */

gboolean close_open_cycles(MhpEngine *e, MhpFailClass cls, const char *detail, gboolean check_expect)
{
	gboolean expected = FALSE;

	while (e->plugged.length) {
		Dimm *d = g_queue_peek_head(&e->plugged);

		set_failure(d, cls, 0, "%s", detail);
		g_queue_remove(&e->plugged, d);
		expected |= check_expect && d->kase && d->kase->expect == cls;
		write_cycle(e, d);
		d->state = DIMM_FREE;
	}
	e->cur = NULL;
	return expected;
}

/* The cycle is over: record it and apply the scenario's policy to a failure. */
static void unplug_finished(MhpEngine *e, Dimm *d)
{
	gboolean passed;

	g_queue_remove(&e->plugged, d);
	passed = write_cycle(e, d);
	e->cur = NULL;
	if (d->state != DIMM_STUCK)
		d->state = DIMM_FREE;
	if (!passed) {
		switch (e->s->on_failure) {
		case MHP_ON_FAILURE_STOP:
			e->stopping = TRUE;
			break;
		case MHP_ON_FAILURE_CONTINUE:
			break;
		case MHP_ON_FAILURE_RESTART_GUEST:
			e->restart_pending = TRUE; /* after the other DIMMs are removed */
			break;
		}
	}
	schedule_step(e);
}

static void on_verify_removed(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);

	if (!e)
		return;
	phase_end(e, d, MHP_PHASE_VERIFY_REMOVED);
	if (!snapshot_failed(e, d, error, "snapshot after removal")) {
		const char *failed = NULL;

		remember_snapshot(e, ok);
		guint64 others = plugged_bytes(e, d);
		struct json_object *checks = mhp_acct_check_removed(e->baseline, ok, others, plugged_vmemmap(e, d),
								    &e->bands, &failed);

		json_object_object_add(d->data, "removed", snapshot_brief(ok));
		json_object_object_add(d->data, "checks_removed", checks);
		if (failed)
			checks_failed(d, checks, failed);
		else if (!others && !e->rebaseline)
			mhp_trends_add_snapshot(e->trends, (double)d->cycle, ok); /* a quiet guest */
	}
	unplug_finished(e, d);
}

static void on_blocks_gone(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);

	if (!e)
		return;
	phase_end(e, d, MHP_PHASE_BLOCKS_GONE);
	stressors_phase(e, MHP_STRESSOR_REMOVE, FALSE);
	if (error) {
		if (error->domain == MHP_AGENT_ERRNO && error->code == ETIMEDOUT)
			set_failure(d, MHP_FAIL_ACCOUNTING, 0, "blocks still present after DEVICE_DELETED: %s", error->message);
		else
			agent_failed(d, error, "wait-blocks present=false");
	}
	phase_begin(e, d, MHP_PHASE_VERIFY_REMOVED);
	mhp_agent_link_call(e->agent, "snapshot", snapshot_args(e), (guint)e->s->timeouts.agent_ms, on_verify_removed,
			    ctx_new(e, d));
}

static void on_released(MhpBackend *b, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);
	struct json_object *a;

	if (!e)
		return;
	phase_end(e, d, MHP_PHASE_OBJECT_DEL);
	if (error)
		set_failure(d, MHP_FAIL_QMP_ERROR, 0, "%s", error->message);
	if (!d->nblocks) {
		unplug_finished(e, d);
		return;
	}
	phase_begin(e, d, MHP_PHASE_BLOCKS_GONE);
	a = json_object_new_object();
	json_object_object_add(a, "phys_start", json_object_new_int64((int64_t)(d->first_block * e->block_size)));
	json_object_object_add(a, "size", json_object_new_int64((int64_t)(d->nblocks * e->block_size)));
	json_object_object_add(a, "present", json_object_new_boolean(FALSE));
	json_object_object_add(a, "timeout_ms", json_object_new_int64((int64_t)e->s->timeouts.blocks_ms));
	mhp_agent_link_call(e->agent, "wait-blocks", a, (guint)e->s->timeouts.blocks_ms + 5000, on_blocks_gone,
			    ctx_new(e, d));
}

static void release(MhpEngine *e, Dimm *d)
{
	phase_begin(e, d, MHP_PHASE_OBJECT_DEL);
	e->backend->ops->release(e->backend, &d->spec, on_released, ctx_new(e, d));
}

static void eject_done(MhpEngine *e, Dimm *d)
{
	cancel_wait(e);
	phase_end(e, d, MHP_PHASE_EJECT_DONE);
	release(e, d);
}

static void deleted_seen(MhpEngine *e, Dimm *d)
{
	cancel_wait(e);
	phase_end(e, d, MHP_PHASE_DELETED);
	d->deleted = TRUE;
	phase_begin(e, d, MHP_PHASE_EJECT_DONE);
	if (!d->eject_pending) {
		eject_done(e, d);
		return;
	}
	wait_for(e, WAIT_EJECT_DONE, e->s->timeouts.eject_ms);
}

static gboolean refused_status(int st)
{
	return st == 0x1 || st == 0x80 || st == 0x81 || st == 0x82 || st == 0x83;
}

static void stuck(MhpEngine *e, Dimm *d, const char *why)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "slot", json_object_new_int(d->slot));
	json_object_object_add(f, "dimm", json_object_new_string(d->spec.id));
	json_object_object_add(f, "why", json_object_new_string(why));
	engine_event(e, "slot-stuck", f);
	d->state = DIMM_STUCK;
	e->rebaseline = TRUE; /* its memory may be partly online: measure again */
}

/*
 * The guest refused the eject: an OST with a failure status (0x1, 0x80-0x83),
 * possibly after an "in progress" 0x84, or DEVICE_UNPLUG_GUEST_ERROR. The
 * DIMM stays. A refusal a case expects is cleaned up (release the hog,
 * offline, unplug again); otherwise the slot is given up.
 */
static void refusal_seen(MhpEngine *e, Dimm *d)
{
	MhpPhase ph = e->wait == WAIT_DELETED ? MHP_PHASE_DELETED : MHP_PHASE_EJECT_OST;

	cancel_wait(e);
	phase_end(e, d, ph);
	set_failure(d, MHP_FAIL_GUEST_REFUSED, 0, d->guest_error ? "DEVICE_UNPLUG_GUEST_ERROR"
								 : "eject OST status 0x%x", d->refused_status);
	if (d->kase && !d->cleanup) {
		d->cleanup = TRUE;
		d->eject_ost = d->guest_error = d->refused = FALSE;
		begin_unplug(e, d);
		return;
	}
	stuck(e, d, "the guest refused the unplug");
	unplug_finished(e, d);
}

static void eject_ost_seen(MhpEngine *e, Dimm *d)
{
	cancel_wait(e);
	phase_end(e, d, MHP_PHASE_EJECT_OST);
	phase_begin(e, d, MHP_PHASE_DELETED);
	if (d->deleted) {
		deleted_seen(e, d);
		return;
	}
	wait_for(e, WAIT_DELETED, e->s->timeouts.unplug_ms);
}

static void on_unplugged(MhpBackend *b, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);

	if (!e)
		return;
	phase_end(e, d, MHP_PHASE_DEL);
	if (error) {
		set_failure(d, MHP_FAIL_QMP_ERROR, 0, "%s", error->message);
		stuck(e, d, "device_del failed");
		unplug_finished(e, d);
		return;
	}
	phase_begin(e, d, MHP_PHASE_EJECT_OST);
	wait_for(e, WAIT_EJECT_OST, e->s->timeouts.unplug_ms);
	if (d->refused || d->guest_error)
		refusal_seen(e, d);
	else if (d->eject_ost)
		eject_ost_seen(e, d);
}

static void device_del(MhpEngine *e, Dimm *d)
{
	if (d->cleanup && d->phases[MHP_PHASE_DEL].begun) {
		/* the retry after a refusal: its times replace the first try's */
		d->phases[MHP_PHASE_EJECT_OST] = (PhaseTimes){ 0 };
	}
	phase_begin(e, d, MHP_PHASE_DEL);
	e->backend->ops->unplug(e->backend, &d->spec, on_unplugged, ctx_new(e, d));
}

static void on_offline(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);
	guint failed_blocks;

	if (!e)
		return;
	phase_end(e, d, MHP_PHASE_OFFLINE);
	if (agent_failed(d, error, "offline")) {
		stuck(e, d, "the agent did not answer the offline");
		unplug_finished(e, d);
		return;
	}
	failed_blocks = block_results(d, ok, MHP_FAIL_OFFLINE, "offline");
	if (d->failure == MHP_FAIL_OFFLINE) {
		/* online memory that will not offline: unplugging it would be refused */
		stuck(e, d, "its memory could not be offlined");
		unplug_finished(e, d);
		return;
	}
	if (failed_blocks) {
		/* a cleanup keeps the cycle's first class; the slot is given up */
		stuck(e, d, "its memory could not be offlined during cleanup");
		unplug_finished(e, d);
		return;
	}
	device_del(e, d);
}

#define CLEANUP_OFFLINE_MS 10000

static void offline_blocks(MhpEngine *e, Dimm *d)
{
	struct json_object *a = json_object_new_object();
	/* memory the kernel has used (Normal zone) may never offline: a cleanup tries briefly */
	guint64 ms = d->cleanup ? MIN(e->s->timeouts.offline_ms, CLEANUP_OFFLINE_MS) : e->s->timeouts.offline_ms;

	phase_begin(e, d, MHP_PHASE_OFFLINE);
	json_object_object_add(a, "blocks", block_list(d));
	json_object_object_add(a, "timeout_ms", json_object_new_int64((int64_t)ms));
	mhp_agent_link_call(e->agent, "offline", a, (guint)ms + 5000, on_offline, ctx_new(e, d));
}

static void on_unhog(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);

	if (!e)
		return;
	phase_end(e, d, MHP_PHASE_UNHOG);
	d->hogged = FALSE;
	offline_blocks(e, d);
}

static void begin_unplug(MhpEngine *e, Dimm *d)
{
	e->cur = d;
	d->state = DIMM_UNPLUGGING;
	if (!e->backend->ops->is_running(e->backend)) {
		unplug_finished(e, d);
		return;
	}
	if (!d->insert_ost) {
		/* device_add failed or was never acknowledged: never device_del
		 * before the insert OST; drop the backend object if any */
		if (d->phases[MHP_PHASE_OST].begun) {
			stuck(e, d, "no insert OST: unplugging now could be lost");
			unplug_finished(e, d);
			return;
		}
		phase_begin(e, d, MHP_PHASE_OBJECT_DEL);
		d->nblocks = 0;
		e->backend->ops->release(e->backend, &d->spec, on_released, ctx_new(e, d));
		return;
	}
	if (d->hogged && d->cleanup) {
		/* the hog stays through the first unplug: it is what makes the guest refuse */
		phase_begin(e, d, MHP_PHASE_UNHOG);
		mhp_agent_link_call(e->agent, "hog-release", NULL, (guint)e->s->timeouts.agent_ms, on_unhog, ctx_new(e, d));
		return;
	}
	if (!d->cleanup)
		stressors_phase(e, MHP_STRESSOR_REMOVE, TRUE);
	/* offline first unless the scenario unplugs online memory; a cleanup
	 * after a refusal always offlines */
	if (d->nblocks && (d->offline_first || d->cleanup) && d->phases[MHP_PHASE_ONLINE].begun) {
		offline_blocks(e, d);
		return;
	}
	device_del(e, d);
}

/* ---- events and deadlines ---- */

static gboolean on_wait_timeout(gpointer user_data)
{
	MhpEngine *e = user_data;
	Dimm *d = e->cur;
	WaitKind w = e->wait;

	g_source_unref(e->wait_src);
	e->wait_src = NULL;
	e->wait = WAIT_NONE;
	e->seq++; /* anything still in flight for this step is stale now */
	switch (w) {
	case WAIT_NONE:
		break;
	case WAIT_HOLD:
		after_hold(e, d);
		break;
	case WAIT_INSERT_OST:
		phase_end(e, d, MHP_PHASE_OST);
		set_failure(d, MHP_FAIL_ADD_NOT_SEEN, 0, "no insert ACPI_DEVICE_OST for '%s' within %" G_GUINT64_FORMAT " ms",
			    d->spec.id, e->s->timeouts.add_ms);
		cycle_failed(e, d);
		stuck(e, d, "no insert OST");
		unplug_finished(e, d);
		break;
	case WAIT_EJECT_OST:
	case WAIT_DELETED:
		phase_end(e, d, w == WAIT_EJECT_OST ? MHP_PHASE_EJECT_OST : MHP_PHASE_DELETED);
		set_failure(d, MHP_FAIL_LOST_UNPLUG, 0, "no %s for '%s' within %" G_GUINT64_FORMAT " ms",
			    w == WAIT_EJECT_OST ? "eject ACPI_DEVICE_OST" : "DEVICE_DELETED", d->spec.id,
			    e->s->timeouts.unplug_ms);
		stuck(e, d, "the unplug was lost");
		unplug_finished(e, d);
		break;
	case WAIT_EJECT_DONE:
		phase_end(e, d, MHP_PHASE_EJECT_DONE);
		stuck(e, d, "no final eject OST: re-plugging the slot would break the next add");
		d->state = DIMM_UNPLUGGING; /* finish the cycle, then keep the slot stuck */
		release(e, d);
		d->state = DIMM_STUCK;
		break;
	}
	return G_SOURCE_REMOVE;
}

static Dimm *dimm_by_id(MhpEngine *e, const char *id)
{
	for (guint i = 0; id && i < e->s->guest.slots; i++)
		if (e->slots[i].state != DIMM_FREE && strcmp(e->slots[i].spec.id, id) == 0)
			return &e->slots[i];
	return NULL;
}

static void backend_hotplug(MhpBackend *b, const MhpHotplugEvent *ev, gpointer user_data)
{
	MhpEngine *e = user_data;
	Dimm *d = dimm_by_id(e, ev->device);

	if (ev->type == MHP_HOTPLUG_OST && !ev->device) {
		/* the trailing eject OST: names a slot, not a device */
		if (ev->source == 3 && ev->slot >= 0 && (guint)ev->slot < e->s->guest.slots) {
			Dimm *s = &e->slots[ev->slot];
			s->eject_pending = FALSE;
			if (e->wait == WAIT_EJECT_DONE && e->cur == s)
				eject_done(e, s);
		}
		return;
	}
	if (!d)
		return;
	switch (ev->type) {
	case MHP_HOTPLUG_OST:
		if (ev->source == 1 && !d->insert_ost) {
			d->insert_ost = TRUE;
			d->insert_status = ev->status;
			if (e->wait == WAIT_INSERT_OST && e->cur == d)
				insert_ost_seen(e, d);
		} else if (ev->source == 3 && ev->status == OST_EJECTING) {
			d->eject_ost = TRUE;
			d->eject_pending = TRUE;
			if (e->wait == WAIT_EJECT_OST && e->cur == d)
				eject_ost_seen(e, d);
		} else if (ev->source == 3 && refused_status(ev->status)) {
			d->refused = TRUE;
			d->refused_status = ev->status;
			d->eject_pending = FALSE;
			if ((e->wait == WAIT_EJECT_OST || e->wait == WAIT_DELETED) && e->cur == d)
				refusal_seen(e, d);
		}
		break;
	case MHP_HOTPLUG_DELETED:
		d->deleted = TRUE;
		if (e->wait == WAIT_DELETED && e->cur == d)
			deleted_seen(e, d);
		else if (e->wait == WAIT_EJECT_OST && e->cur == d) {
			/* deleted without an eject OST: take it as the eject */
			d->eject_ost = TRUE;
			eject_ost_seen(e, d);
		}
		break;
	case MHP_HOTPLUG_GUEST_ERROR:
		d->guest_error = TRUE;
		if ((e->wait == WAIT_EJECT_OST || e->wait == WAIT_DELETED) && e->cur == d)
			refusal_seen(e, d);
		break;
	}
}

static void backend_event(MhpBackend *b, const char *name, struct json_object *data, gpointer user_data)
{
	MhpEngine *e = user_data;

	if (strcmp(name, "GUEST_PANICKED") == 0)
		kernel_failure(e, MHP_FAIL_PANIC, "QEMU: GUEST_PANICKED (pvpanic)");
}

static void backend_log(MhpBackend *b, const char *source, struct json_object *msg, gpointer user_data)
{
	MhpEngine *e = user_data;

	mhp_results_append_event(e->results, source, msg);
}

/* The console is the one witness left when the agent is dead (a panic). */
static void backend_console(MhpBackend *b, const char *line, gpointer user_data)
{
	MhpEngine *e = user_data;
	MhpFailClass cls;

	e->console_last_us = engine_now(e);
	g_queue_push_tail(&e->console_tail, g_strdup(line));
	if (e->console_tail.length > CONSOLE_TAIL)
		g_free(g_queue_pop_head(&e->console_tail));
	if (e->hello && (cls = mhp_failure_classify(line)) != MHP_FAIL_NONE) {
		g_autofree char *detail = g_strdup_printf("console: %.200s", line);
		kernel_failure(e, cls, detail);
	}
}

static void backend_exited(MhpBackend *b, const char *how, gpointer user_data)
{
	MhpEngine *e = user_data;
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "how", json_object_new_string(how));
	engine_event(e, "qemu-exited", f);
	mhp_agent_link_cancel_all(e->agent, how);
	if (e->finished)
		return;
	if (e->restarting || e->shutting_down) {
		schedule_step(e);
		return;
	}
	cancel_wait(e);
	e->seq++;
	/* every DIMM still plugged ends its cycle as qemu-exited */
	close_open_cycles(e, MHP_FAIL_QEMU_EXITED, how, FALSE);
	if (e->s->on_failure == MHP_ON_FAILURE_RESTART_GUEST && !e->stopping) {
		e->restarting = TRUE;
	} else {
		e->fatal = TRUE;
		e->fatal_msg = g_strdup(how);
	}
	schedule_step(e);
}

static void agent_event(MhpAgentLink *l, const char *name, struct json_object *msg, gpointer user_data)
{
	MhpEngine *e = user_data;
	struct json_object *m, *txt;
	MhpFailClass cls;

	if (strcmp(name, "kmsg") != 0 || !json_object_object_get_ex(msg, "match", &m) ||
	    !json_object_is_type(m, json_type_string) || !json_object_object_get_ex(msg, "msg", &txt) ||
	    !json_object_is_type(txt, json_type_string))
		return;
	cls = mhp_failure_classify(json_object_get_string(txt));
	if (cls != MHP_FAIL_NONE && e->hello) {
		g_autofree char *detail = g_strdup_printf("kernel: %.200s", json_object_get_string(txt));
		kernel_failure(e, cls, detail);
	}
}

static void agent_log(MhpAgentLink *l, gboolean incoming, struct json_object *msg, gpointer user_data)
{
	MhpEngine *e = user_data;

	mhp_results_append_event(e->results, incoming ? "agent-in" : "agent-out", msg);
}

static void agent_lost(MhpAgentLink *l, const GError *error, gpointer user_data)
{
	MhpEngine *e = user_data;
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "error", json_object_new_string(error->message));
	engine_event(e, "agent-link-lost", f);
}

/* ---- boot, baseline, the plan ---- */

static void boot_failed(MhpEngine *e, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void boot_failed(MhpEngine *e, const char *fmt, ...)
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

	if (!e)
		return;
	if (error) {
		boot_failed(e, "baseline snapshot: %s", error->message);
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
	engine_event(e, "running", NULL);
	schedule_step(e);
}

static void send_hello(MhpEngine *e);

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
	json_object_object_add(o, "seed", json_object_new_uint64(e->seed));
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

static void on_hello(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	MhpEngine *e = ctx_take(user_data, NULL);
	g_autoptr(GError) err = NULL;
	struct json_object *v;

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
	json_object_put(e->hello);
	e->hello = json_object_get(ok);
	if (!json_object_object_get_ex(ok, "block_size", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) <= 0 || (json_object_get_int64(v) & (json_object_get_int64(v) - 1))) {
		boot_failed(e, "the agent reports no valid block_size");
		return;
	}
	e->block_size = (guint64)json_object_get_int64(v);
	if (!mhp_scenario_check_guest(e->s, e->block_size, &err)) {
		boot_failed(e, "%s", err->message);
		return;
	}
	write_run_json(e);
	e->phase = MHP_PHASE_BASELINE;
	emit_progress(e);
	if (json_object_object_get_ex(ok, "page_size", &v) && json_object_is_type(v, json_type_int))
		e->page_size = (guint)json_object_get_int(v);
	if (e->page_size != 4096 && e->page_size != 16384 && e->page_size != 65536) {
		boot_failed(e, "the agent reports no valid page_size");
		return;
	}
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
		boot_failed(e, "%s", error->message);
		return;
	}
	e->phase = MHP_PHASE_HELLO;
	emit_progress(e);
	e->boot_deadline = engine_now(e) + (gint64)e->s->guest.boot_timeout_ms * 1000;
	send_hello(e);
}

static const MhpBackendCallbacks backend_cb = {
	.started = backend_started,
	.hotplug = backend_hotplug,
	.event = backend_event,
	.log = backend_log,
	.console_line = backend_console,
	.exited = backend_exited,
};

static void boot(MhpEngine *e)
{
	MhpBackendConfig cfg = {
		.scenario = e->s,
		.kernel = e->opts.kernel,
		.initrd = e->opts.initrd,
		.results_dir = mhp_results_dir(e->results),
		.gdb = e->opts.gdb,
		.connect = e->opts.connect,
		.domain = e->opts.domain,
	};

	mhp_backend_free(e->backend);
	e->backend = NULL;
	/* the old guest's agent socket is gone with it */
	mhp_agent_link_disconnect(e->agent);
	g_clear_pointer(&e->hello, json_object_put);
	g_clear_pointer(&e->baseline, json_object_put);
	e->measuring = FALSE;
	e->rebaseline = FALSE;
	e->guest_gone = FALSE;
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
	e->backend = mhp_backend_new(e->opts.backend, e->ctx, &cfg, e->agent, &backend_cb, e);
	emit_progress(e);
	e->backend->ops->start(e->backend);
}

static Dimm *pick_free_slot(MhpEngine *e)
{
	guint n = e->s->guest.slots;
	guint start = e->s->pattern == MHP_PATTERN_SEQUENTIAL ? 0
		      : e->s->pattern == MHP_PATTERN_RANDOM ? (guint)g_rand_int_range(e->rand, 0, (gint32)n)
							    : (guint)(e->next_rr_slot % n);

	for (guint i = 0; i < n; i++) {
		Dimm *d = &e->slots[(start + i) % n];
		if (d->state == DIMM_FREE && !d->eject_pending) {
			e->next_rr_slot = (guint64)d->slot + 1;
			return d;
		}
	}
	/* a slot whose final eject OST is late is still usable once it comes */
	for (guint i = 0; i < n; i++)
		if (e->slots[(start + i) % n].state == DIMM_FREE)
			return &e->slots[(start + i) % n];
	return NULL;
}

static gboolean more_cycles(MhpEngine *e)
{
	if (e->stopping || e->fatal || e->restart_pending)
		return FALSE;
	if (e->duration_ms && (guint64)((engine_now(e) - e->t0) / 1000) >= e->duration_ms)
		return FALSE;
	if (e->cycles_planned && e->started_cycles >= e->cycles_planned)
		return FALSE;
	return TRUE;
}

static void on_end_snapshot(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	MhpEngine *e = ctx_take(user_data, NULL);

	if (!e)
		return;
	if (!error) {
		remember_snapshot(e, ok);
		save_snapshot(e, "end", ok);
	}
	e->phase = MHP_PHASE_SHUTDOWN;
	e->state = MHP_ENGINE_STOPPING;
	emit_progress(e);
	e->shutting_down = TRUE;
	e->backend->ops->stop(e->backend); /* exited -> step -> finish */
}

static void run_case_offline_boot(MhpEngine *e, Dimm *d);

/* After a slot got stuck: what is left in the guest becomes the new baseline. */
static void on_rebaseline(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	MhpEngine *e = ctx_take(user_data, NULL);
	struct json_object *f;

	if (!e)
		return;
	e->measuring = FALSE;
	if (error) {
		e->fatal = TRUE;
		e->fatal_msg = g_strdup_printf("re-baseline snapshot: %s", error->message);
		schedule_step(e);
		return;
	}
	f = json_object_new_object();
	json_object_object_add(f, "MemTotal_before", json_object_new_int64((int64_t)memtotal_kb(e->baseline)));
	json_object_object_add(f, "MemTotal_after", json_object_new_int64((int64_t)memtotal_kb(ok)));
	engine_event(e, "rebaseline", f);
	json_object_put(e->baseline);
	e->baseline = json_object_get(ok);
	e->rebaseline = FALSE;
	schedule_step(e);
}

static void step(MhpEngine *e)
{
	Dimm *d;

	if (e->finished || e->cur || e->measuring || e->collecting || e->held)
		return;
	if (e->restart_pending && !e->plugged.length && !e->stopping) {
		e->restart_pending = FALSE;
		e->restarting = TRUE;
	}
	if (e->restarting) {
		if (e->backend && e->backend->ops->is_running(e->backend)) {
			e->shutting_down = TRUE;
			e->backend->ops->stop(e->backend);
			return;
		}
		e->restarting = FALSE;
		e->shutting_down = FALSE;
		engine_event(e, "restart-guest", NULL);
		boot(e);
		return;
	}
	if (e->fatal) {
		if (e->backend && e->backend->ops->is_running(e->backend)) {
			e->shutting_down = TRUE;
			e->backend->ops->stop(e->backend);
			return;
		}
		finish_run(e);
		return;
	}
	if (!e->hello || !e->baseline)
		return; /* still booting */
	if (more_cycles(e)) {
		gboolean room = e->plugged.length < e->s->dimm.concurrent;
		const MhpCase *k = e->s->cases->len ? g_ptr_array_index(e->s->cases, e->started_cycles % e->s->cases->len)
						    : NULL;

		if (room && e->rebaseline && !e->plugged.length) {
			e->phase = MHP_PHASE_REBASELINE;
			e->measuring = TRUE; /* no other step until the snapshot is in */
			mhp_agent_link_call(e->agent, "snapshot", snapshot_args(e), (guint)e->s->timeouts.agent_ms,
					    on_rebaseline, ctx_new(e, NULL));
			return;
		}
		if (room && (d = pick_free_slot(e))) {
			if (k && k->action == MHP_CASE_OFFLINE_BOOT) {
				run_case_offline_boot(e, d);
				return;
			}
			begin_plug(e, d, k);
			return;
		}
	}
	if (e->plugged.length) {
		/* remove one: the oldest, or a random one */
		guint idx = e->s->pattern == MHP_PATTERN_RANDOM ? (guint)g_rand_int_range(e->rand, 0, (gint32)e->plugged.length) : 0;
		begin_unplug(e, g_queue_peek_nth(&e->plugged, idx));
		return;
	}
	if (more_cycles(e)) {
		/* every slot is stuck */
		e->fatal = TRUE;
		e->fatal_msg = g_strdup("no usable DIMM slot is left (each is stuck; see events.jsonl)");
		schedule_step(e);
		return;
	}
	/* done: end snapshot, then shut the guest down */
	if (e->backend->ops->is_running(e->backend)) {
		if (e->state == MHP_ENGINE_STOPPING)
			return; /* waiting for exited */
		e->state = MHP_ENGINE_STOPPING;
		e->phase = MHP_PHASE_END_SNAPSHOT;
		emit_progress(e);
		mhp_agent_link_call(e->agent, "snapshot", snapshot_args_full(e, TRUE), (guint)e->s->timeouts.agent_ms,
				    on_end_snapshot, ctx_new(e, NULL));
		e->cur = NULL;
		return;
	}
	finish_run(e);
}

static gboolean on_idle_step(gpointer user_data)
{
	MhpEngine *e = user_data;

	g_source_unref(e->idle);
	e->idle = NULL;
	step(e);
	return G_SOURCE_REMOVE;
}

/* Steps run from an idle source: no recursion through long cycles. */
void schedule_step(MhpEngine *e)
{
	if (e->idle || e->finished)
		return;
	e->idle = g_idle_source_new();
	g_source_set_callback(e->idle, on_idle_step, e, NULL);
	g_source_attach(e->idle, e->ctx);
}

/* ---- the offline-boot case ---- */

static void on_boot_offline(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);
	struct json_object *res, *r, *en;

	if (!e)
		return;
	phase_end(e, d, MHP_PHASE_OFFLINE);
	if (!agent_failed(d, error, "offline of boot memory") && json_object_object_get_ex(ok, "results", &res) &&
	    (r = json_object_array_get_idx(res, 0)) && json_object_object_get_ex(r, "errno", &en) && json_object_get_int(en)) {
		set_failure(d, MHP_FAIL_OFFLINE, json_object_get_int(en), "offline of boot block %" G_GUINT64_FORMAT
			    " failed: %s", d->first_block, g_strerror(json_object_get_int(en)));
	}
	/* nothing was plugged; if the offline succeeded, put the block back */
	if (!d->failure) {
		struct json_object *a = json_object_new_object();
		json_object_object_add(a, "blocks", block_list(d));
		mhp_agent_link_call(e->agent, "online", a, (guint)e->s->timeouts.online_ms, NULL, NULL);
	}
	g_queue_remove(&e->plugged, d);
	write_cycle(e, d);
	d->state = DIMM_FREE;
	e->cur = NULL;
	schedule_step(e);
}

static void run_case_offline_boot(MhpEngine *e, Dimm *d)
{
	const MhpCase *k = g_ptr_array_index(e->s->cases, e->started_cycles % e->s->cases->len);
	struct json_object *a = json_object_new_object();

	e->started_cycles++;
	dimm_reset(d);
	d->state = DIMM_PLUGGING;
	d->cycle = e->started_cycles;
	d->kase = k;
	d->data = json_object_new_object();
	d->t_start = engine_now(e);
	g_strlcpy(d->spec.id, "boot-memory", sizeof(d->spec.id));
	/* the first boot block above block 0 holds the kernel on arm64 virt */
	d->first_block = (1ull << 30) / e->block_size;
	d->nblocks = 1;
	g_queue_push_tail(&e->plugged, d);
	e->cur = d;
	phase_begin(e, d, MHP_PHASE_OFFLINE);
	json_object_object_add(a, "blocks", block_list(d));
	json_object_object_add(a, "timeout_ms", json_object_new_int64((int64_t)e->s->timeouts.offline_ms));
	mhp_agent_link_call(e->agent, "offline", a, (guint)e->s->timeouts.offline_ms + 5000, on_boot_offline,
			    ctx_new(e, d));
}

/* ---- summary ---- */

static void write_summary(MhpEngine *e, int exit_code, const char *message, struct json_object *trends)
{
	static const MhpVerdict verdicts[] = { MHP_VERDICT_PASS, MHP_VERDICT_FAIL, MHP_VERDICT_ERROR };
	MhpSummary sum = {
		.verdict = verdicts[CLAMP(exit_code, 0, 2)],
		.message = message,
		.cycles = e->finished_cycles,
		.failed_cycles = e->failed_cycles,
		.trends = trends,
		.evidence = e->evidence_taken,
		.seed = e->seed,
		.elapsed_ms = (engine_now(e) - e->t0) / 1000,
		.stopped = e->stopping,
	};
	g_autoptr(GError) err = NULL;

	memcpy(sum.failures, e->failures, sizeof(sum.failures));
	for (int ph = 0; ph < _MHP_PHASE_MAX; ph++)
		mhp_latency_from_samples(e->latencies[ph], &sum.latency[ph]);
	mhp_latency_from_samples(e->cycle_latency, &sum.cycle_latency);
	if (e->last_snapshot)
		json_object_object_get_ex(e->last_snapshot, "stressors", &sum.stressors);
	mhp_summary_write(mhp_results_dir(e->results), &sum, &err);
}

static void finish_run(MhpEngine *e)
{
	guint leaks = 0;
	struct json_object *trends = mhp_trends_to_json(e->trends, &leaks);
	int code;

	if (e->finished) {
		json_object_put(trends);
		return;
	}
	if (leaks) /* a trend that says memory leaks fails the run */
		e->failures[MHP_FAIL_LEAK] = leaks;
	code = e->fatal && !e->finished_cycles ? 2
	       : (e->failed_cycles || (e->fatal && !e->fatal_expected) || leaks) ? 1 : 0;
	e->finished = TRUE;
	e->state = MHP_ENGINE_DONE;
	e->phase = MHP_PHASE_NONE;
	cancel_wait(e);
	write_summary(e, code, e->fatal_msg, trends);
	json_object_put(trends);
	emit_progress(e);
	if (e->cb.finished)
		e->cb.finished(e, code, e->fatal_msg, e->user_data);
}

/* ---- public ---- */

void mhp_run_options_copy(MhpRunOptions *dst, const MhpRunOptions *src)
{
	*dst = *src;
	dst->kernel = g_strdup(src->kernel);
	dst->initrd = g_strdup(src->initrd);
	dst->results_dir = g_strdup(src->results_dir);
	dst->gdb = g_strdup(src->gdb);
	dst->connect = g_strdup(src->connect);
	dst->domain = g_strdup(src->domain);
}

void mhp_run_options_clear(MhpRunOptions *o)
{
	g_clear_pointer(&o->kernel, g_free);
	g_clear_pointer(&o->initrd, g_free);
	g_clear_pointer(&o->results_dir, g_free);
	g_clear_pointer(&o->gdb, g_free);
	g_clear_pointer(&o->connect, g_free);
	g_clear_pointer(&o->domain, g_free);
}

MhpEngine *mhp_engine_new(GMainContext *ctx, const MhpScenario *s, const MhpRunOptions *opts,
			  const MhpEngineCallbacks *cb, gpointer user_data)
{
	MhpEngine *e = g_new0(MhpEngine, 1);
	static const MhpAgentLinkCallbacks acb = { .event = agent_event, .log = agent_log, .lost = agent_lost };

	e->ctx = ctx ? g_main_context_ref(ctx) : g_main_context_ref_thread_default();
	e->s = s;
	mhp_run_options_copy(&e->opts, opts);
	if (!e->opts.backend)
		e->opts.backend = mhp_backend_class_find("qemu");
	e->cb = *cb;
	e->user_data = user_data;
	e->slots = g_new0(Dimm, s->guest.slots);
	for (guint i = 0; i < s->guest.slots; i++)
		e->slots[i].slot = (int)i;
	g_queue_init(&e->plugged);
	g_queue_init(&e->console_tail);
	e->agent = mhp_agent_link_new(e->ctx, &acb, e);
	mhp_agent_link_set_clock(e->agent, e->opts.clock);
	e->trends = mhp_trends_new();
	mhp_acct_bands_default(&e->bands);
	e->bands.struct_page_size = s->verify.struct_page_size;
	e->bands.page_tables_kb = s->verify.page_tables_band / 1024;
	e->bands.nr_page_table_pages = s->verify.nr_page_table_pages_band;
	e->bands.memfree_kb = s->verify.memfree_band / 1024;
	e->bands.stressed = s->stressors->len > 0;
	e->state = MHP_ENGINE_NEW;
	return e;
}

gboolean mhp_engine_start(MhpEngine *e, GError **error)
{
	const MhpScenario *s = e->s;

	e->results = mhp_results_open(e->opts.results_dir, error);
	if (!e->results)
		return FALSE;
	e->seed = e->opts.have_seed ? e->opts.seed : s->seed ? s->seed : (guint64)g_random_int() << 32 | g_random_int();
	e->rand = g_rand_new_with_seed_array((const guint32[]){ (guint32)e->seed, (guint32)(e->seed >> 32) }, 2);
	e->duration_ms = e->opts.duration_ms >= 0 ? (guint64)e->opts.duration_ms : s->duration_ms;
	e->cycles_planned = e->opts.cycles >= 0 ? (guint64)e->opts.cycles
			    : s->cycles ? s->cycles : s->cases->len;
	if (s->cases->len && e->opts.cycles < 0 && !s->duration_ms)
		e->cycles_planned = s->cases->len;
	e->t0 = engine_now(e);
	e->watchdog_src = engine_timeout_source(e, 1000);
	g_source_set_callback(e->watchdog_src, engine_watchdog, e, NULL);
	g_source_attach(e->watchdog_src, e->ctx);
	boot(e);
	return TRUE;
}

void mhp_engine_stop(MhpEngine *e)
{
	if (e->held) {
		/* the debugger is done: end the run, the VM with it; the cycles
		 * still open end with the failure that held them */
		e->held = FALSE;
		close_open_cycles(e, MHP_FAIL_QEMU_EXITED, "the run was stopped while the VM was held paused", FALSE);
		e->fatal = TRUE;
		if (!e->fatal_msg)
			e->fatal_msg = g_strdup("stopped while paused after a failure");
		schedule_step(e);
		return;
	}
	if (e->finished || e->stopping)
		return;
	e->stopping = TRUE;
	engine_event(e, "stop-requested", NULL);
	if (!e->hello)
		e->fatal = TRUE; /* nothing to clean up in the guest yet */
	if (e->wait == WAIT_HOLD) {
		cancel_wait(e);
		after_hold(e, e->cur);
		return;
	}
	schedule_step(e);
}

const char *mhp_engine_results_dir(MhpEngine *e)
{
	return e->opts.results_dir;
}

guint64 mhp_engine_seed(MhpEngine *e)
{
	return e->seed;
}

void mhp_engine_free(MhpEngine *e)
{
	if (!e)
		return;
	cancel_wait(e);
	if (e->watchdog_src) {
		g_source_destroy(e->watchdog_src);
		g_source_unref(e->watchdog_src);
	}
	if (e->idle) {
		g_source_destroy(e->idle);
		g_source_unref(e->idle);
	}
	g_queue_clear_full(&e->console_tail, g_free);
	json_object_put(e->last_snapshot);
	mhp_backend_free(e->backend);
	mhp_agent_link_free(e->agent);
	for (guint i = 0; i < e->s->guest.slots; i++)
		dimm_reset(&e->slots[i]);
	g_free(e->slots);
	g_queue_clear(&e->plugged);
	json_object_put(e->hello);
	json_object_put(e->baseline);
	mhp_trends_free(e->trends);
	mhp_results_close(e->results);
	if (e->rand)
		g_rand_free(e->rand);
	for (int ph = 0; ph < _MHP_PHASE_MAX; ph++)
		if (e->latencies[ph])
			g_array_unref(e->latencies[ph]);
	if (e->cycle_latency)
		g_array_unref(e->cycle_latency);
	g_free(e->fatal_msg);
	g_free(e->pending_kernel_detail);
	mhp_run_options_clear(&e->opts);
	g_main_context_unref(e->ctx);
	g_free(e);
}
