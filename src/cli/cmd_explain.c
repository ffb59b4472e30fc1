/* vkcalib explain: a walkthrough of the calibration of one tensor, in the
 * terminal, with the tensor's own numbers: the range pass, the histogram,
 * what a candidate threshold means, the KL curve, the threshold and scale
 * that go into the cache, and what the symmetric range costs.
 *
 * Every line fits 80 columns. Plots use Unicode block characters where the
 * locale's character set is UTF-8, ASCII otherwise (or with --ascii); colour
 * only when stdout is a terminal and NO_COLOR is unset (or with --color). */
#include "cli.h"
#include "report_html.h"

#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const kHelp =
    "Usage: vkcalib explain INPUT... --tensor NAME [options]\n"
    "\n"
    "Walks through the calibration of one tensor in plain words, with its own\n"
    "numbers: the range pass (min, max, absmax, zeros, NaN/Inf), the |x| histogram\n"
    "(plotted on a log scale), what a candidate threshold means (P with the\n"
    "outliers folded in, Q merged into 128 levels, the KL divergence), the KL curve\n"
    "over every candidate with the chosen one marked, the threshold and scale that\n"
    "go into the cache, and what the symmetric range costs on this tensor against\n"
    "unsigned and asymmetric ranges (SQNR measured on the values).\n"
    "\n"
    "INPUT is what `vkcalib calibrate` takes, or one JSON written by `vkcalib\n"
    "calibrate -o FILE.json --histograms` (then no data is read and SQNR is\n"
    "estimated from the histogram).\n"
    "\n"
    "Options:\n"
    "  --tensor NAME         the tensor (required when there are several)\n"
    "  --method M            entropy (default), percentile, mse, max\n"
    "  --mode M              symmetric (default: TensorRT's), unsigned, auto,\n"
    "                        asymmetric (--method max); a JSON input defaults to\n"
    "                        its own method and mode\n"
    "  --ascii               plots in ASCII (default when the locale is not UTF-8)\n"
    "  --color, --no-color   force colour on or off (default: on a terminal unless\n"
    "                        NO_COLOR is set)\n" RV_OPTIONS_HELP
    "\n"
    "Example:\n"
    "  vkcalib explain examples/calib --tensor /conv1/Relu_output_0\n";

#define WIDTH 78 /* text wraps here; nothing passes 80 */
#define COLS 64  /* plot columns */
#define ROWS 8   /* plot rows */

typedef struct ex {
    int utf8, color;
    const rv_set *s;
    const rv_tensor *t;
    vkc_method method;
    vkc_mode mode_req;     /* as asked (auto resolved per tensor) */
    int have_method, have_mode;
    int kind;              /* RV_SYM or RV_ALT: the chosen cell */
    int chosen;            /* index into t->r */
    int same_t_unsigned;   /* extra: unsigned [0, T] at the chosen symmetric T, or -1 */
    int asym_nonneg;       /* extra: asymmetric [min, max] of a never-negative tensor, or -1 */
    char err[256];
} ex;

static const char *col(const ex *e, const char *code)
{
    return e->color ? code : "";
}
#define BOLD "\033[1m"
#define DIM "\033[2m"
#define RED "\033[31m"
#define GREEN "\033[32m"
#define CYAN "\033[36m"
#define YELLOW "\033[33m"
#define RESET "\033[0m"

/* Display width of UTF-8 text: one column per code point. */
static int width_of(const char *s, size_t n)
{
    int w = 0;
    for (size_t k = 0; k < n; k++)
        if (((unsigned char)s[k] & 0xc0) != 0x80) w++;
    return w;
}

/* Prints text wrapped at WIDTH with indent spaces before every line; words
 * longer than a line (long tensor names) are split. */
static void wrap(int indent, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wrap(int indent, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    int avail = WIDTH - indent, used = 0;
    const char *p = buf;
    int line_started = 0;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *e = p;
        while (*e && *e != ' ') e++;
        int w = width_of(p, (size_t)(e - p));
        if (line_started && used + 1 + w > avail) {
            putchar('\n');
            line_started = 0;
            used = 0;
        }
        if (!line_started) {
            printf("%*s", indent, "");
            line_started = 1;
        } else {
            putchar(' ');
            used++;
        }
        while (w > avail - used) {
            /* Split a long word at the line's end. */
            const char *q = p;
            int room = avail - used;
            while (room > 0) {
                q++;
                while (((unsigned char)*q & 0xc0) == 0x80) q++;
                room--;
            }
            fwrite(p, 1, (size_t)(q - p), stdout);
            printf("\n%*s", indent, "");
            used = 0;
            w -= width_of(p, (size_t)(q - p));
            p = q;
        }
        fwrite(p, 1, (size_t)(e - p), stdout);
        used += w;
        p = e;
    }
    if (line_started) putchar('\n');
}

/* A tensor name safe for a terminal: control bytes (escape sequences!) as
 * '?', and non-ASCII as '?' when the output is ASCII. */
static void safe_name(const ex *e, const char *name, char *out, size_t size)
{
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p && k + 1 < size; p++) {
        unsigned c = *p;
        out[k++] = c < 0x20 || c == 0x7f || (c >= 0x80 && !e->utf8) ? '?' : (char)c;
    }
    out[k] = 0;
}

static void heading(const ex *e, const char *text)
{
    printf("\n%s%s%s\n", col(e, BOLD), text, col(e, RESET));
    int w = width_of(text, strlen(text));
    for (int k = 0; k < w; k++) fputs(e->utf8 ? "\xe2\x94\x80" : "-", stdout);
    putchar('\n');
}

/* ---- plots -------------------------------------------------------------- */

static const char *block(const ex *e, int eighths)
{
    static const char *const u[] = {" ",
                                    "\xe2\x96\x81",
                                    "\xe2\x96\x82",
                                    "\xe2\x96\x83",
                                    "\xe2\x96\x84",
                                    "\xe2\x96\x85",
                                    "\xe2\x96\x86",
                                    "\xe2\x96\x87",
                                    "\xe2\x96\x88"};
    static const char *const a[] = {" ", ".", ".", ":", ":", "|", "|", "|", "#"};
    if (eighths < 0) eighths = 0;
    if (eighths > 8) eighths = 8;
    return e->utf8 ? u[eighths] : a[eighths];
}

/* Column of value v on [0, vmax] (the histogram's axis). */
static int col_of(double v, double vmax)
{
    if (!(vmax > 0)) return 0;
    int c = (int)floor(v / vmax * COLS);
    return c < 0 ? 0 : c >= COLS ? COLS - 1 : c;
}

static void short_count(char *out, size_t size, double c)
{
    if (c < 1e6) snprintf(out, size, "%.0f", c);
    else snprintf(out, size, "%.3g", c);
}

/* Draws bars of heights h[COLS] (in eighths, 0..ROWS*8; -1: no value, -2:
 * infinite) with a label on the top and bottom rows; colour per column. */
static void draw_bars(const ex *e, const int *h, const char *const *colour, const char *top, const char *bottom)
{
    for (int r = 0; r < ROWS; r++) {
        const char *lab = r == 0 ? top : r == ROWS - 1 ? bottom : "";
        printf("   %8s %s", lab, e->utf8 ? (r == 0 || r == ROWS - 1 ? "\xe2\x94\xa4" : "\xe2\x94\x82") : "|");
        const char *cur = "";
        for (int c = 0; c < COLS; c++) {
            const char *want = colour[c] ? colour[c] : "";
            if (e->color && strcmp(want, cur) != 0) {
                fputs(RESET, stdout);
                fputs(want, stdout);
                cur = want;
            }
            if (h[c] == -2) fputs(r == 0 ? (e->utf8 ? "\xc3\x97" : "x") : " ", stdout);
            else fputs(block(e, h[c] - (ROWS - 1 - r) * 8), stdout);
        }
        if (e->color) fputs(RESET, stdout);
        putchar('\n');
    }
    printf("   %8s %s", "", e->utf8 ? "\xe2\x94\x94" : "+");
    for (int c = 0; c < COLS; c++) fputs(e->utf8 ? "\xe2\x94\x80" : "-", stdout);
    putchar('\n');
}

/* "0 ... mid ... vmax" under the axis, then a marker line. */
static void draw_xlabels(double vmax, const char *unit)
{
    char a[32], m[32], z[48];
    snprintf(a, sizeof a, "0");
    snprintf(m, sizeof m, "%.4g", vmax / 2);
    snprintf(z, sizeof z, "%.4g %s", vmax, unit);
    char line[96];
    memset(line, ' ', sizeof line);
    int base = 13; /* indent + label + axis */
    memcpy(line + base - 1, a, strlen(a));
    int mid = base + COLS / 2 - (int)strlen(m) / 2;
    memcpy(line + mid, m, strlen(m));
    int end = base + COLS - (int)strlen(z);
    if (end < mid + (int)strlen(m) + 1) end = mid + (int)strlen(m) + 1;
    memcpy(line + end, z, strlen(z));
    int len = end + (int)strlen(z);
    line[len] = 0;
    puts(line);
}

/* A marker under column c: "▲ text" or "text ▲" so that it fits. */
static void draw_marker(const ex *e, int c, const char *glyph_u, const char *glyph_a, const char *text,
                        const char *colour)
{
    int base = 13, x = base + c, tw = (int)strlen(text);
    const char *g = e->utf8 ? glyph_u : glyph_a;
    if (x + 2 + tw <= 79) printf("%*s%s%s %s%s\n", x, "", col(e, colour), g, text, col(e, RESET));
    else {
        int pad = x - tw - 1;
        if (pad < 0) pad = 0;
        printf("%*s%s%s %s%s\n", pad, "", col(e, colour), text, g, col(e, RESET));
    }
}

static void plot_hist(const ex *e, double T)
{
    const rv_tensor *t = e->t;
    uint64_t sum[COLS] = {0}, cmax = 0;
    int ncols = COLS;
    for (uint32_t j = 0; j < t->bins; j++) {
        int c = (int)((uint64_t)j * COLS / t->bins);
        sum[c] += t->hist[j];
    }
    for (int c = 0; c < ncols; c++)
        if (sum[c] > cmax) cmax = sum[c];
    double lmax = log10(1.0 + (double)cmax);
    int h[COLS];
    const char *colour[COLS];
    int tc = col_of(T, t->st.absmax);
    for (int c = 0; c < COLS; c++) {
        if (!sum[c] || !(lmax > 0)) h[c] = 0;
        else {
            h[c] = (int)lround(log10(1.0 + (double)sum[c]) / lmax * ROWS * 8);
            if (h[c] < 1) h[c] = 1;
        }
        colour[c] = c > tc ? RED : CYAN;
    }
    char top[32], bot[32] = "1";
    short_count(top, sizeof top, (double)cmax);
    if (!cmax) snprintf(bot, sizeof bot, "0");
    draw_bars(e, h, colour, top, bot);
    draw_xlabels(t->st.absmax, "= A");
    char m[64];
    snprintf(m, sizeof m, "T = %.6g", T);
    draw_marker(e, tc, "\xe2\x96\xb2", "^", m, GREEN);
}

/* A curve over candidates i = start + c*stride (values v[c]), drawn on the
 * histogram's axis; the least value per column; log scale. */
static void plot_curve(const ex *e, const double *v, uint32_t nv, uint32_t start, uint32_t stride, uint32_t mark_i,
                       const char *mark_text, uint32_t other_i, const char *other_text)
{
    const rv_tensor *t = e->t;
    double best[COLS];
    int has[COLS], inf[COLS];
    for (int c = 0; c < COLS; c++) best[c] = INFINITY, has[c] = inf[c] = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (uint32_t k = 0; k < nv; k++) {
        uint32_t i = start + k * stride;
        int c = (int)((uint64_t)i * COLS / t->bins);
        if (c >= COLS) c = COLS - 1;
        if (isnan(v[k])) continue;
        if (isinf(v[k])) {
            inf[c] = 1;
            continue;
        }
        has[c] = 1;
        if (v[k] < best[c]) best[c] = v[k];
        if (v[k] > 0 && v[k] < lo) lo = v[k];
        if (v[k] > hi) hi = v[k];
    }
    int h[COLS];
    const char *colour[COLS];
    int mc = (int)((uint64_t)mark_i * COLS / t->bins);
    if (mc >= COLS) mc = COLS - 1;
    double llo = isfinite(lo) ? log10(lo) : 0, lhi = hi > 0 ? log10(hi) : llo;
    for (int c = 0; c < COLS; c++) {
        colour[c] = c == mc ? GREEN : CYAN;
        if (has[c]) {
            double f = lhi > llo && best[c] > 0 ? (log10(best[c]) - llo) / (lhi - llo) : 0;
            h[c] = 1 + (int)lround(f * (ROWS * 8 - 1));
        } else
            h[c] = inf[c] ? -2 : 0;
    }
    char top[32], bot[32];
    snprintf(top, sizeof top, "%.3g", isfinite(hi) ? hi : 0.0);
    snprintf(bot, sizeof bot, "%.3g", isfinite(lo) ? lo : 0.0);
    draw_bars(e, h, colour, top, bot);
    draw_xlabels(t->st.absmax, "");
    if (other_text && other_i != mark_i) {
        int oc = (int)((uint64_t)other_i * COLS / t->bins);
        if (oc >= COLS) oc = COLS - 1;
        draw_marker(e, oc, "\xe2\x96\xb3", "'", other_text, YELLOW);
    }
    if (mark_text) draw_marker(e, mc, "\xe2\x96\xb2", "^", mark_text, GREEN);
}

/* ---- the sections ------------------------------------------------------- */

static const rv_range *cell_of(const rv_tensor *t, int m, int kind)
{
    int k = t->cell[m][kind];
    return k >= 0 ? &t->r[k] : NULL;
}

static double width_bin(const rv_tensor *t)
{
    return (double)t->st.absmax / t->bins;
}

static void section_range(const ex *e)
{
    const rv_tensor *t = e->t;
    const vkc_stats *st = &t->st;
    uint64_t bad = st->nan + st->pos_inf + st->neg_inf;
    heading(e, "1. Range pass");
    wrap(3, "The first pass reads every value once and keeps its extremes. The histogram of the second pass needs "
            "them: it spans [0, A], A = absmax = max(|min|, |max|).");
    printf("     %-10s %-16.7g %-10s %.7g\n", "min", (double)st->min, "max", (double)st->max);
    printf("     %-10s %-16.7g %-10s %llu (%.2f%%)\n", "absmax A", (double)st->absmax, "zeros",
           (unsigned long long)st->zeros, st->count ? 100.0 * (double)st->zeros / (double)st->count : 0.0);
    printf("     %-10s %-16llu %-10s %llu NaN, %llu +Inf, %llu -Inf\n", "finite", (unsigned long long)st->count,
           "non-finite", (unsigned long long)st->nan, (unsigned long long)st->pos_inf,
           (unsigned long long)st->neg_inf);
    if (bad) wrap(3, "The %llu non-finite values are left out (--exclude-nonfinite): they are neither binned nor "
                     "measured.", (unsigned long long)bad);
    if (st->min >= 0)
        wrap(3, "The tensor is never negative (min %g), like the output of a ReLU%s.", (double)st->min,
             st->max <= 1.0f ? ", a sigmoid or a softmax" : "");
    else if (st->max <= 0)
        wrap(3, "The tensor is never positive (max %g).", (double)st->max);
    else
        wrap(3, "The tensor is signed: |min| / max = %.3g.", fabs((double)st->min) / (double)st->max);
    if (e->s->from_json) wrap(3, "(Read from a JSON written with --histograms: the passes ran when it was written.)");
}

static void section_hist(const ex *e, double T)
{
    const rv_tensor *t = e->t;
    heading(e, "2. Histogram of |x|");
    wrap(3, "The second pass puts |x| into %u bins of width A / %u = %.6g: bin = min(floor(|x| * %u / A), %u), "
            "computed in float32 exactly the same way on every device. Below, %u bins per column; heights on a "
            "log scale (a single value still shows).",
         t->bins, t->bins, width_bin(t), t->bins, t->bins - 1, t->bins / COLS ? t->bins / COLS : 1);
    putchar('\n');
    plot_hist(e, T);
    uint64_t beyond = 0, total = 0;
    uint32_t ti = (uint32_t)fmin((double)t->bins, floor(T / width_bin(t) + 1e-9));
    if (!(width_bin(t) > 0)) ti = t->bins;
    for (uint32_t j = 0; j < t->bins; j++) {
        total += t->hist[j];
        if (j >= ti) beyond += t->hist[j];
    }
    putchar('\n');
    if (beyond)
        wrap(3, "Right of T (bins %u..%u, red on a colour terminal): %llu value%s (%.4f%%), which quantization "
                "clips to T.",
             ti, t->bins - 1, (unsigned long long)beyond, beyond == 1 ? "" : "s",
             total ? 100.0 * (double)beyond / (double)total : 0.0);
    else wrap(3, "Nothing lies right of T: no value is clipped.");
}

/* KL of candidate i computed here from the definition, with the share of
 * bin i-1 (where the outliers go): for the walkthrough only. */
static double kl_last_share(const rv_tensor *t, const rv_kl *kp, uint32_t i, double *last_term)
{
    uint64_t *h = malloc(t->bins * sizeof *h);
    if (!h) return NAN;
    memcpy(h, t->hist, t->bins * sizeof *h);
    if (kp->zero_bin_copy && t->bins > 1) h[0] = h[1];
    uint64_t total = 0, inside = 0;
    for (uint32_t j = 0; j < t->bins; j++) total += h[j];
    for (uint32_t j = 0; j < i; j++) inside += h[j];
    double kl = 0;
    *last_term = 0;
    uint32_t L = kp->levels;
    for (uint32_t a = 0; a < i;) {
        uint32_t lev = (uint32_t)((uint64_t)a * L / i), b = a;
        uint64_t M = 0, nz = 0;
        while (b < i && (uint32_t)((uint64_t)b * L / i) == lev) {
            M += h[b];
            nz += h[b] != 0;
            b++;
        }
        for (uint32_t j = a; j < b; j++) {
            double P = (double)h[j] + (j == i - 1 ? (double)(total - inside) : 0.0);
            if (P <= 0) continue;
            double Q = h[j] ? (double)M / (double)nz : 0.0;
            double p = P / (double)total, q = Q / (double)inside;
            double term = q > 0 ? p * log(p / q) : INFINITY;
            kl += term;
            if (j == i - 1) *last_term = term;
        }
        a = b;
    }
    free(h);
    return kl;
}

static void section_candidates(const ex *e, const rv_range *r)
{
    const rv_tensor *t = e->t;
    const rv_kl *kp = &t->kp[e->kind];
    uint32_t L = kp->levels, i = r->res.i;
    double w = width_bin(t);
    heading(e, "3. What a candidate threshold means");
    wrap(3, "Candidate i cuts the histogram at bin edge i: threshold i x %.6g%s. vkcalib tries every i from %u "
            "to %u (%u candidates) and compares two distributions over the first i bins:",
         w, e->s->sp.flavor == VKC_FLAVOR_TENSORRT ? " (+ half a bin: flavor tensorrt)" : "", kp->start, t->bins,
         t->nkl[e->kind]);
    wrap(5, "P = the histogram itself, with every count beyond the cut (the values that would clip) added to "
            "its last bin, i-1;");
    wrap(5, "Q = what %s can express: the i bins merged into %u levels, each level's count spread evenly over "
            "its non-empty bins (the outliers are not in Q).",
         L == 256 ? "uint8" : "int8", L);
    wrap(3, "KL(P||Q) = sum p ln(p/q) is the information the quantization loses. A small i clips much (P's last "
            "bin swells); a large i makes each level wide (Q blurs the shape). The least KL wins%s.",
         kp->tie_largest ? "; among ties, the largest i" : "");
    if (kp->zero_bin_copy && t->bins > 1)
        wrap(3, "Before the search, bin 0 takes the count of bin 1 (%llu -> %llu), so that exact zeros (a ReLU's "
                "half of its values) do not dominate.",
             (unsigned long long)t->hist[0], (unsigned long long)t->hist[1]);
    if (r->res.fallback) {
        wrap(3, "Here no candidate has a finite KL (%s): the threshold falls back to A.", r->res.message);
        return;
    }
    uint64_t total = 0, out = 0;
    for (uint32_t j = 0; j < t->bins; j++) {
        uint64_t c = j == 0 && kp->zero_bin_copy && t->bins > 1 ? t->hist[1] : t->hist[j];
        total += c;
        if (j >= i) out += c;
    }
    /* The last level: bins j < i with floor(j L / i) = L - 1. */
    uint32_t a = (uint32_t)(((uint64_t)(L - 1) * i + L - 1) / L);
    uint64_t M = 0, nz = 0;
    for (uint32_t j = a; j < i; j++) M += t->hist[j], nz += t->hist[j] != 0;
    double last_term = 0;
    double klx = kl_last_share(t, kp, i, &last_term);
    char buf[96];
    printf("\n   The chosen candidate, %si = %u%s:\n", col(e, BOLD), i, col(e, RESET));
    if (kp->edge_offset != 0) snprintf(buf, sizeof buf, "(%u + %g) x %.6g = %.9g", i, kp->edge_offset, w, r->res.threshold);
    else snprintf(buf, sizeof buf, "%u x %.6g = %.9g", i, w, r->res.threshold);
    printf("     %-16s %s\n", "threshold", buf);
    snprintf(buf, sizeof buf, "%u / %u = %.2f (levels of %u or %u bins)", i, L, (double)i / L, i / L,
             (i + L - 1) / L);
    printf("     %-16s %s\n", "bins per level", buf);
    snprintf(buf, sizeof buf, "%llu value%s beyond bin edge %u (%.4f%%)", (unsigned long long)out, out == 1 ? "" : "s", i,
             total ? 100.0 * (double)out / (double)total : 0.0);
    printf("     %-16s %s\n", "outliers", buf);
    if (out) printf("     %-16s folded into P[%u]: %llu + %llu = %llu\n", "", i - 1,
                    (unsigned long long)t->hist[i - 1], (unsigned long long)out,
                    (unsigned long long)(t->hist[i - 1] + out));
    snprintf(buf, sizeof buf, "bins %u..%u: %llu values over %llu non-empty bins", a, i - 1, (unsigned long long)M,
             (unsigned long long)nz);
    printf("     %-16s %s\n", "last level", buf);
    if (nz) printf("     %-16s Q gives each %.4g, where P has %.4g in bin %u\n", "", (double)M / (double)nz,
                   (double)(t->hist[i - 1] + out), i - 1);
    printf("     %-16s %.6g", "KL(P||Q)", r->res.kl);
    if (isfinite(klx) && klx > 0) printf(" (bin %u alone: %.3g, %.1f%%)", i - 1, last_term, 100.0 * last_term / klx);
    putchar('\n');
    const double *kl = t->kl[e->kind];
    uint32_t nc = t->nkl[e->kind];
    if (kl && nc > 1) {
        uint32_t ilast = kp->start + (nc - 1) * kp->stride;
        wrap(3, "For comparison: KL = %.4g at i = %u (the most clipping) and %.4g at i = %u (%s).", kl[0], kp->start,
             kl[nc - 1], ilast, ilast == t->bins ? "no clipping: the max method" : "the last candidate");
    }
}

static void section_kl_curve(const ex *e, const rv_range *r, const rv_range *entropy)
{
    const rv_tensor *t = e->t;
    const rv_kl *kp = &t->kp[e->kind];
    const double *kl = t->kl[e->kind];
    uint32_t nc = t->nkl[e->kind];
    heading(e, "4. KL divergence of every candidate");
    if (!kl || !nc) {
        wrap(3, "No candidates: the histogram has fewer bins (%u) than the first candidate (%u).", t->bins,
             kp->start);
        return;
    }
    uint32_t finite = 0;
    for (uint32_t c = 0; c < nc; c++) finite += isfinite(kl[c]);
    if (!finite) {
        wrap(3, "Every candidate's KL is +inf or undefined (%s): there is no curve to draw, and the threshold is "
                "A.",
             t->st.absmax > 0 ? "the histogram's tail is too sparse" : "an all-zero tensor has an empty histogram "
                                                                        "once bin 0 takes bin 1's count");
        return;
    }
    wrap(3, "KL(P||Q) for i = %u..%u on the histogram's axis (the least value of each column), log scale: lower "
            "is better.%s",
         kp->start, kp->start + (nc - 1) * kp->stride,
         r->res.inf_candidates || entropy->res.inf_candidates ? " x marks columns where every candidate is +inf." : "");
    putchar('\n');
    char m1[80], m2[80];
    snprintf(m1, sizeof m1, "least KL: i = %u, T = %.6g", entropy->res.i, entropy->res.threshold);
    int other = r != entropy;
    if (other) snprintf(m2, sizeof m2, "%s: T = %.6g", vkc_method_name(r->method), r->res.threshold);
    uint32_t oi = other ? (uint32_t)fmin((double)t->bins, floor(r->res.threshold / width_bin(t))) : 0;
    if (entropy->res.fallback) snprintf(m1, sizeof m1, "no finite KL: fallback to A");
    plot_curve(e, kl, nc, kp->start, kp->stride, entropy->res.fallback ? t->bins : entropy->res.i, m1, oi,
               other ? m2 : NULL);
    putchar('\n');
    if (entropy->res.fallback) return;
    /* How flat the minimum is: the candidates within 10% of it. */
    uint32_t lo = nc, hi = 0, near = 0;
    double lim = entropy->res.kl * 1.1;
    for (uint32_t c = 0; c < nc; c++)
        if (kl[c] <= lim) {
            near++;
            if (c < lo) lo = c;
            hi = c;
        }
    if (near) {
        double tl = (kp->start + lo * kp->stride + kp->edge_offset) * width_bin(t);
        double th = (kp->start + hi * kp->stride + kp->edge_offset) * width_bin(t);
        wrap(3, "The least KL is %.6g at i = %u. %u candidate%s within 10%% of it, from i = %u to %u (T from %.4g "
                "to %.4g): %s.",
             entropy->res.kl, entropy->res.i, near, near == 1 ? " is" : "s are", kp->start + lo * kp->stride,
             kp->start + hi * kp->stride, tl, th,
             near < 8 ? "a sharp minimum" : "a flat minimum, where nearby thresholds do about as well");
    }
    if (entropy->res.inf_candidates)
        wrap(3, "%llu candidates are +inf: their bin i-1 is empty while values lie beyond it, so Q is 0 where P "
                "is not; they can never win.",
             (unsigned long long)entropy->res.inf_candidates);
    wrap(3, "Candidates within 1e-9 (relative) of the least count as tied; the %s i wins, as in NVIDIA's "
            "reference, the same on every device.",
         kp->tie_largest ? "largest" : "smallest");
}

static void section_other_method(const ex *e, const rv_range *r)
{
    const rv_tensor *t = e->t;
    double w = width_bin(t);
    uint64_t total = 0;
    for (uint32_t j = 0; j < t->bins; j++) total += t->hist[j];
    if (r->method == VKC_METHOD_PERCENTILE) {
        heading(e, "3. The percentile");
        double p = e->s->sp.percentile;
        uint32_t k = r->res.i;
        uint64_t before = 0;
        for (uint32_t j = 0; j < k && j < t->bins; j++) before += t->hist[j];
        uint64_t through = before + (k < t->bins ? t->hist[k] : 0);
        wrap(3, "Percentile %g: the threshold is the left edge of the first bin whose running count reaches "
                "%g%% of all %llu values (%.1f), compared exactly in integers.",
             p, p, (unsigned long long)total, (double)total * p / 100.0);
        if (r->res.fallback) {
            wrap(3, "Here: %s.", r->res.message);
            return;
        }
        printf("     %-16s %u (running count %llu before it, %llu through it)\n", "bin", k,
               (unsigned long long)before, (unsigned long long)through);
        printf("     %-16s %u x %.6g = %.9g\n", "threshold", k, w, r->res.threshold);
        printf("     %-16s %llu values in bins %u..%u (%.4f%%)\n", "clipped", (unsigned long long)(total - before), k,
               t->bins - 1, total ? 100.0 * (double)(total - before) / (double)total : 0.0);
        wrap(3, "The percentile ignores how far the tail reaches; the KL curve below shows where the entropy "
                "method would cut instead.");
    } else if (r->method == VKC_METHOD_MSE) {
        heading(e, "3. What a candidate threshold means");
        uint32_t bound = r->mode == VKC_MODE_UNSIGNED ? 255 : 127;
        wrap(3, "MSE: candidate i is the bin centre c_i = (i + 0.5) x %.6g, for i = %u..%u. Each bin's centre is "
                "fake-quantized with amax c_i (round(c * %u / amax), clamped to %s) and the squared errors are "
                "averaged over all values. The least error wins; among ties, the smallest i.",
             w, e->s->sp.start_bin, t->bins - 1, bound, bound == 255 ? "[0, 255]" : "[-127, 127]");
        if (r->res.fallback) {
            wrap(3, "Here: %s.", r->res.message);
            return;
        }
        printf("     %-16s i = %u, T = (%u + 0.5) x %.6g = %.9g\n", "chosen", r->res.i, r->res.i, w,
               r->res.threshold);
        printf("     %-16s %.6g (RMS %.6g, step T/%u = %.6g)\n", "mean sq. error", r->res.kl, sqrt(r->res.kl), bound,
               r->res.threshold / bound);
    } else {
        heading(e, "3. The maximum");
        wrap(3, "Max: the threshold is A itself, so nothing is clipped, but one outlier decides the step for all "
                "values: T / %u = %.6g.",
             r->mode == VKC_MODE_UNSIGNED || r->mode == VKC_MODE_ASYMMETRIC ? 255 : 127,
             r->q.scale);
        uint64_t cum = 0;
        uint32_t med = 0;
        for (; med < t->bins; med++) {
            cum += t->hist[med];
            if (cum * 2 >= total) break;
        }
        double mv = (med + 1) * w;
        wrap(3, "Half of the values have |x| below %.4g, which uses only codes up to %.0f of %d.", mv,
             ceil(mv / r->q.scale), r->q.is_unsigned || r->mode == VKC_MODE_ASYMMETRIC ? 255 : 127);
    }
}

/* The MSE of every candidate, for the plot (double; the search itself uses
 * exact integers). */
static double *mse_curve(const rv_tensor *t, uint32_t start, uint32_t bound, uint32_t *n)
{
    *n = t->bins > start ? t->bins - start : 0;
    if (!*n) return NULL;
    double *v = malloc(*n * sizeof *v), w = width_bin(t);
    uint64_t total = 0;
    for (uint32_t j = 0; j < t->bins; j++) total += t->hist[j];
    for (uint32_t k = 0; v && k < *n; k++) {
        double amax = (start + k + 0.5) * w, s = 0;
        for (uint32_t j = 0; j < t->bins; j++) {
            if (!t->hist[j]) continue;
            double c = (j + 0.5) * w, q = nearbyint(c * bound / amax);
            if (q > bound) q = bound;
            double d = q * amax / bound - c;
            s += (double)t->hist[j] * d * d;
        }
        v[k] = total ? s / (double)total : NAN;
    }
    return v;
}

static void section_mse_curve(const ex *e, const rv_range *r)
{
    const rv_tensor *t = e->t;
    heading(e, "4. Error of every candidate");
    uint32_t start = e->s->sp.start_bin, n;
    double *v = mse_curve(t, start, r->mode == VKC_MODE_UNSIGNED ? 255 : 127, &n);
    if (!v) {
        wrap(3, "No candidates.");
        return;
    }
    wrap(3, "Mean squared error for i = %u..%u (least per column), log scale: lower is better.", start,
         t->bins - 1);
    putchar('\n');
    char m[80];
    snprintf(m, sizeof m, "least error: i = %u, T = %.6g", r->res.i, r->res.threshold);
    plot_curve(e, v, n, start, 1, r->res.i, m, 0, NULL);
    free(v);
}

static void section_scale(const ex *e, const rv_range *r)
{
    const rv_tensor *t = e->t;
    char name[1024];
    safe_name(e, t->name, name, sizeof name);
    heading(e, "5. Threshold and scale");
    if (r->mode == VKC_MODE_SYMMETRIC) {
        /* What a cache holds: the float32 of T / 127 (T is already at
         * least VKC_AMAX_FLOOR, the cache writer's floor). */
        float sc = (float)r->q.scale;
        uint32_t bits;
        memcpy(&bits, &sc, 4);
        int centre = r->method == VKC_METHOD_ENTROPY && e->s->sp.flavor == VKC_FLAVOR_TENSORRT;
        printf("     %-12s T = %.9g (bin edge i = %u%s)\n", "threshold", r->res.threshold, r->res.i,
               centre || r->method == VKC_METHOD_MSE ? ", + half a bin" : "");
        printf("     %-12s T / 127 = %.9g (float32 0x%08x)\n", "scale", r->q.scale, bits);
        if (width_of(name, strlen(name)) <= WIDTH - 28) printf("     %-12s %s: %08x\n", "cache line", name, bits);
        else wrap(5, "cache line: %s: %08x", name, bits);
        printf("     %-12s q = clamp(round(x / scale), -127, 127); x ~ q x scale\n", "quantize");
        wrap(3, "The scale is what a TensorRT calibration cache stores: the IEEE-754 bits of the float32 T / 127 "
                "as 8 hex digits, one line per tensor. `vkcalib calibrate` writes the same line.");
        if (r->q.floored) wrap(3, "The range was raised to the floor 2^-24 (an all-zero tensor).");
    } else {
        printf("     %-12s [%.9g, %.9g]%s\n", "range", r->q.lo, r->q.hi,
               r->mode == VKC_MODE_UNSIGNED ? " (uint8)" : " (int8)");
        if (r->mode == VKC_MODE_UNSIGNED)
            printf("     %-12s T = %.9g (bin edge i = %u%s)\n", "threshold", r->res.threshold, r->res.i,
                   (r->method == VKC_METHOD_ENTROPY && e->s->sp.flavor == VKC_FLAVOR_TENSORRT) ||
                           r->method == VKC_METHOD_MSE
                       ? ", + half a bin"
                       : "");
        printf("     %-12s %s = %.9g (float32 0x%08x)\n", "scale",
               r->mode == VKC_MODE_UNSIGNED ? "T / 255" : "(hi - lo) / 255", r->q.scale,
               cli_f32_bits((float)r->q.scale));
        printf("     %-12s %d\n", "zero point", r->q.zero_point);
        printf("     %-12s q = clamp(round(x / scale) + %d, %d, %d)\n", "quantize", r->q.zero_point,
               r->quant.qmin, r->quant.qmax);
        wrap(3, "A TensorRT cache holds symmetric ranges only: `vkcalib calibrate --mode %s` writes this range "
                "to JSON, or its symmetric envelope max(|lo|, |hi|) = %.6g to a cache with --envelope.",
             vkc_mode_name(r->mode), fmax(fabs(r->q.lo), fabs(r->q.hi)));
    }
}

static void fmt_db(char *out, size_t size, const rv_range *r, int est)
{
    double v = rv_sqnr(r);
    if (isnan(v)) snprintf(out, size, "n/a");
    else if (isinf(v)) snprintf(out, size, "%sinf", v < 0 ? "-" : "");
    else snprintf(out, size, "%s%.2f", est ? "~" : "", v);
}

static void range_row(const ex *e, const char *label, const rv_range *r, int chosen)
{
    char rng[64], db[32], cl[32];
    snprintf(rng, sizeof rng, "[%.6g, %.6g]", r->q.lo, r->q.hi);
    fmt_db(db, sizeof db, r, e->s->quality == RV_Q_ESTIMATED);
    double c = rv_clipped_pct(r);
    if (isnan(c)) snprintf(cl, sizeof cl, "n/a");
    else snprintf(cl, sizeof cl, "%.3f%%", c);
    printf("   %s%-27s %-27s %8s %9s%s\n", chosen ? col(e, BOLD) : "", label, rng, db, cl,
           chosen ? col(e, RESET) : "");
}

/* Codes a range reaches on [min, max]. */
static void codes_used(const rv_range *r, const vkc_stats *st, int *lo, int *hi)
{
    double a = nearbyint((double)st->min / r->q.scale) + r->q.zero_point;
    double b = nearbyint((double)st->max / r->q.scale) + r->q.zero_point;
    *lo = (int)fmax(a, r->quant.qmin);
    *hi = (int)fmin(b, r->quant.qmax);
}

static void section_symmetric(const ex *e, const rv_range *r)
{
    const rv_tensor *t = e->t;
    int nn = t->st.min >= 0;
    heading(e, "6. Why symmetric, and what it costs here");
    wrap(3, "TensorRT's int8 is symmetric: zero point 0, range [-T, T], codes -127..127 (255 codes; -128 is not "
            "used). A zero point of 0 keeps integer convolutions and matrix products free of correction terms, "
            "so activations and weights both use it.");
    const rv_range *sym = cell_of(t, r->method, RV_SYM);
    if (!(t->st.absmax > 0)) {
        wrap(3, "This tensor is all zeros: every range represents it exactly (code 0), so nothing is lost "
                "whichever range is used.");
        return;
    }
    if (sym) {
        int lo, hi;
        codes_used(sym, &t->st, &lo, &hi);
        if (nn)
            wrap(3, "This tensor is never negative, so codes -127..-1, half of them, are never used: the values "
                    "get codes %d..%d, %d of 255, about 7 bits instead of 8.",
                 lo, hi, hi - lo + 1);
        else
            wrap(3, "On this tensor's [%.4g, %.4g] the symmetric range [-%.4g, %.4g] reaches codes %d..%d, %d of "
                    "255.",
                 (double)t->st.min, (double)t->st.max, sym->q.hi, sym->q.hi, lo, hi, hi - lo + 1);
    }
    if (e->s->quality == RV_Q_NONE) {
        wrap(3, "(SQNR not measured: --no-measure.)");
    } else {
        wrap(3, "SQNR = 10 log10(sum x^2 / sum (x - q(x))^2) over every value, %s; higher is better, and 6.02 dB "
                "is one bit.",
             e->s->quality == RV_Q_MEASURED ? "measured by fake-quantizing the tensor at each range"
                                            : "estimated from the histogram (~: every value at its bin centre)");
    }
    putchar('\n');
    printf("   %-27s %-27s %8s %9s\n", "range", "[lo, hi]", "SQNR dB", "clipped");
    char lab[64], ms[24];
    rv_method_short(e->s, r->method, ms, sizeof ms);
    if (sym) {
        snprintf(lab, sizeof lab, "symmetric, %s%s", ms, e->kind == RV_SYM ? " (cache)" : "");
        range_row(e, lab, sym, e->kind == RV_SYM);
    }
    const rv_range *smax = cell_of(t, VKC_METHOD_MAX, RV_SYM);
    if (smax && r->method != VKC_METHOD_MAX) range_row(e, "symmetric, max", smax, 0);
    if (nn) {
        if (e->same_t_unsigned >= 0 && r->method != VKC_METHOD_MAX)
            range_row(e, "unsigned, same T", &t->r[e->same_t_unsigned], 0);
        const rv_range *u = cell_of(t, r->method, RV_ALT);
        if (u) {
            snprintf(lab, sizeof lab, "unsigned, %s%s", ms, r->method == VKC_METHOD_ENTROPY ? " u8" : "");
            range_row(e, lab, u, e->kind == RV_ALT && r->mode == VKC_MODE_UNSIGNED);
        }
        const rv_range *umax = cell_of(t, VKC_METHOD_MAX, RV_ALT);
        if (umax && r->method != VKC_METHOD_MAX) range_row(e, "unsigned, max", umax, 0);
        if (e->asym_nonneg >= 0)
            range_row(e, "asymmetric [min, max]", &t->r[e->asym_nonneg], r->mode == VKC_MODE_ASYMMETRIC);
    } else {
        const rv_range *a = cell_of(t, VKC_METHOD_MAX, RV_ALT);
        if (a) range_row(e, "asymmetric [min, max]", a, r->mode == VKC_MODE_ASYMMETRIC && r->method == VKC_METHOD_MAX);
    }
    /* The two-sided searches: what calibrate --mode asymmetric writes. */
    static const vkc_method two[2] = {VKC_METHOD_ENTROPY, VKC_METHOD_MSE};
    for (int k = 0; k < 2; k++) {
        const rv_range *a = cell_of(t, two[k], RV_ASYM);
        if (!a) continue;
        snprintf(lab, sizeof lab, "asymmetric, %s%s", vkc_method_name(two[k]),
                 t->sbins != t->bins ? "" : "");
        range_row(e, lab, a, e->kind == RV_ASYM && r->method == two[k]);
    }
    putchar('\n');
    const rv_range *u = nn ? cell_of(t, r->method, RV_ALT) : NULL;
    if (nn && sym && u && e->s->quality != RV_Q_NONE && isfinite(rv_sqnr(u) - rv_sqnr(sym))) {
        wrap(3, "Unsigned [0, T] (uint8, zero point 0, codes 0..255) spends every code on the values: %+.2f dB "
                "at the %s threshold%s. `vkcalib calibrate --mode auto` writes it for never-negative tensors (JSON; "
                "a TensorRT cache holds symmetric ranges only). Asymmetric [min, max] is the same grid here, since "
                "the range is widened to include 0.",
             rv_sqnr(u) - rv_sqnr(sym), ms,
             r->method == VKC_METHOD_ENTROPY ? " (the entropy search re-run with 256 levels)" : "");
    } else if (!nn) {
        const rv_range *a = cell_of(t, VKC_METHOD_MAX, RV_ALT);
        wrap(3, "Unsigned ranges do not apply: the tensor has negative values (min %g), which would all clip to "
                "0.",
             (double)t->st.min);
        if (a && smax && a->qk != RV_Q_NONE && e->s->quality != RV_Q_NONE && isfinite(rv_sqnr(a) - rv_sqnr(smax)))
            wrap(3, "Asymmetric [min, max] (a zero point of %d, 256 codes over the actual range) against symmetric "
                    "[-A, A], both without clipping: %+.2f dB. The more lopsided the range, the more it gains; the "
                    "two-sided entropy and MSE searches (`--mode asymmetric`) also choose where to clip on each "
                    "side.",
                 a->q.zero_point, rv_sqnr(a) - rv_sqnr(smax));
        else if (a && a->qk == RV_Q_NONE)
            wrap(3, "The asymmetric range needs the signed values, which a JSON histogram of |x| does not keep: "
                    "run explain on the calibration set to measure it.");
    }
}

/* ---- the two-sided searches (mode asymmetric) ---------------------------- */

/* Bin edge k of the histogram of x. */
static double sedge(const rv_tensor *t, uint32_t k)
{
    if (k >= t->sbins) return t->shi;
    return (double)k * (((double)t->shi - (double)t->slo) / t->sbins) + (double)t->slo;
}

/* The histogram of x on its own axis [slo, shi], with the window [lo, hi]
 * marked and the clipped columns red. */
static void plot_signed(const ex *e, double lo, double hi)
{
    const rv_tensor *t = e->t;
    uint64_t sum[COLS] = {0}, cmax = 0;
    for (uint32_t j = 0; j < t->sbins; j++) sum[(uint64_t)j * COLS / t->sbins] += t->shist[j];
    for (int c = 0; c < COLS; c++) cmax = sum[c] > cmax ? sum[c] : cmax;
    const double span = (double)t->shi - (double)t->slo, lmax = log10(1.0 + (double)cmax);
    int h[COLS];
    const char *colour[COLS];
    int clo = span > 0 ? (int)floor((lo - t->slo) / span * COLS) : 0, chi = span > 0 ? (int)floor((hi - t->slo) / span * COLS) : COLS - 1;
    if (clo < 0) clo = 0;
    if (chi >= COLS) chi = COLS - 1;
    for (int c = 0; c < COLS; c++) {
        h[c] = sum[c] && lmax > 0 ? (int)lround(log10(1.0 + (double)sum[c]) / lmax * ROWS * 8) : 0;
        if (sum[c] && h[c] < 1) h[c] = 1;
        colour[c] = c < clo || c > chi ? RED : CYAN;
    }
    char top[32], bot[32] = "1";
    short_count(top, sizeof top, (double)cmax);
    if (!cmax) snprintf(bot, sizeof bot, "0");
    draw_bars(e, h, colour, top, bot);
    char a[32], m[32], z[48], line[96];
    snprintf(a, sizeof a, "%.4g", (double)t->slo);
    snprintf(m, sizeof m, "%.4g", ((double)t->slo + t->shi) / 2);
    snprintf(z, sizeof z, "%.4g = x", (double)t->shi);
    memset(line, ' ', sizeof line);
    int base = 13, mid = base + COLS / 2 - (int)strlen(m) / 2, end = base + COLS - (int)strlen(z);
    memcpy(line + base - 1, a, strlen(a));
    if (mid > base + (int)strlen(a)) memcpy(line + mid, m, strlen(m));
    if (end < mid + (int)strlen(m) + 1) end = mid + (int)strlen(m) + 1;
    memcpy(line + end, z, strlen(z));
    line[end + (int)strlen(z)] = 0;
    puts(line);
    char lm[64], hm[64];
    snprintf(lm, sizeof lm, "lo = %.6g", lo);
    snprintf(hm, sizeof hm, "hi = %.6g", hi);
    draw_marker(e, clo, "\xe2\x96\xb2", "^", lm, GREEN);
    draw_marker(e, chi, "\xe2\x96\xb2", "^", hm, GREEN);
}

static void section_signed_hist(const ex *e, const rv_range *r)
{
    const rv_tensor *t = e->t;
    const double w = ((double)t->shi - (double)t->slo) / t->sbins;
    heading(e, "2. Histogram of x");
    wrap(3, "A two-sided range needs the signs: the second pass puts x itself into %u bins of width %.6g over "
            "[%.6g, %.6g], the tensor's [min, max] widened to include 0 (every range is, so that 0 is exact): "
            "bin = min(floor((x - lo) * %u / (hi - lo)), %u), in float32 on every device. Below, red: what the "
            "chosen range [%.6g, %.6g] clips.",
         t->sbins, w, (double)t->slo, (double)t->shi, t->sbins, t->sbins - 1, r->q.lo, r->q.hi);
    putchar('\n');
    plot_signed(e, r->q.lo, r->q.hi);
    uint64_t total = 0, left = 0, right = 0;
    for (uint32_t j = 0; j < t->sbins; j++) {
        total += t->shist[j];
        if (j < r->res.window_a) left += t->shist[j];
        if (j >= r->res.window_b) right += t->shist[j];
    }
    putchar('\n');
    wrap(3, "Left of the window (bins 0..%u): %llu values (%.4f%%); right of it (bins %u..%u): %llu (%.4f%%).",
         r->res.window_a ? r->res.window_a - 1 : 0, (unsigned long long)left,
         total ? 100.0 * (double)left / (double)total : 0.0, r->res.window_b, t->sbins - 1,
         (unsigned long long)right, total ? 100.0 * (double)right / (double)total : 0.0);
}

/* The bin that holds 0 (the search's zero bin), by the histogram pass's
 * float32 rule. */
static uint32_t zero_bin_of(const rv_tensor *t)
{
    if (!(t->slo < 0)) return 0;
    if (!(t->shi > 0)) return t->sbins - 1;
    vkc_hist_spec sp = {VKC_HIST_SIGNED, t->sbins, t->slo, t->shi};
    float x = (0.0f - t->slo) * vkc_hist_inv(&sp);
    return x > 0.0f ? (x < (float)t->sbins ? (uint32_t)x : t->sbins - 1) : 0;
}

static void section_two_sided(const ex *e, const rv_range *r)
{
    const rv_tensor *t = e->t;
    const uint32_t n = t->sbins, a = r->res.window_a, b = r->res.window_b, z = zero_bin_of(t);
    if (r->method == VKC_METHOD_ENTROPY) {
        heading(e, "3. Every window that holds 0");
        wrap(3, "Two-sided entropy tries every window of bins (a, b) at least %u bins wide that holds the bin of 0 "
                "(bin %u; a window without it would be widened to 0 anyway), and compares two distributions over "
                "it:",
             e->s->sp.start_bin ? e->s->sp.start_bin : 128, z);
        wrap(5, "P = the window's counts, with the values left of it added to its first bin and those right of it to "
                "its last;");
        wrap(5, "Q = what 256 int8 codes over the window can express: its bins merged into 256 levels, each level's "
                "count spread over its non-empty bins.");
        wrap(3, "The least KL(P||Q) wins; among ties, the widest window. Before the search the bin of 0 takes its "
                "neighbours' count (%s), as bin 0 takes bin 1's in the one-sided search: exact zeros (a ReLU's, a "
                "hard-swish's) would otherwise outweigh the rest.",
             z == 0 || z == n - 1 ? "its one neighbour's" : "their mean");
        if (t->st.min >= 0)
            wrap(3, "This tensor is never negative: every window starts at 0, and each is the unsigned search's "
                    "candidate with the same P, Q and KL, so the range is the unsigned entropy range.");
        if (r->res.fallback) {
            wrap(3, "Here no window has a finite KL (%s): the range is the histogram's.", r->res.message);
            return;
        }
        printf("\n   The chosen window, %sbins %u..%u%s:\n", col(e, BOLD), a, b - 1, col(e, RESET));
        printf("     %-16s [edge %u, edge %u] = [%.9g, %.9g]\n", "range", a, b, sedge(t, a), sedge(t, b));
        printf("     %-16s %.6g (%llu windows searched, %llu infinite)\n", "KL(P||Q)", r->res.kl,
               (unsigned long long)r->res.candidates, (unsigned long long)r->res.inf_candidates);
    } else if (r->method == VKC_METHOD_MSE) {
        heading(e, "3. Every window, by its error");
        wrap(3, "Two-sided MSE tries every window (a, b) at least %u bins wide: the range [edge a, edge b], widened "
                "to include 0, with 256 codes and a zero point; every bin's centre is fake-quantized on that grid "
                "and the squared errors averaged over all values. The least error wins; among ties, the widest.",
             e->s->sp.start_bin ? e->s->sp.start_bin : 128);
        if (r->res.fallback) {
            wrap(3, "Here: %s.", r->res.message);
            return;
        }
        printf("\n   The chosen window, %sbins %u..%u%s:\n", col(e, BOLD), a, b - 1, col(e, RESET));
        printf("     %-16s [%.9g, %.9g]\n", "range", r->q.lo, r->q.hi);
        printf("     %-16s %.6g (RMS %.6g, step %.6g)\n", "mean sq. error", r->res.kl, sqrt(r->res.kl), r->q.scale);
    }
    heading(e, "4. Why no curve here");
    wrap(3, "A one-sided search has one candidate per bin and a curve; a two-sided one has a candidate per window, "
            "%llu here, which no curve shows. `vkcalib report` plots the histogram of x with every method's window.",
         (unsigned long long)r->res.candidates);
}

/* ---- driving ------------------------------------------------------------ */

static int choose_kind(ex *e, const rv_tensor *t)
{
    vkc_mode m = e->mode_req;
    int nn = t->st.min >= 0;
    if (m == VKC_MODE_AUTO) m = nn ? VKC_MODE_UNSIGNED : VKC_MODE_SYMMETRIC;
    if (m == VKC_MODE_UNSIGNED && !nn) {
        snprintf(e->err, sizeof e->err, "--mode unsigned, but the tensor's minimum is %g (use auto or symmetric)",
                 (double)t->st.min);
        return -1;
    }
    if (m == VKC_MODE_ASYMMETRIC && e->method == VKC_METHOD_PERCENTILE) {
        snprintf(e->err, sizeof e->err, "--mode asymmetric supports --method entropy, mse or max");
        return -1;
    }
    /* The two-sided searches (max keeps its own section, as before). */
    if (m == VKC_MODE_ASYMMETRIC && e->method != VKC_METHOD_MAX) {
        if (!t->shist) {
            snprintf(e->err, sizeof e->err, "--mode asymmetric needs the histogram of x, which a histogram of |x| "
                     "of a signed tensor does not give: explain the calibration set, or a JSON of mode asymmetric");
            return -1;
        }
        return RV_ASYM;
    }
    if (!t->hist) {
        snprintf(e->err, sizeof e->err, "the input holds a histogram of x (mode asymmetric) of this signed tensor: "
                 "explain it with --mode asymmetric, or give the calibration set");
        return -1;
    }
    return m == VKC_MODE_SYMMETRIC ? RV_SYM : RV_ALT;
}

/* A JSON's own method and mode are the defaults. */
static void resolve_defaults(ex *e)
{
    if (!e->s || !e->s->from_json) return;
    if (!e->have_method && e->s->json_have_method) e->method = e->s->json_method;
    if (!e->have_mode && e->s->json_have_mode) e->mode_req = e->s->json_mode;
}

/* After the searches: the extra ranges section 6 measures. */
static void add_extras(rv_tensor *t, void *user)
{
    ex *e = user;
    resolve_defaults(e);
    e->same_t_unsigned = e->asym_nonneg = -1;
    if (t->st.min < 0) return;
    const rv_range *sym = cell_of(t, e->method, RV_SYM);
    if (sym) e->same_t_unsigned = rv_add_range(t, e->method, VKC_MODE_UNSIGNED, &sym->res, 0.0, sym->q.hi, "same T");
    vkc_search_result r;
    memset(&r, 0, sizeof r);
    r.i = t->bins;
    r.threshold = t->st.max;
    e->asym_nonneg = rv_add_range(t, VKC_METHOD_MAX, VKC_MODE_ASYMMETRIC, &r, t->st.min, t->st.max, "asymmetric");
    if (e->asym_nonneg >= 0) t->r[e->asym_nonneg].res.threshold = t->r[e->asym_nonneg].q.hi;
}

static int utf8_locale(void)
{
    setlocale(LC_CTYPE, "");
    const char *cs = nl_langinfo(CODESET);
    return cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf-8") || !strcmp(cs, "utf8"));
}

int cmd_explain(int argc, char **argv)
{
    rv_options o;
    rv_options_init(&o);
    ex e;
    memset(&e, 0, sizeof e);
    e.mode_req = VKC_MODE_SYMMETRIC;
    const char *tensor = NULL;
    int ascii = 0, color = -1;
    char **inputs = malloc((size_t)argc * sizeof *inputs);
    int ninputs = 0;
    if (!inputs) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(kHelp, stdout);
            free(inputs);
            return 0;
        }
        int r = rv_parse_option(argc, argv, &i, &o, "explain");
        if (r < 0) goto usage;
        if (r) continue;
        if (!strcmp(a, "--ascii")) { ascii = 1; continue; }
        if (!strcmp(a, "--color")) { color = 1; continue; }
        if (!strcmp(a, "--no-color")) { color = 0; continue; }
        if (!strcmp(a, "--tensor") || !strcmp(a, "--method") || !strcmp(a, "--mode")) {
            if (i + 1 >= argc) {
                cli_error("explain: %s needs a value", a);
                goto usage;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "--tensor")) tensor = v;
            else if (!strcmp(a, "--method")) {
                if (!vkc_method_parse(v, &e.method)) {
                    cli_error("--method: entropy, percentile, mse or max, not %s", v);
                    goto usage;
                }
                e.have_method = 1;
            } else {
                if (!vkc_mode_parse(v, &e.mode_req)) {
                    cli_error("--mode: symmetric, unsigned, asymmetric or auto, not %s", v);
                    goto usage;
                }
                e.have_mode = 1;
            }
            continue;
        }
        if (!strncmp(a, "--tensor=", 9)) { tensor = a + 9; continue; }
        if (a[0] == '-' && strcmp(a, "-") != 0) {
            cli_error("explain: unknown option %s (see --help)", a);
            goto usage;
        }
        inputs[ninputs++] = argv[i];
    }
    if (!ninputs) {
        cli_error("explain: give the calibration set (or a JSON with histograms) and --tensor NAME (see --help)");
        goto usage;
    }
    e.utf8 = !ascii && utf8_locale();
    const char *nc = getenv("NO_COLOR");
    e.color = color >= 0 ? color : isatty(1) && !(nc && *nc);
    /* A JSON's own method and mode are the defaults: the model is read in
     * rv_build, so they are resolved in the callback (the extras depend on
     * the method) and again after it. */
    vkc_context *ctx = cli_open_context(&o.co.dev, o.co.quiet);
    if (!ctx) {
        free(inputs);
        return 1;
    }
    rv_set set;
    e.s = &set;
    /* Without --tensor: the only tensor, else the list ("" asks for that). */
    /* The histogram of x: --bins when the two-sided search is the one
     * explained, else at most 256 bins (the asymmetric rows of the table
     * cost O(bins^2) windows). */
    const uint32_t bins = o.co.ci.bins ? o.co.ci.bins : 2048; /* 0: the flavour's default */
    if (!o.asym_bins)
        o.asym_bins = e.mode_req == VKC_MODE_ASYMMETRIC || bins < RV_REPORT_ASYM_BINS ? bins : RV_REPORT_ASYM_BINS;
    int ok = rv_build(ctx, inputs, ninputs, &o, tensor ? tensor : "", add_extras, &e, &set);
    free(inputs);
    if (!ok) {
        cli_close_context(ctx);
        return rv_last_usage_error() ? 2 : 1;
    }
    const rv_tensor *t = &set.t[0];
    e.t = t;
    resolve_defaults(&e);
    e.kind = choose_kind(&e, t);
    if (e.kind < 0) {
        cli_error("tensor '%s': %s", t->name, e.err);
        rv_free(&set);
        cli_close_context(ctx);
        return 2;
    }
    e.chosen = t->cell[e.method][e.kind];
    /* A never-negative tensor's ALT cell is unsigned; asymmetric asked for
     * is the extra [min, max] range (the same grid, zero point -128). */
    if (e.mode_req == VKC_MODE_ASYMMETRIC && t->st.min >= 0) e.chosen = e.asym_nonneg;
    if (e.chosen < 0) {
        cli_error("tensor '%s': no %s %s range", t->name, vkc_method_name(e.method),
                  e.kind == RV_SYM ? "symmetric" : "unsigned/asymmetric");
        rv_free(&set);
        cli_close_context(ctx);
        return 1;
    }
    const rv_range *r = &t->r[e.chosen];
    const rv_range *entropy = cell_of(t, VKC_METHOD_ENTROPY, e.kind == RV_ALT && t->st.min >= 0 ? RV_ALT : RV_SYM);
    int kl_kind = entropy == cell_of(t, VKC_METHOD_ENTROPY, RV_ALT) && entropy ? RV_ALT : RV_SYM;
    fflush(stderr);

    char name[1024];
    safe_name(&e, t->name, name, sizeof name);
    char title[1100];
    snprintf(title, sizeof title, "vkcalib explain: %s", name);
    if (width_of(title, strlen(title)) <= WIDTH) printf("%s%s%s\n", col(&e, BOLD), title, col(&e, RESET));
    else wrap(0, "%s", title);
    char ms[24];
    rv_method_short(&set, r->method, ms, sizeof ms);
    wrap(0, "Method %s%s, %s range (%s%s), %u bins, %llu values. Device: %s.", ms,
         r->method == VKC_METHOD_ENTROPY ? " (KL divergence, NVIDIA's reference algorithm)" : "",
         vkc_mode_name(r->mode), r->q.is_unsigned ? "uint8" : "int8",
         r->mode == VKC_MODE_SYMMETRIC ? ", what TensorRT uses" : "", t->bins,
         (unsigned long long)(t->st.count + t->st.nan + t->st.pos_inf + t->st.neg_inf),
         vkc_context_device_name(ctx));

    section_range(&e);
    int save_kind = e.kind;
    if (e.kind == RV_ASYM) {
        section_signed_hist(&e, r);
        section_two_sided(&e, r);
        section_scale(&e, r);
        section_symmetric(&e, r);
        goto done;
    }
    section_hist(&e, r->res.threshold);
    e.kind = kl_kind;
    if (r->method == VKC_METHOD_ENTROPY) {
        section_candidates(&e, r);
        section_kl_curve(&e, r, r);
    } else {
        section_other_method(&e, r);
        if (r->method == VKC_METHOD_MSE) section_mse_curve(&e, r);
        else if (entropy) section_kl_curve(&e, r, entropy);
    }
    e.kind = save_kind;
    section_scale(&e, r);
    section_symmetric(&e, r);
done:;
    int rc = fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
    if (rc) cli_error("writing to standard output failed");
    rv_free(&set);
    cli_close_context(ctx);
    return rc;
usage:
    free(inputs);
    return 2;
}
