#version 450
// Asymmetric entropy search (DESIGN.md §3, definitions in src/asym.h):
// float32 KL of every window (a, b), b - a >= start, of one signed
// histogram, with a rigorous bound on its error, in one dispatch.
// Workgroup (x, y): width m = start + row0 + y (row = width index), windows
// a = x * WG + lid, b = a + m, one invocation per window, so that a
// workgroup's level boundaries are uniform and its loads contiguous; each
// evaluates its window in O(L) from exact 64-bit prefix sums (decomposition
// at the top of src/search/asym_fast.c):
//   KL = ln(H/T) + (sum_k V_k + adjL + adjR) / T,
//   V_k = B_k - M_k ln(qbar_k / c) for levels of two or more non-empty bins
//   (0 otherwise), B_k = sum h ln(h / c) over the level from float-float
//   prefix sums (c = 2^E >= max h keeps ln(q/c) <= 0 and small for the bins
//   that carry the mass).
// The workgroup then reduces the least lower and upper ends of its windows'
// brackets (subgroup arithmetic where enabled, shared memory otherwise, no
// subgroup size assumed) so that the host can skip whole groups.
//
// Error bound: Vulkan's precision rules only (the rounding mode is
// undefined, so every correctly rounded op errs by < 1 ulp, U = 2^-23
// relative; division 2.5 ulp; log 3 ulp, or 2^-21 = 4U absolute on
// [0.5, 2]; contraction into fma only removes roundings; denormals may flush
// (1e-30 absolute covers them)). Per level, in units of U:
//   M (64-bit -> float, 3 roundings): 3.01; arg = M c^-1 / n: 5.51; so
//   ln(q/c) within 9.52 + 3|ln|; t = M ln(q/c) within 9.6 M + 7.01|t|;
//   B_k within 2.01|B_k| (+ the float-float and host prefix errors, at most
//   U^2 (6|B_N| + 2T) per level: header word KPRE, L levels);
//   V_k = B_k - t: |V_k|.  -> sum (9.8 M + 7.1|t| + 2.01|B_k| + |V_k|).
// The V_k are summed in blocks of 16 (at most 32 additions per term):
// 33 sum|V_k|. Edge folds adj = P ln(P/c) - h ln(h/c) - O ln(qbar/c):
// 7.2 (P + h) + 9.8 O + 9.2 (|P ln| + |h ln| + |O ln|). S = (sum + adjL) +
// adjR: 2 (|sum| + |adjL| + |adjR|). S / T: 3.6|S/T|. ln(H/T): a 12-term
// series of ln(1 - x) for x = O/T <= 1/4 (Horner, remainder < 0.1U x), log
// otherwise: 41|ln(H/T)|. Final sum: |KL|. The whole is multiplied by 1.05
// (rounding of the bound's own float arithmetic and second-order terms).
//
// Bindings: 0 = packed data (layout below and in src/asym_gpu.c), 1 = vec2 {kl, bound}
//   per window (kl = 3e38 for infinite windows, decided exactly),
//   2 = vec2 {least lower end, least upper end} per workgroup, each end
//   widened by 1% of the bound + 1e-6|kl| + 1e-12.
// Push constants (VKC_ASYM_PUSH, vk/shader_layout.h, as the header words):
//   row0 (first width index of this dispatch), window base, cell base
//   (element offsets of row0's first window and cell in the bound ranges).
//   Windows are stored by width (src/search/asym.h).
// Header word ROWS: number of widths n - start + 1 (= windows of width
//   start); width index y holds ROWS - y windows. Header word ZB: the zero
//   bin every window must hold (a <= ZB < b, src/search/asym.h); windows
//   without it are neither evaluated nor written (the host never reads
//   them), a workgroup with none of them writes an empty cell.
//   0xffffffff: every window.
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

// Header words. Then five arrays of n + 1 words (structure of arrays, so
// that the consecutive windows of a workgroup read consecutive words):
// prefix sums of counts (low words, high words), prefix counts of non-empty
// bins, prefix sums of h ln(h/c) as float-float (high, low parts).
const uint H_N = VKC_AKL_N, H_START = VKC_AKL_START, H_ROWS = VKC_AKL_ROWS, H_CPR = VKC_AKL_CPR,
           H_TLO = VKC_AKL_TLO, H_THI = VKC_AKL_THI, H_TF = VKC_AKL_TF, H_CINV = VKC_AKL_CINV,
           H_KPRE = VKC_AKL_KPRE, H_LEVELS = VKC_AKL_LEVELS, H_ZB = VKC_AKL_ZB;
const uint HDR = VKC_ASYM_HDR;
const float U = 1.1920928955078125e-7;
const float BIG = 3.0e38;

shared vec2 red[gl_WorkGroupSize.x];

uint np1() { return d[H_N] + 1u; }
uvec2 pre64(uint x) { return uvec2(d[HDR + x], d[HDR + np1() + x]); }
uint nzc(uint x) { return d[HDR + 2u * np1() + x]; }
float bhi(uint x) { return uintBitsToFloat(d[HDR + 3u * np1() + x]); }
float blo(uint x) { return uintBitsToFloat(d[HDR + 4u * np1() + x]); }
uvec2 sub64(uvec2 a, uvec2 b)
{
    uint borrow;
    uint lo = usubBorrow(a.x, b.x, borrow);
    return uvec2(lo, a.y - b.y - borrow);
}
bool nonzero64(uvec2 v) { return (v.x | v.y) != 0u; }
// Within 3.01 U relative.
float f64(uvec2 v) { return float(v.y) * 4294967296.0 + float(v.x); }

// ln(1 - x) for 0 < x <= 1/4 (1 + 7U): -x (1 + x/2 + ... + x^11/12).
float log1m_series(float x)
{
    float p = 1.0 / 12.0;
    p = 1.0 / 11.0 + x * p;
    p = 1.0 / 10.0 + x * p;
    p = 1.0 / 9.0 + x * p;
    p = 1.0 / 8.0 + x * p;
    p = 1.0 / 7.0 + x * p;
    p = 1.0 / 6.0 + x * p;
    p = 1.0 / 5.0 + x * p;
    p = 1.0 / 4.0 + x * p;
    p = 1.0 / 3.0 + x * p;
    p = 1.0 / 2.0 + x * p;
    p = 1.0 + x * p;
    return -x * p;
}

// Fold of O outliers into edge bin h (mass P = h + O) whose level has mass
// M over n non-empty bins: P ln(P/c) - h ln(h/c) - O ln(qbar/c), and its
// error bound in units of U (see the header).
vec2 fold(float P, float h, float O, float M, float n, float cinv)
{
    float lq = log((M * cinv) / n), lp = log(P * cinv), lh = log(h * cinv);
    precise float tp = P * lp;
    precise float th = h * lh;
    precise float to = O * lq;
    precise float adj = (tp - th) - to;
    return vec2(adj, 7.2 * (P + h) + 9.8 * O + 9.2 * (abs(tp) + abs(th) + abs(to)));
}

// {KL, bound} of window (a, b); {BIG, 0} when it is infinite.
vec2 window_kl(uint a, uint b)
{
    const uint L = 256u; // VKC_ASYM_LEVELS (header word LEVELS says the same)
    uvec2 t64 = uvec2(d[H_TLO], d[H_THI]);
    float tf = uintBitsToFloat(d[H_TF]), cinv = uintBitsToFloat(d[H_CINV]);
    uint m = b - a;
    uvec2 pa = pre64(a), pb = pre64(b), pa1 = pre64(a + 1u), pb1 = pre64(b - 1u);
    uvec2 ol = pa, orr = sub64(t64, pb);
    uvec2 ha = sub64(pa1, pa), hl = sub64(pb, pb1);
    bool has_l = nonzero64(ol), has_r = nonzero64(orr);
    if ((has_l && !nonzero64(ha)) || (has_r && !nonzero64(hl))) return vec2(BIG, 0.0);
    if (m == 1u) return vec2(0.0); // p = q = 1, exactly as the reference

    precise float acc = 0.0;
    precise float part = 0.0;
    float eacc = 0.0, sabs = 0.0;
    if (m > L) {
        // The values at the level's start carry over from the previous end.
        uvec2 p0 = pa;
        uint c0 = nzc(a);
        float bh0 = bhi(a), bl0 = blo(a);
        for (uint k = 1u; k <= L; k++) {
            uint x1 = a + (k * m + L - 1u) / L;
            uvec2 p1 = pre64(x1);
            uint c1 = nzc(x1);
            float bh1 = bhi(x1), bl1 = blo(x1);
            uint cnt = c1 - c0;
            if (cnt >= 2u) {
                float mass = f64(sub64(p1, p0));
                float lq = log((mass * cinv) / float(cnt));
                precise float t = mass * lq;
                precise float bk = (bh1 - bh0) + (bl1 - bl0);
                precise float v = bk - t;
                part += v;
                eacc += 9.8 * mass + 7.1 * abs(t) + 2.01 * abs(bk) + abs(v);
                sabs += abs(v);
            }
            if ((k & 15u) == 0u) {
                acc += part;
                part = 0.0;
            }
            p0 = p1;
            c0 = c1;
            bh0 = bh1;
            bl0 = bl1;
        }
        acc += part;
    }

    vec2 fl = vec2(0.0), fr = vec2(0.0);
    if (has_l) {
        uint x1 = a + (m + L - 1u) / L; // level 0 is [a, x1)
        fl = fold(f64(pa1), f64(ha), f64(ol), f64(sub64(pre64(x1), pa)), float(nzc(x1) - nzc(a)), cinv);
    }
    if (has_r) {
        uint klast = ((m - 1u) * L) / m;
        uint x0 = a + (klast * m + L - 1u) / L; // the last level is [x0, b)
        fr = fold(f64(sub64(t64, pb1)), f64(hl), f64(orr), f64(sub64(pb, pre64(x0))), float(nzc(b) - nzc(x0)),
                  cinv);
    }

    uvec2 o64 = sub64(t64, sub64(pb, pa));
    float lnht = 0.0;
    if (nonzero64(o64)) {
        float x = f64(o64) / tf;
        lnht = x <= 0.25 ? log1m_series(x) : log(f64(sub64(pb, pa)) / tf);
    }
    precise float s = (acc + fl.x) + fr.x;
    float kl = lnht + s / tf;
    float es = 1.0001 * U * (eacc + 33.0 * sabs) + uintBitsToFloat(d[H_KPRE]) + U * (fl.y + fr.y) +
               2.0 * U * (abs(acc) + abs(fl.x) + abs(fr.x));
    float e = es / tf + 3.6 * U * abs(s) / tf + 41.0 * U * abs(lnht) + U * abs(kl);
    return vec2(kl, 1.05 * e + 1e-30);
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
    // Both conditions are uniform per workgroup, so the returns keep the
    // barriers below in uniform control flow.
    if (y >= rows) return;
    uint len = rows - y, first = gl_WorkGroupID.x * gl_WorkGroupSize.x;
    if (first >= len) return;
    // The windows of this width that hold the zero bin: a in [alo, ahi].
    uint m = d[H_START] + y, zb = d[H_ZB], alo = 0u, ahi = len - 1u;
    if (zb != 0xffffffffu) {
        alo = zb + 1u > m ? zb + 1u - m : 0u;
        ahi = min(zb, len - 1u);
    }
    if (first > ahi || first + gl_WorkGroupSize.x <= alo) {
        if (lid == 0u) cell[pc.cell_base + (y - pc.row0) * d[H_CPR] + gl_WorkGroupID.x] = vec2(BIG);
        return;
    }
    uint a = first + lid;
    vec2 br = vec2(BIG);
    if (a >= alo && a <= ahi) {
        vec2 r = window_kl(a, a + m);
        uint rel = y - pc.row0;
        // Widths row0 .. y-1 of this dispatch hold (rows - row0) - k windows each.
        uint idx = pc.win_base + rel * (rows - pc.row0) - (rel * (rel - 1u)) / 2u + a;
        win[idx] = r;
        if (r.x < BIG) {
            float pad = 1.01 * r.y + 1e-6 * abs(r.x) + 1e-12;
            br = vec2(r.x - pad, r.x + pad);
        }
    }
    br = group_min(br);
    if (lid == 0u) cell[pc.cell_base + (y - pc.row0) * d[H_CPR] + gl_WorkGroupID.x] = br;
}
