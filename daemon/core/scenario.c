// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * scenario.c - scenario files (GKeyFile .ini): the key tables, defaults,
 * the checks across keys, cases and stressors, and the scenario as JSON.
 *
 * The file's syntax, its line index and the reading of one group by its
 * key table are scenario-ini.c's.
 */
#include <stddef.h>
#include <string.h>

#include "scenario-private.h"

#define MAX_FILE_BYTES (1u << 20)
#define MAX_CASES 256
#define MAX_STRESSORS 16
#define DEFAULT_BLOCK_SIZE (128ull << 20)

typedef struct {
	const char *group;
	const KeySpec *keys;
} GroupSpec;

static const char *const pattern_names[] = { "sequential", "round-robin", "random", NULL };
static const char *const on_failure_names[] = { "stop", "continue", "restart-guest", NULL };
static const char *const zone_names[] = { "movable", "normal", "auto", NULL };
static const char *const memdev_names[] = { "ram", "file", "memfd", NULL };
static const char *const action_names[] = { "plug", "offline-boot", NULL };
static const char *const hog_names[] = { "none", "unmovable", NULL };
static const char *const ptdump_names[] = { "none", "summary", NULL };
static const char *const level_names[] = { "full", "light", NULL };
static const char *const inject_names[] = { "none", "warn", "panic", "hang", NULL };
static const char *const stressor_kind_names[] = { "vmalloc-module", "vmalloc-churn", "ptdump", "memory-pressure",
						   "command", NULL };
static const char *const stressor_phase_names[] = { "always", "remove", NULL };

#define S(f) offsetof(MhpScenario, f)
#define C(f) offsetof(MhpCase, f)
#define T(f) offsetof(MhpStressor, f)

static const KeySpec scenario_keys[] = {
	{ "name", T_STR, S(name), 0, 0, NULL, "a name for reports" },
	{ "description", T_STR, S(description), 0, 0, NULL, "free text" },
	{ "cycles", T_UINT, S(cycles), 0, 100000000, NULL, "DIMM cycles; 0 means bounded by duration" },
	{ "duration", T_DURATION, S(duration_ms), 0, 30ull * 86400 * 1000, NULL, "wall-clock bound" },
	{ "seed", T_UINT, S(seed), 0, G_MAXUINT64, NULL, "random seed; 0 picks one" },
	{ "pattern", T_ENUM, S(pattern), 0, 0, pattern_names, "plug order" },
	{ "on-failure", T_ENUM, S(on_failure), 0, 0, on_failure_names, "policy on a failed cycle" },
	{ NULL },
};

static const KeySpec guest_keys[] = {
	{ "cpus", T_UINT, S(guest.cpus), 1, 64, NULL, "vCPUs" },
	{ "memory", T_SIZE, S(guest.memory), 256 * MiB, 64 * GiB, NULL, "boot memory" },
	{ "slots", T_UINT, S(guest.slots), 1, 256, NULL, "DIMM slots" },
	{ "maxmem", T_SIZE, S(guest.maxmem), 256 * MiB, 1024 * GiB, NULL, "boot memory plus every DIMM" },
	{ "kernel", T_PATH, S(guest.kernel), 0, 0, NULL, "Image; default: tools/build-kernel" },
	{ "initrd", T_PATH, S(guest.initrd), 0, 0, NULL, "initramfs; default: tools/build-guest" },
	{ "append", T_STR, S(guest.append), 0, 0, NULL, "extra kernel command line" },
	{ "firmware", T_PATH, S(guest.firmware), 0, 0, NULL, "UEFI firmware" },
	{ "machine", T_STR, S(guest.machine), 0, 0, NULL, "-M value" },
	{ "cpu", T_STR, S(guest.cpu), 0, 0, NULL, "-cpu value" },
	{ "qemu", T_STR, S(guest.qemu), 0, 0, NULL, "QEMU binary" },
	{ "extra-args", T_STRV, S(guest.extra_args), 0, 0, NULL, "more QEMU arguments, ';'-separated" },
	{ "reboot", T_BOOL, S(guest.reboot), 0, 0, NULL, "let the guest reboot (no -no-reboot)" },
	{ "boot-timeout", T_DURATION, S(guest.boot_timeout_ms), 1000, 3600 * 1000, NULL, "until the agent answers" },
	{ NULL },
};

static const KeySpec dimm_keys[] = {
	{ "sizes", T_SIZES, S(dimm.sizes), 0, 0, NULL, "DIMM sizes, ';'-separated" },
	{ "zones", T_ZONES, S(dimm.zones), 0, 0, zone_names, "online zones: movable, normal, auto" },
	{ "backend", T_ENUM, S(dimm.backend), 0, 0, memdev_names, "memory backend" },
	{ "backend-path", T_PATH, S(dimm.backend_path), 0, 0, NULL, "directory for backend=file" },
	{ "offline", T_BOOL, S(dimm.offline), 0, 0, NULL, "offline before unplug" },
	{ "hold", T_DURATION, S(dimm.hold_ms), 0, 3600 * 1000, NULL, "time plugged and online" },
	{ "concurrent", T_UINT, S(dimm.concurrent), 1, 256, NULL, "DIMMs plugged at once" },
	{ NULL },
};

static const KeySpec verify_keys[] = {
	{ "ptdump", T_ENUM, S(verify.ptdump), 0, 0, ptdump_names, "ptdump in snapshots" },
	{ "level", T_ENUM, S(verify.light), 0, 0, level_names, "full snapshots, or race mode's light checks" },
	{ "full-every", T_UINT, S(verify.full_every), 0, 100000000, NULL, "with level = light: every Nth cycle full" },
	{ "drop-caches", T_BOOL, S(verify.drop_caches), 0, 0, NULL, "drop caches before snapshots" },
	{ "struct-page-size", T_UINT, S(verify.struct_page_size), 16, 1024, NULL, "bytes per struct page" },
	{ "page-tables-band", T_SIZE, S(verify.page_tables_band), 0, 64 * GiB, NULL, "PageTables noise allowed" },
	{ "nr-page-table-pages-band", T_UINT, S(verify.nr_page_table_pages_band), 0, 1u << 30, NULL,
	  "nr_page_table_pages noise allowed" },
	{ "memfree-band", T_SIZE, S(verify.memfree_band), 0, 1024 * GiB, NULL, "MemFree noise allowed" },
	{ NULL },
};

static const KeySpec timeout_keys[] = {
	{ "add", T_DURATION, S(timeouts.add_ms), 100, 600000, NULL, "device_add to insert OST" },
	{ "blocks", T_DURATION, S(timeouts.blocks_ms), 100, 600000, NULL, "OST to blocks in the guest" },
	{ "online", T_DURATION, S(timeouts.online_ms), 100, 3600000, NULL, "online of one DIMM" },
	{ "offline", T_DURATION, S(timeouts.offline_ms), 100, 3600000, NULL, "offline of one DIMM" },
	{ "unplug", T_DURATION, S(timeouts.unplug_ms), 100, 600000, NULL, "device_del to DEVICE_DELETED" },
	{ "eject", T_DURATION, S(timeouts.eject_ms), 100, 600000, NULL, "DEVICE_DELETED to the final OST" },
	{ "agent", T_DURATION, S(timeouts.agent_ms), 100, 600000, NULL, "any other agent request" },
	{ "hang", T_DURATION, S(timeouts.hang_ms), 1000, 3600000, NULL, "no heartbeat and a silent console" },
	{ NULL },
};

static const KeySpec evidence_keys[] = {
	{ "vmcore", T_BOOL, S(evidence.vmcore), 0, 0, NULL, "dump-guest-memory on the first failure" },
	{ "pause", T_BOOL, S(evidence.pause), 0, 0, NULL, "keep the VM paused after the first failure" },
	{ NULL },
};

static const KeySpec stressor_keys[] = {
	{ "kind", T_ENUM, T(kind), 0, 0, stressor_kind_names, "what it runs" },
	{ "phase", T_ENUM, T(phase), 0, 0, stressor_phase_names, "always, or only around removals" },
	{ "cpu", T_UINT, T(cpu), 0, 63, NULL, "pin to this CPU" },
	{ "rate", T_UINT, T(rate), 0, 100000, NULL, "operations per second; 0 is as fast as it goes" },
	{ "bytes", T_SIZE, T(bytes), 4096, 16 * GiB, NULL, "memory-pressure: fill per round" },
	{ "threads", T_UINT, T(threads), 1, 64, NULL, "vmalloc-module: nr_threads" },
	{ "mask", T_UINT, T(mask), 1, 0xffff, NULL, "vmalloc-module: run_test_mask" },
	{ "repeat", T_UINT, T(repeat), 1, 1000, NULL, "vmalloc-module: test_repeat_count" },
	{ "loops", T_UINT, T(loops), 0, 10000000, NULL, "vmalloc-module: test_loop_count (0: the module's 1000000)" },
	{ "pages", T_UINT, T(pages), 0, 262144, NULL, "vmalloc-module: nr_pages of fix_size_alloc_test (0: 1)" },
	{ "huge", T_BOOL, T(huge), 0, 0, NULL, "vmalloc-module: use_huge, vmalloc_huge in fix_size_alloc_test" },
	{ "readers", T_UINT, T(readers), 1, 64, NULL, "ptdump: walker processes" },
	{ "efi", T_BOOL, T(efi), 0, 0, NULL, "ptdump: read efi_page_tables too" },
	{ "argv", T_STRV, T(argv), 0, 0, NULL, "command: the program and its arguments, ';'-separated" },
	{ NULL },
};

static const KeySpec case_keys[] = {
	{ "action", T_ENUM, C(action), 0, 0, action_names, "what the case does" },
	{ "size", T_SIZE, C(size), 1 * MiB, 64 * GiB, NULL, "DIMM size (may be misaligned)" },
	{ "zone", T_ENUM, C(zone), 0, 0, zone_names, "online zone" },
	{ "offline", T_BOOL, C(offline), 0, 0, NULL, "offline before unplug" },
	{ "hog", T_ENUM, C(hog), 0, 0, hog_names, "fill the DIMM before unplug" },
	{ "expect", T_CLASS, C(expect), 0, 0, NULL, "the class this case must end in (failclass.h)" },
	{ "expect-errno", T_ERRNOS, C(expect_errno), 0, 0, NULL, "errnos accepted, e.g. EBUSY;EINVAL" },
	{ "inject", T_ENUM, C(inject), 0, 0, inject_names, "make the kernel fail while the DIMM is online" },
	{ "hostile", T_ENUM, C(hostile), 0, 0, hostile_case_names,
	  "test-only: the agent (started with --hostile) breaks the protocol in this cycle" },
	{ NULL },
};

static const GroupSpec groups[] = {
	{ "scenario", scenario_keys }, { "guest", guest_keys }, { "dimm", dimm_keys },
	{ "verify", verify_keys }, { "timeouts", timeout_keys }, { "evidence", evidence_keys },
};

static void stressor_free(gpointer p)
{
	MhpStressor *t = p;

	g_free(t->name);
	g_strfreev(t->argv);
	g_free(t);
}

static void case_free(gpointer p)
{
	MhpCase *c = p;

	g_free(c->name);
	if (c->expect_errno)
		g_array_free(c->expect_errno, TRUE);
	g_free(c);
}

void mhp_scenario_free(MhpScenario *s)
{
	if (!s)
		return;
	g_free(s->path);
	g_free(s->text);
	g_free(s->name);
	g_free(s->description);
	g_free(s->guest.kernel);
	g_free(s->guest.initrd);
	g_free(s->guest.append);
	g_free(s->guest.firmware);
	g_free(s->guest.machine);
	g_free(s->guest.cpu);
	g_free(s->guest.qemu);
	g_strfreev(s->guest.extra_args);
	if (s->dimm.sizes)
		g_array_free(s->dimm.sizes, TRUE);
	if (s->dimm.zones)
		g_array_free(s->dimm.zones, TRUE);
	g_free(s->dimm.backend_path);
	if (s->cases)
		g_ptr_array_free(s->cases, TRUE);
	if (s->stressors)
		g_ptr_array_free(s->stressors, TRUE);
	g_free(s);
}

static MhpScenario *scenario_defaults(const char *path)
{
	MhpScenario *s = g_new0(MhpScenario, 1);
	guint64 size = 512 * MiB;
	int zone = MHP_ZONE_MOVABLE;
	g_autofree char *base = g_path_get_basename(path);
	char *dot = strrchr(base, '.');

	if (dot)
		*dot = '\0';
	s->path = g_strdup(path);
	s->name = g_strdup(base);
	s->cycles = 5;
	s->pattern = MHP_PATTERN_SEQUENTIAL;
	s->on_failure = MHP_ON_FAILURE_STOP;
	s->guest.cpus = 2;
	s->guest.memory = 1 * GiB;
	s->guest.slots = 8;
	s->guest.maxmem = 8 * GiB;
	s->guest.firmware = g_strdup(MHP_SCENARIO_DEFAULT_FIRMWARE);
	s->guest.machine = g_strdup("virt,gic-version=3");
	s->guest.cpu = g_strdup("max,pauth-impdef=on");
	s->guest.qemu = g_strdup("qemu-system-aarch64");
	s->guest.append = g_strdup("");
	s->guest.extra_args = g_new0(char *, 1);
	s->guest.boot_timeout_ms = 120000;
	s->dimm.sizes = g_array_new(FALSE, FALSE, sizeof(guint64));
	g_array_append_val(s->dimm.sizes, size);
	s->dimm.zones = g_array_new(FALSE, FALSE, sizeof(int));
	g_array_append_val(s->dimm.zones, zone);
	s->dimm.backend = MHP_MEMDEV_RAM;
	s->dimm.offline = TRUE;
	s->dimm.concurrent = 1;
	s->verify.ptdump = TRUE;
	s->verify.drop_caches = TRUE; /* MemFree is only comparable without caches */
	s->verify.struct_page_size = 64;
	s->verify.page_tables_band = 512 * KiB;
	s->verify.nr_page_table_pages_band = 128;
	s->verify.memfree_band = 64 * MiB;
	s->timeouts.add_ms = 10000;
	s->timeouts.blocks_ms = 10000;
	s->timeouts.online_ms = 60000;
	s->timeouts.offline_ms = 120000;
	s->timeouts.unplug_ms = 15000;
	s->timeouts.eject_ms = 10000;
	s->timeouts.agent_ms = 30000;
	s->timeouts.hang_ms = 30000;
	s->cases = g_ptr_array_new_with_free_func(case_free);
	s->stressors = g_ptr_array_new_with_free_func(stressor_free);
	return s;
}

/* An error on @group's @key, or on the group with @key NULL: validate() and the loaders have @ix and @error. */
#define FAIL(code, group, key, ...) \
	mhp_scenario_fail(ix, error, MHP_SCENARIO_ERROR_##code, group, key, __VA_ARGS__)

/* What single keys cannot say: how they fit together. */
static gboolean validate(const MhpScenarioIndex *ix, MhpScenario *s, GError **error)
{
	guint64 largest = 0, room;

	if (s->guest.maxmem <= s->guest.memory)
		return FAIL(LIMIT, "guest", "maxmem", "must be larger than memory, to leave room for DIMMs");
	room = s->guest.maxmem - s->guest.memory;
	for (guint i = 0; i < s->dimm.sizes->len; i++) {
		guint64 sz = g_array_index(s->dimm.sizes, guint64, i);
		if (sz % DEFAULT_BLOCK_SIZE) {
			g_autofree char *t = mhp_format_size(sz);
			return FAIL(VALUE, "dimm", "sizes", "%s is not a multiple of the 128M memory block size", t);
		}
		largest = MAX(largest, sz);
	}
	if (s->dimm.concurrent > s->guest.slots)
		return FAIL(LIMIT, "dimm", "concurrent", "%u DIMMs at once do not fit in %u slots ([guest] slots)",
			    s->dimm.concurrent, s->guest.slots);
	if (largest * s->dimm.concurrent > room) {
		g_autofree char *need = mhp_format_size(largest * s->dimm.concurrent);
		g_autofree char *have = mhp_format_size(room);
		return FAIL(LIMIT, "dimm", s->dimm.concurrent > 1 ? "concurrent" : "sizes",
			    "up to %s plugged at once exceeds maxmem - memory = %s", need, have);
	}
	if (s->dimm.backend == MHP_MEMDEV_FILE && !s->dimm.backend_path)
		return FAIL(VALUE, "dimm", "backend", "backend = file needs backend-path = DIR");
	if (s->pattern != MHP_PATTERN_ROUND_ROBIN && s->dimm.concurrent > 1 && s->pattern != MHP_PATTERN_RANDOM)
		return FAIL(VALUE, "dimm", "concurrent", "concurrent > 1 needs pattern = round-robin or random");
	if (!s->cycles && !s->duration_ms && !s->cases->len)
		return FAIL(VALUE, "scenario", "cycles", "cycles = 0 needs a duration, or the run never ends");
	for (guint i = 0; i < s->cases->len; i++) {
		MhpCase *c = g_ptr_array_index(s->cases, i);
		g_autofree char *group = g_strdup_printf("case %s", c->name);

		if (c->size > room) {
			g_autofree char *have = mhp_format_size(room);
			return FAIL(LIMIT, group, "size", "exceeds maxmem - memory = %s", have);
		}
		if (c->action == MHP_CASE_PLUG && c->size % DEFAULT_BLOCK_SIZE && c->expect != MHP_FAIL_ADD_NOT_SEEN)
			return FAIL(VALUE, group, "size",
				    "not a multiple of the 128M block size; only a case that expects add-not-seen may be");
		if (c->expect == _MHP_FAIL_INVALID)
			return FAIL(VALUE, group, NULL, "a case needs 'expect'");
		if (c->hostile != HOSTILE_NONE && (c->inject != MHP_INJECT_NONE || c->action != MHP_CASE_PLUG))
			return FAIL(VALUE, group, "hostile", "cannot be combined with inject or action = offline-boot");
	}
	return TRUE;
}

/* A [case NAME] group, @g; its defaults are the scenario's. */
static gboolean load_case(const MhpScenarioIndex *ix, GKeyFile *kf, const char *g, MhpScenario *s, GError **error)
{
	MhpCase *c = g_new0(MhpCase, 1);

	c->name = g_strdup(g + strlen("case "));
	c->line = mhp_scenario_index_line(ix, g, NULL);
	c->action = MHP_CASE_PLUG;
	c->size = g_array_index(s->dimm.sizes, guint64, 0);
	c->zone = MHP_ZONE_MOVABLE;
	c->offline = TRUE;
	c->expect = _MHP_FAIL_INVALID; /* required */
	c->expect_errno = g_array_new(FALSE, FALSE, sizeof(int));
	g_ptr_array_add(s->cases, c);
	if (s->cases->len > MAX_CASES)
		return FAIL(LIMIT, g, NULL, "more than %d cases", MAX_CASES);
	return mhp_scenario_parse_group(ix, kf, g, case_keys, c, error);
}

/* A [stressor NAME] group, @g. */
static gboolean load_stressor(const MhpScenarioIndex *ix, GKeyFile *kf, const char *g, MhpScenario *s,
			      GError **error)
{
	static const char name_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
	MhpStressor *t = g_new0(MhpStressor, 1);

	t->name = g_strdup(g + strlen("stressor "));
	t->cpu = -1;
	t->bytes = 64 * MiB;
	t->threads = 2;
	t->mask = 7;
	t->repeat = 1;
	t->readers = 1;
	g_ptr_array_add(s->stressors, t);
	if (s->stressors->len > MAX_STRESSORS)
		return FAIL(LIMIT, g, NULL, "more than %d stressors", MAX_STRESSORS);
	if (strlen(t->name) > 63 || strspn(t->name, name_chars) != strlen(t->name))
		return FAIL(VALUE, g, NULL, "a stressor name is 1 to 63 letters, digits, '-' or '_'");
	if (!g_key_file_has_key(kf, g, "kind", NULL))
		return FAIL(VALUE, g, NULL, "a stressor needs 'kind'");
	if (!mhp_scenario_parse_group(ix, kf, g, stressor_keys, t, error))
		return FALSE;
	if (t->kind == MHP_STRESSOR_COMMAND && (!t->argv || !t->argv[0] || t->argv[0][0] != '/'))
		return FAIL(VALUE, g, "argv", "a command stressor needs argv, starting with an absolute path");
	return TRUE;
}

static gboolean load_group(const MhpScenarioIndex *ix, GKeyFile *kf, const char *g, MhpScenario *s,
			   GError **error)
{
	for (gsize j = 0; j < G_N_ELEMENTS(groups); j++)
		if (strcmp(groups[j].group, g) == 0)
			return mhp_scenario_parse_group(ix, kf, g, groups[j].keys, s, error);
	if (g_str_has_prefix(g, "case ") && g[5])
		return load_case(ix, kf, g, s, error);
	if (g_str_has_prefix(g, "stressor ") && g[9])
		return load_stressor(ix, kf, g, s, error);
	return FAIL(UNKNOWN, g, NULL,
		    "unknown group; known: [scenario], [guest], [dimm], [verify], [timeouts], [evidence], [case NAME], "
		    "[stressor NAME]");
}

static gboolean load_index(const MhpScenarioIndex *ix, const char *text, MhpScenario *s, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) e = NULL;
	g_auto(GStrv) present = NULL;

	if (!g_key_file_load_from_data(kf, text, (gsize)-1, G_KEY_FILE_NONE, &e))
		return FAIL(SYNTAX, NULL, NULL, "%s", e->message);
	present = g_key_file_get_groups(kf, NULL);
	for (guint i = 0; present[i]; i++)
		if (!load_group(ix, kf, present[i], s, error))
			return FALSE;
	return validate(ix, s, error);
}

MhpScenario *mhp_scenario_load_data(const char *path, const char *text, GError **error)
{
	g_autoptr(MhpScenario) s = scenario_defaults(path);
	MhpScenarioIndex ix = { .path = path };
	gboolean ok;

	if (!g_utf8_validate(text, -1, NULL)) {
		g_set_error(error, MHP_SCENARIO_ERROR, MHP_SCENARIO_ERROR_SYNTAX, "%s: not UTF-8 text", path);
		return NULL;
	}
	ok = mhp_scenario_index_build(&ix, text, error) && load_index(&ix, text, s, error);
	mhp_scenario_index_clear(&ix);
	if (!ok)
		return NULL;
	s->text = g_strdup(text);
	return g_steal_pointer(&s);
}

MhpScenario *mhp_scenario_load(const char *path, GError **error)
{
	g_autofree char *text = NULL;
	gsize len;

	if (!g_file_get_contents(path, &text, &len, error)) {
		g_prefix_error(error, "scenario: ");
		return NULL;
	}
	if (len > MAX_FILE_BYTES) {
		g_set_error(error, MHP_SCENARIO_ERROR, MHP_SCENARIO_ERROR_LIMIT, "%s: larger than 1 MiB", path);
		return NULL;
	}
	if (memchr(text, '\0', len)) {
		g_set_error(error, MHP_SCENARIO_ERROR, MHP_SCENARIO_ERROR_SYNTAX, "%s: contains a NUL byte", path);
		return NULL;
	}
	return mhp_scenario_load_data(path, text, error);
}

gboolean mhp_scenario_check_guest(const MhpScenario *s, guint64 block_size, GError **error)
{
	for (guint i = 0; i < s->dimm.sizes->len; i++) {
		guint64 sz = g_array_index(s->dimm.sizes, guint64, i);
		if (block_size && sz % block_size) {
			g_autofree char *a = mhp_format_size(sz), *b = mhp_format_size(block_size);
			g_set_error(error, MHP_SCENARIO_ERROR, MHP_SCENARIO_ERROR_VALUE,
				    "%s: [dimm] sizes: %s is not a multiple of the guest's block size %s", s->path, a, b);
			return FALSE;
		}
	}
	return TRUE;
}

const char *mhp_zone_state(MhpZone z)
{
	switch (z) {
	case MHP_ZONE_MOVABLE: return "online_movable";
	case MHP_ZONE_NORMAL: return "online_kernel";
	case MHP_ZONE_AUTO: return "online";
	}
	return "online";
}

const char *mhp_stressor_kind_name(MhpStressorKind k)
{
	return stressor_kind_names[k];
}

const char *mhp_inject_name(MhpInject i)
{
	return inject_names[i];
}

const char *mhp_zone_name(MhpZone z)
{
	return zone_names[z];
}

const char *mhp_pattern_name(MhpPattern p)
{
	return pattern_names[p];
}

const char *mhp_on_failure_name(MhpOnFailure f)
{
	return on_failure_names[f];
}

struct json_object *mhp_scenario_to_json(const MhpScenario *s)
{
	struct json_object *o = json_object_new_object(), *g = json_object_new_object(),
			   *d = json_object_new_object(), *sizes = json_object_new_array(),
			   *zones = json_object_new_array(), *cases = json_object_new_array();

	json_object_object_add(o, "path", json_object_new_string(s->path));
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "cycles", json_object_new_int64((int64_t)s->cycles));
	json_object_object_add(o, "duration_ms", json_object_new_int64((int64_t)s->duration_ms));
	json_object_object_add(o, "pattern", json_object_new_string(mhp_pattern_name(s->pattern)));
	json_object_object_add(o, "on_failure", json_object_new_string(mhp_on_failure_name(s->on_failure)));
	json_object_object_add(g, "cpus", json_object_new_int((int)s->guest.cpus));
	json_object_object_add(g, "memory", json_object_new_int64((int64_t)s->guest.memory));
	json_object_object_add(g, "slots", json_object_new_int((int)s->guest.slots));
	json_object_object_add(g, "maxmem", json_object_new_int64((int64_t)s->guest.maxmem));
	json_object_object_add(o, "guest", g);
	for (guint i = 0; i < s->dimm.sizes->len; i++)
		json_object_array_add(sizes, json_object_new_int64((int64_t)g_array_index(s->dimm.sizes, guint64, i)));
	for (guint i = 0; i < s->dimm.zones->len; i++)
		json_object_array_add(zones, json_object_new_string(mhp_zone_name(g_array_index(s->dimm.zones, int, i))));
	json_object_object_add(d, "sizes", sizes);
	json_object_object_add(d, "zones", zones);
	json_object_object_add(d, "backend", json_object_new_string(memdev_names[s->dimm.backend]));
	json_object_object_add(d, "offline", json_object_new_boolean(s->dimm.offline));
	json_object_object_add(d, "hold_ms", json_object_new_int64((int64_t)s->dimm.hold_ms));
	json_object_object_add(d, "concurrent", json_object_new_int((int)s->dimm.concurrent));
	json_object_object_add(o, "dimm", d);
	for (guint i = 0; i < s->cases->len; i++) {
		MhpCase *c = g_ptr_array_index(s->cases, i);
		struct json_object *co = json_object_new_object();
		json_object_object_add(co, "name", json_object_new_string(c->name));
		json_object_object_add(co, "action", json_object_new_string(action_names[c->action]));
		json_object_object_add(co, "expect", json_object_new_string(mhp_fail_class_to_string(c->expect)));
		if (c->hostile != HOSTILE_NONE)
			json_object_object_add(co, "hostile", json_object_new_string(hostile_case_names[c->hostile]));
		json_object_array_add(cases, co);
	}
	json_object_object_add(o, "cases", cases);
	json_object_object_add(o, "text", json_object_new_string(s->text ? s->text : ""));
	return o;
}
