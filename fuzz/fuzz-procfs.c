// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-procfs.c - procfs_parse() as meminfo (FUZZ_MEMINFO) or vmstat.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct procfs_kv *kv = NULL;
	size_t n = 0;
	unsigned line = 0;

	uint64_t pcp;

	procfs_zoneinfo_pcp((const char *)data, size, &pcp);
	if (procfs_parse((const char *)data, size, FUZZ_FORMAT, &kv, &n, &line) == 0) {
		assert(n <= PROCFS_MAX_ENTRIES);
		for (size_t i = 0; i < n; i++)
			assert(strlen(kv[i].name) > 0 && strlen(kv[i].name) < PROCFS_MAX_NAME);
		json_object_put(procfs_to_json(kv, n));
		free(kv);
	}
	return 0;
}
