// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hostile.c - the test-only hostile agent's case names (hostile.h).
 */
#include <stddef.h>
#include <string.h>

#include "hostile.h"

const char *const hostile_case_names[_HOSTILE_MAX + 1] = {
	"none",
#define HOSTILE_NAME_(e, n) n,
	HOSTILE_CASES(HOSTILE_NAME_)
#undef HOSTILE_NAME_
	NULL,
};

enum hostile_case_id hostile_case_from_string(const char *name)
{
	for (int i = HOSTILE_NONE + 1; name && i < _HOSTILE_MAX; i++)
		if (strcmp(hostile_case_names[i], name) == 0)
			return (enum hostile_case_id)i;
	return _HOSTILE_INVALID;
}
