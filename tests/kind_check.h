/* The tools' histogram kinds (src/pass/hist_kind.h) held to the plain
 * oracle (tests/oracle/reference.c) on probes at and beside every edge,
 * special values and random data; shared by the CPU and GPU tests. */
#ifndef VKC_KIND_CHECK_H
#define VKC_KIND_CHECK_H

#include "testutil.h"

/* Every case: the backend's counts equal the oracle's bit for bit, whole
 * and split into several calls (batches). Also the float16 path. */
void kind_check_all(vkc_context *ctx, const char *label);

/* The counts of x (n values) under spec on ctx; exits the test on error. */
void kind_histogram(vkc_context *ctx, const float *x, uint64_t n, const vkc_hist_spec *spec, uint64_t *counts);

#endif
