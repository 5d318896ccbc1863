// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memblock.c - memory blocks: list, online, offline, wait for them.
 *
 * State changes are sysfs writes that the kernel may hold for a long time
 * (offline migrates pages and retries), so they run in a child with a
 * deadline. Waiting for blocks to appear or vanish is driven by kernel
 * uevents on a netlink socket; under MHPSTRESS_SYSROOT, by inotify on the
 * captured tree.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "cleanup.h"

#define MEMBLOCK_MAX_INDEX (1ull << 24)
#define MEMBLOCK_MAX_REQUEST 4096

int memblock_size(const struct agent *a, uint64_t *ret)
{
	char buf[64];
	char *end;
	int r = read_sys(a, buf, sizeof(buf), "/sys/devices/system/memory/block_size_bytes");

	if (r < 0)
		return r;
	errno = 0;
	unsigned long long v = strtoull(buf, &end, 16);
	if (errno || end == buf || *end || v == 0 || (v & (v - 1)))
		return -EBADMSG;
	*ret = v;
	return 0;
}

static bool block_exists(const struct agent *a, uint64_t idx)
{
	char path[512];
	struct stat st;

	if (path_join(a, path, sizeof(path), "/sys/devices/system/memory/memory%" PRIu64, idx) < 0)
		return false;
	return stat(path, &st) == 0;
}

static int block_node(const struct agent *a, uint64_t idx)
{
	char dir[512];
	struct dirent *de;
	DIR *d;
	int node = -1;

	if (path_join(a, dir, sizeof(dir), "/sys/devices/system/memory/memory%" PRIu64, idx) < 0)
		return -1;
	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "node", 4) == 0 && isdigit((unsigned char)de->d_name[4])) {
			node = atoi(de->d_name + 4);
			break;
		}
	}
	closedir(d);
	return node;
}

/*
 * Hot-added blocks are bound to their ACPI memory device (PNP0C80:NN)
 * through firmware_node; boot memory has none. Return: the device name, or
 * "" when there is none.
 */
static const char *block_firmware_node(const struct agent *a, uint64_t idx, char *buf, size_t size)
{
	char path[512], target[512];
	ssize_t n;

	buf[0] = '\0';
	if (path_join(a, path, sizeof(path), "/sys/devices/system/memory/memory%" PRIu64 "/firmware_node", idx) < 0)
		return buf;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return buf;
	target[n] = '\0';
	const char *base = strrchr(target, '/');
	snprintf(buf, size, "%.127s", base ? base + 1 : target);
	return buf;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* Every memoryN index, sorted. */
static int list_blocks(const struct agent *a, uint64_t **ret, size_t *ret_n)
{
	char dir[512];
	struct dirent *de;
	uint64_t *v = NULL;
	size_t n = 0, cap = 0;
	DIR *d;

	if (path_join(a, dir, sizeof(dir), "/sys/devices/system/memory") < 0)
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;

		if (strncmp(de->d_name, "memory", 6) || !isdigit((unsigned char)de->d_name[6]))
			continue;
		uint64_t idx = strtoull(de->d_name + 6, &end, 10);
		if (*end || idx >= MEMBLOCK_MAX_INDEX)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			uint64_t *nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n++] = idx;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_u64);
	*ret = v;
	*ret_n = n;
	return 0;
}

void cmd_blocks(struct agent *a, struct json_object *id, struct json_object *args)
{
	static const struct arg_spec spec[] = { { NULL } };
	_cleanup_free_ uint64_t *idx = NULL;
	uint64_t bs;
	size_t n = 0;
	int r;

	if (args_check(a, id, args, spec) < 0)
		return;
	r = memblock_size(a, &bs);
	if (r < 0) {
		channel_reply_error(a, id, -r, "cannot read block_size_bytes: %s", strerror(-r));
		return;
	}
	r = list_blocks(a, &idx, &n);
	if (r < 0) {
		channel_reply_error(a, id, -r, "cannot list memory blocks: %s", strerror(-r));
		return;
	}
	struct json_object *ok = json_object_new_object();
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		struct json_object *b = json_object_new_object();
		char state[64] = "", zones[128] = "", fw[128];
		const char *node_name = block_firmware_node(a, idx[i], fw, sizeof(fw));

		read_sys(a, state, sizeof(state), "/sys/devices/system/memory/memory%" PRIu64 "/state", idx[i]);
		read_sys(a, zones, sizeof(zones), "/sys/devices/system/memory/memory%" PRIu64 "/valid_zones", idx[i]);
		json_object_object_add(b, "index", json_object_new_int64((int64_t)idx[i]));
		json_object_object_add(b, "phys_start", json_object_new_int64((int64_t)(idx[i] * bs)));
		json_object_object_add(b, "state", json_object_new_string(state));
		json_object_object_add(b, "valid_zones", json_object_new_string(zones));
		json_object_object_add(b, "node", json_object_new_int(block_node(a, idx[i])));
		json_object_object_add(b, "boot", json_object_new_boolean(strncmp(node_name, "PNP0C80", 7) != 0));
		json_object_object_add(b, "firmware_node", node_name[0] ? json_object_new_string(node_name) : NULL);
		json_object_array_add(arr, b);
	}
	json_object_object_add(ok, "block_size", json_object_new_int64((int64_t)bs));
	json_object_object_add(ok, "blocks", arr);
	channel_reply_ok(a, id, ok);
}

/* ---- online / offline, in a child ---- */

struct state_ctx {
	char value[32];
	bool report; /* add the blocks' states and MemTotal to the reply */
	size_t n;
	uint64_t idx[];
};

static int state_child(struct agent *a, void *vctx, int fd)
{
	struct state_ctx *c = vctx;

	for (size_t i = 0; i < c->n; i++) {
		char path[512], line[96];
		uint64_t t0 = now_ns();
		int err = 0;

		if (path_join(a, path, sizeof(path), "/sys/devices/system/memory/memory%" PRIu64 "/state", c->idx[i]) < 0) {
			err = ENAMETOOLONG;
		} else {
			int sfd = open(path, O_WRONLY | O_CLOEXEC);

			if (sfd < 0)
				err = errno;
			else if (write(sfd, c->value, strlen(c->value)) < 0)
				err = errno;
			if (sfd >= 0)
				close(sfd);
		}
		int m = snprintf(line, sizeof(line), "%" PRIu64 " %d %" PRIu64 "\n", c->idx[i], err, now_ns() - t0);
		if (write(fd, line, (size_t)m) < 0)
			return 1;
	}
	return 0;
}

/*
 * A light verification in the reply itself, for the host's race mode: the
 * MemTotal line of /proc/meminfo (the first 256 bytes: no full parse, no
 * drop_caches) and, with @idx, each block's state and valid_zones, in the
 * shapes of the snapshot and blocks replies.
 */
static void report_add(const struct agent *a, struct json_object *ok, const uint64_t *idx, size_t n)
{
	struct json_object *mi = json_object_new_object();
	char head[256];
	unsigned long long kb;

	if (read_sys(a, head, sizeof(head), "/proc/meminfo") == 0 && sscanf(head, "MemTotal: %llu kB", &kb) == 1)
		json_object_object_add(mi, "MemTotal", json_object_new_int64((int64_t)kb));
	json_object_object_add(ok, "meminfo", mi);
	if (!idx)
		return;
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *b = json_object_new_object();
		char state[64] = "", zones[128] = "";

		read_sys(a, state, sizeof(state), "/sys/devices/system/memory/memory%" PRIu64 "/state", idx[i]);
		read_sys(a, zones, sizeof(zones), "/sys/devices/system/memory/memory%" PRIu64 "/valid_zones", idx[i]);
		json_object_object_add(b, "index", json_object_new_int64((int64_t)idx[i]));
		json_object_object_add(b, "state", json_object_new_string(state));
		json_object_object_add(b, "valid_zones", json_object_new_string(zones));
		json_object_array_add(arr, b);
	}
	json_object_object_add(ok, "blocks", arr);
}

static void state_done(struct agent *a, struct json_object *id, int err,
		       const char *out, size_t len, void *vctx)
{
	struct state_ctx *c = vctx;
	struct json_object *ok = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	const char *p = out;
	size_t done = 0;
	unsigned failed = 0;

	(void)len;
	while (done < c->n) {
		uint64_t idx, ns;
		int e, used;

		if (sscanf(p, "%" SCNu64 " %d %" SCNu64 "\n%n", &idx, &e, &ns, &used) != 3 || idx != c->idx[done])
			break;
		struct json_object *r = json_object_new_object();
		json_object_object_add(r, "block", json_object_new_int64((int64_t)idx));
		json_object_object_add(r, "errno", json_object_new_int(e));
		json_object_object_add(r, "elapsed_ns", json_object_new_int64((int64_t)ns));
		json_object_array_add(arr, r);
		failed += e != 0;
		p += used;
		done++;
	}
	/* blocks the child never reported: it was killed at the deadline */
	for (; done < c->n; done++) {
		struct json_object *r = json_object_new_object();
		json_object_object_add(r, "block", json_object_new_int64((int64_t)c->idx[done]));
		json_object_object_add(r, "errno", json_object_new_int(err == -ETIMEDOUT ? ETIMEDOUT : EIO));
		json_object_object_add(r, "elapsed_ns", json_object_new_int64(0));
		json_object_array_add(arr, r);
		failed++;
	}
	json_object_object_add(ok, "results", arr);
	json_object_object_add(ok, "failed", json_object_new_int((int)failed));
	json_object_object_add(ok, "timed_out", json_object_new_boolean(err == -ETIMEDOUT));
	if (c->report)
		report_add(a, ok, c->idx, c->n);
	channel_reply_ok(a, id, ok);
}

static void state_request(struct agent *a, struct json_object *id, struct json_object *args,
			  const char *value, unsigned default_timeout_ms)
{
	struct json_object *blocks, *rep;
	struct state_ctx *c;
	uint64_t timeout_ms;
	size_t n;
	int r;

	json_object_object_get_ex(args, "blocks", &blocks);
	n = json_object_array_length(blocks);
	if (n == 0 || n > MEMBLOCK_MAX_REQUEST) {
		channel_reply_error(a, id, EINVAL, "'blocks' must hold 1 to %d block indexes", MEMBLOCK_MAX_REQUEST);
		return;
	}
	if (args_get_uint(args, "timeout_ms", 3600000, default_timeout_ms, &timeout_ms) < 0) {
		channel_reply_error(a, id, ERANGE, "'timeout_ms' must be 0 to 3600000");
		return;
	}
	c = calloc(1, sizeof(*c) + n * sizeof(c->idx[0]));
	if (!c) {
		channel_reply_error(a, id, ENOMEM, "out of memory");
		return;
	}
	snprintf(c->value, sizeof(c->value), "%s", value);
	c->report = json_object_object_get_ex(args, "report", &rep) && json_object_get_boolean(rep);
	c->n = n;
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(blocks, i);
		int64_t idx = json_object_get_int64(v);

		if (!json_object_is_type(v, json_type_int) || idx < 0 || (uint64_t)idx >= MEMBLOCK_MAX_INDEX) {
			channel_reply_error(a, id, EINVAL, "'blocks[%zu]' is not a block index", i);
			free(c);
			return;
		}
		c->idx[i] = (uint64_t)idx;
	}
	r = job_start(a, id, (unsigned)timeout_ms, state_child, state_done, c);
	if (r < 0) {
		free(c);
		channel_reply_error(a, id, -r, "cannot start a child: %s", strerror(-r));
	}
}

void cmd_online(struct agent *a, struct json_object *id, struct json_object *args)
{
	static const struct arg_spec spec[] = {
		{ "blocks", json_type_array, true },
		{ "zone", json_type_string, false },
		{ "timeout_ms", json_type_int, false },
		{ "report", json_type_boolean, false },
		{ NULL },
	};
	static const char *const zones[] = { "online", "online_movable", "online_kernel" };
	const char *zone = "online";
	struct json_object *z;

	if (args_check(a, id, args, spec) < 0)
		return;
	if (json_object_object_get_ex(args, "zone", &z)) {
		zone = json_object_get_string(z);
		size_t i;
		for (i = 0; i < ARRAY_SIZE(zones) && strcmp(zone, zones[i]); i++)
			;
		if (i == ARRAY_SIZE(zones)) {
			channel_reply_error(a, id, EINVAL, "'zone' must be online, online_movable or online_kernel");
			return;
		}
	}
	state_request(a, id, args, zone, 60000);
}

void cmd_offline(struct agent *a, struct json_object *id, struct json_object *args)
{
	static const struct arg_spec spec[] = {
		{ "blocks", json_type_array, true },
		{ "timeout_ms", json_type_int, false },
		{ "report", json_type_boolean, false },
		{ NULL },
	};

	if (args_check(a, id, args, spec) < 0)
		return;
	state_request(a, id, args, "offline", 120000);
}

/* ---- wait-blocks ---- */

static bool waiter_satisfied(const struct agent *a, const struct waiter *w, uint64_t *ret_missing)
{
	uint64_t missing = 0;

	for (uint64_t i = w->first; i <= w->last; i++)
		if (block_exists(a, i) != w->present)
			missing++;
	*ret_missing = missing;
	return missing == 0;
}

static void waiter_reply(struct agent *a, struct waiter *w, uint64_t now, bool ok)
{
	if (ok) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "first", json_object_new_int64((int64_t)w->first));
		json_object_object_add(o, "last", json_object_new_int64((int64_t)w->last));
		json_object_object_add(o, "elapsed_ns", json_object_new_int64((int64_t)(now - w->started_ns)));
		if (w->report)
			report_add(a, o, NULL, 0);
		channel_reply_ok(a, w->id, o);
	} else {
		uint64_t missing;

		waiter_satisfied(a, w, &missing);
		channel_reply_error(a, w->id, ETIMEDOUT, "%" PRIu64 " of blocks %" PRIu64 "-%" PRIu64 " still %s",
				    missing, w->first, w->last, w->present ? "missing" : "present");
	}
}

void waiters_recheck(struct agent *a, uint64_t now)
{
	struct waiter **pp = &a->waiters;

	while (*pp) {
		struct waiter *w = *pp;
		uint64_t missing;
		bool ok = waiter_satisfied(a, w, &missing);

		if (!ok && now < w->deadline_ns) {
			pp = &w->next;
			continue;
		}
		waiter_reply(a, w, now, ok);
		*pp = w->next;
		json_object_put(w->id);
		free(w);
	}
}

void cmd_wait_blocks(struct agent *a, struct json_object *id, struct json_object *args)
{
	static const struct arg_spec spec[] = {
		{ "phys_start", json_type_int, true },
		{ "size", json_type_int, true },
		{ "timeout_ms", json_type_int, false },
		{ "present", json_type_boolean, false },
		{ "report", json_type_boolean, false },
		{ NULL },
	};
	uint64_t start, size, timeout_ms, bs;
	struct json_object *v;
	struct waiter *w;
	int r;

	if (args_check(a, id, args, spec) < 0)
		return;
	if (args_get_uint(args, "phys_start", UINT64_MAX >> 1, 0, &start) < 0 ||
	    args_get_uint(args, "size", UINT64_MAX >> 1, 0, &size) < 0 || size == 0) {
		channel_reply_error(a, id, EINVAL, "'phys_start' and 'size' must be positive");
		return;
	}
	if (args_get_uint(args, "timeout_ms", 3600000, 10000, &timeout_ms) < 0) {
		channel_reply_error(a, id, ERANGE, "'timeout_ms' must be 0 to 3600000");
		return;
	}
	r = memblock_size(a, &bs);
	if (r < 0) {
		channel_reply_error(a, id, -r, "cannot read block_size_bytes: %s", strerror(-r));
		return;
	}
	if (start % bs || size % bs) {
		channel_reply_error(a, id, EINVAL, "range 0x%" PRIx64 "+0x%" PRIx64 " is not aligned to the block size 0x%" PRIx64,
				    start, size, bs);
		return;
	}
	if ((start + size) / bs > MEMBLOCK_MAX_INDEX || size / bs > MEMBLOCK_MAX_REQUEST) {
		channel_reply_error(a, id, ERANGE, "range too large");
		return;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		channel_reply_error(a, id, ENOMEM, "out of memory");
		return;
	}
	w->id = json_object_get(id);
	w->first = start / bs;
	w->last = (start + size) / bs - 1;
	w->present = !json_object_object_get_ex(args, "present", &v) || json_object_get_boolean(v);
	w->report = json_object_object_get_ex(args, "report", &v) && json_object_get_boolean(v);
	w->started_ns = now_ns();
	w->deadline_ns = w->started_ns + timeout_ms * 1000000ull;
	w->next = a->waiters;
	a->waiters = w;
	waiters_recheck(a, w->started_ns);
}

/* ---- uevents ---- */

int memblock_uevent_open(struct agent *a)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	char dir[512];
	int fd;

	if (path_join(a, dir, sizeof(dir), "/sys/devices/system/memory") == 0) {
		a->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (a->inotify_fd >= 0 &&
		    inotify_add_watch(a->inotify_fd, dir, IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM) < 0) {
			close(a->inotify_fd);
			a->inotify_fd = -1;
		}
	}
	if (a->sysroot[0])
		return 0; /* a captured tree gets no uevents */
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	a->uevent_fd = fd;
	return 0;
}

void memblock_on_uevent(struct agent *a)
{
	char buf[8192];
	bool memory = false;

	for (;;) {
		ssize_t n = recv(a->uevent_fd, buf, sizeof(buf) - 1, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf[n] = '\0';
		/* "add@/devices/system/memory/memory16\0ACTION=add\0..." */
		const char *at = memchr(buf, '@', (size_t)n);
		if (!at || strncmp(at + 1, "/devices/system/memory/memory", 29) != 0)
			continue;
		memory = true;
		struct json_object *f = json_object_new_object();
		json_object_object_add(f, "action", json_object_new_string_len(buf, (int)(at - buf)));
		json_object_object_add(f, "devpath", json_object_new_string(at + 1));
		channel_event(a, "uevent", f);
	}
	if (memory)
		waiters_recheck(a, now_ns());
}

void memblock_on_inotify(struct agent *a)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(a->inotify_fd, buf, sizeof(buf)) > 0)
		;
	waiters_recheck(a, now_ns());
}
