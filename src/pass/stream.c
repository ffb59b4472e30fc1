/* Streaming histograms of |x| over a power-of-two range that doubles
 * (DESIGN.md §1, streaming; vkcalib.h says why a power of two).
 *
 * Exactness: with R = 2^e, inv = bins * 2^-e exactly, so for every x the
 * product t = |x| * inv at range 2R is exactly t/2 of the one at R (a power
 * of two scales without rounding) and its bin floor(t/2) is floor(floor(t)/2):
 * merging bins 2:1 gives exactly the histogram built over 2R. The one
 * exception is the clamp: t >= bins (only |x| == R) lands in the last bin
 * at R but in bin bins/2 at 2R, so those values are kept in an extra bin
 * (index bins) until the range doubles, and shown in the last bin. */
#include "pass/passes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MIN_EXP (-90) /* 2^-90: within the 2^-100 width rule of passes.c */

struct vkc_stream {
    vkc_context *ctx;
    uint32_t bins;
    int have_range;
    int e;                 /* range = 2^e */
    uint64_t *h;           /* bins + 1: the last holds |x| == range */
    uint64_t *out;         /* bins: what vkc_stream_result shows */
    vkc_stats st;
    uint32_t doublings;
};

vkc_status vkc_stream_create(vkc_context *ctx, uint32_t bins, vkc_stream **out)
{
    if (!ctx || !out) return VKC_ERROR_INVALID_ARGUMENT;
    *out = NULL;
    if (bins < 2 || bins > VKC_HIST_MAX_BINS)
        return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "streaming histogram: %u bins (2..%u)", bins, VKC_HIST_MAX_BINS);
    vkc_stream *s = calloc(1, sizeof *s);
    if (s) {
        s->h = calloc((size_t)bins + 1, sizeof *s->h);
        s->out = calloc(bins, sizeof *s->out);
    }
    if (!s || !s->h || !s->out) {
        vkc_stream_destroy(s);
        return vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    }
    s->ctx = ctx;
    s->bins = bins;
    *out = s;
    return VKC_OK;
}

/* Smallest e >= MIN_EXP with 2^e >= a. */
static int range_exp(float a)
{
    int k;
    double m = frexp((double)a, &k); /* a = m 2^k, m in [0.5, 1) */
    int e = m == 0.5 ? k - 1 : k;
    return e < MIN_EXP ? MIN_EXP : e;
}

static void double_range(vkc_stream *s)
{
    uint32_t n = s->bins;
    uint64_t clamped = s->h[n];
    for (uint32_t b = 0; b < n; b++) {
        uint64_t c = s->h[b];
        s->h[b] = 0;
        s->h[b / 2] += c;
    }
    s->h[n / 2] += clamped;
    s->h[n] = 0;
    s->e++;
    s->doublings++;
}

vkc_status vkc_stream_add_f32(vkc_stream *s, const float *x, uint64_t n)
{
    return vkc_stream_add(s, x, n, VKC_DTYPE_F32);
}

vkc_status vkc_stream_add(vkc_stream *s, const void *x, uint64_t n, vkc_dtype dtype)
{
    if (!s) return VKC_ERROR_INVALID_ARGUMENT;
    vkc_stats b = {0};
    vkc_status st = vkc_range_host(s->ctx, x, n, dtype, &b);
    if (st != VKC_OK || b.count == 0) return st;
    int e = range_exp(b.absmax);
    if (!s->have_range) {
        s->e = e;
        s->have_range = 1;
    }
    while (s->e < e) double_range(s);
    /* bins + 1 bins at inv = bins / 2^e: values with t >= bins (|x| equal
     * to the range) land in the extra bin instead of being clamped. */
    vkc_hist_spec spec = {VKC_HIST_ABS, s->bins + 1, 0.0f, 0.0f};
    float inv = ldexpf((float)s->bins, -s->e);
    st = vkc_histogram_inv(s->ctx, x, n, dtype, &spec, inv, s->h);
    if (st == VKC_OK) vkc_stats_merge(&s->st, &b);
    return st;
}

void vkc_stream_result(const vkc_stream *s, vkc_histogram *h, vkc_stats *st, uint32_t *doublings)
{
    if (!s) return;
    memcpy(s->out, s->h, (size_t)s->bins * sizeof *s->out);
    s->out[s->bins - 1] += s->h[s->bins];
    if (h) *h = (vkc_histogram){s->out, s->bins, s->have_range ? ldexp(1.0, s->e) : 0.0};
    if (st) *st = s->st;
    if (doublings) *doublings = s->doublings;
}

void vkc_stream_destroy(vkc_stream *s)
{
    if (!s) return;
    free(s->h);
    free(s->out);
    free(s);
}
