/* Merging range statistics: shared by the backends, the passes and the
 * state files. */
#include "base/common.h"

/* Merges via the same integer keys the shader uses, so -0 < +0 holds. */
static void merge_keys(vkc_stats *a, uint32_t kmin, uint32_t kmax, uint32_t abits, uint64_t count)
{
    if (count == 0) return;
    if (a->count == 0) {
        a->min = vkc_bits_f32(vkc_order_key_inv(kmin));
        a->max = vkc_bits_f32(vkc_order_key_inv(kmax));
        a->absmax = vkc_bits_f32(abits);
        return;
    }
    uint32_t amin = vkc_order_key(vkc_f32_bits(a->min)), amax = vkc_order_key(vkc_f32_bits(a->max));
    if (kmin < amin) a->min = vkc_bits_f32(vkc_order_key_inv(kmin));
    if (kmax > amax) a->max = vkc_bits_f32(vkc_order_key_inv(kmax));
    if (abits > vkc_f32_bits(a->absmax)) a->absmax = vkc_bits_f32(abits);
}

void vkc_stats_merge(vkc_stats *a, const vkc_stats *b)
{
    if (!a || !b) return;
    merge_keys(a, vkc_order_key(vkc_f32_bits(b->min)), vkc_order_key(vkc_f32_bits(b->max)),
               vkc_f32_bits(b->absmax), b->count);
    a->count += b->count;
    a->zeros += b->zeros;
    a->nan += b->nan;
    a->pos_inf += b->pos_inf;
    a->neg_inf += b->neg_inf;
}

void vkc_stats_add_record(vkc_stats *acc, const uint32_t rec[8])
{
    merge_keys(acc, rec[0], rec[1], rec[2], rec[3]);
    acc->count += rec[3];
    acc->zeros += rec[4];
    acc->nan += rec[5];
    acc->pos_inf += rec[6];
    acc->neg_inf += rec[7];
}

