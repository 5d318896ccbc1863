// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * backend-qemu.c - the embedded backend: mhpstress launches QEMU itself.
 *
 * QEMU starts paused (-S) with QMP, the serial console and the agent's
 * virtio-serial port on unix sockets in a private run directory (0700).
 * We connect QMP, then the console (QEMU also logs it to console.log with
 * the chardev's logfile=, so nothing is lost if we die), then the agent,
 * and only then 'cont': no output is missed. A child watch records the
 * exit status. Every wait has a deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend-qemu.h"
#include "qmp.h"
#include "results.h"

#define CONNECT_RETRY_MS 20
#define START_TIMEOUT_MS 30000
#define QUIT_GRACE_MS 5000

typedef struct {
	MhpBackend base;
	char *rundir;
	GPid pid;
	GSource *child_src;
	GSource *timer;      /* connect retries, then the quit deadline */
	gint64 deadline;
	MhpQmp *qmp;
	int console_fd;
	GSource *console_src;
	gboolean started;
	gboolean exited;
	gboolean stopping;
} BackendQemu;

static void emit_started(BackendQemu *q, const GError *error)
{
	if (q->started)
		return;
	q->started = TRUE;
	q->base.cb.started(&q->base, error, q->base.user_data);
}

static void fail_start(BackendQemu *q, GError *error)
{
	emit_started(q, error);
	g_error_free(error);
	if (!q->exited && q->pid > 0)
		kill(q->pid, SIGKILL);
}

static void set_timer(BackendQemu *q, guint ms, GSourceFunc fn)
{
	mhp_backend_source_clear(&q->timer);
	q->timer = g_timeout_source_new(ms);
	g_source_set_callback(q->timer, fn, q, NULL);
	g_source_attach(q->timer, q->base.ctx);
}

char *mhp_backend_qemu_opt_escape(const char *value)
{
	g_auto(GStrv) parts = g_strsplit(value, ",", -1);

	return g_strjoinv(",,", parts);
}

/* A file in @dir, escaped as an option value. */
static char *opt_path(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);

	return mhp_backend_qemu_opt_escape(path);
}

/* The console chardev's log options: QEMU writes console.log itself, and
 * this string in its command line tells recovery the QEMU is this run's. */
static char *console_log_opts(const char *results_dir)
{
	g_autofree char *log = opt_path(results_dir, "console.log");

	return g_strdup_printf("logfile=%s,logappend=on", log);
}

/*
 * Every user- or path-derived string inside an option list goes through
 * mhp_backend_qemu_opt_escape(), and sits after an explicit key (-name
 * guest=, -chardev path=): an implied key's value that holds a '=' would
 * be read as a key. -bios, -kernel, -initrd and -append
 * take their argument whole. -M, -cpu, -gdb and [guest] extra-args are
 * option strings the user writes on purpose, and are passed as they are.
 */
GPtrArray *mhp_backend_qemu_argv(const MhpBackendConfig *cfg, const char *rundir)
{
	const MhpScenario *s = cfg->scenario;
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *append = g_strdup_printf(MHP_GUEST_CMDLINE " %s", s->guest.append ? s->guest.append : "");
	g_autofree char *console_log = console_log_opts(cfg->results_dir);
	g_autofree char *name = mhp_backend_qemu_opt_escape(s->name);
	g_autofree char *qmp = opt_path(rundir, "qmp.sock");
	g_autofree char *console = opt_path(rundir, "console.sock");
	g_autofree char *agent = opt_path(rundir, "agent.sock");

#define ADD(x) g_ptr_array_add(a, g_strdup(x))
#define ADDF(...) g_ptr_array_add(a, g_strdup_printf(__VA_ARGS__))
	ADD(s->guest.qemu);
	ADD("-name"); ADDF("guest=mhpstress-%s,debug-threads=on", name);
	ADD("-M"); ADD(s->guest.machine);
	ADD("-cpu"); ADD(s->guest.cpu);
	ADD("-accel"); ADD("tcg");
	ADD("-smp"); ADDF("%u", s->guest.cpus);
	ADD("-m"); ADDF("%" G_GUINT64_FORMAT "M,slots=%u,maxmem=%" G_GUINT64_FORMAT "M",
			s->guest.memory >> 20, s->guest.slots, s->guest.maxmem >> 20);
	ADD("-nodefaults");
	ADD("-display"); ADD("none");
	ADD("-bios"); ADD(s->guest.firmware);
	ADD("-kernel"); ADD(cfg->kernel);
	ADD("-initrd"); ADD(cfg->initrd);
	ADD("-append"); ADD(g_strstrip(append));
	if (!s->guest.reboot)
		ADD("-no-reboot");
	ADD("-sandbox"); ADD("on");
	ADD("-S");
	/* not -qmp unix:PATH: that PATH is an implied key's value, and a '=' in it would make it a key */
	ADD("-chardev"); ADDF("socket,id=qmp0,path=%s,server=on,wait=off", qmp);
	ADD("-mon"); ADD("chardev=qmp0,mode=control");
	ADD("-chardev"); ADDF("socket,id=con0,path=%s,server=on,wait=off,%s", console, console_log);
	ADD("-serial"); ADD("chardev:con0");
	ADD("-device"); ADD("virtio-serial-pci,id=vser0");
	ADD("-chardev"); ADDF("socket,id=agent0,path=%s,server=on,wait=off", agent);
	ADD("-device"); ADD("virtserialport,bus=vser0.0,chardev=agent0,name=org.mhpstress.agent.0");
	ADD("-device"); ADD("pvpanic-pci");
	/* a panicked guest stays paused: its memory can still be dumped */
	ADD("-action"); ADD("panic=pause");
	if (cfg->gdb) {
		ADD("-gdb"); ADD(cfg->gdb);
	}
	for (guint i = 0; s->guest.extra_args && s->guest.extra_args[i]; i++)
		ADD(s->guest.extra_args[i]);
#undef ADD
#undef ADDF
	return a;
}

static void on_child_exit(GPid pid, gint status, gpointer user_data)
{
	BackendQemu *q = user_data;
	g_autofree char *how = NULL;

	q->exited = TRUE;
	g_spawn_close_pid(pid);
	g_source_unref(q->child_src);
	q->child_src = NULL;
	mhp_backend_source_clear(&q->timer);
	if (WIFEXITED(status))
		how = g_strdup_printf("QEMU exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		how = g_strdup_printf("QEMU was killed by signal %d", WTERMSIG(status));
	else
		how = g_strdup_printf("QEMU ended with wait status 0x%x", status);
	if (!q->started) {
		g_autofree char *log = g_build_filename(q->base.cfg.results_dir, "qemu.log", NULL);
		g_autofree char *text = NULL;

		g_file_get_contents(log, &text, NULL, NULL);
		fail_start(q, g_error_new(G_IO_ERROR, G_IO_ERROR_FAILED, "%s before the guest started: %s", how,
					  text && *text ? g_strstrip(text) : "(qemu.log is empty)"));
	}
	q->base.cb.exited(&q->base, how, q->base.user_data);
}

static gboolean on_console(gint fd, GIOCondition cond, gpointer user_data)
{
	BackendQemu *q = user_data;
	char buf[8192];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		mhp_backend_console_flush(&q->base);
		g_source_unref(q->console_src);
		q->console_src = NULL;
		close(q->console_fd);
		q->console_fd = -1;
		return G_SOURCE_REMOVE;
	}
	mhp_backend_console_feed(&q->base, buf, (gsize)n);
	return G_SOURCE_CONTINUE;
}

static gboolean connect_console(BackendQemu *q, GError **error)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	g_autofree char *path = g_build_filename(q->rundir, "console.sock", NULL);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "console socket: %s", g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return FALSE;
	}
	q->console_fd = fd;
	q->console_src = g_unix_fd_source_new(fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
	g_source_set_callback(q->console_src, G_SOURCE_FUNC(on_console), q, NULL);
	g_source_attach(q->console_src, q->base.ctx);
	return TRUE;
}

static void on_cont(MhpQmp *qmp, struct json_object *ret, const GError *error, gpointer user_data)
{
	BackendQemu *q = user_data;

	if (error) {
		fail_start(q, g_error_copy(error));
		return;
	}
	emit_started(q, NULL);
}

static void qmp_ready(MhpQmp *qmp, const GError *error, gpointer user_data)
{
	BackendQemu *q = user_data;
	g_autoptr(GError) e = NULL;
	g_autofree char *agent = g_build_filename(q->rundir, "agent.sock", NULL);

	mhp_backend_source_clear(&q->timer);
	if (error) {
		fail_start(q, g_error_copy(error));
		return;
	}
	g_free(q->base.identity);
	q->base.identity = g_strdup_printf("QEMU %s", mhp_qmp_version(qmp));
	if (!connect_console(q, &e) || !mhp_agent_link_connect(q->base.agent, agent, 2000, &e)) {
		fail_start(q, g_steal_pointer(&e));
		return;
	}
	mhp_qmp_execute(q->qmp, "cont", NULL, on_cont, q);
}

static gboolean try_connect_qmp(gpointer user_data)
{
	BackendQemu *q = user_data;
	g_autofree char *path = g_build_filename(q->rundir, "qmp.sock", NULL);
	g_autoptr(GError) e = NULL;

	if (q->exited)
		return G_SOURCE_REMOVE;
	if (mhp_qmp_connect(q->qmp, path, &e)) {
		g_source_unref(q->timer);
		q->timer = NULL;
		return G_SOURCE_REMOVE; /* qmp_ready follows */
	}
	if (g_get_monotonic_time() > q->deadline) {
		g_source_unref(q->timer);
		q->timer = NULL;
		fail_start(q, g_error_new(G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
					  "QMP socket did not come up within %d s: %s", START_TIMEOUT_MS / 1000, e->message));
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static void qmp_event(MhpQmp *qmp, const char *name, struct json_object *data, struct json_object *msg,
		      gpointer user_data)
{
	BackendQemu *q = user_data;
	MhpHotplugEvent ev = { .slot = -1, .source = -1, .status = -1 };
	struct json_object *v;

	if (strcmp(name, "ACPI_DEVICE_OST") == 0 && mhp_hotplug_event_from_ost(data, &ev)) {
		q->base.cb.hotplug(&q->base, &ev, q->base.user_data);
	} else if (strcmp(name, "DEVICE_DELETED") == 0 && data) {
		ev.type = MHP_HOTPLUG_DELETED;
		if (json_object_object_get_ex(data, "device", &v))
			ev.device = json_object_get_string(v);
		q->base.cb.hotplug(&q->base, &ev, q->base.user_data);
	} else if (strcmp(name, "DEVICE_UNPLUG_GUEST_ERROR") == 0 && data) {
		ev.type = MHP_HOTPLUG_GUEST_ERROR;
		if (json_object_object_get_ex(data, "device", &v))
			ev.device = json_object_get_string(v);
		q->base.cb.hotplug(&q->base, &ev, q->base.user_data);
	} else {
		q->base.cb.event(&q->base, name, data, q->base.user_data);
	}
}

static void qmp_log(MhpQmp *qmp, gboolean incoming, struct json_object *msg, gpointer user_data)
{
	BackendQemu *q = user_data;

	q->base.cb.log(&q->base, incoming ? "qmp-in" : "qmp-out", msg, q->base.user_data);
}

static void qmp_closed(MhpQmp *qmp, const GError *error, gpointer user_data)
{
	/* the child watch reports the exit; a QMP drop alone changes nothing here */
}

/* QEMU never outlives us: if we are killed, so is it. */
static void child_setup(gpointer user_data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static void qemu_start(MhpBackend *b)
{
	BackendQemu *q = (BackendQemu *)b;
	g_autoptr(GPtrArray) argv = NULL;
	g_autoptr(GError) e = NULL;
	g_autofree char *log = g_build_filename(q->base.cfg.results_dir, "qemu.log", NULL);
	g_autofree char *pidfile = g_build_filename(q->base.cfg.results_dir, "qemu.pid", NULL);
	g_autofree char *pidtext = NULL;
	int logfd;

	q->rundir = g_dir_make_tmp("mhpstress-XXXXXX", &e);
	if (!q->rundir) {
		fail_start(q, g_steal_pointer(&e));
		return;
	}
	argv = mhp_backend_qemu_argv(&q->base.cfg, q->rundir);
	g_ptr_array_add(argv, NULL);
	logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600); /* not through a symlink */
	if (logfd < 0) {
		fail_start(q, g_error_new(G_IO_ERROR, g_io_error_from_errno(errno), "cannot open '%s': %s", log,
					  g_strerror(errno)));
		return;
	}
	/* QEMU appends to console.log (logappend=on): made here first, 0600 and
	 * not through a symlink, as the results' other files are */
	{
		g_autofree char *con = g_build_filename(q->base.cfg.results_dir, "console.log", NULL);
		int cfd = open(con, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);

		if (cfd < 0) {
			fail_start(q, g_error_new(G_IO_ERROR, g_io_error_from_errno(errno), "cannot open '%s': %s", con,
						  g_strerror(errno)));
			close(logfd);
			return;
		}
		close(cfd);
	}
	{
		g_autofree char *cmdline = g_strjoinv(" ", (char **)argv->pdata);
		g_autofree char *hdr = g_strdup_printf("# %s\n", cmdline);
		ssize_t w = write(logfd, hdr, strlen(hdr));
		(void)w; /* the log header is a courtesy */
	}
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (!g_spawn_async_with_pipes_and_fds(NULL, (const char *const *)argv->pdata, NULL,
					      G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, child_setup, NULL,
					      devnull, logfd, logfd, NULL, NULL, 0, &q->pid, NULL, NULL, NULL, &e)) {
		close(logfd);
		close(devnull);
		g_prefix_error(&e, "cannot start '%s': ", q->base.cfg.scenario->guest.qemu);
		fail_start(q, g_steal_pointer(&e));
		return;
	}
	close(logfd);
	close(devnull);
	pidtext = g_strdup_printf("%d\n", q->pid);
	mhp_results_write_file(pidfile, pidtext, -1, NULL);
	q->child_src = g_child_watch_source_new(q->pid);
	g_source_set_callback(q->child_src, G_SOURCE_FUNC(on_child_exit), q, NULL);
	g_source_attach(q->child_src, b->ctx);
	q->deadline = g_get_monotonic_time() + START_TIMEOUT_MS * 1000ll;
	set_timer(q, CONNECT_RETRY_MS, try_connect_qmp);
}

static struct json_object *memdev_props(const MhpDimmSpec *d)
{
	struct json_object *a = json_object_new_object();
	static const char *const types[] = { "memory-backend-ram", "memory-backend-file", "memory-backend-memfd" };

	json_object_object_add(a, "qom-type", json_object_new_string(types[d->backend]));
	json_object_object_add(a, "id", json_object_new_string(d->memdev));
	json_object_object_add(a, "size", json_object_new_uint64(d->size));
	if (d->backend == MHP_MEMDEV_FILE) {
		g_autofree char *p = g_strdup_printf("%s/mhpstress-%d-%s", d->backend_path, getpid(), d->memdev);
		json_object_object_add(a, "mem-path", json_object_new_string(p));
		json_object_object_add(a, "discard-data", json_object_new_boolean(TRUE));
	}
	return a;
}

typedef struct {
	BackendQemu *q;
	MhpDimmSpec d;
	MhpBackendDoneFunc cb;
	gpointer user_data;
	guint pending;  /* plug: replies still to come */
	GError *error;  /* plug: the first error */
} Op;

static void op_done(Op *op, const GError *error)
{
	op->cb(&op->q->base, error, op->user_data);
	g_clear_error(&op->error);
	g_free(op);
}

/*
 * object-add and device_add go out back to back: QMP runs them in order, so
 * the DIMM's memdev exists by the time device_add is read, and a plug costs
 * one round trip instead of two. The plug is done when both replies are in;
 * an object-add error is the one reported (device_add then fails for want
 * of the memdev).
 */
static void plug_step(Op *op, const GError *error)
{
	if (error && !op->error)
		op->error = g_error_copy(error);
	if (--op->pending)
		return;
	op_done(op, op->error);
}

static void on_plug_reply(MhpQmp *qmp, struct json_object *ret, const GError *error, gpointer user_data)
{
	plug_step(user_data, error);
}

static Op *op_new(BackendQemu *q, const MhpDimmSpec *d, MhpBackendDoneFunc cb, gpointer user_data)
{
	Op *op = g_new0(Op, 1);

	op->q = q;
	if (d)
		op->d = *d;
	op->cb = cb;
	op->user_data = user_data;
	return op;
}

static void qemu_plug(MhpBackend *b, const MhpDimmSpec *d, MhpBackendDoneFunc cb, gpointer user_data)
{
	BackendQemu *q = (BackendQemu *)b;
	Op *op = op_new(q, d, cb, user_data);
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "driver", json_object_new_string("pc-dimm"));
	json_object_object_add(a, "id", json_object_new_string(d->id));
	json_object_object_add(a, "memdev", json_object_new_string(d->memdev));
	if (d->slot >= 0)
		json_object_object_add(a, "slot", json_object_new_int(d->slot));
	op->pending = 2;
	mhp_qmp_execute(q->qmp, "object-add", memdev_props(d), on_plug_reply, op);
	mhp_qmp_execute(q->qmp, "device_add", a, on_plug_reply, op);
}

static void on_simple(MhpQmp *qmp, struct json_object *ret, const GError *error, gpointer user_data)
{
	op_done(user_data, error);
}

static void qemu_unplug(MhpBackend *b, const MhpDimmSpec *d, MhpBackendDoneFunc cb, gpointer user_data)
{
	BackendQemu *q = (BackendQemu *)b;
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "id", json_object_new_string(d->id));
	mhp_qmp_execute(q->qmp, "device_del", a, on_simple, op_new(q, d, cb, user_data));
}

static void qemu_release(MhpBackend *b, const MhpDimmSpec *d, MhpBackendDoneFunc cb, gpointer user_data)
{
	BackendQemu *q = (BackendQemu *)b;
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "id", json_object_new_string(d->memdev));
	mhp_qmp_execute(q->qmp, "object-del", a, on_simple, op_new(q, d, cb, user_data));
}

typedef struct {
	BackendQemu *q;
	MhpBackendDevicesFunc cb;
	gpointer user_data;
} DevOp;

static void on_query_devices(MhpQmp *qmp, struct json_object *ret, const GError *error, gpointer user_data)
{
	DevOp *op = user_data;
	g_autoptr(GArray) devs = error ? NULL : mhp_memory_devices_from_qmp(ret);

	op->cb(&op->q->base, devs, error, op->user_data);
	g_free(op);
}

static void qemu_query_devices(MhpBackend *b, MhpBackendDevicesFunc cb, gpointer user_data)
{
	BackendQemu *q = (BackendQemu *)b;
	DevOp *op = g_new0(DevOp, 1);

	op->q = q;
	op->cb = cb;
	op->user_data = user_data;
	mhp_qmp_execute(q->qmp, "query-memory-devices", NULL, on_query_devices, op);
}

static void qemu_pause(MhpBackend *b, MhpBackendDoneFunc cb, gpointer user_data)
{
	BackendQemu *q = (BackendQemu *)b;

	mhp_qmp_execute(q->qmp, "stop", NULL, on_simple, op_new(q, NULL, cb, user_data));
}

static void qemu_resume(MhpBackend *b, MhpBackendDoneFunc cb, gpointer user_data)
{
	BackendQemu *q = (BackendQemu *)b;

	mhp_qmp_execute(q->qmp, "cont", NULL, on_simple, op_new(q, NULL, cb, user_data));
}

static void qemu_dump_memory(MhpBackend *b, const char *path, MhpBackendDoneFunc cb, gpointer user_data)
{
	BackendQemu *q = (BackendQemu *)b;
	struct json_object *a = json_object_new_object();
	g_autofree char *protocol = g_strdup_printf("file:%s", path);

	/* synchronous (no detach): the reply comes when the file is complete */
	json_object_object_add(a, "paging", json_object_new_boolean(FALSE));
	json_object_object_add(a, "protocol", json_object_new_string(protocol));
	mhp_qmp_execute(q->qmp, "dump-guest-memory", a, on_simple, op_new(q, NULL, cb, user_data));
}

static gboolean on_quit_deadline(gpointer user_data)
{
	BackendQemu *q = user_data;

	g_source_unref(q->timer);
	q->timer = NULL;
	if (!q->exited && q->pid > 0)
		kill(q->pid, SIGKILL);
	return G_SOURCE_REMOVE;
}

static void qemu_stop(MhpBackend *b)
{
	BackendQemu *q = (BackendQemu *)b;

	if (q->exited || q->stopping || q->pid <= 0)
		return;
	q->stopping = TRUE;
	mhp_qmp_execute(q->qmp, "quit", NULL, NULL, NULL);
	set_timer(q, QUIT_GRACE_MS, on_quit_deadline);
}

static gboolean qemu_is_running(MhpBackend *b)
{
	BackendQemu *q = (BackendQemu *)b;

	return q->pid > 0 && !q->exited;
}

static void rm_rundir(const char *dir)
{
	static const char *const names[] = { "qmp.sock", "console.sock", "agent.sock" };

	for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *p = g_build_filename(dir, names[i], NULL);
		g_unlink(p);
	}
	g_rmdir(dir);
}

static void qemu_free(MhpBackend *b)
{
	BackendQemu *q = (BackendQemu *)b;

	mhp_backend_source_clear(&q->timer);
	mhp_backend_source_clear(&q->child_src);
	if (!q->exited && q->pid > 0) {
		kill(q->pid, SIGKILL);
		waitpid(q->pid, NULL, 0);
	}
	mhp_backend_source_clear(&q->console_src);
	if (q->console_fd >= 0)
		close(q->console_fd);
	mhp_qmp_free(q->qmp);
	if (q->rundir)
		rm_rundir(q->rundir);
	g_free(q->rundir);
	mhp_backend_clear(&q->base);
	g_free(q);
}

static const MhpBackendOps qemu_ops = {
	.name = "qemu",
	.start = qemu_start,
	.plug = qemu_plug,
	.unplug = qemu_unplug,
	.release = qemu_release,
	.query_devices = qemu_query_devices,
	.pause = qemu_pause,
	.resume = qemu_resume,
	.dump_memory = qemu_dump_memory,
	.stop = qemu_stop,
	.is_running = qemu_is_running,
	.free = qemu_free,
};

MhpBackend *mhp_backend_qemu_new(GMainContext *ctx, const MhpBackendConfig *cfg, MhpAgentLink *agent,
				 const MhpBackendCallbacks *cb, gpointer user_data)
{
	BackendQemu *q = g_new0(BackendQemu, 1);
	static const MhpQmpCallbacks qcb = {
		.ready = qmp_ready, .event = qmp_event, .log = qmp_log, .closed = qmp_closed,
	};

	mhp_backend_init(&q->base, &qemu_ops, ctx, cfg, agent, cb, user_data);
	q->console_fd = -1;
	q->qmp = mhp_qmp_new(q->base.ctx, &qcb, q);
	return &q->base;
}

void mhp_backend_qemu_recover(const char *dir)
{
	g_autofree char *pidfile = g_build_filename(dir, "qemu.pid", NULL);
	g_autofree char *text = NULL, *cmdline = NULL, *proc = NULL;
	g_autofree char *ours = console_log_opts(dir);
	gsize len;
	long pid;

	if (!g_file_get_contents(pidfile, &text, NULL, NULL) || (pid = strtol(text, NULL, 10)) <= 1)
		return;
	proc = g_strdup_printf("/proc/%ld/cmdline", pid);
	/*
	 * Only the QEMU this run started: it logs its console to this run's
	 * console.log. Another run's QEMU, or a reused pid, does not.
	 */
	if (!g_file_get_contents(proc, &cmdline, &len, NULL) || !memmem(cmdline, len, ours, strlen(ours)))
		return;
	kill((pid_t)pid, SIGKILL);
}
