/* Data-pass cases and the check that holds a backend to the reference,
 * shared by the CPU and GPU histogram tests. */
#ifndef VKC_HIST_CHECK_H
#define VKC_HIST_CHECK_H

#include "testutil.h"

typedef struct hist_case {
    char name[64];
    float *x;
    uint64_t n;
} hist_case;

/* Builds case i (0 <= i < hist_case_count()); free x afterwards. */
int hist_case_count(void);
void hist_case_make(int i, hist_case *c);

/* Runs the range and both histogram passes (2048 bins and an odd count) of
 * every case on ctx and compares bit for bit with the reference. */
void hist_check_all(vkc_context *ctx, const char *label);
/* One array, both passes, compared with the reference. */
void hist_check_one(vkc_context *ctx, const char *label, const char *name, const float *x, uint64_t n,
                    uint32_t bins);

#endif
