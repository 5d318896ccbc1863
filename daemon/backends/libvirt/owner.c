// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * owner.c - who made a transient domain: this process as recorded in the
 * domain's metadata, and whether a recorded owner is gone (an orphan).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "backend-libvirt.h"
#include "libvirt-private.h"

/* The start time (field 22 of /proc/PID/stat, counted after the ')' that
 * ends the command name) of @pid ("self" or a number); NULL when it is gone. */
static char *start_time(const char *pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%s/stat", pid);
	g_autofree char *stat = NULL;
	char *p;

	if (!g_file_get_contents(path, &stat, NULL, NULL) || !(p = strrchr(stat, ')')))
		return NULL;
	g_auto(GStrv) f = g_strsplit(p + 2, " ", 22);
	return g_strv_length(f) >= 21 ? g_strdup(f[19]) : NULL;
}

static char *boot_id(void)
{
	g_autofree char *boot = NULL;

	g_file_get_contents("/proc/sys/kernel/random/boot_id", &boot, NULL, NULL);
	return g_strdup(boot ? g_strstrip(boot) : "");
}

static char *host_name(void)
{
	return g_markup_escape_text(g_get_host_name(), -1);
}

/* "host='h' boot='b' pid='n' start='t'" for this process: the host name,
 * the kernel's boot id and the pid's start time tell a dead owner from a
 * reused pid. */
char *mhp_backend_libvirt_owner(void)
{
	g_autofree char *host = host_name(), *boot = boot_id(), *start = start_time("self");

	return g_strdup_printf("host='%s' boot='%s' pid='%d' start='%s'", host, boot, getpid(), start ? start : "0");
}

/* name='v' or name="v" (libvirt gives the element back re-serialized) */
static char *owner_attr(const char *xml, const char *name)
{
	g_autofree char *key = g_strdup_printf(" %s=", name);
	const char *p = strstr(xml, key), *e;

	if (!p)
		return NULL;
	p += strlen(key);
	if (*p != '\'' && *p != '"')
		return NULL;
	e = strchr(p + 1, *p);
	return e ? g_strndup(p + 1, (gsize)(e - p - 1)) : NULL;
}

/**
 * lv_domain_is_orphan() - whether @d is our own leftover.
 * @d: a domain
 *
 * Return: TRUE if @d's metadata names an mhpstress on this host, this
 * boot, that is gone (its pid is dead or now another process).
 */
gboolean lv_domain_is_orphan(virDomainPtr d)
{
	char *theirs = virDomainGetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, OWNER_NS, VIR_DOMAIN_AFFECT_LIVE);
	g_autofree char *host = NULL, *boot = NULL, *pid = NULL, *start = NULL, *now = NULL;
	g_autofree char *my_host = host_name(), *my_boot = boot_id();
	gboolean orphan;

	if (!theirs) {
		virResetLastError();
		return FALSE; /* not ours */
	}
	host = owner_attr(theirs, "host");
	boot = owner_attr(theirs, "boot");
	pid = owner_attr(theirs, "pid");
	start = owner_attr(theirs, "start");
	free(theirs);
	if (!pid || !start || g_strcmp0(host, my_host) != 0 || g_strcmp0(boot, my_boot) != 0)
		return FALSE; /* another host's or another boot's: not ours to judge */
	now = *pid && strspn(pid, "0123456789") == strlen(pid) ? start_time(pid) : NULL;
	orphan = !now || strcmp(now, start) != 0;
	return orphan;
}
