/* The sections of `vkcalib explain` that every walkthrough has, one-sided
 * or two-sided: 1, the range pass; 5, the threshold and scale that go into
 * the cache; 6, what the symmetric range costs against the others on this
 * tensor. See explain.h. */
#include "explain.h"

#include <math.h>
#include <string.h>

void ex_section_range(const ex *e)
{
    const rv_tensor *t = e->t;
    const vkc_stats *st = &t->st;
    uint64_t bad = st->nan + st->pos_inf + st->neg_inf;
    ex_heading(e, "1. Range pass");
    ex_wrap(3, "The first pass reads every value once and keeps its extremes. The histogram of the second pass needs "
               "them: it spans [0, A], A = absmax = max(|min|, |max|).");
    printf("     %-10s %-16.7g %-10s %.7g\n", "min", (double)st->min, "max", (double)st->max);
    printf("     %-10s %-16.7g %-10s %llu (%.2f%%)\n", "absmax A", (double)st->absmax, "zeros",
           (unsigned long long)st->zeros, st->count ? 100.0 * (double)st->zeros / (double)st->count : 0.0);
    printf("     %-10s %-16llu %-10s %llu NaN, %llu +Inf, %llu -Inf\n", "finite", (unsigned long long)st->count,
           "non-finite", (unsigned long long)st->nan, (unsigned long long)st->pos_inf,
           (unsigned long long)st->neg_inf);
    if (bad) ex_wrap(3, "The %llu non-finite values are left out (--exclude-nonfinite): they are neither binned nor "
                        "measured.", (unsigned long long)bad);
    if (st->min >= 0)
        ex_wrap(3, "The tensor is never negative (min %g), like the output of a ReLU%s.", (double)st->min,
                st->max <= 1.0f ? ", a sigmoid or a softmax" : "");
    else if (st->max <= 0)
        ex_wrap(3, "The tensor is never positive (max %g).", (double)st->max);
    else
        ex_wrap(3, "The tensor is signed: |min| / max = %.3g.", fabs((double)st->min) / (double)st->max);
    if (e->s->from_json)
        ex_wrap(3, "(Read from a JSON written with --histograms: the passes ran when it was written.)");
}

void ex_section_scale(const ex *e, const rv_range *r)
{
    const rv_tensor *t = e->t;
    char name[1024];
    ex_safe_name(e, t->name, name, sizeof name);
    ex_heading(e, "5. Threshold and scale");
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
        if (ex_width_of(name, strlen(name)) <= WIDTH - 28) printf("     %-12s %s: %08x\n", "cache line", name, bits);
        else ex_wrap(5, "cache line: %s: %08x", name, bits);
        printf("     %-12s q = clamp(round(x / scale), -127, 127); x ~ q x scale\n", "quantize");
        ex_wrap(3, "The scale is what a TensorRT calibration cache stores: the IEEE-754 bits of the float32 T / 127 "
                   "as 8 hex digits, one line per tensor. `vkcalib calibrate` writes the same line.");
        if (r->q.floored) ex_wrap(3, "The range was raised to the floor 2^-24 (an all-zero tensor).");
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
        ex_wrap(3, "A TensorRT cache holds symmetric ranges only: `vkcalib calibrate --mode %s` writes this range "
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
    printf("   %s%-27s %-27s %8s %9s%s\n", chosen ? ex_col(e, BOLD) : "", label, rng, db, cl,
           chosen ? ex_col(e, RESET) : "");
}

/* Codes a range reaches on [min, max]. */
static void codes_used(const rv_range *r, const vkc_stats *st, int *lo, int *hi)
{
    double a = nearbyint((double)st->min / r->q.scale) + r->q.zero_point;
    double b = nearbyint((double)st->max / r->q.scale) + r->q.zero_point;
    *lo = (int)fmax(a, r->quant.qmin);
    *hi = (int)fmin(b, r->quant.qmax);
}

void ex_section_symmetric(const ex *e, const rv_range *r)
{
    const rv_tensor *t = e->t;
    int nn = t->st.min >= 0;
    ex_heading(e, "6. Why symmetric, and what it costs here");
    ex_wrap(3, "TensorRT's int8 is symmetric: zero point 0, range [-T, T], codes -127..127 (255 codes; -128 is not "
               "used). A zero point of 0 keeps integer convolutions and matrix products free of correction terms, "
               "so activations and weights both use it.");
    const rv_range *sym = rv_cell(t, r->method, RV_SYM);
    if (!(t->st.absmax > 0)) {
        ex_wrap(3, "This tensor is all zeros: every range represents it exactly (code 0), so nothing is lost "
                   "whichever range is used.");
        return;
    }
    if (sym) {
        int lo, hi;
        codes_used(sym, &t->st, &lo, &hi);
        if (nn)
            ex_wrap(3, "This tensor is never negative, so codes -127..-1, half of them, are never used: the values "
                       "get codes %d..%d, %d of 255, about 7 bits instead of 8.",
                    lo, hi, hi - lo + 1);
        else
            ex_wrap(3, "On this tensor's [%.4g, %.4g] the symmetric range [-%.4g, %.4g] reaches codes %d..%d, %d of "
                       "255.",
                    (double)t->st.min, (double)t->st.max, sym->q.hi, sym->q.hi, lo, hi, hi - lo + 1);
    }
    if (e->s->quality == RV_Q_NONE) {
        ex_wrap(3, "(SQNR not measured: --no-measure.)");
    } else {
        ex_wrap(3, "SQNR = 10 log10(sum x^2 / sum (x - q(x))^2) over every value, %s; higher is better, and 6.02 dB "
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
    const rv_range *smax = rv_cell(t, VKC_METHOD_MAX, RV_SYM);
    if (smax && r->method != VKC_METHOD_MAX) range_row(e, "symmetric, max", smax, 0);
    if (nn) {
        if (e->same_t_unsigned >= 0 && r->method != VKC_METHOD_MAX)
            range_row(e, "unsigned, same T", &t->r[e->same_t_unsigned], 0);
        const rv_range *u = rv_cell(t, r->method, RV_ALT);
        if (u) {
            snprintf(lab, sizeof lab, "unsigned, %s%s", ms, r->method == VKC_METHOD_ENTROPY ? " u8" : "");
            range_row(e, lab, u, e->kind == RV_ALT && r->mode == VKC_MODE_UNSIGNED);
        }
        const rv_range *umax = rv_cell(t, VKC_METHOD_MAX, RV_ALT);
        if (umax && r->method != VKC_METHOD_MAX) range_row(e, "unsigned, max", umax, 0);
        if (e->asym_nonneg >= 0)
            range_row(e, "asymmetric [min, max]", &t->r[e->asym_nonneg], r->mode == VKC_MODE_ASYMMETRIC);
    } else {
        const rv_range *a = rv_cell(t, VKC_METHOD_MAX, RV_ALT);
        if (a) range_row(e, "asymmetric [min, max]", a, r->mode == VKC_MODE_ASYMMETRIC && r->method == VKC_METHOD_MAX);
    }
    /* The two-sided searches: what calibrate --mode asymmetric writes. */
    static const vkc_method two[2] = {VKC_METHOD_ENTROPY, VKC_METHOD_MSE};
    for (int k = 0; k < 2; k++) {
        const rv_range *a = rv_cell(t, two[k], RV_ASYM);
        if (!a) continue;
        snprintf(lab, sizeof lab, "asymmetric, %s%s", vkc_method_name(two[k]),
                 t->sbins != t->bins ? "" : "");
        range_row(e, lab, a, e->kind == RV_ASYM && r->method == two[k]);
    }
    putchar('\n');
    const rv_range *u = nn ? rv_cell(t, r->method, RV_ALT) : NULL;
    if (nn && sym && u && e->s->quality != RV_Q_NONE && isfinite(rv_sqnr(u) - rv_sqnr(sym))) {
        ex_wrap(3, "Unsigned [0, T] (uint8, zero point 0, codes 0..255) spends every code on the values: %+.2f dB "
                   "at the %s threshold%s. `vkcalib calibrate --mode auto` writes it for never-negative tensors (JSON; "
                   "a TensorRT cache holds symmetric ranges only). Asymmetric [min, max] is the same grid here, since "
                   "the range is widened to include 0.",
                rv_sqnr(u) - rv_sqnr(sym), ms,
                r->method == VKC_METHOD_ENTROPY ? " (the entropy search re-run with 256 levels)" : "");
    } else if (!nn) {
        const rv_range *a = rv_cell(t, VKC_METHOD_MAX, RV_ALT);
        ex_wrap(3, "Unsigned ranges do not apply: the tensor has negative values (min %g), which would all clip to "
                   "0.",
                (double)t->st.min);
        if (a && smax && a->qk != RV_Q_NONE && e->s->quality != RV_Q_NONE && isfinite(rv_sqnr(a) - rv_sqnr(smax)))
            ex_wrap(3, "Asymmetric [min, max] (a zero point of %d, 256 codes over the actual range) against symmetric "
                       "[-A, A], both without clipping: %+.2f dB. The more lopsided the range, the more it gains; the "
                       "two-sided entropy and MSE searches (`--mode asymmetric`) also choose where to clip on each "
                       "side.",
                    a->q.zero_point, rv_sqnr(a) - rv_sqnr(smax));
        else if (a && a->qk == RV_Q_NONE)
            ex_wrap(3, "The asymmetric range needs the signed values, which a JSON histogram of |x| does not keep: "
                       "run explain on the calibration set to measure it.");
    }
}
