// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-control.c - mhpstressd's control protocol: each line through
 * mhp_ctl_parse(), as the daemon does with what a client sends.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "control-proto.h"
#include "jsonstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int one(struct json_object *obj, void *userdata)
{
	const char *line = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	GError *error = NULL;
	MhpCtlRequest q;

	if (mhp_ctl_parse(line, &q, &error)) {
		assert(q.cmd <= MHP_CTL_RESULTS);
		if (q.cmd == MHP_CTL_START)
			assert(q.scenario && q.kernel && q.initrd && q.kernel[0] == '/');
		else if (q.cmd != MHP_CTL_LIST)
			assert(q.run && mhp_ctl_valid_run_id(q.run));
		/* backend, connect and domain are start's alone; the daemon checks them with the registry */
		assert(q.cmd == MHP_CTL_START || (!q.backend && !q.connect && !q.domain && !q.have_seed));
	} else {
		assert(error && error->message);
		g_error_free(error);
	}
	mhp_ctl_request_clear(&q);
	json_object_put(obj);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_stream s;

	if (json_stream_init(&s, 1u << 20, 16) < 0)
		return 0;
	json_stream_feed(&s, (const char *)data, size, one, NULL);
	json_stream_free(&s);
	return 0;
}
