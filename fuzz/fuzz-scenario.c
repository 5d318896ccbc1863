// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-scenario.c - scenario files are user input: mhp_scenario_load_data()
 * on arbitrary text either loads a scenario that passed validation or fails
 * with a message naming the file.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = g_strndup((const char *)data, size); /* stops at a NUL, like the loader's check */
	GError *error = NULL;
	MhpScenario *s = mhp_scenario_load_data("fuzz.ini", text, &error);

	if (s) {
		assert(!error);
		assert(s->dimm.sizes->len >= 1 && s->dimm.zones->len >= 1);
		assert(s->dimm.concurrent >= 1 && s->dimm.concurrent <= s->guest.slots);
		assert(s->guest.maxmem > s->guest.memory);
		json_object_put(mhp_scenario_to_json(s));
		mhp_scenario_free(s);
	} else {
		assert(error && g_str_has_prefix(error->message, "fuzz.ini"));
		g_error_free(error);
	}
	return 0;
}
