// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-jsonget.c - the typed getters reject what json-c would coerce or
 * assert on, and name the key in their errors.
 */
#include <math.h>

#include "jsonget.h"
#include "tap.h"

/* Run @expr, which sets the macro's 'err'; check it failed with code @want and that the message contains @needle. */
#define FAILS(expr, want, needle, what)                                                                    \
	do {                                                                                               \
		GError *err = NULL;                                                                        \
		gboolean r_ = (expr);                                                                      \
		tap_ok(!r_ && err && err->code == (want) && strstr(err->message, needle), "%s: %s", what, \
		       err ? err->message : "(no error)");                                                 \
		g_clear_error(&err);                                                                       \
	} while (0)

/* Check @got is @want, printing both when not. */
#define IS_STR(got, want, ...)                                                   \
	do {                                                                     \
		const char *g_ = (got), *w_ = (want);                            \
		tap_ok(g_ && !strcmp(g_, w_), __VA_ARGS__);                      \
		if (!g_ || strcmp(g_, w_))                                       \
			printf("#   got '%s', want '%s'\n", g_ ? g_ : "(null)", w_); \
	} while (0)

int main(void)
{
	struct json_object *o = json_tokener_parse(
		"{\"blocks\":{},\"list\":[1,{\"state\":null},{\"state\":\"online\"}],\"n\":5,\"neg\":-1,"
		"\"big\":18446744073709551615,\"s\":\"abcdef\",\"f\":1.5,\"b\":true,\"nul\":null}");
	struct json_object *v = NULL, *e = NULL;
	const char *s = NULL;
	gint64 i = 0;
	guint64 u = 0;
	gboolean b = FALSE;

	/* the three crashes of issue 12, as errors */
	FAILS(mhp_json_get_array(o, "blocks reply", "blocks", 100, &v, &err), MHP_JSON_ERROR_TYPE,
	      "blocks reply: 'blocks': expected an array, got an object", "an object where an array belongs");
	tap_ok(mhp_json_get_array(o, "reply", "list", 3, &v, NULL) && json_object_array_length(v) == 3, "array read");
	FAILS(mhp_json_get_array(o, "reply", "list", 2, &e, &err), MHP_JSON_ERROR_RANGE, "3 entries, at most 2",
	      "array longer than its bound");
	FAILS(mhp_json_index_object(v, "'list'", 0, &e, &err), MHP_JSON_ERROR_TYPE,
	      "'list'[0]: expected an object, got an integer", "array element of the wrong type");
	tap_ok(mhp_json_index_object(v, "'list'", 1, &e, NULL), "array element read");
	FAILS(mhp_json_get_string(e, "'list'[1]", "state", 64, &s, &err), MHP_JSON_ERROR_TYPE,
	      "'state': expected a string, got null", "null where a string belongs");
	FAILS(mhp_json_index_object(v, "'list'", 7, &e, &err), MHP_JSON_ERROR_TYPE, "got null",
	      "index past the end");

	/* presence, types and ranges */
	FAILS(mhp_json_get_int(o, "reply", "missing", 0, 10, &i, &err), MHP_JSON_ERROR_MISSING, "no 'missing'",
	      "absent key");
	tap_ok(mhp_json_get_int(o, "reply", "n", 0, 10, &i, NULL) && i == 5, "integer in range");
	FAILS(mhp_json_get_int(o, "reply", "n", 6, 10, &i, &err), MHP_JSON_ERROR_RANGE, "5 out of range 6..10",
	      "integer below its range");
	FAILS(mhp_json_get_int(o, "reply", "big", 0, G_MAXINT64, &i, &err), MHP_JSON_ERROR_RANGE, "out of range",
	      "integer above INT64_MAX is out of a signed range");
	tap_ok(i == 5, "a failed getter leaves its result untouched");
	tap_ok(mhp_json_get_uint(o, "reply", "big", 0, G_MAXUINT64, &u, NULL) && u == G_MAXUINT64, "uint64 max");
	FAILS(mhp_json_get_uint(o, "reply", "neg", 0, 10, &u, &err), MHP_JSON_ERROR_RANGE, "-1 out of range",
	      "negative where unsigned belongs");
	FAILS(mhp_json_get_int(o, "reply", "f", 0, 10, &i, &err), MHP_JSON_ERROR_TYPE, "got a fraction",
	      "a fraction is not an integer");
	FAILS(mhp_json_get_int(o, "reply", "s", 0, 10, &i, &err), MHP_JSON_ERROR_TYPE, "got a string",
	      "a string is not an integer");
	tap_ok(mhp_json_get_string(o, "reply", "s", 6, &s, NULL) && !strcmp(s, "abcdef"), "string at its bound");
	FAILS(mhp_json_get_string(o, "reply", "s", 5, &s, &err), MHP_JSON_ERROR_RANGE, "6 bytes, at most 5",
	      "string over its bound");
	tap_ok(mhp_json_get_bool(o, "reply", "b", &b, NULL) && b, "boolean");
	FAILS(mhp_json_get_bool(o, "reply", "n", &b, &err), MHP_JSON_ERROR_TYPE, "expected true or false",
	      "an integer is not a boolean");
	FAILS(mhp_json_get_object(o, "reply", "nul", &e, &err), MHP_JSON_ERROR_TYPE, "expected an object, got null",
	      "null where an object belongs");
	FAILS(mhp_json_get_object(NULL, "hello reply", "x", &e, &err), MHP_JSON_ERROR_TYPE,
	      "hello reply: expected an object, got null", "a getter on NULL");

	/* optional keys */
	tap_ok(mhp_json_opt_int(o, "reply", "absent", 0, 10, 7, &i, NULL) && i == 7, "optional absent: default");
	tap_ok(mhp_json_opt_int(o, "reply", "n", 0, 10, 7, &i, NULL) && i == 5, "optional present: value");
	FAILS(mhp_json_opt_int(o, "reply", "nul", 0, 10, 7, &i, &err), MHP_JSON_ERROR_TYPE, "got null",
	      "optional present but null is an error");
	tap_ok(mhp_json_opt_string(o, "reply", "absent", 8, "d", &s, NULL) && !strcmp(s, "d"), "optional string");
	json_object_put(o);

	/* seeds: written as strings (jq 1.6 rounds integers above 2^53), read as either */
	o = json_object_new_object();
	json_object_object_add(o, "seed", mhp_json_new_seed(15153715275266450073ull));
	IS_STR(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), "{\"seed\":\"15153715275266450073\"}",
	       "a seed is written as a decimal string");
	u = 0;
	tap_ok(mhp_json_get_seed(o, "run.json", "seed", &u, NULL) && u == 15153715275266450073ull,
	       "a string seed reads back exactly");
	json_object_put(o);
	o = json_tokener_parse("{\"seed\":18446744073709551615,\"neg\":-1,\"bad\":\"12x\",\"sign\":\"-1\","
			       "\"over\":\"18446744073709551616\",\"f\":1.5}");
	tap_ok(mhp_json_get_seed(o, "run.json", "seed", &u, NULL) && u == G_MAXUINT64, "a legacy integer seed reads");
	FAILS(mhp_json_get_seed(o, "run.json", "bad", &u, &err), MHP_JSON_ERROR_RANGE,
	      "run.json: 'bad': '12x' is not a whole number", "a seed string with junk");
	FAILS(mhp_json_get_seed(o, "run.json", "sign", &u, &err), MHP_JSON_ERROR_RANGE, "'-1'", "a signed seed string");
	FAILS(mhp_json_get_seed(o, "run.json", "over", &u, &err), MHP_JSON_ERROR_RANGE, "2^64-1",
	      "a seed string above 2^64-1");
	FAILS(mhp_json_get_seed(o, "run.json", "neg", &u, &err), MHP_JSON_ERROR_RANGE, "out of range",
	      "a negative integer seed");
	FAILS(mhp_json_get_seed(o, "run.json", "f", &u, &err), MHP_JSON_ERROR_TYPE, "got a fraction",
	      "a fractional seed");
	FAILS(mhp_json_get_seed(o, "run.json", "absent", &u, &err), MHP_JSON_ERROR_MISSING, "no 'absent'",
	      "a missing seed");
	tap_ok(u == G_MAXUINT64, "a failed seed read leaves its result untouched");
	json_object_put(o);

	/* doubles: nine significant digits, always a fraction */
	struct {
		double v;
		const char *text;
	} dbl[] = {
		{ 77.94, "77.94" }, { 5.0, "5.0" }, { -0.25, "-0.25" }, { 123456.789, "123456.789" },
		{ 1.5e-7, "1.5e-07" }, { 1e12, "1e+12" }, { 1.0 / 3.0, "0.333333333" },
	};
	for (size_t k = 0; k < G_N_ELEMENTS(dbl); k++) {
		struct json_object *d = mhp_json_new_double(dbl[k].v), *back;

		IS_STR(json_object_to_json_string(d), dbl[k].text, "double %g is written %s", dbl[k].v, dbl[k].text);
		back = json_tokener_parse(json_object_to_json_string(d));
		tap_ok(json_object_is_type(back, json_type_double) &&
			       fabs(json_object_get_double(back) - dbl[k].v) <= fabs(dbl[k].v) * 1e-8,
		       "double %s reads back as a fraction of the same value", dbl[k].text);
		json_object_put(back);
		json_object_put(d);
	}
	return tap_done();
}
