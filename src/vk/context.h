/* The context every call runs on: the native CPU backend, or a Vulkan
 * device (owned or borrowed) with the pipelines and buffers the passes
 * reuse. Internal: vkcalib.h keeps it opaque; vk/gpu.h works on it. */
#ifndef VKC_CONTEXT_H
#define VKC_CONTEXT_H

#include "base/common.h"

#include <volk.h>

#define VKC_MAX_PIPELINES 256
#define VKC_MAX_BINDINGS 6
#define VKC_MAX_SPEC 12
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

/* Internal feature bits beside vkcalib.h's VKC_FEATURE_*, masked the same
 * way (VKCALIB_DISABLE=ballot,partitioned): subgroup ballots and
 * subgroupPartitionNV, for histogram variant B. Masking subgroup
 * arithmetic masks them too. */
#define VKC_FEATURE_SUBGROUP_BALLOT (1u << 16)
#define VKC_FEATURE_PARTITIONED (1u << 17)

/* A histogram shader variant (shaders/hist.comp has what each does).
 * loads 0 is today's grid-stride loop, and the rest is then ignored. */
typedef struct vkc_hist_variant {
    uint32_t loads;  /* tile loop: 16-byte loads per invocation per tile */
    uint32_t hot;    /* A: bins counted in registers */
    uint32_t match;  /* B: ballot rounds of match aggregation */
    uint32_t copies; /* C: shared copies; 0 = as many as half the shared memory holds (at most 8) */
    uint32_t pack16; /* D: 16-bit shared counters */
    uint32_t groups; /* most workgroups a dispatch runs; 0 = the pass's default */
} vkc_hist_variant;

/* The range shader's loop: loads 0 = grid-stride, else the tile loop. */
typedef struct vkc_range_variant {
    uint32_t loads, groups;
} vkc_range_variant;

/* Parses "base", "tile", letters A..D alone or joined ("A+C", "AC"), then
 * options ",loads=N,hot=N,rounds=N,copies=N,groups=N" (VKCALIB_HIST_VARIANT);
 * 0 when s is not one. The range form is "base" or "tile[,loads=N,groups=N]". */
int vkc_hist_variant_parse(const char *s, vkc_hist_variant *v);
int vkc_range_variant_parse(const char *s, vkc_range_variant *v);
/* The default of a device (the table in vk/devices.c), with its row's
 * description when it has one. */
void vkc_variant_default(const vkc_device_caps *caps, vkc_hist_variant *h, vkc_range_variant *r, const char **row);

typedef struct vkc_gbuf {
    VkBuffer buf;
    VkDeviceMemory mem;
    VkDeviceSize size;
    void *map;           /* non-NULL for host-visible buffers */
    int device_local;
} vkc_gbuf;

/* Command buffers in flight at once: the host prepares one (copies a chunk
 * into its staging buffer) while the device runs the other. */
#define VKC_SLOTS 2

/* One command buffer and what its commands use until its fence. */
typedef struct vkc_slot {
    VkCommandBuffer cmd;
    VkFence fence;
    VkDescriptorPool desc_pool;
    /* Host-visible staging for input chunks, its device-local copy on
     * discrete devices, and the host chunk read in place (released when the
     * fence is waited for). */
    vkc_gbuf stage, devin, imported;
    /* What vkc_gpu_record_upload copies into devin: stage from 0, or (with
     * import_dma) upload_bytes of the import from upload_off. */
    int upload_from_import;
    VkDeviceSize upload_off, upload_bytes;
    int pending; /* submitted, not yet waited for */
    int timing;  /* timestamps written in it */
} vkc_slot;

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
    double search_cpu_ns[VKC_SEARCH_PHASES], search_cpu_t0; /* the calling thread's CPU time */

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
    uint32_t subgroup_ops; /* VkSubgroupFeatureFlags of the compute stage */
    int partitioned;       /* VK_NV/EXT_shader_subgroup_partitioned enabled */
    /* The shader variants the data passes run (the device's default, or
     * VKCALIB_HIST_VARIANT / VKCALIB_RANGE_VARIANT); tests and benchmarks
     * set them directly. */
    vkc_hist_variant hist_var;
    vkc_range_variant range_var;
    VkPhysicalDeviceMemoryProperties memprops;
    int uma;             /* a device-local type is also host-visible */

    VkPipelineCache pipeline_cache; /* the application's, or VK_NULL_HANDLE */

    VkCommandPool cmd_pool;
    VkQueryPool query_pool; /* two timestamps per slot */
    vkc_slot slots[VKC_SLOTS];
    uint32_t cur;           /* the slot recorded into; 0 outside pipelined passes */
    int recording;

    vkc_pipe pipes[VKC_MAX_PIPELINES];
    uint32_t npipes;

    /* The data passes' results, read back by the host. */
    vkc_gbuf out;

    /* VK_EXT_external_memory_host: enabled on the device, the pointer
     * alignment it needs, the smallest input worth importing, and how many
     * imports ran (tests check the path is taken). The imports themselves
     * are the slots'. */
    int host_import;
    uint64_t import_align;
    uint64_t page_size;
    uint64_t import_min_bytes;
    uint64_t imports;
    /* Discrete devices: copy an imported chunk into device memory with
     * vkCmdCopyBuffer (DMA, overlapping the previous chunk's binning)
     * instead of letting the shader read host memory over the bus;
     * VKCALIB_IMPORT_DMA=1, off until measured faster. */
    int import_dma;
    /* Host arrays go to the device in chunks of at most this many bytes,
     * two in flight (0: the default, VKC_HOST_CHUNK_BYTES). */
    uint64_t host_chunk_bytes;
};

#endif
