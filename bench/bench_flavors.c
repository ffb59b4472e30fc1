/* bench_flavors: every tool's entropy flavour (src/search/flavor.h), the
 * search alone on histograms already built, per tensor and for a set of
 * tensors in one call:
 *   cpu   the native CPU backend: the tool's arithmetic on every candidate,
 *         candidates spread over the context's threads;
 *   gpu   vkc_flavor_search_batch on a Vulkan device: paddle and ppq
 *         screened in one dispatch for the whole set, the host deciding
 *         among the survivors; the float32 tools' flavours run on the host
 *         there too (flavor_gpu.c says why), so their gpu column measures
 *         the same host work.
 * Both paths must choose the same candidate for every tensor, else the
 * benchmark stops with exit status 1. The tools' own implementations are
 * timed outside this repository (see bench/README.md). */
#include "bench_util.h"
#include "search/flavor_gpu.h"
#include "testutil.h"

#include <math.h>
#include <string.h>

typedef struct options {
    int runs;
    uint32_t set, threads;
    const char *device;
    int no_gpu;
} options;

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "bench_flavors: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

/* Activations: half-normal after a ReLU, normal, and heavy-tailed. */
static void make(uint32_t k, float *x, uint64_t n)
{
    vkc_rng r = {1000u + k};
    for (uint64_t i = 0; i < n; i++) {
        double g = vkc_rng_normal(&r);
        x[i] = k % 3 == 0 ? (g > 0 ? (float)g : 0.0f) : k % 3 == 1 ? (float)g : (float)(g / (vkc_rng_uniform(&r) + 0.1));
    }
}

static double time_batch(vkc_context *ctx, const vkc_flavor_job *jobs, uint32_t count, vkc_flavor_result *res,
                         int runs)
{
    double t[64];
    if (vkc_flavor_search_batch(ctx, jobs, count, res) != VKC_OK) die("search", vkc_context_error(ctx));
    for (int k = 0; k < runs; k++) {
        double t0 = now_ms();
        if (vkc_flavor_search_batch(ctx, jobs, count, res) != VKC_OK) die("search", vkc_context_error(ctx));
        t[k] = now_ms() - t0;
    }
    return median(t, runs);
}

int main(int argc, char **argv)
{
    options o = {5, 8, 0, NULL, 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t u;
        if (!strcmp(a, "--runs") && parse_u64(v, &u) && u >= 1 && u <= 64) o.runs = (int)u, i++;
        else if (!strcmp(a, "--set") && parse_u64(v, &u) && u >= 1 && u <= 256) o.set = (uint32_t)u, i++;
        else if (!strcmp(a, "--threads") && parse_u64(v, &u) && u >= 1 && u <= 64) o.threads = (uint32_t)u, i++;
        else if (!strcmp(a, "--device") && v) o.device = v, i++;
        else if (!strcmp(a, "--no-gpu")) o.no_gpu = 1;
        else {
            fputs("Usage: bench_flavors [--runs R] [--set N] [--threads T] [--device D] [--no-gpu]\n", stderr);
            return strcmp(a, "--help") == 0 ? 0 : 2;
        }
    }
    vkc_context_info ci;
    memset(&ci, 0, sizeof ci);
    ci.backend = VKC_BACKEND_CPU;
    ci.cpu_threads = o.threads;
    vkc_context *cpu, *gpu = NULL;
    vkc_msg msg = {{0}};
    if (vkc_context_create(&ci, &cpu, &msg) != VKC_OK) die("CPU context", msg.text);
    if (!o.no_gpu) {
        vkc_context_info gi;
        memset(&gi, 0, sizeof gi);
        gi.backend = VKC_BACKEND_VULKAN;
        gi.device = o.device ? o.device : "llvmpipe";
        if (vkc_context_create(&gi, &gpu, &msg) != VKC_OK) fprintf(stderr, "bench_flavors: no GPU (%s)\n", msg.text);
    }
    printf("bench_flavors: %s; gpu %s; medians of %d; set of %u tensors of 1M values\n", load_average(),
           gpu ? vkc_context_caps(gpu)->name : "none", o.runs, o.set);
    printf("%-18s %6s %6s %12s %12s %14s %14s\n", "flavour", "bins", "cands", "cpu ms/t", "gpu ms/t", "cpu set ms",
           "gpu set ms");
    const uint64_t n = 1u << 20;
    float *x = malloc(n * sizeof *x);
    vkc_flavor_job *jobs = calloc(o.set, sizeof *jobs);
    vkc_flavor_result *rc = calloc(o.set, sizeof *rc), *rg = calloc(o.set, sizeof *rg);
    uint64_t **hist = calloc(o.set, sizeof *hist);
    if (!x || !jobs || !rc || !rg || !hist) die("out of memory", NULL);
    for (int f = 2; f < VKC_FLAVOR_COUNT; f++) {
        const vkc_flavor_info *info = vkc_flavor_get((vkc_flavor)f);
        for (uint32_t k = 0; k < o.set; k++) {
            make(k, x, n);
            vkc_stats st = {0};
            vkc_range_f32(cpu, x, n, &st);
            float amin = INFINITY;
            for (uint64_t i = 0; i < n; i++) amin = fabsf(x[i]) < amin ? fabsf(x[i]) : amin;
            vkc_flavor_params p = {0};
            p.flavor = (vkc_flavor)f;
            p.image_elements = n;
            p.abs_min = amin;
            vkc_hist_spec spec;
            if (vkc_flavor_hist_spec(&p, &st, &spec, &msg) != VKC_OK) die("spec", msg.text);
            hist[k] = calloc(spec.bins, 8);
            if (!hist[k] || vkc_histogram_f32(cpu, x, n, &spec, hist[k]) != VKC_OK) die("histogram", NULL);
            jobs[k] = (vkc_flavor_job){hist[k], spec, st, p};
        }
        double c1 = time_batch(cpu, jobs, 1, rc, o.runs), cs = time_batch(cpu, jobs, o.set, rc, o.runs);
        double g1 = NAN, gs = NAN;
        if (gpu) {
            g1 = time_batch(gpu, jobs, 1, rg, o.runs);
            gs = time_batch(gpu, jobs, o.set, rg, o.runs);
            for (uint32_t k = 0; k < o.set; k++)
                if (rg[k].index != rc[k].index || rg[k].threshold != rc[k].threshold) die("paths disagree", info->name);
        }
        printf("%-18s %6u %6u %12.2f %12.2f %14.1f %14.1f\n", info->name, jobs[0].spec.bins, rc[0].candidates, c1, g1,
               cs, gs);
        for (uint32_t k = 0; k < o.set; k++) free(hist[k]);
    }
    free(x);
    free(jobs);
    free(rc);
    free(rg);
    free(hist);
    if (gpu) vkc_context_destroy(gpu);
    vkc_context_destroy(cpu);
    return 0;
}
