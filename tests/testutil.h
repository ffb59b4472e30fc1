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

/* REQUIRE_CMP(a, op, b): a comparison that prints both values when it
 * fails ("x.c:12: REQUIRE(res.i == 1297) failed: 1296 vs 1297"). Each side
 * is evaluated once; integers, floating point (17 digits, so that two values
 * that differ never print alike), strings and pointers print as themselves. */
#define VKC_TEST_FMT(buf, v)                                                               \
    _Generic((v), float: vkc_test_fmt_f, double: vkc_test_fmt_f, long double: vkc_test_fmt_f, \
             char *: vkc_test_fmt_s, const char *: vkc_test_fmt_s, _Bool: vkc_test_fmt_u,     \
             char: vkc_test_fmt_i, signed char: vkc_test_fmt_i, short: vkc_test_fmt_i,        \
             int: vkc_test_fmt_i, long: vkc_test_fmt_i, long long: vkc_test_fmt_i,            \
             unsigned char: vkc_test_fmt_u, unsigned short: vkc_test_fmt_u,                   \
             unsigned: vkc_test_fmt_u, unsigned long: vkc_test_fmt_u,                         \
             unsigned long long: vkc_test_fmt_u, default: vkc_test_fmt_p)(buf, sizeof buf, v)
void vkc_test_fmt_f(char *buf, size_t n, long double v);
void vkc_test_fmt_i(char *buf, size_t n, long long v);
void vkc_test_fmt_u(char *buf, size_t n, unsigned long long v);
void vkc_test_fmt_s(char *buf, size_t n, const char *v);
void vkc_test_fmt_p(char *buf, size_t n, const volatile void *v);

#define REQUIRE_CMP(a, op, b)                                                               \
    do {                                                                                    \
        __typeof__(a) vkc_a_ = (a);                                                         \
        __typeof__(b) vkc_b_ = (b);                                                         \
        vkc_test_checks++;                                                                  \
        /* a literal on one side lost its constness in vkc_b_: the compiler \
         * would not warn about `u == 5`, so it should not here either. */ \
        _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wsign-compare\"")     \
        int vkc_ok_ = vkc_a_ op vkc_b_;                                                     \
        _Pragma("GCC diagnostic pop")                                                       \
        if (!vkc_ok_) {                                                                     \
            char vkc_sa_[96], vkc_sb_[96];                                                  \
            VKC_TEST_FMT(vkc_sa_, vkc_a_);                                                  \
            VKC_TEST_FMT(vkc_sb_, vkc_b_);                                                  \
            vkc_test_failures++;                                                            \
            fprintf(stderr, "%s:%d: REQUIRE(%s %s %s) failed: %s vs %s\n", __FILE__, __LINE__, \
                    #a, #op, #b, vkc_sa_, vkc_sb_);                                         \
        }                                                                                   \
    } while (0)

/* Prints "N passed, M failed" and returns the exit code. */
int vkc_test_end(void);

/* Deterministic generator (splitmix64), independent of libc. */
typedef struct vkc_rng { uint64_t s; } vkc_rng;
uint64_t vkc_rng_next(vkc_rng *r);
double vkc_rng_uniform(vkc_rng *r);      /* [0, 1) */
double vkc_rng_normal(vkc_rng *r);
/* float32 -> binary16 bits, rounding toward zero: test data for the
 * float16 paths, which bin the half's own value (any rounding will do). */
uint16_t vkc_test_half_rz(float f);

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
