/* Which ops of a graph are quantized, which of their inputs are activations
 * and weights, and whether the ai.onnx opset can be raised: the part of
 * the Q/DQ rules that needs no ranges (shared by vkc_onnx_needed_tensors
 * and vkc_qdq_write). Internal to src/onnx. */
#ifndef VKC_ONNX_SELECT_H
#define VKC_ONNX_SELECT_H

#include "onnx/model.h"

enum { QOP_CONV, QOP_CONVT, QOP_GEMM, QOP_MATMUL, QOP_EXTRA };

#define QOP_MAX_ACT 8

typedef struct qop {
    uint32_t node;
    int kind;
    uint32_t act[QOP_MAX_ACT];  /* input positions holding activations */
    uint32_t nact;
    int w_in, b_in;             /* input positions of the weight and bias, -1 when none */
    int axis;                   /* weight axis, -1: one scale */
    const onnx_tensor *w, *b;
    int32_t w_node, b_node;     /* Constant nodes holding them, -1 for initializers */
    const char *out;            /* output 0 when it may be quantized (ONNX Runtime), else NULL */
} qop;

typedef struct qsel {
    qop *ops;
    uint32_t nops, ops_cap;
    onnx_map dtype;             /* tensor -> TensorProto data type, where known */
    /* warnings about skipped ops, one per line, for the caller to pass on */
    char **notes;
    uint32_t nnotes, notes_cap;
} qsel;

/* Finds the quantizable ops of m for info (target and extra ops). */
vkc_status qsel_build(const vkc_onnx_model *m, const vkc_qdq_info *info, qsel *s, vkc_msg *msg);
void qsel_free(qsel *s);

/* 1 when raising the ai.onnx import from `from` to `to` changes the meaning
 * of no node of the graph (a table of the ops whose definitions changed
 * incompatibly; unknown ops and subgraphs count as changed). *why names
 * the first op in the way. */
int qsel_can_upgrade(const vkc_onnx_model *m, int64_t from, int64_t to, const char **why);

#endif
