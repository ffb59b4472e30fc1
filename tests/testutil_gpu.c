#include "testutil.h"
#include "vk/context.h" /* the tests lower the chunk size */

#include <stdlib.h>
#include <string.h>

vkc_context *vkc_test_gpu_context(uint32_t extra_disable, uint64_t max_chunk_bytes, int *skip)
{
    vkc_device_caps caps[16];
    uint32_t n = 16;
    vkc_msg msg = {{0}};
    *skip = 0;
    if (vkc_enumerate_devices(caps, &n, &msg) != VKC_OK || n == 0) {
        fprintf(stderr, "SKIP: no Vulkan device: %s\n", msg.text);
        *skip = 1;
        return NULL;
    }
    const char *dev = getenv("VKCALIB_TEST_DEVICE");
    vkc_context_info info;
    memset(&info, 0, sizeof info);
    info.backend = VKC_BACKEND_VULKAN;
    info.device = dev && *dev ? dev : "llvmpipe";
    /* Validation is on unless VKCALIB_VALIDATE=0 says otherwise: a machine
     * without the layer (a lent GPU box) can still run the tests, and says
     * so. CI and ctest always set VKCALIB_VALIDATE=1. */
    const char *v = getenv("VKCALIB_VALIDATE");
    info.validate = !(v && strcmp(v, "0") == 0);
    info.disable_features = extra_disable;
    /* Chunking is a property of the implementation, not of the API: the
     * tests reach into the context to lower it. */
    vkc_context *ctx = NULL;
    vkc_status s = vkc_context_create(&info, &ctx, &msg);
    if (s != VKC_OK) {
        fprintf(stderr, "cannot create a context on '%s': %s\n", info.device, msg.text);
        REQUIRE_CMP(s, ==, VKC_OK);
        return NULL;
    }
    ctx->max_chunk_bytes = max_chunk_bytes;
    printf("device: %s (validation %s)\n", vkc_context_device_name(ctx), info.validate ? "on" : "OFF");
    return ctx;
}

void vkc_test_gpu_context_done(vkc_context *ctx)
{
    if (!ctx) return;
    uint32_t w = 0, e = 0;
    vkc_context_validation_counts(ctx, &w, &e);
    printf("validation: %u warnings, %u errors\n", w, e);
    REQUIREF(w == 0 && e == 0, "validation layer reported %u warnings and %u errors; the first: %s", w, e,
             vkc_context_validation_first(ctx));
    vkc_context_destroy(ctx);
}

vkc_context *vkc_test_cpu_context(void)
{
    vkc_context_info info;
    memset(&info, 0, sizeof info);
    info.backend = VKC_BACKEND_CPU;
    vkc_context *ctx = NULL;
    vkc_msg msg = {{0}};
    if (vkc_context_create(&info, &ctx, &msg) != VKC_OK) {
        fprintf(stderr, "cannot create the CPU context: %s\n", msg.text);
        REQUIRE(0);
        return NULL;
    }
    return ctx;
}


int vkc_test_on_backends(void (*run)(vkc_context *ctx, const char *label))
{
    vkc_context *cpu = vkc_test_cpu_context();
    if (cpu) {
        run(cpu, "cpu");
        vkc_context_destroy(cpu);
    }
    int skip = 0;
    vkc_context *ctx = vkc_test_gpu_context(0, 0, &skip);
    if (skip) return 77;
    if (ctx) {
        run(ctx, "gpu");
        vkc_test_gpu_context_done(ctx);
    }
    return vkc_test_end();
}
