/* Native CPU backend: the data passes with threads and loops the compiler
 * can vectorise. Same definitions as the shaders (passes.h, DESIGN.md §2). */
#include "pass/passes.h"
#include "base/parallel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Below this many elements per thread, a thread costs more than it saves. */
#define MIN_PER_THREAD (1u << 19)
#define BLOCK 1024
#define MAX_THREADS 64

typedef struct range_part {
    uint32_t kmin, kmax, amax;
    uint64_t finite, zeros, nan, pinf, ninf;
} range_part;

typedef struct range_job {
    const uint32_t *x;
    range_part *parts;
} range_job;

/* Branch-free so the loop vectorises: non-finite values get neutral keys and
 * are counted apart. */
static void range_worker(void *arg, uint32_t part, uint64_t begin, uint64_t end)
{
    const range_job *j = arg;
    range_part *p = &j->parts[part];
    const uint32_t *x = j->x + begin;
    const uint64_t n = end - begin;
    uint32_t kmin = 0xffffffffu, kmax = 0, amax = 0;
    uint64_t finite = 0, zeros = 0, nan = 0, pinf = 0, ninf = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t b = x[i];
        uint32_t a = b & 0x7fffffffu;
        uint32_t fin = a < 0x7f800000u;
        uint32_t k = vkc_order_key(b);
        uint32_t kn = fin ? k : 0xffffffffu, kx = fin ? k : 0, an = fin ? a : 0;
        kmin = kn < kmin ? kn : kmin;
        kmax = kx > kmax ? kx : kmax;
        amax = an > amax ? an : amax;
        finite += fin;
        zeros += a == 0;
        nan += a > 0x7f800000u;
        pinf += b == 0x7f800000u;
        ninf += b == 0xff800000u;
    }
    p->kmin = kmin;
    p->kmax = kmax;
    p->amax = amax;
    p->finite = finite;
    p->zeros = zeros;
    p->nan = nan;
    p->pinf = pinf;
    p->ninf = ninf;
}

static uint32_t thread_count(const vkc_context *ctx, uint64_t n)
{
    uint64_t t = n / MIN_PER_THREAD;
    if (t > ctx->threads) t = ctx->threads;
    if (t > MAX_THREADS) t = MAX_THREADS;
    return t ? (uint32_t)t : 1;
}

vkc_status vkc_cpu_range(vkc_context *ctx, const float *x, uint64_t n, vkc_stats *acc)
{
    uint32_t nt = thread_count(ctx, n);
    range_part parts[MAX_THREADS];
    range_job job = {(const uint32_t *)(const void *)x, parts};
    vkc_parallel_parts(nt, n, range_worker, &job);
    for (uint32_t t = 0; t < nt; t++) {
        vkc_stats s = {0};
        s.count = parts[t].finite;
        if (s.count) {
            s.min = vkc_bits_f32(vkc_order_key_inv(parts[t].kmin));
            s.max = vkc_bits_f32(vkc_order_key_inv(parts[t].kmax));
            s.absmax = vkc_bits_f32(parts[t].amax);
        }
        s.zeros = parts[t].zeros;
        s.nan = parts[t].nan;
        s.pos_inf = parts[t].pinf;
        s.neg_inf = parts[t].ninf;
        vkc_stats_merge(acc, &s);
    }
    return VKC_OK;
}

typedef struct hist_job {
    const float *x;
    vkc_hist_spec spec;
    float inv;
    size_t slots;
    uint64_t *counts; /* per part, bins + 1: the last slot swallows non-finite values */
} hist_job;

static void hist_worker(void *arg, uint32_t part, uint64_t begin, uint64_t end)
{
    const hist_job *p = arg;
    const uint32_t bins = p->spec.bins;
    const float inv = p->inv, lo = p->spec.lo, fbins = (float)bins;
    const int abs_kind = p->spec.kind == VKC_HIST_ABS;
    uint64_t *counts = p->counts + part * p->slots;
    const uint64_t n = end - begin;
    uint32_t idx[BLOCK];
    for (uint64_t base = 0; base < n; base += BLOCK) {
        uint32_t m = n - base < BLOCK ? (uint32_t)(n - base) : BLOCK;
        const float *x = p->x + begin + base;
        /* Index computation: vectorisable, one multiply per value. */
        for (uint32_t i = 0; i < m; i++) {
            float v = x[i];
            uint32_t bits;
            memcpy(&bits, &v, 4);
            float a = abs_kind ? (v < 0 ? -v : v) : v - lo;
            float t = a * inv;
            uint32_t b = t > 0.0f ? (t < fbins ? (uint32_t)t : bins - 1) : 0;
            idx[i] = (bits & 0x7f800000u) == 0x7f800000u ? bins : b;
        }
        for (uint32_t i = 0; i < m; i++) counts[idx[i]]++;
    }
}

/* The tools' kinds: a bin estimate from one multiply, then the edge
 * table settles it by comparison (vkc_edge_lookup), so the estimate's
 * rounding never matters. */
typedef struct edge_job {
    const float *x;
    const vkc_edge_geom *g;
    size_t slots;
    uint64_t *counts; /* per part, bins + 1: the last slot takes what is not counted */
} edge_job;

static void edge_worker(void *arg, uint32_t part, uint64_t begin, uint64_t end)
{
    const edge_job *j = arg;
    const vkc_edge_geom *g = j->g;
    const uint32_t bins = g->bins, flags = g->flags;
    const float lo = g->est_lo, inv = g->est_inv, fbins = (float)bins;
    uint64_t *counts = j->counts + part * j->slots;
    for (uint64_t i = begin; i < end; i++) {
        float v = j->x[i];
        uint32_t bits;
        memcpy(&bits, &v, 4);
        if ((bits & 0x7f800000u) == 0x7f800000u) {
            counts[bins]++;
            continue;
        }
        float t = (flags & VKC_EDGE_ABS) ? fabsf(v) : v;
        float e = (t - lo) * inv;
        uint32_t guess = e > 0.0f ? (e < fbins ? (uint32_t)e : bins - 1) : 0;
        counts[vkc_edge_lookup(g, vkc_edge_key(bits, flags), guess)]++;
    }
}

static vkc_status cpu_histogram_edges(vkc_context *ctx, const float *x, uint64_t n, const vkc_edge_geom *g,
                                      uint64_t *counts)
{
    uint32_t nt = thread_count(ctx, n);
    size_t slots = (size_t)g->bins + 1;
    uint64_t *mem = calloc(slots * nt, sizeof *mem);
    if (!mem) return vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory for %u-bin histograms", g->bins);
    edge_job job = {x, g, slots, mem};
    vkc_parallel_parts(nt, n, edge_worker, &job);
    for (uint32_t t = 0; t < nt; t++)
        for (uint32_t b = 0; b < g->bins; b++) counts[b] += mem[t * slots + b];
    free(mem);
    return VKC_OK;
}

vkc_status vkc_cpu_histogram(vkc_context *ctx, const float *x, uint64_t n, const vkc_hist_spec *spec,
                             float inv, const vkc_edge_geom *edges, uint64_t *counts)
{
    if (edges) return cpu_histogram_edges(ctx, x, n, edges, counts);
    uint32_t nt = thread_count(ctx, n);
    size_t slots = (size_t)spec->bins + 1;
    uint64_t *mem = calloc(slots * nt, sizeof *mem);
    if (!mem) return vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory for %u-bin histograms", spec->bins);
    hist_job job = {x, *spec, inv, slots, mem};
    vkc_parallel_parts(nt, n, hist_worker, &job);
    for (uint32_t t = 0; t < nt; t++)
        for (uint32_t b = 0; b < spec->bins; b++) counts[b] += mem[t * slots + b];
    free(mem);
    return VKC_OK;
}
