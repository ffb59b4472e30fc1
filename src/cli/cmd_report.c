/* vkcalib report: one self-contained HTML file about a whole calibration. */
#include "cli.h"
#include "progress.h"
#include "compare.h"
#include "report_html.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const kHelp =
    "Usage: vkcalib report INPUT... -o report.html [options]\n"
    "\n"
    "Writes one self-contained HTML file (no network access, no external files:\n"
    "inline CSS, inline SVG, a small inline script that sorts the table) about\n"
    "the calibration of every tensor:\n"
    "  - a summary table, sortable by clicking a header: elements, range, the\n"
    "    threshold of each method (entropy, percentile, MSE, max), SQNR of each\n"
    "    method and mode, the share of values clipped;\n"
    "  - per tensor: the |x| histogram (log scale) with each method's threshold,\n"
    "    the KL divergence of every entropy candidate with its minimum, and the\n"
    "    symmetric range against the unsigned or asymmetric one.\n"
    "Open it in any browser; it prints as well. The same inputs give the same\n"
    "bytes.\n"
    "\n"
    "INPUT is what `vkcalib calibrate` takes (the calibration set: .npz batches,\n"
    "tensor folders, .npy files), or one JSON written by `vkcalib calibrate -o\n"
    "FILE.json --histograms`: then no data is read, and SQNR is estimated from\n"
    "the histograms. With a calibration set, three passes: range, histogram, and\n"
    "a measure pass that fake-quantizes the values at every range.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE     the HTML file (written atomically)\n"
    "  --flavors all|LIST    add each tensor's thresholds by other tools' entropy\n"
    "                        (flavours, as `vkcalib compare` computes them: mxnet,\n"
    "                        onnxruntime, ncnn, ...), drawn on its histogram; two\n"
    "                        more reads of the set (three with the measure pass)\n" RV_OPTIONS_HELP
    "\n"
    "Example:\n"
    "  vkcalib report examples/calib -o report.html\n"
    "  vkcalib calibrate examples/calib -o ranges.json --histograms\n"
    "  vkcalib report ranges.json -o report.html\n"
    "  vkcalib report examples/calib -o report.html --flavors modelopt,ncnn\n";


/* report --flavors: the tools' calibrations of the same set (compare.c),
 * copied into the model by tensor name. */
static int add_tools(vkc_context *ctx, char **inputs, int ninputs, const rv_options *o, cmp_flavor *f, uint32_t nf,
                     rv_set *set)
{
    dataset ds;
    if (!dataset_scan(&ds, inputs, ninputs, o->co.allow_missing)) return 0;
    int ok = cmp_run(ctx, &ds, &o->co, f, nf, o->measure);
    set->ntools = nf;
    for (uint32_t k = 0; ok && k < nf; k++) {
        set->tools[k] = f[k].flavor;
        snprintf(set->tool_error[k], sizeof set->tool_error[k], "%s", f[k].failed ? f[k].error : "");
        const vkc_calibration *cal = f[k].failed ? NULL : vkc_calibrator_results(f[k].cal);
        for (uint32_t t = 0; cal && t < set->n; t++) {
            uint32_t i = vkc_calibration_find(cal, set->t[t].name);
            const vkc_tensor_result *r = i == UINT32_MAX ? NULL : vkc_calibration_tensor(cal, i);
            rv_tool *x = &set->t[t].tool[k];
            if (!r || !(r->fields & VKC_RESULT_RANGE)) continue;
            x->have = 1;
            x->range = r->mode == VKC_MODE_ASYMMETRIC;
            x->lo = r->lo;
            x->hi = r->hi;
            x->warn = (r->warnings & (VKC_WARNING_TOOL | VKC_WARNING_FALLBACK)) != 0;
            x->sqnr_db = r->fields & VKC_RESULT_QUALITY ? vkc_quality_sqnr_db(&r->quality) : NAN;
            snprintf(x->note, sizeof x->note, "%s", x->warn ? r->search.message : "");
        }
    }
    cmp_free(f, nf);
    dataset_free(&ds);
    return ok;
}

int cmd_report(int argc, char **argv)
{
    rv_options o;
    rv_options_init(&o);
    const char *out = NULL, *flavors = NULL;
    char **inputs = malloc((size_t)argc * sizeof *inputs);
    int ninputs = 0;
    if (!inputs) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(kHelp, stdout);
            free(inputs);
            return 0;
        }
        int r = rv_parse_option(argc, argv, &i, &o, "report");
        if (r < 0) {
            free(inputs);
            return 2;
        }
        if (r) continue;
        if (!strcmp(a, "--flavors")) {
            if (i + 1 >= argc) {
                cli_error("report: --flavors needs a value (all, or a list such as modelopt,onnxruntime,ncnn)");
                free(inputs);
                return 2;
            }
            flavors = argv[++i];
            continue;
        }
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (i + 1 >= argc) {
                cli_error("report: %s needs a value", a);
                free(inputs);
                return 2;
            }
            out = argv[++i];
            continue;
        }
        if (a[0] == '-' && strcmp(a, "-") != 0) {
            cli_error("report: unknown option %s (see --help)", a);
            free(inputs);
            return 2;
        }
        inputs[ninputs++] = argv[i];
    }
    if (!ninputs || !out) {
        cli_error("report: give at least one INPUT and -o FILE.html (see --help)");
        free(inputs);
        return 2;
    }
    cmp_flavor tools[VKC_FLAVOR_COUNT];
    memset(tools, 0, sizeof tools);
    uint32_t ntools = 0;
    if (flavors && rv_input_is_json(inputs, ninputs)) {
        cli_error("report: --flavors needs the calibration set itself: each tool bins the values its own way, so a "
                  "JSON's or state's histograms cannot stand in for them");
        free(inputs);
        return 2;
    }
    if (flavors && !cmp_parse_flavors(flavors, tools, &ntools)) {
        free(inputs);
        return 2;
    }
    if (!calib_check_output(out) || !calib_check_not_input(out, NULL, inputs, ninputs)) {
        free(inputs);
        return 1;
    }
    vkc_context *ctx = cli_open_context(&o.co.dev, o.co.quiet);
    if (!ctx) {
        free(inputs);
        return 1;
    }
    const uint32_t bins = o.co.ci.bins ? o.co.ci.bins : 2048; /* 0: the flavour's default */
    if (!o.asym_bins) o.asym_bins = RV_REPORT_ASYM_BINS < bins ? RV_REPORT_ASYM_BINS : bins;
    double t0 = progress_now();
    rv_set set;
    int ok = rv_build(ctx, inputs, ninputs, &o, NULL, NULL, NULL, &set);
    if (ok && ntools) ok = add_tools(ctx, inputs, ninputs, &o, tools, ntools, &set);
    free(inputs);
    cli_buf html;
    if (ok && !cli_buf_open(&html)) {
        cli_error("out of memory writing the report");
        ok = 0;
    } else if (ok) {
        rv_html(&set, &html);
        if (!cli_buf_take(&html)) {
            cli_error("out of memory writing the report");
            ok = 0;
        }
    }
    vkc_msg msg = {{0}};
    if (ok && !strcmp(out, "-")) {
        if (fwrite(html.data, 1, html.len, stdout) != html.len || fflush(stdout) != 0) {
            cli_error("writing to standard output failed");
            ok = 0;
        }
    } else if (ok && vkc_write_file_atomic(out, html.data, html.len, &msg) != VKC_OK) {
        cli_error("%s", msg.text);
        ok = 0;
    }
    if (ok && !o.co.quiet)
        fprintf(stderr, "vkcalib: wrote %s (%u tensor%s, %.1f kB, %.2f s)\n", out, set.n, set.n == 1 ? "" : "s",
                html.len / 1e3, progress_now() - t0);
    if (ok || html.f || html.data) cli_buf_free(&html);
    rv_free(&set);
    cli_close_context(ctx);
    return ok ? 0 : 1;
}
