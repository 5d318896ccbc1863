// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-agent-request.c - the agent's input path: a byte stream cut into
 * lines with the 64 KiB limit, each line checked as a request envelope.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "jsonl.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jsonl_reader r;
	size_t off = 0;

	if (jsonl_reader_init(&r, JSONL_MAX_LINE) < 0)
		return 0;
	while (off < size) {
		const char *line = NULL;
		size_t used = 0;
		/* feed in uneven chunks, as a socket would */
		size_t chunk = 1 + (data[off] % 97);
		if (chunk > size - off)
			chunk = size - off;
		int res = jsonl_reader_feed(&r, (const char *)data + off, chunk, &used, &line);
		assert(used > 0 && used <= chunk);
		off += used;
		if (res == JSONL_LINE) {
			struct request req;
			const char *msg = NULL;
			char buf[128];

			assert(strlen(line) <= JSONL_MAX_LINE);
			if (request_parse(line, &req, &msg, buf, sizeof(buf)) == 0)
				assert(req.cmd && req.id);
			else
				assert(msg);
			request_free(&req);
		}
	}
	jsonl_reader_free(&r);
	return 0;
}
