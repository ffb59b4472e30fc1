/* Seeded random histograms of varied shapes for the search tests. */
#include "hist_gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const hist_shape_names[HIST_SHAPE_COUNT] = {
    "exp", "halfnormal", "relu", "sparse", "gaps", "outlier",
    "single", "uniform", "above-start", "sampled", "periodic", "tiny"};

static uint64_t clamp_count(double v)
{
    if (!(v > 0)) return 0;
    if (v > 0x1p40) return (uint64_t)1 << 40;
    return (uint64_t)v;
}

/* Adds roughly Poisson-sized noise so counts are not a smooth function. */
static void add_noise(vkc_rng *r, uint64_t *h, uint32_t n)
{
    for (uint32_t j = 0; j < n; j++) {
        double v = (double)h[j];
        h[j] = clamp_count(v + sqrt(v) * vkc_rng_normal(r) + 0.5);
    }
}

void hist_gen(vkc_rng *r, uint64_t *h, uint32_t n, int s)
{
    double amp = pow(2.0, 3 + 37 * vkc_rng_uniform(r));
    double scale = (double)n * (0.005 + 0.4 * vkc_rng_uniform(r));
    memset(h, 0, n * sizeof *h);
    switch (s) {
    case SHAPE_EXP:
    case SHAPE_RELU:
    case SHAPE_GAPS:
        for (uint32_t j = 0; j < n; j++) h[j] = clamp_count(amp * exp(-(double)j / scale));
        add_noise(r, h, n);
        if (s == SHAPE_RELU) h[0] = clamp_count(amp * (10 + 100 * vkc_rng_uniform(r)));
        if (s == SHAPE_GAPS) {
            int gaps = 1 + (int)(vkc_rng_next(r) % 6);
            for (int g = 0; g < gaps; g++) {
                uint32_t at = (uint32_t)(vkc_rng_next(r) % n);
                uint32_t w = 1 + (uint32_t)(vkc_rng_next(r) % (n / 8));
                for (uint32_t j = at; j < n && j < at + w; j++) h[j] = 0;
            }
        }
        break;
    case SHAPE_HALFNORMAL:
        for (uint32_t j = 0; j < n; j++) {
            double x = (double)j / scale;
            h[j] = clamp_count(amp * exp(-0.5 * x * x));
        }
        add_noise(r, h, n);
        break;
    case SHAPE_SPARSE: {
        double density = 0.002 + 0.2 * vkc_rng_uniform(r);
        for (uint32_t j = 0; j < n; j++)
            if (vkc_rng_uniform(r) < density) h[j] = 1 + clamp_count(amp * vkc_rng_uniform(r));
        break;
    }
    case SHAPE_OUTLIER: {
        uint32_t w = 3 + (uint32_t)(vkc_rng_next(r) % (n / 16));
        for (uint32_t j = 0; j < w; j++) h[j] = clamp_count(amp * exp(-3.0 * j / w));
        int far = 1 + (int)(vkc_rng_next(r) % 3);
        for (int k = 0; k < far; k++) h[n / 2 + vkc_rng_next(r) % (n / 2)] += 1 + vkc_rng_next(r) % 10;
        break;
    }
    case SHAPE_SINGLE:
        h[vkc_rng_next(r) % n] = 1 + clamp_count(amp);
        break;
    case SHAPE_UNIFORM:
        for (uint32_t j = 0; j < n; j++) h[j] = clamp_count(amp * vkc_rng_uniform(r));
        break;
    case SHAPE_ABOVE_START: {
        uint32_t from = 129 + (uint32_t)(vkc_rng_next(r) % (n / 2));
        for (uint32_t j = from; j < n; j++)
            h[j] = clamp_count(amp * exp(-(double)(j - from) / scale));
        break;
    }
    case SHAPE_SAMPLED: {
        /* Real binning: |x| of draws, over [0, max]. */
        uint32_t draws = 2000 + (uint32_t)(vkc_rng_next(r) % 40000);
        double *x = malloc(draws * sizeof *x), mx = 0;
        int heavy = (int)(vkc_rng_next(r) % 3);
        for (uint32_t k = 0; k < draws; k++) {
            double v = heavy == 0 ? vkc_rng_normal(r)
                     : heavy == 1 ? -log(1e-300 + vkc_rng_uniform(r))
                                  : vkc_rng_normal(r) / (0.05 + vkc_rng_uniform(r));
            x[k] = fabs(v);
            if (x[k] > mx) mx = x[k];
        }
        for (uint32_t k = 0; k < draws; k++) {
            uint32_t b = (uint32_t)(x[k] * ((double)n / mx));
            h[b < n ? b : n - 1]++;
        }
        free(x);
        break;
    }
    case SHAPE_PERIODIC: {
        uint32_t period = 2 + (uint32_t)(vkc_rng_next(r) % 6);
        for (uint32_t j = 0; j < n; j += period) h[j] = clamp_count(amp * exp(-(double)j / scale));
        break;
    }
    case SHAPE_TINY:
        for (uint32_t j = 0; j < n; j++)
            if (vkc_rng_uniform(r) < 0.3 * exp(-(double)j / scale)) h[j] = 1 + vkc_rng_next(r) % 3;
        break;
    default:
        break;
    }
}

/* Sizes arranged so that the O(n^2) oracle stays within the time budget. */
uint32_t hist_gen_bins(vkc_rng *r, int idx)
{
    if (idx % 100 == 0) return 8192;
    if (idx % 25 == 0) return 4096 - (uint32_t)(vkc_rng_next(r) % 1024);
    if (idx % 3 == 0) return 1025 + (uint32_t)(vkc_rng_next(r) % 1024);
    return 512 + (uint32_t)(vkc_rng_next(r) % 513);
}

