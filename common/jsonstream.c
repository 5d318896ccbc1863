// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * jsonstream.c - cut a byte stream of JSON objects into objects.
 */
#include <errno.h>
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

static int poison(struct json_stream *s, const char *why, int err)
{
	s->error = why;
	return err;
}

int json_stream_feed(struct json_stream *s, const char *data, size_t len,
		     json_stream_fn fn, void *userdata)
{
	if (s->error)
		return -EBADMSG;
	while (len) {
		if (s->msg_bytes == 0) {
			size_t ws = 0;

			while (ws < len && (data[ws] == ' ' || data[ws] == '\n' || data[ws] == '\r' || data[ws] == '\t'))
				ws++;
			data += ws;
			len -= ws;
			if (!len)
				break;
			if (data[0] != '{')
				return poison(s, "a message is not a JSON object", -EBADMSG);
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
				return poison(s, "a message is larger than the limit", -EMSGSIZE);
			continue;
		}
		if (jerr == json_tokener_error_depth)
			return poison(s, "a message is nested too deeply", -ELOOP);
		if (jerr != json_tokener_success)
			return poison(s, json_tokener_error_desc(jerr), -EBADMSG);
		data += used;
		len -= used;
		s->msg_bytes = 0;
		json_tokener_reset(s->tok);
		if (!json_object_is_type(obj, json_type_object)) {
			json_object_put(obj);
			return poison(s, "a message is not a JSON object", -EBADMSG);
		}
		int r = fn(obj, userdata);
		if (r < 0)
			return r;
	}
	return 0;
}
