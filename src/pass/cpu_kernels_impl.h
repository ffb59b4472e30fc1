/* The CPU kernels' code, included once by each table's file (cpu_kernels.h
 * says which and why). Everything here is static: each file gets its own
 * copy, compiled for its instruction set, and no symbol can be shared
 * across the files by the linker (an AVX2 copy of a helper must never run
 * on a machine without AVX2).
 *
 * The loops are written for the vectoriser: no branches on the data in the
 * hot loops (selects instead), 32-bit lanes, reductions by min/max/add.
 * The histogram's scatter (h[idx]++) is the only scalar loop; its index
 * computation is not. */
#ifndef VKC_CPU_KERNELS_IMPL_H
#define VKC_CPU_KERNELS_IMPL_H

#include "pass/cpu_kernels.h"

#include <string.h>

#if defined(__GNUC__)
#define VKC_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define VKC_ALWAYS_INLINE inline
#endif

/* Range: 16 KiB of float32, so the second look at a block holding a NaN or
 * an Inf (range_full) reads it from L1. The 32-bit block counters cannot
 * wrap: a block is far below 2^32. */
#define RANGE_BLOCK 4096u
/* Histogram: indices of one block (4 KiB) are computed vectorised, then
 * scattered; a 16-bit input is widened into as many floats first. */
#define HIST_BLOCK 1024u

/* ---- float16 / bfloat16 ------------------------------------------------ */

/* vkc_half_to_float without branches (exact: the subnormal's int-to-float
 * and its scaling by 2^-24 are exact in float32, and its result is a
 * normal float32, so no flush-to-zero mode can touch it). */
static VKC_ALWAYS_INLINE uint32_t half_bits(uint32_t h)
{
    uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    uint32_t normal = sign | ((exp + 112u) << 23) | (man << 13);
    uint32_t special = sign | 0x7f800000u | (man << 13);
    float sub = (float)(int32_t)man * 0x1p-24f;
    uint32_t subbits;
    memcpy(&subbits, &sub, 4);
    /* Selects by masks: GCC vectorises these, not the ?: forms here. */
    uint32_t is_sub = (uint32_t)(exp == 0) * 0xffffffffu, is_special = (uint32_t)(exp == 0x1fu) * 0xffffffffu;
    uint32_t r = (normal & ~is_sub) | ((sign | subbits) & is_sub);
    return (r & ~is_special) | (special & is_special);
}

/* x need not be 2-byte aligned (vkc_widen16's contract). */
static void kern_widen(const void *src, uint64_t n, vkc_dtype t, float *w)
{
    const unsigned char *x = src;
    if (t == VKC_DTYPE_F16) {
        for (uint64_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, x + 2 * i, 2);
            uint32_t u = half_bits(h);
            memcpy(&w[i], &u, 4);
        }
    } else {
        for (uint64_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, x + 2 * i, 2);
            uint32_t u = (uint32_t)h << 16;
            memcpy(&w[i], &u, 4);
        }
    }
}

/* The float32 values of block [off, off + m): x itself, or widened into w. */
static VKC_ALWAYS_INLINE const uint32_t *block_bits(const void *x, uint64_t off, uint32_t m, vkc_dtype t,
                                                    float *w)
{
    if (t == VKC_DTYPE_F32) return (const uint32_t *)x + off;
    kern_widen((const unsigned char *)x + 2 * off, m, t, w);
    return (const uint32_t *)(const void *)w;
}

/* ---- range ----------------------------------------------------------------- */

/* The signed key (cpu_kernels.h): positive floats keep their bits, negative
 * ones flip their magnitude bits, so -NaN < -Inf < ... < -0 < +0 < ... */
static VKC_ALWAYS_INLINE int32_t signed_key(uint32_t b)
{
    return (int32_t)(b ^ ((0u - (b >> 31)) >> 1));
}

typedef struct range_block_acc {
    int32_t smin, smax;
    uint32_t zeros;
} range_block_acc;

/* The keys of -Inf and +Inf: a block holds a NaN or an Inf exactly when its
 * least key is at most the first or its greatest at least the second. */
#define KEY_NINF ((int32_t)-2139095041) /* signed_key(0xff800000) */
#define KEY_PINF ((int32_t)0x7f800000)

/* Every value taken as finite: the fewest operations per value (no absmax:
 * over finite values it is the larger magnitude of min and max, which
 * cpu_pass.c derives). A block with a NaN or an Inf is done again by
 * range_full. */
static VKC_ALWAYS_INLINE void range_fast(const uint32_t *x, uint32_t m, range_block_acc *r)
{
    int32_t smin = INT32_MAX, smax = INT32_MIN;
    uint32_t zeros = 0;
    for (uint32_t i = 0; i < m; i++) {
        uint32_t b = x[i];
        int32_t s = signed_key(b);
        smin = s < smin ? s : smin;
        smax = s > smax ? s : smax;
        zeros += (b & 0x7fffffffu) == 0;
    }
    *r = (range_block_acc){smin, smax, zeros};
}

/* A block with non-finite values: they get neutral keys and are counted
 * apart. */
static void range_full(const uint32_t *x, uint32_t m, vkc_range_acc *acc)
{
    int32_t smin = INT32_MAX, smax = INT32_MIN;
    uint32_t finite = 0, zeros = 0, nan = 0, pinf = 0, ninf = 0;
    for (uint32_t i = 0; i < m; i++) {
        uint32_t b = x[i], a = b & 0x7fffffffu;
        int32_t s = signed_key(b);
        /* Selects by masks (all ones where finite): GCC vectorises these,
         * not the equivalent ?: (it makes them conditional reductions). */
        int32_t fm = -(int32_t)(a < 0x7f800000u);
        int32_t sn = (s & fm) | (INT32_MAX & ~fm), sx = (s & fm) | (INT32_MIN & ~fm);
        smin = sn < smin ? sn : smin;
        smax = sx > smax ? sx : smax;
        finite -= (uint32_t)fm;
        zeros += a == 0;
        nan += a > 0x7f800000u;
        pinf += b == 0x7f800000u;
        ninf += b == 0xff800000u;
    }
    if (smin < acc->smin) acc->smin = smin;
    if (smax > acc->smax) acc->smax = smax;
    acc->finite += finite;
    acc->zeros += zeros;
    acc->nan += nan;
    acc->pinf += pinf;
    acc->ninf += ninf;
}

static void kern_range(const void *x, uint64_t n, vkc_dtype t, vkc_range_acc *acc)
{
    float w[RANGE_BLOCK];
    for (uint64_t off = 0; off < n; off += RANGE_BLOCK) {
        uint32_t m = n - off < RANGE_BLOCK ? (uint32_t)(n - off) : RANGE_BLOCK;
        const uint32_t *b = block_bits(x, off, m, t, w);
        range_block_acc r;
        range_fast(b, m, &r);
        if (r.smin <= KEY_NINF || r.smax >= KEY_PINF) {
            range_full(b, m, acc);
            continue;
        }
        if (r.smin < acc->smin) acc->smin = r.smin;
        if (r.smax > acc->smax) acc->smax = r.smax;
        acc->finite += m;
        acc->zeros += r.zeros;
    }
}

/* ---- histogram ------------------------------------------------------------ */

/* DESIGN.md §2's bin: t = |x| * inv (or (x - lo) * inv), one float32
 * multiply; bin 0 for t <= 0 or NaN, bins - 1 for t >= bins, else (uint)t.
 * The clamps are done in float first, so the conversion always sees a
 * value in [0, bins - 1] (no out-of-range conversion, in C or in SIMD).
 * abs_kind is a constant at each call site: one loop per kind. */
static VKC_ALWAYS_INLINE void mul_index(const uint32_t *x, uint32_t m, const vkc_hist_geom *g, int abs_kind,
                                        uint32_t *idx)
{
    const float lo = g->lo, inv = g->inv, fbins = (float)g->bins, flast = (float)(g->bins - 1);
    const uint32_t shift = g->shift, lanes = (1u << shift) - 1, discard = g->bins << shift;
    for (uint32_t i = 0; i < m; i++) {
        uint32_t b = x[i], ab = b & 0x7fffffffu;
        uint32_t vb = abs_kind ? ab : b;
        float v;
        memcpy(&v, &vb, 4);
        float t = abs_kind ? v * inv : (v - lo) * inv;
        float c = t < fbins ? t : flast;
        c = t > 0.0f ? c : 0.0f;
        uint32_t k = (uint32_t)(int32_t)c << shift;
        k = ab >= 0x7f800000u ? discard : k;
        idx[i] = k | (i & lanes);
    }
}

/* The tools' kinds (hist_kind.h): the key and the bin estimate vectorised,
 * the rules that drop values as masks. A value not counted gets the key
 * DROP_KEY and the estimate bins, which the walk below leaves in slot bins
 * (walk[bins] = DROP_KEY, walk[bins + 1] = ~0: cpu_kernels.h). */
#define DROP_KEY 0xfffffffeu /* above every finite value's key (at most 0xff7fffff) */

static VKC_ALWAYS_INLINE void edge_estimate(const uint32_t *x, uint32_t m, const vkc_edge_geom *e, uint32_t *key,
                                            uint32_t *guess)
{
    const uint32_t bins = e->bins, flags = e->flags;
    const uint32_t amask = (flags & VKC_EDGE_ABS) ? 0x7fffffffu : 0xffffffffu;
    /* Finite keys are never 0 (the key of -NaN), nor above the key of +Inf:
     * so 0 and ~0 make the SKIP and DROP tests false when they are off. */
    const uint32_t skip_key = (flags & VKC_EDGE_SKIP) ? e->skip_key : 0;
    const uint32_t lo_key = (flags & VKC_EDGE_DROP) ? e->keys[0] : 0;
    const uint32_t hi_key = (flags & VKC_EDGE_DROP) ? e->keys[bins] : 0xffffffffu;
    const float lo = e->est_lo, inv = e->est_inv, fbins = (float)bins, flast = (float)(bins - 1);
    for (uint32_t i = 0; i < m; i++) {
        uint32_t b = x[i] & amask;
        b = b == 0x80000000u ? 0 : b;
        uint32_t k = b ^ ((0u - (b >> 31)) | 0x80000000u); /* vkc_order_key */
        float t, est;
        memcpy(&t, &b, 4);
        est = (t - lo) * inv;
        float c = est < fbins ? est : flast;
        c = est > 0.0f ? c : 0.0f;
        /* Masks rather than || and ?: (GCC vectorises these). */
        uint32_t drop = 0u - (uint32_t)((b & 0x7f800000u) == 0x7f800000u);
        drop |= 0u - (uint32_t)(k <= skip_key);
        drop |= 0u - (uint32_t)(k < lo_key);
        drop |= 0u - (uint32_t)(k > hi_key);
        key[i] = (k & ~drop) | (DROP_KEY & drop);
        guess[i] = ((uint32_t)(int32_t)c & ~drop) | (bins & drop);
    }
}

/* The estimate is almost always the bin, so a scalar walk's branches
 * predict well; a vectorised step needs gathers, slower than this walk on
 * the AMD Zen 4 measured (and GCC emulates them for generic x86 anyway).
 * walk: the edge keys, then DROP_KEY and ~0 (bins + 2): every kept key
 * settles below walk[bins], so the last bin is closed without a bound
 * check, and walk[0] <= every key walked. */
static VKC_ALWAYS_INLINE void edge_index(const uint32_t *x, uint32_t m, const vkc_hist_geom *g, uint32_t *idx,
                                         uint32_t *key, uint32_t *guess)
{
    const uint32_t *e = g->walk, shift = g->shift, lanes = (1u << shift) - 1;
    edge_estimate(x, m, g->edges, key, guess);
    for (uint32_t i = 0; i < m; i++) {
        uint32_t t = key[i], k = guess[i];
        while (t < e[k]) k--;
        while (t >= e[k + 1]) k++;
        idx[i] = (k << shift) | (i & lanes);
    }
}

static VKC_ALWAYS_INLINE void scatter(uint32_t *h, const uint32_t *idx, uint32_t m)
{
    /* Unrolled: the loop's own increment and compare are as many
     * instructions as the update. */
#if defined(__GNUC__)
#pragma GCC unroll 8
#endif
    for (uint32_t i = 0; i < m; i++) h[idx[i]]++;
}

/* Adds the copies of every bin into sums (uint64): once per call at least,
 * so vectorised (a scalar fold of 4 x 2048 counters cost as much as binning
 * 20000 values). */
static void kern_fold(const vkc_hist_geom *g, uint32_t *restrict h, uint64_t *restrict sums)
{
    const uint32_t bins = g->bins;
    if (g->shift == 2) {
        for (uint32_t b = 0; b < bins; b++)
            sums[b] += (uint64_t)h[4 * b] + h[4 * b + 1] + (uint64_t)h[4 * b + 2] + h[4 * b + 3];
    } else if (g->shift == 1) {
        for (uint32_t b = 0; b < bins; b++) sums[b] += (uint64_t)h[2 * b] + h[2 * b + 1];
    } else {
        for (uint32_t b = 0; b < bins; b++) sums[b] += h[b];
    }
}

/* One loop per kind, each its own function: inlined into one, the three
 * kinds' constants crowd the registers the scatter needs. */
enum { MODE_ABS, MODE_SIGNED, MODE_EDGE };

static VKC_ALWAYS_INLINE void hist_blocks(const void *x, uint64_t n, vkc_dtype t, const vkc_hist_geom *g,
                                          uint32_t *h, int mode)
{
    float w[HIST_BLOCK];
    uint32_t idx[HIST_BLOCK], key[HIST_BLOCK], guess[HIST_BLOCK];
    for (uint64_t off = 0; off < n; off += HIST_BLOCK) {
        uint32_t m = n - off < HIST_BLOCK ? (uint32_t)(n - off) : HIST_BLOCK;
        const uint32_t *b = block_bits(x, off, m, t, w);
        if (mode == MODE_EDGE) edge_index(b, m, g, idx, key, guess);
        else mul_index(b, m, g, mode == MODE_ABS, idx);
        scatter(h, idx, m);
    }
}

static void hist_abs(const void *x, uint64_t n, vkc_dtype t, const vkc_hist_geom *g, uint32_t *h)
{
    hist_blocks(x, n, t, g, h, MODE_ABS);
}

static void hist_signed(const void *x, uint64_t n, vkc_dtype t, const vkc_hist_geom *g, uint32_t *h)
{
    hist_blocks(x, n, t, g, h, MODE_SIGNED);
}

static void hist_edge(const void *x, uint64_t n, vkc_dtype t, const vkc_hist_geom *g, uint32_t *h)
{
    hist_blocks(x, n, t, g, h, MODE_EDGE);
}

static void kern_hist(const void *x, uint64_t n, vkc_dtype t, const vkc_hist_geom *g, uint32_t *h)
{
    if (g->edges) hist_edge(x, n, t, g, h);
    else if (g->abs_kind) hist_abs(x, n, t, g, h);
    else hist_signed(x, n, t, g, h);
}

#endif
