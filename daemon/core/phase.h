/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * phase.h - the steps of a run: one enum, one name table (phase.c). The
 * names are the keys of a cycle's "phases" in cycles.jsonl, of
 * summary.json's "latency_ms" and the "phase" of progress reports.
 */
#ifndef MHP_PHASE_H
#define MHP_PHASE_H

#include <errno.h>
#include <glib.h>

typedef enum {
	MHP_PHASE_NONE,            /* "": nothing in progress */
	/* a DIMM's cycle, in the order they run: timed per DIMM */
	MHP_PHASE_ADD,
	MHP_PHASE_OST,
	MHP_PHASE_QUERY,
	MHP_PHASE_BLOCKS,
	MHP_PHASE_ONLINE,
	MHP_PHASE_HOG,
	MHP_PHASE_VERIFY_ONLINE,
	MHP_PHASE_INJECT,
	MHP_PHASE_HOLD,
	MHP_PHASE_UNHOG,
	MHP_PHASE_OFFLINE,
	MHP_PHASE_DEL,
	MHP_PHASE_EJECT_OST,
	MHP_PHASE_DELETED,
	MHP_PHASE_EJECT_DONE,
	MHP_PHASE_OBJECT_DEL,
	MHP_PHASE_BLOCKS_GONE,
	MHP_PHASE_VERIFY_REMOVED,
	/* the run's own steps: only reported in progress */
	MHP_PHASE_START,
	MHP_PHASE_HELLO,
	MHP_PHASE_BASELINE,
	MHP_PHASE_REBASELINE,
	MHP_PHASE_END_SNAPSHOT,
	MHP_PHASE_SHUTDOWN,
	_MHP_PHASE_MAX,
	_MHP_PHASE_INVALID = -EINVAL,
} MhpPhase;

/* "" for MHP_PHASE_NONE; NULL outside the enum. */
const char *mhp_phase_to_string(MhpPhase p);
/* _MHP_PHASE_INVALID for an unknown name or NULL. */
MhpPhase mhp_phase_from_string(const char *s);

#endif
