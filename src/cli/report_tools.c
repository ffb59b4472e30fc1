/* What `vkcalib report --flavors` adds to each tensor: other tools'
 * entropy thresholds (compare.c's calibrations) as a plot on the axis of
 * the |x| histogram and as a table. A report without --flavors never calls
 * these. See report_parts.h. */
#include "report_parts.h"

#include <math.h>
#include <string.h>

#define TOOL_ROW 14
#define TOOL_Y0 8 /* top of the first row */

/* Where each tool's threshold falls on |x|, one row per flavour, on the
 * histogram's own axis (the same [PX0, PX1] and scale), so the marks line
 * up with the bars above. A tool's range [lo, hi] gets a filled mark at hi
 * and a hollow one at |lo|. */
void rv_put_tools_svg(cli_buf *b, const rv_set *s, const rv_tensor *t, uint32_t id)
{
    const double vmax = t->st.absmax;
    const int y0 = TOOL_Y0 + TOOL_ROW * (int)s->ntools + 4, h = y0 + 36;
    char tmp[64], tmp2[64], val[144];
    cli_buf_printf(b, "<figure><svg id=\"t-%u-tools\" class=\"plot tools\" viewBox=\"0 0 %d %d\" role=\"img\" "
                      "aria-labelledby=\"t-%u-tools-t t-%u-tools-d\"><title id=\"t-%u-tools-t\">Other tools' entropy "
                      "thresholds of ",
                   id, PW, h, id, id, id);
    rv_put_esc(b, t->name);
    cli_buf_printf(b, " on |x|</title><desc id=\"t-%u-tools-d\">One row per flavour, on |x| over [0, %s]:", id,
                   rv_num6(vmax, tmp, sizeof tmp));
    for (uint32_t k = 0; k < s->ntools; k++) {
        const rv_tool *x = &t->tool[k];
        cli_buf_printf(b, "%s %s ", k ? "," : "", vkc_flavor_name(s->tools[k]));
        if (!x->have) cli_buf_puts(b, "no range");
        else if (x->range) {
            cli_buf_printf(b, "[%s, ", rv_num6(x->lo, tmp, sizeof tmp));
            cli_buf_printf(b, "%s]", rv_num6(x->hi, tmp, sizeof tmp));
        } else
            cli_buf_puts(b, rv_num6(x->hi, tmp, sizeof tmp));
    }
    cli_buf_puts(b, ".</desc>");
    cli_buf_puts(b, "<g class=\"grid\"><path d=\"");
    for (uint32_t k = 0; k < s->ntools; k++) cli_buf_printf(b, "M%d %uH%d", PX0, TOOL_Y0 + TOOL_ROW * k + 7, PX1);
    cli_buf_puts(b, "\"/></g>");
    for (uint32_t k = 0; k < s->ntools; k++) {
        const rv_tool *x = &t->tool[k];
        const int y = TOOL_Y0 + TOOL_ROW * (int)k + 7;
        const char *name = vkc_flavor_name(s->tools[k]);
        cli_buf_printf(b, "<g class=\"tool\" data-flavor=\"%s\"", name);
        if (!x->have) {
            cli_buf_printf(b, "><text class=\"na\" x=\"%d\" y=\"%d\">%s: no range</text></g>", PX0 + 3, y + 4, name);
            continue;
        }
        cli_buf_puts(b, " data-lo=\"");
        rv_put_exact(b, x->lo);
        cli_buf_puts(b, "\" data-hi=\"");
        rv_put_exact(b, x->hi);
        cli_buf_puts(b, "\">");
        const double xh = rv_xmap(x->hi, vmax);
        if (x->range && x->lo < 0) {
            cli_buf_puts(b, "<circle class=\"lo\" cx=\"");
            rv_put_coord(b, rv_xmap(-x->lo, vmax));
            cli_buf_printf(b, "\" cy=\"%d\" r=\"3\"/>", y);
        }
        cli_buf_puts(b, "<circle cx=\"");
        rv_put_coord(b, xh);
        cli_buf_printf(b, "\" cy=\"%d\" r=\"3.5\"/>", y);
        if (x->range)
            snprintf(val, sizeof val, "[%s, %s]", rv_num6(x->lo, tmp, sizeof tmp), rv_num6(x->hi, tmp2, sizeof tmp2));
        else snprintf(val, sizeof val, "%s", rv_num6(x->hi, tmp, sizeof tmp));
        char label[192];
        snprintf(label, sizeof label, "%s %s%s", name, val, x->warn ? " !" : "");
        double w = 6.2 * (double)strlen(label) + 4;
        int right = xh + 7 > PX1 - w;
        /* A label left of the marks clears the hollow |lo| mark too. */
        double xl = x->range && x->lo < 0 && rv_xmap(-x->lo, vmax) < xh ? rv_xmap(-x->lo, vmax) : xh;
        cli_buf_puts(b, "<text x=\"");
        rv_put_coord(b, right ? xl - 7 : xh + 7);
        cli_buf_printf(b, "\" y=\"%d\"%s>%s</text></g>", y + 4, right ? " text-anchor=\"end\"" : "", label);
    }
    rv_put_xaxis(b, vmax, y0, "|x|");
    cli_buf_puts(b, "</svg><figcaption>Each tool's entropy threshold on the axis of the histogram above "
                    "(filled: T or the top of a range; hollow: |lo| of a range; ! : the tool itself would "
                    "crash or choose otherwise, see the table).</figcaption></figure>\n");
}

/* The same as a table: range, SQNR where measured, and the notes. */
void rv_put_tools_table(cli_buf *b, const rv_set *s, const rv_tensor *t)
{
    char tmp[64], tmp2[64];
    double best = -INFINITY;
    for (uint32_t k = 0; k < s->ntools; k++)
        if (t->tool[k].have && t->tool[k].sqnr_db > best) best = t->tool[k].sqnr_db;
    cli_buf_puts(b, "<table class=\"cmpt tools\"><caption>Other tools' entropy (<code>vkcalib compare</code>) on ");
    rv_put_esc(b, t->name);
    cli_buf_puts(b, "</caption><thead><tr><th scope=\"col\">Flavour</th><th scope=\"col\">Range</th>"
                    "<th scope=\"col\">SQNR dB</th><th scope=\"col\">Note</th></tr></thead><tbody>");
    for (uint32_t k = 0; k < s->ntools; k++) {
        const rv_tool *x = &t->tool[k];
        cli_buf_printf(b, "<tr><th scope=\"row\">%s</th>", vkc_flavor_name(s->tools[k]));
        if (!x->have) {
            cli_buf_puts(b, "<td class=\"na\">\xe2\x80\x93</td><td class=\"na\">\xe2\x80\x93</td><td class=\"flags\">");
            rv_put_esc(b, s->tool_error[k][0] ? s->tool_error[k] : "no range for this tensor");
            cli_buf_puts(b, "</td></tr>");
            continue;
        }
        cli_buf_printf(b, "<td>[%s, ", rv_num6(x->lo, tmp, sizeof tmp));
        cli_buf_printf(b, "%s]</td>", rv_num6(x->hi, tmp2, sizeof tmp2));
        if (isnan(x->sqnr_db)) cli_buf_puts(b, "<td class=\"na\">\xe2\x80\x93</td>");
        else cli_buf_printf(b, "<td%s>%.2f</td>", x->sqnr_db == best ? " class=\"best\"" : "", x->sqnr_db);
        cli_buf_puts(b, "<td class=\"flags\">");
        rv_put_esc(b, x->note);
        cli_buf_puts(b, "</td></tr>");
    }
    cli_buf_puts(b, "</tbody></table>\n");
}
