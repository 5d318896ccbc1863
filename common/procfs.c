// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * procfs.c - parsers for /proc/meminfo and /proc/vmstat text.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include "procfs.h"

static int parse_u64(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;

	if (n == 0 || n > 20)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EBADMSG;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -EBADMSG;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret = v;
	return 0;
}

static int parse_line(const char *p, size_t n, enum procfs_format fmt,
		      struct procfs_kv *kv)
{
	size_t name_len, i;
	const char *v;

	if (fmt == PROCFS_MEMINFO) {
		const char *colon = memchr(p, ':', n);

		if (!colon)
			return -EBADMSG;
		name_len = (size_t)(colon - p);
		i = name_len + 1;
	} else {
		/* the line is not NUL-terminated: search within it only */
		const char *sp = memchr(p, ' ', n);

		if (!sp)
			return -EBADMSG;
		name_len = (size_t)(sp - p);
		i = name_len;
	}
	if (name_len == 0 || name_len >= PROCFS_MAX_NAME)
		return -EBADMSG;
	for (size_t k = 0; k < name_len; k++)
		if (!isgraph((unsigned char)p[k]))
			return -EBADMSG;
	while (i < n && p[i] == ' ')
		i++;
	v = p + i;
	size_t vlen = 0;
	while (i + vlen < n && isdigit((unsigned char)v[vlen]))
		vlen++;
	if (parse_u64(v, vlen, &kv->value) < 0)
		return -EBADMSG;
	i += vlen;
	if (fmt == PROCFS_MEMINFO && n - i == 3 && memcmp(p + i, " kB", 3) == 0)
		i += 3;
	if (i != n)
		return -EBADMSG;
	memcpy(kv->name, p, name_len);
	kv->name[name_len] = '\0';
	return 0;
}

int procfs_parse(const char *buf, size_t len, enum procfs_format fmt,
		 struct procfs_kv **ret_kv, size_t *ret_n, unsigned *ret_line)
{
	struct procfs_kv *kv = NULL;
	size_t n = 0, cap = 0, off = 0;
	unsigned line = 0;

	while (off < len) {
		const char *p = buf + off;
		const char *nl = memchr(p, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - p) : len - off;

		off += ll + (nl ? 1 : 0);
		line++;
		if (ll == 0)
			continue;
		if (ll > PROCFS_MAX_LINE || n >= PROCFS_MAX_ENTRIES) {
			free(kv);
			*ret_line = line;
			return -E2BIG;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct procfs_kv *nkv = realloc(kv, ncap * sizeof(*kv));

			if (!nkv) {
				free(kv);
				return -ENOMEM;
			}
			kv = nkv;
			cap = ncap;
		}
		if (parse_line(p, ll, fmt, &kv[n]) < 0) {
			free(kv);
			*ret_line = line;
			return -EBADMSG;
		}
		n++;
	}
	*ret_kv = kv;
	*ret_n = n;
	return 0;
}

int procfs_lookup(const struct procfs_kv *kv, size_t n, const char *name,
		  uint64_t *ret_value)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(kv[i].name, name) == 0) {
			*ret_value = kv[i].value;
			return 0;
		}
	}
	return -ENOENT;
}

struct json_object *procfs_to_json(const struct procfs_kv *kv, size_t n)
{
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; o && i < n; i++)
		json_object_object_add(o, kv[i].name,
				       json_object_new_int64((int64_t)kv[i].value));
	return o;
}

int procfs_zoneinfo_pcp(const char *buf, size_t len, uint64_t *ret_pages)
{
	uint64_t sum = 0;
	size_t off = 0;
	bool seen = false;

	while (off < len) {
		const char *p = buf + off;
		const char *nl = memchr(p, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - p) : len - off;
		size_t i = 0;
		uint64_t v;

		off += ll + (nl ? 1 : 0);
		while (i < ll && p[i] == ' ')
			i++;
		if (ll - i < 6 || memcmp(p + i, "count:", 6) != 0)
			continue;
		i += 6;
		while (i < ll && p[i] == ' ')
			i++;
		if (parse_u64(p + i, ll - i, &v) < 0 || v > UINT64_MAX - sum)
			return -EBADMSG;
		sum += v;
		seen = true;
	}
	if (!seen)
		return -ENOENT;
	*ret_pages = sum;
	return 0;
}
