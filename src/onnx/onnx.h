/* ONNX models: reading, the tensors a calibration needs, and the INT8 Q/DQ
 * rewrite (DESIGN.md §4 "Q/DQ ONNX"). This is the whole interface the CLI
 * uses; it is written to move into include/vkcalib.h unchanged: vkc_ names,
 * an opaque handle, info structs whose zero value means the defaults,
 * vkc_status results with the reason in a vkc_msg, and nothing printed.
 *
 * What is read: the model file is mapped, checked as a whole (every message
 * of the tree, subgraphs and functions included, without recursion: depth,
 * field and count limits below), and the top-level graph is indexed (nodes,
 * initializers, inputs, outputs). Weights stay where they are (the mapping,
 * or external data files, read when needed); nothing is copied whole.
 *
 * What is written: the same model with the changes of the call and every
 * other byte copied through, unknown and newer fields included; a model
 * with nothing to change is written byte for byte. Outputs are written
 * through a temporary file in the output's folder and renamed into place
 * (an existing file is replaced only on success), streamed, never built
 * whole in memory, and never over the model or its external data files.
 *
 * External data (TensorProto data_location = EXTERNAL): locations must be
 * relative paths inside the model's folder (no absolute path, no '..', no
 * symbolic link leading out of it); offsets and lengths are 64-bit. When the
 * model has external top-level initializers, the output gets its own data
 * file, OUT + ".data" beside OUT, holding them (and new quantized weights
 * of external ones), with the locations rewritten; external tensors
 * elsewhere (subgraphs, attributes) are copied as they are, which needs
 * OUT in the model's folder. */
#ifndef VKC_ONNX_H
#define VKC_ONNX_H

#include "vkcalib.h"

#include <stdint.h>

typedef struct vkc_onnx_model vkc_onnx_model;

/* Limits for hostile input; 0 means the default. */
#define VKC_ONNX_DEFAULT_MAX_DEPTH 100u      /* nested messages (protobuf's own default) */
#define VKC_ONNX_DEFAULT_MAX_FIELDS 50000000u /* fields in the whole file */
#define VKC_ONNX_DEFAULT_MAX_NODES 1000000u   /* nodes, initializers, inputs, outputs of the graph */

typedef struct vkc_onnx_open_info {
    const char *path;     /* the .onnx file; with data: its name for messages,
                             and where external data paths start */
    const void *data;     /* NULL: read path; else the model in memory
                             (size bytes, not copied: it must outlive the
                             model) */
    uint64_t size;
    uint32_t max_depth;   /* 0: VKC_ONNX_DEFAULT_MAX_DEPTH */
    uint64_t max_fields;  /* 0: VKC_ONNX_DEFAULT_MAX_FIELDS */
    uint32_t max_nodes;   /* 0: VKC_ONNX_DEFAULT_MAX_NODES */
} vkc_onnx_open_info;

/* Opens and checks a model. Errors name the file (and the tensor or node):
 * VKC_ERROR_IO (cannot read), VKC_ERROR_FORMAT (not a well-formed ONNX
 * model, a limit exceeded, external data outside the folder or shorter
 * than declared), VKC_ERROR_OUT_OF_MEMORY, VKC_ERROR_INVALID_ARGUMENT. */
vkc_status vkc_onnx_open(const vkc_onnx_open_info *info, vkc_onnx_model **out, vkc_msg *msg);
void vkc_onnx_close(vkc_onnx_model *m);

/* The ai.onnx opset the model imports (0 when none), its IR version, and
 * the number of top-level nodes. */
int64_t vkc_onnx_opset(const vkc_onnx_model *m);
int64_t vkc_onnx_ir_version(const vkc_onnx_model *m);
uint32_t vkc_onnx_node_count(const vkc_onnx_model *m);
/* 1 when name is a tensor of the top-level graph: a graph input, an
 * initializer or a node output. */
int vkc_onnx_has_tensor(const vkc_onnx_model *m, const char *name);

/* Copies the model to out_path: byte-identical when it has no external
 * data (DESIGN.md §4: unchanged parts are copied through). */
vkc_status vkc_onnx_write(vkc_onnx_model *m, const char *out_path, vkc_msg *msg);

/* The same with the named tensors added as graph outputs (those that are
 * outputs already are skipped), so that a runtime returns them: how the
 * capture tool reads activations. Each must be a tensor of the graph
 * (vkc_onnx_has_tensor); its type comes from the graph's value_info, else
 * float32 of unknown shape (ONNX Runtime takes that; python3-onnx's strict
 * checker wants a shape: the model is for running, not for shipping). */
vkc_status vkc_onnx_write_with_outputs(vkc_onnx_model *m, const char *const *names, uint32_t count,
                                       const char *out_path, vkc_msg *msg);

/* ---- Q/DQ ----------------------------------------------------------------- */

typedef enum vkc_qdq_target {
    VKC_QDQ_TENSORRT = 0, /* int8 only, zero point 0, Q/DQ on the inputs of quantized ops */
    VKC_QDQ_ONNXRUNTIME,  /* also on their outputs, uint8/asymmetric allowed, int32 bias */
    VKC_QDQ_OPENVINO      /* as ONNX Runtime */
} vkc_qdq_target;

/* Ops quantized besides Conv, ConvTranspose, Gemm and MatMul (always). */
enum {
    VKC_QDQ_OP_ADD = 1u << 0,
    VKC_QDQ_OP_MUL = 1u << 1,
    VKC_QDQ_OP_AVGPOOL = 1u << 2, /* AveragePool, GlobalAveragePool */
    VKC_QDQ_OP_MAXPOOL = 1u << 3,
    VKC_QDQ_OP_CONCAT = 1u << 4,
    VKC_QDQ_OP_ALL = 0x1fu
};

/* The range of one tensor, as a calibration gives it (the vkcalib JSON's
 * fields; a TensorRT cache gives symmetric ranges). */
typedef struct vkc_qdq_range {
    const char *name;
    double lo, hi;        /* the range represented */
    double scale;         /* > 0: the quantization step */
    int32_t zero_point;   /* int8 terms ([-128, 127]); 0 unless asymmetric */
    int is_unsigned;      /* 1: uint8 [0, 255] with zero point 0 */
    vkc_mode mode;        /* symmetric, unsigned or asymmetric */
} vkc_qdq_range;

/* Called with each warning (a whole sentence naming the tensor); may be
 * NULL. */
typedef void (*vkc_warn_fn)(void *user, const char *text);

typedef struct vkc_qdq_info {
    vkc_qdq_target target;
    uint32_t extra_ops;        /* VKC_QDQ_OP_* bits */
    int fp8;                   /* TensorRT only: E4M3 Q/DQ, scale amax/448, opset 19 */
    int skip_missing;          /* an op whose input has no range stays float (default: error) */
    const char *ranges_name;   /* the range file, for messages (may be NULL) */
    vkc_warn_fn warn;
    void *warn_user;
} vkc_qdq_info;

/* The tensors the rewrite for `info` needs ranges for, in graph order
 * (what to dump). The array and its strings live until vkc_onnx_close or
 * the next call on m. Errors: the opset (below 10). */
vkc_status vkc_onnx_needed_tensors(vkc_onnx_model *m, const vkc_qdq_info *info, const char *const **names,
                                   uint32_t *count, vkc_msg *msg);

typedef struct vkc_qdq_stats {
    uint32_t ops_quantized;   /* ops with Q/DQ on their inputs */
    uint32_t ops_float;       /* quantizable ops left in float (missing ranges, unsupported weights) */
    uint32_t activations;     /* Q/DQ pairs on activations */
    uint32_t weights;         /* weights quantized */
    uint32_t biases;          /* int32 biases (ONNX Runtime / OpenVINO) */
    uint32_t per_tensor_weights; /* weights with one scale (opset 10-12 that could not be upgraded) */
    int64_t opset;            /* ai.onnx opset of the output */
    uint32_t unknown_ranges;  /* ranges naming no tensor of the graph (warned) */
} vkc_qdq_stats;

/* Writes the Q/DQ model of m with ranges[0..n) to out_path. Target rules:
 *
 * - TensorRT: Q/DQ pairs (int8, zero point 0, per-tensor scales) on the
 *   activation inputs of the quantized ops; weights int8, per output
 *   channel, symmetric max (Conv axis 0, ConvTranspose axis 1, Gemm axis 0
 *   with transB else 1, MatMul the last axis); biases stay float. An
 *   unsigned or asymmetric range is written as its symmetric envelope
 *   max(|lo|, |hi|) / 127, with a warning naming the tensor. With fp8:
 *   FLOAT8E4M3FN, scale amax / 448 (activations and weights), opset 19.
 * - ONNX Runtime / OpenVINO: also Q/DQ on the ops' outputs (so QLinearConv,
 *   QGemm and friends fuse), uint8 for unsigned ranges, uint8 with a zero
 *   point for asymmetric ones, int32 biases (scale = input scale x weight
 *   scale). Symmetric ranges: int8 for OpenVINO; for ONNX Runtime the same
 *   grid in uint8 with zero point 128, because its x86 kernels (U8S8) fuse
 *   every Conv then and only some with int8 activations.
 *
 * Names follow ONNX Runtime: <t>_scale, <t>_zero_point, <t>_QuantizeLinear
 * (_Output), <t>_DequantizeLinear(_Output), <w>_quantized; one Q/DQ pair per
 * tensor, shared by its consumers. A weight whose only consumers were
 * quantized is removed (its int8 copy replaces it).
 *
 * Scope: the ops of the top-level graph. Subgraphs (If, Loop, Scan bodies)
 * and model-local functions are copied as they are; with any of them the
 * fp32 weights stay (a subgraph may read an outer name) and the opset is
 * not raised.
 *
 * Opsets: 13 and later as they are. 10 to 12: the ai.onnx import is raised
 * to 13 when every op of the graph has the same meaning there (a table of
 * ops); otherwise weights get one scale per tensor, with a warning. Below
 * 10: VKC_ERROR_UNSUPPORTED naming the opset. fp8 raises to 19 on the same
 * condition, else fails.
 *
 * Errors (no output written): tensors without a range, listed (unless
 * skip_missing); no range matching the graph at all (a range file for
 * another model); a graph with no quantizable op; bad ranges; I/O. */
vkc_status vkc_qdq_write(vkc_onnx_model *m, const vkc_qdq_range *ranges, uint32_t n, const vkc_qdq_info *info,
                         const char *out_path, vkc_qdq_stats *stats, vkc_msg *msg);

/* Names as the CLI takes them: "tensorrt", "onnxruntime", "openvino";
 * ops "add", "mul", "avgpool", "maxpool", "concat". 1 when parsed. */
int vkc_qdq_target_parse(const char *s, vkc_qdq_target *out);
const char *vkc_qdq_target_name(vkc_qdq_target t);
int vkc_qdq_op_parse(const char *s, uint32_t *bit);

#endif
