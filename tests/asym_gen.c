/* Seeded random signed histograms for the two-sided search tests. */
#include "asym_gen.h"
#include "hist_gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const as_names[AS_COUNT] = {"two-sided", "skewed", "far-outliers", "post-relu",
                                        "abs-shape", "sparse", "bimodal", "gaps"};

static uint64_t clampc(double v)
{
    if (!(v > 0)) return 0;
    if (v > 0x1p40) return (uint64_t)1 << 40;
    return (uint64_t)v;
}

static void noise(vkc_rng *r, uint64_t *h, uint32_t n)
{
    for (uint32_t j = 0; j < n; j++) {
        double v = (double)h[j];
        h[j] = clampc(v + sqrt(v) * vkc_rng_normal(r) + 0.5);
    }
}

/* Fills h[0..n-1] and the range [lo, hi] of a signed histogram of shape s. */
void asym_gen(vkc_rng *r, uint64_t *h, uint32_t n, int s, double *lo, double *hi)
{
    double amp = pow(2.0, 3 + 37 * vkc_rng_uniform(r));
    double p = (double)n * vkc_rng_uniform(r);
    double sl = 1 + (double)n * 0.3 * vkc_rng_uniform(r), sr = 1 + (double)n * 0.3 * vkc_rng_uniform(r);
    memset(h, 0, n * sizeof *h);
    /* A range that puts zero somewhere (or nowhere) in the histogram. */
    double span = exp(4 * vkc_rng_normal(r));
    double zero_at = vkc_rng_uniform(r) * 1.4 - 0.2; /* fraction of the range left of 0 */
    *lo = -zero_at * span;
    *hi = *lo + span;
    switch (s) {
    case AS_TWO_SIDED:
        for (uint32_t j = 0; j < n; j++) {
            double d = (double)j - p;
            double x = d < 0 ? -d / sl : d / sr;
            h[j] = clampc(amp * (vkc_rng_next(r) & 1 ? exp(-x) : exp(-0.5 * x * x)));
        }
        noise(r, h, n);
        break;
    case AS_SKEWED: {
        double k = 1 + 4 * vkc_rng_uniform(r);
        for (uint32_t j = 0; j < n; j++) {
            double x = ((double)j - p * 0.3) / (sr * 0.3 + 1);
            h[j] = x > 0 ? clampc(amp * pow(x, k) * exp(-x)) : clampc(amp * 1e-3 * exp(x * 3));
        }
        noise(r, h, n);
        break;
    }
    case AS_OUTLIERS: {
        uint32_t c = n / 4 + (uint32_t)(vkc_rng_next(r) % (n / 2 + 1)), wdt = 2 + (uint32_t)(vkc_rng_next(r) % (n / 8 + 1));
        for (uint32_t j = 0; j < n; j++) {
            double x = ((double)j - c) / wdt;
            h[j] = clampc(amp * exp(-0.5 * x * x));
        }
        int far = 1 + (int)(vkc_rng_next(r) % 4);
        for (int k = 0; k < far; k++) {
            uint32_t at = vkc_rng_next(r) & 1 ? (uint32_t)(vkc_rng_next(r) % 3) : n - 1 - (uint32_t)(vkc_rng_next(r) % 3);
            if (vkc_rng_next(r) % 3 == 0) at = (uint32_t)(vkc_rng_next(r) % n);
            h[at] += 1 + vkc_rng_next(r) % 20;
        }
        break;
    }
    case AS_RELU: {
        /* All mass at x >= 0: the range starts at 0 (exact min) or below it
         * (a merged/streamed range), with a spike in the zero bin. */
        uint32_t z = vkc_rng_next(r) & 1 ? 0 : (uint32_t)(vkc_rng_next(r) % (n / 2));
        *lo = -(double)z / n * span;
        *hi = *lo + span;
        for (uint32_t j = z; j < n; j++) h[j] = clampc(amp * exp(-((double)j - z) / sr));
        noise(r, h, n);
        h[z] += clampc(amp * (1 + 50 * vkc_rng_uniform(r)));
        break;
    }
    case AS_ABS_SHAPE: {
        if (n < 64) { /* hist_gen wants room for its gaps and tails */
            for (uint32_t j = 0; j < n; j++) h[j] = clampc(amp * exp(-(double)j / sl));
            break;
        }
        hist_gen(r, h, n, (int)(vkc_rng_next(r) % HIST_SHAPE_COUNT));
        if (vkc_rng_next(r) & 1)
            for (uint32_t j = 0; j < n / 2; j++) {
                uint64_t t = h[j];
                h[j] = h[n - 1 - j];
                h[n - 1 - j] = t;
            }
        break;
    }
    case AS_SPARSE: {
        double density = 0.01 + 0.3 * vkc_rng_uniform(r);
        int tiny = (int)(vkc_rng_next(r) % 2);
        for (uint32_t j = 0; j < n; j++)
            if (vkc_rng_uniform(r) < density) h[j] = tiny ? 1 + vkc_rng_next(r) % 3 : 1 + clampc(amp * vkc_rng_uniform(r));
        break;
    }
    case AS_BIMODAL: {
        double p2 = (double)n * vkc_rng_uniform(r), amp2 = amp * pow(2.0, -10 * vkc_rng_uniform(r));
        for (uint32_t j = 0; j < n; j++) {
            double x1 = ((double)j - p) / sl, x2 = ((double)j - p2) / sr;
            h[j] = clampc(amp * exp(-0.5 * x1 * x1) + amp2 * exp(-0.5 * x2 * x2));
        }
        noise(r, h, n);
        break;
    }
    case AS_GAPS:
    default:
        for (uint32_t j = 0; j < n; j++) {
            double d = fabs((double)j - p);
            h[j] = clampc(amp * exp(-d / sl));
        }
        noise(r, h, n);
        for (int g = 0; g < 1 + (int)(vkc_rng_next(r) % 5); g++) {
            uint32_t at = (uint32_t)(vkc_rng_next(r) % n), wdt = 1 + (uint32_t)(vkc_rng_next(r) % (n / 6 + 1));
            for (uint32_t j = at; j < n && j < at + wdt; j++) h[j] = 0;
        }
        break;
    }
}
