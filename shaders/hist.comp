#version 450
// Histogram pass over one chunk of float32, float16 or bfloat16 values
// (DESIGN.md §2, and the tools' kinds of src/pass/hist_kind.h).
// Workgroup: where shared memory allows, a private histogram (COPIES copies
// of it) that it merges into the global counts at the end; its share of
// the chunk depends on the loop:
// - LOADS = 0, the grid-stride loop: invocation gid takes elements gid,
//   gid + stride, ..., one word at a time; consecutive hits of one bin are
//   merged into one atomic add.
// - LOADS = k > 0, the tile loop: tiles of WG * k 16-byte quads; workgroup
//   w takes tiles w, w + groups, ... (uniform in the workgroup, so subgroup
//   operations and barriers inside are legal). In a tile, invocation lid
//   loads quads lid, lid + WG, ... (k loads in flight), then bins their 4
//   (float32) or 8 (16-bit) elements, each an add of 1 except where:
//     HOT (A)     bins hot0 .. hot0 + HOT - 1 are counted in registers,
//                 reduced per subgroup at the end (per invocation where
//                 built without subgroup arithmetic);
//     MATCH (B)   lanes of a subgroup that hit one bin add once, with their
//                 count: subgroupPartitionNV (VKC_HIST_SUBGROUP 3), else
//                 MATCH rounds of a ballot loop (2), the rest one by one;
//                 an add of 1 each where built without ballots;
//     COPIES (C)  invocation lid adds to copy lid % COPIES;
//     PACK16 (D)  two 16-bit counters per shared word, emptied into the
//                 global counts after every VKC_HIST_PACK16_ROUND elements
//                 of the workgroup, before one can overflow.
//   They combine freely. Without a shared histogram the adds go to the
//   global counts (COPIES must be 1, PACK16 false).
// Every variant adds the same integers: the counts are the same bit for bit.
// Bindings: 0 = input (input.glsl), 1 = global counts (uint per bin; the
//   host flushes them to uint64 before 2^32 values accumulate), and in edge
//   mode, after the BINS counters, BINS + 1 edge keys (read only).
// Push constants: VKC_HIST_PUSH (vk/shader_layout.h): n, kind, inv, lo,
//   first = the chunk's first element in binding 0, skip_key, hot0.
//   Multiply mode: kind VKC_HIST_MUL_ABS = |x| over [0, A],
//   VKC_HIST_MUL_SIGNED = x over [lo, hi]; bin = one float32 multiply. Edge
//   mode: kind = VKC_EDGE_* flags (|x|, skip keys <= skip_key, drop keys
//   outside [e_0, e_N]); the bin is the largest k < BINS with key(e_k) <=
//   key(t), found by binary search on integer order keys, so no float
//   arithmetic is involved.
// Specialization (VKC_HIST_SC_*): local size, BINS, use the shared
//   histogram, its length in words, dtype, edge mode, LOADS, HOT, MATCH,
//   COPIES, PACK16.
// Built four times (cmake/shaders.cmake), by the subgroup features the
//   module declares, so that a device only ever loads capabilities it has:
//   VKC_HIST_SUBGROUP 0 or undefined = none (shader hist: today's loop and
//   the variants without subgroup operations), 1 = arithmetic (hist_sg),
//   2 = and ballot (hist_ballot), 3 = and partitioned (hist_part). No
//   subgroup size is assumed.
#extension GL_GOOGLE_include_directive : require
#ifndef VKC_HIST_SUBGROUP
#define VKC_HIST_SUBGROUP 0
#endif
#if VKC_HIST_SUBGROUP >= 1
#extension GL_KHR_shader_subgroup_basic : enable
#extension GL_KHR_shader_subgroup_arithmetic : enable
#endif
#if VKC_HIST_SUBGROUP >= 2
#extension GL_KHR_shader_subgroup_ballot : enable
#endif
#if VKC_HIST_SUBGROUP >= 3
#extension GL_NV_shader_subgroup_partitioned : require
#endif
#include "common.glsl"
#include "vk/shader_layout.h"
#define DTYPE_ID VKC_HIST_SC_DTYPE
#include "input.glsl"

layout(local_size_x_id = VKC_HIST_SC_LOCAL) in;
layout(constant_id = VKC_HIST_SC_BINS) const uint BINS = 2048u;
layout(constant_id = VKC_HIST_SC_SHARED) const bool USE_SHARED = true;
layout(constant_id = VKC_HIST_SC_SHARED_WORDS) const uint SHARED_WORDS = 2048u;
layout(constant_id = VKC_HIST_SC_EDGES) const bool EDGES = false;
layout(constant_id = VKC_HIST_SC_LOADS) const uint LOADS = 0u;
layout(constant_id = VKC_HIST_SC_HOT) const uint HOT = 0u;
layout(constant_id = VKC_HIST_SC_MATCH) const uint MATCH = 0u;
layout(constant_id = VKC_HIST_SC_COPIES) const uint COPIES = 1u;
layout(constant_id = VKC_HIST_SC_PACK16) const bool PACK16 = false;

layout(std430, binding = 1) buffer Counts { uint counts[]; };
VKC_PUSH_BLOCK(VKC_HIST_PUSH, pc)

shared uint sh[SHARED_WORDS];

const uint NONE = 0xffffffffu; // "not counted"
uint hotc[VKC_HIST_MAX_HOT];   // A: this invocation's counts of the hot bins

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

// One float32 multiply, never contracted: the CPU reference does the same.
uint bin_of(uint bits)
{
    if (EDGES) return bin_of_edges(bits);
    precise float t;
    if (pc.kind == VKC_HIST_MUL_ABS) t = uintBitsToFloat(bits & ABS_MASK) * pc.inv;
    else t = (uintBitsToFloat(bits) - pc.lo) * pc.inv;
    if (!(t > 0.0)) return 0u;
    return t < float(BINS) ? uint(t) : BINS - 1u;
}

uint bin_or_none(uint bits)
{
    if (is_nonfinite(bits)) return NONE;
    uint b = bin_of(bits);
    return b == BINS ? NONE : b;
}

// ---- the grid-stride loop (LOADS = 0) -------------------------------------

void add_run(uint b, uint c)
{
    if (USE_SHARED) atomicAdd(sh[b], c);
    else atomicAdd(counts[b], c);
}

void grid_stride_loop()
{
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
            if (run != 0u) add_run(cur, run);
            cur = b;
            run = 1u;
        }
    }
    if (run != 0u) add_run(cur, run);
}

// ---- the tile loop (LOADS > 0) --------------------------------------------

// The shared word of bin b in this invocation's copy.
uint word_of(uint b)
{
    uint copy = COPIES > 1u ? gl_LocalInvocationID.x % COPIES : 0u;
    return (PACK16 ? b >> 1 : b) * COPIES + copy;
}

void add(uint b, uint c)
{
    if (!USE_SHARED) atomicAdd(counts[b], c);
    else if (PACK16) atomicAdd(sh[word_of(b)], c << ((b & 1u) << 4));
    else atomicAdd(sh[word_of(b)], c);
}

#if VKC_HIST_SUBGROUP >= 2
// The lanes of this subgroup whose b equals this lane's (itself at least).
uvec4 match(uint b)
{
#if VKC_HIST_SUBGROUP >= 3
    return subgroupPartitionNV(b);
#else
    uvec4 m = gl_SubgroupEqMask;
    bool done = b == NONE;
    for (uint r = 0u; r < MATCH; r++) {
        if (subgroupBallot(!done) == uvec4(0u)) break;
        if (!done) {
            uint v = subgroupBroadcastFirst(b); // among the lanes not yet matched
            uvec4 bal = subgroupBallot(b == v);
            if (b == v) {
                m = bal;
                done = true;
            }
        }
    }
    return m;
#endif
}
#endif

// One element, b = its bin or NONE. Every invocation of a subgroup calls
// this equally often (MATCH needs them together).
void count(uint b)
{
    if (HOT > 0u) {
        uint d = b - pc.hot0; // wraps past HOT for b < hot0 and NONE
        for (uint k = 0u; k < HOT; k++) hotc[k] += d == k ? 1u : 0u;
        if (d < HOT) b = NONE;
    }
#if VKC_HIST_SUBGROUP >= 2
    if (MATCH > 0u) {
        uvec4 m = match(b);
        // The lowest lane of each group adds the group's count.
        if (b != NONE && (m & gl_SubgroupLtMask) == uvec4(0u))
            add(b, uint(bitCount(m.x) + bitCount(m.y) + bitCount(m.z) + bitCount(m.w)));
        return;
    }
#endif
    if (b != NONE) add(b, 1u);
}

// D: empties the 16-bit counters into the global counts (between barriers).
void flush16()
{
    for (uint i = gl_LocalInvocationID.x; i < SHARED_WORDS; i += gl_WorkGroupSize.x) {
        uint v = sh[i];
        if (v == 0u) continue;
        sh[i] = 0u;
        uint b = (i / COPIES) << 1;
        if ((v & 0xffffu) != 0u) atomicAdd(counts[b], v & 0xffffu);
        if ((v >> 16) != 0u) atomicAdd(counts[b + 1u], v >> 16);
    }
}

void tile_loop()
{
    uint lid = gl_LocalInvocationID.x, wg = gl_WorkGroupSize.x;
    uint end = pc.first + pc.n, nwords = (end + EPW - 1u) / EPW;
    uint q0 = pc.first / QE, quads = (end + QE - 1u) / QE - q0;
    uint tq = wg * LOADS, tiles = (quads + tq - 1u) / tq;
    // The host keeps tq * QE <= VKC_HIST_PACK16_ROUND.
    uint per_round = max(VKC_HIST_PACK16_ROUND / (tq * QE), 1u), round = 0u;
    for (uint t = gl_WorkGroupID.x; t < tiles; t += gl_NumWorkGroups.x) {
        uint qb = q0 + t * tq + lid;
        uvec4 w[VKC_HIST_MAX_LOADS];
        for (uint v = 0u; v < LOADS; v++) w[v] = load_quad(qb + v * wg, nwords);
        for (uint v = 0u; v < LOADS; v++) {
            uint e0 = (qb + v * wg) * QE;
            for (uint j = 0u; j < 4u; j++)
                for (uint h = 0u; h < EPW; h++) {
                    uint e = e0 + j * EPW + h;
                    uint bits = DTYPE == 0u ? w[v][j] : widen16((w[v][j] >> (h << 4)) & 0xffffu);
                    count(e >= pc.first && e < end ? bin_or_none(bits) : NONE);
                }
        }
        if (PACK16 && USE_SHARED && ++round == per_round) {
            round = 0u;
            barrier();
            flush16();
            barrier();
        }
    }
}

// A: the register counts, per subgroup, into copy 0 (or the global counts
// where a 16-bit counter could not hold them).
void hot_flush()
{
    for (uint k = 0u; k < HOT; k++) {
        uint c = hotc[k];
#if VKC_HIST_SUBGROUP >= 1
        c = subgroupAdd(c);
        if (subgroupElect() && c != 0u) {
#else
        if (c != 0u) {
#endif
            uint b = pc.hot0 + k;
            if (USE_SHARED && !PACK16) atomicAdd(sh[b * COPIES], c);
            else atomicAdd(counts[b], c);
        }
    }
}

void main()
{
    uint lid = gl_LocalInvocationID.x;
    if (USE_SHARED) {
        for (uint i = lid; i < SHARED_WORDS; i += gl_WorkGroupSize.x) sh[i] = 0u;
        barrier();
    }
    if (LOADS == 0u) {
        grid_stride_loop();
    } else {
        for (uint k = 0u; k < VKC_HIST_MAX_HOT; k++) hotc[k] = 0u;
        tile_loop();
        hot_flush();
    }
    if (USE_SHARED) {
        barrier();
        for (uint b = lid; b < BINS; b += gl_WorkGroupSize.x) {
            uint s = 0u;
            for (uint c = 0u; c < COPIES; c++) {
                uint v = sh[(PACK16 ? b >> 1 : b) * COPIES + c];
                s += PACK16 ? (v >> ((b & 1u) << 4)) & 0xffffu : v;
            }
            if (s != 0u) atomicAdd(counts[b], s);
        }
    }
}
