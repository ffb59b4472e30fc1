/* Every tool's flavour on a Vulkan device (lavapipe in CI, validation on):
 * the histogram of the flavour's kind equals the CPU backend's bit for bit,
 * and a batch of tensors (paddle and ppq screened in one dispatch, the
 * float32 tools decided on the host) gives exactly the CPU backend's
 * results; the screen evaluates fewer candidates in the tools' arithmetic,
 * also with subgroup arithmetic and shared histograms masked (the
 * screened flavours only: the host's part does not change). */
#include "search/flavor_gpu.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NT 4

static void make(int k, float *x, uint64_t n)
{
    vkc_rng r = {(uint64_t)(77 + k)};
    for (uint64_t i = 0; i < n; i++) {
        double g = vkc_rng_normal(&r);
        switch (k % NT) {
        case 0: x[i] = (float)g; break;
        case 1: x[i] = g > 0 ? (float)g : 0.0f; break;                        /* post-ReLU */
        case 2: x[i] = (float)(g / (vkc_rng_uniform(&r) + 0.05)); break;      /* heavy tails */
        case 3: x[i] = (float)floor(g * 4) * 0.25f; break;                     /* few values: ties */
        case 4: x[i] = (float)(g * (i % 7 == 0)); break;                       /* sparse */
        default: x[i] = (float)(g * g * 3 - 1); break;                         /* skewed */
        }
    }
}

static void run(vkc_context *gpu, vkc_context *cpu, const char *label, int screened_only)
{
    const uint64_t n = 40000;
    float *x = malloc(NT * n * sizeof *x);
    for (int k = 0; k < NT; k++) make(k, x + k * n, n);
    for (int f = 2; f < VKC_FLAVOR_COUNT; f++) {
        const vkc_flavor_info *info = vkc_flavor_get((vkc_flavor)f);
        const int screened = info->family == VKC_FAMILY_PADDLE || info->family == VKC_FAMILY_PPQ;
        if (screened_only && !screened) continue;
        vkc_flavor_job jobs[NT];
        uint64_t *hg[NT], *hc[NT];
        for (int k = 0; k < NT; k++) {
            const float *xk = x + k * n;
            vkc_stats st = {0};
            REQUIRE(vkc_range_f32(gpu, xk, n, &st) == VKC_OK);
            float amin = INFINITY;
            for (uint64_t i = 0; i < n; i++) amin = fabsf(xk[i]) < amin ? fabsf(xk[i]) : amin;
            vkc_flavor_params p = {0};
            p.flavor = (vkc_flavor)f;
            p.image_elements = 3 * 224 * 224;
            p.abs_min = amin;
            vkc_hist_spec spec;
            vkc_msg msg;
            REQUIRE(vkc_flavor_hist_spec(&p, &st, &spec, &msg) == VKC_OK);
            hg[k] = calloc(spec.bins, 8);
            hc[k] = calloc(spec.bins, 8);
            REQUIRE(vkc_histogram_f32(gpu, xk, n, &spec, hg[k]) == VKC_OK);
            REQUIRE(vkc_histogram_f32(cpu, xk, n, &spec, hc[k]) == VKC_OK);
            REQUIREF(memcmp(hg[k], hc[k], spec.bins * 8) == 0, "%s: %s: tensor %d: device and CPU histograms differ",
                     label, info->name, k);
            jobs[k] = (vkc_flavor_job){hg[k], spec, st, p};
        }
        vkc_flavor_result rg[NT], rc[NT];
        REQUIREF(vkc_flavor_search_batch(gpu, jobs, NT, rg) == VKC_OK, "%s: %s", info->name, vkc_context_error(gpu));
        REQUIRE(vkc_flavor_search_batch(cpu, jobs, NT, rc) == VKC_OK);
        for (int k = 0; k < NT; k++) {
            int same = rg[k].index == rc[k].index && rg[k].threshold == rc[k].threshold && rg[k].lo == rc[k].lo &&
                       rg[k].hi == rc[k].hi && rg[k].kl == rc[k].kl && rg[k].warning == rc[k].warning &&
                       !strcmp(rg[k].message, rc[k].message);
            REQUIREF(same, "%s: %s tensor %d: device %u %.9g (%s), CPU %u %.9g (%s)", label, info->name, k,
                     rg[k].index, rg[k].threshold, rg[k].message, rc[k].index, rc[k].threshold, rc[k].message);
            if (screened) {
                /* PPQ has 32 candidates, often within the float32 band of
                 * each other; Paddle's 1025 narrow to a few. */
                REQUIREF(info->family == VKC_FAMILY_PPQ ? rg[k].evaluated <= rc[k].evaluated
                                                        : rg[k].evaluated * 10 < rc[k].evaluated,
                         "%s: %s tensor %d: the screen kept %u of %u", label, info->name, k, rg[k].evaluated,
                         rc[k].evaluated);
                printf("%s %s tensor %d: %u of %u candidates evaluated on the host\n", label, info->name, k,
                       rg[k].evaluated, rc[k].evaluated);
            }
            free(hg[k]);
            free(hc[k]);
        }
    }
    free(x);
}

int main(void)
{
    int skip = 0;
    vkc_context *gpu = vkc_test_gpu_context(0, 0, &skip);
    if (skip) return 77;
    vkc_context *cpu = vkc_test_cpu_context();
    if (!gpu || !cpu) return vkc_test_end();
    run(gpu, cpu, "gpu", 0);
    vkc_test_gpu_context_done(gpu);
    gpu = vkc_test_gpu_context(VKC_FEATURE_SUBGROUP_ARITHMETIC | VKC_FEATURE_SHARED_HISTOGRAM, 0, &skip);
    if (gpu) {
        run(gpu, cpu, "gpu-masked", 1);
        vkc_test_gpu_context_done(gpu);
    }
    vkc_context_destroy(cpu);
    return vkc_test_end();
}
