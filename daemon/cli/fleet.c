// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fleet.c - fleet files: one scenario on several libvirt targets at once.
 *
 *   [fleet]
 *   scenario = ../scenarios/smoke.ini   # relative to this file
 *   kernel = /path/Image                # optional, as for run
 *   initrd = /path/initramfs.cpio.gz    # optional
 *   cycles = 10                         # optional
 *   duration = 10m                      # optional
 *   seed = 42                           # optional: the same on every target
 *
 *   [target NAME]                       # one or more
 *   connect = qemu+ssh://host/system
 *   domain = NAME                       # optional: an existing domain
 *
 * GKeyFile reads it and the scenarios' line index (ini-index.h) checks its
 * syntax, so it is written as a scenario is: '#' starts a comment only at
 * the start of a line, and a group or key given twice is an error. Every
 * error names the file, the line and the key.
 */
#include <errno.h>
#include <gio/gio.h>
#include <string.h>

#include "cli.h"
#include "fleet.h"
#include "ini-index.h"
#include "scenario.h"

#define FLEET_MAX_BYTES (1u << 20)
#define FLEET_MAX_TARGETS 64

static void target_free(gpointer p)
{
	MhpFleetTarget *t = p;

	g_free(t->name);
	g_free(t->connect);
	g_free(t->domain);
	g_free(t);
}

void mhp_fleet_free(MhpFleet *f)
{
	if (!f)
		return;
	g_free(f->path);
	g_free(f->scenario);
	g_free(f->kernel);
	g_free(f->initrd);
	if (f->targets)
		g_ptr_array_free(f->targets, TRUE);
	g_free(f);
}

static gboolean fail(GError **error, const char *path, guint line, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static gboolean fail(GError **error, const char *path, guint line, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (line)
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s:%u: %s", path, line, msg);
	else
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: %s", path, msg);
	return FALSE;
}

static gboolean valid_name(const char *s)
{
	if (!*s || *s == '.' || strlen(s) > 64) /* not ".", "..", nor hidden */
		return FALSE;
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && *s != '-' && *s != '_' && *s != '.')
			return FALSE;
	return TRUE;
}

/* A [fleet] key (the index has refused a key set twice). */
static gboolean fleet_key(MhpFleet *f, const char *dir, const char *key, const char *val, guint line, GError **error)
{
	char **slot = NULL;

	if (!*val)
		return fail(error, f->path, line, "[fleet] %s: empty value", key);
	if (strcmp(key, "scenario") == 0 || strcmp(key, "kernel") == 0 || strcmp(key, "initrd") == 0) {
		slot = key[0] == 's' ? &f->scenario : key[0] == 'k' ? &f->kernel : &f->initrd;
		*slot = g_path_is_absolute(val) ? g_strdup(val) : g_build_filename(dir, val, NULL);
		return TRUE;
	}
	if (strcmp(key, "cycles") == 0) {
		char *end;
		errno = 0;
		gint64 n = g_ascii_strtoll(val, &end, 10);
		if (errno || *end || n < 1)
			return fail(error, f->path, line, "[fleet] cycles: '%s' is not a whole number of at least 1", val);
		f->cycles = n;
		return TRUE;
	}
	if (strcmp(key, "duration") == 0) {
		guint64 ms;
		if (!mhp_parse_duration(val, &ms) || !ms)
			return fail(error, f->path, line, "[fleet] duration: '%s' is not a duration like 90s, 10m or 8h", val);
		f->duration_ms = (gint64)ms;
		return TRUE;
	}
	if (strcmp(key, "seed") == 0) {
		if (!cli_parse_seed(val, &f->seed))
			return fail(error, f->path, line, "[fleet] seed: '%s' is not a whole number from 0 to 2^64-1", val);
		f->have_seed = TRUE;
		return TRUE;
	}
	return fail(error, f->path, line, "[fleet] %s: unknown key (scenario, kernel, initrd, cycles, duration, seed)",
		    key);
}

static gboolean target_key(MhpFleet *f, MhpFleetTarget *t, const char *key, const char *val, guint line,
			   GError **error)
{
	char **slot;

	if (strcmp(key, "connect") == 0)
		slot = &t->connect;
	else if (strcmp(key, "domain") == 0)
		slot = &t->domain;
	else
		return fail(error, f->path, line, "[target %s] %s: unknown key (connect, domain)", t->name, key);
	if (!*val)
		return fail(error, f->path, line, "[target %s] %s: empty value", t->name, key);
	if (slot == &t->connect && !strstr(val, "://"))
		return fail(error, f->path, line, "[target %s] connect: '%s' is not a libvirt URI (qemu:///system, "
			    "qemu+ssh://host/system)", t->name, val);
	*slot = g_strdup(val);
	return TRUE;
}

/* [target NAME] at @line: a new target, or NULL with an error naming the line. */
static MhpFleetTarget *add_target(MhpFleet *f, const char *group, guint line, GError **error)
{
	g_autofree char *name = g_strstrip(g_strdup(group + strlen("target")));
	MhpFleetTarget *t;

	if (!valid_name(name))
		return fail(error, f->path, line, "[target %s]: a target name is 1-64 letters, digits, '-', '_' or '.' "
			    "(it names a results directory)", name), NULL;
	for (guint k = 0; k < f->targets->len; k++) {
		MhpFleetTarget *o = g_ptr_array_index(f->targets, k);

		if (strcmp(o->name, name) == 0)
			return fail(error, f->path, line, "[target %s] appears twice (first at line %u)", name, o->line),
			       NULL;
	}
	if (f->targets->len >= FLEET_MAX_TARGETS)
		return fail(error, f->path, line, "more than %d targets", FLEET_MAX_TARGETS), NULL;
	t = g_new0(MhpFleetTarget, 1);
	t->name = g_steal_pointer(&name);
	t->line = line;
	g_ptr_array_add(f->targets, t);
	return t;
}

MhpFleet *mhp_fleet_load_data(const char *path, const char *text, GError **error)
{
	g_autoptr(MhpFleet) f = g_new0(MhpFleet, 1);
	g_auto(MhpScenarioIndex) ix = { .path = path };
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) e = NULL;
	g_auto(GStrv) groups = NULL;
	g_autofree char *dir = g_path_get_dirname(path);
	guint fleet_line = 0;
	MhpFleetTarget *t;

	f->path = g_strdup(path);
	f->cycles = -1;
	f->duration_ms = -1;
	f->targets = g_ptr_array_new_with_free_func(target_free);
	if (!mhp_scenario_index_build(&ix, text, error))
		return NULL;
	if (!g_key_file_load_from_data(kf, text, (gsize)-1, G_KEY_FILE_NONE, &e))
		return fail(error, path, 0, "%s", e->message), NULL;
	groups = g_key_file_get_groups(kf, NULL);
	for (guint i = 0; groups[i]; i++) {
		const char *g = groups[i];
		guint line = mhp_scenario_index_line(&ix, g, NULL);
		g_auto(GStrv) keys = g_key_file_get_keys(kf, g, NULL, NULL);

		t = NULL;
		if (strcmp(g, "fleet") == 0)
			fleet_line = line;
		else if ((g_str_has_prefix(g, "target ") || g_str_has_prefix(g, "target\t")) &&
			 !(t = add_target(f, g, line, error)))
			return NULL;
		else if (!t)
			return fail(error, path, line, "unknown group [%s]: expected [fleet] or [target NAME]", g), NULL;
		for (guint k = 0; keys && keys[k]; k++) {
			g_autofree char *val = g_key_file_get_value(kf, g, keys[k], NULL);
			guint kline = mhp_scenario_index_line(&ix, g, keys[k]);

			if (!(t ? target_key(f, t, keys[k], val ? val : "", kline, error)
				: fleet_key(f, dir, keys[k], val ? val : "", kline, error)))
				return NULL;
		}
	}
	if (!fleet_line)
		return fail(error, path, 0, "no [fleet] group"), NULL;
	if (!f->scenario)
		return fail(error, path, fleet_line, "[fleet] scenario: missing (the scenario file every target runs)"), NULL;
	if (!f->targets->len)
		return fail(error, path, 0, "no [target NAME] group: a fleet needs at least one"), NULL;
	for (guint k = 0; k < f->targets->len; k++) {
		t = g_ptr_array_index(f->targets, k);
		if (!t->connect)
			return fail(error, path, t->line, "[target %s] connect: missing (a libvirt URI)", t->name), NULL;
	}
	return g_steal_pointer(&f);
}

MhpFleet *mhp_fleet_load(const char *path, GError **error)
{
	g_autofree char *text = NULL;
	gsize len;

	if (!g_file_get_contents(path, &text, &len, error))
		return NULL;
	if (len > FLEET_MAX_BYTES || strlen(text) != len) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: not a fleet file (binary or over 1 MiB)", path);
		return NULL;
	}
	return mhp_fleet_load_data(path, text, error);
}
