#ifndef VKC_SEARCH_GPU_H
#define VKC_SEARCH_GPU_H

#include "search/entropy.h"
#include "vk/gpu.h"

/* Entropy search of count histograms in one dispatch; results as
 * vkc_kl_select gives them. */
vkc_status vkc_entropy_gpu(vkc_context *ctx, const vkc_histogram *hists, uint32_t count, const vkc_kl_params *kp,
                           vkc_search_result *res);

/* MSE search of count histograms in one dispatch (float32 sums), then
 * exact integer sums of the candidates the error band keeps. */
vkc_status vkc_mse_gpu(vkc_context *ctx, const vkc_histogram *hists, uint32_t count, uint32_t start, uint32_t bound,
                       vkc_search_result *res);

#endif
