/* Public entry points of the data passes, the shared geometry rules, and the
 * Vulkan implementation of both passes. */
#include "passes.h"

#include <math.h>
#include <string.h>

/* Below this width a bin index could depend on whether a device flushes
 * denormals; such a range puts everything in bin 0 on every backend. */
#define VKC_MIN_WIDTH 7.8886090522101181e-31f /* 2^-100 */
#define VKC_MAX_BINS (1u << 20)

vkc_status vkc_hist_check(const vkc_hist_spec *spec, float *inv, vkc_msg *msg)
{
    if (!spec) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "histogram spec is NULL");
    if (spec->bins == 0 || spec->bins > VKC_MAX_BINS)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "bin count %u outside 1..%u", spec->bins, VKC_MAX_BINS);
    float lo = spec->kind == VKC_HIST_ABS ? 0.0f : spec->lo;
    if (!isfinite(lo) || !isfinite(spec->hi) || spec->hi < lo)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "histogram range [%g, %g] is not a finite interval",
                        (double)lo, (double)spec->hi);
    float width = spec->hi - lo;
    if (!isfinite(width))
        return vkc_fail(msg, VKC_ERROR_UNSUPPORTED,
                        "histogram range [%g, %g] is wider than float32 can represent", (double)lo,
                        (double)spec->hi);
    *inv = width >= VKC_MIN_WIDTH ? (float)spec->bins / width : 0.0f;
    return VKC_OK;
}

float vkc_hist_inv(const vkc_hist_spec *spec)
{
    float inv = 0.0f;
    return vkc_hist_check(spec, &inv, NULL) == VKC_OK ? inv : 0.0f;
}

static vkc_msg *ctx_msg(vkc_context *ctx)
{
    return &ctx->msg;
}

vkc_status vkc_range_f32(vkc_context *ctx, const float *x, uint64_t n, vkc_stats *acc)
{
    if (!ctx || !acc || (!x && n))
        return vkc_fail(ctx ? ctx_msg(ctx) : NULL, VKC_ERROR_INVALID_ARGUMENT, "vkc_range_f32: NULL argument");
    if (n == 0) return VKC_OK;
    return ctx->is_cpu ? vkc_cpu_range(ctx, x, n, acc) : vkc_gpu_range(ctx, x, n, acc);
}

vkc_status vkc_histogram_f32(vkc_context *ctx, const float *x, uint64_t n, const vkc_hist_spec *spec,
                             uint64_t *counts)
{
    if (!ctx || !counts || (!x && n))
        return vkc_fail(ctx ? ctx_msg(ctx) : NULL, VKC_ERROR_INVALID_ARGUMENT,
                        "vkc_histogram_f32: NULL argument");
    float inv;
    vkc_status s = vkc_hist_check(spec, &inv, ctx_msg(ctx));
    if (s != VKC_OK || n == 0) return s;
    return ctx->is_cpu ? vkc_cpu_histogram(ctx, x, n, spec, inv, counts)
                       : vkc_gpu_histogram(ctx, x, n, spec, inv, counts);
}

/* ------------------------------------------------------------------------ */
/* Vulkan                                                                    */

#define LOCAL_SIZE 256u

static uint32_t groups_for(const vkc_context *ctx, uint64_t n, uint64_t per_group, uint32_t cap)
{
    uint64_t g = (n + per_group - 1) / per_group;
    if (g < 1) g = 1;
    if (g > cap) g = cap;
    if (g > ctx->caps.max_workgroup_count[0]) g = ctx->caps.max_workgroup_count[0];
    return (uint32_t)g;
}

/* Elements per flush window: uint32 counters in the shaders must not wrap. */
static uint64_t flush_window(const vkc_context *ctx)
{
    return ctx->flush_window && ctx->flush_window < 0xffffffffull ? ctx->flush_window : 0xffffffffull;
}


static uint64_t chunk_elems(const vkc_context *ctx)
{
    return vkc_gpu_chunk_bytes(ctx) / 4;
}

static void record_init(uint32_t *rec)
{
    rec[0] = 0xffffffffu;
    for (int k = 1; k < 8; k++) rec[k] = 0;
}

vkc_status vkc_gpu_range(vkc_context *ctx, const float *x, uint64_t n, vkc_stats *acc)
{
    uint32_t spec[2] = {LOCAL_SIZE, (uint32_t)vkc_gpu_has(ctx, VKC_FEATURE_SUBGROUP_ARITHMETIC)};
    vkc_pipe *pipe;
    vkc_status s = vkc_pipe_get(ctx, "range", spec, 2, 2, 4, &pipe);
    if (s == VKC_OK) s = vkc_gbuf_reserve(ctx, &ctx->out, 32, 1);
    if (s != VKC_OK) return s;
    uint32_t *rec = ctx->out.map;
    record_init(rec);
    uint64_t window = 0, step = chunk_elems(ctx);
    ctx->last_gpu_ns = 0;
    for (uint64_t off = 0; off < n; off += step) {
        uint64_t m = n - off < step ? n - off : step;
        if (window + m > flush_window(ctx)) {
            vkc_stats_add_record(acc, rec);
            record_init(rec);
            window = 0;
        }
        vkc_binding b[2];
        s = vkc_gpu_upload(ctx, x + off, m * 4, &b[0]);
        if (s != VKC_OK) return s;
        b[1] = (vkc_binding){&ctx->out, 0, 32};
        uint32_t push = (uint32_t)m;
        if ((s = vkc_cmd_begin(ctx)) != VKC_OK) return s;
        vkc_gpu_record_upload(ctx, m * 4);
        s = vkc_cmd_dispatch(ctx, pipe, b, &push, groups_for(ctx, m, LOCAL_SIZE * 16, 4096), 1, 1);
        if (s == VKC_OK) s = vkc_cmd_submit_wait(ctx);
        if (s != VKC_OK) return s;
        window += m;
    }
    vkc_stats_add_record(acc, rec);
    return VKC_OK;
}

static vkc_status hist_pipe(vkc_context *ctx, uint32_t bins, vkc_pipe **pipe)
{
    int shared = vkc_gpu_has(ctx, VKC_FEATURE_SHARED_HISTOGRAM) &&
                 (uint64_t)bins * 4 + 64 <= ctx->caps.max_shared_memory;
    uint32_t spec[4] = {LOCAL_SIZE, bins, (uint32_t)shared, shared ? bins : 1u};
    return vkc_pipe_get(ctx, "hist", spec, 4, 2, 16, pipe);
}

typedef struct hist_push {
    uint32_t n, kind;
    float inv, lo;
} hist_push;

static void flush_counts(vkc_context *ctx, uint32_t bins, uint64_t *counts)
{
    uint32_t *c = ctx->out.map;
    for (uint32_t b = 0; b < bins; b++) counts[b] += c[b];
    memset(c, 0, (size_t)bins * 4);
}

/* Records one histogram dispatch over m values bound by in. */
static vkc_status record_hist(vkc_context *ctx, vkc_pipe *pipe, const vkc_binding *in, uint64_t m,
                              const vkc_hist_spec *spec, float inv)
{
    vkc_binding b[2] = {*in, {&ctx->out, 0, (VkDeviceSize)spec->bins * 4}};
    hist_push push = {(uint32_t)m, spec->kind == VKC_HIST_SIGNED, inv, spec->kind == VKC_HIST_SIGNED ? spec->lo : 0.0f};
    return vkc_cmd_dispatch(ctx, pipe, b, &push, groups_for(ctx, m, LOCAL_SIZE * 64, 1024), 1, 1);
}

vkc_status vkc_gpu_histogram(vkc_context *ctx, const float *x, uint64_t n, const vkc_hist_spec *spec,
                             float inv, uint64_t *counts)
{
    vkc_pipe *pipe;
    vkc_status s = hist_pipe(ctx, spec->bins, &pipe);
    if (s == VKC_OK) s = vkc_gbuf_reserve(ctx, &ctx->out, (VkDeviceSize)spec->bins * 4, 1);
    if (s != VKC_OK) return s;
    memset(ctx->out.map, 0, (size_t)spec->bins * 4);
    uint64_t window = 0, step = chunk_elems(ctx);
    ctx->last_gpu_ns = 0;
    for (uint64_t off = 0; off < n; off += step) {
        uint64_t m = n - off < step ? n - off : step;
        if (window + m > flush_window(ctx)) {
            flush_counts(ctx, spec->bins, counts);
            window = 0;
        }
        vkc_binding in;
        if ((s = vkc_gpu_upload(ctx, x + off, m * 4, &in)) != VKC_OK) return s;
        if ((s = vkc_cmd_begin(ctx)) != VKC_OK) return s;
        vkc_gpu_record_upload(ctx, m * 4);
        s = record_hist(ctx, pipe, &in, m, spec, inv);
        if (s == VKC_OK) s = vkc_cmd_submit_wait(ctx);
        if (s != VKC_OK) return s;
        window += m;
    }
    flush_counts(ctx, spec->bins, counts);
    return VKC_OK;
}

vkc_status vkc_gpu_histogram_buffer(vkc_context *ctx, const vkc_gbuf *in, VkDeviceSize offset, uint64_t n,
                                    const vkc_hist_spec *spec, float inv, uint64_t *counts)
{
    if (offset % ctx->caps.min_storage_buffer_offset_alignment)
        return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT,
                        "buffer offset %llu is not a multiple of minStorageBufferOffsetAlignment (%llu)",
                        (unsigned long long)offset,
                        (unsigned long long)ctx->caps.min_storage_buffer_offset_alignment);
    vkc_pipe *pipe;
    vkc_status s = hist_pipe(ctx, spec->bins, &pipe);
    if (s == VKC_OK) s = vkc_gbuf_reserve(ctx, &ctx->out, (VkDeviceSize)spec->bins * 4, 1);
    if (s != VKC_OK) return s;
    memset(ctx->out.map, 0, (size_t)spec->bins * 4);
    /* Chunks stay multiples of 256 bytes, so every chunk offset keeps the
     * alignment (the spec caps minStorageBufferOffsetAlignment at 256). */
    uint64_t window = 0, step = chunk_elems(ctx);
    ctx->last_gpu_ns = 0;
    if ((s = vkc_cmd_begin(ctx)) != VKC_OK) return s;
    for (uint64_t off = 0; off < n; off += step) {
        uint64_t m = n - off < step ? n - off : step;
        if (window + m > flush_window(ctx)) {
            if ((s = vkc_cmd_submit_wait(ctx)) != VKC_OK) return s;
            flush_counts(ctx, spec->bins, counts);
            window = 0;
            if ((s = vkc_cmd_begin(ctx)) != VKC_OK) return s;
        }
        vkc_binding b = {in, offset + off * 4, m * 4};
        /* Atomic adds into the same counters commute, but synchronization
         * validation still wants the dependency made explicit. */
        if (off) vkc_cmd_barrier(ctx);
        if ((s = record_hist(ctx, pipe, &b, m, spec, inv)) != VKC_OK) return s;
        window += m;
    }
    if ((s = vkc_cmd_submit_wait(ctx)) != VKC_OK) return s;
    flush_counts(ctx, spec->bins, counts);
    return VKC_OK;
}

vkc_status vkc_gpu_range_buffer(vkc_context *ctx, const vkc_gbuf *in, VkDeviceSize offset, uint64_t n,
                                vkc_stats *acc)
{
    uint32_t spec[2] = {LOCAL_SIZE, (uint32_t)vkc_gpu_has(ctx, VKC_FEATURE_SUBGROUP_ARITHMETIC)};
    vkc_pipe *pipe;
    vkc_status s = vkc_pipe_get(ctx, "range", spec, 2, 2, 4, &pipe);
    if (s == VKC_OK) s = vkc_gbuf_reserve(ctx, &ctx->out, 32, 1);
    if (s != VKC_OK) return s;
    uint32_t *rec = ctx->out.map;
    record_init(rec);
    uint64_t window = 0, step = chunk_elems(ctx);
    ctx->last_gpu_ns = 0;
    if ((s = vkc_cmd_begin(ctx)) != VKC_OK) return s;
    for (uint64_t off = 0; off < n; off += step) {
        uint64_t m = n - off < step ? n - off : step;
        if (window + m > flush_window(ctx)) {
            if ((s = vkc_cmd_submit_wait(ctx)) != VKC_OK) return s;
            vkc_stats_add_record(acc, rec);
            record_init(rec);
            window = 0;
            if ((s = vkc_cmd_begin(ctx)) != VKC_OK) return s;
        }
        vkc_binding b[2] = {{in, offset + off * 4, m * 4}, {&ctx->out, 0, 32}};
        uint32_t push = (uint32_t)m;
        if (off) vkc_cmd_barrier(ctx);
        if ((s = vkc_cmd_dispatch(ctx, pipe, b, &push, groups_for(ctx, m, LOCAL_SIZE * 16, 4096), 1, 1)) != VKC_OK)
            return s;
        window += m;
    }
    if ((s = vkc_cmd_submit_wait(ctx)) != VKC_OK) return s;
    vkc_stats_add_record(acc, rec);
    return VKC_OK;
}

/* The application's buffer seen through a vkc_gbuf that owns nothing. */
static vkc_status borrow_buffer(vkc_context *ctx, VkBuffer buf, VkDeviceSize offset, uint64_t n, vkc_gbuf *b)
{
    if (ctx->is_cpu)
        return vkc_fail(&ctx->msg, VKC_ERROR_UNSUPPORTED, "a device buffer needs a Vulkan context, not the CPU backend");
    if (!buf) return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "VkBuffer is VK_NULL_HANDLE");
    if (offset % ctx->caps.min_storage_buffer_offset_alignment)
        return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT,
                        "buffer offset %llu is not a multiple of minStorageBufferOffsetAlignment (%llu)",
                        (unsigned long long)offset,
                        (unsigned long long)ctx->caps.min_storage_buffer_offset_alignment);
    memset(b, 0, sizeof *b);
    b->buf = buf;
    b->size = offset + n * 4;
    return VKC_OK;
}

vkc_status vkc_range_buffer(vkc_context *ctx, VkBuffer buf, VkDeviceSize offset, uint64_t n, vkc_stats *acc)
{
    if (!ctx) return VKC_ERROR_INVALID_ARGUMENT;
    if (!acc) return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_range_buffer: NULL stats");
    vkc_gbuf b;
    vkc_status s = borrow_buffer(ctx, buf, offset, n, &b);
    if (s != VKC_OK || n == 0) return s;
    return vkc_gpu_range_buffer(ctx, &b, offset, n, acc);
}

vkc_status vkc_histogram_buffer(vkc_context *ctx, VkBuffer buf, VkDeviceSize offset, uint64_t n,
                                const vkc_hist_spec *spec, uint64_t *counts)
{
    if (!ctx) return VKC_ERROR_INVALID_ARGUMENT;
    if (!counts) return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_histogram_buffer: NULL counts");
    float inv = 0.0f;
    vkc_gbuf b;
    vkc_status s = vkc_hist_check(spec, &inv, &ctx->msg);
    if (s == VKC_OK) s = borrow_buffer(ctx, buf, offset, n, &b);
    if (s != VKC_OK || n == 0) return s;
    return vkc_gpu_histogram_buffer(ctx, &b, offset, n, spec, inv, counts);
}
