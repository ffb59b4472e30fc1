/* bench_cpu_pass: the CPU backend's range and histogram passes against the
 * machine's memory read rate. Public API only, linked against the shared
 * library, so one binary times any build of it: LD_LIBRARY_PATH=OLD/build
 * runs the same cases on an older libvkcalib.so.0.2 (bench_cpu_pass.sh puts
 * builds and dispatch paths side by side that way). Every case prints a
 * hash of its result (range statistics, or every count): equal hashes
 * across builds and paths mean equal bits.
 *
 * Usage: bench_cpu_pass [--n N] [--runs R] [--threads T] [--call C]
 *                       [--dist gauss|heavy|relu|all] [--pass range|hist|all]
 *                       [--kind abs|numpy|all] [--dtype f32|f16|bf16|all]
 *                       [--read] [--bins B]
 *   --call C  each pass as calls of C elements (vkcalib calibrate's calls
 *             are one batch of one tensor: 125000 in a 1 GB 50x40 set);
 *             default: one call over the whole array.
 *   --read    also time a plain read of the array (T threads, 64-bit loads)
 *             and a memcpy of it: the memory read rate the passes chase.
 * Output: one line per case, key=value, for the script to parse. */
#include "bench_rand.h"
#include "vkcalib.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { D_GAUSS, D_HEAVY, D_RELU, NDIST };
static const char *const kDist[NDIST] = {"gauss", "heavy", "relu"};
#define MAXT 64

typedef struct options {
    uint64_t n, call;
    int runs, read;
    uint32_t threads, bins;
    int dist_mask, pass_mask, kind_mask, dtype_mask;
} options;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void die(const char *what)
{
    fprintf(stderr, "bench_cpu_pass: %s\n", what);
    exit(2);
}

/* ---- data: bench_histogram's distributions, generated on every core ---- */

typedef struct gen_job {
    float *x;
    uint64_t begin, end;
    int dist;
} gen_job;

/* gauss: N(0, 1). heavy: Student-t, 3 degrees of freedom, scale 0.5, one
 * value in a million times 100. relu: 55% exact zeros, the rest
 * half-normal (sigma 1.3). Deterministic per element block. */
static void *gen_worker(void *arg)
{
    gen_job *j = arg;
    uint64_t s = 0x5eedull * 0x100000001b3ull + j->begin * 0x9e3779b97f4a7c15ull + (uint64_t)j->dist;
    for (uint64_t i = j->begin; i < j->end; i++) {
        double v;
        if (j->dist == D_GAUSS) v = normal(&s);
        else if (j->dist == D_RELU) v = uniform01(&s) < 0.55 ? 0.0 : fabs(normal(&s)) * 1.3;
        else {
            double z = normal(&s), y = normal(&s), u = uniform01(&s);
            v = 0.5 * z * sqrt(3.0 / (y * y - 2.0 * log(uniform01(&s))));
            if (u < 1e-6) v *= 100.0;
        }
        j->x[i] = (float)v;
    }
    return NULL;
}

typedef struct job_list {
    void *(*fn)(void *);
    void *jobs;
    size_t size;
    uint32_t n;
} job_list;

static void run_jobs(job_list l)
{
    pthread_t th[MAXT];
    for (uint32_t t = 1; t < l.n; t++)
        if (pthread_create(&th[t], NULL, l.fn, (char *)l.jobs + t * l.size)) die("cannot start a thread");
    l.fn(l.jobs);
    for (uint32_t t = 1; t < l.n; t++) pthread_join(th[t], NULL);
}

static void generate(float *x, uint64_t n, int dist, uint32_t threads)
{
    gen_job jobs[MAXT];
    for (uint32_t t = 0; t < threads; t++) jobs[t] = (gen_job){x, n * t / threads, n * (t + 1) / threads, dist};
    run_jobs((job_list){gen_worker, jobs, sizeof jobs[0], threads});
}

static uint16_t to_f16(float f) /* round to nearest even; data here is finite and in range */
{
    uint32_t u;
    memcpy(&u, &f, 4);
    uint32_t sign = (u >> 16) & 0x8000u, a = u & 0x7fffffffu;
    if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* overflows to Inf */
    if (a < 0x38800000u) { /* subnormal half: an exact float multiply then round */
        float m = fabsf(f) * 16777216.0f;
        return (uint16_t)(sign | (uint32_t)lrintf(m));
    }
    uint32_t r = a - 0x38000000u; /* rebias 127 -> 15 */
    uint32_t h = r >> 13, rem = r & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) h++;
    return (uint16_t)(sign | h);
}

/* ---- the memory read rate ---------------------------------------------- */

typedef struct read_job {
    const uint64_t *x;
    uint64_t *dst;
    uint64_t begin, end, sum;
} read_job;

static void *read_worker(void *arg)
{
    read_job *j = arg;
    /* Eight independent chains: loads, not the XORs, set the pace. */
    uint64_t a[8] = {0}, i = j->begin;
    for (; i + 8 <= j->end; i += 8)
        for (int k = 0; k < 8; k++) a[k] ^= j->x[i + k];
    for (; i < j->end; i++) a[0] ^= j->x[i];
    j->sum = a[0] ^ a[1] ^ a[2] ^ a[3] ^ a[4] ^ a[5] ^ a[6] ^ a[7];
    return NULL;
}

static void *copy_worker(void *arg)
{
    read_job *j = arg;
    memcpy(j->dst + j->begin, j->x + j->begin, (j->end - j->begin) * 8);
    return NULL;
}

/* Median GB/s of reading (copy = 0) or copying the buffer on threads. */
static double read_rate(const void *x, uint64_t bytes, uint32_t threads, int runs, int copy)
{
    uint64_t words = bytes / 8;
    uint64_t *dst = copy ? malloc(words * 8) : NULL;
    if (copy && !dst) die("out of memory");
    if (dst) memcpy(dst, x, words * 8); /* fault the pages in before timing */
    double ms[64];
    volatile uint64_t sink = 0;
    for (int r = -1; r < runs; r++) {
        read_job jobs[MAXT];
        for (uint32_t t = 0; t < threads; t++)
            jobs[t] = (read_job){x, dst, words * t / threads, words * (t + 1) / threads, 0};
        double t0 = now_ms();
        run_jobs((job_list){copy ? copy_worker : read_worker, jobs, sizeof jobs[0], threads});
        double t1 = now_ms();
        for (uint32_t t = 0; t < threads; t++) sink ^= jobs[t].sum;
        if (r >= 0) ms[r] = t1 - t0;
    }
    (void)sink;
    free(dst);
    return (double)words * 8 / (median(ms, runs) * 1e6);
}

/* ---- the passes --------------------------------------------------------- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t stats_hash(const vkc_stats *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv(h, &s->min, 4);
    h = fnv(h, &s->max, 4);
    h = fnv(h, &s->absmax, 4);
    uint64_t c[5] = {s->count, s->zeros, s->nan, s->pos_inf, s->neg_inf};
    return fnv(h, c, sizeof c);
}

typedef struct pass_case {
    vkc_context *ctx;
    const void *x;
    uint64_t n, call;
    vkc_dtype dtype;
    int hist;
    vkc_hist_spec spec;
} pass_case;

/* One pass over the array in calls of c->call elements; returns the hash. */
static uint64_t run_pass(const pass_case *c, uint64_t *counts)
{
    uint32_t es = vkc_dtype_size(c->dtype);
    vkc_stats st;
    memset(&st, 0, sizeof st);
    if (c->hist) memset(counts, 0, (size_t)c->spec.bins * 8);
    for (uint64_t off = 0; off < c->n; off += c->call) {
        uint64_t m = c->n - off < c->call ? c->n - off : c->call;
        const void *p = (const char *)c->x + off * es;
        vkc_status s = c->hist ? vkc_histogram_host(c->ctx, p, m, c->dtype, &c->spec, counts)
                               : vkc_range_host(c->ctx, p, m, c->dtype, &st);
        if (s != VKC_OK) die(vkc_context_error(c->ctx));
    }
    return c->hist ? fnv(0xcbf29ce484222325ull, counts, (size_t)c->spec.bins * 8) : stats_hash(&st);
}

static void time_case(const options *o, const pass_case *c, const char *dist, const char *kind)
{
    uint64_t *counts = calloc(c->spec.bins ? c->spec.bins : 1, 8);
    if (!counts) die("out of memory");
    double ms[64];
    uint64_t hash = run_pass(c, counts); /* warm-up */
    for (int r = 0; r < o->runs; r++) {
        double t0 = now_ms();
        uint64_t h = run_pass(c, counts);
        ms[r] = now_ms() - t0;
        if (h != hash) die("two runs of one case disagree");
    }
    double med = median(ms, o->runs), best = ms[0]; /* sorted by median() */
    static const char *const dt[3] = {"f32", "f16", "bf16"};
    printf("case pass=%s dist=%s kind=%s dtype=%s n=%llu call=%llu threads=%u ms=%.4f gelem=%.3f gbs=%.2f "
           "min_ms=%.4f hash=%016llx\n",
           c->hist ? "hist" : "range", dist, c->hist ? kind : "-", dt[c->dtype], (unsigned long long)c->n,
           (unsigned long long)c->call, o->threads, med, (double)c->n / (med * 1e6),
           (double)c->n * vkc_dtype_size(c->dtype) / (med * 1e6), best, (unsigned long long)hash);
    fflush(stdout);
    free(counts);
}

static int parse_mask(const char *v, const char *const *names, int count)
{
    if (!strcmp(v, "all")) return (1 << count) - 1;
    for (int i = 0; i < count; i++)
        if (!strcmp(v, names[i])) return 1 << i;
    die("unknown option value");
    return 0;
}

static void parse(int argc, char **argv, options *o)
{
    static const char *const passes[2] = {"range", "hist"}, *const kinds[2] = {"abs", "numpy"},
                             *const dtypes[3] = {"f32", "f16", "bf16"};
    *o = (options){64ull << 20, 0, 5, 0, 2, 2048, 7, 3, 1, 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--read")) {
            o->read = 1;
            continue;
        }
        if (!v) die("an option needs a value");
        i++;
        if (!strcmp(a, "--n")) o->n = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--call")) o->call = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--runs")) o->runs = atoi(v);
        else if (!strcmp(a, "--threads")) o->threads = (uint32_t)atoi(v);
        else if (!strcmp(a, "--bins")) o->bins = (uint32_t)atoi(v);
        else if (!strcmp(a, "--dist")) o->dist_mask = parse_mask(v, kDist, NDIST);
        else if (!strcmp(a, "--pass")) o->pass_mask = parse_mask(v, passes, 2);
        else if (!strcmp(a, "--kind")) o->kind_mask = parse_mask(v, kinds, 2);
        else if (!strcmp(a, "--dtype")) o->dtype_mask = parse_mask(v, dtypes, 3);
        else die("unknown option (see the comment at the top of bench/bench_cpu_pass.c)");
    }
    if (o->runs < 1 || o->runs > 64) die("--runs must be 1..64");
    if (o->threads < 1 || o->threads > MAXT) die("--threads must be 1..64");
    if (o->n < 1) die("--n must be positive");
    if (!o->call || o->call > o->n) o->call = o->n;
}

int main(int argc, char **argv)
{
    options o;
    parse(argc, argv, &o);
    vkc_context_info info;
    memset(&info, 0, sizeof info);
    info.backend = VKC_BACKEND_CPU;
    info.cpu_threads = o.threads;
    vkc_context *ctx;
    vkc_msg msg;
    if (vkc_context_create(&info, &ctx, &msg) != VKC_OK) die(msg.text);
    float *x = malloc(o.n * 4);
    uint16_t *h = (o.dtype_mask & 6) ? malloc(o.n * 2) : NULL;
    if (!x || ((o.dtype_mask & 6) && !h)) die("out of memory");
    int read = o.read;
    for (int d = 0; d < NDIST; d++) {
        if (!(o.dist_mask & (1 << d))) continue;
        generate(x, o.n, d, o.threads);
        /* Over real data: pages of zeros can be merged into one by the host
         * (KSM), and then a read of them never leaves the cache. */
        if (read) {
            printf("read threads=%u bytes=%llu read_gbs=%.2f memcpy_gbs=%.2f\n", o.threads,
                   (unsigned long long)o.n * 4, read_rate(x, o.n * 4, o.threads, o.runs, 0),
                   read_rate(x, o.n * 4, o.threads, o.runs, 1));
            read = 0;
        }
        for (int dt = 0; dt < 3; dt++) {
            if (!(o.dtype_mask & (1 << dt))) continue;
            const void *data = x;
            if (dt) {
                for (uint64_t i = 0; i < o.n; i++) {
                    uint32_t u;
                    memcpy(&u, &x[i], 4);
                    h[i] = dt == 1 ? to_f16(x[i]) : (uint16_t)(u >> 16); /* bf16: truncated */
                }
                data = h;
            }
            pass_case c = {ctx, data, o.n, o.call, (vkc_dtype)dt, 0, {VKC_HIST_ABS, o.bins, 0, 0}};
            vkc_stats st;
            memset(&st, 0, sizeof st);
            if (vkc_range_host(ctx, data, o.n, c.dtype, &st) != VKC_OK) die(vkc_context_error(ctx));
            if (o.pass_mask & 1) time_case(&o, &c, kDist[d], "-");
            if (!(o.pass_mask & 2)) continue;
            c.hist = 1;
            if (o.kind_mask & 1) {
                c.spec = (vkc_hist_spec){VKC_HIST_ABS, o.bins, 0.0f, st.absmax};
                time_case(&o, &c, kDist[d], "abs");
            }
            if (o.kind_mask & 2) { /* numpy.histogram over [min, max]: the edge-table path */
                c.spec = (vkc_hist_spec){(vkc_hist_kind)2, o.bins, st.min, st.max};
                time_case(&o, &c, kDist[d], "numpy");
            }
        }
    }
    free(h);
    free(x);
    vkc_context_destroy(ctx);
    return 0;
}
