// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * record.c - the engine's bookkeeping, below every other engine file: the
 * clock, progress, events.jsonl and cycles.jsonl records, phase times, a
 * cycle's failure, callback tokens, waits, the scheduling of steps and the
 * arguments of agent requests. It calls no other engine file: a wait's
 * expiry and a step go up through MhpEngine.up.
 */
#include <string.h>

#include "engine-private.h"
#include "jsonget.h"

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
void phase_begin(MhpEngine *e, Dimm *d, MhpPhase ph)
{
	e->phase = ph;
	d->phases[ph] = (PhaseTimes){ .start_ns = run_ns(e), .begun = TRUE };
	emit_progress(e);
}

static void record_latency(MhpLatencyAcc **a, double ms)
{
	if (!*a)
		*a = mhp_latency_acc_new();
	mhp_latency_acc_add(*a, ms);
}

/*
 * A phase counts once per cycle in the latency samples, with its last run:
 * a phase run twice (device_del again after a refusal, a cleanup's second
 * offline) would otherwise weigh twice, and its first try is the one
 * cycles.jsonl no longer shows. The sample is taken when the phase ends, so
 * a cycle that never gets written (the run stopped) still counts, and a
 * later run of the phase replaces it.
 */
void phase_end(MhpEngine *e, Dimm *d, MhpPhase ph)
{
	PhaseTimes *t = &d->phases[ph];
	double ms;

	if (!t->begun || t->ended)
		return;
	t->end_ns = run_ns(e);
	t->ended = TRUE;
	ms = (t->end_ns - t->start_ns) / 1e6;
	if (d->latency_taken[ph]) {
		mhp_latency_acc_replace(e->latencies[ph], d->latency_ms[ph], ms);
		d->latency_ms[ph] = ms;
		return;
	}
	record_latency(&e->latencies[ph], ms);
	d->latency_ms[ph] = ms;
	d->latency_taken[ph] = TRUE;
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

/* A wait's deadline passed: the wait is over, and what the flow had in
 * flight for it is stale. events.c decides what that means. */
static gboolean on_wait_timeout(gpointer user_data)
{
	MhpEngine *e = user_data;
	WaitKind w = e->wait;

	g_source_unref(e->wait_src);
	e->wait_src = NULL;
	e->wait = WAIT_NONE;
	e->seq++; /* anything still in flight for this step is stale now */
	e->up->wait_expired(e, w);
	return G_SOURCE_REMOVE;
}

void wait_for(MhpEngine *e, WaitKind kind, guint64 ms)
{
	cancel_wait(e);
	e->wait = kind;
	e->wait_src = engine_timeout_source(e, (guint)MIN(ms, G_MAXUINT));
	g_source_set_callback(e->wait_src, on_wait_timeout, e, NULL);
	g_source_attach(e->wait_src, e->ctx);
}

static gboolean on_idle_step(gpointer user_data)
{
	MhpEngine *e = user_data;

	g_source_unref(e->idle);
	e->idle = NULL;
	e->up->step(e); /* engine.c */
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

static gboolean errno_expected(const MhpCase *k, int err)
{
	if (!k->expect_errno || !k->expect_errno->len)
		return TRUE;
	for (guint i = 0; i < k->expect_errno->len; i++)
		if (g_array_index(k->expect_errno, int, i) == err)
			return TRUE;
	return FALSE;
}

/*
 * Only cycles.jsonl and summary.json end the run: they are what the run is
 * for. A lost events.jsonl line is counted (summary.json "events_lost")
 * and the run goes on; when the disk is full, the next cycle's record or
 * the free-space check before it ends the run.
 */
void results_failed(MhpEngine *e, const GError *err)
{
	if (!e->results_failed) {
		e->results_failed = TRUE;
		g_free(e->fatal_msg);
		e->fatal_msg = g_strdup(err->message);
	}
	e->fatal = TRUE;
	schedule_step(e);
}

gboolean results_room(MhpEngine *e)
{
	g_autoptr(GError) err = NULL;

	if (mhp_results_check_space(e->results, &err))
		return TRUE;
	results_failed(e, err);
	return FALSE;
}

gboolean write_cycle(MhpEngine *e, Dimm *d)
{
	struct json_object *o = json_object_new_object();
	MhpFailClass cls = d->failure;
	MhpFailClass verdict = cls;
	double cycle_ms = (engine_now(e) - d->t_start) / 1000.0;
	g_autoptr(GError) err = NULL;

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
	json_object_object_add(o, "cycle_ms", mhp_json_new_double(cycle_ms));
	json_object_object_add(o, "phases", phases_to_json(d));
	json_object_object_add(o, "verify", json_object_get(d->data));
	/* a failed cycle's evidence: the whole messages events.jsonl elided around it */
	if (cls != MHP_FAIL_NONE)
		mhp_results_flush_held(e->results);
	if (!mhp_results_append_cycle(e->results, o, &err))
		results_failed(e, err);
	else if (e->cb.cycle)
		e->cb.cycle(e, o, e->user_data);
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

void dimm_reset(Dimm *d)
{
	int slot = d->slot;
	gboolean eject_pending = d->eject_pending;
	DimmState st = d->state;

	json_object_put(d->data);
	g_free(d->detail);
	g_free(d->query_error);
	memset(d, 0, sizeof(*d));
	d->slot = slot;
	d->eject_pending = eject_pending;
	d->state = st == DIMM_STUCK ? DIMM_STUCK : DIMM_FREE;
}

/*
 * The cycle's verdict is decided: write it, apply the policy. The DIMM may
 * still be plugged (a failure mid-cycle): then it is removed as cleanup.
 */
void cycle_failed(MhpEngine *e, Dimm *d)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "cycle", json_object_new_int64((int64_t)d->cycle));
	json_object_object_add(f, "class", json_object_new_string(d->failure ? mhp_fail_class_to_string(d->failure) : "?"));
	engine_event(e, "failure", f);
}

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

/* ---- requests to the agent ---- */

struct json_object *block_list(Dimm *d)
{
	struct json_object *a = json_object_new_array();

	for (guint64 i = 0; i < d->nblocks; i++)
		json_object_array_add(a, json_object_new_int64((int64_t)(d->first_block + i)));
	return a;
}

struct json_object *blocks_args(Dimm *d, guint64 timeout_ms)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "blocks", block_list(d));
	json_object_object_add(a, "timeout_ms", json_object_new_int64((int64_t)timeout_ms));
	return a;
}

struct json_object *wait_blocks_args(MhpEngine *e, Dimm *d, gboolean present)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "phys_start", json_object_new_int64((int64_t)(d->first_block * e->block_size)));
	json_object_object_add(a, "size", json_object_new_int64((int64_t)(d->nblocks * e->block_size)));
	if (!present)
		json_object_object_add(a, "present", json_object_new_boolean(FALSE));
	json_object_object_add(a, "timeout_ms", json_object_new_int64((int64_t)e->s->timeouts.blocks_ms));
	return a;
}

/* @full: one of the snapshots kept whole (baseline, plugged-1, end): raw ptdump too */
struct json_object *snapshot_args_full(MhpEngine *e, gboolean full)
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

struct json_object *snapshot_args(MhpEngine *e)
{
	return snapshot_args_full(e, FALSE);
}

void remember_snapshot(MhpEngine *e, struct json_object *snap)
{
	json_object_put(e->last_snapshot);
	e->last_snapshot = json_object_get(snap);
}

void save_snapshot(MhpEngine *e, const char *name, struct json_object *snap)
{
	g_autofree char *rel = g_strdup_printf(MHP_RESULTS_SNAPSHOTS "/%s.json", name);
	g_autoptr(GError) err = NULL;

	if (!mhp_results_write_json(e->results, rel, snap, &err))
		engine_event(e, "snapshot-not-saved", NULL);
}
