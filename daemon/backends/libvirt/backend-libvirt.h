/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * backend-libvirt.h - the libvirt backend's entry points, for registry.c
 * and tests. Only built with libvirt (meson -Dlibvirt).
 */
#ifndef MHP_BACKEND_LIBVIRT_H
#define MHP_BACKEND_LIBVIRT_H

#include "backend.h"

/**
 * mhp_backend_libvirt_new() - a backend that drives a libvirt domain.
 * @ctx: the context its sources and libvirt's events run on (NULL: the thread default)
 * @cfg: the guest, the URI and the domain; copied
 * @agent: the agent link, adopted over the domain's channel
 * @cb: what it reports; copied
 * @user_data: for @cb
 *
 * Return: the backend; nothing connects before its ops->start.
 */
MhpBackend *mhp_backend_libvirt_new(GMainContext *ctx, const MhpBackendConfig *cfg, MhpAgentLink *agent,
				    const MhpBackendCallbacks *cb, gpointer user_data);

/**
 * mhp_backend_libvirt_default_uri() - the URI when none is given.
 *
 * Return: $LIBVIRT_DEFAULT_URI when it is set and not empty, as virsh and
 * libvirt itself take it, else "qemu:///system".
 */
const char *mhp_backend_libvirt_default_uri(void);

/**
 * mhp_backend_libvirt_probe() - whether libvirt answers at @uri, within a deadline.
 * @uri: the URI; NULL: mhp_backend_libvirt_default_uri()
 * @timeout_ms: how long to wait for virConnectOpen()
 * @ret_detail: "libvirt 9.0.0, QEMU 7.2.0 at URI"; untouched on failure
 * @error: set when the connection fails or does not answer in time
 *
 * The connection is opened in a thread of its own, which is left to end
 * on its own when it does not answer in time: the caller never blocks
 * past @timeout_ms.
 *
 * Return: TRUE when libvirt answered.
 */
gboolean mhp_backend_libvirt_probe(const char *uri, guint timeout_ms, char **ret_detail, GError **error);

/**
 * mhp_backend_libvirt_domain_xml() - the transient domain for @cfg's scenario.
 * @cfg: the guest
 * @name: the domain's name
 * @error: why [guest] has no libvirt equivalent
 *
 * For tests and --dry-run.
 *
 * Return: the XML, or NULL with @error set.
 */
char *mhp_backend_libvirt_domain_xml(const MhpBackendConfig *cfg, const char *name, GError **error);

/**
 * mhp_backend_libvirt_owner() - this process as a transient domain's owner.
 *
 * Return: "host='h' boot='b' pid='n' start='t'", the attributes of the
 * owner element in the domain's metadata.
 */
char *mhp_backend_libvirt_owner(void);

/**
 * mhp_backend_libvirt_dimm_xml() - the <memory model='dimm'> device for @d.
 * @d: the DIMM; its alias is "ua-" + d->id
 *
 * Return: the XML.
 */
char *mhp_backend_libvirt_dimm_xml(const MhpDimmSpec *d);

#endif
