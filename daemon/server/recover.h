/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * recover.h - at start-up, the runs earlier daemons left in the results
 * root. Private to daemon/server/ (daemon.c calls it once).
 */
#ifndef MHP_SERVER_RECOVER_H
#define MHP_SERVER_RECOVER_H

#include <glib.h>

#include "run.h"

/**
 * recover_runs() - read every run directory under @root back in.
 * @root: the results root
 * @runs: the Run*s are appended here, then the array is sorted by start time
 * @hooks: for run_new()
 * @hooks_data: for run_new()
 * @ret_seq: raised to the highest run number seen, so new ids count on
 *
 * A run found queued or running, or whose state.json has no readable state,
 * belonged to a daemon that died: it becomes interrupted, what its backend
 * left running is stopped (the class named by state.json's "backend";
 * "qemu" when absent) and a summary is made from its cycles.jsonl.
 */
void recover_runs(const char *root, GPtrArray *runs, const RunHooks *hooks, gpointer hooks_data, guint64 *ret_seq);

#endif
