/* Every variant of shaders/hist.comp (vk/context.h's vkc_hist_variant: the
 * grid-stride loop, the tile loop, A hot bins in registers, B match
 * aggregation, C shared copies, D 16-bit counters, and combinations), and
 * the range shader's tile loop, against the plain oracle bit for bit:
 *   - float32, float16 and bfloat16 inputs, in a device buffer at element
 *     offsets 0..5 (a chunk that starts inside a 16-byte quad) and as host
 *     arrays (imported in place and copied);
 *   - |x| and x histograms, an odd bin count, two of the tools' edge kinds,
 *     and a bin count past the shared-memory histogram (global counters);
 *   - sizes around a quad, a tile and several tiles per workgroup (the
 *     workgroup cap lowered so the tile loop turns);
 *   - D's 16-bit counters past 65535 in one workgroup (one workgroup, one
 *     bin), and the host's 32-bit flush window;
 *   - host arrays in many small chunks, two in flight (copied into the two
 *     staging buffers, or imported), also as on a discrete GPU (a copy into
 *     device memory before each dispatch), which lavapipe's unified memory
 *     would otherwise skip;
 *   - the fallbacks: subgroup operations masked (A reduces per invocation,
 *     B adds one by one), ballots masked, the shared histogram masked (C and
 *     D take the global counters), each with the shader module it must use.
 * The variant strings of VKCALIB_HIST_VARIANT and the default table parse
 * as documented. Validation is on; any message fails the test. */
#include "oracle/reference.h"
#include "pass/passes.h"
#include "testutil.h"
#include "vk/gpu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const kVariants[] = {
    "base", "tile", "tile,loads=1", "tile,loads=3,groups=2", "A", "A,hot=1,groups=3", "B", "B,rounds=1,groups=2",
    "C", "C,copies=3,groups=2", "D", "C+D,groups=2", "A+B+C+D,loads=8", "A+D,loads=2,groups=1",
};
#define NVAR (sizeof kVariants / sizeof kVariants[0])

static const vkc_dtype kDtypes[3] = {VKC_DTYPE_F32, VKC_DTYPE_F16, VKC_DTYPE_BF16};

static const char *dname(vkc_dtype t)
{
    return t == VKC_DTYPE_F32 ? "f32" : t == VKC_DTYPE_F16 ? "f16" : "bf16";
}

/* n values of a mixed activation: post-ReLU zeros, a body, a heavy tail,
 * specials (NaN, Inf, -0, denormals); zeros share of them exact zeros.
 * raw holds the dtype's bytes, wide the same values as float32. */
static void make_data(vkc_dtype t, uint64_t n, double zeros, vkc_rng *r, unsigned char *raw, float *wide)
{
    for (uint64_t i = 0; i < n; i++) {
        double u = vkc_rng_uniform(r), g = vkc_rng_normal(r);
        float f;
        if (u < zeros) f = 0.0f;
        else if (u < zeros + (1 - zeros) * 0.7) f = (float)(g * 2.0);
        else if (u < zeros + (1 - zeros) * 0.95) f = (float)(g / (vkc_rng_uniform(r) + 1e-3));
        else {
            uint64_t k = vkc_rng_next(r) % 6;
            f = k == 0 ? NAN : k == 1 ? INFINITY : k == 2 ? -INFINITY : k == 3 ? -0.0f : k == 4 ? 1e-40f : -3e-39f;
        }
        if (t == VKC_DTYPE_F32) {
            memcpy(raw + 4 * i, &f, 4);
            wide[i] = f;
        } else {
            uint16_t h = t == VKC_DTYPE_F16 ? vkc_test_half_rz(f) : (uint16_t)(vkc_f32_bits(f) >> 16);
            memcpy(raw + 2 * i, &h, 2);
            wide[i] = t == VKC_DTYPE_F16 ? vkc_half_to_float(h) : vkc_bits_f32((uint32_t)h << 16);
        }
    }
}

typedef struct input {
    vkc_dtype t;
    uint64_t n;
    unsigned char *raw;
    float *wide;
    vkc_stats st;
} input;

static void input_make(input *in, vkc_dtype t, uint64_t n, double zeros, uint64_t seed)
{
    vkc_rng r = {seed};
    in->t = t;
    in->n = n;
    in->raw = malloc(n * 4 + 4);
    in->wide = malloc(n * 4 + 4);
    if (!in->raw || !in->wide) abort();
    make_data(t, n, zeros, &r, in->raw, in->wide);
    memset(&in->st, 0, sizeof in->st);
    vkc_ref_range(in->wide, n, &in->st);
}

static void input_free(input *in)
{
    free(in->raw);
    free(in->wide);
}

/* The histograms every input is held to. */
static int make_specs(const input *in, vkc_hist_spec *s, int big)
{
    float a = in->st.count ? in->st.absmax : 1.0f;
    int k = 0;
    s[k++] = (vkc_hist_spec){VKC_HIST_ABS, 2048, 0.0f, a};
    s[k++] = (vkc_hist_spec){VKC_HIST_SIGNED, 301, -4.5f, 6.25f};
    s[k++] = (vkc_hist_spec){VKC_HIST_NUMPY, 255, -1.0f, 7.25f};
    s[k++] = (vkc_hist_spec){VKC_HIST_NCNN, 2048, 0.0f, 6.0f};
    if (big) s[k++] = (vkc_hist_spec){VKC_HIST_ABS, 16384, 0.0f, a};
    return k;
}

static int same_stats(const vkc_stats *a, const vkc_stats *b)
{
    return vkc_f32_bits(a->min) == vkc_f32_bits(b->min) && vkc_f32_bits(a->max) == vkc_f32_bits(b->max) &&
           vkc_f32_bits(a->absmax) == vkc_f32_bits(b->absmax) && a->count == b->count && a->zeros == b->zeros &&
           a->nan == b->nan && a->pos_inf == b->pos_inf && a->neg_inf == b->neg_inf;
}

static void compare(const char *what, const vkc_hist_spec *s, const uint64_t *want, const uint64_t *got)
{
    uint32_t bad = 0, first = 0;
    for (uint32_t b = 0; b < s->bins; b++)
        if (want[b] != got[b] && bad++ == 0) first = b;
    REQUIREF(bad == 0, "%s (%s, %u bins): %u bins differ, first %u: oracle %llu, got %llu", what,
             vkc_kind_name(s->kind), s->bins, bad, first, (unsigned long long)want[first],
             (unsigned long long)got[first]);
}

/* The input at element offset off of a host-visible buffer: every spec's
 * histogram, and the range pass. */
static void check_buffer(vkc_context *ctx, const char *label, const input *in, uint64_t off, int big)
{
    uint32_t es = vkc_dtype_size(in->t);
    vkc_gbuf b;
    REQUIRE(vkc_gbuf_create(ctx, (off + in->n) * es + 16, 1, &b) == VKC_OK);
    memset(b.map, 0x7f, (size_t)b.size); /* poison: a read outside the view shows */
    memcpy((char *)b.map + off * es, in->raw, in->n * es);
    vkc_buffer_view v = {b.buf, off * es, in->n, in->t};
    char what[160];
    vkc_hist_spec specs[5];
    int ns = make_specs(in, specs, big);
    for (int k = 0; k < ns; k++) {
        uint64_t *want = calloc(specs[k].bins, 8), *got = calloc(specs[k].bins, 8);
        REQUIRE(vkc_ref_histogram(in->wide, in->n, &specs[k], want) == VKC_OK);
        vkc_status s = vkc_histogram_buffer(ctx, &v, &specs[k], got);
        snprintf(what, sizeof what, "%s: %s n=%llu offset %llu", label, dname(in->t), (unsigned long long)in->n,
                 (unsigned long long)off);
        REQUIREF(s == VKC_OK, "%s: %s", what, vkc_context_error(ctx));
        compare(what, &specs[k], want, got);
        free(want);
        free(got);
    }
    vkc_stats st = {0};
    REQUIRE(vkc_range_buffer(ctx, &v, &st) == VKC_OK);
    REQUIREF(same_stats(&st, &in->st), "%s: range differs", what);
    vkc_gbuf_destroy(ctx, &b);
}

/* Host arrays: imported in place when large enough, else copied. */
static void check_host(vkc_context *ctx, const char *label, const input *in)
{
    vkc_hist_spec specs[5];
    int ns = make_specs(in, specs, 0);
    for (int k = 0; k < ns; k++) {
        uint64_t *want = calloc(specs[k].bins, 8), *got = calloc(specs[k].bins, 8);
        REQUIRE(vkc_ref_histogram(in->wide, in->n, &specs[k], want) == VKC_OK);
        REQUIREF(vkc_histogram_host(ctx, in->raw, in->n, in->t, &specs[k], got) == VKC_OK, "%s",
                 vkc_context_error(ctx));
        compare(label, &specs[k], want, got);
        free(want);
        free(got);
    }
    vkc_stats st = {0};
    REQUIRE(vkc_range_host(ctx, in->raw, in->n, in->t, &st) == VKC_OK);
    REQUIREF(same_stats(&st, &in->st), "%s: host range differs", label);
}

static void use_variant(vkc_context *ctx, const char *name)
{
    vkc_hist_variant v;
    REQUIREF(vkc_hist_variant_parse(name, &v), "variant '%s' does not parse", name);
    ctx->hist_var = v;
}

/* Sizes around a quad (4 or 8 elements), a tile (256 * loads quads) and
 * several tiles per workgroup. */
static const uint64_t kSizes[] = {0, 1, 3, 8, 9, 4095, 4097, 40003};

static void all_variants(vkc_context *ctx, const char *label)
{
    uint64_t seed = 1;
    for (size_t d = 0; d < 3; d++)
        for (size_t z = 0; z < sizeof kSizes / sizeof kSizes[0]; z++) {
            input in;
            input_make(&in, kDtypes[d], kSizes[z], z % 2 ? 0.5 : 0.2, seed++);
            for (size_t v = 0; v < NVAR; v++) {
                char l[128];
                snprintf(l, sizeof l, "%s %s", label, kVariants[v]);
                use_variant(ctx, kVariants[v]);
                ctx->range_var = (vkc_range_variant){(uint32_t)(v % 4 == 0 ? 0 : v % 8 + 1), (uint32_t)(v % 3)};
                check_buffer(ctx, l, &in, (z + v) % 6, z == 7 && v % 5 == 0);
            }
            input_free(&in);
        }
}

/* D: one workgroup counts 300000 zeros (and f16 ones), far past a 16-bit
 * counter; A the same in its registers; and a flush window of 5000 values
 * over chunks of 4096 bytes. */
static void counters(vkc_context *ctx, const char *label)
{
    static const char *const v[] = {"D,groups=1", "C+D,groups=1", "A,groups=1", "A+B+C+D,groups=1", "tile,groups=1"};
    for (size_t d = 0; d < 2; d++) {
        input in;
        input_make(&in, kDtypes[d], 300000, 0.97, 77 + d);
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
            char l[128];
            snprintf(l, sizeof l, "%s %s 300000 mostly zeros", label, v[k]);
            use_variant(ctx, v[k]);
            check_buffer(ctx, l, &in, 1, 0);
        }
        input_free(&in);
    }
}

static void flush_window(vkc_context *ctx, const char *label)
{
    uint64_t fw = ctx->flush_window, mc = ctx->max_chunk_bytes;
    ctx->flush_window = 5000;
    ctx->max_chunk_bytes = 4096;
    static const char *const v[] = {"A+C", "B", "D", "A+B+C+D,loads=1"};
    input in;
    input_make(&in, VKC_DTYPE_F32, 23457, 0.5, 99);
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
        char l[128];
        snprintf(l, sizeof l, "%s %s flush window", label, v[k]);
        use_variant(ctx, v[k]);
        ctx->range_var = (vkc_range_variant){4, 0};
        check_host(ctx, l, &in);
        check_buffer(ctx, l, &in, 3, 0);
    }
    input_free(&in);
    ctx->flush_window = fw;
    ctx->max_chunk_bytes = mc;
}

/* Host arrays of 1.2M values: imported in place (and copied, with import
 * masked), at an odd element offset. */
static void host_arrays(vkc_context *ctx, const char *label)
{
    input in;
    input_make(&in, VKC_DTYPE_F16, 1200001, 0.5, 5);
    input sub = in;
    sub.raw += 2;
    sub.wide += 1;
    sub.n -= 1;
    memset(&sub.st, 0, sizeof sub.st);
    vkc_ref_range(sub.wide, sub.n, &sub.st);
    static const char *const v[] = {"A+C", "B+D"};
    uint32_t dis = ctx->disabled;
    for (int imp = 0; imp < 2; imp++)
        for (size_t k = 0; k < 2; k++) {
            char l[128];
            snprintf(l, sizeof l, "%s %s host array (%s)", label, v[k], imp ? "copied" : "imported where possible");
            use_variant(ctx, v[k]);
            ctx->range_var = (vkc_range_variant){2, 0};
            ctx->disabled = imp ? dis | VKC_FEATURE_HOST_IMPORT : dis;
            check_host(ctx, l, &sub);
        }
    ctx->disabled = dis;
    input_free(&in);
}

/* Host arrays over chunks of 64 KiB, two in flight: staged, imported, and
 * (discrete) copied into device memory first, from staging or (import_dma)
 * from the import. */
static void pipelined(vkc_context *ctx, const char *label, int discrete)
{
    int uma = ctx->uma;
    uint64_t hc = ctx->host_chunk_bytes, im = ctx->import_min_bytes, fw = ctx->flush_window;
    uint32_t dis = ctx->disabled;
    ctx->uma = discrete ? 0 : uma;
    ctx->host_chunk_bytes = 65536;
    ctx->import_min_bytes = 4096;
    static const vkc_dtype t[2] = {VKC_DTYPE_F32, VKC_DTYPE_BF16};
    for (int d = 0; d < 2; d++) {
        input in;
        input_make(&in, t[d], 300007, 0.5, 41 + d);
        for (int imp = 0; imp < 2 + discrete; imp++) {
            char l[128];
            snprintf(l, sizeof l, "%s %s %s, 64 KiB chunks%s", label, discrete ? "discrete" : "unified", dname(t[d]),
                     imp == 2 ? ", imported, copied by the device" : imp ? ", imported" : ", staged");
            ctx->disabled = imp ? dis : dis | VKC_FEATURE_HOST_IMPORT;
            ctx->import_dma = imp == 2;
            ctx->flush_window = imp ? 0 : 100000; /* a flush with chunks in flight */
            use_variant(ctx, imp ? "A+C" : "base");
            ctx->range_var = (vkc_range_variant){(uint32_t)imp * 4, 0};
            uint64_t before = ctx->imports;
            check_host(ctx, l, &in);
            if (imp && ctx->host_import) REQUIREF(ctx->imports > before, "%s: nothing was imported", l);
        }
        input_free(&in);
    }
    ctx->uma = uma;
    ctx->import_dma = 0;
    ctx->host_chunk_bytes = hc;
    ctx->import_min_bytes = im;
    ctx->flush_window = fw;
    ctx->disabled = dis;
}

/* The module and constants a variant resolves to on ctx. */
static vkc_pipe *pipe_of(vkc_context *ctx, const char *variant, uint32_t bins)
{
    vkc_pipe *p = NULL;
    use_variant(ctx, variant);
    REQUIRE(vkc_gpu_pipe_hist(ctx, VKC_DTYPE_F32, bins, 0, &p) == VKC_OK);
    return p;
}

/* Masked features: the fallbacks, each held to the oracle, and the module
 * each variant must then use. */
static void fallbacks(void)
{
    static const struct {
        uint32_t mask;
        const char *label;
    } m[] = {
        {VKC_FEATURE_SUBGROUP_ARITHMETIC, "masked subgroup"},
        {VKC_FEATURE_SUBGROUP_BALLOT, "masked ballot"},
        {VKC_FEATURE_SHARED_HISTOGRAM, "masked shared"},
        {VKC_FEATURE_PARTITIONED, "masked partitioned"},
    };
    static const char *const v[] = {"A", "B", "A+B+C+D", "C+D,groups=2", "D,groups=1"};
    for (size_t k = 0; k < sizeof m / sizeof m[0]; k++) {
        int skip = 0;
        vkc_context *ctx = vkc_test_gpu_context(m[k].mask, 0, &skip);
        if (!ctx) continue;
        vkc_pipe *a = pipe_of(ctx, "A", 2048), *b = pipe_of(ctx, "B", 2048), *c = pipe_of(ctx, "C+D", 2048);
        int arith = vkc_gpu_has(ctx, VKC_FEATURE_SUBGROUP_ARITHMETIC), ballot = vkc_gpu_has(ctx, VKC_FEATURE_SUBGROUP_BALLOT);
        int part = vkc_gpu_has(ctx, VKC_FEATURE_PARTITIONED);
        printf("%s: A -> %s, B -> %s (match %u), C+D -> %s copies %u pack16 %u\n", m[k].label, a ? a->shader : "-",
               b ? b->shader : "-", b ? b->spec[VKC_HIST_SC_MATCH] : 0, c ? c->shader : "-",
               c ? c->spec[VKC_HIST_SC_COPIES] : 0, c ? c->spec[VKC_HIST_SC_PACK16] : 0);
        if (a) REQUIRE_CMP(strcmp(a->shader, arith ? "hist_sg" : "hist"), ==, 0);
        if (b) REQUIRE_CMP(strcmp(b->shader, part ? "hist_part" : ballot ? "hist_ballot" : "hist"), ==, 0);
        if (b) REQUIRE_CMP(b->spec[VKC_HIST_SC_MATCH] != 0, ==, ballot != 0);
        if (c && m[k].mask == VKC_FEATURE_SHARED_HISTOGRAM)
            REQUIRE(c->spec[VKC_HIST_SC_SHARED] == 0 && c->spec[VKC_HIST_SC_COPIES] == 1 &&
                    c->spec[VKC_HIST_SC_PACK16] == 0);
        for (size_t d = 0; d < 3; d++) {
            input in;
            input_make(&in, kDtypes[d], d == 0 ? 70001 : 9999, 0.5, 300 + d + 10 * k);
            for (size_t j = 0; j < sizeof v / sizeof v[0]; j++) {
                char l[128];
                snprintf(l, sizeof l, "%s %s", m[k].label, v[j]);
                use_variant(ctx, v[j]);
                check_buffer(ctx, l, &in, j % 3, d == 0 && j == 0);
            }
            input_free(&in);
        }
        vkc_test_gpu_context_done(ctx);
    }
}

/* VKCALIB_HIST_VARIANT's grammar and the default table. */
static void parsing(vkc_context *ctx)
{
    vkc_hist_variant h;
    vkc_range_variant r;
    REQUIRE(vkc_hist_variant_parse("base", &h) && h.loads == 0);
    REQUIRE(vkc_hist_variant_parse("base,groups=64", &h) && h.loads == 0 && h.groups == 64);
    REQUIRE(vkc_hist_variant_parse("tile", &h) && h.loads == 4 && !h.hot && !h.match && h.copies == 1 && !h.pack16);
    REQUIRE(vkc_hist_variant_parse("A", &h) && h.loads == 4 && h.hot == 4 && h.copies == 1);
    REQUIRE(vkc_hist_variant_parse("b", &h) && h.match == 4);
    REQUIRE(vkc_hist_variant_parse("C", &h) && h.copies == 0);
    REQUIRE(vkc_hist_variant_parse("D", &h) && h.pack16 == 1);
    REQUIRE(vkc_hist_variant_parse("A+C,loads=2,hot=1,copies=2,groups=512", &h) && h.loads == 2 && h.hot == 1 &&
            h.copies == 2 && h.groups == 512);
    REQUIRE(vkc_hist_variant_parse("ABCD", &h) && h.hot && h.match && h.copies == 0 && h.pack16);
    REQUIRE(!vkc_hist_variant_parse("E", &h));
    REQUIRE(!vkc_hist_variant_parse("", &h));
    REQUIRE(!vkc_hist_variant_parse("A,hot", &h));
    REQUIRE(!vkc_hist_variant_parse("A,speed=3", &h));
    REQUIRE(!vkc_hist_variant_parse("base,hot=2", &h));
    REQUIRE(!vkc_hist_variant_parse("A,loads=0", &h));
    REQUIRE(vkc_range_variant_parse("tile,loads=2", &r) && r.loads == 2);
    REQUIRE(vkc_range_variant_parse("base", &r) && r.loads == 0);
    REQUIRE(!vkc_range_variant_parse("A", &r));
    /* Every table row parses, and until a GPU measurement says otherwise
     * every vendor runs today's shaders. */
    static const uint32_t vendors[][2] = {{0x10de, 0x2335}, {0x10de, 0x2684}, {0x1002, 0x744c}, {0x8086, 0x56a0},
                                          {0x106b, 0x1}, {0x10005, 0}};
    for (size_t k = 0; k < sizeof vendors / sizeof vendors[0]; k++) {
        vkc_device_caps c;
        memset(&c, 0, sizeof c);
        c.vendor_id = vendors[k][0];
        c.device_id = vendors[k][1];
        const char *row = NULL;
        vkc_variant_default(&c, &h, &r, &row);
        REQUIREF(h.loads == 0 && r.loads == 0, "vendor %x device %x: default is not base", c.vendor_id, c.device_id);
        REQUIREF((row != NULL) == (k < 5), "vendor %x: row %s", c.vendor_id, row ? row : "none");
    }
    /* The context took its device's default (tests never set the variables). */
    vkc_variant_default(&ctx->caps, &h, &r, NULL);
    REQUIRE(memcmp(&h, &ctx->hist_var, sizeof h) == 0 && memcmp(&r, &ctx->range_var, sizeof r) == 0);
}

int main(void)
{
    int skip = 0;
    vkc_context *ctx = vkc_test_gpu_context(0, 0, &skip);
    if (skip) return 77;
    if (!ctx) return vkc_test_end();
    printf("subgroup size %u, ballot %d, partitioned %d, shared memory %u\n", ctx->caps.subgroup_size,
           vkc_gpu_has(ctx, VKC_FEATURE_SUBGROUP_BALLOT), vkc_gpu_has(ctx, VKC_FEATURE_PARTITIONED),
           ctx->caps.max_shared_memory);
    parsing(ctx);
    all_variants(ctx, "gpu");
    counters(ctx, "gpu");
    flush_window(ctx, "gpu");
    host_arrays(ctx, "gpu");
    pipelined(ctx, "gpu", 0);
    pipelined(ctx, "gpu", 1);
    vkc_test_gpu_context_done(ctx);
    fallbacks();
    return vkc_test_end();
}
