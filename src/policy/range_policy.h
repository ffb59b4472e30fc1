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

/* vkc_qparams, vkc_qparams_from_range, vkc_quant_of, vkc_qparams_amax and
 * the enum names are public (vkcalib.h); the table above is their
 * contract. */

#endif
