/* The Vulkan range and histogram passes equal the reference bit for bit:
 * every case of hist_check.c on the default pipelines, with the optional
 * features masked (fallback paths), with a tiny chunk and flush window
 * (chunking and uint32 flushing), and on one input over 128 MiB. Validation
 * is on; any message fails the test. */
#include "hist_check.h"
#include "vk/gpu.h"

#include <stdlib.h>
#include <string.h>

static void big_input(vkc_context *ctx)
{
    /* 34e6 floats = 136 MB: more than lavapipe's 128 MiB maxStorageBufferRange. */
    uint64_t n = 34000000;
    float *x = malloc(n * sizeof *x);
    REQUIRE_CMP(x, !=, NULL);
    if (!x) return;
    vkc_rng r = {7};
    for (uint64_t i = 0; i < n; i++) {
        double g = vkc_rng_normal(&r);
        x[i] = g > 0 ? (float)g : 0.0f;
    }
    x[n - 1] = 9.5f; /* the absmax lives in the last chunk */
    hist_check_one(ctx, "gpu", "relu-136MB", x, n, 2048);
    free(x);
}

int main(void)
{
    int skip = 0;
    vkc_context *ctx = vkc_test_gpu_context(0, 0, &skip);
    if (skip) return 77;
    if (!ctx) return vkc_test_end();
    const vkc_device_caps *caps = vkc_context_caps(ctx);
    printf("subgroup arithmetic %d, shared memory %u, max range %llu\n", caps->subgroup_arithmetic,
           caps->max_shared_memory, (unsigned long long)caps->max_storage_buffer_range);
    hist_check_all(ctx, "gpu");
    /* Bin counts past the shared-memory histogram take the global path. */
    hist_case c;
    hist_case_make(12 * 11 + 3, &c);
    hist_check_one(ctx, "gpu", c.name, c.x, c.n, 8192);
    hist_check_one(ctx, "gpu", c.name, c.x, c.n, 16384);
    free(c.x);
    big_input(ctx);
    vkc_test_gpu_context_done(ctx);

    /* Fallbacks: no subgroup arithmetic, no shared-memory histograms. */
    ctx = vkc_test_gpu_context(VKC_FEATURE_SUBGROUP_ARITHMETIC | VKC_FEATURE_SHARED_HISTOGRAM, 0, &skip);
    if (ctx) {
        hist_check_all(ctx, "gpu-masked");
        vkc_test_gpu_context_done(ctx);
    }

    /* Chunks of 256 values and a flush window of 1000: sizes around one
     * chunk, several chunks, and many flushes. */
    ctx = vkc_test_gpu_context(0, 1024, &skip);
    if (ctx) {
        ctx->flush_window = 1000;
        static const uint64_t sizes[] = {255, 256, 257, 511, 512, 513, 10007};
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            float *x = malloc(sizes[k] * sizeof *x);
            vkc_rng r = {k + 100};
            for (uint64_t i = 0; i < sizes[k]; i++) x[i] = (float)vkc_rng_normal(&r);
            char name[32];
            snprintf(name, sizeof name, "chunked/%llu", (unsigned long long)sizes[k]);
            hist_check_one(ctx, "gpu-chunk", name, x, sizes[k], 2048);
            free(x);
        }
        vkc_test_gpu_context_done(ctx);
    }
    return vkc_test_end();
}
