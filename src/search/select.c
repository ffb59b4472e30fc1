/* The selection cascade of select.h. */
#include "search/select.h"

#include <stdlib.h>
#include <string.h>

void vkc_cands_init(vkc_cand_list *cl, const vkc_select_rule *rule)
{
    memset(cl, 0, sizeof *cl);
    cl->u = INFINITY;
    cl->rule = *rule;
}

void vkc_cands_free(vkc_cand_list *cl)
{
    free(cl->v);
    cl->v = NULL;
    cl->len = cl->cap = 0;
}

int vkc_cands_reserve(vkc_cand_list *cl, size_t n)
{
    if (n <= cl->cap - cl->len) return 1;
    if (n > SIZE_MAX / sizeof *cl->v - cl->len) {
        cl->oom = 1;
        return 0;
    }
    size_t cap = cl->len + n;
    vkc_cand *v = realloc(cl->v, (cap ? cap : 1) * sizeof *v);
    if (!v) {
        cl->oom = 1;
        return 0;
    }
    cl->v = v;
    cl->cap = cap;
    return 1;
}

void vkc_cands_append(vkc_cand_list *cl, uint32_t a, uint32_t b, double lo, double hi)
{
    if (cl->len == cl->cap && !vkc_cands_reserve(cl, cl->cap ? cl->cap : 1024)) return;
    cl->v[cl->len++] = (vkc_cand){a, b, lo, hi, 0};
}

/* The band's upper limit for the least upper end u and the least lower end
 * l (used only by span rules). Why no candidate the deciding evaluator
 * would choose, or count as tied, is ever dropped: let r(c) be the deciding
 * value of candidate c, m the least r over all candidates (reached at c*),
 * and suppose lo(c) <= r(c) <= hi(c) for every c in the list, c* among
 * them. U = min hi >= min r = m.
 *   - Exact ties (tolerant = 0): a tied c has r(c) = m <= U, so lo(c) <= U
 *     = limit: kept.
 *   - tol(U) (the two-sided searches): KL and MSE are >= 0 and the deciding
 *     references err by far less than 1e-6, so m >= -1e-6; then tol(m) <=
 *     tol(U) (tol is the 1e-15 floor for |m| <= 1e-6 and non-decreasing in
 *     |.|), and rounded addition is monotone: a tied c has lo(c) <= r(c) <=
 *     fl(m + tol(m)) <= fl(U + tol(U)) = limit. U + tol(U) only decreases
 *     as U does, so dropping candidates above a running limit, which is
 *     never below the final one, is safe too (vkc_cands_push).
 *   - tol(X), X = max(|U|, |Lmin|), Lmin = min lo (the symmetric search,
 *     which assumes nothing about the sign of m): Lmin <= lo(c*) <= m <= U,
 *     so |m| <= X and tol(m) <= tol(X): fl(m + tol(m)) <= fl(U + tol(X)).
 *     (When some lo is -inf, X = |U|: then m <= U, and m < -|U| would need
 *     m < 0, where tol(m) is the 1e-15 floor anyway, since KL >= 0 and the
 *     reference errs by far less than the 1e-6 it would take to leave it.)
 * c* is tied with itself, so it survives, and the hypothesis "c* in the
 * list" holds for the next stage. Every stage applies this in turn, so the
 * survivors hold c* and all its ties, and vkc_cands_pick on them chooses
 * what the tie rule chooses from all candidates' deciding values. */
static double band_limit(const vkc_select_rule *r, double u, double l)
{
    if (!r->tolerant) return u;
    if (!r->span) return vkc_tie_limit(u);
    double x = fmax(fabs(u), isfinite(l) ? fabs(l) : fabs(u));
    return u + vkc_tie_tol(x);
}

void vkc_cands_compact(vkc_cand_list *cl)
{
    if (!isfinite(cl->u)) return; /* every bracket reaches an infinite band */
    double l = INFINITY;
    if (cl->rule.span)
        for (size_t i = 0; i < cl->len; i++)
            if (cl->v[i].lo < l) l = cl->v[i].lo;
    const double limit = band_limit(&cl->rule, cl->u, l);
    size_t k = 0;
    for (size_t i = 0; i < cl->len; i++)
        if (cl->v[i].lo <= limit) cl->v[k++] = cl->v[i];
    cl->len = k;
}

void vkc_cands_push(vkc_cand_list *cl, uint32_t a, uint32_t b, double lo, double hi)
{
    if (hi < cl->u) cl->u = hi;
    if (!(lo <= band_limit(&cl->rule, cl->u, INFINITY))) return;
    if (cl->len == cl->cap) {
        vkc_cands_compact(cl);
        if (cl->cap == 0 || cl->len > cl->cap / 2) {
            size_t cap = cl->cap ? cl->cap * 2 : 1024;
            vkc_cand *v = realloc(cl->v, cap * sizeof *v);
            if (!v) {
                cl->oom = 1;
                return;
            }
            cl->v = v;
            cl->cap = cap;
        }
    }
    cl->v[cl->len++] = (vkc_cand){a, b, lo, hi, 0};
}

size_t vkc_cands_filter(vkc_cand_list *cl)
{
    double u = INFINITY;
    for (size_t i = 0; i < cl->len; i++)
        if (cl->v[i].hi < u) u = cl->v[i].hi;
    cl->u = u;
    vkc_cands_compact(cl);
    return cl->len;
}

static int cand_cmp(const void *x, const void *y)
{
    const vkc_cand *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    return p->b < q->b ? -1 : p->b > q->b;
}

int vkc_cands_merge(vkc_cand_list *parts, uint32_t count, vkc_cand_list *out)
{
    size_t total = 0;
    int oom = 0;
    for (uint32_t k = 0; k < count; k++) {
        oom |= parts[k].oom;
        vkc_cands_compact(&parts[k]);
        total += parts[k].len;
    }
    vkc_cands_init(out, count ? &parts[0].rule : &(vkc_select_rule){0});
    if (!oom) {
        out->v = malloc((total ? total : 1) * sizeof *out->v);
        if (out->v) {
            for (uint32_t k = 0; k < count; k++) {
                if (!parts[k].len) continue;
                memcpy(out->v + out->len, parts[k].v, parts[k].len * sizeof *out->v);
                out->len += parts[k].len;
            }
            out->cap = total;
        } else {
            oom = 1;
        }
    }
    for (uint32_t k = 0; k < count; k++) vkc_cands_free(&parts[k]);
    if (oom) {
        vkc_cands_free(out);
        return 0;
    }
    qsort(out->v, out->len, sizeof *out->v, cand_cmp);
    return 1;
}

/* 1 when c beats o under the tie rule (both tied with the minimum). */
static int wins(vkc_tie tie, const vkc_cand *c, const vkc_cand *o)
{
    switch (tie) {
    case VKC_TIE_LARGEST:
        return c->b > o->b || (c->b == o->b && c->a < o->a);
    case VKC_TIE_SMALLEST:
        return c->b < o->b || (c->b == o->b && c->a < o->a);
    case VKC_TIE_WIDEST: {
        uint32_t wc = c->b - c->a, wo = o->b - o->a;
        return wc > wo || (wc == wo && c->a < o->a);
    }
    }
    return 0;
}

size_t vkc_cands_pick(const vkc_cand_list *cl)
{
    double m = INFINITY;
    for (size_t i = 0; i < cl->len; i++)
        if (cl->v[i].val < m) m = cl->v[i].val;
    if (!isfinite(m) || !(m < cl->rule.ceiling)) return cl->len;
    const double limit = cl->rule.tolerant ? vkc_tie_limit(m) : m;
    size_t best = cl->len;
    for (size_t i = 0; i < cl->len; i++) {
        if (!(cl->v[i].val <= limit)) continue;
        if (best == cl->len || wins(cl->rule.tie, &cl->v[i], &cl->v[best])) best = i;
    }
    return best;
}

size_t vkc_cands_decide(vkc_cand_list *cl, const vkc_cand_eval *ev, int refine, uint64_t *refined,
                        uint64_t *evaluated)
{
    vkc_cands_filter(cl);
    if (refine && ev->fast) {
        for (size_t i = 0; i < cl->len; i++) {
            double e, v = ev->fast(ev->ctx, cl->v[i].a, cl->v[i].b, &e);
            vkc_bracket(v, e, &cl->v[i].lo, &cl->v[i].hi);
        }
        if (refined) *refined += cl->len;
        vkc_cands_filter(cl);
    }
    for (size_t i = 0; i < cl->len; i++) cl->v[i].val = ev->exact(ev->ctx, cl->v[i].a, cl->v[i].b);
    if (evaluated) *evaluated += cl->len;
    return vkc_cands_pick(cl);
}
