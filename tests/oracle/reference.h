/* Plain single-threaded implementations of the data passes: the oracle the
 * tests hold every backend to. Written to be obviously right, not fast. */
#ifndef VKC_REFERENCE_H
#define VKC_REFERENCE_H

#include "vkcalib.h"

void vkc_ref_range(const float *x, uint64_t n, vkc_stats *acc);
/* Adds to counts; returns VKC_ERROR_INVALID_ARGUMENT for a bad spec. */
vkc_status vkc_ref_histogram(const float *x, uint64_t n, const vkc_hist_spec *spec, uint64_t *counts);

#endif
