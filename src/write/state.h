/* Calibration state files (.vkch): the range statistics and, after the
 * histogram pass, the uint64 histograms of every tensor, so that a
 * calibration can be split over processes and machines and merged exactly.
 *
 * Layout (all integers little-endian, whatever the host):
 *   "VKCH" u32 version u32 phase(1 range, 2 histogram) u32 bins
 *   u32 flags(bit 0: non-finite values excluded) [v2: u32 flavor]
 *   u32 ntensors
 *   per tensor: u32 name length, name bytes (UTF-8, no NUL),
 *     f32 bits min, max, absmax, hist_hi; [v2: f32 bits hist_lo, absmin;
 *     u32 hist kind; u64 image elements, H * W]; u64 count, zeros, nan,
 *     pos_inf, neg_inf; then, in phase 2, bins x u64 counts
 *   u32 CRC-32 (zlib) of every byte before it.
 * Version 1 holds NVIDIA's flavours (histograms of |x| over [0, hist_hi]);
 * version 2, written only for the other tools' flavours, also their
 * histogram kind and what their geometry needs (min |x| for Paddle, the
 * shape for ncnn-aciq and MNN). A reader takes both; a writer writes the
 * oldest that holds the data, so NVIDIA-flavour files stay version 1.
 * The exact protocol: collect ranges on each shard, merge them, collect
 * histograms on each shard over the merged ranges, merge those, search. */
#ifndef VKC_STATE_H
#define VKC_STATE_H

#include "base/common.h"

#define VKC_STATE_VERSION 2u  /* the newest this code reads and writes */
#define VKC_STATE_RANGE 1u
#define VKC_STATE_HISTOGRAM 2u
#define VKC_STATE_FLAGS 1u /* the flag bits a state may have: bit 0, non-finite values excluded */

typedef struct vkc_state_tensor {
    char *name;
    vkc_stats st;
    float hist_hi;       /* histogram over [hist_lo, hist_hi] (phase 2) */
    float hist_lo;       /* v2; 0 in v1 */
    uint32_t kind;       /* v2: vkc_hist_kind; VKC_HIST_ABS in v1 */
    float absmin;        /* v2: min |x|, NaN when not measured; NaN in v1 */
    uint64_t image_elements, hw; /* v2: the shape a flavour needs; 0 unknown */
    uint64_t *counts;    /* bins counts in phase 2, NULL in phase 1 */
} vkc_state_tensor;

typedef struct vkc_state {
    uint32_t phase, bins, flags, ntensors;
    uint32_t flavor;     /* v2: vkc_flavor; 0 (modelopt) in v1, which holds NVIDIA's flavours */
    vkc_state_tensor *t;
} vkc_state;

/* Adds a tensor (copies name; counts may be NULL in phase 1). */
vkc_status vkc_state_add(vkc_state *s, const char *name, const vkc_stats *st, float hist_hi, const uint64_t *counts,
                         vkc_msg *msg);
vkc_status vkc_state_save(const char *path, const vkc_state *s, vkc_msg *msg);
/* Parses from memory; every field is bounds- and sanity-checked: known
 * phase and flag bits, at least one tensor, range statistics as the passes
 * make them (min <= max, absmax = max(|min|, |max|), zeros <= count, all
 * zero without finite values), counts that do not overflow, and a
 * histogram holding at most the finite values counted. */
vkc_status vkc_state_parse(const void *buf, size_t len, vkc_state *out, vkc_msg *msg);
vkc_status vkc_state_load(const char *path, vkc_state *out, vkc_msg *msg);
/* Adds b into a: same phase, bins, flags and tensor set; in phase 2 the
 * same ranges. Statistics merge as if one process saw both shards. */
vkc_status vkc_state_merge(vkc_state *a, const vkc_state *b, vkc_msg *msg);
void vkc_state_free(vkc_state *s);
/* Index of name, or UINT32_MAX. */
uint32_t vkc_state_find(const vkc_state *s, const char *name);

#endif
