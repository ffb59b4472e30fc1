#ifndef VKC_SEARCH_GPU_H
#define VKC_SEARCH_GPU_H

#include "search/entropy.h"
#include "vk/gpu.h"
#include "vk/shader_layout.h"

/* One tensor's share of a dispatch of shaders/entropy.comp: the counts
 * (after any rule of its search), their exact prefix sums and prefix counts
 * of non-empty bins, its candidates i = start + c * stride, and how the
 * first i bins form `levels` levels. */
enum {
    VKC_LEVELS_MODELOPT = VKC_KL_MAP_MODELOPT, /* bin j in level floor(j L / i) (DESIGN.md §2) */
    VKC_LEVELS_BLOCKS = VKC_KL_MAP_BLOCKS      /* floor(i / L) bins a level, the last one the rest (Paddle, PPQ) */
};
typedef struct vkc_kl_pack {
    const uint64_t *h, *pre;
    const uint32_t *nz;
    uint32_t n;
    uint64_t total;
    uint32_t start, stride, levels, ncand, map;
} vkc_kl_pack;

/* Phases of vkc_entropy_gpu whose wall time it leaves in ctx->search_ns:
 * the histograms' working copies and prefix sums; packing the words;
 * pipeline and staging (the copy into it); recording, submitting and
 * waiting (the GPU time is ctx->last_gpu_ns); the selection on the host. */
enum { VKC_SEARCH_PREPARE, VKC_SEARCH_PACK, VKC_SEARCH_UPLOAD, VKC_SEARCH_SUBMIT, VKC_SEARCH_SELECT };

/* Every candidate of every tensor in one dispatch: KL(P || Q) in float32
 * with P the first i bins, the outliers folded into bin i-1, Q each level's
 * mean on its non-empty bins, and a bound on the distance to the exact
 * value (README: exactness); a candidate with P > 0 = Q (an empty last bin
 * that gets outliers) reads 3e38 with bound 0. out_off[t] receives tensor
 * t's first candidate; *out points at (value, bound) pairs in ctx->out,
 * valid until the context's next pass (NULL when no tensor has one). */
vkc_status vkc_kl_dispatch(vkc_context *ctx, const vkc_kl_pack *packs, uint32_t count, uint32_t *out_off,
                           const float **out);

/* Entropy search of count histograms in one dispatch; results as
 * vkc_kl_select gives them. */
vkc_status vkc_entropy_gpu(vkc_context *ctx, const vkc_histogram *hists, uint32_t count, const vkc_kl_params *kp,
                           vkc_search_result *res);

/* MSE search of count histograms in one dispatch (float32 sums), then
 * exact integer sums of the candidates the error band keeps. */
vkc_status vkc_mse_gpu(vkc_context *ctx, const vkc_histogram *hists, uint32_t count, uint32_t start, uint32_t bound,
                       vkc_search_result *res);

#endif
