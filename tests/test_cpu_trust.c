/* Regression tests of the library for issue #15 ("ranges a user can
 * trust"), one function per defect or feature, each written to fail on the
 * code before its fix:
 *   - B3: one bin cap everywhere (VKC_HIST_MAX_BINS: calibrator, search,
 *     streams, state files), and an MSE search whose cost is not quadratic
 *     in bins (its O(levels) exact sums equal the O(bins) definition);
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

int main(void)
{
    test_mse_sums();
    test_bin_cap();
    return vkc_test_end();
}
