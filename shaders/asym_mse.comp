#version 450
// Asymmetric MSE search (definitions in src/asym.h): float32 mean squared
// fake-quantization error of every window (a, b), b - a >= start, of one
// signed histogram, with a rigorous bound on its distance to the exact
// value, in one dispatch. Everything is in units of the bin width w, so
// that no value under- or overflows whatever the data's scale: edge k is
// lam + k (lam = lo / w), bin centre j is lam + j + 1/2, and the output is
// the MSE divided by w^2.
// Workgroup (x, y): width m = start + row0 + y, windows a = x * WG + lid,
// b = a + m (windows stored by width, src/asym.h); one invocation per
// window loops over the histogram's non-empty bins (the same bins for every
// invocation, so the loads are uniform).
//
// Exact target: sum h (d_q - c)^2 / T with the codes q the double
// definition assigns. Error analysis (Vulkan precision rules: < 1 ulp per
// correctly rounded op, U = 2^-23 relative; division 2.5 ulp; denormals may
// flush), with Gb >= max(|lo|, |hi|) / w (header):
//   edges, centres: 1.5 U Gb; range R = hip - lop: 3 U Gb + U R; scale
//   SC = R / 255: relative rho = 3 U Gb / R + 3.6 U;
//   zero point z = -lop / SC within ez = 1.1 (1.5 U Gb / SC + 255 (rho +
//   2.5 U)): when z lies within ez of a half-integer the double zero point
//   is uncertain and the window gets bound 3e38 (the host re-checks it);
//   code argument t = c * (1 / SC) within et = 1.1 (Gb / SC)(rho + 5 U): a bin
//   whose t lies within et of a half-integer may get the other code in
//   double; for those the difference of both codes' squared errors (plus
//   their own error) is added to the bound;
//   d = (q - zp) SC within 12.5 U Gb, e = d - c within eta = 18 U Gb
//   (header), so |h e~^2 - h e^2| <= h (2 |e~| eta + eta^2);
//   sums in blocks of 32 and 32 blocks: depth <= 66 + nnz / 1024 additions
//   per term; with the squares and products, (depth + 4) U sum h e^2.
//   The division by T: 3.6 U |value|; all multiplied by 1.05.
// Bindings: 0 = packed data (header, then (bin, count as float) of every
//   non-empty bin; layout in src/asym_gpu.c), 1 = vec2 {mse / w^2, bound}
//   per window, 2 = vec2 {least lower end, least upper end} per workgroup,
//   each end widened by 1% of the bound + 1e-6 |value| + 1e-12.
// Push constants: VKC_ASYM_PUSH (row0, window base, cell base), as
// shaders/asym_entropy.comp; header words VKC_AMSE_* (vk/shader_layout.h).
// Specialization: 0 = local size (a power of two), 1 = use subgroup
//   arithmetic.
#extension GL_KHR_shader_subgroup_arithmetic : enable
#extension GL_KHR_shader_subgroup_basic : enable
#extension GL_GOOGLE_include_directive : require
#include "vk/shader_layout.h"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const bool USE_SUBGROUP = false;

layout(std430, binding = 0) readonly buffer Data { uint d[]; };
layout(std430, binding = 1) writeonly buffer Win { vec2 win[]; };
layout(std430, binding = 2) writeonly buffer Cell { vec2 cell[]; };
VKC_PUSH_BLOCK(VKC_ASYM_PUSH, pc)

const uint H_N = VKC_AMSE_N, H_START = VKC_AMSE_START, H_ROWS = VKC_AMSE_ROWS, H_CPR = VKC_AMSE_CPR,
           H_NNZ = VKC_AMSE_NNZ, H_LAM = VKC_AMSE_LAM, H_TF = VKC_AMSE_TF, H_GB = VKC_AMSE_GB,
           H_ETA = VKC_AMSE_ETA;
const uint HDR = VKC_ASYM_HDR;
const float U = 1.1920928955078125e-7;
const float BIG = 3.0e38;

shared vec2 red[gl_WorkGroupSize.x];

float hf(uint k) { return uintBitsToFloat(d[k]); }

// {MSE / w^2, bound}; bound BIG when the window's zero point is uncertain.
vec2 window_mse(uint a, uint b)
{
    float lam = hf(H_LAM), gb = hf(H_GB), eta = hf(H_ETA), tf = hf(H_TF);
    uint nnz = d[H_NNZ];
    float lop = min(float(a) + lam, 0.0), hip = max(float(b) + lam, 0.0);
    float r = hip - lop;
    if (!(r > 1e-30)) return vec2(0.0, BIG);
    float sc = r / 255.0;
    float rho = 3.0 * U * gb / r + 3.6 * U;
    float z = -lop / sc;
    float ez = 1.1 * (1.5 * U * gb / sc + 255.0 * (rho + 2.5 * U));
    if (abs(z - floor(z) - 0.5) <= ez) return vec2(0.0, BIG);
    float zp = clamp(roundEven(z), 0.0, 255.0);
    float isc = 1.0 / sc;
    float et = 1.1 * (gb / sc) * (rho + 5.0 * U);

    precise float p2 = 0.0, p1 = 0.0, q2 = 0.0, q1 = 0.0, s2 = 0.0, s1 = 0.0;
    float amb = 0.0;
    for (uint i = 0u; i < nnz; i++) {
        uint j = d[HDR + 2u * i];
        float h = hf(HDR + 2u * i + 1u);
        float c = lam + (float(j) + 0.5);
        float t = c * isc;
        float q = clamp(roundEven(t) + zp, 0.0, 255.0);
        float e = (q - zp) * sc - c;
        p2 += h * (e * e);
        p1 += h * abs(e);
        float fl = floor(t);
        if (abs(t - fl - 0.5) <= et) {
            float e1 = (clamp(fl + zp, 0.0, 255.0) - zp) * sc - c;
            float e2 = (clamp(fl + 1.0 + zp, 0.0, 255.0) - zp) * sc - c;
            amb += h * (abs(e2 * e2 - e1 * e1) + 2.0 * max(abs(e1), abs(e2)) * eta + eta * eta);
        }
        if ((i & 31u) == 31u) {
            q2 += p2;
            q1 += p1;
            p2 = 0.0;
            p1 = 0.0;
            if ((i & 1023u) == 1023u) {
                s2 += q2;
                s1 += q1;
                q2 = 0.0;
                q1 = 0.0;
            }
        }
    }
    q2 += p2;
    q1 += p1;
    s2 += q2;
    s1 += q1;
    float depth = 66.0 + float(nnz) / 1024.0;
    float eabs = (depth + 4.0) * U * s2 + 2.0 * eta * s1 * (1.0 + depth * U) + eta * eta * tf * 1.0001 + 1.01 * amb;
    float v = s2 / tf;
    return vec2(v, 1.05 * (eabs / tf * (1.0 + 4.0 * U) + 3.6 * U * v) + 1e-30);
}

vec2 group_min(vec2 v)
{
    uint lid = gl_LocalInvocationID.x;
    if (USE_SUBGROUP) {
        v = vec2(subgroupMin(v.x), subgroupMin(v.y));
        if (subgroupElect()) red[gl_SubgroupID] = v;
        barrier();
        v = red[0];
        if (lid == 0u)
            for (uint s = 1u; s < gl_NumSubgroups; s++) v = min(v, red[s]);
        return v;
    }
    red[lid] = v;
    barrier();
    for (uint w = gl_WorkGroupSize.x / 2u; w > 0u; w >>= 1u) {
        if (lid < w) red[lid] = min(red[lid], red[lid + w]);
        barrier();
    }
    return red[0];
}

void main()
{
    uint lid = gl_LocalInvocationID.x;
    uint rows = d[H_ROWS];
    uint y = pc.row0 + gl_WorkGroupID.y;
    // Uniform per workgroup: the barriers below stay in uniform control flow.
    if (y >= rows) return;
    uint len = rows - y, first = gl_WorkGroupID.x * gl_WorkGroupSize.x;
    if (first >= len) return;
    uint a = first + lid;
    vec2 br = vec2(BIG);
    if (a < len) {
        vec2 r = window_mse(a, a + d[H_START] + y);
        uint rel = y - pc.row0;
        uint idx = pc.win_base + rel * (rows - pc.row0) - (rel * (rel - 1u)) / 2u + a;
        win[idx] = r;
        if (r.y < BIG) {
            float pad = 1.01 * r.y + 1e-6 * abs(r.x) + 1e-12;
            br = vec2(r.x - pad, r.x + pad);
        } else {
            br = vec2(-BIG, BIG);
        }
    }
    br = group_min(br);
    if (lid == 0u) cell[pc.cell_base + (y - pc.row0) * d[H_CPR] + gl_WorkGroupID.x] = br;
}
