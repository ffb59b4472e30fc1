/* Two-sided (asymmetric) entropy and MSE searches on a Vulkan device
 * (lavapipe, with validation): the GPU's float32 bounds hold on every window
 * of small histograms; the GPU searches choose exactly the window the
 * brute-force reference chooses (N <= 256, and wider histograms with a
 * large minimum window), and the window the fast CPU search chooses at
 * N = 2048 in one dispatch; the same with subgroup arithmetic masked, with
 * the output split over several dispatches, and (entropy) with the
 * workgroup summary ignored. Prints the GPU times at N = 2048. */
#include "search/asym.h"
#include "search/entropy.h"
#include "vk/gpu.h"
#include "hist_gen.h"
#include "asym_gen.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


/* Puts 0 inside [lo, hi], as the calibrator's histograms always have it
 * (the entropy search needs it; tests/test_cpu_asym.c has the same). */
static void with_zero(double *lo, double *hi)
{
    if (*lo > 0) *lo = 0;
    if (*hi < 0) *hi = 0;
}

/* ------------------------------------------------------------------------ */

static int same(const vkc_asym_result *x, const vkc_asym_result *y)
{
    return x->a == y->a && x->b == y->b && x->fallback == y->fallback && x->lo == y->lo && x->hi == y->hi &&
           x->value == y->value && x->windows == y->windows && x->inf_windows == y->inf_windows;
}

/* GPU == reference on small histograms; the float32 bound on every window
 * (read back from the output buffer the search left behind). */
static void test_small(vkc_context *ctx, const char *label, int cases, uint64_t seed, int check_bound)
{
    vkc_rng r = {seed};
    uint64_t h[800];
    uint64_t windows = 0, kept = 0, reeval = 0, bounded = 0;
    double worst = 0, mean_err = 0;
    for (int c = 0; c < cases; c++) {
        uint32_t n, start;
        switch (c % 5) {
        case 0: n = 256; start = 0; break;
        case 1: n = 256; start = 16 + (uint32_t)(vkc_rng_next(&r) % 100); break;
        case 2: n = 2 + (uint32_t)(vkc_rng_next(&r) % 200); start = 1 + (uint32_t)(vkc_rng_next(&r) % n); break;
        case 3: n = 257 + (uint32_t)(vkc_rng_next(&r) % 500); start = n - 30 - (uint32_t)(vkc_rng_next(&r) % 100); break;
        default: n = 129 + (uint32_t)(vkc_rng_next(&r) % 128); start = 0; break;
        }
        int shape = (int)(vkc_rng_next(&r) % AS_COUNT);
        double lo, hi;
        asym_gen(&r, h, n, shape, &lo, &hi);
        with_zero(&lo, &hi);
        vkc_asym_result gpu, ref;
        vkc_msg msg;
        vkc_status s = vkc_asym_entropy_gpu(ctx, h, n, lo, hi, start, &gpu);
        REQUIREF(s == VKC_OK, "%s: %s", label, vkc_context_error(ctx));
        REQUIRE_CMP(vkc_asym_entropy_reference(h, n, lo, hi, start, &ref, &msg), ==, VKC_OK);
        REQUIREF(same(&gpu, &ref), "%s case %d (%s, n %u, start %u): GPU (%u, %u) fb %d, reference (%u, %u) fb %d",
                 label, c, as_names[shape], n, start, gpu.a, gpu.b, gpu.fallback, ref.a, ref.b, ref.fallback);
        windows += gpu.windows;
        kept += gpu.fast_checked;
        reeval += gpu.reevaluated;
        if (!check_bound || s != VKC_OK || gpu.fallback) continue;
        /* Every searched window's float32 value against the reference (the
         * others, without the zero bin, are not written). */
        vkc_asym_hist ah;
        REQUIRE_CMP(vkc_asym_kl_prepare(&ah, h, n, lo, hi, &msg), ==, VKC_OK);
        const float *out = ctx->out.map;
        uint32_t st = start ? start : 128;
        for (uint32_t m = st; m <= n; m++) {
            uint32_t a0, a1;
            vkc_asym_width_range(&ah, m, &a0, &a1);
            for (uint32_t a = a0; a <= a1; a++) {
                const uint32_t b = a + m;
                uint64_t k = vkc_asym_window_index(n, st, a, b);
                double v = out[2 * k], e = out[2 * k + 1], rv = vkc_asym_kl_reference(&ah, a, b);
                if (vkc_asym_kl_is_inf(&ah, a, b)) {
                    REQUIRE_CMP(v, >=, 3e38);
                    continue;
                }
                REQUIREF(fabs(v - rv) <= e + vkc_asym_kl_ref_err(&ah, rv),
                         "%s GPU bound: %s n %u window (%u, %u): GPU %.9g, reference %.17g, bound %.3g", label,
                         as_names[shape], n, a, b, v, rv, e);
                if (e > 0 && fabs(v - rv) / e > worst) worst = fabs(v - rv) / e;
                mean_err += e;
                bounded++;
            }
        }
        vkc_asym_hist_free(&ah);
    }
    printf("%s: %d histograms, GPU choice == reference; %llu windows, %llu kept by the float32 bounds, "
           "%llu re-evaluated with the reference\n",
           label, cases, (unsigned long long)windows, (unsigned long long)kept, (unsigned long long)reeval);
    if (check_bound)
        printf("%s: float32 bound holds on %llu windows; worst |GPU - reference| / bound %.3g, mean bound %.3g\n",
               label, (unsigned long long)bounded, worst, bounded ? mean_err / bounded : 0.0);
}

static void gen_2048(vkc_rng *r, uint64_t *h, int k, double *lo, double *hi)
{
    const uint32_t n = 2048;
    if (k == 0) {
        for (uint32_t j = 0; j < n; j++) {
            double x = ((double)j - 1300.0) / (j < 1300 ? 220.0 : 120.0);
            h[j] = (uint64_t)(3e7 * exp(-0.5 * x * x)) + (vkc_rng_next(r) % 3 == 0);
        }
        h[3] += 2;
        h[2040] += 5;
        *lo = -4.0;
        *hi = 2.5;
        return;
    }
    asym_gen(r, h, n, (int[]){AS_TWO_SIDED, AS_RELU, AS_OUTLIERS, AS_SKEWED, AS_BIMODAL}[k % 5], lo, hi);
    with_zero(lo, hi);
}

/* N = 2048: GPU == fast CPU, one dispatch; the GPU time. */
static void test_2048(vkc_context *ctx, const char *label, int cases, uint64_t seed, int timing)
{
    enum { N = 2048 };
    uint64_t *h = malloc(N * sizeof *h);
    vkc_rng r = {seed};
    for (int k = 0; k < cases; k++) {
        double lo, hi;
        gen_2048(&r, h, k, &lo, &hi);
        vkc_asym_result gpu, cpu, nocells;
        vkc_msg msg;
        uint64_t before = vkc_context_dispatch_count(ctx);
        double t0 = vkc_test_now();
        vkc_status s = vkc_asym_entropy_gpu(ctx, h, N, lo, hi, 0, &gpu);
        double t1 = vkc_test_now();
        REQUIREF(s == VKC_OK, "%s: %s", label, vkc_context_error(ctx));
        uint64_t dispatches = vkc_context_dispatch_count(ctx) - before;
        if (ctx->max_chunk_bytes == 0) REQUIREF(dispatches == 1, "%s: %llu dispatches", label, (unsigned long long)dispatches);
        double gpu_ns = vkc_context_last_gpu_ns(ctx);
        /* The same values without the workgroup summary. */
        vkc_asym_hist ah;
        REQUIRE_CMP(vkc_asym_kl_prepare(&ah, h, N, lo, hi, &msg), ==, VKC_OK);
        REQUIRE_CMP(vkc_asym_entropy_select(&ah, lo, hi, 0, ctx->out.map, NULL, 0, 2, &nocells, &msg), ==, VKC_OK);
        vkc_asym_hist_free(&ah);
        double t2 = vkc_test_now();
        REQUIRE_CMP(vkc_asym_entropy_cpu(h, N, lo, hi, 0, &cpu, &msg), ==, VKC_OK);
        double t3 = vkc_test_now();
        REQUIREF(same(&gpu, &cpu), "%s 2048 case %d: GPU (%u, %u) KL %.17g, CPU (%u, %u) KL %.17g", label, k, gpu.a,
                 gpu.b, gpu.value, cpu.a, cpu.b, cpu.value);
        REQUIRE(same(&nocells, &gpu));
        printf("%s N=2048 case %d: window (%u, %u) KL %.6g; %llu dispatch(es); GPU search %.3f s wall "
               "(device %.3f s), %llu windows kept by the float32 bounds, %llu by the double bounds; "
               "CPU exhaustive %.3f s\n",
               label, k, gpu.a, gpu.b, gpu.value, (unsigned long long)dispatches, t1 - t0, gpu_ns * 1e-9,
               (unsigned long long)gpu.fast_checked, (unsigned long long)gpu.reevaluated, t3 - t2);
        (void)timing;
    }
    free(h);
}

/* DESIGN.md §3 on the GPU: a never-negative histogram's window is the
 * unsigned search's candidate, a never-positive one's its mirror image. */
static void test_one_sided(vkc_context *ctx, int cases, uint64_t seed)
{
    vkc_rng r = {seed};
    uint64_t h[2048], rev[2048];
    for (int c = 0; c < cases; c++) {
        const uint32_t n = c % 2 ? 2048 : 256 + (uint32_t)(vkc_rng_next(&r) % 700);
        double lo, hi;
        asym_gen(&r, h, n, c % 3 ? AS_RELU : AS_SKEWED, &lo, &hi);
        const int negative = c % 2 == 0;
        const double span = hi - lo;
        lo = negative ? -span : 0;
        hi = negative ? 0 : span;
        for (uint32_t j = 0; j < n; j++) rev[j] = h[n - 1 - j];
        vkc_search_params sp = {0};
        sp.mode = VKC_MODE_UNSIGNED;
        vkc_kl_params kp;
        vkc_kl_params_from(&sp, &kp);
        vkc_search_result u;
        vkc_asym_result gpu;
        vkc_msg msg;
        REQUIRE_CMP(vkc_entropy_cpu(negative ? rev : h, n, span, &kp, &u, &msg), ==, VKC_OK);
        REQUIREF(vkc_asym_entropy_gpu(ctx, h, n, lo, hi, 0, &gpu) == VKC_OK, "%s", vkc_context_error(ctx));
        REQUIRE_CMP(gpu.fallback, ==, u.fallback);
        if (u.fallback) continue;
        REQUIREF(negative ? gpu.b == n && n - gpu.a == u.i : gpu.a == 0 && gpu.b == u.i,
                 "one-sided case %d (n %u%s): GPU window (%u, %u), unsigned i %u", c, n, negative ? ", mirrored" : "",
                 gpu.a, gpu.b, u.i);
        REQUIRE_CMP(gpu.value, ==, u.kl);
        REQUIRE_CMP(gpu.windows, ==, u.candidates);
    }
    printf("gpu one-sided: %d histograms, the GPU's window is the unsigned search's threshold\n", cases);
}

/* MSE: GPU == reference on small histograms, the float32 bound on every
 * window (values in units of w^2). */
static void test_mse_small(vkc_context *ctx, const char *label, int cases, uint64_t seed, int check_bound)
{
    vkc_rng r = {seed};
    uint64_t h[800];
    uint64_t windows = 0, kept = 0, reeval = 0, bounded = 0, unsure = 0;
    double worst = 0;
    for (int c = 0; c < cases; c++) {
        uint32_t n, start;
        switch (c % 4) {
        case 0: n = 256; start = 0; break;
        case 1: n = 256; start = 16 + (uint32_t)(vkc_rng_next(&r) % 100); break;
        case 2: n = 2 + (uint32_t)(vkc_rng_next(&r) % 200); start = 1 + (uint32_t)(vkc_rng_next(&r) % n); break;
        default: n = 257 + (uint32_t)(vkc_rng_next(&r) % 500); start = n - 30 - (uint32_t)(vkc_rng_next(&r) % 100); break;
        }
        int shape = (int)(vkc_rng_next(&r) % AS_COUNT);
        double lo, hi;
        asym_gen(&r, h, n, shape, &lo, &hi);
        vkc_asym_result gpu, ref;
        vkc_msg msg;
        vkc_status s = vkc_asym_mse_gpu(ctx, h, n, lo, hi, start, &gpu);
        REQUIREF(s == VKC_OK, "%s: %s", label, vkc_context_error(ctx));
        REQUIRE_CMP(vkc_asym_mse_reference(h, n, lo, hi, start, &ref, &msg), ==, VKC_OK);
        REQUIREF(same(&gpu, &ref), "%s mse case %d (%s, n %u, start %u, [%g, %g]): GPU (%u, %u) fb %d, reference (%u, %u)",
                 label, c, as_names[shape], n, start, lo, hi, gpu.a, gpu.b, gpu.fallback, ref.a, ref.b);
        windows += gpu.windows;
        kept += gpu.fast_checked;
        reeval += gpu.reevaluated;
        /* A one-sided histogram's MSE runs on the CPU (its windows are tabled
         * in O(bins)): no device values to check. */
        if (!check_bound || s != VKC_OK || gpu.fallback || lo >= 0 || hi <= 0) continue;
        vkc_asym_hist ah;
        REQUIRE_CMP(vkc_asym_hist_init(&ah, h, n, VKC_ASYM_MSE, &msg), ==, VKC_OK);
        const float *out = ctx->out.map;
        const uint32_t st = start ? start : 128;
        const double w2 = ((hi - lo) / n) * ((hi - lo) / n);
        for (uint32_t a = 0; a + st <= n; a++)
            for (uint32_t b = a + st; b <= n; b++) {
                uint64_t k = vkc_asym_window_index(n, st, a, b);
                double v = out[2 * k], e = out[2 * k + 1];
                double rv = vkc_asym_mse_window_reference(&ah, lo, hi, a, b) / w2;
                if (e >= 3e38) {
                    unsure++;
                    continue;
                }
                REQUIREF(fabs(v - rv) <= e + 1e-9 * fabs(rv),
                         "%s GPU mse bound: %s n %u [%g, %g] window (%u, %u): GPU %.9g, reference %.17g, bound %.3g",
                         label, as_names[shape], n, lo, hi, a, b, v, rv, e);
                if (e > 0 && fabs(v - rv) / e > worst) worst = fabs(v - rv) / e;
                bounded++;
            }
        vkc_asym_hist_free(&ah);
    }
    printf("%s mse: %d histograms, GPU choice == reference; %llu windows, %llu kept by the float32 bounds, "
           "%llu re-evaluated with the reference\n",
           label, cases, (unsigned long long)windows, (unsigned long long)kept, (unsigned long long)reeval);
    if (check_bound)
        printf("%s mse: float32 bound holds on %llu windows (%llu with an uncertain zero point, left to the host); "
               "worst |GPU - reference| / bound %.3g\n",
               label, (unsigned long long)bounded, (unsigned long long)unsure, worst);
}

static void test_mse_2048(vkc_context *ctx, const char *label, int cases, uint64_t seed)
{
    enum { N = 2048 };
    uint64_t *h = malloc(N * sizeof *h);
    vkc_rng r = {seed};
    for (int k = 0; k < cases; k++) {
        double lo, hi;
        gen_2048(&r, h, k, &lo, &hi);
        vkc_asym_result gpu, cpu;
        vkc_msg msg;
        uint64_t before = vkc_context_dispatch_count(ctx);
        double t0 = vkc_test_now();
        vkc_status s = vkc_asym_mse_gpu(ctx, h, N, lo, hi, 0, &gpu);
        double t1 = vkc_test_now();
        REQUIREF(s == VKC_OK, "%s: %s", label, vkc_context_error(ctx));
        uint64_t dispatches = vkc_context_dispatch_count(ctx) - before;
        /* One dispatch; none for a one-sided histogram (tabled on the CPU). */
        const uint64_t want = lo >= 0 || hi <= 0 ? 0 : 1;
        if (ctx->max_chunk_bytes == 0)
            REQUIREF(dispatches == want, "%s: %llu dispatches", label, (unsigned long long)dispatches);
        double gpu_ns = vkc_context_last_gpu_ns(ctx);
        double t2 = vkc_test_now();
        REQUIRE_CMP(vkc_asym_mse_cpu(h, N, lo, hi, 0, &cpu, &msg), ==, VKC_OK);
        double t3 = vkc_test_now();
        REQUIREF(same(&gpu, &cpu), "%s mse 2048 case %d: GPU (%u, %u) %.17g, CPU (%u, %u) %.17g", label, k, gpu.a,
                 gpu.b, gpu.value, cpu.a, cpu.b, cpu.value);
        printf("%s MSE N=2048 case %d: window (%u, %u) = [%.6g, %.6g] MSE %.6g; %llu dispatch(es); GPU search %.3f s "
               "wall (device %.3f s), %llu windows kept by the float32 bounds, %llu by the double bounds; CPU "
               "exhaustive %.3f s\n",
               label, k, gpu.a, gpu.b, gpu.lo, gpu.hi, gpu.value, (unsigned long long)dispatches, t1 - t0,
               gpu_ns * 1e-9, (unsigned long long)gpu.fast_checked, (unsigned long long)gpu.reevaluated, t3 - t2);
    }
    free(h);
}

/* Fallbacks and errors go the same way on the GPU path as on the CPU. */
static void test_edges(vkc_context *ctx)
{
    uint64_t h[300];
    struct {
        const char *name;
        uint32_t n, start;
        double lo, hi;
    } cases[] = {{"empty", 256, 0, -1, 1},       {"n < start", 100, 0, -1, 1}, {"one bin", 1, 1, -1, 1},
                 {"single non-empty", 256, 0, -3, 5}, {"lo == hi", 256, 0, 0, 0},  {"all positive", 256, 64, 0, 9},
                 {"all negative", 256, 64, -9, 0}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        memset(h, 0, sizeof h);
        if (c == 1) for (int j = 0; j < 100; j++) h[j] = 1 + j;
        if (c == 2) h[0] = 7;
        if (c == 3 || c == 4) h[170] = 12345;
        if (c >= 5) for (int j = 0; j < 256; j++) h[j] = 1000 + (uint64_t)(j * 37 % 101);
        uint32_t n = cases[c].n;
        for (int method = 0; method < 2; method++) {
            vkc_asym_result gpu, ref;
            vkc_msg msg;
            vkc_status s = method ? vkc_asym_mse_gpu(ctx, h, n, cases[c].lo, cases[c].hi, cases[c].start, &gpu)
                                  : vkc_asym_entropy_gpu(ctx, h, n, cases[c].lo, cases[c].hi, cases[c].start, &gpu);
            REQUIREF(s == VKC_OK, "edge %s: %s", cases[c].name, vkc_context_error(ctx));
            vkc_status t = method ? vkc_asym_mse_reference(h, n, cases[c].lo, cases[c].hi, cases[c].start, &ref, &msg)
                                  : vkc_asym_entropy_reference(h, n, cases[c].lo, cases[c].hi, cases[c].start, &ref, &msg);
            REQUIRE_CMP(t, ==, VKC_OK);
            REQUIREF(same(&gpu, &ref) && !strcmp(gpu.message, ref.message), "edge %s %s: GPU (%u, %u) fb %d '%s', "
                     "reference (%u, %u) fb %d '%s'", cases[c].name, method ? "mse" : "entropy", gpu.a, gpu.b,
                     gpu.fallback, gpu.message, ref.a, ref.b, ref.fallback, ref.message);
            if (c <= 1 || c == 4) REQUIRE(gpu.fallback && gpu.message[0]);
        }
    }
    vkc_asym_result res;
    REQUIRE_CMP(vkc_asym_entropy_gpu(ctx, h, 256, 2, 1, 0, &res), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_asym_entropy_gpu(ctx, h, 256, 0.5, 9, 0, &res), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_asym_mse_gpu(ctx, NULL, 256, 0, 1, 0, &res), ==, VKC_ERROR_INVALID_ARGUMENT);
}

int main(void)
{
    int skip = 0;
    vkc_context *ctx = vkc_test_gpu_context(0, 0, &skip);
    if (skip) return 77;
    if (ctx) {
        test_edges(ctx);
        test_small(ctx, "gpu", 60, 0x9a5e001u, 1);
        test_2048(ctx, "gpu", 3, 0x9a5e002u, 1);
        test_one_sided(ctx, 8, 0x9a5e007u);
        test_mse_small(ctx, "gpu", 40, 0x9a5e101u, 1);
        test_mse_2048(ctx, "gpu", 2, 0x9a5e102u);
        vkc_test_gpu_context_done(ctx);
    }
    /* Shared-memory reduction instead of subgroup arithmetic. */
    ctx = vkc_test_gpu_context(VKC_FEATURE_SUBGROUP_ARITHMETIC, 0, &skip);
    if (ctx) {
        test_small(ctx, "gpu-no-subgroup", 20, 0x9a5e003u, 0);
        test_2048(ctx, "gpu-no-subgroup", 1, 0x9a5e004u, 0);
        test_mse_small(ctx, "gpu-no-subgroup", 10, 0x9a5e103u, 0);
        vkc_test_gpu_context_done(ctx);
    }
    /* Output split over several dispatches (1 MiB per binding). */
    ctx = vkc_test_gpu_context(0, 1u << 20, &skip);
    if (ctx) {
        test_small(ctx, "gpu-split", 10, 0x9a5e005u, 0);
        test_2048(ctx, "gpu-split", 1, 0x9a5e006u, 0);
        test_mse_small(ctx, "gpu-split", 6, 0x9a5e106u, 0);
        vkc_test_gpu_context_done(ctx);
    }
    /* A CPU context runs the CPU search. */
    ctx = vkc_test_cpu_context();
    if (ctx) {
        uint64_t h[256];
        vkc_rng r = {5};
        double lo, hi;
        asym_gen(&r, h, 256, AS_TWO_SIDED, &lo, &hi);
        with_zero(&lo, &hi);
        vkc_asym_result x, y;
        vkc_msg msg;
        REQUIRE_CMP(vkc_asym_entropy_gpu(ctx, h, 256, lo, hi, 0, &x), ==, VKC_OK);
        REQUIRE_CMP(vkc_asym_entropy_reference(h, 256, lo, hi, 0, &y, &msg), ==, VKC_OK);
        REQUIRE(same(&x, &y));
        REQUIRE_CMP(vkc_asym_mse_gpu(ctx, h, 256, lo, hi, 0, &x), ==, VKC_OK);
        REQUIRE_CMP(vkc_asym_mse_reference(h, 256, lo, hi, 0, &y, &msg), ==, VKC_OK);
        REQUIRE(same(&x, &y));
        vkc_context_destroy(ctx);
    }
    return vkc_test_end();
}
