// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * scenario.c - scenario files (GKeyFile .ini): parse, validate, describe.
 *
 * GKeyFile reads the values; a line index of our own gives every key and
 * group its line, so each error names FILE:LINE, the group and the key.
 * The syntax is checked by that index first (GKeyFile's own messages carry
 * no line). Keys are described by a table: type, range, where they go.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "scenario.h"

G_DEFINE_QUARK(mhp-scenario-error-quark, mhp_scenario_error)

#define MAX_FILE_BYTES (1u << 20)
#define MAX_CASES 256
#define MAX_LIST 64
#define DEFAULT_BLOCK_SIZE (128ull << 20)
#define KiB ((guint64)1024)
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

typedef enum {
	T_STR, T_PATH, T_UINT, T_SIZE, T_DURATION, T_BOOL, T_ENUM, T_CLASS, T_SIZES, T_ZONES, T_STRV, T_ERRNOS,
} KeyType;

typedef struct {
	const char *key;
	KeyType type;
	gsize offset;
	guint64 min, max;
	const char *const *names; /* T_ENUM: value i is names[i] */
	const char *help;
} KeySpec;

typedef struct {
	const char *group;
	const KeySpec *keys;
} GroupSpec;

static const char *const pattern_names[] = { "sequential", "round-robin", "random", NULL };
static const char *const on_failure_names[] = { "stop", "continue", "restart-guest", NULL };
static const char *const zone_names[] = { "movable", "normal", "auto", NULL };
static const char *const memdev_names[] = { "ram", "file", "memfd", NULL };
static const char *const action_names[] = { "plug", "offline-boot", NULL };
static const char *const hog_names[] = { "none", "unmovable", NULL };
static const char *const ptdump_names[] = { "none", "summary", NULL };
static const char *const inject_names[] = { "none", "warn", "panic", "hang", NULL };
static const char *const stressor_kind_names[] = { "vmalloc-module", "vmalloc-churn", "ptdump", "memory-pressure",
						   "command", NULL };
static const char *const stressor_phase_names[] = { "always", "remove", NULL };

#define S(f) offsetof(MhpScenario, f)
#define C(f) offsetof(MhpCase, f)
#define T(f) offsetof(MhpStressor, f)

static const KeySpec scenario_keys[] = {
	{ "name", T_STR, S(name), 0, 0, NULL, "a name for reports" },
	{ "description", T_STR, S(description), 0, 0, NULL, "free text" },
	{ "cycles", T_UINT, S(cycles), 0, 100000000, NULL, "DIMM cycles; 0 means bounded by duration" },
	{ "duration", T_DURATION, S(duration_ms), 0, 30ull * 86400 * 1000, NULL, "wall-clock bound" },
	{ "seed", T_UINT, S(seed), 0, G_MAXUINT64, NULL, "random seed; 0 picks one" },
	{ "pattern", T_ENUM, S(pattern), 0, 0, pattern_names, "plug order" },
	{ "on-failure", T_ENUM, S(on_failure), 0, 0, on_failure_names, "policy on a failed cycle" },
	{ NULL },
};

static const KeySpec guest_keys[] = {
	{ "cpus", T_UINT, S(guest.cpus), 1, 64, NULL, "vCPUs" },
	{ "memory", T_SIZE, S(guest.memory), 256 * MiB, 64 * GiB, NULL, "boot memory" },
	{ "slots", T_UINT, S(guest.slots), 1, 256, NULL, "DIMM slots" },
	{ "maxmem", T_SIZE, S(guest.maxmem), 256 * MiB, 1024 * GiB, NULL, "boot memory plus every DIMM" },
	{ "kernel", T_PATH, S(guest.kernel), 0, 0, NULL, "Image; default: tools/build-kernel" },
	{ "initrd", T_PATH, S(guest.initrd), 0, 0, NULL, "initramfs; default: tools/build-guest" },
	{ "append", T_STR, S(guest.append), 0, 0, NULL, "extra kernel command line" },
	{ "firmware", T_PATH, S(guest.firmware), 0, 0, NULL, "UEFI firmware" },
	{ "machine", T_STR, S(guest.machine), 0, 0, NULL, "-M value" },
	{ "cpu", T_STR, S(guest.cpu), 0, 0, NULL, "-cpu value" },
	{ "qemu", T_STR, S(guest.qemu), 0, 0, NULL, "QEMU binary" },
	{ "extra-args", T_STRV, S(guest.extra_args), 0, 0, NULL, "more QEMU arguments, ';'-separated" },
	{ "reboot", T_BOOL, S(guest.reboot), 0, 0, NULL, "let the guest reboot (no -no-reboot)" },
	{ "boot-timeout", T_DURATION, S(guest.boot_timeout_ms), 1000, 3600 * 1000, NULL, "until the agent answers" },
	{ NULL },
};

static const KeySpec dimm_keys[] = {
	{ "sizes", T_SIZES, S(dimm.sizes), 0, 0, NULL, "DIMM sizes, ';'-separated" },
	{ "zones", T_ZONES, S(dimm.zones), 0, 0, NULL, "online zones: movable, normal, auto" },
	{ "backend", T_ENUM, S(dimm.backend), 0, 0, memdev_names, "memory backend" },
	{ "backend-path", T_PATH, S(dimm.backend_path), 0, 0, NULL, "directory for backend=file" },
	{ "offline", T_BOOL, S(dimm.offline), 0, 0, NULL, "offline before unplug" },
	{ "hold", T_DURATION, S(dimm.hold_ms), 0, 3600 * 1000, NULL, "time plugged and online" },
	{ "concurrent", T_UINT, S(dimm.concurrent), 1, 256, NULL, "DIMMs plugged at once" },
	{ NULL },
};

static const KeySpec verify_keys[] = {
	{ "ptdump", T_ENUM, S(verify.ptdump), 0, 0, ptdump_names, "ptdump in snapshots" },
	{ "drop-caches", T_BOOL, S(verify.drop_caches), 0, 0, NULL, "drop caches before snapshots" },
	{ "struct-page-size", T_UINT, S(verify.struct_page_size), 16, 1024, NULL, "bytes per struct page" },
	{ "page-tables-band", T_SIZE, S(verify.page_tables_band), 0, 64 * GiB, NULL, "PageTables noise allowed" },
	{ "nr-page-table-pages-band", T_UINT, S(verify.nr_page_table_pages_band), 0, 1u << 30, NULL,
	  "nr_page_table_pages noise allowed" },
	{ "memfree-band", T_SIZE, S(verify.memfree_band), 0, 1024 * GiB, NULL, "MemFree noise allowed" },
	{ NULL },
};

static const KeySpec timeout_keys[] = {
	{ "add", T_DURATION, S(timeouts.add_ms), 100, 600000, NULL, "device_add to insert OST" },
	{ "blocks", T_DURATION, S(timeouts.blocks_ms), 100, 600000, NULL, "OST to blocks in the guest" },
	{ "online", T_DURATION, S(timeouts.online_ms), 100, 3600000, NULL, "online of one DIMM" },
	{ "offline", T_DURATION, S(timeouts.offline_ms), 100, 3600000, NULL, "offline of one DIMM" },
	{ "unplug", T_DURATION, S(timeouts.unplug_ms), 100, 600000, NULL, "device_del to DEVICE_DELETED" },
	{ "eject", T_DURATION, S(timeouts.eject_ms), 100, 600000, NULL, "DEVICE_DELETED to the final OST" },
	{ "agent", T_DURATION, S(timeouts.agent_ms), 100, 600000, NULL, "any other agent request" },
	{ "hang", T_DURATION, S(timeouts.hang_ms), 1000, 3600000, NULL, "no heartbeat and a silent console" },
	{ NULL },
};

static const KeySpec evidence_keys[] = {
	{ "vmcore", T_BOOL, S(evidence.vmcore), 0, 0, NULL, "dump-guest-memory on the first failure" },
	{ "pause", T_BOOL, S(evidence.pause), 0, 0, NULL, "keep the VM paused after the first failure" },
	{ NULL },
};

static const KeySpec stressor_keys[] = {
	{ "kind", T_ENUM, T(kind), 0, 0, stressor_kind_names, "what it runs" },
	{ "phase", T_ENUM, T(phase), 0, 0, stressor_phase_names, "always, or only around removals" },
	{ "cpu", T_UINT, T(cpu), 0, 63, NULL, "pin to this CPU" },
	{ "rate", T_UINT, T(rate), 0, 100000, NULL, "operations per second; 0 is as fast as it goes" },
	{ "bytes", T_SIZE, T(bytes), 4096, 16 * GiB, NULL, "memory-pressure: fill per round" },
	{ "threads", T_UINT, T(threads), 1, 64, NULL, "vmalloc-module: nr_threads" },
	{ "mask", T_UINT, T(mask), 1, 0xffff, NULL, "vmalloc-module: run_test_mask" },
	{ "repeat", T_UINT, T(repeat), 1, 1000, NULL, "vmalloc-module: test_repeat_count" },
	{ "argv", T_STRV, T(argv), 0, 0, NULL, "command: the program and its arguments, ';'-separated" },
	{ NULL },
};

static const KeySpec case_keys[] = {
	{ "action", T_ENUM, C(action), 0, 0, action_names, "what the case does" },
	{ "size", T_SIZE, C(size), 1 * MiB, 64 * GiB, NULL, "DIMM size (may be misaligned)" },
	{ "zone", T_ENUM, C(zone), 0, 0, zone_names, "online zone" },
	{ "offline", T_BOOL, C(offline), 0, 0, NULL, "offline before unplug" },
	{ "hog", T_ENUM, C(hog), 0, 0, hog_names, "fill the DIMM before unplug" },
	{ "expect", T_CLASS, C(expect), 0, 0, NULL, "the class this case must end in (failclass.h)" },
	{ "expect-errno", T_ERRNOS, C(expect_errno), 0, 0, NULL, "errnos accepted, e.g. EBUSY;EINVAL" },
	{ "inject", T_ENUM, C(inject), 0, 0, inject_names, "make the kernel fail while the DIMM is online" },
	{ NULL },
};

static const GroupSpec groups[] = {
	{ "scenario", scenario_keys }, { "guest", guest_keys }, { "dimm", dimm_keys },
	{ "verify", verify_keys }, { "timeouts", timeout_keys }, { "evidence", evidence_keys },
};

/* ---- line index ---- */

typedef struct {
	char *group;
	char *key; /* NULL for the group line */
	guint line;
} Loc;

typedef struct {
	const char *path;
	GArray *locs; /* Loc */
} Index;

static void index_clear(Index *ix)
{
	for (guint i = 0; ix->locs && i < ix->locs->len; i++) {
		Loc *l = &g_array_index(ix->locs, Loc, i);
		g_free(l->group);
		g_free(l->key);
	}
	if (ix->locs)
		g_array_free(ix->locs, TRUE);
}

static guint index_line(const Index *ix, const char *group, const char *key)
{
	for (guint i = 0; i < ix->locs->len; i++) {
		const Loc *l = &g_array_index(ix->locs, Loc, i);
		if (g_strcmp0(l->group, group) == 0 && g_strcmp0(l->key, key) == 0)
			return l->line;
	}
	return 0;
}

static gboolean fail(const Index *ix, GError **error, MhpScenarioError code, const char *group,
		     const char *key, const char *fmt, ...) G_GNUC_PRINTF(6, 7);

static gboolean fail(const Index *ix, GError **error, MhpScenarioError code, const char *group,
		     const char *key, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	guint line = group ? index_line(ix, group, key) : 0;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (!line && group)
		line = index_line(ix, group, NULL);
	if (key)
		g_set_error(error, MHP_SCENARIO_ERROR, code, "%s:%u: [%s] %s: %s", ix->path, line, group, key, msg);
	else if (group)
		g_set_error(error, MHP_SCENARIO_ERROR, code, "%s:%u: [%s]: %s", ix->path, line, group, msg);
	else
		g_set_error(error, MHP_SCENARIO_ERROR, code, "%s: %s", ix->path, msg);
	return FALSE;
}

static gboolean valid_key_char(char c)
{
	return g_ascii_isalnum(c) || c == '-' || c == '_';
}

static gboolean build_index(Index *ix, const char *text, GError **error)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autofree char *group = NULL;

	ix->locs = g_array_new(FALSE, TRUE, sizeof(Loc));
	for (guint i = 0; lines[i]; i++) {
		g_autofree char *ln = g_strstrip(g_strdup(lines[i]));
		guint lineno = i + 1;

		if (!*ln || ln[0] == '#')
			continue;
		if (ln[0] == '[') {
			char *end = strchr(ln, ']');

			if (!end || end[1] || end == ln + 1) {
				g_set_error(error, MHP_SCENARIO_ERROR, MHP_SCENARIO_ERROR_SYNTAX,
					    "%s:%u: bad group header '%s': expected [name]", ix->path, lineno, ln);
				return FALSE;
			}
			g_free(group);
			group = g_strndup(ln + 1, (gsize)(end - ln - 1));
			if (index_line(ix, group, NULL)) {
				g_set_error(error, MHP_SCENARIO_ERROR, MHP_SCENARIO_ERROR_SYNTAX,
					    "%s:%u: [%s] appears twice (first at line %u)", ix->path, lineno, group,
					    index_line(ix, group, NULL));
				return FALSE;
			}
			Loc l = { g_strdup(group), NULL, lineno };
			g_array_append_val(ix->locs, l);
			continue;
		}
		char *eq = strchr(ln, '=');
		if (!eq) {
			g_set_error(error, MHP_SCENARIO_ERROR, MHP_SCENARIO_ERROR_SYNTAX,
				    "%s:%u: '%s' is not 'key = value', a [group] or a # comment", ix->path, lineno, ln);
			return FALSE;
		}
		if (!group) {
			g_set_error(error, MHP_SCENARIO_ERROR, MHP_SCENARIO_ERROR_SYNTAX,
				    "%s:%u: key outside any [group]", ix->path, lineno);
			return FALSE;
		}
		*eq = '\0';
		g_strstrip(ln);
		for (const char *c = ln; *c; c++) {
			if (!valid_key_char(*c)) {
				g_set_error(error, MHP_SCENARIO_ERROR, MHP_SCENARIO_ERROR_SYNTAX,
					    "%s:%u: [%s] bad key name '%s'", ix->path, lineno, group, ln);
				return FALSE;
			}
		}
		if (!*ln) {
			g_set_error(error, MHP_SCENARIO_ERROR, MHP_SCENARIO_ERROR_SYNTAX,
				    "%s:%u: [%s] empty key name", ix->path, lineno, group);
			return FALSE;
		}
		if (index_line(ix, group, ln)) {
			g_set_error(error, MHP_SCENARIO_ERROR, MHP_SCENARIO_ERROR_SYNTAX,
				    "%s:%u: [%s] %s: set twice (first at line %u)", ix->path, lineno, group, ln,
				    index_line(ix, group, ln));
			return FALSE;
		}
		Loc l = { g_strdup(group), g_strdup(ln), lineno };
		g_array_append_val(ix->locs, l);
	}
	return TRUE;
}

/* ---- value parsers ---- */

gboolean mhp_parse_size(const char *text, guint64 *ret)
{
	char *end;
	guint64 v, mul = 1;

	if (!text || !g_ascii_isdigit(text[0]))
		return FALSE;
	errno = 0;
	v = g_ascii_strtoull(text, &end, 10);
	if (errno)
		return FALSE;
	switch (g_ascii_toupper(*end)) {
	case '\0': break;
	case 'K': mul = KiB; end++; break;
	case 'M': mul = MiB; end++; break;
	case 'G': mul = GiB; end++; break;
	case 'T': mul = GiB * 1024; end++; break;
	default: return FALSE;
	}
	if (mul > 1 && (g_ascii_strcasecmp(end, "iB") == 0 || g_ascii_strcasecmp(end, "B") == 0))
		end += strlen(end);
	if (*end || (v && mul > G_MAXUINT64 / v))
		return FALSE;
	*ret = v * mul;
	return TRUE;
}

gboolean mhp_parse_duration(const char *text, guint64 *ret)
{
	static const struct { const char *unit; guint64 ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "min", 60000 }, { "h", 3600000 }, { "d", 86400000 },
		{ "", 1000 },
	};
	char *end;
	guint64 v;

	if (!text || !g_ascii_isdigit(text[0]))
		return FALSE;
	errno = 0;
	v = g_ascii_strtoull(text, &end, 10);
	if (errno)
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			if (v > G_MAXUINT64 / units[i].ms)
				return FALSE;
			*ret = v * units[i].ms;
			return TRUE;
		}
	}
	return FALSE;
}

char *mhp_format_size(guint64 b)
{
	if (b && b % GiB == 0)
		return g_strdup_printf("%" G_GUINT64_FORMAT "G", b / GiB);
	if (b && b % MiB == 0)
		return g_strdup_printf("%" G_GUINT64_FORMAT "M", b / MiB);
	if (b && b % KiB == 0)
		return g_strdup_printf("%" G_GUINT64_FORMAT "K", b / KiB);
	return g_strdup_printf("%" G_GUINT64_FORMAT, b);
}

static int errno_from_name(const char *name)
{
	static const struct { const char *n; int e; } tab[] = {
		{ "EBUSY", EBUSY }, { "EINVAL", EINVAL }, { "EPERM", EPERM }, { "ENOMEM", ENOMEM },
		{ "EAGAIN", EAGAIN }, { "EINTR", EINTR }, { "ETIMEDOUT", ETIMEDOUT }, { "ENOENT", ENOENT },
		{ "EIO", EIO }, { "ENODEV", ENODEV }, { "ENOSPC", ENOSPC },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(tab); i++)
		if (strcmp(tab[i].n, name) == 0)
			return tab[i].e;
	return 0;
}

static gboolean parse_key(const Index *ix, GKeyFile *kf, const char *group, const KeySpec *k, gpointer base,
			  GError **error)
{
	g_autoptr(GError) e = NULL;
	g_autofree char *raw = g_key_file_get_value(kf, group, k->key, &e);
	g_autofree char *val = NULL;
	gpointer field = (char *)base + k->offset;

	if (!raw)
		return fail(ix, error, MHP_SCENARIO_ERROR_VALUE, group, k->key, "%s", e->message);
	val = g_strstrip(g_strdup(raw));
	switch (k->type) {
	case T_STR:
	case T_PATH:
		g_free(*(char **)field);
		if (k->type == T_PATH && (!*val || strlen(val) > 4096))
			return fail(ix, error, MHP_SCENARIO_ERROR_VALUE, group, k->key, "expected a path");
		*(char **)field = g_strdup(val);
		return TRUE;
	case T_UINT: {
		guint64 v;
		char *end;

		errno = 0;
		v = g_ascii_strtoull(val, &end, 10);
		if (!g_ascii_isdigit(val[0]) || *end || errno)
			return fail(ix, error, MHP_SCENARIO_ERROR_VALUE, group, k->key,
				    "'%s' is not a whole number", val);
		if (v < k->min || v > k->max)
			return fail(ix, error, MHP_SCENARIO_ERROR_LIMIT, group, k->key,
				    "%" G_GUINT64_FORMAT " is outside %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT,
				    v, k->min, k->max);
		if (k->max <= G_MAXUINT)
			*(guint *)field = (guint)v;
		else
			*(guint64 *)field = v;
		return TRUE;
	}
	case T_SIZE:
	case T_DURATION: {
		guint64 v;
		gboolean okv = k->type == T_SIZE ? mhp_parse_size(val, &v) : mhp_parse_duration(val, &v);

		if (!okv)
			return fail(ix, error, MHP_SCENARIO_ERROR_VALUE, group, k->key,
				    k->type == T_SIZE ? "'%s' is not a size (like 512M or 1G)"
						      : "'%s' is not a duration (like 500ms, 30s, 10m or 8h)", val);
		if (v < k->min || v > k->max) {
			g_autofree char *lo = k->type == T_SIZE ? mhp_format_size(k->min)
				: g_strdup_printf("%" G_GUINT64_FORMAT "ms", k->min);
			g_autofree char *hi = k->type == T_SIZE ? mhp_format_size(k->max)
				: g_strdup_printf("%" G_GUINT64_FORMAT "ms", k->max);
			return fail(ix, error, MHP_SCENARIO_ERROR_LIMIT, group, k->key, "'%s' is outside %s-%s",
				    val, lo, hi);
		}
		*(guint64 *)field = v;
		return TRUE;
	}
	case T_BOOL:
		if (strcmp(val, "true") == 0 || strcmp(val, "yes") == 0)
			*(gboolean *)field = TRUE;
		else if (strcmp(val, "false") == 0 || strcmp(val, "no") == 0)
			*(gboolean *)field = FALSE;
		else
			return fail(ix, error, MHP_SCENARIO_ERROR_VALUE, group, k->key,
				    "'%s' is not true or false", val);
		return TRUE;
	case T_ENUM:
		for (int i = 0; k->names[i]; i++) {
			if (strcmp(k->names[i], val) == 0) {
				*(int *)field = i;
				return TRUE;
			}
		}
		{
			g_autofree char *all = g_strjoinv(", ", (char **)k->names);
			return fail(ix, error, MHP_SCENARIO_ERROR_VALUE, group, k->key, "'%s' is not one of: %s",
				    val, all);
		}
	case T_CLASS: {
		MhpFailClass c = mhp_fail_class_from_string(val);
		g_autoptr(GString) all = NULL;

		if (c >= 0) {
			*(MhpFailClass *)field = c;
			return TRUE;
		}
		all = g_string_new(NULL);
		for (int i = 0; i < _MHP_FAIL_MAX; i++)
			g_string_append_printf(all, "%s%s", i ? ", " : "", mhp_fail_class_to_string(i));
		return fail(ix, error, MHP_SCENARIO_ERROR_VALUE, group, k->key, "'%s' is not one of: %s", val, all->str);
	}
	case T_SIZES:
	case T_ZONES:
	case T_STRV:
	case T_ERRNOS: {
		g_auto(GStrv) items = g_strsplit(val, ";", -1);
		guint n = 0;
		GArray *arr = NULL;

		for (guint i = 0; items[i]; i++)
			g_strstrip(items[i]);
		if (k->type == T_STRV) {
			GPtrArray *v = g_ptr_array_new();
			for (guint i = 0; items[i]; i++)
				if (*items[i])
					g_ptr_array_add(v, g_strdup(items[i]));
			g_ptr_array_add(v, NULL);
			g_strfreev(*(char ***)field);
			*(char ***)field = (char **)g_ptr_array_free(v, FALSE);
			return TRUE;
		}
		arr = k->type == T_SIZES ? g_array_new(FALSE, FALSE, sizeof(guint64)) : g_array_new(FALSE, FALSE, sizeof(int));
		for (guint i = 0; items[i]; i++) {
			if (!*items[i])
				continue;
			if (++n > MAX_LIST) {
				g_array_free(arr, TRUE);
				return fail(ix, error, MHP_SCENARIO_ERROR_LIMIT, group, k->key, "more than %d items", MAX_LIST);
			}
			if (k->type == T_SIZES) {
				guint64 v;
				if (!mhp_parse_size(items[i], &v) || v == 0 || v > 64 * GiB) {
					g_array_free(arr, TRUE);
					return fail(ix, error, MHP_SCENARIO_ERROR_VALUE, group, k->key,
						    "'%s' is not a size from 1M to 64G", items[i]);
				}
				g_array_append_val(arr, v);
			} else if (k->type == T_ZONES) {
				int z = -1;
				for (int j = 0; zone_names[j]; j++)
					if (strcmp(zone_names[j], items[i]) == 0)
						z = j;
				if (z < 0) {
					g_array_free(arr, TRUE);
					return fail(ix, error, MHP_SCENARIO_ERROR_VALUE, group, k->key,
						    "'%s' is not one of: movable, normal, auto", items[i]);
				}
				g_array_append_val(arr, z);
			} else {
				int en = errno_from_name(items[i]);
				if (!en) {
					g_array_free(arr, TRUE);
					return fail(ix, error, MHP_SCENARIO_ERROR_VALUE, group, k->key,
						    "'%s' is not a known errno name (EBUSY, EINVAL, ...)", items[i]);
				}
				g_array_append_val(arr, en);
			}
		}
		if (!n && k->type != T_ERRNOS) {
			g_array_free(arr, TRUE);
			return fail(ix, error, MHP_SCENARIO_ERROR_VALUE, group, k->key, "empty list");
		}
		if (*(GArray **)field)
			g_array_free(*(GArray **)field, TRUE);
		*(GArray **)field = arr;
		return TRUE;
	}
	}
	return FALSE;
}

static gboolean parse_group(const Index *ix, GKeyFile *kf, const char *group, const KeySpec *keys,
			    gpointer base, GError **error)
{
	g_auto(GStrv) present = g_key_file_get_keys(kf, group, NULL, NULL);

	for (guint i = 0; present && present[i]; i++) {
		const KeySpec *k = keys;

		while (k->key && strcmp(k->key, present[i]) != 0)
			k++;
		if (!k->key) {
			GString *known = g_string_new(NULL);
			for (const KeySpec *x = keys; x->key; x++)
				g_string_append_printf(known, "%s%s", known->len ? ", " : "", x->key);
			gboolean r = fail(ix, error, MHP_SCENARIO_ERROR_UNKNOWN, group, present[i],
					  "unknown key; [%s] takes: %s", group, known->str);
			g_string_free(known, TRUE);
			return r;
		}
		if (!parse_key(ix, kf, group, k, base, error))
			return FALSE;
	}
	return TRUE;
}

static void stressor_free(gpointer p)
{
	MhpStressor *t = p;

	g_free(t->name);
	g_strfreev(t->argv);
	g_free(t);
}

static void case_free(gpointer p)
{
	MhpCase *c = p;

	g_free(c->name);
	if (c->expect_errno)
		g_array_free(c->expect_errno, TRUE);
	g_free(c);
}

void mhp_scenario_free(MhpScenario *s)
{
	if (!s)
		return;
	g_free(s->path);
	g_free(s->text);
	g_free(s->name);
	g_free(s->description);
	g_free(s->guest.kernel);
	g_free(s->guest.initrd);
	g_free(s->guest.append);
	g_free(s->guest.firmware);
	g_free(s->guest.machine);
	g_free(s->guest.cpu);
	g_free(s->guest.qemu);
	g_strfreev(s->guest.extra_args);
	if (s->dimm.sizes)
		g_array_free(s->dimm.sizes, TRUE);
	if (s->dimm.zones)
		g_array_free(s->dimm.zones, TRUE);
	g_free(s->dimm.backend_path);
	if (s->cases)
		g_ptr_array_free(s->cases, TRUE);
	if (s->stressors)
		g_ptr_array_free(s->stressors, TRUE);
	g_free(s);
}

static MhpScenario *scenario_defaults(const char *path)
{
	MhpScenario *s = g_new0(MhpScenario, 1);
	guint64 size = 512 * MiB;
	int zone = MHP_ZONE_MOVABLE;
	g_autofree char *base = g_path_get_basename(path);
	char *dot = strrchr(base, '.');

	if (dot)
		*dot = '\0';
	s->path = g_strdup(path);
	s->name = g_strdup(base);
	s->cycles = 5;
	s->pattern = MHP_PATTERN_SEQUENTIAL;
	s->on_failure = MHP_ON_FAILURE_STOP;
	s->guest.cpus = 2;
	s->guest.memory = 1 * GiB;
	s->guest.slots = 8;
	s->guest.maxmem = 8 * GiB;
	s->guest.firmware = g_strdup("/usr/share/qemu-efi-aarch64/QEMU_EFI.fd");
	s->guest.machine = g_strdup("virt,gic-version=3");
	s->guest.cpu = g_strdup("max,pauth-impdef=on");
	s->guest.qemu = g_strdup("qemu-system-aarch64");
	s->guest.append = g_strdup("");
	s->guest.extra_args = g_new0(char *, 1);
	s->guest.boot_timeout_ms = 120000;
	s->dimm.sizes = g_array_new(FALSE, FALSE, sizeof(guint64));
	g_array_append_val(s->dimm.sizes, size);
	s->dimm.zones = g_array_new(FALSE, FALSE, sizeof(int));
	g_array_append_val(s->dimm.zones, zone);
	s->dimm.backend = MHP_MEMDEV_RAM;
	s->dimm.offline = TRUE;
	s->dimm.concurrent = 1;
	s->verify.ptdump = TRUE;
	s->verify.drop_caches = TRUE; /* MemFree is only comparable without caches */
	s->verify.struct_page_size = 64;
	s->verify.page_tables_band = 512 * KiB;
	s->verify.nr_page_table_pages_band = 128;
	s->verify.memfree_band = 64 * MiB;
	s->timeouts.add_ms = 10000;
	s->timeouts.blocks_ms = 10000;
	s->timeouts.online_ms = 60000;
	s->timeouts.offline_ms = 120000;
	s->timeouts.unplug_ms = 15000;
	s->timeouts.eject_ms = 10000;
	s->timeouts.agent_ms = 30000;
	s->timeouts.hang_ms = 30000;
	s->cases = g_ptr_array_new_with_free_func(case_free);
	s->stressors = g_ptr_array_new_with_free_func(stressor_free);
	return s;
}

static gboolean validate(const Index *ix, MhpScenario *s, GError **error)
{
	guint64 largest = 0, room;

	if (s->guest.maxmem <= s->guest.memory)
		return fail(ix, error, MHP_SCENARIO_ERROR_LIMIT, "guest", "maxmem",
			    "must be larger than memory, to leave room for DIMMs");
	room = s->guest.maxmem - s->guest.memory;
	for (guint i = 0; i < s->dimm.sizes->len; i++) {
		guint64 sz = g_array_index(s->dimm.sizes, guint64, i);
		if (sz % DEFAULT_BLOCK_SIZE) {
			g_autofree char *t = mhp_format_size(sz);
			return fail(ix, error, MHP_SCENARIO_ERROR_VALUE, "dimm", "sizes",
				    "%s is not a multiple of the 128M memory block size", t);
		}
		largest = MAX(largest, sz);
	}
	if (s->dimm.concurrent > s->guest.slots)
		return fail(ix, error, MHP_SCENARIO_ERROR_LIMIT, "dimm", "concurrent",
			    "%u DIMMs at once do not fit in %u slots ([guest] slots)", s->dimm.concurrent, s->guest.slots);
	if (largest * s->dimm.concurrent > room) {
		g_autofree char *need = mhp_format_size(largest * s->dimm.concurrent);
		g_autofree char *have = mhp_format_size(room);
		return fail(ix, error, MHP_SCENARIO_ERROR_LIMIT, "dimm", s->dimm.concurrent > 1 ? "concurrent" : "sizes",
			    "up to %s plugged at once exceeds maxmem - memory = %s", need, have);
	}
	if (s->dimm.backend == MHP_MEMDEV_FILE && !s->dimm.backend_path)
		return fail(ix, error, MHP_SCENARIO_ERROR_VALUE, "dimm", "backend",
			    "backend = file needs backend-path = DIR");
	if (s->pattern != MHP_PATTERN_ROUND_ROBIN && s->dimm.concurrent > 1 && s->pattern != MHP_PATTERN_RANDOM)
		return fail(ix, error, MHP_SCENARIO_ERROR_VALUE, "dimm", "concurrent",
			    "concurrent > 1 needs pattern = round-robin or random");
	if (!s->cycles && !s->duration_ms && !s->cases->len)
		return fail(ix, error, MHP_SCENARIO_ERROR_VALUE, "scenario", "cycles",
			    "cycles = 0 needs a duration, or the run never ends");
	for (guint i = 0; i < s->cases->len; i++) {
		MhpCase *c = g_ptr_array_index(s->cases, i);
		g_autofree char *group = g_strdup_printf("case %s", c->name);

		if (c->size > room) {
			g_autofree char *have = mhp_format_size(room);
			return fail(ix, error, MHP_SCENARIO_ERROR_LIMIT, group, "size",
				    "exceeds maxmem - memory = %s", have);
		}
		if (c->action == MHP_CASE_PLUG && c->size % DEFAULT_BLOCK_SIZE && c->expect != MHP_FAIL_ADD_NOT_SEEN)
			return fail(ix, error, MHP_SCENARIO_ERROR_VALUE, group, "size",
				    "not a multiple of the 128M block size; only a case that expects add-not-seen may be");
		if (c->expect == _MHP_FAIL_INVALID)
			return fail(ix, error, MHP_SCENARIO_ERROR_VALUE, group, NULL, "a case needs 'expect'");
	}
	return TRUE;
}

MhpScenario *mhp_scenario_load_data(const char *path, const char *text, GError **error)
{
	g_autoptr(MhpScenario) s = scenario_defaults(path);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) e = NULL;
	g_auto(GStrv) present = NULL;
	Index ix = { .path = path };
	gboolean okv = FALSE;

	if (!g_utf8_validate(text, -1, NULL)) {
		g_set_error(error, MHP_SCENARIO_ERROR, MHP_SCENARIO_ERROR_SYNTAX, "%s: not UTF-8 text", path);
		return NULL;
	}
	if (!build_index(&ix, text, error))
		goto out;
	if (!g_key_file_load_from_data(kf, text, (gsize)-1, G_KEY_FILE_NONE, &e)) {
		g_set_error(error, MHP_SCENARIO_ERROR, MHP_SCENARIO_ERROR_SYNTAX, "%s: %s", path, e->message);
		goto out;
	}
	present = g_key_file_get_groups(kf, NULL);
	for (guint i = 0; present[i]; i++) {
		const char *g = present[i];
		gsize j;

		for (j = 0; j < G_N_ELEMENTS(groups); j++)
			if (strcmp(groups[j].group, g) == 0)
				break;
		if (j < G_N_ELEMENTS(groups)) {
			if (!parse_group(&ix, kf, g, groups[j].keys, s, error))
				goto out;
			continue;
		}
		if (g_str_has_prefix(g, "case ") && g[5]) {
			MhpCase *c = g_new0(MhpCase, 1);

			c->name = g_strdup(g + 5);
			c->line = index_line(&ix, g, NULL);
			c->action = MHP_CASE_PLUG;
			c->size = g_array_index(s->dimm.sizes, guint64, 0);
			c->zone = MHP_ZONE_MOVABLE;
			c->offline = TRUE;
			c->expect = _MHP_FAIL_INVALID; /* required */
			c->expect_errno = g_array_new(FALSE, FALSE, sizeof(int));
			g_ptr_array_add(s->cases, c);
			if (s->cases->len > MAX_CASES) {
				fail(&ix, error, MHP_SCENARIO_ERROR_LIMIT, g, NULL, "more than %d cases", MAX_CASES);
				goto out;
			}
			if (!parse_group(&ix, kf, g, case_keys, c, error))
				goto out;
			continue;
		}
		if (g_str_has_prefix(g, "stressor ") && g[9]) {
			MhpStressor *t = g_new0(MhpStressor, 1);

			t->name = g_strdup(g + 9);
			t->cpu = -1;
			t->bytes = 64 * MiB;
			t->threads = 2;
			t->mask = 7;
			t->repeat = 1;
			g_ptr_array_add(s->stressors, t);
			if (s->stressors->len > 16) {
				fail(&ix, error, MHP_SCENARIO_ERROR_LIMIT, g, NULL, "more than 16 stressors");
				goto out;
			}
			if (strlen(t->name) > 63 || strspn(t->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != strlen(t->name)) {
				fail(&ix, error, MHP_SCENARIO_ERROR_VALUE, g, NULL, "a stressor name is 1 to 63 letters, digits, '-' or '_'");
				goto out;
			}
			if (!g_key_file_has_key(kf, g, "kind", NULL)) {
				fail(&ix, error, MHP_SCENARIO_ERROR_VALUE, g, NULL, "a stressor needs 'kind'");
				goto out;
			}
			if (!parse_group(&ix, kf, g, stressor_keys, t, error))
				goto out;
			if (t->kind == MHP_STRESSOR_COMMAND && (!t->argv || !t->argv[0] || t->argv[0][0] != '/')) {
				fail(&ix, error, MHP_SCENARIO_ERROR_VALUE, g, "argv",
				     "a command stressor needs argv, starting with an absolute path");
				goto out;
			}
			continue;
		}
		fail(&ix, error, MHP_SCENARIO_ERROR_UNKNOWN, g, NULL,
		     "unknown group; known: [scenario], [guest], [dimm], [verify], [timeouts], [evidence], [case NAME], "
		     "[stressor NAME]");
		goto out;
	}
	if (!validate(&ix, s, error))
		goto out;
	s->text = g_strdup(text);
	okv = TRUE;
out:
	index_clear(&ix);
	return okv ? g_steal_pointer(&s) : NULL;
}

MhpScenario *mhp_scenario_load(const char *path, GError **error)
{
	g_autofree char *text = NULL;
	gsize len;

	if (!g_file_get_contents(path, &text, &len, error)) {
		g_prefix_error(error, "scenario: ");
		return NULL;
	}
	if (len > MAX_FILE_BYTES) {
		g_set_error(error, MHP_SCENARIO_ERROR, MHP_SCENARIO_ERROR_LIMIT, "%s: larger than 1 MiB", path);
		return NULL;
	}
	if (memchr(text, '\0', len)) {
		g_set_error(error, MHP_SCENARIO_ERROR, MHP_SCENARIO_ERROR_SYNTAX, "%s: contains a NUL byte", path);
		return NULL;
	}
	return mhp_scenario_load_data(path, text, error);
}

gboolean mhp_scenario_check_guest(const MhpScenario *s, guint64 block_size, GError **error)
{
	for (guint i = 0; i < s->dimm.sizes->len; i++) {
		guint64 sz = g_array_index(s->dimm.sizes, guint64, i);
		if (block_size && sz % block_size) {
			g_autofree char *a = mhp_format_size(sz), *b = mhp_format_size(block_size);
			g_set_error(error, MHP_SCENARIO_ERROR, MHP_SCENARIO_ERROR_VALUE,
				    "%s: [dimm] sizes: %s is not a multiple of the guest's block size %s", s->path, a, b);
			return FALSE;
		}
	}
	return TRUE;
}

const char *mhp_zone_state(MhpZone z)
{
	switch (z) {
	case MHP_ZONE_MOVABLE: return "online_movable";
	case MHP_ZONE_NORMAL: return "online_kernel";
	case MHP_ZONE_AUTO: return "online";
	}
	return "online";
}

const char *mhp_stressor_kind_name(MhpStressorKind k)
{
	return stressor_kind_names[k];
}

const char *mhp_inject_name(MhpInject i)
{
	return inject_names[i];
}

const char *mhp_zone_name(MhpZone z)
{
	return zone_names[z];
}

const char *mhp_pattern_name(MhpPattern p)
{
	return pattern_names[p];
}

const char *mhp_on_failure_name(MhpOnFailure f)
{
	return on_failure_names[f];
}

struct json_object *mhp_scenario_to_json(const MhpScenario *s)
{
	struct json_object *o = json_object_new_object(), *g = json_object_new_object(),
			   *d = json_object_new_object(), *sizes = json_object_new_array(),
			   *zones = json_object_new_array(), *cases = json_object_new_array();

	json_object_object_add(o, "path", json_object_new_string(s->path));
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "cycles", json_object_new_int64((int64_t)s->cycles));
	json_object_object_add(o, "duration_ms", json_object_new_int64((int64_t)s->duration_ms));
	json_object_object_add(o, "pattern", json_object_new_string(mhp_pattern_name(s->pattern)));
	json_object_object_add(o, "on_failure", json_object_new_string(mhp_on_failure_name(s->on_failure)));
	json_object_object_add(g, "cpus", json_object_new_int((int)s->guest.cpus));
	json_object_object_add(g, "memory", json_object_new_int64((int64_t)s->guest.memory));
	json_object_object_add(g, "slots", json_object_new_int((int)s->guest.slots));
	json_object_object_add(g, "maxmem", json_object_new_int64((int64_t)s->guest.maxmem));
	json_object_object_add(o, "guest", g);
	for (guint i = 0; i < s->dimm.sizes->len; i++)
		json_object_array_add(sizes, json_object_new_int64((int64_t)g_array_index(s->dimm.sizes, guint64, i)));
	for (guint i = 0; i < s->dimm.zones->len; i++)
		json_object_array_add(zones, json_object_new_string(mhp_zone_name(g_array_index(s->dimm.zones, int, i))));
	json_object_object_add(d, "sizes", sizes);
	json_object_object_add(d, "zones", zones);
	json_object_object_add(d, "backend", json_object_new_string(memdev_names[s->dimm.backend]));
	json_object_object_add(d, "offline", json_object_new_boolean(s->dimm.offline));
	json_object_object_add(d, "hold_ms", json_object_new_int64((int64_t)s->dimm.hold_ms));
	json_object_object_add(d, "concurrent", json_object_new_int((int)s->dimm.concurrent));
	json_object_object_add(o, "dimm", d);
	for (guint i = 0; i < s->cases->len; i++) {
		MhpCase *c = g_ptr_array_index(s->cases, i);
		struct json_object *co = json_object_new_object();
		json_object_object_add(co, "name", json_object_new_string(c->name));
		json_object_object_add(co, "action", json_object_new_string(action_names[c->action]));
		json_object_object_add(co, "expect", json_object_new_string(mhp_fail_class_to_string(c->expect)));
		json_object_array_add(cases, co);
	}
	json_object_object_add(o, "cases", cases);
	json_object_object_add(o, "text", json_object_new_string(s->text ? s->text : ""));
	return o;
}
