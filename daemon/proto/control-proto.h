/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * control-proto.h - mhpstressd's control protocol: validate one request
 * (pure; fuzzed). Described in docs/control-protocol.md.
 */
#ifndef MHP_CONTROL_PROTO_H
#define MHP_CONTROL_PROTO_H

#include <glib.h>
#include <json-c/json.h>

#define MHP_CTL_MAX_SCENARIO (1u << 20)
#define MHP_CTL_MAX_STRING 4096
#define MHP_CTL_MAX_RUN_ID 128

typedef enum {
	MHP_CTL_START,
	MHP_CTL_LIST,
	MHP_CTL_STATUS,
	MHP_CTL_STOP,
	MHP_CTL_FOLLOW,
	MHP_CTL_RESULTS,
} MhpCtlCmd;

/* Every pointer borrows from @root. */
typedef struct {
	struct json_object *root;
	struct json_object *id;   /* the request's id, NULL when unreadable */
	MhpCtlCmd cmd;
	const char *run;          /* status, stop, follow, results */
	const char *scenario;     /* start: the scenario's text */
	const char *scenario_name;/* start: its file name, for messages */
	const char *kernel;       /* start: absolute paths */
	const char *initrd;
	const char *backend;      /* start: a backend registry name; NULL (absent) means "qemu" */
	const char *connect;      /* start: the backend's URI (libvirt), or NULL */
	const char *domain;       /* start: a libvirt domain, or NULL */
	gint64 cycles;            /* -1 when absent */
	gint64 duration_ms;       /* -1 when absent */
	gboolean have_seed;
	guint64 seed;             /* 0 to 2^64-1 */
} MhpCtlRequest;

/**
 * mhp_ctl_parse() - parse and validate one control request line.
 * @line: NUL-terminated, newline stripped
 * @ret: the request; on failure ret->id is set when it could be read
 * @error: what is wrong, naming the argument
 *
 * Return: TRUE when valid. Free with mhp_ctl_request_clear() either way.
 */
gboolean mhp_ctl_parse(const char *line, MhpCtlRequest *ret, GError **error);
void mhp_ctl_request_clear(MhpCtlRequest *r);

/* A run id is [A-Za-z0-9._-], 1 to 128 characters, not starting with '.'. */
gboolean mhp_ctl_valid_run_id(const char *id);

/**
 * mhp_ctl_default_socket() - where the daemon listens and the client
 * connects when no --socket is given.
 *
 * Return: /run/mhpstress/control for root, else
 * $XDG_RUNTIME_DIR/mhpstress/control; free with g_free().
 */
char *mhp_ctl_default_socket(void);

#endif
