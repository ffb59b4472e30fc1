/* The data passes (range statistics and histograms) on each backend. */
#ifndef VKC_PASSES_H
#define VKC_PASSES_H

#include "gpu.h"

/* Validated geometry: inv per DESIGN.md §2 (0 for a degenerate width). */
vkc_status vkc_hist_check(const vkc_hist_spec *spec, float *inv, vkc_msg *msg);

/* One bin index, the normative definition shared by every backend. */
static inline uint32_t vkc_bin_of(float x, vkc_hist_kind kind, float lo, float inv, uint32_t bins)
{
    float t = kind == VKC_HIST_ABS ? (x < 0 ? -x : x) * inv : (x - lo) * inv;
    if (!(t > 0.0f)) return 0;
    return t < (float)bins ? (uint32_t)t : bins - 1;
}

vkc_status vkc_cpu_range(vkc_context *ctx, const float *x, uint64_t n, vkc_stats *acc);
vkc_status vkc_cpu_histogram(vkc_context *ctx, const float *x, uint64_t n, const vkc_hist_spec *spec,
                             float inv, uint64_t *counts);

vkc_status vkc_gpu_range(vkc_context *ctx, const float *x, uint64_t n, vkc_stats *acc);
vkc_status vkc_gpu_histogram(vkc_context *ctx, const float *x, uint64_t n, const vkc_hist_spec *spec,
                             float inv, uint64_t *counts);
/* The histogram of n values already in a device buffer at offset (aligned to
 * minStorageBufferOffsetAlignment); benchmarks and device-side inputs. */
vkc_status vkc_gpu_histogram_buffer(vkc_context *ctx, const vkc_gbuf *in, VkDeviceSize offset, uint64_t n,
                                    const vkc_hist_spec *spec, float inv, uint64_t *counts);

vkc_status vkc_gpu_range_buffer(vkc_context *ctx, const vkc_gbuf *in, VkDeviceSize offset, uint64_t n,
                                vkc_stats *acc);


#endif
