/* Formats and host-side policy: TensorRT cache writer and reader, atomic
 * file writes, the JSON emitter and the range policy. Long because each
 * format's hostile cases sit beside its round trips, sharing their fixtures. */
#include "testutil.h"

#include "base/atomic_file.h"
#include "base/json_write.h"
#include "policy/range_policy.h"
#include "write/state.h"
#include "base/strbuf.h"
#include "write/trtcache.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int has(const char *hay, const char *needle)
{
    return hay && strstr(hay, needle) != NULL;
}

/* Parses exactly len bytes from a private allocation without a terminator,
 * so that ASan catches any read past the end. */
static vkc_status parse_exact(const char *text, size_t len, vkc_trtcache *c, vkc_msg *msg)
{
    char *copy = malloc(len ? len : 1);
    if (len) memcpy(copy, text, len);
    vkc_status st = vkc_trtcache_parse(copy, len, c, msg);
    free(copy);
    return st;
}

static vkc_status parse_str(const char *text, vkc_trtcache *c, vkc_msg *msg)
{
    return parse_exact(text, strlen(text), c, msg);
}

/* ---- TensorRT cache ---------------------------------------------------- */

static void test_trt_version(void)
{
    int ok = -1;
    REQUIRE_CMP(vkc_trt_version_from_string("8.6.1", &ok), ==, 8601);
    REQUIRE_CMP(ok, ==, 1);
    REQUIRE_CMP(vkc_trt_version_from_string("10.3.0", &ok), ==, 100300);
    REQUIRE_CMP(ok, ==, 1);
    REQUIRE_CMP(vkc_trt_version_from_string("8601", &ok), ==, 8601);
    REQUIRE_CMP(ok, ==, 1);
    REQUIRE_CMP(vkc_trt_version_from_string("100300", &ok), ==, 100300);
    REQUIRE_CMP(ok, ==, 1);
    REQUIRE_CMP(vkc_trt_version_from_string("8.5.3", &ok), ==, 8503);
    REQUIRE_CMP(ok, ==, 1);
    REQUIRE_CMP(vkc_trt_version_from_string("7.2.3", &ok), ==, 7203);
    REQUIRE_CMP(ok, ==, 1);
    REQUIRE_CMP(vkc_trt_version_from_string("10.13.2", &ok), ==, 101302);
    REQUIRE_CMP(ok, ==, 1);
    REQUIRE_CMP(vkc_trt_version_from_string("8.6", &ok), ==, 8600);
    REQUIRE_CMP(ok, ==, 1);
    REQUIRE_CMP(vkc_trt_version_from_string("8.6.1.6", &ok), ==, 8601);
    REQUIRE_CMP(ok, ==, 1);
    REQUIRE_CMP(vkc_trt_version_from_string("8.6.1", NULL), ==, 8601);
    const char *bad[] = {"", "8.", ".6", "8..1", "8.6.1.6.1", "8.10.0", "8.6.100", "10.100.0",
                         "0.1.0", "abc", "8601x", "-8601", "8.6.1 ", "0", "99999999999",
                         "1234567890123.1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ok = -1;
        uint32_t v = vkc_trt_version_from_string(bad[i], &ok);
        REQUIREF(v == 0 && ok == 0, "'%s' gave %u ok=%d", bad[i], v, ok);
    }
    ok = -1;
    REQUIRE_CMP(vkc_trt_version_from_string(NULL, &ok), ==, 0);
    REQUIRE_CMP(ok, ==, 0);

    /* Header: default version and calibrator, and explicit ones. */
    vkc_buf b = {0};
    vkc_msg msg = {{0}};
    REQUIRE_CMP(vkc_trtcache_format(&b, 0, NULL, NULL, NULL, 0, NULL, &msg), ==, VKC_OK);
    REQUIRE(b.data && strcmp(b.data, "TRT-8601-EntropyCalibration2\n") == 0);
    vkc_buf_reset(&b);
    REQUIRE_CMP(vkc_trtcache_format(&b, 100300, "MinMaxCalibration", NULL, NULL, 0, NULL, &msg), ==, VKC_OK);
    REQUIRE_CMP(strcmp(b.data, "TRT-100300-MinMaxCalibration\n"), ==, 0);
    vkc_buf_free(&b);
}

static void test_trt_known_bits(void)
{
    /* Expected bits from Python: struct.pack('>f', amax / 127.0).hex() */
    const char *names[] = {"a", "b", "c", "d", "e", "f"};
    const double amax[] = {127.0, 1.0, 6.0, 0.5, 448.0, 1e-3};
    const char *want =
        "TRT-8601-EntropyCalibration2\n"
        "a: 3f800000\n"
        "b: 3c010204\n"
        "c: 3d418306\n"
        "d: 3b810204\n"
        "e: 4061c387\n"
        "f: 37041aa4\n";
    vkc_buf b = {0};
    vkc_msg msg = {{0}};
    uint32_t floored = 99;
    REQUIRE_CMP(vkc_trtcache_format(&b, 8601, NULL, names, amax, 6, &floored, &msg), ==, VKC_OK);
    REQUIREF(b.data && strcmp(b.data, want) == 0, "got:\n%s", b.data ? b.data : "(null)");
    REQUIRE_CMP(floored, ==, 0);
    REQUIRE_CMP(vkc_f32_bits(vkc_trt_scale(127.0)), ==, 0x3f800000u);
    REQUIRE_CMP(vkc_f32_bits(vkc_trt_scale(1.0)), ==, 0x3c010204u);

    /* Many values: the line is the float32 of amax/127, 8 lowercase digits. */
    vkc_rng rng = {7};
    int good = 1;
    for (int i = 0; i < 2000 && good; i++) {
        double a = exp(vkc_rng_uniform(&rng) * 40.0 - 15.0); /* above the floor */
        const char *nm = "t";
        vkc_buf_reset(&b);
        good = vkc_trtcache_format(&b, 8601, NULL, &nm, &a, 1, NULL, &msg) == VKC_OK;
        float s = (float)(a / 127.0);
        uint32_t u;
        memcpy(&u, &s, 4);
        char line[64];
        snprintf(line, sizeof line, "\nt: %08x\n", (unsigned)u);
        good = good && has(b.data, line) && strlen(strchr(b.data, '\n')) == 13;
    }
    REQUIRE(good);
    vkc_buf_free(&b);
}

static void test_trt_floor(void)
{
    const char *names[] = {"zero", "negzero", "tiny", "floor", "denorm", "one"};
    const double amax[] = {0.0, -0.0, 1e-30, VKC_AMAX_FLOOR, 4.9e-324, 1.0};
    vkc_buf b = {0};
    vkc_msg msg = {{0}};
    uint32_t floored = 0;
    REQUIRE_CMP(vkc_trtcache_format(&b, 8601, NULL, names, amax, 6, &floored, &msg), ==, VKC_OK);
    REQUIRE_CMP(floored, ==, 4); /* 0, -0, 1e-30, 4.9e-324; the floor itself is not raised */
    /* 2^-24 / 127 as float32, from Python: 30010204. */
    REQUIRE(has(b.data, "\nzero: 30010204\n"));
    REQUIRE(has(b.data, "\nnegzero: 30010204\n"));
    REQUIRE(has(b.data, "\ntiny: 30010204\n"));
    REQUIRE(has(b.data, "\nfloor: 30010204\n"));
    REQUIRE(has(b.data, "\ndenorm: 30010204\n"));
    REQUIRE(has(b.data, "\none: 3c010204\n"));
    /* The floored scale is a normal float with a finite reciprocal. */
    float s = vkc_trt_scale(0.0);
    REQUIRE_CMP(s, >, 0);
    REQUIRE(isnormal(s));
    REQUIRE(isfinite(1.0f / s));
    vkc_buf_free(&b);
}

static void test_trt_write_errors(void)
{
    vkc_buf b = {0};
    vkc_msg msg = {{0}};
    vkc_buf_puts(&b, "keep");
    struct { const char *name; double amax; const char *says; } bad[] = {
        {"nan_t", NAN, "nan_t"},
        {"inf_t", INFINITY, "inf_t"},
        {"neg_t", -1.0, "neg_t"},
        {"huge_t", 1e300, "huge_t"},
        {"bad\nname", 1.0, "bad\\nname"},
        {"bad\rname", 1.0, "bad\\rname"},
        {"", 1.0, "empty name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *names[] = {"fine", bad[i].name};
        const double amax[] = {1.0, bad[i].amax};
        msg.text[0] = 0;
        uint32_t floored = 7;
        vkc_status st = vkc_trtcache_format(&b, 8601, NULL, names, amax, 2, &floored, &msg);
        REQUIREF(st == VKC_ERROR_INVALID_ARGUMENT, "case %zu: %d", i, (int)st);
        REQUIREF(has(msg.text, bad[i].says), "case %zu: '%s'", i, msg.text);
        REQUIRE_CMP(b.len, ==, 4);
        REQUIRE_CMP(strcmp(b.data, "keep"), ==, 0);
        REQUIRE_CMP(floored, ==, 0);
    }
    const char *nullname[] = {NULL};
    double one = 1.0;
    REQUIRE_CMP(vkc_trtcache_format(&b, 8601, NULL, nullname, &one, 1, NULL, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_trtcache_format(&b, 8601, "Entropy\nCalibration2", NULL, NULL, 0, NULL, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_trtcache_format(&b, 8601, "", NULL, NULL, 0, NULL, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_trtcache_format(NULL, 8601, NULL, NULL, NULL, 0, NULL, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(b.len, ==, 4);
    vkc_buf_free(&b);
}

static void test_trt_roundtrip(void)
{
    const char *names[] = {"input", "a:b", "x: y", "trailing ", " lead", "c::", "a: 1: 3f800000",
                           "/model/conv1/Conv_output_0", "\303\274n\303\257code:0", "sp ace s",
                           "ends with colon:", "TRT-8601-Entropy", "zero"};
    const size_t n = sizeof names / sizeof names[0];
    double amax[sizeof names / sizeof names[0]];
    vkc_rng rng = {11};
    for (size_t i = 0; i < n; i++) amax[i] = vkc_rng_uniform(&rng) * 20.0 + 0.01;
    amax[n - 1] = 0.0;
    vkc_buf b = {0};
    vkc_msg msg = {{0}};
    uint32_t floored = 0;
    REQUIRE_CMP(vkc_trtcache_format(&b, 100300, "EntropyCalibration2", names, amax, n, &floored, &msg), ==, VKC_OK);
    REQUIRE_CMP(floored, ==, 1);
    vkc_trtcache c;
    vkc_status st = parse_exact(b.data, b.len, &c, &msg);
    REQUIREF(st == VKC_OK, "%s", msg.text);
    REQUIRE_CMP(c.version, ==, 100300);
    REQUIRE(c.algo && strcmp(c.algo, "EntropyCalibration2") == 0);
    REQUIRE_CMP(c.count, ==, n);
    for (size_t i = 0; st == VKC_OK && i < n && i < c.count; i++) {
        REQUIREF(strcmp(c.entries[i].name, names[i]) == 0, "'%s' vs '%s'", c.entries[i].name,
                 names[i]);
        uint32_t want = vkc_f32_bits(vkc_trt_scale(amax[i]));
        REQUIRE_CMP(c.entries[i].bits, ==, want);
        REQUIRE_CMP(c.entries[i].scale, ==, vkc_bits_f32(want));
        REQUIRE_CMP(c.entries[i].amax, ==, (double)vkc_bits_f32(want) * 127.0);
        /* amax survives within float32 rounding. */
        if (amax[i] > 0) REQUIRE_CMP(fabs(c.entries[i].amax - amax[i]), <=, amax[i] * 1e-7);
    }
    vkc_trtcache_free(&c);
    vkc_trtcache_free(&c); /* harmless twice */
    vkc_buf_free(&b);
}

static void test_trt_reader_lenient(void)
{
    vkc_trtcache c;
    vkc_msg msg = {{0}};
    /* TensorRT writes a zero scale as unpadded "0"; no final newline. */
    REQUIRE_CMP(parse_str("TRT-8601-EntropyCalibration2\nfoo: 0\nbar: 3c010204", &c, &msg), ==, VKC_OK);
    REQUIRE_CMP(c.count, ==, 2);
    if (c.count == 2) {
        REQUIRE_CMP(strcmp(c.entries[0].name, "foo"), ==, 0);
        REQUIRE_CMP(c.entries[0].bits, ==, 0);
        REQUIRE_CMP(c.entries[0].scale, ==, 0.0f);
        REQUIRE_CMP(c.entries[0].amax, ==, 0.0);
        REQUIRE_CMP(strcmp(c.entries[1].name, "bar"), ==, 0);
        REQUIRE_CMP(c.entries[1].bits, ==, 0x3c010204u);
        REQUIRE_CMP(fabs(c.entries[1].amax - 1.0), <, 1e-7);
    }
    vkc_trtcache_free(&c);

    /* CRLF, blank lines (also before the header), upper-case and short hex. */
    REQUIRE_CMP(parse_str("\r\n  \nTRT-8510-EntropyCalibration2\r\na: 3F800000\r\n\r\nb: 1\r\n"
                      "c: 3c010204  \r\n",
                      &c, &msg), ==, VKC_OK);
    REQUIRE_CMP(c.version, ==, 8510);
    REQUIRE_CMP(c.count, ==, 3);
    if (c.count == 3) {
        REQUIRE_CMP(strcmp(c.entries[0].name, "a"), ==, 0);
        REQUIRE_CMP(c.entries[0].bits, ==, 0x3f800000u);
        REQUIRE_CMP(c.entries[0].amax, ==, 127.0);
        REQUIRE_CMP(strcmp(c.entries[1].name, "b"), ==, 0);
        REQUIRE_CMP(c.entries[1].bits, ==, 1u);
        REQUIRE_CMP(strcmp(c.entries[2].name, "c"), ==, 0);
        REQUIRE_CMP(c.entries[2].bits, ==, 0x3c010204u);
    }
    REQUIRE_CMP(strcmp(c.algo, "EntropyCalibration2"), ==, 0);
    vkc_trtcache_free(&c);

    /* Header only, other calibrators and versions. */
    REQUIRE_CMP(parse_str("TRT-5105-LegacyCalibration\n", &c, &msg), ==, VKC_OK);
    REQUIRE_CMP(c.version, ==, 5105);
    REQUIRE_CMP(c.count, ==, 0);
    REQUIRE_CMP(strcmp(c.algo, "LegacyCalibration"), ==, 0);
    vkc_trtcache_free(&c);
    REQUIRE_CMP(parse_str("TRT-0-x y", &c, &msg), ==, VKC_OK);
    REQUIRE_CMP(c.version, ==, 0);
    REQUIRE_CMP(strcmp(c.algo, "x y"), ==, 0);
    vkc_trtcache_free(&c);
}

static void test_trt_reader_errors(void)
{
    struct { const char *text; size_t len; const char *says; } bad[] = {
        {"", 0, "empty"},
        {"\n\n", 2, "empty"},
        {"hello\n", 6, "line 1"},
        {"TRT--X\n", 7, "line 1"},
        {"TRT-12-\n", 8, "line 1"},
        {"TRT-12\n", 7, "line 1"},
        {"TRT-99999999999-X\n", 18, "line 1"},
        {"TRT-8601-X\na 3f800000\n", 22, "line 2"},
        {"TRT-8601-X\na:3f800000\n", 22, "line 2"},
        {"TRT-8601-X\na: 3f80000g\n", 23, "line 2"},
        {"TRT-8601-X\na: 123456789\n", 24, "line 2"},
        {"TRT-8601-X\na: \n", 15, "line 2"},
        {"TRT-8601-X\na: 0x3f\n", 19, "line 2"},
        {"TRT-8601-X\n\nok: 0\n: 3f800000\n", 29, "line 4"},
        {"TRT-8601-X\na: 7fc00000\n", 23, "line 2"},
        {"TRT-8601-X\na: 7f800000\n", 23, "line 2"},
        {"TRT-8601-X\na: ff800000\n", 23, "line 2"},
        {"TRT-8601-X\na: 80000000\n", 23, "line 2"},
        {"TRT-8601-X\nok: 0\na\0b: 0\n", 23, "line 3"},
        {"TRT-8601-X\na\rb: 0\n", 18, "line 2"},
        {"TRT-8601-X\na: 0\r\r\n", 18, "line 2"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vkc_trtcache c;
        vkc_msg msg = {{0}};
        size_t len = bad[i].len;
        vkc_status st = parse_exact(bad[i].text, len, &c, &msg);
        REQUIREF(st == VKC_ERROR_FORMAT, "case %zu: status %d", i, (int)st);
        REQUIREF(has(msg.text, bad[i].says), "case %zu: '%s'", i, msg.text);
        REQUIRE_CMP(c.count, ==, 0);
        REQUIRE_CMP(c.entries, ==, NULL);
        REQUIRE_CMP(c.algo, ==, NULL);
        vkc_trtcache_free(&c);
    }
}

/* A little fuzzing in the ordinary test run: every prefix of a valid cache,
 * random byte flips, random bytes. Success must give sane entries. */
static void test_trt_reader_hostile(void)
{
    const char *valid = "TRT-8601-EntropyCalibration2\r\ninput: 3c010204\nx: y: 0\n\n"
                        "/a/b:0: 3f800000\nlast: 3d418306";
    size_t vlen = strlen(valid);
    int sane = 1;
    for (size_t cut = 0; cut <= vlen; cut++) {
        vkc_trtcache c;
        vkc_msg msg;
        if (parse_exact(valid, cut, &c, &msg) == VKC_OK) {
            for (size_t i = 0; i < c.count; i++)
                sane = sane && c.entries[i].name[0] && !(c.entries[i].bits >> 31);
        }
        vkc_trtcache_free(&c);
    }
    vkc_rng rng = {99};
    char buf[256];
    static const char alphabet[] = "TR-0123456789abcdefABCDEF: \r\n\t\0x";
    for (int iter = 0; iter < 20000; iter++) {
        size_t len;
        if (iter & 1) {
            len = vlen;
            memcpy(buf, valid, vlen);
            int flips = 1 + (int)(vkc_rng_next(&rng) % 4);
            for (int k = 0; k < flips; k++) {
                uint64_t r = vkc_rng_next(&rng);
                buf[r % len] = (r >> 32) & 1 ? (char)(r >> 40)
                                             : alphabet[(r >> 40) % (sizeof alphabet - 1)];
            }
        } else {
            len = vkc_rng_next(&rng) % sizeof buf;
            memcpy(buf, "TRT-1-A\n", len < 8 ? len : 8);
            for (size_t k = 8; k < len; k++)
                buf[k] = alphabet[vkc_rng_next(&rng) % (sizeof alphabet - 1)];
        }
        vkc_trtcache c;
        vkc_msg msg;
        if (parse_exact(buf, len, &c, &msg) == VKC_OK) {
            sane = sane && c.algo && c.algo[0];
            for (size_t i = 0; i < c.count; i++) {
                const vkc_trtcache_entry *e = &c.entries[i];
                sane = sane && e->name[0] && !strpbrk(e->name, "\r\n") && isfinite(e->amax) &&
                       e->amax >= 0 && e->scale == vkc_bits_f32(e->bits);
            }
        } else {
            sane = sane && has(msg.text, "TensorRT cache");
        }
        vkc_trtcache_free(&c);
    }
    REQUIRE(sane);
}

/* ---- atomic write ------------------------------------------------------ */

static char g_dir[512];

static int count_dir_entries(const char *dir, int *tmp_files)
{
    DIR *d = opendir(dir);
    int n = 0;
    *tmp_files = 0;
    if (!d) return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        n++;
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' && l > 4 && !strcmp(e->d_name + l - 4, ".tmp")) (*tmp_files)++;
    }
    closedir(d);
    return n;
}

static int file_is(const char *path, const char *content, size_t len)
{
    size_t n = 0;
    char *data = vkc_test_read_file(path, &n);
    int same = data && n == len && memcmp(data, content, len) == 0;
    free(data);
    return same;
}

static void path_in(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", g_dir, name);
}

static void test_atomic_basic(void)
{
    char p[600];
    vkc_msg msg = {{0}};
    path_in(p, sizeof p, "out.cache");
    REQUIRE_CMP(vkc_atomic_write(p, "hello\n", 6, &msg), ==, VKC_OK);
    REQUIRE(file_is(p, "hello\n", 6));
    mode_t um = umask(0);
    umask(um);
    struct stat st;
    REQUIRE_CMP(stat(p, &st), ==, 0);
    REQUIRE_CMP((st.st_mode & 0777), ==, (0644 & ~um));

    /* Replacing keeps the existing mode. */
    REQUIRE_CMP(chmod(p, 0600), ==, 0);
    REQUIRE_CMP(vkc_atomic_write(p, "second", 6, &msg), ==, VKC_OK);
    REQUIRE(file_is(p, "second", 6));
    REQUIRE_CMP(stat(p, &st), ==, 0);
    REQUIRE_CMP((st.st_mode & 0777), ==, 0600);

    /* Empty content and a large one. */
    REQUIRE_CMP(vkc_atomic_write(p, "", 0, &msg), ==, VKC_OK);
    REQUIRE(file_is(p, "", 0));
    size_t big = 3u << 20;
    char *data = malloc(big);
    for (size_t i = 0; i < big; i++) data[i] = (char)(i * 31u >> 3);
    REQUIRE_CMP(vkc_atomic_write(p, data, big, &msg), ==, VKC_OK);
    REQUIRE(file_is(p, data, big));
    free(data);

    int tmps;
    REQUIRE_CMP(count_dir_entries(g_dir, &tmps), ==, 1);
    REQUIRE_CMP(tmps, ==, 0);

    /* A symbolic link is written through; the link stays a link. */
    char target[600], link[600];
    path_in(target, sizeof target, "target.txt");
    path_in(link, sizeof link, "link.txt");
    REQUIRE_CMP(vkc_atomic_write(target, "old", 3, &msg), ==, VKC_OK);
    REQUIRE_CMP(symlink("target.txt", link), ==, 0);
    REQUIRE_CMP(vkc_atomic_write(link, "new!", 4, &msg), ==, VKC_OK);
    REQUIRE_CMP(lstat(link, &st), ==, 0);
    REQUIRE(S_ISLNK(st.st_mode));
    REQUIRE(file_is(target, "new!", 4));
    unlink(link);
    unlink(target);

    /* A bare file name goes to the current directory. */
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) && chdir(g_dir) == 0) {
        REQUIRE_CMP(vkc_atomic_write("rel.txt", "r", 1, &msg), ==, VKC_OK);
        REQUIRE(file_is("rel.txt", "r", 1));
        unlink("rel.txt");
        REQUIRE_CMP(chdir(cwd), ==, 0);
    }
    unlink(p);
}

#ifdef VKC_TEST_HOOKS
static void test_atomic_failures(void)
{
    char p[600];
    vkc_msg msg = {{0}};
    path_in(p, sizeof p, "keep.cache");
    REQUIRE_CMP(vkc_atomic_write(p, "original", 8, &msg), ==, VKC_OK);

    /* Every failing step leaves the original untouched and no temp file. */
    const struct { const char *hook; const char *says; } steps[] = {
        {"write", "No space left"}, {"write:3", "No space left"}, {"fsync", "No space left"},
        {"close", "No space left"}, {"rename", "Input/output error"},
    };
    size_t big = 1u << 20;
    char *data = malloc(big);
    memset(data, 'x', big);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        setenv(VKC_TEST_IO_FAIL_ENV, steps[i].hook, 1);
        msg.text[0] = 0;
        vkc_status st = vkc_atomic_write(p, data, big, &msg);
        unsetenv(VKC_TEST_IO_FAIL_ENV);
        REQUIREF(st == VKC_ERROR_IO, "%s: status %d", steps[i].hook, (int)st);
        REQUIREF(has(msg.text, p) && has(msg.text, steps[i].says) &&
                 has(msg.text, VKC_TEST_IO_FAIL_ENV),
                 "%s: '%s'", steps[i].hook, msg.text);
        REQUIRE(file_is(p, "original", 8));
        int tmps;
        REQUIRE_CMP(count_dir_entries(g_dir, &tmps), ==, 1);
        REQUIRE_CMP(tmps, ==, 0);
    }
    /* A failure after the rename: the new content is in place, reported. */
    setenv(VKC_TEST_IO_FAIL_ENV, "dirsync", 1);
    vkc_status st = vkc_atomic_write(p, "newer", 5, &msg);
    unsetenv(VKC_TEST_IO_FAIL_ENV);
    REQUIRE_CMP(st, ==, VKC_ERROR_IO);
    REQUIRE(has(msg.text, "syncing directory"));
    REQUIRE(file_is(p, "newer", 5));
    /* An unknown hook value injects nothing. */
    setenv(VKC_TEST_IO_FAIL_ENV, "bogus", 1);
    REQUIRE_CMP(vkc_atomic_write(p, "ok", 2, &msg), ==, VKC_OK);
    unsetenv(VKC_TEST_IO_FAIL_ENV);
    REQUIRE(file_is(p, "ok", 2));
    free(data);

    /* Missing directory: error naming the path. */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/no/such/dir/x.cache", g_dir);
    msg.text[0] = 0;
    REQUIRE_CMP(vkc_atomic_write(missing, "x", 1, &msg), ==, VKC_ERROR_IO);
    REQUIREF(has(msg.text, missing) && has(msg.text, "No such file"), "'%s'", msg.text);

    /* A device is refused rather than replaced; /dev/full stays a device. */
    struct stat sb;
    if (stat("/dev/full", &sb) == 0) {
        msg.text[0] = 0;
        REQUIRE_CMP(vkc_atomic_write("/dev/full", "x", 1, &msg), ==, VKC_ERROR_IO);
        REQUIREF(has(msg.text, "/dev/full") && has(msg.text, "not a regular file"), "'%s'",
                 msg.text);
        REQUIRE_CMP(stat("/dev/full", &sb), ==, 0);
        REQUIRE(S_ISCHR(sb.st_mode));
    }
    /* A directory is refused. */
    REQUIRE_CMP(vkc_atomic_write(g_dir, "x", 1, &msg), ==, VKC_ERROR_IO);
    REQUIRE(has(msg.text, "directory"));
    REQUIRE_CMP(vkc_atomic_write("", "x", 1, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_atomic_write(NULL, "x", 1, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    char slash[600];
    snprintf(slash, sizeof slash, "%s/", g_dir);
    REQUIRE_CMP(vkc_atomic_write(slash, "x", 1, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);

    int tmps;
    REQUIRE_CMP(count_dir_entries(g_dir, &tmps), ==, 1);
    REQUIRE_CMP(tmps, ==, 0);
    unlink(p);
}
#endif

static void test_atomic(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/vkc_formats_XXXXXX", tmp && *tmp && strlen(tmp) < 200 ? tmp : "/tmp");
    if (!mkdtemp(g_dir)) {
        REQUIREF(0, "mkdtemp: %s", strerror(errno));
        return;
    }
    unsetenv(VKC_TEST_IO_FAIL_ENV);
    test_atomic_basic();
#ifdef VKC_TEST_HOOKS
    test_atomic_failures();
#else
    printf("NOTE: built without -DVKC_TEST_HOOKS=ON: the injected write failures are not tested\n");
#endif
    REQUIRE_CMP(rmdir(g_dir), ==, 0);
}

/* ---- JSON -------------------------------------------------------------- */

/* The JSON number grammar (RFC 8259 §6). */
static int json_number_ok(const char *s)
{
    if (*s == '-') s++;
    if (*s == '0') s++;
    else if (*s >= '1' && *s <= '9') while (*s >= '0' && *s <= '9') s++;
    else return 0;
    if (*s == '.') {
        s++;
        if (!(*s >= '0' && *s <= '9')) return 0;
        while (*s >= '0' && *s <= '9') s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-') s++;
        if (!(*s >= '0' && *s <= '9')) return 0;
        while (*s >= '0' && *s <= '9') s++;
    }
    return *s == 0;
}

static const char *fmt_double(double v, char *t)
{
    vkc_jw_format_double(v, t, 40);
    return t;
}

static void test_json_numbers(void)
{
    char t[40];
    REQUIRE_CMP(strcmp(fmt_double(1.0, t), "1"), ==, 0);
    REQUIRE_CMP(strcmp(fmt_double(0.1, t), "0.1"), ==, 0);
    REQUIRE_CMP(strcmp(fmt_double(-0.0, t), "-0"), ==, 0);
    REQUIRE_CMP(strcmp(fmt_double(0.0, t), "0"), ==, 0);
    REQUIRE_CMP(strcmp(fmt_double(100.0, t), "100"), ==, 0);
    REQUIRE_CMP(strcmp(fmt_double(-2048.0, t), "-2048"), ==, 0);
    REQUIRE_CMP(strcmp(fmt_double(1e16, t), "10000000000000000"), ==, 0);
    REQUIRE_CMP(strcmp(fmt_double(1e17, t), "1e+17"), ==, 0);
    REQUIRE_CMP(strcmp(fmt_double(1.5e-7, t), "1.5e-07"), ==, 0);
    REQUIRE_CMP(strcmp(fmt_double(0.1 + 0.2, t), "0.30000000000000004"), ==, 0);
    REQUIRE_CMP(strcmp(fmt_double(1.0 / 127.0, t), "0.007874015748031496"), ==, 0);
    REQUIRE_CMP(strcmp(fmt_double(5e-324, t), "5e-324"), ==, 0);
    REQUIRE_CMP(strcmp(fmt_double(1.7976931348623157e308, t), "1.7976931348623157e+308"), ==, 0);
    REQUIRE_CMP(strcmp(fmt_double(NAN, t), "null"), ==, 0);
    REQUIRE_CMP(strcmp(fmt_double(INFINITY, t), "null"), ==, 0);
    REQUIRE_CMP(strcmp(fmt_double(-INFINITY, t), "null"), ==, 0);

    /* Random bit patterns and random magnitudes: valid JSON numbers that
     * read back to the same bits, and never longer than needed. */
    vkc_rng rng = {2024};
    int roundtrip = 1, grammar = 1, shortest = 1;
    for (int i = 0; i < 200000; i++) {
        double v;
        if (i & 1) {
            uint64_t u = vkc_rng_next(&rng);
            memcpy(&v, &u, 8);
            if (!isfinite(v)) continue;
        } else {
            v = (vkc_rng_uniform(&rng) - 0.5) * pow(10.0, (double)(vkc_rng_next(&rng) % 40) - 20.0);
        }
        fmt_double(v, t);
        double back = strtod(t, NULL);
        roundtrip = roundtrip && memcmp(&back, &v, 8) == 0;
        grammar = grammar && json_number_ok(t);
        if (i % 64 == 0) {
            /* Count significant digits; one fewer must not round-trip. */
            int digits = 0, leading = 1;
            for (const char *c = t; *c && *c != 'e'; c++) {
                if (*c >= '1' && *c <= '9') leading = 0;
                if (*c >= '0' && *c <= '9' && !leading) digits++;
            }
            if (!strchr(t, 'e') && strchr(t, '.') == NULL) continue; /* integers: trailing zeros */
            if (digits > 1) {
                char s[400];
                snprintf(s, sizeof s, "%.*g", digits - 1, v);
                double b2 = strtod(s, NULL);
                shortest = shortest && memcmp(&b2, &v, 8) != 0;
            }
        }
    }
    REQUIRE(roundtrip);
    REQUIRE(grammar);
    REQUIRE(shortest);
}

static void test_json_strings(void)
{
    static const char in[] =
        "q\" b\\ n\n t\t \x01\x1f\x7f"
        " \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"  /* e-acute, euro, emoji: kept */
        " \x80 \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xff" /* invalid: each byte \udcXX */
        " \xe2\x82";                                /* truncated at the end */
    static const char want[] =
        "\"q\\\" b\\\\ n\\u000a t\\u0009 \\u0001\\u001f\x7f"
        " \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"
        " \\udc80 \\udcc0\\udcaf \\udced\\udca0\\udc80 \\udcf4\\udc90\\udc80\\udc80 \\udcff"
        " \\udce2\\udc82\"";
    vkc_buf b = {0};
    vkc_jw_append_string(&b, in, sizeof in - 1);
    REQUIREF(b.data && strcmp(b.data, want) == 0, "got %s", b.data);
    vkc_buf_reset(&b);
    vkc_jw_append_string(&b, "a\0b", 3);
    REQUIRE_CMP(strcmp(b.data, "\"a\\u0000b\""), ==, 0);
    vkc_buf_reset(&b);
    /* Boundaries that are valid: U+0800, U+D7FF, U+E000, U+10000, U+10FFFF. */
    static const char edges[] = "\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xf0\x90\x80\x80\xf4\x8f\xbf\xbf";
    vkc_jw_append_string(&b, edges, sizeof edges - 1);
    REQUIRE_CMP(b.len, ==, sizeof edges - 1 + 2);
    REQUIRE_CMP(memcmp(b.data + 1, edges, sizeof edges - 1), ==, 0);
    vkc_buf_free(&b);
}

static void build_doc(vkc_buf *b, double x)
{
    vkc_jw j;
    vkc_jw_init(&j, b);
    vkc_jw_begin_object(&j);
    vkc_jw_kv_string(&j, "name", "conv1:0");
    vkc_jw_kv_uint(&j, "count", UINT64_MAX);
    vkc_jw_kv_int(&j, "zp", INT64_MIN);
    vkc_jw_kv_double(&j, "scale", x);
    vkc_jw_kv_bool(&j, "ok", 1);
    vkc_jw_key(&j, "list");
    vkc_jw_begin_array(&j);
    vkc_jw_double(&j, 2.5);
    vkc_jw_null(&j);
    vkc_jw_string(&j, NULL);
    vkc_jw_begin_object(&j);
    vkc_jw_end_object(&j);
    vkc_jw_begin_array(&j);
    vkc_jw_end_array(&j);
    vkc_jw_end_array(&j);
    vkc_jw_key(&j, "nested");
    vkc_jw_begin_object(&j);
    vkc_jw_kv_double(&j, "nan", NAN);
    vkc_jw_end_object(&j);
    vkc_jw_end_object(&j);
    vkc_msg msg;
    REQUIRE_CMP(vkc_jw_check(&j, &msg), ==, VKC_OK);
}

static void test_json_structure(void)
{
    static const char want[] =
        "{\n"
        "  \"name\": \"conv1:0\",\n"
        "  \"count\": 18446744073709551615,\n"
        "  \"zp\": -9223372036854775808,\n"
        "  \"scale\": 0.007874015748031496,\n"
        "  \"ok\": true,\n"
        "  \"list\": [\n"
        "    2.5,\n"
        "    null,\n"
        "    null,\n"
        "    {},\n"
        "    []\n"
        "  ],\n"
        "  \"nested\": {\n"
        "    \"nan\": null\n"
        "  }\n"
        "}";
    vkc_buf a = {0}, b = {0};
    build_doc(&a, 1.0 / 127.0);
    REQUIREF(a.data && strcmp(a.data, want) == 0, "got:\n%s", a.data);
    build_doc(&b, 1.0 / 127.0);
    REQUIRE_CMP(a.len, ==, b.len);
    REQUIRE_CMP(memcmp(a.data, b.data, a.len), ==, 0); /* deterministic */
    vkc_buf_free(&a);
    vkc_buf_free(&b);

    /* Misuse is latched and reported. */
    vkc_jw j;
    vkc_msg msg;
    vkc_jw_init(&j, &a);
    vkc_jw_begin_object(&j);
    vkc_jw_uint(&j, 1); /* no key */
    vkc_jw_end_object(&j);
    REQUIRE_CMP(vkc_jw_check(&j, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    vkc_buf_reset(&a);
    vkc_jw_init(&j, &a);
    vkc_jw_begin_array(&j);
    vkc_jw_key(&j, "k"); /* key in array */
    REQUIRE_CMP(vkc_jw_check(&j, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    vkc_buf_reset(&a);
    vkc_jw_init(&j, &a);
    vkc_jw_begin_array(&j);
    vkc_jw_end_object(&j); /* mismatched end */
    REQUIRE_CMP(vkc_jw_check(&j, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    vkc_buf_reset(&a);
    vkc_jw_init(&j, &a);
    vkc_jw_uint(&j, 1);
    vkc_jw_uint(&j, 2); /* second top-level value */
    REQUIRE_CMP(vkc_jw_check(&j, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    vkc_buf_reset(&a);
    vkc_jw_init(&j, &a);
    vkc_jw_begin_object(&j); /* incomplete */
    REQUIRE_CMP(vkc_jw_check(&j, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    vkc_buf_reset(&a);
    vkc_jw_init(&j, &a);
    for (int i = 0; i < VKC_JW_MAX_DEPTH + 1; i++) vkc_jw_begin_array(&j);
    REQUIRE_CMP(vkc_jw_check(&j, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    vkc_buf_reset(&a);
    vkc_jw_init(&j, &a);
    vkc_jw_double(&j, 3.0);
    REQUIRE_CMP(vkc_jw_check(&j, &msg), ==, VKC_OK);
    REQUIRE_CMP(strcmp(a.data, "3"), ==, 0);
    vkc_buf_free(&a);
}

static void test_strbuf(void)
{
    vkc_buf b = {0};
    for (int i = 0; i < 1000; i++) vkc_buf_printf(&b, "%d,", i);
    REQUIRE(!b.oom);
    REQUIRE_CMP(b.len, ==, strlen(b.data));
    REQUIRE_CMP(strncmp(b.data, "0,1,2,", 6), ==, 0);
    REQUIRE(has(b.data, ",999,"));
    char big[5000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = 0;
    size_t before = b.len;
    vkc_buf_printf(&b, "<%s>", big);
    REQUIRE_CMP(b.len, ==, before + sizeof big + 1);
    REQUIRE_CMP(b.data[b.len], ==, 0);
    vkc_buf_append(&b, "", 0);
    REQUIRE_CMP(b.len, ==, before + sizeof big + 1);
    /* Overflowing sizes latch oom instead of wrapping. */
    vkc_buf_append(&b, big, SIZE_MAX - 2);
    REQUIRE(b.oom);
    size_t len = b.len;
    vkc_buf_puts(&b, "more");
    REQUIRE_CMP(b.len, ==, len); /* latched: nothing more */
    vkc_buf_free(&b);
    REQUIRE_CMP(b.data, ==, NULL);
    REQUIRE_CMP(b.len, ==, 0);
    REQUIRE(!b.oom);
}

/* ---- ranges ------------------------------------------------------------ */

/* Nearest representable value to x under q. */
static double fake_quant(const vkc_qparams *q, double x)
{
    double lo = q->is_unsigned ? 0 : -128, hi = q->is_unsigned ? 255 : 127;
    double v = round(x / q->scale) + q->zero_point;
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    return (v - q->zero_point) * q->scale;
}

static int qparams_sane(const vkc_qparams *q)
{
    return q->scale > 0 && isfinite(q->scale) && isnormal(q->scale) && q->zero_point >= -128 &&
           q->zero_point <= 127 && q->lo <= 0 && q->hi >= 0 && q->mode != VKC_MODE_AUTO &&
           fake_quant(q, 0.0) == 0.0;
}

static void test_ranges_modes(void)
{
    vkc_qparams q;
    vkc_msg msg;
    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_SYMMETRIC, -3.0, 5.0, &q, &msg), ==, VKC_OK);
    REQUIRE_CMP(q.lo, ==, -5.0);
    REQUIRE_CMP(q.hi, ==, 5.0);
    REQUIRE_CMP(q.scale, ==, 5.0 / 127.0);
    REQUIRE_CMP(q.zero_point, ==, 0);
    REQUIRE(!q.is_unsigned);
    REQUIRE_CMP(q.mode, ==, VKC_MODE_SYMMETRIC);
    REQUIRE(!q.floored);
    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_SYMMETRIC, 0.0, 2.0, &q, &msg), ==, VKC_OK);
    REQUIRE_CMP(q.lo, ==, -2.0);
    REQUIRE_CMP(q.scale, ==, 2.0 / 127.0);
    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_SYMMETRIC, -7.0, -1.0, &q, &msg), ==, VKC_OK);
    REQUIRE_CMP(q.hi, ==, 7.0);
    REQUIRE_CMP(q.scale, ==, 7.0 / 127.0);
    /* The symmetric scale is the cache's scale. */
    REQUIRE_CMP((float)q.scale, ==, vkc_trt_scale(7.0));

    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_UNSIGNED, 0.0, 10.0, &q, &msg), ==, VKC_OK);
    REQUIRE_CMP(q.lo, ==, 0);
    REQUIRE_CMP(q.hi, ==, 10.0);
    REQUIRE_CMP(q.scale, ==, 10.0 / 255.0);
    REQUIRE_CMP(q.zero_point, ==, 0);
    REQUIRE(q.is_unsigned);
    REQUIRE_CMP(q.mode, ==, VKC_MODE_UNSIGNED);
    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_UNSIGNED, 1.0, 10.0, &q, &msg), ==, VKC_OK);
    REQUIRE_CMP(q.lo, ==, 0);
    REQUIRE_CMP(q.scale, ==, 10.0 / 255.0);
    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_UNSIGNED, -0.5, 10.0, &q, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_UNSIGNED, -0.0, 10.0, &q, &msg), ==, VKC_OK);

    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_AUTO, 0.0, 4.0, &q, &msg), ==, VKC_OK);
    REQUIRE_CMP(q.mode, ==, VKC_MODE_UNSIGNED);
    REQUIRE(q.is_unsigned);
    REQUIRE_CMP(q.scale, ==, 4.0 / 255.0);
    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_AUTO, -1.0, 4.0, &q, &msg), ==, VKC_OK);
    REQUIRE_CMP(q.mode, ==, VKC_MODE_SYMMETRIC);
    REQUIRE(!q.is_unsigned);
    REQUIRE_CMP(q.scale, ==, 4.0 / 127.0);

    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_ASYMMETRIC, -1.0, 3.0, &q, &msg), ==, VKC_OK);
    REQUIRE_CMP(q.scale, ==, 4.0 / 255.0);
    REQUIRE_CMP(q.zero_point, ==, (int32_t)round(255.0 / 4.0) - 128);
    REQUIRE(!q.is_unsigned);
    REQUIRE_CMP(q.mode, ==, VKC_MODE_ASYMMETRIC);
    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_ASYMMETRIC, 2.0, 5.0, &q, &msg), ==, VKC_OK);
    REQUIRE_CMP(q.lo, ==, 0);
    REQUIRE_CMP(q.hi, ==, 5.0);
    REQUIRE_CMP(q.zero_point, ==, -128); /* widened to 0 */
    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_ASYMMETRIC, -2.0, -2.0, &q, &msg), ==, VKC_OK);
    REQUIRE_CMP(q.lo, ==, -2.0);
    REQUIRE_CMP(q.hi, ==, 0);
    REQUIRE_CMP(q.zero_point, ==, 127);

    /* Errors. */
    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_SYMMETRIC, NAN, 1.0, &q, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_SYMMETRIC, 0.0, INFINITY, &q, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_SYMMETRIC, 2.0, 1.0, &q, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_qparams_from_range((vkc_mode)42, 0.0, 1.0, &q, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_ASYMMETRIC, -1e308, 1e308, &q, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_SYMMETRIC, 0.0, 1.0, NULL, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
}

static void test_ranges_roundtrip(void)
{
    vkc_rng rng = {5};
    int ends = 1, sane = 1;
    const vkc_mode modes[] = {VKC_MODE_SYMMETRIC, VKC_MODE_UNSIGNED, VKC_MODE_ASYMMETRIC,
                              VKC_MODE_AUTO};
    for (int i = 0; i < 20000; i++) {
        double mag = pow(10.0, (double)(vkc_rng_next(&rng) % 16) - 8.0);
        double a = (vkc_rng_uniform(&rng) - 0.3) * mag, b = (vkc_rng_uniform(&rng) - 0.3) * mag;
        double lo = fmin(a, b), hi = fmax(a, b);
        vkc_mode m = modes[i % 4];
        if (m == VKC_MODE_UNSIGNED) lo = fabs(lo), hi = fmax(hi, lo);
        vkc_qparams q;
        vkc_msg msg;
        if (vkc_qparams_from_range(m, lo, hi, &q, &msg) != VKC_OK) {
            sane = 0;
            continue;
        }
        sane = sane && qparams_sane(&q);
        /* The range ends are representable within half a step (plus the
         * rounding of the arithmetic itself). */
        double tol = q.scale * (0.5 + 1e-9);
        ends = ends && fabs(fake_quant(&q, q.lo) - q.lo) <= tol &&
               fabs(fake_quant(&q, q.hi) - q.hi) <= tol;
        /* The extreme codes land on the ends; symmetric ranges use the
         * narrow range [-127, 127] (the cache's convention), -128 spare. */
        double qmin = q.is_unsigned ? 0 : q.mode == VKC_MODE_SYMMETRIC ? -127 : -128;
        double qmax = q.is_unsigned ? 255 : 127;
        ends = ends && fabs((qmin - q.zero_point) * q.scale - q.lo) <= tol &&
               fabs((qmax - q.zero_point) * q.scale - q.hi) <= tol;
    }
    REQUIRE(sane);
    REQUIRE(ends);
}

static void test_ranges_floor(void)
{
    const vkc_mode modes[] = {VKC_MODE_SYMMETRIC, VKC_MODE_UNSIGNED, VKC_MODE_ASYMMETRIC,
                              VKC_MODE_AUTO};
    const double consts[] = {0.0, -0.0, 1e-300, 5e-324, 1e-9, 3.0, -2.5, 1e30};
    for (size_t m = 0; m < 4; m++) {
        for (size_t k = 0; k < sizeof consts / sizeof consts[0]; k++) {
            double c = consts[k];
            if (modes[m] == VKC_MODE_UNSIGNED && c < 0) continue;
            vkc_qparams q;
            vkc_msg msg;
            vkc_status st = vkc_qparams_from_range(modes[m], c, c, &q, &msg);
            REQUIREF(st == VKC_OK && qparams_sane(&q), "mode %zu const %g: %s", m, c, msg.text);
            REQUIRE_CMP(q.floored, ==, (fabs(c) < VKC_AMAX_FLOOR));
            REQUIRE_CMP(fabs(fake_quant(&q, c) - c), <=, q.scale * 0.5 + fabs(c) * 1e-12);
        }
    }
    vkc_qparams q;
    vkc_msg msg;
    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_SYMMETRIC, 0.0, 0.0, &q, &msg), ==, VKC_OK);
    REQUIRE_CMP(q.hi, ==, VKC_AMAX_FLOOR);
    REQUIRE_CMP(vkc_f32_bits((float)q.scale), ==, 0x30010204u);
    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_UNSIGNED, 0.0, 0.0, &q, &msg), ==, VKC_OK);
    REQUIRE_CMP(q.hi, ==, VKC_AMAX_FLOOR);
    REQUIRE_CMP(q.scale, ==, VKC_AMAX_FLOOR / 255.0);
    REQUIRE_CMP(vkc_qparams_from_range(VKC_MODE_ASYMMETRIC, 0.0, 0.0, &q, &msg), ==, VKC_OK);
    REQUIRE_CMP(q.lo, ==, 0);
    REQUIRE_CMP(q.hi, ==, VKC_AMAX_FLOOR);
    REQUIRE_CMP(q.zero_point, ==, -128);
}

static void test_names(void)
{
    for (int i = 0; i < 4; i++) {
        vkc_mode m;
        REQUIRE(vkc_mode_parse(vkc_mode_name((vkc_mode)i), &m));
        REQUIRE_CMP(m, ==, (vkc_mode)i);
        vkc_method me;
        REQUIRE(vkc_method_parse(vkc_method_name((vkc_method)i), &me));
        REQUIRE_CMP(me, ==, (vkc_method)i);
    }
    for (int i = 0; i < 2; i++) {
        vkc_flavor f;
        REQUIRE(vkc_flavor_parse(vkc_flavor_name((vkc_flavor)i), &f));
        REQUIRE_CMP(f, ==, (vkc_flavor)i);
    }
    REQUIRE_CMP(strcmp(vkc_mode_name(VKC_MODE_ASYMMETRIC), "asymmetric"), ==, 0);
    REQUIRE_CMP(strcmp(vkc_method_name(VKC_METHOD_MSE), "mse"), ==, 0);
    REQUIRE_CMP(strcmp(vkc_flavor_name(VKC_FLAVOR_TENSORRT), "tensorrt"), ==, 0);
    REQUIRE_CMP(strcmp(vkc_mode_name((vkc_mode)42), "unknown"), ==, 0);
    REQUIRE_CMP(strcmp(vkc_method_name((vkc_method)-1), "unknown"), ==, 0);
    vkc_mode m = VKC_MODE_ASYMMETRIC;
    REQUIRE(!vkc_mode_parse("bogus", &m));
    REQUIRE_CMP(m, ==, VKC_MODE_ASYMMETRIC);
    REQUIRE(!vkc_mode_parse(NULL, &m));
    vkc_method me;
    REQUIRE(!vkc_method_parse("Entropy", &me));
    vkc_flavor f;
    REQUIRE(!vkc_flavor_parse("", &f));
}

/* State files: merging shards whose tensors come in different orders, and
 * a tensor listed twice (found whatever the order). */
static void test_state_order_and_duplicates(void)
{
    char dir[] = "/tmp/vkc_state_XXXXXX";
    REQUIRE_CMP(mkdtemp(dir), !=, NULL);
    char pa[64], pb[64], pd[64];
    snprintf(pa, sizeof pa, "%s/a.vkch", dir);
    snprintf(pb, sizeof pb, "%s/b.vkch", dir);
    snprintf(pd, sizeof pd, "%s/d.vkch", dir);
    static const char *const names[4] = {"conv1", "relu", "fc/out", "z"};
    vkc_state a = {.phase = VKC_STATE_RANGE, .bins = 2048}, b = a, d = a;
    vkc_msg msg = {{0}};
    for (int k = 0; k < 4; k++) {
        vkc_stats sa = {-(float)k, (float)k, (float)k, 10u + (uint64_t)k, 1, 0, 0, 0};
        vkc_stats sb = {-2.0f * (float)k, 0.0f, 2.0f * (float)k, 100, 2, 1, 0, 0}; /* consistent: absmax = -min */
        REQUIRE_CMP(vkc_state_add(&a, names[k], &sa, 0, NULL, &msg), ==, VKC_OK);
        REQUIRE_CMP(vkc_state_add(&b, names[3 - k], &sb, 0, NULL, &msg), ==, VKC_OK); /* reversed */
        REQUIRE_CMP(vkc_state_add(&d, names[k % 3 == 2 ? 0 : k], &sa, 0, NULL, &msg), ==, VKC_OK);
    }
    REQUIRE_CMP(vkc_state_save(pa, &a, &msg), ==, VKC_OK);
    REQUIRE_CMP(vkc_state_save(pb, &b, &msg), ==, VKC_OK);
    REQUIRE_CMP(vkc_state_save(pd, &d, &msg), ==, VKC_OK);
    vkc_state la, lb, ld;
    REQUIRE_CMP(vkc_state_load(pa, &la, &msg), ==, VKC_OK);
    REQUIRE_CMP(vkc_state_load(pb, &lb, &msg), ==, VKC_OK);
    REQUIREF(vkc_state_merge(&la, &lb, &msg) == VKC_OK, "%s", msg.text);
    for (int k = 0; k < 4; k++) {
        uint32_t i = vkc_state_find(&la, names[k]);
        REQUIRE_CMP(i, ==, (uint32_t)k);
        if (i != (uint32_t)k) continue;
        /* b held tensor k with the statistics it was given at 3 - k. */
        float kb = (float)(3 - k);
        REQUIRE_CMP(la.t[i].st.count, ==, 110u + (uint64_t)k);
        REQUIRE_CMP(la.t[i].st.min, ==, fminf(-(float)k, -2.0f * kb));
        REQUIRE_CMP(la.t[i].st.absmax, ==, fmaxf((float)k, 2.0f * kb));
        REQUIRE_CMP(la.t[i].st.nan, ==, 1);
    }
    memset(&msg, 0, sizeof msg);
    REQUIRE_CMP(vkc_state_load(pd, &ld, &msg), ==, VKC_ERROR_FORMAT);
    REQUIREF(strstr(msg.text, "'conv1' twice") != NULL, "%s", msg.text);
    vkc_state_free(&la);
    vkc_state_free(&lb);
    vkc_state_free(&a);
    vkc_state_free(&b);
    vkc_state_free(&d);
    unlink(pa);
    unlink(pb);
    unlink(pd);
    rmdir(dir);
}

int main(void)
{
    test_strbuf();
    test_trt_version();
    test_trt_known_bits();
    test_trt_floor();
    test_trt_write_errors();
    test_trt_roundtrip();
    test_trt_reader_lenient();
    test_trt_reader_errors();
    test_trt_reader_hostile();
    test_atomic();
    test_json_numbers();
    test_json_strings();
    test_json_structure();
    test_ranges_modes();
    test_ranges_roundtrip();
    test_ranges_floor();
    test_names();
    test_state_order_and_duplicates();
    return vkc_test_end();
}
