/* Internal to the calibrator (src/calibrate.c, src/calibrate_share.c):
 * its state, and the helpers both halves use. */
#ifndef VKC_CALIBRATE_H
#define VKC_CALIBRATE_H

#include "base/common.h"

#define VKC_CAL_MAX_BINS VKC_HIST_MAX_BINS

/* A host array kept from the range pass to run the histogram (and
 * measure) pass without the application (info.memory_budget). */
typedef struct kept_chunk {
    void *data;
    uint64_t n;
    vkc_dtype dtype;
} kept_chunk;

typedef struct cal_tensor {
    char *name;
    vkc_method method;       /* the calibrator's, or vkc_calibrator_set_tensor's */
    vkc_mode mode_req;       /* likewise; may be auto */
    int skip;                /* no result (vkc_tensor_settings.skip) */
    uint32_t result;         /* index in the results, UINT32_MAX when skipped */
    vkc_stats st;            /* range pass (stream: filled at its end) */
    vkc_mode mode;           /* resolved at the end of the range pass: never auto */
    vkc_hist_spec spec;
    uint64_t *counts;        /* spec.bins, from the end of the range pass */
    vkc_recorder *rec;       /* when the application records */
    int recorded;            /* rec holds data not read yet */
    vkc_stream *stream;
    vkc_quant quant;         /* measure pass */
    vkc_quality quality;
    kept_chunk *kept;
    uint32_t nkept, capkept;
    float absmin;            /* min |x| of the finite values (flavour paddle; +inf: none yet) */
    uint64_t image_elements; /* one batch's elements after the first dimension (ncnn-aciq); 0 unknown */
    uint64_t hw;             /* H * W (mnn); 0 unknown */
} cal_tensor;

struct vkc_calibrator {
    vkc_context *ctx;
    vkc_calibrator_info info; /* defaults filled in */
    vkc_msg msg;
    vkc_pass pass;
    uint32_t failed;
    cal_tensor *t;
    uint32_t n, cap;
    uint32_t *slots;          /* open-addressing index of names: tensor + 1, 0 empty */
    uint32_t nslots;
    uint64_t kept_bytes;
    int keep;                 /* every feed so far was kept */
    vkc_calibration *results;
    vkc_guard_info guard;     /* the quality guards, defaults filled in */
};

/* Error helpers: the message (naming tensor t when t is one), returned. */
vkc_status vkc_cal_fail(vkc_calibrator *c, uint32_t t, vkc_status s, const char *fmt, ...) VKC_PRINTF(4, 5);
vkc_status vkc_cal_wrong_pass(vkc_calibrator *c, const char *what);
const char *vkc_cal_pass_name(vkc_pass p);
/* Index of name, or UINT32_MAX. */
uint32_t vkc_cal_find(const vkc_calibrator *c, const char *name);
vkc_status vkc_cal_add_tensor(vkc_calibrator *c, const char *name, uint32_t *index);
/* The accumulated data of the application's recordings. */
vkc_status vkc_cal_read_recorders(vkc_calibrator *c);
/* Drops the range pass's kept arrays; the calibrator keeps no more. */
void vkc_cal_drop_kept(vkc_calibrator *c);
/* The end of the range pass for every tensor: NaN policy, mode, geometry. */
vkc_status vkc_cal_prepare_all(vkc_calibrator *c);
/* The quality guards on the finished results (calibrate_guard.c). */
vkc_status vkc_cal_guards(vkc_calibrator *c);

/* The tools' flavours (calibrate_flavor.c). */
int vkc_cal_tool_flavor(vkc_flavor f);
/* Their settings rules, after defaults (bins 0 takes the flavour's). */
vkc_status vkc_cal_flavor_check(vkc_calibrator_info *info, vkc_msg *msg);
/* Tensor t's histogram geometry for the flavour. */
vkc_status vkc_cal_flavor_spec(vkc_calibrator *c, uint32_t t);
/* Every tensor's search, into res[t] (range lo/hi as the tensor's mode
 * wants it). */
vkc_status vkc_cal_flavor_search(vkc_calibrator *c, vkc_search_result *res);
/* Adds the finite values of x to ts->absmin (flavour paddle). */
void vkc_cal_absmin_add(cal_tensor *ts, const void *x, uint64_t n, vkc_dtype dtype);

#endif
