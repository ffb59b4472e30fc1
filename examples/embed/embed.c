/* Embedding vkcalib in an application that already runs on a Vulkan device:
 * the application creates its instance, device and queue (here a minimal
 * stand-in) and lends them to vkcalib. Then, as an inference engine would:
 *
 *   1. a whole calibration through vkc_calibrator: three activation tensors,
 *      four batches each, written by the "engine" into its own storage
 *      buffer and observed there in place (vkc_calibrator_feed_buffer), in
 *      the two passes the calibrator asks for; the result is written as a
 *      TensorRT cache. The same batches are saved as .npy files under
 *      SET_DIR, so that `vkcalib calibrate SET_DIR -o x.cache` can be
 *      compared with it byte for byte (tests/test_cli_install.sh does);
 *   2. one histogram recorded into the application's own command buffer,
 *      after its own work, with one submit of its own, checked against
 *      vkc_histogram_buffer.
 *
 *   embed OUT.cache SET_DIR [device-name-substring]
 *
 * Exits 77 when no Vulkan device exists (the tests treat that as a skip). */
#define VK_NO_PROTOTYPES
#include <vkcalib.h>

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <sys/stat.h>
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
    float *map;      /* the buffer, mapped for the "engine" to write into */
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

/* A host-visible storage buffer of n floats the "inference engine" writes
 * into (a real engine's would be device-local, written by its shaders). */
static int app_buffer(app *a, uint64_t n)
{
    LOAD(a->instance, vkCreateBuffer);
    LOAD(a->instance, vkGetBufferMemoryRequirements);
    LOAD(a->instance, vkGetPhysicalDeviceMemoryProperties);
    LOAD(a->instance, vkAllocateMemory);
    LOAD(a->instance, vkBindBufferMemory);
    LOAD(a->instance, vkMapMemory);
    VkBufferCreateInfo bci = {VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    bci.size = n * sizeof(float);
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
    a->map = p;
    return 0;
}

static void app_close(app *a)
{
    LOAD(a->instance, vkDestroyBuffer);
    LOAD(a->instance, vkFreeMemory);
    LOAD(a->instance, vkDestroyDevice);
    LOAD(a->instance, vkDestroyInstance);
    LOAD(a->instance, vkUnmapMemory);
    if (a->map) vkUnmapMemory(a->device, a->mem);
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

/* ---- the calibration set ------------------------------------------------ */

enum { TENSORS = 3, BATCHES = 4, N = 1 << 16 };
static const char *const kNames[TENSORS] = {"relu_out", "signed_out", "tail_out"};

/* Batch b of tensor t, deterministic: a post-ReLU activation, a signed one,
 * and a heavy-tailed one (a cube of normals). */
static void make_batch(uint32_t t, uint32_t b, float *x)
{
    uint64_t seed = 12345 + 1000003ull * (t * BATCHES + b);
    for (int i = 0; i < N; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        double u1 = ((seed >> 11) + 0.5) / 9007199254740992.0;
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        double u2 = (seed >> 11) / 9007199254740992.0;
        double v = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
        x[i] = (float)(t == 0 ? (v > 0 ? v : 0.0) : t == 1 ? 1.5 * v : v * v * v);
    }
}

/* SET_DIR/<tensor>/batch_<b>.npy: a version 1.0 .npy of N little-endian
 * float32 (this example runs on little-endian hosts). */
static int save_npy(const char *dir, uint32_t t, uint32_t b, const float *x)
{
    char path[4096], hdr[128];
    snprintf(path, sizeof path, "%s/%s", dir, kNames[t]);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) return 0;
    if (mkdir(path, 0755) != 0 && errno != EEXIST) return 0;
    snprintf(path, sizeof path, "%s/%s/batch_%03u.npy", dir, kNames[t], b);
    int len = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': (%d,), }", (int)N);
    while ((10 + len + 1) % 64) hdr[len++] = ' '; /* the whole header a multiple of 64 bytes */
    hdr[len++] = '\n';
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)len, (unsigned char)(len >> 8)};
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(hdr, 1, (size_t)len, f) == (size_t)len &&
             fwrite(x, sizeof *x, N, f) == N;
    return fclose(f) == 0 && ok;
}

/* The calibration: every pass the calibrator asks for, each batch written
 * into the application's buffer and observed there. */
static vkc_status calibrate(app *a, vkc_context *ctx, const char *set_dir, const char *out, vkc_msg *msg)
{
    vkc_calibrator *cal = NULL;
    vkc_status s = vkc_calibrator_create(ctx, NULL, &cal); /* entropy, symmetric, 2048 bins */
    uint32_t idx[TENSORS];
    for (uint32_t t = 0; s == VKC_OK && t < TENSORS; t++) s = vkc_calibrator_tensor(cal, kNames[t], &idx[t]);
    vkc_buffer_view view = {a->buf, 0, N, VKC_DTYPE_F32};
    while (s == VKC_OK && vkc_calibrator_pass(cal) != VKC_PASS_DONE) {
        int first = vkc_calibrator_pass(cal) == VKC_PASS_RANGE;
        for (uint32_t t = 0; s == VKC_OK && t < TENSORS; t++)
            for (uint32_t b = 0; s == VKC_OK && b < BATCHES; b++) {
                make_batch(t, b, a->map); /* the "inference" */
                if (first && !save_npy(set_dir, t, b, a->map)) {
                    snprintf(msg->text, sizeof msg->text, "cannot write the batches under %s", set_dir);
                    s = VKC_ERROR_IO;
                    break;
                }
                s = vkc_calibrator_feed_buffer(cal, idx[t], &view);
            }
        if (s == VKC_OK) s = vkc_calibrator_end_pass(cal);
    }
    if (s != VKC_OK && cal && s != VKC_ERROR_IO) snprintf(msg->text, sizeof msg->text, "%s", vkc_calibrator_error(cal));
    if (s == VKC_OK) s = vkc_calibration_write(vkc_calibrator_results(cal), out, VKC_FORMAT_TRT_CACHE, NULL, msg);
    if (s == VKC_OK) {
        const vkc_calibration *res = vkc_calibrator_results(cal);
        for (uint32_t t = 0; t < vkc_calibration_count(res); t++) {
            const vkc_tensor_result *r = vkc_calibration_tensor(res, t);
            printf("embed: %-10s absmax %8.4f  threshold %.9g (bin %u)\n", r->name, (double)r->stats.absmax,
                   r->threshold, r->search.i);
        }
    }
    vkc_calibrator_destroy(cal);
    return s;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: embed OUT.cache SET_DIR [device]\n");
        return 2;
    }
    app a = {0};
    int rc = app_open(&a, argc > 3 ? argv[3] : NULL);
    if (rc) {
        fprintf(stderr, "embed: no Vulkan device\n");
        app_close(&a);
        return rc;
    }
    if (app_buffer(&a, N)) {
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
    vkc_msg msg = {{0}};
    vkc_status s = vkc_context_create(&info, &ctx, &msg);
    if (s == VKC_OK) s = calibrate(&a, ctx, argv[2], argv[1], &msg);
    if (s != VKC_OK) {
        fprintf(stderr, "embed: %s\n", msg.text);
        vkc_context_destroy(ctx);
        app_close(&a);
        return 1;
    }

    /* The histogram of one batch recorded into the application's command
     * buffer equals the one vkcalib submits itself. */
    make_batch(0, 0, a.map);
    vkc_buffer_view view = {a.buf, 0, N, VKC_DTYPE_F32};
    vkc_stats st = {0};
    static uint64_t counts[2048], again[2048];
    s = vkc_range_buffer(ctx, &view, &st);
    vkc_hist_spec spec = {VKC_HIST_ABS, 2048, 0.0f, st.absmax};
    if (s == VKC_OK) s = vkc_histogram_buffer(ctx, &view, &spec, counts);
    if (s == VKC_OK) s = recorded_histogram(&a, ctx, &view, &spec, again);
    if (s == VKC_OK && memcmp(again, counts, sizeof counts) != 0) {
        fprintf(stderr, "embed: the recorded histogram differs from vkc_histogram_buffer's\n");
        s = VKC_ERROR_MISMATCH;
    } else if (s != VKC_OK) {
        fprintf(stderr, "embed: %s\n", vkc_context_error(ctx));
    } else {
        printf("embed: %s: wrote %s and the batches under %s; recorded histogram identical\n",
               vkc_context_device_name(ctx), argv[1], argv[2]);
    }
    vkc_context_destroy(ctx);
    app_close(&a);
    return s == VKC_OK ? 0 : 1;
}
