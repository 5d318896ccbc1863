// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * oops.c - a kernel failure report read out of console text, named the way
 * syzbot names its reports (syzkaller's pkg/report/linux.go), so that a
 * title found here can be searched for on lore and the syzbot dashboard.
 */
#include <string.h>

#include "oops.h"

#define TITLE_MAX 200
/* how far after the header the "pc : " line may be (registers come first) */
#define PC_LOOKAHEAD 40

const char *mhp_oops_line_text(const char *line)
{
	const char *p = line;

	if (*p != '[')
		return line;
	for (p++; *p == ' ' || g_ascii_isdigit(*p) || *p == '.'; p++)
		;
	if (*p != ']')
		return line;
	p++;
	return *p == ' ' ? p + 1 : p;
}

/* The console's lines, time stamps removed, each valid UTF-8. */
static GPtrArray *split_lines(const char *text)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) raw = g_strsplit(text, "\n", -1);

	for (char **l = raw; *l; l++) {
		gsize n = strlen(*l);

		if (n && (*l)[n - 1] == '\r')
			(*l)[n - 1] = '\0';
		g_ptr_array_add(lines, g_utf8_make_valid(mhp_oops_line_text(*l), -1));
	}
	return lines;
}

/* "zone_statistics" of "zone_statistics+0x14/0x90 ...", or NULL. */
static char *func_of(const char *frame)
{
	const char *plus = strstr(frame, "+0x");
	const char *start = plus;

	if (!plus)
		return NULL;
	while (start > frame && !g_ascii_isspace(start[-1]))
		start--;
	if (start == plus)
		return NULL;
	return g_strndup(start, (gsize)(plus - start));
}

/* The function of the first "pc : " line within PC_LOOKAHEAD lines after @i. */
static char *pc_func(GPtrArray *lines, guint i)
{
	for (guint j = i; j < lines->len && j < i + PC_LOOKAHEAD; j++) {
		const char *l = g_ptr_array_index(lines, j);

		if (g_str_has_prefix(l, "pc : "))
			return func_of(l + 5);
	}
	return NULL;
}

/* @title, and " in FUNC" when there is one. */
static char *with_func(const char *title, char *func)
{
	char *t = func && *func ? g_strdup_printf("%s in %s", title, func) : g_strdup(title);

	g_free(func);
	return t;
}

/* The header at line @i, or NULL when it is not one. */
static char *title_at(GPtrArray *lines, guint i)
{
	const char *l = g_ptr_array_index(lines, i), *p;
	static const char *const access[] = { "paging request", "NULL pointer dereference", "access to user memory" };

	if ((p = strstr(l, "Unable to handle kernel "))) {
		for (gsize k = 0; k < G_N_ELEMENTS(access); k++)
			if (g_str_has_prefix(p + 24, access[k])) {
				g_autofree char *t = g_strdup_printf("BUG: unable to handle kernel %s", access[k]);
				return with_func(t, pc_func(lines, i));
			}
		return with_func("BUG: unable to handle kernel", pc_func(lines, i));
	}
	if (g_str_has_prefix(l, "WARNING: ")) {
		/* "WARNING: CPU: 0 PID: 1 at mm/x.c:12 f+0x1c/0x90", or the
		 * newer "WARNING: mm/x.c:12 at f+0x1c/0x90, CPU#0: ..." */
		const char *at = strstr(l, " at ");
		char *f = at ? func_of(at + 4) : NULL;

		return with_func("WARNING", f ? f : pc_func(lines, i));
	}
	if (g_str_has_prefix(l, "kernel BUG at "))
		return with_func("kernel BUG", pc_func(lines, i));
	if ((p = strstr(l, "BUG: KASAN: ")))
		return g_strdup_printf("KASAN: %s", p + 12);
	if (strstr(l, "BUG: soft lockup"))
		return with_func("BUG: soft lockup", pc_func(lines, i));
	if (strstr(l, "detected stall") || strstr(l, "detected expedited stall"))
		return with_func("INFO: rcu detected stall", pc_func(lines, i));
	if (g_str_has_prefix(l, "INFO: task ") && strstr(l, " blocked for more than "))
		return g_strdup("INFO: task hung");
	if ((p = strstr(l, "BUG: Bad page state")))
		return g_strdup("BUG: Bad page state");
	if (g_str_has_prefix(l, "BUG: "))
		return with_func(l, pc_func(lines, i));
	if ((p = strstr(l, "Internal error: "))) {
		g_autofree char *what = g_strdup(p);
		char *colon = strchr(what + 16, ':');

		if (colon)
			*colon = '\0';
		return with_func(what, pc_func(lines, i));
	}
	if ((p = strstr(l, "Kernel panic - not syncing: "))) {
		g_autofree char *msg = g_strstrip(g_strdup(p + 28));

		return g_strdup_printf("kernel panic: %s", msg);
	}
	return NULL;
}

/* The first header's line, or -1. */
static int first_header(GPtrArray *lines, char **ret_title)
{
	for (guint i = 0; i < lines->len; i++) {
		char *t = title_at(lines, i);

		if (t) {
			*ret_title = t;
			return (int)i;
		}
	}
	return -1;
}

/* At most TITLE_MAX bytes, cut at a character's boundary. */
static char *bounded(char *title)
{
	if (strlen(title) > TITLE_MAX) {
		const char *end = g_utf8_find_prev_char(title, title + TITLE_MAX + 1);

		title[end - title] = '\0';
	}
	return title;
}

char *mhp_oops_title(const char *text)
{
	g_autoptr(GPtrArray) lines = split_lines(text ? text : "");
	char *title = NULL;

	if (first_header(lines, &title) < 0)
		return NULL;
	return bounded(title);
}

char *mhp_oops_excerpt(const char *text)
{
	g_autoptr(GPtrArray) lines = split_lines(text ? text : "");
	g_autofree char *title = NULL;
	GString *out;
	int first = first_header(lines, &title);
	guint end;

	if (first < 0)
		return NULL;
	/* a WARN or BUG starts at its "cut here" line */
	for (int k = first - 1; k >= 0 && k >= first - 2; k--)
		if (strstr(g_ptr_array_index(lines, k), "[ cut here ]"))
			first = k;
	end = MIN(lines->len, (guint)first + MHP_OOPS_EXCERPT_LINES);
	for (guint i = (guint)first; i < end; i++) {
		const char *l = g_ptr_array_index(lines, i);

		if (strstr(l, "---[ end Kernel panic")) {
			end = i + 1;
			break;
		}
		if (strstr(l, "---[ end trace")) {
			/* an oops that panics goes on to "---[ end Kernel panic" */
			gboolean panics = FALSE;

			for (guint j = i + 1; j < end && j < i + 4; j++)
				if (strstr(g_ptr_array_index(lines, j), "Kernel panic - not syncing"))
					panics = TRUE;
			if (!panics) {
				end = i + 1;
				break;
			}
		}
	}
	while (end > (guint)first && !*(const char *)g_ptr_array_index(lines, end - 1))
		end--;
	out = g_string_new(NULL);
	for (guint i = (guint)first; i < end; i++)
		g_string_append_printf(out, "%s\n", (const char *)g_ptr_array_index(lines, i));
	return g_string_free(out, FALSE);
}

char *mhp_oops_signature(MhpFailClass cls, const char *detail)
{
	GString *s = g_string_new(mhp_fail_class_to_string(cls));
	const char *p = detail ? detail : "", *base;

	/* the console and the kernel log report the same line */
	if (g_str_has_prefix(p, "console: "))
		p += 9;
	else if (g_str_has_prefix(p, "kernel: "))
		p += 8;
	p = base = mhp_oops_line_text(p);
	g_string_append_c(s, ' ');
	while (*p) {
		/* a line number (".c:123") stays: another line is another bug */
		gboolean line_no = p > base + 2 && p[-1] == ':' && (p[-2] == 'c' || p[-2] == 'h') && p[-3] == '.';

		if (g_str_has_prefix(p, "Comm: "))
			break; /* the task's name, and what follows it */
		if (line_no && g_ascii_isdigit(*p)) {
			while (g_ascii_isdigit(*p))
				g_string_append_c(s, *p++);
			continue;
		}
		if (g_ascii_isxdigit(*p) &&
		    (g_ascii_isdigit(*p) || (p > base && !g_ascii_isalnum(p[-1]) && p[-1] != '_'))) {
			const char *q = p;
			gboolean digit = FALSE;

			if (p[0] == '0' && p[1] == 'x')
				q += 2;
			while (g_ascii_isxdigit(*q))
				digit |= g_ascii_isdigit(*q++);
			if (digit && !g_ascii_isalpha(*q) && *q != '_') {
				g_string_append_c(s, '#');
				p = q;
				continue;
			}
			g_string_append_len(s, p, q - p);
			p = q;
			continue;
		}
		g_string_append_c(s, *p++);
	}
	return g_string_free(s, FALSE);
}
