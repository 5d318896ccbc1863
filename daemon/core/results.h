/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * results.h - a run's results directory.
 */
#ifndef MHP_RESULTS_H
#define MHP_RESULTS_H

#include <glib.h>
#include <json-c/json.h>

typedef struct MhpResults MhpResults;

/* Create @dir (and parents); refuse a directory that already holds a run. */
MhpResults *mhp_results_open(const char *dir, GError **error);
void mhp_results_close(MhpResults *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MhpResults, mhp_results_close)

const char *mhp_results_dir(MhpResults *r);
char *mhp_results_path(MhpResults *r, const char *name);

/**
 * mhp_results_write_json() - replace @name with @obj, atomically (tmp + rename).
 */
gboolean mhp_results_write_json(MhpResults *r, const char *name, struct json_object *obj, GError **error);

/*
 * One line per call, written with a single write(2) on an O_APPEND file:
 * a killed run leaves only whole lines.
 */
gboolean mhp_results_append_cycle(MhpResults *r, struct json_object *obj);
/* @source: "qmp-in", "qmp-out", "agent-in", "agent-out", "engine"; @msg borrowed */
gboolean mhp_results_append_event(MhpResults *r, const char *source, struct json_object *msg);
guint64 mhp_results_events_written(MhpResults *r);

#endif
