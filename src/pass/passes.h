/* The data passes (range statistics and histograms) on each backend. */
#ifndef VKC_PASSES_H
#define VKC_PASSES_H

#include "pass/hist_kind.h"
#include "vk/gpu.h"

/* Validated geometry: inv per DESIGN.md §2 (0 for a degenerate width); the
 * tools' kinds (hist_kind.h) are checked by vkc_edge_check and give inv 0. */
vkc_status vkc_hist_check(const vkc_hist_spec *spec, float *inv, vkc_msg *msg);

/* One bin index, the normative definition shared by every backend. */
static inline uint32_t vkc_bin_of(float x, vkc_hist_kind kind, float lo, float inv, uint32_t bins)
{
    float t = kind == VKC_HIST_ABS ? (x < 0 ? -x : x) * inv : (x - lo) * inv;
    if (!(t > 0.0f)) return 0;
    return t < (float)bins ? (uint32_t)t : bins - 1;
}

/* float16 or bfloat16 values (any alignment) widened exactly to float32. */
void vkc_widen16(const void *x, uint64_t n, vkc_dtype t, float *w);

/* A histogram pass on any backend with inv given (not derived from spec's
 * range): the streaming histograms choose their own. No argument checks.
 * The tools' kinds build their edge table here and ignore inv. Below, edges
 * is that table (NULL for VKC_HIST_ABS and VKC_HIST_SIGNED). */
vkc_status vkc_histogram_inv(vkc_context *ctx, const void *x, uint64_t n, vkc_dtype dtype, const vkc_hist_spec *spec,
                             float inv, uint64_t *counts);

vkc_status vkc_cpu_range(vkc_context *ctx, const float *x, uint64_t n, vkc_stats *acc);
vkc_status vkc_cpu_histogram(vkc_context *ctx, const float *x, uint64_t n, const vkc_hist_spec *spec,
                             float inv, const vkc_edge_geom *edges, uint64_t *counts);

vkc_status vkc_gpu_range(vkc_context *ctx, const float *x, uint64_t n, vkc_stats *acc);
vkc_status vkc_gpu_histogram(vkc_context *ctx, const float *x, uint64_t n, const vkc_hist_spec *spec,
                             float inv, const vkc_edge_geom *edges, uint64_t *counts);
vkc_status vkc_gpu_range_any(vkc_context *ctx, const void *x, uint64_t n, vkc_dtype dtype, vkc_stats *acc);
vkc_status vkc_gpu_histogram_any(vkc_context *ctx, const void *x, uint64_t n, vkc_dtype dtype,
                                 const vkc_hist_spec *spec, float inv, const vkc_edge_geom *edges,
                                 uint64_t *counts);

/* n values already in a device buffer, offset bytes in (a multiple of the
 * element size); benchmarks and device-side inputs. */
vkc_status vkc_gpu_histogram_buffer(vkc_context *ctx, const vkc_gbuf *in, VkDeviceSize offset, uint64_t n,
                                    vkc_dtype dtype, const vkc_hist_spec *spec, float inv, const vkc_edge_geom *edges,
                                    uint64_t *counts);
vkc_status vkc_gpu_range_buffer(vkc_context *ctx, const vkc_gbuf *in, VkDeviceSize offset, uint64_t n,
                                vkc_dtype dtype, vkc_stats *acc);

/* Shared with the recorder (recorder.c). */
vkc_status vkc_gpu_pipe_range(vkc_context *ctx, vkc_dtype dtype, vkc_pipe **pipe);
vkc_status vkc_gpu_pipe_hist(vkc_context *ctx, vkc_dtype dtype, uint32_t bins, int edges, vkc_pipe **pipe);
/* Records one chunk's dispatch (range pass when spec is NULL): m elements
 * of in starting at element first, results into out (with an edge table,
 * out holds the counts and then the bins + 1 edge keys). */
vkc_status vkc_gpu_record_pass(vkc_context *ctx, VkCommandBuffer cmd, VkDescriptorPool pool, vkc_pipe *pipe,
                               const vkc_hist_spec *spec, float inv, const vkc_edge_geom *edges,
                               const vkc_binding *in, uint32_t first, uint64_t m, const vkc_binding *out,
                               int *pool_full);
/* The binding and first element of elements [off, off + m) of a tensor that
 * starts base bytes into buf: the descriptor offset is aligned down to
 * minStorageBufferOffsetAlignment and the range up to whole words. */
void vkc_gpu_view_chunk(const vkc_context *ctx, const vkc_gbuf *buf, VkDeviceSize base, uint32_t esize,
                        uint64_t off, uint64_t m, vkc_binding *b, uint32_t *first);
/* Validates an application's buffer view and wraps it (owning nothing). */
vkc_status vkc_gpu_check_view(vkc_context *ctx, const vkc_buffer_view *v, vkc_gbuf *b);

#endif
