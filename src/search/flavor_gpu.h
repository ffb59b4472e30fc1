/* The flavour searches of several tensors on the context's backend
 * (flavor_gpu.c says which flavours a Vulkan device screens, and why the
 * others are decided on the host). */
#ifndef VKC_FLAVOR_GPU_H
#define VKC_FLAVOR_GPU_H

#include "search/flavor.h"
#include "vk/gpu.h"

/* One tensor: its histogram (of the flavour's kind), statistics and
 * parameters (threads is taken from the context). */
typedef struct vkc_flavor_job {
    const uint64_t *counts;
    vkc_hist_spec spec;
    vkc_stats st;
    vkc_flavor_params params;
} vkc_flavor_job;

/* Every tensor's search; the screened flavours' candidates of all tensors
 * in one dispatch. Results equal vkc_flavor_search's on the host (only
 * `evaluated` differs). Errors go to the context's message. */
vkc_status vkc_flavor_search_batch(vkc_context *ctx, const vkc_flavor_job *jobs, uint32_t count,
                                   vkc_flavor_result *res);

#endif
