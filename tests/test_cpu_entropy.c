/* Entropy (KL) search on the CPU: golden thresholds from NVIDIA's reference
 * implementation, an independent long-double KL written here from the
 * definition, and the fast evaluator and the selection cascade against the
 * double reference on many random histograms. */
#include "search/entropy.h"
#include "base/json_parse.h"
#include "hist_gen.h"
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef VKC_TESTDATA_DIR
#error "VKC_TESTDATA_DIR must name tests/data"
#endif


/* ------------------------------------------------------------------------ */
/* An independent KL, straight from DESIGN.md §2 with arrays, in long double */

/* KL(i) of counts (zero-bin rule applied here), +inf when p > 0 meets q = 0,
 * NaN for an empty histogram. */
static long double naive_kl(const uint64_t *counts, uint32_t n, uint32_t i, uint32_t levels)
{
    uint64_t *bins = malloc(n * sizeof *bins);
    long double *pd = calloc(i, sizeof *pd), *qd = calloc(i, sizeof *qd);
    long double *mass = calloc(levels, sizeof *mass);
    uint32_t *nonzero = calloc(levels, sizeof *nonzero);
    long double kl = NAN;
    if (!bins || !pd || !qd || !mass || !nonzero) goto done;
    memcpy(bins, counts, n * sizeof *bins);
    if (n >= 2) bins[0] = bins[1];
    for (uint32_t j = 0; j < n; j++) pd[j < i ? j : i - 1] += (long double)bins[j];
    for (uint32_t j = 0; j < i; j++) {
        uint32_t k = (uint32_t)((uint64_t)j * levels / i);
        mass[k] += (long double)bins[j];
        nonzero[k] += bins[j] != 0;
    }
    for (uint32_t j = 0; j < i; j++) {
        uint32_t k = (uint32_t)((uint64_t)j * levels / i);
        qd[j] = bins[j] ? mass[k] / nonzero[k] : 0.0L;
    }
    long double sp = 0, sq = 0;
    for (uint32_t j = 0; j < i; j++) {
        sp += pd[j];
        sq += qd[j];
    }
    if (sp == 0) goto done;
    kl = 0;
    for (uint32_t j = 0; j < i; j++) {
        long double p = pd[j] / sp, q = qd[j] / sq;
        if (p == 0) continue;
        if (q == 0) {
            kl = INFINITY;
            break;
        }
        kl += p * logl(p / q);
    }
done:
    free(bins);
    free(pd);
    free(qd);
    free(mass);
    free(nonzero);
    return kl;
}

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

static vkc_kl_params params_for(vkc_mode mode, vkc_flavor flavor, uint32_t start, uint32_t stride)
{
    vkc_search_params sp = {0};
    vkc_kl_params kp;
    sp.mode = mode;
    sp.flavor = flavor;
    sp.start_bin = start;
    sp.stride = stride;
    vkc_kl_params_from(&sp, &kp);
    return kp;
}

static double expected_threshold(const vkc_kl_params *kp, uint32_t i, uint32_t n, double range_max)
{
    if (kp->edge_offset == 0 && i == n) return range_max;
    return ((double)i + kp->edge_offset) * (range_max / (double)n);
}

/* Runs the CPU search and the oracle and checks they agree in everything
 * the oracle decides. Returns the oracle's result in *ref_out. */
static void check_cpu_vs_reference(const char *what, const uint64_t *h, uint32_t n, double range_max,
                                   const vkc_kl_params *kp, vkc_search_result *ref_out)
{
    vkc_search_result cpu, ref;
    vkc_msg msg = {{0}};
    vkc_status s1 = vkc_entropy_cpu(h, n, range_max, kp, &cpu, &msg);
    REQUIREF(s1 == VKC_OK, "%s: cpu: %s", what, msg.text);
    vkc_status s2 = vkc_entropy_reference(h, n, range_max, kp, &ref, &msg);
    REQUIREF(s2 == VKC_OK, "%s: reference: %s", what, msg.text);
    REQUIREF(cpu.i == ref.i, "%s: cpu chose %u, reference %u (n %u, L %u, start %u, stride %u)",
             what, cpu.i, ref.i, n, kp->levels, kp->start, kp->stride);
    REQUIREF(cpu.fallback == ref.fallback, "%s: fallback %d vs %d", what, cpu.fallback, ref.fallback);
    REQUIREF(cpu.threshold == ref.threshold, "%s: threshold %.17g vs %.17g", what, cpu.threshold,
             ref.threshold);
    REQUIREF(cpu.kl == ref.kl, "%s: kl %.17g vs %.17g", what, cpu.kl, ref.kl);
    REQUIREF(cpu.candidates == ref.candidates && cpu.inf_candidates == ref.inf_candidates,
             "%s: candidates %llu/%llu inf %llu/%llu", what, (unsigned long long)cpu.candidates,
             (unsigned long long)ref.candidates, (unsigned long long)cpu.inf_candidates,
             (unsigned long long)ref.inf_candidates);
    REQUIREF(cpu.reevaluated <= cpu.candidates - cpu.inf_candidates, "%s: reevaluated %llu", what,
             (unsigned long long)cpu.reevaluated);
    if (!ref.fallback) {
        REQUIREF(isfinite(ref.threshold) && ref.threshold > 0, "%s: threshold %g", what, ref.threshold);
        REQUIREF(ref.threshold == expected_threshold(kp, ref.i, n, range_max),
                 "%s: threshold %.17g for i %u", what, ref.threshold, ref.i);
        REQUIREF(ref.i >= kp->start && ref.i <= n && (ref.i - kp->start) % kp->stride == 0,
                 "%s: i %u not a candidate", what, ref.i);
    } else {
        REQUIREF(ref.threshold == range_max && ref.i == n && ref.message[0],
                 "%s: fallback must give the range and say why", what);
    }
    if (ref_out) *ref_out = ref;
}

/* The tie rule of DESIGN.md §2 applied here to independent values. Returns
 * the chosen i (0 when no value is finite). When `other` differs from it,
 * *excused says whether either lies within 1e-13 of the tie band's edge,
 * where long double and double may honestly disagree. */
static uint32_t naive_choice(const uint64_t *h, uint32_t n, const vkc_kl_params *kp, uint32_t other,
                             int *excused)
{
    uint32_t count = vkc_kl_candidate_count(n, kp);
    long double *v = malloc((count ? count : 1) * sizeof *v);
    long double m = INFINITY, limit = 0;
    uint32_t pick = 0;
    *excused = 0;
    if (!v) return 0;
    for (uint32_t c = 0; c < count; c++) {
        v[c] = naive_kl(h, n, kp->start + c * kp->stride, kp->levels);
        if (v[c] < m) m = v[c];
    }
    if (isfinite((double)m)) {
        limit = m + vkc_kl_tie_tol((double)m);
        for (uint32_t k = 0; k < count && !pick; k++) {
            uint32_t c = kp->tie_largest ? count - 1 - k : k;
            if (v[c] <= limit) pick = kp->start + c * kp->stride;
        }
    }
    if (pick && other != pick && other >= kp->start && other <= n) {
        long double vo = v[(other - kp->start) / kp->stride], vp = v[(pick - kp->start) / kp->stride];
        *excused = fabsl(vo - limit) < 1e-13L || fabsl(vp - limit) < 1e-13L;
    }
    free(v);
    return pick;
}

/* ------------------------------------------------------------------------ */
/* Golden histograms                                                        */

static int in_list(const vkc_json *list, uint32_t i)
{
    for (size_t k = 0; k < vkc_json_len(list); k++) {
        uint64_t v;
        if (vkc_json_uint64(vkc_json_at(list, k), &v) && v == i) return 1;
    }
    return 0;
}

static void golden_mode(const char *name, const uint64_t *h, uint32_t n, double range_max,
                        uint32_t start, const vkc_json *expected, vkc_mode mode, const char *key)
{
    const vkc_json *e = vkc_json_get(expected, key);
    uint64_t want, ref_i;
    REQUIREF(e && vkc_json_uint64(vkc_json_get(e, "vkcalib"), &want) &&
                 vkc_json_uint64(vkc_json_get(e, "i"), &ref_i),
             "%s: %s missing in golden file", name, key);
    if (!e) return;
    vkc_kl_params kp = params_for(mode, VKC_FLAVOR_MODELOPT, start, 0);
    REQUIRE_CMP(kp.levels, ==, (mode == VKC_MODE_UNSIGNED ? 256u : 128u));

    char what[128];
    snprintf(what, sizeof what, "golden %s %s", name, key);
    vkc_search_result ref;
    check_cpu_vs_reference(what, h, n, range_max, &kp, &ref);
    REQUIREF(!ref.fallback, "%s: fell back: %s", what, ref.message);
    REQUIREF(ref.i == want, "%s: chose %u, golden vkcalib %llu", what, ref.i, (unsigned long long)want);
    const vkc_json *tied = vkc_json_get(e, "tied");
    REQUIREF(in_list(tied, ref.i) || ref.i == ref_i, "%s: %u neither tied nor NVIDIA's %llu", what,
             ref.i, (unsigned long long)ref_i);
    REQUIREF(ref.threshold == (double)ref.i * (range_max / (double)n), "%s: threshold %.17g", what,
             ref.threshold);
    if (ref.i == ref_i) {
        double amax = vkc_json_number(vkc_json_get(e, "amax"));
        REQUIREF(ref.threshold == amax, "%s: threshold %.17g, golden amax %.17g", what, ref.threshold,
                 amax);
    }

    /* Every listed tie must be tied under our rule, with our reference. */
    vkc_kl_hist kh;
    vkc_msg msg;
    REQUIRE_CMP(vkc_kl_hist_init(&kh, h, n, &kp, &msg), ==, VKC_OK);
    double m = ref.kl;
    for (size_t k = 0; k < vkc_json_len(tied); k++) {
        uint64_t t;
        if (!vkc_json_uint64(vkc_json_at(tied, k), &t) || t < start || t > n) {
            REQUIREF(0, "%s: bad tied entry", what);
            continue;
        }
        double v = vkc_kl_reference(&kh, (uint32_t)t, kp.levels);
        REQUIREF(v <= m + vkc_kl_tie_tol(m), "%s: listed tie %llu has KL %.17g, min %.17g", what,
                 (unsigned long long)t, v, m);
    }
    /* The reference against the long-double KL on a spread of candidates. */
    for (uint32_t i = start; i <= n; i += 97) {
        long double nv = naive_kl(h, n, i, kp.levels);
        double rv = vkc_kl_reference(&kh, i, kp.levels);
        int same = (isinf((double)nv) && rv == INFINITY) || fabsl(nv - rv) <= 1e-13L + 1e-12L * fabsl(nv);
        REQUIREF(same, "%s: KL(%u) %.17g vs naive %.17Lg", what, i, rv, nv);
    }
    vkc_kl_hist_free(&kh);
}

static void test_golden(void)
{
    const char *path = VKC_TESTDATA_DIR "/golden_histograms.json";
    size_t len = 0;
    char *text = vkc_test_read_file(path, &len);
    REQUIREF(text != NULL, "cannot read %s", path);
    if (!text) return;
    vkc_json *doc = NULL;
    vkc_msg msg = {{0}};
    REQUIREF(vkc_json_parse(text, len, &doc, &msg) == VKC_OK, "%s: %s", path, msg.text);
    free(text);
    const vkc_json *cases = vkc_json_get(doc, "cases");
    REQUIREF(vkc_json_len(cases) >= 9, "golden file has %zu cases", vkc_json_len(cases));
    for (size_t c = 0; c < vkc_json_len(cases); c++) {
        const vkc_json *k = vkc_json_at(cases, c);
        const char *name = vkc_json_string(vkc_json_get(k, "name"), NULL);
        const vkc_json *counts = vkc_json_get(k, "counts");
        uint64_t bins = 0, start = 0;
        double range_max = vkc_json_number(vkc_json_get(k, "range_max"));
        int ok = name && vkc_json_uint64(vkc_json_get(k, "bins"), &bins) &&
                 vkc_json_uint64(vkc_json_get(k, "start_bin"), &start) && bins > 0 &&
                 bins < 1u << 20 && vkc_json_len(counts) == bins && isfinite(range_max);
        REQUIREF(ok, "golden case %zu malformed", c);
        if (!ok) continue;
        uint64_t *h = malloc(bins * sizeof *h);
        for (size_t j = 0; j < bins; j++)
            REQUIRE(vkc_json_uint64(vkc_json_at(counts, j), &h[j]));
        const vkc_json *expected = vkc_json_get(k, "expected");
        golden_mode(name, h, (uint32_t)bins, range_max, (uint32_t)start, expected,
                    VKC_MODE_SYMMETRIC, "entropy_signed");
        golden_mode(name, h, (uint32_t)bins, range_max, (uint32_t)start, expected,
                    VKC_MODE_UNSIGNED, "entropy_unsigned");
        free(h);
    }
    vkc_json_free(doc);
}

/* ------------------------------------------------------------------------ */
/* Hand-computed values                                                     */

static void test_known_values(void)
{
    /* h = [9, 1, 3, 2] -> [1, 1, 3, 2] by the zero-bin rule; L = 2. */
    const uint64_t h[4] = {9, 1, 3, 2};
    vkc_kl_params kp = params_for(VKC_MODE_SYMMETRIC, VKC_FLAVOR_MODELOPT, 2, 1);
    kp.levels = 2;
    /* i = 2: P = [1, 6], Q = [1, 1]. */
    double k2 = 1.0 / 7 * log((1.0 / 7) / 0.5) + 6.0 / 7 * log((6.0 / 7) / 0.5);
    /* i = 3: P = [1, 1, 5], levels 0,0,1: Q = [1, 1, 3]. */
    double k3 = 2.0 / 7 * log((1.0 / 7) / 0.2) + 5.0 / 7 * log((5.0 / 7) / 0.6);
    /* i = 4: P = [1, 1, 3, 2], levels 0,0,1,1: Q = [1, 1, 2.5, 2.5]. */
    double k4 = 3.0 / 7 * log(3.0 / 2.5) + 2.0 / 7 * log(2.0 / 2.5);
    vkc_kl_hist kh;
    vkc_msg msg;
    REQUIRE_CMP(vkc_kl_hist_init(&kh, h, 4, &kp, &msg), ==, VKC_OK);
    REQUIRE_CMP(kh.total, ==, 7);
    REQUIRE_CMP(kh.h[0], ==, 1);
    const double want[3] = {k2, k3, k4};
    for (uint32_t i = 2; i <= 4; i++) {
        double e;
        double r = vkc_kl_reference(&kh, i, 2), f = vkc_kl_fast(&kh, i, 2, &e);
        REQUIREF(fabs(r - want[i - 2]) < 1e-15, "KL(%u) = %.17g, hand %.17g", i, r, want[i - 2]);
        REQUIREF(fabs(f - want[i - 2]) <= e, "fast KL(%u) = %.17g +- %g, hand %.17g", i, f, e,
                 want[i - 2]);
    }
    vkc_search_result res;
    REQUIRE_CMP(vkc_entropy_cpu(h, 4, 2.0, &kp, &res, &msg), ==, VKC_OK);
    /* k4 ~ 0.0144 is the least. */
    REQUIRE_CMP(k4, <, k3);
    REQUIRE_CMP(k4, <, k2);
    REQUIRE_CMP(res.i, ==, 4);
    REQUIRE_CMP(res.threshold, ==, 2.0);
    REQUIRE_CMP(res.candidates, ==, 3);
    REQUIRE(!res.fallback);
    REQUIRE_CMP(fabs(res.kl - k4), <, 1e-15);
    vkc_kl_hist_free(&kh);

    /* Infinite candidate: bin i-1 empty while outliers exist. */
    const uint64_t g[5] = {0, 4, 0, 0, 1};
    kp.start = 2;
    REQUIRE_CMP(vkc_kl_hist_init(&kh, g, 5, &kp, &msg), ==, VKC_OK);
    REQUIRE(!vkc_kl_is_inf(&kh, 2));
    REQUIRE(vkc_kl_is_inf(&kh, 3));
    REQUIRE(vkc_kl_is_inf(&kh, 4));
    REQUIRE(!vkc_kl_is_inf(&kh, 5));
    REQUIRE_CMP(vkc_kl_reference(&kh, 3, 2), ==, INFINITY);
    REQUIRE_CMP(vkc_kl_reference(&kh, 4, 2), ==, INFINITY);
    double e;
    REQUIRE_CMP(vkc_kl_fast(&kh, 4, 2, &e), ==, INFINITY);
    REQUIRE(isnan(vkc_kl_reference(&kh, 0, 2)));
    REQUIRE(isnan(vkc_kl_reference(&kh, 6, 2)));
    REQUIRE_CMP(vkc_entropy_cpu(g, 5, 1.0, &kp, &res, &msg), ==, VKC_OK);
    REQUIRE_CMP(res.inf_candidates, ==, 2);
    REQUIRE_CMP(res.candidates, ==, 4);
    vkc_kl_hist_free(&kh);

    REQUIRE_CMP(vkc_kl_tie_tol(0), ==, 1e-15);
    REQUIRE_CMP(vkc_kl_tie_tol(1e-7), ==, 1e-15);
    REQUIRE_CMP(vkc_kl_tie_tol(1e-3), ==, 1e-9 * 1e-3);
    REQUIRE_CMP(vkc_kl_tie_tol(2.0), ==, 2e-9);
    REQUIRE_CMP(vkc_kl_tie_tol(-2.0), ==, 2e-9);
}

static void test_params(void)
{
    vkc_kl_params kp;
    vkc_kl_params_from(NULL, &kp);
    REQUIRE_CMP(kp.levels, ==, 128);
    REQUIRE_CMP(kp.start, ==, 128);
    REQUIRE_CMP(kp.stride, ==, 1);
    REQUIRE_CMP(kp.zero_bin_copy, ==, 1);
    REQUIRE_CMP(kp.tie_largest, ==, 1);
    REQUIRE_CMP(kp.edge_offset, ==, 0.0);
    kp = params_for(VKC_MODE_UNSIGNED, VKC_FLAVOR_TENSORRT, 64, 3);
    REQUIRE_CMP(kp.levels, ==, 256);
    REQUIRE_CMP(kp.start, ==, 64);
    REQUIRE_CMP(kp.stride, ==, 3);
    REQUIRE_CMP(kp.edge_offset, ==, 0.5);
    kp = params_for(VKC_MODE_AUTO, VKC_FLAVOR_MODELOPT, 0, 0);
    REQUIRE_CMP(kp.levels, ==, 128);
    REQUIRE_CMP(kp.start, ==, 128);
    REQUIRE_CMP(kp.stride, ==, 1);
    REQUIRE_CMP(vkc_kl_candidate_count(127, &kp), ==, 0);
    REQUIRE_CMP(vkc_kl_candidate_count(128, &kp), ==, 1);
    REQUIRE_CMP(vkc_kl_candidate_count(2048, &kp), ==, 1921);
    kp.stride = 2;
    REQUIRE_CMP(vkc_kl_candidate_count(2048, &kp), ==, 961);
    REQUIRE_CMP(vkc_kl_candidate_count(2047, &kp), ==, 960);
}

/* ------------------------------------------------------------------------ */
/* The tie tolerance with values that differ                                */

/* A histogram whose candidates take two KL values a known gap apart. With
 * start 512 and L = 128, bins 0..3 always form level 0 (a fixed baseline
 * from counts a, a, a2); the pair c, c + d at bins 100/101 falls into one
 * level for most i (adding about d^2 / (8 c^2)) but is split by a level
 * boundary for i = 513..517, ..., 1829..1846 (adding exactly 0). So the
 * least KL is at 513 and 1846, and i = 2048 lies `gap` above it. */
static void tie_case(const char *what, uint64_t a, uint64_t a2, uint64_t d, int expect_tied)
{
    enum { N = 2048 };
    const uint64_t c = (uint64_t)1 << 40;
    uint64_t *h = calloc(N, sizeof *h);
    h[0] = h[1] = a;
    h[2] = a2;
    h[100] = c;
    h[101] = c + d;
    vkc_kl_params kp = params_for(VKC_MODE_SYMMETRIC, VKC_FLAVOR_MODELOPT, 512, 1);
    vkc_kl_hist kh;
    vkc_msg msg;
    REQUIRE_CMP(vkc_kl_hist_init(&kh, h, N, &kp, &msg), ==, VKC_OK);
    double split = vkc_kl_reference(&kh, 1846, 128), joined = vkc_kl_reference(&kh, 2048, 128);
    double e;
    vkc_kl_fast(&kh, 2048, 128, &e);
    /* The premises: the values differ, in the intended way. */
    REQUIREF(joined > split, "%s: KL(2048) %.17g not above KL(1846) %.17g", what, joined, split);
    for (uint32_t i = 512; i <= N; i++) {
        double v = vkc_kl_reference(&kh, i, 128);
        REQUIREF(v == split || v == joined, "%s: KL(%u) = %.17g is a third value", what, i, v);
    }
    printf("%s: gap %.3g, tolerance %.3g, fast bound %.3g\n", what, joined - split,
           vkc_kl_tie_tol(split), e);

    vkc_search_result res;
    check_cpu_vs_reference(what, h, N, 1.0, &kp, &res);
    REQUIREF(res.i == (expect_tied ? 2048u : 1846u), "%s: chose %u", what, res.i);
    kp.tie_largest = 0;
    check_cpu_vs_reference(what, h, N, 1.0, &kp, &res);
    REQUIREF(res.i == (expect_tied ? 512u : 513u), "%s: smallest tie chose %u", what, res.i);
    vkc_kl_hist_free(&kh);
    free(h);
}

static void test_tie_tolerance(void)
{
    /* Relative band: KL ~ 1e-3, gap ~5e-13 < 1e-12, and wider than twice the
     * fast bound, so the cascade's filters need the band too. */
    tie_case("relative tie", 3000000000u, 9000000000u, 2200000, 1);
    /* Just outside the band: gap ~2e-12. */
    tie_case("relative non-tie", 3000000000u, 9000000000u, 4400000, 0);
    /* Absolute floor: KL 0 against ~4e-16. */
    tie_case("absolute tie", 1u << 30, 0, 70000, 1);
    /* Above the floor: ~4e-14. */
    tie_case("absolute non-tie", 1u << 30, 0, 700000, 0);
}

/* ------------------------------------------------------------------------ */
/* Edge cases                                                               */

static void fill_exp(uint64_t *h, uint32_t n, double amp, double scale)
{
    for (uint32_t j = 0; j < n; j++) h[j] = (uint64_t)floor(amp * exp(-(double)j / scale));
}

static void test_edges(void)
{
    enum { N = 8192 };
    uint64_t *h = calloc(N, sizeof *h);
    vkc_search_result res, ref;
    vkc_msg msg;
    vkc_kl_params kp = params_for(VKC_MODE_SYMMETRIC, VKC_FLAVOR_MODELOPT, 0, 0);

    /* All zero: fallback. */
    check_cpu_vs_reference("all zero", h, 2048, 3.0, &kp, &res);
    REQUIRE(res.fallback);
    REQUIRE_CMP(res.threshold, ==, 3.0);
    REQUIRE_CMP(res.i, ==, 2048);
    /* Only bin 0: empty after the zero-bin rule. */
    h[0] = 12345;
    check_cpu_vs_reference("only bin 0", h, 2048, 3.0, &kp, &res);
    REQUIRE(res.fallback);
    REQUIRE_CMP(res.threshold, ==, 3.0);
    h[0] = 0;

    /* One non-empty bin at 700: i <= 700 infinite, the rest KL 0, tied. */
    h[700] = 1000;
    check_cpu_vs_reference("single bin", h, 2048, 1.0, &kp, &res);
    REQUIRE(!res.fallback);
    REQUIRE_CMP(res.i, ==, 2048);
    REQUIRE_CMP(res.kl, ==, 0);
    REQUIRE_CMP(res.inf_candidates, ==, 700 - 128 + 1);
    kp.tie_largest = 0;
    check_cpu_vs_reference("single bin, smallest tie", h, 2048, 1.0, &kp, &res);
    REQUIRE(!res.fallback);
    REQUIRE_CMP(res.i, ==, 701);
    kp.tie_largest = 1;
    /* A single non-empty bin below the start: every candidate finite, KL 0. */
    memset(h, 0, N * sizeof *h);
    h[5] = 1u << 20;
    check_cpu_vs_reference("single low bin", h, 2048, 1.0, &kp, &res);
    REQUIRE(!res.fallback);
    REQUIRE_CMP(res.i, ==, 2048);
    REQUIRE_CMP(res.inf_candidates, ==, 0);

    /* Mass only above the start bin. */
    memset(h, 0, N * sizeof *h);
    for (uint32_t j = 300; j < 400; j++) h[j] = 1000 + j;
    check_cpu_vs_reference("mass above start", h, 1024, 1.0, &kp, &res);
    REQUIRE(!res.fallback);
    REQUIRE_CMP(res.inf_candidates, ==, 300 - 128 + 1);
    REQUIRE_CMP(res.i, >, 300);
    /* Mass only in the last bin: every candidate below n is infinite. */
    memset(h, 0, N * sizeof *h);
    h[1023] = 77;
    check_cpu_vs_reference("mass in last bin", h, 1024, 1.0, &kp, &res);
    REQUIRE(!res.fallback);
    REQUIRE_CMP(res.i, ==, 1024);
    REQUIRE_CMP(res.inf_candidates, ==, 1024 - 128);
    /* ... and with the last candidate out of reach: all infinite. */
    kp.stride = 5;
    check_cpu_vs_reference("all candidates infinite", h, 1024, 1.0, &kp, &res);
    REQUIRE(res.fallback);
    REQUIRE_CMP(res.inf_candidates, ==, res.candidates);
    REQUIRE_CMP(res.threshold, ==, 1.0);
    kp.stride = 1;

    /* n < start: fallback; n == start: one candidate. */
    fill_exp(h, N, 1e6, 30);
    check_cpu_vs_reference("n < start", h, 127, 2.0, &kp, &res);
    REQUIRE(res.fallback);
    REQUIRE_CMP(res.candidates, ==, 0);
    REQUIRE_CMP(res.threshold, ==, 2.0);
    REQUIRE_CMP(res.i, ==, 127);
    check_cpu_vs_reference("n == start", h, 128, 2.0, &kp, &res);
    REQUIRE(!res.fallback);
    REQUIRE_CMP(res.i, ==, 128);
    REQUIRE_CMP(res.threshold, ==, 2.0);
    /* One bin, start 1: the zero-bin rule has no bin 1; KL = 0. */
    kp.start = 1;
    check_cpu_vs_reference("one bin", h, 1, 0.5, &kp, &res);
    REQUIRE(!res.fallback);
    REQUIRE_CMP(res.i, ==, 1);
    REQUIRE_CMP(res.threshold, ==, 0.5);
    REQUIRE_CMP(res.kl, ==, 0);
    /* Start 1 over many bins: candidates with fewer bins than levels. */
    check_cpu_vs_reference("start 1", h, 600, 1.0, &kp, &res);
    kp.start = 128;

    /* 8192 bins with counts far above 2^32. */
    fill_exp(h, N, 0x1p40, 900);
    check_cpu_vs_reference("8192 bins, 2^40", h, N, 1.0, &kp, &res);
    REQUIRE(!res.fallback);
    /* Totals near 2^63. */
    for (uint32_t j = 0; j < 2048; j++)
        h[j] = (uint64_t)((0x1p53 + (double)j * 0x1p40) * exp(-(double)j / 700.0));
    check_cpu_vs_reference("total near 2^63", h, 2048, 1.0, &kp, &res);
    REQUIRE(!res.fallback);

    /* Stride 2: only start + 2k are candidates. */
    fill_exp(h, N, 1e7, 150);
    h[2047] = 3;
    kp.stride = 2;
    check_cpu_vs_reference("stride 2", h, 2048, 1.0, &kp, &res);
    REQUIRE_CMP(res.candidates, ==, 961);
    REQUIRE_CMP((res.i - 128) % 2, ==, 0);
    REQUIRE(!res.fallback);
    kp.stride = 1;

    /* TensorRT flavour: threshold (i + 0.5) * w, same i as modelopt. */
    check_cpu_vs_reference("modelopt", h, 2048, 1.0, &kp, &ref);
    vkc_kl_params trt = params_for(VKC_MODE_SYMMETRIC, VKC_FLAVOR_TENSORRT, 0, 0);
    check_cpu_vs_reference("tensorrt", h, 2048, 1.0, &trt, &res);
    REQUIRE_CMP(res.i, ==, ref.i);
    REQUIRE_CMP(res.threshold, ==, ((double)res.i + 0.5) / 2048.0);
    REQUIRE(!res.fallback);
    h[2047] = 0;
    check_cpu_vs_reference("tensorrt i = n", h, 2048, 4.0, &trt, &res);
    REQUIRE_CMP(res.threshold, ==, ((double)res.i + 0.5) * (4.0 / 2048));

    /* Range 0 never yields a zero threshold without fallback. */
    check_cpu_vs_reference("range 0", h, 2048, 0.0, &kp, &res);
    REQUIRE(res.fallback);
    REQUIRE_CMP(res.threshold, ==, 0.0);
    /* Tiny range: the threshold underflows -> fallback. */
    check_cpu_vs_reference("range denormal", h, 2048, 4.9406564584124654e-324, &kp, &res);
    REQUIRE(res.fallback || res.threshold > 0);

    /* Invalid arguments. */
    REQUIRE_CMP(vkc_entropy_cpu(h, 0, 1.0, &kp, &res, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_entropy_cpu(NULL, 10, 1.0, &kp, &res, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_entropy_cpu(h, 2048, -1.0, &kp, &res, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_entropy_cpu(h, 2048, NAN, &kp, &res, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_entropy_cpu(h, 2048, INFINITY, &kp, &res, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    vkc_kl_params bad = kp;
    bad.levels = 0;
    REQUIRE_CMP(vkc_entropy_cpu(h, 2048, 1.0, &bad, &res, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(vkc_entropy_reference(h, 2048, 1.0, &bad, &res, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    bad = kp;
    bad.stride = 0;
    REQUIRE_CMP(vkc_entropy_cpu(h, 2048, 1.0, &bad, &res, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(strstr(msg.text, "stride"), !=, NULL);
    /* A total that overflows uint64, directly and through the zero-bin rule. */
    memset(h, 0, N * sizeof *h);
    h[1] = h[2] = h[3] = (uint64_t)1 << 62; /* 3 * 2^62, 4 * 2^62 after the copy */
    kp.start = 4;
    REQUIRE_CMP(vkc_entropy_cpu(h, 16, 1.0, &kp, &res, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    REQUIRE_CMP(strstr(msg.text, "overflow"), !=, NULL);
    h[3] = 0; /* 3 * 2^62 with the copy: fits */
    REQUIRE_CMP(vkc_entropy_cpu(h, 16, 1.0, &kp, &res, &msg), ==, VKC_OK);
    check_cpu_vs_reference("total 3 * 2^62", h, 16, 1.0, &kp, &res);
    h[9] = UINT64_MAX;
    REQUIRE_CMP(vkc_entropy_cpu(h, 16, 1.0, &kp, &res, &msg), ==, VKC_ERROR_INVALID_ARGUMENT);
    free(h);
}

/* ------------------------------------------------------------------------ */
/* Random histograms                                                        */

static vkc_kl_params random_params(vkc_rng *r)
{
    static const uint32_t starts[] = {1, 7, 64, 100, 200, 256};
    vkc_mode mode = (vkc_rng_next(r) & 1) ? VKC_MODE_UNSIGNED : VKC_MODE_SYMMETRIC;
    vkc_flavor flavor = (vkc_rng_next(r) % 4 == 0) ? VKC_FLAVOR_TENSORRT : VKC_FLAVOR_MODELOPT;
    uint32_t start = vkc_rng_next(r) % 5 == 0 ? starts[vkc_rng_next(r) % 6] : 0;
    uint32_t stride = vkc_rng_next(r) % 8 == 0 ? 2 + (uint32_t)(vkc_rng_next(r) % 2) : 0;
    vkc_kl_params kp = params_for(mode, flavor, start, stride);
    if (vkc_rng_next(r) % 16 == 0) kp.tie_largest = 0;
    return kp;
}

/* |fast - reference| <= err on every candidate; returns the largest ratio. */
static double check_fast_bounds(const char *what, const uint64_t *h, uint32_t n,
                                const vkc_kl_params *kp)
{
    vkc_kl_hist kh;
    vkc_msg msg;
    double worst = 0;
    if (vkc_kl_hist_init(&kh, h, n, kp, &msg) != VKC_OK) {
        REQUIREF(0, "%s: %s", what, msg.text);
        return 0;
    }
    if (kh.total == 0) {
        vkc_kl_hist_free(&kh);
        return 0;
    }
    uint32_t count = vkc_kl_candidate_count(n, kp), bad = 0;
    for (uint32_t c = 0; c < count; c++) {
        uint32_t i = kp->start + c * kp->stride;
        double e, f = vkc_kl_fast(&kh, i, kp->levels, &e), ref = vkc_kl_reference(&kh, i, kp->levels);
        int inf = vkc_kl_is_inf(&kh, i);
        if (inf || ref == INFINITY || f == INFINITY) {
            if (!(inf && ref == INFINITY && f == INFINITY)) bad++;
            continue;
        }
        double d = fabs(f - ref);
        if (!(d <= e) || !isfinite(e)) {
            if (bad++ < 3)
                fprintf(stderr, "%s: i %u fast %.17g ref %.17g err %g\n", what, i, f, ref, e);
            continue;
        }
        if (e > 0 && d / e > worst) worst = d / e;
        /* The bound must be useful as well as true. */
        if (e > 1e-9) bad++;
    }
    REQUIREF(bad == 0, "%s: %u candidates broke the fast evaluator's bound", what, bad);
    vkc_kl_hist_free(&kh);
    return worst;
}

/* The cascade with simulated GPU values: float approximations within
 * the stated bounds must not change the choice; NaN entries are kept. */
static void check_cascade(const char *what, vkc_rng *r, const uint64_t *h, uint32_t n,
                          double range_max, const vkc_kl_params *kp, const vkc_search_result *want)
{
    vkc_kl_hist kh;
    vkc_msg msg;
    if (vkc_kl_hist_init(&kh, h, n, kp, &msg) != VKC_OK) return;
    uint32_t count = vkc_kl_candidate_count(n, kp);
    float *approx = malloc((count ? count : 1) * sizeof *approx);
    float *err = malloc((count ? count : 1) * sizeof *err);
    double rel = vkc_rng_next(r) & 1 ? 1e-6 : 1e-3;
    for (uint32_t c = 0; c < count; c++) {
        double v = kh.total ? vkc_kl_reference(&kh, kp->start + c * kp->stride, kp->levels) : NAN;
        double noise = (2 * vkc_rng_uniform(r) - 1) * rel * (fabs(v) + 1e-6);
        approx[c] = (float)(v + noise);
        err[c] = (float)(fabs(noise) * 1.001 + 0x1p-22 * fabs(v) + 1e-30);
        if (vkc_rng_next(r) % 50 == 0) approx[c] = NAN;
    }
    vkc_search_result res;
    REQUIRE_CMP(vkc_kl_select(&kh, kp, approx, err, range_max, &res, &msg), ==, VKC_OK);
    REQUIREF(res.i == want->i && res.fallback == want->fallback && res.threshold == want->threshold,
             "%s: cascade chose %u, reference %u", what, res.i, want->i);
    free(approx);
    free(err);
    vkc_kl_hist_free(&kh);
}

static void test_random(void)
{
    enum { CASES = 1100, MAXN = 8192 };
    vkc_rng r = {0x5eed0001u};
    uint64_t *h = malloc(MAXN * sizeof *h);
    double worst = 0, t0 = vkc_test_now(), t_cpu = 0;
    uint32_t reeval = 0, cands = 0, naive_checked = 0, ambiguous = 0;
    int fallbacks = 0, per_shape[HIST_SHAPE_COUNT] = {0};
    for (int idx = 0; idx < CASES; idx++) {
        uint32_t n = hist_gen_bins(&r, idx);
        int s = (int)(vkc_rng_next(&r) % HIST_SHAPE_COUNT);
        vkc_kl_params kp = random_params(&r);
        double range_max = vkc_rng_next(&r) & 1 ? 1.0 : exp(4 * vkc_rng_normal(&r));
        hist_gen(&r, h, n, s);
        per_shape[s]++;
        char what[96];
        snprintf(what, sizeof what, "random %d (%s, n %u, L %u, start %u, stride %u)", idx,
                 hist_shape_names[s], n, kp.levels, kp.start, kp.stride);

        vkc_search_result cpu, ref;
        vkc_msg msg;
        double t = vkc_test_now();
        REQUIRE_CMP(vkc_entropy_cpu(h, n, range_max, &kp, &cpu, &msg), ==, VKC_OK);
        t_cpu += vkc_test_now() - t;
        reeval += cpu.reevaluated;
        cands += cpu.candidates;
        check_cpu_vs_reference(what, h, n, range_max, &kp, &ref);
        fallbacks += ref.fallback;

        if (idx % 10 == 0) {
            double w = check_fast_bounds(what, h, n, &kp);
            if (w > worst) worst = w;
        }
        if (idx % 10 == 5) check_cascade(what, &r, h, n, range_max, &kp, &ref);
        if (idx % 8 == 1 && n <= 1024) {
            int excused;
            uint32_t pick = naive_choice(h, n, &kp, ref.i, &excused);
            naive_checked++;
            ambiguous += (uint32_t)excused;
            if (!ref.fallback)
                REQUIREF(pick == ref.i || excused, "%s: long-double KL picks %u, reference %u", what,
                         pick, ref.i);
            else
                REQUIREF(pick == 0, "%s: long-double KL picks %u, reference fell back", what, pick);
        }
    }
    REQUIREF(worst < 0.1, "max |fast - ref| / err = %g", worst);
    printf("random: %d histograms (%d fell back) in %.1f s, vkc_entropy_cpu %.2f s in all\n", CASES,
           fallbacks, vkc_test_now() - t0, t_cpu);
    printf("random: reference re-evaluated %u of %u candidates; %u checked in long double (%u "
           "differed at a tie edge)\n",
           reeval, cands, naive_checked, ambiguous);
    printf("random: max |fast - reference| / err = %.3g\n", worst);
    for (int s = 0; s < HIST_SHAPE_COUNT; s++) REQUIRE_CMP(per_shape[s], >, 0);
    free(h);
}

int main(void)
{
    double t0 = vkc_test_now();
    test_params();
    test_known_values();
    test_golden();
    printf("golden + known values: %.2f s\n", vkc_test_now() - t0);
    test_tie_tolerance();
    test_edges();
    test_random();
    printf("total %.1f s\n", vkc_test_now() - t0);
    return vkc_test_end();
}
