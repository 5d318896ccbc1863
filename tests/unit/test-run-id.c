// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-run-id.c - mhpstressd's run ids fit the control protocol whatever
 * the scenario's name: run_make_id() against mhp_ctl_valid_run_id().
 */
#include <string.h>

#include "control-proto.h"
#include "run.h"
#include "tap.h"

static void check(const char *name, const char *want_prefix)
{
	g_autofree char *id = run_make_id(name, "20260101-000000", G_MAXUINT64);

	tap_ok(mhp_ctl_valid_run_id(id) && strlen(id) <= MHP_CTL_MAX_RUN_ID &&
		       g_str_has_prefix(id, want_prefix),
	       "'%.40s%s' (%zu chars) -> '%s' (%zu chars): a valid run id starting '%.20s'", name,
	       strlen(name) > 40 ? "..." : "", strlen(name), id, strlen(id), want_prefix);
}

int main(void)
{
	g_autofree char *long200 = g_strnfill(200, 'a');
	g_autofree char *b124 = g_strnfill(124, 'b');
	g_autofree char *long128 = g_strconcat(b124, ".ini", NULL);
	g_autofree char *stem64 = g_strnfill(RUN_ID_MAX_STEM, 'a');

	check("smoke.ini", "smoke-20260101-000000-18446744073709551615");
	check(long200, stem64);
	check(long128, "bbbb");
	check(".hidden.ini", "run-");
	check("", "run-");
	check("we!rd na/me\xc3\xa9.ini", "we_rd_na_me__-");
	check("-dash", "_dash-"); /* not an option to the client's command line */
	return tap_done();
}
