/* The ONNX reader and writer on models built here byte by byte: the wire
 * format's edge cases, hostile nesting and lengths, copy-through of unknown
 * fields, the no-op write, the Q/DQ rewrite's numbers, external data (64-bit
 * offsets in a sparse file, paths leaving the folder), failed writes.
 * Models from python3-onnx and real runtimes are in test_cli_onnx.sh. */
#include "testutil.h"

#include "base/strbuf.h"
#include "onnx/model.h"
#include "onnx/onnx.h"
#include "onnx/pb.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[256];

static void path_in(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", g_dir, name);
}

static int write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    int ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- building models ------------------------------------------------------- */

static void put_msg(vkc_buf *b, uint32_t field, vkc_buf *inner)
{
    vkc_pb_put_bytes(b, field, inner->data, inner->len);
    vkc_buf_free(inner);
}

static void put_value(vkc_buf *g, uint32_t field, const char *name)
{
    vkc_buf v = {0}, t = {0}, tt = {0};
    vkc_pb_put_uint(&tt, 1, DT_FLOAT);
    put_msg(&t, 1, &tt);
    vkc_pb_put_str(&v, VALUE_NAME, name);
    put_msg(&v, VALUE_TYPE, &t);
    put_msg(g, field, &v);
}

static void put_node(vkc_buf *g, const char *op, const char *const *in, int nin, const char *out, int unknown)
{
    vkc_buf n = {0};
    for (int i = 0; i < nin; i++) vkc_pb_put_str(&n, NODE_INPUT, in[i]);
    vkc_pb_put_str(&n, NODE_OUTPUT, out);
    vkc_pb_put_str(&n, NODE_OP_TYPE, op);
    if (unknown) vkc_pb_put_uint(&n, 999, 0x1234567); /* a field from the future */
    put_msg(g, GRAPH_NODE, &n);
}

static void put_float_init(vkc_buf *g, const char *name, const int64_t *dims, uint32_t nd, const float *v, uint64_t n)
{
    vkc_buf t = {0};
    for (uint32_t d = 0; d < nd; d++) vkc_pb_put_int(&t, TENSOR_DIMS, dims[d]);
    vkc_pb_put_int(&t, TENSOR_DATA_TYPE, DT_FLOAT);
    vkc_pb_put_str(&t, TENSOR_NAME, name);
    vkc_pb_put_bytes(&t, TENSOR_RAW_DATA, v, n * 4); /* little-endian host */
    put_msg(g, GRAPH_INITIALIZER, &t);
}

static void put_model(vkc_buf *out, vkc_buf *graph, int64_t opset)
{
    vkc_buf o = {0};
    vkc_pb_put_uint(out, MODEL_IR_VERSION, 7);
    vkc_pb_put_str(&o, OPSET_DOMAIN, "");
    vkc_pb_put_uint(&o, OPSET_VERSION, (uint64_t)opset);
    put_msg(out, MODEL_OPSET_IMPORT, &o);
    vkc_pb_put_str(out, 2, "vkcalib-test"); /* producer_name */
    put_msg(out, MODEL_GRAPH, graph);
    vkc_pb_put_bytes(out, 777, "future", 6); /* unknown LEN field at model level */
}

/* x -> Conv(W [2,1,1,1], B [2]) -> y, with unknown fields. */
static void conv_model(vkc_buf *out, int64_t opset)
{
    static const float W[2] = {0.5f, -0.25f}, B[2] = {0.1f, -0.2f};
    const int64_t wd[4] = {2, 1, 1, 1}, bd[1] = {2};
    vkc_buf g = {0};
    const char *in[3] = {"x", "W", "B"};
    put_node(&g, "Conv", in, 3, "y", 1);
    vkc_pb_put_str(&g, GRAPH_NAME, "g");
    put_float_init(&g, "W", wd, 4, W, 2);
    put_float_init(&g, "B", bd, 1, B, 2);
    put_value(&g, GRAPH_INPUT, "x");
    put_value(&g, GRAPH_OUTPUT, "y");
    put_model(out, &g, opset);
}

static vkc_onnx_model *open_bytes(const char *name, const void *data, size_t len, vkc_status *st, vkc_msg *msg)
{
    char p[512];
    path_in(p, sizeof p, name);
    REQUIRE(write_file(p, data, len));
    vkc_onnx_open_info info;
    memset(&info, 0, sizeof info);
    info.path = p;
    vkc_onnx_model *m = NULL;
    *st = vkc_onnx_open(&info, &m, msg);
    return m;
}

/* ---- wire format ------------------------------------------------------------- */

static void test_varints(void)
{
    static const uint64_t vals[] = {0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX, (uint64_t)1 << 63, UINT64_MAX};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        vkc_buf b = {0};
        vkc_pb_put_varint(&b, vals[i]);
        REQUIRE(b.len == vkc_pb_varint_size(vals[i]));
        uint64_t pos = 0, v = 0;
        REQUIRE(vkc_pb_varint((const uint8_t *)b.data, &pos, b.len, &v) && v == vals[i] && pos == b.len);
        /* every truncation fails */
        for (size_t cut = 0; cut < b.len; cut++) {
            pos = 0;
            REQUIRE(!vkc_pb_varint((const uint8_t *)b.data, &pos, cut, &v));
        }
        vkc_buf_free(&b);
    }
    const uint8_t eleven[11] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    const uint8_t big10[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    uint64_t pos = 0, v;
    REQUIRE(!vkc_pb_varint(eleven, &pos, 11, &v));
    pos = 0;
    REQUIRE(!vkc_pb_varint(big10, &pos, 10, &v)); /* 2^64 and more */
}

static void test_fields(void)
{
    const char *why = NULL;
    uint64_t at = 0;
    vkc_pb_field f;
    /* a LEN field claiming 5 bytes where 2 remain */
    const uint8_t over[] = {0x0a, 0x05, 'a', 'b'};
    vkc_pb_reader r = vkc_pb_reader_at(over, 0, sizeof over);
    REQUIRE(vkc_pb_next(&r, &f, &why, &at) < 0 && strstr(why, "past the end"));
    /* groups, wire types 6/7, field 0 */
    const uint8_t group[] = {0x0b, 0x0c}, wt7[] = {0x0f, 0x00}, zero[] = {0x00, 0x01};
    r = vkc_pb_reader_at(group, 0, 2);
    REQUIRE(vkc_pb_next(&r, &f, &why, &at) < 0 && strstr(why, "group"));
    r = vkc_pb_reader_at(wt7, 0, 2);
    REQUIRE(vkc_pb_next(&r, &f, &why, &at) < 0);
    r = vkc_pb_reader_at(zero, 0, 2);
    REQUIRE(vkc_pb_next(&r, &f, &why, &at) < 0);
    /* truncated fixed32 / fixed64 */
    const uint8_t f32[] = {0x0d, 1, 2, 3}, f64[] = {0x09, 1, 2, 3, 4, 5, 6, 7};
    r = vkc_pb_reader_at(f32, 0, sizeof f32);
    REQUIRE(vkc_pb_next(&r, &f, &why, &at) < 0);
    r = vkc_pb_reader_at(f64, 0, sizeof f64);
    REQUIRE(vkc_pb_next(&r, &f, &why, &at) < 0);
    /* a child that overlaps its successor: graph { node (len 10) } where the
     * graph is 4 bytes long -> the node runs past its parent */
    const uint8_t nested[] = {0x3a, 0x04, 0x0a, 0x0a, 0x0a, 0x01, 0x10, 0x01, 0x00};
    vkc_msg msg;
    static const vkc_pb_child schema[] = {{1, 7, 2}, {2, 1, 3}, {0, 0, 0}};
    vkc_pb_limits lim = {100, 1000};
    REQUIRE(vkc_pb_validate(nested, sizeof nested, 1, schema, &lim, NULL, NULL, &msg) == VKC_ERROR_FORMAT);
    REQUIRE(strstr(msg.text, "past the end") != NULL);
}

/* Model -> Graph -> Node -> Attribute -> Graph ... `levels` deep, built
 * front to back from precomputed lengths (no quadratic copying). */
static uint8_t *deep_model(uint32_t levels, size_t *len)
{
    /* Innermost is an empty graph; each level wraps g in attr{6:g}, node{5:attr},
     * graph{1:node}; the model wraps the outermost graph in field 7. */
    uint64_t *gl = malloc((levels + 1) * sizeof *gl);
    gl[0] = 0;
    for (uint32_t i = 1; i <= levels; i++) {
        uint64_t attr = vkc_pb_len_field_size(6, gl[i - 1]);
        uint64_t node = vkc_pb_len_field_size(5, attr);
        gl[i] = vkc_pb_len_field_size(1, node);
    }
    vkc_buf b = {0};
    vkc_pb_put_len_header(&b, MODEL_GRAPH, gl[levels]);
    for (uint32_t i = levels; i >= 1; i--) {
        uint64_t attr = vkc_pb_len_field_size(6, gl[i - 1]);
        uint64_t node = vkc_pb_len_field_size(5, attr);
        vkc_pb_put_len_header(&b, GRAPH_NODE, node);
        vkc_pb_put_len_header(&b, NODE_ATTRIBUTE, attr);
        vkc_pb_put_len_header(&b, ATTR_G, gl[i - 1]);
    }
    free(gl);
    *len = b.len;
    return (uint8_t *)b.data;
}

static void test_hostile(void)
{
    vkc_msg msg;
    vkc_status st;
    size_t len;
    uint8_t *deep = deep_model(200000, &len);
    vkc_onnx_model *m = open_bytes("deep.onnx", deep, len, &st, &msg);
    REQUIREF(st == VKC_ERROR_FORMAT && !m && strstr(msg.text, "nested deeper than 100") && strstr(msg.text, "deep.onnx"),
             "%s", msg.text);
    free(deep);
    /* 30 levels (91 messages) are fine */
    deep = deep_model(30, &len);
    m = open_bytes("deep30.onnx", deep, len, &st, &msg);
    REQUIREF(st == VKC_OK && m, "%s", msg.text);
    vkc_onnx_close(m);
    free(deep);

    /* every truncation of a valid model: an error naming the file, or (a cut
     * at a field boundary is a valid, shorter message) a model */
    vkc_buf b = {0};
    conv_model(&b, 13);
    for (size_t cut = 0; cut < b.len; cut++) {
        m = open_bytes("cut.onnx", b.data, cut, &st, &msg);
        REQUIRE((st == VKC_OK) == (m != NULL));
        if (st != VKC_OK) REQUIREF(strstr(msg.text, "cut.onnx") != NULL, "cut %zu: %s", cut, msg.text);
        vkc_onnx_close(m);
    }
    /* a float initializer whose raw data is shorter than its shape */
    vkc_buf g = {0}, bad = {0};
    const int64_t dims[1] = {4};
    const float v[2] = {1, 2};
    put_float_init(&g, "W", dims, 1, v, 2);
    put_model(&bad, &g, 13);
    m = open_bytes("short.onnx", bad.data, bad.len, &st, &msg);
    REQUIREF(st == VKC_ERROR_FORMAT && strstr(msg.text, "'W'") && strstr(msg.text, "short.onnx"), "%s", msg.text);
    vkc_buf_free(&bad);
    /* a name with a NUL byte */
    vkc_buf g2 = {0}, n = {0}, bad2 = {0};
    vkc_pb_put_bytes(&n, NODE_OUTPUT, "a\0b", 3);
    put_msg(&g2, GRAPH_NODE, &n);
    put_model(&bad2, &g2, 13);
    m = open_bytes("nul.onnx", bad2.data, bad2.len, &st, &msg);
    REQUIREF(st == VKC_ERROR_FORMAT && strstr(msg.text, "NUL"), "%s", msg.text);
    vkc_buf_free(&bad2);
    vkc_buf_free(&b);
    /* the count limits: nodes, fields */
    vkc_buf three = {0}, g3 = {0};
    const char *in1[1] = {"x"};
    put_node(&g3, "Relu", in1, 1, "a", 0);
    put_node(&g3, "Relu", in1, 1, "b", 0);
    put_node(&g3, "Relu", in1, 1, "c", 0);
    put_model(&three, &g3, 13);
    char p3[512];
    path_in(p3, sizeof p3, "three.onnx");
    REQUIRE(write_file(p3, three.data, three.len));
    vkc_onnx_open_info lim;
    memset(&lim, 0, sizeof lim);
    lim.path = p3;
    lim.max_nodes = 2;
    REQUIRE(vkc_onnx_open(&lim, &m, &msg) == VKC_ERROR_FORMAT && strstr(msg.text, "too many nodes"));
    lim.max_nodes = 3;
    REQUIRE(vkc_onnx_open(&lim, &m, &msg) == VKC_OK);
    vkc_onnx_close(m);
    lim.max_fields = 10;
    REQUIRE(vkc_onnx_open(&lim, &m, &msg) == VKC_ERROR_FORMAT && strstr(msg.text, "more than 10 fields"));
    vkc_buf_free(&three);

    /* not a model at all, and an empty file */
    m = open_bytes("text.onnx", "hello world\n", 12, &st, &msg);
    REQUIRE(st == VKC_ERROR_FORMAT && !m);
    m = open_bytes("empty.onnx", "", 0, &st, &msg);
    REQUIRE(st == VKC_ERROR_FORMAT && !m && strstr(msg.text, "empty"));
}

/* ---- writing --------------------------------------------------------------------- */

static int contains(const uint8_t *hay, size_t n, const void *needle, size_t k)
{
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(hay + i, needle, k)) return 1;
    return 0;
}

static const onnx_tensor *init_named(const vkc_onnx_model *m, const char *name)
{
    for (uint32_t i = 0; i < m->ninits; i++)
        if (!strcmp(m->inits[i].name, name)) return &m->inits[i];
    return NULL;
}

static void test_noop_and_qdq(void)
{
    vkc_msg msg;
    vkc_status st;
    vkc_buf b = {0};
    conv_model(&b, 13);
    vkc_onnx_model *m = open_bytes("conv.onnx", b.data, b.len, &st, &msg);
    REQUIREF(st == VKC_OK, "%s", msg.text);
    if (!m) return;
    char out[512], out2[512];
    path_in(out, sizeof out, "copy.onnx");
    REQUIRE(vkc_onnx_write(m, out, &msg) == VKC_OK);
    size_t len = 0;
    uint8_t *copy = vkc_test_read_file(out, &len);
    REQUIRE(copy && len == b.len && !memcmp(copy, b.data, len));
    free(copy);

    /* TensorRT target: x gets a Q/DQ pair, W int8 per channel, B stays */
    vkc_qdq_range r = {"x", -2.0, 2.0, 2.0 / 127, 0, 0, VKC_MODE_SYMMETRIC};
    vkc_qdq_info info;
    memset(&info, 0, sizeof info);
    vkc_qdq_stats stats;
    path_in(out, sizeof out, "conv.trt.onnx");
    st = vkc_qdq_write(m, &r, 1, &info, out, &stats, &msg);
    REQUIREF(st == VKC_OK, "%s", msg.text);
    REQUIRE(stats.ops_quantized == 1 && stats.activations == 1 && stats.weights == 1 && stats.biases == 0);
    uint8_t *q = vkc_test_read_file(out, &len);
    /* the unknown fields survive: node field 999 and model field 777 */
    vkc_buf nf = {0}, mf = {0};
    vkc_pb_put_uint(&nf, 999, 0x1234567);
    vkc_pb_put_bytes(&mf, 777, "future", 6);
    REQUIRE(q && contains(q, len, nf.data, nf.len) && contains(q, len, mf.data, mf.len));
    vkc_buf_free(&nf);
    vkc_buf_free(&mf);
    free(q);
    vkc_onnx_open_info oi;
    memset(&oi, 0, sizeof oi);
    oi.path = out;
    vkc_onnx_model *qm = NULL;
    REQUIREF(vkc_onnx_open(&oi, &qm, &msg) == VKC_OK, "%s", msg.text);
    if (qm) {
        REQUIRE(qm->nnodes == 4); /* W's DQ, x's Q and DQ, the Conv */
        int convs = 0, qs = 0, dqs = 0;
        for (uint32_t k = 0; k < qm->nnodes; k++) {
            convs += !strcmp(qm->nodes[k].op_type, "Conv");
            qs += !strcmp(qm->nodes[k].op_type, "QuantizeLinear");
            dqs += !strcmp(qm->nodes[k].op_type, "DequantizeLinear");
        }
        REQUIRE(convs == 1);
        REQUIRE(qs == 1 && dqs == 2);
        /* W removed (only the Conv read it); B kept as float */
        REQUIRE(!init_named(qm, "W") && init_named(qm, "B") && init_named(qm, "B")->data_type == DT_FLOAT);
        const onnx_tensor *wq = init_named(qm, "W_quantized"), *ws = init_named(qm, "W_scale");
        const onnx_tensor *xs = init_named(qm, "x_scale"), *xz = init_named(qm, "x_zero_point");
        REQUIRE(wq && ws && xs && xz);
        if (wq && ws && xs && xz) {
            /* per channel: max |W[c]| / 127, so both codes are +-127 */
            REQUIRE(wq->data_type == DT_INT8 && wq->count == 2 && ws->count == 2);
            const int8_t *codes = (const int8_t *)(qm->buf + wq->data_off);
            REQUIRE(codes[0] == 127 && codes[1] == -127);
            float s0 = vkc_bits_f32(vkc_ld32(qm->buf + ws->data_off));
            float s1 = vkc_bits_f32(vkc_ld32(qm->buf + ws->data_off + 4));
            REQUIRE(s0 == (float)(0.5 / 127) && s1 == (float)(0.25 / 127));
            REQUIRE(xs->count == 1 && xs->ndims == 0 && vkc_bits_f32(vkc_ld32(qm->buf + xs->data_off)) == (float)(2.0 / 127));
            REQUIRE(xz->data_type == DT_INT8 && qm->buf[xz->data_off] == 0);
        }
        vkc_onnx_close(qm);
    }
    /* the same twice: byte-identical (determinism) */
    path_in(out2, sizeof out2, "conv.trt2.onnx");
    REQUIRE(vkc_qdq_write(m, &r, 1, &info, out2, &stats, &msg) == VKC_OK);
    size_t l1, l2;
    uint8_t *a = vkc_test_read_file(out, &l1), *c = vkc_test_read_file(out2, &l2);
    REQUIRE(a && c && l1 == l2 && !memcmp(a, c, l1));
    free(a);
    free(c);

    /* ONNX Runtime target, unsigned range: uint8, bias int32 = round(b / (sx * sw)) */
    vkc_qdq_range ru[2] = {{"x", 0, 2.55, 0.01, 0, 1, VKC_MODE_UNSIGNED}, {"y", -1, 1, 1.0 / 127, 0, 0, VKC_MODE_SYMMETRIC}};
    info.target = VKC_QDQ_ONNXRUNTIME;
    path_in(out, sizeof out, "conv.ort.onnx");
    st = vkc_qdq_write(m, ru, 2, &info, out, &stats, &msg);
    REQUIREF(st == VKC_OK && stats.biases == 1 && stats.activations == 1, "%s", msg.text);
    /* y is a graph output: no pair (the float producer stays), so only x */
    oi.path = out;
    if (vkc_onnx_open(&oi, &qm, &msg) == VKC_OK) {
        const onnx_tensor *bq = init_named(qm, "B_quantized"), *xz = init_named(qm, "x_zero_point");
        REQUIRE(bq && bq->data_type == DT_INT32 && xz && xz->data_type == DT_UINT8);
        if (bq) {
            int32_t b0 = (int32_t)vkc_ld32(qm->buf + bq->data_off), b1 = (int32_t)vkc_ld32(qm->buf + bq->data_off + 4);
            float s0 = (float)(0.01 * (double)(float)(0.5 / 127)), s1 = (float)(0.01 * (double)(float)(0.25 / 127));
            REQUIREF(b0 == (int32_t)nearbyint(0.1f / (double)s0) && b1 == (int32_t)nearbyint(-0.2f / (double)s1),
                     "%d %d", b0, b1);
        }
        vkc_onnx_close(qm);
    }

    /* ONNX Runtime, symmetric range: the same grid in uint8 codes, zero point 128 */
    path_in(out, sizeof out, "conv.ort.sym.onnx");
    st = vkc_qdq_write(m, &r, 1, &info, out, &stats, &msg);
    REQUIREF(st == VKC_OK, "%s", msg.text);
    oi.path = out;
    if (vkc_onnx_open(&oi, &qm, &msg) == VKC_OK) {
        const onnx_tensor *xz = init_named(qm, "x_zero_point"), *xs = init_named(qm, "x_scale");
        REQUIRE(xz && xz->data_type == DT_UINT8 && qm->buf[xz->data_off] == 128);
        REQUIRE(xs && vkc_bits_f32(vkc_ld32(qm->buf + xs->data_off)) == (float)(2.0 / 127));
        vkc_onnx_close(qm);
    }

    /* missing range: an error naming the tensor and the range file, no output */
    info.target = VKC_QDQ_TENSORRT;
    info.ranges_name = "r.json";
    vkc_qdq_range other = {"zzz", -1, 1, 1.0 / 127, 0, 0, VKC_MODE_SYMMETRIC};
    path_in(out, sizeof out, "none.onnx");
    st = vkc_qdq_write(m, &other, 1, &info, out, &stats, &msg);
    REQUIREF(st == VKC_ERROR_MISMATCH && strstr(msg.text, "r.json") && strstr(msg.text, "another model") && !exists(out),
             "%s", msg.text);
    /* opset 9: an error naming the opset */
    vkc_onnx_close(m);
    vkc_buf_free(&b);
    conv_model(&b, 9);
    m = open_bytes("conv9.onnx", b.data, b.len, &st, &msg);
    if (m) {
        st = vkc_qdq_write(m, &r, 1, &info, out, &stats, &msg);
        REQUIREF(st == VKC_ERROR_UNSUPPORTED && strstr(msg.text, "opset 9") && !exists(out), "%s", msg.text);
        vkc_onnx_close(m);
    }
    vkc_buf_free(&b);
    /* opset 11 with only Conv: raised to 13, IR version kept at 7 */
    conv_model(&b, 11);
    m = open_bytes("conv11.onnx", b.data, b.len, &st, &msg);
    if (m) {
        st = vkc_qdq_write(m, &r, 1, &info, out, &stats, &msg);
        REQUIREF(st == VKC_OK && stats.opset == 13 && stats.per_tensor_weights == 0, "%s", msg.text);
        vkc_onnx_close(m);
    }
    vkc_buf_free(&b);
}

/* A failed write leaves no output and no temporary file. */
static void test_failed_write(void)
{
    vkc_msg msg;
    vkc_status st;
    vkc_buf b = {0};
    conv_model(&b, 13);
    vkc_onnx_model *m = open_bytes("conv.onnx", b.data, b.len, &st, &msg);
    char out[512];
    path_in(out, sizeof out, "fail.onnx");
    vkc_qdq_range r = {"x", -2.0, 2.0, 2.0 / 127, 0, 0, VKC_MODE_SYMMETRIC};
    setenv("VKCALIB_TEST_IO_FAIL", "write:40", 1);
    st = vkc_qdq_write(m, &r, 1, NULL, out, NULL, &msg);
    unsetenv("VKCALIB_TEST_IO_FAIL");
    REQUIREF(st == VKC_ERROR_IO && !exists(out) && strstr(msg.text, "injected"), "%s", msg.text);
    /* never over the input */
    char in[512];
    path_in(in, sizeof in, "conv.onnx");
    st = vkc_qdq_write(m, &r, 1, NULL, in, NULL, &msg);
    REQUIREF(st == VKC_ERROR_INVALID_ARGUMENT && strstr(msg.text, "input"), "%s", msg.text);
    size_t len;
    uint8_t *same = vkc_test_read_file(in, &len);
    REQUIRE(same && len == b.len && !memcmp(same, b.data, len));
    free(same);
    vkc_onnx_close(m);
    vkc_buf_free(&b);
}

/* ---- external data ------------------------------------------------------------------ */

/* Conv model whose W is external: location, offset (decimal text). */
static void ext_model(vkc_buf *out, const char *location, uint64_t offset)
{
    const int64_t wd[4] = {2, 1, 1, 1};
    vkc_buf g = {0}, t = {0};
    const char *in[2] = {"x", "W"};
    put_node(&g, "Conv", in, 2, "y", 0);
    for (int d = 0; d < 4; d++) vkc_pb_put_int(&t, TENSOR_DIMS, wd[d]);
    vkc_pb_put_int(&t, TENSOR_DATA_TYPE, DT_FLOAT);
    vkc_pb_put_str(&t, TENSOR_NAME, "W");
    char num[32];
    const char *keys[3] = {"location", "offset", "length"};
    snprintf(num, sizeof num, "%llu", (unsigned long long)offset);
    const char *vals[3] = {location, num, "8"};
    for (int k = 0; k < 3; k++) {
        vkc_buf e = {0};
        vkc_pb_put_str(&e, ENTRY_KEY, keys[k]);
        vkc_pb_put_str(&e, ENTRY_VALUE, vals[k]);
        put_msg(&t, TENSOR_EXTERNAL_DATA, &e);
    }
    vkc_pb_put_uint(&t, TENSOR_DATA_LOCATION, 1);
    put_msg(&g, GRAPH_INITIALIZER, &t);
    put_value(&g, GRAPH_INPUT, "x");
    put_value(&g, GRAPH_OUTPUT, "y");
    put_model(out, &g, 13);
}

static void test_external(void)
{
    vkc_msg msg;
    vkc_status st;
    char p[700], sub[256];
    /* W at offset 5 GB of a sparse file: 64-bit offsets all the way */
    const uint64_t off = 5000000000ull;
    path_in(p, sizeof p, "big.bin");
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const float w[2] = {0.5f, -0.25f};
    int sparse = fd >= 0 && ftruncate(fd, (off_t)(off + 4096)) == 0 && pwrite(fd, w, 8, (off_t)off) == 8;
    if (fd >= 0) close(fd);
    if (!sparse) {
        fprintf(stderr, "note: no sparse 5 GB file here (%s): 64-bit external offsets not tested\n", strerror(errno));
    } else {
        vkc_buf b = {0};
        ext_model(&b, "big.bin", off);
        vkc_onnx_model *m = open_bytes("ext.onnx", b.data, b.len, &st, &msg);
        REQUIREF(st == VKC_OK, "%s", msg.text);
        if (m) {
            REQUIRE(m->inits[0].at == DATA_EXTERNAL && m->inits[0].ext_offset == off);
            char out[700];
            mkdir(strcat(strcpy(sub, g_dir), "/out"), 0755);
            snprintf(out, sizeof out, "%s/q.onnx", sub);
            vkc_qdq_range r = {"x", -2.0, 2.0, 2.0 / 127, 0, 0, VKC_MODE_SYMMETRIC};
            st = vkc_qdq_write(m, &r, 1, NULL, out, NULL, &msg);
            REQUIREF(st == VKC_OK, "%s", msg.text);
            /* the int8 weight of an external fp32 one is external too, in OUT.data */
            char data[800];
            snprintf(data, sizeof data, "%s.data", out);
            size_t dl = 0;
            uint8_t *d = vkc_test_read_file(data, &dl);
            REQUIRE(d && dl == 2 && (int8_t)d[0] == 127 && (int8_t)d[1] == -127);
            free(d);
            vkc_onnx_open_info oi = {.path = out};
            vkc_onnx_model *qm = NULL;
            REQUIREF(vkc_onnx_open(&oi, &qm, &msg) == VKC_OK, "%s", msg.text);
            vkc_onnx_close(qm);
            /* a copy (no edit) moves W's bytes into the copy's data file */
            snprintf(out, sizeof out, "%s/copy.onnx", sub);
            REQUIRE(vkc_onnx_write(m, out, &msg) == VKC_OK);
            snprintf(data, sizeof data, "%s.data", out);
            d = vkc_test_read_file(data, &dl);
            REQUIRE(d && dl == 8 && !memcmp(d, w, 8));
            free(d);
            vkc_onnx_close(m);
        }
        vkc_buf_free(&b);
        unlink(p);
    }
    /* locations leaving the folder */
    mkdir(strcat(strcpy(sub, g_dir), "/inner"), 0755);
    char outside[512], link[600];
    path_in(outside, sizeof outside, "secret.bin");
    REQUIRE(write_file(outside, w, 8));
    snprintf(link, sizeof link, "%s/link.bin", sub);
    REQUIRE(symlink(outside, link) == 0);
    const char *bad[] = {"../secret.bin", "/etc/passwd", "link.bin", "a/../../secret.bin", "missing.bin", ""};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        vkc_buf b = {0};
        ext_model(&b, bad[k], 0);
        snprintf(p, sizeof p, "%s/m.onnx", sub);
        REQUIRE(write_file(p, b.data, b.len));
        vkc_onnx_open_info oi = {.path = p};
        vkc_onnx_model *m = NULL;
        st = vkc_onnx_open(&oi, &m, &msg);
        REQUIREF(st == VKC_ERROR_FORMAT && !m && strstr(msg.text, "m.onnx") && strstr(msg.text, "'W'"), "%s: %s", bad[k],
                 msg.text);
        vkc_buf_free(&b);
    }
    /* offset + length past the end of the file */
    vkc_buf b = {0};
    snprintf(p, sizeof p, "%s/w.bin", sub);
    REQUIRE(write_file(p, w, 8));
    ext_model(&b, "w.bin", 4);
    snprintf(p, sizeof p, "%s/m.onnx", sub);
    REQUIRE(write_file(p, b.data, b.len));
    vkc_onnx_open_info oi = {.path = p};
    vkc_onnx_model *m = NULL;
    st = vkc_onnx_open(&oi, &m, &msg);
    REQUIREF(st == VKC_ERROR_FORMAT && strstr(msg.text, "runs past"), "%s", msg.text);
    vkc_buf_free(&b);
}

int main(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/vkc_test_onnx.%d", (int)getpid());
    mkdir(g_dir, 0755);
    test_varints();
    test_fields();
    test_hostile();
    test_noop_and_qdq();
    test_failed_write();
    test_external();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "note: could not remove %s\n", g_dir);
    return vkc_test_end();
}
