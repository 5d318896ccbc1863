// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-ptdump.c - ptdump_parse() on arbitrary text; the first byte picks
 * the page size and VA bits so every geometry is exercised.
 */
#include <assert.h>
#include <stdint.h>

#include "ptdump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned pages[] = { 4096, 16384, 65536, 4096 };
	struct ptdump_summary s;
	unsigned line = 0;

	if (size < 1)
		return 0;
	unsigned page = pages[data[0] & 3];
	unsigned va = (data[0] >> 2) & 1 ? 0 : 36 + ((data[0] >> 3) % 17);
	if (ptdump_parse((const char *)data + 1, size - 1, page, va, &s, &line) == 0) {
		uint64_t sum = 0;

		for (size_t i = 0; i < s.n_sections; i++)
			sum += s.section[i].lines;
		assert(sum == s.total.lines);
		json_object_put(ptdump_summary_to_json(&s));
	}
	return 0;
}
