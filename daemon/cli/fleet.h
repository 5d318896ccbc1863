/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fleet.h - fleet files: one scenario on several libvirt targets at once.
 */
#ifndef MHP_FLEET_H
#define MHP_FLEET_H

#include <glib.h>

typedef struct {
	char *name;    /* [target NAME]: also its results subdirectory */
	char *connect; /* libvirt URI */
	char *domain;  /* NULL: a transient domain */
	guint line;    /* where [target NAME] is, for messages */
} MhpFleetTarget;

typedef struct {
	char *path;
	char *scenario; /* resolved against the fleet file's directory */
	char *kernel;   /* NULL: the run's default */
	char *initrd;
	gint64 cycles;  /* -1: the scenario's */
	gint64 duration_ms; /* -1: the scenario's */
	gboolean have_seed; /* else each target picks its own */
	guint64 seed;
	GPtrArray *targets; /* MhpFleetTarget */
} MhpFleet;

MhpFleet *mhp_fleet_load_data(const char *path, const char *text, GError **error);
MhpFleet *mhp_fleet_load(const char *path, GError **error);
void mhp_fleet_free(MhpFleet *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MhpFleet, mhp_fleet_free)

#endif
