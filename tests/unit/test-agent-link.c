// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-agent-link.c - a connection the host drops in the middle of a line
 * (too deep, too long): the agent's output waits and goes on over the next
 * connection, so the link's first bytes there are that line's tail. The
 * link skips them up to the newline; a '{' in them is no reply.
 */
#include <errno.h>
#include <gio/gio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent-link.h"
#include "tap.h"

static struct json_object *reply;
static gboolean replied;

static void on_reply(MhpAgentLink *l, struct json_object *ok, const GError *error, gpointer user_data)
{
	replied = TRUE;
	reply = ok ? json_object_get(ok) : NULL;
	if (error)
		printf("# reply error: %s\n", error->message);
}

/* Run the loop until a connection comes to @lfd (non-blocking) or 5 s pass. */
static int accept_one(int lfd)
{
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	while (g_get_monotonic_time() < end) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0)
			return fd;
		g_main_context_iteration(NULL, FALSE);
		g_usleep(1000);
	}
	return -1;
}

static gboolean write_str(int fd, const char *s)
{
	return write(fd, s, strlen(s)) == (ssize_t)strlen(s);
}

int main(void)
{
	g_autofree char *dir = g_dir_make_tmp("test-agent-link-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "agent.sock", NULL);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	MhpAgentLinkCallbacks cb = { 0 };
	g_autoptr(GError) error = NULL;
	MhpAgentLink *l = mhp_agent_link_new(NULL, &cb, NULL);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), a, b;
	char buf[4096];
	gint64 end;

	g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0) {
		printf("Bail out! cannot listen on %s: %s\n", path, g_strerror(errno));
		return 1;
	}
	tap_ok(mhp_agent_link_connect(l, path, 5000, &error), "the link connects");
	a = accept_one(lfd);
	tap_ok(a >= 0, "the first connection");

	/* 17 deep: the host drops the connection mid-line */
	write_str(a, "{\"event\":\"deep\",\"x\":[[[[[[[[[[[[[[[[[[[[[[[[");
	b = accept_one(lfd);
	tap_ok(b >= 0, "the link drops the first connection and connects again");
	tap_ok(read(a, buf, sizeof(buf)) == 0, "the first connection is closed");

	mhp_agent_link_call(l, "ping", NULL, 5000, on_reply, NULL);
	/* the tail of the cut line, with a reply to id 1 in it, then the real reply */
	write_str(b, "{\"id\":1,\"ok\":{\"from\":\"the cut line\"}}]]]]]]]]]]]]]]]]]]]]]]]]}\n"
		     "{\"id\":1,\"ok\":{\"from\":\"the agent\"}}\n");
	end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (!replied && g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, TRUE);
	tap_ok(replied && reply, "the request is answered");
	tap_ok(reply && !strcmp(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN), "{\"from\":\"the agent\"}"),
	       "by the agent's reply, not by the cut line's tail: %s",
	       reply ? json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN) : "(none)");
	tap_ok(mhp_agent_link_is_connected(l), "the second connection stays up");

	json_object_put(reply);
	mhp_agent_link_free(l);
	close(a);
	close(b);
	close(lfd);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
