/* Sections 2 to 4 of `vkcalib explain` for a one-sided range (symmetric or
 * unsigned, on the histogram of |x|): the histogram, what a candidate
 * threshold means (or the percentile, MSE or max rule), and the curve of
 * every candidate. See explain.h. */
#include "explain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The width of one bin of |x|. */
static double width_bin(const rv_tensor *t)
{
    return (double)t->st.absmax / t->bins;
}

void ex_section_hist(const ex *e, double T)
{
    const rv_tensor *t = e->t;
    ex_heading(e, "2. Histogram of |x|");
    ex_wrap(3, "The second pass puts |x| into %u bins of width A / %u = %.6g: bin = min(floor(|x| * %u / A), %u), "
               "computed in float32 exactly the same way on every device. Below, %u bins per column; heights on a "
               "log scale (a single value still shows).",
            t->bins, t->bins, width_bin(t), t->bins, t->bins - 1, t->bins / COLS ? t->bins / COLS : 1);
    putchar('\n');
    ex_plot_hist(e, T);
    uint64_t beyond = 0, total = 0;
    uint32_t ti = (uint32_t)fmin((double)t->bins, floor(T / width_bin(t) + 1e-9));
    if (!(width_bin(t) > 0)) ti = t->bins;
    for (uint32_t j = 0; j < t->bins; j++) {
        total += t->hist[j];
        if (j >= ti) beyond += t->hist[j];
    }
    putchar('\n');
    if (beyond)
        ex_wrap(3, "Right of T (bins %u..%u, red on a colour terminal): %llu value%s (%.4f%%), which quantization "
                   "clips to T.",
                ti, t->bins - 1, (unsigned long long)beyond, beyond == 1 ? "" : "s",
                total ? 100.0 * (double)beyond / (double)total : 0.0);
    else ex_wrap(3, "Nothing lies right of T: no value is clipped.");
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

void ex_section_candidates(const ex *e, const rv_range *r)
{
    const rv_tensor *t = e->t;
    const rv_kl *kp = &t->kp[e->kind];
    uint32_t L = kp->levels, i = r->res.i;
    double w = width_bin(t);
    ex_heading(e, "3. What a candidate threshold means");
    ex_wrap(3, "Candidate i cuts the histogram at bin edge i: threshold i x %.6g%s. vkcalib tries every i from %u "
               "to %u (%u candidates) and compares two distributions over the first i bins:",
            w, e->s->sp.flavor == VKC_FLAVOR_TENSORRT ? " (+ half a bin: flavor tensorrt)" : "", kp->start, t->bins,
            t->nkl[e->kind]);
    ex_wrap(5, "P = the histogram itself, with every count beyond the cut (the values that would clip) added to "
               "its last bin, i-1;");
    ex_wrap(5, "Q = what %s can express: the i bins merged into %u levels, each level's count spread evenly over "
               "its non-empty bins (the outliers are not in Q).",
            L == 256 ? "uint8" : "int8", L);
    ex_wrap(3, "KL(P||Q) = sum p ln(p/q) is the information the quantization loses. A small i clips much (P's last "
               "bin swells); a large i makes each level wide (Q blurs the shape). The least KL wins%s.",
            kp->tie_largest ? "; among ties, the largest i" : "");
    if (kp->zero_bin_copy && t->bins > 1)
        ex_wrap(3, "Before the search, bin 0 takes the count of bin 1 (%llu -> %llu), so that exact zeros (a ReLU's "
                   "half of its values) do not dominate.",
                (unsigned long long)t->hist[0], (unsigned long long)t->hist[1]);
    if (r->res.fallback) {
        ex_wrap(3, "Here no candidate has a finite KL (%s): the threshold falls back to A.", r->res.message);
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
    printf("\n   The chosen candidate, %si = %u%s:\n", ex_col(e, BOLD), i, ex_col(e, RESET));
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
        ex_wrap(3, "For comparison: KL = %.4g at i = %u (the most clipping) and %.4g at i = %u (%s).", kl[0], kp->start,
                kl[nc - 1], ilast, ilast == t->bins ? "no clipping: the max method" : "the last candidate");
    }
}

void ex_section_kl_curve(const ex *e, const rv_range *r, const rv_range *entropy)
{
    const rv_tensor *t = e->t;
    const rv_kl *kp = &t->kp[e->kind];
    const double *kl = t->kl[e->kind];
    uint32_t nc = t->nkl[e->kind];
    ex_heading(e, "4. KL divergence of every candidate");
    if (!kl || !nc) {
        ex_wrap(3, "No candidates: the histogram has fewer bins (%u) than the first candidate (%u).", t->bins,
                kp->start);
        return;
    }
    uint32_t finite = 0;
    for (uint32_t c = 0; c < nc; c++) finite += isfinite(kl[c]);
    if (!finite) {
        ex_wrap(3, "Every candidate's KL is +inf or undefined (%s): there is no curve to draw, and the threshold is "
                   "A.",
                t->st.absmax > 0 ? "the histogram's tail is too sparse" : "an all-zero tensor has an empty histogram "
                                                                           "once bin 0 takes bin 1's count");
        return;
    }
    ex_wrap(3, "KL(P||Q) for i = %u..%u on the histogram's axis (the least value of each column), log scale: lower "
               "is better.%s",
            kp->start, kp->start + (nc - 1) * kp->stride,
            r->res.inf_candidates || entropy->res.inf_candidates ? " x marks columns where every candidate is +inf."
                                                                 : "");
    putchar('\n');
    char m1[80], m2[80];
    snprintf(m1, sizeof m1, "least KL: i = %u, T = %.6g", entropy->res.i, entropy->res.threshold);
    int other = r != entropy;
    if (other) snprintf(m2, sizeof m2, "%s: T = %.6g", vkc_method_name(r->method), r->res.threshold);
    uint32_t oi = other ? (uint32_t)fmin((double)t->bins, floor(r->res.threshold / width_bin(t))) : 0;
    if (entropy->res.fallback) snprintf(m1, sizeof m1, "no finite KL: fallback to A");
    ex_plot_curve(e, kl, nc, kp->start, kp->stride, entropy->res.fallback ? t->bins : entropy->res.i, m1, oi,
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
        ex_wrap(3, "The least KL is %.6g at i = %u. %u candidate%s within 10%% of it, from i = %u to %u (T from %.4g "
                   "to %.4g): %s.",
                entropy->res.kl, entropy->res.i, near, near == 1 ? " is" : "s are", kp->start + lo * kp->stride,
                kp->start + hi * kp->stride, tl, th,
                near < 8 ? "a sharp minimum" : "a flat minimum, where nearby thresholds do about as well");
    }
    if (entropy->res.inf_candidates)
        ex_wrap(3, "%llu candidates are +inf: their bin i-1 is empty while values lie beyond it, so Q is 0 where P "
                   "is not; they can never win.",
                (unsigned long long)entropy->res.inf_candidates);
    ex_wrap(3, "Candidates within 1e-9 (relative) of the least count as tied; the %s i wins, as in NVIDIA's "
               "reference, the same on every device.",
            kp->tie_largest ? "largest" : "smallest");
}

void ex_section_other_method(const ex *e, const rv_range *r)
{
    const rv_tensor *t = e->t;
    double w = width_bin(t);
    uint64_t total = 0;
    for (uint32_t j = 0; j < t->bins; j++) total += t->hist[j];
    if (r->method == VKC_METHOD_PERCENTILE) {
        ex_heading(e, "3. The percentile");
        double p = e->s->sp.percentile;
        uint32_t k = r->res.i;
        uint64_t before = 0;
        for (uint32_t j = 0; j < k && j < t->bins; j++) before += t->hist[j];
        uint64_t through = before + (k < t->bins ? t->hist[k] : 0);
        ex_wrap(3, "Percentile %g: the threshold is the left edge of the first bin whose running count reaches "
                   "%g%% of all %llu values (%.1f), compared exactly in integers.",
                p, p, (unsigned long long)total, (double)total * p / 100.0);
        if (r->res.fallback) {
            ex_wrap(3, "Here: %s.", r->res.message);
            return;
        }
        printf("     %-16s %u (running count %llu before it, %llu through it)\n", "bin", k,
               (unsigned long long)before, (unsigned long long)through);
        printf("     %-16s %u x %.6g = %.9g\n", "threshold", k, w, r->res.threshold);
        printf("     %-16s %llu values in bins %u..%u (%.4f%%)\n", "clipped", (unsigned long long)(total - before), k,
               t->bins - 1, total ? 100.0 * (double)(total - before) / (double)total : 0.0);
        ex_wrap(3, "The percentile ignores how far the tail reaches; the KL curve below shows where the entropy "
                   "method would cut instead.");
    } else if (r->method == VKC_METHOD_MSE) {
        ex_heading(e, "3. What a candidate threshold means");
        uint32_t bound = r->mode == VKC_MODE_UNSIGNED ? 255 : 127;
        ex_wrap(3, "MSE: candidate i is the bin centre c_i = (i + 0.5) x %.6g, for i = %u..%u. Each bin's centre is "
                   "fake-quantized with amax c_i (round(c * %u / amax), clamped to %s) and the squared errors are "
                   "averaged over all values. The least error wins; among ties, the smallest i.",
                w, e->s->sp.start_bin, t->bins - 1, bound, bound == 255 ? "[0, 255]" : "[-127, 127]");
        if (r->res.fallback) {
            ex_wrap(3, "Here: %s.", r->res.message);
            return;
        }
        printf("     %-16s i = %u, T = (%u + 0.5) x %.6g = %.9g\n", "chosen", r->res.i, r->res.i, w,
               r->res.threshold);
        printf("     %-16s %.6g (RMS %.6g, step T/%u = %.6g)\n", "mean sq. error", r->res.kl, sqrt(r->res.kl), bound,
               r->res.threshold / bound);
    } else {
        ex_heading(e, "3. The maximum");
        ex_wrap(3, "Max: the threshold is A itself, so nothing is clipped, but one outlier decides the step for all "
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
        ex_wrap(3, "Half of the values have |x| below %.4g, which uses only codes up to %.0f of %d.", mv,
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

void ex_section_mse_curve(const ex *e, const rv_range *r)
{
    const rv_tensor *t = e->t;
    ex_heading(e, "4. Error of every candidate");
    uint32_t start = e->s->sp.start_bin, n;
    double *v = mse_curve(t, start, r->mode == VKC_MODE_UNSIGNED ? 255 : 127, &n);
    if (!v) {
        ex_wrap(3, "No candidates.");
        return;
    }
    ex_wrap(3, "Mean squared error for i = %u..%u (least per column), log scale: lower is better.", start,
            t->bins - 1);
    putchar('\n');
    char m[80];
    snprintf(m, sizeof m, "least error: i = %u, T = %.6g", r->res.i, r->res.threshold);
    ex_plot_curve(e, v, n, start, 1, r->res.i, m, 0, NULL);
    free(v);
}
