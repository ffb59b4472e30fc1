/* Every CPU kernel table this machine runs (src/pass/cpu_kernels.h: the
 * portable path, AVX2, AVX-512), each forced in turn, held to the oracle bit
 * for bit: the shared histogram and kind checks, then adversarial inputs
 * (random bit patterns, every special value, sizes at and around every
 * vector and block width, unaligned starts, hot bins across a lowered
 * 32-bit flush window, values that overflow into the last bin), float16 and
 * bfloat16 through the fused widening, and several threads. Levels the CPU
 * lacks are reported and skipped. Run under VKCALIB_DISABLE too (ctest):
 * the default table must follow it. */
#include "hist_check.h"
#include "kind_check.h"
#include "oracle/reference.h"
#include "pass/cpu_kernels.h"
#include "pass/cpu_pass.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *label;

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) abort();
    return p;
}

/* ---- inputs --------------------------------------------------------------- */

enum { IN_BITS, IN_SPECIAL, IN_RELU, IN_ZERO, IN_HUGE, IN_NEG0, IN_COUNT };
static const char *const kInput[IN_COUNT] = {"bits", "special", "relu", "zero", "huge", "signed0"};

/* One value of each kind the kernels treat apart. */
static float special(vkc_rng *r)
{
    uint32_t man = (uint32_t)(vkc_rng_next(r) & 0x7fffffu), s = (uint32_t)(vkc_rng_next(r) & 1) << 31;
    switch (vkc_rng_next(r) % 12) {
    case 0: return vkc_bits_f32(s); /* +-0 */
    case 1: return vkc_bits_f32(s | man | 1); /* subnormal */
    case 2: return vkc_bits_f32(s | 0x00800000u); /* +-FLT_MIN */
    case 3: return vkc_bits_f32(s | 0x7f7fffffu); /* +-FLT_MAX */
    case 4: return vkc_bits_f32(s | 0x7f800000u); /* +-Inf */
    case 5: return vkc_bits_f32(s | 0x7f800000u | man | 1); /* NaN, quiet or signalling, any payload */
    case 6: return vkc_bits_f32(s | 0x7fc00000u); /* the default NaN */
    case 7: return vkc_bits_f32(s | 0x3f800000u); /* +-1 */
    default: return (float)(vkc_rng_normal(r) * 3.0);
    }
}

static void fill(int kind, float *x, uint64_t n, vkc_rng *r)
{
    for (uint64_t i = 0; i < n; i++) {
        float v;
        switch (kind) {
        case IN_BITS: v = vkc_bits_f32((uint32_t)vkc_rng_next(r)); break;
        case IN_SPECIAL: v = special(r); break;
        case IN_RELU: {
            double g = vkc_rng_normal(r);
            v = (g < 0 || vkc_rng_next(r) % 4 == 0) ? 0.0f : (float)g;
            break;
        }
        case IN_ZERO: v = 0.0f; break;
        case IN_HUGE: v = (float)((vkc_rng_uniform(r) * 2 - 1) * 3.0e38); break;
        default: v = (vkc_rng_next(r) & 1) ? -0.0f : 0.0f; break;
        }
        x[i] = v;
    }
}

/* ---- checks against the oracle ------------------------------------------- */

static int stats_equal(const vkc_stats *a, const vkc_stats *b)
{
    return vkc_f32_bits(a->min) == vkc_f32_bits(b->min) && vkc_f32_bits(a->max) == vkc_f32_bits(b->max) &&
           vkc_f32_bits(a->absmax) == vkc_f32_bits(b->absmax) && a->count == b->count && a->zeros == b->zeros &&
           a->nan == b->nan && a->pos_inf == b->pos_inf && a->neg_inf == b->neg_inf;
}

static void check_range(vkc_context *ctx, const char *what, const float *x, uint64_t n)
{
    vkc_stats want, got;
    memset(&want, 0, sizeof want);
    memset(&got, 0, sizeof got);
    vkc_ref_range(x, n, &want);
    REQUIRE(vkc_range_f32(ctx, x, n, &got) == VKC_OK);
    REQUIREF(stats_equal(&want, &got),
             "%s range %s n=%llu: min %a/%a max %a/%a absmax %a/%a count %llu/%llu zeros %llu/%llu nan %llu/%llu "
             "inf %llu/%llu %llu/%llu (oracle/backend)",
             label, what, (unsigned long long)n, (double)want.min, (double)got.min, (double)want.max,
             (double)got.max, (double)want.absmax, (double)got.absmax, (unsigned long long)want.count,
             (unsigned long long)got.count, (unsigned long long)want.zeros, (unsigned long long)got.zeros,
             (unsigned long long)want.nan, (unsigned long long)got.nan, (unsigned long long)want.pos_inf,
             (unsigned long long)got.pos_inf, (unsigned long long)want.neg_inf, (unsigned long long)got.neg_inf);
}

static void compare_counts(const char *what, const vkc_hist_spec *s, uint64_t n, const uint64_t *want,
                           const uint64_t *got)
{
    uint32_t bad = 0, first = 0;
    for (uint32_t b = 0; b < s->bins; b++)
        if (want[b] != got[b] && bad++ == 0) first = b;
    REQUIREF(bad == 0, "%s hist %s (%s, %u bins, [%g, %g]) n=%llu: %u bins differ, first %u: oracle %llu, backend %llu",
             label, what, vkc_kind_name(s->kind), s->bins, (double)s->lo, (double)s->hi, (unsigned long long)n, bad,
             first, (unsigned long long)want[first], (unsigned long long)got[first]);
}

static void check_hist(vkc_context *ctx, const char *what, const float *x, uint64_t n, const vkc_hist_spec *s)
{
    uint64_t *want = calloc(s->bins, 8), *got = calloc(s->bins, 8);
    if (!want || !got) abort();
    REQUIRE(vkc_ref_histogram(x, n, s, want) == VKC_OK);
    vkc_status st = vkc_histogram_f32(ctx, x, n, s, got);
    REQUIREF(st == VKC_OK, "%s hist %s: %s", label, what, vkc_context_error(ctx));
    compare_counts(what, s, n, want, got);
    free(want);
    free(got);
}

/* The specs the kernels treat apart, over the finite range of x: |x| and x
 * by one multiply, and the edge-table kinds. */
static int specs_for(const float *x, uint64_t n, vkc_hist_spec *out)
{
    vkc_stats st;
    memset(&st, 0, sizeof st);
    vkc_ref_range(x, n, &st);
    float lo = st.count ? st.min : -1.0f, hi = st.count ? st.max : 1.0f, a = st.count ? st.absmax : 1.0f;
    int k = 0;
    out[k++] = (vkc_hist_spec){VKC_HIST_ABS, 2048, 0.0f, a};
    out[k++] = (vkc_hist_spec){VKC_HIST_ABS, 37, 0.0f, a};
    if (isfinite(hi - lo)) out[k++] = (vkc_hist_spec){VKC_HIST_SIGNED, 2048, lo, hi};
    /* A range narrower than the data: huge values overflow t, into the last bin. */
    out[k++] = (vkc_hist_spec){VKC_HIST_ABS, 2048, 0.0f, 1.0f};
    out[k++] = (vkc_hist_spec){VKC_HIST_SIGNED, 1000, -1.5e38f, 1.5e38f};
    out[k++] = (vkc_hist_spec){VKC_HIST_ABS, 8192, 0.0f, a};
    out[k++] = (vkc_hist_spec){VKC_HIST_ABS, 100000, 0.0f, a};
    if (isfinite(hi - lo)) out[k++] = (vkc_hist_spec){VKC_HIST_NUMPY, 2048, lo, hi};
    out[k++] = (vkc_hist_spec){VKC_HIST_NCNN, 2048, 0.0f, a > 0 ? a : 1.0f};
    out[k++] = (vkc_hist_spec){VKC_HIST_MNN, 2048, 0.0f, a};
    out[k++] = (vkc_hist_spec){VKC_HIST_TORCH, 4096, 0.0f, a};
    /* Only what the library accepts (torch's kind refuses ranges too wide
     * for its own arithmetic, say). */
    int kept = 0;
    for (int i = 0; i < k; i++) {
        float inv;
        if (vkc_hist_check(&out[i], &inv, NULL) == VKC_OK) out[kept++] = out[i];
    }
    return kept;
}

/* Range and every spec over x; edges (slow in the oracle) when asked. */
static void check_all(vkc_context *ctx, const char *what, const float *x, uint64_t n, int edges)
{
    vkc_hist_spec specs[16];
    int k = specs_for(x, n, specs);
    check_range(ctx, what, x, n);
    for (int i = 0; i < k; i++)
        if (edges || !vkc_kind_is_edge(specs[i].kind)) check_hist(ctx, what, x, n, &specs[i]);
}

/* ---- the cases ------------------------------------------------------------ */

/* Every length 0..129 (every remainder of 16 lanes, unrolled by 4), and the
 * lengths around each block width (1024: histogram, 4096: range), at every
 * start within a 64-byte line, from one array of each input kind. */
static void sizes(vkc_context *ctx)
{
    enum { SPAN = 3 * 4096 + 200 };
    float *x = xmalloc(SPAN * sizeof *x);
    for (int in = 0; in < IN_COUNT; in++) {
        vkc_rng r = {0xd15a7c40u + (uint64_t)in};
        fill(in, x, SPAN, &r);
        char what[64];
        for (uint64_t n = 0; n < 130; n++) {
            snprintf(what, sizeof what, "%s+%llu", kInput[in], (unsigned long long)(n % 16));
            check_all(ctx, what, x + n % 16, n, 1);
        }
        static const uint64_t around[] = {1024, 2048, 4096, 8192, 12288};
        for (size_t a = 0; a < sizeof around / sizeof around[0]; a++)
            for (int64_t d = -17; d <= 17; d++) {
                uint64_t n = (uint64_t)((int64_t)around[a] + d), off = (uint64_t)(d + 17) % 16;
                snprintf(what, sizeof what, "%s+%llu", kInput[in], (unsigned long long)off);
                check_all(ctx, what, x + off, n, d % 4 == 0);
            }
    }
    free(x);
}

/* One NaN or Inf at each position of a block, alone among finite values:
 * the range pass redoes that block and must count and exclude it. */
static void lone_specials(vkc_context *ctx)
{
    enum { N = 4096 * 2 + 5 };
    float *x = xmalloc(N * sizeof *x);
    const float bad[] = {NAN, -NAN, INFINITY, -INFINITY, vkc_bits_f32(0x7f800001u), vkc_bits_f32(0xffffffffu)};
    vkc_rng r = {77};
    static const uint64_t pos[] = {0, 1, 7, 8, 15, 16, 4095, 4096, 4097, N - 1};
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++)
        for (size_t p = 0; p < sizeof pos / sizeof pos[0]; p++) {
            for (uint64_t i = 0; i < N; i++) x[i] = (float)(vkc_rng_normal(&r) * 1e3);
            x[pos[p]] = bad[b];
            check_range(ctx, "lone special", x, N);
        }
    /* Blocks with nothing finite, and one with only -0 and +0. */
    for (uint64_t i = 0; i < N; i++) x[i] = i % 3 ? NAN : -INFINITY;
    check_range(ctx, "no finite", x, N);
    for (uint64_t i = 0; i < N; i++) x[i] = i == N - 1 ? 0.0f : -0.0f;
    check_range(ctx, "-0 then +0", x, N);
    free(x);
}

/* Random bits and specials at 300001 values, every spec; a hot bin 0 and a
 * hot last bin with the 32-bit flush window lowered, so that the copies are
 * folded into the 64-bit counts many times in one call. */
static void large(vkc_context *ctx)
{
    enum { N = 300001 };
    float *x = xmalloc(N * sizeof *x);
    vkc_rng r = {0x300001};
    fill(IN_BITS, x, N, &r);
    check_all(ctx, "bits", x, N, 1);
    fill(IN_SPECIAL, x, N, &r);
    check_all(ctx, "special", x, N, 1);
    fill(IN_RELU, x, N, &r);
    const uint64_t windows[] = {1, 7, 1000, 1024, 4097, 65536};
    for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
        vkc_cpu_set_flush_window(windows[w]);
        /* Each fold costs the bins: the smallest windows on fewer values. */
        uint64_t n = windows[w] < 1000 ? 4099 : N;
        char what[64];
        snprintf(what, sizeof what, "relu window %llu", (unsigned long long)windows[w]);
        vkc_hist_spec s = {VKC_HIST_ABS, 2048, 0.0f, 4.0f};
        check_hist(ctx, what, x, n, &s);
        vkc_hist_spec last = {VKC_HIST_ABS, 2048, 0.0f, 1e-20f}; /* every nonzero value in the last bin */
        check_hist(ctx, what, x, n, &last);
        vkc_hist_spec many = {VKC_HIST_SIGNED, 100000, -1.0f, 1.0f}; /* two copies, not four */
        if (windows[w] >= 1024) check_hist(ctx, what, x, n, &many);
        vkc_hist_spec ncnn = {VKC_HIST_NCNN, 2048, 0.0f, 4.0f}; /* drops the zeros */
        check_hist(ctx, what, x, n, &ncnn);
        vkc_hist_spec numpy = {VKC_HIST_NUMPY, 2048, 0.0f, 4.0f};
        check_hist(ctx, what, x, n, &numpy);
    }
    vkc_cpu_set_flush_window(0);
    free(x);
}

/* float16 and bfloat16: the widening of every one of the 65536 values, then
 * the fused passes (vkc_cpu_*_any) against the oracle on the widened
 * values, at odd byte addresses too. */
static void sixteen(vkc_context *ctx, const vkc_cpu_kernels *k)
{
    enum { N = 65536 + 1234 };
    unsigned char *raw = xmalloc(2 * N + 1);
    float *w = xmalloc(N * sizeof *w), *want = xmalloc(N * sizeof *want);
    for (int t = VKC_DTYPE_F16; t <= VKC_DTYPE_BF16; t++) {
        vkc_rng r = {(uint64_t)t};
        for (uint32_t i = 0; i < N; i++) {
            uint16_t h = (uint16_t)(i < 65536 ? i : vkc_rng_next(&r));
            if (i >= 65536 + 600) h = i % 2 ? 0 : 0x8000; /* a run of +-0: a hot bin */
            memcpy(raw + 1 + 2 * i, &h, 2);
            uint32_t u = (uint32_t)h << 16;
            want[i] = t == VKC_DTYPE_F16 ? vkc_half_to_float(h) : vkc_bits_f32(u);
        }
        k->widen(raw + 1, N, (vkc_dtype)t, w);
        uint32_t bad = 0;
        for (uint32_t i = 0; i < N; i++) bad += vkc_f32_bits(w[i]) != vkc_f32_bits(want[i]);
        REQUIREF(bad == 0, "%s: widening %s: %u values differ", label, t == VKC_DTYPE_F16 ? "float16" : "bfloat16",
                 bad);
        static const uint64_t ns[] = {0, 1, 15, 1023, 1025, 4097, N};
        for (size_t j = 0; j < sizeof ns / sizeof ns[0]; j++)
            for (int odd = 0; odd < 2; odd++) {
                const unsigned char *src = raw + (odd ? 1 : 1 + 2 * 3), *wsrc = src;
                const float *ref = want + (odd ? 0 : 3);
                uint64_t n = ns[j] - (odd || ns[j] < 3 ? 0 : 3);
                vkc_stats a, b;
                memset(&a, 0, sizeof a);
                memset(&b, 0, sizeof b);
                vkc_ref_range(ref, n, &a);
                REQUIRE(vkc_cpu_range_any(ctx, wsrc, n, (vkc_dtype)t, &b) == VKC_OK);
                REQUIREF(stats_equal(&a, &b), "%s: fused %d-range n=%llu differs", label, t, (unsigned long long)n);
                vkc_hist_spec specs[16];
                int ks = specs_for(ref, n, specs);
                for (int q = 0; q < ks; q++) {
                    vkc_hist_spec *s = &specs[q];
                    if (vkc_kind_is_edge(s->kind) && n > 5000) continue; /* the oracle's edges are slow */
                    uint64_t *hw = calloc(s->bins, 8), *hg = calloc(s->bins, 8);
                    if (!hw || !hg) abort();
                    float inv = 0;
                    vkc_msg msg;
                    vkc_edge_geom g = {0};
                    REQUIRE(vkc_hist_check(s, &inv, &msg) == VKC_OK);
                    if (vkc_kind_is_edge(s->kind)) REQUIRE(vkc_edge_geom_init(s, &g, &msg) == VKC_OK);
                    REQUIRE(vkc_ref_histogram(ref, n, s, hw) == VKC_OK);
                    REQUIRE(vkc_cpu_histogram_any(ctx, wsrc, n, (vkc_dtype)t, s, inv, g.keys ? &g : NULL, hg) ==
                            VKC_OK);
                    compare_counts(t == VKC_DTYPE_F16 ? "fused float16" : "fused bfloat16", s, n, hw, hg);
                    vkc_edge_geom_free(&g);
                    free(hw);
                    free(hg);
                }
            }
    }
    free(raw);
    free(w);
    free(want);
}

/* Several threads: parts, each with its copies and sums, merged in order. */
static void threaded(void)
{
    vkc_context_info info;
    memset(&info, 0, sizeof info);
    info.backend = VKC_BACKEND_CPU;
    info.cpu_threads = 3;
    vkc_context *ctx;
    vkc_msg msg;
    REQUIRE_CMP(vkc_context_create(&info, &ctx, &msg), ==, VKC_OK);
    uint64_t n = (3u << 19) + 4099;
    float *x = xmalloc(n * sizeof *x);
    vkc_rng r = {3};
    fill(IN_SPECIAL, x, n, &r);
    check_all(ctx, "threaded special", x, n, 0);
    vkc_hist_spec s = {VKC_HIST_NUMPY, 2048, -10.0f, 10.0f};
    check_hist(ctx, "threaded special", x, n, &s);
    fill(IN_RELU, x, n, &r);
    vkc_cpu_set_flush_window(100000);
    check_all(ctx, "threaded relu window", x, n, 0);
    vkc_cpu_set_flush_window(0);
    free(x);
    vkc_context_destroy(ctx);
}

/* VKCALIB_DISABLE=avx2 / avx512 (the ctest variants) pick the default. */
static void default_follows_env(void)
{
    const char *v = getenv("VKCALIB_DISABLE");
    vkc_cpu_isa want = vkc_cpu_isa_hardware();
    if (v && strstr(v, "avx512") && want > VKC_CPU_ISA_AVX2) want = VKC_CPU_ISA_AVX2;
    if (v && strstr(v, "avx2")) want = VKC_CPU_ISA_BASE;
    REQUIRE(vkc_cpu_kernels_force(VKC_CPU_ISA_COUNT));
    REQUIRE_CMP((int)vkc_cpu_kernels_get()->isa, ==, (int)want);
    printf("hardware: %s; default with VKCALIB_DISABLE=%s: %s\n", vkc_cpu_isa_name(vkc_cpu_isa_hardware()),
           v ? v : "", vkc_cpu_isa_name(vkc_cpu_kernels_get()->isa));
}

int main(int argc, char **argv)
{
    default_follows_env();
    if (argc > 1 && !strcmp(argv[1], "--default-only")) return vkc_test_end();
    vkc_context *ctx = vkc_test_cpu_context();
    if (!ctx) return vkc_test_end();
    for (int isa = 0; isa < VKC_CPU_ISA_COUNT; isa++) {
        label = vkc_cpu_isa_name((vkc_cpu_isa)isa);
        if (!vkc_cpu_kernels_force((vkc_cpu_isa)isa)) {
            printf("%s: not available on this machine or build, skipped\n", label);
            continue;
        }
        int before = vkc_test_failures;
        REQUIRE_CMP((int)vkc_cpu_kernels_get()->isa, ==, isa);
        hist_check_all(ctx, label);
        kind_check_all(ctx, label);
        sizes(ctx);
        lone_specials(ctx);
        large(ctx);
        sixteen(ctx, vkc_cpu_kernels_get());
        threaded();
        printf("%s: %s\n", label, vkc_test_failures == before ? "equal to the oracle" : "FAILED");
    }
    vkc_cpu_kernels_force(VKC_CPU_ISA_COUNT);
    vkc_context_destroy(ctx);
    return vkc_test_end();
}
