// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-jsonstream.c - what the stream hands out is valid UTF-8 whatever the
 * peer sent, and a line cut by an error is skipped, not parsed, when the
 * peer resumes it on a new connection.
 */
#include <errno.h>

#include "jsonstream.h"
#include "tap.h"

struct got {
	int n;
	char text[8][256];
};

static int collect(struct json_object *obj, void *userdata)
{
	struct got *g = userdata;

	if (g->n < 8)
		snprintf(g->text[g->n], sizeof(g->text[0]), "%s",
			 json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	g->n++;
	json_object_put(obj);
	return 0;
}

static int feed(struct json_stream *s, const char *text, struct got *g)
{
	return json_stream_feed(s, text, strlen(text), collect, g);
}

static void test_utf8(void)
{
	struct json_stream s;
	struct got g = { 0 };
	size_t n;
	char *v;

	json_stream_init(&s, 4096, 16);
	/* guest-agent/hostile.c invalid-utf8, then a name, an array and a nested string */
	tap_ok(feed(&s, "{\"event\":\"mystery\",\"text\":\"\xff\xfe\xc3\x28\"}\n"
			"{\"k\xc0\xaf\":[\"\xed\xa0\x80\",{\"x\":\"ok \xc3\xa9 \xf0\x9f\x98\x80\"}]}\n", &g) == 0 && g.n == 2,
	       "both messages are handed out");
	tap_ok(!strcmp(g.text[0], "{\"event\":\"mystery\",\"text\":\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd(\"}"),
	       "invalid bytes in a string become U+FFFD: %s", g.text[0]);
	tap_ok(!strcmp(g.text[1], "{\"k\xef\xbf\xbd\xef\xbf\xbd\":[\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\","
				  "{\"x\":\"ok \xc3\xa9 \xf0\x9f\x98\x80\"}]}"),
	       "an overlong name and a surrogate too; valid text is kept: %s", g.text[1]);
	g.n = 0;
	tap_ok(feed(&s, "{\"a\xff\":1,\"b\":2,\"c\xfe\":{\"d\x80\":3},\"e\xff\":4}\n", &g) == 0 && g.n == 1 &&
		       !strcmp(g.text[0], "{\"b\":2,\"a\xef\xbf\xbd\":1,\"c\xef\xbf\xbd\":{\"d\xef\xbf\xbd\":3},"
					  "\"e\xef\xbf\xbd\":4}"),
	       "several invalid names, nested too: %s", g.text[0]);
	json_stream_free(&s);

	v = json_utf8_make_valid("a\xf4\x90\x80\x80z", 6, &n);
	tap_ok(v && n == 14 && !strcmp(v, "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz"), "above U+10FFFF is invalid");
	free(v);
	v = json_utf8_make_valid("\xe2\x82", 2, &n);
	tap_ok(v && n == 6, "a sequence cut short is invalid");
	free(v);
}

static void test_cut_line(void)
{
	struct json_stream s;
	struct got g = { 0 };
	char big[200];
	int r;

	/* a message over the limit, its line not ended */
	memset(big, 'x', sizeof(big));
	memcpy(big, "{\"a\":\"", 6);
	big[sizeof(big) - 1] = '\0';
	json_stream_init(&s, 64, 16);
	tap_ok(feed(&s, big, &g) == -EMSGSIZE && s.line_cut, "over the limit mid-line: the line is cut");
	json_stream_free(&s);

	/* ... and when its newline came in the same feed, it is not */
	json_stream_init(&s, 64, 16);
	big[150] = '\n';
	tap_ok(feed(&s, big, &g) == -EMSGSIZE && !s.line_cut, "over the limit, newline seen: not cut");
	json_stream_free(&s);

	json_stream_init(&s, 4096, 4);
	tap_ok(feed(&s, "{\"a\":[[[[[[[[[[", &g) == -ELOOP && s.line_cut, "too deep mid-line: cut");
	json_stream_free(&s);
	json_stream_init(&s, 4096, 4);
	tap_ok(feed(&s, "not JSON\n{\"id\":1}\n", &g) == -EBADMSG && !s.line_cut, "a whole line of garbage: not cut");
	json_stream_free(&s);

	/* the peer resumes the cut line on a new connection: its tail holds what looks like a message */
	json_stream_init(&s, 4096, 16);
	json_stream_skip_line(&s);
	g.n = 0;
	tap_ok(feed(&s, "{\"id\":9,\"ok\":{}} xx", &g) == 0 && g.n == 0, "the tail is not parsed");
	r = feed(&s, "x\"}]]]\n{\"id\":1,\"ok\":{}}\n", &g);
	tap_ok(r == 0 && g.n == 1 && !strcmp(g.text[0], "{\"id\":1,\"ok\":{}}"),
	       "the stream resumes after the newline: %s", g.n ? g.text[0] : "(nothing)");
	json_stream_free(&s);
}

int main(void)
{
	test_utf8();
	test_cut_line();
	return tap_done();
}
