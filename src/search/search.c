/* vkc_search: the threshold methods on the context's backend. On |x|
 * histograms, entropy and MSE screen on the GPU when there is one and
 * decide on the host; percentile and max are exact integer computations.
 * Mode asymmetric routes to the two-sided searches (search/asym.h). */
#include "search/asym.h"
#include "search/entropy.h"
#include "vk/gpu.h"
#include "base/parallel.h"
#include "search/search.h"
#include "search/search_gpu.h"
#include "search/select.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fallback(vkc_search_result *r, uint32_t n, double range_max, const char *why)
{
    r->i = n;
    r->threshold = range_max;
    r->fallback = 1;
    snprintf(r->message, sizeof r->message, "%s", why);
}

static uint64_t total_of(const uint64_t *h, uint32_t n, int *overflow)
{
    uint64_t t = 0;
    *overflow = 0;
    for (uint32_t j = 0; j < n; j++)
        if (!vkc_add_u64(t, h[j], &t)) *overflow = 1;
    return t;
}

/* Percentile p as an exact fraction P / 10^6: p has at most 4 decimals
 * (p * 10^4 within rounding, 1e-7, of an integer: 99.99999 is not 100). */
int vkc_percentile_fraction(double p, uint64_t *num)
{
    if (!(p > 0.0 && p <= 100.0)) return 0;
    double scaled = p * 10000.0;
    double r = nearbyint(scaled);
    if (fabs(scaled - r) > 1e-7 || r < 1) return 0;
    if (num) *num = (uint64_t)r;
    return 1;
}

vkc_status vkc_percentile_search(const vkc_histogram *h, double p, vkc_search_result *r, vkc_msg *msg)
{
    memset(r, 0, sizeof *r);
    uint64_t num;
    if (!vkc_percentile_fraction(p, &num))
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT,
                        "percentile %g must lie in (0, 100] with at most 4 decimals", p);
    int ovf;
    uint64_t total = total_of(h->counts, h->bins, &ovf);
    if (ovf) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "histogram total overflows 64 bits");
    r->candidates = h->bins;
    if (total == 0) {
        fallback(r, h->bins, h->range_max, "empty histogram: threshold is the range maximum");
        return VKC_OK;
    }
    /* First k with cum[k] / total >= num / 10^6, in exact integers. */
    unsigned __int128 need = (unsigned __int128)total * num, cum = 0;
    uint32_t k = 0;
    for (; k < h->bins; k++) {
        cum += h->counts[k];
        if (cum * 1000000u >= need) break;
    }
    if (k >= h->bins) k = h->bins - 1;
    r->i = k;
    r->threshold = (double)k * (h->range_max / h->bins);
    if (!(r->threshold > 0)) {
        fallback(r, h->bins, h->range_max, "the percentile falls in bin 0: threshold is the range maximum");
    }
    return VKC_OK;
}

/* MSE of candidate i in exact integers: with c_j = (j + 0.5) w and
 * amax = c_i, c_j / amax = (2j+1) / (2i+1) exactly, so the quantized code
 * q_j = round((2j+1) * bound / (2i+1)) (no exact halves exist) and the
 * squared error is w^2 (q_j (2i+1) - (2j+1) bound)^2 / (2 bound)^2. The sum
 * below is that error times (2 bound)^2 / w^2; the common factor does not
 * change the order of candidates. */
unsigned __int128 vkc_mse_sum_reference(const uint64_t *h, uint32_t n, uint32_t i, uint32_t bound)
{
    unsigned __int128 s = 0;
    uint64_t den = 2ull * i + 1;
    for (uint32_t j = 0; j < n; j++) {
        if (!h[j]) continue;
        uint64_t a = (2ull * j + 1) * bound;
        uint64_t q = (2 * a + den) / (2 * den);
        if (q > bound) q = bound;
        uint64_t qd = q * den;
        uint64_t e = qd > a ? qd - a : a - qd;
        s += (unsigned __int128)h[j] * ((unsigned __int128)e * e);
    }
    return s;
}

/* The same sum in O(bound) from prefix moments (B3: the O(n) sum per
 * candidate made the search quadratic in bins). Bins of one code q form a
 * run [j_q, j_{q+1}): q_j >= k exactly when 2 (2j+1) bound >= (2k-1) den
 * (den = 2i+1), and q_j = bound from j_bound on (the clamp). On a run, with
 * c = q den and v = 2j+1, sum h (c - v bound)^2 = c^2 S0 - 2 c bound S1 +
 * bound^2 S2 over the run's moments S0 = sum h, S1 = sum h v, S2 = sum h
 * v^2, all exact in 128 bits (total < 2^62, v < 2^18, bound <= 255), so
 * the result equals vkc_mse_sum_reference exactly. */
typedef unsigned __int128 u128;

typedef struct mse_moments {
    uint32_t n;
    uint64_t *s0;   /* n+1 prefix sums of h */
    u128 *s1, *s2;  /* n+1 prefix sums of h v and h v^2, v = 2j+1 */
} mse_moments;

static void mse_moments_free(mse_moments *m)
{
    free(m->s0);
    free(m->s1);
    free(m->s2);
}

static int mse_moments_init(mse_moments *m, const uint64_t *h, uint32_t n)
{
    m->n = n;
    m->s0 = malloc(((size_t)n + 1) * sizeof *m->s0);
    m->s1 = malloc(((size_t)n + 1) * sizeof *m->s1);
    m->s2 = malloc(((size_t)n + 1) * sizeof *m->s2);
    if (!m->s0 || !m->s1 || !m->s2) {
        mse_moments_free(m);
        return 0;
    }
    m->s0[0] = 0;
    m->s1[0] = m->s2[0] = 0;
    for (uint32_t j = 0; j < n; j++) {
        const u128 v = 2u * (u128)j + 1u;
        m->s0[j + 1] = m->s0[j] + h[j];
        m->s1[j + 1] = m->s1[j] + (u128)h[j] * v;
        m->s2[j + 1] = m->s2[j] + (u128)h[j] * (v * v);
    }
    return 1;
}

/* The first bin whose code is >= k (k = 1..bound), n when none. */
static uint32_t mse_run_start(uint32_t n, uint64_t den, uint32_t bound, uint32_t k)
{
    /* smallest j with 2 (2j+1) bound >= (2k-1) den */
    const uint64_t need = (2ull * k - 1) * den, two_b = 2ull * bound;
    if (need <= two_b) return 0;
    const uint64_t j = (need - two_b + 2 * two_b - 1) / (2 * two_b);
    return j >= n ? n : (uint32_t)j;
}

static u128 mse_sum_fast(const mse_moments *m, uint32_t i, uint32_t bound)
{
    const uint64_t den = 2ull * i + 1;
    u128 s = 0;
    uint32_t j0 = 0;
    for (uint32_t q = 0; q <= bound && j0 < m->n; q++) {
        const uint32_t j1 = q == bound ? m->n : mse_run_start(m->n, den, bound, q + 1);
        if (j1 > j0) {
            const u128 s0 = m->s0[j1] - m->s0[j0], s1 = m->s1[j1] - m->s1[j0], s2 = m->s2[j1] - m->s2[j0];
            const u128 c = (u128)q * den;
            s += c * c * s0 + (u128)bound * bound * s2 - 2 * c * bound * s1;
            j0 = j1;
        }
    }
    return s;
}

/* Relative error bound of the GPU's float32 MSE sums: all terms are
 * non-negative, so float rounding of counts, squares and at most a few
 * thousand additions stays below about 1e-5 of the sum; 1e-4 leaves a
 * tenfold margin. */
#define MSE_GPU_REL 1e-4

vkc_status vkc_mse_select(const vkc_histogram *h, uint32_t start, uint32_t bound, const float *approx,
                          vkc_search_result *r, vkc_msg *msg)
{
    memset(r, 0, sizeof *r);
    int ovf;
    uint64_t total = total_of(h->counts, h->bins, &ovf);
    if (ovf || total >> 62) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "histogram total too large for MSE");
    if (total == 0 || h->bins <= start) {
        fallback(r, h->bins, h->range_max,
                 total == 0 ? "empty histogram: threshold is the range maximum"
                            : "fewer bins than the start bin: threshold is the range maximum");
        return VKC_OK;
    }
    uint32_t nc = h->bins - start;
    double *val = malloc(nc * sizeof *val);
    mse_moments mom = {0};
    if (!val || !mse_moments_init(&mom, h->counts, h->bins)) {
        free(val);
        return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    }
    /* With GPU values, only candidates the relative band cannot exclude
     * are summed exactly; the others stay +inf. The band contains the
     * exact minimum and every candidate tied with it (DESIGN.md §2). */
    double cut = INFINITY;
    if (approx) {
        double m = INFINITY;
        for (uint32_t c = 0; c < nc; c++)
            if (approx[c] < m) m = approx[c];
        if (isfinite(m)) cut = m * (1.0 + 3.0 * MSE_GPU_REL) + 1e-30;
    }
    double best = INFINITY;
    for (uint32_t c = 0; c < nc; c++) {
        val[c] = INFINITY;
        if (approx && isfinite(cut) && !(approx[c] <= cut) && !isnan(approx[c])) continue;
        val[c] = (double)mse_sum_fast(&mom, start + c, bound);
        r->reevaluated++;
        if (val[c] < best) best = val[c];
    }
    /* The first candidate tied with the minimum (DESIGN.md §2): the
     * cascade's tie rule on the exact sums (the screen above is MSE's own,
     * a relative band). */
    const vkc_select_rule rule = {VKC_TIE_SMALLEST, 1, 0, INFINITY};
    vkc_cand_list cl;
    vkc_cands_init(&cl, &rule);
    if (!vkc_cands_reserve(&cl, nc)) {
        free(val);
        mse_moments_free(&mom);
        return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    }
    for (uint32_t c = 0; c < nc; c++) {
        vkc_cands_append(&cl, 0, c, val[c], val[c]);
        cl.v[c].val = val[c];
    }
    mse_moments_free(&mom);
    size_t won = vkc_cands_pick(&cl); /* some candidate is finite: see the screen */
    uint32_t pick = won < cl.len ? cl.v[won].b : 0;
    vkc_cands_free(&cl);
    free(val);
    double w = h->range_max / h->bins;
    r->i = start + pick;
    r->candidates = nc;
    r->threshold = ((double)r->i + 0.5) * w;
    /* Report the mean squared error in the data's units. */
    r->kl = best * w * w / (4.0 * bound * (double)bound) / (double)total;
    if (!(r->threshold > 0) || !isfinite(r->threshold))
        fallback(r, h->bins, h->range_max, "degenerate range: threshold is the range maximum");
    return VKC_OK;
}

/* Runs fn for every tensor on the context's threads; each tensor's search
 * is independent. Reports the first failure in tensor order. */
typedef vkc_status (*tensor_fn)(const void *job, uint32_t t, vkc_msg *msg);

typedef struct tensor_lanes {
    tensor_fn fn;
    const void *job;
    vkc_status *status;
    vkc_msg *msg;
} tensor_lanes;

static void run_tensor(void *arg, uint32_t t)
{
    tensor_lanes *l = arg;
    l->status[t] = l->fn(l->job, t, &l->msg[t]);
}

static vkc_status for_each_tensor(vkc_context *ctx, uint32_t count, tensor_fn fn, const void *job)
{
    tensor_lanes l = {fn, job, calloc(count ? count : 1, sizeof(vkc_status)), calloc(count ? count : 1, sizeof(vkc_msg))};
    vkc_status s = VKC_OK;
    if (!l.status || !l.msg) s = vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    if (s == VKC_OK) vkc_parallel_for(ctx->threads, count, run_tensor, &l);
    for (uint32_t t = 0; s == VKC_OK && t < count; t++)
        if (l.status[t] != VKC_OK) {
            ctx->msg = l.msg[t];
            s = l.status[t];
        }
    free(l.status);
    free(l.msg);
    return s;
}

typedef struct search_job {
    const vkc_histogram *hists;
    vkc_search_result *res;
    const vkc_kl_params *kp;
    uint32_t bound;
} search_job;

static vkc_status entropy_one(const void *job, uint32_t t, vkc_msg *msg)
{
    const search_job *j = job;
    return vkc_entropy_cpu(j->hists[t].counts, j->hists[t].bins, j->hists[t].range_max, j->kp, &j->res[t], msg);
}

static vkc_status mse_one(const void *job, uint32_t t, vkc_msg *msg)
{
    const search_job *j = job;
    return vkc_mse_select(&j->hists[t], j->kp->start, j->bound, NULL, &j->res[t], msg);
}

/* Mode asymmetric: every window of each histogram of x (search/asym.h),
 * one dispatch per histogram (a histogram's windows already fill one). */
static vkc_status search_two_sided(vkc_context *ctx, const vkc_histogram *hists, uint32_t count,
                                   const vkc_search_params *params, vkc_search_result *results)
{
    for (uint32_t t = 0; t < count; t++) {
        const vkc_histogram *h = &hists[t];
        vkc_search_result *r = &results[t];
        if (!h->counts || h->bins == 0 || h->bins > VKC_HIST_MAX_BINS)
            return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "histogram %u: %u bins (1..%u) and counts needed",
                            t, h->bins, VKC_HIST_MAX_BINS);
        if (h->kind != VKC_HIST_SIGNED || !isfinite(h->range_min) || h->range_min > h->range_max)
            return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT,
                            "histogram %u: mode asymmetric needs a histogram of x (kind signed) over "
                            "[range_min, range_max]",
                            t);
        if (params->method == VKC_METHOD_MAX) {
            r->window_a = 0;
            r->window_b = r->i = h->bins;
            r->lo = h->range_min;
            r->hi = r->threshold = h->range_max;
            continue;
        }
        vkc_asym_result a;
        vkc_status st;
        int gpu = !ctx->is_cpu;
        if (params->method == VKC_METHOD_ENTROPY)
            st = gpu ? vkc_asym_entropy_gpu(ctx, h->counts, h->bins, h->range_min, h->range_max, params->start_bin, &a)
                     : vkc_asym_entropy_cpu_threads(h->counts, h->bins, h->range_min, h->range_max, params->start_bin,
                                                    ctx->threads, &a, &ctx->msg);
        else if (params->method == VKC_METHOD_MSE)
            st = gpu ? vkc_asym_mse_gpu(ctx, h->counts, h->bins, h->range_min, h->range_max, params->start_bin, &a)
                     : vkc_asym_mse_cpu_threads(h->counts, h->bins, h->range_min, h->range_max, params->start_bin,
                                                ctx->threads, &a, &ctx->msg);
        else
            return vkc_fail(&ctx->msg, VKC_ERROR_UNSUPPORTED,
                            "mode asymmetric supports the entropy, mse and max methods, not %s",
                            vkc_method_name(params->method));
        if (st != VKC_OK) return st;
        r->window_a = a.a;
        r->window_b = r->i = a.b;
        r->lo = a.lo;
        r->hi = r->threshold = a.hi;
        r->kl = a.value;
        r->candidates = a.windows;
        r->inf_candidates = a.inf_windows;
        r->reevaluated = a.reevaluated;
        r->fallback = a.fallback;
        snprintf(r->message, sizeof r->message, "%s", a.message);
    }
    return VKC_OK;
}

static vkc_status search_any(vkc_context *ctx, const vkc_histogram *hists, uint32_t count,
                             const vkc_search_params *params, vkc_search_result *results);

vkc_status vkc_search(vkc_context *ctx, const vkc_histogram *hists, uint32_t count, const vkc_search_params *params,
                      vkc_search_result *results)
{
    vkc_search_params defaults;
    if (!ctx) return VKC_ERROR_INVALID_ARGUMENT;
    if (!hists || !results) return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_search: NULL argument");
    if (!params) {
        memset(&defaults, 0, sizeof defaults);
        params = &defaults;
    }
    vkc_status s = vkc_check_struct(params->sType, params->pNext, VKC_STRUCTURE_TYPE_SEARCH_PARAMS,
                                    "vkc_search_params", &ctx->msg);
    if (s != VKC_OK) return s;
    /* The tools' flavours bin with their own edges and need what the
     * histogram alone does not hold (Paddle's min |x|, ncnn-ACIQ's image
     * size): they go through the calibrator, which measures both. */
    if ((unsigned)params->flavor > VKC_FLAVOR_TENSORRT)
        return vkc_fail(&ctx->msg, VKC_ERROR_UNSUPPORTED,
                        "vkc_search: flavour %s searches the calibrator's own histograms; feed the tensors "
                        "to a vkc_calibrator with that flavour",
                        vkc_flavor_name(params->flavor) ? vkc_flavor_name(params->flavor) : "(unknown)");
    if (params->mode == VKC_MODE_AUTO)
        return vkc_fail(&ctx->msg, VKC_ERROR_UNSUPPORTED,
                        "vkc_search: mode auto is resolved per tensor (the calibrator does it); pass symmetric or "
                        "unsigned");
    void **next = malloc((count ? count : 1) * sizeof *next);
    if (!next) return vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    for (uint32_t t = 0; t < count; t++) {
        next[t] = results[t].pNext;
        memset(&results[t], 0, sizeof results[t]);
    }
    s = params->mode == VKC_MODE_ASYMMETRIC ? search_two_sided(ctx, hists, count, params, results)
                                            : search_any(ctx, hists, count, params, results);
    for (uint32_t t = 0; t < count; t++) {
        vkc_search_result *r = &results[t];
        r->sType = VKC_STRUCTURE_TYPE_SEARCH_RESULT;
        r->pNext = next[t];
        if (s == VKC_OK && params->mode != VKC_MODE_ASYMMETRIC) {
            r->lo = params->mode == VKC_MODE_UNSIGNED ? 0.0 : -r->threshold;
            r->hi = r->threshold;
        }
    }
    free(next);
    return s;
}

/* The |x| searches (symmetric and unsigned). */
static vkc_status search_any(vkc_context *ctx, const vkc_histogram *hists, uint32_t count,
                             const vkc_search_params *params, vkc_search_result *results)
{
    for (uint32_t t = 0; t < count; t++) {
        if (!hists[t].counts || hists[t].bins == 0)
            return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "histogram %u is empty or NULL", t);
        if (hists[t].bins > VKC_HIST_MAX_BINS)
            return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "histogram %u: %u bins (at most %u)", t,
                            hists[t].bins, VKC_HIST_MAX_BINS);
        if (hists[t].kind != VKC_HIST_ABS)
            return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT,
                            "histogram %u: modes symmetric and unsigned search histograms of |x| (kind abs)", t);
        if (!(hists[t].range_max >= 0) || !isfinite(hists[t].range_max))
            return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "histogram %u: range_max %g is not finite and >= 0",
                            t, hists[t].range_max);
    }
    vkc_kl_params kp;
    vkc_kl_params_from(params, &kp);
    uint32_t bound = params->mode == VKC_MODE_UNSIGNED ? 255 : 127;
    double p = params->percentile > 0 ? params->percentile : 99.99;
    search_job job = {hists, results, &kp, bound};
    vkc_status s = VKC_OK;
    switch (params->method) {
    case VKC_METHOD_ENTROPY:
        if (!ctx->is_cpu) return vkc_entropy_gpu(ctx, hists, count, &kp, results);
        return for_each_tensor(ctx, count, entropy_one, &job);
    case VKC_METHOD_PERCENTILE:
        for (uint32_t t = 0; s == VKC_OK && t < count; t++)
            s = vkc_percentile_search(&hists[t], p, &results[t], &ctx->msg);
        return s;
    case VKC_METHOD_MSE:
        if (!ctx->is_cpu) return vkc_mse_gpu(ctx, hists, count, kp.start, bound, results);
        return for_each_tensor(ctx, count, mse_one, &job);
    case VKC_METHOD_MAX:
        for (uint32_t t = 0; t < count; t++) {
            results[t].i = hists[t].bins;
            results[t].threshold = hists[t].range_max;
            if (!(hists[t].range_max > 0))
                fallback(&results[t], hists[t].bins, hists[t].range_max, "all-zero tensor: range is 0");
        }
        return VKC_OK;
    }
    return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "unknown method %d", (int)params->method);
}

vkc_status vkc_search_curve(const vkc_histogram *h, const vkc_search_params *params, double *values,
                            uint32_t *count, uint32_t *first, vkc_msg *msg)
{
    vkc_search_params defaults;
    if (!h || !h->counts || !count) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_search_curve: NULL argument");
    if (!params) {
        memset(&defaults, 0, sizeof defaults);
        params = &defaults;
    }
    vkc_status s = vkc_check_struct(params->sType, params->pNext, VKC_STRUCTURE_TYPE_SEARCH_PARAMS,
                                    "vkc_search_params", msg);
    if (s != VKC_OK) return s;
    if (h->bins == 0 || h->bins > VKC_HIST_MAX_BINS)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_search_curve: %u bins (1..%u)", h->bins, VKC_HIST_MAX_BINS);
    if (params->method != VKC_METHOD_ENTROPY || h->kind != VKC_HIST_ABS ||
        (params->mode != VKC_MODE_SYMMETRIC && params->mode != VKC_MODE_UNSIGNED))
        return vkc_fail(msg, VKC_ERROR_UNSUPPORTED,
                        "vkc_search_curve: the entropy method on a histogram of |x| (symmetric or unsigned)");
    vkc_kl_params kp;
    vkc_kl_params_from(params, &kp);
    uint32_t nc = vkc_kl_candidate_count(h->bins, &kp);
    if (first) *first = kp.start;
    if (!values) {
        *count = nc;
        return VKC_OK;
    }
    double *all = malloc((nc ? nc : 1) * sizeof *all);
    if (!all) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory for %u candidates", nc);
    s = vkc_kl_curve(h->counts, h->bins, &kp, all, msg);
    if (s == VKC_OK) {
        uint32_t k = nc < *count ? nc : *count;
        memcpy(values, all, (size_t)k * sizeof *values);
        s = k < nc ? VKC_INCOMPLETE : VKC_OK;
        *count = k;
    }
    free(all);
    return s;
}
