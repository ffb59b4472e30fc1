/* vkcalib inspect of a TensorRT calibration cache: its header (TensorRT's
 * version, the calibrator) and every tensor's scale, bits and amax, with
 * warnings for repeated names and for zero or subnormal scales. */
#include "inspect.h"

#include <stdlib.h>
#include <string.h>

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

int inspect_cache(const char *path, const char *buf, size_t len, int json)
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
        rc = inspect_emit_json(j);
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
        int w = inspect_name_width(names, count);
        free(names);
        const int split = inspect_split_rows(w, 43 + 13);
        if (count) {
            if (split) printf("tensor\n  ");
            else inspect_put_name("tensor", w);
            printf(" %16s %8s %16s\n", "scale", "bits", "amax");
        }
        for (size_t i = 0; i < count; i++) {
            const vkc_tensor_result *e = vkc_calibration_tensor(c, (uint32_t)i);
            if (split) {
                inspect_put_name_raw(e->name, 1);
                printf("\n  ");
            } else {
                inspect_put_name(e->name, w);
            }
            printf(" %16.9g %08x %16.9g%s\n", e->scale, (unsigned)e->cache_scale_bits, e->amax,
                   dup[i] ? "  (duplicate)" : "");
        }
        rc = inspect_finish_stdout();
    }
    free(dup);
    vkc_calibration_free(c);
    return rc;
}
