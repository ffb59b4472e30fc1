/* The float32 sums of the numeric kit (numeric.h). */
#include "base/numeric.h"

#include <float.h>

#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "float expressions must be evaluated in float (the tools' float32 arithmetic is reproduced exactly)"
#endif

float vkc_f32_seq_sum(const float *x, size_t n)
{
    float s = 0.0f;
    for (size_t i = 0; i < n; i++) s += x[i];
    return s;
}

/* numpy's pairwise_sum (numpy/core/src/umath/loops_utils.h.src). */
static float pairwise(const float *a, size_t n)
{
    if (n < 8) {
        float res = 0.0f;
        for (size_t i = 0; i < n; i++) res += a[i];
        return res;
    }
    if (n <= 128) {
        float r[8];
        size_t i;
        for (int k = 0; k < 8; k++) r[k] = a[k];
        for (i = 8; i < n - (n % 8); i += 8)
            for (int k = 0; k < 8; k++) r[k] += a[i + k];
        float res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += a[i];
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise(a, n2) + pairwise(a + n2, n - n2);
}

float vkc_f32_numpy_sum(const float *x, size_t n)
{
    enum { BUFSIZE = 8192 };
    float s = 0.0f;
    for (size_t i = 0; i < n; i += BUFSIZE) s += pairwise(x + i, n - i < BUFSIZE ? n - i : BUFSIZE);
    return s;
}
