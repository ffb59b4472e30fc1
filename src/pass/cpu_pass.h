/* The CPU backend's passes on every input type: float16 and bfloat16 are
 * widened exactly inside the kernels, a few KiB at a time, rather than
 * into a separate float32 buffer first (vkc_cpu_range and
 * vkc_cpu_histogram, passes.h, are the float32 cases). No argument checks:
 * x holds n elements of dtype; edges as for vkc_cpu_histogram. */
#ifndef VKC_CPU_PASS_H
#define VKC_CPU_PASS_H

#include "pass/passes.h"

vkc_status vkc_cpu_range_any(vkc_context *ctx, const void *x, uint64_t n, vkc_dtype dtype, vkc_stats *acc);
vkc_status vkc_cpu_histogram_any(vkc_context *ctx, const void *x, uint64_t n, vkc_dtype dtype,
                                 const vkc_hist_spec *spec, float inv, const vkc_edge_geom *edges, uint64_t *counts);

#endif
