/* The computing part of a calibration, shared by calibrate, explain and
 * report: the range pass, the histogram pass, the searches and the quality
 * pass over a scanned calibration set. */
#ifndef VKC_CALIB_H
#define VKC_CALIB_H

#include "cli.h"
#include "dataset.h"
#include "feeder.h"
#include "policy/range_policy.h"

typedef struct tensor_state {
    vkc_stats st;
    uint64_t *hist;
    vkc_hist_spec spec;
    vkc_mode mode;            /* resolved: never auto */
    vkc_search_result res;
    vkc_qparams q;
    double range_max;         /* histogram range: absmax (exact) or the stream's */
    uint32_t win_a, win_b;    /* asymmetric: the chosen window of bins */
    double win_lo, win_hi;    /* asymmetric: its range (before widening to 0) */
    vkc_quant quant;          /* --measure: the quantizer of q */
    vkc_quality quality;
} tensor_state;

typedef struct calib_options {
    const char *out;
    int format;               /* 0 trt, 1 json */
    vkc_search_params sp;
    vkc_mode mode;
    uint32_t bins;
    uint32_t trt_version;
    const char *trt_algo;
    int envelope, exclude_nonfinite, allow_missing, quiet, verbose, measure, histograms;
    const char *from_state;
    int streaming;            /* one pass, doubling range (--range streaming) */
    const char *devices;      /* --devices all|LIST */
    uint64_t budget;
    cli_device_opts dev;
} calib_options;

/* One streamed pass over every batch: fn sees each chunk (a chunk holds
 * values of one tensor, c->tensor); progress on stderr as name. Prints its
 * own errors; returns 0 on failure. */
typedef vkc_status (*calib_step)(vkc_context *ctx, void *user, const feeder_chunk *c);
int calib_pass(vkc_context *ctx, const dataset *ds, const calib_options *o, const char *name, calib_step fn,
               void *user);

/* The passes, in order; each prints its own errors and returns 0 on failure.
 * calib_run does them all (measure only when o->measure). */
int run_pass_range(vkc_context *ctx, const dataset *ds, tensor_state *ts, const calib_options *o);
int prepare_histograms(const dataset *ds, tensor_state *ts, const calib_options *o);
int run_pass_histogram(vkc_context *ctx, const dataset *ds, tensor_state *ts, const calib_options *o);
int search_all(vkc_context *ctx, const dataset *ds, tensor_state *ts, const calib_options *o);
int run_pass_measure(vkc_context *ctx, const dataset *ds, tensor_state *ts, const calib_options *o);
int calib_run(vkc_context *ctx, const dataset *ds, tensor_state *ts, const calib_options *o);
/* The same over n contexts (--devices): each device, on its own thread with
 * its own reader, runs both data passes on a share of every tensor's batches
 * (batch k to device k % n); the statistics and counts are reduced exactly
 * on the host and the search runs once on the first context, so the result
 * is byte-identical to one device. n <= 1 or streaming: calib_run. */
int calib_run_devices(vkc_context **ctxs, uint32_t n, const dataset *ds, tensor_state *ts, const calib_options *o);
/* The exact calibration over batch shares (calib.c explains): n local
 * contexts in this process, times dist_size() MPI ranks; share
 * dist_rank() * n + k of dist_size() * n runs on ctxs[k]. ts: zeroed, one
 * per tensor. Every rank returns the same result of the data passes (they
 * agree after each); rank 0 alone then searches and, with o->measure,
 * measures every batch, and holds the results. */
int calib_run_shares(vkc_context **ctxs, uint32_t n, const dataset *ds, tensor_state *ts, const calib_options *o);
void calib_free(tensor_state *ts, uint32_t n);

uint32_t total_files(const dataset *ds);
/* Fails early (with a message) when out cannot be written: a missing or
 * read-only directory, or an existing non-regular file. */
int calib_check_output(const char *out);
/* Defaults: 2048 bins, symmetric, 1 GiB budget, format from the extension. */
void calib_options_init(calib_options *o);
/* Options shared by the commands that read data (--bins, --memory-budget):
 * 1 when a consumed it with its value v, 2 on a bad value (printed), 0 when
 * a is not one of them. */
int calib_parse_common(calib_options *o, const char *a, const char *v);
/* Tensors, statistics and histograms from a merged histogram-round state
 * file, ready for search_all (names only in ds). */
int calib_from_state(const char *path, dataset *ds, tensor_state **ts, calib_options *o);
/* The integer grid each mode quantizes to. */
vkc_quant quant_of(const vkc_qparams *q);
/* The envelope of a range for a symmetric-only format. */
double sym_amax(const tensor_state *s);

#endif
