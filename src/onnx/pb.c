#include "onnx/pb.h"

#include <stdlib.h>
#include <string.h>

int vkc_pb_varint(const uint8_t *buf, uint64_t *pos, uint64_t end, uint64_t *out)
{
    uint64_t v = 0, p = *pos;
    for (unsigned i = 0; i < 10; i++) {
        if (p >= end) return 0;
        uint8_t c = buf[p++];
        /* The tenth byte may only carry the top bit of a 64-bit value. */
        if (i == 9 && c > 1) return 0;
        v |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            *pos = p;
            *out = v;
            return 1;
        }
    }
    return 0;
}

int vkc_pb_next(vkc_pb_reader *r, vkc_pb_field *f, const char **why, uint64_t *at)
{
    if (r->pos >= r->end) return 0;
    uint64_t p = r->pos, tag;
    *at = p;
    if (!vkc_pb_varint(r->buf, &p, r->end, &tag)) {
        *why = "truncated or overlong field tag";
        return -1;
    }
    if (tag >> 3 == 0 || tag >> 3 > 0x1fffffff) {
        *why = "field number 0 or out of range";
        return -1;
    }
    f->num = (uint32_t)(tag >> 3);
    f->wt = (uint32_t)(tag & 7);
    f->start = r->pos;
    f->len = 0;
    switch (f->wt) {
    case VKC_PB_VARINT:
        if (!vkc_pb_varint(r->buf, &p, r->end, &f->val)) {
            *why = "truncated or overlong varint";
            return -1;
        }
        break;
    case VKC_PB_I64:
        if (r->end - p < 8) {
            *why = "truncated fixed64 field";
            return -1;
        }
        f->val = vkc_ld64(r->buf + p);
        p += 8;
        break;
    case VKC_PB_I32:
        if (r->end - p < 4) {
            *why = "truncated fixed32 field";
            return -1;
        }
        f->val = vkc_ld32(r->buf + p);
        p += 4;
        break;
    case VKC_PB_LEN: {
        uint64_t n;
        if (!vkc_pb_varint(r->buf, &p, r->end, &n)) {
            *why = "truncated length";
            return -1;
        }
        /* Checked against what is left of the parent, so a field never
         * reaches into its successor or past its parent's end. */
        if (n > r->end - p) {
            *why = "length runs past the end of the enclosing message";
            return -1;
        }
        f->val = p;
        f->len = n;
        p += n;
        break;
    }
    default:
        *why = f->wt == 3 || f->wt == 4 ? "group fields are not supported" : "invalid wire type";
        return -1;
    }
    f->end = p;
    r->pos = p;
    return 1;
}

static uint16_t child_type(const vkc_pb_child *schema, uint16_t msg, uint32_t field)
{
    for (const vkc_pb_child *c = schema; c->msg; c++)
        if (c->msg == msg && c->field == field) return c->child;
    return 0;
}

vkc_status vkc_pb_validate(const uint8_t *buf, uint64_t len, uint16_t root, const vkc_pb_child *schema,
                           const vkc_pb_limits *lim, vkc_pb_visit visit, void *user, vkc_msg *msg)
{
    if (lim->max_depth == 0) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "protobuf: max_depth 0");
    typedef struct frame {
        vkc_pb_reader r;
        uint16_t type;
    } frame;
    frame *stack = malloc(lim->max_depth * sizeof *stack);
    if (!stack) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    uint32_t depth = 1;
    uint64_t fields = 0;
    stack[0].r = vkc_pb_reader_at(buf, 0, len);
    stack[0].type = root;
    vkc_status st = VKC_OK;
    while (depth > 0) {
        frame *top = &stack[depth - 1];
        vkc_pb_field f;
        const char *why = NULL;
        uint64_t at = 0;
        int r = vkc_pb_next(&top->r, &f, &why, &at);
        if (r == 0) {
            depth--;
            continue;
        }
        if (r < 0) {
            st = vkc_fail(msg, VKC_ERROR_FORMAT, "byte %llu: %s", (unsigned long long)at, why);
            break;
        }
        if (++fields > lim->max_fields) {
            st = vkc_fail(msg, VKC_ERROR_FORMAT, "byte %llu: more than %llu fields", (unsigned long long)at,
                          (unsigned long long)lim->max_fields);
            break;
        }
        if (visit) visit(user, top->type, &f);
        uint16_t child = child_type(schema, top->type, f.num);
        if (!child) continue;
        if (f.wt != VKC_PB_LEN) {
            st = vkc_fail(msg, VKC_ERROR_FORMAT, "byte %llu: field %u should be a message (wire type %u)",
                          (unsigned long long)at, f.num, f.wt);
            break;
        }
        if (depth >= lim->max_depth) {
            st = vkc_fail(msg, VKC_ERROR_FORMAT, "byte %llu: messages nested deeper than %u",
                          (unsigned long long)at, lim->max_depth);
            break;
        }
        stack[depth].r = vkc_pb_reader_at(buf, f.val, f.len);
        stack[depth].type = child;
        depth++;
    }
    free(stack);
    return st;
}

uint32_t vkc_pb_varint_size(uint64_t v)
{
    uint32_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

void vkc_pb_put_varint(vkc_buf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    vkc_buf_append(b, tmp, n);
}

void vkc_pb_put_tag(vkc_buf *b, uint32_t num, uint32_t wt)
{
    vkc_pb_put_varint(b, (uint64_t)num << 3 | wt);
}

void vkc_pb_put_uint(vkc_buf *b, uint32_t num, uint64_t v)
{
    vkc_pb_put_tag(b, num, VKC_PB_VARINT);
    vkc_pb_put_varint(b, v);
}

void vkc_pb_put_int(vkc_buf *b, uint32_t num, int64_t v)
{
    vkc_pb_put_uint(b, num, (uint64_t)v);
}

void vkc_pb_put_len_header(vkc_buf *b, uint32_t num, uint64_t len)
{
    vkc_pb_put_tag(b, num, VKC_PB_LEN);
    vkc_pb_put_varint(b, len);
}

void vkc_pb_put_bytes(vkc_buf *b, uint32_t num, const void *p, uint64_t len)
{
    vkc_pb_put_len_header(b, num, len);
    if (len > SIZE_MAX) {
        b->oom = 1;
        return;
    }
    vkc_buf_append(b, p, (size_t)len);
}

void vkc_pb_put_str(vkc_buf *b, uint32_t num, const char *s)
{
    vkc_pb_put_bytes(b, num, s, strlen(s));
}

void vkc_pb_put_float(vkc_buf *b, uint32_t num, float f)
{
    uint32_t u = vkc_f32_bits(f);
    uint8_t le[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
    vkc_pb_put_tag(b, num, VKC_PB_I32);
    vkc_buf_append(b, le, 4);
}

uint64_t vkc_pb_len_field_size(uint32_t num, uint64_t len)
{
    return vkc_pb_varint_size((uint64_t)num << 3) + vkc_pb_varint_size(len) + len;
}
