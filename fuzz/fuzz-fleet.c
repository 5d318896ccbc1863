// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-fleet.c - fleet files are user input: mhp_fleet_load_data() on
 * arbitrary text either loads a fleet with a scenario and named, connected
 * targets, or fails with a message naming the file.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "fleet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = g_strndup((const char *)data, size);
	GError *error = NULL;
	MhpFleet *f = mhp_fleet_load_data("/f/fuzz.ini", text, &error);

	if (f) {
		assert(!error && f->scenario && f->targets->len >= 1);
		for (guint i = 0; i < f->targets->len; i++) {
			MhpFleetTarget *t = g_ptr_array_index(f->targets, i);
			assert(t->name[0] && !strchr(t->name, '/') && strstr(t->connect, "://"));
		}
		mhp_fleet_free(f);
	} else {
		assert(error && g_str_has_prefix(error->message, "/f/fuzz.ini"));
		g_error_free(error);
	}
	return 0;
}
