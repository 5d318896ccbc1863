// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * plug.c - the plug half of a cycle: [inject hostile ->] add -> ost ->
 * query -> blocks -> online [-> hog] -> verify-online [-> inject] -> hold;
 * and the offline-boot case. A failure hands the DIMM to unplug.c for
 * cleanup.
 */
#include <errno.h>
#include <string.h>

#include "engine-private.h"

/* Remove it. begin_unplug decides what can still be done. */
static void plug_failed(MhpEngine *e, Dimm *d)
{
	cycle_failed(e, d);
	d->cleanup = TRUE;
	begin_unplug(e, d);
}

void after_hold(MhpEngine *e, Dimm *d)
{
	phase_end(e, d, MHP_PHASE_HOLD);
	d->state = DIMM_ONLINE;
	e->cur = NULL;
	schedule_step(e);
}

static void start_hold(MhpEngine *e, Dimm *d);

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

static void on_verify_snapshot(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);

	if (!e)
		return;
	if (snapshot_failed(e, d, ok, error, "snapshot after online")) {
		verify_online_done(e, d);
		return;
	}
	verify_plugged(e, d, ok);
	if (d->cycle == 1 && !d->kase)
		save_snapshot(e, "plugged-1", ok);
	verify_online_done(e, d);
}

static void on_verify_blocks(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);

	if (!e)
		return;
	if (agent_failed(d, error, "blocks after online")) {
		verify_online_done(e, d);
		return;
	}
	verify_online_blocks(d, ok);
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

static void wait_blocks_present(MhpEngine *e, Dimm *d);

/* Every block of an online reply was ENOENT: none of them exists yet. */
static gboolean all_missing(struct json_object *ok)
{
	g_autoptr(GArray) res = NULL;

	if (!mhp_reply_block_results(ok, &res, NULL) || !res->len)
		return FALSE;
	for (guint i = 0; i < res->len; i++)
		if (g_array_index(res, MhpBlockResult, i).err != ENOENT)
			return FALSE;
	return TRUE;
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
	if (verify_is_light(e, d) && !d->blocks_waited && all_missing(ok)) {
		d->blocks_waited = TRUE;
		wait_blocks_present(e, d);
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
	if (verify_is_light(e, d)) {
		verify_light(e, d, ok, TRUE);
		verify_online_done(e, d);
		return;
	}
	mhp_agent_link_call(e->agent, "blocks", NULL, (guint)e->s->timeouts.agent_ms, on_verify_blocks, ctx_new(e, d));
}

static void start_online(MhpEngine *e, Dimm *d);
static void on_blocks(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data);

static void wait_blocks_present(MhpEngine *e, Dimm *d)
{
	phase_begin(e, d, MHP_PHASE_BLOCKS);
	mhp_agent_link_call(e->agent, "wait-blocks", wait_blocks_args(e, d, TRUE), (guint)e->s->timeouts.blocks_ms + 5000,
			    on_blocks, ctx_new(e, d));
}

static void on_blocks(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);

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
	start_online(e, d);
}

static void start_online(MhpEngine *e, Dimm *d)
{
	struct json_object *a;

	phase_begin(e, d, MHP_PHASE_ONLINE);
	a = blocks_args(d, e->s->timeouts.online_ms);
	json_object_object_add(a, "zone", json_object_new_string(mhp_zone_state(d->zone)));
	if (verify_is_light(e, d))
		json_object_object_add(a, "report", json_object_new_boolean(TRUE));
	mhp_agent_link_call(e->agent, "online", a, (guint)e->s->timeouts.online_ms + 5000, on_online, ctx_new(e, d));
}

/* The insert OST said 0 and the DIMM's address is known: wait for its blocks. */
static void plug_located(MhpEngine *e, Dimm *d)
{
	if (d->query_error) {
		set_failure(d, MHP_FAIL_QMP_ERROR, 0, "query-memory-devices: %s", d->query_error);
		plug_failed(e, d);
		return;
	}
	/* a misaligned DIMM still names the blocks it would cover */
	d->first_block = d->addr / e->block_size;
	d->nblocks = MAX((d->addr + d->query_size + e->block_size - 1) / e->block_size - d->first_block, 1);
	/* race mode: the guest made the blocks before its insert OST, so online
	 * them at once; a block not there yet sends the cycle to wait for them */
	if (verify_is_light(e, d))
		start_online(e, d);
	else
		wait_blocks_present(e, d);
}

/*
 * query-memory-devices goes out as soon as device_add returns, while the
 * guest works towards its insert OST: QEMU knows the address from then on,
 * and the cycle saves a round trip. Monitor replies come in order, so a
 * reply for a plug that failed meanwhile comes before anything of its
 * cleanup, and is dropped.
 */
static void on_query_devices(MhpBackend *b, GArray *devs, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);

	if (!e)
		return;
	phase_end(e, d, MHP_PHASE_QUERY);
	d->query_pending = FALSE;
	if (d->state != DIMM_PLUGGING || d->cleanup)
		return;
	for (guint i = 0; devs && i < devs->len; i++) {
		MhpMemoryDevice *m = &g_array_index(devs, MhpMemoryDevice, i);
		if (strcmp(m->id, d->spec.id) == 0) {
			d->addr = m->addr;
			d->query_size = m->size;
		}
	}
	if (error || !d->query_size)
		d->query_error = g_strdup(error ? error->message : "the DIMM is not listed");
	if (d->ost_done)
		plug_located(e, d);
}

void insert_ost_seen(MhpEngine *e, Dimm *d)
{
	cancel_wait(e);
	phase_end(e, d, MHP_PHASE_OST);
	if (d->insert_status != 0) {
		set_failure(d, MHP_FAIL_ADD_NOT_SEEN, 0, "insert OST status 0x%x", d->insert_status);
		plug_failed(e, d);
		return;
	}
	d->ost_done = TRUE;
	if (!d->query_pending)
		plug_located(e, d);
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
	phase_begin(e, d, MHP_PHASE_QUERY);
	d->query_pending = TRUE;
	e->backend->ops->query_devices(e->backend, on_query_devices, ctx_new(e, d));
	if (d->insert_ost) {
		insert_ost_seen(e, d);
		return;
	}
	wait_for(e, WAIT_INSERT_OST, e->s->timeouts.add_ms);
}

static void plug_add(MhpEngine *e, Dimm *d)
{
	phase_begin(e, d, MHP_PHASE_ADD);
	e->backend->ops->plug(e->backend, &d->spec, on_plugged, ctx_new(e, d));
}

static void on_hostile_armed(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);

	if (!e)
		return;
	phase_end(e, d, MHP_PHASE_INJECT);
	if (agent_failed(d, error, "inject hostile (is the agent started with --hostile?)")) {
		/* nothing is plugged yet */
		cycle_failed(e, d);
		unplug_finished(e, d);
		return;
	}
	plug_add(e, d);
}

void begin_plug(MhpEngine *e, Dimm *d, const MhpCase *k)
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
	if (k && k->hostile != HOSTILE_NONE) {
		struct json_object *a = json_object_new_object();

		/* test-only: the agent spoils the next request the case names, in this cycle */
		phase_begin(e, d, MHP_PHASE_INJECT);
		json_object_object_add(a, "kind", json_object_new_string("hostile"));
		json_object_object_add(a, "case", json_object_new_string(hostile_case_names[k->hostile]));
		mhp_agent_link_call(e->agent, "inject", a, (guint)e->s->timeouts.agent_ms, on_hostile_armed, ctx_new(e, d));
		return;
	}
	plug_add(e, d);
}

/* ---- the offline-boot case ---- */

static void on_boot_offline(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	Dimm *d;
	MhpEngine *e = ctx_take(user_data, &d);

	if (!e)
		return;
	phase_end(e, d, MHP_PHASE_OFFLINE);
	if (!agent_failed(d, error, "offline of boot memory"))
		block_results(d, ok, MHP_FAIL_OFFLINE, "offline of boot memory");
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

void run_case_offline_boot(MhpEngine *e, Dimm *d)
{
	const MhpCase *k = g_ptr_array_index(e->s->cases, e->started_cycles % e->s->cases->len);

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
	mhp_agent_link_call(e->agent, "offline", blocks_args(d, e->s->timeouts.offline_ms),
			    (guint)e->s->timeouts.offline_ms + 5000, on_boot_offline, ctx_new(e, d));
}
