/* vkcalib calibrate: activation dumps -> TensorRT calibration cache or JSON. */
#include "atomic_file.h"
#include "cli.h"
#include "dataset.h"
#include "feeder.h"
#include "json_write.h"
#include "npy.h"
#include "progress.h"
#include "ranges.h"
#include "strbuf.h"
#include "trtcache.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const kHelp =
    "Usage: vkcalib calibrate INPUT... -o OUT [options]\n"
    "\n"
    "Computes an INT8 clipping range for every activation tensor of a calibration\n"
    "set and writes them as a TensorRT calibration cache (read by TensorRT, trtexec,\n"
    "ONNX Runtime's TensorRT provider and Model Optimizer) or as JSON.\n"
    "\n"
    "INPUT is any of:\n"
    "  batch.npz        one batch; each key is a tensor name\n"
    "  folder/          a folder of .npz batches, or of tensor folders (tensor name =\n"
    "                   folder name, one .npy per batch), or one tensor folder\n"
    "  tensor.npy       one tensor, one batch\n"
    "Files are taken in sorted order; .npy data may be float32, float16 or float64.\n"
    "\n"
    "Two passes over the data, as TensorRT does: the range pass finds each tensor's\n"
    "absmax, the histogram pass bins |x| into --bins bins over [0, absmax], then the\n"
    "threshold search picks the clipping threshold T on every histogram at once.\n"
    "\n"
    "Options:\n"
    "  -o, --output OUT      output file (written atomically: an existing file is\n"
    "                        only replaced when everything succeeded)\n"
    "  --format trt|json     default from OUT's extension: .cache/.txt -> trt, .json\n"
    "                        -> json\n"
    "  --method M            entropy (default: TensorRT's KL calibration), percentile,\n"
    "                        mse, max\n"
    "  --mode M              symmetric (default; [-T, T], int8: what TensorRT caches\n"
    "                        hold), unsigned ([0, T], uint8), auto (unsigned where the\n"
    "                        tensor is never negative, else symmetric), asymmetric\n"
    "                        ([min, max] with a zero point; --method max only for now)\n"
    "  --flavor F            modelopt (default; threshold = bin edge, NVIDIA's\n"
    "                        reference) or tensorrt (bin centre convention)\n"
    "  --bins N              histogram bins (default 2048)\n"
    "  --start-bin S         first entropy/MSE candidate bin (default 128)\n"
    "  --percentile P        for --method percentile (default 99.99)\n"
    "  --trt-version V       cache header version: 8.6.1, 10.3.0 or 8601 (default 8601)\n"
    "  --trt-algo NAME       cache header calibrator (default EntropyCalibration2, the\n"
    "                        only one TensorRT reuses with its entropy calibrator)\n"
    "  --envelope            write non-symmetric modes to a TensorRT cache as their\n"
    "                        symmetric envelope max(|lo|, |hi|)\n"
    "  --exclude-nonfinite   skip NaN and Inf values (default: they are an error)\n"
    "  --allow-missing       calibrate a tensor on the .npz batches that hold it\n"
    "  --measure             a third pass: fake-quantize every tensor at its range and\n"
    "                        report SQNR (dB) and the share of clipped values in the\n"
    "                        summary, to compare methods and modes on your data\n"
    "  --memory-budget SIZE  host memory for input buffers (default 1G; K/M/G suffix)\n"
    "  --quiet               no progress and no summary\n"
    "  --verbose             per-tensor details on stderr\n" CLI_DEVICE_HELP
    "\n"
    "Example:\n"
    "  vkcalib calibrate examples/calib -o model.cache\n"
    "  vkcalib calibrate batches/*.npz -o ranges.json --mode auto --method percentile\n";

typedef struct tensor_state {
    vkc_stats st;
    uint64_t *hist;
    vkc_hist_spec spec;
    vkc_mode mode;            /* resolved: never auto */
    vkc_search_result res;
    vkc_qparams q;
    int64_t first_bad_item;   /* first batch holding NaN/Inf, -1 if none */
    vkc_quant quant;          /* --measure: the quantizer of q */
    vkc_quality quality;
} tensor_state;

typedef struct options {
    const char *out;
    int format;               /* 0 trt, 1 json */
    vkc_search_params sp;
    vkc_mode mode;
    uint32_t bins;
    uint32_t trt_version;
    const char *trt_algo;
    int envelope, exclude_nonfinite, allow_missing, quiet, verbose, measure;
    uint64_t budget;
    cli_device_opts dev;
} options;

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

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Fails early when the output cannot be written, before hours of reading. */
static int check_output_dir(const char *out)
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

static int parse_args(int argc, char **argv, options *o, char ***inputs, int *ninputs)
{
    memset(o, 0, sizeof *o);
    o->bins = 2048;
    o->budget = 1ull << 30;
    o->format = -1;
    o->mode = VKC_MODE_SYMMETRIC;
    *inputs = malloc((size_t)argc * sizeof **inputs);
    *ninputs = 0;
    if (!*inputs) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = cli_device_opt(argc, argv, &i, &o->dev);
        if (r < 0) return 2;
        if (r) continue;
        if (cli_is_help(a)) {
            fputs(kHelp, stdout);
            return -1;
        }
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            (*inputs)[(*ninputs)++] = argv[i];
            continue;
        }
        if (!strcmp(a, "--envelope")) { o->envelope = 1; continue; }
        if (!strcmp(a, "--exclude-nonfinite")) { o->exclude_nonfinite = 1; continue; }
        if (!strcmp(a, "--allow-missing")) { o->allow_missing = 1; continue; }
        if (!strcmp(a, "--measure")) { o->measure = 1; continue; }
        if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) { o->quiet = 1; continue; }
        if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) { o->verbose = 1; continue; }
        if (i + 1 >= argc) {
            cli_error("calibrate: %s needs a value (see --help)", a);
            return 2;
        }
        const char *v = argv[++i];
        unsigned long long u;
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) o->out = v;
        else if (!strcmp(a, "--format")) {
            if (!strcmp(v, "trt")) o->format = 0;
            else if (!strcmp(v, "json")) o->format = 1;
            else { cli_error("--format: trt or json, not %s", v); return 2; }
        } else if (!strcmp(a, "--method")) {
            if (!vkc_method_parse(v, &o->sp.method)) { cli_error("--method: entropy, percentile, mse or max, not %s", v); return 2; }
        } else if (!strcmp(a, "--mode")) {
            if (!vkc_mode_parse(v, &o->mode)) { cli_error("--mode: symmetric, unsigned, asymmetric or auto, not %s", v); return 2; }
        } else if (!strcmp(a, "--flavor")) {
            if (!vkc_flavor_parse(v, &o->sp.flavor)) { cli_error("--flavor: modelopt or tensorrt, not %s", v); return 2; }
        } else if (!strcmp(a, "--bins")) {
            if (!cli_parse_u64(v, &u) || u < 1 || u > 65536) { cli_error("--bins: expected 1..65536, got %s", v); return 2; }
            o->bins = (uint32_t)u;
        } else if (!strcmp(a, "--start-bin")) {
            if (!cli_parse_u64(v, &u) || u < 1 || u > 65536) { cli_error("--start-bin: expected 1..65536, got %s", v); return 2; }
            o->sp.start_bin = (uint32_t)u;
        } else if (!strcmp(a, "--percentile")) {
            if (!cli_parse_double(v, &o->sp.percentile) || !(o->sp.percentile > 0 && o->sp.percentile <= 100)) {
                cli_error("--percentile: expected a number in (0, 100], got %s", v);
                return 2;
            }
        } else if (!strcmp(a, "--trt-version")) {
            int ok = 0;
            o->trt_version = vkc_trt_version_from_string(v, &ok);
            if (!ok) { cli_error("--trt-version: expected like 8.6.1, 10.3.0 or 8601, got %s", v); return 2; }
        } else if (!strcmp(a, "--trt-algo")) o->trt_algo = v;
        else if (!strcmp(a, "--memory-budget")) {
            if (!parse_size(v, &o->budget) || o->budget < (1u << 20)) {
                cli_error("--memory-budget: expected a size of at least 1M (e.g. 512M, 2G), got %s", v);
                return 2;
            }
        } else {
            cli_error("calibrate: unknown option %s (see --help)", a);
            return 2;
        }
    }
    if (*ninputs == 0 || !o->out) {
        cli_error("calibrate: give at least one INPUT and -o OUT (see --help)");
        return 2;
    }
    if (o->format < 0) {
        if (ends_with(o->out, ".json")) o->format = 1;
        else if (ends_with(o->out, ".cache") || ends_with(o->out, ".txt") || ends_with(o->out, ".calib")) o->format = 0;
        else {
            cli_error("%s: cannot tell the format from the extension; add --format trt or --format json", o->out);
            return 2;
        }
    }
    if (o->format == 0 && o->mode != VKC_MODE_SYMMETRIC && !o->envelope) {
        cli_error("a TensorRT cache holds symmetric ranges only; use --mode symmetric, --format json, or "
                  "--envelope to write the symmetric envelope of %s ranges", vkc_mode_name(o->mode));
        return 2;
    }
    if (o->mode == VKC_MODE_ASYMMETRIC && o->sp.method != VKC_METHOD_MAX) {
        cli_error("--mode asymmetric currently supports --method max only");
        return 2;
    }
    return 0;
}

/* Runs one pass over every batch: fn is the range or histogram pass. */
typedef vkc_status (*pass_fn)(vkc_context *ctx, tensor_state *ts, const feeder_chunk *c);

static uint64_t nonfinite(const vkc_stats *st)
{
    return st->nan + st->pos_inf + st->neg_inf;
}

static vkc_status range_step(vkc_context *ctx, tensor_state *ts, const feeder_chunk *c)
{
    tensor_state *s = &ts[c->tensor];
    uint64_t before = nonfinite(&s->st);
    vkc_status r = vkc_range_f32(ctx, c->x, c->n, &s->st);
    if (r == VKC_OK && s->first_bad_item < 0 && nonfinite(&s->st) > before) s->first_bad_item = c->item;
    return r;
}

static vkc_status hist_step(vkc_context *ctx, tensor_state *ts, const feeder_chunk *c)
{
    return vkc_histogram_f32(ctx, c->x, c->n, &ts[c->tensor].spec, ts[c->tensor].hist);
}

static vkc_status measure_step(vkc_context *ctx, tensor_state *ts, const feeder_chunk *c)
{
    return vkc_measure_f32(ctx, c->x, c->n, &ts[c->tensor].quant, &ts[c->tensor].quality);
}

/* The integer grid each mode quantizes to (ranges.h). */
static vkc_quant quant_of(const vkc_qparams *q)
{
    vkc_quant r = {(float)q->scale, q->zero_point, -127, 127};
    if (q->mode == VKC_MODE_UNSIGNED) r.qmin = 0, r.qmax = 255;
    else if (q->mode == VKC_MODE_ASYMMETRIC) r.qmin = -128, r.qmax = 127;
    return r;
}

static uint32_t total_files(const dataset *ds)
{
    uint32_t n = 0;
    for (uint32_t t = 0; t < ds->ntensors; t++) n += ds->tensors[t].nitems;
    return n;
}

static int run_pass(vkc_context *ctx, const dataset *ds, tensor_state *ts, const options *o, const char *name,
                    uint64_t total_bytes, pass_fn fn)
{
    vkc_msg msg = {{0}};
    uint64_t slot = o->budget / 2 / sizeof(float);
    if (slot > (64ull << 20)) slot = 64ull << 20; /* 256 MiB slots keep latency low */
    feeder *f = feeder_start(ds, slot, &msg);
    if (!f) {
        cli_error("%s", msg.text);
        return 0;
    }
    progress p;
    progress_begin(&p, name, total_bytes, total_files(ds), o->quiet);
    feeder_chunk c;
    vkc_status s = VKC_OK;
    uint64_t bytes = 0;
    uint32_t files = 0;
    while (s == VKC_OK && feeder_next(f, &c)) {
        s = fn(ctx, ts, &c);
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

/* After the range pass: NaN/Inf policy, modes, histogram geometry. */
static int prepare_histograms(const dataset *ds, tensor_state *ts, const options *o)
{
    for (uint32_t t = 0; t < ds->ntensors; t++) {
        tensor_state *s = &ts[t];
        const char *name = ds->tensors[t].name;
        uint64_t bad = nonfinite(&s->st);
        if (bad && !o->exclude_nonfinite) {
            const ds_item *it = &ds->tensors[t].items[s->first_bad_item >= 0 ? s->first_bad_item : 0];
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
        s->spec = (vkc_hist_spec){VKC_HIST_ABS, o->bins, 0.0f, s->st.absmax};
        s->hist = calloc(o->bins, sizeof *s->hist);
        if (!s->hist) {
            cli_error("out of memory for histograms");
            return 0;
        }
    }
    return 1;
}

/* One search call per mode group, so each is one GPU dispatch. */
static int search_all(vkc_context *ctx, const dataset *ds, tensor_state *ts, const options *o)
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
                h[m++] = (vkc_histogram){ts[t].hist, o->bins, ts[t].st.absmax};
            }
        if (!m) continue;
        vkc_search_params sp = o->sp;
        sp.mode = groups[g];
        if (groups[g] == VKC_MODE_ASYMMETRIC) {
            for (uint32_t k = 0; k < m; k++) {
                memset(&r[k], 0, sizeof r[k]);
                r[k].i = o->bins;
            }
        } else if (vkc_search(ctx, h, m, &sp, r) != VKC_OK) {
            cli_error("search: %s", vkc_context_error(ctx));
            ok = 0;
            break;
        }
        for (uint32_t k = 0; k < m; k++) {
            tensor_state *s = &ts[idx[k]];
            s->res = r[k];
            double lo, hi;
            if (s->mode == VKC_MODE_ASYMMETRIC) lo = s->st.min, hi = s->st.max;
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
static double sym_amax(const tensor_state *s)
{
    double a = fabs(s->q.lo), b = fabs(s->q.hi);
    return s->mode == VKC_MODE_SYMMETRIC ? s->q.hi : (a > b ? a : b);
}

static int format_trt(const dataset *ds, const tensor_state *ts, const options *o, vkc_buf *out)
{
    uint32_t n = ds->ntensors, floored = 0;
    const char **names = malloc(n * sizeof *names);
    double *amax = malloc(n * sizeof *amax);
    int ok = names && amax;
    for (uint32_t t = 0; ok && t < n; t++) {
        names[t] = ds->tensors[t].name;
        amax[t] = sym_amax(&ts[t]);
    }
    vkc_msg msg = {{0}};
    if (ok && vkc_trtcache_format(out, o->trt_version, o->trt_algo, names, amax, n, &floored, &msg) != VKC_OK) {
        cli_error("%s: %s", o->out, msg.text);
        ok = 0;
    }
    if (ok && floored && !o->quiet)
        cli_warn("%u all-zero tensor(s) written with the minimum amax %g", floored, VKC_AMAX_FLOOR);
    free(names);
    free(amax);
    return ok;
}

static void json_tensor(vkc_jw *j, const char *name, const tensor_state *s, const options *o)
{
    vkc_jw_begin_object(j);
    vkc_jw_kv_string(j, "name", name);
    vkc_jw_kv_string(j, "method", vkc_method_name(o->sp.method));
    vkc_jw_kv_string(j, "mode", vkc_mode_name(s->mode));
    vkc_jw_kv_string(j, "int_type", s->q.is_unsigned ? "uint8" : "int8");
    vkc_jw_kv_double(j, "threshold", s->res.threshold);
    vkc_jw_kv_double(j, "lo", s->q.lo);
    vkc_jw_kv_double(j, "hi", s->q.hi);
    vkc_jw_kv_double(j, "scale", s->q.scale);
    vkc_jw_kv_int(j, "zero_point", s->q.zero_point);
    vkc_jw_kv_double(j, "amax", sym_amax(s));
    vkc_jw_kv_double(j, "min", s->st.min);
    vkc_jw_kv_double(j, "max", s->st.max);
    vkc_jw_kv_double(j, "absmax", s->st.absmax);
    vkc_jw_kv_uint(j, "elements", s->st.count + s->st.nan + s->st.pos_inf + s->st.neg_inf);
    vkc_jw_kv_uint(j, "finite", s->st.count);
    vkc_jw_kv_uint(j, "zeros", s->st.zeros);
    vkc_jw_kv_uint(j, "nan", s->st.nan);
    vkc_jw_kv_uint(j, "pos_inf", s->st.pos_inf);
    vkc_jw_kv_uint(j, "neg_inf", s->st.neg_inf);
    vkc_jw_kv_uint(j, "bins", s->spec.bins);
    vkc_jw_kv_double(j, "bin_width", (double)s->st.absmax / s->spec.bins);
    vkc_jw_kv_uint(j, "i", s->res.i);
    if (o->sp.method == VKC_METHOD_ENTROPY || o->sp.method == VKC_METHOD_MSE)
        vkc_jw_kv_double(j, o->sp.method == VKC_METHOD_ENTROPY ? "kl" : "mse", s->res.kl);
    vkc_jw_kv_bool(j, "fallback", s->res.fallback);
    if (s->res.fallback) vkc_jw_kv_string(j, "fallback_reason", s->res.message);
    vkc_jw_end_object(j);
}

static int format_json(const dataset *ds, const tensor_state *ts, const options *o, vkc_buf *out)
{
    vkc_jw j;
    vkc_jw_init(&j, out);
    vkc_jw_begin_object(&j);
    vkc_jw_kv_string(&j, "format", "vkcalib-calibration");
    vkc_jw_kv_uint(&j, "format_version", 1);
    vkc_jw_kv_string(&j, "vkcalib", vkc_version());
    vkc_jw_key(&j, "settings");
    vkc_jw_begin_object(&j);
    vkc_jw_kv_string(&j, "method", vkc_method_name(o->sp.method));
    vkc_jw_kv_string(&j, "mode", vkc_mode_name(o->mode));
    vkc_jw_kv_string(&j, "flavor", vkc_flavor_name(o->sp.flavor));
    vkc_jw_kv_uint(&j, "bins", o->bins);
    vkc_jw_kv_uint(&j, "start_bin", o->sp.start_bin ? o->sp.start_bin : 128);
    if (o->sp.method == VKC_METHOD_PERCENTILE)
        vkc_jw_kv_double(&j, "percentile", o->sp.percentile > 0 ? o->sp.percentile : 99.99);
    vkc_jw_kv_bool(&j, "exclude_nonfinite", o->exclude_nonfinite);
    vkc_jw_kv_string(&j, "range", "exact");
    vkc_jw_end_object(&j);
    vkc_jw_key(&j, "tensors");
    vkc_jw_begin_array(&j);
    for (uint32_t t = 0; t < ds->ntensors; t++) json_tensor(&j, ds->tensors[t].name, &ts[t], o);
    vkc_jw_end_array(&j);
    vkc_jw_end_object(&j);
    vkc_msg msg = {{0}};
    if (vkc_jw_finish(&j, &msg) != VKC_OK) {
        cli_error("%s: %s", o->out, msg.text);
        return 0;
    }
    vkc_buf_putc(out, '\n');
    return 1;
}

static void print_summary(const dataset *ds, const tensor_state *ts, int measure)
{
    int w = 6;
    for (uint32_t t = 0; t < ds->ntensors; t++) {
        int l = (int)strlen(ds->tensors[t].name);
        w = l > w ? l : w;
    }
    if (w > 40) w = 40;
    printf("%-*s %12s %12s %12s %12s %12s %-10s%s\n", w, "tensor", "elements", "min", "max", "threshold", "scale",
           "mode", measure ? "  SQNR dB  clipped" : "");
    for (uint32_t t = 0; t < ds->ntensors; t++) {
        const tensor_state *s = &ts[t];
        const char *name = ds->tensors[t].name;
        size_t l = strlen(name);
        char shown[64];
        if ((int)l > w) snprintf(shown, sizeof shown, "..%s", name + l - (size_t)(w - 2));
        else snprintf(shown, sizeof shown, "%s", name);
        printf("%-*s %12llu %12.6g %12.6g %12.6g %12.6g %-10s", w, shown,
               (unsigned long long)(s->st.count + s->st.nan + s->st.pos_inf + s->st.neg_inf), (double)s->st.min,
               (double)s->st.max, s->res.threshold, s->q.scale, vkc_mode_name(s->mode));
        if (measure)
            printf(" %8.2f  %6.3f%%", vkc_quality_sqnr_db(&s->quality),
                   s->quality.count ? 100.0 * (double)s->quality.clipped / (double)s->quality.count : 0.0);
        printf("%s\n", s->res.fallback ? " (fallback to max)" : "");
    }
}

int cmd_calibrate(int argc, char **argv)
{
    options o;
    char **inputs = NULL;
    int ninputs = 0;
    int rc = parse_args(argc, argv, &o, &inputs, &ninputs);
    if (rc) {
        free(inputs);
        return rc < 0 ? 0 : rc;
    }
    if (!check_output_dir(o.out)) {
        free(inputs);
        return 1;
    }
    dataset ds;
    if (!dataset_scan(&ds, inputs, ninputs, o.allow_missing)) {
        dataset_free(&ds);
        free(inputs);
        return 1;
    }
    free(inputs);
    vkc_context *ctx = cli_open_context(&o.dev, o.quiet);
    tensor_state *ts = calloc(ds.ntensors, sizeof *ts);
    int ok = ctx && ts;
    for (uint32_t t = 0; ts && t < ds.ntensors; t++) ts[t].first_bad_item = -1;
    if (ok && !o.quiet)
        fprintf(stderr, "vkcalib: %u tensor%s, %u file%s, %.1f MB\n", ds.ntensors, ds.ntensors == 1 ? "" : "s",
                total_files(&ds), total_files(&ds) == 1 ? "" : "s", ds.bytes / 1e6);
    ok = ok && run_pass(ctx, &ds, ts, &o, "pass 1/2: range", ds.bytes, range_step);
    ok = ok && prepare_histograms(&ds, ts, &o);
    ok = ok && run_pass(ctx, &ds, ts, &o, "pass 2/2: histogram", ds.bytes, hist_step);
    ok = ok && search_all(ctx, &ds, ts, &o);
    if (ok && o.measure) {
        for (uint32_t t = 0; t < ds.ntensors; t++) ts[t].quant = quant_of(&ts[t].q);
        ok = run_pass(ctx, &ds, ts, &o, "pass 3/3: measure", ds.bytes, measure_step);
    }
    vkc_buf out = {0};
    if (ok) ok = o.format == 0 ? format_trt(&ds, ts, &o, &out) : format_json(&ds, ts, &o, &out);
    if (ok && out.oom) {
        cli_error("out of memory formatting %s", o.out);
        ok = 0;
    }
    vkc_msg msg = {{0}};
    if (ok && vkc_atomic_write(o.out, out.data, out.len, &msg) != VKC_OK) {
        cli_error("%s", msg.text);
        ok = 0;
    }
    if (ok && !o.quiet) {
        print_summary(&ds, ts, o.measure);
        fprintf(stderr, "vkcalib: wrote %s (%s, %u tensor%s)\n", o.out, o.format == 0 ? "TensorRT cache" : "JSON",
                ds.ntensors, ds.ntensors == 1 ? "" : "s");
    }
    vkc_buf_free(&out);
    for (uint32_t t = 0; ts && t < ds.ntensors; t++) free(ts[t].hist);
    free(ts);
    dataset_free(&ds);
    cli_close_context(ctx);
    return ok ? 0 : 1;
}
