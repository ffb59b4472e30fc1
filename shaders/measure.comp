#version 450
// Quality pass: fake-quantizes one chunk at a tensor's chosen range and
// sums what SQNR needs. Workgroup: a grid-stride slice of the chunk; it
// writes one partial record, which the host adds up in double (no float
// atomics needed). Invocation: elements gid, gid + stride, ...
// q = clamp(round(x / scale) + zp, qmin, qmax) (round half to even),
// x' = (q - zp) * scale; signal += x^2, noise += (x - x')^2, clipped counts
// values whose code fell outside [qmin, qmax]. Non-finite values are skipped.
// Bindings: 0 = input words (float bits), 1 = partials (VKC_MEASURE_WORDS
// per workgroup: signal f32, noise f32, clipped, finite; vk/shader_layout.h).
// Push constants: VKC_MEASURE_PUSH: n, scale, zero point, qmin, qmax.
// Specialization: 0 = local size.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "vk/shader_layout.h"

layout(local_size_x_id = 0) in;

layout(std430, binding = 0) readonly buffer Input { uint x[]; };
layout(std430, binding = 1) writeonly buffer Partials { uint part[]; };
VKC_PUSH_BLOCK(VKC_MEASURE_PUSH, pc)

shared float s_sig[gl_WorkGroupSize.x];
shared float s_err[gl_WorkGroupSize.x];
shared uint s_clip[gl_WorkGroupSize.x];
shared uint s_cnt[gl_WorkGroupSize.x];

void main()
{
    uint lid = gl_LocalInvocationID.x;
    float sig = 0.0, err = 0.0;
    uint clip = 0u, cnt = 0u;
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < pc.n; i += stride) {
        uint bits = x[i];
        if (is_nonfinite(bits)) continue;
        float v = uintBitsToFloat(bits);
        float r = roundEven(v / pc.scale);
        // Clamp in float first: huge ratios must not overflow the int.
        float lo = float(pc.qmin - pc.zp), hi = float(pc.qmax - pc.zp);
        if (r < lo || r > hi) clip++;
        float q = clamp(r, lo, hi);
        float d = v - q * pc.scale;
        sig += v * v;
        err += d * d;
        cnt++;
    }
    s_sig[lid] = sig; s_err[lid] = err; s_clip[lid] = clip; s_cnt[lid] = cnt;
    barrier();
    for (uint w = gl_WorkGroupSize.x / 2u; w > 0u; w >>= 1u) {
        if (lid < w) {
            s_sig[lid] += s_sig[lid + w]; s_err[lid] += s_err[lid + w];
            s_clip[lid] += s_clip[lid + w]; s_cnt[lid] += s_cnt[lid + w];
        }
        barrier();
    }
    if (lid == 0u) {
        uint o = gl_WorkGroupID.x * VKC_MEASURE_WORDS;
        part[o + VKC_MEASURE_SIGNAL] = floatBitsToUint(s_sig[0]);
        part[o + VKC_MEASURE_NOISE] = floatBitsToUint(s_err[0]);
        part[o + VKC_MEASURE_CLIPPED] = s_clip[0];
        part[o + VKC_MEASURE_FINITE] = s_cnt[0];
    }
}
