// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-control-proto.c - start's 'seed' over the control socket: a JSON
 * integer, or the decimal string run.json has, strictly.
 */
#include <gio/gio.h>

#include "control-proto.h"
#include "tap.h"

#define START(seed) \
	"{\"id\":1,\"cmd\":\"start\",\"args\":{\"scenario\":\"[scenario]\\n\",\"kernel\":\"/k\",\"initrd\":\"/i\"," \
	"\"seed\":" seed "}}"

static void accepts(const char *line, guint64 want, const char *what)
{
	g_autoptr(GError) error = NULL;
	MhpCtlRequest q;
	gboolean ok = mhp_ctl_parse(line, &q, &error);

	tap_ok(ok && q.have_seed && q.seed == want, "%s: %s", what, error ? error->message : "accepted");
	mhp_ctl_request_clear(&q);
}

static void refuses(const char *line, const char *needle, const char *what)
{
	g_autoptr(GError) error = NULL;
	MhpCtlRequest q;
	gboolean ok = mhp_ctl_parse(line, &q, &error);

	tap_ok(!ok && error && strstr(error->message, needle), "%s: %s", what,
	       error ? error->message : "(accepted)");
	mhp_ctl_request_clear(&q);
}

int main(void)
{
	accepts(START("5"), 5, "an integer seed");
	accepts(START("18446744073709551615"), G_MAXUINT64, "the largest integer seed");
	accepts(START("\"15153715275266450073\""), 15153715275266450073ull, "a seed above 2^53 as a string");
	accepts(START("\"18446744073709551615\""), G_MAXUINT64, "the largest string seed");
	accepts(START("\"0\""), 0, "a string seed of 0");
	accepts(START("\"007\""), 7, "leading zeros are still decimal");

	refuses(START("-1"), "'seed' must be 0 to", "a negative integer");
	refuses(START("1.5"), "'seed' must be an integer or a string of decimal digits", "a float");
	refuses(START("true"), "'seed' must be an integer or a string of decimal digits", "a boolean");
	refuses(START("\"18446744073709551616\""), "must be decimal digits, 0 to 18446744073709551615", "2^64 as a string");
	refuses(START("\"-1\""), "must be decimal digits", "a sign");
	refuses(START("\"+1\""), "must be decimal digits", "a plus sign");
	refuses(START("\" 1\""), "must be decimal digits", "a leading blank");
	refuses(START("\"1 \""), "must be decimal digits", "a trailing blank");
	refuses(START("\"0x10\""), "must be decimal digits", "hexadecimal");
	refuses(START("\"12x\""), "must be decimal digits", "trailing junk");
	refuses(START("\"\""), "must be decimal digits", "an empty string");
	refuses(START("\"1e3\""), "must be decimal digits", "an exponent");

	return tap_done();
}
