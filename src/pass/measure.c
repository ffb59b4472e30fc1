/* Quality pass: fake quantization at a chosen range, SQNR and clipping. */
#include "pass/passes.h"
#include "vk/shader_layout.h"
#include "base/parallel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- exact sums (vkc_quality) ------------------------------------------ */

#define QW VKC_MEASURE_SUM_WORDS /* 32-bit words per exact sum: bit 0 = 2^-32, 224 bits */

static void fx_add_at(uint32_t *a, uint32_t k, uint32_t v)
{
    uint64_t c = v;
    for (uint32_t i = k; c && i < QW; i++) {
        c += a[i];
        a[i] = (uint32_t)c;
        c >>= 32;
    }
}

/* a += y for a float32 y >= 0 (shaders/measure.comp's add_square, bit for
 * bit): an infinity counts as FLT_MAX, subnormals (below 2^-126, far below
 * the 2^-32 unit) as 0. */
static void fx_add_square(uint32_t *a, float y)
{
    uint32_t bits;
    memcpy(&bits, &y, 4);
    uint32_t ex = bits >> 23;
    if (ex == 0) return;
    if (ex == 255) {
        bits = 0x7f7fffffu;
        ex = 254;
    }
    uint32_t m = (bits & 0x7fffffu) | 0x800000u;
    int p = (int)ex - 118;
    if (p < 0) {
        if (p <= -24) return;
        m >>= -p;
        p = 0;
    }
    const uint32_t w = (uint32_t)p >> 5, sh = (uint32_t)p & 31u;
    fx_add_at(a, w, m << sh);
    if (sh) fx_add_at(a, w + 1, m >> (32 - sh));
}

static void fx_add(uint32_t *a, const uint32_t *b)
{
    uint64_t c = 0;
    for (uint32_t i = 0; i < QW; i++) {
        c += (uint64_t)a[i] + b[i];
        a[i] = (uint32_t)c;
        c >>= 32;
    }
}

/* The value in steps squared; the same conversion whatever the backend. */
static double fx_value(const uint32_t *a)
{
    double d = 0;
    for (uint32_t i = QW; i-- > 0;) d = d * 4294967296.0 + (double)a[i];
    return ldexp(d, -32);
}

static int fx_zero(const uint32_t *a)
{
    for (uint32_t i = 0; i < QW; i++)
        if (a[i]) return 0;
    return 1;
}

double vkc_quality_sqnr_db(const vkc_quality *q)
{
    if (!q || q->count == 0) return 0.0;
    if (q->scale_bits) {
        /* From the exact sums: the same bits on every backend. */
        if (fx_zero(q->exact + QW)) return INFINITY;
        if (fx_zero(q->exact)) return -INFINITY;
        return 10.0 * log10(fx_value(q->exact) / fx_value(q->exact + QW));
    }
    if (q->noise == 0.0) return INFINITY;
    if (q->signal == 0.0) return -INFINITY;
    return 10.0 * log10(q->signal / q->noise);
}

static vkc_status check_quant(vkc_context *ctx, const vkc_quant *q, const vkc_quality *acc)
{
    if (!q || !(q->scale > 0) || !isfinite(q->scale) || q->qmin > q->qmax || q->zero_point < q->qmin ||
        q->zero_point > q->qmax)
        return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT,
                        "quantizer needs a finite scale > 0 and qmin <= zero_point <= qmax");
    if (!isfinite(1.0f / q->scale) || !(1.0f / q->scale > 0))
        return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "quantizer scale %g: its reciprocal is not a finite "
                        "float32", (double)q->scale);
    if (acc && acc->scale_bits && acc->scale_bits != vkc_f32_bits(q->scale))
        return vkc_fail(&ctx->msg, VKC_ERROR_MISMATCH,
                        "a quality accumulator holds the sums of scale %g, not %g: one accumulator per quantizer",
                        (double)vkc_bits_f32(acc->scale_bits), (double)q->scale);
    return VKC_OK;
}

/* The measurement of one call's sums, added to acc, which then shows them
 * in the data's units. */
static void quality_add(vkc_quality *acc, const vkc_quant *q, const uint32_t *exact, uint64_t count, uint64_t clip)
{
    fx_add(acc->exact, exact);
    fx_add(acc->exact + QW, exact + QW);
    acc->count += count;
    acc->clipped += clip;
    acc->scale_bits = vkc_f32_bits(q->scale);
    const double s2 = (double)q->scale * (double)q->scale;
    acc->signal = fx_value(acc->exact) * s2;
    acc->noise = fx_value(acc->exact + QW) * s2;
}

typedef struct measure_part {
    uint32_t exact[14];
    uint64_t count, clipped;
} measure_part;

typedef struct measure_job {
    const float *x;
    float r, lo, hi;
    measure_part *parts;
} measure_job;

/* The shader's arithmetic, element for element. */
static void measure_worker(void *arg, uint32_t part, uint64_t begin, uint64_t end)
{
    const measure_job *j = arg;
    measure_part p;
    memset(&p, 0, sizeof p);
    for (uint64_t i = begin; i < end; i++) {
        const float v = j->x[i];
        if (!isfinite(v)) continue;
        const float t = v * j->r;
        const float q = nearbyintf(t); /* the default rounding: half to even */
        if (q < j->lo || q > j->hi) p.clipped++;
        const float e = t - (q < j->lo ? j->lo : q > j->hi ? j->hi : q);
        fx_add_square(p.exact, t * t);
        fx_add_square(p.exact + QW, e * e);
        p.count++;
    }
    j->parts[part] = p;
}

static measure_job job_of(const float *x, const vkc_quant *q, measure_part *parts)
{
    measure_job j = {x, 1.0f / q->scale, (float)(q->qmin - q->zero_point), (float)(q->qmax - q->zero_point), parts};
    return j;
}

static vkc_status cpu_measure(vkc_context *ctx, const float *x, uint64_t n, const vkc_quant *q, vkc_quality *acc)
{
    enum { MAXT = 64 };
    /* A thread per million values, at most one per processor. */
    uint64_t want = (n >> 20) + 1;
    uint32_t nt = ctx->threads < MAXT ? ctx->threads : MAXT;
    if (want < nt) nt = (uint32_t)want;
    if (nt == 0) nt = 1;
    measure_part parts[MAXT];
    measure_job job = job_of(x, q, parts);
    vkc_parallel_parts(nt, n, measure_worker, &job);
    measure_part all;
    memset(&all, 0, sizeof all);
    for (uint32_t t = 0; t < nt; t++) {
        fx_add(all.exact, parts[t].exact);
        fx_add(all.exact + QW, parts[t].exact + QW);
        all.count += parts[t].count;
        all.clipped += parts[t].clipped;
    }
    quality_add(acc, q, all.exact, all.count, all.clipped);
    return VKC_OK;
}

#define LOCAL_SIZE 64u
#define MAX_GROUPS 1024u

static vkc_status gpu_measure(vkc_context *ctx, const float *x, uint64_t n, const vkc_quant *q, vkc_quality *acc)
{
    uint32_t spec[1] = {LOCAL_SIZE};
    vkc_pipe *pipe;
    vkc_status s = vkc_pipe_get(ctx, "measure", spec, 1, 2, sizeof(vkc_measure_push), &pipe);
    if (s == VKC_OK) s = vkc_gbuf_reserve(ctx, &ctx->out, MAX_GROUPS * VKC_MEASURE_WORDS * 4, 1);
    if (s != VKC_OK) return s;
    uint64_t step = vkc_gpu_chunk_bytes(ctx) / 4;
    const measure_job j = job_of(NULL, q, NULL);
    measure_part all;
    memset(&all, 0, sizeof all);
    ctx->last_gpu_ns = 0;
    for (uint64_t off = 0; off < n; off += step) {
        uint64_t m = n - off < step ? n - off : step;
        vkc_binding b[2];
        if ((s = vkc_gpu_upload(ctx, x + off, m * 4, &b[0])) != VKC_OK) return s;
        uint64_t g = (m + LOCAL_SIZE * 256 - 1) / (LOCAL_SIZE * 256);
        uint32_t groups = (uint32_t)(g < 1 ? 1 : g > MAX_GROUPS ? MAX_GROUPS : g);
        b[1] = (vkc_binding){&ctx->out, 0, (VkDeviceSize)groups * VKC_MEASURE_WORDS * 4};
        vkc_measure_push push = {(uint32_t)m, j.r, j.lo, j.hi};
        if ((s = vkc_cmd_begin(ctx)) != VKC_OK) return s;
        vkc_gpu_record_upload(ctx, m * 4);
        s = vkc_cmd_dispatch(ctx, pipe, b, &push, groups, 1, 1);
        if (s == VKC_OK) s = vkc_cmd_submit_wait(ctx);
        if (s != VKC_OK) return s;
        const uint32_t *rec = ctx->out.map;
        for (uint32_t k = 0; k < groups; k++) {
            const uint32_t *r = rec + (size_t)k * VKC_MEASURE_WORDS;
            fx_add(all.exact, r + VKC_MEASURE_SIGNAL);
            fx_add(all.exact + QW, r + VKC_MEASURE_NOISE);
            all.clipped += r[VKC_MEASURE_CLIPPED];
            all.count += r[VKC_MEASURE_FINITE];
        }
    }
    quality_add(acc, q, all.exact, all.count, all.clipped);
    return VKC_OK;
}

vkc_status vkc_measure_f32(vkc_context *ctx, const float *x, uint64_t n, const vkc_quant *q, vkc_quality *acc)
{
    if (!ctx) return VKC_ERROR_INVALID_ARGUMENT;
    if (!acc || (!x && n)) return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_measure_f32: NULL argument");
    vkc_status s = check_quant(ctx, q, acc);
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
 * the range pass) come out of the bin that holds 0 and quantize losslessly
 * to the zero point. A histogram of |x|: sign is irrelevant on a symmetric
 * grid, and an unsigned one is only applied to never-negative tensors. A
 * histogram of x: centres lo + (j + 1/2) w. */
vkc_status vkc_quality_estimate(const uint64_t *counts, const vkc_hist_spec *spec, uint64_t zeros,
                                const vkc_quant *q, vkc_quality *out)
{
    if (!counts || !spec || !q || !out || spec->bins == 0) return VKC_ERROR_INVALID_ARGUMENT;
    if ((spec->kind != VKC_HIST_ABS && spec->kind != VKC_HIST_SIGNED) || !(q->scale > 0) || q->qmin > q->qmax)
        return VKC_ERROR_INVALID_ARGUMENT;
    memset(out, 0, sizeof *out);
    const int is_signed = spec->kind == VKC_HIST_SIGNED;
    const double lo = is_signed ? (double)spec->lo : 0.0;
    const double w = ((double)spec->hi - lo) / spec->bins, scale = (double)q->scale;
    /* The bin the exact zeros went to (DESIGN.md §2's float32 rule). */
    uint32_t zb = 0;
    if (is_signed && spec->lo < 0 && spec->hi > 0) {
        const float x = (0.0f - spec->lo) * vkc_hist_inv(spec);
        zb = x > 0.0f ? (x < (float)spec->bins ? (uint32_t)x : spec->bins - 1) : 0;
    } else if (is_signed && spec->lo < 0) {
        zb = spec->bins - 1;
    }
    double sig = 0, noise = 0;
    uint64_t clip = 0, cnt = 0;
    for (uint32_t j = 0; j < spec->bins; j++) {
        uint64_t c = counts[j];
        if (j == zb) c = c > zeros ? c - zeros : 0;
        if (!c) continue;
        double x = lo + (j + 0.5) * w;
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
