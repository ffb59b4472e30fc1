/* Sections 2 to 4 of `vkcalib explain` for a two-sided range (mode
 * asymmetric, on the histogram of x): the histogram with the chosen window,
 * and what the two-sided entropy or MSE search tried. See explain.h. */
#include "explain.h"

#include <math.h>

/* Bin edge k of the histogram of x. */
static double sedge(const rv_tensor *t, uint32_t k)
{
    if (k >= t->sbins) return t->shi;
    return (double)k * (((double)t->shi - (double)t->slo) / t->sbins) + (double)t->slo;
}

void ex_section_signed_hist(const ex *e, const rv_range *r)
{
    const rv_tensor *t = e->t;
    const double w = ((double)t->shi - (double)t->slo) / t->sbins;
    ex_heading(e, "2. Histogram of x");
    ex_wrap(3, "A two-sided range needs the signs: the second pass puts x itself into %u bins of width %.6g over "
               "[%.6g, %.6g], the tensor's [min, max] widened to include 0 (every range is, so that 0 is exact): "
               "bin = min(floor((x - lo) * %u / (hi - lo)), %u), in float32 on every device. Below, red: what the "
               "chosen range [%.6g, %.6g] clips.",
            t->sbins, w, (double)t->slo, (double)t->shi, t->sbins, t->sbins - 1, r->q.lo, r->q.hi);
    putchar('\n');
    ex_plot_signed(e, r->q.lo, r->q.hi);
    uint64_t total = 0, left = 0, right = 0;
    for (uint32_t j = 0; j < t->sbins; j++) {
        total += t->shist[j];
        if (j < r->res.window_a) left += t->shist[j];
        if (j >= r->res.window_b) right += t->shist[j];
    }
    putchar('\n');
    ex_wrap(3, "Left of the window (bins 0..%u): %llu values (%.4f%%); right of it (bins %u..%u): %llu (%.4f%%).",
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

void ex_section_two_sided(const ex *e, const rv_range *r)
{
    const rv_tensor *t = e->t;
    const uint32_t n = t->sbins, a = r->res.window_a, b = r->res.window_b, z = zero_bin_of(t);
    if (r->method == VKC_METHOD_ENTROPY) {
        ex_heading(e, "3. Every window that holds 0");
        ex_wrap(3, "Two-sided entropy tries every window of bins (a, b) at least %u bins wide that holds the bin of 0 "
                   "(bin %u; a window without it would be widened to 0 anyway), and compares two distributions over "
                   "it:",
                e->s->sp.start_bin ? e->s->sp.start_bin : 128, z);
        ex_wrap(5, "P = the window's counts, with the values left of it added to its first bin and those right of it "
                   "to its last;");
        ex_wrap(5, "Q = what 256 int8 codes over the window can express: its bins merged into 256 levels, each level's "
                   "count spread over its non-empty bins.");
        ex_wrap(3, "The least KL(P||Q) wins; among ties, the widest window. Before the search the bin of 0 takes its "
                   "neighbours' count (%s), as bin 0 takes bin 1's in the one-sided search: exact zeros (a ReLU's, a "
                   "hard-swish's) would otherwise outweigh the rest.",
                z == 0 || z == n - 1 ? "its one neighbour's" : "their mean");
        if (t->st.min >= 0)
            ex_wrap(3, "This tensor is never negative: every window starts at 0, and each is the unsigned search's "
                       "candidate with the same P, Q and KL, so the range is the unsigned entropy range.");
        if (r->res.fallback) {
            ex_wrap(3, "Here no window has a finite KL (%s): the range is the histogram's.", r->res.message);
            return;
        }
        printf("\n   The chosen window, %sbins %u..%u%s:\n", ex_col(e, BOLD), a, b - 1, ex_col(e, RESET));
        printf("     %-16s [edge %u, edge %u] = [%.9g, %.9g]\n", "range", a, b, sedge(t, a), sedge(t, b));
        printf("     %-16s %.6g (%llu windows searched, %llu infinite)\n", "KL(P||Q)", r->res.kl,
               (unsigned long long)r->res.candidates, (unsigned long long)r->res.inf_candidates);
    } else if (r->method == VKC_METHOD_MSE) {
        ex_heading(e, "3. Every window, by its error");
        ex_wrap(3, "Two-sided MSE tries every window (a, b) at least %u bins wide: the range [edge a, edge b], widened "
                   "to include 0, with 256 codes and a zero point; every bin's centre is fake-quantized on that grid "
                   "and the squared errors averaged over all values. The least error wins; among ties, the widest.",
                e->s->sp.start_bin ? e->s->sp.start_bin : 128);
        if (r->res.fallback) {
            ex_wrap(3, "Here: %s.", r->res.message);
            return;
        }
        printf("\n   The chosen window, %sbins %u..%u%s:\n", ex_col(e, BOLD), a, b - 1, ex_col(e, RESET));
        printf("     %-16s [%.9g, %.9g]\n", "range", r->q.lo, r->q.hi);
        printf("     %-16s %.6g (RMS %.6g, step %.6g)\n", "mean sq. error", r->res.kl, sqrt(r->res.kl), r->q.scale);
    }
    ex_heading(e, "4. Why no curve here");
    ex_wrap(3, "A one-sided search has one candidate per bin and a curve; a two-sided one has a candidate per window, "
               "%llu here, which no curve shows. `vkcalib report` plots the histogram of x with every method's window.",
            (unsigned long long)r->res.candidates);
}
