// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-cli.c - what the mhpstress verbs share: exit codes as git bisect run
 * reads them, and the seed parser every input uses.
 */
#include <string.h>

#include <gio/gio.h>

#include "cli.h"
#include "tap.h"

static void test_exit_codes(void)
{
	/* git bisect run: 0 good, 125 skip, 1..127 bad, above 127 aborts */
	tap_ok(CLI_EXIT_PASS == 0 && CLI_EXIT_FAILURES == 1 && CLI_EXIT_USAGE == 2 && CLI_EXIT_UNTESTABLE == 125,
	       "exit codes: 0 pass, 1 failures, 2 usage, 125 could not test");
	tap_ok((int)CLI_EXIT_UNTESTABLE == (int)MHP_RUN_EXIT_UNTESTABLE && (int)CLI_EXIT_USAGE == (int)MHP_RUN_EXIT_ERROR,
	       "run exits with the engine's code as is");
	tap_ok(!strcmp(cli_exit_word(CLI_EXIT_UNTESTABLE), "could not test"), "125 is said 'could not test'");
	tap_ok(!strcmp(cli_exit_word(CLI_EXIT_USAGE), "error") && !strcmp(cli_exit_word(CLI_EXIT_PASS), "pass") &&
		       !strcmp(cli_exit_word(CLI_EXIT_FAILURES), "FAILURES FOUND"),
	       "the other closing words");
	TAP_EQ_U64(cli_exit_worst(CLI_EXIT_PASS, CLI_EXIT_UNTESTABLE), 125, "fleet: 125 is worse than a pass");
	TAP_EQ_U64(cli_exit_worst(CLI_EXIT_UNTESTABLE, CLI_EXIT_FAILURES), 1,
		   "fleet: failures found outweigh a target that could not test");
	TAP_EQ_U64(cli_exit_worst(CLI_EXIT_USAGE, CLI_EXIT_UNTESTABLE), 2, "fleet: an error outweighs 125");
	TAP_EQ_U64(cli_exit_worst(CLI_EXIT_FAILURES, CLI_EXIT_PASS), 1, "fleet: worst is symmetric");
}

static void test_guest_exit(void)
{
	g_autoptr(GError) usage = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "give --initrd too");
	g_autoptr(GError) build = g_error_new_literal(G_SPAWN_EXIT_ERROR, 1, "tools/build-kernel: exited with 1");

	TAP_EQ_U64(cli_resolve_guest_exit(usage), CLI_EXIT_USAGE, "no guest because of the options: usage, 2");
	TAP_EQ_U64(cli_resolve_guest_exit(build), CLI_EXIT_UNTESTABLE, "no guest because the build failed: 125");
}

static void test_seed(void)
{
	guint64 v = 7;

	tap_ok(cli_parse_seed("15153715275266450073", &v) && v == 15153715275266450073ull,
	       "--seed takes what jq -r .seed prints");
	tap_ok(cli_parse_seed("18446744073709551615", &v) && v == G_MAXUINT64, "--seed 2^64-1");
	v = 7;
	tap_ok(!cli_parse_seed("18446744073709551616", &v) && !cli_parse_seed("-1", &v) &&
		       !cli_parse_seed(" 1", &v) && !cli_parse_seed("0x1", &v) && !cli_parse_seed("", &v) &&
		       !cli_parse_seed("1.5e19", &v) && v == 7,
	       "--seed refuses 2^64, signs, blanks, hex, empty and floats, leaving the value");
}

int main(void)
{
	test_exit_codes();
	test_guest_exit();
	test_seed();
	return tap_done();
}
