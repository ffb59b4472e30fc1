/* bench_methods: the MSE search and the two-sided (asymmetric) searches,
 * per tensor, 2048 bins, on every path, side by side in one run.
 *
 *   mse        vkc_search on a Vulkan context (float32 sums of every
 *              candidate in one dispatch, exact integer re-check) vs on a
 *              CPU context (exact integer sums of every candidate); the
 *              reference is the same exact sums on one thread
 *   asym-kl    vkc_asym_entropy_gpu (every window in one dispatch) vs
 *              vkc_asym_entropy_cpu (fast O(levels) evaluator, all threads)
 *              vs vkc_asym_entropy_reference (the plain O(N^3) oracle; at
 *              2048 bins too slow, so it runs at --ref-bins, default 256)
 *   asym-mse   the same three for the two-sided MSE
 * Every path must choose what the reference chooses (asym: the CPU search
 * at 2048 bins, which the tests hold to the reference), else exit 1.
 * Options: --device D (default: the default rule, else llvmpipe), --runs R
 * (default 5), --bins N (default 2048), --ref-bins N (default 256). */
#include "bench_util.h"
#include "search/asym.h"
#include "search/search.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A post-activation-like histogram of x over [lo, hi]: a skewed bump with
 * a heavy right tail, the shape two-sided ranges are for. */
static void make_hist(uint64_t *h, uint32_t n, double *lo, double *hi)
{
    *lo = -1.5;
    *hi = 6.0;
    double w = (*hi - *lo) / n;
    for (uint32_t j = 0; j < n; j++) {
        double x = *lo + (j + 0.5) * w;
        double v = x < 0 ? exp(-x * x * 8.0) : exp(-x * 1.6) + 0.002 / (1 + x * x);
        h[j] = (uint64_t)(2e6 * v);
    }
}

typedef struct timing {
    const char *name;
    double ms[3];   /* gpu, cpu, ref */
    double cpu_ref; /* cpu at the reference's size (two-sided searches) */
} timing;

int main(int argc, char **argv)
{
    const char *device = NULL;
    int runs = 5;
    uint32_t bins = 2048, ref_bins = 256;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc) device = argv[++i];
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--bins") && i + 1 < argc) bins = (uint32_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--ref-bins") && i + 1 < argc) ref_bins = (uint32_t)atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_methods [--device D] [--runs R] [--bins N] [--ref-bins N]\n");
            return 2;
        }
    }
    if (runs < 1 || runs > 100 || bins < 256 || ref_bins < 129) return 2;
    vkc_msg msg;
    vkc_context_info gi = {0}, ci = {0};
    gi.backend = VKC_BACKEND_VULKAN;
    gi.device = device;
    ci.backend = VKC_BACKEND_CPU;
    vkc_context *gpu = NULL, *cpu = NULL;
    if (vkc_context_create(&gi, &gpu, &msg) != VKC_OK) {
        gi.device = "llvmpipe";
        if (vkc_context_create(&gi, &gpu, &msg) != VKC_OK) {
            fprintf(stderr, "bench_methods: no Vulkan device: %s\n", msg.text);
            return 1;
        }
    }
    if (vkc_context_create(&ci, &cpu, &msg) != VKC_OK) return 1;
    printf("bench_methods: %u bins (reference at %u bins for the two-sided searches), medians of %d runs\n", bins,
           ref_bins, runs);
    printf("gpu device: %s; cpu backend: all cores\n\n", vkc_context_device_name(gpu));

    uint64_t *h = malloc(bins * sizeof *h), *hr = malloc(ref_bins * sizeof *hr);
    double lo, hi, rlo, rhi;
    make_hist(h, bins, &lo, &hi);
    make_hist(hr, ref_bins, &rlo, &rhi);
    vkc_histogram sh = {h, bins, hi};
    double *t = malloc((size_t)runs * sizeof *t);
    timing rows[3] = {{"mse (symmetric)", {0}}, {"asym-kl", {0}}, {"asym-mse", {0}}};
    int bad = 0;

    /* MSE, symmetric, on the |x|-like right half. */
    vkc_search_params sp = {0};
    sp.method = VKC_METHOD_MSE;
    vkc_search_result rg, rc, rr;
    for (int p = 0; p < 3; p++) {
        for (int k = 0; k < runs; k++) {
            double s = now_ms();
            if (p == 0) vkc_search(gpu, &sh, 1, &sp, &rg);
            else if (p == 1) vkc_search(cpu, &sh, 1, &sp, &rc);
            else vkc_mse_select(&sh, 128, 127, NULL, &rr, &msg);
            t[k] = now_ms() - s;
        }
        rows[0].ms[p] = median(t, runs);
    }
    if (rg.i != rr.i || rc.i != rr.i) bad = printf("MSE: gpu %u cpu %u reference %u\n", rg.i, rc.i, rr.i);

    /* Two-sided searches: GPU and CPU at `bins`, reference at `ref_bins`;
     * GPU and CPU also at `ref_bins` to check them against the reference. */
    for (int m = 0; m < 2; m++) {
        vkc_asym_result ag, ac, ar, sg, sc;
        for (int p = 0; p < 3; p++) {
            int rr_runs = p == 2 ? (runs < 3 ? runs : 3) : runs;
            for (int k = 0; k < rr_runs; k++) {
                double s = now_ms();
                if (m == 0) {
                    if (p == 0) vkc_asym_entropy_gpu(gpu, h, bins, lo, hi, 0, &ag);
                    else if (p == 1) vkc_asym_entropy_cpu(h, bins, lo, hi, 0, &ac, &msg);
                    else vkc_asym_entropy_reference(hr, ref_bins, rlo, rhi, 0, &ar, &msg);
                } else {
                    if (p == 0) vkc_asym_mse_gpu(gpu, h, bins, lo, hi, 0, &ag);
                    else if (p == 1) vkc_asym_mse_cpu(h, bins, lo, hi, 0, &ac, &msg);
                    else vkc_asym_mse_reference(hr, ref_bins, rlo, rhi, 0, &ar, &msg);
                }
                t[k] = now_ms() - s;
            }
            rows[1 + m].ms[p] = median(t, rr_runs);
        }
        double s0 = now_ms();
        if (m == 0) vkc_asym_entropy_cpu(hr, ref_bins, rlo, rhi, 0, &sc, &msg);
        else vkc_asym_mse_cpu(hr, ref_bins, rlo, rhi, 0, &sc, &msg);
        rows[1 + m].cpu_ref = now_ms() - s0;
        if (m == 0) vkc_asym_entropy_gpu(gpu, hr, ref_bins, rlo, rhi, 0, &sg);
        else vkc_asym_mse_gpu(gpu, hr, ref_bins, rlo, rhi, 0, &sg);
        if (ag.a != ac.a || ag.b != ac.b || sg.a != ar.a || sg.b != ar.b || sc.a != ar.a || sc.b != ar.b)
            bad = printf("%s: windows differ: gpu (%u,%u) cpu (%u,%u) at %u bins; gpu (%u,%u) cpu (%u,%u) ref (%u,%u) "
                         "at %u\n",
                         rows[1 + m].name, ag.a, ag.b, ac.a, ac.b, bins, sg.a, sg.b, sc.a, sc.b, ar.a, ar.b, ref_bins);
        else
            printf("%s: window (%u, %u) of %llu at %u bins, every path agrees\n", rows[1 + m].name, ag.a, ag.b,
                   (unsigned long long)ag.windows, bins);
    }
    printf("\nms per tensor; cpu/gpu > 1: the GPU is faster; ref/cpu compares the reference with the CPU\n"
           "search at the same size (--ref-bins for the two-sided searches, whose reference is O(N^3))\n");
    printf("%-16s %12s %12s %14s | %10s %10s\n", "search", "gpu ms", "cpu ms", "reference ms", "cpu/gpu", "ref/cpu");
    rows[0].cpu_ref = rows[0].ms[1];
    for (int k = 0; k < 3; k++)
        printf("%-16s %12.2f %12.2f %14.2f | %10.2f %10.2f\n", rows[k].name, rows[k].ms[0], rows[k].ms[1],
               rows[k].ms[2], rows[k].ms[1] / rows[k].ms[0], rows[k].ms[2] / rows[k].cpu_ref);
    free(h);
    free(hr);
    free(t);
    vkc_context_destroy(gpu);
    vkc_context_destroy(cpu);
    return bad ? 1 : 0;
}
