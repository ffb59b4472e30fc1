/* Seeded random histograms for the search tests: post-ReLU spikes, decays,
 * sparse bins, gaps, far outliers, single bins, mass above the start bin,
 * real binned samples, periodic and tiny counts (up to 2^40 per bin). */
#ifndef VKC_HIST_GEN_H
#define VKC_HIST_GEN_H

#include "testutil.h"

enum hist_shape {
    SHAPE_EXP, SHAPE_HALFNORMAL, SHAPE_RELU, SHAPE_SPARSE, SHAPE_GAPS, SHAPE_OUTLIER,
    SHAPE_SINGLE, SHAPE_UNIFORM, SHAPE_ABOVE_START, SHAPE_SAMPLED, SHAPE_PERIODIC, SHAPE_TINY,
    HIST_SHAPE_COUNT
};
extern const char *const hist_shape_names[HIST_SHAPE_COUNT];

/* Fills h[0..n-1] with shape s. */
void hist_gen(vkc_rng *r, uint64_t *h, uint32_t n, int s);
/* Bin counts 512..8192, mostly small so the O(n^2) oracle stays cheap. */
uint32_t hist_gen_bins(vkc_rng *r, int idx);

#endif
