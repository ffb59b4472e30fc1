/* The Python tools' evaluators of one candidate (flavor_impl.h): mxnet
 * 1.5.1 and onnxruntime in numpy/scipy float32 (numpy 1.x value-based
 * casting: a Python float times a float32 array is a float32 operation;
 * sums are numpy's pairwise sums), Paddle in Python doubles, PPQ in double
 * as FLAVOURS.md defines it. Each follows its tool's order of operations;
 * the sources are named at each function. */
#include "search/flavor_impl.h"
#include "base/numeric.h"

#include <math.h>
#include <stdlib.h>

/* ------------------------------------------------------------------------ */
/* numpy and scipy in float32: mxnet 1.5.1's _get_optimal_threshold and
 * onnxruntime's get_entropy_threshold.                                       */

/* _smooth_distribution / smooth_distribution on a float32 array (the
 * counts already cast to float32). 1: smoothed; 0: all zero (ValueError or
 * None); -1: eps1 >= 1 or a value <= 0 after (an AssertionError). */
static int np_smooth(float *v, uint32_t n)
{
    uint32_t zeros = 0;
    for (uint32_t j = 0; j < n; j++) zeros += v[j] == 0.0f;
    const uint32_t nonzeros = n - zeros;
    if (!nonzeros) return 0;
    const double eps1 = 0.0001 * (double)zeros / (double)nonzeros; /* Python floats */
    if (!(eps1 < 1.0)) return -1;
    /* hist += eps * is_zeros + (-eps1) * is_nonzeros: both scalars cast to
     * float32, products and sums in float32. */
    const float e = (float)0.0001, m = (float)-eps1;
    int bad = 0;
    for (uint32_t j = 0; j < n; j++) {
        const float iz = v[j] == 0.0f ? 1.0f : 0.0f, inz = 1.0f - iz;
        const float t = e * iz + m * inz;
        v[j] += t;
        bad |= !(v[j] > 0.0f);
    }
    return bad ? -1 : 1;
}

/* scipy.special.rel_entr on float32 arguments: computed in double. */
static float rel_entr_f(float x, float y)
{
    const double a = x, b = y;
    if (isnan(a) || isnan(b)) return NAN;
    if (a > 0 && b > 0) return (float)(a * log(a / b));
    if (a == 0 && b >= 0) return 0.0f;
    return INFINITY;
}

/* scipy.stats.entropy(p, q) on float32 arrays; scratch holds n floats. */
static float np_entropy(float *p, float *q, uint32_t n, float *scratch)
{
    const float ps = vkc_f32_numpy_sum(p, n), qs = vkc_f32_numpy_sum(q, n);
    for (uint32_t j = 0; j < n; j++) scratch[j] = rel_entr_f(1.0f * p[j] / ps, 1.0f * q[j] / qs);
    return vkc_f32_numpy_sum(scratch, n);
}

/* The window [s, e) of the numpy tools: p = hist[s:e] (int64) with the
 * outliers added to its ends, and 3 n floats of scratch (p, q and rel_entr's
 * terms). 0 when out of memory. */
static int np_window(const vkc_fl *f, uint32_t s, uint32_t e, float **buf, uint64_t **pi)
{
    const uint32_t n = e - s;
    *buf = malloc((size_t)n * 3 * sizeof **buf);
    *pi = malloc((size_t)n * sizeof **pi);
    if (!*buf || !*pi) {
        free(*buf);
        free(*pi);
        return 0;
    }
    for (uint32_t j = 0; j < n; j++) (*pi)[j] = f->h[s + j];
    (*pi)[0] += f->pre[s];
    (*pi)[n - 1] += f->total - f->pre[e];
    return 1;
}

/* MXNet 1.5.1: python/mxnet/contrib/quantization.py. */
double vkc_fl_mxnet15(const vkc_fl *f, uint32_t i, uint32_t *flags)
{
    const uint32_t N = f->n, L = f->levels, z = N / 2, s = z - i, e = z + i + 1, n = e - s;
    float *buf;
    uint64_t *pi;
    if (!np_window(f, s, e, &buf, &pi)) {
        *flags |= VKC_FL_CRASH;
        return INFINITY;
    }
    float *p = buf, *q = buf + n, *scratch = buf + 2 * n;
    const uint32_t m = n / L;
    for (uint32_t j = 0; j < n; j++) q[j] = 0.0f;
    for (uint32_t k = 0; k < L; k++) {
        /* quantized_bins is int32: sums past 2^31 wrap. */
        const uint32_t start = k * m, stop = k == L - 1 ? n : start + m;
        const uint64_t a = f->pre[s + (k + 1) * m] - f->pre[s + start];
        if (a >> 31) *flags |= VKC_FL_WRAP;
        int32_t qb = (int32_t)(uint32_t)a;
        if (k == L - 1) {
            const uint64_t b = f->pre[e] - f->pre[s + (k + 1) * m];
            if (b >> 31) *flags |= VKC_FL_WRAP;
            qb = (int32_t)(uint32_t)((uint64_t)(int64_t)qb + b);
        }
        uint32_t norm = 0;
        for (uint32_t j = start; j < stop; j++) norm += pi[j] != 0;
        if (norm)
            for (uint32_t j = start; j < stop; j++) q[j] = (float)((double)qb / (double)norm);
    }
    for (uint32_t j = 0; j < n; j++) {
        if (pi[j] == 0) q[j] = 0.0f;
        p[j] = (float)pi[j];
    }
    double kl;
    const int sp = np_smooth(p, n);
    if (sp <= 0) {
        *flags |= VKC_FL_CRASH; /* ValueError (all zero) or AssertionError */
        kl = INFINITY;
    } else {
        const int sq = np_smooth(q, n);
        if (sq < 0) {
            *flags |= VKC_FL_CRASH;
            kl = INFINITY;
        } else if (sq == 0) {
            /* The ValueError is caught, then stats.entropy(p, q) runs on
             * the all-zero q: 0/0, NaN. */
            *flags |= VKC_FL_NAN;
            kl = NAN;
        } else {
            kl = np_entropy(p, q, n, scratch);
        }
    }
    free(buf);
    free(pi);
    return kl;
}

/* onnxruntime: python/tools/quantization/calibrate.py, get_entropy_threshold. */
double vkc_fl_ort(const vkc_fl *f, uint32_t i, uint32_t *flags)
{
    const uint32_t N = f->n, L = f->levels, z = N / 2, s = z - i, e = z + i + 1 <= N ? z + i + 1 : N, n = e - s;
    float *buf;
    uint64_t *pi;
    if (!np_window(f, s, e, &buf, &pi)) {
        *flags |= VKC_FL_CRASH;
        return INFINITY;
    }
    float *p = buf, *q = buf + n, *scratch = buf + 2 * n;
    const uint32_t m = n / L;
    for (uint32_t j = 0; j < n; j++) q[j] = 0.0f;
    for (uint32_t k = 0; k < L; k++) {
        /* q is an int64 array: the mean is truncated, written on the whole
         * level; the remainder positions past L m keep 0. */
        const uint32_t start = k * m, end = start + m;
        uint64_t qb = f->pre[s + end] - f->pre[s + start];
        if (k == L - 1) qb += f->pre[e] - f->pre[s + L * m];
        uint32_t norm = 0;
        for (uint32_t j = start; j < end; j++) norm += pi[j] != 0;
        if (!norm) continue;
        const int64_t v = (int64_t)((double)qb / (double)norm);
        for (uint32_t j = start; j < end; j++) q[j] = (float)v;
    }
    for (uint32_t j = 0; j < n; j++) p[j] = (float)pi[j];
    double kl;
    const int sp = np_smooth(p, n), sq = sp < 0 ? 0 : np_smooth(q, n);
    if (sp < 0 || sq < 0) {
        *flags |= VKC_FL_CRASH; /* AssertionError */
        kl = INFINITY;
    } else if (sq == 0 || sp == 0) {
        kl = INFINITY; /* smooth_distribution returned None */
    } else {
        kl = np_entropy(p, q, n, scratch);
    }
    free(buf);
    free(pi);
    return kl;
}

/* ------------------------------------------------------------------------ */
/* Double: Paddle (python/paddle/static/quantization/cal_kl_threshold.py)
 * and PPQ (ppq/quantization/observer/range.py, FLAVOURS.md's float64).      */

double vkc_fl_paddle(const vkc_fl *f, uint32_t i, uint32_t *flags)
{
    const uint64_t *h = f->h;
    if (h[i - 1] == 0) {
        *flags |= VKC_FL_SKIP;
        return NAN;
    }
    const uint32_t Q = f->levels, m = (uint32_t)((double)i / (double)Q);
    double *q = malloc((size_t)i * sizeof *q);
    if (!q) return INFINITY;
    const uint64_t outliers = f->total - f->pre[i];
    /* expand_quantized_bins: level k is [k m, (k+1) m), the last [(Q-1) m, i);
     * its sum over the counts (outliers excluded), spread over the bins
     * whose reference count (outliers included) is not 0. */
    for (uint32_t k = 0; k < Q; k++) {
        const uint32_t js = k * m, je = k + 1 == Q ? i : (k + 1) * m;
        const uint64_t sum = f->pre[je] - f->pre[js];
        uint32_t zc = 0;
        for (uint32_t j = js; j < je; j++) zc += (j == i - 1 ? h[j] + outliers : h[j]) == 0;
        const uint32_t nm = je - js;
        const double avg = zc == nm ? 0.0 : (double)sum / ((double)(nm - zc) + 0.0);
        for (uint32_t j = js; j < je; j++) q[j] = (j == i - 1 ? h[j] + outliers : h[j]) == 0 ? 0.0 : avg;
    }
    double qsum = 0;
    for (uint32_t j = 0; j < i; j++) qsum += q[j];
    const double psum = (double)f->total;
    double t1 = 0, t2 = 0;
    for (uint32_t j = 0; j < i; j++) {
        const uint64_t pj = j == i - 1 ? h[j] + outliers : h[j];
        if (pj == 0) continue;
        if (q[j] == 0) *flags |= VKC_FL_LOG0;
        t1 += (double)pj * log(qsum * (double)pj);
        t2 += (double)pj * log(psum * q[j]);
    }
    free(q);
    if (*flags & VKC_FL_LOG0) return INFINITY;
    return (t1 - t2) / psum;
}

double vkc_fl_ppq(const vkc_fl *f, uint32_t r, uint32_t *flags)
{
    (void)flags;
    const uint32_t N = f->n, L = f->levels, ex = r / L;
    const double *h = f->hd, hs = f->ppq_sum;
    double *q = malloc((size_t)r * sizeof *q);
    if (!q) return INFINITY;
    double out = 0;
    for (uint32_t j = r; j < N; j++) out += h[j];
    /* q_hist: group sums over positive counts, written on positive bins. */
    for (uint32_t g = 0; g < L; g++) {
        double sum = 0;
        uint32_t pos = 0;
        for (uint32_t j = g * ex; j < (g + 1) * ex; j++) {
            sum += h[j];
            pos += h[j] > 0;
        }
        const double mean = sum / (double)(pos ? pos : 1);
        for (uint32_t j = g * ex; j < (g + 1) * ex; j++) q[j] = h[j] > 0 ? mean : 0.0;
    }
    double qs = 0;
    for (uint32_t j = 0; j < r; j++) qs += q[j];
    double kl = 0;
    for (uint32_t j = 0; j < r; j++) {
        const double p = (j == r - 1 ? h[j] + out : h[j]) / hs, qq = q[j] / qs;
        kl += p * (log10(p + 1e-30) - log10(qq + 1e-30));
    }
    free(q);
    return kl;
}

