#include "calib.h"
#include "search/asym.h"
#include "dist.h"
#include "feeder.h"
#include "progress.h"
#include "read/source.h"
#include "write/state.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Runs one pass over every batch: fn is the range or histogram pass. */

static uint64_t nonfinite(const vkc_stats *st)
{
    return st->nan + st->pos_inf + st->neg_inf;
}

static vkc_status range_step(vkc_context *ctx, void *user, const feeder_chunk *c)
{
    tensor_state *ts = user;
    return vkc_range_host(ctx, c->raw, c->n, c->dtype, &ts[c->tensor].st);
}

/* The first batch of tensor t holding a NaN or Inf, found by reading its
 * batches again: only on the error path, so the passes stay lean. */
static const ds_item *find_nonfinite(const dataset *ds, uint32_t t)
{
    enum { CHUNK = 1 << 20 };
    float *x = malloc(CHUNK * sizeof *x);
    const ds_item *found = NULL;
    for (uint32_t k = 0; x && !found && k < ds->tensors[t].nitems; k++) {
        vkc_source *src = NULL;
        vkc_msg msg;
        if (feeder_open_item(&ds->tensors[t].items[k], &src, &msg) != VKC_OK) continue;
        uint64_t got = 0;
        while (!found && vkc_source_read_f32(src, x, CHUNK, &got, &msg) == VKC_OK && got)
            for (uint64_t i = 0; i < got; i++)
                if (!isfinite(x[i])) {
                    found = &ds->tensors[t].items[k];
                    break;
                }
        vkc_source_close(src);
    }
    free(x);
    return found;
}

static vkc_status hist_step(vkc_context *ctx, void *user, const feeder_chunk *c)
{
    tensor_state *ts = user;
    return vkc_histogram_host(ctx, c->raw, c->n, c->dtype, &ts[c->tensor].spec, ts[c->tensor].hist);
}

static vkc_status measure_step(vkc_context *ctx, void *user, const feeder_chunk *c)
{
    tensor_state *ts = user;
    return vkc_measure_f32(ctx, c->x, c->n, &ts[c->tensor].quant, &ts[c->tensor].quality);
}

/* The integer grid each mode quantizes to (ranges.h). */
vkc_quant quant_of(const vkc_qparams *q)
{
    vkc_quant r = {(float)q->scale, q->zero_point, -127, 127};
    if (q->mode == VKC_MODE_UNSIGNED) r.qmin = 0, r.qmax = 255;
    else if (q->mode == VKC_MODE_ASYMMETRIC) r.qmin = -128, r.qmax = 127;
    return r;
}

uint32_t total_files(const dataset *ds)
{
    uint32_t n = 0;
    for (uint32_t t = 0; t < ds->ntensors; t++) n += ds->tensors[t].nitems;
    return n;
}

/* native16: the step takes float16 chunks as they are (the range and
 * histogram passes on a GPU, which widens them itself). */
static int calib_pass_dt(vkc_context *ctx, const dataset *ds, const calib_options *o, const char *name,
                         calib_step fn, void *user, int native16)
{
    vkc_msg msg = {{0}};
    uint64_t slot = o->budget / 2 / sizeof(float);
    if (slot > (64ull << 20)) slot = 64ull << 20; /* 256 MiB slots keep latency low */
    feeder *f = feeder_start(ds, slot, native16, &msg);
    if (!f) {
        cli_error("%s", msg.text);
        return 0;
    }
    progress p;
    progress_begin(&p, name, ds->bytes, total_files(ds), o->quiet);
    feeder_chunk c;
    vkc_status s = VKC_OK;
    uint64_t bytes = 0;
    uint32_t files = 0;
    while (s == VKC_OK && feeder_next(f, &c)) {
        s = fn(ctx, user, &c);
        feeder_progress(f, &bytes, &files);
        progress_update(&p, bytes, files, 0);
    }
    vkc_status rs = feeder_finish(f, &msg, &bytes, &files);
    if (s != VKC_OK) {
        if (!o->quiet && p.tty) fputc('\n', stderr);
        cli_error("tensor '%s': %s", ds->tensors[c.tensor].name, vkc_context_error(ctx));
        return 0;
    }
    if (rs != VKC_OK) {
        if (!o->quiet && p.tty) fputc('\n', stderr);
        cli_error("%s", msg.text);
        return 0;
    }
    progress_end(&p, bytes, files);
    return 1;
}

int calib_pass(vkc_context *ctx, const dataset *ds, const calib_options *o, const char *name, calib_step fn,
               void *user)
{
    return calib_pass_dt(ctx, ds, o, name, fn, user, 0);
}

/* After the range pass: NaN/Inf policy, modes, histogram geometry. */
int prepare_histograms(const dataset *ds, tensor_state *ts, const calib_options *o)
{
    for (uint32_t t = 0; t < ds->ntensors; t++) {
        tensor_state *s = &ts[t];
        const char *name = ds->tensors[t].name;
        uint64_t bad = nonfinite(&s->st);
        if (bad && !o->exclude_nonfinite) {
            const ds_item *it = find_nonfinite(ds, t);
            if (!it) it = &ds->tensors[t].items[0];
            cli_error("tensor '%s': %llu NaN, %llu +Inf, %llu -Inf among %llu values, first in %s%s%s%s (fix the "
                      "dump, or --exclude-nonfinite to calibrate on the finite values)",
                      name, (unsigned long long)s->st.nan, (unsigned long long)s->st.pos_inf,
                      (unsigned long long)s->st.neg_inf, (unsigned long long)(s->st.count + bad), it->path,
                      it->member ? "[" : "", it->member ? it->member : "", it->member ? "]" : "");
            return 0;
        }
        if (bad && !o->quiet)
            cli_warn("tensor '%s': excluded %llu non-finite values", name, (unsigned long long)bad);
        if (s->st.count == 0) {
            cli_error("tensor '%s': no finite values (empty tensor?)", name);
            return 0;
        }
        s->mode = o->mode;
        if (o->mode == VKC_MODE_AUTO) s->mode = s->st.min >= 0 ? VKC_MODE_UNSIGNED : VKC_MODE_SYMMETRIC;
        if (s->mode == VKC_MODE_UNSIGNED && s->st.min < 0) {
            cli_error("tensor '%s': --mode unsigned, but its minimum is %g (use auto or symmetric)", name,
                      (double)s->st.min);
            return 0;
        }
        /* Two-sided searches need the histogram of x over [min, max]
         * (DESIGN.md §3); everything else the histogram of |x|. */
        if (s->mode == VKC_MODE_ASYMMETRIC && o->sp.method != VKC_METHOD_MAX)
            s->spec = (vkc_hist_spec){VKC_HIST_SIGNED, o->bins, s->st.min, s->st.max};
        else
            s->spec = (vkc_hist_spec){VKC_HIST_ABS, o->bins, 0.0f, s->st.absmax};
        s->range_max = s->spec.hi;
        s->hist = calloc(o->bins, sizeof *s->hist);
        if (!s->hist) {
            cli_error("out of memory for histograms");
            return 0;
        }
    }
    return 1;
}

/* The two-sided searches (src/asym.h), one tensor at a time: every window
 * of a tensor is already one dispatch. Fills s->win_* and a search result
 * in the symmetric searches' terms (i = b, kl = the window's value). */
static int search_asymmetric(vkc_context *ctx, const dataset *ds, tensor_state *s, uint32_t t,
                             const calib_options *o, vkc_search_result *r)
{
    memset(r, 0, sizeof *r);
    if (o->sp.method == VKC_METHOD_MAX) {
        s->win_lo = s->st.min;
        s->win_hi = s->st.max;
        s->win_a = 0;
        s->win_b = r->i = o->bins;
        return 1;
    }
    vkc_asym_result a;
    vkc_msg msg = {{0}};
    double lo = s->spec.lo, hi = s->spec.hi;
    int gpu = !vkc_context_is_cpu(ctx);
    vkc_status st;
    if (o->sp.method == VKC_METHOD_ENTROPY)
        st = gpu ? vkc_asym_entropy_gpu(ctx, s->hist, o->bins, lo, hi, o->sp.start_bin, &a)
                 : vkc_asym_entropy_cpu(s->hist, o->bins, lo, hi, o->sp.start_bin, &a, &msg);
    else if (o->sp.method == VKC_METHOD_MSE)
        st = gpu ? vkc_asym_mse_gpu(ctx, s->hist, o->bins, lo, hi, o->sp.start_bin, &a)
                 : vkc_asym_mse_cpu(s->hist, o->bins, lo, hi, o->sp.start_bin, &a, &msg);
    else {
        cli_error("tensor '%s': --mode asymmetric supports the entropy, mse and max methods", ds->tensors[t].name);
        return 0;
    }
    if (st != VKC_OK) {
        cli_error("tensor '%s': %s", ds->tensors[t].name, gpu ? vkc_context_error(ctx) : msg.text);
        return 0;
    }
    s->win_a = a.a;
    s->win_b = a.b;
    s->win_lo = a.lo;
    s->win_hi = a.hi;
    r->i = a.b;
    r->kl = a.value;
    r->candidates = a.windows > UINT32_MAX ? UINT32_MAX : (uint32_t)a.windows;
    r->inf_candidates = a.inf_windows > UINT32_MAX ? UINT32_MAX : (uint32_t)a.inf_windows;
    r->reevaluated = a.reevaluated > UINT32_MAX ? UINT32_MAX : (uint32_t)a.reevaluated;
    r->fallback = a.fallback;
    snprintf(r->message, sizeof r->message, "%s", a.message);
    return 1;
}

/* One search call per mode group, so each is one GPU dispatch. */
int search_all(vkc_context *ctx, const dataset *ds, tensor_state *ts, const calib_options *o)
{
    uint32_t n = ds->ntensors;
    vkc_histogram *h = malloc(n * sizeof *h);
    vkc_search_result *r = malloc(n * sizeof *r);
    uint32_t *idx = malloc(n * sizeof *idx);
    int ok = h && r && idx;
    static const vkc_mode groups[] = {VKC_MODE_SYMMETRIC, VKC_MODE_UNSIGNED, VKC_MODE_ASYMMETRIC};
    for (size_t g = 0; ok && g < 3; g++) {
        uint32_t m = 0;
        for (uint32_t t = 0; t < n; t++)
            if (ts[t].mode == groups[g]) {
                idx[m] = t;
                h[m++] = (vkc_histogram){ts[t].hist, o->bins, ts[t].range_max};
            }
        if (!m) continue;
        vkc_search_params sp = o->sp;
        sp.mode = groups[g];
        if (groups[g] == VKC_MODE_ASYMMETRIC) {
            for (uint32_t k = 0; ok && k < m; k++) ok = search_asymmetric(ctx, ds, &ts[idx[k]], idx[k], o, &r[k]);
            if (!ok) break;
        } else if (vkc_search(ctx, h, m, &sp, r) != VKC_OK) {
            cli_error("search: %s", vkc_context_error(ctx));
            ok = 0;
            break;
        }
        for (uint32_t k = 0; k < m; k++) {
            tensor_state *s = &ts[idx[k]];
            s->res = r[k];
            double lo, hi;
            if (s->mode == VKC_MODE_ASYMMETRIC) lo = s->win_lo, hi = s->win_hi;
            else lo = s->mode == VKC_MODE_UNSIGNED ? 0.0 : -r[k].threshold, hi = r[k].threshold;
            vkc_msg msg = {{0}};
            if (vkc_qparams_from_range(s->mode, lo, hi, &s->q, &msg) != VKC_OK) {
                cli_error("tensor '%s': %s", ds->tensors[idx[k]].name, msg.text);
                ok = 0;
                break;
            }
            if (s->mode == VKC_MODE_ASYMMETRIC) s->res.threshold = s->q.hi;
            if (o->verbose)
                fprintf(stderr, "vkcalib: %s: i=%u threshold=%.9g kl=%.6g candidates=%u inf=%u reevaluated=%u%s%s\n",
                        ds->tensors[idx[k]].name, s->res.i, s->res.threshold, s->res.kl, s->res.candidates,
                        s->res.inf_candidates, s->res.reevaluated, s->res.fallback ? " fallback: " : "",
                        s->res.fallback ? s->res.message : "");
        }
    }
    if (!h || !r || !idx) cli_error("out of memory");
    free(h);
    free(r);
    free(idx);
    return ok;
}

/* The envelope of a range for a symmetric-only format. */
double sym_amax(const tensor_state *s)
{
    double a = fabs(s->q.lo), b = fabs(s->q.hi);
    return s->mode == VKC_MODE_SYMMETRIC ? s->q.hi : (a > b ? a : b);
}


int run_pass_range(vkc_context *ctx, const dataset *ds, tensor_state *ts, const calib_options *o)
{
    return calib_pass_dt(ctx, ds, o, "pass 1/2: range", range_step, ts, !vkc_context_is_cpu(ctx));
}

int run_pass_histogram(vkc_context *ctx, const dataset *ds, tensor_state *ts, const calib_options *o)
{
    return calib_pass_dt(ctx, ds, o, "pass 2/2: histogram", hist_step, ts, !vkc_context_is_cpu(ctx));
}

int run_pass_measure(vkc_context *ctx, const dataset *ds, tensor_state *ts, const calib_options *o)
{
    for (uint32_t t = 0; t < ds->ntensors; t++) ts[t].quant = quant_of(&ts[t].q);
    return calib_pass(ctx, ds, o, "pass 3/3: measure", measure_step, ts);
}

/* Streaming range mode: one pass, each tensor's histogram over a range
 * that doubles as batches exceed it (vkc_stream_*). */
static vkc_status stream_step(vkc_context *ctx, void *user, const feeder_chunk *c)
{
    (void)ctx;
    return vkc_stream_add(((vkc_stream **)user)[c->tensor], c->raw, c->n, c->dtype);
}

static int calib_run_streaming(vkc_context *ctx, const dataset *ds, tensor_state *ts, const calib_options *o)
{
    vkc_stream **streams = calloc(ds->ntensors ? ds->ntensors : 1, sizeof *streams);
    int ok = streams != NULL;
    for (uint32_t t = 0; ok && t < ds->ntensors; t++)
        if (vkc_stream_create(ctx, o->bins, &streams[t]) != VKC_OK) {
            cli_error("%s", vkc_context_error(ctx));
            ok = 0;
        }
    ok = ok && calib_pass_dt(ctx, ds, o, "pass 1/1: streaming histogram", stream_step, streams,
                             !vkc_context_is_cpu(ctx));
    for (uint32_t t = 0; ok && t < ds->ntensors; t++) vkc_stream_result(streams[t], NULL, &ts[t].st, NULL);
    ok = ok && prepare_histograms(ds, ts, o);
    for (uint32_t t = 0; ok && t < ds->ntensors; t++) {
        vkc_histogram h;
        vkc_stream_result(streams[t], &h, NULL, NULL);
        memcpy(ts[t].hist, h.counts, (size_t)o->bins * sizeof *ts[t].hist);
        ts[t].range_max = h.range_max;
        ts[t].spec.hi = (float)h.range_max;
        if (!isfinite(ts[t].spec.hi)) {
            cli_error("tensor '%s': values near the float32 limit leave no power-of-two range; use exact mode",
                      ds->tensors[t].name);
            ok = 0;
        }
    }
    for (uint32_t t = 0; streams && t < ds->ntensors; t++) vkc_stream_destroy(streams[t]);
    free(streams);
    return ok && search_all(ctx, ds, ts, o) && (!o->measure || run_pass_measure(ctx, ds, ts, o));
}

/* Shares: the batches of every tensor split over devices (threads in this
 * process) and processes (MPI ranks). Share s of S holds batch k of every
 * tensor with k % S == s (dataset_share). Two rounds, each followed by an
 * exact reduction, so the result is byte-identical to one device:
 *   1. each share's range pass into its own tensor_state array; the
 *      statistics merged in share order (vkc_stats_merge: min, max, absmax
 *      and counts are exact), then across ranks; prepare_histograms once on
 *      the global statistics (NaN policy, modes, the histogram spec);
 *   2. each share's histogram pass over that global spec into its own
 *      uint64 arrays; the counts summed (integers), then across ranks to
 *      rank 0.
 * Rank 0 then searches (and measures) once on its first context. */
typedef struct share_job {
    vkc_context *ctx;
    dataset sub;           /* shallow: this share's batches */
    tensor_state *ts;      /* this share's statistics and counts */
    calib_options o;
    int round;             /* 1: range, 2: histogram */
    int ok;
} share_job;

static void *share_worker(void *arg)
{
    share_job *j = arg;
    j->ok = j->round == 1 ? run_pass_range(j->ctx, &j->sub, j->ts, &j->o)
                          : run_pass_histogram(j->ctx, &j->sub, j->ts, &j->o);
    return NULL;
}

/* One round on every local share: in this thread for one, a thread (with
 * its own reader) per share for several. */
static int run_round(share_job *jobs, uint32_t n, int round)
{
    for (uint32_t k = 0; k < n; k++) jobs[k].round = round;
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

/* After prepare_histograms: a share histograms over the global mode and
 * spec into zeroed counts of its own. */
static int share_histograms(tensor_state *part, const tensor_state *ts, uint32_t ntensors, uint32_t bins)
{
    for (uint32_t t = 0; t < ntensors; t++) {
        part[t].mode = ts[t].mode;
        part[t].spec = ts[t].spec;
        part[t].range_max = ts[t].range_max;
        part[t].hist = calloc(bins, sizeof *part[t].hist);
        if (!part[t].hist) {
            cli_error("out of memory for histograms");
            return 0;
        }
    }
    return 1;
}

int calib_run_shares(vkc_context **ctxs, uint32_t n, const dataset *ds, tensor_state *ts, const calib_options *o)
{
    const uint32_t rank = dist_rank(), nranks = dist_size(), nt = ds->ntensors;
    share_job *jobs = calloc(n, sizeof *jobs);
    int ok = jobs != NULL;
    if (!ok) cli_error("out of memory");
    for (uint32_t k = 0; ok && k < n; k++) {
        jobs[k].ctx = ctxs[k];
        jobs[k].o = *o;
        /* Progress only where one line stays readable: one device, rank 0. */
        jobs[k].o.quiet = o->quiet || n > 1 || rank != 0;
        jobs[k].ts = calloc(nt ? nt : 1, sizeof *jobs[k].ts);
        if (!jobs[k].ts) cli_error("out of memory");
        ok = jobs[k].ts && dataset_share(ds, rank * n + k, nranks * n, &jobs[k].sub);
    }
    if (ok && !o->quiet && n > 1) fprintf(stderr, "vkcalib: range and histogram passes on %u devices\n", n);

    /* Round 1: range statistics. */
    ok = ok && run_round(jobs, n, 1);
    ok = dist_agree(ok, NULL);
    for (uint32_t k = 0; ok && k < n; k++)
        for (uint32_t t = 0; t < nt; t++) vkc_stats_merge(&ts[t].st, &jobs[k].ts[t].st);
    if (ok) dist_allreduce_stats(ts, nt);
    /* Every rank applies the policy to the same global statistics, so every
     * rank fails alike: rank 0 prints the error. */
    if (ok) {
        cli_mute_errors(rank != 0);
        ok = prepare_histograms(ds, ts, o);
        cli_mute_errors(0);
    }
    for (uint32_t k = 0; ok && k < n; k++) ok = share_histograms(jobs[k].ts, ts, nt, o->bins);
    ok = dist_agree(ok, NULL);

    /* Round 2: histograms over the global spec. */
    ok = ok && run_round(jobs, n, 2);
    ok = dist_agree(ok, NULL);
    for (uint32_t k = 0; ok && k < n; k++)
        for (uint32_t t = 0; t < nt; t++)
            for (uint32_t b = 0; b < o->bins; b++) ts[t].hist[b] += jobs[k].ts[t].hist[b];
    if (ok) dist_reduce_counts(ts, nt, o->bins);

    for (uint32_t k = 0; jobs && k < n; k++) {
        calib_free(jobs[k].ts, jobs[k].ts ? nt : 0);
        dataset_share_free(&jobs[k].sub);
    }
    free(jobs);
    /* The search and --measure (over every batch) on rank 0 alone. */
    if (rank != 0) return ok;
    return ok && search_all(ctxs[0], ds, ts, o) && (!o->measure || run_pass_measure(ctxs[0], ds, ts, o));
}

int calib_run_devices(vkc_context **ctxs, uint32_t n, const dataset *ds, tensor_state *ts, const calib_options *o)
{
    if (n <= 1 || o->streaming) return calib_run(ctxs[0], ds, ts, o);
    return calib_run_shares(ctxs, n, ds, ts, o);
}

int calib_run(vkc_context *ctx, const dataset *ds, tensor_state *ts, const calib_options *o)
{
    if (o->streaming) return calib_run_streaming(ctx, ds, ts, o);
    return run_pass_range(ctx, ds, ts, o) && prepare_histograms(ds, ts, o) && run_pass_histogram(ctx, ds, ts, o) &&
           search_all(ctx, ds, ts, o) && (!o->measure || run_pass_measure(ctx, ds, ts, o));
}

void calib_free(tensor_state *ts, uint32_t n)
{
    for (uint32_t t = 0; ts && t < n; t++) free(ts[t].hist);
    free(ts);
}

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v <= 0) return 0;
    double mul = 1;
    if (*end == 'K' || *end == 'k') mul = 1024.0, end++;
    else if (*end == 'M' || *end == 'm') mul = 1048576.0, end++;
    else if (*end == 'G' || *end == 'g') mul = 1073741824.0, end++;
    if (*end == 'B' || *end == 'b') end++;
    if (*end) return 0;
    *out = (uint64_t)(v * mul);
    return *out > 0;
}

void calib_options_init(calib_options *o)
{
    memset(o, 0, sizeof *o);
    o->bins = 2048;
    o->budget = 1ull << 30;
    o->format = -1;
    o->mode = VKC_MODE_SYMMETRIC;
}

int calib_parse_common(calib_options *o, const char *a, const char *v)
{
    unsigned long long u;
    if (!strcmp(a, "--bins")) {
        if (!cli_parse_u64(v, &u) || u < 1 || u > 65536) {
            cli_error("--bins: expected 1..65536, got %s", v);
            return 2;
        }
        o->bins = (uint32_t)u;
        return 1;
    }
    if (!strcmp(a, "--memory-budget")) {
        if (!parse_size(v, &o->budget) || o->budget < (1u << 20)) {
            cli_error("--memory-budget: expected a size of at least 1M (e.g. 512M, 2G), got %s", v);
            return 2;
        }
        return 1;
    }
    return 0;
}

int calib_from_state(const char *path, dataset *ds, tensor_state **out, calib_options *o)
{
    vkc_state st;
    vkc_msg msg = {{0}};
    memset(ds, 0, sizeof *ds);
    *out = NULL;
    if (vkc_state_load(path, &st, &msg) != VKC_OK) {
        cli_error("%s", msg.text);
        return 0;
    }
    int ok = 1;
    if (st.phase != VKC_STATE_HISTOGRAM) {
        cli_error("%s holds range statistics only: run the histogram round (`vkcalib collect --range-from`) first",
                  path);
        ok = 0;
    }
    o->bins = st.bins;
    o->exclude_nonfinite = (st.flags & 1u) != 0;
    ds->tensors = ok ? calloc(st.ntensors, sizeof *ds->tensors) : NULL;
    tensor_state *ts = ok ? calloc(st.ntensors, sizeof *ts) : NULL;
    ok = ok && ds->tensors && ts;
    for (uint32_t t = 0; ok && t < st.ntensors; t++) {
        size_t n = strlen(st.t[t].name) + 1;
        ds->tensors[t].name = malloc(n);
        if (!ds->tensors[t].name) { ok = 0; break; }
        memcpy(ds->tensors[t].name, st.t[t].name, n);
        ds->ntensors = ds->cap = t + 1;
        ts[t].st = st.t[t].st;
    }
    ok = ok && prepare_histograms(ds, ts, o);
    for (uint32_t t = 0; ok && t < st.ntensors; t++) {
        if (vkc_f32_bits(ts[t].spec.hi) != vkc_f32_bits(st.t[t].hist_hi)) {
            cli_error("%s: tensor '%s': histogram range %g differs from its absmax %g", path, st.t[t].name,
                      (double)st.t[t].hist_hi, (double)ts[t].spec.hi);
            ok = 0;
            break;
        }
        memcpy(ts[t].hist, st.t[t].counts, (size_t)st.bins * 8);
    }
    vkc_state_free(&st);
    *out = ts;
    return ok;
}

/* Fails early when the output cannot be written, before hours of reading. */
int calib_check_output(const char *out)
{
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
