/* Inside the flavour searches: a tensor prepared for its tool's evaluator,
 * and the evaluators (flavor_tools.c), one per tool, each written in the
 * tool's order of operations. flavor.c runs the candidates through the
 * selection cascade. */
#ifndef VKC_FLAVOR_IMPL_H
#define VKC_FLAVOR_IMPL_H

#include "search/flavor.h"

#include <float.h>

/* The tools' float32 arithmetic is reproduced operation for operation: a
 * float expression must be evaluated in float (x86-64 SSE, AArch64), never
 * in a wider format (x87). */
#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "the flavour evaluators need FLT_EVAL_METHOD == 0"
#endif

/* What a tool would do instead of returning a result, or where its own
 * arithmetic leaves the definition (flags of an evaluation). */
enum {
    VKC_FL_CRASH = 1,    /* an assertion or CHECK would stop the tool */
    VKC_FL_NAN = 2,      /* the tool's value is NaN (vkcalib takes it as +inf) */
    VKC_FL_WRAP = 4,     /* an integer accumulator of the tool overflows */
    VKC_FL_LOG0 = 8,     /* Paddle's log(0): math domain error */
    VKC_FL_SKIP = 16     /* not a candidate of the tool (Paddle: h[i-1] = 0) */
};

typedef struct vkc_fl {
    const vkc_flavor_info *info;
    vkc_hist_spec spec;
    vkc_stats st;
    const uint64_t *h;
    uint32_t n, levels;
    uint64_t total;
    uint32_t first, step, count; /* candidate c is the tool's index first + c * step */
    uint64_t *pre;               /* n + 1 exact prefix sums */
    uint32_t *nz;                /* n + 1 prefix counts of h != 0 */
    float *hf;                   /* the counts as float32 (the C++ tools' input) */
    float *fpre;                 /* mxnet: sequential float32 sums hf[0..k] */
    float *d;                    /* ncnn: h / total as float32; mnn: its float counts, normalised */
    float *after;                /* mnn: afterThresholdSum when candidate c starts */
    double *hd;                  /* ppq: the counts after its zero-bin rule, as double */
    double ppq_sum;
    int mnn_max;                 /* mnn: w * h < 100, the tool takes the max */
} vkc_fl;

/* Prepares f for the flavour (allocations, per-family tables). */
vkc_status vkc_fl_init(vkc_fl *f, const vkc_flavor_info *info, const uint64_t *counts, const vkc_hist_spec *spec,
                       const vkc_stats *st, uint32_t levels, const vkc_flavor_params *p, vkc_msg *msg);
void vkc_fl_free(vkc_fl *f);

/* The tool's value of candidate c, as a double (float32 tools' floats
 * widened exactly); *flags gets VKC_FL_* bits. +inf where the tool gives
 * +inf; NaN where it gives NaN. Thread-safe. */
double vkc_fl_value(const vkc_fl *f, uint32_t c, uint32_t *flags);

/* The Python tools' evaluators (flavor_py.c), of the tool's index k. */
double vkc_fl_mxnet15(const vkc_fl *f, uint32_t k, uint32_t *flags);
double vkc_fl_ort(const vkc_fl *f, uint32_t k, uint32_t *flags);
double vkc_fl_paddle(const vkc_fl *f, uint32_t k, uint32_t *flags);
double vkc_fl_ppq(const vkc_fl *f, uint32_t k, uint32_t *flags);

/* The tool's threshold (and range) for candidate c. */
void vkc_fl_threshold(const vkc_fl *f, uint32_t c, vkc_flavor_result *r);

#endif
