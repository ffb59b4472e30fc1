/* A small deterministic JSON emitter on vkc_buf (prefix vkc_jw_: vkc_json_
 * belongs to the parser, json_parse.h).
 *
 * The same calls always give the same bytes: 2-space indentation, one
 * member or element per line, `"key": value`, empty containers as {} and
 * []. No newline follows the top-level value: a file writer adds one, an
 * embedding caller may not want it. Numbers:
 *   - integers exactly (uint64 / int64);
 *   - doubles in the shortest "%.Ng" form that strtod reads back to the
 *     same bits (so 1.0 is "1", 0.1 is "0.1", -0.0 is "-0", 1e-7 is
 *     "1e-07"), except that integral values below 1e17 are written in full
 *     (100, not "1e+02"); '.' whatever the C locale's decimal point;
 *   - NaN and infinities as null (JSON has no spelling for them).
 * Strings: '"' and '\\' escaped, control characters (< 0x20) as \u00XX,
 * valid UTF-8 passed through, each byte of an invalid sequence (stray
 * continuation, overlong form, surrogate, above U+10FFFF, truncated) as
 * \ufffd.
 *
 * Misuse (a value without a key in an object, a key in an array, unbalanced
 * ends, a second top-level value, nesting deeper than VKC_JW_MAX_DEPTH) is
 * latched and reported by vkc_jw_check (vkc_jw_finish for a writer made by
 * vkc_jw_create), like the buffer's oom. */
#ifndef VKC_JSON_WRITE_H
#define VKC_JSON_WRITE_H

#include "base/common.h"
#include "base/strbuf.h"

#include <stddef.h>
#include <stdint.h>

#define VKC_JW_MAX_DEPTH 32

/* Library code writes into its own vkc_buf (vkc_jw_init); the public
 * vkc_jw_create makes a writer that owns `own`. */
struct vkc_jw {
    vkc_buf *out;
    vkc_buf own;
    int depth;                     /* open containers */
    char kind[VKC_JW_MAX_DEPTH];   /* '{' or '[' per level */
    int count[VKC_JW_MAX_DEPTH];   /* members written per level */
    int have_key;                  /* a key waits for its value */
    int done;                      /* the top-level value is complete */
    int misuse;
};

void vkc_jw_init(vkc_jw *j, vkc_buf *out);
void vkc_jw_begin_object(vkc_jw *j);
void vkc_jw_end_object(vkc_jw *j);
void vkc_jw_begin_array(vkc_jw *j);
void vkc_jw_end_array(vkc_jw *j);
void vkc_jw_key(vkc_jw *j, const char *key);
void vkc_jw_string(vkc_jw *j, const char *s); /* NULL writes null */
void vkc_jw_string_n(vkc_jw *j, const char *s, size_t n);
void vkc_jw_uint(vkc_jw *j, uint64_t v);
void vkc_jw_int(vkc_jw *j, int64_t v);
void vkc_jw_double(vkc_jw *j, double v);
void vkc_jw_bool(vkc_jw *j, int v);
void vkc_jw_null(vkc_jw *j);

/* key + value in one call, for the common object member (a NULL string
 * writes null). */
void vkc_jw_kv_string(vkc_jw *j, const char *key, const char *s);
void vkc_jw_kv_uint(vkc_jw *j, const char *key, uint64_t v);
void vkc_jw_kv_int(vkc_jw *j, const char *key, int64_t v);
void vkc_jw_kv_double(vkc_jw *j, const char *key, double v);
void vkc_jw_kv_bool(vkc_jw *j, const char *key, int v);

/* Checks that exactly one complete top-level value was written, and that
 * neither misuse (VKC_ERROR_INVALID_ARGUMENT) nor out-of-memory
 * (VKC_ERROR_OUT_OF_MEMORY) happened. */
vkc_status vkc_jw_check(vkc_jw *j, vkc_msg *msg);

/* Writes the shortest round-trip form of a finite double into out (at
 * least 32 bytes) and returns its length; "null" for NaN and infinities.
 * Exposed for the CSV writer and for tests. */
size_t vkc_jw_format_double(double v, char *out, size_t size);

/* Appends s (n bytes) as a quoted, escaped JSON string. */
void vkc_jw_append_string(vkc_buf *b, const char *s, size_t n);

#endif
