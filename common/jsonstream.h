/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jsonstream.h - cut a byte stream of JSON objects (QMP, agent replies)
 * into objects with a persistent tokener and hard limits.
 */
#ifndef MHP_JSONSTREAM_H
#define MHP_JSONSTREAM_H

#include <stddef.h>
#include <json-c/json.h>

struct json_stream {
	struct json_tokener *tok;
	size_t max_msg;   /* bytes in one message, white space between messages excluded */
	size_t msg_bytes; /* bytes of the message in progress */
	const char *error;
};

/**
 * typedef json_stream_fn - receives each complete object.
 * @obj: the object; the callee takes the reference
 * Return: 0 to go on, negative to stop feeding (returned by the feed).
 */
typedef int (*json_stream_fn)(struct json_object *obj, void *userdata);

int json_stream_init(struct json_stream *s, size_t max_msg, int max_depth);
void json_stream_free(struct json_stream *s);

/**
 * json_stream_feed() - feed bytes; calls @fn for every complete object.
 * @s: stream
 * @data: bytes
 * @len: how many
 * @fn: callback
 * @userdata: for @fn
 *
 * After an error the stream is poisoned: every later feed fails too, and
 * s->error says what was wrong. The peer is then to be disconnected.
 *
 * Return: 0, -EBADMSG (not JSON, or a top-level value that is not an
 * object), -EMSGSIZE (over max_msg), -ELOOP (too deep), or what @fn returned.
 */
int json_stream_feed(struct json_stream *s, const char *data, size_t len,
		     json_stream_fn fn, void *userdata);

#endif
