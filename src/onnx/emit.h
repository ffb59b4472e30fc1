/* Writing a model with edits: the changed messages are encoded anew, every
 * other byte is copied from the mapped input; the output is a list of
 * pieces (spans of the input, new bytes, spans of external data files)
 * streamed into a temporary file and renamed into place. Internal to
 * src/onnx. */
#ifndef VKC_ONNX_EMIT_H
#define VKC_ONNX_EMIT_H

#include "onnx/model.h"
#include "base/strbuf.h"

/* A new initializer whose data goes to the output's external data file. */
typedef struct onnx_new_ext {
    vkc_buf head;          /* TensorProto fields other than the data reference */
    const void *data;      /* owned by the caller until the write returns */
    uint64_t len;
} onnx_new_ext;

/* What to change; zero means nothing. Arrays indexed by node, initializer
 * or graph input are NULL or have the model's counts. Buffers hold whole
 * encoded fields (tag, length, message). */
typedef struct onnx_edit {
    uint8_t *node_drop;
    const char ***node_inputs;  /* a node's new input list (same count), or NULL */
    vkc_buf prologue;           /* node fields before the first node */
    vkc_buf *after;             /* node fields after node k */
    uint8_t *init_drop;
    uint8_t *input_drop;
    vkc_buf new_inits;          /* initializer fields */
    onnx_new_ext *ext;          /* initializers with external data */
    uint32_t next, ext_cap;
    vkc_buf new_outputs;        /* graph output fields */
    int64_t opset;              /* new ai.onnx version, 0: unchanged */
    int64_t ir_version;         /* new IR version, 0: unchanged */
} onnx_edit;

/* Allocates the per-node/initializer/input arrays. */
vkc_status onnx_edit_init(onnx_edit *e, const vkc_onnx_model *m, vkc_msg *msg);
void onnx_edit_free(onnx_edit *e, const vkc_onnx_model *m);
/* 1 when the edit changes nothing. */
int onnx_edit_empty(const onnx_edit *e, const vkc_onnx_model *m);

/* Encoders for the new messages, appended as whole fields to b. */
void onnx_put_tensor_field(vkc_buf *b, uint32_t field, const char *name, int32_t dtype, const int64_t *dims,
                           uint32_t ndims, const void *raw, uint64_t raw_len);
/* A node field: inputs/outputs as given, an int attribute "axis" when
 * has_axis. */
void onnx_put_node_field(vkc_buf *b, const char *name, const char *op, const char *const *in, uint32_t nin,
                         const char *const *out, uint32_t nout, int has_axis, int64_t axis);

/* Writes m with e applied to out_path (and out_path + ".data" when the
 * output has external data). */
vkc_status onnx_emit(vkc_onnx_model *m, const onnx_edit *e, const char *out_path, vkc_msg *msg);

#endif
