/* The pieces of `vkcalib explain` (cmd_explain.c drives them): the state of
 * one walkthrough, the terminal primitives and plots (explain_plot.c), and
 * the sections, those every walkthrough has (explain_sections.c), those of
 * a one-sided range on |x| (explain_onesided.c) and those of a two-sided
 * range on x (explain_twosided.c).
 *
 * Every section prints to stdout and fits 80 columns; each takes the ex of
 * the walkthrough and, where it explains one, the chosen range. */
#ifndef VKC_EXPLAIN_H
#define VKC_EXPLAIN_H

#include "cli.h"
#include "report_html.h"

#define WIDTH 78 /* text wraps here; nothing passes 80 */
#define COLS 64  /* plot columns */
#define ROWS 8   /* plot rows */

typedef struct ex {
    int utf8, color;
    const rv_set *s;
    const rv_tensor *t;
    vkc_method method;
    vkc_mode mode_req;     /* as asked (auto resolved per tensor) */
    int have_method, have_mode;
    int kind;              /* RV_SYM or RV_ALT: the chosen cell */
    int chosen;            /* index into t->r */
    int same_t_unsigned;   /* extra: unsigned [0, T] at the chosen symmetric T, or -1 */
    int asym_nonneg;       /* extra: asymmetric [min, max] of a never-negative tensor, or -1 */
    char err[256];
} ex;

#define BOLD "\033[1m"
#define DIM "\033[2m"
#define RED "\033[31m"
#define GREEN "\033[32m"
#define CYAN "\033[36m"
#define YELLOW "\033[33m"
#define RESET "\033[0m"

/* ---- text and plots (explain_plot.c) ------------------------------------ */

/* code when colour is on, else "". */
const char *ex_col(const ex *e, const char *code);
/* Display width of n bytes of UTF-8: one column per code point. */
int ex_width_of(const char *s, size_t n);
/* printf, wrapped at WIDTH with indent spaces before every line. */
void ex_wrap(int indent, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* name with control bytes (and non-ASCII, in ASCII mode) as '?'. */
void ex_safe_name(const ex *e, const char *name, char *out, size_t size);
/* A bold title underlined to its width. */
void ex_heading(const ex *e, const char *text);
/* The |x| histogram (log scale), red beyond T, with T marked. */
void ex_plot_hist(const ex *e, double T);
/* Values v[k] of candidates i = start + k*stride on the histogram's axis,
 * with mark_i marked (and other_i, when other_text is not NULL). */
void ex_plot_curve(const ex *e, const double *v, uint32_t nv, uint32_t start, uint32_t stride, uint32_t mark_i,
                   const char *mark_text, uint32_t other_i, const char *other_text);
/* The histogram of x on [slo, shi], red outside the window [lo, hi]. */
void ex_plot_signed(const ex *e, double lo, double hi);

/* ---- the sections -------------------------------------------------------- */

/* explain_sections.c: every walkthrough. */
void ex_section_range(const ex *e);
void ex_section_scale(const ex *e, const rv_range *r);
void ex_section_symmetric(const ex *e, const rv_range *r);

/* explain_onesided.c: a symmetric or unsigned range, on |x|. T: the
 * threshold marked on the histogram; entropy: the range whose KL curve is
 * drawn (r itself, or the entropy range beside another method's). */
void ex_section_hist(const ex *e, double T);
void ex_section_candidates(const ex *e, const rv_range *r);
void ex_section_kl_curve(const ex *e, const rv_range *r, const rv_range *entropy);
void ex_section_other_method(const ex *e, const rv_range *r);
void ex_section_mse_curve(const ex *e, const rv_range *r);

/* explain_twosided.c: an asymmetric range of the two-sided searches, on x. */
void ex_section_signed_hist(const ex *e, const rv_range *r);
void ex_section_two_sided(const ex *e, const rv_range *r);

#endif
