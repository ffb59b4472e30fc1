/* The calibration JSON schema (format "vkcalib-calibration", version 1):
 * the one place that writes it and the one place that reads it, so that
 * calibrate, explain, report, inspect and qdq agree on every field.
 *
 *   {"format": "vkcalib-calibration", "format_version": 1, "vkcalib": V,
 *    "settings": {method, mode, flavor, bins, start_bin, [percentile],
 *                 exclude_nonfinite, range},
 *    "tensors": [{name, method, mode, int_type, threshold, lo, hi, scale,
 *                 zero_point, amax, min, max, absmax, elements, finite,
 *                 zeros, nan, pos_inf, neg_inf, bins, bin_width, i,
 *                 [window_a, window_b], [kl | mse], fallback,
 *                 [fallback_reason], [tool_warning], [warnings], [guard],
 *                 [histogram, [kl_start, kl_stride, kl_curve]]}]}
 *   warnings: the names of the tensor's warning bits, when it has any;
 *   guard: when a quality guard flagged it, {clipped, sqnr_db, best_method,
 *   best_sqnr_db, best_lo, best_hi, max_clipped, max_sqnr_gap_db}.
 *
 * The writer's bytes are part of the interface (tests compare them): the
 * order of members never changes, optional members appear exactly when
 * stated. The reader is lenient about what it does not need: a member it
 * does not know is ignored, a missing one leaves its part of the result
 * unknown (vkc_tensor_result.fields), but a member that is present with the
 * wrong type is an error naming the tensor. */
#include "write/calibration.h"

#include "base/json_parse.h"
#include "base/json_write.h"
#include "search/entropy.h"
#include "write/trtcache.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VKC_JSON_MAX_BINS VKC_HIST_MAX_BINS

/* The names of the warning bits in the JSON's "warnings". */
static const struct {
    uint32_t bit;
    const char *name;
} kWarnings[] = {{VKC_WARNING_NONFINITE_EXCLUDED, "nonfinite_excluded"},
                 {VKC_WARNING_FLOORED, "floored"},
                 {VKC_WARNING_FALLBACK, "fallback"},
                 {VKC_WARNING_TOOL, "tool"},
                 {VKC_WARNING_CLIPPED, "clipped"},
                 {VKC_WARNING_LOW_SQNR, "low_sqnr"}};

/* ---- writing ------------------------------------------------------------- */

/* The |x| histogram and, for entropy, KL of every candidate: what a plot of
 * the calibration needs. KL values are the fast evaluator's (1e-12 from the
 * reference), identical on every backend since they are computed here. */
static void write_histogram(vkc_jw *j, const vkc_calibration_settings *set, const vkc_tensor_result *r)
{
    vkc_jw_key(j, "histogram");
    vkc_jw_begin_array(j);
    for (uint32_t b = 0; b < r->spec.bins; b++) vkc_jw_uint(j, r->counts[b]);
    vkc_jw_end_array(j);
    /* The KL curve is modelopt's; a tool's flavour has its own candidates. */
    if (r->method != VKC_METHOD_ENTROPY || r->mode == VKC_MODE_ASYMMETRIC ||
        (set->flavor != VKC_FLAVOR_MODELOPT && set->flavor != VKC_FLAVOR_TENSORRT))
        return;
    vkc_search_params sp = {0};
    sp.method = r->method;
    sp.flavor = set->flavor;
    sp.mode = r->mode;
    sp.start_bin = set->start_bin;
    sp.stride = set->stride;
    vkc_kl_params kp;
    vkc_kl_params_from(&sp, &kp);
    uint32_t nc = vkc_kl_candidate_count(r->spec.bins, &kp);
    double *kl = malloc((nc ? nc : 1) * sizeof *kl);
    vkc_msg msg;
    if (!kl || vkc_kl_curve(r->counts, r->spec.bins, &kp, kl, &msg) != VKC_OK) {
        free(kl);
        return;
    }
    vkc_jw_kv_uint(j, "kl_start", kp.start);
    vkc_jw_kv_uint(j, "kl_stride", kp.stride);
    vkc_jw_key(j, "kl_curve");
    vkc_jw_begin_array(j);
    for (uint32_t c = 0; c < nc; c++) vkc_jw_double(j, kl[c]); /* +inf and NaN are written as null */
    vkc_jw_end_array(j);
    free(kl);
}

static void write_tensor(vkc_jw *j, const vkc_calibration_settings *set, const vkc_tensor_result *r,
                         int histograms)
{
    const vkc_stats *st = &r->stats;
    vkc_jw_begin_object(j);
    vkc_jw_kv_string(j, "name", r->name);
    vkc_jw_kv_string(j, "method", vkc_method_name(r->method));
    vkc_jw_kv_string(j, "mode", vkc_mode_name(r->mode));
    vkc_jw_kv_string(j, "int_type", r->int_type == VKC_UINT8 ? "uint8" : "int8");
    vkc_jw_kv_double(j, "threshold", r->threshold);
    vkc_jw_kv_double(j, "lo", r->lo);
    vkc_jw_kv_double(j, "hi", r->hi);
    vkc_jw_kv_double(j, "scale", r->scale);
    vkc_jw_kv_int(j, "zero_point", r->zero_point);
    vkc_jw_kv_double(j, "amax", r->amax);
    vkc_jw_kv_double(j, "min", st->min);
    vkc_jw_kv_double(j, "max", st->max);
    vkc_jw_kv_double(j, "absmax", st->absmax);
    vkc_jw_kv_uint(j, "elements", st->count + st->nan + st->pos_inf + st->neg_inf);
    vkc_jw_kv_uint(j, "finite", st->count);
    vkc_jw_kv_uint(j, "zeros", st->zeros);
    vkc_jw_kv_uint(j, "nan", st->nan);
    vkc_jw_kv_uint(j, "pos_inf", st->pos_inf);
    vkc_jw_kv_uint(j, "neg_inf", st->neg_inf);
    vkc_jw_kv_uint(j, "bins", r->spec.bins);
    vkc_jw_kv_double(j, "bin_width", ((double)r->spec.hi - (double)r->spec.lo) / r->spec.bins);
    vkc_jw_kv_uint(j, "i", r->search.i);
    if (r->mode == VKC_MODE_ASYMMETRIC) {
        vkc_jw_kv_uint(j, "window_a", r->search.window_a);
        vkc_jw_kv_uint(j, "window_b", r->search.window_b);
    }
    if (r->method == VKC_METHOD_ENTROPY || r->method == VKC_METHOD_MSE)
        vkc_jw_kv_double(j, r->method == VKC_METHOD_ENTROPY ? "kl" : "mse", r->search.kl);
    vkc_jw_kv_bool(j, "fallback", r->search.fallback);
    if (r->search.fallback) vkc_jw_kv_string(j, "fallback_reason", r->search.message);
    if (r->search.tool_warning) vkc_jw_kv_string(j, "tool_warning", r->search.message);
    if (r->warnings) {
        vkc_jw_key(j, "warnings");
        vkc_jw_begin_array(j);
        for (size_t k = 0; k < sizeof kWarnings / sizeof kWarnings[0]; k++)
            if (r->warnings & kWarnings[k].bit) vkc_jw_string(j, kWarnings[k].name);
        vkc_jw_end_array(j);
    }
    if ((r->fields & VKC_RESULT_GUARD) && (r->warnings & (VKC_WARNING_CLIPPED | VKC_WARNING_LOW_SQNR))) {
        const vkc_guard *g = &r->guard;
        vkc_jw_key(j, "guard");
        vkc_jw_begin_object(j);
        vkc_jw_kv_double(j, "clipped", g->clipped);
        vkc_jw_kv_double(j, "sqnr_db", g->sqnr_db);
        vkc_jw_kv_string(j, "best_method", vkc_method_name(g->best_method));
        vkc_jw_kv_double(j, "best_sqnr_db", g->best_sqnr_db);
        vkc_jw_kv_double(j, "best_lo", g->best_lo);
        vkc_jw_kv_double(j, "best_hi", g->best_hi);
        vkc_jw_kv_double(j, "max_clipped", g->max_clipped);
        vkc_jw_kv_double(j, "max_sqnr_gap_db", g->max_sqnr_gap_db);
        vkc_jw_end_object(j);
    }
    if (histograms && r->counts) write_histogram(j, set, r);
    vkc_jw_end_object(j);
}

vkc_status vkc_calib_json_format(const vkc_calibration *cal, const vkc_write_info *info, vkc_buf *out,
                                 vkc_msg *msg)
{
    const vkc_calibration_settings *set = &cal->settings;
    for (uint32_t t = 0; t < cal->n; t++) {
        const uint32_t need = VKC_RESULT_RANGE | VKC_RESULT_STATS | VKC_RESULT_SEARCH;
        if ((cal->t[t].fields & need) != need)
            return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT,
                            "tensor '%s': a calibration JSON needs the range, statistics and search of every "
                            "tensor (a TensorRT cache holds scales only)",
                            cal->t[t].name);
    }
    vkc_jw j;
    vkc_jw_init(&j, out);
    vkc_jw_begin_object(&j);
    vkc_jw_kv_string(&j, "format", "vkcalib-calibration");
    vkc_jw_kv_uint(&j, "format_version", 1);
    vkc_jw_kv_string(&j, "vkcalib", vkc_version());
    vkc_jw_key(&j, "settings");
    vkc_jw_begin_object(&j);
    vkc_jw_kv_string(&j, "method", vkc_method_name(set->method));
    vkc_jw_kv_string(&j, "mode", vkc_mode_name(set->mode));
    vkc_jw_kv_string(&j, "flavor", vkc_flavor_name(set->flavor));
    vkc_jw_kv_uint(&j, "bins", set->bins);
    vkc_jw_kv_uint(&j, "start_bin", set->start_bin ? set->start_bin : 128);
    if (set->stride > 1) vkc_jw_kv_uint(&j, "stride", set->stride);
    if (set->method == VKC_METHOD_PERCENTILE)
        vkc_jw_kv_double(&j, "percentile", set->percentile > 0 ? set->percentile : 99.99);
    vkc_jw_kv_bool(&j, "exclude_nonfinite", set->nonfinite == VKC_NONFINITE_EXCLUDE);
    vkc_jw_kv_string(&j, "range", set->range == VKC_RANGE_STREAMING ? "streaming" : "exact");
    vkc_jw_end_object(&j);
    vkc_jw_key(&j, "tensors");
    vkc_jw_begin_array(&j);
    for (uint32_t t = 0; t < cal->n; t++) write_tensor(&j, set, &cal->t[t], info->histograms);
    vkc_jw_end_array(&j);
    vkc_jw_end_object(&j);
    vkc_status s = vkc_jw_check(&j, msg);
    if (s == VKC_OK) vkc_buf_putc(out, '\n');
    return s;
}

/* ---- reading ------------------------------------------------------------- */

typedef struct reader {
    const char *file;
    const char *tensor; /* for messages; NULL at the top level */
    vkc_msg *msg;
} reader;

static vkc_status bad(const reader *rd, const char *what)
{
    if (rd->tensor) return vkc_fail(rd->msg, VKC_ERROR_FORMAT, "%s: tensor '%s': %s", rd->file, rd->tensor, what);
    return vkc_fail(rd->msg, VKC_ERROR_FORMAT, "%s: %s", rd->file, what);
}

/* Each getter: 1 when the member is present and of the right type, 0 when
 * absent; a present member of the wrong type sets *st. */
static int get_number(const reader *rd, const vkc_json *o, const char *key, double *out, vkc_status *st)
{
    const vkc_json *v = vkc_json_get(o, key);
    if (!v) return 0;
    if (vkc_json_type_of(v) == VKC_JSON_NULL) { /* NaN and infinities are written as null */
        *out = NAN;
        return 1;
    }
    if (vkc_json_type_of(v) != VKC_JSON_NUMBER) {
        char m[96];
        snprintf(m, sizeof m, "\"%s\" is not a number", key);
        *st = bad(rd, m);
        return 0;
    }
    *out = vkc_json_number(v);
    return 1;
}

static int get_uint(const reader *rd, const vkc_json *o, const char *key, uint64_t *out, vkc_status *st)
{
    const vkc_json *v = vkc_json_get(o, key);
    if (!v) return 0;
    if (!vkc_json_uint64(v, out)) {
        char m[96];
        snprintf(m, sizeof m, "\"%s\" is not a whole number >= 0", key);
        *st = bad(rd, m);
        return 0;
    }
    return 1;
}

static const char *get_string(const reader *rd, const vkc_json *o, const char *key, vkc_status *st)
{
    const vkc_json *v = vkc_json_get(o, key);
    if (!v) return NULL;
    const char *s = vkc_json_string(v, NULL);
    if (!s) {
        char m[96];
        snprintf(m, sizeof m, "\"%s\" is not a string", key);
        *st = bad(rd, m);
    }
    return s;
}

static int get_bool(const reader *rd, const vkc_json *o, const char *key, int *out, vkc_status *st)
{
    const vkc_json *v = vkc_json_get(o, key);
    if (!v) return 0;
    if (!vkc_json_bool(v, out)) {
        char m[96];
        snprintf(m, sizeof m, "\"%s\" is not true or false", key);
        *st = bad(rd, m);
        return 0;
    }
    return 1;
}

static vkc_status read_settings(const reader *rd, const vkc_json *root, vkc_calibration_settings *set)
{
    vkc_status st = VKC_OK;
    const vkc_json *o = vkc_json_get(root, "settings");
    set->source = VKC_SOURCE_JSON;
    set->producer = get_string(rd, root, "vkcalib", &st);
    if (!o) return st;
    if (vkc_json_type_of(o) != VKC_JSON_OBJECT) return bad(rd, "\"settings\" is not an object");
    const char *s;
    if ((s = get_string(rd, o, "method", &st)) && !vkc_method_parse(s, &set->method)) return bad(rd, "unknown method");
    if ((s = get_string(rd, o, "mode", &st)) && !vkc_mode_parse(s, &set->mode)) return bad(rd, "unknown mode");
    if ((s = get_string(rd, o, "flavor", &st)) && !vkc_flavor_parse(s, &set->flavor)) return bad(rd, "unknown flavor");
    if ((s = get_string(rd, o, "range", &st)))
        set->range = strcmp(s, "streaming") == 0 ? VKC_RANGE_STREAMING : VKC_RANGE_EXACT;
    uint64_t u;
    if (get_uint(rd, o, "bins", &u, &st) && u <= VKC_JSON_MAX_BINS) set->bins = (uint32_t)u;
    if (get_uint(rd, o, "start_bin", &u, &st) && u >= 1 && u <= VKC_JSON_MAX_BINS) set->start_bin = (uint32_t)u;
    if (get_uint(rd, o, "stride", &u, &st) && u >= 1 && u <= VKC_JSON_MAX_BINS) set->stride = (uint32_t)u;
    double p;
    if (get_number(rd, o, "percentile", &p, &st) && p > 0 && p <= 100) set->percentile = p;
    int b;
    if (get_bool(rd, o, "exclude_nonfinite", &b, &st)) set->nonfinite = b ? VKC_NONFINITE_EXCLUDE : VKC_NONFINITE_ERROR;
    return st;
}

static vkc_status read_stats(const reader *rd, const vkc_json *jt, vkc_tensor_result *r)
{
    vkc_status st = VKC_OK;
    double mn, mx, am;
    uint64_t fin, z = 0, nan = 0, pinf = 0, ninf = 0;
    int have = get_number(rd, jt, "min", &mn, &st) & get_number(rd, jt, "max", &mx, &st) &
               get_number(rd, jt, "absmax", &am, &st) & get_uint(rd, jt, "finite", &fin, &st);
    get_uint(rd, jt, "zeros", &z, &st);
    get_uint(rd, jt, "nan", &nan, &st);
    get_uint(rd, jt, "pos_inf", &pinf, &st);
    get_uint(rd, jt, "neg_inf", &ninf, &st);
    if (st != VKC_OK || !have) return st;
    if (!isfinite(mn) || !isfinite(mx) || !isfinite(am) || am < 0 || mn > mx)
        return bad(rd, "min, max and absmax must be finite, with min <= max and absmax >= 0");
    r->stats = (vkc_stats){(float)mn, (float)mx, (float)am, fin, z, nan, pinf, ninf};
    r->fields |= VKC_RESULT_STATS;
    return VKC_OK;
}

static vkc_status read_range(const reader *rd, const vkc_json *jt, vkc_tensor_result *r)
{
    vkc_status st = VKC_OK;
    const char *s;
    double thr = NAN, lo, hi, scale, zp = 0, amax;
    if ((s = get_string(rd, jt, "method", &st)) && !vkc_method_parse(s, &r->method)) return bad(rd, "unknown method");
    if ((s = get_string(rd, jt, "mode", &st)) && !vkc_mode_parse(s, &r->mode)) return bad(rd, "unknown mode");
    if (r->mode == VKC_MODE_AUTO) return bad(rd, "mode auto is resolved per tensor: a tensor's mode cannot be auto");
    r->int_type = r->mode == VKC_MODE_UNSIGNED ? VKC_UINT8 : VKC_INT8;
    if ((s = get_string(rd, jt, "int_type", &st))) {
        if (strcmp(s, "uint8") == 0) r->int_type = VKC_UINT8;
        else if (strcmp(s, "int8") == 0) r->int_type = VKC_INT8;
        else return bad(rd, "int_type must be int8 or uint8");
    }
    get_number(rd, jt, "threshold", &thr, &st);
    int have = get_number(rd, jt, "lo", &lo, &st) & get_number(rd, jt, "hi", &hi, &st) &
               get_number(rd, jt, "scale", &scale, &st);
    get_number(rd, jt, "zero_point", &zp, &st);
    if (st != VKC_OK || !have) return st;
    if (!isfinite(lo) || !isfinite(hi) || lo > hi || !(scale > 0) || !isfinite(scale))
        return bad(rd, "lo, hi and scale must be finite, with lo <= hi and scale > 0");
    if (!(zp >= -128 && zp <= 255) || zp != floor(zp)) return bad(rd, "zero_point must be an integer in [-128, 255]");
    r->lo = lo;
    r->hi = hi;
    r->scale = scale;
    r->zero_point = (int32_t)zp;
    r->threshold = isfinite(thr) ? thr : hi;
    double a = fabs(lo), b = fabs(hi);
    r->amax = r->mode == VKC_MODE_SYMMETRIC ? hi : (a > b ? a : b);
    if (get_number(rd, jt, "amax", &amax, &st) && isfinite(amax) && amax >= 0) r->amax = amax;
    if (st != VKC_OK) return st;
    float cs = vkc_trt_scale(r->amax);
    r->cache_scale_bits = cs >= 0 ? vkc_f32_bits(cs) : 0;
    r->fields |= VKC_RESULT_RANGE;
    return VKC_OK;
}

/* The search fields and the histogram geometry they refer to: a histogram
 * of |x| over [0, absmax] (two-sided modes: of x over [min, max]). */
static vkc_status read_search(const reader *rd, const vkc_json *jt, vkc_tensor_result *r)
{
    vkc_status st = VKC_OK;
    uint64_t i, bins = 0, u;
    double v;
    int fb = 0;
    if (!get_uint(rd, jt, "i", &i, &st)) return st;
    if (!get_uint(rd, jt, "bins", &bins, &st) || bins == 0 || bins > VKC_JSON_MAX_BINS || i > bins)
        return st != VKC_OK ? st : bad(rd, "\"bins\" must be 1..65536 and \"i\" at most bins");
    r->search.i = (uint32_t)i;
    if (get_uint(rd, jt, "window_a", &u, &st) && u <= bins) r->search.window_a = (uint32_t)u;
    if (get_uint(rd, jt, "window_b", &u, &st) && u <= bins) r->search.window_b = (uint32_t)u;
    if (get_number(rd, jt, r->method == VKC_METHOD_MSE ? "mse" : "kl", &v, &st)) r->search.kl = v;
    get_bool(rd, jt, "fallback", &fb, &st);
    r->search.fallback = fb;
    const char *why = get_string(rd, jt, "fallback_reason", &st);
    const char *tool = get_string(rd, jt, "tool_warning", &st);
    if (why) snprintf(r->search.message, sizeof r->search.message, "%s", why);
    else if (tool) snprintf(r->search.message, sizeof r->search.message, "%s", tool);
    r->search.tool_warning = tool != NULL;
    if (tool) r->warnings |= VKC_WARNING_TOOL;
    r->search.threshold = r->threshold;
    r->search.lo = r->lo;
    r->search.hi = r->hi;
    if (st != VKC_OK) return st;
    if (r->mode == VKC_MODE_ASYMMETRIC && r->method != VKC_METHOD_MAX) {
        /* Over [min, max] widened to include 0; vkcalib 0.2.0 binned x over
         * [min, max] itself, which its bin_width tells apart. */
        float lo = r->stats.min < 0 ? r->stats.min : 0.0f, hi = r->stats.max > 0 ? r->stats.max : 0.0f;
        double bw;
        if (get_number(rd, jt, "bin_width", &bw, &st) && (lo != r->stats.min || hi != r->stats.max) &&
            bw == ((double)r->stats.max - (double)r->stats.min) / (double)bins)
            lo = r->stats.min, hi = r->stats.max;
        r->spec = (vkc_hist_spec){VKC_HIST_SIGNED, (uint32_t)bins, lo, hi};
    } else
        r->spec = (vkc_hist_spec){VKC_HIST_ABS, (uint32_t)bins, 0.0f, r->stats.absmax};
    r->fields |= VKC_RESULT_SEARCH;
    return VKC_OK;
}

/* "warnings" and "guard": known names set their bits (others are a newer
 * writer's: ignored). */
static vkc_status read_warnings(const reader *rd, const vkc_json *jt, vkc_tensor_result *r)
{
    const vkc_json *w = vkc_json_get(jt, "warnings");
    if (w) {
        if (vkc_json_type_of(w) != VKC_JSON_ARRAY) return bad(rd, "\"warnings\" is not an array");
        for (size_t i = 0; i < vkc_json_len(w); i++) {
            const char *name = vkc_json_string(vkc_json_at(w, i), NULL);
            if (!name) return bad(rd, "\"warnings\" holds a value that is not a string");
            for (size_t k = 0; k < sizeof kWarnings / sizeof kWarnings[0]; k++)
                if (!strcmp(name, kWarnings[k].name)) r->warnings |= kWarnings[k].bit;
        }
    }
    const vkc_json *g = vkc_json_get(jt, "guard");
    if (!g) return VKC_OK;
    if (vkc_json_type_of(g) != VKC_JSON_OBJECT) return bad(rd, "\"guard\" is not an object");
    vkc_status st = VKC_OK;
    vkc_guard *x = &r->guard;
    const char *m;
    x->best_sqnr_db = x->sqnr_db = NAN;
    get_number(rd, g, "clipped", &x->clipped, &st);
    get_number(rd, g, "sqnr_db", &x->sqnr_db, &st);
    get_number(rd, g, "best_sqnr_db", &x->best_sqnr_db, &st);
    get_number(rd, g, "best_lo", &x->best_lo, &st);
    get_number(rd, g, "best_hi", &x->best_hi, &st);
    get_number(rd, g, "max_clipped", &x->max_clipped, &st);
    get_number(rd, g, "max_sqnr_gap_db", &x->max_sqnr_gap_db, &st);
    if ((m = get_string(rd, g, "best_method", &st)) && !vkc_method_parse(m, &x->best_method))
        return bad(rd, "\"guard\": unknown best_method");
    if (st == VKC_OK) r->fields |= VKC_RESULT_GUARD;
    return st;
}

static vkc_status read_histogram(const reader *rd, const vkc_json *jt, vkc_tensor_result *r, uint64_t **counts)
{
    const vkc_json *h = vkc_json_get(jt, "histogram");
    if (!h) return VKC_OK;
    size_t nb = vkc_json_len(h);
    if (vkc_json_type_of(h) != VKC_JSON_ARRAY || nb == 0 || nb > VKC_JSON_MAX_BINS)
        return bad(rd, "\"histogram\" must be an array of 1..65536 counts");
    if ((r->fields & VKC_RESULT_SEARCH) && nb != r->spec.bins) return bad(rd, "\"histogram\" length differs from \"bins\"");
    uint64_t *c = malloc(nb * sizeof *c);
    if (!c) return vkc_fail(rd->msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory", rd->file);
    for (size_t b = 0; b < nb; b++)
        if (!vkc_json_uint64(vkc_json_at(h, b), &c[b])) {
            free(c);
            char m[96];
            snprintf(m, sizeof m, "histogram entry %zu is not a count", b);
            return bad(rd, m);
        }
    if (!(r->fields & VKC_RESULT_SEARCH)) r->spec = (vkc_hist_spec){VKC_HIST_ABS, (uint32_t)nb, 0.0f, r->stats.absmax};
    *counts = c;
    r->counts = c;
    return VKC_OK;
}

vkc_status vkc_calib_json_parse(const char *buf, size_t len, const char *name, vkc_calibration **out, vkc_msg *msg)
{
    *out = NULL;
    vkc_json *root = NULL;
    vkc_msg inner = {{0}};
    vkc_status s = vkc_json_parse(buf, len, &root, &inner);
    if (s != VKC_OK) return vkc_fail(msg, s, "%s: %s", name, inner.text);
    reader rd = {name, NULL, msg};
    const char *format = vkc_json_string(vkc_json_get(root, "format"), NULL);
    const vkc_json *tensors = vkc_json_get(root, "tensors");
    vkc_calibration_settings set = {0};
    vkc_calibration *cal = NULL;
    if (!format || strcmp(format, "vkcalib-calibration") != 0 || vkc_json_type_of(tensors) != VKC_JSON_ARRAY)
        s = bad(&rd, "not a vkcalib calibration JSON (format \"vkcalib-calibration\" with a \"tensors\" array)");
    if (s == VKC_OK) s = read_settings(&rd, root, &set);
    if (s == VKC_OK && !(cal = vkc_calibration_new(&set)))
        s = vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory", name);
    for (size_t k = 0; s == VKC_OK && k < vkc_json_len(tensors); k++) {
        const vkc_json *jt = vkc_json_at(tensors, k);
        vkc_tensor_result r = {0};
        r.method = set.method;
        r.mode = set.mode == VKC_MODE_AUTO ? VKC_MODE_SYMMETRIC : set.mode;
        size_t name_len = 0;
        r.name = vkc_json_string(vkc_json_get(jt, "name"), &name_len);
        if (!r.name || !*r.name || strlen(r.name) != name_len) {
            char m[96];
            snprintf(m, sizeof m, r.name && *r.name ? "tensor %zu: its name holds NUL (\\u0000), which no tensor name may"
                                                    : "tensor %zu has no name",
                     k);
            s = bad(&rd, m);
            break;
        }
        rd.tensor = r.name;
        uint64_t *counts = NULL;
        s = read_range(&rd, jt, &r);
        if (s == VKC_OK) s = read_stats(&rd, jt, &r);
        if (s == VKC_OK && (r.fields & VKC_RESULT_STATS)) s = read_search(&rd, jt, &r);
        if (s == VKC_OK) s = read_warnings(&rd, jt, &r);
        if (s == VKC_OK && (r.fields & VKC_RESULT_STATS)) s = read_histogram(&rd, jt, &r, &counts);
        if (s == VKC_OK) s = vkc_calibration_add(cal, &r, 1, msg);
        else free(counts);
        rd.tensor = NULL;
    }
    vkc_json_free(root);
    if (s != VKC_OK) {
        vkc_calibration_free(cal);
        return s;
    }
    *out = cal;
    return VKC_OK;
}
