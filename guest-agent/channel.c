// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * channel.c - the agent's one connection to the host: the virtio-serial port
 * org.mhpstress.agent.0, or a unix socket for host-side tests.
 *
 * Output is buffered and written as the channel allows, so a host that stops
 * reading never blocks the agent. While the host is away (the virtio port
 * reports HUP), input is paused and re-checked every 100 ms; replies and
 * events wait in the buffer, which is capped: past the cap, events are
 * dropped and counted, replies are kept.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "cleanup.h"

static int find_virtio_port(const struct agent *a, char *dev, size_t size)
{
	char dir[512], name[128];
	DIR *d;
	struct dirent *de;
	int r = -ENOENT;

	if (path_join(a, dir, sizeof(dir), "/sys/class/virtio-ports") < 0)
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (read_sys(a, name, sizeof(name), "/sys/class/virtio-ports/%s/name", de->d_name) < 0)
			continue;
		if (strcmp(name, AGENT_PORT_NAME) == 0) {
			r = snprintf(dev, size, "/dev/%s", de->d_name) < (int)size ? 0 : -ENAMETOOLONG;
			break;
		}
	}
	closedir(d);
	return r;
}

int channel_open(struct agent *a)
{
	if (a->listen_path) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		_cleanup_fd_ int fd = -1;

		if (strlen(a->listen_path) >= sizeof(sa.sun_path))
			return -ENAMETOOLONG;
		strcpy(sa.sun_path, a->listen_path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		unlink(a->listen_path);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0)
			return -errno;
		a->listen_fd = TAKE_FD(fd);
		return 0;
	}

	char dev[300];
	int r = find_virtio_port(a, dev, sizeof(dev));

	if (r < 0)
		return r;
	/* The port can be opened once; a second open fails with EBUSY. */
	a->chan_fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (a->chan_fd < 0)
		return -errno;
	a->chan_is_virtio = true;
	fprintf(stderr, "mhpstress-agent: using %s\n", dev);
	return 0;
}

void channel_on_listen(struct agent *a)
{
	int fd = accept4(a->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	/* A new host connection replaces the old one, as a reconnect would. */
	if (a->chan_fd >= 0)
		close(a->chan_fd);
	a->chan_fd = fd;
	jsonl_reader_reset(&a->in);
}

static void host_gone(struct agent *a)
{
	jsonl_reader_reset(&a->in);
	if (a->chan_is_virtio) {
		a->chan_paused_until = now_ns() + 100000000ull;
	} else {
		close(a->chan_fd);
		a->chan_fd = -1;
		a->out_len = a->out_head = 0; /* a unix client does not come back; its replies go nowhere */
	}
}

static int out_append(struct agent *a, const char *s, size_t n)
{
	if (a->out_len + n > a->out_cap) {
		size_t cap = a->out_cap ? a->out_cap : 4096;
		char *nb;

		while (cap < a->out_len + n)
			cap *= 2;
		nb = realloc(a->out, cap);
		if (!nb)
			return -ENOMEM;
		a->out = nb;
		a->out_cap = cap;
	}
	memcpy(a->out + a->out_len, s, n);
	a->out_len += n;
	return 0;
}

void channel_send(struct agent *a, struct json_object *msg, bool is_event)
{
	size_t n;
	const char *s = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &n);

	if (is_event && a->out_len + n + 1 > AGENT_OUT_MAX) {
		a->dropped_events++;
		return;
	}
	if (out_append(a, s, n) < 0 || out_append(a, "\n", 1) < 0)
		a->dropped_events++;
	channel_on_writable(a);
}

/* Bytes as they are, with no cap: only the test-only hostile mode writes these. */
void channel_send_raw(struct agent *a, const char *s, size_t n)
{
	if (out_append(a, s, n) < 0)
		a->dropped_events++;
}

void channel_reply_ok(struct agent *a, struct json_object *id, struct json_object *ok)
{
	_cleanup_json_ struct json_object *msg = NULL;

	if (a->hostile_firing && hostile_on_reply(a, id, ok)) {
		json_object_put(ok);
		channel_on_writable(a);
		return;
	}
	msg = json_object_new_object();

	json_object_object_add(msg, "id", json_object_get(id));
	json_object_object_add(msg, "ok", ok ? ok : json_object_new_object());
	channel_send(a, msg, false);
}

void channel_reply_error(struct agent *a, struct json_object *id, int err, const char *fmt, ...)
{
	_cleanup_json_ struct json_object *msg = NULL;
	struct json_object *e;
	char text[512];
	va_list ap;

	if (a->hostile_firing && hostile_on_reply(a, id, NULL)) {
		channel_on_writable(a);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	msg = json_object_new_object();
	e = json_object_new_object();
	json_object_object_add(e, "errno", json_object_new_int(err));
	json_object_object_add(e, "msg", json_object_new_string(text));
	json_object_object_add(msg, "id", json_object_get(id));
	json_object_object_add(msg, "error", e);
	channel_send(a, msg, false);
}

void channel_event(struct agent *a, const char *name, struct json_object *fields)
{
	struct json_object *msg = json_object_new_object();

	json_object_object_add(msg, "event", json_object_new_string(name));
	json_object_object_add(msg, "ts_ns", json_object_new_int64((int64_t)now_ns()));
	if (fields) {
		json_object_object_foreach(fields, k, v)
			json_object_object_add(msg, k, json_object_get(v));
		json_object_put(fields);
	}
	channel_send(a, msg, true);
	json_object_put(msg);
}

void channel_on_readable(struct agent *a)
{
	char buf[16384];

	for (;;) {
		ssize_t n = read(a->chan_fd, buf, sizeof(buf));

		if (n == 0) {
			host_gone(a);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				host_gone(a);
			return;
		}
		size_t off = 0;
		while (off < (size_t)n) {
			const char *line = NULL;
			size_t used;
			int r = jsonl_reader_feed(&a->in, buf + off, (size_t)n - off, &used, &line);

			off += used;
			if (r == JSONL_LINE)
				command_dispatch(a, line);
			else if (r == JSONL_TOO_LONG)
				channel_reply_error(a, NULL, EMSGSIZE,
						    "request line longer than %u bytes", JSONL_MAX_LINE);
			if (a->chan_fd < 0)
				return;
		}
	}
}

void channel_on_writable(struct agent *a)
{
	size_t off = a->out_head;

	if (a->chan_fd < 0 || now_ns() < a->chan_paused_until)
		return;
	while (off < a->out_len) {
		ssize_t n = write(a->chan_fd, a->out + off, a->out_len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				host_gone(a);
			break;
		}
		off += (size_t)n;
	}
	if (a->chan_fd < 0)
		return;
	a->out_head = off;
	/* a big buffer goes out in many writes: move what is left only once
	 * half of it is out, so a 64 MiB line costs linear time */
	if (off == a->out_len) {
		a->out_len = a->out_head = 0;
		if (a->out_cap > AGENT_OUT_KEEP) {
			/* a burst (a hostile case's 64 MiB line) does not stay
			 * resident: it would skew the guest's MemFree checks */
			free(a->out);
			a->out = NULL;
			a->out_cap = 0;
		}
	} else if (off > a->out_len / 2) {
		memmove(a->out, a->out + off, a->out_len - off);
		a->out_len -= off;
		a->out_head = 0;
	}
}

/* Before reboot or poweroff: give the reply a chance to leave. */
int channel_flush_blocking(struct agent *a, int timeout_ms)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000ull;

	while (a->out_len && a->chan_fd >= 0) {
		uint64_t now = now_ns();
		struct pollfd p = { .fd = a->chan_fd, .events = POLLOUT };

		if (now >= deadline)
			return -ETIMEDOUT;
		a->chan_paused_until = 0;
		if (poll(&p, 1, (int)((deadline - now) / 1000000ull) + 1) > 0)
			channel_on_writable(a);
	}
	return 0;
}
