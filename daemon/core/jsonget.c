// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * jsonget.c - typed reads from untrusted JSON: agent replies and events.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "jsonget.h"

G_DEFINE_QUARK(mhp-json-error-quark, mhp_json_error)

const char *mhp_json_type_name(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
		return "a fraction";
	case json_type_int:
		return "an integer";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "?";
}

/* @key's value in @o, of @type; or an error saying which. */
static gboolean get(struct json_object *o, const char *what, const char *key, json_type type, const char *want,
		    struct json_object **ret, GError **error)
{
	struct json_object *v;

	if (!json_object_is_type(o, json_type_object)) {
		g_set_error(error, MHP_JSON_ERROR, MHP_JSON_ERROR_TYPE, "%s: expected an object, got %s", what,
			    mhp_json_type_name(o));
		return FALSE;
	}
	if (!json_object_object_get_ex(o, key, &v)) {
		g_set_error(error, MHP_JSON_ERROR, MHP_JSON_ERROR_MISSING, "%s: no '%s'", what, key);
		return FALSE;
	}
	if (!json_object_is_type(v, type)) {
		g_set_error(error, MHP_JSON_ERROR, MHP_JSON_ERROR_TYPE, "%s: '%s': expected %s, got %s", what, key,
			    want, mhp_json_type_name(v));
		return FALSE;
	}
	*ret = v;
	return TRUE;
}

gboolean mhp_json_get_object(struct json_object *o, const char *what, const char *key,
			     struct json_object **ret, GError **error)
{
	return get(o, what, key, json_type_object, "an object", ret, error);
}

gboolean mhp_json_get_array(struct json_object *o, const char *what, const char *key, gsize max_len,
			    struct json_object **ret, GError **error)
{
	struct json_object *v;

	if (!get(o, what, key, json_type_array, "an array", &v, error))
		return FALSE;
	if (json_object_array_length(v) > max_len) {
		g_set_error(error, MHP_JSON_ERROR, MHP_JSON_ERROR_RANGE, "%s: '%s': %zu entries, at most %zu", what,
			    key, json_object_array_length(v), (size_t)max_len);
		return FALSE;
	}
	*ret = v;
	return TRUE;
}

gboolean mhp_json_get_string(struct json_object *o, const char *what, const char *key, gsize max_len,
			     const char **ret, GError **error)
{
	struct json_object *v;

	if (!get(o, what, key, json_type_string, "a string", &v, error))
		return FALSE;
	if ((gsize)json_object_get_string_len(v) > max_len) {
		g_set_error(error, MHP_JSON_ERROR, MHP_JSON_ERROR_RANGE, "%s: '%s': %d bytes, at most %zu", what, key,
			    json_object_get_string_len(v), (size_t)max_len);
		return FALSE;
	}
	*ret = json_object_get_string(v);
	return TRUE;
}

/*
 * @key's integer in @o, within @min..@max; signed (@min, @max and *@ret
 * hold gint64 bit patterns) or not. json-c keeps integers above INT64_MAX
 * as unsigned: those are out of any signed range, negative ones out of
 * any unsigned range.
 */
static gboolean get_ranged(struct json_object *o, const char *what, const char *key, gboolean is_signed,
			   guint64 min, guint64 max, guint64 *ret, GError **error)
{
	struct json_object *v;
	gint64 s;
	guint64 u;
	gboolean in;

	if (!get(o, what, key, json_type_int, "an integer", &v, error))
		return FALSE;
	s = json_object_get_int64(v);
	u = json_object_get_uint64(v);
	if (is_signed)
		in = s >= (gint64)min && s <= (gint64)max && !(s == INT64_MAX && u > (guint64)INT64_MAX);
	else
		in = s >= 0 && u >= min && u <= max;
	if (!in) {
		g_autofree char *range = is_signed ? g_strdup_printf("%" PRId64 "..%" PRId64, (gint64)min, (gint64)max)
						   : g_strdup_printf("%" PRIu64 "..%" PRIu64, min, max);

		g_set_error(error, MHP_JSON_ERROR, MHP_JSON_ERROR_RANGE, "%s: '%s': %s out of range %s", what, key,
			    json_object_to_json_string(v), range);
		return FALSE;
	}
	*ret = is_signed ? (guint64)s : u;
	return TRUE;
}

gboolean mhp_json_get_int(struct json_object *o, const char *what, const char *key, gint64 min, gint64 max,
			  gint64 *ret, GError **error)
{
	guint64 x;

	if (!get_ranged(o, what, key, TRUE, (guint64)min, (guint64)max, &x, error))
		return FALSE;
	*ret = (gint64)x;
	return TRUE;
}

gboolean mhp_json_get_uint(struct json_object *o, const char *what, const char *key, guint64 min, guint64 max,
			   guint64 *ret, GError **error)
{
	return get_ranged(o, what, key, FALSE, min, max, ret, error);
}

gboolean mhp_json_get_bool(struct json_object *o, const char *what, const char *key, gboolean *ret,
			   GError **error)
{
	struct json_object *v;

	if (!get(o, what, key, json_type_boolean, "true or false", &v, error))
		return FALSE;
	*ret = json_object_get_boolean(v);
	return TRUE;
}

gboolean mhp_json_opt_string(struct json_object *o, const char *what, const char *key, gsize max_len,
			     const char *dflt, const char **ret, GError **error)
{
	if (json_object_is_type(o, json_type_object) && !json_object_object_get_ex(o, key, NULL)) {
		*ret = dflt;
		return TRUE;
	}
	return mhp_json_get_string(o, what, key, max_len, ret, error);
}

gboolean mhp_json_opt_int(struct json_object *o, const char *what, const char *key, gint64 min, gint64 max,
			  gint64 dflt, gint64 *ret, GError **error)
{
	if (json_object_is_type(o, json_type_object) && !json_object_object_get_ex(o, key, NULL)) {
		*ret = dflt;
		return TRUE;
	}
	return mhp_json_get_int(o, what, key, min, max, ret, error);
}

gboolean mhp_json_index_object(struct json_object *a, const char *what, gsize i, struct json_object **ret,
			       GError **error)
{
	struct json_object *v = json_object_array_get_idx(a, i);

	if (!json_object_is_type(v, json_type_object)) {
		g_set_error(error, MHP_JSON_ERROR, MHP_JSON_ERROR_TYPE, "%s[%zu]: expected an object, got %s", what,
			    (size_t)i, mhp_json_type_name(v));
		return FALSE;
	}
	*ret = v;
	return TRUE;
}

gboolean mhp_parse_u64(const char *text, guint64 *ret)
{
	guint64 v;
	char *end;

	/* digits only: strtoull would take "-1", " 1" and "0x1" too */
	if (!text || !g_ascii_isdigit(text[0]))
		return FALSE;
	errno = 0;
	v = g_ascii_strtoull(text, &end, 10);
	if (errno || *end)
		return FALSE;
	*ret = v;
	return TRUE;
}

gboolean mhp_json_get_seed(struct json_object *o, const char *what, const char *key, guint64 *ret,
			   GError **error)
{
	struct json_object *v;

	if (json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string)) {
		if (mhp_parse_u64(json_object_get_string(v), ret))
			return TRUE;
		g_set_error(error, MHP_JSON_ERROR, MHP_JSON_ERROR_RANGE,
			    "%s: '%s': '%s' is not a whole number from 0 to 2^64-1", what, key,
			    json_object_get_string(v));
		return FALSE;
	}
	return mhp_json_get_uint(o, what, key, 0, G_MAXUINT64, ret, error);
}

struct json_object *mhp_json_new_seed(guint64 seed)
{
	char text[24];

	g_snprintf(text, sizeof(text), "%" G_GUINT64_FORMAT, seed);
	return json_object_new_string(text);
}

struct json_object *mhp_json_new_double(double v)
{
	char text[G_ASCII_DTOSTR_BUF_SIZE + 2];

	if (!isfinite(v))
		return json_object_new_double(v);
	g_ascii_formatd(text, G_ASCII_DTOSTR_BUF_SIZE, "%.9g", v);
	if (!strpbrk(text, ".eE"))
		strcat(text, ".0");
	return json_object_new_double_s(v, text);
}
