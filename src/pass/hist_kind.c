/* The tools' histogram kinds (hist_kind.h): their formulas, and the edge
 * tables every backend bins with. */
#include "pass/hist_kind.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BINS (1u << 20)
#define FLOAT_MAX_BITS 0x7f7fffffu

int vkc_kind_is_edge(vkc_hist_kind kind)
{
    return kind >= VKC_HIST_NUMPY && (int)kind < VKC_HIST_KIND_COUNT;
}

int vkc_kind_binned(vkc_hist_kind kind, const vkc_stats *st, uint64_t *n)
{
    *n = kind == VKC_HIST_NCNN ? st->count - st->zeros : st->count;
    return kind != VKC_HIST_MNN;
}

const char *vkc_kind_name(vkc_hist_kind kind)
{
    static const char *const names[VKC_HIST_KIND_COUNT] = {"abs", "signed", "numpy", "ncnn", "mnn", "paddle",
                                                           "torch"};
    return (int)kind >= 0 && (int)kind < VKC_HIST_KIND_COUNT ? names[kind] : "unknown";
}

static int kind_is_abs(vkc_hist_kind kind)
{
    return kind != VKC_HIST_NUMPY;
}

/* The range a kind really bins over: [0, hi] for ncnn and MNN, numpy's and
 * torch's widening of an empty range. */
typedef struct range {
    double lo, hi;
} range;

static range kind_range(const vkc_hist_spec *s)
{
    range r = {s->lo, s->hi};
    if (s->kind == VKC_HIST_NCNN || s->kind == VKC_HIST_MNN) r.lo = 0;
    if (r.lo == r.hi && (s->kind == VKC_HIST_NUMPY || s->kind == VKC_HIST_PADDLE)) {
        r.lo -= 0.5;
        r.hi += 0.5;
    }
    if (r.lo == r.hi && s->kind == VKC_HIST_TORCH) {
        r.lo -= 1;
        r.hi += 1;
    }
    return r;
}

/* numpy.linspace(lo, hi, n + 1)[k] in float64 (numpy 1.x: step in double,
 * y = k * step + lo, the last value hi itself). */
static double linspace_at(range r, uint32_t n, uint32_t k)
{
    if (k >= n) return r.hi;
    double step = (r.hi - r.lo) / (double)n;
    return (double)k * step + r.lo;
}

/* The formulas, for t = |x| (or x for numpy) of a finite value, without
 * the skip and drop rules. */
static uint32_t clamp_bin(float r, uint32_t n)
{
    if (!(r < (float)n)) return n - 1;
    return r > 0 ? (uint32_t)r : 0;
}

static float mnn_inv(const vkc_hist_spec *s)
{
    return s->hi > 0.00001f ? (float)s->bins / s->hi : 0.0f;
}

static uint32_t raw_bin(const vkc_hist_spec *s, float t)
{
    const uint32_t n = s->bins;
    const range r = kind_range(s);
    switch ((int)s->kind) {
    case VKC_HIST_NCNN: {
        /* ncnn2table: (int)(fabs(x) / absmax * num_histogram_bins). */
        const float q = t / s->hi;
        return clamp_bin(q * (float)n, n);
    }
    case VKC_HIST_MNN:
        return clamp_bin(t * mnn_inv(s), n);
    case VKC_HIST_TORCH: {
        /* ATen histc: (elt - leftmost) * (bins) / (rightmost - leftmost). */
        const float l = (float)r.lo, h = (float)r.hi;
        const float m = (t - l) * (float)n;
        return clamp_bin(m / (h - l), n);
    }
    case VKC_HIST_NUMPY: {
        /* The last k with float32(e_k) <= t: by bisection on the edges. */
        uint32_t a = 0, b = n - 1;
        while (a < b) {
            uint32_t m = a + (b - a + 1) / 2;
            if ((float)linspace_at(r, n, m) <= t) a = m;
            else b = m - 1;
        }
        return a;
    }
    case VKC_HIST_PADDLE: {
        uint32_t a = 0, b = n - 1;
        while (a < b) {
            uint32_t m = a + (b - a + 1) / 2;
            if (linspace_at(r, n, m) <= (double)t) a = m;
            else b = m - 1;
        }
        return a;
    }
    }
    return 0;
}

/* Largest float <= 1e-6 (MNN compares (double)|x| <= 1e-6). */
static float mnn_skip(void)
{
    float f = 1e-6f;
    while ((double)f > 1e-6) f = nextafterf(f, 0.0f);
    return f;
}

uint32_t vkc_kind_bin_formula(const vkc_hist_spec *s, float x)
{
    const float t = kind_is_abs(s->kind) ? fabsf(x) : x;
    const range r = kind_range(s);
    switch ((int)s->kind) {
    case VKC_HIST_NCNN:
        if (x == 0.0f) return s->bins;
        break;
    case VKC_HIST_MNN:
        if ((double)t <= 1e-6) return s->bins;
        break;
    case VKC_HIST_TORCH:
        if (!(t >= (float)r.lo && t <= (float)r.hi)) return s->bins;
        break;
    case VKC_HIST_NUMPY:
        if (!(t >= (float)linspace_at(r, s->bins, 0) && t <= (float)r.hi)) return s->bins;
        break;
    case VKC_HIST_PADDLE:
        if (!((double)t >= r.lo && (double)t <= r.hi)) return s->bins;
        break;
    }
    return raw_bin(s, t);
}

double vkc_kind_edge(const vkc_hist_spec *s, uint32_t k)
{
    const range r = kind_range(s);
    double e = linspace_at(r, s->bins, k);
    return s->kind == VKC_HIST_NUMPY ? (double)(float)e : e;
}

/* The least t >= lo (both non-negative floats, as bits, which order as the
 * values do) with raw_bin(t) >= k, or UINT32_MAX when no t <= hi has it.
 * raw_bin is monotone in t. */
static uint32_t least_reaching(const vkc_hist_spec *s, uint32_t lo_bits, uint32_t hi_bits, uint32_t k)
{
    if (raw_bin(s, vkc_bits_f32(hi_bits)) < k) return UINT32_MAX;
    uint32_t a = lo_bits, b = hi_bits;
    while (a < b) {
        uint32_t m = a + (b - a) / 2;
        if (raw_bin(s, vkc_bits_f32(m)) >= k) b = m;
        else a = m + 1;
    }
    return a;
}

/* The least float >= d, the largest <= d (d finite). */
static float float_at_or_below(double d)
{
    float f = (float)d;
    if ((double)f > d) f = nextafterf(f, -INFINITY);
    return f;
}

static float float_at_or_above(double d)
{
    float f = (float)d;
    if ((double)f < d) f = nextafterf(f, INFINITY);
    return f;
}

void vkc_edge_geom_free(vkc_edge_geom *g)
{
    if (!g) return;
    free(g->keys);
    memset(g, 0, sizeof *g);
}

vkc_status vkc_edge_check(const vkc_hist_spec *s, vkc_msg *msg)
{
    if (!s) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "histogram spec is NULL");
    if (!vkc_kind_is_edge(s->kind))
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "histogram kind %d unknown", (int)s->kind);
    const char *name = vkc_kind_name(s->kind);
    const uint32_t n = s->bins;
    if (n == 0 || n > MAX_BINS)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s histogram: bin count %u outside 1..%u", name, n,
                        MAX_BINS);
    const float lo = s->kind == VKC_HIST_NCNN || s->kind == VKC_HIST_MNN ? 0.0f : s->lo;
    if (!isfinite(lo) || !isfinite(s->hi) || s->hi < lo)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s histogram: range [%g, %g] is not a finite interval",
                        name, (double)lo, (double)s->hi);
    if (kind_is_abs(s->kind) && lo < 0)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s histogram of |x|: range [%g, %g] starts below 0", name,
                        (double)lo, (double)s->hi);
    /* The tools' own arithmetic overflows past these (numpy's float32
     * width, torch's (t - lo) * N). */
    if (!isfinite(s->hi - lo) || (s->kind == VKC_HIST_TORCH && !isfinite((s->hi - lo) * (float)n)))
        return vkc_fail(msg, VKC_ERROR_UNSUPPORTED, "%s histogram: range [%g, %g] too wide for float32", name,
                        (double)lo, (double)s->hi);
    return VKC_OK;
}

vkc_status vkc_edge_geom_init(const vkc_hist_spec *s, vkc_edge_geom *g, vkc_msg *msg)
{
    memset(g, 0, sizeof *g);
    vkc_status st = vkc_edge_check(s, msg);
    if (st != VKC_OK) return st;
    const uint32_t n = s->bins;
    const float lo = s->kind == VKC_HIST_NCNN || s->kind == VKC_HIST_MNN ? 0.0f : s->lo;
    g->bins = n;
    g->keys = vkc_alloc_array((uint64_t)n + 1, sizeof *g->keys);
    if (!g->keys) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory for %u histogram edges", n);
    g->flags = kind_is_abs(s->kind) ? VKC_EDGE_ABS : 0;
    const range r = kind_range(s);

    if (s->kind == VKC_HIST_NUMPY || s->kind == VKC_HIST_PADDLE) {
        /* numpy: float32 edges, compared as float32; Paddle: float64 edges
         * compared in double, i.e. against the least float at or above. */
        for (uint32_t k = 0; k <= n; k++) {
            double e = linspace_at(r, n, k);
            float f = s->kind == VKC_HIST_NUMPY ? (float)e : float_at_or_above(e);
            g->keys[k] = vkc_edge_key(vkc_f32_bits(f), 0);
        }
        /* The last edge is inclusive: the largest float at or below. */
        if (s->kind == VKC_HIST_PADDLE) g->keys[n] = vkc_edge_key(vkc_f32_bits(float_at_or_below(r.hi)), 0);
        g->flags |= VKC_EDGE_DROP;
        g->est_lo = (float)r.lo;
        g->est_inv = (float)((double)n / (r.hi - r.lo));
        return VKC_OK;
    }

    /* The formula kinds: the least t reaching each bin, found by bisection
     * over the float bits of the values t >= 0 can take, [t_lo, t_hi]. */
    uint32_t t_lo = 0, t_hi = FLOAT_MAX_BITS;
    g->keys[0] = vkc_order_key(0);
    if (s->kind == VKC_HIST_TORCH) {
        if (r.lo > 0) t_lo = vkc_f32_bits((float)r.lo);
        t_hi = vkc_f32_bits((float)r.hi);
        g->keys[0] = vkc_edge_key(vkc_f32_bits((float)r.lo), 0);
        g->flags |= VKC_EDGE_DROP;
    }
    uint32_t prev = t_lo;
    for (uint32_t k = 1; k < n; k++) {
        uint32_t b = least_reaching(s, prev, t_hi, k);
        if (b == UINT32_MAX) {
            /* No value reaches bin k or above: edges above every value. */
            for (uint32_t j = k; j < n; j++) g->keys[j] = 0xffffffffu;
            break;
        }
        g->keys[k] = vkc_order_key(b);
        prev = b;
    }
    g->keys[n] = s->kind == VKC_HIST_TORCH ? vkc_order_key(t_hi) : 0xffffffffu;
    if (s->kind == VKC_HIST_NCNN) {
        g->flags |= VKC_EDGE_SKIP;
        g->skip_key = vkc_order_key(0);
    }
    if (s->kind == VKC_HIST_MNN) {
        g->flags |= VKC_EDGE_SKIP;
        g->skip_key = vkc_order_key(vkc_f32_bits(mnn_skip()));
    }
    g->est_lo = (float)r.lo;
    g->est_inv = s->hi > lo ? (float)((double)n / ((double)s->hi - (double)lo)) : 0.0f;
    return VKC_OK;
}
