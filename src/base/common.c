#include "base/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

vkc_status vkc_failv(vkc_msg *m, vkc_status s, const char *fmt, va_list ap)
{
    if (m) vsnprintf(m->text, sizeof m->text, fmt, ap);
    return s;
}

vkc_status vkc_fail(vkc_msg *m, vkc_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vkc_failv(m, s, fmt, ap);
    va_end(ap);
    return s;
}

vkc_status vkc_check_struct(vkc_structure_type stype, const void *pnext, vkc_structure_type want,
                            const char *what, vkc_msg *msg)
{
    if (stype != VKC_STRUCTURE_TYPE_UNSET && stype != want)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: sType is %d, expected %d (or 0)", what, (int)stype,
                        (int)want);
    if (pnext)
        return vkc_fail(msg, VKC_ERROR_UNSUPPORTED, "%s: pNext must be NULL (no extension structs in %s)", what,
                        VKC_VERSION_STRING);
    return VKC_OK;
}

void vkc_free(void *p)
{
    free(p);
}

uint32_t vkc_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

float vkc_bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

float vkc_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    if (exp == 0x1f) return vkc_bits_f32(sign | 0x7f800000u | (man << 13));
    if (exp != 0) return vkc_bits_f32(sign | ((exp + 112u) << 23) | (man << 13));
    if (man == 0) return vkc_bits_f32(sign);
    /* Subnormal half: value = man * 2^-24, exact in float. */
    float v = (float)man * (1.0f / 16777216.0f);
    return sign ? -v : v;
}

uint32_t vkc_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (uint32_t)n : 1u;
}

const char *vkc_status_name(vkc_status s)
{
    switch (s) {
    case VKC_OK: return "ok";
    case VKC_INCOMPLETE: return "incomplete";
    case VKC_ERROR_WRONG_PASS: return "call made in the wrong pass";
    case VKC_ERROR_EMPTY: return "no finite values";
    case VKC_ERROR_INVALID_ARGUMENT: return "invalid argument";
    case VKC_ERROR_UNSUPPORTED: return "unsupported";
    case VKC_ERROR_FORMAT: return "malformed input";
    case VKC_ERROR_NONFINITE: return "NaN or Inf in input";
    case VKC_ERROR_MISMATCH: return "mismatch";
    case VKC_ERROR_NO_VULKAN: return "no Vulkan loader";
    case VKC_ERROR_NO_DEVICE: return "no Vulkan device";
    case VKC_ERROR_VULKAN: return "Vulkan error";
    case VKC_ERROR_DEVICE_LOST: return "device lost";
    case VKC_ERROR_DEVICE_MEMORY: return "out of device memory";
    case VKC_ERROR_OUT_OF_MEMORY: return "out of host memory";
    case VKC_ERROR_IO: return "I/O error";
    }
    return "unknown status";
}

const char *vkc_version(void)
{
    return VKC_VERSION_STRING;
}

void *vkc_alloc_array(uint64_t count, size_t elem)
{
    uint64_t bytes;
    if (!vkc_mul_u64(count, elem, &bytes) || bytes > SIZE_MAX) return NULL;
    return malloc((size_t)(bytes ? bytes : 1));
}
