/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * failure.h - classify kernel failure reports from the console or kmsg.
 */
#ifndef MHP_FAILURE_H
#define MHP_FAILURE_H

#include <glib.h>

/**
 * mhp_failure_classify() - the failure class a kernel log line reports.
 * @line: one console or kmsg line
 *
 * Return: "kernel-warning", "kernel-bug", "kernel-oops", "panic",
 * "soft-lockup", "rcu-stall", "kasan", or NULL for an ordinary line.
 */
const char *mhp_failure_classify(const char *line);

/* Classes after which the guest cannot go on (the run stops or restarts). */
gboolean mhp_failure_is_fatal(const char *cls);

#endif
