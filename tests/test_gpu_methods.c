/* pytorch-quantization's own unit-test expectations for the percentile and
 * MSE calibrators, restated and run through the whole pipeline (range pass,
 * histogram pass, search) on the CPU backend and on the Vulkan device. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double calibrate(vkc_context *ctx, const float *x, uint64_t n, uint32_t bins, vkc_method method,
                        vkc_mode mode, double percentile)
{
    vkc_stats st = {0};
    uint64_t *h = calloc(bins, sizeof *h);
    vkc_search_result r;
    vkc_search_params sp;
    memset(&sp, 0, sizeof sp);
    sp.method = method;
    sp.mode = mode;
    sp.percentile = percentile;
    vkc_hist_spec spec = {VKC_HIST_ABS, bins, 0.0f, 0.0f};
    int ok = vkc_range_f32(ctx, x, n, &st) == VKC_OK;
    spec.hi = st.absmax;
    ok = ok && vkc_histogram_f32(ctx, x, n, &spec, h) == VKC_OK;
    vkc_histogram hist = {h, bins, st.absmax};
    ok = ok && vkc_search(ctx, &hist, 1, &sp, &r) == VKC_OK;
    REQUIREF(ok, "pipeline failed: %s", vkc_context_error(ctx));
    free(h);
    return ok ? r.threshold : NAN;
}

static void run(vkc_context *ctx, const char *label)
{
    /* Percentile: the values 0..99, p = 90, 1024 bins: 89 within a bin. */
    float x[100];
    for (int i = 0; i < 100; i++) x[i] = (float)i;
    double t = calibrate(ctx, x, 100, 1024, VKC_METHOD_PERCENTILE, VKC_MODE_SYMMETRIC, 90.0);
    printf("%s: percentile 90 of 0..99: %.6g\n", label, t);
    REQUIREF(fabs(t - 89.0) <= 100.0 / 1024.0, "%s: percentile gave %g, expected 89 +- 100/1024", label, t);

    /* MSE: many 255s and one 256 -> nearer 255 (signed); many 512s and one
     * 513 -> nearer 512 (unsigned). */
    enum { N = 100000 };
    float *y = malloc(N * sizeof *y);
    for (int i = 0; i < N; i++) y[i] = 255.0f;
    y[N / 2] = 256.0f;
    t = calibrate(ctx, y, N, 2048, VKC_METHOD_MSE, VKC_MODE_SYMMETRIC, 0);
    printf("%s: mse of 255s and one 256: %.6g\n", label, t);
    REQUIREF(fabs(t - 255.0) < fabs(t - 256.0), "%s: signed MSE gave %g, not nearer 255", label, t);
    for (int i = 0; i < N; i++) y[i] = 512.0f;
    y[7] = 513.0f;
    t = calibrate(ctx, y, N, 2048, VKC_METHOD_MSE, VKC_MODE_UNSIGNED, 0);
    printf("%s: unsigned mse of 512s and one 513: %.6g\n", label, t);
    REQUIREF(fabs(t - 512.0) < fabs(t - 513.0), "%s: unsigned MSE gave %g, not nearer 512", label, t);
    free(y);
}

int main(void)
{
    return vkc_test_on_backends(run);
}
