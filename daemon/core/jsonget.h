/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * jsonget.h - typed reads from untrusted JSON: agent replies and events.
 *
 * Every getter checks presence, type and range, and on failure sets an
 * MHP_JSON_ERROR naming the key ("'blocks'[3].'state': expected a string,
 * got null"), so a malformed reply fails only the request that carried it.
 * json-c's own getters coerce or assert on a wrong type; never use them on
 * guest data without one of these first.
 */
#ifndef MHP_JSONGET_H
#define MHP_JSONGET_H

#include <glib.h>
#include <json-c/json.h>

#define MHP_JSON_ERROR (mhp_json_error_quark())
GQuark mhp_json_error_quark(void);

typedef enum {
	MHP_JSON_ERROR_MISSING, /* the key is absent */
	MHP_JSON_ERROR_TYPE,    /* present, of another type */
	MHP_JSON_ERROR_RANGE,   /* a number out of range, a string or array too long */
} MhpJsonError;

/* The largest string, in bytes, a getter accepts unless told otherwise. */
#define MHP_JSON_STRING_MAX 4096

/*
 * Each getter reads @key of object @o (which may itself be NULL or not an
 * object: that is reported as a type error of @what). @what names @o in
 * messages, e.g. "blocks reply" or "'blocks'[3]". On failure *@ret is
 * untouched.
 */
gboolean mhp_json_get_object(struct json_object *o, const char *what, const char *key,
			     struct json_object **ret, GError **error);
gboolean mhp_json_get_array(struct json_object *o, const char *what, const char *key, gsize max_len,
			    struct json_object **ret, GError **error);
gboolean mhp_json_get_string(struct json_object *o, const char *what, const char *key, gsize max_len,
			     const char **ret, GError **error);
gboolean mhp_json_get_int(struct json_object *o, const char *what, const char *key, gint64 min, gint64 max,
			  gint64 *ret, GError **error);
gboolean mhp_json_get_uint(struct json_object *o, const char *what, const char *key, guint64 min, guint64 max,
			   guint64 *ret, GError **error);
gboolean mhp_json_get_bool(struct json_object *o, const char *what, const char *key, gboolean *ret,
			   GError **error);

/* The same, for optional keys: absent is success with *@ret = @dflt. */
gboolean mhp_json_opt_string(struct json_object *o, const char *what, const char *key, gsize max_len,
			     const char *dflt, const char **ret, GError **error);
gboolean mhp_json_opt_int(struct json_object *o, const char *what, const char *key, gint64 min, gint64 max,
			  gint64 dflt, gint64 *ret, GError **error);

/* The element @i of array @a (checked by mhp_json_get_array) as an object. */
gboolean mhp_json_index_object(struct json_object *a, const char *what, gsize i, struct json_object **ret,
			       GError **error);

/**
 * mhp_json_get_seed() - read a 64-bit seed: a decimal string, or a legacy integer.
 * @o: the object holding @key
 * @what: names @o in messages
 * @key: "seed"
 * @ret: the seed; untouched on failure
 * @error: set when @key is missing or is neither a string of decimal
 *         digits from 0 to 2^64-1 nor a non-negative integer
 *
 * run.json and summary.json write the seed as a string, because readers
 * that hold numbers as doubles (jq 1.6, JavaScript) round integers above
 * 2^53; files written before took a JSON integer.
 *
 * Return: TRUE on success.
 */
gboolean mhp_json_get_seed(struct json_object *o, const char *what, const char *key, guint64 *ret,
			   GError **error);

/**
 * mhp_parse_u64() - parse decimal digits, 0 to 2^64-1.
 * @text: the text; a sign, blanks, "0x" or anything after the digits is refused
 * @ret: the value; untouched on failure
 *
 * Return: TRUE when @text is such a number.
 */
gboolean mhp_parse_u64(const char *text, guint64 *ret);

/**
 * mhp_json_new_seed() - a seed as run.json and summary.json write it: a decimal string.
 * @seed: the seed
 *
 * Return: a new string object.
 */
struct json_object *mhp_json_new_seed(guint64 seed);

/**
 * mhp_json_new_double() - a measured number, written with nine significant digits.
 * @v: the value
 *
 * json-c writes doubles with 17 digits (77.94 as 77.939999999999998);
 * nine keep every digit a clock or counter measured and read back as the
 * same text. The text is locale-independent and always has a '.' or an
 * exponent, so readers still see a fraction. A NaN or an infinity is left
 * to json-c.
 *
 * Return: a new double object.
 */
struct json_object *mhp_json_new_double(double v);

/* "null", "a string", "an object", ...: for messages. */
const char *mhp_json_type_name(struct json_object *v);

#endif
