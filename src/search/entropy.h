/* Entropy (KL divergence) threshold search: the definitions of DESIGN.md §2
 * in double precision, and the candidate selection every backend shares.
 *
 * Three evaluators of KL(i) exist:
 *   - vkc_kl_reference: the plain O(i) definition, written to be obviously
 *     right; it is the oracle, and it decides the final choice.
 *   - the fast CPU evaluator (prefix sums, O(levels) per candidate);
 *   - the GPU float32 evaluator (src/search_gpu.c + shaders/entropy.comp).
 * The approximate ones return a value and an error bound; vkc_kl_select keeps
 * every candidate the bounds cannot exclude and re-evaluates those with
 * the next more exact evaluator, so every path chooses what the reference
 * chooses. */
#ifndef VKC_ENTROPY_H
#define VKC_ENTROPY_H

#include "base/common.h"

/* The variation points of the search (DESIGN.md §2), resolved from the
 * public vkc_search_params by vkc_kl_params_from. */
typedef struct vkc_kl_params {
    uint32_t levels;       /* 128 signed, 256 unsigned */
    uint32_t start;        /* first candidate i (default 128) */
    uint32_t stride;       /* candidate step (default 1) */
    int zero_bin_copy;     /* 1: h[0] := h[1] before searching */
    int tie_largest;       /* 1: the largest of tied i wins, 0: the smallest */
    double edge_offset;    /* threshold = (i + edge_offset) * width */
} vkc_kl_params;

void vkc_kl_params_from(const vkc_search_params *p, vkc_kl_params *out);

/* Tie tolerance of DESIGN.md §2: a candidate is tied with the minimum m when
 * its KL <= m + vkc_kl_tie_tol(m). */
double vkc_kl_tie_tol(double m);

/* Working copy of one histogram prepared for evaluation: counts after the
 * zero-bin rule, exact prefix sums, prefix counts of non-empty bins, and the
 * double prefix sums of h*ln(h) the fast evaluator needs. */
typedef struct vkc_kl_hist {
    uint32_t n;            /* bins */
    uint64_t *h;           /* n counts after the zero-bin rule */
    uint64_t *pre;         /* n+1 prefix sums of h (exact; total < 2^64 required) */
    uint32_t *nz;          /* n+1 prefix counts of h != 0 */
    double *hlnh;          /* n+1 prefix sums of h*ln(h) */
    double *hlnh_abs;      /* n+1 prefix sums of |h*ln(h)| (error bounds) */
    uint64_t total;
} vkc_kl_hist;

vkc_status vkc_kl_hist_init(vkc_kl_hist *kh, const uint64_t *counts, uint32_t n,
                            const vkc_kl_params *p, vkc_msg *msg);
void vkc_kl_hist_free(vkc_kl_hist *kh);

/* 1 when candidate i has KL = +inf (P[i-1] > 0 with Q[i-1] = 0). Exact. */
int vkc_kl_is_inf(const vkc_kl_hist *kh, uint32_t i);

/* Plain definition; +INFINITY for infinite candidates. */
double vkc_kl_reference(const vkc_kl_hist *kh, uint32_t i, uint32_t levels);

/* Fast O(levels) evaluation; *err receives a bound on |value - exact|. */
double vkc_kl_fast(const vkc_kl_hist *kh, uint32_t i, uint32_t levels, double *err);

/* vkc_kl_fast of candidates is[0..count-1] (best in increasing i), the same
 * values and bounds bit for bit, with the level terms neighbouring
 * candidates share evaluated once. */
void vkc_kl_fast_many(const vkc_kl_hist *kh, const uint32_t *is, uint32_t count, uint32_t levels, double *kl,
                      double *err);

/* Candidate list of a search: i = start, start+stride, ..., up to n
 * (inclusive). Returns 0 when n < start. */
uint32_t vkc_kl_candidate_count(uint32_t n, const vkc_kl_params *p);

/* Chooses among candidates given approximate values: approx[c] and
 * err[c] for candidate c (i = start + c*stride); approx may be NULL, then
 * every candidate goes straight to the fast evaluator. A candidate is kept
 * when approx - err <= min(approx + err) + tie tolerance; kept ones go to
 * vkc_kl_fast, the survivors of the same test to vkc_kl_reference, and the
 * tie rule picks among those. Fills i, threshold, kl, candidates,
 * inf_candidates, reevaluated, fallback and message. width = range/n. */
vkc_status vkc_kl_select(const vkc_kl_hist *kh, const vkc_kl_params *p,
                         const float *approx, const float *err, double range_max,
                         vkc_search_result *res, vkc_msg *msg);

/* KL(i) of every candidate (fast evaluator, about 1e-12 from the
 * reference): kl[c] for i = start + c * stride; +inf for infinite
 * candidates, NaN for an empty histogram. For plots and reports. */
vkc_status vkc_kl_curve(const uint64_t *counts, uint32_t n, const vkc_kl_params *p, double *kl, vkc_msg *msg);

/* The whole search on the CPU (fast evaluator everywhere, then select). */
vkc_status vkc_entropy_cpu(const uint64_t *counts, uint32_t n, double range_max,
                           const vkc_kl_params *p, vkc_search_result *res, vkc_msg *msg);

/* The oracle: every candidate evaluated with vkc_kl_reference, then the tie
 * rule. Slow; for tests. */
vkc_status vkc_entropy_reference(const uint64_t *counts, uint32_t n, double range_max,
                                 const vkc_kl_params *p, vkc_search_result *res, vkc_msg *msg);

#endif
