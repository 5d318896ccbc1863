// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * scenario-ini.c - a scenario file's syntax: line index, values, key tables.
 *
 * GKeyFile reads the values; a line index of our own gives every key and
 * group its line, so each error names FILE:LINE, the group and the key.
 * The syntax is checked by that index first (GKeyFile's own messages carry
 * no line). A group is read by a table of KeySpec (scenario-private.h):
 * each key's type, range and where it goes.
 */
#include <errno.h>
#include <string.h>

#include "scenario-private.h"

G_DEFINE_QUARK(mhp-scenario-error-quark, mhp_scenario_error)

#define MAX_LIST 64

/* ---- line index ---- */

typedef struct {
	char *group;
	char *key; /* NULL for the group line */
	guint line;
} Loc;

/**
 * mhp_scenario_index_clear() - free what mhp_scenario_index_build() made.
 * @ix: the index; its path is borrowed and stays
 */
void mhp_scenario_index_clear(MhpScenarioIndex *ix)
{
	for (guint i = 0; ix->locs && i < ix->locs->len; i++) {
		Loc *l = &g_array_index(ix->locs, Loc, i);
		g_free(l->group);
		g_free(l->key);
	}
	if (ix->locs)
		g_array_free(ix->locs, TRUE);
}

/**
 * mhp_scenario_index_line() - the line of a group or a key.
 * @ix: the index
 * @group: the group
 * @key: the key, or NULL for the group's header
 *
 * Return: the line, from 1; 0 if the file does not have it.
 */
guint mhp_scenario_index_line(const MhpScenarioIndex *ix, const char *group, const char *key)
{
	for (guint i = 0; i < ix->locs->len; i++) {
		const Loc *l = &g_array_index(ix->locs, Loc, i);
		if (g_strcmp0(l->group, group) == 0 && g_strcmp0(l->key, key) == 0)
			return l->line;
	}
	return 0;
}

/**
 * mhp_scenario_fail() - set an error that names the file, line, group and key.
 * @ix: the index, for the path and the line
 * @error: set
 * @code: the MHP_SCENARIO_ERROR code
 * @group: the group, or NULL for the file as a whole
 * @key: the key, or NULL for the group (its header's line)
 * @fmt: what is wrong, printf-style
 *
 * Return: FALSE, so that a caller can return it.
 */
gboolean mhp_scenario_fail(const MhpScenarioIndex *ix, GError **error, MhpScenarioError code, const char *group,
			   const char *key, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	guint line = group ? mhp_scenario_index_line(ix, group, key) : 0;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (!line && group)
		line = mhp_scenario_index_line(ix, group, NULL);
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

static gboolean syntax_fail(const MhpScenarioIndex *ix, guint line, GError **error, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

static gboolean syntax_fail(const MhpScenarioIndex *ix, guint line, GError **error, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, MHP_SCENARIO_ERROR, MHP_SCENARIO_ERROR_SYNTAX, "%s:%u: %s", ix->path, line, msg);
	return FALSE;
}

static void index_add(MhpScenarioIndex *ix, const char *group, const char *key, guint line)
{
	Loc l = { g_strdup(group), g_strdup(key), line };

	g_array_append_val(ix->locs, l);
}

/* A "[group]" line, @ln stripped; @group is set to its name. */
static gboolean index_group(MhpScenarioIndex *ix, char *ln, guint lineno, char **group, GError **error)
{
	char *end = strchr(ln, ']');
	guint first;

	if (!end || end[1] || end == ln + 1)
		return syntax_fail(ix, lineno, error, "bad group header '%s': expected [name]", ln);
	g_free(*group);
	*group = g_strndup(ln + 1, (gsize)(end - ln - 1));
	if ((first = mhp_scenario_index_line(ix, *group, NULL)))
		return syntax_fail(ix, lineno, error, "[%s] appears twice (first at line %u)", *group, first);
	index_add(ix, *group, NULL, lineno);
	return TRUE;
}

/* A "key = value" line, @ln stripped. */
static gboolean index_key(MhpScenarioIndex *ix, char *ln, guint lineno, const char *group, GError **error)
{
	char *eq = strchr(ln, '=');
	guint first;

	if (!eq)
		return syntax_fail(ix, lineno, error, "'%s' is not 'key = value', a [group] or a # comment", ln);
	if (!group)
		return syntax_fail(ix, lineno, error, "key outside any [group]");
	*eq = '\0';
	g_strstrip(ln);
	for (const char *c = ln; *c; c++)
		if (!valid_key_char(*c))
			return syntax_fail(ix, lineno, error, "[%s] bad key name '%s'", group, ln);
	if (!*ln)
		return syntax_fail(ix, lineno, error, "[%s] empty key name", group);
	if ((first = mhp_scenario_index_line(ix, group, ln)))
		return syntax_fail(ix, lineno, error, "[%s] %s: set twice (first at line %u)", group, ln, first);
	index_add(ix, group, ln, lineno);
	return TRUE;
}

/**
 * mhp_scenario_index_build() - check a file's syntax and index its lines.
 * @ix: the index, its path set; free it with mhp_scenario_index_clear() even on failure
 * @text: the file, UTF-8
 * @error: a MHP_SCENARIO_ERROR_SYNTAX naming the line
 *
 * Return: TRUE if every line is a comment, a [group] or a key = value,
 * with no group or key twice.
 */
gboolean mhp_scenario_index_build(MhpScenarioIndex *ix, const char *text, GError **error)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autofree char *group = NULL;

	ix->locs = g_array_new(FALSE, TRUE, sizeof(Loc));
	for (guint i = 0; lines[i]; i++) {
		g_autofree char *ln = g_strstrip(g_strdup(lines[i]));
		gboolean ok;

		if (!*ln || ln[0] == '#')
			continue;
		ok = ln[0] == '[' ? index_group(ix, ln, i + 1, &group, error) : index_key(ix, ln, i + 1, group, error);
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

/* ---- value parsers ---- */

/* The decimal number @text starts with; @ret_end after it. */
static gboolean leading_number(const char *text, guint64 *ret, char **ret_end)
{
	guint64 v;

	if (!text || !g_ascii_isdigit(text[0]))
		return FALSE;
	errno = 0;
	v = g_ascii_strtoull(text, ret_end, 10);
	if (errno)
		return FALSE;
	*ret = v;
	return TRUE;
}

gboolean mhp_parse_size(const char *text, guint64 *ret)
{
	char *end;
	guint64 v, mul = 1;

	if (!leading_number(text, &v, &end))
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

	if (!leading_number(text, &v, &end))
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

/* The index of @val in a NULL-terminated name table, or -1. */
static int name_index(const char *const *names, const char *val)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], val) == 0)
			return i;
	return -1;
}

/* ---- one key, by its KeySpec ---- */

/* An error on the key being read: parse_*() have @ix, @group, @k and @error in scope. */
#define KEY_FAIL(code, ...) mhp_scenario_fail(ix, error, MHP_SCENARIO_ERROR_##code, group, k->key, __VA_ARGS__)

static gboolean parse_uint(const MhpScenarioIndex *ix, const char *group, const KeySpec *k, const char *val,
			   gpointer field, GError **error)
{
	guint64 v;
	char *end;

	if (!leading_number(val, &v, &end) || *end)
		return KEY_FAIL(VALUE, "'%s' is not a whole number", val);
	if (v < k->min || v > k->max)
		return KEY_FAIL(LIMIT, "%" G_GUINT64_FORMAT " is outside %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT, v,
				k->min, k->max);
	if (k->max <= G_MAXUINT)
		*(guint *)field = (guint)v;
	else
		*(guint64 *)field = v;
	return TRUE;
}

static gboolean parse_size_or_duration(const MhpScenarioIndex *ix, const char *group, const KeySpec *k,
				       const char *val, gpointer field, GError **error)
{
	gboolean size = k->type == T_SIZE;
	guint64 v;

	if (!(size ? mhp_parse_size(val, &v) : mhp_parse_duration(val, &v)))
		return KEY_FAIL(VALUE, size ? "'%s' is not a size (like 512M or 1G)"
					    : "'%s' is not a duration (like 500ms, 30s, 10m or 8h)", val);
	if (v < k->min || v > k->max) {
		g_autofree char *lo = size ? mhp_format_size(k->min) : g_strdup_printf("%" G_GUINT64_FORMAT "ms", k->min);
		g_autofree char *hi = size ? mhp_format_size(k->max) : g_strdup_printf("%" G_GUINT64_FORMAT "ms", k->max);

		return KEY_FAIL(LIMIT, "'%s' is outside %s-%s", val, lo, hi);
	}
	*(guint64 *)field = v;
	return TRUE;
}

static gboolean parse_enum(const MhpScenarioIndex *ix, const char *group, const KeySpec *k, const char *val,
			   gpointer field, GError **error)
{
	g_autoptr(GString) all = g_string_new(NULL);
	int i;

	if (k->type == T_ENUM && (i = name_index(k->names, val)) >= 0) {
		*(int *)field = i;
		return TRUE;
	}
	if (k->type == T_CLASS && (i = mhp_fail_class_from_string(val)) >= 0) {
		*(MhpFailClass *)field = i;
		return TRUE;
	}
	for (i = 0; k->type == T_ENUM && k->names[i]; i++)
		g_string_append_printf(all, "%s%s", i ? ", " : "", k->names[i]);
	for (i = 0; k->type == T_CLASS && i < _MHP_FAIL_MAX; i++)
		g_string_append_printf(all, "%s%s", i ? ", " : "", mhp_fail_class_to_string(i));
	return KEY_FAIL(VALUE, "'%s' is not one of: %s", val, all->str);
}

/* One item of a T_SIZES, T_ZONES or T_ERRNOS list, appended to @arr. */
static gboolean parse_item(const MhpScenarioIndex *ix, const char *group, const KeySpec *k, const char *item,
			   GArray *arr, GError **error)
{
	guint64 size;
	int v;

	switch (k->type) {
	case T_SIZES:
		if (!mhp_parse_size(item, &size) || size == 0 || size > 64 * GiB)
			return KEY_FAIL(VALUE, "'%s' is not a size from 1M to 64G", item);
		g_array_append_val(arr, size);
		return TRUE;
	case T_ZONES:
		if ((v = name_index(k->names, item)) < 0) {
			g_autofree char *all = g_strjoinv(", ", (char **)k->names);

			return KEY_FAIL(VALUE, "'%s' is not one of: %s", item, all);
		}
		g_array_append_val(arr, v);
		return TRUE;
	case T_ERRNOS:
		if (!(v = errno_from_name(item)))
			return KEY_FAIL(VALUE, "'%s' is not a known errno name (EBUSY, EINVAL, ...)", item);
		g_array_append_val(arr, v);
		return TRUE;
	case T_STR: case T_PATH: case T_UINT: case T_SIZE: case T_DURATION: case T_BOOL: case T_ENUM:
	case T_CLASS: case T_STRV:
		break;
	}
	g_return_val_if_reached(FALSE);
}

static gboolean parse_list(const MhpScenarioIndex *ix, const char *group, const KeySpec *k, const char *val,
			   gpointer field, GError **error)
{
	g_auto(GStrv) items = g_strsplit(val, ";", -1);
	g_autoptr(GPtrArray) strv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GArray) arr = g_array_new(FALSE, FALSE, k->type == T_SIZES ? sizeof(guint64) : sizeof(int));
	guint n = 0;

	for (guint i = 0; items[i]; i++) {
		g_strstrip(items[i]);
		if (!*items[i])
			continue;
		if (k->type == T_STRV) {
			g_ptr_array_add(strv, g_strdup(items[i]));
			continue;
		}
		if (++n > MAX_LIST)
			return KEY_FAIL(LIMIT, "more than %d items", MAX_LIST);
		if (!parse_item(ix, group, k, items[i], arr, error))
			return FALSE;
	}
	if (k->type == T_STRV) {
		g_ptr_array_add(strv, NULL);
		g_strfreev(*(char ***)field);
		*(char ***)field = (char **)g_ptr_array_free(g_steal_pointer(&strv), FALSE);
		return TRUE;
	}
	if (!n && k->type != T_ERRNOS)
		return KEY_FAIL(VALUE, "empty list");
	if (*(GArray **)field)
		g_array_free(*(GArray **)field, TRUE);
	*(GArray **)field = g_steal_pointer(&arr);
	return TRUE;
}

static gboolean parse_key(const MhpScenarioIndex *ix, GKeyFile *kf, const char *group, const KeySpec *k,
			  gpointer base, GError **error)
{
	g_autoptr(GError) e = NULL;
	g_autofree char *raw = g_key_file_get_value(kf, group, k->key, &e);
	g_autofree char *val = NULL;
	gpointer field = (char *)base + k->offset;

	if (!raw)
		return KEY_FAIL(VALUE, "%s", e->message);
	val = g_strstrip(g_strdup(raw));
	switch (k->type) {
	case T_STR:
	case T_PATH:
		if (k->type == T_PATH && (!*val || strlen(val) > 4096))
			return KEY_FAIL(VALUE, "expected a path");
		g_free(*(char **)field);
		*(char **)field = g_steal_pointer(&val);
		return TRUE;
	case T_UINT:
		return parse_uint(ix, group, k, val, field, error);
	case T_SIZE:
	case T_DURATION:
		return parse_size_or_duration(ix, group, k, val, field, error);
	case T_BOOL:
		if (strcmp(val, "true") == 0 || strcmp(val, "yes") == 0)
			*(gboolean *)field = TRUE;
		else if (strcmp(val, "false") == 0 || strcmp(val, "no") == 0)
			*(gboolean *)field = FALSE;
		else
			return KEY_FAIL(VALUE, "'%s' is not true or false", val);
		return TRUE;
	case T_ENUM:
	case T_CLASS:
		return parse_enum(ix, group, k, val, field, error);
	case T_SIZES:
	case T_ZONES:
	case T_STRV:
	case T_ERRNOS:
		return parse_list(ix, group, k, val, field, error);
	}
	return FALSE;
}

/**
 * mhp_scenario_parse_group() - read a group's keys into a struct by a key table.
 * @ix: the index, for errors
 * @kf: the file
 * @group: the group
 * @keys: its key table, ending in { NULL }
 * @base: the struct the table's offsets are into
 * @error: names the key at fault
 *
 * Return: TRUE if every key in @group is known and its value valid.
 */
gboolean mhp_scenario_parse_group(const MhpScenarioIndex *ix, GKeyFile *kf, const char *group, const KeySpec *keys,
				  gpointer base, GError **error)
{
	g_auto(GStrv) present = g_key_file_get_keys(kf, group, NULL, NULL);

	for (guint i = 0; present && present[i]; i++) {
		const KeySpec *k = keys;

		while (k->key && strcmp(k->key, present[i]) != 0)
			k++;
		if (!k->key) {
			g_autoptr(GString) known = g_string_new(NULL);

			for (const KeySpec *x = keys; x->key; x++)
				g_string_append_printf(known, "%s%s", known->len ? ", " : "", x->key);
			return mhp_scenario_fail(ix, error, MHP_SCENARIO_ERROR_UNKNOWN, group, present[i],
						 "unknown key; [%s] takes: %s", group, known->str);
		}
		if (!parse_key(ix, kf, group, k, base, error))
			return FALSE;
	}
	return TRUE;
}

