/* The definitions of the two-sided searches (asym.h, DESIGN.md §3), in
 * double, bin by bin: the reference evaluators of entropy and MSE, which
 * decide every final choice, with the bounds on their own rounding error;
 * the infinite windows; the MSE grid of a window. Obviously right rather
 * than fast: the fast evaluators (asym_fast.c) are measured against these.
 * Notation in asym_impl.h. */
#include "search/asym_impl.h"
#include "base/numeric.h"

#define LV VKC_ASYM_LEVELS

/* ------------------------------------------------------------------------ */
/* Entropy: the definition                                                  */

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

/* ------------------------------------------------------------------------ */
/* MSE: the definition                                                      */

void vkc_asym_grid_from(double lo, double hi, double w, double lop, double hip, vkc_asym_grid *g)
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

void vkc_asym_grid_of(double lo, double hi, uint32_t n, uint32_t a, uint32_t b, vkc_asym_grid *g)
{
    double ea = vkc_asym_edge(lo, hi, n, a), eb = vkc_asym_edge(lo, hi, n, b);
    vkc_asym_grid_from(lo, hi, (hi - lo) / (double)n, ea < 0 ? ea : 0.0, eb > 0 ? eb : 0.0, g);
}

static double mse_ref_grid(const vkc_asym_hist *ah, const vkc_asym_grid *g)
{
    if (!g->ok) return INFINITY;
    vkc_ksum s = {0, 0};
    for (uint32_t j = ah->first; j <= ah->last; j++) {
        if (!ah->h[j]) continue;
        double c = vkc_asym_grid_centre(g, j);
        double q = vkc_asym_grid_code(g, j);
        double d = (q - g->zp) * g->scale;
        double e = d - c;
        vkc_ksum_add(&s, (double)ah->h[j] * (e * e));
    }
    return vkc_ksum_get(&s) / (double)ah->total;
}

double vkc_asym_mse_window_reference(const vkc_asym_hist *ah, double lo, double hi, uint32_t a, uint32_t b)
{
    if (!ah || !ah->h || a >= b || b > ah->n || ah->total == 0) return NAN;
    vkc_asym_grid g;
    vkc_asym_grid_of(lo, hi, ah->n, a, b, &g);
    return mse_ref_grid(ah, &g);
}

/* Bound on |mse_ref_grid - exact| for a window whose exact value is at
 * most e_up (derivation with vkc_asym_mse_fast_grid, asym_fast.c). */
double vkc_asym_mse_ref_err(const vkc_asym_grid *g, double e_up)
{
    const double eta = 8.2 * VKC_U * fmax(fabs(g->lo), fabs(g->hi));
    return 1.01 * (2.0 * eta * sqrt(e_up) + eta * eta + 7.2 * VKC_U * e_up);
}
