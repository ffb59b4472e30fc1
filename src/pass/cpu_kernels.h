/* The CPU backend's inner loops, one table per instruction set: the same C
 * (cpu_kernels_impl.h) compiled by cpu_kernels.c with the build's flags
 * (the portable path), and on x86 again by cpu_kernels_avx2.c (-mavx2) and
 * cpu_kernels_avx512.c (-mavx512f -mavx512bw -mavx512vl). The table is
 * chosen at run time (base/cpu_features.h). Every table gives the same
 * bits: the loops compute DESIGN.md §2's definitions in integer keys and
 * one float32 multiply, and -ffp-contract=off holds in every file.
 *
 * The threads, the 32-to-64-bit flushes and the merges are cpu_pass.c's;
 * the kernels see one contiguous part of one array. */
#ifndef VKC_CPU_KERNELS_H
#define VKC_CPU_KERNELS_H

#include "base/common.h"
#include "base/cpu_features.h"
#include "pass/hist_kind.h"

/* Range statistics of a part. The extremes are signed keys, s = the order
 * key (vkc_order_key) ^ 0x80000000 as int32: the same order, and signed
 * 32-bit compares exist on every SIMD level (unsigned ones not in SSE2).
 * Only meaningful when finite > 0; absmax is then the larger magnitude of
 * min and max. */
typedef struct vkc_range_acc {
    int32_t smin, smax;
    uint64_t finite, zeros, nan, pinf, ninf;
} vkc_range_acc;

#define VKC_RANGE_ACC_INIT {INT32_MAX, INT32_MIN, 0, 0, 0, 0, 0}

/* A histogram's geometry as the kernels use it. Counters are uint32 in
 * 1 << shift interleaved copies: the count of bin b in copy r is at
 * h[(b << shift) | r], element i of a block goes to copy i % copies, so a
 * run of one hot bin (the zeros of a ReLU output) updates different words
 * instead of waiting on its own last store. Slot bins (all copies) takes
 * what is not counted (NaN, +-Inf, the edge kinds' dropped values). */
typedef struct vkc_hist_geom {
    uint32_t bins, shift;
    int abs_kind;               /* VKC_HIST_ABS: |x| * inv; else (x - lo) * inv */
    float lo, inv;
    const vkc_edge_geom *edges; /* the tools' kinds; NULL for the multiply path */
    const uint32_t *walk;       /* with edges: keys[0..bins-1], then 0xfffffffe, ~0 */
} vkc_hist_geom;

typedef struct vkc_cpu_kernels {
    vkc_cpu_isa isa;
    /* Accumulates n elements of x (dtype: float32, or float16/bfloat16
     * widened exactly in blocks on the way) into acc. */
    void (*range)(const void *x, uint64_t n, vkc_dtype dtype, vkc_range_acc *acc);
    /* Adds n elements into the copies h ((bins + 1) << shift uint32). The
     * caller keeps n below what could wrap a counter. */
    void (*hist)(const void *x, uint64_t n, vkc_dtype dtype, const vkc_hist_geom *g, uint32_t *h);
    /* Adds the copies into sums[bins]. */
    void (*fold)(const vkc_hist_geom *g, uint32_t *h, uint64_t *sums);
    /* The widening alone (vkc_widen16's contract), for tests. */
    void (*widen)(const void *x, uint64_t n, vkc_dtype dtype, float *w);
} vkc_cpu_kernels;

extern const vkc_cpu_kernels vkc_cpu_kernels_base;
#ifdef VKC_HAVE_X86_KERNELS
extern const vkc_cpu_kernels vkc_cpu_kernels_avx2;
extern const vkc_cpu_kernels vkc_cpu_kernels_avx512;
#endif

/* The table the passes use: the forced one, else vkc_cpu_isa_default's. */
const vkc_cpu_kernels *vkc_cpu_kernels_get(void);
/* The table of one level, or NULL where this build or this CPU lacks it. */
const vkc_cpu_kernels *vkc_cpu_kernels_of(vkc_cpu_isa isa);
/* Tests and benchmarks: makes every later pass of the process use isa
 * (VKC_CPU_ISA_COUNT: back to the default). Returns 0, changing nothing,
 * where the level is not available here. */
int vkc_cpu_kernels_force(vkc_cpu_isa isa);

/* Tests: the most elements a part bins into its uint32 copies before it
 * adds them to its uint64 counts (0: the default, 2^32 - 1, which no
 * counter can pass). A small window crosses the flush cheaply. */
void vkc_cpu_set_flush_window(uint64_t elems);
uint64_t vkc_cpu_flush_window(void);

#endif
