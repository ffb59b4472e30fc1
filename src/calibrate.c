/* The calibrator (vkcalib.h): DESIGN.md §1 end to end. It owns no stage of
 * its own; it sequences them per tensor:
 *
 *   feed (range pass)      pass/      vkc_range_host / _buffer / recorder
 *   end of the range pass  here       NaN/Inf policy, mode auto, geometry
 *   feed (histogram pass)  pass/      vkc_histogram_host / _buffer / recorder
 *   end of the histogram   search/    vkc_search, one call per mode group
 *                          policy/    vkc_qparams_from_range
 *   results                write/     a vkc_calibration document
 *   feed (measure pass)    pass/      vkc_measure_host
 *
 * Streaming replaces the first two passes by vkc_stream. State files and
 * the exact reductions (merge, adopt) act on the accumulators between the
 * passes (calibrate_share.c), as do the flavours (calibrate_flavor.c) and
 * the guards (calibrate_guard.c). This file stays past 600 lines because
 * feeding and the end of every pass are one state machine over the same
 * per-tensor fields: split, each half would need the other's invariants. */
#include "calibrate.h"
#include "pass/hist_kind.h"
#include "pass/passes.h"
#include "search/search.h"
#include "vk/context.h"
#include "write/calibration.h"
#include "write/state.h"
#include "write/trtcache.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* ---- errors ------------------------------------------------------------ */

/* The message, naming tensor t when t is one. */
vkc_status vkc_cal_fail(vkc_calibrator *c, uint32_t t, vkc_status s, const char *fmt, ...)
{
    char text[sizeof c->msg.text];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    c->failed = t;
    if (t < c->n) vkc_fail(&c->msg, s, "tensor '%s': %s", c->t[t].name, text);
    else vkc_fail(&c->msg, s, "%s", text);
    return s;
}

/* A failure of a pass call on tensor t: the context holds its message. */
static vkc_status fail_ctx(vkc_calibrator *c, uint32_t t, vkc_status s)
{
    return vkc_cal_fail(c, t, s, "%s", vkc_context_error(c->ctx));
}

const char *vkc_cal_pass_name(vkc_pass p)
{
    switch (p) {
    case VKC_PASS_RANGE: return "range";
    case VKC_PASS_HISTOGRAM: return "histogram";
    case VKC_PASS_STREAM: return "stream";
    case VKC_PASS_MEASURE: return "measure";
    case VKC_PASS_DONE: return "done";
    }
    return "unknown";
}

vkc_status vkc_cal_wrong_pass(vkc_calibrator *c, const char *what)
{
    return vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_WRONG_PASS, "%s: not in the %s pass", what, vkc_cal_pass_name(c->pass));
}

/* ---- creation ---------------------------------------------------------- */

/* The extension structs chained to vkc_calibrator_info: vkc_guard_info. */
static vkc_status check_chain(const void *next, vkc_guard_info *g, vkc_msg *m)
{
    memset(g, 0, sizeof *g);
    for (int depth = 0; next; depth++) {
        const vkc_guard_info *h = next;
        if (depth > 8 || h->sType != VKC_STRUCTURE_TYPE_GUARD_INFO)
            return vkc_fail(m, VKC_ERROR_UNSUPPORTED,
                            "vkc_calibrator_info: pNext holds sType %d; the chain takes vkc_guard_info "
                            "(VKC_STRUCTURE_TYPE_GUARD_INFO), once",
                            (int)h->sType);
        *g = *h;
        next = h->pNext;
        if (next && ((const vkc_guard_info *)next)->sType == VKC_STRUCTURE_TYPE_GUARD_INFO)
            return vkc_fail(m, VKC_ERROR_INVALID_ARGUMENT, "vkc_calibrator_info: two vkc_guard_info in pNext");
    }
    g->pNext = NULL;
    g->sType = VKC_STRUCTURE_TYPE_GUARD_INFO;
    if (g->max_clipped == 0) g->max_clipped = VKC_GUARD_DEFAULT_MAX_CLIPPED;
    if (g->max_sqnr_gap_db == 0) g->max_sqnr_gap_db = VKC_GUARD_DEFAULT_SQNR_GAP_DB;
    if (!(g->max_clipped > 0) || !(g->max_sqnr_gap_db > 0))
        return vkc_fail(m, VKC_ERROR_INVALID_ARGUMENT,
                        "vkc_guard_info: max_clipped %g and max_sqnr_gap_db %g must be > 0 (0 means the default)",
                        g->max_clipped, g->max_sqnr_gap_db);
    if (g->methods >> (VKC_METHOD_MAX + 1))
        return vkc_fail(m, VKC_ERROR_INVALID_ARGUMENT, "vkc_guard_info: methods 0x%x names no method", g->methods);
    return VKC_OK;
}

static vkc_status check_info(const vkc_calibrator_info *in, vkc_calibrator_info *out, vkc_guard_info *g,
                             vkc_msg *m)
{
    vkc_status s = vkc_check_struct(in->sType, NULL, VKC_STRUCTURE_TYPE_CALIBRATOR_INFO, "vkc_calibrator_info", m);
    if (s == VKC_OK) s = check_chain(in->pNext, g, m);
    if (s != VKC_OK) return s;
    *out = *in;
    out->pNext = NULL;
    out->sType = VKC_STRUCTURE_TYPE_CALIBRATOR_INFO;
    if (!out->start_bin) out->start_bin = 128;
    if (!out->stride) out->stride = 1;
    if (!(out->percentile > 0)) out->percentile = 99.99;
    if ((unsigned)out->method > VKC_METHOD_MAX) return vkc_fail(m, VKC_ERROR_INVALID_ARGUMENT, "unknown method %d", (int)out->method);
    if ((unsigned)out->mode > VKC_MODE_AUTO) return vkc_fail(m, VKC_ERROR_INVALID_ARGUMENT, "unknown mode %d", (int)out->mode);
    if ((unsigned)out->flavor >= VKC_FLAVOR_COUNT)
        return vkc_fail(m, VKC_ERROR_INVALID_ARGUMENT, "unknown flavor %d", (int)out->flavor);
    if ((unsigned)out->layout > VKC_LAYOUT_NHWC) return vkc_fail(m, VKC_ERROR_INVALID_ARGUMENT, "unknown layout");
    if ((s = vkc_cal_flavor_check(out, m)) != VKC_OK) return s;
    if ((unsigned)out->nonfinite > VKC_NONFINITE_EXCLUDE || (unsigned)out->range > VKC_RANGE_STREAMING)
        return vkc_fail(m, VKC_ERROR_INVALID_ARGUMENT, "unknown non-finite policy or range kind");
    if (out->bins > VKC_CAL_MAX_BINS) return vkc_fail(m, VKC_ERROR_INVALID_ARGUMENT, "%u bins: at most %u", out->bins, VKC_CAL_MAX_BINS);
    if (out->start_bin > VKC_CAL_MAX_BINS)
        return vkc_fail(m, VKC_ERROR_INVALID_ARGUMENT, "start bin %u: at most %u", out->start_bin, VKC_CAL_MAX_BINS);
    if (!vkc_percentile_fraction(out->percentile, NULL))
        return vkc_fail(m, VKC_ERROR_INVALID_ARGUMENT,
                        "percentile %.10g: expected a number in (0, 100] with at most 4 decimals", out->percentile);
    if (out->method == VKC_METHOD_ENTROPY && out->start_bin < 128)
        return vkc_fail(m, VKC_ERROR_INVALID_ARGUMENT,
                        "start bin %u is below the 128 levels of int8: a candidate below that keeps every bin as its "
                        "own level, and the entropy search would clip almost everything",
                        out->start_bin);
    if ((out->method == VKC_METHOD_ENTROPY || out->method == VKC_METHOD_MSE) && out->bins < out->start_bin)
        return vkc_fail(m, VKC_ERROR_INVALID_ARGUMENT, "%u bins, fewer than the start bin %u: no candidate to search",
                        out->bins, out->start_bin);
    if (out->mode == VKC_MODE_ASYMMETRIC && out->method == VKC_METHOD_PERCENTILE)
        return vkc_fail(m, VKC_ERROR_UNSUPPORTED, "mode asymmetric supports the entropy, mse and max methods");
    if (out->range == VKC_RANGE_STREAMING && out->mode == VKC_MODE_ASYMMETRIC)
        return vkc_fail(m, VKC_ERROR_UNSUPPORTED,
                        "the streaming range builds histograms of |x|: mode asymmetric needs the exact range");
    if (out->range == VKC_RANGE_STREAMING && out->bins < 2)
        return vkc_fail(m, VKC_ERROR_INVALID_ARGUMENT, "the streaming range needs at least 2 bins");
    return VKC_OK;
}

vkc_status vkc_calibrator_create(vkc_context *ctx, const vkc_calibrator_info *info, vkc_calibrator **out)
{
    static const vkc_calibrator_info defaults;
    if (!ctx) return VKC_ERROR_INVALID_ARGUMENT;
    if (!out) return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_calibrator_create: out is NULL");
    *out = NULL;
    vkc_calibrator_info in;
    vkc_guard_info g;
    vkc_status s = check_info(info ? info : &defaults, &in, &g, &ctx->msg);
    if (s != VKC_OK) return s;
    vkc_calibrator *c = calloc(1, sizeof *c);
    if (!c) return vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    c->ctx = ctx;
    c->info = in;
    c->guard = g;
    c->pass = in.range == VKC_RANGE_STREAMING ? VKC_PASS_STREAM : VKC_PASS_RANGE;
    c->failed = UINT32_MAX;
    c->keep = in.memory_budget > 0;
    *out = c;
    return VKC_OK;
}

static void drop_kept(cal_tensor *t)
{
    for (uint32_t k = 0; k < t->nkept; k++) free(t->kept[k].data);
    free(t->kept);
    t->kept = NULL;
    t->nkept = t->capkept = 0;
}

void vkc_cal_drop_kept(vkc_calibrator *c)
{
    for (uint32_t t = 0; t < c->n; t++) drop_kept(&c->t[t]);
    c->kept_bytes = 0;
    c->keep = 0;
}

void vkc_calibrator_destroy(vkc_calibrator *c)
{
    if (!c) return;
    for (uint32_t t = 0; t < c->n; t++) {
        cal_tensor *x = &c->t[t];
        free(x->name);
        free(x->counts);
        vkc_recorder_destroy(x->rec);
        vkc_stream_destroy(x->stream);
        drop_kept(x);
    }
    free(c->t);
    free(c->slots);
    vkc_calibration_free(c->results);
    free(c);
}

const char *vkc_calibrator_error(const vkc_calibrator *c)
{
    return c ? c->msg.text : "no calibrator";
}

uint32_t vkc_calibrator_failed_tensor(const vkc_calibrator *c)
{
    return c ? c->failed : UINT32_MAX;
}

vkc_pass vkc_calibrator_pass(const vkc_calibrator *c)
{
    return c ? c->pass : VKC_PASS_DONE;
}

const vkc_calibrator_info *vkc_calibrator_settings(const vkc_calibrator *c)
{
    return c ? &c->info : NULL;
}

/* ---- tensors ----------------------------------------------------------- */

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

uint32_t vkc_cal_find(const vkc_calibrator *c, const char *name)
{
    if (!c->nslots) return UINT32_MAX;
    for (uint32_t k = name_hash(name) & (c->nslots - 1);; k = (k + 1) & (c->nslots - 1)) {
        uint32_t v = c->slots[k];
        if (!v) return UINT32_MAX;
        if (strcmp(c->t[v - 1].name, name) == 0) return v - 1;
    }
}

/* Keeps the index at most half full, so probes stay short. */
static int index_grow(vkc_calibrator *c)
{
    if ((uint64_t)(c->n + 1) * 2 <= c->nslots) return 1;
    uint32_t ns = c->nslots ? c->nslots * 2 : 64;
    if (ns == 0 || ns > (1u << 30)) return 0;
    uint32_t *slots = calloc(ns, sizeof *slots);
    if (!slots) return 0;
    for (uint32_t t = 0; t < c->n; t++) {
        uint32_t k = name_hash(c->t[t].name) & (ns - 1);
        while (slots[k]) k = (k + 1) & (ns - 1);
        slots[k] = t + 1;
    }
    free(c->slots);
    c->slots = slots;
    c->nslots = ns;
    return 1;
}

vkc_status vkc_cal_add_tensor(vkc_calibrator *c, const char *name, uint32_t *index)
{
    if (c->n == c->cap) {
        uint32_t cap = c->cap ? c->cap * 2 : 16;
        cal_tensor *t = cap > c->cap ? realloc(c->t, (size_t)cap * sizeof *t) : NULL;
        if (!t) return vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_OUT_OF_MEMORY, "out of memory for %u tensors", cap);
        c->t = t;
        c->cap = cap;
    }
    size_t len = strlen(name) + 1;
    char *copy = malloc(len);
    if (!copy || !index_grow(c)) {
        free(copy);
        return vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_OUT_OF_MEMORY, "out of memory for tensor names");
    }
    memcpy(copy, name, len);
    cal_tensor *x = &c->t[c->n];
    memset(x, 0, sizeof *x);
    x->name = copy;
    x->absmin = INFINITY;
    x->method = c->info.method;
    x->mode_req = c->info.mode;
    x->result = UINT32_MAX;
    uint32_t k = name_hash(name) & (c->nslots - 1);
    while (c->slots[k]) k = (k + 1) & (c->nslots - 1);
    c->slots[k] = c->n + 1;
    *index = c->n++;
    return VKC_OK;
}

vkc_status vkc_calibrator_tensor(vkc_calibrator *c, const char *name, uint32_t *index)
{
    if (!c) return VKC_ERROR_INVALID_ARGUMENT;
    if (!name || !*name || !index)
        return vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_INVALID_ARGUMENT, "a tensor needs a non-empty name");
    uint32_t t = vkc_cal_find(c, name);
    if (t != UINT32_MAX) {
        *index = t;
        return VKC_OK;
    }
    if (c->pass != VKC_PASS_RANGE && c->pass != VKC_PASS_STREAM)
        return vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_WRONG_PASS,
                      "tensor '%s' is new in the %s pass: tensors are declared in the first pass", name,
                      vkc_cal_pass_name(c->pass));
    return vkc_cal_add_tensor(c, name, index);
}

vkc_status vkc_calibrator_set_tensor(vkc_calibrator *c, uint32_t t, const vkc_tensor_settings *s)
{
    if (!c) return VKC_ERROR_INVALID_ARGUMENT;
    if (t >= c->n) return vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_INVALID_ARGUMENT, "no tensor %u (%u declared)", t, c->n);
    if (!s) return vkc_cal_fail(c, t, VKC_ERROR_INVALID_ARGUMENT, "vkc_calibrator_set_tensor: settings are NULL");
    vkc_status st = vkc_check_struct(s->sType, s->pNext, VKC_STRUCTURE_TYPE_TENSOR_SETTINGS, "vkc_tensor_settings",
                                     &c->msg);
    if (st != VKC_OK) return vkc_cal_fail(c, t, st, "%s", c->msg.text);
    if (s->fields & ~(uint32_t)(VKC_TENSOR_SET_METHOD | VKC_TENSOR_SET_MODE | VKC_TENSOR_SET_SKIP))
        return vkc_cal_fail(c, t, VKC_ERROR_INVALID_ARGUMENT, "unknown vkc_tensor_settings fields 0x%x", s->fields);
    /* Only skipping may come late in the range pass (after an end_pass
     * that failed): a method or mode decides what the first pass keeps. */
    const int first = c->pass == VKC_PASS_RANGE || c->pass == VKC_PASS_STREAM;
    if (!first)
        return vkc_cal_fail(c, t, VKC_ERROR_WRONG_PASS, "per-tensor settings are made in the first pass, not the %s pass",
                            vkc_cal_pass_name(c->pass));
    cal_tensor *ts = &c->t[t];
    vkc_method method = s->fields & VKC_TENSOR_SET_METHOD ? s->method : ts->method;
    vkc_mode mode = s->fields & VKC_TENSOR_SET_MODE ? s->mode : ts->mode_req;
    if ((unsigned)method > VKC_METHOD_MAX) return vkc_cal_fail(c, t, VKC_ERROR_INVALID_ARGUMENT, "unknown method %d", (int)method);
    if ((unsigned)mode > VKC_MODE_AUTO) return vkc_cal_fail(c, t, VKC_ERROR_INVALID_ARGUMENT, "unknown mode %d", (int)mode);
    if (mode == VKC_MODE_ASYMMETRIC && method == VKC_METHOD_PERCENTILE)
        return vkc_cal_fail(c, t, VKC_ERROR_UNSUPPORTED, "mode asymmetric supports the entropy, mse and max methods");
    if (mode == VKC_MODE_ASYMMETRIC && c->info.range == VKC_RANGE_STREAMING)
        return vkc_cal_fail(c, t, VKC_ERROR_UNSUPPORTED,
                            "the streaming range builds histograms of |x|: mode asymmetric needs the exact range");
    if (method == VKC_METHOD_ENTROPY && c->info.start_bin < 128)
        return vkc_cal_fail(c, t, VKC_ERROR_INVALID_ARGUMENT, "start bin %u is below the 128 levels of int8",
                            c->info.start_bin);
    if ((method == VKC_METHOD_ENTROPY || method == VKC_METHOD_MSE) && c->info.bins < c->info.start_bin)
        return vkc_cal_fail(c, t, VKC_ERROR_INVALID_ARGUMENT, "%u bins, fewer than the start bin %u", c->info.bins,
                            c->info.start_bin);
    if (vkc_cal_tool_flavor(c->info.flavor)) {
        /* A tool's flavour defines entropy only, in the modes its tool has. */
        vkc_calibrator_info want = c->info;
        want.method = method;
        want.mode = mode;
        if ((st = vkc_cal_flavor_check(&want, &c->msg)) != VKC_OK) return vkc_cal_fail(c, t, st, "%s", c->msg.text);
    }
    ts->method = method;
    ts->mode_req = mode;
    if (s->fields & VKC_TENSOR_SET_SKIP) ts->skip = s->skip != 0;
    return VKC_OK;
}

int vkc_calibrator_get_tensor(const vkc_calibrator *c, uint32_t t, vkc_tensor_settings *out)
{
    if (!c || t >= c->n || !out) return 0;
    memset(out, 0, sizeof *out);
    out->sType = VKC_STRUCTURE_TYPE_TENSOR_SETTINGS;
    out->fields = VKC_TENSOR_SET_METHOD | VKC_TENSOR_SET_MODE | VKC_TENSOR_SET_SKIP;
    out->method = c->t[t].method;
    out->mode = c->t[t].mode_req;
    out->skip = c->t[t].skip;
    return 1;
}

uint32_t vkc_calibrator_find(const vkc_calibrator *c, const char *name)
{
    return c && name ? vkc_cal_find(c, name) : UINT32_MAX;
}

uint32_t vkc_calibrator_tensor_count(const vkc_calibrator *c)
{
    return c ? c->n : 0;
}

const char *vkc_calibrator_tensor_name(const vkc_calibrator *c, uint32_t t)
{
    return c && t < c->n ? c->t[t].name : NULL;
}

vkc_status vkc_calibrator_set_shape(vkc_calibrator *c, uint32_t t, uint32_t ndim, const uint64_t *dims)
{
    if (!c) return VKC_ERROR_INVALID_ARGUMENT;
    if (t >= c->n) return vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_INVALID_ARGUMENT, "no tensor %u (%u declared)", t, c->n);
    if (ndim < 1 || ndim > 8 || !dims)
        return vkc_cal_fail(c, t, VKC_ERROR_INVALID_ARGUMENT, "a shape has 1 to 8 dimensions, not %u", ndim);
    if (c->pass != VKC_PASS_RANGE && c->pass != VKC_PASS_STREAM) return vkc_cal_wrong_pass(c, "setting a shape");
    uint64_t img = 1;
    for (uint32_t k = 1; k < ndim; k++)
        if (!vkc_mul_u64(img, dims[k], &img))
            return vkc_cal_fail(c, t, VKC_ERROR_INVALID_ARGUMENT, "the shape's size overflows");
    cal_tensor *ts = &c->t[t];
    ts->image_elements = ndim > 1 ? img : 1;
    /* H * W: NCHW [N, C, H, W] or NHWC [N, H, W, C]; a 2-D [N, C] is 1 x 1;
     * a 3-D tensor is taken as [N, C, L] / [N, L, C] with W = 1. */
    const int nhwc = c->info.layout == VKC_LAYOUT_NHWC;
    uint64_t h = 1, w = 1;
    if (ndim >= 3) h = dims[nhwc ? 1 : 2];
    if (ndim >= 4) w = dims[nhwc ? 2 : 3];
    if (!vkc_mul_u64(h, w, &ts->hw)) return vkc_cal_fail(c, t, VKC_ERROR_INVALID_ARGUMENT, "the shape's size overflows");
    return VKC_OK;
}

/* ---- feeding ----------------------------------------------------------- */

/* Keeps a copy of a range-pass array while the budget allows; the first
 * array that does not fit drops them all (the application feeds again). */
static void keep_copy(vkc_calibrator *c, cal_tensor *x, const void *data, uint64_t n, vkc_dtype dtype)
{
    uint64_t bytes = n * vkc_dtype_size(dtype);
    if (!c->keep || bytes > c->info.memory_budget - c->kept_bytes || bytes > SIZE_MAX) {
        vkc_cal_drop_kept(c);
        return;
    }
    if (x->nkept == x->capkept) {
        uint32_t cap = x->capkept ? x->capkept * 2 : 8;
        kept_chunk *k = realloc(x->kept, (size_t)cap * sizeof *k);
        if (!k) {
            vkc_cal_drop_kept(c);
            return;
        }
        x->kept = k;
        x->capkept = cap;
    }
    void *copy = malloc(bytes ? (size_t)bytes : 1);
    if (!copy) {
        vkc_cal_drop_kept(c);
        return;
    }
    memcpy(copy, data, (size_t)bytes);
    x->kept[x->nkept++] = (kept_chunk){copy, n, dtype};
    c->kept_bytes += bytes;
}

static vkc_status feed_one(vkc_calibrator *c, uint32_t t, const void *x, uint64_t n, vkc_dtype dtype)
{
    cal_tensor *ts = &c->t[t];
    vkc_status s;
    if (ts->skip && c->pass != VKC_PASS_RANGE && c->pass != VKC_PASS_STREAM && c->pass != VKC_PASS_DONE)
        return VKC_OK; /* no histogram, no measure for a skipped tensor */
    switch (c->pass) {
    case VKC_PASS_RANGE:
        s = vkc_range_host(c->ctx, x, n, dtype, &ts->st);
        if (s == VKC_OK && c->info.flavor == VKC_FLAVOR_PADDLE) vkc_cal_absmin_add(ts, x, n, dtype);
        break;
    case VKC_PASS_HISTOGRAM:
        s = vkc_histogram_host(c->ctx, x, n, dtype, &ts->spec, ts->counts);
        break;
    case VKC_PASS_STREAM:
        s = ts->stream ? VKC_OK : vkc_stream_create(c->ctx, c->info.bins, &ts->stream);
        if (s == VKC_OK) s = vkc_stream_add(ts->stream, x, n, dtype);
        break;
    case VKC_PASS_MEASURE:
        s = vkc_measure_host(c->ctx, x, n, dtype, &ts->quant, &ts->quality);
        break;
    default:
        return vkc_cal_wrong_pass(c, "feeding");
    }
    return s == VKC_OK ? VKC_OK : fail_ctx(c, t, s);
}

static vkc_status check_tensor(vkc_calibrator *c, uint32_t t)
{
    if (t >= c->n) return vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_INVALID_ARGUMENT, "no tensor %u (%u declared)", t, c->n);
    return VKC_OK;
}

vkc_status vkc_calibrator_feed(vkc_calibrator *c, uint32_t t, const void *x, uint64_t n, vkc_dtype dtype)
{
    if (!c) return VKC_ERROR_INVALID_ARGUMENT;
    vkc_status s = check_tensor(c, t);
    if (s != VKC_OK) return s;
    s = feed_one(c, t, x, n, dtype);
    if (s == VKC_OK && c->pass == VKC_PASS_RANGE && c->keep && !c->t[t].skip) keep_copy(c, &c->t[t], x, n, dtype);
    return s;
}

vkc_status vkc_calibrator_feed_buffer(vkc_calibrator *c, uint32_t t, const vkc_buffer_view *v)
{
    if (!c) return VKC_ERROR_INVALID_ARGUMENT;
    vkc_status s = check_tensor(c, t);
    if (s != VKC_OK) return s;
    cal_tensor *ts = &c->t[t];
    if (c->pass == VKC_PASS_HISTOGRAM && ts->skip) return VKC_OK;
    if (c->pass == VKC_PASS_RANGE) s = vkc_range_buffer(c->ctx, v, &ts->st);
    else if (c->pass == VKC_PASS_HISTOGRAM) s = vkc_histogram_buffer(c->ctx, v, &ts->spec, ts->counts);
    else return vkc_cal_wrong_pass(c, "a device buffer");
    if (c->pass == VKC_PASS_RANGE) {
        vkc_cal_drop_kept(c); /* the buffer's data cannot be kept, */
        ts->absmin = NAN;     /* nor measured for min |x| (flavour paddle) */
    }
    return s == VKC_OK ? VKC_OK : fail_ctx(c, t, s);
}

vkc_status vkc_calibrator_record(vkc_calibrator *c, uint32_t t, VkCommandBuffer cmd, const vkc_buffer_view *v)
{
    if (!c) return VKC_ERROR_INVALID_ARGUMENT;
    vkc_status s = check_tensor(c, t);
    if (s != VKC_OK) return s;
    if (c->pass != VKC_PASS_RANGE && c->pass != VKC_PASS_HISTOGRAM) return vkc_cal_wrong_pass(c, "recording");
    cal_tensor *ts = &c->t[t];
    if (c->pass == VKC_PASS_HISTOGRAM && ts->skip) return VKC_OK;
    if (!ts->rec && (s = vkc_recorder_create(c->ctx, &ts->rec)) != VKC_OK) return fail_ctx(c, t, s);
    s = c->pass == VKC_PASS_RANGE ? vkc_record_range(ts->rec, cmd, v) : vkc_record_histogram(ts->rec, cmd, v, &ts->spec);
    if (c->pass == VKC_PASS_RANGE) {
        vkc_cal_drop_kept(c);
        ts->absmin = NAN; /* a recording's values are not seen here (flavour paddle) */
    }
    if (s != VKC_OK) return fail_ctx(c, t, s);
    ts->recorded = 1;
    return VKC_OK;
}

/* Adds what the application's recorded commands accumulated. */
vkc_status vkc_cal_read_recorders(vkc_calibrator *c)
{
    for (uint32_t t = 0; t < c->n; t++) {
        cal_tensor *ts = &c->t[t];
        if (!ts->recorded) continue;
        int range = c->pass == VKC_PASS_RANGE;
        vkc_status s = vkc_recorder_read(ts->rec, range ? &ts->st : NULL, range ? NULL : ts->counts);
        if (s != VKC_OK) return fail_ctx(c, t, s);
        ts->recorded = 0;
    }
    return VKC_OK;
}

/* ---- the end of the range pass: policy, modes, geometry ---------------- */

static uint64_t nonfinite(const vkc_stats *st)
{
    return st->nan + st->pos_inf + st->neg_inf;
}

static vkc_status prepare_tensor(vkc_calibrator *c, uint32_t t)
{
    cal_tensor *ts = &c->t[t];
    const vkc_stats *st = &ts->st;
    uint64_t bad = nonfinite(st);
    if (ts->skip) {
        free(ts->counts);
        ts->counts = NULL;
        ts->spec = (vkc_hist_spec){VKC_HIST_ABS, c->info.bins, 0.0f, 0.0f};
        return VKC_OK;
    }
    if (bad && c->info.nonfinite == VKC_NONFINITE_ERROR)
        return vkc_cal_fail(c, t, VKC_ERROR_NONFINITE, "%llu NaN, %llu +Inf, %llu -Inf among %llu values",
                      (unsigned long long)st->nan, (unsigned long long)st->pos_inf, (unsigned long long)st->neg_inf,
                      (unsigned long long)(st->count + bad));
    if (st->count == 0) return vkc_cal_fail(c, t, VKC_ERROR_EMPTY, "no finite values (empty tensor?)");
    ts->mode = ts->mode_req;
    if (ts->mode == VKC_MODE_AUTO) ts->mode = st->min >= 0 ? VKC_MODE_UNSIGNED : VKC_MODE_SYMMETRIC;
    if (ts->mode == VKC_MODE_UNSIGNED && st->min < 0)
        return vkc_cal_fail(c, t, VKC_ERROR_INVALID_ARGUMENT, "mode unsigned, but its minimum is %g", (double)st->min);
    /* A tool's flavour bins as the tool does. Two-sided searches need the
     * histogram of x over [min, max] widened to include 0 (DESIGN.md §3:
     * every range is, so on a never-negative tensor this is the histogram
     * of |x| bin for bin); everything else the histogram of |x|. */
    vkc_status fs;
    if (vkc_cal_tool_flavor(c->info.flavor)) {
        if ((fs = vkc_cal_flavor_spec(c, t)) != VKC_OK) return fs;
    } else if (ts->mode == VKC_MODE_ASYMMETRIC && ts->method != VKC_METHOD_MAX)
        ts->spec = (vkc_hist_spec){VKC_HIST_SIGNED, c->info.bins, st->min < 0 ? st->min : 0.0f,
                                   st->max > 0 ? st->max : 0.0f};
    else
        ts->spec = (vkc_hist_spec){VKC_HIST_ABS, c->info.bins, 0.0f, st->absmax};
    free(ts->counts);
    ts->counts = calloc(c->info.bins, sizeof *ts->counts);
    if (!ts->counts) return vkc_cal_fail(c, t, VKC_ERROR_OUT_OF_MEMORY, "out of memory for the histogram");
    return VKC_OK;
}

vkc_status vkc_cal_prepare_all(vkc_calibrator *c)
{
    for (uint32_t t = 0; t < c->n; t++) {
        vkc_status s = prepare_tensor(c, t);
        if (s != VKC_OK) return s;
    }
    return VKC_OK;
}

/* ---- the end of the histogram pass: searches, policy, results ---------- */

static vkc_calibration_settings settings_of(const vkc_calibrator *c)
{
    vkc_calibration_settings s = {0};
    s.source = VKC_SOURCE_CALIBRATOR;
    s.method = c->info.method;
    s.mode = c->info.mode;
    s.flavor = c->info.flavor;
    s.bins = c->info.bins;
    s.start_bin = c->info.start_bin;
    s.stride = c->info.stride;
    s.percentile = c->info.percentile;
    s.nonfinite = c->info.nonfinite;
    s.range = c->info.range;
    s.producer = vkc_version();
    return s;
}

/* The range a search found, through the policy, as a result. */
static vkc_status finish_tensor(vkc_calibrator *c, uint32_t t, const vkc_search_result *found, vkc_tensor_result *r)
{
    cal_tensor *ts = &c->t[t];
    vkc_search_result clamped = *found;
    const vkc_search_result *res = &clamped;
    /* A streaming histogram spans a power of two up to twice the absmax: a
     * threshold past the data (max, or a search that kept every bin) is the
     * absmax itself, as in exact mode. */
    if (c->info.range == VKC_RANGE_STREAMING && ts->mode != VKC_MODE_ASYMMETRIC &&
        clamped.threshold > (double)ts->st.absmax) {
        clamped.threshold = clamped.hi = ts->st.absmax;
        clamped.lo = ts->mode == VKC_MODE_UNSIGNED ? 0.0 : -clamped.hi;
    }
    vkc_qparams q;
    vkc_msg m = {{0}};
    if (vkc_qparams_from_range(ts->mode, res->lo, res->hi, &q, &m) != VKC_OK)
        return vkc_cal_fail(c, t, VKC_ERROR_INVALID_ARGUMENT, "%s", m.text);
    memset(r, 0, sizeof *r);
    r->name = ts->name;
    r->fields = VKC_RESULT_RANGE | VKC_RESULT_STATS | VKC_RESULT_SEARCH;
    r->method = ts->method;
    r->mode = ts->mode;
    r->int_type = q.is_unsigned ? VKC_UINT8 : VKC_INT8;
    r->search = *res;
    /* Two-sided ranges report their upper end as the threshold. */
    r->threshold = ts->mode == VKC_MODE_ASYMMETRIC ? q.hi : res->threshold;
    r->search.threshold = r->threshold;
    r->lo = q.lo;
    r->hi = q.hi;
    r->scale = q.scale;
    r->zero_point = q.zero_point;
    r->floored = q.floored;
    r->amax = vkc_qparams_amax(&q);
    float cs = vkc_trt_scale(r->amax);
    r->cache_scale_bits = cs >= 0 ? vkc_f32_bits(cs) : 0;
    r->stats = ts->st;
    if (nonfinite(&ts->st)) r->warnings |= VKC_WARNING_NONFINITE_EXCLUDED;
    if (q.floored) r->warnings |= VKC_WARNING_FLOORED;
    if (res->fallback) r->warnings |= VKC_WARNING_FALLBACK;
    if (res->tool_warning) r->warnings |= VKC_WARNING_TOOL;
    r->spec = ts->spec;
    r->counts = ts->counts;
    ts->quant = vkc_quant_of(&q);
    return VKC_OK;
}

/* Max in mode asymmetric needs no histogram search: the data's own range. */
static void asym_max(const cal_tensor *ts, vkc_search_result *r)
{
    memset(r, 0, sizeof *r);
    r->sType = VKC_STRUCTURE_TYPE_SEARCH_RESULT;
    r->window_a = 0;
    r->window_b = r->i = ts->spec.bins;
    r->lo = ts->st.min;
    r->hi = r->threshold = ts->st.max;
}

/* One search call per mode group, so that each is one GPU dispatch; the
 * results in tensor order. */
static vkc_status search_all(vkc_calibrator *c)
{
    const uint32_t n = c->n;
    vkc_histogram *h = malloc((n ? n : 1) * sizeof *h);
    vkc_search_result *r = calloc(n ? n : 1, sizeof *r), *all = calloc(n ? n : 1, sizeof *all);
    uint32_t *idx = malloc((n ? n : 1) * sizeof *idx);
    vkc_status s = h && r && all && idx ? VKC_OK : vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    static const vkc_mode groups[] = {VKC_MODE_SYMMETRIC, VKC_MODE_UNSIGNED, VKC_MODE_ASYMMETRIC};
    /* A tool's flavour: every tensor's search in one batch, whatever its
     * mode; otherwise one group per mode and method (per-tensor settings
     * may mix them). */
    const size_t ngroups = vkc_cal_tool_flavor(c->info.flavor) ? 0 : 3 * (VKC_METHOD_MAX + 1);
    if (s == VKC_OK && !ngroups) s = vkc_cal_flavor_search(c, all);
    for (size_t gg = 0; s == VKC_OK && gg < ngroups; gg++) {
        const size_t g = gg / (VKC_METHOD_MAX + 1);
        const vkc_method method = (vkc_method)(gg % (VKC_METHOD_MAX + 1));
        uint32_t m = 0;
        for (uint32_t t = 0; t < n; t++) {
            cal_tensor *ts = &c->t[t];
            if (ts->skip || ts->mode != groups[g] || ts->method != method) continue;
            if (ts->mode == VKC_MODE_ASYMMETRIC && method == VKC_METHOD_MAX) {
                asym_max(ts, &all[t]);
                continue;
            }
            idx[m] = t;
            h[m++] = (vkc_histogram){ts->counts, ts->spec.bins, ts->spec.hi, ts->spec.kind, ts->spec.lo};
        }
        if (!m) continue;
        vkc_search_params sp = {0};
        sp.method = method;
        sp.flavor = c->info.flavor;
        sp.mode = groups[g];
        sp.start_bin = c->info.start_bin;
        sp.stride = c->info.stride;
        sp.percentile = c->info.percentile;
        if (groups[g] == VKC_MODE_ASYMMETRIC) {
            /* Every window of one tensor is already a dispatch: one call
             * each, so that an error names its tensor. */
            for (uint32_t k = 0; s == VKC_OK && k < m; k++) {
                vkc_status ss = vkc_search(c->ctx, &h[k], 1, &sp, &all[idx[k]]);
                if (ss != VKC_OK) s = fail_ctx(c, idx[k], ss);
            }
            continue;
        }
        vkc_status ss = vkc_search(c->ctx, h, m, &sp, r);
        if (ss != VKC_OK) s = vkc_cal_fail(c, UINT32_MAX, ss, "search: %s", vkc_context_error(c->ctx));
        for (uint32_t k = 0; s == VKC_OK && k < m; k++) all[idx[k]] = r[k];
    }
    vkc_calibration_settings set = settings_of(c);
    vkc_calibration *cal = s == VKC_OK ? vkc_calibration_new(&set) : NULL;
    if (s == VKC_OK && !cal) s = vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    for (uint32_t t = 0; s == VKC_OK && t < n; t++) {
        c->t[t].result = UINT32_MAX;
        if (c->t[t].skip) continue;
        vkc_tensor_result res;
        s = finish_tensor(c, t, &all[t], &res);
        /* The document takes the counts: the calibrator is done with them. */
        if (s == VKC_OK && (s = vkc_calibration_add(cal, &res, 1, &c->msg)) == VKC_OK) {
            c->t[t].counts = NULL;
            c->t[t].result = vkc_calibration_count(cal) - 1;
        }
    }
    free(h);
    free(r);
    free(all);
    free(idx);
    if (s != VKC_OK) {
        vkc_calibration_free(cal);
        return s;
    }
    vkc_calibration_free(c->results);
    c->results = cal;
    return vkc_cal_guards(c);
}

/* ---- ending passes ----------------------------------------------------- */

/* The histogram pass must have seen the values the range pass saw: feeding
 * other data (x, then 2x) would pile values into the last bin, silently. */
static vkc_status check_counts(vkc_calibrator *c)
{
    for (uint32_t t = 0; t < c->n; t++) {
        const cal_tensor *ts = &c->t[t];
        uint64_t total = 0;
        if (ts->skip) continue;
        for (uint32_t b = 0; b < ts->spec.bins; b++) total += ts->counts[b];
        uint64_t want;
        const int exact = vkc_kind_binned(ts->spec.kind, &ts->st, &want);
        if (exact ? total != want : total > want)
            return vkc_cal_fail(c, t, VKC_ERROR_MISMATCH,
                                "the histogram pass binned %llu values where the range pass's statistics give %llu: "
                                "both passes must see the same data",
                                (unsigned long long)total, (unsigned long long)want);
    }
    return VKC_OK;
}

/* The kept arrays of the range pass, fed again in the current pass. */
static vkc_status replay_kept(vkc_calibrator *c)
{
    for (uint32_t t = 0; t < c->n; t++)
        for (uint32_t k = 0; k < c->t[t].nkept; k++) {
            const kept_chunk *ch = &c->t[t].kept[k];
            vkc_status s = feed_one(c, t, ch->data, ch->n, ch->dtype);
            if (s != VKC_OK) return s;
        }
    return VKC_OK;
}

static vkc_status after_search(vkc_calibrator *c)
{
    c->pass = c->info.measure ? VKC_PASS_MEASURE : VKC_PASS_DONE;
    if (c->pass == VKC_PASS_DONE || !c->keep) {
        vkc_cal_drop_kept(c);
        return VKC_OK;
    }
    vkc_status s = replay_kept(c);
    if (s == VKC_OK) s = vkc_calibrator_end_pass(c);
    return s;
}

/* Streaming: the stream's statistics go through the same policy, then its
 * histogram (over its power-of-two range) replaces the exact one. */
static vkc_status end_stream(vkc_calibrator *c)
{
    for (uint32_t t = 0; t < c->n; t++)
        if (c->t[t].stream) vkc_stream_result(c->t[t].stream, NULL, &c->t[t].st, NULL);
    vkc_status s = vkc_cal_prepare_all(c);
    for (uint32_t t = 0; s == VKC_OK && t < c->n; t++) {
        cal_tensor *ts = &c->t[t];
        if (ts->skip) continue;
        vkc_histogram h;
        vkc_stream_result(ts->stream, &h, NULL, NULL);
        memcpy(ts->counts, h.counts, (size_t)c->info.bins * sizeof *ts->counts);
        ts->spec.hi = (float)h.range_max;
        if (!isfinite(ts->spec.hi))
            s = vkc_cal_fail(c, t, VKC_ERROR_UNSUPPORTED,
                       "values near the float32 limit leave no power-of-two range: use the exact range");
    }
    return s;
}

vkc_status vkc_calibrator_end_pass(vkc_calibrator *c)
{
    if (!c) return VKC_ERROR_INVALID_ARGUMENT;
    c->failed = UINT32_MAX;
    vkc_status s = vkc_cal_read_recorders(c);
    if (s != VKC_OK) return s;
    switch (c->pass) {
    case VKC_PASS_RANGE:
        if ((s = vkc_cal_prepare_all(c)) != VKC_OK) return s;
        c->pass = VKC_PASS_HISTOGRAM;
        if (!c->keep) {
            vkc_cal_drop_kept(c);
            return VKC_OK;
        }
        /* Every array of the range pass is here: the histogram pass runs
         * now, and the data was read once. */
        if ((s = replay_kept(c)) != VKC_OK) return s;
        return vkc_calibrator_end_pass(c);
    case VKC_PASS_HISTOGRAM:
        if ((s = check_counts(c)) != VKC_OK || (s = search_all(c)) != VKC_OK) return s;
        return after_search(c);
    case VKC_PASS_STREAM:
        if ((s = end_stream(c)) != VKC_OK || (s = search_all(c)) != VKC_OK) return s;
        c->keep = 0;
        return after_search(c);
    case VKC_PASS_MEASURE:
        for (uint32_t t = 0; t < c->n; t++) {
            if (c->t[t].result == UINT32_MAX) continue;
            vkc_tensor_result *r = vkc_calibration_at(c->results, c->t[t].result);
            r->quality = c->t[t].quality;
            r->fields |= VKC_RESULT_QUALITY;
        }
        vkc_cal_drop_kept(c);
        c->pass = VKC_PASS_DONE;
        return VKC_OK;
    case VKC_PASS_DONE:
        break;
    }
    return vkc_cal_wrong_pass(c, "ending a pass");
}

const vkc_calibration *vkc_calibrator_results(const vkc_calibrator *c)
{
    return c && (c->pass == VKC_PASS_MEASURE || c->pass == VKC_PASS_DONE) ? c->results : NULL;
}

