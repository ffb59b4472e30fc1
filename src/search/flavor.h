/* Every tool's entropy threshold (../shared/FLAVOURS.md), reproduced in the
 * tool's own arithmetic: the searches behind the public vkc_flavor values.
 *
 * Each flavour has a histogram kind (src/pass/hist_kind.h), bin and level
 * defaults (vkc_flavor_info, overridable), candidates, an arithmetic, a tie
 * rule (first minimum, everywhere: a strict < from the tool's starting
 * value) and a threshold convention. The deciding evaluator of a candidate
 * is the tool's own computation, operation for operation: sequential
 * float32 sums and logf for the C++ tools (mxnet, tvm, ncnn, mnn), numpy's
 * float32 pairwise sums and scipy's rel_entr for the Python ones
 * (mxnet-1.5, onnxruntime), double for paddle and ppq. The selection runs
 * through the shared cascade (select.h) with exact ties, so a screen (the
 * GPU's) may narrow the candidates without changing the choice.
 *
 * Where the tool crashes, or gives NaN, 0 or inf, the result is still a
 * finite positive threshold, with warning set and a message saying what the
 * tool does. */
#ifndef VKC_FLAVOR_H
#define VKC_FLAVOR_H

#include "base/common.h"

/* The flavour values themselves are public (vkcalib.h: vkc_flavor). */

/* How a tool computes (the deciding evaluator's arithmetic). */
typedef enum vkc_tool_arith {
    VKC_ARITH_DOUBLE_REF = 0, /* modelopt/tensorrt: the double reference, tie tolerance */
    VKC_ARITH_F32_SEQ,        /* C++ float32: sequential sums, logf */
    VKC_ARITH_F32_NUMPY,      /* numpy/scipy float32: pairwise sums, rel_entr in double */
    VKC_ARITH_F64             /* Python or torch double */
} vkc_tool_arith;

/* The family of the search, which decides the evaluator. */
typedef enum vkc_flavor_family {
    VKC_FAMILY_MODELOPT = 0, /* src/search/entropy.c */
    VKC_FAMILY_MXNET,        /* mxnet >= 1.6 and tvm: the C++ op */
    VKC_FAMILY_MXNET15,      /* mxnet 1.5.1's Python loop */
    VKC_FAMILY_ORT,          /* onnxruntime's HistogramCollector */
    VKC_FAMILY_NCNN,
    VKC_FAMILY_NCNN_ACIQ,    /* no search: a formula of absmax and the image size */
    VKC_FAMILY_MNN,
    VKC_FAMILY_PADDLE,
    VKC_FAMILY_PPQ
} vkc_flavor_family;

/* The defaults table (vkc_flavor_get). */
typedef struct vkc_flavor_info {
    vkc_flavor flavor;
    const char *name;
    vkc_flavor_family family;
    vkc_hist_kind hist;      /* the histogram kind the tool builds */
    uint32_t bins, levels;   /* the tool's defaults */
    vkc_tool_arith arith;
    int uint8_variant;       /* levels 2L + 1 for a tensor with min >= 0 */
    int gives_range;         /* the result is a range [lo, hi], not +-T */
    const char *source;      /* where the definition comes from */
} vkc_flavor_info;

const vkc_flavor_info *vkc_flavor_get(vkc_flavor f);
/* By name ("mxnet-1.5", "onnxruntime-2048", ...); NULL when unknown. */
const vkc_flavor_info *vkc_flavor_find(const char *name);

/* What a search needs besides the counts. */
typedef struct vkc_flavor_params {
    vkc_flavor flavor;
    uint32_t bins;            /* 0: the flavour's default (only for the histogram spec) */
    uint32_t levels;          /* 0: the flavour's default */
    uint64_t image_elements;  /* ncnn-aciq: c * h * w of one image (required) */
    uint64_t hw;              /* mnn: w * h of the tensor; below 100 MNN takes the max
                                 (0: unknown, taken as >= 100) */
    float abs_min;            /* paddle: min |x| over the tensor, where its grid starts
                                 (vkc_stats has no such field yet) */
    uint32_t threads;         /* candidates evaluated on this many threads (0: 1) */
} vkc_flavor_params;

/* The histogram spec the flavour wants for a tensor with these statistics
 * (its kind, bins and range). */
vkc_status vkc_flavor_hist_spec(const vkc_flavor_params *p, const vkc_stats *st, vkc_hist_spec *spec,
                                vkc_msg *msg);

typedef struct vkc_flavor_result {
    uint32_t index;        /* the chosen candidate in the tool's numbering (i, t, r) */
    double threshold;      /* T: the range is [-T, T] ([0, T] uint8; the envelope
                              max(|lo|, |hi|) for a range result) */
    double lo, hi;         /* the range the tool gives */
    double kl;             /* the tool's divergence at index, in its arithmetic */
    uint32_t levels;       /* levels used (after the uint8 rule) */
    uint32_t candidates;   /* candidates of the search */
    uint32_t evaluated;    /* evaluated in the tool's arithmetic */
    int warning;           /* 1: the tool itself would crash, or give NaN, 0 or inf,
                              or choose otherwise: message says what it does */
    int fallback;          /* 1: no candidate; the threshold is the range */
    char message[256];
} vkc_flavor_result;

/* A screen of the candidates (the GPU's): for candidate c, a value and a
 * bound on its distance to the tool's value, or NULL. */
typedef struct vkc_flavor_screen {
    const float *value, *bound;
    uint32_t count;
} vkc_flavor_screen;

/* The search on the host, in the tool's arithmetic. counts is the
 * histogram of spec (as vkc_flavor_hist_spec gives it, or the caller's own
 * of the same kind); st the tensor's statistics (min, max, absmax). With a
 * screen, only the candidates it cannot rule out are evaluated. */
vkc_status vkc_flavor_search(const uint64_t *counts, const vkc_hist_spec *spec, const vkc_stats *st,
                             const vkc_flavor_params *p, const vkc_flavor_screen *screen, vkc_flavor_result *res,
                             vkc_msg *msg);

/* One candidate's value in the tool's arithmetic (tests, plots): c counts
 * from the first candidate. */
vkc_status vkc_flavor_value(const uint64_t *counts, const vkc_hist_spec *spec, const vkc_stats *st,
                            const vkc_flavor_params *p, uint32_t c, double *value, vkc_msg *msg);

#endif
