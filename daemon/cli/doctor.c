// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * doctor.c - mhpstress doctor: what this host has and lacks to run an
 * arm64 guest, one line per piece ("ok", "MISSING" or "WARN") with how to
 * get what is missing (Debian package names). With --kernel or --config,
 * also the kernel config options tools/kconfig/mhpstress.config asks for.
 *
 * MISSING is what a run or a guest build cannot do without (exit 1); WARN
 * is what only some uses need (libvirt, the daemon) or a risk (free space).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "backend.h"
#include "cli.h"
#include "control-proto.h"
#include "scenario.h"

#define DOCTOR_LIBVIRT_TIMEOUT_MS 3000
#define DOCTOR_CACHE_MIN_FREE (8ull << 30)   /* a kernel build and its source */
#define DOCTOR_IMAGE_MAX_BYTES (256u << 20)
#define DOCTOR_CONFIG_MAX_BYTES (16u << 20)

typedef enum {
	DOCTOR_OK,
	DOCTOR_WARN,
	DOCTOR_MISSING,
	_DOCTOR_MAX,
} DoctorStatus;

static const char *const doctor_status_names[_DOCTOR_MAX] = {
	[DOCTOR_OK] = "ok",
	[DOCTOR_WARN] = "WARN",
	[DOCTOR_MISSING] = "MISSING",
};

typedef struct {
	guint missing;
	guint warned;
} Doctor;

static void say(Doctor *d, DoctorStatus st, const char *what, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static void say(Doctor *d, DoctorStatus st, const char *what, const char *fmt, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	printf("%-8s %s: %s\n", doctor_status_names[st], what, text);
	d->missing += st == DOCTOR_MISSING;
	d->warned += st == DOCTOR_WARN;
}

/* The first line @argv prints on stdout, or NULL when it cannot be run. */
static char *first_line_of(const char *const *argv)
{
	g_autofree char *out = NULL;
	gint status;

	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status, NULL) ||
	    !g_spawn_check_wait_status(status, NULL) || !out)
		return NULL;
	out[strcspn(out, "\n")] = '\0';
	return g_strdup(out);
}

/* A program on $PATH, its version (the first line of @version_arg's output), or how to install it. */
static void check_program(Doctor *d, const char *prog, const char *version_arg, const char *package,
			  const char *needed_for)
{
	g_autofree char *path = g_find_program_in_path(prog);
	g_autofree char *version = NULL;
	const char *argv[] = { path, version_arg, NULL };

	if (!path) {
		say(d, DOCTOR_MISSING, prog, "not on PATH, %s needs it: apt-get install %s", needed_for, package);
		return;
	}
	version = first_line_of(argv);
	if (!version)
		say(d, DOCTOR_MISSING, prog, "'%s %s' fails: reinstall %s", path, version_arg, package);
	else
		say(d, DOCTOR_OK, prog, "%s (%s)", version, path);
}

static void check_firmware(Doctor *d, const char *firmware)
{
	if (!g_file_test(firmware, G_FILE_TEST_IS_REGULAR))
		say(d, DOCTOR_MISSING, "UEFI firmware", "no '%s': apt-get install qemu-efi-aarch64", firmware);
	else if (access(firmware, R_OK) < 0)
		say(d, DOCTOR_MISSING, "UEFI firmware", "'%s' is not readable by this user", firmware);
	else
		say(d, DOCTOR_OK, "UEFI firmware", "%s", firmware);
}

/* mhpstress runs the guest under TCG; KVM only helps on an arm64 host. */
static void check_accel(Doctor *d)
{
	struct utsname u;
	gboolean arm64 = uname(&u) == 0 && !strcmp(u.machine, "aarch64");

	if (!arm64)
		say(d, DOCTOR_OK, "accelerator", "TCG (this %s host cannot run an arm64 guest under KVM; cycles are slower)",
		    u.machine);
	else if (access("/dev/kvm", R_OK | W_OK) == 0)
		say(d, DOCTOR_OK, "accelerator", "TCG; /dev/kvm is usable on this arm64 host");
	else
		say(d, DOCTOR_WARN, "accelerator", "TCG; /dev/kvm is not usable by this user (add it to group kvm)");
}

static void check_libvirt(Doctor *d)
{
	const MhpBackendClass *cls = mhp_backend_class_find("libvirt");
	g_autoptr(GError) error = NULL;
	g_autofree char *detail = NULL;

	if (!cls || !cls->probe) {
		say(d, DOCTOR_WARN, "libvirt", "this mhpstress was built without libvirt (meson setup -Dlibvirt=enabled); "
		    "the qemu backend needs none");
		return;
	}
	if (cls->probe(NULL, DOCTOR_LIBVIRT_TIMEOUT_MS, &detail, &error))
		say(d, DOCTOR_OK, "libvirt", "%s", detail);
	else
		say(d, DOCTOR_WARN, "libvirt", "%s; --backend libvirt needs it: apt-get install libvirt-daemon-system, "
		    "then tools/libvirt-setup (the qemu backend needs none)", error->message);
}

/* $MHPSTRESS_CACHE, else ~/.cache/mhpstress, as tools/lib/common.sh has it. */
static char *cache_dir(void)
{
	const char *env = g_getenv("MHPSTRESS_CACHE");

	return env && *env ? g_strdup(env) : g_build_filename(g_get_user_cache_dir(), "mhpstress", NULL);
}

static void check_cache(Doctor *d, const char *dir)
{
	g_autofree char *at = g_strdup(dir);
	struct statvfs st;
	guint64 avail;

	while (!g_file_test(at, G_FILE_TEST_IS_DIR) && strcmp(at, "/")) {
		char *up = g_path_get_dirname(at);

		g_free(at);
		at = up;
	}
	if (statvfs(at, &st) < 0) {
		say(d, DOCTOR_WARN, "cache", "cannot read the free space of '%s'", at);
		return;
	}
	avail = (guint64)st.f_bavail * st.f_frsize;
	if (access(at, W_OK) < 0)
		say(d, DOCTOR_MISSING, "cache", "'%s' is not writable: tools/build-kernel caches kernels in '%s' "
		    "(set MHPSTRESS_CACHE elsewhere)", at, dir);
	else if (avail < DOCTOR_CACHE_MIN_FREE)
		say(d, DOCTOR_WARN, "cache", "'%s': %" G_GUINT64_FORMAT " MiB free, a kernel build wants %llu GiB "
		    "(set MHPSTRESS_CACHE elsewhere)", dir, avail >> 20, DOCTOR_CACHE_MIN_FREE >> 30);
	else
		say(d, DOCTOR_OK, "cache", "'%s'%s, %" G_GUINT64_FORMAT " GiB free", dir,
		    strcmp(at, dir) ? " (not made yet)" : "", avail >> 30);
}

/* A kernel for the guest: one tools/build-kernel made, or the source it builds from. */
static void check_kernel_source(Doctor *d, const char *cache)
{
	static const char *const versions[] = { "7.3", "6.12" };
	g_autofree char *kernels = g_build_filename(cache, "kernels", NULL);
	g_autoptr(GDir) dir = g_dir_open(kernels, 0, NULL);
	const char *name;

	while (dir && (name = g_dir_read_name(dir))) {
		g_autofree char *image = g_build_filename(kernels, name, "Image", NULL);

		if (!g_str_has_suffix(name, ".tmp") && g_file_test(image, G_FILE_TEST_IS_REGULAR)) {
			say(d, DOCTOR_OK, "kernel", "built by tools/build-kernel: %s", image);
			return;
		}
	}
	for (gsize i = 0; i < G_N_ELEMENTS(versions); i++) {
		g_autofree char *src = g_strdup_printf("/usr/src/linux-source-%s.tar.xz", versions[i]);

		if (g_file_test(src, G_FILE_TEST_IS_REGULAR)) {
			say(d, DOCTOR_OK, "kernel", "source %s (tools/build-kernel --version %s)", src, versions[i]);
			return;
		}
	}
	say(d, DOCTOR_WARN, "kernel", "none built yet: tools/build-kernel fetches linux-source-7.3 from the apt mirror "
	    "(apt-get install linux-source-7.3 to have it locally), or give --kernel IMAGE");
}

static void check_daemon(Doctor *d, const char *socket_path)
{
	g_autofree char *path = socket_path ? g_strdup(socket_path) : mhp_ctl_default_socket();
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
	g_autoptr(GSocketConnection) conn = NULL;
	g_autoptr(GError) error = NULL;

	conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL, &error);
	if (conn)
		say(d, DOCTOR_OK, "mhpstressd", "listening at '%s'", path);
	else
		say(d, DOCTOR_WARN, "mhpstressd", "none at '%s' (%s); start, list, status, stop, follow and results "
		    "need it: run mhpstressd, or systemctl --user start mhpstressd.socket", path, error->message);
}

/* ---- the kernel config ---- */

/* @data's gzip stream at its start, inflated; NULL when it is not one. */
static GBytes *gunzip(const guint8 *data, gsize len, gsize max)
{
	g_autoptr(GZlibDecompressor) z = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP);
	g_autoptr(GByteArray) out = g_byte_array_new();
	guint8 buf[65536];
	gsize in = 0;

	for (;;) {
		gsize read = 0, written = 0;
		GConverterResult r = g_converter_convert(G_CONVERTER(z), data + in, len - in, buf, sizeof(buf),
							 G_CONVERTER_INPUT_AT_END, &read, &written, NULL);

		if (r == G_CONVERTER_ERROR)
			return NULL;
		in += read;
		g_byte_array_append(out, buf, (guint)written);
		if (out->len > max)
			return NULL;
		if (r == G_CONVERTER_FINISHED)
			return g_byte_array_free_to_bytes(g_steal_pointer(&out));
	}
}

/*
 * The .config embedded in a kernel Image (CONFIG_IKCONFIG): the gzip
 * stream after "IKCFG_ST", as scripts/extract-ikconfig finds it. An
 * Image.gz is inflated first.
 */
static char *ikconfig(const char *image, GError **error)
{
	static const char marker[] = "IKCFG_ST";
	g_autofree char *text = NULL;
	g_autoptr(GBytes) inflated = NULL, cfg = NULL;
	const guint8 *data, *at;
	gsize len;

	if (!g_file_get_contents(image, &text, &len, error))
		return NULL;
	data = (const guint8 *)text;
	if (len >= 2 && data[0] == 0x1f && data[1] == 0x8b && (inflated = gunzip(data, len, DOCTOR_IMAGE_MAX_BYTES)))
		data = g_bytes_get_data(inflated, &len);
	at = memmem(data, len, marker, sizeof(marker) - 1);
	if (at)
		cfg = gunzip(at + sizeof(marker) - 1, len - (gsize)(at - data) - (sizeof(marker) - 1),
			     DOCTOR_CONFIG_MAX_BYTES);
	if (!cfg) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "'%s' has no embedded config (CONFIG_IKCONFIG); give its .config with --config", image);
		return NULL;
	}
	return g_strndup(g_bytes_get_data(cfg, NULL), g_bytes_get_size(cfg));
}

/* A config's lines into name -> value ("y", "m", "\"...\"", or "n" for "is not set"). */
static GHashTable *config_parse(const char *text)
{
	GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (gsize i = 0; lines[i]; i++) {
		char *l = g_strstrip(lines[i]), *eq;

		if (g_str_has_prefix(l, "# CONFIG_") && g_str_has_suffix(l, " is not set"))
			g_hash_table_replace(h, g_strndup(l + 2, strcspn(l + 2, " ")), g_strdup("n"));
		else if (g_str_has_prefix(l, "CONFIG_") && (eq = strchr(l, '=')))
			g_hash_table_replace(h, g_strndup(l, (gsize)(eq - l)), g_strdup(eq + 1));
	}
	return h;
}

/* Whether @have satisfies @want: "m" takes "y" too, "n" takes unset. */
static gboolean config_satisfies(const char *want, const char *have)
{
	if (!strcmp(want, "n"))
		return !have || !strcmp(have, "n");
	if (!have)
		return FALSE;
	return !strcmp(want, have) || (!strcmp(want, "m") && !strcmp(have, "y"));
}

static void check_config(Doctor *d, const char *what, const char *text)
{
	g_autofree char *frag_path = g_build_filename(cli_source_root(), "tools", "kconfig", "mhpstress.config", NULL);
	g_autofree char *frag_text = NULL;
	g_autoptr(GHashTable) want = NULL, have = config_parse(text);
	g_autoptr(GList) names = NULL;
	guint bad = 0;

	if (!g_file_get_contents(frag_path, &frag_text, NULL, NULL)) {
		say(d, DOCTOR_MISSING, "kernel config", "cannot read '%s' (set MHPSTRESS_SOURCE_ROOT to the mhpstress tree)",
		    frag_path);
		return;
	}
	want = config_parse(frag_text);
	names = g_list_sort(g_hash_table_get_keys(want), (GCompareFunc)strcmp);
	for (GList *l = names; l; l = l->next) {
		const char *w = g_hash_table_lookup(want, l->data), *h = g_hash_table_lookup(have, l->data);

		if (config_satisfies(w, h))
			continue;
		bad++;
		say(d, DOCTOR_MISSING, l->data, "%s wants %s, %s has %s; merge tools/kconfig/mhpstress.config "
		    "(tools/build-kernel does)", "mhpstress.config", !strcmp(w, "n") ? "it unset" : w, what,
		    !h || !strcmp(h, "n") ? "it unset" : h);
	}
	if (!bad)
		say(d, DOCTOR_OK, "kernel config", "%s has all %u options of mhpstress.config", what,
		    g_hash_table_size(want));
}

int verb_doctor(int argc, char **argv, void *userdata)
{
	CliGlobals *g = userdata;
	g_autofree char *kernel = NULL, *config = NULL, *firmware = NULL, *cache = NULL;
	g_autoptr(GOptionContext) oc = g_option_context_new("");
	GOptionEntry entries[] = {
		{ "kernel", 0, 0, G_OPTION_ARG_FILENAME, &kernel, "check the config embedded in this Image (IKCONFIG)",
		  "IMAGE" },
		{ "config", 0, 0, G_OPTION_ARG_FILENAME, &config, "check this kernel .config", "FILE" },
		{ "firmware", 0, 0, G_OPTION_ARG_FILENAME, &firmware, "the UEFI firmware the scenario boots",
		  "FILE" },
		{ NULL },
	};
	Doctor d = { 0 };

	g_option_context_set_summary(oc, "Checks what this host needs to run mhpstress and says how to get what is\n"
					 "missing. Exit 0: nothing missing; 1: something is.");
	g_option_context_add_main_entries(oc, entries, NULL);
	if (!cli_option_parse(oc, "doctor", &argc, &argv))
		return CLI_EXIT_USAGE;
	if (argc != 1) {
		fprintf(stderr, "mhpstress doctor: unexpected argument '%s' (a kernel is --kernel IMAGE)\n", argv[1]);
		return CLI_EXIT_USAGE;
	}
	if (kernel && config) {
		fprintf(stderr, "mhpstress doctor: give --kernel or --config, not both\n");
		return CLI_EXIT_USAGE;
	}
	check_program(&d, "qemu-system-aarch64", "--version", "qemu-system-arm", "every run");
	check_firmware(&d, firmware ? firmware : MHP_SCENARIO_DEFAULT_FIRMWARE);
	check_accel(&d);
	check_libvirt(&d);
	check_program(&d, "aarch64-linux-gnu-gcc", "-dumpfullversion", "gcc-aarch64-linux-gnu",
		      "tools/build-kernel and tools/build-guest");
	cache = cache_dir();
	check_cache(&d, cache);
	check_kernel_source(&d, cache);
	check_daemon(&d, g ? g->socket : NULL);
	if (config || kernel) {
		g_autoptr(GError) error = NULL;
		g_autofree char *text = NULL;

		if (config && !g_file_get_contents(config, &text, NULL, &error))
			say(&d, DOCTOR_MISSING, "kernel config", "%s", error->message);
		else if (kernel && !(text = ikconfig(kernel, &error)))
			say(&d, DOCTOR_MISSING, "kernel config", "%s", error->message);
		else
			check_config(&d, config ? config : kernel, text);
	}
	printf("%u missing, %u warnings\n", d.missing, d.warned);
	return d.missing ? CLI_EXIT_FAILURES : CLI_EXIT_PASS;
}
