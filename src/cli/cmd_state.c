/* vkcalib collect and vkcalib merge: calibration split over processes or
 * machines through state files (src/state.h), merged exactly. */
#include "calib.h"
#include "cli.h"
#include "options.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const kCollectHelp =
    "Usage: vkcalib collect INPUT... --state OUT.vkch [--range-from R.vkch] [options]\n"
    "\n"
    "Runs one pass of a calibration on a shard of the calibration set and saves\n"
    "what it found, so that any scheduler (Slurm arrays, Ray, xargs -P) can split\n"
    "the work. Merging is exact: the result is byte-identical to one run over the\n"
    "whole set. The protocol has two rounds, because the histogram range of every\n"
    "tensor must be the absmax over all the data (DESIGN.md: exact mode):\n"
    "\n"
    "  1. vkcalib collect SHARD_k --state range_k.vkch         (each shard)\n"
    "     vkcalib merge range_*.vkch -o ranges.vkch\n"
    "  2. vkcalib collect SHARD_k --range-from ranges.vkch --state hist_k.vkch\n"
    "     vkcalib merge hist_*.vkch -o hist.vkch\n"
    "  3. vkcalib calibrate --from-state hist.vkch -o model.cache [--method ...]\n"
    "\n"
    "Options:\n"
    "  --state FILE          the state file to write (atomically)\n"
    "  --range-from FILE     round 2: histogram over the merged ranges in FILE\n"
    "  --flavor F            the entropy flavour the histograms are for (default\n"
    "                        modelopt; another tool's flavour bins as that tool does:\n"
    "                        give the same --flavor to every round and to calibrate)\n"
    "  --bins N              histogram bins (default 2048, or the flavour's; round 1\n"
    "                        records it)\n"
    "  --exclude-nonfinite   skip NaN and Inf values (default: they are an error)\n"
    "  --allow-missing       see calibrate --help\n"
    "  --include/--exclude GLOB, --override GLOB=METHOD[:MODE], --overrides FILE\n"
    "                        per-tensor control, as for calibrate (see its --help)\n"
    "  --memory-budget SIZE  host memory for input buffers (default 1G)\n"
    "  --quiet               no progress\n" CLI_DEVICE_HELP;

static const char *const kMergeHelp =
    "Usage: vkcalib merge A.vkch B.vkch... -o OUT.vkch\n"
    "\n"
    "Adds state files written by `vkcalib collect` on shards of one calibration\n"
    "set (A, B... may be folders: every .vkch in them): range statistics merge\n"
    "as if one process had seen every shard, uint64\n"
    "histogram counts add. All inputs must be of the same round, with the same\n"
    "tensors, bin count and non-finite policy, and (round 2) the same ranges.\n"
    "See `vkcalib collect --help` for the protocol.\n";

int cmd_collect(int argc, char **argv)
{
    calib_options o;
    calib_options_init(&o);
    const char *state_path = NULL, *range_from = NULL;
    char **inputs = malloc((size_t)argc * sizeof *inputs);
    int ninputs = 0;
    if (!inputs) return 1;
    const unsigned shared = CLI_OPT_FLAVOR | CLI_OPT_BINS | CLI_OPT_NONFINITE | CLI_OPT_MISSING | CLI_OPT_BUDGET |
                            CLI_OPT_QUIET | CLI_OPT_DEVICE | CLI_OPT_SELECT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = cli_option(argc, argv, &i, shared, &o, "collect");
        if (r < 0) { free(inputs); return 2; }
        if (r) continue;
        if (cli_is_help(a)) { fputs(kCollectHelp, stdout); free(inputs); return 0; }
        if (a[0] != '-') { inputs[ninputs++] = argv[i]; continue; }
        if (i + 1 < argc && !strcmp(a, "--state")) { state_path = argv[++i]; continue; }
        if (i + 1 < argc && !strcmp(a, "--range-from")) { range_from = argv[++i]; continue; }
        cli_error("collect: unknown option or missing value: %s (see --help)", a);
        free(inputs);
        return 2;
    }
    if (!ninputs || !state_path) {
        cli_error("collect: give INPUT... and --state FILE (see --help)");
        free(inputs);
        return 2;
    }
    dataset ds;
    int ok = dataset_scan(&ds, inputs, ninputs, o.allow_missing) && calib_select(&ds, &o) &&
             calib_check_names(&ds, 0) && calib_check_not_input(state_path, &ds, inputs, ninputs);
    for (uint32_t k = 0; ok && !o.quiet && k < o.nskipped; k++)
        cli_warn("skipped '%s': %s", o.skipped[k].name, o.skipped[k].reason);
    if (ok && range_from) {
        char *rf[1] = {(char *)range_from};
        ok = calib_check_not_input(state_path, NULL, rf, 1);
    }
    ok = ok && calib_check_output(state_path);
    free(inputs);
    vkc_context *ctx = ok ? cli_open_context(&o.dev, o.quiet) : NULL;
    vkc_calibrator *cal = ctx ? calib_create(ctx, &ds, &o) : NULL;
    ok = ok && cal;
    /* Round 2: the merged ranges end the range pass, and the bin count and
     * NaN policy come from them. */
    if (ok && range_from && vkc_calibrator_load_state(cal, range_from, VKC_PASS_RANGE) != VKC_OK) {
        cli_error("%s", vkc_calibrator_error(cal));
        ok = 0;
    }
    ok = ok && calib_pass(&ds, &o, range_from ? "pass 2/2: histogram" : "pass 1/2: range", !vkc_context_is_cpu(ctx),
                          calib_feed_step, cal);
    if (ok && vkc_calibrator_save_state(cal, state_path) != VKC_OK) {
        cli_error("%s", vkc_calibrator_error(cal));
        ok = 0;
    }
    if (ok && !o.quiet)
        fprintf(stderr, "vkcalib: wrote %s (%s round, %u tensors)\n", state_path,
                range_from ? "histogram" : "range", ds.ntensors);
    vkc_calibrator_destroy(cal);
    dataset_free(&ds);
    calib_options_free(&o);
    cli_close_context(ctx);
    return ok ? 0 : 1;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* merge's inputs: .vkch files, and folders of them (every .vkch inside, in
 * sorted order); anything else is a usage error that says what merge takes. */
static int merge_inputs(char **argv, int n, char ***out, int *nout)
{
    int cap = n + 16, k = 0;
    char **v = malloc((size_t)cap * sizeof *v);
    if (!v) return 1;
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            struct dirent *e;
            int first = k;
            while (d && (e = readdir(d))) {
                if (e->d_name[0] == '.' || !has_suffix(e->d_name, ".vkch")) continue;
                if (k == cap) {
                    char **g = realloc(v, (size_t)(cap *= 2) * sizeof *v);
                    if (!g) break;
                    v = g;
                }
                size_t len = strlen(argv[i]) + strlen(e->d_name) + 2;
                v[k] = malloc(len);
                if (v[k]) snprintf(v[k++], len, "%s/%s", argv[i], e->d_name);
            }
            if (d) closedir(d);
            qsort(v + first, (size_t)(k - first), sizeof *v, cmp_str);
            if (k == first) {
                cli_error("merge: %s holds no .vkch state files", argv[i]);
                *out = v, *nout = k;
                return 2;
            }
            continue;
        }
        if (!has_suffix(argv[i], ".vkch")) {
            cli_error("merge: %s is not a state file (.vkch): merge adds the state files `vkcalib collect` writes; to "
                      "collect a state from a calibration set, use collect",
                      argv[i]);
            *out = v, *nout = k;
            return 2;
        }
        if (k == cap) {
            char **g = realloc(v, (size_t)(cap *= 2) * sizeof *v);
            if (!g) break;
            v = g;
        }
        size_t len = strlen(argv[i]) + 1;
        v[k] = malloc(len);
        if (v[k]) memcpy(v[k++], argv[i], len);
    }
    *out = v;
    *nout = k;
    return 0;
}

int cmd_merge(int argc, char **argv)
{
    const char *out_path = NULL;
    int n = 0;
    char **inputs = malloc((size_t)argc * sizeof *inputs);
    if (!inputs) return 1;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) { fputs(kMergeHelp, stdout); free(inputs); return 0; }
        if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc) out_path = argv[++i];
        else if (argv[i][0] == '-') { cli_error("merge: unknown option %s", argv[i]); free(inputs); return 2; }
        else inputs[n++] = argv[i];
    }
    if (n < 1 || !out_path) {
        cli_error("merge: give state files and -o OUT.vkch (see --help)");
        free(inputs);
        return 2;
    }
    char **files = NULL;
    int nfiles = 0, rc = merge_inputs(inputs, n, &files, &nfiles);
    free(inputs);
    vkc_msg msg = {{0}};
    int ok = rc == 0;
    if (ok && !strcmp(out_path, "-")) {
        cli_error("merge: -o - is not supported: a state file is binary; name a .vkch file");
        rc = 2;
        ok = 0;
    }
    if (ok) {
        ok = vkc_state_merge_files((const char *const *)files, (uint32_t)nfiles, out_path, &msg) == VKC_OK;
        if (!ok) cli_error("%s", msg.text);
        rc = ok ? 0 : 1;
    }
    for (int k = 0; k < nfiles; k++) free(files[k]);
    free(files);
    return rc;
}
