/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent.h - mhpstress-agent internals shared between its source files.
 */
#ifndef MHP_AGENT_H
#define MHP_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <json-c/json.h>

#include "jsonl.h"

#define AGENT_VERSION "0.1.0"
#define AGENT_PORT_NAME "org.mhpstress.agent.0"
#define AGENT_OUT_MAX (8u << 20)      /* pending output kept while the host is away */
#define AGENT_OUT_KEEP (1u << 20)     /* an emptied output buffer larger than this is freed */
#define AGENT_JOB_OUT_MAX (32u << 20) /* what one child may hand back */

struct agent;
struct job;
struct hostile_case;

/**
 * typedef job_child_fn - runs in the forked child; writes its result to @fd.
 * Return: the child's exit status.
 */
typedef int (*job_child_fn)(struct agent *a, void *ctx, int fd);

/**
 * typedef job_done_fn - runs in the agent when the child's output is complete.
 * @err: 0, or -ETIMEDOUT when the deadline killed the child (@out is partial)
 */
typedef void (*job_done_fn)(struct agent *a, struct json_object *id, int err,
			    const char *out, size_t len, void *ctx);

struct job {
	struct job *next;
	pid_t pid;
	int fd;              /* read end of the child's result pipe; -1 once done */
	char *buf;
	size_t len, cap;
	uint64_t started_ns;
	uint64_t deadline_ns;
	struct json_object *id;
	job_done_fn done;
	void *ctx;
	bool exited;
	bool killed;
};

struct waiter {
	struct waiter *next;
	struct json_object *id;
	uint64_t first, last; /* block indexes */
	bool present;         /* wait for existence, or for removal */
	bool report;          /* add MemTotal to the reply */
	uint64_t started_ns;
	uint64_t deadline_ns;
};

struct agent {
	const char *sysroot;    /* "" on a real guest */
	const char *listen_path;/* --listen unix:PATH, or NULL for the virtio port */
	int listen_fd;
	int chan_fd;
	bool chan_is_virtio;
	uint64_t chan_paused_until; /* virtio host away: re-check after this */
	struct jsonl_reader in;
	char *out;
	size_t out_head;        /* written so far; compacted once past half */
	size_t out_len, out_cap;
	uint64_t dropped_events;

	int sig_fd;
	int uevent_fd;
	int inotify_fd;
	int kmsg_fd;

	struct job *jobs;
	unsigned stuck_children;
	struct waiter *waiters;

	unsigned heartbeat_ms;
	uint64_t next_heartbeat_ns;
	uint64_t heartbeat_seq;
	uint64_t start_ns;
	bool quit;
	int power_action; /* 0, or a RB_* value to run once output is flushed */
	int hog_pid;      /* the child holding memory for 'hog', 0 if none */
	struct json_object *hog_release_id;

	bool hostile;                              /* --hostile: test-only */
	const struct hostile_case *hostile_armed;  /* for the next request it names */
	const struct hostile_case *hostile_firing; /* for the reply to hostile_id */
	const struct hostile_case *hostile_sticky; /* --hostile=CASE: re-armed after each */
	int64_t hostile_id;
};

/* util.c */
uint64_t now_ns(void);
int path_join(const struct agent *a, char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int read_file_at(const char *path, char *buf, size_t size, size_t *ret_len);
int read_sys(const struct agent *a, char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void strip_newline(char *s);

/* channel.c */
int channel_open(struct agent *a);
void channel_send(struct agent *a, struct json_object *msg, bool is_event);
void channel_send_raw(struct agent *a, const char *s, size_t n);
void channel_reply_ok(struct agent *a, struct json_object *id, struct json_object *ok);
void channel_reply_error(struct agent *a, struct json_object *id, int err,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void channel_event(struct agent *a, const char *name, struct json_object *fields);
void channel_on_readable(struct agent *a);
void channel_on_writable(struct agent *a);
void channel_on_listen(struct agent *a);
int channel_flush_blocking(struct agent *a, int timeout_ms);

/* jobs.c */
int job_start(struct agent *a, struct json_object *id, unsigned timeout_ms,
	      job_child_fn child, job_done_fn done, void *ctx);
void job_on_readable(struct agent *a, struct job *j);
void jobs_on_deadlines(struct agent *a, uint64_t now);
void jobs_reap(struct agent *a);
unsigned jobs_running(const struct agent *a);

/* commands.c */
void command_dispatch(struct agent *a, const char *line);

/* memblock.c */
int memblock_uevent_open(struct agent *a);
void memblock_on_uevent(struct agent *a);
void memblock_on_inotify(struct agent *a);
void waiters_recheck(struct agent *a, uint64_t now);
void cmd_blocks(struct agent *a, struct json_object *id, struct json_object *args);
void cmd_online(struct agent *a, struct json_object *id, struct json_object *args);
void cmd_offline(struct agent *a, struct json_object *id, struct json_object *args);
void cmd_wait_blocks(struct agent *a, struct json_object *id, struct json_object *args);
int memblock_size(const struct agent *a, uint64_t *ret);

/* kmsg.c */
int kmsg_open(struct agent *a);
void kmsg_on_readable(struct agent *a);
void cmd_dmesg(struct agent *a, struct json_object *id, struct json_object *args);
const char *kmsg_match(const char *msg);

/* hog.c */
void cmd_hog(struct agent *a, struct json_object *id, struct json_object *args);
void cmd_hog_release(struct agent *a, struct json_object *id, struct json_object *args);
void hog_reaped(struct agent *a, int pid);

/* stressor.c */
void cmd_stressor_start(struct agent *a, struct json_object *id, struct json_object *args);
void cmd_stressor_stop(struct agent *a, struct json_object *id, struct json_object *args);
void cmd_stressors(struct agent *a, struct json_object *id, struct json_object *args);
struct json_object *stressors_json(void);
void stressors_pause(bool pause);
void stressor_reaped(struct agent *a, int pid, int status);

/* inject.c */
void cmd_inject(struct agent *a, struct json_object *id, struct json_object *args);

/* hostile.c (test-only) */
int hostile_arm(struct agent *a, const char *name, bool sticky);
void hostile_list(FILE *f);
void hostile_on_request(struct agent *a, const char *cmd, struct json_object *id);
bool hostile_on_reply(struct agent *a, struct json_object *id, struct json_object *ok);
void cmd_inject_hostile(struct agent *a, struct json_object *id, struct json_object *args);

/* args.c */
struct arg_spec {
	const char *name;
	enum json_type type;
	bool required;
};

int args_check(struct agent *a, struct json_object *id, struct json_object *args,
	       const struct arg_spec *spec);
int args_get_uint(struct json_object *args, const char *name, uint64_t max,
		  uint64_t def, uint64_t *ret);

#endif
