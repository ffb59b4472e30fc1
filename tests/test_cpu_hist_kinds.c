/* The tools' histogram kinds (src/pass/hist_kind.h) on the CPU backend:
 * small cases derived by hand, then every probe case of kind_check.c held
 * to the plain oracle, whole and in batches. */
#include "kind_check.h"
#include "pass/hist_kind.h"

#include <math.h>
#include <string.h>

static void expect(vkc_context *ctx, const char *what, vkc_hist_spec s, const float *x, uint64_t n,
                   const uint64_t *want)
{
    uint64_t got[16] = {0};
    kind_histogram(ctx, x, n, &s, got);
    int same = memcmp(got, want, s.bins * 8) == 0;
    REQUIREF(same, "%s: got %llu %llu %llu %llu, want %llu %llu %llu %llu", what, (unsigned long long)got[0],
             (unsigned long long)got[1], (unsigned long long)got[2], (unsigned long long)got[3],
             (unsigned long long)want[0], (unsigned long long)want[1], (unsigned long long)want[2],
             (unsigned long long)want[3]);
}

static void by_hand(vkc_context *ctx)
{
    /* numpy, 4 bins over [-1, 1]: edges -1, -0.5, 0, 0.5, 1 (exact). -0.5
     * opens bin 1, -0 and +0 open bin 2, 1 closes bin 3; the float below
     * 0.5 stays in bin 2. */
    {
        const float x[] = {-1.0f, -0.5f, -0.0f, 0.0f, nextafterf(0.5f, 0.0f), 0.5f, 1.0f};
        const uint64_t want[4] = {1, 1, 3, 2};
        expect(ctx, "numpy [-1,1]/4", (vkc_hist_spec){VKC_HIST_NUMPY, 4, -1.0f, 1.0f}, x, 7, want);
    }
    /* numpy, 3 bins over [-1, 1]: step 2/3 in double, e_1 = float32(2/3 -
     * 1) = float32(-1/3) = -0.333333343 (rounded away from zero), e_2 =
     * float32(4/3 - 1) = 0.333333343. So float32(-1/3) itself is in bin 1,
     * the float just below in bin 0; 0.333333313 (the float below e_2) in
     * bin 1. */
    {
        const float third = (float)(-1.0 / 3.0);
        const float x[] = {third, nextafterf(third, -1.0f), nextafterf(-third, 0.0f), -third};
        const uint64_t want[3] = {1, 2, 1};
        expect(ctx, "numpy [-1,1]/3", (vkc_hist_spec){VKC_HIST_NUMPY, 3, -1.0f, 1.0f}, x, 4, want);
    }
    /* numpy's empty range [0, 0] is [-0.5, 0.5]: with 2 bins 0 opens bin 1. */
    {
        const float x[] = {0.0f, 0.0f, -0.0f};
        const uint64_t want[2] = {0, 3};
        expect(ctx, "numpy [0,0]/2", (vkc_hist_spec){VKC_HIST_NUMPY, 2, 0.0f, 0.0f}, x, 3, want);
    }
    /* ncnn, A = 3, 4 bins: fl(|x| / 3) * 4. 0.75 / 3 = 0.25 exactly -> bin 1;
     * 2.25 -> 0.75 * 4 = 3 -> bin 3; 3 -> 4, clamped to bin 3; -1.5 -> 2;
     * zeros are not counted. The float below 0.75, 0.74999994, divided by
     * 3 is 0.24999998 (the quotient 0.2499999801 rounds to the float below
     * 0.25, 0.2499999851): bin 0. */
    {
        const float x[] = {0.75f, 2.25f, 3.0f, -1.5f, 0.0f, -0.0f, nextafterf(0.75f, 0.0f)};
        const uint64_t want[4] = {1, 1, 1, 2};
        expect(ctx, "ncnn A=3/4", (vkc_hist_spec){VKC_HIST_NCNN, 4, 0, 3.0f}, x, 7, want);
    }
    /* MNN, A = 4, 4 bins: inv = 1. 1e-6f is 9.99999997e-7 <= 1e-6 and not
     * counted; the next float 1.00000011e-6 is, in bin 0; 2.5 -> bin 2;
     * -4 -> 4 clamped to 3. */
    {
        const float x[] = {1e-6f, nextafterf(1e-6f, 1.0f), 2.5f, -4.0f, 0.0f};
        const uint64_t want[4] = {1, 0, 1, 1};
        expect(ctx, "mnn A=4/4", (vkc_hist_spec){VKC_HIST_MNN, 4, 0, 4.0f}, x, 5, want);
    }
    /* MNN with A <= 1e-5 has inv = 0: everything counted lands in bin 0. */
    {
        const float x[] = {5e-6f, 2e-6f, 1e-7f};
        const uint64_t want[4] = {2, 0, 0, 0};
        expect(ctx, "mnn invalid", (vkc_hist_spec){VKC_HIST_MNN, 4, 0, 8e-6f}, x, 3, want);
    }
    /* Paddle, |x| over [1, 3], 4 bins: edges 1, 1.5, 2, 2.5, 3 in double;
     * -1.5 -> bin 1, 3 closes bin 3, 0.5 and 3.5 lie outside (not
     * counted). */
    {
        const float x[] = {-1.5f, 3.0f, 0.5f, 3.5f, 1.0f, 2.4999998f};
        const uint64_t want[4] = {1, 1, 1, 1};
        expect(ctx, "paddle [1,3]/4", (vkc_hist_spec){VKC_HIST_PADDLE, 4, 1.0f, 3.0f}, x, 6, want);
    }
    /* Paddle, |x| over [0, 1], 3 bins: E_1 = 1/3 in double, above
     * float32(1/3) = 0.333333343? No: float32(1/3) = 0.3333333433 > 1/3, so
     * it is in bin 1, and the float below (0.3333333135) in bin 0. */
    {
        const float t = (float)(1.0 / 3.0);
        const float x[] = {t, nextafterf(t, 0.0f)};
        const uint64_t want[3] = {1, 1, 0};
        expect(ctx, "paddle [0,1]/3", (vkc_hist_spec){VKC_HIST_PADDLE, 3, 0.0f, 1.0f}, x, 2, want);
    }
    /* torch.histc, [0, 4], 4 bins: (|x| * 4) / 4; 1 -> bin 1, 4 -> bin 4 ->
     * 3, 4.5 outside. */
    {
        const float x[] = {1.0f, 4.0f, 4.5f, -0.5f};
        const uint64_t want[4] = {1, 1, 0, 1};
        expect(ctx, "torch [0,4]/4", (vkc_hist_spec){VKC_HIST_TORCH, 4, 0.0f, 4.0f}, x, 4, want);
    }
    /* Invalid specs are refused with a message. */
    uint64_t c[4];
    vkc_hist_spec bad = {VKC_HIST_PADDLE, 4, -1.0f, 1.0f};
    REQUIRE(vkc_histogram_f32(ctx, (const float[]){1.0f}, 1, &bad, c) == VKC_ERROR_INVALID_ARGUMENT);
    bad = (vkc_hist_spec){(vkc_hist_kind)99, 4, 0.0f, 1.0f};
    REQUIRE(vkc_histogram_f32(ctx, (const float[]){1.0f}, 1, &bad, c) == VKC_ERROR_INVALID_ARGUMENT);
}

int main(void)
{
    vkc_context *ctx = vkc_test_cpu_context();
    if (!ctx) return vkc_test_end();
    by_hand(ctx);
    kind_check_all(ctx, "cpu");
    vkc_context_destroy(ctx);
    return vkc_test_end();
}
