/* The inline SVG plots of `vkcalib report`: the histogram of |x| with each
 * method's threshold, the histogram of x with the two-sided windows, and
 * the KL curve of the entropy search; with the x axis and grid they share
 * (report_tools.c draws on the same axis). See report_parts.h. */
#include "report_parts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The rest of the plot geometry (PW, PX0, PX1 in report_parts.h). */
#define HIST_H 250
#define HIST_Y0 214 /* baseline */
#define HIST_Y1 62  /* top of the data area; the threshold labels sit above */
#define KL_H 210
#define KL_Y0 176
#define KL_Y1 20
#define MAX_POINTS 256

double rv_xmap(double v, double vmax)
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
void rv_put_xaxis(cli_buf *b, double vmax, int y0, const char *title)
{
    /* One path for the axis and its ticks; labels centred by the CSS, the
     * first and last aligned to their ends. */
    cli_buf_printf(b, "<g class=\"axis\"><path d=\"M%d %dH%d", PX0, y0, PX1);
    for (int k = 0; k <= 4; k++) {
        cli_buf_putc(b, 'M');
        rv_put_coord(b, rv_xmap(vmax * k / 4.0, vmax));
        cli_buf_printf(b, " %dv5", y0);
    }
    cli_buf_puts(b, "\"/>");
    for (int k = 0; k <= 4; k++) {
        double v = vmax * k / 4.0;
        char t[32];
        cli_buf_puts(b, "<text");
        if (k == 0 || k == 4) cli_buf_puts(b, k == 0 ? " class=\"s\"" : " class=\"e\"");
        cli_buf_puts(b, " x=\"");
        rv_put_coord(b, rv_xmap(v, vmax));
        cli_buf_printf(b, "\" y=\"%d\">%s</text>", y0 + 17, rv_num6(v, t, sizeof t));
    }
    cli_buf_printf(b, "<text class=\"atitle\" x=\"%d\" y=\"%d\">%s</text></g>", (PX0 + PX1) / 2, y0 + 31, title);
}

/* Horizontal grid lines at ys[n] (one path) with their labels at the left. */
static void put_grid(cli_buf *b, const double *ys, char labels[][16], int n)
{
    cli_buf_puts(b, "<g class=\"grid\"><path d=\"");
    for (int k = 0; k < n; k++) {
        cli_buf_printf(b, "M%d ", PX0);
        rv_put_coord(b, ys[k]);
        cli_buf_printf(b, "H%d", PX1);
    }
    cli_buf_puts(b, "\"/>");
    for (int k = 0; k < n; k++) {
        cli_buf_printf(b, "<text x=\"%d\" y=\"", PX0 - 4);
        rv_put_coord(b, ys[k] + 4);
        cli_buf_printf(b, "\">%s</text>", labels[k]);
    }
    cli_buf_puts(b, "</g>");
}

/* Counts of bins in G <= MAX_POINTS bars of about bins / G bins each (the
 * caller frees them), the largest bar and its log10(1 + count), at least 1:
 * the vertical scale of a histogram plot. NULL when out of memory. */
static uint64_t *bars_of(const uint64_t *hist, uint32_t bins, uint32_t *G_out, uint64_t *cmax_out, double *lmax_out)
{
    const uint32_t G = bins < MAX_POINTS ? bins : MAX_POINTS;
    uint64_t cmax = 0, *g = calloc(G, sizeof *g);
    if (!g) return NULL;
    for (uint32_t k = 0; k < G; k++) {
        uint32_t a = (uint32_t)((uint64_t)k * bins / G), e = (uint32_t)((uint64_t)(k + 1) * bins / G);
        for (uint32_t j = a; j < e; j++) g[k] += hist[j];
        if (g[k] > cmax) cmax = g[k];
    }
    double lmax = log10(1.0 + (double)cmax);
    *G_out = G;
    *cmax_out = cmax;
    *lmax_out = lmax > 0 ? lmax : 1;
    return g;
}

/* The bars as one path: one step per bar, in tenths, relative moves. */
static void put_bars(cli_buf *b, const uint64_t *g, uint32_t G, double lmax)
{
    cli_buf_printf(b, "<path class=\"bars\" d=\"M%d %dV", PX0, HIST_Y0);
    long prevy = HIST_Y0 * 10L, prevx = PX0 * 10L;
    for (uint32_t k = 0; k < G; k++) {
        double h = g[k] ? log10(1.0 + (double)g[k]) / lmax * (HIST_Y0 - HIST_Y1) : 0;
        long y = lround((HIST_Y0 - h) * 10.0), x = lround((PX0 + (double)(k + 1) * (PX1 - PX0) / G) * 10.0);
        if (k == 0) rv_put_tenths(b, y);
        else if (y != prevy) {
            cli_buf_putc(b, 'v');
            rv_put_tenths(b, y - prevy);
        }
        cli_buf_putc(b, 'h');
        rv_put_tenths(b, x - prevx);
        prevx = x;
        prevy = y;
    }
    cli_buf_printf(b, "V%dZ\"/>", HIST_Y0);
}

void rv_put_hist_svg(cli_buf *b, const rv_set *s, const rv_tensor *t, uint32_t id)
{
    uint32_t G;
    uint64_t cmax;
    double lmax;
    uint64_t *g = bars_of(t->hist, t->bins, &G, &cmax, &lmax);
    if (!g) {
        cli_buf_fail(b);
        return;
    }
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
        mk[k].x = rv_xmap(mk[k].value, vmax);
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
    rv_put_exact(b, vmax);
    cli_buf_printf(b, "\" data-bins=\"%u\" data-buckets=\"%u\" data-cmax=\"%llu\">", t->bins, G,
                   (unsigned long long)cmax);
    cli_buf_printf(b, "<title id=\"t-%u-hist-t\">Histogram of |x| of ", id);
    rv_put_esc(b, t->name);
    if (t->bins % G) snprintf(tmp2, sizeof tmp2, "about %.1f", (double)t->bins / G);
    else snprintf(tmp2, sizeof tmp2, "%u", t->bins / G);
    cli_buf_printf(b, ", log scale</title><desc id=\"t-%u-hist-d\">%u bins of |x| over [0, %s], drawn as %u bars of %s "
                      "bins each, counts on a log scale up to %llu per bar. Thresholds:",
                   id, t->bins, rv_num6(vmax, tmp, sizeof tmp), G, tmp2, (unsigned long long)cmax);
    for (int k = 0; k < nm; k++)
        cli_buf_printf(b, "%s %s %s", k ? "," : "", mk[k].label, rv_num6(mk[k].value, tmp, sizeof tmp));
    cli_buf_puts(b, ".</desc>");

    /* Clipped region of the entropy threshold, then decade grid lines. */
    if (nm && !strcmp(mk[0].method, "entropy") && mk[0].x < PX1) {
        cli_buf_puts(b, "<rect class=\"clip\" x=\"");
        rv_put_coord(b, mk[0].x);
        cli_buf_printf(b, "\" y=\"%d\" width=\"", HIST_Y1);
        rv_put_coord(b, PX1 - mk[0].x);
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

    put_bars(b, g, G, lmax);
    free(g);

    rv_put_xaxis(b, vmax, HIST_Y0, "|x|");
    cli_buf_printf(b, "<text class=\"atitle\" x=\"12\" y=\"%d\" transform=\"rotate(-90 12 %d)\" "
                      "text-anchor=\"middle\">count per bar</text>",
                   (HIST_Y0 + HIST_Y1) / 2, (HIST_Y0 + HIST_Y1) / 2);

    for (int k = 0; k < nm; k++) {
        marker *m = &mk[k];
        double ly = 11 + 11 * m->row;
        cli_buf_printf(b, "<g class=\"thr %s\"><line x1=\"", m->cls);
        rv_put_coord(b, m->x);
        cli_buf_puts(b, "\" x2=\"");
        rv_put_coord(b, m->x);
        cli_buf_printf(b, "\" y1=\"");
        rv_put_coord(b, ly + 4);
        cli_buf_printf(b, "\" y2=\"%d\" data-method=\"%s\" data-kind=\"%s\" data-value=\"", HIST_Y0, m->method, m->kind);
        rv_put_exact(b, m->value);
        double w = 6.2 * (double)strlen(m->label) + 4;
        int right = m->x + 3 > PX1 - w;
        cli_buf_puts(b, "\"/><text x=\"");
        rv_put_coord(b, right ? m->x - 3 : m->x + 3);
        cli_buf_puts(b, "\" y=\"");
        rv_put_coord(b, ly);
        cli_buf_printf(b, "\"%s>%s</text></g>", right ? " text-anchor=\"end\"" : "", m->label);
    }
    cli_buf_puts(b, "</svg><figcaption>Histogram of |x| (log scale). Lines: ");
    for (int k = 0; k < nm; k++)
        cli_buf_printf(b, "%s<span class=\"key %s\"></span>%s = %s", k ? ", " : "", mk[k].cls, mk[k].label,
                       rv_num6(mk[k].value, tmp, sizeof tmp));
    cli_buf_puts(b, nm ? "; shaded: clipped at the entropy threshold.</figcaption></figure>\n"
                       : ".</figcaption></figure>\n");
}

/* The histogram of x (mode asymmetric) on [slo, shi], with each two-sided
 * method's window: the plot of a signed tensor's asymmetric ranges. */
void rv_put_signed_svg(cli_buf *b, const rv_set *s, const rv_tensor *t, uint32_t id)
{
    (void)s;
    uint32_t G;
    uint64_t cmax;
    double lmax;
    uint64_t *g = bars_of(t->shist, t->sbins, &G, &cmax, &lmax);
    if (!g) {
        cli_buf_fail(b);
        return;
    }
    const double lo = t->slo, span = (double)t->shi - lo;
    char tmp[64], tmp2[64];
    cli_buf_printf(b,
                   "<figure><svg id=\"t-%u-shist\" class=\"plot hist\" viewBox=\"0 0 %d %d\" role=\"img\" "
                   "aria-labelledby=\"t-%u-shist-t t-%u-shist-d\" data-lo=\"",
                   id, PW, HIST_H, id, id);
    rv_put_exact(b, lo);
    cli_buf_puts(b, "\" data-hi=\"");
    rv_put_exact(b, t->shi);
    cli_buf_printf(b, "\" data-bins=\"%u\"><title id=\"t-%u-shist-t\">Histogram of x of ", t->sbins, id);
    rv_put_esc(b, t->name);
    cli_buf_printf(b, ", log scale</title><desc id=\"t-%u-shist-d\">%u bins of x over [%s, %s]; the asymmetric "
                      "windows of the two-sided searches.</desc>",
                   id, t->sbins, rv_num6(lo, tmp, sizeof tmp), rv_num6(t->shi, tmp2, sizeof tmp2));
    put_bars(b, g, G, lmax);
    free(g);
    /* The axis: lo, 0, hi. */
    cli_buf_printf(b, "<g class=\"axis\"><path d=\"M%d %dH%d\"/>", PX0, HIST_Y0, PX1);
    const double ticks[3] = {lo, 0.0, t->shi};
    for (int k = 0; k < 3; k++) {
        if (k == 1 && !(lo < 0 && t->shi > 0)) continue;
        double x = span > 0 ? PX0 + (ticks[k] - lo) / span * (PX1 - PX0) : PX0;
        cli_buf_puts(b, "<text x=\"");
        rv_put_coord(b, x);
        cli_buf_printf(b, "\" y=\"%d\"%s>%s</text>", HIST_Y0 + 17, k == 0 ? " class=\"s\"" : k == 2 ? " class=\"e\"" : "",
                       rv_num6(ticks[k], tmp, sizeof tmp));
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
            rv_put_coord(b, x);
            cli_buf_puts(b, "\" x2=\"");
            rv_put_coord(b, x);
            cli_buf_printf(b, "\" y1=\"%d\" y2=\"%d\" data-method=\"%s\" data-kind=\"asym\" data-value=\"", 15 + 11 * k,
                           HIST_Y0, vkc_method_name((vkc_method)ms[k]));
            rv_put_exact(b, v);
            cli_buf_puts(b, "\"/>");
            if (side) {
                cli_buf_puts(b, "<text x=\"");
                rv_put_coord(b, x > PX1 - 60 ? x - 3 : x + 3);
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
                       vkc_method_name((vkc_method)ms[k]), rv_num6(r->q.lo, tmp, sizeof tmp));
        cli_buf_printf(b, "%s]", rv_num6(r->q.hi, tmp, sizeof tmp));
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
    rv_put_tenths(b, px);
    cli_buf_putc(b, ' ');
    rv_put_tenths(b, py);
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
        rv_put_tenths(b, xt - px);
        if (yt - py >= 0) cli_buf_putc(b, ' ');
        rv_put_tenths(b, yt - py);
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
        double x = rv_xmap(ic * t->st.absmax / t->bins, t->st.absmax);
        double lv = v > 0 ? log10(v) : lmin;
        double y = KL_Y0 - (lv - lmin) / (lmax - lmin) * (KL_Y0 - KL_Y1);
        xs[run] = x;
        ys[run++] = y;
    }
    put_run(b, xs, ys, run);
    cli_buf_puts(b, "\"/>");
}

void rv_put_kl_svg(cli_buf *b, const rv_set *s, const rv_tensor *t, uint32_t id)
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
    rv_put_exact(b, t->st.absmax);
    cli_buf_printf(b, "\" data-bins=\"%u\" data-lmin=\"%g\" data-lmax=\"%g\">", t->bins, lmin, lmax);
    cli_buf_printf(b, "<title id=\"t-%u-kl-t\">KL divergence of every entropy candidate of ", id);
    rv_put_esc(b, t->name);
    cli_buf_printf(b, "</title><desc id=\"t-%u-kl-d\">", id);
    if (re && !re->res.fallback) {
        cli_buf_printf(b, "KL(P||Q) of candidates i = %u to %u on a log scale; the least, %s, is at i = %u, threshold ",
                       t->kp[RV_SYM].start, t->bins, rv_num6(re->res.kl, tmp, sizeof tmp), re->res.i);
        cli_buf_printf(b, "%s.", rv_num6(re->res.threshold, tmp, sizeof tmp));
    } else
        cli_buf_puts(b, "No finite KL candidate: the threshold falls back to the maximum.");
    if (ru && !ru->res.fallback)
        cli_buf_printf(b, " Unsigned (256 levels): least at i = %u, threshold %s.", ru->res.i,
                       rv_num6(ru->res.threshold, tmp, sizeof tmp));
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
    rv_put_xaxis(b, t->st.absmax, KL_Y0, "candidate threshold (bin edge i \xc3\x97 bin width)");
    cli_buf_printf(b, "<text class=\"atitle\" x=\"12\" y=\"%d\" transform=\"rotate(-90 12 %d)\" "
                      "text-anchor=\"middle\">KL(P||Q)</text>",
                   (KL_Y0 + KL_Y1) / 2, (KL_Y0 + KL_Y1) / 2);
    const rv_range *mins[2] = {re, ru};
    for (int k = 0; k < 2; k++) {
        const rv_range *r = mins[k];
        if (!r || r->res.fallback || !isfinite(r->res.kl)) continue;
        double x = rv_xmap((double)r->res.i * t->st.absmax / t->bins, t->st.absmax);
        double lv = r->res.kl > 0 ? log10(r->res.kl) : lmin;
        double y = KL_Y0 - (lv - lmin) / (lmax - lmin) * (KL_Y0 - KL_Y1);
        cli_buf_printf(b, "<g class=\"min%s\"><line x1=\"", k ? " alt" : "");
        rv_put_coord(b, x);
        cli_buf_puts(b, "\" x2=\"");
        rv_put_coord(b, x);
        cli_buf_printf(b, "\" y1=\"%d\" y2=\"%d\"/><circle cx=\"", KL_Y1, KL_Y0);
        rv_put_coord(b, x);
        cli_buf_puts(b, "\" cy=\"");
        rv_put_coord(b, y);
        cli_buf_printf(b, "\" r=\"4\" data-i=\"%u\" data-kl=\"", r->res.i);
        rv_put_exact(b, r->res.kl);
        int right = x > PX1 - 160;
        cli_buf_puts(b, "\"/><text x=\"");
        rv_put_coord(b, right ? x - 6 : x + 6);
        cli_buf_printf(b, "\" y=\"%d\"%s>%smin i = %u</text></g>", KL_Y1 + 12 + 14 * k,
                       right ? " text-anchor=\"end\"" : "", k ? "u8 " : "", r->res.i);
    }
    cli_buf_puts(b, "</svg><figcaption>KL divergence of each candidate threshold (log scale), lower is better; "
                    "the marked minimum is the entropy threshold");
    if (ru) cli_buf_puts(b, "; dashed: unsigned, 256 levels");
    cli_buf_puts(b, ".</figcaption></figure>\n");
}
