/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jsonl.h - JSON-lines framing with hard limits, shared by agent and host.
 */
#ifndef MHP_JSONL_H
#define MHP_JSONL_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#define JSONL_MAX_LINE (64 * 1024)
#define JSONL_MAX_DEPTH 16

/**
 * struct jsonl_reader - accumulates a byte stream and cuts it into lines.
 * @buf: bytes of the current, incomplete line
 * @len: bytes used in @buf
 * @max: longest line accepted, newline excluded
 * @discarding: the current line overflowed @max and is being skipped
 */
struct jsonl_reader {
	char *buf;
	size_t len;
	size_t max;
	bool discarding;
};

enum jsonl_result {
	JSONL_LINE,     /* a complete line is in *ret_line */
	JSONL_NEED_MORE,
	JSONL_TOO_LONG, /* a line overflowed; it is dropped up to its newline */
};

int jsonl_reader_init(struct jsonl_reader *r, size_t max);
void jsonl_reader_free(struct jsonl_reader *r);
void jsonl_reader_reset(struct jsonl_reader *r);

/**
 * jsonl_reader_feed() - consume bytes until one line or one event.
 * @r: reader
 * @data: input bytes
 * @len: number of input bytes
 * @ret_used: bytes of @data consumed
 * @ret_line: on JSONL_LINE, a NUL-terminated line owned by @r, valid until
 *            the next call
 *
 * Call repeatedly with the unconsumed rest of @data until it returns
 * JSONL_NEED_MORE with everything consumed.
 *
 * Return: a &enum jsonl_result, or -ENOMEM.
 */
int jsonl_reader_feed(struct jsonl_reader *r, const char *data, size_t len,
		      size_t *ret_used, const char **ret_line);

/**
 * jsonl_parse_object() - strictly parse one JSON object with a depth limit.
 * @line: NUL-terminated text
 * @ret_obj: the object, on success
 * @ret_msg: on failure, a static description of what was wrong
 *
 * Return: 0, or -EBADMSG (not JSON, trailing data, not an object) or
 * -ELOOP (nested deeper than JSONL_MAX_DEPTH).
 */
int jsonl_parse_object(const char *line, struct json_object **ret_obj,
		       const char **ret_msg);

#endif
