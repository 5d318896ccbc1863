// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * jsonl.c - JSON-lines framing with hard limits, shared by agent and host.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"

int jsonl_reader_init(struct jsonl_reader *r, size_t max)
{
	*r = (struct jsonl_reader){ .max = max };
	r->buf = malloc(max + 1);
	return r->buf ? 0 : -ENOMEM;
}

void jsonl_reader_free(struct jsonl_reader *r)
{
	if (!r)
		return;
	free(r->buf);
	r->buf = NULL;
}

void jsonl_reader_reset(struct jsonl_reader *r)
{
	r->len = 0;
	r->discarding = false;
}

int jsonl_reader_feed(struct jsonl_reader *r, const char *data, size_t len,
		      size_t *ret_used, const char **ret_line)
{
	const char *nl = memchr(data, '\n', len);
	size_t take = nl ? (size_t)(nl - data) : len;
	size_t used = nl ? take + 1 : len;

	*ret_used = used;
	if (r->discarding) {
		if (nl)
			r->discarding = false;
		return JSONL_NEED_MORE;
	}
	if (r->len + take > r->max) {
		r->len = 0;
		r->discarding = !nl;
		return JSONL_TOO_LONG;
	}
	memcpy(r->buf + r->len, data, take);
	r->len += take;
	if (!nl)
		return JSONL_NEED_MORE;
	if (r->len && r->buf[r->len - 1] == '\r')
		r->len--;
	r->buf[r->len] = '\0';
	r->len = 0;
	*ret_line = r->buf;
	return JSONL_LINE;
}

int jsonl_parse_object(const char *line, struct json_object **ret_obj,
		       const char **ret_msg)
{
	struct json_tokener *tok = json_tokener_new_ex(JSONL_MAX_DEPTH);
	struct json_object *obj;
	enum json_tokener_error jerr;
	size_t n = strlen(line);
	int r = 0;

	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, line, (int)n);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_error_depth) {
		*ret_msg = "JSON nested too deeply";
		r = -ELOOP;
	} else if (jerr == json_tokener_continue) {
		*ret_msg = "incomplete JSON";
		r = -EBADMSG;
	} else if (jerr != json_tokener_success) {
		*ret_msg = json_tokener_error_desc(jerr);
		r = -EBADMSG;
	} else if (json_tokener_get_parse_end(tok) < n &&
		   line[json_tokener_get_parse_end(tok) +
			strspn(line + json_tokener_get_parse_end(tok), " \t")]) {
		*ret_msg = "trailing data after the JSON value";
		r = -EBADMSG;
	} else if (!json_object_is_type(obj, json_type_object)) {
		*ret_msg = "not a JSON object";
		r = -EBADMSG;
	}
	json_tokener_free(tok);
	if (r < 0) {
		json_object_put(obj);
		return r;
	}
	*ret_obj = obj;
	return 0;
}
