/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * failclass.h - the failure classes a cycle or a run can end in: one enum,
 * one name table (failclass.c). The names are what cycles.jsonl,
 * summary.json, scenario files (`expect`) and docs/scenario-format.md use.
 */
#ifndef MHP_FAILCLASS_H
#define MHP_FAILCLASS_H

#include <errno.h>
#include <glib.h>

typedef enum {
	MHP_FAIL_NONE,             /* "pass": no failure */
	MHP_FAIL_QMP_ERROR,        /* the engine's cycle classes */
	MHP_FAIL_ADD_NOT_SEEN,
	MHP_FAIL_ONLINE,
	MHP_FAIL_OFFLINE,
	MHP_FAIL_GUEST_REFUSED,
	MHP_FAIL_LOST_UNPLUG,
	MHP_FAIL_ACCOUNTING,
	MHP_FAIL_AGENT_LOST,
	MHP_FAIL_AGENT_PROTOCOL,   /* a reply or event of the wrong shape */
	MHP_FAIL_QEMU_EXITED,
	MHP_FAIL_KERNEL_WARNING,   /* kernel failures (failure.c classifies them) */
	MHP_FAIL_KERNEL_BUG,
	MHP_FAIL_KERNEL_OOPS,
	MHP_FAIL_PANIC,
	MHP_FAIL_SOFT_LOCKUP,
	MHP_FAIL_RCU_STALL,
	MHP_FAIL_KASAN,
	MHP_FAIL_HANG,
	MHP_FAIL_STUCK_TASK,
	MHP_FAIL_EXPECTATION,      /* a case ended in another class */
	MHP_FAIL_LEAK,             /* run-level: a trend says memory leaks */
	_MHP_FAIL_MAX,
	_MHP_FAIL_INVALID = -EINVAL,
} MhpFailClass;

/* "pass" for MHP_FAIL_NONE; NULL outside the enum. */
const char *mhp_fail_class_to_string(MhpFailClass c);
/* _MHP_FAIL_INVALID for an unknown name or NULL. */
MhpFailClass mhp_fail_class_from_string(const char *s);

/**
 * mhp_fail_class_is_fatal() - whether the guest cannot go on after @c.
 * @c: a class
 *
 * Return: TRUE for panic, hang and qemu-exited: the run stops or restarts.
 */
gboolean mhp_fail_class_is_fatal(MhpFailClass c);

#endif
