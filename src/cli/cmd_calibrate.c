/* vkcalib calibrate: activation dumps -> TensorRT calibration cache or JSON. */
/* sched_getaffinity and CPU_COUNT are GNU. */
#define _GNU_SOURCE
#include "calib.h"
#include "cli.h"
#include "dataset.h"
#include "dist.h"
#include "onnx_cli.h"
#include "options.h"
#include "summary.h"

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
    "                        entropy searches every window of the histogram of x\n"
    "                        that holds 0, which on a never-negative tensor is the\n"
    "                        unsigned search itself; mse every window)\n"
    "  --flavor F            whose entropy: modelopt (default; NVIDIA's reference,\n"
    "                        threshold = bin edge), tensorrt (bin centre, as\n"
    "                        TensorRT's caches show), or another tool's, exactly\n"
    "                        as that tool computes it (its histogram, bins,\n"
    "                        levels, arithmetic): mxnet, mxnet-uint8, mxnet-1.5,\n"
    "                        mxnet-1.5-uint8, tvm, onnxruntime, onnxruntime-2048,\n"
    "                        onnxruntime-8001, ncnn, ncnn-aciq, mnn, paddle, ppq.\n"
    "                        A tool's flavour takes its own bin count unless\n"
    "                        --bins is given; `vkcalib compare` runs them all\n"
    "  --layout nchw|nhwc    which dimensions are H and W (flavour mnn; default nchw)\n"
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
    "                        in the summary, to compare methods and modes\n"    "Per tensor (GLOB: shell wildcards over tensor names, e.g. '*Softmax*'):\n"
    "  --override GLOB=METHOD[:MODE]  another method (and mode) for the matching\n"
    "                        tensors; repeatable, the last match wins\n"
    "  --overrides FILE      rules from a file, one per line: GLOB=METHOD[:MODE],\n"
    "                        `include GLOB` or `exclude GLOB`; '#' comments\n"
    "  --include GLOB        calibrate only the matching tensors (repeatable)\n"
    "  --exclude GLOB        leave the matching tensors out (repeatable)\n"
    "                        Tensors left out (excluded, not floating point) are\n"
    "                        listed in the summary, not an error\n"
    "Quality guards (from the histograms: no extra pass; the summary names the\n"
    "tensor, the numbers and the better method, the JSON flags it):\n"
    "  --max-clipped PCT     flag a range that clips more than PCT% of a tensor's\n"
    "                        values (default 1)\n"
    "  --max-sqnr-gap DB     flag a range whose estimated SQNR is more than DB\n"
    "                        below another method's (default 6: one bit)\n"
    "  --guard-methods LIST  the methods compared (default max,percentile; max\n"
    "                        alone for asymmetric; entropy and mse cost a search)\n"
    "  --no-guards           no guards\n"
    "  --strict              flagged tensors and tensors left out are errors (exit\n"
    "                        1, nothing written)\n"
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
    "  --memory-budget SIZE  host memory for input buffers and, for a set of\n"
    "                        deflated .npz, for keeping it so that it is inflated\n"
    "                        once (default 1G; K/M/G suffix; the two read buffers,\n"
    "                        up to 256 MiB each, come first)\n"
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



static int parse_args(int argc, char **argv, calib_options *o, char ***inputs, int *ninputs)
{
    calib_options_init(o);
    *inputs = malloc((size_t)argc * sizeof **inputs);
    *ninputs = 0;
    if (!*inputs) return 1;
    const unsigned shared = CLI_OPT_METHOD | CLI_OPT_MODE | CLI_OPT_FLAVOR | CLI_OPT_BINS | CLI_OPT_START_BIN |
                            CLI_OPT_PERCENTILE | CLI_OPT_NONFINITE | CLI_OPT_MISSING | CLI_OPT_BUDGET |
                            CLI_OPT_QUIET | CLI_OPT_VERBOSE | CLI_OPT_DEVICE | CLI_OPT_GUARDS | CLI_OPT_SELECT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int sr = cli_option(argc, argv, &i, shared, o, "calibrate");
        if (sr < 0) return 2;
        if (sr) continue;
        if (cli_is_help(a)) {
            fputs(kHelp, stdout);
            return -1;
        }
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            (*inputs)[(*ninputs)++] = argv[i];
            continue;
        }
        if (!strcmp(a, "--envelope")) { o->wi.envelope = 1; continue; }
        if (!strcmp(a, "--measure")) { o->ci.measure = 1; continue; }
        if (!strcmp(a, "--histograms")) { o->wi.histograms = 1; continue; }
        if (i + 1 >= argc) {
            cli_error("calibrate: %s needs a value (see --help)", a);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) o->out = v;
        else if (!strcmp(a, "--format")) {
            if (!strcmp(v, "trt")) o->format = 0;
            else if (!strcmp(v, "json")) o->format = 1;
            else { cli_error("--format: trt or json, not %s", v); return 2; }
        } else if (!strcmp(a, "--trt-version")) {
            if (!vkc_trt_version_parse(v, &o->wi.trt_version)) { cli_error("--trt-version: expected like 8.6.1, 10.3.0 or 8601, got %s", v); return 2; }
        } else if (!strcmp(a, "--trt-algo")) o->wi.trt_algo = v;
        else if (!strcmp(a, "--from-state")) o->from_state = v;
        else if (!strcmp(a, "--model")) o->model = v;
        else if (!strcmp(a, "--devices")) o->devices = v;
        else if (!strcmp(a, "--layout")) {
            if (!strcmp(v, "nchw")) o->ci.layout = VKC_LAYOUT_NCHW;
            else if (!strcmp(v, "nhwc")) o->ci.layout = VKC_LAYOUT_NHWC;
            else { cli_error("--layout: nchw or nhwc, not %s", v); return 2; }
        }
        else if (!strcmp(a, "--range")) {
            if (!strcmp(v, "exact")) o->ci.range = VKC_RANGE_EXACT;
            else if (!strcmp(v, "streaming")) o->ci.range = VKC_RANGE_STREAMING;
            else { cli_error("--range: exact or streaming, not %s", v); return 2; }
        } else {
            cli_error("calibrate: unknown option %s (see --help)", a);
            return 2;
        }
    }
    if ((*ninputs == 0) == !o->from_state || !o->out) {
        cli_error("calibrate: give INPUT... (or --from-state FILE) and -o OUT (see --help)");
        return 2;
    }
    if (!calib_check_settings(o, "calibrate", !o->from_state)) return 2;
    const int streaming = o->ci.range == VKC_RANGE_STREAMING;
    if (o->from_state && o->ci.measure) {
        cli_error("--measure needs the data: it cannot run from a state file");
        return 2;
    }
    if (o->format < 0 && !strcmp(o->out, "-")) {
        cli_error("-o -: standard output has no extension: add --format trt or --format json");
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
    if (o->format == 0 && o->wi.trt_algo && !vkc_trt_algo_known(o->wi.trt_algo)) {
        cli_error("--trt-algo %s: TensorRT reuses a cache only under one of its calibrators' names: "
                  "EntropyCalibration2 (default), EntropyCalibration, MinMaxCalibration, LegacyCalibration",
                  o->wi.trt_algo);
        return 2;
    }
    if (o->format == 0 && o->ci.mode == VKC_MODE_AUTO) {
        /* A cache holds symmetric ranges: auto's unsigned thresholds, written
         * as their envelope, are not what the symmetric search chooses. */
        if (!o->quiet)
            cli_warn("a TensorRT cache holds symmetric ranges: --mode auto is symmetric for every tensor here (write "
                     "JSON for unsigned ranges)");
        o->ci.mode = VKC_MODE_SYMMETRIC;
    }
    for (uint32_t k = 0; o->format == 0 && !o->wi.envelope && k < o->rules.nov; k++)
        if (o->rules.ov[k].has_mode && o->rules.ov[k].mode != VKC_MODE_SYMMETRIC) {
            cli_error("--override '%s': a TensorRT cache holds symmetric ranges only; write JSON, or add --envelope "
                      "to write the symmetric envelope of %s ranges",
                      o->rules.ov[k].glob, vkc_mode_name(o->rules.ov[k].mode));
            return 2;
        }
    for (uint32_t k = 0; o->rules.ov && k < o->rules.nov; k++) {
        const int asym = o->rules.ov[k].has_mode ? o->rules.ov[k].mode == VKC_MODE_ASYMMETRIC
                                                 : o->ci.mode == VKC_MODE_ASYMMETRIC;
        if (asym && o->ci.range == VKC_RANGE_STREAMING) {
            cli_error("--override '%s': --range streaming builds histograms of |x|: mode asymmetric needs the exact "
                      "range",
                      o->rules.ov[k].glob);
            return 2;
        }
        if (asym && o->rules.ov[k].method == VKC_METHOD_PERCENTILE) {
            cli_error("--override '%s': mode asymmetric supports entropy, mse or max", o->rules.ov[k].glob);
            return 2;
        }
        if (o->rules.ov[k].method == VKC_METHOD_ENTROPY && o->ci.start_bin && o->ci.start_bin < 128) {
            cli_error("--override '%s': --start-bin %u is below the 128 levels entropy needs", o->rules.ov[k].glob,
                      o->ci.start_bin);
            return 2;
        }
    }
    if (o->format == 0 && o->ci.mode != VKC_MODE_SYMMETRIC && !o->wi.envelope) {
        cli_error("a TensorRT cache holds symmetric ranges only; use --mode symmetric, --format json, or "
                  "--envelope to write the symmetric envelope of %s ranges", vkc_mode_name(o->ci.mode));
        return 2;
    }
    if (o->devices && (o->dev.device || o->dev.cpu || o->from_state || streaming)) {
        cli_error("--devices replaces --device/--cpu, and works on data in exact mode");
        return 2;
    }
    if (streaming && (o->from_state || o->ci.mode == VKC_MODE_ASYMMETRIC)) {
        cli_error("--range streaming works on the data with |x| histograms (not with --from-state or --mode "
                  "asymmetric)");
        return 2;
    }
    if (o->wi.histograms && o->format != 1) {
        cli_error("--histograms needs JSON output (-o FILE.json or --format json)");
        return 2;
    }
    if (o->ci.mode == VKC_MODE_ASYMMETRIC && o->ci.method == VKC_METHOD_PERCENTILE) {
        cli_error("--mode asymmetric supports --method entropy, mse or max");
        return 2;
    }
    if (o->from_state && o->ci.mode == VKC_MODE_ASYMMETRIC && o->ci.method != VKC_METHOD_MAX) {
        cli_error("--from-state holds histograms of |x|: two-sided searches need the data (--mode asymmetric)");
        return 2;
    }
    return 0;
}

/* Writes the output: the format the options chose, atomically. */
static int write_output(const vkc_calibration *cal, const calib_options *o)
{
    vkc_msg msg = {{0}};
    const vkc_format fmt = o->format == 0 ? VKC_FORMAT_TRT_CACHE : VKC_FORMAT_JSON;
    if (!strcmp(o->out, "-")) {
        /* Standard output: the whole text first, so that an error writes none. */
        char *text = NULL;
        size_t len = 0;
        if (vkc_calibration_format(cal, fmt, &o->wi, &text, &len, &msg) != VKC_OK) {
            cli_error("%s", msg.text);
            return 0;
        }
        int ok = fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0;
        vkc_free(text);
        if (!ok) cli_error("writing to standard output failed");
        return ok;
    }
    if (vkc_calibration_write(cal, o->out, fmt, &o->wi, &msg) != VKC_OK) {
        cli_error("%s", msg.text);
        return 0;
    }
    uint32_t floored = 0;
    for (uint32_t t = 0; t < vkc_calibration_count(cal); t++) floored += vkc_calibration_tensor(cal, t)->floored != 0;
    if (o->format == 0 && floored && !o->quiet)
        cli_warn("%u all-zero tensor(s) written with the minimum amax %g", floored, VKC_AMAX_FLOOR);
    return 1;
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
        memset(caps, 0, sizeof caps);
        if (vkc_enumerate_devices(caps, &count, &msg) >= VKC_OK)
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
        memset(caps, 0, sizeof caps);
        if (vkc_enumerate_devices(caps, &count, &msg) >= VKC_OK) {
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
    const int streaming = o.ci.range == VKC_RANGE_STREAMING;
    if (nranks > 1 && (o.from_state || streaming)) {
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
    vkc_calibrator *cal = NULL;
    vkc_context *ctx = NULL, *extra[MAX_DEVICES];
    int nextra = 0;
    if (ok && o.from_state) {
        char *state[1] = {(char *)o.from_state};
        ok = calib_check_not_input(o.out, NULL, state, 1);
    }
    if (ok && o.from_state) {
        ctx = cli_open_context(&o.dev, o.quiet);
        cal = ctx ? calib_from_state(ctx, o.from_state, &o) : NULL;
        ok = cal != NULL && (!o.model || onnx_cli_check_calibrator(o.model, cal, o.quiet));
    } else if (ok) {
        ok = scan_agreed(&ds, inputs, ninputs, o.allow_missing);
        /* Everything that can be checked before the data is read (B9). */
        if (ok) {
            cli_mute_errors(rank != 0);
            ok = calib_select(&ds, &o) && calib_check_names(&ds, o.format == 0) &&
                 calib_check_not_input(o.out, &ds, inputs, ninputs);
            cli_mute_errors(0);
            ok = dist_agree(ok, NULL);
        }
        if (ok && o.model) ok = dist_agree(onnx_cli_check_dataset(o.model, &ds, o.quiet), NULL);
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
        ok = dist_agree(ok, NULL);
        if (ok && !o.quiet) {
            fprintf(stderr, "vkcalib: %u tensor%s, %u file%s, %.1f MB\n", ds.ntensors, ds.ntensors == 1 ? "" : "s",
                    total_files(&ds), total_files(&ds) == 1 ? "" : "s", ds.bytes / 1e6);
            if (nranks > 1)
                fprintf(stderr, "vkcalib: %u MPI processes share the batches; progress is rank 0's share%s\n",
                        nranks, o.ci.measure ? " (--measure: rank 0 alone, over every batch)" : "");
        }
        if (ok && nranks > 1) {
            ok = calib_run_shares(&ctx, 1, &ds, &o, &cal); /* one device per rank */
        } else if (ok && nextra > 1 && !streaming) {
            ok = calib_run_shares(extra, (uint32_t)nextra, &ds, &o, &cal);
        } else if (ok) {
            /* Keeping a copy costs a memcpy and fresh pages; reading a file
             * again from the page cache costs less (measured: 0.39 s against
             * 0.19 s for a 400 MB .npy set), inflating it again more (1.16 s
             * against 1.68 s for 420 MB deflated): keep sets with deflated
             * members. */
            o.read_once = dataset_deflated_bytes(&ds) > 0;
            cal = calib_create(ctx, &ds, &o);
            ok = cal && calib_run(cal, ctx, &ds, &o);
        }
    }
    free(inputs);
    /* Rank 0 writes; the others wait for its word, so that all exit alike. */
    if (rank == 0) {
        const vkc_calibration *res = ok ? vkc_calibrator_results(cal) : NULL;
        ok = ok && calib_strict_ok(res, &o) && write_output(res, &o);
        if (ok && !o.quiet) {
            calib_print_summary(strcmp(o.out, "-") ? stdout : stderr, res, &o);
            fprintf(stderr, "vkcalib: wrote %s (%s, %u tensor%s)\n", strcmp(o.out, "-") ? o.out : "standard output",
                    o.format == 0 ? "TensorRT cache" : "JSON", vkc_calibration_count(res),
                    vkc_calibration_count(res) == 1 ? "" : "s");
        }
    }
    ok = dist_agree(ok, NULL);
    vkc_calibrator_destroy(cal);
    dataset_free(&ds);
    calib_options_free(&o);
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
