/* Recording the data passes into the application's command buffer
 * (vkc_recorder in vkcalib.h).
 *
 * The accumulators live in one buffer, in four sections at 256-byte
 * (maximum minStorageBufferOffsetAlignment) boundaries, as 32-bit words:
 *   REC    the range record the range shader updates (passes.c layout);
 *   REC64  its five counters folded to 64 bits (low, high word pairs);
 *   CNT    the histogram's 32-bit counters the histogram shader adds to;
 *   CNT64  those folded to 64 bits.
 * After every dispatch a fold dispatch moves the 32-bit counters into the
 * 64-bit ones, so nothing wraps however much the application records
 * before reading. Descriptor sets come from the recorder's own pools: they
 * must outlive the application's submission, and only vkc_recorder_read
 * knows when that is over. */
#include "passes.h"

#include <stdlib.h>
#include <string.h>

#define SEC_REC64 256u
#define SEC_CNT 512u

struct vkc_recorder {
    vkc_context *ctx;
    vkc_gbuf acc;        /* the accumulators (host-visible on UMA devices) */
    vkc_gbuf rb;         /* read-back copy on devices with separate memory */
    uint32_t bins;       /* histogram size the buffer is laid out for */
    int have_spec;       /* a histogram was recorded since the last read */
    vkc_hist_spec spec;
    float inv;
    int dirty;           /* accumulators must be cleared before the next use */
    VkDescriptorPool *pools;
    uint32_t npools, cur;
};

static VkDeviceSize sec_cnt64(uint32_t bins)
{
    return SEC_CNT + (((VkDeviceSize)bins * 4 + 255) & ~(VkDeviceSize)255);
}

static VkDeviceSize acc_size(uint32_t bins)
{
    return sec_cnt64(bins) + (VkDeviceSize)bins * 8;
}

static int host_acc(const vkc_recorder *r)
{
    return r->ctx->uma;
}

vkc_status vkc_recorder_create(vkc_context *ctx, vkc_recorder **out)
{
    if (!ctx || !out) return vkc_fail(ctx ? &ctx->msg : NULL, VKC_ERROR_INVALID_ARGUMENT, "vkc_recorder_create: NULL");
    *out = NULL;
    if (ctx->is_cpu)
        return vkc_fail(&ctx->msg, VKC_ERROR_UNSUPPORTED, "a recorder needs a Vulkan context, not the CPU backend");
    vkc_recorder *r = calloc(1, sizeof *r);
    if (!r) return vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    r->ctx = ctx;
    r->dirty = 1;
    *out = r;
    return VKC_OK;
}

void vkc_recorder_destroy(vkc_recorder *r)
{
    if (!r) return;
    vkc_context *ctx = r->ctx;
    vkc_gbuf_destroy(ctx, &r->acc);
    vkc_gbuf_destroy(ctx, &r->rb);
    for (uint32_t i = 0; i < r->npools; i++) vkDestroyDescriptorPool(ctx->dev, r->pools[i], NULL);
    free(r->pools);
    free(r);
}

/* Lays the buffer out for bins histogram counters. Only between reads, when
 * no submission can still hold the old buffer. */
static vkc_status ensure_layout(vkc_recorder *r, uint32_t bins)
{
    if (r->acc.buf && bins <= r->bins) return VKC_OK;
    vkc_context *ctx = r->ctx;
    vkc_gbuf_destroy(ctx, &r->acc);
    vkc_gbuf_destroy(ctx, &r->rb);
    VkDeviceSize size = acc_size(bins);
    vkc_status s = vkc_gbuf_create(ctx, size, host_acc(r), &r->acc);
    if (s == VKC_OK && !host_acc(r)) s = vkc_gbuf_create(ctx, size, 1, &r->rb);
    if (s != VKC_OK) return s;
    r->bins = bins;
    r->dirty = 1;
    return VKC_OK;
}

static vkc_status add_pool(vkc_recorder *r)
{
    vkc_context *ctx = r->ctx;
    if (r->cur + 1 < r->npools) {
        r->cur++;
        return VKC_OK;
    }
    VkDescriptorPool *p = realloc(r->pools, (r->npools + 1) * sizeof *p);
    if (!p) return vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    r->pools = p;
    VkDescriptorPoolSize ps = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 512};
    VkDescriptorPoolCreateInfo dpi = {VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    dpi.maxSets = 256;
    dpi.poolSizeCount = 1;
    dpi.pPoolSizes = &ps;
    VKC_VK(ctx, vkCreateDescriptorPool(ctx->dev, &dpi, NULL, &r->pools[r->npools]));
    r->cur = r->npools++;
    return VKC_OK;
}

/* One dispatch with a set from the current pool, moving to a fresh pool
 * when it is full. */
static vkc_status dispatch(vkc_recorder *r, VkCommandBuffer cmd, vkc_pipe *pipe, const vkc_hist_spec *spec,
                           const vkc_binding *in, uint32_t first, uint64_t m, const vkc_binding *out)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        vkc_status s = VKC_OK;
        if (!r->npools) s = add_pool(r);
        if (s != VKC_OK) return s;
        int full = 0;
        if (pipe) s = vkc_gpu_record_pass(r->ctx, cmd, r->pools[r->cur], pipe, spec, r->inv, in, first, m, out, &full);
        else {
            /* The fold: in = the whole buffer, first = src, m = counters,
             * out->offset = dst in words. */
            vkc_pipe *fold;
            s = vkc_pipe_get(r->ctx, "fold", NULL, 0, 1, 12, &fold);
            uint32_t push[3] = {first, (uint32_t)out->offset, (uint32_t)m};
            if (s == VKC_OK)
                s = vkc_record_dispatch(r->ctx, cmd, r->pools[r->cur], fold, in, push, (uint32_t)((m + 63) / 64), 1,
                                        1, &full);
        }
        if (s != VKC_OK || !full) return s;
        if ((s = add_pool(r)) != VKC_OK) return s;
    }
    return vkc_fail(&r->ctx->msg, VKC_ERROR_VULKAN, "a fresh descriptor pool could not hold one set");
}

/* Everything the application wrote before -> our transfers and shaders. */
static void lead_barrier(VkCommandBuffer cmd)
{
    VkMemoryBarrier mb = {VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    mb.srcAccessMask = VK_ACCESS_MEMORY_WRITE_BIT;
    mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT,
                         VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &mb, 0, NULL, 0,
                         NULL);
}

/* Our writes -> the host's read after the fence; our reads of the
 * application's buffer finish before anything later overwrites it. */
static void tail_barrier(VkCommandBuffer cmd)
{
    VkMemoryBarrier mb = {VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0, 1, &mb, 0, NULL, 0,
                         NULL);
}

static vkc_status record(vkc_recorder *r, VkCommandBuffer cmd, const vkc_buffer_view *v, const vkc_hist_spec *spec)
{
    vkc_context *ctx = r->ctx;
    vkc_gbuf in;
    vkc_status s = vkc_gpu_check_view(ctx, v, &in);
    if (s != VKC_OK) return s;
    if (!cmd) return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "VkCommandBuffer is NULL");
    if (spec) {
        float inv;
        if ((s = vkc_hist_check(spec, &inv, &ctx->msg)) != VKC_OK) return s;
        if (r->have_spec && memcmp(spec, &r->spec, sizeof *spec) != 0)
            return vkc_fail(&ctx->msg, VKC_ERROR_MISMATCH,
                            "histogram spec differs from the one recorded since the last vkc_recorder_read");
        if (!r->have_spec && (s = ensure_layout(r, spec->bins)) != VKC_OK) return s;
        r->spec = *spec;
        r->inv = inv;
        r->have_spec = 1;
    } else if ((s = ensure_layout(r, r->bins)) != VKC_OK) {
        return s;
    }
    if (v->count == 0) return VKC_OK;
    vkc_pipe *pipe;
    s = spec ? vkc_gpu_pipe_hist(ctx, v->dtype, spec->bins, &pipe) : vkc_gpu_pipe_range(ctx, v->dtype, &pipe);
    if (s != VKC_OK) return s;

    lead_barrier(cmd);
    VkDeviceSize size = acc_size(r->bins);
    if (r->dirty) {
        vkCmdFillBuffer(cmd, r->acc.buf, 0, 4, 0xffffffffu); /* the min key starts at its top */
        vkCmdFillBuffer(cmd, r->acc.buf, 4, size - 4, 0);
        vkc_record_barrier(cmd);
        r->dirty = 0;
    }
    uint32_t esize = vkc_dtype_size(v->dtype);
    uint64_t step = vkc_gpu_chunk_bytes(ctx) / esize;
    vkc_binding whole = {&r->acc, 0, size};
    vkc_binding out = spec ? (vkc_binding){&r->acc, SEC_CNT, (VkDeviceSize)spec->bins * 4}
                           : (vkc_binding){&r->acc, 0, 32};
    uint32_t src = spec ? SEC_CNT / 4 : 3, n = spec ? spec->bins : 5;
    vkc_binding dst = {NULL, spec ? sec_cnt64(r->bins) / 4 : SEC_REC64 / 4, 0};
    for (uint64_t off = 0; off < v->count; off += step) {
        uint64_t m = v->count - off < step ? v->count - off : step;
        vkc_binding b;
        uint32_t first;
        vkc_gpu_view_chunk(ctx, &in, v->offset, esize, off, m, &b, &first);
        if ((s = dispatch(r, cmd, pipe, spec, &b, first, m, &out)) != VKC_OK) return s;
        vkc_record_barrier(cmd);
        if ((s = dispatch(r, cmd, NULL, NULL, &whole, src, n, &dst)) != VKC_OK) return s;
        vkc_record_barrier(cmd);
    }
    if (!host_acc(r)) {
        VkBufferCopy c = {0, 0, size};
        vkCmdCopyBuffer(cmd, r->acc.buf, r->rb.buf, 1, &c);
    }
    tail_barrier(cmd);
    return VKC_OK;
}

vkc_status vkc_record_range(vkc_recorder *r, VkCommandBuffer cmd, const vkc_buffer_view *v)
{
    if (!r) return VKC_ERROR_INVALID_ARGUMENT;
    return record(r, cmd, v, NULL);
}

vkc_status vkc_record_histogram(vkc_recorder *r, VkCommandBuffer cmd, const vkc_buffer_view *v,
                                const vkc_hist_spec *spec)
{
    if (!r) return VKC_ERROR_INVALID_ARGUMENT;
    if (!spec) return vkc_fail(&r->ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_record_histogram: NULL spec");
    return record(r, cmd, v, spec);
}

static uint64_t u64_at(const uint32_t *w, size_t word)
{
    return (uint64_t)w[word] | (uint64_t)w[word + 1] << 32;
}

vkc_status vkc_recorder_read(vkc_recorder *r, vkc_stats *acc, uint64_t *counts)
{
    if (!r) return VKC_ERROR_INVALID_ARGUMENT;
    vkc_context *ctx = r->ctx;
    if (r->acc.buf && !r->dirty) {
        const uint32_t *w = host_acc(r) ? r->acc.map : r->rb.map;
        if (acc) {
            /* Residual 32-bit counts are zero after every fold; adding them
             * keeps the arithmetic honest anyway. The record's keys give
             * min/max/absmax once anything finite was seen. */
            uint64_t count = u64_at(w, SEC_REC64 / 4) + w[3];
            uint32_t rec[8] = {w[0], w[1], w[2], count != 0, 0, 0, 0, 0};
            vkc_stats st = {0};
            vkc_stats_add_record(&st, rec);
            st.count = count;
            st.zeros = u64_at(w, SEC_REC64 / 4 + 2) + w[4];
            st.nan = u64_at(w, SEC_REC64 / 4 + 4) + w[5];
            st.pos_inf = u64_at(w, SEC_REC64 / 4 + 6) + w[6];
            st.neg_inf = u64_at(w, SEC_REC64 / 4 + 8) + w[7];
            vkc_stats_merge(acc, &st);
        }
        if (counts && r->have_spec) {
            size_t c64 = (size_t)(sec_cnt64(r->bins) / 4);
            for (uint32_t b = 0; b < r->spec.bins; b++) counts[b] += u64_at(w, c64 + 2 * (size_t)b) + w[SEC_CNT / 4 + b];
        }
    }
    for (uint32_t i = 0; i < r->npools; i++) VKC_VK(ctx, vkResetDescriptorPool(ctx->dev, r->pools[i], 0));
    r->cur = 0;
    r->have_spec = 0;
    r->dirty = 1;
    return VKC_OK;
}
