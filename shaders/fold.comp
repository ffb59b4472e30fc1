#version 450
// Moves a recorder's 32-bit working counters into its 64-bit totals and
// restores the working buffer to neutral, so that the recorder's working
// counters never wrap however much the application records between reads
// (vkc_recorder). Needs no int64 support.
// Invocation i owns counter i: w[src + i] and the pair t[dst + 2i] (low),
// t[dst + 2i + 1] (high); invocation 0 also owns the range record's keys
// when keys != 0: the VKC_RANGE_KEYS words of the record (min key, max key,
// |x| max bits) into the same words of the totals (vk/shader_layout.h).
// No atomics: nothing else touches these words during the dispatch.
// Bindings: 0 = working buffer, 1 = totals (words).
// Push constants: VKC_FOLD_PUSH: src, dst (word offsets), n (counters), keys.
#extension GL_GOOGLE_include_directive : require
#include "vk/shader_layout.h"

layout(local_size_x = VKC_FOLD_LOCAL) in;

layout(std430, binding = 0) buffer Work { uint w[]; };
layout(std430, binding = 1) buffer Total { uint t[]; };
VKC_PUSH_BLOCK(VKC_FOLD_PUSH, pc)

void main()
{
    uint i = gl_GlobalInvocationID.x;
    if (pc.keys != 0u && i == 0u) {
        t[VKC_RANGE_MIN_KEY] = min(t[VKC_RANGE_MIN_KEY], w[VKC_RANGE_MIN_KEY]);
        t[VKC_RANGE_MAX_KEY] = max(t[VKC_RANGE_MAX_KEY], w[VKC_RANGE_MAX_KEY]);
        t[VKC_RANGE_ABS_BITS] = max(t[VKC_RANGE_ABS_BITS], w[VKC_RANGE_ABS_BITS]);
        w[VKC_RANGE_MIN_KEY] = 0xffffffffu;
        w[VKC_RANGE_MAX_KEY] = 0u;
        w[VKC_RANGE_ABS_BITS] = 0u;
    }
    if (i >= pc.n) return;
    uint v = w[pc.src + i];
    if (v == 0u) return;
    w[pc.src + i] = 0u;
    uint lo = t[pc.dst + 2u * i];
    uint sum = lo + v;
    t[pc.dst + 2u * i] = sum;
    if (sum < lo) t[pc.dst + 2u * i + 1u] += 1u;
}
