/* vkcalib explain: a walkthrough of the calibration of one tensor, in the
 * terminal, with the tensor's own numbers: the range pass, the histogram,
 * what a candidate threshold means, the KL curve, the threshold and scale
 * that go into the cache, and what the symmetric range costs.
 *
 * Every line fits 80 columns. Plots use Unicode block characters where the
 * locale's character set is UTF-8, ASCII otherwise (or with --ascii); colour
 * only when stdout is a terminal and NO_COLOR is unset (or with --color). */
#include "explain.h"

#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const kHelp =
    "Usage: vkcalib explain INPUT... --tensor NAME [options]\n"
    "\n"
    "Walks through the calibration of one tensor in plain words, with its own\n"
    "numbers: the range pass (min, max, absmax, zeros, NaN/Inf), the |x| histogram\n"
    "(plotted on a log scale), what a candidate threshold means (P with the\n"
    "outliers folded in, Q merged into 128 levels, the KL divergence), the KL curve\n"
    "over every candidate with the chosen one marked, the threshold and scale that\n"
    "go into the cache, and what the symmetric range costs on this tensor against\n"
    "unsigned and asymmetric ranges (SQNR measured on the values).\n"
    "\n"
    "INPUT is what `vkcalib calibrate` takes, or one JSON written by `vkcalib\n"
    "calibrate -o FILE.json --histograms` (then no data is read and SQNR is\n"
    "estimated from the histogram).\n"
    "\n"
    "Options:\n"
    "  --tensor NAME         the tensor (required when there are several)\n"
    "  --method M            entropy (default), percentile, mse, max\n"
    "  --mode M              symmetric (default: TensorRT's), unsigned, auto,\n"
    "                        asymmetric (--method max); a JSON input defaults to\n"
    "                        its own method and mode\n"
    "  --ascii               plots in ASCII (default when the locale is not UTF-8)\n"
    "  --color, --no-color   force colour on or off (default: on a terminal unless\n"
    "                        NO_COLOR is set)\n" RV_OPTIONS_HELP
    "\n"
    "Example:\n"
    "  vkcalib explain examples/calib --tensor /conv1/Relu_output_0\n";

/* ---- driving ------------------------------------------------------------ */

static int choose_kind(ex *e, const rv_tensor *t)
{
    vkc_mode m = e->mode_req;
    int nn = t->st.min >= 0;
    if (m == VKC_MODE_AUTO) m = nn ? VKC_MODE_UNSIGNED : VKC_MODE_SYMMETRIC;
    if (m == VKC_MODE_UNSIGNED && !nn) {
        snprintf(e->err, sizeof e->err, "--mode unsigned, but the tensor's minimum is %g (use auto or symmetric)",
                 (double)t->st.min);
        return -1;
    }
    if (m == VKC_MODE_ASYMMETRIC && e->method == VKC_METHOD_PERCENTILE) {
        snprintf(e->err, sizeof e->err, "--mode asymmetric supports --method entropy, mse or max");
        return -1;
    }
    /* The two-sided searches (max keeps its own section, as before). */
    if (m == VKC_MODE_ASYMMETRIC && e->method != VKC_METHOD_MAX) {
        if (!t->shist) {
            snprintf(e->err, sizeof e->err, "--mode asymmetric needs the histogram of x, which a histogram of |x| "
                     "of a signed tensor does not give: explain the calibration set, or a JSON of mode asymmetric");
            return -1;
        }
        return RV_ASYM;
    }
    if (!t->hist) {
        snprintf(e->err, sizeof e->err, "the input holds a histogram of x (mode asymmetric) of this signed tensor: "
                 "explain it with --mode asymmetric, or give the calibration set");
        return -1;
    }
    return m == VKC_MODE_SYMMETRIC ? RV_SYM : RV_ALT;
}

/* A JSON's own method and mode are the defaults. */
static void resolve_defaults(ex *e)
{
    if (!e->s || !e->s->from_json) return;
    if (!e->have_method && e->s->json_have_method) e->method = e->s->json_method;
    if (!e->have_mode && e->s->json_have_mode) e->mode_req = e->s->json_mode;
}

/* After the searches: the extra ranges section 6 measures. */
static void add_extras(rv_tensor *t, void *user)
{
    ex *e = user;
    resolve_defaults(e);
    e->same_t_unsigned = e->asym_nonneg = -1;
    if (t->st.min < 0) return;
    const rv_range *sym = rv_cell(t, e->method, RV_SYM);
    if (sym) e->same_t_unsigned = rv_add_range(t, e->method, VKC_MODE_UNSIGNED, &sym->res, 0.0, sym->q.hi, "same T");
    vkc_search_result r;
    memset(&r, 0, sizeof r);
    r.i = t->bins;
    r.threshold = t->st.max;
    e->asym_nonneg = rv_add_range(t, VKC_METHOD_MAX, VKC_MODE_ASYMMETRIC, &r, t->st.min, t->st.max, "asymmetric");
    if (e->asym_nonneg >= 0) t->r[e->asym_nonneg].res.threshold = t->r[e->asym_nonneg].q.hi;
}

static int utf8_locale(void)
{
    setlocale(LC_CTYPE, "");
    const char *cs = nl_langinfo(CODESET);
    return cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf-8") || !strcmp(cs, "utf8"));
}

int cmd_explain(int argc, char **argv)
{
    rv_options o;
    rv_options_init(&o);
    ex e;
    memset(&e, 0, sizeof e);
    e.mode_req = VKC_MODE_SYMMETRIC;
    const char *tensor = NULL;
    int ascii = 0, color = -1;
    char **inputs = malloc((size_t)argc * sizeof *inputs);
    int ninputs = 0;
    if (!inputs) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(kHelp, stdout);
            free(inputs);
            return 0;
        }
        int r = rv_parse_option(argc, argv, &i, &o, "explain");
        if (r < 0) goto usage;
        if (r) continue;
        if (!strcmp(a, "--ascii")) { ascii = 1; continue; }
        if (!strcmp(a, "--color")) { color = 1; continue; }
        if (!strcmp(a, "--no-color")) { color = 0; continue; }
        if (!strcmp(a, "--tensor") || !strcmp(a, "--method") || !strcmp(a, "--mode")) {
            if (i + 1 >= argc) {
                cli_error("explain: %s needs a value", a);
                goto usage;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "--tensor")) tensor = v;
            else if (!strcmp(a, "--method")) {
                if (!vkc_method_parse(v, &e.method)) {
                    cli_error("--method: entropy, percentile, mse or max, not %s", v);
                    goto usage;
                }
                e.have_method = 1;
            } else {
                if (!vkc_mode_parse(v, &e.mode_req)) {
                    cli_error("--mode: symmetric, unsigned, asymmetric or auto, not %s", v);
                    goto usage;
                }
                e.have_mode = 1;
            }
            continue;
        }
        if (!strncmp(a, "--tensor=", 9)) { tensor = a + 9; continue; }
        if (a[0] == '-' && strcmp(a, "-") != 0) {
            cli_error("explain: unknown option %s (see --help)", a);
            goto usage;
        }
        inputs[ninputs++] = argv[i];
    }
    if (!ninputs) {
        cli_error("explain: give the calibration set (or a JSON with histograms) and --tensor NAME (see --help)");
        goto usage;
    }
    e.utf8 = !ascii && utf8_locale();
    const char *nc = getenv("NO_COLOR");
    e.color = color >= 0 ? color : isatty(1) && !(nc && *nc);
    /* A JSON's own method and mode are the defaults: the model is read in
     * rv_build, so they are resolved in the callback (the extras depend on
     * the method) and again after it. */
    vkc_context *ctx = cli_open_context(&o.co.dev, o.co.quiet);
    if (!ctx) {
        free(inputs);
        return 1;
    }
    rv_set set;
    e.s = &set;
    /* Without --tensor: the only tensor, else the list ("" asks for that). */
    /* The histogram of x: --bins when the two-sided search is the one
     * explained, else at most 256 bins (the asymmetric rows of the table
     * cost O(bins^2) windows). */
    const uint32_t bins = o.co.ci.bins ? o.co.ci.bins : 2048; /* 0: the flavour's default */
    if (!o.asym_bins)
        o.asym_bins = e.mode_req == VKC_MODE_ASYMMETRIC || bins < RV_REPORT_ASYM_BINS ? bins : RV_REPORT_ASYM_BINS;
    int ok = rv_build(ctx, inputs, ninputs, &o, tensor ? tensor : "", add_extras, &e, &set);
    free(inputs);
    if (!ok) {
        cli_close_context(ctx);
        return rv_last_usage_error() ? 2 : 1;
    }
    const rv_tensor *t = &set.t[0];
    e.t = t;
    resolve_defaults(&e);
    e.kind = choose_kind(&e, t);
    if (e.kind < 0) {
        cli_error("tensor '%s': %s", t->name, e.err);
        rv_free(&set);
        cli_close_context(ctx);
        return 2;
    }
    e.chosen = t->cell[e.method][e.kind];
    /* A never-negative tensor's ALT cell is unsigned; asymmetric asked for
     * is the extra [min, max] range (the same grid, zero point -128). */
    if (e.mode_req == VKC_MODE_ASYMMETRIC && t->st.min >= 0) e.chosen = e.asym_nonneg;
    if (e.chosen < 0) {
        cli_error("tensor '%s': no %s %s range", t->name, vkc_method_name(e.method),
                  e.kind == RV_SYM ? "symmetric" : "unsigned/asymmetric");
        rv_free(&set);
        cli_close_context(ctx);
        return 1;
    }
    const rv_range *r = &t->r[e.chosen];
    const rv_range *entropy = rv_cell(t, VKC_METHOD_ENTROPY, e.kind == RV_ALT && t->st.min >= 0 ? RV_ALT : RV_SYM);
    int kl_kind = entropy == rv_cell(t, VKC_METHOD_ENTROPY, RV_ALT) && entropy ? RV_ALT : RV_SYM;
    fflush(stderr);

    char name[1024];
    ex_safe_name(&e, t->name, name, sizeof name);
    char title[1100];
    snprintf(title, sizeof title, "vkcalib explain: %s", name);
    if (ex_width_of(title, strlen(title)) <= WIDTH) printf("%s%s%s\n", ex_col(&e, BOLD), title, ex_col(&e, RESET));
    else ex_wrap(0, "%s", title);
    char ms[24];
    rv_method_short(&set, r->method, ms, sizeof ms);
    ex_wrap(0, "Method %s%s, %s range (%s%s), %u bins, %llu values. Device: %s.", ms,
            r->method == VKC_METHOD_ENTROPY ? " (KL divergence, NVIDIA's reference algorithm)" : "",
            vkc_mode_name(r->mode), r->q.is_unsigned ? "uint8" : "int8",
            r->mode == VKC_MODE_SYMMETRIC ? ", what TensorRT uses" : "", t->bins,
            (unsigned long long)(t->st.count + t->st.nan + t->st.pos_inf + t->st.neg_inf),
            vkc_context_device_name(ctx));

    ex_section_range(&e);
    int save_kind = e.kind;
    if (e.kind == RV_ASYM) {
        ex_section_signed_hist(&e, r);
        ex_section_two_sided(&e, r);
        ex_section_scale(&e, r);
        ex_section_symmetric(&e, r);
        goto done;
    }
    ex_section_hist(&e, r->res.threshold);
    e.kind = kl_kind;
    if (r->method == VKC_METHOD_ENTROPY) {
        ex_section_candidates(&e, r);
        ex_section_kl_curve(&e, r, r);
    } else {
        ex_section_other_method(&e, r);
        if (r->method == VKC_METHOD_MSE) ex_section_mse_curve(&e, r);
        else if (entropy) ex_section_kl_curve(&e, r, entropy);
    }
    e.kind = save_kind;
    ex_section_scale(&e, r);
    ex_section_symmetric(&e, r);
done:;
    int rc = fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
    if (rc) cli_error("writing to standard output failed");
    rv_free(&set);
    cli_close_context(ctx);
    return rc;
usage:
    free(inputs);
    return 2;
}
