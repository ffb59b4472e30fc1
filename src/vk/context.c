/* Context: owns or borrows a Vulkan instance, device and compute queue, or
 * stands for the native CPU backend. Device records and selection are
 * vk/devices.c's. */
#include "vk/devices.h"
#include "vk/gpu.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

static const char *const kValidationLayer = "VK_LAYER_KHRONOS_validation";

static int env_flag(const char *name)
{
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0;
}

/* volk keeps one process-wide table of entry points. It is filled once
 * (pthread_once); instance loads then rewrite it under a lock, always with
 * the loader's trampolines, which dispatch on the handle and so serve every
 * instance and device: contexts on different threads never see a pointer
 * that is wrong for them. */
static pthread_mutex_t volk_lock = PTHREAD_MUTEX_INITIALIZER;
static int volk_loaded;                        /* under volk_lock */
static PFN_vkGetInstanceProcAddr volk_custom; /* the loader entry point volk was filled from */

/* The first call decides which loader the process uses: the system's
 * libvulkan, or the vkGetInstanceProcAddr an application lent (its own
 * loader, a statically linked MoltenVK). volk's table is process-wide, so a
 * later context that asks for a different loader is refused rather than
 * silently served by the first. */
static vkc_status load_vulkan(PFN_vkGetInstanceProcAddr gipa, vkc_msg *msg)
{
    vkc_status s = VKC_OK;
    pthread_mutex_lock(&volk_lock);
    if (!volk_loaded) {
        if (gipa) {
            volkInitializeCustom(gipa);
            volk_custom = gipa;
            volk_loaded = 1;
        } else if (volkInitialize() == VK_SUCCESS) {
            /* The system loader's entry point: an application that lends
             * the same one (its own dlopen of libvulkan) is welcome. */
            volk_custom = vkGetInstanceProcAddr;
            volk_loaded = 1;
        }
    }
    if (!volk_loaded)
        s = vkc_fail(msg, VKC_ERROR_NO_VULKAN,
                     "no Vulkan loader found (libvulkan.so.1): install libvulkan1 and a driver, or use the "
                     "CPU backend");
    else if (gipa && gipa != volk_custom)
        s = vkc_fail(msg, VKC_ERROR_UNSUPPORTED,
                     "get_instance_proc_addr differs from the Vulkan loader this process already uses "
                     "(one loader per process)");
    pthread_mutex_unlock(&volk_lock);
    return s;
}

static void load_instance(VkInstance inst)
{
    pthread_mutex_lock(&volk_lock);
    volkLoadInstance(inst);
    pthread_mutex_unlock(&volk_lock);
}

static int has_layer(const char *name)
{
    uint32_t n = 0;
    if (vkEnumerateInstanceLayerProperties(&n, NULL) != VK_SUCCESS || n == 0) return 0;
    VkLayerProperties *props = calloc(n, sizeof *props);
    if (!props) return 0;
    int found = 0;
    if (vkEnumerateInstanceLayerProperties(&n, props) == VK_SUCCESS)
        for (uint32_t i = 0; i < n; i++)
            if (strcmp(props[i].layerName, name) == 0) found = 1;
    free(props);
    return found;
}

static int has_instance_ext(const char *name)
{
    uint32_t n = 0;
    if (vkEnumerateInstanceExtensionProperties(NULL, &n, NULL) != VK_SUCCESS || n == 0) return 0;
    VkExtensionProperties *props = calloc(n, sizeof *props);
    if (!props) return 0;
    int found = 0;
    if (vkEnumerateInstanceExtensionProperties(NULL, &n, props) == VK_SUCCESS)
        for (uint32_t i = 0; i < n; i++)
            if (strcmp(props[i].extensionName, name) == 0) found = 1;
    free(props);
    return found;
}

static VKAPI_ATTR VkBool32 VKAPI_CALL on_debug_message(VkDebugUtilsMessageSeverityFlagBitsEXT sev,
                                                       VkDebugUtilsMessageTypeFlagsEXT type,
                                                       const VkDebugUtilsMessengerCallbackDataEXT *data,
                                                       void *user)
{
    (void)type;
    vkc_context *ctx = user;
    if (sev & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) ctx->val_errors++;
    else if (sev & VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) ctx->val_warnings++;
    else return VK_FALSE;
    if (!ctx->val_first[0] && data && data->pMessage)
        snprintf(ctx->val_first, sizeof ctx->val_first, "%s", data->pMessage);
    return VK_FALSE;
}

static const VkDebugUtilsMessengerCreateInfoEXT *messenger_info(vkc_context *ctx,
                                                                VkDebugUtilsMessengerCreateInfoEXT *ci)
{
    memset(ci, 0, sizeof *ci);
    ci->sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT;
    ci->messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                          VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    ci->messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                      VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                      VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    ci->pfnUserCallback = on_debug_message;
    ci->pUserData = ctx;
    return ci;
}

/* ctx may be NULL (enumeration only). */
static vkc_status create_instance(vkc_context *ctx, int validate, VkInstance *out, vkc_msg *msg)
{
    VkApplicationInfo app = {VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.pApplicationName = "vkcalib";
    app.applicationVersion = VK_MAKE_VERSION(VKC_VERSION_MAJOR, VKC_VERSION_MINOR, VKC_VERSION_PATCH);
    app.pEngineName = "vkcalib";
    app.apiVersion = VK_API_VERSION_1_1;

    const char *exts[4];
    uint32_t next = 0;
    const char *layers[1];
    uint32_t nlayers = 0;
    VkInstanceCreateInfo ci = {VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    VkDebugUtilsMessengerCreateInfoEXT dci;
    VkValidationFeatureEnableEXT enables[] = {VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT};
    VkValidationFeaturesEXT vf = {VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT};
    if (has_instance_ext(VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME)) {
        exts[next++] = VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME;
        ci.flags |= VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR;
    }
    if (validate && ctx) {
        if (!has_layer(kValidationLayer))
            return vkc_fail(msg, VKC_ERROR_UNSUPPORTED,
                            "validation was requested but %s is not installed "
                            "(Debian: vulkan-validationlayers)", kValidationLayer);
        layers[nlayers++] = kValidationLayer;
        exts[next++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
        vf.enabledValidationFeatureCount = 1;
        vf.pEnabledValidationFeatures = enables;
        vf.pNext = messenger_info(ctx, &dci);
        ci.pNext = &vf;
    }
    ci.pApplicationInfo = &app;
    ci.enabledExtensionCount = next;
    ci.ppEnabledExtensionNames = exts;
    ci.enabledLayerCount = nlayers;
    ci.ppEnabledLayerNames = layers;
    VkResult r = vkCreateInstance(&ci, NULL, out);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
        return vkc_fail(msg, VKC_ERROR_NO_DEVICE,
                        "no Vulkan driver found (vkCreateInstance: VK_ERROR_INCOMPATIBLE_DRIVER); install a GPU "
                        "driver or mesa-vulkan-drivers, or use the CPU backend");
    if (r != VK_SUCCESS)
        return vkc_fail(msg, VKC_ERROR_VULKAN, "vkCreateInstance failed: %s", vkc_vk_result_name(r));
    load_instance(*out);
    if (validate && ctx) {
        VkDebugUtilsMessengerCreateInfoEXT mci;
        r = vkCreateDebugUtilsMessengerEXT(*out, messenger_info(ctx, &mci), NULL, &ctx->messenger);
        if (r != VK_SUCCESS) {
            vkDestroyInstance(*out, NULL);
            *out = VK_NULL_HANDLE;
            return vkc_fail(msg, VKC_ERROR_VULKAN, "vkCreateDebugUtilsMessengerEXT failed: %s",
                            vkc_vk_result_name(r));
        }
    }
    return VKC_OK;
}

vkc_status vkc_enumerate_devices(vkc_device_caps *caps, uint32_t *count, vkc_msg *msg)
{
    if (!count) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "count is required");
    vkc_status s = load_vulkan(NULL, msg);
    if (s != VKC_OK) return s;
    VkInstance inst;
    s = create_instance(NULL, 0, &inst, msg);
    if (s != VKC_OK) return s;
    /* Every device, so that the default rule and the de-duplication see
     * them all whatever the caller's capacity. */
    vkc_device_caps *all = calloc(VKC_MAX_DEVICES, sizeof *all);
    uint32_t n = VKC_MAX_DEVICES;
    if (!all) s = vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    if (s == VKC_OK) s = vkc_dev_enumerate(inst, all, NULL, &n, msg);
    vkDestroyInstance(inst, NULL);
    if (s == VKC_OK && !caps) {
        *count = n;
    } else if (s == VKC_OK) {
        uint32_t k = n < *count ? n : *count;
        for (uint32_t i = 0; i < k; i++) {
            void *next = caps[i].pNext; /* the caller's, left alone */
            caps[i] = all[i];
            caps[i].pNext = next;
        }
        s = k < n ? VKC_INCOMPLETE : VKC_OK;
        *count = k;
    }
    free(all);
    return s;
}

static void find_uma(vkc_context *ctx)
{
    ctx->uma = 1;
    for (uint32_t i = 0; i < ctx->memprops.memoryTypeCount; i++) {
        VkMemoryPropertyFlags f = ctx->memprops.memoryTypes[i].propertyFlags;
        if ((f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) && !(f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT))
            ctx->uma = 0;
    }
}

static vkc_status create_device(vkc_context *ctx)
{
    float prio = 1.0f;
    int ts = 0;
    if (!vkc_dev_compute_queue_family(ctx->phys, &ctx->qfam, &ts))
        return vkc_fail(&ctx->msg, VKC_ERROR_NO_DEVICE, "%s has no compute queue", ctx->caps.name);
    VkDeviceQueueCreateInfo qci = {VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    qci.queueFamilyIndex = ctx->qfam;
    qci.queueCount = 1;
    qci.pQueuePriorities = &prio;
    VkDeviceCreateInfo dci = {VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    dci.queueCreateInfoCount = 1;
    dci.pQueueCreateInfos = &qci;
    const char *exts[2];
    /* Lets host arrays be read in place (vkc_gpu_upload_input). It builds
     * on VK_KHR_external_memory, core only from Vulkan 1.1. */
    if (ctx->caps.host_import && ctx->caps.api_version >= VK_API_VERSION_1_1) {
        exts[dci.enabledExtensionCount++] = VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME;
        ctx->host_import = 1;
    }
    /* subgroupPartitionNV for histogram variant B (shader hist_part):
     * VK_EXT_shader_subgroup_partitioned is the NV one promoted, the same
     * SPIR-V and the same feature bit. */
    static const char *const part[] = {VK_NV_SHADER_SUBGROUP_PARTITIONED_EXTENSION_NAME,
                                       "VK_EXT_shader_subgroup_partitioned"};
    for (int k = 0; k < 2 && !ctx->partitioned; k++)
        if (vkc_dev_has_extension(ctx->phys, part[k])) {
            exts[dci.enabledExtensionCount++] = part[k];
            ctx->partitioned = 1;
        }
    dci.ppEnabledExtensionNames = exts;
    VKC_VK(ctx, vkCreateDevice(ctx->phys, &dci, NULL, &ctx->dev));
    ctx->owns_device = 1;
    vkGetDeviceQueue(ctx->dev, ctx->qfam, 0, &ctx->queue);
    return VKC_OK;
}

/* The shader variants: the device's default, or the environment's. */
static vkc_status choose_variants(vkc_context *ctx)
{
    vkc_variant_default(&ctx->caps, &ctx->hist_var, &ctx->range_var, NULL);
    const char *h = getenv("VKCALIB_HIST_VARIANT"), *r = getenv("VKCALIB_RANGE_VARIANT");
    if (h && *h && !vkc_hist_variant_parse(h, &ctx->hist_var))
        return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT,
                        "VKCALIB_HIST_VARIANT='%s' is not a histogram variant: base, tile, A, B, C, D or letters "
                        "joined (A+C), then options ,loads=N,hot=N,rounds=N,copies=N,groups=N", h);
    if (r && *r && !vkc_range_variant_parse(r, &ctx->range_var))
        return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT,
                        "VKCALIB_RANGE_VARIANT='%s' is not a range variant: base or tile, then options "
                        ",loads=N,groups=N", r);
    return VKC_OK;
}

static vkc_status create_common(vkc_context *ctx)
{
    vkGetPhysicalDeviceMemoryProperties(ctx->phys, &ctx->memprops);
    VkPhysicalDeviceSubgroupProperties sg = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
    VkPhysicalDeviceProperties2 p2 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    p2.pNext = &sg;
    vkGetPhysicalDeviceProperties2(ctx->phys, &p2);
    ctx->subgroup_ops = (sg.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) ? sg.supportedOperations : 0;
    if (!(ctx->subgroup_ops & VK_SUBGROUP_FEATURE_PARTITIONED_BIT_NV)) ctx->partitioned = 0;
    vkc_status vs = choose_variants(ctx);
    if (vs != VKC_OK) return vs;
    find_uma(ctx);
    ctx->import_align = ctx->caps.min_imported_host_pointer_alignment;
    long page = sysconf(_SC_PAGESIZE);
    ctx->page_size = page > 0 ? (uint64_t)page : 0;
    /* Below this, pinning pages costs more than copying them. */
    ctx->import_min_bytes = 1u << 20;
    ctx->import_dma = env_flag("VKCALIB_IMPORT_DMA");
    VkCommandPoolCreateInfo pci = {VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pci.queueFamilyIndex = ctx->qfam;
    pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    VKC_VK(ctx, vkCreateCommandPool(ctx->dev, &pci, NULL, &ctx->cmd_pool));
    for (uint32_t k = 0; k < VKC_SLOTS; k++) {
        vkc_slot *sl = &ctx->slots[k];
        VkCommandBufferAllocateInfo ai = {VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
        ai.commandPool = ctx->cmd_pool;
        ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
        ai.commandBufferCount = 1;
        VKC_VK(ctx, vkAllocateCommandBuffers(ctx->dev, &ai, &sl->cmd));
        VkFenceCreateInfo fci = {VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        VKC_VK(ctx, vkCreateFence(ctx->dev, &fci, NULL, &sl->fence));
        /* Sized for the largest command buffer we record: one set per
         * dispatch, at most a few hundred dispatches between submits. */
        VkDescriptorPoolSize ps = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 4096 * VKC_MAX_BINDINGS};
        VkDescriptorPoolCreateInfo dpi = {VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
        dpi.maxSets = 4096;
        dpi.poolSizeCount = 1;
        dpi.pPoolSizes = &ps;
        VKC_VK(ctx, vkCreateDescriptorPool(ctx->dev, &dpi, NULL, &sl->desc_pool));
    }
    if (vkc_gpu_has(ctx, VKC_FEATURE_TIMESTAMPS)) {
        VkQueryPoolCreateInfo qpi = {VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
        qpi.queryType = VK_QUERY_TYPE_TIMESTAMP;
        qpi.queryCount = 2 * VKC_SLOTS;
        VKC_VK(ctx, vkCreateQueryPool(ctx->dev, &qpi, NULL, &ctx->query_pool));
    }
    return VKC_OK;
}

static uint32_t parse_disable_env(void)
{
    const char *v = getenv("VKCALIB_DISABLE");
    uint32_t mask = 0;
    if (!v) return 0;
    if (strstr(v, "subgroup")) mask |= VKC_FEATURE_SUBGROUP_ARITHMETIC;
    if (strstr(v, "shared")) mask |= VKC_FEATURE_SHARED_HISTOGRAM;
    if (strstr(v, "timestamp")) mask |= VKC_FEATURE_TIMESTAMPS;
    if (strstr(v, "import")) mask |= VKC_FEATURE_HOST_IMPORT;
    if (strstr(v, "ballot")) mask |= VKC_FEATURE_SUBGROUP_BALLOT;
    if (strstr(v, "partitioned")) mask |= VKC_FEATURE_PARTITIONED;
    return mask;
}

static vkc_status open_owned(vkc_context *ctx, const vkc_context_info *info, int *fallback_cpu)
{
    vkc_status s = load_vulkan(info->get_instance_proc_addr, &ctx->msg);
    if (s != VKC_OK) return s;
    int validate = info->validate || env_flag("VKCALIB_VALIDATE");
    s = create_instance(ctx, validate, &ctx->instance, &ctx->msg);
    if (s != VKC_OK) return s;
    ctx->owns_instance = 1;
    vkc_device_caps caps[VKC_MAX_DEVICES];
    VkPhysicalDevice pds[VKC_MAX_DEVICES];
    uint32_t n = VKC_MAX_DEVICES;
    s = vkc_dev_enumerate(ctx->instance, caps, pds, &n, &ctx->msg);
    if (s != VKC_OK) return s;
    const char *sel = info->device;
    if (!sel || !*sel) sel = getenv("VKCALIB_DEVICE");
    int d;
    if (sel && *sel) {
        d = vkc_dev_match(caps, n, sel);
        if (d < 0)
            return vkc_fail(&ctx->msg, VKC_ERROR_NO_DEVICE,
                            "no Vulkan device matches '%s' (%u device%s found)", sel, n,
                            n == 1 ? "" : "s");
    } else {
        d = vkc_dev_default(caps, n);
        if (d < 0) {
            /* Only CPU Vulkan devices (or none): the native backend is faster. */
            *fallback_cpu = 1;
            return vkc_fail(&ctx->msg, VKC_ERROR_NO_DEVICE,
                            n ? "only CPU Vulkan devices found (name one to use it)" : "no Vulkan device found");
        }
    }
    ctx->caps = caps[d];
    ctx->phys = pds[d];
    s = create_device(ctx);
    if (s != VKC_OK) return s;
    return create_common(ctx);
}

static vkc_status open_borrowed(vkc_context *ctx, const vkc_context_info *info)
{
    vkc_status s = load_vulkan(info->get_instance_proc_addr, &ctx->msg);
    if (s != VKC_OK) return s;
    if (!info->instance || !info->physical_device || !info->device_handle || !info->queue)
        return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT,
                        "borrowing needs instance, physical_device, device_handle and queue");
    ctx->instance = info->instance;
    ctx->phys = info->physical_device;
    ctx->dev = info->device_handle;
    ctx->queue = info->queue;
    ctx->qfam = info->queue_family;
    load_instance(ctx->instance);
    vkc_dev_fill_caps(ctx->phys, 0, &ctx->caps);
    ctx->host_import = info->external_memory_host && ctx->caps.host_import &&
                       ctx->caps.api_version >= VK_API_VERSION_1_1;
    return create_common(ctx);
}

vkc_status vkc_context_create(const vkc_context_info *info, vkc_context **out, vkc_msg *msg)
{
    vkc_context_info defaults;
    if (!out) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "out is NULL");
    *out = NULL;
    if (!info) {
        memset(&defaults, 0, sizeof defaults);
        info = &defaults;
    }
    vkc_status cs = vkc_check_struct(info->sType, info->pNext, VKC_STRUCTURE_TYPE_CONTEXT_INFO, "vkc_context_info", msg);
    if (cs != VKC_OK) return cs;
    vkc_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    ctx->pipeline_cache = info->pipeline_cache;
    ctx->threads = info->cpu_threads ? info->cpu_threads : vkc_cpu_count();
    ctx->disabled = info->disable_features | parse_disable_env();
    const char *sel = info->device ? info->device : getenv("VKCALIB_DEVICE");
    vkc_backend backend = info->backend;
    if (backend == VKC_BACKEND_AUTO && sel && strcmp(sel, "cpu") == 0) backend = VKC_BACKEND_CPU;
    if (backend == VKC_BACKEND_CPU) {
        ctx->is_cpu = 1;
        *out = ctx;
        return VKC_OK;
    }
    int fallback_cpu = 0;
    vkc_status s = info->device_handle ? open_borrowed(ctx, info) : open_owned(ctx, info, &fallback_cpu);
    /* No loader, no driver, or only CPU Vulkan devices, and nobody named a
     * device: DESIGN.md §2b says the native CPU backend runs. */
    int named = sel && *sel;
    if (s != VKC_OK && backend == VKC_BACKEND_AUTO && !info->device_handle &&
        (fallback_cpu || (!named && (s == VKC_ERROR_NO_VULKAN || s == VKC_ERROR_NO_DEVICE)))) {
        vkc_context_destroy(ctx);
        ctx = calloc(1, sizeof *ctx);
        if (!ctx) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
        ctx->is_cpu = 1;
        ctx->threads = info->cpu_threads ? info->cpu_threads : vkc_cpu_count();
        *out = ctx;
        return VKC_OK;
    }
    if (s != VKC_OK) {
        if (msg) *msg = ctx->msg;
        vkc_context_destroy(ctx);
        return s;
    }
    *out = ctx;
    return VKC_OK;
}

void vkc_context_destroy(vkc_context *ctx)
{
    if (!ctx) return;
    if (ctx->dev) {
        vkDeviceWaitIdle(ctx->dev);
        for (uint32_t i = 0; i < ctx->npipes; i++) {
            vkDestroyPipeline(ctx->dev, ctx->pipes[i].pipeline, NULL);
            vkDestroyPipelineLayout(ctx->dev, ctx->pipes[i].layout, NULL);
            vkDestroyDescriptorSetLayout(ctx->dev, ctx->pipes[i].dsl, NULL);
        }
        vkc_gbuf_destroy(ctx, &ctx->out);
        for (uint32_t k = 0; k < VKC_SLOTS; k++) {
            vkc_slot *sl = &ctx->slots[k];
            vkc_gbuf_destroy(ctx, &sl->stage);
            vkc_gbuf_destroy(ctx, &sl->devin);
            vkc_gbuf_destroy(ctx, &sl->imported);
            if (sl->desc_pool) vkDestroyDescriptorPool(ctx->dev, sl->desc_pool, NULL);
            if (sl->fence) vkDestroyFence(ctx->dev, sl->fence, NULL);
        }
        if (ctx->query_pool) vkDestroyQueryPool(ctx->dev, ctx->query_pool, NULL);
        if (ctx->cmd_pool) vkDestroyCommandPool(ctx->dev, ctx->cmd_pool, NULL);
        if (ctx->owns_device) vkDestroyDevice(ctx->dev, NULL);
    }
    if (ctx->messenger) vkDestroyDebugUtilsMessengerEXT(ctx->instance, ctx->messenger, NULL);
    if (ctx->owns_instance && ctx->instance) vkDestroyInstance(ctx->instance, NULL);
    free(ctx);
}

const char *vkc_context_error(const vkc_context *ctx)
{
    return ctx ? ctx->msg.text : "no context";
}

const char *vkc_context_device_name(const vkc_context *ctx)
{
    return ctx->is_cpu ? "cpu" : ctx->caps.name;
}

int vkc_context_is_cpu(const vkc_context *ctx)
{
    return ctx->is_cpu;
}

const vkc_device_caps *vkc_context_caps(const vkc_context *ctx)
{
    return ctx->is_cpu ? NULL : &ctx->caps;
}

void vkc_context_validation_counts(const vkc_context *ctx, uint32_t *warnings, uint32_t *errors)
{
    if (warnings) *warnings = ctx->val_warnings;
    if (errors) *errors = ctx->val_errors;
}

const char *vkc_context_validation_first(const vkc_context *ctx);
const char *vkc_context_validation_first(const vkc_context *ctx)
{
    return ctx->val_first;
}

uint64_t vkc_context_dispatch_count(const vkc_context *ctx)
{
    return ctx->dispatches;
}

double vkc_context_last_gpu_ns(const vkc_context *ctx)
{
    return ctx->last_gpu_ns;
}
