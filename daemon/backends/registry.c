// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * registry.c - the backends by name, and the options each one takes.
 */
#include <string.h>

#include <gio/gio.h>

#include "backend.h"
#ifdef MHP_HAVE_LIBVIRT
#include "libvirt/backend-libvirt.h"
#endif
#include "qemu/backend-qemu.h"

#ifdef MHP_HAVE_LIBVIRT
#define QEMU_SYSTEM_URI "qemu:///system"

/* libvirt: --connect defaults to $LIBVIRT_DEFAULT_URI, else the local system instance, and must be a URI */
static gboolean libvirt_parse_options(char **connect, char **domain, GError **error)
{
	const char *from = "--connect";

	if (!*connect) {
		*connect = g_strdup(mhp_backend_libvirt_default_uri());
		from = g_getenv("LIBVIRT_DEFAULT_URI") && *g_getenv("LIBVIRT_DEFAULT_URI") ? "LIBVIRT_DEFAULT_URI" : from;
	}
	if (!strstr(*connect, "://")) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "%s '%s': expected a libvirt URI like " QEMU_SYSTEM_URI, from, *connect);
		return FALSE;
	}
	return TRUE;
}
#endif

static const MhpBackendClass classes[] = {
	{ .name = "qemu", .new = mhp_backend_qemu_new, .recover = mhp_backend_qemu_recover },
#ifdef MHP_HAVE_LIBVIRT
	{ .name = "libvirt", .new = mhp_backend_libvirt_new, .parse_options = libvirt_parse_options,
	  .probe = mhp_backend_libvirt_probe },
#endif
};

/* Backends this build left out (meson -Dlibvirt=disabled, or no libvirt
 * found): asking for one says so, rather than "expected one of". */
static const char *const not_built[] = {
#ifndef MHP_HAVE_LIBVIRT
	"libvirt",
#endif
	NULL,
};

const MhpBackendClass *mhp_backend_class_find(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(classes); i++)
		if (!strcmp(classes[i].name, name))
			return &classes[i];
	return NULL;
}

const char *mhp_backend_class_names(void)
{
	static char names[64];

	if (!names[0])
		for (gsize i = 0; i < G_N_ELEMENTS(classes); i++)
			g_snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? ", " : "",
				   classes[i].name);
	return names;
}

const MhpBackendClass *mhp_backend_options_check(const char *name, char **connect, char **domain,
						  GError **error)
{
	const MhpBackendClass *cls = mhp_backend_class_find(name ? name : "qemu");

	if (!cls && name && g_strv_contains(not_built, name)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
			    "--backend '%s': this mhpstress was built without %s (meson setup -D%s=enabled)", name,
			    name, name);
		return NULL;
	}
	if (!cls) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "--backend '%s': expected one of %s", name,
			    mhp_backend_class_names());
		return NULL;
	}
	if (!cls->parse_options) {
		if (*connect || *domain) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				    "--connect and --domain are for --backend libvirt, not %s", cls->name);
			return NULL;
		}
		return cls;
	}
	return cls->parse_options(connect, domain, error) ? cls : NULL;
}

gboolean mhp_backend_uri_is_remote(const char *uri)
{
	const char *p = uri ? strstr(uri, "://") : NULL;

	return p && p[3] && p[3] != '/';
}
