/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * failure.h - classify kernel failure reports from the console or kmsg.
 */
#ifndef MHP_FAILURE_H
#define MHP_FAILURE_H

#include <glib.h>

#include "failclass.h"

/**
 * mhp_failure_classify() - the failure class a kernel log line reports.
 * @line: one console or kmsg line
 *
 * Return: MHP_FAIL_KERNEL_WARNING, _KERNEL_BUG, _KERNEL_OOPS, _PANIC,
 * _SOFT_LOCKUP, _RCU_STALL, _KASAN, or MHP_FAIL_NONE for an ordinary line.
 */
MhpFailClass mhp_failure_classify(const char *line);

#endif
