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
// Bindings: 0 = packed data (records of 8 words: n, start, ncand, bound,
//   counts offset, out offset; counts as float32), 1 = out (float per
//   candidate). Specialization: 0 = local size, 1 = use subgroup arithmetic.
#extension GL_KHR_shader_subgroup_arithmetic : enable
#extension GL_KHR_shader_subgroup_basic : enable

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const bool USE_SUBGROUP = false;

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
    uint t = gl_WorkGroupID.y, c = gl_WorkGroupID.x, rec = t * 8u;
    if (c >= d[rec + 2u]) return; // uniform per workgroup
    uint n = d[rec], i = d[rec + 1u] + c, bound = d[rec + 3u], counts = d[rec + 4u];
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
    if (gl_LocalInvocationID.x == 0u) res[d[rec + 5u] + c] = sum;
}
