// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daemon.c - mhpstressd: runs and the control socket.
 *
 * Each run has a directory under the results root with scenario.ini,
 * state.json (rewritten atomically on every state change) and what the
 * engine writes. A run is queued, running, then passed, failed or stopped;
 * a run found queued or running at start-up belonged to a daemon that died:
 * it becomes interrupted, its QEMU is killed by pid, and a summary is made
 * from its cycles.jsonl.
 *
 * Clients speak JSON lines (docs/control-protocol.md). Only the daemon's own
 * uid may (SO_PEERCRED), and the socket is 0600 in a 0700 directory. Runs
 * do not depend on clients: a client that goes away only stops following.
 */
#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "backend.h"
#include "control-proto.h"
#include "cycle.h"
#include "daemon.h"
#include "json-sock.h"
#include "scenario.h"

#define CLIENT_MAX_MSG (2u << 20)
#define CLIENT_MAX_DEPTH 16
#define SHUTDOWN_DEADLINE_S 120

typedef struct Client Client;

typedef struct {
	MhpDaemon *d;
	char *id;
	char *dir;
	char *scenario_name;
	char *state;        /* queued, running, passed, failed, stopped, interrupted */
	char *message;
	MhpScenario *s;
	MhpEngine *e;
	MhpRunOptions opts;
	MhpProgress progress;
	char progress_state[16], progress_phase[32];
	gint64 started, ended;
	gint64 mono_start; /* for live elapsed time */
	int exit_code;
	GPtrArray *followers; /* Follow* */
	gboolean stop_requested;
} Run;

typedef struct {
	Client *c;
	struct json_object *id;
} Follow;

struct Client {
	MhpDaemon *d;
	MhpJsonSock *sock;
	gboolean closed;
};

struct MhpDaemon {
	GMainLoop *loop;
	char *socket_path;
	char *results_root;
	guint max_runs;
	int listen_fd;
	guint listen_src;
	GPtrArray *runs;    /* Run*, in start order */
	GPtrArray *clients; /* Client* */
	gboolean shutting_down;
	guint shutdown_timer;
	guint64 seq;
};

static void run_write_state(Run *r)
{
	struct json_object *o = json_object_new_object();
	g_autofree char *path = g_build_filename(r->dir, "state.json", NULL);

	json_object_object_add(o, "run", json_object_new_string(r->id));
	json_object_object_add(o, "state", json_object_new_string(r->state));
	json_object_object_add(o, "scenario", json_object_new_string(r->scenario_name));
	json_object_object_add(o, "daemon_pid", json_object_new_int(getpid()));
	json_object_object_add(o, "started", json_object_new_int64(r->started));
	json_object_object_add(o, "ended", json_object_new_int64(r->ended));
	if (r->message)
		json_object_object_add(o, "message", json_object_new_string(r->message));
	g_file_set_contents(path, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY), -1, NULL);
	json_object_put(o);
}

static void run_set_state(Run *r, const char *state)
{
	g_free(r->state);
	r->state = g_strdup(state);
	if (strcmp(state, "queued") && strcmp(state, "running"))
		r->ended = g_get_real_time() / 1000000;
	run_write_state(r);
}

static gboolean run_active(const Run *r)
{
	return !strcmp(r->state, "queued") || !strcmp(r->state, "running");
}

static struct json_object *run_json(Run *r)
{
	struct json_object *o = json_object_new_object(), *p = json_object_new_object();

	json_object_object_add(o, "run", json_object_new_string(r->id));
	json_object_object_add(o, "state", json_object_new_string(r->state));
	json_object_object_add(o, "scenario", json_object_new_string(r->scenario_name));
	json_object_object_add(o, "results", json_object_new_string(r->dir));
	json_object_object_add(o, "started", json_object_new_int64(r->started));
	if (r->ended)
		json_object_object_add(o, "ended", json_object_new_int64(r->ended));
	if (r->message)
		json_object_object_add(o, "message", json_object_new_string(r->message));
	json_object_object_add(p, "state", json_object_new_string(r->progress_state));
	json_object_object_add(p, "phase", json_object_new_string(r->progress_phase));
	json_object_object_add(p, "cycle", json_object_new_int64((int64_t)r->progress.cycle));
	json_object_object_add(p, "cycles", json_object_new_int64((int64_t)r->progress.cycles));
	json_object_object_add(p, "elapsed_ms", json_object_new_int64(strcmp(r->state, "running") == 0 && r->mono_start
		? (g_get_monotonic_time() - r->mono_start) / 1000 : (int64_t)r->progress.elapsed_ms));
	json_object_object_add(p, "duration_ms", json_object_new_int64((int64_t)r->progress.duration_ms));
	json_object_object_add(p, "failures", json_object_new_int64((int64_t)r->progress.failures));
	json_object_object_add(p, "cycles_per_s", json_object_new_double(r->progress.cycles_per_s));
	json_object_object_add(o, "progress", p);
	return o;
}

/* ---- clients ---- */

static void client_send(Client *c, struct json_object *msg)
{
	if (!c->closed)
		mhp_json_sock_send(c->sock, msg);
}

static void reply_ok(Client *c, struct json_object *id, struct json_object *ok)
{
	struct json_object *m = json_object_new_object();

	json_object_object_add(m, "id", json_object_get(id));
	json_object_object_add(m, "ok", ok ? ok : json_object_new_object());
	client_send(c, m);
	json_object_put(m);
}

static void reply_error(Client *c, struct json_object *id, int err, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static void reply_error(Client *c, struct json_object *id, int err, const char *fmt, ...)
{
	struct json_object *m = json_object_new_object(), *e = json_object_new_object();
	va_list ap;

	va_start(ap, fmt);
	g_autofree char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	json_object_object_add(e, "errno", json_object_new_int(err));
	json_object_object_add(e, "msg", json_object_new_string(text));
	json_object_object_add(m, "id", json_object_get(id));
	json_object_object_add(m, "error", e);
	client_send(c, m);
	json_object_put(m);
}

static void follow_free(gpointer p)
{
	Follow *f = p;

	json_object_put(f->id);
	g_free(f);
}

static void notify_followers(Run *r, const char *event, struct json_object *extra)
{
	for (guint i = 0; i < r->followers->len; i++) {
		Follow *f = g_ptr_array_index(r->followers, i);
		struct json_object *m = run_json(r);

		json_object_object_add(m, "event", json_object_new_string(event));
		json_object_object_add(m, "id", json_object_get(f->id));
		if (extra) {
			json_object_object_foreach(extra, k, v)
				json_object_object_add(m, k, json_object_get(v));
		}
		client_send(f->c, m);
		json_object_put(m);
	}
}

static gboolean free_client_idle(gpointer p)
{
	Client *c = p;

	mhp_json_sock_free(c->sock);
	g_free(c);
	return G_SOURCE_REMOVE;
}

static void client_drop(Client *c)
{
	MhpDaemon *d = c->d;

	if (c->closed)
		return;
	c->closed = TRUE;
	for (guint i = 0; i < d->runs->len; i++) {
		Run *r = g_ptr_array_index(d->runs, i);
		for (guint j = r->followers->len; j-- > 0;)
			if (((Follow *)g_ptr_array_index(r->followers, j))->c == c)
				g_ptr_array_remove_index(r->followers, j);
	}
	g_ptr_array_remove(d->clients, c);
	mhp_json_sock_disconnect(c->sock);
	/* we may be inside c->sock's own callback: free it later */
	g_idle_add(free_client_idle, c);
}

/* ---- runs ---- */

static Run *run_find(MhpDaemon *d, const char *id)
{
	for (guint i = 0; i < d->runs->len; i++) {
		Run *r = g_ptr_array_index(d->runs, i);
		if (strcmp(r->id, id) == 0)
			return r;
	}
	return NULL;
}

static guint runs_running(MhpDaemon *d)
{
	guint n = 0;

	for (guint i = 0; i < d->runs->len; i++)
		n += strcmp(((Run *)g_ptr_array_index(d->runs, i))->state, "running") == 0;
	return n;
}

static void maybe_start_queued(MhpDaemon *d);
static void check_shutdown_done(MhpDaemon *d);

static void on_engine_progress(MhpEngine *e, const MhpProgress *p, gpointer user_data)
{
	Run *r = user_data;

	r->progress = *p;
	g_strlcpy(r->progress_state, mhp_engine_state_to_string(p->state), sizeof(r->progress_state));
	g_strlcpy(r->progress_phase, mhp_phase_to_string(p->phase), sizeof(r->progress_phase));
	notify_followers(r, "progress", NULL);
}

static gboolean free_engine_idle(gpointer p)
{
	mhp_engine_free(p);
	return G_SOURCE_REMOVE;
}

static void on_engine_finished(MhpEngine *e, int code, const char *message, gpointer user_data)
{
	Run *r = user_data;
	struct json_object *extra = json_object_new_object();

	r->exit_code = code;
	g_free(r->message);
	r->message = g_strdup(message);
	run_set_state(r, r->stop_requested ? "stopped" : code == 0 ? "passed" : "failed");
	json_object_object_add(extra, "exit_code", json_object_new_int(code));
	notify_followers(r, "finished", extra);
	json_object_put(extra);
	g_ptr_array_set_size(r->followers, 0);
	/* the engine is still on the stack: free it from the loop */
	g_idle_add(free_engine_idle, r->e);
	r->e = NULL;
	maybe_start_queued(r->d);
	check_shutdown_done(r->d);
}

static void run_start_engine(Run *r)
{
	g_autoptr(GError) error = NULL;
	static const MhpEngineCallbacks cb = { .progress = on_engine_progress, .finished = on_engine_finished };

	r->e = mhp_engine_new(NULL, r->s, &r->opts, &cb, r);
	r->mono_start = g_get_monotonic_time();
	run_set_state(r, "running");
	if (!mhp_engine_start(r->e, &error)) {
		g_free(r->message);
		r->message = g_strdup(error->message);
		mhp_engine_free(r->e);
		r->e = NULL;
		run_set_state(r, "failed");
	}
}

static void maybe_start_queued(MhpDaemon *d)
{
	if (d->shutting_down)
		return;
	for (guint i = 0; i < d->runs->len && runs_running(d) < d->max_runs; i++) {
		Run *r = g_ptr_array_index(d->runs, i);
		if (strcmp(r->state, "queued") == 0)
			run_start_engine(r);
	}
}

static void run_free(gpointer p)
{
	Run *r = p;

	mhp_engine_free(r->e);
	mhp_scenario_free(r->s);
	g_free(r->id);
	g_free(r->dir);
	g_free(r->scenario_name);
	g_free(r->state);
	g_free(r->message);
	mhp_run_options_clear(&r->opts);
	g_ptr_array_unref(r->followers);
	g_free(r);
}

static Run *run_new(MhpDaemon *d, const char *id, const char *dir)
{
	Run *r = g_new0(Run, 1);

	r->d = d;
	r->id = g_strdup(id);
	r->dir = g_strdup(dir);
	r->followers = g_ptr_array_new_with_free_func(follow_free);
	g_strlcpy(r->progress_state, "new", sizeof(r->progress_state));
	return r;
}

static void cmd_start(Client *c, MhpCtlRequest *q)
{
	MhpDaemon *d = c->d;
	g_autoptr(GError) error = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree char *stamp = g_date_time_format(now, "%Y%m%d-%H%M%S");
	g_autofree char *base = g_strdup(q->scenario_name ? q->scenario_name : "scenario.ini");
	g_autofree char *stem = g_strndup(base, strcspn(base, "."));
	g_autofree char *id = g_strdup_printf("%s-%s-%" G_GUINT64_FORMAT, stem, stamp, ++d->seq);
	g_autofree char *dir = g_build_filename(d->results_root, id, NULL);
	g_autofree char *spath = g_build_filename(dir, base, NULL);
	MhpScenario *s;
	Run *r;

	if (d->shutting_down) {
		reply_error(c, q->id, ESHUTDOWN, "the daemon is shutting down");
		return;
	}
	if (g_mkdir_with_parents(dir, 0755) < 0) {
		reply_error(c, q->id, errno, "cannot create '%s': %s", dir, g_strerror(errno));
		return;
	}
	/* errors name the scenario as the client knows it */
	s = mhp_scenario_load_data(base, q->scenario, &error);
	if (!s) {
		reply_error(c, q->id, EINVAL, "%s", error->message);
		g_rmdir(dir);
		return;
	}
	g_file_set_contents(spath, q->scenario, -1, NULL);
	if (!g_file_test(q->kernel, G_FILE_TEST_IS_REGULAR) || !g_file_test(q->initrd, G_FILE_TEST_IS_REGULAR)) {
		reply_error(c, q->id, ENOENT, "kernel '%s' or initrd '%s' does not exist on the daemon's host", q->kernel,
			    q->initrd);
		mhp_scenario_free(s);
		g_unlink(spath);
		g_rmdir(dir);
		return;
	}
	r = run_new(d, id, dir);
	r->s = s;
	r->scenario_name = g_strdup(base);
	r->opts = (MhpRunOptions){ .cycles = q->cycles, .duration_ms = q->duration_ms, .seed = q->seed,
				   .have_seed = q->have_seed,
				   .backend = mhp_backend_class_find(q->connect ? "libvirt" : "qemu") };
	r->opts.connect = g_strdup(q->connect);
	r->opts.domain = g_strdup(q->domain);
	if (q->duration_ms > 0 && q->cycles < 0)
		r->opts.cycles = 0;
	r->opts.kernel = g_strdup(q->kernel);
	r->opts.initrd = g_strdup(q->initrd);
	r->opts.results_dir = g_strdup(dir);
	r->started = g_get_real_time() / 1000000;
	g_ptr_array_add(d->runs, r);
	run_set_state(r, "queued");
	maybe_start_queued(d);
	reply_ok(c, q->id, run_json(r));
}

static void cmd_list(Client *c, MhpCtlRequest *q)
{
	struct json_object *ok = json_object_new_object(), *arr = json_object_new_array();

	for (guint i = 0; i < c->d->runs->len; i++)
		json_object_array_add(arr, run_json(g_ptr_array_index(c->d->runs, i)));
	json_object_object_add(ok, "runs", arr);
	reply_ok(c, q->id, ok);
}

static void handle(Client *c, MhpCtlRequest *q)
{
	Run *r = NULL;

	if (q->cmd != MHP_CTL_START && q->cmd != MHP_CTL_LIST) {
		r = run_find(c->d, q->run);
		if (!r) {
			reply_error(c, q->id, ENOENT, "no run '%s'; 'list' shows them", q->run);
			return;
		}
	}
	switch (q->cmd) {
	case MHP_CTL_START:
		cmd_start(c, q);
		break;
	case MHP_CTL_LIST:
		cmd_list(c, q);
		break;
	case MHP_CTL_STATUS:
		reply_ok(c, q->id, run_json(r));
		break;
	case MHP_CTL_RESULTS: {
		struct json_object *ok = json_object_new_object();
		json_object_object_add(ok, "results", json_object_new_string(r->dir));
		reply_ok(c, q->id, ok);
		break;
	}
	case MHP_CTL_STOP:
		if (!run_active(r)) {
			reply_error(c, q->id, EALREADY, "run '%s' is %s already", r->id, r->state);
			break;
		}
		r->stop_requested = TRUE;
		if (r->e)
			mhp_engine_stop(r->e);
		else
			run_set_state(r, "stopped"); /* still queued */
		reply_ok(c, q->id, run_json(r));
		break;
	case MHP_CTL_FOLLOW: {
		Follow *f = g_new0(Follow, 1);
		reply_ok(c, q->id, run_json(r));
		if (!run_active(r)) {
			struct json_object *extra = json_object_new_object();
			f->c = c;
			f->id = json_object_get(q->id);
			g_ptr_array_add(r->followers, f);
			json_object_object_add(extra, "exit_code", json_object_new_int(r->exit_code));
			notify_followers(r, "finished", extra);
			json_object_put(extra);
			g_ptr_array_set_size(r->followers, 0);
			break;
		}
		f->c = c;
		f->id = json_object_get(q->id);
		g_ptr_array_add(r->followers, f);
		break;
	}
	}
}

static void on_client_message(MhpJsonSock *sock, struct json_object *msg, gpointer user_data)
{
	Client *c = user_data;
	const char *line = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
	g_autoptr(GError) error = NULL;
	MhpCtlRequest q;

	if (!mhp_ctl_parse(line, &q, &error))
		reply_error(c, q.id, EINVAL, "%s", error->message);
	else
		handle(c, &q);
	mhp_ctl_request_clear(&q);
}

static void on_client_closed(MhpJsonSock *sock, const GError *error, gpointer user_data)
{
	client_drop(user_data);
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer user_data)
{
	MhpDaemon *d = user_data;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	Client *c;

	if (cfd < 0)
		return G_SOURCE_CONTINUE;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != geteuid()) {
		char msg[160];
		int n = g_snprintf(msg, sizeof(msg),
				   "{\"id\":null,\"error\":{\"errno\":13,\"msg\":\"permission denied: uid %u may not use "
				   "this daemon\"}}\n", len == sizeof(cred) ? cred.uid : (uid_t)-1);
		ssize_t w = write(cfd, msg, (size_t)n);
		(void)w; /* it is closed either way */
		close(cfd);
		return G_SOURCE_CONTINUE;
	}
	c = g_new0(Client, 1);
	c->d = d;
	c->sock = mhp_json_sock_new(NULL, CLIENT_MAX_MSG, CLIENT_MAX_DEPTH, on_client_message, on_client_closed, c);
	mhp_json_sock_adopt(c->sock, cfd, NULL);
	g_ptr_array_add(d->clients, c);
	return G_SOURCE_CONTINUE;
}

/* ---- recovery ---- */

/* A summary for a run whose daemon died, from the cycles it recorded. */
static void write_interrupted_summary(const char *dir)
{
	g_autofree char *cpath = g_build_filename(dir, "cycles.jsonl", NULL);
	g_autofree char *spath = g_build_filename(dir, "summary.json", NULL);
	g_autofree char *text = NULL;
	struct json_object *o, *f;
	guint64 cycles = 0, failed = 0;

	if (g_file_test(spath, G_FILE_TEST_EXISTS))
		return;
	o = json_object_new_object();
	f = json_object_new_object();
	if (g_file_get_contents(cpath, &text, NULL, NULL)) {
		g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
		for (guint i = 0; lines[i]; i++) {
			struct json_object *c = json_tokener_parse(lines[i]), *v;
			if (!c)
				continue;
			cycles++;
			if (json_object_object_get_ex(c, "verdict", &v) && strcmp(json_object_get_string(v), "pass")) {
				struct json_object *n;
				failed++;
				gint64 k = json_object_object_get_ex(f, json_object_get_string(v), &n) ? json_object_get_int64(n) : 0;
				json_object_object_add(f, json_object_get_string(v), json_object_new_int64(k + 1));
			}
			json_object_put(c);
		}
	}
	json_object_object_add(o, "verdict", json_object_new_string("interrupted"));
	json_object_object_add(o, "message", json_object_new_string("the daemon running this ended without finishing it"));
	json_object_object_add(o, "cycles", json_object_new_int64((int64_t)cycles));
	json_object_object_add(o, "failed_cycles", json_object_new_int64((int64_t)failed));
	json_object_object_add(o, "failures", f);
	json_object_object_add(o, "latency_ms", json_object_new_object());
	g_file_set_contents(spath, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY), -1, NULL);
	json_object_put(o);
}

static gint cmp_started(gconstpointer a, gconstpointer b)
{
	const Run *x = *(Run *const *)a, *y = *(Run *const *)b;

	return x->started < y->started ? -1 : x->started > y->started ? 1 : g_strcmp0(x->id, y->id);
}

static void recover(MhpDaemon *d)
{
	g_autoptr(GDir) dir = g_dir_open(d->results_root, 0, NULL);
	const char *name;

	while (dir && (name = g_dir_read_name(dir))) {
		g_autofree char *rdir = g_build_filename(d->results_root, name, NULL);
		g_autofree char *spath = g_build_filename(rdir, "state.json", NULL);
		g_autofree char *text = NULL, *backend = NULL;
		struct json_object *o, *v;
		Run *r;

		if (!mhp_ctl_valid_run_id(name) || !g_file_get_contents(spath, &text, NULL, NULL))
			continue;
		o = json_tokener_parse(text);
		if (!o)
			continue;
		r = run_new(d, name, rdir);
		r->state = g_strdup(json_object_object_get_ex(o, "state", &v) ? json_object_get_string(v) : "interrupted");
		r->scenario_name = g_strdup(json_object_object_get_ex(o, "scenario", &v) ? json_object_get_string(v) : "?");
		r->started = json_object_object_get_ex(o, "started", &v) ? json_object_get_int64(v) : 0;
		r->ended = json_object_object_get_ex(o, "ended", &v) ? json_object_get_int64(v) : 0;
		if (json_object_object_get_ex(o, "message", &v))
			r->message = g_strdup(json_object_get_string(v));
		/* state.json before the registry has no backend: those were QEMU runs */
		backend = g_strdup(json_object_object_get_ex(o, "backend", &v) && json_object_is_type(v, json_type_string)
				   ? json_object_get_string(v) : "qemu");
		json_object_put(o);
		if (run_active(r)) {
			const MhpBackendClass *cls = mhp_backend_class_find(backend);

			if (cls && cls->recover)
				cls->recover(rdir);
			write_interrupted_summary(rdir);
			g_free(r->message);
			r->message = g_strdup("the daemon running this ended without finishing it");
			run_set_state(r, "interrupted");
		}
		g_strlcpy(r->progress_state, r->state, sizeof(r->progress_state));
		g_ptr_array_add(d->runs, r);
		/* ids count on from the highest seen */
		const char *dash = strrchr(name, '-');
		if (dash)
			d->seq = MAX(d->seq, g_ascii_strtoull(dash + 1, NULL, 10));
	}
	g_ptr_array_sort(d->runs, cmp_started);
}

/* ---- socket, lifecycle ---- */

static int listen_unix(const char *path, GError **error)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	g_autofree char *parent = g_path_get_dirname(path);
	int fd;
	mode_t old;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG, "socket path '%s' is too long", path);
		return -1;
	}
	if (g_mkdir_with_parents(parent, 0700) < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot create '%s': %s", parent, g_strerror(errno));
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	/* a socket left by a dead daemon: replace it; a live one: refuse */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE, "another daemon is listening on '%s'", path);
		return -1;
	}
	g_unlink(path);
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		int e = errno;
		umask(old);
		close(fd);
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot listen on '%s': %s", path, g_strerror(e));
		return -1;
	}
	umask(old);
	chmod(path, 0600);
	return fd;
}

MhpDaemon *mhp_daemon_new(GMainLoop *loop, const MhpDaemonConfig *cfg, GError **error)
{
	MhpDaemon *d = g_new0(MhpDaemon, 1);

	d->loop = g_main_loop_ref(loop);
	d->socket_path = g_strdup(cfg->socket_path);
	d->results_root = g_strdup(cfg->results_root);
	d->max_runs = cfg->max_runs ? cfg->max_runs : 2;
	d->runs = g_ptr_array_new_with_free_func(run_free);
	d->clients = g_ptr_array_new();
	if (g_mkdir_with_parents(d->results_root, 0755) < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot create '%s': %s", d->results_root,
			    g_strerror(errno));
		mhp_daemon_free(d);
		return NULL;
	}
	recover(d);
	d->listen_fd = cfg->listen_fd >= 0 ? cfg->listen_fd : listen_unix(d->socket_path, error);
	if (d->listen_fd < 0) {
		mhp_daemon_free(d);
		return NULL;
	}
	d->listen_src = g_unix_fd_add(d->listen_fd, G_IO_IN, on_accept, d);
	return d;
}

static void check_shutdown_done(MhpDaemon *d)
{
	if (!d->shutting_down)
		return;
	for (guint i = 0; i < d->runs->len; i++)
		if (run_active(g_ptr_array_index(d->runs, i)))
			return;
	g_main_loop_quit(d->loop);
}

static gboolean on_shutdown_deadline(gpointer user_data)
{
	MhpDaemon *d = user_data;

	/* runs that did not stop in time end with the daemon (their QEMU too) */
	for (guint i = 0; i < d->runs->len; i++) {
		Run *r = g_ptr_array_index(d->runs, i);
		if (run_active(r))
			run_set_state(r, "stopped");
	}
	d->shutdown_timer = 0;
	g_main_loop_quit(d->loop);
	return G_SOURCE_REMOVE;
}

void mhp_daemon_shutdown(MhpDaemon *d)
{
	if (d->shutting_down)
		return;
	d->shutting_down = TRUE;
	for (guint i = 0; i < d->runs->len; i++) {
		Run *r = g_ptr_array_index(d->runs, i);
		if (!run_active(r))
			continue;
		r->stop_requested = TRUE;
		if (r->e)
			mhp_engine_stop(r->e);
		else
			run_set_state(r, "stopped");
	}
	d->shutdown_timer = g_timeout_add_seconds(SHUTDOWN_DEADLINE_S, on_shutdown_deadline, d);
	check_shutdown_done(d);
}

void mhp_daemon_free(MhpDaemon *d)
{
	if (!d)
		return;
	if (d->listen_src)
		g_source_remove(d->listen_src);
	if (d->shutdown_timer)
		g_source_remove(d->shutdown_timer);
	while (d->clients->len)
		client_drop(g_ptr_array_index(d->clients, 0));
	g_ptr_array_unref(d->clients);
	g_ptr_array_unref(d->runs);
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		g_unlink(d->socket_path);
	}
	g_main_loop_unref(d->loop);
	g_free(d->socket_path);
	g_free(d->results_root);
	g_free(d);
}
