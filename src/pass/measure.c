/* Quality pass: fake quantization at a chosen range, SQNR and clipping. */
#include "pass/passes.h"
#include "base/parallel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double vkc_quality_sqnr_db(const vkc_quality *q)
{
    if (!q || q->count == 0) return 0.0;
    if (q->noise == 0.0) return INFINITY;
    if (q->signal == 0.0) return -INFINITY;
    return 10.0 * log10(q->signal / q->noise);
}

static vkc_status check_quant(vkc_context *ctx, const vkc_quant *q)
{
    if (!q || !(q->scale > 0) || !isfinite(q->scale) || q->qmin > q->qmax || q->zero_point < q->qmin ||
        q->zero_point > q->qmax)
        return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT,
                        "quantizer needs a finite scale > 0 and qmin <= zero_point <= qmax");
    return VKC_OK;
}

typedef struct measure_job {
    const float *x;
    vkc_quant q;
    vkc_quality *parts;
} measure_job;

/* The shader's arithmetic in float32, sums in double. */
static void measure_worker(void *arg, uint32_t part, uint64_t begin, uint64_t end)
{
    const measure_job *j = arg;
    const float lo = (float)(j->q.qmin - j->q.zero_point), hi = (float)(j->q.qmax - j->q.zero_point);
    double sig = 0, err = 0;
    uint64_t clip = 0, cnt = 0;
    for (uint64_t i = begin; i < end; i++) {
        float v = j->x[i];
        if (!isfinite(v)) continue;
        float r = nearbyintf(v / j->q.scale);
        if (r < lo || r > hi) clip++;
        float c = r < lo ? lo : (r > hi ? hi : r);
        float d = v - c * j->q.scale;
        sig += (double)v * v;
        err += (double)d * d;
        cnt++;
    }
    j->parts[part] = (vkc_quality){sig, err, cnt, clip};
}

static vkc_status cpu_measure(vkc_context *ctx, const float *x, uint64_t n, const vkc_quant *q, vkc_quality *acc)
{
    enum { MAXT = 64 };
    /* A thread per million values, at most one per processor. */
    uint64_t want = (n >> 20) + 1;
    uint32_t nt = ctx->threads < MAXT ? ctx->threads : MAXT;
    if (want < nt) nt = (uint32_t)want;
    if (nt == 0) nt = 1;
    vkc_quality parts[MAXT];
    measure_job job = {x, *q, parts};
    vkc_parallel_parts(nt, n, measure_worker, &job);
    for (uint32_t t = 0; t < nt; t++) {
        acc->signal += parts[t].signal;
        acc->noise += parts[t].noise;
        acc->clipped += parts[t].clipped;
        acc->count += parts[t].count;
    }
    return VKC_OK;
}

#define LOCAL_SIZE 256u
#define MAX_GROUPS 1024u


static vkc_status gpu_measure(vkc_context *ctx, const float *x, uint64_t n, const vkc_quant *q, vkc_quality *acc)
{
    uint32_t spec[1] = {LOCAL_SIZE};
    vkc_pipe *pipe;
    vkc_status s = vkc_pipe_get(ctx, "measure", spec, 1, 2, sizeof(vkc_measure_push), &pipe);
    if (s == VKC_OK) s = vkc_gbuf_reserve(ctx, &ctx->out, MAX_GROUPS * VKC_MEASURE_WORDS * 4, 1);
    if (s != VKC_OK) return s;
    uint64_t step = vkc_gpu_chunk_bytes(ctx) / 4;
    ctx->last_gpu_ns = 0;
    for (uint64_t off = 0; off < n; off += step) {
        uint64_t m = n - off < step ? n - off : step;
        vkc_binding b[2];
        if ((s = vkc_gpu_upload(ctx, x + off, m * 4, &b[0])) != VKC_OK) return s;
        uint64_t g = (m + LOCAL_SIZE * 64 - 1) / (LOCAL_SIZE * 64);
        uint32_t groups = (uint32_t)(g < 1 ? 1 : g > MAX_GROUPS ? MAX_GROUPS : g);
        b[1] = (vkc_binding){&ctx->out, 0, (VkDeviceSize)groups * VKC_MEASURE_WORDS * 4};
        vkc_measure_push push = {(uint32_t)m, q->scale, q->zero_point, q->qmin, q->qmax};
        if ((s = vkc_cmd_begin(ctx)) != VKC_OK) return s;
        vkc_gpu_record_upload(ctx, m * 4);
        s = vkc_cmd_dispatch(ctx, pipe, b, &push, groups, 1, 1);
        if (s == VKC_OK) s = vkc_cmd_submit_wait(ctx);
        if (s != VKC_OK) return s;
        const uint32_t *part = ctx->out.map;
        for (uint32_t k = 0; k < groups; k++) {
            const uint32_t *r = part + (size_t)k * VKC_MEASURE_WORDS;
            acc->signal += vkc_bits_f32(r[VKC_MEASURE_SIGNAL]);
            acc->noise += vkc_bits_f32(r[VKC_MEASURE_NOISE]);
            acc->clipped += r[VKC_MEASURE_CLIPPED];
            acc->count += r[VKC_MEASURE_FINITE];
        }
    }
    return VKC_OK;
}

vkc_status vkc_measure_f32(vkc_context *ctx, const float *x, uint64_t n, const vkc_quant *q, vkc_quality *acc)
{
    if (!ctx) return VKC_ERROR_INVALID_ARGUMENT;
    if (!acc || (!x && n)) return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_measure_f32: NULL argument");
    vkc_status s = check_quant(ctx, q);
    if (s != VKC_OK || n == 0) return s;
    return ctx->is_cpu ? cpu_measure(ctx, x, n, q, acc) : gpu_measure(ctx, x, n, q, acc);
}

vkc_status vkc_measure_host(vkc_context *ctx, const void *x, uint64_t n, vkc_dtype dtype, const vkc_quant *q,
                            vkc_quality *acc)
{
    if (!ctx) return VKC_ERROR_INVALID_ARGUMENT;
    if (dtype == VKC_DTYPE_F32) return vkc_measure_f32(ctx, x, n, q, acc);
    if (dtype != VKC_DTYPE_F16 && dtype != VKC_DTYPE_BF16)
        return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_measure_host: unknown dtype %d", (int)dtype);
    if (!acc || (!x && n)) return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_measure_host: NULL argument");
    enum { BLOCK = 1 << 20 };
    float *w = malloc((size_t)(n < BLOCK ? (n ? n : 1) : BLOCK) * sizeof *w);
    if (!w) return vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory widening 16-bit values");
    vkc_status s = VKC_OK;
    for (uint64_t off = 0; s == VKC_OK && off < n; off += BLOCK) {
        uint64_t m = n - off < BLOCK ? n - off : BLOCK;
        vkc_widen16((const unsigned char *)x + 2 * off, m, dtype, w);
        s = vkc_measure_f32(ctx, w, m, q, acc);
    }
    free(w);
    return s;
}

/* Every value at the centre of its bin; the exact zeros (counted apart by
 * the range pass) come out of bin 0 and quantize losslessly to the zero
 * point. Sign is irrelevant on a symmetric grid, and an unsigned one is
 * only applied to never-negative tensors. */
vkc_status vkc_quality_estimate(const uint64_t *counts, const vkc_hist_spec *spec, uint64_t zeros,
                                const vkc_quant *q, vkc_quality *out)
{
    if (!counts || !spec || !q || !out || spec->bins == 0) return VKC_ERROR_INVALID_ARGUMENT;
    if (spec->kind != VKC_HIST_ABS || !(q->scale > 0) || q->qmin > q->qmax) return VKC_ERROR_INVALID_ARGUMENT;
    memset(out, 0, sizeof *out);
    const double w = ((double)spec->hi - (double)spec->lo) / spec->bins, scale = (double)q->scale;
    double sig = 0, noise = 0;
    uint64_t clip = 0, cnt = 0;
    for (uint32_t j = 0; j < spec->bins; j++) {
        uint64_t c = counts[j];
        if (j == 0) c = c > zeros ? c - zeros : 0;
        if (!c) continue;
        double x = (j + 0.5) * w;
        double code = nearbyint(x / scale) + q->zero_point;
        if (code > q->qmax) clip += c, code = q->qmax;
        if (code < q->qmin) clip += c, code = q->qmin;
        double e = x - (code - q->zero_point) * scale;
        sig += (double)c * x * x;
        noise += (double)c * e * e;
        cnt += c;
    }
    out->signal = sig;
    out->noise = noise;
    out->clipped = clip;
    out->count = cnt + zeros;
    return VKC_OK;
}
