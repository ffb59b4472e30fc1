#include "write/trtcache.h"
#include "base/atomic_file.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Doubles at or above FLT_MAX + half an ulp round to +inf in float32 (the
 * tie goes to the even significand, which is 2^128). Comparing first keeps
 * the conversion defined (C11 6.3.1.5). */
#define VKC_FLOAT_OVERFLOW 0x1.ffffffp127

/* ---- writer ------------------------------------------------------------ */

/* A name quoted for an error message: control characters shown as escapes
 * so the message stays one line; long names cut. */
static const char *vkc_quote(const char *s, char *out, size_t size)
{
    size_t o = 0;
    for (; *s && o + 8 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n') { out[o++] = '\\'; out[o++] = 'n'; }
        else if (c == '\r') { out[o++] = '\\'; out[o++] = 'r'; }
        else if (c < 0x20) o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
        else out[o++] = (char)c;
    }
    if (*s) { out[o++] = '.'; out[o++] = '.'; out[o++] = '.'; }
    out[o] = 0;
    return out;
}

float vkc_trt_scale(double amax)
{
    if (isnan(amax) || isinf(amax) || amax < 0) return -1.0f;
    if (amax < VKC_AMAX_FLOOR) amax = VKC_AMAX_FLOOR;
    double s = amax / 127.0;
    if (s >= VKC_FLOAT_OVERFLOW) return -1.0f;
    return (float)s;
}

static vkc_status vkc_check_line_text(const char *what, const char *s, vkc_msg *msg)
{
    char q[160];
    if (strpbrk(s, "\n\r"))
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT,
                        "TensorRT cache: %s \"%s\" contains a line break, which the cache "
                        "format cannot hold",
                        what, vkc_quote(s, q, sizeof q));
    return VKC_OK;
}

static vkc_status vkc_check_entry(size_t i, const char *name, double amax, vkc_msg *msg)
{
    char q[160];
    if (!name)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "TensorRT cache: tensor %zu has no name", i);
    if (!*name)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "TensorRT cache: tensor %zu has an empty name", i);
    vkc_status st = vkc_check_line_text("tensor name", name, msg);
    if (st != VKC_OK) return st;
    if (isnan(amax) || isinf(amax) || amax < 0)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT,
                        "TensorRT cache: tensor \"%s\" has amax %g; it must be finite and >= 0",
                        vkc_quote(name, q, sizeof q), amax);
    if (vkc_trt_scale(amax) < 0)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT,
                        "TensorRT cache: tensor \"%s\": amax %g makes a scale beyond float32",
                        vkc_quote(name, q, sizeof q), amax);
    return VKC_OK;
}

int vkc_trt_algo_known(const char *name)
{
    static const char *const known[] = {"EntropyCalibration2", "EntropyCalibration", "MinMaxCalibration",
                                        "LegacyCalibration"};
    for (size_t k = 0; name && k < sizeof known / sizeof known[0]; k++)
        if (strcmp(name, known[k]) == 0) return 1;
    return 0;
}

vkc_status vkc_trtcache_format(vkc_buf *out, uint32_t trt_version, const char *algo,
                               const char *const *names, const double *amax, size_t n,
                               uint32_t *floored, vkc_msg *msg)
{
    if (floored) *floored = 0;
    if (!out || (n && (!names || !amax)))
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "TensorRT cache: missing argument");
    if (!trt_version) trt_version = VKC_TRT_VERSION_DEFAULT;
    if (!algo) algo = VKC_TRT_ALGO_DEFAULT;
    if (!*algo)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "TensorRT cache: empty calibrator name");
    vkc_status st = vkc_check_line_text("calibrator name", algo, msg);
    if (st != VKC_OK) return st;
    if (!vkc_trt_algo_known(algo)) {
        char q[160];
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT,
                        "TensorRT cache: calibrator \"%s\" is none of TensorRT's (EntropyCalibration2, "
                        "EntropyCalibration, MinMaxCalibration, LegacyCalibration): TensorRT would not reuse the "
                        "cache",
                        vkc_quote(algo, q, sizeof q));
    }
    /* Validate everything first so that a failure leaves out unchanged. */
    uint32_t nfloor = 0;
    for (size_t i = 0; i < n; i++) {
        st = vkc_check_entry(i, names[i], amax[i], msg);
        if (st != VKC_OK) return st;
        if (amax[i] < VKC_AMAX_FLOOR) nfloor++;
    }
    size_t start = out->len;
    vkc_buf_printf(out, "TRT-%" PRIu32 "-%s\n", trt_version, algo);
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = vkc_f32_bits(vkc_trt_scale(amax[i]));
        vkc_buf_puts(out, names[i]);
        vkc_buf_printf(out, ": %08" PRIx32 "\n", bits);
    }
    if (out->oom) {
        if (out->data && start <= out->len) {
            out->len = start;
            out->data[start] = 0;
        }
        return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "TensorRT cache: out of memory");
    }
    if (floored) *floored = nfloor;
    return VKC_OK;
}

/* ---- version ----------------------------------------------------------- */

/* Reads 1 to 9 decimal digits at *p (no sign, no space). */
static int vkc_read_uint(const char **p, uint32_t *v)
{
    const char *s = *p;
    uint64_t x = 0;
    int n = 0;
    while (*s >= '0' && *s <= '9') {
        if (++n > 9) return 0;
        x = x * 10 + (uint64_t)(*s - '0');
        s++;
    }
    if (!n) return 0;
    *p = s;
    *v = (uint32_t)x;
    return 1;
}

static uint32_t vkc_version_bad(int *ok)
{
    if (ok) *ok = 0;
    return 0;
}

uint32_t vkc_trt_version_from_string(const char *s, int *ok)
{
    if (ok) *ok = 0;
    if (!s || !*s) return 0;
    if (!strchr(s, '.')) {
        /* Already TensorRT's integer: up to 10 digits within uint32. */
        uint64_t x = 0;
        const char *p = s;
        for (; *p; p++) {
            if (*p < '0' || *p > '9' || p - s >= 10) return vkc_version_bad(ok);
            x = x * 10 + (uint64_t)(*p - '0');
        }
        if (x > UINT32_MAX || x == 0) return vkc_version_bad(ok);
        /* A bare major version ("10", "8") means major.0.0; TensorRT's
         * integers have at least 4 digits (1.0.0 is 1000), so 100..999
         * could be either and is refused. */
        if (x < 100) x = x < 10 ? x * 1000 : x * 10000;
        else if (x < 1000) return vkc_version_bad(ok);
        if (x > UINT32_MAX) return vkc_version_bad(ok);
        if (ok) *ok = 1;
        return (uint32_t)x;
    }
    uint32_t part[4] = {0, 0, 0, 0};
    int count = 0;
    const char *p = s;
    for (;;) {
        if (count == 4 || !vkc_read_uint(&p, &part[count])) return vkc_version_bad(ok);
        count++;
        if (*p == 0) break;
        if (*p != '.') return vkc_version_bad(ok);
        p++;
    }
    if (count < 2) return vkc_version_bad(ok);
    uint32_t major = part[0], minor = part[1], patch = part[2];
    uint32_t v;
    if (major == 0) return vkc_version_bad(ok);
    if (major < 10) {
        if (minor > 9 || patch > 99) return vkc_version_bad(ok);
        v = major * 1000 + minor * 100 + patch;
    } else {
        if (minor > 99 || patch > 99 || major > 400000) return vkc_version_bad(ok);
        v = major * 10000 + minor * 100 + patch;
    }
    if (ok) *ok = 1;
    return v;
}

/* ---- reader ------------------------------------------------------------ */

typedef struct vkc_line {
    const char *p;
    size_t n;
    size_t no; /* 1-based */
} vkc_line;

static int vkc_is_blank(const vkc_line *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->p[i] != ' ' && l->p[i] != '\t') return 0;
    return 1;
}

static vkc_status vkc_parse_header(const vkc_line *l, vkc_trtcache *c, vkc_msg *msg)
{
    const char *p = l->p, *end = l->p + l->n;
    if (l->n < 4 || memcmp(p, "TRT-", 4) != 0)
        return vkc_fail(msg, VKC_ERROR_FORMAT,
                        "TensorRT cache: line %zu: expected a header 'TRT-<version>-<calibrator>'",
                        l->no);
    p += 4;
    uint64_t v = 0;
    const char *digits = p;
    while (p < end && *p >= '0' && *p <= '9') {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > UINT32_MAX)
            return vkc_fail(msg, VKC_ERROR_FORMAT, "TensorRT cache: line %zu: version too large", l->no);
        p++;
    }
    if (p == digits || p == end || *p != '-' || p + 1 == end)
        return vkc_fail(msg, VKC_ERROR_FORMAT,
                        "TensorRT cache: line %zu: expected a header 'TRT-<version>-<calibrator>'",
                        l->no);
    p++;
    size_t n = (size_t)(end - p);
    c->algo = malloc(n + 1);
    if (!c->algo) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "TensorRT cache: out of memory");
    memcpy(c->algo, p, n);
    c->algo[n] = 0;
    c->version = (uint32_t)v;
    return VKC_OK;
}

static int vkc_hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* 1 to 8 hex digits, then only spaces or tabs. */
static int vkc_parse_hex(const char *p, size_t n, uint32_t *out)
{
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
    if (n == 0 || n > 8) return 0;
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = vkc_hex_digit(p[i]);
        if (d < 0) return 0;
        v = (v << 4) | (uint32_t)d;
    }
    *out = v;
    return 1;
}

static vkc_status vkc_grow_entries(vkc_trtcache *c, size_t *cap, vkc_msg *msg)
{
    if (c->count < *cap) return VKC_OK;
    size_t ncap = *cap ? *cap * 2 : 16;
    if (ncap > SIZE_MAX / sizeof *c->entries)
        return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "TensorRT cache: too many entries");
    vkc_trtcache_entry *e = realloc(c->entries, ncap * sizeof *e);
    if (!e) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "TensorRT cache: out of memory");
    c->entries = e;
    *cap = ncap;
    return VKC_OK;
}

static vkc_status vkc_parse_entry(const vkc_line *l, vkc_trtcache *c, size_t *cap, vkc_msg *msg)
{
    /* The last ": " separates: names may contain ':' and ": ", the hex never. */
    size_t sep = l->n;
    for (size_t i = l->n; i >= 2; i--) {
        if (l->p[i - 2] == ':' && l->p[i - 1] == ' ') {
            sep = i - 2;
            break;
        }
    }
    if (sep == l->n)
        return vkc_fail(msg, VKC_ERROR_FORMAT,
                        "TensorRT cache: line %zu: expected '<tensor name>: <hex scale>'", l->no);
    if (sep == 0)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "TensorRT cache: line %zu: empty tensor name", l->no);
    uint32_t bits;
    if (!vkc_parse_hex(l->p + sep + 2, l->n - sep - 2, &bits))
        return vkc_fail(msg, VKC_ERROR_FORMAT,
                        "TensorRT cache: line %zu: scale is not 1 to 8 hex digits", l->no);
    float scale = vkc_bits_f32(bits);
    if ((bits & 0x80000000u) || (bits & 0x7f800000u) == 0x7f800000u)
        return vkc_fail(msg, VKC_ERROR_FORMAT,
                        "TensorRT cache: line %zu: scale %08" PRIx32
                        " is negative, infinite or NaN",
                        l->no, bits);
    vkc_status st = vkc_grow_entries(c, cap, msg);
    if (st != VKC_OK) return st;
    char *name = malloc(sep + 1);
    if (!name) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "TensorRT cache: out of memory");
    memcpy(name, l->p, sep);
    name[sep] = 0;
    vkc_trtcache_entry *e = &c->entries[c->count++];
    e->name = name;
    e->bits = bits;
    e->scale = scale;
    e->amax = (double)scale * 127.0;
    return VKC_OK;
}

/* Splits off the next line; strips one trailing '\r' (CRLF) and rejects
 * bytes that a name could not carry through the writer. */
static vkc_status vkc_next_line(const char *buf, size_t len, size_t *pos, vkc_line *l,
                                vkc_msg *msg)
{
    const char *p = buf + *pos;
    size_t rest = len - *pos;
    const char *nl = memchr(p, '\n', rest);
    size_t n = nl ? (size_t)(nl - p) : rest;
    *pos += nl ? n + 1 : n;
    l->no++;
    l->p = p;
    l->n = n;
    if (n && p[n - 1] == '\r') l->n--;
    for (size_t i = 0; i < l->n; i++) {
        if (p[i] == 0)
            return vkc_fail(msg, VKC_ERROR_FORMAT, "TensorRT cache: line %zu: NUL byte", l->no);
        if (p[i] == '\r')
            return vkc_fail(msg, VKC_ERROR_FORMAT,
                            "TensorRT cache: line %zu: carriage return inside the line", l->no);
    }
    return VKC_OK;
}

vkc_status vkc_trtcache_parse(const char *buf, size_t len, vkc_trtcache *out, vkc_msg *msg)
{
    if (!out) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "TensorRT cache: missing argument");
    memset(out, 0, sizeof *out);
    if (!buf && len) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "TensorRT cache: missing argument");

    vkc_trtcache c = {0, NULL, NULL, 0};
    size_t cap = 0, pos = 0;
    vkc_line l = {NULL, 0, 0};
    int have_header = 0;
    vkc_status st = VKC_OK;
    while (pos < len) {
        st = vkc_next_line(buf, len, &pos, &l, msg);
        if (st != VKC_OK) break;
        if (vkc_is_blank(&l)) continue;
        st = have_header ? vkc_parse_entry(&l, &c, &cap, msg) : vkc_parse_header(&l, &c, msg);
        if (st != VKC_OK) break;
        have_header = 1;
    }
    if (st == VKC_OK && !have_header)
        st = vkc_fail(msg, VKC_ERROR_FORMAT, "TensorRT cache: empty (no 'TRT-' header line)");
    if (st != VKC_OK) {
        vkc_trtcache_free(&c);
        return st;
    }
    *out = c;
    return VKC_OK;
}

void vkc_trtcache_free(vkc_trtcache *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->count; i++) free(c->entries[i].name);
    free(c->entries);
    free(c->algo);
    memset(c, 0, sizeof *c);
}

vkc_status vkc_write_trt_cache(const char *path, uint32_t trt_version, const char *algo, const char *const *names,
                               const double *amax, size_t n, vkc_msg *msg)
{
    if (!path) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_write_trt_cache: NULL path");
    vkc_buf out = {0};
    vkc_status s = vkc_trtcache_format(&out, trt_version, algo, names, amax, n, NULL, msg);
    if (s == VKC_OK) s = vkc_atomic_write(path, out.data, out.len, msg);
    vkc_buf_free(&out);
    return s;
}

int vkc_trt_version_parse(const char *s, uint32_t *out)
{
    int ok = 0;
    uint32_t v = vkc_trt_version_from_string(s, &ok);
    if (ok && out) *out = v;
    return ok;
}
