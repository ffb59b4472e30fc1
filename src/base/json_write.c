#include "base/json_write.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- numbers ----------------------------------------------------------- */

static int vkc_same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* printf and strtod follow LC_NUMERIC; JSON wants '.'. Replace whatever the
 * locale put between digits (possibly several bytes) by one '.'. */
static size_t vkc_dot_decimal(char *s)
{
    size_t o = 0;
    int in_sep = 0;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        int num = (c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e' || c == 'E';
        if (num) {
            s[o++] = c;
            in_sep = 0;
        } else if (!in_sep) {
            s[o++] = '.';
            in_sep = 1;
        }
    }
    s[o] = 0;
    return o;
}

/* %g writes 100 as "1e+02" when one digit suffices. Readers expect "100":
 * below 1e17, where every such value prints exactly, use the fixed form
 * with as many digits as the exponent needs, if it reads back the same. */
static void vkc_plain_integer(double v, char *tmp, size_t size)
{
    const char *e = strchr(tmp, 'e');
    if (!e) return;
    int x = atoi(e + 1);
    if (x < 0 || x >= 17) return;
    char alt[40];
    snprintf(alt, sizeof alt, "%.*g", x + 1, v);
    if (strchr(alt, 'e') || !vkc_same_bits(strtod(alt, NULL), v)) return;
    snprintf(tmp, size, "%s", alt);
}

size_t vkc_jw_format_double(double v, char *out, size_t size)
{
    char tmp[40];
    if (isnan(v) || isinf(v)) {
        snprintf(tmp, sizeof tmp, "null");
    } else {
        /* %.17g always round-trips; the first shorter precision that does
         * is the shortest %g form, so the output is canonical. */
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(tmp, sizeof tmp, "%.*g", prec, v);
            if (prec == 17 || vkc_same_bits(strtod(tmp, NULL), v)) break;
        }
        vkc_plain_integer(v, tmp, sizeof tmp);
        vkc_dot_decimal(tmp);
    }
    size_t n = strlen(tmp);
    if (size) {
        size_t c = n < size - 1 ? n : size - 1;
        memcpy(out, tmp, c);
        out[c] = 0;
    }
    return n;
}

/* ---- strings ----------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes available), or 0 when
 * the first byte does not start one. Follows RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF. */
static size_t vkc_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0) lo = 0xa0;      /* overlong */
        else if (c == 0xed) hi = 0x9f; /* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0) lo = 0x90;      /* overlong */
        else if (c == 0xf4) hi = 0x8f; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf) return 0;
    return len;
}

void vkc_jw_append_string(vkc_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0; /* bytes [i - run, i) wait to be copied verbatim */
    vkc_buf_putc(b, '"');
    while (i < n) {
        unsigned char c = p[i];
        size_t ulen = c >= 0x20 && c != '"' && c != '\\' ? vkc_utf8_len(p + i, n - i) : 0;
        if (ulen) {
            i += ulen;
            run += ulen;
            continue;
        }
        vkc_buf_append(b, p + i - run, run);
        run = 0;
        if (c == '"') vkc_buf_append(b, "\\\"", 2);
        else if (c == '\\') vkc_buf_append(b, "\\\\", 2);
        else if (c < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            vkc_buf_append(b, e, 6);
        } else {
            /* A byte that is not UTF-8: \udcXX (U+DC80..U+DCFF, a lone low
             * surrogate, as Python's surrogateescape), which our reader
             * turns back into the byte: names round-trip and never collide. */
            char e[6] = {'\\', 'u', 'd', 'c', hex[c >> 4], hex[c & 15]};
            vkc_buf_append(b, e, 6);
        }
        i++;
    }
    vkc_buf_append(b, p + i - run, run);
    vkc_buf_putc(b, '"');
}

/* ---- structure --------------------------------------------------------- */

void vkc_jw_init(vkc_jw *j, vkc_buf *out)
{
    memset(j, 0, sizeof *j);
    j->out = out;
}

static void vkc_indent(vkc_jw *j, int depth)
{
    vkc_buf_putc(j->out, '\n');
    for (int i = 0; i < depth; i++) vkc_buf_append(j->out, "  ", 2);
}

/* Placement of a value: after its key in an object, on its own line in an
 * array, alone at the top level. Returns 0 (and latches misuse) when a
 * value is not allowed here. */
static int vkc_value_begin(vkc_jw *j)
{
    if (j->misuse) return 0;
    if (j->depth == 0) {
        if (j->done) j->misuse = 1;
        return !j->misuse;
    }
    int top = j->depth - 1;
    if (j->kind[top] == '{') {
        if (!j->have_key) j->misuse = 1;
        j->have_key = 0;
        return !j->misuse;
    }
    if (j->count[top]++) vkc_buf_putc(j->out, ',');
    vkc_indent(j, j->depth);
    return 1;
}

static void vkc_value_end(vkc_jw *j)
{
    if (j->depth == 0) j->done = 1;
}

static void vkc_open(vkc_jw *j, char kind)
{
    if (!vkc_value_begin(j)) return;
    if (j->depth == VKC_JW_MAX_DEPTH) {
        j->misuse = 1;
        return;
    }
    vkc_buf_putc(j->out, kind);
    j->kind[j->depth] = kind;
    j->count[j->depth] = 0;
    j->depth++;
}

static void vkc_close(vkc_jw *j, char kind)
{
    if (j->misuse) return;
    if (j->depth == 0 || j->kind[j->depth - 1] != kind || j->have_key) {
        j->misuse = 1;
        return;
    }
    j->depth--;
    if (j->count[j->depth]) vkc_indent(j, j->depth);
    vkc_buf_putc(j->out, kind == '{' ? '}' : ']');
    vkc_value_end(j);
}

void vkc_jw_begin_object(vkc_jw *j) { vkc_open(j, '{'); }
void vkc_jw_end_object(vkc_jw *j) { vkc_close(j, '{'); }
void vkc_jw_begin_array(vkc_jw *j) { vkc_open(j, '['); }
void vkc_jw_end_array(vkc_jw *j) { vkc_close(j, '['); }

void vkc_jw_key(vkc_jw *j, const char *key)
{
    if (j->misuse) return;
    if (j->depth == 0 || j->kind[j->depth - 1] != '{' || j->have_key || !key) {
        j->misuse = 1;
        return;
    }
    if (j->count[j->depth - 1]++) vkc_buf_putc(j->out, ',');
    vkc_indent(j, j->depth);
    vkc_jw_append_string(j->out, key, strlen(key));
    vkc_buf_append(j->out, ": ", 2);
    j->have_key = 1;
}

/* A scalar already formatted as text. */
static void vkc_scalar(vkc_jw *j, const char *text, size_t n)
{
    if (!vkc_value_begin(j)) return;
    vkc_buf_append(j->out, text, n);
    vkc_value_end(j);
}

void vkc_jw_string_n(vkc_jw *j, const char *s, size_t n)
{
    if (!vkc_value_begin(j)) return;
    vkc_jw_append_string(j->out, s, n);
    vkc_value_end(j);
}

void vkc_jw_string(vkc_jw *j, const char *s)
{
    if (!s) vkc_jw_null(j);
    else vkc_jw_string_n(j, s, strlen(s));
}

void vkc_jw_uint(vkc_jw *j, uint64_t v)
{
    char t[24];
    int n = snprintf(t, sizeof t, "%" PRIu64, v);
    vkc_scalar(j, t, (size_t)n);
}

void vkc_jw_int(vkc_jw *j, int64_t v)
{
    char t[24];
    int n = snprintf(t, sizeof t, "%" PRId64, v);
    vkc_scalar(j, t, (size_t)n);
}

void vkc_jw_double(vkc_jw *j, double v)
{
    char t[40];
    size_t n = vkc_jw_format_double(v, t, sizeof t);
    vkc_scalar(j, t, n);
}

void vkc_jw_bool(vkc_jw *j, int v)
{
    if (v) vkc_scalar(j, "true", 4);
    else vkc_scalar(j, "false", 5);
}

void vkc_jw_null(vkc_jw *j) { vkc_scalar(j, "null", 4); }

void vkc_jw_kv_string(vkc_jw *j, const char *key, const char *s)
{
    vkc_jw_key(j, key);
    vkc_jw_string(j, s);
}

void vkc_jw_kv_uint(vkc_jw *j, const char *key, uint64_t v)
{
    vkc_jw_key(j, key);
    vkc_jw_uint(j, v);
}

void vkc_jw_kv_int(vkc_jw *j, const char *key, int64_t v)
{
    vkc_jw_key(j, key);
    vkc_jw_int(j, v);
}

void vkc_jw_kv_double(vkc_jw *j, const char *key, double v)
{
    vkc_jw_key(j, key);
    vkc_jw_double(j, v);
}

void vkc_jw_kv_bool(vkc_jw *j, const char *key, int v)
{
    vkc_jw_key(j, key);
    vkc_jw_bool(j, v);
}

vkc_status vkc_jw_check(vkc_jw *j, vkc_msg *msg)
{
    if (j->misuse)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT,
                        "JSON writer: calls out of order (a value without a key, unbalanced "
                        "ends, or nesting deeper than %d)",
                        VKC_JW_MAX_DEPTH);
    if (j->out->oom) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "JSON writer: out of memory");
    if (!j->done || j->depth)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "JSON writer: the document is incomplete");
    return VKC_OK;
}

vkc_jw *vkc_jw_create(void)
{
    vkc_jw *j = calloc(1, sizeof *j);
    if (j) vkc_jw_init(j, &j->own);
    return j;
}

void vkc_jw_destroy(vkc_jw *j)
{
    if (!j) return;
    vkc_buf_free(&j->own);
    free(j);
}

vkc_status vkc_jw_finish(vkc_jw *j, const char **text, size_t *len, vkc_msg *msg)
{
    if (!j) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "JSON writer: NULL");
    vkc_status s = vkc_jw_check(j, msg);
    if (s != VKC_OK) return s;
    if (text) *text = j->out->data ? j->out->data : "";
    if (len) *len = j->out->len;
    return VKC_OK;
}
