/* vkcalib inspect: the tensors, scales and ranges of a TensorRT calibration
 * cache or of a vkcalib JSON, as a table or as JSON. */
#include "cli.h"
#include "dataset.h"
#include "feeder.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Larger files are refused: a cache holds one short line per tensor, so even
 * a model with a million tensors stays far below this. */
#define INSPECT_MAX_BYTES (256ull << 20)

static const char *const kHelp =
    "Usage: vkcalib inspect FILE [--json]\n"
    "\n"
    "Prints the tensors, scales and ranges of a calibration file: a TensorRT\n"
    "calibration cache (from vkcalib, TensorRT, trtexec, ONNX Runtime, Model\n"
    "Optimizer...) or a JSON written by `vkcalib calibrate -o ranges.json`; the\n"
    "statistics of a state file (.vkch, `vkcalib collect`); or the tensors of a\n"
    "calibration set (an .npz, a .npy, a folder: what calibrate would read). The\n"
    "kind is detected from the content: JSON starts with '{', a state with VKCH.\n"
    "FILE '-' reads standard input.\n"
    "\n"
    "A TensorRT calibration cache is a text file:\n"
    "\n"
    "  TRT-8601-EntropyCalibration2      header: TensorRT's version integer\n"
    "  input: 3c010204                   (8.6.1 -> 8601, 10.3.0 -> 100300) and\n"
    "  /layer1/Relu_output_0: 3d418306   the calibrator that wrote it\n"
    "\n"
    "then one `<tensor name>: <hex>` line per tensor. The hex digits are the\n"
    "IEEE-754 bits of the float32 scale, scale = amax / 127: the tensor is\n"
    "quantized symmetrically to int8 codes -127..127 over [-amax, amax]. So\n"
    "3c010204 is the float32 0.00787401572 = 1/127, amax 1.0. TensorRT only\n"
    "reuses a cache whose header names the calibrator it runs (usually\n"
    "EntropyCalibration2), and ignores the version otherwise. Names may hold\n"
    "':' and spaces: the line splits at its last \": \". TensorRT writes a zero\n"
    "scale as `0`.\n"
    "\n"
    "For a cache, the table shows each tensor's scale, its bits and amax =\n"
    "scale * 127; for a vkcalib JSON also the mode, the range [lo, hi], the zero\n"
    "point and the chosen threshold.\n"
    "\n"
    "Options:\n"
    "  --json    print one JSON object instead of the table:\n"
    "            {\"source\": \"trt\" or \"vkcalib-json\", \"version\", \"algo\",\n"
    "             \"tensors\": [{\"name\", \"scale\", \"amax\", ...}]}; for a cache each\n"
    "            tensor has \"scale_bits\" (8 hex digits) too; for a vkcalib JSON\n"
    "            every field of the file is kept, plus \"cache_scale_bits\", what a\n"
    "            TensorRT cache holds for that amax\n"
    "\n"
    "Exit status: 0 ok, 1 unreadable or malformed file, 2 usage error.\n"
    "\n"
    "Example:\n"
    "  vkcalib inspect model.cache\n"
    "  vkcalib inspect ranges.json --json | python3 -m json.tool\n";

/* ---- reading ------------------------------------------------------------ */

/* Reads all of path ('-' = stdin) into *out (NUL-terminated, *len bytes). */
static int read_all(const char *path, char **out, size_t *len)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        cli_error("%s: %s", path, strerror(errno));
        return 0;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            cli_error("%s: is a directory (inspect reads one cache or JSON file)", path);
            if (!is_stdin) fclose(f);
            return 0;
        }
        if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > INSPECT_MAX_BYTES) {
            cli_error("%s: %llu bytes; inspect reads files up to %llu MiB (is this really a calibration "
                      "cache or JSON?)",
                      path, (unsigned long long)st.st_size, INSPECT_MAX_BYTES >> 20);
            if (!is_stdin) fclose(f);
            return 0;
        }
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    int ok = buf != NULL;
    if (!ok) cli_error("out of memory reading %s", path);
    while (ok) {
        if (n == cap) {
            if (cap >= INSPECT_MAX_BYTES) {
                cli_error("%s: more than %llu MiB; inspect reads files up to that size", path,
                          INSPECT_MAX_BYTES >> 20);
                ok = 0;
                break;
            }
            size_t ncap = cap * 2 > INSPECT_MAX_BYTES ? (size_t)INSPECT_MAX_BYTES : cap * 2;
            char *g = realloc(buf, ncap + 1);
            if (!g) {
                cli_error("out of memory reading %s", path);
                ok = 0;
                break;
            }
            buf = g;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                cli_error("%s: read error: %s", path, strerror(errno));
                ok = 0;
            }
            break;
        }
    }
    if (!is_stdin) fclose(f);
    if (!ok) {
        free(buf);
        return 0;
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return 1;
}

/* ---- shared output helpers ---------------------------------------------- */

/* A name for the table: control characters as \xNN, so one tensor stays one
 * row. Returns the columns used (UTF-8 continuation bytes take none). */
static int put_name_raw(const char *s, int print)
{
    int w = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f) {
            if (print) printf("\\x%02x", c);
            w += 4;
        } else {
            if (print) putchar(c);
            if ((c & 0xc0) != 0x80) w++;
        }
    }
    return w;
}

static void put_name(const char *s, int width)
{
    for (int w = put_name_raw(s, 1); w < width; w++) putchar(' ');
}

static int name_width(const char *const *names, size_t n)
{
    int w = 6;
    for (size_t i = 0; i < n; i++) {
        int l = put_name_raw(names[i], 0);
        if (l > w) w = l;
    }
    return w > 48 ? 48 : w;
}

/* On a terminal (or with $COLUMNS) narrower than a row of width w + rest:
 * the name on a line of its own, the numbers indented on the next. Returns
 * 1 when rows are split. */
static int split_rows(int w, int rest)
{
    int cols = cli_columns(stdout);
    return cols && w + rest > cols;
}

/* TensorRT's version integer back to a dotted version, when it looks like one. */
static int version_string(uint32_t v, char *out, size_t size)
{
    unsigned major, minor, patch;
    if (v >= 1000 && v < 10000) major = v / 1000, minor = v / 100 % 10, patch = v % 100;
    else if (v >= 100000 && v < 1000000) major = v / 10000, minor = v / 100 % 100, patch = v % 100;
    else return 0;
    snprintf(out, size, "%u.%u.%u", major, minor, patch);
    return 1;
}

static int finish_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("writing to standard output: %s", strerror(errno));
        return 1;
    }
    return 0;
}

/* Prints the writer's document and destroys it. */
static int emit_json(vkc_jw *j)
{
    vkc_msg msg = {{0}};
    const char *text;
    size_t len;
    if (vkc_jw_finish(j, &text, &len, &msg) != VKC_OK) {
        cli_error("%s", msg.text);
        vkc_jw_destroy(j);
        return 1;
    }
    fwrite(text, 1, len, stdout);
    fputc('\n', stdout);
    vkc_jw_destroy(j);
    return finish_stdout();
}

/* ---- TensorRT cache ----------------------------------------------------- */

static const vkc_calibration *g_sort_cache; /* qsort has no user pointer in C11 */

static const char *entry_name(const vkc_calibration *c, size_t i)
{
    return vkc_calibration_tensor(c, (uint32_t)i)->name;
}

static int cmp_entry(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = strcmp(entry_name(g_sort_cache, x), entry_name(g_sort_cache, y));
    return c ? c : (x > y) - (x < y);
}

/* dup[i] = 1 when an earlier entry has the same name; the first of a name
 * not. Returns the number of names that occur more than once, or -1 when
 * out of memory. O(n log n), so a huge cache stays fast. */
static long mark_duplicates(const vkc_calibration *c, unsigned char *dup, const char *path)
{
    const size_t count = vkc_calibration_count(c);
    size_t *order = malloc((count ? count : 1) * sizeof *order);
    if (!order) return -1;
    for (size_t i = 0; i < count; i++) order[i] = i;
    g_sort_cache = c;
    qsort(order, count, sizeof *order, cmp_entry);
    long names = 0;
    for (size_t k = 1; k < count; k++) {
        if (strcmp(entry_name(c, order[k]), entry_name(c, order[k - 1])) != 0) continue;
        dup[order[k]] = 1; /* same name, later in the file (ties sort by position) */
        if (k == 1 || strcmp(entry_name(c, order[k - 1]), entry_name(c, order[k - 2])) != 0) {
            cli_warn("%s: tensor '%s' appears more than once; readers keep only one of its scales", path,
                     entry_name(c, order[k]));
            names++;
        }
    }
    free(order);
    return names;
}

static int inspect_cache(const char *path, const char *buf, size_t len, int json)
{
    vkc_calibration *c = NULL;
    vkc_msg msg = {{0}};
    if (vkc_calibration_parse(buf, len, path, &c, &msg) != VKC_OK) {
        cli_error("%s", msg.text);
        if (len >= 6 && memcmp(buf, "\x93NUMPY", 6) == 0)
            fprintf(stderr, "  (%s is a .npy array, an input of `vkcalib calibrate`, not a cache)\n", path);
        else if (len >= 4 && memcmp(buf, "PK\x03\x04", 4) == 0)
            fprintf(stderr, "  (%s is a zip/.npz file, an input of `vkcalib calibrate`, not a cache)\n", path);
        return 1;
    }
    const vkc_calibration_settings *set = vkc_calibration_get_settings(c);
    const size_t count = vkc_calibration_count(c);
    size_t zeros = 0, subnormal = 0;
    unsigned char *dup = calloc(count ? count : 1, 1);
    if (!dup || mark_duplicates(c, dup, path) < 0) {
        cli_error("out of memory");
        free(dup);
        vkc_calibration_free(c);
        return 1;
    }
    for (size_t i = 0; i < count; i++) {
        uint32_t bits = vkc_calibration_tensor(c, (uint32_t)i)->cache_scale_bits;
        if (bits == 0) zeros++;
        else if ((bits & 0x7f800000u) == 0) subnormal++;
    }
    if (zeros)
        cli_warn("%s: %zu tensor(s) with scale 0, i.e. amax 0 (how TensorRT writes an all-zero tensor); "
                 "a reader that divides by the scale gets inf",
                 path, zeros);
    if (subnormal) cli_warn("%s: %zu tensor(s) with a subnormal float32 scale (1/scale overflows)", path, subnormal);

    char ver[32];
    int have_ver = version_string(set->trt_version, ver, sizeof ver);
    int rc;
    if (json) {
        vkc_jw *j = vkc_jw_create();
        if (!j) {
            cli_error("out of memory");
            free(dup);
            vkc_calibration_free(c);
            return 1;
        }
        vkc_jw_begin_object(j);
        vkc_jw_kv_string(j, "source", "trt");
        vkc_jw_kv_string(j, "file", path);
        vkc_jw_kv_uint(j, "version", set->trt_version);
        vkc_jw_kv_string(j, "tensorrt_version", have_ver ? ver : NULL);
        vkc_jw_kv_string(j, "algo", set->trt_algo);
        vkc_jw_kv_uint(j, "count", count);
        vkc_jw_key(j, "tensors");
        vkc_jw_begin_array(j);
        for (size_t i = 0; i < count; i++) {
            const vkc_tensor_result *e = vkc_calibration_tensor(c, (uint32_t)i);
            char bits[16];
            snprintf(bits, sizeof bits, "%08x", (unsigned)e->cache_scale_bits);
            vkc_jw_begin_object(j);
            vkc_jw_kv_string(j, "name", e->name);
            vkc_jw_kv_double(j, "scale", e->scale);
            vkc_jw_kv_string(j, "scale_bits", bits);
            vkc_jw_kv_double(j, "amax", e->amax);
            vkc_jw_end_object(j);
        }
        vkc_jw_end_array(j);
        vkc_jw_end_object(j);
        rc = emit_json(j);
    } else {
        printf("%s: TensorRT calibration cache, version %u", path, (unsigned)set->trt_version);
        if (have_ver) printf(" (TensorRT %s)", ver);
        printf(", calibrator %s, %zu tensor%s\n", set->trt_algo, count, count == 1 ? "" : "s");
        const char **names = calloc(count ? count : 1, sizeof *names);
        if (!names) {
            cli_error("out of memory");
            free(dup);
            vkc_calibration_free(c);
            return 1;
        }
        for (size_t i = 0; i < count; i++) names[i] = entry_name(c, i);
        int w = name_width(names, count);
        free(names);
        const int split = split_rows(w, 43 + 13);
        if (count) {
            if (split) printf("tensor\n  ");
            else put_name("tensor", w);
            printf(" %16s %8s %16s\n", "scale", "bits", "amax");
        }
        for (size_t i = 0; i < count; i++) {
            const vkc_tensor_result *e = vkc_calibration_tensor(c, (uint32_t)i);
            if (split) {
                put_name_raw(e->name, 1);
                printf("\n  ");
            } else {
                put_name(e->name, w);
            }
            printf(" %16.9g %08x %16.9g%s\n", e->scale, (unsigned)e->cache_scale_bits, e->amax,
                   dup[i] ? "  (duplicate)" : "");
        }
        rc = finish_stdout();
    }
    free(dup);
    vkc_calibration_free(c);
    return rc;
}

/* ---- vkcalib JSON --------------------------------------------------------- */

/* Copies any JSON value into the writer; integer tokens stay exact. */
static void copy_value(vkc_jw *j, const vkc_json *v)
{
    size_t n;
    uint64_t u;
    int b;
    switch (vkc_json_type_of(v)) {
    case VKC_JSON_NULL: vkc_jw_null(j); break;
    case VKC_JSON_BOOL: vkc_json_bool(v, &b); vkc_jw_bool(j, b); break;
    case VKC_JSON_NUMBER:
        if (vkc_json_uint64(v, &u)) vkc_jw_uint(j, u);
        else vkc_jw_double(j, vkc_json_number(v));
        break;
    case VKC_JSON_STRING: {
        const char *s = vkc_json_string(v, &n);
        vkc_jw_string_n(j, s, n);
        break;
    }
    case VKC_JSON_ARRAY:
        vkc_jw_begin_array(j);
        for (size_t i = 0; i < vkc_json_len(v); i++) copy_value(j, vkc_json_at(v, i));
        vkc_jw_end_array(j);
        break;
    case VKC_JSON_OBJECT:
        vkc_jw_begin_object(j);
        for (size_t i = 0; i < vkc_json_len(v); i++) {
            vkc_jw_key(j, vkc_json_key_at(v, i, NULL));
            copy_value(j, vkc_json_at(v, i));
        }
        vkc_jw_end_object(j);
        break;
    }
}

/* A number member, or NaN when absent, null or not a number. */
static double num(const vkc_json *obj, const char *key)
{
    return vkc_json_number(vkc_json_get(obj, key));
}

typedef struct json_row {
    const char *name;
    const char *mode;     /* may be NULL */
    double scale, amax, lo, hi, threshold;
    int has_zp;
    double zp;
} json_row;

/* Checks one tensor entry; prints the error itself. */
static int check_tensor(const char *path, size_t i, const vkc_json *t, json_row *r)
{
    if (vkc_json_type_of(t) != VKC_JSON_OBJECT) {
        cli_error("%s: tensors[%zu] is %s, expected an object", path, i,
                  vkc_json_type_name(vkc_json_type_of(t)));
        return 0;
    }
    size_t nlen = 0;
    r->name = vkc_json_string(vkc_json_get(t, "name"), &nlen);
    if (!r->name || !*r->name) {
        cli_error("%s: tensors[%zu] has no \"name\" string", path, i);
        return 0;
    }
    if (strlen(r->name) != nlen) {
        cli_error("%s: tensors[%zu]: the name holds NUL (\\u0000), which no tensor name may", path, i);
        return 0;
    }
    const vkc_json *sv = vkc_json_get(t, "scale");
    r->scale = vkc_json_number(sv);
    if (!(r->scale > 0) || isinf(r->scale)) {
        char got[64];
        if (vkc_json_type_of(sv) == VKC_JSON_NUMBER) snprintf(got, sizeof got, "%g", r->scale);
        else snprintf(got, sizeof got, "%s", sv ? vkc_json_type_name(vkc_json_type_of(sv)) : "no \"scale\"");
        cli_error("%s: tensor '%s' (tensors[%zu]): \"scale\" must be a positive finite number, got %s", path,
                  r->name, i, got);
        return 0;
    }
    r->mode = vkc_json_string(vkc_json_get(t, "mode"), NULL);
    r->lo = num(t, "lo");
    r->hi = num(t, "hi");
    r->threshold = num(t, "threshold");
    r->zp = num(t, "zero_point");
    r->has_zp = !isnan(r->zp);
    r->amax = num(t, "amax");
    if (isnan(r->amax)) {
        /* Older or hand-written files: the symmetric envelope of the range. */
        if (!isnan(r->lo) && !isnan(r->hi)) r->amax = fmax(fabs(r->lo), fabs(r->hi));
        else if (!r->mode || strcmp(r->mode, "symmetric") == 0) r->amax = r->scale * 127.0;
    }
    return 1;
}

static void put_num(double v, int width)
{
    if (isnan(v)) printf(" %*s", width, "-");
    else printf(" %*.*g", width, width >= 15 ? 9 : width - 6, v); /* "-1.2345e-05": precision + 6 */
}

static int inspect_json(const char *path, const char *buf, size_t len, int json)
{
    vkc_json *root = NULL;
    vkc_msg msg = {{0}};
    if (vkc_json_parse(buf, len, &root, &msg) != VKC_OK) {
        cli_error("%s: %s", path, msg.text);
        return 1;
    }
    int rc = 1;
    json_row *rows = NULL;
    const char *format = vkc_json_string(vkc_json_get(root, "format"), NULL);
    const vkc_json *tensors = vkc_json_get(root, "tensors");
    const vkc_json *settings = vkc_json_get(root, "settings");
    uint64_t fv = 0;
    int have_fv = vkc_json_uint64(vkc_json_get(root, "format_version"), &fv);
    if (vkc_json_type_of(root) != VKC_JSON_OBJECT || !format || strcmp(format, "vkcalib-calibration") != 0) {
        cli_error("%s: not a vkcalib calibration JSON (expected an object with \"format\": "
                  "\"vkcalib-calibration\"%s%s%s)",
                  path, format ? ", found \"" : "", format ? format : "", format ? "\"" : "");
        goto done;
    }
    if (vkc_json_type_of(tensors) != VKC_JSON_ARRAY) {
        cli_error("%s: \"tensors\" is missing or not an array", path);
        goto done;
    }
    if (have_fv && fv > 1)
        cli_warn("%s: format_version %llu is newer than this vkcalib knows (1); showing the common fields", path,
                 (unsigned long long)fv);
    size_t n = vkc_json_len(tensors);
    rows = calloc(n ? n : 1, sizeof *rows);
    if (!rows) {
        cli_error("out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (!check_tensor(path, i, vkc_json_at(tensors, i), &rows[i])) goto done;

    const char *method = vkc_json_string(vkc_json_get(settings, "method"), NULL);
    const char *mode = vkc_json_string(vkc_json_get(settings, "mode"), NULL);
    const char *flavor = vkc_json_string(vkc_json_get(settings, "flavor"), NULL);
    const char *producer = vkc_json_string(vkc_json_get(root, "vkcalib"), NULL);
    if (json) {
        vkc_jw *jw = vkc_jw_create();
        if (!jw) {
            cli_error("out of memory");
            goto done;
        }
        vkc_jw_begin_object(jw);
        vkc_jw_kv_string(jw, "source", "vkcalib-json");
        vkc_jw_kv_string(jw, "file", path);
        /* "version" and "algo" describe a cache header; a JSON has neither. */
        vkc_jw_key(jw, "version");
        vkc_jw_null(jw);
        vkc_jw_key(jw, "algo");
        vkc_jw_null(jw);
        if (have_fv) vkc_jw_kv_uint(jw, "format_version", fv);
        vkc_jw_kv_string(jw, "vkcalib", producer);
        if (settings) {
            vkc_jw_key(jw, "settings");
            copy_value(jw, settings);
        }
        vkc_jw_kv_uint(jw, "count", n);
        vkc_jw_key(jw, "tensors");
        vkc_jw_begin_array(jw);
        for (size_t i = 0; i < n; i++) {
            const vkc_json *t = vkc_json_at(tensors, i);
            vkc_jw_begin_object(jw);
            vkc_jw_kv_string(jw, "name", rows[i].name);
            vkc_jw_kv_double(jw, "scale", rows[i].scale);
            vkc_jw_kv_double(jw, "amax", rows[i].amax);
            for (size_t k = 0; k < vkc_json_len(t); k++) {
                const char *key = vkc_json_key_at(t, k, NULL);
                if (!strcmp(key, "name") || !strcmp(key, "scale") || !strcmp(key, "amax")) continue;
                vkc_jw_key(jw, key);
                copy_value(jw, vkc_json_at(t, k));
            }
            float cs = isnan(rows[i].amax) ? -1.0f : vkc_trt_scale(rows[i].amax);
            if (cs >= 0) {
                char bits[16];
                snprintf(bits, sizeof bits, "%08x", (unsigned)cli_f32_bits(cs));
                vkc_jw_kv_string(jw, "cache_scale_bits", bits);
            } else {
                vkc_jw_key(jw, "cache_scale_bits");
                vkc_jw_null(jw);
            }
            vkc_jw_end_object(jw);
        }
        vkc_jw_end_array(jw);
        vkc_jw_end_object(jw);
        rc = emit_json(jw);
        goto done;
    }

    printf("%s: vkcalib calibration JSON", path);
    if (have_fv) printf(" (format %llu", (unsigned long long)fv);
    if (producer) printf("%svkcalib %s", have_fv ? ", " : " (", producer);
    if (have_fv || producer) putchar(')');
    printf(", %zu tensor%s", n, n == 1 ? "" : "s");
    if (method || mode || flavor)
        printf("%smethod %s, mode %s, flavor %s", cli_columns(stdout) ? ";\n  " : "; ", method ? method : "?",
               mode ? mode : "?", flavor ? flavor : "?");
    putchar('\n');
    const char **names = calloc(n ? n : 1, sizeof *names);
    if (!names) {
        cli_error("out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) names[i] = rows[i].name;
    int w = name_width(names, n);
    free(names);
    /* Split rows: fields of 11 columns (5 digits) fit 80 columns. */
    const int split = split_rows(w, 96);
    const int nw = split ? 11 : 15;
    if (n) {
        if (split) printf("tensor\n ");
        else put_name("tensor", w);
        printf(" %-10s %*s %4s %*s %*s %*s %*s\n", "mode", nw, "scale", "zp", nw, "lo", nw, "hi", nw, "amax", nw,
               "threshold");
    }
    for (size_t i = 0; i < n; i++) {
        const json_row *r = &rows[i];
        if (split) {
            put_name_raw(r->name, 1);
            printf("\n ");
        } else {
            put_name(r->name, w);
        }
        printf(" %-10s", r->mode ? r->mode : "-");
        put_num(r->scale, nw);
        if (r->has_zp) printf(" %4.0f", r->zp);
        else printf(" %4s", "-");
        put_num(r->lo, nw);
        put_num(r->hi, nw);
        put_num(r->amax, nw);
        put_num(r->threshold, nw);
        putchar('\n');
    }
    rc = finish_stdout();
done:
    free(rows);
    vkc_json_free(root);
    return rc;
}

/* ---- state files and calibration sets ------------------------------------ */

static int inspect_state(const char *path, const char *buf, size_t len, int json)
{
    vkc_calibration *c = NULL;
    vkc_msg msg = {{0}};
    if (vkc_calibration_parse(buf, len, path, &c, &msg) != VKC_OK) {
        cli_error("%s", msg.text);
        return 1;
    }
    const vkc_calibration_settings *set = vkc_calibration_get_settings(c);
    const int hist = set->source == VKC_SOURCE_STATE_HISTOGRAM;
    const uint32_t n = vkc_calibration_count(c);
    if (json) {
        vkc_jw *j = vkc_jw_create();
        if (!j) {
            cli_error("out of memory");
            vkc_calibration_free(c);
            return 1;
        }
        vkc_jw_begin_object(j);
        vkc_jw_kv_string(j, "source", "vkcalib-state");
        vkc_jw_kv_string(j, "file", path);
        vkc_jw_kv_string(j, "round", hist ? "histogram" : "range");
        vkc_jw_kv_uint(j, "bins", set->bins);
        vkc_jw_kv_bool(j, "exclude_nonfinite", set->nonfinite == VKC_NONFINITE_EXCLUDE);
        vkc_jw_kv_uint(j, "count", n);
        vkc_jw_key(j, "tensors");
        vkc_jw_begin_array(j);
        for (uint32_t t = 0; t < n; t++) {
            const vkc_tensor_result *r = vkc_calibration_tensor(c, t);
            vkc_jw_begin_object(j);
            vkc_jw_kv_string(j, "name", r->name);
            vkc_jw_kv_uint(j, "finite", r->stats.count);
            vkc_jw_kv_double(j, "min", r->stats.min);
            vkc_jw_kv_double(j, "max", r->stats.max);
            vkc_jw_kv_double(j, "absmax", r->stats.absmax);
            vkc_jw_kv_uint(j, "zeros", r->stats.zeros);
            vkc_jw_kv_uint(j, "nan", r->stats.nan);
            vkc_jw_kv_uint(j, "pos_inf", r->stats.pos_inf);
            vkc_jw_kv_uint(j, "neg_inf", r->stats.neg_inf);
            if (r->counts) {
                uint64_t total = 0;
                for (uint32_t b = 0; b < r->spec.bins; b++) total += r->counts[b];
                vkc_jw_kv_uint(j, "histogram_total", total);
            }
            vkc_jw_end_object(j);
        }
        vkc_jw_end_array(j);
        vkc_jw_end_object(j);
        vkc_calibration_free(c);
        return emit_json(j);
    }
    printf("%s: vkcalib state file, %s round (%s), %u bins, non-finite values %s, %u tensor%s\n", path,
           hist ? "histogram" : "range", hist ? "statistics and histograms of |x|" : "range statistics", set->bins,
           set->nonfinite == VKC_NONFINITE_EXCLUDE ? "excluded" : "an error", n, n == 1 ? "" : "s");
    const char **names = calloc(n ? n : 1, sizeof *names);
    for (uint32_t t = 0; names && t < n; t++) names[t] = vkc_calibration_tensor(c, t)->name;
    int w = names ? name_width(names, n) : 6;
    free(names);
    const int split = split_rows(w, 5 * 13 + 3 * 8 + (hist ? 13 : 0));
    if (n) {
        if (split) printf("tensor\n ");
        else put_name("tensor", w);
        printf(" %12s %12s %12s %12s %12s %7s %7s %7s%s\n", "finite", "min", "max", "absmax", "zeros", "NaN", "+Inf",
               "-Inf", hist ? "    binned" : "");
    }
    for (uint32_t t = 0; t < n; t++) {
        const vkc_tensor_result *r = vkc_calibration_tensor(c, t);
        if (split) {
            put_name_raw(r->name, 1);
            printf("\n ");
        } else {
            put_name(r->name, w);
        }
        printf(" %12llu %12.6g %12.6g %12.6g %12llu %7llu %7llu %7llu", (unsigned long long)r->stats.count,
               (double)r->stats.min, (double)r->stats.max, (double)r->stats.absmax, (unsigned long long)r->stats.zeros,
               (unsigned long long)r->stats.nan, (unsigned long long)r->stats.pos_inf,
               (unsigned long long)r->stats.neg_inf);
        if (r->counts) {
            uint64_t total = 0;
            for (uint32_t b = 0; b < r->spec.bins; b++) total += r->counts[b];
            printf(" %10llu", (unsigned long long)total);
        }
        putchar('\n');
    }
    if (!hist) printf("(a range round: `vkcalib collect --range-from %s` histograms a shard over these ranges)\n", path);
    vkc_calibration_free(c);
    return finish_stdout();
}

/* A calibration set, as calibrate would read it: its tensors, the batches
 * holding each, the first batch's dtype and shape. */
static int inspect_set(const char *path, int json)
{
    char *inputs[1] = {(char *)path};
    dataset ds;
    if (!dataset_scan(&ds, inputs, 1, 1)) {
        dataset_free(&ds);
        return 1;
    }
    vkc_jw *j = json ? vkc_jw_create() : NULL;
    if (json && !j) {
        cli_error("out of memory");
        dataset_free(&ds);
        return 1;
    }
    if (j) {
        vkc_jw_begin_object(j);
        vkc_jw_kv_string(j, "source", "calibration-set");
        vkc_jw_kv_string(j, "file", path);
        vkc_jw_kv_uint(j, "count", ds.ntensors);
        vkc_jw_key(j, "tensors");
        vkc_jw_begin_array(j);
    } else {
        printf("%s: calibration set, %u tensor%s, %u file%s\n", path, ds.ntensors, ds.ntensors == 1 ? "" : "s",
               ds.nfiles, ds.nfiles == 1 ? "" : "s");
    }
    const char **names = calloc(ds.ntensors ? ds.ntensors : 1, sizeof *names);
    for (uint32_t t = 0; names && t < ds.ntensors; t++) names[t] = ds.tensors[t].name;
    int w = names ? name_width(names, ds.ntensors) : 6;
    free(names);
    const int split = !j && split_rows(w, 8 + 6 + 40);
    if (!j && ds.ntensors) {
        if (split) printf("tensor\n ");
        else put_name("tensor", w);
        printf(" %7s %5s  %s\n", "batches", "dtype", "first batch");
    }
    for (uint32_t t = 0; t < ds.ntensors; t++) {
        const ds_tensor *ten = &ds.tensors[t];
        char shape[160] = "-", dt[8] = "?";
        vkc_source *src = NULL;
        vkc_msg msg = {{0}};
        if (ten->nitems && feeder_open_item(&ten->items[0], &src, &msg) == VKC_OK) {
            vkc_npy_describe(vkc_source_header(src), shape, sizeof shape);
            snprintf(dt, sizeof dt, "%s", vkc_npy_type_name(vkc_source_dtype(src)));
            vkc_source_close(src);
        } else if (ten->nitems) {
            snprintf(shape, sizeof shape, "unreadable: %.140s", msg.text);
        }
        if (j) {
            vkc_jw_begin_object(j);
            vkc_jw_kv_string(j, "name", ten->name);
            vkc_jw_kv_uint(j, "batches", ten->nitems);
            vkc_jw_kv_string(j, "dtype", dt);
            vkc_jw_kv_string(j, "first_batch", shape);
            vkc_jw_end_object(j);
            continue;
        }
        if (split) {
            put_name_raw(ten->name, 1);
            printf("\n ");
        } else {
            put_name(ten->name, w);
        }
        printf(" %7u %5s  %s\n", ten->nitems, dt, shape);
    }
    dataset_free(&ds);
    if (j) {
        vkc_jw_end_array(j);
        vkc_jw_end_object(j);
        return emit_json(j);
    }
    return finish_stdout();
}

static int is_set_path(const char *path)
{
    struct stat st;
    size_t n = strlen(path);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return 1;
    return n >= 4 && (!strcmp(path + n - 4, ".npz") || !strcmp(path + n - 4, ".npy"));
}

/* ---- command -------------------------------------------------------------- */

int cmd_inspect(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(kHelp, stdout);
            return 0;
        }
        if (strcmp(a, "--json") == 0) {
            json = 1;
            continue;
        }
        if (a[0] == '-' && strcmp(a, "-") != 0) {
            cli_error("inspect: unknown option %s (see --help)", a);
            return 2;
        }
        if (path) {
            cli_error("inspect: one FILE at a time (got %s and %s)", path, a);
            return 2;
        }
        path = a;
    }
    if (!path) {
        cli_error("inspect: give a FILE, a TensorRT cache or a vkcalib JSON (see --help)");
        return 2;
    }
    if (strcmp(path, "-") != 0 && is_set_path(path)) return inspect_set(path, json);
    char *buf = NULL;
    size_t len = 0;
    if (!read_all(path, &buf, &len)) return 1;
    if (len >= 4 && memcmp(buf, "VKCH", 4) == 0) {
        int rc = inspect_state(path, buf, len, json);
        free(buf);
        return rc;
    }
    size_t p = 0;
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) p = 3; /* UTF-8 byte order mark */
    while (p < len && (buf[p] == ' ' || buf[p] == '\t' || buf[p] == '\r' || buf[p] == '\n')) p++;
    size_t bom = p >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    int rc = p < len && buf[p] == '{' ? inspect_json(path, buf, len, json)
                                      : inspect_cache(path, buf + bom, len - bom, json);
    free(buf);
    return rc;
}
