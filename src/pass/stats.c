/* Merging range statistics: shared by the backends, the passes and the
 * state files. */
#include "base/common.h"
#include "vk/shader_layout.h"

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

/* rec: the range shader's record (VKC_RANGE_* words). */
void vkc_stats_add_record(vkc_stats *acc, const uint32_t rec[VKC_RANGE_WORDS])
{
    merge_keys(acc, rec[VKC_RANGE_MIN_KEY], rec[VKC_RANGE_MAX_KEY], rec[VKC_RANGE_ABS_BITS], rec[VKC_RANGE_FINITE]);
    acc->count += rec[VKC_RANGE_FINITE];
    acc->zeros += rec[VKC_RANGE_ZEROS];
    acc->nan += rec[VKC_RANGE_NAN];
    acc->pos_inf += rec[VKC_RANGE_POS_INF];
    acc->neg_inf += rec[VKC_RANGE_NEG_INF];
}

