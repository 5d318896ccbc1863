// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report-html.c - the text pieces of report.html: escaping, numbers and
 * table rows. Everything a results directory holds may have been shaped
 * by the guest (a failure's detail quotes the kernel log, the evidence is
 * the guest's console), so every string goes through one escape.
 */
#include <math.h>
#include <string.h>

#include "report-private.h"
#include "results-report.h"

/* Characters shown as U+FFFD: controls, and the bidirectional overrides that could reorder what is shown. */
static gboolean hidden_char(gunichar c)
{
	return (c < 0x20 && c != '\n' && c != '\t') || (c >= 0x7f && c < 0xa0) || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069) || c == 0xfffe || c == 0xffff;
}

void mhp_report_escape(GString *out, const char *s, gssize len)
{
	g_autofree char *valid = g_utf8_make_valid(s ? s : "", s ? len : 0);

	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		switch (c) {
		case '&': g_string_append(out, "&amp;"); break;
		case '<': g_string_append(out, "&lt;"); break;
		case '>': g_string_append(out, "&gt;"); break;
		case '"': g_string_append(out, "&quot;"); break;
		case '\'': g_string_append(out, "&#39;"); break;
		default:
			if (hidden_char(c))
				g_string_append_unichar(out, 0xfffd);
			else
				g_string_append_len(out, p, g_utf8_next_char(p) - p);
		}
	}
}

char *mhp_html_escape(const char *s, gssize len)
{
	GString *out = g_string_new(NULL);

	mhp_report_escape(out, s, len);
	return g_string_free(out, FALSE);
}

/* Seven significant digits (1500000, not 1.5e+06), with a '.' whatever the locale (mhpstress calls setlocale()). */
void mhp_report_num(GString *out, double v)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	if (!isfinite(v)) {
		g_string_append(out, "-");
		return;
	}
	g_string_append(out, g_ascii_formatd(buf, sizeof(buf), "%.7g", v));
}

void mhp_report_row(GString *out, const char *label, const char *value)
{
	g_string_append_printf(out, "<tr><th>%s</th><td>", label);
	mhp_report_escape(out, value ? value : "-", -1);
	g_string_append(out, "</td></tr>\n");
}

const char *mhp_report_class_colour(int cls)
{
	static const char *const colours[] = { "#d62728", "#ff7f0e", "#9467bd", "#8c564b",
					       "#e377c2", "#bcbd22", "#17becf", "#7f7f7f" };

	if (cls < 0)
		return "#cccccc";
	return colours[cls % G_N_ELEMENTS(colours)];
}
