/* Two-sided (asymmetric) entropy and MSE searches on the CPU (src/search/asym*.c):
 * the exhaustive search (fast evaluator + reference re-check) chooses
 * exactly the window the brute-force reference chooses on many small random
 * signed histograms, every window; the fast evaluators' bounds hold on every
 * window of a subset; the reference agrees with an independent long-double
 * evaluation written here from DESIGN.md §3; edge cases and fallbacks; the
 * tie rule; timing at N = 2048. */
#include "search/asym.h"
#include "search/entropy.h"
#include "hist_gen.h"
#include "asym_gen.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


/* ------------------------------------------------------------------------ */
/* Signed histograms                                                        */


/* ------------------------------------------------------------------------ */
/* Independent long-double evaluations, straight from DESIGN.md §3          */

static long double naive_kl(const uint64_t *h, uint32_t n, uint32_t a, uint32_t b)
{
    uint32_t m = b - a;
    long double *pd = calloc(m, sizeof *pd), *qd = calloc(m, sizeof *qd), *mass = calloc(256, sizeof *mass);
    uint32_t *cnt = calloc(256, sizeof *cnt);
    long double kl = 0, sp = 0, sq = 0;
    for (uint32_t j = 0; j < n; j++) pd[j < a ? 0 : j >= b ? m - 1 : j - a] += (long double)h[j];
    for (uint32_t j = a; j < b; j++) {
        uint32_t k = (uint32_t)((uint64_t)(j - a) * 256 / m);
        mass[k] += (long double)h[j];
        cnt[k] += h[j] != 0;
    }
    for (uint32_t j = a; j < b; j++) {
        uint32_t k = (uint32_t)((uint64_t)(j - a) * 256 / m);
        qd[j - a] = h[j] ? mass[k] / cnt[k] : 0.0L;
    }
    for (uint32_t r = 0; r < m; r++) {
        sp += pd[r];
        sq += qd[r];
    }
    for (uint32_t r = 0; r < m; r++) {
        if (pd[r] == 0) continue;
        if (qd[r] == 0) {
            kl = INFINITY;
            break;
        }
        long double pp = pd[r] / sp, qq = qd[r] / sq;
        kl += pp * logl(pp / qq);
    }
    free(pd);
    free(qd);
    free(mass);
    free(cnt);
    return kl;
}

/* The histogram the entropy search sees (DESIGN.md §3), written here from
 * the definition: the zero bin (the float32 binning of 0), its count
 * replaced by its neighbours' (their mean when it has two), the whole
 * mirrored when the range is non-positive. Returns the zero bin in the
 * searched histogram. */
static uint32_t naive_prepare(const uint64_t *h, uint32_t n, double lo, double hi, uint64_t *out, int *mirrored)
{
    uint32_t z = 0;
    *mirrored = lo < 0 && hi <= 0;
    if (lo < 0 && hi > 0) {
        float flo = (float)lo, fhi = (float)hi, inv = (float)n / (fhi - flo), x = (0.0f - flo) * inv;
        z = x >= (float)n ? n - 1 : (uint32_t)x;
    } else if (lo < 0) {
        z = n - 1;
    }
    for (uint32_t j = 0; j < n; j++) out[j] = h[*mirrored ? n - 1 - j : j];
    if (*mirrored) z = n - 1 - z;
    if (n >= 2) {
        if (z == 0) out[0] = out[1];
        else if (z == n - 1) out[z] = out[n - 2];
        else out[z] = (uint64_t)(((unsigned __int128)out[z - 1] + out[z + 1]) / 2);
    }
    return z;
}

/* Puts 0 inside [lo, hi], as the calibrator's histograms always have it:
 * a range left of 0 ends there, one right of 0 starts there. */
static void with_zero(double *lo, double *hi)
{
    if (*lo > 0) *lo = 0;
    if (*hi < 0) *hi = 0;
}

/* The same double decisions (edges, scale, zero point, codes) as the
 * definition; the error sum in long double. */
static long double naive_mse(const uint64_t *h, uint32_t n, double lo, double hi, uint32_t a, uint32_t b)
{
    double w = (hi - lo) / n;
    double ea = a == n ? hi : a * w + lo, eb = b == n ? hi : b * w + lo;
    double lop = ea < 0 ? ea : 0, hip = eb > 0 ? eb : 0;
    double scale = (hip - lop) / 255.0;
    double zp = nearbyint(-lop / scale) + 0.0;
    zp = zp < 0 ? 0 : zp > 255 ? 255 : zp;
    long double s = 0, t = 0;
    for (uint32_t j = 0; j < n; j++) {
        t += h[j];
        if (!h[j]) continue;
        double c = lo + (j + 0.5) * w;
        double q = nearbyint(c / scale) + zp;
        q = q < 0 ? 0 : q > 255 ? 255 : q;
        long double e = ((long double)q - zp) * scale - ((long double)lo + ((long double)j + 0.5L) * w);
        s += (long double)h[j] * e * e;
    }
    return s / t;
}

/* ------------------------------------------------------------------------ */

static uint32_t pick_start(vkc_rng *r, uint32_t n)
{
    switch (vkc_rng_next(r) % 6) {
    case 0: return 0; /* default 128 */
    case 1: return 1;
    case 2: return 2 + (uint32_t)(vkc_rng_next(r) % 8);
    case 3: return 16;
    case 4: return n / 2 > 0 ? n / 2 : 1;
    default: return 32 + (uint32_t)(vkc_rng_next(r) % 64);
    }
}

static uint32_t pick_n(vkc_rng *r)
{
    switch (vkc_rng_next(r) % 5) {
    case 0: return 256;
    case 1: return 129 + (uint32_t)(vkc_rng_next(r) % 127);
    case 2: return 2 + (uint32_t)(vkc_rng_next(r) % 60);
    default: return 200 + (uint32_t)(vkc_rng_next(r) % 57);
    }
}

/* Histograms wider than L = 256 levels (levels of several bins), with
 * a minimum window close to n so that the O(n^3) oracle stays cheap. */
static void pick_wide(vkc_rng *r, uint32_t *n, uint32_t *start)
{
    *n = 257 + (uint32_t)(vkc_rng_next(r) % 500);
    *start = *n - 40 - (uint32_t)(vkc_rng_next(r) % 160);
    if (vkc_rng_next(r) % 4 == 0) *start = 250;
}

static void test_entropy_random(int cases, uint64_t seed)
{
    vkc_rng r = {seed};
    uint64_t h[800];
    uint64_t reeval = 0, windows = 0, checked = 0, fell_back = 0;
    for (int c = 0; c < cases; c++) {
        uint32_t n = pick_n(&r), start = pick_start(&r, n);
        if (c % 5 == 4) pick_wide(&r, &n, &start);
        int shape = (int)(vkc_rng_next(&r) % AS_COUNT);
        double lo, hi;
        asym_gen(&r, h, n, shape, &lo, &hi);
        with_zero(&lo, &hi);
        vkc_asym_result ref, fast;
        vkc_msg msg;
        REQUIRE_CMP(vkc_asym_entropy_reference(h, n, lo, hi, start, &ref, &msg), ==, VKC_OK);
        uint32_t threads = 1 + (uint32_t)(c % 3);
        REQUIRE_CMP(vkc_asym_entropy_cpu_threads(h, n, lo, hi, start, threads, &fast, &msg), ==, VKC_OK);
        REQUIREF(fast.a == ref.a && fast.b == ref.b && fast.fallback == ref.fallback,
                 "entropy case %d (%s, n %u, start %u): fast (%u, %u) fb %d, reference (%u, %u) fb %d", c,
                 as_names[shape], n, start, fast.a, fast.b, fast.fallback, ref.a, ref.b, ref.fallback);
        REQUIRE_CMP(fast.lo, ==, ref.lo);
        REQUIRE_CMP(fast.hi, ==, ref.hi);
        REQUIRE_CMP(fast.value, ==, ref.value);
        REQUIRE_CMP(fast.windows, ==, ref.windows);
        REQUIRE_CMP(fast.inf_windows, ==, ref.inf_windows);
        if (!ref.fallback) {
            REQUIRE_CMP(ref.b - ref.a, >=, (start ? start : 128));
            REQUIRE_CMP(ref.lo, ==, vkc_asym_edge(lo, hi, n, ref.a));
            REQUIRE_CMP(ref.hi, ==, vkc_asym_edge(lo, hi, n, ref.b));
            /* The window holds the zero bin; its KL is the definition's on
             * the searched histogram. */
            uint64_t hp[800];
            int mir;
            uint32_t z = naive_prepare(h, n, lo, hi, hp, &mir);
            uint32_t sa = mir ? n - ref.b : ref.a, sb = mir ? n - ref.a : ref.b;
            REQUIREF(sa <= z && z < sb, "case %d: window (%u, %u) misses the zero bin %u", c, sa, sb, z);
            long double nk = naive_kl(hp, n, sa, sb);
            REQUIREF(fabsl(nk - ref.value) <= 1e-12L + 1e-12L * fabsl(nk), "case %d: KL %.17g, long double %.17Lg",
                     c, ref.value, nk);
        } else {
            fell_back++;
            REQUIRE_CMP(ref.message[0], !=, 0);
            REQUIRE_CMP(ref.lo, ==, lo);
            REQUIRE_CMP(ref.hi, ==, hi);
        }
        reeval += fast.reevaluated;
        windows += fast.windows;
        checked++;
    }
    printf("entropy: %llu random histograms, exhaustive fast == reference (%llu fallbacks); "
           "%llu of %llu windows re-evaluated with the reference\n",
           (unsigned long long)checked, (unsigned long long)fell_back, (unsigned long long)reeval,
           (unsigned long long)windows);
}

/* The fast evaluator's bound, every window of some histograms; the
 * reference against the long-double evaluation on a sample of windows. */
static void test_entropy_bounds(int cases, uint64_t seed)
{
    vkc_rng r = {seed};
    uint64_t h[1100];
    uint64_t windows = 0, infs = 0;
    double worst = 0, worst_naive = 0;
    for (int c = 0; c < cases; c++) {
        uint32_t n = c % 2 ? 256 : 2 + (uint32_t)(vkc_rng_next(&r) % 255);
        /* Every third: wider than L, windows of every width sampled. */
        uint32_t step = 1;
        if (c % 3 == 2) {
            n = 600 + (uint32_t)(vkc_rng_next(&r) % 500);
            step = 7;
        }
        int shape = c % AS_COUNT;
        double lo, hi;
        asym_gen(&r, h, n, shape, &lo, &hi);
        vkc_asym_hist ah;
        vkc_msg msg;
        REQUIRE_CMP(vkc_asym_hist_init(&ah, h, n, VKC_ASYM_KL, &msg), ==, VKC_OK);
        if (ah.total == 0) {
            vkc_asym_hist_free(&ah);
            continue;
        }
        for (uint32_t a = 0; a < n; a += step)
            for (uint32_t b = a + 1 + (a % step); b <= n; b += step) {
                double e, v = vkc_asym_kl_fast(&ah, a, b, &e), ref = vkc_asym_kl_reference(&ah, a, b);
                int inf = vkc_asym_kl_is_inf(&ah, a, b);
                windows++;
                if (inf) {
                    infs++;
                    REQUIREF(isinf(v) && isinf(ref), "window (%u, %u): inf test %d, fast %g, ref %g", a, b, inf, v, ref);
                    continue;
                }
                REQUIREF(isfinite(v) && isfinite(ref) && fabs(v - ref) <= e,
                         "bound: %s n %u window (%u, %u): fast %.17g, reference %.17g, |diff| %.3g > bound %.3g",
                         as_names[shape], n, a, b, v, ref, fabs(v - ref), e);
                if (e > 0 && fabs(v - ref) / e > worst) worst = fabs(v - ref) / e;
                if ((a * 7 + b * 13) % 97 == 0) {
                    long double nk = naive_kl(h, n, a, b);
                    double d = (double)fabsl(nk - ref);
                    REQUIREF(d <= vkc_asym_kl_ref_err(&ah, ref) + 1e-18,
                             "reference (%u, %u): %.17g, long double %.17Lg", a, b, ref, nk);
                    if (d > worst_naive) worst_naive = d;
                }
            }
        vkc_asym_hist_free(&ah);
    }
    printf("entropy bound: %llu windows (%llu infinite), |fast - reference| <= bound; worst ratio %.3g; "
           "reference vs long double within %.3g\n",
           (unsigned long long)windows, (unsigned long long)infs, worst, worst_naive);
}

static void test_mse_random(int cases, uint64_t seed)
{
    vkc_rng r = {seed};
    uint64_t h[800];
    uint64_t reeval = 0, windows = 0, checked = 0;
    for (int c = 0; c < cases; c++) {
        uint32_t n = pick_n(&r), start = pick_start(&r, n);
        if (c % 6 == 5) pick_wide(&r, &n, &start);
        int shape = (int)(vkc_rng_next(&r) % AS_COUNT);
        double lo, hi;
        asym_gen(&r, h, n, shape, &lo, &hi);
        vkc_asym_result ref, fast;
        vkc_msg msg;
        REQUIRE_CMP(vkc_asym_mse_reference(h, n, lo, hi, start, &ref, &msg), ==, VKC_OK);
        REQUIRE_CMP(vkc_asym_mse_cpu_threads(h, n, lo, hi, start, 1 + (uint32_t)(c % 3), &fast, &msg), ==, VKC_OK);
        REQUIREF(fast.a == ref.a && fast.b == ref.b && fast.fallback == ref.fallback,
                 "mse case %d (%s, n %u, start %u, [%g, %g]): fast (%u, %u), reference (%u, %u)", c,
                 as_names[shape], n, start, lo, hi, fast.a, fast.b, ref.a, ref.b);
        REQUIRE_CMP(fast.lo, ==, ref.lo);
        REQUIRE_CMP(fast.hi, ==, ref.hi);
        REQUIRE_CMP(fast.value, ==, ref.value);
        if (!ref.fallback) {
            REQUIRE_CMP(ref.lo, <=, 0);
            REQUIRE_CMP(ref.hi, >=, 0);
            REQUIRE_CMP(ref.hi, >, ref.lo);
            long double nm = naive_mse(h, n, lo, hi, ref.a, ref.b);
            REQUIREF(fabsl(nm - ref.value) <= 1e-9L * fabsl(nm) + 1e-300L, "mse case %d: %.17g, long double %.17Lg", c,
                     ref.value, nm);
        }
        reeval += fast.reevaluated;
        windows += fast.windows;
        checked++;
    }
    printf("mse: %llu random histograms, exhaustive fast == reference; %llu of %llu windows re-evaluated\n",
           (unsigned long long)checked, (unsigned long long)reeval, (unsigned long long)windows);
}

static void test_mse_bounds(int cases, uint64_t seed)
{
    vkc_rng r = {seed};
    uint64_t h[256];
    uint64_t windows = 0;
    double worst = 0;
    for (int c = 0; c < cases; c++) {
        uint32_t n = c % 2 ? 256 : 2 + (uint32_t)(vkc_rng_next(&r) % 255);
        int shape = c % AS_COUNT;
        double lo, hi;
        asym_gen(&r, h, n, shape, &lo, &hi);
        vkc_asym_hist ah;
        vkc_msg msg;
        REQUIRE_CMP(vkc_asym_hist_init(&ah, h, n, VKC_ASYM_MSE, &msg), ==, VKC_OK);
        if (ah.total == 0) {
            vkc_asym_hist_free(&ah);
            continue;
        }
        for (uint32_t a = 0; a < n; a += 1 + (c & 1))
            for (uint32_t b = a + 1; b <= n; b++) {
                double e, v = vkc_asym_mse_window_fast(&ah, lo, hi, a, b, &e);
                double ref = vkc_asym_mse_window_reference(&ah, lo, hi, a, b);
                windows++;
                REQUIREF(isfinite(v) && isfinite(ref) && fabs(v - ref) <= e,
                         "mse bound: %s n %u [%g, %g] window (%u, %u): fast %.17g, reference %.17g, bound %.3g",
                         as_names[shape], n, lo, hi, a, b, v, ref, e);
                if (e > 0 && fabs(v - ref) / e > worst) worst = fabs(v - ref) / e;
                if ((a * 7 + b * 13) % 89 == 0) {
                    long double nm = naive_mse(h, n, lo, hi, a, b);
                    REQUIREF(fabsl(nm - ref) <= e + 1e-300, "mse reference (%u, %u): %.17g, long double %.17Lg", a,
                             b, ref, nm);
                }
            }
        vkc_asym_hist_free(&ah);
    }
    printf("mse bound: %llu windows, |fast - reference| <= bound; worst ratio %.3g\n", (unsigned long long)windows,
           worst);
}

static void test_edges(void)
{
    uint64_t h[300];
    vkc_asym_result res;
    vkc_msg msg;
    /* Empty histogram. */
    memset(h, 0, sizeof h);
    REQUIRE_CMP(vkc_asym_entropy_cpu(h, 256, -1, 1, 0, &res, &msg), ==, VKC_OK);
    REQUIRE(res.fallback);
    REQUIRE_CMP(res.a, ==, 0);
    REQUIRE_CMP(res.b, ==, 256);
    REQUIRE_CMP(res.lo, ==, -1);
    REQUIRE_CMP(res.hi, ==, 1);
    REQUIRE(res.message[0]);
    REQUIRE_CMP(vkc_asym_mse_cpu(h, 256, -1, 1, 0, &res, &msg), ==, VKC_OK);
    REQUIRE(res.fallback);
    REQUIRE_CMP(res.lo, ==, -1);
    REQUIRE_CMP(res.hi, ==, 1);
    REQUIRE_CMP(vkc_asym_entropy_reference(h, 256, -1, 1, 0, &res, &msg), ==, VKC_OK);
    REQUIRE(res.fallback);
    /* N < S. */
    for (int j = 0; j < 100; j++) h[j] = 1 + j;
    REQUIRE_CMP(vkc_asym_entropy_cpu(h, 100, -1, 1, 0, &res, &msg), ==, VKC_OK);
    REQUIRE(res.fallback);
    REQUIRE_CMP(res.windows, ==, 0);
    REQUIRE_CMP(strstr(res.message, "fewer"), !=, NULL);
    REQUIRE_CMP(vkc_asym_mse_cpu(h, 100, -1, 1, 0, &res, &msg), ==, VKC_OK);
    REQUIRE(res.fallback);
    REQUIRE_CMP(vkc_asym_entropy_cpu(h, 100, -1, 1, 101, &res, &msg), ==, VKC_OK);
    REQUIRE(res.fallback);
    REQUIRE_CMP(vkc_asym_entropy_cpu(h, 100, -1, 1, 100, &res, &msg), ==, VKC_OK);
    REQUIRE(!res.fallback);
    REQUIRE_CMP(res.windows, ==, 1);
    REQUIRE_CMP(res.a, ==, 0);
    REQUIRE_CMP(res.b, ==, 100);
    REQUIRE_CMP(res.lo, ==, -1);
    REQUIRE_CMP(res.hi, ==, 1);
    /* One bin. */
    h[0] = 7;
    REQUIRE_CMP(vkc_asym_entropy_cpu(h, 1, -1, 1, 0, &res, &msg), ==, VKC_OK);
    REQUIRE(res.fallback);
    REQUIRE_CMP(vkc_asym_entropy_cpu(h, 1, -1, 1, 1, &res, &msg), ==, VKC_OK);
    REQUIRE(!res.fallback);
    REQUIRE_CMP(res.value, ==, 0);
    REQUIRE_CMP(vkc_asym_mse_cpu(h, 1, -1, 1, 1, &res, &msg), ==, VKC_OK);
    REQUIRE(!res.fallback);
    /* A single non-empty bin: every window holding it without outliers has
     * KL 0, and the widest of those is the whole histogram. */
    memset(h, 0, sizeof h);
    h[170] = 12345;
    REQUIRE_CMP(vkc_asym_entropy_cpu(h, 256, -3, 5, 0, &res, &msg), ==, VKC_OK);
    REQUIRE(!res.fallback);
    REQUIRE_CMP(res.a, ==, 0);
    REQUIRE_CMP(res.b, ==, 256);
    REQUIRE_CMP(res.value, ==, 0);
    vkc_asym_result ref;
    REQUIRE_CMP(vkc_asym_entropy_reference(h, 256, -3, 5, 0, &ref, &msg), ==, VKC_OK);
    REQUIRE_CMP(ref.a, ==, res.a);
    REQUIRE_CMP(ref.b, ==, res.b);
    /* Window (a, b) with outliers on both sides and the edge bins empty is
     * infinite: here every window that clips the bin. */
    REQUIRE_CMP(vkc_asym_entropy_cpu(h, 256, -3, 5, 16, &res, &msg), ==, VKC_OK);
    REQUIRE_CMP(res.inf_windows, >, 0);
    REQUIRE_CMP(vkc_asym_mse_cpu(h, 256, -3, 5, 0, &res, &msg), ==, VKC_OK);
    REQUIRE(!res.fallback);
    REQUIRE_CMP(vkc_asym_mse_reference(h, 256, -3, 5, 0, &ref, &msg), ==, VKC_OK);
    REQUIRE_CMP(ref.a, ==, res.a);
    REQUIRE_CMP(ref.b, ==, res.b);
    /* lo == hi: fallback; hi < lo, non-finite, or 0 outside the range:
     * error. */
    REQUIRE_CMP(vkc_asym_entropy_cpu(h, 256, 0, 0, 0, &res, &msg), ==, VKC_OK);
    REQUIRE(res.fallback);
    REQUIRE_CMP(vkc_asym_entropy_cpu(h, 256, 2, 2, 0, &res, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_asym_entropy_cpu(h, 256, 0.5, 2, 0, &res, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(strstr(msg.text, "must contain 0"), !=, NULL);
    REQUIRE_CMP(vkc_asym_entropy_cpu(h, 256, -2, -0.5, 0, &res, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_asym_entropy_reference(h, 256, -2, -0.5, 0, &res, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_asym_entropy_cpu(h, 256, 2, 1, 0, &res, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_asym_mse_cpu(h, 256, NAN, 1, 0, &res, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_asym_entropy_cpu(NULL, 256, 0, 1, 0, &res, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_asym_entropy_cpu(h, 0, 0, 1, 0, &res, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    /* Counts near 2^64: overflow is an error, not a wrong answer. */
    h[5] = UINT64_MAX;
    h[6] = 2;
    REQUIRE_CMP(vkc_asym_entropy_cpu(h, 256, 0, 1, 0, &res, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    h[5] = h[6] = 0;
    /* Window index and count agree with the width-major order. */
    for (uint32_t n = 1; n < 40; n++)
        for (uint32_t s = 1; s <= n + 1; s++) {
            uint64_t k = 0;
            int ok = 1;
            for (uint32_t m = s; m <= n; m++)
                for (uint32_t a = 0; a + m <= n; a++) ok &= vkc_asym_window_index(n, s, a, a + m) == k++;
            REQUIRE(ok);
            REQUIRE_CMP(k, ==, vkc_asym_window_count(n, s));
        }
    REQUIRE_CMP(vkc_asym_window_count(2048, 128), ==, 1921ull * 1922 / 2);
    REQUIRE_CMP(vkc_asym_edge(-1, 3, 8, 0), ==, -1);
    REQUIRE_CMP(vkc_asym_edge(-1, 3, 8, 8), ==, 3);
    REQUIRE_CMP(vkc_asym_edge(-1, 3, 8, 2), ==, 0);
}

/* The tie rule: widest, then smallest a. */
static void test_ties(void)
{
    uint64_t h[256];
    vkc_asym_result res, ref;
    vkc_msg msg;
    /* Post-ReLU histogram over [0, hi]: lo' = 0 for every window, so the
     * MSE of (a, b) does not depend on a at all: exact ties, and the widest
     * of the best b's windows starts at a = 0. */
    vkc_rng r = {77};
    for (uint32_t j = 0; j < 256; j++) h[j] = (uint64_t)(1e6 * exp(-(double)j / 30.0)) + (vkc_rng_next(&r) % 5);
    h[0] += 5000000;
    REQUIRE_CMP(vkc_asym_mse_cpu(h, 256, 0.0, 6.0, 0, &res, &msg), ==, VKC_OK);
    REQUIRE_CMP(vkc_asym_mse_reference(h, 256, 0.0, 6.0, 0, &ref, &msg), ==, VKC_OK);
    REQUIREF(res.a == 0 && ref.a == 0 && res.b == ref.b && res.lo == 0, "relu mse: (%u, %u) vs (%u, %u)", res.a,
             res.b, ref.a, ref.b);
    /* Uniform counts and no outliers: every window holding all mass ... only
     * (0, N) does; with all mass in the middle, every window containing it
     * has KL 0: the widest is (0, N). */
    memset(h, 0, sizeof h);
    for (uint32_t j = 100; j < 140; j++) h[j] = 1000;
    REQUIRE_CMP(vkc_asym_entropy_cpu(h, 256, -1, 1, 64, &res, &msg), ==, VKC_OK);
    REQUIRE_CMP(vkc_asym_entropy_reference(h, 256, -1, 1, 64, &ref, &msg), ==, VKC_OK);
    REQUIREF(res.a == 0 && res.b == 256 && ref.a == 0 && ref.b == 256 && res.value == 0,
             "uniform block: (%u, %u) KL %g", res.a, res.b, res.value);
    /* Equal widths: the smallest a. Two mirror-image windows of one
     * symmetric histogram rarely tie exactly under floor levels, so build
     * an exact tie: all mass in one bin, windows of the minimum width. */
    memset(h, 0, sizeof h);
    h[128] = 99;
    REQUIRE_CMP(vkc_asym_entropy_cpu(h, 256, -1, 1, 256, &res, &msg), ==, VKC_OK);
    REQUIRE_CMP(res.a, ==, 0);
    REQUIRE_CMP(res.b, ==, 256);
    for (uint32_t j = 0; j < 256; j++) h[j] = j >= 120 && j < 136 ? 50 : 0;
    REQUIRE_CMP(vkc_asym_mse_cpu(h, 256, -1, 1, 200, &res, &msg), ==, VKC_OK);
    REQUIRE_CMP(vkc_asym_mse_reference(h, 256, -1, 1, 200, &ref, &msg), ==, VKC_OK);
    REQUIRE_CMP(res.a, ==, ref.a);
    REQUIRE_CMP(res.b, ==, ref.b);
}

/* DESIGN.md §3: on a never-negative histogram over [0, hi] the windows are
 * (0, b), each the unsigned search's candidate i = b with the same KL (bit
 * for bit: the same operations), and the choice is the same; on a
 * never-positive one over [lo, 0] the windows are (a, N), the mirror image
 * of the unsigned search on the reversed histogram. */
static void test_one_sided(int cases, uint64_t seed)
{
    vkc_rng r = {seed};
    uint64_t h[1100], rev[1100];
    int checked = 0, chosen = 0;
    for (int c = 0; c < cases; c++) {
        uint32_t n = c % 3 == 0 ? 2048 : 129 + (uint32_t)(vkc_rng_next(&r) % 900);
        uint32_t start = c % 4 == 1 ? 16 + (uint32_t)(vkc_rng_next(&r) % 100) : 0;
        if (n > 1100) n = 1024;
        double lo, hi;
        asym_gen(&r, h, n, c % 2 ? AS_RELU : (int)(vkc_rng_next(&r) % AS_COUNT), &lo, &hi);
        const double span = hi - lo;
        const int negative = c % 5 == 2; /* max <= 0: the mirror */
        for (uint32_t j = 0; j < n; j++) rev[j] = h[n - 1 - j];
        if (negative) lo = -span, hi = 0;
        else lo = 0, hi = span;
        /* The histogram of x is h in both cases; the unsigned search runs on
         * |x|'s, which is h (never negative) or h reversed (never
         * positive). */
        vkc_search_params sp = {0};
        sp.mode = VKC_MODE_UNSIGNED;
        sp.start_bin = start;
        vkc_kl_params kp;
        vkc_kl_params_from(&sp, &kp);
        vkc_kl_hist kh;
        vkc_asym_hist ah;
        vkc_msg msg;
        const uint64_t *ux = negative ? rev : h;
        REQUIRE_CMP(vkc_kl_hist_init(&kh, ux, n, &kp, &msg), ==, VKC_OK);
        REQUIRE_CMP(vkc_asym_kl_prepare(&ah, h, n, lo, hi, &msg), ==, VKC_OK);
        REQUIRE_CMP(ah.zb, ==, 0);
        REQUIRE_CMP(ah.mirrored, ==, negative);
        uint32_t st = start ? start : 128;
        REQUIRE_CMP(vkc_asym_search_windows(&ah, st), ==, n >= st ? (uint64_t)(n - st + 1) : 0);
        for (uint32_t b = st; b <= n; b++) {
            double u = vkc_kl_reference(&kh, b, 256), a = vkc_asym_kl_reference(&ah, 0, b);
            REQUIREF(memcmp(&u, &a, sizeof u) == 0 || (isnan(u) && isnan(a)),
                     "case %d (n %u%s): candidate %u: unsigned KL %.17g, window (0, %u) %.17g", c, n,
                     negative ? ", mirrored" : "", b, u, b, a);
            REQUIRE_CMP(vkc_kl_is_inf(&kh, b), ==, vkc_asym_kl_is_inf(&ah, 0, b));
        }
        vkc_asym_hist_free(&ah);
        vkc_kl_hist_free(&kh);
        vkc_search_result ures;
        vkc_asym_result ares, aref;
        REQUIRE_CMP(vkc_entropy_cpu(ux, n, span, &kp, &ures, &msg), ==, VKC_OK);
        REQUIRE_CMP(vkc_asym_entropy_cpu_threads(h, n, lo, hi, start, 2, &ares, &msg), ==, VKC_OK);
        REQUIRE_CMP(vkc_asym_entropy_reference(h, n, lo, hi, start, &aref, &msg), ==, VKC_OK);
        REQUIRE_CMP(ares.fallback, ==, ures.fallback);
        REQUIRE_CMP(aref.a, ==, ares.a);
        REQUIRE_CMP(aref.b, ==, ares.b);
        if (!ures.fallback) {
            REQUIREF(negative ? (ares.b == n && n - ares.a == ures.i) : (ares.a == 0 && ares.b == ures.i),
                     "case %d (n %u%s): window (%u, %u), unsigned i %u", c, n, negative ? ", mirrored" : "", ares.a,
                     ares.b, ures.i);
            REQUIRE_CMP(ares.value, ==, ures.kl);
            /* The range: [0, T] with T the unsigned threshold, bit for bit;
             * mirrored, [edge a, 0], edge a = -T up to the rounding of the
             * histogram's own edges. */
            if (negative) REQUIRE_CMP(fabs(-ares.lo - ures.threshold), <=, 1e-15 * ures.threshold);
            else REQUIRE_CMP(ares.hi, ==, ures.threshold);
            REQUIRE_CMP(negative ? ares.hi : ares.lo, ==, 0.0);
            chosen++;
        }
        REQUIRE_CMP(ares.windows, ==, ures.candidates);
        REQUIRE_CMP(ares.inf_windows, ==, ures.inf_candidates);
        checked++;
    }
    printf("one-sided: %d histograms (never negative, and never positive mirrored): every window (0, b) has the "
           "unsigned candidate's KL bit for bit, and %d chose the unsigned search's threshold\n",
           checked, chosen);
}

static void test_timing(void)
{
    enum { N = 2048 };
    uint64_t *h = malloc(N * sizeof *h);
    vkc_rng r = {2048};
    for (uint32_t j = 0; j < N; j++) {
        double x = ((double)j - 1300.0) / (j < 1300 ? 220.0 : 120.0);
        h[j] = (uint64_t)(3e7 * exp(-0.5 * x * x)) + (vkc_rng_next(&r) % 3 == 0);
    }
    h[3] += 2;
    h[2040] += 5;
    uint32_t threads = vkc_cpu_count();
    vkc_asym_result res, one;
    vkc_msg msg;
    double t0 = vkc_test_now();
    REQUIRE_CMP(vkc_asym_entropy_cpu(h, N, -4.0, 2.5, 0, &res, &msg), ==, VKC_OK);
    double t1 = vkc_test_now();
    printf("timing: entropy N=2048 CPU exhaustive, %u threads: %.2f s (%llu windows, %llu reference re-checks), "
           "window (%u, %u) = [%.6g, %.6g], KL %.6g\n",
           threads, t1 - t0, (unsigned long long)res.windows, (unsigned long long)res.reevaluated, res.a, res.b,
           res.lo, res.hi, res.value);
    REQUIRE(!res.fallback);
    REQUIRE_CMP(vkc_asym_entropy_cpu_threads(h, N, -4.0, 2.5, 0, 1, &one, &msg), ==, VKC_OK);
    REQUIRE_CMP(one.a, ==, res.a);
    REQUIRE_CMP(one.b, ==, res.b);
    REQUIRE_CMP(one.value, ==, res.value);
    t0 = vkc_test_now();
    REQUIRE_CMP(vkc_asym_mse_cpu(h, N, -4.0, 2.5, 0, &res, &msg), ==, VKC_OK);
    t1 = vkc_test_now();
    printf("timing: MSE N=2048 CPU exhaustive, %u threads: %.2f s (%llu reference re-checks), window (%u, %u) = "
           "[%.6g, %.6g], MSE %.6g\n",
           threads, t1 - t0, (unsigned long long)res.reevaluated, res.a, res.b, res.lo, res.hi, res.value);
    REQUIRE(!res.fallback);
    REQUIRE_CMP(res.lo, <=, 0);
    REQUIRE_CMP(res.hi, >=, 0);
    free(h);
}

int main(void)
{
    test_edges();
    test_ties();
    test_entropy_bounds(24, 0xa5e0001u);
    test_entropy_random(400, 0xa5e0002u);
    test_one_sided(60, 0xa5e0005u);
    test_mse_bounds(16, 0xa5e0003u);
    test_mse_random(250, 0xa5e0004u);
    test_timing();
    return vkc_test_end();
}
