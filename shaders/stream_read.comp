#version 450
// Read ceiling for bench/gpu_sweep: streams a buffer once, as the histogram
// and range tile loops do, and does nothing with it but a xor, so that its
// time is the device's read bandwidth for that access pattern.
// Workgroup: tiles of WG * LOADS 16-byte quads, tiles w, w + groups, ...
// Invocation: quads lid, lid + WG, ... of a tile, LOADS loads in flight;
// it xors them into one quad and stores it only if it equals the push
// constant magic (never, in practice: it keeps the loads alive).
// Bindings: 0 = input quads, 1 = one output word.
// Push constants: VKC_STREAM_PUSH (vk/shader_layout.h): quads, magic.
// Specialization (VKC_STREAM_SC_*): local size, LOADS.
#extension GL_GOOGLE_include_directive : require
#include "vk/shader_layout.h"

layout(local_size_x_id = VKC_STREAM_SC_LOCAL) in;
layout(constant_id = VKC_STREAM_SC_LOADS) const uint LOADS = 4u;

layout(std430, binding = 0) readonly buffer Input { uvec4 xq[]; };
layout(std430, binding = 1) writeonly buffer Out { uint o[]; };
VKC_PUSH_BLOCK(VKC_STREAM_PUSH, pc)

void main()
{
    uint lid = gl_LocalInvocationID.x, wg = gl_WorkGroupSize.x;
    uint tq = wg * LOADS, tiles = (pc.quads + tq - 1u) / tq;
    uvec4 acc = uvec4(0u);
    for (uint t = gl_WorkGroupID.x; t < tiles; t += gl_NumWorkGroups.x) {
        uvec4 w[VKC_STREAM_MAX_LOADS];
        for (uint v = 0u; v < LOADS; v++) {
            uint q = t * tq + v * wg + lid;
            w[v] = q < pc.quads ? xq[q] : uvec4(0u);
        }
        for (uint v = 0u; v < LOADS; v++) acc ^= w[v];
    }
    if ((acc.x ^ acc.y ^ acc.z ^ acc.w) == pc.magic) o[0] = 1u;
}
