/* Entropy search on a Vulkan device: every candidate of every tensor in one
 * dispatch of shaders/entropy.comp, then vkc_kl_select on the host. */
#include "search/entropy.h"
#include "vk/gpu.h"
#include "base/parallel.h"
#include "search/search.h"
#include "search/search_gpu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* Adds the time since *t0 to phase ph and restarts the clock. */
static void phase_end(vkc_context *ctx, int ph, double *t0)
{
    double t = now_ns();
    ctx->search_ns[ph] += t - *t0;
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
    uint32_t *w = calloc((size_t)words, 4);
    if (!w) return vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory packing histograms");
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
    vkc_status s;
    if ((s = vkc_pipe_get(ctx, "entropy", spec, VKC_SEARCH_SC_COUNT, 2, 0, &pipe)) != VKC_OK) goto done;
    if ((s = vkc_gpu_upload(ctx, w, (VkDeviceSize)words * 4, &bind[0])) != VKC_OK) goto done;
    if ((s = vkc_gbuf_reserve(ctx, &ctx->out, total_cand * 8, 1)) != VKC_OK) goto done;
    bind[1] = (vkc_binding){&ctx->out, 0, total_cand * 8};
    ctx->last_gpu_ns = 0;
    phase_end(ctx, VKC_SEARCH_UPLOAD, &t0);
    if ((s = vkc_cmd_begin(ctx)) != VKC_OK) goto done;
    vkc_gpu_record_upload(ctx, (VkDeviceSize)words * 4);
    if ((s = vkc_cmd_dispatch(ctx, pipe, bind, NULL, (uint32_t)max_cand, count, 1)) != VKC_OK) goto done;
    if ((s = vkc_cmd_submit_wait(ctx)) != VKC_OK) goto done;
    phase_end(ctx, VKC_SEARCH_SUBMIT, &t0);
    *out = ctx->out.map;
done:
    free(w);
    return s;
}

/* The host's share of a batch, spread over threads: preparing each
 * histogram, and choosing after the dispatch. */
typedef struct batch {
    const vkc_histogram *hists;
    const vkc_kl_params *kp;
    vkc_kl_hist *kh;
    vkc_search_result *res;
    uint32_t *ncand, *out_off;
    const float *out;
    vkc_status *status;
    vkc_msg *msg;
} batch;

static void prepare_one(void *arg, uint32_t t)
{
    batch *b = arg;
    b->status[t] = vkc_kl_hist_init(&b->kh[t], b->hists[t].counts, b->hists[t].bins, b->kp, &b->msg[t]);
}

static void select_one(void *arg, uint32_t t)
{
    batch *b = arg;
    uint32_t nc = b->ncand[t];
    float *approx = malloc((nc ? nc : 1) * 2 * sizeof *approx);
    if (!approx) {
        b->status[t] = vkc_fail(&b->msg[t], VKC_ERROR_OUT_OF_MEMORY, "out of memory");
        return;
    }
    float *err = approx + (nc ? nc : 1);
    for (uint32_t c = 0; c < nc; c++) {
        approx[c] = b->out[2 * ((size_t)b->out_off[t] + c)];
        err[c] = b->out[2 * ((size_t)b->out_off[t] + c) + 1];
    }
    b->status[t] = vkc_kl_select(&b->kh[t], b->kp, nc ? approx : NULL, nc ? err : NULL, b->hists[t].range_max,
                                 &b->res[t], &b->msg[t]);
    free(approx);
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

vkc_status vkc_entropy_gpu(vkc_context *ctx, const vkc_histogram *hists, uint32_t count, const vkc_kl_params *kp,
                           vkc_search_result *res)
{
    vkc_status s = VKC_OK;
    size_t n1 = count ? count : 1;
    batch b = {hists, kp, calloc(n1, sizeof(vkc_kl_hist)), res, calloc(n1, 4), calloc(n1, 4), NULL,
               calloc(n1, sizeof(vkc_status)), calloc(n1, sizeof(vkc_msg))};
    vkc_kl_pack *packs = calloc(n1, sizeof *packs);
    if (!b.kh || !b.ncand || !b.out_off || !b.status || !b.msg || !packs) {
        s = vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory for %u histograms", count);
        goto done;
    }
    memset(ctx->search_ns, 0, sizeof ctx->search_ns);
    double t0 = now_ns();
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
    vkc_parallel_for(ctx->threads, count, select_one, &b);
    s = first_error(ctx, &b, count);
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
