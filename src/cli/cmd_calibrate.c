/* vkcalib calibrate: activation dumps -> TensorRT calibration cache or JSON. */
/* sched_getaffinity and CPU_COUNT are GNU. */
#define _GNU_SOURCE
#include "base/atomic_file.h"
#include "calib.h"
#include "search/entropy.h"
#include "cli.h"
#include "dataset.h"
#include "dist.h"
#include "feeder.h"
#include "base/json_write.h"
#include "read/npy.h"
#include "progress.h"
#include "policy/range_policy.h"
#include "base/strbuf.h"
#include "write/trtcache.h"
#include "onnx_cli.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef VKC_WITH_MPI
#define VKC_MPI_BUILD_NOTE "this build has MPI."
#else
#define VKC_MPI_BUILD_NOTE "this build has no MPI\n(build with cmake -DVKC_MPI=ON)."
#endif

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
    "  --method M            entropy (default: TensorRT's KL calibration),\n"
    "                        percentile, mse, max\n"
    "  --mode M              symmetric (default; [-T, T], int8: what TensorRT\n"
    "                        caches hold), unsigned ([0, T], uint8), auto\n"
    "                        (unsigned where the tensor is never negative, else\n"
    "                        symmetric), asymmetric ([lo, hi] with a zero point;\n"
    "                        entropy and mse search every window of the histogram\n"
    "                        of x, exhaustively)\n"
    "  --flavor F            modelopt (default; threshold = bin edge, NVIDIA's\n"
    "                        reference) or tensorrt (bin centre convention)\n"
    "  --bins N              histogram bins (default 2048)\n"
    "  --start-bin S         first entropy/MSE candidate bin (default 128)\n"
    "  --percentile P        for --method percentile (default 99.99)\n"
    "  --trt-version V       cache header version: 8.6.1, 10.3.0 or 8601\n"
    "                        (default 8601)\n"
    "  --trt-algo NAME       cache header calibrator (default EntropyCalibration2,\n"
    "                        the only one TensorRT reuses with its entropy\n"
    "                        calibrator)\n"
    "  --envelope            write non-symmetric modes to a TensorRT cache as their\n"
    "                        symmetric envelope max(|lo|, |hi|)\n"
    "  --exclude-nonfinite   skip NaN and Inf values (default: they are an error)\n"
    "  --allow-missing       calibrate a tensor on the .npz batches that hold it\n"
    "  --histograms          JSON only: add each tensor's histogram counts and,\n"
    "                        for entropy, the KL divergence of every candidate\n"
    "                        (for plots, `vkcalib explain` and `vkcalib report`)\n"
    "  --measure             a third pass: fake-quantize every tensor at its range\n"
    "                        and report SQNR (dB) and the share of clipped values\n"
    "                        in the summary, to compare methods and modes\n"
    "  --devices all|LIST    split the batches over several devices (LIST: comma-\n"
    "                        separated selectors as for --device, `cpu` for the\n"
    "                        CPU backend; all: every GPU): batch k of every\n"
    "                        tensor goes to device k % n, the statistics and\n"
    "                        histograms are merged exactly on the host; the same\n"
    "                        files as one device, byte for byte\n"
    "  --range exact|streaming  exact (default): a range pass, then histograms over\n"
    "                        each tensor's absmax, as the reference does; streaming:\n"
    "                        one pass, a power-of-two range that doubles as needed\n"
    "                        (reads the data once; thresholds move by a few bins)\n"
    "  --from-state FILE     search a merged state file instead of reading INPUTs\n"
    "                        (see `vkcalib collect --help`)\n"
    "  --memory-budget SIZE  host memory for input buffers (default 1G; K/M/G suffix)\n"
    "  --model MODEL.onnx    check the tensor names against the model's graph before\n"
    "                        reading any data (and warn about tensors `vkcalib qdq`\n"
    "                        needs that the set lacks)\n"
    "  --quiet               no progress and no summary\n"
    "  --verbose             per-tensor details on stderr\n" CLI_DEVICE_HELP
    "\n"
    "Several processes (MPI): `mpirun -n K vkcalib calibrate INPUT... -o OUT` splits\n"
    "the batches over the K processes (batch k of every tensor to rank k % K), each\n"
    "on its own device: with --devices LIST|all, the process with local rank L on\n"
    "a machine takes entry L % n; otherwise the default device, or GPU L % count\n"
    "where a machine has several; processes on the CPU backend share its cores.\n"
    "The range statistics and histograms are reduced exactly with MPI collectives;\n"
    "rank 0 searches, runs --measure (alone, over every batch) and writes the\n"
    "output; the same files as one process, byte for byte. An error in any\n"
    "process stops them all. --from-state and --range streaming run in one process.\n"
    "MPI starts only under a launcher (mpirun, srun); " VKC_MPI_BUILD_NOTE "\n"
    "\n"
    "Example:\n"
    "  vkcalib calibrate examples/calib -o model.cache\n"
    "  vkcalib calibrate batches/*.npz -o ranges.json --mode auto --method percentile\n";

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}


/* --model: kept apart from calib_options (see onnx_cli.h). */
static const char *g_check_model;

static int parse_args(int argc, char **argv, calib_options *o, char ***inputs, int *ninputs)
{
    calib_options_init(o);
    *inputs = malloc((size_t)argc * sizeof **inputs);
    *ninputs = 0;
    if (!*inputs) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int dr = cli_device_opt(argc, argv, &i, &o->dev);
        if (dr < 0) return 2;
        if (dr) continue;
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
        if (!strcmp(a, "--histograms")) { o->histograms = 1; continue; }
        if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) { o->quiet = 1; continue; }
        if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) { o->verbose = 1; continue; }
        if (i + 1 >= argc) {
            cli_error("calibrate: %s needs a value (see --help)", a);
            return 2;
        }
        const char *v = argv[++i];
        unsigned long long u;
        int r;
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
        else if (!strcmp(a, "--from-state")) o->from_state = v;
        else if (!strcmp(a, "--model")) g_check_model = v;
        else if (!strcmp(a, "--devices")) o->devices = v;
        else if (!strcmp(a, "--range")) {
            if (!strcmp(v, "exact")) o->streaming = 0;
            else if (!strcmp(v, "streaming")) o->streaming = 1;
            else { cli_error("--range: exact or streaming, not %s", v); return 2; }
        }
        else if ((r = calib_parse_common(o, a, v)) != 0) {
            if (r == 2) return 2;
        } else {
            cli_error("calibrate: unknown option %s (see --help)", a);
            return 2;
        }
    }
    if ((*ninputs == 0) == !o->from_state || !o->out) {
        cli_error("calibrate: give INPUT... (or --from-state FILE) and -o OUT (see --help)");
        return 2;
    }
    if (o->from_state && o->measure) {
        cli_error("--measure needs the data: it cannot run from a state file");
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
    if (o->devices && (o->dev.device || o->dev.cpu || o->from_state || o->streaming)) {
        cli_error("--devices replaces --device/--cpu, and works on data in exact mode");
        return 2;
    }
    if (o->streaming && (o->from_state || o->mode == VKC_MODE_ASYMMETRIC)) {
        cli_error("--range streaming works on the data with |x| histograms (not with --from-state or --mode "
                  "asymmetric)");
        return 2;
    }
    if (o->histograms && o->format != 1) {
        cli_error("--histograms needs JSON output (-o FILE.json or --format json)");
        return 2;
    }
    if (o->mode == VKC_MODE_ASYMMETRIC && o->sp.method == VKC_METHOD_PERCENTILE) {
        cli_error("--mode asymmetric supports --method entropy, mse or max");
        return 2;
    }
    if (o->from_state && o->mode == VKC_MODE_ASYMMETRIC && o->sp.method != VKC_METHOD_MAX) {
        cli_error("--from-state holds histograms of |x|: two-sided searches need the data (--mode asymmetric)");
        return 2;
    }
    return 0;
}

static int format_trt(const dataset *ds, const tensor_state *ts, const calib_options *o, vkc_buf *out)
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

/* The |x| histogram and, for entropy, KL of every candidate: what a plot of
 * the calibration needs. KL values are the fast evaluator's (1e-12 from the
 * reference), identical on every backend since they are computed here. */
static void json_histogram(vkc_jw *j, const tensor_state *s, const calib_options *o)
{
    vkc_jw_key(j, "histogram");
    vkc_jw_begin_array(j);
    for (uint32_t b = 0; b < s->spec.bins; b++) vkc_jw_uint(j, s->hist[b]);
    vkc_jw_end_array(j);
    if (o->sp.method != VKC_METHOD_ENTROPY || s->mode == VKC_MODE_ASYMMETRIC) return;
    vkc_search_params sp = o->sp;
    sp.mode = s->mode;
    vkc_kl_params kp;
    vkc_kl_params_from(&sp, &kp);
    uint32_t nc = vkc_kl_candidate_count(s->spec.bins, &kp);
    double *kl = malloc((nc ? nc : 1) * sizeof *kl);
    vkc_msg msg;
    if (!kl || vkc_kl_curve(s->hist, s->spec.bins, &kp, kl, &msg) != VKC_OK) {
        free(kl);
        return;
    }
    vkc_jw_kv_uint(j, "kl_start", kp.start);
    vkc_jw_kv_uint(j, "kl_stride", kp.stride);
    vkc_jw_key(j, "kl_curve");
    vkc_jw_begin_array(j);
    for (uint32_t c = 0; c < nc; c++) vkc_jw_double(j, kl[c]); /* +inf and NaN are written as null */
    vkc_jw_end_array(j);
    free(kl);
}

static void json_tensor(vkc_jw *j, const char *name, const tensor_state *s, const calib_options *o)
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
    vkc_jw_kv_double(j, "bin_width", ((double)s->spec.hi - (double)s->spec.lo) / s->spec.bins);
    vkc_jw_kv_uint(j, "i", s->res.i);
    if (s->mode == VKC_MODE_ASYMMETRIC) {
        vkc_jw_kv_uint(j, "window_a", s->win_a);
        vkc_jw_kv_uint(j, "window_b", s->win_b);
    }
    if (o->sp.method == VKC_METHOD_ENTROPY || o->sp.method == VKC_METHOD_MSE)
        vkc_jw_kv_double(j, o->sp.method == VKC_METHOD_ENTROPY ? "kl" : "mse", s->res.kl);
    vkc_jw_kv_bool(j, "fallback", s->res.fallback);
    if (s->res.fallback) vkc_jw_kv_string(j, "fallback_reason", s->res.message);
    if (o->histograms) json_histogram(j, s, o);
    vkc_jw_end_object(j);
}

static int format_json(const dataset *ds, const tensor_state *ts, const calib_options *o, vkc_buf *out)
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
    vkc_jw_kv_string(&j, "range", o->streaming ? "streaming" : "exact");
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

#define MAX_DEVICES 16

/* The selectors --devices names: "all" (every device the default rule would
 * consider: GPUs; none: the CPU backend) or a comma-separated list. Returns
 * how many (0: error, printed). */
static int device_selectors(const char *spec, char sel[][64], int max)
{
    int n = 0;
    if (!strcmp(spec, "all")) {
        vkc_device_caps caps[MAX_DEVICES];
        uint32_t count = MAX_DEVICES;
        vkc_msg msg = {{0}};
        if (vkc_enumerate_devices(caps, &count, &msg) == VKC_OK)
            for (uint32_t k = 0; k < count && n < max; k++)
                if (caps[k].type != VK_PHYSICAL_DEVICE_TYPE_CPU) snprintf(sel[n++], 64, "%u", caps[k].index);
        if (n == 0) snprintf(sel[n++], 64, "cpu"); /* no GPU: the CPU backend */
        return n;
    }
    const char *p = spec;
    while (*p && n < max) {
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= 64) {
            cli_error("--devices: bad selector list '%s'", spec);
            return 0;
        }
        memcpy(sel[n], p, len);
        sel[n++][len] = 0;
        p += len + (p[len] == ',');
    }
    return n;
}

/* --devices: opens every device of the list. Returns how many opened (0:
 * error, already printed). */
static int open_devices(const char *spec, const calib_options *o, vkc_context **out, int max)
{
    char sel[MAX_DEVICES][64];
    int n = device_selectors(spec, sel, max < MAX_DEVICES ? max : MAX_DEVICES);
    for (int k = 0; k < n; k++) {
        cli_device_opts d = o->dev;
        d.device = sel[k];
        d.cpu = !strcmp(sel[k], "cpu");
        out[k] = cli_open_context(&d, o->quiet);
        if (!out[k]) {
            while (k-- > 0) cli_close_context(out[k]);
            return 0;
        }
    }
    return n;
}

/* CPU backend threads for this rank: the cores the launcher bound it to,
 * where it did (Open MPI binds each process to a core by default when K <= 2),
 * else the machine's online cores divided among its ranks. */
static uint32_t rank_cpu_threads(void)
{
    long online = sysconf(_SC_NPROCESSORS_ONLN), local = (long)dist_local_size();
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        long bound = CPU_COUNT(&set);
        if (bound > 0 && bound < online) return (uint32_t)bound;
    }
    return online > local ? (uint32_t)(online / local) : 1;
}

/* Under MPI with several ranks, this rank's one device. L = its rank on
 * this machine. --devices LIST|all: entry L % n of the list. Otherwise
 * --device/--cpu/VKCALIB_DEVICE as given, else the default rule; but where
 * the machine has several GPUs of the default's type, rank L takes the
 * (L % count)-th of them. CPU backend threads: rank_cpu_threads. */
static vkc_context *open_rank_device(const calib_options *o)
{
    const uint32_t L = dist_local_rank(), local = dist_local_size();
    cli_device_opts d = o->dev;
    d.cpu_threads = rank_cpu_threads();
    char sel[MAX_DEVICES][64], pick[64];
    const char *env = getenv("VKCALIB_DEVICE");
    if (o->devices) {
        int n = device_selectors(o->devices, sel, MAX_DEVICES);
        if (n == 0) return NULL;
        snprintf(pick, sizeof pick, "%s", sel[L % (uint32_t)n]);
        d.device = pick;
        d.cpu = !strcmp(pick, "cpu");
    } else if (!d.device && !d.cpu && !(env && *env)) {
        vkc_device_caps caps[MAX_DEVICES];
        uint32_t count = MAX_DEVICES, same[MAX_DEVICES], m = 0;
        vkc_msg msg = {{0}};
        if (vkc_enumerate_devices(caps, &count, &msg) == VKC_OK) {
            for (uint32_t k = 0; k < count; k++)
                if (caps[k].is_default)
                    for (uint32_t j = 0; j < count; j++)
                        if (caps[j].type == caps[k].type) same[m++] = caps[j].index;
            if (m > 1) {
                snprintf(pick, sizeof pick, "%u", same[L % m]);
                d.device = pick;
            }
        }
    }
    vkc_context *ctx = cli_open_context(&d, o->quiet);
    if (ctx && o->verbose) {
        char threads[32] = "";
        if (vkc_context_is_cpu(ctx))
            snprintf(threads, sizeof threads, ", %u thread%s", d.cpu_threads, d.cpu_threads == 1 ? "" : "s");
        fprintf(stderr, "vkcalib: rank %u of %u (local rank %u of %u): device %s%s\n", dist_rank(), dist_size(), L,
                local, vkc_context_device_name(ctx), threads);
    }
    return ctx;
}

/* Every rank scans; rank 0's errors speak for all (the same files give the
 * same errors), unless rank 0 succeeded: then a rank that failed scans again
 * to say why. Then the ranks check they found the same set. */
static int scan_agreed(dataset *ds, char **inputs, int ninputs, int allow_missing)
{
    int mine, root_ok;
    cli_mute_errors(dist_rank() != 0);
    mine = dataset_scan(ds, inputs, ninputs, allow_missing);
    cli_mute_errors(0);
    int ok = dist_agree(mine, &root_ok);
    if (!mine && root_ok) {
        dataset_free(ds);
        dataset_scan(ds, inputs, ninputs, allow_missing);
    }
    if (ok && !dist_same(dataset_fingerprint(ds))) {
        if (dist_rank() == 0)
            cli_error("the MPI ranks found different calibration sets in the inputs (each rank must see the same "
                      "files under the same paths)");
        ok = 0;
    }
    return ok;
}

static int calibrate(int argc, char **argv)
{
    calib_options o;
    char **inputs = NULL;
    int ninputs = 0;
    int rc = parse_args(argc, argv, &o, &inputs, &ninputs);
    if (rc) {
        free(inputs);
        return rc < 0 ? 0 : rc;
    }
    /* Several MPI ranks: every rank parsed the same arguments, so usage
     * errors are the same everywhere and need no agreement. */
    const uint32_t rank = dist_rank(), nranks = dist_size();
    if (nranks > 1 && (o.from_state || o.streaming)) {
        if (rank == 0)
            cli_error("under MPI (%u processes) calibrate works on the data in exact mode: --from-state and "
                      "--range streaming run in one process",
                      nranks);
        free(inputs);
        return 2;
    }
    if (rank != 0) o.quiet = 1; /* rank 0 prints progress, warnings and the summary */
    /* From here on, every rank makes the same dist_agree calls. */
    int ok = dist_agree(rank != 0 || calib_check_output(o.out), NULL);
    dataset ds;
    memset(&ds, 0, sizeof ds);
    tensor_state *ts = NULL;
    vkc_context *ctx = NULL, *extra[MAX_DEVICES];
    int nextra = 0;
    if (ok && o.from_state) {
        ok = calib_from_state(o.from_state, &ds, &ts, &o);
        if (ok && g_check_model) ok = onnx_cli_check_dataset(g_check_model, &ds, o.quiet);
        ctx = ok ? cli_open_context(&o.dev, o.quiet) : NULL;
        ok = ok && ctx && search_all(ctx, &ds, ts, &o);
    } else if (ok) {
        ok = scan_agreed(&ds, inputs, ninputs, o.allow_missing);
        if (ok && g_check_model) ok = dist_agree(onnx_cli_check_dataset(g_check_model, &ds, o.quiet), NULL);
        if (ok && nranks > 1) {
            ctx = open_rank_device(&o);
            ok = ctx != NULL;
        } else if (ok && o.devices) {
            nextra = open_devices(o.devices, &o, extra, MAX_DEVICES);
            ok = nextra > 0;
            ctx = ok ? extra[0] : NULL;
        } else if (ok) {
            ctx = cli_open_context(&o.dev, o.quiet);
            ok = ctx != NULL;
        }
        ts = ok ? calloc(ds.ntensors, sizeof *ts) : NULL;
        if (ok && !ts) cli_error("out of memory");
        ok = dist_agree(ok && ts, NULL);
        if (ok && !o.quiet) {
            fprintf(stderr, "vkcalib: %u tensor%s, %u file%s, %.1f MB\n", ds.ntensors, ds.ntensors == 1 ? "" : "s",
                    total_files(&ds), total_files(&ds) == 1 ? "" : "s", ds.bytes / 1e6);
            if (nranks > 1)
                fprintf(stderr, "vkcalib: %u MPI processes share the batches; progress is rank 0's share%s\n",
                        nranks, o.measure ? " (--measure: rank 0 alone, over every batch)" : "");
        }
        if (ok && nranks > 1) ok = calib_run_shares(&ctx, 1, &ds, ts, &o); /* one device per rank */
        else if (ok && nextra > 1) ok = calib_run_devices(extra, (uint32_t)nextra, &ds, ts, &o);
        else if (ok) ok = calib_run(ctx, &ds, ts, &o);
    }
    free(inputs);
    /* Rank 0 writes; the others wait for its word, so that all exit alike. */
    vkc_buf out = {0};
    if (rank == 0) {
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
            fprintf(stderr, "vkcalib: wrote %s (%s, %u tensor%s)\n", o.out,
                    o.format == 0 ? "TensorRT cache" : "JSON", ds.ntensors, ds.ntensors == 1 ? "" : "s");
        }
    }
    ok = dist_agree(ok, NULL);
    vkc_buf_free(&out);
    calib_free(ts, ts ? ds.ntensors : 0);
    dataset_free(&ds);
    if (nextra)
        for (int k = 0; k < nextra; k++) cli_close_context(extra[k]);
    else
        cli_close_context(ctx);
    return ok ? 0 : 1;
}

/* MPI, when a launcher started us, lives exactly as long as the command. */
int cmd_calibrate(int argc, char **argv)
{
    if (!dist_init()) return 1;
    int rc = calibrate(argc, argv);
    dist_finalize();
    return rc;
}
