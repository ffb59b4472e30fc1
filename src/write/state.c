#include "write/state.h"
#include "base/atomic_file.h"
#include "base/strbuf.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define MAX_NAME 65536u
#define MAX_BINS VKC_HIST_MAX_BINS
#define MAX_FILE ((size_t)1 << 34)

/* Range statistics as the passes make them (B11: a state that breaks them
 * is damaged or hand-made, and would calibrate garbage). hist_hi: phase 2's
 * histogram range, or NULL. */
static vkc_status check_stats(const char *name, const vkc_stats *st, const float *hist_hi, vkc_msg *msg)
{
    if (st->count == 0) {
        if (st->min != 0 || st->max != 0 || st->absmax != 0 || st->zeros != 0)
            return vkc_fail(msg, VKC_ERROR_FORMAT, "tensor '%s': no finite values, yet min, max, absmax or zeros set",
                            name);
    } else if (!isfinite(st->min) || !isfinite(st->max) || st->min > st->max ||
               st->absmax != fmaxf(fabsf(st->min), fabsf(st->max)) || st->zeros > st->count) {
        return vkc_fail(msg, VKC_ERROR_FORMAT,
                        "tensor '%s': inconsistent range statistics (min %g, max %g, absmax %g, %llu zeros of %llu)",
                        name, (double)st->min, (double)st->max, (double)st->absmax, (unsigned long long)st->zeros,
                        (unsigned long long)st->count);
    }
    uint64_t all = st->count;
    if (!vkc_add_u64(all, st->nan, &all) || !vkc_add_u64(all, st->pos_inf, &all) ||
        !vkc_add_u64(all, st->neg_inf, &all))
        return vkc_fail(msg, VKC_ERROR_FORMAT, "tensor '%s': value counts overflow 64 bits", name);
    if (hist_hi && (!isfinite(*hist_hi) || *hist_hi < 0))
        return vkc_fail(msg, VKC_ERROR_FORMAT, "tensor '%s': histogram range %g is not finite and >= 0", name,
                        (double)*hist_hi);
    return VKC_OK;
}

static void put32(vkc_buf *b, uint32_t v)
{
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    vkc_buf_append(b, c, 4);
}

static void put64(vkc_buf *b, uint64_t v)
{
    put32(b, (uint32_t)v);
    put32(b, (uint32_t)(v >> 32));
}

uint32_t vkc_state_find(const vkc_state *s, const char *name)
{
    for (uint32_t k = 0; k < s->ntensors; k++)
        if (strcmp(s->t[k].name, name) == 0) return k;
    return UINT32_MAX;
}

/* Shards of one set list their tensors in the same order, so the hint
 * (the position in the other file) almost always hits: merging N files
 * of T tensors costs O(N T), not O(N T^2). */
static uint32_t find_hint(const vkc_state *s, const char *name, uint32_t hint)
{
    if (hint < s->ntensors && strcmp(s->t[hint].name, name) == 0) return hint;
    return vkc_state_find(s, name);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A name listed twice, found by sorting: O(T log T) for any order. */
static vkc_status check_unique(const vkc_state *s, vkc_msg *msg)
{
    if (s->ntensors < 2) return VKC_OK;
    char **names = malloc(s->ntensors * sizeof *names);
    if (!names) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    for (uint32_t k = 0; k < s->ntensors; k++) names[k] = s->t[k].name;
    qsort(names, s->ntensors, sizeof *names, cmp_name);
    vkc_status st = VKC_OK;
    for (uint32_t k = 1; k < s->ntensors && st == VKC_OK; k++)
        if (strcmp(names[k - 1], names[k]) == 0) st = vkc_fail(msg, VKC_ERROR_FORMAT, "tensor '%s' twice", names[k]);
    free(names);
    return st;
}

vkc_status vkc_state_add(vkc_state *s, const char *name, const vkc_stats *st, float hist_hi, const uint64_t *counts,
                         vkc_msg *msg)
{
    size_t len = strlen(name);
    if (len == 0 || len > MAX_NAME) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "bad tensor name length %zu", len);
    vkc_state_tensor *g = realloc(s->t, (s->ntensors + 1) * sizeof *g);
    if (!g) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    s->t = g;
    vkc_state_tensor *t = &s->t[s->ntensors];
    memset(t, 0, sizeof *t);
    t->name = malloc(len + 1);
    if (!t->name) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    memcpy(t->name, name, len + 1);
    t->st = *st;
    t->hist_hi = hist_hi;
    t->kind = VKC_HIST_ABS;
    t->absmin = NAN;
    if (counts) {
        t->counts = malloc((size_t)s->bins * 8);
        if (!t->counts) {
            free(t->name);
            return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
        }
        memcpy(t->counts, counts, (size_t)s->bins * 8);
    }
    s->ntensors++;
    return VKC_OK;
}

/* Version 1 holds NVIDIA's flavours; the other tools' need version 2. */
static uint32_t version_for(const vkc_state *s)
{
    return s->flavor == VKC_FLAVOR_MODELOPT || s->flavor == VKC_FLAVOR_TENSORRT ? 1u : 2u;
}

vkc_status vkc_state_save(const char *path, const vkc_state *s, vkc_msg *msg)
{
    vkc_buf b = {0};
    const uint32_t version = version_for(s);
    vkc_buf_append(&b, "VKCH", 4);
    put32(&b, version);
    put32(&b, s->phase);
    put32(&b, s->bins);
    put32(&b, s->flags);
    if (version >= 2) put32(&b, s->flavor);
    put32(&b, s->ntensors);
    for (uint32_t k = 0; k < s->ntensors; k++) {
        const vkc_state_tensor *t = &s->t[k];
        uint32_t len = (uint32_t)strlen(t->name);
        put32(&b, len);
        vkc_buf_append(&b, t->name, len);
        put32(&b, vkc_f32_bits(t->st.min));
        put32(&b, vkc_f32_bits(t->st.max));
        put32(&b, vkc_f32_bits(t->st.absmax));
        put32(&b, vkc_f32_bits(t->hist_hi));
        if (version >= 2) {
            put32(&b, vkc_f32_bits(t->hist_lo));
            put32(&b, vkc_f32_bits(t->absmin));
            put32(&b, t->kind);
            put64(&b, t->image_elements);
            put64(&b, t->hw);
        }
        put64(&b, t->st.count);
        put64(&b, t->st.zeros);
        put64(&b, t->st.nan);
        put64(&b, t->st.pos_inf);
        put64(&b, t->st.neg_inf);
        if (s->phase == VKC_STATE_HISTOGRAM)
            for (uint32_t j = 0; j < s->bins; j++) put64(&b, t->counts[j]);
    }
    vkc_status st = VKC_OK;
    if (b.oom) st = vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
    else {
        put32(&b, (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)b.data, (uInt)b.len));
        st = b.oom ? vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path)
                   : vkc_atomic_write(path, b.data, b.len, msg);
    }
    vkc_buf_free(&b);
    return st;
}

/* zlib's crc32 takes a uInt length: feed large buffers in pieces. */
static uint32_t crc_of(const unsigned char *p, size_t len)
{
    uLong c = crc32(0L, Z_NULL, 0);
    while (len) {
        uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
        c = crc32(c, p, n);
        p += n;
        len -= n;
    }
    return (uint32_t)c;
}

vkc_status vkc_state_parse(const void *buf, size_t len, vkc_state *out, vkc_msg *msg)
{
    const unsigned char *p = buf, *end = p + len;
    memset(out, 0, sizeof *out);
    if (len < 28 || memcmp(p, "VKCH", 4) != 0)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "not a vkcalib state file (no VKCH magic)");
    if (crc_of(p, len - 4) != vkc_ld32(end - 4))
        return vkc_fail(msg, VKC_ERROR_FORMAT, "checksum mismatch: the file is damaged or truncated");
    end -= 4;
    uint32_t version = vkc_ld32(p + 4);
    if (version < 1 || version > VKC_STATE_VERSION)
        return vkc_fail(msg, VKC_ERROR_UNSUPPORTED, "state version %u; this vkcalib reads versions 1 to %u", version,
                        VKC_STATE_VERSION);
    out->phase = vkc_ld32(p + 8);
    out->bins = vkc_ld32(p + 12);
    out->flags = vkc_ld32(p + 16);
    p += 20;
    if (version >= 2) {
        if (end - p < 8) return vkc_fail(msg, VKC_ERROR_FORMAT, "truncated header");
        out->flavor = vkc_ld32(p);
        p += 4;
        if (out->flavor >= VKC_FLAVOR_COUNT) return vkc_fail(msg, VKC_ERROR_FORMAT, "unknown flavour %u", out->flavor);
    }
    uint32_t n = vkc_ld32(p);
    p += 4;
    if (out->phase != VKC_STATE_RANGE && out->phase != VKC_STATE_HISTOGRAM)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "unknown phase %u", out->phase);
    if (out->bins == 0 || out->bins > MAX_BINS)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "bad bin count %u (1..%u)", out->bins, MAX_BINS);
    if (out->flags & ~VKC_STATE_FLAGS)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "unknown flag bits 0x%x", out->flags & ~VKC_STATE_FLAGS);
    if (n == 0) return vkc_fail(msg, VKC_ERROR_FORMAT, "no tensors");
    vkc_status s = VKC_OK;
    for (uint32_t k = 0; k < n && s == VKC_OK; k++) {
        if (end - p < 4) { s = vkc_fail(msg, VKC_ERROR_FORMAT, "tensor %u: truncated", k); break; }
        uint32_t nl = vkc_ld32(p);
        p += 4;
        size_t fixed = 16 + (version >= 2 ? 28 : 0) + 40 + (out->phase == VKC_STATE_HISTOGRAM ? (size_t)out->bins * 8 : 0);
        if (nl == 0 || nl > MAX_NAME || (size_t)(end - p) < nl + fixed) {
            s = vkc_fail(msg, VKC_ERROR_FORMAT, "tensor %u: truncated or bad name length %u", k, nl);
            break;
        }
        char name[MAX_NAME + 1];
        memcpy(name, p, nl);
        name[nl] = 0;
        if (memchr(name, 0, nl)) { s = vkc_fail(msg, VKC_ERROR_FORMAT, "tensor %u: NUL in name", k); break; }
        p += nl;
        vkc_stats st;
        st.min = vkc_bits_f32(vkc_ld32(p));
        st.max = vkc_bits_f32(vkc_ld32(p + 4));
        st.absmax = vkc_bits_f32(vkc_ld32(p + 8));
        float hi = vkc_bits_f32(vkc_ld32(p + 12));
        p += 16;
        vkc_state_tensor v2 = {0};
        v2.kind = VKC_HIST_ABS;
        v2.absmin = NAN;
        if (version >= 2) {
            v2.hist_lo = vkc_bits_f32(vkc_ld32(p));
            v2.absmin = vkc_bits_f32(vkc_ld32(p + 4));
            v2.kind = vkc_ld32(p + 8);
            v2.image_elements = vkc_ld64(p + 12);
            v2.hw = vkc_ld64(p + 20);
            p += 28;
            if (v2.kind >= VKC_HIST_KIND_COUNT) {
                s = vkc_fail(msg, VKC_ERROR_FORMAT, "tensor %u: unknown histogram kind %u", k, v2.kind);
                break;
            }
        }
        st.count = vkc_ld64(p);
        st.zeros = vkc_ld64(p + 8);
        st.nan = vkc_ld64(p + 16);
        st.pos_inf = vkc_ld64(p + 24);
        st.neg_inf = vkc_ld64(p + 32);
        p += 40;
        if ((s = check_stats(name, &st, out->phase == VKC_STATE_HISTOGRAM ? &hi : NULL, msg)) != VKC_OK) break;
        uint64_t *counts = NULL;
        if (out->phase == VKC_STATE_HISTOGRAM) {
            counts = malloc((size_t)out->bins * 8);
            if (!counts) { s = vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory"); break; }
            uint64_t total = 0;
            int ovf = 0;
            for (uint32_t j = 0; j < out->bins; j++) {
                counts[j] = vkc_ld64(p + 8 * (size_t)j);
                ovf |= !vkc_add_u64(total, counts[j], &total);
            }
            p += (size_t)out->bins * 8;
            /* A shard's histogram holds some of the finite values the
             * merged ranges counted, never more (the merged histogram all of
             * them: checked where the histogram pass ends). */
            if (ovf || total > st.count) {
                s = vkc_fail(msg, VKC_ERROR_FORMAT,
                             "tensor '%s': the histogram holds %s%llu values, more than the %llu finite values of its "
                             "range statistics",
                             name, ovf ? "over " : "", (unsigned long long)total, (unsigned long long)st.count);
                free(counts);
                break;
            }
        }
        s = vkc_state_add(out, name, &st, hi, counts, msg);
        free(counts);
        if (s == VKC_OK) {
            vkc_state_tensor *t = &out->t[out->ntensors - 1];
            t->hist_lo = v2.hist_lo;
            t->absmin = v2.absmin;
            t->kind = v2.kind;
            t->image_elements = v2.image_elements;
            t->hw = v2.hw;
        }
    }
    if (s == VKC_OK) s = check_unique(out, msg);
    if (s == VKC_OK && p != end) s = vkc_fail(msg, VKC_ERROR_FORMAT, "%zu unexpected bytes after the tensors", (size_t)(end - p));
    if (s != VKC_OK) vkc_state_free(out);
    return s;
}

vkc_status vkc_state_load(const char *path, vkc_state *out, vkc_msg *msg)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return vkc_fail(msg, VKC_ERROR_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > MAX_FILE) {
        fclose(f);
        return vkc_fail(msg, VKC_ERROR_IO, "%s: not a regular file of a sensible size", path);
    }
    size_t len = (size_t)sb.st_size;
    unsigned char *buf = malloc(len ? len : 1);
    if (!buf) {
        fclose(f);
        return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
    }
    size_t got = fread(buf, 1, len, f);
    fclose(f);
    vkc_status s;
    if (got != len) s = vkc_fail(msg, VKC_ERROR_IO, "%s: short read", path);
    else {
        vkc_msg inner = {{0}};
        s = vkc_state_parse(buf, len, out, &inner);
        if (s != VKC_OK) vkc_fail(msg, s, "%s: %s", path, inner.text);
    }
    free(buf);
    return s;
}

vkc_status vkc_state_merge(vkc_state *a, const vkc_state *b, vkc_msg *msg)
{
    if (a->phase != b->phase)
        return vkc_fail(msg, VKC_ERROR_MISMATCH, "cannot merge a %s state with a %s state",
                        a->phase == VKC_STATE_RANGE ? "range" : "histogram",
                        b->phase == VKC_STATE_RANGE ? "range" : "histogram");
    if (a->bins != b->bins) return vkc_fail(msg, VKC_ERROR_MISMATCH, "bin counts differ: %u and %u", a->bins, b->bins);
    if (a->flags != b->flags)
        return vkc_fail(msg, VKC_ERROR_MISMATCH, "one state excluded non-finite values and the other did not");
    if (a->flavor != b->flavor)
        return vkc_fail(msg, VKC_ERROR_MISMATCH, "states of different flavours (%s and %s)", vkc_flavor_name(a->flavor),
                        vkc_flavor_name(b->flavor));
    if (a->ntensors != b->ntensors)
        return vkc_fail(msg, VKC_ERROR_MISMATCH, "tensor sets differ: %u and %u tensors", a->ntensors, b->ntensors);
    for (uint32_t k = 0; k < b->ntensors; k++) {
        uint32_t i = find_hint(a, b->t[k].name, k);
        if (i == UINT32_MAX) return vkc_fail(msg, VKC_ERROR_MISMATCH, "tensor '%s' is in one state only", b->t[k].name);
        const vkc_state_tensor *x = &a->t[i], *y = &b->t[k];
        if (a->phase == VKC_STATE_HISTOGRAM &&
            (vkc_f32_bits(x->hist_hi) != vkc_f32_bits(y->hist_hi) || vkc_f32_bits(x->hist_lo) != vkc_f32_bits(y->hist_lo) ||
             x->kind != y->kind))
            return vkc_fail(msg, VKC_ERROR_MISMATCH,
                            "tensor '%s': histograms over different ranges (%g and %g): both must be collected over "
                            "the same merged ranges",
                            b->t[k].name, (double)a->t[i].hist_hi, (double)b->t[k].hist_hi);
    }
    for (uint32_t k = 0; k < b->ntensors && a->phase == VKC_STATE_RANGE; k++) {
        /* B10: counts that would wrap at 2^64 are an error, not a small number. */
        const vkc_stats *x = &a->t[find_hint(a, b->t[k].name, k)].st, *y = &b->t[k].st;
        uint64_t c[6];
        if (!vkc_add_u64(x->count, y->count, &c[0]) || !vkc_add_u64(x->zeros, y->zeros, &c[1]) ||
            !vkc_add_u64(x->nan, y->nan, &c[2]) || !vkc_add_u64(x->pos_inf, y->pos_inf, &c[3]) ||
            !vkc_add_u64(x->neg_inf, y->neg_inf, &c[4]) || !vkc_add_u64(c[0], c[2], &c[5]) ||
            !vkc_add_u64(c[5], c[3], &c[5]) || !vkc_add_u64(c[5], c[4], &c[5]))
            return vkc_fail(msg, VKC_ERROR_MISMATCH, "tensor '%s': value counts overflow 64 bits", b->t[k].name);
    }
    for (uint32_t k = 0; k < b->ntensors; k++) {
        vkc_state_tensor *t = &a->t[find_hint(a, b->t[k].name, k)];
        const vkc_state_tensor *y = &b->t[k];
        if (a->phase == VKC_STATE_RANGE) {
            vkc_stats_merge(&t->st, &y->st);
            /* min |x|: NaN (not measured somewhere) stays NaN */
            if (isnan(y->absmin) || y->absmin < t->absmin) t->absmin = y->absmin;
            if (!t->image_elements) t->image_elements = y->image_elements;
            if (!t->hw) t->hw = y->hw;
        } else
            for (uint32_t j = 0; j < a->bins; j++)
                if (!vkc_add_u64(t->counts[j], y->counts[j], &t->counts[j]))
                    return vkc_fail(msg, VKC_ERROR_MISMATCH, "tensor '%s': a count overflows 64 bits", t->name);
    }
    return VKC_OK;
}

void vkc_state_free(vkc_state *s)
{
    for (uint32_t k = 0; s && k < s->ntensors; k++) {
        free(s->t[k].name);
        free(s->t[k].counts);
    }
    if (s) {
        free(s->t);
        memset(s, 0, sizeof *s);
    }
}
