/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oops.h - read a kernel failure report out of console text: a one-line
 * title in syzbot's style, the report's own lines, and a signature that
 * tells two failures apart.
 */
#ifndef MHP_OOPS_H
#define MHP_OOPS_H

#include <glib.h>

#include "failclass.h"

/* The most lines a report excerpt holds (an oops with its trace is ~60). */
#define MHP_OOPS_EXCERPT_LINES 200

/**
 * mhp_oops_line_text() - a console line without its printk time stamp.
 * @line: "[   12.345678] text" or "text"
 *
 * Return: a pointer into @line.
 */
const char *mhp_oops_line_text(const char *line);

/**
 * mhp_oops_title() - the title of the first kernel failure report in @text.
 * @text: console or kernel log lines (untrusted: any bytes)
 *
 * In syzbot's words: "BUG: unable to handle kernel NULL pointer dereference
 * in zone_statistics", "WARNING in ptdump_pte_entry", "kernel BUG in
 * __remove_pages", "kernel panic: sysrq triggered crash". The function is
 * the report's own (the WARNING line's) or the faulting "pc : " one.
 *
 * Return: the title (at most 200 bytes, valid UTF-8), or NULL when @text
 * holds no report.
 */
char *mhp_oops_title(const char *text);

/**
 * mhp_oops_excerpt() - the lines of the first report in @text, printk time
 * stamps removed: from its first line ("------------[ cut here ]" or the
 * header) to "---[ end trace" (and a panic that follows it to "---[ end
 * Kernel panic"), at most MHP_OOPS_EXCERPT_LINES.
 *
 * Return: the lines, each ending in "\n", or NULL when there is no report.
 */
char *mhp_oops_excerpt(const char *text);

/**
 * mhp_oops_signature() - what tells one failure from another: the class and
 * @detail with its numbers masked ("WARNING: CPU: # PID: # at mm/x.c:# f+#/#"),
 * so the same bug on another CPU, address or cycle is the same signature.
 */
char *mhp_oops_signature(MhpFailClass cls, const char *detail);

#endif
