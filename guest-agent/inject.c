// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * inject.c - make the kernel fail on purpose, to test failure detection:
 *   warn   load mhpstress_warn.ko, which WARNs in its init (built by
 *          tools/build-guest against the guest kernel)
 *   panic  'c' to /proc/sysrq-trigger
 *   hang   the agent stops itself (SIGSTOP): no heartbeat, no answers
 *   hostile  arm a protocol misbehaviour (test-only, --hostile; hostile.c)
 * Each replies first; panic and hang act once the reply is out.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "agent.h"

static int warn_child(struct agent *a, void *ctx, int fd)
{
	char path[512];
	struct utsname u;
	int mfd, err = 0;

	uname(&u);
	if (path_join(a, path, sizeof(path), "/lib/modules/%s/extra/mhpstress_warn.ko", u.release) < 0)
		return 1;
	mfd = open(path, O_RDONLY | O_CLOEXEC);
	if (mfd < 0)
		err = errno;
	else if (syscall(SYS_finit_module, mfd, "", 0) < 0)
		err = errno; /* ENODEV: it WARNs and refuses to stay loaded */
	dprintf(fd, "%d\n", err);
	return 0;
}

static void warn_done(struct agent *a, struct json_object *id, int err, const char *out, size_t len, void *ctx)
{
	int e = atoi(out);

	if (e == ENOENT) {
		channel_reply_error(a, id, ENOENT, "mhpstress_warn.ko is not in the initramfs");
		return;
	}
	struct json_object *ok = json_object_new_object();
	json_object_object_add(ok, "errno", json_object_new_int(e));
	channel_reply_ok(a, id, ok);
}

void cmd_inject(struct agent *a, struct json_object *id, struct json_object *args)
{
	static const struct arg_spec spec[] = {
		{ "kind", json_type_string, true },
		{ "case", json_type_string, false },
		{ NULL },
	};
	struct json_object *v;
	const char *kind;

	if (args_check(a, id, args, spec) < 0)
		return;
	json_object_object_get_ex(args, "kind", &v);
	kind = json_object_get_string(v);
	if (strcmp(kind, "hostile") == 0) {
		cmd_inject_hostile(a, id, args);
		return;
	}
	if (json_object_object_get_ex(args, "case", NULL)) {
		channel_reply_error(a, id, EINVAL, "'case' is only for kind hostile");
		return;
	}
	if (strcmp(kind, "warn") == 0) {
		int r = job_start(a, id, 30000, warn_child, warn_done, NULL);
		if (r < 0)
			channel_reply_error(a, id, -r, "cannot start a child: %s", strerror(-r));
		return;
	}
	if (strcmp(kind, "panic") && strcmp(kind, "hang")) {
		channel_reply_error(a, id, EINVAL, "'kind' must be warn, panic, hang or hostile");
		return;
	}
	if (a->sysroot[0]) {
		channel_reply_error(a, id, EPERM, "not under MHPSTRESS_SYSROOT");
		return;
	}
	channel_reply_ok(a, id, NULL);
	channel_flush_blocking(a, 2000);
	if (strcmp(kind, "hang") == 0) {
		raise(SIGSTOP);
		return;
	}
	int fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t w = write(fd, "c", 1);
		(void)w;
		close(fd);
	}
}
