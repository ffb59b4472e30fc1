/* The calibrator between passes: the exact reductions across calibrators
 * (merge, adopt, the accumulators MPI reduces) and the state files that
 * carry a pass's data across processes and machines. */
#include "calibrate.h"
#include "write/state.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- exact reductions -------------------------------------------------- */

static vkc_status check_same(vkc_calibrator *dst, const vkc_calibrator *src)
{
    if (dst->n != src->n)
        return vkc_cal_fail(dst, UINT32_MAX, VKC_ERROR_MISMATCH, "the calibrators hold %u and %u tensors", dst->n, src->n);
    for (uint32_t t = 0; t < dst->n; t++) {
        if (strcmp(dst->t[t].name, src->t[t].name) != 0)
            return vkc_cal_fail(dst, t, VKC_ERROR_MISMATCH, "tensor %u is '%s' in the other calibrator", t, src->t[t].name);
        if (dst->t[t].method != src->t[t].method || dst->t[t].mode_req != src->t[t].mode_req)
            return vkc_cal_fail(dst, t, VKC_ERROR_MISMATCH, "the calibrators have different per-tensor settings");
    }
    if (dst->info.bins != src->info.bins || dst->info.mode != src->info.mode || dst->info.method != src->info.method ||
        dst->info.nonfinite != src->info.nonfinite)
        return vkc_cal_fail(dst, UINT32_MAX, VKC_ERROR_MISMATCH, "the calibrators were created with different settings");
    return VKC_OK;
}

vkc_status vkc_calibrator_merge(vkc_calibrator *dst, vkc_calibrator *src)
{
    if (!dst || !src) return VKC_ERROR_INVALID_ARGUMENT;
    vkc_status s = check_same(dst, src);
    if (s != VKC_OK) return s;
    if (dst->pass != src->pass || (dst->pass != VKC_PASS_RANGE && dst->pass != VKC_PASS_HISTOGRAM))
        return vkc_cal_fail(dst, UINT32_MAX, VKC_ERROR_WRONG_PASS,
                      "merging needs both calibrators in the range or the histogram pass (%s and %s)",
                      vkc_cal_pass_name(dst->pass), vkc_cal_pass_name(src->pass));
    if ((s = vkc_cal_read_recorders(src)) != VKC_OK) return vkc_cal_fail(dst, src->failed, s, "%s", src->msg.text);
    for (uint32_t t = 0; t < dst->n; t++) {
        cal_tensor *d = &dst->t[t];
        const cal_tensor *x = &src->t[t];
        if (dst->pass == VKC_PASS_RANGE) {
            uint64_t c;
            if (!vkc_add_u64(d->st.count, x->st.count, &c) || !vkc_add_u64(d->st.nan, x->st.nan, &c) ||
                !vkc_add_u64(d->st.pos_inf, x->st.pos_inf, &c) || !vkc_add_u64(d->st.neg_inf, x->st.neg_inf, &c))
                return vkc_cal_fail(dst, t, VKC_ERROR_MISMATCH, "value counts overflow 64 bits");
            vkc_stats_merge(&d->st, &x->st);
            /* min |x|: NaN (unmeasurable) stays, else the smaller */
            if (isnan(x->absmin) || x->absmin < d->absmin) d->absmin = x->absmin;
            if (!d->image_elements) d->image_elements = x->image_elements;
            if (!d->hw) d->hw = x->hw;
            continue;
        }
        if (d->skip) continue;
        if (vkc_f32_bits(d->spec.lo) != vkc_f32_bits(x->spec.lo) || vkc_f32_bits(d->spec.hi) != vkc_f32_bits(x->spec.hi) ||
            d->spec.kind != x->spec.kind)
            return vkc_cal_fail(dst, t, VKC_ERROR_MISMATCH, "the histograms cover different ranges (adopt first)");
        for (uint32_t b = 0; b < d->spec.bins; b++)
            if (!vkc_add_u64(d->counts[b], x->counts[b], &d->counts[b]))
                return vkc_cal_fail(dst, t, VKC_ERROR_MISMATCH, "a histogram count overflows 64 bits");
    }
    /* The shares' data is elsewhere: dst cannot replay it alone. */
    vkc_cal_drop_kept(dst);
    return VKC_OK;
}

vkc_status vkc_calibrator_adopt(vkc_calibrator *dst, const vkc_calibrator *src)
{
    if (!dst || !src) return VKC_ERROR_INVALID_ARGUMENT;
    vkc_status s = check_same(dst, src);
    if (s != VKC_OK) return s;
    if (src->pass != VKC_PASS_HISTOGRAM)
        return vkc_cal_fail(dst, UINT32_MAX, VKC_ERROR_WRONG_PASS, "adopting needs a calibrator whose range pass ended");
    for (uint32_t t = 0; t < dst->n; t++) {
        cal_tensor *d = &dst->t[t];
        const cal_tensor *x = &src->t[t];
        uint64_t *counts = x->skip ? NULL : calloc(src->info.bins, sizeof *counts);
        if (!x->skip && !counts) return vkc_cal_fail(dst, t, VKC_ERROR_OUT_OF_MEMORY, "out of memory for the histogram");
        free(d->counts);
        d->counts = counts;
        d->st = x->st;
        d->mode = x->mode;
        d->spec = x->spec;
        d->absmin = x->absmin;
        d->image_elements = x->image_elements;
        d->hw = x->hw;
        d->skip = x->skip;
    }
    vkc_cal_drop_kept(dst);
    dst->pass = VKC_PASS_HISTOGRAM;
    return VKC_OK;
}

vkc_stats *vkc_calibrator_stats(vkc_calibrator *c, uint32_t t)
{
    if (!c || t >= c->n || c->pass != VKC_PASS_RANGE) return NULL;
    if (vkc_cal_read_recorders(c) != VKC_OK) return NULL;
    return &c->t[t].st;
}

uint64_t *vkc_calibrator_counts(vkc_calibrator *c, uint32_t t, uint32_t *bins)
{
    if (!c || t >= c->n || c->pass != VKC_PASS_HISTOGRAM || c->t[t].skip) return NULL;
    if (vkc_cal_read_recorders(c) != VKC_OK) return NULL;
    if (bins) *bins = c->t[t].spec.bins;
    return c->t[t].counts;
}

/* ---- state files ------------------------------------------------------- */

vkc_status vkc_calibrator_save_state(vkc_calibrator *c, const char *path)
{
    if (!c) return VKC_ERROR_INVALID_ARGUMENT;
    if (!path) return vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_INVALID_ARGUMENT, "no state file path");
    if (c->pass != VKC_PASS_RANGE && c->pass != VKC_PASS_HISTOGRAM)
        return vkc_cal_wrong_pass(c, "saving a state (a range or histogram pass)");
    vkc_status s = vkc_cal_read_recorders(c);
    if (s != VKC_OK) return s;
    vkc_state out = {0};
    out.phase = c->pass == VKC_PASS_RANGE ? VKC_STATE_RANGE : VKC_STATE_HISTOGRAM;
    out.bins = c->info.bins;
    out.flags = c->info.nonfinite == VKC_NONFINITE_EXCLUDE ? 1u : 0u;
    out.flavor = c->info.flavor;
    for (uint32_t t = 0; s == VKC_OK && t < c->n; t++) {
        const cal_tensor *ts = &c->t[t];
        int hist = out.phase == VKC_STATE_HISTOGRAM;
        if (hist && ts->skip)
            s = vkc_cal_fail(c, t, VKC_ERROR_UNSUPPORTED, "a skipped tensor has no histogram to save");
        else if (hist && ts->spec.kind == VKC_HIST_SIGNED)
            s = vkc_cal_fail(c, t, VKC_ERROR_UNSUPPORTED, "state files hold histograms of |x|, not of x (mode asymmetric)");
        else
            s = vkc_state_add(&out, ts->name, &ts->st, hist ? ts->spec.hi : 0.0f, hist ? ts->counts : NULL, &c->msg);
        if (s == VKC_OK) {
            /* What a tool's flavour needs again (a version 2 file). */
            vkc_state_tensor *o = &out.t[out.ntensors - 1];
            o->hist_lo = hist ? ts->spec.lo : 0.0f;
            o->kind = hist ? (uint32_t)ts->spec.kind : (uint32_t)VKC_HIST_ABS;
            o->absmin = ts->absmin;
            o->image_elements = ts->image_elements;
            o->hw = ts->hw;
        }
    }
    if (s == VKC_OK) s = vkc_state_save(path, &out, &c->msg);
    vkc_state_free(&out);
    return s;
}

/* The file's tensors against the declared ones: the same set, any order. */
static vkc_status match_state_tensors(vkc_calibrator *c, const vkc_state *st, const char *path, uint32_t *map)
{
    if (c->n == 0) {
        for (uint32_t k = 0; k < st->ntensors; k++) {
            vkc_status s = vkc_cal_add_tensor(c, st->t[k].name, &map[k]);
            if (s != VKC_OK) return s;
        }
        return VKC_OK;
    }
    if (st->ntensors != c->n)
        return vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_MISMATCH, "%s holds %u tensors, the calibration %u", path, st->ntensors,
                      c->n);
    for (uint32_t t = 0; t < c->n; t++)
        if (vkc_state_find(st, c->t[t].name) == UINT32_MAX)
            return vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_MISMATCH, "tensor '%s' is not in %s", c->t[t].name, path);
    for (uint32_t k = 0; k < st->ntensors; k++) map[k] = vkc_cal_find(c, st->t[k].name);
    return VKC_OK;
}

vkc_status vkc_calibrator_load_state(vkc_calibrator *c, const char *path, vkc_pass want)
{
    if (!c) return VKC_ERROR_INVALID_ARGUMENT;
    if (!path) return vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_INVALID_ARGUMENT, "no state file path");
    if (c->pass != VKC_PASS_RANGE) return vkc_cal_wrong_pass(c, "loading a state (the range pass)");
    if (want != VKC_PASS_RANGE && want != VKC_PASS_HISTOGRAM)
        return vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_INVALID_ARGUMENT, "a state ends the range or the histogram pass");
    vkc_state st;
    vkc_status s = vkc_state_load(path, &st, &c->msg);
    if (s != VKC_OK) return s;
    if (want == VKC_PASS_HISTOGRAM && st.phase != VKC_STATE_HISTOGRAM)
        s = vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_WRONG_PASS, "%s holds range statistics only: the histogram round is missing",
                   path);
    if (s == VKC_OK && (st.flavor != c->info.flavor && (vkc_cal_tool_flavor(st.flavor) || vkc_cal_tool_flavor(c->info.flavor))))
        s = vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_MISMATCH,
                         "%s was collected for flavour %s, and this calibration is flavour %s", path,
                         vkc_flavor_name(st.flavor), vkc_flavor_name(c->info.flavor));
    for (uint32_t t = 0; s == VKC_OK && st.phase == VKC_STATE_HISTOGRAM && t < c->n; t++)
        if (!c->t[t].skip && c->t[t].mode_req == VKC_MODE_ASYMMETRIC && c->t[t].method != VKC_METHOD_MAX)
            s = vkc_cal_fail(c, t, VKC_ERROR_UNSUPPORTED,
                             "%s holds histograms of |x|: the two-sided searches of mode asymmetric need the data",
                             path);
    if (s == VKC_OK && st.phase == VKC_STATE_HISTOGRAM && c->n == 0 && c->info.mode == VKC_MODE_ASYMMETRIC &&
        c->info.method != VKC_METHOD_MAX)
        s = vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_UNSUPPORTED,
                   "%s holds histograms of |x|: the two-sided searches of mode asymmetric need the data", path);
    uint32_t *map = s == VKC_OK ? malloc((st.ntensors ? st.ntensors : 1) * sizeof *map) : NULL;
    if (s == VKC_OK && !map) s = vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    if (s == VKC_OK && (c->info.method == VKC_METHOD_ENTROPY || c->info.method == VKC_METHOD_MSE) &&
        st.bins < c->info.start_bin)
        s = vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_INVALID_ARGUMENT,
                         "%s has %u bins, fewer than the start bin %u: no candidate to search", path, st.bins,
                         c->info.start_bin);
    if (s == VKC_OK) s = match_state_tensors(c, &st, path, map);
    if (s == VKC_OK) {
        c->info.bins = st.bins;
        c->info.nonfinite = st.flags & 1u ? VKC_NONFINITE_EXCLUDE : VKC_NONFINITE_ERROR;
        vkc_cal_drop_kept(c);
        for (uint32_t k = 0; k < st.ntensors; k++) {
            cal_tensor *ts = &c->t[map[k]];
            ts->st = st.t[k].st;
            ts->absmin = st.t[k].absmin;
            ts->image_elements = st.t[k].image_elements;
            ts->hw = st.t[k].hw;
        }
        s = vkc_cal_prepare_all(c);
    }
    for (uint32_t k = 0; s == VKC_OK && want == VKC_PASS_HISTOGRAM && k < st.ntensors; k++) {
        cal_tensor *ts = &c->t[map[k]];
        if (ts->skip) continue;
        if (vkc_f32_bits(ts->spec.hi) != vkc_f32_bits(st.t[k].hist_hi) ||
            vkc_f32_bits(ts->spec.lo) != vkc_f32_bits(st.t[k].hist_lo) || (uint32_t)ts->spec.kind != st.t[k].kind)
            s = vkc_cal_fail(c, map[k], VKC_ERROR_MISMATCH,
                             "%s: histogram over [%g, %g] differs from the range the statistics give, [%g, %g]", path,
                             (double)st.t[k].hist_lo, (double)st.t[k].hist_hi, (double)ts->spec.lo,
                             (double)ts->spec.hi);
        else
            memcpy(ts->counts, st.t[k].counts, (size_t)st.bins * sizeof *ts->counts);
    }
    if (s == VKC_OK) c->pass = VKC_PASS_HISTOGRAM;
    free(map);
    vkc_state_free(&st);
    return s;
}

/* B16: one file given twice would be added twice (the same device and
 * inode: a path twice, a link to another input). */
static vkc_status check_files_once(const char *const *paths, uint32_t n, vkc_msg *msg)
{
    for (uint32_t k = 0; k < n; k++) {
        struct stat a, b;
        if (!paths[k] || stat(paths[k], &a) != 0) continue; /* loading it says why */
        for (uint32_t j = 0; j < k; j++)
            if (paths[j] && stat(paths[j], &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
                return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT,
                                "%s and %s are the same file: merging it twice would count its values twice",
                                paths[j], paths[k]);
    }
    return VKC_OK;
}

vkc_status vkc_state_merge_files(const char *const *paths, uint32_t n, const char *out, vkc_msg *msg)
{
    if (!paths || n == 0 || !out) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "state merge: no inputs or output");
    vkc_state acc = {0}, next = {0};
    vkc_status s = check_files_once(paths, n, msg);
    if (s != VKC_OK) return s;
    s = vkc_state_load(paths[0], &acc, msg);
    for (uint32_t k = 1; s == VKC_OK && k < n; k++) {
        s = vkc_state_load(paths[k], &next, msg);
        vkc_msg inner = {{0}};
        if (s == VKC_OK && (s = vkc_state_merge(&acc, &next, &inner)) != VKC_OK)
            vkc_fail(msg, s, "%s and %s: %s", paths[0], paths[k], inner.text);
        vkc_state_free(&next);
    }
    if (s == VKC_OK) s = vkc_state_save(out, &acc, msg);
    vkc_state_free(&acc);
    return s;
}
