/* The model explain and report share: their options, and building it from
 * a calibration set (a vkc_calibrator for the histograms, vkc_search for
 * every method, a measure pass over the values) or from a vkcalib JSON
 * with histograms (SQNR estimated from them). See report_html.h. */
#include "report_html.h"

#include "feeder.h"
#include "options.h"
#include "progress.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================== */
/* Options                                                                  */

void rv_options_init(rv_options *o)
{
    memset(o, 0, sizeof *o);
    calib_options_init(&o->co);
    o->co.format = 1;
    o->measure = 1;
}

int rv_parse_option(int argc, char **argv, int *i, rv_options *o, const char *cmd)
{
    const unsigned shared = CLI_OPT_FLAVOR | CLI_OPT_BINS | CLI_OPT_START_BIN | CLI_OPT_PERCENTILE |
                            CLI_OPT_NONFINITE | CLI_OPT_MISSING | CLI_OPT_BUDGET | CLI_OPT_QUIET | CLI_OPT_DEVICE;
    int r = cli_option(argc, argv, i, shared, &o->co, cmd);
    if (r > 0 && (o->co.given & CLI_OPT_FLAVOR) && o->co.ci.flavor != VKC_FLAVOR_MODELOPT &&
        o->co.ci.flavor != VKC_FLAVOR_TENSORRT) {
        cli_error("%s: --flavor %s: %s shows NVIDIA's entropy (modelopt or tensorrt); `vkcalib compare` puts the "
                  "other tools' side by side",
                  cmd, vkc_flavor_name(o->co.ci.flavor), cmd);
        return -1;
    }
    if (r) {
        o->have_bins = (o->co.given & CLI_OPT_BINS) != 0;
        o->have_flavor = (o->co.given & CLI_OPT_FLAVOR) != 0;
        o->have_start = (o->co.given & CLI_OPT_START_BIN) != 0;
        o->have_percentile = (o->co.given & CLI_OPT_PERCENTILE) != 0;
        return r;
    }
    if (!strcmp(argv[*i], "--no-measure")) {
        o->measure = 0;
        return 1;
    }
    return 0;
}

int rv_input_is_json(char **inputs, int ninputs)
{
    for (int k = 0; k < ninputs; k++) {
        size_t n = strlen(inputs[k]);
        if (n >= 5 && !strcmp(inputs[k] + n - 5, ".json")) return 1;
    }
    return 0;
}

/* ======================================================================== */
/* The model                                                                */

void rv_method_short(const rv_set *s, vkc_method m, char *out, size_t size)
{
    if (m == VKC_METHOD_PERCENTILE)
        snprintf(out, size, "p%.10g", s->sp.percentile > 0 ? s->sp.percentile : 99.99);
    else
        snprintf(out, size, "%s", vkc_method_name(m));
}

double rv_sqnr(const rv_range *r)
{
    return r->qk == RV_Q_NONE ? NAN : vkc_quality_sqnr_db(&r->quality);
}

double rv_clipped_pct(const rv_range *r)
{
    if (r->qk == RV_Q_NONE) return NAN;
    return r->quality.count ? 100.0 * (double)r->quality.clipped / (double)r->quality.count : 0.0;
}

int rv_add_range(rv_tensor *t, vkc_method m, vkc_mode mode, const vkc_search_result *res, double lo, double hi,
                 const char *label)
{
    if (t->nr >= RV_MAXR) return -1;
    rv_range *r = &t->r[t->nr];
    memset(r, 0, sizeof *r);
    vkc_msg msg = {{0}};
    if (vkc_qparams_from_range(mode, lo, hi, &r->q, &msg) != VKC_OK) return -1;
    r->method = m;
    r->mode = mode;
    if (res) r->res = *res;
    r->quant = vkc_quant_of(&r->q);
    if (label) snprintf(r->label, sizeof r->label, "%s", label);
    return (int)t->nr++;
}

void rv_free(rv_set *s)
{
    for (uint32_t t = 0; s->t && t < s->n; t++) {
        free(s->t[t].name);
        free(s->t[t].hist);
        for (int k = 0; k < RV_NKINDS; k++) free(s->t[t].kl[k]);
    }
    free(s->t);
    memset(s, 0, sizeof *s);
}

static char *dup_str(const char *p)
{
    size_t n = strlen(p) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, p, n);
    return d;
}

int rv_nonneg(const rv_tensor *t)
{
    return t->st.min >= 0;
}

/* "tensor 'x' not found" with a few names: those containing the asked name
 * (case-insensitive) first, then the first ones. */
static void not_found(const char *only, const char *const *names, uint32_t n)
{
    enum { SHOW = 8 };
    uint32_t pick[SHOW], np = 0;
    for (int pass = 0; pass < 2 && np < SHOW; pass++)
        for (uint32_t t = 0; t < n && np < SHOW; t++) {
            int match = 0;
            size_t ln = strlen(only), lt = strlen(names[t]);
            for (size_t a = 0; !match && ln && a + ln <= lt; a++) {
                size_t b = 0;
                while (b < ln && tolower((unsigned char)names[t][a + b]) == tolower((unsigned char)only[b])) b++;
                match = b == ln;
            }
            if (match != (pass == 0)) continue;
            int dup = 0;
            for (uint32_t k = 0; k < np; k++) dup |= pick[k] == t;
            if (!dup) pick[np++] = t;
        }
    if (!*only)
        fprintf(stderr, "vkcalib: error: give --tensor NAME (%u tensors); %s:\n", n,
                np < n ? "for example" : "available");
    else
        fprintf(stderr, "vkcalib: error: no tensor named '%s' (%u tensor%s); %s:\n", only, n, n == 1 ? "" : "s",
                np < n ? "for example" : "available");
    for (uint32_t k = 0; k < np; k++) fprintf(stderr, "  %s\n", names[pick[k]]);
    if (np < n) fprintf(stderr, "  ... and %u more (`vkcalib calibrate ... -o x.json` lists them all)\n", n - np);
}

/* Every method on every histogram, symmetric and (never-negative tensors)
 * unsigned; the asymmetric max range of signed tensors; the KL curves. */
static int search_all_rv(vkc_context *ctx, rv_set *s)
{
    uint32_t n = s->n;
    vkc_histogram *h = malloc((n ? n : 1) * sizeof *h);
    vkc_search_result *res = malloc((n ? n : 1) * sizeof *res);
    uint32_t *idx = malloc((n ? n : 1) * sizeof *idx);
    int ok = h && res && idx;
    if (!ok) cli_error("out of memory");
    for (uint32_t t = 0; t < n; t++)
        for (int m = 0; m < RV_NMETHODS; m++) s->t[t].cell[m][RV_SYM] = s->t[t].cell[m][RV_ALT] = -1;
    for (int kind = 0; ok && kind < RV_NKINDS; kind++) {
        uint32_t m = 0;
        for (uint32_t t = 0; t < n; t++)
            if (kind == RV_SYM || rv_nonneg(&s->t[t])) {
                idx[m] = t;
                h[m++] = (vkc_histogram){s->t[t].hist, s->t[t].bins, s->t[t].st.absmax};
            }
        if (!m) continue;
        vkc_mode mode = kind == RV_SYM ? VKC_MODE_SYMMETRIC : VKC_MODE_UNSIGNED;
        for (int meth = 0; ok && meth < RV_NMETHODS; meth++) {
            vkc_search_params sp = s->sp;
            sp.method = (vkc_method)meth;
            sp.mode = mode;
            if (vkc_search(ctx, h, m, &sp, res) != VKC_OK) {
                cli_error("search (%s, %s): %s", vkc_method_name(sp.method), vkc_mode_name(mode),
                          vkc_context_error(ctx));
                ok = 0;
                break;
            }
            for (uint32_t k = 0; k < m; k++) {
                rv_tensor *t = &s->t[idx[k]];
                double T = res[k].threshold;
                int r = rv_add_range(t, (vkc_method)meth, mode, &res[k], kind == RV_SYM ? -T : 0.0, T, NULL);
                if (r < 0) {
                    cli_error("tensor '%s': threshold %g gives no valid range", t->name, T);
                    ok = 0;
                    break;
                }
                t->cell[meth][kind] = r;
            }
        }
    }
    for (uint32_t t = 0; ok && t < n; t++) {
        rv_tensor *tt = &s->t[t];
        if (!rv_nonneg(tt)) {
            vkc_search_result r;
            memset(&r, 0, sizeof r);
            r.i = tt->bins;
            r.threshold = tt->st.max;
            int k = rv_add_range(tt, VKC_METHOD_MAX, VKC_MODE_ASYMMETRIC, &r, tt->st.min, tt->st.max, NULL);
            if (k < 0) {
                cli_error("tensor '%s': no valid asymmetric range for [%g, %g]", tt->name, (double)tt->st.min,
                          (double)tt->st.max);
                ok = 0;
                break;
            }
            tt->r[k].res.threshold = tt->r[k].q.hi;
            tt->cell[VKC_METHOD_MAX][RV_ALT] = k;
        }
        for (int kind = 0; kind < RV_NKINDS; kind++) {
            if (kind == RV_ALT && !rv_nonneg(tt)) continue;
            vkc_search_params sp = s->sp;
            sp.method = VKC_METHOD_ENTROPY;
            sp.mode = kind == RV_SYM ? VKC_MODE_SYMMETRIC : VKC_MODE_UNSIGNED;
            vkc_histogram hh = {tt->hist, tt->bins, tt->st.absmax, VKC_HIST_ABS, 0.0};
            uint32_t nc = 0;
            vkc_msg msg = {{0}};
            rv_kl *kp = &tt->kp[kind];
            kp->levels = kind == RV_SYM ? 128 : 256;
            kp->stride = sp.stride ? sp.stride : 1;
            kp->zero_bin_copy = kp->tie_largest = 1;
            kp->edge_offset = sp.flavor == VKC_FLAVOR_TENSORRT ? 0.5 : 0.0;
            if (vkc_search_curve(&hh, &sp, NULL, &nc, &kp->start, &msg) != VKC_OK) {
                cli_error("tensor '%s': KL curve: %s", tt->name, msg.text);
                ok = 0;
                break;
            }
            if (!nc) continue;
            tt->kl[kind] = malloc(nc * sizeof(double));
            if (!tt->kl[kind] || vkc_search_curve(&hh, &sp, tt->kl[kind], &nc, NULL, &msg) != VKC_OK) {
                cli_error("tensor '%s': KL curve: %s", tt->name, tt->kl[kind] ? msg.text : "out of memory");
                ok = 0;
                break;
            }
            tt->nkl[kind] = nc;
        }
    }
    free(h);
    free(res);
    free(idx);
    return ok;
}

/* SQNR of a JSON's tensor, from its histogram: each value at the centre of
 * its bin, exact zeros (the zeros count) at 0; the sign does not matter to
 * a symmetric grid, and a never-negative tensor has none. Asymmetric ranges
 * of signed tensors need the signed values: not estimated. */
static void estimate_quality(rv_tensor *t)
{
    const vkc_hist_spec spec = {VKC_HIST_ABS, t->bins, 0.0f, t->st.absmax};
    for (uint32_t k = 0; k < t->nr; k++) {
        rv_range *r = &t->r[k];
        memset(&r->quality, 0, sizeof r->quality);
        if (r->mode == VKC_MODE_ASYMMETRIC && !rv_nonneg(t)) {
            r->qk = RV_Q_NONE;
            continue;
        }
        r->qk = RV_Q_ESTIMATED;
        vkc_quality_estimate(t->hist, &spec, t->st.zeros, &r->quant, &r->quality);
    }
}

typedef struct measure_job {
    vkc_context *ctx;
    rv_set *s;
} measure_job;

/* Every range of the chunk's tensor, so the files are read once. */
static int measure_step(void *user, const feeder_chunk *c)
{
    measure_job *j = user;
    rv_tensor *t = &j->s->t[c->tensor];
    for (uint32_t k = 0; k < t->nr; k++)
        if (vkc_measure_f32(j->ctx, c->x, c->n, &t->r[k].quant, &t->r[k].quality) != VKC_OK) {
            cli_error("tensor '%s': %s", t->name, vkc_context_error(j->ctx));
            return 0;
        }
    return 1;
}

/* The third pass: every range of every tensor on each chunk. */
static int measure_pass(vkc_context *ctx, const dataset *ds, rv_set *s, const calib_options *o)
{
    for (uint32_t t = 0; t < s->n; t++)
        for (uint32_t k = 0; k < s->t[t].nr; k++) {
            memset(&s->t[t].r[k].quality, 0, sizeof s->t[t].r[k].quality);
            s->t[t].r[k].qk = RV_Q_MEASURED;
        }
    measure_job j = {ctx, s};
    return calib_pass(ds, o, "pass 3/3: measure", 0, measure_step, &j);
}

static int alloc_tensors(rv_set *s, uint32_t n)
{
    s->t = calloc(n ? n : 1, sizeof *s->t);
    s->n = n;
    if (!s->t) cli_error("out of memory");
    return s->t != NULL;
}

static void resolve_sp(rv_set *s, const rv_options *o)
{
    memset(&s->sp, 0, sizeof s->sp);
    s->sp.flavor = o->co.ci.flavor;
    s->sp.start_bin = o->co.ci.start_bin ? o->co.ci.start_bin : 128;
    s->sp.stride = o->co.ci.stride;
    s->sp.percentile = o->co.ci.percentile > 0 ? o->co.ci.percentile : 99.99;
}

static int build_from_dataset(vkc_context *ctx, char **inputs, int ninputs, const rv_options *o, const char *only,
                              rv_extra_fn extra, void *user, rv_set *s)
{
    dataset ds;
    if (!dataset_scan(&ds, inputs, ninputs, o->co.allow_missing)) {
        dataset_free(&ds);
        return 0;
    }
    dataset sub = ds;
    if (only) {
        uint32_t k = 0;
        if (!*only && ds.ntensors == 1) only = ds.tensors[0].name;
        while (k < ds.ntensors && strcmp(ds.tensors[k].name, only) != 0) k++;
        if (k == ds.ntensors) {
            const char **names = malloc((ds.ntensors ? ds.ntensors : 1) * sizeof *names);
            for (uint32_t t = 0; names && t < ds.ntensors; t++) names[t] = ds.tensors[t].name;
            if (names) not_found(only, names, ds.ntensors);
            free(names);
            dataset_free(&ds);
            return 0;
        }
        sub.tensors = &ds.tensors[k];
        sub.ntensors = 1;
        uint32_t all = total_files(&ds);
        sub.bytes = all ? (uint64_t)((double)ds.bytes * ds.tensors[k].nitems / all) : 0;
    }
    /* The histograms every method searches: a symmetric entropy
     * calibration's (the searches of the grid run on them afterwards). */
    calib_options co = o->co;
    co.ci.mode = VKC_MODE_SYMMETRIC;
    co.ci.method = VKC_METHOD_ENTROPY;
    co.ci.measure = co.wi.histograms = co.verbose = 0;
    int ok = alloc_tensors(s, sub.ntensors);
    if (ok && !co.quiet)
        fprintf(stderr, "vkcalib: %u tensor%s, %u file%s, %.1f MB\n", sub.ntensors, sub.ntensors == 1 ? "" : "s",
                total_files(&sub), total_files(&sub) == 1 ? "" : "s", sub.bytes / 1e6);
    vkc_calibrator *cal = ok ? calib_create(ctx, &sub, &co) : NULL;
    ok = cal && calib_run(cal, ctx, &sub, &co);
    const vkc_calibration *res = ok ? vkc_calibrator_results(cal) : NULL;
    for (uint32_t t = 0; ok && t < sub.ntensors; t++) {
        const vkc_tensor_result *r = vkc_calibration_tensor(res, t);
        rv_tensor *tt = &s->t[t];
        tt->name = dup_str(r->name);
        tt->st = r->stats;
        tt->bins = r->spec.bins;
        tt->hist = malloc((size_t)tt->bins * sizeof *tt->hist);
        if (!tt->name || !tt->hist) {
            cli_error("out of memory");
            ok = 0;
            break;
        }
        memcpy(tt->hist, r->counts, (size_t)tt->bins * sizeof *tt->hist);
    }
    vkc_calibrator_destroy(cal);
    s->bins = s->n ? s->t[0].bins : 0;
    ok = ok && search_all_rv(ctx, s);
    if (ok && extra)
        for (uint32_t t = 0; t < s->n; t++) extra(&s->t[t], user);
    if (ok && o->measure) {
        ok = measure_pass(ctx, &sub, s, &co);
        s->quality = RV_Q_MEASURED;
    }
    dataset_free(&ds);
    return ok;
}

static int build_from_json(vkc_context *ctx, const char *path, const rv_options *o, const char *only,
                           rv_extra_fn extra, void *user, rv_set *s)
{
    vkc_calibration *cal = NULL;
    vkc_msg msg = {{0}};
    if (vkc_calibration_read(path, &cal, &msg) != VKC_OK) {
        cli_error("%s", msg.text);
        return 0;
    }
    int ok = 0;
    const vkc_calibration_settings *set = vkc_calibration_get_settings(cal);
    const uint32_t n = vkc_calibration_count(cal);
    if (set->source != VKC_SOURCE_JSON) {
        cli_error("%s: not a vkcalib calibration JSON (written by `vkcalib calibrate -o FILE.json --histograms`)",
                  path);
        goto done;
    }
    rv_options eff = *o;
    if (!o->have_flavor) eff.co.ci.flavor = set->flavor;
    if (!o->have_start && set->start_bin) eff.co.ci.start_bin = set->start_bin;
    if (!o->have_percentile && set->percentile > 0) eff.co.ci.percentile = set->percentile;
    s->json_have_method = s->json_have_mode = 1;
    s->json_method = set->method;
    s->json_mode = set->mode;
    resolve_sp(s, &eff);
    uint32_t first = 0, count = n;
    if (only) {
        if (!*only && n == 1) only = vkc_calibration_tensor(cal, 0)->name;
        first = vkc_calibration_find(cal, only);
        if (first == UINT32_MAX) {
            const char **names = malloc((n ? n : 1) * sizeof *names);
            for (uint32_t k = 0; names && k < n; k++) names[k] = vkc_calibration_tensor(cal, k)->name;
            if (names) not_found(only, names, n);
            free(names);
            goto done;
        }
        count = 1;
    }
    if (!alloc_tensors(s, count)) goto done;
    for (uint32_t k = 0; k < count; k++) {
        const vkc_tensor_result *r = vkc_calibration_tensor(cal, first + k);
        rv_tensor *t = &s->t[k];
        t->name = dup_str(r->name);
        if (!t->name) {
            cli_error("out of memory");
            goto done;
        }
        if (!(r->fields & VKC_RESULT_HISTOGRAM)) {
            cli_error("%s: tensor '%s' has no histogram: write the JSON with `vkcalib calibrate ... -o %s "
                      "--histograms`",
                      path, t->name, path);
            goto done;
        }
        if (r->spec.kind != VKC_HIST_ABS) {
            cli_error("%s: tensor '%s' holds a histogram of x (mode asymmetric); explain and report read "
                      "histograms of |x| from a JSON",
                      path, t->name);
            goto done;
        }
        if (o->have_bins && r->spec.bins != o->co.ci.bins) {
            cli_error("%s: the histograms have %u bins; --bins %u does not apply to a JSON input", path,
                      r->spec.bins, o->co.ci.bins);
            goto done;
        }
        t->bins = r->spec.bins;
        t->st = r->stats;
        t->hist = malloc((size_t)t->bins * sizeof *t->hist);
        if (!t->hist) {
            cli_error("out of memory");
            goto done;
        }
        memcpy(t->hist, r->counts, (size_t)t->bins * sizeof *t->hist);
    }
    s->bins = s->n ? s->t[0].bins : 0;
    s->from_json = 1;
    ok = search_all_rv(ctx, s);
    if (ok && extra)
        for (uint32_t t = 0; t < s->n; t++) extra(&s->t[t], user);
    if (ok) {
        for (uint32_t t = 0; t < s->n; t++) estimate_quality(&s->t[t]);
        s->quality = RV_Q_ESTIMATED;
    }
done:
    vkc_calibration_free(cal);
    return ok;
}

int rv_build(vkc_context *ctx, char **inputs, int ninputs, const rv_options *o, const char *only,
             rv_extra_fn extra, void *user, rv_set *out)
{
    memset(out, 0, sizeof *out);
    int ok;
    if (rv_input_is_json(inputs, ninputs)) {
        if (ninputs != 1) {
            cli_error("a vkcalib JSON is read alone: give one INPUT.json, or the calibration set's inputs");
            return 0;
        }
        ok = build_from_json(ctx, inputs[0], o, only, extra, user, out);
    } else {
        resolve_sp(out, o);
        ok = build_from_dataset(ctx, inputs, ninputs, o, only, extra, user, out);
    }
    if (!ok) rv_free(out);
    return ok;
}

