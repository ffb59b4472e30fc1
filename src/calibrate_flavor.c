/* The calibrator with another tool's entropy flavour (FLAVOURS.md): the
 * tool's histogram kind and geometry at the end of the range pass, the
 * tool's own search (search/flavor.c, screened on the GPU where that is
 * sound: search/flavor_gpu.c) at the end of the histogram pass, and the
 * ranges each mode takes from it. modelopt and tensorrt are the
 * calibrator's own path (search/entropy.c). */
#include "calibrate.h"
#include "pass/passes.h"
#include "search/flavor.h"
#include "search/flavor_gpu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vkc_cal_tool_flavor(vkc_flavor f)
{
    return f != VKC_FLAVOR_MODELOPT && f != VKC_FLAVOR_TENSORRT;
}

vkc_status vkc_cal_flavor_check(vkc_calibrator_info *info, vkc_msg *msg)
{
    const vkc_flavor_info *fi = vkc_flavor_get(info->flavor);
    if (!fi) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "unknown flavor %d", (int)info->flavor);
    if (!vkc_cal_tool_flavor(info->flavor)) {
        if (!info->bins) info->bins = 2048;
        return VKC_OK;
    }
    if (!info->bins) info->bins = fi->bins;
    if (info->method != VKC_METHOD_ENTROPY)
        return vkc_fail(msg, VKC_ERROR_UNSUPPORTED, "flavour %s defines the entropy method, not %s", fi->name,
                        vkc_method_name(info->method));
    if (info->range != VKC_RANGE_EXACT)
        return vkc_fail(msg, VKC_ERROR_UNSUPPORTED,
                        "flavour %s builds its own histogram over the whole range: it needs the exact range",
                        fi->name);
    /* What each tool can express: onnxruntime gives a range (any mode);
     * the uint8 variants [0, T] for a tensor that is never negative; the
     * others [-T, T] only. */
    int unsigned_ok = fi->gives_range || fi->uint8_variant;
    if (info->mode == VKC_MODE_ASYMMETRIC && !fi->gives_range)
        return vkc_fail(msg, VKC_ERROR_UNSUPPORTED,
                        "flavour %s gives symmetric ranges: mode asymmetric needs onnxruntime's flavours", fi->name);
    if ((info->mode == VKC_MODE_UNSIGNED || info->mode == VKC_MODE_AUTO) && !unsigned_ok)
        return vkc_fail(msg, VKC_ERROR_UNSUPPORTED,
                        "flavour %s has no unsigned form (mode %s): use mode symmetric, or a -uint8 or onnxruntime "
                        "flavour",
                        fi->name, vkc_mode_name(info->mode));
    return VKC_OK;
}

static vkc_flavor_params params_of(const vkc_calibrator *c, const cal_tensor *ts)
{
    vkc_flavor_params p = {0};
    p.flavor = c->info.flavor;
    p.bins = c->info.bins;
    p.image_elements = ts->image_elements;
    p.hw = ts->hw;
    p.abs_min = isfinite(ts->absmin) ? ts->absmin : 0.0f;
    return p;
}

vkc_status vkc_cal_flavor_spec(vkc_calibrator *c, uint32_t t)
{
    cal_tensor *ts = &c->t[t];
    const vkc_flavor_info *fi = vkc_flavor_get(c->info.flavor);
    if (fi->family == VKC_FAMILY_NCNN_ACIQ && ts->image_elements == 0)
        return vkc_cal_fail(c, t, VKC_ERROR_INVALID_ARGUMENT,
                            "flavour ncnn-aciq needs the elements of one image (the tensor's shape: "
                            "vkc_calibrator_set_shape)");
    if (fi->hist == VKC_HIST_PADDLE && !isfinite(ts->absmin))
        return vkc_cal_fail(c, t, VKC_ERROR_UNSUPPORTED,
                            "flavour paddle needs min |x|, measured from host arrays only (not from device "
                            "buffers or recordings)");
    vkc_flavor_params p = params_of(c, ts);
    vkc_msg m = {{0}};
    if (vkc_flavor_hist_spec(&p, &ts->st, &ts->spec, &m) != VKC_OK)
        return vkc_cal_fail(c, t, VKC_ERROR_INVALID_ARGUMENT, "%s", m.text);
    return VKC_OK;
}

vkc_status vkc_cal_flavor_search(vkc_calibrator *c, vkc_search_result *res)
{
    const uint32_t n = c->n;
    vkc_flavor_job *jobs = calloc(n ? n : 1, sizeof *jobs);
    vkc_flavor_result *fr = calloc(n ? n : 1, sizeof *fr);
    vkc_status s = jobs && fr ? VKC_OK : vkc_cal_fail(c, UINT32_MAX, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    /* Skipped tensors have no histogram: the jobs are the others, packed. */
    uint32_t m = 0;
    for (uint32_t t = 0; s == VKC_OK && t < n; t++) {
        const cal_tensor *ts = &c->t[t];
        if (!ts->skip) jobs[m++] = (vkc_flavor_job){ts->counts, ts->spec, ts->st, params_of(c, ts)};
    }
    if (s == VKC_OK && m && (s = vkc_flavor_search_batch(c->ctx, jobs, m, fr)) != VKC_OK)
        s = vkc_cal_fail(c, UINT32_MAX, s, "%s search: %s", vkc_flavor_name(c->info.flavor), vkc_context_error(c->ctx));
    for (uint32_t t = 0, k = 0; s == VKC_OK && t < n; t++) {
        if (c->t[t].skip) continue;
        const vkc_flavor_result *f = &fr[k++];
        vkc_search_result *r = &res[t];
        memset(r, 0, sizeof *r);
        r->sType = VKC_STRUCTURE_TYPE_SEARCH_RESULT;
        r->i = f->index;
        r->threshold = f->threshold;
        r->kl = f->kl;
        r->candidates = f->candidates;
        r->reevaluated = f->evaluated;
        r->fallback = f->fallback;
        r->tool_warning = f->warning;
        if (f->fallback || f->warning) snprintf(r->message, sizeof r->message, "%s", f->message);
        /* The range each mode takes: the envelope [-T, T], [0, T] (the
         * uint8 variants' own, or onnxruntime's range from 0), or the
         * tool's range [lo, hi]. */
        switch (c->t[t].mode) {
        case VKC_MODE_UNSIGNED:
            r->lo = 0;
            r->hi = f->hi > 0 ? f->hi : f->threshold;
            break;
        case VKC_MODE_ASYMMETRIC:
            r->lo = f->lo;
            r->hi = f->hi;
            break;
        default:
            r->lo = -f->threshold;
            r->hi = f->threshold;
            break;
        }
    }
    free(jobs);
    free(fr);
    return s;
}

/* min |x| over the finite values, on the host: no pass of the backends
 * measures it, and only Paddle's grid starts there. */
void vkc_cal_absmin_add(cal_tensor *ts, const void *x, uint64_t n, vkc_dtype dtype)
{
    enum { BLOCK = 4096 };
    float w[BLOCK], m = ts->absmin;
    for (uint64_t off = 0; off < n; off += BLOCK) {
        uint64_t k = n - off < BLOCK ? n - off : BLOCK;
        const float *v = w;
        if (dtype == VKC_DTYPE_F32) v = (const float *)x + off;
        else vkc_widen16((const unsigned char *)x + 2 * off, k, dtype, w);
        for (uint64_t i = 0; i < k; i++) {
            float a = fabsf(v[i]);
            if (a < m) m = a; /* NaN compares false; +inf never lowers m below a finite value */
        }
    }
    ts->absmin = m;
}
