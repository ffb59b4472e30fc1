/* The GPU entropy search chooses exactly what the double reference chooses:
 * the golden cases (through vkc_search, all cases in one dispatch), 1000+
 * seeded random histograms in batches (and the fast CPU path on the same),
 * edge cases, the subgroup-free fallback, and one dispatch per batch. */
#include "search/entropy.h"
#include "hist_gen.h"
#include "base/json_parse.h"
#include "search/search_gpu.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct golden {
    char name[64];
    uint64_t *counts;
    uint32_t bins;
    double range_max;
    uint32_t want_signed, want_unsigned;
    uint32_t mse_signed, mse_unsigned, p999, p9999;
} golden;

static int load_golden(golden **out, uint32_t *count)
{
    size_t len = 0;
    char path[4096];
    const char *dir = getenv("VKC_TESTDATA_DIR"); /* overrides the build's path on other machines */
    snprintf(path, sizeof path, "%s/golden_histograms.json", dir && *dir ? dir : VKC_TESTDATA_DIR);
    char *buf = vkc_test_read_file(path, &len);
    REQUIREF(buf != NULL, "cannot read %s", path);
    if (!buf) return 0;
    vkc_json *root = NULL;
    vkc_msg msg;
    REQUIREF(vkc_json_parse(buf, len, &root, &msg) == VKC_OK, "golden: %s", msg.text);
    free(buf);
    if (!root) return 0;
    const vkc_json *cases = vkc_json_get(root, "cases");
    uint32_t n = (uint32_t)vkc_json_len(cases);
    golden *g = calloc(n, sizeof *g);
    for (uint32_t k = 0; k < n; k++) {
        const vkc_json *c = vkc_json_at(cases, k), *counts = vkc_json_get(c, "counts");
        const vkc_json *exp = vkc_json_get(c, "expected");
        size_t nl;
        snprintf(g[k].name, sizeof g[k].name, "%s", vkc_json_string(vkc_json_get(c, "name"), &nl));
        g[k].bins = (uint32_t)vkc_json_len(counts);
        g[k].range_max = vkc_json_number(vkc_json_get(c, "range_max"));
        g[k].counts = malloc(g[k].bins * sizeof(uint64_t));
        for (uint32_t j = 0; j < g[k].bins; j++) REQUIRE(vkc_json_uint64(vkc_json_at(counts, j), &g[k].counts[j]));
        uint64_t a = 0, b = 0;
        REQUIRE(vkc_json_uint64(vkc_json_get(vkc_json_get(exp, "entropy_signed"), "vkcalib"), &a));
        REQUIRE(vkc_json_uint64(vkc_json_get(vkc_json_get(exp, "entropy_unsigned"), "vkcalib"), &b));
        g[k].want_signed = (uint32_t)a;
        g[k].want_unsigned = (uint32_t)b;
        static const char *const keys[4] = {"mse_signed", "mse_unsigned", "percentile_99.9", "percentile_99.99"};
        uint32_t *dst[4] = {&g[k].mse_signed, &g[k].mse_unsigned, &g[k].p999, &g[k].p9999};
        for (int q = 0; q < 4; q++) {
            REQUIRE(vkc_json_uint64(vkc_json_get(vkc_json_get(exp, keys[q]), "vkcalib"), &a));
            *dst[q] = (uint32_t)a;
        }
    }
    vkc_json_free(root);
    *out = g;
    *count = n;
    return n > 0;
}

static void test_golden(vkc_context *ctx, const char *label, const golden *g, uint32_t n)
{
    vkc_histogram *h = calloc(n, sizeof *h);
    vkc_search_result *r = calloc(n, sizeof *r);
    for (uint32_t k = 0; k < n; k++) h[k] = (vkc_histogram){g[k].counts, g[k].bins, g[k].range_max};
    for (int mode = 0; mode < 2; mode++) {
        vkc_search_params sp;
        memset(&sp, 0, sizeof sp);
        sp.mode = mode ? VKC_MODE_UNSIGNED : VKC_MODE_SYMMETRIC;
        uint64_t before = vkc_context_dispatch_count(ctx);
        vkc_status s = vkc_search(ctx, h, n, &sp, r);
        REQUIREF(s == VKC_OK, "%s: %s", label, vkc_context_error(ctx));
        if (!vkc_context_is_cpu(ctx))
            REQUIREF(vkc_context_dispatch_count(ctx) - before == 1, "%s: %llu dispatches for %u tensors", label,
                     (unsigned long long)(vkc_context_dispatch_count(ctx) - before), n);
        for (uint32_t k = 0; k < n; k++) {
            uint32_t want = mode ? g[k].want_unsigned : g[k].want_signed;
            REQUIREF(r[k].i == want, "%s golden %s %s: chose %u, expected %u", label, g[k].name,
                     mode ? "unsigned" : "signed", r[k].i, want);
            REQUIRE_CMP(r[k].threshold, ==, (double)want * (g[k].range_max / g[k].bins));
        }
    }
    /* MSE (bin centres) and percentile (left edges), same batch. */
    for (int q = 0; q < 4; q++) {
        vkc_search_params sp;
        memset(&sp, 0, sizeof sp);
        sp.method = q < 2 ? VKC_METHOD_MSE : VKC_METHOD_PERCENTILE;
        sp.mode = q == 1 ? VKC_MODE_UNSIGNED : VKC_MODE_SYMMETRIC;
        sp.percentile = q == 2 ? 99.9 : 99.99;
        vkc_status s = vkc_search(ctx, h, n, &sp, r);
        REQUIREF(s == VKC_OK, "%s: %s", label, vkc_context_error(ctx));
        for (uint32_t k = 0; k < n; k++) {
            uint32_t want = q == 0 ? g[k].mse_signed : q == 1 ? g[k].mse_unsigned : q == 2 ? g[k].p999 : g[k].p9999;
            double w = g[k].range_max / g[k].bins;
            REQUIREF(r[k].i == want, "%s golden %s %s: chose %u, expected %u", label, g[k].name,
                     q == 0 ? "mse signed" : q == 1 ? "mse unsigned" : q == 2 ? "p99.9" : "p99.99", r[k].i, want);
            REQUIRE_CMP(r[k].threshold, ==, (q < 2 ? ((double)want + 0.5) * w : (double)want * w));
        }
    }
    free(h);
    free(r);
}

/* GPU MSE (float32 sums and the exact re-check) equals exact sums of every
 * candidate on the CPU. */
static void test_mse_random(vkc_context *gpu, vkc_context *cpu, int cases)
{
    enum { BATCH = 20, MAXN = 4096 };
    vkc_rng r = {0x5eed0300u};
    uint64_t *h[BATCH];
    vkc_histogram hist[BATCH];
    vkc_search_result a[BATCH], b[BATCH];
    for (int k = 0; k < BATCH; k++) h[k] = malloc(MAXN * sizeof(uint64_t));
    for (int base = 0; base < cases; base += BATCH) {
        vkc_search_params sp;
        memset(&sp, 0, sizeof sp);
        sp.method = VKC_METHOD_MSE;
        sp.mode = base % 40 ? VKC_MODE_SYMMETRIC : VKC_MODE_UNSIGNED;
        for (int k = 0; k < BATCH; k++) {
            uint32_t n = 256 + (uint32_t)(vkc_rng_next(&r) % 1800);
            hist_gen(&r, h[k], n, (int)(vkc_rng_next(&r) % HIST_SHAPE_COUNT));
            hist[k] = (vkc_histogram){h[k], n, 3.0};
        }
        REQUIREF(vkc_search(gpu, hist, BATCH, &sp, a) == VKC_OK, "%s", vkc_context_error(gpu));
        REQUIREF(vkc_search(cpu, hist, BATCH, &sp, b) == VKC_OK, "%s", vkc_context_error(cpu));
        for (int k = 0; k < BATCH; k++)
            REQUIREF(a[k].i == b[k].i && a[k].fallback == b[k].fallback,
                     "mse random %d (n %u): GPU %u, exact CPU %u", base + k, hist[k].bins, a[k].i, b[k].i);
    }
    for (int k = 0; k < BATCH; k++) free(h[k]);
}

static vkc_kl_params random_params(vkc_rng *r)
{
    vkc_search_params sp;
    memset(&sp, 0, sizeof sp);
    sp.mode = (vkc_rng_next(r) & 1) ? VKC_MODE_UNSIGNED : VKC_MODE_SYMMETRIC;
    sp.flavor = (vkc_rng_next(r) % 4 == 0) ? VKC_FLAVOR_TENSORRT : VKC_FLAVOR_MODELOPT;
    if (vkc_rng_next(r) % 8 == 0) sp.start_bin = 64;
    vkc_kl_params kp;
    vkc_kl_params_from(&sp, &kp);
    return kp;
}

/* Batches of random histograms sharing parameters, one dispatch each. */
static void test_random(vkc_context *ctx, const char *label, int cases, uint64_t seed)
{
    enum { BATCH = 25, MAXN = 8192 };
    vkc_rng r = {seed};
    uint64_t *h[BATCH];
    for (int k = 0; k < BATCH; k++) h[k] = malloc(MAXN * sizeof(uint64_t));
    vkc_histogram hist[BATCH];
    vkc_search_result gpu[BATCH];
    uint32_t reeval = 0, cands = 0, checked = 0;
    for (int base = 0; base < cases; base += BATCH) {
        vkc_kl_params kp = random_params(&r);
        char what[BATCH][96];
        for (int k = 0; k < BATCH; k++) {
            uint32_t n = hist_gen_bins(&r, base + k);
            int shape = (int)(vkc_rng_next(&r) % HIST_SHAPE_COUNT);
            hist_gen(&r, h[k], n, shape);
            hist[k] = (vkc_histogram){h[k], n, vkc_rng_next(&r) & 1 ? 1.0 : exp(3 * vkc_rng_normal(&r))};
            snprintf(what[k], sizeof what[k], "%s random %d (%s, n %u, L %u, start %u)", label, base + k,
                     hist_shape_names[shape], n, kp.levels, kp.start);
        }
        uint64_t before = vkc_context_dispatch_count(ctx);
        vkc_status s = vkc_entropy_gpu(ctx, hist, BATCH, &kp, gpu);
        REQUIREF(s == VKC_OK, "%s: %s", label, vkc_context_error(ctx));
        REQUIRE_CMP(vkc_context_dispatch_count(ctx) - before, <=, 1);
        for (int k = 0; s == VKC_OK && k < BATCH; k++) {
            vkc_search_result ref, fast;
            vkc_msg msg;
            REQUIRE_CMP(vkc_entropy_reference(hist[k].counts, hist[k].bins, hist[k].range_max, &kp, &ref, &msg), ==, VKC_OK);
            REQUIRE_CMP(vkc_entropy_cpu(hist[k].counts, hist[k].bins, hist[k].range_max, &kp, &fast, &msg), ==, VKC_OK);
            REQUIREF(gpu[k].i == ref.i && gpu[k].threshold == ref.threshold && gpu[k].fallback == ref.fallback,
                     "%s: GPU chose %u (threshold %.17g), reference %u (%.17g)", what[k], gpu[k].i,
                     gpu[k].threshold, ref.i, ref.threshold);
            REQUIREF(fast.i == ref.i, "%s: fast CPU chose %u, reference %u", what[k], fast.i, ref.i);
            REQUIRE(gpu[k].fallback || (gpu[k].threshold > 0 && isfinite(gpu[k].threshold)));
            reeval += gpu[k].reevaluated;
            cands += gpu[k].candidates;
            checked++;
        }
    }
    printf("%s: %u random histograms, GPU choice == reference; %u of %u candidates re-evaluated in double\n",
           label, checked, reeval, cands);
    for (int k = 0; k < BATCH; k++) free(h[k]);
}

static void test_edges(vkc_context *ctx)
{
    enum { N = 8192 };
    uint64_t *h = calloc(N, sizeof *h);
    vkc_search_params sp;
    memset(&sp, 0, sizeof sp);
    vkc_kl_params kp;
    vkc_kl_params_from(&sp, &kp);
    vkc_search_result gpu, ref;
    vkc_msg msg;
    struct {
        const char *name;
        uint32_t n;
    } cases[] = {{"all-zero", 2048}, {"single bin", 2048}, {"above start", 2048}, {"n < start", 100},
                 {"n = 8192", 8192}, {"counts > 2^32", 2048}, {"relu spike", 2048}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        uint32_t n = cases[c].n;
        memset(h, 0, N * sizeof *h);
        switch (c) {
        case 1: h[700] = 12345; break;
        case 2: for (uint32_t j = 300; j < n; j++) h[j] = 1000 + j % 7; break;
        case 3: for (uint32_t j = 0; j < n; j++) h[j] = 10 + j; break;
        case 4: for (uint32_t j = 0; j < n; j++) h[j] = (uint64_t)(1e6 * exp(-(double)j / 900.0)) + (j % 13 == 0);
            break;
        case 5: for (uint32_t j = 0; j < n; j++) h[j] = (uint64_t)(5e12 * exp(-(double)j / 200.0)) + 1; break;
        case 6: h[0] = 1ull << 36; for (uint32_t j = 1; j < n; j++) h[j] = (uint64_t)(1e9 * exp(-(double)j / 300.0));
            h[n - 1] = 2; break;
        default: break;
        }
        vkc_histogram hist = {h, n, 2.5};
        REQUIREF(vkc_entropy_gpu(ctx, &hist, 1, &kp, &gpu) == VKC_OK, "%s: %s", cases[c].name, vkc_context_error(ctx));
        REQUIRE_CMP(vkc_entropy_reference(h, n, 2.5, &kp, &ref, &msg), ==, VKC_OK);
        REQUIREF(gpu.i == ref.i && gpu.fallback == ref.fallback && gpu.threshold == ref.threshold,
                 "edge %s: GPU %u/%d, reference %u/%d", cases[c].name, gpu.i, gpu.fallback, ref.i, ref.fallback);
        if (c == 0 || c == 3) REQUIREF(gpu.fallback && gpu.message[0], "edge %s: no fallback flag", cases[c].name);
        REQUIRE(gpu.fallback || (gpu.threshold > 0 && isfinite(gpu.threshold)));
    }
    free(h);
}

int main(void)
{
    golden *g = NULL;
    uint32_t ng = 0;
    if (!load_golden(&g, &ng)) return vkc_test_end();

    vkc_context *cpu = vkc_test_cpu_context();
    if (cpu) {
        test_golden(cpu, "cpu", g, ng);
        vkc_context_destroy(cpu);
    }

    int skip = 0;
    vkc_context *ctx = vkc_test_gpu_context(0, 0, &skip);
    if (skip) return 77;
    if (ctx) {
        test_golden(ctx, "gpu", g, ng);
        test_edges(ctx);
        test_random(ctx, "gpu", 1000, 0x5eed0100u);
        vkc_context *c2 = vkc_test_cpu_context();
        if (c2) {
            test_mse_random(ctx, c2, 200);
            vkc_context_destroy(c2);
        }
        vkc_test_gpu_context_done(ctx);
    }
    /* Shared-memory reduction instead of subgroup arithmetic. */
    ctx = vkc_test_gpu_context(VKC_FEATURE_SUBGROUP_ARITHMETIC, 0, &skip);
    if (ctx) {
        test_golden(ctx, "gpu-no-subgroup", g, ng);
        test_random(ctx, "gpu-no-subgroup", 100, 0x5eed0200u);
        vkc_test_gpu_context_done(ctx);
    }
    for (uint32_t k = 0; k < ng; k++) free(g[k].counts);
    free(g);
    return vkc_test_end();
}
