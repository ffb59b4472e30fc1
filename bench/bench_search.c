/* bench_search: time of the entropy (KL) threshold search per tensor on
 * every path, on realistic histograms.
 *
 * Scenarios:
 *   2048    four tensors of 2048 bins, each searched alone (one call each)
 *   8192    the same four kinds with 8192 bins
 *   set100  100 tensors of 2048 bins (mixed kinds, totals 1e6..1e9) in ONE
 *           call: the GPU evaluates every candidate of every tensor in one
 *           dispatch; the CPU context spreads tensors over its threads
 * Paths:
 *   gpu     vkc_search on a Vulkan context (upload, dispatch, host selection)
 *   cpu     vkc_search on a CPU context (threads across tensors)
 *   cpu-1t  vkc_entropy_cpu, the fast O(levels)-per-candidate evaluator, one
 *           thread, one tensor after another
 *   ref     vkc_entropy_reference, the plain double O(i)-per-candidate oracle
 *           (O(n^2) per tensor: few runs for 8192 bins and the set)
 * Every path must choose the same i as the reference on every run, or the
 * benchmark stops with a message and exit status 1. Medians of --runs runs
 * after one untimed warm-up (none for ref).
 *
 * The set scenario also splits the gpu path's wall time into its host
 * phases (working copies and prefix sums, packing, staging, submit + wait,
 * selection; search/search_gpu.h), medians per call, beside the GPU time.
 *
 * --dump FILE writes the histograms (and the i every path chose) in the text
 * format bench/numpy_entropy.py reads; --csv FILE writes the medians.
 */
#include "bench_rand.h"
#include "bench_util.h"
#include "search/entropy.h"
#include "search/search_gpu.h"
#include "vk/gpu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { P_GPU, P_CPU, P_CPU1, P_REF, NPATH };
static const char *const kPath[NPATH] = {"gpu", "cpu", "cpu-1t", "ref"};

typedef struct options {
    int runs, ref_runs; /* ref_runs 0: runs for 2048, min(runs, 3) otherwise */
    const char *device, *dump, *csv, *only;
    uint64_t seed;
    uint32_t set_size, threads;
    int no_gpu;
} options;

typedef struct tensor {
    char name[48];
    uint32_t bins;
    double range_max;
    uint64_t *counts;
    uint64_t total;
    uint32_t i;         /* the reference's choice */
    uint32_t reeval_gpu, reeval_cpu, inf_candidates;
} tensor;

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "bench_search: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

/* ------------------------------------------------------------------------ */
/* Histograms: expected bin counts of a distribution of |x|, then Poisson    */
/* noise, as the histogram pass would give for `total` samples.             */

static uint64_t poisson(uint64_t *s, double lambda)
{
    if (lambda <= 0) return 0;
    if (lambda >= 30) {
        double v = nearbyint(lambda + sqrt(lambda) * normal(s));
        return v > 0 ? (uint64_t)v : 0;
    }
    double l = exp(-lambda), p = 1.0;
    uint64_t k = 0;
    do {
        k++;
        p *= uniform01(s);
    } while (p > l);
    return k - 1;
}

enum { K_RELU, K_HEAVY, K_NORMAL, K_SOFTMAX, NKIND };
static const char *const kKind[NKIND] = {"relu", "heavy", "preact", "softmax"};

typedef struct dist {
    int kind;
    double a, b, c; /* kind parameters */
} dist;

/* Distribution function of |x| (of the non-zero part for relu). */
static double cdf(const dist *d, double x)
{
    switch (d->kind) {
    case K_RELU: /* half-normal, sigma a */
        return erf(x / (d->a * 1.4142135623730951));
    case K_HEAVY: { /* |Student-t(3)| with scale a; fraction b of outliers uniform on [c/5, c] */
        double u = x / (d->a * 1.7320508075688772);
        double body = (2.0 / 3.141592653589793) * (u / (1.0 + u * u) + atan(u));
        double lo = d->c / 5, out = x <= lo ? 0.0 : x >= d->c ? 1.0 : (x - lo) / (d->c - lo);
        return (1.0 - d->b) * body + d->b * out;
    }
    case K_NORMAL: /* |N(0.3 a, a)|: a pre-activation, signed and skewed */
        return 0.5 * (erf((x - 0.3 * d->a) / (d->a * 1.4142135623730951)) +
                      erf((x + 0.3 * d->a) / (d->a * 1.4142135623730951)));
    default: /* softmax: 1 - b exponential (scale a), b uniform on [0, 1] */
        return (1.0 - d->b) * (1.0 - exp(-x / d->a)) + d->b * (x < 1 ? x : 1.0);
    }
}

/* The x where `samples` draws leave about one value above: the absmax the
 * range pass would find. */
static double expected_max(const dist *d, double samples)
{
    double lo = 0, hi = 1;
    while (samples * (1.0 - cdf(d, hi)) > 1.0 && hi < 1e30) hi *= 2;
    for (int k = 0; k < 200; k++) {
        double mid = 0.5 * (lo + hi);
        if (samples * (1.0 - cdf(d, mid)) > 1.0) lo = mid;
        else hi = mid;
    }
    return hi;
}

static void make_tensor(tensor *t, int kind, uint32_t bins, double total, uint64_t seed, const char *name)
{
    uint64_t s = seed * 0x100000001b3ull + (uint64_t)kind * 7919 + bins;
    dist d = {kind, 0, 0, 0};
    double zeros = 0, nonzero = total, range;
    switch (kind) {
    case K_RELU:
        zeros = floor(total * (0.5 + 0.15 * uniform01(&s)));
        nonzero = total - zeros;
        d.a = 0.5 + 1.5 * uniform01(&s);
        range = expected_max(&d, nonzero);
        break;
    case K_HEAVY:
        d.a = 0.3 + 0.5 * uniform01(&s);
        d.b = 1e-6 * (1.0 + 4.0 * uniform01(&s));
        d.c = 0; /* outliers off while finding the body's maximum */
        {
            dist body = {K_HEAVY, d.a, 0, 1};
            d.c = expected_max(&body, total) * (20.0 + 30.0 * uniform01(&s));
        }
        range = d.c;
        break;
    case K_NORMAL:
        d.a = 0.5 + 2.0 * uniform01(&s);
        range = expected_max(&d, total);
        break;
    default:
        d.a = 0.001 + 0.004 * uniform01(&s);
        d.b = 2e-3 + 8e-3 * uniform01(&s);
        range = 0.9 + 0.1 * uniform01(&s);
        break;
    }
    snprintf(t->name, sizeof t->name, "%s", name);
    t->bins = bins;
    t->range_max = range;
    t->counts = calloc(bins, sizeof *t->counts);
    if (!t->counts) die("out of memory", NULL);
    double w = range / bins, prev = 0;
    t->total = 0;
    for (uint32_t j = 0; j < bins; j++) {
        double next = j + 1 == bins ? 1.0 : cdf(&d, (j + 1) * w);
        t->counts[j] = poisson(&s, nonzero * (next - prev));
        prev = next;
    }
    t->counts[0] += (uint64_t)zeros;
    if (t->counts[bins - 1] == 0) t->counts[bins - 1] = 1; /* the absmax lies in the last bin */
    for (uint32_t j = 0; j < bins; j++) t->total += t->counts[j];
}

/* ------------------------------------------------------------------------ */
/* Timing                                                                   */

typedef struct bench {
    const options *o;
    vkc_context *gpu, *cpu;
    vkc_search_params sp;
    vkc_kl_params kp;
    vkc_histogram *hists;
    vkc_search_result *res;
    FILE *csv;
} bench;

static void check(const char *scenario, const char *path, tensor *t, const vkc_search_result *r)
{
    if (r->i != t->i) {
        char why[256];
        snprintf(why, sizeof why, "%s %s: %s chose i = %u, the reference i = %u", scenario, t->name, path, r->i,
                 t->i);
        die("MISMATCH", why);
    }
}

/* Runs path over tensors ts[0..count-1] in the path's natural way (one call
 * for vkc_search, a loop for the single-thread evaluators); returns wall ms
 * for all of them, *gpu_ms the GPU time (-1 when none). */
static double run_once(bench *b, int path, tensor *ts, uint32_t count, const char *scenario, double *gpu_ms,
                       double *phase_ms)
{
    vkc_msg msg = {{0}};
    vkc_status s = VKC_OK;
    for (uint32_t k = 0; k < count; k++)
        b->hists[k] = (vkc_histogram){ts[k].counts, ts[k].bins, ts[k].range_max};
    double t0 = now_ms();
    switch (path) {
    case P_GPU: s = vkc_search(b->gpu, b->hists, count, &b->sp, b->res); break;
    case P_CPU: s = vkc_search(b->cpu, b->hists, count, &b->sp, b->res); break;
    case P_CPU1:
        for (uint32_t k = 0; s == VKC_OK && k < count; k++)
            s = vkc_entropy_cpu(ts[k].counts, ts[k].bins, ts[k].range_max, &b->kp, &b->res[k], &msg);
        break;
    default:
        for (uint32_t k = 0; s == VKC_OK && k < count; k++)
            s = vkc_entropy_reference(ts[k].counts, ts[k].bins, ts[k].range_max, &b->kp, &b->res[k], &msg);
        break;
    }
    double wall = now_ms() - t0;
    if (s != VKC_OK)
        die(kPath[path], path == P_GPU ? vkc_context_error(b->gpu)
                         : path == P_CPU ? vkc_context_error(b->cpu) : msg.text);
    *gpu_ms = path == P_GPU && vkc_context_last_gpu_ns(b->gpu) > 0 ? vkc_context_last_gpu_ns(b->gpu) * 1e-6 : -1;
    for (int ph = 0; phase_ms && ph < VKC_SEARCH_PHASES; ph++) {
        phase_ms[ph] = path == P_GPU ? b->gpu->search_ns[ph] * 1e-6 : 0;
        phase_ms[VKC_SEARCH_PHASES + ph] = path == P_GPU ? b->gpu->search_cpu_ns[ph] * 1e-6 : 0;
    }
    for (uint32_t k = 0; k < count; k++) {
        if (path == P_REF) {
            if (ts[k].i == UINT32_MAX) {
                ts[k].i = b->res[k].i;
                ts[k].inf_candidates = b->res[k].inf_candidates;
            }
        } else {
            check(scenario, kPath[path], &ts[k], &b->res[k]);
        }
        if (path == P_GPU) ts[k].reeval_gpu = b->res[k].reevaluated;
        if (path == P_CPU1) ts[k].reeval_cpu = b->res[k].reevaluated;
    }
    return wall;
}

typedef struct timing {
    int valid, runs;
    double ms, gpu_ms; /* medians per call */
    double phase_ms[VKC_SEARCH_PHASES]; /* gpu path: medians per call of each host phase */
    double phase_cpu_ms[VKC_SEARCH_PHASES]; /* the same, the calling thread's CPU time */
} timing;

static timing measure(bench *b, int path, tensor *ts, uint32_t count, const char *scenario, int runs)
{
    timing r = {0, runs, 0, -1, {0}, {0}};
    if (path == P_GPU && !b->gpu) return r;
    double *w = calloc((size_t)runs, sizeof *w), *g = calloc((size_t)runs, sizeof *g), tmp;
    double *ph = calloc((size_t)runs * 2 * VKC_SEARCH_PHASES, sizeof *ph), *col = calloc((size_t)runs, sizeof *col);
    if (!w || !g || !ph || !col) die("out of memory", NULL);
    if (path != P_REF) run_once(b, path, ts, count, scenario, &tmp, NULL);
    int have_gpu = 1;
    for (int k = 0; k < runs; k++) {
        w[k] = run_once(b, path, ts, count, scenario, &g[k], ph + (size_t)k * 2 * VKC_SEARCH_PHASES);
        if (g[k] < 0) have_gpu = 0;
    }
    r.valid = 1;
    r.ms = median(w, runs);
    r.gpu_ms = have_gpu ? median(g, runs) : -1;
    for (int p = 0; p < 2 * VKC_SEARCH_PHASES; p++) {
        for (int k = 0; k < runs; k++) col[k] = ph[(size_t)k * 2 * VKC_SEARCH_PHASES + p];
        if (p < VKC_SEARCH_PHASES) r.phase_ms[p] = median(col, runs);
        else r.phase_cpu_ms[p - VKC_SEARCH_PHASES] = median(col, runs);
    }
    free(w);
    free(g);
    free(ph);
    free(col);
    return r;
}

static void print_ms(const timing *t, double per)
{
    if (t->valid) printf(" %9.3f", t->ms / per);
    else printf(" %9s", "-");
}

static void print_ratio(const timing *fast, const timing *slow)
{
    if (fast->valid && slow->valid && fast->ms > 0) printf(" %9.3g", slow->ms / fast->ms);
    else printf(" %9s", "-");
}

static void csv_row(bench *b, const char *scenario, const tensor *t, int path, const timing *tm, double per)
{
    if (!b->csv || !tm->valid) return;
    fprintf(b->csv, "%s,%s,%u,%llu,%s,%.6f,%d,%u\n", scenario, t->name, t->bins, (unsigned long long)t->total,
            kPath[path], tm->ms / per, tm->runs, t->i);
}

static void header(void)
{
    printf("  %-12s %5s %9s %5s %5s %6s %9s %9s %9s %9s %9s %9s | %9s %9s %9s %9s\n", "tensor", "bins", "total", "i",
           "inf", "reeval", "gpu", "gpu(ts)", "cpu", "cpu-1t", "ref", "", "gpu/cpu1t", "gpu/ref", "cpu1t/ref",
           "cpu/ref");
}

/* One scenario of single-tensor calls: each tensor timed alone. */
static void run_singles(bench *b, const char *scenario, tensor *ts, uint32_t count, int ref_runs)
{
    printf("\nscenario %s: one tensor per call; ms per tensor (medians: %d runs, ref %d)\n", scenario, b->o->runs,
           ref_runs);
    header();
    for (uint32_t k = 0; k < count; k++) {
        tensor *t = &ts[k];
        timing tm[NPATH];
        t->i = UINT32_MAX;
        tm[P_REF] = measure(b, P_REF, t, 1, scenario, ref_runs);
        for (int p = 0; p < P_REF; p++) tm[p] = measure(b, p, t, 1, scenario, b->o->runs);
        printf("  %-12s %5u %9.3g %5u %5u %6u", t->name, t->bins, (double)t->total, t->i, t->inf_candidates,
               t->reeval_cpu);
        for (int p = 0; p < NPATH; p++) {
            print_ms(&tm[p], 1);
            if (p == P_GPU) {
                if (tm[p].gpu_ms > 0) printf(" %9.3f", tm[p].gpu_ms);
                else printf(" %9s", "-");
            }
        }
        printf(" %9s |", "");
        print_ratio(&tm[P_GPU], &tm[P_CPU1]);
        print_ratio(&tm[P_GPU], &tm[P_REF]);
        print_ratio(&tm[P_CPU1], &tm[P_REF]);
        print_ratio(&tm[P_CPU], &tm[P_REF]);
        printf("\n");
        fflush(stdout);
        for (int p = 0; p < NPATH; p++) csv_row(b, scenario, t, p, &tm[p], 1);
    }
}

static void run_set(bench *b, const char *scenario, tensor *ts, uint32_t count, int ref_runs)
{
    printf("\nscenario %s: %u tensors of %u bins in one call; ms per tensor = ms per call / %u (medians: %d runs, "
           "ref %d)\n", scenario, count, ts[0].bins, count, b->o->runs, ref_runs);
    for (uint32_t k = 0; k < count; k++) ts[k].i = UINT32_MAX;
    timing tm[NPATH];
    tm[P_REF] = measure(b, P_REF, ts, count, scenario, ref_runs);
    for (int p = 0; p < P_REF; p++) tm[p] = measure(b, p, ts, count, scenario, b->o->runs);
    uint64_t reeval_g = 0, reeval_c = 0, infs = 0;
    double tot_min = 1e300, tot_max = 0;
    for (uint32_t k = 0; k < count; k++) {
        reeval_g += ts[k].reeval_gpu;
        reeval_c += ts[k].reeval_cpu;
        infs += ts[k].inf_candidates;
        tot_min = fmin(tot_min, (double)ts[k].total);
        tot_max = fmax(tot_max, (double)ts[k].total);
    }
    printf("  totals %.3g..%.3g; candidates re-evaluated in double per tensor: gpu %.1f, cpu %.1f; "
           "infinite candidates per tensor %.1f\n", tot_min, tot_max, (double)reeval_g / count,
           (double)reeval_c / count, (double)infs / count);
    printf("  %-12s %9s %9s %9s %9s %9s | %9s %9s %9s %9s\n", "", "gpu", "gpu(ts)", "cpu", "cpu-1t", "ref",
           "gpu/cpu1t", "gpu/ref", "cpu1t/ref", "cpu/ref");
    printf("  %-12s", "ms per call");
    for (int p = 0; p < NPATH; p++) {
        print_ms(&tm[p], 1);
        if (p == P_GPU) {
            if (tm[p].gpu_ms > 0) printf(" %9.3f", tm[p].gpu_ms);
            else printf(" %9s", "-");
        }
    }
    printf(" |");
    print_ratio(&tm[P_GPU], &tm[P_CPU1]);
    print_ratio(&tm[P_GPU], &tm[P_REF]);
    print_ratio(&tm[P_CPU1], &tm[P_REF]);
    print_ratio(&tm[P_CPU], &tm[P_REF]);
    printf("\n  %-12s", "ms per tensor");
    for (int p = 0; p < NPATH; p++) {
        print_ms(&tm[p], count);
        if (p == P_GPU) {
            if (tm[p].gpu_ms > 0) printf(" %9.4f", tm[p].gpu_ms / count);
            else printf(" %9s", "-");
        }
    }
    printf(" |\n");
    if (tm[P_GPU].valid) {
        const double *ph = tm[P_GPU].phase_ms;
        double host = ph[VKC_SEARCH_PREPARE] + ph[VKC_SEARCH_PACK] + ph[VKC_SEARCH_UPLOAD] + ph[VKC_SEARCH_SELECT];
        printf("  gpu path, ms per call (medians): prepare %.3f, pack %.3f, staging %.3f, select %.3f = host %.3f;"
               " submit+wait %.3f (GPU time %.3f)\n", ph[VKC_SEARCH_PREPARE], ph[VKC_SEARCH_PACK],
               ph[VKC_SEARCH_UPLOAD], ph[VKC_SEARCH_SELECT], host, ph[VKC_SEARCH_SUBMIT], tm[P_GPU].gpu_ms);
        const double *pc = tm[P_GPU].phase_cpu_ms;
        printf("  the calling thread's CPU time (all the host work with --threads 1): prepare %.3f, pack %.3f, "
               "staging %.3f, select %.3f = host %.3f\n", pc[VKC_SEARCH_PREPARE], pc[VKC_SEARCH_PACK],
               pc[VKC_SEARCH_UPLOAD], pc[VKC_SEARCH_SELECT],
               pc[VKC_SEARCH_PREPARE] + pc[VKC_SEARCH_PACK] + pc[VKC_SEARCH_UPLOAD] + pc[VKC_SEARCH_SELECT]);
    }
    tensor agg = ts[0];
    snprintf(agg.name, sizeof agg.name, "all%u", count);
    agg.i = 0;
    agg.total = 0;
    for (uint32_t k = 0; k < count; k++) agg.total += ts[k].total;
    for (int p = 0; p < NPATH; p++) csv_row(b, scenario, &agg, p, &tm[p], count);
}

static void dump(FILE *f, const char *scenario, const tensor *ts, uint32_t count)
{
    for (uint32_t k = 0; k < count; k++) {
        fprintf(f, "tensor %s %s %u %.17g %u %llu\n", scenario, ts[k].name, ts[k].bins, ts[k].range_max, ts[k].i,
                (unsigned long long)ts[k].total);
        for (uint32_t j = 0; j < ts[k].bins; j++)
            fprintf(f, "%llu%c", (unsigned long long)ts[k].counts[j], j + 1 == ts[k].bins ? '\n' : ' ');
    }
}

static void usage(void)
{
    fputs("Usage: bench_search [--runs R] [--ref-runs R] [--device D] [--no-gpu] [--set N] [--only 2048|8192|set]\n"
          "                    [--threads T] [--seed S] [--dump FILE] [--csv FILE]\n"
          "  --runs R      timed runs per path (default 5)\n"
          "  --ref-runs R  runs of the double reference (default: --runs for 2048 bins, min(--runs, 3)\n"
          "                for 8192 bins and the set: it is O(n^2) per tensor)\n"
          "  --device D    Vulkan device; default: the default rule (VKCALIB_DEVICE honoured), else llvmpipe\n"
          "  --set N       tensors in the one-call set (default 100)\n"
          "  --threads T   host threads of the CPU backend and of the GPU path's host work (default: all)\n"
          "  --dump FILE   write the histograms and chosen i for bench/numpy_entropy.py\n"
          "  --csv FILE    write scenario,tensor,bins,total,path,ms_per_tensor,runs,i rows\n",
          stderr);
}

static vkc_context *open_gpu(const options *o)
{
    vkc_context_info info;
    memset(&info, 0, sizeof info);
    info.backend = VKC_BACKEND_VULKAN;
    info.device = o->device;
    info.cpu_threads = o->threads; /* the host share of the GPU path */
    vkc_context *ctx = NULL;
    vkc_msg msg = {{0}};
    if (vkc_context_create(&info, &ctx, &msg) == VKC_OK) return ctx;
    if (o->device) die("cannot open the Vulkan device", msg.text);
    fprintf(stderr, "bench_search: default rule: %s; trying llvmpipe\n", msg.text);
    info.device = "llvmpipe";
    if (vkc_context_create(&info, &ctx, &msg) == VKC_OK) return ctx;
    fprintf(stderr, "bench_search: no Vulkan device (%s): GPU columns skipped\n", msg.text);
    return NULL;
}

int main(int argc, char **argv)
{
    options o;
    memset(&o, 0, sizeof o);
    o.runs = 5;
    o.seed = 1;
    o.set_size = 100;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t u;
        if (strcmp(a, "--runs") == 0 && parse_u64(v, &u) && u >= 1 && u <= 1000) o.runs = (int)u, i++;
        else if (strcmp(a, "--ref-runs") == 0 && parse_u64(v, &u) && u >= 1 && u <= 1000) o.ref_runs = (int)u, i++;
        else if (strcmp(a, "--device") == 0 && v) o.device = v, i++;
        else if (strcmp(a, "--dump") == 0 && v) o.dump = v, i++;
        else if (strcmp(a, "--csv") == 0 && v) o.csv = v, i++;
        else if (strcmp(a, "--only") == 0 && v) o.only = v, i++;
        else if (strcmp(a, "--seed") == 0 && parse_u64(v, &u)) o.seed = u, i++;
        else if (strcmp(a, "--set") == 0 && parse_u64(v, &u) && u >= 1 && u <= 4096) o.set_size = (uint32_t)u, i++;
        else if (strcmp(a, "--threads") == 0 && parse_u64(v, &u) && u >= 1 && u <= 64) o.threads = (uint32_t)u, i++;
        else if (strcmp(a, "--no-gpu") == 0) o.no_gpu = 1;
        else {
            usage();
            return strcmp(a, "--help") == 0 ? 0 : 2;
        }
    }
    int do2048 = !o.only || strcmp(o.only, "2048") == 0, do8192 = !o.only || strcmp(o.only, "8192") == 0;
    int doset = !o.only || strcmp(o.only, "set") == 0;
    if (!do2048 && !do8192 && !doset) {
        usage();
        return 2;
    }

    bench b;
    memset(&b, 0, sizeof b);
    b.o = &o;
    vkc_kl_params_from(&b.sp, &b.kp); /* defaults: entropy, modelopt, symmetric, start 128 */
    if (!o.no_gpu) b.gpu = open_gpu(&o);
    vkc_context_info ci;
    memset(&ci, 0, sizeof ci);
    ci.backend = VKC_BACKEND_CPU;
    ci.cpu_threads = o.threads;
    vkc_msg msg = {{0}};
    if (vkc_context_create(&ci, &b.cpu, &msg) != VKC_OK) die("cannot create the CPU context", msg.text);
    uint32_t maxn = o.set_size > 4 ? o.set_size : 4;
    b.hists = calloc(maxn, sizeof *b.hists);
    b.res = calloc(maxn, sizeof *b.res);
    if (!b.hists || !b.res) die("out of memory", NULL);
    if (o.csv) {
        b.csv = fopen(o.csv, "w");
        if (!b.csv) die("cannot write", o.csv);
        fprintf(b.csv, "scenario,tensor,bins,total,path,ms_per_tensor,runs,i\n");
    }

    printf("bench_search: entropy search (modelopt flavour, symmetric, 128 levels, start bin 128)\n");
    if (b.gpu) {
        const vkc_device_caps *c = vkc_context_caps(b.gpu);
        printf("gpu device: %s [%s], subgroup %u, subgroup arithmetic %s\n", c->name, c->driver_info,
               c->subgroup_size, vkc_gpu_has(b.gpu, VKC_FEATURE_SUBGROUP_ARITHMETIC) ? "yes" : "no");
    } else {
        printf("gpu device: none\n");
    }
    printf("cpu backend: %u threads; %s\n", b.cpu->threads, load_average());
    printf("columns: ms per tensor (medians); gpu(ts) = GPU time from timestamps; inf = candidates with KL = +inf;\n"
           "         reeval = candidates the fast CPU path re-evaluated with the reference; A/B = time(B)/time(A),\n"
           "         > 1: A is faster\n");

    enum { NSINGLE = NKIND };
    static const double kTotals[NSINGLE] = {2e8, 5e8, 3e7, 1e9};
    tensor t2048[NSINGLE], t8192[NSINGLE];
    tensor *set = calloc(o.set_size, sizeof *set);
    if (!set) die("out of memory", NULL);
    int ref_2048 = o.ref_runs ? o.ref_runs : o.runs;
    int ref_big = o.ref_runs ? o.ref_runs : (o.runs < 3 ? o.runs : 3);
    if (do2048) {
        for (int k = 0; k < NSINGLE; k++) make_tensor(&t2048[k], k, 2048, kTotals[k], o.seed, kKind[k]);
        run_singles(&b, "2048", t2048, NSINGLE, ref_2048);
    }
    if (do8192) {
        for (int k = 0; k < NSINGLE; k++) make_tensor(&t8192[k], k, 8192, kTotals[k], o.seed, kKind[k]);
        run_singles(&b, "8192", t8192, NSINGLE, ref_big);
    }
    if (doset) {
        uint64_t s = o.seed ^ 0x5e7;
        for (uint32_t k = 0; k < o.set_size; k++) {
            char name[48];
            snprintf(name, sizeof name, "t%03u_%s", k, kKind[k % NKIND]);
            double total = pow(10.0, 6.0 + 3.0 * uniform01(&s));
            make_tensor(&set[k], (int)(k % NKIND), 2048, total, o.seed * 1000003u + k, name);
        }
        run_set(&b, "set100", set, o.set_size, ref_big);
    }
    printf("\nevery path chose the reference's i for every tensor on every run\n");

    if (o.dump) {
        FILE *f = fopen(o.dump, "w");
        if (!f) die("cannot write", o.dump);
        fprintf(f, "# vkcalib bench_search histograms, format 1\n"
                   "# 'tensor SCENARIO NAME BINS RANGE_MAX I TOTAL' then one line of BINS counts;\n"
                   "# I = the candidate every vkcalib path chose (threshold = I * RANGE_MAX / BINS)\n");
        if (do2048) dump(f, "2048", t2048, NSINGLE);
        if (do8192) dump(f, "8192", t8192, NSINGLE);
        if (doset) dump(f, "set100", set, o.set_size);
        if (fclose(f) != 0) die("cannot write", o.dump);
    }
    if (b.csv && fclose(b.csv) != 0) die("cannot write", o.csv);
    for (int k = 0; k < NSINGLE; k++) {
        if (do2048) free(t2048[k].counts);
        if (do8192) free(t8192[k].counts);
    }
    for (uint32_t k = 0; doset && k < o.set_size; k++) free(set[k].counts);
    free(set);
    free(b.hists);
    free(b.res);
    vkc_context_destroy(b.cpu);
    vkc_context_destroy(b.gpu);
    return 0;
}
