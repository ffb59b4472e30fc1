#include "oracle/reference.h"
#include "pass/passes.h"

#include <math.h>
#include <string.h>

/* Total order with -0 < +0, as the backends' integer keys give. */
static int less_total(float a, float b)
{
    if (a == 0.0f && b == 0.0f) return signbit(a) && !signbit(b);
    return a < b;
}

void vkc_ref_range(const float *x, uint64_t n, vkc_stats *acc)
{
    for (uint64_t i = 0; i < n; i++) {
        float v = x[i];
        if (isnan(v)) { acc->nan++; continue; }
        if (isinf(v)) { if (v > 0) acc->pos_inf++; else acc->neg_inf++; continue; }
        float a = fabsf(v);
        if (acc->count == 0) {
            acc->min = acc->max = v;
            acc->absmax = a;
        } else {
            if (less_total(v, acc->min)) acc->min = v;
            if (less_total(acc->max, v)) acc->max = v;
            if (a > acc->absmax) acc->absmax = a;
        }
        acc->count++;
        if (v == 0.0f) acc->zeros++;
    }
}

vkc_status vkc_ref_histogram(const float *x, uint64_t n, const vkc_hist_spec *spec, uint64_t *counts)
{
    float inv;
    vkc_status s = vkc_hist_check(spec, &inv, NULL);
    if (s != VKC_OK) return s;
    for (uint64_t i = 0; i < n; i++) {
        float v = x[i];
        if (!isfinite(v)) continue;
        float t;
        if (inv == 0.0f) t = 0.0f;
        else if (spec->kind == VKC_HIST_ABS) t = fabsf(v) * inv;
        else t = (v - spec->lo) * inv;
        uint32_t b;
        if (t <= 0.0f) b = 0;
        else if (t >= (float)spec->bins) b = spec->bins - 1;
        else b = (uint32_t)t;
        counts[b]++;
    }
    return VKC_OK;
}
