// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * jsonget.c - typed reads from untrusted JSON: agent replies and events.
 */
#include <inttypes.h>

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

gboolean mhp_json_get_int(struct json_object *o, const char *what, const char *key, gint64 min, gint64 max,
			  gint64 *ret, GError **error)
{
	struct json_object *v;
	gint64 x;

	if (!get(o, what, key, json_type_int, "an integer", &v, error))
		return FALSE;
	/* json-c keeps integers above INT64_MAX as unsigned; those are out of any signed range */
	x = json_object_get_int64(v);
	if (x < min || x > max || (x == INT64_MAX && json_object_get_uint64(v) > (guint64)INT64_MAX)) {
		g_set_error(error, MHP_JSON_ERROR, MHP_JSON_ERROR_RANGE,
			    "%s: '%s': %s out of range %" PRId64 "..%" PRId64, what, key, json_object_to_json_string(v),
			    min, max);
		return FALSE;
	}
	*ret = x;
	return TRUE;
}

gboolean mhp_json_get_uint(struct json_object *o, const char *what, const char *key, guint64 min, guint64 max,
			   guint64 *ret, GError **error)
{
	struct json_object *v;
	guint64 x;

	if (!get(o, what, key, json_type_int, "an integer", &v, error))
		return FALSE;
	x = json_object_get_uint64(v);
	if (json_object_get_int64(v) < 0 || x < min || x > max) {
		g_set_error(error, MHP_JSON_ERROR, MHP_JSON_ERROR_RANGE,
			    "%s: '%s': %s out of range %" PRIu64 "..%" PRIu64, what, key, json_object_to_json_string(v),
			    min, max);
		return FALSE;
	}
	*ret = x;
	return TRUE;
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
