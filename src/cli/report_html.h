/* What `vkcalib explain` and `vkcalib report` show (report_model.c), and the
 * HTML of a report (report_html.c, with its parts in report_parts.h).
 *
 * Both commands look at the same model of a calibration set: for every
 * tensor its range statistics, its |x| histogram (counts over [0, absmax]),
 * the KL curve of the entropy search, and a grid of candidate ranges, one
 * per method (entropy, percentile, MSE, max) and per range kind:
 *   RV_SYM  symmetric [-T, T], int8, zero point 0 (what TensorRT holds);
 *   RV_ALT  unsigned [0, T] for a tensor that is never negative (every
 *           method), asymmetric [min, max] otherwise (method max only: the
 *           only asymmetric range vkcalib computes).
 * Each range is a vkc_qparams and, once measured, the SQNR and clipping of
 * fake-quantizing the tensor's values at it.
 *
 *   RV_ASYM asymmetric [lo, hi] with a zero point: the two-sided searches
 *           (entropy, MSE, max) on the histogram of x.
 *
 * The model is built from either
 *   - a calibration set (the INPUTs of calibrate): a vkc_calibrator does the range
 *     and histogram passes on the chosen device (the histogram of x binned in
 *     the same histogram pass), vkc_search the searches, and a third pass
 *     measures every range on the real values (one read of the files, every
 *     range of a tensor measured on each chunk); or
 *   - a vkcalib JSON written with --histograms, or a histogram-round state
 *     file (.vkch): the histograms are in it, the searches run again on them
 *     (same counts, same thresholds), and SQNR is estimated from the
 *     histogram (every value at its bin centre), marked as an estimate, since
 *     the values themselves are not there. A histogram of |x| gives the
 *     symmetric and unsigned cells, and the asymmetric ones of a
 *     never-negative tensor (the same bins); one of x the asymmetric ones. */
#ifndef VKC_REPORT_HTML_H
#define VKC_REPORT_HTML_H

#include "calib.h"
#include "text.h"

/* RV_ASYM: the two-sided searches of mode asymmetric (entropy, MSE, max)
 * on the histogram of x over [min(min, 0), max(max, 0)]. */
enum { RV_SYM = 0, RV_ALT = 1, RV_ASYM = 2, RV_NKINDS = 3 };
#define RV_NMETHODS 4 /* indexed by vkc_method: entropy, percentile, mse, max */
#define RV_MAXR 20    /* ranges per tensor */
/* The report's default bins for the histogram of x: the two-sided searches
 * cost O(bins^2) windows (2048 bins: seconds per signed tensor on a CPU). */
#define RV_REPORT_ASYM_BINS 256u

typedef enum rv_quality_kind { RV_Q_NONE = 0, RV_Q_MEASURED, RV_Q_ESTIMATED } rv_quality_kind;

/* The entropy search's parameters as explain describes them: DESIGN.md §2
 * for the modelopt and tensorrt flavours (bin 0 takes bin 1's count, the
 * largest of tied candidates wins). */
typedef struct rv_kl {
    uint32_t levels;           /* 128 symmetric, 256 unsigned */
    uint32_t start, stride;    /* candidates i = start, start + stride, ... */
    int zero_bin_copy, tie_largest;
    double edge_offset;        /* threshold = (i + edge_offset) * width: 0.5 for flavor tensorrt */
} rv_kl;

typedef struct rv_range {
    vkc_method method;
    vkc_mode mode;             /* symmetric, unsigned or asymmetric */
    vkc_search_result res;     /* the search that gave it (max: i = bins) */
    vkc_qparams q;
    vkc_quant quant;
    vkc_quality quality;
    rv_quality_kind qk;        /* NONE: asymmetric on a JSON (no signed data) */
    char label[48];            /* extra ranges (explain): what it is */
} rv_range;

/* One tool's entropy on one tensor (report --flavors, from compare.c's
 * calibrations): the range the tool's own flavour gives. */
typedef struct rv_tool {
    int have;                  /* 0: that flavour gave the tensor no range (rv_set.tool_error) */
    int range;                 /* 1: a range [lo, hi] (onnxruntime's), else [-hi, hi] */
    int warn;                  /* the tool itself would crash or choose otherwise (note) */
    double lo, hi;
    double sqnr_db;            /* measured at that range; NaN when not */
    char note[256];            /* the search's message when warn */
} rv_tool;

typedef struct rv_tensor {
    char *name;
    vkc_stats st;
    uint64_t *hist;            /* bins counts of |x| over [0, st.absmax]; NULL when unknown (a JSON of x) */
    uint32_t bins;
    /* The histogram of x (RV_ASYM), sbins counts over [slo, shi]; NULL when
     * unknown (a JSON or state of |x| of a signed tensor). shist == hist
     * for a never-negative tensor read from |x| (the same bins). */
    uint64_t *shist;
    uint32_t sbins;
    float slo, shi;
    /* The quality guards' verdict on the entropy symmetric range (what
     * calibrate writes by default): VKC_WARNING_CLIPPED / _LOW_SQNR bits. */
    uint32_t flags;
    int cell[RV_NMETHODS][RV_NKINDS]; /* index into r, -1: does not apply */
    rv_range r[RV_MAXR];
    uint32_t nr;
    /* KL of every entropy candidate, kl[k][c] for i = kp[k].start + c *
     * kp[k].stride; k = RV_SYM (128 levels) and, for a non-negative tensor,
     * RV_ALT (unsigned, 256 levels). NULL where it does not apply. */
    double *kl[RV_NKINDS];
    uint32_t nkl[RV_NKINDS];
    rv_kl kp[RV_NKINDS];
    rv_tool tool[VKC_FLAVOR_COUNT]; /* by position in rv_set.tools */
} rv_tensor;

typedef struct rv_set {
    rv_tensor *t;
    uint32_t n;
    uint32_t bins;
    vkc_search_params sp;      /* flavor, start bin, percentile (method, mode unused) */
    rv_quality_kind quality;   /* how SQNR was obtained */
    int from_json;
    /* A JSON's own settings, for explain's defaults. */
    int json_have_method, json_have_mode;
    vkc_method json_method;
    vkc_mode json_mode;
    /* report --flavors: the tools' entropy flavours shown beside vkcalib's,
     * and why a flavour failed ("" when it did not). */
    uint32_t ntools;
    vkc_flavor tools[VKC_FLAVOR_COUNT];
    char tool_error[VKC_FLAVOR_COUNT][1024];
} rv_set;

typedef struct rv_options {
    calib_options co;          /* ci (bins, flavor, start_bin, percentile, nonfinite),
                                  allow_missing, budget, quiet, dev */
    int have_bins, have_flavor, have_start, have_percentile;
    int measure;               /* 0: no third pass (--no-measure) */
    uint32_t asym_bins;        /* bins of the histogram of x; 0: --bins */
} rv_options;

/* Defaults of the options rv_parse_option reads. */
void rv_options_init(rv_options *o);
/* Options both commands take: --flavor, --bins, --start-bin, --percentile,
 * --exclude-nonfinite, --allow-missing, --memory-budget, --no-measure,
 * --quiet, and the device options. 1 when argv[*i] was one (advancing *i
 * past its value), 0 when not, -1 after printing a usage error. */
int rv_parse_option(int argc, char **argv, int *i, rv_options *o, const char *cmd);
#define RV_OPTIONS_HELP                                                                         \
    "  --flavor F            modelopt (default) or tensorrt (entropy threshold at the\n"     \
    "                        bin centre)\n"                                                 \
    "  --bins N              histogram bins (default 2048)\n"                               \
    "  --start-bin S         first entropy/MSE candidate bin (default 128)\n"               \
    "  --percentile P        for the percentile method (default 99.99)\n"                   \
    "  --exclude-nonfinite   skip NaN and Inf values (default: they are an error)\n"        \
    "  --allow-missing       use a tensor on the .npz batches that hold it\n"               \
    "  --no-measure          skip the pass that measures SQNR on the values\n"              \
    "  --asym-bins N         bins of the histogram of x the asymmetric searches use\n"      \
    "                        (explain: --bins, else 256; report: 256, as the two-\n"      \
    "                        sided searches cost O(N^2) windows per signed tensor)\n"     \
    "  --memory-budget SIZE  host memory for input buffers (default 1G)\n"                  \
    "  --quiet               no progress on stderr\n" CLI_DEVICE_HELP

/* 1 when the INPUTs name a vkcalib JSON (one INPUT ending in .json). */
int rv_input_is_json(char **inputs, int ninputs);

/* Extra ranges explain wants measured besides the grid: called once per
 * tensor after the searches, before the measure pass; adds to t->r. */
typedef void (*rv_extra_fn)(rv_tensor *t, void *user);

/* Builds the model. only: restrict to that tensor (explain); an unknown
 * name is an error that lists available names. Opens no context itself:
 * ctx runs the passes and searches. Prints its own errors; 0 on failure. */
int rv_build(vkc_context *ctx, char **inputs, int ninputs, const rv_options *o, const char *only,
             rv_extra_fn extra, void *user, rv_set *out);
void rv_free(rv_set *s);
/* 1 when the last rv_build failed on the caller's arguments (no --tensor
 * among several, a name that is none): a usage error. */
int rv_last_usage_error(void);

/* Adds a range to t (qparams from the range policy); returns its index or
 * -1 (full, or the range is invalid). */
int rv_add_range(rv_tensor *t, vkc_method m, vkc_mode mode, const vkc_search_result *res, double lo,
                 double hi, const char *label);

/* 1 for a tensor that is never negative (it gets the unsigned ranges). */
int rv_nonneg(const rv_tensor *t);
/* A range's SQNR in dB (+inf lossless); NaN when not measured. */
double rv_sqnr(const rv_range *r);
/* Percentage of values clipped; NaN when not measured. */
double rv_clipped_pct(const rv_range *r);

/* A method's name as the report and explain print it: "entropy", "p99.99",
 * "mse", "max". */
void rv_method_short(const rv_set *s, vkc_method m, char *out, size_t size);

/* The range of kind k (RV_*) and method m, or NULL. */
const rv_range *rv_cell(const rv_tensor *t, int m, int k);

/* Writes the whole report into out: one self-contained HTML document (inline
 * CSS, inline SVG, a small inline script for sorting the summary table),
 * deterministic: the same model gives the same bytes. */
void rv_html(const rv_set *s, cli_buf *out);

#endif
