// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * engine.c - the hotplug cycle engine: its public API, its life and its
 * policy (what the next step is).
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
 *   add (object-add, device_add) -> ost (insert ACPI_DEVICE_OST, source 1),
 *   with query (query-memory-devices: address) during it -> blocks (agent
 *   wait-blocks)
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
#include <string.h>

#include <gio/gio.h>

#include "bugreport.h"
#include "engine-private.h"
#include "results-ci.h"
#include "results-report.h"
#include "strtable.h"

static const char *const state_names[_MHP_ENGINE_STATE_MAX] = {
	[MHP_ENGINE_NEW] = "new",
	[MHP_ENGINE_BOOTING] = "booting",
	[MHP_ENGINE_RUNNING] = "running",
	[MHP_ENGINE_PAUSED] = "paused",
	[MHP_ENGINE_STOPPING] = "stopping",
	[MHP_ENGINE_DONE] = "done",
};

MHP_DEFINE_STRING_TABLE(mhp_engine_state, MhpEngineState, state_names, _MHP_ENGINE_STATE_MAX,
			_MHP_ENGINE_STATE_INVALID)

static void finish_run(MhpEngine *e);

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
	if (!error && mhp_acct_snapshot_check(ok, NULL)) {
		remember_snapshot(e, ok);
		save_snapshot(e, "end", ok);
	}
	e->phase = MHP_PHASE_SHUTDOWN;
	e->state = MHP_ENGINE_STOPPING;
	emit_progress(e);
	e->shutting_down = TRUE;
	e->backend->ops->stop(e->backend); /* exited -> step -> finish */
}

/* After a slot got stuck: what is left in the guest becomes the new baseline. */
static void on_rebaseline(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	MhpEngine *e = ctx_take(user_data, NULL);
	g_autoptr(GError) bad = NULL;
	struct json_object *f;

	if (!e)
		return;
	e->measuring = FALSE;
	if (error || !mhp_acct_snapshot_check(ok, &bad)) {
		e->fatal = TRUE;
		e->fatal_msg = g_strdup_printf("re-baseline snapshot: %s", (error ? error : bad)->message);
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
			emit_progress(e);
			e->measuring = TRUE; /* no other step until the snapshot is in */
			mhp_agent_link_call(e->agent, "snapshot", snapshot_args(e), (guint)e->s->timeouts.agent_ms,
					    on_rebaseline, ctx_new(e, NULL));
			return;
		}
		if (room && (d = pick_free_slot(e))) {
			if (!results_room(e))
				return; /* fatal: the next step ends the run */
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

/* ---- summary ---- */

static gboolean write_summary(MhpEngine *e, int exit_code, const char *message, struct json_object *trends,
			      GError **error)
{
	MhpSummary sum = {
		.verdict = exit_code == MHP_RUN_EXIT_PASS ? MHP_VERDICT_PASS
			   : exit_code == MHP_RUN_EXIT_FAILURES ? MHP_VERDICT_FAIL : MHP_VERDICT_ERROR,
		.message = message,
		.cycles = e->finished_cycles,
		.failed_cycles = e->failed_cycles,
		.trends = trends,
		.evidence = e->evidence_taken > 0,
		.seed = e->seed,
		.elapsed_ms = (engine_now(e) - e->t0) / 1000,
		.stopped = e->stopping,
		.events_lost = mhp_results_events_lost(e->results),
		.events_dropped = mhp_results_events_dropped(e->results),
	};

	memcpy(sum.failures, e->failures, sizeof(sum.failures));
	for (int ph = 0; ph < _MHP_PHASE_MAX; ph++)
		mhp_latency_acc_get(e->latencies[ph], &sum.latency[ph]);
	mhp_latency_acc_get(e->cycle_latency, &sum.cycle_latency);
	if (e->last_snapshot)
		json_object_object_get_ex(e->last_snapshot, "stressors", &sum.stressors);
	return mhp_summary_write(mhp_results_dir(e->results), &sum, error);
}

/*
 * A run that ended before its first guest was running, and not because it
 * was told to stop, tested nothing: the guest did not boot or its agent
 * never answered. When QEMU or libvirt did not start the VM at all (an
 * unreachable URI, a domain already running), the environment is at fault
 * whatever the kernel: that is an error (2), so git bisect run does not skip
 * every commit for it.
 */
static MhpRunExit run_exit_code(MhpEngine *e, guint leaks)
{
	if (e->results_failed)
		return MHP_RUN_EXIT_ERROR;
	if (e->fatal && !e->booted && !e->finished_cycles && !e->stopping && !e->vm_start_failed)
		return MHP_RUN_EXIT_UNTESTABLE;
	if (e->fatal && !e->finished_cycles)
		return MHP_RUN_EXIT_ERROR;
	if (e->failed_cycles || (e->fatal && !e->fatal_expected) || leaks)
		return MHP_RUN_EXIT_FAILURES;
	return MHP_RUN_EXIT_PASS;
}

/* results.ktap, junit.xml or report.html (@what): the run's verdict stands, the event says what is missing. */
static void results_file_failed(MhpEngine *e, const char *what, const GError *err)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "error", json_object_new_string(err->message));
	engine_event(e, what, f);
}

/* What the summary is read into once it is written: the CI files and report.html. */
static void write_readers_files(MhpEngine *e)
{
	const char *dir = mhp_results_dir(e->results);
	g_autoptr(GError) ci = NULL, report = NULL;

	if (!mhp_results_write_ci(dir, &ci))
		results_file_failed(e, "ci-files-error", ci);
	if (!mhp_results_write_report(dir, &report))
		results_file_failed(e, "report-error", report);
}

/* The run's end, once the bug reports are written: the readers' files, then the caller. */
static void finish_done(MhpEngine *e, MhpRunExit code)
{
	write_readers_files(e);
	emit_progress(e);
	if (e->cb.finished)
		e->cb.finished(e, code, e->fatal_msg, e->user_data);
}

typedef struct BugReports {
	MhpEngine *e; /* NULL once the engine is freed */
	char *dir;
	MhpRunExit code;
	GPtrArray *errors; /* "evidence-2: cannot write ..." */
} BugReports;

static void bug_reports_thread(GTask *task, gpointer source, gpointer data, GCancellable *c)
{
	BugReports *br = data;
	g_autoptr(GPtrArray) dirs = mhp_results_evidence_dirs(br->dir);

	for (guint i = 0; i < dirs->len; i++) {
		g_autoptr(GError) error = NULL;

		if (!mhp_bugreport_write(br->dir, g_ptr_array_index(dirs, i), NULL, &error))
			g_ptr_array_add(br->errors, g_strdup(error->message));
	}
	g_task_return_boolean(task, TRUE);
}

static void bug_reports_done(GObject *source, GAsyncResult *res, gpointer data)
{
	BugReports *br = data;
	MhpEngine *e = br->e;

	if (e) {
		e->bug_reports = NULL;
		for (guint i = 0; i < br->errors->len; i++) {
			struct json_object *f = json_object_new_object();

			json_object_object_add(f, "error", json_object_new_string(g_ptr_array_index(br->errors, i)));
			engine_event(e, "bug-report-error", f);
		}
		finish_done(e, br->code);
	}
	g_ptr_array_unref(br->errors);
	g_free(br->dir);
	g_free(br);
}

/*
 * evidence/report.md for each failure kept: decoding a trace runs the
 * kernel's decode_stacktrace.sh for seconds, so it runs in a thread and
 * the run is finished when it is done.
 */
static void write_bug_reports(MhpEngine *e, MhpRunExit code)
{
	BugReports *br = g_new0(BugReports, 1);
	g_autoptr(GTask) task = g_task_new(NULL, NULL, bug_reports_done, br);

	br->e = e;
	br->dir = g_strdup(mhp_results_dir(e->results));
	br->code = code;
	br->errors = g_ptr_array_new_with_free_func(g_free);
	e->bug_reports = br;
	g_task_set_task_data(task, br, NULL);
	g_task_run_in_thread(task, bug_reports_thread);
}

static void finish_run(MhpEngine *e)
{
	guint leaks = 0;
	struct json_object *trends = mhp_trends_to_json(e->trends, &leaks);
	g_autoptr(GError) err = NULL;
	MhpRunExit code;

	if (e->finished) {
		json_object_put(trends);
		return;
	}
	if (leaks) /* a trend that says memory leaks fails the run */
		e->failures[MHP_FAIL_LEAK] = leaks;
	code = run_exit_code(e, leaks);
	e->finished = TRUE;
	e->state = MHP_ENGINE_DONE;
	e->phase = MHP_PHASE_NONE;
	cancel_wait(e);
	events_flush_kmsg(e);
	if (!write_summary(e, code, e->fatal_msg, trends, &err)) {
		/* nothing on disk says how the run ended: the exit code and message must */
		char *msg = e->fatal_msg ? g_strdup_printf("%s (the run had ended: %s)", err->message, e->fatal_msg)
					 : g_strdup(err->message);

		code = MHP_RUN_EXIT_ERROR;
		g_free(e->fatal_msg);
		e->fatal_msg = msg;
	} else if (e->evidence_taken) {
		json_object_put(trends);
		write_bug_reports(e, code);
		return;
	} else {
		write_readers_files(e);
	}
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
	static const EngineUpcalls up = { .step = step, .wait_expired = events_wait_expired };

	e->ctx = ctx ? g_main_context_ref(ctx) : g_main_context_ref_thread_default();
	e->s = s;
	mhp_run_options_copy(&e->opts, opts);
	if (!e->opts.backend)
		e->opts.backend = mhp_backend_class_find("qemu");
	e->cb = *cb;
	e->up = &up;
	e->user_data = user_data;
	e->slots = g_new0(Dimm, s->guest.slots);
	for (guint i = 0; i < s->guest.slots; i++)
		e->slots[i].slot = (int)i;
	g_queue_init(&e->plugged);
	g_queue_init(&e->console_tail);
	e->agent = mhp_agent_link_new(e->ctx, &engine_agent_events, e);
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

gboolean mhp_engine_writing_reports(MhpEngine *e)
{
	return e->bug_reports != NULL;
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
	g_free(e->evidence_console);
	if (e->evidence_settle_src) {
		g_source_destroy(e->evidence_settle_src);
		g_source_unref(e->evidence_settle_src);
	}
	if (e->bug_reports)
		e->bug_reports->e = NULL; /* its thread goes on; its end is not ours */
	if (e->evidence_sigs)
		g_ptr_array_unref(e->evidence_sigs);
	json_object_put(e->last_snapshot);
	json_object_put(e->diff_snap);
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
		mhp_latency_acc_free(e->latencies[ph]);
	mhp_latency_acc_free(e->cycle_latency);
	g_free(e->fatal_msg);
	g_free(e->pending_kernel_detail);
	mhp_run_options_clear(&e->opts);
	g_main_context_unref(e->ctx);
	g_free(e);
}
