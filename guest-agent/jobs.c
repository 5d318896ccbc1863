// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * jobs.c - work that can hang runs in a child process, never in the loop.
 *
 * A kernel under test can block a sysfs write or a ptdump read forever (a
 * task in D state). So each such request forks a child that does the work
 * and writes its result into a pipe. The loop collects the pipe and answers
 * when it closes, or at the request's deadline: then the child is killed
 * and the partial result is reported. A child that does not die (D state)
 * is counted as stuck and reaped if it ever exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static void child_close_fds(int keep)
{
	/* keep 0-2 (the console) and the result pipe as fd 3 */
	if (keep != 3) {
		dup2(keep, 3);
		close(keep);
	}
	if (close_range(4, ~0u, 0) < 0) {
		for (int fd = 4; fd < 1024; fd++)
			close(fd);
	}
}

int job_start(struct agent *a, struct json_object *id, unsigned timeout_ms,
	      job_child_fn child, job_done_fn done, void *ctx)
{
	struct job *j = calloc(1, sizeof(*j));
	int p[2];

	if (!j)
		return -ENOMEM;
	if (pipe2(p, O_CLOEXEC) < 0) {
		free(j);
		return -errno;
	}
	j->pid = fork();
	if (j->pid < 0) {
		int r = -errno;

		close(p[0]);
		close(p[1]);
		free(j);
		return r;
	}
	if (j->pid == 0) {
		sigset_t all;

		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		close(p[0]);
		child_close_fds(p[1]);
		_exit(child(a, ctx, 3));
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	j->fd = p[0];
	j->started_ns = now_ns();
	j->deadline_ns = j->started_ns + (uint64_t)timeout_ms * 1000000ull;
	j->id = json_object_get(id);
	j->done = done;
	j->ctx = ctx;
	j->next = a->jobs;
	a->jobs = j;
	return 0;
}

static void job_free(struct job *j)
{
	json_object_put(j->id);
	free(j->buf);
	free(j->ctx);
	free(j);
}

static void job_unlink(struct agent *a, struct job *j)
{
	for (struct job **pp = &a->jobs; *pp; pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			return;
		}
	}
}

static void job_finish(struct agent *a, struct job *j, int err)
{
	close(j->fd);
	j->fd = -1;
	j->done(a, j->id, err, j->buf ? j->buf : "", j->len, j->ctx);
	if (j->exited) {
		job_unlink(a, j);
		job_free(j);
	}
}

void job_on_readable(struct agent *a, struct job *j)
{
	for (;;) {
		if (j->cap - j->len < 4096) {
			size_t cap = j->cap ? j->cap * 2 : 65536;
			char *nb;

			if (cap > AGENT_JOB_OUT_MAX + 1) {
				kill(j->pid, SIGKILL);
				j->killed = true;
				job_finish(a, j, -EFBIG);
				return;
			}
			nb = realloc(j->buf, cap);
			if (!nb) {
				job_finish(a, j, -ENOMEM);
				return;
			}
			j->buf = nb;
			j->cap = cap;
		}
		ssize_t n = read(j->fd, j->buf + j->len, j->cap - j->len - 1);

		if (n > 0) {
			j->len += (size_t)n;
			j->buf[j->len] = '\0';
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		job_finish(a, j, 0);
		return;
	}
}

void jobs_on_deadlines(struct agent *a, uint64_t now)
{
	struct job *j = a->jobs, *next;

	for (; j; j = next) {
		next = j->next;
		if (j->fd < 0 || now < j->deadline_ns)
			continue;
		kill(j->pid, SIGKILL);
		j->killed = true;
		/* drain what the child managed to say before its deadline */
		for (;;) {
			if (j->cap - j->len < 2)
				break;
			ssize_t n = read(j->fd, j->buf + j->len, j->cap - j->len - 1);
			if (n <= 0)
				break;
			j->len += (size_t)n;
			j->buf[j->len] = '\0';
		}
		job_finish(a, j, -ETIMEDOUT);
	}
}

void jobs_reap(struct agent *a)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid <= 0)
			return;
		hog_reaped(a, pid);
		stressor_reaped(a, pid, status);
		for (struct job *j = a->jobs; j; j = j->next) {
			if (j->pid != pid)
				continue;
			j->exited = true;
			if (j->fd < 0) {
				job_unlink(a, j);
				job_free(j);
			}
			break;
		}
	}
}

unsigned jobs_running(const struct agent *a)
{
	unsigned n = 0;

	for (const struct job *j = a->jobs; j; j = j->next)
		n++;
	return n;
}
