/* The histogram kinds the tools' entropy flavours need (FLAVOURS.md), beside
 * the public VKC_HIST_ABS and VKC_HIST_SIGNED. Internal for now: the values
 * continue vkc_hist_kind and go through every public histogram call
 * (vkc_histogram_host, _buffer, _f32) as a vkc_hist_spec's kind.
 *
 * Each kind is defined by its tool's own formula (vkc_kind_bin_formula,
 * written as the tool writes it). Every one of them is monotone in the
 * value, so it is also an edge table: e_k = the least value that lands in
 * bin k or above, and bin(t) = the largest k < N with e_k <= t. The edges
 * are derived on the host from the formula; the backends look bins up by
 * comparison against them, on the integer order keys of the float bits
 * (vkc_order_key after -0 -> +0), so a GPU's float arithmetic, division
 * precision and denormal handling play no part: every backend bins exactly
 * as the tool does.
 *
 *   VKC_HIST_NUMPY   x over [lo, hi], numpy.histogram(x, N, range=(lo, hi))
 *                    for float32 x (mxnet, tvm, onnxruntime): edges
 *                    e_k = float32(fl64(k * fl64(fl32(hi - lo) / N)) + lo),
 *                    e_N = hi; bin k holds e_k <= x < e_{k+1}, the last bin
 *                    also x = hi; values outside [lo, hi] are not counted.
 *                    lo == hi: numpy's range lo - 0.5, hi + 0.5 (delta 1).
 *   VKC_HIST_NCNN    |x| over [0, hi]: min((int)(fl32(|x| / hi) * N), N-1),
 *                    a float32 divide then a float32 multiply; exact zeros
 *                    (and -0) are not counted (ncnn2table).
 *   VKC_HIST_MNN     |x| over [0, hi]: inv = (float)N / hi when hi > 1e-5f,
 *                    else 0; min((int)(|x| * inv), N-1); values with
 *                    (double)|x| <= 1e-6 are not counted (MNN
 *                    TensorStatistic). Counts stay exact: MNN's float
 *                    counts (from 1e-7) are modelled in the search.
 *   VKC_HIST_PADDLE  |x| over [lo, hi] (lo = min|x|, hi = max|x|):
 *                    numpy.histogram(|x|, bins=E) with float64 edges
 *                    E = linspace(lo, hi, N + 1), compared in double;
 *                    outside [lo, hi] not counted; lo == hi widens by 0.5.
 *   VKC_HIST_TORCH   |x| over [lo, hi], torch.histc on the CPU (PPQ):
 *                    (int64)(fl32(fl32((|x| - lo) * N) / (hi - lo))), N
 *                    going to N-1; outside [lo, hi] not counted; lo == hi
 *                    widens by 1 (torch's rule). PPQ uses [0, A], 4096.
 * NaN and +-Inf are never binned, as for every kind. */
#ifndef VKC_HIST_KIND_H
#define VKC_HIST_KIND_H

#include "base/common.h"
#include "vk/shader_layout.h"

/* The kind values themselves are public (vkcalib.h: vkc_hist_kind). */

/* Flags of an edge-table geometry: VKC_EDGE_ABS, VKC_EDGE_SKIP and
 * VKC_EDGE_DROP of vk/shader_layout.h, shared with shaders/hist.comp. */

/* An edge-table geometry: keys[k] = the order key of e_k, k = 0..bins
 * (keys[0] = 0 with no DROP: everything below e_1 is bin 0; keys[bins] =
 * the key of e_N with DROP, else 0xffffffff). */
typedef struct vkc_edge_geom {
    uint32_t bins, flags, skip_key;
    uint32_t *keys;  /* bins + 1 */
    float est_lo, est_inv; /* a bin estimate (t - est_lo) * est_inv, corrected by the keys */
} vkc_edge_geom;

/* 1 for the kinds of this header. */
int vkc_kind_is_edge(vkc_hist_kind kind);
/* How many of a tensor's finite values (st, its range pass's statistics)
 * a histogram of this kind over the tensor's own range bins: every one,
 * except ncnn's exact zeros (counted in st) and MNN's |x| <= 1e-6 (not
 * counted: then only an upper bound holds). Returns 1 when *n is exact, 0
 * when it is a bound. */
int vkc_kind_binned(vkc_hist_kind kind, const vkc_stats *st, uint64_t *n);
const char *vkc_kind_name(vkc_hist_kind kind);

/* Validates an edge kind's spec (as vkc_hist_check does the others). */
vkc_status vkc_edge_check(const vkc_hist_spec *spec, vkc_msg *msg);
/* Validates an edge kind's spec (bins, range; lo is ignored where the kind
 * starts at 0) and builds its edge table. */
vkc_status vkc_edge_geom_init(const vkc_hist_spec *spec, vkc_edge_geom *g, vkc_msg *msg);
void vkc_edge_geom_free(vkc_edge_geom *g);

/* The key every comparison uses: t = |x| (ABS) or x, -0 made +0. */
static inline uint32_t vkc_edge_key(uint32_t bits, uint32_t flags)
{
    if (flags & VKC_EDGE_ABS) bits &= 0x7fffffffu;
    if (bits == 0x80000000u) bits = 0;
    return vkc_order_key(bits);
}

/* The bin of a finite value's key, or bins when it is not counted. */
static inline uint32_t vkc_edge_lookup(const vkc_edge_geom *g, uint32_t key, uint32_t guess)
{
    const uint32_t n = g->bins, *e = g->keys;
    if ((g->flags & VKC_EDGE_SKIP) && key <= g->skip_key) return n;
    if ((g->flags & VKC_EDGE_DROP) && (key < e[0] || key > e[n])) return n;
    uint32_t k = guess < n ? guess : n - 1;
    while (k > 0 && key < e[k]) k--;
    while (k + 1 < n && key >= e[k + 1]) k++;
    return k;
}

/* Bin edge k (0..bins) of numpy's and Paddle's grids as the tool holds it:
 * numpy's float32 edge, Paddle's float64 one (the thresholds of mxnet,
 * onnxruntime and paddle are these). */
double vkc_kind_edge(const vkc_hist_spec *spec, uint32_t k);

/* The tool's formula for one kind, written as the tool writes it (not via
 * the edges): used to derive the edges, and by tests. Returns the bin, or
 * bins for a value that is not counted. spec must have passed
 * vkc_edge_geom_init. */
uint32_t vkc_kind_bin_formula(const vkc_hist_spec *spec, float x);

#endif
