/* The quality pass: CPU and GPU agree with an independent double
 * computation, and the extra bit of unsigned and asymmetric ranges is real
 * (for a non-negative tensor their SQNR is at least the symmetric SQNR at
 * the same threshold). */
#include "policy/range_policy.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static vkc_quant quant_of(const vkc_qparams *q)
{
    vkc_quant r = {(float)q->scale, q->zero_point, -127, 127};
    if (q->mode == VKC_MODE_UNSIGNED) r.qmin = 0, r.qmax = 255;
    else if (q->mode == VKC_MODE_ASYMMETRIC) r.qmin = -128, r.qmax = 127;
    return r;
}

/* Straight from the definition (vkc_quality), one value at a time: the
 * float32 code arithmetic, the squares summed in long double. */
static vkc_quality oracle(const float *x, uint64_t n, const vkc_quant *q)
{
    vkc_quality r = {0};
    long double sig = 0, err = 0;
    const float inv = 1.0f / q->scale, lo = (float)(q->qmin - q->zero_point), hi = (float)(q->qmax - q->zero_point);
    for (uint64_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) continue;
        float t = x[i] * inv, code = nearbyintf(t);
        if (code < lo || code > hi) r.clipped++;
        code = fminf(fmaxf(code, lo), hi);
        float e = t - code;
        sig += (long double)(t * t);
        err += (long double)(e * e);
        r.count++;
    }
    r.signal = (double)(sig * (long double)q->scale * (long double)q->scale);
    r.noise = (double)(err * (long double)q->scale * (long double)q->scale);
    return r;
}

static int close_rel(double a, double b, double rel)
{
    return fabs(a - b) <= rel * fmax(fabs(a), fabs(b)) + 1e-300;
}

static void check(vkc_context *ctx, const char *label, const float *x, uint64_t n, const vkc_quant *q, double rel)
{
    vkc_quality got = {0}, want = oracle(x, n, q);
    REQUIREF(vkc_measure_f32(ctx, x, n, q, &got) == VKC_OK, "%s: %s", label, vkc_context_error(ctx));
    REQUIREF(got.count == want.count, "%s: count %llu vs %llu", label, (unsigned long long)got.count,
             (unsigned long long)want.count);
    REQUIREF(close_rel(got.signal, want.signal, rel) && close_rel(got.noise, want.noise, rel),
             "%s: signal %.9g/%.9g noise %.9g/%.9g", label, got.signal, want.signal, got.noise, want.noise);
    REQUIREF((double)(got.clipped > want.clipped ? got.clipped - want.clipped : want.clipped - got.clipped) <=
                 1e-6 * (double)n + 0.5,
             "%s: clipped %llu vs %llu", label, (unsigned long long)got.clipped, (unsigned long long)want.clipped);
}

static void run(vkc_context *ctx, const char *label, double rel)
{
    uint64_t n = 3000017;
    float *relu = malloc(n * sizeof *relu), *sym = malloc(n * sizeof *sym);
    vkc_rng r = {99};
    for (uint64_t i = 0; i < n; i++) {
        double g = vkc_rng_normal(&r);
        relu[i] = g > 0 ? (float)g : 0.0f;
        sym[i] = (float)(vkc_rng_normal(&r) * 2.0 + 0.3);
        if (i % 100000 == 3) sym[i] = NAN;
    }
    double T = 3.0;
    vkc_qparams qs, qu, qa, qsym;
    vkc_msg msg;
    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_SYMMETRIC, -T, T, &qs, &msg), ==, VKC_OK);
    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_UNSIGNED, 0, T, &qu, &msg), ==, VKC_OK);
    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_ASYMMETRIC, 0, T, &qa, &msg), ==, VKC_OK);
    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_ASYMMETRIC, -5.0, 6.5, &qsym, &msg), ==, VKC_OK);
    vkc_quant s = quant_of(&qs), u = quant_of(&qu), a = quant_of(&qa), as = quant_of(&qsym);
    char what[64];
    snprintf(what, sizeof what, "%s relu symmetric", label);
    check(ctx, what, relu, n, &s, rel);
    snprintf(what, sizeof what, "%s relu unsigned", label);
    check(ctx, what, relu, n, &u, rel);
    snprintf(what, sizeof what, "%s relu asymmetric", label);
    check(ctx, what, relu, n, &a, rel);
    snprintf(what, sizeof what, "%s signed asymmetric", label);
    check(ctx, what, sym, n, &as, rel);

    /* At a clipping threshold the clipped tail dominates the noise, so the
     * gain is small but never negative; with no clipping the extra bit is
     * worth about 6 dB. */
    float mx = 0;
    for (uint64_t i = 0; i < n; i++) mx = relu[i] > mx ? relu[i] : mx;
    double thresholds[2] = {T, mx};
    for (int k = 0; k < 2; k++) {
        vkc_qparams ps, pu, pa;
        REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_SYMMETRIC, -thresholds[k], thresholds[k], &ps, &msg), ==, VKC_OK);
        REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_UNSIGNED, 0, thresholds[k], &pu, &msg), ==, VKC_OK);
        REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_ASYMMETRIC, 0, thresholds[k], &pa, &msg), ==, VKC_OK);
        vkc_quant ks = quant_of(&ps), ku = quant_of(&pu), ka = quant_of(&pa);
        vkc_quality qs_r = {0}, qu_r = {0}, qa_r = {0};
        REQUIRE_CMP(vkc_measure_f32(ctx, relu, n, &ks, &qs_r), ==, VKC_OK);
        REQUIRE_CMP(vkc_measure_f32(ctx, relu, n, &ku, &qu_r), ==, VKC_OK);
        REQUIRE_CMP(vkc_measure_f32(ctx, relu, n, &ka, &qa_r), ==, VKC_OK);
        double ds = vkc_quality_sqnr_db(&qs_r), du = vkc_quality_sqnr_db(&qu_r), da = vkc_quality_sqnr_db(&qa_r);
        double gain = k ? 5.0 : 0.0;
        printf("%s: relu at T=%g: symmetric %.2f dB, unsigned %.2f dB, asymmetric %.2f dB\n", label,
               thresholds[k], ds, du, da);
        REQUIREF(du >= ds + gain, "%s: unsigned %.2f dB, symmetric %.2f dB at T=%g", label, du, ds, thresholds[k]);
        REQUIREF(da >= ds + gain, "%s: asymmetric %.2f dB, symmetric %.2f dB at T=%g", label, da, ds, thresholds[k]);
    }

    /* A lossless grid: values already on the quantizer's codes. */
    for (uint64_t i = 0; i < 1000; i++) relu[i] = (float)((int)(i % 255) - 127) * 0.5f;
    vkc_quant grid = {0.5f, 0, -127, 127};
    vkc_quality g = {0};
    REQUIRE_CMP(vkc_measure_f32(ctx, relu, 1000, &grid, &g), ==, VKC_OK);
    REQUIRE_CMP(g.noise, ==, 0.0);
    REQUIRE_CMP(g.clipped, ==, 0);
    REQUIRE(isinf(vkc_quality_sqnr_db(&g)));
    /* Bad quantizers are errors, not NaN. */
    vkc_quant bad = {0.0f, 0, -127, 127};
    REQUIRE_CMP(vkc_measure_f32(ctx, relu, 10, &bad, &g), ==, VKC_ERROR_INVALID_ARGUMENT);
    free(relu);
    free(sym);
}

/* Both backends sum exactly: agreement with the long-double oracle is only
 * limited by its own rounding and the 2^-32 truncation. */
static void run_backend(vkc_context *ctx, const char *label)
{
    run(ctx, label, 1e-9);
}

/* B14: the sums are the same bits on the CPU backend and the GPU, whatever
 * the chunking and the order of calls (report printed the last digits of
 * SQNR differently on the two). */
static void test_bitwise(void)
{
    int skip = 0;
    vkc_context *gpu = vkc_test_gpu_context(0, 0, &skip), *cpu = vkc_test_cpu_context();
    if (!gpu || !cpu) {
        vkc_context_destroy(cpu);
        if (gpu) vkc_test_gpu_context_done(gpu);
        return;
    }
    const uint64_t n = 1000003;
    float *x = malloc(n * sizeof *x);
    vkc_rng r = {1414};
    for (uint64_t i = 0; i < n; i++) {
        double g = vkc_rng_normal(&r);
        x[i] = (float)(i % 3 == 0 ? (g > 0 ? g : 0.0) : g * 1.7 + 0.2);
        if (i % 9973 == 0) x[i] = (float)(g * 1e30); /* huge: clipped, squares near FLT_MAX */
        if (i % 7919 == 1) x[i] = 1e-40f;            /* subnormal */
    }
    const vkc_quant qs[3] = {{0.0236f, 0, -127, 127}, {0.0117f, 0, 0, 255}, {0.0301f, -33, -128, 127}};
    for (int k = 0; k < 3; k++) {
        vkc_quality a = {0}, b = {0}, c = {0};
        REQUIRE_CMP(vkc_measure_f32(cpu, x, n, &qs[k], &a), ==, VKC_OK);
        REQUIREF(vkc_measure_f32(gpu, x, n, &qs[k], &b) == VKC_OK, "%s", vkc_context_error(gpu));
        /* Another chunking, in reverse order, on the GPU. */
        uint64_t cuts[4] = {0, 12345, 500001, n};
        for (int p = 2; p >= 0; p--) REQUIRE_CMP(vkc_measure_f32(gpu, x + cuts[p], cuts[p + 1] - cuts[p], &qs[k], &c), ==, VKC_OK);
        REQUIREF(memcmp(&a, &b, sizeof a) == 0 && memcmp(&a, &c, sizeof a) == 0,
                 "quantizer %d: CPU %.17g dB, GPU %.17g dB, GPU chunked %.17g dB (signal %.17g / %.17g)", k,
                 vkc_quality_sqnr_db(&a), vkc_quality_sqnr_db(&b), vkc_quality_sqnr_db(&c), a.signal, b.signal);
        REQUIRE_CMP(a.clipped, >, 0);
    }
    /* One accumulator per quantizer. */
    vkc_quality m = {0};
    REQUIRE_CMP(vkc_measure_f32(cpu, x, 10, &qs[0], &m), ==, VKC_OK);
    REQUIRE_CMP(vkc_measure_f32(cpu, x, 10, &qs[1], &m), ==, VKC_ERROR_MISMATCH);
    printf("bitwise: CPU and GPU measure the same bits, chunked or not\n");
    free(x);
    vkc_context_destroy(cpu);
    vkc_test_gpu_context_done(gpu);
}

int main(void)
{
    test_bitwise();
    return vkc_test_on_backends(run_backend);
}
