// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hostile.c - the test-only hostile mode: the agent breaks the protocol on
 * purpose, so the host's defences can be tested against a real guest.
 *
 * DOC: Theory of Operation
 *
 * Only an agent started with --hostile has it (the guest's init passes the
 * kernel command line's mhpstress.agent_args=--hostile). Then
 * inject {"kind":"hostile","case":NAME} arms one case from the table below;
 * --hostile=NAME arms one from the start and for good (for hello, which a
 * booting host may send more than once). A case names the
 * request it spoils: the next request of that name is marked, and when its
 * reply is due, the case writes what it likes in its place: a reply of the
 * wrong shape, a reply with the wrong id, or raw bytes (garbage, floods,
 * storms, a 64 MiB line) before the real reply. One request, once; then the
 * agent is well-behaved again.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "cleanup.h"
#include "hostile.h"

#define LINE_64MIB (64u << 20)

struct hostile_case {
	const char *cmd; /* the request whose reply it spoils */
	/* @ok: the real reply (owned by the caller), NULL for an error reply */
	void (*act)(struct agent *a, int64_t id, struct json_object *ok, const struct hostile_case *c);
	const char *text; /* for act_ok_text, act_before */
	unsigned count;   /* for act_before: how many times */
};

static void rawf(struct agent *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rawf(struct agent *a, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		channel_send_raw(a, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* The real reply, as channel_reply_ok would have sent it. */
static void real_reply(struct agent *a, int64_t id, struct json_object *ok)
{
	_cleanup_json_ struct json_object *msg = json_object_new_object();

	json_object_object_add(msg, "id", json_object_new_int64(id));
	json_object_object_add(msg, "ok", ok ? json_object_get(ok) : json_object_new_object());
	channel_send(a, msg, false);
}

/* "ok" replaced by c->text */
static void act_ok_text(struct agent *a, int64_t id, struct json_object *ok, const struct hostile_case *c)
{
	rawf(a, "{\"id\":%lld,\"ok\":%s}\n", (long long)id, c->text);
}

/* the whole reply line is c->text, with %lld for the id */
static void act_line(struct agent *a, int64_t id, struct json_object *ok, const struct hostile_case *c)
{
	char buf[512];

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(buf, sizeof(buf), c->text, (long long)id);
#pragma GCC diagnostic pop
	rawf(a, "%s\n", buf);
}

/* c->text, c->count times, then the real reply */
static void act_before(struct agent *a, int64_t id, struct json_object *ok, const struct hostile_case *c)
{
	size_t n = strlen(c->text);

	for (unsigned i = 0; i < c->count; i++)
		channel_send_raw(a, c->text, n);
	real_reply(a, id, ok);
}

static void act_duplicate(struct agent *a, int64_t id, struct json_object *ok, const struct hostile_case *c)
{
	real_reply(a, id, ok);
	real_reply(a, id, ok);
}

/* Set @key of every object in the real reply's array @arr to @val (owned). */
static void mutate_each(struct json_object *ok, const char *arr, const char *key, struct json_object *val)
{
	struct json_object *v;

	if (ok && json_object_object_get_ex(ok, arr, &v) && json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++)
			json_object_object_add(json_object_array_get_idx(v, i), key, json_object_get(val));
	json_object_put(val);
}

static void act_state_null(struct agent *a, int64_t id, struct json_object *ok, const struct hostile_case *c)
{
	mutate_each(ok, "blocks", "state", NULL);
	real_reply(a, id, ok);
}

static void act_index_string(struct agent *a, int64_t id, struct json_object *ok, const struct hostile_case *c)
{
	mutate_each(ok, "blocks", "index", json_object_new_string("32"));
	real_reply(a, id, ok);
}

/* the real snapshot with one key replaced: c->text is "key=JSON" or "group.key=JSON" */
static void act_snapshot_key(struct agent *a, int64_t id, struct json_object *ok, const struct hostile_case *c)
{
	const char *eq = strchr(c->text, '=');
	char path[64], *key = path, *dot;
	struct json_object *where = ok;

	snprintf(path, sizeof(path), "%.*s", (int)(eq - c->text), c->text);
	dot = strchr(path, '.');
	if (dot) {
		*dot = '\0';
		key = dot + 1;
		if (!ok || !json_object_object_get_ex(ok, path, &where))
			where = NULL;
	}
	if (json_object_is_type(where, json_type_object))
		json_object_object_add(where, key, json_tokener_parse(eq + 1));
	real_reply(a, id, ok);
}

/* {"blocks":[0,0,...]}: a million entries, about 2 MB */
static void act_million(struct agent *a, int64_t id, struct json_object *ok, const struct hostile_case *c)
{
	static const char chunk[] = "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"; /* 32 */

	rawf(a, "{\"id\":%lld,\"ok\":{\"blocks\":[", (long long)id);
	for (unsigned i = 0; i < 1000000 / 32; i++)
		channel_send_raw(a, chunk, sizeof(chunk) - 1);
	rawf(a, "0]}}\n");
}

/* nested 64 deep: past the host's limit of 16, small enough to come in one read */
static void act_deep(struct agent *a, int64_t id, struct json_object *ok, const struct hostile_case *c)
{
	char buf[256];
	size_t n = 0;

	n += (size_t)snprintf(buf, sizeof(buf), "{\"event\":\"deep\",\"x\":");
	for (int i = 0; i < 64; i++)
		buf[n++] = '[';
	for (int i = 0; i < 64; i++)
		buf[n++] = ']';
	buf[n++] = '}';
	buf[n++] = '\n';
	channel_send_raw(a, buf, n);
	real_reply(a, id, ok);
}

/*
 * One line of exactly 64 MiB before the newline, past the host's limit: an
 * event whose string never closes. Whatever the host reads after its limit
 * is a newline and the real reply, so a reconnected host is not fed the
 * middle of the line.
 */
static void act_64mib(struct agent *a, int64_t id, struct json_object *ok, const struct hostile_case *c)
{
	static const char head[] = "{\"event\":\"hostile\",\"pad\":\"";
	_cleanup_free_ char *pad = malloc(1u << 20);
	size_t left = LINE_64MIB - (sizeof(head) - 1);

	if (!pad) {
		real_reply(a, id, ok);
		return;
	}
	memset(pad, 'a', 1u << 20);
	channel_send_raw(a, head, sizeof(head) - 1);
	while (left) {
		size_t n = left < (1u << 20) ? left : (1u << 20);

		channel_send_raw(a, pad, n);
		left -= n;
	}
	channel_send_raw(a, "\n", 1);
	real_reply(a, id, ok);
}

/* plain kernel log records, no seq (so the host's dedup of real ones is untouched) */
static void act_kmsg_storm(struct agent *a, int64_t id, struct json_object *ok, const struct hostile_case *c)
{
	for (unsigned i = 0; i < c->count; i++)
		rawf(a, "{\"event\":\"kmsg\",\"ts_ns\":%u,\"level\":6,\"ts_us\":%u,"
		     "\"msg\":\"mhpstress hostile: kmsg storm record %u\",\"match\":null}\n", i, i, i);
	real_reply(a, id, ok);
}

/*
 * The cases. docs/agent-protocol.md lists them, with the class the host
 * gives the cycle; tests/scenarios/hostile/hostile.ini runs each.
 */
static const struct hostile_case cases[_HOSTILE_MAX] = {
	/* replies of the wrong shape */
	[HOSTILE_BLOCKS_OBJECT] = { "blocks", act_ok_text, "{\"blocks\":{}}", 0 },
	[HOSTILE_BLOCK_STATE_NULL] = { "blocks", act_state_null, NULL, 0 },
	[HOSTILE_BLOCKS_MISSING] = { "blocks", act_ok_text, "{}", 0 },
	[HOSTILE_BLOCKS_MILLION] = { "blocks", act_million, NULL, 0 },
	[HOSTILE_INDEX_STRING] = { "blocks", act_index_string, NULL, 0 },
	[HOSTILE_PTDUMP_SECTIONS_NUMBER] = { "snapshot", act_snapshot_key, "ptdump={\"sections\":5}", 0 },
	[HOSTILE_MEMINFO_ARRAY] = { "snapshot", act_snapshot_key, "meminfo=[1,2,3]", 0 },
	[HOSTILE_MEMINFO_NULL] = { "snapshot", act_snapshot_key, "meminfo=null", 0 },
	[HOSTILE_MEMFREE_1E308] = { "snapshot", act_snapshot_key, "meminfo.MemFree=1e308", 0 },
	[HOSTILE_PCP_NEGATIVE] = { "snapshot", act_snapshot_key, "pcp_kb=-1", 0 },
	[HOSTILE_RESULTS_STRING] = { "online", act_ok_text, "{\"results\":\"all fine\"}", 0 },
	[HOSTILE_RESULTS_NULL] = { "online", act_ok_text, "{\"results\":null,\"failed\":0}", 0 },
	[HOSTILE_ERRNO_2E63] = { "online", act_ok_text, "{\"results\":[{\"block\":0,\"errno\":9223372036854775808}]}", 0 },
	[HOSTILE_ERRNO_1E308] = { "online", act_ok_text, "{\"results\":[{\"block\":0,\"errno\":1e308}]}", 0 },
	[HOSTILE_BLOCK_NEGATIVE] = { "online", act_ok_text, "{\"results\":[{\"block\":-1,\"errno\":0}]}", 0 },
	[HOSTILE_OK_NUMBER] = { "online", act_line, "{\"id\":%lld,\"ok\":5}", 0 },
	[HOSTILE_ERROR_GARBAGE] = { "online", act_line, "{\"id\":%lld,\"error\":{\"errno\":\"EIO\",\"msg\":7}}", 0 },
	[HOSTILE_HELLO_BLOCK_SIZE_1] = { "hello", act_ok_text,
	  "{\"agent_version\":\"hostile\",\"page_size\":4096,\"block_size\":1}", 0 },
	/* ids */
	[HOSTILE_WRONG_ID] = { "blocks", act_line, "{\"id\":%lld00000,\"ok\":{}}", 0 },
	[HOSTILE_DUPLICATE_REPLY] = { "blocks", act_duplicate, NULL, 0 },
	[HOSTILE_STRAY_REPLIES] = { "wait-blocks", act_before,
	  "{\"id\":987654321,\"ok\":{}}\n{\"id\":\"7\",\"ok\":{}}\n{\"id\":-1,\"error\":{}}\n{\"id\":null}\n", 1 },
	/* events */
	[HOSTILE_UNKNOWN_EVENTS] = { "wait-blocks", act_before,
	  "{\"event\":\"mystery\",\"ts_ns\":1,\"x\":[1,2]}\n{\"event\":5}\n{\"event\":\"kmsg\",\"msg\":5,\"seq\":\"x\"}\n"
	  "{\"event\":\"heartbeat\",\"seq\":1e308,\"children\":-1}\n", 1 },
	[HOSTILE_KMSG_STORM] = { "wait-blocks", act_kmsg_storm, NULL, 20000 },
	[HOSTILE_WAIT_BLOCKS_GARBAGE] = { "wait-blocks", act_ok_text, "{\"first\":\"x\",\"last\":null}", 0 },
	/* the stream */
	[HOSTILE_FLOOD_FEW] = { "wait-blocks", act_before, "{}\n", 16 },
	[HOSTILE_FLOOD] = { "wait-blocks", act_before, "{}\n", 1000 },
	[HOSTILE_GARBAGE] = { "wait-blocks", act_before, "this is not JSON\n", 1 },
	[HOSTILE_INVALID_UTF8] = { "wait-blocks", act_before, "{\"event\":\"mystery\",\"text\":\"\xff\xfe\xc3\x28\"}\n", 1 },
	[HOSTILE_DEEP_NESTING] = { "wait-blocks", act_deep, NULL, 0 },
	[HOSTILE_LINE_64MIB] = { "wait-blocks", act_64mib, NULL, 0 },
};

static const char *case_name(const struct hostile_case *c)
{
	return hostile_case_names[c - cases];
}

int hostile_arm(struct agent *a, const char *name, bool sticky)
{
	enum hostile_case_id i = hostile_case_from_string(name);

	if (i < 0 || !cases[i].act)
		return -EINVAL;
	a->hostile_armed = &cases[i];
	a->hostile_sticky = sticky ? &cases[i] : NULL;
	return 0;
}

void hostile_list(FILE *f)
{
	for (int i = HOSTILE_NONE + 1; i < _HOSTILE_MAX; i++)
		fprintf(f, "%s %s\n", hostile_case_names[i], cases[i].cmd);
}

void hostile_on_request(struct agent *a, const char *cmd, struct json_object *id)
{
	const struct hostile_case *c = a->hostile_armed;

	if (!c || strcmp(c->cmd, cmd) != 0 || !id || !json_object_is_type(id, json_type_int))
		return;
	a->hostile_armed = NULL;
	a->hostile_firing = c;
	a->hostile_id = json_object_get_int64(id);
}

bool hostile_on_reply(struct agent *a, struct json_object *id, struct json_object *ok)
{
	const struct hostile_case *c = a->hostile_firing;

	if (!c || !id || !json_object_is_type(id, json_type_int) || json_object_get_int64(id) != a->hostile_id)
		return false;
	a->hostile_firing = NULL;
	if (a->hostile_sticky)
		a->hostile_armed = a->hostile_sticky;
	fprintf(stderr, "mhpstress-agent: hostile case '%s' on the reply to %s %lld\n", case_name(c), c->cmd,
		(long long)a->hostile_id);
	c->act(a, a->hostile_id, ok, c);
	return true;
}

void cmd_inject_hostile(struct agent *a, struct json_object *id, struct json_object *args)
{
	struct json_object *v;
	const char *name;

	if (!a->hostile) {
		channel_reply_error(a, id, EPERM, "the hostile mode is test-only: start the agent with --hostile");
		return;
	}
	if (!json_object_object_get_ex(args, "case", &v) || !json_object_is_type(v, json_type_string)) {
		channel_reply_error(a, id, EINVAL, "inject hostile: missing argument 'case'");
		return;
	}
	name = json_object_get_string(v);
	if (hostile_arm(a, name, false) < 0) {
		channel_reply_error(a, id, EINVAL, "inject hostile: unknown case '%.64s'", name);
		return;
	}
	channel_reply_ok(a, id, NULL);
}
