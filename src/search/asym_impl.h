/* Inside the two-sided searches (asym.h): the notation every part shares,
 * the quantization grid of an MSE window, and what the selection (asym.c)
 * calls in the evaluators. The parts: asym_hist.c prepares the histogram
 * and counts the windows; asym_ref.c holds the definitions (the reference
 * evaluators and their own error bounds); asym_fast.c the fast evaluators
 * with the bounds that tie them to the reference; asym.c the searches
 * (checks, fallbacks, candidate screening, the selection cascade).
 *
 * Notation for window (a, b), m = b - a, L = 256 levels:
 *   h_j counts, T = total, pre[x] = sum_{j<x} h_j,
 *   H = pre[b] - pre[a] = sum Q, OL = pre[a] (left outliers),
 *   OR = T - pre[b] (right outliers), O = OL + OR,
 *   local index r = j - a, level(r) = floor(r L / m); level k covers
 *   r in [ceil(k m / L), ceil((k+1) m / L)),
 *   M_k, n_k: mass and number of non-empty bins of level k, qbar_k = M_k/n_k,
 *   u = 2^-53. */
#ifndef VKC_ASYM_IMPL_H
#define VKC_ASYM_IMPL_H

#include "search/asym.h"

#include <math.h>

/* The quantization grid of an MSE window (asym.h): the histogram's lo, hi
 * and bin width w, the widened range [lop, hip] with its scale and zero
 * point; ok = 0 when the grid has no finite positive scale (the window's
 * value is then +inf). */
typedef struct vkc_asym_grid {
    double lo, hi, w, lop, hip, scale, zp;
    int ok;
} vkc_asym_grid;

/* The grid of range [lop, hip] (asym_ref.c). */
void vkc_asym_grid_from(double lo, double hi, double w, double lop, double hip, vkc_asym_grid *g);
/* The grid of window (a, b) of n bins over [lo, hi] (asym_ref.c). */
void vkc_asym_grid_of(double lo, double hi, uint32_t n, uint32_t a, uint32_t b, vkc_asym_grid *g);

/* Bin j's centre and its code on the grid: part of the definition, and here
 * so that both MSE evaluators run the very same operations (the fast one's
 * runs of equal code are the reference's runs). */
static inline double vkc_asym_grid_centre(const vkc_asym_grid *g, uint32_t j)
{
    return g->lo + ((double)j + 0.5) * g->w;
}

static inline double vkc_asym_grid_code(const vkc_asym_grid *g, uint32_t j)
{
    double q = nearbyint(vkc_asym_grid_centre(g, j) / g->scale) + g->zp;
    return q < 0 ? 0.0 : q > 255 ? 255.0 : q;
}

/* Bound on the MSE reference's distance to the exact value for a window
 * whose exact value is at most e_up (asym_ref.c). */
double vkc_asym_mse_ref_err(const vkc_asym_grid *g, double e_up);
/* The fast MSE evaluation of one grid; *err bounds the distance to the
 * reference's value (asym_fast.c). */
double vkc_asym_mse_fast_grid(const vkc_asym_hist *ah, const vkc_asym_grid *g, double *err);

#endif
