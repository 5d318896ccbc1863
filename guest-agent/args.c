// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * args.c - strict checking of a request's "args" object.
 */
#include <errno.h>
#include <string.h>

#include "agent.h"

static const char *type_name(enum json_type t)
{
	switch (t) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a number";
	case json_type_int: return "an integer";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "?";
}

/*
 * Unknown keys, missing required keys and wrong types each get an error
 * reply naming the key. Return: 0, or -EINVAL after replying.
 */
int args_check(struct agent *a, struct json_object *id, struct json_object *args,
	       const struct arg_spec *spec)
{
	if (args) {
		json_object_object_foreach(args, key, val) {
			const struct arg_spec *s = spec;

			while (s->name && strcmp(s->name, key) != 0)
				s++;
			if (!s->name) {
				channel_reply_error(a, id, EINVAL, "unknown argument '%s'", key);
				return -EINVAL;
			}
			if (!json_object_is_type(val, s->type)) {
				channel_reply_error(a, id, EINVAL, "argument '%s' must be %s",
						    key, type_name(s->type));
				return -EINVAL;
			}
		}
	}
	for (const struct arg_spec *s = spec; s->name; s++) {
		if (s->required && !(args && json_object_object_get_ex(args, s->name, NULL))) {
			channel_reply_error(a, id, EINVAL, "missing argument '%s'", s->name);
			return -EINVAL;
		}
	}
	return 0;
}

/* Return: 0, or -ERANGE when negative or above @max. Absent: @def. */
int args_get_uint(struct json_object *args, const char *name, uint64_t max,
		  uint64_t def, uint64_t *ret)
{
	struct json_object *v;
	int64_t n;

	if (!args || !json_object_object_get_ex(args, name, &v)) {
		*ret = def;
		return 0;
	}
	errno = 0;
	n = json_object_get_int64(v);
	if (n < 0 || (uint64_t)n > max || errno == EINVAL)
		return -ERANGE;
	*ret = (uint64_t)n;
	return 0;
}
