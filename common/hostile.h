/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hostile.h - the names of the test-only hostile agent's cases, one table
 * for both sides: the agent (guest-agent/hostile.c) acts them out, the
 * scenario parser accepts them in [case] hostile (docs/agent-protocol.md).
 */
#ifndef MHP_HOSTILE_H
#define MHP_HOSTILE_H

#define HOSTILE_CASES(X) \
	X(BLOCKS_OBJECT, "blocks-object") \
	X(BLOCK_STATE_NULL, "block-state-null") \
	X(BLOCKS_MISSING, "blocks-missing") \
	X(BLOCKS_MILLION, "blocks-million") \
	X(INDEX_STRING, "index-string") \
	X(PTDUMP_SECTIONS_NUMBER, "ptdump-sections-number") \
	X(MEMINFO_ARRAY, "meminfo-array") \
	X(MEMINFO_NULL, "meminfo-null") \
	X(MEMFREE_1E308, "memfree-1e308") \
	X(PCP_NEGATIVE, "pcp-negative") \
	X(RESULTS_STRING, "results-string") \
	X(RESULTS_NULL, "results-null") \
	X(ERRNO_2E63, "errno-2e63") \
	X(ERRNO_1E308, "errno-1e308") \
	X(BLOCK_NEGATIVE, "block-negative") \
	X(OK_NUMBER, "ok-number") \
	X(ERROR_GARBAGE, "error-garbage") \
	X(HELLO_BLOCK_SIZE_1, "hello-block-size-1") \
	X(WRONG_ID, "wrong-id") \
	X(DUPLICATE_REPLY, "duplicate-reply") \
	X(STRAY_REPLIES, "stray-replies") \
	X(UNKNOWN_EVENTS, "unknown-events") \
	X(KMSG_STORM, "kmsg-storm") \
	X(WAIT_BLOCKS_GARBAGE, "wait-blocks-garbage") \
	X(FLOOD_FEW, "flood-few") \
	X(FLOOD, "flood") \
	X(GARBAGE, "garbage") \
	X(INVALID_UTF8, "invalid-utf8") \
	X(DEEP_NESTING, "deep-nesting") \
	X(LINE_64MIB, "line-64mib")

enum hostile_case_id {
	HOSTILE_NONE,
#define HOSTILE_ENUM_(e, n) HOSTILE_##e,
	HOSTILE_CASES(HOSTILE_ENUM_)
#undef HOSTILE_ENUM_
	_HOSTILE_MAX,
	_HOSTILE_INVALID = -22,
};

/* "none", then each case's name, then NULL: index by enum hostile_case_id. */
extern const char *const hostile_case_names[_HOSTILE_MAX + 1];

/**
 * hostile_case_from_string() - a case by its name.
 * @name: the name, may be NULL
 *
 * Return: the case, or _HOSTILE_INVALID (HOSTILE_NONE is not a case).
 */
enum hostile_case_id hostile_case_from_string(const char *name);

#endif
