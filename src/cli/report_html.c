/* The HTML of `vkcalib report`: one self-contained, deterministic document
 * from the model of report_model.c. See report_html.h. */
#include "report_html.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================== */
/* HTML                                                                     */

/* Plot geometry (SVG user units): the data area spans [PX0, PX1]; 256
 * buckets of 3 units each when the histogram has 2048 bins. */
#define PW 840
#define PX0 56
#define PX1 824
#define HIST_H 250
#define HIST_Y0 214 /* baseline */
#define HIST_Y1 62  /* top of the data area; the threshold labels sit above */
#define KL_H 210
#define KL_Y0 176
#define KL_Y1 20
#define MAX_POINTS 256

/* Text as HTML: &<>"' escaped; invalid UTF-8 bytes and control characters
 * become U+FFFD, so the file is valid UTF-8 whatever the tensor names. */
static void put_esc(cli_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        if (c < 0x80) {
            switch (c) {
            case '&': cli_buf_puts(b, "&amp;"); break;
            case '<': cli_buf_puts(b, "&lt;"); break;
            case '>': cli_buf_puts(b, "&gt;"); break;
            case '"': cli_buf_puts(b, "&quot;"); break;
            case '\'': cli_buf_puts(b, "&#39;"); break;
            default:
                if (c < 0x20 || c == 0x7f) cli_buf_puts(b, "\xef\xbf\xbd");
                else cli_buf_putc(b, (char)c);
            }
            p++;
            continue;
        }
        int len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
        int good = len > 0;
        for (int k = 1; good && k < len; k++) good = (p[k] & 0xc0) == 0x80;
        if (good && len == 3) {
            uint32_t cp = ((c & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu);
            good = cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff);
        }
        if (good && len == 4) {
            uint32_t cp = ((c & 0x07u) << 18) | ((p[1] & 0x3fu) << 12) | ((p[2] & 0x3fu) << 6) | (p[3] & 0x3fu);
            good = cp >= 0x10000 && cp <= 0x10ffff;
        }
        if (!good) {
            cli_buf_puts(b, "\xef\xbf\xbd");
            p++;
            continue;
        }
        cli_buf_append(b, p, (size_t)len);
        p += len;
    }
}

/* A number for people: %.6g, "∞" for infinities, "–" for NaN. */
static const char *num6(double v, char *out, size_t size)
{
    if (isnan(v)) snprintf(out, size, "\xe2\x80\x93");
    else if (isinf(v)) snprintf(out, size, v > 0 ? "\xe2\x88\x9e" : "\xe2\x88\x92\xe2\x88\x9e");
    else snprintf(out, size, "%.6g", v);
    return out;
}

/* A number for data-v attributes: sortable by parseFloat, "" for NaN. */
static void put_datav(cli_buf *b, double v)
{
    if (isnan(v)) cli_buf_puts(b, " data-v=\"\"");
    else if (isinf(v)) cli_buf_puts(b, v > 0 ? " data-v=\"Infinity\"" : " data-v=\"-Infinity\"");
    else cli_buf_printf(b, " data-v=\"%.9g\"", v);
}

/* The shortest round-trip double, for data- attributes tests compare
 * exactly with the JSON. */
static void put_exact(cli_buf *b, double v)
{
    char t[40];
    vkc_jw_format_double(v, t, sizeof t);
    cli_buf_puts(b, t);
}

/* A coordinate in tenths of a unit: "12.3", "12", "-.5". */
static void put_tenths(cli_buf *b, long v)
{
    if (v < 0) {
        cli_buf_putc(b, '-');
        v = -v;
    }
    if (v % 10 == 0) cli_buf_printf(b, "%ld", v / 10);
    else if (v < 10) cli_buf_printf(b, ".%ld", v % 10);
    else cli_buf_printf(b, "%ld.%ld", v / 10, v % 10);
}

static void put_coord(cli_buf *b, double v)
{
    put_tenths(b, lround(v * 10.0));
}

static double xmap(double v, double vmax)
{
    if (!(vmax > 0)) return PX0;
    double f = v / vmax;
    if (f < 0) f = 0;
    if (f > 1) f = 1;
    return PX0 + f * (PX1 - PX0);
}

typedef struct marker {
    const char *cls, *label;
    const char *method;    /* data-method */
    const char *kind;      /* data-kind: sym / alt */
    double value, x;
    int row;
} marker;

static const char *method_cls(vkc_method m)
{
    static const char *const c[] = {"m-entropy", "m-percentile", "m-mse", "m-max"};
    return (unsigned)m < 4 ? c[m] : "m-max";
}

static void count_label(char *out, size_t size, double c)
{
    static const char *const suf[] = {"", "k", "M", "G", "T", "P", "E"};
    int k = 0;
    while (c >= 1000 && k < 6) c /= 1000, k++;
    snprintf(out, size, "%.0f%s", c, suf[k]);
}

/* x-axis ticks and labels shared by both plots. */
static void put_xaxis(cli_buf *b, double vmax, int y0, const char *title)
{
    /* One path for the axis and its ticks; labels centred by the CSS, the
     * first and last aligned to their ends. */
    cli_buf_printf(b, "<g class=\"axis\"><path d=\"M%d %dH%d", PX0, y0, PX1);
    for (int k = 0; k <= 4; k++) {
        cli_buf_putc(b, 'M');
        put_coord(b, xmap(vmax * k / 4.0, vmax));
        cli_buf_printf(b, " %dv5", y0);
    }
    cli_buf_puts(b, "\"/>");
    for (int k = 0; k <= 4; k++) {
        double v = vmax * k / 4.0;
        char t[32];
        cli_buf_puts(b, "<text");
        if (k == 0 || k == 4) cli_buf_puts(b, k == 0 ? " class=\"s\"" : " class=\"e\"");
        cli_buf_puts(b, " x=\"");
        put_coord(b, xmap(v, vmax));
        cli_buf_printf(b, "\" y=\"%d\">%s</text>", y0 + 17, num6(v, t, sizeof t));
    }
    cli_buf_printf(b, "<text class=\"atitle\" x=\"%d\" y=\"%d\">%s</text></g>", (PX0 + PX1) / 2, y0 + 31, title);
}

/* Horizontal grid lines at ys[n] (one path) with their labels at the left. */
static void put_grid(cli_buf *b, const double *ys, char labels[][16], int n)
{
    cli_buf_puts(b, "<g class=\"grid\"><path d=\"");
    for (int k = 0; k < n; k++) {
        cli_buf_printf(b, "M%d ", PX0);
        put_coord(b, ys[k]);
        cli_buf_printf(b, "H%d", PX1);
    }
    cli_buf_puts(b, "\"/>");
    for (int k = 0; k < n; k++) {
        cli_buf_printf(b, "<text x=\"%d\" y=\"", PX0 - 4);
        put_coord(b, ys[k] + 4);
        cli_buf_printf(b, "\">%s</text>", labels[k]);
    }
    cli_buf_puts(b, "</g>");
}

static void put_hist_svg(cli_buf *b, const rv_set *s, const rv_tensor *t, uint32_t id)
{
    uint32_t G = t->bins < MAX_POINTS ? t->bins : MAX_POINTS;
    uint64_t cmax = 0;
    uint64_t *g = calloc(G, sizeof *g);
    if (!g) {
        cli_buf_fail(b);
        return;
    }
    for (uint32_t k = 0; k < G; k++) {
        uint32_t a = (uint32_t)((uint64_t)k * t->bins / G), e = (uint32_t)((uint64_t)(k + 1) * t->bins / G);
        for (uint32_t j = a; j < e; j++) g[k] += t->hist[j];
        if (g[k] > cmax) cmax = g[k];
    }
    double lmax = log10(1.0 + (double)cmax);
    if (!(lmax > 0)) lmax = 1;
    double vmax = t->st.absmax;
    char tmp[64], tmp2[64];

    /* Markers: each method's symmetric threshold; the unsigned entropy one
     * of a never-negative tensor. */
    marker mk[5];
    char lab[RV_NMETHODS][24];
    int nm = 0;
    for (int m = 0; m < RV_NMETHODS; m++) {
        int ci = t->cell[m][RV_SYM];
        if (ci < 0) continue;
        rv_method_short(s, (vkc_method)m, lab[m], sizeof lab[m]);
        mk[nm++] = (marker){method_cls((vkc_method)m), lab[m], vkc_method_name((vkc_method)m), "sym",
                            t->r[ci].res.threshold, 0, 0};
    }
    if (t->cell[VKC_METHOD_ENTROPY][RV_ALT] >= 0) {
        int ci = t->cell[VKC_METHOD_ENTROPY][RV_ALT];
        mk[nm++] = (marker){"m-entropy-u8", "entropy u8", "entropy", "alt", t->r[ci].res.threshold, 0, 0};
    }
    /* Label rows: left to right, the first row where the label fits. */
    int order[5];
    for (int k = 0; k < nm; k++) {
        mk[k].x = xmap(mk[k].value, vmax);
        order[k] = k;
    }
    for (int a = 1; a < nm; a++)
        for (int c = a; c > 0 && mk[order[c]].x < mk[order[c - 1]].x; c--) {
            int tt = order[c];
            order[c] = order[c - 1];
            order[c - 1] = tt;
        }
    /* Each label takes the first of five rows (one per marker at most) where
     * it overlaps no label
     * placed before it. */
    double span[5][2];
    for (int k = 0; k < nm; k++) {
        marker *m = &mk[order[k]];
        double w = 6.2 * (double)strlen(m->label) + 4;
        double left = m->x + 3 > PX1 - w ? m->x - 3 - w : m->x + 3;
        span[order[k]][0] = left - 3;
        span[order[k]][1] = left + w + 3;
        int row = 0;
        for (; row < 4; row++) {
            int clash = 0;
            for (int q = 0; q < k; q++) {
                const marker *o = &mk[order[q]];
                if (o->row == row && span[order[q]][0] < span[order[k]][1] && span[order[k]][0] < span[order[q]][1])
                    clash = 1;
            }
            if (!clash) break;
        }
        m->row = row;
    }

    cli_buf_printf(b,
                   "<figure><svg id=\"t-%u-hist\" class=\"plot hist\" viewBox=\"0 0 %d %d\" role=\"img\" "
                   "aria-labelledby=\"t-%u-hist-t t-%u-hist-d\" data-x0=\"%d\" data-x1=\"%d\" data-y0=\"%d\" "
                   "data-y1=\"%d\" data-vmax=\"",
                   id, PW, HIST_H, id, id, PX0, PX1, HIST_Y0, HIST_Y1);
    put_exact(b, vmax);
    cli_buf_printf(b, "\" data-bins=\"%u\" data-buckets=\"%u\" data-cmax=\"%llu\">", t->bins, G,
                   (unsigned long long)cmax);
    cli_buf_printf(b, "<title id=\"t-%u-hist-t\">Histogram of |x| of ", id);
    put_esc(b, t->name);
    if (t->bins % G) snprintf(tmp2, sizeof tmp2, "about %.1f", (double)t->bins / G);
    else snprintf(tmp2, sizeof tmp2, "%u", t->bins / G);
    cli_buf_printf(b, ", log scale</title><desc id=\"t-%u-hist-d\">%u bins of |x| over [0, %s], drawn as %u bars of %s "
                      "bins each, counts on a log scale up to %llu per bar. Thresholds:",
                   id, t->bins, num6(vmax, tmp, sizeof tmp), G, tmp2, (unsigned long long)cmax);
    for (int k = 0; k < nm; k++)
        cli_buf_printf(b, "%s %s %s", k ? "," : "", mk[k].label, num6(mk[k].value, tmp, sizeof tmp));
    cli_buf_puts(b, ".</desc>");

    /* Clipped region of the entropy threshold, then decade grid lines. */
    if (nm && !strcmp(mk[0].method, "entropy") && mk[0].x < PX1) {
        cli_buf_puts(b, "<rect class=\"clip\" x=\"");
        put_coord(b, mk[0].x);
        cli_buf_printf(b, "\" y=\"%d\" width=\"", HIST_Y1);
        put_coord(b, PX1 - mk[0].x);
        cli_buf_printf(b, "\" height=\"%d\"/>", HIST_Y0 - HIST_Y1);
    }
    {
        double ys[24];
        char labels[24][16];
        int n = 0;
        int decades = (int)floor(log10((double)(cmax ? cmax : 1)));
        int step = decades > 6 ? 2 : 1;
        for (int d = 0; d <= decades && n < 24; d += step, n++) {
            ys[n] = HIST_Y0 - log10(1.0 + pow(10.0, d)) / lmax * (HIST_Y0 - HIST_Y1);
            count_label(labels[n], sizeof labels[n], pow(10.0, d));
        }
        put_grid(b, ys, labels, n);
    }

    /* The bars: one step per bucket, in tenths, relative moves. */
    cli_buf_printf(b, "<path class=\"bars\" d=\"M%d %dV", PX0, HIST_Y0);
    long prevy = HIST_Y0 * 10L, prevx = PX0 * 10L;
    int first = 1;
    for (uint32_t k = 0; k < G; k++) {
        double h = g[k] ? log10(1.0 + (double)g[k]) / lmax * (HIST_Y0 - HIST_Y1) : 0;
        long y = lround((HIST_Y0 - h) * 10.0);
        long x = lround((PX0 + (double)(k + 1) * (PX1 - PX0) / G) * 10.0);
        if (first) {
            put_tenths(b, y);
            first = 0;
        } else if (y != prevy) {
            cli_buf_putc(b, 'v');
            put_tenths(b, y - prevy);
        }
        cli_buf_putc(b, 'h');
        put_tenths(b, x - prevx);
        prevx = x;
        prevy = y;
    }
    cli_buf_printf(b, "V%dZ\"/>", HIST_Y0);
    free(g);

    put_xaxis(b, vmax, HIST_Y0, "|x|");
    cli_buf_printf(b, "<text class=\"atitle\" x=\"12\" y=\"%d\" transform=\"rotate(-90 12 %d)\" "
                      "text-anchor=\"middle\">count per bar</text>",
                   (HIST_Y0 + HIST_Y1) / 2, (HIST_Y0 + HIST_Y1) / 2);

    for (int k = 0; k < nm; k++) {
        marker *m = &mk[k];
        double ly = 11 + 11 * m->row;
        cli_buf_printf(b, "<g class=\"thr %s\"><line x1=\"", m->cls);
        put_coord(b, m->x);
        cli_buf_puts(b, "\" x2=\"");
        put_coord(b, m->x);
        cli_buf_printf(b, "\" y1=\"");
        put_coord(b, ly + 4);
        cli_buf_printf(b, "\" y2=\"%d\" data-method=\"%s\" data-kind=\"%s\" data-value=\"", HIST_Y0, m->method, m->kind);
        put_exact(b, m->value);
        double w = 6.2 * (double)strlen(m->label) + 4;
        int right = m->x + 3 > PX1 - w;
        cli_buf_puts(b, "\"/><text x=\"");
        put_coord(b, right ? m->x - 3 : m->x + 3);
        cli_buf_puts(b, "\" y=\"");
        put_coord(b, ly);
        cli_buf_printf(b, "\"%s>%s</text></g>", right ? " text-anchor=\"end\"" : "", m->label);
    }
    cli_buf_puts(b, "</svg><figcaption>Histogram of |x| (log scale). Lines: ");
    for (int k = 0; k < nm; k++)
        cli_buf_printf(b, "%s<span class=\"key %s\"></span>%s = %s", k ? ", " : "", mk[k].cls, mk[k].label,
                       num6(mk[k].value, tmp, sizeof tmp));
    cli_buf_puts(b, nm ? "; shaded: clipped at the entropy threshold.</figcaption></figure>\n"
                       : ".</figcaption></figure>\n");
}

/* The histogram of x (mode asymmetric) on [slo, shi], with each two-sided
 * method's window: the plot of a signed tensor's asymmetric ranges. */
static void put_signed_svg(cli_buf *b, const rv_set *s, const rv_tensor *t, uint32_t id)
{
    (void)s;
    uint32_t G = t->sbins < MAX_POINTS ? t->sbins : MAX_POINTS;
    uint64_t cmax = 0, *g = calloc(G, sizeof *g);
    if (!g) {
        cli_buf_fail(b);
        return;
    }
    for (uint32_t k = 0; k < G; k++) {
        uint32_t a = (uint32_t)((uint64_t)k * t->sbins / G), e = (uint32_t)((uint64_t)(k + 1) * t->sbins / G);
        for (uint32_t j = a; j < e; j++) g[k] += t->shist[j];
        if (g[k] > cmax) cmax = g[k];
    }
    double lmax = log10(1.0 + (double)cmax);
    if (!(lmax > 0)) lmax = 1;
    const double lo = t->slo, span = (double)t->shi - lo;
    char tmp[64], tmp2[64];
    cli_buf_printf(b,
                   "<figure><svg id=\"t-%u-shist\" class=\"plot hist\" viewBox=\"0 0 %d %d\" role=\"img\" "
                   "aria-labelledby=\"t-%u-shist-t t-%u-shist-d\" data-lo=\"",
                   id, PW, HIST_H, id, id);
    put_exact(b, lo);
    cli_buf_puts(b, "\" data-hi=\"");
    put_exact(b, t->shi);
    cli_buf_printf(b, "\" data-bins=\"%u\"><title id=\"t-%u-shist-t\">Histogram of x of ", t->sbins, id);
    put_esc(b, t->name);
    cli_buf_printf(b, ", log scale</title><desc id=\"t-%u-shist-d\">%u bins of x over [%s, %s]; the asymmetric "
                      "windows of the two-sided searches.</desc>",
                   id, t->sbins, num6(lo, tmp, sizeof tmp), num6(t->shi, tmp2, sizeof tmp2));
    cli_buf_printf(b, "<path class=\"bars\" d=\"M%d %dV", PX0, HIST_Y0);
    long prevy = HIST_Y0 * 10L, prevx = PX0 * 10L;
    for (uint32_t k = 0; k < G; k++) {
        double h = g[k] ? log10(1.0 + (double)g[k]) / lmax * (HIST_Y0 - HIST_Y1) : 0;
        long y = lround((HIST_Y0 - h) * 10.0), x = lround((PX0 + (double)(k + 1) * (PX1 - PX0) / G) * 10.0);
        if (k == 0) put_tenths(b, y);
        else if (y != prevy) {
            cli_buf_putc(b, 'v');
            put_tenths(b, y - prevy);
        }
        cli_buf_putc(b, 'h');
        put_tenths(b, x - prevx);
        prevx = x;
        prevy = y;
    }
    cli_buf_printf(b, "V%dZ\"/>", HIST_Y0);
    free(g);
    /* The axis: lo, 0, hi. */
    cli_buf_printf(b, "<g class=\"axis\"><path d=\"M%d %dH%d\"/>", PX0, HIST_Y0, PX1);
    const double ticks[3] = {lo, 0.0, t->shi};
    for (int k = 0; k < 3; k++) {
        if (k == 1 && !(lo < 0 && t->shi > 0)) continue;
        double x = span > 0 ? PX0 + (ticks[k] - lo) / span * (PX1 - PX0) : PX0;
        cli_buf_puts(b, "<text x=\"");
        put_coord(b, x);
        cli_buf_printf(b, "\" y=\"%d\"%s>%s</text>", HIST_Y0 + 17, k == 0 ? " class=\"s\"" : k == 2 ? " class=\"e\"" : "",
                       num6(ticks[k], tmp, sizeof tmp));
    }
    cli_buf_printf(b, "<text class=\"atitle\" x=\"%d\" y=\"%d\">x</text></g>", (PX0 + PX1) / 2, HIST_Y0 + 31);
    static const int ms[3] = {VKC_METHOD_ENTROPY, VKC_METHOD_MSE, VKC_METHOD_MAX};
    for (int k = 0; k < 3; k++) {
        const rv_range *r = t->cell[ms[k]][RV_ASYM] >= 0 ? &t->r[t->cell[ms[k]][RV_ASYM]] : NULL;
        if (!r || !(span > 0)) continue;
        for (int side = 0; side < 2; side++) {
            double v = side ? r->q.hi : r->q.lo, x = PX0 + (v - lo) / span * (PX1 - PX0);
            if (x < PX0) x = PX0;
            if (x > PX1) x = PX1;
            cli_buf_printf(b, "<g class=\"thr %s\"><line x1=\"", method_cls((vkc_method)ms[k]));
            put_coord(b, x);
            cli_buf_puts(b, "\" x2=\"");
            put_coord(b, x);
            cli_buf_printf(b, "\" y1=\"%d\" y2=\"%d\" data-method=\"%s\" data-kind=\"asym\" data-value=\"", 15 + 11 * k,
                           HIST_Y0, vkc_method_name((vkc_method)ms[k]));
            put_exact(b, v);
            cli_buf_puts(b, "\"/>");
            if (side) {
                cli_buf_puts(b, "<text x=\"");
                put_coord(b, x > PX1 - 60 ? x - 3 : x + 3);
                cli_buf_printf(b, "\" y=\"%d\"%s>%s</text>", 13 + 11 * k, x > PX1 - 60 ? " text-anchor=\"end\"" : "",
                               vkc_method_name((vkc_method)ms[k]));
            }
            cli_buf_puts(b, "</g>");
        }
    }
    cli_buf_puts(b, "</svg><figcaption>Histogram of x (log scale) with the asymmetric windows [lo, hi] of the "
                    "two-sided searches: ");
    int first = 1;
    for (int k = 0; k < 3; k++) {
        const rv_range *r = t->cell[ms[k]][RV_ASYM] >= 0 ? &t->r[t->cell[ms[k]][RV_ASYM]] : NULL;
        if (!r) continue;
        cli_buf_printf(b, "%s<span class=\"key %s\"></span>%s [%s, ", first ? "" : ", ", method_cls((vkc_method)ms[k]),
                       vkc_method_name((vkc_method)ms[k]), num6(r->q.lo, tmp, sizeof tmp));
        cli_buf_printf(b, "%s]", num6(r->q.hi, tmp, sizeof tmp));
        first = 0;
    }
    cli_buf_puts(b, ".</figcaption></figure>\n");
}

/* Emits a polyline run in tenths: the first point absolute (M), the others
 * relative (l), leaving out points that lie within 0.3 units of the line
 * between their kept neighbours (smooth stretches of a curve cost nothing). */
static void put_run(cli_buf *b, const double *xs, const double *ys, uint32_t n)
{
    if (!n) return;
    long px = lround(xs[0] * 10), py = lround(ys[0] * 10);
    cli_buf_putc(b, 'M');
    put_tenths(b, px);
    cli_buf_putc(b, ' ');
    put_tenths(b, py);
    uint32_t a = 0;
    while (a + 1 < n) {
        uint32_t e = a + 1;
        /* Extend the segment a..e+1 while every point between stays close. */
        while (e + 1 < n) {
            uint32_t f = e + 1;
            double dx = xs[f] - xs[a], dy = ys[f] - ys[a], len = sqrt(dx * dx + dy * dy);
            int fits = len > 0;
            for (uint32_t k = a + 1; fits && k < f; k++) {
                double d = fabs((xs[k] - xs[a]) * dy - (ys[k] - ys[a]) * dx) / len;
                fits = d <= 0.3;
            }
            if (!fits) break;
            e = f;
        }
        long xt = lround(xs[e] * 10), yt = lround(ys[e] * 10);
        cli_buf_putc(b, 'l');
        put_tenths(b, xt - px);
        if (yt - py >= 0) cli_buf_putc(b, ' ');
        put_tenths(b, yt - py);
        px = xt;
        py = yt;
        a = e;
    }
}

/* One KL curve: ≤ MAX_POINTS points, each the least finite KL of its group
 * of candidates, at the group's centre; infinite groups break the line. */
static void put_kl_path(cli_buf *b, const rv_tensor *t, int kind, double lmin, double lmax, const char *cls)
{
    const double *kl = t->kl[kind];
    uint32_t nc = t->nkl[kind];
    const rv_kl *kp = &t->kp[kind];
    if (!kl || !nc) return;
    uint32_t G = nc < MAX_POINTS ? nc : MAX_POINTS;
    double xs[MAX_POINTS], ys[MAX_POINTS];
    uint32_t run = 0;
    cli_buf_printf(b, "<path class=\"%s\" d=\"", cls);
    for (uint32_t k = 0; k < G; k++) {
        uint32_t a = (uint32_t)((uint64_t)k * nc / G), e = (uint32_t)((uint64_t)(k + 1) * nc / G);
        double v = INFINITY;
        for (uint32_t c = a; c < e; c++)
            if (isfinite(kl[c]) && kl[c] < v) v = kl[c];
        if (!isfinite(v) || !(v > 0)) {
            if (isfinite(v) && v <= 0) {
                /* KL 0 (a lossless candidate) sits on the baseline. */
            } else {
                put_run(b, xs, ys, run);
                run = 0;
                continue;
            }
        }
        double ic = kp->start + ((double)a + (double)(e - 1)) / 2.0 * kp->stride;
        double x = xmap(ic * t->st.absmax / t->bins, t->st.absmax);
        double lv = v > 0 ? log10(v) : lmin;
        double y = KL_Y0 - (lv - lmin) / (lmax - lmin) * (KL_Y0 - KL_Y1);
        xs[run] = x;
        ys[run++] = y;
    }
    put_run(b, xs, ys, run);
    cli_buf_puts(b, "\"/>");
}

static void put_kl_svg(cli_buf *b, const rv_set *s, const rv_tensor *t, uint32_t id)
{
    (void)s;
    double lo = INFINITY, hi = -INFINITY;
    uint32_t ninf = 0;
    for (int kind = 0; kind < RV_NKINDS; kind++)
        for (uint32_t c = 0; c < t->nkl[kind]; c++) {
            double v = t->kl[kind][c];
            if (isinf(v)) ninf += kind == RV_SYM;
            if (!isfinite(v) || !(v > 0)) continue;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
    int any = isfinite(lo);
    double lmin = any ? floor(log10(lo)) : -3, lmax = any ? ceil(log10(hi)) : 0;
    if (lmax <= lmin) lmax = lmin + 1;
    char tmp[64];
    int ce = t->cell[VKC_METHOD_ENTROPY][RV_SYM], cu = t->cell[VKC_METHOD_ENTROPY][RV_ALT];
    const rv_range *re = ce >= 0 ? &t->r[ce] : NULL, *ru = cu >= 0 ? &t->r[cu] : NULL;
    cli_buf_printf(b,
                   "<figure><svg id=\"t-%u-kl\" class=\"plot kl\" viewBox=\"0 0 %d %d\" role=\"img\" "
                   "aria-labelledby=\"t-%u-kl-t t-%u-kl-d\" data-x0=\"%d\" data-x1=\"%d\" data-y0=\"%d\" "
                   "data-y1=\"%d\" data-vmax=\"",
                   id, PW, KL_H, id, id, PX0, PX1, KL_Y0, KL_Y1);
    put_exact(b, t->st.absmax);
    cli_buf_printf(b, "\" data-bins=\"%u\" data-lmin=\"%g\" data-lmax=\"%g\">", t->bins, lmin, lmax);
    cli_buf_printf(b, "<title id=\"t-%u-kl-t\">KL divergence of every entropy candidate of ", id);
    put_esc(b, t->name);
    cli_buf_printf(b, "</title><desc id=\"t-%u-kl-d\">", id);
    if (re && !re->res.fallback) {
        cli_buf_printf(b, "KL(P||Q) of candidates i = %u to %u on a log scale; the least, %s, is at i = %u, threshold ",
                       t->kp[RV_SYM].start, t->bins, num6(re->res.kl, tmp, sizeof tmp), re->res.i);
        cli_buf_printf(b, "%s.", num6(re->res.threshold, tmp, sizeof tmp));
    } else
        cli_buf_puts(b, "No finite KL candidate: the threshold falls back to the maximum.");
    if (ru && !ru->res.fallback)
        cli_buf_printf(b, " Unsigned (256 levels): least at i = %u, threshold %s.", ru->res.i,
                       num6(ru->res.threshold, tmp, sizeof tmp));
    if (ninf) cli_buf_printf(b, " %u candidates are infinite and not drawn.", ninf);
    cli_buf_puts(b, "</desc>");
    {
        double ys[24];
        char labels[24][16];
        int n = 0;
        int step = lmax - lmin > 8 ? (int)ceil((lmax - lmin) / 8) : 1;
        for (double d = lmin; d <= lmax + 1e-9 && n < 24; d += step, n++) {
            ys[n] = KL_Y0 - (d - lmin) / (lmax - lmin) * (KL_Y0 - KL_Y1);
            snprintf(labels[n], sizeof labels[n], "1e%d", (int)d);
        }
        put_grid(b, ys, labels, n);
    }
    if (any) {
        put_kl_path(b, t, RV_SYM, lmin, lmax, "curve");
        put_kl_path(b, t, RV_ALT, lmin, lmax, "curve alt");
    }
    put_xaxis(b, t->st.absmax, KL_Y0, "candidate threshold (bin edge i \xc3\x97 bin width)");
    cli_buf_printf(b, "<text class=\"atitle\" x=\"12\" y=\"%d\" transform=\"rotate(-90 12 %d)\" "
                      "text-anchor=\"middle\">KL(P||Q)</text>",
                   (KL_Y0 + KL_Y1) / 2, (KL_Y0 + KL_Y1) / 2);
    const rv_range *mins[2] = {re, ru};
    for (int k = 0; k < 2; k++) {
        const rv_range *r = mins[k];
        if (!r || r->res.fallback || !isfinite(r->res.kl)) continue;
        double x = xmap((double)r->res.i * t->st.absmax / t->bins, t->st.absmax);
        double lv = r->res.kl > 0 ? log10(r->res.kl) : lmin;
        double y = KL_Y0 - (lv - lmin) / (lmax - lmin) * (KL_Y0 - KL_Y1);
        cli_buf_printf(b, "<g class=\"min%s\"><line x1=\"", k ? " alt" : "");
        put_coord(b, x);
        cli_buf_puts(b, "\" x2=\"");
        put_coord(b, x);
        cli_buf_printf(b, "\" y1=\"%d\" y2=\"%d\"/><circle cx=\"", KL_Y1, KL_Y0);
        put_coord(b, x);
        cli_buf_puts(b, "\" cy=\"");
        put_coord(b, y);
        cli_buf_printf(b, "\" r=\"4\" data-i=\"%u\" data-kl=\"", r->res.i);
        put_exact(b, r->res.kl);
        int right = x > PX1 - 160;
        cli_buf_puts(b, "\"/><text x=\"");
        put_coord(b, right ? x - 6 : x + 6);
        cli_buf_printf(b, "\" y=\"%d\"%s>%smin i = %u</text></g>", KL_Y1 + 12 + 14 * k,
                       right ? " text-anchor=\"end\"" : "", k ? "u8 " : "", r->res.i);
    }
    cli_buf_puts(b, "</svg><figcaption>KL divergence of each candidate threshold (log scale), lower is better; "
                    "the marked minimum is the entropy threshold");
    if (ru) cli_buf_puts(b, "; dashed: unsigned, 256 levels");
    cli_buf_puts(b, ".</figcaption></figure>\n");
}

static void put_num_td(cli_buf *b, double v, const char *fmt_suffix)
{
    char t[64];
    cli_buf_puts(b, "<td");
    put_datav(b, v);
    if (isnan(v)) cli_buf_puts(b, " class=\"na\"");
    cli_buf_printf(b, ">%s%s</td>", num6(v, t, sizeof t), isnan(v) ? "" : fmt_suffix);
}

static void put_db_td(cli_buf *b, const rv_range *r, int estimated)
{
    double v = r ? rv_sqnr(r) : NAN;
    cli_buf_puts(b, "<td");
    put_datav(b, v);
    if (isnan(v)) cli_buf_puts(b, " class=\"na\">\xe2\x80\x93</td>");
    else if (isinf(v)) cli_buf_puts(b, ">\xe2\x88\x9e</td>");
    else cli_buf_printf(b, ">%.2f</td>", v);
    (void)estimated; /* said once, in the headers */
}

static void put_pct_td(cli_buf *b, const rv_range *r)
{
    double v = r ? rv_clipped_pct(r) : NAN;
    cli_buf_puts(b, "<td");
    put_datav(b, v);
    if (isnan(v)) cli_buf_puts(b, " class=\"na\">\xe2\x80\x93</td>");
    else cli_buf_printf(b, ">%.3f%%</td>", v);
}

static const rv_range *cell(const rv_tensor *t, int m, int kind)
{
    int k = t->cell[m][kind];
    return k >= 0 ? &t->r[k] : NULL;
}

static void put_compare(cli_buf *b, const rv_set *s, const rv_tensor *t, uint32_t id)
{
    int nn = rv_nonneg(t), est = s->quality == RV_Q_ESTIMATED;
    char tmp[64], tmp2[64];
    const rv_range *es = cell(t, VKC_METHOD_ENTROPY, RV_SYM), *eu = cell(t, VKC_METHOD_ENTROPY, RV_ALT);
    const rv_range *ms = cell(t, VKC_METHOD_MAX, RV_SYM), *ma = cell(t, VKC_METHOD_MAX, RV_ALT);
    cli_buf_printf(b, "<div class=\"cmp\" id=\"t-%u-cmp\"><p>", id);
    if (nn) {
        cli_buf_puts(b, "Never negative (min ");
        cli_buf_printf(b, "%s): a symmetric int8 range [\xe2\x88\x92T, T] leaves codes \xe2\x88\x92" "127\xe2\x80\xa6\xe2\x88\x92" "1, "
                          "half of them, unused. Unsigned [0, T] (uint8, 256 codes) fits it",
                       num6(t->st.min, tmp, sizeof tmp));
        if (es && eu && s->quality != RV_Q_NONE && isfinite(rv_sqnr(eu) - rv_sqnr(es)))
            cli_buf_printf(b, ": %+.2f dB at the entropy threshold", rv_sqnr(eu) - rv_sqnr(es));
        cli_buf_puts(b, ".");
    } else {
        cli_buf_printf(b, "Signed: values from %s to %s. TensorRT's int8 is symmetric (zero point 0)",
                       num6(t->st.min, tmp, sizeof tmp), num6(t->st.max, tmp2, sizeof tmp2));
        if (ms && ma && ma->qk != RV_Q_NONE && s->quality != RV_Q_NONE && isfinite(rv_sqnr(ma) - rv_sqnr(ms)))
            cli_buf_printf(b, "; an asymmetric [min, max] range gives %+.2f dB over symmetric [\xe2\x88\x92" "A, A]",
                           rv_sqnr(ma) - rv_sqnr(ms));
        cli_buf_puts(b, ".");
    }
    if (s->quality == RV_Q_ESTIMATED) cli_buf_puts(b, " SQNR estimated from the histogram.");
    cli_buf_puts(b, "</p>\n<table class=\"cmpt\"><caption>Symmetric vs ");
    cli_buf_puts(b, nn ? "unsigned" : "asymmetric");
    cli_buf_puts(b, " ranges of ");
    put_esc(b, t->name);
    cli_buf_printf(b, "</caption><thead><tr><th scope=\"col\">Method</th><th scope=\"col\">T</th>"
                      "<th scope=\"col\">Symmetric SQNR dB%s</th><th scope=\"col\">Clipped</th>"
                      "<th scope=\"col\">%s range</th><th scope=\"col\">%s SQNR dB%s</th><th scope=\"col\">Clipped</th>"
                      "<th scope=\"col\">Gain dB</th></tr></thead><tbody>",
                   est ? " \xe2\x89\x88" : "", nn ? "Unsigned" : "Asymmetric", nn ? "Unsigned" : "Asymmetric",
                   est ? " \xe2\x89\x88" : "");
    for (int m = 0; m < RV_NMETHODS; m++) {
        const rv_range *rs = cell(t, m, RV_SYM), *ra = cell(t, m, RV_ALT);
        char lab[24];
        rv_method_short(s, (vkc_method)m, lab, sizeof lab);
        cli_buf_printf(b, "<tr><th scope=\"row\">%s</th>", lab);
        put_num_td(b, rs ? rs->res.threshold : NAN, "");
        put_db_td(b, rs, est);
        put_pct_td(b, rs);
        if (ra) {
            cli_buf_printf(b, "<td>[%s, ", num6(ra->q.lo, tmp, sizeof tmp));
            cli_buf_printf(b, "%s]</td>", num6(ra->q.hi, tmp, sizeof tmp));
        } else
            cli_buf_puts(b, "<td class=\"na\">\xe2\x80\x93</td>");
        put_db_td(b, ra, est);
        put_pct_td(b, ra);
        double gain = rs && ra ? rv_sqnr(ra) - rv_sqnr(rs) : NAN;
        if (!isfinite(gain)) cli_buf_puts(b, "<td class=\"na\">\xe2\x80\x93</td>");
        else cli_buf_printf(b, "<td>%+.2f</td>", gain);
        cli_buf_puts(b, "</tr>");
    }
    cli_buf_puts(b, "</tbody></table>\n");
    /* The two-sided searches against the best symmetric range. */
    const rv_range *ae = cell(t, VKC_METHOD_ENTROPY, RV_ASYM), *am = cell(t, VKC_METHOD_MSE, RV_ASYM);
    if (ae || am) {
        cli_buf_puts(b, "<table class=\"cmpt\"><caption>Asymmetric ranges (two-sided searches, <code>--mode "
                        "asymmetric</code>) of ");
        put_esc(b, t->name);
        cli_buf_printf(b, "</caption><thead><tr><th scope=\"col\">Method</th><th scope=\"col\">Range</th>"
                          "<th scope=\"col\">Zero point</th><th scope=\"col\">SQNR dB%s</th>"
                          "<th scope=\"col\">Clipped</th></tr></thead><tbody>",
                       est ? " \xe2\x89\x88" : "");
        const rv_range *rows[3] = {ae, am, cell(t, VKC_METHOD_MAX, RV_ASYM)};
        static const char *const names[3] = {"entropy", "mse", "max"};
        for (int k = 0; k < 3; k++) {
            if (!rows[k]) continue;
            cli_buf_printf(b, "<tr><th scope=\"row\">%s</th><td>[%s, ", names[k], num6(rows[k]->q.lo, tmp, sizeof tmp));
            cli_buf_printf(b, "%s]</td><td>%d</td>", num6(rows[k]->q.hi, tmp, sizeof tmp), rows[k]->q.zero_point);
            put_db_td(b, rows[k], est);
            put_pct_td(b, rows[k]);
            cli_buf_puts(b, "</tr>");
        }
        cli_buf_puts(b, "</tbody></table>\n");
    }
    cli_buf_puts(b, "</div>\n");
}

/* ---- other tools' entropy (report --flavors) ---------------------------- */

#define TOOL_ROW 14
#define TOOL_Y0 8 /* top of the first row */

/* Where each tool's threshold falls on |x|, one row per flavour, on the
 * histogram's own axis (the same [PX0, PX1] and scale), so the marks line
 * up with the bars above. A tool's range [lo, hi] gets a filled mark at hi
 * and a hollow one at |lo|. */
static void put_tools_svg(cli_buf *b, const rv_set *s, const rv_tensor *t, uint32_t id)
{
    const double vmax = t->st.absmax;
    const int y0 = TOOL_Y0 + TOOL_ROW * (int)s->ntools + 4, h = y0 + 36;
    char tmp[64], tmp2[64], val[144];
    cli_buf_printf(b, "<figure><svg id=\"t-%u-tools\" class=\"plot tools\" viewBox=\"0 0 %d %d\" role=\"img\" "
                      "aria-labelledby=\"t-%u-tools-t t-%u-tools-d\"><title id=\"t-%u-tools-t\">Other tools' entropy "
                      "thresholds of ",
                   id, PW, h, id, id, id);
    put_esc(b, t->name);
    cli_buf_printf(b, " on |x|</title><desc id=\"t-%u-tools-d\">One row per flavour, on |x| over [0, %s]:", id,
                   num6(vmax, tmp, sizeof tmp));
    for (uint32_t k = 0; k < s->ntools; k++) {
        const rv_tool *x = &t->tool[k];
        cli_buf_printf(b, "%s %s ", k ? "," : "", vkc_flavor_name(s->tools[k]));
        if (!x->have) cli_buf_puts(b, "no range");
        else if (x->range) {
            cli_buf_printf(b, "[%s, ", num6(x->lo, tmp, sizeof tmp));
            cli_buf_printf(b, "%s]", num6(x->hi, tmp, sizeof tmp));
        } else
            cli_buf_puts(b, num6(x->hi, tmp, sizeof tmp));
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
        put_exact(b, x->lo);
        cli_buf_puts(b, "\" data-hi=\"");
        put_exact(b, x->hi);
        cli_buf_puts(b, "\">");
        const double xh = xmap(x->hi, vmax);
        if (x->range && x->lo < 0) {
            cli_buf_puts(b, "<circle class=\"lo\" cx=\"");
            put_coord(b, xmap(-x->lo, vmax));
            cli_buf_printf(b, "\" cy=\"%d\" r=\"3\"/>", y);
        }
        cli_buf_puts(b, "<circle cx=\"");
        put_coord(b, xh);
        cli_buf_printf(b, "\" cy=\"%d\" r=\"3.5\"/>", y);
        if (x->range) snprintf(val, sizeof val, "[%s, %s]", num6(x->lo, tmp, sizeof tmp), num6(x->hi, tmp2, sizeof tmp2));
        else snprintf(val, sizeof val, "%s", num6(x->hi, tmp, sizeof tmp));
        char label[192];
        snprintf(label, sizeof label, "%s %s%s", name, val, x->warn ? " !" : "");
        double w = 6.2 * (double)strlen(label) + 4;
        int right = xh + 7 > PX1 - w;
        /* A label left of the marks clears the hollow |lo| mark too. */
        double xl = x->range && x->lo < 0 && xmap(-x->lo, vmax) < xh ? xmap(-x->lo, vmax) : xh;
        cli_buf_puts(b, "<text x=\"");
        put_coord(b, right ? xl - 7 : xh + 7);
        cli_buf_printf(b, "\" y=\"%d\"%s>%s</text></g>", y + 4, right ? " text-anchor=\"end\"" : "", label);
    }
    put_xaxis(b, vmax, y0, "|x|");
    cli_buf_puts(b, "</svg><figcaption>Each tool's entropy threshold on the axis of the histogram above "
                    "(filled: T or the top of a range; hollow: |lo| of a range; ! : the tool itself would "
                    "crash or choose otherwise, see the table).</figcaption></figure>\n");
}

/* The same as a table: range, SQNR where measured, and the notes. */
static void put_tools_table(cli_buf *b, const rv_set *s, const rv_tensor *t)
{
    char tmp[64], tmp2[64];
    double best = -INFINITY;
    for (uint32_t k = 0; k < s->ntools; k++)
        if (t->tool[k].have && t->tool[k].sqnr_db > best) best = t->tool[k].sqnr_db;
    cli_buf_puts(b, "<table class=\"cmpt tools\"><caption>Other tools' entropy (<code>vkcalib compare</code>) on ");
    put_esc(b, t->name);
    cli_buf_puts(b, "</caption><thead><tr><th scope=\"col\">Flavour</th><th scope=\"col\">Range</th>"
                    "<th scope=\"col\">SQNR dB</th><th scope=\"col\">Note</th></tr></thead><tbody>");
    for (uint32_t k = 0; k < s->ntools; k++) {
        const rv_tool *x = &t->tool[k];
        cli_buf_printf(b, "<tr><th scope=\"row\">%s</th>", vkc_flavor_name(s->tools[k]));
        if (!x->have) {
            cli_buf_puts(b, "<td class=\"na\">\xe2\x80\x93</td><td class=\"na\">\xe2\x80\x93</td><td class=\"flags\">");
            put_esc(b, s->tool_error[k][0] ? s->tool_error[k] : "no range for this tensor");
            cli_buf_puts(b, "</td></tr>");
            continue;
        }
        cli_buf_printf(b, "<td>[%s, ", num6(x->lo, tmp, sizeof tmp));
        cli_buf_printf(b, "%s]</td>", num6(x->hi, tmp2, sizeof tmp2));
        if (isnan(x->sqnr_db)) cli_buf_puts(b, "<td class=\"na\">\xe2\x80\x93</td>");
        else cli_buf_printf(b, "<td%s>%.2f</td>", x->sqnr_db == best ? " class=\"best\"" : "", x->sqnr_db);
        cli_buf_puts(b, "<td class=\"flags\">");
        put_esc(b, x->note);
        cli_buf_puts(b, "</td></tr>");
    }
    cli_buf_puts(b, "</tbody></table>\n");
}

static const char kCss[] =
    ":root{--fg:#1a1a1a;--muted:#4a4a4a;--line:#c8c8c8;--bg:#fff;--head:#f2f4f7}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0 auto;max-width:1400px;padding:1rem 1.25rem 3rem;font:15px/1.45 system-ui,-apple-system,"
    "\"Segoe UI\",Roboto,\"DejaVu Sans\",sans-serif;color:var(--fg);background:var(--bg)}\n"
    "h1{font-size:1.6rem;margin:.4rem 0}h2{font-size:1.2rem;margin:1.6rem 0 .4rem;overflow-wrap:anywhere}\n"
    ".meta,.facts,.note{color:var(--muted)}\n"
    "a{color:#0645ad}\n"
    ".scroll{overflow-x:auto}\n"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.86rem}\n"
    "th,td{border:1px solid var(--line);padding:.2rem .4rem;text-align:right;white-space:nowrap}\n"
    "thead th{background:var(--head);text-align:center;white-space:normal}\n"
    "tbody th{text-align:left;font-weight:normal;white-space:normal;overflow-wrap:anywhere;min-width:9rem}\n"
    "td.na{color:var(--muted)}\n"
    "#summary-table{font-size:.8rem}#summary-table th,#summary-table td{padding:.15rem .3rem}\n"
    "#summary-table tbody th{min-width:7rem;max-width:16rem}\n"
    "td.best,b.best{font-weight:700;background:#e3f3e6}\n"
    "tr.flagged th{box-shadow:inset 4px 0 #b91c1c}td.flags{color:#b91c1c;text-align:left;white-space:normal}\n"
    "th button{font:inherit;font-weight:600;color:inherit;background:none;border:0;padding:0;cursor:pointer}\n"
    "th button:focus-visible{outline:2px solid #0645ad;outline-offset:2px}\n"
    "th[aria-sort=ascending] button::after{content:\" \\25B2\"}\n"
    "th[aria-sort=descending] button::after{content:\" \\25BC\"}\n"
    "caption{text-align:left;font-weight:600;padding:.3rem 0}\n"
    "figure{margin:.6rem 0}figcaption{font-size:.85rem;color:var(--muted)}\n"
    "svg.plot{display:block;width:100%;max-width:900px;height:auto;font:11px system-ui,\"DejaVu Sans\",sans-serif}\n"
    "svg text{fill:#1a1a1a}svg .atitle{fill:#4a4a4a}\n"
    "svg .grid path{stroke:#e3e3e3;fill:none}svg .grid text{fill:#4a4a4a}\n"
    "svg .axis path{stroke:#4a4a4a;fill:none}svg .axis text{text-anchor:middle}svg .axis text.s{text-anchor:start}"
    "svg .axis text.e{text-anchor:end}svg .grid text{text-anchor:end}\n"
    "svg .bars{fill:#b9c6d6;stroke:#3d5a80;stroke-width:1}\n"
    "svg rect.clip{fill:#fbe3e3}\n"
    "svg .thr line{stroke-width:2}\n"

    ".m-entropy{--c:#1d4ed8}.m-percentile{--c:#a14a00}.m-mse{--c:#7e22ce}.m-max{--c:#b91c1c}"
    ".m-entropy-u8{--c:#047857}\n"
    "svg .thr line{stroke:var(--c)}svg .thr text{fill:var(--c);font-weight:600}\n"
    "svg .m-percentile line{stroke-dasharray:7 3}svg .m-mse line{stroke-dasharray:2 2}"
    "svg .m-max line{stroke-dasharray:9 3 2 3}svg .m-entropy-u8 line{stroke-dasharray:4 4}\n"
    "svg .curve{fill:none;stroke:#1d4ed8;stroke-width:1.6}svg .curve.alt{stroke:#047857;stroke-dasharray:5 3}\n"
    "svg .min line{stroke:#1d4ed8;stroke-dasharray:3 3}svg .min circle{fill:#1d4ed8}"
    "svg .min text{fill:#1d4ed8;font-weight:600}\n"
    "svg .min.alt line{stroke:#047857}svg .min.alt circle{fill:#047857}svg .min.alt text{fill:#047857}\n"
    ".key{display:inline-block;width:1.4em;height:0;border-top:2px solid var(--c);vertical-align:middle;"
    "margin-right:.25em}\n"
    ".key.m-percentile{border-top-style:dashed}.key.m-mse{border-top-style:dotted}.key.m-max{border-top-style:dashed}"
    ".key.m-entropy-u8{border-top-style:dashed}\n"
    "section.tensor{border-top:1px solid var(--line);margin-top:1.2rem}\n"
    ".plots{display:block}\n"
    "@media screen{section.tensor{content-visibility:auto;contain-intrinsic-size:auto 1000px}}\n"
    "@media print{body{max-width:none;padding:0;font-size:10pt}a{color:inherit;text-decoration:none}"
    ".scroll{overflow:visible}section.tensor{break-before:auto;break-inside:avoid-page}"
    "figure{break-inside:avoid}th button::after{content:none!important}table{font-size:8pt}"
    "thead{display:table-header-group}tr{break-inside:avoid}}\n";

static const char kScript[] =
    "(function(){\"use strict\";\n"
    "var table=document.getElementById(\"summary-table\");if(!table)return;\n"
    "var body=table.tBodies[0],heads=table.querySelectorAll(\"th[data-key]\");\n"
    "function val(row,col,num){var v=row.cells[col].getAttribute(\"data-v\");"
    "return num?(v===\"\"?NaN:parseFloat(v)):v;}\n"
    "function sortBy(th,dir){var col=+th.getAttribute(\"data-col\"),num=th.getAttribute(\"data-type\")===\"num\";\n"
    "var rows=Array.prototype.slice.call(body.rows);\n"
    "rows.sort(function(a,b){var x=val(a,col,num),y=val(b,col,num);\n"
    "if(num){var xa=isNaN(x),ya=isNaN(y);if(xa||ya)return xa-ya;return x===y?0:dir*(x<y?-1:1);}\n"
    "return dir*(x<y?-1:x>y?1:0);});\n"
    "rows.forEach(function(r){body.appendChild(r);});\n"
    "for(var k=0;k<heads.length;k++)heads[k].setAttribute(\"aria-sort\",\"none\");\n"
    "th.setAttribute(\"aria-sort\",dir>0?\"ascending\":\"descending\");\n"
    "table.setAttribute(\"data-sorted\",(dir>0?\"\":\"-\")+th.getAttribute(\"data-key\"));}\n"
    "Array.prototype.forEach.call(heads,function(th){th.querySelector(\"button\").addEventListener(\"click\","
    "function(){\n"
    "var dir=th.getAttribute(\"aria-sort\")===\"ascending\"?-1:1;sortBy(th,dir);\n"
    "try{history.replaceState(null,\"\",\"#sort=\"+(dir<0?\"-\":\"\")+th.getAttribute(\"data-key\"));}catch(e){}"
    "});});\n"
    "var sc=table.parentNode;table.setAttribute(\"data-fits\",sc.scrollWidth<=sc.clientWidth+1?\"1\":\"0\");\n"
    "var m=/^#sort=(-?)([a-z0-9-]+)$/.exec(location.hash);\n"
    "if(m){var th=table.querySelector('th[data-key=\"'+m[2]+'\"]');"
    "if(th){var b=th.querySelector(\"button\");b.click();if(m[1])b.click();}}\n"
    "})();\n";

static void put_sort_th(cli_buf *b, const char *key, int col, int num, const char *label, const char *title,
                        int rowspan)
{
    cli_buf_printf(b, "<th scope=\"col\"%s data-key=\"%s\" data-col=\"%d\" data-type=\"%s\" aria-sort=\"none\"",
                   rowspan ? " rowspan=\"2\"" : "", key, col, num ? "num" : "str");
    if (title) cli_buf_printf(b, " title=\"%s\"", title);
    cli_buf_printf(b, "><button type=\"button\">%s</button></th>", label);
}

/* A threshold in the summary: 4 digits shown (the columns must fit 1400
 * px), data-v exact for sorting. */
static void put_num4_td(cli_buf *b, double v)
{
    cli_buf_puts(b, "<td");
    put_datav(b, v);
    if (isnan(v)) cli_buf_puts(b, " class=\"na\">\xe2\x80\x93</td>");
    else if (isinf(v)) cli_buf_puts(b, ">\xe2\x88\x9e</td>");
    else cli_buf_printf(b, ">%.4g</td>", v);
}

/* An SQNR cell; best marks the row's highest. */
static void put_db_cell(cli_buf *b, const rv_range *r, int best)
{
    double v = r ? rv_sqnr(r) : NAN;
    cli_buf_puts(b, "<td");
    put_datav(b, v);
    if (isnan(v)) cli_buf_puts(b, " class=\"na\">\xe2\x80\x93</td>");
    else if (isinf(v)) cli_buf_printf(b, "%s>\xe2\x88\x9e</td>", best ? " class=\"best\"" : "");
    else cli_buf_printf(b, "%s>%.2f</td>", best ? " class=\"best\"" : "", v);
}

/* The summary's SQNR columns, in order. */
static const struct {
    int method, kind; /* kind -1: entropy auto (unsigned where never negative, else symmetric) */
    const char *key, *label, *title;
} kSqnrCols[] = {
    {VKC_METHOD_ENTROPY, RV_SYM, "sqnr-entropy", "entropy", "entropy, symmetric [-T, T] int8 (TensorRT)"},
    {VKC_METHOD_ENTROPY, -1, "sqnr-entropy-auto", "entropy auto",
     "entropy, unsigned [0, T] where the tensor is never negative, else symmetric"},
    {VKC_METHOD_PERCENTILE, RV_SYM, "sqnr-percentile", "", "symmetric [-T, T] int8"},
    {VKC_METHOD_MSE, RV_SYM, "sqnr-mse", "mse", "symmetric [-T, T] int8"},
    {VKC_METHOD_MAX, RV_SYM, "sqnr-max", "max", "symmetric [-T, T] int8"},
    {VKC_METHOD_MAX, RV_ALT, "sqnr-alt-max", "u8/asym max", "unsigned [0, max] or asymmetric [min, max]"},
    {VKC_METHOD_ENTROPY, RV_ASYM, "sqnr-asym-entropy", "asym entropy",
     "two-sided entropy: asymmetric [lo, hi] with a zero point (--mode asymmetric)"},
    {VKC_METHOD_MSE, RV_ASYM, "sqnr-asym-mse", "asym mse", "two-sided MSE: asymmetric [lo, hi] with a zero point"},
};
#define NSQNR (int)(sizeof kSqnrCols / sizeof kSqnrCols[0])

static const rv_range *sqnr_range(const rv_tensor *t, int k)
{
    if (kSqnrCols[k].kind >= 0) return cell(t, kSqnrCols[k].method, kSqnrCols[k].kind);
    const rv_range *au = cell(t, VKC_METHOD_ENTROPY, RV_ALT);
    return au ? au : cell(t, VKC_METHOD_ENTROPY, RV_SYM);
}

static void put_flags_td(cli_buf *b, const rv_tensor *t)
{
    const char *c = t->flags & VKC_WARNING_CLIPPED ? "clipped" : "";
    const char *l = t->flags & VKC_WARNING_LOW_SQNR ? "low SQNR" : "";
    cli_buf_printf(b, "<td data-v=\"%s%s%s\" class=\"flags\">%s%s%s</td>", c, *c && *l ? ", " : "", l, c,
                   *c && *l ? ", " : "", l);
}

/* What the alternatives to TensorRT's symmetric range gain on this data:
 * the mean gain of unsigned entropy over symmetric entropy on the
 * never-negative tensors, and of the best two-sided range over the best
 * symmetric one on the signed tensors. */
static void put_why_symmetric(cli_buf *b, const rv_set *s)
{
    double gu = 0, ga = 0;
    uint32_t nu = 0, na = 0;
    for (uint32_t k = 0; k < s->n; k++) {
        const rv_tensor *t = &s->t[k];
        const rv_range *es = cell(t, VKC_METHOD_ENTROPY, RV_SYM), *eu = cell(t, VKC_METHOD_ENTROPY, RV_ALT);
        if (rv_nonneg(t)) {
            if (es && eu && isfinite(rv_sqnr(eu) - rv_sqnr(es))) gu += rv_sqnr(eu) - rv_sqnr(es), nu++;
            continue;
        }
        double bs = -INFINITY, ba = -INFINITY;
        for (int m = 0; m < RV_NMETHODS; m++) {
            const rv_range *rs = cell(t, m, RV_SYM), *ra = cell(t, m, RV_ASYM);
            if (rs && !isnan(rv_sqnr(rs))) bs = fmax(bs, rv_sqnr(rs));
            if (ra && !isnan(rv_sqnr(ra))) ba = fmax(ba, rv_sqnr(ra));
        }
        if (isfinite(ba - bs)) ga += ba - bs, na++;
    }
    cli_buf_puts(b, "<p id=\"why-symmetric\">Why TensorRT's range is symmetric: with a zero point of 0 the integer "
                    "matrix product of activations and weights, sum q<sub>a</sub>q<sub>w</sub>, needs no correction "
                    "terms (a zero point z adds z\xc2\xb7sum q<sub>w</sub> per output, which every convolution and "
                    "GEMM would have to compute), so TensorRT quantizes activations as it quantizes weights, to "
                    "[\xe2\x88\x92T, T]. The price is codes a lopsided tensor never uses: a never-negative one "
                    "leaves the 127 negative codes idle, one bit of resolution. ");
    if (s->quality == RV_Q_NONE) {
        cli_buf_puts(b, "(SQNR was not measured, so the gains are not shown.)</p>\n");
        return;
    }
    if (nu)
        cli_buf_printf(b, "On this data the unsigned range [0, T] gains %+.2f dB on average over the symmetric one "
                          "(entropy) on the %u never-negative tensor%s. ",
                       gu / nu, nu, nu == 1 ? "" : "s");
    if (na)
        cli_buf_printf(b, "On the %u signed tensor%s, the best asymmetric range (a zero point; entropy, MSE or max) "
                          "gains %+.2f dB on average over the best symmetric one. ",
                       na, na == 1 ? "" : "s", ga / na);
    cli_buf_puts(b, "Runtimes that take a zero point (ONNX Runtime, OpenVINO: <code>vkcalib qdq --target "
                    "onnxruntime</code>) can use these ranges; a TensorRT cache holds the symmetric one.</p>\n");
}

static void put_summary(cli_buf *b, const rv_set *s)
{
    char lab[RV_NMETHODS][24];
    for (int m = 0; m < RV_NMETHODS; m++) rv_method_short(s, (vkc_method)m, lab[m], sizeof lab[m]);
    int est = s->quality == RV_Q_ESTIMATED;
    uint32_t flagged = 0;
    for (uint32_t k = 0; k < s->n; k++) flagged += s->t[k].flags != 0;
    cli_buf_puts(b, "<section id=\"summary\" aria-labelledby=\"summary-h\"><h2 id=\"summary-h\">Summary</h2>\n");
    put_why_symmetric(b, s);
    cli_buf_puts(b, "<p class=\"note\">Click a column header to sort (again to reverse); <code>#sort=KEY</code> or "
                    "<code>#sort=-KEY</code> in the address sorts on opening. T: the clipping threshold of each "
                    "method on the |x| histogram (symmetric). SQNR: signal-to-quantization-noise ratio of "
                    "fake-quantizing the values at that range, in dB, higher is better (6.02 dB is one bit); the "
                    "best of each row is <b class=\"best\">marked</b>. "
                    "<i>entropy auto</i>: unsigned [0, T] (uint8, 256 levels) where the tensor is never negative, "
                    "else symmetric. <i>u8/asym max</i>: unsigned [0, max] or asymmetric [min, max]. <i>asym</i>: "
                    "the two-sided searches of <code>--mode asymmetric</code> on the histogram of x. Clipped: "
                    "share of values beyond the entropy threshold. Flags: the quality guards of <code>vkcalib "
                    "calibrate</code> on its default range (entropy, symmetric): clipping more than 1% of the "
                    "values, or an SQNR more than 6 dB below the best other symmetric method.");
    if (s->quality == RV_Q_ESTIMATED)
        cli_buf_puts(b, " Input is a JSON or a state file: SQNR is estimated from the histograms (every value at "
                        "its bin centre); asymmetric ranges of signed tensors need a histogram of x.");
    if (s->quality == RV_Q_NONE) cli_buf_puts(b, " SQNR not measured (--no-measure).");
    if (flagged) cli_buf_printf(b, " <b>%u tensor%s flagged</b> (rows marked).", flagged, flagged == 1 ? "" : "s");
    cli_buf_puts(b, "</p>\n<div class=\"scroll\"><table id=\"summary-table\" class=\"sortable\">"
                    "<caption>Thresholds and quantization quality per tensor</caption>\n<thead><tr>");
    put_sort_th(b, "name", 0, 0, "Tensor", NULL, 1);
    put_sort_th(b, "elements", 1, 1, "Elements", NULL, 1);
    put_sort_th(b, "min", 2, 1, "Min", NULL, 1);
    put_sort_th(b, "max", 3, 1, "Max", NULL, 1);
    cli_buf_printf(b, "<th scope=\"colgroup\" colspan=\"4\">Threshold T</th><th scope=\"colgroup\" colspan=\"%d\">",
                   NSQNR);
    cli_buf_puts(b, est ? "SQNR dB, estimated (\xe2\x89\x88)</th>" : "SQNR dB</th>");
    put_sort_th(b, "clipped", 8 + NSQNR, 1, "Clipped", "share of values beyond the entropy threshold", 1);
    put_sort_th(b, "flags", 9 + NSQNR, 0, "Flags", "the quality guards on entropy, symmetric", 1);
    cli_buf_puts(b, "</tr>\n<tr>");
    static const char *const tkeys[] = {"t-entropy", "t-percentile", "t-mse", "t-max"};
    for (int m = 0; m < RV_NMETHODS; m++) put_sort_th(b, tkeys[m], 4 + m, 1, lab[m], NULL, 0);
    for (int k = 0; k < NSQNR; k++)
        put_sort_th(b, kSqnrCols[k].key, 8 + k, 1, kSqnrCols[k].label[0] ? kSqnrCols[k].label : lab[VKC_METHOD_PERCENTILE],
                    kSqnrCols[k].title, 0);
    cli_buf_puts(b, "</tr></thead>\n<tbody>\n");
    for (uint32_t k = 0; k < s->n; k++) {
        const rv_tensor *t = &s->t[k];
        cli_buf_printf(b, "<tr%s><th scope=\"row\" data-v=\"", t->flags ? " class=\"flagged\"" : "");
        put_esc(b, t->name);
        cli_buf_printf(b, "\"><a href=\"#t-%u\">", k);
        put_esc(b, t->name);
        cli_buf_puts(b, "</a></th>");
        uint64_t el = t->st.count + t->st.nan + t->st.pos_inf + t->st.neg_inf;
        cli_buf_printf(b, "<td data-v=\"%llu\">%llu</td>", (unsigned long long)el, (unsigned long long)el);
        put_num4_td(b, t->st.min);
        put_num4_td(b, t->st.max);
        for (int m = 0; m < RV_NMETHODS; m++) {
            const rv_range *r = cell(t, m, RV_SYM);
            put_num4_td(b, r ? r->res.threshold : NAN);
        }
        double best = -INFINITY;
        for (int c = 0; c < NSQNR; c++) {
            const rv_range *r = sqnr_range(t, c);
            if (r && !isnan(rv_sqnr(r))) best = fmax(best, rv_sqnr(r));
        }
        for (int c = 0; c < NSQNR; c++) {
            const rv_range *r = sqnr_range(t, c);
            put_db_cell(b, r, r && !isnan(rv_sqnr(r)) && rv_sqnr(r) == best);
        }
        put_pct_td(b, cell(t, VKC_METHOD_ENTROPY, RV_SYM));
        put_flags_td(b, t);
        cli_buf_puts(b, "</tr>\n");
    }
    cli_buf_puts(b, "</tbody></table></div></section>\n");
}

void rv_html(const rv_set *s, cli_buf *b)
{
    char tmp[64];
    cli_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                    "<meta name=\"generator\" content=\"vkcalib " VKC_VERSION_STRING "\">\n");
    cli_buf_printf(b, "<title>vkcalib calibration report: %u tensor%s</title>\n<style>\n", s->n, s->n == 1 ? "" : "s");
    cli_buf_puts(b, kCss);
    /* Only with --flavors: a report without them is byte for byte as before. */
    if (s->ntools)
        cli_buf_puts(b, "svg .tool circle{fill:#0f766e}svg .tool circle.lo{fill:#fff;stroke:#0f766e;stroke-width:1.5}"
                        "svg .tool text{fill:#0f766e}svg .tool text.na{fill:#4a4a4a}\n");
    cli_buf_puts(b, "</style>\n</head>\n<body>\n<header>\n<h1>vkcalib calibration report</h1>\n");
    cli_buf_printf(b, "<p class=\"meta\">%u tensor%s \xc2\xb7 %u bins \xc2\xb7 flavor %s \xc2\xb7 start bin %u \xc2\xb7 "
                      "percentile %s \xc2\xb7 ",
                   s->n, s->n == 1 ? "" : "s", s->bins, vkc_flavor_name(s->sp.flavor), s->sp.start_bin,
                   num6(s->sp.percentile, tmp, sizeof tmp));
    cli_buf_puts(b, s->quality == RV_Q_MEASURED    ? "SQNR measured on the values"
                    : s->quality == RV_Q_ESTIMATED ? "SQNR estimated from the histograms (JSON input)"
                                                   : "SQNR not measured");
    cli_buf_puts(b, "</p>\n</header>\n<main>\n");
    put_summary(b, s);
    for (uint32_t k = 0; k < s->n; k++) {
        const rv_tensor *t = &s->t[k];
        uint64_t el = t->st.count + t->st.nan + t->st.pos_inf + t->st.neg_inf;
        cli_buf_printf(b, "<section class=\"tensor\" id=\"t-%u\" aria-labelledby=\"t-%u-h\" data-name=\"", k, k);
        put_esc(b, t->name);
        cli_buf_printf(b, "\">\n<h2 id=\"t-%u-h\">", k);
        put_esc(b, t->name);
        cli_buf_printf(b, "</h2>\n<p class=\"facts\">%llu elements \xc2\xb7 min %s", (unsigned long long)el,
                       num6(t->st.min, tmp, sizeof tmp));
        cli_buf_printf(b, " \xc2\xb7 max %s", num6(t->st.max, tmp, sizeof tmp));
        cli_buf_printf(b, " \xc2\xb7 absmax %s", num6(t->st.absmax, tmp, sizeof tmp));
        cli_buf_printf(b, " \xc2\xb7 zeros %llu (%.1f%%)", (unsigned long long)t->st.zeros,
                       t->st.count ? 100.0 * (double)t->st.zeros / (double)t->st.count : 0.0);
        if (t->st.nan + t->st.pos_inf + t->st.neg_inf)
            cli_buf_printf(b, " \xc2\xb7 excluded %llu NaN, %llu +Inf, %llu \xe2\x88\x92Inf",
                           (unsigned long long)t->st.nan, (unsigned long long)t->st.pos_inf,
                           (unsigned long long)t->st.neg_inf);
        cli_buf_printf(b, " \xc2\xb7 bin width %s", num6((double)t->st.absmax / t->bins, tmp, sizeof tmp));
        cli_buf_puts(b, " \xc2\xb7 <a href=\"#summary\">back to the summary</a></p>\n<div class=\"plots\">\n");
        if (t->hist) {
            put_hist_svg(b, s, t, k);
            if (s->ntools) put_tools_svg(b, s, t, k);
            put_kl_svg(b, s, t, k);
        }
        if (t->shist && (!rv_nonneg(t) || !t->hist)) put_signed_svg(b, s, t, k);
        cli_buf_puts(b, "</div>\n");
        put_compare(b, s, t, k);
        if (s->ntools) put_tools_table(b, s, t);
        cli_buf_puts(b, "</section>\n");
    }
    cli_buf_puts(b, "</main>\n<script>\n");
    cli_buf_puts(b, kScript);
    cli_buf_puts(b, "</script>\n</body>\n</html>\n");
}
