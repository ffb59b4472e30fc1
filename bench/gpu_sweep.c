/* gpu_sweep: the variants of shaders/hist.comp (and the range pass's tile
 * loop) on one device, each checked bit for bit, then timed against the
 * device's own ceilings, and a winner picked by a stated rule.
 *
 * 1. check: every variant x float32/float16/bfloat16 x |x|, x and an edge
 *    kind, on mixed data (zeros, a body, tails, NaN/Inf/denormals) at an
 *    odd element offset, against the plain oracle (tests/oracle).
 * 2. ceilings: a read-only streaming kernel (shaders/stream_read.comp, the
 *    tile loop's access pattern) and vkCmdCopyBuffer over the same bytes;
 *    GPU time from timestamps; the best of each is the device's read and
 *    copy ceiling (a copy also writes as many bytes as it reads).
 * 3. time: post-ReLU, heavy-tailed, outlier-set, uniform and all-zero
 *    float32 data resident in device memory; each variant at each workgroup
 *    cap (the grid), medians of --runs after a warm-up, from timestamps.
 *    Every run's counts must equal the base shader's on the same data.
 *    GB/s = input bytes / GPU time.
 * 4. winner, histogram: each variant at its best grid per data set; among
 *    the variants never more than 10% slower than base (at base's best
 *    grid) on any data set, the one of least geometric-mean time relative
 *    to base over the five data sets, if that mean is <= 0.90; else base.
 *    Its grid: the cap of least geometric mean for that variant. The same
 *    rule for the range pass (base vs the tile loops) on relu and uniform.
 *    The result is printed as the row for the default table in
 *    src/vk/devices.c (kVariantRows).
 *
 * Usage: gpu_sweep [--device D] [--smoke] [--n N] [--runs R] [--budget S]
 *                  [--grids G1,G2,...] [--csv FILE]
 *   --smoke   small sizes for lavapipe (ctest): n 2^18, grids 16,64, runs 2
 *   --budget  seconds for the timing steps (default 150); variants not
 *             reached are reported as such and left out of the rule
 * Exit status 1 on any mismatch, 2 on a usage or device error.
 */
#include "bench_rand.h"
#include "bench_util.h"
#include "base/parallel.h"
#include "oracle/reference.h"
#include "testutil.h"
#include "pass/passes.h"
#include "vk/gpu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kVariants[] = {"base", "tile", "tile,loads=8", "A", "A,hot=1", "B", "C", "D",
                                        "A+C", "A+D", "A+B", "A+C+D"};
#define NVAR (int)(sizeof kVariants / sizeof kVariants[0])
static const char *const kRangeVariants[] = {"base", "tile", "tile,loads=8", "tile,loads=2"};
#define NRVAR (int)(sizeof kRangeVariants / sizeof kRangeVariants[0])
enum { D_RELU, D_HEAVY, D_OUTLIER, D_UNIFORM, D_ZERO, NDATA };
static const char *const kData[NDATA] = {"relu", "heavy", "outlier", "uniform", "zero"};
#define MAXG 8

typedef struct options {
    const char *device, *csv;
    uint64_t n;
    int runs, smoke, budget;
    uint32_t grids[MAXG];
    int ngrids;
} options;

static void die(int code, const char *what, const char *detail)
{
    fprintf(stderr, "gpu_sweep: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(code);
}

/* ------------------------------------------------------------------------ */
/* Data                                                                     */

typedef struct gen_job {
    float *x;
    int dist;
} gen_job;

/* relu: 55% exact zeros, the rest half-normal; heavy: Student-t(3), one
 * value in a million 100 times larger; outlier: a normal body and one value
 * of 1e4, so that the body fills the first bins; uniform on [-1, 1]; zero. */
static void gen_part(void *arg, uint32_t part, uint64_t begin, uint64_t end)
{
    gen_job *j = arg;
    uint64_t s = 0x5eedull * (part + 1) + (uint64_t)j->dist * 0x1000193ull;
    for (uint64_t i = begin; i < end; i++) {
        double v = 0, z;
        switch (j->dist) {
        case D_RELU: v = uniform01(&s) < 0.55 ? 0.0 : fabs(normal(&s)) * 1.3; break;
        case D_HEAVY:
            z = normal(&s);
            v = 0.5 * z * sqrt(3.0 / (pow(normal(&s), 2) - 2.0 * log(uniform01(&s))));
            if (uniform01(&s) < 1e-6) v *= 100.0;
            break;
        case D_OUTLIER: v = i == 12345 ? 1e4 : normal(&s); break;
        case D_UNIFORM: v = uniform01(&s) * 2.0 - 1.0; break;
        default: v = 0.0; break;
        }
        j->x[i] = (float)v;
    }
}

static void generate(float *x, uint64_t n, int dist)
{
    gen_job j = {x, dist};
    vkc_parallel_parts(vkc_cpu_count(), n, gen_part, &j);
}

/* Copies bytes into dev at offset through a bounded staging buffer. */
static vkc_status upload(vkc_context *ctx, const void *x, VkDeviceSize bytes, vkc_gbuf *dev, VkDeviceSize at)
{
    VkDeviceSize piece = (VkDeviceSize)64 << 20;
    if (piece > bytes) piece = bytes ? bytes : 4;
    vkc_gbuf stage;
    vkc_status s = vkc_gbuf_create(ctx, piece, 1, &stage);
    for (VkDeviceSize off = 0; s == VKC_OK && off < bytes; off += piece) {
        VkDeviceSize m = bytes - off < piece ? bytes - off : piece;
        memcpy(stage.map, (const char *)x + off, (size_t)m);
        if ((s = vkc_cmd_begin(ctx)) != VKC_OK) break;
        vkc_cmd_copy(ctx, &stage, 0, dev, at + off, m);
        s = vkc_cmd_submit_wait(ctx);
    }
    vkc_gbuf_destroy(ctx, &stage);
    return s;
}

/* ------------------------------------------------------------------------ */
/* 1. check                                                                 */

static void use_hist(vkc_context *ctx, const char *name, uint32_t groups)
{
    if (!vkc_hist_variant_parse(name, &ctx->hist_var)) die(2, "variant does not parse", name);
    if (groups) ctx->hist_var.groups = groups;
}

static void use_range(vkc_context *ctx, const char *name, uint32_t groups)
{
    if (!vkc_range_variant_parse(name, &ctx->range_var)) die(2, "range variant does not parse", name);
    if (groups) ctx->range_var.groups = groups;
}

static int check_all(vkc_context *ctx, uint64_t n)
{
    static const vkc_dtype dts[3] = {VKC_DTYPE_F32, VKC_DTYPE_F16, VKC_DTYPE_BF16};
    static const char *const dn[3] = {"f32", "f16", "bf16"};
    const uint64_t off = 3;
    float *w = malloc(n * 4);
    unsigned char *raw = malloc(n * 4);
    if (!w || !raw) die(2, "out of memory", NULL);
    int bad = 0, checks = 0;
    for (int d = 0; d < 3; d++) {
        uint64_t s = 99 + (uint64_t)d;
        for (uint64_t i = 0; i < n; i++) {
            double u = uniform01(&s);
            float f = u < 0.4 ? 0.0f : u < 0.8 ? (float)(normal(&s) * 2) : u < 0.98 ? (float)(normal(&s) / (uniform01(&s) + 1e-3))
                      : (float)(i % 4 == 0 ? NAN : i % 4 == 1 ? INFINITY : i % 4 == 2 ? -0.0 : 1e-40);
            if (dts[d] == VKC_DTYPE_F32) {
                memcpy(raw + 4 * i, &f, 4);
                w[i] = f;
            } else {
                uint16_t h = dts[d] == VKC_DTYPE_F16 ? vkc_test_half_rz(f) : (uint16_t)(vkc_f32_bits(f) >> 16);
                memcpy(raw + 2 * i, &h, 2);
                w[i] = dts[d] == VKC_DTYPE_F16 ? vkc_half_to_float(h) : vkc_bits_f32((uint32_t)h << 16);
            }
        }
        uint32_t es = vkc_dtype_size(dts[d]);
        vkc_gbuf buf;
        if (vkc_gbuf_create(ctx, (n + off) * es + 16, 0, &buf) != VKC_OK || upload(ctx, raw, n * es, &buf, off * es) != VKC_OK)
            die(2, "upload", vkc_context_error(ctx));
        vkc_stats st = {0};
        vkc_ref_range(w, n, &st);
        vkc_hist_spec specs[3] = {{VKC_HIST_ABS, 2048, 0.0f, st.absmax},
                                  {VKC_HIST_SIGNED, 301, -4.5f, 6.25f},
                                  {VKC_HIST_NUMPY, 255, -1.0f, 7.25f}};
        uint64_t *want[3], *got = malloc(2048 * 8);
        for (int k = 0; k < 3; k++) {
            want[k] = calloc(specs[k].bins, 8);
            vkc_ref_histogram(w, n, &specs[k], want[k]);
        }
        vkc_buffer_view v = {buf.buf, off * es, n, dts[d]};
        for (int k = 0; k < NVAR; k++) {
            use_hist(ctx, kVariants[k], 0);
            for (int j = 0; j < 3; j++) {
                memset(got, 0, 2048 * 8);
                checks++;
                if (vkc_histogram_buffer(ctx, &v, &specs[j], got) != VKC_OK ||
                    memcmp(got, want[j], (size_t)specs[j].bins * 8) != 0) {
                    printf("  MISMATCH: %s %s %s (%s)\n", kVariants[k], dn[d], vkc_kind_name(specs[j].kind),
                           vkc_context_error(ctx));
                    bad++;
                }
            }
        }
        for (int k = 0; k < NRVAR; k++) {
            vkc_stats g = {0};
            use_range(ctx, kRangeVariants[k], 0);
            checks++;
            if (vkc_range_buffer(ctx, &v, &g) != VKC_OK || memcmp(&g.min, &st.min, 4) || memcmp(&g.max, &st.max, 4) ||
                memcmp(&g.absmax, &st.absmax, 4) || g.count != st.count || g.zeros != st.zeros || g.nan != st.nan ||
                g.pos_inf != st.pos_inf || g.neg_inf != st.neg_inf) {
                printf("  MISMATCH: range %s %s\n", kRangeVariants[k], dn[d]);
                bad++;
            }
        }
        for (int k = 0; k < 3; k++) free(want[k]);
        free(got);
        vkc_gbuf_destroy(ctx, &buf);
    }
    free(w);
    free(raw);
    printf("1. check: %d variants x 3 dtypes x 3 kinds + %d range loops x 3 dtypes, %llu values at offset 3: %d of %d "
           "equal the oracle bit for bit\n", NVAR, NRVAR, (unsigned long long)n, checks - bad, checks);
    return bad;
}

/* ------------------------------------------------------------------------ */
/* 2. ceilings                                                              */

/* GPU ms of one command buffer's work, from timestamps (wall time when the
 * queue has none). */
static double gpu_ms_of(vkc_context *ctx, double wall0)
{
    return ctx->last_gpu_ns > 0 ? ctx->last_gpu_ns * 1e-6 : now_ms() - wall0;
}

static double time_stream(vkc_context *ctx, const vkc_gbuf *in, uint64_t bytes, vkc_gbuf *out, uint32_t loads,
                          uint32_t groups)
{
    uint32_t spec[VKC_STREAM_SC_COUNT] = {256, loads};
    vkc_pipe *p;
    if (vkc_pipe_get(ctx, "stream_read", spec, VKC_STREAM_SC_COUNT, 2, sizeof(vkc_stream_push), &p) != VKC_OK)
        die(2, "stream_read pipeline", vkc_context_error(ctx));
    VkDeviceSize chunk = vkc_gpu_chunk_bytes(ctx) & ~(VkDeviceSize)255;
    ctx->last_gpu_ns = 0;
    double w0 = now_ms();
    if (vkc_cmd_begin(ctx) != VKC_OK) die(2, "begin", vkc_context_error(ctx));
    for (VkDeviceSize off = 0; off < bytes; off += chunk) {
        VkDeviceSize m = bytes - off < chunk ? bytes - off : chunk;
        vkc_binding b[2] = {{in, off, m & ~(VkDeviceSize)15}, {out, 0, 4}};
        vkc_stream_push push = {(uint32_t)(m / 16), 0x9e3779b9u};
        if (off) vkc_cmd_barrier(ctx);
        uint64_t tiles = (m / 16 + 256ull * loads - 1) / (256ull * loads);
        vkc_cmd_dispatch(ctx, p, b, &push, (uint32_t)(tiles < groups ? tiles : groups), 1, 1);
    }
    if (vkc_cmd_submit_wait(ctx) != VKC_OK) die(2, "stream_read", vkc_context_error(ctx));
    return gpu_ms_of(ctx, w0);
}

static double time_copy(vkc_context *ctx, const vkc_gbuf *in, vkc_gbuf *dst, uint64_t bytes)
{
    ctx->last_gpu_ns = 0;
    double w0 = now_ms();
    if (vkc_cmd_begin(ctx) != VKC_OK) die(2, "begin", vkc_context_error(ctx));
    vkc_cmd_copy(ctx, in, 0, dst, 0, bytes);
    if (vkc_cmd_submit_wait(ctx) != VKC_OK) die(2, "copy", vkc_context_error(ctx));
    return gpu_ms_of(ctx, w0);
}

/* ------------------------------------------------------------------------ */
/* 3. time                                                                  */

typedef struct sweep {
    const options *o;
    vkc_context *ctx;
    vkc_gbuf dev;
    uint64_t n;
    double t0;
    double ms[NDATA][NVAR][MAXG];  /* medians; 0: not timed */
    double rms[2][NRVAR][MAXG];    /* range pass on relu and uniform */
    double read_gbs, copy_gbs;
    int mismatches;
    FILE *csv;
} sweep;

static int over_budget(const sweep *s)
{
    return (now_ms() - s->t0) * 1e-3 > s->o->budget;
}

/* One histogram call over the resident data, checked against want (filled
 * by the first call when *have is 0). GPU ms. */
static double hist_once(sweep *s, const vkc_hist_spec *spec, uint64_t *got, uint64_t *want, int *have)
{
    vkc_buffer_view v = {s->dev.buf, 0, s->n, VKC_DTYPE_F32};
    memset(got, 0, (size_t)spec->bins * 8);
    double w0 = now_ms();
    if (vkc_histogram_buffer(s->ctx, &v, spec, got) != VKC_OK) die(2, "histogram", vkc_context_error(s->ctx));
    double ms = gpu_ms_of(s->ctx, w0);
    if (!*have) {
        memcpy(want, got, (size_t)spec->bins * 8);
        *have = 1;
    } else if (memcmp(want, got, (size_t)spec->bins * 8) != 0) {
        s->mismatches++;
    }
    return ms;
}

static void time_data(sweep *s, int d, float *host)
{
    const options *o = s->o;
    generate(host, s->n, d);
    if (upload(s->ctx, host, s->n * 4, &s->dev, 0) != VKC_OK) die(2, "upload", vkc_context_error(s->ctx));
    vkc_stats st = {0};
    vkc_buffer_view v = {s->dev.buf, 0, s->n, VKC_DTYPE_F32};
    use_range(s->ctx, "base", 0);
    if (vkc_range_buffer(s->ctx, &v, &st) != VKC_OK) die(2, "range", vkc_context_error(s->ctx));
    vkc_hist_spec spec = {VKC_HIST_ABS, 2048, 0.0f, st.absmax};
    uint64_t got[2048], want[2048];
    int have = 0, before = s->mismatches;
    double runs[64];
    for (int k = 0; k < NVAR; k++)
        for (int g = 0; g < o->ngrids; g++) {
            if (k && over_budget(s)) continue;
            use_hist(s->ctx, kVariants[k], o->grids[g]);
            int bad = s->mismatches;
            hist_once(s, &spec, got, want, &have); /* warm-up: pipeline, first touch */
            for (int r = 0; r < o->runs; r++) runs[r] = hist_once(s, &spec, got, want, &have);
            s->ms[d][k][g] = median(runs, o->runs);
            if (s->mismatches != bad) printf("  MISMATCH: %s on %s, grid %u: counts differ from base\n", kVariants[k],
                                             kData[d], o->grids[g]);
            if (s->csv)
                fprintf(s->csv, "hist,%s,%s,%u,%.6f,%.3f\n", kData[d], kVariants[k], o->grids[g], s->ms[d][k][g],
                        s->n * 4 / (s->ms[d][k][g] * 1e6));
        }
    printf("\n  %s (|x| max %g, 2048 bins): best grid per variant%s\n", kData[d], (double)st.absmax,
           s->mismatches == before ? "; every run's counts equal base's" : "; MISMATCHES");
    printf("    %-14s %6s %9s %8s %7s %7s %8s\n", "variant", "grid", "ms", "GB/s", "%read", "%copy", "speedup");
    double base = 0;
    for (int k = 0; k < NVAR; k++) {
        int bg = -1;
        for (int g = 0; g < o->ngrids; g++)
            if (s->ms[d][k][g] > 0 && (bg < 0 || s->ms[d][k][g] < s->ms[d][k][bg])) bg = g;
        if (bg < 0) {
            printf("    %-14s (not timed: budget)\n", kVariants[k]);
            continue;
        }
        double ms = s->ms[d][k][bg], gbs = s->n * 4 / (ms * 1e6);
        if (k == 0) base = ms;
        printf("    %-14s %6u %9.3f %8.1f %6.1f%% %6.1f%% %7.2fx\n", kVariants[k], o->grids[bg], ms, gbs,
               100 * gbs / s->read_gbs, 100 * gbs / s->copy_gbs, base / ms);
    }
    /* The range pass, on relu and uniform data. */
    int rd = d == D_RELU ? 0 : d == D_UNIFORM ? 1 : -1;
    if (rd < 0) return;
    for (int k = 0; k < NRVAR; k++)
        for (int g = 0; g < o->ngrids; g++) {
            if (k && over_budget(s)) continue;
            use_range(s->ctx, kRangeVariants[k], o->grids[g]);
            for (int r = 0; r <= o->runs; r++) {
                vkc_stats t = {0};
                double w0 = now_ms();
                if (vkc_range_buffer(s->ctx, &v, &t) != VKC_OK) die(2, "range", vkc_context_error(s->ctx));
                if (r) runs[r - 1] = gpu_ms_of(s->ctx, w0);
                if (t.count != st.count || memcmp(&t.absmax, &st.absmax, 4) || memcmp(&t.min, &st.min, 4) ||
                    t.zeros != st.zeros) {
                    s->mismatches++;
                    printf("  MISMATCH: range %s on %s\n", kRangeVariants[k], kData[d]);
                }
            }
            s->rms[rd][k][g] = median(runs, o->runs);
            if (s->csv)
                fprintf(s->csv, "range,%s,%s,%u,%.6f,%.3f\n", kData[d], kRangeVariants[k], o->grids[g],
                        s->rms[rd][k][g], s->n * 4 / (s->rms[rd][k][g] * 1e6));
        }
    printf("    range pass: ");
    for (int k = 0; k < NRVAR; k++) {
        double best = 0;
        uint32_t bgrid = 0;
        for (int g = 0; g < o->ngrids; g++)
            if (s->rms[rd][k][g] > 0 && (best == 0 || s->rms[rd][k][g] < best)) best = s->rms[rd][k][g], bgrid = o->grids[g];
        if (best > 0) printf("%s%s %.3f ms (%.0f GB/s, grid %u)", k ? ", " : "", kRangeVariants[k], best,
                             s->n * 4 / (best * 1e6), bgrid);
    }
    printf("\n");
}

/* ------------------------------------------------------------------------ */
/* 4. winner                                                                */

/* Per the rule in the header: the index of the winner among nv variants
 * with times t[set][variant][grid] over nsets sets; *grid its cap index. */
static int pick(int nsets, int nv, int ng, double t[][NVAR][MAXG], int *grid, double *gmean, double *worst)
{
    double best_base[NDATA];
    for (int d = 0; d < nsets; d++) {
        best_base[d] = 0;
        for (int g = 0; g < ng; g++)
            if (t[d][0][g] > 0 && (best_base[d] == 0 || t[d][0][g] < best_base[d])) best_base[d] = t[d][0][g];
    }
    int win = 0;
    double win_mean = 1.0;
    *grid = -1;
    *gmean = 1.0;
    *worst = 1.0;
    for (int k = 1; k < nv; k++) {
        for (int g = 0; g < ng; g++) {
            double lsum = 0, w = 0;
            int ok = 1;
            for (int d = 0; d < nsets && ok; d++) {
                if (!(t[d][k][g] > 0) || !(best_base[d] > 0)) ok = 0;
                else {
                    double r = t[d][k][g] / best_base[d];
                    lsum += log(r);
                    w = r > w ? r : w;
                }
            }
            if (!ok || w > 1.10) continue;
            double m = exp(lsum / nsets);
            if (m <= 0.90 && m < win_mean) {
                win = k;
                win_mean = m;
                *grid = g;
                *gmean = m;
                *worst = w;
            }
        }
    }
    return win;
}

static void winner(sweep *s)
{
    const options *o = s->o;
    const vkc_device_caps *c = &s->ctx->caps;
    int g, rg;
    double m, w, rm, rw;
    int k = pick(NDATA, NVAR, o->ngrids, s->ms, &g, &m, &w);
    /* The range rule on its two data sets, with the range table in the same shape. */
    static double rt[NDATA][NVAR][MAXG];
    memset(rt, 0, sizeof rt);
    for (int d = 0; d < 2; d++)
        for (int v = 0; v < NRVAR; v++)
            for (int j = 0; j < o->ngrids; j++) rt[d][v][j] = s->rms[d][v][j];
    int rk = pick(2, NRVAR, o->ngrids, rt, &rg, &rm, &rw);
    printf("\n4. winner (rule: least geometric-mean time over the data sets relative to base at its best grid, never "
           "more than 1.10x base on any set, and a mean <= 0.90x; else base):\n");
    if (k) printf("   histogram: %s at grid %u: %.2fx base's time on average, at worst %.2fx\n", kVariants[k],
                  o->grids[g], m, w);
    else printf("   histogram: base (no variant meets the rule)\n");
    if (rk) printf("   range: %s at grid %u: %.2fx base's time on average, at worst %.2fx\n", kRangeVariants[rk],
                   o->grids[rg], rm, rw);
    else printf("   range: base (no tile loop meets the rule)\n");
    char hv[64], rv[64];
    snprintf(hv, sizeof hv, k ? "%s,groups=%u" : "%s", kVariants[k], k ? o->grids[g] : 0);
    snprintf(rv, sizeof rv, rk ? "%s,groups=%u" : "%s", kRangeVariants[rk], rk ? o->grids[rg] : 0);
    printf("   row for kVariantRows (src/vk/devices.c), vendor 0x%04x device 0x%04x%s:\n"
           "     {0x%04x, 0x%04x, 0x%04x, \"%s\", \"%s\", \"%s\"},\n",
           c->vendor_id, c->device_id, o->smoke ? " (smoke sizes: not a measurement to keep)" : "", c->vendor_id,
           c->device_id, c->device_id, c->name, hv, rv);
    printf("   try it without a rebuild: VKCALIB_HIST_VARIANT='%s' VKCALIB_RANGE_VARIANT='%s'\n", hv, rv);
}

/* ------------------------------------------------------------------------ */

static int parse_grids(const char *v, options *o)
{
    o->ngrids = 0;
    while (v && *v && o->ngrids < MAXG) {
        char *end;
        unsigned long g = strtoul(v, &end, 10);
        if (end == v || g == 0 || g > (1u << 24)) return 0;
        o->grids[o->ngrids++] = (uint32_t)g;
        v = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return 0;
    }
    return o->ngrids > 0;
}

static void usage(void)
{
    fputs("Usage: gpu_sweep [--device D] [--smoke] [--n N] [--runs R] [--budget S] [--grids G1,G2,...] [--csv FILE]\n"
          "  --device D   Vulkan device (index, UUID or name); default: the default rule, else llvmpipe\n"
          "  --smoke      small sizes, for lavapipe: n 262144, grids 16,64, runs 2\n"
          "  --n N        float32 values in the timed data (default 67108864)\n"
          "  --runs R     timed runs per point (default 5)\n"
          "  --budget S   seconds for the timing steps (default 150)\n"
          "  --grids G    workgroup caps to try (default 256,1024,4096,16384)\n"
          "  --csv FILE   every timed point: pass,data,variant,grid,ms,GB/s\n",
          stderr);
}

int main(int argc, char **argv)
{
    options o = {NULL, NULL, 1ull << 26, 5, 0, 150, {256, 1024, 4096, 16384}, 4};
    int grids_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t u;
        if (strcmp(a, "--smoke") == 0) o.smoke = 1;
        else if (strcmp(a, "--device") == 0 && v) o.device = v, i++;
        else if (strcmp(a, "--csv") == 0 && v) o.csv = v, i++;
        else if (strcmp(a, "--n") == 0 && parse_u64(v, &u) && u >= 1024 && u <= (1ull << 30)) o.n = u, i++;
        else if (strcmp(a, "--runs") == 0 && parse_u64(v, &u) && u >= 1 && u <= 63) o.runs = (int)u, i++;
        else if (strcmp(a, "--budget") == 0 && parse_u64(v, &u) && u >= 1) o.budget = (int)u, i++;
        else if (strcmp(a, "--grids") == 0 && parse_grids(v, &o)) grids_given = 1, i++;
        else {
            usage();
            return 2;
        }
    }
    if (o.smoke) {
        o.n = 1u << 18;
        o.runs = o.runs > 2 ? 2 : o.runs;
        if (!grids_given) o.grids[0] = 16, o.grids[1] = 64, o.ngrids = 2;
    }
    vkc_context_info info;
    memset(&info, 0, sizeof info);
    info.backend = VKC_BACKEND_VULKAN;
    info.device = o.device;
    vkc_context *ctx = NULL;
    vkc_msg msg = {{0}};
    if (vkc_context_create(&info, &ctx, &msg) != VKC_OK) {
        if (o.device) die(2, "cannot open the Vulkan device", msg.text);
        info.device = "llvmpipe";
        if (vkc_context_create(&info, &ctx, &msg) != VKC_OK) die(2, "no Vulkan device", msg.text);
    }
    const vkc_device_caps *c = &ctx->caps;
    printf("gpu_sweep: %s (vendor 0x%04x, device 0x%04x) [%s], subgroup %u, ballot %s, partitioned %s, shared %u "
           "bytes; %s%s\n", c->name, c->vendor_id, c->device_id, c->driver_info, c->subgroup_size,
           vkc_gpu_has(ctx, VKC_FEATURE_SUBGROUP_BALLOT) ? "yes" : "no",
           vkc_gpu_has(ctx, VKC_FEATURE_PARTITIONED) ? "yes" : "no", c->max_shared_memory, load_average(),
           ctx->caps.timestamps ? "" : "; NO TIMESTAMPS: wall times");
    double t_start = now_ms();
    int bad = check_all(ctx, o.smoke ? 20011 : 1000003);

    sweep s;
    memset(&s, 0, sizeof s);
    s.o = &o;
    s.ctx = ctx;
    s.n = o.n;
    s.t0 = now_ms();
    float *host = malloc(o.n * 4);
    vkc_gbuf dst, out;
    if (!host || vkc_gbuf_create(ctx, o.n * 4, 0, &s.dev) != VKC_OK || vkc_gbuf_create(ctx, o.n * 4, 0, &dst) != VKC_OK ||
        vkc_gbuf_create(ctx, 256, 1, &out) != VKC_OK)
        die(2, "cannot allocate the data buffers", vkc_context_error(ctx));
    if (o.csv) {
        s.csv = fopen(o.csv, "w");
        if (!s.csv) die(2, "cannot write", o.csv);
        fprintf(s.csv, "pass,data,variant,grid,ms,gbs\n");
    }
    generate(host, o.n, D_UNIFORM);
    if (upload(ctx, host, o.n * 4, &s.dev, 0) != VKC_OK) die(2, "upload", vkc_context_error(ctx));
    double runs[64], best_read = 0, best_copy = 0;
    uint32_t read_at[2] = {0, 0};
    static const uint32_t loads[] = {1, 4, 8};
    for (int l = 0; l < 3; l++)
        for (int g = 0; g < o.ngrids; g++) {
            time_stream(ctx, &s.dev, o.n * 4, &out, loads[l], o.grids[g]);
            for (int r = 0; r < o.runs; r++) runs[r] = time_stream(ctx, &s.dev, o.n * 4, &out, loads[l], o.grids[g]);
            double gbs = o.n * 4 / (median(runs, o.runs) * 1e6);
            if (gbs > best_read) best_read = gbs, read_at[0] = loads[l], read_at[1] = o.grids[g];
        }
    time_copy(ctx, &s.dev, &dst, o.n * 4);
    for (int r = 0; r < o.runs; r++) runs[r] = time_copy(ctx, &s.dev, &dst, o.n * 4);
    best_copy = o.n * 4 / (median(runs, o.runs) * 1e6);
    s.read_gbs = best_read;
    s.copy_gbs = best_copy;
    printf("2. ceilings over %.1f MB: read-only stream %.1f GB/s (loads %u, grid %u); vkCmdCopyBuffer %.1f GB/s read "
           "(and as much written)\n", o.n * 4 / 1e6, best_read, read_at[0], read_at[1], best_copy);
    printf("3. time: %d variants x %d grids (", NVAR, o.ngrids);
    for (int g = 0; g < o.ngrids; g++) printf("%s%u", g ? "," : "", o.grids[g]);
    printf(") x %d data sets, %llu float32 resident, medians of %d runs; %%read, %%copy: of the ceilings above\n",
           NDATA, (unsigned long long)o.n, o.runs);
    for (int d = 0; d < NDATA; d++) time_data(&s, d, host);
    winner(&s);
    if (s.csv) fclose(s.csv);
    printf("gpu_sweep: %.1f s; %s\n", (now_ms() - t_start) * 1e-3,
           bad || s.mismatches ? "MISMATCHES (see above)" : "every check and every timed run matched");
    free(host);
    vkc_gbuf_destroy(ctx, &s.dev);
    vkc_gbuf_destroy(ctx, &dst);
    vkc_gbuf_destroy(ctx, &out);
    uint32_t vw = 0, ve = 0;
    vkc_context_validation_counts(ctx, &vw, &ve);
    if (vw || ve) printf("validation: %u warnings, %u errors: %s\n", vw, ve, vkc_context_validation_first(ctx));
    vkc_context_destroy(ctx);
    return bad || s.mismatches || vw || ve ? 1 : 0;
}
