/* TensorRT calibration cache (DESIGN.md §4): writer and reader.
 *
 *   TRT-8601-EntropyCalibration2
 *   input: 3c010204
 *   /layer1/Relu_output_0: 3d418306
 *
 * One `<tensor name>: <hex>` line per tensor; hex is the IEEE-754 bit
 * pattern of the float32 scale amax / 127, 8 lowercase digits. */
#ifndef VKC_TRTCACHE_H
#define VKC_TRTCACHE_H

#include "base/common.h"
#include "base/strbuf.h"

#include <stddef.h>
#include <stdint.h>

#define VKC_TRT_VERSION_DEFAULT 8601u
#define VKC_TRT_ALGO_DEFAULT "EntropyCalibration2"

/* The smallest amax written to a cache (and used by the range policy,
 * ranges.h): 2^-24, the smallest float16 subnormal. An all-zero tensor has
 * amax 0, whose scale 0 TensorRT would divide by; a tiny amax (below about
 * 1.5e-36) gives a subnormal or zero float32 scale. Flooring at 2^-24 gives
 * the scale 2^-24/127 = 4.69e-10 (bits 30010204), a normal float32 whose
 * reciprocal (2.1e9) is finite too. 2^-24 is also the threshold below which
 * pytorch-quantization and Model Optimizer already treat an amax as zero, so
 * a tensor floored here is one the reference considers all-zero, and a
 * tensor it quantizes normally is never floored. Any positive scale maps
 * zeros to 0 exactly, so the floor's value does not change the result for
 * an all-zero tensor. */
/* VKC_AMAX_FLOOR is public (vkcalib.h). */

/* Formats a cache into out (appended). trt_version 0 means
 * VKC_TRT_VERSION_DEFAULT, algo NULL means VKC_TRT_ALGO_DEFAULT. Lines follow
 * the input order. amax below VKC_AMAX_FLOOR (0 for an all-zero tensor,
 * also -0) is raised to the floor and counted in *floored (may be NULL).
 * Errors, which leave out as it was: VKC_ERROR_INVALID_ARGUMENT for a NaN,
 * infinite or negative amax, one whose scale overflows float32, a NULL or
 * empty name, a name or algo containing '\n' or '\r' (they would break the
 * line format), an empty algo; VKC_ERROR_OUT_OF_MEMORY when out latched
 * oom. Names are otherwise written verbatim (':' and spaces included: the
 * reader splits at the last ": "). */
vkc_status vkc_trtcache_format(vkc_buf *out, uint32_t trt_version, const char *algo,
                               const char *const *names, const double *amax, size_t n,
                               uint32_t *floored, vkc_msg *msg);

/* The float32 scale written for amax (after the floor), or a negative
 * value for amax that is NaN, infinite, negative or too large. */
float vkc_trt_scale(double amax);

/* TensorRT's version integer: "8.6.1" -> 8601 (major*1000 + minor*100 +
 * patch before 10), "10.3.0" -> 100300 (major*10000 + minor*100 + patch from
 * 10 on). "8.6" means patch 0; a fourth (build) component, as in "8.6.1.6",
 * is ignored as TensorRT's own version integer does. A string of digits
 * only is taken as the integer itself ("8601"). Returns 0 with *ok = 0 when
 * s is none of these (or a component is out of range: minor > 9 or patch >
 * 99 before 10, minor or patch > 99 from 10 on). ok may be NULL. */
uint32_t vkc_trt_version_from_string(const char *s, int *ok);

typedef struct vkc_trtcache_entry {
    char *name;
    uint32_t bits;   /* as written */
    float scale;     /* bits as float32 */
    double amax;     /* scale * 127 in double */
} vkc_trtcache_entry;

typedef struct vkc_trtcache {
    uint32_t version;
    char *algo;
    vkc_trtcache_entry *entries; /* file order; duplicates are kept */
    size_t count;
} vkc_trtcache;

/* Parses a cache from memory (not necessarily NUL-terminated). Accepts any
 * header `TRT-<digits>-<algo>`, 1 to 8 hex digits in either case (TensorRT
 * writes a zero scale as `0`), names containing ':' or spaces (the line is
 * split at its last ": "), CRLF or LF line ends, an optional final newline,
 * blank (or all-whitespace) lines anywhere, and spaces or tabs after the
 * hex. Rejected with VKC_ERROR_FORMAT and the line number: a missing or
 * malformed header, a line without ": ", an empty name, bad hex, a scale
 * that is NaN, infinite or negative, a NUL byte or a lone '\r'. On error
 * *out is left empty (freeing it is harmless). Never reads past len. */
vkc_status vkc_trtcache_parse(const char *buf, size_t len, vkc_trtcache *out, vkc_msg *msg);
void vkc_trtcache_free(vkc_trtcache *c);

#endif
