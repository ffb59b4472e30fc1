/* vkcalib search: a threshold search on a histogram the user brings. */
#include "calib.h"
#include "cli.h"
#include "options.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const kHelp =
    "Usage: vkcalib search --counts FILE --range-max A [options]\n"
    "\n"
    "Chooses a clipping threshold for a histogram of |x| that you already have\n"
    "(from PyTorch, ONNX Runtime, your own tool...): bin j counts the values in\n"
    "[j*A/N, (j+1)*A/N), N = number of bins, A = --range-max.\n"
    "\n"
    "  --counts FILE     one integer count per line ('#' starts a comment; blank\n"
    "                    lines are skipped), or a .npy of counts: u1, i4, i8, u8,\n"
    "                    or float with whole values (torch.histc returns floats)\n"
    "  --range-max A     upper edge of the last bin (the tensor's absmax)\n"
    "  --range-min L     with --mode asymmetric: the counts are a histogram of x\n"
    "                    (not |x|) over [L, A]; entropy searches every window of\n"
    "                    bins holding 0 (L <= 0 <= A), mse every window\n"
    "  --method M        entropy (default; TensorRT's KL calibration), percentile,\n"
    "                    mse, max\n"
    "  --mode M          symmetric (default; int8, 128 levels), unsigned (uint8,\n"
    "                    256 levels: for tensors that are never negative), or\n"
    "                    asymmetric (a [lo, hi] window with a zero point)\n"
    "  --flavor F        modelopt (default; threshold = bin edge i, as NVIDIA's\n"
    "                    reference) or tensorrt (threshold = (i + 0.5) * width);\n"
    "                    the other tools' flavours need the tensors (calibrate)\n"
    "  --start-bin S     first candidate bin (default 128)\n"
    "  --percentile P    for --method percentile (default 99.99, at most 4 decimals)\n"
    "  --json            print one JSON object\n" CLI_DEVICE_HELP
    "\n"
    "Entropy: for each candidate i from S to N, the bins past i are folded into bin\n"
    "i-1 (P), the first i bins are merged into 128 levels (Q), and the i whose Q is\n"
    "closest to P by KL divergence wins; on ties the largest i. The GPU evaluates all\n"
    "candidates at once in float32; candidates it cannot rule out are re-evaluated in\n"
    "double, so the answer equals NVIDIA's reference on every device.\n";

/* Text counts: one unsigned integer per non-blank, non-comment line. */
static int read_text_counts(const char *path, uint64_t **out, uint32_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_error("%s: %s", path, strerror(errno));
        return 0;
    }
    size_t cap = 1024, len = 0;
    uint64_t *c = malloc(cap * sizeof *c);
    char line[512];
    unsigned lineno = 0;
    int ok = c != NULL;
    while (ok && fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            cli_error("%s:%u: line too long", path, lineno);
            ok = 0;
            break;
        }
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char *p = line;
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
        if (!*p) continue;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n') end++;
        if (*p == '-' || *p == '+' || errno || *end) {
            cli_error("%s:%u: expected one non-negative integer count, got '%.40s'", path, lineno, p);
            ok = 0;
            break;
        }
        if (len == cap) {
            uint64_t *g = realloc(c, (cap *= 2) * sizeof *c);
            if (!g) { ok = 0; cli_error("out of memory"); break; }
            c = g;
        }
        c[len++] = v;
        if (len > CLI_MAX_BINS) {
            cli_error("%s: more than %u bins", path, CLI_MAX_BINS);
            ok = 0;
        }
    }
    if (ok && ferror(f)) {
        cli_error("%s: read error", path);
        ok = 0;
    }
    fclose(f);
    if (ok && len == 0) {
        cli_error("%s: no counts found", path);
        ok = 0;
    }
    if (!ok) {
        free(c);
        return 0;
    }
    *out = c;
    *n = (uint32_t)len;
    return 1;
}

static int read_npy_counts(const char *path, uint64_t **out, uint32_t *n)
{
    vkc_source *src = NULL;
    vkc_msg msg = {{0}};
    if (vkc_source_open_npy(path, &src, &msg) != VKC_OK) {
        cli_error("%s", msg.text);
        return 0;
    }
    uint64_t total = vkc_source_count(src), have = 0, got = 0;
    if (total == 0 || total > CLI_MAX_BINS) {
        cli_error("%s: %llu counts; expected 1..%u bins", path, (unsigned long long)total, CLI_MAX_BINS);
        vkc_source_close(src);
        return 0;
    }
    uint64_t *c = malloc(total * sizeof *c);
    vkc_status s = c ? VKC_OK : VKC_ERROR_OUT_OF_MEMORY;
    while (s == VKC_OK && have < total) {
        s = vkc_source_read_u64(src, c + have, total - have, &got, &msg);
        if (s == VKC_OK && got == 0) break;
        have += got;
    }
    vkc_source_close(src);
    if (s != VKC_OK || have != total) {
        cli_error("%s", s == VKC_OK ? "short read" : msg.text);
        free(c);
        return 0;
    }
    *out = c;
    *n = (uint32_t)total;
    return 1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int cmd_search(int argc, char **argv)
{
    const char *counts_path = NULL;
    double range_max = -1, range_min = NAN;
    int json = 0;
    calib_options o;
    calib_options_init(&o);
    const unsigned shared = CLI_OPT_METHOD | CLI_OPT_MODE | CLI_OPT_FLAVOR | CLI_OPT_START_BIN | CLI_OPT_PERCENTILE |
                            CLI_OPT_DEVICE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = cli_option(argc, argv, &i, shared, &o, "search");
        if (r < 0) return 2;
        if (r) continue;
        if (cli_is_help(a)) {
            fputs(kHelp, stdout);
            return 0;
        }
        int has = i + 1 < argc;
        const char *v = has ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0) {
            json = 1;
            continue;
        }
        if (!has || a[0] != '-') {
            cli_error("search: unexpected argument or missing value: %s (see --help)", a);
            return 2;
        }
        i++;
        if (strcmp(a, "--counts") == 0) counts_path = v;
        else if (strcmp(a, "--range-min") == 0) {
            if (!cli_parse_double(v, &range_min) || !isfinite(range_min)) {
                cli_error("--range-min: expected a finite number, got %s", v);
                return 2;
            }
        } else if (strcmp(a, "--range-max") == 0) {
            if (!cli_parse_double(v, &range_max) || !(range_max >= 0) || range_max > 3.5e38) {
                cli_error("--range-max: expected a finite number >= 0, got %s", v);
                return 2;
            }
        } else {
            cli_error("search: unknown option %s (see --help)", a);
            return 2;
        }
    }
    if (o.ci.mode == VKC_MODE_AUTO) {
        cli_error("--mode: symmetric, unsigned (histograms of |x|) or asymmetric (of x), not auto");
        return 2;
    }
    if (o.ci.flavor > VKC_FLAVOR_TENSORRT) {
        /* a tool's flavour bins with its own edges (and Paddle needs min |x|,
         * ncnn-ACIQ the image size): a histogram from elsewhere is not its */
        cli_error("search: --flavor %s needs the tensors themselves: vkcalib calibrate DIR --flavor %s (or "
                  "vkcalib compare DIR)", vkc_flavor_name(o.ci.flavor), vkc_flavor_name(o.ci.flavor));
        return 2;
    }
    if (!calib_check_settings(&o, "search", 0)) return 2; /* the bin count: once the counts are read */
    vkc_search_params sp = {0};
    sp.method = o.ci.method;
    sp.mode = o.ci.mode;
    sp.flavor = o.ci.flavor;
    sp.start_bin = o.ci.start_bin;
    sp.percentile = o.ci.percentile;
    cli_device_opts dev = o.dev;
    if (!counts_path || range_max < 0) {
        cli_error("search: --counts FILE and --range-max A are required (see --help)");
        return 2;
    }
    int asym = sp.mode == VKC_MODE_ASYMMETRIC;
    if (asym != !isnan(range_min) || (asym && !(range_min < range_max))) {
        cli_error("search: --mode asymmetric takes a histogram of x over [--range-min, --range-max], min < max; "
                  "the other modes a histogram of |x| over [0, --range-max]");
        return 2;
    }
    if (asym && sp.method == VKC_METHOD_ENTROPY && (range_min > 0 || range_max < 0)) {
        cli_error("search: asymmetric entropy searches windows holding 0: the histogram's range [%g, %g] must "
                  "contain it (bin x over [min(min, 0), max(max, 0)])",
                  range_min, range_max);
        return 2;
    }
    if (asym && sp.method == VKC_METHOD_PERCENTILE) {
        cli_error("search: --mode asymmetric supports --method entropy, mse or max");
        return 2;
    }
    uint64_t *counts = NULL;
    uint32_t bins = 0;
    if (!(ends_with(counts_path, ".npy") ? read_npy_counts(counts_path, &counts, &bins)
                                         : read_text_counts(counts_path, &counts, &bins)))
        return 1;
    vkc_context *ctx = cli_open_context(&dev, 1);
    if (!ctx) {
        free(counts);
        return 1;
    }
    const uint32_t first = o.ci.start_bin ? o.ci.start_bin : 128;
    if ((sp.method == VKC_METHOD_ENTROPY || sp.method == VKC_METHOD_MSE) && bins < first) {
        cli_error("%s: %u bins, below the first candidate bin %u (--start-bin): no candidate to search", counts_path,
                  bins, first);
        free(counts);
        cli_close_context(ctx);
        return 2;
    }
    vkc_histogram h = {counts, bins, range_max, asym ? VKC_HIST_SIGNED : VKC_HIST_ABS, asym ? range_min : 0.0};
    vkc_search_result res = {0};
    vkc_msg msg = {{0}};
    int rc = 0;
    if (vkc_search(ctx, &h, 1, &sp, &res) != VKC_OK) {
        cli_error("%s: %s", counts_path, vkc_context_error(ctx));
        rc = 1;
    }
    vkc_qparams q;
    if (rc == 0 && vkc_qparams_from_range(sp.mode, res.lo, res.hi, &q, &msg) != VKC_OK) {
        cli_error("%s: %s", counts_path, msg.text);
        rc = 1;
    }
    vkc_jw *jw = rc == 0 && json ? vkc_jw_create() : NULL;
    if (rc == 0 && json && !jw) {
        cli_error("out of memory");
        rc = 1;
    }
    if (rc == 0 && json) {
        vkc_jw_begin_object(jw);
        vkc_jw_kv_string(jw, "method", vkc_method_name(sp.method));
        vkc_jw_kv_string(jw, "mode", vkc_mode_name(sp.mode));
        vkc_jw_kv_string(jw, "flavor", vkc_flavor_name(sp.flavor));
        vkc_jw_kv_uint(jw, "bins", bins);
        vkc_jw_kv_double(jw, "range_max", range_max);
        if (asym) vkc_jw_kv_double(jw, "range_min", range_min);
        vkc_jw_kv_uint(jw, "i", res.i);
        if (asym) {
            vkc_jw_kv_uint(jw, "window_a", res.window_a);
            vkc_jw_kv_uint(jw, "window_b", res.window_b);
        }
        vkc_jw_kv_double(jw, "threshold", res.threshold);
        if (sp.method == VKC_METHOD_ENTROPY) vkc_jw_kv_double(jw, "kl", res.kl);
        if (sp.method == VKC_METHOD_MSE) vkc_jw_kv_double(jw, "mse", res.kl);
        vkc_jw_kv_uint(jw, "candidates", res.candidates);
        vkc_jw_kv_uint(jw, "inf_candidates", res.inf_candidates);
        vkc_jw_kv_bool(jw, "fallback", res.fallback);
        vkc_jw_kv_string(jw, "message", res.message[0] ? res.message : NULL);
        vkc_jw_kv_double(jw, "lo", q.lo);
        vkc_jw_kv_double(jw, "hi", q.hi);
        vkc_jw_kv_double(jw, "scale", q.scale);
        vkc_jw_kv_int(jw, "zero_point", q.zero_point);
        vkc_jw_kv_string(jw, "int_type", q.is_unsigned ? "uint8" : "int8");
        vkc_jw_kv_string(jw, "device", vkc_context_device_name(ctx));
        vkc_jw_end_object(jw);
        const char *text;
        size_t len;
        if (vkc_jw_finish(jw, &text, &len, &msg) != VKC_OK) {
            cli_error("%s", msg.text);
            rc = 1;
        } else {
            fwrite(text, 1, len, stdout);
            fputc('\n', stdout);
        }
    } else if (rc == 0) {
        printf("%s, %s, %s: %u bins over [%g, %g]\n", vkc_method_name(sp.method), vkc_mode_name(sp.mode),
               vkc_flavor_name(sp.flavor), bins, asym ? range_min : 0.0, range_max);
        if (asym) printf("  chosen window: bins %u..%u", res.window_a, res.window_b);
        else printf("  chosen i = %u, threshold = %.9g", res.i, res.threshold);
        if (sp.method == VKC_METHOD_ENTROPY) printf(", KL = %.6g", res.kl);
        printf("\n  range [%.9g, %.9g], scale %.9g, zero point %d, %s\n", q.lo, q.hi, q.scale, q.zero_point,
               q.is_unsigned ? "uint8" : "int8");
        if (sp.method == VKC_METHOD_ENTROPY)
            printf("  %llu candidates, %llu with infinite divergence, %llu re-evaluated in double (%s)\n",
                   (unsigned long long)res.candidates, (unsigned long long)res.inf_candidates,
                   (unsigned long long)res.reevaluated, vkc_context_device_name(ctx));
        if (res.fallback) printf("  fallback: %s\n", res.message);
    }
    vkc_jw_destroy(jw);
    cli_close_context(ctx);
    free(counts);
    return rc;
}
