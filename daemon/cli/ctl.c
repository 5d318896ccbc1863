// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctl.c - mhpstressd's client: start, list, status, stop, follow and
 * results over the control socket (docs/control-protocol.md). The CLI has
 * nothing else to do meanwhile, so it reads the socket blocking.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gio.h>
#include <json-c/json.h>

#include "cli.h"
#include "control-proto.h"
#include "jsonstream.h"

#define CTL_MAX_MSG (64u << 20)
#define CTL_MAX_DEPTH 32

typedef struct {
	int fd;
	struct json_stream js;
	GQueue msgs; /* parsed, not yet consumed */
	guint64 next_id;
} Ctl;

static int ctl_collect(struct json_object *obj, void *userdata)
{
	g_queue_push_tail(&((Ctl *)userdata)->msgs, obj);
	return 0;
}

static gboolean ctl_connect(Ctl *c, const char *path, GError **error)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG, "socket path '%s' is too long", path);
		return FALSE;
	}
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot reach mhpstressd at '%s': %s%s", path,
			    g_strerror(errno), errno == ENOENT || errno == ECONNREFUSED ? " (is mhpstressd running?)" : "");
		return FALSE;
	}
	json_stream_init(&c->js, CTL_MAX_MSG, CTL_MAX_DEPTH);
	return TRUE;
}

static void ctl_close(Ctl *c)
{
	if (c->fd < 0)
		return;
	while (!g_queue_is_empty(&c->msgs))
		json_object_put(g_queue_pop_head(&c->msgs));
	json_stream_free(&c->js);
	close(c->fd);
	c->fd = -1;
}

/* The next message from the daemon; blocks. */
static struct json_object *ctl_next(Ctl *c, GError **error)
{
	char buf[65536];

	while (g_queue_is_empty(&c->msgs)) {
		ssize_t n = read(c->fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "mhpstressd closed the connection");
			return NULL;
		}
		if (json_stream_feed(&c->js, buf, (size_t)n, ctl_collect, c) < 0) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "bad message from mhpstressd: %s", c->js.error);
			return NULL;
		}
	}
	return g_queue_pop_head(&c->msgs);
}

/* Send a request (@args taken); return its "ok" object (owned), or NULL with the daemon's error. */
static struct json_object *ctl_call(Ctl *c, const char *cmd, struct json_object *args, GError **error)
{
	struct json_object *req = json_object_new_object(), *m, *v, *ok;
	gint64 id = (gint64)++c->next_id;
	const char *text;

	json_object_object_add(req, "id", json_object_new_int64(id));
	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	if (args)
		json_object_object_add(req, "args", args);
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	g_autofree char *line = g_strconcat(text, "\n", NULL);
	json_object_put(req);
	/* no SIGPIPE: a daemon that refused us has said why; read it below */
	if (send(c->fd, line, strlen(line), MSG_NOSIGNAL) < 0 && errno != EPIPE && errno != ECONNRESET) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "write to mhpstressd: %s", g_strerror(errno));
		return NULL;
	}
	for (;;) {
		if (!(m = ctl_next(c, error)))
			return NULL;
		if (json_object_object_get_ex(m, "error", &v)) {
			struct json_object *msg = NULL;
			json_object_object_get_ex(v, "msg", &msg);
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", msg ? json_object_get_string(msg) : "error");
			json_object_put(m);
			return NULL;
		}
		if (json_object_object_get_ex(m, "id", &v) && json_object_get_int64(v) == id &&
		    json_object_object_get_ex(m, "ok", &ok)) {
			ok = json_object_get(ok);
			json_object_put(m);
			return ok;
		}
		json_object_put(m);
	}
}

/*
 * Connect and send @verb with @args (taken). On failure the error is
 * printed and @fail_code returned through @ret_rc; @c is closed.
 */
static struct json_object *ctl_request(const CliGlobals *g, Ctl *c, const char *verb, struct json_object *args,
				       int fail_code, int *ret_rc)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = g->socket ? g_strdup(g->socket) : mhp_ctl_default_socket();
	struct json_object *ok;

	if (!ctl_connect(c, path, &error)) {
		fprintf(stderr, "mhpstress: %s\n", error->message);
		json_object_put(args);
		*ret_rc = CLI_EXIT_USAGE;
		return NULL;
	}
	ok = ctl_call(c, verb, args, &error);
	if (!ok) {
		fprintf(stderr, "mhpstress %s: %s\n", verb, error->message);
		ctl_close(c);
		*ret_rc = fail_code;
	}
	return ok;
}

/* --json, which every control verb takes, besides what @oc has already. */
static gboolean ctl_parse(const char *verb, gboolean *json, GOptionContext *oc, int *argc, char ***argv)
{
	GOptionEntry common[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, json, "machine-readable output", NULL },
		{ NULL },
	};

	g_option_context_add_main_entries(oc, common, NULL);
	return cli_option_parse(oc, verb, argc, argv);
}

static void print_json(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* A member as a string, "" when absent. */
static const char *member(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static gint64 member_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static void print_run_line(struct json_object *r)
{
	struct json_object *p = NULL;

	json_object_object_get_ex(r, "progress", &p);
	printf("%-40s %-11s %-16s %7" G_GINT64_FORMAT " %8" G_GINT64_FORMAT "  %s\n", member(r, "run"),
	       member(r, "state"), member(r, "scenario"), member_int(p, "cycle"), member_int(p, "failures"),
	       member(r, "results"));
}

/*
 * The request for start: the scenario's text, the guest and the run's
 * options. NULL and *@ret_rc on failure: a guest that cannot be had (the
 * kernel or initramfs missing, a build that failed) is 125, as for run.
 */
static struct json_object *start_args(const char *path, CliRunArgs *a, int *ret_rc)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MhpScenario) s = NULL;
	g_autofree char *text = NULL, *base = NULL;
	struct json_object *args;

	/* check here too: errors name the file as the user wrote it */
	s = mhp_scenario_load(path, &error);
	if (!s || !g_file_get_contents(path, &text, NULL, &error)) {
		fprintf(stderr, "mhpstress: %s\n", error->message);
		return NULL;
	}
	*ret_rc = CLI_EXIT_USAGE;
	if (!cli_resolve_guest(&a->kernel, &a->initrd, s, &error)) {
		fprintf(stderr, "mhpstress: cannot get a guest: %s\n", error->message);
		*ret_rc = cli_resolve_guest_exit(error);
		return NULL;
	}
	base = g_path_get_basename(path);
	args = json_object_new_object();
	json_object_object_add(args, "scenario", json_object_new_string(text));
	json_object_object_add(args, "scenario_name", json_object_new_string(base));
	json_object_object_add(args, "kernel", json_object_new_string(a->kernel));
	json_object_object_add(args, "initrd", json_object_new_string(a->initrd));
	json_object_object_add(args, "backend", json_object_new_string(a->backend_class->name));
	if (a->connect)
		json_object_object_add(args, "connect", json_object_new_string(a->connect));
	if (a->domain)
		json_object_object_add(args, "domain", json_object_new_string(a->domain));
	if (a->cycles >= 0)
		json_object_object_add(args, "cycles", json_object_new_int64(a->cycles));
	if (a->duration_ms > 0)
		json_object_object_add(args, "duration_ms", json_object_new_int64(a->duration_ms));
	if (a->have_seed)
		json_object_object_add(args, "seed", json_object_new_uint64(a->seed_value));
	return args;
}

int verb_ctl_start(int argc, char **argv, void *userdata)
{
	g_auto(CliRunArgs) a = CLI_RUN_ARGS_INIT;
	g_autoptr(GOptionContext) oc = g_option_context_new("SCENARIO");
	gboolean json = FALSE;
	struct json_object *args, *ok;
	Ctl c = { .fd = -1 };
	int rc = CLI_EXIT_PASS;

	cli_run_args_add_entries(oc, &a);
	if (!ctl_parse("start", &json, oc, &argc, &argv))
		return CLI_EXIT_USAGE;
	if (argc != 2)
		return cli_usage(stderr);
	if (!cli_run_args_check(&a, "start", FALSE))
		return CLI_EXIT_USAGE;
	args = start_args(argv[1], &a, &rc);
	if (!args)
		return rc;
	ok = ctl_request(userdata, &c, "start", args, CLI_EXIT_USAGE, &rc);
	if (!ok)
		return rc;
	if (json)
		print_json(ok);
	else
		printf("%s\n", member(ok, "run"));
	json_object_put(ok);
	ctl_close(&c);
	return rc;
}

int verb_ctl_list(int argc, char **argv, void *userdata)
{
	g_autoptr(GOptionContext) oc = g_option_context_new(NULL);
	gboolean json = FALSE;
	struct json_object *ok, *runs;
	Ctl c = { .fd = -1 };
	int rc = CLI_EXIT_PASS;

	if (!ctl_parse("list", &json, oc, &argc, &argv))
		return CLI_EXIT_USAGE;
	if (argc != 1)
		return cli_usage(stderr);
	ok = ctl_request(userdata, &c, "list", NULL, CLI_EXIT_USAGE, &rc);
	if (!ok)
		return rc;
	if (json) {
		print_json(ok);
	} else {
		printf("%-40s %-11s %-16s %7s %8s  %s\n", "RUN", "STATE", "SCENARIO", "CYCLES", "FAILURES", "RESULTS");
		if (json_object_object_get_ex(ok, "runs", &runs))
			for (size_t i = 0; i < json_object_array_length(runs); i++)
				print_run_line(json_object_array_get_idx(runs, i));
	}
	json_object_put(ok);
	ctl_close(&c);
	return rc;
}

/*
 * Parse VERB RUN [--json] and send it. A daemon's refusal exits 1 for
 * status and stop (the run may just be unknown), 2 otherwise.
 */
static struct json_object *ctl_run_request(const char *verb, int argc, char **argv, const CliGlobals *g, Ctl *c,
					   gboolean *json, int *ret_rc)
{
	g_autoptr(GOptionContext) oc = g_option_context_new("RUN");
	struct json_object *args;
	gboolean refusal_is_failure = !strcmp(verb, "status") || !strcmp(verb, "stop");

	*ret_rc = CLI_EXIT_USAGE;
	if (!ctl_parse(verb, json, oc, &argc, &argv))
		return NULL;
	if (argc != 2) {
		*ret_rc = cli_usage(stderr);
		return NULL;
	}
	args = json_object_new_object();
	json_object_object_add(args, "run", json_object_new_string(argv[1]));
	return ctl_request(g, c, verb, args, refusal_is_failure ? CLI_EXIT_FAILURES : CLI_EXIT_USAGE, ret_rc);
}

int verb_ctl_run(int argc, char **argv, void *userdata)
{
	const char *verb = argv[0];
	gboolean json = FALSE;
	Ctl c = { .fd = -1 };
	int rc;
	struct json_object *ok = ctl_run_request(verb, argc, argv, userdata, &c, &json, &rc);

	if (!ok)
		return rc;
	if (json)
		print_json(ok);
	else if (!strcmp(verb, "results"))
		printf("%s\n", member(ok, "results"));
	else
		print_run_line(ok);
	json_object_put(ok);
	ctl_close(&c);
	return CLI_EXIT_PASS;
}

/* One follow event as a line: "progress cycle 3/12 online failures 0". */
static void print_event(const char *event, struct json_object *p)
{
	printf("%s cycle %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " %s failures %" G_GINT64_FORMAT "\n", event,
	       member_int(p, "cycle"), member_int(p, "cycles"), member(p, "phase"), member_int(p, "failures"));
}

int verb_ctl_follow(int argc, char **argv, void *userdata)
{
	g_autoptr(GError) error = NULL;
	gboolean json = FALSE;
	Ctl c = { .fd = -1 };
	int rc;
	struct json_object *ok = ctl_run_request("follow", argc, argv, userdata, &c, &json, &rc);

	if (!ok)
		return rc;
	json_object_put(ok);
	/* progress until the run ends; a killed follower changes nothing for the run */
	for (;;) {
		struct json_object *m = ctl_next(&c, &error), *ev, *p;

		if (!m) {
			fprintf(stderr, "mhpstress follow: %s\n", error->message);
			rc = CLI_EXIT_USAGE;
			break;
		}
		if (!json_object_object_get_ex(m, "event", &ev)) {
			json_object_put(m);
			continue;
		}
		if (json)
			printf("%s\n", json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN));
		else if (json_object_object_get_ex(m, "progress", &p))
			print_event(json_object_get_string(ev), p);
		fflush(stdout);
		if (!g_strcmp0(json_object_get_string(ev), "finished")) {
			rc = (int)member_int(m, "exit_code");
			if (!json)
				printf("%s\n", member(m, "state"));
			json_object_put(m);
			break;
		}
		json_object_put(m);
	}
	ctl_close(&c);
	return rc;
}
