// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * backend-libvirt.c - drive a libvirt domain, local or remote.
 *
 * DOC: Theory of Operation
 *
 * The same operations as backend-qemu.c, through libvirt's API:
 *
 * - start: connect to the URI, then boot the domain paused with
 *   VIR_DOMAIN_START_AUTODESTROY (libvirtd destroys it if our connection
 *   drops, so a killed mhpstress leaves no guest behind). The domain is
 *   either the user's (--domain NAME, which must be shut off) or a
 *   transient one built from the scenario's [guest] section. While it is
 *   paused we register for events and open the console and the agent's
 *   virtio-serial channel as streams (virDomainOpenConsole,
 *   virDomainOpenChannel: both work over remote connections), then resume.
 *   Nothing the guest prints is missed.
 * - plug: attach a <memory model='dimm'> with the user alias "ua-dimmN";
 *   libvirt sends object-add memua-dimmN and device_add ua-dimmN.
 * - unplug: virDomainDetachDeviceAlias, which only sends device_del.
 *   Completion is an event, never a return value: libvirt's
 *   DEVICE_REMOVED, or DEVICE_REMOVAL_FAILED when the guest refuses.
 * - The raw QMP events come through virConnectDomainQemuMonitorEventRegister,
 *   so the engine sees every ACPI_DEVICE_OST exactly as with QEMU, and can
 *   wait for the insert OST before a device_del.
 * - release: nothing to do; libvirt deletes the memory backend itself
 *   before it reports DEVICE_REMOVED.
 *
 * Every libvirt call that can block runs on a worker thread (GTask) and
 * reports back on the engine's context. libvirt's own events run on the
 * same context through virt-event.c. Strings the engine sees name devices
 * as it does ("dimmN"): the "ua-" prefix is added and stripped here.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend-libvirt.h"
#include "virt-event.h"

#define ALIAS_PREFIX "ua-"
#define AGENT_CHANNEL "org.mhpstress.agent.0"
#define STOP_GRACE_MS 40000 /* a graceful destroy waits 10 s, then SIGKILL */
#define STREAM_MAX_BUFFER (64u << 20)
#define QMP_EVENT_MAX_DEPTH 16
/* Transient domains carry who made them, so an orphan can be recognized:
 * one whose mhpstress died while libvirtd was down (autodestroy lost). */
#define OWNER_NS "https://mhpstress.org/xmlns/owner/1"

typedef struct BackendLibvirt BackendLibvirt;

typedef struct {
	BackendLibvirt *b;
	virStreamPtr st;
	const char *what;
	int fd;          /* the agent: our end of the socketpair; -1 for the console */
	GSource *fd_src;
	GIOCondition fd_cond;
	GByteArray *to_fd;
	GByteArray *to_st;
	int st_events;
	gboolean closed;
} Stream;

struct BackendLibvirt {
	MhpBackend base;
	gint refs;
	gboolean disposed;
	MhpBackendConfig cfg;
	char *uri;
	char *results_dir;
	virConnectPtr conn;
	virDomainPtr dom;
	char *dom_name;
	int cb_ids[4];   /* lifecycle, removed, removal-failed, added; -1: none */
	int cb_qmp;
	gboolean close_cb;
	Stream *console;
	Stream *agent;
	int console_log;
	GSource *timer;  /* the stop deadline */
	gboolean started;
	gboolean exited;
	gboolean stopping;
};

static BackendLibvirt *lv_ref(BackendLibvirt *b)
{
	g_atomic_int_inc(&b->refs);
	return b;
}

static void lv_unref(gpointer data)
{
	BackendLibvirt *b = data;

	if (!g_atomic_int_dec_and_test(&b->refs))
		return;
	g_free(b->uri);
	g_free(b->results_dir);
	g_free(b->dom_name);
	g_free((char *)b->cfg.kernel);
	g_free((char *)b->cfg.initrd);
	g_free((char *)b->cfg.connect);
	g_free((char *)b->cfg.domain);
	g_free((char *)b->cfg.gdb);
	mhp_backend_clear(&b->base);
	g_free(b);
}

/* libvirt's error for the calling thread, as a GError */
static void set_virt_error(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void set_virt_error(GError **error, const char *fmt, ...)
{
	virErrorPtr ve = virGetLastError();
	g_autofree char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what,
		    ve && ve->message ? ve->message : "unknown libvirt error");
}

/* ---- the domain XML ------------------------------------------------- */

static void xml_qemu_arg(GString *q, const char *arg)
{
	g_autofree char *v = g_markup_escape_text(arg, -1);

	g_string_append_printf(q, "    <qemu:arg value='%s'/>\n", v);
}

char *mhp_backend_libvirt_domain_xml(const MhpBackendConfig *cfg, const char *name, GError **error)
{
	const MhpScenario *s = cfg->scenario;
	g_autoptr(GString) x = g_string_new(NULL);
	g_autoptr(GString) q = g_string_new(NULL);
	g_auto(GStrv) mach = g_strsplit(s->guest.machine, ",", -1);
	g_auto(GStrv) cpu = g_strsplit(s->guest.cpu, ",", -1);
	g_autofree char *append = g_strdup_printf("console=ttyAMA0 panic=-1 %s", s->guest.append ? s->guest.append : "");
	const char *gic = NULL;
	char *t;

	if (strcmp(mach[0], "virt") != 0 && !g_str_has_prefix(mach[0], "virt-")) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
			    "[guest] machine '%s': the libvirt backend builds 'virt' machines only", s->guest.machine);
		return NULL;
	}
	for (guint i = 1; mach[i]; i++) {
		if (g_str_has_prefix(mach[i], "gic-version=")) {
			gic = mach[i] + strlen("gic-version=");
		} else {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
				    "[guest] machine option '%s' has no libvirt equivalent; define the domain yourself and pass --domain",
				    mach[i]);
			return NULL;
		}
	}
	/* CPU properties (pauth-impdef=on) are qdev properties: -global sets them */
	for (guint i = 1; cpu[i]; i++) {
		g_autofree char *glob = g_strdup_printf("%s-arm-cpu.%s", cpu[0], cpu[i]);
		xml_qemu_arg(q, "-global");
		xml_qemu_arg(q, glob);
	}
	/* a panicked guest stays paused, for a vmcore; pvpanic-pci reports it.
	 * libvirt 9.0 has no pvpanic model for arm: pass the device through. */
	xml_qemu_arg(q, "-device");
	xml_qemu_arg(q, "pvpanic-pci,bus=pcie.0,addr=0x1f");
	xml_qemu_arg(q, "-action");
	xml_qemu_arg(q, "panic=pause");
	if (cfg->gdb) {
		xml_qemu_arg(q, "-gdb");
		xml_qemu_arg(q, cfg->gdb);
	}
	for (guint i = 0; s->guest.extra_args && s->guest.extra_args[i]; i++)
		xml_qemu_arg(q, s->guest.extra_args[i]);

	g_string_append(x, "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n");
	t = g_markup_printf_escaped("  <name>%s</name>\n", name);
	g_string_append(x, t);
	g_free(t);
	g_string_append_printf(x, "  <memory unit='KiB'>%" G_GUINT64_FORMAT "</memory>\n", s->guest.memory >> 10);
	g_string_append_printf(x, "  <maxMemory slots='%u' unit='KiB'>%" G_GUINT64_FORMAT "</maxMemory>\n",
			       s->guest.slots, s->guest.maxmem >> 10);
	g_string_append_printf(x, "  <vcpu>%u</vcpu>\n", s->guest.cpus);
	if (s->dimm.backend == MHP_MEMDEV_MEMFD)
		g_string_append(x, "  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>\n");
	else if (s->dimm.backend == MHP_MEMDEV_FILE)
		g_string_append(x, "  <memoryBacking><source type='file'/></memoryBacking>\n");
	t = g_markup_printf_escaped("  <os firmware='efi'>\n"
				    "    <type arch='aarch64' machine='%s'>hvm</type>\n"
				    "    <firmware><feature enabled='no' name='secure-boot'/></firmware>\n"
				    "    <kernel>%s</kernel>\n"
				    "    <initrd>%s</initrd>\n"
				    "    <cmdline>%s</cmdline>\n"
				    "  </os>\n",
				    mach[0], cfg->kernel, cfg->initrd, g_strstrip(append));
	g_string_append(x, t);
	g_free(t);
	g_string_append(x, "  <features><acpi/>");
	if (gic) {
		t = g_markup_printf_escaped("<gic version='%s'/>", gic);
		g_string_append(x, t);
		g_free(t);
	}
	g_string_append(x, "</features>\n");
	t = g_markup_printf_escaped("  <cpu mode='custom' match='exact'><model fallback='forbid'>%s</model>\n", cpu[0]);
	g_string_append(x, t);
	g_free(t);
	/* memory hotplug needs a NUMA cell */
	g_string_append_printf(x, "    <numa><cell id='0' cpus='0-%u' memory='%" G_GUINT64_FORMAT "' unit='KiB'/></numa>\n"
				  "  </cpu>\n",
			       s->guest.cpus - 1, s->guest.memory >> 10);
	t = mhp_backend_libvirt_owner();
	g_string_append_printf(x, "  <metadata><mhp:owner xmlns:mhp='" OWNER_NS "' %s/></metadata>\n", t);
	g_free(t);
	g_string_append_printf(x, "  <on_poweroff>destroy</on_poweroff>\n"
				  "  <on_reboot>%s</on_reboot>\n"
				  "  <on_crash>preserve</on_crash>\n",
			       s->guest.reboot ? "restart" : "destroy");
	g_string_append(x, "  <devices>\n");
	if (g_path_is_absolute(s->guest.qemu)) {
		t = g_markup_printf_escaped("    <emulator>%s</emulator>\n", s->guest.qemu);
		g_string_append(x, t);
		g_free(t);
	}
	g_string_append(x, "    <serial type='pty'><target port='0'/></serial>\n"
			   "    <console type='pty'><target type='serial' port='0'/></console>\n"
			   "    <controller type='virtio-serial' index='0'/>\n"
			   "    <channel type='unix'><source mode='bind'/>"
			   "<target type='virtio' name='" AGENT_CHANNEL "'/></channel>\n"
			   "    <memballoon model='none'/>\n"
			   "  </devices>\n");
	g_string_append_printf(x, "  <qemu:commandline>\n%s  </qemu:commandline>\n</domain>\n", q->str);
	return g_string_free(g_steal_pointer(&x), FALSE);
}

char *mhp_backend_libvirt_dimm_xml(const MhpDimmSpec *d)
{
	g_autoptr(GString) x = g_string_new(NULL);

	g_string_append_printf(x, "<memory model='dimm'><target><size unit='KiB'>%" G_GUINT64_FORMAT "</size>"
				  "<node>0</node></target><alias name='" ALIAS_PREFIX "%s'/>",
			       d->size >> 10, d->id);
	if (d->slot >= 0)
		g_string_append_printf(x, "<address type='dimm' slot='%d'/>", d->slot);
	g_string_append(x, "</memory>");
	return g_string_free(g_steal_pointer(&x), FALSE);
}

/* "ua-dimm3" -> "dimm3"; anything else is not ours and stays as it is */
static const char *engine_name(const char *alias)
{
	return alias && g_str_has_prefix(alias, ALIAS_PREFIX) ? alias + strlen(ALIAS_PREFIX) : alias;
}

/* ---- owners: finding our own orphans --------------------------------- */

/* The start time (field 22 of /proc/PID/stat, counted after the ')' that
 * ends the command name) of @pid ("self" or a number); NULL when it is gone. */
static char *start_time(const char *pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%s/stat", pid);
	g_autofree char *stat = NULL;
	char *p;

	if (!g_file_get_contents(path, &stat, NULL, NULL) || !(p = strrchr(stat, ')')))
		return NULL;
	g_auto(GStrv) f = g_strsplit(p + 2, " ", 22);
	return g_strv_length(f) >= 21 ? g_strdup(f[19]) : NULL;
}

static char *boot_id(void)
{
	g_autofree char *boot = NULL;

	g_file_get_contents("/proc/sys/kernel/random/boot_id", &boot, NULL, NULL);
	return g_strdup(boot ? g_strstrip(boot) : "");
}

static char *host_name(void)
{
	return g_markup_escape_text(g_get_host_name(), -1);
}

/* "host='h' boot='b' pid='n' start='t'" for this process: the host name,
 * the kernel's boot id and the pid's start time tell a dead owner from a
 * reused pid. */
char *mhp_backend_libvirt_owner(void)
{
	g_autofree char *host = host_name(), *boot = boot_id(), *start = start_time("self");

	return g_strdup_printf("host='%s' boot='%s' pid='%d' start='%s'", host, boot, getpid(), start ? start : "0");
}

/* name='v' or name="v" (libvirt gives the element back re-serialized) */
static char *owner_attr(const char *xml, const char *name)
{
	g_autofree char *key = g_strdup_printf(" %s=", name);
	const char *p = strstr(xml, key), *e;

	if (!p)
		return NULL;
	p += strlen(key);
	if (*p != '\'' && *p != '"')
		return NULL;
	e = strchr(p + 1, *p);
	return e ? g_strndup(p + 1, (gsize)(e - p - 1)) : NULL;
}

/* @d was made by an mhpstress on this host, this boot, that is gone. */
static gboolean is_orphan(virDomainPtr d)
{
	char *theirs = virDomainGetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, OWNER_NS, VIR_DOMAIN_AFFECT_LIVE);
	g_autofree char *host = NULL, *boot = NULL, *pid = NULL, *start = NULL, *now = NULL;
	g_autofree char *my_host = host_name(), *my_boot = boot_id();
	gboolean orphan;

	if (!theirs) {
		virResetLastError();
		return FALSE; /* not ours */
	}
	host = owner_attr(theirs, "host");
	boot = owner_attr(theirs, "boot");
	pid = owner_attr(theirs, "pid");
	start = owner_attr(theirs, "start");
	free(theirs);
	if (!pid || !start || g_strcmp0(host, my_host) != 0 || g_strcmp0(boot, my_boot) != 0)
		return FALSE; /* another host's or another boot's: not ours to judge */
	now = *pid && strspn(pid, "0123456789") == strlen(pid) ? start_time(pid) : NULL;
	orphan = !now || strcmp(now, start) != 0;
	return orphan;
}

/* ---- work on a thread, results on the engine's context ---------------- */

typedef struct Work Work;
typedef gboolean (*WorkFunc)(Work *w, GError **error);

struct Work {
	BackendLibvirt *b;
	virConnectPtr conn; /* our own references: dispose may drop the backend's */
	virDomainPtr dom;
	WorkFunc fn;
	void (*finish)(Work *w, const GError *error);
	void (*abandon)(Work *w); /* the backend was freed first: release what fn made */
	MhpBackendDoneFunc done;
	MhpBackendDevicesFunc devices;
	gpointer user_data;
	char *arg;
	char *reply;
};

static void work_free(Work *w)
{
	if (w->dom)
		virDomainFree(w->dom);
	if (w->conn)
		virConnectClose(w->conn);
	g_free(w->arg);
	g_free(w->reply);
	lv_unref(w->b);
	g_free(w);
}

static void work_thread(GTask *task, gpointer src, gpointer data, GCancellable *c)
{
	Work *w = data;
	GError *error = NULL;

	if (w->fn(w, &error))
		g_task_return_boolean(task, TRUE);
	else
		g_task_return_error(task, error);
}

static void work_done(GObject *src, GAsyncResult *res, gpointer data)
{
	Work *w = g_task_get_task_data(G_TASK(res));
	g_autoptr(GError) error = NULL;

	g_task_propagate_boolean(G_TASK(res), &error);
	if (!w->b->disposed)
		w->finish(w, error);
	else if (w->abandon)
		w->abandon(w);
	/* the GTask owns w and frees it */
}

static void simple_finish(Work *w, const GError *error)
{
	w->done(&w->b->base, error, w->user_data);
}

static void work_run(BackendLibvirt *b, WorkFunc fn, void (*finish)(Work *, const GError *), Work *w)
{
	GTask *task;

	w->b = lv_ref(b);
	w->fn = fn;
	w->finish = finish ? finish : simple_finish;
	if (b->conn) {
		virConnectRef(b->conn);
		w->conn = b->conn;
	}
	if (b->dom) {
		virDomainRef(b->dom);
		w->dom = b->dom;
	}
	g_main_context_push_thread_default(b->base.ctx);
	task = g_task_new(NULL, NULL, work_done, NULL);
	g_main_context_pop_thread_default(b->base.ctx);
	g_task_set_task_data(task, w, (GDestroyNotify)work_free);
	g_task_run_in_thread(task, work_thread);
	g_object_unref(task);
}

static Work *work_new(MhpBackendDoneFunc done, gpointer user_data)
{
	Work *w = g_new0(Work, 1);

	w->done = done;
	w->user_data = user_data;
	return w;
}

/* ---- streams: console and agent channel ------------------------------ */

static void stream_update(Stream *s);
static gboolean on_fd(gint fd, GIOCondition cond, gpointer data);

/* (Re)watch our end of the agent's socketpair for @cond. */
static void fd_watch(Stream *s, GIOCondition cond)
{
	if (s->fd_src && s->fd_cond == cond)
		return;
	if (s->fd_src) {
		g_source_destroy(s->fd_src);
		g_source_unref(s->fd_src);
	}
	s->fd_cond = cond;
	s->fd_src = g_unix_fd_source_new(s->fd, cond);
	g_source_set_callback(s->fd_src, G_SOURCE_FUNC(on_fd), s, NULL);
	g_source_attach(s->fd_src, s->b->base.ctx);
}

static void stream_close(Stream *s)
{
	if (s->closed)
		return;
	s->closed = TRUE;
	if (s->fd_src) {
		g_source_destroy(s->fd_src);
		g_source_unref(s->fd_src);
		s->fd_src = NULL;
	}
	if (s->fd >= 0) {
		close(s->fd); /* the agent link sees the hangup */
		s->fd = -1;
	}
	if (s->st_events >= 0)
		virStreamEventRemoveCallback(s->st);
	s->st_events = -1;
}

static void stream_free(Stream *s)
{
	if (!s)
		return;
	stream_close(s);
	if (virStreamAbort(s->st) < 0)
		virResetLastError(); /* it had ended already */
	virStreamFree(s->st);
	g_byte_array_unref(s->to_fd);
	g_byte_array_unref(s->to_st);
	g_free(s);
}

static void console_data(BackendLibvirt *b, const char *buf, gssize n)
{
	if (b->console_log >= 0 && write(b->console_log, buf, (size_t)n) != n) {
		/* a full disk loses console.log lines, not the run */
	}
	mhp_backend_console_feed(&b->base, buf, (gsize)n);
}

/* What the console still holds when the domain stops (a panic's last lines),
 * up to 1 MiB, and the partial line. */
static void console_drain(Stream *s)
{
	char buf[65536];

	for (int i = 0; i < 16 && !s->closed; i++) {
		int n = virStreamRecv(s->st, buf, sizeof(buf));
		if (n <= 0)
			break;
		console_data(s->b, buf, n);
	}
	virResetLastError();
	mhp_backend_console_flush(&s->b->base);
}

static void stream_eof(Stream *s)
{
	if (s == s->b->console)
		mhp_backend_console_flush(&s->b->base);
	stream_close(s);
}

static gboolean flush_fd(Stream *s)
{
	while (s->to_fd->len) {
		ssize_t n = send(s->fd, s->to_fd->data, s->to_fd->len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return TRUE;
		if (n <= 0)
			return FALSE;
		g_byte_array_remove_range(s->to_fd, 0, (guint)n);
	}
	return TRUE;
}

/* Send what the agent link wrote; FALSE when the stream failed. A full
 * stream (-2) keeps the rest for its WRITABLE event. */
static gboolean stream_send(Stream *s)
{
	while (s->to_st->len) {
		int n = virStreamSend(s->st, (const char *)s->to_st->data, s->to_st->len);
		if (n == -2)
			return TRUE;
		if (n < 0)
			return FALSE;
		g_byte_array_remove_range(s->to_st, 0, (guint)n);
	}
	return TRUE;
}

static void on_stream(virStreamPtr st, int events, void *opaque)
{
	Stream *s = opaque;
	char buf[65536];

	if (s->closed)
		return;
	if (events & VIR_STREAM_EVENT_READABLE) {
		int n = virStreamRecv(st, buf, sizeof(buf));
		if (n == 0 || n == -1) {
			stream_eof(s);
			return;
		}
		if (n > 0) {
			if (s->fd < 0) {
				console_data(s->b, buf, n);
			} else {
				g_byte_array_append(s->to_fd, (guint8 *)buf, (guint)n);
				if (s->to_fd->len > STREAM_MAX_BUFFER || !flush_fd(s)) {
					stream_eof(s);
					return;
				}
			}
		}
	}
	if ((events & VIR_STREAM_EVENT_WRITABLE) && !stream_send(s)) {
		stream_eof(s);
		return;
	}
	if ((events & (VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP)) && !(events & VIR_STREAM_EVENT_READABLE)) {
		stream_eof(s);
		return;
	}
	stream_update(s);
}

static gboolean on_fd(gint fd, GIOCondition cond, gpointer data)
{
	Stream *s = data;
	char buf[65536];

	if (cond & G_IO_OUT) {
		if (!flush_fd(s)) {
			stream_eof(s);
			return G_SOURCE_CONTINUE; /* stream_close destroyed us */
		}
	}
	if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return G_SOURCE_CONTINUE;
		if (n <= 0 || s->to_st->len > STREAM_MAX_BUFFER) {
			stream_eof(s);
			return G_SOURCE_CONTINUE;
		}
		g_byte_array_append(s->to_st, (guint8 *)buf, (guint)n);
		/* at once, rather than one loop iteration later */
		if (!stream_send(s)) {
			stream_eof(s);
			return G_SOURCE_CONTINUE;
		}
	}
	stream_update(s);
	return G_SOURCE_CONTINUE;
}

static void stream_update(Stream *s)
{
	int ev = VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP;

	if (s->closed)
		return;
	if (s->to_st->len)
		ev |= VIR_STREAM_EVENT_WRITABLE;
	if (ev != s->st_events) {
		virStreamEventUpdateCallback(s->st, ev);
		s->st_events = ev;
	}
	if (s->fd >= 0)
		fd_watch(s, G_IO_IN | G_IO_HUP | G_IO_ERR | (s->to_fd->len ? G_IO_OUT : 0));
}

static gboolean stream_start(Stream *s, GError **error)
{
	int ev = VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP;

	if (virStreamEventAddCallback(s->st, ev, on_stream, s, NULL) < 0) {
		set_virt_error(error, "watching the %s stream", s->what);
		return FALSE;
	}
	s->st_events = ev;
	if (s->fd >= 0)
		fd_watch(s, G_IO_IN | G_IO_HUP | G_IO_ERR);
	return TRUE;
}

static Stream *stream_new(BackendLibvirt *b, virStreamPtr st, const char *what, int fd)
{
	Stream *s = g_new0(Stream, 1);

	s->b = b;
	s->st = st;
	s->what = what;
	s->fd = fd;
	s->st_events = -1;
	s->to_fd = g_byte_array_new();
	s->to_st = g_byte_array_new();
	return s;
}

/* ---- events ---------------------------------------------------------- */

static void emit_exited(BackendLibvirt *b, const char *how)
{
	if (b->exited || b->disposed)
		return;
	b->exited = TRUE;
	if (b->timer) {
		g_source_destroy(b->timer);
		g_source_unref(b->timer);
		b->timer = NULL;
	}
	if (b->agent)
		stream_close(b->agent);
	if (b->console) {
		console_drain(b->console);
		stream_close(b->console);
	}
	if (!b->started) {
		b->started = TRUE;
		g_autoptr(GError) e = g_error_new(G_IO_ERROR, G_IO_ERROR_FAILED, "%s before the guest started", how);
		b->base.cb.started(&b->base, e, b->base.user_data);
	}
	b->base.cb.exited(&b->base, how, b->base.user_data);
}

static void log_event(BackendLibvirt *b, const char *source, const char *name, struct json_object *data,
		      long long seconds, unsigned int micros)
{
	struct json_object *m = json_object_new_object();

	json_object_object_add(m, "event", json_object_new_string(name));
	if (data)
		json_object_object_add(m, "data", json_object_get(data));
	if (seconds >= 0) {
		struct json_object *ts = json_object_new_object();
		json_object_object_add(ts, "seconds", json_object_new_int64(seconds));
		json_object_object_add(ts, "microseconds", json_object_new_int64(micros));
		json_object_object_add(m, "timestamp", ts);
	}
	b->base.cb.log(&b->base, source, m, b->base.user_data);
	json_object_put(m);
}

static const char *const stopped_detail[] = {
	[VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN] = "shut down",
	[VIR_DOMAIN_EVENT_STOPPED_DESTROYED] = "destroyed",
	[VIR_DOMAIN_EVENT_STOPPED_CRASHED] = "crashed",
	[VIR_DOMAIN_EVENT_STOPPED_MIGRATED] = "migrated",
	[VIR_DOMAIN_EVENT_STOPPED_SAVED] = "saved",
	[VIR_DOMAIN_EVENT_STOPPED_FAILED] = "failed (the emulator died)",
	[VIR_DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT] = "replaced by a snapshot",
};

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
	BackendLibvirt *b = opaque;
	struct json_object *d;

	if (b->disposed)
		return 0;
	d = json_object_new_object();
	json_object_object_add(d, "event", json_object_new_int(event));
	json_object_object_add(d, "detail", json_object_new_int(detail));
	log_event(b, "libvirt", "LIFECYCLE", d, -1, 0);
	json_object_put(d);
	if (event == VIR_DOMAIN_EVENT_STOPPED) {
		g_autofree char *how = g_strdup_printf("the domain '%s' stopped: %s", b->dom_name,
						       detail >= 0 && detail < (int)G_N_ELEMENTS(stopped_detail) &&
								       stopped_detail[detail]
							       ? stopped_detail[detail] : "unknown reason");
		emit_exited(b, how);
	}
	return 0;
}

static void device_event(BackendLibvirt *b, const char *name, MhpHotplugEventType type, const char *alias)
{
	MhpHotplugEvent ev = { .type = type, .device = engine_name(alias), .slot = -1, .source = -1, .status = -1 };
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "alias", json_object_new_string(alias ? alias : ""));
	log_event(b, "libvirt", name, d, -1, 0);
	json_object_put(d);
	if (ev.device)
		b->base.cb.hotplug(&b->base, &ev, b->base.user_data);
}

static int on_device_removed(virConnectPtr conn, virDomainPtr dom, const char *alias, void *opaque)
{
	BackendLibvirt *b = opaque;

	if (!b->disposed)
		device_event(b, "DEVICE_REMOVED", MHP_HOTPLUG_DELETED, alias);
	return 0;
}

static int on_device_removal_failed(virConnectPtr conn, virDomainPtr dom, const char *alias, void *opaque)
{
	BackendLibvirt *b = opaque;

	if (!b->disposed)
		device_event(b, "DEVICE_REMOVAL_FAILED", MHP_HOTPLUG_GUEST_ERROR, alias);
	return 0;
}

static int on_device_added(virConnectPtr conn, virDomainPtr dom, const char *alias, void *opaque)
{
	BackendLibvirt *b = opaque;
	struct json_object *d;

	if (b->disposed)
		return 0;
	d = json_object_new_object();
	json_object_object_add(d, "alias", json_object_new_string(alias ? alias : ""));
	log_event(b, "libvirt", "DEVICE_ADDED", d, -1, 0);
	json_object_put(d);
	return 0;
}

/* A raw QMP event, as QEMU sent it. Its text carries guest-chosen values:
 * it is parsed with a depth limit and type-checked. */
static void on_qmp_event(virConnectPtr conn, virDomainPtr dom, const char *event, long long seconds,
			 unsigned int micros, const char *details, void *opaque)
{
	BackendLibvirt *b = opaque;
	struct json_object *data = NULL;
	MhpHotplugEvent ev;

	if (b->disposed || !event)
		return;
	if (details) {
		struct json_tokener *tok = json_tokener_new_ex(QMP_EVENT_MAX_DEPTH);
		data = json_tokener_parse_ex(tok, details, (int)strlen(details));
		json_tokener_free(tok);
		if (data && !json_object_is_type(data, json_type_object))
			g_clear_pointer(&data, json_object_put);
	}
	log_event(b, "qmp-in", event, data, seconds, micros);
	if (strcmp(event, "ACPI_DEVICE_OST") == 0) {
		if (mhp_hotplug_event_from_ost(data, &ev)) {
			ev.device = engine_name(ev.device);
			b->base.cb.hotplug(&b->base, &ev, b->base.user_data);
		}
	} else if (strcmp(event, "DEVICE_DELETED") != 0 && strcmp(event, "DEVICE_UNPLUG_GUEST_ERROR") != 0) {
		/* those two reach the engine as libvirt's DEVICE_REMOVED and
		 * DEVICE_REMOVAL_FAILED, once libvirt has acted on them */
		b->base.cb.event(&b->base, event, data, b->base.user_data);
	}
	json_object_put(data);
}

typedef struct {
	BackendLibvirt *b;
	int reason;
} Closed;

static gboolean conn_closed_main(gpointer data)
{
	Closed *c = data;
	static const char *const why[] = { "an error", "end of file", "a keepalive timeout", "the client" };
	g_autofree char *how = g_strdup_printf("the libvirt connection to '%s' closed (%s)", c->b->uri,
					       c->reason >= 0 && c->reason < (int)G_N_ELEMENTS(why) ? why[c->reason]
												 : "unknown");

	emit_exited(c->b, how);
	return G_SOURCE_REMOVE;
}

static void closed_free(gpointer data)
{
	Closed *c = data;

	lv_unref(c->b);
	g_free(c);
}

/* libvirt calls this from whichever thread holds the connection (often a
 * worker in the middle of an RPC): hand it to the engine's context. */
static void on_conn_closed(virConnectPtr conn, int reason, void *opaque)
{
	Closed *c = g_new(Closed, 1);

	c->b = lv_ref(opaque);
	c->reason = reason;
	g_main_context_invoke_full(c->b->base.ctx, G_PRIORITY_DEFAULT, conn_closed_main, c, closed_free);
}

/* ---- start ----------------------------------------------------------- */

typedef struct {
	virStreamPtr console;
	virStreamPtr agent;
	char *name;
	char *identity;
} StartResult;

static void start_result_free(StartResult *r)
{
	for (virStreamPtr *st = (virStreamPtr[]){ r->console, r->agent, NULL }; *st; st++) {
		if (virStreamAbort(*st) < 0)
			virResetLastError();
		virStreamFree(*st);
	}
	g_free(r->name);
	g_free(r->identity);
	g_free(r);
}

static gboolean is_embedded(const char *uri)
{
	g_autoptr(GUri) u = g_uri_parse(uri, G_URI_FLAGS_NONE, NULL);

	return u && g_strcmp0(g_uri_get_path(u), "/embed") == 0;
}

/* qemu:///embed?root=DIR runs QEMU in this process's driver; it reads
 * DIR/etc/qemu.conf, which needs the same settings as the system one. */
static gboolean embed_prepare(const char *uri, GError **error)
{
	g_autoptr(GUri) u = g_uri_parse(uri, G_URI_FLAGS_NONE, NULL);
	g_autoptr(GHashTable) params = NULL;
	const char *root;
	g_autofree char *etc = NULL, *conf = NULL;

	if (!u || g_strcmp0(g_uri_get_path(u), "/embed") != 0 || !g_uri_get_query(u))
		return TRUE;
	params = g_uri_parse_params(g_uri_get_query(u), -1, "&", G_URI_PARAMS_NONE, NULL);
	root = params ? g_hash_table_lookup(params, "root") : NULL;
	if (!root)
		return TRUE;
	etc = g_build_filename(root, "etc", NULL);
	conf = g_build_filename(etc, "qemu.conf", NULL);
	if (g_file_test(conf, G_FILE_TEST_EXISTS))
		return TRUE;
	if (g_mkdir_with_parents(etc, 0700) < 0 ||
	    !g_file_set_contents(conf, "# written by mhpstress for an embedded libvirt driver\n"
				       "user = \"root\"\ngroup = \"root\"\nstdio_handler = \"file\"\n", -1, error)) {
		if (error && !*error)
			g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot create '%s': %s", etc,
				    g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

static gboolean start_work(Work *w, GError **error)
{
	BackendLibvirt *b = w->b;
	StartResult *r = g_new0(StartResult, 1);
	g_autofree char *xml = NULL;
	char *reply = NULL;
	unsigned long lib = 0;
	unsigned int flags = VIR_DOMAIN_START_PAUSED | VIR_DOMAIN_START_AUTODESTROY;

	w->user_data = r;
	if (!embed_prepare(b->uri, error))
		return FALSE;
	/* the embedded driver has no autodestroy: there, free() destroys the domain */
	if (is_embedded(b->uri))
		flags &= ~VIR_DOMAIN_START_AUTODESTROY;
	w->conn = virConnectOpenAuth(b->uri, virConnectAuthPtrDefault, 0);
	if (!w->conn) {
		set_virt_error(error, "cannot connect to '%s'", b->uri);
		return FALSE;
	}
	if (b->cfg.domain) {
		w->dom = virDomainLookupByName(w->conn, b->cfg.domain);
		if (w->dom && virDomainIsActive(w->dom) == 1 && is_orphan(w->dom) && virDomainDestroy(w->dom) == 0)
			g_clear_pointer(&w->dom, virDomainFree); /* our own leftover, transient: gone now */
		virResetLastError();
		if (w->dom && virDomainIsActive(w->dom) == 1) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
				    "the domain '%s' on '%s' is running; shut it off first: mhpstress boots it paused, "
				    "so that the console and the agent see everything",
				    b->cfg.domain, b->uri);
			g_clear_pointer(&w->dom, virDomainFree); /* not ours: never stop it */
			return FALSE;
		}
		if (w->dom && virDomainCreateWithFlags(w->dom, flags) < 0) {
			set_virt_error(error, "cannot start the domain '%s'", b->cfg.domain);
			g_clear_pointer(&w->dom, virDomainFree);
			return FALSE;
		}
		r->name = g_strdup(b->cfg.domain);
	}
	if (!w->dom) {
		/* a transient domain, named after the scenario unless a free --domain name was given */
		for (int i = 1; !w->dom && i < 100; i++) {
			virDomainPtr other;

			g_free(r->name);
			r->name = b->cfg.domain ? g_strdup(b->cfg.domain)
				  : i == 1       ? g_strdup_printf("mhpstress-%s", b->cfg.scenario->name)
						 : g_strdup_printf("mhpstress-%s-%d", b->cfg.scenario->name, i);
			other = virDomainLookupByName(w->conn, r->name);
			if (other && is_orphan(other) && virDomainDestroy(other) == 0) {
				/* transient: destroying it undefines it; the name is free */
				g_clear_pointer(&other, virDomainFree);
			}
			virResetLastError();
			if (other) {
				virDomainFree(other);
				if (b->cfg.domain)
					break;
				continue;
			}
			g_free(xml);
			xml = mhp_backend_libvirt_domain_xml(&b->cfg, r->name, error);
			if (!xml)
				return FALSE;
			w->dom = virDomainCreateXML(w->conn, xml, flags);
			if (!w->dom) {
				virErrorPtr ve = virGetLastError();
				/* another run took the name between lookup and create */
				if (!b->cfg.domain && ve && (ve->code == VIR_ERR_DOM_EXIST ||
							     (ve->message && strstr(ve->message, "already exists"))))
					continue;
				set_virt_error(error, "cannot create the domain '%s' on '%s'", r->name, b->uri);
				return FALSE;
			}
		}
		if (!w->dom) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS, "no free domain name for '%s' on '%s'",
				    r->name, b->uri);
			return FALSE;
		}
	}
	/* from here on the domain exists: the finish callback destroys it on failure */
	if (virConnectSetKeepAlive(w->conn, 5, 6) < 0)
		virResetLastError(); /* local drivers have no keepalive */
	virConnectGetLibVersion(w->conn, &lib);
	if (virDomainQemuMonitorCommand(w->dom, "{\"execute\":\"query-version\"}", &reply, 0) == 0) {
		struct json_object *o = json_tokener_parse(reply), *ret, *q, *v;
		int ma = 0, mi = 0, mc = 0;

		if (o && json_object_object_get_ex(o, "return", &ret) && json_object_object_get_ex(ret, "qemu", &q)) {
			if (json_object_object_get_ex(q, "major", &v))
				ma = json_object_get_int(v);
			if (json_object_object_get_ex(q, "minor", &v))
				mi = json_object_get_int(v);
			if (json_object_object_get_ex(q, "micro", &v))
				mc = json_object_get_int(v);
		}
		json_object_put(o);
		free(reply);
		r->identity = g_strdup_printf("QEMU %d.%d.%d via libvirt %lu.%lu.%lu (%s, domain %s)", ma, mi, mc,
					      lib / 1000000, lib / 1000 % 1000, lib % 1000, b->uri, r->name);
	} else {
		virResetLastError();
		r->identity = g_strdup_printf("libvirt %lu.%lu.%lu (%s, domain %s)", lib / 1000000, lib / 1000 % 1000,
					      lib % 1000, b->uri, r->name);
	}
	r->console = virStreamNew(w->conn, VIR_STREAM_NONBLOCK);
	if (!r->console || virDomainOpenConsole(w->dom, NULL, r->console, VIR_DOMAIN_CONSOLE_FORCE) < 0) {
		set_virt_error(error, "cannot open the console of '%s'", r->name);
		return FALSE;
	}
	r->agent = virStreamNew(w->conn, VIR_STREAM_NONBLOCK);
	if (!r->agent || virDomainOpenChannel(w->dom, AGENT_CHANNEL, r->agent, VIR_DOMAIN_CHANNEL_FORCE) < 0) {
		set_virt_error(error, "cannot open the channel '" AGENT_CHANNEL "' of '%s' (the domain needs a "
				      "virtio-serial channel of that name for mhpstress-agent)",
			       r->name);
		return FALSE;
	}
	return TRUE;
}

static gboolean resume_work(Work *w, GError **error)
{
	if (virDomainResume(w->dom) < 0) {
		set_virt_error(error, "cannot resume the domain");
		return FALSE;
	}
	return TRUE;
}

static void resume_finish(Work *w, const GError *error)
{
	BackendLibvirt *b = w->b;
	g_autoptr(GError) e = error ? g_error_copy(error) : NULL;

	if (b->started)
		return;
	b->started = TRUE;
	b->base.cb.started(&b->base, e, b->base.user_data);
}

static gboolean register_events(BackendLibvirt *b, GError **error)
{
	static const struct {
		int id;
		virConnectDomainEventGenericCallback cb;
	} evs[] = {
		{ VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle) },
		{ VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, VIR_DOMAIN_EVENT_CALLBACK(on_device_removed) },
		{ VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED, VIR_DOMAIN_EVENT_CALLBACK(on_device_removal_failed) },
		{ VIR_DOMAIN_EVENT_ID_DEVICE_ADDED, VIR_DOMAIN_EVENT_CALLBACK(on_device_added) },
	};

	G_STATIC_ASSERT(G_N_ELEMENTS(evs) == G_N_ELEMENTS(b->cb_ids));
	for (guint i = 0; i < G_N_ELEMENTS(evs); i++) {
		b->cb_ids[i] = virConnectDomainEventRegisterAny(b->conn, b->dom, evs[i].id, evs[i].cb, lv_ref(b), lv_unref);
		if (b->cb_ids[i] < 0) {
			lv_unref(b);
			set_virt_error(error, "cannot register for domain events");
			return FALSE;
		}
	}
	b->cb_qmp = virConnectDomainQemuMonitorEventRegister(b->conn, b->dom, NULL, on_qmp_event, lv_ref(b), lv_unref, 0);
	if (b->cb_qmp < 0) {
		lv_unref(b);
		set_virt_error(error, "cannot register for QEMU monitor events");
		return FALSE;
	}
	if (virConnectRegisterCloseCallback(b->conn, on_conn_closed, lv_ref(b), lv_unref) == 0)
		b->close_cb = TRUE;
	else {
		lv_unref(b);
		virResetLastError(); /* local drivers have no close callback */
	}
	return TRUE;
}

static gboolean attach_streams(BackendLibvirt *b, StartResult *r, GError **error)
{
	g_autofree char *log = g_build_filename(b->results_dir, "console.log", NULL);
	int sv[2];

	b->console_log = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (b->console_log < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot open '%s': %s", log,
			    g_strerror(errno));
		return FALSE;
	}
	b->console = stream_new(b, g_steal_pointer(&r->console), "console", -1);
	if (!stream_start(b->console, error))
		return FALSE;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "socketpair: %s", g_strerror(errno));
		return FALSE;
	}
	b->agent = stream_new(b, g_steal_pointer(&r->agent), "agent channel", sv[1]);
	if (!mhp_agent_link_adopt(b->base.agent, sv[0], error))
		return FALSE;
	return stream_start(b->agent, error);
}

static void start_finish(Work *w, const GError *error)
{
	BackendLibvirt *b = w->b;
	StartResult *r = w->user_data;
	g_autoptr(GError) e = error ? g_error_copy(error) : NULL;

	if (w->conn) {
		virConnectRef(w->conn);
		b->conn = w->conn;
	}
	if (w->dom) {
		virDomainRef(w->dom);
		b->dom = w->dom;
	}
	b->dom_name = g_steal_pointer(&r->name);
	g_free(b->base.identity);
	b->base.identity = g_steal_pointer(&r->identity);
	if (!e && register_events(b, &e) && attach_streams(b, r, &e)) {
		work_run(b, resume_work, resume_finish, work_new(NULL, NULL));
	} else {
		b->started = TRUE;
		b->base.cb.started(&b->base, e, b->base.user_data);
		/* the engine stops us, or frees us, which destroys the domain */
	}
	start_result_free(r);
	w->user_data = NULL;
}

/* Freed while starting: the streams hold the connection open, so without
 * this autodestroy would never fire; the domain is ours to destroy. */
static void start_abandon(Work *w)
{
	if (w->user_data)
		start_result_free(w->user_data);
	w->user_data = NULL;
	if (w->dom && virDomainDestroy(w->dom) < 0)
		virResetLastError();
}

static void lv_start(MhpBackend *base)
{
	Work *w = work_new(NULL, NULL);

	w->abandon = start_abandon;
	work_run((BackendLibvirt *)base, start_work, start_finish, w);
}

/* ---- hotplug --------------------------------------------------------- */

static gboolean attach_work(Work *w, GError **error)
{
	if (virDomainAttachDeviceFlags(w->dom, w->arg, VIR_DOMAIN_AFFECT_LIVE) < 0) {
		set_virt_error(error, "attaching the DIMM");
		return FALSE;
	}
	return TRUE;
}

static gboolean refuse_backend_work(Work *w, GError **error)
{
	/* libvirt takes the memory backend from the domain's <memoryBacking> */
	g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
			    "the libvirt backend uses one memory backend per domain: a case's 'backend' must match "
			    "[dimm] backend");
	return FALSE;
}

static void lv_plug(MhpBackend *base, const MhpDimmSpec *d, MhpBackendDoneFunc cb, gpointer user_data)
{
	BackendLibvirt *b = (BackendLibvirt *)base;
	Work *w = work_new(cb, user_data);

	if (d->backend != b->cfg.scenario->dimm.backend) {
		work_run(b, refuse_backend_work, NULL, w);
		return;
	}
	w->arg = mhp_backend_libvirt_dimm_xml(d);
	work_run(b, attach_work, NULL, w);
}

static gboolean detach_work(Work *w, GError **error)
{
	/* asynchronous: only sends device_del; the outcome is an event */
	if (virDomainDetachDeviceAlias(w->dom, w->arg, VIR_DOMAIN_AFFECT_LIVE) < 0) {
		set_virt_error(error, "detaching '%s'", w->arg);
		return FALSE;
	}
	return TRUE;
}

static void lv_unplug(MhpBackend *base, const MhpDimmSpec *d, MhpBackendDoneFunc cb, gpointer user_data)
{
	Work *w = work_new(cb, user_data);

	w->arg = g_strconcat(ALIAS_PREFIX, d->id, NULL);
	work_run((BackendLibvirt *)base, detach_work, NULL, w);
}

static gboolean nothing_work(Work *w, GError **error)
{
	return TRUE;
}

static void lv_release(MhpBackend *base, const MhpDimmSpec *d, MhpBackendDoneFunc cb, gpointer user_data)
{
	/* libvirt removed memua-dimmN before it reported DEVICE_REMOVED */
	work_run((BackendLibvirt *)base, nothing_work, NULL, work_new(cb, user_data));
}

static gboolean monitor_work(Work *w, GError **error)
{
	if (virDomainQemuMonitorCommand(w->dom, w->arg, &w->reply, 0) < 0) {
		set_virt_error(error, "QEMU monitor command %s", w->arg);
		return FALSE;
	}
	return TRUE;
}

static void devices_finish(Work *w, const GError *error)
{
	g_autoptr(GError) e = error ? g_error_copy(error) : NULL;
	g_autoptr(GArray) devs = NULL;

	if (!e) {
		struct json_tokener *tok = json_tokener_new_ex(QMP_EVENT_MAX_DEPTH);
		struct json_object *o = json_tokener_parse_ex(tok, w->reply, (int)strlen(w->reply)), *ret = NULL;

		json_tokener_free(tok);
		if (o && json_object_object_get_ex(o, "return", &ret) && json_object_is_type(ret, json_type_array)) {
			devs = mhp_memory_devices_from_qmp(ret);
			for (guint i = 0; i < devs->len; i++) {
				MhpMemoryDevice *m = &g_array_index(devs, MhpMemoryDevice, i);
				g_autofree char *id = g_strdup(engine_name(m->id));
				g_strlcpy(m->id, id, sizeof(m->id));
			}
		} else {
			e = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
						"query-memory-devices: a reply without a return array");
		}
		json_object_put(o);
	}
	w->devices(&w->b->base, e ? NULL : devs, e, w->user_data);
}

static void lv_query_devices(MhpBackend *base, MhpBackendDevicesFunc cb, gpointer user_data)
{
	Work *w = work_new(NULL, user_data);

	w->devices = cb;
	w->arg = g_strdup("{\"execute\":\"query-memory-devices\"}");
	work_run((BackendLibvirt *)base, monitor_work, devices_finish, w);
}

/* ---- machine control ------------------------------------------------- */

static gboolean suspend_work(Work *w, GError **error)
{
	if (virDomainSuspend(w->dom) < 0) {
		set_virt_error(error, "cannot pause the domain");
		return FALSE;
	}
	return TRUE;
}

static void lv_pause(MhpBackend *base, MhpBackendDoneFunc cb, gpointer user_data)
{
	work_run((BackendLibvirt *)base, suspend_work, NULL, work_new(cb, user_data));
}

static void lv_resume(MhpBackend *base, MhpBackendDoneFunc cb, gpointer user_data)
{
	work_run((BackendLibvirt *)base, resume_work, NULL, work_new(cb, user_data));
}

static gboolean dump_work(Work *w, GError **error)
{
	/* memory only: QEMU's dump-guest-memory, an ELF core crash reads */
	if (virDomainCoreDumpWithFormat(w->dom, w->arg, VIR_DOMAIN_CORE_DUMP_FORMAT_RAW,
					VIR_DUMP_MEMORY_ONLY) < 0) {
		set_virt_error(error, "cannot dump the guest's memory to '%s'", w->arg);
		return FALSE;
	}
	return TRUE;
}

static void lv_dump_memory(MhpBackend *base, const char *path, MhpBackendDoneFunc cb, gpointer user_data)
{
	Work *w = work_new(cb, user_data);

	w->arg = g_strdup(path);
	work_run((BackendLibvirt *)base, dump_work, NULL, w);
}

static gboolean destroy_work(Work *w, GError **error)
{
	/* SIGTERM first, then SIGKILL: libvirt waits for each */
	if (virDomainDestroyFlags(w->dom, VIR_DOMAIN_DESTROY_GRACEFUL) == 0 || virDomainDestroy(w->dom) == 0)
		return TRUE;
	set_virt_error(error, "cannot destroy the domain");
	return FALSE;
}

static gboolean on_stop_deadline(gpointer data)
{
	BackendLibvirt *b = data;

	g_source_unref(b->timer);
	b->timer = NULL;
	/* no STOPPED event in time: the connection is gone or libvirt is stuck */
	emit_exited(b, "the domain did not report stopping within the deadline");
	return G_SOURCE_REMOVE;
}

static void stop_finish(Work *w, const GError *error)
{
	/* the STOPPED event reports the exit; the deadline covers its absence */
}

static void lv_stop(MhpBackend *base)
{
	BackendLibvirt *b = (BackendLibvirt *)base;

	if (b->exited || b->stopping || !b->dom)
		return;
	b->stopping = TRUE;
	b->timer = g_timeout_source_new(STOP_GRACE_MS);
	g_source_set_callback(b->timer, on_stop_deadline, b, NULL);
	g_source_attach(b->timer, b->base.ctx);
	work_run(b, destroy_work, stop_finish, work_new(NULL, NULL));
}

static gboolean lv_is_running(MhpBackend *base)
{
	BackendLibvirt *b = (BackendLibvirt *)base;

	return b->dom && !b->exited;
}

static void lv_free(MhpBackend *base)
{
	BackendLibvirt *b = (BackendLibvirt *)base;

	b->disposed = TRUE;
	if (b->timer) {
		g_source_destroy(b->timer);
		g_source_unref(b->timer);
		b->timer = NULL;
	}
	stream_free(b->agent);
	stream_free(b->console);
	b->agent = b->console = NULL;
	if (b->console_log >= 0)
		close(b->console_log);
	if (b->dom && !b->exited) {
		/* like the QEMU backend's SIGKILL: a guest never outlives its run */
		if (virDomainDestroy(b->dom) < 0)
			virResetLastError();
	}
	for (guint i = 0; i < G_N_ELEMENTS(b->cb_ids); i++)
		if (b->cb_ids[i] >= 0)
			virConnectDomainEventDeregisterAny(b->conn, b->cb_ids[i]);
	if (b->cb_qmp >= 0)
		virConnectDomainQemuMonitorEventDeregister(b->conn, b->cb_qmp);
	if (b->close_cb)
		virConnectUnregisterCloseCallback(b->conn, on_conn_closed);
	if (b->dom)
		virDomainFree(b->dom);
	if (b->conn)
		virConnectClose(b->conn);
	lv_unref(b);
}

static const MhpBackendOps libvirt_ops = {
	.name = "libvirt",
	.start = lv_start,
	.plug = lv_plug,
	.unplug = lv_unplug,
	.release = lv_release,
	.query_devices = lv_query_devices,
	.pause = lv_pause,
	.resume = lv_resume,
	.dump_memory = lv_dump_memory,
	.stop = lv_stop,
	.is_running = lv_is_running,
	.free = lv_free,
};

MhpBackend *mhp_backend_libvirt_new(GMainContext *ctx, const MhpBackendConfig *cfg, MhpAgentLink *agent,
				    const MhpBackendCallbacks *cb, gpointer user_data)
{
	BackendLibvirt *b = g_new0(BackendLibvirt, 1);

	b->refs = 1;
	mhp_backend_init(&b->base, &libvirt_ops, ctx, agent, cb, user_data);
	mhp_virt_event_register(b->base.ctx);
	b->cfg = *cfg;
	b->cfg.kernel = g_strdup(cfg->kernel);
	b->cfg.initrd = g_strdup(cfg->initrd);
	b->cfg.connect = g_strdup(cfg->connect ? cfg->connect : "qemu:///system");
	b->cfg.domain = g_strdup(cfg->domain);
	b->cfg.gdb = g_strdup(cfg->gdb);
	b->uri = g_strdup(b->cfg.connect);
	b->results_dir = g_strdup(cfg->results_dir);
	b->cfg.results_dir = b->results_dir;
	b->console_log = -1;
	for (guint i = 0; i < G_N_ELEMENTS(b->cb_ids); i++)
		b->cb_ids[i] = -1;
	b->cb_qmp = -1;
	return &b->base;
}
