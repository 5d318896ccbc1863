// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kmsg.c - follow /dev/kmsg and push warnings and failure patterns as events.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "cleanup.h"

#define KMSG_LEVEL_WARNING 4

/* arm64 failure signatures; the host classifies, the agent only flags. */
static const char *const patterns[] = {
	"Unable to handle kernel", "Internal error:", "Oops", "BUG:",
	"WARNING:", "Bad page state", "kernel BUG at", "Kernel panic",
	"soft lockup", "RCU stall", "rcu_sched self-detected stall",
	"rcu: INFO:", "KASAN", "Offline failed", "hung_task", "blocked for more than",
};

const char *kmsg_match(const char *msg)
{
	for (size_t i = 0; i < ARRAY_SIZE(patterns); i++)
		if (strstr(msg, patterns[i]))
			return patterns[i];
	return NULL;
}

int kmsg_open(struct agent *a)
{
	char path[512];

	if (path_join(a, path, sizeof(path), "/dev/kmsg") < 0)
		return -ENAMETOOLONG;
	a->kmsg_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	return a->kmsg_fd < 0 ? -errno : 0;
}

struct kmsg_record {
	unsigned level;
	uint64_t seq;
	uint64_t ts_us;
	const char *msg;
	size_t msg_len;
};

/* "prio,seq,ts,flags[,...];message\n KEY=value\n..." */
static int kmsg_parse(char *rec, size_t len, struct kmsg_record *r)
{
	char *semi = memchr(rec, ';', len);
	unsigned prio;

	if (!semi)
		return -EBADMSG;
	*semi = '\0';
	if (sscanf(rec, "%u,%" SCNu64 ",%" SCNu64, &prio, &r->seq, &r->ts_us) != 3)
		return -EBADMSG;
	r->level = prio & 7;
	r->msg = semi + 1;
	char *nl = memchr(semi + 1, '\n', len - (size_t)(semi + 1 - rec));
	r->msg_len = nl ? (size_t)(nl - (semi + 1)) : len - (size_t)(semi + 1 - rec);
	if (nl)
		*nl = '\0';
	else
		rec[len] = '\0';
	return 0;
}

void kmsg_on_readable(struct agent *a)
{
	char rec[8192];

	for (;;) {
		ssize_t n = read(a->kmsg_fd, rec, sizeof(rec) - 1);
		struct kmsg_record r;

		if (n < 0) {
			if (errno == EINTR || errno == EPIPE)
				continue; /* EPIPE: records were overwritten; go on */
			return;
		}
		if (n == 0) {
			/* /dev/kmsg never ends; a captured file (MHPSTRESS_SYSROOT) does */
			close(a->kmsg_fd);
			a->kmsg_fd = -1;
			return;
		}
		if (kmsg_parse(rec, (size_t)n, &r) < 0)
			continue;
		const char *m = kmsg_match(r.msg);
		if (r.level > KMSG_LEVEL_WARNING && !m)
			continue;
		struct json_object *f = json_object_new_object();
		json_object_object_add(f, "seq", json_object_new_int64((int64_t)r.seq));
		json_object_object_add(f, "level", json_object_new_int((int)r.level));
		json_object_object_add(f, "ts_us", json_object_new_int64((int64_t)r.ts_us));
		json_object_object_add(f, "msg", json_object_new_string_len(r.msg, (int)r.msg_len));
		json_object_object_add(f, "match", m ? json_object_new_string(m) : NULL);
		channel_event(a, "kmsg", f);
	}
}

/* The whole kernel log, as "[seconds] message" lines, newest kept. */
void cmd_dmesg(struct agent *a, struct json_object *id, struct json_object *args)
{
	static const struct arg_spec spec[] = {
		{ "max_bytes", json_type_int, false },
		{ NULL },
	};
	_cleanup_fd_ int fd = -1;
	_cleanup_free_ char *text = NULL;
	uint64_t max;
	size_t len = 0;
	char path[512], rec[8192];

	if (args_check(a, id, args, spec) < 0)
		return;
	if (args_get_uint(args, "max_bytes", 16u << 20, 1u << 20, &max) < 0 || max < 1024) {
		channel_reply_error(a, id, ERANGE, "'max_bytes' must be 1024 to 16777216");
		return;
	}
	if (path_join(a, path, sizeof(path), "/dev/kmsg") < 0 ||
	    (fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		channel_reply_error(a, id, errno, "cannot open /dev/kmsg: %m");
		return;
	}
	text = malloc(max + 1);
	if (!text) {
		channel_reply_error(a, id, ENOMEM, "out of memory");
		return;
	}
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		struct kmsg_record r;
		char line[8300];

		if (n < 0 && (errno == EINTR || errno == EPIPE))
			continue;
		if (n <= 0)
			break;
		if (kmsg_parse(rec, (size_t)n, &r) < 0)
			continue;
		int m = snprintf(line, sizeof(line), "[%5" PRIu64 ".%06" PRIu64 "] %.*s\n",
				 r.ts_us / 1000000, r.ts_us % 1000000, (int)r.msg_len, r.msg);
		size_t ml = (size_t)m < sizeof(line) ? (size_t)m : sizeof(line) - 1;
		if (ml > max)
			continue;
		if (len + ml > max) {
			/* keep the newest: drop whole lines from the front */
			size_t drop = len + ml - max;
			char *cut = memchr(text + drop, '\n', len - drop);
			size_t keep_from = cut ? (size_t)(cut + 1 - text) : len;
			memmove(text, text + keep_from, len - keep_from);
			len -= keep_from;
		}
		memcpy(text + len, line, ml);
		len += ml;
	}
	text[len] = '\0';
	struct json_object *ok = json_object_new_object();
	json_object_object_add(ok, "text", json_object_new_string_len(text, (int)len));
	channel_reply_ok(a, id, ok);
}
