#include "onnx/select.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- opset upgrade table --------------------------------------------------- */

/* Ops whose definition changed incompatibly at the listed versions (an
 * attribute became an input, a default or a meaning changed), up to opset
 * 19; ops listed with none only gained types or optional attributes whose
 * defaults keep the old behaviour. From onnx/docs/Changelog.md. An op not
 * in the table blocks an upgrade. */
typedef struct op_change {
    const char *op;
    uint8_t at[3];
} op_change;

static const op_change kChanges[] = {
    {"Clip", {11}}, {"Pad", {11}}, {"Resize", {11, 18}}, {"Upsample", {10}}, {"Slice", {10}}, {"TopK", {10}},
    {"Softmax", {13}}, {"LogSoftmax", {13}}, {"Hardmax", {13}}, {"Split", {13}}, {"Squeeze", {13}},
    {"Unsqueeze", {13}}, {"ReduceSum", {13}}, {"ReduceMean", {18}}, {"ReduceMax", {18}}, {"ReduceMin", {18}},
    {"ReduceProd", {18}}, {"ReduceL1", {18}}, {"ReduceL2", {18}}, {"ReduceLogSum", {18}},
    {"ReduceLogSumExp", {18}}, {"ReduceSumSquare", {18}}, {"Dropout", {12}}, {"RoiAlign", {16}},
    {"Abs", {0}}, {"Acos", {0}}, {"Acosh", {0}}, {"Add", {0}}, {"And", {0}}, {"ArgMax", {0}}, {"ArgMin", {0}},
    {"Asin", {0}}, {"Asinh", {0}}, {"Atan", {0}}, {"Atanh", {0}}, {"AveragePool", {0}},
    {"BatchNormalization", {0}}, {"Cast", {0}}, {"Ceil", {0}}, {"Celu", {0}}, {"Concat", {0}},
    {"Constant", {0}}, {"ConstantOfShape", {0}}, {"Conv", {0}}, {"ConvTranspose", {0}}, {"Cos", {0}},
    {"Cosh", {0}}, {"CumSum", {0}}, {"DepthToSpace", {0}}, {"DequantizeLinear", {0}}, {"Div", {0}},
    {"Einsum", {0}}, {"Elu", {0}}, {"Equal", {0}}, {"Erf", {0}}, {"Exp", {0}}, {"Expand", {0}}, {"Flatten", {0}},
    {"Floor", {0}}, {"Gather", {0}}, {"GatherElements", {0}}, {"GatherND", {0}}, {"Gemm", {0}},
    {"GlobalAveragePool", {0}}, {"GlobalMaxPool", {0}}, {"Greater", {0}}, {"GreaterOrEqual", {0}},
    {"HardSigmoid", {0}}, {"HardSwish", {0}}, {"Identity", {0}}, {"InstanceNormalization", {0}},
    {"IsInf", {0}}, {"IsNaN", {0}}, {"LRN", {0}}, {"LeakyRelu", {0}}, {"Less", {0}}, {"LessOrEqual", {0}},
    {"Log", {0}}, {"MatMul", {0}}, {"Max", {0}}, {"MaxPool", {0}}, {"Mean", {0}}, {"Min", {0}}, {"Mod", {0}},
    {"Mul", {0}}, {"Neg", {0}}, {"NonZero", {0}}, {"Not", {0}}, {"OneHot", {0}}, {"Or", {0}}, {"PRelu", {0}},
    {"Pow", {0}}, {"QuantizeLinear", {0}}, {"Range", {0}}, {"Reciprocal", {0}}, {"Relu", {0}},
    {"Reshape", {0}}, {"Round", {0}}, {"ScatterElements", {0}}, {"ScatterND", {0}}, {"Selu", {0}},
    {"Shape", {0}}, {"Sigmoid", {0}}, {"Sign", {0}}, {"Sin", {0}}, {"Sinh", {0}}, {"Size", {0}},
    {"Softplus", {0}}, {"Softsign", {0}}, {"SpaceToDepth", {0}}, {"Sqrt", {0}}, {"Sub", {0}}, {"Sum", {0}},
    {"Tan", {0}}, {"Tanh", {0}}, {"Tile", {0}}, {"Transpose", {0}}, {"Where", {0}}, {"Xor", {0}},
    {NULL, {0}}};

static int onnx_domain(const char *d)
{
    return !d[0] || !strcmp(d, "ai.onnx");
}

int qsel_can_upgrade(const vkc_onnx_model *m, int64_t from, int64_t to, const char **why)
{
    if (m->has_functions) {
        *why = "model-local functions";
        return 0;
    }
    for (uint32_t k = 0; k < m->nnodes; k++) {
        const onnx_node *n = &m->nodes[k];
        if (n->has_subgraph) {
            *why = n->op_type;
            return 0;
        }
        if (!onnx_domain(n->domain)) continue;
        const op_change *c = kChanges;
        while (c->op && strcmp(c->op, n->op_type) != 0) c++;
        if (!c->op) {
            *why = n->op_type;
            return 0;
        }
        for (int i = 0; i < 3; i++)
            if (c->at[i] && c->at[i] > from && c->at[i] <= to) {
                *why = n->op_type;
                return 0;
            }
    }
    return 1;
}

/* ---- tensor types --------------------------------------------------------------- */

/* The elem_type of a TypeProto's tensor_type, 0 when absent. */
static int32_t type_elem(const vkc_onnx_model *m, uint64_t off, uint64_t len)
{
    const char *why;
    uint64_t at;
    vkc_pb_reader r = vkc_pb_reader_at(m->buf, off, len);
    vkc_pb_field f, g;
    while (vkc_pb_next(&r, &f, &why, &at) > 0) {
        if (f.num != 1 || f.wt != VKC_PB_LEN) continue;
        vkc_pb_reader t = vkc_pb_reader_at(m->buf, f.val, f.len);
        while (vkc_pb_next(&t, &g, &why, &at) > 0)
            if (g.num == 1 && g.wt == VKC_PB_VARINT) return (int32_t)g.val;
    }
    return 0;
}

static int32_t get_type(const qsel *s, const char *name)
{
    uint32_t v;
    return onnx_map_get(&s->dtype, name, &v) ? (int32_t)v : 0;
}

static int set_type(qsel *s, const char *name, int32_t t)
{
    if (!name[0] || t <= 0) return 1;
    uint32_t *slot = onnx_map_slot(&s->dtype, name);
    if (!slot) return 0;
    if (!*slot) *slot = (uint32_t)t;
    return 1;
}

/* Element types where the graph states them, else propagated forward in
 * node order: enough to keep integer shape arithmetic (Shape, Gather,
 * Concat of sizes) out of the quantized set. */
static int infer_types(const vkc_onnx_model *m, qsel *s)
{
    int ok = 1;
    for (uint32_t i = 0; ok && i < m->nvalue_infos; i++)
        ok = set_type(s, m->value_infos[i].name, type_elem(m, m->value_infos[i].type_off, m->value_infos[i].type_len));
    for (uint32_t i = 0; ok && i < m->ninputs; i++)
        ok = set_type(s, m->inputs[i].name, type_elem(m, m->inputs[i].type_off, m->inputs[i].type_len));
    for (uint32_t i = 0; ok && i < m->noutputs; i++)
        ok = set_type(s, m->outputs[i].name, type_elem(m, m->outputs[i].type_off, m->outputs[i].type_len));
    for (uint32_t i = 0; ok && i < m->ninits; i++) ok = set_type(s, m->inits[i].name, m->inits[i].data_type);
    for (uint32_t k = 0; ok && k < m->nnodes; k++) {
        const onnx_node *n = &m->nodes[k];
        const char *op = n->op_type;
        int32_t t = 0;
        if (!onnx_domain(n->domain)) continue;
        if (!strcmp(op, "Constant") || !strcmp(op, "ConstantOfShape"))
            t = n->value_dtype ? n->value_dtype : DT_FLOAT;
        else if (!strcmp(op, "Shape") || !strcmp(op, "Size") || !strcmp(op, "NonZero") || !strcmp(op, "ArgMax") ||
                 !strcmp(op, "ArgMin"))
            t = DT_INT64;
        else if (!strcmp(op, "Cast"))
            t = (int32_t)n->cast_to;
        else if (!strcmp(op, "Equal") || !strcmp(op, "Less") || !strcmp(op, "Greater") || !strcmp(op, "Not") ||
                 !strcmp(op, "And") || !strcmp(op, "Or") || !strcmp(op, "Xor") || !strcmp(op, "IsNaN") ||
                 !strcmp(op, "IsInf") || !strcmp(op, "LessOrEqual") || !strcmp(op, "GreaterOrEqual"))
            t = 9; /* BOOL */
        else if (!strcmp(op, "Where") && n->ninputs > 1)
            t = get_type(s, n->inputs[1]);
        else if (n->ninputs > 0)
            t = get_type(s, n->inputs[0]);
        if (n->noutputs > 0) ok = set_type(s, n->outputs[0], t);
    }
    return ok;
}

/* ---- ops --------------------------------------------------------------------------- */

static vkc_status note(qsel *s, vkc_msg *msg, const char *fmt, ...) VKC_PRINTF(3, 4);
static vkc_status note(qsel *s, vkc_msg *msg, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (!onnx_grow((void **)&s->notes, s->nnotes, &s->notes_cap, sizeof *s->notes))
        return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    if (!(s->notes[s->nnotes] = strdup(text))) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    s->nnotes++;
    return VKC_OK;
}

static int extra_bit(const char *op)
{
    if (!strcmp(op, "Add")) return VKC_QDQ_OP_ADD;
    if (!strcmp(op, "Mul")) return VKC_QDQ_OP_MUL;
    if (!strcmp(op, "AveragePool") || !strcmp(op, "GlobalAveragePool")) return VKC_QDQ_OP_AVGPOOL;
    if (!strcmp(op, "MaxPool")) return VKC_QDQ_OP_MAXPOOL;
    if (!strcmp(op, "Concat")) return VKC_QDQ_OP_CONCAT;
    return 0;
}

/* An input that can carry a Q/DQ pair: a float32 tensor of the graph
 * computed at run time (not a constant; a name nothing defines, as in a
 * broken graph, is none). Unknown types count as float (most tensors of a
 * float model); integer ones were found by infer_types. */
static int is_activation(const vkc_onnx_model *m, const qsel *s, const char *name)
{
    if (!name[0] || onnx_constant(m, name, NULL) || !vkc_onnx_has_tensor(m, name)) return 0;
    int32_t t = get_type(s, name);
    return t == 0 || t == DT_FLOAT;
}

static const onnx_tensor *float_const(const vkc_onnx_model *m, const char *name, int32_t *node)
{
    const onnx_tensor *t = onnx_constant(m, name, node);
    return t && t->data_type == DT_FLOAT && t->at != DATA_NONE ? t : NULL;
}

static vkc_status add_op(qsel *s, const qop *op, vkc_msg *msg)
{
    if (!onnx_grow((void **)&s->ops, s->nops, &s->ops_cap, sizeof *s->ops))
        return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    s->ops[s->nops++] = *op;
    return VKC_OK;
}

/* Conv, ConvTranspose, Gemm, MatMul: input 0 an activation, input 1 a
 * float weight (a constant) or, for Gemm and MatMul, a second activation. */
static vkc_status weighted_op(const vkc_onnx_model *m, qsel *s, uint32_t k, int kind, vkc_msg *msg)
{
    const onnx_node *n = &m->nodes[k];
    char label[300];
    qop op;
    memset(&op, 0, sizeof op);
    op.node = k;
    op.kind = kind;
    op.w_in = op.b_in = -1;
    op.w_node = op.b_node = -1;
    op.axis = -1;
    if (n->ninputs < 2 || !is_activation(m, s, n->inputs[0]))
        return note(s, msg, "%s %s: input 0 is not a float activation; left in float", n->op_type,
                    onnx_node_label(m, k, label, sizeof label));
    op.act[op.nact++] = 0;
    const onnx_tensor *w = float_const(m, n->inputs[1], &op.w_node);
    if (w) {
        int ok = 0;
        if (kind == QOP_CONV || kind == QOP_CONVT) {
            ok = w->ndims >= 3;
            op.axis = kind == QOP_CONV ? 0 : 1;
        } else if (kind == QOP_GEMM) {
            ok = w->ndims == 2;
            op.axis = n->trans_b ? 0 : 1;
        } else {
            ok = w->ndims >= 1;
            op.axis = w->ndims >= 2 ? (int)w->ndims - 1 : -1;
        }
        if (!ok)
            return note(s, msg, "%s %s: weight '%s' has %u dimensions; left in float", n->op_type,
                        onnx_node_label(m, k, label, sizeof label), w->name, w->ndims);
        op.w = w;
        op.w_in = 1;
    } else if ((kind == QOP_GEMM || kind == QOP_MATMUL) && is_activation(m, s, n->inputs[1])) {
        op.act[op.nact++] = 1;
    } else {
        return note(s, msg, "%s %s: weight '%s' is not a float32 constant; left in float", n->op_type,
                    onnx_node_label(m, k, label, sizeof label), n->inputs[1]);
    }
    if ((kind == QOP_CONV || kind == QOP_CONVT || kind == QOP_GEMM) && n->ninputs > 2 && n->inputs[2][0]) {
        const onnx_tensor *b = float_const(m, n->inputs[2], &op.b_node);
        if (b && b->ndims == 1) {
            op.b = b;
            op.b_in = 2;
        }
    }
    return add_op(s, &op, msg);
}

static vkc_status extra_op(const vkc_onnx_model *m, qsel *s, uint32_t k, vkc_msg *msg)
{
    const onnx_node *n = &m->nodes[k];
    qop op;
    memset(&op, 0, sizeof op);
    op.node = k;
    op.kind = QOP_EXTRA;
    op.w_in = op.b_in = -1;
    op.w_node = op.b_node = -1;
    op.axis = -1;
    for (uint32_t i = 0; i < n->ninputs && op.nact < QOP_MAX_ACT; i++) {
        if (!is_activation(m, s, n->inputs[i])) continue;
        int dup = 0;
        for (uint32_t j = 0; j < op.nact; j++) dup |= !strcmp(n->inputs[op.act[j]], n->inputs[i]);
        if (!dup) op.act[op.nact++] = i;
    }
    if (op.nact == 0) return VKC_OK;
    return add_op(s, &op, msg);
}

vkc_status qsel_build(const vkc_onnx_model *m, const vkc_qdq_info *info, qsel *s, vkc_msg *msg)
{
    memset(s, 0, sizeof *s);
    if (!infer_types(m, s)) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    vkc_status st = VKC_OK;
    for (uint32_t k = 0; st == VKC_OK && k < m->nnodes; k++) {
        const onnx_node *n = &m->nodes[k];
        if (!onnx_domain(n->domain)) continue;
        const char *op = n->op_type;
        uint32_t before = s->nops;
        if (!strcmp(op, "Conv")) st = weighted_op(m, s, k, QOP_CONV, msg);
        else if (!strcmp(op, "ConvTranspose")) st = weighted_op(m, s, k, QOP_CONVT, msg);
        else if (!strcmp(op, "Gemm")) st = weighted_op(m, s, k, QOP_GEMM, msg);
        else if (!strcmp(op, "MatMul")) st = weighted_op(m, s, k, QOP_MATMUL, msg);
        else if (extra_bit(op) & info->extra_ops) st = extra_op(m, s, k, msg);
        /* ONNX Runtime fuses DQ -> op -> Q: the output needs a pair too,
         * unless it leaves the graph (a graph output keeps its float
         * producer). */
        if (st == VKC_OK && s->nops > before && info->target != VKC_QDQ_TENSORRT && n->noutputs > 0 &&
            n->outputs[0][0] && !onnx_map_get(&m->output_by_name, n->outputs[0], NULL) &&
            get_type(s, n->outputs[0]) <= DT_FLOAT)
            s->ops[s->nops - 1].out = n->outputs[0];
    }
    if (st != VKC_OK) qsel_free(s);
    return st;
}

void qsel_free(qsel *s)
{
    for (uint32_t i = 0; i < s->nnotes; i++) free(s->notes[i]);
    free(s->notes);
    free(s->ops);
    onnx_map_free(&s->dtype);
    memset(s, 0, sizeof *s);
}

/* ---- the names to dump --------------------------------------------------------------- */

vkc_status vkc_onnx_needed_tensors(vkc_onnx_model *m, const vkc_qdq_info *info, const char *const **names,
                                   uint32_t *count, vkc_msg *msg)
{
    vkc_qdq_info zero;
    if (!info) {
        memset(&zero, 0, sizeof zero);
        info = &zero;
    }
    *names = NULL;
    *count = 0;
    vkc_status cs = vkc_check_struct(info->sType, info->pNext, VKC_STRUCTURE_TYPE_QDQ_INFO, "vkc_qdq_info", msg);
    if (cs != VKC_OK) return cs;
    if (m->opset && m->opset < 10)
        return vkc_fail(msg, VKC_ERROR_UNSUPPORTED,
                        "%s: ai.onnx opset %lld: QuantizeLinear/DequantizeLinear need opset 10 or later (convert "
                        "the model to opset 13, e.g. with onnx.version_converter)",
                        m->path, (long long)m->opset);
    qsel s;
    vkc_status st = qsel_build(m, info, &s, msg);
    if (st != VKC_OK) return st;
    free(m->needed);
    m->needed = NULL;
    m->nneeded = 0;
    onnx_map seen = {0};
    const char **v = malloc((size_t)(s.nops * (QOP_MAX_ACT + 1) + 1) * sizeof *v);
    int ok = v != NULL;
    uint32_t n = 0;
    for (uint32_t i = 0; ok && i < s.nops; i++) {
        const qop *op = &s.ops[i];
        const onnx_node *node = &m->nodes[op->node];
        for (uint32_t j = 0; ok && j <= op->nact; j++) {
            const char *t = j < op->nact ? node->inputs[op->act[j]] : op->out;
            if (!t || onnx_map_get(&seen, t, NULL)) continue;
            ok = onnx_map_put(&seen, t, n);
            v[n++] = t;
        }
    }
    onnx_map_free(&seen);
    qsel_free(&s);
    if (!ok) {
        free(v);
        return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    }
    m->needed = v;
    m->nneeded = n;
    *names = v;
    *count = n;
    return VKC_OK;
}
