#ifndef VKC_SEARCH_H
#define VKC_SEARCH_H

#include "base/common.h"

/* 1 when p lies in (0, 100] with at most 4 decimals; *num (may be NULL)
 * gets p * 10^4 exactly. */
int vkc_percentile_fraction(double p, uint64_t *num);
/* Percentile p (at most 4 decimals), modelopt convention: threshold = left
 * edge of the first bin whose cumulative count reaches p / 100 of the total,
 * compared exactly in integers. */
vkc_status vkc_percentile_search(const vkc_histogram *h, double p, vkc_search_result *r, vkc_msg *msg);
/* MSE over bin centres from start (DESIGN.md §2), exact integer errors;
 * bound 127 (signed, narrow range) or 255 (unsigned). approx: the GPU's
 * float32 sums per candidate, or NULL to sum every candidate exactly. */
vkc_status vkc_mse_select(const vkc_histogram *h, uint32_t start, uint32_t bound, const float *approx,
                          vkc_search_result *r, vkc_msg *msg);

/* The MSE sum of candidate i as DESIGN.md §2 defines it, bin by bin in
 * exact integers (O(n)): the reference vkc_mse_select's O(bound) sums
 * equal exactly (tests). */
unsigned __int128 vkc_mse_sum_reference(const uint64_t *h, uint32_t n, uint32_t i, uint32_t bound);

#endif
