/* The documented thread-safety rules, exercised: contexts are independent,
 * so several threads may each create and use their own context at the same
 * time (two contexts on the test device, lavapipe in CI, standing in for two
 * devices, beside two CPU contexts), and every result equals the
 * single-threaded reference. */
#include "search/entropy.h"
#include "oracle/reference.h"
#include "testutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct job {
    int gpu;
    uint64_t seed;
    int failures;
    char error[256];
} job;

static void *worker(void *arg)
{
    job *j = arg;
    vkc_context_info info;
    memset(&info, 0, sizeof info);
    info.backend = j->gpu ? VKC_BACKEND_VULKAN : VKC_BACKEND_CPU;
    const char *dev = getenv("VKCALIB_TEST_DEVICE"), *val = getenv("VKCALIB_VALIDATE");
    info.device = j->gpu ? (dev && *dev ? dev : "llvmpipe") : NULL;
    info.validate = j->gpu && !(val && strcmp(val, "0") == 0);
    vkc_context *ctx = NULL;
    vkc_msg msg;
    if (vkc_context_create(&info, &ctx, &msg) != VKC_OK) {
        snprintf(j->error, sizeof j->error, "context: %.200s", msg.text);
        j->failures++;
        return NULL;
    }
    uint64_t n = 400000;
    float *x = malloc(n * sizeof *x);
    vkc_rng r = {j->seed};
    for (int round = 0; round < 4; round++) {
        for (uint64_t i = 0; i < n; i++) {
            double g = vkc_rng_normal(&r) * (1 + round);
            x[i] = g > 0 ? (float)g : 0.0f;
        }
        vkc_stats want = {0}, got = {0};
        vkc_ref_range(x, n, &want);
        uint64_t hw[2048] = {0}, hg[2048] = {0};
        vkc_hist_spec spec = {VKC_HIST_ABS, 2048, 0.0f, want.absmax};
        vkc_ref_histogram(x, n, &spec, hw);
        if (vkc_range_f32(ctx, x, n, &got) != VKC_OK || vkc_histogram_f32(ctx, x, n, &spec, hg) != VKC_OK) {
            snprintf(j->error, sizeof j->error, "pass: %.200s", vkc_context_error(ctx));
            j->failures++;
            break;
        }
        if (got.absmax != want.absmax || got.count != want.count || memcmp(hw, hg, sizeof hw) != 0) j->failures++;
        vkc_histogram h = {hg, 2048, want.absmax};
        vkc_search_result res, ref;
        vkc_kl_params kp;
        vkc_search_params sp = {0};
        vkc_kl_params_from(&sp, &kp);
        if (vkc_search(ctx, &h, 1, NULL, &res) != VKC_OK ||
            vkc_entropy_reference(hw, 2048, want.absmax, &kp, &ref, &msg) != VKC_OK || res.i != ref.i)
            j->failures++;
    }
    uint32_t w = 0, e = 0;
    vkc_context_validation_counts(ctx, &w, &e);
    if (w || e) {
        snprintf(j->error, sizeof j->error, "validation: %u warnings, %u errors", w, e);
        j->failures++;
    }
    free(x);
    vkc_context_destroy(ctx);
    return NULL;
}

int main(void)
{
    vkc_device_caps caps[8];
    uint32_t n = 8;
    vkc_msg msg;
    if (vkc_enumerate_devices(caps, &n, &msg) != VKC_OK || n == 0) return 77;
    enum { T = 4 };
    job jobs[T] = {{1, 11, 0, ""}, {1, 22, 0, ""}, {0, 33, 0, ""}, {0, 44, 0, ""}};
    pthread_t th[T];
    for (int k = 0; k < T; k++) REQUIRE_CMP(pthread_create(&th[k], NULL, worker, &jobs[k]), ==, 0);
    for (int k = 0; k < T; k++) {
        pthread_join(th[k], NULL);
        REQUIREF(jobs[k].failures == 0, "thread %d (%s): %d failures %s", k, jobs[k].gpu ? "lavapipe" : "cpu",
                 jobs[k].failures, jobs[k].error);
    }
    return vkc_test_end();
}
