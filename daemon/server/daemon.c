// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daemon.c - mhpstressd: the control socket, its clients, and the
 * dispatch of their requests to runs.
 *
 * Each run has a directory under the results root with scenario.ini,
 * state.json and what the engine writes; run.c keeps one run, recover.c
 * reads back those an earlier daemon left. At most max_runs run at once;
 * the rest wait, queued, in start order.
 *
 * Clients speak JSON lines (docs/control-protocol.md). Only the daemon's own
 * uid may (SO_PEERCRED), and the socket is 0600 in a 0700 directory. Runs
 * do not depend on clients: a client that goes away only stops following.
 *
 * Limits (documented in docs/control-protocol.md, "Limits"): at most
 * CLIENTS_MAX clients; a client's unsent output above CLIENT_OUT_SOFT gets
 * no more progress events (the next one sent carries the latest state),
 * above CLIENT_OUT_HARD the client is dropped. Out of fds, accepting
 * pauses for ACCEPT_RETRY_MS. The last RUNS_KEEP_FINISHED finished runs
 * stay in memory. The results root is locked (LOCK_FILE) for
 * the daemon's lifetime, before recovery, so a second daemon touches nothing.
 *
 * A client is never freed while a call may still hold it: client_drop()
 * closes its socket and marks it closing, and it is forgotten and freed from
 * the loop (client_reap()).
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "backend.h"
#include "control-proto.h"
#include "daemon.h"
#include "json-sock.h"
#include "recover.h"
#include "results.h"
#include "run.h"

#define CLIENT_MAX_MSG (2u << 20)
#define CLIENT_MAX_DEPTH 16
#define SHUTDOWN_DEADLINE_S 120
#define CLIENTS_MAX 256
#define CLIENT_OUT_SOFT (256u << 10)   /* unsent bytes: progress events are skipped above */
#define CLIENT_OUT_HARD (4u << 20)     /* unsent bytes: the client is dropped above */
#define ACCEPT_RETRY_MS 250            /* out of fds: stop accepting this long */
#define RUNS_KEEP_FINISHED 64
#define LOCK_FILE ".mhpstressd.lock"

typedef struct Client Client;

struct Client {
	MhpDaemon *d;
	MhpJsonSock *sock;
	gboolean closing;       /* dropped: sends nothing, freed by client_reap() */
	guint reap_src;
};

struct MhpDaemon {
	GMainLoop *loop;
	char *socket_path;
	char *results_root;
	guint max_runs;
	int listen_fd;
	guint listen_src;       /* 0 while accept is paused (out of fds) */
	guint accept_retry_src;
	gboolean accept_starved; /* said so once; quiet until an accept works */
	int lock_fd;
	GPtrArray *runs;    /* Run*, in start order */
	GPtrArray *clients; /* Client*, closing ones too until reaped */
	guint n_clients;    /* not closing */
	gboolean shutting_down;
	guint shutdown_timer;
	guint64 seq;
};

/* ---- clients ---- */

static void client_drop(Client *c);

/*
 * Queue @msg for @c. A @droppable message (progress) is skipped while the
 * client is behind by more than CLIENT_OUT_SOFT; a client behind by more
 * than CLIENT_OUT_HARD is dropped.
 */
static void client_send(Client *c, struct json_object *msg, gboolean droppable)
{
	if (c->closing || (droppable && mhp_json_sock_pending(c->sock) > CLIENT_OUT_SOFT))
		return;
	mhp_json_sock_send(c->sock, msg, NULL); /* a failed write closes it: on_client_closed */
	if (!c->closing && mhp_json_sock_pending(c->sock) > CLIENT_OUT_HARD) {
		g_message("a client is more than %u bytes behind, dropping it", CLIENT_OUT_HARD);
		client_drop(c);
	}
}

static void reply_ok(Client *c, struct json_object *id, struct json_object *ok)
{
	struct json_object *m = json_object_new_object();

	json_object_object_add(m, "id", json_object_get(id));
	json_object_object_add(m, "ok", ok ? ok : json_object_new_object());
	client_send(c, m, FALSE);
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
	client_send(c, m, FALSE);
	json_object_put(m);
}

/* Forget a dropped client and free it; nothing holds it any more. */
static gboolean client_reap(gpointer p)
{
	Client *c = p;
	MhpDaemon *d = c->d;

	for (guint i = 0; i < d->runs->len; i++)
		run_drop_follower(g_ptr_array_index(d->runs, i), c);
	g_ptr_array_remove(d->clients, c);
	mhp_json_sock_free(c->sock);
	g_free(c);
	return G_SOURCE_REMOVE;
}

/*
 * The client went away or is to go: close it now, free it from the loop.
 * Callers up the stack (its socket's callback, handle(), a run notifying its
 * followers) may still hold @c; they see c->closing and send nothing.
 */
static void client_drop(Client *c)
{
	if (c->closing)
		return;
	c->closing = TRUE;
	mhp_json_sock_disconnect(c->sock);
	c->d->n_clients--;
	/* at the priority of the sockets, so a flood of them cannot starve it */
	c->reap_src = g_idle_add_full(G_PRIORITY_DEFAULT, client_reap, c, NULL);
}

/* A run's event for a follower: @owner is the Client that asked (run_follow()). */
static void on_follower_send(gconstpointer owner, struct json_object *msg, gboolean droppable, gpointer user_data)
{
	client_send((Client *)owner, msg, droppable);
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
		n += ((Run *)g_ptr_array_index(d->runs, i))->state == MHP_RUN_STATE_RUNNING;
	return n;
}

static void maybe_start_queued(MhpDaemon *d)
{
	if (d->shutting_down)
		return;
	for (guint i = 0; i < d->runs->len && runs_running(d) < d->max_runs; i++) {
		Run *r = g_ptr_array_index(d->runs, i);
		if (r->state == MHP_RUN_STATE_QUEUED)
			run_start_engine(r);
	}
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

/* A run ended: its place goes to the next queued one, or the shutdown may be over. */
static void on_run_ended(Run *r, gpointer user_data)
{
	maybe_start_queued(user_data);
	check_shutdown_done(user_data);
}

static const RunHooks run_hooks = { .ended = on_run_ended, .send = on_follower_send };

/* Keep the last RUNS_KEEP_FINISHED finished runs; older ones stay on disk only. */
static void prune_runs(MhpDaemon *d)
{
	guint finished = 0;

	for (guint i = 0; i < d->runs->len; i++)
		finished += !run_active(g_ptr_array_index(d->runs, i));
	for (guint i = 0; i < d->runs->len && finished > RUNS_KEEP_FINISHED;) {
		if (run_active(g_ptr_array_index(d->runs, i))) {
			i++;
			continue;
		}
		g_ptr_array_remove_index(d->runs, i); /* in start order: the oldest first */
		finished--;
	}
}

static void cmd_start(Client *c, MhpCtlRequest *q)
{
	MhpDaemon *d = c->d;
	g_autoptr(GError) error = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree char *stamp = g_date_time_format(now, "%Y%m%d-%H%M%S");
	g_autofree char *base = g_strdup(q->scenario_name ? q->scenario_name : "scenario.ini");
	g_autofree char *id = run_make_id(base, stamp, ++d->seq);
	g_autofree char *dir = g_build_filename(d->results_root, id, NULL);
	g_autofree char *spath = g_build_filename(dir, base, NULL);
	g_autofree char *connect = g_strdup(q->connect), *domain = g_strdup(q->domain);
	const MhpBackendClass *cls;
	MhpScenario *s;
	Run *r;

	if (d->shutting_down) {
		reply_error(c, q->id, ESHUTDOWN, "the daemon is shutting down");
		return;
	}
	/* absent: "qemu", as every client before the field was */
	cls = mhp_backend_options_check(q->backend, &connect, &domain, &error);
	if (!cls) {
		reply_error(c, q->id, EINVAL, "start: %s", error->message);
		return;
	}
	if (!mhp_results_dir_create(dir, &error)) {
		reply_error(c, q->id, g_error_matches(error, G_IO_ERROR, G_IO_ERROR_EXISTS) ? EEXIST : EIO, "%s", error->message);
		return;
	}
	/* errors name the scenario as the client knows it */
	s = mhp_scenario_load_data(base, q->scenario, &error);
	if (!s) {
		reply_error(c, q->id, EINVAL, "%s", error->message);
		g_rmdir(dir);
		return;
	}
	mhp_results_write_file(spath, q->scenario, -1, NULL); /* never through a symlink */
	if (!g_file_test(q->kernel, G_FILE_TEST_IS_REGULAR) || !g_file_test(q->initrd, G_FILE_TEST_IS_REGULAR)) {
		reply_error(c, q->id, ENOENT, "kernel '%s' or initrd '%s' does not exist on the daemon's host", q->kernel,
			    q->initrd);
		mhp_scenario_free(s);
		g_unlink(spath);
		g_rmdir(dir);
		return;
	}
	r = run_new(id, dir, &run_hooks, d);
	r->s = s;
	r->scenario_name = g_strdup(base);
	r->opts = (MhpRunOptions){ .cycles = q->cycles, .duration_ms = q->duration_ms, .seed = q->seed,
				   .have_seed = q->have_seed, .backend = cls };
	r->opts.connect = g_steal_pointer(&connect);
	r->opts.domain = g_steal_pointer(&domain);
	if (q->duration_ms > 0 && q->cycles < 0)
		r->opts.cycles = 0;
	r->opts.kernel = g_strdup(q->kernel);
	r->opts.initrd = g_strdup(q->initrd);
	r->opts.results_dir = g_strdup(dir);
	r->started = g_get_real_time() / 1000000;
	prune_runs(d);
	g_ptr_array_add(d->runs, r);
	run_set_state(r, MHP_RUN_STATE_QUEUED);
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
		if (!run_stop(r)) {
			reply_error(c, q->id, EALREADY, "run '%s' is %s already", r->id, mhp_run_state_to_string(r->state));
			break;
		}
		reply_ok(c, q->id, run_json(r));
		break;
	case MHP_CTL_FOLLOW:
		reply_ok(c, q->id, run_json(r));
		/* the reply may have failed and dropped the client */
		if (!c->closing)
			run_follow(r, c, q->id);
		break;
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

/* A connection we will not serve: one error line, then close. */
static void refuse(int cfd, int err, const char *text)
{
	g_autofree char *line = g_strdup_printf("{\"id\":null,\"error\":{\"errno\":%d,\"msg\":\"%s\"}}\n", err, text);
	/* the peer may be gone already: no SIGPIPE */
	ssize_t w = send(cfd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);

	(void)w; /* it is closed either way */
	close(cfd);
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer user_data);

static gboolean on_accept_retry(gpointer user_data)
{
	MhpDaemon *d = user_data;

	d->accept_retry_src = 0;
	d->listen_src = g_unix_fd_add(d->listen_fd, G_IO_IN, on_accept, d);
	return G_SOURCE_REMOVE;
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer user_data)
{
	MhpDaemon *d = user_data;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	Client *c;

	if (cfd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) {
		/* the connection stays pending, so the socket stays readable: wait, do not spin */
		if (!d->accept_starved)
			g_warning("cannot accept a client: %s; retrying every %d ms", g_strerror(errno), ACCEPT_RETRY_MS);
		d->accept_starved = TRUE;
		d->listen_src = 0;
		d->accept_retry_src = g_timeout_add(ACCEPT_RETRY_MS, on_accept_retry, d);
		return G_SOURCE_REMOVE;
	}
	if (cfd < 0)
		return G_SOURCE_CONTINUE;
	d->accept_starved = FALSE;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != geteuid()) {
		g_autofree char *text = g_strdup_printf("permission denied: uid %u may not use this daemon",
							len == sizeof(cred) ? cred.uid : (uid_t)-1);
		refuse(cfd, EACCES, text);
		return G_SOURCE_CONTINUE;
	}
	if (d->n_clients >= CLIENTS_MAX) {
		refuse(cfd, EUSERS, "too many clients (" G_STRINGIFY(CLIENTS_MAX) "); try again later");
		return G_SOURCE_CONTINUE;
	}
	c = g_new0(Client, 1);
	c->d = d;
	c->sock = mhp_json_sock_new(NULL, CLIENT_MAX_MSG, CLIENT_MAX_DEPTH, on_client_message, on_client_closed, c);
	mhp_json_sock_adopt(c->sock, cfd, NULL);
	g_ptr_array_add(d->clients, c);
	d->n_clients++;
	return G_SOURCE_CONTINUE;
}

/* ---- socket, lifecycle ---- */

/*
 * Hold the results root for our lifetime: a second daemon on it would
 * interrupt our runs and kill their QEMUs. The lock goes with the process.
 */
static int lock_root(const char *root, GError **error)
{
	g_autofree char *path = g_build_filename(root, LOCK_FILE, NULL);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot open '%s': %s", path, g_strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		close(fd);
		if (e == EWOULDBLOCK)
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
				    "another mhpstressd holds the results root '%s' (lock '%s'); it was left untouched",
				    root, path);
		else
			g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot lock '%s': %s", path,
				    g_strerror(e));
		return -1;
	}
	return fd;
}

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
	d->listen_fd = -1;
	d->lock_fd = -1;
	if (g_mkdir_with_parents(d->results_root, 0755) < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot create '%s': %s", d->results_root,
			    g_strerror(errno));
		mhp_daemon_free(d);
		return NULL;
	}
	d->lock_fd = lock_root(d->results_root, error);
	if (d->lock_fd < 0) {
		mhp_daemon_free(d);
		return NULL;
	}
	recover_runs(d->results_root, d->runs, &run_hooks, d, &d->seq);
	prune_runs(d);
	d->listen_fd = cfg->listen_fd >= 0 ? cfg->listen_fd : listen_unix(d->socket_path, error);
	if (d->listen_fd < 0) {
		mhp_daemon_free(d);
		return NULL;
	}
	d->listen_src = g_unix_fd_add(d->listen_fd, G_IO_IN, on_accept, d);
	return d;
}

static gboolean on_shutdown_deadline(gpointer user_data)
{
	MhpDaemon *d = user_data;

	/* runs that did not stop in time end with the daemon (their QEMU too) */
	for (guint i = 0; i < d->runs->len; i++) {
		Run *r = g_ptr_array_index(d->runs, i);
		if (run_active(r))
			run_set_state(r, MHP_RUN_STATE_STOPPED);
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
	for (guint i = 0; i < d->runs->len; i++)
		run_stop(g_ptr_array_index(d->runs, i));
	d->shutdown_timer = g_timeout_add_seconds(SHUTDOWN_DEADLINE_S, on_shutdown_deadline, d);
	check_shutdown_done(d);
}

void mhp_daemon_free(MhpDaemon *d)
{
	if (!d)
		return;
	if (d->listen_src)
		g_source_remove(d->listen_src);
	if (d->accept_retry_src)
		g_source_remove(d->accept_retry_src);
	if (d->shutdown_timer)
		g_source_remove(d->shutdown_timer);
	while (d->clients->len) {
		Client *c = g_ptr_array_index(d->clients, 0);

		client_drop(c);
		g_source_remove(c->reap_src);
		client_reap(c);
	}
	g_ptr_array_unref(d->clients);
	g_ptr_array_unref(d->runs);
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		g_unlink(d->socket_path);
	}
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	g_main_loop_unref(d->loop);
	g_free(d->socket_path);
	g_free(d->results_root);
	g_free(d);
}
