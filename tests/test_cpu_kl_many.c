/* vkc_kl_fast_many (the GPU search's host screen) equals vkc_kl_fast bit
 * for bit, value and bound, on random histograms (empty bins, a hot bin 0,
 * outliers that make candidates infinite) and candidate lists (runs of
 * neighbours, gaps, repeats, both ends), for 128 and 256 levels. */
#include "search/entropy.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

int main(void)
{
    vkc_rng r = {31};
    for (int rep = 0; rep < 60; rep++) {
        uint32_t n = 128 + (uint32_t)(vkc_rng_next(&r) % 4000);
        uint64_t *h = calloc(n, 8);
        for (uint32_t j = 0; j < n; j++) {
            uint64_t u = vkc_rng_next(&r);
            h[j] = u % 3 == 0 ? 0 : (u >> 8) % (j < n / 4 ? 1000000 : 50);
        }
        h[0] = 1ull << 40;
        vkc_search_params sp;
        memset(&sp, 0, sizeof sp);
        sp.mode = rep % 2 ? VKC_MODE_UNSIGNED : VKC_MODE_SYMMETRIC;
        vkc_kl_params kp;
        vkc_kl_params_from(&sp, &kp);
        vkc_kl_hist kh;
        vkc_msg msg;
        REQUIRE(vkc_kl_hist_init(&kh, h, n, &kp, &msg) == VKC_OK);
        uint32_t count = 1 + (uint32_t)(vkc_rng_next(&r) % 300), *is = malloc(count * 4);
        uint32_t i = kp.start;
        for (uint32_t k = 0; k < count; k++) {
            uint64_t u = vkc_rng_next(&r) % 10;
            i = u < 6 ? i + 1 : u < 8 ? i : kp.start + (uint32_t)(vkc_rng_next(&r) % (n - kp.start + 1));
            if (i > n) i = n;
            is[k] = i;
        }
        double *v = malloc(count * 16), *e = v + count;
        vkc_kl_fast_many(&kh, is, count, kp.levels, v, e);
        uint32_t bad = 0;
        for (uint32_t k = 0; k < count; k++) {
            double e1, v1 = vkc_kl_fast(&kh, is[k], kp.levels, &e1);
            if (memcmp(&v1, &v[k], 8) || memcmp(&e1, &e[k], 8)) bad++;
        }
        REQUIREF(bad == 0, "histogram %d (%u bins, %u levels): %u of %u candidates differ", rep, n, kp.levels, bad,
                 count);
        free(v);
        free(is);
        free(h);
        vkc_kl_hist_free(&kh);
    }
    return vkc_test_end();
}
