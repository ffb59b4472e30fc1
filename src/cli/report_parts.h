/* The parts of the HTML of `vkcalib report`, which rv_html (report_html.c)
 * puts together: how text and numbers are written (report_fmt.c), the SVG
 * plots (report_svg.c), the tables (report_table.c), and what --flavors
 * adds (report_tools.c). Internal to the report; rv_html in report_html.h
 * is the one entry point.
 *
 * Every rv_put_* appends to b (a failed allocation marks b failed, as
 * cli_buf does) and writes the same bytes for the same model. id is the
 * tensor's index, the stem of its element ids (t-ID-hist, t-ID-cmp...). */
#ifndef VKC_REPORT_PARTS_H
#define VKC_REPORT_PARTS_H

#include "report_html.h"

/* Plot geometry (SVG user units): the data area spans [PX0, PX1]; 256
 * buckets of 3 units each when the histogram has 2048 bins. Shared so that
 * the tools' plot lines up with the histogram above it. */
#define PW 840
#define PX0 56
#define PX1 824

/* ---- text and numbers (report_fmt.c) ------------------------------------ */

/* s as HTML text or attribute value: &<>"' escaped, invalid UTF-8 and
 * control characters as U+FFFD. */
void rv_put_esc(cli_buf *b, const char *s);
/* v for people (%.6g, or the signs of infinity and NaN) in out; returns out. */
const char *rv_num6(double v, char *out, size_t size);
/* " data-v=\"...\"" for sorting; NaN as "". */
void rv_put_datav(cli_buf *b, double v);
/* The shortest round-trip double. */
void rv_put_exact(cli_buf *b, double v);
/* v/10 with at most one decimal; a coordinate in tenths. */
void rv_put_tenths(cli_buf *b, long v);
/* v rounded to tenths. */
void rv_put_coord(cli_buf *b, double v);

/* ---- plots (report_svg.c) ------------------------------------------------ */

/* The x of v on [0, vmax], clamped to [PX0, PX1]. */
double rv_xmap(double v, double vmax);
/* The x axis of [0, vmax] at y0: ticks, labels and title. */
void rv_put_xaxis(cli_buf *b, double vmax, int y0, const char *title);
/* Each a <figure>: the |x| histogram with every method's threshold; the
 * histogram of x with the two-sided windows; the entropy KL curve. */
void rv_put_hist_svg(cli_buf *b, const rv_set *s, const rv_tensor *t, uint32_t id);
void rv_put_signed_svg(cli_buf *b, const rv_set *s, const rv_tensor *t, uint32_t id);
void rv_put_kl_svg(cli_buf *b, const rv_set *s, const rv_tensor *t, uint32_t id);

/* ---- tables (report_table.c) --------------------------------------------- */

/* The summary section: the note on symmetric ranges and the sortable table. */
void rv_put_summary(cli_buf *b, const rv_set *s);
/* A tensor's comparison of its ranges (symmetric, unsigned, asymmetric). */
void rv_put_compare(cli_buf *b, const rv_set *s, const rv_tensor *t, uint32_t id);

/* ---- other tools' entropy, report --flavors (report_tools.c) ------------- */

void rv_put_tools_svg(cli_buf *b, const rv_set *s, const rv_tensor *t, uint32_t id);
void rv_put_tools_table(cli_buf *b, const rv_set *s, const rv_tensor *t);

#endif
