/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * procfs.h - parsers for /proc/meminfo and /proc/vmstat text.
 */
#ifndef MHP_PROCFS_H
#define MHP_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define PROCFS_MAX_NAME 64
#define PROCFS_MAX_ENTRIES 1024
#define PROCFS_MAX_LINE 256

enum procfs_format {
	PROCFS_MEMINFO, /* "Name:   123 kB" (unit optional) */
	PROCFS_VMSTAT,  /* "name 123" */
};

struct procfs_kv {
	char name[PROCFS_MAX_NAME];
	uint64_t value;
};

/**
 * procfs_parse() - parse meminfo or vmstat text.
 * @buf: the file's text (need not be NUL-terminated)
 * @len: its length
 * @fmt: which file it is
 * @ret_kv: a malloc'd array of entries, in file order
 * @ret_n: number of entries
 * @ret_line: on -EBADMSG, the 1-based line that was malformed
 *
 * meminfo values are kept in the file's unit: kB for lines that say so.
 *
 * Return: 0, -EBADMSG on a malformed line, -E2BIG past the limits, -ENOMEM.
 */
int procfs_parse(const char *buf, size_t len, enum procfs_format fmt,
		 struct procfs_kv **ret_kv, size_t *ret_n, unsigned *ret_line);

/**
 * procfs_zoneinfo_pcp() - pages parked on per-CPU lists, from /proc/zoneinfo.
 * @buf: the file's text
 * @len: its length
 * @ret_pages: the sum of every pageset's "count:"
 *
 * These pages are in neither MemFree nor any vmstat counter, and since 6.7
 * their high mark tunes itself, so they drift by megabytes.
 *
 * Return: 0, -EBADMSG on a malformed count line, -ENOENT when the file has no
 * pagesets.
 */
int procfs_zoneinfo_pcp(const char *buf, size_t len, uint64_t *ret_pages);

/**
 * procfs_lookup() - find a value by name.
 * Return: 0 and *ret_value, or -ENOENT.
 */
int procfs_lookup(const struct procfs_kv *kv, size_t n, const char *name,
		  uint64_t *ret_value);

/**
 * procfs_to_json() - an object name -> value, in file order.
 */
struct json_object *procfs_to_json(const struct procfs_kv *kv, size_t n);

#endif
