#include "kind_check.h"
#include "oracle/reference.h"
#include "pass/hist_kind.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static float key_float(uint32_t key)
{
    return vkc_bits_f32(vkc_order_key_inv(key));
}

/* Probes for spec: each edge the library derives and its neighbours two
 * ulps either way (both signs for |x| kinds), the range ends, zeros,
 * denormals, MNN's 1e-6, NaN and Inf, and uniform values over the range.
 * The edges only choose where to look: the oracle decides. */
static float *probes(const vkc_hist_spec *s, uint64_t *count, vkc_rng *r)
{
    vkc_edge_geom g;
    vkc_msg msg;
    if (vkc_edge_geom_init(s, &g, &msg) != VKC_OK) {
        fprintf(stderr, "edge table: %s\n", msg.text);
        exit(1);
    }
    uint64_t cap = ((uint64_t)s->bins + 1) * 10 + 4096, n = 0;
    float *x = malloc(cap * sizeof *x);
    if (!x) abort();
    for (uint32_t k = 0; k <= s->bins; k++) {
        if (g.keys[k] == 0xffffffffu) continue;
        float e = key_float(g.keys[k]);
        float v[5] = {nextafterf(nextafterf(e, -INFINITY), -INFINITY), nextafterf(e, -INFINITY), e,
                      nextafterf(e, INFINITY), nextafterf(nextafterf(e, INFINITY), INFINITY)};
        for (int j = 0; j < 5; j++) {
            if (!isfinite(v[j])) continue;
            x[n++] = v[j];
            if (s->kind != VKC_HIST_NUMPY && n < cap) x[n++] = -v[j];
        }
    }
    const float specials[] = {0.0f, -0.0f, s->lo, s->hi, -s->hi, nextafterf(s->hi, INFINITY), 1e-6f,
                              nextafterf(1e-6f, 1.0f), nextafterf(1e-6f, 0.0f), -1e-6f, 1e-45f, -1e-45f,
                              1.1754942e-38f, NAN, INFINITY, -INFINITY, 1e30f, -1e30f};
    for (size_t j = 0; j < sizeof specials / sizeof specials[0]; j++) x[n++] = specials[j];
    double lo = s->kind == VKC_HIST_NUMPY ? s->lo : -(double)s->hi, hi = s->hi;
    while (n < cap) x[n++] = (float)(lo + (hi - lo) * vkc_rng_uniform(r));
    /* Shuffle, so that runs of one bin and every workgroup's slice mix. */
    for (uint64_t i = n - 1; i > 0; i--) {
        uint64_t j = vkc_rng_next(r) % (i + 1);
        float t = x[i];
        x[i] = x[j];
        x[j] = t;
    }
    vkc_edge_geom_free(&g);
    *count = n;
    return x;
}

void kind_histogram(vkc_context *ctx, const float *x, uint64_t n, const vkc_hist_spec *spec, uint64_t *counts)
{
    vkc_status st = vkc_histogram_f32(ctx, x, n, spec, counts);
    if (st != VKC_OK) {
        fprintf(stderr, "histogram (%s): %s\n", vkc_kind_name(spec->kind), vkc_context_error(ctx));
        exit(1);
    }
}

/* Widens x to float16 where it is exactly representable (so the float16
 * path must give the float32 counts of those values). */
static uint64_t halves(const float *x, uint64_t n, uint16_t *h, float *back)
{
    uint64_t m = 0;
    for (uint64_t i = 0; i < n; i++) {
        float v = x[i];
        uint32_t b;
        memcpy(&b, &v, 4);
        uint32_t e = (b >> 23) & 0xff, man = b & 0x7fffff, s = (b >> 16) & 0x8000;
        if (e == 0xff) continue;
        if (e >= 113 && e <= 142 && (man & 0x1fff) == 0) {
            h[m] = (uint16_t)(s | ((e - 112) << 10) | (man >> 13));
            back[m++] = v;
        }
    }
    return m;
}

static void one(vkc_context *ctx, const char *label, const char *name, const vkc_hist_spec *s, vkc_rng *r)
{
    uint64_t n;
    float *x = probes(s, &n, r);
    uint64_t *want = calloc(s->bins, 8), *got = calloc(s->bins, 8), *split = calloc(s->bins, 8);
    REQUIRE(vkc_ref_histogram(x, n, s, want) == VKC_OK);
    kind_histogram(ctx, x, n, s, got);
    /* Batches: the same values over three calls, of uneven sizes. */
    uint64_t a = n / 7, b = n / 2;
    kind_histogram(ctx, x, a, s, split);
    kind_histogram(ctx, x + a, b - a, s, split);
    kind_histogram(ctx, x + b, n - b, s, split);
    uint32_t bad = 0, first = 0;
    for (uint32_t k = 0; k < s->bins; k++)
        if (got[k] != want[k] || split[k] != want[k]) {
            if (!bad) first = k;
            bad++;
        }
    REQUIREF(bad == 0, "%s: %s (%s, %u bins, [%g, %g]): %u bins differ, first %u: backend %llu, split %llu, oracle %llu",
             label, name, vkc_kind_name(s->kind), s->bins, (double)s->lo, (double)s->hi, bad, first,
             (unsigned long long)got[first], (unsigned long long)split[first], (unsigned long long)want[first]);
    uint64_t total = 0;
    for (uint32_t k = 0; k < s->bins; k++) total += want[k];
    REQUIREF(total > 0 || s->kind == VKC_HIST_NCNN, "%s: %s: the oracle counted nothing", label, name);

    /* float16 inputs bin as their float32 values. */
    uint16_t *h = malloc(n * 2);
    float *back = malloc(n * 4);
    uint64_t m = halves(x, n, h, back);
    memset(want, 0, (size_t)s->bins * 8);
    memset(got, 0, (size_t)s->bins * 8);
    REQUIRE(vkc_ref_histogram(back, m, s, want) == VKC_OK);
    REQUIRE(vkc_histogram_host(ctx, h, m, VKC_DTYPE_F16, s, got) == VKC_OK);
    REQUIREF(memcmp(want, got, (size_t)s->bins * 8) == 0, "%s: %s: float16 counts differ", label, name);
    free(h);
    free(back);
    free(x);
    free(want);
    free(got);
    free(split);
}

void kind_check_all(vkc_context *ctx, const char *label)
{
    vkc_rng r = {2024};
    const struct {
        const char *name;
        vkc_hist_spec s;
    } cases[] = {
        {"numpy mxnet 8001", {VKC_HIST_NUMPY, 8001, -3.7f, 3.7f}},
        {"numpy ort 2048", {VKC_HIST_NUMPY, 2048, -0.123f, 0.123f}},
        {"numpy ort 128", {VKC_HIST_NUMPY, 128, -65504.0f, 65504.0f}},
        {"numpy tiny", {VKC_HIST_NUMPY, 8001, -1e-30f, 1e-30f}},
        {"numpy asym", {VKC_HIST_NUMPY, 255, -1.0f, 7.25f}},
        {"numpy empty range", {VKC_HIST_NUMPY, 8001, 0.0f, 0.0f}},
        {"ncnn", {VKC_HIST_NCNN, 2048, 0, 6.0f}},
        {"ncnn odd A", {VKC_HIST_NCNN, 2048, 0, 0.3f}},
        {"ncnn 3 bins", {VKC_HIST_NCNN, 3, 0, 1.0f}},
        {"mnn", {VKC_HIST_MNN, 2048, 0, 13.3f}},
        {"mnn small", {VKC_HIST_MNN, 2048, 0, 2e-3f}},
        {"mnn invalid", {VKC_HIST_MNN, 2048, 0, 5e-6f}},
        {"paddle", {VKC_HIST_PADDLE, 2048, 0.0125f, 3.3f}},
        {"paddle from 0", {VKC_HIST_PADDLE, 2048, 0.0f, 1e-3f}},
        {"paddle constant", {VKC_HIST_PADDLE, 2048, 2.0f, 2.0f}},
        {"torch ppq", {VKC_HIST_TORCH, 4096, 0.0f, 5.5f}},
        {"torch odd", {VKC_HIST_TORCH, 1000, 0.25f, 3.0f}},
        {"torch empty range", {VKC_HIST_TORCH, 4096, 0.0f, 0.0f}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) one(ctx, label, cases[i].name, &cases[i].s, &r);
}
