/*
 * vkcalib: INT8 activation calibration on any Vulkan device.
 *
 * This header is the whole public API, in the order of the data flow
 * (DESIGN.md §1): devices and contexts, the data passes, the threshold
 * searches, the range policy, the calibrator that ties them together, the
 * calibration documents it produces (TensorRT cache, JSON) and the state
 * files that split it over processes, then the readers of activation dumps
 * and the small utilities the command-line tool shares with embedders. It
 * is one file on purpose: an embedder includes one header, and the CLI and
 * the Python package (ctypes) are clients of exactly this text.
 *
 * Conventions:
 *   - The library never exits, aborts or prints. Every call that can fail
 *     returns a vkc_status; the message of the last failure is available
 *     from the object the call was made on (context, calibrator), or from
 *     the vkc_msg a context-free call was given.
 *   - Extensible structs begin with sType and pNext, as Vulkan's do. A
 *     zeroed struct is valid (sType 0 is accepted for the struct's own type)
 *     and means defaults; pNext must be NULL until an extension struct is
 *     defined (VKC_ERROR_UNSUPPORTED otherwise). Output structs get their
 *     sType set by the library; their pNext is left as the caller set it.
 *     Plain value types (vkc_stats, vkc_hist_spec, vkc_quant, ...) have no
 *     header: their layout is their meaning.
 *   - Enumerations use Vulkan's two-call pattern: a NULL array asks for the
 *     count; a short array is filled and VKC_INCOMPLETE says so.
 *   - Thread safety: a context, and everything created from it, is used by
 *     one thread at a time. Different contexts may be used concurrently.
 *
 * ABI: vkcalib is 0.x; 0.2 broke the ABI of 0.1 (sType/pNext headers, the
 * calibrator, two-call enumeration), and the SONAME says so
 * (libvkcalib.so.0.2).
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
#define VKC_VERSION_MINOR 2
#define VKC_VERSION_PATCH 0
#define VKC_VERSION_STRING "0.2.0"

#if defined(VKC_BUILDING_SHARED) && defined(__GNUC__)
#define VKC_API __attribute__((visibility("default")))
#else
#define VKC_API
#endif

/* Status codes. Numeric ranges say which phase failed (as VkFFT does):
 * -1..-19 caller's arguments, -20..-39 input data and files,
 * -40..-59 Vulkan and devices, -60.. the host. Positive codes are
 * successes with a remark. */
typedef enum vkc_status {
    VKC_OK = 0,
    VKC_INCOMPLETE = 1,          /* an enumeration filled a short array */
    VKC_ERROR_INVALID_ARGUMENT = -1,
    VKC_ERROR_UNSUPPORTED = -2,
    VKC_ERROR_WRONG_PASS = -3,   /* a calibrator call made in a pass that does not take it */
    VKC_ERROR_FORMAT = -20,      /* a file or buffer is malformed */
    VKC_ERROR_NONFINITE = -21,   /* NaN or Inf in a tensor (error by default) */
    VKC_ERROR_MISMATCH = -22,    /* tensors, shapes or settings disagree */
    VKC_ERROR_EMPTY = -23,       /* a tensor without a single finite value */
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

typedef enum vkc_structure_type {
    VKC_STRUCTURE_TYPE_UNSET = 0, /* accepted for any struct's own type */
    VKC_STRUCTURE_TYPE_DEVICE_CAPS = 1,
    VKC_STRUCTURE_TYPE_CONTEXT_INFO = 2,
    VKC_STRUCTURE_TYPE_SEARCH_PARAMS = 3,
    VKC_STRUCTURE_TYPE_SEARCH_RESULT = 4,
    VKC_STRUCTURE_TYPE_CALIBRATOR_INFO = 5,
    VKC_STRUCTURE_TYPE_TENSOR_RESULT = 6,
    VKC_STRUCTURE_TYPE_WRITE_INFO = 7,
    VKC_STRUCTURE_TYPE_CALIBRATION_SETTINGS = 8,
    VKC_STRUCTURE_TYPE_ONNX_OPEN_INFO = 9,
    VKC_STRUCTURE_TYPE_QDQ_INFO = 10,
    VKC_STRUCTURE_TYPE_QDQ_STATS = 11,
    VKC_STRUCTURE_TYPE_GUARD_INFO = 12,
    VKC_STRUCTURE_TYPE_TENSOR_SETTINGS = 13
} vkc_structure_type;

/* Frees memory the library returned to the caller (formatted text). */
VKC_API void vkc_free(void *p);

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
    vkc_structure_type sType;    /* VKC_STRUCTURE_TYPE_DEVICE_CAPS */
    void *pNext;
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

/* The Vulkan devices vkcalib can use, two-call style: caps NULL sets
 * *count to the number of devices; otherwise up to *count are filled,
 * *count is set to the number filled, and VKC_INCOMPLETE is returned when
 * more exist. A GPU that two drivers expose (the same deviceUUID twice:
 * a vendor driver and a Mesa one, an ICD listed twice) is listed once, as
 * the first physical device that has it, so that `--devices all` never
 * opens one GPU twice. VKC_ERROR_NO_VULKAN when no loader exists. */
VKC_API vkc_status vkc_enumerate_devices(vkc_device_caps *caps, uint32_t *count, vkc_msg *msg);

/* "6d657361-2033-2e31-..." (36 characters and a NUL). */
VKC_API void vkc_uuid_string(const uint8_t uuid[16], char out[37]);

/* ------------------------------------------------------------------------ */
/* Context                                                                   */

typedef struct vkc_context vkc_context;

/* Zero value means defaults. */
typedef struct vkc_context_info {
    vkc_structure_type sType;    /* VKC_STRUCTURE_TYPE_CONTEXT_INFO (or 0) */
    const void *pNext;           /* NULL */
    vkc_backend backend;
    /* Device selector: index ("0"), UUID ("6d657361-..."), or a name
     * substring ("llvmpipe"). NULL: the VKCALIB_DEVICE environment variable,
     * else the default rule (discrete, integrated, virtual; CPU Vulkan
     * devices only when named). */
    const char *device;
    int validate;                /* enable the Khronos validation layer; also VKCALIB_VALIDATE=1 */
    uint32_t disable_features;   /* VKC_FEATURE_* to mask */
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
    /* Optional, borrowed or owned alike: the application's pipeline cache
     * (vkcalib's pipelines are created through it, so a warm cache skips
     * shader compilation), and the loader entry point to use instead of
     * the system's libvulkan (an application with its own loader, or
     * MoltenVK linked statically). */
    VkPipelineCache pipeline_cache;
    PFN_vkGetInstanceProcAddr get_instance_proc_addr;
} vkc_context_info;

VKC_API vkc_status vkc_context_create(const vkc_context_info *info, vkc_context **out, vkc_msg *msg);
VKC_API void vkc_context_destroy(vkc_context *ctx);
VKC_API const char *vkc_context_error(const vkc_context *ctx);
/* "cpu" or the Vulkan device name. */
VKC_API const char *vkc_context_device_name(const vkc_context *ctx);
VKC_API int vkc_context_is_cpu(const vkc_context *ctx);
VKC_API const vkc_device_caps *vkc_context_caps(const vkc_context *ctx); /* NULL on CPU */
/* Validation messages counted so far (0 when validation is off), and the
 * first one ("" when none). */
VKC_API void vkc_context_validation_counts(const vkc_context *ctx, uint32_t *warnings, uint32_t *errors);
VKC_API const char *vkc_context_validation_first(const vkc_context *ctx);
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

/* The most bins any histogram the library searches, keeps or reads may have
 * (calibrator, vkc_search, streams, state files, JSON): one cap
 * everywhere, so a histogram one part accepts every other part takes. */
#define VKC_HIST_MAX_BINS 65536u

/* The kinds beyond ABS and SIGNED are the other tools' own binnings
 * (FLAVOURS.md), for their entropy flavours: each is its tool's formula
 * turned into an edge table on the host, looked up by comparison on every
 * backend, so every device bins exactly as the tool does. */
typedef enum vkc_hist_kind {
    VKC_HIST_ABS = 0,    /* bins of |x| over [0, hi] */
    VKC_HIST_SIGNED = 1, /* bins of x over [lo, hi] */
    VKC_HIST_NUMPY = 2,  /* x over [lo, hi] with numpy.histogram's float32 edges (mxnet, tvm, onnxruntime) */
    VKC_HIST_NCNN = 3,   /* |x| over [0, hi], a float32 divide then multiply, exact zeros not counted */
    VKC_HIST_MNN = 4,    /* |x| over [0, hi], values with |x| <= 1e-6 not counted */
    VKC_HIST_PADDLE = 5, /* |x| over [lo, hi] = [min|x|, max|x|], float64 edges */
    VKC_HIST_TORCH = 6   /* |x| over [lo, hi], torch.histc (PPQ) */
} vkc_hist_kind;
#define VKC_HIST_KIND_COUNT 7

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

/* Accumulated over calls with one quantizer; zero-initialise before the
 * first. The measurement works in the quantizer's steps: t = x * r with
 * r = 1/scale rounded to float32 once (a float32 multiply is exact to the
 * bit on every device; Vulkan allows division 2.5 ulp), code =
 * clamp(round_half_even(t), qmin - zp, qmax - zp), e = t - code, all in
 * float32; the squares t*t and e*e (float32, an infinite one counted as
 * FLT_MAX) are summed EXACTLY, as fixed-point integers with 32 fraction
 * bits (below 2^-32 truncated). So the sums, and SQNR, are the same bits on
 * every backend, whatever the order, the chunking and the number of calls. */
typedef struct vkc_quality {
    double signal;    /* sum of x^2 over finite values: sum t*t times scale^2 */
    double noise;     /* sum of (x - fakequant(x))^2: sum e*e times scale^2 */
    uint64_t count;   /* finite values */
    uint64_t clipped; /* values whose code fell outside [qmin, qmax] */
    /* The exact sums behind signal and noise: sum t*t in words 0..6, sum e*e
     * in words 7..13, each a 224-bit little-endian integer in units of
     * 2^-32 steps squared. */
    uint32_t exact[14];
    uint32_t scale_bits; /* the float32 bits of the scale of these sums (0 before the first call) */
} vkc_quality;

/* Fake-quantizes x at q and accumulates what SQNR needs (on the GPU when the
 * context has one), exactly (see vkc_quality): the same bits on every
 * backend. VKC_ERROR_MISMATCH when acc holds sums of another scale. */
VKC_API vkc_status vkc_measure_f32(vkc_context *ctx, const float *x, uint64_t n, const vkc_quant *q,
                                   vkc_quality *acc);
/* The same for a host array of any vkc_dtype (16-bit values widened
 * exactly first). */
VKC_API vkc_status vkc_measure_host(vkc_context *ctx, const void *x, uint64_t n, vkc_dtype dtype, const vkc_quant *q,
                                    vkc_quality *acc);
/* An estimate from a histogram, with no pass over the data: of |x| over
 * [0, spec->hi] (VKC_HIST_ABS) or of x over [spec->lo, spec->hi]
 * (VKC_HIST_SIGNED); every value at the centre of its bin, the exact zeros
 * (zeros of them, taken out of the bin that holds 0) at 0. Exact up to the
 * bin width; what `report` shows from a JSON and what the quality guards
 * compare. Replaces *out. */
VKC_API vkc_status vkc_quality_estimate(const uint64_t *counts, const vkc_hist_spec *spec, uint64_t zeros,
                                        const vkc_quant *q, vkc_quality *out);
/* 10 log10(signal / noise) (from the exact sums when acc has them); +inf
 * for a lossless quantization. */
VKC_API double vkc_quality_sqnr_db(const vkc_quality *q);

/* ------------------------------------------------------------------------ */
/* Threshold search                                                          */

typedef enum vkc_method {
    VKC_METHOD_ENTROPY = 0,
    VKC_METHOD_PERCENTILE,
    VKC_METHOD_MSE,
    VKC_METHOD_MAX
} vkc_method;

/* Whose entropy: NVIDIA's (modelopt, tensorrt: DESIGN.md §2), or another
 * tool's, reproduced in that tool's own arithmetic with its own histogram,
 * candidates, tie rule and threshold convention (FLAVOURS.md). A tool's
 * flavour brings its defaults (bins, levels, histogram kind): a zero bins
 * setting takes them. The tools' flavours define the entropy method. */
typedef enum vkc_flavor {
    VKC_FLAVOR_MODELOPT = 0,      /* threshold = bin edge i */
    VKC_FLAVOR_TENSORRT = 1,      /* threshold = (i + 0.5) * width */
    VKC_FLAVOR_MXNET = 2,         /* MXNet >= 1.6 (C++ op): 8001 bins of x, 255 levels, float32 */
    VKC_FLAVOR_MXNET_UINT8 = 3,   /* the same with 511 levels and [0, T] where min >= 0 */
    VKC_FLAVOR_MXNET15 = 4,       /* MXNet 1.5.1 (Python): numpy/scipy float32 */
    VKC_FLAVOR_MXNET15_UINT8 = 5,
    VKC_FLAVOR_TVM = 6,           /* TVM's MinimizeKL (a port of MXNet's op) */
    VKC_FLAVOR_ORT = 7,           /* ONNX Runtime's HistogramCollector: 128 bins, 128 levels, a range */
    VKC_FLAVOR_ORT_2048 = 8,      /* ... with 2048 bins */
    VKC_FLAVOR_ORT_8001 = 9,      /* ... with 8001 bins and 255 levels */
    VKC_FLAVOR_NCNN = 10,         /* ncnn2table's KL: 2048 bins of |x|, fractional levels */
    VKC_FLAVOR_NCNN_ACIQ = 11,    /* ncnn2table's ACIQ: a Gaussian clip of absmax and the image size */
    VKC_FLAVOR_MNN = 12,          /* MNN TensorStatistic: float counts from 1e-7 */
    VKC_FLAVOR_PADDLE = 13,       /* Paddle cal_kl_threshold: a grid over [min|x|, max|x|], double */
    VKC_FLAVOR_PPQ = 14           /* PPQ's torch observer: 4096 bins, double */
} vkc_flavor;
#define VKC_FLAVOR_COUNT 15

typedef enum vkc_mode {
    VKC_MODE_SYMMETRIC = 0, /* [-T, T], int8, 128 levels */
    VKC_MODE_UNSIGNED,      /* [0, T], uint8, 256 levels */
    VKC_MODE_ASYMMETRIC,    /* [lo, hi] with a zero point: every window of a histogram of x */
    VKC_MODE_AUTO           /* unsigned where the tensor is never negative, else symmetric */
} vkc_mode;

/* Names as the CLI and the JSON use them ("entropy", "symmetric",
 * "modelopt", ...); "unknown" for values outside the enum. The parsers take
 * exactly those names and return 1, else 0 (leaving *out alone). */
VKC_API const char *vkc_method_name(vkc_method m);
VKC_API int vkc_method_parse(const char *s, vkc_method *out);
VKC_API const char *vkc_mode_name(vkc_mode m);
VKC_API int vkc_mode_parse(const char *s, vkc_mode *out);
VKC_API const char *vkc_flavor_name(vkc_flavor f);
VKC_API int vkc_flavor_parse(const char *s, vkc_flavor *out);

/* Zero value means defaults. */
typedef struct vkc_search_params {
    vkc_structure_type sType; /* VKC_STRUCTURE_TYPE_SEARCH_PARAMS (or 0) */
    const void *pNext;        /* NULL */
    vkc_method method;
    vkc_flavor flavor;
    vkc_mode mode;            /* symmetric, unsigned or asymmetric (auto is the calibrator's) */
    uint32_t start_bin;       /* 0 -> 128: first candidate bin, or the narrowest window */
    uint32_t stride;          /* 0 -> 1 */
    double percentile;        /* 0 -> 99.99 */
} vkc_search_params;

/* A histogram supplied by the caller: counts of |x| over [0, range_max]
 * (kind VKC_HIST_ABS: the symmetric and unsigned searches), or of x over
 * [range_min, range_max] (kind VKC_HIST_SIGNED: the two-sided searches of
 * mode asymmetric, DESIGN.md §3). */
typedef struct vkc_histogram {
    const uint64_t *counts;
    uint32_t bins;
    double range_max;
    vkc_hist_kind kind;
    double range_min;         /* VKC_HIST_SIGNED only */
} vkc_histogram;

typedef struct vkc_search_result {
    vkc_structure_type sType;   /* VKC_STRUCTURE_TYPE_SEARCH_RESULT */
    void *pNext;
    uint32_t i;                 /* chosen candidate (threshold bin edge); window end b */
    uint32_t window_a, window_b;/* two-sided: the chosen window of bins a..b-1 */
    double threshold;           /* amax; two-sided: the range's upper end */
    double lo, hi;              /* the range found, before the range policy: [-T, T],
                                   [0, T], or the window's (MSE: widened to 0) */
    double kl;                  /* divergence at i (entropy), error (MSE) */
    uint64_t candidates;        /* candidates (windows) evaluated */
    uint64_t inf_candidates;    /* candidates with infinite divergence */
    uint64_t reevaluated;       /* candidates re-evaluated in double */
    int fallback;               /* 1: threshold fell back to the histogram's range */
    int tool_warning;           /* 1: a tool's flavour where the tool itself would crash, give
                                   NaN, 0 or inf, or choose otherwise (message says what it does) */
    char message[256];          /* why, when fallback or tool_warning */
} vkc_search_result;

/* Searches count histograms (on the GPU in one dispatch when the context
 * has a device; on the CPU otherwise). The tools' flavours (mxnet ...
 * ppq) need each tensor's statistics and their own histogram kinds: they
 * run through the calibrator (VKC_ERROR_UNSUPPORTED here). Mode asymmetric takes
 * VKC_HIST_SIGNED histograms and the methods entropy, mse and max, and
 * searches every window exhaustively (one dispatch per histogram); the
 * other modes take VKC_HIST_ABS ones. */
VKC_API vkc_status vkc_search(vkc_context *ctx, const vkc_histogram *hists, uint32_t count,
                              const vkc_search_params *params, vkc_search_result *results);

/* The entropy search's divergence at every candidate i = first, first +
 * stride, ... (+inf for infinite candidates, NaN for an empty histogram),
 * for plots: about 1e-12 from the reference. Two-call: values NULL sets
 * *count; otherwise up to *count are written (VKC_INCOMPLETE when more
 * exist). *first (may be NULL) gets the first candidate. Symmetric and
 * unsigned modes, method entropy. */
VKC_API vkc_status vkc_search_curve(const vkc_histogram *h, const vkc_search_params *params, double *values,
                                    uint32_t *count, uint32_t *first, vkc_msg *msg);

/* ------------------------------------------------------------------------ */
/* Range policy (DESIGN.md §3)                                               */

/* The smallest amax written anywhere (2^-24, the smallest float16
 * subnormal): an all-zero tensor would otherwise get scale 0. */
#define VKC_AMAX_FLOOR (1.0 / 16777216.0)

/* A calibrated range as scale and zero point. Dequantization is x =
 * (q - zero_point) * scale with q in [-128, 127] (int8) or [0, 255]
 * (uint8). Symmetric: [-T, T] with T = max(|lo|, |hi|), scale T/127, the
 * narrow codes -127..127 (as TensorRT). Unsigned: [0, hi], scale hi/255,
 * uint8. Asymmetric: [min(lo,0), max(hi,0)], scale (hi-lo)/255, zero point
 * round(-lo/scale) - 128. Auto: unsigned when lo >= 0, else symmetric. A
 * range narrower than VKC_AMAX_FLOOR is widened to it (floored = 1). */
typedef struct vkc_qparams {
    double lo, hi;       /* the range represented, after widening and the floor */
    double scale;        /* > 0, finite */
    int32_t zero_point;  /* 0 except asymmetric; in [-128, 127] */
    int is_unsigned;     /* int type: 0 int8, 1 uint8 */
    vkc_mode mode;       /* the mode applied: never VKC_MODE_AUTO */
    int floored;         /* 1 when the floor widened the range */
} vkc_qparams;

/* VKC_ERROR_INVALID_ARGUMENT for NaN or infinite ends, lo > hi, lo < 0 in
 * unsigned mode, an unknown mode, or a range whose scale overflows. */
VKC_API vkc_status vkc_qparams_from_range(vkc_mode mode, double lo, double hi, vkc_qparams *out, vkc_msg *msg);
/* The integer grid of q: codes [-127, 127] symmetric, [0, 255] unsigned,
 * [-128, 127] asymmetric. */
VKC_API vkc_quant vkc_quant_of(const vkc_qparams *q);
/* The symmetric envelope max(|lo|, |hi|) of q (q->hi when symmetric): what a
 * symmetric-only format (a TensorRT cache) can hold. */
VKC_API double vkc_qparams_amax(const vkc_qparams *q);

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
/* The calibrator: the whole calibration of DESIGN.md §1 as one object       */

/* A calibrator holds the tensors of one calibration set and takes their
 * values pass by pass:
 *
 *   exact (default)  VKC_PASS_RANGE      min, max, absmax, NaN/Inf counts
 *                    VKC_PASS_HISTOGRAM  counts over each tensor's range
 *                    [VKC_PASS_MEASURE]  fake-quantized SQNR (info.measure)
 *   streaming        VKC_PASS_STREAM     one pass, a doubling range
 *                    [VKC_PASS_MEASURE]
 *   then             VKC_PASS_DONE       results
 *
 * The application asks vkc_calibrator_pass() which pass is wanted, feeds
 * every batch of every tensor (in any order, in pieces of any size: the
 * result does not depend on either), then calls vkc_calibrator_end_pass().
 * Ending the range pass applies the NaN/Inf policy, resolves mode auto per
 * tensor and fixes each histogram's geometry; ending the histogram (or
 * stream) pass runs the searches (each mode's tensors in one dispatch) and
 * the range policy. An exact calibration needs the data twice: when
 * info.memory_budget is large enough to keep every host array fed in the
 * range pass, the calibrator keeps copies and runs the histogram pass
 * itself, so ending the range pass goes straight on (to VKC_PASS_MEASURE
 * or VKC_PASS_DONE) and the data is read once.
 *
 * Errors leave the calibrator in the pass it was in; the message is
 * vkc_calibrator_error(), and vkc_calibrator_failed_tensor() names the
 * tensor it concerns (UINT32_MAX when none). A NaN or Inf with nonfinite
 * VKC_NONFINITE_ERROR is VKC_ERROR_NONFINITE at the end of the range (or
 * stream) pass, naming the tensor and the counts; a tensor with no finite
 * value is VKC_ERROR_EMPTY; a histogram pass that saw another number of
 * finite values than the range pass (other data fed, or a state file whose
 * histograms are not the merge of every shard) is VKC_ERROR_MISMATCH at
 * its end, naming the tensor. Streaming ranges are powers of two: a
 * threshold beyond the data's absmax (max, or a search that kept every
 * bin) is clamped to the absmax. */
typedef struct vkc_calibrator vkc_calibrator;

typedef enum vkc_nonfinite {
    VKC_NONFINITE_ERROR = 0,  /* NaN or Inf in a tensor is an error */
    VKC_NONFINITE_EXCLUDE = 1 /* they are counted, then left out */
} vkc_nonfinite;

typedef enum vkc_range_kind {
    VKC_RANGE_EXACT = 0,      /* a range pass, then histograms over [0, absmax] */
    VKC_RANGE_STREAMING = 1   /* one pass, a power-of-two range (vkc_stream) */
} vkc_range_kind;

/* The order of a 4-D activation's dimensions, where a flavour needs H and
 * W (mnn: a tensor with H * W < 100 takes its max). 2-D [N, C]: H = W = 1. */
typedef enum vkc_layout { VKC_LAYOUT_NCHW = 0, VKC_LAYOUT_NHWC = 1 } vkc_layout;

typedef enum vkc_pass {
    VKC_PASS_RANGE = 1,
    VKC_PASS_HISTOGRAM = 2,
    VKC_PASS_STREAM = 3,
    VKC_PASS_MEASURE = 4,
    VKC_PASS_DONE = 5
} vkc_pass;

/* Zero value means defaults: entropy, symmetric, modelopt, 2048 bins, start
 * bin 128, stride 1, percentile 99.99, NaN is an error, exact range, no
 * measure pass, no data kept. */
typedef struct vkc_calibrator_info {
    vkc_structure_type sType; /* VKC_STRUCTURE_TYPE_CALIBRATOR_INFO (or 0) */
    const void *pNext;        /* NULL */
    vkc_method method;
    vkc_mode mode;
    vkc_flavor flavor;
    uint32_t bins;            /* 0 -> 2048; at most 65536 */
    uint32_t start_bin;       /* 0 -> 128 */
    uint32_t stride;          /* 0 -> 1 */
    double percentile;        /* 0 -> 99.99; (0, 100], at most 4 decimals */
    vkc_nonfinite nonfinite;
    vkc_range_kind range;
    int measure;              /* 1: a measure pass after the search */
    uint64_t memory_budget;   /* bytes of host arrays the range pass may keep */
    vkc_layout layout;        /* which dimensions of a shape are H and W (flavour mnn) */
} vkc_calibrator_info;

/* Quality guards (an extension of vkc_calibrator_info: chain it to
 * info.pNext). After the search, every tensor's chosen range is judged on
 * its histogram, at no extra pass over the data (vkc_quality_estimate):
 *   - VKC_WARNING_CLIPPED when it clips more than max_clipped of the
 *     tensor's finite values;
 *   - VKC_WARNING_LOW_SQNR when its estimated SQNR lies more than
 *     max_sqnr_gap_db below the best of the other methods (both taken up to
 *     20 log10(bins) dB, what a histogram of that many bins resolves with
 *     every value at its bin's centre), searched on the
 *     same histogram in the tensor's mode (methods: a mask of 1 << method;
 *     the default compares with max and percentile, O(bins) each, and with
 *     max alone for asymmetric ranges; entropy and MSE on request, at the
 *     cost of their searches: an entropy search per tensor, seconds for a
 *     large model on a CPU, and for two-sided ones seconds per tensor).
 * The numbers are in each vkc_tensor_result's guard (VKC_RESULT_GUARD). The
 * default (no vkc_guard_info, or zero fields): 1% clipped, 6 dB (one bit),
 * guards on. Guards only warn; a caller that wants them fatal checks the
 * bits. */
typedef struct vkc_guard_info {
    vkc_structure_type sType;  /* VKC_STRUCTURE_TYPE_GUARD_INFO (or 0) */
    const void *pNext;         /* NULL */
    int disable;               /* 1: no guards (no VKC_RESULT_GUARD) */
    double max_clipped;        /* share in (0, 1]; 0 -> 0.01; 1: never flags */
    double max_sqnr_gap_db;    /* dB > 0; 0 -> 6; INFINITY: never flags */
    uint32_t methods;          /* 1 << vkc_method of the methods compared; 0 -> the default above */
} vkc_guard_info;

#define VKC_GUARD_DEFAULT_MAX_CLIPPED 0.01
#define VKC_GUARD_DEFAULT_SQNR_GAP_DB 6.0

VKC_API vkc_status vkc_calibrator_create(vkc_context *ctx, const vkc_calibrator_info *info, vkc_calibrator **out);
VKC_API void vkc_calibrator_destroy(vkc_calibrator *c);
VKC_API const char *vkc_calibrator_error(const vkc_calibrator *c);
VKC_API uint32_t vkc_calibrator_failed_tensor(const vkc_calibrator *c);
VKC_API vkc_pass vkc_calibrator_pass(const vkc_calibrator *c);
VKC_API const vkc_calibrator_info *vkc_calibrator_settings(const vkc_calibrator *c); /* defaults filled in */

/* Tensors, in the order of their first mention (the order of every
 * output). vkc_calibrator_tensor returns the index of name, declaring it in
 * the first pass (VKC_ERROR_WRONG_PASS for a new name later). Names are any
 * non-empty byte strings without NUL. */
VKC_API vkc_status vkc_calibrator_tensor(vkc_calibrator *c, const char *name, uint32_t *index);
VKC_API uint32_t vkc_calibrator_find(const vkc_calibrator *c, const char *name); /* UINT32_MAX: none */
/* The shape of one batch of tensor t (dims[0] the batch), in the first
 * pass, for the flavours that look at it: ncnn-aciq needs the elements of
 * one image (dims[1] * ... * dims[ndim-1], required), mnn the tensor's H * W
 * (info.layout says which dimensions those are). At most 8 dimensions. */
VKC_API vkc_status vkc_calibrator_set_shape(vkc_calibrator *c, uint32_t t, uint32_t ndim, const uint64_t *dims);
VKC_API uint32_t vkc_calibrator_tensor_count(const vkc_calibrator *c);
VKC_API const char *vkc_calibrator_tensor_name(const vkc_calibrator *c, uint32_t t);

/* Per-tensor settings, made in the first pass (range or stream;
 * VKC_ERROR_WRONG_PASS later), before the tensor's data ends that pass:
 * another method or mode than the calibrator's for tensor t, or leaving it
 * out. fields says which members apply; the others keep the calibrator's.
 * The same rules hold as for the calibrator's own settings (mode
 * asymmetric: not with percentile nor a streaming range; mode unsigned: the
 * tensor must never be negative, checked at the end of the range pass).
 * A skipped tensor stays declared (its index is valid, feeding it is
 * accepted and ignored) but has no result: the calibration documents leave
 * it out. Skipping is allowed in the range pass up to its end, so that a
 * caller whose vkc_calibrator_end_pass failed with VKC_ERROR_EMPTY for a
 * tensor may skip it and end the pass again. Calibrators that share work
 * (merge, adopt) need the same per-tensor settings. */
enum {
    VKC_TENSOR_SET_METHOD = 1u << 0,
    VKC_TENSOR_SET_MODE = 1u << 1,
    VKC_TENSOR_SET_SKIP = 1u << 2
};
typedef struct vkc_tensor_settings {
    vkc_structure_type sType;  /* VKC_STRUCTURE_TYPE_TENSOR_SETTINGS (or 0) */
    const void *pNext;         /* NULL */
    uint32_t fields;           /* VKC_TENSOR_SET_* */
    vkc_method method;
    vkc_mode mode;             /* auto allowed: resolved for this tensor */
    int skip;                  /* 1: no result for this tensor */
} vkc_tensor_settings;
VKC_API vkc_status vkc_calibrator_set_tensor(vkc_calibrator *c, uint32_t t, const vkc_tensor_settings *s);
/* Tensor t's settings in force (the calibrator's where not set), with every
 * field set; 0 for an unknown tensor. */
VKC_API int vkc_calibrator_get_tensor(const vkc_calibrator *c, uint32_t t, vkc_tensor_settings *out);

/* Feeding tensor t in the current pass: a host array (any vkc_dtype, aligned
 * to its element size; see vkc_range_host), an application's VkBuffer read
 * in place (vkc_range_buffer's rules), or commands recorded into the
 * application's command buffer (vkc_recorder's rules; the calibrator reads
 * its recorders when the pass ends, so every submission holding them must
 * have completed by then). Buffers and recording serve the range and
 * histogram passes; the stream and measure passes take host arrays. */
VKC_API vkc_status vkc_calibrator_feed(vkc_calibrator *c, uint32_t t, const void *x, uint64_t n, vkc_dtype dtype);
VKC_API vkc_status vkc_calibrator_feed_buffer(vkc_calibrator *c, uint32_t t, const vkc_buffer_view *v);
VKC_API vkc_status vkc_calibrator_record(vkc_calibrator *c, uint32_t t, VkCommandBuffer cmd,
                                         const vkc_buffer_view *v);
VKC_API vkc_status vkc_calibrator_end_pass(vkc_calibrator *c);

/* Exact reductions across calibrators (devices in one process) and
 * processes. Calibrators that share the work must be created with the same
 * info and declare the same tensors in the same order.
 *   - vkc_calibrator_merge adds src's data of the current pass into dst
 *     (both in the same pass, before it ends): statistics merge as if one
 *     calibrator had seen both shares, counts add. src's recordings are
 *     read first (their submissions must have completed), and src keeps
 *     what it had.
 *   - vkc_calibrator_adopt gives dst the state src reached by ending a pass
 *     (its pass, each tensor's statistics, mode and histogram geometry),
 *     with empty accumulators: after the range pass ended on the merged
 *     calibrator, the others adopt it and histogram their own shares.
 *   - vkc_calibrator_stats / vkc_calibrator_counts expose tensor t's
 *     accumulators in the range (stream) and histogram passes, for
 *     reductions the application makes itself (MPI): the pointers stay
 *     valid until the pass ends; NULL in other passes. */
VKC_API vkc_status vkc_calibrator_merge(vkc_calibrator *dst, vkc_calibrator *src);
VKC_API vkc_status vkc_calibrator_adopt(vkc_calibrator *dst, const vkc_calibrator *src);
VKC_API vkc_stats *vkc_calibrator_stats(vkc_calibrator *c, uint32_t t);
VKC_API uint64_t *vkc_calibrator_counts(vkc_calibrator *c, uint32_t t, uint32_t *bins);

/* State files (.vkch): what a pass accumulated, saved before it ends (range
 * pass: statistics; histogram pass: statistics and counts), so that shards
 * calibrated anywhere merge exactly (vkc_state_merge_files). Loading a
 * range state into a calibrator in its range pass ends that pass with the
 * file's statistics (the calibrator takes the file's bin count and
 * non-finite policy; tensors it declared must all be in the file, in any
 * order, and the file may not hold others; with none declared it takes the
 * file's). With want VKC_PASS_HISTOGRAM the file must be a histogram state
 * (VKC_ERROR_WRONG_PASS for a range state): its counts fill the histogram
 * pass, which is left to be ended. Histogram states hold histograms of
 * |x|: modes symmetric, unsigned and auto. */
VKC_API vkc_status vkc_calibrator_save_state(vkc_calibrator *c, const char *path);
VKC_API vkc_status vkc_calibrator_load_state(vkc_calibrator *c, const char *path, vkc_pass want);
/* Adds n state files of one round into out (written atomically); they must
 * agree on round, bins, non-finite policy, tensors and (histogram round)
 * ranges. One file given twice (the same device and inode) is refused, as
 * are counts that would overflow 64 bits (VKC_ERROR_MISMATCH). */
VKC_API vkc_status vkc_state_merge_files(const char *const *paths, uint32_t n, const char *out, vkc_msg *msg);

/* ------------------------------------------------------------------------ */
/* Calibration results and the files that hold them                          */

typedef struct vkc_calibration vkc_calibration;

typedef enum vkc_int_type { VKC_INT8 = 0, VKC_UINT8 = 1 } vkc_int_type;

typedef enum vkc_calibration_source {
    VKC_SOURCE_CALIBRATOR = 0, /* computed here */
    VKC_SOURCE_JSON = 1,       /* read from a vkcalib calibration JSON */
    VKC_SOURCE_TRT_CACHE = 2,  /* read from a TensorRT calibration cache */
    VKC_SOURCE_STATE_RANGE = 3,    /* a range-round state file (.vkch): statistics only */
    VKC_SOURCE_STATE_HISTOGRAM = 4 /* a histogram-round state file: statistics and histograms of |x| */
} vkc_calibration_source;

/* What a tensor result should make its reader look twice at. */
enum {
    VKC_WARNING_NONFINITE_EXCLUDED = 1u << 0, /* NaN/Inf values left out (stats count them) */
    VKC_WARNING_FLOORED = 1u << 1,            /* range raised to VKC_AMAX_FLOOR (an all-zero tensor) */
    VKC_WARNING_FALLBACK = 1u << 2,           /* the search fell back to the full range (search.message) */
    VKC_WARNING_TOOL = 1u << 3,               /* a tool's flavour: the tool itself would crash, give NaN,
                                                 0 or inf, or choose otherwise (search.message) */
    VKC_WARNING_CLIPPED = 1u << 4,            /* guard: clips more than max_clipped of the values (guard) */
    VKC_WARNING_LOW_SQNR = 1u << 5            /* guard: SQNR far below another method's (guard) */
};

/* Which parts of a tensor result are known (a TensorRT cache holds scales
 * only). */
enum {
    VKC_RESULT_RANGE = 1u << 0,     /* threshold, lo, hi, scale, zero point, int type */
    VKC_RESULT_STATS = 1u << 1,     /* stats */
    VKC_RESULT_SEARCH = 1u << 2,    /* method, search (i, window, kl, fallback) and spec */
    VKC_RESULT_HISTOGRAM = 1u << 3, /* counts */
    VKC_RESULT_QUALITY = 1u << 4,   /* quality, from a measure pass */
    VKC_RESULT_GUARD = 1u << 5      /* guard, the quality guards' numbers */
};

/* What the quality guards found for one tensor (vkc_guard_info), all
 * estimated from its histogram. */
typedef struct vkc_guard {
    double clipped;           /* share of the finite values outside the range */
    double sqnr_db;           /* SQNR at the range */
    double best_sqnr_db;      /* the best of the other methods' (NaN when none was compared) */
    vkc_method best_method;   /* which method that is */
    double best_lo, best_hi;  /* and its range */
    double max_clipped, max_sqnr_gap_db; /* the limits applied */
} vkc_guard;

typedef struct vkc_tensor_result {
    vkc_structure_type sType;   /* VKC_STRUCTURE_TYPE_TENSOR_RESULT */
    void *pNext;
    const char *name;
    uint32_t fields;            /* VKC_RESULT_* */
    uint32_t warnings;          /* VKC_WARNING_* */
    vkc_method method;
    vkc_mode mode;              /* as applied: never auto */
    vkc_int_type int_type;
    double threshold;           /* the search's threshold (two-sided: the upper end) */
    double lo, hi;              /* the range represented (vkc_qparams) */
    double scale;
    int32_t zero_point;
    int floored;                /* the range was widened to VKC_AMAX_FLOOR */
    double amax;                /* symmetric envelope: what a TensorRT cache holds */
    uint32_t cache_scale_bits;  /* float32 bits of amax/127 as a cache writes (or held) them */
    vkc_stats stats;
    vkc_hist_spec spec;         /* the histogram searched */
    const uint64_t *counts;     /* spec.bins counts, or NULL */
    vkc_search_result search;
    vkc_quality quality;
    vkc_guard guard;
} vkc_tensor_result;

typedef struct vkc_calibration_settings {
    vkc_structure_type sType;   /* VKC_STRUCTURE_TYPE_CALIBRATION_SETTINGS */
    void *pNext;
    vkc_calibration_source source;
    vkc_method method;
    vkc_mode mode;              /* as asked: may be auto */
    vkc_flavor flavor;
    uint32_t bins, start_bin, stride;
    double percentile;
    vkc_nonfinite nonfinite;
    vkc_range_kind range;
    uint32_t trt_version;       /* a TensorRT cache's header (0 otherwise) */
    const char *trt_algo;       /* NULL otherwise */
    const char *producer;       /* the "vkcalib" version a JSON names ("" if none) */
} vkc_calibration_settings;

/* The results of a calibrator in VKC_PASS_MEASURE or VKC_PASS_DONE (quality
 * only in DONE), owned by it: valid until it is destroyed. NULL in earlier
 * passes. */
VKC_API const vkc_calibration *vkc_calibrator_results(const vkc_calibrator *c);

VKC_API uint32_t vkc_calibration_count(const vkc_calibration *cal);
VKC_API const vkc_tensor_result *vkc_calibration_tensor(const vkc_calibration *cal, uint32_t t);
VKC_API uint32_t vkc_calibration_find(const vkc_calibration *cal, const char *name); /* UINT32_MAX: none */
VKC_API const vkc_calibration_settings *vkc_calibration_get_settings(const vkc_calibration *cal);

/* Reads a calibration JSON (what vkc_calibration_write writes), a TensorRT
 * calibration cache, or a state file (.vkch: statistics, and histograms of
 * |x| in the histogram round; no ranges: search it with a calibrator), told
 * apart by content (JSON starts with '{' after optional white space, a
 * state with "VKCH"). Messages name the file (name, for a buffer). A cache
 * keeps its lines in file order, duplicates included. */
VKC_API vkc_status vkc_calibration_read(const char *path, vkc_calibration **out, vkc_msg *msg);
VKC_API vkc_status vkc_calibration_parse(const void *buf, size_t len, const char *name, vkc_calibration **out,
                                         vkc_msg *msg);
/* Frees a calibration read by the two calls above (not a calibrator's). */
VKC_API void vkc_calibration_free(vkc_calibration *cal);

typedef enum vkc_format {
    VKC_FORMAT_TRT_CACHE = 0, /* TensorRT calibration cache (symmetric ranges only) */
    VKC_FORMAT_JSON = 1       /* vkcalib calibration JSON (format_version 1) */
} vkc_format;

/* Zero value means defaults: TensorRT version 8601, EntropyCalibration2,
 * no envelope, no histograms. */
typedef struct vkc_write_info {
    vkc_structure_type sType; /* VKC_STRUCTURE_TYPE_WRITE_INFO (or 0) */
    const void *pNext;        /* NULL */
    uint32_t trt_version;     /* cache header: TensorRT's version integer (vkc_trt_version_parse) */
    const char *trt_algo;     /* cache header: the calibrator name */
    int envelope;             /* cache: write non-symmetric ranges as their envelope amax */
    int histograms;           /* JSON: each tensor's counts and, for entropy, the KL curve */
} vkc_write_info;

/* Formats cal as text (*text NUL-terminated, *len bytes without the NUL;
 * free with vkc_free), or writes it to path atomically (temporary file,
 * fsync, rename: an existing file is replaced only on success). A cache
 * line is `name: <8 hex digits of the float32 bits of amax/127>`; a
 * non-symmetric range needs info->envelope (VKC_ERROR_INVALID_ARGUMENT
 * otherwise, naming the tensor). JSON: format "vkcalib-calibration",
 * format_version 1, deterministic bytes (README: JSON). */
VKC_API vkc_status vkc_calibration_format(const vkc_calibration *cal, vkc_format fmt, const vkc_write_info *info,
                                          char **text, size_t *len, vkc_msg *msg);
VKC_API vkc_status vkc_calibration_write(const vkc_calibration *cal, const char *path, vkc_format fmt,
                                         const vkc_write_info *info, vkc_msg *msg);

/* TensorRT's version integer: "8.6.1" -> 8601 (major*1000 + minor*100 +
 * patch before 10), "10.3.0" -> 100300 (major*10000 + minor*100 + patch
 * from 10 on); a bare major version is major.0.0 ("10" -> 100000, "8" ->
 * 8000); a string of 4 or more digits is the integer itself ("8601"); 3
 * digits are ambiguous and refused. 1 on success. */
VKC_API int vkc_trt_version_parse(const char *s, uint32_t *out);

/* 1 when name is one of TensorRT's calibrators, the only header names
 * TensorRT reuses a cache for: EntropyCalibration2 (the default),
 * EntropyCalibration, MinMaxCalibration, LegacyCalibration. The cache
 * writers refuse others (VKC_ERROR_INVALID_ARGUMENT); the readers take any. */
VKC_API int vkc_trt_algo_known(const char *name);

/* The float32 scale a TensorRT cache holds for amax: amax/127 after the
 * floor VKC_AMAX_FLOOR; negative for a NaN, infinite, negative or too large
 * amax. */
VKC_API float vkc_trt_scale(double amax);

/* Writes a TensorRT calibration cache atomically from names and amax
 * values (the low-level form of vkc_calibration_write): header
 * TRT-<trt_version>-<algo> (0 and NULL mean 8601 and EntropyCalibration2),
 * then `name: <hex of float32 amax/127>` per tensor in the given order.
 * amax below VKC_AMAX_FLOOR (all-zero tensors) is raised to it; NaN,
 * infinite or negative amax is an error naming the tensor. */
VKC_API vkc_status vkc_write_trt_cache(const char *path, uint32_t trt_version, const char *algo,
                                       const char *const *names, const double *amax, size_t n, vkc_msg *msg);

/* ------------------------------------------------------------------------ */
/* Q/DQ ONNX models                                                          */

/* ONNX models: reading, the tensors a calibration needs, and the INT8 Q/DQ
 * rewrite (DESIGN.md §4 "Q/DQ ONNX"). This is the whole interface the CLI
 * uses; it is written to move into include/vkcalib.h unchanged: vkc_ names,
 * an opaque handle, info structs whose zero value means the defaults,
 * vkc_status results with the reason in a vkc_msg, and nothing printed.
 *
 * What is read: the model file is mapped, checked as a whole (every message
 * of the tree, subgraphs and functions included, without recursion: depth,
 * field and count limits below), and the top-level graph is indexed (nodes,
 * initializers, inputs, outputs). Weights stay where they are (the mapping,
 * or external data files, read when needed); nothing is copied whole.
 *
 * What is written: the same model with the changes of the call and every
 * other byte copied through, unknown and newer fields included; a model
 * with nothing to change is written byte for byte. Outputs are written
 * through a temporary file in the output's folder and renamed into place
 * (an existing file is replaced only on success), streamed, never built
 * whole in memory, and never over the model or its external data files.
 *
 * External data (TensorProto data_location = EXTERNAL): locations must be
 * relative paths inside the model's folder (no absolute path, no '..', no
 * symbolic link leading out of it); offsets and lengths are 64-bit. When the
 * model has external top-level initializers, the output gets its own data
 * file, OUT + ".data" beside OUT, holding them (and new quantized weights
 * of external ones), with the locations rewritten; external tensors
 * elsewhere (subgraphs, attributes) are copied as they are, which needs
 * OUT in the model's folder. */

typedef struct vkc_onnx_model vkc_onnx_model;

/* Limits for hostile input; 0 means the default. */
#define VKC_ONNX_DEFAULT_MAX_DEPTH 100u      /* nested messages (protobuf's own default) */
#define VKC_ONNX_DEFAULT_MAX_FIELDS 50000000u /* fields in the whole file */
#define VKC_ONNX_DEFAULT_MAX_NODES 1000000u   /* nodes, initializers, inputs, outputs of the graph */

typedef struct vkc_onnx_open_info {
    vkc_structure_type sType; /* VKC_STRUCTURE_TYPE_ONNX_OPEN_INFO (or 0) */
    const void *pNext;        /* NULL */
    const char *path;     /* the .onnx file; with data: its name for messages,
                             and where external data paths start */
    const void *data;     /* NULL: read path; else the model in memory
                             (size bytes, not copied: it must outlive the
                             model) */
    uint64_t size;
    uint32_t max_depth;   /* 0: VKC_ONNX_DEFAULT_MAX_DEPTH */
    uint64_t max_fields;  /* 0: VKC_ONNX_DEFAULT_MAX_FIELDS */
    uint32_t max_nodes;   /* 0: VKC_ONNX_DEFAULT_MAX_NODES */
} vkc_onnx_open_info;

/* Opens and checks a model. Errors name the file (and the tensor or node):
 * VKC_ERROR_IO (cannot read), VKC_ERROR_FORMAT (not a well-formed ONNX
 * model, a limit exceeded, external data outside the folder or shorter
 * than declared), VKC_ERROR_OUT_OF_MEMORY, VKC_ERROR_INVALID_ARGUMENT. */
VKC_API vkc_status vkc_onnx_open(const vkc_onnx_open_info *info, vkc_onnx_model **out, vkc_msg *msg);
VKC_API void vkc_onnx_close(vkc_onnx_model *m);

/* The ai.onnx opset the model imports (0 when none), its IR version, and
 * the number of top-level nodes. */
VKC_API int64_t vkc_onnx_opset(const vkc_onnx_model *m);
VKC_API int64_t vkc_onnx_ir_version(const vkc_onnx_model *m);
VKC_API uint32_t vkc_onnx_node_count(const vkc_onnx_model *m);
/* 1 when name is a tensor of the top-level graph: a graph input, an
 * initializer or a node output. */
VKC_API int vkc_onnx_has_tensor(const vkc_onnx_model *m, const char *name);

/* Copies the model to out_path: byte-identical when it has no external
 * data (DESIGN.md §4: unchanged parts are copied through). */
VKC_API vkc_status vkc_onnx_write(vkc_onnx_model *m, const char *out_path, vkc_msg *msg);

/* The same with the named tensors added as graph outputs (those that are
 * outputs already are skipped), so that a runtime returns them: how the
 * capture tool reads activations. Each must be a tensor of the graph
 * (vkc_onnx_has_tensor); its type comes from the graph's value_info, else
 * float32 of unknown shape (ONNX Runtime takes that; python3-onnx's strict
 * checker wants a shape: the model is for running, not for shipping). */
VKC_API vkc_status vkc_onnx_write_with_outputs(vkc_onnx_model *m, const char *const *names, uint32_t count,
                                               const char *out_path, vkc_msg *msg);

/* ---- Q/DQ ----------------------------------------------------------------- */

typedef enum vkc_qdq_target {
    VKC_QDQ_TENSORRT = 0, /* int8 only, zero point 0, Q/DQ on the inputs of quantized ops */
    VKC_QDQ_ONNXRUNTIME,  /* also on their outputs, uint8/asymmetric allowed, int32 bias */
    VKC_QDQ_OPENVINO      /* as ONNX Runtime */
} vkc_qdq_target;

/* Ops quantized besides Conv, ConvTranspose, Gemm and MatMul (always). */
enum {
    VKC_QDQ_OP_ADD = 1u << 0,
    VKC_QDQ_OP_MUL = 1u << 1,
    VKC_QDQ_OP_AVGPOOL = 1u << 2, /* AveragePool, GlobalAveragePool */
    VKC_QDQ_OP_MAXPOOL = 1u << 3,
    VKC_QDQ_OP_CONCAT = 1u << 4,
    VKC_QDQ_OP_ALL = 0x1fu
};

/* The range of one tensor, as a calibration gives it (the vkcalib JSON's
 * fields; a TensorRT cache gives symmetric ranges). */
typedef struct vkc_qdq_range {
    const char *name;
    double lo, hi;        /* the range represented */
    double scale;         /* > 0: the quantization step */
    int32_t zero_point;   /* int8 terms ([-128, 127]); 0 unless asymmetric */
    int is_unsigned;      /* 1: uint8 [0, 255] with zero point 0 */
    vkc_mode mode;        /* symmetric, unsigned or asymmetric */
} vkc_qdq_range;

/* Called with each warning (a whole sentence naming the tensor); may be
 * NULL. */
typedef void (*vkc_warn_fn)(void *user, const char *text);

typedef struct vkc_qdq_info {
    vkc_structure_type sType;  /* VKC_STRUCTURE_TYPE_QDQ_INFO (or 0) */
    const void *pNext;         /* NULL */
    vkc_qdq_target target;
    uint32_t extra_ops;        /* VKC_QDQ_OP_* bits */
    int fp8;                   /* TensorRT only: E4M3 Q/DQ, scale amax/448, opset 19 */
    int skip_missing;          /* an op whose input has no range stays float (default: error) */
    const char *ranges_name;   /* the range file, for messages (may be NULL) */
    vkc_warn_fn warn;
    void *warn_user;
} vkc_qdq_info;

/* The tensors the rewrite for `info` needs ranges for, in graph order
 * (what to dump). The array and its strings live until vkc_onnx_close or
 * the next call on m. Errors: the opset (below 10). */
VKC_API vkc_status vkc_onnx_needed_tensors(vkc_onnx_model *m, const vkc_qdq_info *info, const char *const **names,
                                                   uint32_t *count, vkc_msg *msg);

typedef struct vkc_qdq_stats {
    vkc_structure_type sType;  /* VKC_STRUCTURE_TYPE_QDQ_STATS */
    void *pNext;
    uint32_t ops_quantized;   /* ops with Q/DQ on their inputs */
    uint32_t ops_float;       /* quantizable ops left in float (missing ranges, unsupported weights) */
    uint32_t activations;     /* Q/DQ pairs on activations */
    uint32_t weights;         /* weights quantized */
    uint32_t biases;          /* int32 biases (ONNX Runtime / OpenVINO) */
    uint32_t per_tensor_weights; /* weights with one scale (opset 10-12 that could not be upgraded) */
    int64_t opset;            /* ai.onnx opset of the output */
    uint32_t unknown_ranges;  /* ranges naming no tensor of the graph (warned) */
} vkc_qdq_stats;

/* Writes the Q/DQ model of m with ranges[0..n) to out_path. Target rules:
 *
 * - TensorRT: Q/DQ pairs (int8, zero point 0, per-tensor scales) on the
 *   activation inputs of the quantized ops; weights int8, per output
 *   channel, symmetric max (Conv axis 0, ConvTranspose axis 1, Gemm axis 0
 *   with transB else 1, MatMul the last axis); biases stay float. An
 *   unsigned or asymmetric range is written as its symmetric envelope
 *   max(|lo|, |hi|) / 127, with a warning naming the tensor. With fp8:
 *   FLOAT8E4M3FN, scale amax / 448 (activations and weights), opset 19.
 * - ONNX Runtime / OpenVINO: also Q/DQ on the ops' outputs (so QLinearConv,
 *   QGemm and friends fuse), uint8 for unsigned ranges, uint8 with a zero
 *   point for asymmetric ones, int32 biases (scale = input scale x weight
 *   scale). Symmetric ranges: int8 for OpenVINO; for ONNX Runtime the same
 *   grid in uint8 with zero point 128, because its x86 kernels (U8S8) fuse
 *   every Conv then and only some with int8 activations.
 *
 * Names follow ONNX Runtime: <t>_scale, <t>_zero_point, <t>_QuantizeLinear
 * (_Output), <t>_DequantizeLinear(_Output), <w>_quantized; one Q/DQ pair per
 * tensor, shared by its consumers. A weight whose only consumers were
 * quantized is removed (its int8 copy replaces it).
 *
 * Scope: the ops of the top-level graph. Subgraphs (If, Loop, Scan bodies)
 * and model-local functions are copied as they are; with any of them the
 * fp32 weights stay (a subgraph may read an outer name) and the opset is
 * not raised.
 *
 * Opsets: 13 and later as they are. 10 to 12: the ai.onnx import is raised
 * to 13 when every op of the graph has the same meaning there (a table of
 * ops); otherwise weights get one scale per tensor, with a warning. Below
 * 10: VKC_ERROR_UNSUPPORTED naming the opset. fp8 raises to 19 on the same
 * condition, else fails.
 *
 * Errors (no output written): tensors without a range, listed (unless
 * skip_missing); no range matching the graph at all (a range file for
 * another model); a graph with no quantizable op; bad ranges; I/O. */
VKC_API vkc_status vkc_qdq_write(vkc_onnx_model *m, const vkc_qdq_range *ranges, uint32_t n, const vkc_qdq_info *info,
                                 const char *out_path, vkc_qdq_stats *stats, vkc_msg *msg);

/* Names as the CLI takes them: "tensorrt", "onnxruntime", "openvino";
 * ops "add", "mul", "avgpool", "maxpool", "concat". 1 when parsed. */
VKC_API int vkc_qdq_target_parse(const char *s, vkc_qdq_target *out);
VKC_API const char *vkc_qdq_target_name(vkc_qdq_target t);
VKC_API int vkc_qdq_op_parse(const char *s, uint32_t *bit);

/* ------------------------------------------------------------------------ */
/* Reading activation dumps: .npy files, .npz members, raw float32           */

/* Element types of .npy files (the floats are activations; the integers
 * histogram counts, `vkcalib search --counts`). */
typedef enum vkc_npy_type {
    VKC_DT_F32, /* '<f4' */
    VKC_DT_F16, /* '<f2' */
    VKC_DT_F64, /* '<f8' */
    VKC_DT_U8,  /* '|u1' */
    VKC_DT_I32, /* '<i4' */
    VKC_DT_I64, /* '<i8' */
    VKC_DT_U64  /* '<u8' */
} vkc_npy_type;

VKC_API size_t vkc_npy_type_size(vkc_npy_type dt);
VKC_API const char *vkc_npy_type_name(vkc_npy_type dt); /* "<f4" */

#define VKC_NPY_MAX_DIMS 32

typedef struct vkc_npy_header {
    vkc_npy_type dtype;
    uint32_t ndim;
    uint64_t shape[VKC_NPY_MAX_DIMS];
    uint64_t count;       /* product of shape; 1 for shape () */
    uint64_t data_offset; /* bytes before the data: prefix + header */
    uint64_t data_bytes;  /* count * element size */
} vkc_npy_header;

/* "shape (1, 1024), <f4" into out (always terminated). */
VKC_API void vkc_npy_describe(const vkc_npy_header *h, char *out, size_t out_size);

/* A streaming tensor source: a .npy file, raw little-endian float32, an
 * .npy image in memory, or a member of an .npz (stored or deflated), read in
 * pieces of the caller's choosing so that no file is ever loaded whole.
 * Every message names the file (and the member, as "path[member]"). Hostile
 * files give errors, never crashes (the readers are fuzzed). */
typedef struct vkc_source vkc_source;

VKC_API vkc_status vkc_source_open_npy(const char *path, vkc_source **out, vkc_msg *msg);
/* The file must be exactly 4 * count bytes. */
VKC_API vkc_status vkc_source_open_raw(const char *path, uint64_t count, vkc_source **out, vkc_msg *msg);
/* Does not copy: buf must outlive the source. Messages call it "<memory>". */
VKC_API vkc_status vkc_source_open_mem_npy(const void *buf, size_t len, vkc_source **out, vkc_msg *msg);

typedef struct vkc_npz vkc_npz;
/* Reads the archive's directory once (and sorts its keys once:
 * vkc_npz_find is a binary search); members are read on demand. */
VKC_API vkc_status vkc_npz_open(const char *path, vkc_npz **out, vkc_msg *msg);
VKC_API vkc_status vkc_npz_open_mem(const void *buf, size_t len, vkc_npz **out, vkc_msg *msg);
VKC_API uint32_t vkc_npz_count(const vkc_npz *z);
/* Member name without its trailing ".npy"; NULL when i is out of range. */
VKC_API const char *vkc_npz_key(const vkc_npz *z, uint32_t i);
VKC_API uint32_t vkc_npz_find(const vkc_npz *z, const char *key); /* UINT32_MAX: none */
/* Member i as the directory gives it: its bytes in the archive, its bytes
 * once decoded (the .npy header included), and 1 in *deflated when it is
 * compressed (decoding it costs CPU time, not only a read). 0 for an
 * unknown member. Any pointer may be NULL. */
VKC_API int vkc_npz_member(const vkc_npz *z, uint32_t i, uint64_t *stored_bytes, uint64_t *bytes, int *deflated);
/* A source over member i: checks its local header and .npy header, then
 * streams (inflating as it goes) and checks the CRC-32 at the last byte.
 * It may outlive the archive. */
VKC_API vkc_status vkc_npz_source(vkc_npz *z, uint32_t i, vkc_source **out, vkc_msg *msg);
/* Closes the archive's file descriptor and keeps its directory, for a
 * program that holds many archives (one per batch) without a descriptor
 * each: later vkc_npz_source calls open the file again by its path, and
 * fail (VKC_ERROR_IO, naming it) when it is no longer the file that was
 * opened (device, inode, size, modification time). */
VKC_API void vkc_npz_release_file(vkc_npz *z);
VKC_API void vkc_npz_close(vkc_npz *z);

VKC_API uint64_t vkc_source_count(const vkc_source *s);
VKC_API vkc_npy_type vkc_source_dtype(const vkc_source *s);
VKC_API const vkc_npy_header *vkc_source_header(const vkc_source *s);
VKC_API const char *vkc_source_name(const vkc_source *s); /* "path" or "path[member]" */
/* Up to max elements converted to float32 (float16 exactly, the others
 * rounded to nearest); *got = 0 at the end. After an error, reads fail
 * until a rewind. */
VKC_API vkc_status vkc_source_read_f32(vkc_source *s, float *dst, uint64_t max, uint64_t *got, vkc_msg *msg);
/* Up to max elements in the file's own dtype, raw little-endian bytes. */
VKC_API vkc_status vkc_source_read_raw(vkc_source *s, void *dst, uint64_t max, uint64_t *got, vkc_msg *msg);
/* Up to max elements as uint64 counts; VKC_ERROR_FORMAT naming the element
 * for a negative, fractional or non-finite value. */
VKC_API vkc_status vkc_source_read_u64(vkc_source *s, uint64_t *dst, uint64_t max, uint64_t *got, vkc_msg *msg);
VKC_API vkc_status vkc_source_rewind(vkc_source *s, vkc_msg *msg);
VKC_API void vkc_source_close(vkc_source *s);

/* ------------------------------------------------------------------------ */
/* Utilities: files and JSON as vkcalib writes and reads them                */

/* Replaces path atomically: a temporary file in its directory, written,
 * fsync'd, renamed over path, the directory fsync'd. On failure an existing
 * file is left untouched and no temporary file remains. A symbolic link is
 * followed; a path that exists and is not a regular file is refused. */
VKC_API vkc_status vkc_write_file_atomic(const char *path, const void *data, size_t len, vkc_msg *msg);

/* A deterministic JSON writer: 2-space indentation, one member or element
 * per line; integers exact; doubles in the shortest form that reads back to
 * the same bits ('.' whatever the locale), NaN and infinities as null;
 * strings escaped, each byte that is not part of valid UTF-8 as \udcXX
 * (U+DC80..U+DCFF, Python's surrogateescape), which vkc_json_parse turns
 * back into the byte: byte strings round-trip. Misuse (a value without
 * a key in an object, unbalanced ends) is reported by vkc_jw_finish. */
typedef struct vkc_jw vkc_jw;
VKC_API vkc_jw *vkc_jw_create(void); /* NULL when out of memory */
VKC_API void vkc_jw_destroy(vkc_jw *j);
VKC_API void vkc_jw_begin_object(vkc_jw *j);
VKC_API void vkc_jw_end_object(vkc_jw *j);
VKC_API void vkc_jw_begin_array(vkc_jw *j);
VKC_API void vkc_jw_end_array(vkc_jw *j);
VKC_API void vkc_jw_key(vkc_jw *j, const char *key);
VKC_API void vkc_jw_string(vkc_jw *j, const char *s); /* NULL writes null */
VKC_API void vkc_jw_string_n(vkc_jw *j, const char *s, size_t n);
VKC_API void vkc_jw_uint(vkc_jw *j, uint64_t v);
VKC_API void vkc_jw_int(vkc_jw *j, int64_t v);
VKC_API void vkc_jw_double(vkc_jw *j, double v);
VKC_API void vkc_jw_bool(vkc_jw *j, int v);
VKC_API void vkc_jw_null(vkc_jw *j);
VKC_API void vkc_jw_kv_string(vkc_jw *j, const char *key, const char *s);
VKC_API void vkc_jw_kv_uint(vkc_jw *j, const char *key, uint64_t v);
VKC_API void vkc_jw_kv_int(vkc_jw *j, const char *key, int64_t v);
VKC_API void vkc_jw_kv_double(vkc_jw *j, const char *key, double v);
VKC_API void vkc_jw_kv_bool(vkc_jw *j, const char *key, int v);
/* Checks that one complete value was written; *text (NUL-terminated, owned
 * by j) and *len get it. */
VKC_API vkc_status vkc_jw_finish(vkc_jw *j, const char **text, size_t *len, vkc_msg *msg);
/* The shortest round-trip form of v ("null" for NaN and infinities) into
 * out (at least 32 bytes); returns its length. */
VKC_API size_t vkc_jw_format_double(double v, char *out, size_t size);

/* A JSON (RFC 8259) DOM parser over a buffer: strict grammar, valid UTF-8,
 * nesting limited, never a read outside [buf, buf + len). A lone \udc80 ..
 * \udcff escape decodes to the byte 0x80..0xff (the writer's escape of a
 * byte that is not UTF-8); vkc_json_string's len counts a \u0000 as a
 * byte, so a string holding NUL is told by len != strlen. Accessors accept
 * NULL and wrong types and return the absent value, so lookups chain. */
typedef enum vkc_json_type {
    VKC_JSON_NULL = 0,
    VKC_JSON_BOOL,
    VKC_JSON_NUMBER,
    VKC_JSON_STRING,
    VKC_JSON_ARRAY,
    VKC_JSON_OBJECT
} vkc_json_type;
typedef struct vkc_json vkc_json;
VKC_API vkc_status vkc_json_parse(const char *buf, size_t len, vkc_json **out, vkc_msg *msg);
VKC_API void vkc_json_free(vkc_json *root);
VKC_API vkc_json_type vkc_json_type_of(const vkc_json *v);
VKC_API const char *vkc_json_type_name(vkc_json_type t);
VKC_API size_t vkc_json_len(const vkc_json *v);
VKC_API const vkc_json *vkc_json_at(const vkc_json *v, size_t i);
VKC_API const char *vkc_json_key_at(const vkc_json *obj, size_t i, size_t *len);
VKC_API const vkc_json *vkc_json_get(const vkc_json *obj, const char *key);
VKC_API double vkc_json_number(const vkc_json *v);          /* NaN when not a number */
VKC_API int vkc_json_uint64(const vkc_json *v, uint64_t *out); /* digits only, fits uint64 */
VKC_API const char *vkc_json_string(const vkc_json *v, size_t *len);
VKC_API int vkc_json_bool(const vkc_json *v, int *out);

#ifdef __cplusplus
}
#endif
#endif
