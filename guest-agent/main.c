// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - mhpstress-agent: the guest side of mhpstress.
 *
 * DOC: Theory of Operation
 *
 * One poll() loop, no threads. Its sources, dispatched by type:
 *  - the host channel (virtio-serial port, or a unix socket in tests):
 *    JSON-lines requests in, replies and events out, buffered;
 *  - a signalfd for SIGCHLD (reap children) and SIGTERM/SIGINT (quit);
 *  - the uevent netlink socket (memory blocks appearing and vanishing);
 *  - /dev/kmsg (warnings and failure patterns become events);
 *  - one pipe per child job (sysfs writes and ptdump reads that may hang).
 * The poll timeout is the nearest deadline: a job's, a waiter's or the
 * heartbeat's. Nothing in the loop blocks on the kernel under test.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "agent.h"
#include "cleanup.h"

enum src_type {
	SRC_LISTEN,
	SRC_CHANNEL,
	SRC_SIGNAL,
	SRC_UEVENT,
	SRC_INOTIFY,
	SRC_KMSG,
	SRC_JOB,
};

#define MAX_FDS 256

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mhpstress-agent [--listen unix:PATH] [--heartbeat-ms N] [--hostile[=CASE]]\n"
		"  Serves the mhpstress agent protocol on the virtio-serial port\n"
		"  '" AGENT_PORT_NAME "', or on a unix socket for tests.\n"
		"  MHPSTRESS_SYSROOT prefixes every /sys, /proc and /dev path.\n"
		"  --hostile (test-only) lets 'inject' arm protocol misbehaviours;\n"
		"  =CASE arms one for good; --hostile=list lists them.\n");
}

static void heartbeat(struct agent *a, uint64_t now)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "seq", json_object_new_int64((int64_t)++a->heartbeat_seq));
	json_object_object_add(f, "children", json_object_new_int((int)jobs_running(a)));
	channel_event(a, "heartbeat", f);
	a->next_heartbeat_ns = now + (uint64_t)a->heartbeat_ms * 1000000ull;
}

static int poll_timeout(const struct agent *a, uint64_t now)
{
	uint64_t next = a->heartbeat_ms ? a->next_heartbeat_ns : UINT64_MAX;

	for (const struct job *j = a->jobs; j; j = j->next)
		if (j->fd >= 0 && j->deadline_ns < next)
			next = j->deadline_ns;
	for (const struct waiter *w = a->waiters; w; w = w->next)
		if (w->deadline_ns < next)
			next = w->deadline_ns;
	if (a->chan_is_virtio && a->chan_paused_until > now && a->chan_paused_until < next)
		next = a->chan_paused_until;
	if (next == UINT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	uint64_t ms = (next - now + 999999) / 1000000;
	return ms > 60000 ? 60000 : (int)ms;
}

static void on_signal(struct agent *a)
{
	struct signalfd_siginfo si;

	while (read(a->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			jobs_reap(a);
		else
			a->quit = true;
	}
}

static int run(struct agent *a)
{
	struct pollfd pfd[MAX_FDS];
	enum src_type type[MAX_FDS];
	struct job *jobp[MAX_FDS];

	while (!a->quit) {
		uint64_t now = now_ns();
		nfds_t n = 0;

#define ADD(fd_, ev_, t_, j_) do { pfd[n] = (struct pollfd){ .fd = (fd_), .events = (ev_) }; \
		type[n] = (t_); jobp[n] = (j_); n++; } while (0)
		if (a->listen_fd >= 0)
			ADD(a->listen_fd, POLLIN, SRC_LISTEN, NULL);
		if (a->chan_fd >= 0 && now >= a->chan_paused_until)
			ADD(a->chan_fd, POLLIN | (a->out_len ? POLLOUT : 0), SRC_CHANNEL, NULL);
		ADD(a->sig_fd, POLLIN, SRC_SIGNAL, NULL);
		if (a->uevent_fd >= 0)
			ADD(a->uevent_fd, POLLIN, SRC_UEVENT, NULL);
		if (a->inotify_fd >= 0)
			ADD(a->inotify_fd, POLLIN, SRC_INOTIFY, NULL);
		if (a->kmsg_fd >= 0)
			ADD(a->kmsg_fd, POLLIN, SRC_KMSG, NULL);
		for (struct job *j = a->jobs; j && n < MAX_FDS; j = j->next)
			if (j->fd >= 0)
				ADD(j->fd, POLLIN, SRC_JOB, j);
#undef ADD

		int r = poll(pfd, n, poll_timeout(a, now));
		if (r < 0 && errno != EINTR)
			return -errno;
		now = now_ns();
		for (nfds_t i = 0; r > 0 && i < n; i++) {
			short re = pfd[i].revents;

			if (!re)
				continue;
			switch (type[i]) {
			case SRC_LISTEN:
				channel_on_listen(a);
				break;
			case SRC_CHANNEL:
				if (re & POLLIN)
					channel_on_readable(a);
				else if (re & (POLLHUP | POLLERR))
					channel_on_readable(a); /* reads EOF, pauses or drops */
				if (a->chan_fd >= 0 && (re & POLLOUT))
					channel_on_writable(a);
				break;
			case SRC_SIGNAL:
				on_signal(a);
				break;
			case SRC_UEVENT:
				memblock_on_uevent(a);
				break;
			case SRC_INOTIFY:
				memblock_on_inotify(a);
				break;
			case SRC_KMSG:
				kmsg_on_readable(a);
				break;
			case SRC_JOB:
				job_on_readable(a, jobp[i]);
				break;
			}
			/* a handler may have freed jobs listed after this one */
			if (type[i] == SRC_JOB || type[i] == SRC_SIGNAL)
				break;
		}
		jobs_on_deadlines(a, now);
		waiters_recheck(a, now);
		if (a->heartbeat_ms && now >= a->next_heartbeat_ns)
			heartbeat(a, now);
		if (a->chan_fd >= 0 && a->out_len)
			channel_on_writable(a);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "heartbeat-ms", required_argument, NULL, 'b' },
		{ "hostile", optional_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL },
	};
	struct agent a = {
		.listen_fd = -1, .chan_fd = -1, .sig_fd = -1, .uevent_fd = -1,
		.inotify_fd = -1, .kmsg_fd = -1, .heartbeat_ms = 1000,
	};
	const char *root = getenv("MHPSTRESS_SYSROOT");
	sigset_t mask;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (strncmp(optarg, "unix:", 5) != 0 || !optarg[5]) {
				fprintf(stderr, "mhpstress-agent: --listen '%s': expected unix:PATH\n", optarg);
				return 2;
			}
			a.listen_path = optarg + 5;
			break;
		case 'b': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || v > 3600000) {
				fprintf(stderr, "mhpstress-agent: --heartbeat-ms '%s': expected 0 to 3600000\n", optarg);
				return 2;
			}
			a.heartbeat_ms = (unsigned)v;
			break;
		}
		case 'H':
			a.hostile = true;
			if (optarg && strcmp(optarg, "list") == 0) {
				hostile_list(stdout);
				return 0;
			}
			if (optarg && hostile_arm(&a, optarg, true) < 0) {
				fprintf(stderr, "mhpstress-agent: --hostile '%s': no such case (--hostile=list)\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	a.sysroot = root ? root : "";
	a.start_ns = now_ns();
	a.next_heartbeat_ns = a.start_ns;
	if (jsonl_reader_init(&a.in, JSONL_MAX_LINE) < 0)
		return 1;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	a.sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (a.sig_fd < 0) {
		perror("mhpstress-agent: signalfd");
		jsonl_reader_free(&a.in);
		return 1;
	}
	r = channel_open(&a);
	if (r < 0) {
		fprintf(stderr, "mhpstress-agent: cannot open %s: %s\n",
			a.listen_path ? a.listen_path : "virtio port '" AGENT_PORT_NAME "'", strerror(-r));
		jsonl_reader_free(&a.in);
		return 1;
	}
	r = memblock_uevent_open(&a);
	if (r < 0)
		fprintf(stderr, "mhpstress-agent: no uevents (%s), wait-blocks relies on deadlines, ignoring\n",
			strerror(-r));
	r = kmsg_open(&a);
	if (r < 0)
		fprintf(stderr, "mhpstress-agent: cannot follow /dev/kmsg: %s, ignoring\n", strerror(-r));

	r = run(&a);
	if (a.power_action) {
		channel_flush_blocking(&a, 2000);
		if (!a.sysroot[0]) {
			sync();
			reboot(a.power_action);
			perror("mhpstress-agent: reboot");
			return 1;
		}
	}
	if (a.listen_path)
		unlink(a.listen_path);
	jsonl_reader_free(&a.in);
	free(a.out);
	while (a.waiters) {
		struct waiter *w = a.waiters;
		a.waiters = w->next;
		json_object_put(w->id);
		free(w);
	}
	return r < 0 ? 1 : 0;
}
