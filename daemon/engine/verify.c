// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * verify.c - the engine's verification: what a DIMM's blocks and the
 * guest's snapshots must show after online and after removal (the checks
 * themselves are accounting.c's), and how agent failures become failure
 * classes. It continues no cycle: plug.c and unplug.c do.
 */
#include <errno.h>
#include <string.h>

#include "engine-private.h"
#include "jsonget.h"

static const char *zone_expected(MhpZone z)
{
	switch (z) {
	case MHP_ZONE_MOVABLE: return "Movable";
	case MHP_ZONE_NORMAL: return "Normal";
	case MHP_ZONE_AUTO: return NULL;
	}
	return NULL;
}

/* What the plugged DIMMs but @except add: their bytes, or with @vmemmap
 * the struct pages the kernel made for them. */
static guint64 plugged_sum(MhpEngine *e, Dimm *except, gboolean vmemmap)
{
	guint64 n = 0;

	for (GList *l = e->plugged.head; l; l = l->next) {
		Dimm *x = l->data;
		if (x != except && x->nblocks)
			n += vmemmap ? mhp_acct_vmemmap_bytes(x->spec.size, e->page_size, e->bands.struct_page_size)
				     : x->spec.size;
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

guint64 memtotal_kb(struct json_object *snap)
{
	struct json_object *mi, *v;

	if (json_object_object_get_ex(snap, "meminfo", &mi) && json_object_object_get_ex(mi, "MemTotal", &v) &&
	    json_object_is_type(v, json_type_int))
		return (guint64)json_object_get_int64(v);
	return 0;
}

/* A reply of the wrong shape: this request's cycle fails, nothing else. */
gboolean protocol_failed(Dimm *d, const GError *error, const char *what)
{
	set_failure(d, MHP_FAIL_AGENT_PROTOCOL, EPROTO, "%s: %s", what, error->message);
	return TRUE;
}

/* The guest is untrusted: agent failures become agent-lost, with the reason;
 * a reply the link found malformed, agent-protocol. */
gboolean agent_failed(Dimm *d, const GError *error, const char *what)
{
	if (!error)
		return FALSE;
	if (error->domain == MHP_AGENT_ERROR && error->code == MHP_AGENT_ERROR_PROTOCOL)
		return protocol_failed(d, error, what); /* e.g. "ok" not an object */
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
gboolean snapshot_failed(MhpEngine *e, Dimm *d, struct json_object *ok, const GError *error, const char *what)
{
	g_autoptr(GError) bad = NULL;

	if (error && error->domain == MHP_AGENT_ERRNO && error->code == ETIMEDOUT) {
		g_autofree char *detail = g_strdup_printf("%s: %s", what, error->message);

		set_failure(d, MHP_FAIL_STUCK_TASK, ETIMEDOUT, "%s", detail);
		kernel_failure(e, MHP_FAIL_STUCK_TASK, detail);
		return TRUE;
	}
	if (agent_failed(d, error, what))
		return TRUE;
	if (!mhp_acct_snapshot_check(ok, &bad))
		return protocol_failed(d, bad, what);
	return FALSE;
}

/* The agent's per-block results of an online or offline: each failed block
 * is a failure of class @cls (the first one names the cycle's class). */
guint block_results(Dimm *d, struct json_object *ok, MhpFailClass cls, const char *verb)
{
	g_autoptr(GArray) res = NULL;
	g_autoptr(GError) bad = NULL;
	guint failed = 0;

	if (!mhp_reply_block_results(ok, &res, &bad)) {
		protocol_failed(d, bad, verb);
		return 1;
	}
	for (guint i = 0; i < res->len; i++) {
		const MhpBlockResult *r = &g_array_index(res, MhpBlockResult, i);

		if (!r->err)
			continue;
		set_failure(d, cls, r->err, "%s of block %" G_GUINT64_FORMAT " failed: %s", verb, r->block,
			    g_strerror(r->err));
		failed++;
	}
	return failed;
}

/* The blocks listing after online: each of the DIMM's blocks is online, in
 * the zone asked for, and all are listed. */
void verify_online_blocks(Dimm *d, struct json_object *ok)
{
	const char *zone = zone_expected(d->zone);
	g_autoptr(GArray) blocks = NULL;
	g_autoptr(GError) bad = NULL;
	guint seen = 0;

	if (!mhp_reply_blocks(ok, &blocks, &bad)) {
		protocol_failed(d, bad, "blocks after online");
		return;
	}
	for (guint i = 0; i < blocks->len; i++) {
		const MhpBlock *b = &g_array_index(blocks, MhpBlock, i);

		if (b->index < d->first_block || b->index >= d->first_block + d->nblocks)
			continue;
		seen++;
		if (strcmp(b->state, "online") != 0)
			set_failure(d, MHP_FAIL_ONLINE, 0, "block %" G_GUINT64_FORMAT " is '%s' after online", b->index,
				    b->state);
		else if (zone && strcmp(b->valid_zones, zone) != 0)
			set_failure(d, MHP_FAIL_ACCOUNTING, 0, "block %" G_GUINT64_FORMAT " is in zone '%s', expected '%s'",
				    b->index, b->valid_zones, zone);
	}
	if (seen != d->nblocks)
		set_failure(d, MHP_FAIL_ADD_NOT_SEEN, 0, "%u of %" G_GUINT64_FORMAT " blocks listed after online", seen,
			    d->nblocks);
}

/* Which DIMMs are plugged but @except: a sum only equal for equal sets. */
static guint64 plugged_set(MhpEngine *e, Dimm *except)
{
	guint64 n = 0;

	for (GList *l = e->plugged.head; l; l = l->next) {
		Dimm *x = l->data;
		if (x != except && x->nblocks)
			n += x->cycle * 1000003u + (guint64)x->slot + 1;
	}
	return n;
}

/* The snapshot taken before this one, if only the plug or removal being
 * verified happened since: @set is what was plugged then. NULL otherwise
 * (a skipped snapshot, a re-baseline). */
static struct json_object *previous_snapshot(MhpEngine *e, guint64 set)
{
	struct json_object *prev = e->last_snapshot;

	if (prev && prev == e->diff_snap && e->diff_plugged == set)
		return prev;
	if (prev && prev == e->baseline && set == 0)
		return prev;
	return NULL;
}

static void diff_remember(MhpEngine *e, struct json_object *snap, guint64 set)
{
	json_object_put(e->diff_snap);
	e->diff_snap = json_object_get(snap);
	e->diff_plugged = set;
}

/* What this DIMM's plug added, and what the run learns from it. */
static void measure_rise(MhpEngine *e, Dimm *d, struct json_object *ok)
{
	struct json_object *prev = previous_snapshot(e, plugged_set(e, d));

	if (!prev)
		return;
	mhp_acct_rise(prev, ok, d->spec.size, e->page_size, &d->rise);
	json_object_object_add(d->data, "rise", mhp_acct_rise_to_json(&d->rise));
	if (mhp_acct_diff_plugged(&e->diff, &d->rise)) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "hotplug_page_tables", json_object_new_string(mhp_acct_counts_to_string(e->diff.counts)));
		json_object_object_add(f, "rise", json_object_new_int64(e->diff.counts_rise));
		json_object_object_add(f, "tables", json_object_new_int64(e->diff.counts_tables));
		json_object_object_add(f, "tables_from", json_object_new_string(d->rise.from_ptdump ? "ptdump" : "geometry"));
		json_object_object_add(d->data, "table_accounting", json_object_get(f));
		engine_event(e, "table-accounting", f);
	}
}

/*
 * Race mode ([verify] level = light): a cycle is checked from the online and
 * wait-blocks replies alone, with no snapshot request, no drop_caches and no
 * pause of the stressors. Cycle 1 (the table accounting is learned from it),
 * cases and every full-every-th cycle are still verified fully.
 */
gboolean verify_is_light(MhpEngine *e, Dimm *d)
{
	const MhpScenario *s = e->s;

	if (!s->verify.light || d->kase || d->cycle == 1)
		return FALSE;
	return !s->verify.full_every || d->cycle % s->verify.full_every != 0;
}

/* The light check of an online (@plugged) or wait-blocks reply: the blocks'
 * states and zones, and MemTotal exact. There is no snapshot to difference
 * against, so the next full cycle does not measure a rise from an older one. */
void verify_light(MhpEngine *e, Dimm *d, struct json_object *ok, gboolean plugged)
{
	const char *what = plugged ? "online" : "wait-blocks present=false", *failed = NULL;
	struct json_object *checks;

	json_object_object_add(d->data, "level", json_object_new_string("light"));
	json_object_put(e->diff_snap);
	e->diff_snap = NULL;
	if (!memtotal_kb(ok)) {
		g_autoptr(GError) bad = g_error_new(MHP_JSON_ERROR, MHP_JSON_ERROR_MISSING,
						    "%s reply: no positive integer 'meminfo'.'MemTotal'", what);
		protocol_failed(d, bad, what);
		return;
	}
	if (plugged)
		verify_online_blocks(d, ok);
	checks = mhp_acct_check_light(e->baseline, ok, plugged_sum(e, plugged ? NULL : d, FALSE), &failed);
	json_object_object_add(d->data, plugged ? "checks_plugged" : "checks_removed", checks);
	if (failed)
		checks_failed(d, checks, failed);
}

/* The snapshot after online against the baseline plus what is plugged. */
void verify_plugged(MhpEngine *e, Dimm *d, struct json_object *ok)
{
	const char *failed = NULL;
	struct json_object *checks;

	measure_rise(e, d, ok);
	remember_snapshot(e, ok);
	diff_remember(e, ok, plugged_set(e, NULL));
	checks = mhp_acct_check_plugged(e->baseline, ok, plugged_sum(e, NULL, FALSE), plugged_sum(e, NULL, TRUE), &e->bands,
					&failed);

	json_object_object_add(d->data, "plugged", snapshot_brief(ok));
	json_object_object_add(d->data, "checks_plugged", checks);
	if (failed)
		checks_failed(d, checks, failed);
}

/*
 * Every post-removal value feeds the trends, failed cycles too, once the
 * memory is gone (MemTotal is the baseline's plus the others'): minus what
 * the DIMMs still plugged added at their plugs. A series some other DIMM
 * has no rise for is left out of this point.
 */
static void trend_point(MhpEngine *e, Dimm *d, struct json_object *ok, guint64 others)
{
	MhpAcctValues v;

	if (e->rebaseline || memtotal_kb(ok) != memtotal_kb(e->baseline) + others / 1024)
		return;
	mhp_acct_values(ok, &v);
	for (GList *l = e->plugged.head; l; l = l->next) {
		Dimm *x = l->data;

		if (x == d || !x->nblocks)
			continue;
		v.have &= x->rise.valid ? x->rise.delta.have : 0;
		for (int s = 0; s < _MHP_ACCT_SERIES_MAX; s++)
			v.v[s] -= x->rise.delta.v[s];
	}
	mhp_trends_add_values(e->trends, (double)d->cycle, &v);
}

/* The snapshot after a removal against the baseline plus what is still
 * plugged, and against what this DIMM's plug added (the differential). */
void verify_removed(MhpEngine *e, Dimm *d, struct json_object *ok)
{
	const char *failed = NULL, *diff_failed = NULL;
	guint64 others = plugged_sum(e, d, FALSE);
	struct json_object *checks, *before = previous_snapshot(e, plugged_set(e, NULL));

	checks = mhp_acct_check_removed(e->baseline, ok, others, plugged_sum(e, d, TRUE), &e->bands, &failed);
	mhp_acct_check_returned(checks, before, ok, &d->rise, &e->diff, e->page_size, &e->bands, &diff_failed);
	/* the differential says more than a band: it names this DIMM's tables */
	if (diff_failed && (!failed || g_str_has_suffix(failed, "-band")))
		failed = diff_failed;
	remember_snapshot(e, ok);
	diff_remember(e, ok, plugged_set(e, d));

	json_object_object_add(d->data, "removed", snapshot_brief(ok));
	json_object_object_add(d->data, "checks_removed", checks);
	if (failed)
		checks_failed(d, checks, failed);
	trend_point(e, d, ok, others);
}
