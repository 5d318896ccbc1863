/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daemon.h - mhpstressd: hosts runs (one cycle engine and one VM each) on
 * one GMainLoop and serves the control protocol.
 */
#ifndef MHP_DAEMON_H
#define MHP_DAEMON_H

#include <glib.h>

typedef struct MhpDaemon MhpDaemon;

typedef struct {
	const char *socket_path;
	int listen_fd;          /* socket activation: an already listening fd, or -1 */
	const char *results_root;
	guint max_runs;         /* runs at once; more are queued */
} MhpDaemonConfig;

/**
 * mhp_daemon_new() - recover earlier runs and listen on the control socket.
 * @loop: quit when a graceful shutdown has finished
 *
 * Runs that were queued or running when an earlier daemon died are marked
 * interrupted; what their backend left running is stopped (recover.h).
 */
MhpDaemon *mhp_daemon_new(GMainLoop *loop, const MhpDaemonConfig *cfg, GError **error);
/* SIGTERM/SIGINT: stop every run gracefully, then quit the loop. */
void mhp_daemon_shutdown(MhpDaemon *d);
void mhp_daemon_free(MhpDaemon *d);

#endif
