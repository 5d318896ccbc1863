// SPDX-License-Identifier: GPL-2.0-only
/*
 * mhpstress_warn.c - a module that WARNs once on load and refuses to stay
 * loaded: the agent's 'inject warn', for testing failure detection.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init mhpstress_warn_init(void)
{
	WARN(1, "mhpstress: injected warning");
	return -ENODEV;
}
module_init(mhpstress_warn_init);

MODULE_DESCRIPTION("mhpstress: WARN on load, for failure-detection tests");
MODULE_LICENSE("GPL");
