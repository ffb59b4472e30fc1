/* The context every call runs on: the native CPU backend, or a Vulkan
 * device (owned or borrowed) with the pipelines and buffers the passes
 * reuse. Internal: vkcalib.h keeps it opaque; vk/gpu.h works on it. */
#ifndef VKC_CONTEXT_H
#define VKC_CONTEXT_H

#include "base/common.h"

#include <volk.h>

#define VKC_MAX_PIPELINES 64
#define VKC_MAX_BINDINGS 6
#define VKC_MAX_SPEC 6
/* Host phases of a GPU search that benchmarks read (search/search_gpu.h). */
#define VKC_SEARCH_PHASES 5

typedef struct vkc_pipe {
    char shader[32];
    uint32_t spec[VKC_MAX_SPEC];
    uint32_t nspec;
    uint32_t nbind;
    uint32_t push_size;
    VkDescriptorSetLayout dsl;
    VkPipelineLayout layout;
    VkPipeline pipeline;
} vkc_pipe;

typedef struct vkc_gbuf {
    VkBuffer buf;
    VkDeviceMemory mem;
    VkDeviceSize size;
    void *map;           /* non-NULL for host-visible buffers */
    int device_local;
} vkc_gbuf;

struct vkc_context {
    vkc_msg msg;
    int is_cpu;
    uint32_t threads;
    uint64_t max_chunk_bytes;  /* cap on one dispatch's input; 0: the device limit (tests lower it) */
    /* Values between read-backs of the uint32 counters (tests lower it). */
    uint64_t flush_window;
    uint32_t disabled;
    uint64_t dispatches;
    double last_gpu_ns;
    /* Wall time of the phases of the last GPU entropy search, ns
     * (VKC_SEARCH_* of search/search_gpu.h). */
    double search_ns[VKC_SEARCH_PHASES];

    /* Vulkan; all null on the CPU backend. */
    int owns_device;
    int owns_instance;
    VkInstance instance;
    VkPhysicalDevice phys;
    VkDevice dev;
    VkQueue queue;
    uint32_t qfam;
    VkDebugUtilsMessengerEXT messenger;
    uint32_t val_warnings, val_errors;
    char val_first[1024];
    vkc_device_caps caps;
    VkPhysicalDeviceMemoryProperties memprops;
    int uma;             /* a device-local type is also host-visible */

    VkPipelineCache pipeline_cache; /* the application's, or VK_NULL_HANDLE */

    VkCommandPool cmd_pool;
    VkCommandBuffer cmd;
    VkFence fence;
    VkDescriptorPool desc_pool;
    VkQueryPool query_pool;
    int recording;
    int timing;          /* timestamps written in the current command buffer */

    vkc_pipe pipes[VKC_MAX_PIPELINES];
    uint32_t npipes;

    /* Reused by the data passes: host-visible staging for input chunks, a
     * device-local copy target on discrete devices, a read-back buffer. */
    vkc_gbuf stage, devin, out;

    /* VK_EXT_external_memory_host: enabled on the device, the pointer
     * alignment it needs, the smallest input worth importing, the import
     * of the chunk in flight (released after its submission), and how many
     * imports ran (tests check the path is taken). */
    int host_import;
    uint64_t import_align;
    uint64_t page_size;
    uint64_t import_min_bytes;
    vkc_gbuf imported;
    uint64_t imports;
};

#endif
