#include "read/npy.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- dtypes -------------------------------------------------------------- */

size_t vkc_npy_type_size(vkc_npy_type dt)
{
    switch (dt) {
    case VKC_DT_F32: return 4;
    case VKC_DT_F16: return 2;
    case VKC_DT_F64: return 8;
    case VKC_DT_U8: return 1;
    case VKC_DT_I32: return 4;
    case VKC_DT_I64: return 8;
    case VKC_DT_U64: return 8;
    }
    return 0;
}

const char *vkc_npy_type_name(vkc_npy_type dt)
{
    switch (dt) {
    case VKC_DT_F32: return "<f4";
    case VKC_DT_F16: return "<f2";
    case VKC_DT_F64: return "<f8";
    case VKC_DT_U8: return "|u1";
    case VKC_DT_I32: return "<i4";
    case VKC_DT_I64: return "<i8";
    case VKC_DT_U64: return "<u8";
    }
    return "?";
}

static int dtype_from_descr(const char *d, vkc_npy_type *out)
{
    static const struct { const char *descr; vkc_npy_type dt; } table[] = {
        {"<f4", VKC_DT_F32}, {"<f2", VKC_DT_F16}, {"<f8", VKC_DT_F64},
        {"|u1", VKC_DT_U8},  {"<u1", VKC_DT_U8},  {"<i4", VKC_DT_I32},
        {"<i8", VKC_DT_I64}, {"<u8", VKC_DT_U64},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(d, table[i].descr) == 0) {
            *out = table[i].dt;
            return 1;
        }
    }
    return 0;
}

/* ---- little-endian loads (any alignment, any host) ----------------------- */

static double ld_f64(const uint8_t *p)
{
    uint64_t u = vkc_ld64(p);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

/* ---- fixed prefix -------------------------------------------------------- */

static const uint8_t npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

vkc_status vkc_npy_header_bytes(const void *buf, size_t len, uint64_t file_size,
                                uint64_t *header_bytes, vkc_msg *msg)
{
    const uint8_t *p = buf;
    if (len > file_size)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "buffer of %zu bytes is longer than the file (%" PRIu64 ")",
                        len, file_size);
    if (file_size < 10)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "file is %" PRIu64 " bytes, too short for a .npy header", file_size);
    if (len < 8)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "need 8 bytes of the file, got %zu", len);
    if (memcmp(p, npy_magic, sizeof npy_magic) != 0)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "not a .npy file (bad magic)");
    unsigned major = p[6], minor = p[7];
    if (major < 1 || major > 3 || minor != 0)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "unsupported .npy format version %u.%u", major, minor);

    /* Version 1.0 has a 16-bit header length; 2.0 and 3.0 a 32-bit one. */
    uint64_t prefix = major == 1 ? 10 : 12;
    if (file_size < prefix)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "file is %" PRIu64 " bytes, too short for a .npy header", file_size);
    if (len < prefix)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "need %" PRIu64 " bytes of the file, got %zu", prefix, len);
    uint64_t hlen = major == 1 ? vkc_ld16(p + 8) : vkc_ld32(p + 8);
    if (hlen > VKC_NPY_MAX_HEADER)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "header length %" PRIu64 " exceeds the limit of %u bytes", hlen,
                        VKC_NPY_MAX_HEADER);
    if (prefix + hlen > file_size)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "header of %" PRIu64 " bytes runs past the end of the file (%" PRIu64
                        " bytes)", hlen, file_size);
    *header_bytes = prefix + hlen;
    return VKC_OK;
}

/* ---- header dictionary ------------------------------------------------------
 * The header is a Python dict literal written by repr(), e.g.
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (1, 1024), }
 * padded with spaces and ending in '\n'. We accept exactly the literals numpy
 * can write (plus Python 2's "3L" integers), never evaluate anything, and
 * reject anything else rather than guess. */

typedef struct hparse {
    const char *p, *begin, *end;
    vkc_msg *msg;
} hparse;

static vkc_status hp_fail(hparse *h, const char *what)
{
    return vkc_fail(h->msg, VKC_ERROR_FORMAT, "malformed .npy header: %s at byte %td", what, h->p - h->begin);
}

static void hp_ws(hparse *h)
{
    while (h->p < h->end && (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r'))
        h->p++;
}

static int hp_peek(hparse *h, char c)
{
    hp_ws(h);
    return h->p < h->end && *h->p == c;
}

static int hp_eat(hparse *h, char c)
{
    if (!hp_peek(h, c)) return 0;
    h->p++;
    return 1;
}

/* A quoted string without escapes (no key or descr we accept has any). */
static vkc_status hp_string(hparse *h, char *out, size_t cap)
{
    hp_ws(h);
    if (h->p >= h->end || (*h->p != '\'' && *h->p != '"')) return hp_fail(h, "expected a string");
    char q = *h->p++;
    if (!memchr(h->p, q, (size_t)(h->end - h->p))) return hp_fail(h, "unterminated string");
    size_t n = 0;
    while (h->p < h->end && *h->p != q) {
        if (*h->p == '\\' || *h->p == '\n' || *h->p == '\0') return hp_fail(h, "unsupported character in string");
        if (n + 1 >= cap) return hp_fail(h, "string too long");
        out[n++] = *h->p++;
    }
    h->p++;
    out[n] = 0;
    return VKC_OK;
}

static int hp_word(hparse *h, const char *w)
{
    size_t n = strlen(w);
    hp_ws(h);
    if ((size_t)(h->end - h->p) < n || memcmp(h->p, w, n) != 0) return 0;
    /* "Trueish" is not True. */
    if ((size_t)(h->end - h->p) > n) {
        char c = h->p[n];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') return 0;
    }
    h->p += n;
    return 1;
}

static vkc_status hp_bool(hparse *h, int *out)
{
    if (hp_word(h, "True")) *out = 1;
    else if (hp_word(h, "False")) *out = 0;
    else return hp_fail(h, "expected True or False");
    return VKC_OK;
}

/* A non-negative dimension; numpy's sizes are signed 64-bit. */
static vkc_status hp_dim(hparse *h, uint64_t *out)
{
    hp_ws(h);
    if (h->p >= h->end || *h->p < '0' || *h->p > '9') return hp_fail(h, "expected a non-negative integer");
    uint64_t v = 0;
    while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
        uint64_t d = (uint64_t)(*h->p - '0');
        if (v > ((uint64_t)INT64_MAX - d) / 10) return hp_fail(h, "dimension too large");
        v = v * 10 + d;
        h->p++;
    }
    if (h->p < h->end && *h->p == 'L') h->p++; /* Python 2 long */
    *out = v;
    return VKC_OK;
}

/* "()", "(n,)" or "(n, m, ...)" with an optional trailing comma. "(n)" is
 * an integer in Python, not a tuple, and numpy rejects it too. */
static vkc_status hp_shape(hparse *h, vkc_npy_header *out)
{
    vkc_status st;
    if (!hp_eat(h, '(')) return hp_fail(h, "shape is not a tuple");
    out->ndim = 0;
    if (hp_eat(h, ')')) return VKC_OK;
    for (;;) {
        if (out->ndim == VKC_NPY_MAX_DIMS) return hp_fail(h, "more than 32 dimensions");
        if ((st = hp_dim(h, &out->shape[out->ndim])) != VKC_OK) return st;
        out->ndim++;
        if (hp_eat(h, ')')) {
            if (out->ndim == 1) return hp_fail(h, "shape is not a tuple (missing ',')");
            return VKC_OK;
        }
        if (!hp_eat(h, ',')) return hp_fail(h, "expected ',' or ')' in shape");
        if (hp_eat(h, ')')) return VKC_OK;
    }
}

enum { KEY_DESCR = 1, KEY_FORTRAN = 2, KEY_SHAPE = 4 };

typedef struct hfields {
    char descr[32];
    int fortran;
    unsigned seen;
} hfields;

static vkc_status hp_entry(hparse *h, hfields *f, vkc_npy_header *out)
{
    char key[32];
    vkc_status st = hp_string(h, key, sizeof key);
    if (st != VKC_OK) return st;
    if (!hp_eat(h, ':')) return hp_fail(h, "expected ':' after a key");
    unsigned bit = strcmp(key, "descr") == 0 ? KEY_DESCR
                 : strcmp(key, "fortran_order") == 0 ? KEY_FORTRAN
                 : strcmp(key, "shape") == 0 ? KEY_SHAPE : 0;
    if (bit == 0) return vkc_fail(h->msg, VKC_ERROR_FORMAT, "malformed .npy header: unexpected key '%s'", key);
    if (f->seen & bit) return vkc_fail(h->msg, VKC_ERROR_FORMAT, "malformed .npy header: key '%s' repeated", key);
    f->seen |= bit;
    if (bit == KEY_DESCR) {
        if (hp_peek(h, '[')) return vkc_fail(h->msg, VKC_ERROR_FORMAT, "unsupported dtype: structured arrays");
        return hp_string(h, f->descr, sizeof f->descr);
    }
    if (bit == KEY_FORTRAN) return hp_bool(h, &f->fortran);
    return hp_shape(h, out);
}

static vkc_status hp_dict(hparse *h, hfields *f, vkc_npy_header *out)
{
    vkc_status st;
    if (!hp_eat(h, '{')) return hp_fail(h, "expected '{'");
    while (!hp_eat(h, '}')) {
        if ((st = hp_entry(h, f, out)) != VKC_OK) return st;
        if (hp_eat(h, '}')) break;
        if (!hp_eat(h, ',')) return hp_fail(h, "expected ',' or '}'");
    }
    hp_ws(h);
    if (h->p != h->end) return hp_fail(h, "unexpected text after the dictionary");
    if (f->seen != (KEY_DESCR | KEY_FORTRAN | KEY_SHAPE))
        return vkc_fail(h->msg, VKC_ERROR_FORMAT, "malformed .npy header: missing %s",
                        !(f->seen & KEY_DESCR) ? "'descr'" : !(f->seen & KEY_FORTRAN) ? "'fortran_order'" : "'shape'");
    return VKC_OK;
}

static vkc_status check_dtype(const char *descr, vkc_npy_type *dt, vkc_msg *msg)
{
    if (dtype_from_descr(descr, dt)) return VKC_OK;
    if (descr[0] == '>') {
        char le[40]; /* descr holds at most 31 characters */
        snprintf(le, sizeof le, "<%s", descr + 1);
        if (dtype_from_descr(le, dt))
            return vkc_fail(msg, VKC_ERROR_FORMAT, "big-endian dtype '%s' is not supported (save it as '%s')", descr, le);
    }
    return vkc_fail(msg, VKC_ERROR_FORMAT,
                    "unsupported dtype '%s' (expected <f4, <f2 or <f8; <u8, <i8, <i4 or |u1 for counts)", descr);
}

/* Product of the shape; a zero dimension makes any other size legal. */
static vkc_status shape_count(const vkc_npy_header *h, uint64_t *count, vkc_msg *msg)
{
    uint64_t n = 1;
    for (uint32_t i = 0; i < h->ndim; i++)
        if (h->shape[i] == 0) {
            *count = 0;
            return VKC_OK;
        }
    for (uint32_t i = 0; i < h->ndim; i++)
        if (!vkc_mul_u64(n, h->shape[i], &n)) {
            char desc[400];
            vkc_npy_describe(h, desc, sizeof desc);
            return vkc_fail(msg, VKC_ERROR_FORMAT, "element count overflows 64 bits (%s)", desc);
        }
    *count = n;
    return VKC_OK;
}

void vkc_npy_describe(const vkc_npy_header *h, char *out, size_t out_size)
{
    size_t n = 0;
    if (out_size == 0) return;
    out[0] = 0;
#define VKC_PUT(...) \
    do { \
        if (n < out_size) { \
            int k = snprintf(out + n, out_size - n, __VA_ARGS__); \
            if (k > 0) n += (size_t)k; \
        } \
    } while (0)
    VKC_PUT("shape (");
    for (uint32_t i = 0; i < h->ndim; i++) VKC_PUT("%s%" PRIu64, i ? ", " : "", h->shape[i]);
    VKC_PUT("%s), %s", h->ndim == 1 ? "," : "", vkc_npy_type_name(h->dtype));
#undef VKC_PUT
}

vkc_status vkc_npy_parse_header(const void *buf, size_t len, uint64_t file_size,
                                vkc_npy_header *out, vkc_msg *msg)
{
    uint64_t header_bytes;
    vkc_status st = vkc_npy_header_bytes(buf, len, file_size, &header_bytes, msg);
    if (st != VKC_OK) return st;
    if (len < header_bytes)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "need %" PRIu64 " bytes of the file for its header, got %zu",
                        header_bytes, len);

    vkc_npy_header h;
    memset(&h, 0, sizeof h);
    const char *text = (const char *)buf;
    hparse hp = {text + (((const uint8_t *)buf)[6] == 1 ? 10 : 12), NULL, text + header_bytes, msg};
    hp.begin = hp.p;
    hfields f;
    memset(&f, 0, sizeof f);
    if ((st = hp_dict(&hp, &f, &h)) != VKC_OK) return st;
    if ((st = check_dtype(f.descr, &h.dtype, msg)) != VKC_OK) return st;
    if (f.fortran)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "Fortran-order arrays are not supported (save with np.ascontiguousarray)");
    if ((st = shape_count(&h, &h.count, msg)) != VKC_OK) return st;

    char desc[400];
    vkc_npy_describe(&h, desc, sizeof desc);
    if (!vkc_mul_u64(h.count, vkc_npy_type_size(h.dtype), &h.data_bytes))
        return vkc_fail(msg, VKC_ERROR_FORMAT, "data size overflows 64 bits (%s)", desc);
    h.data_offset = header_bytes;
    uint64_t have = file_size - header_bytes;
    if (have != h.data_bytes)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "data is %" PRIu64 " bytes, header declares %" PRIu64 " (%s)", have,
                        h.data_bytes, desc);
    *out = h;
    return VKC_OK;
}

/* ---- conversion ---------------------------------------------------------- */

/* IEEE round-to-nearest of a double to float, spelled out because C leaves
 * out-of-range conversions undefined: a magnitude at or above FLT_MAX plus
 * half its ulp rounds to infinity. */
static float f64_to_f32(double d)
{
    if (d >= 0x1.ffffffp127) return INFINITY;
    if (d <= -0x1.ffffffp127) return -INFINITY;
    return (float)d;
}

void vkc_convert_to_f32(vkc_npy_type dt, const void *src, uint64_t count, float *dst)
{
    const uint8_t *p = src;
    switch (dt) {
    case VKC_DT_F32:
        for (uint64_t i = 0; i < count; i++) dst[i] = vkc_bits_f32(vkc_ld32(p + 4 * i));
        break;
    case VKC_DT_F16:
        for (uint64_t i = 0; i < count; i++) dst[i] = vkc_half_to_float(vkc_ld16(p + 2 * i));
        break;
    case VKC_DT_F64:
        for (uint64_t i = 0; i < count; i++) dst[i] = f64_to_f32(ld_f64(p + 8 * i));
        break;
    case VKC_DT_U8:
        for (uint64_t i = 0; i < count; i++) dst[i] = (float)p[i];
        break;
    case VKC_DT_I32:
        for (uint64_t i = 0; i < count; i++) dst[i] = (float)(int32_t)vkc_ld32(p + 4 * i);
        break;
    case VKC_DT_I64:
        for (uint64_t i = 0; i < count; i++) dst[i] = (float)(int64_t)vkc_ld64(p + 8 * i);
        break;
    case VKC_DT_U64:
        for (uint64_t i = 0; i < count; i++) dst[i] = (float)vkc_ld64(p + 8 * i);
        break;
    }
}

static vkc_status bad_count(vkc_msg *msg, uint64_t i, double v)
{
    return vkc_fail(msg, VKC_ERROR_FORMAT, "element %" PRIu64 " is %.17g; counts must be non-negative integers", i, v);
}

/* A float count must be an integer in [0, 2^64). */
static vkc_status float_count(double v, uint64_t i, uint64_t *out, vkc_msg *msg)
{
    if (!(v >= 0.0 && v < 18446744073709551616.0) || floor(v) != v) return bad_count(msg, i, v);
    *out = (uint64_t)v;
    return VKC_OK;
}

static vkc_status int_count(int64_t v, uint64_t i, uint64_t *out, vkc_msg *msg)
{
    if (v < 0)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "element %" PRIu64 " is %" PRId64 "; counts must be non-negative integers",
                        i, v);
    *out = (uint64_t)v;
    return VKC_OK;
}

vkc_status vkc_convert_to_u64_at(vkc_npy_type dt, const void *src, uint64_t count, uint64_t first_index,
                                 uint64_t *dst, vkc_msg *msg)
{
    const uint8_t *p = src;
    vkc_status st = VKC_OK;
    for (uint64_t i = 0; i < count && st == VKC_OK; i++) {
        uint64_t at = first_index + i;
        switch (dt) {
        case VKC_DT_F32: st = float_count(vkc_bits_f32(vkc_ld32(p + 4 * i)), at, &dst[i], msg); break;
        case VKC_DT_F16: st = float_count(vkc_half_to_float(vkc_ld16(p + 2 * i)), at, &dst[i], msg); break;
        case VKC_DT_F64: st = float_count(ld_f64(p + 8 * i), at, &dst[i], msg); break;
        case VKC_DT_U8: dst[i] = p[i]; break;
        case VKC_DT_I32: st = int_count((int32_t)vkc_ld32(p + 4 * i), at, &dst[i], msg); break;
        case VKC_DT_I64: st = int_count((int64_t)vkc_ld64(p + 8 * i), at, &dst[i], msg); break;
        case VKC_DT_U64: dst[i] = vkc_ld64(p + 8 * i); break;
        }
    }
    return st;
}

vkc_status vkc_convert_to_u64(vkc_npy_type dt, const void *src, uint64_t count, uint64_t *dst, vkc_msg *msg)
{
    return vkc_convert_to_u64_at(dt, src, count, 0, dst, msg);
}
