// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stressor.c - load that races hot-remove, each kind in its own child.
 *
 *   vmalloc-module  test_vmalloc.ko loaded in a loop (finit_module; it ends
 *                   with EAGAIN on purpose)
 *   vmalloc-churn   fork/exit storms: every thread stack is a vmalloc area
 *                   (VMAP_STACK); needs no module
 *   ptdump          continuous reads of kernel_page_tables by `readers`
 *                   processes (and of efi_page_tables when `efi` asks)
 *   memory-pressure anonymous and page-cache fill, so offline has to migrate
 *   command         a user's argv, run in a loop
 *
 * Each child is its own process group and counts into a shared page, so the
 * agent reads counters without talking to it. Children can be paused
 * (SIGSTOP to the group) for quiet snapshots: they stop at the next return
 * to user space, holding no kernel lock. A stop is SIGKILL to the group.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "cleanup.h"

#define STRESSOR_MAX 16
#define STRESSOR_MAX_ARGV 32

enum stressor_kind {
	STRESSOR_VMALLOC_MODULE,
	STRESSOR_VMALLOC_CHURN,
	STRESSOR_PTDUMP,
	STRESSOR_MEMORY_PRESSURE,
	STRESSOR_COMMAND,
};

static const char *const kind_names[] = {
	[STRESSOR_VMALLOC_MODULE] = "vmalloc-module",
	[STRESSOR_VMALLOC_CHURN] = "vmalloc-churn",
	[STRESSOR_PTDUMP] = "ptdump",
	[STRESSOR_MEMORY_PRESSURE] = "memory-pressure",
	[STRESSOR_COMMAND] = "command",
};

struct counters {
	_Atomic uint64_t ops;
	_Atomic uint64_t errors;
	_Atomic int64_t last_errno;
};

struct stressor {
	char name[64];
	enum stressor_kind kind;
	pid_t pid;        /* the group leader; 0 when not running */
	int cpu;          /* -1: any */
	unsigned rate_hz; /* 0: as fast as it goes */
	uint64_t bytes;   /* memory-pressure */
	unsigned threads, mask, repeat; /* vmalloc-module */
	unsigned loops, pages;          /* vmalloc-module: 0 leaves the module's default */
	bool huge;                      /* vmalloc-module: use_huge */
	unsigned readers; /* ptdump */
	bool efi;         /* ptdump: efi_page_tables too */
	char *argv[STRESSOR_MAX_ARGV + 1];
	struct counters *c; /* shared with the child */
	bool paused;
};

static struct stressor stressors[STRESSOR_MAX];

static struct stressor *find(const char *name)
{
	for (int i = 0; i < STRESSOR_MAX; i++)
		if (stressors[i].c && strcmp(stressors[i].name, name) == 0)
			return &stressors[i];
	return NULL;
}

static void pace(struct stressor *s, struct timespec *next)
{
	if (!s->rate_hz)
		return;
	long step = 1000000000L / (long)s->rate_hz;
	next->tv_nsec += step;
	while (next->tv_nsec >= 1000000000L) {
		next->tv_nsec -= 1000000000L;
		next->tv_sec++;
	}
	/* a sleep in the child, never in the agent's loop */
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL);
}

static void count(struct stressor *s, int err)
{
	atomic_fetch_add(&s->c->ops, 1);
	if (err) {
		atomic_fetch_add(&s->c->errors, 1);
		atomic_store(&s->c->last_errno, err);
	}
}

static int read_all(const char *path)
{
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : 0;
			close(fd);
			return e;
		}
	}
}

static void run_vmalloc_module(struct agent *a, struct stressor *s, struct timespec *next)
{
	char path[512], params[256];
	int n;
	struct utsname u;

	uname(&u);
	if (path_join(a, path, sizeof(path), "/lib/modules/%s/kernel/lib/test_vmalloc.ko", u.release) < 0)
		_exit(1);
	n = snprintf(params, sizeof(params), "run_test_mask=%u nr_threads=%u test_repeat_count=%u use_huge=%d",
		     s->mask, s->threads, s->repeat, s->huge);
	if (s->loops)
		n += snprintf(params + n, sizeof(params) - (size_t)n, " test_loop_count=%u", s->loops);
	if (s->pages)
		snprintf(params + n, sizeof(params) - (size_t)n, " nr_pages=%u", s->pages);
	for (;;) {
		int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

		if (fd < 0) {
			err = errno;
		} else {
			/* EAGAIN is how test_vmalloc ends when its tests ran */
			if (syscall(SYS_finit_module, fd, params, 0) < 0 && errno != EAGAIN)
				err = errno;
			else if (errno != EAGAIN)
				syscall(SYS_delete_module, "test_vmalloc", O_NONBLOCK);
			close(fd);
		}
		count(s, err);
		pace(s, next);
	}
}

static void run_vmalloc_churn(struct stressor *s, struct timespec *next)
{
	for (;;) {
		pid_t p = fork();

		if (p == 0)
			_exit(0);
		if (p > 0)
			while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
				;
		count(s, p < 0 ? errno : 0);
		pace(s, next);
	}
}

static void run_ptdump(struct agent *a, struct stressor *s, struct timespec *next)
{
	char kpt[512], efi[512];
	bool have_efi;

	path_join(a, kpt, sizeof(kpt), "/sys/kernel/debug/kernel_page_tables");
	path_join(a, efi, sizeof(efi), "/sys/kernel/debug/efi_page_tables");
	have_efi = s->efi && access(efi, R_OK) == 0;
	/* readers - 1 more walkers, in this process group: stop and pause reach them */
	for (unsigned i = 1; i < s->readers; i++)
		if (fork() == 0)
			break;
	for (;;) {
		count(s, read_all(kpt));
		if (have_efi)
			count(s, read_all(efi));
		pace(s, next);
	}
}

static void run_memory_pressure(struct stressor *s, struct timespec *next)
{
	static char chunk[1 << 16];
	char file[] = "/tmp/mhpstress-pressure.XXXXXX";

	memset(chunk, 0x3c, sizeof(chunk));
	for (;;) {
		int err = 0;
		char *m = mmap(NULL, s->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED) {
			err = errno;
		} else {
			for (uint64_t off = 0; off < s->bytes; off += 4096)
				m[off] = (char)off;
			munmap(m, s->bytes);
		}
		/* page cache: tmpfs pages are movable too. Unlinked at once: a
		 * round killed by stressor-stop frees its pages with its fd. */
		int fd = mkstemp(file);
		if (fd >= 0) {
			unlink(file);
			strcpy(file, "/tmp/mhpstress-pressure.XXXXXX");
			for (uint64_t off = 0; off < s->bytes / 2; off += sizeof(chunk))
				if (write(fd, chunk, sizeof(chunk)) < 0) {
					err = errno;
					break;
				}
			close(fd);
		}
		count(s, err);
		pace(s, next);
	}
}

static void run_command(struct stressor *s, struct timespec *next)
{
	for (;;) {
		pid_t p = fork();
		int status = 0;

		if (p == 0) {
			execv(s->argv[0], s->argv);
			_exit(127);
		}
		if (p > 0)
			while (waitpid(p, &status, 0) < 0 && errno == EINTR)
				;
		count(s, p < 0 ? errno : (WIFEXITED(status) && WEXITSTATUS(status) == 0) ? 0 : ECHILD);
		pace(s, next);
	}
}

static void stressor_main(struct agent *a, struct stressor *s)
{
	struct timespec next;
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGCHLD, SIG_DFL);
	setpgid(0, 0);
	if (s->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(s->cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	clock_gettime(CLOCK_MONOTONIC, &next);
	switch (s->kind) {
	case STRESSOR_VMALLOC_MODULE:
		run_vmalloc_module(a, s, &next);
		break;
	case STRESSOR_VMALLOC_CHURN:
		run_vmalloc_churn(s, &next);
		break;
	case STRESSOR_PTDUMP:
		run_ptdump(a, s, &next);
		break;
	case STRESSOR_MEMORY_PRESSURE:
		run_memory_pressure(s, &next);
		break;
	case STRESSOR_COMMAND:
		run_command(s, &next);
		break;
	}
	_exit(0);
}

static struct json_object *stressor_json(struct stressor *s)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "kind", json_object_new_string(kind_names[s->kind]));
	json_object_object_add(o, "running", json_object_new_boolean(s->pid > 0));
	json_object_object_add(o, "pid", json_object_new_int(s->pid)); /* the group: pgid */
	json_object_object_add(o, "paused", json_object_new_boolean(s->paused));
	json_object_object_add(o, "ops", json_object_new_int64((int64_t)atomic_load(&s->c->ops)));
	json_object_object_add(o, "errors", json_object_new_int64((int64_t)atomic_load(&s->c->errors)));
	json_object_object_add(o, "last_errno", json_object_new_int64(atomic_load(&s->c->last_errno)));
	return o;
}

struct json_object *stressors_json(void)
{
	struct json_object *o = json_object_new_object();

	for (int i = 0; i < STRESSOR_MAX; i++)
		if (stressors[i].c)
			json_object_object_add(o, stressors[i].name, stressor_json(&stressors[i]));
	return o;
}

void stressors_pause(bool pause)
{
	for (int i = 0; i < STRESSOR_MAX; i++) {
		struct stressor *s = &stressors[i];
		if (s->pid > 0 && s->paused != pause) {
			kill(-s->pid, pause ? SIGSTOP : SIGCONT);
			s->paused = pause;
		}
	}
}

/* From jobs_reap: a stressor's leader died on its own (or was stopped). */
void stressor_reaped(struct agent *a, int pid, int status)
{
	for (int i = 0; i < STRESSOR_MAX; i++) {
		struct stressor *s = &stressors[i];
		if (s->pid != pid)
			continue;
		s->pid = 0;
		s->paused = false;
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
			struct json_object *f = json_object_new_object();
			json_object_object_add(f, "name", json_object_new_string(s->name));
			json_object_object_add(f, "status", json_object_new_int(status));
			channel_event(a, "stressor-exited", f);
		}
	}
}

static int parse_kind(const char *k)
{
	for (size_t i = 0; i < ARRAY_SIZE(kind_names); i++)
		if (strcmp(kind_names[i], k) == 0)
			return (int)i;
	return -1;
}

void cmd_stressor_start(struct agent *a, struct json_object *id, struct json_object *args)
{
	static const struct arg_spec spec[] = {
		{ "name", json_type_string, true },
		{ "kind", json_type_string, true },
		{ "cpu", json_type_int, false },
		{ "rate_hz", json_type_int, false },
		{ "bytes", json_type_int, false },
		{ "threads", json_type_int, false },
		{ "mask", json_type_int, false },
		{ "repeat", json_type_int, false },
		{ "argv", json_type_array, false },
		{ "readers", json_type_int, false },
		{ "efi", json_type_boolean, false },
		{ "loops", json_type_int, false },
		{ "pages", json_type_int, false },
		{ "huge", json_type_boolean, false },
		{ NULL },
	};
	struct json_object *v;
	struct stressor *s;
	uint64_t n;
	int kind;
	const char *name;

	if (args_check(a, id, args, spec) < 0)
		return;
	json_object_object_get_ex(args, "name", &v);
	name = json_object_get_string(v);
	if (!*name || strlen(name) >= sizeof(s->name)) {
		channel_reply_error(a, id, EINVAL, "'name' must be 1 to 63 characters");
		return;
	}
	json_object_object_get_ex(args, "kind", &v);
	kind = parse_kind(json_object_get_string(v));
	if (kind < 0) {
		channel_reply_error(a, id, EINVAL, "'kind' must be vmalloc-module, vmalloc-churn, ptdump, memory-pressure or command");
		return;
	}
	s = find(name);
	if (s && s->pid > 0) {
		channel_reply_error(a, id, EBUSY, "stressor '%s' is running", name);
		return;
	}
	if (!s) {
		for (int i = 0; i < STRESSOR_MAX && !s; i++)
			if (!stressors[i].c)
				s = &stressors[i];
		if (!s) {
			channel_reply_error(a, id, ENOSPC, "at most %d stressors", STRESSOR_MAX);
			return;
		}
		s->c = mmap(NULL, sizeof(*s->c), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (s->c == MAP_FAILED) {
			s->c = NULL;
			channel_reply_error(a, id, errno, "mmap: %m");
			return;
		}
		snprintf(s->name, sizeof(s->name), "%s", name);
	}
	for (int i = 0; s->argv[i]; i++) {
		free(s->argv[i]);
		s->argv[i] = NULL;
	}
	s->kind = (enum stressor_kind)kind;
	s->cpu = -1;
	if (json_object_object_get_ex(args, "cpu", &v)) {
		s->cpu = json_object_get_int(v);
		if (s->cpu < 0 || s->cpu >= (int)sysconf(_SC_NPROCESSORS_ONLN)) {
			channel_reply_error(a, id, EINVAL, "'cpu' %d is not an online CPU", s->cpu);
			return;
		}
	}
	if (args_get_uint(args, "rate_hz", 100000, 0, &n) < 0) {
		channel_reply_error(a, id, ERANGE, "'rate_hz' must be 0 to 100000");
		return;
	}
	s->rate_hz = (unsigned)n;
	if (args_get_uint(args, "bytes", 16ull << 30, 64u << 20, &s->bytes) < 0 || s->bytes < 4096) {
		channel_reply_error(a, id, ERANGE, "'bytes' must be 4096 to 16 GiB");
		return;
	}
	if (args_get_uint(args, "threads", 64, 2, &n) < 0 || !n) {
		channel_reply_error(a, id, ERANGE, "'threads' must be 1 to 64");
		return;
	}
	s->threads = (unsigned)n;
	if (args_get_uint(args, "mask", 0xffff, 7, &n) < 0 || !n) {
		channel_reply_error(a, id, ERANGE, "'mask' must be 1 to 0xffff");
		return;
	}
	s->mask = (unsigned)n;
	if (args_get_uint(args, "repeat", 1000, 1, &n) < 0 || !n) {
		channel_reply_error(a, id, ERANGE, "'repeat' must be 1 to 1000");
		return;
	}
	s->repeat = (unsigned)n;
	if (args_get_uint(args, "readers", 64, 1, &n) < 0 || !n) {
		channel_reply_error(a, id, ERANGE, "'readers' must be 1 to 64");
		return;
	}
	s->readers = (unsigned)n;
	s->efi = json_object_object_get_ex(args, "efi", &v) && json_object_get_boolean(v);
	if (args_get_uint(args, "loops", 10000000, 0, &n) < 0) {
		channel_reply_error(a, id, ERANGE, "'loops' must be 0 to 10000000");
		return;
	}
	s->loops = (unsigned)n;
	if (args_get_uint(args, "pages", 262144, 0, &n) < 0) {
		channel_reply_error(a, id, ERANGE, "'pages' must be 0 to 262144");
		return;
	}
	s->pages = (unsigned)n;
	s->huge = json_object_object_get_ex(args, "huge", &v) && json_object_get_boolean(v);
	if (s->kind == STRESSOR_COMMAND) {
		size_t len;
		if (!json_object_object_get_ex(args, "argv", &v) || !(len = json_object_array_length(v)) ||
		    len > STRESSOR_MAX_ARGV) {
			channel_reply_error(a, id, EINVAL, "a command stressor needs 'argv': 1 to %d strings", STRESSOR_MAX_ARGV);
			return;
		}
		for (size_t i = 0; i < len; i++) {
			struct json_object *e = json_object_array_get_idx(v, i);
			if (!json_object_is_type(e, json_type_string) || (i == 0 && json_object_get_string(e)[0] != '/')) {
				channel_reply_error(a, id, EINVAL, "'argv[%zu]' must be a string%s", i,
						    i == 0 ? " and an absolute path" : "");
				for (size_t k = 0; k < i; k++) {
					free(s->argv[k]);
					s->argv[k] = NULL;
				}
				return;
			}
			s->argv[i] = strdup(json_object_get_string(e));
		}
	}
	/* counters add up over restarts (a remove-phase stressor runs many times);
	 * a new stressor starts from zero (the page is fresh) */
	pid_t pid = fork();
	if (pid < 0) {
		channel_reply_error(a, id, errno, "fork: %m");
		return;
	}
	if (pid == 0)
		stressor_main(a, s);
	setpgid(pid, pid);
	s->pid = pid;
	s->paused = false;
	channel_reply_ok(a, id, stressor_json(s));
}

void cmd_stressor_stop(struct agent *a, struct json_object *id, struct json_object *args)
{
	static const struct arg_spec spec[] = { { "name", json_type_string, false }, { NULL } };
	struct json_object *v, *ok = json_object_new_object();
	const char *name = NULL;

	if (args_check(a, id, args, spec) < 0) {
		json_object_put(ok);
		return;
	}
	if (json_object_object_get_ex(args, "name", &v))
		name = json_object_get_string(v);
	if (name && !find(name)) {
		json_object_put(ok);
		channel_reply_error(a, id, ENOENT, "no stressor '%.64s'", name);
		return;
	}
	for (int i = 0; i < STRESSOR_MAX; i++) {
		struct stressor *s = &stressors[i];
		if (!s->c || (name && strcmp(name, s->name)))
			continue;
		if (s->pid > 0) {
			kill(-s->pid, SIGKILL);
			kill(-s->pid, SIGCONT);
		}
		json_object_object_add(ok, s->name, stressor_json(s));
	}
	channel_reply_ok(a, id, ok);
}

void cmd_stressors(struct agent *a, struct json_object *id, struct json_object *args)
{
	static const struct arg_spec spec[] = { { NULL } };

	if (args_check(a, id, args, spec) < 0)
		return;
	channel_reply_ok(a, id, stressors_json());
}
