/* The selection cascade every search shares.
 *
 * A search has candidates (a threshold bin, a window) and evaluators of
 * rising cost and exactness: an approximate screen (the GPU's float32
 * values), a fast evaluator with a rigorous error bound, and the deciding
 * evaluator (a double reference, or a tool's own arithmetic), whose value
 * defines the choice. The cascade:
 *   1. brackets each candidate's deciding value by a screen's value and its
 *      bound (vkc_bracket);
 *   2. keeps the candidates whose bracket reaches down to the tie band of
 *      the least upper end (vkc_cands_filter; the proof is at the function);
 *   3. optionally re-brackets the survivors with the next evaluator and
 *      filters again;
 *   4. evaluates the survivors with the deciding evaluator and picks by the
 *      tie rule (vkc_cands_pick), or reports that none is usable, when the
 *      caller falls back.
 * Whatever the screens, the pick equals the tie rule applied to the
 * deciding evaluator's values of every candidate.
 *
 * The variation points are a vkc_select_rule (tie order, whether values
 * within the tie tolerance count as tied, the band's magnitude, a ceiling a
 * chosen value must stay below) and the evaluators, passed as callbacks. */
#ifndef VKC_SELECT_H
#define VKC_SELECT_H

#include "base/numeric.h"

#include <stddef.h>
#include <stdint.h>

/* One candidate: its identity (a, b), the bracket [lo, hi] known to hold
 * its deciding value, and that value once evaluated. The symmetric
 * searches use a = 0 and b = the candidate's index; the two-sided ones the
 * window, bins a..b-1. */
typedef struct vkc_cand {
    uint32_t a, b;
    double lo, hi, val;
} vkc_cand;

/* Which of several tied candidates wins. */
typedef enum vkc_tie {
    VKC_TIE_LARGEST = 0, /* the largest b (modelopt: the largest i) */
    VKC_TIE_SMALLEST,    /* the smallest b (MSE; the tools' "first minimum") */
    VKC_TIE_WIDEST       /* the largest b - a, then the smallest a (two-sided) */
} vkc_tie;

typedef struct vkc_select_rule {
    vkc_tie tie;
    /* 1: values within vkc_tie_tol of the minimum are tied (DESIGN.md §2:
     *    a double reference, whose rounding noise must not decide);
     * 0: only equal values are (the deciding evaluator is a tool's own
     *    arithmetic, reproduced exactly: its ties are exact). */
    int tolerant;
    /* With tolerant: the band's tolerance is taken at X = max(|U|, |least
     * finite lower end|) instead of at U (see vkc_cands_filter). The
     * symmetric entropy search uses X, the two-sided ones U. */
    int span;
    /* A chosen value must be below this (INFINITY; FLT_MAX or 10000 for the
     * tools whose minimum starts there and takes a strict <). */
    double ceiling;
} vkc_select_rule;

/* Candidates in a growable list. u is the least upper end pushed so far:
 * vkc_cands_push drops candidates already above its band. */
typedef struct vkc_cand_list {
    vkc_cand *v;
    size_t len, cap;
    double u;
    int oom;
    vkc_select_rule rule;
} vkc_cand_list;

void vkc_cands_init(vkc_cand_list *cl, const vkc_select_rule *rule);
void vkc_cands_free(vkc_cand_list *cl);
/* Room for n more candidates; 0 when out of memory (oom is set). */
int vkc_cands_reserve(vkc_cand_list *cl, size_t n);
/* Adds a candidate whatever its bracket. */
void vkc_cands_append(vkc_cand_list *cl, uint32_t a, uint32_t b, double lo, double hi);
/* Adds a candidate unless its bracket lies above the band of the least
 * upper end seen so far, compacting before growing. Only for rules without
 * span (with span the band is not monotone in what has been seen). */
void vkc_cands_push(vkc_cand_list *cl, uint32_t a, uint32_t b, double lo, double hi);
/* Drops the candidates above the band of the current u (not recomputed). */
void vkc_cands_compact(vkc_cand_list *cl);
/* Recomputes u from the list, then drops the candidates whose bracket lies
 * above its band. Returns the number kept. */
size_t vkc_cands_filter(vkc_cand_list *cl);
/* Concatenates lists (each compacted first) into out, sorted by (a, b) so
 * that the result never depends on how the candidates were split. Frees
 * the parts. 0 when out of memory. */
int vkc_cands_merge(vkc_cand_list *parts, uint32_t count, vkc_cand_list *out);

/* The tie rule on the deciding values: least value m (below the ceiling),
 * then the winner among those tied with it. Returns its index, or len when
 * no value is finite and below the ceiling. */
size_t vkc_cands_pick(const vkc_cand_list *cl);

/* The evaluators of the cascade's last two stages, on candidate (a, b):
 * fast returns a value and *err, a bound on its distance to the deciding
 * value (may be NULL when the caller never refines); exact returns the
 * deciding value. */
typedef struct vkc_cand_eval {
    const void *ctx;
    double (*fast)(const void *ctx, uint32_t a, uint32_t b, double *err);
    double (*exact)(const void *ctx, uint32_t a, uint32_t b);
} vkc_cand_eval;

/* Stages 2-4: filter; with refine, re-bracket every survivor with fast and
 * filter again (adding the number re-bracketed to *refined); evaluate the
 * survivors with exact (adding their number to *evaluated); pick. Returns
 * the index of the winner in cl->v (its val set), or cl->len for none. */
size_t vkc_cands_decide(vkc_cand_list *cl, const vkc_cand_eval *ev, int refine, uint64_t *refined,
                        uint64_t *evaluated);

#endif
