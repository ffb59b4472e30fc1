#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* realpath */
#endif
#include "onnx/emit.h"
#include "base/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DATA_ALIGN 4096u /* external tensors start on page boundaries: runtimes can map them */

/* ---- edits ------------------------------------------------------------------ */

vkc_status onnx_edit_init(onnx_edit *e, const vkc_onnx_model *m, vkc_msg *msg)
{
    memset(e, 0, sizeof *e);
    size_t nn = m->nnodes ? m->nnodes : 1;
    e->node_drop = calloc(nn, 1);
    e->node_inputs = calloc(nn, sizeof *e->node_inputs);
    e->after = calloc(nn, sizeof *e->after);
    e->init_drop = calloc(m->ninits ? m->ninits : 1, 1);
    e->input_drop = calloc(m->ninputs ? m->ninputs : 1, 1);
    if (!e->node_drop || !e->node_inputs || !e->after || !e->init_drop || !e->input_drop) {
        onnx_edit_free(e, m);
        return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    }
    return VKC_OK;
}

void onnx_edit_free(onnx_edit *e, const vkc_onnx_model *m)
{
    if (e->after)
        for (uint32_t k = 0; k < m->nnodes; k++) vkc_buf_free(&e->after[k]);
    if (e->node_inputs)
        for (uint32_t k = 0; k < m->nnodes; k++) free(e->node_inputs[k]);
    for (uint32_t k = 0; k < e->next; k++) vkc_buf_free(&e->ext[k].head);
    free(e->ext);
    free(e->after);
    free(e->node_inputs);
    free(e->node_drop);
    free(e->init_drop);
    free(e->input_drop);
    vkc_buf_free(&e->prologue);
    vkc_buf_free(&e->new_inits);
    vkc_buf_free(&e->new_outputs);
    memset(e, 0, sizeof *e);
}

int onnx_edit_empty(const onnx_edit *e, const vkc_onnx_model *m)
{
    if (e->prologue.len || e->new_inits.len || e->next || e->new_outputs.len || e->opset || e->ir_version) return 0;
    for (uint32_t k = 0; k < m->nnodes; k++)
        if (e->node_drop[k] || e->node_inputs[k] || e->after[k].len) return 0;
    for (uint32_t k = 0; k < m->ninits; k++)
        if (e->init_drop[k]) return 0;
    for (uint32_t k = 0; k < m->ninputs; k++)
        if (e->input_drop[k]) return 0;
    return 1;
}

/* ---- encoders ---------------------------------------------------------------- */

void onnx_put_tensor_field(vkc_buf *b, uint32_t field, const char *name, int32_t dtype, const int64_t *dims,
                           uint32_t ndims, const void *raw, uint64_t raw_len)
{
    vkc_buf t = {0};
    for (uint32_t d = 0; d < ndims; d++) vkc_pb_put_int(&t, TENSOR_DIMS, dims[d]);
    vkc_pb_put_int(&t, TENSOR_DATA_TYPE, dtype);
    vkc_pb_put_str(&t, TENSOR_NAME, name);
    if (raw) vkc_pb_put_bytes(&t, TENSOR_RAW_DATA, raw, raw_len);
    if (t.oom) b->oom = 1;
    vkc_pb_put_bytes(b, field, t.data, t.len);
    vkc_buf_free(&t);
}

void onnx_put_node_field(vkc_buf *b, const char *name, const char *op, const char *const *in, uint32_t nin,
                         const char *const *out, uint32_t nout, int has_axis, int64_t axis)
{
    vkc_buf n = {0};
    for (uint32_t i = 0; i < nin; i++) vkc_pb_put_str(&n, NODE_INPUT, in[i]);
    for (uint32_t i = 0; i < nout; i++) vkc_pb_put_str(&n, NODE_OUTPUT, out[i]);
    vkc_pb_put_str(&n, NODE_NAME, name);
    vkc_pb_put_str(&n, NODE_OP_TYPE, op);
    if (has_axis) {
        vkc_buf a = {0};
        vkc_pb_put_str(&a, ATTR_NAME, "axis");
        vkc_pb_put_int(&a, ATTR_I, axis);
        vkc_pb_put_uint(&a, ATTR_TYPE, 2); /* INT */
        if (a.oom) n.oom = 1;
        vkc_pb_put_bytes(&n, NODE_ATTRIBUTE, a.data, a.len);
        vkc_buf_free(&a);
    }
    if (n.oom) b->oom = 1;
    vkc_pb_put_bytes(b, GRAPH_NODE, n.data, n.len);
    vkc_buf_free(&n);
}

/* ---- the plan: pieces of the output ----------------------------------------- */

typedef struct piece {
    const uint8_t *p;     /* memory, or NULL for a file span */
    const char *file;     /* file span: path, offset */
    uint64_t off, len;
} piece;

typedef struct plan {
    piece *v;
    size_t n, cap;
    void **owned;
    size_t nowned, owncap;
    int oom;
} plan;

static void plan_add(plan *pl, piece pc)
{
    if (pl->oom || pc.len == 0) return;
    if (pl->n == pl->cap) {
        size_t cap = pl->cap ? pl->cap * 2 : 256;
        piece *v = realloc(pl->v, cap * sizeof *v);
        if (!v) {
            pl->oom = 1;
            return;
        }
        pl->v = v;
        pl->cap = cap;
    }
    pl->v[pl->n++] = pc;
}

static void plan_mem(plan *pl, const void *p, uint64_t len)
{
    piece pc = {p, NULL, 0, len};
    plan_add(pl, pc);
}

static void plan_file(plan *pl, const char *path, uint64_t off, uint64_t len)
{
    piece pc = {NULL, path, off, len};
    plan_add(pl, pc);
}

/* Takes b's memory (b is left empty) and adds it as a piece. */
static void plan_take(plan *pl, vkc_buf *b)
{
    if (b->oom) pl->oom = 1;
    if (pl->oom || !b->len) {
        vkc_buf_free(b);
        return;
    }
    if (pl->nowned == pl->owncap) {
        size_t cap = pl->owncap ? pl->owncap * 2 : 64;
        void **o = realloc(pl->owned, cap * sizeof *o);
        if (!o) {
            pl->oom = 1;
            vkc_buf_free(b);
            return;
        }
        pl->owned = o;
        pl->owncap = cap;
    }
    pl->owned[pl->nowned++] = b->data;
    plan_mem(pl, b->data, b->len);
    memset(b, 0, sizeof *b);
}

static uint64_t plan_size(const plan *pl)
{
    uint64_t s = 0;
    for (size_t i = 0; i < pl->n; i++) s += pl->v[i].len;
    return s;
}

static void plan_append(plan *dst, const plan *src)
{
    for (size_t i = 0; i < src->n; i++) plan_add(dst, src->v[i]);
}

static void plan_free(plan *pl)
{
    for (size_t i = 0; i < pl->nowned; i++) free(pl->owned[i]);
    free(pl->owned);
    free(pl->v);
    memset(pl, 0, sizeof *pl);
}

/* Streams the pieces into s (memory as it is, file spans through a 1 MiB
 * buffer). */
static vkc_status plan_fill(const plan *pl, vkc_atomic_stream *s, const char *path, vkc_msg *msg)
{
    vkc_status st = VKC_OK;
    uint8_t *tmp = NULL;
    const size_t TMP = 1u << 20;
    int fd = -1;
    const char *open_path = NULL;
    for (size_t i = 0; st == VKC_OK && i < pl->n; i++) {
        const piece *pc = &pl->v[i];
        if (pc->p) {
            st = vkc_atomic_append(s, pc->p, (size_t)pc->len, msg);
            continue;
        }
        if (!tmp && !(tmp = malloc(TMP))) {
            st = vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
            break;
        }
        if (open_path != pc->file) {
            if (fd >= 0) close(fd);
            fd = open(pc->file, O_RDONLY | O_CLOEXEC);
            open_path = pc->file;
            if (fd < 0) {
                st = vkc_fail(msg, VKC_ERROR_IO, "%s: %s", pc->file, strerror(errno));
                break;
            }
        }
        for (uint64_t done = 0; st == VKC_OK && done < pc->len;) {
            size_t want = pc->len - done > TMP ? TMP : (size_t)(pc->len - done);
            ssize_t got = pread(fd, tmp, want, (off_t)(pc->off + done));
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) {
                st = vkc_fail(msg, VKC_ERROR_IO, "%s: read at %llu: %s", pc->file,
                              (unsigned long long)(pc->off + done), got < 0 ? strerror(errno) : "file shrank");
                break;
            }
            st = vkc_atomic_append(s, tmp, (size_t)got, msg);
            done += (uint64_t)got;
        }
    }
    if (fd >= 0) close(fd);
    free(tmp);
    return st;
}

/* ---- the model ------------------------------------------------------------------ */

typedef struct emitter {
    vkc_onnx_model *m;
    const onnx_edit *e;
    plan data;                /* the output's external data file */
    uint64_t data_size;
    const char *data_name;    /* its base name, as locations name it */
    vkc_msg *msg;
} emitter;

static const char *why_unused;
static uint64_t at_unused;
#define NEXT(r, f) (vkc_pb_next(&(r), &(f), &why_unused, &at_unused) > 0)

static void span(plan *pl, const vkc_onnx_model *m, uint64_t start, uint64_t end)
{
    plan_mem(pl, m->buf + start, end - start);
}

/* Reserves len bytes of the data file for a tensor; returns its offset. */
static uint64_t data_place(emitter *em, uint64_t len)
{
    static const uint8_t zeros[DATA_ALIGN];
    uint64_t pad = (DATA_ALIGN - em->data_size % DATA_ALIGN) % DATA_ALIGN;
    plan_mem(&em->data, zeros, pad);
    em->data_size += pad;
    uint64_t off = em->data_size;
    em->data_size += len;
    return off;
}

static void put_entry(vkc_buf *b, const char *key, const char *value)
{
    vkc_buf e = {0};
    vkc_pb_put_str(&e, ENTRY_KEY, key);
    vkc_pb_put_str(&e, ENTRY_VALUE, value);
    if (e.oom) b->oom = 1;
    vkc_pb_put_bytes(b, TENSOR_EXTERNAL_DATA, e.data, e.len);
    vkc_buf_free(&e);
}

static void put_location(vkc_buf *b, const char *name, uint64_t off, uint64_t len)
{
    char num[32];
    put_entry(b, "location", name);
    snprintf(num, sizeof num, "%llu", (unsigned long long)off);
    put_entry(b, "offset", num);
    snprintf(num, sizeof num, "%llu", (unsigned long long)len);
    put_entry(b, "length", num);
}

/* An external initializer, its data moved into the output's data file:
 * every field as it was except the location, offset and length entries. */
static void relocate_tensor(emitter *em, plan *g, const onnx_tensor *t)
{
    const vkc_onnx_model *m = em->m;
    uint64_t off = data_place(em, t->ext_length);
    plan_file(&em->data, t->ext_path, t->ext_offset, t->ext_length);
    vkc_buf body = {0};
    vkc_pb_reader r = vkc_pb_reader_at(m->buf, t->msg_off, t->msg_len);
    vkc_pb_field f;
    while (NEXT(r, f)) {
        if (f.num == TENSOR_EXTERNAL_DATA && f.wt == VKC_PB_LEN) {
            vkc_pb_reader er = vkc_pb_reader_at(m->buf, f.val, f.len);
            vkc_pb_field k;
            int ours = 0;
            while (NEXT(er, k))
                if (k.num == ENTRY_KEY && k.wt == VKC_PB_LEN &&
                    ((k.len == 8 && !memcmp(m->buf + k.val, "location", 8)) ||
                     (k.len == 6 && !memcmp(m->buf + k.val, "offset", 6)) ||
                     (k.len == 6 && !memcmp(m->buf + k.val, "length", 6))))
                    ours = 1;
            if (ours) continue;
        }
        vkc_buf_append(&body, m->buf + f.start, (size_t)(f.end - f.start));
    }
    put_location(&body, em->data_name, off, t->ext_length);
    vkc_buf field = {0};
    vkc_pb_put_bytes(&field, GRAPH_INITIALIZER, body.data, body.len);
    if (body.oom) field.oom = 1;
    vkc_buf_free(&body);
    plan_take(g, &field);
}

/* A node with a new input list; everything else as it was. */
static void rewrite_node(emitter *em, plan *g, uint32_t k)
{
    const vkc_onnx_model *m = em->m;
    const onnx_node *n = &m->nodes[k];
    const char *const *in = em->e->node_inputs[k];
    vkc_buf body = {0};
    uint32_t j = 0;
    vkc_pb_reader r = vkc_pb_reader_at(m->buf, n->field_start, n->field_end - n->field_start);
    vkc_pb_field nf;
    if (!NEXT(r, nf)) return;
    r = vkc_pb_reader_at(m->buf, nf.val, nf.len);
    vkc_pb_field f;
    while (NEXT(r, f)) {
        if (f.num == NODE_INPUT && f.wt == VKC_PB_LEN && j < n->ninputs) vkc_pb_put_str(&body, NODE_INPUT, in[j++]);
        else vkc_buf_append(&body, m->buf + f.start, (size_t)(f.end - f.start));
    }
    vkc_buf field = {0};
    vkc_pb_put_bytes(&field, GRAPH_NODE, body.data, body.len);
    if (body.oom) field.oom = 1;
    vkc_buf_free(&body);
    plan_take(g, &field);
}

static void emit_graph(emitter *em, plan *g)
{
    vkc_onnx_model *m = em->m;
    const onnx_edit *e = em->e;
    uint32_t node = 0, init = 0, input = 0;
    vkc_pb_reader r = vkc_pb_reader_at(m->buf, m->graph_off, m->graph_len);
    vkc_pb_field f;
    /* The new buffers are referenced, not taken: the edit owns them. */
    while (NEXT(r, f)) {
        if (f.wt == VKC_PB_LEN && f.num == GRAPH_NODE && node < m->nnodes) {
            if (node == 0) plan_mem(g, e->prologue.data, e->prologue.len);
            if (!e->node_drop[node]) {
                if (e->node_inputs[node]) rewrite_node(em, g, node);
                else span(g, m, f.start, f.end);
            }
            plan_mem(g, e->after[node].data, e->after[node].len);
            node++;
            continue;
        }
        if (f.wt == VKC_PB_LEN && f.num == GRAPH_INITIALIZER && init < m->ninits) {
            const onnx_tensor *t = &m->inits[init];
            if (!e->init_drop[init]) {
                if (t->at == DATA_EXTERNAL) relocate_tensor(em, g, t);
                else span(g, m, f.start, f.end);
            }
            init++;
            continue;
        }
        if (f.wt == VKC_PB_LEN && f.num == GRAPH_INPUT && input < m->ninputs) {
            if (!e->input_drop[input]) span(g, m, f.start, f.end);
            input++;
            continue;
        }
        span(g, m, f.start, f.end);
    }
    if (node == 0) plan_mem(g, e->prologue.data, e->prologue.len);
    plan_mem(g, e->new_inits.data, e->new_inits.len);
    for (uint32_t k = 0; k < e->next; k++) {
        const onnx_new_ext *x = &e->ext[k];
        uint64_t off = data_place(em, x->len);
        plan_mem(&em->data, x->data, x->len);
        vkc_buf body = {0}, field = {0};
        vkc_buf_append(&body, x->head.data, x->head.len);
        put_location(&body, em->data_name, off, x->len);
        vkc_pb_put_uint(&body, TENSOR_DATA_LOCATION, 1);
        vkc_pb_put_bytes(&field, GRAPH_INITIALIZER, body.data, body.len);
        if (body.oom) field.oom = 1;
        vkc_buf_free(&body);
        plan_take(g, &field);
    }
    plan_mem(g, e->new_outputs.data, e->new_outputs.len);
}

static void emit_model(emitter *em, plan *out, plan *g)
{
    vkc_onnx_model *m = em->m;
    const onnx_edit *e = em->e;
    vkc_pb_reader r = vkc_pb_reader_at(m->buf, 0, m->size);
    vkc_pb_field f;
    while (NEXT(r, f)) {
        if (f.num == MODEL_GRAPH && f.start == m->graph_start) {
            vkc_buf h = {0};
            vkc_pb_put_len_header(&h, MODEL_GRAPH, plan_size(g));
            plan_take(out, &h);
            plan_append(out, g);
            continue;
        }
        if (f.num == MODEL_IR_VERSION && f.wt == VKC_PB_VARINT && e->ir_version) {
            vkc_buf h = {0};
            vkc_pb_put_int(&h, MODEL_IR_VERSION, e->ir_version);
            plan_take(out, &h);
            continue;
        }
        if (f.num == MODEL_OPSET_IMPORT && f.wt == VKC_PB_LEN && e->opset) {
            /* The ai.onnx entry gets the new version; others stay. */
            vkc_pb_reader o = vkc_pb_reader_at(m->buf, f.val, f.len);
            vkc_pb_field g2;
            int onnx_domain = 1;
            vkc_buf body = {0};
            while (NEXT(o, g2)) {
                if (g2.num == OPSET_DOMAIN && g2.wt == VKC_PB_LEN)
                    onnx_domain = g2.len == 0 || (g2.len == 7 && !memcmp(m->buf + g2.val, "ai.onnx", 7));
                if (!(g2.num == OPSET_VERSION && g2.wt == VKC_PB_VARINT))
                    vkc_buf_append(&body, m->buf + g2.start, (size_t)(g2.end - g2.start));
            }
            if (onnx_domain) {
                vkc_pb_put_int(&body, OPSET_VERSION, e->opset);
                vkc_buf field = {0};
                vkc_pb_put_bytes(&field, MODEL_OPSET_IMPORT, body.data, body.len);
                if (body.oom) field.oom = 1;
                plan_take(out, &field);
                vkc_buf_free(&body);
                continue;
            }
            vkc_buf_free(&body);
        }
        span(out, m, f.start, f.end);
    }
}

/* The output must not be one of the files it is made from. */
static vkc_status check_not_input(const vkc_onnx_model *m, const char *out, vkc_msg *msg)
{
    struct stat so, si;
    if (stat(out, &so) != 0) return VKC_OK; /* a new file */
    if (stat(m->path, &si) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: is the input model; write the output elsewhere", out);
    for (uint32_t i = 0; i < m->ninits; i++) {
        const onnx_tensor *t = &m->inits[i];
        if (t->at == DATA_EXTERNAL && stat(t->ext_path, &si) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino)
            return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: is external data of the input model %s", out,
                            m->path);
    }
    return VKC_OK;
}

static int same_folder(const vkc_onnx_model *m, const char *out)
{
    const char *slash = strrchr(out, '/');
    char *dir = slash ? strndup(out, slash == out ? 1 : (size_t)(slash - out)) : strdup(".");
    char *real = dir ? realpath(dir, NULL) : NULL;
    int same = real && !strcmp(real, m->dir_real);
    free(real);
    free(dir);
    return same;
}

vkc_status onnx_emit(vkc_onnx_model *m, const onnx_edit *e, const char *out_path, vkc_msg *msg)
{
    vkc_status st = check_not_input(m, out_path, msg);
    if (st != VKC_OK) return st;
    if (m->external_elsewhere && !same_folder(m, out_path))
        return vkc_fail(msg, VKC_ERROR_UNSUPPORTED,
                        "%s: has external data outside the top-level initializers (in a subgraph or attribute), "
                        "which is copied as it is: write the output into the model's folder",
                        m->path);
    size_t dl = strlen(out_path) + 6;
    char *data_path = malloc(dl);
    if (!data_path) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    snprintf(data_path, dl, "%s.data", out_path);
    const char *slash = strrchr(data_path, '/');
    emitter em = {m, e, {0}, 0, slash ? slash + 1 : data_path, msg};
    plan g = {0}, out = {0};
    emit_graph(&em, &g);
    emit_model(&em, &out, &g);
    if (g.oom || out.oom || em.data.oom) st = vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory", out_path);
    if (st == VKC_OK && plan_size(&out) > 0x7fffffffu)
        st = vkc_fail(msg, VKC_ERROR_UNSUPPORTED,
                      "%s: the model would exceed protobuf's 2 GiB limit (%llu bytes); keep large weights as "
                      "external data",
                      out_path, (unsigned long long)plan_size(&out));
    if (st == VKC_OK && em.data_size) st = check_not_input(m, data_path, msg);
    /* Both files are filled before either is renamed into place, the data
     * first: a failure leaves neither, and a model never names a data file
     * that is not there. */
    vkc_atomic_stream *ds = NULL, *ms = NULL;
    if (st == VKC_OK && em.data_size) st = vkc_atomic_begin(data_path, &ds, msg);
    if (st == VKC_OK && ds) st = plan_fill(&em.data, ds, data_path, msg);
    if (st == VKC_OK) st = vkc_atomic_begin(out_path, &ms, msg);
    if (st == VKC_OK) {
        if (onnx_edit_empty(e, m) && !em.data_size) {
            plan whole = {0};
            span(&whole, m, 0, m->size); /* nothing changes: the file as it is */
            st = plan_fill(&whole, ms, out_path, msg);
            plan_free(&whole);
        } else {
            st = plan_fill(&out, ms, out_path, msg);
        }
    }
    if (st == VKC_OK && ds) {
        st = vkc_atomic_commit(ds, msg);
        ds = NULL;
    }
    if (st == VKC_OK) {
        st = vkc_atomic_commit(ms, msg);
        ms = NULL;
    }
    vkc_atomic_abort(ds);
    vkc_atomic_abort(ms);
    plan_free(&g);
    plan_free(&out);
    plan_free(&em.data);
    free(data_path);
    return st;
}

vkc_status vkc_onnx_write(vkc_onnx_model *m, const char *out_path, vkc_msg *msg)
{
    onnx_edit e;
    vkc_status st = onnx_edit_init(&e, m, msg);
    if (st != VKC_OK) return st;
    st = onnx_emit(m, &e, out_path, msg);
    onnx_edit_free(&e, m);
    return st;
}

vkc_status vkc_onnx_write_with_outputs(vkc_onnx_model *m, const char *const *names, uint32_t count,
                                       const char *out_path, vkc_msg *msg)
{
    onnx_edit e;
    vkc_status st = onnx_edit_init(&e, m, msg);
    if (st != VKC_OK) return st;
    onnx_map added = {0};
    for (uint32_t i = 0; st == VKC_OK && i < count; i++) {
        const char *name = names[i];
        uint32_t vi;
        if (!vkc_onnx_has_tensor(m, name)) {
            st = vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: no tensor named '%s'", m->path, name);
            break;
        }
        if (onnx_map_get(&m->output_by_name, name, NULL) || onnx_map_get(&added, name, NULL)) continue;
        if (!onnx_map_put(&added, name, 0)) {
            st = vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
            break;
        }
        vkc_buf v = {0};
        vkc_pb_put_str(&v, VALUE_NAME, name);
        const onnx_value *known = NULL;
        if (onnx_map_get(&m->vi_by_name, name, &vi)) known = &m->value_infos[vi];
        else if (onnx_map_get(&m->input_by_name, name, &vi)) known = &m->inputs[vi];
        if (known && known->type_len) {
            vkc_pb_put_bytes(&v, VALUE_TYPE, m->buf + known->type_off, known->type_len);
        } else {
            /* TypeProto { tensor_type { elem_type: FLOAT } }: shape unknown. */
            static const uint8_t float_tensor[] = {0x0a, 0x02, 0x08, 0x01};
            vkc_pb_put_bytes(&v, VALUE_TYPE, float_tensor, sizeof float_tensor);
        }
        if (v.oom) e.new_outputs.oom = 1;
        vkc_pb_put_bytes(&e.new_outputs, GRAPH_OUTPUT, v.data, v.len);
        vkc_buf_free(&v);
    }
    onnx_map_free(&added);
    if (st == VKC_OK && e.new_outputs.oom) st = vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    if (st == VKC_OK) st = onnx_emit(m, &e, out_path, msg);
    onnx_edit_free(&e, m);
    return st;
}
