// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * evidence.c - what the engine does when the kernel fails: charge the
 * failure to the cycle in progress (or the next), keep evidence of each
 * distinct failure (evidence/, evidence-2/, ... up to MHP_EVIDENCE_MAX),
 * and end every open cycle when the guest is gone (panic, hang).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine-private.h"
#include "bugreport.h"
#include "jsonget.h"
#include "oops.h"

typedef struct Evidence {
	MhpEngine *e;
	MhpFailClass cls;
	char *detail;
	guint64 cycle;
	MhpPhase phase;
	char *dir;
	gboolean dir_refused; /* not a directory of its own: nothing is written there */
	gboolean fatal;
	gint64 t_us;
} Evidence;

static char *vmlinux_of(MhpEngine *e)
{
	g_autofree char *dir = g_path_get_dirname(e->opts.kernel);
	char *v = g_build_filename(dir, "vmlinux", NULL);

	if (g_file_test(v, G_FILE_TEST_EXISTS))
		return v;
	g_free(v);
	return g_strdup("vmlinux");
}

static void evidence_done(Evidence *ev);

/* A file of evidence that could not be written is an event, not a stop. */
static void evidence_error(MhpEngine *e, const char *path, const char *message)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "path", json_object_new_string(path));
	json_object_object_add(f, "error", json_object_new_string(message));
	engine_event(e, "evidence-error", f);
}

/* Evidence holds the guest's log and memory: 0600, like every results file. */
static void evidence_write(Evidence *ev, const char *path, const char *text, gssize len)
{
	g_autoptr(GError) error = NULL;

	if (ev->dir_refused)
		return; /* said once, by evidence-error */
	if (!mhp_results_write_file(path, text, len, &error))
		evidence_error(ev->e, path, error->message);
}

static void write_evidence_info(Evidence *ev, gboolean have_vmcore, const char *vmcore_error)
{
	MhpEngine *e = ev->e;
	struct json_object *o = json_object_new_object(), *cmds = json_object_new_object();
	g_autofree char *vmlinux = vmlinux_of(e);
	g_autofree char *path = g_build_filename(ev->dir, MHP_EVIDENCE_INFO, NULL);

	json_object_object_add(o, "class", json_object_new_string(mhp_fail_class_to_string(ev->cls)));
	json_object_object_add(o, "detail", json_object_new_string(ev->detail));
	json_object_object_add(o, "cycle", json_object_new_int64((int64_t)ev->cycle));
	json_object_object_add(o, "phase", json_object_new_string(mhp_phase_to_string(ev->phase)));
	json_object_object_add(o, "seed", mhp_json_new_seed(e->seed));
	json_object_object_add(o, "run_ns", json_object_new_int64((ev->t_us - e->t0) * 1000));
	json_object_object_add(o, "kernel", json_object_new_string(e->opts.kernel));
	if (have_vmcore) {
		g_autofree char *vmcore = g_build_filename(ev->dir, MHP_EVIDENCE_VMCORE, NULL);
		g_autofree char *cmd = g_strdup_printf("crash %s %s", vmlinux, vmcore);
		json_object_object_add(cmds, "crash", json_object_new_string(cmd));
	}
	if (vmcore_error)
		json_object_object_add(o, "vmcore_error", json_object_new_string(vmcore_error));
	if (e->opts.gdb) {
		const char *port = strrchr(e->opts.gdb, ':');
		g_autofree char *cmd = g_strdup_printf("gdb %s -ex 'target remote 127.0.0.1:%s'", vmlinux,
						       port ? port + 1 : e->opts.gdb);
		json_object_object_add(cmds, "gdb", json_object_new_string(cmd));
	}
	json_object_object_add(o, "commands", cmds);
	evidence_write(ev, path, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE),
		       -1);
	json_object_put(o);
}

static void on_evidence_resumed(MhpBackend *b, const GError *error, gpointer user_data)
{
	evidence_done(user_data);
}

/* After the pause (and the dump): resume, or hold the VM for a debugger. */
static void evidence_unpause(Evidence *ev)
{
	MhpEngine *e = ev->e;

	if (e->opts.gdb || e->s->evidence.pause) {
		/* --gdb / [evidence] pause: nothing moves until the run is stopped */
		e->held = TRUE;
		cancel_wait(e);
		e->seq++;
		e->state = MHP_ENGINE_PAUSED;
		emit_progress(e);
		evidence_done(ev);
		return;
	}
	if (ev->fatal) {
		evidence_done(ev);
		return;
	}
	e->backend->ops->resume(e->backend, on_evidence_resumed, ev);
}

static void on_evidence_dump(MhpBackend *b, const GError *error, gpointer user_data)
{
	Evidence *ev = user_data;

	write_evidence_info(ev, !error, error ? error->message : NULL);
	evidence_unpause(ev);
}

static void on_evidence_paused(MhpBackend *b, const GError *error, gpointer user_data)
{
	Evidence *ev = user_data;
	MhpEngine *e = ev->e;

	if (e->s->evidence.vmcore && !error) {
		g_autofree char *vmcore = g_build_filename(ev->dir, MHP_EVIDENCE_VMCORE, NULL);
		/* QEMU (or libvirt) opens the path and would follow a symlink: it
		 * finds a regular file of ours there, or no dump is taken */
		int fd = ev->dir_refused ? -1 : open(vmcore, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
		const char *err = ev->dir_refused ? "the directory is refused" : g_strerror(errno);

		if (fd < 0) {
			g_autofree char *why = g_strdup_printf("cannot create '%s': %s", vmcore, err);

			write_evidence_info(ev, FALSE, why);
			evidence_unpause(ev);
			return;
		}
		close(fd);
		e->backend->ops->dump_memory(e->backend, vmcore, on_evidence_dump, ev);
		return;
	}
	write_evidence_info(ev, FALSE, error ? error->message : NULL);
	evidence_unpause(ev);
}

static void on_evidence_dmesg(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	Evidence *ev = user_data;
	MhpEngine *e = ev->e;
	const char *text;

	if (!error && mhp_reply_dmesg(ok, &text, NULL)) {
		g_autofree char *path = g_build_filename(ev->dir, MHP_EVIDENCE_DMESG, NULL);
		evidence_write(ev, path, text, -1);
	}
	if (!e->backend->ops->is_running(e->backend)) {
		write_evidence_info(ev, FALSE, "QEMU is gone");
		evidence_done(ev);
		return;
	}
	e->backend->ops->pause(e->backend, on_evidence_paused, ev);
}

/* The panic's report is out (its end line, or PANIC_SETTLE_MS): on with the evidence. */
static gboolean on_panic_settled(gpointer user_data)
{
	MhpEngine *e = user_data;
	Evidence *ev = e->evidence_settle;

	if (e->evidence_settle_src) {
		g_source_destroy(e->evidence_settle_src);
		g_source_unref(e->evidence_settle_src);
		e->evidence_settle_src = NULL;
	}
	e->evidence_settle = NULL;
	if (ev)
		on_evidence_dmesg(e->agent, NULL, NULL, ev);
	return G_SOURCE_REMOVE;
}

/*
 * A failure with a signature not seen before leaves evidence in
 * evidence/ (the first), evidence-2/ ...: info.json
 * (class, cycle, phase, seed, the commands to open it), console.txt (the
 * console's last lines), dmesg.txt (from the agent, when it still answers),
 * snapshot.json (the last snapshot) and, with [evidence] vmcore, an ELF
 * vmcore from dump-guest-memory while the VM is paused.
 */
static void collect_evidence(MhpEngine *e, MhpFailClass cls, const char *detail, gboolean fatal)
{
	Evidence *ev = g_new0(Evidence, 1);
	g_autofree char *console = NULL, *name = NULL;
	GString *text = g_string_new(NULL);

	e->evidence_taken++;
	e->collecting = TRUE;
	e->evidence_quiet_us = engine_now(e) + EVIDENCE_REPORT_US;
	ev->e = e;
	ev->cls = cls;
	ev->detail = g_strdup(detail);
	ev->cycle = e->cur ? e->cur->cycle : e->finished_cycles;
	ev->phase = e->phase;
	ev->fatal = fatal;
	ev->t_us = engine_now(e);
	name = mhp_evidence_dir_name(e->evidence_taken);
	ev->dir = mhp_results_path(e->results, name);
	/* its files are written through the directory: a symlink planted in its
	 * place would send the guest's memory elsewhere, so it is refused */
	if (mkdir(ev->dir, 0700) < 0 && errno != EEXIST)
		evidence_error(e, ev->dir, g_strerror(errno));
	else if (g_file_test(ev->dir, G_FILE_TEST_IS_SYMLINK) || !g_file_test(ev->dir, G_FILE_TEST_IS_DIR)) {
		ev->dir_refused = TRUE;
		evidence_error(e, ev->dir, "not a directory (a symlink?): no evidence is written there");
	}
	for (GList *l = e->console_tail.head; l; l = l->next)
		g_string_append_printf(text, "%s\n", (char *)l->data);
	console = g_build_filename(ev->dir, MHP_EVIDENCE_CONSOLE, NULL);
	evidence_write(ev, console, text->str, (gssize)text->len);
	g_string_free(text, TRUE);
	/* the failure's first line is here; the registers and the trace follow */
	g_free(e->evidence_console);
	e->evidence_console = g_strdup(console);
	e->evidence_console_left = ev->dir_refused ? 0 : CONSOLE_AFTER;
	if (e->last_snapshot) {
		g_autofree char *snap = g_build_filename(ev->dir, MHP_EVIDENCE_SNAPSHOT, NULL);
		evidence_write(ev, snap, json_object_to_json_string_ext(e->last_snapshot, JSON_C_TO_STRING_PRETTY), -1);
	}
	write_evidence_info(ev, FALSE, NULL);
	engine_event(e, "evidence", NULL);
	if (fatal && cls == MHP_FAIL_PANIC && g_str_has_prefix(detail, "console: ") && !ev->dir_refused) {
		/* the panic's first line is in; its trace is still being printed:
		 * pausing now would cut it (pvpanic pauses the VM once it is out) */
		e->evidence_settle = ev;
		e->evidence_settle_src = engine_timeout_source(e, PANIC_SETTLE_MS);
		g_source_set_callback(e->evidence_settle_src, on_panic_settled, e, NULL);
		g_source_attach(e->evidence_settle_src, e->ctx);
		return;
	}
	if (fatal) {
		/* no agent to ask: the VM is paused (panic) or stuck (hang) */
		on_evidence_dmesg(e->agent, NULL, NULL, ev);
		return;
	}
	mhp_agent_link_call(e->agent, "dmesg", NULL, EVIDENCE_AGENT_MS, on_evidence_dmesg, ev);
}

/*
 * A console line after the evidence was taken: the first CONSOLE_AFTER go
 * to evidence/console.txt too, so that it holds the whole oops, not only
 * the line that was recognised.
 */
void evidence_console_line(MhpEngine *e, const char *line)
{
	gboolean panic_end = strstr(line, "---[ end Kernel panic") != NULL;
	int fd;

	if (e->evidence_console_left) {
		e->evidence_console_left--;
		/* the report ends here, but for the panic an oops may turn into */
		if (strstr(line, "---[ end trace")) {
			e->evidence_console_left = MIN(e->evidence_console_left, CONSOLE_AFTER_END);
			e->evidence_quiet_us = MIN(e->evidence_quiet_us, engine_now(e) + EVIDENCE_SAME_US);
		} else if (panic_end) {
			e->evidence_console_left = 0;
		}
		fd = open(e->evidence_console, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || write(fd, line, strlen(line)) < 0 || write(fd, "\n", 1) < 0) {
			evidence_error(e, e->evidence_console, g_strerror(errno));
			e->evidence_console_left = 0;
		}
		if (fd >= 0)
			close(fd);
	}
	if (panic_end && e->evidence_settle)
		on_panic_settled(e); /* the panic's whole report is in */
}

/* The guest is gone: every cycle still open ends with the class. */
static void guest_gone(MhpEngine *e, MhpFailClass cls, const char *detail)
{
	gboolean expected;

	cancel_wait(e);
	e->seq++; /* what is in flight will not come back */
	expected = close_open_cycles(e, cls, detail, TRUE);
	if (e->s->on_failure == MHP_ON_FAILURE_RESTART_GUEST && !e->stopping) {
		/* expected or not, the cases after it need a guest */
		e->restarting = TRUE;
	} else {
		e->fatal = TRUE;
		e->fatal_expected = expected;
		g_free(e->fatal_msg);
		e->fatal_msg = g_strdup_printf("the guest is gone (%s%s): %s", mhp_fail_class_to_string(cls),
					       expected ? ", as the case expects" : "", detail);
	}
}

static void evidence_done(Evidence *ev)
{
	MhpEngine *e = ev->e;

	e->collecting = FALSE;
	if (e->cb.evidence)
		e->cb.evidence(e, ev->dir, e->user_data);
	if (ev->fatal && !e->finished)
		guest_gone(e, ev->cls, ev->detail);
	g_free(ev->detail);
	g_free(ev->dir);
	g_free(ev);
	schedule_step(e);
}

/*
 * Does this failure get evidence of its own? Not while the last one's is
 * being taken or its report is still coming in on the console (an oops's
 * "Internal error" and "Kernel panic" lines are the same failure): until a
 * second after its "---[ end trace", or EVIDENCE_REPORT_US. Not when
 * a failure of the same signature has it, and not past MHP_EVIDENCE_MAX.
 */
static gboolean new_failure(MhpEngine *e, MhpFailClass cls, const char *detail)
{
	g_autofree char *sig = NULL;

	if (e->collecting || engine_now(e) < e->evidence_quiet_us || e->evidence_taken >= MHP_EVIDENCE_MAX)
		return FALSE;
	sig = mhp_oops_signature(cls, detail);
	if (!e->evidence_sigs)
		e->evidence_sigs = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < e->evidence_sigs->len; i++)
		if (!strcmp(g_ptr_array_index(e->evidence_sigs, i), sig))
			return FALSE;
	g_ptr_array_add(e->evidence_sigs, g_steal_pointer(&sig));
	return TRUE;
}

void kernel_failure(MhpEngine *e, MhpFailClass cls, const char *detail)
{
	gboolean fatal = mhp_fail_class_is_fatal(cls);
	struct json_object *f = json_object_new_object();

	if (e->finished || e->guest_gone)
		return;
	json_object_object_add(f, "class", json_object_new_string(mhp_fail_class_to_string(cls)));
	json_object_object_add(f, "detail", json_object_new_string(detail));
	engine_event(e, "kernel-failure", f);
	if (e->cur)
		set_failure(e->cur, cls, 0, "%s", detail);
	else if (!e->pending_kernel_failure) {
		e->pending_kernel_failure = cls;
		e->pending_kernel_detail = g_strdup(detail);
	}
	if (fatal)
		e->guest_gone = TRUE;
	if (new_failure(e, cls, detail)) {
		collect_evidence(e, cls, detail, fatal);
		return;
	}
	if (fatal && !e->collecting) {
		guest_gone(e, cls, detail);
		schedule_step(e);
	}
}
