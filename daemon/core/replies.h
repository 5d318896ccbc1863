/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * replies.h - the guest agent's replies and events, read into C types.
 *
 * The guest runs the kernel under test, so its agent is untrusted. Each
 * reader checks every value it takes (types, ranges, lengths, counts) and
 * fails with an MHP_JSON_ERROR naming the key; the engine then fails only
 * the request that carried it. Nothing here aborts on any JSON (see
 * fuzz/fuzz-engine-replies.c).
 */
#ifndef MHP_REPLIES_H
#define MHP_REPLIES_H

#include <glib.h>
#include <json-c/json.h>

/* Memory block sizes arm64 can have: 128M with 4K pages, 512M with 16K and 64K. */
#define MHP_BLOCK_SIZE_MIN (16ull << 20)
#define MHP_BLOCK_SIZE_MAX (4ull << 30)
/* 16 TiB of 128M blocks; a reply listing more is not from a real guest. */
#define MHP_REPLY_MAX_BLOCKS (128u * 1024)
/* A kernel log record: printk caps a line at 1 KiB; a little headroom. */
#define MHP_KMSG_MAX 4096
/* dmesg as one string: the guest's log buffer is 128 KiB by default. */
#define MHP_DMESG_MAX (16u << 20)

typedef struct {
	guint64 block_size; /* a power of two, MHP_BLOCK_SIZE_MIN..MAX */
	guint page_size;    /* 4096, 16384 or 65536 */
} MhpHello;

/* hello: block_size and page_size checked; other keys are recorded, not read. */
gboolean mhp_reply_hello(struct json_object *ok, MhpHello *ret, GError **error);

typedef struct {
	guint64 index;
	char state[32];        /* "online", "offline", "going-offline", ... */
	char valid_zones[64];  /* "Movable", "Normal", "none", ... */
} MhpBlock;

/* blocks: the listing, at most MHP_REPLY_MAX_BLOCKS entries (GArray of MhpBlock). */
gboolean mhp_reply_blocks(struct json_object *ok, GArray **ret, GError **error);

typedef struct {
	guint64 block;
	int err; /* 0 or a positive errno */
} MhpBlockResult;

/* online/offline: the per-block results (GArray of MhpBlockResult). */
gboolean mhp_reply_block_results(struct json_object *ok, GArray **ret, GError **error);

typedef struct {
	gint64 seq;       /* the kernel's record number; -1: not given */
	gboolean match;   /* the agent flagged the line as a failure report */
	const char *text; /* the line, at most MHP_KMSG_MAX (borrowed from the event) */
} MhpKmsg;

/* A kmsg event. */
gboolean mhp_event_kmsg(struct json_object *msg, MhpKmsg *ret, GError **error);

/* dmesg: the log text (borrowed from @ok). */
gboolean mhp_reply_dmesg(struct json_object *ok, const char **ret_text, GError **error);

#endif
