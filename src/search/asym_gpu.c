/* Asymmetric entropy and MSE searches on a Vulkan device: every window of
 * one tensor in one dispatch of shaders/asym_entropy.comp or asym_mse.comp
 * (a float32 value and an error bound per window, least bracket ends per
 * workgroup), then vkc_asym_entropy_select / vkc_asym_mse_select on the
 * host: the windows the bounds cannot exclude are re-evaluated with the fast
 * double evaluator and then the reference, so the choice is exactly the
 * reference's. */
#include "search/asym.h"
#include "base/numeric.h"
#include "vk/gpu.h"
#include "vk/shader_layout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOCAL_SIZE 64u
#define HDR VKC_ASYM_HDR
#define UF 0x1p-23

/* Packed layout, 32-bit words:
 *   [0..15]  header: n, start, rows (widths, = n - start + 1), cells per width, total
 *            (lo, hi words), total as float, c^-1 as float (c = 2^E >= max
 *            count), KPRE as float (see the shader), levels L, the zero bin
 *            every window must hold (asym.h), 0...
 *            The histogram is the one the search sees (vkc_asym_kl_prepare:
 *            zero-bin rule applied, mirrored when non-positive).
 *   then five arrays of n + 1 words at 16 + k (n + 1), x = 0..n: prefix
 *            sums of counts (low words, high words), prefix counts of
 *            non-empty bins, prefix sums of h ln(h/c) as float-float (high,
 *            low parts), computed in double with compensation and split. */
static uint32_t *pack(const vkc_asym_hist *ah, uint32_t start, uint32_t cpr, size_t *words)
{
    const uint32_t n = ah->n;
    size_t len = HDR + 5 * ((size_t)n + 1u);
    uint32_t *w = calloc(len, 4);
    if (!w) return NULL;
    uint64_t hmax = 0;
    for (uint32_t j = 0; j < n; j++) hmax = ah->h[j] > hmax ? ah->h[j] : hmax;
    /* E: the least integer with 2^E >= hmax (exact: frexp of the double,
     * one more when the conversion may have rounded down). */
    int e;
    double f = frexp((double)hmax, &e);
    if (f == 0.5 && hmax < (1ull << 53)) e -= 1;
    if (e < 0) e = 0;
    const double cinv = ldexp(1.0, -e);
    /* Neumaier sum of h ln(h/c) (every term <= 0). */
    vkc_ksum acc = {0, 0};
    double bmax = 0;
    for (uint32_t x = 0; x <= n; x++) {
        uint32_t *p = w + HDR + x;
        const size_t np1 = (size_t)n + 1;
        double b = vkc_ksum_get(&acc);
        float bh = (float)b;
        float bl = (float)(b - (double)bh);
        p[0] = (uint32_t)ah->pre[x];
        p[np1] = (uint32_t)(ah->pre[x] >> 32);
        p[2 * np1] = ah->nz[x];
        p[3 * np1] = vkc_f32_bits(bh);
        p[4 * np1] = vkc_f32_bits(bl);
        if (fabs(b) > bmax) bmax = fabs(b);
        if (x == n) break;
        uint64_t h = ah->h[x];
        if (h) {
            double hd = (double)h;
            vkc_ksum_add(&acc, hd * log(hd * cinv));
        }
    }
    const double kpre = 1.01 * VKC_ASYM_LEVELS * UF * UF * (6.0 * bmax + 2.0 * (double)ah->total);
    w[VKC_AKL_N] = n;
    w[VKC_AKL_START] = start;
    w[VKC_AKL_ROWS] = n - start + 1;
    w[VKC_AKL_CPR] = cpr;
    w[VKC_AKL_TLO] = (uint32_t)ah->total;
    w[VKC_AKL_THI] = (uint32_t)(ah->total >> 32);
    w[VKC_AKL_TF] = vkc_f32_bits((float)ah->total);
    w[VKC_AKL_CINV] = vkc_f32_bits((float)cinv);
    /* Rounded up so that the float is never below the bound. */
    w[VKC_AKL_KPRE] = vkc_f32_bits((float)(kpre * (1 + 1e-6)) + (float)1e-30);
    w[VKC_AKL_LEVELS] = VKC_ASYM_LEVELS;
    w[VKC_AKL_ZB] = ah->zb; /* windows must hold this bin (UINT32_MAX: none) */
    *words = len;
    return w;
}

static uint64_t align_down(uint64_t x, uint64_t a)
{
    return a > 1 ? x / a * a : x;
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
    return a > 1 ? (x + a - 1) / a * a : x;
}

/* Evaluates every window with `shader` (the packed data w starts with the
 * header words n, start, rows, cells per width that both shaders share):
 * the widths in groups whose windows and cells each fit one binding and the
 * device's workgroup count (one dispatch for ordinary sizes), one
 * submission. On success *approx and *cells point into ctx->out. */
static vkc_status run_windows(vkc_context *ctx, const char *shader, const uint32_t *w, size_t words, uint32_t n,
                              uint32_t st, const float **approx, const float **cells)
{
    const uint32_t rows = n - st + 1, cpr = (rows + LOCAL_SIZE - 1) / LOCAL_SIZE;
    const uint64_t windows = vkc_asym_window_count(n, st), ncells = (uint64_t)rows * cpr;
    const VkDeviceSize chunk = vkc_gpu_chunk_bytes(ctx);
    /* Binding offsets: the device's alignment, and whole vec2 elements. */
    const uint64_t al = ctx->caps.min_storage_buffer_offset_alignment > 8 ? ctx->caps.min_storage_buffer_offset_alignment
                                                                         : 8;
    vkc_status s;
    if (cpr > ctx->caps.max_workgroup_count[0] || (uint64_t)cpr * 8 + al > chunk || (uint64_t)rows * 8 + al > chunk)
        return vkc_fail(&ctx->msg, VKC_ERROR_UNSUPPORTED, "asymmetric search: %u bins exceed the device's limits", n);
    if ((uint64_t)words * 4 > ctx->caps.max_storage_buffer_range)
        return vkc_fail(&ctx->msg, VKC_ERROR_UNSUPPORTED, "asymmetric search: histogram too large for one binding");
    /* Output: windows (8 bytes each, window order), then the cells. */
    const uint64_t cell_at = align_up(windows * 8, al > 256 ? al : 256);
    const uint64_t out_bytes = cell_at + ncells * 8;
    uint32_t spec[2] = {LOCAL_SIZE, (uint32_t)vkc_gpu_has(ctx, VKC_FEATURE_SUBGROUP_ARITHMETIC)};
    vkc_pipe *pipe;
    vkc_binding b[3];
    if ((s = vkc_pipe_get(ctx, shader, spec, 2, 3, sizeof(vkc_asym_push), &pipe)) != VKC_OK) return s;
    if ((s = vkc_gpu_upload(ctx, w, (VkDeviceSize)words * 4, &b[0])) != VKC_OK) return s;
    if ((s = vkc_gbuf_reserve(ctx, &ctx->out, out_bytes, 1)) != VKC_OK) return s;
    ctx->last_gpu_ns = 0;
    if ((s = vkc_cmd_begin(ctx)) != VKC_OK) return s;
    vkc_gpu_record_upload(ctx, (VkDeviceSize)words * 4);
    /* "Row" y = width index (m = st + y), holding rows - y windows. */
    for (uint32_t row0 = 0; row0 < rows;) {
        const uint64_t w0 = vkc_asym_window_index(n, st, 0, row0 + st);
        const uint64_t wb = align_down(w0 * 8, al), cb = align_down(cell_at + (uint64_t)row0 * cpr * 8, al);
        uint32_t row1 = row0 + 1;
        while (row1 < rows && row1 - row0 < ctx->caps.max_workgroup_count[1]) {
            uint64_t wend = vkc_asym_window_index(n, st, 0, row1 + st) + (rows - row1);
            uint64_t cend = cell_at + ((uint64_t)row1 + 1) * cpr * 8;
            if (wend * 8 - wb > chunk || cend - cb > chunk) break;
            row1++;
        }
        const uint64_t wend = row1 < rows ? vkc_asym_window_index(n, st, 0, row1 + st) : windows;
        if (wend * 8 - wb > chunk)
            return vkc_fail(&ctx->msg, VKC_ERROR_UNSUPPORTED, "asymmetric search: one width exceeds one binding");
        b[1] = (vkc_binding){&ctx->out, wb, wend * 8 - wb};
        b[2] = (vkc_binding){&ctx->out, cb, cell_at + (uint64_t)row1 * cpr * 8 - cb};
        vkc_asym_push push = {row0, (uint32_t)((w0 * 8 - wb) / 8),
                              (uint32_t)((cell_at + (uint64_t)row0 * cpr * 8 - cb) / 8)};
        if ((s = vkc_cmd_dispatch(ctx, pipe, b, &push, cpr, row1 - row0, 1)) != VKC_OK) return s;
        row0 = row1;
    }
    if ((s = vkc_cmd_submit_wait(ctx)) != VKC_OK) return s;
    *approx = ctx->out.map;
    *cells = (const float *)ctx->out.map + cell_at / 4;
    return VKC_OK;
}

/* Whether the selection would evaluate windows at all (else it falls back
 * or fails at once, and says why). */
static int needs_windows(const vkc_asym_hist *ah, uint32_t n, double lo, double hi, uint32_t st)
{
    return ah->total > 0 && n >= st && isfinite(lo) && isfinite(hi) && hi >= lo && fabs(lo) <= 0x1p900 &&
           fabs(hi) <= 0x1p900 && (hi - lo) / (double)n >= 0x1p-900;
}

/* Packed layout of shaders/asym_mse.comp, 32-bit words:
 *   [0..15]  header: n, start, rows, cells per width, nnz (non-empty bins),
 *            lam = lo / w, total, Gb >= max(|lo|, |hi|) / w, eta = 18 U Gb
 *            (floats; Gb and eta rounded up), 0...
 *   then nnz pairs (bin index, count as float). */
static uint32_t *pack_mse(const vkc_asym_hist *ah, uint32_t start, uint32_t cpr, double lo, double hi, size_t *words)
{
    const uint32_t n = ah->n;
    const uint32_t nnz = ah->nz[n];
    size_t len = HDR + 2 * (size_t)nnz;
    uint32_t *w = calloc(len, 4);
    if (!w) return NULL;
    const double wd = (hi - lo) / (double)n, gb = fmax(fabs(lo), fabs(hi)) / wd;
    w[VKC_AMSE_N] = n;
    w[VKC_AMSE_START] = start;
    w[VKC_AMSE_ROWS] = n - start + 1;
    w[VKC_AMSE_CPR] = cpr;
    w[VKC_AMSE_NNZ] = nnz;
    w[VKC_AMSE_LAM] = vkc_f32_bits((float)(lo / wd));
    w[VKC_AMSE_TF] = vkc_f32_bits((float)ah->total);
    w[VKC_AMSE_GB] = vkc_f32_bits((float)(gb * (1 + 1e-6)));
    w[VKC_AMSE_ETA] = vkc_f32_bits((float)(18.0 * UF * gb * (1 + 1e-6)));
    size_t k = HDR;
    for (uint32_t j = 0; j < n; j++)
        if (ah->h[j]) {
            w[k++] = j;
            w[k++] = vkc_f32_bits((float)ah->h[j]);
        }
    *words = len;
    return w;
}

/* Both two-sided searches: the window pass on the GPU where there are
 * windows to evaluate, then the method's selection on the host. */
static vkc_status asym_gpu(vkc_context *ctx, const uint64_t *counts, uint32_t n, double lo, double hi,
                           uint32_t start, int mse, vkc_asym_result *res)
{
    if (!ctx) return VKC_ERROR_INVALID_ARGUMENT;
    /* A one-sided histogram's MSE windows all share their zero-side end (every
     * lo' or hi' is 0), so the CPU search tables them in O(bins): faster than
     * any GPU pass over the N^2/2 windows, and exact alike. */
    if (ctx->is_cpu || (mse && (lo >= 0 || hi <= 0)))
        return (mse ? vkc_asym_mse_cpu_threads : vkc_asym_entropy_cpu_threads)(counts, n, lo, hi, start,
                                                                              ctx->threads ? ctx->threads : 1, res,
                                                                              &ctx->msg);
    if (res) memset(res, 0, sizeof *res);
    vkc_asym_hist ah;
    vkc_status s = mse ? vkc_asym_hist_init(&ah, counts, n, VKC_ASYM_MSE, &ctx->msg)
                       : vkc_asym_kl_prepare(&ah, counts, n, lo, hi, &ctx->msg);
    if (s != VKC_OK) return s;
    const uint32_t st = start ? start : VKC_ASYM_DEFAULT_START;
    const uint32_t threads = ctx->threads ? ctx->threads : 1;
    const float *approx = NULL, *cells = NULL;
    uint32_t *w = NULL;
    size_t words = 0;
    if (needs_windows(&ah, n, lo, hi, st)) {
        if (mse ? n > (1u << 22) : n >= (1u << 24)) {
            s = vkc_fail(&ctx->msg, VKC_ERROR_UNSUPPORTED, "asymmetric %s on the GPU: %u bins (at most 2^%d)",
                         mse ? "MSE" : "entropy", n, mse ? 22 : 24);
            goto done;
        }
        const uint32_t cpr = (n - st + 1 + LOCAL_SIZE - 1) / LOCAL_SIZE;
        w = mse ? pack_mse(&ah, st, cpr, lo, hi, &words) : pack(&ah, st, cpr, &words);
        if (!w) {
            s = vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory packing the histogram");
            goto done;
        }
        s = run_windows(ctx, mse ? "asym_mse" : "asym_entropy", w, words, n, st, &approx, &cells);
        if (s != VKC_OK) goto done;
    }
    s = (mse ? vkc_asym_mse_select : vkc_asym_entropy_select)(&ah, lo, hi, st, approx, cells, LOCAL_SIZE, threads,
                                                              res, &ctx->msg);
done:
    free(w);
    vkc_asym_hist_free(&ah);
    return s;
}

vkc_status vkc_asym_entropy_gpu(vkc_context *ctx, const uint64_t *counts, uint32_t n, double lo, double hi,
                                uint32_t start, vkc_asym_result *res)
{
    return asym_gpu(ctx, counts, n, lo, hi, start, 0, res);
}

vkc_status vkc_asym_mse_gpu(vkc_context *ctx, const uint64_t *counts, uint32_t n, double lo, double hi,
                            uint32_t start, vkc_asym_result *res)
{
    return asym_gpu(ctx, counts, n, lo, hi, start, 1, res);
}
