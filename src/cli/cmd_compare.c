/* vkcalib compare: every tool's entropy on the same data, side by side
 * (the calibrations are compare.c's): the answer to "why does ONNX Runtime
 * give me a different range than TensorRT" from the user's own
 * activations, in three reads of the files however many flavours. */
#define _DEFAULT_SOURCE /* TIOCGWINSZ */
#include "calib.h"
#include "cli.h"
#include "compare.h"
#include "dataset.h"
#include "options.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const char *const kHelp =
    "Usage: vkcalib compare INPUT... [--flavors all|LIST] [--measure] [options]\n"
    "\n"
    "Calibrates every tensor with the entropy of each tool, exactly as that tool\n"
    "computes it (its histogram, bins, levels, candidates, tie rule and arithmetic),\n"
    "and prints one table: a row per tensor, a column per flavour, and the spread\n"
    "(the largest threshold over the smallest). The data is read once per pass\n"
    "whatever the number of flavours.\n"
    "\n"
    "Flavours: modelopt and tensorrt (NVIDIA: Model Optimizer, TensorRT's caches),\n"
    "mxnet, mxnet-uint8, mxnet-1.5, mxnet-1.5-uint8, tvm, onnxruntime,\n"
    "onnxruntime-2048, onnxruntime-8001, ncnn, ncnn-aciq, mnn, paddle, ppq.\n"
    "The onnxruntime flavours give a range [lo, hi] (shown as such); the others\n"
    "a threshold T of the symmetric range [-T, T]. A tool that would fail on a\n"
    "tensor (NaN, a zero scale, a crash) is marked '!' and explained below the\n"
    "table; vkcalib's result is still a usable range.\n"
    "\n"
    "Options:\n"
    "  --flavors all|LIST  comma-separated flavours (default all)\n"
    "  --measure           a third pass: fake-quantize every tensor at every\n"
    "                      flavour's range and show SQNR (dB) under the threshold\n"
    "  --json              one JSON object on standard output instead of the table\n"
    "  -o, --output FILE   write the JSON to FILE (atomically)\n"
    "  --exclude-nonfinite, --allow-missing, --memory-budget SIZE, --quiet\n"
    "                      as for calibrate\n" CLI_DEVICE_HELP
    "\n"
    "Example:\n"
    "  vkcalib compare examples/calib --flavors modelopt,onnxruntime-2048,ncnn \\\n"
    "      --measure\n";

static int term_width(void)
{
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) return ws.ws_col;
    const char *c = getenv("COLUMNS");
    int w = c ? atoi(c) : 0;
    return w >= 40 ? w : 80;
}

/* The threshold a flavour gives, or its range's envelope: what the spread
 * compares. */
static double amax_of(const vkc_tensor_result *r)
{
    return r->amax;
}

static void cell_value(const vkc_tensor_result *r, char *out, size_t n)
{
    if (!r) snprintf(out, n, "failed");
    else if (r->mode == VKC_MODE_ASYMMETRIC) snprintf(out, n, "%.3g..%.3g%s", r->lo, r->hi, r->warnings & VKC_WARNING_TOOL ? "!" : "");
    else snprintf(out, n, "%.5g%s", r->threshold, r->warnings & VKC_WARNING_TOOL ? "!" : "");
}

/* The table, in as many column groups as the terminal needs: each group
 * repeats the tensor column, so no line wraps. */
static void print_table(const dataset *ds, const cmp_flavor *f, uint32_t nf, int measure)
{
    const int width = term_width();
    int namew = 6, colw = 11;
    for (uint32_t k = 0; k < nf; k++) {
        int l = (int)strlen(vkc_flavor_name(f[k].flavor));
        colw = l > colw ? l : colw;
    }
    for (uint32_t t = 0; t < ds->ntensors; t++) {
        int l = (int)strlen(ds->tensors[t].name);
        namew = l > namew ? l : namew;
    }
    if (namew > 36) namew = 36;
    int per = (width - namew - 10) / (colw + 1);
    if (per < 1) per = 1;
    for (uint32_t g = 0; g < nf; g += (uint32_t)per) {
        uint32_t end = g + (uint32_t)per < nf ? g + (uint32_t)per : nf;
        if (g) putchar('\n');
        printf("%-*s", namew, "tensor");
        for (uint32_t k = g; k < end; k++) printf(" %*s", colw, vkc_flavor_name(f[k].flavor));
        /* the spread is over every flavour: once, in the first group */
        fputs(g == 0 ? "   spread\n" : "\n", stdout);
        for (uint32_t t = 0; t < ds->ntensors; t++) {
            const char *name = ds->tensors[t].name;
            size_t l = strlen(name);
            if ((int)l > namew) printf("..%-*s", namew - 2, name + l - (size_t)(namew - 2));
            else printf("%-*s", namew, name);
            double lo = INFINITY, hi = 0;
            for (uint32_t k = 0; k < nf; k++) {
                const vkc_tensor_result *r = cmp_result(&f[k], t);
                if (r && amax_of(r) > 0) lo = fmin(lo, amax_of(r)), hi = fmax(hi, amax_of(r));
            }
            for (uint32_t k = g; k < end; k++) {
                char cell[48];
                cell_value(cmp_result(&f[k], t), cell, sizeof cell);
                printf(" %*s", colw, cell);
            }
            /* The spread: the largest envelope over the smallest, marked
             * when the tools disagree by more than half. */
            if (g == 0 && isfinite(lo) && lo > 0) printf(" %7.2fx%s", hi / lo, hi / lo > 1.5 ? " <" : "");
            putchar('\n');
            if (!measure) continue;
            printf("%-*s", namew, "  SQNR dB");
            for (uint32_t k = g; k < end; k++) {
                const vkc_tensor_result *r = cmp_result(&f[k], t);
                if (r && (r->fields & VKC_RESULT_QUALITY)) printf(" %*.2f", colw, vkc_quality_sqnr_db(&r->quality));
                else printf(" %*s", colw, "-");
            }
            putchar('\n');
        }
    }
}

/* Each flavour's notes: the tools' own failures, and flavours that stopped. */
static void print_notes(const dataset *ds, const cmp_flavor *f, uint32_t nf)
{
    int head = 0;
    for (uint32_t k = 0; k < nf; k++) {
        if (f[k].failed) {
            if (!head++) printf("\n");
            printf("%s: %s\n", vkc_flavor_name(f[k].flavor), f[k].error);
            continue;
        }
        for (uint32_t t = 0; t < ds->ntensors; t++) {
            const vkc_tensor_result *r = cmp_result(&f[k], t);
            if (!(r->warnings & (VKC_WARNING_TOOL | VKC_WARNING_FALLBACK))) continue;
            if (!head++) printf("\n");
            printf("%s, %s: %s\n", vkc_flavor_name(f[k].flavor), r->name, r->search.message);
        }
    }
}

static int write_json(const char *out, const dataset *ds, const cmp_flavor *f, uint32_t nf)
{
    vkc_jw *j = vkc_jw_create();
    if (!j) {
        cli_error("out of memory");
        return 0;
    }
    vkc_jw_begin_object(j);
    vkc_jw_kv_string(j, "format", "vkcalib-compare");
    vkc_jw_kv_uint(j, "format_version", 1);
    vkc_jw_kv_string(j, "vkcalib", vkc_version());
    vkc_jw_key(j, "flavors");
    vkc_jw_begin_array(j);
    for (uint32_t k = 0; k < nf; k++) vkc_jw_string(j, vkc_flavor_name(f[k].flavor));
    vkc_jw_end_array(j);
    vkc_jw_key(j, "tensors");
    vkc_jw_begin_array(j);
    for (uint32_t t = 0; t < ds->ntensors; t++) {
        vkc_jw_begin_object(j);
        vkc_jw_kv_string(j, "name", ds->tensors[t].name);
        double lo = INFINITY, hi = 0;
        vkc_jw_key(j, "results");
        vkc_jw_begin_object(j);
        for (uint32_t k = 0; k < nf; k++) {
            const vkc_tensor_result *r = cmp_result(&f[k], t);
            vkc_jw_key(j, vkc_flavor_name(f[k].flavor));
            if (!r) {
                vkc_jw_begin_object(j);
                vkc_jw_kv_string(j, "error", f[k].error);
                vkc_jw_end_object(j);
                continue;
            }
            if (amax_of(r) > 0) lo = fmin(lo, amax_of(r)), hi = fmax(hi, amax_of(r));
            vkc_jw_begin_object(j);
            vkc_jw_kv_string(j, "mode", vkc_mode_name(r->mode));
            vkc_jw_kv_double(j, "threshold", r->threshold);
            vkc_jw_kv_double(j, "lo", r->lo);
            vkc_jw_kv_double(j, "hi", r->hi);
            vkc_jw_kv_double(j, "scale", r->scale);
            vkc_jw_kv_int(j, "zero_point", r->zero_point);
            vkc_jw_kv_double(j, "amax", r->amax);
            vkc_jw_kv_uint(j, "bins", r->spec.bins);
            vkc_jw_kv_uint(j, "i", r->search.i);
            vkc_jw_kv_double(j, "kl", r->search.kl);
            if (r->fields & VKC_RESULT_QUALITY) {
                vkc_jw_kv_double(j, "sqnr_db", vkc_quality_sqnr_db(&r->quality));
                vkc_jw_kv_double(j, "clipped", r->quality.count ? (double)r->quality.clipped / (double)r->quality.count : 0.0);
            }
            if (r->warnings & (VKC_WARNING_TOOL | VKC_WARNING_FALLBACK)) vkc_jw_kv_string(j, "note", r->search.message);
            vkc_jw_end_object(j);
        }
        vkc_jw_end_object(j);
        vkc_jw_kv_double(j, "spread", isfinite(lo) && lo > 0 ? hi / lo : NAN);
        vkc_jw_end_object(j);
    }
    vkc_jw_end_array(j);
    vkc_jw_end_object(j);
    const char *text;
    size_t len;
    vkc_msg msg = {{0}};
    int ok = vkc_jw_finish(j, &text, &len, &msg) == VKC_OK;
    if (!ok) cli_error("%s", msg.text);
    if (ok && out) {
        char *t = malloc(len + 1);
        ok = t != NULL;
        if (t) {
            memcpy(t, text, len);
            t[len] = '\n';
            ok = vkc_write_file_atomic(out, t, len + 1, &msg) == VKC_OK;
            if (!ok) cli_error("%s", msg.text);
            free(t);
        }
    } else if (ok) {
        fwrite(text, 1, len, stdout);
        fputc('\n', stdout);
    }
    vkc_jw_destroy(j);
    return ok;
}

int cmd_compare(int argc, char **argv)
{
    calib_options o;
    calib_options_init(&o);
    const char *flavors = "all", *out = NULL;
    int measure = 0, json = 0;
    char **inputs = malloc((size_t)argc * sizeof *inputs);
    int ninputs = 0;
    if (!inputs) return 1;
    const unsigned shared = CLI_OPT_NONFINITE | CLI_OPT_MISSING | CLI_OPT_BUDGET | CLI_OPT_QUIET | CLI_OPT_DEVICE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = cli_option(argc, argv, &i, shared, &o, "compare");
        if (r < 0) goto usage;
        if (r) continue;
        if (cli_is_help(a)) {
            fputs(kHelp, stdout);
            free(inputs);
            return 0;
        }
        if (!strcmp(a, "--measure")) measure = 1;
        else if (!strcmp(a, "--json")) json = 1;
        else if (!strcmp(a, "--flavors") && i + 1 < argc) flavors = argv[++i];
        else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && i + 1 < argc) out = argv[++i];
        else if (a[0] != '-') inputs[ninputs++] = argv[i];
        else {
            cli_error("compare: unknown option or missing value: %s (see --help)", a);
            goto usage;
        }
    }
    cmp_flavor f[VKC_FLAVOR_COUNT];
    memset(f, 0, sizeof f);
    uint32_t nf = 0;
    if (!ninputs) {
        cli_error("compare: give INPUT... (see --help)");
        goto usage;
    }
    if (!cmp_parse_flavors(flavors, f, &nf)) goto usage;
    if (out && !calib_check_output(out)) {
        free(inputs);
        return 1;
    }

    dataset ds;
    int ok = dataset_scan(&ds, inputs, ninputs, o.allow_missing);
    free(inputs);
    vkc_context *ctx = ok ? cli_open_context(&o.dev, o.quiet) : NULL;
    ok = ok && ctx;
    ok = ok && cmp_run(ctx, &ds, &o, f, nf, measure);
    if (ok && (json || out)) ok = write_json(out, &ds, f, nf);
    if (ok && !json) {
        print_table(&ds, f, nf, measure);
        print_notes(&ds, f, nf);
    }
    cmp_free(f, nf);
    dataset_free(&ds);
    cli_close_context(ctx);
    return ok ? 0 : 1;
usage:
    free(inputs);
    return 2;
}
