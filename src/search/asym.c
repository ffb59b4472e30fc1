/* Two-sided (asymmetric) entropy and MSE searches: definitions in asym.h.
 *
 * Notation for window (a, b), m = b - a, L = 256 levels:
 *   h_j counts, T = total, pre[x] = sum_{j<x} h_j,
 *   H = pre[b] - pre[a] = sum Q, OL = pre[a] (left outliers),
 *   OR = T - pre[b] (right outliers), O = OL + OR,
 *   local index r = j - a, level(r) = floor(r L / m); level k covers
 *   r in [ceil(k m / L), ceil((k+1) m / L)),
 *   M_k, n_k: mass and number of non-empty bins of level k, qbar_k = M_k/n_k,
 *   u = 2^-53.
 *
 * KL of a finite window, with sum P = T, p_j = P_j / T, q_j = Q_j / H:
 *   KL = ln(H/T) + S/T,  S = sum_{P_j>0} P_j ln(P_j / Q_j).
 * For interior bins P_j = h_j and Q_j = qbar_level(j); so
 *   S = sum_k V_k + adjL + adjR,
 *   V_k = sum_{j in k, h_j>0} h_j ln(h_j / qbar_k) = B_k - M_k ln qbar_k,
 *         B_k = sum_{j in k} h_j ln h_j (prefix sums);
 *   V_k = 0 exactly when n_k <= 1 (the one bin is its own mean), so only
 *   levels of two or more non-empty bins cost a logarithm, and every
 *   window of m <= L bins has sum V_k = 0;
 *   adjL = P_a ln(P_a/qbar_0) - h_a ln(h_a/qbar_0)
 *        = h_a ln(1 + OL/h_a) + OL ln(P_a / qbar_0),  P_a = h_a + OL = pre[a+1]
 *   (0 when OL = 0), adjR likewise for bin b-1 with OR, the last level and
 *   P_{b-1} = T - pre[b-1]. A window of one bin has p = q = 1: KL = 0. */
#include "search/asym.h"
#include "base/numeric.h"
#include "base/parallel.h"
#include "search/select.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LV VKC_ASYM_LEVELS

typedef unsigned __int128 u128;
typedef __int128 i128;

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */

/* The two-sided searches' selection rule (asym.h): least value, values
 * within the tie tolerance tied, the widest window then the smallest a;
 * band at tol(U). */
static const vkc_select_rule asym_rule = {VKC_TIE_WIDEST, 1, 0, INFINITY};

/* ------------------------------------------------------------------------ */
/* Prepared histogram                                                       */

void vkc_asym_hist_free(vkc_asym_hist *ah)
{
    if (!ah) return;
    free(ah->h);
    free(ah->pre);
    free(ah->nz);
    free(ah->bhi);
    free(ah->blo);
    free(ah->m1);
    free(ah->m2);
    memset(ah, 0, sizeof *ah);
}

vkc_status vkc_asym_hist_init(vkc_asym_hist *ah, const uint64_t *counts, uint32_t n, int what, vkc_msg *msg)
{
    if (!ah) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "asymmetric search: no histogram");
    memset(ah, 0, sizeof *ah);
    if (n == 0) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "asymmetric search: histogram has 0 bins");
    if (!counts) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "asymmetric search: counts is NULL");
    if (n >= (1u << 31))
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "asymmetric search: too many bins (%u)", n);
    if ((what & VKC_ASYM_MSE) && n > VKC_ASYM_MSE_MAX_BINS)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "asymmetric MSE search: %u bins exceed %u", n,
                        VKC_ASYM_MSE_MAX_BINS);
    ah->n = n;
    ah->zb = UINT32_MAX;
    ah->h = vkc_alloc_array(n, sizeof *ah->h);
    ah->pre = vkc_alloc_array((uint64_t)n + 1, sizeof *ah->pre);
    ah->nz = vkc_alloc_array((uint64_t)n + 1, sizeof *ah->nz);
    int ok = ah->h && ah->pre && ah->nz;
    if (what & VKC_ASYM_KL) {
        ah->bhi = vkc_alloc_array((uint64_t)n + 1, sizeof *ah->bhi);
        ah->blo = vkc_alloc_array((uint64_t)n + 1, sizeof *ah->blo);
        ok = ok && ah->bhi && ah->blo;
    }
    if (what & VKC_ASYM_MSE) {
        ah->m1 = vkc_alloc_array((uint64_t)n + 1, sizeof *ah->m1);
        ah->m2 = vkc_alloc_array((uint64_t)n + 1, sizeof *ah->m2);
        ok = ok && ah->m1 && ah->m2;
    }
    if (!ok) {
        vkc_asym_hist_free(ah);
        return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "asymmetric search: out of memory for %u bins", n);
    }
    memcpy(ah->h, counts, (size_t)n * sizeof *ah->h);
    ah->pre[0] = 0;
    ah->nz[0] = 0;
    ah->first = 1;
    ah->last = 0;
    double shi = 0, slo = 0;
    if (ah->bhi) ah->bhi[0] = ah->blo[0] = 0;
    if (ah->m1) ah->m1[0] = ah->m2[0] = 0;
    for (uint32_t j = 0; j < n; j++) {
        uint64_t h = ah->h[j];
        if (!vkc_add_u64(ah->pre[j], h, &ah->pre[j + 1])) {
            vkc_asym_hist_free(ah);
            return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT,
                            "asymmetric search: total count overflows uint64 at bin %u", j);
        }
        ah->nz[j + 1] = ah->nz[j] + (h != 0);
        if (h) {
            if (ah->last < ah->first) ah->first = j;
            ah->last = j;
        }
        if (ah->bhi) {
            /* Sum2: shi is the running float sum, slo the sum of the exact
             * TwoSum errors, so shi + slo = the sum of the computed terms
             * up to (n u)^2 relative (see vkc_asym_kl_fast). */
            double e, x = vkc_hlnh(h);
            shi = vkc_two_sum(shi, x, &e);
            slo += e;
            ah->bhi[j + 1] = shi;
            ah->blo[j + 1] = slo;
        }
        if (ah->m1) {
            u128 v = 2u * (u128)j + 1u;
            ah->m1[j + 1] = ah->m1[j] + (u128)h * v;
            ah->m2[j + 1] = ah->m2[j] + (u128)h * (v * v);
        }
    }
    if (ah->last < ah->first) ah->first = ah->last = 0;
    ah->total = ah->pre[n];
    return VKC_OK;
}

uint32_t vkc_asym_zero_bin(uint32_t n, double lo, double hi)
{
    if (n == 0 || !(lo < 0)) return 0;
    if (!(hi > 0)) return n - 1;
    /* The histogram pass's own arithmetic (src/pass, DESIGN.md §2). */
    const vkc_hist_spec spec = {VKC_HIST_SIGNED, n, (float)lo, (float)hi};
    const float inv = vkc_hist_inv(&spec), t = 0.0f - spec.lo, x = t * inv;
    return x > 0.0f ? (x < (float)n ? (uint32_t)x : n - 1) : 0;
}

/* The zero-bin rule (asym.h): the zero bin takes its neighbours' count. */
static uint64_t zero_bin_count(const uint64_t *h, uint32_t n, uint32_t z)
{
    if (n < 2) return h[z];
    if (z == 0) return h[1];
    if (z == n - 1) return h[n - 2];
    const uint64_t x = h[z - 1], y = h[z + 1];
    return x / 2 + y / 2 + (x & y & 1u);
}

vkc_status vkc_asym_kl_prepare(vkc_asym_hist *ah, const uint64_t *counts, uint32_t n, double lo, double hi,
                               vkc_msg *msg)
{
    if (ah) memset(ah, 0, sizeof *ah);
    if (!ah || !counts || n == 0 || n >= (1u << 31)) return vkc_asym_hist_init(ah, counts, n, VKC_ASYM_KL, msg);
    if (isfinite(lo) && isfinite(hi) && lo <= hi && (lo > 0 || hi < 0))
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT,
                        "asymmetric entropy search: the histogram's range [%g, %g] must contain 0 (every range is "
                        "widened to include 0: bin x over [min(min, 0), max(max, 0)])",
                        lo, hi);
    uint64_t *c = vkc_alloc_array(n, sizeof *c);
    if (!c) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "asymmetric search: out of memory for %u bins", n);
    const int mirrored = lo < 0 && !(hi > 0);
    uint32_t z = vkc_asym_zero_bin(n, lo, hi);
    for (uint32_t j = 0; j < n; j++) c[j] = counts[mirrored ? n - 1 - j : j];
    if (mirrored) z = n - 1 - z;
    c[z] = zero_bin_count(c, n, z);
    vkc_status st = vkc_asym_hist_init(ah, c, n, VKC_ASYM_KL, msg);
    free(c);
    if (st != VKC_OK) return st;
    ah->zb = z;
    ah->mirrored = mirrored;
    return VKC_OK;
}

void vkc_asym_width_range(const vkc_asym_hist *ah, uint32_t m, uint32_t *a0, uint32_t *a1)
{
    *a0 = 0;
    *a1 = ah->n - m;
    if (ah->zb == UINT32_MAX) return;
    if (ah->zb + 1 > m) *a0 = ah->zb + 1 - m;
    if (ah->zb < *a1) *a1 = ah->zb;
}

uint64_t vkc_asym_search_windows(const vkc_asym_hist *ah, uint32_t start)
{
    uint64_t k = 0;
    if (!ah || start == 0) return 0;
    for (uint64_t m = start; m <= ah->n; m++) {
        uint32_t a0, a1;
        vkc_asym_width_range(ah, (uint32_t)m, &a0, &a1);
        k += a1 >= a0 ? (uint64_t)(a1 - a0) + 1 : 0;
    }
    return k;
}

uint64_t vkc_asym_window_count(uint32_t n, uint32_t start)
{
    if (start == 0 || n < start) return 0;
    uint64_t r = (uint64_t)n - start + 1;
    return r * (r + 1) / 2;
}

uint64_t vkc_asym_window_index(uint32_t n, uint32_t start, uint32_t a, uint32_t b)
{
    uint64_t r = (uint64_t)n - start + 1, y = (uint64_t)(b - a - start);
    /* Widths start .. start+y-1 hold r, r-1, ..., r-y+1 windows. */
    return y * r - (y * (y ? y - 1 : 0)) / 2 + a;
}

double vkc_asym_edge(double lo, double hi, uint32_t n, uint32_t k)
{
    if (k >= n) return hi;
    return (double)k * ((hi - lo) / (double)n) + lo;
}

/* ------------------------------------------------------------------------ */
/* Entropy evaluators                                                       */

static inline uint32_t lv_begin(uint32_t k, uint32_t m)
{
    return (uint32_t)(((uint64_t)k * m + LV - 1) / LV);
}

int vkc_asym_kl_is_inf(const vkc_asym_hist *ah, uint32_t a, uint32_t b)
{
    if (!ah || a >= b || b > ah->n) return 0;
    const uint64_t *pre = ah->pre;
    if (pre[a] && !ah->h[a]) return 1;
    if (ah->total - pre[b] && !ah->h[b - 1]) return 1;
    return 0;
}

/* The definition bin by bin; independent of the prefix arrays on purpose.
 * Terms are summed with compensation (error analysed in
 * vkc_asym_kl_ref_err); otherwise the plain loop. */
double vkc_asym_kl_reference(const vkc_asym_hist *ah, uint32_t a, uint32_t b)
{
    if (!ah || !ah->h || a >= b || b > ah->n) return NAN;
    const uint64_t *h = ah->h;
    const uint32_t n = ah->n, m = b - a;
    uint64_t left = 0, right = 0, sum_q = 0;
    for (uint32_t j = 0; j < a; j++) left += h[j];
    for (uint32_t j = b; j < n; j++) right += h[j];
    for (uint32_t j = a; j < b; j++) sum_q += h[j];
    uint64_t sum_p = left + sum_q + right;
    if (sum_p == 0) return NAN;

    vkc_ksum kl = {0, 0};
    uint32_t j = a;
    while (j < b) {
        uint32_t k = (uint32_t)(((uint64_t)(j - a) * LV) / m), end = j, nonzero = 0;
        uint64_t mass = 0;
        while (end < b && (uint32_t)(((uint64_t)(end - a) * LV) / m) == k) {
            mass += h[end];
            nonzero += h[end] != 0;
            end++;
        }
        double qbar = nonzero ? (double)mass / (double)nonzero : 0.0;
        for (; j < end; j++) {
            uint64_t big_p = h[j] + (j == a ? left : 0) + (j == b - 1 ? right : 0);
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

/* Bound on |vkc_asym_kl_reference - exact|. Each term p ln(p/q): p = P/T
 * (3u), q = qbar/H (4.1u), p/q (u): ln's argument within 8.2u, so ln(p/q)
 * within 8.2u + 2u|ln(p/q)| (libm log <= 1 ulp); times p (3u) and the
 * product (u): term within 8.2u p + 6u|term|. With p in [1/T, 1] and
 * q in [1/T, 1], |ln(p/q)| <= ln T, sum p = 1, plus 2.1u|KL| from the
 * compensated sum: u (8.2 + 6 ln T + 2.1|KL|) < u (9 + 6.5 ln T + 2.5|KL|). */
double vkc_asym_kl_ref_err(const vkc_asym_hist *ah, double kl)
{
    double t = ah ? (double)ah->total : 0.0;
    double ln_t = t > 1 ? log(t) : 0.0;
    return VKC_U * (9.0 + 6.5 * ln_t + 2.5 * fabs(kl));
}

/* Fast O(L) evaluation (the decomposition at the top of this file).
 *
 * Error bound, in units of u, libm log/log1p <= 1 ulp (2u relative),
 * integer -> double conversions u:
 *   B_k from the double-double prefix sums: every term h ln h within
 *     6.5u h ln h (conversion, log, product; h ln h >= 0.69 h for h >= 2);
 *     Sum2 keeps bhi[x] + blo[x] within 1.01 (x u)^2 X of the sum of the
 *     computed terms (X = the whole histogram's sum); the three roundings
 *     of (bhi1 - bhi0) + (blo1 - blo0) add 2.01u|B_k| + 4.1 n u^2 X. So
 *     |B_k - exact| <= 8.6u B_k + 6.2 n^2 u^2 X: relative to the level, not
 *     to the prefix, whatever a is.
 *   t_k = M_k ln qbar_k: qbar within 2.1u, ln within 2.1u + 2u ln qbar,
 *     times M (u) and the product (u): <= 2.1u M + 4.1u t_k (t_k >= 0).
 *   V_k = B_k - t_k: u|V_k|; their compensated sum: 2.2u sum|V_k|.
 *   adj terms: h log1p(O/h) within 3.2u h + 4.1u|a1|; O ln(P/qbar) within
 *     4.4u O + 4.1u|a2| (as in src/entropy.c).
 *   S = sumV + ((a1 + a2) + (a3 + a4)): three roundings, 3u (|sumV| + mag).
 *   S/T: 2.1u|S|/T. ln(H/T): log1p(-O/T) when O <= H (4.5u), else
 *     log(H/T) (3.2u + 2u|ln(H/T)|): 4.5u + 2u|ln(H/T)| covers both.
 *   The final sum: u|KL|.
 * The plain double sums feeding the bound are inflated by 1%. The returned
 * bound is twice the sum of that and vkc_asym_kl_ref_err, so it bounds the
 * distance to the exact value AND to the reference's value. */
double vkc_asym_kl_fast(const vkc_asym_hist *ah, uint32_t a, uint32_t b, double *err)
{
    double dummy;
    if (!err) err = &dummy;
    if (!ah || !ah->bhi || a >= b || b > ah->n || ah->total == 0) {
        *err = INFINITY;
        return NAN;
    }
    if (vkc_asym_kl_is_inf(ah, a, b)) {
        *err = 0;
        return INFINITY;
    }
    const uint32_t m = b - a;
    if (m == 1) {
        *err = 0;
        return 0.0;
    }
    const uint64_t *pre = ah->pre;
    const uint32_t *nz = ah->nz;
    const double *bhi = ah->bhi, *blo = ah->blo;
    const uint64_t total = ah->total, big_h = pre[b] - pre[a], ol = pre[a], orr = total - pre[b];
    const double t = (double)total;

    vkc_ksum acc = {0, 0};
    double s_b = 0, s_t = 0, s_m = 0, s_v = 0;
    uint32_t levels_used = 0;
    if (m > LV) {
        uint32_t x0 = a;
        for (uint32_t k = 1; k <= LV; k++) {
            const uint32_t x1 = a + lv_begin(k, m);
            const uint32_t cnt = nz[x1] - nz[x0];
            if (cnt >= 2) {
                const double mass = (double)(pre[x1] - pre[x0]);
                const double tk = mass * log(mass / (double)cnt);
                const double bk = (bhi[x1] - bhi[x0]) + (blo[x1] - blo[x0]);
                const double v = bk - tk;
                vkc_ksum_add(&acc, v);
                s_b += bk;
                s_t += tk;
                s_m += mass;
                s_v += fabs(v);
                levels_used++;
            }
            x0 = x1;
        }
    }

    double a1 = 0, a2 = 0, a3 = 0, a4 = 0, lin = 0;
    if (ol) {
        const uint64_t h = ah->h[a];
        const uint32_t x1 = a + lv_begin(1, m);
        const double q = (double)(pre[x1] - pre[a]) / (double)(nz[x1] - nz[a]);
        a1 = (double)h * log1p((double)ol / (double)h);
        a2 = (double)ol * log((double)pre[a + 1] / q);
        lin += 3.2 * (double)h + 4.4 * (double)ol;
    }
    if (orr) {
        const uint64_t h = ah->h[b - 1];
        const uint32_t klast = (uint32_t)(((uint64_t)(m - 1) * LV) / m);
        const uint32_t x0 = a + lv_begin(klast, m);
        const double q = (double)(pre[b] - pre[x0]) / (double)(nz[b] - nz[x0]);
        a3 = (double)h * log1p((double)orr / (double)h);
        a4 = (double)orr * log((double)(total - pre[b - 1]) / q);
        lin += 3.2 * (double)h + 4.4 * (double)orr;
    }
    const double sum_v = vkc_ksum_get(&acc);
    const double s = sum_v + ((a1 + a2) + (a3 + a4));
    const uint64_t o = ol + orr;
    const double ln_ht = o == 0 ? 0.0 : (o <= big_h ? log1p(-(double)o / t) : log((double)big_h / t));
    const double kl = ln_ht + s / t;

    const double mag = fabs(a1) + fabs(a2) + fabs(a3) + fabs(a4);
    const double n2 = (double)ah->n * (double)ah->n;
    const double x_all = fabs(bhi[ah->n]) + fabs(blo[ah->n]);
    double e = 1.01 * (8.6 * s_b + 2.1 * s_m + 4.1 * s_t + 3.2 * s_v) +
               (double)levels_used * 6.2 * n2 * VKC_U * x_all + lin + 4.1 * mag + 3.0 * (fabs(sum_v) + mag) +
               2.1 * fabs(s);
    e = e / t + 4.5 + 2.0 * fabs(ln_ht) + fabs(kl);
    *err = 2.0 * (VKC_U * e + vkc_asym_kl_ref_err(ah, kl));
    return kl;
}

/* ------------------------------------------------------------------------ */
/* MSE evaluators                                                           */

typedef struct mse_grid {
    double lo, hi, w, lop, hip, scale, zp;
    int ok;
} mse_grid;

static void mse_grid_from(double lo, double hi, double w, double lop, double hip, mse_grid *g)
{
    g->lo = lo;
    g->hi = hi;
    g->w = w;
    g->lop = lop;
    g->hip = hip;
    g->scale = (hip - lop) / 255.0;
    double z = nearbyint(-lop / g->scale) + 0.0;
    g->zp = z < 0 ? 0.0 : z > 255 ? 255.0 : z;
    g->ok = g->scale > 0 && isfinite(g->scale) && isfinite(z) && w > 0 && isfinite(w);
}

static void mse_grid_of(double lo, double hi, uint32_t n, uint32_t a, uint32_t b, mse_grid *g)
{
    double ea = vkc_asym_edge(lo, hi, n, a), eb = vkc_asym_edge(lo, hi, n, b);
    mse_grid_from(lo, hi, (hi - lo) / (double)n, ea < 0 ? ea : 0.0, eb > 0 ? eb : 0.0, g);
}

static inline double mse_centre(const mse_grid *g, uint32_t j)
{
    return g->lo + ((double)j + 0.5) * g->w;
}

static inline double mse_code(const mse_grid *g, uint32_t j)
{
    double q = nearbyint(mse_centre(g, j) / g->scale) + g->zp;
    return q < 0 ? 0.0 : q > 255 ? 255.0 : q;
}

static double mse_ref_grid(const vkc_asym_hist *ah, const mse_grid *g)
{
    if (!g->ok) return INFINITY;
    vkc_ksum s = {0, 0};
    for (uint32_t j = ah->first; j <= ah->last; j++) {
        if (!ah->h[j]) continue;
        double c = mse_centre(g, j);
        double q = mse_code(g, j);
        double d = (q - g->zp) * g->scale;
        double e = d - c;
        vkc_ksum_add(&s, (double)ah->h[j] * (e * e));
    }
    return vkc_ksum_get(&s) / (double)ah->total;
}

double vkc_asym_mse_window_reference(const vkc_asym_hist *ah, double lo, double hi, uint32_t a, uint32_t b)
{
    if (!ah || !ah->h || a >= b || b > ah->n || ah->total == 0) return NAN;
    mse_grid g;
    mse_grid_of(lo, hi, ah->n, a, b, &g);
    return mse_ref_grid(ah, &g);
}

/* Bound on |mse_ref_grid - exact| for a window whose exact value is at
 * most e_up (derivation below). */
static double mse_ref_err(const mse_grid *g, double e_up)
{
    const double eta = 8.2 * VKC_U * fmax(fabs(g->lo), fabs(g->hi));
    return 1.01 * (2.0 * eta * sqrt(e_up) + eta * eta + 7.2 * VKC_U * e_up);
}

/* The fast MSE evaluation of one quantization grid.
 *
 * Exact target E = sum_j h_j (d_q(j) - c_j)^2 / T with the q of every bin
 * as the double definition assigns it (both evaluators call mse_code), d_q
 * = (q - zp) scale and c_j = lo + (j + 1/2) w as real numbers. q(j) is
 * non-decreasing in j (every step of mse_code is a monotone rounded
 * operation), so bins of one code form a run [j, j1); the run boundaries
 * are estimated from the inverse of the map and then settled by evaluating
 * mse_code itself, so the runs are exactly the reference's.
 * On a run, with v = 2j + 1 and D = 2 (d - lo) / w: d - c_j = (w/2)(D - v)
 * and sum h (D - v)^2 = delta^2 S0 - 2 delta T1 + T2 with an odd integer v0,
 * delta = D - v0, T1 = sum h (v - v0), T2 = sum h (v - v0)^2 exact from the
 * 128-bit moment prefix sums. v0 = the odd integer nearest D clamped to the
 * run: then |delta| <= 1 and |v - v0| >= 2 where nonzero, or delta has the
 * opposite sign of every v - v0; either way delta^2 S0 + 2|delta T1| + T2
 * <= 9 times the run's sum: no cancellation.
 * Bound, units of u: S0, T1, T2 conversions and the products and sums:
 * <= 5.1u per run of mag = delta^2 S0 + 2|delta T1| + T2; the compensated
 * sum of runs 2.2u sum mag; D itself carries eps <= 2.01u(|D| + 2|d|/w) +
 * u|delta|, which moves the run's sum by <= 2 eps (|delta| S0 + |T1|) +
 * 3 eps^2 S0 (its derivative is 2 (delta S0 - T1)); the final scaling
 * by w^2/4/T: 4.1u |value|.
 * Reference's own error: per bin |e~ - e| <= eta = 8.2u G with
 * G = max(|lo|, |hi|) (|c| <= G, |(j+1/2)w| <= 2G, |d| <= 2G); squares,
 * products, compensated sum and division add 7.2u E; by Cauchy-Schwarz
 * sum h 2|e| eta <= 2 eta T sqrt(E): <= 2 eta sqrt(E) + eta^2 + 7.2u E.
 * *err is 1.1 times the sum of both, with E bounded by value + own bound. */
static double mse_fast_grid(const vkc_asym_hist *ah, const mse_grid *g, double *err)
{
    if (!g->ok) {
        *err = 0;
        return INFINITY;
    }
    const uint64_t *pre = ah->pre;
    const u128 *m1 = ah->m1, *m2 = ah->m2;
    const uint32_t last = ah->last;
    vkc_ksum acc = {0, 0};
    double mag = 0, dterm = 0;
    uint32_t j = ah->first;
    while (j <= last) {
        const double q = mse_code(g, j);
        uint32_t j1;
        if (q >= 255.0) {
            j1 = last + 1;
        } else {
            double x = ceil(((q + 0.5 - g->zp) * g->scale - g->lo) / g->w - 0.5);
            j1 = !(x > (double)j + 1) ? j + 1 : x >= (double)last + 1 ? last + 1 : (uint32_t)x;
            while (j1 > j + 1 && mse_code(g, j1 - 1) > q) j1--;
            while (j1 <= last && mse_code(g, j1) <= q) j1++;
        }
        const uint64_t s0i = pre[j1] - pre[j];
        if (s0i) {
            const double d = (q - g->zp) * g->scale;
            const double big_d = 2.0 * ((d - g->lo) / g->w);
            const uint64_t vf = 2ull * j + 1, vl = 2ull * (j1 - 1) + 1;
            uint64_t v0;
            if (!(big_d > (double)vf)) v0 = vf;
            else if (big_d >= (double)vl) v0 = vl;
            else v0 = 2 * (uint64_t)floor(big_d / 2.0) + 1;
            const u128 s1 = m1[j1] - m1[j], s2 = m2[j1] - m2[j];
            const i128 t1i = (i128)s1 - (i128)((u128)v0 * s0i);
            const u128 t2i = s2 + (u128)v0 * v0 * s0i - 2 * (u128)v0 * s1;
            const double delta = big_d - (double)v0;
            const double s0 = (double)s0i, t1 = (double)t1i, t2 = (double)t2i;
            const double r = ((delta * delta) * s0 - (2.0 * delta) * t1) + t2;
            vkc_ksum_add(&acc, r);
            mag += (delta * delta) * s0 + fabs(2.0 * delta * t1) + t2;
            const double eps = 2.01 * VKC_U * (fabs(big_d) + 2.0 * fabs(d) / g->w) + VKC_U * fabs(delta);
            dterm += 2.0 * eps * (fabs(delta) * s0 + fabs(t1)) + 3.0 * eps * eps * s0;
        }
        j = j1;
    }
    const double t = (double)ah->total;
    const double f = g->w * g->w / 4.0;
    const double val = vkc_ksum_get(&acc) * f / t;
    const double own = 1.01 * ((7.4 * VKC_U * mag + dterm) * f / t) + 4.1 * VKC_U * fabs(val);
    *err = 1.1 * (own + mse_ref_err(g, fabs(val) + own)) + 1e-300;
    return val;
}

double vkc_asym_mse_window_fast(const vkc_asym_hist *ah, double lo, double hi, uint32_t a, uint32_t b,
                                double *err)
{
    double dummy;
    if (!err) err = &dummy;
    if (!ah || !ah->m1 || a >= b || b > ah->n || ah->total == 0) {
        *err = INFINITY;
        return NAN;
    }
    mse_grid g;
    mse_grid_of(lo, hi, ah->n, a, b, &g);
    return mse_fast_grid(ah, &g, err);
}

/* ------------------------------------------------------------------------ */
/* Search plumbing shared by both methods                                   */

typedef enum { M_KL, M_MSE } method;

typedef struct search {
    method kind;
    const vkc_asym_hist *ah;
    double lo, hi;
    uint32_t start;
    /* MSE: windows with a >= a0 have lo' = 0, windows with b <= b0 have
     * hi' = 0; their values depend on b (resp. a) alone and are tabled. */
    uint32_t a0, b0;
    double *vb, *eb, *va, *ea;
} search;

static void fallback(vkc_asym_result *res, uint32_t n, double lo, double hi, const char *fmt, ...)
    VKC_PRINTF(5, 6);

static void fallback(vkc_asym_result *res, uint32_t n, double lo, double hi, const char *fmt, ...)
{
    va_list ap;
    res->fallback = 1;
    res->a = 0;
    res->b = n;
    res->lo = lo;
    res->hi = hi;
    res->value = 0;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
}

/* Checks and the fallbacks common to every path. *go = 1 when windows need
 * evaluating. */
static vkc_status begin(method kind, const vkc_asym_hist *ah, double lo, double hi, uint32_t *start,
                        vkc_asym_result *res, vkc_msg *msg, int *go)
{
    const char *what = kind == M_KL ? "asymmetric entropy search" : "asymmetric MSE search";
    *go = 0;
    if (!res) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: no result", what);
    memset(res, 0, sizeof *res);
    if (!ah || !ah->h || ah->n == 0) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: no histogram", what);
    if ((kind == M_KL && !ah->bhi) || (kind == M_MSE && !ah->m1))
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: histogram not prepared for it", what);
    if (!isfinite(lo) || !isfinite(hi) || hi < lo)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: range [%g, %g] invalid", what, lo, hi);
    if (fabs(lo) > 0x1p900 || fabs(hi) > 0x1p900)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: range [%g, %g] too large", what, lo, hi);
    if (*start == 0) *start = VKC_ASYM_DEFAULT_START;
    const uint32_t n = ah->n;
    res->windows = vkc_asym_search_windows(ah, *start);
    if (ah->total == 0) {
        fallback(res, n, lo, hi, "histogram is empty");
        return VKC_OK;
    }
    if (n < *start) {
        fallback(res, n, lo, hi, "%u bins, fewer than the minimum window of %u", n, *start);
        return VKC_OK;
    }
    if (!((hi - lo) / (double)n >= 0x1p-900)) {
        fallback(res, n, lo, hi, "histogram range [%g, %g] is empty or too narrow", lo, hi);
        return VKC_OK;
    }
    if (kind == M_KL) {
        /* Infinite windows: a with OL > 0 and h[a] = 0, or b with OR > 0
         * and h[b-1] = 0; counted exactly. */
        uint64_t inf = 0;
        for (uint32_t m = *start; m <= n; m++) {
            uint32_t a0, a1;
            vkc_asym_width_range(ah, m, &a0, &a1);
            for (uint32_t a = a0; a <= a1; a++)
                inf += (ah->pre[a] && !ah->h[a]) || (ah->total - ah->pre[a + m] && !ah->h[a + m - 1]);
        }
        res->inf_windows = inf;
        if (inf == res->windows) {
            fallback(res, n, lo, hi, "every window has infinite divergence");
            return VKC_OK;
        }
    }
    *go = 1;
    return VKC_OK;
}

static double window_fast(const search *s, uint32_t a, uint32_t b, double *err)
{
    if (s->kind == M_KL) return vkc_asym_kl_fast(s->ah, a, b, err);
    if (s->vb && a >= s->a0) {
        *err = s->eb[b];
        return s->vb[b];
    }
    if (s->va && b <= s->b0) {
        *err = s->ea[a];
        return s->va[a];
    }
    return vkc_asym_mse_window_fast(s->ah, s->lo, s->hi, a, b, err);
}

static double window_ref(const search *s, uint32_t a, uint32_t b)
{
    if (s->kind == M_KL) return vkc_asym_kl_reference(s->ah, a, b);
    return vkc_asym_mse_window_reference(s->ah, s->lo, s->hi, a, b);
}

static int window_inf(const search *s, uint32_t a, uint32_t b)
{
    return s->kind == M_KL && vkc_asym_kl_is_inf(s->ah, a, b);
}

/* MSE tables (see struct search); O(N) fast evaluations. */
static vkc_status mse_tables(search *s, vkc_msg *msg)
{
    const vkc_asym_hist *ah = s->ah;
    const uint32_t n = ah->n, st = s->start;
    const double w = (s->hi - s->lo) / (double)n;
    s->a0 = n + 1;
    for (uint32_t a = 0; a <= n; a++)
        if (!(vkc_asym_edge(s->lo, s->hi, n, a) < 0)) {
            s->a0 = a;
            break;
        }
    s->b0 = 0;
    int any_b0 = 0;
    for (uint32_t b = n + 1; b-- > 0;)
        if (!(vkc_asym_edge(s->lo, s->hi, n, b) > 0)) {
            s->b0 = b;
            any_b0 = 1;
            break;
        }
    if (s->a0 + st <= n) {
        s->vb = vkc_alloc_array((uint64_t)n + 1, sizeof(double));
        s->eb = vkc_alloc_array((uint64_t)n + 1, sizeof(double));
        if (!s->vb || !s->eb) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "asymmetric MSE: out of memory");
        for (uint32_t b = s->a0 + st; b <= n; b++) {
            double eb = vkc_asym_edge(s->lo, s->hi, n, b);
            mse_grid g;
            mse_grid_from(s->lo, s->hi, w, 0.0, eb > 0 ? eb : 0.0, &g);
            s->vb[b] = mse_fast_grid(ah, &g, &s->eb[b]);
        }
    }
    if (any_b0 && s->b0 >= st) {
        s->va = vkc_alloc_array((uint64_t)n + 1, sizeof(double));
        s->ea = vkc_alloc_array((uint64_t)n + 1, sizeof(double));
        if (!s->va || !s->ea) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "asymmetric MSE: out of memory");
        for (uint32_t a = 0; a + st <= s->b0; a++) {
            double ea = vkc_asym_edge(s->lo, s->hi, n, a);
            mse_grid g;
            mse_grid_from(s->lo, s->hi, w, ea < 0 ? ea : 0.0, 0.0, &g);
            s->va[a] = mse_fast_grid(ah, &g, &s->ea[a]);
        }
    } else {
        s->b0 = 0;
    }
    return VKC_OK;
}

static void search_free(search *s)
{
    free(s->vb);
    free(s->eb);
    free(s->va);
    free(s->ea);
}

/* Exhaustive fast pass: lane t takes window widths start + t, start + t +
 * lanes, ..., each on its own thread with its own candidate list. */
typedef struct sweep_job {
    const search *s;
    uint32_t lanes;
    vkc_cand_list *cl;
} sweep_job;

static void sweep_lane(void *arg, uint32_t t)
{
    const sweep_job *j = arg;
    const search *s = j->s;
    const uint32_t n = s->ah->n;
    vkc_cand_list *cl = &j->cl[t];
    for (uint64_t m = (uint64_t)s->start + t; m <= n; m += j->lanes) {
        uint32_t a0, a1;
        vkc_asym_width_range(s->ah, (uint32_t)m, &a0, &a1);
        for (uint32_t a = a0; a <= a1; a++) {
            const uint32_t b = a + (uint32_t)m;
            if (window_inf(s, a, b)) continue;
            double e, lo, hi, v = window_fast(s, a, b, &e);
            vkc_bracket(v, e, &lo, &hi);
            vkc_cands_push(cl, a, b, lo, hi);
            if (cl->oom) return;
        }
    }
}

static vkc_status sweep(const search *s, uint32_t threads, vkc_cand_list *out, vkc_msg *msg)
{
    enum { MAXT = 64 };
    uint32_t nt = threads ? threads : vkc_cpu_count();
    if (nt > MAXT) nt = MAXT;
    if (nt < 1) nt = 1;
    vkc_cand_list lists[MAXT];
    for (uint32_t k = 0; k < nt; k++) vkc_cands_init(&lists[k], &asym_rule);
    sweep_job job = {s, nt, lists};
    vkc_parallel_for(nt, nt, sweep_lane, &job);
    /* Window order, so that the result never depends on the threads. */
    if (!vkc_cands_merge(lists, nt, out))
        return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "asymmetric search: out of memory for candidates");
    return VKC_OK;
}

/* Fills the result from the chosen window. */
static void finish(const search *s, const vkc_cand *c, vkc_asym_result *res)
{
    const vkc_asym_hist *ah = s->ah;
    /* A mirrored histogram's window, in the histogram's own bins. */
    res->a = ah->mirrored ? ah->n - c->b : c->a;
    res->b = ah->mirrored ? ah->n - c->a : c->b;
    res->value = c->val;
    if (s->kind == M_KL) {
        res->lo = vkc_asym_edge(s->lo, s->hi, ah->n, res->a);
        res->hi = vkc_asym_edge(s->lo, s->hi, ah->n, res->b);
    } else {
        mse_grid g;
        mse_grid_of(s->lo, s->hi, ah->n, c->a, c->b, &g);
        res->lo = g.lop;
        res->hi = g.hip;
    }
}

/* The cascade's evaluators on window (a, b). */
static double eval_fast(const void *ctx, uint32_t a, uint32_t b, double *err)
{
    return window_fast(ctx, a, b, err);
}

static double eval_ref(const void *ctx, uint32_t a, uint32_t b)
{
    return window_ref(ctx, a, b);
}

/* The end of every path: optional fast re-evaluation of the survivors of an
 * approximate stage, filter, reference, tie rule (select.h). */
static void decide(const search *s, vkc_cand_list *cl, int refine, vkc_asym_result *res)
{
    const vkc_cand_eval ev = {s, eval_fast, eval_ref};
    size_t k = vkc_cands_decide(cl, &ev, refine, &res->fast_checked, &res->reevaluated);
    if (k == cl->len) {
        fallback(res, s->ah->n, s->lo, s->hi, "no window has a finite value");
        return;
    }
    finish(s, &cl->v[k], res);
}

/* ------------------------------------------------------------------------ */
/* Entropy searches                                                         */

/* The windows whose device brackets reach the tie band: approx holds
 * (value, bound on |value - exact|) per window in window order; the
 * reference's own error is added here. The cells give a starting U (every
 * cell's upper end is >= the upper ends of its windows) and let whole groups
 * be skipped. */
static vkc_status scan_approx(const search *s, const float *approx, const float *cells, uint32_t cell_windows,
                              vkc_cand_list *cl, vkc_msg *msg)
{
    const vkc_asym_hist *ah = s->ah;
    const uint32_t n = ah->n, start = s->start, rows = n - start + 1;
    const uint32_t cw = cells && cell_windows ? cell_windows : 0;
    const uint32_t cpr = cw ? (rows + cw - 1) / cw : 0;
    /* The MSE shader works in units of the bin width: values are MSE / w^2.
     * (Multiplying by f rounds monotonically, so a cell's ends stay on the
     * right side of its windows'; the brackets' slack covers the rest.) */
    const double wd = (s->hi - s->lo) / (double)n, f = s->kind == M_MSE ? wd * wd : 1.0;
    vkc_cands_init(cl, &asym_rule);
    if (cw) {
        for (uint32_t y = 0; y < rows; y++)
            for (uint32_t c = 0; c * cw < rows - y; c++) {
                double chi = cells[2 * ((uint64_t)y * cpr + c) + 1] * f;
                if (chi < cl->u) cl->u = chi;
            }
    }
    uint64_t idx = 0;
    for (uint32_t y = 0; y < rows; y++) {
        /* Width start + y: windows a = 0 .. len - 1. */
        const uint32_t len = rows - y, m = start + y;
        uint32_t a0, a1;
        vkc_asym_width_range(ah, m, &a0, &a1);
        for (uint32_t c0 = 0; c0 < len; c0 += cw ? cw : len) {
            const uint32_t c1 = cw && len - c0 > cw ? c0 + cw : len;
            if (c1 <= a0 || c0 > a1) continue; /* no window of the search here */
            if (cw) {
                double clo = cells[2 * ((uint64_t)y * cpr + c0 / cw)] * f;
                if (clo > vkc_tie_limit(cl->u)) continue;
            }
            for (uint32_t a = c0 > a0 ? c0 : a0; a < c1 && a <= a1; a++) {
                const uint32_t b = a + m;
                if (window_inf(s, a, b)) continue;
                const uint64_t w = idx + a;
                double v = approx[2 * w] * f, e = approx[2 * w + 1] * f, blo, bhi, pad;
                if (s->kind == M_KL) {
                    pad = vkc_asym_kl_ref_err(ah, fabs(v) + e);
                } else {
                    mse_grid g;
                    mse_grid_of(s->lo, s->hi, n, a, b, &g);
                    pad = mse_ref_err(&g, fabs(v) + e);
                }
                vkc_bracket(v, e + pad, &blo, &bhi);
                vkc_cands_push(cl, a, b, blo, bhi);
                if (cl->oom) {
                    vkc_cands_free(cl);
                    return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "asymmetric search: out of memory");
                }
            }
        }
        idx += len;
    }
    return VKC_OK;
}

vkc_status vkc_asym_entropy_select(const vkc_asym_hist *ah, double lo, double hi, uint32_t start,
                                   const float *approx, const float *cells, uint32_t cell_windows,
                                   uint32_t threads, vkc_asym_result *res, vkc_msg *msg)
{
    int go;
    vkc_status st = begin(M_KL, ah, lo, hi, &start, res, msg, &go);
    if (st != VKC_OK || !go) return st;
    search s = {M_KL, ah, lo, hi, start, 0, 0, NULL, NULL, NULL, NULL};
    vkc_cand_list cl;
    st = approx ? scan_approx(&s, approx, cells, cell_windows, &cl, msg) : sweep(&s, threads, &cl, msg);
    if (st != VKC_OK) return st;
    decide(&s, &cl, approx != NULL, res);
    vkc_cands_free(&cl);
    return VKC_OK;
}

vkc_status vkc_asym_entropy_cpu_threads(const uint64_t *counts, uint32_t n, double lo, double hi,
                                        uint32_t start, uint32_t threads, vkc_asym_result *res,
                                        vkc_msg *msg)
{
    vkc_asym_hist ah;
    if (res) memset(res, 0, sizeof *res);
    vkc_status st = vkc_asym_kl_prepare(&ah, counts, n, lo, hi, msg);
    if (st != VKC_OK) return st;
    st = vkc_asym_entropy_select(&ah, lo, hi, start, NULL, NULL, 0, threads, res, msg);
    vkc_asym_hist_free(&ah);
    return st;
}

vkc_status vkc_asym_entropy_cpu(const uint64_t *counts, uint32_t n, double lo, double hi, uint32_t start,
                                vkc_asym_result *res, vkc_msg *msg)
{
    return vkc_asym_entropy_cpu_threads(counts, n, lo, hi, start, 0, res, msg);
}

/* The reference on every window of a prepared histogram, then the tie
 * rule. */
static vkc_status reference_all(method kind, const uint64_t *counts, uint32_t n, double lo, double hi,
                                uint32_t start, vkc_asym_result *res, vkc_msg *msg)
{
    vkc_asym_hist ah;
    if (res) memset(res, 0, sizeof *res);
    vkc_status st = kind == M_KL ? vkc_asym_kl_prepare(&ah, counts, n, lo, hi, msg)
                                 : vkc_asym_hist_init(&ah, counts, n, VKC_ASYM_MSE, msg);
    if (st != VKC_OK) return st;
    int go;
    st = begin(kind, &ah, lo, hi, &start, res, msg, &go);
    if (st == VKC_OK && go) {
        search s = {kind, &ah, lo, hi, start, 0, 0, NULL, NULL, NULL, NULL};
        vkc_cand_list cl;
        vkc_cands_init(&cl, &asym_rule);
        if (res->windows > SIZE_MAX || !vkc_cands_reserve(&cl, (size_t)res->windows)) {
            st = vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "asymmetric search: out of memory");
        } else {
            for (uint32_t m = start; m <= n; m++) {
                uint32_t a0, a1;
                vkc_asym_width_range(&ah, m, &a0, &a1);
                for (uint32_t a = a0; a <= a1; a++) {
                    if (window_inf(&s, a, a + m)) continue;
                    vkc_cands_append(&cl, a, a + m, -INFINITY, INFINITY);
                }
            }
            decide(&s, &cl, 0, res);
            vkc_cands_free(&cl);
        }
    }
    vkc_asym_hist_free(&ah);
    return st;
}

vkc_status vkc_asym_entropy_reference(const uint64_t *counts, uint32_t n, double lo, double hi,
                                      uint32_t start, vkc_asym_result *res, vkc_msg *msg)
{
    return reference_all(M_KL, counts, n, lo, hi, start, res, msg);
}

/* ------------------------------------------------------------------------ */
/* MSE searches                                                             */

vkc_status vkc_asym_mse_select(const vkc_asym_hist *ah, double lo, double hi, uint32_t start,
                               const float *approx, const float *cells, uint32_t cell_windows,
                               uint32_t threads, vkc_asym_result *res, vkc_msg *msg)
{
    int go;
    vkc_status st = begin(M_MSE, ah, lo, hi, &start, res, msg, &go);
    if (st != VKC_OK || !go) return st;
    search s = {M_MSE, ah, lo, hi, start, 0, 0, NULL, NULL, NULL, NULL};
    st = mse_tables(&s, msg);
    vkc_cand_list cl;
    if (st == VKC_OK)
        st = approx ? scan_approx(&s, approx, cells, cell_windows, &cl, msg) : sweep(&s, threads, &cl, msg);
    if (st == VKC_OK) {
        decide(&s, &cl, approx != NULL, res);
        vkc_cands_free(&cl);
    }
    search_free(&s);
    return st;
}

vkc_status vkc_asym_mse_cpu_threads(const uint64_t *counts, uint32_t n, double lo, double hi, uint32_t start,
                                    uint32_t threads, vkc_asym_result *res, vkc_msg *msg)
{
    vkc_asym_hist ah;
    if (res) memset(res, 0, sizeof *res);
    vkc_status st = vkc_asym_hist_init(&ah, counts, n, VKC_ASYM_MSE, msg);
    if (st != VKC_OK) return st;
    st = vkc_asym_mse_select(&ah, lo, hi, start, NULL, NULL, 0, threads, res, msg);
    vkc_asym_hist_free(&ah);
    return st;
}

vkc_status vkc_asym_mse_cpu(const uint64_t *counts, uint32_t n, double lo, double hi, uint32_t start,
                            vkc_asym_result *res, vkc_msg *msg)
{
    return vkc_asym_mse_cpu_threads(counts, n, lo, hi, start, 0, res, msg);
}

vkc_status vkc_asym_mse_reference(const uint64_t *counts, uint32_t n, double lo, double hi, uint32_t start,
                                  vkc_asym_result *res, vkc_msg *msg)
{
    return reference_all(M_MSE, counts, n, lo, hi, start, res, msg);
}
