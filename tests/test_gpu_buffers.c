/* Embedding inputs: float16 and bfloat16 data, host arrays read in place
 * through VK_EXT_external_memory_host (and the staging copy it replaces),
 * the application's VkBuffer at any element offset, and recording into the
 * application's command buffer. Every result is compared bit for bit with
 * the plain reference over the same values widened to float32 on the host.
 * The fold shader that keeps recorded counters exact past 2^32 is checked on
 * its own with counters near the carry. */
#include "vk/gpu.h"
#include "oracle/reference.h"
#include "testutil.h"
#include "vk_app.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const vkc_dtype DTYPES[3] = {VKC_DTYPE_F32, VKC_DTYPE_F16, VKC_DTYPE_BF16};
static const char *const DNAME[3] = {"f32", "f16", "bf16"};

/* n elements of dtype t with every class of value: random bit patterns
 * (NaN, Inf, subnormals, +-0 included) mixed with ordinary activations.
 * raw holds the dtype's bytes, wide the same values as float32. */
static void make_data(vkc_dtype t, uint64_t n, vkc_rng *r, void *raw, float *wide)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t u = vkc_rng_next(r);
        uint32_t bits;
        if (u % 4 == 0) {
            bits = (uint32_t)(u >> 32); /* any pattern */
        } else {
            float f = (float)(vkc_rng_normal(r) * 3.0);
            if (u % 4 == 1) f = f > 0 ? f : 0.0f; /* post-ReLU zeros */
            memcpy(&bits, &f, 4);
        }
        if (t == VKC_DTYPE_F32) {
            memcpy((char *)raw + 4 * i, &bits, 4);
            memcpy(&wide[i], &bits, 4);
        } else {
            /* The top half of a float: a bfloat16 as is; read as a half,
             * a value of similar spread (both cover every class). */
            uint16_t h = (uint16_t)(bits >> 16);
            memcpy((char *)raw + 2 * i, &h, 2);
            wide[i] = t == VKC_DTYPE_F16 ? vkc_half_to_float(h) : vkc_bits_f32((uint32_t)h << 16);
        }
    }
}

/* float16 near zero only: subnormals and the first normal binade, where a
 * wrong exponent in the widening would move every value's bin. */
static void make_tiny_halves(uint64_t n, vkc_rng *r, uint16_t *raw, float *wide)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t u = vkc_rng_next(r);
        raw[i] = (uint16_t)((u & 0x07ff) | ((u >> 11) & 1) << 15);
        wide[i] = vkc_half_to_float(raw[i]);
    }
}

static int same_stats(const vkc_stats *a, const vkc_stats *b)
{
    return vkc_f32_bits(a->min) == vkc_f32_bits(b->min) && vkc_f32_bits(a->max) == vkc_f32_bits(b->max) &&
           vkc_f32_bits(a->absmax) == vkc_f32_bits(b->absmax) && a->count == b->count && a->zeros == b->zeros &&
           a->nan == b->nan && a->pos_inf == b->pos_inf && a->neg_inf == b->neg_inf;
}

typedef struct expect {
    vkc_stats st;
    vkc_hist_spec abs, sig;
    uint64_t *ha, *hs;
} expect;

static void expect_of(const float *w, uint64_t n, expect *e)
{
    memset(&e->st, 0, sizeof e->st);
    vkc_ref_range(w, n, &e->st);
    e->abs = (vkc_hist_spec){VKC_HIST_ABS, 2048, 0.0f, e->st.absmax};
    /* A fixed window: values beyond it clamp to the end bins, and random
     * bit patterns would make [min, max] wider than float32 holds. */
    e->sig = (vkc_hist_spec){VKC_HIST_SIGNED, 301, -4.5f, 6.25f};
    e->ha = calloc(2048, 8);
    e->hs = calloc(301, 8);
    vkc_ref_histogram(w, n, &e->abs, e->ha);
    vkc_ref_histogram(w, n, &e->sig, e->hs);
}

static void expect_free(expect *e)
{
    free(e->ha);
    free(e->hs);
}

/* Host arrays, at an aligned and a misaligned start. */
static void check_host(vkc_context *ctx, const char *label, vkc_dtype t, const void *raw, uint64_t n,
                       const expect *e)
{
    vkc_stats st = {0};
    uint64_t ha[2048] = {0}, hs[301] = {0};
    REQUIREF(vkc_range_host(ctx, raw, n, t, &st) == VKC_OK, "%s", vkc_context_error(ctx));
    REQUIREF(same_stats(&st, &e->st), "%s: host range, %llu values", label, (unsigned long long)n);
    REQUIREF(vkc_histogram_host(ctx, raw, n, t, &e->abs, ha) == VKC_OK, "%s", vkc_context_error(ctx));
    REQUIREF(memcmp(ha, e->ha, sizeof ha) == 0, "%s: host |x| histogram, %llu values", label, (unsigned long long)n);
    REQUIREF(vkc_histogram_host(ctx, raw, n, t, &e->sig, hs) == VKC_OK, "%s", vkc_context_error(ctx));
    REQUIREF(memcmp(hs, e->hs, sizeof hs) == 0, "%s: host signed histogram, %llu values", label,
             (unsigned long long)n);
}

/* A host-visible buffer holding raw at byte offset off. */
static int make_buffer(vkc_context *ctx, const void *raw, uint64_t bytes, VkDeviceSize off, vkc_gbuf *b)
{
    if (vkc_gbuf_create(ctx, off + bytes + 4, 1, b) != VKC_OK) return 0;
    memset(b->map, 0x7f, (size_t)b->size); /* padding that would poison a wrong read */
    memcpy((char *)b->map + off, raw, bytes);
    return 1;
}

static void check_buffer(vkc_context *ctx, const char *label, vkc_dtype t, const void *raw, uint64_t n,
                         VkDeviceSize off, const expect *e)
{
    vkc_gbuf b;
    uint32_t es = vkc_dtype_size(t);
    REQUIRE(make_buffer(ctx, raw, n * es, off, &b));
    vkc_buffer_view v = {b.buf, off, n, t};
    vkc_stats st = {0};
    uint64_t ha[2048] = {0}, hs[301] = {0};
    REQUIREF(vkc_range_buffer(ctx, &v, &st) == VKC_OK, "%s", vkc_context_error(ctx));
    REQUIREF(same_stats(&st, &e->st), "%s: buffer range at offset %llu, %llu values", label,
             (unsigned long long)off, (unsigned long long)n);
    REQUIREF(vkc_histogram_buffer(ctx, &v, &e->abs, ha) == VKC_OK, "%s", vkc_context_error(ctx));
    REQUIREF(memcmp(ha, e->ha, sizeof ha) == 0, "%s: buffer |x| histogram at offset %llu", label,
             (unsigned long long)off);
    REQUIREF(vkc_histogram_buffer(ctx, &v, &e->sig, hs) == VKC_OK, "%s", vkc_context_error(ctx));
    REQUIREF(memcmp(hs, e->hs, sizeof hs) == 0, "%s: buffer signed histogram at offset %llu", label,
             (unsigned long long)off);
    vkc_gbuf_destroy(ctx, &b);
}


/* Recording: the tensor arrives in three batches at different offsets of
 * one buffer; the range batches go into one command buffer, the histogram
 * batches into two submissions before a single read. */
static void check_recorder(vkc_context *ctx, const char *label, vkc_dtype t, const void *raw, uint64_t n,
                           const expect *e)
{
    app a;
    vkc_recorder *r = NULL;
    vkc_gbuf b;
    uint32_t es = vkc_dtype_size(t);
    VkDeviceSize off = 3 * es; /* misaligned on purpose */
    REQUIRE(app_open(ctx, &a));
    REQUIRE(make_buffer(ctx, raw, n * es, off, &b));
    REQUIREF(vkc_recorder_create(ctx, &r) == VKC_OK, "%s", vkc_context_error(ctx));
    if (!r) goto out;
    uint64_t cut[4] = {0, n / 3, n / 3 + (n > 5 ? 5 : 0), n};
    vkc_stats st = {0};
    uint64_t ha[2048] = {0};

    REQUIRE(app_begin(&a));
    for (int k = 0; k < 3; k++) {
        vkc_buffer_view v = {b.buf, off + cut[k] * es, cut[k + 1] - cut[k], t};
        REQUIREF(vkc_record_range(r, a.cmd, &v) == VKC_OK, "%s", vkc_context_error(ctx));
    }
    REQUIRE(app_submit(&a));
    REQUIREF(vkc_recorder_read(r, &st, NULL) == VKC_OK, "%s", vkc_context_error(ctx));
    REQUIREF(same_stats(&st, &e->st), "%s: recorded range, %llu values", label, (unsigned long long)n);

    for (int sub = 0; sub < 2; sub++) {
        REQUIRE(app_begin(&a));
        for (int k = sub; k < 3; k += 2) {
            vkc_buffer_view v = {b.buf, off + cut[k] * es, cut[k + 1] - cut[k], t};
            REQUIREF(vkc_record_histogram(r, a.cmd, &v, &e->abs) == VKC_OK, "%s", vkc_context_error(ctx));
        }
        if (sub == 0) {
            /* A different geometry before the read is refused. */
            vkc_buffer_view v = {b.buf, off, 1, t};
            REQUIRE_CMP(vkc_record_histogram(r, a.cmd, &v, &e->sig), ==, VKC_ERROR_MISMATCH);
        }
        REQUIRE(app_submit(&a));
    }
    REQUIREF(vkc_recorder_read(r, NULL, ha) == VKC_OK, "%s", vkc_context_error(ctx));
    REQUIREF(memcmp(ha, e->ha, sizeof ha) == 0, "%s: recorded |x| histogram, %llu values", label,
             (unsigned long long)n);

    /* After a read the accumulators start over, with a new geometry. */
    uint64_t hs[301] = {0};
    vkc_stats st2 = {0};
    REQUIRE(app_begin(&a));
    vkc_buffer_view whole = {b.buf, off, n, t};
    REQUIREF(vkc_record_histogram(r, a.cmd, &whole, &e->sig) == VKC_OK, "%s", vkc_context_error(ctx));
    REQUIREF(vkc_record_range(r, a.cmd, &whole) == VKC_OK, "%s", vkc_context_error(ctx));
    REQUIRE(app_submit(&a));
    REQUIREF(vkc_recorder_read(r, &st2, hs) == VKC_OK, "%s", vkc_context_error(ctx));
    REQUIREF(memcmp(hs, e->hs, sizeof hs) == 0, "%s: recorded signed histogram after a read", label);
    REQUIREF(same_stats(&st2, &e->st), "%s: recorded range after a read", label);
out:
    vkc_recorder_destroy(r);
    vkc_gbuf_destroy(ctx, &b);
    app_close(&a);
}

/* A fresh recorder gets a range and a histogram in one reusable command
 * buffer, submitted twice before one read (everything counts twice), then
 * a range in one submission and a histogram with more bins in a later one
 * before the next read (neither may disturb the other). */
static void check_recorder_reuse(vkc_context *ctx, const char *label, vkc_dtype t, const void *raw, uint64_t n,
                                 const expect *e)
{
    app a;
    vkc_recorder *r = NULL;
    vkc_gbuf b;
    uint32_t es = vkc_dtype_size(t);
    REQUIRE(app_open(ctx, &a));
    REQUIRE(make_buffer(ctx, raw, n * es, 0, &b));
    REQUIREF(vkc_recorder_create(ctx, &r) == VKC_OK, "%s", vkc_context_error(ctx));
    if (!r) goto out;
    vkc_buffer_view v = {b.buf, 0, n, t};
    VkCommandBufferBeginInfo bi = {VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO}; /* reusable */
    REQUIRE_CMP(vkBeginCommandBuffer(a.cmd, &bi), ==, VK_SUCCESS);
    REQUIREF(vkc_record_range(r, a.cmd, &v) == VKC_OK, "%s", vkc_context_error(ctx));
    REQUIREF(vkc_record_histogram(r, a.cmd, &v, &e->abs) == VKC_OK, "%s", vkc_context_error(ctx));
    REQUIRE_CMP(vkEndCommandBuffer(a.cmd), ==, VK_SUCCESS);
    REQUIRE(app_resubmit(&a));
    REQUIRE(app_resubmit(&a));
    vkc_stats st = {0};
    uint64_t ha[2048] = {0};
    REQUIREF(vkc_recorder_read(r, &st, ha) == VKC_OK, "%s", vkc_context_error(ctx));
    int ok = st.count == 2 * e->st.count && st.zeros == 2 * e->st.zeros && st.nan == 2 * e->st.nan &&
             vkc_f32_bits(st.min) == vkc_f32_bits(e->st.min) && vkc_f32_bits(st.max) == vkc_f32_bits(e->st.max);
    for (int k = 0; k < 2048; k++) ok = ok && ha[k] == 2 * e->ha[k];
    REQUIREF(ok, "%s: a command buffer submitted twice did not count twice", label);

    /* Range now, a wider histogram later, one read. */
    vkc_stats st2 = {0};
    uint64_t hs[301] = {0};
    REQUIRE(app_begin(&a));
    REQUIREF(vkc_record_range(r, a.cmd, &v) == VKC_OK, "%s", vkc_context_error(ctx));
    REQUIRE(app_submit(&a));
    vkc_hist_spec narrow = {VKC_HIST_ABS, 100, 0.0f, 1.0f};
    REQUIRE(app_begin(&a));
    REQUIREF(vkc_record_histogram(r, a.cmd, &v, &narrow) == VKC_OK, "%s", vkc_context_error(ctx));
    REQUIRE(app_submit(&a));
    REQUIREF(vkc_recorder_read(r, &st2, NULL) == VKC_OK, "%s", vkc_context_error(ctx));
    REQUIREF(st2.count == e->st.count && vkc_f32_bits(st2.max) == vkc_f32_bits(e->st.max),
             "%s: a later histogram disturbed the recorded range", label);
    REQUIRE(app_begin(&a));
    REQUIREF(vkc_record_range(r, a.cmd, &v) == VKC_OK, "%s", vkc_context_error(ctx));
    REQUIREF(vkc_record_histogram(r, a.cmd, &v, &e->sig) == VKC_OK, "%s", vkc_context_error(ctx));
    REQUIRE(app_submit(&a));
    memset(&st2, 0, sizeof st2);
    REQUIREF(vkc_recorder_read(r, &st2, hs) == VKC_OK, "%s", vkc_context_error(ctx));
    REQUIREF(memcmp(hs, e->hs, sizeof hs) == 0 && st2.count == e->st.count,
             "%s: histogram with more bins after a range-only read", label);
out:
    vkc_recorder_destroy(r);
    vkc_gbuf_destroy(ctx, &b);
    app_close(&a);
}

/* The fold shader on counters at the edge of the carry, and on the range
 * record's keys. */
static void check_fold(vkc_context *ctx)
{
    vkc_gbuf w, t;
    vkc_pipe *fold;
    REQUIRE_CMP(vkc_gbuf_create(ctx, 1024, 1, &w), ==, VKC_OK);
    REQUIRE_CMP(vkc_gbuf_create(ctx, 2048, 1, &t), ==, VKC_OK);
    REQUIRE_CMP(vkc_pipe_get(ctx, "fold", NULL, 0, 2, 16, &fold), ==, VKC_OK);
    uint32_t *wm = w.map, *tm = t.map;
    enum { N = 70, SRC = 16, DST = 128 };
    uint64_t want[N];
    memset(wm, 0, 1024);
    memset(tm, 0, 2048);
    for (uint32_t i = 0; i < N; i++) {
        uint32_t v = i % 3 == 0 ? 0xffffffffu : i % 3 == 1 ? 1u : 0u;
        uint64_t base = i % 2 ? 0xfffffffeull : (0x5ull << 32) | 0xfffffff0u;
        wm[SRC + i] = v;
        tm[DST + 2 * i] = (uint32_t)base;
        tm[DST + 2 * i + 1] = (uint32_t)(base >> 32);
        want[i] = base + v;
    }
    wm[0] = 0x80000005u, wm[1] = 0x90000000u, wm[2] = 0x3f800000u; /* keys of this dispatch */
    tm[0] = 0x80000009u, tm[1] = 0x80000001u, tm[2] = 0x40000000u; /* keys so far */
    uint32_t push[4] = {SRC, DST, N, 1};
    vkc_binding bind[2] = {{&w, 0, 1024}, {&t, 0, 2048}};
    REQUIRE_CMP(vkc_cmd_begin(ctx), ==, VKC_OK);
    REQUIRE_CMP(vkc_cmd_dispatch(ctx, fold, bind, push, (N + 63) / 64, 1, 1), ==, VKC_OK);
    REQUIRE_CMP(vkc_cmd_submit_wait(ctx), ==, VKC_OK);
    int ok = 1;
    for (uint32_t i = 0; i < N; i++) {
        uint64_t got = (uint64_t)tm[DST + 2 * i] | (uint64_t)tm[DST + 2 * i + 1] << 32;
        if (got != want[i] || wm[SRC + i] != 0) ok = 0;
    }
    REQUIREF(ok, "fold: 64-bit counters wrong or working counters not cleared");
    REQUIREF(tm[0] == 0x80000005u && tm[1] == 0x90000000u && tm[2] == 0x40000000u, "fold: keys %08x %08x %08x",
             tm[0], tm[1], tm[2]);
    REQUIREF(wm[0] == 0xffffffffu && wm[1] == 0 && wm[2] == 0, "fold: working keys not reset");
    vkc_gbuf_destroy(ctx, &w);
    vkc_gbuf_destroy(ctx, &t);
}

static void half_known_values(void)
{
    static const struct { uint16_t h; uint32_t f; } k[] = {
        {0x0000, 0x00000000}, {0x8000, 0x80000000}, {0x3c00, 0x3f800000}, {0xc000, 0xc0000000},
        {0x0001, 0x33800000}, {0x03ff, 0x387fc000}, {0x0400, 0x38800000}, {0x7bff, 0x477fe000},
        {0x7c00, 0x7f800000}, {0xfc00, 0xff800000}, {0x7e00, 0x7fc00000}};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        REQUIREF(vkc_f32_bits(vkc_half_to_float(k[i].h)) == k[i].f, "half 0x%04x", k[i].h);
}

int main(void)
{
    static const uint64_t sizes[] = {1, 2, 7, 257, 4097, 300001};
    int skip = 0;
    half_known_values();
    vkc_context *cpu = vkc_test_cpu_context();
    vkc_context *gpu = vkc_test_gpu_context(0, 0, &skip);
    vkc_context *copy = gpu ? vkc_test_gpu_context(VKC_FEATURE_HOST_IMPORT, 0, &skip) : NULL;
    vkc_context *chunked = gpu ? vkc_test_gpu_context(0, 1024, &skip) : NULL;
    if (gpu) {
        gpu->import_min_bytes = 0; /* import even the smallest arrays */
        chunked->import_min_bytes = 0;
        printf("device: %s, VK_EXT_external_memory_host %s (alignment %llu)\n", gpu->caps.name,
               gpu->host_import ? "enabled" : "not offered",
               (unsigned long long)gpu->caps.min_imported_host_pointer_alignment);
        check_fold(gpu);
    }
    vkc_rng rng = {77};
    for (int d = 0; d < 3; d++) {
        vkc_dtype t = DTYPES[d];
        uint32_t es = vkc_dtype_size(t);
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            uint64_t n = sizes[k];
            /* One spare element in front for the misaligned start. */
            char *raw = malloc((n + 1) * es);
            float *wide = malloc((n + 1) * sizeof *wide);
            make_data(t, n + 1, &rng, raw, wide);
            expect e, e1;
            expect_of(wide, n, &e);
            expect_of(wide + 1, n, &e1);
            char label[96];
            snprintf(label, sizeof label, "cpu %s n=%llu", DNAME[d], (unsigned long long)n);
            check_host(cpu, label, t, raw, n, &e);
            check_host(cpu, label, t, raw + es, n, &e1);
            if (gpu) {
                uint64_t before = gpu->imports;
                snprintf(label, sizeof label, "gpu %s n=%llu", DNAME[d], (unsigned long long)n);
                check_host(gpu, label, t, raw, n, &e);
                check_host(gpu, label, t, raw + es, n, &e1);
                if (gpu->host_import) REQUIREF(gpu->imports > before, "%s: host arrays were not imported", label);
                snprintf(label, sizeof label, "gpu staging %s n=%llu", DNAME[d], (unsigned long long)n);
                check_host(copy, label, t, raw + es, n, &e1);
                REQUIRE_CMP(copy->imports, ==, 0);
                snprintf(label, sizeof label, "gpu 1KiB chunks %s n=%llu", DNAME[d], (unsigned long long)n);
                check_host(chunked, label, t, raw + es, n, &e1);
                static const VkDeviceSize offs[] = {0, 1, 3, 64, 257};
                for (size_t o = 0; o < sizeof offs / sizeof offs[0]; o++) {
                    snprintf(label, sizeof label, "gpu buffer %s n=%llu", DNAME[d], (unsigned long long)n);
                    check_buffer(gpu, label, t, raw, n, offs[o] * es, &e);
                    snprintf(label, sizeof label, "gpu buffer 1KiB chunks %s n=%llu", DNAME[d], (unsigned long long)n);
                    check_buffer(chunked, label, t, raw, n, offs[o] * es, &e);
                }
                snprintf(label, sizeof label, "gpu recorder %s n=%llu", DNAME[d], (unsigned long long)n);
                check_recorder(gpu, label, t, raw, n, &e);
                snprintf(label, sizeof label, "gpu recorder reuse %s n=%llu", DNAME[d], (unsigned long long)n);
                check_recorder_reuse(gpu, label, t, raw, n, &e);
                if (n == 300001 || n == 4097) {
                    /* Hundreds of dispatches: the recorder's pools grow. */
                    snprintf(label, sizeof label, "gpu recorder 1KiB chunks %s n=%llu", DNAME[d],
                             (unsigned long long)n);
                    check_recorder(chunked, label, t, raw, n, &e);
                }
            }
            expect_free(&e);
            expect_free(&e1);
            free(raw);
            free(wide);
        }
    }

    {
        uint64_t n = 4097;
        uint16_t *raw = malloc(n * 2);
        float *wide = malloc(n * sizeof *wide);
        make_tiny_halves(n, &rng, raw, wide);
        expect e;
        expect_of(wide, n, &e);
        check_host(cpu, "cpu tiny f16", VKC_DTYPE_F16, raw, n, &e);
        if (gpu) {
            check_host(gpu, "gpu tiny f16", VKC_DTYPE_F16, raw, n, &e);
            check_buffer(gpu, "gpu buffer tiny f16", VKC_DTYPE_F16, raw, n, 2, &e);
        }
        expect_free(&e);
        free(raw);
        free(wide);
    }

    /* Argument errors: clear statuses, no crash. */
    vkc_buffer_view bad = {VK_NULL_HANDLE, 0, 4, VKC_DTYPE_F32};
    vkc_stats st = {0};
    REQUIRE_CMP(vkc_range_host(cpu, "", 1, (vkc_dtype)7, &st), ==, VKC_ERROR_INVALID_ARGUMENT);
    /* A misaligned host array is refused alike on every backend and path. */
    static uint32_t words[1 << 19];
    const char *byte1 = (const char *)words + 1, *half = (const char *)words + 2;
    REQUIRE_CMP(vkc_range_host(cpu, byte1, 1000, VKC_DTYPE_F16, &st), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_range_host(cpu, half, 1000, VKC_DTYPE_F32, &st), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(strstr(vkc_context_error(cpu), "aligned"), !=, NULL);
    if (gpu) {
        uint64_t h[16] = {0};
        vkc_hist_spec sp = {VKC_HIST_ABS, 16, 0.0f, 1.0f};
        REQUIRE_CMP(vkc_range_host(gpu, half, (1 << 19) - 1, VKC_DTYPE_F32, &st), ==, VKC_ERROR_INVALID_ARGUMENT);
        REQUIRE_CMP(vkc_histogram_host(gpu, byte1, 1000, VKC_DTYPE_BF16, &sp, h), ==, VKC_ERROR_INVALID_ARGUMENT);
        REQUIRE_CMP(vkc_range_host(gpu, half, 1000, VKC_DTYPE_F16, &st), ==, VKC_OK); /* 2-byte aligned is enough */
    }
    REQUIRE_CMP(vkc_range_buffer(cpu, &bad, &st), ==, VKC_ERROR_UNSUPPORTED);
    vkc_recorder *r = NULL;
    REQUIRE_CMP(vkc_recorder_create(cpu, &r), ==, VKC_ERROR_UNSUPPORTED);
    REQUIRE_CMP(r, ==, NULL);
    if (gpu) {
        REQUIRE_CMP(vkc_range_buffer(gpu, &bad, &st), ==, VKC_ERROR_INVALID_ARGUMENT);
        vkc_gbuf b;
        REQUIRE_CMP(vkc_gbuf_create(gpu, 64, 1, &b), ==, VKC_OK);
        vkc_buffer_view odd = {b.buf, 2, 4, VKC_DTYPE_F32};
        REQUIRE_CMP(vkc_range_buffer(gpu, &odd, &st), ==, VKC_ERROR_INVALID_ARGUMENT);
        REQUIRE_CMP(strstr(vkc_context_error(gpu), "element size"), !=, NULL);
        vkc_gbuf_destroy(gpu, &b);
    }

    vkc_context_destroy(cpu);
    if (gpu) {
        vkc_test_gpu_context_done(gpu);
        vkc_test_gpu_context_done(copy);
        vkc_test_gpu_context_done(chunked);
    } else if (skip) {
        printf("no Vulkan device: GPU checks skipped\n");
        vkc_test_end();
        return 77;
    }
    return vkc_test_end();
}
