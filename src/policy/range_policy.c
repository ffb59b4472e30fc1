#include "policy/range_policy.h"
#include "search/flavor.h"


#include <math.h>
#include <string.h>

static vkc_status vkc_qp_symmetric(double lo, double hi, vkc_qparams *q)
{
    double t = fmax(fabs(lo), fabs(hi));
    if (t < VKC_AMAX_FLOOR) {
        t = VKC_AMAX_FLOOR;
        q->floored = 1;
    }
    q->lo = -t;
    q->hi = t;
    q->scale = t / 127.0;
    return VKC_OK;
}

static vkc_status vkc_qp_unsigned(double hi, vkc_qparams *q)
{
    double t = hi;
    if (t < VKC_AMAX_FLOOR) {
        t = VKC_AMAX_FLOOR;
        q->floored = 1;
    }
    q->lo = 0;
    q->hi = t;
    q->scale = t / 255.0;
    q->is_unsigned = 1;
    return VKC_OK;
}

static vkc_status vkc_qp_asymmetric(double lo, double hi, vkc_qparams *q, vkc_msg *msg)
{
    lo = fmin(lo, 0.0);
    hi = fmax(hi, 0.0);
    if (hi - lo < VKC_AMAX_FLOOR) {
        /* lo <= 0 stays, so 0 remains inside [lo, hi]. */
        hi = lo + VKC_AMAX_FLOOR;
        q->floored = 1;
    }
    double scale = (hi - lo) / 255.0;
    if (!isfinite(scale))
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT,
                        "range [%g, %g] is too wide for an asymmetric scale", lo, hi);
    q->lo = lo;
    q->hi = hi;
    q->scale = scale;
    /* -lo / scale lies in [0, 255] by construction; clamp guards rounding. */
    double zp = round(-lo / scale) - 128.0;
    if (zp < -128.0) zp = -128.0;
    if (zp > 127.0) zp = 127.0;
    q->zero_point = (int32_t)zp;
    return VKC_OK;
}

vkc_status vkc_qparams_from_range(vkc_mode mode, double lo, double hi, vkc_qparams *out,
                                  vkc_msg *msg)
{
    if (!out) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "range policy: missing argument");
    memset(out, 0, sizeof *out);
    if (!isfinite(lo) || !isfinite(hi))
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "range policy: range [%g, %g] is not finite",
                        lo, hi);
    if (lo > hi)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "range policy: range [%g, %g] has lo > hi",
                        lo, hi);
    if (mode == VKC_MODE_AUTO) mode = lo >= 0 ? VKC_MODE_UNSIGNED : VKC_MODE_SYMMETRIC;
    out->mode = mode;
    switch (mode) {
    case VKC_MODE_SYMMETRIC:
        return vkc_qp_symmetric(lo, hi, out);
    case VKC_MODE_UNSIGNED:
        if (lo < 0)
            return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT,
                            "range policy: unsigned mode needs lo >= 0, got [%g, %g]", lo, hi);
        return vkc_qp_unsigned(hi, out);
    case VKC_MODE_ASYMMETRIC:
        return vkc_qp_asymmetric(lo, hi, out, msg);
    case VKC_MODE_AUTO:
        break;
    }
    return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "range policy: unknown mode %d", (int)mode);
}

vkc_quant vkc_quant_of(const vkc_qparams *q)
{
    vkc_quant r = {(float)q->scale, q->zero_point, -127, 127};
    if (q->mode == VKC_MODE_UNSIGNED) r.qmin = 0, r.qmax = 255;
    else if (q->mode == VKC_MODE_ASYMMETRIC) r.qmin = -128, r.qmax = 127;
    return r;
}

double vkc_qparams_amax(const vkc_qparams *q)
{
    double a = fabs(q->lo), b = fabs(q->hi);
    return q->mode == VKC_MODE_SYMMETRIC ? q->hi : (a > b ? a : b);
}

/* ---- names ------------------------------------------------------------- */

static const char *const vkc_mode_names[] = {"symmetric", "unsigned", "asymmetric", "auto"};
static const char *const vkc_method_names[] = {"entropy", "percentile", "mse", "max"};

#define VKC_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *vkc_name_of(const char *const *names, size_t n, int v)
{
    return v >= 0 && (size_t)v < n ? names[v] : "unknown";
}

static int vkc_index_of(const char *const *names, size_t n, const char *s)
{
    if (!s) return -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0) return (int)i;
    return -1;
}

const char *vkc_mode_name(vkc_mode m)
{
    return vkc_name_of(vkc_mode_names, VKC_COUNT(vkc_mode_names), (int)m);
}

int vkc_mode_parse(const char *s, vkc_mode *out)
{
    int i = vkc_index_of(vkc_mode_names, VKC_COUNT(vkc_mode_names), s);
    if (i < 0) return 0;
    *out = (vkc_mode)i;
    return 1;
}

const char *vkc_method_name(vkc_method m)
{
    return vkc_name_of(vkc_method_names, VKC_COUNT(vkc_method_names), (int)m);
}

int vkc_method_parse(const char *s, vkc_method *out)
{
    int i = vkc_index_of(vkc_method_names, VKC_COUNT(vkc_method_names), s);
    if (i < 0) return 0;
    *out = (vkc_method)i;
    return 1;
}

const char *vkc_flavor_name(vkc_flavor f)
{
    const vkc_flavor_info *fi = vkc_flavor_get(f);
    return fi ? fi->name : "unknown";
}

int vkc_flavor_parse(const char *s, vkc_flavor *out)
{
    const vkc_flavor_info *fi = vkc_flavor_find(s);
    if (!fi) return 0;
    *out = fi->flavor;
    return 1;
}
