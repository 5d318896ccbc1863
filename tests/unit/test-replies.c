// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-replies.c - the agent's replies read into C types: real replies
 * pass, and each malformed one (issue 12's crashes among them) is an
 * error naming the key, never an abort.
 */
#include "replies.h"
#include "tap.h"

static gboolean check(gboolean ok, GError *err, const char *needle, const char *what)
{
	tap_ok(!ok && err && strstr(err->message, needle), "%s: %s", what, err ? err->message : "(accepted)");
	return !ok;
}

#define BAD(call, json, needle)                                                        \
	do {                                                                           \
		struct json_object *o_ = json_tokener_parse(json);                     \
		GError *err_ = NULL;                                                   \
		gboolean ok_ = call;                                                   \
		check(ok_, err_, needle, json);                                        \
		g_clear_error(&err_);                                                  \
		json_object_put(o_);                                                   \
	} while (0)

int main(void)
{
	struct json_object *o;
	GError *err = NULL;
	MhpHello h;
	GArray *a = NULL;
	MhpKmsg kmsg;
	const char *text;

	o = json_tokener_parse("{\"block_size\":134217728,\"page_size\":4096,\"kernel\":\"7.3.4\"}");
	tap_ok(mhp_reply_hello(o, &h, &err) && h.block_size == 128u << 20 && h.page_size == 4096, "hello read");
	json_object_put(o);
	BAD(mhp_reply_hello(o_, &h, &err_), "{\"block_size\":1,\"page_size\":4096}", "1 out of range 16777216..");
	BAD(mhp_reply_hello(o_, &h, &err_), "{\"block_size\":201326592,\"page_size\":4096}", "not a power of two");
	BAD(mhp_reply_hello(o_, &h, &err_), "{\"block_size\":134217728,\"page_size\":8192}", "not 4096, 16384 or 65536");
	BAD(mhp_reply_hello(o_, &h, &err_), "{\"block_size\":\"128M\",\"page_size\":4096}", "expected an integer");
	BAD(mhp_reply_hello(o_, &h, &err_), "{\"page_size\":4096}", "no 'block_size'");
	BAD(mhp_reply_hello(o_, &h, &err_), "[]", "hello reply: expected an object, got an array");

	o = json_tokener_parse("{\"block_size\":134217728,\"blocks\":[{\"index\":16,\"phys_start\":2147483648,"
			       "\"state\":\"online\",\"valid_zones\":\"Movable\",\"node\":0,\"boot\":false},"
			       "{\"index\":17,\"state\":\"offline\",\"valid_zones\":\"Normal Movable\"}]}");
	tap_ok(mhp_reply_blocks(o, &a, &err) && a->len == 2 && g_array_index(a, MhpBlock, 0).index == 16 &&
	       !strcmp(g_array_index(a, MhpBlock, 0).state, "online") &&
	       !strcmp(g_array_index(a, MhpBlock, 1).valid_zones, "Normal Movable"), "blocks read");
	g_array_unref(a);
	json_object_put(o);
	BAD(mhp_reply_blocks(o_, &a, &err_), "{\"blocks\":{}}", "'blocks': expected an array, got an object");
	BAD(mhp_reply_blocks(o_, &a, &err_), "{\"blocks\":[{\"index\":16,\"state\":null,\"valid_zones\":\"\"}]}",
	    "'blocks'[0]: 'state': expected a string, got null");
	BAD(mhp_reply_blocks(o_, &a, &err_), "{\"blocks\":[{\"index\":-1,\"state\":\"online\",\"valid_zones\":\"\"}]}",
	    "'index': -1 out of range");
	BAD(mhp_reply_blocks(o_, &a, &err_),
	    "{\"blocks\":[{\"index\":1,\"state\":\"0123456789012345678901234567890123\",\"valid_zones\":\"\"}]}",
	    "'state': 34 bytes, at most 31");
	BAD(mhp_reply_blocks(o_, &a, &err_), "{\"blocks\":[7]}", "'blocks'[0]: expected an object, got an integer");
	{
		/* the hostile agent's blocks-million: refused by its length, before any entry is read */
		GString *million = g_string_new("{\"blocks\":[");

		for (int i = 0; i < 1000000; i++)
			g_string_append(million, "0,");
		g_string_append(million, "0]}");
		gboolean ok;

		o = json_tokener_parse(million->str);
		ok = mhp_reply_blocks(o, &a, &err);
		check(ok, err, "'blocks': 1000001 entries, at most", "blocks-million");
		g_clear_error(&err);
		json_object_put(o);
		g_string_free(million, TRUE);
	}

	o = json_tokener_parse("{\"results\":[{\"block\":16,\"errno\":0,\"elapsed_ns\":5},{\"block\":17,\"errno\":16}],"
			       "\"failed\":1,\"timed_out\":false}");
	tap_ok(mhp_reply_block_results(o, &a, &err) && a->len == 2 && g_array_index(a, MhpBlockResult, 1).block == 17 &&
	       g_array_index(a, MhpBlockResult, 1).err == 16, "online/offline results read");
	g_array_unref(a);
	json_object_put(o);
	BAD(mhp_reply_block_results(o_, &a, &err_), "{\"results\":[{\"block\":16}]}", "no 'errno'");
	BAD(mhp_reply_block_results(o_, &a, &err_), "{\"results\":[{\"block\":16,\"errno\":-5}]}", "-5 out of range 0..4095");
	BAD(mhp_reply_block_results(o_, &a, &err_), "{\"results\":\"x\"}", "expected an array, got a string");

	o = json_tokener_parse("{\"seq\":1,\"level\":4,\"msg\":\"WARNING: CPU: 0 PID: 1 at mm/x.c:1\",\"match\":\"WARNING:\"}");
	tap_ok(mhp_event_kmsg(o, &kmsg, &err) && kmsg.match && strstr(kmsg.text, "mm/x.c") && kmsg.seq == 1,
	       "kmsg with a match and a seq");
	json_object_put(o);
	o = json_tokener_parse("{\"seq\":2,\"level\":4,\"msg\":\"hello\",\"match\":null}");
	tap_ok(mhp_event_kmsg(o, &kmsg, &err) && !kmsg.match, "kmsg with match null");
	json_object_put(o);
	o = json_tokener_parse("{\"msg\":\"hello\"}");
	tap_ok(mhp_event_kmsg(o, &kmsg, &err) && kmsg.seq == -1 && !kmsg.match, "kmsg without seq or match");
	json_object_put(o);
	BAD(mhp_event_kmsg(o_, &kmsg, &err_), "{\"msg\":5}", "'msg': expected a string, got an integer");
	BAD(mhp_event_kmsg(o_, &kmsg, &err_), "{\"msg\":\"x\",\"match\":[]}", "'match': expected a string");
	BAD(mhp_event_kmsg(o_, &kmsg, &err_), "{\"msg\":\"x\",\"seq\":-3}", "'seq': -3 out of range");
	BAD(mhp_event_kmsg(o_, &kmsg, &err_), "{\"msg\":\"x\",\"seq\":\"7\"}", "'seq': expected an integer");
	o = json_tokener_parse("{\"text\":\"[    0.0] Booting Linux\\n\"}");
	tap_ok(mhp_reply_dmesg(o, &text, &err) && strstr(text, "Booting"), "dmesg read");
	json_object_put(o);
	BAD(mhp_reply_dmesg(o_, &text, &err_), "{\"text\":null}", "'text': expected a string, got null");
	g_clear_error(&err);
	return tap_done();
}
