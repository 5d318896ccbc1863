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

/* The command line, as systemd's tools keep it: arg_* globals and one table. */
static char *arg_socket;
static char *arg_results;
static gint arg_max_runs = 2;
static gboolean arg_version;

static const GOptionEntry options[] = {
	{ "socket", 0, 0, G_OPTION_ARG_FILENAME, &arg_socket,
	  "control socket (default: /run/mhpstress/control for root, else $XDG_RUNTIME_DIR/mhpstress/control)", "PATH" },
	{ "results", 0, 0, G_OPTION_ARG_FILENAME, &arg_results,
	  "where runs are written (default: /var/lib/mhpstress/runs for root)", "DIR" },
	{ "max-runs", 0, 0, G_OPTION_ARG_INT, &arg_max_runs, "runs at once; more are queued (default 2)", "N" },
	{ "version", 0, 0, G_OPTION_ARG_NONE, &arg_version, "print the version", NULL },
	{ NULL },
};

/* Return: -1 to go on, else the exit status. */
static int parse_argv(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) oc = g_option_context_new("- the mhpstress daemon");

	g_option_context_add_main_entries(oc, options, NULL);
	if (!g_option_context_parse(oc, &argc, &argv, &error)) {
		fprintf(stderr, "mhpstressd: %s\n", error->message);
		return 2;
	}
	if (arg_version) {
		printf("mhpstressd %s\n", MHP_VERSION);
		return 0;
	}
	if (argc != 1 || arg_max_runs < 1 || arg_max_runs > 64) {
		fprintf(stderr, "mhpstressd: unexpected arguments (see --help); --max-runs is 1 to 64\n");
		return 2;
	}
	if (!arg_socket)
		arg_socket = mhp_ctl_default_socket();
	if (!arg_results)
		arg_results = default_results();
	return -1;
}

int main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	MhpDaemonConfig cfg;
	GMainLoop *loop;
	MhpDaemon *d;
	int rc;

	setlocale(LC_ALL, "");
	rc = parse_argv(argc, argv);
	if (rc >= 0)
		return rc;
	cfg = (MhpDaemonConfig){ .socket_path = arg_socket, .listen_fd = activation_fd(), .results_root = arg_results,
				 .max_runs = (guint)arg_max_runs };
	loop = g_main_loop_new(NULL, FALSE);
	d = mhp_daemon_new(loop, &cfg, &error);
	if (!d) {
		fprintf(stderr, "mhpstressd: %s\n", error->message);
		g_main_loop_unref(loop);
		return 2;
	}
	g_unix_signal_add(SIGTERM, on_signal, d);
	g_unix_signal_add(SIGINT, on_signal, d);
	fprintf(stderr, "mhpstressd: listening on %s, results in %s\n", arg_socket, arg_results);
	g_main_loop_run(loop);
	mhp_daemon_free(d);
	g_main_loop_unref(loop);
	g_free(arg_socket);
	g_free(arg_results);
	return 0;
}
