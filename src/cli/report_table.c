/* The tables of `vkcalib report`: the summary (one row per tensor, sortable
 * by the document's script) with its note on why TensorRT's range is
 * symmetric, and each tensor's comparison of its ranges. See
 * report_parts.h. */
#include "report_parts.h"

#include <math.h>

static void put_num_td(cli_buf *b, double v, const char *fmt_suffix)
{
    char t[64];
    cli_buf_puts(b, "<td");
    rv_put_datav(b, v);
    if (isnan(v)) cli_buf_puts(b, " class=\"na\"");
    cli_buf_printf(b, ">%s%s</td>", rv_num6(v, t, sizeof t), isnan(v) ? "" : fmt_suffix);
}

static void put_db_td(cli_buf *b, const rv_range *r, int estimated)
{
    double v = r ? rv_sqnr(r) : NAN;
    cli_buf_puts(b, "<td");
    rv_put_datav(b, v);
    if (isnan(v)) cli_buf_puts(b, " class=\"na\">\xe2\x80\x93</td>");
    else if (isinf(v)) cli_buf_puts(b, ">\xe2\x88\x9e</td>");
    else cli_buf_printf(b, ">%.2f</td>", v);
    (void)estimated; /* said once, in the headers */
}

static void put_pct_td(cli_buf *b, const rv_range *r)
{
    double v = r ? rv_clipped_pct(r) : NAN;
    cli_buf_puts(b, "<td");
    rv_put_datav(b, v);
    if (isnan(v)) cli_buf_puts(b, " class=\"na\">\xe2\x80\x93</td>");
    else cli_buf_printf(b, ">%.3f%%</td>", v);
}

void rv_put_compare(cli_buf *b, const rv_set *s, const rv_tensor *t, uint32_t id)
{
    int nn = rv_nonneg(t), est = s->quality == RV_Q_ESTIMATED;
    char tmp[64], tmp2[64];
    const rv_range *es = rv_cell(t, VKC_METHOD_ENTROPY, RV_SYM), *eu = rv_cell(t, VKC_METHOD_ENTROPY, RV_ALT);
    const rv_range *ms = rv_cell(t, VKC_METHOD_MAX, RV_SYM), *ma = rv_cell(t, VKC_METHOD_MAX, RV_ALT);
    cli_buf_printf(b, "<div class=\"cmp\" id=\"t-%u-cmp\"><p>", id);
    if (nn) {
        cli_buf_puts(b, "Never negative (min ");
        cli_buf_printf(b, "%s): a symmetric int8 range [\xe2\x88\x92T, T] leaves codes \xe2\x88\x92" "127\xe2\x80\xa6\xe2\x88\x92" "1, "
                          "half of them, unused. Unsigned [0, T] (uint8, 256 codes) fits it",
                       rv_num6(t->st.min, tmp, sizeof tmp));
        if (es && eu && s->quality != RV_Q_NONE && isfinite(rv_sqnr(eu) - rv_sqnr(es)))
            cli_buf_printf(b, ": %+.2f dB at the entropy threshold", rv_sqnr(eu) - rv_sqnr(es));
        cli_buf_puts(b, ".");
    } else {
        cli_buf_printf(b, "Signed: values from %s to %s. TensorRT's int8 is symmetric (zero point 0)",
                       rv_num6(t->st.min, tmp, sizeof tmp), rv_num6(t->st.max, tmp2, sizeof tmp2));
        if (ms && ma && ma->qk != RV_Q_NONE && s->quality != RV_Q_NONE && isfinite(rv_sqnr(ma) - rv_sqnr(ms)))
            cli_buf_printf(b, "; an asymmetric [min, max] range gives %+.2f dB over symmetric [\xe2\x88\x92" "A, A]",
                           rv_sqnr(ma) - rv_sqnr(ms));
        cli_buf_puts(b, ".");
    }
    if (s->quality == RV_Q_ESTIMATED) cli_buf_puts(b, " SQNR estimated from the histogram.");
    cli_buf_puts(b, "</p>\n<table class=\"cmpt\"><caption>Symmetric vs ");
    cli_buf_puts(b, nn ? "unsigned" : "asymmetric");
    cli_buf_puts(b, " ranges of ");
    rv_put_esc(b, t->name);
    cli_buf_printf(b, "</caption><thead><tr><th scope=\"col\">Method</th><th scope=\"col\">T</th>"
                      "<th scope=\"col\">Symmetric SQNR dB%s</th><th scope=\"col\">Clipped</th>"
                      "<th scope=\"col\">%s range</th><th scope=\"col\">%s SQNR dB%s</th><th scope=\"col\">Clipped</th>"
                      "<th scope=\"col\">Gain dB</th></tr></thead><tbody>",
                   est ? " \xe2\x89\x88" : "", nn ? "Unsigned" : "Asymmetric", nn ? "Unsigned" : "Asymmetric",
                   est ? " \xe2\x89\x88" : "");
    for (int m = 0; m < RV_NMETHODS; m++) {
        const rv_range *rs = rv_cell(t, m, RV_SYM), *ra = rv_cell(t, m, RV_ALT);
        char lab[24];
        rv_method_short(s, (vkc_method)m, lab, sizeof lab);
        cli_buf_printf(b, "<tr><th scope=\"row\">%s</th>", lab);
        put_num_td(b, rs ? rs->res.threshold : NAN, "");
        put_db_td(b, rs, est);
        put_pct_td(b, rs);
        if (ra) {
            cli_buf_printf(b, "<td>[%s, ", rv_num6(ra->q.lo, tmp, sizeof tmp));
            cli_buf_printf(b, "%s]</td>", rv_num6(ra->q.hi, tmp, sizeof tmp));
        } else
            cli_buf_puts(b, "<td class=\"na\">\xe2\x80\x93</td>");
        put_db_td(b, ra, est);
        put_pct_td(b, ra);
        double gain = rs && ra ? rv_sqnr(ra) - rv_sqnr(rs) : NAN;
        if (!isfinite(gain)) cli_buf_puts(b, "<td class=\"na\">\xe2\x80\x93</td>");
        else cli_buf_printf(b, "<td>%+.2f</td>", gain);
        cli_buf_puts(b, "</tr>");
    }
    cli_buf_puts(b, "</tbody></table>\n");
    /* The two-sided searches against the best symmetric range. */
    const rv_range *ae = rv_cell(t, VKC_METHOD_ENTROPY, RV_ASYM), *am = rv_cell(t, VKC_METHOD_MSE, RV_ASYM);
    if (ae || am) {
        cli_buf_puts(b, "<table class=\"cmpt\"><caption>Asymmetric ranges (two-sided searches, <code>--mode "
                        "asymmetric</code>) of ");
        rv_put_esc(b, t->name);
        cli_buf_printf(b, "</caption><thead><tr><th scope=\"col\">Method</th><th scope=\"col\">Range</th>"
                          "<th scope=\"col\">Zero point</th><th scope=\"col\">SQNR dB%s</th>"
                          "<th scope=\"col\">Clipped</th></tr></thead><tbody>",
                       est ? " \xe2\x89\x88" : "");
        const rv_range *rows[3] = {ae, am, rv_cell(t, VKC_METHOD_MAX, RV_ASYM)};
        static const char *const names[3] = {"entropy", "mse", "max"};
        for (int k = 0; k < 3; k++) {
            if (!rows[k]) continue;
            cli_buf_printf(b, "<tr><th scope=\"row\">%s</th><td>[%s, ", names[k],
                           rv_num6(rows[k]->q.lo, tmp, sizeof tmp));
            cli_buf_printf(b, "%s]</td><td>%d</td>", rv_num6(rows[k]->q.hi, tmp, sizeof tmp), rows[k]->q.zero_point);
            put_db_td(b, rows[k], est);
            put_pct_td(b, rows[k]);
            cli_buf_puts(b, "</tr>");
        }
        cli_buf_puts(b, "</tbody></table>\n");
    }
    cli_buf_puts(b, "</div>\n");
}

static void put_sort_th(cli_buf *b, const char *key, int col, int num, const char *label, const char *title,
                        int rowspan)
{
    cli_buf_printf(b, "<th scope=\"col\"%s data-key=\"%s\" data-col=\"%d\" data-type=\"%s\" aria-sort=\"none\"",
                   rowspan ? " rowspan=\"2\"" : "", key, col, num ? "num" : "str");
    if (title) cli_buf_printf(b, " title=\"%s\"", title);
    cli_buf_printf(b, "><button type=\"button\">%s</button></th>", label);
}

/* A threshold in the summary: 4 digits shown (the columns must fit 1400
 * px), data-v exact for sorting. */
static void put_num4_td(cli_buf *b, double v)
{
    cli_buf_puts(b, "<td");
    rv_put_datav(b, v);
    if (isnan(v)) cli_buf_puts(b, " class=\"na\">\xe2\x80\x93</td>");
    else if (isinf(v)) cli_buf_puts(b, ">\xe2\x88\x9e</td>");
    else cli_buf_printf(b, ">%.4g</td>", v);
}

/* An SQNR cell; best marks the row's highest. */
static void put_db_cell(cli_buf *b, const rv_range *r, int best)
{
    double v = r ? rv_sqnr(r) : NAN;
    cli_buf_puts(b, "<td");
    rv_put_datav(b, v);
    if (isnan(v)) cli_buf_puts(b, " class=\"na\">\xe2\x80\x93</td>");
    else if (isinf(v)) cli_buf_printf(b, "%s>\xe2\x88\x9e</td>", best ? " class=\"best\"" : "");
    else cli_buf_printf(b, "%s>%.2f</td>", best ? " class=\"best\"" : "", v);
}

/* The summary's SQNR columns, in order. */
static const struct {
    int method, kind; /* kind -1: entropy auto (unsigned where never negative, else symmetric) */
    const char *key, *label, *title;
} kSqnrCols[] = {
    {VKC_METHOD_ENTROPY, RV_SYM, "sqnr-entropy", "entropy", "entropy, symmetric [-T, T] int8 (TensorRT)"},
    {VKC_METHOD_ENTROPY, -1, "sqnr-entropy-auto", "entropy auto",
     "entropy, unsigned [0, T] where the tensor is never negative, else symmetric"},
    {VKC_METHOD_PERCENTILE, RV_SYM, "sqnr-percentile", "", "symmetric [-T, T] int8"},
    {VKC_METHOD_MSE, RV_SYM, "sqnr-mse", "mse", "symmetric [-T, T] int8"},
    {VKC_METHOD_MAX, RV_SYM, "sqnr-max", "max", "symmetric [-T, T] int8"},
    {VKC_METHOD_MAX, RV_ALT, "sqnr-alt-max", "u8/asym max", "unsigned [0, max] or asymmetric [min, max]"},
    {VKC_METHOD_ENTROPY, RV_ASYM, "sqnr-asym-entropy", "asym entropy",
     "two-sided entropy: asymmetric [lo, hi] with a zero point (--mode asymmetric)"},
    {VKC_METHOD_MSE, RV_ASYM, "sqnr-asym-mse", "asym mse", "two-sided MSE: asymmetric [lo, hi] with a zero point"},
};
#define NSQNR (int)(sizeof kSqnrCols / sizeof kSqnrCols[0])

static const rv_range *sqnr_range(const rv_tensor *t, int k)
{
    if (kSqnrCols[k].kind >= 0) return rv_cell(t, kSqnrCols[k].method, kSqnrCols[k].kind);
    const rv_range *au = rv_cell(t, VKC_METHOD_ENTROPY, RV_ALT);
    return au ? au : rv_cell(t, VKC_METHOD_ENTROPY, RV_SYM);
}

static void put_flags_td(cli_buf *b, const rv_tensor *t)
{
    const char *c = t->flags & VKC_WARNING_CLIPPED ? "clipped" : "";
    const char *l = t->flags & VKC_WARNING_LOW_SQNR ? "low SQNR" : "";
    cli_buf_printf(b, "<td data-v=\"%s%s%s\" class=\"flags\">%s%s%s</td>", c, *c && *l ? ", " : "", l, c,
                   *c && *l ? ", " : "", l);
}

/* What the alternatives to TensorRT's symmetric range gain on this data:
 * the mean gain of unsigned entropy over symmetric entropy on the
 * never-negative tensors, and of the best two-sided range over the best
 * symmetric one on the signed tensors. */
static void put_why_symmetric(cli_buf *b, const rv_set *s)
{
    double gu = 0, ga = 0;
    uint32_t nu = 0, na = 0;
    for (uint32_t k = 0; k < s->n; k++) {
        const rv_tensor *t = &s->t[k];
        const rv_range *es = rv_cell(t, VKC_METHOD_ENTROPY, RV_SYM), *eu = rv_cell(t, VKC_METHOD_ENTROPY, RV_ALT);
        if (rv_nonneg(t)) {
            if (es && eu && isfinite(rv_sqnr(eu) - rv_sqnr(es))) gu += rv_sqnr(eu) - rv_sqnr(es), nu++;
            continue;
        }
        double bs = -INFINITY, ba = -INFINITY;
        for (int m = 0; m < RV_NMETHODS; m++) {
            const rv_range *rs = rv_cell(t, m, RV_SYM), *ra = rv_cell(t, m, RV_ASYM);
            if (rs && !isnan(rv_sqnr(rs))) bs = fmax(bs, rv_sqnr(rs));
            if (ra && !isnan(rv_sqnr(ra))) ba = fmax(ba, rv_sqnr(ra));
        }
        if (isfinite(ba - bs)) ga += ba - bs, na++;
    }
    cli_buf_puts(b, "<p id=\"why-symmetric\">Why TensorRT's range is symmetric: with a zero point of 0 the integer "
                    "matrix product of activations and weights, sum q<sub>a</sub>q<sub>w</sub>, needs no correction "
                    "terms (a zero point z adds z\xc2\xb7sum q<sub>w</sub> per output, which every convolution and "
                    "GEMM would have to compute), so TensorRT quantizes activations as it quantizes weights, to "
                    "[\xe2\x88\x92T, T]. The price is codes a lopsided tensor never uses: a never-negative one "
                    "leaves the 127 negative codes idle, one bit of resolution. ");
    if (s->quality == RV_Q_NONE) {
        cli_buf_puts(b, "(SQNR was not measured, so the gains are not shown.)</p>\n");
        return;
    }
    if (nu)
        cli_buf_printf(b, "On this data the unsigned range [0, T] gains %+.2f dB on average over the symmetric one "
                          "(entropy) on the %u never-negative tensor%s. ",
                       gu / nu, nu, nu == 1 ? "" : "s");
    if (na)
        cli_buf_printf(b, "On the %u signed tensor%s, the best asymmetric range (a zero point; entropy, MSE or max) "
                          "gains %+.2f dB on average over the best symmetric one. ",
                       na, na == 1 ? "" : "s", ga / na);
    cli_buf_puts(b, "Runtimes that take a zero point (ONNX Runtime, OpenVINO: <code>vkcalib qdq --target "
                    "onnxruntime</code>) can use these ranges; a TensorRT cache holds the symmetric one.</p>\n");
}

void rv_put_summary(cli_buf *b, const rv_set *s)
{
    char lab[RV_NMETHODS][24];
    for (int m = 0; m < RV_NMETHODS; m++) rv_method_short(s, (vkc_method)m, lab[m], sizeof lab[m]);
    int est = s->quality == RV_Q_ESTIMATED;
    uint32_t flagged = 0;
    for (uint32_t k = 0; k < s->n; k++) flagged += s->t[k].flags != 0;
    cli_buf_puts(b, "<section id=\"summary\" aria-labelledby=\"summary-h\"><h2 id=\"summary-h\">Summary</h2>\n");
    put_why_symmetric(b, s);
    cli_buf_puts(b, "<p class=\"note\">Click a column header to sort (again to reverse); <code>#sort=KEY</code> or "
                    "<code>#sort=-KEY</code> in the address sorts on opening. T: the clipping threshold of each "
                    "method on the |x| histogram (symmetric). SQNR: signal-to-quantization-noise ratio of "
                    "fake-quantizing the values at that range, in dB, higher is better (6.02 dB is one bit); the "
                    "best of each row is <b class=\"best\">marked</b>. "
                    "<i>entropy auto</i>: unsigned [0, T] (uint8, 256 levels) where the tensor is never negative, "
                    "else symmetric. <i>u8/asym max</i>: unsigned [0, max] or asymmetric [min, max]. <i>asym</i>: "
                    "the two-sided searches of <code>--mode asymmetric</code> on the histogram of x. Clipped: "
                    "share of values beyond the entropy threshold. Flags: the quality guards of <code>vkcalib "
                    "calibrate</code> on its default range (entropy, symmetric): clipping more than 1% of the "
                    "values, or an SQNR more than 6 dB below the best other symmetric method.");
    if (s->quality == RV_Q_ESTIMATED)
        cli_buf_puts(b, " Input is a JSON or a state file: SQNR is estimated from the histograms (every value at "
                        "its bin centre); asymmetric ranges of signed tensors need a histogram of x.");
    if (s->quality == RV_Q_NONE) cli_buf_puts(b, " SQNR not measured (--no-measure).");
    if (flagged) cli_buf_printf(b, " <b>%u tensor%s flagged</b> (rows marked).", flagged, flagged == 1 ? "" : "s");
    cli_buf_puts(b, "</p>\n<div class=\"scroll\"><table id=\"summary-table\" class=\"sortable\">"
                    "<caption>Thresholds and quantization quality per tensor</caption>\n<thead><tr>");
    put_sort_th(b, "name", 0, 0, "Tensor", NULL, 1);
    put_sort_th(b, "elements", 1, 1, "Elements", NULL, 1);
    put_sort_th(b, "min", 2, 1, "Min", NULL, 1);
    put_sort_th(b, "max", 3, 1, "Max", NULL, 1);
    cli_buf_printf(b, "<th scope=\"colgroup\" colspan=\"4\">Threshold T</th><th scope=\"colgroup\" colspan=\"%d\">",
                   NSQNR);
    cli_buf_puts(b, est ? "SQNR dB, estimated (\xe2\x89\x88)</th>" : "SQNR dB</th>");
    put_sort_th(b, "clipped", 8 + NSQNR, 1, "Clipped", "share of values beyond the entropy threshold", 1);
    put_sort_th(b, "flags", 9 + NSQNR, 0, "Flags", "the quality guards on entropy, symmetric", 1);
    cli_buf_puts(b, "</tr>\n<tr>");
    static const char *const tkeys[] = {"t-entropy", "t-percentile", "t-mse", "t-max"};
    for (int m = 0; m < RV_NMETHODS; m++) put_sort_th(b, tkeys[m], 4 + m, 1, lab[m], NULL, 0);
    for (int k = 0; k < NSQNR; k++)
        put_sort_th(b, kSqnrCols[k].key, 8 + k, 1, kSqnrCols[k].label[0] ? kSqnrCols[k].label : lab[VKC_METHOD_PERCENTILE],
                    kSqnrCols[k].title, 0);
    cli_buf_puts(b, "</tr></thead>\n<tbody>\n");
    for (uint32_t k = 0; k < s->n; k++) {
        const rv_tensor *t = &s->t[k];
        cli_buf_printf(b, "<tr%s><th scope=\"row\" data-v=\"", t->flags ? " class=\"flagged\"" : "");
        rv_put_esc(b, t->name);
        cli_buf_printf(b, "\"><a href=\"#t-%u\">", k);
        rv_put_esc(b, t->name);
        cli_buf_puts(b, "</a></th>");
        uint64_t el = t->st.count + t->st.nan + t->st.pos_inf + t->st.neg_inf;
        cli_buf_printf(b, "<td data-v=\"%llu\">%llu</td>", (unsigned long long)el, (unsigned long long)el);
        put_num4_td(b, t->st.min);
        put_num4_td(b, t->st.max);
        for (int m = 0; m < RV_NMETHODS; m++) {
            const rv_range *r = rv_cell(t, m, RV_SYM);
            put_num4_td(b, r ? r->res.threshold : NAN);
        }
        double best = -INFINITY;
        for (int c = 0; c < NSQNR; c++) {
            const rv_range *r = sqnr_range(t, c);
            if (r && !isnan(rv_sqnr(r))) best = fmax(best, rv_sqnr(r));
        }
        for (int c = 0; c < NSQNR; c++) {
            const rv_range *r = sqnr_range(t, c);
            put_db_cell(b, r, r && !isnan(rv_sqnr(r)) && rv_sqnr(r) == best);
        }
        put_pct_td(b, rv_cell(t, VKC_METHOD_ENTROPY, RV_SYM));
        put_flags_td(b, t);
        cli_buf_puts(b, "</tr>\n");
    }
    cli_buf_puts(b, "</tbody></table></div></section>\n");
}
