/* The model explain and report share: their options, and building it from
 * a calibration set (a vkc_calibrator for the histograms, vkc_search for
 * every method, a measure pass over the values) or from a vkcalib JSON
 * with histograms (SQNR estimated from them). See report_html.h. About 650
 * lines: the two sources fill one model and share its searches and guard
 * flags, which a split would have to export. */
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
    if (!strcmp(argv[*i], "--asym-bins")) {
        unsigned long long u;
        if (*i + 1 >= argc || !cli_parse_u64(argv[*i + 1], &u) || u < 1 || u > VKC_HIST_MAX_BINS) {
            cli_error("%s: --asym-bins: expected 1..%u", cmd, VKC_HIST_MAX_BINS);
            return -1;
        }
        o->asym_bins = (uint32_t)u;
        ++*i;
        return 1;
    }
    return 0;
}

const rv_range *rv_cell(const rv_tensor *t, int m, int k)
{
    int c = t->cell[m][k];
    return c >= 0 ? &t->r[c] : NULL;
}

int rv_input_is_json(char **inputs, int ninputs)
{
    for (int k = 0; k < ninputs; k++) {
        size_t n = strlen(inputs[k]);
        if ((n >= 5 && !strcmp(inputs[k] + n - 5, ".json")) || (n >= 5 && !strcmp(inputs[k] + n - 5, ".vkch")))
            return 1;
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
        if (s->t[t].shist != s->t[t].hist) free(s->t[t].shist);
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
static int g_usage_error;

int rv_last_usage_error(void)
{
    return g_usage_error;
}

static void not_found(const char *only, const char *const *names, uint32_t n)
{
    g_usage_error = 1; /* a tensor to name, or a name that is none: the caller's arguments */
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
        for (int m = 0; m < RV_NMETHODS; m++)
            for (int k = 0; k < RV_NKINDS; k++) s->t[t].cell[m][k] = -1;
    for (int kind = 0; ok && kind < RV_ASYM; kind++) {
        uint32_t m = 0;
        for (uint32_t t = 0; t < n; t++)
            if (s->t[t].hist && (kind == RV_SYM || rv_nonneg(&s->t[t]))) {
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
    /* The two-sided searches, one tensor at a time (each is one dispatch). */
    for (uint32_t t = 0; ok && t < n; t++) {
        rv_tensor *tt = &s->t[t];
        if (!tt->shist) continue;
        static const vkc_method am[3] = {VKC_METHOD_ENTROPY, VKC_METHOD_MSE, VKC_METHOD_MAX};
        vkc_histogram hh = {tt->shist, tt->sbins, tt->shi, VKC_HIST_SIGNED, tt->slo};
        for (int k = 0; ok && k < 3; k++) {
            vkc_search_params sp = s->sp;
            sp.method = am[k];
            sp.mode = VKC_MODE_ASYMMETRIC;
            vkc_search_result r;
            if (am[k] == VKC_METHOD_MAX) {
                /* The data's own range (the calibrator's asymmetric max). */
                memset(&r, 0, sizeof r);
                r.window_b = r.i = tt->sbins;
                r.lo = tt->st.min;
                r.hi = r.threshold = tt->st.max;
            } else if (vkc_search(ctx, &hh, 1, &sp, &r) != VKC_OK) {
                cli_error("tensor '%s': asymmetric %s: %s", tt->name, vkc_method_name(am[k]), vkc_context_error(ctx));
                ok = 0;
                break;
            }
            int c = rv_add_range(tt, am[k], VKC_MODE_ASYMMETRIC, &r, r.lo, r.hi, NULL);
            if (c >= 0) tt->r[c].res.threshold = tt->r[c].q.hi;
            tt->cell[am[k]][RV_ASYM] = c;
        }
    }
    for (uint32_t t = 0; ok && t < n; t++) {
        rv_tensor *tt = &s->t[t];
        if (!tt->hist) continue;
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
        for (int kind = 0; kind < RV_ASYM; kind++) {
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
    const vkc_hist_spec sspec = {VKC_HIST_SIGNED, t->sbins, t->slo, t->shi};
    for (uint32_t k = 0; k < t->nr; k++) {
        rv_range *r = &t->r[k];
        memset(&r->quality, 0, sizeof r->quality);
        /* An asymmetric range needs the signed values: the histogram of x,
         * or |x|'s for a never-negative tensor. */
        const int signed_hist = r->mode == VKC_MODE_ASYMMETRIC && t->shist;
        if ((r->mode == VKC_MODE_ASYMMETRIC && !rv_nonneg(t) && !t->shist) || (!signed_hist && !t->hist)) {
            r->qk = RV_Q_NONE;
            continue;
        }
        r->qk = RV_Q_ESTIMATED;
        if (signed_hist) vkc_quality_estimate(t->shist, &sspec, t->st.zeros, &r->quant, &r->quality);
        else vkc_quality_estimate(t->hist, &spec, t->st.zeros, &r->quant, &r->quality);
    }
}

/* The quality guards' rule (vkc_guard_info's defaults) on the range
 * calibrate writes by default, entropy symmetric: clipping more than 1% of
 * the values, or SQNR more than 6 dB below the best symmetric method. */
static void flag_tensor(rv_tensor *t)
{
    t->flags = 0;
    const rv_range *e = rv_cell(t, VKC_METHOD_ENTROPY, RV_SYM);
    if (!e || e->qk == RV_Q_NONE) return;
    if (rv_clipped_pct(e) > 100.0 * VKC_GUARD_DEFAULT_MAX_CLIPPED) t->flags |= VKC_WARNING_CLIPPED;
    const double cap = 20.0 * log10((double)(t->bins > 1 ? t->bins : 2));
    for (int m = 1; m < RV_NMETHODS; m++) {
        const rv_range *o = rv_cell(t, m, RV_SYM);
        if (o && o->qk != RV_Q_NONE && fmin(rv_sqnr(o), cap) - fmin(rv_sqnr(e), cap) > VKC_GUARD_DEFAULT_SQNR_GAP_DB)
            t->flags |= VKC_WARNING_LOW_SQNR;
    }
}

/* The histogram pass of the report: the calibrator's, and the histogram of
 * x of each signed tensor from the same chunk. */
typedef struct signed_job {
    vkc_context *ctx;
    vkc_calibrator *cal;
    rv_set *s;
    vkc_hist_spec *spec; /* per tensor; bins 0: none */
} signed_job;

static int signed_step(void *user, const feeder_chunk *c)
{
    signed_job *j = user;
    if (!calib_feed_step(j->cal, c)) return 0;
    rv_tensor *t = &j->s->t[c->tensor];
    if (!t->shist || !j->spec[c->tensor].bins) return 1;
    if (vkc_histogram_host(j->ctx, c->raw, c->n, c->dtype, &j->spec[c->tensor], t->shist) == VKC_OK) return 1;
    cli_error("histogram of x of tensor %u: %s", c->tensor, vkc_context_error(j->ctx));
    return 0;
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
    /* The histograms every method searches: a symmetric calibration's (its
     * own search is max, which costs nothing; the searches of the grid run
     * on the histograms afterwards), and in its histogram pass the
     * histogram of x of every signed tensor. */
    calib_options co = o->co;
    co.ci.mode = VKC_MODE_SYMMETRIC;
    co.ci.method = VKC_METHOD_MAX;
    co.ci.measure = co.wi.histograms = co.verbose = 0;
    co.guard.disable = 1;
    co.rules = (cli_rules){0};
    co.skipped = NULL;
    co.nskipped = 0;
    const uint32_t sbins = o->asym_bins ? o->asym_bins : co.ci.bins;
    int ok = alloc_tensors(s, sub.ntensors);
    if (ok && !co.quiet)
        fprintf(stderr, "vkcalib: %u tensor%s, %u file%s, %.1f MB\n", sub.ntensors, sub.ntensors == 1 ? "" : "s",
                total_files(&sub), total_files(&sub) == 1 ? "" : "s", sub.bytes / 1e6);
    vkc_calibrator *cal = ok ? calib_create(ctx, &sub, &co) : NULL;
    ok = cal && calib_pass(&sub, &co, calib_pass_name(VKC_PASS_RANGE), !vkc_context_is_cpu(ctx), calib_feed_step, cal);
    signed_job sj = {ctx, cal, s, NULL};
    if (ok) {
        sj.spec = calloc(sub.ntensors ? sub.ntensors : 1, sizeof *sj.spec);
        ok = sj.spec != NULL;
        for (uint32_t t = 0; ok && t < sub.ntensors; t++) {
            const vkc_stats *st = vkc_calibrator_stats(cal, t);
            rv_tensor *tt = &s->t[t];
            /* Never negative: the histogram of x is |x|'s bin for bin (taken
             * over after the pass, at the full bin count: its two-sided
             * search is the one-sided one, cheap). */
            if (!st || st->count == 0 || st->min >= 0) continue;
            sj.spec[t] = (vkc_hist_spec){VKC_HIST_SIGNED, sbins, st->min < 0 ? st->min : 0.0f,
                                         st->max > 0 ? st->max : 0.0f};
            tt->shist = calloc(sbins, sizeof *tt->shist);
            tt->sbins = sbins;
            tt->slo = sj.spec[t].lo;
            tt->shi = sj.spec[t].hi;
            if (!tt->shist) ok = 0, cli_error("out of memory");
        }
    }
    ok = ok && calib_end_pass(cal, &sub, &co);
    ok = ok && calib_pass(&sub, &co, calib_pass_name(VKC_PASS_HISTOGRAM), !vkc_context_is_cpu(ctx), signed_step, &sj) &&
         calib_end_pass(cal, &sub, &co);
    free(sj.spec);
    const vkc_calibration *res = ok ? vkc_calibrator_results(cal) : NULL;
    for (uint32_t t = 0; ok && t < sub.ntensors; t++) {
        rv_tensor *tt = &s->t[t];
        const uint32_t k = vkc_calibration_find(res, sub.tensors[t].name);
        if (k == UINT32_MAX) {
            cli_error("tensor '%s' has no finite values: nothing to report", sub.tensors[t].name);
            ok = 0;
            break;
        }
        const vkc_tensor_result *r = vkc_calibration_tensor(res, k);
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
        if (!tt->shist && tt->st.min >= 0) {
            tt->shist = tt->hist;
            tt->sbins = tt->bins;
            tt->slo = 0.0f;
            tt->shi = tt->st.absmax;
        }
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
    for (uint32_t t = 0; ok && t < s->n; t++) flag_tensor(&s->t[t]);
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
    const int state = set->source == VKC_SOURCE_STATE_HISTOGRAM;
    if (set->source == VKC_SOURCE_STATE_RANGE) {
        cli_error("%s holds range statistics only: collect the histogram round (`vkcalib collect --range-from %s`) "
                  "and read that",
                  path, path);
        goto done;
    }
    if (set->source != VKC_SOURCE_JSON && !state) {
        cli_error("%s: not a vkcalib calibration JSON (written by `vkcalib calibrate -o FILE.json --histograms`) "
                  "nor a histogram-round state file",
                  path);
        goto done;
    }
    rv_options eff = *o;
    if (!o->have_flavor && !state) eff.co.ci.flavor = set->flavor;
    if (!o->have_start && set->start_bin && !state) eff.co.ci.start_bin = set->start_bin;
    if (!o->have_percentile && set->percentile > 0 && !state) eff.co.ci.percentile = set->percentile;
    s->json_have_method = s->json_have_mode = !state;
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
        if (o->have_bins && r->spec.bins != o->co.ci.bins) {
            cli_error("%s: the histograms have %u bins; --bins %u does not apply to a JSON input", path,
                      r->spec.bins, o->co.ci.bins);
            goto done;
        }
        t->st = r->stats;
        uint64_t *copy = malloc((size_t)r->spec.bins * sizeof *copy);
        if (!copy) {
            cli_error("out of memory");
            goto done;
        }
        memcpy(copy, r->counts, (size_t)r->spec.bins * sizeof *copy);
        const int nonneg = r->stats.min >= 0;
        if (r->spec.kind == VKC_HIST_ABS || (nonneg && r->spec.lo == 0.0f)) {
            /* |x|, or x of a never-negative tensor over [0, max]: the same bins. */
            t->hist = copy;
            t->bins = r->spec.bins;
            if (nonneg) {
                t->shist = copy;
                t->sbins = r->spec.bins;
                t->slo = 0.0f;
                t->shi = r->spec.hi;
            }
        } else {
            /* A histogram of x of a signed tensor: the asymmetric cells only. */
            t->shist = copy;
            t->sbins = r->spec.bins;
            t->slo = r->spec.lo;
            t->shi = r->spec.hi;
            t->bins = r->spec.bins;
        }
    }
    s->bins = s->n ? s->t[0].bins : 0;
    s->from_json = 1;
    ok = search_all_rv(ctx, s);
    if (ok && extra)
        for (uint32_t t = 0; t < s->n; t++) extra(&s->t[t], user);
    if (ok) {
        for (uint32_t t = 0; t < s->n; t++) estimate_quality(&s->t[t]);
        s->quality = RV_Q_ESTIMATED;
        for (uint32_t t = 0; t < s->n; t++) flag_tensor(&s->t[t]);
    }
done:
    vkc_calibration_free(cal);
    return ok;
}

int rv_build(vkc_context *ctx, char **inputs, int ninputs, const rv_options *o, const char *only,
             rv_extra_fn extra, void *user, rv_set *out)
{
    memset(out, 0, sizeof *out);
    g_usage_error = 0;
    int ok;
    if (rv_input_is_json(inputs, ninputs)) {
        if (ninputs != 1) {
            cli_error("a vkcalib JSON or state file is read alone: give one INPUT.json or INPUT.vkch, or the calibration "
                      "set's inputs");
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

