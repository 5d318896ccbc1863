/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * strtable.h - an enum's name table as _to_string/_from_string (systemd's
 * DEFINE_STRING_TABLE_LOOKUP): one macro instead of the same two
 * functions beside every table.
 */
#ifndef MHP_STRTABLE_H
#define MHP_STRTABLE_H

#include <string.h>

/*
 * For `static const char *const table[_MAX]` indexed by @type:
 * `prefix_to_string(v)` (NULL outside the enum) and
 * `prefix_from_string(s)` (@invalid for an unknown name or NULL).
 */
#define MHP_DEFINE_STRING_TABLE(prefix, type, table, max, invalid)     \
	const char *prefix##_to_string(type v)                         \
	{                                                               \
		return (int)v >= 0 && (int)v < (max) ? table[v] : NULL; \
	}                                                               \
	type prefix##_from_string(const char *s)                        \
	{                                                               \
		for (int i = 0; s && i < (max); i++)                    \
			if (strcmp(table[i], s) == 0)                   \
				return (type)i;                         \
		return invalid;                                         \
	}

#endif
