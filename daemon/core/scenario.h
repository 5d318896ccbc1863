/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * scenario.h - scenario files (GKeyFile .ini): parse, validate, describe.
 */
#ifndef MHP_SCENARIO_H
#define MHP_SCENARIO_H

#include <glib.h>
#include <json-c/json.h>

#include "failclass.h"
#include "hostile.h"

#define MHP_SCENARIO_ERROR (mhp_scenario_error_quark())

/* The UEFI firmware a scenario boots unless it names one (Debian qemu-efi-aarch64). */
#define MHP_SCENARIO_DEFAULT_FIRMWARE "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd"

GQuark mhp_scenario_error_quark(void);

typedef enum {
	MHP_SCENARIO_ERROR_SYNTAX,
	MHP_SCENARIO_ERROR_UNKNOWN,
	MHP_SCENARIO_ERROR_VALUE,
	MHP_SCENARIO_ERROR_LIMIT,
} MhpScenarioError;

typedef enum {
	MHP_PATTERN_SEQUENTIAL,  /* one DIMM at a time, sizes and zones in order */
	MHP_PATTERN_ROUND_ROBIN, /* 'concurrent' DIMMs across slots, oldest out first */
	MHP_PATTERN_RANDOM,      /* sizes, zones and unplug order from the seed */
} MhpPattern;

typedef enum {
	MHP_ON_FAILURE_STOP,
	MHP_ON_FAILURE_CONTINUE,
	MHP_ON_FAILURE_RESTART_GUEST,
} MhpOnFailure;

typedef enum {
	MHP_ZONE_MOVABLE, /* online_movable */
	MHP_ZONE_NORMAL,  /* online_kernel */
	MHP_ZONE_AUTO,    /* online: the kernel picks */
} MhpZone;

typedef enum {
	MHP_MEMDEV_RAM,
	MHP_MEMDEV_FILE,
	MHP_MEMDEV_MEMFD,
} MhpMemdev;

typedef enum {
	MHP_CASE_PLUG,         /* a normal cycle with the case's settings */
	MHP_CASE_OFFLINE_BOOT, /* try to offline a boot memory block */
} MhpCaseAction;

typedef enum {
	MHP_HOG_NONE,
	MHP_HOG_UNMOVABLE, /* fill the DIMM with unmovable kernel pages before unplug */
} MhpHog;

typedef enum {
	MHP_INJECT_NONE,
	MHP_INJECT_WARN,
	MHP_INJECT_PANIC,
	MHP_INJECT_HANG,
} MhpInject;

typedef enum {
	MHP_STRESSOR_VMALLOC_MODULE,
	MHP_STRESSOR_VMALLOC_CHURN,
	MHP_STRESSOR_PTDUMP,
	MHP_STRESSOR_MEMORY_PRESSURE,
	MHP_STRESSOR_COMMAND,
} MhpStressorKind;

typedef enum {
	MHP_STRESSOR_ALWAYS, /* from the baseline to the end */
	MHP_STRESSOR_REMOVE, /* around each removal: offline to blocks gone */
} MhpStressorPhase;

typedef struct {
	char *name;
	MhpStressorKind kind;
	MhpStressorPhase phase;
	gint cpu;          /* -1: any */
	guint rate;        /* Hz; 0: as fast as it goes */
	guint64 bytes;     /* memory-pressure */
	guint threads, mask, repeat; /* vmalloc-module */
	guint loops, pages;          /* vmalloc-module: test_loop_count, nr_pages (0: the module's) */
	gboolean huge;               /* vmalloc-module: use_huge */
	guint readers;     /* ptdump: walker processes */
	gboolean efi;      /* ptdump: efi_page_tables too */
	char **argv;       /* command */
} MhpStressor;

typedef struct {
	char *name;
	guint line;
	MhpCaseAction action;
	MhpInject inject;  /* while the DIMM is online */
	enum hostile_case_id hostile; /* test-only: armed before the plug (hostile.h) */
	guint64 size;
	MhpZone zone;
	gboolean offline;
	MhpHog hog;
	MhpFailClass expect;   /* MHP_FAIL_NONE: "pass" */
	GArray *expect_errno;  /* int errnos accepted for offline-failed, may be empty */
} MhpCase;

typedef struct {
	char *path;  /* the file, for messages */
	char *text;  /* the file's text, copied into run.json */

	char *name;
	char *description;
	guint64 cycles;   /* 0: bounded by duration */
	guint64 duration_ms;
	guint64 seed;     /* 0: pick one at run time */
	MhpPattern pattern;
	MhpOnFailure on_failure;

	struct {
		guint cpus;
		guint64 memory;
		guint slots;
		guint64 maxmem;
		char *kernel;
		char *initrd;
		char *append;
		char *firmware;
		char *machine;
		char *cpu;
		char *qemu;
		char **extra_args;
		gboolean reboot;
		guint64 boot_timeout_ms;
	} guest;

	struct {
		GArray *sizes;  /* guint64 bytes */
		GArray *zones;  /* MhpZone */
		MhpMemdev backend;
		char *backend_path;
		gboolean offline;
		guint64 hold_ms;
		guint concurrent;
	} dimm;

	struct {
		gboolean ptdump;
		gboolean light;     /* level = light: race mode (engine verify.c) */
		guint full_every;   /* with light: every Nth cycle is verified fully */
		gboolean drop_caches;
		guint struct_page_size;
		guint64 page_tables_band;   /* bytes */
		guint nr_page_table_pages_band;
		guint64 memfree_band;       /* bytes */
	} verify;

	struct {
		guint64 add_ms, blocks_ms, online_ms, offline_ms, unplug_ms, eject_ms, agent_ms, hang_ms;
	} timeouts;

	struct {
		gboolean vmcore;  /* dump-guest-memory on the first failure */
		gboolean pause;   /* keep the VM paused after the first failure (for gdb) */
	} evidence;

	GPtrArray *stressors; /* MhpStressor */

	GPtrArray *cases; /* MhpCase */
} MhpScenario;

/**
 * mhp_scenario_load() - read and validate a scenario file.
 * @path: the file
 * @error: on failure, "FILE:LINE: [group] key: what is wrong"
 *
 * Everything that can be checked before boot is checked here: syntax,
 * unknown groups and keys, value types and ranges, sizes against the
 * default 128M block size, concurrent <= slots, plugged total <= maxmem -
 * memory. mhp_scenario_check_guest() re-checks with the guest's block size.
 *
 * Return: the scenario, or NULL.
 */
MhpScenario *mhp_scenario_load(const char *path, GError **error);
MhpScenario *mhp_scenario_load_data(const char *path, const char *text, GError **error);
void mhp_scenario_free(MhpScenario *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MhpScenario, mhp_scenario_free)

/* After hello: every DIMM size must be a multiple of the guest's block size. */
gboolean mhp_scenario_check_guest(const MhpScenario *s, guint64 block_size, GError **error);

/* Values as recorded in run.json. */
struct json_object *mhp_scenario_to_json(const MhpScenario *s);

const char *mhp_zone_state(MhpZone z);     /* "online_movable", ... */
const char *mhp_stressor_kind_name(MhpStressorKind k);
const char *mhp_inject_name(MhpInject i);
const char *mhp_zone_name(MhpZone z);      /* "movable", ... */
const char *mhp_pattern_name(MhpPattern p);
const char *mhp_on_failure_name(MhpOnFailure f);

/* "512M", "1G", "4096": bytes. */
gboolean mhp_parse_size(const char *text, guint64 *ret);
/* "500ms", "30s", "10m", "8h", "2d", "45": milliseconds (plain numbers are seconds). */
gboolean mhp_parse_duration(const char *text, guint64 *ret);
char *mhp_format_size(guint64 bytes);

#endif
