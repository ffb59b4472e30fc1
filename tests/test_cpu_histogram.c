/* The native CPU backend's range and histogram passes equal the reference
 * bit for bit on every case, single- and multi-threaded. */
#include "hist_check.h"

#include <stdlib.h>
#include <string.h>

int main(void)
{
    vkc_context *ctx = vkc_test_cpu_context();
    if (!ctx) return vkc_test_end();
    hist_check_all(ctx, "cpu");

    /* Large enough to split across threads, with NaN/Inf sprinkled in. */
    uint64_t n = 5000011;
    float *x = malloc(n * sizeof *x);
    vkc_rng r = {42};
    for (uint64_t i = 0; i < n; i++) {
        x[i] = (float)(vkc_rng_normal(&r) * 2.0);
        if (i % 100003 == 7) x[i] = i % 2 ? -1.0f / 0.0f : 0.0f / 0.0f;
    }
    hist_check_one(ctx, "cpu", "threaded-5M", x, n, 2048);
    free(x);
    vkc_context_destroy(ctx);

    /* Single thread gives the same answers. */
    vkc_context_info info;
    memset(&info, 0, sizeof info);
    info.backend = VKC_BACKEND_CPU;
    info.cpu_threads = 1;
    vkc_msg msg;
    REQUIRE_CMP(vkc_context_create(&info, &ctx, &msg), ==, VKC_OK);
    hist_case c;
    hist_case_make(3, &c);
    hist_check_one(ctx, "cpu1", c.name, c.x, c.n, 2048);
    free(c.x);
    vkc_context_destroy(ctx);
    return vkc_test_end();
}
