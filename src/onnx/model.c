/* Opening an ONNX model: map the file, check the whole tree (pb.c's
 * iterative validator with the ONNX schema below), index the top-level
 * graph, check every external data reference. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* realpath */
#endif
#include "onnx/model.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- schema --------------------------------------------------------------- */

enum {
    M_MODEL = 1, M_GRAPH, M_NODE, M_ATTR, M_TENSOR, M_SPARSE, M_VALUE, M_TYPE, M_TYPE_TENSOR, M_TYPE_SEQ,
    M_TYPE_MAP, M_TYPE_OPT, M_SHAPE, M_DIM, M_OPSET, M_ENTRY, M_TRAINING, M_FUNCTION, M_SEGMENT, M_ANNOT
};

/* Which fields hold messages (onnx.proto, through IR version 10). */
static const vkc_pb_child kSchema[] = {
    {M_MODEL, 7, M_GRAPH}, {M_MODEL, 8, M_OPSET}, {M_MODEL, 14, M_ENTRY}, {M_MODEL, 20, M_TRAINING},
    {M_MODEL, 25, M_FUNCTION},
    {M_GRAPH, 1, M_NODE}, {M_GRAPH, 5, M_TENSOR}, {M_GRAPH, 15, M_SPARSE}, {M_GRAPH, 11, M_VALUE},
    {M_GRAPH, 12, M_VALUE}, {M_GRAPH, 13, M_VALUE}, {M_GRAPH, 14, M_ANNOT}, {M_GRAPH, 16, M_ENTRY},
    {M_NODE, 5, M_ATTR}, {M_NODE, 9, M_ENTRY},
    {M_ATTR, 5, M_TENSOR}, {M_ATTR, 6, M_GRAPH}, {M_ATTR, 22, M_SPARSE}, {M_ATTR, 14, M_TYPE},
    {M_ATTR, 10, M_TENSOR}, {M_ATTR, 11, M_GRAPH}, {M_ATTR, 23, M_SPARSE}, {M_ATTR, 15, M_TYPE},
    {M_TENSOR, 3, M_SEGMENT}, {M_TENSOR, 13, M_ENTRY}, {M_TENSOR, 16, M_ENTRY},
    {M_SPARSE, 1, M_TENSOR}, {M_SPARSE, 2, M_TENSOR},
    {M_VALUE, 2, M_TYPE}, {M_VALUE, 4, M_ENTRY},
    {M_TYPE, 1, M_TYPE_TENSOR}, {M_TYPE, 4, M_TYPE_SEQ}, {M_TYPE, 5, M_TYPE_MAP}, {M_TYPE, 9, M_TYPE_OPT},
    {M_TYPE, 8, M_TYPE_TENSOR},
    {M_TYPE_TENSOR, 2, M_SHAPE}, {M_TYPE_SEQ, 1, M_TYPE}, {M_TYPE_MAP, 2, M_TYPE}, {M_TYPE_OPT, 1, M_TYPE},
    {M_SHAPE, 1, M_DIM},
    {M_TRAINING, 1, M_GRAPH}, {M_TRAINING, 2, M_GRAPH}, {M_TRAINING, 3, M_ENTRY}, {M_TRAINING, 4, M_ENTRY},
    {M_FUNCTION, 7, M_NODE}, {M_FUNCTION, 9, M_OPSET}, {M_FUNCTION, 11, M_ATTR}, {M_FUNCTION, 12, M_VALUE},
    {M_FUNCTION, 14, M_ENTRY},
    {M_ANNOT, 2, M_ENTRY},
    {0, 0, 0}};

#define MAX_NAME 65536u /* bytes in one name or string we interpret */

/* ---- arena ---------------------------------------------------------------- */

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    max_align_t data[];
} arena_block;

void *onnx_arena_alloc(vkc_onnx_model *m, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    arena_block *b = m->arena;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        b = malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->next = m->arena;
        b->used = 0;
        b->cap = cap;
        m->arena = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

/* A NUL-terminated copy of a string field; NULL (with *bad set) for one
 * holding a NUL byte or longer than MAX_NAME, or when out of memory. */
static char *arena_str(vkc_onnx_model *m, const vkc_pb_field *f, const char **bad)
{
    if (f->len > MAX_NAME || memchr(m->buf + f->val, 0, (size_t)f->len)) {
        *bad = "a name longer than 64 KiB or holding a NUL byte";
        return NULL;
    }
    char *s = onnx_arena_alloc(m, (size_t)f->len + 1);
    if (!s) {
        *bad = "out of memory";
        return NULL;
    }
    memcpy(s, m->buf + f->val, (size_t)f->len);
    s[f->len] = 0;
    return s;
}

/* ---- parsing ---------------------------------------------------------------- */

typedef struct parse {
    vkc_onnx_model *m;
    const vkc_onnx_open_info *info;
    vkc_msg *msg;
} parse;

static vkc_status bad(parse *p, uint64_t at, const char *why)
{
    return vkc_fail(p->msg, VKC_ERROR_FORMAT, "%s: byte %llu: %s", p->m->path, (unsigned long long)at, why);
}

/* Fields were validated already, so reading them cannot fail; the checks
 * stay for safety (a bug must not become an out-of-bounds read). */
#define NEXT(r, f) (vkc_pb_next(&(r), &(f), &why, &at) > 0)

/* Grows an arena array of n elements to hold one more; arrays double, so
 * the abandoned copies cost at most as much as the final one. */
static int grow(vkc_onnx_model *m, void **arr, uint32_t n, uint32_t *cap, size_t elem)
{
    if (n < *cap) return 1;
    uint32_t nc = *cap ? *cap * 2 : 4;
    void *a = onnx_arena_alloc(m, (size_t)nc * elem);
    if (!a) return 0;
    if (n) memcpy(a, *arr, (size_t)n * elem);
    *arr = a;
    *cap = nc;
    return 1;
}

static vkc_status parse_entry(parse *p, const vkc_pb_field *ef, char **key, char **value)
{
    const char *why = NULL;
    uint64_t at = 0;
    vkc_pb_reader r = vkc_pb_reader_at(p->m->buf, ef->val, ef->len);
    vkc_pb_field f;
    *key = *value = NULL;
    while (NEXT(r, f)) {
        if (f.wt != VKC_PB_LEN || (f.num != ENTRY_KEY && f.num != ENTRY_VALUE)) continue;
        char *s = arena_str(p->m, &f, &why);
        if (!s) return bad(p, f.start, why);
        if (f.num == ENTRY_KEY) *key = s;
        else *value = s;
    }
    return VKC_OK;
}

static uint32_t dtype_size(int32_t dt)
{
    switch (dt) {
    case DT_FLOAT: case DT_INT32: return 4;
    case DT_UINT8: case DT_INT8: case 9: case DT_FLOAT8E4M3FN: case 18: case 19: case 20: return 1;
    case 4: case 5: case 10: case 16: return 2;
    case DT_INT64: case 11: case 12: case 13: case 14: return 8;
    case 15: return 16;
    default: return 0;
    }
}

/* The summary of a TensorProto at field tf. */
static vkc_status parse_tensor(parse *p, const vkc_pb_field *tf, onnx_tensor *t)
{
    vkc_onnx_model *m = p->m;
    const char *why = NULL;
    uint64_t at = 0;
    memset(t, 0, sizeof *t);
    t->field_start = tf->start;
    t->field_end = tf->end;
    t->msg_off = tf->val;
    t->msg_len = tf->len;
    t->name = "";
    int external = 0;
    vkc_pb_reader r = vkc_pb_reader_at(m->buf, tf->val, tf->len);
    vkc_pb_field f;
    while (NEXT(r, f)) {
        if (f.num == TENSOR_DIMS) {
            vkc_pb_reader d = vkc_pb_reader_at(m->buf, f.val, f.wt == VKC_PB_LEN ? f.len : 0);
            uint64_t pos = f.val, v = f.val;
            int packed = f.wt == VKC_PB_LEN;
            if (!packed && f.wt != VKC_PB_VARINT) return bad(p, f.start, "tensor dims of the wrong wire type");
            for (;;) {
                if (packed) {
                    if (pos >= d.end) break;
                    if (!vkc_pb_varint(m->buf, &pos, d.end, &v)) return bad(p, pos, "truncated packed dims");
                }
                if (t->ndims >= ONNX_MAX_DIMS) return bad(p, f.start, "a tensor with more than 16 dimensions");
                if ((int64_t)v < 0) return bad(p, f.start, "a negative tensor dimension");
                t->dims[t->ndims++] = (int64_t)v;
                if (!packed) break;
            }
        } else if (f.num == TENSOR_DATA_TYPE && f.wt == VKC_PB_VARINT) {
            t->data_type = (int32_t)f.val;
        } else if (f.num == TENSOR_NAME && f.wt == VKC_PB_LEN) {
            char *s = arena_str(m, &f, &why);
            if (!s) return bad(p, f.start, why);
            t->name = s;
        } else if (f.num == TENSOR_RAW_DATA && f.wt == VKC_PB_LEN) {
            t->at = DATA_RAW;
            t->data_off = f.val;
            t->data_len = f.len;
        } else if (f.num == TENSOR_FLOAT_DATA && f.wt == VKC_PB_LEN) {
            t->at = DATA_FLOATS_PACKED;
            t->data_off = f.val;
            t->data_len = f.len;
        } else if (f.num == TENSOR_FLOAT_DATA && f.wt == VKC_PB_I32) {
            if (t->at != DATA_FLOATS) t->data_len = 0;
            t->at = DATA_FLOATS; /* unpacked: gathered again when read */
            t->data_len += 4;
        } else if (f.num == TENSOR_DATA_LOCATION && f.wt == VKC_PB_VARINT) {
            external = f.val == 1;
        } else if (f.num == TENSOR_EXTERNAL_DATA && f.wt == VKC_PB_LEN) {
            char *k, *v;
            vkc_status st = parse_entry(p, &f, &k, &v);
            if (st != VKC_OK) return st;
            if (!k || !v) continue;
            if (!strcmp(k, "location")) t->ext_location = v;
            else if ((!strcmp(k, "offset") && !onnx_parse_u64_text(v, &t->ext_offset)) ||
                     (!strcmp(k, "length") && !onnx_parse_u64_text(v, &t->ext_length)))
                return vkc_fail(p->msg, VKC_ERROR_FORMAT, "%s: tensor '%s': external data %s '%s' is not a number",
                                m->path, t->name, k, v);
        }
    }
    uint64_t count = 1;
    for (uint32_t d = 0; d < t->ndims; d++)
        if (!vkc_mul_u64(count, (uint64_t)t->dims[d], &count))
            return vkc_fail(p->msg, VKC_ERROR_FORMAT, "%s: tensor '%s': element count overflows", m->path, t->name);
    t->count = count;
    uint32_t es = dtype_size(t->data_type);
    uint64_t want = 0;
    int sized = es && vkc_mul_u64(count, es, &want);
    if (external) {
        t->at = DATA_EXTERNAL;
        vkc_status st = onnx_check_location(m, t, p->msg);
        if (st != VKC_OK) return st;
        if (sized && t->ext_length != want)
            return vkc_fail(p->msg, VKC_ERROR_FORMAT,
                            "%s: tensor '%s': external data holds %llu bytes, its shape needs %llu", m->path, t->name,
                            (unsigned long long)t->ext_length, (unsigned long long)want);
    } else if (t->data_type == DT_FLOAT && t->at != DATA_NONE && (!sized || t->data_len != want)) {
        return vkc_fail(p->msg, VKC_ERROR_FORMAT, "%s: tensor '%s': %llu data bytes, its shape needs %llu", m->path,
                        t->name, (unsigned long long)t->data_len, (unsigned long long)want);
    }
    return VKC_OK;
}

static vkc_status parse_strings(parse *p, const vkc_pb_field *f, const char ***arr, uint32_t *n, uint32_t *cap)
{
    const char *why = NULL;
    if (f->wt != VKC_PB_LEN) return bad(p, f->start, "a node input or output of the wrong wire type");
    char *s = arena_str(p->m, f, &why);
    if (!s) return bad(p, f->start, why);
    if (*n >= p->info->max_nodes) return bad(p, f->start, "a node with too many inputs or outputs");
    if (!grow(p->m, (void **)arr, *n, cap, sizeof **arr))
        return vkc_fail(p->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    (*arr)[(*n)++] = s;
    return VKC_OK;
}

static vkc_status parse_node(parse *p, const vkc_pb_field *nf, onnx_node *n, uint32_t *consts_cap)
{
    vkc_onnx_model *m = p->m;
    const char *why = NULL;
    uint64_t at = 0;
    memset(n, 0, sizeof *n);
    n->field_start = nf->start;
    n->field_end = nf->end;
    n->name = n->op_type = n->domain = "";
    n->group = 1;
    n->value = -1;
    uint32_t icap = 0, ocap = 0;
    vkc_status st = VKC_OK;
    vkc_pb_reader r = vkc_pb_reader_at(m->buf, nf->val, nf->len);
    vkc_pb_field f;
    while (st == VKC_OK && NEXT(r, f)) {
        if (f.num == NODE_INPUT) st = parse_strings(p, &f, &n->inputs, &n->ninputs, &icap);
        else if (f.num == NODE_OUTPUT) st = parse_strings(p, &f, &n->outputs, &n->noutputs, &ocap);
        else if ((f.num == NODE_NAME || f.num == NODE_OP_TYPE || f.num == NODE_DOMAIN) && f.wt == VKC_PB_LEN) {
            char *s = arena_str(m, &f, &why);
            if (!s) return bad(p, f.start, why);
            if (f.num == NODE_NAME) n->name = s;
            else if (f.num == NODE_OP_TYPE) n->op_type = s;
            else n->domain = s;
        } else if (f.num == NODE_ATTRIBUTE && f.wt == VKC_PB_LEN) {
            vkc_pb_reader a = vkc_pb_reader_at(m->buf, f.val, f.len);
            vkc_pb_field g, tval = {0};
            char aname[16] = "";
            int64_t ival = 0;
            int has_i = 0, has_t = 0;
            while (NEXT(a, g)) {
                if (g.num == ATTR_NAME && g.wt == VKC_PB_LEN) {
                    size_t l = g.len < sizeof aname - 1 ? (size_t)g.len : sizeof aname - 1;
                    memcpy(aname, m->buf + g.val, l);
                    aname[l] = 0;
                    if (g.len >= sizeof aname) aname[0] = 0; /* not one of ours */
                } else if (g.num == ATTR_I && g.wt == VKC_PB_VARINT) {
                    ival = (int64_t)g.val;
                    has_i = 1;
                } else if (g.num == ATTR_T && g.wt == VKC_PB_LEN) {
                    tval = g;
                    has_t = 1;
                } else if (g.num == ATTR_G || g.num == ATTR_GRAPHS) {
                    n->has_subgraph = 1;
                }
            }
            if (has_i && !strcmp(aname, "group")) n->group = ival;
            if (has_i && !strcmp(aname, "transA")) n->trans_a = ival;
            if (has_i && !strcmp(aname, "transB")) n->trans_b = ival;
            if (has_i && !strcmp(aname, "to")) n->cast_to = ival;
            if (has_t && !strcmp(aname, "value")) {
                if (!grow(m, (void **)&m->consts, m->nconsts, consts_cap, sizeof *m->consts))
                    return vkc_fail(p->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
                st = parse_tensor(p, &tval, &m->consts[m->nconsts]);
                if (st == VKC_OK) {
                    n->value_dtype = m->consts[m->nconsts].data_type;
                    n->value = (int32_t)m->nconsts++;
                }
            }
        }
    }
    if (st == VKC_OK && strcmp(n->op_type, "Constant") != 0) n->value = -1;
    return st;
}

static vkc_status parse_value(parse *p, const vkc_pb_field *vf, onnx_value *v)
{
    const char *why = NULL;
    uint64_t at = 0;
    memset(v, 0, sizeof *v);
    v->field_start = vf->start;
    v->field_end = vf->end;
    v->name = "";
    vkc_pb_reader r = vkc_pb_reader_at(p->m->buf, vf->val, vf->len);
    vkc_pb_field f;
    while (NEXT(r, f)) {
        if (f.num == VALUE_NAME && f.wt == VKC_PB_LEN) {
            char *s = arena_str(p->m, &f, &why);
            if (!s) return bad(p, f.start, why);
            v->name = s;
        } else if (f.num == VALUE_TYPE && f.wt == VKC_PB_LEN) {
            v->type_off = f.val;
            v->type_len = f.len;
        }
    }
    return VKC_OK;
}

static vkc_status add_value(parse *p, const vkc_pb_field *f, onnx_value **arr, uint32_t *n, uint32_t *cap)
{
    if (*n >= p->info->max_nodes) return bad(p, f->start, "too many graph inputs, outputs or value_info entries");
    if (!grow(p->m, (void **)arr, *n, cap, sizeof **arr))
        return vkc_fail(p->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    vkc_status st = parse_value(p, f, &(*arr)[*n]);
    if (st == VKC_OK) (*n)++;
    return st;
}

static vkc_status parse_graph(parse *p)
{
    vkc_onnx_model *m = p->m;
    const char *why = NULL;
    uint64_t at = 0;
    uint32_t ncap = 0, icap = 0, ccap = 0, incap = 0, outcap = 0, vicap = 0;
    vkc_status st = VKC_OK;
    vkc_pb_reader r = vkc_pb_reader_at(m->buf, m->graph_off, m->graph_len);
    vkc_pb_field f;
    while (st == VKC_OK && NEXT(r, f)) {
        if (f.wt != VKC_PB_LEN) continue;
        if (f.num == GRAPH_NODE) {
            if (m->nnodes >= p->info->max_nodes) return bad(p, f.start, "too many nodes");
            if (!grow(m, (void **)&m->nodes, m->nnodes, &ncap, sizeof *m->nodes))
                return vkc_fail(p->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
            st = parse_node(p, &f, &m->nodes[m->nnodes], &ccap);
            if (st == VKC_OK) m->nnodes++;
        } else if (f.num == GRAPH_INITIALIZER) {
            if (m->ninits >= p->info->max_nodes) return bad(p, f.start, "too many initializers");
            if (!grow(m, (void **)&m->inits, m->ninits, &icap, sizeof *m->inits))
                return vkc_fail(p->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
            st = parse_tensor(p, &f, &m->inits[m->ninits]);
            if (st == VKC_OK) m->inits[m->ninits++].is_initializer = 1;
        } else if (f.num == GRAPH_INPUT) {
            st = add_value(p, &f, &m->inputs, &m->ninputs, &incap);
        } else if (f.num == GRAPH_OUTPUT) {
            st = add_value(p, &f, &m->outputs, &m->noutputs, &outcap);
        } else if (f.num == GRAPH_VALUE_INFO) {
            st = add_value(p, &f, &m->value_infos, &m->nvalue_infos, &vicap);
        }
    }
    return st;
}

static vkc_status index_names(parse *p)
{
    vkc_onnx_model *m = p->m;
    int ok = 1;
    for (uint32_t i = 0; ok && i < m->nnodes; i++)
        for (uint32_t o = 0; ok && o < m->nodes[i].noutputs; o++)
            if (m->nodes[i].outputs[o][0]) ok = onnx_map_put(&m->producer, m->nodes[i].outputs[o], i);
    for (uint32_t i = 0; ok && i < m->ninits; i++) ok = onnx_map_put(&m->init_by_name, m->inits[i].name, i);
    for (uint32_t i = 0; ok && i < m->ninputs; i++) ok = onnx_map_put(&m->input_by_name, m->inputs[i].name, i);
    for (uint32_t i = 0; ok && i < m->noutputs; i++) ok = onnx_map_put(&m->output_by_name, m->outputs[i].name, i);
    for (uint32_t i = 0; ok && i < m->nvalue_infos; i++) ok = onnx_map_put(&m->vi_by_name, m->value_infos[i].name, i);
    return ok ? VKC_OK : vkc_fail(p->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
}

/* ModelProto's own fields: IR version, the ai.onnx opset, the graph. */
static vkc_status parse_model(parse *p)
{
    vkc_onnx_model *m = p->m;
    const char *why = NULL;
    uint64_t at = 0;
    int graphs = 0;
    vkc_pb_reader r = vkc_pb_reader_at(m->buf, 0, m->size);
    vkc_pb_field f;
    while (NEXT(r, f)) {
        if (f.num == MODEL_IR_VERSION && f.wt == VKC_PB_VARINT) m->ir_version = (int64_t)f.val;
        else if (f.num == MODEL_GRAPH && f.wt == VKC_PB_LEN) {
            graphs++;
            m->graph_start = f.start;
            m->graph_end = f.end;
            m->graph_off = f.val;
            m->graph_len = f.len;
        } else if (f.num == MODEL_OPSET_IMPORT && f.wt == VKC_PB_LEN) {
            vkc_pb_reader o = vkc_pb_reader_at(m->buf, f.val, f.len);
            vkc_pb_field g;
            int64_t version = 0;
            int onnx_domain = 1;
            while (NEXT(o, g)) {
                if (g.num == OPSET_DOMAIN && g.wt == VKC_PB_LEN)
                    onnx_domain = g.len == 0 || (g.len == 7 && memcmp(m->buf + g.val, "ai.onnx", 7) == 0);
                else if (g.num == OPSET_VERSION && g.wt == VKC_PB_VARINT)
                    version = (int64_t)g.val;
            }
            if (onnx_domain) m->opset = version;
        } else if (f.num == 25) {
            m->has_functions = 1;
        }
    }
    if (graphs != 1)
        return vkc_fail(p->msg, VKC_ERROR_FORMAT, "%s: not an ONNX model (%s graph)", m->path,
                        graphs ? "more than one" : "no");
    return VKC_OK;
}

/* External tensors anywhere in the tree, counted while validating: more
 * than the top-level initializers hold means some sit where the writer
 * copies them as they are. */
static void count_external(void *user, uint16_t type, const vkc_pb_field *f)
{
    if (type == M_TENSOR && f->num == TENSOR_DATA_LOCATION && f->wt == VKC_PB_VARINT && f->val == 1)
        ++*(uint64_t *)user;
}

static vkc_status map_file(vkc_onnx_model *m, vkc_msg *msg)
{
    int fd = open(m->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return vkc_fail(msg, VKC_ERROR_IO, "%s: %s", m->path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return vkc_fail(msg, VKC_ERROR_IO, "%s: not a regular file", m->path);
    }
    if (st.st_size == 0) {
        close(fd);
        return vkc_fail(msg, VKC_ERROR_FORMAT, "%s: empty file, not an ONNX model", m->path);
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int err = errno;
    close(fd);
    if (p == MAP_FAILED) return vkc_fail(msg, VKC_ERROR_IO, "%s: cannot map: %s", m->path, strerror(err));
    m->buf = p;
    m->size = (uint64_t)st.st_size;
    return VKC_OK;
}

static char *dup_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, path, n);
        d[n] = 0;
    }
    return d;
}

vkc_status vkc_onnx_open(const vkc_onnx_open_info *info, vkc_onnx_model **out, vkc_msg *msg)
{
    if (!info || !info->path || !out) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_onnx_open: no path");
    *out = NULL;
    vkc_status cs = vkc_check_struct(info->sType, info->pNext, VKC_STRUCTURE_TYPE_ONNX_OPEN_INFO,
                                     "vkc_onnx_open_info", msg);
    if (cs != VKC_OK) return cs;
    vkc_onnx_open_info lim = *info;
    if (!lim.max_depth) lim.max_depth = VKC_ONNX_DEFAULT_MAX_DEPTH;
    if (!lim.max_fields) lim.max_fields = VKC_ONNX_DEFAULT_MAX_FIELDS;
    if (!lim.max_nodes) lim.max_nodes = VKC_ONNX_DEFAULT_MAX_NODES;
    vkc_onnx_model *m = calloc(1, sizeof *m);
    if (!m) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    m->path = strdup(info->path);
    m->dir = dup_dir(info->path);
    if (!m->path || !m->dir) {
        vkc_onnx_close(m);
        return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    }
    uint64_t ext_total = 0, ext_top = 0;
    vkc_status st = VKC_OK;
    if (info->data) {
        m->buf = info->data;
        m->size = info->size;
        m->borrowed = 1;
        if (!m->size) st = vkc_fail(msg, VKC_ERROR_FORMAT, "%s: empty, not an ONNX model", m->path);
    } else {
        st = map_file(m, msg);
    }
    if (st == VKC_OK) {
        m->dir_real = realpath(m->dir, NULL);
        if (!m->dir_real) st = vkc_fail(msg, VKC_ERROR_IO, "%s: %s", m->dir, strerror(errno));
    }
    if (st == VKC_OK) {
        vkc_pb_limits pl = {lim.max_depth, lim.max_fields};
        vkc_msg why;
        st = vkc_pb_validate(m->buf, m->size, M_MODEL, kSchema, &pl, count_external, &ext_total, &why);
        if (st != VKC_OK) vkc_fail(msg, st, "%s: not a valid ONNX model: %s", m->path, why.text);
    }
    parse p = {m, &lim, msg};
    if (st == VKC_OK) st = parse_model(&p);
    if (st == VKC_OK) st = parse_graph(&p);
    if (st == VKC_OK) st = index_names(&p);
    for (uint32_t i = 0; st == VKC_OK && i < m->ninits; i++) ext_top += m->inits[i].at == DATA_EXTERNAL;
    m->external_elsewhere = ext_total > ext_top;
    if (st != VKC_OK) {
        vkc_onnx_close(m);
        return st;
    }
    *out = m;
    return VKC_OK;
}

void vkc_onnx_close(vkc_onnx_model *m)
{
    if (!m) return;
    if (m->buf && !m->borrowed) munmap((void *)m->buf, (size_t)m->size);
    onnx_map_free(&m->producer);
    onnx_map_free(&m->init_by_name);
    onnx_map_free(&m->input_by_name);
    onnx_map_free(&m->output_by_name);
    onnx_map_free(&m->vi_by_name);
    while (m->arena) {
        arena_block *b = m->arena;
        m->arena = b->next;
        free(b);
    }
    free(m->needed);
    free(m->path);
    free(m->dir);
    free(m->dir_real);
    free(m);
}

int64_t vkc_onnx_opset(const vkc_onnx_model *m) { return m->opset; }
int64_t vkc_onnx_ir_version(const vkc_onnx_model *m) { return m->ir_version; }
uint32_t vkc_onnx_node_count(const vkc_onnx_model *m) { return m->nnodes; }

int vkc_onnx_has_tensor(const vkc_onnx_model *m, const char *name)
{
    return onnx_map_get(&m->producer, name, NULL) || onnx_map_get(&m->init_by_name, name, NULL) ||
           onnx_map_get(&m->input_by_name, name, NULL);
}

const onnx_tensor *onnx_constant(const vkc_onnx_model *m, const char *name, int32_t *const_node)
{
    uint32_t i;
    if (const_node) *const_node = -1;
    if (onnx_map_get(&m->producer, name, &i)) {
        if (m->nodes[i].value < 0) return NULL;
        if (const_node) *const_node = (int32_t)i;
        return &m->consts[m->nodes[i].value];
    }
    /* An initializer that is also a graph input may be overridden at run
     * time (IR < 4 lists every initializer as an input, though): constant
     * as far as the graph's author meant it. */
    if (onnx_map_get(&m->init_by_name, name, &i)) return &m->inits[i];
    return NULL;
}

const char *onnx_node_label(const vkc_onnx_model *m, uint32_t node, char *buf, size_t size)
{
    const onnx_node *n = &m->nodes[node];
    if (n->name[0]) snprintf(buf, size, "%s", n->name);
    else snprintf(buf, size, "%s #%u", n->op_type, node);
    return buf;
}

