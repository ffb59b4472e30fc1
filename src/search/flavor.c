/* The flavours' search driver (flavor.h; the defaults table is flavor_table.c): candidates
 * through the shared cascade with the tool's evaluator deciding, the tools'
 * tie rule, their degenerate cases and what vkcalib says about them. */
#include "search/flavor.h"
#include "base/numeric.h"
#include "base/parallel.h"
#include "pass/hist_kind.h"
#include "search/flavor_impl.h"
#include "search/select.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

vkc_status vkc_flavor_hist_spec(const vkc_flavor_params *p, const vkc_stats *st, vkc_hist_spec *spec, vkc_msg *msg)
{
    const vkc_flavor_info *info = p ? vkc_flavor_get(p->flavor) : NULL;
    if (!info || !st || !spec) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "flavour spec: bad arguments");
    const uint32_t bins = p->bins ? p->bins : info->bins;
    /* The range each tool takes: max(|min|, |max|) in float32 (numpy's
     * th, ncnn's and MNN's absmax, PPQ's hist_range), [min|x|, max|x|] for
     * Paddle. */
    const float a = st->absmax;
    switch ((int)info->hist) {
    case VKC_HIST_NUMPY:
        *spec = (vkc_hist_spec){VKC_HIST_NUMPY, bins, -a, a};
        break;
    case VKC_HIST_PADDLE:
        if (!(p->abs_min >= 0 && p->abs_min <= a))
            return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "paddle: min |x| %g outside [0, %g]", (double)p->abs_min,
                            (double)a);
        *spec = (vkc_hist_spec){VKC_HIST_PADDLE, bins, p->abs_min, a};
        break;
    default:
        *spec = (vkc_hist_spec){info->hist, bins, 0.0f, a};
        break;
    }
    return VKC_OK;
}

/* ------------------------------------------------------------------------ */
/* Search                                                                   */

typedef struct eval_ctx {
    const vkc_fl *f;
} eval_ctx;

static double eval_exact(const void *ctx, uint32_t a, uint32_t c)
{
    (void)a;
    uint32_t flags;
    double v = vkc_fl_value(((const eval_ctx *)ctx)->f, c, &flags);
    return isnan(v) ? INFINITY : v;
}

/* Values of every candidate, on several threads (the CPU path). */
typedef struct all_job {
    const vkc_fl *f;
    double *v;
    uint32_t *flags;
} all_job;

static void eval_one(void *arg, uint32_t c)
{
    all_job *j = arg;
    j->v[c] = vkc_fl_value(j->f, c, &j->flags[c]);
}

static void note(vkc_flavor_result *r, const char *fmt, ...) VKC_PRINTF(2, 3);

/* Appends a sentence to the message and sets warning. */
static void note(vkc_flavor_result *r, const char *fmt, ...)
{
    size_t len = strlen(r->message);
    if (len && len + 2 < sizeof r->message) {
        memcpy(r->message + len, "; ", 3);
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message + len, sizeof r->message - len, fmt, ap);
    va_end(ap);
    r->warning = 1;
}

/* A finite positive threshold where the tool's is not: the range, or the
 * TensorRT cache floor 2^-24 for an all-zero tensor. */
static double floor_threshold(const vkc_stats *st)
{
    return st->absmax > 0 ? (double)st->absmax : 0x1p-24;
}

static void set_fallback(vkc_flavor_result *r, const vkc_stats *st)
{
    r->fallback = 1;
    r->threshold = floor_threshold(st);
    r->lo = -r->threshold;
    r->hi = r->threshold;
    r->kl = 0;
}

/* ncnn-aciq: compute_aciq_gaussian_clip(absmax, N = c * h * w of one
 * image): (float)(alpha[7] * std), std = (absmax * 2 * g) / sqrt(2 ln N). */
static vkc_status aciq(const vkc_stats *st, const vkc_flavor_params *p, vkc_flavor_result *r, vkc_msg *msg)
{
    if (!p->image_elements)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "ncnn-aciq needs the elements of one image (c * h * w)");
    if (p->image_elements > INT32_MAX)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "ncnn-aciq: %llu elements per image overflow ncnn's int",
                        (unsigned long long)p->image_elements);
    const float alpha = 3.92403714f;
    const double g = (0.5 * 0.35) * (1 + sqrt(3.14159265358979323846 * log(4.0)));
    const float a2 = st->absmax * 2.0f;
    const double sd = ((double)a2 * g) / sqrt(2 * log((double)p->image_elements));
    const float t = (float)((double)alpha * sd);
    r->threshold = t;
    r->lo = -r->threshold;
    r->hi = r->threshold;
    if (!(t > 0) || !isfinite(t)) {
        set_fallback(r, st);
        note(r, "ncnn's ACIQ threshold is %g here (scale %g); vkcalib uses %g", (double)t, 127.0 / (double)t,
             r->threshold);
    }
    return VKC_OK;
}

/* The tools' default when no candidate has a value below their starting
 * minimum: the first candidate (mxnet's index 0, numpy's argmin of all inf,
 * ncnn's and MNN's 128). */
static void finish(const vkc_fl *f, uint32_t c, double kl, vkc_flavor_result *r)
{
    vkc_fl_threshold(f, c, r);
    r->kl = kl;
}

static double ceiling_of(vkc_flavor_family fam)
{
    switch (fam) {
    case VKC_FAMILY_MXNET:
    case VKC_FAMILY_NCNN:
        return FLT_MAX; /* min_kl starts at FLT_MAX, strict < */
    case VKC_FAMILY_MNN:
        return 10000.0; /* minKLDivergence = 10000.0f */
    default:
        return INFINITY;
    }
}

/* Candidates of mxnet-1.5 whose window holds no data give NaN there, and
 * numpy's argmin returns the first NaN: decided exactly from the counts. */
static uint32_t mxnet15_first_nan(const vkc_fl *f)
{
    const uint32_t z = f->n / 2;
    for (uint32_t c = 0; c < f->count; c++) {
        const uint32_t i = f->first + c, s = z - i, e = z + i + 1;
        if (f->pre[e] == f->pre[s]) return c;
    }
    return f->count;
}

/* The tool's degenerate cases that hold for the whole tensor. */
static void tensor_notes(const vkc_fl *f, vkc_flavor_result *r)
{
    const vkc_flavor_family fam = f->info->family;
    if ((fam == VKC_FAMILY_MXNET || fam == VKC_FAMILY_MXNET15) && f->total >> 31)
        note(r, "%s sums a level's counts in a 32-bit int; past 2^31 it wraps (the C++ op then fails a CHECK): vkcalib "
                "sums exactly",
             f->info->name);
    if (fam == VKC_FAMILY_MXNET || fam == VKC_FAMILY_NCNN || fam == VKC_FAMILY_MNN) {
        int big = 0;
        for (uint32_t j = 0; j < f->n; j++) big |= f->h[j] > (1u << 24);
        if (big && fam == VKC_FAMILY_MXNET)
            note(r, "%s receives the histogram as float32: counts above 2^24 are rounded, as the tool rounds them",
                 f->info->name);
        if (big && fam == VKC_FAMILY_MNN)
            note(r, "MNN counts in float32: a bin stops at 2^24, as the tool's does");
    }
}

vkc_status vkc_flavor_search(const uint64_t *counts, const vkc_hist_spec *spec, const vkc_stats *st,
                             const vkc_flavor_params *p, const vkc_flavor_screen *screen, vkc_flavor_result *r,
                             vkc_msg *msg)
{
    if (!r) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "flavour search: no result");
    memset(r, 0, sizeof *r);
    const vkc_flavor_info *info = p ? vkc_flavor_get(p->flavor) : NULL;
    if (!info || info->family == VKC_FAMILY_MODELOPT)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "flavour search: flavour %d is not a tool's",
                        p ? (int)p->flavor : -1);
    if (!st) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: no statistics", info->name);
    if (info->family == VKC_FAMILY_NCNN_ACIQ) return aciq(st, p, r, msg);
    if (!counts || !spec) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: no histogram", info->name);
    if (spec->kind != info->hist)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s needs a %s histogram, not %s", info->name,
                        vkc_kind_name(info->hist), vkc_kind_name(spec->kind));
    vkc_status s = vkc_edge_check(spec, msg);
    if (s != VKC_OK) return s;
    uint32_t levels = p->levels ? p->levels : info->levels;
    if (info->uint8_variant && st->min >= 0) levels = 2 * levels + 1;
    if (levels < 2) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: %u levels", info->name, levels);
    if ((info->family == VKC_FAMILY_MXNET || info->family == VKC_FAMILY_MXNET15) && spec->bins % 2 == 0)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT,
                        "%s needs an odd bin count (%u: its last window would run past the histogram)", info->name,
                        spec->bins);
    if (info->family == VKC_FAMILY_PPQ && spec->bins % levels)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "ppq: %u bins are not a multiple of %u levels", spec->bins,
                        levels);
    r->levels = levels;

    vkc_fl f;
    if ((s = vkc_fl_init(&f, info, counts, spec, st, levels, p, msg)) != VKC_OK) return s;
    r->candidates = f.count;
    tensor_notes(&f, r);

    if (info->family == VKC_FAMILY_MNN && !(st->absmax > 0.00001f)) {
        /* TensorStatistic: mValid = maxValue > 0.00001f, else scale 0. */
        set_fallback(r, st);
        note(r, "MNN gives scale 0 for a tensor with |x| <= 1e-5 everywhere; vkcalib uses %g", r->threshold);
        vkc_fl_free(&f);
        return VKC_OK;
    }
    if (info->family == VKC_FAMILY_MNN && f.mnn_max && f.count) {
        /* w * h < 100: THRESHOLD_MAX, threshold = bins - 1. */
        finish(&f, f.count - 1, 0, r);
        vkc_fl_free(&f);
        return VKC_OK;
    }
    if (f.count == 0 || f.total == 0) {
        set_fallback(r, st);
        r->index = f.first; /* what the tool would have reported, where it reports anything */
        if (f.count == 0)
            note(r, "%u bins leave %s no candidate (it fails there); vkcalib uses the range", spec->bins, info->name);
        else if (info->family == VKC_FAMILY_NCNN)
            note(r, "ncnn gives scale inf for an all-zero tensor; vkcalib uses %g", r->threshold);
        else if (info->family == VKC_FAMILY_MXNET)
            note(r, "the histogram is empty: %s fails a CHECK; vkcalib uses %g", info->name, r->threshold);
        else if (info->family == VKC_FAMILY_MXNET15)
            note(r, "the histogram is empty: %s raises ValueError; vkcalib uses %g", info->name, r->threshold);
        else
            note(r, "the histogram is empty; vkcalib uses %g", r->threshold);
        vkc_fl_free(&f);
        return VKC_OK;
    }

    /* The cascade: exact ties (the tool's own arithmetic decides), the
     * first candidate among them, below the tool's starting minimum. */
    const vkc_select_rule rule = {VKC_TIE_SMALLEST, 0, 0, ceiling_of(info->family)};
    vkc_cand_list cl;
    vkc_cands_init(&cl, &rule);
    if (!vkc_cands_reserve(&cl, f.count)) {
        vkc_fl_free(&f);
        return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory", info->name);
    }
    uint32_t flags_all = 0;
    const eval_ctx ec = {&f};
    const vkc_cand_eval ev = {&ec, NULL, eval_exact};
    uint64_t evaluated = 0;
    size_t w;
    const int paddle = info->family == VKC_FAMILY_PADDLE;
    if (screen && screen->value && screen->count == f.count) {
        for (uint32_t c = 0; c < f.count; c++) {
            if (paddle && f.h[f.first + c - 1] == 0) continue; /* not a candidate of Paddle's */
            double lo, hi;
            vkc_bracket(screen->value[c], screen->bound ? screen->bound[c] : INFINITY, &lo, &hi);
            vkc_cands_append(&cl, 0, c, lo, hi);
        }
        w = vkc_cands_decide(&cl, &ev, 0, NULL, &evaluated);
    } else {
        /* Every candidate in the tool's arithmetic, on threads; then the
         * cascade's tie rule on the values. */
        double *v = malloc((size_t)f.count * sizeof *v);
        uint32_t *fl = malloc((size_t)f.count * sizeof *fl);
        if (!v || !fl) {
            free(v);
            free(fl);
            vkc_cands_free(&cl);
            vkc_fl_free(&f);
            return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory", info->name);
        }
        all_job job = {&f, v, fl};
        vkc_parallel_for(p->threads ? p->threads : 1, f.count, eval_one, &job);
        for (uint32_t c = 0; c < f.count; c++) {
            flags_all |= fl[c];
            if (fl[c] & VKC_FL_SKIP) continue;
            vkc_cands_append(&cl, 0, c, -INFINITY, INFINITY);
            cl.v[cl.len - 1].val = isnan(v[c]) ? INFINITY : v[c];
        }
        evaluated = f.count;
        w = vkc_cands_pick(&cl);
        free(v);
        free(fl);
    }
    r->evaluated = (uint32_t)evaluated;
    if (screen && w < cl.len) {
        /* Behind a screen only the winner's own notes are known. */
        uint32_t fl;
        (void)vkc_fl_value(&f, cl.v[w].b, &fl);
        flags_all |= fl;
    }

    if (w < cl.len) {
        finish(&f, cl.v[w].b, cl.v[w].val, r);
    } else if (paddle && cl.len == 0) {
        /* Paddle: no candidate at all: starting_iter walked down to a
         * non-empty bin. */
        uint32_t k = f.first;
        while (k > 0 && f.h[k] == 0) k--;
        r->index = k;
        const double bw = vkc_kind_edge(spec, 1) - vkc_kind_edge(spec, 0);
        r->threshold = ((double)k + 0.5) * bw;
        r->lo = -r->threshold;
        r->hi = r->threshold;
    } else {
        /* Nothing below the tool's starting minimum: its first candidate. */
        finish(&f, paddle ? cl.v[0].b : 0, INFINITY, r);
        r->kl = 0;
        note(r, "no candidate of %s has a finite divergence; the tool takes its first", info->name);
    }

    if (info->family == VKC_FAMILY_MXNET15) {
        const uint32_t c = mxnet15_first_nan(&f);
        if (c < f.count)
            note(r, "mxnet 1.5.1 gets NaN for candidate %u (no data in its window) and its argmin returns it "
                    "(threshold %g); vkcalib takes the least finite divergence",
                 f.first + c, vkc_kind_edge(spec, f.n / 2 + f.first + c + 1));
    }
    if (flags_all & VKC_FL_CRASH) note(r, "%s itself stops here (an assertion or CHECK fails)", info->name);
    if (flags_all & VKC_FL_LOG0) note(r, "paddle takes log(0) here (math domain error)");
    if (!(r->threshold > 0) || !isfinite(r->threshold)) {
        double t = r->threshold;
        set_fallback(r, st);
        note(r, "%s's threshold is %g here; vkcalib uses %g", info->name, t, r->threshold);
    }
    vkc_cands_free(&cl);
    vkc_fl_free(&f);
    return VKC_OK;
}

vkc_status vkc_flavor_value(const uint64_t *counts, const vkc_hist_spec *spec, const vkc_stats *st,
                            const vkc_flavor_params *p, uint32_t c, double *value, vkc_msg *msg)
{
    const vkc_flavor_info *info = p ? vkc_flavor_get(p->flavor) : NULL;
    if (!info || info->family == VKC_FAMILY_MODELOPT || info->family == VKC_FAMILY_NCNN_ACIQ || !spec || !st ||
        !value)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "flavour value: bad arguments");
    uint32_t levels = p->levels ? p->levels : info->levels;
    if (info->uint8_variant && st->min >= 0) levels = 2 * levels + 1;
    vkc_fl f;
    vkc_status s = vkc_fl_init(&f, info, counts, spec, st, levels, p, msg);
    if (s != VKC_OK) return s;
    if (c >= f.count) {
        vkc_fl_free(&f);
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: candidate %u of %u", info->name, c, f.count);
    }
    uint32_t flags;
    *value = vkc_fl_value(&f, c, &flags);
    vkc_fl_free(&f);
    return VKC_OK;
}
