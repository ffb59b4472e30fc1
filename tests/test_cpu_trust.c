/* Regression tests of the library for issue #15 ("ranges a user can
 * trust"), one function per defect or feature, each written to fail on the
 * code before its fix:
 *   - B3: one bin cap everywhere (VKC_HIST_MAX_BINS: calibrator, search,
 *     streams, state files), and an MSE search whose cost is not quadratic
 *     in bins (its O(levels) exact sums equal the O(bins) definition);
 *   - B8: byte strings that are not UTF-8 round-trip through JSON, distinct;
 *   - B9, B15: settings checked when the calibrator is made (percentile
 *     decimals, entropy's start bin, bins below the start bin), TensorRT's
 *     version integers and calibrator names;
 *   - B10, B11, B16: state files that overflow, contradict themselves or are
 *     given twice;
 *   - the histogram pass must see the range pass's values; streaming max is
 *     the absmax;
 * and the later items below. */
#include "search/search.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* ---- B3 ----------------------------------------------------------------- */

static void test_mse_sums(void)
{
    vkc_rng r = {0x7e5701};
    uint64_t *h = malloc(4000 * sizeof *h);
    int checked = 0;
    for (int c = 0; c < 40; c++) {
        uint32_t n = 2 + (uint32_t)(vkc_rng_next(&r) % 3000);
        for (uint32_t j = 0; j < n; j++) {
            uint64_t v = vkc_rng_next(&r);
            h[j] = c % 3 == 0 ? v % 4 : c % 3 == 1 ? (uint64_t)(1e9 * exp(-(double)j / (1 + n / 10))) : v >> 44;
            if (vkc_rng_next(&r) % 5 == 0) h[j] = 0;
        }
        vkc_histogram hist = {h, n, 3.0, VKC_HIST_ABS, 0.0};
        for (int ub = 0; ub < 2; ub++) {
            const uint32_t bound = ub ? 255 : 127;
            vkc_search_result res;
            vkc_msg msg;
            uint32_t start = 1 + (uint32_t)(vkc_rng_next(&r) % (n > 200 ? 128 : n));
            if (start >= n) continue;
            REQUIRE_CMP(vkc_mse_select(&hist, start, bound, NULL, &res, &msg), ==, VKC_OK);
            /* The choice is the least of the definition's sums, first of
             * ties (exact integers: no tolerance needed here). */
            unsigned __int128 best = 0;
            uint32_t bi = 0;
            for (uint32_t i = start; i < n; i++) {
                unsigned __int128 v = vkc_mse_sum_reference(h, n, i, bound);
                if (i == start || v < best) best = v, bi = i;
            }
            REQUIREF(res.fallback || res.i == bi, "case %d (n %u, bound %u): MSE chose %u, the definition %u", c, n,
                     bound, res.i, bi);
            checked++;
        }
    }
    free(h);
    printf("B3: %d MSE searches choose the least exact O(bins) sum\n", checked);
}

static void test_bin_cap(void)
{
    vkc_context *ctx = vkc_test_cpu_context();
    REQUIRE(ctx != NULL);
    if (!ctx) return;
    /* The calibrator, streams and vkc_search all stop at the cap. */
    vkc_calibrator_info ci = {0};
    vkc_calibrator *cal = NULL;
    ci.bins = VKC_HIST_MAX_BINS + 1;
    REQUIRE_CMP(vkc_calibrator_create(ctx, &ci, &cal), ==, VKC_ERROR_INVALID_ARGUMENT);
    ci.bins = VKC_HIST_MAX_BINS;
    REQUIRE_CMP(vkc_calibrator_create(ctx, &ci, &cal), ==, VKC_OK);
    vkc_calibrator_destroy(cal);
    vkc_stream *st = NULL;
    REQUIRE_CMP(vkc_stream_create(ctx, VKC_HIST_MAX_BINS + 1, &st), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_stream_create(ctx, VKC_HIST_MAX_BINS, &st), ==, VKC_OK);
    vkc_stream_destroy(st);
    const uint32_t big = 1u << 20;
    uint64_t *h = calloc(big, sizeof *h);
    for (uint32_t j = 0; j < big; j++) h[j] = 1 + j % 7;
    vkc_histogram hist = {h, big, 5.0, VKC_HIST_ABS, 0.0};
    vkc_search_params sp = {0};
    vkc_search_result res;
    sp.method = VKC_METHOD_MSE;
    REQUIRE_CMP(vkc_search(ctx, &hist, 1, &sp, &res), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(strstr(vkc_context_error(ctx), "at most 65536"), !=, NULL);
    /* A state file of 2^20 bins (which the old reader took) is refused. */
    {
        const char *path = "test_cpu_trust_bins.vkch";
        size_t len = 24 + 4 + 1 + 56 + (size_t)big * 8 + 4;
        unsigned char *b = calloc(len, 1);
        uint32_t w[6] = {0x48434b56u, 1, 2, big, 0, 1};
        memcpy(b, w, sizeof w);
        b[24] = 1;
        b[28] = 't';
        uint32_t crc = (uint32_t)crc32(0, b, (uInt)(len - 4));
        memcpy(b + len - 4, &crc, 4);
        FILE *f = fopen(path, "wb");
        REQUIRE(f && fwrite(b, 1, len, f) == len);
        if (f) fclose(f);
        free(b);
        REQUIRE_CMP(vkc_calibrator_create(ctx, NULL, &cal), ==, VKC_OK);
        REQUIRE_CMP(vkc_calibrator_load_state(cal, path, VKC_PASS_HISTOGRAM), ==, VKC_ERROR_FORMAT);
        REQUIRE_CMP(strstr(vkc_calibrator_error(cal), "bin count 1048576"), !=, NULL);
        vkc_calibrator_destroy(cal);
        unlink(path);
    }
    /* The MSE search on the largest histogram is not quadratic (it took
     * 66 s on one 65536-bin tensor). */
    hist.bins = VKC_HIST_MAX_BINS;
    for (uint32_t j = 0; j < hist.bins; j++) h[j] = (uint64_t)(1e6 * exp(-(double)j / 3000.0)) + (j % 13 == 0);
    double t0 = vkc_test_now();
    REQUIRE_CMP(vkc_search(ctx, &hist, 1, &sp, &res), ==, VKC_OK);
    double t1 = vkc_test_now();
    sp.mode = VKC_MODE_UNSIGNED;
    REQUIRE_CMP(vkc_search(ctx, &hist, 1, &sp, &res), ==, VKC_OK);
    double t2 = vkc_test_now();
    printf("B3: MSE search on %u bins: %.3f s symmetric, %.3f s unsigned\n", hist.bins, t1 - t0, t2 - t1);
    REQUIRE_CMP(t1 - t0, <, 5.0);
    REQUIRE_CMP(t2 - t1, <, 5.0);
    free(h);
    vkc_context_destroy(ctx);
}

/* ---- helpers ------------------------------------------------------------ */

static void put32le(unsigned char *p, uint32_t v)
{
    for (int k = 0; k < 4; k++) p[k] = (unsigned char)(v >> (8 * k));
}

static void put64le(unsigned char *p, uint64_t v)
{
    for (int k = 0; k < 8; k++) p[k] = (unsigned char)(v >> (8 * k));
}

static uint32_t fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* A state file of one tensor "t" (phase 1 or 2, bins counts all c). */
static void write_state(const char *path, uint32_t phase, uint32_t bins, uint32_t flags, uint32_t ntensors, float mn,
                        float mx, float am, uint64_t count, uint64_t zeros, uint64_t nan, uint64_t c)
{
    size_t len = 24 + ntensors * (4 + 1 + 56 + (phase == 2 ? (size_t)bins * 8 : 0)) + 4;
    unsigned char *b = calloc(len, 1), *p = b + 24;
    memcpy(b, "VKCH", 4);
    put32le(b + 4, 1);
    put32le(b + 8, phase);
    put32le(b + 12, bins);
    put32le(b + 16, flags);
    put32le(b + 20, ntensors);
    for (uint32_t k = 0; k < ntensors; k++) {
        put32le(p, 1);
        p[4] = (unsigned char)('t' + k);
        p += 5;
        put32le(p, fbits(mn));
        put32le(p + 4, fbits(mx));
        put32le(p + 8, fbits(am));
        put32le(p + 12, fbits(phase == 2 ? am : 0.0f));
        put64le(p + 16, count);
        put64le(p + 24, zeros);
        put64le(p + 32, nan);
        p += 56;
        for (uint32_t j = 0; phase == 2 && j < bins; j++, p += 8) put64le(p, c);
    }
    put32le(b + len - 4, (uint32_t)crc32(0, b, (uInt)(len - 4)));
    FILE *f = fopen(path, "wb");
    REQUIRE(f && fwrite(b, 1, len, f) == len);
    if (f) fclose(f);
    free(b);
}

static vkc_status load_state(vkc_context *ctx, const char *path, vkc_pass want, char *err, size_t size)
{
    vkc_calibrator *cal = NULL;
    vkc_calibrator_info ci = {0};
    ci.method = VKC_METHOD_MAX;
    REQUIRE_CMP(vkc_calibrator_create(ctx, &ci, &cal), ==, VKC_OK);
    vkc_status s = vkc_calibrator_load_state(cal, path, want);
    if (s == VKC_OK && want == VKC_PASS_HISTOGRAM) s = vkc_calibrator_end_pass(cal);
    snprintf(err, size, "%s", vkc_calibrator_error(cal));
    vkc_calibrator_destroy(cal);
    return s;
}

/* ---- B8: byte strings through JSON --------------------------------------- */

static void test_json_names(void)
{
    vkc_context *ctx = vkc_test_cpu_context();
    vkc_calibrator *cal = NULL;
    vkc_calibrator_info ci = {0};
    ci.method = VKC_METHOD_MAX;
    REQUIRE_CMP(vkc_calibrator_create(ctx, &ci, &cal), ==, VKC_OK);
    /* Not UTF-8: each byte alone, one after valid text, an encoded surrogate. */
    const char *names[] = {"\xff", "\xfe", "a\xc3", "\xed\xa0\x80x", "ok\xe2\x82\xac"};
    float x[4] = {1, -2, 3, 0.5f};
    for (uint32_t k = 0; k < 5; k++) {
        uint32_t t;
        REQUIRE_CMP(vkc_calibrator_tensor(cal, names[k], &t), ==, VKC_OK);
    }
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t t = 0; t < 5; t++) REQUIRE_CMP(vkc_calibrator_feed(cal, t, x, 4, VKC_DTYPE_F32), ==, VKC_OK);
        REQUIRE_CMP(vkc_calibrator_end_pass(cal), ==, VKC_OK);
    }
    char *text = NULL;
    size_t len = 0;
    vkc_msg msg;
    REQUIRE_CMP(vkc_calibration_format(vkc_calibrator_results(cal), VKC_FORMAT_JSON, NULL, &text, &len, &msg), ==,
                VKC_OK);
    REQUIRE_CMP(strstr(text, "\\udcff"), !=, NULL);
    REQUIRE_CMP(strstr(text, "\\ufffd"), ==, NULL);
    vkc_calibration *back = NULL;
    REQUIRE_CMP(vkc_calibration_parse(text, len, "names.json", &back, &msg), ==, VKC_OK);
    for (uint32_t k = 0; back && k < 5; k++) {
        REQUIREF(vkc_calibration_find(back, names[k]) == k, "name %u does not read back", k);
    }
    vkc_calibration_free(back);
    vkc_free(text);
    vkc_calibrator_destroy(cal);
    /* A name holding NUL cannot be a tensor name: refused, not cut short. */
    const char *nul = "{\"format\": \"vkcalib-calibration\", \"tensors\": [{\"name\": \"a\\u0000b\", \"lo\": -1, "
                      "\"hi\": 1, \"scale\": 0.01}]}";
    REQUIRE_CMP(vkc_calibration_parse(nul, strlen(nul), "nul.json", &back, &msg), ==, VKC_ERROR_FORMAT);
    REQUIRE_CMP(strstr(msg.text, "NUL"), !=, NULL);
    /* The other lone low surrogates stay errors. */
    vkc_json *root = NULL;
    REQUIRE_CMP(vkc_json_parse("\"\\udc41\"", 8, &root, &msg), ==, VKC_ERROR_FORMAT);
    REQUIRE_CMP(vkc_json_parse("\"\\udc80\"", 8, &root, &msg), ==, VKC_OK);
    size_t n = 0;
    const char *v = vkc_json_string(root, &n);
    REQUIRE(v && n == 1 && (unsigned char)v[0] == 0x80);
    vkc_json_free(root);
    vkc_context_destroy(ctx);
    printf("B8: names that are not UTF-8 round-trip through JSON distinct; NUL is refused\n");
}

/* ---- B9, B15: settings refused before any data ---------------------------- */

static void test_settings(void)
{
    vkc_context *ctx = vkc_test_cpu_context();
    vkc_calibrator *cal = NULL;
    vkc_calibrator_info ci = {0};
    ci.method = VKC_METHOD_PERCENTILE;
    ci.percentile = 99.99999; /* was silently 100 */
    REQUIRE_CMP(vkc_calibrator_create(ctx, &ci, &cal), ==, VKC_ERROR_INVALID_ARGUMENT);
    ci.percentile = 99.9999;
    REQUIRE_CMP(vkc_calibrator_create(ctx, &ci, &cal), ==, VKC_OK);
    vkc_calibrator_destroy(cal);
    memset(&ci, 0, sizeof ci);
    ci.start_bin = 16; /* entropy below the 128 levels */
    REQUIRE_CMP(vkc_calibrator_create(ctx, &ci, &cal), ==, VKC_ERROR_INVALID_ARGUMENT);
    ci.method = VKC_METHOD_MSE;
    REQUIRE_CMP(vkc_calibrator_create(ctx, &ci, &cal), ==, VKC_OK);
    vkc_calibrator_destroy(cal);
    ci.start_bin = 0;
    ci.bins = 64; /* fewer than the start bin: was a silent fallback to max */
    REQUIRE_CMP(vkc_calibrator_create(ctx, &ci, &cal), ==, VKC_ERROR_INVALID_ARGUMENT);
    ci.method = VKC_METHOD_MAX;
    REQUIRE_CMP(vkc_calibrator_create(ctx, &ci, &cal), ==, VKC_OK);
    vkc_calibrator_destroy(cal);
    /* TensorRT's version integers and calibrator names. */
    uint32_t v = 0;
    REQUIRE(vkc_trt_version_parse("10", &v) && v == 100000);
    REQUIRE(vkc_trt_version_parse("8", &v) && v == 8000);
    REQUIRE(vkc_trt_version_parse("8601", &v) && v == 8601);
    REQUIRE(!vkc_trt_version_parse("860", &v));
    REQUIRE(vkc_trt_algo_known("EntropyCalibration2") && vkc_trt_algo_known("MinMaxCalibration"));
    REQUIRE(!vkc_trt_algo_known("Foo"));
    vkc_msg msg;
    const char *nm = "a";
    double am = 1.0;
    REQUIRE_CMP(vkc_write_trt_cache("test_cpu_trust.cache", 8601, "Foo", &nm, &am, 1, &msg), ==,
                VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(access("test_cpu_trust.cache", F_OK), !=, 0);
    vkc_context_destroy(ctx);
}

/* ---- B10, B11, B16: state files ------------------------------------------- */

static void test_states(void)
{
    vkc_context *ctx = vkc_test_cpu_context();
    char err[1024];
    vkc_msg msg;
    /* A consistent histogram state calibrates. */
    write_state("trust_ok.vkch", 2, 128, 0, 1, -1.0f, 1.0f, 1.0f, 1280, 0, 0, 10);
    REQUIRE_CMP(load_state(ctx, "trust_ok.vkch", VKC_PASS_HISTOGRAM, err, sizeof err), ==, VKC_OK);
    /* B11: histogram total 0 with count 100000; zero tensors; min > max;
     * unknown flag bits; more values binned than counted. */
    write_state("trust_b11a.vkch", 2, 128, 0, 1, -1.0f, 1.0f, 1.0f, 100000, 0, 0, 0);
    REQUIRE_CMP(load_state(ctx, "trust_b11a.vkch", VKC_PASS_HISTOGRAM, err, sizeof err), ==, VKC_ERROR_MISMATCH);
    REQUIRE_CMP(strstr(err, "tensor 't'"), !=, NULL);
    write_state("trust_b11b.vkch", 2, 128, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    REQUIRE_CMP(load_state(ctx, "trust_b11b.vkch", VKC_PASS_HISTOGRAM, err, sizeof err), ==, VKC_ERROR_FORMAT);
    REQUIRE_CMP(strstr(err, "no tensors"), !=, NULL);
    write_state("trust_b11c.vkch", 2, 128, 0, 1, 1.0f, -1.0f, 1.0f, 1280, 0, 0, 10);
    REQUIRE_CMP(load_state(ctx, "trust_b11c.vkch", VKC_PASS_HISTOGRAM, err, sizeof err), ==, VKC_ERROR_FORMAT);
    write_state("trust_b11d.vkch", 2, 128, 6, 1, -1.0f, 1.0f, 1.0f, 1280, 0, 0, 10);
    REQUIRE_CMP(load_state(ctx, "trust_b11d.vkch", VKC_PASS_HISTOGRAM, err, sizeof err), ==, VKC_ERROR_FORMAT);
    REQUIRE_CMP(strstr(err, "flag bits"), !=, NULL);
    write_state("trust_b11e.vkch", 2, 128, 0, 1, -1.0f, 1.0f, 1.0f, 100, 0, 0, 10);
    REQUIRE_CMP(load_state(ctx, "trust_b11e.vkch", VKC_PASS_HISTOGRAM, err, sizeof err), ==, VKC_ERROR_FORMAT);
    write_state("trust_b11f.vkch", 2, 128, 0, 1, -1.0f, 1.0f, 0.5f, 1280, 0, 0, 10); /* absmax != max |x| */
    REQUIRE_CMP(load_state(ctx, "trust_b11f.vkch", VKC_PASS_HISTOGRAM, err, sizeof err), ==, VKC_ERROR_FORMAT);
    /* B10: range counts that would wrap at 2^64. */
    write_state("trust_b10.vkch", 1, 128, 0, 1, -1.0f, 1.0f, 1.0f, (1ull << 63) + 5, 0, 0, 0);
    write_state("trust_b10c.vkch", 1, 128, 0, 1, -1.0f, 1.0f, 1.0f, (1ull << 63) + 5, 0, 0, 0);
    const char *two[2] = {"trust_b10.vkch", "trust_b10c.vkch"};
    REQUIRE_CMP(vkc_state_merge_files(two, 2, "trust_b10m.vkch", &msg), ==, VKC_ERROR_MISMATCH);
    REQUIRE_CMP(strstr(msg.text, "overflow"), !=, NULL);
    REQUIRE_CMP(access("trust_b10m.vkch", F_OK), !=, 0);
    /* B16: one file twice, by name or through a link. */
    const char *same[2] = {"trust_ok.vkch", "trust_ok.vkch"};
    REQUIRE_CMP(vkc_state_merge_files(same, 2, "trust_b16.vkch", &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(strstr(msg.text, "same file"), !=, NULL);
    unlink("trust_link.vkch");
    REQUIRE_CMP(symlink("trust_ok.vkch", "trust_link.vkch"), ==, 0);
    const char *linked[2] = {"trust_ok.vkch", "trust_link.vkch"};
    REQUIRE_CMP(vkc_state_merge_files(linked, 2, "trust_b16.vkch", &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(access("trust_b16.vkch", F_OK), !=, 0);
    const char *files[] = {"trust_ok.vkch", "trust_b11a.vkch", "trust_b11b.vkch", "trust_b11c.vkch",
                           "trust_b11d.vkch", "trust_b11e.vkch", "trust_b11f.vkch", "trust_b10.vkch",
                           "trust_b10c.vkch", "trust_link.vkch"};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) unlink(files[k]);
    vkc_context_destroy(ctx);
    printf("B10, B11, B16: damaged, inconsistent and twice-given state files are refused\n");
}

/* ---- the histogram pass sees what the range pass saw; streaming max ------- */

static void test_passes(void)
{
    vkc_context *ctx = vkc_test_cpu_context();
    float x[1000], x2[1000];
    for (int i = 0; i < 1000; i++) {
        x[i] = (float)(i % 97) * 0.01f - 0.3f;
        x2[i] = 2 * x[i];
    }
    vkc_calibrator *cal = NULL;
    uint32_t t;
    REQUIRE_CMP(vkc_calibrator_create(ctx, NULL, &cal), ==, VKC_OK);
    REQUIRE_CMP(vkc_calibrator_tensor(cal, "t", &t), ==, VKC_OK);
    REQUIRE_CMP(vkc_calibrator_feed(cal, t, x, 1000, VKC_DTYPE_F32), ==, VKC_OK);
    REQUIRE_CMP(vkc_calibrator_end_pass(cal), ==, VKC_OK);
    REQUIRE_CMP(vkc_calibrator_feed(cal, t, x, 1000, VKC_DTYPE_F32), ==, VKC_OK);
    REQUIRE_CMP(vkc_calibrator_feed(cal, t, x2, 500, VKC_DTYPE_F32), ==, VKC_OK); /* 2x: other data */
    REQUIRE_CMP(vkc_calibrator_end_pass(cal), ==, VKC_ERROR_MISMATCH);
    REQUIRE_CMP(vkc_calibrator_failed_tensor(cal), ==, t);
    REQUIRE_CMP(strstr(vkc_calibrator_error(cal), "tensor 't'"), !=, NULL);
    vkc_calibrator_destroy(cal);
    /* Streaming max: the data's absmax, not the power-of-two range. */
    vkc_calibrator_info ci = {0};
    ci.method = VKC_METHOD_MAX;
    ci.range = VKC_RANGE_STREAMING;
    REQUIRE_CMP(vkc_calibrator_create(ctx, &ci, &cal), ==, VKC_OK);
    REQUIRE_CMP(vkc_calibrator_tensor(cal, "t", &t), ==, VKC_OK);
    REQUIRE_CMP(vkc_calibrator_feed(cal, t, x, 1000, VKC_DTYPE_F32), ==, VKC_OK);
    REQUIRE_CMP(vkc_calibrator_end_pass(cal), ==, VKC_OK);
    const vkc_tensor_result *r = vkc_calibration_tensor(vkc_calibrator_results(cal), 0);
    REQUIRE_CMP(r->threshold, ==, (double)r->stats.absmax);
    REQUIRE_CMP(r->hi, ==, (double)r->stats.absmax);
    vkc_calibrator_destroy(cal);
    vkc_context_destroy(ctx);
}

/* ---- per-tensor settings ------------------------------------------------- */

static void feed_all(vkc_calibrator *cal, const float *const *x, const uint64_t *n, uint32_t count)
{
    for (uint32_t t = 0; t < count; t++)
        if (n[t]) REQUIRE_CMP(vkc_calibrator_feed(cal, t, x[t], n[t], VKC_DTYPE_F32), ==, VKC_OK);
}

static void test_tensor_settings(void)
{
    vkc_context *ctx = vkc_test_cpu_context();
    enum { N = 20000 };
    float *relu = malloc(N * sizeof *relu), *sig = malloc(N * sizeof *sig);
    vkc_rng r = {31};
    for (int i = 0; i < N; i++) {
        double g = vkc_rng_normal(&r);
        relu[i] = g > 0 ? (float)g : 0.0f;
        sig[i] = (float)(vkc_rng_normal(&r) * 1.5);
    }
    const float *x[4] = {relu, sig, sig, NULL};
    const uint64_t n[4] = {N, N, N, 0};
    vkc_calibrator *cal = NULL;
    REQUIRE_CMP(vkc_calibrator_create(ctx, NULL, &cal), ==, VKC_OK);
    const char *names[4] = {"relu", "signed", "left out", "empty"};
    for (uint32_t t = 0; t < 4; t++) {
        uint32_t k;
        REQUIRE_CMP(vkc_calibrator_tensor(cal, names[t], &k), ==, VKC_OK);
    }
    vkc_tensor_settings ts = {0};
    ts.fields = VKC_TENSOR_SET_METHOD | VKC_TENSOR_SET_MODE;
    ts.method = VKC_METHOD_MAX;
    ts.mode = VKC_MODE_UNSIGNED;
    REQUIRE_CMP(vkc_calibrator_set_tensor(cal, 0, &ts), ==, VKC_OK);
    ts.method = VKC_METHOD_PERCENTILE;
    ts.mode = VKC_MODE_ASYMMETRIC;
    REQUIRE_CMP(vkc_calibrator_set_tensor(cal, 1, &ts), ==, VKC_ERROR_UNSUPPORTED);
    ts.fields = VKC_TENSOR_SET_MODE;
    ts.mode = VKC_MODE_ASYMMETRIC;
    REQUIRE_CMP(vkc_calibrator_set_tensor(cal, 1, &ts), ==, VKC_OK);
    ts.fields = VKC_TENSOR_SET_SKIP;
    ts.skip = 1;
    REQUIRE_CMP(vkc_calibrator_set_tensor(cal, 2, &ts), ==, VKC_OK);
    ts.pNext = &ts;
    REQUIRE_CMP(vkc_calibrator_set_tensor(cal, 2, &ts), ==, VKC_ERROR_UNSUPPORTED);
    ts.pNext = NULL;
    vkc_tensor_settings got;
    REQUIRE(vkc_calibrator_get_tensor(cal, 0, &got) && got.method == VKC_METHOD_MAX && got.mode == VKC_MODE_UNSIGNED);
    REQUIRE(vkc_calibrator_get_tensor(cal, 2, &got) && got.skip && got.method == VKC_METHOD_ENTROPY);
    feed_all(cal, x, n, 4);
    /* An empty tensor fails the pass; skipped, the pass ends. */
    REQUIRE_CMP(vkc_calibrator_end_pass(cal), ==, VKC_ERROR_EMPTY);
    REQUIRE_CMP(vkc_calibrator_failed_tensor(cal), ==, 3);
    REQUIRE_CMP(vkc_calibrator_set_tensor(cal, 3, &ts), ==, VKC_OK);
    REQUIRE_CMP(vkc_calibrator_end_pass(cal), ==, VKC_OK);
    ts.fields = VKC_TENSOR_SET_METHOD;
    REQUIRE_CMP(vkc_calibrator_set_tensor(cal, 0, &ts), ==, VKC_ERROR_WRONG_PASS);
    feed_all(cal, x, n, 4);
    REQUIRE_CMP(vkc_calibrator_end_pass(cal), ==, VKC_OK);
    const vkc_calibration *res = vkc_calibrator_results(cal);
    REQUIRE_CMP(vkc_calibration_count(res), ==, 2);
    const vkc_tensor_result *a = vkc_calibration_tensor(res, 0), *b = vkc_calibration_tensor(res, 1);
    REQUIRE(a && !strcmp(a->name, "relu") && a->method == VKC_METHOD_MAX && a->mode == VKC_MODE_UNSIGNED);
    REQUIRE_CMP(a->hi, ==, (double)a->stats.max);
    REQUIRE(b && !strcmp(b->name, "signed") && b->method == VKC_METHOD_ENTROPY && b->mode == VKC_MODE_ASYMMETRIC);
    REQUIRE_CMP(b->spec.kind, ==, VKC_HIST_SIGNED);
    REQUIRE_CMP(vkc_calibration_find(res, "left out"), ==, UINT32_MAX);
    vkc_calibrator_destroy(cal);
    free(relu);
    free(sig);
    vkc_context_destroy(ctx);
    printf("per-tensor settings: method, mode and skip per tensor, skipped tensors (empty ones too) have no result\n");
}

/* ---- quality guards -------------------------------------------------------- */

static const vkc_tensor_result *calibrate_one(vkc_context *ctx, vkc_calibrator **cal, const vkc_calibrator_info *ci,
                                              const float *x, uint64_t n)
{
    uint32_t t;
    REQUIRE_CMP(vkc_calibrator_create(ctx, ci, cal), ==, VKC_OK);
    if (!*cal) return NULL;
    REQUIRE_CMP(vkc_calibrator_tensor(*cal, "x", &t), ==, VKC_OK);
    for (int pass = 0; pass < 2; pass++) {
        REQUIRE_CMP(vkc_calibrator_feed(*cal, t, x, n, VKC_DTYPE_F32), ==, VKC_OK);
        REQUIRE_CMP(vkc_calibrator_end_pass(*cal), ==, VKC_OK);
    }
    return vkc_calibration_tensor(vkc_calibrator_results(*cal), 0);
}

static void test_guards(void)
{
    vkc_context *ctx = vkc_test_cpu_context();
    /* An attention softmax over 128 keys with logits of spread 3 (the
     * bundled example's): most values tiny, a few near 1, and entropy's
     * symmetric threshold clips the large ones away. */
    enum { ROWS = 256, K = 128, N = ROWS * K };
    float *x = malloc(N * sizeof *x);
    vkc_rng r = {77};
    for (int i = 0; i < ROWS; i++) {
        double e[K], sum = 0, mx = -1e300, l[K];
        for (int k = 0; k < K; k++) mx = fmax(mx, l[k] = 3.0 * vkc_rng_normal(&r));
        for (int k = 0; k < K; k++) sum += e[k] = exp(l[k] - mx);
        for (int k = 0; k < K; k++) x[K * i + k] = (float)(e[k] / sum);
    }
    vkc_calibrator *cal = NULL;
    const vkc_tensor_result *t = calibrate_one(ctx, &cal, NULL, x, N);
    REQUIRE(t && (t->fields & VKC_RESULT_GUARD));
    if (t) {
        printf("guards: softmax, entropy: ~%.2f dB, %.3f%% clipped; best other %s ~%.2f dB\n", t->guard.sqnr_db,
               100 * t->guard.clipped, vkc_method_name(t->guard.best_method), t->guard.best_sqnr_db);
        REQUIRE(t->warnings & VKC_WARNING_LOW_SQNR);
        REQUIRE_CMP(t->guard.best_method, !=, VKC_METHOD_ENTROPY);
        REQUIRE_CMP(t->guard.best_sqnr_db - t->guard.sqnr_db, >, 6.0);
        REQUIRE_CMP(t->guard.max_sqnr_gap_db, ==, 6.0);
        REQUIRE_CMP(t->guard.max_clipped, ==, 0.01);
    }
    vkc_calibrator_destroy(cal);
    /* Limits: a gap no range can open, then no guards at all. */
    vkc_guard_info g = {VKC_STRUCTURE_TYPE_GUARD_INFO, NULL, 0, 0.0, INFINITY, 0};
    vkc_calibrator_info ci = {0};
    ci.pNext = &g;
    t = calibrate_one(ctx, &cal, &ci, x, N);
    REQUIRE(t && !(t->warnings & VKC_WARNING_LOW_SQNR) && (t->fields & VKC_RESULT_GUARD));
    vkc_calibrator_destroy(cal);
    g.disable = 1;
    t = calibrate_one(ctx, &cal, &ci, x, N);
    REQUIRE(t && !(t->warnings & (VKC_WARNING_LOW_SQNR | VKC_WARNING_CLIPPED)) && !(t->fields & VKC_RESULT_GUARD));
    vkc_calibrator_destroy(cal);
    /* Clipping: the 90th percentile clips about 10%. */
    memset(&ci, 0, sizeof ci);
    ci.method = VKC_METHOD_PERCENTILE;
    ci.percentile = 90;
    t = calibrate_one(ctx, &cal, &ci, x, N);
    REQUIRE(t && (t->warnings & VKC_WARNING_CLIPPED) && t->guard.clipped > 0.05);
    vkc_calibrator_destroy(cal);
    /* max compares with the others and, clipping nothing, is not flagged
     * for clipping. */
    ci.method = VKC_METHOD_MAX;
    t = calibrate_one(ctx, &cal, &ci, x, N);
    REQUIRE(t && !(t->warnings & VKC_WARNING_CLIPPED) && t->guard.clipped == 0);
    vkc_calibrator_destroy(cal);
    /* A bad chain is refused. */
    vkc_guard_info bad = {VKC_STRUCTURE_TYPE_CALIBRATOR_INFO, NULL, 0, 0, 0, 0};
    ci.pNext = &bad;
    REQUIRE_CMP(vkc_calibrator_create(ctx, &ci, &cal), ==, VKC_ERROR_UNSUPPORTED);
    g.disable = 0;
    g.max_clipped = -1;
    ci.pNext = &g;
    REQUIRE_CMP(vkc_calibrator_create(ctx, &ci, &cal), ==, VKC_ERROR_INVALID_ARGUMENT);
    free(x);
    vkc_context_destroy(ctx);
}

int main(void)
{
    test_tensor_settings();
    test_guards();
    test_mse_sums();
    test_bin_cap();
    test_json_names();
    test_settings();
    test_states();
    test_passes();
    return vkc_test_end();
}
