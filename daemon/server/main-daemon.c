// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main-daemon.c - mhpstressd: the host daemon.
 *
 *   mhpstressd [--socket PATH] [--results DIR] [--max-runs N]
 *
 * With systemd socket activation (LISTEN_FDS=1, LISTEN_PID=our pid) it
 * serves the passed socket instead of creating one.
 */
#include <errno.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control-proto.h"
#include "daemon.h"

static char *default_results(void)
{
	if (geteuid() == 0)
		return g_strdup("/var/lib/mhpstress/runs");
	return g_build_filename(g_get_user_state_dir(), "mhpstress", "runs", NULL);
}

/* sd_listen_fds() without libsystemd: the first passed fd is 3. */
static int activation_fd(void)
{
	const char *pid = g_getenv("LISTEN_PID"), *fds = g_getenv("LISTEN_FDS");

	if (!pid || !fds || strtol(pid, NULL, 10) != getpid() || strtol(fds, NULL, 10) < 1)
		return -1;
	g_unsetenv("LISTEN_PID");
	g_unsetenv("LISTEN_FDS");
	g_unsetenv("LISTEN_FDNAMES");
	return 3;
}

static gboolean on_signal(gpointer user_data)
{
	fprintf(stderr, "mhpstressd: stopping every run\n");
	mhp_daemon_shutdown(user_data);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	g_autofree char *socket_path = NULL, *results = NULL;
	gint max_runs = 2;
	gboolean version = FALSE;
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) oc = g_option_context_new("- the mhpstress daemon");
	GOptionEntry entries[] = {
		{ "socket", 0, 0, G_OPTION_ARG_FILENAME, &socket_path, "control socket (default: /run/mhpstress/control for root, else $XDG_RUNTIME_DIR/mhpstress/control)", "PATH" },
		{ "results", 0, 0, G_OPTION_ARG_FILENAME, &results, "where runs are written (default: /var/lib/mhpstress/runs for root)", "DIR" },
		{ "max-runs", 0, 0, G_OPTION_ARG_INT, &max_runs, "runs at once; more are queued (default 2)", "N" },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version, "print the version", NULL },
		{ NULL },
	};
	MhpDaemonConfig cfg;
	GMainLoop *loop;
	MhpDaemon *d;

	setlocale(LC_ALL, "");
	g_option_context_add_main_entries(oc, entries, NULL);
	if (!g_option_context_parse(oc, &argc, &argv, &error)) {
		fprintf(stderr, "mhpstressd: %s\n", error->message);
		return 2;
	}
	if (version) {
		printf("mhpstressd %s\n", MHP_VERSION);
		return 0;
	}
	if (argc != 1 || max_runs < 1 || max_runs > 64) {
		fprintf(stderr, "mhpstressd: unexpected arguments (see --help); --max-runs is 1 to 64\n");
		return 2;
	}
	if (!socket_path)
		socket_path = mhp_ctl_default_socket();
	if (!results)
		results = default_results();
	cfg = (MhpDaemonConfig){ .socket_path = socket_path, .listen_fd = activation_fd(), .results_root = results,
				 .max_runs = (guint)max_runs };
	loop = g_main_loop_new(NULL, FALSE);
	d = mhp_daemon_new(loop, &cfg, &error);
	if (!d) {
		fprintf(stderr, "mhpstressd: %s\n", error->message);
		g_main_loop_unref(loop);
		return 2;
	}
	g_unix_signal_add(SIGTERM, on_signal, d);
	g_unix_signal_add(SIGINT, on_signal, d);
	fprintf(stderr, "mhpstressd: listening on %s, results in %s\n", socket_path, results);
	g_main_loop_run(loop);
	mhp_daemon_free(d);
	g_main_loop_unref(loop);
	return 0;
}
