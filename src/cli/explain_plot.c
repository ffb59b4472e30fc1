/* The terminal side of `vkcalib explain`: text wrapped at WIDTH columns,
 * headings, tensor names made safe for a terminal, and the plots drawn in
 * block characters (the |x| histogram, a curve over the candidates, the
 * histogram of x). See explain.h. */
#include "explain.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

const char *ex_col(const ex *e, const char *code)
{
    return e->color ? code : "";
}

/* Display width of UTF-8 text: one column per code point. */
int ex_width_of(const char *s, size_t n)
{
    int w = 0;
    for (size_t k = 0; k < n; k++)
        if (((unsigned char)s[k] & 0xc0) != 0x80) w++;
    return w;
}

/* Prints text wrapped at WIDTH with indent spaces before every line; words
 * longer than a line (long tensor names) are split. */
void ex_wrap(int indent, const char *fmt, ...)
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
        int w = ex_width_of(p, (size_t)(e - p));
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
            w -= ex_width_of(p, (size_t)(q - p));
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
void ex_safe_name(const ex *e, const char *name, char *out, size_t size)
{
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p && k + 1 < size; p++) {
        unsigned c = *p;
        out[k++] = c < 0x20 || c == 0x7f || (c >= 0x80 && !e->utf8) ? '?' : (char)c;
    }
    out[k] = 0;
}

void ex_heading(const ex *e, const char *text)
{
    printf("\n%s%s%s\n", ex_col(e, BOLD), text, ex_col(e, RESET));
    int w = ex_width_of(text, strlen(text));
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
    if (x + 2 + tw <= 79) printf("%*s%s%s %s%s\n", x, "", ex_col(e, colour), g, text, ex_col(e, RESET));
    else {
        int pad = x - tw - 1;
        if (pad < 0) pad = 0;
        printf("%*s%s%s %s%s\n", pad, "", ex_col(e, colour), text, g, ex_col(e, RESET));
    }
}

void ex_plot_hist(const ex *e, double T)
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
void ex_plot_curve(const ex *e, const double *v, uint32_t nv, uint32_t start, uint32_t stride, uint32_t mark_i,
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


/* The histogram of x on its own axis [slo, shi], with the window [lo, hi]
 * marked and the clipped columns red. */
void ex_plot_signed(const ex *e, double lo, double hi)
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
