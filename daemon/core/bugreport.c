// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bugreport.c - evidence/report.md, what a developer pastes into a mail:
 * everything in it comes from files the run kept (info.json, console.txt,
 * run.json, qemu.log, console.log) and from the kernel's build directory
 * (build-info, config, vmlinux, and the source's decode_stacktrace.sh).
 *
 * The console text is the guest's: it is only ever quoted inside a fence
 * longer than any run of backticks it holds.
 */
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include <gio/gio.h>
#include <json-c/json.h>

#include "bugreport.h"
#include "jsonget.h"
#include "oops.h"
#include "results.h"

/* what is read of the guest's files */
#define CONSOLE_MAX (1024 * 1024)
#define BANNER_SCAN (256 * 1024)
#define DECODED_MAX (512 * 1024)

char *mhp_evidence_dir_name(guint n)
{
	return n <= 1 ? g_strdup(MHP_RESULTS_EVIDENCE) : g_strdup_printf(MHP_RESULTS_EVIDENCE "-%u", n);
}

GPtrArray *mhp_results_evidence_dirs(const char *results_dir)
{
	GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);

	for (guint n = 1; n <= MHP_EVIDENCE_MAX; n++) {
		g_autofree char *name = mhp_evidence_dir_name(n);
		char *path = g_build_filename(results_dir, name, NULL);

		if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK))
			g_ptr_array_add(dirs, path);
		else
			g_free(path);
	}
	return dirs;
}

/* At most @max bytes of a regular file (not through a symlink), or NULL. */
static char *read_head(const char *path, gsize max)
{
	g_autoptr(GFile) f = NULL;
	g_autoptr(GFileInputStream) in = NULL;
	char *buf;
	gsize got = 0;

	if (g_file_test(path, G_FILE_TEST_IS_SYMLINK) || !g_file_test(path, G_FILE_TEST_IS_REGULAR))
		return NULL;
	f = g_file_new_for_path(path);
	in = g_file_read(f, NULL, NULL);
	if (!in)
		return NULL;
	buf = g_malloc(max + 1);
	if (!g_input_stream_read_all(G_INPUT_STREAM(in), buf, max, &got, NULL, NULL)) {
		g_free(buf);
		return NULL;
	}
	buf[got] = '\0';
	/* a NUL inside ends the text there */
	return buf;
}

/* The value of "@key=" in a build-info file's text, or NULL. */
static char *kv_get(const char *text, const char *key)
{
	g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
	gsize n = strlen(key);

	for (char **l = lines; *l; l++)
		if (!strncmp(*l, key, n) && (*l)[n] == '=')
			return g_strdup(*l + n + 1);
	return NULL;
}

/* The first line of @text starting with @prefix (after a printk time), without it. */
static char *line_with(const char *text, const char *needle)
{
	const char *p = text ? strstr(text, needle) : NULL;
	const char *e;

	if (!p)
		return NULL;
	e = strchr(p, '\n');
	return g_utf8_make_valid(p, e ? e - p : -1);
}

/* A fence that no run of backticks in @s can close. */
static char *fence_for(const char *s)
{
	gsize run = 0, best = 2;

	for (; s && *s; s++) {
		run = *s == '`' ? run + 1 : 0;
		best = MAX(best, run);
	}
	return g_strnfill(best + 1, '`');
}

static void block(GString *md, const char *lang, const char *text)
{
	g_autofree char *fence = fence_for(text);
	gsize n = strlen(text);

	g_string_append_printf(md, "%s%s\n%s%s%s\n\n", fence, lang, text, n && text[n - 1] == '\n' ? "" : "\n",
			       fence);
}

/* One line of guest text, as inline code. */
static void inline_code(GString *md, const char *text)
{
	g_autofree char *t = g_utf8_make_valid(text, -1);
	g_autofree char *fence = NULL;

	g_strdelimit(t, "\r\n", ' ');
	fence = fence_for(t);
	if (strlen(fence) == 3)
		fence[1] = '\0'; /* a single backtick is enough */
	g_string_append_printf(md, "%s %s %s", fence, t, fence);
}

typedef struct {
	char *kdir;      /* the kernel image's directory */
	char *info;      /* its build-info */
	char *srcdir;    /* the source tree (a mutant's: its clean kernel's) */
	char *vmlinux;
	char *config;    /* path */
	gboolean debuginfo;
	char *compiler;
} Kernel;

static void kernel_clear(Kernel *k)
{
	g_free(k->kdir);
	g_free(k->info);
	g_free(k->srcdir);
	g_free(k->vmlinux);
	g_free(k->config);
	g_free(k->compiler);
}

static void kernel_find(Kernel *k, const char *image, const MhpBugReportOptions *o)
{
	g_autofree char *info_path = NULL, *cfg = NULL;

	k->kdir = g_path_get_dirname(image ? image : ".");
	info_path = g_build_filename(k->kdir, "build-info", NULL);
	k->info = read_head(info_path, 64 * 1024);
	if (o && o->srcdir)
		k->srcdir = g_strdup(o->srcdir);
	else if (!(k->srcdir = kv_get(k->info, "srcdir"))) {
		/* a calibration mutant: its clean kernel's source, patch reversed */
		g_autofree char *clean = kv_get(k->info, "clean");

		if (clean) {
			g_autofree char *ci = g_build_filename(clean, "build-info", NULL);
			g_autofree char *ctext = read_head(ci, 64 * 1024);

			k->srcdir = kv_get(ctext, "srcdir");
		}
	}
	k->vmlinux = o && o->vmlinux ? g_strdup(o->vmlinux) : g_build_filename(k->kdir, "vmlinux", NULL);
	k->config = g_build_filename(k->kdir, "config", NULL);
	cfg = read_head(k->config, 1024 * 1024);
	if (!cfg) {
		g_clear_pointer(&k->config, g_free);
		return;
	}
	k->debuginfo = strstr(cfg, "\nCONFIG_DEBUG_INFO=y\n") != NULL;
	{
		g_autofree char *cc = kv_get(cfg, "CONFIG_CC_VERSION_TEXT");

		if (cc) {
			gsize n = strlen(cc);

			if (n >= 2 && cc[0] == '"' && cc[n - 1] == '"') {
				cc[n - 1] = '\0';
				k->compiler = g_strdup(cc + 1);
			} else {
				k->compiler = g_strdup(cc);
			}
		}
	}
}

typedef struct {
	GMainLoop *loop;
	char *out;
	GError *error;
	gboolean timed_out;
	GSubprocess *p;
} Decode;

static void on_decoded(GObject *src, GAsyncResult *res, gpointer user_data)
{
	Decode *d = user_data;

	g_subprocess_communicate_utf8_finish(G_SUBPROCESS(src), res, &d->out, NULL, &d->error);
	g_main_loop_quit(d->loop);
}

static gboolean on_decode_timeout(gpointer user_data)
{
	Decode *d = user_data;

	d->timed_out = TRUE;
	g_subprocess_force_exit(d->p);
	return G_SOURCE_REMOVE;
}

/*
 * The trace through scripts/decode_stacktrace.sh: NULL and *@why when it
 * cannot be run. It runs in a main context of its own, with a deadline.
 */
static char *decode(const Kernel *k, const char *excerpt, const char *modpath, guint timeout_s, char **why)
{
	g_autofree char *script = k->srcdir ? g_build_filename(k->srcdir, "scripts", "decode_stacktrace.sh", NULL) : NULL;
	g_autoptr(GSubprocessLauncher) l = NULL;
	g_autoptr(GMainContext) ctx = NULL;
	Decode d = { 0 };
	struct utsname u;
	GSource *t;

	if (!script || !g_file_test(script, G_FILE_TEST_IS_REGULAR)) {
		*why = g_strdup_printf("no kernel source with scripts/decode_stacktrace.sh (build-info in %s names %s)",
				       k->kdir, k->srcdir ? k->srcdir : "none");
		return NULL;
	}
	if (!g_file_test(k->vmlinux, G_FILE_TEST_IS_REGULAR)) {
		*why = g_strdup_printf("no vmlinux at %s", k->vmlinux);
		return NULL;
	}
	l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
				      G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	if (uname(&u) == 0 && strcmp(u.machine, "aarch64"))
		g_subprocess_launcher_setenv(l, "CROSS_COMPILE", "aarch64-linux-gnu-", FALSE);
	g_subprocess_launcher_setenv(l, "LC_ALL", "C", TRUE);
	ctx = g_main_context_new();
	g_main_context_push_thread_default(ctx);
	d.p = g_subprocess_launcher_spawn(l, &d.error, "bash", script, k->vmlinux, k->srcdir, modpath ? modpath : "",
					  NULL);
	if (!d.p) {
		g_main_context_pop_thread_default(ctx);
		*why = g_strdup_printf("cannot run %s: %s", script, d.error->message);
		g_error_free(d.error);
		return NULL;
	}
	d.loop = g_main_loop_new(ctx, FALSE);
	g_subprocess_communicate_utf8_async(d.p, excerpt, NULL, on_decoded, &d);
	t = g_timeout_source_new_seconds(timeout_s);
	g_source_set_callback(t, on_decode_timeout, &d, NULL);
	g_source_attach(t, ctx);
	g_main_loop_run(d.loop);
	g_source_destroy(t);
	g_source_unref(t);
	if (!d.error && !d.timed_out)
		g_subprocess_wait(d.p, NULL, NULL);
	g_main_loop_unref(d.loop);
	g_main_context_pop_thread_default(ctx);
	if (d.timed_out) {
		*why = g_strdup_printf("%s took more than %u s", script, timeout_s);
		g_clear_error(&d.error);
		g_free(d.out);
		g_object_unref(d.p);
		return NULL;
	}
	if (d.error || !g_subprocess_get_if_exited(d.p) || g_subprocess_get_exit_status(d.p)) {
		*why = d.error ? g_strdup_printf("%s: %s", script, d.error->message)
			       : g_strdup_printf("%s failed", script);
		g_clear_error(&d.error);
		g_free(d.out);
		g_object_unref(d.p);
		return NULL;
	}
	g_object_unref(d.p);
	if (d.out && strlen(d.out) > DECODED_MAX)
		d.out[DECODED_MAX] = '\0';
	return d.out;
}

/* Does the decoded trace name a source line anywhere ("(mm/vmstat.c:123)")? */
static gboolean has_file_line(const char *decoded)
{
	for (const char *p = decoded; p && (p = strstr(p, ".c:")); p += 3)
		if (g_ascii_isdigit(p[3]))
			return TRUE;
	return FALSE;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : NULL;
}

static struct json_object *read_json(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autofree char *text = read_head(path, 4 * 1024 * 1024);
	struct json_object *o = text ? json_tokener_parse(text) : NULL;

	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/*
 * console.txt holds the lines before the failure too, perhaps an earlier
 * report: the failure's own starts at its first line (info.json's detail),
 * or at the "cut here" just before it.
 */
static const char *own_report(const char *console, const char *detail)
{
	const char *want, *hit = NULL, *start;
	g_autofree char *needle = NULL;

	if (!console || !detail)
		return console;
	if (g_str_has_prefix(detail, "console: ") || g_str_has_prefix(detail, "kernel: "))
		detail = strchr(detail, ' ') + 1;
	want = mhp_oops_line_text(detail);
	if (strlen(want) < 8)
		return console;
	/* the detail is cut at 200 bytes: the first 60 find the line */
	needle = g_strndup(want, 60);
	for (const char *p = console; (p = strstr(p, needle)); p++)
		hit = p; /* the last one: the tail may hold an earlier copy */
	if (!hit)
		return console;
	start = hit;
	while (start > console && start[-1] != '\n')
		start--;
	/* one or two lines back, for "------------[ cut here ]" */
	for (int k = 0; k < 2 && start > console; k++) {
		const char *prev = start - 1;

		while (prev > console && prev[-1] != '\n')
			prev--;
		if (g_strstr_len(prev, start - prev, "[ cut here ]")) {
			start = prev;
			break;
		}
	}
	return start;
}

char *mhp_bugreport_title(const char *evidence_dir)
{
	g_autofree char *console_path = g_build_filename(evidence_dir, MHP_EVIDENCE_CONSOLE, NULL);
	g_autofree char *console = read_head(console_path, CONSOLE_MAX);
	struct json_object *info = read_json(evidence_dir, MHP_EVIDENCE_INFO);
	char *title = mhp_oops_title(own_report(console, jstr(info, "detail")));

	if (!title) {
		const char *cls = jstr(info, "class"), *phase = jstr(info, "phase");

		title = g_strdup_printf("mhpstress: %s in %s", cls ? cls : "failure", phase ? phase : "a cycle");
	}
	json_object_put(info);
	return title;
}

/* The seed as text, whichever way run.json or info.json holds it. */
static char *seed_of(struct json_object *o, const char *what)
{
	guint64 seed;

	if (!o || !mhp_json_get_seed(o, what, "seed", &seed, NULL))
		return NULL;
	return g_strdup_printf("%" G_GUINT64_FORMAT, seed);
}

static void section_kernel(GString *md, const Kernel *k, const char *results_dir, const char *image,
			   const char *kconfig_copy)
{
	g_autofree char *console_log = g_build_filename(results_dir, "console.log", NULL);
	g_autofree char *head = read_head(console_log, BANNER_SCAN);
	g_autofree char *banner = line_with(head, "Linux version ");
	g_autofree char *source = kv_get(k->info, "source");
	g_autofree char *release = kv_get(k->info, "release");
	g_autofree char *fragments = kv_get(k->info, "fragments");
	g_autofree char *mutant = kv_get(k->info, "mutant");

	g_string_append(md, "## Kernel\n\n");
	if (banner) {
		g_string_append(md, "- booted: ");
		inline_code(md, banner);
		g_string_append(md, "\n");
	}
	if (source) {
		/* "debian:linux-source-7.3=7.3.4-1~bpo13+1" or "git:COMMIT:DIFFSHA" */
		if (g_str_has_prefix(source, "git:")) {
			g_auto(GStrv) f = g_strsplit(source + 4, ":", 2);

			g_string_append_printf(md, "- source: git commit `%s`%s\n", f[0],
					       f[1] && strcmp(f[1], "e3b0c44298fc1c14") /* sha_of an empty diff */
						       ? " with uncommitted changes" : "");
		} else if (g_str_has_prefix(source, "debian:")) {
			g_string_append_printf(md, "- source: Debian package `%s`\n", source + 7);
		} else {
			g_string_append_printf(md, "- source: `%s`\n", source);
		}
	} else {
		g_string_append(md, "- source: unknown (no build-info next to the image: not built by tools/build-kernel)\n");
	}
	if (mutant)
		g_string_append_printf(md, "- calibration mutant: `%s` (tools/mutants/%s.patch) on the kernel above\n",
				       mutant, mutant);
	if (release)
		g_string_append_printf(md, "- release: `%s`\n", release);
	g_string_append_printf(md, "- image: `%s`\n", image ? image : "?");
	if (fragments) {
		g_auto(GStrv) f = g_strsplit(fragments, " ", -1);

		g_string_append(md, "- config: allnoconfig +");
		for (char **p = f; *p; p++) {
			g_autofree char *b = g_path_get_basename(*p);
			g_string_append_printf(md, " `%s`", b);
		}
		g_string_append(md, "\n");
	}
	if (kconfig_copy)
		g_string_append_printf(md, "- .config: `%s` (a copy of `%s`)\n", MHP_EVIDENCE_KCONFIG, k->config);
	else
		g_string_append(md, "- .config: not found next to the image\n");
	g_string_append_printf(md, "- compiler: %s\n", k->compiler ? k->compiler : "unknown");
	g_string_append_printf(md, "- debug info: %s\n",
			       k->debuginfo ? "yes (tools/kconfig/debuginfo.config)"
					    : "no: rebuild with `tools/build-kernel --fragment tools/kconfig/debuginfo.config` "
					      "for file:line");
	g_string_append(md, "\n");
}

static void section_host(GString *md, struct json_object *run, const char *results_dir)
{
	g_autofree char *qlog = g_build_filename(results_dir, "qemu.log", NULL);
	g_autofree char *head = read_head(qlog, 64 * 1024);
	const char *backend = jstr(run, "backend"), *vmm = jstr(run, "vmm"), *tool = jstr(run, "tool");

	g_string_append(md, "## Host\n\n");
	g_string_append_printf(md, "- %s, %s backend: %s\n", tool ? tool : "mhpstress", backend ? backend : "?",
			       vmm && *vmm ? vmm : "VMM version unknown");
	if (head && g_str_has_prefix(head, "# ")) {
		char *e = strchr(head, '\n');

		if (e)
			*e = '\0';
		g_string_append(md, "- QEMU command line:\n\n");
		block(md, "", head + 2);
	} else if (jstr(run, "domain")) {
		g_string_append_printf(md, "- libvirt domain `%s` on `%s` (its XML: `virsh dumpxml`)\n\n",
				       jstr(run, "domain"), jstr(run, "connect") ? jstr(run, "connect") : "the default URI");
	} else {
		g_string_append(md, "\n");
	}
}

static void section_reproduce(GString *md, struct json_object *run, const char *results_dir, const char *seed)
{
	struct json_object *sc = NULL;
	const char *path = NULL, *text = NULL, *name = NULL;
	g_autofree char *abs = g_canonicalize_filename(results_dir, NULL);
	g_autofree char *qabs = g_shell_quote(abs);

	if (run && json_object_object_get_ex(run, "scenario", &sc)) {
		path = jstr(sc, "path");
		text = jstr(sc, "text");
		name = jstr(sc, "name");
	}
	g_string_append(md, "## Reproduce\n\n");
	g_string_append_printf(md, "Scenario `%s`%s%s%s, seed %s.\n\n", name ? name : "?", path ? " (" : "",
			       path ? path : "", path ? ")" : "", seed ? seed : "unknown");
	g_string_append(md, "The same run again (scenario, seed, kernel, initrd and bounds from its run.json):\n\n");
	{
		g_autofree char *cmd = g_strdup_printf("mhpstress run --replay %s", qabs);
		block(md, "sh", cmd);
	}
	if (run && path && seed) {
		g_autofree char *qp = g_shell_quote(path);
		g_autofree char *qk = g_shell_quote(jstr(run, "kernel_image") ? jstr(run, "kernel_image") : "?");
		g_autofree char *qi = g_shell_quote(jstr(run, "initrd") ? jstr(run, "initrd") : "?");
		GString *cmd = g_string_new(NULL);
		static const char *const bound[] = { "cycles", "duration_ms" };

		g_string_printf(cmd, "mhpstress run %s --kernel %s --initrd %s --seed %s", qp, qk, qi, seed);
		/* the bounds given on the command line, where they differ from the scenario's own */
		for (size_t i = 0; i < G_N_ELEMENTS(bound); i++) {
			struct json_object *v = NULL, *w = NULL;
			int64_t ran, own = -1;

			if (!json_object_object_get_ex(run, bound[i], &v) || (ran = json_object_get_int64(v)) <= 0)
				continue;
			if (sc && json_object_object_get_ex(sc, bound[i], &w))
				own = json_object_get_int64(w);
			if (ran != own)
				g_string_append_printf(cmd, i ? " --duration %" PRId64 "ms" : " --cycles %" PRId64, ran);
		}
		g_string_append(md, "or by hand:\n\n");
		block(md, "sh", cmd->str);
		g_string_free(cmd, TRUE);
	}
	if (text && *text) {
		g_string_append(md, "<details><summary>The scenario as run</summary>\n\n");
		block(md, "ini", text);
		g_string_append(md, "</details>\n\n");
	}
}

static void section_trace(GString *md, const Kernel *k, const char *excerpt, const char *modpath, guint timeout_s)
{
	g_autofree char *why = NULL;
	g_autofree char *decoded = NULL;

	if (!excerpt) {
		g_string_append(md, "## Console\n\nNo kernel report in the console (see console.txt).\n\n");
		return;
	}
	decoded = decode(k, excerpt, modpath, timeout_s, &why);
	if (decoded && *decoded) {
		g_autofree char *valid = g_utf8_make_valid(decoded, -1);

		g_string_append_printf(md, "## Trace\n\nDecoded with `scripts/decode_stacktrace.sh` against `%s`%s:\n\n",
				       k->vmlinux, has_file_line(valid) ? "" : " (no file:line: the kernel has no debug info)");
		block(md, "", valid);
		/* the script names a frame by its caller's line: the printed names too */
		g_string_append(md, "<details><summary>The trace as the kernel printed it</summary>\n\n");
		block(md, "", excerpt);
		g_string_append(md, "</details>\n\n");
		return;
	}
	g_string_append_printf(md, "## Trace\n\nNot decoded: %s.\n\n", why ? why : "the decoder printed nothing");
	block(md, "", excerpt);
}

gboolean mhp_bugreport_write(const char *results_dir, const char *evidence_dir, const MhpBugReportOptions *opts,
			     GError **error)
{
	g_autofree char *console_path = g_build_filename(evidence_dir, MHP_EVIDENCE_CONSOLE, NULL);
	g_autofree char *console = read_head(console_path, CONSOLE_MAX);
	struct json_object *info = read_json(evidence_dir, MHP_EVIDENCE_INFO);
	g_autofree char *excerpt = mhp_oops_excerpt(own_report(console, jstr(info, "detail")));
	g_autofree char *title = mhp_bugreport_title(evidence_dir);
	g_autofree char *out = g_build_filename(evidence_dir, MHP_EVIDENCE_REPORT, NULL);
	g_autofree char *kcopy = g_build_filename(evidence_dir, MHP_EVIDENCE_KCONFIG, NULL);
	g_autofree char *seed = NULL, *modpath = NULL, *cfg = NULL;
	struct json_object *run = read_json(results_dir, "run.json");
	const char *image = jstr(run, "kernel_image") ? jstr(run, "kernel_image") : jstr(info, "kernel");
	const char *initrd = jstr(run, "initrd");
	gboolean copied = FALSE;
	Kernel k = { 0 };
	GString *md = g_string_new(NULL);
	gboolean ok;

	kernel_find(&k, image, opts);
	seed = seed_of(run, "run.json");
	if (!seed)
		seed = seed_of(info, "info.json");
	if (initrd) {
		/* tools/build-guest keeps the test module unstripped there */
		g_autofree char *gd = g_path_get_dirname(initrd);
		modpath = g_build_filename(gd, "debug", NULL);
		if (!g_file_test(modpath, G_FILE_TEST_IS_DIR))
			g_clear_pointer(&modpath, g_free);
	}
	if (k.config && (cfg = read_head(k.config, 4 * 1024 * 1024)))
		copied = mhp_results_write_file(kcopy, cfg, -1, NULL);

	g_string_append_printf(md, "# %s\n\n", title);
	{
		const char *cls = jstr(info, "class"), *phase = jstr(info, "phase"), *detail = jstr(info, "detail");
		struct json_object *v;
		gint64 cycle = info && json_object_object_get_ex(info, "cycle", &v) ? json_object_get_int64(v) : -1;
		gint64 ns = info && json_object_object_get_ex(info, "run_ns", &v) ? json_object_get_int64(v) : -1;

		g_string_append_printf(md, "Found by mhpstress: class `%s`, cycle %" G_GINT64_FORMAT ", phase `%s`",
				       cls ? cls : "?", cycle, phase ? phase : "?");
		if (ns >= 0)
			g_string_append_printf(md, ", %.1f s into the run", (double)ns / 1e9);
		g_string_append(md, ".\n");
		if (detail) {
			g_string_append(md, "First line: ");
			inline_code(md, detail);
			g_string_append(md, "\n");
		}
		g_string_append(md, "\n");
	}
	section_trace(md, &k, excerpt, modpath, opts && opts->timeout_s ? opts->timeout_s : MHP_BUGREPORT_DECODE_TIMEOUT_S);
	section_kernel(md, &k, results_dir, image, copied ? kcopy : NULL);
	section_host(md, run, results_dir);
	section_reproduce(md, run, results_dir, seed);
	g_string_append(md, "## Files\n\nIn this directory: `console.txt` (the console around the failure), "
			    "`dmesg.txt` (the agent's, when it still answered), `snapshot.json` (the last accounting "
			    "snapshot), `info.json`");
	if (copied)
		g_string_append(md, ", `" MHP_EVIDENCE_KCONFIG "`");
	{
		struct json_object *cmds = NULL, *v;

		if (info && json_object_object_get_ex(info, "commands", &cmds) &&
		    json_object_object_get_ex(cmds, "crash", &v) && json_object_is_type(v, json_type_string))
			g_string_append_printf(md, ", and a vmcore: `%s`", json_object_get_string(v));
	}
	g_string_append(md, ".\n");

	ok = mhp_results_write_file(out, md->str, (gssize)md->len, error);
	g_string_free(md, TRUE);
	kernel_clear(&k);
	json_object_put(info);
	json_object_put(run);
	return ok;
}
