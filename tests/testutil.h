/* A tiny test harness in the libplacebo style: REQUIRE prints file:line and
 * counts the failure; tests end with `return vkc_test_end();`. */
#ifndef VKC_TESTUTIL_H
#define VKC_TESTUTIL_H

#include "base/common.h"
#include "vkcalib.h"

#include <stdint.h>
#include <stdio.h>

extern int vkc_test_failures;
extern int vkc_test_checks;

#define REQUIRE(cond)                                                             \
    do {                                                                          \
        vkc_test_checks++;                                                        \
        if (!(cond)) {                                                            \
            vkc_test_failures++;                                                  \
            fprintf(stderr, "%s:%d: REQUIRE(%s) failed\n", __FILE__, __LINE__, #cond); \
        }                                                                         \
    } while (0)

#define REQUIREF(cond, ...)                                                       \
    do {                                                                          \
        vkc_test_checks++;                                                        \
        if (!(cond)) {                                                            \
            vkc_test_failures++;                                                  \
            fprintf(stderr, "%s:%d: REQUIRE(%s) failed: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                         \
            fputc('\n', stderr);                                                  \
        }                                                                         \
    } while (0)

/* Prints "N passed, M failed" and returns the exit code. */
int vkc_test_end(void);

/* Deterministic generator (splitmix64), independent of libc. */
typedef struct vkc_rng { uint64_t s; } vkc_rng;
uint64_t vkc_rng_next(vkc_rng *r);
double vkc_rng_uniform(vkc_rng *r);      /* [0, 1) */
double vkc_rng_normal(vkc_rng *r);

/* Creates a Vulkan context on the test device (VKCALIB_TEST_DEVICE, default
 * llvmpipe) with validation on. Returns NULL and sets *skip when no Vulkan
 * device exists at all (the test should return 77). extra_disable masks
 * optional features. */
vkc_context *vkc_test_gpu_context(uint32_t extra_disable, uint64_t max_chunk_bytes, int *skip);
/* Fails the test when the context counted validation messages, then
 * destroys it. */
void vkc_test_gpu_context_done(vkc_context *ctx);
vkc_context *vkc_test_cpu_context(void);
/* Runs run() on the CPU backend, then on the test device (validation on,
 * checked at the end) and returns the exit code: 77 when no Vulkan device
 * exists at all (after the CPU run), else vkc_test_end(). */
int vkc_test_on_backends(void (*run)(vkc_context *ctx, const char *label));

/* Monotonic seconds, for the timings some tests print. */
double vkc_test_now(void);

/* Reads a whole file; NULL on failure. */
void *vkc_test_read_file(const char *path, size_t *len);

#endif
