/* calibrate's summary and --strict (summary.h). */
#include "summary.h"
#include "cli.h"

#include <stdio.h>
#include <string.h>

/* A name cut to w display columns from its end ("..tail"), whole UTF-8
 * characters only. */
static void cut_name(const char *name, int w, char *out, size_t size)
{
    int cols = 0;
    for (const char *p = name; *p; p++) cols += ((unsigned char)*p & 0xc0) != 0x80;
    if (cols <= w || w < 3) {
        snprintf(out, size, "%s", name);
        return;
    }
    const char *p = name;
    for (int skip = cols - (w - 2); skip > 0 && *p;) {
        p++;
        while (((unsigned char)*p & 0xc0) == 0x80) p++;
        skip--;
    }
    snprintf(out, size, "..%s", p);
}

static int flagged(const vkc_tensor_result *r)
{
    return (r->warnings & (VKC_WARNING_CLIPPED | VKC_WARNING_LOW_SQNR)) != 0;
}

/* A warning line of the summary, wrapped at cols (0: not wrapped). */
static void put_wrapped(FILE *out, int cols, const char *text)
{
    int avail = cols > 20 ? cols : 1 << 30, used = 0;
    const char *p = text;
    while (*p) {
        const char *e = p;
        while (*e && *e != ' ') e++;
        int w = (int)(e - p);
        if (used && used + 1 + w > avail) {
            fputs("\n   ", out);
            used = 3;
        } else if (used) {
            fputc(' ', out);
            used++;
        }
        fwrite(p, 1, (size_t)(e - p), out);
        used += w;
        p = *e ? e + 1 : e;
    }
    fputc('\n', out);
}

/* The summary table, sized to the terminal (or $COLUMNS) when there is one:
 * a narrower layout rather than lines that wrap; then the tensors the guards
 * flagged and the ones left out. */
void calib_print_summary(FILE *out, const vkc_calibration *cal, const calib_options *o)
{
    const int measure = o->ci.measure;
    const uint32_t n = vkc_calibration_count(cal);
    int w = 6, methods = 0;
    for (uint32_t t = 0; t < n; t++) {
        const vkc_tensor_result *r = vkc_calibration_tensor(cal, t);
        int l = 0;
        for (const char *p = r->name; *p; p++) l += ((unsigned char)*p & 0xc0) != 0x80;
        w = l > w ? l : w;
        methods |= r->method != o->ci.method;
    }
    if (w > 40) w = 40;
    const int cols = cli_columns(out);
    /* Full: 5 columns of 12, mode 10, method 10 (with per-tensor methods),
     * SQNR and clipped 18. Narrow: 4 of 10 and no element count. */
    const int full = 5 * 13 + 11 + (methods ? 11 : 0) + (measure ? 18 : 0) + 2;
    const int narrow = cols && w + full > cols;
    /* Narrow: 4 numbers of 9, mode and method abbreviated in one column. */
    static const char *const mode_short[] = {"sym", "u8", "asym", "auto"};
    static const char *const method_short[] = {"ent", "pct", "mse", "max"};
    const int nw = narrow ? 9 : 12, prec = narrow ? 4 : 6;
    if (narrow) {
        w = cols - (4 * (nw + 1) + 9 + (measure ? 18 : 0) + 2);
        if (w < 8) w = 8;
        if (w > 40) w = 40;
    }
    fprintf(out, "%-*s", w, "tensor");
    if (!narrow) fprintf(out, " %*s", nw, "elements");
    fprintf(out, " %*s %*s %*s %*s", nw, "min", nw, "max", nw, "threshold", nw, "scale");
    if (narrow) fprintf(out, " %-*s", measure ? 8 : 0, "mode");
    else if (methods) fprintf(out, " %-10s %-*s", "mode", measure ? 10 : 0, "method");
    else fprintf(out, " %-*s", measure ? 10 : 0, "mode");
    fprintf(out, "%s\n", measure ? "  SQNR dB  clipped" : "");
    uint32_t nflag = 0, nfall = 0;
    for (uint32_t t = 0; t < n; t++) {
        const vkc_tensor_result *r = vkc_calibration_tensor(cal, t);
        const vkc_stats *st = &r->stats;
        char shown[256];
        cut_name(r->name, w, shown, sizeof shown);
        int pad = w;
        for (const char *p = shown; *p; p++) pad -= ((unsigned char)*p & 0xc0) != 0x80;
        fprintf(out, "%s%*s", shown, pad > 0 ? pad : 0, "");
        if (!narrow)
            fprintf(out, " %*llu", nw, (unsigned long long)(st->count + st->nan + st->pos_inf + st->neg_inf));
        fprintf(out, " %*.*g %*.*g %*.*g %*.*g", nw, prec, (double)st->min, nw, prec, (double)st->max, nw, prec,
                r->threshold, nw, prec, r->scale);
        if (narrow) {
            char mm[16];
            snprintf(mm, sizeof mm, "%s%s%s", mode_short[r->mode & 3], methods ? " " : "",
                     methods ? method_short[r->method & 3] : "");
            fprintf(out, " %-*s", measure ? 8 : 0, mm);
        } else {
            /* The last column unpadded: no trailing blanks. */
            const int last = !measure;
            if (methods) fprintf(out, " %-10s %-*s", vkc_mode_name(r->mode), last ? 0 : 10, vkc_method_name(r->method));
            else fprintf(out, " %-*s", last ? 0 : 10, vkc_mode_name(r->mode));
        }
        if (measure)
            fprintf(out, " %8.2f  %6.3f%%", vkc_quality_sqnr_db(&r->quality),
                    r->quality.count ? 100.0 * (double)r->quality.clipped / (double)r->quality.count : 0.0);
        nflag += flagged(r);
        nfall += r->search.fallback != 0;
        fprintf(out, "%s%s\n", r->search.fallback && !narrow ? " (fallback to max)" : "", flagged(r) ? " !" : "");
    }
    if (narrow && nfall) {
        char line[512];
        snprintf(line, sizeof line, "Fell back to the maximum (no usable candidate): %u tensor%s, see --verbose.",
                 nfall, nfall == 1 ? "" : "s");
        put_wrapped(out, cols, line);
    }
    for (uint32_t t = 0; t < n; t++) {
        const vkc_tensor_result *r = vkc_calibration_tensor(cal, t);
        if (!flagged(r)) continue;
        const vkc_guard *g = &r->guard;
        char line[1200], a[200] = "", b[300] = "";
        if (r->warnings & VKC_WARNING_CLIPPED)
            snprintf(a, sizeof a, "clips %.3g%% of its values (more than %.3g%%)", 100.0 * g->clipped,
                     100.0 * g->max_clipped);
        if (r->warnings & VKC_WARNING_LOW_SQNR)
            snprintf(b, sizeof b, "scores ~%.2f dB, %.2f dB below %s's ~%.2f dB ([%.6g, %.6g])", g->sqnr_db,
                     g->best_sqnr_db - g->sqnr_db, vkc_method_name(g->best_method), g->best_sqnr_db, g->best_lo,
                     g->best_hi);
        snprintf(line, sizeof line, "! '%s': %s's range [%.6g, %.6g] %s%s%s.", r->name, vkc_method_name(r->method),
                 r->lo, r->hi, a, a[0] && b[0] ? "; it " : "", b);
        put_wrapped(out, cols, line);
    }
    if (nflag) {
        char line[512];
        snprintf(line, sizeof line,
                 "! %u tensor%s flagged by the quality guards (SQNR and clipping estimated from the histograms; "
                 "--max-clipped, --max-sqnr-gap, --no-guards; --strict makes them errors).",
                 nflag, nflag == 1 ? "" : "s");
        put_wrapped(out, cols, line);
    }
    for (uint32_t k = 0; k < o->nskipped; k++) {
        char line[1200];
        snprintf(line, sizeof line, "skipped '%s': %s", o->skipped[k].name, o->skipped[k].reason);
        put_wrapped(out, cols, line);
    }
}

/* --strict: a guard's flag is an error, before anything is written. */
int calib_strict_ok(const vkc_calibration *cal, const calib_options *o)
{
    if (!o->strict) return 1;
    uint32_t bad = 0;
    for (uint32_t t = 0; t < vkc_calibration_count(cal); t++) {
        const vkc_tensor_result *r = vkc_calibration_tensor(cal, t);
        if (!flagged(r)) continue;
        if (!bad)
            cli_error("tensor '%s': flagged by the quality guards (--strict): %s%s%s", r->name,
                      r->warnings & VKC_WARNING_CLIPPED ? "clips too much" : "",
                      (r->warnings & VKC_WARNING_CLIPPED) && (r->warnings & VKC_WARNING_LOW_SQNR) ? ", " : "",
                      r->warnings & VKC_WARNING_LOW_SQNR ? "SQNR far below another method's" : "");
        bad++;
    }
    if (bad) {
        cli_error("%u tensor%s flagged; nothing written (drop --strict, or use --override for them)", bad,
                  bad == 1 ? "" : "s");
        calib_print_summary(stderr, cal, o);
    }
    return bad == 0;
}
