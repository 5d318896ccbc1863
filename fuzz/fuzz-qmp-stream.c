// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-qmp-stream.c - the host's JSON stream parser (QMP and agent input),
 * fed in uneven chunks as a socket delivers them, with the QMP limits
 * scaled down so the size limit is reachable.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "jsonstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(struct json_object *obj, void *userdata)
{
	assert(json_object_is_type(obj, json_type_object));
	(*(unsigned *)userdata)++;
	json_object_put(obj);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_stream s;
	unsigned objects = 0;
	size_t off = 0;

	if (json_stream_init(&s, 4096, 64) < 0)
		return 0;
	while (off < size) {
		size_t chunk = 1 + data[off] % 31;
		if (chunk > size - off)
			chunk = size - off;
		int r = json_stream_feed(&s, (const char *)data + off, chunk, count, &objects);
		if (r < 0) {
			assert(s.error);
			/* poisoned: every later feed fails too */
			assert(json_stream_feed(&s, "{}", 2, count, &objects) < 0);
			break;
		}
		off += chunk;
	}
	json_stream_free(&s);
	return 0;
}
