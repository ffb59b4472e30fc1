/* The two-sided searches' fast evaluators (asym.h), in double: entropy in
 * O(L) per window from prefix sums, MSE in O(levels) per grid from exact
 * 128-bit moments, each with a rigorous bound on its distance to the
 * reference's value (asym_ref.c), so that the selection can keep every
 * window the bounds cannot exclude. Notation in asym_impl.h.
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
#include "search/asym_impl.h"
#include "base/numeric.h"

#define LV VKC_ASYM_LEVELS

typedef unsigned __int128 u128;
typedef __int128 i128;

/* ------------------------------------------------------------------------ */
/* Entropy: fast evaluator                                                  */

static inline uint32_t lv_begin(uint32_t k, uint32_t m)
{
    return (uint32_t)(((uint64_t)k * m + LV - 1) / LV);
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
/* MSE: fast evaluator                                                      */

/* The fast MSE evaluation of one quantization grid.
 *
 * Exact target E = sum_j h_j (d_q(j) - c_j)^2 / T with the q of every bin
 * as the double definition assigns it (both evaluators call vkc_asym_grid_code), d_q
 * = (q - zp) scale and c_j = lo + (j + 1/2) w as real numbers. q(j) is
 * non-decreasing in j (every step of vkc_asym_grid_code is a monotone rounded
 * operation), so bins of one code form a run [j, j1); the run boundaries
 * are estimated from the inverse of the map and then settled by evaluating
 * vkc_asym_grid_code itself, so the runs are exactly the reference's.
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
double vkc_asym_mse_fast_grid(const vkc_asym_hist *ah, const vkc_asym_grid *g, double *err)
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
        const double q = vkc_asym_grid_code(g, j);
        uint32_t j1;
        if (q >= 255.0) {
            j1 = last + 1;
        } else {
            double x = ceil(((q + 0.5 - g->zp) * g->scale - g->lo) / g->w - 0.5);
            j1 = !(x > (double)j + 1) ? j + 1 : x >= (double)last + 1 ? last + 1 : (uint32_t)x;
            while (j1 > j + 1 && vkc_asym_grid_code(g, j1 - 1) > q) j1--;
            while (j1 <= last && vkc_asym_grid_code(g, j1) <= q) j1++;
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
    *err = 1.1 * (own + vkc_asym_mse_ref_err(g, fabs(val) + own)) + 1e-300;
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
    vkc_asym_grid g;
    vkc_asym_grid_of(lo, hi, ah->n, a, b, &g);
    return vkc_asym_mse_fast_grid(ah, &g, err);
}
