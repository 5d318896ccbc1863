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
	const char *cls;
} patterns[] = {
	{ "Kernel panic", "panic" },
	{ "KASAN", "kasan" },
	{ "soft lockup", "soft-lockup" },
	{ "RCU stall", "rcu-stall" },
	{ "self-detected stall", "rcu-stall" },
	{ "detected stalls on CPUs", "rcu-stall" },
	{ "rcu: INFO:", "rcu-stall" },
	{ "Unable to handle kernel", "kernel-oops" },
	{ "Internal error:", "kernel-oops" },
	{ "Oops", "kernel-oops" },
	{ "kernel BUG at", "kernel-bug" },
	{ "Bad page state", "kernel-bug" },
	{ "BUG:", "kernel-bug" },
	{ "WARNING:", "kernel-warning" },
};

const char *mhp_failure_classify(const char *line)
{
	for (gsize i = 0; i < G_N_ELEMENTS(patterns); i++)
		if (strstr(line, patterns[i].pattern))
			return patterns[i].cls;
	return NULL;
}

gboolean mhp_failure_is_fatal(const char *cls)
{
	return cls && (!strcmp(cls, "panic") || !strcmp(cls, "hang") || !strcmp(cls, "qemu-exited"));
}
