#include "hist_check.h"
#include "oracle/reference.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static float *alloc_f(uint64_t n)
{
    float *x = malloc((n ? n : 1) * sizeof *x);
    if (!x) abort();
    return x;
}

enum { SIZES_BASE = 12 };
/* The sizes that stress partitioning: empty, tiny, one workgroup of 256
 * invocations +-1, a grid-stride step, and several workgroups. */
static const uint64_t kSizes[] = {0, 1, 7, 255, 256, 257, 4095, 4096, 4097, 65537, 1000003};

static const char *const kShapes[] = {"uniform", "halfnormal", "heavy",   "relu",     "allzero",
                                      "constant", "edges",     "denormal", "signed0", "nonfinite",
                                      "tinyrange", "normal"};
#define NSHAPES (int)(sizeof kShapes / sizeof kShapes[0])
#define NSIZES (int)(sizeof kSizes / sizeof kSizes[0])

int hist_case_count(void)
{
    return NSHAPES * NSIZES + 8; /* + seeded random shapes and sizes */
}

static void fill(const char *shape, float *x, uint64_t n, vkc_rng *r)
{
    for (uint64_t i = 0; i < n; i++) {
        double u = vkc_rng_uniform(r);
        float v;
        if (!strcmp(shape, "uniform")) v = (float)(u * 2.0 - 1.0);
        else if (!strcmp(shape, "halfnormal")) v = (float)fabs(vkc_rng_normal(r));
        else if (!strcmp(shape, "normal")) v = (float)(vkc_rng_normal(r) * 3.0 + 0.5);
        else if (!strcmp(shape, "heavy")) {
            /* Cauchy-like tails and a few extreme outliers. */
            v = (float)(vkc_rng_normal(r) / (u + 1e-7));
            if (i % 9973 == 5) v = (i & 1) ? 3.0e38f : -2.5e38f;
        } else if (!strcmp(shape, "relu")) {
            double g = vkc_rng_normal(r);
            v = (i % 3 == 0 || g < 0) ? 0.0f : (float)g; /* at least half exact zeros */
        } else if (!strcmp(shape, "allzero")) v = 0.0f;
        else if (!strcmp(shape, "constant")) v = -1.75f;
        else if (!strcmp(shape, "edges")) {
            /* Values exactly on bin edges k * (A / 2048) with A = 2.5. */
            uint32_t k = (uint32_t)(vkc_rng_next(r) % 2049);
            v = (float)k * (2.5f / 2048.0f);
            if (i == 0) v = 2.5f;
            if (i % 2) v = -v;
        } else if (!strcmp(shape, "denormal")) {
            /* Denormals beside normals; every few cases the largest is itself
             * denormal (a degenerate width). */
            uint32_t man = (uint32_t)(vkc_rng_next(r) & 0x7fffffu);
            v = vkc_bits_f32(man | (i % 2 ? 0x80000000u : 0));
            if (n > 100 && i % 97 == 0) v = (float)u * 1e-30f;
        } else if (!strcmp(shape, "signed0")) v = (i % 2) ? -0.0f : 0.0f;
        else if (!strcmp(shape, "nonfinite")) {
            uint64_t k = vkc_rng_next(r) % 10;
            v = k == 0 ? NAN : k == 1 ? INFINITY : k == 2 ? -INFINITY : k == 3 ? -NAN : (float)(u - 0.3);
        } else { /* tinyrange: width just above and below 2^-100 */
            v = (float)(u * (n % 2 ? 1e-30 : 1e-31));
        }
        x[i] = v;
    }
}

void hist_case_make(int i, hist_case *c)
{
    vkc_rng r = {0x5eed0000u + (uint64_t)i};
    if (i < NSHAPES * NSIZES) {
        const char *shape = kShapes[i / NSIZES];
        c->n = kSizes[i % NSIZES];
        snprintf(c->name, sizeof c->name, "%s/%llu", shape, (unsigned long long)c->n);
        c->x = alloc_f(c->n);
        fill(shape, c->x, c->n, &r);
        return;
    }
    /* Seeded random shape and size. */
    const char *shape = kShapes[vkc_rng_next(&r) % NSHAPES];
    c->n = vkc_rng_next(&r) % 300000;
    snprintf(c->name, sizeof c->name, "random-%d-%s/%llu", i, shape, (unsigned long long)c->n);
    c->x = alloc_f(c->n);
    fill(shape, c->x, c->n, &r);
}

static int stats_equal(const vkc_stats *a, const vkc_stats *b)
{
    return memcmp(&a->min, &b->min, 4) == 0 && memcmp(&a->max, &b->max, 4) == 0 &&
           memcmp(&a->absmax, &b->absmax, 4) == 0 && a->count == b->count && a->zeros == b->zeros &&
           a->nan == b->nan && a->pos_inf == b->pos_inf && a->neg_inf == b->neg_inf;
}

static void check_hist(vkc_context *ctx, const char *label, const char *name, const float *x, uint64_t n,
                       const vkc_hist_spec *spec)
{
    uint64_t *want = calloc(spec->bins, 8), *got = calloc(spec->bins, 8);
    if (!want || !got) abort();
    REQUIRE_CMP(vkc_ref_histogram(x, n, spec, want), ==, VKC_OK);
    vkc_status s = vkc_histogram_f32(ctx, x, n, spec, got);
    REQUIREF(s == VKC_OK, "%s %s: histogram failed: %s", label, name, vkc_context_error(ctx));
    uint32_t bad = 0, first = 0;
    for (uint32_t b = 0; b < spec->bins; b++)
        if (want[b] != got[b] && bad++ == 0) first = b;
    REQUIREF(bad == 0, "%s %s (%s, %u bins, [%g, %g]): %u bins differ, first %u: want %llu got %llu", label,
             name, spec->kind == VKC_HIST_ABS ? "abs" : "signed", spec->bins, (double)spec->lo,
             (double)spec->hi, bad, first, (unsigned long long)want[first], (unsigned long long)got[first]);
    free(want);
    free(got);
}

void hist_check_one(vkc_context *ctx, const char *label, const char *name, const float *x, uint64_t n,
                    uint32_t bins)
{
    vkc_stats want = {0}, got = {0};
    vkc_ref_range(x, n, &want);
    vkc_status s = vkc_range_f32(ctx, x, n, &got);
    REQUIREF(s == VKC_OK, "%s %s: range failed: %s", label, name, vkc_context_error(ctx));
    REQUIREF(stats_equal(&want, &got),
             "%s %s: range differs: want min %a max %a abs %a n %llu z %llu nan %llu +inf %llu -inf %llu; "
             "got min %a max %a abs %a n %llu z %llu nan %llu +inf %llu -inf %llu",
             label, name, want.min, want.max, want.absmax, (unsigned long long)want.count,
             (unsigned long long)want.zeros, (unsigned long long)want.nan, (unsigned long long)want.pos_inf,
             (unsigned long long)want.neg_inf, got.min, got.max, got.absmax, (unsigned long long)got.count,
             (unsigned long long)got.zeros, (unsigned long long)got.nan, (unsigned long long)got.pos_inf,
             (unsigned long long)got.neg_inf);
    vkc_hist_spec abs_spec = {VKC_HIST_ABS, bins, 0.0f, want.absmax};
    check_hist(ctx, label, name, x, n, &abs_spec);
    float lo = want.min < 0 ? want.min : 0.0f, hi = want.max > 0 ? want.max : 0.0f;
    vkc_hist_spec signed_spec = {VKC_HIST_SIGNED, bins, lo, hi};
    if (isfinite(hi - lo)) check_hist(ctx, label, name, x, n, &signed_spec);
}

void hist_check_all(vkc_context *ctx, const char *label)
{
    for (int i = 0; i < hist_case_count(); i++) {
        hist_case c;
        hist_case_make(i, &c);
        hist_check_one(ctx, label, c.name, c.x, c.n, 2048);
        if (i % 5 == 0) hist_check_one(ctx, label, c.name, c.x, c.n, 1000 + (uint32_t)i);
        free(c.x);
    }
}
