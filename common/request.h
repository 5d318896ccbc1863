/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * request.h - validate one request line, {"id":N,"cmd":"...","args":{...}}:
 * the agent protocol and the daemon's control protocol share it (pure; fuzzed).
 */
#ifndef MHP_REQUEST_H
#define MHP_REQUEST_H

#include <json-c/json.h>

/**
 * struct request - a validated request; every pointer borrows from @root.
 * @root: the parsed object (owned)
 * @id: the integer id, or NULL when the request is too broken to have one
 * @cmd: the command name
 * @args: the args object, or NULL
 */
struct request {
	struct json_object *root;
	struct json_object *id;
	const char *cmd;
	struct json_object *args;
};

/**
 * request_parse() - parse and check the envelope of one request line.
 * @line: NUL-terminated line, newline stripped
 * @ret: on success, the request (free with request_free()); on failure,
 *       ret->id is the id when one could be read, so the error can cite it
 * @ret_msg: on failure, what was wrong (static or in @msgbuf)
 * @msgbuf: room for a formatted message
 * @msgsize: its size
 *
 * Return: 0, or -EBADMSG, -ELOOP (too deep) or -EINVAL (bad envelope).
 */
int request_parse(const char *line, struct request *ret, const char **ret_msg,
		  char *msgbuf, size_t msgsize);

void request_free(struct request *r);

#endif
