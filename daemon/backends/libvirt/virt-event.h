/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virt-event.h - libvirt's event loop on GLib sources.
 */
#ifndef MHP_VIRT_EVENT_H
#define MHP_VIRT_EVENT_H

#include <glib.h>

/**
 * mhp_virt_event_register() - run libvirt's events on a GMainContext.
 * @ctx: the context (NULL: the default one)
 *
 * libvirt takes one implementation per process, before the first
 * connection; the first call wins and later calls return its context.
 *
 * Return: the context libvirt's events run on (not a new reference).
 */
GMainContext *mhp_virt_event_register(GMainContext *ctx);

#endif
