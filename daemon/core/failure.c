// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * failure.c - classify kernel failure reports from the console or kmsg.
 * The most specific pattern wins: "BUG: soft lockup" is a soft lockup,
 * "BUG: KASAN" is KASAN, and only then is "BUG:" a kernel bug.
 */
#include <string.h>

#include "failure.h"

static const struct {
	const char *pattern;
	MhpFailClass cls;
} patterns[] = {
	{ "Kernel panic", MHP_FAIL_PANIC },
	{ "KASAN", MHP_FAIL_KASAN },
	{ "soft lockup", MHP_FAIL_SOFT_LOCKUP },
	{ "RCU stall", MHP_FAIL_RCU_STALL },
	{ "self-detected stall", MHP_FAIL_RCU_STALL },
	{ "detected stalls on CPUs", MHP_FAIL_RCU_STALL },
	{ "rcu: INFO:", MHP_FAIL_RCU_STALL },
	{ "Unable to handle kernel", MHP_FAIL_KERNEL_OOPS },
	{ "Internal error:", MHP_FAIL_KERNEL_OOPS },
	{ "Oops", MHP_FAIL_KERNEL_OOPS },
	{ "kernel BUG at", MHP_FAIL_KERNEL_BUG },
	{ "Bad page state", MHP_FAIL_KERNEL_BUG },
	{ "BUG:", MHP_FAIL_KERNEL_BUG },
	{ "WARNING:", MHP_FAIL_KERNEL_WARNING },
};

MhpFailClass mhp_failure_classify(const char *line)
{
	for (gsize i = 0; i < G_N_ELEMENTS(patterns); i++)
		if (strstr(line, patterns[i].pattern))
			return patterns[i].cls;
	return MHP_FAIL_NONE;
}
