/* Protocol Buffers wire format (https://protobuf.dev/programming-guides/encoding/):
 * a bounded field reader, an iterative whole-tree validator driven by a
 * schema table, and the few encoders a writer needs.
 *
 * Offsets and lengths are 64-bit everywhere: a protobuf message itself is
 * limited to 2 GiB by the format, but the same code reads spans inside files
 * of any size, and never trusts a length before checking it against the end
 * of its parent (no pointer arithmetic on unchecked values).
 *
 * Groups (wire types 3 and 4, deprecated since proto2, never used by ONNX)
 * are rejected, as are field number 0 and varints longer than 10 bytes. */
#ifndef VKC_ONNX_PB_H
#define VKC_ONNX_PB_H

#include "base/common.h"
#include "base/strbuf.h"

#include <stddef.h>
#include <stdint.h>

enum { VKC_PB_VARINT = 0, VKC_PB_I64 = 1, VKC_PB_LEN = 2, VKC_PB_I32 = 5 };

/* One field as it lies in the buffer. */
typedef struct vkc_pb_field {
    uint32_t num;
    uint32_t wt;     /* wire type */
    uint64_t start;  /* offset of the tag */
    uint64_t end;    /* offset just past the field */
    uint64_t val;    /* VARINT / I64 / I32: the value; LEN: offset of the payload */
    uint64_t len;    /* LEN: payload length; else 0 */
} vkc_pb_field;

/* Reads the fields of one message, buf[pos, end). */
typedef struct vkc_pb_reader {
    const uint8_t *buf;
    uint64_t pos, end;
} vkc_pb_reader;

static inline vkc_pb_reader vkc_pb_reader_at(const uint8_t *buf, uint64_t off, uint64_t len)
{
    vkc_pb_reader r = {buf, off, off + len};
    return r;
}

/* 1 and *f set: a field; 0: the end of the message; -1: malformed, with
 * *why (a static string) and *at (the offset of the offending byte). */
int vkc_pb_next(vkc_pb_reader *r, vkc_pb_field *f, const char **why, uint64_t *at);

/* Decodes a varint at buf[*pos, end); 0 when truncated or over 10 bytes. */
int vkc_pb_varint(const uint8_t *buf, uint64_t *pos, uint64_t end, uint64_t *out);

/* ---- validation ---------------------------------------------------------- */

/* The schema: for message type `msg`, which field numbers hold submessages
 * of which type. Fields not listed are checked for their wire format only
 * (and copied through untouched by the writers). The table ends with a row
 * whose msg is 0; message types are small positive integers. */
typedef struct vkc_pb_child {
    uint16_t msg;
    uint16_t field;
    uint16_t child;
} vkc_pb_child;

typedef struct vkc_pb_limits {
    uint32_t max_depth;       /* nested messages, the root being depth 1 */
    uint64_t max_fields;      /* fields in the whole tree */
} vkc_pb_limits;

/* Walks the tree below buf[0, len) as message type root, without recursion
 * (an explicit stack of max_depth entries), checking that every field is
 * well formed and lies inside its parent (so no two fields overlap), that
 * submessages are length-delimited, and the limits. VKC_ERROR_FORMAT with
 * "byte N: reason" in msg, or VKC_ERROR_OUT_OF_MEMORY. */
typedef void (*vkc_pb_visit)(void *user, uint16_t type, const vkc_pb_field *f);
/* visit (may be NULL) sees every field with the type of its message. */
vkc_status vkc_pb_validate(const uint8_t *buf, uint64_t len, uint16_t root, const vkc_pb_child *schema,
                           const vkc_pb_limits *lim, vkc_pb_visit visit, void *user, vkc_msg *msg);

/* ---- encoding ------------------------------------------------------------ */

uint32_t vkc_pb_varint_size(uint64_t v);
/* Appends to b (which latches oom, strbuf.h). */
void vkc_pb_put_varint(vkc_buf *b, uint64_t v);
void vkc_pb_put_tag(vkc_buf *b, uint32_t num, uint32_t wt);
void vkc_pb_put_uint(vkc_buf *b, uint32_t num, uint64_t v);  /* VARINT field */
void vkc_pb_put_int(vkc_buf *b, uint32_t num, int64_t v);    /* int32/int64: two's complement */
void vkc_pb_put_bytes(vkc_buf *b, uint32_t num, const void *p, uint64_t len);
void vkc_pb_put_str(vkc_buf *b, uint32_t num, const char *s);
void vkc_pb_put_float(vkc_buf *b, uint32_t num, float f);    /* I32 field */
/* A LEN field's tag and length only; the payload follows separately. */
void vkc_pb_put_len_header(vkc_buf *b, uint32_t num, uint64_t len);
/* Size of a LEN field (tag + length + payload). */
uint64_t vkc_pb_len_field_size(uint32_t num, uint64_t len);

#endif
