/* The flavour searches of a batch of tensors on the context's backend.
 *
 * On a Vulkan device, the double tools' candidates (paddle, ppq) of every
 * tensor go through one dispatch of shaders/entropy.comp (block levels):
 * their KL is the exact-arithmetic KL of P and Q that shader evaluates in
 * float32 with a bound, which the double tools reproduce to within
 * tool_bound below; the host then decides among the candidates the bracket
 * keeps, in the tool's arithmetic (flavor.c's cascade, exact ties).
 *
 * The float32 tools (mxnet, tvm, mxnet-1.5, onnxruntime, ncnn, mnn) are
 * decided on the host, on the context's threads. A sound screen for them
 * has to cover the tool's own float32 rounding, and that is dominated by
 * its normalising sums (sequential or numpy-pairwise sums of n terms: up to
 * n 2^-24 relative, i.e. about 5e-4 absolute on KL for n = 8001). A bracket
 * that wide keeps 30 to 50 % of the candidates (the flat tail of a KL
 * curve), the most expensive ones, so the screen would save little; a
 * tight one would have to replay each tool's normalising sums bit for bit
 * on the device. */
#include "search/flavor_gpu.h"
#include "pass/hist_kind.h"
#include "search/flavor_impl.h"
#include "search/search_gpu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int screened(const vkc_flavor_info *info)
{
    return info && (info->family == VKC_FAMILY_PADDLE || info->family == VKC_FAMILY_PPQ);
}

/* Bound on |tool's double value - exact| (both tools: sums of at most n
 * double terms of magnitude <= ln(T H) per unit of P / T, logarithms within
 * an ulp; Paddle's (t1 - t2) / T cancels to that same scale), generously
 * rounded up, plus PPQ's 1e-30 inside its logarithms. */
static double tool_bound(uint32_t n, uint64_t total)
{
    const double lt = log((double)(total > 2 ? total : 2));
    return 1e-26 + (4.0 * n + 64.0) * 0x1p-53 * (2.0 * lt + 4.0);
}

typedef struct gpu_tensor {
    uint64_t *h, *pre; /* PPQ: its counts after the zero-bin rule */
    uint32_t *nz;
    float *value, *bound;
    uint32_t count;
} gpu_tensor;

static void gpu_tensor_free(gpu_tensor *g)
{
    free(g->h);
    free(g->pre);
    free(g->nz);
    free(g->value);
    free(g->bound);
}

/* The pack of one screened tensor: the counts as the tool sees them. */
static vkc_status prepare(const vkc_flavor_job *j, gpu_tensor *g, vkc_kl_pack *k, vkc_msg *msg)
{
    const vkc_flavor_info *info = vkc_flavor_get(j->params.flavor);
    const uint32_t n = j->spec.bins;
    const uint32_t levels = j->params.levels ? j->params.levels : info->levels;
    g->h = vkc_alloc_array(n, sizeof *g->h);
    g->pre = vkc_alloc_array((uint64_t)n + 1, sizeof *g->pre);
    g->nz = vkc_alloc_array((uint64_t)n + 1, sizeof *g->nz);
    if (!g->h || !g->pre || !g->nz) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory for %u bins", n);
    const uint32_t z0 = (uint32_t)((double)n * 0.002);
    for (uint32_t x = 0; x < n; x++) {
        uint64_t v = j->counts[x];
        if (info->family == VKC_FAMILY_PPQ) v = x < z0 ? 0 : x == z0 ? 1 : v;
        g->h[x] = v;
    }
    g->pre[0] = 0;
    g->nz[0] = 0;
    for (uint32_t x = 0; x < n; x++) {
        if (!vkc_add_u64(g->pre[x], g->h[x], &g->pre[x + 1]))
            return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: total count overflows", info->name);
        g->nz[x + 1] = g->nz[x] + (g->h[x] != 0);
    }
    uint32_t start, stride, count;
    if (info->family == VKC_FAMILY_PADDLE) {
        start = (uint32_t)((double)(n - 1) * 0.5);
        stride = 1;
        count = n > start ? n - start : 0;
    } else {
        start = stride = levels;
        count = levels && n % levels == 0 && n > 1 ? (n - 1 + levels - 1) / levels : 0;
    }
    if (g->pre[n] == 0 || levels < 2 || start == 0) count = 0;
    g->count = count;
    *k = (vkc_kl_pack){g->h, g->pre, g->nz, n, g->pre[n], start, stride, levels, count, VKC_LEVELS_BLOCKS};
    return VKC_OK;
}

/* The screen from the dispatch's (value, bound) pairs: natural-log KL for
 * Paddle, log10 for PPQ; the shader's infinite mark (an empty last bin
 * taking outliers) is +inf for neither tool, so it brackets everything. */
static vkc_status screen_of(const vkc_flavor_job *j, gpu_tensor *g, const float *out, vkc_msg *msg)
{
    const vkc_flavor_info *info = vkc_flavor_get(j->params.flavor);
    g->value = vkc_alloc_array(g->count, sizeof *g->value);
    g->bound = vkc_alloc_array(g->count, sizeof *g->bound);
    if (!g->value || !g->bound) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    const double scale = info->family == VKC_FAMILY_PPQ ? 1.0 / log(10.0) : 1.0;
    const double tb = tool_bound(j->spec.bins, g->pre[j->spec.bins]);
    for (uint32_t c = 0; c < g->count; c++) {
        const double v = out[2 * c], b = out[2 * c + 1];
        if (!(v < 1e38)) {
            g->value[c] = NAN;
            g->bound[c] = INFINITY;
            continue;
        }
        g->value[c] = (float)(v * scale);
        /* Rounded up: the float conversions and the scaling. */
        g->bound[c] = (float)((b * scale + fabs(v * scale) * 1e-6 + tb) * (1 + 1e-6));
    }
    return VKC_OK;
}

vkc_status vkc_flavor_search_batch(vkc_context *ctx, const vkc_flavor_job *jobs, uint32_t count,
                                   vkc_flavor_result *res)
{
    if (!ctx) return VKC_ERROR_INVALID_ARGUMENT;
    if ((!jobs || !res) && count) return vkc_fail(&ctx->msg, VKC_ERROR_INVALID_ARGUMENT, "flavour batch: NULL");
    const uint32_t threads = ctx->threads ? ctx->threads : 1;
    gpu_tensor *g = calloc(count ? count : 1, sizeof *g);
    vkc_kl_pack *packs = calloc(count ? count : 1, sizeof *packs);
    uint32_t *off = calloc(count ? count : 1, sizeof *off);
    vkc_status s = VKC_OK;
    if (!g || !packs || !off) {
        s = vkc_fail(&ctx->msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory for %u tensors", count);
        goto done;
    }
    const float *out = NULL;
    if (!ctx->is_cpu) {
        for (uint32_t t = 0; s == VKC_OK && t < count; t++)
            if (screened(vkc_flavor_get(jobs[t].params.flavor)) && jobs[t].counts && jobs[t].spec.bins)
                s = prepare(&jobs[t], &g[t], &packs[t], &ctx->msg);
        if (s == VKC_OK) s = vkc_kl_dispatch(ctx, packs, count, off, &out);
        for (uint32_t t = 0; s == VKC_OK && t < count; t++)
            if (g[t].count) s = screen_of(&jobs[t], &g[t], out + 2 * (size_t)off[t], &ctx->msg);
    }
    for (uint32_t t = 0; s == VKC_OK && t < count; t++) {
        vkc_flavor_params p = jobs[t].params;
        p.threads = threads;
        vkc_flavor_screen sc = {g[t].value, g[t].bound, g[t].count};
        s = vkc_flavor_search(jobs[t].counts, &jobs[t].spec, &jobs[t].st, &p, g[t].count ? &sc : NULL, &res[t],
                              &ctx->msg);
    }
done:
    for (uint32_t t = 0; g && t < count; t++) gpu_tensor_free(&g[t]);
    free(g);
    free(packs);
    free(off);
    return s;
}
