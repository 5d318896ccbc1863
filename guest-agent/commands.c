// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * commands.c - request parsing and the commands that are not about blocks.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#include "agent.h"
#include "cleanup.h"
#include "procfs.h"
#include "ptdump.h"
#include "request.h"

/* Options hello reports from /proc/config.gz. */
static const char *const config_keys[] = {
	"CONFIG_MEMORY_HOTPLUG", "CONFIG_MEMORY_HOTREMOVE", "CONFIG_ACPI_HOTPLUG_MEMORY",
	"CONFIG_MHP_MEMMAP_ON_MEMORY", "CONFIG_SPARSEMEM_VMEMMAP", "CONFIG_NUMA",
	"CONFIG_PTDUMP_DEBUGFS", "CONFIG_TEST_VMALLOC", "CONFIG_VMAP_STACK",
	"CONFIG_ARM64_VA_BITS", "CONFIG_ARM64_PAGE_SHIFT", "CONFIG_PGTABLE_LEVELS",
	"CONFIG_RODATA_FULL_DEFAULT_ENABLED", "CONFIG_DEBUG_PAGEALLOC", "CONFIG_DEBUG_VM",
	"CONFIG_KASAN", "CONFIG_PAGE_OWNER", "CONFIG_PVPANIC_PCI", "CONFIG_MAGIC_SYSRQ",
};

static struct json_object *read_config(const struct agent *a, unsigned *ret_va_bits)
{
	char path[512], line[512];
	struct json_object *o;
	gzFile gz;

	if (path_join(a, path, sizeof(path), "/proc/config.gz") < 0)
		return NULL;
	gz = gzopen(path, "rb");
	if (!gz)
		return NULL;
	o = json_object_new_object();
	for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++)
		json_object_object_add(o, config_keys[i], NULL);
	while (gzgets(gz, line, sizeof(line))) {
		char *eq = strchr(line, '=');

		if (line[0] != 'C' || !eq)
			continue;
		*eq = '\0';
		strip_newline(eq + 1);
		for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++) {
			if (strcmp(line, config_keys[i]) == 0) {
				json_object_object_add(o, line, json_object_new_string(eq + 1));
				if (strcmp(line, "CONFIG_ARM64_VA_BITS") == 0)
					*ret_va_bits = (unsigned)atoi(eq + 1);
			}
		}
	}
	gzclose(gz);
	return o;
}

static bool sys_exists(const struct agent *a, const char *rel)
{
	char path[512];

	return path_join(a, path, sizeof(path), "%s", rel) == 0 && access(path, F_OK) == 0;
}

static bool module_available(const struct agent *a, const char *release, const char *name)
{
	char path[512], needle[80];
	_cleanup_free_ char *buf = malloc(1u << 20);
	size_t len;

	if (!buf || path_join(a, path, sizeof(path), "/lib/modules/%s/modules.dep", release) < 0)
		return false;
	if (read_file_at(path, buf, 1u << 20, &len) < 0)
		return false;
	snprintf(needle, sizeof(needle), "/%s.ko", name);
	return strstr(buf, needle) != NULL;
}

static unsigned guest_va_bits(const struct agent *a)
{
	unsigned va = 0;
	struct json_object *c = read_config(a, &va);

	json_object_put(c);
	return va;
}

static void cmd_hello(struct agent *a, struct json_object *id, struct json_object *args)
{
	static const struct arg_spec spec[] = { { NULL } };
	struct json_object *ok, *feat;
	struct utsname u;
	char buf[128];
	uint64_t bs;
	unsigned va_bits = 0;

	if (args_check(a, id, args, spec) < 0)
		return;
	uname(&u);
	ok = json_object_new_object();
	json_object_object_add(ok, "agent_version", json_object_new_string(AGENT_VERSION));
	json_object_object_add(ok, "kernel", json_object_new_string(u.release));
	json_object_object_add(ok, "kernel_version", json_object_new_string(u.version));
	json_object_object_add(ok, "machine", json_object_new_string(u.machine));
	json_object_object_add(ok, "page_size", json_object_new_int((int)sysconf(_SC_PAGESIZE)));
	json_object_object_add(ok, "block_size",
			       memblock_size(a, &bs) == 0 ? json_object_new_int64((int64_t)bs) : NULL);
	json_object_object_add(ok, "auto_online_blocks",
			       read_sys(a, buf, sizeof(buf), "/sys/devices/system/memory/auto_online_blocks") == 0
				       ? json_object_new_string(buf) : NULL);
	json_object_object_add(ok, "memmap_on_memory",
			       read_sys(a, buf, sizeof(buf), "/sys/module/memory_hotplug/parameters/memmap_on_memory") == 0
				       ? json_object_new_string(buf) : NULL);
	json_object_object_add(ok, "boot_id",
			       read_sys(a, buf, sizeof(buf), "/proc/sys/kernel/random/boot_id") == 0
				       ? json_object_new_string(buf) : NULL);
	json_object_object_add(ok, "cpus", json_object_new_int((int)sysconf(_SC_NPROCESSORS_ONLN)));
	feat = json_object_new_object();
	json_object_object_add(feat, "ptdump", json_object_new_boolean(sys_exists(a, "/sys/kernel/debug/kernel_page_tables")));
	json_object_object_add(feat, "efi_ptdump", json_object_new_boolean(sys_exists(a, "/sys/kernel/debug/efi_page_tables")));
	json_object_object_add(feat, "test_vmalloc", json_object_new_boolean(module_available(a, u.release, "test_vmalloc")));
	json_object_object_add(feat, "sysrq", json_object_new_boolean(sys_exists(a, "/proc/sysrq-trigger")));
	json_object_object_add(feat, "config", read_config(a, &va_bits));
	json_object_object_add(ok, "features", feat);
	json_object_object_add(ok, "va_bits", va_bits ? json_object_new_int((int)va_bits) : NULL);
	channel_reply_ok(a, id, ok);
}

/* The agent's own resident set, from the real /proc (not the sysroot). */
static int64_t self_rss_kb(void)
{
	char buf[4096];
	const char *p;

	if (read_file_at("/proc/self/status", buf, sizeof(buf), NULL) < 0)
		return -1;
	p = strstr(buf, "VmRSS:");
	return p ? strtoll(p + 6, NULL, 10) : -1;
}

static void cmd_ping(struct agent *a, struct json_object *id, struct json_object *args)
{
	static const struct arg_spec spec[] = { { NULL } };
	struct json_object *ok;
	unsigned stuck = 0;

	if (args_check(a, id, args, spec) < 0)
		return;
	for (const struct job *j = a->jobs; j; j = j->next)
		stuck += j->killed && !j->exited;
	ok = json_object_new_object();
	json_object_object_add(ok, "uptime_ns", json_object_new_int64((int64_t)(now_ns() - a->start_ns)));
	json_object_object_add(ok, "children", json_object_new_int((int)jobs_running(a)));
	json_object_object_add(ok, "stuck_children", json_object_new_int((int)stuck));
	json_object_object_add(ok, "dropped_events", json_object_new_int64((int64_t)a->dropped_events));
	json_object_object_add(ok, "rss_kb", json_object_new_int64(self_rss_kb()));
	channel_reply_ok(a, id, ok);
}

static void cmd_power(struct agent *a, struct json_object *id, struct json_object *args, int how)
{
	static const struct arg_spec spec[] = { { NULL } };
	struct json_object *ok;

	if (args_check(a, id, args, spec) < 0)
		return;
	ok = json_object_new_object();
	/* Under a captured sysroot this is a test: never reboot the host. */
	json_object_object_add(ok, "simulated", json_object_new_boolean(a->sysroot[0] != 0));
	channel_reply_ok(a, id, ok);
	a->power_action = how;
	a->quit = true;
}

/* ---- snapshot: every read in a child, framed as "name errno len\n<bytes>" ---- */

struct snapshot_ctx {
	bool drop_caches;
	bool quiet; /* stressors paused while it is taken */
	bool raw_procfs;
	int ptdump; /* 0 none, 1 summary, 2 raw */
	uint64_t started_ns;
};

static int frame_file(struct agent *a, int out, const char *name, const char *rel)
{
	char path[512], hdr[96];
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	int err = 0;

	if (path_join(a, path, sizeof(path), "%s", rel) < 0) {
		err = ENAMETOOLONG;
	} else {
		_cleanup_fd_ int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			err = errno;
		while (fd >= 0) {
			if (cap - len < 65536) {
				cap = cap ? cap * 2 : 262144;
				if (cap > AGENT_JOB_OUT_MAX / 2) {
					err = EFBIG;
					break;
				}
				char *nb = realloc(buf, cap);
				if (!nb) {
					err = ENOMEM;
					break;
				}
				buf = nb;
			}
			ssize_t n = read(fd, buf + len, cap - len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				err = errno;
				break;
			}
			if (n == 0)
				break;
			len += (size_t)n;
		}
	}
	if (err)
		len = 0;
	int m = snprintf(hdr, sizeof(hdr), "%s %d %zu\n", name, err, len);
	if (write(out, hdr, (size_t)m) != m)
		return -1;
	for (size_t off = 0; off < len;) {
		ssize_t n = write(out, buf + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

/*
 * Fold every CPU's pending vmstat deltas into the global counters that
 * /proc/meminfo and /proc/vmstat show. Without it they lag by up to the
 * per-CPU threshold times the CPUs until vmstat_update runs (every second):
 * a clean soak saw nr_page_table_pages 43 and 44 pages short of a removal's
 * freed tables. Best effort: EINVAL (a counter below zero) still folds.
 */
static void stat_refresh(struct agent *a)
{
	char path[512];
	int fd;

	if (path_join(a, path, sizeof(path), "/proc/sys/vm/stat_refresh") < 0)
		return;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "1", 1) < 0) {
		/* nothing to do: the counters are read as they are */
	}
	close(fd);
}

static int snapshot_child(struct agent *a, void *vctx, int out)
{
	struct snapshot_ctx *c = vctx;

	if (c->drop_caches) {
		char path[512];

		sync();
		if (path_join(a, path, sizeof(path), "/proc/sys/vm/drop_caches") == 0) {
			int fd = open(path, O_WRONLY | O_CLOEXEC);
			if (fd >= 0) {
				ssize_t w = write(fd, "3", 1);
				(void)w; /* best effort: a snapshot without dropped caches is still one */
				close(fd);
			}
		}
	}
	if (c->ptdump && frame_file(a, out, "ptdump", "/sys/kernel/debug/kernel_page_tables") < 0)
		return 1;
	stat_refresh(a);
	if (frame_file(a, out, "meminfo", "/proc/meminfo") < 0 ||
	    frame_file(a, out, "vmstat", "/proc/vmstat") < 0 ||
	    frame_file(a, out, "zoneinfo", "/proc/zoneinfo") < 0)
		return 1;
	return 0;
}

struct frame {
	int err;
	const char *data;
	size_t len;
	bool present;
};

static int next_frame(const char **p, const char *end, char *name, size_t nsize, struct frame *f)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	char hdr[128];
	size_t len, nlen;
	int err;

	if (!nl || (size_t)(nl - *p) >= sizeof(hdr))
		return -EBADMSG;
	memcpy(hdr, *p, (size_t)(nl - *p));
	hdr[nl - *p] = '\0';
	nlen = strcspn(hdr, " ");
	if (nlen == 0 || nlen >= nsize || sscanf(hdr + nlen, " %d %zu", &err, &len) != 2 ||
	    (size_t)(end - (nl + 1)) < len)
		return -EBADMSG;
	memcpy(name, hdr, nlen);
	name[nlen] = '\0';
	f->err = err;
	f->data = nl + 1;
	f->len = len;
	f->present = true;
	*p = nl + 1 + len;
	return 0;
}

static struct json_object *procfs_json(const struct frame *f, enum procfs_format fmt,
				       struct json_object *errors, const char *name)
{
	_cleanup_free_ struct procfs_kv *kv = NULL;
	size_t n;
	unsigned line = 0;
	char msg[128];
	int r;

	if (!f->present || f->err) {
		snprintf(msg, sizeof(msg), "cannot read: %s", f->present ? strerror(f->err) : "not read");
		json_object_object_add(errors, name, json_object_new_string(msg));
		return NULL;
	}
	r = procfs_parse(f->data, f->len, fmt, &kv, &n, &line);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "line %u: %s", line, strerror(-r));
		json_object_object_add(errors, name, json_object_new_string(msg));
		return NULL;
	}
	return procfs_to_json(kv, n);
}

static void snapshot_done(struct agent *a, struct json_object *id, int err,
			  const char *out, size_t len, void *vctx)
{
	struct snapshot_ctx *c = vctx;
	struct frame ptd = { 0 }, mi = { 0 }, vm = { 0 }, zi = { 0 };
	const char *p = out, *end = out + len;
	struct json_object *ok, *errors;
	char name[32];

	while (p < end) {
		struct frame f = { 0 };

		if (next_frame(&p, end, name, sizeof(name), &f) < 0)
			break;
		if (strcmp(name, "ptdump") == 0)
			ptd = f;
		else if (strcmp(name, "meminfo") == 0)
			mi = f;
		else if (strcmp(name, "vmstat") == 0)
			vm = f;
		else if (strcmp(name, "zoneinfo") == 0)
			zi = f;
	}
	if (err == -ETIMEDOUT && !mi.present) {
		if (c->quiet)
			stressors_pause(false);
		channel_reply_error(a, id, ETIMEDOUT, "snapshot timed out%s",
				    ptd.present ? "" : " reading kernel_page_tables");
		return;
	}
	ok = json_object_new_object();
	errors = json_object_new_object();
	json_object_object_add(ok, "meminfo", procfs_json(&mi, PROCFS_MEMINFO, errors, "meminfo"));
	json_object_object_add(ok, "vmstat", procfs_json(&vm, PROCFS_VMSTAT, errors, "vmstat"));
	if (zi.present && !zi.err) {
		/* pages on per-CPU lists: free, but in neither MemFree nor vmstat */
		uint64_t pcp;
		if (procfs_zoneinfo_pcp(zi.data, zi.len, &pcp) == 0)
			json_object_object_add(ok, "pcp_kb", json_object_new_int64((int64_t)(pcp * (uint64_t)sysconf(_SC_PAGESIZE) / 1024)));
	}
	if (c->ptdump) {
		struct ptdump_summary s;
		unsigned line = 0;
		int r = -ENOENT;

		if (ptd.present && !ptd.err)
			r = ptdump_parse(ptd.data, ptd.len, (unsigned)sysconf(_SC_PAGESIZE),
					 guest_va_bits(a), &s, &line);
		else if (ptd.present)
			r = -ptd.err;
		if (r == 0) {
			json_object_object_add(ok, "ptdump", ptdump_summary_to_json(&s));
		} else {
			char msg[128];

			if (r == -EBADMSG || r == -E2BIG)
				snprintf(msg, sizeof(msg), "kernel_page_tables line %u: %s", line, strerror(-r));
			else
				snprintf(msg, sizeof(msg), "kernel_page_tables: %s", strerror(-r));
			json_object_object_add(errors, "ptdump", json_object_new_string(msg));
			json_object_object_add(ok, "ptdump", NULL);
		}
		if (c->ptdump == 2 && ptd.present && !ptd.err)
			json_object_object_add(ok, "ptdump_raw", json_object_new_string_len(ptd.data, (int)ptd.len));
	}
	if (c->raw_procfs) {
		if (mi.present && !mi.err)
			json_object_object_add(ok, "meminfo_raw", json_object_new_string_len(mi.data, (int)mi.len));
		if (vm.present && !vm.err)
			json_object_object_add(ok, "vmstat_raw", json_object_new_string_len(vm.data, (int)vm.len));
	}
	if (c->quiet)
		stressors_pause(false);
	json_object_object_add(ok, "stressors", stressors_json());
	json_object_object_add(ok, "elapsed_ns", json_object_new_int64((int64_t)(now_ns() - c->started_ns)));
	if (json_object_object_length(errors))
		json_object_object_add(ok, "errors", errors);
	else
		json_object_put(errors);
	channel_reply_ok(a, id, ok);
}

static void cmd_snapshot(struct agent *a, struct json_object *id, struct json_object *args)
{
	static const struct arg_spec spec[] = {
		{ "ptdump", json_type_string, false },
		{ "drop_caches", json_type_boolean, false },
		{ "raw_procfs", json_type_boolean, false },
		{ "quiet", json_type_boolean, false },
		{ "timeout_ms", json_type_int, false },
		{ NULL },
	};
	struct snapshot_ctx *c;
	struct json_object *v;
	uint64_t timeout_ms;
	int r;

	if (args_check(a, id, args, spec) < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {
		channel_reply_error(a, id, ENOMEM, "out of memory");
		return;
	}
	c->ptdump = 1;
	if (json_object_object_get_ex(args, "ptdump", &v)) {
		const char *s = json_object_get_string(v);

		if (strcmp(s, "none") == 0)
			c->ptdump = 0;
		else if (strcmp(s, "summary") == 0)
			c->ptdump = 1;
		else if (strcmp(s, "raw") == 0)
			c->ptdump = 2;
		else {
			free(c);
			channel_reply_error(a, id, EINVAL, "'ptdump' must be none, summary or raw");
			return;
		}
	}
	c->drop_caches = json_object_object_get_ex(args, "drop_caches", &v) && json_object_get_boolean(v);
	c->raw_procfs = json_object_object_get_ex(args, "raw_procfs", &v) && json_object_get_boolean(v);
	c->quiet = json_object_object_get_ex(args, "quiet", &v) && json_object_get_boolean(v);
	if (args_get_uint(args, "timeout_ms", 3600000, 30000, &timeout_ms) < 0) {
		free(c);
		channel_reply_error(a, id, ERANGE, "'timeout_ms' must be 0 to 3600000");
		return;
	}
	c->started_ns = now_ns();
	if (c->quiet)
		stressors_pause(true);
	r = job_start(a, id, (unsigned)timeout_ms, snapshot_child, snapshot_done, c);
	if (r < 0) {
		if (c->quiet)
			stressors_pause(false);
		free(c);
		channel_reply_error(a, id, -r, "cannot start a child: %s", strerror(-r));
	}
}

/* ---- dispatch ---- */

static void cmd_reboot(struct agent *a, struct json_object *id, struct json_object *args)
{
	cmd_power(a, id, args, RB_AUTOBOOT);
}

static void cmd_poweroff(struct agent *a, struct json_object *id, struct json_object *args)
{
	cmd_power(a, id, args, RB_POWER_OFF);
}

static const struct {
	const char *name;
	void (*fn)(struct agent *a, struct json_object *id, struct json_object *args);
} commands[] = {
	{ "hello", cmd_hello },
	{ "ping", cmd_ping },
	{ "blocks", cmd_blocks },
	{ "online", cmd_online },
	{ "offline", cmd_offline },
	{ "wait-blocks", cmd_wait_blocks },
	{ "snapshot", cmd_snapshot },
	{ "dmesg", cmd_dmesg },
	{ "hog", cmd_hog },
	{ "stressor-start", cmd_stressor_start },
	{ "stressor-stop", cmd_stressor_stop },
	{ "stressors", cmd_stressors },
	{ "inject", cmd_inject },
	{ "hog-release", cmd_hog_release },
	{ "reboot", cmd_reboot },
	{ "poweroff", cmd_poweroff },
};

void command_dispatch(struct agent *a, const char *line)
{
	struct request req;
	const char *msg;
	char msgbuf[128];
	int r;

	if (!*line)
		return;
	r = request_parse(line, &req, &msg, msgbuf, sizeof(msgbuf));
	if (r < 0) {
		channel_reply_error(a, req.id, -r, "bad request: %s", msg);
		request_free(&req);
		return;
	}
	if (a->hostile_armed)
		hostile_on_request(a, req.cmd, req.id);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(commands[i].name, req.cmd) == 0) {
			commands[i].fn(a, req.id, req.args);
			request_free(&req);
			return;
		}
	}
	channel_reply_error(a, req.id, ENOSYS, "unknown command '%.64s'", req.cmd);
	request_free(&req);
}
