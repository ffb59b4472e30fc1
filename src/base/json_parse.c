/* Recursive-descent JSON parser. Every read goes through the parser's length
 * (the buffer need not be NUL-terminated), recursion is bounded by the depth
 * limit, and a failing parse frees what it had built, so hostile input costs
 * at most memory proportional to its size. The grammar, the UTF-8 checks
 * and the accessors are one module of about 630 lines: a parser is easier
 * to audit whole. */
#include "base/json_parse.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hard ceiling of the caller-chosen depth: keeps the recursion (three small
 * frames per level) far from any stack limit. */
#define VKC_JSON_DEPTH_CEILING 1024u

typedef struct vkc_json_key {
    char *s;
    size_t len;
} vkc_json_key;

struct vkc_json {
    vkc_json_type type;
    uint8_t boolean;
    uint8_t has_u64;
    uint64_t u64;
    double num;
    char *str;          /* string bytes, NUL-terminated */
    size_t len;         /* string bytes, or elements / members */
    vkc_json *items;    /* array elements or member values, inline */
    vkc_json_key *keys; /* member keys, parallel to items */
};

typedef struct vkc_json_parser {
    const unsigned char *s;
    size_t len, pos;
    unsigned max_depth;
    vkc_msg *msg;
    vkc_status status;
    locale_t c_locale; /* made on the first number that needs strtod */
} vkc_json_parser;

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */

/* Records the first error with the line and column of byte `at`; returns 0
 * so that parse functions can `return vkc_json_err(...)`. */
static int vkc_json_err(vkc_json_parser *p, size_t at, vkc_status s, const char *what)
{
    if (p->status != VKC_OK) return 0;
    size_t line = 1, line_start = 0;
    if (at > p->len) at = p->len;
    for (size_t k = 0; k < at; k++) {
        if (p->s[k] == '\n') {
            line++;
            line_start = k + 1;
        }
    }
    p->status = s;
    vkc_fail(p->msg, s, "JSON line %zu, column %zu: %s", line, at - line_start + 1, what);
    return 0;
}

static int vkc_json_oom(vkc_json_parser *p)
{
    return vkc_json_err(p, p->pos, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
}

/* Names the unexpected byte, printable or not, in the error. */
static int vkc_json_err_byte(vkc_json_parser *p, const char *expected)
{
    char what[96];
    if (p->pos >= p->len) {
        snprintf(what, sizeof what, "unexpected end of input, expected %s", expected);
    } else {
        unsigned c = p->s[p->pos];
        if (c >= 0x20 && c < 0x7f)
            snprintf(what, sizeof what, "unexpected '%c', expected %s", (char)c, expected);
        else
            snprintf(what, sizeof what, "unexpected byte 0x%02x, expected %s", c, expected);
    }
    return vkc_json_err(p, p->pos, VKC_ERROR_FORMAT, what);
}

/* ------------------------------------------------------------------------ */
/* Tree                                                                     */

/* Frees what v owns (not v itself). Recursion depth is the tree's depth,
 * which the parser bounded. */
static void vkc_json_clear(vkc_json *v)
{
    if (v->type == VKC_JSON_ARRAY || v->type == VKC_JSON_OBJECT) {
        for (size_t i = 0; i < v->len; i++) {
            vkc_json_clear(&v->items[i]);
            if (v->keys) free(v->keys[i].s);
        }
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    memset(v, 0, sizeof *v);
}

/* Makes room for one more element (and key, for objects). Both arrays share
 * *cap; a pointer that was reallocated is stored at once so that a later
 * failure still frees it. */
static int vkc_json_reserve(vkc_json_parser *p, vkc_json *v, size_t *cap, int with_keys)
{
    if (v->len < *cap) return 1;
    size_t n = *cap ? *cap * 2 : 4;
    if (n < *cap || n > SIZE_MAX / sizeof(vkc_json)) return vkc_json_oom(p);
    vkc_json *items = realloc(v->items, n * sizeof *items);
    if (!items) return vkc_json_oom(p);
    v->items = items;
    if (with_keys) {
        vkc_json_key *keys = realloc(v->keys, n * sizeof *keys);
        if (!keys) return vkc_json_oom(p);
        v->keys = keys;
    }
    *cap = n;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Lexing                                                                   */

static void vkc_json_skip_ws(vkc_json_parser *p)
{
    while (p->pos < p->len) {
        unsigned char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static int vkc_json_is_digit(const vkc_json_parser *p, size_t at)
{
    return at < p->len && p->s[at] >= '0' && p->s[at] <= '9';
}

static int vkc_json_hex4(const unsigned char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned c = s[k];
        uint32_t d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return 0;
        v = v * 16 + d;
    }
    *out = v;
    return 1;
}

static size_t vkc_json_put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Length of the well-formed UTF-8 sequence at s[0..avail), 0 when it is not
 * one (Unicode Table 3-7: no overlongs, no surrogates, nothing past
 * U+10FFFF). */
static size_t vkc_json_utf8_len(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xbf; /* range of the second byte */
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) n = 2;
    else if (c >= 0xe0 && c <= 0xef) n = 3;
    else if (c >= 0xf0 && c <= 0xf4) n = 4;
    else return 0;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
    if (avail < n) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t k = 2; k < n; k++)
        if (s[k] < 0x80 || s[k] > 0xbf) return 0;
    return n;
}

/* Decodes the \u escape(s) at s[k] (s[k] == '\\', s[k+1] == 'u') inside a
 * string that ends at `end`; a high surrogate must be followed by a \u low
 * surrogate. Returns the bytes consumed, 0 on error. */
static size_t vkc_json_unicode_escape(vkc_json_parser *p, size_t k, size_t end, uint32_t *cp)
{
    const unsigned char *s = p->s;
    uint32_t u, lo;
    if (end - k < 6 || !vkc_json_hex4(s + k + 2, &u))
        return (size_t)vkc_json_err(p, k, VKC_ERROR_FORMAT, "\\u needs four hex digits");
    if (u >= 0xdc80 && u <= 0xdcff) {
        /* \udc80..\udcff alone: the byte 0x80..0xff that is not UTF-8 (the
         * writer's escape, Python's surrogateescape). */
        *cp = 0x110000u + (u - 0xdc00);
        return 6;
    }
    if (u >= 0xdc00 && u <= 0xdfff)
        return (size_t)vkc_json_err(p, k, VKC_ERROR_FORMAT, "lone low surrogate in \\u escape");
    if (u < 0xd800 || u > 0xdbff) {
        *cp = u;
        return 6;
    }
    if (end - k < 12 || s[k + 6] != '\\' || s[k + 7] != 'u' || !vkc_json_hex4(s + k + 8, &lo) ||
        lo < 0xdc00 || lo > 0xdfff)
        return (size_t)vkc_json_err(p, k, VKC_ERROR_FORMAT,
                                    "high surrogate not followed by a \\u low surrogate");
    *cp = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
    return 12;
}

/* Decodes the body s[k..end) of a string whose quotes were found already.
 * out has room for end - k + 1 bytes: no escape decodes to more bytes than
 * it occupies. */
static int vkc_json_decode(vkc_json_parser *p, size_t k, size_t end, char *out, size_t *out_len)
{
    const unsigned char *s = p->s;
    size_t o = 0;
    while (k < end) {
        unsigned c = s[k];
        if (c < 0x20) return vkc_json_err(p, k, VKC_ERROR_FORMAT, "control character in string");
        if (c >= 0x80) {
            size_t n = vkc_json_utf8_len(s + k, end - k);
            if (!n) return vkc_json_err(p, k, VKC_ERROR_FORMAT, "invalid UTF-8 in string");
            memcpy(out + o, s + k, n);
            o += n;
            k += n;
            continue;
        }
        if (c != '\\') {
            out[o++] = (char)c;
            k++;
            continue;
        }
        /* The closing-quote scan paired every backslash with the next byte,
         * so k + 1 < end here. */
        char e = (char)s[k + 1];
        char simple = 0;
        switch (e) {
        case '"': simple = '"'; break;
        case '\\': simple = '\\'; break;
        case '/': simple = '/'; break;
        case 'b': simple = '\b'; break;
        case 'f': simple = '\f'; break;
        case 'n': simple = '\n'; break;
        case 'r': simple = '\r'; break;
        case 't': simple = '\t'; break;
        case 'u': break;
        default: return vkc_json_err(p, k, VKC_ERROR_FORMAT, "invalid escape in string");
        }
        if (simple) {
            out[o++] = simple;
            k += 2;
            continue;
        }
        uint32_t cp;
        size_t used = vkc_json_unicode_escape(p, k, end, &cp);
        if (!used) return 0;
        if (cp > 0x10ffffu) out[o++] = (char)(cp - 0x110000u); /* an escaped raw byte */
        else o += vkc_json_put_utf8(out + o, cp);
        k += used;
    }
    out[o] = 0;
    *out_len = o;
    return 1;
}

/* Parses the string starting at the opening quote at p->pos. */
static int vkc_json_string_token(vkc_json_parser *p, char **out, size_t *out_len)
{
    size_t open = p->pos;
    size_t start = open + 1, end = start;
    for (;;) {
        if (end >= p->len) return vkc_json_err(p, open, VKC_ERROR_FORMAT, "unterminated string");
        if (p->s[end] == '"') break;
        end += p->s[end] == '\\' ? 2 : 1;
    }
    char *buf = malloc(end - start + 1);
    if (!buf) return vkc_json_oom(p);
    if (!vkc_json_decode(p, start, end, buf, out_len)) {
        free(buf);
        return 0;
    }
    *out = buf;
    p->pos = end + 1;
    return 1;
}

/* strtod in the C locale whatever the application set, on a NUL-terminated
 * copy of a token the JSON grammar already accepted. */
static int vkc_json_strtod(vkc_json_parser *p, const char *tok, size_t tok_len, size_t at,
                           double *out)
{
    if (!p->c_locale) {
        p->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
        if (!p->c_locale) return vkc_json_oom(p);
    }
    locale_t old = uselocale(p->c_locale);
    char *end = NULL;
    double d = strtod(tok, &end);
    uselocale(old);
    if (end != tok + tok_len) return vkc_json_err(p, at, VKC_ERROR_FORMAT, "unreadable number");
    if (isinf(d)) return vkc_json_err(p, at, VKC_ERROR_FORMAT, "number out of range");
    *out = d;
    return 1;
}

/* Exact value of a digits-only token; 0 when it exceeds uint64. */
static int vkc_json_digits_u64(const unsigned char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t d = (uint64_t)(s[k] - '0');
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int vkc_json_number_token(vkc_json_parser *p, vkc_json *v)
{
    size_t start = p->pos, k = start;
    int integer = 1;
    if (k < p->len && p->s[k] == '-') k++;
    if (!vkc_json_is_digit(p, k)) return vkc_json_err(p, k, VKC_ERROR_FORMAT, "invalid number");
    if (p->s[k] == '0') k++;
    else while (vkc_json_is_digit(p, k)) k++;
    if (k < p->len && p->s[k] == '.') {
        k++;
        if (!vkc_json_is_digit(p, k))
            return vkc_json_err(p, k, VKC_ERROR_FORMAT, "digit expected after '.'");
        while (vkc_json_is_digit(p, k)) k++;
        integer = 0;
    }
    if (k < p->len && (p->s[k] == 'e' || p->s[k] == 'E')) {
        k++;
        if (k < p->len && (p->s[k] == '+' || p->s[k] == '-')) k++;
        if (!vkc_json_is_digit(p, k))
            return vkc_json_err(p, k, VKC_ERROR_FORMAT, "digit expected in exponent");
        while (vkc_json_is_digit(p, k)) k++;
        integer = 0;
    }
    size_t n = k - start;
    v->type = VKC_JSON_NUMBER;
    if (integer && p->s[start] != '-' && vkc_json_digits_u64(p->s + start, n, &v->u64)) {
        /* uint64 -> double rounds to nearest, as strtod would. */
        v->has_u64 = 1;
        v->num = (double)v->u64;
        p->pos = k;
        return 1;
    }
    char small[64];
    char *tok = n < sizeof small ? small : malloc(n + 1);
    if (!tok) return vkc_json_oom(p);
    memcpy(tok, p->s + start, n);
    tok[n] = 0;
    int ok = vkc_json_strtod(p, tok, n, start, &v->num);
    if (tok != small) free(tok);
    if (ok) p->pos = k;
    return ok;
}

static int vkc_json_literal(vkc_json_parser *p, const char *word, vkc_json_type t, int b,
                            vkc_json *v)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return vkc_json_err_byte(p, "a value");
    v->type = t;
    v->boolean = (uint8_t)b;
    p->pos += n;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Grammar                                                                  */

static int vkc_json_value(vkc_json_parser *p, vkc_json *v, unsigned depth);

static int vkc_json_enter(vkc_json_parser *p, unsigned depth)
{
    if (depth <= p->max_depth) return 1;
    char what[64];
    snprintf(what, sizeof what, "nesting deeper than %u", p->max_depth);
    return vkc_json_err(p, p->pos, VKC_ERROR_FORMAT, what);
}

static int vkc_json_array(vkc_json_parser *p, vkc_json *v, unsigned depth)
{
    size_t cap = 0;
    if (!vkc_json_enter(p, depth)) return 0;
    v->type = VKC_JSON_ARRAY;
    p->pos++;
    vkc_json_skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ']') {
        p->pos++;
        return 1;
    }
    for (;;) {
        if (!vkc_json_reserve(p, v, &cap, 0)) return 0;
        memset(&v->items[v->len], 0, sizeof v->items[0]);
        if (!vkc_json_value(p, &v->items[v->len], depth)) return 0;
        v->len++;
        vkc_json_skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == ']') {
            p->pos++;
            return 1;
        }
        return vkc_json_err_byte(p, "',' or ']'");
    }
}

/* One "key": value pair into slot v->len; the slot counts only when whole. */
static int vkc_json_member(vkc_json_parser *p, vkc_json *v, unsigned depth)
{
    vkc_json_key *key = &v->keys[v->len];
    vkc_json *val = &v->items[v->len];
    memset(key, 0, sizeof *key);
    memset(val, 0, sizeof *val);
    vkc_json_skip_ws(p);
    if (p->pos >= p->len || p->s[p->pos] != '"') return vkc_json_err_byte(p, "a string key");
    if (!vkc_json_string_token(p, &key->s, &key->len)) return 0;
    vkc_json_skip_ws(p);
    if (p->pos >= p->len || p->s[p->pos] != ':') {
        free(key->s);
        return vkc_json_err_byte(p, "':'");
    }
    p->pos++;
    if (!vkc_json_value(p, val, depth)) {
        free(key->s);
        return 0;
    }
    v->len++;
    return 1;
}

static int vkc_json_object(vkc_json_parser *p, vkc_json *v, unsigned depth)
{
    size_t cap = 0;
    if (!vkc_json_enter(p, depth)) return 0;
    v->type = VKC_JSON_OBJECT;
    p->pos++;
    vkc_json_skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '}') {
        p->pos++;
        return 1;
    }
    for (;;) {
        if (!vkc_json_reserve(p, v, &cap, 1)) return 0;
        if (!vkc_json_member(p, v, depth)) return 0;
        vkc_json_skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == '}') {
            p->pos++;
            return 1;
        }
        return vkc_json_err_byte(p, "',' or '}'");
    }
}

static int vkc_json_value_kind(vkc_json_parser *p, vkc_json *v, unsigned depth)
{
    if (p->pos >= p->len) return vkc_json_err_byte(p, "a value");
    switch (p->s[p->pos]) {
    case '{': return vkc_json_object(p, v, depth + 1);
    case '[': return vkc_json_array(p, v, depth + 1);
    case '"':
        v->type = VKC_JSON_STRING;
        return vkc_json_string_token(p, &v->str, &v->len);
    case 't': return vkc_json_literal(p, "true", VKC_JSON_BOOL, 1, v);
    case 'f': return vkc_json_literal(p, "false", VKC_JSON_BOOL, 0, v);
    case 'n': return vkc_json_literal(p, "null", VKC_JSON_NULL, 0, v);
    default:
        if (p->s[p->pos] == '-' || vkc_json_is_digit(p, p->pos)) return vkc_json_number_token(p, v);
        return vkc_json_err_byte(p, "a value");
    }
}

/* Parses one value into *v (zeroed by the caller). A failed value frees what
 * it had built, since the caller's count does not include it. */
static int vkc_json_value(vkc_json_parser *p, vkc_json *v, unsigned depth)
{
    vkc_json_skip_ws(p);
    if (vkc_json_value_kind(p, v, depth)) return 1;
    vkc_json_clear(v);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */

vkc_status vkc_json_parse_depth(const char *buf, size_t len, unsigned max_depth, vkc_json **out,
                                vkc_msg *msg)
{
    if (!out) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_json_parse: out is NULL");
    *out = NULL;
    if (!buf && len) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_json_parse: buf is NULL");
    if (max_depth == 0 || max_depth > VKC_JSON_DEPTH_CEILING)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_json_parse: depth limit %u not in 1..%u",
                        max_depth, VKC_JSON_DEPTH_CEILING);

    vkc_json_parser p = {(const unsigned char *)buf, len, 0, max_depth, msg, VKC_OK, (locale_t)0};
    if (len >= 3 && p.s[0] == 0xef && p.s[1] == 0xbb && p.s[2] == 0xbf) p.pos = 3;

    vkc_json *root = calloc(1, sizeof *root);
    int ok = root ? vkc_json_value(&p, root, 0) : vkc_json_oom(&p);
    if (ok) {
        vkc_json_skip_ws(&p);
        if (p.pos != p.len) ok = vkc_json_err_byte(&p, "the end of input after the value");
    }
    if (p.c_locale) freelocale(p.c_locale);
    if (!ok) {
        vkc_json_free(root);
        return p.status;
    }
    *out = root;
    return VKC_OK;
}

vkc_status vkc_json_parse(const char *buf, size_t len, vkc_json **out, vkc_msg *msg)
{
    return vkc_json_parse_depth(buf, len, VKC_JSON_MAX_DEPTH, out, msg);
}

void vkc_json_free(vkc_json *root)
{
    if (!root) return;
    vkc_json_clear(root);
    free(root);
}

vkc_json_type vkc_json_type_of(const vkc_json *v)
{
    return v ? v->type : VKC_JSON_NULL;
}

const char *vkc_json_type_name(vkc_json_type t)
{
    switch (t) {
    case VKC_JSON_NULL: return "null";
    case VKC_JSON_BOOL: return "boolean";
    case VKC_JSON_NUMBER: return "number";
    case VKC_JSON_STRING: return "string";
    case VKC_JSON_ARRAY: return "array";
    case VKC_JSON_OBJECT: return "object";
    }
    return "unknown";
}

size_t vkc_json_len(const vkc_json *v)
{
    if (!v || (v->type != VKC_JSON_ARRAY && v->type != VKC_JSON_OBJECT)) return 0;
    return v->len;
}

const vkc_json *vkc_json_at(const vkc_json *v, size_t i)
{
    return i < vkc_json_len(v) ? &v->items[i] : NULL;
}

const char *vkc_json_key_at(const vkc_json *obj, size_t i, size_t *len)
{
    if (!obj || obj->type != VKC_JSON_OBJECT || i >= obj->len) return NULL;
    if (len) *len = obj->keys[i].len;
    return obj->keys[i].s;
}

const vkc_json *vkc_json_get(const vkc_json *obj, const char *key)
{
    if (!obj || !key || obj->type != VKC_JSON_OBJECT) return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < obj->len; i++)
        if (obj->keys[i].len == n && memcmp(obj->keys[i].s, key, n) == 0) return &obj->items[i];
    return NULL;
}

double vkc_json_number(const vkc_json *v)
{
    return v && v->type == VKC_JSON_NUMBER ? v->num : NAN;
}

int vkc_json_uint64(const vkc_json *v, uint64_t *out)
{
    if (!v || v->type != VKC_JSON_NUMBER || !v->has_u64) return 0;
    if (out) *out = v->u64;
    return 1;
}

const char *vkc_json_string(const vkc_json *v, size_t *len)
{
    if (!v || v->type != VKC_JSON_STRING) return NULL;
    if (len) *len = v->len;
    return v->str;
}

int vkc_json_bool(const vkc_json *v, int *out)
{
    if (!v || v->type != VKC_JSON_BOOL) return 0;
    if (out) *out = v->boolean;
    return 1;
}
