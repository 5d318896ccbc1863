// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * unplug.c - the removal half of a cycle: [unhog ->] offline -> del ->
 * eject-ost -> deleted -> eject-done -> object-del -> blocks-gone ->
 * verify-removed; refusals, stuck slots, and the end of the cycle with the
 * scenario's policy. device_del is never sent before the insert OST. In
 * race mode (a light cycle) blocks-gone starts at DEVICE_DELETED and runs
 * beside eject-done and object-del.
 */
#include <errno.h>
#include <string.h>

#define OST_EJECTING 0x84
#define CLEANUP_OFFLINE_MS 10000

#include "engine-private.h"

/* The cycle is over: record it and apply the scenario's policy to a failure. */
void unplug_finished(MhpEngine *e, Dimm *d)
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
	if (!snapshot_failed(e, d, ok, error, "snapshot after removal"))
		verify_removed(e, d, ok);
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
	if (verify_is_light(e, d)) {
		if (!error)
			verify_light(e, d, ok, FALSE);
		phase_end(e, d, MHP_PHASE_VERIFY_REMOVED);
		d->gone_answered = TRUE;
		/* asked at DEVICE_DELETED: the cycle ends when object-del has returned too */
		if (!d->gone_asked || d->released)
			unplug_finished(e, d);
		return;
	}
	mhp_agent_link_call(e->agent, "snapshot", snapshot_args(e), (guint)e->s->timeouts.agent_ms, on_verify_removed,
			    ctx_new(e, d));
}

static void wait_blocks_gone(MhpEngine *e, Dimm *d)
{
	struct json_object *a;

	phase_begin(e, d, MHP_PHASE_BLOCKS_GONE);
	a = wait_blocks_args(e, d, FALSE);
	if (verify_is_light(e, d))
		json_object_object_add(a, "report", json_object_new_boolean(TRUE));
	mhp_agent_link_call(e->agent, "wait-blocks", a, (guint)e->s->timeouts.blocks_ms + 5000,
			    on_blocks_gone, ctx_new(e, d));
}

static void on_released(MhpBackend *b, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);

	if (!e)
		return;
	phase_end(e, d, MHP_PHASE_OBJECT_DEL);
	d->released = TRUE;
	if (error)
		set_failure(d, MHP_FAIL_QMP_ERROR, 0, "%s", error->message);
	if (!d->nblocks) {
		unplug_finished(e, d);
		return;
	}
	if (d->gone_asked) {
		if (d->gone_answered)
			unplug_finished(e, d);
		return;
	}
	wait_blocks_gone(e, d);
}

void release(MhpEngine *e, Dimm *d)
{
	phase_begin(e, d, MHP_PHASE_OBJECT_DEL);
	e->backend->ops->release(e->backend, &d->spec, on_released, ctx_new(e, d));
}

void eject_done(MhpEngine *e, Dimm *d)
{
	cancel_wait(e);
	phase_end(e, d, MHP_PHASE_EJECT_DONE);
	release(e, d);
}

void deleted_seen(MhpEngine *e, Dimm *d)
{
	cancel_wait(e);
	phase_end(e, d, MHP_PHASE_DELETED);
	d->deleted = TRUE;
	/*
	 * Race mode: the guest removed the blocks before its _EJ0, which is
	 * what DEVICE_DELETED reports, so their absence is asked for now, while
	 * the trailing OST and object-del go on, not after them.
	 */
	if (d->nblocks && !d->cleanup && !d->gone_asked && verify_is_light(e, d)) {
		d->gone_asked = TRUE;
		wait_blocks_gone(e, d);
	}
	phase_begin(e, d, MHP_PHASE_EJECT_DONE);
	if (!d->eject_pending) {
		eject_done(e, d);
		return;
	}
	wait_for(e, WAIT_EJECT_DONE, e->s->timeouts.eject_ms);
}

void stuck(MhpEngine *e, Dimm *d, const char *why)
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
void refusal_seen(MhpEngine *e, Dimm *d)
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

void eject_ost_seen(MhpEngine *e, Dimm *d)
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

static void offline_blocks(MhpEngine *e, Dimm *d)
{
	/* memory the kernel has used (Normal zone) may never offline: a cleanup tries briefly */
	guint64 ms = d->cleanup ? MIN(e->s->timeouts.offline_ms, CLEANUP_OFFLINE_MS) : e->s->timeouts.offline_ms;

	phase_begin(e, d, MHP_PHASE_OFFLINE);
	mhp_agent_link_call(e->agent, "offline", blocks_args(d, ms), (guint)ms + 5000, on_offline, ctx_new(e, d));
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

void begin_unplug(MhpEngine *e, Dimm *d)
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
