/*
 * vkcalib: INT8 activation calibration on any Vulkan device.
 *
 * The library never exits, aborts or prints. Every call returns a vkc_status;
 * the message of the last failure is available from the context (or from the
 * vkc_msg a context-free call was given).
 *
 * Two layers:
 *   - a context that either owns a Vulkan instance/device/queue (the CLI) or
 *     borrows the application's (embedding), or runs the native CPU backend;
 *   - passes over activations (range statistics, histograms) and threshold
 *     searches over histograms, usable on any of those backends.
 *
 * Thread safety: a context is used by one thread at a time.
 */
#ifndef VKCALIB_H
#define VKCALIB_H

#include <stddef.h>
#include <stdint.h>

#ifndef VK_NO_PROTOTYPES
#define VK_NO_PROTOTYPES
#endif
#include <vulkan/vulkan_core.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VKC_VERSION_MAJOR 0
#define VKC_VERSION_MINOR 1
#define VKC_VERSION_PATCH 0
#define VKC_VERSION_STRING "0.1.0"

#if defined(VKC_BUILDING_SHARED) && defined(__GNUC__)
#define VKC_API __attribute__((visibility("default")))
#else
#define VKC_API
#endif

/* Status codes. Numeric ranges say which phase failed (as VkFFT does):
 * -1..-19 caller's arguments, -20..-39 input data and files,
 * -40..-59 Vulkan and devices, -60.. the host. */
typedef enum vkc_status {
    VKC_OK = 0,
    VKC_ERROR_INVALID_ARGUMENT = -1,
    VKC_ERROR_UNSUPPORTED = -2,
    VKC_ERROR_FORMAT = -20,      /* a file or buffer is malformed */
    VKC_ERROR_NONFINITE = -21,   /* NaN or Inf in a tensor (error by default) */
    VKC_ERROR_MISMATCH = -22,    /* tensors, shapes or settings disagree */
    VKC_ERROR_NO_VULKAN = -40,   /* no Vulkan loader on this system */
    VKC_ERROR_NO_DEVICE = -41,   /* no (matching) Vulkan device */
    VKC_ERROR_VULKAN = -42,      /* a Vulkan call failed */
    VKC_ERROR_DEVICE_LOST = -43,
    VKC_ERROR_DEVICE_MEMORY = -44,
    VKC_ERROR_OUT_OF_MEMORY = -60, /* host memory */
    VKC_ERROR_IO = -61
} vkc_status;

VKC_API const char *vkc_status_name(vkc_status s);
VKC_API const char *vkc_version(void);

/* A message buffer for calls that have no context. */
typedef struct vkc_msg {
    char text[1024];
} vkc_msg;

/* ------------------------------------------------------------------------ */
/* Devices                                                                   */

typedef enum vkc_backend {
    VKC_BACKEND_AUTO = 0, /* Vulkan device by the default rule, else CPU */
    VKC_BACKEND_VULKAN,   /* a Vulkan device or an error */
    VKC_BACKEND_CPU       /* the native CPU backend */
} vkc_backend;

/* Optional device features vkcalib can use. Each has a fallback; masking
 * one (vkc_context_info.disable_features, or VKCALIB_DISABLE=subgroup,...)
 * forces the fallback, which is how tests cover it on lavapipe. */
enum {
    VKC_FEATURE_SUBGROUP_ARITHMETIC = 1u << 0,
    VKC_FEATURE_SHARED_HISTOGRAM = 1u << 1, /* workgroup-private histograms */
    VKC_FEATURE_TIMESTAMPS = 1u << 2,
    VKC_FEATURE_HOST_IMPORT = 1u << 3       /* VK_EXT_external_memory_host */
};

typedef struct vkc_device_caps {
    uint32_t index;              /* position in vkEnumeratePhysicalDevices */
    char name[256];
    VkPhysicalDeviceType type;
    uint32_t vendor_id, device_id;
    uint32_t driver_id;          /* VkDriverId, 0 when unknown */
    char driver_name[256];
    char driver_info[256];
    uint32_t api_version, driver_version;
    uint8_t uuid[16];
    uint32_t subgroup_size;
    uint32_t min_subgroup_size, max_subgroup_size;
    int subgroup_arithmetic;     /* compute stage supports subgroupAdd etc. */
    uint64_t max_storage_buffer_range;
    uint64_t min_storage_buffer_offset_alignment;
    uint32_t max_shared_memory;
    uint32_t max_workgroup_count[3];
    uint32_t max_workgroup_invocations;
    int timestamps;              /* compute queue supports timestamps */
    int host_import;             /* VK_EXT_external_memory_host offered */
    uint64_t min_imported_host_pointer_alignment;
    float timestamp_period_ns;
    uint32_t heap_count;
    uint64_t heap_size[16];
    int heap_device_local[16];
    int is_default;              /* chosen by the default rule */
} vkc_device_caps;

/* Enumerates Vulkan devices. *count in: capacity of caps, out: devices found.
 * VKC_ERROR_NO_VULKAN when no loader exists. */
VKC_API vkc_status vkc_enumerate_devices(vkc_device_caps *caps, uint32_t *count, vkc_msg *msg);

/* ------------------------------------------------------------------------ */
/* Context                                                                   */

typedef struct vkc_context vkc_context;

/* Zero value means defaults. */
typedef struct vkc_context_info {
    vkc_backend backend;
    /* Device selector: index ("0"), UUID ("6d657361-..."), or a name
     * substring ("llvmpipe"). NULL: the VKCALIB_DEVICE environment variable,
     * else the default rule (discrete, integrated, virtual; CPU Vulkan
     * devices only when named). */
    const char *device;
    int validate;                /* enable the Khronos validation layer; also VKCALIB_VALIDATE=1 */
    uint32_t disable_features;   /* VKC_FEATURE_* to mask */
    uint64_t max_chunk_bytes;    /* cap on one dispatch's input (tests); 0 = device limit */
    uint32_t cpu_threads;        /* CPU backend threads; 0 = online processors */

    /* Borrowing: set all four to run on the application's device. The
     * application keeps ownership and must keep them alive until
     * vkc_context_destroy. The queue must support compute. */
    VkInstance instance;
    VkPhysicalDevice physical_device;
    VkDevice device_handle;
    VkQueue queue;
    uint32_t queue_family;
    /* Set when the borrowed device was created with
     * VK_EXT_external_memory_host enabled: host arrays are then imported
     * rather than copied. */
    int external_memory_host;
} vkc_context_info;

VKC_API vkc_status vkc_context_create(const vkc_context_info *info, vkc_context **out, vkc_msg *msg);
VKC_API void vkc_context_destroy(vkc_context *ctx);
VKC_API const char *vkc_context_error(const vkc_context *ctx);
/* "cpu" or the Vulkan device name. */
VKC_API const char *vkc_context_device_name(const vkc_context *ctx);
VKC_API int vkc_context_is_cpu(const vkc_context *ctx);
VKC_API const vkc_device_caps *vkc_context_caps(const vkc_context *ctx); /* NULL on CPU */
/* Validation messages counted so far (0 when validation is off). */
VKC_API void vkc_context_validation_counts(const vkc_context *ctx, uint32_t *warnings, uint32_t *errors);
/* Dispatches recorded since creation; lets tests check batching. */
VKC_API uint64_t vkc_context_dispatch_count(const vkc_context *ctx);
/* GPU time of the last pass in nanoseconds from timestamp queries; 0 when
 * unavailable. */
VKC_API double vkc_context_last_gpu_ns(const vkc_context *ctx);

/* ------------------------------------------------------------------------ */
/* Range statistics                                                          */

/* Accumulated over calls; zero-initialise before the first. min and max use
 * the IEEE total order of finite values (-0 < +0). With count == 0, min, max
 * and absmax read 0. */
typedef struct vkc_stats {
    float min, max, absmax;
    uint64_t count;      /* finite elements */
    uint64_t zeros;      /* elements equal to +0 or -0 */
    uint64_t nan, pos_inf, neg_inf;
} vkc_stats;

VKC_API vkc_status vkc_range_f32(vkc_context *ctx, const float *x, uint64_t n, vkc_stats *acc);
/* Adds b into a, as if both had seen every element. */
VKC_API void vkc_stats_merge(vkc_stats *a, const vkc_stats *b);

/* ------------------------------------------------------------------------ */
/* Histograms                                                                */

typedef enum vkc_hist_kind {
    VKC_HIST_ABS = 0,   /* bins of |x| over [0, hi] */
    VKC_HIST_SIGNED = 1 /* bins of x over [lo, hi] */
} vkc_hist_kind;

/* Histogram geometry. inv = (float)bins / (hi - lo) in float32; bin of x is
 * min((uint32)(t * inv), bins - 1) with t = |x| or x - lo (t < 0 -> bin 0),
 * one float32 multiply. NaN and Inf are never binned. A width below 2^-100
 * puts every value in bin 0 (see README: exactness). */
typedef struct vkc_hist_spec {
    vkc_hist_kind kind;
    uint32_t bins;
    float lo, hi;
} vkc_hist_spec;

VKC_API float vkc_hist_inv(const vkc_hist_spec *spec);

/* Adds the histogram of x to counts[spec->bins] (uint64, accumulated). */
VKC_API vkc_status vkc_histogram_f32(vkc_context *ctx, const float *x, uint64_t n,
                                     const vkc_hist_spec *spec, uint64_t *counts);

/* Element types of activations. 16-bit values are widened to float32
 * exactly before binning, so a float16 tensor gets the same statistics and
 * histogram as its float32 copy. */
typedef enum vkc_dtype {
    VKC_DTYPE_F32 = 0,
    VKC_DTYPE_F16 = 1, /* IEEE binary16 */
    VKC_DTYPE_BF16 = 2 /* bfloat16: the top 16 bits of a float32 */
} vkc_dtype;

/* Bytes per element (4 or 2); 0 for an unknown dtype. */
VKC_API uint32_t vkc_dtype_size(vkc_dtype t);

/* Host arrays of any vkc_dtype (x holds n elements, aligned to the element
 * size). On a device that offers VK_EXT_external_memory_host, arrays of 1 MiB
 * and more are imported and read in place instead of being copied to a
 * staging buffer (VKC_FEATURE_HOST_IMPORT masks it); the results are the same
 * either way, and nothing refers to x after the call returns. */
VKC_API vkc_status vkc_range_host(vkc_context *ctx, const void *x, uint64_t n, vkc_dtype dtype, vkc_stats *acc);
VKC_API vkc_status vkc_histogram_host(vkc_context *ctx, const void *x, uint64_t n, vkc_dtype dtype,
                                      const vkc_hist_spec *spec, uint64_t *counts);

/* A tensor in the application's VkBuffer: count elements of dtype starting
 * offset bytes into buffer. The buffer must live on the context's device
 * and have VK_BUFFER_USAGE_STORAGE_BUFFER_BIT. offset must be a multiple of
 * the element size (no other alignment). The shaders read whole 32-bit
 * words, so for 16-bit types the VkBuffer's size must reach the next
 * multiple of 4 bytes after the last element: a buffer created for exactly
 * an odd number of float16 values needs 2 bytes of padding. */
typedef struct vkc_buffer_view {
    VkBuffer buffer;
    VkDeviceSize offset;
    uint64_t count;
    vkc_dtype dtype;
} vkc_buffer_view;

/* Device-side inputs, read in place (no copy), submitted on the context's
 * queue; the call waits for its own work. So:
 *   - the application's writes to the buffer must be complete before the
 *     call (their submission waited for with a fence, or vkQueueWaitIdle);
 *   - with VK_SHARING_MODE_EXCLUSIVE the buffer must be owned by the
 *     context's queue family (the family the application passed when
 *     borrowing); release/acquire it around the call otherwise;
 *   - the library only reads it, and holds no reference after returning.
 * Inputs larger than maxStorageBufferRange are read in chunks. Needs a
 * Vulkan context (VKC_ERROR_UNSUPPORTED on the CPU backend). */
VKC_API vkc_status vkc_range_buffer(vkc_context *ctx, const vkc_buffer_view *v, vkc_stats *acc);
VKC_API vkc_status vkc_histogram_buffer(vkc_context *ctx, const vkc_buffer_view *v, const vkc_hist_spec *spec,
                                        uint64_t *counts);

/* Recording into the application's command buffer, for applications that
 * want calibration inside their own submissions (after each inference
 * batch, say) with no extra queue submit or wait. A recorder holds one
 * tensor's accumulators on the device: range statistics, and a histogram
 * with 64-bit counters (folded from 32-bit ones after every dispatch, so
 * any number of values stays exact).
 *
 * Rules for vkc_record_range / vkc_record_histogram:
 *   - cmd is in the recording state, outside a render pass, allocated from
 *     the context's queue family (the queue_family of vkc_context_info) on
 *     its device;
 *   - the recorded commands begin with a global memory barrier (all earlier
 *     writes -> compute shader reads) and end with one (compute shader
 *     writes -> host reads; compute -> all later commands), so the
 *     application needs no barrier of its own around them;
 *   - they change the compute pipeline, descriptor set and push constant
 *     bindings of cmd: rebind yours afterwards;
 *   - every histogram recorded between two vkc_recorder_read calls must use
 *     the same spec (VKC_ERROR_MISMATCH otherwise);
 *   - submissions holding one recorder's commands run one after another:
 *     on one queue (the barriers reach across submissions there), or
 *     ordered by semaphores. Each submission adds its data, so a reusable
 *     command buffer may be submitted several times between reads.
 * vkc_recorder_read may only be called when every submission holding this
 * recorder's commands has completed (its fence waited for). It adds the
 * accumulated statistics to *acc and the counts to counts[spec.bins] (either
 * may be NULL), then resets the accumulators and frees the descriptor sets
 * of the commands recorded so far: those must not be submitted again. A
 * failed record call may leave part of its commands in cmd: discard that
 * command buffer. vkc_recorder_destroy comes after every submission holding
 * the recorder's commands has completed, and before vkc_context_destroy. A
 * recorder belongs to its context: the context's one-thread-at-a-time rule
 * covers both. */
typedef struct vkc_recorder vkc_recorder;
VKC_API vkc_status vkc_recorder_create(vkc_context *ctx, vkc_recorder **out);
VKC_API vkc_status vkc_record_range(vkc_recorder *r, VkCommandBuffer cmd, const vkc_buffer_view *v);
VKC_API vkc_status vkc_record_histogram(vkc_recorder *r, VkCommandBuffer cmd, const vkc_buffer_view *v,
                                        const vkc_hist_spec *spec);
VKC_API vkc_status vkc_recorder_read(vkc_recorder *r, vkc_stats *acc, uint64_t *counts);
VKC_API void vkc_recorder_destroy(vkc_recorder *r);

/* ------------------------------------------------------------------------ */
/* Quality measurement                                                       */

/* A quantizer: code = clamp(round_half_even(x / scale) + zero_point, qmin,
 * qmax), value = (code - zero_point) * scale. */
typedef struct vkc_quant {
    float scale;
    int32_t zero_point;
    int32_t qmin, qmax;
} vkc_quant;

/* Accumulated over calls; zero-initialise before the first. */
typedef struct vkc_quality {
    double signal;    /* sum of x^2 over finite values */
    double noise;     /* sum of (x - fakequant(x))^2 */
    uint64_t count;   /* finite values */
    uint64_t clipped; /* values whose code fell outside [qmin, qmax] */
} vkc_quality;

/* Fake-quantizes x at q and accumulates what SQNR needs (on the GPU when the
 * context has one). Sums are float32 per workgroup on the GPU, double on
 * the CPU: results agree to about 1e-6 relative, not bit for bit. */
VKC_API vkc_status vkc_measure_f32(vkc_context *ctx, const float *x, uint64_t n, const vkc_quant *q,
                                   vkc_quality *acc);
/* 10 log10(signal / noise); +inf for a lossless quantization. */
VKC_API double vkc_quality_sqnr_db(const vkc_quality *q);

/* ------------------------------------------------------------------------ */
/* Threshold search                                                          */

typedef enum vkc_method {
    VKC_METHOD_ENTROPY = 0,
    VKC_METHOD_PERCENTILE,
    VKC_METHOD_MSE,
    VKC_METHOD_MAX
} vkc_method;

typedef enum vkc_flavor {
    VKC_FLAVOR_MODELOPT = 0, /* threshold = bin edge i */
    VKC_FLAVOR_TENSORRT      /* threshold = (i + 0.5) * width */
} vkc_flavor;

typedef enum vkc_mode {
    VKC_MODE_SYMMETRIC = 0, /* [-T, T], int8, 128 levels */
    VKC_MODE_UNSIGNED,      /* [0, T], uint8, 256 levels */
    VKC_MODE_ASYMMETRIC,
    VKC_MODE_AUTO
} vkc_mode;

/* Zero value means defaults. */
typedef struct vkc_search_params {
    vkc_method method;
    vkc_flavor flavor;
    vkc_mode mode;
    uint32_t start_bin;  /* 0 -> 128 */
    uint32_t stride;     /* 0 -> 1 */
    double percentile;   /* 0 -> 99.99 */
} vkc_search_params;

/* A histogram of |x| over [0, range_max] supplied by the caller. */
typedef struct vkc_histogram {
    const uint64_t *counts;
    uint32_t bins;
    double range_max;
} vkc_histogram;

typedef struct vkc_search_result {
    uint32_t i;              /* chosen candidate (threshold bin edge) */
    double threshold;        /* amax */
    double kl;               /* divergence at i (entropy), error (MSE) */
    uint32_t candidates;     /* candidates evaluated */
    uint32_t inf_candidates; /* candidates with infinite divergence */
    uint32_t reevaluated;    /* candidates re-evaluated in double */
    int fallback;            /* 1: threshold fell back to range_max */
    char message[160];       /* why, when fallback */
} vkc_search_result;

/* Searches count histograms (on the GPU in one dispatch when the context
 * has a device; on the CPU otherwise). */
VKC_API vkc_status vkc_search(vkc_context *ctx, const vkc_histogram *hists, uint32_t count,
                              const vkc_search_params *params, vkc_search_result *results);

/* ------------------------------------------------------------------------ */
/* Streaming                                                                 */

/* Streaming histograms, for an application that sees each batch once.
 * The range is a power of two, 2^e >= the absmax seen so far (at least
 * 2^-90): it starts at the first batch's absmax rounded up to a power of
 * two, and when a batch exceeds it, it doubles as often as needed and the
 * bins merge 2:1, exactly (a bin's index halves exactly when the range
 * doubles). So the result equals a histogram of |x| built in one go over
 * the final range, whatever the batch order or size. Exact mode (two passes
 * over [0, absmax]) reproduces the reference; streaming trades that for one
 * pass, with a range up to twice the absmax. */
typedef struct vkc_stream vkc_stream;
VKC_API vkc_status vkc_stream_create(vkc_context *ctx, uint32_t bins, vkc_stream **out);
/* One batch: its range pass, then its histogram over the current range. */
VKC_API vkc_status vkc_stream_add_f32(vkc_stream *s, const float *x, uint64_t n);
/* The same for a host array of any vkc_dtype. */
VKC_API vkc_status vkc_stream_add(vkc_stream *s, const void *x, uint64_t n, vkc_dtype dtype);
/* The histogram so far: counts (bins values, owned by the stream, valid
 * until the next add), range_max = the current range; stats of every value
 * seen; how many times the range doubled. */
VKC_API void vkc_stream_result(const vkc_stream *s, vkc_histogram *h, vkc_stats *st, uint32_t *doublings);
VKC_API void vkc_stream_destroy(vkc_stream *s);

/* ------------------------------------------------------------------------ */
/* Output                                                                    */

/* Writes a TensorRT calibration cache atomically (temporary file, fsync,
 * rename): header TRT-<trt_version>-<algo> (0 and NULL mean 8601 and
 * EntropyCalibration2), then `name: <hex of float32 amax/127>` per tensor in
 * the given order. amax below 2^-24 (all-zero tensors) is raised to 2^-24;
 * NaN, infinite or negative amax is an error naming the tensor. */
VKC_API vkc_status vkc_write_trt_cache(const char *path, uint32_t trt_version, const char *algo,
                                       const char *const *names, const double *amax, size_t n, vkc_msg *msg);

#ifdef __cplusplus
}
#endif
#endif
