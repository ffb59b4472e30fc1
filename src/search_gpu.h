#ifndef VKC_SEARCH_GPU_H
#define VKC_SEARCH_GPU_H

#include "entropy.h"
#include "gpu.h"

/* Entropy search of count histograms in one dispatch; results as
 * vkc_kl_select gives them. */
vkc_status vkc_entropy_gpu(vkc_context *ctx, const vkc_histogram *hists, uint32_t count, const vkc_kl_params *kp,
                           vkc_search_result *res);

#endif
