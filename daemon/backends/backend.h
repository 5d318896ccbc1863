/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * backend.h - what the cycle engine needs from a VM: start it, plug and
 * unplug DIMMs, report hotplug events. qemu/backend-qemu.c launches QEMU
 * itself; libvirt/ drives a libvirt domain behind the same operations. Each
 * variant's own entry points are in its header (qemu/backend-qemu.h,
 * libvirt/backend-libvirt.h), which only registry.c and the tests include.
 */
#ifndef MHP_BACKEND_H
#define MHP_BACKEND_H

#include <glib.h>
#include <json-c/json.h>

#include "agent-link.h"
#include "scenario.h"

typedef struct MhpBackend MhpBackend;

/*
 * The start of every guest's kernel command line; [guest] append follows,
 * so it can override any of it. loglevel=6: notices and worse reach the
 * console (the banner, every oops, BUG, WARNING, stall and panic line), the
 * per-hotplug pr_info lines (zonelists rebuilt, drop_caches) stay in the
 * guest's ring buffer, where dmesg and the agent's kmsg stream still read
 * them. They were 450 bytes of console.log a cycle, 35 MB an 8-hour soak,
 * and each byte is a trapped PL011 write under TCG.
 */
#define MHP_GUEST_CMDLINE "console=ttyAMA0 panic=-1 loglevel=6"

typedef struct {
	char id[32];     /* device id, "dimmN" */
	char memdev[32]; /* backend object id, "memN" */
	guint64 size;
	int slot;        /* -1: the machine picks */
	MhpMemdev backend;
	const char *backend_path;
} MhpDimmSpec;

typedef struct {
	char id[64];
	guint64 addr;
	guint64 size;
	int slot;
} MhpMemoryDevice;

typedef enum {
	MHP_HOTPLUG_OST,          /* ACPI_DEVICE_OST */
	MHP_HOTPLUG_DELETED,      /* DEVICE_DELETED */
	MHP_HOTPLUG_GUEST_ERROR,  /* DEVICE_UNPLUG_GUEST_ERROR / DEVICE_REMOVAL_FAILED */
} MhpHotplugEventType;

typedef struct {
	MhpHotplugEventType type;
	const char *device; /* NULL when the event names none (the trailing eject OST) */
	int slot;           /* -1 when unknown */
	int source;         /* OST: 1 insert, 3 eject */
	int status;         /* OST status */
} MhpHotplugEvent;

typedef void (*MhpBackendDoneFunc)(MhpBackend *b, const GError *error, gpointer user_data);
typedef void (*MhpBackendDevicesFunc)(MhpBackend *b, GArray *devices, const GError *error, gpointer user_data);

typedef struct {
	/* the guest runs (its agent may still be booting), or starting failed */
	void (*started)(MhpBackend *b, const GError *error, gpointer user_data);
	void (*hotplug)(MhpBackend *b, const MhpHotplugEvent *ev, gpointer user_data);
	/* any other machine event (GUEST_PANICKED, STOP, ...) */
	void (*event)(MhpBackend *b, const char *name, struct json_object *data, gpointer user_data);
	/* every monitor message, for events.jsonl */
	void (*log)(MhpBackend *b, const char *source, struct json_object *msg, gpointer user_data);
	void (*console_line)(MhpBackend *b, const char *line, gpointer user_data);
	/* the VM process is gone; @how is a description, e.g. "exited with status 1" */
	void (*exited)(MhpBackend *b, const char *how, gpointer user_data);
} MhpBackendCallbacks;

typedef struct {
	const char *name;
	void (*start)(MhpBackend *b);
	void (*plug)(MhpBackend *b, const MhpDimmSpec *d, MhpBackendDoneFunc cb, gpointer user_data);
	void (*unplug)(MhpBackend *b, const MhpDimmSpec *d, MhpBackendDoneFunc cb, gpointer user_data);
	void (*release)(MhpBackend *b, const MhpDimmSpec *d, MhpBackendDoneFunc cb, gpointer user_data);
	void (*query_devices)(MhpBackend *b, MhpBackendDevicesFunc cb, gpointer user_data);
	void (*pause)(MhpBackend *b, MhpBackendDoneFunc cb, gpointer user_data);
	void (*resume)(MhpBackend *b, MhpBackendDoneFunc cb, gpointer user_data);
	/* an ELF core of the guest's memory (for crash), written to @path */
	void (*dump_memory)(MhpBackend *b, const char *path, MhpBackendDoneFunc cb, gpointer user_data);
	/* quit the VM: politely, then by force after a deadline; exited follows */
	void (*stop)(MhpBackend *b);
	gboolean (*is_running)(MhpBackend *b);
	void (*free)(MhpBackend *b);
} MhpBackendOps;

typedef struct {
	const MhpScenario *scenario;
	const char *kernel;
	const char *initrd;
	const char *results_dir; /* console.log, qemu.log, qemu.pid go here */
	const char *gdb;         /* "tcp::PORT" for -gdb, or NULL */
	const char *connect;     /* libvirt: the URI (NULL: qemu:///system) */
	const char *domain;      /* libvirt: an existing domain, or the transient one's name (NULL: ours) */
} MhpBackendConfig;

struct MhpBackend {
	const MhpBackendOps *ops;
	GMainContext *ctx;
	MhpBackendConfig cfg; /* a copy: its strings are the backend's own */
	MhpBackendCallbacks cb;
	gpointer user_data;
	MhpAgentLink *agent; /* connected by the backend before the guest runs */
	char *identity;      /* e.g. "QEMU 7.2.22", after start */
	GString *console_line; /* the console line being read */
};

/* For backends: set up and tear down the shared part; init copies @cfg. */
void mhp_backend_init(MhpBackend *b, const MhpBackendOps *ops, GMainContext *ctx, const MhpBackendConfig *cfg,
		      MhpAgentLink *agent, const MhpBackendCallbacks *cb, gpointer user_data);
void mhp_backend_clear(MhpBackend *b);
/* For backends: destroy and drop *@src, if any, and set it to NULL. */
void mhp_backend_source_clear(GSource **src);
/* Console bytes in, cb.console_line per line out (capped, control bytes as '?'). */
void mhp_backend_console_feed(MhpBackend *b, const char *buf, gsize n);
void mhp_backend_console_flush(MhpBackend *b);
/* ACPI_DEVICE_OST's data as an event; its device string is borrowed from @data. */
gboolean mhp_hotplug_event_from_ost(struct json_object *data, MhpHotplugEvent *ret);

/* query-memory-devices' return array as MhpMemoryDevice entries. */
GArray *mhp_memory_devices_from_qmp(struct json_object *ret);

/*
 * The registry: every backend is one MhpBackendClass, found by name. The
 * CLI, the daemon and the engine go through it, never through a name
 * compare of their own.
 */
typedef struct MhpBackendClass {
	const char *name;
	MhpBackend *(*new)(GMainContext *ctx, const MhpBackendConfig *cfg, MhpAgentLink *agent,
			   const MhpBackendCallbacks *cb, gpointer user_data);
	/*
	 * Check and complete the backend's options in place (@connect may get
	 * a default); NULL: the backend takes neither, and giving one is an
	 * error.
	 */
	gboolean (*parse_options)(char **connect, char **domain, GError **error);
	/* A run in @run_dir whose owner died: stop what it left running. NULL: nothing to do. */
	void (*recover)(const char *run_dir);
	/*
	 * mhpstress doctor: whether the backend's service answers at @connect
	 * (NULL: its default) within @timeout_ms; @ret_detail says what
	 * answered ("libvirt 9.0.0, QEMU 7.2.0 at qemu:///system"). NULL:
	 * nothing to reach.
	 */
	gboolean (*probe)(const char *connect, guint timeout_ms, char **ret_detail, GError **error);
} MhpBackendClass;

/* NULL for an unknown name, or a backend this build left out (no libvirt). */
const MhpBackendClass *mhp_backend_class_find(const char *name);
/* "qemu, libvirt": the names mhp_backend_class_find() knows, for messages. */
const char *mhp_backend_class_names(void);
/*
 * Look @name up (NULL: "qemu") and check @connect/@domain with its
 * parse_options. Error messages name the option: "--backend 'x': ...".
 */
const MhpBackendClass *mhp_backend_options_check(const char *name, char **connect, char **domain,
						  GError **error);
/* A libvirt URI that names a host ("qemu+ssh://h/system"), not this one. */
gboolean mhp_backend_uri_is_remote(const char *uri);

static inline MhpBackend *mhp_backend_new(const MhpBackendClass *cls, GMainContext *ctx, const MhpBackendConfig *cfg,
					  MhpAgentLink *agent, const MhpBackendCallbacks *cb, gpointer user_data)
{
	return cls->new(ctx, cfg, agent, cb, user_data);
}

static inline void mhp_backend_free(MhpBackend *b)
{
	if (b)
		b->ops->free(b);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MhpBackend, mhp_backend_free)

#endif
