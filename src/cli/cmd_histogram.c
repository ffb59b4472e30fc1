/* vkcalib histogram: the range pass and the histogram pass on one tensor. */
#include "calib.h"
#include "cli.h"
#include "options.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const kHelp =
    "Usage: vkcalib histogram (FILE.npy | FILE.npz [--tensor NAME] |\n"
    "                          --raw FILE --count N | --generate KIND) [options]\n"
    "\n"
    "Runs the two data passes of a calibration on one tensor and prints what they\n"
    "found: the range pass (min, max, absmax, zeros, NaN/Inf) and the histogram of\n"
    "|x| over [0, absmax] (or of x over [min, max] with --signed).\n"
    "\n"
    "Input:\n"
    "  FILE.npy         float32/float16/float64 .npy\n"
    "  FILE.npz         one member of a batch: --tensor NAME (the only one when\n"
    "                   the archive holds one)\n"
    "  --raw FILE       raw little-endian float32; needs --count\n"
    "  --generate KIND  a synthetic tensor: relu (half exact zeros, the rest\n"
    "                   half-normal), normal, heavy (Student-t like, far\n"
    "                   outliers), uniform\n"
    "  --count N        elements to generate (default 1048576, at most 2^34) or to\n"
    "                   read with --raw\n"
    "  --seed S         generator seed (default 1)\n"
    "Options:\n"
    "  --bins N         histogram bins (default 2048)\n"
    "  --signed         histogram of x over [min, max] instead of |x|\n"
    "  --json           print one JSON object (stats and all counts)\n" CLI_DEVICE_HELP;

/* splitmix64: a fixed generator so generated tensors are the same everywhere. */
static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double uniform01(uint64_t *s)
{
    return ((double)(next_u64(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double normal(uint64_t *s)
{
    return sqrt(-2.0 * log(uniform01(s))) * cos(6.283185307179586 * uniform01(s));
}

static int generate(const char *kind, float *x, uint64_t n, uint64_t seed)
{
    uint64_t s = seed;
    for (uint64_t i = 0; i < n; i++) {
        double v;
        if (strcmp(kind, "relu") == 0) {
            v = normal(&s);
            v = v > 0 ? v : 0;
        } else if (strcmp(kind, "normal") == 0) {
            v = normal(&s);
        } else if (strcmp(kind, "heavy") == 0) {
            /* Normal over the square root of a scaled chi-square-ish draw:
             * a t-like tail with occasional extreme outliers. */
            double u = uniform01(&s);
            v = normal(&s) / sqrt(u * u * 4.0 + 1e-6);
        } else if (strcmp(kind, "uniform") == 0) {
            v = uniform01(&s) * 2.0 - 1.0;
        } else {
            return 0;
        }
        x[i] = (float)v;
    }
    return 1;
}

/* The most values histogram holds in memory: 64 GiB of float32. */
#define MAX_VALUES (1ull << 34)

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* A member of an .npz: the one named, or the only one. */
static vkc_status open_member(const char *path, const char *tensor, vkc_source **src, vkc_msg *msg)
{
    vkc_npz *z = NULL;
    vkc_status s = vkc_npz_open(path, &z, msg);
    if (s != VKC_OK) return s;
    uint32_t k = UINT32_MAX, n = vkc_npz_count(z);
    if (tensor) k = vkc_npz_find(z, tensor);
    else if (n == 1) k = 0;
    if (k == UINT32_MAX) {
        if (tensor) s = cli_fail(msg, VKC_ERROR_FORMAT, "%s: no member '%s' (%u members)", path, tensor, n);
        else
            s = cli_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s holds %u tensors: name one with --tensor NAME (the "
                         "first is '%s')", path, n, n ? vkc_npz_key(z, 0) : "");
    } else {
        s = vkc_npz_source(z, k, src, msg);
    }
    vkc_npz_close(z);
    return s;
}

static char g_source_name[4096]; /* what load() read, "path[member]" for an .npz */

static float *load(const char *path, const char *raw, const char *tensor, uint64_t count, uint64_t *n)
{
    vkc_source *src = NULL;
    vkc_msg msg = {{0}};
    vkc_status s = raw                        ? vkc_source_open_raw(raw, count, &src, &msg)
                   : ends_with(path, ".npz") ? open_member(path, tensor, &src, &msg)
                                             : vkc_source_open_npy(path, &src, &msg);
    if (s != VKC_OK) {
        cli_error("%s", msg.text);
        return NULL;
    }
    snprintf(g_source_name, sizeof g_source_name, "%s", vkc_source_name(src));
    uint64_t total = vkc_source_count(src), got = 0, have = 0;
    if (total > MAX_VALUES) {
        cli_error("%s: %llu values; histogram holds at most %llu in memory (calibrate streams any size)",
                  vkc_source_name(src), (unsigned long long)total, (unsigned long long)MAX_VALUES);
        vkc_source_close(src);
        return NULL;
    }
    float *x = malloc(total ? (size_t)total * sizeof *x : 4);
    if (!x) {
        cli_error("%s: out of memory for %llu values", raw ? raw : path, (unsigned long long)total);
        vkc_source_close(src);
        return NULL;
    }
    do {
        s = vkc_source_read_f32(src, x + have, total - have, &got, &msg);
        have += got;
    } while (s == VKC_OK && got && have < total);
    vkc_source_close(src);
    if (s != VKC_OK) {
        cli_error("%s", msg.text);
        free(x);
        return NULL;
    }
    *n = have;
    return x;
}

static void print_bar_summary(const uint64_t *counts, uint32_t bins, double lo, double width)
{
    /* Sixteen groups of bins, each a log-scale bar: enough to see the shape
     * in a terminal without printing 2048 lines. */
    const uint32_t groups = 16;
    uint64_t g[16] = {0}, gmax = 0;
    for (uint32_t b = 0; b < bins; b++) g[(uint64_t)b * groups / bins] += counts[b];
    for (uint32_t k = 0; k < groups; k++) gmax = g[k] > gmax ? g[k] : gmax;
    for (uint32_t k = 0; k < groups; k++) {
        uint32_t b0 = (uint32_t)(((uint64_t)k * bins + groups - 1) / groups);
        int len = g[k] && gmax ? (int)(40.0 * log1p((double)g[k]) / log1p((double)gmax) + 0.5) : 0;
        printf("  [%12.6g, ...) %12llu |%.*s\n", lo + b0 * width, (unsigned long long)g[k], len,
               "########################################");
    }
}

int cmd_histogram(int argc, char **argv)
{
    const char *path = NULL, *raw = NULL, *gen = NULL, *tensor = NULL;
    unsigned long long count = 1u << 20, seed = 1;
    int json = 0, is_signed = 0, have_count = 0;
    calib_options o;
    calib_options_init(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = cli_option(argc, argv, &i, CLI_OPT_BINS | CLI_OPT_DEVICE, &o, "histogram");
        if (r < 0) return 2;
        if (r) continue;
        if (cli_is_help(a)) {
            fputs(kHelp, stdout);
            return 0;
        }
        int has_val = i + 1 < argc;
        if (strcmp(a, "--json") == 0) json = 1;
        else if (strcmp(a, "--signed") == 0) is_signed = 1;
        else if (strcmp(a, "--raw") == 0 && has_val) raw = argv[++i];
        else if (strcmp(a, "--generate") == 0 && has_val) gen = argv[++i];
        else if (strcmp(a, "--tensor") == 0 && has_val) tensor = argv[++i];
        else if (strcmp(a, "--count") == 0 && has_val) {
            if (!cli_parse_u64(argv[++i], &count)) { cli_error("--count: not a number: %s", argv[i]); return 2; }
            have_count = 1;
        } else if (strcmp(a, "--seed") == 0 && has_val) {
            if (!cli_parse_u64(argv[++i], &seed)) { cli_error("--seed: not a number: %s", argv[i]); return 2; }
        } else if (a[0] == '-') {
            cli_error("histogram: unknown option or missing value: %s (see --help)", a);
            return 2;
        } else if (!path) path = a;
        else {
            cli_error("histogram: one input only (got %s and %s)", path, a);
            return 2;
        }
    }
    if (!!path + !!raw + !!gen != 1) {
        cli_error("histogram: give exactly one of FILE.npy, --raw FILE, --generate KIND (see --help)");
        return 2;
    }
    if (raw && !have_count) {
        cli_error("histogram: --raw needs --count (raw files carry no shape)");
        return 2;
    }
    if (have_count && (count == 0 || count > MAX_VALUES)) {
        cli_error("--count: expected 1..%llu (%llu GiB of float32), got %llu", (unsigned long long)MAX_VALUES,
                  (unsigned long long)(MAX_VALUES * 4 >> 30), count);
        return 2;
    }
    if (tensor && !(path && ends_with(path, ".npz"))) {
        cli_error("histogram: --tensor names a member of an .npz input");
        return 2;
    }
    uint64_t n = count;
    float *x;
    if (gen) {
        x = malloc((size_t)n * sizeof *x);
        if (!x) { cli_error("out of memory for %llu values", count); return 1; }
        if (!generate(gen, x, n, seed)) {
            cli_error("--generate: unknown kind '%s' (relu, normal, heavy, uniform)", gen);
            free(x);
            return 2;
        }
    } else {
        x = load(path, raw, tensor, count, &n);
        if (!x) return 1;
    }
    const unsigned long long bins = o.ci.bins ? o.ci.bins : 2048;
    vkc_context *ctx = cli_open_context(&o.dev, json);
    if (!ctx) { free(x); return 1; }
    vkc_stats st = {0};
    vkc_status s = vkc_range_f32(ctx, x, n, &st);
    uint64_t *counts = calloc(bins, sizeof *counts);
    vkc_hist_spec spec = {is_signed ? VKC_HIST_SIGNED : VKC_HIST_ABS, (uint32_t)bins,
                          is_signed ? (st.min < 0 ? st.min : 0) : 0, is_signed ? (st.max > 0 ? st.max : 0) : st.absmax};
    if (s == VKC_OK && !counts) s = VKC_ERROR_OUT_OF_MEMORY;
    if (s == VKC_OK) s = vkc_histogram_f32(ctx, x, n, &spec, counts);
    if (s != VKC_OK) {
        cli_error("%s", vkc_context_error(ctx));
        cli_close_context(ctx);
        free(x);
        free(counts);
        return 1;
    }
    double width = ((double)spec.hi - (double)spec.lo) / (double)bins;
    const char *name = gen ? gen : (raw ? raw : g_source_name);
    if (json) {
        /* Names are JSON strings, escaped (B13: a path with a quote broke the
         * document). */
        char *qname = cli_json_string(name), *qdev = cli_json_string(vkc_context_device_name(ctx));
        printf("{\"input\": %s, \"device\": %s, \"elements\": %llu, \"finite\": %llu, \"zeros\": %llu, "
               "\"nan\": %llu, \"pos_inf\": %llu, \"neg_inf\": %llu, \"min\": %.9g, \"max\": %.9g, "
               "\"absmax\": %.9g, \"kind\": \"%s\", \"bins\": %llu, \"lo\": %.9g, \"hi\": %.9g, \"counts\": [",
               qname ? qname : "null", qdev ? qdev : "null", (unsigned long long)n, (unsigned long long)st.count,
               (unsigned long long)st.zeros, (unsigned long long)st.nan, (unsigned long long)st.pos_inf,
               (unsigned long long)st.neg_inf, (double)st.min, (double)st.max, (double)st.absmax,
               is_signed ? "signed" : "abs", bins, (double)spec.lo, (double)spec.hi);
        for (uint32_t b = 0; b < bins; b++) printf("%s%llu", b ? "," : "", (unsigned long long)counts[b]);
        printf("]}\n");
        free(qname);
        free(qdev);
    } else {
        printf("%s: %llu elements on %s\n", name, (unsigned long long)n, vkc_context_device_name(ctx));
        printf("  finite %llu, zeros %llu, NaN %llu, +Inf %llu, -Inf %llu\n", (unsigned long long)st.count,
               (unsigned long long)st.zeros, (unsigned long long)st.nan, (unsigned long long)st.pos_inf,
               (unsigned long long)st.neg_inf);
        printf("  min %.9g, max %.9g, absmax %.9g\n", (double)st.min, (double)st.max, (double)st.absmax);
        printf("  histogram of %s: %llu bins over [%g, %g], bin width %.6g (groups of %llu bins, log scale):\n",
               is_signed ? "x" : "|x|", bins, (double)spec.lo, (double)spec.hi, width,
               bins >= 16 ? bins / 16 : 1);
        print_bar_summary(counts, (uint32_t)bins, spec.lo, width);
    }
    cli_close_context(ctx);
    free(x);
    free(counts);
    return 0;
}
