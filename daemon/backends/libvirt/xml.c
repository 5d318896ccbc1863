// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xml.c - the libvirt backend's XML: the transient domain built from a
 * scenario's [guest] section, and the DIMM devices it attaches.
 */
#include <string.h>

#include <gio/gio.h>

#include "backend-libvirt.h"
#include "libvirt-private.h"

static void xml_qemu_arg(GString *q, const char *arg)
{
	g_autofree char *v = g_markup_escape_text(arg, -1);

	g_string_append_printf(q, "    <qemu:arg value='%s'/>\n", v);
}

char *mhp_backend_libvirt_domain_xml(const MhpBackendConfig *cfg, const char *name, GError **error)
{
	const MhpScenario *s = cfg->scenario;
	g_autoptr(GString) x = g_string_new(NULL);
	g_autoptr(GString) q = g_string_new(NULL);
	g_auto(GStrv) mach = g_strsplit(s->guest.machine, ",", -1);
	g_auto(GStrv) cpu = g_strsplit(s->guest.cpu, ",", -1);
	g_autofree char *append = g_strdup_printf(MHP_GUEST_CMDLINE " %s", s->guest.append ? s->guest.append : "");
	const char *gic = NULL;
	char *t;

	if (strcmp(mach[0], "virt") != 0 && !g_str_has_prefix(mach[0], "virt-")) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
			    "[guest] machine '%s': the libvirt backend builds 'virt' machines only", s->guest.machine);
		return NULL;
	}
	for (guint i = 1; mach[i]; i++) {
		if (g_str_has_prefix(mach[i], "gic-version=")) {
			gic = mach[i] + strlen("gic-version=");
		} else {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
				    "[guest] machine option '%s' has no libvirt equivalent; define the domain yourself and pass --domain",
				    mach[i]);
			return NULL;
		}
	}
	/* CPU properties (pauth-impdef=on) are qdev properties: -global sets them */
	for (guint i = 1; cpu[i]; i++) {
		g_autofree char *glob = g_strdup_printf("%s-arm-cpu.%s", cpu[0], cpu[i]);
		xml_qemu_arg(q, "-global");
		xml_qemu_arg(q, glob);
	}
	/* a panicked guest stays paused, for a vmcore; pvpanic-pci reports it.
	 * libvirt 9.0 has no pvpanic model for arm: pass the device through. */
	xml_qemu_arg(q, "-device");
	xml_qemu_arg(q, "pvpanic-pci,bus=pcie.0,addr=0x1f");
	xml_qemu_arg(q, "-action");
	xml_qemu_arg(q, "panic=pause");
	if (cfg->gdb) {
		xml_qemu_arg(q, "-gdb");
		xml_qemu_arg(q, cfg->gdb);
	}
	for (guint i = 0; s->guest.extra_args && s->guest.extra_args[i]; i++)
		xml_qemu_arg(q, s->guest.extra_args[i]);

	g_string_append(x, "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n");
	t = g_markup_printf_escaped("  <name>%s</name>\n", name);
	g_string_append(x, t);
	g_free(t);
	g_string_append_printf(x, "  <memory unit='KiB'>%" G_GUINT64_FORMAT "</memory>\n", s->guest.memory >> 10);
	g_string_append_printf(x, "  <maxMemory slots='%u' unit='KiB'>%" G_GUINT64_FORMAT "</maxMemory>\n",
			       s->guest.slots, s->guest.maxmem >> 10);
	g_string_append_printf(x, "  <vcpu>%u</vcpu>\n", s->guest.cpus);
	if (s->dimm.backend == MHP_MEMDEV_MEMFD)
		g_string_append(x, "  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>\n");
	else if (s->dimm.backend == MHP_MEMDEV_FILE)
		g_string_append(x, "  <memoryBacking><source type='file'/></memoryBacking>\n");
	t = g_markup_printf_escaped("  <os firmware='efi'>\n"
				    "    <type arch='aarch64' machine='%s'>hvm</type>\n"
				    "    <firmware><feature enabled='no' name='secure-boot'/></firmware>\n"
				    "    <kernel>%s</kernel>\n"
				    "    <initrd>%s</initrd>\n"
				    "    <cmdline>%s</cmdline>\n"
				    "  </os>\n",
				    mach[0], cfg->kernel, cfg->initrd, g_strstrip(append));
	g_string_append(x, t);
	g_free(t);
	g_string_append(x, "  <features><acpi/>");
	if (gic) {
		t = g_markup_printf_escaped("<gic version='%s'/>", gic);
		g_string_append(x, t);
		g_free(t);
	}
	g_string_append(x, "</features>\n");
	t = g_markup_printf_escaped("  <cpu mode='custom' match='exact'><model fallback='forbid'>%s</model>\n", cpu[0]);
	g_string_append(x, t);
	g_free(t);
	/* memory hotplug needs a NUMA cell */
	g_string_append_printf(x, "    <numa><cell id='0' cpus='0-%u' memory='%" G_GUINT64_FORMAT "' unit='KiB'/></numa>\n"
				  "  </cpu>\n",
			       s->guest.cpus - 1, s->guest.memory >> 10);
	t = mhp_backend_libvirt_owner();
	g_string_append_printf(x, "  <metadata><mhp:owner xmlns:mhp='" OWNER_NS "' %s/></metadata>\n", t);
	g_free(t);
	g_string_append_printf(x, "  <on_poweroff>destroy</on_poweroff>\n"
				  "  <on_reboot>%s</on_reboot>\n"
				  "  <on_crash>preserve</on_crash>\n",
			       s->guest.reboot ? "restart" : "destroy");
	g_string_append(x, "  <devices>\n");
	if (g_path_is_absolute(s->guest.qemu)) {
		t = g_markup_printf_escaped("    <emulator>%s</emulator>\n", s->guest.qemu);
		g_string_append(x, t);
		g_free(t);
	}
	g_string_append(x, "    <serial type='pty'><target port='0'/></serial>\n"
			   "    <console type='pty'><target type='serial' port='0'/></console>\n"
			   "    <controller type='virtio-serial' index='0'/>\n"
			   "    <channel type='unix'><source mode='bind'/>"
			   "<target type='virtio' name='" AGENT_CHANNEL "'/></channel>\n"
			   "    <memballoon model='none'/>\n"
			   "  </devices>\n");
	g_string_append_printf(x, "  <qemu:commandline>\n%s  </qemu:commandline>\n</domain>\n", q->str);
	return g_string_free(g_steal_pointer(&x), FALSE);
}

char *mhp_backend_libvirt_dimm_xml(const MhpDimmSpec *d)
{
	g_autoptr(GString) x = g_string_new(NULL);

	g_string_append_printf(x, "<memory model='dimm'><target><size unit='KiB'>%" G_GUINT64_FORMAT "</size>"
				  "<node>0</node></target><alias name='" ALIAS_PREFIX "%s'/>",
			       d->size >> 10, d->id);
	if (d->slot >= 0)
		g_string_append_printf(x, "<address type='dimm' slot='%d'/>", d->slot);
	g_string_append(x, "</memory>");
	return g_string_free(g_steal_pointer(&x), FALSE);
}

/**
 * lv_engine_name() - a libvirt alias as the engine names the device.
 * @alias: "ua-dimm3", or anything else
 *
 * Return: "dimm3" for one of our aliases (borrowed from @alias), anything
 * else as it is.
 */
const char *lv_engine_name(const char *alias)
{
	return alias && g_str_has_prefix(alias, ALIAS_PREFIX) ? alias + strlen(ALIAS_PREFIX) : alias;
}
