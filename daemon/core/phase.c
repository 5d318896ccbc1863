// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * phase.c - the phases' one name table.
 */
#include "phase.h"
#include "strtable.h"

static const char *const phase_names[_MHP_PHASE_MAX] = {
	[MHP_PHASE_NONE] = "",
	[MHP_PHASE_ADD] = "add",
	[MHP_PHASE_OST] = "ost",
	[MHP_PHASE_QUERY] = "query",
	[MHP_PHASE_BLOCKS] = "blocks",
	[MHP_PHASE_ONLINE] = "online",
	[MHP_PHASE_HOG] = "hog",
	[MHP_PHASE_VERIFY_ONLINE] = "verify-online",
	[MHP_PHASE_INJECT] = "inject",
	[MHP_PHASE_HOLD] = "hold",
	[MHP_PHASE_UNHOG] = "unhog",
	[MHP_PHASE_OFFLINE] = "offline",
	[MHP_PHASE_DEL] = "del",
	[MHP_PHASE_EJECT_OST] = "eject-ost",
	[MHP_PHASE_DELETED] = "deleted",
	[MHP_PHASE_EJECT_DONE] = "eject-done",
	[MHP_PHASE_OBJECT_DEL] = "object-del",
	[MHP_PHASE_BLOCKS_GONE] = "blocks-gone",
	[MHP_PHASE_VERIFY_REMOVED] = "verify-removed",
	[MHP_PHASE_START] = "start",
	[MHP_PHASE_HELLO] = "hello",
	[MHP_PHASE_BASELINE] = "baseline",
	[MHP_PHASE_REBASELINE] = "rebaseline",
	[MHP_PHASE_END_SNAPSHOT] = "end-snapshot",
	[MHP_PHASE_SHUTDOWN] = "shutdown",
};

MHP_DEFINE_STRING_TABLE(mhp_phase, MhpPhase, phase_names, _MHP_PHASE_MAX, _MHP_PHASE_INVALID)
