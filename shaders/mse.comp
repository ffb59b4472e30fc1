#version 450
// MSE threshold search (DESIGN.md §2, modelopt): float32 evaluation of
// every candidate of every tensor in one dispatch.
// Workgroup (c, t): candidate i = start + c of tensor t, amax = centre of
// bin i. Invocation: bins j = lid, lid + WG, ...; each adds
// h_j * e_j^2 with e_j = q_j (2i+1) - (2j+1) bound, q_j = round((2j+1) bound /
// (2i+1)) clamped to bound: the squared quantization error of centre j in
// units of (w / 2 bound)^2, an exact integer below 2^24 before squaring.
// Every term is non-negative, so the float32 sum is within a small relative
// error of the exact one; the host re-evaluates in exact integers every
// candidate that relative band cannot exclude.
// Bindings: 0 = packed data (the VKC_MSE_* records of vk/shader_layout.h:
//   n, start, ncand, bound, counts offset, out offset; counts as float32),
//   1 = out (float per candidate). Specialization (VKC_SEARCH_SC_*): local
//   size, use subgroup arithmetic.
#extension GL_KHR_shader_subgroup_arithmetic : enable
#extension GL_KHR_shader_subgroup_basic : enable
#extension GL_GOOGLE_include_directive : require
#include "vk/shader_layout.h"

layout(local_size_x_id = VKC_SEARCH_SC_LOCAL) in;
layout(constant_id = VKC_SEARCH_SC_SUBGROUP) const bool USE_SUBGROUP = false;

layout(std430, binding = 0) readonly buffer Data { uint d[]; };
layout(std430, binding = 1) writeonly buffer Out { float res[]; };

shared float red[gl_WorkGroupSize.x];

float reduce(float a)
{
    uint lid = gl_LocalInvocationID.x;
    if (USE_SUBGROUP) {
        a = subgroupAdd(a);
        if (subgroupElect()) red[gl_SubgroupID] = a;
        barrier();
        a = 0.0;
        for (uint s = 0u; s < gl_NumSubgroups; s++) a += red[s];
        return a;
    }
    red[lid] = a;
    barrier();
    for (uint w = gl_WorkGroupSize.x / 2u; w > 0u; w >>= 1u) {
        if (lid < w) red[lid] += red[lid + w];
        barrier();
    }
    return red[0];
}

void main()
{
    uint t = gl_WorkGroupID.y, c = gl_WorkGroupID.x, rec = t * VKC_MSE_REC;
    if (c >= d[rec + VKC_MSE_NCAND]) return; // uniform per workgroup
    uint n = d[rec + VKC_MSE_N], i = d[rec + VKC_MSE_START] + c, bound = d[rec + VKC_MSE_BOUND];
    uint counts = d[rec + VKC_MSE_COUNTS];
    uint den = 2u * i + 1u;
    float sum = 0.0;
    for (uint j = gl_LocalInvocationID.x; j < n; j += gl_WorkGroupSize.x) {
        float h = uintBitsToFloat(d[counts + j]);
        if (h == 0.0) continue;
        uint a = (2u * j + 1u) * bound;
        uint q = min((2u * a + den) / (2u * den), bound);
        uint qd = q * den;
        float e = float(qd > a ? qd - a : a - qd);
        sum += h * (e * e);
    }
    sum = reduce(sum);
    if (gl_LocalInvocationID.x == 0u) res[d[rec + VKC_MSE_OUT] + c] = sum;
}
