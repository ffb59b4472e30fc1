/* vkcalib tensors: the tensors of an ONNX model that need ranges. */
#include "cli.h"
#include "onnx_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kHelp =
    "Usage: vkcalib tensors MODEL.onnx [--target T] [--ops LIST] [--json]\n"
    "       vkcalib tensors MODEL.onnx --expose -o OUT.onnx [--target T] [--ops LIST]\n"
    "\n"
    "Lists the tensors `vkcalib qdq` needs ranges for with the same options: what\n"
    "to dump for a calibration (one name a line, in graph order). Graph names\n"
    "often hold '/' (/conv1/Conv_output_0): dump them as .npz batches, whose keys\n"
    "may be any string (a folder per tensor cannot hold such names).\n"
    "\n"
    "--expose writes MODEL with those tensors added as graph outputs, so that a\n"
    "runtime returns them with its outputs (scripts/capture.mjs does this with\n"
    "ONNX Runtime and writes the .npz batches).\n"
    "\n"
    "Options:\n" ONNX_CLI_OPT_HELP
    "  --json         {\"model\", \"opset\", \"target\", \"tensors\": [...]} on stdout\n"
    "  --expose       write the model with the tensors as outputs (needs -o)\n"
    "  -o OUT.onnx    the output of --expose (written atomically)\n";

int cmd_tensors(int argc, char **argv)
{
    const char *model = NULL, *out = NULL;
    int json = 0, expose = 0;
    vkc_qdq_info info;
    memset(&info, 0, sizeof info);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = onnx_cli_opt(argc, argv, &i, &info);
        if (r < 0) return 2;
        if (r) continue;
        if (cli_is_help(a)) {
            fputs(kHelp, stdout);
            return 0;
        }
        if (!strcmp(a, "--json")) json = 1;
        else if (!strcmp(a, "--expose")) expose = 1;
        else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && i + 1 < argc) out = argv[++i];
        else if (a[0] != '-' && !model) model = a;
        else {
            cli_error("tensors: unexpected argument %s (see --help)", a);
            return 2;
        }
    }
    if (!model || expose != (out != NULL)) {
        cli_error("tensors: give MODEL.onnx (and -o OUT.onnx with --expose) (see --help)");
        return 2;
    }
    vkc_onnx_model *m = onnx_cli_open(model);
    if (!m) return 1;
    const char *const *names = NULL;
    uint32_t n = 0;
    vkc_msg msg = {{0}};
    int rc = 0;
    if (vkc_onnx_needed_tensors(m, &info, &names, &n, &msg) != VKC_OK) {
        cli_error("%s", msg.text);
        rc = 1;
    } else if (expose) {
        if (vkc_onnx_write_with_outputs(m, names, n, out, &msg) != VKC_OK) {
            cli_error("%s", msg.text);
            rc = 1;
        } else {
            fprintf(stderr, "vkcalib: wrote %s (%u tensors added as outputs)\n", out, n);
        }
    } else if (json) {
        vkc_jw *j = vkc_jw_create();
        const char *text = NULL;
        size_t len = 0;
        if (j) {
            vkc_jw_begin_object(j);
            vkc_jw_kv_string(j, "model", model);
            vkc_jw_kv_int(j, "opset", vkc_onnx_opset(m));
            vkc_jw_kv_string(j, "target", vkc_qdq_target_name(info.target));
            vkc_jw_key(j, "tensors");
            vkc_jw_begin_array(j);
            for (uint32_t k = 0; k < n; k++) vkc_jw_string(j, names[k]);
            vkc_jw_end_array(j);
            vkc_jw_end_object(j);
        }
        if (!j || vkc_jw_finish(j, &text, &len, &msg) != VKC_OK) {
            cli_error("%s", j ? msg.text : "out of memory");
            rc = 1;
        } else {
            fwrite(text, 1, len, stdout);
            fputc('\n', stdout);
        }
        vkc_jw_destroy(j);
    } else {
        for (uint32_t k = 0; k < n; k++) printf("%s\n", names[k]);
    }
    if (!rc && n == 0 && !expose) cli_warn("%s: no tensor needs a range (no quantizable op)", model);
    vkc_onnx_close(m);
    return rc;
}
