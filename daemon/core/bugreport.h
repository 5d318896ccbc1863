/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bugreport.h - evidence/report.md: one failure, ready to paste into a mail
 * to a kernel list. A syzbot-style title, the kernel (source identity,
 * .config, compiler, the banner it booted with), QEMU and its command line,
 * the scenario, seed and replay command, and the trace decoded against the
 * kept vmlinux with the kernel's own scripts/decode_stacktrace.sh.
 */
#ifndef MHP_BUGREPORT_H
#define MHP_BUGREPORT_H

#include <glib.h>

#define MHP_EVIDENCE_REPORT "report.md"
#define MHP_EVIDENCE_KCONFIG "kernel.config"
/* Evidence is kept for this many distinct failures: evidence/, evidence-2/ ... */
#define MHP_EVIDENCE_MAX 8
/* decode_stacktrace.sh runs one addr2line per frame: seconds on a big vmlinux */
#define MHP_BUGREPORT_DECODE_TIMEOUT_S 120

typedef struct {
	const char *vmlinux; /* NULL: the one next to the run's kernel image */
	const char *srcdir;  /* NULL: the build-info's srcdir next to it */
	guint timeout_s;     /* 0: MHP_BUGREPORT_DECODE_TIMEOUT_S */
} MhpBugReportOptions;

/**
 * mhp_results_evidence_dirs() - a run's evidence directories, in the order
 * they were taken: evidence/, evidence-2/, ... (symbolic links left out).
 * Return: the paths (never NULL).
 */
GPtrArray *mhp_results_evidence_dirs(const char *results_dir);

/**
 * mhp_evidence_dir_name() - "evidence" for @n = 1, "evidence-@n" after it.
 */
char *mhp_evidence_dir_name(guint n);

/**
 * mhp_bugreport_write() - write @evidence_dir/report.md (and kernel.config).
 * @results_dir: the run
 * @evidence_dir: one of its evidence directories
 * @opts: NULL for the defaults
 * @error: set when report.md cannot be written; a trace that cannot be
 *         decoded is said in the report, not an error
 *
 * Synchronous: runs decode_stacktrace.sh for up to @opts->timeout_s.
 *
 * Return: TRUE when report.md was written.
 */
gboolean mhp_bugreport_write(const char *results_dir, const char *evidence_dir, const MhpBugReportOptions *opts,
			     GError **error);

/**
 * mhp_bugreport_title() - the title report.md gives this evidence: the
 * console's report named as syzbot would, or "mhpstress: CLASS in PHASE".
 */
char *mhp_bugreport_title(const char *evidence_dir);

#endif
