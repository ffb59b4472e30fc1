/* Embedding vkcalib in an application that already runs on a Vulkan device:
 * the application creates its instance, device and queue (here a minimal
 * stand-in), fills a storage buffer with activations the way an inference
 * engine would, lends its device to vkcalib, observes the buffer in place,
 * searches the entropy threshold and writes a TensorRT cache. It then does
 * the histogram again the way an inference loop would: recorded into its own
 * command buffer after its own work, with one submit of its own.
 *
 *   embed OUT.cache [device-name-substring]
 *
 * Exits 77 when no Vulkan device exists (the tests treat that as a skip). */
#define VK_NO_PROTOTYPES
#include <vkcalib.h>

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The application's own Vulkan entry points (it would normally use its own
 * loader setup; vkcalib never shares symbols with it). */
static PFN_vkGetInstanceProcAddr gipa;
#define LOAD(inst, name) PFN_##name name = (PFN_##name)gipa(inst, #name)

typedef struct app {
    VkInstance instance;
    VkPhysicalDevice phys;
    VkDevice device;
    VkQueue queue;
    uint32_t family;
    VkBuffer buf;
    VkDeviceMemory mem;
} app;

static int app_open(app *a, const char *want)
{
    void *lib = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return 77;
    gipa = (PFN_vkGetInstanceProcAddr)dlsym(lib, "vkGetInstanceProcAddr");
    LOAD(NULL, vkCreateInstance);
    VkApplicationInfo ai = {VK_STRUCTURE_TYPE_APPLICATION_INFO, NULL, "embed", 1, NULL, 0, VK_API_VERSION_1_1};
    VkInstanceCreateInfo ici = {VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    ici.pApplicationInfo = &ai;
    if (vkCreateInstance(&ici, NULL, &a->instance) != VK_SUCCESS) return 77;
    LOAD(a->instance, vkEnumeratePhysicalDevices);
    LOAD(a->instance, vkGetPhysicalDeviceProperties);
    LOAD(a->instance, vkGetPhysicalDeviceQueueFamilyProperties);
    LOAD(a->instance, vkCreateDevice);
    LOAD(a->instance, vkGetDeviceQueue);
    VkPhysicalDevice pds[16];
    uint32_t n = 16;
    if (vkEnumeratePhysicalDevices(a->instance, &n, pds) < 0 || n == 0) return 77;
    a->phys = pds[0];
    for (uint32_t i = 0; i < n && want; i++) {
        VkPhysicalDeviceProperties p;
        vkGetPhysicalDeviceProperties(pds[i], &p);
        if (strstr(p.deviceName, want)) a->phys = pds[i];
    }
    VkQueueFamilyProperties qf[16];
    uint32_t nq = 16;
    vkGetPhysicalDeviceQueueFamilyProperties(a->phys, &nq, qf);
    for (a->family = 0; a->family < nq && !(qf[a->family].queueFlags & VK_QUEUE_COMPUTE_BIT); a->family++) {}
    float prio = 1.0f;
    VkDeviceQueueCreateInfo qci = {VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO, NULL, 0, a->family, 1, &prio};
    VkDeviceCreateInfo dci = {VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    dci.queueCreateInfoCount = 1;
    dci.pQueueCreateInfos = &qci;
    if (vkCreateDevice(a->phys, &dci, NULL, &a->device) != VK_SUCCESS) return 1;
    vkGetDeviceQueue(a->device, a->family, 0, &a->queue);
    return 0;
}

/* A host-visible storage buffer the "inference engine" writes into. */
static int app_buffer(app *a, const float *x, uint64_t n)
{
    LOAD(a->instance, vkCreateBuffer);
    LOAD(a->instance, vkGetBufferMemoryRequirements);
    LOAD(a->instance, vkGetPhysicalDeviceMemoryProperties);
    LOAD(a->instance, vkAllocateMemory);
    LOAD(a->instance, vkBindBufferMemory);
    LOAD(a->instance, vkMapMemory);
    LOAD(a->instance, vkUnmapMemory);
    VkBufferCreateInfo bci = {VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    bci.size = n * sizeof *x;
    bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
    if (vkCreateBuffer(a->device, &bci, NULL, &a->buf) != VK_SUCCESS) return 1;
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(a->device, a->buf, &req);
    VkPhysicalDeviceMemoryProperties mp;
    vkGetPhysicalDeviceMemoryProperties(a->phys, &mp);
    VkMemoryPropertyFlags want = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    uint32_t type = 0;
    while (type < mp.memoryTypeCount &&
           !((req.memoryTypeBits >> type & 1) && (mp.memoryTypes[type].propertyFlags & want) == want))
        type++;
    VkMemoryAllocateInfo mai = {VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, NULL, req.size, type};
    if (type == mp.memoryTypeCount || vkAllocateMemory(a->device, &mai, NULL, &a->mem) != VK_SUCCESS) return 1;
    void *p;
    if (vkBindBufferMemory(a->device, a->buf, a->mem, 0) != VK_SUCCESS ||
        vkMapMemory(a->device, a->mem, 0, VK_WHOLE_SIZE, 0, &p) != VK_SUCCESS)
        return 1;
    memcpy(p, x, n * sizeof *x);
    vkUnmapMemory(a->device, a->mem);
    return 0;
}

static void app_close(app *a)
{
    LOAD(a->instance, vkDestroyBuffer);
    LOAD(a->instance, vkFreeMemory);
    LOAD(a->instance, vkDestroyDevice);
    LOAD(a->instance, vkDestroyInstance);
    if (a->buf) vkDestroyBuffer(a->device, a->buf, NULL);
    if (a->mem) vkFreeMemory(a->device, a->mem, NULL);
    if (a->device) vkDestroyDevice(a->device, NULL);
    if (a->instance) vkDestroyInstance(a->instance, NULL);
}

/* The histogram recorded into the application's command buffer. In a real
 * engine the vkc_record_histogram call would sit after the dispatches that
 * produce the activation, in the same command buffer. */
static vkc_status recorded_histogram(app *a, vkc_context *ctx, const vkc_buffer_view *view,
                                     const vkc_hist_spec *spec, uint64_t *counts)
{
    LOAD(a->instance, vkCreateCommandPool);
    LOAD(a->instance, vkDestroyCommandPool);
    LOAD(a->instance, vkAllocateCommandBuffers);
    LOAD(a->instance, vkBeginCommandBuffer);
    LOAD(a->instance, vkEndCommandBuffer);
    LOAD(a->instance, vkQueueSubmit);
    LOAD(a->instance, vkCreateFence);
    LOAD(a->instance, vkDestroyFence);
    LOAD(a->instance, vkWaitForFences);
    VkCommandPoolCreateInfo pci = {VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pci.queueFamilyIndex = a->family;
    VkCommandPool pool = VK_NULL_HANDLE;
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    VkFence fence = VK_NULL_HANDLE;
    vkc_recorder *rec = NULL;
    vkc_status s = VKC_ERROR_VULKAN;
    VkCommandBufferAllocateInfo ai = {VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    ai.commandBufferCount = 1;
    VkCommandBufferBeginInfo bi = {VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    VkFenceCreateInfo fci = {VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkSubmitInfo si = {VK_STRUCTURE_TYPE_SUBMIT_INFO};
    if (vkCreateCommandPool(a->device, &pci, NULL, &pool) != VK_SUCCESS) goto out;
    ai.commandPool = pool;
    if (vkAllocateCommandBuffers(a->device, &ai, &cmd) != VK_SUCCESS ||
        vkCreateFence(a->device, &fci, NULL, &fence) != VK_SUCCESS || vkBeginCommandBuffer(cmd, &bi) != VK_SUCCESS)
        goto out;
    /* ... the application's own commands would be recorded here ... */
    if ((s = vkc_recorder_create(ctx, &rec)) != VKC_OK) goto out;
    if ((s = vkc_record_histogram(rec, cmd, view, spec)) != VKC_OK) goto out;
    s = VKC_ERROR_VULKAN;
    si.commandBufferCount = 1;
    si.pCommandBuffers = &cmd;
    if (vkEndCommandBuffer(cmd) != VK_SUCCESS || vkQueueSubmit(a->queue, 1, &si, fence) != VK_SUCCESS ||
        vkWaitForFences(a->device, 1, &fence, VK_TRUE, UINT64_MAX) != VK_SUCCESS)
        goto out;
    s = vkc_recorder_read(rec, NULL, counts);
out:
    vkc_recorder_destroy(rec);
    if (fence) vkDestroyFence(a->device, fence, NULL);
    if (pool) vkDestroyCommandPool(a->device, pool, NULL);
    return s;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: embed OUT.cache [device]\n");
        return 2;
    }
    enum { N = 1 << 20 };
    static float x[N];
    uint64_t seed = 12345;
    for (int i = 0; i < N; i++) { /* a post-ReLU activation: max(0, normal) */
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        double u1 = ((seed >> 11) + 0.5) / 9007199254740992.0;
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        double u2 = (seed >> 11) / 9007199254740992.0;
        double v = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
        x[i] = v > 0 ? (float)v : 0.0f;
    }
    app a = {0};
    int rc = app_open(&a, argc > 2 ? argv[2] : NULL);
    if (rc) {
        fprintf(stderr, "embed: no Vulkan device\n");
        app_close(&a);
        return rc;
    }
    if (app_buffer(&a, x, N)) {
        app_close(&a);
        return 1;
    }
    vkc_context_info info = {0};
    info.instance = a.instance;
    info.physical_device = a.phys;
    info.device_handle = a.device;
    info.queue = a.queue;
    info.queue_family = a.family;
    vkc_context *ctx = NULL;
    vkc_msg msg;
    vkc_status s = vkc_context_create(&info, &ctx, &msg);
    vkc_stats st = {0};
    uint64_t counts[2048] = {0};
    vkc_buffer_view view = {a.buf, 0, N, VKC_DTYPE_F32};
    if (s == VKC_OK) s = vkc_range_buffer(ctx, &view, &st);
    vkc_hist_spec spec = {VKC_HIST_ABS, 2048, 0.0f, st.absmax};
    if (s == VKC_OK) s = vkc_histogram_buffer(ctx, &view, &spec, counts);
    static uint64_t again[2048];
    if (s == VKC_OK) s = recorded_histogram(&a, ctx, &view, &spec, again);
    if (s == VKC_OK && memcmp(again, counts, sizeof counts) != 0) {
        fprintf(stderr, "embed: the recorded histogram differs from vkc_histogram_buffer's\n");
        s = VKC_ERROR_MISMATCH;
    }
    vkc_histogram h = {counts, 2048, st.absmax};
    vkc_search_result r;
    if (s == VKC_OK) s = vkc_search(ctx, &h, 1, NULL, &r);
    if (s != VKC_OK) {
        fprintf(stderr, "embed: %s\n", ctx ? vkc_context_error(ctx) : msg.text);
    } else {
        const char *names[1] = {"relu_out"};
        double amax[1] = {r.threshold};
        s = vkc_write_trt_cache(argv[1], 0, NULL, names, amax, 1, &msg);
        if (s != VKC_OK) fprintf(stderr, "embed: %s\n", msg.text);
        else
            printf("embed: %s: absmax %g, threshold %.9g (bin %u; recorded histogram identical), wrote %s\n",
                   vkc_context_device_name(ctx),
                   (double)st.absmax, r.threshold, r.i, argv[1]);
    }
    vkc_context_destroy(ctx);
    app_close(&a);
    return s == VKC_OK ? 0 : 1;
}
