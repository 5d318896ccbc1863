// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * replies.c - the guest agent's replies and events, read into C types.
 */
#include "jsonget.h"
#include "replies.h"

gboolean mhp_reply_hello(struct json_object *ok, MhpHello *ret, GError **error)
{
	guint64 bs, ps;

	if (!mhp_json_get_uint(ok, "hello reply", "block_size", MHP_BLOCK_SIZE_MIN, MHP_BLOCK_SIZE_MAX, &bs, error) ||
	    !mhp_json_get_uint(ok, "hello reply", "page_size", 4096, 65536, &ps, error))
		return FALSE;
	if (bs & (bs - 1)) {
		g_set_error(error, MHP_JSON_ERROR, MHP_JSON_ERROR_RANGE,
			    "hello reply: 'block_size': %" G_GUINT64_FORMAT " is not a power of two", bs);
		return FALSE;
	}
	if (ps != 4096 && ps != 16384 && ps != 65536) {
		g_set_error(error, MHP_JSON_ERROR, MHP_JSON_ERROR_RANGE,
			    "hello reply: 'page_size': %" G_GUINT64_FORMAT " is not 4096, 16384 or 65536", ps);
		return FALSE;
	}
	*ret = (MhpHello){ .block_size = bs, .page_size = (guint)ps };
	return TRUE;
}

static gboolean copy_string(struct json_object *o, const char *what, const char *key, char *buf, gsize size,
			    GError **error)
{
	const char *s;

	if (!mhp_json_get_string(o, what, key, size - 1, &s, error))
		return FALSE;
	g_strlcpy(buf, s, size);
	return TRUE;
}

gboolean mhp_reply_blocks(struct json_object *ok, GArray **ret, GError **error)
{
	struct json_object *arr, *b;
	g_autoptr(GArray) blocks = NULL;
	gsize n;

	if (!mhp_json_get_array(ok, "blocks reply", "blocks", MHP_REPLY_MAX_BLOCKS, &arr, error))
		return FALSE;
	n = json_object_array_length(arr);
	blocks = g_array_sized_new(FALSE, TRUE, sizeof(MhpBlock), (guint)n);
	for (gsize i = 0; i < n; i++) {
		g_autofree char *what = g_strdup_printf("blocks reply: 'blocks'[%zu]", (size_t)i);
		MhpBlock blk = { 0 };

		if (!mhp_json_index_object(arr, "blocks reply: 'blocks'", i, &b, error) ||
		    !mhp_json_get_uint(b, what, "index", 0, G_MAXUINT32, &blk.index, error) ||
		    !copy_string(b, what, "state", blk.state, sizeof(blk.state), error) ||
		    !copy_string(b, what, "valid_zones", blk.valid_zones, sizeof(blk.valid_zones), error))
			return FALSE;
		g_array_append_val(blocks, blk);
	}
	*ret = g_steal_pointer(&blocks);
	return TRUE;
}

gboolean mhp_reply_block_results(struct json_object *ok, GArray **ret, GError **error)
{
	struct json_object *arr, *r;
	g_autoptr(GArray) res = NULL;
	gsize n;

	if (!mhp_json_get_array(ok, "online/offline reply", "results", MHP_REPLY_MAX_BLOCKS, &arr, error))
		return FALSE;
	n = json_object_array_length(arr);
	res = g_array_sized_new(FALSE, TRUE, sizeof(MhpBlockResult), (guint)n);
	for (gsize i = 0; i < n; i++) {
		g_autofree char *what = g_strdup_printf("online/offline reply: 'results'[%zu]", (size_t)i);
		MhpBlockResult br = { 0 };
		gint64 err;

		if (!mhp_json_index_object(arr, "online/offline reply: 'results'", i, &r, error) ||
		    !mhp_json_get_uint(r, what, "block", 0, G_MAXUINT32, &br.block, error) ||
		    !mhp_json_get_int(r, what, "errno", 0, 4095, &err, error))
			return FALSE;
		br.err = (int)err;
		g_array_append_val(res, br);
	}
	*ret = g_steal_pointer(&res);
	return TRUE;
}

gboolean mhp_event_kmsg(struct json_object *msg, MhpKmsg *ret, GError **error)
{
	struct json_object *m = NULL;
	const char *text, *match = NULL;
	guint64 seq = 0;
	gboolean has_seq = json_object_object_get_ex(msg, "seq", NULL);

	if (!mhp_json_get_string(msg, "kmsg event", "msg", MHP_KMSG_MAX, &text, error))
		return FALSE;
	if (has_seq && !mhp_json_get_uint(msg, "kmsg event", "seq", 0, G_MAXINT64, &seq, error))
		return FALSE;
	/* "match": the pattern's name, or null (or absent) for a plain warning */
	if (json_object_object_get_ex(msg, "match", &m) && !json_object_is_type(m, json_type_null) &&
	    !mhp_json_get_string(msg, "kmsg event", "match", 64, &match, error))
		return FALSE;
	*ret = (MhpKmsg){ .seq = has_seq ? (gint64)seq : -1, .match = match != NULL, .text = text };
	return TRUE;
}

gboolean mhp_reply_dmesg(struct json_object *ok, const char **ret_text, GError **error)
{
	return mhp_json_get_string(ok, "dmesg reply", "text", MHP_DMESG_MAX, ret_text, error);
}
