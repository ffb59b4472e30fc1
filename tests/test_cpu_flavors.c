/* Every tool's entropy flavour (src/search/flavor.h) on small histograms
 * whose answers are derived by hand below, its tie rule (first minimum),
 * its threshold convention and its degenerate cases; then a screen (the
 * GPU's job) never changes a choice, and a tensor histogrammed in batches
 * gives what one call gives.
 *
 * Hand derivations share one idea: a candidate whose P and Q agree after
 * each tool's steps gives KL exactly 0 in any arithmetic (p / q = 1, log 1
 * = 0), while a candidate that clips data or spreads a level unevenly has
 * a KL bounded well away from 0 (the margins are worked out at each case),
 * so the minimum is known without evaluating a logarithm. */
#include "pass/hist_kind.h"
#include "search/flavor.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static vkc_flavor_result run(vkc_flavor f, const uint64_t *h, vkc_hist_spec spec, vkc_stats st, uint32_t levels)
{
    vkc_flavor_params p = {0};
    p.flavor = f;
    p.levels = levels;
    p.threads = 2;
    vkc_flavor_result r;
    vkc_msg msg;
    vkc_status s = vkc_flavor_search(h, &spec, &st, &p, NULL, &r, &msg);
    REQUIREF(s == VKC_OK, "%s: %s", vkc_flavor_get(f)->name, msg.text);
    return r;
}

static vkc_stats stats(float mn, float mx)
{
    vkc_stats st = {0};
    st.min = mn;
    st.max = mx;
    st.absmax = fabsf(mn) > fabsf(mx) ? fabsf(mn) : fabsf(mx);
    st.count = 1;
    return st;
}

#define EXPECT(r, idx, thr)                                                                                        \
    REQUIREF((r).index == (idx) && (r).threshold == (thr), "got index %u threshold %.9g, want %u %.9g (%s)",    \
             (r).index, (r).threshold, (unsigned)(idx), (double)(thr), (r).message)

/* mxnet (and tvm), 7 bins over [-3.5, 3.5] (edges -3.5 + k, exact), 3
 * levels: z = 3, candidates i = 1, 2, 3 with windows [2,5), [1,6), [0,7).
 * h = 0 0 6 4 4 4 0:
 *   i = 2: window h1..h5 = 0 6 4 4 4; p[0] = h0 + h1 = 0, no right outliers.
 *     n = 5, m = 1: levels {0} {1} {2,3,4}. sliced[0] = 0 (mxnet drops
 *     h[s]), level 1: q = 6, level 2: 12 / 3 = 4 on each: q = p, KL = 0.
 *   i = 1: p = (h0+h1+h2, h3, h4+h5+h6) = 6 4 8, q = 0 4 4 (sliced[0] = 0):
 *     p0 = 1/3 meets q0 = eps-sized: KL ~ (1/3) ln(1/3 / 1e-5) > 3.
 *   i = 3: p = 0 0 6 4 4 4 0, m = 2: levels {0,1} {2,3} {4,5,6}: q = 0 0 5 5
 *     4 4 0: KL = (6 ln 6/5 + 4 ln 4/5) / 18 = 0.011 > 0.
 * So i = 2, threshold e_{z+i+1} = e_6 = 2.5. With all data in the centre
 * bin every candidate is exact (KL 0): the first, i = 1, T = e_5 = 1.5
 * (modelopt's rule, the largest, would give 3.5). */
static void test_mxnet(void)
{
    const vkc_hist_spec spec = {VKC_HIST_NUMPY, 7, -3.5f, 3.5f};
    const uint64_t h[7] = {0, 0, 6, 4, 4, 4, 0};
    vkc_flavor_result r = run(VKC_FLAVOR_MXNET, h, spec, stats(-2.0f, 2.0f), 3);
    EXPECT(r, 2, 2.5);
    REQUIRE(r.kl == 0 && r.lo == -2.5 && r.hi == 2.5 && !r.warning && r.candidates == 3 && r.evaluated == 3);
    r = run(VKC_FLAVOR_TVM, h, spec, stats(-2.0f, 2.0f), 3);
    EXPECT(r, 2, 2.5);
    const uint64_t centre[7] = {0, 0, 0, 10, 0, 0, 0};
    r = run(VKC_FLAVOR_MXNET, centre, spec, stats(-0.1f, 0.1f), 3);
    EXPECT(r, 1, 1.5);
    /* uint8: min >= 0 gives 2 * 3 + 1 = 7 levels (candidates i = 3 only)
     * and the range [0, T]; the int8 flavour keeps [-T, T]. */
    r = run(VKC_FLAVOR_MXNET_UINT8, h, spec, stats(0.0f, 2.0f), 3);
    REQUIRE(r.levels == 7 && r.index == 3 && r.lo == 0 && r.hi == 3.5);
    r = run(VKC_FLAVOR_MXNET, h, spec, stats(0.0f, 2.0f), 3);
    REQUIRE(r.levels == 3 && r.lo == -2.5);
}

/* mxnet 1.5.1, the same histogram: h[s] stays in its window and q is
 * zeroed where p is 0.
 *   i = 2: sliced 0 6 4 4 4 = p, q = 0 6 4 4 4 = p: KL 0.
 *   i = 1: sliced 6 4 4, p = 6 4 8: KL = (6 ln(7/9) + 4 ln(7/9) + 8 ln(14/9))
 *     / 18 = 0.057 > 0. i = 3: as for mxnet, 0.011. So i = 2, T = 2.5, and
 *     1.5.1 gives [0, T] whenever min >= 0, also for int8.
 * A window without data: h = 5 0 0 0 0 0 5: windows [2,5) and [1,6) hold
 * nothing (q all 0), for which 1.5.1 computes NaN and its argmin returns the
 * first, i = 1; vkcalib takes i = 3 (the only finite one) and says so. */
static void test_mxnet15(void)
{
    const vkc_hist_spec spec = {VKC_HIST_NUMPY, 7, -3.5f, 3.5f};
    const uint64_t h[7] = {0, 0, 6, 4, 4, 4, 0};
    vkc_flavor_result r = run(VKC_FLAVOR_MXNET15, h, spec, stats(-2.0f, 2.0f), 3);
    EXPECT(r, 2, 2.5);
    REQUIRE(r.kl == 0 && r.lo == -2.5 && !r.warning);
    r = run(VKC_FLAVOR_MXNET15, h, spec, stats(0.5f, 2.0f), 3);
    REQUIRE(r.lo == 0 && r.hi == 2.5);
    const uint64_t gap[7] = {5, 0, 0, 0, 0, 0, 5};
    r = run(VKC_FLAVOR_MXNET15, gap, spec, stats(-3.0f, 3.0f), 3);
    EXPECT(r, 3, 3.5);
    REQUIRE(r.warning && strstr(r.message, "NaN") && strstr(r.message, "candidate 1"));
    /* mxnet >= 1.6 has no NaN there: the empty windows give Q all zero,
     * +inf, and i = 3 is chosen without a word. */
    r = run(VKC_FLAVOR_MXNET, gap, spec, stats(-3.0f, 3.0f), 3);
    REQUIRE(r.index == 3 && !r.warning);
}

/* onnxruntime, 7 bins over [-3.5, 3.5], 5 levels: candidates i = 2 ([1,6),
 * n = 5, m = 1) and i = 3 ([0,7), n = 7, m = 1: levels 0..3 single bins,
 * level 4 = position 4 holding the sum of positions 4..6, positions 5 and 6
 * keep q = 0). q is trunc(mean) on the whole level.
 *   h = 0 3 5 2 4 0 0: i = 2: p = 3 5 2 4 0 = q: KL 0; i = 3: p = 0 3 5 2 4
 *   0 0, q = 0 3 5 2 (4+0+0) 0 0 = p: KL 0 too. Tie: the first, i = 2: the
 *   range (e_1, e_6) = (-2.5, 2.5), then clamped to [min, max] = [-2, 1].
 *   h = 2 3 5 2 4 0 0: i = 2 has p[0] = 3 + 2 = 5 against q[0] = 3: KL =
 *   (5/16) ln(35/24) + (11/16) ln(7/8) = 0.026 > 0; i = 3 is exact: i = 3,
 *   (e_0, e_7) = (-3.5, 3.5) clamped to [-3, 1]. */
static void test_ort(void)
{
    const vkc_hist_spec spec = {VKC_HIST_NUMPY, 7, -3.5f, 3.5f};
    const uint64_t tie[7] = {0, 3, 5, 2, 4, 0, 0};
    vkc_flavor_result r = run(VKC_FLAVOR_ORT_2048, tie, spec, stats(-2.0f, 1.0f), 5);
    REQUIREF(r.index == 2 && r.lo == -2.0 && r.hi == 1.0 && r.threshold == 2.0, "ort tie: %u [%g, %g]", r.index,
             r.lo, r.hi);
    const uint64_t h[7] = {2, 3, 5, 2, 4, 0, 0};
    r = run(VKC_FLAVOR_ORT_2048, h, spec, stats(-3.0f, 1.0f), 5);
    REQUIREF(r.index == 3 && r.lo == -3.0 && r.hi == 1.0, "ort: %u [%g, %g]", r.index, r.lo, r.hi);
    /* The defaults (128 bins, 128 levels) leave one candidate: the whole
     * histogram, i.e. [min, max]. */
    uint64_t big[128] = {0};
    big[10] = 7;
    big[100] = 3;
    const vkc_hist_spec s128 = {VKC_HIST_NUMPY, 128, -4.0f, 4.0f};
    r = run(VKC_FLAVOR_ORT, big, s128, stats(-3.5f, 2.5f), 0);
    REQUIRE(r.candidates == 1 && r.lo == -3.5 && r.hi == 2.5);
}

/* ncnn, 8 bins of |x| over [0, 8] (A = 8), 4 levels: t = 4..7, levels of t/4
 * bins (exact: t / 4 is a float), P = 1e-4 + p with the outliers in
 * P[t-1], E = 1e-4 + the levels spread back; both sum to t 1e-4 + 1 when no
 * data lies past t, so KL >= 0 (Gibbs), 0 only where E = P.
 * h uniform over bins 0..5: t = 6: levels of 1.5 bins, each mean p, spread
 * back as p: E = P, KL 0. t = 4, 5 fold data into P[t-1] (KL 0.5 ln 3 and
 * more); t = 7 spreads the last level over the empty bin 6 (E[5] < P[5]).
 * So t = 6, T = (6 + 0.5f) * 8 / 8 = 6.5. */
static void test_ncnn(void)
{
    const vkc_hist_spec spec = {VKC_HIST_NCNN, 8, 0.0f, 8.0f};
    const uint64_t h[8] = {100, 100, 100, 100, 100, 100, 0, 0};
    vkc_flavor_result r = run(VKC_FLAVOR_NCNN, h, spec, stats(-8.0f, 8.0f), 4);
    EXPECT(r, 6, 6.5);
    REQUIRE(r.kl == 0 && r.candidates == 4);
    /* All-zero tensor: ncnn skips zeros, so its histogram is empty, every
     * KL is NaN, t stays 128 and T = 128.5 * 0 / 2048 = 0: scale inf. */
    const uint64_t none[8] = {0};
    r = run(VKC_FLAVOR_NCNN, none, (vkc_hist_spec){VKC_HIST_NCNN, 8, 0.0f, 0.0f}, stats(0.0f, 0.0f), 4);
    REQUIRE(r.warning && r.threshold > 0 && isfinite(r.threshold) && strstr(r.message, "inf"));
}

/* MNN, the same grid (inv = 8 / 8 = 1): float counts 1e-7 + c (c >= 2 is
 * exact), normalised. t = 6 spreads each 1.5-bin level's sum back evenly:
 * E = P except that P[5] also holds the after-sum of the empty bins 6, 7
 * (2e-7 against 600: below float32's resolution, so KL is 0 or within
 * 1e-6 of it); t = 4, 5 fold 1/3 and 1/6 of the mass into one bin (KL >
 * 0.1), t = 7 spreads the last level over bin 6 (E[5] = 0.75 P[5] + ..., KL
 * > 0.01). So t = 6 and T = (6 + 0.5) / 1 = 6.5. With w * h < 100 MNN takes
 * the max, t = 7: T = 7.5. */
static void test_mnn(void)
{
    const vkc_hist_spec spec = {VKC_HIST_MNN, 8, 0.0f, 8.0f};
    const uint64_t h[8] = {100, 100, 100, 100, 100, 100, 0, 0};
    vkc_flavor_result r = run(VKC_FLAVOR_MNN, h, spec, stats(-8.0f, 8.0f), 4);
    EXPECT(r, 6, 6.5);
    REQUIREF(fabs(r.kl) < 1e-6, "mnn kl %g", r.kl);
    vkc_flavor_params p = {0};
    p.flavor = VKC_FLAVOR_MNN;
    p.levels = 4;
    p.hw = 49;
    vkc_msg msg;
    vkc_stats st = stats(-8.0f, 8.0f);
    REQUIRE(vkc_flavor_search(h, &spec, &st, &p, NULL, &r, &msg) == VKC_OK);
    EXPECT(r, 7, 7.5);
    /* |x| <= 1e-5 everywhere: MNN gives scale 0; vkcalib the range, warned. */
    r = run(VKC_FLAVOR_MNN, h, (vkc_hist_spec){VKC_HIST_MNN, 8, 0.0f, 8e-6f}, stats(-8e-6f, 1e-6f), 4);
    REQUIRE(r.warning && r.threshold == (double)8e-6f && strstr(r.message, "scale 0"));
    /* Counts past 2^24 stop there in MNN's float counts: a histogram that
     * differs only above 2^24 chooses the same, with a note. */
    uint64_t a[8] = {3u << 24, 100, 100, 5, 100, 1, 0, 0}, b[8];
    memcpy(b, a, sizeof a);
    b[0] = 1u << 24;
    vkc_flavor_result ra = run(VKC_FLAVOR_MNN, a, spec, stats(-8.0f, 8.0f), 4);
    vkc_flavor_result rb = run(VKC_FLAVOR_MNN, b, spec, stats(-8.0f, 8.0f), 4);
    REQUIRE(ra.index == rb.index && ra.kl == rb.kl && ra.warning && !rb.warning);
}

/* Paddle, 8 bins over [0, 8] (bin width 1), 2 levels: candidates i = 3..7
 * with h[i-1] != 0. h = 5 5 5 5 5 5 0 0:
 *   i = 6: P = 5 x 6, m = 3, Q = level sums 15 / 3 = 5 on each: KL 0;
 *   i = 3, 4, 5 put the outliers into P[i-1] (P 5 5 20, 5 5 5 15, 5 5 5 5 10)
 *   against a flat Q: KL > 0; i = 7: h[6] = 0, not a candidate.
 *   So i = 6, T = (6 + 0.5) * 1 = 6.5.
 * No candidate at all (h[i-1] = 0 for every i >= 3): Paddle walks down from
 * 3 to the first non-empty bin, 1: T = 1.5. */
static void test_paddle(void)
{
    const vkc_hist_spec spec = {VKC_HIST_PADDLE, 8, 0.0f, 8.0f};
    const uint64_t h[8] = {5, 5, 5, 5, 5, 5, 0, 0};
    vkc_flavor_result r = run(VKC_FLAVOR_PADDLE, h, spec, stats(-8.0f, 8.0f), 2);
    EXPECT(r, 6, 6.5);
    REQUIRE(r.kl == 0 && r.evaluated == 5);
    const uint64_t low[8] = {5, 5, 0, 0, 0, 0, 0, 0};
    r = run(VKC_FLAVOR_PADDLE, low, spec, stats(-8.0f, 8.0f), 2);
    EXPECT(r, 1, 1.5);
}

/* PPQ, 8 bins of |x| over [0, 8], 2 levels: int(8 * 0.002) = 0 bins are
 * zeroed and bin 0 is set to 1. Candidates r = 2, 4, 6, 8. h' = 1 1 3 3 0 0 0
 * 0: r = 4: groups (1 1) (3 3), their means on the positive bins: Q = P, KL
 * 0; r = 2 folds 6 into P[1]; r = 6 and 8 average 1 with 3. So r = 4: scale
 * = (4 / 8) (8 / 8) (8 / 2) = 2, T = 2 * 2 = 4 (PPQ's scale is T / 2^(b-1)).
 * bin 0's own count does not matter (PPQ overwrites it). */
static void test_ppq(void)
{
    const vkc_hist_spec spec = {VKC_HIST_TORCH, 8, 0.0f, 8.0f};
    const uint64_t h[8] = {77, 1, 3, 3, 0, 0, 0, 0};
    vkc_flavor_result r = run(VKC_FLAVOR_PPQ, h, spec, stats(-8.0f, 8.0f), 2);
    EXPECT(r, 4, 4.0);
    REQUIRE(r.kl == 0 && r.candidates == 4);
    /* An all-zero tensor: hist_scale 0, PPQ's floor scale 1e-8. */
    const uint64_t z[8] = {9, 0, 0, 0, 0, 0, 0, 0};
    r = run(VKC_FLAVOR_PPQ, z, (vkc_hist_spec){VKC_HIST_TORCH, 8, 0.0f, 0.0f}, stats(0.0f, 0.0f), 2);
    REQUIRE(r.threshold == 1e-8 * 2);
}

/* ncnn-aciq: T = (float)(3.92403714f * (2A g) / sqrt(2 ln n)), g = 0.175 (1
 * + sqrt(pi ln 4)). n = e^2 would make sqrt(2 ln n) = 2; with A = 1 and n =
 * 7: computed here in the same double expression. n = 1 gives ln 1 = 0, an
 * infinite threshold (scale 0 in ncnn): vkcalib warns and uses A. */
static void test_aciq(void)
{
    vkc_flavor_params p = {0};
    p.flavor = VKC_FLAVOR_NCNN_ACIQ;
    p.image_elements = 7;
    vkc_stats st = stats(-1.0f, 0.5f);
    vkc_flavor_result r;
    vkc_msg msg;
    REQUIRE(vkc_flavor_search(NULL, NULL, &st, &p, NULL, &r, &msg) == VKC_OK);
    const double g = 0.175 * (1 + sqrt(3.14159265358979323846 * log(4.0)));
    REQUIRE(r.threshold == (double)(float)((double)3.92403714f * (2.0 * g / sqrt(2 * log(7.0)))));
    p.image_elements = 1;
    REQUIRE(vkc_flavor_search(NULL, NULL, &st, &p, NULL, &r, &msg) == VKC_OK);
    REQUIRE(r.warning && r.threshold == 1.0);
    p.image_elements = 0;
    REQUIRE(vkc_flavor_search(NULL, NULL, &st, &p, NULL, &r, &msg) == VKC_ERROR_INVALID_ARGUMENT);
}

/* mxnet receives the histogram as float32: counts above 2^24 round as its
 * input does, so 2^24 + 1 behaves as 2^24 (and a note says so). */
static void test_float_counts(void)
{
    const vkc_hist_spec spec = {VKC_HIST_NUMPY, 7, -3.5f, 3.5f};
    uint64_t a[7] = {1, 2, 6, (1u << 24) + 1, 4, 4, 3}, b[7];
    memcpy(b, a, sizeof a);
    b[3] = 1u << 24;
    vkc_flavor_result ra = run(VKC_FLAVOR_MXNET, a, spec, stats(-3.0f, 3.0f), 3);
    vkc_flavor_result rb = run(VKC_FLAVOR_MXNET, b, spec, stats(-3.0f, 3.0f), 3);
    REQUIRE(ra.index == rb.index && ra.kl == rb.kl && ra.warning && strstr(ra.message, "2^24"));
}

/* Every flavour on random histograms: a screen of the tool's own values
 * with random bounds (what the GPU supplies) chooses exactly what the full
 * evaluation chooses, evaluating fewer; and the table's defaults hold. */
static void test_screen(void)
{
    vkc_rng rng = {99};
    const vkc_flavor fl[] = {VKC_FLAVOR_MXNET, VKC_FLAVOR_MXNET15, VKC_FLAVOR_ORT_2048, VKC_FLAVOR_NCNN,
                             VKC_FLAVOR_MNN, VKC_FLAVOR_PADDLE, VKC_FLAVOR_PPQ};
    for (size_t f = 0; f < sizeof fl / sizeof fl[0]; f++) {
        const vkc_flavor_info *info = vkc_flavor_get(fl[f]);
        for (int t = 0; t < 3; t++) {
            const uint32_t n = info->family == VKC_FAMILY_PPQ ? 1024 : info->family == VKC_FAMILY_MXNET15 ||
                                                                          info->family == VKC_FAMILY_MXNET
                                                                      ? 801
                                                                      : 512;
            const uint32_t levels = info->family == VKC_FAMILY_PPQ ? 128 : info->family == VKC_FAMILY_PADDLE ? 127
                                                                                                         : 0;
            uint64_t *h = calloc(n, 8);
            for (uint32_t j = 0; j < n; j++) {
                double x = (double)j / n;
                h[j] = (uint64_t)(1000.0 * exp(-8 * x * (t + 1)) * (1 + vkc_rng_uniform(&rng)));
                if (vkc_rng_uniform(&rng) < 0.1) h[j] = 0;
            }
            vkc_hist_spec spec = {info->hist, n, info->hist == VKC_HIST_NUMPY ? -2.0f : 0.0f, 2.0f};
            vkc_stats st = stats(-2.0f, 2.0f);
            vkc_flavor_params p = {0};
            p.flavor = fl[f];
            p.levels = levels;
            p.threads = 2;
            vkc_flavor_result full, scr;
            vkc_msg msg;
            REQUIRE(vkc_flavor_search(h, &spec, &st, &p, NULL, &full, &msg) == VKC_OK);
            float *v = malloc(full.candidates * 4), *b = malloc(full.candidates * 4);
            for (uint32_t c = 0; c < full.candidates; c++) {
                double x;
                REQUIRE(vkc_flavor_value(h, &spec, &st, &p, c, &x, &msg) == VKC_OK);
                b[c] = (float)(fabs(x) * 1e-4 * vkc_rng_uniform(&rng) + 1e-7);
                v[c] = (float)(x + (vkc_rng_uniform(&rng) - 0.5) * b[c]);
                if (isnan(x)) v[c] = NAN;
            }
            vkc_flavor_screen s = {v, b, full.candidates};
            REQUIRE(vkc_flavor_search(h, &spec, &st, &p, &s, &scr, &msg) == VKC_OK);
            REQUIREF(scr.index == full.index && scr.threshold == full.threshold && scr.kl == full.kl,
                     "%s: screened %u %.9g, full %u %.9g", info->name, scr.index, scr.threshold, full.index,
                     full.threshold);
            REQUIREF(scr.evaluated < full.evaluated, "%s: the screen evaluated %u of %u", info->name, scr.evaluated,
                     full.evaluated);
            free(v);
            free(b);
            free(h);
        }
    }
    REQUIRE(vkc_flavor_find("onnxruntime-8001")->bins == 8001 && vkc_flavor_find("onnxruntime-8001")->levels == 255);
    REQUIRE(vkc_flavor_find("ppq")->bins == 4096 && vkc_flavor_find("paddle")->levels == 127);
    REQUIRE(vkc_flavor_find("nonesuch") == NULL);
}

/* A tensor histogrammed in three batches chooses what one call chooses,
 * for every flavour (exact two-pass mode: the range from all batches). */
static void test_batches(void)
{
    vkc_context *ctx = vkc_test_cpu_context();
    if (!ctx) return;
    const uint64_t n = 60000;
    float *x = malloc(n * sizeof *x);
    vkc_rng rng = {5};
    for (uint64_t i = 0; i < n; i++) x[i] = (float)(vkc_rng_normal(&rng) * (i % 3 ? 1.0 : 0.3));
    vkc_stats st = {0};
    REQUIRE(vkc_range_f32(ctx, x, n, &st) == VKC_OK);
    for (int f = 2; f < VKC_FLAVOR_COUNT; f++) {
        const vkc_flavor_info *info = vkc_flavor_get((vkc_flavor)f);
        vkc_flavor_params p = {0};
        p.flavor = (vkc_flavor)f;
        p.threads = 2;
        p.image_elements = 1000;
        p.abs_min = 0;
        vkc_hist_spec spec;
        vkc_msg msg;
        REQUIRE(vkc_flavor_hist_spec(&p, &st, &spec, &msg) == VKC_OK);
        uint64_t *one = calloc(spec.bins, 8), *three = calloc(spec.bins, 8);
        REQUIRE(vkc_histogram_f32(ctx, x, n, &spec, one) == VKC_OK);
        REQUIRE(vkc_histogram_f32(ctx, x, 12345, &spec, three) == VKC_OK);
        REQUIRE(vkc_histogram_f32(ctx, x + 12345, 30000, &spec, three) == VKC_OK);
        REQUIRE(vkc_histogram_f32(ctx, x + 42345, n - 42345, &spec, three) == VKC_OK);
        REQUIREF(memcmp(one, three, spec.bins * 8) == 0, "%s: batches change the histogram", info->name);
        vkc_flavor_result a, b;
        REQUIRE(vkc_flavor_search(one, &spec, &st, &p, NULL, &a, &msg) == VKC_OK);
        REQUIRE(vkc_flavor_search(three, &spec, &st, &p, NULL, &b, &msg) == VKC_OK);
        REQUIREF(a.index == b.index && a.threshold == b.threshold && a.threshold > 0, "%s: %u %g vs %u %g",
                 info->name, a.index, a.threshold, b.index, b.threshold);
        free(one);
        free(three);
    }
    free(x);
    vkc_context_destroy(ctx);
}

/* Degenerate inputs for every flavour: one bin (no candidate for most:
 * the range, with a note), and an all-zero tensor through the whole
 * pipeline (range, the flavour's histogram, search): always a finite
 * positive threshold, never an error. */
static void test_degenerate(void)
{
    vkc_context *ctx = vkc_test_cpu_context();
    if (!ctx) return;
    float zeros[1000] = {0};
    for (int f = 2; f < VKC_FLAVOR_COUNT; f++) {
        const vkc_flavor_info *info = vkc_flavor_get((vkc_flavor)f);
        vkc_flavor_params p = {0};
        p.flavor = (vkc_flavor)f;
        p.image_elements = 1000;
        vkc_msg msg;
        vkc_flavor_result r;
        if (info->family != VKC_FAMILY_NCNN_ACIQ) {
            const uint64_t one[1] = {5};
            vkc_hist_spec spec = {info->hist, 1, info->hist == VKC_HIST_NUMPY ? -1.0f : 0.0f, 1.0f};
            vkc_stats st = stats(-1.0f, 1.0f);
            vkc_status s = vkc_flavor_search(one, &spec, &st, &p, NULL, &r, &msg);
            if (info->family == VKC_FAMILY_PPQ) {
                REQUIREF(s == VKC_ERROR_INVALID_ARGUMENT, "ppq: one bin is not a multiple of 128 levels");
            } else {
                REQUIREF(s == VKC_OK && r.threshold > 0 && isfinite(r.threshold), "%s: one bin: %s %g", info->name,
                         msg.text, r.threshold);
            }
        }
        vkc_stats st = {0};
        REQUIRE(vkc_range_f32(ctx, zeros, 1000, &st) == VKC_OK);
        vkc_hist_spec spec;
        REQUIRE(vkc_flavor_hist_spec(&p, &st, &spec, &msg) == VKC_OK);
        uint64_t *h = calloc(spec.bins, 8);
        REQUIRE(vkc_histogram_f32(ctx, zeros, 1000, &spec, h) == VKC_OK);
        vkc_status s = vkc_flavor_search(h, &spec, &st, &p, NULL, &r, &msg);
        REQUIREF(s == VKC_OK && r.threshold > 0 && isfinite(r.threshold) && r.hi > r.lo, "%s: all-zero tensor: %s %g",
                 info->name, s ? msg.text : r.message, r.threshold);
        free(h);
    }
    vkc_context_destroy(ctx);
}

/* Random small geometries and counts for every flavour (bins 1..300,
 * levels 2..40, sparse counts): every search returns a finite positive
 * threshold or refuses the geometry (ppq: bins not a multiple of levels;
 * mxnet: an even bin count), and never reads outside its arrays (the
 * sanitizer build runs this too). */
static void test_sweep(void)
{
    vkc_rng rng = {31337};
    for (int t = 0; t < 400; t++) {
        const vkc_flavor f = (vkc_flavor)(2 + vkc_rng_next(&rng) % (VKC_FLAVOR_COUNT - 2));
        const vkc_flavor_info *info = vkc_flavor_get(f);
        if (info->family == VKC_FAMILY_NCNN_ACIQ) continue;
        const uint32_t n = 1 + (uint32_t)(vkc_rng_next(&rng) % 300), levels = 2 + (uint32_t)(vkc_rng_next(&rng) % 39);
        uint64_t *h = calloc(n, 8);
        for (uint32_t j = 0; j < n; j++)
            if (vkc_rng_uniform(&rng) < 0.3) h[j] = 1 + vkc_rng_next(&rng) % (t % 5 == 0 ? (1ull << 40) : 20);
        vkc_hist_spec spec = {info->hist, n, info->hist == VKC_HIST_NUMPY ? -1.5f : 0.25f, 1.5f};
        vkc_stats st = stats(t % 3 ? -1.5f : 0.0f, 1.5f);
        vkc_flavor_params p = {0};
        p.flavor = f;
        p.levels = levels;
        vkc_flavor_result r;
        vkc_msg msg;
        vkc_status s = vkc_flavor_search(h, &spec, &st, &p, NULL, &r, &msg);
        const int refused = (info->family == VKC_FAMILY_PPQ && n % levels) ||
                            ((info->family == VKC_FAMILY_MXNET || info->family == VKC_FAMILY_MXNET15) && n % 2 == 0);
        if (refused) REQUIREF(s == VKC_ERROR_INVALID_ARGUMENT, "%s: %u bins, %u levels accepted", info->name, n, levels);
        else
            REQUIREF(s == VKC_OK && r.threshold > 0 && isfinite(r.threshold) && r.lo < r.hi, "%s: %u bins, %u levels: %s %g",
                     info->name, n, levels, s ? msg.text : r.message, r.threshold);
        free(h);
    }
}

int main(void)
{
    test_mxnet();
    test_mxnet15();
    test_ort();
    test_ncnn();
    test_mnn();
    test_paddle();
    test_ppq();
    test_aciq();
    test_float_counts();
    test_screen();
    test_batches();
    test_degenerate();
    test_sweep();
    return vkc_test_end();
}
