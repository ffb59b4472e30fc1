/* vkcalib inspect of a vkcalib calibration JSON: each tensor checked and
 * shown with its mode, scale, zero point, range, amax and threshold, or
 * copied to the JSON output with every field of the file kept and what a
 * TensorRT cache would hold for its amax. */
#include "inspect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

int inspect_json(const char *path, const char *buf, size_t len, int json)
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
        rc = inspect_emit_json(jw);
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
    int w = inspect_name_width(names, n);
    free(names);
    /* Split rows: fields of 11 columns (5 digits) fit 80 columns. */
    const int split = inspect_split_rows(w, 96);
    const int nw = split ? 11 : 15;
    if (n) {
        if (split) printf("tensor\n ");
        else inspect_put_name("tensor", w);
        printf(" %-10s %*s %4s %*s %*s %*s %*s\n", "mode", nw, "scale", "zp", nw, "lo", nw, "hi", nw, "amax", nw,
               "threshold");
    }
    for (size_t i = 0; i < n; i++) {
        const json_row *r = &rows[i];
        if (split) {
            inspect_put_name_raw(r->name, 1);
            printf("\n ");
        } else {
            inspect_put_name(r->name, w);
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
    rc = inspect_finish_stdout();
done:
    free(rows);
    vkc_json_free(root);
    return rc;
}
