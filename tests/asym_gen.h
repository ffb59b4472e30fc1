/* Seeded random histograms of x (two-sided decays, skew, far outliers,
 * post-ReLU, mirrored |x| shapes, sparse, bimodal, gaps) for the two-sided
 * search tests, with the [lo, hi] they are taken over. */
#ifndef VKC_ASYM_GEN_H
#define VKC_ASYM_GEN_H

#include "testutil.h"

enum {
    AS_TWO_SIDED, AS_SKEWED, AS_OUTLIERS, AS_RELU, AS_ABS_SHAPE, AS_SPARSE, AS_BIMODAL, AS_GAPS, AS_COUNT
};
extern const char *const as_names[AS_COUNT];

/* Fills h[0..n-1] with shape s and sets its range [*lo, *hi]. */
void asym_gen(vkc_rng *r, uint64_t *h, uint32_t n, int s, double *lo, double *hi);

#endif
