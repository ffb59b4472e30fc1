/* The Q/DQ rewrite (onnx.h has the rules): ranges -> quantization
 * parameters per target, weights quantized per channel, Q/DQ nodes placed
 * after their producers, consumers redirected, replaced weights removed. */
#include "onnx/qdq.h"
#include "policy/range_policy.h"
#include "write/trtcache.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void qdq_warn(rw *r, const char *fmt, ...)
{
    if (!r->info->warn) return;
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    r->info->warn(r->info->warn_user, text);
}

const char *qdq_keep(rw *r, char *s)
{
    if (!s) return NULL;
    if (r->nstrs == r->strcap) {
        uint32_t cap = r->strcap ? r->strcap * 2 : 256;
        char **v = realloc(r->strs, cap * sizeof *v);
        if (!v) {
            free(s);
            return NULL;
        }
        r->strs = v;
        r->strcap = cap;
    }
    r->strs[r->nstrs++] = s;
    return s;
}

/* base + suffix, made unique against every name in the graph and every
 * name made so far (a _1, _2, ... before the suffix when taken). */
const char *qdq_fresh(rw *r, const char *base, const char *suffix)
{
    size_t n = strlen(base) + strlen(suffix) + 16;
    char *s = malloc(n);
    if (!s) return NULL;
    snprintf(s, n, "%s%s", base, suffix);
    for (unsigned i = 1; onnx_map_get(&r->taken, s, NULL); i++) snprintf(s, n, "%s_%u%s", base, i, suffix);
    const char *k = qdq_keep(r, s);
    if (k && !onnx_map_put(&r->taken, k, 0)) return NULL;
    return k;
}

static int take_names(rw *r)
{
    const vkc_onnx_model *m = r->m;
    int ok = 1;
    for (uint32_t k = 0; ok && k < m->nnodes; k++) {
        const onnx_node *n = &m->nodes[k];
        for (uint32_t i = 0; ok && i < n->ninputs; i++) ok = onnx_map_put(&r->taken, n->inputs[i], 0);
        for (uint32_t i = 0; ok && i < n->noutputs; i++) ok = onnx_map_put(&r->taken, n->outputs[i], 0);
        if (ok && n->name[0]) ok = onnx_map_put(&r->taken, n->name, 0);
    }
    for (uint32_t i = 0; ok && i < m->ninits; i++) ok = onnx_map_put(&r->taken, m->inits[i].name, 0);
    for (uint32_t i = 0; ok && i < m->ninputs; i++) ok = onnx_map_put(&r->taken, m->inputs[i].name, 0);
    for (uint32_t i = 0; ok && i < m->noutputs; i++) ok = onnx_map_put(&r->taken, m->outputs[i].name, 0);
    return ok;
}

/* ---- activations -------------------------------------------------------------------- */

static vkc_status act_params(rw *r, const vkc_qdq_range *rg, aq *q)
{
    const char *file = r->info->ranges_name ? r->info->ranges_name : "ranges";
    if (!(rg->scale > 0) || !isfinite(rg->scale) || !isfinite(rg->lo) || !isfinite(rg->hi) || rg->lo > rg->hi)
        return vkc_fail(r->msg, VKC_ERROR_INVALID_ARGUMENT, "%s: tensor '%s': invalid range [%g, %g] scale %g", file,
                        rg->name, rg->lo, rg->hi, rg->scale);
    double amax = fmax(fabs(rg->lo), fabs(rg->hi));
    int symmetric = rg->mode == VKC_MODE_SYMMETRIC && !rg->is_unsigned && rg->zero_point == 0;
    if (r->info->target == VKC_QDQ_TENSORRT) {
        if (!symmetric)
            qdq_warn(r,
                 "tensor '%s': %s range [%g, %g] written as its symmetric envelope [-%g, %g] (TensorRT takes int8 "
                 "with zero point 0 only)",
                 rg->name, vkc_mode_name(rg->mode), rg->lo, rg->hi, amax, amax);
        q->zp = 0;
        if (r->info->fp8) {
            q->dtype = DT_FLOAT8E4M3FN;
            q->scale = qdq_scale_f32(amax, FP8_MAX);
        } else {
            q->dtype = DT_INT8;
            /* A symmetric range keeps its own scale: the float32 a TensorRT
             * cache holds, bit for bit. */
            q->scale = symmetric ? rg->scale : vkc_trt_scale(amax);
        }
    } else if (symmetric && r->info->target == VKC_QDQ_ONNXRUNTIME) {
        /* The same grid in uint8 codes: int8 q is uint8 q + 128. ONNX
         * Runtime's x86 kernels are U8S8: with int8 activations its
         * optimizer leaves some Convs unfused (14 of PP-OCRv4 det's 62). */
        q->dtype = DT_UINT8;
        q->zp = 128;
        q->scale = rg->scale;
    } else if (symmetric) {
        q->dtype = DT_INT8;
        q->zp = 0;
        q->scale = rg->scale;
    } else if (rg->is_unsigned) {
        q->dtype = DT_UINT8;
        q->zp = 0;
        q->scale = rg->scale;
    } else {
        /* Asymmetric int8 codes [-128, 127] with zero point z are the uint8
         * codes [0, 255] with z + 128, the form ONNX Runtime's kernels
         * prefer (U8S8). */
        q->dtype = DT_UINT8;
        q->zp = rg->zero_point + 128;
        q->scale = rg->scale;
        if (q->zp < 0 || q->zp > 255)
            return vkc_fail(r->msg, VKC_ERROR_INVALID_ARGUMENT, "%s: tensor '%s': zero point %d out of range", file,
                            rg->name, rg->zero_point);
    }
    if (!((float)q->scale > 0) || !isfinite((float)q->scale))
        return vkc_fail(r->msg, VKC_ERROR_INVALID_ARGUMENT, "%s: tensor '%s': scale %g is not a positive float32",
                        file, rg->name, q->scale);
    return VKC_OK;
}

static void put_scalar_init(rw *r, const char *name, int32_t dtype, const void *v, uint32_t size)
{
    onnx_put_tensor_field(&r->e.new_inits, GRAPH_INITIALIZER, name, dtype, NULL, 0, v, size);
}

/* Q and DQ for tensor t, placed after its producer (or first). */
static vkc_status add_act(rw *r, const char *t, const vkc_qdq_range *rg)
{
    aq q;
    vkc_status st = act_params(r, rg, &q);
    if (st != VKC_OK) return st;
    const char *s = qdq_fresh(r, t, "_scale"), *z = qdq_fresh(r, t, "_zero_point");
    const char *qn = qdq_fresh(r, t, "_QuantizeLinear"), *qo = qdq_fresh(r, t, "_QuantizeLinear_Output");
    const char *dn = qdq_fresh(r, t, "_DequantizeLinear"), *dqo = qdq_fresh(r, t, "_DequantizeLinear_Output");
    if (!s || !z || !qn || !qo || !dn || !dqo) return vkc_fail(r->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    uint32_t sb = vkc_f32_bits((float)q.scale);
    const uint8_t scale_le[4] = {(uint8_t)sb, (uint8_t)(sb >> 8), (uint8_t)(sb >> 16), (uint8_t)(sb >> 24)};
    uint8_t zb = (uint8_t)(q.zp & 0xff); /* int8, uint8 and E4M3 zero points are one byte */
    put_scalar_init(r, s, DT_FLOAT, scale_le, 4);
    put_scalar_init(r, z, q.dtype, &zb, 1);
    uint32_t p;
    vkc_buf *where = onnx_map_get(&r->m->producer, t, &p) ? &r->e.after[p] : &r->e.prologue;
    const char *qin[3] = {t, s, z}, *din[3] = {qo, s, z};
    onnx_put_node_field(where, qn, "QuantizeLinear", qin, 3, &qo, 1, 0, 0);
    onnx_put_node_field(where, dn, "DequantizeLinear", din, 3, &dqo, 1, 0, 0);
    q.dq_out = dqo;
    if (!onnx_grow((void **)&r->acts, r->nacts, &r->acts_cap, sizeof *r->acts) || !onnx_map_put(&r->act_of, t, r->nacts))
        return vkc_fail(r->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    r->acts[r->nacts++] = q;
    r->stats.activations++;
    return VKC_OK;
}

/* ---- the rewrite ----------------------------------------------------------------------- */

static const char **inputs_of(rw *r, uint32_t k)
{
    const onnx_node *n = &r->m->nodes[k];
    if (!r->e.node_inputs[k]) {
        r->e.node_inputs[k] = malloc((n->ninputs ? n->ninputs : 1) * sizeof(char *));
        if (!r->e.node_inputs[k]) return NULL;
        memcpy(r->e.node_inputs[k], n->inputs, n->ninputs * sizeof(char *));
    }
    return r->e.node_inputs[k];
}

/* A replaced weight or bias goes when nothing reads it any more. */
static vkc_status drop_unused(rw *r)
{
    const vkc_onnx_model *m = r->m;
    for (uint32_t k = 0; k < m->nnodes; k++)
        if (m->nodes[k].has_subgraph) return VKC_OK; /* a subgraph may read any outer name */
    onnx_map uses = {0};
    int ok = 1;
    for (uint32_t k = 0; ok && k < m->nnodes; k++) {
        const onnx_node *n = &m->nodes[k];
        const char **in = r->e.node_inputs[k] ? r->e.node_inputs[k] : n->inputs;
        for (uint32_t i = 0; ok && i < n->ninputs; i++) {
            uint32_t *c = onnx_map_slot(&uses, in[i]);
            if (c) ++*c;
            else ok = 0;
        }
    }
    for (uint32_t i = 0; ok && i < m->noutputs; i++) {
        uint32_t *c = onnx_map_slot(&uses, m->outputs[i].name);
        if (c) ++*c;
        else ok = 0;
    }
    for (uint32_t i = 0; ok && i < r->sel.nops; i++) {
        const qop *op = &r->sel.ops[i];
        for (int j = 0; j < 2; j++) {
            const onnx_tensor *t = j ? op->b : op->w;
            int32_t cn = j ? op->b_node : op->w_node;
            if (!t || onnx_map_get(&uses, t->name, NULL)) continue;
            uint32_t idx;
            if (cn >= 0) r->e.node_drop[cn] = 1;
            else if (onnx_map_get(&m->init_by_name, t->name, &idx)) r->e.init_drop[idx] = 1;
            if (cn < 0 && onnx_map_get(&m->input_by_name, t->name, &idx)) r->e.input_drop[idx] = 1;
        }
    }
    onnx_map_free(&uses);
    return ok ? VKC_OK : vkc_fail(r->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
}

static vkc_status choose_opset(rw *r)
{
    const vkc_onnx_model *m = r->m;
    int64_t v = m->opset, want = r->info->fp8 ? 19 : 13;
    const char *why = "";
    if (v == 0)
        return vkc_fail(r->msg, VKC_ERROR_UNSUPPORTED, "%s: the model imports no ai.onnx opset", m->path);
    if (v < 10)
        return vkc_fail(r->msg, VKC_ERROR_UNSUPPORTED,
                        "%s: ai.onnx opset %lld: QuantizeLinear/DequantizeLinear need opset 10 or later (convert "
                        "the model to opset 13, e.g. with onnx.version_converter)",
                        m->path, (long long)v);
    if (r->info->fp8 && r->info->target != VKC_QDQ_TENSORRT)
        return vkc_fail(r->msg, VKC_ERROR_INVALID_ARGUMENT, "fp8 Q/DQ is for the TensorRT target only");
    r->stats.opset = v;
    if (v >= want) return VKC_OK;
    if (qsel_can_upgrade(m, v, want, &why)) {
        r->e.opset = want;
        r->stats.opset = want;
        int64_t ir = want >= 19 ? 9 : 7; /* the IR version that introduced the opset */
        if (m->ir_version < ir) r->e.ir_version = ir;
        qdq_warn(r, "%s: ai.onnx opset raised from %lld to %lld (no op of the graph changes meaning)", m->path,
             (long long)v, (long long)want);
        return VKC_OK;
    }
    if (r->info->fp8)
        return vkc_fail(r->msg, VKC_ERROR_UNSUPPORTED,
                        "%s: fp8 Q/DQ needs opset 19, and opset %lld cannot be raised safely (op %s changed); "
                        "convert the model first",
                        m->path, (long long)v, why);
    r->per_tensor = 1;
    qdq_warn(r,
         "%s: opset %lld has no per-channel Q/DQ and cannot be raised to 13 safely (op %s changed): weights get "
         "one scale per tensor",
         m->path, (long long)v, why);
    return VKC_OK;
}

static vkc_status check_ranges(rw *r, const vkc_qdq_range *ranges, uint32_t n)
{
    const char *file = r->info->ranges_name ? r->info->ranges_name : "ranges";
    for (uint32_t i = 0; i < n; i++) {
        if (!ranges[i].name)
            return vkc_fail(r->msg, VKC_ERROR_INVALID_ARGUMENT, "%s: range %u has no name", file, i);
        if (!onnx_map_put(&r->range_of, ranges[i].name, i))
            return vkc_fail(r->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
        if (!vkc_onnx_has_tensor(r->m, ranges[i].name)) {
            if (r->stats.unknown_ranges++ < 20)
                qdq_warn(r, "%s: tensor '%s' is not in %s; its range is ignored", file, ranges[i].name, r->m->path);
        }
    }
    if (r->stats.unknown_ranges > 20)
        qdq_warn(r, "%s: %u ranges in all name no tensor of %s", file, r->stats.unknown_ranges, r->m->path);
    return VKC_OK;
}

/* Which ops get quantized; the missing ranges, listed. */
static vkc_status decide(rw *r, uint8_t *quantize)
{
    const vkc_onnx_model *m = r->m;
    const char *file = r->info->ranges_name ? r->info->ranges_name : "ranges";
    uint32_t missing = 0, matched = 0, needed = 0;
    char list[600] = "";
    size_t used = 0;
    onnx_map told = {0};
    for (uint32_t i = 0; i < r->sel.nops; i++) {
        const qop *op = &r->sel.ops[i];
        const onnx_node *n = &m->nodes[op->node];
        int all = 1;
        for (uint32_t j = 0; j <= op->nact; j++) {
            const char *t = j < op->nact ? n->inputs[op->act[j]] : op->out;
            if (!t) continue;
            needed++;
            if (onnx_map_get(&r->range_of, t, NULL)) {
                matched++;
                continue;
            }
            if (j < op->nact) all = 0;
            if (onnx_map_get(&told, t, NULL)) continue;
            if (!onnx_map_put(&told, t, 0)) {
                onnx_map_free(&told);
                return vkc_fail(r->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
            }
            missing++;
            char label[300];
            qdq_warn(r, "no range for tensor '%s' (%s of %s %s)", t, j < op->nact ? "input" : "output", n->op_type,
                 onnx_node_label(m, op->node, label, sizeof label));
            if (used < 400) used += (size_t)snprintf(list + used, sizeof list - used, "%s'%s'", used ? ", " : "", t);
        }
        quantize[i] = (uint8_t)all;
        if (!all) r->stats.ops_float++;
    }
    onnx_map_free(&told);
    if (needed && !matched)
        return vkc_fail(r->msg, VKC_ERROR_MISMATCH,
                        "%s: none of its %u ranges names a tensor %s needs (a range file for another model?)", file,
                        (unsigned)r->range_of.count, m->path);
    if (missing && !r->info->skip_missing)
        return vkc_fail(r->msg, VKC_ERROR_MISMATCH,
                        "%s: %u tensor%s of %s %s no range: %s%s (calibrate them, or --skip-missing leaves their "
                        "ops in float)",
                        file, missing, missing == 1 ? "" : "s", m->path, missing == 1 ? "has" : "have", list,
                        used >= 400 ? ", ..." : "");
    return VKC_OK;
}

static vkc_status rewrite(rw *r, const vkc_qdq_range *ranges, uint32_t n)
{
    const vkc_onnx_model *m = r->m;
    vkc_status st = choose_opset(r);
    if (st == VKC_OK) st = qsel_build(m, r->info, &r->sel, r->msg);
    if (st != VKC_OK) return st;
    for (uint32_t i = 0; i < r->sel.nnotes; i++) qdq_warn(r, "%s: %s", m->path, r->sel.notes[i]);
    if (r->sel.nops == 0)
        return vkc_fail(r->msg, VKC_ERROR_UNSUPPORTED,
                        "%s: no quantizable op (Conv, ConvTranspose, Gemm, MatMul with float weights%s) in the graph",
                        m->path, r->info->extra_ops ? ", or the extra ops asked for" : "");
    if (!take_names(r)) return vkc_fail(r->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    st = check_ranges(r, ranges, n);
    uint8_t *quantize = calloc(r->sel.nops, 1);
    if (!quantize) return vkc_fail(r->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    if (st == VKC_OK) st = decide(r, quantize);
    int ort = r->info->target != VKC_QDQ_TENSORRT;
    for (uint32_t i = 0; st == VKC_OK && i < r->sel.nops; i++) {
        const qop *op = &r->sel.ops[i];
        const onnx_node *node = &m->nodes[op->node];
        if (!quantize[i]) continue;
        const char **in = inputs_of(r, op->node);
        if (!in) {
            st = vkc_fail(r->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
            break;
        }
        uint32_t a0 = 0;
        for (uint32_t j = 0; st == VKC_OK && j <= op->nact; j++) {
            const char *t = j < op->nact ? node->inputs[op->act[j]] : op->out;
            uint32_t ri, ai;
            if (!t || !onnx_map_get(&r->range_of, t, &ri)) continue;
            if (!onnx_map_get(&r->act_of, t, &ai)) {
                st = add_act(r, t, &ranges[ri]);
                ai = r->nacts - 1;
            }
            if (st == VKC_OK && j < op->nact) {
                in[op->act[j]] = r->acts[ai].dq_out;
                if (j == 0) a0 = ai;
            }
        }
        if (st == VKC_OK && op->w) {
            uint32_t wi;
            st = qdq_add_weight(r, op->w, op->axis, &wi);
            if (st == VKC_OK) in[op->w_in] = r->wq[wi].dq_out;
            if (st == VKC_OK && ort && op->b && !r->info->fp8) {
                const char *bo = qdq_add_bias(r, op->b, r->acts[a0].scale, &r->wq[wi], &st);
                if (bo) in[op->b_in] = bo;
            }
        }
        r->stats.ops_quantized++;
    }
    free(quantize);
    /* ONNX Runtime: every reader of a quantized tensor reads its DQ output
     * (so the producer's only consumer is Q and DQ -> op -> Q fuses);
     * TensorRT: only the quantized ops do (done above). */
    for (uint32_t k = 0; st == VKC_OK && ort && k < m->nnodes; k++) {
        const onnx_node *node = &m->nodes[k];
        for (uint32_t i = 0; i < node->ninputs; i++) {
            uint32_t ai;
            const char *cur = r->e.node_inputs[k] ? r->e.node_inputs[k][i] : node->inputs[i];
            if (!onnx_map_get(&r->act_of, cur, &ai)) continue;
            const char **in = inputs_of(r, k);
            if (!in) {
                st = vkc_fail(r->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
                break;
            }
            in[i] = r->acts[ai].dq_out;
        }
    }
    if (st == VKC_OK) st = drop_unused(r);
    if (st == VKC_OK && (r->e.prologue.oom || r->e.new_inits.oom))
        st = vkc_fail(r->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    for (uint32_t k = 0; st == VKC_OK && k < m->nnodes; k++)
        if (r->e.after[k].oom) st = vkc_fail(r->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    return st;
}

vkc_status vkc_qdq_write(vkc_onnx_model *m, const vkc_qdq_range *ranges, uint32_t n, const vkc_qdq_info *info,
                         const char *out_path, vkc_qdq_stats *stats, vkc_msg *msg)
{
    vkc_qdq_info zero;
    if (!info) {
        memset(&zero, 0, sizeof zero);
        info = &zero;
    }
    if (!m || !out_path || (n && !ranges))
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_qdq_write: missing model, ranges or output");
    vkc_status cs = vkc_check_struct(info->sType, info->pNext, VKC_STRUCTURE_TYPE_QDQ_INFO, "vkc_qdq_info", msg);
    if (cs != VKC_OK) return cs;
    rw r;
    memset(&r, 0, sizeof r);
    r.m = m;
    r.info = info;
    r.msg = msg;
    vkc_status st = onnx_edit_init(&r.e, m, msg);
    if (st == VKC_OK) st = rewrite(&r, ranges, n);
    if (st == VKC_OK) st = onnx_emit(m, &r.e, out_path, msg);
    if (stats) {
        void *next = stats->pNext; /* the caller's */
        *stats = r.stats;
        stats->sType = VKC_STRUCTURE_TYPE_QDQ_STATS;
        stats->pNext = next;
    }
    onnx_edit_free(&r.e, m);
    qsel_free(&r.sel);
    onnx_map_free(&r.range_of);
    onnx_map_free(&r.taken);
    onnx_map_free(&r.act_of);
    onnx_map_free(&r.weight_of);
    for (uint32_t i = 0; i < r.nwq; i++) free(r.wq[i].scales);
    free(r.wq);
    free(r.acts);
    for (uint32_t i = 0; i < r.nstrs; i++) free(r.strs[i]);
    free(r.strs);
    for (uint32_t i = 0; i < r.nblobs; i++) free(r.blobs[i]);
    free(r.blobs);
    return st;
}

static const char *const kTargets[] = {"tensorrt", "onnxruntime", "openvino"};

int vkc_qdq_target_parse(const char *s, vkc_qdq_target *out)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, kTargets[i])) {
            *out = (vkc_qdq_target)i;
            return 1;
        }
    return 0;
}

const char *vkc_qdq_target_name(vkc_qdq_target t)
{
    return (unsigned)t < 3 ? kTargets[t] : "unknown";
}

int vkc_qdq_op_parse(const char *s, uint32_t *bit)
{
    static const struct {
        const char *name;
        uint32_t bit;
    } ops[] = {{"add", VKC_QDQ_OP_ADD},         {"mul", VKC_QDQ_OP_MUL},       {"avgpool", VKC_QDQ_OP_AVGPOOL},
               {"maxpool", VKC_QDQ_OP_MAXPOOL}, {"concat", VKC_QDQ_OP_CONCAT}, {"all", VKC_QDQ_OP_ALL}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strcmp(s, ops[i].name)) {
            *bit = ops[i].bit;
            return 1;
        }
    return 0;
}
