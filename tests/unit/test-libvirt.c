// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-libvirt.c - the libvirt backend's domain and DIMM XML, and fleet
 * files: what they accept and how they say what is wrong.
 */
#include <string.h>
#include <unistd.h>

#include "libvirt/backend-libvirt.h"
#include "fleet.h"
#include "scenario.h"
#include "tap.h"

static MhpScenario *scenario(const char *guest_extra)
{
	g_autofree char *text = g_strdup_printf("[scenario]\ncycles = 1\n[guest]\ncpus = 2\nmemory = 1G\nslots = 8\n"
						"maxmem = 8G\n%s", guest_extra);
	g_autoptr(GError) e = NULL;
	MhpScenario *s = mhp_scenario_load_data("t.ini", text, &e);

	if (!s)
		printf("# %s\n", e->message);
	return s;
}

static void test_domain_xml(void)
{
	g_autoptr(MhpScenario) s = scenario("append = movablecore=256M\n");
	MhpBackendConfig cfg = { .scenario = s, .kernel = "/k/Image", .initrd = "/k/initrd&1", .results_dir = "/tmp" };
	g_autoptr(GError) e = NULL;
	g_autofree char *x = mhp_backend_libvirt_domain_xml(&cfg, "mhp<1>", &e);

	tap_ok(x != NULL, "domain XML for the default guest");
	if (!x)
		return;
	tap_ok(strstr(x, "<name>mhp&lt;1&gt;</name>") != NULL, "the name is escaped");
	tap_ok(strstr(x, "<initrd>/k/initrd&amp;1</initrd>") != NULL, "paths are escaped");
	tap_ok(strstr(x, "<maxMemory slots='8' unit='KiB'>8388608</maxMemory>") != NULL, "maxMemory with slots");
	tap_ok(strstr(x, "<cell id='0' cpus='0-1' memory='1048576' unit='KiB'/>") != NULL, "a NUMA cell over all CPUs");
	tap_ok(strstr(x, "<os firmware='efi'>") && strstr(x, "machine='virt'") && strstr(x, "arch='aarch64'"),
	       "aarch64 virt booted through UEFI");
	tap_ok(strstr(x, "<gic version='3'/>") != NULL, "gic-version=3 becomes <gic version='3'/>");
	tap_ok(strstr(x, "<qemu:arg value='max-arm-cpu.pauth-impdef=on'/>") != NULL, "CPU properties through -global");
	tap_ok(strstr(x, "name='org.mhpstress.agent.0'") != NULL, "the agent's virtio-serial channel");
	tap_ok(strstr(x, "console=ttyAMA0 panic=-1 loglevel=6 movablecore=256M</cmdline>") != NULL, "the kernel command line");
	tap_ok(strstr(x, "<on_reboot>destroy</on_reboot>") != NULL, "no reboot unless asked");
	tap_ok(strstr(x, "pvpanic-pci") && strstr(x, "panic=pause"), "pvpanic, and a panicked guest stays paused");

	g_autofree char *owner = mhp_backend_libvirt_owner();
	g_autofree char *pid = g_strdup_printf(" pid='%d' ", getpid());
	tap_ok(strstr(x, "<metadata><mhp:owner xmlns:mhp=") && strstr(x, owner) && strstr(owner, pid) &&
		       !strstr(owner, "start='0'") && !strstr(owner, "boot=''"),
	       "the owner in <metadata>: host, boot id, pid and its start time (%s)", owner);
}

static void test_domain_xml_refuses(void)
{
	g_autoptr(MhpScenario) s = scenario("machine = virt,its=off\n");
	MhpBackendConfig cfg = { .scenario = s, .kernel = "/k", .initrd = "/i" };
	g_autoptr(GError) e = NULL;
	g_autofree char *x = s ? mhp_backend_libvirt_domain_xml(&cfg, "n", &e) : NULL;

	tap_ok(!x && e && strstr(e->message, "'its=off'") && strstr(e->message, "--domain"),
	       "a machine option libvirt cannot express is named, with the way out");
}

static void test_dimm_xml(void)
{
	MhpDimmSpec d = { .id = "dimm3", .memdev = "mem3", .size = 512ull << 20, .slot = 2 };
	g_autofree char *x = mhp_backend_libvirt_dimm_xml(&d);

	tap_ok(strcmp(x, "<memory model='dimm'><target><size unit='KiB'>524288</size><node>0</node></target>"
			 "<alias name='ua-dimm3'/><address type='dimm' slot='2'/></memory>") == 0,
	       "DIMM XML: size, node, user alias, slot");
}

static void expect_error(const char *text, const char *want)
{
	g_autoptr(GError) e = NULL;
	g_autoptr(MhpFleet) f = mhp_fleet_load_data("/x/f.ini", text, &e);

	tap_ok(!f && e && strstr(e->message, want), "fleet error: %s", want);
	if (e && !strstr(e->message, want))
		printf("#   got: %s\n", e->message);
}

static void test_fleet(void)
{
	g_autoptr(GError) e = NULL;
	g_autoptr(MhpFleet) f = mhp_fleet_load_data("/x/f.ini",
						    "# two hosts\n[fleet]\nscenario = ../s/smoke.ini\ncycles = 3\n"
						    "seed = 7\n\n[target a]\nconnect = qemu:///system\n"
						    "[target b-2]\nconnect = qemu+ssh://h/system\ndomain = vm1\n",
						    &e);

	tap_ok(f != NULL, "a valid fleet loads");
	if (!f) {
		printf("# %s\n", e->message);
		return;
	}
	tap_ok(strcmp(f->scenario, "/x/../s/smoke.ini") == 0, "the scenario is relative to the fleet file");
	tap_ok(f->cycles == 3 && f->have_seed && f->seed == 7 && f->duration_ms == -1, "cycles and seed");
	tap_ok(f->targets->len == 2, "two targets");
	MhpFleetTarget *b = g_ptr_array_index(f->targets, 1);
	tap_ok(strcmp(b->name, "b-2") == 0 && strcmp(b->connect, "qemu+ssh://h/system") == 0 &&
		       strcmp(b->domain, "vm1") == 0 && b->line == 9,
	       "target name, URI, domain and line");

	expect_error("[target a]\nconnect = qemu:///system\n", "/x/f.ini: no [fleet] group");
	expect_error("[fleet]\n[target a]\nconnect = qemu:///system\n", "/x/f.ini:1: [fleet] scenario: missing");
	expect_error("[fleet]\nscenario = s.ini\n", "no [target NAME] group");
	expect_error("[fleet]\nscenario = s.ini\n[target a]\ndomain = x\n", "/x/f.ini:3: [target a] connect: missing");
	expect_error("[fleet]\nscenario = s.ini\n[target a]\nconnect = localhost\n",
		     "/x/f.ini:4: [target a] connect: 'localhost' is not a libvirt URI");
	expect_error("[fleet]\nscenario = s.ini\n[target a]\nconnect = qemu:///system\nbogus = 1\n",
		     "/x/f.ini:5: [target a] bogus: unknown key");
	expect_error("[fleet]\nscenario = s.ini\ncycles = 0\n", "/x/f.ini:3: [fleet] cycles: '0'");
	expect_error("[fleet]\nscenario = s.ini\nduration = soon\n", "/x/f.ini:3: [fleet] duration: 'soon'");
	expect_error("[fleet]\nscenario = s.ini\nscenario = t.ini\n", "/x/f.ini:3: [fleet] scenario: set twice (first at line 2)");
	expect_error("[fleet]\nscenario = s.ini\n[target a]\nconnect = qemu:///system\n[target a]\n",
		     "/x/f.ini:5: [target a] appears twice (first at line 3)");
	expect_error("[fleet]\nscenario = s.ini\n[target ../up]\n", "/x/f.ini:3: [target ../up]: a target name");
	expect_error("[fleet]\nscenario = s.ini\n[hosts]\n", "/x/f.ini:3: unknown group [hosts]");
	expect_error("[fleet]\nscenario s.ini\n", "/x/f.ini:2: 'scenario s.ini' is not 'key = value'");
	expect_error("connect = x\n", "/x/f.ini:1: key outside any [group]");
	expect_error("[fleet]\nscenario = s.ini\n[target ..]\n", "/x/f.ini:3: [target ..]: a target name");
	expect_error("[fleet]\nscenario = s.ini\nseed = -1\n", "/x/f.ini:3: [fleet] seed: '-1'");

	/* comments as in scenarios (GKeyFile and the same line index): only at the start of a line */
	g_autoptr(MhpFleet) g = mhp_fleet_load_data("/x/f.ini",
						    "  # indented comment\n[fleet]\nscenario = s.ini\n# cycles = 99\ncycles = 10\n"
						    "[target a]\nconnect = qemu:///system#frag\n", &e);
	tap_ok(g && strcmp(g->scenario, "/x/s.ini") == 0 && g->cycles == 10 &&
		       strcmp(((MhpFleetTarget *)g_ptr_array_index(g->targets, 0))->connect, "qemu:///system#frag") == 0,
	       "a '#' starts a comment at the start of a line; one inside a value is the value's");
	expect_error("[fleet]\nscenario = s.ini\ncycles = 10 # n\n", "/x/f.ini:3: [fleet] cycles: '10 # n' is not a whole number");
	expect_error("[fleet]  # the run\nscenario = s.ini\n", "/x/f.ini:1: bad group header '[fleet]  # the run'");
	{
		g_autoptr(GError) se = NULL;
		g_autoptr(MhpScenario) s = mhp_scenario_load_data("/x/s.ini", "[scenario]\ncycles = 10 # n\n", &se);

		tap_ok(!s && se && strstr(se->message, "/x/s.ini:2: [scenario] cycles"),
		       "a scenario refuses the same trailing comment, naming the line: %s", se ? se->message : "");
	}
}

static void test_shipped_fleet(const char *dir)
{
	g_autofree char *path = g_build_filename(dir, "fleet-example.ini", NULL);
	g_autoptr(GError) e = NULL;
	g_autoptr(MhpFleet) f = mhp_fleet_load(path, &e);
	g_autoptr(MhpScenario) s = f ? mhp_scenario_load(f->scenario, &e) : NULL;

	tap_ok(f && s && f->targets->len == 2, "scenarios/fleet-example.ini and its scenario load%s%s", e ? ": " : "",
	       e ? e->message : "");
}

/* --backend libvirt without --connect: $LIBVIRT_DEFAULT_URI, as virsh takes it, else qemu:///system. */
static void test_default_uri(void)
{
	struct {
		const char *env, *want, *error;
	} t[] = {
		{ NULL, "qemu:///system", NULL },
		{ "", "qemu:///system", NULL },
		{ "qemu:///session", "qemu:///session", NULL },
		{ "test:///default", "test:///default", NULL },
		{ "myhost", NULL, "LIBVIRT_DEFAULT_URI 'myhost': expected a libvirt URI" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(t); i++) {
		g_autofree char *connect = NULL, *domain = NULL;
		g_autoptr(GError) e = NULL;
		const MhpBackendClass *cls;

		if (t[i].env)
			g_setenv("LIBVIRT_DEFAULT_URI", t[i].env, TRUE);
		else
			g_unsetenv("LIBVIRT_DEFAULT_URI");
		cls = mhp_backend_options_check("libvirt", &connect, &domain, &e);
		if (t[i].want)
			tap_ok(cls && !g_strcmp0(connect, t[i].want), "LIBVIRT_DEFAULT_URI=%s: --connect is %s (%s)",
			       t[i].env ? t[i].env : "(unset)", t[i].want, connect ? connect : e->message);
		else
			tap_ok(!cls && e && strstr(e->message, t[i].error), "LIBVIRT_DEFAULT_URI=%s is refused: %s", t[i].env,
			       e ? e->message : "(no error)");
	}
	{
		g_autofree char *connect = g_strdup("qemu+ssh://h/system"), *domain = NULL;

		g_setenv("LIBVIRT_DEFAULT_URI", "qemu:///session", TRUE);
		tap_ok(mhp_backend_options_check("libvirt", &connect, &domain, NULL) &&
			       !strcmp(connect, "qemu+ssh://h/system"),
		       "--connect wins over LIBVIRT_DEFAULT_URI");
		g_unsetenv("LIBVIRT_DEFAULT_URI");
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		printf("Bail out! usage: test-libvirt SCENARIO_DIR\n");
		return 1;
	}
	test_shipped_fleet(argv[1]);
	test_domain_xml();
	test_domain_xml_refuses();
	test_dimm_xml();
	test_fleet();
	test_default_uri();
	return tap_done();
}
