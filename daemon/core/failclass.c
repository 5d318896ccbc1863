// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * failclass.c - the failure classes' one name table.
 */
#include <string.h>

#include "failclass.h"

static const struct {
	const char *name;
	gboolean fatal; /* the guest cannot go on */
} classes[_MHP_FAIL_MAX] = {
	[MHP_FAIL_NONE] = { "pass", FALSE },
	[MHP_FAIL_QMP_ERROR] = { "qmp-error", FALSE },
	[MHP_FAIL_ADD_NOT_SEEN] = { "add-not-seen", FALSE },
	[MHP_FAIL_ONLINE] = { "online-failed", FALSE },
	[MHP_FAIL_OFFLINE] = { "offline-failed", FALSE },
	[MHP_FAIL_GUEST_REFUSED] = { "guest-refused", FALSE },
	[MHP_FAIL_LOST_UNPLUG] = { "lost-unplug", FALSE },
	[MHP_FAIL_ACCOUNTING] = { "accounting-mismatch", FALSE },
	[MHP_FAIL_AGENT_LOST] = { "agent-lost", FALSE },
	[MHP_FAIL_AGENT_PROTOCOL] = { "agent-protocol", FALSE },
	[MHP_FAIL_QEMU_EXITED] = { "qemu-exited", TRUE },
	[MHP_FAIL_KERNEL_WARNING] = { "kernel-warning", FALSE },
	[MHP_FAIL_KERNEL_BUG] = { "kernel-bug", FALSE },
	[MHP_FAIL_KERNEL_OOPS] = { "kernel-oops", FALSE },
	[MHP_FAIL_PANIC] = { "panic", TRUE },
	[MHP_FAIL_SOFT_LOCKUP] = { "soft-lockup", FALSE },
	[MHP_FAIL_RCU_STALL] = { "rcu-stall", FALSE },
	[MHP_FAIL_KASAN] = { "kasan", FALSE },
	[MHP_FAIL_HANG] = { "hang", TRUE },
	[MHP_FAIL_STUCK_TASK] = { "stuck-task", FALSE },
	[MHP_FAIL_EXPECTATION] = { "expectation-failed", FALSE },
	[MHP_FAIL_LEAK] = { "leak", FALSE },
};

const char *mhp_fail_class_to_string(MhpFailClass c)
{
	return c >= 0 && c < _MHP_FAIL_MAX ? classes[c].name : NULL;
}

MhpFailClass mhp_fail_class_from_string(const char *s)
{
	for (int i = 0; s && i < _MHP_FAIL_MAX; i++)
		if (strcmp(classes[i].name, s) == 0)
			return (MhpFailClass)i;
	return _MHP_FAIL_INVALID;
}

gboolean mhp_fail_class_is_fatal(MhpFailClass c)
{
	return c >= 0 && c < _MHP_FAIL_MAX && classes[c].fatal;
}
