#version 450
// Entropy (KL) threshold search, float32 evaluation of every candidate of
// every tensor in one dispatch (DESIGN.md §2, modelopt definitions; with a
// tensor's level map 1, the block levels of Paddle's and PPQ's searches).
// Workgroup (c, t): candidate i = start + c * stride of tensor t.
// Invocation: quantized levels k = lid, lid + WG, ...; for each it forms
// the level's mean from exact prefix sums and sums, over the level's
// non-empty bins j, P_j * (ln(P_j / hmax) - ln(qbar_k / hmax)), plus an
// error-scale term; the workgroup reduces both (subgroup operations where
// enabled, shared memory otherwise, no subgroup size assumed).
// Result: KL = sum / T + ln(H_i / T) and an error bound; the host keeps
// every candidate the bound cannot exclude and re-evaluates those in double.
// Bindings: 0 = packed tensor data (words: the VKC_KL_* records of
//           vk/shader_layout.h, then each tensor's bins and prefix regions),
//           1 = out (vec2 {kl, err} per candidate).
// Push constants: none. Specialization (VKC_SEARCH_SC_*): local size, use
//   subgroup arithmetic.
#extension GL_KHR_shader_subgroup_arithmetic : enable
#extension GL_KHR_shader_subgroup_basic : enable
#extension GL_GOOGLE_include_directive : require
#include "vk/shader_layout.h"

layout(local_size_x_id = VKC_SEARCH_SC_LOCAL) in;
layout(constant_id = VKC_SEARCH_SC_SUBGROUP) const bool USE_SUBGROUP = false;

layout(std430, binding = 0) readonly buffer Data { uint d[]; };
layout(std430, binding = 1) writeonly buffer Out { vec2 res[]; };

shared float red_sum[gl_WorkGroupSize.x];
shared float red_err[gl_WorkGroupSize.x];

// Exact uint64 prefix sum at position j (two words) as a float.
uvec2 pre64(uint base, uint j)
{
    return uvec2(d[base + VKC_KL_PRE_WORDS * j], d[base + VKC_KL_PRE_WORDS * j + 1u]);
}
uint prenz(uint base, uint j) { return d[base + VKC_KL_PRE_WORDS * j + 2u]; }
float diff64(uvec2 a, uvec2 b)
{
    uint borrow;
    uint lo = usubBorrow(a.x, b.x, borrow);
    uint hi = a.y - b.y - borrow;
    return float(hi) * 4294967296.0 + float(lo);
}
float hf(uint bins, uint j) { return uintBitsToFloat(d[bins + VKC_KL_BIN_WORDS * j]); }
float lnh(uint bins, uint j) { return uintBitsToFloat(d[bins + VKC_KL_BIN_WORDS * j + 1u]); }

void reduce2(inout float a, inout float b)
{
    uint lid = gl_LocalInvocationID.x;
    if (USE_SUBGROUP) {
        a = subgroupAdd(a);
        b = subgroupAdd(b);
        if (subgroupElect()) { red_sum[gl_SubgroupID] = a; red_err[gl_SubgroupID] = b; }
        barrier();
        if (lid == 0u) {
            a = 0.0; b = 0.0;
            for (uint s = 0u; s < gl_NumSubgroups; s++) { a += red_sum[s]; b += red_err[s]; }
        }
        return;
    }
    red_sum[lid] = a;
    red_err[lid] = b;
    barrier();
    for (uint w = gl_WorkGroupSize.x / 2u; w > 0u; w >>= 1u) {
        if (lid < w) { red_sum[lid] += red_sum[lid + w]; red_err[lid] += red_err[lid + w]; }
        barrier();
    }
    a = red_sum[0];
    b = red_err[0];
}

void main()
{
    uint t = gl_WorkGroupID.y, c = gl_WorkGroupID.x, rec = t * VKC_KL_REC;
    uint n = d[rec + VKC_KL_N], L = d[rec + VKC_KL_LEVELS];
    // Uniform per workgroup, so the early return keeps barriers legal.
    if (c >= d[rec + VKC_KL_NCAND]) return;
    uint i = d[rec + VKC_KL_START] + c * d[rec + VKC_KL_STRIDE];
    uint bins = d[rec + VKC_KL_BINS], pre = d[rec + VKC_KL_PRE];
    float total = uintBitsToFloat(d[rec + VKC_KL_TOTAL]), hmax = uintBitsToFloat(d[rec + VKC_KL_HMAX]);
    uvec2 Hi = pre64(pre, i), Hn = pre64(pre, n);
    float outliers = diff64(Hn, Hi);
    bool last_empty = d[bins + VKC_KL_BIN_WORDS * (i - 1u)] == 0u;

    float sum = 0.0, err = 0.0;
    bool blocks = d[rec + VKC_KL_MAP] == VKC_KL_MAP_BLOCKS;
    uint m = i / L;
    for (uint k = gl_LocalInvocationID.x; k < L; k += gl_WorkGroupSize.x) {
        uint b0 = (k * i + L - 1u) / L, b1 = ((k + 1u) * i + L - 1u) / L;
        if (blocks) { b0 = k * m; b1 = k + 1u == L ? i : b0 + m; }
        uint nk = prenz(pre, b1) - prenz(pre, b0);
        if (nk == 0u) continue;
        float M = diff64(pre64(pre, b1), pre64(pre, b0));
        precise float lnq = log(M / (float(nk) * hmax));
        uint jend = b1 == i ? i - 1u : b1; // bin i-1 carries the outliers
        for (uint j = b0; j < jend; j++) {
            float h = hf(bins, j);
            if (h == 0.0) continue;
            float lh = lnh(bins, j);
            sum += h * (lh - lnq);
            err += h * (abs(lh) + abs(lnq) + 1.0);
        }
        if (b1 == i && !last_empty) {
            float P = hf(bins, i - 1u) + outliers;
            float lp = log(P / hmax);
            sum += P * (lp - lnq);
            err += P * (abs(lp) + abs(lnq) + 1.0);
        }
    }
    reduce2(sum, err);
    if (gl_LocalInvocationID.x == 0u) {
        float kl = sum / total + log(diff64(Hi, uvec2(0u)) / total);
        // Rounding of logs, products and the reduction stays below about
        // 1e-5 of the error scale (README: exactness); keep a 10x margin.
        float bound = 1e-4 * (err / total) + 1e-5;
        if (last_empty && outliers > 0.0) { kl = 3.0e38; bound = 0.0; } // +inf: host decides exactly
        res[d[rec + VKC_KL_OUT] + c] = vec2(kl, bound);
    }
}
