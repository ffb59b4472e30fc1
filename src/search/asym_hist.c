/* The two-sided searches' prepared histogram (asym.h): exact prefix sums and
 * the sums the fast evaluators need, the zero-bin rule and the mirroring of
 * the entropy search, and the geometry of the windows (which windows a
 * search takes, their order and count, bin edges). Notation in
 * asym_impl.h. */
#include "search/asym_impl.h"
#include "base/numeric.h"

#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

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
