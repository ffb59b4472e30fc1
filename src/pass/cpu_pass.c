/* Native CPU backend: the data passes with threads and loops the compiler
 * can vectorise. Same definitions as the shaders (passes.h, DESIGN.md §2). */
#include "pass/passes.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Below this many elements per thread, a thread costs more than it saves. */
#define MIN_PER_THREAD (1u << 19)
#define BLOCK 1024
#define MAX_THREADS 64

typedef struct range_part {
    const uint32_t *x;
    uint64_t n;
    uint32_t kmin, kmax, amax;
    uint64_t finite, zeros, nan, pinf, ninf;
} range_part;

/* Branch-free so the loop vectorises: non-finite values get neutral keys and
 * are counted apart. */
static void *range_worker(void *arg)
{
    range_part *p = arg;
    uint32_t kmin = 0xffffffffu, kmax = 0, amax = 0;
    uint64_t finite = 0, zeros = 0, nan = 0, pinf = 0, ninf = 0;
    for (uint64_t i = 0; i < p->n; i++) {
        uint32_t b = p->x[i];
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
    return NULL;
}

static uint32_t thread_count(const vkc_context *ctx, uint64_t n)
{
    uint64_t t = n / MIN_PER_THREAD;
    if (t > ctx->threads) t = ctx->threads;
    if (t > MAX_THREADS) t = MAX_THREADS;
    return t ? (uint32_t)t : 1;
}

/* Runs fn over nt parts (stride bytes apart), the last on this thread. If a
 * thread cannot be started its part runs here too. */
static void run_parts(void *(*fn)(void *), void *parts, size_t stride, uint32_t nt)
{
    pthread_t th[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (uint32_t t = 0; t + 1 < nt; t++)
        started[t] = pthread_create(&th[t], NULL, fn, (char *)parts + t * stride) == 0;
    fn((char *)parts + (nt - 1) * stride);
    for (uint32_t t = 0; t + 1 < nt; t++) {
        if (started[t]) pthread_join(th[t], NULL);
        else fn((char *)parts + t * stride);
    }
}

vkc_status vkc_cpu_range(vkc_context *ctx, const float *x, uint64_t n, vkc_stats *acc)
{
    uint32_t nt = thread_count(ctx, n);
    range_part parts[MAX_THREADS];
    uint64_t per = n / nt;
    for (uint32_t t = 0; t < nt; t++) {
        parts[t].x = (const uint32_t *)(const void *)x + t * per;
        parts[t].n = t + 1 == nt ? n - t * per : per;
    }
    run_parts(range_worker, parts, sizeof parts[0], nt);
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

typedef struct hist_part {
    const float *x;
    uint64_t n;
    vkc_hist_spec spec;
    float inv;
    uint64_t *counts; /* bins + 1: the last slot swallows non-finite values */
} hist_part;

static void *hist_worker(void *arg)
{
    hist_part *p = arg;
    const uint32_t bins = p->spec.bins;
    const float inv = p->inv, lo = p->spec.lo, fbins = (float)bins;
    const int abs_kind = p->spec.kind == VKC_HIST_ABS;
    uint32_t idx[BLOCK];
    for (uint64_t base = 0; base < p->n; base += BLOCK) {
        uint32_t m = p->n - base < BLOCK ? (uint32_t)(p->n - base) : BLOCK;
        const float *x = p->x + base;
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
        for (uint32_t i = 0; i < m; i++) p->counts[idx[i]]++;
    }
    return NULL;
}

vkc_status vkc_cpu_histogram(vkc_context *ctx, const float *x, uint64_t n, const vkc_hist_spec *spec,
                             float inv, uint64_t *counts)
{
    uint32_t nt = thread_count(ctx, n);
    hist_part parts[MAX_THREADS];
    uint64_t per = n / nt;
    size_t slots = (size_t)spec->bins + 1;
    uint64_t *mem = calloc(slots * nt, sizeof *mem);
    if (!mem) return vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory for %u-bin histograms", spec->bins);
    for (uint32_t t = 0; t < nt; t++) {
        parts[t].x = x + t * per;
        parts[t].n = t + 1 == nt ? n - t * per : per;
        parts[t].spec = *spec;
        parts[t].inv = inv;
        parts[t].counts = mem + t * slots;
    }
    run_parts(hist_worker, parts, sizeof parts[0], nt);
    for (uint32_t t = 0; t < nt; t++)
        for (uint32_t b = 0; b < spec->bins; b++) counts[b] += parts[t].counts[b];
    free(mem);
    return VKC_OK;
}
