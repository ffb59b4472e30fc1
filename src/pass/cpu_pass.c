/* Native CPU backend: the data passes on threads, over the kernels of the
 * best instruction set this machine runs (cpu_kernels.h). Same definitions
 * as the shaders (passes.h, DESIGN.md §2), the same bits on every path. */
#include "pass/cpu_pass.h"
#include "pass/cpu_kernels.h"
#include "base/parallel.h"

#include <stdlib.h>
#include <string.h>

/* Below this many elements per thread, a thread costs more than it saves. */
#define MIN_PER_THREAD (1u << 19)
#define MAX_THREADS 64

static uint32_t thread_count(const vkc_context *ctx, uint64_t n)
{
    uint64_t t = n / MIN_PER_THREAD;
    if (t > ctx->threads) t = ctx->threads;
    if (t > MAX_THREADS) t = MAX_THREADS;
    return t ? (uint32_t)t : 1;
}

typedef struct range_job {
    const vkc_cpu_kernels *k;
    const unsigned char *x;
    uint32_t esize;
    vkc_dtype dtype;
    vkc_range_acc *parts;
} range_job;

static void range_worker(void *arg, uint32_t part, uint64_t begin, uint64_t end)
{
    const range_job *j = arg;
    j->k->range(j->x + begin * j->esize, end - begin, j->dtype, &j->parts[part]);
}

static uint32_t key_bits(int32_t s)
{
    return vkc_order_key_inv((uint32_t)s ^ 0x80000000u);
}

vkc_status vkc_cpu_range_any(vkc_context *ctx, const void *x, uint64_t n, vkc_dtype dtype, vkc_stats *acc)
{
    uint32_t nt = thread_count(ctx, n);
    vkc_range_acc parts[MAX_THREADS];
    for (uint32_t t = 0; t < nt; t++) parts[t] = (vkc_range_acc)VKC_RANGE_ACC_INIT;
    range_job job = {vkc_cpu_kernels_get(), x, vkc_dtype_size(dtype), dtype, parts};
    vkc_parallel_parts(nt, n, range_worker, &job);
    /* In part order: the parts depend on n and nt only. */
    for (uint32_t t = 0; t < nt; t++) {
        vkc_stats s = {0};
        s.count = parts[t].finite;
        if (s.count) {
            uint32_t lo = key_bits(parts[t].smin), hi = key_bits(parts[t].smax);
            /* Every finite |x| lies within max(|min|, |max|), which is one
             * of them; the bits of non-negative floats order as the values. */
            uint32_t alo = lo & 0x7fffffffu, ahi = hi & 0x7fffffffu;
            s.min = vkc_bits_f32(lo);
            s.max = vkc_bits_f32(hi);
            s.absmax = vkc_bits_f32(alo > ahi ? alo : ahi);
        }
        s.zeros = parts[t].zeros;
        s.nan = parts[t].nan;
        s.pos_inf = parts[t].pinf;
        s.neg_inf = parts[t].ninf;
        vkc_stats_merge(acc, &s);
    }
    return VKC_OK;
}

vkc_status vkc_cpu_range(vkc_context *ctx, const float *x, uint64_t n, vkc_stats *acc)
{
    return vkc_cpu_range_any(ctx, x, n, VKC_DTYPE_F32, acc);
}

/* Interleaved copies of the counters (cpu_kernels.h), as measured on a Zen
 * 4 core: with 2048 bins, 4 copies (32 KiB) bin a ReLU output 2.2x faster
 * than one (its zeros no longer wait on their own last store) and cost
 * nothing on data without a hot bin; from 8192 bins the copies crowd the
 * cache, and 2 copies, then 1, do better. */
static uint32_t copies_shift(uint32_t bins)
{
    return bins <= 4096 ? 2 : bins <= 65536 ? 1 : 0;
}

typedef struct hist_job {
    const vkc_cpu_kernels *k;
    const unsigned char *x;
    uint32_t esize;
    vkc_dtype dtype;
    vkc_hist_geom g;
    size_t slots;     /* uint32 copies per part: (bins + 1) << shift */
    uint32_t *copies; /* per part */
    uint64_t *sums;   /* per part, bins each (part 0 may be the caller's counts) */
    uint64_t window;
} hist_job;

static void hist_worker(void *arg, uint32_t part, uint64_t begin, uint64_t end)
{
    const hist_job *j = arg;
    uint32_t *h = j->copies + part * j->slots;
    uint64_t *sums = j->sums + (size_t)part * j->g.bins;
    /* No uint32 counter can pass its window's length. */
    for (uint64_t off = begin; off < end; off += j->window) {
        uint64_t m = end - off < j->window ? end - off : j->window;
        j->k->hist(j->x + off * j->esize, m, j->dtype, &j->g, h);
        j->k->fold(&j->g, h, sums);
        if (end - off > j->window) memset(h, 0, j->slots * sizeof *h);
    }
}

vkc_status vkc_cpu_histogram_any(vkc_context *ctx, const void *x, uint64_t n, vkc_dtype dtype,
                                 const vkc_hist_spec *spec, float inv, const vkc_edge_geom *edges, uint64_t *counts)
{
    uint32_t nt = thread_count(ctx, n), bins = edges ? edges->bins : spec->bins;
    hist_job job = {vkc_cpu_kernels_get(), x, vkc_dtype_size(dtype), dtype,
                    {bins, copies_shift(bins), spec->kind == VKC_HIST_ABS, spec->kind == VKC_HIST_ABS ? 0.0f : spec->lo,
                     inv, edges, NULL},
                    0, NULL, NULL, vkc_cpu_flush_window()};
    job.slots = ((size_t)bins + 1) << job.g.shift;
    /* The edge kinds' walk table (vkc_hist_geom) after the copies. */
    job.copies = calloc(job.slots * nt + (edges ? (size_t)bins + 2 : 0), sizeof *job.copies);
    if (edges && job.copies) {
        uint32_t *walk = job.copies + job.slots * nt;
        memcpy(walk, edges->keys, (size_t)bins * sizeof *walk);
        walk[bins] = 0xfffffffeu;
        walk[bins + 1] = 0xffffffffu;
        job.g.walk = walk;
    }
    /* One part adds into the caller's counts; several into their own. */
    job.sums = nt > 1 ? calloc((size_t)bins * nt, sizeof *job.sums) : counts;
    if (!job.copies || !job.sums) {
        free(job.copies);
        if (nt > 1) free(job.sums);
        return vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory for %u-bin histograms", bins);
    }
    vkc_parallel_parts(nt, n, hist_worker, &job);
    if (nt > 1) {
        for (uint32_t t = 0; t < nt; t++)
            for (uint32_t b = 0; b < bins; b++) counts[b] += job.sums[(size_t)t * bins + b];
        free(job.sums);
    }
    free(job.copies);
    return VKC_OK;
}

vkc_status vkc_cpu_histogram(vkc_context *ctx, const float *x, uint64_t n, const vkc_hist_spec *spec, float inv,
                             const vkc_edge_geom *edges, uint64_t *counts)
{
    return vkc_cpu_histogram_any(ctx, x, n, VKC_DTYPE_F32, spec, inv, edges, counts);
}
