/* The tools' histogram kinds on a Vulkan device: every probe case of
 * kind_check.c equals the plain oracle bit for bit (so the device equals
 * the CPU backend), with the shared-memory histograms and with their
 * fallback, and over chunks small enough to split each call. */
#include "kind_check.h"
#include "vk/gpu.h"

int main(void)
{
    int skip = 0;
    vkc_context *ctx = vkc_test_gpu_context(0, 0, &skip);
    if (skip) return 77;
    if (!ctx) return vkc_test_end();
    kind_check_all(ctx, "gpu");
    vkc_test_gpu_context_done(ctx);

    ctx = vkc_test_gpu_context(VKC_FEATURE_SUBGROUP_ARITHMETIC | VKC_FEATURE_SHARED_HISTOGRAM, 0, &skip);
    if (ctx) {
        kind_check_all(ctx, "gpu-masked");
        vkc_test_gpu_context_done(ctx);
    }
    /* Chunks of 4096 values and a flush window of 10000. */
    ctx = vkc_test_gpu_context(0, 16384, &skip);
    if (ctx) {
        ctx->flush_window = 10000;
        kind_check_all(ctx, "gpu-chunked");
        vkc_test_gpu_context_done(ctx);
    }
    return vkc_test_end();
}
