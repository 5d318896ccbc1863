/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * clock.h - time as the engine and its links see it. NULL means the real
 * one (g_get_monotonic_time, g_timeout_source_new); tests put their own
 * clock in MhpRunOptions and move time themselves.
 */
#ifndef MHP_CLOCK_H
#define MHP_CLOCK_H

#include <glib.h>

typedef struct {
	gint64 (*now_us)(gpointer user_data);
	GSource *(*timeout_source)(guint ms, gpointer user_data);
	gpointer user_data;
} MhpClock;

static inline gint64 mhp_clock_now(const MhpClock *c)
{
	return c ? c->now_us(c->user_data) : g_get_monotonic_time();
}

static inline GSource *mhp_clock_timeout_source(const MhpClock *c, guint ms)
{
	return c ? c->timeout_source(ms, c->user_data) : g_timeout_source_new(ms);
}

#endif
