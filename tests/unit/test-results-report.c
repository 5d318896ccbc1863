// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-results-report.c - report.html from results directories written
 * here: a failing run with a hostile detail (a script tag, quotes and
 * invalid UTF-8), trends, bands, snapshots with raw ptdump and evidence;
 * a 20,000-cycle run split in two segments; two runs side by side; and
 * directories that are no run.
 *
 * usage: test-results-report [KEEP_DIR]
 *   with KEEP_DIR, the runs and their report.html are written there and
 *   kept (for tests/tools/check-report-html.py), else in a temporary
 *   directory that is removed.
 */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "results-report.h"
#include "tap.h"

#define HOSTILE "<script>alert(1)</script> \"q\" 'a' & \xff\xfe"

static char *base;
static gboolean keep;

static void put(const char *dir, const char *name, const char *text, gssize len)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);

	if (!g_file_set_contents(path, text, len, NULL)) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

static char *new_dir(const char *name)
{
	char *dir = g_build_filename(base, name, NULL);

	if (g_mkdir_with_parents(dir, 0700) < 0) {
		printf("Bail out! cannot make %s\n", dir);
		exit(1);
	}
	return dir;
}

/* A full cycle's record: its values drift by @drift kB a cycle; @verdict, @detail for a failure. */
static void cycle(GString *out, int n, const char *verdict, const char *detail, int drift)
{
	gint64 t = (gint64)n * 1000000000;

	g_string_append_printf(out, "{\"cycle\":%d,\"verdict\":\"%s\",", n, verdict);
	if (detail) {
		g_auto(GStrv) parts = g_strsplit(detail, "\"", -1);
		g_autofree char *quoted = g_strjoinv("\\\"", parts); /* raw bytes otherwise: \xff stays invalid */

		g_string_append_printf(out, "\"detail\":\"%s\",\"errno\":16,", quoted);
	}
	g_string_append_printf(out,
			       "\"slot\":0,\"dimm\":\"dimm%d\",\"size\":536870912,\"zone\":\"movable\",\"cycle_ms\":%d.5,"
			       "\"phases\":{\"add\":{\"start_ns\":%" G_GINT64_FORMAT ",\"end_ns\":%" G_GINT64_FORMAT "},"
			       "\"online\":{\"start_ns\":%" G_GINT64_FORMAT ",\"end_ns\":%" G_GINT64_FORMAT "}},"
			       "\"verify\":{\"rise\":{\"nr_page_table_pages\":%d,\"tables\":257,\"tables_from\":\"ptdump\"},"
			       "\"plugged\":{\"MemFree\":1500000,\"PageTables\":1360,\"nr_page_table_pages\":340,"
			       "\"table_pages\":600,\"pcp_kb\":5000},"
			       "\"removed\":{\"MemFree\":%d,\"PageTables\":%d,\"nr_page_table_pages\":%d,\"table_pages\":%d,"
			       "\"pcp_kb\":4000},\"checks_removed\":[{\"name\":\"page-tables-band\",\"pass\":true,"
			       "\"value\":%d,\"expected\":290,\"band\":512}]}}\n",
			       n, 400 + n % 7 * 20, t, t + 5000000 + n % 5 * 1000000, t + 10000000, t + 200000000 + n % 3 * 10000000,
			       270 + n % 11, 990000 - drift * n, 290 + drift * n, 70 + n % 4, 340, 290 + drift * n);
}

#define PTDUMP_BEFORE                                                                                  \
	"---[ Linear Mapping start ]---\\n"                                                            \
	"0xffff000040000000-0xffff000080000000 1G PMD RW NX SHD AF BLK UXN MEM/NORMAL\\n"            \
	"---[ Linear Mapping end ]---\\n"
#define PTDUMP_PLUGGED                                                                                 \
	"---[ Linear Mapping start ]---\\n"                                                            \
	"0xffff000040000000-0xffff000080000000 1G PMD RW NX SHD AF BLK UXN MEM/NORMAL\\n"            \
	"0xffff000080000000-0xffff0000a0000000 512M PTE RW NX SHD AF UXN MEM/NORMAL\\n"              \
	"---[ Linear Mapping end ]---\\n"

static void snapshot(const char *dir, const char *name, const char *raw, int mapped_mb, int tables)
{
	g_autofree char *text = g_strdup_printf(
		"{\"meminfo\":{\"MemTotal\":1010168,\"MemFree\":990000,\"PageTables\":290},"
		"\"vmstat\":{\"nr_page_table_pages\":72},\"pcp_kb\":4000,"
		"\"stressors\":{\"churn\":{\"kind\":\"vmalloc-churn\",\"running\":true,\"ops\":%d,\"errors\":0}},"
		"\"ptdump\":{\"sections\":[{\"name\":\"Linear Mapping\",\"lines\":2,\"mapped_bytes\":%d,"
		"\"table_pages\":%d,\"digest\":\"%s\"}],\"total\":{\"table_pages\":%d}},\"ptdump_raw\":\"%s\"}",
		tables, mapped_mb << 20, tables, raw == NULL ? "" : raw, tables, raw);

	put(dir, name, text, -1);
}

static char *failing_run(const char *name, int drift)
{
	char *dir = new_dir(name);
	g_autofree char *snaps = g_build_filename(dir, "snapshots", NULL);
	g_autofree char *evidence = g_build_filename(dir, "evidence", NULL);
	g_autoptr(GString) c = g_string_new(NULL);
	static const char vmcore[] = "\177ELF\2\1\1\0\0\0\0\0binary";

	put(dir, "run.json", "{\"seed\":\"15153715275266450073\",\"tool\":\"mhpstress 0.1.0\",\"kernel_image\":\"/k/Image\","
			     "\"guest\":{\"kernel\":\"7.3.0\"},\"scenario\":{\"name\":\"smoke\"}}", -1);
	put(dir, "summary.json", "{\"verdict\":\"fail\",\"cycles\":6,\"failed_cycles\":1,\"failures\":{\"online-failed\":1},"
				 "\"latency_ms\":{\"add\":{\"n\":6,\"p50\":5.0,\"p90\":9.0,\"p99\":9.0,\"max\":9.0}},"
				 "\"trends\":{\"PageTables\":{\"slope\":0.5,\"unit\":\"kB\",\"per\":\"cycle\",\"n\":5,"
				 "\"t\":2.0,\"verdict\":\"ok\"},\"MemFree\":{\"slope\":-64.5,\"unit\":\"kB\",\"per\":\"cycle\","
				 "\"n\":5,\"t\":9.0,\"verdict\":\"leak\"}},"
				 "\"stressors\":{\"churn\":{\"kind\":\"vmalloc-churn\",\"ops\":999,\"errors\":2}}}", -1);
	for (int i = 1; i <= 5; i++)
		cycle(c, i, "pass", NULL, drift);
	cycle(c, 6, "online-failed", "online of block 17 failed: " HOSTILE, drift);
	put(dir, "cycles.jsonl", c->str, -1);
	g_mkdir(snaps, 0700);
	snapshot(snaps, "baseline.json", PTDUMP_BEFORE, 1024, 3);
	snapshot(snaps, "plugged-1.json", PTDUMP_PLUGGED, 1536, 260);
	snapshot(snaps, "end.json", PTDUMP_BEFORE, 1024, 3);
	g_mkdir(evidence, 0700);
	put(evidence, "info.json", "{\"class\":\"online-failed\",\"cycle\":6}", -1);
	put(evidence, "dmesg.txt", "[    1.000] hotplug: " HOSTILE "\n[    2.000] done\n", -1);
	put(evidence, "vmcore", vmcore, sizeof(vmcore));
	return dir;
}

static gboolean has(const char *html, const char *needle)
{
	return strstr(html, needle) != NULL;
}

/* No reference outside the page: the one URL allowed is SVG's namespace. */
static gboolean self_contained(const char *html)
{
	g_autofree char *lower = g_ascii_strdown(html, -1);
	g_auto(GStrv) parts = g_strsplit(lower, "xmlns=\"http://www.w3.org/2000/svg\"", -1);
	g_autofree char *rest = g_strjoinv("", parts);
	static const char *const refs[] = { "http://", "https://", "<script", "<link", "<img", " src=", "url(", "@import",
					    "<iframe", "<object", "<embed", "//cdn" };

	for (gsize i = 0; i < G_N_ELEMENTS(refs); i++)
		if (strstr(rest, refs[i])) {
			printf("#   found '%s'\n", refs[i]);
			return FALSE;
		}
	return TRUE;
}

static void test_escape(void)
{
	g_autofree char *e = mhp_html_escape(HOSTILE "\x01<", -1);
	g_autofree char *n = mhp_html_escape(NULL, -1);
	g_autofree char *nul = mhp_html_escape("a\0b", 3);

	tap_ok(!strcmp(e, "&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &#39;a&#39; &amp; "
			  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd&lt;"),
	       "escape: tags, quotes, & and controls; invalid UTF-8 made valid (%s)", e);
	tap_ok(g_utf8_validate(e, -1, NULL), "escape: the result is valid UTF-8");
	tap_ok(!strcmp(n, "") && !strcmp(nul, "a\xef\xbf\xbd" "b"), "escape: NULL is empty, a NUL byte is U+FFFD");
}

static void test_failing_run(void)
{
	g_autofree char *dir = failing_run("failing", 3);
	g_autofree char *path = g_build_filename(dir, "report.html", NULL);
	g_autoptr(GError) err = NULL;
	g_autofree char *html = NULL;
	static const char *const titles[] = { "PageTables after removal", "nr_page_table_pages after removal",
					      "kernel table pages (ptdump) after removal", "MemFree + pcp_kb after removal",
					      "PageTables plugged", "what each plug added (verify.rise)", "cycle_ms" };
	struct stat st;
	gsize len;

	tap_ok(mhp_results_write_report(dir, &err), "a failing run's report is written (%s)", err ? err->message : "ok");
	if (!g_file_get_contents(path, &html, &len, NULL)) {
		tap_ok(0, "report.html is readable");
		return;
	}
	tap_ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "report.html is 0600");
	tap_ok(g_utf8_validate(html, (gssize)len, NULL), "the page is valid UTF-8");
	tap_ok(has(html, "<svg") && has(html, "<!DOCTYPE html>"), "the page has inline SVG");
	for (gsize i = 0; i < G_N_ELEMENTS(titles); i++)
		tap_ok(has(html, titles[i]), "a plot titled '%s'", titles[i]);
	tap_ok(has(html, "<tr class=\"failure\"><td>6</td><td>online-failed</td>"), "the failure row: cycle 6, its class");
	tap_ok(has(html, "online of block 17 failed: &lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &#39;a&#39; "
			 "&amp; \xef\xbf\xbd\xef\xbf\xbd"), "the hostile detail is escaped and made valid");
	tap_ok(!g_strrstr(html, "<script") && !g_strrstr(html, "<SCRIPT"), "no raw <script anywhere");
	tap_ok(self_contained(html), "no external reference: no URL but SVG's xmlns, no script, link, img or url()");
	tap_ok(has(html, "baseline 290 (snapshots/baseline.json)") && has(html, "band ±512 around 290"),
	       "PageTables: the baseline snapshot's value and the check's band");
	tap_ok(has(html, "trend 0.5 kB/cycle, ok") && has(html, "trend -64.5 kB/cycle, leak"),
	       "the trends from summary.json, with their verdicts");
	tap_ok(has(html, "<title>add</title>") && has(html, "n 6, 5 to 9 ms"), "a latency histogram per phase");
	tap_ok(has(html, "<title>online</title>") && has(html, "<title>cycle_ms</title>") && has(html, "n 6, 190 to 210 ms"),
	       "histograms of online and cycle_ms");
	tap_ok(has(html, "0x0000000080000000") || has(html, "0xffff000080000000"),
	       "the first plug's ptdump range that the baseline lacks");
	tap_ok(has(html, "mapped after the first plug, not at the baseline"), "the range diff is labelled");
	tap_ok(has(html, "<h4>dmesg.txt</h4>") && has(html, "hotplug: &lt;script&gt;"), "evidence: dmesg, escaped");
	tap_ok(has(html, "Binary, 19 bytes: not shown."), "evidence: the vmcore is not shown");
	tap_ok(has(html, "ops 999, errors 2") && has(html, "cycles.jsonl records no stressor counters"),
	       "stressors: the counters kept, and why not over time");
}

/* 20,000 cycles in a plain closed segment and the open file, some failing. */
static void test_large_run(void)
{
	g_autofree char *dir = new_dir("large");
	g_autoptr(GString) c = g_string_new(NULL);
	g_autoptr(GError) err = NULL;
	g_autofree char *html = NULL;
	gint64 t0 = g_get_monotonic_time();

	put(dir, "run.json", "{\"seed\":\"1\",\"scenario\":{\"name\":\"soak\"}}", -1);
	for (int i = 1; i <= 20000; i++) {
		cycle(c, i, i % 997 ? "pass" : "kernel-warning", i % 997 ? NULL : "WARNING: at mm/memory_hotplug.c", 0);
		if (i == 10000) {
			put(dir, "cycles.0001.jsonl", c->str, -1);
			g_string_truncate(c, 0);
		}
	}
	put(dir, "cycles.jsonl", c->str, -1);
	html = mhp_report_html(dir, NULL, &err);
	tap_ok(html != NULL, "a 20,000-cycle run has a report (%s)", err ? err->message : "ok");
	if (!html)
		return;
	printf("# %zu bytes, %.2f s\n", strlen(html), (g_get_monotonic_time() - t0) / 1e6);
	tap_ok(strlen(html) < 3 * 1024 * 1024, "and it is under 3 MB (%zu bytes)", strlen(html));
	tap_ok(has(html, "20000 recorded, 20 failed"), "every cycle of both segments is counted");
	tap_ok(has(html, "32 cycles a bucket"), "the plots are downsampled (32 cycles a bucket, 625 buckets)");
	tap_ok(has(html, "kernel-warning: 20"), "the failures' classes are counted");
	if (keep)
		put(dir, "report.html", html, -1);
}

static void test_ab(void)
{
	g_autofree char *a = failing_run("run-alpha", 1), *b = failing_run("run-beta", 6);
	g_autoptr(GError) err = NULL;
	g_autofree char *html = mhp_report_html(a, b, &err);

	tap_ok(html != NULL, "an A/B report (%s)", err ? err->message : "ok");
	if (!html)
		return;
	tap_ok(has(html, "run-alpha") && has(html, "run-beta"), "it names both runs");
	tap_ok(has(html, "A against B") && has(html, "Failures by class"), "with compare's numbers side by side");
	tap_ok(has(html, "(Linear Mapping and vmemmap equal): <span class=\"pass\">hold</span>"),
	       "and A's end snapshot against B's");
	tap_ok(!g_strrstr(html, "<script") && self_contained(html), "and it is escaped and self-contained too");
	if (keep)
		put(base, "report-ab.html", html, -1);
}

/* Numbers a hostile guest can put in its snapshots: near 2^63, negative, a range no double step can walk. */
static void test_hostile_numbers(void)
{
	g_autofree char *dir = new_dir("numbers");
	g_autoptr(GError) err = NULL;
	g_autofree char *html = NULL;

	put(dir, "cycles.jsonl",
	    "{\"cycle\":1,\"verdict\":\"pass\",\"cycle_ms\":1e308,\"verify\":{\"removed\":"
	    "{\"PageTables\":9223372036854775000,\"MemFree\":-9223372036854775807,\"pcp_kb\":-9223372036854775807},"
	    "\"plugged\":{\"PageTables\":-1e308},\"checks_removed\":[{\"name\":\"page-tables-band\","
	    "\"expected\":9223372036854775807,\"band\":9223372036854775807}]},"
	    "\"phases\":{\"add\":{\"start_ns\":-9223372036854775807,\"end_ns\":9223372036854775807},"
	    "\"online\":{\"start_ns\":5,\"end_ns\":1}}}\n"
	    "{\"cycle\":2,\"verdict\":\"pass\",\"cycle_ms\":-1,\"verify\":{\"removed\":"
	    "{\"PageTables\":9223372036854775807},\"plugged\":{\"PageTables\":1e308}}}\n"
	    "[1,2]\n\"str\"\n{\"cycle\":3,\"verdict\":{\"x\":1},\"phases\":[],\"verify\":[]}\n", -1);
	put(dir, "summary.json", "{\"trends\":{\"PageTables\":{\"slope\":1e308},\"MemFree\":[]},\"latency_ms\":7,"
				 "\"stressors\":{\"x\":{\"ops\":1e400}}}", -1);
	html = mhp_report_html(dir, NULL, &err);
	tap_ok(html && has(html, "<svg") && has(html, "3 recorded, 1 failed"),
	       "values near 2^63, 1e308 and of the wrong type make a page, and end (%s)", err ? err->message : "ok");
	tap_ok(html && !has(html, "nan") && !has(html, "inf\""), "with no NaN or infinity in it");
}

/* Links in a results directory are not followed to files outside it. */
static void test_links(void)
{
	g_autofree char *dir = new_dir("links");
	g_autofree char *evidence = g_build_filename(dir, "evidence", NULL);
	g_autofree char *secret_dir = new_dir("secret"), *html = NULL, *html2 = NULL;
	g_autofree char *secret = g_build_filename(secret_dir, "key.txt", NULL);
	g_autofree char *link = g_build_filename(secret_dir, "dmesg.txt", NULL);

	put(dir, "cycles.jsonl", "{\"cycle\":1,\"verdict\":\"pass\"}\n", -1);
	put(secret_dir, "key.txt", "SECRET-KEY-TEXT", -1);
	tap_ok(symlink(secret_dir, evidence) == 0 && symlink(secret, link) == 0, "links made");
	html = mhp_report_html(dir, NULL, NULL);
	tap_ok(html && !has(html, "SECRET-KEY-TEXT") && has(html, "evidence/ is a symbolic link: not followed"),
	       "an evidence/ that is a link is not followed");
	g_unlink(evidence);
	g_mkdir(evidence, 0700);
	g_unlink(link);
	g_free(link);
	link = g_build_filename(evidence, "dmesg.txt", NULL);
	tap_ok(symlink(secret, link) == 0, "a link in evidence/ made");
	html2 = mhp_report_html(dir, NULL, NULL);
	tap_ok(html2 && !has(html2, "SECRET-KEY-TEXT") && has(html2, "a symbolic link, not followed"),
	       "a file in evidence/ that is a link is not followed");
}

static void test_not_a_run(void)
{
	g_autofree char *empty = new_dir("empty");
	g_autofree char *gone = g_build_filename(base, "gone", NULL);
	g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
	g_autofree char *h1 = mhp_report_html(empty, NULL, &e1);
	g_autofree char *h2 = mhp_report_html(gone, NULL, &e2);

	tap_ok(!h1 && e1 && strstr(e1->message, "is not the results directory of a run: no readable run.json or "
						 "cycles.jsonl"), "an empty directory is no run: %s", e1 ? e1->message : "-");
	tap_ok(!h2 && e2 && strstr(e2->message, "no such directory"), "a missing one: %s", e2 ? e2->message : "-");
	tap_ok(!mhp_results_write_report(empty, &e3) && e3, "write_report refuses it too");
}

int main(int argc, char **argv)
{
	g_autoptr(GError) err = NULL;

	keep = argc > 1;
	base = keep ? g_strdup(argv[1]) : g_dir_make_tmp("test-results-report-XXXXXX", &err);
	if (!base || g_mkdir_with_parents(base, 0700) < 0) {
		printf("Bail out! cannot make a temporary directory\n");
		return 1;
	}
	test_escape();
	test_failing_run();
	test_large_run();
	test_ab();
	test_hostile_numbers();
	test_links();
	test_not_a_run();
	if (!keep) {
		const char *rm[] = { "rm", "-rf", base, NULL };

		g_spawn_sync(NULL, (char **)rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
	}
	g_free(base);
	return tap_done();
}
