/* Input readers: .npy, .npz and raw float32 sources.
 *
 * 1. The fuzz seed corpus (fuzz/corpus) replays through the fuzz targets'
 *    own code (fuzz/fuzz_readers.h), from memory and from the file: valid
 *    files must read fully, bad_* files must fail with a message naming the
 *    file.
 * 2. Targeted tests build files in a mkdtemp folder: exact conversions,
 *    header versions and errors, npz members against their .npy, CRC,
 *    zip64 and encryption errors, raw sources, streaming in small pieces
 *    across every internal buffer boundary, rewind. Long because every
 *    reader's hostile files are built here, next to the reader's good ones. */
#include "testutil.h"

#include "../fuzz/fuzz_readers.h"
#include "read/npy.h"
#include "read/zip.h"
#include "read/source.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#if defined(__has_include)
#if __has_include("trtcache.h")
#include "write/trtcache.h"
#define HAVE_TRTCACHE 1
#endif
#endif

static char tmpdir[256];

/* ---- helpers ------------------------------------------------------------- */

typedef struct bytes {
    uint8_t *p;
    size_t n, cap;
} bytes;

static void put(bytes *b, const void *src, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    if (n) memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put16(bytes *b, uint32_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(b, x, 2);
}

static void put32(bytes *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(b, x, 4);
}

static void set16(bytes *b, size_t off, uint32_t v)
{
    b->p[off] = (uint8_t)v;
    b->p[off + 1] = (uint8_t)(v >> 8);
}

static void set32(bytes *b, size_t off, uint32_t v)
{
    set16(b, off, v & 0xffff);
    set16(b, off + 2, v >> 16);
}

static uint32_t get32(const bytes *b, size_t off)
{
    return (uint32_t)b->p[off] | (uint32_t)b->p[off + 1] << 8 | (uint32_t)b->p[off + 2] << 16 |
           (uint32_t)b->p[off + 3] << 24;
}

/* An .npy image: version major.0 with dict padded as numpy pads it (to a
 * multiple of 64 bytes, ending in '\n'), then data. hlen_override != 0
 * writes a lying header length. */
static bytes make_npy_v(int major, const char *dict, const void *data, size_t n, uint32_t hlen_override)
{
    bytes b = {0};
    size_t prefix = major == 1 ? 10 : 12, dl = strlen(dict);
    size_t total = prefix + dl + 1;
    size_t pad = (64 - total % 64) % 64;
    put(&b, "\x93NUMPY", 6);
    uint8_t ver[2] = {(uint8_t)major, 0};
    put(&b, ver, 2);
    uint32_t hlen = hlen_override ? hlen_override : (uint32_t)(dl + pad + 1);
    if (major == 1) put16(&b, hlen);
    else put32(&b, hlen);
    put(&b, dict, dl);
    for (size_t i = 0; i < pad; i++) put(&b, " ", 1);
    put(&b, "\n", 1);
    put(&b, data, n);
    return b;
}

static bytes make_npy(const char *descr, const char *shape, const void *data, size_t n)
{
    char dict[256];
    snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
    return make_npy_v(1, dict, data, n, 0);
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        abort();
    }
}

static const char *tmp_path(const char *name)
{
    static char buf[8][512];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

static const char *write_tmp(const char *name, const bytes *b)
{
    const char *p = tmp_path(name);
    write_file(p, b->p, b->n);
    return p;
}

/* A zip built the plain way (no extra fields), with the offsets a test
 * needs to corrupt it. */
typedef struct zmember {
    const char *name;
    const bytes *data;
    int method;
} zmember;

typedef struct zipfile {
    bytes b;
    size_t local[8], central[8], data[8];
    size_t eocd;
} zipfile;

static bytes deflate_raw(const bytes *in)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) abort();
    bytes out = {0};
    out.cap = deflateBound(&z, in->n) + 16;
    out.p = malloc(out.cap);
    z.next_in = in->p;
    z.avail_in = (uInt)in->n;
    z.next_out = out.p;
    z.avail_out = (uInt)out.cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) abort();
    out.n = z.total_out;
    deflateEnd(&z);
    return out;
}

/* local_zip64: 0 plain local headers; 1 a zip64 extra record with the
 * real sizes in both places (numpy's savez); 2 the same with 0xffffffff in
 * the 32-bit fields. */
static zipfile make_zip_ex(const zmember *m, int count, int local_zip64)
{
    zipfile z;
    memset(&z, 0, sizeof z);
    uint32_t crcs[8], csz[8];
    for (int i = 0; i < count; i++) {
        bytes comp = m[i].method == 8 ? deflate_raw(m[i].data) : (bytes){0};
        const bytes *payload = m[i].method == 8 ? &comp : m[i].data;
        crcs[i] = (uint32_t)crc32(0, m[i].data->p, (uInt)m[i].data->n);
        csz[i] = (uint32_t)payload->n;
        z.local[i] = z.b.n;
        put32(&z.b, 0x04034b50);
        put16(&z.b, 20);
        put16(&z.b, 0);
        put16(&z.b, (uint32_t)m[i].method);
        put32(&z.b, 0x00210000); /* 1980-01-01 00:00 */
        put32(&z.b, crcs[i]);
        put32(&z.b, local_zip64 == 2 ? 0xffffffffu : csz[i]);
        put32(&z.b, local_zip64 == 2 ? 0xffffffffu : (uint32_t)m[i].data->n);
        put16(&z.b, (uint32_t)strlen(m[i].name));
        put16(&z.b, local_zip64 ? 20 : 0);
        put(&z.b, m[i].name, strlen(m[i].name));
        if (local_zip64) {
            put16(&z.b, 1);
            put16(&z.b, 16);
            put32(&z.b, (uint32_t)m[i].data->n);
            put32(&z.b, 0);
            put32(&z.b, csz[i]);
            put32(&z.b, 0);
        }
        z.data[i] = z.b.n;
        put(&z.b, payload->p, payload->n);
        free(comp.p);
    }
    size_t cd = z.b.n;
    for (int i = 0; i < count; i++) {
        z.central[i] = z.b.n;
        put32(&z.b, 0x02014b50);
        put16(&z.b, 20);
        put16(&z.b, 20);
        put16(&z.b, 0);
        put16(&z.b, (uint32_t)m[i].method);
        put32(&z.b, 0x00210000);
        put32(&z.b, crcs[i]);
        put32(&z.b, csz[i]);
        put32(&z.b, (uint32_t)m[i].data->n);
        put16(&z.b, (uint32_t)strlen(m[i].name));
        put16(&z.b, 0);
        put16(&z.b, 0);
        put16(&z.b, 0);
        put16(&z.b, 0);
        put32(&z.b, 0);
        put32(&z.b, (uint32_t)z.local[i]);
        put(&z.b, m[i].name, strlen(m[i].name));
    }
    z.eocd = z.b.n;
    put32(&z.b, 0x06054b50);
    put16(&z.b, 0);
    put16(&z.b, 0);
    put16(&z.b, (uint32_t)count);
    put16(&z.b, (uint32_t)count);
    put32(&z.b, (uint32_t)(z.eocd - cd));
    put32(&z.b, (uint32_t)cd);
    put16(&z.b, 0);
    return z;
}

static zipfile make_zip(const zmember *m, int count)
{
    return make_zip_ex(m, count, 0);
}

static int contains(const vkc_msg *m, const char *s)
{
    return strstr(m->text, s) != NULL;
}

/* Opens an .npy file that must fail; checks the status and the message. */
static void expect_npy_error(const char *name, const bytes *b, vkc_status want, const char *text)
{
    const char *path = write_tmp(name, b);
    vkc_source *s = NULL;
    vkc_msg msg = {{0}};
    vkc_status st = vkc_source_open_npy(path, &s, &msg);
    REQUIREF(st == want, "%s: status %d, want %d (%s)", name, st, want, msg.text);
    REQUIREF(s == NULL, "%s", name);
    REQUIREF(contains(&msg, path), "%s: message '%s' lacks the path", name, msg.text);
    REQUIREF(!text || contains(&msg, text), "%s: message '%s' lacks '%s'", name, msg.text, text);
    if (s) vkc_source_close(s);
}

/* Reads a whole source in pieces of `piece` elements through read_f32. */
static vkc_status read_all_f32(vkc_source *s, float *out, uint64_t piece, uint64_t *total, vkc_msg *msg)
{
    uint64_t got;
    *total = 0;
    do {
        vkc_status st = vkc_source_read_f32(s, out + *total, piece, &got, msg);
        if (st != VKC_OK) return st;
        *total += got;
    } while (got > 0);
    return VKC_OK;
}

static vkc_status read_all_raw(vkc_source *s, uint8_t *out, uint64_t piece, uint64_t *total, vkc_msg *msg)
{
    uint64_t got;
    size_t es = vkc_npy_type_size(vkc_source_dtype(s));
    *total = 0;
    do {
        vkc_status st = vkc_source_read_raw(s, out + *total * es, piece, &got, msg);
        if (st != VKC_OK) return st;
        *total += got;
    } while (got > 0);
    return VKC_OK;
}

static int same_bits(const float *a, const float *b, size_t n)
{
    return memcmp(a, b, n * sizeof(float)) == 0;
}

/* ---- 1. corpus replay ---------------------------------------------------- */

typedef vkc_status (*replay_fn)(const char *path, const uint8_t *data, size_t size, vkc_msg *msg);

static vkc_status replay_npy(const char *path, const uint8_t *data, size_t size, vkc_msg *msg)
{
    vkc_status mem = vkc_fuzz_npy(data, size, msg);
    vkc_source *s = NULL;
    vkc_status st = vkc_source_open_npy(path, &s, msg);
    if (st == VKC_OK) {
        st = vkc_fuzz_source(s, msg);
        vkc_source_close(s);
    }
    REQUIREF(st == mem, "%s: from memory %d, from the file %d", path, mem, st);
    return st;
}

static vkc_status replay_npz(const char *path, const uint8_t *data, size_t size, vkc_msg *msg)
{
    vkc_status mem = vkc_fuzz_npz(data, size, msg);
    vkc_npz *z = NULL;
    vkc_status st = vkc_npz_open(path, &z, msg);
    if (st == VKC_OK) {
        st = vkc_fuzz_npz_members(z, path, msg);
        vkc_npz_close(z);
    }
    REQUIREF(st == mem, "%s: from memory %d, from the file %d", path, mem, st);
    return st;
}

#ifdef HAVE_TRTCACHE
static vkc_status replay_trtcache(const char *path, const uint8_t *data, size_t size, vkc_msg *msg)
{
    /* Another module's parser: only "no crash, no leak" is asserted here,
     * under the sanitizers, on an exact-size copy so overreads show. */
    (void)path;
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    vkc_trtcache c;
    memset(&c, 0, sizeof c);
    (void)vkc_trtcache_parse((const char *)copy, size, &c, msg);
    vkc_trtcache_free(&c);
    free(copy);
    return VKC_OK;
}
#endif

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every file of corpus/<kind>; returns how many. */
static int replay_dir(const char *kind, replay_fn fn, int check_names)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/fuzz/corpus/%s", VKC_SOURCE_DIR, kind);
    DIR *d = opendir(dir);
    REQUIREF(d != NULL, "cannot list %s", dir);
    if (!d) return 0;
    char *names[1024];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 1024)
        if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp_str);
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t size = 0;
        uint8_t *data = vkc_test_read_file(path, &size);
        REQUIREF(data != NULL, "cannot read %s", path);
        if (data) {
            vkc_msg msg = {{0}};
            vkc_status st = fn(path, data, size, &msg);
            /* Crashers found by fuzzing (crash-*) are all bad input too. */
            int bad = strncmp(names[i], "bad_", 4) == 0 || strncmp(names[i], "crash-", 6) == 0;
            if (check_names && bad) {
                REQUIREF(st != VKC_OK, "%s was accepted", path);
                REQUIREF(contains(&msg, path), "%s: message '%s' lacks the path", path, msg.text);
            } else if (check_names) {
                REQUIREF(st == VKC_OK, "%s: %s", path, msg.text);
            }
            free(data);
        }
        free(names[i]);
    }
    return n;
}

static void test_corpus(void)
{
    int n = replay_dir("npy", replay_npy, 1);
    REQUIREF(n >= 30, "%d npy seeds", n);
    n = replay_dir("npz", replay_npz, 1);
    REQUIREF(n >= 15, "%d npz seeds", n);
#ifdef HAVE_TRTCACHE
    n = replay_dir("trtcache", replay_trtcache, 0);
    REQUIREF(n >= 5, "%d trtcache seeds", n);
#endif
}

/* The corpus's numpy-written files, read back, hold what make_corpus.py
 * wrote into them. */
static void test_corpus_values(void)
{
    static const float want32[6] = {0.5f, -1.25f, 3.0f, 1e-30f, -0.0f, 65504.0f};
    const char *names[3] = {"f32_v1.npy", "f32_v2.npy", "f32_v3.npy"};
    for (int v = 0; v < 3; v++) {
        char path[512];
        snprintf(path, sizeof path, "%s/fuzz/corpus/npy/%s", VKC_SOURCE_DIR, names[v]);
        vkc_source *s = NULL;
        vkc_msg msg;
        float got[8];
        uint64_t n = 0;
        REQUIREF(vkc_source_open_npy(path, &s, &msg) == VKC_OK, "%s", msg.text);
        if (!s) continue;
        const vkc_npy_header *h = vkc_source_header(s);
        REQUIRE_CMP(h->ndim, ==, 2);
        REQUIRE_CMP(h->shape[0], ==, 2);
        REQUIRE_CMP(h->shape[1], ==, 3);
        REQUIRE_CMP(h->count, ==, 6);
        REQUIRE(h->data_offset == (v == 0 ? 128u : 192u) || h->data_offset % 64 == 0);
        REQUIRE_CMP(read_all_f32(s, got, 8, &n, &msg), ==, VKC_OK);
        REQUIRE_CMP(n, ==, 6);
        REQUIRE(same_bits(got, want32, 6));
        vkc_source_close(s);
    }
    /* savez and savez_compressed of the same three arrays. */
    const char *zips[2] = {"savez_stored.npz", "savez_deflated.npz"};
    for (int k = 0; k < 2; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/fuzz/corpus/npz/%s", VKC_SOURCE_DIR, zips[k]);
        vkc_npz *z = NULL;
        vkc_msg msg;
        REQUIREF(vkc_npz_open(path, &z, &msg) == VKC_OK, "%s", msg.text);
        if (!z) continue;
        REQUIRE_CMP(vkc_npz_count(z), ==, 3);
        REQUIRE_CMP(vkc_npz_find(z, "a"), ==, 0);
        REQUIRE_CMP(vkc_npz_find(z, "conv1/out"), ==, 1);
        REQUIRE_CMP(vkc_npz_find(z, "c"), ==, 2);
        REQUIRE_CMP(vkc_npz_find(z, "a.npy"), ==, UINT32_MAX);
        vkc_source *s = NULL;
        float got[16];
        uint64_t n = 0;
        REQUIREF(vkc_npz_source(z, 0, &s, &msg) == VKC_OK, "%s", msg.text);
        if (s) {
            REQUIRE_CMP(read_all_f32(s, got, 4, &n, &msg), ==, VKC_OK);
            REQUIRE_CMP(n, ==, 6);
            REQUIRE(same_bits(got, want32, 6));
            REQUIRE_CMP(strstr(vkc_source_name(s), "[a.npy]"), !=, NULL);
            vkc_source_close(s);
        }
        REQUIREF(vkc_npz_source(z, 1, &s, &msg) == VKC_OK, "%s", msg.text);
        if (s) {
            REQUIRE_CMP(vkc_source_dtype(s), ==, VKC_DT_F16);
            REQUIRE_CMP(vkc_source_count(s), ==, 10);
            REQUIRE_CMP(read_all_f32(s, got, 3, &n, &msg), ==, VKC_OK);
            REQUIRE_CMP(n, ==, 10);
            REQUIRE_CMP(got[0], ==, 0.0f);
            REQUIRE_CMP(got[1], ==, 1.0f);
            REQUIRE_CMP(got[2], ==, -2.0f);
            REQUIRE_CMP(got[6], ==, 65504.0f);
            REQUIRE(isinf(got[7]));
            REQUIRE_CMP(got[7], >, 0);
            REQUIRE(isinf(got[8]));
            REQUIRE_CMP(got[8], <, 0);
            REQUIRE(isnan(got[9]));
            vkc_source_close(s);
        }
        vkc_npz_close(z);
    }
}

/* ---- 2. conversions -------------------------------------------------------- */

/* float16 by its definition, independent of vkc_half_to_float. */
static float half_reference(uint16_t h)
{
    int sign = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v;
    if (e == 31) {
        uint32_t bits = (uint32_t)sign << 31 | 0x7f800000u | (uint32_t)m << 13;
        return vkc_bits_f32(bits);
    }
    v = e == 0 ? ldexp(m, -24) : ldexp(1024 + m, e - 25);
    return (float)(sign ? -v : v);
}

static void test_f16_all(void)
{
    uint8_t *data = malloc(65536 * 2);
    float *want = malloc(65536 * sizeof(float)), *got = malloc(65536 * sizeof(float));
    for (uint32_t i = 0; i < 65536; i++) {
        data[2 * i] = (uint8_t)i;
        data[2 * i + 1] = (uint8_t)(i >> 8);
        want[i] = half_reference((uint16_t)i);
    }
    vkc_convert_to_f32(VKC_DT_F16, data, 65536, got);
    REQUIRE(same_bits(got, want, 65536));
    REQUIRE_CMP(got[1], ==, 0x1p-24f);
    REQUIRE_CMP(got[0x3ff], ==, 0x3ffp-24f);
    REQUIRE_CMP(got[0x8001], ==, -0x1p-24f);
    REQUIRE_CMP(vkc_f32_bits(got[0x8000]), ==, 0x80000000u);
    REQUIRE(isinf(got[0x7c00]));
    REQUIRE(isnan(got[0x7e00]));
    REQUIRE(isnan(got[0xfc01]));

    /* The same through a file, in odd pieces with a 5-byte buffer. */
    bytes b = make_npy("<f2", "(256, 256)", data, 65536 * 2);
    const char *path = write_tmp("all_f16.npy", &b);
    vkc_source *s = NULL;
    vkc_msg msg;
    uint64_t n = 0;
    REQUIREF(vkc_source_open_npy(path, &s, &msg) == VKC_OK, "%s", msg.text);
    if (s) {
        memset(got, 0, 65536 * sizeof(float));
        REQUIRE_CMP(vkc_source_set_chunk_bytes(s, 5, &msg), ==, VKC_OK);
        REQUIRE_CMP(read_all_f32(s, got, 999, &n, &msg), ==, VKC_OK);
        REQUIRE_CMP(n, ==, 65536);
        REQUIRE(same_bits(got, want, 65536));
        vkc_source_close(s);
    }
    free(b.p);
    free(data);
    free(want);
    free(got);
}

/* Is r the float nearest d, ties to even? Checked against both neighbours
 * in double, which holds every float and every midpoint exactly. */
static int is_nearest(double d, float r)
{
    if (isnan(d)) return isnan(r);
    if (isinf(r)) {
        /* Overflow: d must be at or past FLT_MAX + half an ulp. */
        return (r > 0) ? d >= 0x1.ffffffp127 : d <= -0x1.ffffffp127;
    }
    float up = nextafterf(r, INFINITY), down = nextafterf(r, -INFINITY);
    double e = fabs(d - r);
    double eu = isinf(up) ? INFINITY : fabs(d - up), ed = isinf(down) ? INFINITY : fabs(d - down);
    if (e > eu || e > ed) return 0;
    if (e == eu || e == ed) return (vkc_f32_bits(r) & 1) == 0; /* a tie goes to even */
    return 1;
}

static void test_f64_rounding(void)
{
    double v[] = {1.0 / 3.0, 0.1, -0.0, 1e300, -1e300, 0x1.ffffffp127, 0x1.fffffefffffffp127, 0x1.fffffep127,
                  1e-320, 0x1p-149, 0x1p-150, 0x1.8p-150, 1 + 0x1p-24, 1 + 0x3p-24, 1 + 0x1p-24 + 0x1p-52,
                  NAN, INFINITY, -INFINITY, 65504.0, -3.4028235e38};
    enum { NV = sizeof v / sizeof v[0], NR = 4000 };
    double all[NV + NR];
    memcpy(all, v, sizeof v);
    vkc_rng rng = {42};
    for (int i = 0; i < NR; i++) {
        /* Random bit patterns cover every exponent; every 4th is a midpoint. */
        uint64_t bits = vkc_rng_next(&rng);
        if (i % 4 == 0) bits = (bits & ~0x1fffffffull) | 0x10000000ull;
        memcpy(&all[NV + i], &bits, 8);
    }
    uint8_t raw[(NV + NR) * 8];
    for (int i = 0; i < NV + NR; i++) {
        uint64_t u;
        memcpy(&u, &all[i], 8);
        for (int k = 0; k < 8; k++) raw[8 * i + k] = (uint8_t)(u >> (8 * k));
    }
    float got[NV + NR];
    vkc_convert_to_f32(VKC_DT_F64, raw, NV + NR, got);
    int bad = 0;
    for (int i = 0; i < NV + NR; i++)
        if (!is_nearest(all[i], got[i])) {
            if (bad++ < 5) fprintf(stderr, "f64 %a -> %a is not nearest\n", all[i], (double)got[i]);
        }
    REQUIRE_CMP(bad, ==, 0);
    REQUIRE(isinf(got[5]));
    REQUIRE_CMP(got[6], ==, 0x1.fffffep127f);
    REQUIRE_CMP(got[7], ==, 0x1.fffffep127f);
    REQUIRE_CMP(got[9], ==, 0x1p-149f);
    REQUIRE_CMP(got[10], ==, 0.0f);
    REQUIRE_CMP(got[11], ==, 0x1p-149f);
    REQUIRE_CMP(got[12], ==, 1.0f);
    REQUIRE_CMP(got[13], ==, 1.0f + 0x1p-22f);
    REQUIRE_CMP(got[14], ==, 1.0f + 0x1p-23f);
    REQUIRE_CMP(vkc_f32_bits(got[2]), ==, 0x80000000u);
}

static void test_f32_and_ints(void)
{
    /* float32 is bit-exact, NaN payloads included. */
    uint32_t bits[5] = {0x7fc00001u, 0xff800000u, 0x00000001u, 0x80000000u, 0x3f800000u};
    uint8_t raw[20];
    for (int i = 0; i < 5; i++)
        for (int k = 0; k < 4; k++) raw[4 * i + k] = (uint8_t)(bits[i] >> (8 * k));
    float f[5];
    vkc_convert_to_f32(VKC_DT_F32, raw + 0, 5, f);
    for (int i = 0; i < 5; i++) REQUIRE_CMP(vkc_f32_bits(f[i]), ==, bits[i]);

    /* Integers to float32 and to counts. */
    uint8_t i4[12] = {7, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0xfe, 0xff, 0xff, 0xff};
    vkc_convert_to_f32(VKC_DT_I32, i4, 3, f);
    REQUIRE_CMP(f[0], ==, 7.0f);
    REQUIRE_CMP(f[1], ==, 2147483648.0f);
    REQUIRE_CMP(f[2], ==, -2.0f);
    uint64_t u[4];
    vkc_msg msg = {{0}};
    REQUIRE_CMP(vkc_convert_to_u64(VKC_DT_I32, i4, 2, u, &msg), ==, VKC_OK);
    REQUIRE_CMP(u[0], ==, 7);
    REQUIRE_CMP(u[1], ==, 2147483647u);
    REQUIRE_CMP(vkc_convert_to_u64(VKC_DT_I32, i4, 3, u, &msg), ==, VKC_ERROR_FORMAT);
    REQUIRE(contains(&msg, "element 2"));
    uint8_t u8[16];
    memset(u8, 0xff, 16);
    REQUIRE_CMP(vkc_convert_to_u64(VKC_DT_U64, u8, 2, u, &msg), ==, VKC_OK);
    REQUIRE_CMP(u[1], ==, UINT64_MAX);
    REQUIRE_CMP(vkc_convert_to_u64(VKC_DT_I64, u8, 2, u, &msg), ==, VKC_ERROR_FORMAT);
    REQUIRE(contains(&msg, "-1"));
    vkc_convert_to_f32(VKC_DT_U64, u8, 1, f);
    REQUIRE_CMP(f[0], ==, 0x1p64f);
    REQUIRE_CMP(vkc_convert_to_u64(VKC_DT_U8, u8, 3, u, &msg), ==, VKC_OK);
    REQUIRE_CMP(u[2], ==, 255);

    /* Float counts: integers only, -0 is 0, 2^64 is out of range. */
    double d[6] = {3.0, -0.0, 0x1p63, 2.5, 0x1p64, NAN};
    uint8_t draw[48];
    for (int i = 0; i < 6; i++) {
        uint64_t bitsd;
        memcpy(&bitsd, &d[i], 8);
        for (int k = 0; k < 8; k++) draw[8 * i + k] = (uint8_t)(bitsd >> (8 * k));
    }
    REQUIRE_CMP(vkc_convert_to_u64(VKC_DT_F64, draw, 3, u, &msg), ==, VKC_OK);
    REQUIRE_CMP(u[0], ==, 3);
    REQUIRE_CMP(u[1], ==, 0);
    REQUIRE_CMP(u[2], ==, (1ull << 63));
    for (int i = 3; i < 6; i++)
        REQUIREF(vkc_convert_to_u64(VKC_DT_F64, draw + 8 * i, 1, u, &msg) == VKC_ERROR_FORMAT, "%d", i);
    REQUIRE_CMP(vkc_convert_to_u64_at(VKC_DT_F64, draw + 24, 1, 1000, u, &msg), ==, VKC_ERROR_FORMAT);
    REQUIRE(contains(&msg, "element 1000"));
    uint8_t h[4] = {0x00, 0x3e, 0x00, 0xbc}; /* 1.5, -1.0 in float16 */
    REQUIRE_CMP(vkc_convert_to_u64(VKC_DT_F16, h, 1, u, &msg), ==, VKC_ERROR_FORMAT);
    REQUIRE_CMP(vkc_convert_to_u64(VKC_DT_F16, h + 2, 1, u, &msg), ==, VKC_ERROR_FORMAT);

    REQUIRE_CMP(vkc_npy_type_size(VKC_DT_F16), ==, 2);
    REQUIRE_CMP(vkc_npy_type_size(VKC_DT_U64), ==, 8);
    REQUIRE_CMP(vkc_npy_type_size(VKC_DT_U8), ==, 1);
    REQUIRE_CMP(strcmp(vkc_npy_type_name(VKC_DT_F64), "<f8"), ==, 0);
    REQUIRE_CMP(strcmp(vkc_npy_type_name(VKC_DT_U8), "|u1"), ==, 0);
}

/* Each dtype read through a file source: counts via read_u64 too. */
static void test_dtypes_through_files(void)
{
    static const struct { const char *descr; vkc_npy_type dt; } t[] = {
        {"<f4", VKC_DT_F32}, {"<f2", VKC_DT_F16}, {"<f8", VKC_DT_F64}, {"|u1", VKC_DT_U8},
        {"<i4", VKC_DT_I32}, {"<i8", VKC_DT_I64}, {"<u8", VKC_DT_U64},
    };
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
        size_t es = vkc_npy_type_size(t[k].dt);
        uint8_t data[40 * 8];
        /* Values 0..39 in each dtype. */
        for (int i = 0; i < 40; i++) {
            uint64_t bits = (uint64_t)i;
            if (t[k].dt == VKC_DT_F32) bits = vkc_f32_bits((float)i);
            if (t[k].dt == VKC_DT_F64) {
                double d = i;
                memcpy(&bits, &d, 8);
            }
            if (t[k].dt == VKC_DT_F16 && i > 0) {
                /* i = 2^e * (1 + m/2^e): exponent e + 15, mantissa m
                 * shifted into the top of the 10 bits. */
                int e = 0;
                while ((i >> (e + 1)) != 0) e++;
                bits = (uint64_t)((e + 15) << 10 | ((i - (1 << e)) << (10 - e)));
            }
            for (size_t b = 0; b < es; b++) data[i * es + b] = (uint8_t)(bits >> (8 * b));
        }
        bytes npy = make_npy(t[k].descr, "(4, 10)", data, 40 * es);
        char name[32];
        snprintf(name, sizeof name, "dtype_%zu.npy", k);
        const char *path = write_tmp(name, &npy);
        vkc_source *s = NULL;
        vkc_msg msg;
        REQUIREF(vkc_source_open_npy(path, &s, &msg) == VKC_OK, "%s", msg.text);
        if (s) {
            float f[40];
            uint64_t u[40], n = 0, got = 0;
            REQUIRE_CMP(vkc_source_dtype(s), ==, t[k].dt);
            REQUIRE_CMP(vkc_source_count(s), ==, 40);
            REQUIRE_CMP(read_all_f32(s, f, 7, &n, &msg), ==, VKC_OK);
            REQUIRE_CMP(n, ==, 40);
            int ok = 1;
            for (int i = 0; i < 40; i++) ok &= f[i] == (float)i;
            REQUIREF(ok, "%s", t[k].descr);
            REQUIRE_CMP(vkc_source_rewind(s, &msg), ==, VKC_OK);
            REQUIRE_CMP(vkc_source_read_u64(s, u, 40, &got, &msg), ==, VKC_OK);
            REQUIRE_CMP(got, ==, 40);
            ok = 1;
            for (int i = 0; i < 40; i++) ok &= u[i] == (uint64_t)i;
            REQUIREF(ok, "%s counts", t[k].descr);
            vkc_source_close(s);
        }
        free(npy.p);
    }
}

/* ---- 3. headers -------------------------------------------------------------- */

static void test_versions(void)
{
    float v[3] = {1.5f, -2.0f, 0.25f};
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
    for (int major = 1; major <= 3; major++) {
        bytes b = make_npy_v(major, dict, v, sizeof v, 0);
        char name[32];
        snprintf(name, sizeof name, "version_%d.npy", major);
        const char *path = write_tmp(name, &b);
        vkc_source *s = NULL;
        vkc_msg msg;
        float got[3];
        uint64_t n = 0;
        REQUIREF(vkc_source_open_npy(path, &s, &msg) == VKC_OK, "v%d: %s", major, msg.text);
        if (s) {
            REQUIRE_CMP(vkc_source_header(s)->data_offset, ==, 128);
            REQUIRE_CMP(read_all_f32(s, got, 2, &n, &msg), ==, VKC_OK);
            REQUIRE_CMP(n, ==, 3);
            REQUIRE(same_bits(got, v, 3));
            vkc_source_close(s);
        }
        free(b.p);
    }
    bytes b = make_npy_v(4, dict, v, sizeof v, 0);
    expect_npy_error("version_4.npy", &b, VKC_ERROR_FORMAT, "version 4.0");
    free(b.p);

    /* Header forms numpy writes or accepts. */
    static const char *ok[] = {
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)}",
        "{\"shape\": (3,), \"descr\": \"<f4\", \"fortran_order\": False}",
        "{'descr':'<f4','fortran_order':False,'shape':(3L,),}",
        "{ 'descr' : '<f4' , 'fortran_order' : False , 'shape' : ( 3 , ) , }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 1, 1,), }",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        bytes h = make_npy_v(1, ok[i], v, sizeof v, 0);
        vkc_npy_header hd;
        vkc_msg msg;
        REQUIREF(vkc_npy_parse_header(h.p, h.n, h.n, &hd, &msg) == VKC_OK, "%s: %s", ok[i], msg.text);
        REQUIRE_CMP(hd.count, ==, 3);
        free(h.p);
    }
    /* Scalars are one element; a zero dimension makes an empty tensor. */
    bytes sc = make_npy("<f4", "()", v, 4);
    vkc_npy_header hd;
    vkc_msg msg;
    REQUIRE_CMP(vkc_npy_parse_header(sc.p, sc.n, sc.n, &hd, &msg), ==, VKC_OK);
    REQUIRE_CMP(hd.ndim, ==, 0);
    REQUIRE_CMP(hd.count, ==, 1);
    free(sc.p);
    bytes em = make_npy("<f4", "(0, 9223372036854775807)", NULL, 0);
    REQUIRE_CMP(vkc_npy_parse_header(em.p, em.n, em.n, &hd, &msg), ==, VKC_OK);
    REQUIRE_CMP(hd.count, ==, 0);
    REQUIRE_CMP(hd.data_bytes, ==, 0);
    const char *path = write_tmp("empty.npy", &em);
    vkc_source *s = NULL;
    REQUIRE_CMP(vkc_source_open_npy(path, &s, &msg), ==, VKC_OK);
    if (s) {
        float f;
        uint64_t got = 1;
        REQUIRE_CMP(vkc_source_read_f32(s, &f, 1, &got, &msg), ==, VKC_OK);
        REQUIRE_CMP(got, ==, 0);
        REQUIRE_CMP(vkc_source_rewind(s, &msg), ==, VKC_OK);
        vkc_source_close(s);
    }
    free(em.p);

    /* A buffer shorter than the header is the caller's problem, not the file's. */
    bytes full = make_npy("<f4", "(3,)", v, sizeof v);
    REQUIRE_CMP(vkc_npy_parse_header(full.p, 20, full.n, &hd, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    uint64_t hb = 0;
    REQUIRE_CMP(vkc_npy_header_bytes(full.p, 12, full.n, &hb, &msg), ==, VKC_OK);
    REQUIRE_CMP(hb, ==, full.n - 12);
    free(full.p);
}

static void test_header_errors(void)
{
    float v[4] = {0};
    struct { const char *name, *descr, *shape, *text; size_t n; } t[] = {
        {"big_endian.npy", ">f4", "(4,)", "big-endian", 16},
        {"big_endian8.npy", ">f8", "(2,)", "big-endian", 16},
        {"complex.npy", "<c8", "(2,)", "unsupported dtype", 16},
        {"bool.npy", "|b1", "(4,)", "unsupported dtype", 4},
        {"shape_overflow.npy", "<f4", "(4294967296, 4294967296, 2)",
         "element count overflows 64 bits (shape (4294967296, 4294967296, 2), <f4)", 16},
        {"bytes_overflow.npy", "<f8", "(4611686018427387904,)", "overflow", 16},
        {"not_tuple.npy", "<f4", "4", "not a tuple", 16},
        {"paren_int.npy", "<f4", "(4)", "not a tuple", 16},
        {"negative.npy", "<f4", "(-4,)", "non-negative", 16},
        {"float_dim.npy", "<f4", "(4.0,)", "expected ','", 16},
        {"too_big_dim.npy", "<f4", "(9223372036854775808,)", "too large", 16},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        bytes b = make_npy(t[i].descr, t[i].shape, v, t[i].n);
        expect_npy_error(t[i].name, &b, VKC_ERROR_FORMAT, t[i].text);
        free(b.p);
    }
    bytes f = make_npy_v(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", v, 16, 0);
    expect_npy_error("fortran.npy", &f, VKC_ERROR_FORMAT, "Fortran");
    free(f.p);
    char dims[400] = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
    for (int i = 0; i < 33; i++) strcat(dims, "1, ");
    strcat(dims, "), }");
    bytes d = make_npy_v(1, dims, v, 4, 0);
    expect_npy_error("33dims.npy", &d, VKC_ERROR_FORMAT, "32 dimensions");
    free(d.p);
    static const char *dicts[][2] = {
        {"{'descr': '<f4', 'shape': (4,), }", "missing 'fortran_order'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'x': 1}", "unexpected key 'x'"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (4,)}", "repeated"},
        {"{'descr': '<f4', 'fortran_order': 0, 'shape': (4,)}", "True or False"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4,)} junk", "after the dictionary"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4,)", "expected ',' or '}'"},
        {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,)}", "structured"},
        {"{'descr': '<f\\x34', 'fortran_order': False, 'shape': (4,)}", "unsupported character"},
        {"{'descr': '<f4", "unterminated string"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'descr\n': 1}", "unsupported character"},
    };
    for (size_t i = 0; i < sizeof dicts / sizeof dicts[0]; i++) {
        bytes b = make_npy_v(1, dicts[i][0], v, 16, 0);
        char name[32];
        snprintf(name, sizeof name, "dict_%zu.npy", i);
        expect_npy_error(name, &b, VKC_ERROR_FORMAT, dicts[i][1]);
        free(b.p);
    }
    /* Not .npy at all; truncated inside the fixed prefix. */
    bytes junk = {0};
    put(&junk, "PK\3\4 not an npy file", 21);
    expect_npy_error("junk.npy", &junk, VKC_ERROR_FORMAT, "bad magic");
    junk.n = 7;
    memcpy(junk.p, "\x93NUMPY\1", 7);
    expect_npy_error("tiny.npy", &junk, VKC_ERROR_FORMAT, "too short");
    junk.n = 0;
    expect_npy_error("zero.npy", &junk, VKC_ERROR_FORMAT, "too short");
    free(junk.p);
}

static void test_header_length(void)
{
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }";
    float v = 1.0f;
    /* A lying length: past the end of the file, and past the cap. */
    bytes past = make_npy_v(1, dict, &v, 4, 4000);
    expect_npy_error("hlen_past_end.npy", &past, VKC_ERROR_FORMAT, "past the end");
    free(past.p);
    bytes huge = make_npy_v(2, dict, &v, 4, 0xffffffffu);
    expect_npy_error("hlen_huge.npy", &huge, VKC_ERROR_FORMAT, "exceeds the limit");
    free(huge.p);

    /* Exactly at the cap (1 MiB of header, mostly padding) is accepted;
     * one byte more is not. */
    size_t cap = VKC_NPY_MAX_HEADER;
    char *big = malloc(cap + 1);
    memset(big, ' ', cap);
    memcpy(big, dict, strlen(dict));
    big[cap - 1] = '\n';
    bytes b = {0};
    put(&b, "\x93NUMPY\2\0", 8);
    put32(&b, (uint32_t)cap);
    put(&b, big, cap);
    put(&b, &v, 4);
    const char *path = write_tmp("hlen_cap.npy", &b);
    vkc_source *s = NULL;
    vkc_msg msg;
    REQUIREF(vkc_source_open_npy(path, &s, &msg) == VKC_OK, "%s", msg.text);
    if (s) {
        float f = 0;
        uint64_t got = 0;
        REQUIRE_CMP(vkc_source_read_f32(s, &f, 1, &got, &msg), ==, VKC_OK);
        REQUIRE_CMP(got, ==, 1);
        REQUIRE_CMP(f, ==, 1.0f);
        vkc_source_close(s);
    }
    free(b.p);
    memset(&b, 0, sizeof b);
    put(&b, "\x93NUMPY\2\0", 8);
    put32(&b, (uint32_t)cap + 1);
    big[cap - 1] = ' ';
    big[cap] = '\n';
    put(&b, big, cap + 1);
    put(&b, &v, 4);
    expect_npy_error("hlen_cap1.npy", &b, VKC_ERROR_FORMAT, "exceeds the limit");
    free(b.p);
    free(big);
}

static void test_data_length(void)
{
    float v[1024];
    for (int i = 0; i < 1024; i++) v[i] = (float)i;
    bytes b = make_npy("<f4", "(1, 1024)", v, 4000);
    expect_npy_error("short.npy", &b, VKC_ERROR_FORMAT,
                     "data is 4000 bytes, header declares 4096 (shape (1, 1024), <f4)");
    free(b.p);
    b = make_npy("<f2", "(3,)", v, 8);
    expect_npy_error("long.npy", &b, VKC_ERROR_FORMAT, "data is 8 bytes, header declares 6 (shape (3,), <f2)");
    free(b.p);

    /* A file cut short after opening: the read fails, naming the file. */
    b = make_npy("<f4", "(1024,)", v, 4096);
    const char *path = write_tmp("shrinks.npy", &b);
    vkc_source *s = NULL;
    vkc_msg msg;
    REQUIRE_CMP(vkc_source_open_npy(path, &s, &msg), ==, VKC_OK);
    if (s) {
        float f[1024];
        uint64_t got = 7;
        REQUIRE_CMP(truncate(path, 1000), ==, 0);
        vkc_status st = vkc_source_read_f32(s, f, 1024, &got, &msg);
        REQUIREF(st == VKC_ERROR_IO && got == 0 && contains(&msg, path), "%d %s", st, msg.text);
        /* Reads fail until a rewind. */
        REQUIRE_CMP(vkc_source_read_f32(s, f, 1, &got, &msg), ==, VKC_ERROR_IO);
        REQUIRE(contains(&msg, path));
        vkc_source_close(s);
    }
    free(b.p);

    vkc_source *none = NULL;
    REQUIRE_CMP(vkc_source_open_npy(tmp_path("missing.npy"), &none, &msg), ==, VKC_ERROR_IO);
    REQUIRE(contains(&msg, "missing.npy"));
    REQUIRE_CMP(none, ==, NULL);
    REQUIRE_CMP(vkc_source_open_npy(tmpdir, &none, &msg), !=, VKC_OK);
    REQUIRE(contains(&msg, tmpdir));
}

/* ---- 4. raw float32 -------------------------------------------------------- */

static void test_raw(void)
{
    float v[10];
    for (int i = 0; i < 10; i++) v[i] = (float)i * 0.5f;
    bytes b = {0};
    put(&b, v, sizeof v);
    const char *path = write_tmp("acts.f32", &b);
    vkc_source *s = NULL;
    vkc_msg msg;
    REQUIREF(vkc_source_open_raw(path, 10, &s, &msg) == VKC_OK, "%s", msg.text);
    if (s) {
        float got[10];
        uint64_t n = 0;
        REQUIRE_CMP(vkc_source_count(s), ==, 10);
        REQUIRE_CMP(vkc_source_dtype(s), ==, VKC_DT_F32);
        REQUIRE_CMP(read_all_f32(s, got, 3, &n, &msg), ==, VKC_OK);
        REQUIRE_CMP(n, ==, 10);
        REQUIRE(same_bits(got, v, 10));
        REQUIRE_CMP(vkc_source_rewind(s, &msg), ==, VKC_OK);
        REQUIRE_CMP(read_all_f32(s, got, 4, &n, &msg), ==, VKC_OK);
        REQUIRE_CMP(n, ==, 10);
        REQUIRE(same_bits(got, v, 10));
        vkc_source_close(s);
    }
    s = NULL;
    REQUIRE_CMP(vkc_source_open_raw(path, 11, &s, &msg), ==, VKC_ERROR_FORMAT);
    REQUIRE_CMP(s, ==, NULL);
    REQUIREF(contains(&msg, path) && contains(&msg, "40 bytes"), "%s", msg.text);
    REQUIRE_CMP(vkc_source_open_raw(path, 9, &s, &msg), ==, VKC_ERROR_FORMAT);
    REQUIRE(contains(&msg, path));
    REQUIRE_CMP(vkc_source_open_raw(path, UINT64_MAX, &s, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE(contains(&msg, path));
    free(b.p);
}

/* ---- 5. npz ------------------------------------------------------------------- */

/* Expected contents of each member, for the npz tests. */
typedef struct tensor {
    const char *name;
    bytes npy;
    float values[300];
    uint64_t count;
} tensor;

static void make_tensors(tensor *t)
{
    vkc_rng rng = {7};
    /* 300 float32, 200 float16, 150 float64: data sections not multiples
     * of the small buffer sizes used below. */
    float f32[300];
    uint16_t f16[200];
    double f64[150];
    for (int i = 0; i < 300; i++) f32[i] = (float)vkc_rng_normal(&rng);
    for (int i = 0; i < 200; i++) f16[i] = (uint16_t)(vkc_rng_next(&rng) & 0x7bff); /* finite */
    for (int i = 0; i < 150; i++) f64[i] = vkc_rng_normal(&rng) * 1e3;
    t[0].name = "conv1.npy";
    t[0].npy = make_npy("<f4", "(3, 100)", f32, sizeof f32);
    t[0].count = 300;
    memcpy(t[0].values, f32, sizeof f32);
    t[1].name = "block/relu.npy";
    t[1].npy = make_npy("<f2", "(200,)", f16, sizeof f16);
    t[1].count = 200;
    for (int i = 0; i < 200; i++) t[1].values[i] = vkc_half_to_float(f16[i]);
    t[2].name = "fc";
    t[2].npy = make_npy("<f8", "(2, 75)", f64, sizeof f64);
    t[2].count = 150;
    for (int i = 0; i < 150; i++) t[2].values[i] = (float)f64[i];
}

/* Reads member i fully with the given piece and buffer size and compares
 * floats and raw bytes with the tensor; twice, with a rewind between. */
static void check_member(vkc_npz *z, uint32_t i, const tensor *t, uint64_t piece, size_t chunk, const char *what)
{
    vkc_source *s = NULL;
    vkc_msg msg;
    REQUIREF(vkc_npz_source(z, i, &s, &msg) == VKC_OK, "%s: %s", what, msg.text);
    if (!s) return;
    if (chunk) REQUIRE_CMP(vkc_source_set_chunk_bytes(s, chunk, &msg), ==, VKC_OK);
    const vkc_npy_header *h = vkc_source_header(s);
    float f[300];
    uint8_t raw[2400];
    uint64_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        memset(f, 0, sizeof f);
        vkc_status st = read_all_f32(s, f, piece, &n, &msg);
        REQUIREF(st == VKC_OK && n == t->count && same_bits(f, t->values, t->count), "%s piece %llu chunk %zu: %s",
                 what, (unsigned long long)piece, chunk, msg.text);
        REQUIRE_CMP(vkc_source_rewind(s, &msg), ==, VKC_OK);
    }
    vkc_status st = read_all_raw(s, raw, piece, &n, &msg);
    REQUIREF(st == VKC_OK && n == t->count && memcmp(raw, t->npy.p + h->data_offset, h->data_bytes) == 0,
             "%s raw: %s", what, msg.text);
    vkc_source_close(s);
}

static void test_npz_contents(void)
{
    tensor t[3];
    make_tensors(t);
    for (int method = 0; method <= 8; method += 8) {
        zmember m[3];
        for (int i = 0; i < 3; i++) m[i] = (zmember){t[i].name, &t[i].npy, method};
        zipfile zf = make_zip(m, 3);
        const char *path = write_tmp(method ? "deflated.npz" : "stored.npz", &zf.b);
        vkc_npz *from_file = NULL, *from_mem = NULL;
        vkc_msg msg;
        REQUIREF(vkc_npz_open(path, &from_file, &msg) == VKC_OK, "%s", msg.text);
        REQUIREF(vkc_npz_open_mem(zf.b.p, zf.b.n, &from_mem, &msg) == VKC_OK, "%s", msg.text);
        if (from_file && from_mem) {
            REQUIRE_CMP(vkc_npz_count(from_file), ==, 3);
            REQUIRE_CMP(vkc_npz_count(from_mem), ==, 3);
            REQUIRE_CMP(strcmp(vkc_npz_key(from_file, 0), "conv1"), ==, 0);
            REQUIRE_CMP(strcmp(vkc_npz_key(from_file, 1), "block/relu"), ==, 0);
            REQUIRE_CMP(strcmp(vkc_npz_key(from_file, 2), "fc"), ==, 0); /* no .npy suffix to strip */
            REQUIRE_CMP(vkc_npz_key(from_file, 3), ==, NULL);
            /* Pieces of 1, 7, 64 and all elements; internal buffers of 1,
             * 3, 13 bytes and the default: every boundary gets crossed. */
            const uint64_t pieces[] = {1, 7, 64, 1000};
            const size_t chunks[] = {1, 3, 13, 0};
            for (uint32_t i = 0; i < 3; i++)
                for (int p = 0; p < 4; p++)
                    for (int c = 0; c < 4; c++) {
                        char what[96];
                        snprintf(what, sizeof what, "%s member %u", path, i);
                        check_member(from_file, i, &t[i], pieces[p], chunks[c], what);
                        if (p == 1) check_member(from_mem, i, &t[i], pieces[p], chunks[c], "memory");
                    }
            /* The same bytes as the .npy on its own. */
            const char *npy_path = write_tmp("conv1_alone.npy", &t[0].npy);
            vkc_source *a = NULL, *b = NULL;
            REQUIRE_CMP(vkc_source_open_npy(npy_path, &a, &msg), ==, VKC_OK);
            REQUIRE_CMP(vkc_npz_source(from_file, 0, &b, &msg), ==, VKC_OK);
            if (a && b) {
                float fa[300], fb[300];
                uint64_t na = 0, nb = 0;
                REQUIRE_CMP(read_all_f32(a, fa, 300, &na, &msg), ==, VKC_OK);
                REQUIRE_CMP(read_all_f32(b, fb, 300, &nb, &msg), ==, VKC_OK);
                REQUIRE_CMP(na, ==, 300);
                REQUIRE_CMP(nb, ==, 300);
                REQUIRE(same_bits(fa, fb, 300));
            }
            vkc_source_close(a);
            /* A source outlives its archive. */
            vkc_source *late = NULL;
            REQUIRE_CMP(vkc_npz_source(from_file, 2, &late, &msg), ==, VKC_OK);
            vkc_npz_close(from_file);
            from_file = NULL;
            if (late) {
                float f[150];
                uint64_t n = 0;
                REQUIRE_CMP(read_all_f32(late, f, 50, &n, &msg), ==, VKC_OK);
                REQUIRE_CMP(n, ==, 150);
                REQUIRE(same_bits(f, t[2].values, 150));
                vkc_source_close(late);
            }
            vkc_source_close(b);
        }
        vkc_npz_close(from_file);
        vkc_npz_close(from_mem);
        free(zf.b.p);
    }
    for (int i = 0; i < 3; i++) free(t[i].npy.p);
}

/* Opens an npz that must fail at open or at some member, with a message
 * naming the file (and the member, when given). */
static void expect_npz_error(const char *name, const bytes *b, const char *member, const char *text)
{
    const char *path = write_tmp(name, b);
    vkc_npz *z = NULL;
    vkc_msg msg = {{0}};
    vkc_status st = vkc_npz_open(path, &z, &msg);
    if (st == VKC_OK) {
        vkc_msg m;
        st = vkc_fuzz_npz_members(z, path, &m);
        msg = m;
        vkc_npz_close(z);
    } else {
        REQUIRE_CMP(z, ==, NULL);
    }
    REQUIREF(st == VKC_ERROR_FORMAT, "%s: status %d (%s)", name, st, msg.text);
    REQUIREF(contains(&msg, path), "%s: message '%s' lacks the path", name, msg.text);
    REQUIREF(!member || contains(&msg, member), "%s: message '%s' lacks the member", name, msg.text);
    REQUIREF(!text || contains(&msg, text), "%s: message '%s' lacks '%s'", name, msg.text, text);
}

static void test_npz_errors(void)
{
    tensor t[3];
    make_tensors(t);
    for (int method = 0; method <= 8; method += 8) {
        zmember m[2] = {{t[0].name, &t[0].npy, method}, {t[1].name, &t[1].npy, method}};
        char name[64];
        const char *kind = method ? "deflated" : "stored";

        /* CRC-32 mismatch, in both headers, found at the end of the data. */
        zipfile z = make_zip(m, 2);
        uint32_t crc = get32(&z.b, z.central[1] + 16) ^ 0x10;
        set32(&z.b, z.central[1] + 16, crc);
        set32(&z.b, z.local[1] + 14, crc);
        snprintf(name, sizeof name, "crc_%s.npz", kind);
        expect_npz_error(name, &z.b, "[block/relu.npy]", "CRC-32 mismatch");
        free(z.b.p);

        /* A corrupted data byte: a CRC or deflate error, never silence. */
        z = make_zip(m, 2);
        z.b.p[z.data[0] + 100] ^= 0x04;
        snprintf(name, sizeof name, "flip_%s.npz", kind);
        expect_npz_error(name, &z.b, "conv1.npy", NULL);
        free(z.b.p);

        /* zip64 sizes in the central directory. */
        z = make_zip(m, 2);
        set32(&z.b, z.central[1] + 20, 0xffffffffu);
        set32(&z.b, z.central[1] + 24, 0xffffffffu);
        snprintf(name, sizeof name, "zip64_%s.npz", kind);
        expect_npz_error(name, &z.b, "block/relu.npy", "zip64");
        free(z.b.p);

        /* A zip64 end-of-directory marker. */
        z = make_zip(m, 2);
        set32(&z.b, z.eocd + 16, 0xffffffffu);
        snprintf(name, sizeof name, "zip64_end_%s.npz", kind);
        expect_npz_error(name, &z.b, NULL, "zip64");
        free(z.b.p);

        /* Encrypted. */
        z = make_zip(m, 2);
        set16(&z.b, z.central[0] + 8, 1);
        set16(&z.b, z.local[0] + 6, 1);
        snprintf(name, sizeof name, "encrypted_%s.npz", kind);
        expect_npz_error(name, &z.b, "conv1.npy", "encrypted");
        free(z.b.p);

        /* Local header disagreeing with the directory. */
        z = make_zip(m, 2);
        set32(&z.b, z.local[1] + 18, get32(&z.b, z.local[1] + 18) + 1);
        snprintf(name, sizeof name, "local_size_%s.npz", kind);
        expect_npz_error(name, &z.b, "block/relu.npy", "disagree");
        free(z.b.p);

        /* Offsets past the end. */
        z = make_zip(m, 2);
        set32(&z.b, z.central[1] + 42, (uint32_t)z.b.n + 10);
        snprintf(name, sizeof name, "local_offset_%s.npz", kind);
        expect_npz_error(name, &z.b, "block/relu.npy", "outside");
        free(z.b.p);
        z = make_zip(m, 2);
        set32(&z.b, z.eocd + 16, (uint32_t)z.b.n);
        snprintf(name, sizeof name, "cd_offset_%s.npz", kind);
        expect_npz_error(name, &z.b, NULL, "central directory");
        free(z.b.p);
        z = make_zip(m, 2);
        set32(&z.b, z.central[0] + 20, (uint32_t)z.b.n);
        if (method == 0) set32(&z.b, z.central[0] + 24, (uint32_t)z.b.n);
        snprintf(name, sizeof name, "csize_%s.npz", kind);
        expect_npz_error(name, &z.b, "conv1.npy", NULL);
        free(z.b.p);

        /* Truncated archive (no end record). */
        z = make_zip(m, 2);
        z.b.n -= 30;
        snprintf(name, sizeof name, "truncated_%s.npz", kind);
        expect_npz_error(name, &z.b, NULL, "not a zip file");
        free(z.b.p);

        /* A member whose .npy is short: the header check names it. */
        bytes short_npy = {0};
        put(&short_npy, t[0].npy.p, t[0].npy.n - 4);
        zmember ms[1] = {{"short.npy", &short_npy, method}};
        z = make_zip(ms, 1);
        snprintf(name, sizeof name, "short_member_%s.npz", kind);
        expect_npz_error(name, &z.b, "[short.npy]", "data is 1196 bytes, header declares 1200");
        free(z.b.p);
        free(short_npy.p);
    }
    /* Unsupported method. */
    zmember m1[1] = {{t[0].name, &t[0].npy, 8}};
    zipfile z = make_zip(m1, 1);
    set16(&z.b, z.central[0] + 10, 12);
    set16(&z.b, z.local[0] + 8, 12);
    expect_npz_error("bzip2.npz", &z.b, "conv1.npy", "method 12");
    free(z.b.p);
    /* Deflate stream that ends early / has trailing data: usize lies. */
    z = make_zip(m1, 1);
    set32(&z.b, z.central[0] + 24, (uint32_t)t[0].npy.n + 4);
    set32(&z.b, z.local[0] + 22, (uint32_t)t[0].npy.n + 4);
    expect_npz_error("usize_lie.npz", &z.b, "conv1.npy", NULL);
    free(z.b.p);
    /* Missing file; member index out of range. */
    vkc_npz *none = NULL;
    vkc_msg msg;
    REQUIRE_CMP(vkc_npz_open(tmp_path("missing.npz"), &none, &msg), ==, VKC_ERROR_IO);
    REQUIRE_CMP(none, ==, NULL);
    REQUIRE(contains(&msg, "missing.npz"));
    z = make_zip(m1, 1);
    REQUIRE_CMP(vkc_npz_open_mem(z.b.p, z.b.n, &none, &msg), ==, VKC_OK);
    vkc_source *s = NULL;
    REQUIRE_CMP(vkc_npz_source(none, 1, &s, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(s, ==, NULL);
    REQUIRE_CMP(vkc_npz_find(none, "conv1"), ==, 0);
    REQUIRE_CMP(vkc_npz_find(none, "x"), ==, UINT32_MAX);
    vkc_npz_close(none);
    free(z.b.p);
    /* Not a zip at all. */
    bytes junk = {0};
    put(&junk, t[0].npy.p, t[0].npy.n);
    expect_npz_error("not_zip.npz", &junk, NULL, "not a zip file");
    free(junk.p);

    for (int i = 0; i < 3; i++) free(t[i].npy.p);
}

/* Deflate streams that lie about their length or are corrupt, and local
 * headers that disagree with the directory in other ways. */
/* A member's CRC-32 is checked once per archive: a second read of the same
 * member is not checked again while the file is unchanged (it reads the
 * right values on every path, rewind included), and is checked again once
 * the file changed: a corruption written after the first read is found. */
static void test_npz_crc_once(void)
{
    tensor t[3];
    make_tensors(t);
    for (int method = 0; method <= 8; method += 8) {
        zmember m[2] = {{t[0].name, &t[0].npy, method}, {t[1].name, &t[1].npy, method}};
        zipfile zf = make_zip(m, 2);
        const char *path = write_tmp(method ? "once_deflated.npz" : "once_stored.npz", &zf.b);
        /* An old modification time, so that the write below changes it
         * whatever the file system's timestamp granularity. */
        const struct timespec old[2] = {{978307200, 0}, {978307200, 0}};
        REQUIRE_CMP(utimensat(AT_FDCWD, path, old, 0), ==, 0);
        vkc_npz *z = NULL;
        vkc_msg msg;
        REQUIREF(vkc_npz_open(path, &z, &msg) == VKC_OK, "%s", msg.text);
        if (!z) {
            free(zf.b.p);
            continue;
        }
        for (int k = 0; k < 3; k++) /* verified by the first, then read unchecked */
            check_member(z, 1, &t[1], k == 2 ? 7 : 1000, k == 2 ? 13 : 0, "member read again");
        /* Corrupt member 1's data in place: the file changed, so the CRC
         * (or, deflated, the CRC or inflate) is checked again. */
        int fd = open(path, O_WRONLY);
        REQUIRE_CMP(fd, >=, 0);
        const size_t at = zf.central[0] - 8; /* member 1's last data bytes end where the directory starts */
        uint8_t byte = zf.b.p[at] ^ 0x04;
        REQUIRE_CMP(pwrite(fd, &byte, 1, (off_t)at), ==, 1);
        close(fd);
        vkc_source *src = NULL;
        vkc_status st = vkc_npz_source(z, 1, &src, &msg);
        float f[300];
        uint64_t n = 0;
        if (st == VKC_OK) st = read_all_f32(src, f, 1000, &n, &msg);
        REQUIREF(st == VKC_ERROR_FORMAT, "%s: a member corrupted after its first read was read without error (%d)",
                 path, st);
        vkc_source_close(src);
        /* Member 0 was never read: checked at its first read, as always. */
        check_member(z, 0, &t[0], 1000, 0, "member 0 after the change");
        vkc_npz_close(z);
        free(zf.b.p);
    }
    for (int i = 0; i < 3; i++) free(t[i].npy.p);
}

static void test_npz_stream_errors(void)
{
    tensor t[3];
    make_tensors(t);
    const bytes *npy = &t[0].npy; /* 1328 bytes: header 128, data 1200 */

    /* The stream holds 4 bytes fewer than the member declares. */
    bytes cut = {0};
    put(&cut, npy->p, npy->n - 4);
    zmember mc[1] = {{"cut.npy", &cut, 8}};
    zipfile z = make_zip(mc, 1);
    set32(&z.b, z.central[0] + 24, (uint32_t)npy->n);
    set32(&z.b, z.local[0] + 22, (uint32_t)npy->n);
    expect_npz_error("stream_short.npz", &z.b, "[cut.npy]", "deflate data ends after 1324 of 1328 bytes");
    free(z.b.p);
    free(cut.p);

    /* The stream holds 4 bytes more than declared. */
    bytes longer = {0};
    put(&longer, npy->p, npy->n);
    put(&longer, "abcd", 4);
    zmember ml[1] = {{"long.npy", &longer, 8}};
    z = make_zip(ml, 1);
    set32(&z.b, z.central[0] + 24, (uint32_t)npy->n);
    set32(&z.b, z.local[0] + 22, (uint32_t)npy->n);
    expect_npz_error("stream_long.npz", &z.b, "[long.npy]", "longer than the 1328 bytes declared");
    free(z.b.p);
    free(longer.p);

    /* Compressed bytes after the end of the stream, and a compressed size
     * that stops short of it. */
    zmember m[1] = {{"x.npy", npy, 8}};
    z = make_zip(m, 1);
    uint32_t csize = get32(&z.b, z.central[0] + 20);
    bytes padded = {0};
    put(&padded, z.b.p, z.data[0] + csize);
    put(&padded, "\0\0", 2);
    put(&padded, z.b.p + z.data[0] + csize, z.b.n - z.data[0] - csize);
    size_t cd = z.central[0] + 2, eocd = z.eocd + 2;
    set32(&padded, cd + 20, csize + 2);
    set32(&padded, z.local[0] + 18, csize + 2);
    set32(&padded, cd + 42, 0);
    set32(&padded, eocd + 16, (uint32_t)cd);
    expect_npz_error("stream_trailing.npz", &padded, "[x.npy]", "follow the end of the deflate stream");
    free(padded.p);
    set32(&z.b, z.central[0] + 20, csize - 3);
    set32(&z.b, z.local[0] + 18, csize - 3);
    expect_npz_error("stream_cut.npz", &z.b, "[x.npy]", "truncated");
    free(z.b.p);

    /* Reserved block type in the first deflate block. */
    z = make_zip(m, 1);
    z.b.p[z.data[0]] = 0x07;
    expect_npz_error("stream_corrupt.npz", &z.b, "[x.npy]", "corrupt deflate data");
    free(z.b.p);

    /* Local header: another name, another method, a stored member whose
     * sizes differ, a directory with fewer entries than bytes. */
    zmember ms[2] = {{"x.npy", npy, 0}, {"y.npy", npy, 0}};
    z = make_zip(ms, 2);
    z.b.p[z.local[1] + 30] = 'z';
    expect_npz_error("local_name.npz", &z.b, "y.npy", "different member");
    free(z.b.p);
    z = make_zip(ms, 2);
    set16(&z.b, z.local[0] + 8, 8);
    expect_npz_error("local_method.npz", &z.b, "x.npy", "method 8");
    free(z.b.p);
    z = make_zip(ms, 2);
    set32(&z.b, z.central[0] + 20, 5);
    expect_npz_error("stored_sizes.npz", &z.b, "x.npy", "sizes differ");
    free(z.b.p);
    z = make_zip(ms, 2);
    set16(&z.b, z.eocd + 8, 1);
    set16(&z.b, z.eocd + 10, 1);
    expect_npz_error("cd_extra.npz", &z.b, NULL, "unexpected bytes");
    free(z.b.p);
    z = make_zip(ms, 2);
    set32(&z.b, z.central[1], 0x12345678);
    expect_npz_error("cd_signature.npz", &z.b, NULL, "entry 1 is malformed");
    free(z.b.p);

    /* zip64 records in local headers: numpy's form (real sizes) and the
     * 0xffffffff form are both read; wrong or missing records are not. */
    for (int form = 1; form <= 2; form++) {
        z = make_zip_ex(m, 1, form);
        vkc_npz *a = NULL;
        vkc_msg msg;
        REQUIREF(vkc_npz_open_mem(z.b.p, z.b.n, &a, &msg) == VKC_OK, "%s", msg.text);
        if (a) {
            check_member(a, 0, &t[0], 50, 0, "local zip64");
            vkc_npz_close(a);
        }
        set32(&z.b, z.local[0] + 30 + 5 + 4, (uint32_t)npy->n + 1);
        expect_npz_error("local_zip64_wrong.npz", &z.b, "x.npy", "zip64 sizes disagree");
        set16(&z.b, z.local[0] + 30 + 5 + 2, 8);
        expect_npz_error("local_zip64_short.npz", &z.b, "x.npy", "too short");
        free(z.b.p);
    }
    z = make_zip_ex(m, 1, 2);
    set16(&z.b, z.local[0] + 30 + 5, 0x5455); /* not a zip64 record */
    expect_npz_error("local_ffff.npz", &z.b, "x.npy", "zip64");
    free(z.b.p);

    for (int i = 0; i < 3; i++) free(t[i].npy.p);
}

/* numpy's own writers, via the committed corpus: local headers carrying a
 * zip64 extra record, and streamed members with data descriptors. */
static void test_npz_numpy_layouts(void)
{
    const char *names[] = {"savez_stored.npz", "savez_deflated.npz", "streamed_deflated.npz", "with_folder.npz",
                           "empty.npz"};
    const uint32_t counts[] = {3, 3, 2, 1, 0};
    for (int k = 0; k < 5; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/fuzz/corpus/npz/%s", VKC_SOURCE_DIR, names[k]);
        vkc_npz *z = NULL;
        vkc_msg msg;
        REQUIREF(vkc_npz_open(path, &z, &msg) == VKC_OK, "%s", msg.text);
        if (!z) continue;
        REQUIREF(vkc_npz_count(z) == counts[k], "%s: %u members", path, vkc_npz_count(z));
        REQUIREF(vkc_fuzz_npz_members(z, path, &msg) == VKC_OK, "%s", msg.text);
        vkc_npz_close(z);
    }
}

/* Streaming: every piece size from 1 to 40 over a .npy file of each float
 * dtype, with buffers of 1 to 9 bytes, matches one whole read. */
static void test_streaming(void)
{
    uint8_t data[97 * 8];
    vkc_rng rng = {99};
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)vkc_rng_next(&rng);
    const char *descr[3] = {"<f4", "<f2", "<f8"};
    const size_t es[3] = {4, 2, 8};
    for (int k = 0; k < 3; k++) {
        bytes b = make_npy(descr[k], "(97,)", data, 97 * es[k]);
        char name[32];
        snprintf(name, sizeof name, "stream_%d.npy", k);
        const char *path = write_tmp(name, &b);
        float whole[97], part[97];
        vkc_convert_to_f32(k == 0 ? VKC_DT_F32 : k == 1 ? VKC_DT_F16 : VKC_DT_F64, data, 97, whole);
        vkc_source *s = NULL;
        vkc_msg msg;
        REQUIRE_CMP(vkc_source_open_npy(path, &s, &msg), ==, VKC_OK);
        if (!s) continue;
        int bad = 0;
        for (size_t chunk = 1; chunk <= 9; chunk += 4) {
            REQUIRE_CMP(vkc_source_set_chunk_bytes(s, chunk, &msg), ==, VKC_OK);
            for (uint64_t piece = 1; piece <= 40; piece++) {
                uint64_t n = 0;
                memset(part, 0, sizeof part);
                if (read_all_f32(s, part, piece, &n, &msg) != VKC_OK || n != 97 || !same_bits(part, whole, 97))
                    bad++;
                uint8_t raw[97 * 8];
                if (vkc_source_rewind(s, &msg) != VKC_OK || read_all_raw(s, raw, piece, &n, &msg) != VKC_OK ||
                    n != 97 || memcmp(raw, data, 97 * es[k]) != 0)
                    bad++;
                if (vkc_source_rewind(s, &msg) != VKC_OK) bad++;
            }
        }
        REQUIREF(bad == 0, "%s: %d bad streams", descr[k], bad);
        vkc_source_close(s);
        free(b.p);
    }
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/vkc_readers_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_corpus();
    test_corpus_values();
    test_f16_all();
    test_f64_rounding();
    test_f32_and_ints();
    test_dtypes_through_files();
    test_versions();
    test_header_errors();
    test_header_length();
    test_data_length();
    test_raw();
    test_npz_contents();
    test_npz_errors();
    test_npz_stream_errors();
    test_npz_crc_once();
    test_npz_numpy_layouts();
    test_streaming();

    /* Clean up the folder (our files only). */
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') unlink(tmp_path(e->d_name));
    if (d) closedir(d);
    rmdir(tmpdir);
    return vkc_test_end();
}
