/* The quality guards (vkcalib.h: vkc_guard_info): after the search, every
 * tensor's chosen range is judged on its own histogram, against the other
 * methods searched on the same histogram in the same mode, with SQNR and
 * clipping estimated from the bins (vkc_quality_estimate: no pass over the
 * data). Each other method is one vkc_search call over every tensor it
 * concerns, so on a GPU one dispatch per method and mode. */
#include "calibrate.h"
#include "vk/context.h"
#include "write/calibration.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The methods a tensor of `mode` is compared with. */
static uint32_t compared(const vkc_calibrator *c, vkc_mode mode)
{
    uint32_t all = (1u << (VKC_METHOD_MAX + 1)) - 1, m = c->guard.methods;
    /* The default costs O(bins) per tensor: a search of entropy or MSE per
     * tensor would double the search time of a large model (20,000 tensors:
     * 40 s more on two cores), for a guard. */
    if (!m) m = (1u << VKC_METHOD_MAX) | (mode == VKC_MODE_ASYMMETRIC ? 0 : 1u << VKC_METHOD_PERCENTILE);
    if (mode == VKC_MODE_ASYMMETRIC) m &= ~(1u << VKC_METHOD_PERCENTILE); /* not two-sided */
    return m & all;
}

/* SQNR and clipping of the range [lo, hi] in `mode`, from r's histogram. */
static int estimate(const vkc_tensor_result *r, vkc_mode mode, double lo, double hi, double *db, double *clipped)
{
    vkc_qparams q;
    vkc_msg m;
    vkc_quality e;
    if (vkc_qparams_from_range(mode, lo, hi, &q, &m) != VKC_OK) return 0;
    vkc_quant k = vkc_quant_of(&q);
    if (vkc_quality_estimate(r->counts, &r->spec, r->stats.zeros, &k, &e) != VKC_OK) return 0;
    *db = vkc_quality_sqnr_db(&e);
    if (clipped) *clipped = e.count ? (double)e.clipped / (double)e.count : 0.0;
    return 1;
}

/* The guards judge histograms of |x| and of x. The other tools' own
 * binnings (the flavours beyond modelopt and tensorrt) have edges of their
 * own that the estimate does not model, and no other method searches them:
 * their tensors get no guard rather than a guess. */
static int judged(const vkc_tensor_result *r)
{
    return r->counts && (r->spec.kind == VKC_HIST_ABS || r->spec.kind == VKC_HIST_SIGNED);
}

vkc_status vkc_cal_guards(vkc_calibrator *c)
{
    if (c->guard.disable || !c->results) return VKC_OK;
    vkc_calibration *cal = c->results;
    const uint32_t n = vkc_calibration_count(cal);
    vkc_histogram *h = malloc((n ? n : 1) * sizeof *h);
    vkc_search_result *res = calloc(n ? n : 1, sizeof *res);
    uint32_t *idx = malloc((n ? n : 1) * sizeof *idx);
    vkc_status s = h && res && idx ? VKC_OK : vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    /* The chosen ranges first. */
    for (uint32_t k = 0; s == VKC_OK && k < n; k++) {
        vkc_tensor_result *r = vkc_calibration_at(cal, k);
        vkc_guard *g = &r->guard;
        memset(g, 0, sizeof *g);
        g->best_sqnr_db = NAN;
        g->best_method = r->method;
        g->max_clipped = c->guard.max_clipped;
        g->max_sqnr_gap_db = c->guard.max_sqnr_gap_db;
        if (!judged(r) || !estimate(r, r->mode, r->lo, r->hi, &g->sqnr_db, &g->clipped)) g->sqnr_db = NAN;
    }
    /* Each other method, in each mode, on every tensor it applies to. */
    static const vkc_mode modes[] = {VKC_MODE_SYMMETRIC, VKC_MODE_UNSIGNED, VKC_MODE_ASYMMETRIC};
    for (int mi = 0; s == VKC_OK && mi < 3; mi++)
        for (int me = 0; s == VKC_OK && me <= VKC_METHOD_MAX; me++) {
            const vkc_method method = (vkc_method)me;
            if (!(compared(c, modes[mi]) >> me & 1u)) continue;
            vkc_search_params sp = {0};
            sp.method = method;
            sp.mode = modes[mi];
            sp.flavor = c->info.flavor;
            /* Entropy below 128 bins of start would clip everything: the
             * comparison uses the reference's start. */
            sp.start_bin = method == VKC_METHOD_ENTROPY && c->info.start_bin < 128 ? 128 : c->info.start_bin;
            sp.stride = c->info.stride;
            sp.percentile = c->info.percentile;
            uint32_t m = 0;
            for (uint32_t k = 0; k < n; k++) {
                const vkc_tensor_result *r = vkc_calibration_at(cal, k);
                if (r->mode != modes[mi] || r->method == method || !judged(r)) continue;
                if ((method == VKC_METHOD_ENTROPY || method == VKC_METHOD_MSE) && r->spec.bins < sp.start_bin) continue;
                idx[m] = k;
                h[m++] = (vkc_histogram){r->counts, r->spec.bins, r->spec.hi, r->spec.kind, r->spec.lo};
            }
            if (!m) continue;
            /* Two-sided searches go one tensor at a time (one dispatch
             * each already), the others in one call. */
            const uint32_t step = modes[mi] == VKC_MODE_ASYMMETRIC ? 1 : m;
            for (uint32_t k0 = 0; s == VKC_OK && k0 < m; k0 += step) {
                vkc_status ss = vkc_search(c->ctx, &h[k0], step, &sp, &res[k0]);
                if (ss != VKC_OK) {
                    s = vkc_cal_fail(c, UINT32_MAX, ss, "quality guard (%s, %s): %s", vkc_method_name(method),
                                     vkc_mode_name(modes[mi]), vkc_context_error(c->ctx));
                    break;
                }
            }
            for (uint32_t k = 0; s == VKC_OK && k < m; k++) {
                vkc_tensor_result *r = vkc_calibration_at(cal, idx[k]);
                double db;
                if (!estimate(r, modes[mi], res[k].lo, res[k].hi, &db, NULL)) continue;
                vkc_guard *g = &r->guard;
                if (isnan(g->best_sqnr_db) || db > g->best_sqnr_db) {
                    vkc_qparams q;
                    vkc_msg msg;
                    vkc_qparams_from_range(modes[mi], res[k].lo, res[k].hi, &q, &msg);
                    g->best_sqnr_db = db;
                    g->best_method = method;
                    g->best_lo = q.lo;
                    g->best_hi = q.hi;
                }
            }
        }
    for (uint32_t k = 0; s == VKC_OK && k < n; k++) {
        vkc_tensor_result *r = vkc_calibration_at(cal, k);
        vkc_guard *g = &r->guard;
        if (!judged(r)) continue;
        r->fields |= VKC_RESULT_GUARD;
        if (g->clipped > g->max_clipped) r->warnings |= VKC_WARNING_CLIPPED;
        /* Values at their bins' centres: a histogram of N bins cannot tell
         * ranges apart beyond about 20 log10(N) dB (66 dB for 2048), so both
         * estimates are compared up to that (a constant tensor's max and MSE
         * ranges both lossless, estimated 72 and 159 dB, are equal). */
        const double cap = 20.0 * log10((double)(r->spec.bins > 1 ? r->spec.bins : 2));
        if (!isnan(g->best_sqnr_db) && !isnan(g->sqnr_db) &&
            fmin(g->best_sqnr_db, cap) - fmin(g->sqnr_db, cap) > g->max_sqnr_gap_db)
            r->warnings |= VKC_WARNING_LOW_SQNR;
    }
    free(h);
    free(res);
    free(idx);
    return s;
}
