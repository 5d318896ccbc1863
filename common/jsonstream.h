/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jsonstream.h - cut a byte stream of JSON objects (QMP, agent replies)
 * into objects with a persistent tokener and hard limits.
 *
 * Every string (and member name) handed out is valid UTF-8: what the peer
 * sent that is not becomes U+FFFD, byte by byte, as g_utf8_make_valid()
 * does, so what is logged of it (events.jsonl) stays valid UTF-8.
 */
#ifndef MHP_JSONSTREAM_H
#define MHP_JSONSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

struct json_stream {
	struct json_tokener *tok;
	size_t max_msg;   /* bytes in one message, white space between messages excluded */
	size_t msg_bytes; /* bytes of the message in progress */
	const char *error;
	bool line_cut;    /* the error came before the end of the line it was in */
	bool skip_line;   /* drop bytes up to the next newline before parsing */
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
 * s->line_cut says whether the line the error was in goes on past what was
 * fed (no newline came after the error): a peer that is reconnected to
 * (the agent, whose output waits while the host is away) then sends its
 * tail first, which json_stream_skip_line() drops.
 *
 * Return: 0, -EBADMSG (not JSON, or a top-level value that is not an
 * object), -EMSGSIZE (over max_msg), -ELOOP (too deep), or what @fn returned.
 */
int json_stream_feed(struct json_stream *s, const char *data, size_t len,
		     json_stream_fn fn, void *userdata);

/**
 * json_stream_skip_line() - drop what comes up to the next newline.
 * @s: a stream, typically new, on a connection that resumes a peer's
 *     output in the middle of a line (a message that was cut)
 *
 * Nothing of a cut line is parsed: a '{' in its middle (inside a string)
 * would otherwise start a message the peer never sent. Messages are one
 * line each (JSON lines; QMP too), so the next one starts after a newline.
 */
void json_stream_skip_line(struct json_stream *s);

/**
 * json_utf8_make_valid() - a copy of @len bytes at @s in valid UTF-8.
 * @s: bytes
 * @len: how many
 * @ret_len: the copy's length, NUL excluded
 *
 * RFC 3629 UTF-8: overlong forms, surrogates and values above U+10FFFF are
 * invalid. Each byte that does not start a valid sequence becomes U+FFFD.
 *
 * Return: the NUL-terminated copy (free()), or NULL when out of memory.
 */
char *json_utf8_make_valid(const char *s, size_t len, size_t *ret_len);

#endif
