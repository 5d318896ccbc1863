/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ptdump.h - summarize arm64 kernel_page_tables dumps per section and level.
 */
#ifndef MHP_PTDUMP_H
#define MHP_PTDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define PTDUMP_MAX_LINE 512
#define PTDUMP_MAX_LINES (4u << 20)
#define PTDUMP_MAX_SECTIONS 32
#define PTDUMP_MAX_NAME 48

/* Indexed by depth above the last level; PGD is the top, whatever the depth. */
enum ptdump_level {
	PTDUMP_LEVEL_PTE,
	PTDUMP_LEVEL_PMD,
	PTDUMP_LEVEL_PUD,
	PTDUMP_LEVEL_P4D,
	PTDUMP_LEVEL_PGD,
	_PTDUMP_LEVEL_MAX,
};

struct ptdump_level_stats {
	uint64_t lines;
	uint64_t mapped_bytes;  /* lines with attributes */
	uint64_t hole_bytes;    /* lines without: the table exists, entries are empty */
	uint64_t block_entries; /* mapped leaf entries above PTE level */
	uint64_t page_entries;  /* mapped PTE-level entries */
	uint64_t table_pages;   /* distinct tables at this level the lines sit in */
};

struct ptdump_section {
	char name[PTDUMP_MAX_NAME];
	struct ptdump_level_stats level[_PTDUMP_LEVEL_MAX];
	uint64_t lines;
	uint64_t digest; /* FNV-1a over the normalized lines: ranges, levels, attributes */
	uint64_t ranges_digest; /* FNV-1a over the merged mapped address ranges only */
	/* coverage run being merged, internal */
	uint64_t run_start, run_end;
	bool in_run;
	/* distinct-table trackers, internal */
	uint64_t last_slot[_PTDUMP_LEVEL_MAX];
	bool have_slot[_PTDUMP_LEVEL_MAX];
};

struct ptdump_summary {
	unsigned page_size;
	unsigned va_bits;
	unsigned levels;
	size_t n_sections;
	struct ptdump_section section[PTDUMP_MAX_SECTIONS];
	struct ptdump_section total; /* every line; tables shared by sections count once */
};

/**
 * ptdump_level_name() - "PTE", "PMD", ... for a level.
 */
const char *ptdump_level_name(enum ptdump_level l);

/**
 * ptdump_parse() - summarize a dump of /sys/kernel/debug/kernel_page_tables.
 * @buf: the dump text
 * @len: its length
 * @page_size: the kernel's page size (4096, 16384 or 65536)
 * @va_bits: the kernel's VA bits, or 0 to infer it from the Linear Mapping
 *           start address (48 when there is none)
 * @ret: the summary; untouched on failure
 * @ret_line: on -EBADMSG or -E2BIG, the 1-based line at fault
 *
 * Lines before the first marker and between an "end" marker and the next
 * start go to a section named "other". A table page is counted once per
 * distinct table-sized slot holding lines of that level, holes included.
 *
 * Return: 0, -EINVAL for a bad page size, -EBADMSG for a malformed or
 * out-of-order line, -E2BIG past the limits.
 */
int ptdump_parse(const char *buf, size_t len, unsigned page_size,
		 unsigned va_bits, struct ptdump_summary *ret, unsigned *ret_line);

/**
 * typedef ptdump_line_fn - one range line of a dump, with its section.
 * @section: the section's name ("Linear Mapping", ..., or "other"), NUL-terminated
 * @line: the line, not NUL-terminated
 * @len: its length
 */
typedef void (*ptdump_line_fn)(const char *section, const char *line, size_t len, void *userdata);

/**
 * ptdump_for_each_line() - walk the range lines of a dump, as ptdump_parse()
 * assigns them to sections. Markers and empty lines are skipped; lines are
 * not validated (ptdump_parse() does that).
 */
void ptdump_for_each_line(const char *buf, size_t len, ptdump_line_fn fn, void *userdata);

/**
 * ptdump_find_section() - a section by name, or NULL.
 */
const struct ptdump_section *ptdump_find_section(const struct ptdump_summary *s,
						 const char *name);

/**
 * ptdump_section_table_pages() - table pages over every level of a section.
 */
uint64_t ptdump_section_table_pages(const struct ptdump_section *sec);

/**
 * ptdump_summary_to_json() - the summary as documented in docs/agent-protocol.md.
 */
struct json_object *ptdump_summary_to_json(const struct ptdump_summary *s);

#endif
