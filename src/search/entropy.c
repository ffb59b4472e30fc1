/* Entropy (KL) threshold search of DESIGN.md §2, flavour modelopt/tensorrt.
 *
 * Notation used in the comments below, for candidate i (1 <= i <= n), after
 * the zero-bin rule:
 *   h_j     counts, T = sum of all h_j (the histogram's total),
 *   H = H_i = sum_{j<i} h_j = sum Q (outliers excluded),
 *   O = T - H, the outliers folded into P[i-1],
 *   level(j) = floor(j*L/i); level k covers j in [ceil(k*i/L), ceil((k+1)*i/L)),
 *   M_k, n_k  sum of h_j and number of h_j != 0 in level k, qbar_k = M_k/n_k,
 *   u = 2^-53, the unit roundoff of double.
 *
 * KL(i) = sum_{P_j>0} (P_j/T) ln((P_j/T) / (Q_j/H)) with sum P = T, which
 * rearranges (every P_j > 0 bin has Q_j > 0 except bin i-1, see
 * vkc_kl_is_inf) into
 *   KL = ln(H/T) + S/T,
 *   S  = B - R + adj,
 *   B  = sum_{j<i} h_j ln h_j                     (prefix sums, hlnh[i])
 *   R  = sum_k M_k ln qbar_k                      (O(L) from prefix sums)
 *   adj = (h+O) ln(h+O) - h ln h - O ln qbar_K    (h = h_{i-1}, K = level(i-1))
 *       = h ln(1 + O/h) + O ln((h+O)/qbar_K),     (0 when O = 0)
 * using sum_{j<i, h_j>0} h_j ln qbar_level(j) = R. All of h ln h, M ln qbar
 * (qbar >= 1 because every non-empty bin holds at least 1) are >= 0, which
 * keeps the error analysis of vkc_kl_fast simple. */
#include "search/entropy.h"
#include "base/numeric.h"
#include "search/select.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Parameters                                                               */

void vkc_kl_params_from(const vkc_search_params *p, vkc_kl_params *out)
{
    static const vkc_search_params defaults;
    if (!p) p = &defaults;
    out->levels = p->mode == VKC_MODE_UNSIGNED ? 256u : 128u;
    out->start = p->start_bin ? p->start_bin : 128u;
    out->stride = p->stride ? p->stride : 1u;
    out->zero_bin_copy = 1;
    out->tie_largest = 1;
    out->edge_offset = p->flavor == VKC_FLAVOR_TENSORRT ? 0.5 : 0.0;
}

double vkc_kl_tie_tol(double m)
{
    return vkc_tie_tol(m);
}

uint32_t vkc_kl_candidate_count(uint32_t n, const vkc_kl_params *p)
{
    if (!p || p->start == 0 || p->stride == 0 || n < p->start) return 0;
    return (n - p->start) / p->stride + 1;
}

static uint32_t vkc_kl_candidate_i(const vkc_kl_params *p, uint32_t c)
{
    return p->start + c * p->stride;
}

static vkc_status vkc_kl_check_params(const vkc_kl_params *p, vkc_msg *msg)
{
    if (!p) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "entropy search: no parameters");
    if (p->levels == 0)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "entropy search: levels must be > 0");
    if (p->stride == 0)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "entropy search: stride must be > 0");
    if (p->start == 0)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "entropy search: start bin must be > 0");
    if (!isfinite(p->edge_offset) || p->edge_offset < 0)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "entropy search: edge offset %g invalid",
                        p->edge_offset);
    return VKC_OK;
}

/* ------------------------------------------------------------------------ */
/* Prepared histogram                                                       */

void vkc_kl_hist_free(vkc_kl_hist *kh)
{
    if (!kh) return;
    free(kh->h);
    free(kh->pre);
    free(kh->nz);
    free(kh->hlnh);
    free(kh->hlnh_abs);
    memset(kh, 0, sizeof *kh);
}

vkc_status vkc_kl_hist_init(vkc_kl_hist *kh, const uint64_t *counts, uint32_t n,
                            const vkc_kl_params *p, vkc_msg *msg)
{
    if (!kh) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "entropy search: no histogram");
    memset(kh, 0, sizeof *kh);
    vkc_status st = vkc_kl_check_params(p, msg);
    if (st != VKC_OK) return st;
    if (n == 0) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "entropy search: histogram has 0 bins");
    if (!counts) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "entropy search: counts is NULL");
    if (n == UINT32_MAX)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "entropy search: too many bins (%u)", n);

    kh->n = n;
    kh->h = vkc_alloc_array(n, sizeof *kh->h);
    kh->pre = vkc_alloc_array(n + 1, sizeof *kh->pre);
    kh->nz = vkc_alloc_array(n + 1, sizeof *kh->nz);
    kh->hlnh = vkc_alloc_array(n + 1, sizeof *kh->hlnh);
    kh->hlnh_abs = vkc_alloc_array(n + 1, sizeof *kh->hlnh_abs);
    if (!kh->h || !kh->pre || !kh->nz || !kh->hlnh || !kh->hlnh_abs) {
        vkc_kl_hist_free(kh);
        return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "entropy search: out of memory for %u bins", n);
    }
    memcpy(kh->h, counts, (size_t)n * sizeof *kh->h);
    /* The zero-bin rule needs a bin 1; a one-bin histogram keeps its count. */
    if (p->zero_bin_copy && n >= 2) kh->h[0] = kh->h[1];

    vkc_ksum acc = {0, 0};
    kh->pre[0] = 0;
    kh->nz[0] = 0;
    kh->hlnh[0] = kh->hlnh_abs[0] = 0;
    for (uint32_t j = 0; j < n; j++) {
        if (!vkc_add_u64(kh->pre[j], kh->h[j], &kh->pre[j + 1])) {
            vkc_kl_hist_free(kh);
            return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT,
                            "entropy search: total count overflows uint64 at bin %u", j);
        }
        kh->nz[j + 1] = kh->nz[j] + (kh->h[j] != 0);
        /* Compensated, so that hlnh[i] is within ~2u of its exact value
         * however many bins precede i. */
        vkc_ksum_add(&acc, vkc_hlnh(kh->h[j]));
        /* Terms are >= 0, so the absolute sum equals the sum. */
        kh->hlnh[j + 1] = kh->hlnh_abs[j + 1] = vkc_ksum_get(&acc);
    }
    kh->total = kh->pre[n];
    return VKC_OK;
}

/* ------------------------------------------------------------------------ */
/* Evaluators                                                               */

int vkc_kl_is_inf(const vkc_kl_hist *kh, uint32_t i)
{
    if (!kh || i == 0 || i > kh->n) return 0;
    return kh->h[i - 1] == 0 && kh->pre[kh->n] - kh->pre[i] > 0;
}

static uint32_t vkc_kl_level(uint32_t j, uint32_t i, uint32_t levels)
{
    return (uint32_t)(((uint64_t)j * levels) / i);
}

/* The definition, bin by bin. Independent of the prefix arrays on purpose.
 * Terms are summed with compensation so that its own rounding error stays
 * ~1e-14 absolute (see vkc_kl_ref_err); otherwise it is the plain loop. */
double vkc_kl_reference(const vkc_kl_hist *kh, uint32_t i, uint32_t levels)
{
    if (!kh || !kh->h || i == 0 || i > kh->n || levels == 0) return NAN;
    const uint64_t *h = kh->h;
    uint64_t outliers = 0, sum_q = 0;
    for (uint32_t j = i; j < kh->n; j++) outliers += h[j];
    for (uint32_t j = 0; j < i; j++) sum_q += h[j];
    uint64_t sum_p = sum_q + outliers;
    if (sum_p == 0) return NAN; /* 0/0, as scipy would give */

    vkc_ksum kl = {0, 0};
    uint32_t j = 0;
    while (j < i) {
        /* Level k's members are contiguous: gather M_k and n_k first. */
        uint32_t k = vkc_kl_level(j, i, levels), end = j, nonzero = 0;
        uint64_t mass = 0;
        while (end < i && vkc_kl_level(end, i, levels) == k) {
            mass += h[end];
            nonzero += h[end] != 0;
            end++;
        }
        double qbar = nonzero ? (double)mass / (double)nonzero : 0.0;
        for (; j < end; j++) {
            uint64_t big_p = h[j] + (j == i - 1 ? outliers : 0);
            if (big_p == 0) continue;
            double big_q = h[j] != 0 ? qbar : 0.0;
            if (big_q == 0) return INFINITY;
            double pj = (double)big_p / (double)sum_p;
            double qj = big_q / (double)sum_q;
            vkc_ksum_add(&kl, pj * log(pj / qj));
        }
    }
    return vkc_ksum_get(&kl);
}

/* Bound on |vkc_kl_reference - exact| (derivation in the comment of
 * vkc_kl_fast). The terms p ln(p/q) have p, q in (0, 1] with p >= 1/T and
 * q >= 1/H, so |ln(p/q)| <= ln T and sum |term| <= ln T. */
static double vkc_kl_ref_err(double total, double kl)
{
    double ln_t = total > 1 ? log(total) : 0.0;
    return VKC_U * (9.0 + 6.5 * ln_t + 2.5 * fabs(kl));
}

/* Error bound, the reasoning behind vkc_kl_fast's *err. Each step's
 * relative error in units of u, with double conversions of integers (u),
 * libm log/log1p taken as <= 1 ulp (2u relative):
 *   hlnh[i]: terms h ln h carry <= (1 + 1 + 2 + 1)u relative plus ~1.02u*h
 *     absolute from rounding h inside the log, and h <= 1.45 h ln h for
 *     h >= 2; the compensated sum adds 2.1u. So |B - exact| <= 8.2u B.
 *   R: q = M/n has <= 2.1u relative error, ln q then 2.1u absolute + 2u|ln q|,
 *     times M: <= 2.1u M + 4.1u M ln q per level; compensated sum adds 2.1u R.
 *     So |R - exact| <= 2.1u H + 6.3u R.
 *   adj: h log1p(O/h) <= 3.2u h + 4.1u|a1|; O ln(P/qbar) <= 4.4u O + 4.1u|a2|.
 *   S = (B - R) + adj: two roundings, <= 2u (B + R + |a1| + |a2|).
 *   S/T: 2.1u|S|/T plus the above divided by T.
 *   ln(H/T): log1p(-O/T) when O <= H (<= 4.5u), log(H/T) otherwise
 *     (<= 3.2u + 2u|ln(H/T)|).
 *   Final sum: u|KL|.
 * vkc_kl_fast returns twice the sum of that bound and vkc_kl_ref_err, so it
 * bounds the distance to the exact value AND to vkc_kl_reference's value,
 * which is what vkc_kl_select needs. */

/* The terms M ln q of levels already evaluated for other candidates of the
 * same histogram, by the level's bins [lo, hi): a term depends on nothing
 * else, so a cached one is the same double (vkc_kl_fast_many). Direct
 * mapped; a miss just evaluates. */
#define LEVEL_CACHE 8192u
typedef struct level_cache {
    uint32_t lo[LEVEL_CACHE], hi[LEVEL_CACHE];
    double term[LEVEL_CACHE], q[LEVEL_CACHE];
} level_cache;

static double kl_fast(const vkc_kl_hist *kh, uint32_t i, uint32_t levels, double *err, level_cache *cache);

double vkc_kl_fast(const vkc_kl_hist *kh, uint32_t i, uint32_t levels, double *err)
{
    return kl_fast(kh, i, levels, err, NULL);
}

void vkc_kl_fast_many(const vkc_kl_hist *kh, const uint32_t *is, uint32_t count, uint32_t levels, double *kl,
                      double *err)
{
    /* Without memory for the cache, the same values uncached. */
    level_cache *c = count > 1 ? malloc(sizeof *c) : NULL;
    if (c)
        for (uint32_t k = 0; k < LEVEL_CACHE; k++) c->hi[k] = 0; /* hi = 0: empty (a level has hi > lo >= 0) */
    for (uint32_t k = 0; k < count; k++) kl[k] = kl_fast(kh, is[k], levels, &err[k], c);
    free(c);
}

static double kl_fast(const vkc_kl_hist *kh, uint32_t i, uint32_t levels, double *err, level_cache *cache)
{
    double dummy;
    if (!err) err = &dummy;
    if (!kh || !kh->h || i == 0 || i > kh->n || levels == 0 || kh->total == 0) {
        *err = INFINITY;
        return NAN;
    }
    if (vkc_kl_is_inf(kh, i)) {
        *err = 0;
        return INFINITY;
    }
    const uint64_t total = kh->total, big_h = kh->pre[i], outliers = total - big_h;
    const double t = (double)total;

    /* R and the mean of the level holding bin i-1. */
    const uint32_t last_level = vkc_kl_level(i - 1, i, levels);
    vkc_ksum r = {0, 0};
    double q_last = 0;
    uint64_t lo = 0;
    for (uint32_t k = 0; k < levels; k++) {
        uint64_t hi = ((uint64_t)(k + 1) * i + levels - 1) / levels;
        uint32_t nonzero = kh->nz[hi] - kh->nz[lo];
        if (nonzero) {
            uint32_t slot = (uint32_t)(lo * 31u + hi) & (LEVEL_CACHE - 1);
            double q, term;
            if (cache && cache->lo[slot] == lo && cache->hi[slot] == hi) {
                q = cache->q[slot];
                term = cache->term[slot];
            } else {
                uint64_t mass = kh->pre[hi] - kh->pre[lo];
                q = (double)mass / (double)nonzero;
                term = (double)mass * log(q);
                if (cache) {
                    cache->lo[slot] = (uint32_t)lo;
                    cache->hi[slot] = (uint32_t)hi;
                    cache->q[slot] = q;
                    cache->term[slot] = term;
                }
            }
            vkc_ksum_add(&r, term);
            if (k == last_level) q_last = q;
        }
        lo = hi;
    }
    const double big_r = vkc_ksum_get(&r);
    const double big_b = kh->hlnh[i];

    /* Bin i-1 also carries the outliers (h_last > 0 here: not infinite). */
    double a1 = 0, a2 = 0;
    const uint64_t h_last = kh->h[i - 1];
    if (outliers) {
        a1 = (double)h_last * log1p((double)outliers / (double)h_last);
        a2 = (double)outliers * log((double)(h_last + outliers) / q_last);
    }
    const double s = (big_b - big_r) + (a1 + a2);
    /* ln(H/T) without cancellation at either end. */
    const double ln_ht = outliers <= big_h ? log1p(-(double)outliers / t) : log((double)big_h / t);
    const double kl = ln_ht + s / t;

    const double mag = fabs(a1) + fabs(a2);
    double e = 8.2 * big_b + 2.1 * (double)big_h + 6.3 * big_r + 3.2 * (double)h_last +
               4.4 * (double)outliers + 4.1 * mag + 2.0 * (big_b + big_r + mag) + 2.1 * fabs(s);
    e = e / t + 4.5 + 3.2 + 2.0 * fabs(ln_ht) + fabs(kl);
    *err = 2.0 * (VKC_U * e + vkc_kl_ref_err(t, kl));
    return kl;
}

/* ------------------------------------------------------------------------ */
/* Selection                                                                */

static void vkc_kl_fallback(vkc_search_result *res, uint32_t n, double range_max, const char *fmt,
                            ...) VKC_PRINTF(4, 5);

/* The result of a search that found no usable candidate: threshold = the
 * histogram's range (DESIGN.md §2 step 4). kl is 0, not NaN, so that
 * writers never meet a NaN; `fallback` is what says it is meaningless. */
static void vkc_kl_fallback(vkc_search_result *res, uint32_t n, double range_max, const char *fmt,
                            ...)
{
    va_list ap;
    res->fallback = 1;
    res->i = n;
    res->threshold = range_max;
    res->kl = 0;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
}

/* Sets the threshold of candidate i; falls back when it is not a positive
 * finite number (range_max 0, or under/overflow at extreme ranges). */
static void vkc_kl_finish(vkc_search_result *res, uint32_t n, const vkc_kl_params *p,
                          double range_max, uint32_t i, double kl)
{
    /* numpy's last bin edge is range_max itself, not n * (range_max / n). */
    double width = range_max / (double)n;
    double t = (i == n && p->edge_offset == 0) ? range_max : ((double)i + p->edge_offset) * width;
    res->i = i;
    res->kl = kl;
    res->threshold = t;
    if (!(t > 0) || !isfinite(t))
        vkc_kl_fallback(res, n, range_max,
                        "threshold of bin %u is %g (range %g): fell back to the range", i, t,
                        range_max);
}

/* Common checks and fallbacks of every search path. Sets *go to 1 when the
 * candidates need evaluating. */
static vkc_status vkc_kl_begin(const vkc_kl_hist *kh, const vkc_kl_params *p, double range_max,
                               vkc_search_result *res, vkc_msg *msg, int *go)
{
    *go = 0;
    if (!res) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "entropy search: no result");
    memset(res, 0, sizeof *res);
    if (!kh || !kh->h || kh->n == 0)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "entropy search: no histogram");
    vkc_status st = vkc_kl_check_params(p, msg);
    if (st != VKC_OK) return st;
    if (!isfinite(range_max) || range_max < 0)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "entropy search: range %g invalid", range_max);

    const uint32_t n = kh->n, count = vkc_kl_candidate_count(n, p);
    res->candidates = count;
    if (kh->total == 0) {
        vkc_kl_fallback(res, n, range_max, "histogram is empty (after the zero-bin rule)");
        return VKC_OK;
    }
    if (count == 0) {
        vkc_kl_fallback(res, n, range_max, "%u bins, fewer than the start bin %u", n, p->start);
        return VKC_OK;
    }
    for (uint32_t c = 0; c < count; c++)
        res->inf_candidates += (uint32_t)vkc_kl_is_inf(kh, vkc_kl_candidate_i(p, c));
    if (res->inf_candidates == count) {
        vkc_kl_fallback(res, n, range_max, "every candidate has infinite divergence");
        return VKC_OK;
    }
    if (range_max == 0) {
        vkc_kl_fallback(res, n, range_max, "range is 0");
        return VKC_OK;
    }
    *go = 1;
    return VKC_OK;
}

/* The selection rule of DESIGN.md §2 steps 3-4: least KL, values within the
 * tie tolerance tied, the largest (or smallest) i among ties. The band is
 * taken at max(|U|, |Lmin|): the proof at select.c's band_limit assumes
 * nothing about the sign of the minimum then. */
static vkc_select_rule kl_rule(const vkc_kl_params *p)
{
    return (vkc_select_rule){p->tie_largest ? VKC_TIE_LARGEST : VKC_TIE_SMALLEST, 1, 1, INFINITY};
}

/* The cascade's evaluators: candidates are (0, c), i = start + c * stride. */
typedef struct kl_eval_ctx {
    const vkc_kl_hist *kh;
    const vkc_kl_params *p;
} kl_eval_ctx;

static double kl_eval_fast(const void *ctx, uint32_t a, uint32_t c, double *err)
{
    const kl_eval_ctx *k = ctx;
    (void)a;
    return vkc_kl_fast(k->kh, vkc_kl_candidate_i(k->p, c), k->p->levels, err);
}

static double kl_eval_ref(const void *ctx, uint32_t a, uint32_t c)
{
    const kl_eval_ctx *k = ctx;
    (void)a;
    return vkc_kl_reference(k->kh, vkc_kl_candidate_i(k->p, c), k->p->levels);
}

/* The cascade from brackets already in cl (filter, vkc_kl_fast on the
 * survivors when refine, filter, vkc_kl_reference, tie rule), then the
 * result or the fallback. */
static void vkc_kl_decide(const vkc_kl_hist *kh, const vkc_kl_params *p, vkc_cand_list *cl, int refine,
                          double range_max, vkc_search_result *res)
{
    const kl_eval_ctx k = {kh, p};
    const vkc_cand_eval ev = {&k, kl_eval_fast, kl_eval_ref};
    uint64_t evaluated = 0;
    size_t w = vkc_cands_decide(cl, &ev, refine, NULL, &evaluated);
    res->reevaluated += (uint32_t)evaluated;
    if (w == cl->len) {
        vkc_kl_fallback(res, kh->n, range_max, "no candidate has a finite divergence");
        return;
    }
    vkc_kl_finish(res, kh->n, p, range_max, vkc_kl_candidate_i(p, cl->v[w].b), cl->v[w].val);
}

static vkc_status vkc_kl_cands_alloc(vkc_cand_list *cl, const vkc_kl_params *p, uint32_t count, vkc_msg *msg)
{
    const vkc_select_rule rule = kl_rule(p);
    vkc_cands_init(cl, &rule);
    if (vkc_cands_reserve(cl, count)) return VKC_OK;
    return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "entropy search: out of memory for %u candidates", count);
}

vkc_status vkc_kl_select(const vkc_kl_hist *kh, const vkc_kl_params *p, const float *approx,
                         const float *err, double range_max, vkc_search_result *res, vkc_msg *msg)
{
    int go;
    vkc_status st = vkc_kl_begin(kh, p, range_max, res, msg, &go);
    if (st != VKC_OK || !go) return st;
    const uint32_t count = res->candidates;
    vkc_cand_list cl;
    st = vkc_kl_cands_alloc(&cl, p, count, msg);
    if (st != VKC_OK) return st;

    /* Infinite candidates are decided exactly and never run. Without
     * approximate values every bracket is everything, so the first filter
     * keeps all and vkc_kl_fast sees every finite candidate. */
    for (uint32_t c = 0; c < count; c++) {
        if (vkc_kl_is_inf(kh, vkc_kl_candidate_i(p, c))) continue;
        double lo = -INFINITY, hi = INFINITY;
        if (approx) vkc_bracket(approx[c], err ? err[c] : INFINITY, &lo, &hi);
        vkc_cands_append(&cl, 0, c, lo, hi);
    }
    vkc_kl_decide(kh, p, &cl, 1, range_max, res);
    vkc_cands_free(&cl);
    return VKC_OK;
}

/* ------------------------------------------------------------------------ */
/* Whole searches                                                           */

vkc_status vkc_entropy_cpu(const uint64_t *counts, uint32_t n, double range_max,
                           const vkc_kl_params *p, vkc_search_result *res, vkc_msg *msg)
{
    vkc_kl_hist kh;
    if (res) memset(res, 0, sizeof *res);
    vkc_status st = vkc_kl_hist_init(&kh, counts, n, p, msg);
    if (st != VKC_OK) return st;
    st = vkc_kl_select(&kh, p, NULL, NULL, range_max, res, msg);
    vkc_kl_hist_free(&kh);
    return st;
}

vkc_status vkc_entropy_reference(const uint64_t *counts, uint32_t n, double range_max,
                                 const vkc_kl_params *p, vkc_search_result *res, vkc_msg *msg)
{
    vkc_kl_hist kh;
    if (res) memset(res, 0, sizeof *res);
    vkc_status st = vkc_kl_hist_init(&kh, counts, n, p, msg);
    if (st != VKC_OK) return st;
    int go;
    st = vkc_kl_begin(&kh, p, range_max, res, msg, &go);
    if (st == VKC_OK && go) {
        const uint32_t count = res->candidates;
        vkc_cand_list cl;
        st = vkc_kl_cands_alloc(&cl, p, count, msg);
        if (st == VKC_OK) {
            /* Every candidate, infinite ones included, straight to the
             * reference. */
            for (uint32_t c = 0; c < count; c++) vkc_cands_append(&cl, 0, c, -INFINITY, INFINITY);
            vkc_kl_decide(&kh, p, &cl, 0, range_max, res);
            vkc_cands_free(&cl);
        }
    }
    vkc_kl_hist_free(&kh);
    return st;
}

vkc_status vkc_kl_curve(const uint64_t *counts, uint32_t n, const vkc_kl_params *p, double *kl, vkc_msg *msg)
{
    vkc_kl_hist kh;
    vkc_status s = vkc_kl_hist_init(&kh, counts, n, p, msg);
    if (s != VKC_OK) return s;
    uint32_t nc = vkc_kl_candidate_count(n, p);
    for (uint32_t c = 0; c < nc; c++) {
        uint32_t i = p->start + c * p->stride;
        double err;
        kl[c] = kh.total == 0 ? NAN : vkc_kl_is_inf(&kh, i) ? INFINITY : vkc_kl_fast(&kh, i, p->levels, &err);
    }
    vkc_kl_hist_free(&kh);
    return VKC_OK;
}
