/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cleanup.h - scope-bound cleanup for the glib-free code (agent, common).
 */
#ifndef MHP_CLEANUP_H
#define MHP_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <json-c/json.h>

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
	}
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void json_putp(struct json_object **o)
{
	json_object_put(*o);
}

#define _cleanup_free_ __attribute__((cleanup(freep)))
#define _cleanup_fd_ __attribute__((cleanup(closep)))
#define _cleanup_file_ __attribute__((cleanup(fclosep)))
#define _cleanup_json_ __attribute__((cleanup(json_putp)))

/* Hand ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p)                                                            \
	({                                                                     \
		__typeof__(p) _tp = (p);                                       \
		(p) = NULL;                                                    \
		_tp;                                                           \
	})

#define TAKE_FD(fd)                                                            \
	({                                                                     \
		int _tfd = (fd);                                               \
		(fd) = -1;                                                     \
		_tfd;                                                          \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
