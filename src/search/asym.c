/* The two-sided (asymmetric) entropy and MSE searches (asym.h): the checks
 * and fallbacks common to every path, the candidates (the exhaustive fast
 * pass on the CPU, or the screen of a GPU pass's brackets), the selection
 * cascade that ends on the reference (select.h), and the public searches.
 * The evaluators are in asym_ref.c and asym_fast.c, the prepared histogram
 * in asym_hist.c; notation in asym_impl.h. */
#include "search/asym_impl.h"
#include "base/numeric.h"
#include "base/parallel.h"
#include "search/select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Selection rule                                                           */

/* The two-sided searches' selection rule (asym.h): least value, values
 * within the tie tolerance tied, the widest window then the smallest a;
 * band at tol(U). */
static const vkc_select_rule asym_rule = {VKC_TIE_WIDEST, 1, 0, INFINITY};

/* ------------------------------------------------------------------------ */
/* Search plumbing shared by both methods                                   */

typedef enum { M_KL, M_MSE } method;

typedef struct search {
    method kind;
    const vkc_asym_hist *ah;
    double lo, hi;
    uint32_t start;
    /* MSE: windows with a >= a0 have lo' = 0, windows with b <= b0 have
     * hi' = 0; their values depend on b (resp. a) alone and are tabled. */
    uint32_t a0, b0;
    double *vb, *eb, *va, *ea;
} search;

static void fallback(vkc_asym_result *res, uint32_t n, double lo, double hi, const char *fmt, ...)
    VKC_PRINTF(5, 6);

static void fallback(vkc_asym_result *res, uint32_t n, double lo, double hi, const char *fmt, ...)
{
    va_list ap;
    res->fallback = 1;
    res->a = 0;
    res->b = n;
    res->lo = lo;
    res->hi = hi;
    res->value = 0;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
}

/* Checks and the fallbacks common to every path. *go = 1 when windows need
 * evaluating. */
static vkc_status begin(method kind, const vkc_asym_hist *ah, double lo, double hi, uint32_t *start,
                        vkc_asym_result *res, vkc_msg *msg, int *go)
{
    const char *what = kind == M_KL ? "asymmetric entropy search" : "asymmetric MSE search";
    *go = 0;
    if (!res) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: no result", what);
    memset(res, 0, sizeof *res);
    if (!ah || !ah->h || ah->n == 0) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: no histogram", what);
    if ((kind == M_KL && !ah->bhi) || (kind == M_MSE && !ah->m1))
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: histogram not prepared for it", what);
    if (!isfinite(lo) || !isfinite(hi) || hi < lo)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: range [%g, %g] invalid", what, lo, hi);
    if (fabs(lo) > 0x1p900 || fabs(hi) > 0x1p900)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: range [%g, %g] too large", what, lo, hi);
    if (*start == 0) *start = VKC_ASYM_DEFAULT_START;
    const uint32_t n = ah->n;
    res->windows = vkc_asym_search_windows(ah, *start);
    if (ah->total == 0) {
        fallback(res, n, lo, hi, "histogram is empty");
        return VKC_OK;
    }
    if (n < *start) {
        fallback(res, n, lo, hi, "%u bins, fewer than the minimum window of %u", n, *start);
        return VKC_OK;
    }
    if (!((hi - lo) / (double)n >= 0x1p-900)) {
        fallback(res, n, lo, hi, "histogram range [%g, %g] is empty or too narrow", lo, hi);
        return VKC_OK;
    }
    if (kind == M_KL) {
        /* Infinite windows: a with OL > 0 and h[a] = 0, or b with OR > 0
         * and h[b-1] = 0; counted exactly. */
        uint64_t inf = 0;
        for (uint32_t m = *start; m <= n; m++) {
            uint32_t a0, a1;
            vkc_asym_width_range(ah, m, &a0, &a1);
            for (uint32_t a = a0; a <= a1; a++)
                inf += (ah->pre[a] && !ah->h[a]) || (ah->total - ah->pre[a + m] && !ah->h[a + m - 1]);
        }
        res->inf_windows = inf;
        if (inf == res->windows) {
            fallback(res, n, lo, hi, "every window has infinite divergence");
            return VKC_OK;
        }
    }
    *go = 1;
    return VKC_OK;
}

static double window_fast(const search *s, uint32_t a, uint32_t b, double *err)
{
    if (s->kind == M_KL) return vkc_asym_kl_fast(s->ah, a, b, err);
    if (s->vb && a >= s->a0) {
        *err = s->eb[b];
        return s->vb[b];
    }
    if (s->va && b <= s->b0) {
        *err = s->ea[a];
        return s->va[a];
    }
    return vkc_asym_mse_window_fast(s->ah, s->lo, s->hi, a, b, err);
}

static double window_ref(const search *s, uint32_t a, uint32_t b)
{
    if (s->kind == M_KL) return vkc_asym_kl_reference(s->ah, a, b);
    return vkc_asym_mse_window_reference(s->ah, s->lo, s->hi, a, b);
}

static int window_inf(const search *s, uint32_t a, uint32_t b)
{
    return s->kind == M_KL && vkc_asym_kl_is_inf(s->ah, a, b);
}

/* MSE tables (see struct search); O(N) fast evaluations. */
static vkc_status mse_tables(search *s, vkc_msg *msg)
{
    const vkc_asym_hist *ah = s->ah;
    const uint32_t n = ah->n, st = s->start;
    const double w = (s->hi - s->lo) / (double)n;
    s->a0 = n + 1;
    for (uint32_t a = 0; a <= n; a++)
        if (!(vkc_asym_edge(s->lo, s->hi, n, a) < 0)) {
            s->a0 = a;
            break;
        }
    s->b0 = 0;
    int any_b0 = 0;
    for (uint32_t b = n + 1; b-- > 0;)
        if (!(vkc_asym_edge(s->lo, s->hi, n, b) > 0)) {
            s->b0 = b;
            any_b0 = 1;
            break;
        }
    if (s->a0 + st <= n) {
        s->vb = vkc_alloc_array((uint64_t)n + 1, sizeof(double));
        s->eb = vkc_alloc_array((uint64_t)n + 1, sizeof(double));
        if (!s->vb || !s->eb) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "asymmetric MSE: out of memory");
        for (uint32_t b = s->a0 + st; b <= n; b++) {
            double eb = vkc_asym_edge(s->lo, s->hi, n, b);
            vkc_asym_grid g;
            vkc_asym_grid_from(s->lo, s->hi, w, 0.0, eb > 0 ? eb : 0.0, &g);
            s->vb[b] = vkc_asym_mse_fast_grid(ah, &g, &s->eb[b]);
        }
    }
    if (any_b0 && s->b0 >= st) {
        s->va = vkc_alloc_array((uint64_t)n + 1, sizeof(double));
        s->ea = vkc_alloc_array((uint64_t)n + 1, sizeof(double));
        if (!s->va || !s->ea) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "asymmetric MSE: out of memory");
        for (uint32_t a = 0; a + st <= s->b0; a++) {
            double ea = vkc_asym_edge(s->lo, s->hi, n, a);
            vkc_asym_grid g;
            vkc_asym_grid_from(s->lo, s->hi, w, ea < 0 ? ea : 0.0, 0.0, &g);
            s->va[a] = vkc_asym_mse_fast_grid(ah, &g, &s->ea[a]);
        }
    } else {
        s->b0 = 0;
    }
    return VKC_OK;
}

static void search_free(search *s)
{
    free(s->vb);
    free(s->eb);
    free(s->va);
    free(s->ea);
}

/* Exhaustive fast pass: lane t takes window widths start + t, start + t +
 * lanes, ..., each on its own thread with its own candidate list. */
typedef struct sweep_job {
    const search *s;
    uint32_t lanes;
    vkc_cand_list *cl;
} sweep_job;

static void sweep_lane(void *arg, uint32_t t)
{
    const sweep_job *j = arg;
    const search *s = j->s;
    const uint32_t n = s->ah->n;
    vkc_cand_list *cl = &j->cl[t];
    for (uint64_t m = (uint64_t)s->start + t; m <= n; m += j->lanes) {
        uint32_t a0, a1;
        vkc_asym_width_range(s->ah, (uint32_t)m, &a0, &a1);
        for (uint32_t a = a0; a <= a1; a++) {
            const uint32_t b = a + (uint32_t)m;
            if (window_inf(s, a, b)) continue;
            double e, lo, hi, v = window_fast(s, a, b, &e);
            vkc_bracket(v, e, &lo, &hi);
            vkc_cands_push(cl, a, b, lo, hi);
            if (cl->oom) return;
        }
    }
}

static vkc_status sweep(const search *s, uint32_t threads, vkc_cand_list *out, vkc_msg *msg)
{
    enum { MAXT = 64 };
    uint32_t nt = threads ? threads : vkc_cpu_count();
    if (nt > MAXT) nt = MAXT;
    if (nt < 1) nt = 1;
    vkc_cand_list lists[MAXT];
    for (uint32_t k = 0; k < nt; k++) vkc_cands_init(&lists[k], &asym_rule);
    sweep_job job = {s, nt, lists};
    vkc_parallel_for(nt, nt, sweep_lane, &job);
    /* Window order, so that the result never depends on the threads. */
    if (!vkc_cands_merge(lists, nt, out))
        return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "asymmetric search: out of memory for candidates");
    return VKC_OK;
}

/* Fills the result from the chosen window. */
static void finish(const search *s, const vkc_cand *c, vkc_asym_result *res)
{
    const vkc_asym_hist *ah = s->ah;
    /* A mirrored histogram's window, in the histogram's own bins. */
    res->a = ah->mirrored ? ah->n - c->b : c->a;
    res->b = ah->mirrored ? ah->n - c->a : c->b;
    res->value = c->val;
    if (s->kind == M_KL) {
        res->lo = vkc_asym_edge(s->lo, s->hi, ah->n, res->a);
        res->hi = vkc_asym_edge(s->lo, s->hi, ah->n, res->b);
    } else {
        vkc_asym_grid g;
        vkc_asym_grid_of(s->lo, s->hi, ah->n, c->a, c->b, &g);
        res->lo = g.lop;
        res->hi = g.hip;
    }
}

/* The cascade's evaluators on window (a, b). */
static double eval_fast(const void *ctx, uint32_t a, uint32_t b, double *err)
{
    return window_fast(ctx, a, b, err);
}

static double eval_ref(const void *ctx, uint32_t a, uint32_t b)
{
    return window_ref(ctx, a, b);
}

/* The end of every path: optional fast re-evaluation of the survivors of an
 * approximate stage, filter, reference, tie rule (select.h). */
static void decide(const search *s, vkc_cand_list *cl, int refine, vkc_asym_result *res)
{
    const vkc_cand_eval ev = {s, eval_fast, eval_ref};
    size_t k = vkc_cands_decide(cl, &ev, refine, &res->fast_checked, &res->reevaluated);
    if (k == cl->len) {
        fallback(res, s->ah->n, s->lo, s->hi, "no window has a finite value");
        return;
    }
    finish(s, &cl->v[k], res);
}

/* ------------------------------------------------------------------------ */
/* Entropy searches                                                         */

/* The windows whose device brackets reach the tie band: approx holds
 * (value, bound on |value - exact|) per window in window order; the
 * reference's own error is added here. The cells give a starting U (every
 * cell's upper end is >= the upper ends of its windows) and let whole groups
 * be skipped. */
static vkc_status scan_approx(const search *s, const float *approx, const float *cells, uint32_t cell_windows,
                              vkc_cand_list *cl, vkc_msg *msg)
{
    const vkc_asym_hist *ah = s->ah;
    const uint32_t n = ah->n, start = s->start, rows = n - start + 1;
    const uint32_t cw = cells && cell_windows ? cell_windows : 0;
    const uint32_t cpr = cw ? (rows + cw - 1) / cw : 0;
    /* The MSE shader works in units of the bin width: values are MSE / w^2.
     * (Multiplying by f rounds monotonically, so a cell's ends stay on the
     * right side of its windows'; the brackets' slack covers the rest.) */
    const double wd = (s->hi - s->lo) / (double)n, f = s->kind == M_MSE ? wd * wd : 1.0;
    vkc_cands_init(cl, &asym_rule);
    if (cw) {
        for (uint32_t y = 0; y < rows; y++)
            for (uint32_t c = 0; c * cw < rows - y; c++) {
                double chi = cells[2 * ((uint64_t)y * cpr + c) + 1] * f;
                if (chi < cl->u) cl->u = chi;
            }
    }
    uint64_t idx = 0;
    for (uint32_t y = 0; y < rows; y++) {
        /* Width start + y: windows a = 0 .. len - 1. */
        const uint32_t len = rows - y, m = start + y;
        uint32_t a0, a1;
        vkc_asym_width_range(ah, m, &a0, &a1);
        for (uint32_t c0 = 0; c0 < len; c0 += cw ? cw : len) {
            const uint32_t c1 = cw && len - c0 > cw ? c0 + cw : len;
            if (c1 <= a0 || c0 > a1) continue; /* no window of the search here */
            if (cw) {
                double clo = cells[2 * ((uint64_t)y * cpr + c0 / cw)] * f;
                if (clo > vkc_tie_limit(cl->u)) continue;
            }
            for (uint32_t a = c0 > a0 ? c0 : a0; a < c1 && a <= a1; a++) {
                const uint32_t b = a + m;
                if (window_inf(s, a, b)) continue;
                const uint64_t w = idx + a;
                double v = approx[2 * w] * f, e = approx[2 * w + 1] * f, blo, bhi, pad;
                if (s->kind == M_KL) {
                    pad = vkc_asym_kl_ref_err(ah, fabs(v) + e);
                } else {
                    vkc_asym_grid g;
                    vkc_asym_grid_of(s->lo, s->hi, n, a, b, &g);
                    pad = vkc_asym_mse_ref_err(&g, fabs(v) + e);
                }
                vkc_bracket(v, e + pad, &blo, &bhi);
                vkc_cands_push(cl, a, b, blo, bhi);
                if (cl->oom) {
                    vkc_cands_free(cl);
                    return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "asymmetric search: out of memory");
                }
            }
        }
        idx += len;
    }
    return VKC_OK;
}

vkc_status vkc_asym_entropy_select(const vkc_asym_hist *ah, double lo, double hi, uint32_t start,
                                   const float *approx, const float *cells, uint32_t cell_windows,
                                   uint32_t threads, vkc_asym_result *res, vkc_msg *msg)
{
    int go;
    vkc_status st = begin(M_KL, ah, lo, hi, &start, res, msg, &go);
    if (st != VKC_OK || !go) return st;
    search s = {M_KL, ah, lo, hi, start, 0, 0, NULL, NULL, NULL, NULL};
    vkc_cand_list cl;
    st = approx ? scan_approx(&s, approx, cells, cell_windows, &cl, msg) : sweep(&s, threads, &cl, msg);
    if (st != VKC_OK) return st;
    decide(&s, &cl, approx != NULL, res);
    vkc_cands_free(&cl);
    return VKC_OK;
}

vkc_status vkc_asym_entropy_cpu_threads(const uint64_t *counts, uint32_t n, double lo, double hi,
                                        uint32_t start, uint32_t threads, vkc_asym_result *res,
                                        vkc_msg *msg)
{
    vkc_asym_hist ah;
    if (res) memset(res, 0, sizeof *res);
    vkc_status st = vkc_asym_kl_prepare(&ah, counts, n, lo, hi, msg);
    if (st != VKC_OK) return st;
    st = vkc_asym_entropy_select(&ah, lo, hi, start, NULL, NULL, 0, threads, res, msg);
    vkc_asym_hist_free(&ah);
    return st;
}

vkc_status vkc_asym_entropy_cpu(const uint64_t *counts, uint32_t n, double lo, double hi, uint32_t start,
                                vkc_asym_result *res, vkc_msg *msg)
{
    return vkc_asym_entropy_cpu_threads(counts, n, lo, hi, start, 0, res, msg);
}

/* The reference on every window of a prepared histogram, then the tie
 * rule. */
static vkc_status reference_all(method kind, const uint64_t *counts, uint32_t n, double lo, double hi,
                                uint32_t start, vkc_asym_result *res, vkc_msg *msg)
{
    vkc_asym_hist ah;
    if (res) memset(res, 0, sizeof *res);
    vkc_status st = kind == M_KL ? vkc_asym_kl_prepare(&ah, counts, n, lo, hi, msg)
                                 : vkc_asym_hist_init(&ah, counts, n, VKC_ASYM_MSE, msg);
    if (st != VKC_OK) return st;
    int go;
    st = begin(kind, &ah, lo, hi, &start, res, msg, &go);
    if (st == VKC_OK && go) {
        search s = {kind, &ah, lo, hi, start, 0, 0, NULL, NULL, NULL, NULL};
        vkc_cand_list cl;
        vkc_cands_init(&cl, &asym_rule);
        if (res->windows > SIZE_MAX || !vkc_cands_reserve(&cl, (size_t)res->windows)) {
            st = vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "asymmetric search: out of memory");
        } else {
            for (uint32_t m = start; m <= n; m++) {
                uint32_t a0, a1;
                vkc_asym_width_range(&ah, m, &a0, &a1);
                for (uint32_t a = a0; a <= a1; a++) {
                    if (window_inf(&s, a, a + m)) continue;
                    vkc_cands_append(&cl, a, a + m, -INFINITY, INFINITY);
                }
            }
            decide(&s, &cl, 0, res);
            vkc_cands_free(&cl);
        }
    }
    vkc_asym_hist_free(&ah);
    return st;
}

vkc_status vkc_asym_entropy_reference(const uint64_t *counts, uint32_t n, double lo, double hi,
                                      uint32_t start, vkc_asym_result *res, vkc_msg *msg)
{
    return reference_all(M_KL, counts, n, lo, hi, start, res, msg);
}

/* ------------------------------------------------------------------------ */
/* MSE searches                                                             */

vkc_status vkc_asym_mse_select(const vkc_asym_hist *ah, double lo, double hi, uint32_t start,
                               const float *approx, const float *cells, uint32_t cell_windows,
                               uint32_t threads, vkc_asym_result *res, vkc_msg *msg)
{
    int go;
    vkc_status st = begin(M_MSE, ah, lo, hi, &start, res, msg, &go);
    if (st != VKC_OK || !go) return st;
    search s = {M_MSE, ah, lo, hi, start, 0, 0, NULL, NULL, NULL, NULL};
    st = mse_tables(&s, msg);
    vkc_cand_list cl;
    if (st == VKC_OK)
        st = approx ? scan_approx(&s, approx, cells, cell_windows, &cl, msg) : sweep(&s, threads, &cl, msg);
    if (st == VKC_OK) {
        decide(&s, &cl, approx != NULL, res);
        vkc_cands_free(&cl);
    }
    search_free(&s);
    return st;
}

vkc_status vkc_asym_mse_cpu_threads(const uint64_t *counts, uint32_t n, double lo, double hi, uint32_t start,
                                    uint32_t threads, vkc_asym_result *res, vkc_msg *msg)
{
    vkc_asym_hist ah;
    if (res) memset(res, 0, sizeof *res);
    vkc_status st = vkc_asym_hist_init(&ah, counts, n, VKC_ASYM_MSE, msg);
    if (st != VKC_OK) return st;
    st = vkc_asym_mse_select(&ah, lo, hi, start, NULL, NULL, 0, threads, res, msg);
    vkc_asym_hist_free(&ah);
    return st;
}

vkc_status vkc_asym_mse_cpu(const uint64_t *counts, uint32_t n, double lo, double hi, uint32_t start,
                            vkc_asym_result *res, vkc_msg *msg)
{
    return vkc_asym_mse_cpu_threads(counts, n, lo, hi, start, 0, res, msg);
}

vkc_status vkc_asym_mse_reference(const uint64_t *counts, uint32_t n, double lo, double hi, uint32_t start,
                                  vkc_asym_result *res, vkc_msg *msg)
{
    return reference_all(M_MSE, counts, n, lo, hi, start, res, msg);
}
