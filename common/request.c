// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * request.c - validate one agent request line: {"id":N,"cmd":"...","args":{...}}.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jsonl.h"
#include "request.h"

int request_parse(const char *line, struct request *ret, const char **ret_msg,
		  char *msgbuf, size_t msgsize)
{
	struct json_object *root = NULL, *id = NULL, *cmd = NULL, *args = NULL;
	int r;

	*ret = (struct request){ 0 };
	r = jsonl_parse_object(line, &root, ret_msg);
	if (r < 0)
		return r;
	ret->root = root;
	if (json_object_object_get_ex(root, "id", &id) && json_object_is_type(id, json_type_int) &&
	    json_object_get_int64(id) >= 0)
		ret->id = id;
	json_object_object_foreach(root, key, val) {
		(void)val;
		if (strcmp(key, "id") && strcmp(key, "cmd") && strcmp(key, "args")) {
			snprintf(msgbuf, msgsize, "unknown request member '%.64s'", key);
			*ret_msg = msgbuf;
			return -EINVAL;
		}
	}
	if (!ret->id) {
		*ret_msg = "request 'id' must be a non-negative integer";
		return -EINVAL;
	}
	if (!json_object_object_get_ex(root, "cmd", &cmd) || !json_object_is_type(cmd, json_type_string)) {
		*ret_msg = "request 'cmd' must be a string";
		return -EINVAL;
	}
	if (json_object_object_get_ex(root, "args", &args) && !json_object_is_type(args, json_type_object)) {
		*ret_msg = "request 'args' must be an object";
		return -EINVAL;
	}
	ret->cmd = json_object_get_string(cmd);
	ret->args = args;
	return 0;
}

void request_free(struct request *r)
{
	json_object_put(r->root);
	*r = (struct request){ 0 };
}
