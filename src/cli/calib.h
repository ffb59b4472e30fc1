/* Driving a vkc_calibrator over a scanned calibration set, shared by
 * calibrate, collect, explain and report: the passes (file reading on the
 * feeder's thread, feeding on this one), with progress; the same over
 * several devices and MPI ranks (exact reductions); the messages that name
 * the file a problem is in. The calibration itself is the library's. */
#ifndef VKC_CALIB_H
#define VKC_CALIB_H

#include "cli.h"
#include "dataset.h"
#include "feeder.h"

/* Per-tensor control (--override, --overrides, --include, --exclude):
 * globs matched against whole tensor names (fnmatch without FNM_PATHNAME,
 * so '*' crosses '/'); the last matching override wins. */
typedef struct cli_override {
    char *glob;
    vkc_method method;
    int has_mode;
    vkc_mode mode;
} cli_override;

typedef struct cli_rules {
    cli_override *ov;
    uint32_t nov, capov;
    char **include, **exclude;
    uint32_t ninc, nexc, capinc, capexc;
} cli_rules;

/* A tensor left out of a calibration, and why (reported, fatal only with
 * --strict). */
typedef struct cli_skipped {
    char *name;
    char reason[160];
} cli_skipped;

typedef struct calib_options {
    const char *out;
    int format;               /* 0 trt, 1 json */
    vkc_calibrator_info ci;   /* method, mode, flavor, bins, start bin, percentile, NaN policy, range, measure */
    vkc_write_info wi;        /* cache header, envelope, histograms */
    int allow_missing, quiet, verbose;
    const char *from_state;
    const char *model;        /* --model: the ONNX graph the names must belong to */
    const char *devices;      /* --devices all|LIST */
    uint64_t budget;          /* host memory for the feeder's buffers and kept arrays */
    int read_once;            /* calib_create keeps the range pass's arrays in what the budget leaves
                                 beside the feeder's slots, so that a set that fits is read once */
    cli_device_opts dev;
    unsigned given;           /* CLI_OPT_* bits of the shared options the user gave (options.h) */
    vkc_guard_info guard;     /* --max-clipped, --max-sqnr-gap, --no-guards (chained by calib_create) */
    int strict;               /* --strict: guard flags and skipped tensors are errors */
    cli_rules rules;          /* --override, --overrides, --include, --exclude */
    cli_skipped *skipped;     /* filled by calib_select and the passes */
    uint32_t nskipped;
} calib_options;

/* One streamed pass over every batch: fn sees each chunk (a chunk holds
 * values of one tensor, c->tensor); progress on stderr as name. native16:
 * float16 batches arrive as float16 (a GPU widens them itself). fn returns
 * 0 after printing its error. Returns 0 on failure. */
typedef int (*calib_step)(void *user, const feeder_chunk *c);
int calib_pass(const dataset *ds, const calib_options *o, const char *name, int native16, calib_step fn, void *user);
/* The step that feeds each chunk to the vkc_calibrator user. */
int calib_feed_step(void *user, const feeder_chunk *c);

/* A calibrator on ctx with o's settings and every tensor of ds declared in
 * ds's order (so tensor t of ds is tensor t of the calibrator). NULL on
 * failure (printed). */
vkc_calibrator *calib_create(vkc_context *ctx, const dataset *ds, const calib_options *o);
/* The pass the calibrator wants, over ds, then its end; prints errors
 * (naming the batch that holds a NaN). */
int calib_run_pass(vkc_calibrator *cal, vkc_context *ctx, const dataset *ds, const calib_options *o);
/* The end of the pass the calibrator is in (what calib_run_pass does after
 * its pass): the library's errors with the tool's words, empty tensors
 * skipped unless --strict. */
int calib_end_pass(vkc_calibrator *cal, const dataset *ds, const calib_options *o);
/* "pass 1/2: range" and the others, as progress names them. */
const char *calib_pass_name(vkc_pass p);
/* Every pass, to VKC_PASS_DONE. */
int calib_run(vkc_calibrator *cal, vkc_context *ctx, const dataset *ds, const calib_options *o);
/* The exact calibration over batch shares: n local contexts in this
 * process, times dist_size() MPI ranks; share dist_rank() * n + k of
 * dist_size() * n runs on ctxs[k], batch j of every tensor in share j % S.
 * Statistics and counts are reduced exactly, so the result is
 * byte-identical to one device. Rank 0 alone searches (and measures every
 * batch) on ctxs[0]; *out is its calibrator (on other ranks, one that has
 * reached the histogram pass). */
int calib_run_shares(vkc_context **ctxs, uint32_t n, const dataset *ds, const calib_options *o, vkc_calibrator **out);
/* A calibrator whose histogram pass ended on a merged histogram-round state
 * file (calibrate --from-state). */
vkc_calibrator *calib_from_state(vkc_context *ctx, const char *path, calib_options *o);

uint32_t total_files(const dataset *ds);
/* Fails early (with a message) when out cannot be written: a missing or
 * read-only directory, or an existing non-regular file. */
int calib_check_output(const char *out);
/* The settings agree with each other (before any data is read): a
 * --percentile needs --method percentile; entropy's --start-bin is at
 * least 128; --bins reaches the start bin. Prints the usage error, cmd
 * naming the command; check_bins 0 where the bin count comes later. */
int calib_check_settings(const calib_options *o, const char *cmd, int check_bins);
/* Tensor names the output can hold (B9, before any data is read): none
 * empty; for a TensorRT cache, none with a line break. Prints the error. */
int calib_check_names(const dataset *ds, int trt_cache);
/* Refuses (printing why) an output that is one of the inputs: a file of ds
 * or of the INPUT paths (either may be NULL). "-" is standard output. */
int calib_check_not_input(const char *out, const dataset *ds, char **inputs, int ninputs);
/* Leaves out of ds the tensors --include/--exclude do not select and
 * those whose first batch is not floating point (recorded in o->skipped,
 * printed; with --strict an error). 0 on failure (printed). */
int calib_select(dataset *ds, calib_options *o);
/* Records a skipped tensor. */
void calib_note_skipped(calib_options *o, const char *name, const char *reason);
/* The override that applies to name (the last that matches), or NULL. */
const cli_override *calib_override_for(const cli_rules *r, const char *name);
/* Frees what the options own (rules, skipped list). */
void calib_options_free(calib_options *o);
/* Defaults: 2048 bins, symmetric, 1 GiB budget, format from the extension. */
void calib_options_init(calib_options *o);

#endif
