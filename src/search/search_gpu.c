/* Entropy search on a Vulkan device: every candidate of every tensor in one
 * dispatch of shaders/entropy.comp, then vkc_kl_select on the host. */
#include "search/entropy.h"
#include "vk/gpu.h"
#include "base/numeric.h"
#include "base/parallel.h"
#include "search/search.h"
#include "search/search_gpu.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static double thread_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* Adds the time since *t0 to phase ph and restarts the clock; the same for
 * the calling thread's CPU time (with one host thread, the phase's work,
 * which a busy machine disturbs less than the wall clock). */
static void phase_end(vkc_context *ctx, int ph, double *t0)
{
    double t = now_ns(), c = thread_ns();
    ctx->search_ns[ph] += t - *t0;
    ctx->search_cpu_ns[ph] += c - ctx->search_cpu_t0;
    ctx->search_cpu_t0 = c;
    *t0 = t;
}

#define LOCAL_SIZE 64u
#define REC VKC_KL_REC

/* Packed layout of shaders/entropy.comp, in 32-bit words (the VKC_KL_*
 * words of vk/shader_layout.h):
 *   [t * VKC_KL_REC ...]  tensor records (n, start, stride, levels, ncand,
 *                  bins offset, prefix offset, out offset, total f32, hmax
 *                  f32, level map, 0)
 *   bins region    per bin: float(h), float(ln h - ln hmax)
 *   prefix region  per position 0..n: uint64 prefix sum (lo, hi), non-empty count */
static void pack_tensor(uint32_t *w, uint32_t t, const vkc_kl_pack *k, uint32_t out_off)
{
    uint32_t n = k->n, *r = w + (size_t)t * REC;
    uint64_t hmax = 0;
    for (uint32_t j = 0; j < n; j++) hmax = k->h[j] > hmax ? k->h[j] : hmax;
    double lnmax = hmax ? log((double)hmax) : 0.0;
    r[VKC_KL_N] = n;
    r[VKC_KL_START] = k->start;
    r[VKC_KL_STRIDE] = k->stride;
    r[VKC_KL_LEVELS] = k->levels;
    r[VKC_KL_NCAND] = k->ncand;
    uint32_t *bins = w + r[VKC_KL_BINS], *pre = w + r[VKC_KL_PRE];
    for (uint32_t j = 0; j < n; j++) {
        bins[VKC_KL_BIN_WORDS * j] = vkc_f32_bits((float)k->h[j]);
        bins[VKC_KL_BIN_WORDS * j + 1] = vkc_f32_bits(k->h[j] ? (float)(log((double)k->h[j]) - lnmax) : 0.0f);
    }
    for (uint32_t j = 0; j <= n; j++) {
        pre[VKC_KL_PRE_WORDS * j] = (uint32_t)k->pre[j];
        pre[VKC_KL_PRE_WORDS * j + 1] = (uint32_t)(k->pre[j] >> 32);
        pre[VKC_KL_PRE_WORDS * j + 2] = k->nz[j];
    }
    r[VKC_KL_OUT] = out_off;
    r[VKC_KL_TOTAL] = vkc_f32_bits((float)k->total);
    r[VKC_KL_HMAX] = vkc_f32_bits((float)hmax);
    r[VKC_KL_MAP] = k->map;
}

typedef struct pack_job {
    const vkc_kl_pack *packs;
    const uint32_t *out_off;
    uint32_t *w;
} pack_job;

static void pack_one(void *arg, uint32_t t)
{
    pack_job *j = arg;
    if (j->packs[t].ncand) pack_tensor(j->w, t, &j->packs[t], j->out_off[t]);
}

vkc_status vkc_kl_dispatch(vkc_context *ctx, const vkc_kl_pack *packs, uint32_t count, uint32_t *out_off,
                           const float **out)
{
    *out = NULL;
    uint64_t total_cand = 0, max_cand = 0, words = (uint64_t)count * REC;
    for (uint32_t t = 0; t < count; t++) {
        const uint32_t nc = packs[t].ncand;
        if (nc > ctx->caps.max_workgroup_count[0])
            return vkc_fail(&ctx->msg, VKC_ERROR_UNSUPPORTED, "%u candidates exceed the device's workgroup count %u",
                            nc, ctx->caps.max_workgroup_count[0]);
        out_off[t] = (uint32_t)total_cand;
        total_cand += nc;
        max_cand = nc > max_cand ? nc : max_cand;
        words += nc ? (uint64_t)VKC_KL_BIN_WORDS * packs[t].n + (uint64_t)VKC_KL_PRE_WORDS * (packs[t].n + 1ull) : 0;
    }
    if (count > ctx->caps.max_workgroup_count[1] || words > 0xffffffffull ||
        words * 4 > ctx->caps.max_storage_buffer_range || total_cand * 8 > ctx->caps.max_storage_buffer_range)
        return vkc_fail(&ctx->msg, VKC_ERROR_UNSUPPORTED, "search batch too large for one dispatch");
    if (!max_cand) return VKC_OK;
    double t0 = now_ns();
    ctx->search_cpu_t0 = thread_ns();
    /* Packed straight into the staging memory: no buffer of our own to
     * clear, fill and copy. Every word below is written. */
    void *map;
    vkc_status s = vkc_gpu_stage_map(ctx, (VkDeviceSize)words * 4, &map);
    if (s != VKC_OK) return s;
    uint32_t *w = map;
    memset(w, 0, (size_t)count * REC * 4);
    uint64_t at = (uint64_t)count * REC;
    for (uint32_t t = 0; t < count; t++) {
        if (!packs[t].ncand) continue;
        w[(size_t)t * REC + VKC_KL_BINS] = (uint32_t)at;
        at += (uint64_t)VKC_KL_BIN_WORDS * packs[t].n;
        w[(size_t)t * REC + VKC_KL_PRE] = (uint32_t)at;
        at += (uint64_t)VKC_KL_PRE_WORDS * (packs[t].n + 1ull);
    }
    pack_job job = {packs, out_off, w};
    vkc_parallel_for(ctx->threads, count, pack_one, &job);
    phase_end(ctx, VKC_SEARCH_PACK, &t0);
    uint32_t spec[VKC_SEARCH_SC_COUNT];
    spec[VKC_SEARCH_SC_LOCAL] = LOCAL_SIZE;
    spec[VKC_SEARCH_SC_SUBGROUP] = (uint32_t)vkc_gpu_has(ctx, VKC_FEATURE_SUBGROUP_ARITHMETIC);
    vkc_pipe *pipe;
    vkc_binding bind[2];
    if ((s = vkc_pipe_get(ctx, "entropy", spec, VKC_SEARCH_SC_COUNT, 2, 0, &pipe)) != VKC_OK) return s;
    if ((s = vkc_gpu_stage_bind(ctx, (VkDeviceSize)words * 4, &bind[0])) != VKC_OK) return s;
    if ((s = vkc_gbuf_reserve(ctx, &ctx->out, total_cand * 8, 1)) != VKC_OK) return s;
    bind[1] = (vkc_binding){&ctx->out, 0, total_cand * 8};
    ctx->last_gpu_ns = 0;
    phase_end(ctx, VKC_SEARCH_UPLOAD, &t0);
    if ((s = vkc_cmd_begin(ctx)) != VKC_OK) return s;
    vkc_gpu_record_upload(ctx, (VkDeviceSize)words * 4);
    if ((s = vkc_cmd_dispatch(ctx, pipe, bind, NULL, (uint32_t)max_cand, count, 1)) != VKC_OK) return s;
    if ((s = vkc_cmd_submit_wait(ctx)) != VKC_OK) return s;
    phase_end(ctx, VKC_SEARCH_SUBMIT, &t0);
    *out = ctx->out.map;
    return VKC_OK;
}

/* The host's share of a batch, spread over threads: preparing each
 * histogram, screening the GPU's values, and choosing.
 *
 * The screen. About a tenth of a tensor's candidates lie within the float32
 * bound of the least GPU value; vkc_kl_select would re-evaluate each with
 * vkc_kl_fast (O(levels) logarithms apiece), one tensor per thread, and
 * that was most of the host's time. Instead:
 *   round 1, per tensor: the candidate of least GPU value is evaluated with
 *     vkc_kl_fast. Its bracket's upper end U bounds the least KL from
 *     above, so only candidates whose GPU bracket reaches below U plus
 *     (twice) the tie band can still be chosen or tied; they are listed;
 *   round 2, per tensor, longest list first, each thread taking the next
 *     tensor when done with one (the lists run from 0 to about a quarter
 *     of the candidates): the listed candidates evaluated with vkc_kl_fast,
 *     then vkc_kl_select.
 * A value v with bound e is handed on as the float bracket
 * [(float)v -+ e'], e' >= e + |v - (float)v| rounded up, which contains
 * [v - e, v + e]. vkc_kl_select then runs as before on brackets that are
 * the GPU's or tighter, and any valid brackets give the reference's choice
 * (select.h); its own first filter now keeps the near ties only. Two
 * parallel regions after the dispatch, as before the screen: threads are
 * started per region (base/parallel.h). */
typedef struct batch {
    const vkc_histogram *hists;
    const vkc_kl_params *kp;
    vkc_kl_hist *kh;
    vkc_search_result *res;
    uint32_t *ncand, *out_off;
    const float *out;
    float *approx, *err;       /* per candidate (at out_off[t]): GPU value and bound, or tighter */
    uint32_t *listed, *nlisted; /* round 1's candidates of tensor t, at out_off[t] */
    uint32_t *order;            /* round 2's tensors, longest list first */
    uint32_t count;
    atomic_uint next;           /* round 2's next position in order */
    vkc_status *status;
    vkc_msg *msg;
} batch;

static void prepare_one(void *arg, uint32_t t)
{
    batch *b = arg;
    b->status[t] = vkc_kl_hist_init(&b->kh[t], b->hists[t].counts, b->hists[t].bins, b->kp, &b->msg[t]);
}

static uint32_t cand_i(const vkc_kl_params *kp, uint32_t c)
{
    return kp->start + c * kp->stride;
}

/* (v, e) as a float bracket that contains [v - e, v + e]; left alone when
 * either is not finite (the GPU's bracket stays). */
static void store_bracket(float *a, float *e, double v, double err)
{
    if (!isfinite(v) || !isfinite(err) || !(fabs(v) < 1e38)) return;
    float vf = (float)v;
    double d = err + fabs(v - (double)vf);
    d += d * 1e-12;
    float ef = (float)d;
    if (!((double)ef >= d)) ef = nextafterf(ef, INFINITY);
    if (!isfinite(ef)) return;
    *a = vf;
    *e = ef;
}

static void refine(batch *b, uint32_t t, uint32_t c)
{
    double err, v = vkc_kl_fast(&b->kh[t], cand_i(b->kp, c), b->kp->levels, &err);
    size_t at = (size_t)b->out_off[t] + c;
    store_bracket(&b->approx[at], &b->err[at], v, err);
}

static void screen_one(void *arg, uint32_t t)
{
    batch *b = arg;
    const vkc_kl_hist *kh = &b->kh[t];
    uint32_t nc = b->ncand[t], best = UINT32_MAX, k = 0;
    float *a = b->approx + b->out_off[t], *e = b->err + b->out_off[t];
    for (uint32_t c = 0; c < nc; c++) {
        a[c] = b->out[2 * ((size_t)b->out_off[t] + c)];
        e[c] = b->out[2 * ((size_t)b->out_off[t] + c) + 1];
        if (vkc_kl_is_inf(kh, cand_i(b->kp, c)) || !isfinite(a[c])) continue;
        if (best == UINT32_MAX || a[c] < a[best]) best = c;
    }
    b->nlisted[t] = 0;
    if (best == UINT32_MAX) return;
    refine(b, t, best);
    double lo, hi, l, h, lmin = INFINITY;
    vkc_bracket(a[best], e[best], &lo, &hi);
    for (uint32_t c = 0; c < nc; c++) {
        if (vkc_kl_is_inf(kh, cand_i(b->kp, c))) continue;
        vkc_bracket(a[c], e[c], &l, &h);
        lmin = l < lmin ? l : lmin;
    }
    double x = fmax(fabs(hi), isfinite(lmin) ? fabs(lmin) : fabs(hi));
    double limit = hi + 2 * vkc_tie_tol(x);
    uint32_t *list = b->listed + b->out_off[t];
    for (uint32_t c = 0; c < nc; c++) {
        if (c == best || vkc_kl_is_inf(kh, cand_i(b->kp, c))) continue;
        vkc_bracket(a[c], e[c], &l, &h);
        if (l <= limit) list[k++] = c;
    }
    b->nlisted[t] = k;
}

/* Round 2's evaluations of tensor t, in increasing i (as listed), sharing
 * their level terms (vkc_kl_fast_many). */
static void refine_listed(batch *b, uint32_t t)
{
    uint32_t nl = b->nlisted[t];
    const uint32_t *list = b->listed + b->out_off[t];
    uint32_t *is = malloc((size_t)nl * sizeof *is);
    double *v = malloc((size_t)nl * 2 * sizeof *v);
    if (!is || !v) {
        for (uint32_t k = 0; k < nl; k++) refine(b, t, list[k]);
    } else {
        for (uint32_t k = 0; k < nl; k++) is[k] = cand_i(b->kp, list[k]);
        vkc_kl_fast_many(&b->kh[t], is, nl, b->kp->levels, v, v + nl);
        for (uint32_t k = 0; k < nl; k++) {
            size_t at = (size_t)b->out_off[t] + list[k];
            store_bracket(&b->approx[at], &b->err[at], v[k], v[nl + k]);
        }
    }
    free(is);
    free(v);
}

static void select_one(batch *b, uint32_t t)
{
    uint32_t nc = b->ncand[t];
    refine_listed(b, t);
    const float *a = nc ? b->approx + b->out_off[t] : NULL, *e = nc ? b->err + b->out_off[t] : NULL;
    b->status[t] = vkc_kl_select(&b->kh[t], b->kp, a, e, b->hists[t].range_max, &b->res[t], &b->msg[t]);
}

static void select_lane(void *arg, uint32_t lane)
{
    batch *b = arg;
    (void)lane;
    for (uint32_t k; (k = atomic_fetch_add(&b->next, 1u)) < b->count;) select_one(b, b->order[k]);
}

static int u64_cmp(const void *x, const void *y)
{
    uint64_t p = *(const uint64_t *)x, q = *(const uint64_t *)y;
    return (p > q) - (p < q);
}

static vkc_status first_error(vkc_context *ctx, const batch *b, uint32_t count)
{
    for (uint32_t t = 0; t < count; t++)
        if (b->status[t] != VKC_OK) {
            ctx->msg = b->msg[t];
            return b->status[t];
        }
    return VKC_OK;
}

/* Screens, then chooses; the per-candidate arrays are allocated here. */
static vkc_status choose(vkc_context *ctx, batch *b, uint32_t count)
{
    size_t total = 0, n1 = count ? count : 1;
    for (uint32_t t = 0; t < count; t++) total += b->ncand[t];
    size_t c1 = total ? total : 1;
    b->approx = malloc(c1 * sizeof *b->approx);
    b->err = malloc(c1 * sizeof *b->err);
    b->listed = malloc(c1 * sizeof *b->listed);
    b->nlisted = calloc(n1, sizeof *b->nlisted);
    b->order = malloc(n1 * sizeof *b->order);
    uint64_t *keys = malloc(n1 * sizeof *keys);
    vkc_status s = VKC_OK;
    if (!b->approx || !b->err || !b->listed || !b->nlisted || !b->order || !keys) {
        s = vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory for %zu candidates", total);
    } else {
        vkc_parallel_for(ctx->threads, count, screen_one, b);
        for (uint32_t t = 0; t < count; t++) keys[t] = (uint64_t)(UINT32_MAX - b->nlisted[t]) << 32 | t;
        qsort(keys, count, sizeof *keys, u64_cmp);
        for (uint32_t t = 0; t < count; t++) b->order[t] = (uint32_t)keys[t];
        b->count = count;
        atomic_init(&b->next, 0u);
        uint32_t lanes = ctx->threads < count ? ctx->threads : count;
        vkc_parallel_for(lanes, lanes, select_lane, b);
        s = first_error(ctx, b, count);
    }
    free(b->approx);
    free(b->err);
    free(b->listed);
    free(b->nlisted);
    free(b->order);
    free(keys);
    return s;
}

vkc_status vkc_entropy_gpu(vkc_context *ctx, const vkc_histogram *hists, uint32_t count, const vkc_kl_params *kp,
                           vkc_search_result *res)
{
    vkc_status s = VKC_OK;
    size_t n1 = count ? count : 1;
    batch b = {hists, kp, calloc(n1, sizeof(vkc_kl_hist)), res, calloc(n1, 4), calloc(n1, 4), NULL,
               NULL, NULL, NULL, NULL, NULL, 0, 0, calloc(n1, sizeof(vkc_status)), calloc(n1, sizeof(vkc_msg))};
    vkc_kl_pack *packs = calloc(n1, sizeof *packs);
    if (!b.kh || !b.ncand || !b.out_off || !b.status || !b.msg || !packs) {
        s = vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory for %u histograms", count);
        goto done;
    }
    memset(ctx->search_ns, 0, sizeof ctx->search_ns);
    memset(ctx->search_cpu_ns, 0, sizeof ctx->search_cpu_ns);
    double t0 = now_ns();
    ctx->search_cpu_t0 = thread_ns();
    vkc_parallel_for(ctx->threads, count, prepare_one, &b);
    if ((s = first_error(ctx, &b, count)) != VKC_OK) goto done;
    for (uint32_t t = 0; t < count; t++) {
        const vkc_kl_hist *kh = &b.kh[t];
        b.ncand[t] = kh->total ? vkc_kl_candidate_count(hists[t].bins, kp) : 0;
        packs[t] = (vkc_kl_pack){kh->h, kh->pre, kh->nz, kh->n, kh->total, kp->start, kp->stride, kp->levels,
                                 b.ncand[t], VKC_LEVELS_MODELOPT};
    }
    phase_end(ctx, VKC_SEARCH_PREPARE, &t0);
    if ((s = vkc_kl_dispatch(ctx, packs, count, b.out_off, &b.out)) != VKC_OK) goto done;
    t0 = now_ns();
    ctx->search_cpu_t0 = thread_ns();
    s = choose(ctx, &b, count);
    phase_end(ctx, VKC_SEARCH_SELECT, &t0);
done:
    for (uint32_t t = 0; b.kh && t < count; t++) vkc_kl_hist_free(&b.kh[t]);
    free(b.kh);
    free(b.ncand);
    free(b.out_off);
    free(b.status);
    free(b.msg);
    free(packs);
    return s;
}

/* Packed layout of shaders/mse.comp, in words: per tensor a VKC_MSE_REC
 * record (n, start, ncand, bound, counts offset, out offset), then float32
 * counts. */
vkc_status vkc_mse_gpu(vkc_context *ctx, const vkc_histogram *hists, uint32_t count, uint32_t start, uint32_t bound,
                       vkc_search_result *res)
{
    uint64_t words = (uint64_t)count * VKC_MSE_REC, total_cand = 0, max_cand = 0;
    for (uint32_t t = 0; t < count; t++) {
        uint32_t nc = hists[t].bins > start ? hists[t].bins - start : 0;
        words += hists[t].bins;
        total_cand += nc;
        max_cand = nc > max_cand ? nc : max_cand;
    }
    if (count > ctx->caps.max_workgroup_count[1] || max_cand > ctx->caps.max_workgroup_count[0] ||
        words * 4 > ctx->caps.max_storage_buffer_range || total_cand * 4 > ctx->caps.max_storage_buffer_range)
        return vkc_fail(&ctx->msg, VKC_ERROR_UNSUPPORTED, "MSE batch too large for one dispatch");
    uint32_t *w = calloc(words ? words : 1, 4);
    float *approx = malloc((max_cand ? max_cand : 1) * sizeof *approx);
    vkc_status s = VKC_OK;
    if (!w || !approx) {
        s = vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory packing histograms");
        goto done;
    }
    size_t len = (size_t)count * VKC_MSE_REC;
    uint32_t out_off = 0;
    for (uint32_t t = 0; t < count; t++) {
        uint32_t *r = w + (size_t)t * VKC_MSE_REC, nc = hists[t].bins > start ? hists[t].bins - start : 0;
        r[VKC_MSE_N] = hists[t].bins;
        r[VKC_MSE_START] = start;
        r[VKC_MSE_NCAND] = nc;
        r[VKC_MSE_BOUND] = bound;
        r[VKC_MSE_COUNTS] = (uint32_t)len;
        r[VKC_MSE_OUT] = out_off;
        for (uint32_t j = 0; j < hists[t].bins; j++) w[len++] = vkc_f32_bits((float)hists[t].counts[j]);
        out_off += nc;
    }
    if (max_cand) {
        uint32_t spec[VKC_SEARCH_SC_COUNT];
        spec[VKC_SEARCH_SC_LOCAL] = LOCAL_SIZE;
        spec[VKC_SEARCH_SC_SUBGROUP] = (uint32_t)vkc_gpu_has(ctx, VKC_FEATURE_SUBGROUP_ARITHMETIC);
        vkc_pipe *pipe;
        vkc_binding b[2];
        if ((s = vkc_pipe_get(ctx, "mse", spec, VKC_SEARCH_SC_COUNT, 2, 0, &pipe)) != VKC_OK) goto done;
        if ((s = vkc_gpu_upload(ctx, w, (VkDeviceSize)len * 4, &b[0])) != VKC_OK) goto done;
        if ((s = vkc_gbuf_reserve(ctx, &ctx->out, total_cand * 4, 1)) != VKC_OK) goto done;
        b[1] = (vkc_binding){&ctx->out, 0, total_cand * 4};
        ctx->last_gpu_ns = 0;
        if ((s = vkc_cmd_begin(ctx)) != VKC_OK) goto done;
        vkc_gpu_record_upload(ctx, (VkDeviceSize)len * 4);
        if ((s = vkc_cmd_dispatch(ctx, pipe, b, NULL, (uint32_t)max_cand, count, 1)) != VKC_OK) goto done;
        if ((s = vkc_cmd_submit_wait(ctx)) != VKC_OK) goto done;
    }
    for (uint32_t t = 0; s == VKC_OK && t < count; t++) {
        uint32_t nc = w[(size_t)t * VKC_MSE_REC + VKC_MSE_NCAND], off = w[(size_t)t * VKC_MSE_REC + VKC_MSE_OUT];
        if (nc) memcpy(approx, (const float *)ctx->out.map + off, nc * sizeof *approx);
        s = vkc_mse_select(&hists[t], start, bound, nc ? approx : NULL, &res[t], &ctx->msg);
    }
done:
    free(w);
    free(approx);
    return s;
}
