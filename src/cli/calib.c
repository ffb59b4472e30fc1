/* The CLI's calibration driver (calib.h): the passes over a dataset through
 * the feeder, the calibrator created from the options (per-tensor rules,
 * guards, read once), the end of each pass with its errors named by file
 * and tensor, --from-state, and the shares of several devices and MPI
 * ranks. One file past 600 lines because those paths share the pass and
 * error handling; the summary (summary.c), the rules (select.c) and the
 * distribution (dist.c) are their own modules. */
#include "calib.h"
#include "options.h"
#include "dist.h"
#include "progress.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

uint32_t total_files(const dataset *ds)
{
    uint32_t n = 0;
    for (uint32_t t = 0; t < ds->ntensors; t++) n += ds->tensors[t].nitems;
    return n;
}

/* Floats per feeder slot (two slots): half the budget, at most 256 MiB
 * each, which keeps the latency of a pass's first chunk low. */
static uint64_t slot_elems(const calib_options *o)
{
    uint64_t slot = o->budget / 2 / sizeof(float);
    return slot > (64ull << 20) ? 64ull << 20 : slot;
}

int calib_pass(const dataset *ds, const calib_options *o, const char *name, int native16, calib_step fn, void *user)
{
    vkc_msg msg = {{0}};
    uint64_t slot = slot_elems(o);
    feeder *f = feeder_start(ds, slot, native16, &msg);
    if (!f) {
        cli_error("%s", msg.text);
        return 0;
    }
    progress p;
    progress_begin(&p, name, ds->bytes, total_files(ds), o->quiet);
    feeder_chunk c;
    int ok = 1;
    uint64_t bytes = 0;
    uint32_t files = 0;
    while (ok && feeder_next(f, &c)) {
        if (!(ok = fn(user, &c)) && !o->quiet && p.tty) fputc('\n', stderr);
        feeder_progress(f, &bytes, &files);
        if (ok) progress_update(&p, bytes, files, 0);
    }
    vkc_status rs = feeder_finish(f, &msg, &bytes, &files);
    if (!ok) return 0;
    if (rs != VKC_OK) {
        if (!o->quiet && p.tty) fputc('\n', stderr);
        cli_error("%s", msg.text);
        return 0;
    }
    progress_end(&p, bytes, files);
    return 1;
}

/* ---- the calibrator's passes ------------------------------------------- */

int calib_feed_step(void *user, const feeder_chunk *c)
{
    vkc_calibrator *cal = user;
    vkc_pass p = vkc_calibrator_pass(cal);
    /* The tools' flavours that look at a batch's shape (ncnn-aciq, mnn). */
    if (c->ndim && (p == VKC_PASS_RANGE || p == VKC_PASS_STREAM) &&
        vkc_calibrator_set_shape(cal, c->tensor, c->ndim, c->shape) != VKC_OK) {
        cli_error("%s", vkc_calibrator_error(cal));
        return 0;
    }
    if (vkc_calibrator_feed(cal, c->tensor, c->raw, c->n, c->dtype) == VKC_OK) return 1;
    cli_error("%s", vkc_calibrator_error(cal));
    return 0;
}

/* The --override that applies to tensor t, made a per-tensor setting. */
static int apply_override(vkc_calibrator *cal, uint32_t t, const calib_options *o)
{
    const cli_override *ov = calib_override_for(&o->rules, vkc_calibrator_tensor_name(cal, t));
    if (!ov) return 1;
    vkc_tensor_settings ts = {0};
    ts.sType = VKC_STRUCTURE_TYPE_TENSOR_SETTINGS;
    ts.fields = VKC_TENSOR_SET_METHOD | (ov->has_mode ? VKC_TENSOR_SET_MODE : 0);
    ts.method = ov->method;
    ts.mode = ov->mode;
    if (vkc_calibrator_set_tensor(cal, t, &ts) == VKC_OK) return 1;
    cli_error("--override '%s': %s", ov->glob, vkc_calibrator_error(cal));
    return 0;
}

vkc_calibrator *calib_create(vkc_context *ctx, const dataset *ds, const calib_options *o)
{
    vkc_calibrator *cal = NULL;
    vkc_calibrator_info ci = o->ci;
    /* Read once: the calibrator keeps the range pass's arrays and runs the
     * histogram (and measure) pass from them, in the memory the feeder's
     * slots leave. A set that does not fit is read again, as before; the
     * results are the same bits either way. */
    const uint64_t slots = 2 * slot_elems(o) * sizeof(float);
    if (o->read_once && ci.range == VKC_RANGE_EXACT && o->budget > slots) ci.memory_budget = o->budget - slots;
    vkc_guard_info guard = o->guard;
    guard.sType = VKC_STRUCTURE_TYPE_GUARD_INFO;
    guard.pNext = NULL;
    ci.pNext = &guard;
    if (vkc_calibrator_create(ctx, &ci, &cal) != VKC_OK) {
        cli_error("%s", vkc_context_error(ctx));
        return NULL;
    }
    for (uint32_t t = 0; ds && t < ds->ntensors; t++) {
        uint32_t k = t;
        if (vkc_calibrator_tensor(cal, ds->tensors[t].name, &k) != VKC_OK) {
            cli_error("%s", vkc_calibrator_error(cal));
            vkc_calibrator_destroy(cal);
            return NULL;
        }
        if (k != t) {
            cli_error("tensor '%s' is listed twice", ds->tensors[t].name);
            vkc_calibrator_destroy(cal);
            return NULL;
        }
        if (!apply_override(cal, t, o)) {
            vkc_calibrator_destroy(cal);
            return NULL;
        }
    }
    return cal;
}

/* Reading tensor t's batches again (only on the error and warning paths,
 * so the passes stay lean): the first batch holding a value that is not a
 * finite float32, and what that value is (*f64: a finite float64 beyond
 * float32's range, B12), and how many finite float64 values are beyond
 * float32 (*beyond; counting stops at the first when count_all is 0). */
static const ds_item *find_nonfinite(const dataset *ds, uint32_t t, int count_all, double *value, int *f64,
                                     uint64_t *beyond)
{
    enum { CHUNK = 1 << 18 };
    double *x = malloc(CHUNK * sizeof *x);
    float *xf = (float *)(void *)x;
    const ds_item *found = NULL;
    *beyond = 0;
    *f64 = 0;
    for (uint32_t k = 0; x && (count_all || !found) && k < ds->tensors[t].nitems; k++) {
        vkc_source *src = NULL;
        vkc_msg msg;
        if (feeder_open_item(&ds->tensors[t].items[k], &src, &msg) != VKC_OK) continue;
        const int dbl = vkc_source_dtype(src) == VKC_DT_F64;
        if (count_all && !dbl) {
            vkc_source_close(src);
            continue;
        }
        uint64_t got = 0;
        while ((count_all || !found) &&
               (dbl ? vkc_source_read_raw(src, x, CHUNK, &got, &msg) : vkc_source_read_f32(src, xf, CHUNK, &got, &msg)) ==
                   VKC_OK &&
               got)
            for (uint64_t i = 0; i < got; i++) {
                double v;
                if (dbl) memcpy(&v, (const unsigned char *)x + 8 * i, 8);
                else v = xf[i];
                if (isfinite((float)v) || (!dbl && isfinite(v))) continue;
                if (dbl && isfinite(v)) ++*beyond;
                if (!found) {
                    found = &ds->tensors[t].items[k];
                    *value = v;
                    *f64 = dbl && isfinite(v);
                }
                if (!count_all) break;
            }
        vkc_source_close(src);
    }
    free(x);
    return found;
}

/* The library's message, plus what only the tool knows: which file holds
 * the NaN, and which option changes the rule. */
static void end_pass_error(vkc_calibrator *cal, vkc_status s, const dataset *ds, const calib_options *o)
{
    uint32_t t = vkc_calibrator_failed_tensor(cal);
    const char *m = vkc_calibrator_error(cal);
    if (s == VKC_ERROR_NONFINITE && ds && t < ds->ntensors && ds->tensors[t].nitems) {
        double v = 0;
        int f64 = 0;
        uint64_t beyond = 0;
        const ds_item *it = find_nonfinite(ds, t, 0, &v, &f64, &beyond);
        char what[160] = "";
        if (it && f64)
            snprintf(what, sizeof what, ": the float64 value %.9g, beyond float32's range, which calibrates in float32 "
                     "(counted as %sInf)", v, v > 0 ? "+" : "-");
        if (!it) it = &ds->tensors[t].items[0];
        cli_error("%s, first in %s%s%s%s%s (fix the dump, or --exclude-nonfinite to calibrate on the finite values)", m,
                  it->path, it->member ? "[" : "", it->member ? it->member : "", it->member ? "]" : "", what);
    } else if (s == VKC_ERROR_NONFINITE) {
        cli_error("%s (collect with --exclude-nonfinite to calibrate on the finite values)", m);
    } else if (o->ci.mode == VKC_MODE_UNSIGNED && s == VKC_ERROR_INVALID_ARGUMENT && t != UINT32_MAX) {
        cli_error("%s (use --mode auto or symmetric)", m);
    } else if (s == VKC_ERROR_EMPTY && o->strict) {
        cli_error("%s (--strict: empty tensors are errors)", m);
    } else {
        cli_error("%s", m);
    }
}

/* Per-tensor details of the search on stderr (--verbose). */
static void print_verbose(const vkc_calibrator *cal)
{
    const vkc_calibration *res = vkc_calibrator_results(cal);
    for (uint32_t t = 0; t < vkc_calibration_count(res); t++) {
        const vkc_tensor_result *r = vkc_calibration_tensor(res, t);
        const vkc_search_result *s = &r->search;
        fprintf(stderr, "vkcalib: %s: i=%u threshold=%.9g kl=%.6g candidates=%llu inf=%llu reevaluated=%llu%s%s\n",
                r->name, s->i, r->threshold, s->kl, (unsigned long long)s->candidates,
                (unsigned long long)s->inf_candidates, (unsigned long long)s->reevaluated,
                s->fallback ? " fallback: " : "", s->fallback ? s->message : "");
    }
}

static int end_pass(vkc_calibrator *cal, const dataset *ds, const calib_options *o)
{
    vkc_pass before = vkc_calibrator_pass(cal);
    vkc_status s = vkc_calibrator_end_pass(cal);
    /* A tensor without a finite value is skipped (reported), unless
     * --strict: the pass is ended again without it. */
    while (s == VKC_ERROR_EMPTY && !o->strict && (before == VKC_PASS_RANGE || before == VKC_PASS_STREAM)) {
        uint32_t t = vkc_calibrator_failed_tensor(cal);
        vkc_tensor_settings ts = {0};
        ts.sType = VKC_STRUCTURE_TYPE_TENSOR_SETTINGS;
        ts.fields = VKC_TENSOR_SET_SKIP;
        ts.skip = 1;
        if (t == UINT32_MAX || vkc_calibrator_set_tensor(cal, t, &ts) != VKC_OK) break;
        calib_note_skipped((calib_options *)o, vkc_calibrator_tensor_name(cal, t), "no finite values (empty)");
        s = vkc_calibrator_end_pass(cal);
    }
    if (s != VKC_OK) {
        end_pass_error(cal, s, ds, o);
        return 0;
    }
    /* The search ran in this call: at the end of the histogram pass, or of
     * the range pass when the calibrator kept the data (read once). */
    const vkc_pass after = vkc_calibrator_pass(cal);
    if (before != VKC_PASS_MEASURE && (after == VKC_PASS_MEASURE || after == VKC_PASS_DONE)) {
        const vkc_calibration *res = vkc_calibrator_results(cal);
        for (uint32_t t = 0; !o->quiet && t < vkc_calibration_count(res); t++) {
            const vkc_tensor_result *r = vkc_calibration_tensor(res, t);
            if (!(r->warnings & VKC_WARNING_NONFINITE_EXCLUDED)) continue;
            /* float64 values beyond float32 are "Inf" to the calibrator: say
             * which they are (B12). */
            double v = 0;
            int f64 = 0;
            uint64_t beyond = 0;
            uint32_t k = UINT32_MAX;
            for (uint32_t j = 0; ds && j < ds->ntensors && k == UINT32_MAX; j++)
                if (!strcmp(ds->tensors[j].name, r->name)) k = j;
            if (k != UINT32_MAX) find_nonfinite(ds, k, 1, &v, &f64, &beyond);
            char more[160] = "";
            if (beyond)
                snprintf(more, sizeof more, ", of which %llu are finite float64 values beyond float32's range",
                         (unsigned long long)beyond);
            cli_warn("tensor '%s': excluded %llu non-finite values%s", r->name,
                     (unsigned long long)(r->stats.nan + r->stats.pos_inf + r->stats.neg_inf), more);
        }
        if (o->verbose) print_verbose(cal);
    }
    return 1;
}

int calib_end_pass(vkc_calibrator *cal, const dataset *ds, const calib_options *o)
{
    return end_pass(cal, ds, o);
}

const char *calib_pass_name(vkc_pass p)
{
    return p == VKC_PASS_RANGE       ? "pass 1/2: range"
           : p == VKC_PASS_HISTOGRAM ? "pass 2/2: histogram"
           : p == VKC_PASS_STREAM    ? "pass 1/1: streaming histogram"
                                     : "pass 3/3: measure";
}

int calib_run_pass(vkc_calibrator *cal, vkc_context *ctx, const dataset *ds, const calib_options *o)
{
    const vkc_pass p = vkc_calibrator_pass(cal);
    const int gpu = !vkc_context_is_cpu(ctx);
    if (p == VKC_PASS_DONE) return 1;
    /* A GPU widens float16 itself (half the bytes to move); the measure
     * pass takes float32. */
    return calib_pass(ds, o, calib_pass_name(p), gpu && p != VKC_PASS_MEASURE, calib_feed_step, cal) &&
           end_pass(cal, ds, o);
}

int calib_run(vkc_calibrator *cal, vkc_context *ctx, const dataset *ds, const calib_options *o)
{
    while (vkc_calibrator_pass(cal) != VKC_PASS_DONE) {
        const vkc_pass before = vkc_calibrator_pass(cal);
        if (!calib_run_pass(cal, ctx, ds, o)) return 0;
        /* The passes the kept arrays ran without reading a file. */
        const vkc_pass after = vkc_calibrator_pass(cal);
        if (before == VKC_PASS_RANGE && after != VKC_PASS_HISTOGRAM && !o->quiet) {
            fprintf(stderr, "vkcalib: %s: from the range pass's copy in memory (the set fits --memory-budget: read "
                            "once), done\n",
                    calib_pass_name(VKC_PASS_HISTOGRAM));
            if (o->ci.measure)
                fprintf(stderr, "vkcalib: %s: from memory, done\n", calib_pass_name(VKC_PASS_MEASURE));
        }
    }
    return 1;
}

/* With per-tensor rules, the state's tensors are declared first (a probe
 * calibrator reads their names), so that overrides and --include/--exclude
 * (as skips: no data is read anyway) apply before the state ends the pass. */
static int declare_state_tensors(vkc_context *ctx, vkc_calibrator *cal, const char *path, calib_options *o)
{
    calib_options po = *o;
    po.ci.method = VKC_METHOD_MAX;
    po.ci.mode = VKC_MODE_SYMMETRIC;
    po.ci.start_bin = 0;
    po.guard.disable = 1;
    po.rules = (cli_rules){0};
    vkc_calibrator *probe = calib_create(ctx, NULL, &po);
    if (!probe) return 0;
    if (vkc_calibrator_load_state(probe, path, VKC_PASS_RANGE) != VKC_OK) {
        vkc_calibrator_destroy(probe); /* the real load says what is wrong */
        return 1;
    }
    int ok = 1;
    for (uint32_t t = 0; ok && t < vkc_calibrator_tensor_count(probe); t++) {
        const char *name = vkc_calibrator_tensor_name(probe, t);
        uint32_t k;
        ok = vkc_calibrator_tensor(cal, name, &k) == VKC_OK && apply_override(cal, k, o);
        if (!ok) break;
        int in = !o->rules.ninc;
        for (uint32_t j = 0; !in && j < o->rules.ninc; j++) in = fnmatch(o->rules.include[j], name, 0) == 0;
        const char *ex = NULL;
        for (uint32_t j = 0; !ex && j < o->rules.nexc; j++)
            if (fnmatch(o->rules.exclude[j], name, 0) == 0) ex = o->rules.exclude[j];
        if (!in || ex) {
            vkc_tensor_settings ts = {0};
            ts.sType = VKC_STRUCTURE_TYPE_TENSOR_SETTINGS;
            ts.fields = VKC_TENSOR_SET_SKIP;
            ts.skip = 1;
            ok = vkc_calibrator_set_tensor(cal, k, &ts) == VKC_OK;
            char why[200];
            snprintf(why, sizeof why, ex ? "excluded by --exclude '%s'" : "matches no --include", ex ? ex : "");
            calib_note_skipped(o, name, why);
        }
    }
    if (!ok) cli_error("%s", vkc_calibrator_error(cal));
    vkc_calibrator_destroy(probe);
    return ok;
}

vkc_calibrator *calib_from_state(vkc_context *ctx, const char *path, calib_options *o)
{
    vkc_calibrator *cal = calib_create(ctx, NULL, o);
    if (!cal) return NULL;
    if ((o->rules.nov || o->rules.ninc || o->rules.nexc) && !declare_state_tensors(ctx, cal, path, o)) {
        vkc_calibrator_destroy(cal);
        return NULL;
    }
    vkc_status s = vkc_calibrator_load_state(cal, path, VKC_PASS_HISTOGRAM);
    if (s != VKC_OK) {
        if (s == VKC_ERROR_WRONG_PASS)
            cli_error("%s holds range statistics only: run the histogram round (`vkcalib collect --range-from`) "
                      "first",
                      path);
        else end_pass_error(cal, s, NULL, o);
        vkc_calibrator_destroy(cal);
        return NULL;
    }
    if (!end_pass(cal, NULL, o)) {
        vkc_calibrator_destroy(cal);
        return NULL;
    }
    return cal;
}

/* ---- shares: devices and MPI ranks ------------------------------------- */

/* Shares: the batches of every tensor split over devices (threads in this
 * process) and processes (MPI ranks). Share s of S holds batch k of every
 * tensor with k % S == s (dataset_share). Two rounds, each followed by an
 * exact reduction, so the result is byte-identical to one device:
 *   1. each share's range pass into its own calibrator; the statistics
 *      merged into share 0's (vkc_calibrator_merge: min, max, absmax and
 *      counts are exact), then across ranks; share 0's range pass ends on
 *      the global statistics (NaN policy, modes, histogram geometry) and
 *      the other shares adopt it;
 *   2. each share's histogram pass over that geometry; the counts summed
 *      into share 0's (integers), then across ranks to rank 0.
 * Rank 0 then ends the histogram pass (the search) and measures. */
typedef struct share_job {
    vkc_context *ctx;
    dataset sub;           /* shallow: this share's batches */
    vkc_calibrator *cal;
    calib_options o;
    int ok;
} share_job;

static void *share_worker(void *arg)
{
    share_job *j = arg;
    j->ok = calib_pass(&j->sub, &j->o, vkc_calibrator_pass(j->cal) == VKC_PASS_RANGE ? "pass 1/2: range"
                                                                                     : "pass 2/2: histogram",
                       !vkc_context_is_cpu(j->ctx), calib_feed_step, j->cal);
    return NULL;
}

/* One round on every local share: in this thread for one, a thread (with
 * its own reader) per share for several. */
static int run_round(share_job *jobs, uint32_t n)
{
    if (n == 1) {
        share_worker(&jobs[0]);
        return jobs[0].ok;
    }
    pthread_t *th = calloc(n, sizeof *th);
    if (!th) {
        cli_error("out of memory");
        return 0;
    }
    int ok = 1;
    uint32_t started = 0;
    for (; started < n; started++)
        if (pthread_create(&th[started], NULL, share_worker, &jobs[started]) != 0) {
            cli_error("cannot start a thread for device %u", started);
            ok = 0;
            break;
        }
    for (uint32_t k = 0; k < started; k++) {
        pthread_join(th[k], NULL);
        ok = ok && jobs[k].ok;
    }
    free(th);
    return ok;
}

/* Share 0 takes every other local share's data of the current pass. */
static int merge_shares(share_job *jobs, uint32_t n)
{
    for (uint32_t k = 1; k < n; k++)
        if (vkc_calibrator_merge(jobs[0].cal, jobs[k].cal) != VKC_OK) {
            cli_error("%s", vkc_calibrator_error(jobs[0].cal));
            return 0;
        }
    return 1;
}

int calib_run_shares(vkc_context **ctxs, uint32_t n, const dataset *ds, const calib_options *o, vkc_calibrator **out)
{
    const uint32_t rank = dist_rank(), nranks = dist_size();
    *out = NULL;
    share_job *jobs = calloc(n, sizeof *jobs);
    int ok = jobs != NULL;
    if (!ok) cli_error("out of memory");
    for (uint32_t k = 0; ok && k < n; k++) {
        jobs[k].ctx = ctxs[k];
        jobs[k].o = *o;
        /* Progress only where one line stays readable: one device, rank 0. */
        jobs[k].o.quiet = o->quiet || n > 1 || rank != 0;
        jobs[k].o.ci.measure = k == 0 && o->ci.measure; /* share 0 measures every batch */
        ok = dataset_share(ds, rank * n + k, nranks * n, &jobs[k].sub) &&
             (jobs[k].cal = calib_create(ctxs[k], ds, &jobs[k].o)) != NULL;
    }
    if (ok && !o->quiet && n > 1) fprintf(stderr, "vkcalib: range and histogram passes on %u devices\n", n);
    vkc_calibrator *main = jobs ? jobs[0].cal : NULL;

    /* Round 1: range statistics. */
    ok = ok && run_round(jobs, n);
    ok = dist_agree(ok && merge_shares(jobs, n), NULL);
    if (ok) dist_allreduce_stats(main, ds->ntensors);
    /* Every rank applies the policy to the same global statistics, so every
     * rank fails alike: rank 0 prints the error. */
    if (ok) {
        cli_mute_errors(rank != 0);
        ok = end_pass(main, ds, o);
        cli_mute_errors(0);
    }
    for (uint32_t k = 1; ok && k < n; k++)
        if (vkc_calibrator_adopt(jobs[k].cal, main) != VKC_OK) {
            cli_error("%s", vkc_calibrator_error(jobs[k].cal));
            ok = 0;
        }
    ok = dist_agree(ok, NULL);

    /* Round 2: histograms over the global geometry. */
    ok = ok && run_round(jobs, n);
    ok = dist_agree(ok && merge_shares(jobs, n), NULL);
    if (ok) dist_reduce_counts(main, ds->ntensors);

    for (uint32_t k = 0; jobs && k < n; k++) {
        if (k > 0) vkc_calibrator_destroy(jobs[k].cal);
        dataset_share_free(&jobs[k].sub);
    }
    free(jobs);
    /* The search and --measure (over every batch) on rank 0 alone. */
    if (ok && rank == 0) ok = end_pass(main, ds, o) && calib_run(main, ctxs[0], ds, o);
    if (!ok) {
        vkc_calibrator_destroy(main);
        return 0;
    }
    *out = main;
    return 1;
}

/* ---- options ----------------------------------------------------------- */

void calib_options_init(calib_options *o)
{
    memset(o, 0, sizeof *o);
    o->guard.sType = VKC_STRUCTURE_TYPE_GUARD_INFO;
    o->ci.sType = VKC_STRUCTURE_TYPE_CALIBRATOR_INFO;
    /* ci.bins 0: the flavour's own (2048 for modelopt and tensorrt). */
    o->ci.mode = VKC_MODE_SYMMETRIC;
    o->wi.sType = VKC_STRUCTURE_TYPE_WRITE_INFO;
    o->budget = 1ull << 30;
    o->format = -1;
}

int calib_check_settings(const calib_options *o, const char *cmd, int check_bins)
{
    const vkc_calibrator_info *ci = &o->ci;
    const int searched = ci->method == VKC_METHOD_ENTROPY || ci->method == VKC_METHOD_MSE;
    const uint32_t start = ci->start_bin ? ci->start_bin : 128;
    if ((o->given & CLI_OPT_PERCENTILE) && ci->method != VKC_METHOD_PERCENTILE) {
        cli_error("%s: --percentile applies to --method percentile (the method is %s)", cmd,
                  vkc_method_name(ci->method));
        return 0;
    }
    if (ci->method == VKC_METHOD_ENTROPY && start < 128) {
        cli_error("%s: --start-bin %u is below the 128 levels of int8: a candidate below that keeps every bin as "
                  "its own level, so its KL is near 0 and the search clips almost everything (use 128 or more)",
                  cmd, start);
        return 0;
    }
    /* bins 0 is the flavour's default; the other tools' flavours have
     * candidates of their own, not a start bin. */
    const uint32_t bins = ci->bins ? ci->bins : 2048;
    if (searched && check_bins && ci->flavor <= VKC_FLAVOR_TENSORRT && bins < start) {
        cli_error("%s: --bins %u is below the first candidate bin %u (--start-bin): no candidate to search", cmd,
                  bins, start);
        return 0;
    }
    return 1;
}

/* A tensor name shown in a message: control characters escaped. */
static const char *shown_name(const char *s, char *out, size_t size)
{
    size_t o = 0;
    for (; *s && o + 8 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n') o += (size_t)snprintf(out + o, size - o, "\\n");
        else if (c == '\r') o += (size_t)snprintf(out + o, size - o, "\\r");
        else if (c < 0x20 || c == 0x7f) o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
        else out[o++] = (char)c;
    }
    out[o] = 0;
    return out;
}

int calib_check_names(const dataset *ds, int trt_cache)
{
    for (uint32_t t = 0; t < ds->ntensors; t++) {
        const ds_tensor *ten = &ds->tensors[t];
        const ds_item *it = ten->nitems ? &ten->items[0] : NULL;
        char q[200];
        if (!*ten->name) {
            cli_error("%s%s: a tensor with an empty name (an .npz key \"\"): every tensor needs a name",
                      it ? it->path : "input", it && it->member ? "[]" : "");
            return 0;
        }
        if (trt_cache && strpbrk(ten->name, "\n\r")) {
            cli_error("tensor '%s' (in %s): a TensorRT cache holds one tensor per line, and this name holds a line "
                      "break; write JSON (-o FILE.json) or rename the tensor",
                      shown_name(ten->name, q, sizeof q), it ? it->path : "input");
            return 0;
        }
    }
    return 1;
}

int calib_check_not_input(const char *out, const dataset *ds, char **inputs, int ninputs)
{
    if (!out || !strcmp(out, "-")) return 1;
    if ((ds && dataset_has_file(ds, out)) || (inputs && inputs_have_file(inputs, ninputs, out))) {
        cli_error("%s is one of the inputs: refusing to write over it (choose another output)", out);
        return 0;
    }
    return 1;
}

/* Fails early when the output cannot be written, before hours of reading. */
int calib_check_output(const char *out)
{
    if (!strcmp(out, "-")) return 1; /* standard output */
    char dir[4096];
    size_t n = strlen(out);
    if (n >= sizeof dir) {
        cli_error("%s: path too long", out);
        return 0;
    }
    memcpy(dir, out, n + 1);
    char *slash = strrchr(dir, '/');
    if (!slash) strcpy(dir, ".");
    else if (slash == dir) dir[1] = 0;
    else *slash = 0;
    if (access(dir, W_OK) != 0) {
        cli_error("%s: cannot write to directory %s: %s", out, dir, strerror(errno));
        return 0;
    }
    /* The atomic writer refuses to rename over a directory or a device; say
     * so now rather than after the passes. */
    struct stat st;
    if (stat(out, &st) == 0 && !S_ISREG(st.st_mode)) {
        cli_error("%s: exists and is not a regular file (%s); refusing to replace it", out,
                  S_ISDIR(st.st_mode) ? "a directory" : "a device, FIFO or socket");
        return 0;
    }
    return 1;
}
