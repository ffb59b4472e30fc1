/* Public entry points of the data passes, the shared geometry rules, and the
 * Vulkan implementation of both passes. */
#include "pass/passes.h"
#include "pass/cpu_pass.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Below this width a bin index could depend on whether a device flushes
 * denormals; such a range puts everything in bin 0 on every backend. */
#define VKC_MIN_WIDTH 7.8886090522101181e-31f /* 2^-100 */
#define VKC_MAX_BINS (1u << 20)

vkc_status vkc_hist_check(const vkc_hist_spec *spec, float *inv, vkc_msg *msg)
{
    if (!spec) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "histogram spec is NULL");
    if (vkc_kind_is_edge(spec->kind)) {
        *inv = 0.0f;
        return vkc_edge_check(spec, msg);
    }
    if (spec->kind != VKC_HIST_ABS && spec->kind != VKC_HIST_SIGNED)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "histogram kind %d unknown", (int)spec->kind);
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

uint32_t vkc_dtype_size(vkc_dtype t)
{
    return t == VKC_DTYPE_F32 ? 4 : (t == VKC_DTYPE_F16 || t == VKC_DTYPE_BF16) ? 2 : 0;
}

static vkc_status check_dtype(vkc_context *ctx, vkc_dtype t)
{
    if (vkc_dtype_size(t)) return VKC_OK;
    return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "unknown dtype %d", (int)t);
}

/* The same rule on every backend and path: an import would otherwise read
 * from a rounded-down address. */
static vkc_status check_host_array(vkc_context *ctx, const void *x, vkc_dtype t)
{
    vkc_status s = check_dtype(ctx, t);
    if (s == VKC_OK && (uintptr_t)x % vkc_dtype_size(t))
        s = vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "host array at %p is not aligned to its %u-byte elements",
                     x, vkc_dtype_size(t));
    return s;
}

/* The CPU backend bins float32: 16-bit inputs are widened in blocks
 * (exactly), float16 through a table of all 65536 values. */
static float half_table[65536];
static pthread_once_t half_once = PTHREAD_ONCE_INIT;

static void half_table_init(void)
{
    for (uint32_t h = 0; h < 65536; h++) half_table[h] = vkc_half_to_float((uint16_t)h);
}

void vkc_widen16(const void *src, uint64_t n, vkc_dtype t, float *w)
{
    const unsigned char *x = src;
    uint16_t h;
    if (t == VKC_DTYPE_F16) {
        pthread_once(&half_once, half_table_init);
        for (uint64_t i = 0; i < n; i++) {
            memcpy(&h, x + 2 * i, 2); /* x need not be 2-byte aligned */
            w[i] = half_table[h];
        }
    } else {
        for (uint64_t i = 0; i < n; i++) {
            memcpy(&h, x + 2 * i, 2);
            uint32_t u = (uint32_t)h << 16;
            memcpy(&w[i], &u, 4);
        }
    }
}

vkc_status vkc_range_host(vkc_context *ctx, const void *x, uint64_t n, vkc_dtype dtype, vkc_stats *acc)
{
    if (!ctx || !acc || (!x && n))
        return vkc_fail(ctx ? ctx_msg(ctx) : NULL, VKC_ERROR_INVALID_ARGUMENT, "vkc_range_host: NULL argument");
    vkc_status s = check_host_array(ctx, x, dtype);
    if (s != VKC_OK || n == 0) return s;
    if (ctx->is_cpu) return vkc_cpu_range_any(ctx, x, n, dtype, acc);
    return vkc_gpu_range_any(ctx, x, n, dtype, acc);
}

vkc_status vkc_histogram_host(vkc_context *ctx, const void *x, uint64_t n, vkc_dtype dtype,
                              const vkc_hist_spec *spec, uint64_t *counts)
{
    if (!ctx || !counts || (!x && n))
        return vkc_fail(ctx ? ctx_msg(ctx) : NULL, VKC_ERROR_INVALID_ARGUMENT,
                        "vkc_histogram_host: NULL argument");
    float inv;
    vkc_status s = check_host_array(ctx, x, dtype);
    if (s == VKC_OK) s = vkc_hist_check(spec, &inv, ctx_msg(ctx));
    if (s != VKC_OK || n == 0) return s;
    return vkc_histogram_inv(ctx, x, n, dtype, spec, inv, counts);
}

vkc_status vkc_histogram_inv(vkc_context *ctx, const void *x, uint64_t n, vkc_dtype dtype, const vkc_hist_spec *spec,
                             float inv, uint64_t *counts)
{
    vkc_edge_geom g = {0};
    vkc_status s = VKC_OK;
    if (vkc_kind_is_edge(spec->kind) && (s = vkc_edge_geom_init(spec, &g, &ctx->msg)) != VKC_OK) return s;
    const vkc_edge_geom *edges = g.keys ? &g : NULL;
    if (ctx->is_cpu)
        s = vkc_cpu_histogram_any(ctx, x, n, dtype, spec, inv, edges, counts);
    else
        s = vkc_gpu_histogram_any(ctx, x, n, dtype, spec, inv, edges, counts);
    vkc_edge_geom_free(&g);
    return s;
}

vkc_status vkc_range_f32(vkc_context *ctx, const float *x, uint64_t n, vkc_stats *acc)
{
    return vkc_range_host(ctx, x, n, VKC_DTYPE_F32, acc);
}

vkc_status vkc_histogram_f32(vkc_context *ctx, const float *x, uint64_t n, const vkc_hist_spec *spec,
                             uint64_t *counts)
{
    return vkc_histogram_host(ctx, x, n, VKC_DTYPE_F32, spec, counts);
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

static void record_init(uint32_t *rec)
{
    for (uint32_t k = 0; k < VKC_RANGE_WORDS; k++) rec[k] = 0;
    rec[VKC_RANGE_MIN_KEY] = 0xffffffffu;
}

/* One data pass (range or histogram) over chunks of one tensor: which
 * pipeline, and where the results accumulate on the host. */
typedef struct pass {
    vkc_dtype dtype;
    uint32_t esize;
    const vkc_hist_spec *spec; /* NULL: the range pass */
    float inv;
    const vkc_edge_geom *edges; /* the tools' kinds: keys after the counts in ctx->out */
    vkc_pipe *pipe;
    vkc_stats *acc;
    uint64_t *counts;
} pass;

vkc_status vkc_gpu_pipe_range(vkc_context *ctx, vkc_dtype dtype, vkc_pipe **pipe)
{
    uint32_t spec[VKC_RANGE_SC_COUNT];
    spec[VKC_RANGE_SC_LOCAL] = LOCAL_SIZE;
    spec[VKC_RANGE_SC_SUBGROUP] = (uint32_t)vkc_gpu_has(ctx, VKC_FEATURE_SUBGROUP_ARITHMETIC);
    spec[VKC_RANGE_SC_DTYPE] = (uint32_t)dtype;
    spec[VKC_RANGE_SC_LOADS] = ctx->range_var.loads < VKC_RANGE_MAX_LOADS ? ctx->range_var.loads : VKC_RANGE_MAX_LOADS;
    return vkc_pipe_get(ctx, "range", spec, VKC_RANGE_SC_COUNT, 2, sizeof(vkc_range_push), pipe);
}

/* The histogram pipeline of ctx's variant (vk/context.h) for this pass,
 * with what the device cannot do taken out: no shared memory, no copies
 * or 16-bit counters; no ballots, no match aggregation; the module (see
 * hist.comp) holds only the subgroup features the device offers. */
vkc_status vkc_gpu_pipe_hist(vkc_context *ctx, vkc_dtype dtype, uint32_t bins, int edges, vkc_pipe **pipe)
{
    const vkc_hist_variant *v = &ctx->hist_var;
    const uint64_t max_shared = ctx->caps.max_shared_memory;
    int shared = vkc_gpu_has(ctx, VKC_FEATURE_SHARED_HISTOGRAM) && (uint64_t)bins * 4 + 64 <= max_shared;
    uint32_t loads = v->loads < VKC_HIST_MAX_LOADS ? v->loads : VKC_HIST_MAX_LOADS;
    uint32_t hot = 0, match = 0, copies = 1, pack16 = 0;
    if (loads) {
        hot = v->hot < VKC_HIST_MAX_HOT ? v->hot : VKC_HIST_MAX_HOT;
        hot = hot < bins ? hot : bins;
        match = vkc_gpu_has(ctx, VKC_FEATURE_SUBGROUP_BALLOT) ? v->match : 0;
        pack16 = shared && v->pack16;
        /* 16-bit counters: a tile may hold at most VKC_HIST_PACK16_ROUND elements. */
        while (pack16 && loads > 1 && LOCAL_SIZE * loads * 8 > VKC_HIST_PACK16_ROUND) loads--;
        copies = v->copies;
    }
    uint64_t words = pack16 ? (bins + 1) / 2 : bins;
    if (!shared) copies = 1;
    if (copies == 0) /* as many as half the shared memory holds, to keep two workgroups resident */
        for (copies = 8; copies > 1 && (uint64_t)copies * words * 4 > max_shared / 2;) copies /= 2;
    while (copies > 1 && (uint64_t)copies * words * 4 + 64 > max_shared) copies--;
    const char *shader = "hist";
    if (match) shader = vkc_gpu_has(ctx, VKC_FEATURE_PARTITIONED) ? "hist_part" : "hist_ballot";
    else if (hot && vkc_gpu_has(ctx, VKC_FEATURE_SUBGROUP_ARITHMETIC)) shader = "hist_sg";
    uint32_t spec[VKC_HIST_SC_COUNT];
    spec[VKC_HIST_SC_LOCAL] = LOCAL_SIZE;
    spec[VKC_HIST_SC_BINS] = bins;
    spec[VKC_HIST_SC_SHARED] = (uint32_t)shared;
    spec[VKC_HIST_SC_SHARED_WORDS] = shared ? (uint32_t)(copies * words) : 1u;
    spec[VKC_HIST_SC_DTYPE] = (uint32_t)dtype;
    spec[VKC_HIST_SC_EDGES] = (uint32_t)!!edges;
    spec[VKC_HIST_SC_LOADS] = loads;
    spec[VKC_HIST_SC_HOT] = hot;
    spec[VKC_HIST_SC_MATCH] = match;
    spec[VKC_HIST_SC_COPIES] = copies;
    spec[VKC_HIST_SC_PACK16] = pack16;
    return vkc_pipe_get(ctx, shader, spec, VKC_HIST_SC_COUNT, 2, sizeof(vkc_hist_push), pipe);
}

/* Workgroups of a tile loop over elements [first, first + m) of a binding:
 * one per tile of LOCAL_SIZE * loads quads, at most cap. */
static uint32_t tile_groups(const vkc_context *ctx, uint32_t esize, uint32_t first, uint64_t m, uint32_t loads,
                            uint32_t cap)
{
    uint64_t qe = 16 / esize, quads = (first + m + qe - 1) / qe - first / qe;
    uint64_t per = (uint64_t)LOCAL_SIZE * loads, g = (quads + per - 1) / per;
    if (g < 1) g = 1;
    if (g > cap) g = cap;
    if (g > ctx->caps.max_workgroup_count[0]) g = ctx->caps.max_workgroup_count[0];
    return (uint32_t)g;
}

/* Variant A's first hot bin: the bin of 0 (where a post-ReLU tensor's
 * zeros, and the mass of a tensor whose range an outlier sets, go), the
 * hot bins centred on it. Only speed depends on it. */
static uint32_t hot_first(const vkc_hist_spec *spec, float inv, const vkc_edge_geom *edges, uint32_t hot)
{
    uint32_t z = 0;
    if (edges) {
        z = vkc_edge_lookup(edges, vkc_edge_key(0, edges->flags), 0);
        if (z >= spec->bins) z = 0;
    } else if (spec->kind == VKC_HIST_SIGNED) {
        z = vkc_bin_of(0.0f, VKC_HIST_SIGNED, spec->lo, inv, spec->bins);
    }
    z = z > (hot - 1) / 2 ? z - (hot - 1) / 2 : 0;
    return z + hot <= spec->bins ? z : spec->bins - hot;
}

/* Records the dispatch of one chunk: m elements of in, from element first. */
vkc_status vkc_gpu_record_pass(vkc_context *ctx, VkCommandBuffer cmd, VkDescriptorPool pool, vkc_pipe *pipe,
                               const vkc_hist_spec *spec, float inv, const vkc_edge_geom *edges,
                               const vkc_binding *in, uint32_t first, uint64_t m, const vkc_binding *out,
                               int *pool_full)
{
    vkc_binding b[2] = {*in, *out};
    uint32_t groups;
    if (!spec) {
        uint32_t esize = vkc_dtype_size((vkc_dtype)pipe->spec[VKC_RANGE_SC_DTYPE]);
        uint32_t loads = pipe->spec[VKC_RANGE_SC_LOADS], cap = ctx->range_var.groups ? ctx->range_var.groups : 4096;
        groups = loads ? tile_groups(ctx, esize, first, m, loads, cap) : groups_for(ctx, m, LOCAL_SIZE * 16, cap);
        vkc_range_push push = {(uint32_t)m, first};
        return vkc_record_dispatch(ctx, cmd, pool, pipe, b, &push, groups, 1, 1, pool_full);
    }
    vkc_hist_push push = {(uint32_t)m, spec->kind == VKC_HIST_SIGNED ? VKC_HIST_MUL_SIGNED : VKC_HIST_MUL_ABS, inv,
                          spec->kind == VKC_HIST_SIGNED ? spec->lo : 0.0f, first, 0, 0};
    if (edges) {
        push.kind = edges->flags;
        push.inv = push.lo = 0.0f;
        push.skip_key = edges->skip_key;
    }
    uint32_t esize = vkc_dtype_size((vkc_dtype)pipe->spec[VKC_HIST_SC_DTYPE]);
    uint32_t loads = pipe->spec[VKC_HIST_SC_LOADS], hot = pipe->spec[VKC_HIST_SC_HOT];
    uint32_t cap = ctx->hist_var.groups ? ctx->hist_var.groups : 1024;
    if (hot) push.hot0 = hot_first(spec, inv, edges, hot);
    groups = loads ? tile_groups(ctx, esize, first, m, loads, cap) : groups_for(ctx, m, LOCAL_SIZE * 64, cap);
    return vkc_record_dispatch(ctx, cmd, pool, pipe, b, &push, groups, 1, 1, pool_full);
}

/* Bytes of ctx->out a pass binds: the counts, and an edge table after them. */
static VkDeviceSize pass_out_bytes(const pass *p)
{
    if (!p->spec) return VKC_RANGE_WORDS * 4;
    return (VkDeviceSize)p->spec->bins * 4 + (p->edges ? ((VkDeviceSize)p->spec->bins + 1) * 4 : 0);
}

static vkc_status pass_setup(vkc_context *ctx, pass *p, vkc_dtype dtype, const vkc_hist_spec *spec, float inv,
                             const vkc_edge_geom *edges, vkc_stats *acc, uint64_t *counts)
{
    *p = (pass){dtype, vkc_dtype_size(dtype), spec, inv, edges, NULL, acc, counts};
    vkc_status s = spec ? vkc_gpu_pipe_hist(ctx, dtype, spec->bins, edges != NULL, &p->pipe)
                        : vkc_gpu_pipe_range(ctx, dtype, &p->pipe);
    VkDeviceSize out = pass_out_bytes(p);
    if (s == VKC_OK) s = vkc_gbuf_reserve(ctx, &ctx->out, out, 1);
    if (s != VKC_OK) return s;
    if (spec) memset(ctx->out.map, 0, (size_t)spec->bins * 4);
    else record_init(ctx->out.map);
    if (edges) memcpy((uint32_t *)ctx->out.map + spec->bins, edges->keys, ((size_t)spec->bins + 1) * 4);
    ctx->last_gpu_ns = 0;
    return VKC_OK;
}

/* Moves the device's 32-bit results into the host's accumulators. */
static void pass_flush(vkc_context *ctx, pass *p)
{
    uint32_t *c = ctx->out.map;
    if (!p->spec) {
        vkc_stats_add_record(p->acc, c);
        record_init(c);
        return;
    }
    for (uint32_t b = 0; b < p->spec->bins; b++) p->counts[b] += c[b];
    memset(c, 0, (size_t)p->spec->bins * 4);
}

static vkc_binding pass_out(vkc_context *ctx, const pass *p)
{
    return (vkc_binding){&ctx->out, 0, pass_out_bytes(p)};
}

/* Bytes of a host array one submission takes: small enough that two are in
 * flight over most arrays, large enough that a submission's cost is lost
 * in its copy. */
#define VKC_HOST_CHUNK_BYTES ((uint64_t)16 << 20)

static uint64_t host_step(const vkc_context *ctx, uint32_t esize)
{
    uint64_t c = ctx->host_chunk_bytes ? ctx->host_chunk_bytes : VKC_HOST_CHUNK_BYTES, d = vkc_gpu_chunk_bytes(ctx);
    c = c < d ? c : d;
    return c / esize ? c / esize : 1;
}

/* Records and submits one chunk in the current slot, without waiting. */
static vkc_status host_chunk(vkc_context *ctx, pass *p, const void *x, uint64_t m, const vkc_binding *out, int later)
{
    vkc_binding in;
    uint32_t first;
    int copied;
    vkc_status s = vkc_gpu_upload_input(ctx, x, m * p->esize, p->esize, &in, &first, &copied);
    if (s == VKC_OK) s = vkc_cmd_begin(ctx);
    if (s != VKC_OK) return s;
    /* The copy (discrete GPUs) needs nothing before it: its buffers'
     * last readers were waited for with the slot. The dispatch comes after
     * it and after the previous chunk's, whose counters it adds to: the
     * upload's barrier, or this one, orders both (atomic adds commute, but
     * synchronization validation wants the dependency). */
    if (copied && !ctx->uma) vkc_gpu_record_upload(ctx, m * p->esize);
    else if (later) vkc_cmd_barrier(ctx);
    s = vkc_gpu_record_pass(ctx, vkc_cmd_buffer(ctx), vkc_cmd_descriptor_pool(ctx), p->pipe, p->spec, p->inv,
                            p->edges, &in, first, m, out, NULL);
    return s == VKC_OK ? vkc_cmd_submit(ctx) : s;
}

/* Host arrays, in chunks, two in flight: while the device bins chunk k
 * (after copying it to device memory on a discrete GPU), the host copies
 * chunk k + 1 into the other slot's staging buffer, or imports it in
 * place. Every chunk adds into the same counters, which the host reads
 * only with nothing in flight. */
static vkc_status gpu_pass_host(vkc_context *ctx, pass *p, const void *x, uint64_t n)
{
    uint64_t window = 0, step = host_step(ctx, p->esize);
    vkc_binding out = pass_out(ctx, p);
    vkc_status s = VKC_OK;
    for (uint64_t off = 0; s == VKC_OK && off < n; off += step) {
        uint64_t m = n - off < step ? n - off : step;
        if (window + m > flush_window(ctx)) {
            if ((s = vkc_cmd_wait_all(ctx)) != VKC_OK) break;
            pass_flush(ctx, p);
            window = 0;
        }
        if (off && (s = vkc_cmd_next_slot(ctx)) != VKC_OK) break;
        s = host_chunk(ctx, p, (const char *)x + off * p->esize, m, &out, off != 0);
        window += m;
    }
    vkc_status w = vkc_cmd_first_slot(ctx);
    if (s == VKC_OK) s = w;
    if (s != VKC_OK) {
        /* Nothing may refer to the caller's pages once we return. */
        vkc_gpu_release_import(ctx);
        return s;
    }
    pass_flush(ctx, p);
    return VKC_OK;
}

vkc_status vkc_gpu_range_any(vkc_context *ctx, const void *x, uint64_t n, vkc_dtype dtype, vkc_stats *acc)
{
    pass p;
    vkc_status s = pass_setup(ctx, &p, dtype, NULL, 0, NULL, acc, NULL);
    return s == VKC_OK ? gpu_pass_host(ctx, &p, x, n) : s;
}

vkc_status vkc_gpu_histogram_any(vkc_context *ctx, const void *x, uint64_t n, vkc_dtype dtype,
                                 const vkc_hist_spec *spec, float inv, const vkc_edge_geom *edges, uint64_t *counts)
{
    pass p;
    vkc_status s = pass_setup(ctx, &p, dtype, spec, inv, edges, NULL, counts);
    return s == VKC_OK ? gpu_pass_host(ctx, &p, x, n) : s;
}

vkc_status vkc_gpu_range(vkc_context *ctx, const float *x, uint64_t n, vkc_stats *acc)
{
    return vkc_gpu_range_any(ctx, x, n, VKC_DTYPE_F32, acc);
}

vkc_status vkc_gpu_histogram(vkc_context *ctx, const float *x, uint64_t n, const vkc_hist_spec *spec,
                             float inv, const vkc_edge_geom *edges, uint64_t *counts)
{
    return vkc_gpu_histogram_any(ctx, x, n, VKC_DTYPE_F32, spec, inv, edges, counts);
}

void vkc_gpu_view_chunk(const vkc_context *ctx, const vkc_gbuf *buf, VkDeviceSize base, uint32_t esize,
                        uint64_t off, uint64_t m, vkc_binding *b, uint32_t *first)
{
    /* At least word-aligned: the shaders read the input as 32-bit words. */
    VkDeviceSize pos = base + off * esize, al = ctx->caps.min_storage_buffer_offset_alignment;
    if (al < 4) al = 4;
    VkDeviceSize at = pos - pos % al;
    *first = (uint32_t)((pos - at) / esize);
    *b = (vkc_binding){buf, at, (pos - at + m * esize + 3) & ~(VkDeviceSize)3};
}

/* Data already on the device: every chunk's dispatch in one command buffer
 * per flush window. */
static vkc_status gpu_pass_buffer(vkc_context *ctx, pass *p, const vkc_gbuf *in, VkDeviceSize base, uint64_t n)
{
    uint64_t window = 0, step = vkc_gpu_chunk_bytes(ctx) / p->esize;
    vkc_binding out = pass_out(ctx, p);
    vkc_status s = vkc_cmd_begin(ctx);
    if (s != VKC_OK) return s;
    for (uint64_t off = 0; off < n; off += step) {
        uint64_t m = n - off < step ? n - off : step;
        if (window + m > flush_window(ctx)) {
            if ((s = vkc_cmd_submit_wait(ctx)) != VKC_OK) return s;
            pass_flush(ctx, p);
            window = 0;
            if ((s = vkc_cmd_begin(ctx)) != VKC_OK) return s;
        }
        vkc_binding b;
        uint32_t first;
        vkc_gpu_view_chunk(ctx, in, base, p->esize, off, m, &b, &first);
        /* Atomic adds into the same counters commute, but synchronization
         * validation still wants the dependency made explicit. */
        if (off) vkc_cmd_barrier(ctx);
        s = vkc_gpu_record_pass(ctx, vkc_cmd_buffer(ctx), vkc_cmd_descriptor_pool(ctx), p->pipe, p->spec, p->inv,
                                p->edges, &b, first, m, &out, NULL);
        if (s != VKC_OK) return s;
        window += m;
    }
    if ((s = vkc_cmd_submit_wait(ctx)) != VKC_OK) return s;
    pass_flush(ctx, p);
    return VKC_OK;
}

vkc_status vkc_gpu_histogram_buffer(vkc_context *ctx, const vkc_gbuf *in, VkDeviceSize offset, uint64_t n,
                                    vkc_dtype dtype, const vkc_hist_spec *spec, float inv, const vkc_edge_geom *edges,
                                    uint64_t *counts)
{
    pass p;
    vkc_status s = pass_setup(ctx, &p, dtype, spec, inv, edges, NULL, counts);
    return s == VKC_OK ? gpu_pass_buffer(ctx, &p, in, offset, n) : s;
}

vkc_status vkc_gpu_range_buffer(vkc_context *ctx, const vkc_gbuf *in, VkDeviceSize offset, uint64_t n,
                                vkc_dtype dtype, vkc_stats *acc)
{
    pass p;
    vkc_status s = pass_setup(ctx, &p, dtype, NULL, 0, NULL, acc, NULL);
    return s == VKC_OK ? gpu_pass_buffer(ctx, &p, in, offset, n) : s;
}

vkc_status vkc_gpu_check_view(vkc_context *ctx, const vkc_buffer_view *v, vkc_gbuf *b)
{
    if (ctx->is_cpu)
        return vkc_fail(&ctx->msg, VKC_ERROR_UNSUPPORTED, "a device buffer needs a Vulkan context, not the CPU backend");
    if (!v) return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "buffer view is NULL");
    if (!v->buffer) return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "VkBuffer is VK_NULL_HANDLE");
    vkc_status s = check_dtype(ctx, v->dtype);
    if (s != VKC_OK) return s;
    uint32_t es = vkc_dtype_size(v->dtype);
    uint64_t bytes;
    if (v->offset % es)
        return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT,
                        "buffer offset %llu is not a multiple of the element size (%u bytes)",
                        (unsigned long long)v->offset, es);
    if (!vkc_mul_u64(v->count, es, &bytes) || !vkc_add_u64(bytes, v->offset, &bytes))
        return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "buffer view of %llu elements overflows",
                        (unsigned long long)v->count);
    /* The application's buffer seen through a vkc_gbuf that owns nothing. */
    memset(b, 0, sizeof *b);
    b->buf = v->buffer;
    b->size = bytes;
    return VKC_OK;
}

vkc_status vkc_range_buffer(vkc_context *ctx, const vkc_buffer_view *v, vkc_stats *acc)
{
    if (!ctx) return VKC_ERROR_INVALID_ARGUMENT;
    if (!acc) return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_range_buffer: NULL stats");
    vkc_gbuf b;
    vkc_status s = vkc_gpu_check_view(ctx, v, &b);
    if (s != VKC_OK || v->count == 0) return s;
    return vkc_gpu_range_buffer(ctx, &b, v->offset, v->count, v->dtype, acc);
}

vkc_status vkc_histogram_buffer(vkc_context *ctx, const vkc_buffer_view *v, const vkc_hist_spec *spec,
                                uint64_t *counts)
{
    if (!ctx) return VKC_ERROR_INVALID_ARGUMENT;
    if (!counts) return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_histogram_buffer: NULL counts");
    float inv = 0.0f;
    vkc_gbuf b;
    vkc_status s = vkc_hist_check(spec, &inv, &ctx->msg);
    if (s == VKC_OK) s = vkc_gpu_check_view(ctx, v, &b);
    if (s != VKC_OK || v->count == 0) return s;
    vkc_edge_geom g = {0};
    if (vkc_kind_is_edge(spec->kind) && (s = vkc_edge_geom_init(spec, &g, &ctx->msg)) != VKC_OK) return s;
    s = vkc_gpu_histogram_buffer(ctx, &b, v->offset, v->count, v->dtype, spec, inv, g.keys ? &g : NULL, counts);
    vkc_edge_geom_free(&g);
    return s;
}
