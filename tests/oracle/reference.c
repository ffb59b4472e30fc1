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

/* The tools' kinds, each as its tool computes it (hist_kind.h), written
 * apart from the library's edge tables on purpose. Returns bins for a value
 * the tool does not count. */
static uint32_t clamp_index(double r, uint32_t bins)
{
    if (!(r < (double)bins)) return bins - 1;
    return r > 0 ? (uint32_t)r : 0;
}

/* numpy.linspace(lo, hi, bins + 1)[k] (numpy 1.x, float64). */
static double ref_linspace(double lo, double hi, uint32_t bins, uint32_t k)
{
    return k == bins ? hi : (double)k * ((hi - lo) / (double)bins) + lo;
}

/* The bin of t among edges e(0..bins), e(k) <= t < e(k+1), the last bin
 * closed: plain bisection. */
typedef double (*edge_fn)(const vkc_hist_spec *s, uint32_t k);

static uint32_t ref_search(const vkc_hist_spec *s, edge_fn e, double t)
{
    uint32_t bins = s->bins;
    if (t < e(s, 0) || t > e(s, bins)) return bins;
    uint32_t a = 0, b = bins - 1;
    while (a < b) {
        uint32_t m = (a + b + 1) / 2;
        if (e(s, m) <= t) a = m;
        else b = m - 1;
    }
    return a;
}

static double numpy_edge(const vkc_hist_spec *s, uint32_t k)
{
    double lo = s->lo, hi = s->hi;
    if (lo == hi) {
        lo -= 0.5;
        hi += 0.5;
    }
    return (double)(float)ref_linspace(lo, hi, s->bins, k); /* edges are float32 */
}

static double paddle_edge(const vkc_hist_spec *s, uint32_t k)
{
    double lo = s->lo, hi = s->hi;
    if (lo == hi) {
        lo -= 0.5;
        hi += 0.5;
    }
    return ref_linspace(lo, hi, s->bins, k);
}

static uint32_t ref_tool_bin(const vkc_hist_spec *s, float v)
{
    const uint32_t bins = s->bins;
    const float a = fabsf(v);
    switch ((int)s->kind) {
    case VKC_HIST_NUMPY:
        return ref_search(s, numpy_edge, (double)v);
    case VKC_HIST_PADDLE:
        return ref_search(s, paddle_edge, (double)a);
    case VKC_HIST_NCNN: {
        if (v == 0.0f) return bins;
        float q = a / s->hi;
        float r = q * (float)bins;
        return clamp_index(r, bins);
    }
    case VKC_HIST_MNN: {
        if ((double)a <= 1e-6) return bins;
        float inv = s->hi > 0.00001f ? (float)bins / s->hi : 0.0f;
        float r = a * inv;
        return clamp_index(r, bins);
    }
    case VKC_HIST_TORCH: {
        double lo = s->lo, hi = s->hi;
        if (lo == hi) {
            lo -= 1;
            hi += 1;
        }
        float l = (float)lo, h = (float)hi;
        if (!(a >= l && a <= h)) return bins;
        float m = (a - l) * (float)bins;
        float r = m / (h - l);
        return clamp_index(r, bins);
    }
    }
    return bins;
}

vkc_status vkc_ref_histogram(const float *x, uint64_t n, const vkc_hist_spec *spec, uint64_t *counts)
{
    float inv;
    vkc_status s = vkc_hist_check(spec, &inv, NULL);
    if (s != VKC_OK) return s;
    if (vkc_kind_is_edge(spec->kind)) {
        for (uint64_t i = 0; i < n; i++) {
            if (!isfinite(x[i])) continue;
            uint32_t b = ref_tool_bin(spec, x[i]);
            if (b < spec->bins) counts[b]++;
        }
        return VKC_OK;
    }
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
