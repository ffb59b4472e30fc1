/* The ONNX messages over the wire format (field numbers of onnx.proto):
 * the index of a mapped model that the rewrite (qdq.c) and the writer
 * (emit.c) share. Internal to src/onnx. */
#ifndef VKC_ONNX_MODEL_H
#define VKC_ONNX_MODEL_H

#include "onnx/onnx.h"
#include "onnx/pb.h"
#include "base/common.h"

#include <stdint.h>

/* Field numbers (onnx.proto). */
enum {
    MODEL_IR_VERSION = 1, MODEL_OPSET_IMPORT = 8, MODEL_GRAPH = 7,
    GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11, GRAPH_OUTPUT = 12,
    GRAPH_VALUE_INFO = 13,
    NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5, NODE_DOMAIN = 7,
    ATTR_NAME = 1, ATTR_F = 2, ATTR_I = 3, ATTR_T = 5, ATTR_G = 6, ATTR_GRAPHS = 11, ATTR_TYPE = 20,
    TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_FLOAT_DATA = 4, TENSOR_NAME = 8, TENSOR_RAW_DATA = 9,
    TENSOR_EXTERNAL_DATA = 13, TENSOR_DATA_LOCATION = 14,
    VALUE_NAME = 1, VALUE_TYPE = 2,
    OPSET_DOMAIN = 1, OPSET_VERSION = 2,
    ENTRY_KEY = 1, ENTRY_VALUE = 2
};

/* TensorProto.DataType values used here. */
enum { DT_FLOAT = 1, DT_UINT8 = 2, DT_INT8 = 3, DT_INT32 = 6, DT_INT64 = 7, DT_FLOAT8E4M3FN = 17 };

#define ONNX_MAX_DIMS 16

typedef enum onnx_data_at { DATA_NONE = 0, DATA_RAW, DATA_FLOATS_PACKED, DATA_FLOATS, DATA_EXTERNAL } onnx_data_at;

/* A TensorProto: an initializer, or the value of a Constant node. */
typedef struct onnx_tensor {
    const char *name;
    int32_t data_type;
    uint32_t ndims;
    int64_t dims[ONNX_MAX_DIMS];
    uint64_t count;              /* elements (product of dims) */
    uint64_t field_start, field_end; /* the enclosing field (in the graph or attribute) */
    uint64_t msg_off, msg_len;   /* the TensorProto itself */
    onnx_data_at at;
    uint64_t data_off, data_len; /* RAW / FLOATS_PACKED: the bytes in the model */
    char *ext_location;          /* EXTERNAL: as written in the model */
    char *ext_path;              /* EXTERNAL: checked path of the file */
    uint64_t ext_offset, ext_length;
    int is_initializer;
} onnx_tensor;

typedef struct onnx_node {
    uint64_t field_start, field_end;
    const char *name, *op_type, *domain;
    uint32_t ninputs, noutputs;
    const char **inputs, **outputs;
    int64_t group, trans_a, trans_b;
    int64_t cast_to;             /* Cast: the 'to' attribute, else 0 */
    int32_t value_dtype;         /* data type of a 'value' tensor attribute, else 0 */
    int has_subgraph;
    int32_t value;               /* Constant: index of its tensor in model.consts, else -1 */
} onnx_node;

typedef struct onnx_value {
    const char *name;
    uint64_t field_start, field_end;
    uint64_t type_off, type_len; /* the TypeProto, 0 length when absent */
} onnx_value;

/* Open-addressing map from names to indices. */
typedef struct onnx_map {
    const char **keys;
    uint32_t *vals;
    uint32_t cap, count;
} onnx_map;

struct vkc_onnx_model {
    char *path, *dir;            /* the file and its folder */
    char *dir_real;              /* realpath of the folder */
    const uint8_t *buf;
    uint64_t size;
    int borrowed;                /* buf is the caller's (vkc_onnx_open_info.data) */
    int64_t ir_version, opset;
    uint64_t graph_start, graph_end, graph_off, graph_len; /* the graph field and message */
    onnx_node *nodes;
    uint32_t nnodes;
    onnx_tensor *inits;          /* top-level initializers, file order */
    uint32_t ninits;
    onnx_tensor *consts;         /* values of top-level Constant nodes */
    uint32_t nconsts;
    onnx_value *inputs, *outputs, *value_infos;
    uint32_t ninputs, noutputs, nvalue_infos;
    int external_elsewhere;      /* an EXTERNAL tensor outside the top-level initializers */
    int has_functions;
    onnx_map producer;           /* tensor -> node index */
    onnx_map init_by_name;       /* initializer -> index */
    onnx_map input_by_name, output_by_name, vi_by_name;
    /* arena of the strings and arrays above */
    struct arena_block *arena;
    /* vkc_onnx_needed_tensors' result */
    const char **needed;
    uint32_t nneeded;
};

/* Makes room in a malloc'd array of n elements for one more, doubling
 * *cap; 0 when out of memory (the array is left as it was). */
int onnx_grow(void **arr, uint32_t n, uint32_t *cap, size_t elem);

/* Map: insert keeps the first value for a key. */
int onnx_map_put(onnx_map *m, const char *key, uint32_t val);
int onnx_map_get(const onnx_map *m, const char *key, uint32_t *val);
/* The value slot of key, inserted with *slot = 0 when absent; NULL when
 * out of memory. */
uint32_t *onnx_map_slot(onnx_map *m, const char *key);
void onnx_map_free(onnx_map *m);

/* The float32 values of a float tensor (count elements), freshly
 * allocated: raw data, float_data or external data. Errors name the model
 * and the tensor. */
vkc_status onnx_tensor_floats(const vkc_onnx_model *m, const onnx_tensor *t, float **out, vkc_msg *msg);

/* The model's arena (freed with it); NULL when out of memory. */
void *onnx_arena_alloc(vkc_onnx_model *m, size_t n);
/* Decimal digits only, no sign, no overflow: 1 and *out set. */
int onnx_parse_u64_text(const char *s, uint64_t *out);
/* Checks t's external location (relative, no '..' or '\\', resolving inside
 * the model's folder to a regular file holding offset + length) and sets
 * t->ext_path; a missing length becomes the rest of the file. Errors name
 * the model and the tensor. */
vkc_status onnx_check_location(vkc_onnx_model *m, onnx_tensor *t, vkc_msg *msg);

/* A constant tensor by name: an initializer, or the output of a Constant
 * node; NULL when the name is neither. */
const onnx_tensor *onnx_constant(const vkc_onnx_model *m, const char *name, int32_t *const_node);

/* "NAME" of a node for messages: its name, else "<op_type> #index". */
const char *onnx_node_label(const vkc_onnx_model *m, uint32_t node, char *buf, size_t size);

#endif
