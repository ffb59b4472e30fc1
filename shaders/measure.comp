#version 450
// Quality pass: fake-quantizes one chunk at a tensor's chosen range and
// sums what SQNR needs, exactly (the definition is vkc_quality's in
// include/vkcalib.h; src/pass/measure.c does the same on the CPU, bit for
// bit). Per finite value, in float32 (precise: no fused operations):
//   t = x * r (r = 1/scale in float32, from the host), c = clamp(roundEven(t),
//   lo, hi), clipped when roundEven(t) lies outside [lo, hi], e = t - c;
// the squares t*t and e*e are added to 224-bit fixed-point integers (seven
// 32-bit words, bit 0 = 2^-32; an infinite square counts as FLT_MAX,
// subnormal ones as 0: they lie below 2^-32), so the sums do not depend on
// the order of additions, the workgroup size or the device.
// Workgroup: a grid-stride slice of the chunk; its invocations' sums are
// added in shared memory and it writes one record of 16 words (sum t*t,
// sum e*e, clipped, finite), which the host adds up, exactly again.
// Invocation: elements gid, gid + stride, ...
// Bindings: 0 = input words (float bits), 1 = records (VKC_MEASURE_WORDS
// per workgroup, vk/shader_layout.h).
// Push constants: VKC_MEASURE_PUSH: n, r, lo, hi (lo = qmin - zp, hi =
// qmax - zp, as floats).
// Specialization: 0 = local size (a power of two, at most 64: the shared
// records take 64 B each).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "vk/shader_layout.h"

layout(local_size_x_id = 0) in;

layout(std430, binding = 0) readonly buffer Input { uint x[]; };
layout(std430, binding = 1) writeonly buffer Records { uint rec[]; };
VKC_PUSH_BLOCK(VKC_MEASURE_PUSH, pc)

const uint W = VKC_MEASURE_SUM_WORDS; // words per exact sum
shared uint s_rec[gl_WorkGroupSize.x * VKC_MEASURE_WORDS];

// Adds a[k..] += v with carries (k < W).
void add_at(inout uint a[VKC_MEASURE_CLIPPED], uint base, uint k, uint v)
{
    uint c = v;
    for (uint i = k; c != 0u && i < W; i++) a[base + i] = uaddCarry(a[base + i], c, c);
}

// a[base..base+6] += y (y >= 0) as fixed point.
void add_square(inout uint a[VKC_MEASURE_CLIPPED], uint base, float y)
{
    uint bits = floatBitsToUint(y);
    uint ex = bits >> 23u;
    if (ex == 0u) return; // zero or subnormal
    if (ex == 255u) {
        bits = 0x7f7fffffu;
        ex = 254u;
    }
    uint m = (bits & 0x7fffffu) | 0x800000u;
    int p = int(ex) - 118; // position of m's lowest bit: m 2^(ex - 150) in units of 2^-32
    if (p < 0) {
        if (p <= -24) return;
        m >>= uint(-p);
        p = 0;
    }
    uint w = uint(p) >> 5u, sh = uint(p) & 31u;
    add_at(a, base, w, m << sh);
    if (sh != 0u) add_at(a, base, w + 1u, m >> (32u - sh));
}

void main()
{
    uint lid = gl_LocalInvocationID.x;
    uint acc[VKC_MEASURE_CLIPPED]; // the two sums
    for (uint i = 0u; i < VKC_MEASURE_CLIPPED; i++) acc[i] = 0u;
    uint clip = 0u, cnt = 0u;
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < pc.n; i += stride) {
        uint bits = x[i];
        if (is_nonfinite(bits)) continue;
        float v = uintBitsToFloat(bits);
        precise float t = v * pc.r;
        float q = roundEven(t);
        if (q < pc.lo || q > pc.hi) clip++;
        precise float e = t - clamp(q, pc.lo, pc.hi);
        precise float tt = t * t;
        precise float ee = e * e;
        add_square(acc, 0u, tt);
        add_square(acc, W, ee);
        cnt++;
    }
    const uint R = VKC_MEASURE_WORDS;
    for (uint i = 0u; i < VKC_MEASURE_CLIPPED; i++) s_rec[lid * R + i] = acc[i];
    s_rec[lid * R + VKC_MEASURE_CLIPPED] = clip;
    s_rec[lid * R + VKC_MEASURE_FINITE] = cnt;
    barrier();
    for (uint w = gl_WorkGroupSize.x / 2u; w > 0u; w >>= 1u) {
        if (lid < w) {
            uint o = (lid + w) * R, d = lid * R;
            for (uint s = 0u; s < 2u; s++) {
                uint c = 0u;
                for (uint i = 0u; i < W; i++) {
                    uint c1, c2;
                    uint v = uaddCarry(s_rec[d + s * W + i], s_rec[o + s * W + i], c1);
                    s_rec[d + s * W + i] = uaddCarry(v, c, c2);
                    c = c1 + c2;
                }
            }
            s_rec[d + VKC_MEASURE_CLIPPED] += s_rec[o + VKC_MEASURE_CLIPPED];
            s_rec[d + VKC_MEASURE_FINITE] += s_rec[o + VKC_MEASURE_FINITE];
        }
        barrier();
    }
    if (lid < R) rec[gl_WorkGroupID.x * R + lid] = s_rec[lid];
}
