/* Recording the data passes into the application's command buffer
 * (vkc_recorder in vkcalib.h).
 *
 * Two kinds of buffer per pass (range, histogram):
 *   work   the 32-bit record or counters the shaders update with atomics,
 *          device-local; neutral (min key at its top, everything else 0)
 *          before and after every recorded call, because each dispatch is
 *          followed by a fold dispatch that moves its contents out and
 *          restores them;
 *   total  what the folds accumulate: the min/max/|x| keys and 64-bit
 *          (low, high word) counters, host-visible, so vkc_recorder_read
 *          reads and resets them with plain host memory access.
 * So recorded commands only ever add: a command buffer may be submitted
 * several times, in any order, and nothing is lost; and the device never
 * needs clearing between reads. Descriptor sets come from the recorder's
 * own pools: they must outlive the application's submissions, and only
 * vkc_recorder_read knows when those are over. The working buffers are
 * cleared once, when created, on the context's queue (whose family the
 * application's command buffers share, so no ownership transfer arises). */
#include "pass/passes.h"

#include <stdlib.h>
#include <string.h>

/* The range record and its totals: VKC_RANGE_* and VKC_FOLD_TOTAL_* of
 * vk/shader_layout.h. */
enum { POOL_SETS = 256 };

struct vkc_recorder {
    vkc_context *ctx;
    vkc_gbuf wrange, trange; /* range record: work, totals */
    vkc_gbuf whist, thist;   /* histogram: work (bins words), totals (bins pairs) */
    uint32_t bins;           /* histogram size the buffers hold */
    int have_spec;           /* a histogram was recorded since the last read */
    vkc_hist_spec spec;
    float inv;
    VkDescriptorPool *pools;
    uint32_t npools, cur, used; /* sets taken from pools[cur] */
};

static void reset_range_total(vkc_recorder *r)
{
    uint32_t *t = r->trange.map;
    memset(t, 0, VKC_FOLD_TOTAL_WORDS * 4);
    t[VKC_RANGE_MIN_KEY] = 0xffffffffu;
}

/* Clears a new working buffer on the context's own queue. */
static vkc_status clear_work(vkc_context *ctx, const vkc_gbuf *b, VkDeviceSize size, int record)
{
    vkc_status s = vkc_cmd_begin(ctx);
    if (s != VKC_OK) return s;
    if (record) {
        _Static_assert(VKC_RANGE_MIN_KEY == 0, "the min key is the record's first word");
        vkc_cmd_fill(ctx, b, 0, 4, 0xffffffffu); /* the min key starts at its top */
        vkc_cmd_fill(ctx, b, 4, size - 4, 0);
    } else {
        vkc_cmd_fill(ctx, b, 0, size, 0);
    }
    return vkc_cmd_submit_wait(ctx);
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
    vkc_status s = vkc_gbuf_create(ctx, VKC_RANGE_WORDS * 4, 0, &r->wrange);
    if (s == VKC_OK) s = vkc_gbuf_create(ctx, VKC_FOLD_TOTAL_WORDS * 4, 1, &r->trange);
    if (s == VKC_OK) s = clear_work(ctx, &r->wrange, VKC_RANGE_WORDS * 4, 1);
    if (s != VKC_OK) {
        vkc_recorder_destroy(r);
        return s;
    }
    reset_range_total(r);
    *out = r;
    return VKC_OK;
}

void vkc_recorder_destroy(vkc_recorder *r)
{
    if (!r) return;
    vkc_context *ctx = r->ctx;
    vkc_gbuf_destroy(ctx, &r->wrange);
    vkc_gbuf_destroy(ctx, &r->trange);
    vkc_gbuf_destroy(ctx, &r->whist);
    vkc_gbuf_destroy(ctx, &r->thist);
    for (uint32_t i = 0; i < r->npools; i++) vkDestroyDescriptorPool(ctx->dev, r->pools[i], NULL);
    free(r->pools);
    free(r);
}

/* Histogram buffers for bins counters. Only called when no histogram was
 * recorded since the last read, so no pending submission can hold the old
 * ones (range recordings never touch them). All or nothing. */
static vkc_status ensure_hist(vkc_recorder *r, uint32_t bins)
{
    if (r->whist.buf && bins <= r->bins) return VKC_OK;
    vkc_context *ctx = r->ctx;
    vkc_gbuf w, t;
    memset(&t, 0, sizeof t);
    vkc_status s = vkc_gbuf_create(ctx, (VkDeviceSize)bins * 4, 0, &w);
    if (s == VKC_OK) s = vkc_gbuf_create(ctx, (VkDeviceSize)bins * 8, 1, &t);
    if (s == VKC_OK) s = clear_work(ctx, &w, (VkDeviceSize)bins * 4, 0);
    if (s != VKC_OK) {
        vkc_gbuf_destroy(ctx, &w);
        vkc_gbuf_destroy(ctx, &t);
        return s;
    }
    vkc_gbuf_destroy(ctx, &r->whist);
    vkc_gbuf_destroy(ctx, &r->thist);
    r->whist = w;
    r->thist = t;
    memset(t.map, 0, (size_t)bins * 8);
    r->bins = bins;
    return VKC_OK;
}

static vkc_status add_pool(vkc_recorder *r)
{
    vkc_context *ctx = r->ctx;
    r->used = 0;
    if (r->cur + 1 < r->npools) {
        r->cur++;
        return VKC_OK;
    }
    VkDescriptorPool *p = realloc(r->pools, (r->npools + 1) * sizeof *p);
    if (!p) return vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    r->pools = p;
    VkDescriptorPoolSize ps = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 2 * POOL_SETS};
    VkDescriptorPoolCreateInfo dpi = {VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    dpi.maxSets = POOL_SETS;
    dpi.poolSizeCount = 1;
    dpi.pPoolSizes = &ps;
    VKC_VK(ctx, vkCreateDescriptorPool(ctx->dev, &dpi, NULL, &r->pools[r->npools]));
    r->cur = r->npools++;
    return VKC_OK;
}

/* A pool with room for one more set (every dispatch takes one, with at
 * most two bindings: the pool is sized for that, so counting suffices). */
static vkc_status pool_for_set(vkc_recorder *r)
{
    vkc_status s = VKC_OK;
    if (!r->npools || r->used == POOL_SETS) s = add_pool(r);
    if (s == VKC_OK) r->used++;
    return s;
}

static vkc_status dispatch_pass(vkc_recorder *r, VkCommandBuffer cmd, vkc_pipe *pipe, const vkc_hist_spec *spec,
                                const vkc_binding *in, uint32_t first, uint64_t m, const vkc_binding *out)
{
    vkc_status s = pool_for_set(r);
    if (s != VKC_OK) return s;
    return vkc_gpu_record_pass(r->ctx, cmd, r->pools[r->cur], pipe, spec, r->inv, NULL, in, first, m, out, NULL);
}

/* The fold: counters work[src..src+n) into total[dst..dst+2n) as 64-bit
 * pairs, and for the range record its three keys into total[0..3). */
static vkc_status dispatch_fold(vkc_recorder *r, VkCommandBuffer cmd, const vkc_gbuf *work, const vkc_gbuf *total,
                                uint32_t src, uint32_t dst, uint32_t n, uint32_t keys)
{
    vkc_pipe *fold;
    vkc_status s = vkc_pipe_get(r->ctx, "fold", NULL, 0, 2, sizeof(vkc_fold_push), &fold);
    if (s == VKC_OK) s = pool_for_set(r);
    if (s != VKC_OK) return s;
    vkc_binding b[2] = {{work, 0, work->size}, {total, 0, total->size}};
    vkc_fold_push push = {src, dst, n, keys};
    return vkc_record_dispatch(r->ctx, cmd, r->pools[r->cur], fold, b, &push, (n + VKC_FOLD_LOCAL - 1) / VKC_FOLD_LOCAL,
                               1, 1, NULL);
}

/* Everything the application wrote before -> our shaders. */
static void lead_barrier(VkCommandBuffer cmd)
{
    VkMemoryBarrier mb = {VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    mb.srcAccessMask = VK_ACCESS_MEMORY_WRITE_BIT;
    mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &mb, 0,
                         NULL, 0, NULL);
}

/* Our writes -> the host's read after the fence; our reads of the
 * application's buffer finish before anything later overwrites it. */
static void tail_barrier(VkCommandBuffer cmd)
{
    VkMemoryBarrier mb = {VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
    mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
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
        if (vkc_kind_is_edge(spec->kind))
            return vkc_fail(&ctx->msg, VKC_ERROR_UNSUPPORTED, "a recorder takes only abs and signed histograms, not %s",
                            vkc_kind_name(spec->kind));
        if (r->have_spec && memcmp(spec, &r->spec, sizeof *spec) != 0)
            return vkc_fail(&ctx->msg, VKC_ERROR_MISMATCH,
                            "histogram spec differs from the one recorded since the last vkc_recorder_read");
        if (!r->have_spec && (s = ensure_hist(r, spec->bins)) != VKC_OK) return s;
        r->spec = *spec;
        r->inv = inv;
        r->have_spec = 1;
    }
    if (v->count == 0) return VKC_OK;
    vkc_pipe *pipe;
    s = spec ? vkc_gpu_pipe_hist(ctx, v->dtype, spec->bins, 0, &pipe) : vkc_gpu_pipe_range(ctx, v->dtype, &pipe);
    if (s != VKC_OK) return s;

    lead_barrier(cmd);
    uint32_t esize = vkc_dtype_size(v->dtype);
    uint64_t step = vkc_gpu_chunk_bytes(ctx) / esize;
    const vkc_gbuf *work = spec ? &r->whist : &r->wrange, *total = spec ? &r->thist : &r->trange;
    vkc_binding out = {work, 0, spec ? (VkDeviceSize)spec->bins * 4 : VKC_RANGE_WORDS * 4};
    for (uint64_t off = 0; off < v->count; off += step) {
        uint64_t m = v->count - off < step ? v->count - off : step;
        vkc_binding b;
        uint32_t first;
        vkc_gpu_view_chunk(ctx, &in, v->offset, esize, off, m, &b, &first);
        if (off) vkc_record_barrier(cmd);
        if ((s = dispatch_pass(r, cmd, pipe, spec, &b, first, m, &out)) != VKC_OK) return s;
        vkc_record_barrier(cmd);
        s = spec ? dispatch_fold(r, cmd, work, total, 0, 0, spec->bins, 0)
                 : dispatch_fold(r, cmd, work, total, VKC_RANGE_FINITE, VKC_FOLD_TOTAL_COUNTS, VKC_RANGE_COUNTS, 1);
        if (s != VKC_OK) return s;
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
    const uint32_t *t = r->trange.map;
    if (acc) {
        /* The keys give min/max/absmax once anything finite was seen. */
        uint64_t count = u64_at(t, VKC_FOLD_TOTAL_COUNTS);
        uint32_t rec[VKC_RANGE_WORDS] = {0};
        rec[VKC_RANGE_MIN_KEY] = t[VKC_RANGE_MIN_KEY];
        rec[VKC_RANGE_MAX_KEY] = t[VKC_RANGE_MAX_KEY];
        rec[VKC_RANGE_ABS_BITS] = t[VKC_RANGE_ABS_BITS];
        rec[VKC_RANGE_FINITE] = count != 0;
        vkc_stats st = {0};
        vkc_stats_add_record(&st, rec);
        st.count = count;
        /* Pair k of the totals holds record word VKC_RANGE_FINITE + k. */
        st.zeros = u64_at(t, VKC_FOLD_TOTAL_COUNTS + 2 * (VKC_RANGE_ZEROS - VKC_RANGE_FINITE));
        st.nan = u64_at(t, VKC_FOLD_TOTAL_COUNTS + 2 * (VKC_RANGE_NAN - VKC_RANGE_FINITE));
        st.pos_inf = u64_at(t, VKC_FOLD_TOTAL_COUNTS + 2 * (VKC_RANGE_POS_INF - VKC_RANGE_FINITE));
        st.neg_inf = u64_at(t, VKC_FOLD_TOTAL_COUNTS + 2 * (VKC_RANGE_NEG_INF - VKC_RANGE_FINITE));
        vkc_stats_merge(acc, &st);
    }
    if (counts && r->have_spec) {
        const uint32_t *h = r->thist.map;
        for (uint32_t b = 0; b < r->spec.bins; b++) counts[b] += u64_at(h, 2 * (size_t)b);
    }
    reset_range_total(r);
    if (r->thist.map) memset(r->thist.map, 0, (size_t)r->bins * 8);
    r->have_spec = 0;
    for (uint32_t i = 0; i < r->npools; i++) VKC_VK(ctx, vkResetDescriptorPool(ctx->dev, r->pools[i], 0));
    r->cur = 0;
    r->used = 0;
    return VKC_OK;
}
