// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * events.c - what comes to the engine unasked: the backend's hotplug
 * events (ACPI_DEVICE_OST, DEVICE_DELETED, DEVICE_UNPLUG_GUEST_ERROR),
 * its exit, console lines and protocol log; the agent's kmsg events; the
 * expiry of the engine's waits; and the hang watchdog. Each is matched to
 * the DIMM and wait it concerns and continues plug.c or unplug.c.
 */
#include <string.h>

#define OST_EJECTING 0x84

#include "engine-private.h"
#include "failure.h"

/* A wait's deadline passed (record.c took the wait down): what it means. */
void events_wait_expired(MhpEngine *e, WaitKind w)
{
	Dimm *d = e->cur;

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
}

static Dimm *dimm_by_id(MhpEngine *e, const char *id)
{
	for (guint i = 0; id && i < e->s->guest.slots; i++)
		if (e->slots[i].state != DIMM_FREE && strcmp(e->slots[i].spec.id, id) == 0)
			return &e->slots[i];
	return NULL;
}

static gboolean refused_status(int st)
{
	return st == 0x1 || st == 0x80 || st == 0x81 || st == 0x82 || st == 0x83;
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

	/* events whole; a big return as a stand-in (docs/results-format.md) */
	mhp_results_append_message(e->results, source, msg);
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
	evidence_console_line(e, line);
	if (e->hello && (cls = mhp_failure_classify(line)) != MHP_FAIL_NONE) {
		g_autofree char *detail = g_strdup_printf("console: %.200s", line);
		kernel_failure(e, cls, detail);
	}
}

static void backend_exited(MhpBackend *b, const char *how, gpointer user_data)
{
	MhpEngine *e = user_data;
	struct json_object *f = json_object_new_object();
	gboolean cycles_open = !e->finished && !e->restarting && !e->shutting_down;

	json_object_object_add(f, "how", json_object_new_string(how));
	engine_event(e, "qemu-exited", f);
	if (cycles_open) {
		/* Close the open cycles as qemu-exited before the agent's
		 * requests fail: the new seq makes their callbacks stale, so a
		 * request in flight does not turn the cycle into agent-lost. */
		cancel_wait(e);
		e->seq++;
		close_open_cycles(e, MHP_FAIL_QEMU_EXITED, how, FALSE);
		if (e->s->on_failure == MHP_ON_FAILURE_RESTART_GUEST && !e->stopping) {
			e->restarting = TRUE;
		} else {
			e->fatal = TRUE;
			g_free(e->fatal_msg);
			e->fatal_msg = g_strdup(how);
		}
	}
	mhp_agent_link_cancel_all(e->agent, how);
	if (!e->finished)
		schedule_step(e);
}

/*
 * A restarted agent reads /dev/kmsg from its start: records this boot's
 * kernel logged before carry a seq we have seen. Each is charged once; the
 * highest seq is per boot (boot() resets it), not per agent connection.
 */
/*
 * A kernel log storm (a WARN in a loop) must not fill the disk: at most
 * KMSG_LOGGED_PER_S records a second go to events.jsonl; the rest are
 * counted, and the count is logged when the next second begins. Every
 * record is still classified.
 */
#define KMSG_LOGGED_PER_S 64

/* How many records the last second left out of events.jsonl, if any. */
void events_flush_kmsg(MhpEngine *e)
{
	struct json_object *f;

	if (!e->kmsg_unlogged)
		return;
	f = json_object_new_object();
	json_object_object_add(f, "records", json_object_new_int64((int64_t)e->kmsg_unlogged));
	json_object_object_add(f, "per_s", json_object_new_int(KMSG_LOGGED_PER_S));
	engine_event(e, "kmsg-unlogged", f);
	e->kmsg_unlogged = 0;
}

static void log_kmsg(MhpEngine *e, struct json_object *msg)
{
	gint64 now = engine_now(e);

	if (now - e->kmsg_window >= G_USEC_PER_SEC) {
		events_flush_kmsg(e);
		e->kmsg_window = now;
		e->kmsg_logged = 0;
	}
	if (e->kmsg_logged++ < KMSG_LOGGED_PER_S)
		mhp_results_append_event(e->results, "agent-in", msg);
	else
		e->kmsg_unlogged++;
}

static void agent_event(MhpAgentLink *l, const char *name, struct json_object *msg, gpointer user_data)
{
	MhpEngine *e = user_data;
	g_autoptr(GError) bad = NULL;
	MhpFailClass cls;
	MhpKmsg k;

	if (strcmp(name, "kmsg") != 0)
		return;
	if (!mhp_event_kmsg(msg, &k, &bad)) {
		mhp_agent_link_bad_message(l); /* enough of them drop the connection */
		return;
	}
	if (k.seq >= 0) {
		if (k.seq <= e->kmsg_seq)
			return; /* replayed after an agent restart */
		e->kmsg_seq = k.seq;
	}
	log_kmsg(e, msg);
	if (!k.match)
		return;
	cls = mhp_failure_classify(k.text);
	if (cls != MHP_FAIL_NONE && e->hello) {
		g_autofree char *detail = g_strdup_printf("kernel: %.200s", k.text);
		kernel_failure(e, cls, detail);
	}
}

static gboolean is_kmsg(struct json_object *msg)
{
	struct json_object *v;

	return json_object_object_get_ex(msg, "event", &v) && json_object_is_type(v, json_type_string) &&
	       strcmp(json_object_get_string(v), "kmsg") == 0;
}

static void agent_log(MhpAgentLink *l, gboolean incoming, struct json_object *msg, gpointer user_data)
{
	MhpEngine *e = user_data;

	if (incoming && is_kmsg(msg))
		return; /* agent_event logs it, once read and within the rate */
	/* a snapshot reply goes as a stand-in: cycles.jsonl has what was
	 * checked, snapshots/ the kept ones, and a failed cycle the whole
	 * replies (write_cycle() flushes the held ones) */
	mhp_results_append_message(e->results, incoming ? "agent-in" : "agent-out", msg);
}

static void agent_lost(MhpAgentLink *l, const GError *error, gpointer user_data)
{
	MhpEngine *e = user_data;
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "error", json_object_new_string(error->message));
	engine_event(e, "agent-link-lost", f);
}

const MhpBackendCallbacks engine_backend_events = {
	.hotplug = backend_hotplug,
	.event = backend_event,
	.log = backend_log,
	.console_line = backend_console,
	.exited = backend_exited,
};

const MhpAgentLinkCallbacks engine_agent_events = {
	.event = agent_event,
	.log = agent_log,
	.lost = agent_lost,
};

/* A hang: no word from the agent (it sends a heartbeat every second) and a
 * silent console, both for [timeouts] hang. */
gboolean engine_watchdog(gpointer user_data)
{
	MhpEngine *e = user_data;
	gint64 now = engine_now(e), limit = (gint64)e->s->timeouts.hang_ms * 1000;
	gint64 agent = mhp_agent_link_last_seen(e->agent);

	/* a held or ending run paused the guest itself: silence is expected */
	if (!e->hello || e->collecting || e->held || e->fatal || e->guest_gone || e->finished || e->shutting_down ||
	    !e->backend->ops->is_running(e->backend))
		return G_SOURCE_CONTINUE;
	if (now - agent > limit && now - e->console_last_us > limit) {
		g_autofree char *detail = g_strdup_printf("no agent heartbeat and a silent console for %" G_GINT64_FORMAT " s",
							  (now - MAX(agent, e->console_last_us)) / 1000000);
		kernel_failure(e, MHP_FAIL_HANG, detail);
	}
	return G_SOURCE_CONTINUE;
}
