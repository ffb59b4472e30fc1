/* Context creation: device selection by index, name, UUID and environment,
 * the capability record, validation that really reports, and the CPU
 * fallback when no GPU can be used. */
#include "testutil.h"
#include "vk/gpu.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

static vkc_context *open_dev(const char *sel, vkc_backend backend, vkc_status *s, vkc_msg *msg)
{
    vkc_context_info info;
    memset(&info, 0, sizeof info);
    info.backend = backend;
    info.device = sel;
    info.validate = 1;
    vkc_context *ctx = NULL;
    *s = vkc_context_create(&info, &ctx, msg);
    return ctx;
}

static void check_clean(vkc_context *ctx)
{
    uint32_t w = 0, e = 0;
    vkc_context_validation_counts(ctx, &w, &e);
    REQUIREF(w == 0 && e == 0, "validation: %u warnings, %u errors", w, e);
    vkc_context_destroy(ctx);
}

/* A loader entry point that is not the one this process uses. */
static PFN_vkGetInstanceProcAddr real_gipa;
static PFN_vkVoidFunction VKAPI_CALL other_gipa(VkInstance inst, const char *name)
{
    return real_gipa(inst, name);
}

/* The API can grow: two-call enumeration, one record per GPU, the struct
 * header rule, a lent pipeline cache, a lent loader entry point. */
static void test_api_growth(int have_lvp)
{
    vkc_msg msg = {{0}};
    uint32_t n = 0;
    REQUIRE_CMP(vkc_enumerate_devices(NULL, &n, &msg), ==, VKC_OK);
    vkc_device_caps *caps = calloc(n + 1, sizeof *caps);
    if (!caps) return;
    uint32_t k = 0;
    if (n) REQUIRE_CMP(vkc_enumerate_devices(caps, &k, &msg), ==, VKC_INCOMPLETE); /* room for none */
    REQUIRE_CMP(k, ==, 0);
    k = n + 1;
    REQUIRE_CMP(vkc_enumerate_devices(caps, &k, &msg), ==, VKC_OK);
    REQUIRE_CMP(k, ==, n);
    for (uint32_t i = 0; i < k; i++) {
        REQUIRE_CMP(caps[i].sType, ==, VKC_STRUCTURE_TYPE_DEVICE_CAPS);
        for (uint32_t j = 0; j < i; j++) REQUIREF(memcmp(caps[i].uuid, caps[j].uuid, 16) != 0, "devices %u and %u share a UUID", i, j);
    }
    free(caps);

    vkc_context_info info;
    memset(&info, 0, sizeof info);
    info.backend = VKC_BACKEND_CPU;
    vkc_context *ctx = NULL;
    info.sType = VKC_STRUCTURE_TYPE_SEARCH_PARAMS;
    REQUIRE_CMP(vkc_context_create(&info, &ctx, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    info.sType = VKC_STRUCTURE_TYPE_CONTEXT_INFO;
    info.pNext = &info;
    REQUIRE_CMP(vkc_context_create(&info, &ctx, &msg), ==, VKC_ERROR_UNSUPPORTED);
    REQUIREF(strstr(msg.text, "pNext") != NULL, "message: %s", msg.text);
    info.pNext = NULL;
    REQUIRE_CMP(vkc_context_create(&info, &ctx, &msg), ==, VKC_OK);
    vkc_context_destroy(ctx);
    if (!have_lvp) return;

    /* The "application" is an owned context; vkcalib borrows its device
     * with a pipeline cache it made, and its pipelines land in that cache. */
    vkc_status s;
    vkc_context *app = open_dev("llvmpipe", VKC_BACKEND_VULKAN, &s, &msg);
    if (!app) return;
    VkPipelineCacheCreateInfo pci = {VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
    VkPipelineCache cache = VK_NULL_HANDLE;
    REQUIRE_CMP(vkCreatePipelineCache(app->dev, &pci, NULL, &cache), ==, VK_SUCCESS);
    size_t before = 0, after = 0;
    vkGetPipelineCacheData(app->dev, cache, &before, NULL);
    memset(&info, 0, sizeof info);
    info.instance = app->instance;
    info.physical_device = app->phys;
    info.device_handle = app->dev;
    info.queue = app->queue;
    info.queue_family = app->qfam;
    info.pipeline_cache = cache;
    ctx = NULL;
    REQUIREF(vkc_context_create(&info, &ctx, &msg) == VKC_OK, "borrowed with a cache: %s", msg.text);
    float x[1000];
    for (int i = 0; i < 1000; i++) x[i] = (float)i - 500.0f;
    vkc_stats st = {0};
    REQUIRE_CMP(vkc_range_f32(ctx, x, 1000, &st), ==, VKC_OK);
    REQUIRE_CMP(st.absmax, ==, 500.0f);
    vkGetPipelineCacheData(app->dev, cache, &after, NULL);
    REQUIRE_CMP(ctx->pipeline_cache, ==, cache);
    /* Drivers that keep pipeline data (NVIDIA, AMD, Intel) show the new
     * pipelines in the cache; lavapipe keeps only the header. */
    if (strstr(app->caps.name, "llvmpipe"))
        printf("NOTE: %s keeps no pipeline data (%zu bytes before and %zu after)\n", app->caps.name, before, after);
    else
        REQUIREF(after > before, "the lent pipeline cache did not grow (%zu -> %zu bytes)", before, after);
    vkc_context_destroy(ctx);

    /* The process's loader is decided: the same entry point is welcome, a
     * different one is refused with a message. */
    void *lib = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
    real_gipa = lib ? (PFN_vkGetInstanceProcAddr)dlsym(lib, "vkGetInstanceProcAddr") : NULL;
    if (real_gipa) {
        info.pipeline_cache = VK_NULL_HANDLE;
        info.get_instance_proc_addr = real_gipa;
        ctx = NULL;
        REQUIREF(vkc_context_create(&info, &ctx, &msg) == VKC_OK, "the process's own loader: %s", msg.text);
        vkc_context_destroy(ctx);
        info.get_instance_proc_addr = other_gipa;
        ctx = NULL;
        REQUIRE_CMP(vkc_context_create(&info, &ctx, &msg), ==, VKC_ERROR_UNSUPPORTED);
        REQUIREF(strstr(msg.text, "loader") != NULL, "message: %s", msg.text);
    }
    if (lib) dlclose(lib);
    vkDestroyPipelineCache(app->dev, cache, NULL);
    check_clean(app);
}

int main(void)
{
    vkc_device_caps caps[16];
    uint32_t n = 16;
    vkc_msg msg = {{0}};
    if (vkc_enumerate_devices(caps, &n, &msg) != VKC_OK || n == 0) {
        printf("SKIP: no Vulkan device (%s)\n", msg.text);
        return 77;
    }
    int lvp = -1;
    for (uint32_t i = 0; i < n; i++) {
        printf("device %u: %s type %d subgroup %u range %llu shared %u\n", caps[i].index, caps[i].name,
               (int)caps[i].type, caps[i].subgroup_size, (unsigned long long)caps[i].max_storage_buffer_range,
               caps[i].max_shared_memory);
        REQUIRE_CMP(caps[i].name[0], !=, 0);
        REQUIRE_CMP(caps[i].subgroup_size, >=, 1);
        REQUIRE(caps[i].max_storage_buffer_range >= (1u << 27) || caps[i].max_storage_buffer_range >= (1u << 16));
        REQUIRE_CMP(caps[i].min_storage_buffer_offset_alignment, >=, 1);
        REQUIRE_CMP(caps[i].min_storage_buffer_offset_alignment, <=, 256);
        REQUIRE_CMP(caps[i].max_shared_memory, >=, 16384);
        REQUIRE_CMP(caps[i].heap_count, >=, 1);
        if (strstr(caps[i].name, "llvmpipe")) lvp = (int)i;
        /* DESIGN.md §2b: a CPU Vulkan device is never the default. */
        if (caps[i].type == VK_PHYSICAL_DEVICE_TYPE_CPU) REQUIRE(!caps[i].is_default);
    }

    vkc_status s;
    /* By name substring, case-insensitive. */
    vkc_context *ctx = open_dev("LLVMPIPE", VKC_BACKEND_VULKAN, &s, &msg);
    if (lvp >= 0) {
        REQUIREF(s == VKC_OK && ctx && strstr(vkc_context_device_name(ctx), "llvmpipe"), "%s", msg.text);
        if (ctx) {
            REQUIRE(!vkc_context_is_cpu(ctx));
            const vkc_device_caps *c = vkc_context_caps(ctx);
            REQUIRE(c && c->max_storage_buffer_range == caps[lvp].max_storage_buffer_range);
            check_clean(ctx);
        }
        /* By index and by UUID. */
        char idx[16], uuid[37];
        snprintf(idx, sizeof idx, "%u", caps[lvp].index);
        ctx = open_dev(idx, VKC_BACKEND_VULKAN, &s, &msg);
        REQUIREF(s == VKC_OK && ctx && strcmp(vkc_context_device_name(ctx), caps[lvp].name) == 0, "%s", msg.text);
        if (ctx) check_clean(ctx);
        vkc_uuid_string(caps[lvp].uuid, uuid);
        ctx = open_dev(uuid, VKC_BACKEND_VULKAN, &s, &msg);
        REQUIREF(s == VKC_OK && ctx, "uuid %s: %s", uuid, msg.text);
        if (ctx) check_clean(ctx);
        /* From the environment. */
        setenv("VKCALIB_DEVICE", "llvm", 1);
        ctx = open_dev(NULL, VKC_BACKEND_AUTO, &s, &msg);
        REQUIREF(s == VKC_OK && ctx && !vkc_context_is_cpu(ctx), "%s", msg.text);
        if (ctx) check_clean(ctx);
        unsetenv("VKCALIB_DEVICE");
    }

    /* A selector that matches nothing is an error that says so. */
    ctx = open_dev("no-such-gpu-xyz", VKC_BACKEND_VULKAN, &s, &msg);
    REQUIRE_CMP(s, ==, VKC_ERROR_NO_DEVICE);
    REQUIRE_CMP(ctx, ==, NULL);
    REQUIREF(strstr(msg.text, "no-such-gpu-xyz") != NULL, "message: %s", msg.text);
    ctx = open_dev("99", VKC_BACKEND_VULKAN, &s, &msg);
    REQUIRE_CMP(s, ==, VKC_ERROR_NO_DEVICE);
    REQUIRE_CMP(ctx, ==, NULL);

    /* Default rule: with only CPU Vulkan devices, AUTO runs the native CPU
     * backend; with a GPU, it takes the GPU. */
    int any_gpu = 0;
    for (uint32_t i = 0; i < n; i++) any_gpu |= caps[i].is_default;
    ctx = open_dev(NULL, VKC_BACKEND_AUTO, &s, &msg);
    REQUIREF(s == VKC_OK && ctx, "%s", msg.text);
    if (ctx) {
        REQUIRE_CMP(vkc_context_is_cpu(ctx), ==, !any_gpu);
        vkc_context_destroy(ctx);
    }

    /* The validation layer really reports: a zero-sized buffer is invalid
     * usage that the messenger must count. */
    if (lvp >= 0) {
        ctx = open_dev("llvmpipe", VKC_BACKEND_VULKAN, &s, &msg);
        if (ctx) {
            VkBufferCreateInfo bci = {VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
            bci.size = 0;
            bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
            VkBuffer b = VK_NULL_HANDLE;
            VkResult r = vkCreateBuffer(ctx->dev, &bci, NULL, &b);
            if (r == VK_SUCCESS && b) vkDestroyBuffer(ctx->dev, b, NULL);
            uint32_t w = 0, e = 0;
            vkc_context_validation_counts(ctx, &w, &e);
            REQUIREF(e >= 1, "the validation layer did not report an invalid vkCreateBuffer (%u errors)", e);
            vkc_context_destroy(ctx);
        }
    }

    test_api_growth(lvp >= 0);

    /* No Vulkan driver at all: AUTO falls back to the CPU backend, an
     * explicit Vulkan request fails with a clear message. */
    setenv("VK_ICD_FILENAMES", "/nonexistent/icd.json", 1);
    setenv("VK_DRIVER_FILES", "/nonexistent/icd.json", 1);
    vkc_context_info info;
    memset(&info, 0, sizeof info);
    ctx = NULL;
    s = vkc_context_create(&info, &ctx, &msg);
    REQUIREF(s == VKC_OK && ctx && vkc_context_is_cpu(ctx), "no-driver AUTO: %s", msg.text);
    vkc_context_destroy(ctx);
    info.backend = VKC_BACKEND_VULKAN;
    ctx = NULL;
    s = vkc_context_create(&info, &ctx, &msg);
    REQUIRE_CMP(s, !=, VKC_OK);
    REQUIRE_CMP(ctx, ==, NULL);
    REQUIREF(msg.text[0] != 0, "no message for a missing driver");
    printf("no driver: %s\n", msg.text);
    return vkc_test_end();
}
