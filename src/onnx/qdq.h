/* The state of one Q/DQ rewrite, shared by qdq.c (activations, placement,
 * the rules of onnx.h) and qdq_weights.c (weights and biases). Internal to
 * src/onnx. */
#ifndef VKC_ONNX_QDQ_H
#define VKC_ONNX_QDQ_H

#include "onnx/emit.h"
#include "onnx/select.h"

typedef struct qdq_weight { /* a quantized weight, shared by its ops */
    const char *dq_out;
    float *scales;         /* per channel (or one) */
    uint32_t nscales;
} qdq_weight;

#define FP8_MAX 448.0

typedef struct aq {        /* an activation's quantization */
    double scale;
    int32_t zp;
    int32_t dtype;         /* DT_INT8, DT_UINT8, DT_FLOAT8E4M3FN */
    const char *dq_out;    /* the DequantizeLinear output consumers read */
} aq;

typedef struct rw {
    vkc_onnx_model *m;
    const vkc_qdq_info *info;
    vkc_msg *msg;
    qsel sel;
    onnx_edit e;
    onnx_map range_of;     /* name -> index in ranges */
    onnx_map taken;        /* every tensor and node name, old and new */
    onnx_map act_of;       /* tensor -> index in acts */
    aq *acts;
    uint32_t nacts, acts_cap;
    onnx_map weight_of;    /* "<name>\n<axis>" -> index in wq */
    qdq_weight *wq;
    uint32_t nwq, wq_cap;
    int per_tensor;        /* opset 10-12 that could not be raised */
    char **strs;           /* strings the edit points to */
    uint32_t nstrs, strcap;
    void **blobs;          /* data of new external initializers */
    uint32_t nblobs;
    vkc_qdq_stats stats;
} rw;


void qdq_warn(rw *r, const char *fmt, ...) VKC_PRINTF(2, 3);
/* Keeps s (malloc'd) until the rewrite ends; NULL (s freed) when out of memory. */
const char *qdq_keep(rw *r, char *s);
/* base + suffix, unique against every name of the graph and every name made. */
const char *qdq_fresh(rw *r, const char *base, const char *suffix);
/* amax / levels as float32, amax floored at VKC_AMAX_FLOOR. */
float qdq_scale_f32(double amax, double levels);
/* Weight w quantized along axis (-1: one scale); *out indexes r->wq. */
vkc_status qdq_add_weight(rw *r, const onnx_tensor *w, int axis, uint32_t *out);
/* The int32 bias for an op with input scale in_scale and weight w; its DQ
 * output, or NULL when it stays float (*st tells an error from that). */
const char *qdq_add_bias(rw *r, const onnx_tensor *b, double in_scale, const qdq_weight *w, vkc_status *st);

#endif
