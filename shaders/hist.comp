#version 450
// Histogram pass over one chunk of float32 values (DESIGN.md §2).
// Workgroup: a grid-stride slice of the chunk and, where shared memory
// allows, REPLICAS private copies of the histogram, merged into the global
// one at the end. Invocation: four consecutive values per step (one 16-byte
// load), elements 4*gid.., 4*(gid + stride).., and its own replica
// (lid % REPLICAS), so neighbouring invocations that hit the same bin (a
// post-ReLU tensor sends half its values to bin 0) update different
// counters; consecutive hits of one bin are merged into one atomic add.
// Bindings: 0 = input words (float bits; read as uvec4, the tail as uint),
//   1 = global counts (uint per bin; the host flushes them to uint64 before
//   2^32 values accumulate).
// Push constants: n, kind (0: |x| over [0, A]; 1: x over [lo, hi]), inv, lo.
// Specialization: 0 = local size, 1 = BINS, 2 = use the shared histogram,
//   3 = shared array length (BINS * REPLICAS, or 1 when unused), 4 = REPLICAS.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint BINS = 2048u;
layout(constant_id = 2) const bool USE_SHARED = true;
layout(constant_id = 3) const uint SHARED_BINS = 2048u;
layout(constant_id = 4) const uint REPLICAS = 1u;

layout(std430, binding = 0) readonly buffer Input { uint x[]; };
layout(std430, binding = 0) readonly buffer Input4 { uvec4 x4[]; };
layout(std430, binding = 1) buffer Counts { uint counts[]; };
layout(push_constant) uniform Push { uint n; uint kind; float inv; float lo; } pc;

shared uint sh[SHARED_BINS];

// One float32 multiply, never contracted: the CPU reference does the same.
uint bin_of(uint bits)
{
    precise float t;
    if (pc.kind == 0u) t = uintBitsToFloat(bits & ABS_MASK) * pc.inv;
    else t = (uintBitsToFloat(bits) - pc.lo) * pc.inv;
    if (!(t > 0.0)) return 0u;
    return t < float(BINS) ? uint(t) : BINS - 1u;
}

uint replica;

void add(uint b, uint c)
{
    if (USE_SHARED) atomicAdd(sh[b * REPLICAS + replica], c);
    else atomicAdd(counts[b], c);
}

uint cur = 0u, run = 0u;

void count(uint bits)
{
    if (is_nonfinite(bits)) return;
    uint b = bin_of(bits);
    if (b == cur) {
        run++;
    } else {
        if (run != 0u) add(cur, run);
        cur = b;
        run = 1u;
    }
}

void main()
{
    uint lid = gl_LocalInvocationID.x;
    replica = lid % REPLICAS;
    if (USE_SHARED) {
        for (uint b = lid; b < SHARED_BINS; b += gl_WorkGroupSize.x) sh[b] = 0u;
        barrier();
    }

    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    uint quads = pc.n / 4u;
    for (uint q = gl_GlobalInvocationID.x; q < quads; q += stride) {
        uvec4 v = x4[q];
        count(v.x); count(v.y); count(v.z); count(v.w);
    }
    // The last n % 4 values, one invocation each.
    uint tail = quads * 4u + gl_GlobalInvocationID.x;
    if (tail < pc.n) count(x[tail]);
    if (run != 0u) add(cur, run);

    if (USE_SHARED) {
        barrier();
        for (uint b = lid; b < BINS; b += gl_WorkGroupSize.x) {
            uint c = 0u;
            for (uint r = 0u; r < REPLICAS; r++) c += sh[b * REPLICAS + r];
            if (c != 0u) atomicAdd(counts[b], c);
        }
    }
}
