#version 450
// Range pass over one chunk of float32, float16 or bfloat16 values.
// Invocation: private min/max keys, |x| max bits and counts of its
// elements; the workgroup merges them (subgroup operations first where
// enabled, then shared-memory atomics), and one invocation folds the
// workgroup's result into the global record with integer atomics.
// Which elements: LOADS = 0, the grid-stride loop: workgroups take a
//   grid-stride slice, invocation gid elements gid, gid + stride, ... one
//   word at a time. LOADS = k > 0, the tile loop (as in hist.comp): tiles of
//   WG * k 16-byte quads, workgroup w tiles w, w + groups, ...; invocation
//   lid loads quads lid, lid + WG, ... of a tile (k loads in flight), then
//   takes their elements.
// Bindings: 0 = input (input.glsl), 1 = the record VKC_RANGE_* of
//   vk/shader_layout.h: min key, max key, |x| max bits, then the counts
//   finite, zeros, NaN, +Inf, -Inf (per flush window, < 2^32).
// Push constants: VKC_RANGE_PUSH: n = elements in the chunk, first = its
//   first element in binding 0.
// Specialization (VKC_RANGE_SC_*): local size, use subgroup arithmetic,
//   dtype, LOADS.
#extension GL_KHR_shader_subgroup_arithmetic : enable
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "vk/shader_layout.h"
#define DTYPE_ID VKC_RANGE_SC_DTYPE
#include "input.glsl"

layout(local_size_x_id = VKC_RANGE_SC_LOCAL) in;
layout(constant_id = VKC_RANGE_SC_SUBGROUP) const bool USE_SUBGROUP = false;
layout(constant_id = VKC_RANGE_SC_LOADS) const uint LOADS = 0u;

layout(std430, binding = 1) buffer Record { uint rec[VKC_RANGE_WORDS]; };
VKC_PUSH_BLOCK(VKC_RANGE_PUSH, pc)

shared uint s_min, s_max, s_abs, s_cnt[VKC_RANGE_COUNTS];

// This invocation's statistics.
uint kmin = 0xffffffffu, kmax = 0u, amax = 0u;
uint finite = 0u, zeros = 0u, nan = 0u, pinf = 0u, ninf = 0u;

void take(uint b)
{
    if (is_nonfinite(b)) {
        if ((b & 0x007fffffu) != 0u) nan++;
        else if ((b & 0x80000000u) != 0u) ninf++;
        else pinf++;
        return;
    }
    uint k = order_key(b);
    kmin = min(kmin, k);
    kmax = max(kmax, k);
    amax = max(amax, b & ABS_MASK);
    finite++;
    if ((b & ABS_MASK) == 0u) zeros++;
}

void grid_stride_loop()
{
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < pc.n; i += stride) take(load_bits(pc.first + i));
}

void tile_loop()
{
    uint lid = gl_LocalInvocationID.x, wg = gl_WorkGroupSize.x;
    uint end = pc.first + pc.n, nwords = (end + EPW - 1u) / EPW;
    uint q0 = pc.first / QE, quads = (end + QE - 1u) / QE - q0;
    uint tq = wg * LOADS, tiles = (quads + tq - 1u) / tq;
    for (uint t = gl_WorkGroupID.x; t < tiles; t += gl_NumWorkGroups.x) {
        uint qb = q0 + t * tq + lid;
        uvec4 w[VKC_RANGE_MAX_LOADS];
        for (uint v = 0u; v < LOADS; v++) w[v] = load_quad(qb + v * wg, nwords);
        for (uint v = 0u; v < LOADS; v++) {
            uint e0 = (qb + v * wg) * QE;
            for (uint j = 0u; j < 4u; j++)
                for (uint h = 0u; h < EPW; h++) {
                    uint e = e0 + j * EPW + h;
                    if (e >= pc.first && e < end)
                        take(DTYPE == 0u ? w[v][j] : widen16((w[v][j] >> (h << 4)) & 0xffffu));
                }
        }
    }
}

void main()
{
    uint lid = gl_LocalInvocationID.x;
    if (lid == 0u) {
        s_min = 0xffffffffu; s_max = 0u; s_abs = 0u;
        for (uint k = 0u; k < VKC_RANGE_COUNTS; k++) s_cnt[k] = 0u;
    }
    barrier();

    if (LOADS == 0u) grid_stride_loop();
    else tile_loop();

    if (USE_SUBGROUP) {
        kmin = subgroupMin(kmin); kmax = subgroupMax(kmax); amax = subgroupMax(amax);
        finite = subgroupAdd(finite); zeros = subgroupAdd(zeros);
        nan = subgroupAdd(nan); pinf = subgroupAdd(pinf); ninf = subgroupAdd(ninf);
    }
    if (!USE_SUBGROUP || subgroupElect()) {
        atomicMin(s_min, kmin); atomicMax(s_max, kmax); atomicMax(s_abs, amax);
        if (finite != 0u) atomicAdd(s_cnt[0], finite);
        if (zeros != 0u) atomicAdd(s_cnt[1], zeros);
        if (nan != 0u) atomicAdd(s_cnt[2], nan);
        if (pinf != 0u) atomicAdd(s_cnt[3], pinf);
        if (ninf != 0u) atomicAdd(s_cnt[4], ninf);
    }
    barrier();

    if (lid == 0u) {
        if (s_cnt[0] != 0u) {
            atomicMin(rec[VKC_RANGE_MIN_KEY], s_min);
            atomicMax(rec[VKC_RANGE_MAX_KEY], s_max);
            atomicMax(rec[VKC_RANGE_ABS_BITS], s_abs);
        }
        for (uint k = 0u; k < VKC_RANGE_COUNTS; k++)
            if (s_cnt[k] != 0u) atomicAdd(rec[VKC_RANGE_FINITE + k], s_cnt[k]);
    }
}
