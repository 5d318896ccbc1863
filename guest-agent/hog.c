// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hog.c - hold memory in a child so that offline has something to fight.
 *
 * kind "unmovable": pipe buffers (GFP_HIGHUSER without __GFP_MOVABLE), 1 MiB
 * per pipe. They prefer ZONE_NORMAL, so after a DIMM is onlined to Normal
 * they land in it, and that memory cannot be offlined while they live.
 * kind "movable": anonymous memory, which offline has to migrate.
 * The child reports and then sleeps holding the memory; hog-release kills
 * it and answers once it is reaped, so the memory is free by then.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "agent.h"
#include "cleanup.h"

#define HOG_PIPE_BYTES (1u << 20)
#define HOG_MAX_BYTES (64ull << 30)

struct hog_ctx {
	bool unmovable;
	uint64_t bytes;
};

static int hog_child(struct agent *a, void *vctx, int fd)
{
	struct hog_ctx *c = vctx;
	uint64_t held = 0;
	char line[96];
	int m;

	if (c->unmovable) {
		struct rlimit rl;
		static char chunk[65536];

		memset(chunk, 0x5a, sizeof(chunk));
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		while (held < c->bytes) {
			int p[2];

			if (pipe2(p, O_NONBLOCK) < 0)
				break;
			fcntl(p[1], F_SETPIPE_SZ, HOG_PIPE_BYTES);
			for (;;) {
				ssize_t w = write(p[1], chunk, sizeof(chunk));
				if (w <= 0)
					break;
				held += (uint64_t)w;
			}
		}
	} else {
		char *mem = mmap(NULL, c->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (mem != MAP_FAILED) {
			for (uint64_t off = 0; off < c->bytes; off += 4096)
				mem[off] = 1;
			held = c->bytes;
		}
	}
	m = snprintf(line, sizeof(line), "%d %" PRIu64 "\n", getpid(), held);
	if (write(fd, line, (size_t)m) < 0)
		return 1;
	close(fd);
	for (;;)
		pause();
}

static void hog_done(struct agent *a, struct json_object *id, int err, const char *out, size_t len, void *vctx)
{
	int pid;
	uint64_t held;

	if (sscanf(out, "%d %" SCNu64, &pid, &held) != 2 || pid <= 0) {
		channel_reply_error(a, id, err ? -err : EIO, "the hog child did not start");
		return;
	}
	a->hog_pid = pid;
	struct json_object *ok = json_object_new_object();
	json_object_object_add(ok, "pid", json_object_new_int(pid));
	json_object_object_add(ok, "bytes", json_object_new_int64((int64_t)held));
	channel_reply_ok(a, id, ok);
}

void cmd_hog(struct agent *a, struct json_object *id, struct json_object *args)
{
	static const struct arg_spec spec[] = {
		{ "kind", json_type_string, true },
		{ "bytes", json_type_int, true },
		{ NULL },
	};
	struct json_object *v;
	struct hog_ctx *c;
	uint64_t bytes;
	int r;

	if (args_check(a, id, args, spec) < 0)
		return;
	if (a->hog_pid > 0) {
		channel_reply_error(a, id, EBUSY, "a hog is already running (pid %d); hog-release it first", a->hog_pid);
		return;
	}
	if (args_get_uint(args, "bytes", HOG_MAX_BYTES, 0, &bytes) < 0 || bytes == 0) {
		channel_reply_error(a, id, ERANGE, "'bytes' must be 1 to 64 GiB");
		return;
	}
	json_object_object_get_ex(args, "kind", &v);
	if (strcmp(json_object_get_string(v), "unmovable") && strcmp(json_object_get_string(v), "movable")) {
		channel_reply_error(a, id, EINVAL, "'kind' must be unmovable or movable");
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		channel_reply_error(a, id, ENOMEM, "out of memory");
		return;
	}
	c->unmovable = strcmp(json_object_get_string(v), "unmovable") == 0;
	c->bytes = bytes;
	r = job_start(a, id, 60000, hog_child, hog_done, c);
	if (r < 0) {
		free(c);
		channel_reply_error(a, id, -r, "cannot start a child: %s", strerror(-r));
	}
}

void cmd_hog_release(struct agent *a, struct json_object *id, struct json_object *args)
{
	static const struct arg_spec spec[] = { { NULL } };

	if (args_check(a, id, args, spec) < 0)
		return;
	if (a->hog_pid <= 0) {
		channel_reply_ok(a, id, NULL); /* nothing held */
		return;
	}
	if (a->hog_release_id) {
		channel_reply_error(a, id, EBUSY, "a release is already in progress");
		return;
	}
	a->hog_release_id = json_object_get(id);
	kill(a->hog_pid, SIGKILL);
}

/* From jobs_reap: the hog child is gone, its memory with it. */
void hog_reaped(struct agent *a, int pid)
{
	if (pid != a->hog_pid)
		return;
	a->hog_pid = 0;
	if (a->hog_release_id) {
		channel_reply_ok(a, a->hog_release_id, NULL);
		json_object_put(a->hog_release_id);
		a->hog_release_id = NULL;
	}
}
