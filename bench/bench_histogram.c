/* bench_histogram: throughput of the two data passes (range, histogram of
 * |x|) on every backend, on realistic float32 activations.
 *
 * Paths, each timed over --runs runs after one untimed warm-up (medians):
 *   gpu resident   data uploaded once into a device-local buffer; the range
 *                  pass is dispatched here over that buffer (the same shader
 *                  and pipeline vkc_range_f32 uses), the histogram pass is
 *                  vkc_gpu_histogram_buffer. Measures the kernels near the
 *                  device's memory bandwidth.
 *   gpu host       vkc_range_f32 / vkc_histogram_f32 on a host array: copy
 *                  into staging (and to the device on discrete GPUs) included.
 *   cpu backend    the same public calls on a VKC_BACKEND_CPU context.
 *   reference      vkc_ref_range / vkc_ref_histogram, one thread.
 * Every run's result must equal the reference bit for bit (counts, and min,
 * max, absmax, count, zeros of the range pass); otherwise the benchmark stops
 * with a message and exit status 1.
 *
 * Usage: bench_histogram [--n N] [--runs R] [--device D] [--bins B]
 *                        [--dist relu|heavy|all] [--threads T] [--seed S] [--no-gpu]
 */
#include "bench_util.h"
#include "vk/gpu.h"
#include "pass/passes.h"
#include "oracle/reference.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { P_GPU_RES, P_GPU_HOST, P_CPU, P_REF, NPATH };
enum { PASS_RANGE, PASS_HIST, NPASS };
enum { D_RELU, D_HEAVY, NDIST };

static const char *const kPathName[NPATH] = {"gpu resident", "gpu host array (+upload)", "cpu backend",
                                             "reference (1 thread)"};
static const char *const kPassName[NPASS] = {"range", "histogram"};
static const char *const kDistName[NDIST] = {"relu", "heavy"};

typedef struct options {
    uint64_t n;
    int runs;
    const char *device;
    uint32_t bins;
    int dist_mask;
    uint32_t threads;
    uint64_t seed;
    int no_gpu;
} options;

typedef struct result {
    int valid;
    double wall_ms, gpu_ms; /* medians; gpu_ms < 0: no timestamps */
} result;

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "bench_histogram: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

/* ------------------------------------------------------------------------ */
/* Data: deterministic per block, generated on all cores                    */

#define GEN_BLOCK (1u << 20)

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double uniform01(uint64_t *s) /* (0, 1) */
{
    return ((double)(splitmix(s) >> 11) + 0.5) * 0x1p-53;
}

/* Two independent standard normals (Box-Muller). */
static void normal2(uint64_t *s, double *a, double *b)
{
    double r = sqrt(-2.0 * log(uniform01(s))), v = 6.283185307179586 * uniform01(s);
    *a = r * cos(v);
    *b = r * sin(v);
}

typedef struct gen_job {
    float *x;
    uint64_t n, seed;
    int dist;
    uint32_t first, step;
} gen_job;

/* relu: 55% exact zeros, the rest half-normal (sigma 1.3): a post-ReLU
 * activation. heavy: Student-t with 3 degrees of freedom (scale 0.5) and one
 * value in a million multiplied by 100: the rare huge outliers of
 * transformer activations. */
static void *gen_worker(void *arg)
{
    gen_job *j = arg;
    uint64_t blocks = (j->n + GEN_BLOCK - 1) / GEN_BLOCK;
    for (uint64_t b = j->first; b < blocks; b += j->step) {
        uint64_t s = j->seed * 0x100000001b3ull + b * 0x9e3779b97f4a7c15ull + (uint64_t)j->dist;
        uint64_t end = (b + 1) * GEN_BLOCK < j->n ? (b + 1) * GEN_BLOCK : j->n;
        for (uint64_t i = b * GEN_BLOCK; i < end; i++) {
            double v, z, y;
            if (j->dist == D_RELU) {
                if (uniform01(&s) < 0.55) v = 0.0;
                else normal2(&s, &z, &y), v = fabs(z) * 1.3;
            } else {
                /* t = z / sqrt(chi2_3 / 3), chi2_3 = y^2 + chi2_2 = y^2 - 2 ln u */
                normal2(&s, &z, &y);
                double u = uniform01(&s);
                v = 0.5 * z * sqrt(3.0 / (y * y - 2.0 * log(uniform01(&s))));
                if (u < 1e-6) v *= 100.0;
            }
            j->x[i] = (float)v;
        }
    }
    return NULL;
}

static void generate(float *x, uint64_t n, int dist, uint64_t seed)
{
    enum { MAXT = 64 };
    uint32_t nt = vkc_cpu_count();
    if (nt > MAXT) nt = MAXT;
    gen_job jobs[MAXT];
    pthread_t th[MAXT];
    int started[MAXT] = {0};
    for (uint32_t t = 0; t < nt; t++) {
        jobs[t] = (gen_job){x, n, seed, dist, t, nt};
        if (t) started[t] = pthread_create(&th[t], NULL, gen_worker, &jobs[t]) == 0;
    }
    gen_worker(&jobs[0]);
    for (uint32_t t = 1; t < nt; t++) {
        if (started[t]) pthread_join(th[t], NULL);
        else gen_worker(&jobs[t]);
    }
}

/* ------------------------------------------------------------------------ */
/* GPU-resident paths                                                       */

/* Uploads x into a new device-local buffer through a bounded staging buffer. */
static vkc_status upload_resident(vkc_context *ctx, const float *x, uint64_t n, vkc_gbuf *dev)
{
    VkDeviceSize bytes = n * 4, piece = (VkDeviceSize)64 << 20;
    if (piece > bytes) piece = bytes;
    vkc_gbuf stage;
    vkc_status s = vkc_gbuf_create(ctx, bytes, 0, dev);
    if (s != VKC_OK) return s;
    if ((s = vkc_gbuf_create(ctx, piece, 1, &stage)) != VKC_OK) return s;
    for (VkDeviceSize off = 0; s == VKC_OK && off < bytes; off += piece) {
        VkDeviceSize m = bytes - off < piece ? bytes - off : piece;
        memcpy(stage.map, (const char *)x + off, (size_t)m);
        if ((s = vkc_cmd_begin(ctx)) != VKC_OK) break;
        vkc_cmd_copy(ctx, &stage, 0, dev, off, m);
        s = vkc_cmd_submit_wait(ctx);
    }
    vkc_gbuf_destroy(ctx, &stage);
    return s;
}

/* GPU-resident range pass: the public device-buffer entry point. */
static vkc_status gpu_range_resident(vkc_context *ctx, const vkc_gbuf *in, uint64_t n, vkc_stats *acc)
{
    vkc_buffer_view v = {in->buf, 0, n, VKC_DTYPE_F32};
    return vkc_range_buffer(ctx, &v, acc);
}

/* ------------------------------------------------------------------------ */
/* Running and checking                                                     */

typedef struct bench {
    const options *o;
    vkc_context *gpu, *cpu;
    const float *x;
    vkc_gbuf dev;
    int have_dev;
    vkc_hist_spec spec;
    vkc_stats ref_stats;
    uint64_t *ref_counts, *counts;
} bench;

static int same_stats(const vkc_stats *a, const vkc_stats *b)
{
    return vkc_f32_bits(a->min) == vkc_f32_bits(b->min) && vkc_f32_bits(a->max) == vkc_f32_bits(b->max) &&
           vkc_f32_bits(a->absmax) == vkc_f32_bits(b->absmax) && a->count == b->count && a->zeros == b->zeros &&
           a->nan == b->nan && a->pos_inf == b->pos_inf && a->neg_inf == b->neg_inf;
}

/* One run of one path; checks its result. Returns wall ms, *gpu_ms = -1
 * when the path has no GPU time. */
static double run_once(bench *b, int pass, int path, double *gpu_ms)
{
    vkc_context *ctx = path == P_CPU ? b->cpu : b->gpu;
    vkc_stats st;
    memset(&st, 0, sizeof st);
    memset(b->counts, 0, (size_t)b->spec.bins * sizeof *b->counts);
    vkc_status s = VKC_OK;
    float inv = vkc_hist_inv(&b->spec);
    double t0 = now_ms();
    switch (path) {
    case P_GPU_RES:
        s = pass == PASS_RANGE ? gpu_range_resident(ctx, &b->dev, b->o->n, &st)
                               : vkc_gpu_histogram_buffer(ctx, &b->dev, 0, b->o->n, VKC_DTYPE_F32, &b->spec, inv, NULL, b->counts);
        break;
    case P_GPU_HOST:
    case P_CPU:
        s = pass == PASS_RANGE ? vkc_range_f32(ctx, b->x, b->o->n, &st)
                               : vkc_histogram_f32(ctx, b->x, b->o->n, &b->spec, b->counts);
        break;
    case P_REF:
        if (pass == PASS_RANGE) vkc_ref_range(b->x, b->o->n, &st);
        else s = vkc_ref_histogram(b->x, b->o->n, &b->spec, b->counts);
        break;
    }
    double wall = now_ms() - t0;
    if (s != VKC_OK) die(kPathName[path], ctx ? vkc_context_error(ctx) : vkc_status_name(s));
    *gpu_ms = -1;
    if (path == P_GPU_RES || path == P_GPU_HOST) {
        double ns = vkc_context_last_gpu_ns(ctx);
        if (ns > 0) *gpu_ms = ns * 1e-6;
    }
    if (pass == PASS_RANGE && !same_stats(&st, &b->ref_stats)) {
        char why[256];
        snprintf(why, sizeof why, "%s range differs from the reference: min %.9g/%.9g max %.9g/%.9g absmax %.9g/%.9g "
                 "count %llu/%llu zeros %llu/%llu", kPathName[path], (double)st.min, (double)b->ref_stats.min,
                 (double)st.max, (double)b->ref_stats.max, (double)st.absmax, (double)b->ref_stats.absmax,
                 (unsigned long long)st.count, (unsigned long long)b->ref_stats.count,
                 (unsigned long long)st.zeros, (unsigned long long)b->ref_stats.zeros);
        die("MISMATCH", why);
    }
    if (pass == PASS_HIST && memcmp(b->counts, b->ref_counts, (size_t)b->spec.bins * sizeof *b->counts) != 0) {
        uint32_t k = 0;
        while (b->counts[k] == b->ref_counts[k]) k++;
        char why[256];
        snprintf(why, sizeof why, "%s histogram differs from the reference: first at bin %u: %llu vs %llu",
                 kPathName[path], k, (unsigned long long)b->counts[k], (unsigned long long)b->ref_counts[k]);
        die("MISMATCH", why);
    }
    return wall;
}

static result measure(bench *b, int pass, int path)
{
    result r = {0, 0, -1};
    if ((path == P_GPU_RES || path == P_GPU_HOST) && !b->gpu) return r;
    if (path == P_GPU_RES && !b->have_dev) return r;
    if (path == P_CPU && !b->cpu) return r;
    int runs = b->o->runs;
    double *wall = calloc((size_t)runs, sizeof *wall), *gpu = calloc((size_t)runs, sizeof *gpu), g;
    if (!wall || !gpu) die("out of memory", NULL);
    if (path != P_REF) run_once(b, pass, path, &g); /* warm-up: pipelines, buffers */
    int have_gpu = 1;
    for (int k = 0; k < runs; k++) {
        wall[k] = run_once(b, pass, path, &gpu[k]);
        if (gpu[k] < 0) have_gpu = 0;
    }
    r.valid = 1;
    r.wall_ms = median(wall, runs);
    r.gpu_ms = have_gpu ? median(gpu, runs) : -1;
    free(wall);
    free(gpu);
    return r;
}

/* ------------------------------------------------------------------------ */
/* Contexts and output                                                      */

static vkc_context *open_gpu(const options *o, const char **how)
{
    vkc_context_info info;
    memset(&info, 0, sizeof info);
    info.backend = VKC_BACKEND_VULKAN;
    info.device = o->device;
    vkc_context *ctx = NULL;
    vkc_msg msg = {{0}};
    vkc_status s = vkc_context_create(&info, &ctx, &msg);
    *how = o->device ? "--device" : "default rule (or VKCALIB_DEVICE)";
    if (s == VKC_OK) return ctx;
    if (o->device) die("cannot open the Vulkan device", msg.text);
    fprintf(stderr, "bench_histogram: default rule: %s; trying llvmpipe\n", msg.text);
    info.device = "llvmpipe";
    *how = "named llvmpipe (the default rule found no GPU)";
    if (vkc_context_create(&info, &ctx, &msg) == VKC_OK) return ctx;
    fprintf(stderr, "bench_histogram: no Vulkan device (%s): GPU rows skipped\n", msg.text);
    return NULL;
}

static const char *type_name(VkPhysicalDeviceType t)
{
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
    default: return "other";
    }
}

static void print_row(const char *pass, const char *path, const result *r, uint64_t n)
{
    if (!r->valid) {
        printf("  %-10s %-26s %10s\n", pass, path, "skipped");
        return;
    }
    double s = r->wall_ms * 1e-3;
    printf("  %-10s %-26s %10.2f %9.3f %9.2f", pass, path, r->wall_ms, n / s * 1e-9, n * 4.0 / s * 1e-9);
    if (r->gpu_ms > 0)
        printf(" %10.2f %9.2f\n", r->gpu_ms, n * 4.0 / (r->gpu_ms * 1e-3) * 1e-9);
    else
        printf(" %10s %9s\n", "-", "-");
}

static void print_ratio(const result *a, const result *b)
{
    if (a->valid && b->valid && a->wall_ms > 0) printf(" %12.2f", b->wall_ms / a->wall_ms);
    else printf(" %12s", "-");
}

static void usage(void)
{
    fputs("Usage: bench_histogram [--n N] [--runs R] [--device D] [--bins B] [--dist relu|heavy|all]\n"
          "                       [--threads T] [--seed S] [--no-gpu]\n"
          "  --n N        elements per tensor (default 67108864 = 64M float32, 256 MiB)\n"
          "  --runs R     timed runs per path, medians printed (default 5, at least 1)\n"
          "  --device D   Vulkan device (index, UUID, name substring); default: the default\n"
          "               rule (VKCALIB_DEVICE honoured), else llvmpipe\n"
          "  --bins B     histogram bins (default 2048)\n"
          "  --threads T  CPU backend threads (default: online processors)\n",
          stderr);
}

int main(int argc, char **argv)
{
    options o = {64ull << 20, 5, NULL, 2048, 3, 0, 1, 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t u;
        if (strcmp(a, "--n") == 0 && parse_u64(v, &u)) o.n = u, i++;
        else if (strcmp(a, "--runs") == 0 && parse_u64(v, &u) && u >= 1 && u <= 1000) o.runs = (int)u, i++;
        else if (strcmp(a, "--device") == 0 && v) o.device = v, i++;
        else if (strcmp(a, "--bins") == 0 && parse_u64(v, &u) && u >= 1 && u <= (1u << 20)) o.bins = (uint32_t)u, i++;
        else if (strcmp(a, "--threads") == 0 && parse_u64(v, &u) && u >= 1 && u <= 64) o.threads = (uint32_t)u, i++;
        else if (strcmp(a, "--seed") == 0 && parse_u64(v, &u)) o.seed = u, i++;
        else if (strcmp(a, "--dist") == 0 && v) {
            o.dist_mask = strcmp(v, "relu") == 0 ? 1 : strcmp(v, "heavy") == 0 ? 2 : strcmp(v, "all") == 0 ? 3 : 0;
            if (!o.dist_mask) { usage(); return 2; }
            i++;
        } else if (strcmp(a, "--no-gpu") == 0) o.no_gpu = 1;
        else { usage(); return strcmp(a, "--help") == 0 ? 0 : 2; }
    }
    /* 1 GiB of data at most: host copy, staging and read-back stay < 4 GB. */
    if (o.n == 0 || o.n > (1ull << 28)) die("--n must lie in 1..268435456", NULL);

    bench b;
    memset(&b, 0, sizeof b);
    b.o = &o;
    const char *how = "";
    if (!o.no_gpu) b.gpu = open_gpu(&o, &how);
    vkc_context_info ci;
    memset(&ci, 0, sizeof ci);
    ci.backend = VKC_BACKEND_CPU;
    ci.cpu_threads = o.threads;
    vkc_msg msg = {{0}};
    if (vkc_context_create(&ci, &b.cpu, &msg) != VKC_OK) die("cannot create the CPU context", msg.text);

    float *x = malloc(o.n * sizeof *x);
    b.ref_counts = malloc(o.bins * sizeof *b.ref_counts);
    b.counts = malloc(o.bins * sizeof *b.counts);
    if (!x || !b.ref_counts || !b.counts) die("out of memory for the data", NULL);
    b.x = x;

    printf("bench_histogram: n = %llu float32 (%.1f MB), %u bins, %d runs per path, medians\n",
           (unsigned long long)o.n, o.n * 4.0 / 1e6, o.bins, o.runs);
    if (b.gpu) {
        const vkc_device_caps *c = vkc_context_caps(b.gpu);
        printf("gpu device: %s [%s, %s], subgroup %u, timestamps %s; chosen by %s\n", c->name,
               type_name(c->type), c->driver_info, c->subgroup_size,
               vkc_gpu_has(b.gpu, VKC_FEATURE_TIMESTAMPS) ? "yes" : "no", how);
    } else {
        printf("gpu device: none%s\n", o.no_gpu ? " (--no-gpu)" : "");
    }
    printf("cpu backend: %u threads; reference: 1 thread; %s\n", b.cpu->threads, load_average());
    printf("columns: wall ms = median wall-clock time of one pass over the tensor; Gelem/s and GB/s from it;\n"
           "         gpu ms = median GPU time from timestamp queries (vkc_context_last_gpu_ns), GB/s(gpu) from it\n");

    result res[NDIST][NPASS][NPATH];
    memset(res, 0, sizeof res);
    for (int d = 0; d < NDIST; d++) {
        if (!(o.dist_mask & (1 << d))) continue;
        double t0 = now_ms();
        generate(x, o.n, d, o.seed);
        double gen_ms = now_ms() - t0;
        memset(&b.ref_stats, 0, sizeof b.ref_stats);
        vkc_ref_range(x, o.n, &b.ref_stats);
        b.spec = (vkc_hist_spec){VKC_HIST_ABS, o.bins, 0.0f, b.ref_stats.absmax};
        memset(b.ref_counts, 0, o.bins * sizeof *b.ref_counts);
        if (vkc_ref_histogram(x, o.n, &b.spec, b.ref_counts) != VKC_OK) die("reference histogram failed", NULL);
        uint32_t used = 0;
        for (uint32_t k = 0; k < o.bins; k++) used += b.ref_counts[k] != 0;
        printf("\ndata %s: %.1f%% exact zeros, absmax %.6g, %u of %u bins non-empty, bin 0 holds %.1f%% "
               "(generated in %.0f ms)\n",
               kDistName[d], 100.0 * b.ref_stats.zeros / o.n, (double)b.ref_stats.absmax, used, o.bins,
               100.0 * b.ref_counts[0] / o.n, gen_ms);
        b.have_dev = 0;
        if (b.gpu) {
            vkc_status s = upload_resident(b.gpu, x, o.n, &b.dev);
            if (s != VKC_OK) {
                fprintf(stderr, "bench_histogram: cannot upload the tensor to the device (%s): resident rows "
                        "skipped\n", vkc_context_error(b.gpu));
                vkc_gbuf_destroy(b.gpu, &b.dev);
            } else {
                b.have_dev = 1;
            }
        }
        printf("  %-10s %-26s %10s %9s %9s %10s %9s\n", "pass", "path", "wall ms", "Gelem/s", "GB/s", "gpu ms",
               "GB/s(gpu)");
        for (int p = 0; p < NPASS; p++)
            for (int q = 0; q < NPATH; q++) {
                res[d][p][q] = measure(&b, p, q);
                print_row(kPassName[p], kPathName[q], &res[d][p][q], o.n);
                fflush(stdout);
            }
        if (b.have_dev) vkc_gbuf_destroy(b.gpu, &b.dev);
    }

    printf("\nspeed-ups from median wall-clock times (time of the second path / time of the first; > 1: the first "
           "is faster)\n");
    printf("  %-6s %-10s %12s %12s %12s %12s %12s\n", "data", "pass", "gpu-res/cpu", "gpu-res/ref", "gpu-host/cpu",
           "gpu-host/ref", "cpu/ref");
    for (int d = 0; d < NDIST; d++) {
        if (!(o.dist_mask & (1 << d))) continue;
        for (int p = 0; p < NPASS; p++) {
            result *r = res[d][p];
            printf("  %-6s %-10s", kDistName[d], kPassName[p]);
            print_ratio(&r[P_GPU_RES], &r[P_CPU]);
            print_ratio(&r[P_GPU_RES], &r[P_REF]);
            print_ratio(&r[P_GPU_HOST], &r[P_CPU]);
            print_ratio(&r[P_GPU_HOST], &r[P_REF]);
            print_ratio(&r[P_CPU], &r[P_REF]);
            printf("\n");
        }
    }
    printf("all paths matched the reference on every run\n");
    free(x);
    free(b.ref_counts);
    free(b.counts);
    vkc_context_destroy(b.cpu);
    vkc_context_destroy(b.gpu);
    return 0;
}
