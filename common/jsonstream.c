// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * jsonstream.c - cut a byte stream of JSON objects into objects.
 *
 * The peer is untrusted: json-c takes any bytes inside a string, so every
 * string of a message is made valid UTF-8 before the message is handed out
 * (it is logged to events.jsonl as it came). A stream that failed is
 * poisoned; when the peer is reconnected to mid-line, the line's tail is
 * skipped up to its newline rather than parsed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonstream.h"

int json_stream_init(struct json_stream *s, size_t max_msg, int max_depth)
{
	*s = (struct json_stream){ .max_msg = max_msg };
	s->tok = json_tokener_new_ex(max_depth);
	if (!s->tok)
		return -ENOMEM;
	/* strict, but a stream holds more than one value */
	json_tokener_set_flags(s->tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	return 0;
}

void json_stream_free(struct json_stream *s)
{
	if (s && s->tok) {
		json_tokener_free(s->tok);
		s->tok = NULL;
	}
}

/* @rest: what was fed after the error; without a newline the line goes on */
static int poison(struct json_stream *s, const char *why, int err, const char *rest, size_t rest_len)
{
	s->error = why;
	s->line_cut = !memchr(rest, '\n', rest_len);
	return err;
}

void json_stream_skip_line(struct json_stream *s)
{
	s->skip_line = true;
}

/* The length of the valid UTF-8 sequence at @s (of @n bytes), 0 if none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t cp, min;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2, cp = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, cp = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4, cp = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static bool utf8_valid(const char *s, size_t len)
{
	for (size_t i = 0, n; i < len; i += n)
		if (!(n = utf8_seq((const unsigned char *)s + i, len - i)))
			return false;
	return true;
}

char *json_utf8_make_valid(const char *s, size_t len, size_t *ret_len)
{
	char *out = malloc(len * 3 + 1), *p = out;

	if (!out)
		return NULL;
	for (size_t i = 0, n; i < len; i += n) {
		n = utf8_seq((const unsigned char *)s + i, len - i);
		if (n) {
			memcpy(p, s + i, n);
			p += n;
		} else {
			memcpy(p, "\xef\xbf\xbd", 3); /* U+FFFD */
			p += 3;
			n = 1;
		}
	}
	*p = '\0';
	*ret_len = (size_t)(p - out);
	return out;
}

/* Every string of @o and its members' names in valid UTF-8. Depth is the tokener's limit. */
static int make_valid(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_string: {
		const char *s = json_object_get_string(o);
		size_t len = (size_t)json_object_get_string_len(o), n;
		char *v;
		int r;

		if (utf8_valid(s, len))
			return 0;
		v = json_utf8_make_valid(s, len, &n);
		if (!v || n > INT32_MAX) {
			free(v);
			return -ENOMEM;
		}
		r = json_object_set_string_len(o, v, (int)n);
		free(v);
		return r ? 0 : -ENOMEM;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			int r = make_valid(json_object_array_get_idx(o, i));

			if (r < 0)
				return r;
		}
		return 0;
	case json_type_object: {
		size_t nbad = 0, i = 0;
		const char **bad;

		json_object_object_foreach(o, key, val) {
			int r = make_valid(val);

			if (r < 0)
				return r;
			nbad += !utf8_valid(key, strlen(key));
		}
		if (!nbad)
			return 0;
		/* rename after the walk, which the table may not change under;
		 * each name stays allocated until its own entry is deleted */
		bad = malloc(nbad * sizeof(*bad));
		if (!bad)
			return -ENOMEM;
		json_object_object_foreach(o, k, v) {
			(void)v;
			if (!utf8_valid(k, strlen(k)))
				bad[i++] = k;
		}
		for (i = 0; i < nbad; i++) {
			struct json_object *moved = json_object_get(json_object_object_get(o, bad[i]));
			size_t n;
			char *fixed = json_utf8_make_valid(bad[i], strlen(bad[i]), &n);

			json_object_object_del(o, bad[i]);
			/* a name now equal to another's replaces it, as a duplicate name does */
			if (!fixed || json_object_object_add(o, fixed, moved) < 0) {
				json_object_put(moved);
				free(fixed);
				free(bad);
				return -ENOMEM;
			}
			free(fixed);
		}
		free(bad);
		return 0;
	}
	default:
		return 0;
	}
}

int json_stream_feed(struct json_stream *s, const char *data, size_t len,
		     json_stream_fn fn, void *userdata)
{
	if (s->error)
		return -EBADMSG;
	while (len) {
		if (s->skip_line) {
			const char *nl = memchr(data, '\n', len);

			if (!nl)
				return 0;
			len -= (size_t)(nl + 1 - data);
			data = nl + 1;
			s->skip_line = false;
			continue;
		}
		if (s->msg_bytes == 0) {
			size_t ws = 0;

			while (ws < len && (data[ws] == ' ' || data[ws] == '\n' || data[ws] == '\r' || data[ws] == '\t'))
				ws++;
			data += ws;
			len -= ws;
			if (!len)
				break;
			if (data[0] != '{')
				return poison(s, "a message is not a JSON object", -EBADMSG, data, len);
		}
		/* never hand the tokener more than the message may still grow */
		size_t room = s->max_msg - s->msg_bytes;
		size_t chunk = len < room ? len : room;
		if (chunk > 0x7fffffff)
			chunk = 0x7fffffff;
		struct json_object *obj = json_tokener_parse_ex(s->tok, data, (int)chunk);
		enum json_tokener_error jerr = json_tokener_get_error(s->tok);
		size_t used = json_tokener_get_parse_end(s->tok);

		if (jerr == json_tokener_continue) {
			s->msg_bytes += chunk;
			data += chunk;
			len -= chunk;
			if (s->msg_bytes >= s->max_msg)
				return poison(s, "a message is larger than the limit", -EMSGSIZE, data, len);
			continue;
		}
		if (jerr == json_tokener_error_depth)
			return poison(s, "a message is nested too deeply", -ELOOP, data + used, len - used);
		if (jerr != json_tokener_success)
			return poison(s, json_tokener_error_desc(jerr), -EBADMSG, data + used, len - used);
		data += used;
		len -= used;
		s->msg_bytes = 0;
		json_tokener_reset(s->tok);
		if (!json_object_is_type(obj, json_type_object)) {
			json_object_put(obj);
			return poison(s, "a message is not a JSON object", -EBADMSG, data, len);
		}
		int r = make_valid(obj);
		if (r < 0) {
			json_object_put(obj);
			return poison(s, "out of memory", r, data, len);
		}
		r = fn(obj, userdata);
		if (r < 0)
			return r;
	}
	return 0;
}
