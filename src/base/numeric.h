/* The numeric kit every search shares: compensated sums, h ln h, the tie
 * tolerance of DESIGN.md §2 and the bracket around a value with an error
 * bound. Everything here needs strict IEEE evaluation (no -ffast-math, no
 * contraction: the build sets -ffp-contract=off), and the error analyses in
 * src/search/ count on exactly these operations in exactly this order. */
#ifndef VKC_NUMERIC_H
#define VKC_NUMERIC_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* Unit roundoff of double. */
#define VKC_U 0x1p-53

/* Neumaier's variant of Kahan summation: |result - exact| <= 2u|exact| +
 * O(count u^2) sum|x|, independent of the order of magnitude of the terms. */
typedef struct vkc_ksum {
    double s, c;
} vkc_ksum;

static inline void vkc_ksum_add(vkc_ksum *k, double x)
{
    double t = k->s + x;
    if (fabs(k->s) >= fabs(x)) k->c += (k->s - t) + x;
    else k->c += (x - t) + k->s;
    k->s = t;
}

static inline double vkc_ksum_get(const vkc_ksum *k)
{
    return k->s + k->c;
}

/* Knuth's TwoSum: s = fl(a + b) and the exact error a + b - s. */
static inline double vkc_two_sum(double a, double b, double *err)
{
    double s = a + b, z = s - a;
    *err = (a - (s - z)) + (b - z);
    return s;
}

/* h ln h, 0 for h <= 1. */
static inline double vkc_hlnh(uint64_t h)
{
    if (h <= 1) return 0.0;
    double d = (double)h;
    return d * log(d);
}

/* Tie tolerance of DESIGN.md §2: a value v is tied with the minimum m when
 * v <= m + vkc_tie_tol(m): 1e-9 relative, 1e-15 absolute. Non-decreasing in
 * |m|, also after rounding, which the selection proofs use. */
static inline double vkc_tie_tol(double m)
{
    double t = 1e-9 * fabs(m);
    return t > 1e-15 ? t : 1e-15;
}

static inline double vkc_tie_limit(double m)
{
    return m + vkc_tie_tol(m);
}

/* A bracket [*lo, *hi] around v of half-width e, widened by a few ulps so
 * that the rounding of v -/+ e cannot exclude the true value; a value or
 * bound that is not a finite number brackets everything. */
static inline void vkc_bracket(double v, double e, double *lo, double *hi)
{
    if (!isfinite(v) || !isfinite(e) || e < 0) {
        *lo = -INFINITY;
        *hi = INFINITY;
        return;
    }
    double slack = 4 * VKC_U * (fabs(v) + e);
    *lo = v - e - slack;
    *hi = v + e + slack;
}

/* float32 as the tools compute it. Every float operation below is one
 * IEEE binary32 operation (numeric.c refuses to build where float
 * expressions are evaluated in a wider format). */

/* A sequential sum from 0 (std::accumulate, a C++ for loop). */
float vkc_f32_seq_sum(const float *x, size_t n);

/* numpy's np.sum of a contiguous float32 array: the reduction takes the
 * array in buffers of 8192, 0 + pw(x[0:8192]) + pw(x[8192:16384]) + ...,
 * each pw numpy's pairwise_sum (below 8 values a loop; up to 128, eight
 * accumulators combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 +
 * r7)) plus the rest; above, the halves split at a multiple of 8). */
float vkc_f32_numpy_sum(const float *x, size_t n);

#endif
