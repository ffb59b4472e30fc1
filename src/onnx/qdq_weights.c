/* Weights and biases of the Q/DQ rewrite: int8 (or E4M3) per output
 * channel at symmetric max scales, int32 biases at input scale x weight
 * scale, each as new initializers and a DequantizeLinear (qdq.c places
 * them). */
#include "onnx/qdq.h"
#include "write/trtcache.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- numbers ------------------------------------------------------------------------ */

/* float -> FLOAT8E4M3FN (bias 7, no infinities, 448 the largest), round to
 * nearest even, saturating as QuantizeLinear does by default. */
static uint8_t to_e4m3(double x)
{
    uint8_t sign = signbit(x) ? 0x80 : 0;
    double a = fabs(x);
    if (isnan(x)) return 0x7f | sign;
    if (a >= FP8_MAX) return 0x7e | sign;
    if (a < 0.015625) { /* below 2^-6: subnormal steps of 2^-9 */
        double q = nearbyint(a * 512.0);
        return (uint8_t)q | sign; /* 8 is the smallest normal, 0x08 */
    }
    int e;
    double f = frexp(a, &e); /* a = f * 2^e, f in [0.5, 1) */
    e -= 1;                  /* a = (2f) * 2^e, 2f in [1, 2) */
    double mant = nearbyint((2.0 * f - 1.0) * 8.0);
    if (mant >= 8.0) {
        mant = 0;
        e++;
    }
    int code = ((e + 7) << 3) | (int)mant;
    if (code > 0x7e) code = 0x7e;
    return (uint8_t)code | sign;
}

float qdq_scale_f32(double amax, double levels)
{
    if (!(amax >= VKC_AMAX_FLOOR)) amax = VKC_AMAX_FLOOR; /* all zero: any positive scale maps to 0 */
    return (float)(amax / levels);
}

/* ---- weights ------------------------------------------------------------------------ */

/* The new initializer holding quantized data: inline, or in the output's
 * data file when the weight it replaces was external (a model over 2 GiB
 * stays under protobuf's limit). data is taken. */
static vkc_status put_data_init(rw *r, const onnx_tensor *src, const char *name, int32_t dtype, const int64_t *dims,
                                uint32_t ndims, void *data, uint64_t len)
{
    if (src->at != DATA_EXTERNAL) {
        onnx_put_tensor_field(&r->e.new_inits, GRAPH_INITIALIZER, name, dtype, dims, ndims, data, len);
        free(data);
        return VKC_OK;
    }
    onnx_edit *e = &r->e;
    if (e->next == e->ext_cap) {
        uint32_t cap = e->ext_cap ? e->ext_cap * 2 : 8;
        onnx_new_ext *v = realloc(e->ext, cap * sizeof *v);
        void **b = realloc(r->blobs, cap * sizeof *b);
        if (v) e->ext = v;
        if (b) r->blobs = b;
        if (!v || !b) {
            free(data);
            return vkc_fail(r->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
        }
        e->ext_cap = cap;
    }
    onnx_new_ext *x = &e->ext[e->next++];
    memset(x, 0, sizeof *x);
    for (uint32_t d = 0; d < ndims; d++) vkc_pb_put_int(&x->head, TENSOR_DIMS, dims[d]);
    vkc_pb_put_int(&x->head, TENSOR_DATA_TYPE, dtype);
    vkc_pb_put_str(&x->head, TENSOR_NAME, name);
    x->data = data;
    x->len = len;
    r->blobs[r->nblobs++] = data;
    return VKC_OK;
}

static uint8_t *le_floats(const float *v, uint32_t n)
{
    uint8_t *b = malloc(n ? (size_t)n * 4 : 1);
    if (!b) return NULL;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t u = vkc_f32_bits(v[i]);
        b[4 * i] = (uint8_t)u;
        b[4 * i + 1] = (uint8_t)(u >> 8);
        b[4 * i + 2] = (uint8_t)(u >> 16);
        b[4 * i + 3] = (uint8_t)(u >> 24);
    }
    return b;
}

/* Quantizes weight w along axis (symmetric max per slice, -1: one scale);
 * returns the index in r->wq, shared by every op using w on that axis. */
vkc_status qdq_add_weight(rw *r, const onnx_tensor *w, int axis, uint32_t *out)
{
    const vkc_onnx_model *m = r->m;
    if (r->per_tensor) axis = -1;
    size_t kl = strlen(w->name) + 16;
    char *key = malloc(kl);
    if (!key) return vkc_fail(r->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    snprintf(key, kl, "%s\n%d", w->name, axis);
    if (onnx_map_get(&r->weight_of, key, out)) {
        free(key);
        return VKC_OK;
    }
    const char *k = qdq_keep(r, key);
    float *v = NULL;
    vkc_status st = k ? onnx_tensor_floats(m, w, &v, r->msg) : vkc_fail(r->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    if (st != VKC_OK) return st;
    /* Element i lies in slice (i / inner) % C along the axis. */
    uint64_t C = axis >= 0 ? (uint64_t)w->dims[axis] : 1, inner = 1;
    for (uint32_t d = (uint32_t)(axis + 1); axis >= 0 && d < w->ndims; d++) inner *= (uint64_t)w->dims[d];
    double *amax = calloc(C ? C : 1, sizeof *amax);
    float *scales = malloc((C ? C : 1) * sizeof *scales);
    uint8_t *q = malloc(w->count ? w->count : 1);
    if (!amax || !scales || !q || C > UINT32_MAX) {
        free(amax);
        free(scales);
        free(q);
        free(v);
        return vkc_fail(r->msg, VKC_ERROR_OUT_OF_MEMORY, "%s: weight '%s': out of memory", m->path, w->name);
    }
    for (uint64_t i = 0; i < w->count; i++) {
        if (!isfinite(v[i])) {
            free(amax);
            free(scales);
            free(q);
            free(v);
            return vkc_fail(r->msg, VKC_ERROR_NONFINITE, "%s: weight '%s' holds NaN or Inf", m->path, w->name);
        }
        uint64_t c = axis >= 0 ? (i / inner) % C : 0;
        if (fabs(v[i]) > amax[c]) amax[c] = fabs(v[i]);
    }
    int fp8 = r->info->fp8;
    for (uint64_t c = 0; c < C; c++) scales[c] = qdq_scale_f32(amax[c], fp8 ? FP8_MAX : 127.0);
    for (uint64_t i = 0; i < w->count; i++) {
        double x = (double)v[i] / (double)scales[axis >= 0 ? (i / inner) % C : 0];
        if (fp8) {
            q[i] = to_e4m3(x);
        } else {
            double y = nearbyint(x);
            y = y > 127 ? 127 : y < -127 ? -127 : y;
            q[i] = (uint8_t)(int8_t)y;
        }
    }
    free(v);
    free(amax);
    const char *qn = qdq_fresh(r, w->name, "_quantized"), *sn = qdq_fresh(r, w->name, "_scale");
    const char *zn = qdq_fresh(r, w->name, "_zero_point"), *dn = qdq_fresh(r, w->name, "_DequantizeLinear");
    const char *dqo = qdq_fresh(r, w->name, "_DequantizeLinear_Output");
    uint8_t *sb = le_floats(scales, (uint32_t)C), *zb = calloc(C ? C : 1, 1);
    if (!qn || !sn || !zn || !dn || !dqo || !sb || !zb) {
        free(q);
        free(sb);
        free(zb);
        free(scales);
        return vkc_fail(r->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    }
    int32_t qt = fp8 ? DT_FLOAT8E4M3FN : DT_INT8;
    st = put_data_init(r, w, qn, qt, w->dims, w->ndims, q, w->count);
    int64_t cdim = (int64_t)C;
    onnx_put_tensor_field(&r->e.new_inits, GRAPH_INITIALIZER, sn, DT_FLOAT, &cdim, axis >= 0, sb, 4 * C);
    onnx_put_tensor_field(&r->e.new_inits, GRAPH_INITIALIZER, zn, qt, &cdim, axis >= 0, zb, C);
    free(sb);
    free(zb);
    const char *din[3] = {qn, sn, zn};
    onnx_put_node_field(&r->e.prologue, dn, "DequantizeLinear", din, 3, &dqo, 1, axis >= 0, axis);
    if (st == VKC_OK && (!onnx_grow((void **)&r->wq, r->nwq, &r->wq_cap, sizeof *r->wq) ||
                         !onnx_map_put(&r->weight_of, k, r->nwq)))
        st = vkc_fail(r->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    if (st != VKC_OK) {
        free(scales);
        return st;
    }
    r->wq[r->nwq].dq_out = dqo;
    r->wq[r->nwq].scales = scales;
    r->wq[r->nwq].nscales = (uint32_t)C;
    *out = r->nwq++;
    r->stats.weights++;
    if (axis < 0) r->stats.per_tensor_weights++;
    return VKC_OK;
}

/* ONNX Runtime fuses only with an int32 bias: scale = input scale x weight
 * scale of the bias's channel, zero point 0. Returns the DQ output, or NULL
 * when the bias stays float (a shape the fused kernels do not take). */
const char *qdq_add_bias(rw *r, const onnx_tensor *b, double in_scale, const qdq_weight *w, vkc_status *st)
{
    uint64_t L = b->count;
    *st = VKC_OK;
    if (L == 0 || L > UINT32_MAX || (w->nscales > 1 && L % w->nscales != 0)) return NULL;
    float *v = NULL;
    *st = onnx_tensor_floats(r->m, b, &v, r->msg);
    if (*st != VKC_OK) return NULL;
    float *scales = malloc(L * sizeof *scales);
    uint8_t *q = malloc(L * 4), *zb = calloc(L, 4);
    if (!scales || !q || !zb) {
        free(v);
        free(scales);
        free(q);
        free(zb);
        *st = vkc_fail(r->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
        return NULL;
    }
    for (uint64_t c = 0; c < L; c++) {
        scales[c] = (float)(in_scale * (double)w->scales[w->nscales > 1 ? c % w->nscales : 0]);
        double y = isfinite(v[c]) ? nearbyint((double)v[c] / (double)scales[c]) : 0;
        y = y > 2147483647.0 ? 2147483647.0 : y < -2147483647.0 ? -2147483647.0 : y;
        uint32_t u = (uint32_t)(int32_t)y;
        q[4 * c] = (uint8_t)u;
        q[4 * c + 1] = (uint8_t)(u >> 8);
        q[4 * c + 2] = (uint8_t)(u >> 16);
        q[4 * c + 3] = (uint8_t)(u >> 24);
    }
    free(v);
    const char *qn = qdq_fresh(r, b->name, "_quantized"), *sn = qdq_fresh(r, b->name, "_quantized_scale");
    const char *zn = qdq_fresh(r, b->name, "_quantized_zero_point"), *dn = qdq_fresh(r, b->name, "_DequantizeLinear");
    const char *dqo = qdq_fresh(r, b->name, "_DequantizeLinear_Output");
    uint8_t *sb = le_floats(scales, (uint32_t)L);
    free(scales);
    if (!qn || !sn || !zn || !dn || !dqo || !sb) {
        free(q);
        free(zb);
        free(sb);
        *st = vkc_fail(r->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
        return NULL;
    }
    /* Weights with one scale give a bias with one scale (no axis: opsets
     * 10-12 have none). */
    int64_t dim = (int64_t)L;
    int per_channel = w->nscales > 1;
    *st = put_data_init(r, b, qn, DT_INT32, &dim, 1, q, 4 * L);
    onnx_put_tensor_field(&r->e.new_inits, GRAPH_INITIALIZER, sn, DT_FLOAT, &dim, per_channel, sb,
                          per_channel ? 4 * L : 4);
    onnx_put_tensor_field(&r->e.new_inits, GRAPH_INITIALIZER, zn, DT_INT32, &dim, per_channel, zb,
                          per_channel ? 4 * L : 4);
    free(sb);
    free(zb);
    const char *din[3] = {qn, sn, zn};
    onnx_put_node_field(&r->e.prologue, dn, "DequantizeLinear", din, 3, &dqo, 1, per_channel, 0);
    r->stats.biases++;
    return dqo;
}

