#version 450
// Histogram pass over one chunk of float32 values (DESIGN.md §2, and the
// tools' kinds of src/pass/hist_kind.h).
// Workgroup: a grid-stride slice of the chunk and, where shared memory
// allows, a private copy of the histogram that it merges into the global one
// at the end. Invocation: elements gid, gid + stride, ...; consecutive hits
// of the same bin are merged into one atomic add (a post-ReLU tensor sends
// half its values to bin 0, which would otherwise serialise on one counter).
// Bindings: 0 = input (input.glsl), 1 = global counts (uint per bin;
//   the host flushes them to uint64 before 2^32 values accumulate), and in
//   edge mode, after the BINS counters, BINS + 1 edge keys (read only).
// Push constants: VKC_HIST_PUSH (vk/shader_layout.h): n, kind, inv, lo,
//   first = the chunk's first element in binding 0, skip_key. Multiply
//   mode: kind VKC_HIST_MUL_ABS = |x| over [0, A], VKC_HIST_MUL_SIGNED = x
//   over [lo, hi]; bin = one float32 multiply. Edge mode: kind = VKC_EDGE_*
//   flags (|x|, skip keys <= skip_key, drop keys outside [e_0, e_N]); the
//   bin is the largest k < BINS with key(e_k) <= key(t), found by binary
//   search on integer order keys, so no float arithmetic is involved.
// Specialization (VKC_HIST_SC_*): local size, BINS, use the shared
//   histogram, shared array length (BINS, or 1 when unused), dtype, edge
//   mode.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "vk/shader_layout.h"
#define DTYPE_ID VKC_HIST_SC_DTYPE
#include "input.glsl"

layout(local_size_x_id = VKC_HIST_SC_LOCAL) in;
layout(constant_id = VKC_HIST_SC_BINS) const uint BINS = 2048u;
layout(constant_id = VKC_HIST_SC_SHARED) const bool USE_SHARED = true;
layout(constant_id = VKC_HIST_SC_SHARED_WORDS) const uint SHARED_BINS = 2048u;
layout(constant_id = VKC_HIST_SC_EDGES) const bool EDGES = false;

layout(std430, binding = 1) buffer Counts { uint counts[]; };
VKC_PUSH_BLOCK(VKC_HIST_PUSH, pc)

shared uint sh[SHARED_BINS];

// One float32 multiply, never contracted: the CPU reference does the same.
// Edge mode: the bin of a value's bits, or BINS when it is not counted.
uint bin_of_edges(uint bits)
{
    if ((pc.kind & VKC_EDGE_ABS) != 0u) bits &= ABS_MASK;
    if (bits == 0x80000000u) bits = 0u; // -0 compares as +0
    uint key = order_key(bits);
    if ((pc.kind & VKC_EDGE_SKIP) != 0u && key <= pc.skip_key) return BINS;
    if ((pc.kind & VKC_EDGE_DROP) != 0u && (key < counts[BINS] || key > counts[2u * BINS])) return BINS;
    uint a = 0u, b = BINS - 1u;
    while (a < b) {
        uint m = (a + b + 1u) >> 1;
        if (counts[BINS + m] <= key) a = m;
        else b = m - 1u;
    }
    return a;
}

uint bin_of(uint bits)
{
    if (EDGES) return bin_of_edges(bits);
    precise float t;
    if (pc.kind == VKC_HIST_MUL_ABS) t = uintBitsToFloat(bits & ABS_MASK) * pc.inv;
    else t = (uintBitsToFloat(bits) - pc.lo) * pc.inv;
    if (!(t > 0.0)) return 0u;
    return t < float(BINS) ? uint(t) : BINS - 1u;
}

void add(uint b, uint c)
{
    if (USE_SHARED) atomicAdd(sh[b], c);
    else atomicAdd(counts[b], c);
}

void main()
{
    uint lid = gl_LocalInvocationID.x;
    if (USE_SHARED) {
        for (uint b = lid; b < BINS; b += gl_WorkGroupSize.x) sh[b] = 0u;
        barrier();
    }

    uint cur = 0u, run = 0u;
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < pc.n; i += stride) {
        uint bits = load_bits(pc.first + i);
        if (is_nonfinite(bits)) continue;
        uint b = bin_of(bits);
        if (b == BINS) continue;
        if (b == cur) {
            run++;
        } else {
            if (run != 0u) add(cur, run);
            cur = b;
            run = 1u;
        }
    }
    if (run != 0u) add(cur, run);

    if (USE_SHARED) {
        barrier();
        for (uint b = lid; b < BINS; b += gl_WorkGroupSize.x)
            if (sh[b] != 0u) atomicAdd(counts[b], sh[b]);
    }
}
