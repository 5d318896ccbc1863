// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-engine-replies.c - whatever the guest agent sends, as the host
 * reads it: each JSON value of the input goes through every reply reader
 * (hello, blocks, online/offline results, kmsg, dmesg), the snapshot gate,
 * the accounting checks on either side of a pair, compare and the trends.
 * Nothing may abort; a reader that accepts must return sane values.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "accounting.h"
#include "jsonstream.h"
#include "replies.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct json_object *prev; /* the value before, as the other snapshot */

static void readers(struct json_object *o)
{
	GError *error = NULL;
	GArray *a = NULL;
	MhpHello h;
	MhpKmsg kmsg;
	const char *text;

	if (mhp_reply_hello(o, &h, &error))
		assert(h.block_size >= MHP_BLOCK_SIZE_MIN && !(h.block_size & (h.block_size - 1)) && h.page_size >= 4096);
	g_clear_error(&error);
	if (mhp_reply_blocks(o, &a, &error)) {
		assert(a->len <= MHP_REPLY_MAX_BLOCKS);
		for (guint i = 0; i < a->len; i++)
			assert(strlen(g_array_index(a, MhpBlock, i).state) < sizeof(((MhpBlock *)0)->state));
		g_array_unref(a);
	} else {
		assert(error && error->message);
	}
	g_clear_error(&error);
	if (mhp_reply_block_results(o, &a, &error)) {
		for (guint i = 0; i < a->len; i++)
			assert(g_array_index(a, MhpBlockResult, i).err >= 0);
		g_array_unref(a);
	}
	g_clear_error(&error);
	if (mhp_event_kmsg(o, &kmsg, &error))
		assert(kmsg.text && strlen(kmsg.text) <= MHP_KMSG_MAX && kmsg.seq >= -1);
	g_clear_error(&error);
	if (mhp_reply_dmesg(o, &text, &error))
		assert(text);
	g_clear_error(&error);
}

static void accounting(struct json_object *a, struct json_object *b)
{
	MhpAcctBands bands;
	const char *failed;
	struct json_object *report = NULL;
	MhpTrends *t = mhp_trends_new();
	guint leaks;
	GError *error = NULL;

	mhp_acct_bands_default(&bands);
	if (!mhp_acct_snapshot_check(b, &error))
		assert(error && error->message);
	g_clear_error(&error);
	json_object_put(mhp_acct_check_plugged(a, b, 128u << 20, 2u << 20, &bands, &failed));
	json_object_put(mhp_acct_check_removed(a, b, 0, 0, &bands, &failed));
	if (failed)
		assert(strlen(failed) > 0);
	bands.stressed = TRUE;
	json_object_put(mhp_acct_check_removed(b, a, 128u << 20, 2u << 20, &bands, &failed));
	mhp_compare(a, b, &report);
	g_free(mhp_compare_format(report, "a", "b"));
	json_object_put(report);
	mhp_trends_add_snapshot(t, 0, a);
	mhp_trends_add_snapshot(t, 1, b);
	json_object_put(mhp_trends_to_json(t, &leaks));
	mhp_trends_free(t);
}

static int one(struct json_object *obj, void *userdata)
{
	readers(obj);
	accounting(prev, obj);
	accounting(obj, obj);
	json_object_put(prev);
	prev = obj;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_stream s;

	prev = NULL;
	/* the agent link's limits: 64 MiB and 16 levels (docs/architecture.md) */
	if (json_stream_init(&s, 1u << 20, 16) < 0)
		return 0;
	json_stream_feed(&s, (const char *)data, size, one, NULL);
	json_stream_free(&s);
	json_object_put(prev);
	prev = NULL;
	return 0;
}
