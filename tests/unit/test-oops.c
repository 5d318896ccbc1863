// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-oops.c - titles, excerpts and signatures of kernel reports
 * (oops.c), on real console captures from tests/fixtures/oops (argv[1]);
 * and evidence/report.md (bugreport.c) for a results directory made here,
 * with a kernel directory whose decode_stacktrace.sh is a script of ours.
 */
#include <glib/gstdio.h>
#include <string.h>

#include "bugreport.h"
#include "oops.h"
#include "results.h"
#include "tap.h"

static const char *fixtures;

static char *fixture(const char *name)
{
	g_autofree char *path = g_build_filename(fixtures, "oops", name, NULL);
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL)) {
		printf("Bail out! cannot read %s\n", path);
		exit(1);
	}
	return text;
}

static void test_titles(void)
{
	static const struct {
		const char *text, *title;
	} cases[] = {
		{ "WARNING: CPU: 1 PID: 57 at mm/memory_hotplug.c:1234 __remove_pages+0x1c/0x90\n",
		  "WARNING in __remove_pages" },
		{ "[   12.000001] ------------[ cut here ]------------\n"
		  "[   12.000002] WARNING: mm/vmalloc.c:99 at vfree+0x20/0x40, CPU#0: sh/1\n", "WARNING in vfree" },
		{ "kernel BUG at mm/memory_hotplug.c:77!\nInternal error: Oops - BUG: 00000000f2000800 [#1] SMP\n"
		  "pc : offline_pages+0x30/0x200\n", "kernel BUG in offline_pages" },
		{ "Unable to handle kernel paging request at virtual address ffff000080000000\nx\npc : ptdump_pte_entry+0x8/0x40\n",
		  "BUG: unable to handle kernel paging request in ptdump_pte_entry" },
		{ "sysrq: Trigger a crash\nKernel panic - not syncing: sysrq triggered crash\nCPU: 0\n",
		  "kernel panic: sysrq triggered crash" },
		{ "watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [sh:1]\npc : __offline_isolated_pages+0x4/0x8\n",
		  "BUG: soft lockup in __offline_isolated_pages" },
		{ "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:\n", "INFO: rcu detected stall" },
		{ "an ordinary line\nanother\n", NULL },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *t = mhp_oops_title(cases[i].text);

		tap_ok(cases[i].title ? t && !strcmp(t, cases[i].title) : !t, "title %zu: '%s'", i, t ? t : "(none)");
	}
}

static void test_capture(void)
{
	g_autofree char *text = fixture("zone-statistics-7.3.txt");
	g_autofree char *title = mhp_oops_title(text);
	g_autofree char *ex = mhp_oops_excerpt(text);

	tap_ok(title && !strcmp(title, "BUG: unable to handle kernel NULL pointer dereference in zone_statistics"),
	       "the zone_statistics oops (7.3.4, docs/findings.md): '%s'", title ? title : "(none)");
	tap_ok(ex && g_str_has_prefix(ex, "Unable to handle kernel NULL") && strstr(ex, " zone_statistics+0x14/0x90 (P)\n") &&
	       g_str_has_suffix(ex, "---[ end trace 0000000000000000 ]---\n"),
	       "its excerpt runs from the header to the end of the trace");
}

static void test_excerpt(void)
{
	g_autofree char *ex = mhp_oops_excerpt("[    1.000000] before\n[    1.000001] ------------[ cut here ]------------\n"
					       "[    1.000002] WARNING: CPU: 0 PID: 1 at a.c:1 f+0x0/0x4\n"
					       "[    1.000003] Call trace:\n[    1.000004]  f+0x0/0x4\n"
					       "[    1.000005] ---[ end trace 0000000000000000 ]---\n[    1.000006] after\n");
	g_autofree char *panic = mhp_oops_excerpt("Unable to handle kernel NULL pointer dereference at virtual address 0\n"
						  "pc : f+0x0/0x4\n---[ end trace 0000000000000000 ]---\n"
						  "Kernel panic - not syncing: Oops: Fatal exception\nSMP: stopping secondary CPUs\n"
						  "---[ end Kernel panic - not syncing: Oops: Fatal exception ]---\nlater\n");
	g_autofree char *bytes = mhp_oops_title("WARNING: CPU: 0 PID: 1 at a.c:1 f\xff\xfe+0x0/0x4\n");

	tap_ok(ex && !strcmp(ex, "------------[ cut here ]------------\nWARNING: CPU: 0 PID: 1 at a.c:1 f+0x0/0x4\n"
				 "Call trace:\n f+0x0/0x4\n---[ end trace 0000000000000000 ]---\n"),
	       "a WARN's excerpt: cut here to end trace, time stamps removed");
	tap_ok(panic && g_str_has_suffix(panic, "Oops: Fatal exception ]---\n") && !strstr(panic, "later"),
	       "an oops that panics: the excerpt runs to the end of the panic");
	tap_ok(bytes && g_utf8_validate(bytes, -1, NULL), "a title from invalid UTF-8 is valid UTF-8");
}

static void test_signatures(void)
{
	g_autofree char *a = mhp_oops_signature(MHP_FAIL_KERNEL_WARNING,
						"console: [   5.1] WARNING: CPU: 1 PID: 57 at mm/x.c:12 f+0x1c/0x90");
	g_autofree char *b = mhp_oops_signature(MHP_FAIL_KERNEL_WARNING, "kernel: WARNING: CPU: 0 PID: 99 at mm/x.c:12 f+0x1c/0x90");
	g_autofree char *c = mhp_oops_signature(MHP_FAIL_KERNEL_WARNING, "kernel: WARNING: CPU: 0 PID: 99 at mm/x.c:13 f+0x1c/0x90");
	g_autofree char *d = mhp_oops_signature(MHP_FAIL_KERNEL_OOPS, "console: Unable to handle kernel NULL pointer "
								     "dereference at virtual address 0000000000000058");
	g_autofree char *e = mhp_oops_signature(MHP_FAIL_KERNEL_OOPS, "console: Unable to handle kernel NULL pointer "
								     "dereference at virtual address 0000000000000010");
	g_autofree char *f = mhp_oops_signature(MHP_FAIL_PANIC, "console: Unable to handle kernel NULL pointer "
								"dereference at virtual address 0000000000000010");

	tap_ok(!strcmp(a, b), "the same WARN on another CPU and PID, from the console or kmsg, is one signature: '%s'", a);
	tap_ok(strcmp(b, c), "a WARN on another line is another signature");
	tap_ok(!strcmp(d, e) && strcmp(e, f), "another address is the same signature; another class is not");
}

/* A kernel directory as tools/build-kernel leaves it, with a decoder of ours. */
static char *fake_kernel(const char *top, const char *decoder)
{
	g_autofree char *kdir = g_build_filename(top, "kernel", NULL);
	g_autofree char *src = g_build_filename(top, "src", NULL);
	g_autofree char *scripts = g_build_filename(src, "scripts", NULL);
	g_autofree char *script = g_build_filename(scripts, "decode_stacktrace.sh", NULL);
	g_autofree char *info = g_strdup_printf("source=debian:linux-source-7.3=7.3.4-1~bpo13+1\nsrcdir=%s\nrelease=7.3.4\n"
						"fragments=/x/mhpstress.config /x/debuginfo.config\n", src);
	g_autofree char *p = NULL;

	g_mkdir_with_parents(kdir, 0700);
	g_mkdir_with_parents(scripts, 0700);
	g_file_set_contents(script, decoder, -1, NULL);
	p = g_build_filename(kdir, "build-info", NULL);
	g_file_set_contents(p, info, -1, NULL);
	g_free(p);
	p = g_build_filename(kdir, "config", NULL);
	g_file_set_contents(p, "CONFIG_CC_VERSION_TEXT=\"aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0\"\nCONFIG_DEBUG_INFO=y\n",
			    -1, NULL);
	g_free(p);
	p = g_build_filename(kdir, "vmlinux", NULL);
	g_file_set_contents(p, "not really", -1, NULL);
	return g_build_filename(kdir, "Image", NULL);
}

static char *report_for(const char *decoder, const char *console, const char *detail)
{
	g_autofree char *top = g_dir_make_tmp("mhp-bugreport-XXXXXX", NULL);
	g_autofree char *image = fake_kernel(top, decoder);
	g_autofree char *ev = g_build_filename(top, "results", "evidence", NULL);
	g_autofree char *p = NULL, *run = NULL;
	g_autoptr(GError) error = NULL;
	char *md = NULL;
	MhpBugReportOptions o = { .timeout_s = 5 };

	g_mkdir_with_parents(ev, 0700);
	run = g_strdup_printf("{\"tool\":\"mhpstress 0.1.0\",\"backend\":\"qemu\",\"vmm\":\"QEMU 7.2.22\",\"seed\":"
			      "\"15153715275266450073\",\"kernel_image\":\"%s\",\"initrd\":\"/x/initramfs.cpio.gz\","
			      "\"cycles\":0,\"duration_ms\":480000,\"scenario\":{\"cycles\":50,\"duration_ms\":0,"
			      "\"name\":\"zonelist-race\",\"path\":\"scenarios/zonelist-race.ini\","
			      "\"text\":\"[scenario]\\ncycles = 50\\n```\\n\"}}", image);
	p = g_build_filename(top, "results", "run.json", NULL);
	g_file_set_contents(p, run, -1, NULL);
	g_free(p);
	p = g_build_filename(top, "results", "qemu.log", NULL);
	g_file_set_contents(p, "# qemu-system-aarch64 -M virt,gic-version=3 -accel tcg\nqemu says\n", -1, NULL);
	g_free(p);
	p = g_build_filename(top, "results", "console.log", NULL);
	g_file_set_contents(p, "EFI stub\n[    0.000000] Linux version 7.3.4 (root@h) (aarch64-linux-gnu-gcc 12.2.0) #1 SMP\n",
			    -1, NULL);
	g_free(p);
	p = g_build_filename(ev, "info.json", NULL);
	{
		g_autofree char *info = g_strdup_printf("{\"class\":\"kernel-oops\",\"detail\":\"%s\",\"cycle\":7,"
							"\"phase\":\"offline\",\"seed\":\"15153715275266450073\","
							"\"run_ns\":93000000000}", detail);
		g_file_set_contents(p, info, -1, NULL);
	}
	g_free(p);
	p = g_build_filename(ev, "console.txt", NULL);
	g_file_set_contents(p, console, -1, NULL);
	g_free(run);
	run = g_build_filename(top, "results", NULL);
	if (!mhp_bugreport_write(run, ev, &o, &error))
		printf("# mhp_bugreport_write: %s\n", error->message);
	g_free(p);
	p = g_build_filename(ev, "report.md", NULL);
	g_file_get_contents(p, &md, NULL, NULL);
	return md;
}

static void test_report(void)
{
	g_autofree char *console = fixture("zone-statistics-7.3.txt");
	/* stands in for the kernel's script: "f+0x1/0x2" -> "f (mm/f.c:12)", as it prints */
	g_autofree char *md = report_for("sed -E 's/ ([a-z_]+)\\+0x[0-9a-f]+\\/0x[0-9a-f]+/ \\1 (mm\\/\\1.c:12)/'\n", console,
					   "console: Unable to handle kernel NULL `x`");
	g_autofree char *slow = report_for("sleep 30\n", console, "console: Unable to handle kernel NULL");
	g_autofree char *none = report_for("echo decoded\n", "nothing to see\n", "kernel: x");
	g_autofree char *two = fixture("warn-then-panic-7.3.txt");
	/* a real console.txt of the panic's evidence: the WARN before it is not its report */
	g_autofree char *second = report_for("cat\n", two, "console: [    3.728092] Kernel panic - not syncing: sysrq triggered crash");

	tap_ok(md && g_str_has_prefix(md, "# BUG: unable to handle kernel NULL pointer dereference in zone_statistics\n"),
	       "report.md: the title first");
	tap_ok(md && strstr(md, " zone_statistics (mm/zone_statistics.c:12) (P)\n"), "report.md: the decoder's trace");
	tap_ok(md && strstr(md, "Debian package `linux-source-7.3=7.3.4-1~bpo13+1`") &&
	       strstr(md, "compiler: aarch64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0") &&
	       strstr(md, "Linux version 7.3.4") && strstr(md, "`mhpstress.config` `debuginfo.config`"),
	       "report.md: source, compiler, banner, fragments");
	tap_ok(md && strstr(md, "qemu-system-aarch64 -M virt,gic-version=3") && strstr(md, "QEMU 7.2.22"),
	       "report.md: QEMU version and command line");
	tap_ok(md && strstr(md, "mhpstress run --replay ") &&
	       strstr(md, "--seed 15153715275266450073") && strstr(md, "cycle 7, phase `offline`"),
	       "report.md: seed, cycle, phase and both replay commands");
	tap_ok(md && strstr(md, "--seed 15153715275266450073 --duration 480000ms\n") && !strstr(md, " --cycles "),
	       "report.md: the by-hand replay carries the run's --duration, not the scenario's cycles");
	tap_ok(md && strstr(md, "````ini\n[scenario]"), "guest or scenario text with ``` gets a longer fence");
	tap_ok(slow && strstr(slow, "Not decoded: ") && strstr(slow, "took more than 5 s") && strstr(slow, " zone_statistics+0x14/0x90"),
	       "a decoder past its deadline: the raw trace, and why");
	tap_ok(none && g_str_has_prefix(none, "# mhpstress: kernel-oops in offline\n") && strstr(none, "No kernel report"),
	       "no report in the console: the class and phase name it");
	tap_ok(second && g_str_has_prefix(second, "# kernel panic: sysrq triggered crash\n") &&
	       !strstr(second, "injected warning") && strstr(second, "SMP: stopping secondary CPUs"),
	       "evidence-2 of a WARN then a panic (7.3.4 capture): the panic's own report, not the WARN before it");
	{
		g_autofree char *t = mhp_oops_title(two);

		tap_ok(t && !strcmp(t, "WARNING in mhpstress_warn_init"), "the capture's first report: '%s'", t ? t : "(none)");
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		printf("Bail out! usage: test-oops FIXTURES_DIR\n");
		return 1;
	}
	fixtures = argv[1];
	test_titles();
	test_capture();
	test_excerpt();
	test_signatures();
	test_report();
	return tap_done();
}
