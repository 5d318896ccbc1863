/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tap.h - a tiny TAP producer for the C tests (meson protocol: 'tap').
 */
#ifndef MHP_TAP_H
#define MHP_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
}

#define TAP_EQ_U64(got, want, what)                                               \
	do {                                                                      \
		uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);             \
		tap_ok(g_ == w_, "%s == %" PRIu64, what, w_);                     \
		if (g_ != w_)                                                     \
			printf("#   got %" PRIu64 "\n", g_);                      \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

/* Read a whole file; bail out of the test (TAP "Bail out!") if it cannot. */
static inline char *tap_slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		printf("Bail out! cannot read %s\n", path);
		exit(1);
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		printf("Bail out! cannot read %s\n", path);
		exit(1);
	}
	buf[n] = '\0';
	fclose(f);
	*ret_len = (size_t)n;
	return buf;
}

#endif
