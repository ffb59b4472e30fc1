/* Calibration state files (.vkch): the range statistics and, after the
 * histogram pass, the uint64 histograms of every tensor, so that a
 * calibration can be split over processes and machines and merged exactly.
 *
 * Layout (all integers little-endian, whatever the host):
 *   "VKCH" u32 version(1) u32 phase(1 range, 2 histogram) u32 bins
 *   u32 flags(bit 0: non-finite values excluded) u32 ntensors
 *   per tensor: u32 name length, name bytes (UTF-8, no NUL),
 *     f32 bits min, max, absmax, hist_hi; u64 count, zeros, nan, pos_inf,
 *     neg_inf; then, in phase 2, bins x u64 counts
 *   u32 CRC-32 (zlib) of every byte before it.
 * The exact protocol: collect ranges on each shard, merge them, collect
 * histograms on each shard over the merged ranges, merge those, search. */
#ifndef VKC_STATE_H
#define VKC_STATE_H

#include "base/common.h"

#define VKC_STATE_VERSION 1u
#define VKC_STATE_RANGE 1u
#define VKC_STATE_HISTOGRAM 2u
#define VKC_STATE_FLAGS 1u /* the flag bits a state may have: bit 0, non-finite values excluded */

typedef struct vkc_state_tensor {
    char *name;
    vkc_stats st;
    float hist_hi;       /* histogram of |x| over [0, hist_hi] (phase 2) */
    uint64_t *counts;    /* bins counts in phase 2, NULL in phase 1 */
} vkc_state_tensor;

typedef struct vkc_state {
    uint32_t phase, bins, flags, ntensors;
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
