/* Entropy search on a Vulkan device: every candidate of every tensor in one
 * dispatch of shaders/entropy.comp, then vkc_kl_select on the host. */
#include "entropy.h"
#include "gpu.h"
#include "search.h"
#include "search_gpu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOCAL_SIZE 64u
#define REC 12u

/* Packed layout, in 32-bit words:
 *   [t * 12 ...]   tensor records (n, start, stride, levels, ncand, bins
 *                  offset, prefix offset, out offset, total f32, hmax f32)
 *   bins region    per bin: float(h), float(ln h - ln hmax)
 *   prefix region  per position 0..n: uint64 prefix sum (lo, hi), non-empty count */
typedef struct packing {
    uint32_t *w;
    size_t len, cap;
} packing;

static int pack_reserve(packing *p, size_t more)
{
    if (p->len + more <= p->cap) return 1;
    size_t cap = p->cap ? p->cap : 4096;
    while (cap < p->len + more) cap *= 2;
    uint32_t *w = realloc(p->w, cap * 4);
    if (!w) return 0;
    p->w = w;
    p->cap = cap;
    return 1;
}

static void pack_tensor(packing *p, uint32_t t, const vkc_kl_hist *kh, const vkc_kl_params *kp, uint32_t ncand,
                        uint32_t out_off)
{
    uint32_t n = kh->n, *r = p->w + (size_t)t * REC;
    uint64_t hmax = 0;
    for (uint32_t j = 0; j < n; j++) hmax = kh->h[j] > hmax ? kh->h[j] : hmax;
    double lnmax = hmax ? log((double)hmax) : 0.0;
    r[0] = n;
    r[1] = kp->start;
    r[2] = kp->stride;
    r[3] = kp->levels;
    r[4] = ncand;
    r[5] = (uint32_t)p->len;
    for (uint32_t j = 0; j < n; j++) {
        float hf = (float)kh->h[j];
        float lf = kh->h[j] ? (float)(log((double)kh->h[j]) - lnmax) : 0.0f;
        p->w[p->len++] = vkc_f32_bits(hf);
        p->w[p->len++] = vkc_f32_bits(lf);
    }
    r[6] = (uint32_t)p->len;
    for (uint32_t j = 0; j <= n; j++) {
        p->w[p->len++] = (uint32_t)kh->pre[j];
        p->w[p->len++] = (uint32_t)(kh->pre[j] >> 32);
        p->w[p->len++] = kh->nz[j];
    }
    r[7] = out_off;
    r[8] = vkc_f32_bits((float)kh->total);
    r[9] = vkc_f32_bits((float)hmax);
    r[10] = r[11] = 0;
}

/* Where the data must live for the shader: the staging buffer itself on
 * unified memory, a device-local copy otherwise. */
static vkc_status upload(vkc_context *ctx, const uint32_t *w, size_t words, vkc_binding *b)
{
    VkDeviceSize bytes = (VkDeviceSize)words * 4;
    vkc_status s = vkc_gbuf_reserve(ctx, &ctx->stage, bytes, 1);
    if (s != VKC_OK) return s;
    memcpy(ctx->stage.map, w, bytes);
    *b = (vkc_binding){&ctx->stage, 0, bytes};
    if (!ctx->uma) {
        if ((s = vkc_gbuf_reserve(ctx, &ctx->devin, bytes, 0)) != VKC_OK) return s;
        b->buf = &ctx->devin;
    }
    return VKC_OK;
}

vkc_status vkc_entropy_gpu(vkc_context *ctx, const vkc_histogram *hists, uint32_t count, const vkc_kl_params *kp,
                           vkc_search_result *res)
{
    vkc_status s = VKC_OK;
    vkc_kl_hist *kh = calloc(count, sizeof *kh);
    uint32_t *ncand = calloc(count, sizeof *ncand), *out_off = calloc(count, sizeof *out_off);
    packing p = {0};
    if (!kh || !ncand || !out_off) {
        s = vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory for %u histograms", count);
        goto done;
    }
    uint64_t total_cand = 0, max_cand = 0, words = (uint64_t)count * REC;
    for (uint32_t t = 0; t < count; t++) {
        s = vkc_kl_hist_init(&kh[t], hists[t].counts, hists[t].bins, kp, &ctx->msg);
        if (s != VKC_OK) goto done;
        ncand[t] = kh[t].total ? vkc_kl_candidate_count(hists[t].bins, kp) : 0;
        if (ncand[t] > ctx->caps.max_workgroup_count[0]) {
            s = vkc_fail(&ctx->msg, VKC_ERROR_UNSUPPORTED, "%u candidates exceed the device's workgroup count %u",
                         ncand[t], ctx->caps.max_workgroup_count[0]);
            goto done;
        }
        out_off[t] = (uint32_t)total_cand;
        total_cand += ncand[t];
        max_cand = ncand[t] > max_cand ? ncand[t] : max_cand;
        words += ncand[t] ? 2ull * hists[t].bins + 3ull * (hists[t].bins + 1ull) : 0;
    }
    if (count > ctx->caps.max_workgroup_count[1] || words > 0xffffffffull ||
        words * 4 > ctx->caps.max_storage_buffer_range || total_cand * 8 > ctx->caps.max_storage_buffer_range) {
        s = vkc_fail(&ctx->msg, VKC_ERROR_UNSUPPORTED, "search batch too large for one dispatch");
        goto done;
    }
    if (max_cand) {
        if (!pack_reserve(&p, (size_t)words)) {
            s = vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory packing histograms");
            goto done;
        }
        p.len = (size_t)count * REC;
        memset(p.w, 0, p.len * 4);
        for (uint32_t t = 0; t < count; t++)
            if (ncand[t]) pack_tensor(&p, t, &kh[t], kp, ncand[t], out_off[t]);
        uint32_t spec[2] = {LOCAL_SIZE, (uint32_t)vkc_gpu_has(ctx, VKC_FEATURE_SUBGROUP_ARITHMETIC)};
        vkc_pipe *pipe;
        vkc_binding b[2];
        if ((s = vkc_pipe_get(ctx, "entropy", spec, 2, 2, 0, &pipe)) != VKC_OK) goto done;
        if ((s = upload(ctx, p.w, p.len, &b[0])) != VKC_OK) goto done;
        if ((s = vkc_gbuf_reserve(ctx, &ctx->out, total_cand * 8, 1)) != VKC_OK) goto done;
        b[1] = (vkc_binding){&ctx->out, 0, total_cand * 8};
        ctx->last_gpu_ns = 0;
        if ((s = vkc_cmd_begin(ctx)) != VKC_OK) goto done;
        if (!ctx->uma) {
            vkc_cmd_copy(ctx, &ctx->stage, 0, &ctx->devin, 0, (VkDeviceSize)p.len * 4);
            vkc_cmd_barrier(ctx);
        }
        if ((s = vkc_cmd_dispatch(ctx, pipe, b, NULL, (uint32_t)max_cand, count, 1)) != VKC_OK) goto done;
        if ((s = vkc_cmd_submit_wait(ctx)) != VKC_OK) goto done;
    }
    const float *out = ctx->out.map;
    float *approx = malloc((max_cand ? max_cand : 1) * sizeof *approx);
    float *err = malloc((max_cand ? max_cand : 1) * sizeof *err);
    if (!approx || !err) s = vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    for (uint32_t t = 0; s == VKC_OK && t < count; t++) {
        for (uint32_t c = 0; c < ncand[t]; c++) {
            approx[c] = out[2 * ((size_t)out_off[t] + c)];
            err[c] = out[2 * ((size_t)out_off[t] + c) + 1];
        }
        s = vkc_kl_select(&kh[t], kp, ncand[t] ? approx : NULL, ncand[t] ? err : NULL, hists[t].range_max,
                          &res[t], &ctx->msg);
    }
    free(approx);
    free(err);
done:
    for (uint32_t t = 0; kh && t < count; t++) vkc_kl_hist_free(&kh[t]);
    free(kh);
    free(ncand);
    free(out_off);
    free(p.w);
    return s;
}

/* Packed layout of shaders/mse.comp, in words: per tensor a record of 8
 * (n, start, ncand, bound, counts offset, out offset), then float32 counts. */
vkc_status vkc_mse_gpu(vkc_context *ctx, const vkc_histogram *hists, uint32_t count, uint32_t start, uint32_t bound,
                       vkc_search_result *res)
{
    uint64_t words = (uint64_t)count * 8, total_cand = 0, max_cand = 0;
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
    size_t len = (size_t)count * 8;
    uint32_t out_off = 0;
    for (uint32_t t = 0; t < count; t++) {
        uint32_t *r = w + (size_t)t * 8, nc = hists[t].bins > start ? hists[t].bins - start : 0;
        r[0] = hists[t].bins;
        r[1] = start;
        r[2] = nc;
        r[3] = bound;
        r[4] = (uint32_t)len;
        r[5] = out_off;
        for (uint32_t j = 0; j < hists[t].bins; j++) w[len++] = vkc_f32_bits((float)hists[t].counts[j]);
        out_off += nc;
    }
    if (max_cand) {
        uint32_t spec[2] = {LOCAL_SIZE, (uint32_t)vkc_gpu_has(ctx, VKC_FEATURE_SUBGROUP_ARITHMETIC)};
        vkc_pipe *pipe;
        vkc_binding b[2];
        if ((s = vkc_pipe_get(ctx, "mse", spec, 2, 2, 0, &pipe)) != VKC_OK) goto done;
        if ((s = upload(ctx, w, len, &b[0])) != VKC_OK) goto done;
        if ((s = vkc_gbuf_reserve(ctx, &ctx->out, total_cand * 4, 1)) != VKC_OK) goto done;
        b[1] = (vkc_binding){&ctx->out, 0, total_cand * 4};
        ctx->last_gpu_ns = 0;
        if ((s = vkc_cmd_begin(ctx)) != VKC_OK) goto done;
        if (!ctx->uma) {
            vkc_cmd_copy(ctx, &ctx->stage, 0, &ctx->devin, 0, (VkDeviceSize)len * 4);
            vkc_cmd_barrier(ctx);
        }
        if ((s = vkc_cmd_dispatch(ctx, pipe, b, NULL, (uint32_t)max_cand, count, 1)) != VKC_OK) goto done;
        if ((s = vkc_cmd_submit_wait(ctx)) != VKC_OK) goto done;
    }
    for (uint32_t t = 0; s == VKC_OK && t < count; t++) {
        uint32_t nc = w[(size_t)t * 8 + 2], off = w[(size_t)t * 8 + 5];
        if (nc) memcpy(approx, (const float *)ctx->out.map + off, nc * sizeof *approx);
        s = vkc_mse_select(&hists[t], start, bound, nc ? approx : NULL, &res[t], &ctx->msg);
    }
done:
    free(w);
    free(approx);
    return s;
}
