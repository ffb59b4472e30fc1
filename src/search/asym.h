/* Two-sided (asymmetric) threshold searches on a signed histogram
 * (DESIGN.md §3 "Asymmetric entropy"): every window (a, b) of bins,
 * 0 <= a < b <= N, b - a >= S, is a candidate range [edge a, edge b].
 *
 * Histogram: counts h[0..N-1] of x over [lo, hi]; bin edge k is
 * k * ((hi - lo) / N) + lo for k < N and hi itself for k = N (numpy's
 * linspace convention); bin centre j is lo + (j + 0.5) * ((hi - lo) / N).
 *
 * Entropy (KL), per window, L = VKC_ASYM_LEVELS = 256 levels. The
 * histogram's range must contain 0 (lo <= 0 <= hi: the calibrator bins x
 * over [min(min, 0), max(max, 0)], since every range is widened to include
 * 0 anyway). Before the search:
 *   - the zero bin z is the bin the histogram pass puts 0 into
 *     (vkc_asym_zero_bin: 0 when lo = 0, N-1 when hi = 0);
 *   - zero-bin rule: h[z] := h[1] when z = 0, h[N-2] when z = N-1, else
 *     floor((h[z-1] + h[z+1]) / 2), the mean of its neighbours (the exact
 *     zeros of a ReLU, a padded or a hard-swish tensor would otherwise
 *     dominate every window, as in the one-sided search, DESIGN.md §2);
 *   - a non-positive histogram (hi = 0 < -lo) is searched mirrored
 *     (h'[j] = h[N-1-j], window (a, b) <-> (N-b, N-a)), so that levels are
 *     always counted from the end at zero.
 * Windows are the (a, b) that contain the zero bin: a <= z < b (the other
 * windows are not ranges the policy writes: it widens them to 0). So on a
 * non-negative histogram the windows are (0, b), b = S..N, and each is the
 * unsigned search's candidate i = b: the same P, Q and KL, evaluated by the
 * same operations (bit for bit), the same choice; on a non-positive one the
 * mirror image. Per window:
 *   P = h[a..b-1], the left outliers sum(h[0..a-1]) folded into P[a] and the
 *   right ones sum(h[b..N-1]) into P[b-1];
 *   Q from the unclipped bins h[a..b-1] only: level(j) = floor((j-a)*L/(b-a)),
 *   each level's mass spread evenly over its non-empty bins (empty bins get
 *   0), exactly the non-empty rule of the symmetric search;
 *   KL(P||Q) with p = P/sum P, q = Q/sum Q over the bins with p > 0; a bin
 *   with p > 0 and q = 0 (an empty edge bin that receives outliers) makes
 *   the window +inf.
 * MSE, per window: lo' = min(edge a, 0), hi' = max(edge b, 0) (the range is
 *   widened to include 0, DESIGN.md §3), scale = (hi' - lo') / 255,
 *   zp = nearbyint(-lo' / scale) clamped to [0, 255]; every bin centre c is
 *   fake-quantized to q = clamp(nearbyint(c / scale) + zp, 0, 255),
 *   dequantized to (q - zp) * scale; value = sum h (dequant - c)^2 / total.
 *   nearbyint rounds half to even (PyTorch's fake_quantize convention). All
 *   of this is evaluated in double exactly as written; the q of every bin is
 *   part of the definition.
 *
 * Choice (both methods): least value; values within the tie tolerance of the
 * minimum (vkc_kl_tie_tol: 1e-9 relative, 1e-15 absolute) count as tied, and
 * among tied windows the WIDEST (largest b - a) wins, then the one with the
 * SMALLEST a. Widest: among windows of equal quality clip the least (for a
 * post-ReLU histogram of MSE, whose value does not depend on a while
 * edge a >= 0, this picks a = 0, i.e. the data's own minimum); smallest a
 * then only makes the order total.
 *
 * Fallback to [lo, hi] (fallback = 1 and a message, a = 0, b = N) when the
 * histogram is empty, N < S, every window is +inf, or lo == hi.
 *
 * Evaluators, as for the symmetric search (src/entropy.h):
 *   - reference: the plain definition, O(b - a) (entropy) or O(N) (MSE) per
 *     window, obviously right; it decides the final choice;
 *   - fast (double): O(L) per window from prefix sums, with a rigorous bound
 *     on its distance to the reference's value (derivations in asym_fast.c).
 *     Entropy: double-double prefix sums of h ln h keep the bound relative
 *     to the window's own level sums, about 1e-14 absolute on KL. MSE: runs
 *     of equal code from exact 128-bit moments about an odd pivot, no
 *     cancellation: about 1e-15 relative;
 *   - GPU float32 (asym_gpu.c, shaders/asym_entropy.comp and asym_mse.comp),
 *     each window with its own bound derived from Vulkan's precision rules
 *     only (any rounding mode, 2.5-ulp division, 3-ulp / 2^-21 log): about
 *     1e-5 absolute on KL, 1e-5 relative on MSE.
 * The selection keeps every window the bounds cannot exclude from the tie
 * band of the minimum, re-evaluates those with the next exact evaluator and
 * finally with the reference, so every path chooses exactly what the
 * exhaustive reference chooses. */
#ifndef VKC_ASYM_H
#define VKC_ASYM_H

#include "base/common.h"

#define VKC_ASYM_LEVELS 256u
#define VKC_ASYM_DEFAULT_START 128u
/* Largest histogram the MSE search takes (exact 128-bit moments; the
 * library's cap). */
#define VKC_ASYM_MSE_MAX_BINS VKC_HIST_MAX_BINS

typedef struct vkc_asym_result {
    uint32_t a, b;          /* chosen window: bins a..b-1 */
    double lo, hi;          /* entropy: [edge a, edge b]; MSE: widened [lo', hi'] */
    double value;           /* KL (entropy) or mean squared error (MSE) at (a, b) */
    uint64_t windows;       /* windows with b - a >= start */
    uint64_t inf_windows;   /* windows of infinite divergence (entropy) */
    uint64_t reevaluated;   /* windows evaluated with the reference (the exhaustive
                               reference: every finite window) */
    int fallback;           /* 1: no usable window, range is [lo, hi] */
    char message[160];      /* why, when fallback */
    uint64_t fast_checked;  /* windows re-evaluated with the fast double
                               evaluator after a GPU pass (0 on the CPU) */
} vkc_asym_result;

/* A histogram prepared for the searches: exact prefix sums and the sums the
 * fast evaluators need. Built by vkc_asym_hist_init; what = VKC_ASYM_KL
 * and/or VKC_ASYM_MSE selects which parts. */
enum { VKC_ASYM_KL = 1, VKC_ASYM_MSE = 2 };
typedef struct vkc_asym_hist {
    uint32_t n;
    uint32_t zb;            /* entropy: windows must hold bin zb (a <= zb < b);
                               UINT32_MAX: every window (vkc_asym_hist_init) */
    int mirrored;           /* entropy: h is the histogram reversed */
    uint64_t *h;            /* n counts */
    uint64_t *pre;          /* n+1 exact prefix sums (total < 2^64 required) */
    uint32_t *nz;           /* n+1 prefix counts of h != 0 */
    double *bhi, *blo;      /* n+1: prefix sums of h ln h as double-double
                               (bhi + blo, Ogita-Rump-Oishi Sum2) */
    unsigned __int128 *m1;  /* n+1: prefix sums of h (2j+1) (MSE) */
    unsigned __int128 *m2;  /* n+1: prefix sums of h (2j+1)^2 (MSE) */
    uint64_t total;
    uint32_t first, last;   /* first and last non-empty bin (last < first: none) */
} vkc_asym_hist;

vkc_status vkc_asym_hist_init(vkc_asym_hist *ah, const uint64_t *counts, uint32_t n, int what, vkc_msg *msg);
void vkc_asym_hist_free(vkc_asym_hist *ah);

/* The bin of x = 0 in n bins over [lo, hi]: 0 when lo >= 0, n - 1 when
 * hi <= 0 (and lo < 0), else DESIGN.md §2's float32 rule on (float)lo and
 * (float)hi, as the histogram pass bins a zero. */
uint32_t vkc_asym_zero_bin(uint32_t n, double lo, double hi);
/* The histogram the entropy search sees (the rules above): zero bin,
 * zero-bin rule, mirrored when non-positive; ah->zb holds the window
 * constraint. VKC_ERROR_INVALID_ARGUMENT when [lo, hi] is finite and does
 * not contain 0. */
vkc_status vkc_asym_kl_prepare(vkc_asym_hist *ah, const uint64_t *counts, uint32_t n, double lo, double hi,
                               vkc_msg *msg);
/* The windows of width m the search takes: a in [*a0, *a1] (m <= n). */
void vkc_asym_width_range(const vkc_asym_hist *ah, uint32_t m, uint32_t *a0, uint32_t *a1);
/* How many windows with b - a >= start the search takes. */
uint64_t vkc_asym_search_windows(const vkc_asym_hist *ah, uint32_t start);

/* Windows with b - a >= start: (n - start + 1)(n - start + 2) / 2, 0 when
 * n < start. Their order everywhere (GPU output, approx arrays) is by
 * width: m = b - a = start, start + 1, ..., n, and within a width a = 0, 1,
 * ..., n - m; index vkc_asym_window_index. (Width-major keeps a GPU
 * workgroup's level boundaries uniform and its loads contiguous.) */
uint64_t vkc_asym_window_count(uint32_t n, uint32_t start);
uint64_t vkc_asym_window_index(uint32_t n, uint32_t start, uint32_t a, uint32_t b);

/* Bin edge k of n bins over [lo, hi] (see above). */
double vkc_asym_edge(double lo, double hi, uint32_t n, uint32_t k);

/* --- entropy ------------------------------------------------------------ */

/* 1 when window (a, b) has KL = +inf. Exact (integers). */
int vkc_asym_kl_is_inf(const vkc_asym_hist *ah, uint32_t a, uint32_t b);
/* Plain definition; +INFINITY for infinite windows, NaN for an empty
 * histogram. O(b - a) plus the outlier sums. */
double vkc_asym_kl_reference(const vkc_asym_hist *ah, uint32_t a, uint32_t b);
/* Fast O(L) evaluation; *err bounds |value - exact| + |reference - exact|,
 * so [value - err, value + err] holds the reference's value. */
double vkc_asym_kl_fast(const vkc_asym_hist *ah, uint32_t a, uint32_t b, double *err);
/* Bound on |vkc_asym_kl_reference - exact| at a KL value near kl. */
double vkc_asym_kl_ref_err(const vkc_asym_hist *ah, double kl);

/* Chooses the window. approx: NULL (every window goes to the fast
 * evaluator, on `threads` threads), or 2 floats per window in window order
 * (value, bound on |value - exact|), as the GPU writes them. cells (only
 * with approx; may be NULL): 2 floats (least lower end, least upper end of
 * the windows' brackets, each already widened by 1e-6 |value| + 1e-12 + 1%
 * of the bound; 3e38 for none) per group of cell_windows consecutive
 * windows of one width, ceil((n - start + 1) / cell_windows) cells per
 * width: groups whose lower end lies above the tie band are skipped without
 * reading their windows. */
vkc_status vkc_asym_entropy_select(const vkc_asym_hist *ah, double lo, double hi, uint32_t start,
                                   const float *approx, const float *cells, uint32_t cell_windows,
                                   uint32_t threads, vkc_asym_result *res, vkc_msg *msg);

/* The whole search on the CPU: every window with the fast evaluator
 * (threads = online processors; 0 in the _threads variant means the same),
 * then the reference on the windows the bounds keep. start 0 means 128. */
vkc_status vkc_asym_entropy_cpu(const uint64_t *counts, uint32_t n, double lo, double hi, uint32_t start,
                                vkc_asym_result *res, vkc_msg *msg);
vkc_status vkc_asym_entropy_cpu_threads(const uint64_t *counts, uint32_t n, double lo, double hi,
                                        uint32_t start, uint32_t threads, vkc_asym_result *res,
                                        vkc_msg *msg);
/* The oracle: the reference on every window, then the tie rule. O(N^3):
 * for tests on small N. */
vkc_status vkc_asym_entropy_reference(const uint64_t *counts, uint32_t n, double lo, double hi,
                                      uint32_t start, vkc_asym_result *res, vkc_msg *msg);

/* --- MSE ---------------------------------------------------------------- */

/* One window, plain definition: O(N). */
double vkc_asym_mse_window_reference(const vkc_asym_hist *ah, double lo, double hi, uint32_t a, uint32_t b);
/* One window in O(levels) from exact 128-bit moments; *err bounds the
 * distance to vkc_asym_mse_window_reference's value (see asym_fast.c). */
double vkc_asym_mse_window_fast(const vkc_asym_hist *ah, double lo, double hi, uint32_t a, uint32_t b,
                                double *err);

/* As vkc_asym_entropy_select: approx NULL (exhaustive fast pass on
 * `threads` threads) or (value, bound on |value - exact|) per window in
 * window order with optional cells, as shaders/asym_mse.comp writes them:
 * in units of w^2 (w = (hi - lo) / n), i.e. MSE / w^2. */
vkc_status vkc_asym_mse_select(const vkc_asym_hist *ah, double lo, double hi, uint32_t start,
                               const float *approx, const float *cells, uint32_t cell_windows,
                               uint32_t threads, vkc_asym_result *res, vkc_msg *msg);
vkc_status vkc_asym_mse_cpu(const uint64_t *counts, uint32_t n, double lo, double hi, uint32_t start,
                            vkc_asym_result *res, vkc_msg *msg);
vkc_status vkc_asym_mse_cpu_threads(const uint64_t *counts, uint32_t n, double lo, double hi, uint32_t start,
                                    uint32_t threads, vkc_asym_result *res, vkc_msg *msg);
/* The oracle: vkc_asym_mse_window_reference on every window. O(N^3). */
vkc_status vkc_asym_mse_reference(const uint64_t *counts, uint32_t n, double lo, double hi, uint32_t start,
                                  vkc_asym_result *res, vkc_msg *msg);

/* --- GPU (asym_gpu.c) ------------------------------------------------------ */

/* Every window of one tensor in one dispatch of shaders/asym_entropy.comp
 * (several only where the output exceeds one binding's range or the
 * device's workgroup count), then vkc_asym_entropy_select on the float32
 * values and bounds. Errors go to the context's message. */
vkc_status vkc_asym_entropy_gpu(vkc_context *ctx, const uint64_t *counts, uint32_t n, double lo, double hi,
                                uint32_t start, vkc_asym_result *res);
/* The same for MSE (shaders/asym_mse.comp: float32 errors of every window
 * over the non-empty bins, in units of the bin width, with a per-window
 * bound), then vkc_asym_mse_select. At most 2^22 bins. */
vkc_status vkc_asym_mse_gpu(vkc_context *ctx, const uint64_t *counts, uint32_t n, double lo, double hi,
                            uint32_t start, vkc_asym_result *res);

#endif
