// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-engine.c - the cycle engine against a scripted backend and a scripted
 * agent, with time under the test's control.
 *
 * The engine is the real one (engine/cycle.h). What it drives is not:
 * - a backend registered as its own MhpBackendClass ("test"), whose plug and
 *   unplug answer from a queue of actions and report the QMP-derived events a
 *   real aarch64 guest sends (insert OST, eject OST 0x84, DEVICE_DELETED, the
 *   trailing eject OST naming only its slot), or a script's variation of them;
 * - an agent on a unix socket the engine's agent link connects to, as to
 *   QEMU's chardev, answering hello/blocks/wait-blocks/online/offline/snapshot
 *   from a small model of the guest's memory blocks. Snapshots are the real
 *   7.3 captures in tests/fixtures/guest-7.3-512M, parsed by the agent's own
 *   parsers, so the accounting checks pass as they do on a real guest;
 * - a fake MhpClock: every deadline of the engine and the agent link is a
 *   GSource that fires when the test moves fake time past it, so a 15 s
 *   lost-unplug deadline costs no real time.
 *
 * Each case runs a scenario (inline INI text) to its end and asserts on what
 * the engine wrote: cycles.jsonl, summary.json and events.jsonl, by the JSON
 * strings of the results format, and on the backend operations it called.
 * A point that asserts the correct behaviour where the engine is wrong today
 * is marked TAP "# TODO" with the reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib.h>
#include <math.h>
#include <glib/gstdio.h>
#include <json-c/json.h>
#include <string.h>
#include <sys/mount.h>
#undef BLOCK_SIZE /* <sys/mount.h>'s; ours is the guest's memory block */
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "backend.h"
#include "cycle.h"
#include "json-sock.h"
#include "procfs.h"
#include "ptdump.h"
#include "scenario.h"
#include "bugreport.h"
#include "tap.h"

#define BLOCK_SIZE (128ull << 20)
#define DIMM_BASE (4ull << 30) /* slot N's DIMM sits at 4G + N * 1G */
#define MAX_BLOCKS 512
#define FAKE_LIMIT_US (3600ll * G_USEC_PER_SEC) /* a run that is not over by then is stuck */

/* ---- TAP with TODO ---- */

/* A point the engine fails today: reported, not counted as a failure. */
static void tap_todo(int cond, const char *reason, const char *fmt, ...) G_GNUC_PRINTF(3, 4) G_GNUC_UNUSED;

static void tap_todo(int cond, const char *reason, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # TODO %s\n", reason);
	fflush(stdout);
}

/* ---- the fake clock ---- */

typedef struct {
	GSource src;
	gint64 deadline;
	guint interval_ms;
} FakeTimeout;

static gint64 fake_now = 1000ll * G_USEC_PER_SEC;
static GList *fake_sources; /* FakeTimeout *, alive */

static gboolean fake_prepare(GSource *s, gint *timeout)
{
	*timeout = -1; /* nothing to wait for in real time */
	return fake_now >= ((FakeTimeout *)s)->deadline;
}

static gboolean fake_check(GSource *s)
{
	return fake_now >= ((FakeTimeout *)s)->deadline;
}

static gboolean fake_dispatch(GSource *s, GSourceFunc cb, gpointer user_data)
{
	FakeTimeout *t = (FakeTimeout *)s;
	gboolean again;

	if (!cb)
		return G_SOURCE_REMOVE;
	again = cb(user_data);
	if (again)
		t->deadline = fake_now + (gint64)t->interval_ms * 1000;
	return again;
}

static void fake_finalize(GSource *s)
{
	fake_sources = g_list_remove(fake_sources, s);
}

static GSourceFuncs fake_funcs = {
	.prepare = fake_prepare,
	.check = fake_check,
	.dispatch = fake_dispatch,
	.finalize = fake_finalize,
};

static gint64 fake_now_us(gpointer user_data)
{
	return fake_now;
}

static GSource *fake_timeout_source(guint ms, gpointer user_data)
{
	GSource *s = g_source_new(&fake_funcs, sizeof(FakeTimeout));
	FakeTimeout *t = (FakeTimeout *)s;

	t->deadline = fake_now + (gint64)ms * 1000;
	t->interval_ms = MAX(ms, 1);
	fake_sources = g_list_prepend(fake_sources, s);
	return s;
}

static const MhpClock fake_clock = { .now_us = fake_now_us, .timeout_source = fake_timeout_source };

/* The earliest deadline of an attached fake timeout, or G_MAXINT64. */
static gint64 next_deadline(void)
{
	gint64 next = G_MAXINT64;

	for (GList *l = fake_sources; l; l = l->next) {
		GSource *s = l->data;
		if (!g_source_is_destroyed(s) && g_source_get_context(s))
			next = MIN(next, ((FakeTimeout *)s)->deadline);
	}
	return next;
}

/* ---- what a test scripts ---- */

typedef enum {
	PLUG_NORMAL,
	PLUG_ERROR,      /* device_add fails */
	PLUG_NO_OST,     /* plugged, but no insert OST ever */
	PLUG_BAD_STATUS, /* the insert OST has a failure status */
	PLUG_NO_BLOCKS,  /* insert OST 0, but no memory block appears */
} PlugMode;

typedef enum {
	UNPLUG_NORMAL,      /* 0x84, DEVICE_DELETED, the trailing OST */
	UNPLUG_ERROR,       /* device_del fails */
	UNPLUG_LOST,        /* accepted, then nothing */
	UNPLUG_NO_DELETED,  /* 0x84, then nothing */
	UNPLUG_REFUSE,      /* 0x84, then 0x82 */
	UNPLUG_GUEST_ERROR, /* 0x84, then DEVICE_UNPLUG_GUEST_ERROR */
	UNPLUG_NO_TRAILING, /* 0x84, DEVICE_DELETED, no trailing OST */
} UnplugMode;

typedef enum {
	FAULT_MUTE,        /* never answer */
	FAULT_ERRNO,       /* answer with an error */
	FAULT_BLOCK_ERRNO, /* online/offline: every block fails with the errno */
	FAULT_EXIT,        /* the VM exits while the request is in flight */
	FAULT_DROP,        /* the agent restarts: the connection drops, no answer */
	FAULT_REPLY,       /* answer with this "ok" instead (a hostile agent) */
	FAULT_RAW_BEFORE,  /* write these bytes, then answer (the hostile agent's stream cases) */
	FAULT_ERROR_REPLY, /* answer with this "error" object instead (a hostile agent) */
} FaultKind;

typedef struct {
	const char *cmd;
	guint nth; /* 0: every call */
	FaultKind kind;
	int err;
	const char *json; /* FAULT_REPLY, FAULT_RAW_BEFORE, FAULT_ERROR_REPLY */
} Fault;

typedef enum {
	HOOK_KMSG,    /* the agent reports a kernel log record */
	HOOK_STORM,   /* ... 100 plain records at once (the test writes blocking: a socket buffer) */
	HOOK_GARBAGE, /* the agent sends 100 lines that are neither a reply nor an event */
	HOOK_CONSOLE, /* a console line */
	HOOK_HANG,    /* the guest hangs: the agent stops answering and its heartbeats stop */
	HOOK_DROP,    /* the agent restarts between requests */
	HOOK_EXIT,    /* the VM exits */
	HOOK_PANIC,   /* QEMU reports GUEST_PANICKED (pvpanic) */
	HOOK_STOP,    /* mhp_engine_stop(), as on SIGTERM */
	HOOK_FILL_DISK, /* write results/filler until the disk is full (ENOSPC tests) */
	HOOK_PLANT_EVIDENCE, /* results/evidence becomes a symlink to the directory 'elsewhere' */
} HookKind;

typedef struct {
	const char *phase; /* when the engine reports this phase ... */
	guint64 finished;  /* ... with this many cycles finished */
	HookKind kind;
	const char *text;
	gboolean fired;
} Hook;

typedef enum {
	ACT_STARTED,
	ACT_DONE,
	ACT_DEVICES,
	ACT_HOTPLUG,
	ACT_EXITED,
} ActKind;

typedef struct TestBackend TestBackend;

typedef struct {
	ActKind kind;
	TestBackend *be;
	MhpBackendDoneFunc done;
	MhpBackendDevicesFunc devices;
	gpointer user_data;
	char *error; /* ACT_DONE: fail with it */
	MhpHotplugEventType ev;
	char device[32]; /* "" for none */
	int slot, source, status;
	char *how;
} Action;

typedef struct {
	char id[32];
	int slot;
	guint64 addr, size;
} Device;

typedef struct {
	/* set up per case */
	MhpScenario *s;
	char *dir;
	char *sock_path;
	GMainContext *ctx;
	GQueue plug_modes, unplug_modes; /* GINT_TO_POINTER(mode), consumed in order */
	Fault faults[8];
	guint nfaults;
	Hook hooks[8];
	guint nhooks;
	gint64 memtotal_skew_kb; /* added to snapshots with memory online */
	gboolean saw_rebaseline; /* progress reported phase rebaseline */
	gint64 leak_kb;          /* PageTables grows this much per quiet snapshot after a removal */
	guint quiet_snaps;
	/* table_model: page-table counters follow what is online (size / 2M + 1 per
	 * DIMM, 7.3's PTE-mapped linear map), when tables_counted; leak_tables:
	 * a removal leaves them counted (free_hotplug_pgtable_page() without
	 * pagetable_dtor()) */
	gboolean table_model, tables_counted, leak_tables;
	gint64 leaked_tables;
	guint model_snaps;
	gboolean heartbeats;
	gboolean hung; /* the agent answers nothing, sends nothing */
	gint64 stop_after_us; /* mhp_engine_stop() after this much fake time (0: never) */

	/* the backend */
	TestBackend *be;
	GQueue actions;
	GString *ops;
	guint starts;
	int listen_fd;
	GArray *devices; /* Device */

	/* the agent */
	int agent_fd;
	GString *inbuf;
	GHashTable *calls; /* cmd -> count */
	guint hellos, connections;
	guint reports; /* online and wait-blocks asked for a light report */
	gboolean hide_devices; /* query-memory-devices lists nothing */
	guint release_after_gone; /* from this release on (1-based): object-del returns only once
				     wait-blocks present=false is answered; 0: never */
	Action *held_release;
	guint gone_answers; /* wait-blocks present=false answered */
	const char *start_error; /* the backend fails to start the VM with it */
	guint kmsg_logged; /* kmsg events in events.jsonl */
	guint8 blk_state[MAX_BLOCKS]; /* 0 absent, 1 offline, 2 online */
	const char *blk_zone[MAX_BLOCKS];
	gboolean had_online; /* "after" rather than "before" for an empty guest */
	GPtrArray *kmsg_log; /* the kernel log as the agent replays it: char * JSON lines */
	guint64 kmsg_seq;
	gint64 next_heartbeat;

	/* the engine */
	MhpEngine *e;
	char *phase;
	guint64 finished_cycles;
	gboolean finished;
	int exit_code;
	GString *cycle_cb;  /* "N:VERDICT " per cycle callback */
	char *tmpfs; /* results/ is a tmpfs of this size (ENOSPC tests), NULL: not */
	char *message;
	char *evidence;

	/* the results */
	GPtrArray *cycles; /* json_object * */
	struct json_object *summary;
	GPtrArray *events; /* json_object *: the "msg" of every engine event */
	guint64 fake_us;   /* fake time the run took */
} TestState;

static TestState T;
/* Across every case (issue 13): which classes were a cycle's verdict, which
 * phases the engine began, and which case first reached each. */
static const char *verdict_seen[_MHP_FAIL_MAX];
static const char *phase_seen[_MHP_PHASE_MAX];
static const char *case_name;
static const char *fixtures;

static const char *jstr(struct json_object *o, const char *key);
static gint64 jint(struct json_object *o, const char *key, gint64 dflt);
static struct json_object *jobj(struct json_object *o, const char *key);
static struct json_object *snap_before, *snap_plugged, *snap_after;
static gint64 memtotal_before_kb;

/* ---- the scripted backend ---- */

struct TestBackend {
	MhpBackend base;
	gboolean running;
};

static void op(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static void op(const char *fmt, ...)
{
	va_list ap;

	if (T.ops->len)
		g_string_append_c(T.ops, ' ');
	va_start(ap, fmt);
	g_string_append_vprintf(T.ops, fmt, ap);
	va_end(ap);
}

static Action *act(ActKind kind, TestBackend *be)
{
	Action *a = g_new0(Action, 1);

	a->kind = kind;
	a->be = be;
	a->slot = -1;
	g_queue_push_tail(&T.actions, a);
	return a;
}

static void act_done(TestBackend *be, MhpBackendDoneFunc cb, gpointer user_data, const char *error)
{
	Action *a = act(ACT_DONE, be);

	a->done = cb;
	a->user_data = user_data;
	a->error = g_strdup(error);
}

static void act_hotplug(TestBackend *be, MhpHotplugEventType ev, const char *device, int slot, int source, int status)
{
	Action *a = act(ACT_HOTPLUG, be);

	a->ev = ev;
	g_strlcpy(a->device, device ? device : "", sizeof(a->device));
	a->slot = slot;
	a->source = source;
	a->status = status;
}

static void action_free(Action *a)
{
	g_free(a->error);
	g_free(a->how);
	g_free(a);
}

static guint64 block_of(guint64 addr)
{
	return addr / BLOCK_SIZE;
}

static Device *device_find(const char *id)
{
	for (guint i = 0; i < T.devices->len; i++)
		if (strcmp(g_array_index(T.devices, Device, i).id, id) == 0)
			return &g_array_index(T.devices, Device, i);
	return NULL;
}

/* DEVICE_DELETED: the DIMM and its blocks are gone from the guest. */
static void device_remove(const char *id)
{
	Device *d = device_find(id);

	if (!d)
		return;
	for (guint64 b = block_of(d->addr); b < block_of(d->addr + d->size); b++)
		T.blk_state[b] = 0;
	if (T.leak_tables)
		T.leaked_tables += (gint64)(d->size >> 21) + 1;
	g_array_remove_index(T.devices, (guint)(d - &g_array_index(T.devices, Device, 0)));
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The VM is gone: its chardev socket with it. */
static void vm_gone(TestBackend *be, const char *how)
{
	be->running = FALSE;
	act(ACT_EXITED, be)->how = g_strdup(how);
}

static void tb_start(MhpBackend *b)
{
	TestBackend *be = (TestBackend *)b;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	g_autoptr(GError) err = NULL;

	op("start");
	T.starts++;
	memset(T.blk_state, 0, sizeof(T.blk_state));
	g_array_set_size(T.devices, 0);
	T.had_online = FALSE;
	/* a new kernel: its log starts empty and numbers its records from 1 */
	g_ptr_array_set_size(T.kmsg_log, 0);
	T.kmsg_seq = 0;
	/* like QEMU's chardev: a listening socket, server=on,wait=off */
	g_unlink(T.sock_path);
	T.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	g_strlcpy(sa.sun_path, T.sock_path, sizeof(sa.sun_path));
	if (T.listen_fd < 0 || bind(T.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(T.listen_fd, 4) < 0) {
		printf("Bail out! cannot listen on %s\n", T.sock_path);
		exit(1);
	}
	if (!mhp_agent_link_connect(b->agent, T.sock_path, 2000, &err)) {
		printf("Bail out! agent link: %s\n", err->message);
		exit(1);
	}
	be->running = TRUE;
	b->identity = g_strdup("scripted test backend");
	act(ACT_STARTED, be);
}

static int pop_mode(GQueue *q)
{
	return q->length ? GPOINTER_TO_INT(g_queue_pop_head(q)) : 0;
}

static void tb_plug(MhpBackend *b, const MhpDimmSpec *d, MhpBackendDoneFunc cb, gpointer user_data)
{
	TestBackend *be = (TestBackend *)b;
	PlugMode mode = pop_mode(&T.plug_modes);
	Device dev = { .slot = d->slot, .size = d->size };

	op("plug:%s@%d", d->id, d->slot);
	if (mode == PLUG_ERROR) {
		act_done(be, cb, user_data, "device_add: Property 'pc-dimm.slot' can't take value");
		return;
	}
	g_strlcpy(dev.id, d->id, sizeof(dev.id));
	dev.addr = DIMM_BASE + (guint64)MAX(d->slot, 0) * (1ull << 30);
	g_array_append_val(T.devices, dev);
	if (mode != PLUG_NO_BLOCKS)
		for (guint64 i = block_of(dev.addr); i < block_of(dev.addr + dev.size); i++)
			T.blk_state[i] = 1;
	act_done(be, cb, user_data, NULL);
	if (mode != PLUG_NO_OST)
		act_hotplug(be, MHP_HOTPLUG_OST, d->id, d->slot, 1, mode == PLUG_BAD_STATUS ? 0x1 : 0);
}

static void tb_unplug(MhpBackend *b, const MhpDimmSpec *d, MhpBackendDoneFunc cb, gpointer user_data)
{
	TestBackend *be = (TestBackend *)b;
	UnplugMode mode = pop_mode(&T.unplug_modes);

	op("unplug:%s", d->id);
	if (mode == UNPLUG_ERROR) {
		act_done(be, cb, user_data, "device_del: Device 'dimm' not found");
		return;
	}
	act_done(be, cb, user_data, NULL);
	if (mode == UNPLUG_LOST)
		return;
	act_hotplug(be, MHP_HOTPLUG_OST, d->id, d->slot, 3, 0x84);
	switch (mode) {
	case UNPLUG_NO_DELETED:
		return;
	case UNPLUG_REFUSE:
		act_hotplug(be, MHP_HOTPLUG_OST, d->id, d->slot, 3, 0x82);
		return;
	case UNPLUG_GUEST_ERROR:
		act_hotplug(be, MHP_HOTPLUG_GUEST_ERROR, d->id, d->slot, 0, 0);
		return;
	default:
		break;
	}
	act_hotplug(be, MHP_HOTPLUG_DELETED, d->id, d->slot, 0, 0);
	if (mode != UNPLUG_NO_TRAILING)
		act_hotplug(be, MHP_HOTPLUG_OST, NULL, d->slot, 3, 0);
}

static guint count_ops(const char *prefix);

static void tb_release(MhpBackend *b, const MhpDimmSpec *d, MhpBackendDoneFunc cb, gpointer user_data)
{
	op("release:%s", d->id);
	act_done((TestBackend *)b, cb, user_data, NULL);
	/* held unless this cycle's blocks-gone was answered already */
	if (T.release_after_gone && count_ops("release:") >= T.release_after_gone &&
	    T.gone_answers < count_ops("release:"))
		T.held_release = g_queue_pop_tail(&T.actions);
}

static void tb_query_devices(MhpBackend *b, MhpBackendDevicesFunc cb, gpointer user_data)
{
	Action *a = act(ACT_DEVICES, (TestBackend *)b);

	op("query");
	a->devices = cb;
	a->user_data = user_data;
}

static void tb_pause(MhpBackend *b, MhpBackendDoneFunc cb, gpointer user_data)
{
	op("pause");
	act_done((TestBackend *)b, cb, user_data, NULL);
}

static void tb_resume(MhpBackend *b, MhpBackendDoneFunc cb, gpointer user_data)
{
	op("resume");
	act_done((TestBackend *)b, cb, user_data, NULL);
}

static void tb_dump_memory(MhpBackend *b, const char *path, MhpBackendDoneFunc cb, gpointer user_data)
{
	op("dump");
	act_done((TestBackend *)b, cb, user_data, "dump-guest-memory: not in this test");
}

static void tb_stop(MhpBackend *b)
{
	TestBackend *be = (TestBackend *)b;

	op("stop");
	if (be->running)
		vm_gone(be, "quit");
}

static gboolean tb_is_running(MhpBackend *b)
{
	return ((TestBackend *)b)->running;
}

static void tb_free(MhpBackend *b)
{
	TestBackend *be = (TestBackend *)b;

	/* what it still had to say dies with it */
	for (GList *l = T.actions.head; l;) {
		GList *next = l->next;
		Action *a = l->data;
		if (a->be == be) {
			g_queue_delete_link(&T.actions, l);
			action_free(a);
		}
		l = next;
	}
	if (T.be == be)
		T.be = NULL;
	mhp_backend_clear(b);
	g_free(be);
}

static const MhpBackendOps tb_ops = {
	.name = "test",
	.start = tb_start,
	.plug = tb_plug,
	.unplug = tb_unplug,
	.release = tb_release,
	.query_devices = tb_query_devices,
	.pause = tb_pause,
	.resume = tb_resume,
	.dump_memory = tb_dump_memory,
	.stop = tb_stop,
	.is_running = tb_is_running,
	.free = tb_free,
};

static MhpBackend *tb_new(GMainContext *ctx, const MhpBackendConfig *cfg, MhpAgentLink *agent,
			  const MhpBackendCallbacks *cb, gpointer user_data)
{
	TestBackend *be = g_new0(TestBackend, 1);

	mhp_backend_init(&be->base, &tb_ops, ctx, cfg, agent, cb, user_data);
	T.be = be;
	return &be->base;
}

static const MhpBackendClass test_backend_class = { .name = "test", .new = tb_new };

static gboolean run_action(void)
{
	Action *a = g_queue_pop_head(&T.actions);
	MhpBackend *b;

	if (!a)
		return FALSE;
	b = &a->be->base;
	switch (a->kind) {
	case ACT_STARTED: {
		g_autoptr(GError) err = T.start_error ? g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED, T.start_error) : NULL;
		b->cb.started(b, err, b->user_data);
		break;
	}
	case ACT_DONE: {
		g_autoptr(GError) err = a->error ? g_error_new_literal(G_FILE_ERROR, G_FILE_ERROR_FAILED, a->error) : NULL;
		a->done(b, err, a->user_data);
		break;
	}
	case ACT_DEVICES: {
		GArray *devs = g_array_new(FALSE, TRUE, sizeof(MhpMemoryDevice));
		for (guint i = 0; !T.hide_devices && i < T.devices->len; i++) {
			Device *d = &g_array_index(T.devices, Device, i);
			MhpMemoryDevice m = { .addr = d->addr, .size = d->size, .slot = d->slot };
			g_strlcpy(m.id, d->id, sizeof(m.id));
			g_array_append_val(devs, m);
		}
		a->devices(b, devs, NULL, a->user_data);
		g_array_unref(devs);
		break;
	}
	case ACT_HOTPLUG: {
		MhpHotplugEvent ev = {
			.type = a->ev, .device = a->device[0] ? a->device : NULL,
			.slot = a->slot, .source = a->source, .status = a->status,
		};
		if (a->ev == MHP_HOTPLUG_DELETED)
			device_remove(a->device);
		b->cb.hotplug(b, &ev, b->user_data);
		break;
	}
	case ACT_EXITED:
		/* QEMU's exit is seen first, then its chardev closes */
		b->cb.exited(b, a->how, b->user_data);
		close_fd(&T.agent_fd);
		close_fd(&T.listen_fd);
		g_unlink(T.sock_path);
		break;
	}
	action_free(a);
	return TRUE;
}

/* ---- the scripted agent ---- */

static void agent_write(const char *line, size_t len)
{
	size_t off = 0;

	while (T.agent_fd >= 0 && off < len) {
		ssize_t n = write(T.agent_fd, line + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			printf("Bail out! agent write: %s\n", g_strerror(errno));
			exit(1);
		}
		off += (size_t)n;
	}
}

static void agent_send(struct json_object *msg)
{
	const char *s = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
	g_autofree char *line = g_strdup_printf("%s\n", s);

	agent_write(line, strlen(line));
	json_object_put(msg);
}

static void agent_ok(gint64 id, struct json_object *ok)
{
	struct json_object *m = json_object_new_object();

	json_object_object_add(m, "id", json_object_new_int64(id));
	json_object_object_add(m, "ok", ok ? ok : json_object_new_object());
	agent_send(m);
}

static void agent_error(gint64 id, int err, const char *msg)
{
	struct json_object *m = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(e, "errno", json_object_new_int(err));
	json_object_object_add(e, "msg", json_object_new_string(msg));
	json_object_object_add(m, "id", json_object_new_int64(id));
	json_object_object_add(m, "error", e);
	agent_send(m);
}

static void agent_event(const char *name, struct json_object *m)
{
	json_object_object_add(m, "event", json_object_new_string(name));
	json_object_object_add(m, "ts_ns", json_object_new_int64(fake_now * 1000));
	agent_send(m);
}

/* A kernel log record: sent now, and again whenever the agent restarts. */
static void agent_kmsg(const char *text)
{
	/* the agent's failure patterns (docs/agent-protocol.md) */
	static const char *const patterns[] = {
		"Unable to handle kernel", "Internal error:", "Oops", "BUG:", "WARNING:", "Bad page state",
		"kernel BUG at", "Kernel panic", "soft lockup", "RCU stall", "rcu_sched self-detected stall",
		"rcu: INFO:", "KASAN", "Offline failed", "hung_task", "blocked for more than",
	};
	struct json_object *m = json_object_new_object();
	const char *match = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(patterns) && !match; i++)
		if (strstr(text, patterns[i]))
			match = patterns[i];

	json_object_object_add(m, "seq", json_object_new_int64((int64_t)++T.kmsg_seq));
	json_object_object_add(m, "level", json_object_new_int(4));
	json_object_object_add(m, "ts_us", json_object_new_int64(fake_now));
	json_object_object_add(m, "msg", json_object_new_string(text));
	json_object_object_add(m, "match", match ? json_object_new_string(match) : NULL);
	json_object_object_add(m, "event", json_object_new_string("kmsg"));
	json_object_object_add(m, "ts_ns", json_object_new_int64(fake_now * 1000));
	g_ptr_array_add(T.kmsg_log, g_strdup(json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN)));
	agent_send(m);
}

static guint64 online_bytes(void)
{
	guint64 n = 0;

	for (guint i = 0; i < MAX_BLOCKS; i++)
		if (T.blk_state[i] == 2)
			n += BLOCK_SIZE;
	return n;
}

static void set_int(struct json_object *o, const char *group, const char *key, gint64 v)
{
	json_object_object_add(jobj(o, group), key, json_object_new_int64(v));
}

/* T.table_model: the 7.3 baseline capture with MemTotal, PageTables,
 * nr_page_table_pages and the ptdump's table pages following the DIMMs
 * online, a few pages of user page-table noise, and what leaked. */
static struct json_object *model_snapshot(guint64 online)
{
	struct json_object *s = NULL, *pt = json_object_new_object(), *tot = json_object_new_object();
	gint64 tables = 0, noise = (gint64)(T.model_snaps++ * 5 % 7) - 3;
	gint64 nr = jint(jobj(snap_before, "vmstat"), "nr_page_table_pages", 0);

	for (guint i = 0; i < T.devices->len; i++) {
		const Device *d = &g_array_index(T.devices, Device, i);
		if (T.blk_state[block_of(d->addr)] == 2)
			tables += (gint64)(d->size >> 21) + 1;
	}
	nr += (T.tables_counted ? tables : 0) + T.leaked_tables + noise;
	json_object_deep_copy(snap_before, &s, NULL);
	set_int(s, "meminfo", "MemTotal", memtotal_before_kb + (gint64)(online / 1024));
	set_int(s, "meminfo", "PageTables", nr * 4);
	set_int(s, "vmstat", "nr_page_table_pages", nr);
	json_object_object_add(tot, "table_pages",
			       json_object_new_int64(jint(jobj(jobj(snap_before, "ptdump"), "total"), "table_pages", 0) + tables));
	json_object_object_add(pt, "sections", json_object_new_array());
	json_object_object_add(pt, "total", tot);
	json_object_object_add(s, "ptdump", pt);
	return s;
}

/* The guest's snapshot: the real captures, MemTotal following what is online. */
static struct json_object *snapshot_now(void)
{
	guint64 online = online_bytes();
	struct json_object *s = NULL, *mi;

	if (T.table_model)
		return model_snapshot(online);

	if (!online && T.had_online && T.leak_kb) {
		json_object_deep_copy(snap_after, &s, NULL);
		json_object_object_get_ex(s, "meminfo", &mi);
		json_object_object_add(mi, "PageTables",
				       json_object_new_int64(jint(mi, "PageTables", 0) + T.leak_kb * ++T.quiet_snaps));
		return s;
	}
	if (!online)
		return json_object_get(T.had_online ? snap_after : snap_before);
	T.had_online = TRUE;
	if (online == 512ull << 20 && !T.memtotal_skew_kb)
		return json_object_get(snap_plugged);
	json_object_deep_copy(snap_plugged, &s, NULL);
	json_object_object_get_ex(s, "meminfo", &mi);
	json_object_object_add(mi, "MemTotal",
			       json_object_new_int64(memtotal_before_kb + (gint64)(online / 1024) + T.memtotal_skew_kb));
	if (online != 512ull << 20)
		json_object_object_add(s, "ptdump", NULL); /* the capture is of one 512M DIMM */
	return s;
}

static const Fault *fault_for(const char *cmd)
{
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(T.calls, cmd)) + 1;

	g_hash_table_insert(T.calls, g_strdup(cmd), GUINT_TO_POINTER(n));
	for (guint i = 0; i < T.nfaults; i++)
		if (strcmp(T.faults[i].cmd, cmd) == 0 && (!T.faults[i].nth || T.faults[i].nth == n))
			return &T.faults[i];
	return NULL;
}

static guint calls(const char *cmd)
{
	return GPOINTER_TO_UINT(g_hash_table_lookup(T.calls, cmd));
}

static gint64 arg_int(struct json_object *args, const char *key, gint64 dflt)
{
	struct json_object *v;

	return args && json_object_object_get_ex(args, key, &v) ? json_object_get_int64(v) : dflt;
}

/* online/offline: per-block results. */
static struct json_object *set_blocks(struct json_object *args, guint8 state, const char *zone, int err)
{
	struct json_object *blocks, *res = json_object_new_array(), *ok = json_object_new_object();
	int failed = 0;

	json_object_object_get_ex(args, "blocks", &blocks);
	for (size_t i = 0; blocks && i < json_object_array_length(blocks); i++) {
		gint64 b = json_object_get_int64(json_object_array_get_idx(blocks, i));
		struct json_object *r = json_object_new_object();
		int e = err;

		if (!e && (b < 0 || b >= MAX_BLOCKS || !T.blk_state[b]))
			e = ENOENT;
		if (!e) {
			T.blk_state[b] = state;
			T.blk_zone[b] = zone;
		}
		failed += e != 0;
		json_object_object_add(r, "block", json_object_new_int64(b));
		json_object_object_add(r, "errno", json_object_new_int(e));
		json_object_object_add(r, "elapsed_ns", json_object_new_int64(1000));
		json_object_array_add(res, r);
	}
	json_object_object_add(ok, "results", res);
	json_object_object_add(ok, "failed", json_object_new_int(failed));
	json_object_object_add(ok, "timed_out", json_object_new_boolean(FALSE));
	return ok;
}

static struct json_object *blocks_json(void)
{
	struct json_object *arr = json_object_new_array();

	for (guint i = 0; i < MAX_BLOCKS; i++) {
		struct json_object *b;
		if (!T.blk_state[i])
			continue;
		b = json_object_new_object();
		json_object_object_add(b, "index", json_object_new_int64(i));
		json_object_object_add(b, "phys_start", json_object_new_int64((int64_t)(i * BLOCK_SIZE)));
		json_object_object_add(b, "state", json_object_new_string(T.blk_state[i] == 2 ? "online" : "offline"));
		json_object_object_add(b, "valid_zones", json_object_new_string(T.blk_state[i] == 2 && T.blk_zone[i]
										? T.blk_zone[i] : "Normal Movable"));
		json_object_object_add(b, "node", json_object_new_int(0));
		json_object_object_add(b, "boot", json_object_new_boolean(FALSE));
		json_object_array_add(arr, b);
	}
	return arr;
}

/* "report": true on online and wait-blocks (race mode): MemTotal, and for
 * online the blocks, as the agent adds them */
static struct json_object *with_report(struct json_object *ok, struct json_object *args, gboolean blocks)
{
	struct json_object *snap, *mi, *v, *m = json_object_new_object();

	if (!arg_int(args, "report", 0))
		return ok;
	T.reports++;
	snap = snapshot_now();
	if (json_object_object_get_ex(snap, "meminfo", &mi) && json_object_object_get_ex(mi, "MemTotal", &v))
		json_object_object_add(m, "MemTotal", json_object_get(v));
	json_object_put(snap);
	json_object_object_add(ok, "meminfo", m);
	if (blocks)
		json_object_object_add(ok, "blocks", blocks_json());
	return ok;
}

static void agent_request(gint64 id, const char *cmd, struct json_object *args)
{
	const Fault *f = fault_for(cmd);
	struct json_object *ok;
	const char *zone;

	if (f) {
		switch (f->kind) {
		case FAULT_MUTE:
			return;
		case FAULT_ERRNO:
			agent_error(id, f->err, "scripted failure");
			return;
		case FAULT_EXIT:
			if (T.be)
				vm_gone(T.be, "exited with status 1");
			return;
		case FAULT_DROP:
			close_fd(&T.agent_fd);
			return;
		case FAULT_REPLY:
			agent_ok(id, json_tokener_parse(f->json));
			return;
		case FAULT_RAW_BEFORE:
			agent_write(f->json, strlen(f->json));
			break;
		case FAULT_ERROR_REPLY: {
			struct json_object *m = json_object_new_object();

			json_object_object_add(m, "id", json_object_new_int64(id));
			json_object_object_add(m, "error", json_tokener_parse(f->json));
			agent_send(m);
			return;
		}
		case FAULT_BLOCK_ERRNO:
			break;
		}
	}
	if (strcmp(cmd, "hello") == 0) {
		T.hellos++;
		ok = json_object_new_object();
		json_object_object_add(ok, "agent_version", json_object_new_string("test"));
		json_object_object_add(ok, "kernel", json_object_new_string("7.3.0-test"));
		json_object_object_add(ok, "machine", json_object_new_string("aarch64"));
		json_object_object_add(ok, "boot_id", json_object_new_string("00000000-0000-0000-0000-000000000001"));
		json_object_object_add(ok, "page_size", json_object_new_int(4096));
		json_object_object_add(ok, "block_size", json_object_new_int64((int64_t)BLOCK_SIZE));
		json_object_object_add(ok, "cpus", json_object_new_int(2));
		agent_ok(id, ok);
	} else if (strcmp(cmd, "snapshot") == 0) {
		agent_ok(id, snapshot_now());
	} else if (strcmp(cmd, "blocks") == 0) {
		ok = json_object_new_object();
		json_object_object_add(ok, "block_size", json_object_new_int64((int64_t)BLOCK_SIZE));
		json_object_object_add(ok, "blocks", blocks_json());
		agent_ok(id, ok);
	} else if (strcmp(cmd, "wait-blocks") == 0) {
		guint64 first = (guint64)arg_int(args, "phys_start", 0) / BLOCK_SIZE;
		guint64 n = (guint64)arg_int(args, "size", 0) / BLOCK_SIZE;
		gboolean present = arg_int(args, "present", 1) != 0;
		guint64 seen = 0;

		for (guint64 i = first; i < first + n && i < MAX_BLOCKS; i++)
			seen += T.blk_state[i] != 0;
		if (present ? seen == n : seen == 0) {
			ok = json_object_new_object();
			json_object_object_add(ok, "first", json_object_new_int64((int64_t)first));
			json_object_object_add(ok, "last", json_object_new_int64((int64_t)(first + n - 1)));
			json_object_object_add(ok, "elapsed_ns", json_object_new_int64(1000));
			agent_ok(id, with_report(ok, args, FALSE));
			T.gone_answers += !present;
			if (!present && T.held_release) {
				g_queue_push_tail(&T.actions, T.held_release);
				T.held_release = NULL;
			}
		} else {
			agent_error(id, ETIMEDOUT, present ? "blocks missing" : "blocks still present");
		}
	} else if (strcmp(cmd, "online") == 0) {
		const char *z = NULL;
		struct json_object *v;
		if (json_object_object_get_ex(args, "zone", &v))
			z = json_object_get_string(v);
		zone = z && strcmp(z, "online_movable") == 0 ? "Movable" : "Normal";
		agent_ok(id, with_report(set_blocks(args, 2, zone, f ? f->err : 0), args, TRUE));
	} else if (strcmp(cmd, "offline") == 0) {
		agent_ok(id, set_blocks(args, 1, NULL, f ? f->err : 0));
	} else if (strcmp(cmd, "dmesg") == 0) {
		ok = json_object_new_object();
		json_object_object_add(ok, "text", json_object_new_string("[    0.000000] Booting Linux\n"));
		agent_ok(id, ok);
	} else if (strcmp(cmd, "inject") == 0) {
		struct json_object *v;
		agent_ok(id, NULL);
		if (json_object_object_get_ex(args, "kind", &v) && strcmp(json_object_get_string(v), "hang") == 0)
			T.hung = TRUE; /* the agent stops itself */
	} else {
		agent_ok(id, NULL); /* hog, hog-release, stressor-*: done */
	}
}

static void agent_line(const char *line)
{
	struct json_object *m = json_tokener_parse(line), *v, *args = NULL;

	if (!m || !json_object_object_get_ex(m, "id", &v) || !json_object_is_type(v, json_type_int)) {
		printf("Bail out! the engine sent a request the agent protocol does not allow: %s\n", line);
		exit(1);
	}
	gint64 id = json_object_get_int64(v);
	json_object_object_get_ex(m, "args", &args);
	if (json_object_object_get_ex(m, "cmd", &v))
		agent_request(id, json_object_get_string(v), args);
	json_object_put(m);
}

/* Accept, read and answer what is there. Return: whether anything happened. */
static gboolean agent_pump(void)
{
	gboolean busy = FALSE;
	char buf[65536];
	char *nl;

	if (T.hung)
		return FALSE;
	if (T.agent_fd < 0 && T.listen_fd >= 0) {
		T.agent_fd = accept4(T.listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (T.agent_fd >= 0) {
			busy = TRUE;
			g_string_truncate(T.inbuf, 0);
			if (T.connections++) /* a restarted agent reads the kernel log from its start */
				for (guint i = 0; i < T.kmsg_log->len; i++)
					agent_send(json_tokener_parse(T.kmsg_log->pdata[i]));
		}
	}
	while (T.agent_fd >= 0) {
		ssize_t n = recv(T.agent_fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			close_fd(&T.agent_fd); /* the host dropped us */
			busy = TRUE;
			break;
		}
		g_string_append_len(T.inbuf, buf, n);
		busy = TRUE;
	}
	while (!T.hung && (nl = memchr(T.inbuf->str, '\n', T.inbuf->len))) {
		g_autofree char *line = g_strndup(T.inbuf->str, (gsize)(nl - T.inbuf->str));
		g_string_erase(T.inbuf, 0, nl - T.inbuf->str + 1);
		agent_line(line);
		busy = TRUE;
	}
	return busy;
}

/* ---- driving the run ---- */

static void fire_hooks(void)
{
	for (guint i = 0; i < T.nhooks; i++) {
		Hook *h = &T.hooks[i];

		if (h->fired || !T.phase || strcmp(T.phase, h->phase) != 0 || T.finished_cycles != h->finished)
			continue;
		h->fired = TRUE;
		switch (h->kind) {
		case HOOK_KMSG:
			agent_kmsg(h->text);
			break;
		case HOOK_STORM:
			for (guint k = 0; k < 100; k++) {
				g_autofree char *line = g_strdup_printf("%s %u", h->text, k);
				agent_kmsg(line);
			}
			break;
		case HOOK_PLANT_EVIDENCE: {
			g_autofree char *link = g_build_filename(T.dir, "results", "evidence", NULL);
			g_autofree char *target = g_build_filename(T.dir, "elsewhere", NULL);

			g_mkdir(target, 0700);
			if (symlink(target, link) < 0)
				printf("# symlink %s: %s\n", link, g_strerror(errno));
			break;
		}
		case HOOK_FILL_DISK: {
			g_autofree char *filler = g_build_filename(T.dir, "results", "filler", NULL);
			int fd = open(filler, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
			static const char block[4096];

			while (fd >= 0 && write(fd, block, sizeof(block)) > 0)
				;
			while (fd >= 0 && write(fd, block, 1) > 0)
				;
			if (fd >= 0)
				close(fd);
			break;
		}
		case HOOK_GARBAGE:
			for (guint k = 0; k < 100; k++) {
				struct json_object *m = json_object_new_object();
				json_object_object_add(m, "junk", json_object_new_int((int)k));
				agent_send(m);
			}
			break;
		case HOOK_CONSOLE:
			if (T.be) {
				g_autofree char *l = g_strdup_printf("%s\n", h->text);
				mhp_backend_console_feed(&T.be->base, l, strlen(l));
			}
			break;
		case HOOK_HANG:
			T.hung = TRUE;
			break;
		case HOOK_DROP:
			close_fd(&T.agent_fd);
			break;
		case HOOK_EXIT:
			if (T.be)
				vm_gone(T.be, "killed by signal 9");
			break;
		case HOOK_PANIC:
			if (T.be)
				T.be->base.cb.event(&T.be->base, "GUEST_PANICKED", NULL, T.be->base.user_data);
			break;
		case HOOK_STOP:
			mhp_engine_stop(T.e);
			break;
		}
	}
}

/* Run everything that is ready at this fake time. */
static void drain(void)
{
	for (guint i = 0; i < 1000000; i++) {
		gboolean busy = FALSE;

		while (g_main_context_iteration(T.ctx, FALSE))
			busy = TRUE;
		busy |= agent_pump();
		busy |= run_action();
		fire_hooks();
		if (!busy)
			return;
	}
	printf("Bail out! the engine does not settle\n");
	exit(1);
}

/* Move fake time to the next deadline or heartbeat, and run what it wakes. */
static void tick(void)
{
	gint64 next = next_deadline();

	if (T.heartbeats)
		next = MIN(next, T.next_heartbeat);
	if (next == G_MAXINT64)
		next = fake_now + G_USEC_PER_SEC;
	fake_now = MAX(fake_now, next);
	if (T.heartbeats && !T.hung && fake_now >= T.next_heartbeat && T.agent_fd >= 0) {
		struct json_object *m = json_object_new_object();
		json_object_object_add(m, "seq", json_object_new_int64(fake_now / G_USEC_PER_SEC));
		json_object_object_add(m, "children", json_object_new_int(0));
		agent_event("heartbeat", m);
	}
	while (T.next_heartbeat <= fake_now)
		T.next_heartbeat += G_USEC_PER_SEC;
	drain();
}

static void on_progress(MhpEngine *e, const MhpProgress *p, gpointer user_data)
{
	if (p->phase >= 0 && p->phase < _MHP_PHASE_MAX && !phase_seen[p->phase])
		phase_seen[p->phase] = case_name;
	T.saw_rebaseline |= p->phase == MHP_PHASE_REBASELINE;
	g_free(T.phase);
	T.phase = g_strdup(mhp_phase_to_string(p->phase));
	T.finished_cycles = p->cycle;
}

static void on_finished(MhpEngine *e, int exit_code, const char *message, gpointer user_data)
{
	T.finished = TRUE;
	T.exit_code = exit_code;
	T.message = g_strdup(message);
}

static void on_evidence(MhpEngine *e, const char *dir, gpointer user_data)
{
	g_free(T.evidence);
	T.evidence = g_strdup(dir);
}

static void on_cycle(MhpEngine *e, struct json_object *record, gpointer user_data)
{
	struct json_object *n, *v;

	if (!T.cycle_cb)
		T.cycle_cb = g_string_new(NULL);
	g_string_append_printf(T.cycle_cb, "%s:%s ",
			       json_object_object_get_ex(record, "cycle", &n) ? json_object_get_string(n) : "?",
			       json_object_object_get_ex(record, "verdict", &v) ? json_object_get_string(v) : "?");
}

static const MhpEngineCallbacks engine_cb = {
	.progress = on_progress,
	.finished = on_finished,
	.cycle = on_cycle,
	.evidence = on_evidence,
};

static void put_json(gpointer o)
{
	json_object_put(o);
}

static void rm_rf(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *n;

	if (d) {
		while ((n = g_dir_read_name(d))) {
			g_autofree char *p = g_build_filename(path, n, NULL);
			if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
				rm_rf(p);
			else
				g_unlink(p);
		}
		g_dir_close(d);
	}
	g_rmdir(path);
}

/* Start a case: @ini is the whole scenario. The caller scripts, then t_run(). */
static void t_setup(const char *name, const char *ini)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *path = g_strdup_printf("%s.ini", name);

	memset(&T, 0, sizeof(T));
	printf("# %s\n", name);
	case_name = name;
	T.s = mhp_scenario_load_data(path, ini, &err);
	if (!T.s) {
		printf("Bail out! scenario '%s': %s\n", name, err->message);
		exit(1);
	}
	/* cycles.jsonl is fdatasync'ed per cycle: on tmpfs that costs nothing (0.15 s against 2 s on disk) */
	T.dir = g_build_filename(g_access("/dev/shm", W_OK) == 0 ? "/dev/shm" : g_get_tmp_dir(), "test-engine-XXXXXX", NULL);
	if (!g_mkdtemp(T.dir)) {
		printf("Bail out! mkdtemp %s: %s\n", T.dir, g_strerror(errno));
		exit(1);
	}
	T.sock_path = g_build_filename(T.dir, "agent.sock", NULL);
	T.ctx = g_main_context_new();
	g_queue_init(&T.plug_modes);
	g_queue_init(&T.unplug_modes);
	g_queue_init(&T.actions);
	T.ops = g_string_new(NULL);
	T.listen_fd = T.agent_fd = -1;
	T.devices = g_array_new(FALSE, TRUE, sizeof(Device));
	T.inbuf = g_string_new(NULL);
	T.calls = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	T.kmsg_log = g_ptr_array_new_with_free_func(g_free);
	T.heartbeats = TRUE;
	T.cycles = g_ptr_array_new_with_free_func(put_json);
	T.events = g_ptr_array_new_with_free_func(put_json);
}

static void fault(const char *cmd, guint nth, FaultKind kind, int err)
{
	T.faults[T.nfaults++] = (Fault){ .cmd = cmd, .nth = nth, .kind = kind, .err = err };
}

static void fault_reply(const char *cmd, guint nth, const char *json)
{
	T.faults[T.nfaults++] = (Fault){ .cmd = cmd, .nth = nth, .kind = FAULT_REPLY, .json = json };
}

static void hook(const char *phase, guint64 finished, HookKind kind, const char *text)
{
	T.hooks[T.nhooks++] = (Hook){ .phase = phase, .finished = finished, .kind = kind, .text = text };
}

static void plug_mode(PlugMode m)
{
	g_queue_push_tail(&T.plug_modes, GINT_TO_POINTER(m));
}

static void unplug_mode(UnplugMode m)
{
	g_queue_push_tail(&T.unplug_modes, GINT_TO_POINTER(m));
}

static void read_results(void)
{
	g_autofree char *cycles = g_build_filename(T.dir, "results", "cycles.jsonl", NULL);
	g_autofree char *events = g_build_filename(T.dir, "results", "events.jsonl", NULL);
	g_autofree char *summary = g_build_filename(T.dir, "results", "summary.json", NULL);
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;

	if (g_file_get_contents(cycles, &text, NULL, NULL)) {
		lines = g_strsplit(text, "\n", -1);
		for (guint i = 0; lines[i]; i++)
			if (*lines[i])
				g_ptr_array_add(T.cycles, json_tokener_parse(lines[i]));
		for (guint i = 0; i < T.cycles->len; i++) {
			MhpFailClass c = mhp_fail_class_from_string(jstr(T.cycles->pdata[i], "verdict"));
			struct json_object *ph = jobj(T.cycles->pdata[i], "phases");

			if (c >= 0 && !verdict_seen[c])
				verdict_seen[c] = case_name;
			if (ph) {
				json_object_object_foreach(ph, k, v) {
					MhpPhase x = mhp_phase_from_string(k);
					if (x >= 0 && !phase_seen[x])
						phase_seen[x] = case_name;
					(void)v;
				}
			}
		}
		g_clear_pointer(&lines, g_strfreev);
		g_clear_pointer(&text, g_free);
	}
	if (g_file_get_contents(events, &text, NULL, NULL)) {
		lines = g_strsplit(text, "\n", -1);
		for (guint i = 0; lines[i]; i++) {
			struct json_object *o = *lines[i] ? json_tokener_parse(lines[i]) : NULL, *m;
			if (o && json_object_object_get_ex(o, "msg", &m) && json_object_object_get_ex(m, "engine", NULL))
				g_ptr_array_add(T.events, json_object_get(m));
			if (o && json_object_object_get_ex(o, "msg", &m) && strcmp(jstr(m, "event"), "kmsg") == 0)
				T.kmsg_logged++;
			json_object_put(o);
		}
	}
	T.summary = json_object_from_file(summary);
	/* leak is run-level: summary.json counts it, no cycle has it as verdict */
	if (jint(jobj(T.summary, "failures"), "leak", 0) > 0 && !verdict_seen[MHP_FAIL_LEAK])
		verdict_seen[MHP_FAIL_LEAK] = case_name;
}

static void t_run(void)
{
	MhpRunOptions opts = MHP_RUN_OPTIONS_INIT;
	g_autoptr(GError) err = NULL;
	gint64 t0 = fake_now;

	opts.kernel = g_strdup("/nonexistent/Image");
	opts.initrd = g_strdup("/nonexistent/initrd");
	opts.results_dir = g_build_filename(T.dir, "results", NULL);
	if (T.tmpfs) {
		g_autofree char *size = g_strdup_printf("size=%s,mode=0700", T.tmpfs);

		if (g_mkdir(opts.results_dir, 0700) < 0 ||
		    mount("tmpfs", opts.results_dir, "tmpfs", MS_NOSUID | MS_NODEV, size) < 0) {
			printf("Bail out! cannot mount a %s tmpfs on %s: %s (this test needs root)\n", T.tmpfs,
			       opts.results_dir, g_strerror(errno));
			exit(1);
		}
	}
	opts.backend = &test_backend_class;
	opts.clock = &fake_clock;
	opts.seed = 1;
	opts.have_seed = TRUE;
	T.next_heartbeat = fake_now + G_USEC_PER_SEC;
	g_main_context_push_thread_default(T.ctx);
	T.e = mhp_engine_new(T.ctx, T.s, &opts, &engine_cb, NULL);
	mhp_run_options_clear(&opts);
	if (!mhp_engine_start(T.e, &err)) {
		printf("Bail out! mhp_engine_start: %s\n", err->message);
		exit(1);
	}
	drain();
	while (!T.finished && fake_now - t0 < FAKE_LIMIT_US) {
		if (mhp_engine_writing_reports(T.e)) {
			/* a thread of real time: no fake deadline hurries it */
			g_main_context_iteration(T.ctx, TRUE);
			continue;
		}
		if (T.stop_after_us && fake_now - t0 >= T.stop_after_us) {
			T.stop_after_us = 0;
			mhp_engine_stop(T.e);
			drain();
		}
		tick();
	}
	T.fake_us = (guint64)(fake_now - t0);
	tap_ok(T.finished, "the run finishes (after %" G_GUINT64_FORMAT " ms of fake time)", T.fake_us / 1000);
	read_results();
}

static void t_teardown(void)
{
	mhp_engine_free(T.e);
	while (run_action())
		; /* nothing: the engine is gone; actions of a freed backend were dropped */
	g_main_context_pop_thread_default(T.ctx);
	g_main_context_unref(T.ctx);
	close_fd(&T.agent_fd);
	close_fd(&T.listen_fd);
	if (T.tmpfs) {
		g_autofree char *mnt = g_build_filename(T.dir, "results", NULL);

		umount2(mnt, MNT_DETACH);
		g_clear_pointer(&T.tmpfs, g_free);
	}
	rm_rf(T.dir);
	g_free(T.dir);
	g_free(T.sock_path);
	mhp_scenario_free(T.s);
	g_queue_clear(&T.plug_modes);
	g_queue_clear(&T.unplug_modes);
	g_string_free(T.ops, TRUE);
	g_array_unref(T.devices);
	g_string_free(T.inbuf, TRUE);
	g_hash_table_destroy(T.calls);
	g_ptr_array_unref(T.kmsg_log);
	g_free(T.phase);
	g_free(T.message);
	g_free(T.evidence);
	if (T.cycle_cb)
		g_string_free(g_steal_pointer(&T.cycle_cb), TRUE);
	g_ptr_array_unref(T.cycles);
	g_ptr_array_unref(T.events);
	json_object_put(T.summary);
}

/* ---- reading the results ---- */

static struct json_object *cyc(guint i)
{
	return i < T.cycles->len ? T.cycles->pdata[i] : NULL;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : "";
}

static gint64 jint(struct json_object *o, const char *key, gint64 dflt)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)
		       ? json_object_get_int64(v) : dflt;
}

static struct json_object *jobj(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *verdict(guint i)
{
	return jstr(cyc(i), "verdict");
}

static gint64 failures(const char *cls)
{
	return jint(jobj(T.summary, "failures"), cls, 0);
}

static guint n_events(const char *what)
{
	guint n = 0;

	for (guint i = 0; i < T.events->len; i++)
		n += strcmp(jstr(T.events->pdata[i], "engine"), what) == 0;
	return n;
}

static struct json_object *event(const char *what)
{
	for (guint i = 0; i < T.events->len; i++)
		if (strcmp(jstr(T.events->pdata[i], "engine"), what) == 0)
			return T.events->pdata[i];
	return NULL;
}

static gboolean has_phase(guint i, const char *name)
{
	return jobj(jobj(cyc(i), "phases"), name) != NULL;
}

static guint count_ops(const char *prefix)
{
	guint n = 0;
	g_auto(GStrv) v = g_strsplit(T.ops->str, " ", -1);

	for (guint i = 0; v[i]; i++)
		n += g_str_has_prefix(v[i], prefix);
	return n;
}

static void is_str(const char *got, const char *want, const char *what)
{
	tap_ok(strcmp(got, want) == 0, "%s is '%s'", what, want);
	if (strcmp(got, want) != 0)
		printf("#   got '%s'\n", got);
}

static void show_ops(void)
{
	printf("#   backend: %s\n", T.ops->str);
}

/* ---- scenarios ---- */

#define GUEST "[guest]\nslots = 4\nmaxmem = 4G\n"
#define DIMM512 "[dimm]\nsizes = 512M\n"

/* ---- the cases ---- */

static const char *const pass_phases[] = {
	"add", "ost", "query", "blocks", "online", "verify-online", "hold", "offline", "del",
	"eject-ost", "deleted", "eject-done", "object-del", "blocks-gone", "verify-removed",
};

static void test_pass(void)
{
	struct json_object *c, *ph, *lat;
	gint64 prev = -1;
	gboolean ordered = TRUE, closed = TRUE;
	g_autofree char *baseline = NULL, *plugged = NULL, *end = NULL, *run = NULL;

	t_setup("pass", "[scenario]\ncycles = 2\n" GUEST "[dimm]\nsizes = 512M\nhold = 1s\n");
	t_run();
	TAP_EQ_U64(T.cycles->len, 2, "two cycles written");
	is_str(verdict(0), "pass", "cycle 1's verdict");
	is_str(verdict(1), "pass", "cycle 2's verdict");
	c = cyc(0);
	ph = jobj(c, "phases");
	for (gsize i = 0; i < G_N_ELEMENTS(pass_phases); i++) {
		struct json_object *p = jobj(ph, pass_phases[i]);
		gint64 st = jint(p, "start_ns", -1), en = jint(p, "end_ns", -1);

		tap_ok(p != NULL, "phase '%s' is recorded", pass_phases[i]);
		if (st < prev)
			ordered = FALSE;
		if (en < st)
			closed = FALSE;
		prev = MAX(prev, st);
	}
	TAP_EQ_U64(json_object_object_length(ph), G_N_ELEMENTS(pass_phases), "no other phase is recorded");
	tap_ok(ordered, "phases start in the documented order");
	tap_ok(closed, "every phase has an end_ns at or after its start_ns");
	TAP_EQ_U64(jint(jobj(ph, "hold"), "end_ns", 0) - jint(jobj(ph, "hold"), "start_ns", 0), 1000000000,
		   "hold lasts [dimm] hold = 1s of fake time");
	TAP_EQ_U64(jint(c, "addr", 0), DIMM_BASE, "addr is the one query-memory-devices reported");
	is_str(jstr(c, "dimm"), "dimm1", "dimm id");
	TAP_EQ_U64(jint(c, "slot", -1), 0, "sequential: slot 0");
	TAP_EQ_U64(jint(cyc(1), "slot", -1), 0, "sequential: slot 0 again after its trailing eject OST");
	is_str(jstr(c, "zone"), "movable", "zone");
	tap_ok(jobj(jobj(c, "verify"), "checks_plugged") && jobj(jobj(c, "verify"), "checks_removed"),
	       "checks after plug and after removal are recorded");
	is_str(T.ops->str,
	       "start plug:dimm1@0 query unplug:dimm1 release:dimm1 plug:dimm2@0 query unplug:dimm2 release:dimm2 stop",
	       "backend operations");
	TAP_EQ_U64(T.exit_code, 0, "exit code 0");
	is_str(jstr(T.summary, "verdict"), "pass", "summary verdict");
	TAP_EQ_U64(jint(T.summary, "cycles", -1), 2, "summary cycles");
	TAP_EQ_U64(jint(T.summary, "failed_cycles", -1), 0, "summary failed_cycles");
	TAP_EQ_U64(json_object_object_length(jobj(T.summary, "failures")), 0, "summary failures is empty");
	lat = jobj(T.summary, "latency_ms");
	TAP_EQ_U64(jint(jobj(lat, "cycle"), "n", 0), 2, "latency_ms.cycle counts both cycles");
	TAP_EQ_U64(jint(jobj(lat, "eject-done"), "n", 0), 2, "latency_ms has the phases");
	TAP_EQ_U64(calls("online"), 2, "the agent onlined twice");
	TAP_EQ_U64(calls("offline"), 2, "and offlined twice");
	TAP_EQ_U64(calls("snapshot"), 6, "snapshots: baseline, 2 per cycle, end");
	baseline = g_build_filename(T.dir, "results", "snapshots", "baseline.json", NULL);
	plugged = g_build_filename(T.dir, "results", "snapshots", "plugged-1.json", NULL);
	end = g_build_filename(T.dir, "results", "snapshots", "end.json", NULL);
	run = g_build_filename(T.dir, "results", "run.json", NULL);
	tap_ok(g_file_test(baseline, G_FILE_TEST_EXISTS) && g_file_test(plugged, G_FILE_TEST_EXISTS) &&
	       g_file_test(end, G_FILE_TEST_EXISTS), "snapshots baseline, plugged-1 and end are saved");
	tap_ok(g_file_test(run, G_FILE_TEST_EXISTS), "run.json is written");
	TAP_EQ_U64(n_events("running"), 1, "one 'running' event");
	is_str(T.cycle_cb ? T.cycle_cb->str : "", "1:pass 2:pass ", "the cycle callback gets each record as it is written");
	{
		g_autofree char *ktap_path = g_build_filename(T.dir, "results", "results.ktap", NULL);
		g_autofree char *junit_path = g_build_filename(T.dir, "results", "junit.xml", NULL);
		g_autofree char *ktap = NULL, *junit = NULL;

		g_file_get_contents(ktap_path, &ktap, NULL, NULL);
		g_file_get_contents(junit_path, &junit, NULL, NULL);
		tap_ok(ktap && g_str_has_prefix(ktap, "KTAP version 1\n") && strstr(ktap, "\n1..2\n") &&
			       strstr(ktap, "\nok 1 cycle-1\n") && strstr(ktap, "\nok 2 cycle-2\n"),
		       "results.ktap is written at the end: two tests, both ok");
		tap_ok(junit && strstr(junit, "tests=\"2\" failures=\"0\""), "junit.xml is written: two testcases");
	}
	{
		g_autofree char *path = g_build_filename(T.dir, "results", "report.html", NULL);
		g_autofree char *html = NULL;

		g_file_get_contents(path, &html, NULL, NULL);
		tap_ok(html && strstr(html, "<svg") && strstr(html, "2 recorded, 0 failed"),
		       "report.html is written at the end: both cycles");
		TAP_EQ_U64(n_events("report-error"), 0, "and no report-error event");
	}
	t_teardown();
}

static void test_offline_false(void)
{
	t_setup("offline-false", "[scenario]\ncycles = 1\n" GUEST "[dimm]\nsizes = 512M\noffline = false\nzones = normal\n");
	t_run();
	is_str(verdict(0), "pass", "unplugging online memory passes");
	tap_ok(!has_phase(0, "offline"), "no offline phase with [dimm] offline = false");
	TAP_EQ_U64(calls("offline"), 0, "the agent was not asked to offline");
	is_str(jstr(cyc(0), "zone"), "normal", "zone normal");
	t_teardown();
}

static void test_qmp_error(void)
{
	t_setup("qmp-error", "[scenario]\ncycles = 1\n" GUEST DIMM512);
	plug_mode(PLUG_ERROR);
	t_run();
	is_str(verdict(0), "qmp-error", "device_add failure");
	tap_ok(strstr(jstr(cyc(0), "detail"), "device_add") != NULL, "detail has QEMU's message");
	is_str(T.ops->str, "start plug:dimm1@0 release:dimm1 stop", "the memory backend is released, no device_del");
	TAP_EQ_U64(failures("qmp-error"), 1, "summary failures.qmp-error");
	TAP_EQ_U64(T.exit_code, 1, "exit code 1");
	t_teardown();

	t_setup("qmp-error-del", "[scenario]\ncycles = 2\non-failure = continue\n" GUEST DIMM512);
	unplug_mode(UNPLUG_ERROR);
	t_run();
	is_str(verdict(0), "qmp-error", "device_del failure");
	TAP_EQ_U64(n_events("slot-stuck"), 1, "its slot is stuck");
	TAP_EQ_U64(jint(cyc(1), "slot", -1), 1, "the next cycle uses another slot");
	is_str(verdict(1), "pass", "and passes");
	t_teardown();
}

static void test_add_not_seen(void)
{
	t_setup("add-not-seen-no-ost", "[scenario]\ncycles = 1\n" GUEST DIMM512 "[timeouts]\nadd = 10s\n");
	plug_mode(PLUG_NO_OST);
	t_run();
	is_str(verdict(0), "add-not-seen", "no insert OST by [timeouts] add");
	tap_ok(T.fake_us >= 10 * G_USEC_PER_SEC, "it took the add deadline");
	TAP_EQ_U64(count_ops("unplug:"), 0, "device_del is never sent before the insert OST");
	show_ops();
	TAP_EQ_U64(n_events("slot-stuck"), 1, "the slot is stuck");
	t_teardown();

	t_setup("add-not-seen-status", "[scenario]\ncycles = 1\n" GUEST DIMM512);
	plug_mode(PLUG_BAD_STATUS);
	t_run();
	is_str(verdict(0), "add-not-seen", "insert OST with a failure status");
	tap_ok(strstr(jstr(cyc(0), "detail"), "0x1") != NULL, "detail names the status");
	TAP_EQ_U64(calls("online"), 0, "nothing is onlined");
	t_teardown();

	t_setup("add-not-seen-blocks", "[scenario]\ncycles = 1\n" GUEST DIMM512);
	plug_mode(PLUG_NO_BLOCKS);
	t_run();
	is_str(verdict(0), "add-not-seen", "insert OST 0, but no blocks in the guest");
	tap_ok(!has_phase(0, "online"), "no online phase");
	tap_ok(has_phase(0, "del") && has_phase(0, "deleted"), "the DIMM is unplugged as cleanup");
	t_teardown();
}

static void test_online_failed(void)
{
	t_setup("online-failed", "[scenario]\ncycles = 1\n" GUEST DIMM512);
	fault("online", 1, FAULT_BLOCK_ERRNO, EINVAL);
	t_run();
	is_str(verdict(0), "online-failed", "online with EINVAL per block");
	TAP_EQ_U64(jint(cyc(0), "errno", 0), EINVAL, "errno recorded");
	tap_ok(has_phase(0, "offline") && has_phase(0, "del"), "cleanup: offline, then device_del");
	is_str(T.ops->str, "start plug:dimm1@0 query unplug:dimm1 release:dimm1 stop", "backend operations");
	t_teardown();
}

static void test_offline_failed(void)
{
	t_setup("offline-failed", "[scenario]\ncycles = 2\non-failure = continue\n" GUEST DIMM512);
	fault("offline", 1, FAULT_BLOCK_ERRNO, EBUSY);
	t_run();
	is_str(verdict(0), "offline-failed", "offline with EBUSY");
	TAP_EQ_U64(jint(cyc(0), "errno", 0), EBUSY, "errno EBUSY recorded");
	TAP_EQ_U64(count_ops("unplug:dimm1"), 0, "memory that would not offline is not unplugged");
	TAP_EQ_U64(n_events("slot-stuck"), 1, "its slot is stuck");
	TAP_EQ_U64(n_events("rebaseline"), 1, "the guest is re-measured before the next cycle");
	TAP_EQ_U64(jint(event("rebaseline"), "MemTotal_after", 0) - jint(event("rebaseline"), "MemTotal_before", 0),
		   512 * 1024, "the new baseline has the stuck DIMM's 512M online");
	TAP_EQ_U64(jint(cyc(1), "slot", -1), 1, "the next cycle uses slot 1");
	is_str(verdict(1), "pass", "and passes against the new baseline");
	t_teardown();

	t_setup("offline-failed-expected",
		"[scenario]\non-failure = continue\n" GUEST DIMM512
		"[case busy]\nexpect = offline-failed\nexpect-errno = EBUSY\n"
		"[case busy-wrong-errno]\nexpect = offline-failed\nexpect-errno = EINVAL\n");
	fault("offline", 0, FAULT_BLOCK_ERRNO, EBUSY);
	t_run();
	TAP_EQ_U64(T.cycles->len, 2, "one cycle per case");
	is_str(verdict(0), "pass", "a case expecting offline-failed with EBUSY passes");
	is_str(jstr(cyc(0), "outcome"), "offline-failed", "its outcome");
	is_str(jstr(cyc(0), "case"), "busy", "its case");
	is_str(verdict(1), "expectation-failed", "EBUSY where EINVAL is expected");
	TAP_EQ_U64(failures("expectation-failed"), 1, "summary failures.expectation-failed");
	TAP_EQ_U64(failures("offline-failed"), 0, "an expected class is not a failure");
	t_teardown();

	t_setup("offline-boot", "[scenario]\n" GUEST DIMM512
		"[case boot]\naction = offline-boot\nexpect = offline-failed\nexpect-errno = EBUSY; EINVAL\n");
	fault("offline", 0, FAULT_BLOCK_ERRNO, EBUSY);
	t_run();
	is_str(verdict(0), "pass", "offline-boot: boot memory refuses to offline, as expected");
	is_str(jstr(cyc(0), "dimm"), "boot-memory", "the cycle is the boot block's");
	TAP_EQ_U64(count_ops("plug:"), 0, "nothing is plugged");
	t_teardown();
}

static void test_guest_refused(void)
{
	t_setup("guest-refused", "[scenario]\ncycles = 2\non-failure = continue\n" GUEST DIMM512);
	unplug_mode(UNPLUG_REFUSE);
	t_run();
	is_str(verdict(0), "guest-refused", "0x84 followed by 0x82");
	tap_ok(strstr(jstr(cyc(0), "detail"), "0x82") != NULL, "detail names the status");
	tap_ok(has_phase(0, "eject-ost") && has_phase(0, "deleted"), "eject-ost, then the wait for deleted");
	TAP_EQ_U64(n_events("slot-stuck"), 1, "the slot is given up");
	TAP_EQ_U64(count_ops("release:dimm1"), 0, "the DIMM's memory backend is kept");
	TAP_EQ_U64(jint(cyc(1), "slot", -1), 1, "the next cycle uses another slot");
	is_str(verdict(1), "pass", "and passes");
	t_teardown();

	t_setup("guest-error", "[scenario]\ncycles = 1\n" GUEST DIMM512);
	unplug_mode(UNPLUG_GUEST_ERROR);
	t_run();
	is_str(verdict(0), "guest-refused", "DEVICE_UNPLUG_GUEST_ERROR");
	tap_ok(strstr(jstr(cyc(0), "detail"), "DEVICE_UNPLUG_GUEST_ERROR") != NULL, "detail says so");
	t_teardown();

	t_setup("guest-refused-case", "[scenario]\n" GUEST DIMM512
		"[case refused]\nzone = normal\noffline = false\nhog = unmovable\nexpect = guest-refused\n");
	unplug_mode(UNPLUG_REFUSE);
	t_run();
	is_str(verdict(0), "pass", "a case expecting guest-refused passes");
	is_str(jstr(cyc(0), "outcome"), "guest-refused", "outcome");
	tap_ok(has_phase(0, "hog") && has_phase(0, "unhog"), "the hog is taken, then released for the cleanup");
	is_str(T.ops->str, "start plug:dimm1@0 query unplug:dimm1 unplug:dimm1 release:dimm1 stop",
	       "cleanup: device_del again after the offline");
	TAP_EQ_U64(n_events("slot-stuck"), 0, "the slot is not stuck after a clean second unplug");
	{
		/* device_del ran twice in the one cycle: its latency is counted once, the last run's */
		struct json_object *lat = jobj(T.summary, "latency_ms");

		TAP_EQ_U64(jint(T.summary, "cycles", -1), 1, "one cycle");
		tap_ok(jobj(lat, "del") != NULL, "latency_ms has del");
		json_object_object_foreach(lat, name, v)
			tap_ok(jint(v, "n", -1) == 1, "latency_ms.%s counts its phase once in the cycle (n %lld)", name,
			       (long long)jint(v, "n", -1));
	}
	t_teardown();

	t_setup("guest-refused-expectation", "[scenario]\n" GUEST DIMM512 "[case no-refusal]\nexpect = guest-refused\n");
	t_run();
	is_str(verdict(0), "expectation-failed", "a case whose expected refusal does not come");
	is_str(jstr(cyc(0), "outcome"), "pass", "outcome pass");
	TAP_EQ_U64(T.exit_code, 1, "exit code 1");
	t_teardown();
}

static void test_lost_unplug(void)
{
	t_setup("lost-unplug-no-eject", "[scenario]\ncycles = 1\n" GUEST DIMM512 "[timeouts]\nunplug = 15s\n");
	unplug_mode(UNPLUG_LOST);
	t_run();
	is_str(verdict(0), "lost-unplug", "no eject OST by [timeouts] unplug");
	tap_ok(T.fake_us >= 15 * G_USEC_PER_SEC && T.fake_us < 120 * G_USEC_PER_SEC,
	       "it ends at the deadline, not in a hang");
	TAP_EQ_U64(failures("hang"), 0, "no hang");
	TAP_EQ_U64(n_events("slot-stuck"), 1, "the slot is stuck");
	t_teardown();

	t_setup("lost-unplug-no-deleted", "[scenario]\ncycles = 1\n" GUEST DIMM512);
	unplug_mode(UNPLUG_NO_DELETED);
	t_run();
	is_str(verdict(0), "lost-unplug", "0x84, but no DEVICE_DELETED");
	tap_ok(strstr(jstr(cyc(0), "detail"), "DEVICE_DELETED") != NULL, "detail names DEVICE_DELETED");
	TAP_EQ_U64(count_ops("release:"), 0, "the memory backend of a DIMM still present is kept");
	t_teardown();
}

static void test_slot_stuck(void)
{
	struct json_object *ev;

	t_setup("slot-stuck", "[scenario]\ncycles = 3\n" GUEST DIMM512 "[timeouts]\neject = 10s\n");
	unplug_mode(UNPLUG_NO_TRAILING);
	t_run();
	TAP_EQ_U64(T.cycles->len, 3, "three cycles");
	is_str(verdict(0), "pass", "the cycle itself passed (its DIMM is gone)");
	ev = event("slot-stuck");
	tap_ok(ev && jint(ev, "slot", -1) == 0, "slot-stuck names slot 0");
	TAP_EQ_U64(count_ops("plug:dimm1@0"), 1, "dimm1 in slot 0");
	TAP_EQ_U64(count_ops("plug:dimm2@0") + count_ops("plug:dimm3@0"), 0,
		   "slot 0 is never re-plugged before its trailing eject OST");
	TAP_EQ_U64(jint(cyc(1), "slot", -1), 1, "cycle 2 uses slot 1");
	TAP_EQ_U64(jint(cyc(2), "slot", -1), 1, "cycle 3 reuses slot 1");
	TAP_EQ_U64(n_events("rebaseline"), 1, "one re-baseline after the slot got stuck");
	t_teardown();

	t_setup("slot-stuck-last", "[scenario]\ncycles = 2\n[guest]\nslots = 1\nmaxmem = 4G\n" DIMM512);
	unplug_mode(UNPLUG_NO_TRAILING);
	t_run();
	TAP_EQ_U64(T.cycles->len, 1, "with its only slot stuck the run ends");
	tap_ok(T.message && strstr(T.message, "no usable DIMM slot"), "and says no usable slot is left");
	TAP_EQ_U64(T.exit_code, 1, "exit code 1");
	t_teardown();

	/* snapshots: 1 baseline, 2 plugged, 3 removed, 4 the re-baseline */
	t_setup("rebaseline", "[scenario]\ncycles = 2\n" GUEST DIMM512 "[timeouts]\neject = 10s\n");
	unplug_mode(UNPLUG_NO_TRAILING);
	fault("snapshot", 4, FAULT_ERRNO, EIO);
	t_run();
	tap_ok(T.saw_rebaseline, "progress reports phase rebaseline once slot 0 is stuck");
	TAP_EQ_U64(calls("snapshot"), 4, "the re-baseline snapshot is asked for");
	TAP_EQ_U64(n_events("rebaseline"), 0, "a failed re-baseline replaces nothing");
	TAP_EQ_U64(T.cycles->len, 1, "no cycle runs against a baseline that could not be measured");
	tap_ok(T.message && strstr(T.message, "re-baseline snapshot"), "the run ends saying the re-baseline failed");
	TAP_EQ_U64(T.exit_code, 1, "exit code 1");
	t_teardown();
}

static void test_accounting(void)
{
	t_setup("accounting-mismatch", "[scenario]\ncycles = 1\n" GUEST DIMM512);
	T.memtotal_skew_kb = -4;
	t_run();
	is_str(verdict(0), "accounting-mismatch", "MemTotal 4 kB short after the plug");
	tap_ok(strstr(jstr(cyc(0), "detail"), "memtotal-exact") != NULL, "detail names the check");
	tap_ok(has_phase(0, "del") && has_phase(0, "verify-removed"), "the DIMM is still removed");
	TAP_EQ_U64(failures("accounting-mismatch"), 1, "summary failures");
	t_teardown();

	t_setup("accounting-blocks-left", "[scenario]\ncycles = 1\n" GUEST DIMM512);
	fault("wait-blocks", 2, FAULT_ERRNO, ETIMEDOUT);
	t_run();
	is_str(verdict(0), "accounting-mismatch", "blocks still present after DEVICE_DELETED");
	t_teardown();

	/* 8 kB of PageTables per cycle: over the 4 kB threshold, inside the 512 kB band */
	t_setup("leak", "[scenario]\ncycles = 10\n" GUEST DIMM512);
	T.leak_kb = 8;
	t_run();
	TAP_EQ_U64(T.cycles->len, 10, "ten cycles");
	TAP_EQ_U64(jint(T.summary, "failed_cycles", -1), 0, "each cycle passes on its own");
	is_str(jstr(jobj(jobj(T.summary, "trends"), "PageTables"), "verdict"), "leak", "trends.PageTables");
	TAP_EQ_U64(failures("leak"), 1, "summary failures.leak");
	TAP_EQ_U64(T.exit_code, 1, "a leak fails the run: exit code 1");
	t_teardown();
}

static void test_agent_lost(void)
{
	t_setup("agent-lost", "[scenario]\ncycles = 2\non-failure = continue\n" GUEST DIMM512 "[timeouts]\nagent = 30s\n");
	fault("blocks", 1, FAULT_MUTE, 0);
	t_run();
	is_str(verdict(0), "agent-lost", "no reply to 'blocks' by [timeouts] agent");
	tap_ok(strstr(jstr(cyc(0), "detail"), "deadline") != NULL, "detail says the deadline passed");
	TAP_EQ_U64(failures("hang"), 0, "the heartbeats went on: not a hang");
	is_str(verdict(1), "pass", "the next cycle passes");
	t_teardown();

	t_setup("agent-error", "[scenario]\ncycles = 1\n" GUEST DIMM512);
	fault("online", 1, FAULT_ERRNO, EIO);
	t_run();
	is_str(verdict(0), "agent-lost", "an error reply to online");
	t_teardown();
}

/*
 * A hostile agent: replies of the wrong shape, each to one request. The
 * engine must not abort (json-c asserts on a wrong type, strcmp on NULL),
 * must fail only that cycle as agent-protocol naming the key, and the next
 * cycle must pass. The first three are issue 12's crashes.
 */
static void test_agent_protocol(void)
{
	static const struct {
		const char *name, *cmd, *json, *key;
	} bad[] = {
		{ "blocks-object", "blocks", "{\"blocks\":{}}", "blocks" },
		{ "state-null", "blocks",
		  "{\"blocks\":[{\"index\":32,\"state\":null,\"valid_zones\":\"Movable\"}]}", "state" },
		{ "sections-number", "snapshot", "{\"meminfo\":{\"MemTotal\":1},\"ptdump\":{\"sections\":5}}",
		  "sections" },
		{ "results-missing", "online", "{}", "results" },
		{ "results-string", "online", "{\"results\":\"all fine\"}", "results" },
		{ "errno-huge", "online", "{\"results\":[{\"block\":32,\"errno\":99999999999}]}", "errno" },
		{ "block-negative", "online", "{\"results\":[{\"block\":-1,\"errno\":0}]}", "block" },
		{ "meminfo-array", "snapshot", "{\"meminfo\":[1,2,3]}", "meminfo" },
		{ "index-string", "blocks", "{\"blocks\":[{\"index\":\"32\",\"state\":\"online\"}]}", "index" },
		/* more of the hostile agent's cases (common/hostile.h) */
		{ "results-null", "online", "{\"results\":null,\"failed\":0}", "results" },
		{ "errno-2e63", "online", "{\"results\":[{\"block\":0,\"errno\":9223372036854775808}]}", "errno" },
		{ "errno-1e308", "online", "{\"results\":[{\"block\":0,\"errno\":1e308}]}", "errno" },
		{ "meminfo-null", "snapshot", "{\"meminfo\":null}", "meminfo" },
		{ "memfree-1e308", "snapshot", "{\"meminfo\":{\"MemTotal\":1,\"MemFree\":1e308}}", "MemFree" },
		{ "pcp-negative", "snapshot", "{\"meminfo\":{\"MemTotal\":1},\"pcp_kb\":-1}", "pcp_kb" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *name = g_strdup_printf("agent-protocol-%s", bad[i].name);
		/* snapshot 1 is the baseline; 2 is the one after online */
		guint nth = strcmp(bad[i].cmd, "snapshot") == 0 ? 2 : 1;

		t_setup(name, "[scenario]\ncycles = 2\non-failure = continue\n" GUEST DIMM512);
		fault_reply(bad[i].cmd, nth, bad[i].json);
		t_run();
		g_autofree char *what = g_strdup_printf("%s: %s", bad[i].cmd, bad[i].json);

		is_str(verdict(0), "agent-protocol", what);
		tap_ok(strstr(jstr(cyc(0), "detail"), bad[i].key) != NULL, "the detail names '%s': %s", bad[i].key,
		       jstr(cyc(0), "detail"));
		is_str(verdict(1), "pass", "the next cycle passes");
		t_teardown();
	}
}

/*
 * [case] hostile (test-only): the engine arms the agent's case before the
 * plug, so the spoiled reply falls in the same cycle. The scripted agent
 * plays the agent's part of blocks-object; an agent without --hostile
 * refuses (EPERM) and the cycle ends with nothing plugged.
 */
static void test_hostile_case(void)
{
	t_setup("hostile-case", "[scenario]\non-failure = continue\n" GUEST DIMM512
		"[case spoiled]\nhostile = blocks-object\nexpect = agent-protocol\n[case after]\nexpect = pass\n");
	fault_reply("blocks", 1, "{\"blocks\":{}}");
	t_run();
	TAP_EQ_U64(calls("inject"), 1, "hostile: the agent is asked to arm the case once");
	is_str(jstr(cyc(0), "outcome"), "agent-protocol", "hostile: the spoiled cycle is agent-protocol");
	is_str(verdict(0), "pass", "hostile: as the case expects");
	tap_ok(has_phase(0, "inject") && has_phase(0, "add"), "hostile: phases inject and add");
	is_str(verdict(1), "pass", "hostile: the next cycle passes");
	TAP_EQ_U64(T.exit_code, 0, "hostile: the run exits 0");
	t_teardown();

	t_setup("hostile-refused", "[scenario]\non-failure = continue\n" GUEST DIMM512
		"[case spoiled]\nhostile = flood\nexpect = agent-lost\n[case after]\nexpect = pass\n");
	fault("inject", 1, FAULT_ERRNO, EPERM);
	t_run();
	is_str(jstr(cyc(0), "outcome"), "agent-lost", "hostile refused: agent-lost");
	tap_ok(strstr(jstr(cyc(0), "detail"), "--hostile") != NULL, "hostile refused: the detail says why: %s",
	       jstr(cyc(0), "detail"));
	TAP_EQ_U64(count_ops("plug:dimm1"), 0, "hostile refused: nothing was plugged");
	is_str(verdict(1), "pass", "hostile refused: the next cycle passes");
	t_teardown();

	/* the bytes guest-agent/hostile.c writes before the wait-blocks reply */
	static const struct {
		const char *name, *bytes, *cls;
	} stream[] = {
		{ "garbage", "this is not JSON\n", "agent-lost" },
		{ "deep-nesting", "{\"event\":\"deep\",\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}\n",
		  "agent-lost" },
		{ "invalid-utf8", "{\"event\":\"mystery\",\"text\":\"\xff\xfe\xc3\x28\"}\n", "pass" },
		{ "stray-replies",
		  "{\"id\":987654321,\"ok\":{}}\n{\"id\":\"7\",\"ok\":{}}\n{\"id\":-1,\"error\":{}}\n{\"id\":null}\n", "pass" },
		{ "unknown-events",
		  "{\"event\":\"mystery\",\"ts_ns\":1,\"x\":[1,2]}\n{\"event\":5}\n{\"event\":\"kmsg\",\"msg\":5,\"seq\":\"x\"}\n"
		  "{\"event\":\"heartbeat\",\"seq\":1e308,\"children\":-1}\n", "pass" },
		{ "flood-few", "{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n", "pass" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(stream); i++) {
		g_autofree char *name = g_strdup_printf("hostile-stream-%s", stream[i].name);

		t_setup(name, "[scenario]\ncycles = 2\non-failure = continue\n" GUEST DIMM512);
		T.faults[T.nfaults++] = (Fault){ .cmd = "wait-blocks", .nth = 1, .kind = FAULT_RAW_BEFORE,
						 .json = stream[i].bytes };
		t_run();
		is_str(verdict(0), stream[i].cls, stream[i].name);
		is_str(verdict(1), "pass", "the next cycle passes");
		if (!strcmp(stream[i].name, "invalid-utf8")) {
			g_autofree char *events = g_build_filename(T.dir, "results", "events.jsonl", NULL);
			g_autofree char *text = NULL;
			gsize len = 0;

			tap_ok(g_file_get_contents(events, &text, &len, NULL) && g_utf8_validate(text, (gssize)len, NULL),
			       "events.jsonl is valid UTF-8");
			tap_ok(text && strstr(text, "\"text\":\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd(\"") != NULL,
			       "the event is logged with U+FFFD for the invalid bytes");
		}
		t_teardown();
	}
	{
		/* flood: 1000 {} before the reply; the 32nd drops the connection */
		GString *flood = g_string_new(NULL);

		for (int k = 0; k < 1000; k++)
			g_string_append(flood, "{}\n");
		t_setup("hostile-stream-flood", "[scenario]\ncycles = 2\non-failure = continue\n" GUEST DIMM512);
		T.faults[T.nfaults++] = (Fault){ .cmd = "wait-blocks", .nth = 1, .kind = FAULT_RAW_BEFORE, .json = flood->str };
		t_run();
		is_str(verdict(0), "agent-lost", "flood");
		is_str(verdict(1), "pass", "the next cycle passes");
		t_teardown();
		g_string_free(flood, TRUE);
	}

	t_setup("ok-not-object", "[scenario]\ncycles = 2\non-failure = continue\n" GUEST DIMM512);
	fault_reply("online", 1, "5");
	t_run();
	is_str(verdict(0), "agent-protocol", "a reply whose ok is not an object is agent-protocol");
	is_str(verdict(1), "pass", "the next cycle passes");
	t_teardown();

	/* guest-agent/hostile.c error-garbage, and errnos no int holds */
	static const char *const bad_errno[] = {
		"{\"errno\":\"EIO\",\"msg\":7}", "{\"errno\":1e308}", "{\"errno\":9223372036854775807}",
		"{\"errno\":-5}", "{\"errno\":null}",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad_errno); i++) {
		t_setup("error-errno-not-int", "[scenario]\ncycles = 2\non-failure = continue\n" GUEST DIMM512);
		T.faults[T.nfaults++] = (Fault){ .cmd = "online", .nth = 1, .kind = FAULT_ERROR_REPLY,
						 .json = bad_errno[i] };
		t_run();
		is_str(verdict(0), "agent-protocol", bad_errno[i]);
		tap_ok(strstr(jstr(cyc(0), "detail"), "errno is not an integer") != NULL, "the detail says why: %s",
		       jstr(cyc(0), "detail"));
		is_str(verdict(1), "pass", "the next cycle passes");
		t_teardown();
	}
}

/* cycles.jsonl: every line whole, none empty, the file ends with a newline. Return: the lines, or -1. */
static int whole_lines(const char *path, gsize *ret_len)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	gsize len = 0;
	int n = 0;

	if (!g_file_get_contents(path, &text, &len, NULL))
		return -1;
	*ret_len = len;
	if (len && text[len - 1] != '\n')
		return -1;
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] && *lines[i]; i++, n++) {
		struct json_object *o = json_tokener_parse(lines[i]);

		if (!json_object_is_type(o, json_type_object)) {
			json_object_put(o);
			return -1;
		}
		json_object_put(o);
	}
	return n;
}

/*
 * A full disk through the engine (issue 12): results/ is a small tmpfs.
 * The free-space check before a cycle stops the run with exit 2 naming the
 * directory; a disk filled during a cycle fails that cycle's record with
 * ENOSPC naming cycles.jsonl, exit 2. cycles.jsonl holds only whole lines,
 * and freeing the space afterwards adds nothing to it.
 */
static void test_enospc(void)
{
	g_autofree char *cycles = NULL;
	gsize len = 0, len2 = 0;
	int n;

	t_setup("enospc-precheck", "[scenario]\ncycles = 5\n" GUEST DIMM512);
	T.tmpfs = g_strdup("512k");
	t_run();
	TAP_EQ_U64(T.exit_code, 2, "a 512 KiB results disk: exit 2");
	tap_ok(T.message && strstr(T.message, "results directory") && strstr(T.message, "KiB free"),
	       "the message names the directory and the space: %s", T.message);
	TAP_EQ_U64(T.cycles->len, 0, "no cycle was started on it");
	t_teardown();

	t_setup("enospc-write", "[scenario]\ncycles = 3\non-failure = continue\n" GUEST
		"[dimm]\nsizes = 512M\nhold = 2s\n");
	T.tmpfs = g_strdup("4m");
	hook("hold", 1, HOOK_FILL_DISK, NULL);
	t_run();
	cycles = g_build_filename(T.dir, "results", "cycles.jsonl", NULL);
	TAP_EQ_U64(T.exit_code, 2, "the disk filled during cycle 2: exit 2");
	tap_ok(T.message && strstr(T.message, "cycles.jsonl") && strstr(T.message, g_strerror(ENOSPC)),
	       "the message names cycles.jsonl and ENOSPC: %s", T.message);
	n = whole_lines(cycles, &len);
	tap_ok(n == 1, "cycles.jsonl holds cycle 1 only, whole (%d lines, %zu bytes)", n, (size_t)len);
	{
		g_autofree char *filler = g_build_filename(T.dir, "results", "filler", NULL);

		g_unlink(filler); /* space comes back */
		mhp_engine_free(T.e); /* anything still buffered would be written now */
		T.e = NULL;
	}
	n = whole_lines(cycles, &len2);
	tap_ok(n == 1 && len2 == len, "freeing the space resurrects no half line (%d lines, %zu bytes)", n, (size_t)len2);
	TAP_EQ_U64(count_ops("plug:dimm3"), 0, "no cycle 3");
	t_teardown();
}

/* A kernel log storm is classified but not all logged; a garbage flood drops the link. */
static void test_agent_floods(void)
{
	t_setup("kmsg-storm", "[scenario]\ncycles = 2\n" GUEST "[dimm]\nsizes = 512M\nhold = 2s\n");
	hook("hold", 0, HOOK_STORM, "page_owner: a plain record");
	t_run();
	is_str(verdict(0), "pass", "100 plain records in a second do not fail the cycle");
	tap_ok(T.kmsg_logged == 64, "events.jsonl holds %u of them (64 a second)",
	       T.kmsg_logged);
	tap_ok(event("kmsg-unlogged") && jint(event("kmsg-unlogged"), "records", 0) == 36,
	       "the rest are counted: %" G_GINT64_FORMAT, jint(event("kmsg-unlogged"), "records", 0));
	t_teardown();

	t_setup("garbage-flood", "[scenario]\ncycles = 2\non-failure = continue\n" GUEST
		"[dimm]\nsizes = 512M\nhold = 2s\n");
	hook("hold", 0, HOOK_GARBAGE, NULL);
	t_run();
	TAP_EQ_U64(T.connections, 2, "32 invalid messages drop the connection, and the link reconnects");
	is_str(verdict(1), "pass", "the next cycle passes over the new connection");
	t_teardown();
}

static void test_qemu_exited(void)
{
	t_setup("qemu-exited-request", "[scenario]\ncycles = 2\n" GUEST DIMM512);
	fault("online", 1, FAULT_EXIT, 0);
	t_run();
	TAP_EQ_U64(T.cycles->len, 1, "one cycle written");
	is_str(verdict(0), "qemu-exited", "QEMU exits while online is in flight");
	tap_ok(T.message && strstr(T.message, "exited with status 1"), "the run ends with QEMU's exit");
	TAP_EQ_U64(n_events("qemu-exited"), 1, "a qemu-exited event");
	TAP_EQ_U64(T.exit_code, 1, "exit code 1");
	TAP_EQ_U64(count_ops("plug:dimm2"), 0, "no further cycle");
	t_teardown();

	t_setup("qemu-exited-hold", "[scenario]\ncycles = 2\n" GUEST "[dimm]\nsizes = 512M\nhold = 5s\n");
	hook("hold", 0, HOOK_EXIT, NULL);
	t_run();
	is_str(verdict(0), "qemu-exited", "QEMU exits while the DIMM is held online");
	TAP_EQ_U64(failures("qemu-exited"), 1, "summary failures.qemu-exited");
	t_teardown();
}

static void test_kernel_failures(void)
{
	g_autofree char *info = NULL, *text = NULL;

	t_setup("kernel-warning", "[scenario]\ncycles = 2\non-failure = continue\n" GUEST "[dimm]\nsizes = 512M\nhold = 2s\n");
	hook("hold", 0, HOOK_KMSG, "WARNING: CPU: 1 PID: 77 at mm/memory_hotplug.c:1234 offline_pages+0x1c/0x40");
	t_run();
	is_str(verdict(0), "kernel-warning", "a WARNING in kmsg during the cycle");
	tap_ok(strstr(jstr(cyc(0), "detail"), "mm/memory_hotplug.c") != NULL, "detail quotes the record");
	is_str(verdict(1), "pass", "the next cycle passes");
	tap_ok(T.evidence != NULL, "evidence is collected");
	tap_ok(json_object_get_boolean(jobj(T.summary, "evidence")), "summary evidence is true");
	info = T.evidence ? g_build_filename(T.evidence, "info.json", NULL) : NULL;
	if (info && g_file_get_contents(info, &text, NULL, NULL))
		tap_ok(strstr(text, "kernel-warning") != NULL, "evidence/info.json names the class");
	else
		tap_ok(0, "evidence/info.json names the class");
	TAP_EQ_U64(calls("dmesg"), 1, "the agent's dmesg is fetched for the evidence");
	tap_ok(strstr(T.ops->str, "pause resume") != NULL, "the VM is paused and resumed for it");
	t_teardown();

	t_setup("evidence-symlink", "[scenario]\ncycles = 1\n" GUEST "[dimm]\nsizes = 512M\nhold = 2s\n");
	hook("hold", 0, HOOK_PLANT_EVIDENCE, NULL);
	hook("hold", 0, HOOK_KMSG, "WARNING: CPU: 1 PID: 77 at mm/memory_hotplug.c:1234 offline_pages+0x1c/0x40");
	t_run();
	is_str(verdict(0), "kernel-warning", "evidence-symlink: the warning");
	TAP_EQ_U64(n_events("evidence-error"), 1, "a symlinked evidence directory is refused, once");
	{
		g_autofree char *elsewhere = g_build_filename(T.dir, "elsewhere", NULL);
		g_autoptr(GDir) d = g_dir_open(elsewhere, 0, NULL);
		const char *first = d ? g_dir_read_name(d) : NULL;

		tap_ok(d && !first, "nothing is written through the symlink%s%s", first ? ": " : "", first ? first : "");
	}
	t_teardown();

	t_setup("kernel-oops", "[scenario]\ncycles = 1\n" GUEST "[dimm]\nsizes = 512M\nhold = 2s\n");
	hook("hold", 0, HOOK_KMSG, "Unable to handle kernel paging request at virtual address ffff000080000000");
	t_run();
	is_str(verdict(0), "kernel-oops", "an oops in kmsg during the cycle");
	t_teardown();

	t_setup("kernel-oops-console", "[scenario]\ncycles = 1\n" GUEST "[dimm]\nsizes = 512M\nhold = 2s\n");
	hook("hold", 0, HOOK_CONSOLE, "[   12.345678] Internal error: Oops: 0000000096000004 [#1] SMP\n"
				       "[   12.345700] pc : ptdump_pte_entry+0x18/0x50\n"
				       "[   12.345800] Call trace:\n"
				       "[   12.345900]  walk_pgd_range+0x2a0/0x620");
	t_run();
	is_str(verdict(0), "kernel-oops", "an oops on the console during the cycle");
	{
		g_autofree char *path = T.evidence ? g_build_filename(T.evidence, "console.txt", NULL) : NULL;
		g_autofree char *con = NULL;

		tap_ok(path && g_file_get_contents(path, &con, NULL, NULL) && strstr(con, "Internal error: Oops") &&
		       strstr(con, "pc : ptdump_pte_entry+0x18/0x50") && strstr(con, "walk_pgd_range"),
		       "evidence/console.txt has the lines after the recognised one: pc and the trace");
	}
	t_teardown();

	t_setup("kernel-warning-between", "[scenario]\ncycles = 2\non-failure = continue\n" GUEST DIMM512);
	hook("baseline", 0, HOOK_KMSG, "WARNING: CPU: 0 PID: 1 at kernel/foo.c:1 bar+0x0/0x4");
	t_run();
	is_str(verdict(0), "kernel-warning", "a warning before the first cycle is charged to it");
	is_str(verdict(1), "pass", "not to the next");
	t_teardown();

	/* each held longer than the 5 s a report takes to come in (EVIDENCE_REPORT_US) */
	t_setup("kernel-classes", "[scenario]\ncycles = 4\non-failure = continue\n" GUEST
		"[dimm]\nsizes = 512M\nhold = 6s\n");
	hook("hold", 0, HOOK_KMSG, "kernel BUG at mm/memory_hotplug.c:1987!");
	hook("hold", 1, HOOK_KMSG, "watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [kworker/1:1:40]");
	hook("hold", 2, HOOK_KMSG, "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:");
	hook("hold", 3, HOOK_KMSG, "BUG: KASAN: use-after-free in offline_pages+0x1c/0x40");
	t_run();
	is_str(verdict(0), "kernel-bug", "kernel BUG at");
	is_str(verdict(1), "soft-lockup", "a soft lockup (its 'BUG:' does not make it a kernel bug)");
	is_str(verdict(2), "rcu-stall", "an RCU stall");
	is_str(verdict(3), "kasan", "a KASAN report (not a kernel bug)");
	TAP_EQ_U64(T.starts, 1, "none of them ends the guest");
	{
		g_autofree char *results = g_build_filename(T.dir, "results", NULL);
		g_autoptr(GPtrArray) dirs = mhp_results_evidence_dirs(results);
		g_autofree char *md = NULL, *p = NULL;

		TAP_EQ_U64(dirs->len, 4, "four signatures, four evidence directories");
		p = dirs->len == 4 ? g_build_filename(g_ptr_array_index(dirs, 3), "report.md", NULL) : NULL;
		tap_ok(p && g_file_get_contents(p, &md, NULL, NULL) && strstr(md, "class `kasan`, cycle 4"),
		       "evidence-4/report.md: the KASAN report's, written at the run's end");
	}
	t_teardown();

	t_setup("kernel-same-twice", "[scenario]\ncycles = 3\non-failure = continue\n" GUEST
		"[dimm]\nsizes = 512M\nhold = 6s\n");
	hook("hold", 0, HOOK_KMSG, "WARNING: CPU: 0 PID: 7 at mm/x.c:12 f+0x0/0x4");
	hook("hold", 1, HOOK_KMSG, "WARNING: CPU: 1 PID: 99 at mm/x.c:12 f+0x0/0x4");
	hook("hold", 2, HOOK_KMSG, "WARNING: CPU: 1 PID: 99 at mm/x.c:14 f+0x0/0x4");
	t_run();
	{
		g_autofree char *results = g_build_filename(T.dir, "results", NULL);
		g_autoptr(GPtrArray) dirs = mhp_results_evidence_dirs(results);

		TAP_EQ_U64(dirs->len, 2, "the same WARN on another CPU keeps no more evidence; another line does");
	}
	t_teardown();
}

static void test_hang(void)
{
	t_setup("hang", "[scenario]\ncycles = 2\n" GUEST "[dimm]\nsizes = 512M\nhold = 60s\n[timeouts]\nhang = 5s\n");
	hook("hold", 0, HOOK_HANG, NULL);
	t_run();
	TAP_EQ_U64(T.cycles->len, 1, "the cycle in progress is closed");
	is_str(verdict(0), "hang", "no heartbeat and a silent console for [timeouts] hang");
	tap_ok(T.fake_us < 60 * G_USEC_PER_SEC, "found before the hold ended");
	tap_ok(T.message && strstr(T.message, "the guest is gone (hang"), "the run ends: the guest is gone");
	TAP_EQ_U64(calls("dmesg"), 0, "no dmesg asked of a hung agent");
	tap_ok(T.evidence != NULL, "evidence is collected");
	TAP_EQ_U64(count_ops("plug:dimm2"), 0, "no further cycle");
	t_teardown();

	t_setup("hang-expected", "[scenario]\n" GUEST "[dimm]\nsizes = 256M\n[timeouts]\nhang = 5s\n"
		"[case hang]\ninject = hang\nexpect = hang\n");
	t_run();
	is_str(verdict(0), "pass", "a case expecting a hang passes");
	TAP_EQ_U64(calls("inject"), 1, "the agent was asked to inject");
	tap_ok(has_phase(0, "inject") && has_phase(0, "hold"), "phases inject and hold are recorded");
	TAP_EQ_U64(T.exit_code, 0, "the run ends cleanly");
	t_teardown();
}

static void test_stuck_task(void)
{
	t_setup("stuck-task", "[scenario]\ncycles = 1\n" GUEST DIMM512);
	fault("snapshot", 2, FAULT_ERRNO, ETIMEDOUT); /* 1 is the baseline */
	t_run();
	is_str(verdict(0), "stuck-task", "the verification snapshot's read timed out in the agent");
	TAP_EQ_U64(jint(cyc(0), "errno", 0), ETIMEDOUT, "errno ETIMEDOUT");
	tap_ok(T.evidence != NULL, "evidence is collected");
	tap_ok(has_phase(0, "del"), "the DIMM is still removed");
	t_teardown();
}

static void test_policies(void)
{
	t_setup("policy-stop", "[scenario]\ncycles = 3\non-failure = stop\n" GUEST DIMM512);
	fault("online", 1, FAULT_BLOCK_ERRNO, EINVAL);
	t_run();
	TAP_EQ_U64(T.cycles->len, 1, "stop: no cycle after the failure");
	tap_ok(json_object_get_boolean(jobj(T.summary, "stopped")), "summary stopped");
	is_str(jstr(T.summary, "verdict"), "fail", "summary verdict fail");
	tap_ok(has_phase(0, "del"), "the failed DIMM is removed before the end");
	tap_ok(g_str_has_suffix(T.ops->str, "release:dimm1 stop"), "then the guest is stopped");
	t_teardown();

	t_setup("policy-continue", "[scenario]\ncycles = 3\non-failure = continue\n" GUEST DIMM512);
	fault("online", 1, FAULT_BLOCK_ERRNO, EINVAL);
	t_run();
	TAP_EQ_U64(T.cycles->len, 3, "continue: every planned cycle runs");
	is_str(verdict(0), "online-failed", "cycle 1 failed");
	is_str(verdict(2), "pass", "cycle 3 passed");
	TAP_EQ_U64(jint(T.summary, "failed_cycles", -1), 1, "one failed cycle");
	tap_ok(!json_object_get_boolean(jobj(T.summary, "stopped")), "not stopped");
	TAP_EQ_U64(T.starts, 1, "one guest");
	t_teardown();

	t_setup("policy-restart-guest", "[scenario]\ncycles = 3\non-failure = restart-guest\n" GUEST DIMM512);
	fault("online", 1, FAULT_BLOCK_ERRNO, EINVAL);
	t_run();
	TAP_EQ_U64(T.cycles->len, 3, "restart-guest: every planned cycle runs");
	is_str(verdict(0), "online-failed", "cycle 1 failed");
	is_str(verdict(1), "pass", "cycle 2 passed on the new guest");
	TAP_EQ_U64(T.starts, 2, "the guest was started twice");
	TAP_EQ_U64(T.hellos, 2, "hello and a new baseline on the new guest");
	TAP_EQ_U64(n_events("restart-guest"), 1, "a restart-guest event");
	tap_ok(strstr(T.ops->str, "release:dimm1 stop start plug:dimm2@0") != NULL, "remove, stop, start, plug");
	show_ops();
	t_teardown();

	t_setup("policy-restart-qemu-exited", "[scenario]\ncycles = 2\non-failure = restart-guest\n" GUEST
		"[dimm]\nsizes = 512M\nhold = 5s\n");
	hook("hold", 0, HOOK_EXIT, NULL);
	t_run();
	TAP_EQ_U64(T.cycles->len, 2, "restart-guest after QEMU's exit: the run goes on");
	is_str(verdict(0), "qemu-exited", "cycle 1 qemu-exited");
	is_str(verdict(1), "pass", "cycle 2 passed");
	TAP_EQ_U64(T.starts, 2, "two guests");
	t_teardown();

	t_setup("stop-request", "[scenario]\ncycles = 0\nduration = 1h\n" GUEST "[dimm]\nsizes = 512M\nhold = 10s\n");
	hook("hold", 0, HOOK_STOP, NULL);
	t_run();
	TAP_EQ_U64(T.cycles->len, 1, "mhp_engine_stop() in the hold: the cycle in progress finishes, no other starts");
	is_str(verdict(0), "pass", "and passes");
	tap_ok(T.fake_us < 10 * G_USEC_PER_SEC, "the hold is cut short");
	tap_ok(json_object_get_boolean(jobj(T.summary, "stopped")), "summary stopped");
	TAP_EQ_U64(n_events("stop-requested"), 1, "a stop-requested event");
	TAP_EQ_U64(T.exit_code, 0, "exit code 0");
	t_teardown();

	t_setup("evidence-pause", "[scenario]\ncycles = 2\n" GUEST "[dimm]\nsizes = 512M\nhold = 2s\n"
		"[evidence]\npause = true\n");
	hook("hold", 0, HOOK_KMSG, "WARNING: CPU: 1 PID: 77 at mm/memory_hotplug.c:1234 offline_pages+0x1c/0x40");
	T.stop_after_us = 120 * G_USEC_PER_SEC;
	t_run();
	tap_ok(T.fake_us >= 120 * G_USEC_PER_SEC, "[evidence] pause: the VM is held until the run is stopped");
	tap_ok(strstr(T.ops->str, "pause") && !strstr(T.ops->str, "resume"), "paused, never resumed");
	TAP_EQ_U64(failures("hang"), 0, "a held guest's silence is not a hang");
	TAP_EQ_U64(T.cycles->len, 1, "the held cycle is closed at the stop");
	is_str(verdict(0), "kernel-warning", "with the failure that held it");
	tap_ok(T.message && strstr(T.message, "paused"), "the message says it was stopped while paused");
	t_teardown();
}

static void test_boot(void)
{
	t_setup("hello-retry", "[scenario]\ncycles = 1\n" GUEST DIMM512);
	fault("hello", 1, FAULT_MUTE, 0);
	t_run();
	TAP_EQ_U64(calls("hello"), 2, "a hello without an answer is sent again");
	is_str(verdict(0), "pass", "then the run goes on");
	t_teardown();

	t_setup("boot-timeout", "[scenario]\ncycles = 1\n[guest]\nslots = 4\nmaxmem = 4G\nboot-timeout = 10s\n" DIMM512);
	fault("hello", 0, FAULT_MUTE, 0);
	t_run();
	TAP_EQ_U64(T.cycles->len, 0, "no cycle without an agent");
	TAP_EQ_U64(T.exit_code, MHP_RUN_EXIT_UNTESTABLE, "exit code 125: the guest did not boot, nothing was tested");
	{
		g_autofree char *ktap_path = g_build_filename(T.dir, "results", "results.ktap", NULL);
		g_autofree char *ktap = NULL;

		g_file_get_contents(ktap_path, &ktap, NULL, NULL);
		tap_ok(ktap && strstr(ktap, "\n1..1\n") &&
			       strstr(ktap, "\nnot ok 1 cycle-1 # ERROR not run: the guest agent did not answer"),
		       "results.ktap: the cycle that never ran is an ERROR naming why");
	}
	is_str(jstr(T.summary, "verdict"), "error", "summary verdict error");
	tap_ok(T.message && strstr(T.message, "did not answer within 10 s"), "the message names the boot timeout");
	tap_ok(T.fake_us >= 10 * G_USEC_PER_SEC && T.fake_us < 20 * G_USEC_PER_SEC, "after [guest] boot-timeout");
	t_teardown();

	t_setup("start-fails", "[scenario]\ncycles = 1\n" GUEST DIMM512);
	T.start_error = "cannot connect to 'qemu+tcp://127.0.0.1:1/system'";
	t_run();
	TAP_EQ_U64(T.exit_code, MHP_RUN_EXIT_ERROR,
		   "a VM the backend cannot start is an environment error (2), not untestable (125)");
	t_teardown();

	t_setup("boot-exit", "[scenario]\ncycles = 1\n" GUEST DIMM512);
	fault("hello", 1, FAULT_EXIT, 0);
	t_run();
	TAP_EQ_U64(T.cycles->len, 0, "a VM that exits while booting runs no cycle");
	TAP_EQ_U64(T.exit_code, MHP_RUN_EXIT_UNTESTABLE, "a VM that exits while booting: exit code 125");
	t_teardown();

	t_setup("baseline-fails", "[scenario]\ncycles = 1\n" GUEST DIMM512);
	fault("snapshot", 1, FAULT_ERRNO, EIO);
	t_run();
	TAP_EQ_U64(T.exit_code, MHP_RUN_EXIT_UNTESTABLE, "no baseline snapshot: exit code 125");
	tap_ok(T.message && strstr(T.message, "baseline snapshot"), "the message names the baseline");
	t_teardown();

	t_setup("reboot-fails", "[scenario]\ncycles = 2\non-failure = restart-guest\n[guest]\nslots = 4\nmaxmem = 4G\n"
		"boot-timeout = 10s\n[dimm]\nsizes = 512M\nhold = 2s\n");
	hook("hold", 0, HOOK_KMSG, "WARNING: CPU: 1 PID: 77 at mm/memory_hotplug.c:1234 offline_pages+0x1c/0x40");
	for (guint n = 2; n < 10; n++) /* the restarted guest's agent never answers */
		fault("hello", n, FAULT_MUTE, 0);
	t_run();
	TAP_EQ_U64(T.starts, 2, "the guest is restarted after the warning");
	tap_ok(T.message && strstr(T.message, "did not answer within 10 s"), "and does not boot: %s", T.message);
	TAP_EQ_U64(T.exit_code, MHP_RUN_EXIT_FAILURES,
		   "a restarted guest that does not boot, after a tested cycle, is a failure, not 125");
	t_teardown();

	t_setup("block-size", "[scenario]\ncycles = 1\n" GUEST "[dimm]\nsizes = 384M\n");
	t_run();
	TAP_EQ_U64(T.exit_code, 0, "384M is three 128M blocks");
	t_teardown();
}

static void test_panic(void)
{
	t_setup("panic", "[scenario]\ncycles = 2\n" GUEST "[dimm]\nsizes = 512M\nhold = 5s\n");
	hook("hold", 0, HOOK_PANIC, NULL);
	t_run();
	TAP_EQ_U64(T.cycles->len, 1, "the run ends after a panic");
	is_str(verdict(0), "panic", "GUEST_PANICKED");
	TAP_EQ_U64(calls("dmesg"), 0, "no dmesg asked of a panicked guest");
	tap_ok(T.message && strstr(T.message, "the guest is gone (panic"), "the guest is gone");
	t_teardown();
}

static void test_stressors(void)
{
	t_setup("stressor-remove", "[scenario]\ncycles = 2\n" GUEST DIMM512
		"[stressor churn]\nkind = vmalloc-churn\nphase = remove\n");
	t_run();
	is_str(verdict(0), "pass", "a stressed cycle passes");
	TAP_EQ_U64(calls("stressor-start"), 2, "phase = remove: started at each removal");
	TAP_EQ_U64(calls("stressor-stop"), 2, "and stopped when its blocks are gone");
	t_teardown();

	t_setup("stressor-always", "[scenario]\ncycles = 2\n" GUEST DIMM512
		"[stressor churn]\nkind = vmalloc-churn\n");
	t_run();
	TAP_EQ_U64(calls("stressor-start"), 1, "phase = always: started once, after the baseline");
	is_str(verdict(1), "pass", "the cycles pass");
	t_teardown();
}

static void test_concurrent(void)
{
	gboolean two = FALSE;

	t_setup("concurrent", "[scenario]\ncycles = 4\npattern = round-robin\n" GUEST "[dimm]\nsizes = 512M\nconcurrent = 2\n");
	t_run();
	TAP_EQ_U64(T.cycles->len, 4, "four cycles");
	for (guint i = 0; i < 4; i++)
		is_str(verdict(i), "pass", "a concurrent cycle's verdict");
	is_str(T.ops->str,
	       "start plug:dimm1@0 query plug:dimm2@1 query unplug:dimm1 release:dimm1 plug:dimm3@2 query "
	       "unplug:dimm2 release:dimm2 plug:dimm4@3 query unplug:dimm3 release:dimm3 unplug:dimm4 release:dimm4 stop",
	       "two plugged at once, the oldest removed first, slots round-robin");
	for (guint i = 0; i < T.cycles->len; i++) {
		struct json_object *chk = jobj(jobj(cyc(i), "verify"), "checks_plugged");
		for (size_t k = 0; chk && k < json_object_array_length(chk); k++) {
			struct json_object *c = json_object_array_get_idx(chk, k);
			if (strcmp(jstr(c, "name"), "memtotal-exact") == 0 && jint(c, "expected", 0) ==
			    memtotal_before_kb + (1 << 20))
				two = TRUE;
		}
	}
	tap_ok(two, "a plugged check expected MemTotal + 1G with two DIMMs in");
	t_teardown();
}

static void test_random(void)
{
	g_autofree char *first = NULL;
	const char *ini = "[scenario]\ncycles = 6\npattern = random\n[guest]\nslots = 4\nmaxmem = 4G\n"
			  "[dimm]\nsizes = 256M; 512M\nzones = movable; normal\nconcurrent = 2\n";

	t_setup("random", ini);
	t_run();
	TAP_EQ_U64(jint(T.summary, "failed_cycles", -1), 0, "random sizes, zones, slots and order: every cycle passes");
	TAP_EQ_U64(T.cycles->len, 6, "six cycles");
	first = g_strdup(T.ops->str);
	t_teardown();
	t_setup("random-again", ini);
	t_run();
	is_str(T.ops->str, first, "the same seed replays the same operations");
	t_teardown();
}

static void test_agent_restart(void)
{
	t_setup("agent-restart", "[scenario]\ncycles = 2\n" GUEST "[dimm]\nsizes = 512M\nhold = 2s\n");
	hook("hold", 0, HOOK_DROP, NULL);
	t_run();
	TAP_EQ_U64(T.connections, 2, "the agent link reconnected to the restarted agent");
	is_str(verdict(0), "pass", "a restart between requests costs the cycle nothing");
	is_str(verdict(1), "pass", "the next cycle passes");
	TAP_EQ_U64(n_events("agent-link-lost"), 0, "the link is not reported lost");
	t_teardown();

	t_setup("agent-restart-request", "[scenario]\ncycles = 2\non-failure = continue\n" GUEST DIMM512);
	fault("blocks", 1, FAULT_DROP, 0);
	t_run();
	is_str(verdict(0), "agent-lost", "a restart with a request in flight: agent-lost");
	tap_ok(has_phase(0, "del") && has_phase(0, "verify-removed"),
	       "the cleanup's offline goes over the new connection and the DIMM is removed");
	TAP_EQ_U64(calls("offline"), 2, "the agent got the cleanup's offline (and cycle 2's)");
	tap_ok(n_events("slot-stuck") == 0, "the slot is not given up");
	is_str(verdict(1), "pass", "the next cycle passes");
	t_teardown();

	t_setup("agent-restart-kmsg", "[scenario]\ncycles = 2\non-failure = continue\n" GUEST
		"[dimm]\nsizes = 512M\nhold = 2s\n");
	hook("hold", 0, HOOK_KMSG, "WARNING: CPU: 1 PID: 77 at mm/memory_hotplug.c:1234 offline_pages+0x1c/0x40");
	hook("hold", 1, HOOK_DROP, NULL);
	t_run();
	is_str(verdict(0), "kernel-warning", "the warning counts once");
	is_str(verdict(1), "pass", "the restarted agent's replay of the same record (same seq) is not a new failure");
	TAP_EQ_U64(failures("kernel-warning"), 1, "summary failures.kernel-warning is 1");
	t_teardown();

	t_setup("restart-guest-kmsg", "[scenario]\ncycles = 2\non-failure = restart-guest\n" GUEST
		"[dimm]\nsizes = 512M\nhold = 2s\n");
	hook("hold", 0, HOOK_KMSG, "WARNING: CPU: 1 PID: 77 at mm/memory_hotplug.c:1234 offline_pages+0x1c/0x40");
	hook("hold", 1, HOOK_KMSG, "WARNING: CPU: 0 PID: 90 at mm/page_alloc.c:42 foo+0x0/0x4");
	t_run();
	tap_ok(strstr(T.ops->str, "release:dimm1 stop start plug:dimm2@0") != NULL,
	       "the warning restarts the guest before cycle 2");
	is_str(verdict(0), "kernel-warning", "cycle 1: the first guest's warning (seq 1)");
	is_str(verdict(1), "kernel-warning", "cycle 2: the new kernel's warning, seq 1 again, is a new record");
	t_teardown();
}

/* The agent link's socket never drops a write silently (agent-restart-request). */
static void test_json_sock(void)
{
	g_autoptr(MhpJsonSock) sock = mhp_json_sock_new(NULL, 4096, 8, NULL, NULL, NULL);
	struct json_object *msg = json_object_new_object();
	g_autoptr(GError) err = NULL;

	printf("# json-sock-unconnected\n");
	tap_ok(!mhp_json_sock_send(sock, msg, &err), "a send on an unconnected socket fails");
	tap_ok(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED), "with G_IO_ERROR_NOT_CONNECTED");
	json_object_put(msg);
}

/* Issue 13: the cases above, together, reach every class and every phase. */
/* query-memory-devices goes out with the OST wait; a DIMM it does not list
 * fails the cycle once the OST is in, and the DIMM is removed again. */
static void test_query_unlisted(void)
{
	t_setup("query-unlisted", "[scenario]\ncycles = 1\n" GUEST DIMM512);
	T.hide_devices = TRUE;
	t_run();
	is_str(verdict(0), "qmp-error", "a DIMM query-memory-devices does not list");
	is_str(jstr(cyc(0), "detail"), "query-memory-devices: the DIMM is not listed", "the detail says so");
	is_str(T.ops->str, "start plug:dimm1@0 query unplug:dimm1 release:dimm1 stop", "and it is unplugged");
	TAP_EQ_U64(calls("wait-blocks"), 0, "no blocks are waited for");
	t_teardown();
}

/* Race mode: light cycles are checked from the online and wait-blocks
 * replies, with no snapshot and no blocks request; cycle 1 and every
 * full-every-th cycle are full. */
static void test_light(void)
{
	struct json_object *chk;
	guint64 first = DIMM_BASE / BLOCK_SIZE;
	g_autofree char *no_memtotal = g_strdup_printf(
		"{\"results\":[{\"block\":%" G_GUINT64_FORMAT ",\"errno\":0}],\"blocks\":[]}", first);

	t_setup("light", "[scenario]\ncycles = 5\n" GUEST DIMM512 "[verify]\nlevel = light\nfull-every = 3\n");
	t_run();
	TAP_EQ_U64(T.cycles->len, 5, "five cycles written");
	for (guint i = 0; i < 5; i++)
		is_str(verdict(i), "pass", "a light run's cycle passes");
	TAP_EQ_U64(calls("snapshot"), 6, "snapshots: the baseline, two in each of cycles 1 and 3, the end");
	TAP_EQ_U64(calls("blocks"), 2, "a blocks listing only in the full cycles");
	TAP_EQ_U64(T.reports, 6, "the online and wait-blocks of cycles 2, 4 and 5 asked for a report");
	TAP_EQ_U64(calls("wait-blocks"), 7, "light cycles online at once: wait-blocks only for their removal");
	tap_ok(!jobj(jobj(cyc(0), "verify"), "level") && !jobj(jobj(cyc(2), "verify"), "level"),
	       "cycles 1 and 3 are verified fully");
	is_str(jstr(jobj(cyc(1), "verify"), "level"), "light", "cycle 2 is light");
	chk = json_object_array_get_idx(jobj(jobj(cyc(1), "verify"), "checks_removed"), 0);
	is_str(jstr(chk, "name"), "memtotal-exact", "a light removal checks MemTotal");
	tap_ok(jobj(chk, "pass") && json_object_get_boolean(jobj(chk, "pass")), "and it passes");
	TAP_EQ_U64(json_object_array_length(jobj(jobj(cyc(1), "verify"), "checks_plugged")), 1,
		   "a light plug has the one check");
	t_teardown();

	t_setup("light-no-blocks", "[scenario]\ncycles = 2\non-failure = continue\n" GUEST DIMM512 "[verify]\nlevel = light\n");
	plug_mode(PLUG_NORMAL);
	plug_mode(PLUG_NO_BLOCKS);
	t_run();
	is_str(verdict(0), "pass", "cycle 1 (full) passes");
	is_str(verdict(1), "add-not-seen", "a light cycle whose blocks never appear");
	tap_ok(has_phase(1, "blocks"), "online found none, so it waited for them after all");
	t_teardown();

	t_setup("light-memtotal", "[scenario]\ncycles = 2\non-failure = continue\n" GUEST DIMM512
		"[verify]\nlevel = light\n");
	T.memtotal_skew_kb = 4096;
	t_run();
	is_str(verdict(1), "accounting-mismatch", "a light cycle's MemTotal 4 MiB off");
	tap_ok(strstr(jstr(cyc(1), "detail"), "memtotal-exact") != NULL, "the detail names memtotal-exact: %s",
	       jstr(cyc(1), "detail"));
	t_teardown();

	t_setup("light-protocol", "[scenario]\ncycles = 3\non-failure = continue\n" GUEST DIMM512
		"[verify]\nlevel = light\n");
	fault_reply("online", 2, no_memtotal);
	t_run();
	is_str(verdict(1), "agent-protocol", "a light online reply without MemTotal");
	tap_ok(strstr(jstr(cyc(1), "detail"), "MemTotal") != NULL, "the detail names MemTotal: %s", jstr(cyc(1), "detail"));
	is_str(verdict(2), "pass", "the next light cycle passes");
	t_teardown();

	/* a light cycle asks for the blocks' absence at DEVICE_DELETED, beside
	 * the trailing OST and object-del: here object-del returns only after
	 * that answer, which a full cycle would wait for forever */
	t_setup("light-gone-early", "[scenario]\ncycles = 3\non-failure = continue\n" GUEST DIMM512
		"[verify]\nlevel = light\n");
	T.release_after_gone = 2; /* cycle 1 is full: it asks only after object-del */
	t_run();
	TAP_EQ_U64(T.cycles->len, 3, "three cycles written");
	is_str(verdict(1), "pass", "a light cycle whose object-del returns after blocks-gone passes");
	is_str(verdict(2), "pass", "and the next one");
	tap_ok(has_phase(1, "object-del") && has_phase(1, "blocks-gone"), "both phases recorded");
	t_teardown();

	/* the early ask that finds the blocks still there fails the cycle once */
	t_setup("light-gone-left", "[scenario]\ncycles = 3\non-failure = continue\n" GUEST DIMM512
		"[verify]\nlevel = light\n");
	fault("wait-blocks", 3, FAULT_ERRNO, ETIMEDOUT);
	t_run();
	TAP_EQ_U64(T.cycles->len, 3, "three cycles written, each once");
	is_str(verdict(1), "accounting-mismatch", "light: blocks still present after DEVICE_DELETED");
	is_str(verdict(2), "pass", "the next light cycle passes");
	t_teardown();
}

static void test_coverage(void)
{
	GString *missing = g_string_new(NULL);

	/* MHP_FAIL_NONE is "pass", the verdict of most cycles; MHP_FAIL_LEAK is
	 * never a cycle's verdict (a trend over the run finds it), so it counts
	 * when a case's summary.json has failures.leak (read_results()). */
	for (int c = 0; c < _MHP_FAIL_MAX; c++)
		if (!verdict_seen[c])
			g_string_append_printf(missing, " %s", mhp_fail_class_to_string(c));
	tap_ok(missing->len == 0, "every failure class is the verdict of a cycle in some case");
	if (missing->len)
		printf("#   never:%s\n", missing->str);
	g_string_truncate(missing, 0);
	/* MHP_PHASE_NONE counts too: progress reports it when a run is over */
	for (int ph = 0; ph < _MHP_PHASE_MAX; ph++)
		if (!phase_seen[ph])
			g_string_append_printf(missing, " %s", mhp_phase_to_string(ph));
	tap_ok(missing->len == 0, "every phase is begun in some case");
	if (missing->len)
		printf("#   never:%s\n", missing->str);
	g_string_free(missing, TRUE);
}

/* The differential's check in a cycle's checks_removed, or NULL. */
static struct json_object *removed_check(guint i, const char *name)
{
	struct json_object *arr = jobj(jobj(cyc(i), "verify"), "checks_removed");

	for (size_t k = 0; arr && k < json_object_array_length(arr); k++)
		if (strcmp(jstr(json_object_array_get_idx(arr, k), "name"), name) == 0)
			return json_object_array_get_idx(arr, k);
	return NULL;
}

static double trend_slope(const char *name)
{
	struct json_object *v;

	return json_object_object_get_ex(jobj(jobj(T.summary, "trends"), name), "slope", &v) ? json_object_get_double(v) : 0;
}

/*
 * Issue 11, mutant (b): hot-removed table pages freed without
 * pagetable_dtor() stay counted, 65 pages per 128M DIMM, 257 per 512M.
 * The differential fails cycle 1; the trends see the leak's slope, failed
 * cycles and concurrent removals included; a kernel that does not count
 * hot-added tables (6.12) passes with no differential.
 */
static void test_table_leak(void)
{
	static const struct { const char *size; gint64 pages; } sizes[] = { { "128M", 65 }, { "512M", 257 } };

	for (gsize i = 0; i < G_N_ELEMENTS(sizes); i++) {
		g_autofree char *name = g_strdup_printf("table-leak-%s", sizes[i].size);
		g_autofree char *ini = g_strdup_printf("[scenario]\ncycles = 1\n" GUEST "[dimm]\nsizes = %s\n", sizes[i].size);
		g_autofree char *want = NULL;

		t_setup(name, ini);
		T.table_model = T.tables_counted = T.leak_tables = TRUE;
		t_run();
		is_str(verdict(0), "accounting-mismatch", "leaked tables fail cycle 1");
		tap_ok(strstr(jstr(cyc(0), "detail"), "'pagetables-returned'") != NULL, "detail names the check: %s",
		       jstr(cyc(0), "detail"));
		struct json_object *c = removed_check(0, "nr_page_table_pages-returned");
		gint64 kept = jint(c, "expected", 0) - jint(c, "value", 0);
		tap_ok(kept >= sizes[i].pages - 6 && kept <= sizes[i].pages + 6,
		       "nr_page_table_pages fell %" G_GINT64_FORMAT " pages fewer than it rose (user noise: 3 per snapshot)",
		       kept);
		is_str(jstr(event("table-accounting"), "hotplug_page_tables"), "counted", "the finding, in events.jsonl");
		is_str(jstr(jobj(jobj(cyc(0), "verify"), "table_accounting"), "hotplug_page_tables"), "counted",
		       "and in the cycle that made it");
		t_teardown();
	}

	t_setup("table-leak-trend", "[scenario]\ncycles = 12\non-failure = continue\n" GUEST "[dimm]\nsizes = 128M\n");
	T.table_model = T.tables_counted = T.leak_tables = TRUE;
	t_run();
	TAP_EQ_U64(jint(T.summary, "failed_cycles", -1), 12, "every cycle of twelve fails");
	is_str(jstr(jobj(jobj(T.summary, "trends"), "nr_page_table_pages"), "verdict"), "leak", "trends.nr_page_table_pages");
	tap_ok(fabs(trend_slope("nr_page_table_pages") - 65) < 6.5, "slope %.2f pages per cycle, 65 leaked",
	       trend_slope("nr_page_table_pages"));
	tap_ok(fabs(trend_slope("PageTables") - 260) < 26, "PageTables slope %.2f kB per cycle, 260 leaked",
	       trend_slope("PageTables"));
	t_teardown();

	t_setup("table-leak-concurrent", "[scenario]\ncycles = 12\non-failure = continue\npattern = random\n" GUEST
		"[dimm]\nsizes = 128M; 512M\nconcurrent = 3\n");
	T.table_model = T.tables_counted = T.leak_tables = TRUE;
	t_run();
	TAP_EQ_U64(jint(T.summary, "failed_cycles", -1), 12, "concurrent: every cycle fails");
	for (guint i = 0; i < T.cycles->len; i++)
		if (!strstr(jstr(cyc(i), "detail"), "-returned'"))
			tap_ok(FALSE, "cycle %u: %s", i + 1, jstr(cyc(i), "detail"));
	TAP_EQ_U64(jint(jobj(jobj(T.summary, "trends"), "nr_page_table_pages"), "n", 0), 12,
		   "concurrent: every removal is a trend point");
	is_str(jstr(jobj(jobj(T.summary, "trends"), "nr_page_table_pages"), "verdict"), "leak", "concurrent: a leak");
	t_teardown();

	t_setup("table-counted-clean", "[scenario]\ncycles = 12\npattern = random\n" GUEST "[dimm]\nsizes = 128M; 256M; 512M; 1G\nconcurrent = 3\n");
	T.table_model = T.tables_counted = TRUE;
	t_run();
	TAP_EQ_U64(jint(T.summary, "failed_cycles", -1), 0, "a clean counting kernel, concurrent: no failure");
	guint applied = 0;
	for (guint i = 0; i < T.cycles->len; i++)
		applied += json_object_get_boolean(jobj(removed_check(i, "nr_page_table_pages-returned"), "pass"));
	TAP_EQ_U64(applied, 12, "the differential was applied and passed in every cycle, three DIMMs at once");
	is_str(jstr(jobj(jobj(T.summary, "trends"), "nr_page_table_pages"), "verdict"), "ok", "trend ok");
	t_teardown();

	t_setup("table-not-counted", "[scenario]\ncycles = 3\n" GUEST "[dimm]\nsizes = 128M\n");
	T.table_model = TRUE;
	t_run();
	TAP_EQ_U64(jint(T.summary, "failed_cycles", -1), 0, "6.12-like: every cycle passes");
	is_str(jstr(event("table-accounting"), "hotplug_page_tables"), "not-counted", "the finding: not counted");
	tap_ok(strstr(jstr(removed_check(2, "nr_page_table_pages-returned"), "skipped"), "does not count") != NULL,
	       "no differential: %s", jstr(removed_check(2, "nr_page_table_pages-returned"), "skipped"));
	t_teardown();
}

static void load_fixtures(void)
{
	static const char *const when[] = { "before", "plugged", "after" };
	struct json_object **snaps[] = { &snap_before, &snap_plugged, &snap_after };

	for (gsize i = 0; i < G_N_ELEMENTS(when); i++) {
		struct json_object *o = json_object_new_object(), *mi, *v;
		static const struct { const char *f; enum procfs_format fmt; const char *key; } kv[] = {
			{ "meminfo", PROCFS_MEMINFO, "meminfo" }, { "vmstat", PROCFS_VMSTAT, "vmstat" },
		};
		g_autofree char *pt = g_strdup_printf("%s/guest-7.3-512M/ptdump.%s.txt", fixtures, when[i]);
		struct ptdump_summary s;
		unsigned line;
		size_t len;
		char *buf = tap_slurp(pt, &len);

		if (ptdump_parse(buf, len, 4096, 0, &s, &line) != 0) {
			printf("Bail out! %s:%u does not parse\n", pt, line);
			exit(1);
		}
		json_object_object_add(o, "ptdump", ptdump_summary_to_json(&s));
		free(buf);
		for (gsize k = 0; k < G_N_ELEMENTS(kv); k++) {
			g_autofree char *p = g_strdup_printf("%s/guest-7.3-512M/%s.%s.txt", fixtures, kv[k].f, when[i]);
			struct procfs_kv *r = NULL;
			size_t n;

			buf = tap_slurp(p, &len);
			if (procfs_parse(buf, len, kv[k].fmt, &r, &n, &line) != 0) {
				printf("Bail out! %s:%u does not parse\n", p, line);
				exit(1);
			}
			json_object_object_add(o, kv[k].key, procfs_to_json(r, n));
			free(r);
			free(buf);
		}
		json_object_object_add(o, "pcp_kb", json_object_new_int(0));
		json_object_object_add(o, "elapsed_ns", json_object_new_int64(1000000));
		*snaps[i] = o;
		if (i == 0 && json_object_object_get_ex(o, "meminfo", &mi) && json_object_object_get_ex(mi, "MemTotal", &v))
			memtotal_before_kb = json_object_get_int64(v);
	}
}

int main(int argc, char **argv)
{
	gint64 t0 = g_get_monotonic_time();

	if (argc < 2) {
		printf("Bail out! usage: test-engine FIXTURES_DIR\n");
		return 1;
	}
	fixtures = argv[1];
	load_fixtures();
	test_pass();
	test_offline_false();
	test_qmp_error();
	test_add_not_seen();
	test_online_failed();
	test_offline_failed();
	test_guest_refused();
	test_lost_unplug();
	test_slot_stuck();
	test_accounting();
	test_agent_lost();
	test_agent_protocol();
	test_hostile_case();
	test_enospc();
	test_agent_floods();
	test_qemu_exited();
	test_kernel_failures();
	test_hang();
	test_stuck_task();
	test_policies();
	test_concurrent();
	test_random();
	test_boot();
	test_panic();
	test_stressors();
	test_agent_restart();
	test_json_sock();
	test_table_leak();
	test_light();
	test_query_unlisted();
	test_coverage();
	json_object_put(snap_before);
	json_object_put(snap_plugged);
	json_object_put(snap_after);
	printf("# %.3f s of real time\n", (g_get_monotonic_time() - t0) / 1e6);
	return tap_done();
}
