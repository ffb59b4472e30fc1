/* Internal helpers shared by every module. */
#ifndef VKC_COMMON_H
#define VKC_COMMON_H

#include "vkcalib.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define VKC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define VKC_PRINTF(a, b)
#endif

/* Formats a message into m (when not NULL) and returns s, so that failures
 * read `return vkc_fail(msg, VKC_ERROR_FORMAT, "%s: ...", path);`. */
vkc_status vkc_fail(vkc_msg *m, vkc_status s, const char *fmt, ...) VKC_PRINTF(3, 4);
vkc_status vkc_failv(vkc_msg *m, vkc_status s, const char *fmt, va_list ap);

/* The sType/pNext rule of vkcalib.h for an input struct: sType 0 or its
 * own type, pNext NULL (no extension structs are defined yet). what names
 * the struct in the message. */
vkc_status vkc_check_struct(vkc_structure_type stype, const void *pnext, vkc_structure_type want,
                            const char *what, vkc_msg *msg);

/* Overflow-checked size arithmetic: return 0 on overflow. */
static inline int vkc_mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    if (a != 0 && b > UINT64_MAX / a) return 0;
    *out = a * b;
    return 1;
}
static inline int vkc_add_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    if (b > UINT64_MAX - a) return 0;
    *out = a + b;
    return 1;
}

/* malloc of count elements of elem bytes: NULL when the size overflows;
 * never malloc(0), so NULL always means failure. */
void *vkc_alloc_array(uint64_t count, size_t elem);

/* Little-endian loads at any alignment, on any host: the file formats
 * (.npy, zip, .vkch) are little-endian whatever the machine. */
static inline uint16_t vkc_ld16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}
static inline uint32_t vkc_ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t vkc_ld64(const uint8_t *p)
{
    return (uint64_t)vkc_ld32(p) | (uint64_t)vkc_ld32(p + 4) << 32;
}

/* float <-> bits without aliasing trouble. */
uint32_t vkc_f32_bits(float f);
float vkc_bits_f32(uint32_t u);

/* Monotone key of a float's bits for integer min/max: -NaN < -Inf < ... <
 * -0 < +0 < ... < +Inf < +NaN. */
static inline uint32_t vkc_order_key(uint32_t bits)
{
    return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
}
static inline uint32_t vkc_order_key_inv(uint32_t key)
{
    return (key & 0x80000000u) ? (key & 0x7fffffffu) : ~key;
}

/* Adds one flush window's record, as the range shader writes it (min key,
 * max key, |x| max bits, finite, zeros, NaN, +Inf, -Inf), into acc. */
void vkc_stats_add_record(vkc_stats *acc, const uint32_t rec[8]);

/* IEEE half to float, exact. */
float vkc_half_to_float(uint16_t h);

/* Number of online processors, at least 1. */
uint32_t vkc_cpu_count(void);

#endif
