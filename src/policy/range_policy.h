/* The range policy of DESIGN.md §3: a calibrated range to scale and zero
 * point, plus the names of the enums of vkcalib.h.
 *
 * Dequantization is x = (q - zero_point) * scale with q in [-128, 127]
 * (int8) or [0, 255] (uint8).
 *
 * | mode       | caller passes          | range used           | scale        | zp                  |
 * | symmetric  | any lo <= hi, e.g.     | [-T, T],             | T / 127      | 0                   |
 * |            | (-T, T) or (min, max)  | T = max(|lo|, |hi|)  |              |                     |
 * | unsigned   | 0 <= lo <= hi, e.g.    | [0, T], T = hi       | T / 255      | 0 (uint8)           |
 * |            | (0, T) or (min, max)   |                      |              |                     |
 * | asymmetric | lo <= hi               | [min(lo,0),max(hi,0)]| (hi-lo)/255  | round(-lo/scale)-128|
 * | auto       | lo <= hi               | unsigned when lo >= 0, else symmetric                       |
 *
 * Symmetric ranges use the narrow codes [-127, 127] (as TensorRT does): -T
 * and T are codes -127 and 127, and (float)scale is the scale the TensorRT
 * cache writes for amax T. Asymmetric ranges use all 256 codes: lo is code
 * -128 and hi code 127, each within half a step (zero_point is rounded).
 *
 * Range ends are widened to include 0, so 0 is exactly representable (it is
 * q = zero_point). A range narrower than VKC_AMAX_FLOOR (trtcache.h), an
 * all-zero or near-zero tensor, is widened to it: T = VKC_AMAX_FLOOR, or
 * hi = lo + VKC_AMAX_FLOOR, so the scale is never 0, inf or NaN, and the
 * symmetric scale equals the one the TensorRT cache writes. */
#ifndef VKC_RANGES_H
#define VKC_RANGES_H

#include "base/common.h"

#include <stdint.h>

typedef struct vkc_qparams {
    double lo, hi;       /* the range represented, after widening and the floor */
    double scale;        /* > 0, finite */
    int32_t zero_point;  /* 0 except asymmetric; in [-128, 127] */
    int is_unsigned;     /* int type: 0 int8, 1 uint8 */
    vkc_mode mode;       /* the mode applied: never VKC_MODE_AUTO */
    int floored;         /* 1 when the floor widened the range */
} vkc_qparams;

/* VKC_ERROR_INVALID_ARGUMENT for NaN or infinite ends, lo > hi, lo < 0 in
 * unsigned mode, an unknown mode, or a range whose scale overflows. */
vkc_status vkc_qparams_from_range(vkc_mode mode, double lo, double hi, vkc_qparams *out,
                                  vkc_msg *msg);

/* Names as the CLI and the JSON use them; "unknown" for values outside the
 * enum. The parsers take exactly those names and return 1, else 0 (leaving
 * *out alone). */
const char *vkc_mode_name(vkc_mode m);
int vkc_mode_parse(const char *s, vkc_mode *out);
const char *vkc_method_name(vkc_method m);
int vkc_method_parse(const char *s, vkc_method *out);
const char *vkc_flavor_name(vkc_flavor f);
int vkc_flavor_parse(const char *s, vkc_flavor *out);

#endif
