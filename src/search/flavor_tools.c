/* The C++ tools' evaluators of one candidate (flavor_impl.h), the
 * preparation of a tensor for every tool, and the thresholds; the Python
 * tools' evaluators are in flavor_py.c. Each is written in its tool's order
 * of operations, with the tool's types: a float below is a binary32
 * operation as the tool's C++ performs it (x86-64 SSE, no contraction:
 * numeric.c refuses wider evaluation). The sources are named at each
 * function; FLAVOURS.md has the definitions. */
#include "search/flavor_impl.h"
#include "base/numeric.h"
#include "pass/hist_kind.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EPS_F 0.0001f /* the smoothing eps, a float in every tool that uses it */

void vkc_fl_free(vkc_fl *f)
{
    if (!f) return;
    free(f->pre);
    free(f->nz);
    free(f->hf);
    free(f->fpre);
    free(f->d);
    free(f->after);
    free(f->hd);
    memset(f, 0, sizeof *f);
}

/* MNN's float count of a bin hit c times: 1e-7f, then c times += 1.0f:
 * 1 + 2^-23 after one hit, then exact up to 2^24, where it stops. */
static float mnn_count(uint64_t c)
{
    if (c == 0) return 1e-7f;
    if (c == 1) return 1.0f + 0x1p-23f;
    return c >= (1u << 24) ? 16777216.0f : (float)c;
}

vkc_status vkc_fl_init(vkc_fl *f, const vkc_flavor_info *info, const uint64_t *counts, const vkc_hist_spec *spec,
                       const vkc_stats *st, uint32_t levels, const vkc_flavor_params *p, vkc_msg *msg)
{
    memset(f, 0, sizeof *f);
    const uint32_t n = spec->bins;
    f->info = info;
    f->spec = *spec;
    f->st = *st;
    f->h = counts;
    f->n = n;
    f->levels = levels;
    f->step = 1;
    f->pre = vkc_alloc_array((uint64_t)n + 1, sizeof *f->pre);
    f->nz = vkc_alloc_array((uint64_t)n + 1, sizeof *f->nz);
    f->hf = vkc_alloc_array(n, sizeof *f->hf);
    if (!f->pre || !f->nz || !f->hf) goto oom;
    f->pre[0] = 0;
    f->nz[0] = 0;
    for (uint32_t j = 0; j < n; j++) {
        if (!vkc_add_u64(f->pre[j], counts[j], &f->pre[j + 1])) {
            vkc_fl_free(f);
            return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: total count overflows uint64", info->name);
        }
        f->nz[j + 1] = f->nz[j] + (counts[j] != 0);
        f->hf[j] = (float)counts[j];
    }
    f->total = f->pre[n];
    const uint32_t z = n / 2, half = levels / 2;

    switch (info->family) {
    case VKC_FAMILY_MXNET:
        /* p[0] of candidate i: hist[0] + ... + hist[z - i], added in order. */
        if (!(f->fpre = vkc_alloc_array(n, sizeof *f->fpre))) goto oom;
        for (uint32_t j = 0; j < n; j++) f->fpre[j] = (j ? f->fpre[j - 1] : 0.0f) + f->hf[j];
        /* fall through */
    case VKC_FAMILY_MXNET15:
    case VKC_FAMILY_ORT:
        f->first = half;
        f->count = z >= half ? z - half + 1 : 0;
        break;
    case VKC_FAMILY_NCNN:
        f->first = levels;
        f->count = n > levels ? n - levels : 0;
        /* ncnn2table: histogram_normed[j] = (float)(histogram[j] / (double)sum). */
        if (!(f->d = vkc_alloc_array(n, sizeof *f->d))) goto oom;
        for (uint32_t j = 0; j < n; j++) f->d[j] = (float)((double)counts[j] / (double)f->total);
        break;
    case VKC_FAMILY_MNN: {
        f->first = levels;
        f->count = n > levels ? n - levels : 0;
        f->mnn_max = p->hw && p->hw < 100;
        if (!(f->d = vkc_alloc_array(n, sizeof *f->d)) || !(f->after = vkc_alloc_array(n, sizeof *f->after)))
            goto oom;
        /* finishAndCompute: sum += n in order, then n /= sum. */
        float sum = 0.0f;
        for (uint32_t j = 0; j < n; j++) sum += mnn_count(counts[j]);
        for (uint32_t j = 0; j < n; j++) f->d[j] = mnn_count(counts[j]) / sum;
        /* _computeThreshold's afterThresholdSum: the sum of d[128..] in
         * order, less d[i] after candidate i. */
        float a = 0.0f;
        for (uint32_t j = levels; j < n; j++) a += f->d[j];
        for (uint32_t c = 0; c < f->count; c++) {
            f->after[c] = a;
            a -= f->d[levels + c];
        }
        break;
    }
    case VKC_FAMILY_PADDLE:
        /* Below 3 bins Paddle starts at i = 0 and indexes P[-1] of an empty
         * list (IndexError): no candidate. */
        f->first = (uint32_t)((double)(n - 1) * 0.5);
        f->count = n > f->first && f->first > 0 ? n - f->first : 0;
        break;
    case VKC_FAMILY_PPQ: {
        f->first = levels;
        f->step = levels;
        f->count = n > 1 ? (n - 1 + levels - 1) / levels : 0;
        /* histogram[: int(bins * .002)] = 0; histogram[int(bins * .002)] = 1 */
        if (!(f->hd = vkc_alloc_array(n, sizeof *f->hd))) goto oom;
        const uint32_t z0 = (uint32_t)((double)n * 0.002);
        for (uint32_t j = 0; j < n; j++) f->hd[j] = j < z0 ? 0.0 : j == z0 ? 1.0 : (double)counts[j];
        double s = 0;
        for (uint32_t j = 0; j < n; j++) s += f->hd[j];
        f->ppq_sum = s;
        break;
    }
    default:
        break;
    }
    return VKC_OK;
oom:
    vkc_fl_free(f);
    return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory for %u bins", info->name, n);
}

/* ------------------------------------------------------------------------ */
/* mxnet >= 1.6 (src/operator/quantization/calibrate.cc) and tvm
 * (src/relay/quantize/calibrate.cc, the same code on int counts).           */

/* SmoothDistribution: false where the tool returns an empty vector. */
static int mx_smooth(float *v, uint32_t n)
{
    uint32_t zeros = 0;
    for (uint32_t j = 0; j < n; j++) zeros += v[j] == 0.0f;
    const uint32_t nonzeros = n - zeros;
    if (!nonzeros) return 0;
    const float eps1 = EPS_F * (float)zeros / (float)nonzeros;
    if ((double)eps1 >= 1.0) return 0;
    for (uint32_t j = 0; j < n; j++) {
        const float z = v[j] == 0.0f ? 1.0f : 0.0f;
        v[j] += EPS_F * z - eps1 * (1.0f - z);
    }
    return 1;
}

static double mxnet_value(const vkc_fl *f, uint32_t i, uint32_t *flags)
{
    const uint32_t N = f->n, L = f->levels, z = N / 2, s = z - i, e = z + i + 1, n = e - s;
    float *p = malloc((size_t)n * 2 * sizeof *p);
    uint64_t *sl = malloc((size_t)n * sizeof *sl);
    if (!p || !sl) {
        free(p);
        free(sl);
        *flags |= VKC_FL_CRASH;
        return INFINITY;
    }
    float *q = p + n;
    /* p[0] gathers hist[0..s], p.back() is assigned hist[e-1] in passing,
     * then gathers hist[e..]; sliced[0] is never set. */
    p[0] = f->fpre[s];
    sl[0] = 0;
    for (uint32_t j = 1; j < n; j++) {
        p[j] = f->hf[s + j];
        sl[j] = (uint64_t)f->hf[s + j];
    }
    for (uint32_t j = e; j < N; j++) p[n - 1] += f->hf[j];
    const uint32_t m = n / L;
    for (uint32_t j = 0; j < n; j++) q[j] = 0.0f;
    for (uint32_t k = 0; k < L; k++) {
        const uint32_t start = k * m, stop = k == L - 1 ? n : (k + 1) * m;
        /* std::accumulate(.., 0) in int for the level, then the last level
         * adds the remainder as a second int sum, in float. */
        uint64_t a = 0, b = 0;
        uint32_t norm = 0;
        for (uint32_t j = start; j < (k + 1) * m; j++) a += sl[j];
        for (uint32_t j = (k + 1) * m; j < stop; j++) b += sl[j];
        for (uint32_t j = start; j < stop; j++) norm += sl[j] != 0;
        if (a >> 31 || b >> 31) *flags |= VKC_FL_WRAP;
        float qb = (float)a;
        if (k == L - 1) qb += (float)b;
        if (!norm) continue;
        for (uint32_t j = start; j < stop; j++)
            if (p[j] != 0.0f) q[j] = qb / (float)norm;
    }
    double kl;
    if (!mx_smooth(q, n)) {
        kl = INFINITY;
    } else if (!mx_smooth(p, n)) {
        *flags |= VKC_FL_CRASH; /* CHECK_EQ(p.size(), q.size()) */
        kl = INFINITY;
    } else {
        /* ComputeEntropy */
        const float psum = vkc_f32_seq_sum(p, n), qsum = vkc_f32_seq_sum(q, n);
        float ret = 0.0f;
        for (uint32_t j = 0; j < n; j++) {
            const float pj = p[j] / psum, qj = q[j] / qsum;
            if (!(pj > 0 && qj > 0)) *flags |= VKC_FL_CRASH; /* CHECK(p[i] > 0 && q[i] > 0) */
            if (pj != 0.0f && qj != 0.0f) ret += pj * logf(pj / qj);
        }
        kl = ret;
    }
    free(p);
    free(sl);
    return kl;
}

/* ------------------------------------------------------------------------ */
/* Fractional levels: ncnn (tools/quantize/ncnn2table.cpp, quantize_KL) and
 * MNN (tools/quantization/TensorStatistic.cpp, _computeThreshold).           */

/* ncnn's level j of candidate t: [start, end) in bins, from the tool's own
 * expressions (the first level starts at 0, the last is t - npb .. t), its
 * partial bins lu - 1 (weight ls) and rl (weight rs), whole bins lu .. rl-1. */
typedef struct ncnn_level {
    int lu, rl;
    float ls, rs;
} ncnn_level;

static ncnn_level ncnn_level_of(uint32_t j, uint32_t L, uint32_t t, float npb)
{
    float start, end;
    if (j == 0) {
        start = 0.0f;
        end = npb;
    } else if (j + 1 == L) {
        start = (float)t - npb;
        end = (float)t;
    } else {
        start = (float)j * npb;
        end = (float)(j + 1) * npb;
    }
    ncnn_level v;
    v.lu = (int)ceilf(start);
    v.ls = (float)v.lu - start;
    v.rl = (int)floorf(end);
    v.rs = end - (float)v.rl;
    return v;
}

/* In the tool the three kinds of level are written out apart; their
 * operations are these, in this order (the first has no left part, the
 * last no right part, so the divisor (rl - lu + ls) + rs is the tool's
 * rl + rs and (t - lu) + ls there). */
static double ncnn_value(const vkc_fl *f, uint32_t t, uint32_t *flags)
{
    (void)flags;
    const uint32_t N = f->n, L = f->levels;
    const float *d = f->d;
    const float kl_eps = 0.0001f;
    float *clip = malloc(((size_t)t * 2 + L) * sizeof *clip);
    if (!clip) return INFINITY;
    float *expand = clip + t, *qd = expand + t;
    for (uint32_t j = 0; j < t; j++) clip[j] = kl_eps;
    for (uint32_t j = 0; j < t; j++) clip[j] += d[j];
    for (uint32_t j = t; j < N; j++) clip[t - 1] += d[j];
    const float npb = (float)t / (float)L;
    for (uint32_t j = 0; j < L; j++) {
        const ncnn_level v = ncnn_level_of(j, L, t, npb);
        qd[j] = 0.0f;
        if (v.ls > 0) qd[j] += v.ls * d[v.lu - 1];
        if (v.rs > 0) qd[j] += v.rs * d[v.rl];
        for (int k = v.lu; k < v.rl; k++) qd[j] += d[k];
        qd[j] /= ((float)(v.rl - v.lu) + v.ls) + v.rs;
    }
    for (uint32_t j = 0; j < t; j++) expand[j] = kl_eps;
    for (uint32_t j = 0; j < L; j++) {
        const ncnn_level v = ncnn_level_of(j, L, t, npb);
        if (v.ls > 0) expand[v.lu - 1] += v.ls * qd[j];
        if (v.rs > 0) expand[v.rl] += v.rs * qd[j];
        for (int k = v.lu; k < v.rl; k++) expand[k] += qd[j];
    }
    /* compute_kl_divergence: log(float) is logf (C++ overload). */
    float result = 0.0f;
    for (uint32_t j = 0; j < t; j++) result += clip[j] * logf(clip[j] / expand[j]);
    free(clip);
    return result;
}

static double mnn_value(const vkc_fl *f, uint32_t c, uint32_t *flags)
{
    (void)flags;
    const uint32_t L = f->levels, i = f->first + c;
    const float *d = f->d;
    if (i == 0 || i >= f->n) return INFINITY;
    float *cand = malloc(((size_t)i * 2 + L) * sizeof *cand);
    if (!cand) return INFINITY;
    float *expd = cand + i, *qd = expd + i;
    for (uint32_t j = 0; j < i; j++) cand[j] = d[j];
    cand[i - 1] += f->after[c];
    const float bi = (float)i / (float)L;
    for (uint32_t j = 0; j < L; j++) qd[j] = 0.0f;
    for (uint32_t j = 0; j < L; j++) {
        const float start = (float)j * bi, end = start + bi;
        const int lu = (int)ceilf(start);
        if ((float)lu > start) qd[j] += ((float)lu - start) * d[lu - 1];
        const int rl = (int)floorf(end);
        /* end may round past i: MNN then reads d[i] (inside the array). */
        if ((float)rl < end) qd[j] += (end - (float)rl) * d[rl];
        for (int k = lu; k < rl; k++) qd[j] += d[k];
    }
    for (uint32_t j = 0; j < i; j++) expd[j] = 0.0f;
    for (uint32_t j = 0; j < L; j++) {
        const float start = (float)j * bi, end = start + bi;
        float count = 0;
        const int lu = (int)ceilf(start);
        float ls = 0.0f;
        if ((float)lu > start) {
            ls = (float)lu - start;
            if (d[lu - 1] != 0) count += ls;
        }
        const int rl = (int)floorf(end);
        float rs = 0.0f;
        if ((float)rl < end) {
            rs = end - (float)rl;
            if (d[rl] != 0) count += rs;
        }
        for (int k = lu; k < rl; k++)
            if (d[k] != 0) count += 1;
        if (count == 0) continue;
        const float v = qd[j] / count;
        if ((float)lu > start && d[lu - 1] != 0) expd[lu - 1] += v * ls;
        /* rl == i writes one past MNN's vector (undefined there): dropped. */
        if ((float)rl < end && d[rl] != 0 && (uint32_t)rl < i) expd[rl] += v * rs;
        for (int k = lu; k < rl; k++)
            if (d[k] != 0) expd[k] += v;
    }
    /* _klDivergence */
    float result = 0.0f;
    for (uint32_t j = 0; j < i; j++) {
        if (cand[j] != 0) {
            if (expd[j] == 0) result += 1.0f;
            else result += cand[j] * logf(cand[j] / expd[j]);
        }
    }
    free(cand);
    return result;
}

double vkc_fl_value(const vkc_fl *f, uint32_t c, uint32_t *flags)
{
    const uint32_t k = f->first + c * f->step;
    *flags = 0;
    switch (f->info->family) {
    case VKC_FAMILY_MXNET:
        return mxnet_value(f, k, flags);
    case VKC_FAMILY_MXNET15:
        return vkc_fl_mxnet15(f, k, flags);
    case VKC_FAMILY_ORT:
        return vkc_fl_ort(f, k, flags);
    case VKC_FAMILY_NCNN:
        return ncnn_value(f, k, flags);
    case VKC_FAMILY_MNN:
        return mnn_value(f, c, flags);
    case VKC_FAMILY_PADDLE:
        return vkc_fl_paddle(f, k, flags);
    case VKC_FAMILY_PPQ:
        return vkc_fl_ppq(f, k, flags);
    default:
        return NAN;
    }
}

void vkc_fl_threshold(const vkc_fl *f, uint32_t c, vkc_flavor_result *r)
{
    const uint32_t k = f->first + c * f->step, N = f->n, z = N / 2;
    const float A = f->st.absmax;
    double t = 0, lo, hi;
    r->index = k;
    switch (f->info->family) {
    case VKC_FAMILY_MXNET:
    case VKC_FAMILY_MXNET15:
        t = vkc_kind_edge(&f->spec, z + k + 1);
        lo = -t;
        /* mxnet >= 1.6: [0, T] only with the uint8 rule; 1.5.1: whenever
         * min >= 0. */
        if (f->st.min >= 0 && (f->info->family == VKC_FAMILY_MXNET15 || f->info->uint8_variant)) lo = 0;
        r->lo = lo;
        r->hi = t;
        break;
    case VKC_FAMILY_ORT: {
        const uint32_t s = z - k, e = z + k + 1 <= N ? z + k + 1 : N;
        lo = vkc_kind_edge(&f->spec, s);
        hi = vkc_kind_edge(&f->spec, e);
        if (lo < (double)f->st.min) lo = f->st.min;
        if (hi > (double)f->st.max) hi = f->st.max;
        r->lo = lo;
        r->hi = hi;
        t = fmax(fabs(lo), fabs(hi));
        break;
    }
    case VKC_FAMILY_NCNN: {
        const float T = ((float)k + 0.5f) * A / (float)N;
        t = T;
        break;
    }
    case VKC_FAMILY_MNN: {
        const float inv = A > 0.00001f ? (float)N / A : 0.0f;
        t = ((double)(float)k + 0.5) / (double)inv;
        break;
    }
    case VKC_FAMILY_PADDLE: {
        const double bw = vkc_kind_edge(&f->spec, 1) - vkc_kind_edge(&f->spec, 0);
        t = ((double)k + 0.5) * bw;
        break;
    }
    case VKC_FAMILY_PPQ: {
        /* scale = (r / bins) * hist_scale * (bins / quant_bins), at least
         * OBSERVER_MIN_SCALE = 1e-8; T = scale * quant_bins. */
        const double hist_scale = (double)A / (double)N;
        double scale = ((double)k / (double)N) * hist_scale * ((double)N / (double)f->levels);
        if (scale < 1e-8) scale = 1e-8;
        t = scale * (double)f->levels;
        break;
    }
    default:
        break;
    }
    r->threshold = t;
    if (f->info->family != VKC_FAMILY_ORT && f->info->family != VKC_FAMILY_MXNET &&
        f->info->family != VKC_FAMILY_MXNET15) {
        r->lo = -t;
        r->hi = t;
    }
}
