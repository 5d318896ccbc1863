// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * control-proto.c - validate one control request: the shared envelope
 * (common/request.c), then each command's arguments, strictly: unknown
 * arguments, wrong types and out-of-range values are errors naming the key.
 */
#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

#include "control-proto.h"
#include "request.h"

typedef struct {
	const char *key;
	enum json_type type;
	gboolean required;
	gboolean or_digits; /* an integer may come as a string of decimal digits too */
} Arg;

static const struct {
	const char *name;
	MhpCtlCmd cmd;
	Arg args[12];
} commands[] = {
	{ "start", MHP_CTL_START, { { "scenario", json_type_string, TRUE }, { "scenario_name", json_type_string, FALSE },
				    { "kernel", json_type_string, TRUE }, { "initrd", json_type_string, TRUE },
				    { "cycles", json_type_int, FALSE }, { "duration_ms", json_type_int, FALSE },
				    { "seed", json_type_int, FALSE, TRUE }, { "backend", json_type_string, FALSE },
				    { "connect", json_type_string, FALSE }, { "domain", json_type_string, FALSE } } },
	{ "list", MHP_CTL_LIST, { { NULL } } },
	{ "status", MHP_CTL_STATUS, { { "run", json_type_string, TRUE } } },
	{ "stop", MHP_CTL_STOP, { { "run", json_type_string, TRUE } } },
	{ "follow", MHP_CTL_FOLLOW, { { "run", json_type_string, TRUE } } },
	{ "results", MHP_CTL_RESULTS, { { "run", json_type_string, TRUE } } },
};

char *mhp_ctl_default_socket(void)
{
	if (geteuid() == 0)
		return g_strdup("/run/mhpstress/control");
	return g_build_filename(g_get_user_runtime_dir(), "mhpstress", "control", NULL);
}

gboolean mhp_ctl_valid_run_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > MHP_CTL_MAX_RUN_ID || id[0] == '.')
		return FALSE;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(id[i]) && id[i] != '.' && id[i] != '_' && id[i] != '-')
			return FALSE;
	return TRUE;
}

static gboolean fail(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean fail(GError **error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (error)
		*error = g_error_new_valist(G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, fmt, ap);
	va_end(ap);
	return FALSE;
}

/* Decimal digits only, 0 to 2^64-1: no sign, blank, "0x" or trailing text
 * (core's mhp_parse_u64(), which this layer does not link). */
static gboolean parse_u64(const char *text, guint64 *ret)
{
	guint64 v;
	char *end;

	if (!g_ascii_isdigit(text[0]))
		return FALSE;
	errno = 0;
	v = g_ascii_strtoull(text, &end, 10);
	if (errno || *end)
		return FALSE;
	*ret = v;
	return TRUE;
}

static const char *str_arg(struct json_object *args, const char *key)
{
	struct json_object *v;

	return args && json_object_object_get_ex(args, key, &v) ? json_object_get_string(v) : NULL;
}

gboolean mhp_ctl_parse(const char *line, MhpCtlRequest *ret, GError **error)
{
	struct request req;
	const char *msg;
	char buf[128];
	gsize c;
	struct json_object *v;

	*ret = (MhpCtlRequest){ .cycles = -1, .duration_ms = -1 };
	if (request_parse(line, &req, &msg, buf, sizeof(buf)) < 0) {
		ret->root = req.root;
		ret->id = req.id;
		return fail(error, "bad request: %s", msg);
	}
	ret->root = req.root;
	ret->id = req.id;
	for (c = 0; c < G_N_ELEMENTS(commands); c++)
		if (strcmp(commands[c].name, req.cmd) == 0)
			break;
	if (c == G_N_ELEMENTS(commands))
		return fail(error, "unknown command '%.64s'; known: start, list, status, stop, follow, results", req.cmd);
	ret->cmd = commands[c].cmd;
	if (req.args) {
		json_object_object_foreach(req.args, key, val) {
			const Arg *a = commands[c].args;

			while (a->key && strcmp(a->key, key))
				a++;
			if (!a->key)
				return fail(error, "%s: unknown argument '%.64s'", req.cmd, key);
			if (!json_object_is_type(val, a->type) &&
			    !(a->or_digits && json_object_is_type(val, json_type_string)))
				return fail(error, "%s: argument '%s' must be %s", req.cmd, key,
					    a->or_digits ? "an integer or a string of decimal digits"
					    : a->type == json_type_int ? "an integer" : "a string");
			if (a->type == json_type_string && json_object_get_string_len(val) >
				    (int)(strcmp(key, "scenario") ? MHP_CTL_MAX_STRING : MHP_CTL_MAX_SCENARIO))
				return fail(error, "%s: argument '%s' is too long", req.cmd, key);
		}
	}
	for (const Arg *a = commands[c].args; a->key; a++)
		if (a->required && !(req.args && json_object_object_get_ex(req.args, a->key, NULL)))
			return fail(error, "%s: missing argument '%s'", req.cmd, a->key);
	ret->run = str_arg(req.args, "run");
	if (ret->run && !mhp_ctl_valid_run_id(ret->run))
		return fail(error, "%s: '%.64s' is not a run id", req.cmd, ret->run);
	if (ret->cmd != MHP_CTL_START)
		return TRUE;
	ret->scenario = str_arg(req.args, "scenario");
	ret->scenario_name = str_arg(req.args, "scenario_name");
	ret->kernel = str_arg(req.args, "kernel");
	ret->initrd = str_arg(req.args, "initrd");
	/* which backend, and whether it takes connect and domain, is the registry's to say (the daemon asks it) */
	ret->backend = str_arg(req.args, "backend");
	ret->connect = str_arg(req.args, "connect");
	ret->domain = str_arg(req.args, "domain");
	if (ret->scenario_name && (strchr(ret->scenario_name, '/') || !mhp_ctl_valid_run_id(ret->scenario_name)))
		return fail(error, "start: 'scenario_name' must be a plain file name");
	if (!g_path_is_absolute(ret->kernel) || !g_path_is_absolute(ret->initrd))
		return fail(error, "start: 'kernel' and 'initrd' must be absolute paths");
	if (json_object_object_get_ex(req.args, "cycles", &v)) {
		ret->cycles = json_object_get_int64(v);
		if (ret->cycles < 1 || ret->cycles > 100000000)
			return fail(error, "start: 'cycles' must be 1 to 100000000");
	}
	if (json_object_object_get_ex(req.args, "duration_ms", &v)) {
		ret->duration_ms = json_object_get_int64(v);
		if (ret->duration_ms < 1 || ret->duration_ms > 30ll * 86400 * 1000)
			return fail(error, "start: 'duration_ms' must be 1 ms to 30 days");
	}
	if (json_object_object_get_ex(req.args, "seed", &v)) {
		/* a string as run.json has it: clients whose numbers are doubles
		 * (jq, JavaScript) round integers above 2^53 */
		if (json_object_is_type(v, json_type_string)) {
			if (!parse_u64(json_object_get_string(v), &ret->seed))
				return fail(error, "start: 'seed' \"%.32s\" must be decimal digits, 0 to 18446744073709551615",
					    json_object_get_string(v));
		} else {
			/* json-c keeps integers above INT64_MAX as unsigned: the whole 64-bit range is a seed */
			if (json_object_get_int64(v) < 0)
				return fail(error, "start: 'seed' must be 0 to 18446744073709551615");
			ret->seed = json_object_get_uint64(v);
		}
		ret->have_seed = TRUE;
	}
	return TRUE;
}

void mhp_ctl_request_clear(MhpCtlRequest *r)
{
	json_object_put(r->root);
	*r = (MhpCtlRequest){ 0 };
}
