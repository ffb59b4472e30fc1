/* vkcalib qdq: an fp32 ONNX model + ranges -> the INT8 Q/DQ model. */
#include "cli.h"
#include "onnx_cli.h"
#include "options.h"
#include "ranges_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kHelp =
    "Usage: vkcalib qdq MODEL.onnx --ranges RANGES -o OUT.onnx [options]\n"
    "\n"
    "Writes MODEL with QuantizeLinear/DequantizeLinear pairs at the calibrated\n"
    "ranges: the explicit-quantization model TensorRT 10/11, ONNX Runtime and\n"
    "OpenVINO build INT8 engines from (TensorRT 11 takes no calibration cache).\n"
    "Everything else in the model is copied through byte for byte.\n"
    "\n"
    "RANGES: the JSON of `vkcalib calibrate -o ranges.json` (any method and mode),\n"
    "a TensorRT calibration cache (.cache), or a merged histogram-round state\n"
    "file (.vkch, see `vkcalib collect --help`), searched here with --method,\n"
    "--mode, --flavor, --start-bin and --percentile as calibrate takes them.\n"
    "\n"
    "Targets:\n"
    "  tensorrt      int8, zero point 0, per-tensor activation scales on the\n"
    "                inputs of Conv, ConvTranspose, Gemm, MatMul; weights int8 per\n"
    "                output channel (symmetric max), biases float. Unsigned and\n"
    "                asymmetric ranges become their symmetric envelope (warned).\n"
    "  onnxruntime   also Q/DQ on the ops' outputs and int32 biases, so that\n"
    "  openvino      QLinearConv/QGemm fuse; uint8 for unsigned ranges, zero\n"
    "                points for asymmetric ones. onnxruntime writes symmetric\n"
    "                ranges as the same grid in uint8 (zero point 128): its x86\n"
    "                kernels fuse every Conv then.\n"
    "\n"
    "Options:\n"
    "  --ranges FILE  the ranges (required)\n"
    "  -o, --output OUT  the Q/DQ model (written atomically; never the input);\n"
    "                 a model with external data also gets OUT.data\n" ONNX_CLI_OPT_HELP
    "  --fp8          TensorRT: FLOAT8 E4M3 Q/DQ (scale amax/448, opset 19)\n"
    "  --skip-missing leave ops whose input has no range in float (default: the\n"
    "                 missing tensors are listed and nothing is written)\n"
    "  --quiet        no warnings, no summary\n"
    "  --method M, --mode M, --flavor F, --start-bin S, --percentile P\n"
    "                 how a .vkch state is searched (default: entropy, symmetric)\n"
    "\n"
    "Opsets: 13 and later as they are; 10-12 are raised to 13 when no op of the\n"
    "graph changes meaning, else weights get one scale per tensor; below 10 is\n"
    "an error. `vkcalib tensors MODEL` lists the tensors that need ranges.\n"
    "\n"
    "Example:\n"
    "  vkcalib tensors model.onnx --expose -o capture.onnx   # then dump them\n"
    "  vkcalib calibrate batches/ -o ranges.json --model model.onnx\n"
    "  vkcalib qdq model.onnx --ranges ranges.json -o model.int8.onnx\n";

int cmd_qdq(int argc, char **argv)
{
    const char *model = NULL, *ranges = NULL, *out = NULL;
    int quiet = 0;
    vkc_qdq_info info;
    memset(&info, 0, sizeof info);
    calib_options co;
    calib_options_init(&co);
    const unsigned shared = CLI_OPT_METHOD | CLI_OPT_MODE | CLI_OPT_FLAVOR | CLI_OPT_START_BIN | CLI_OPT_PERCENTILE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = onnx_cli_opt(argc, argv, &i, &info);
        if (!r) r = cli_option(argc, argv, &i, shared, &co, "qdq");
        if (r < 0) return 2;
        if (r) continue;
        if (cli_is_help(a)) {
            fputs(kHelp, stdout);
            return 0;
        }
        if (!strcmp(a, "--fp8")) info.fp8 = 1;
        else if (!strcmp(a, "--skip-missing")) info.skip_missing = 1;
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) quiet = 1;
        else if ((!strcmp(a, "--ranges") || !strcmp(a, "-o") || !strcmp(a, "--output")) && i + 1 < argc) {
            if (!strcmp(a, "--ranges")) ranges = argv[++i];
            else out = argv[++i];
        } else if (a[0] != '-' && !model) {
            model = a;
        } else {
            cli_error("qdq: unexpected argument %s (see --help)", a);
            return 2;
        }
    }
    if (!model || !ranges || !out) {
        cli_error("qdq: give MODEL.onnx, --ranges FILE and -o OUT.onnx (see --help)");
        return 2;
    }
    if (info.fp8 && info.target != VKC_QDQ_TENSORRT) {
        cli_error("--fp8 is for --target tensorrt");
        return 2;
    }
    ranges_file rf;
    co.quiet = 1;
    if (!ranges_file_load(ranges, &co, &rf)) return 1;
    vkc_onnx_model *m = onnx_cli_open(model);
    if (!m) {
        ranges_file_free(&rf);
        return 1;
    }
    info.ranges_name = ranges;
    info.warn = onnx_cli_warn;
    info.warn_user = &quiet;
    vkc_qdq_stats stats;
    vkc_msg msg = {{0}};
    vkc_status st = vkc_qdq_write(m, rf.v, rf.n, &info, out, &stats, &msg);
    if (st != VKC_OK) cli_error("%s", msg.text);
    else if (!quiet)
        fprintf(stderr,
                "vkcalib: wrote %s (%s, opset %lld): %u ops quantized, %u left in float; %u activation Q/DQ pairs, "
                "%u weights%s, %u int32 biases\n",
                out, vkc_qdq_target_name(info.target), (long long)stats.opset, stats.ops_quantized, stats.ops_float,
                stats.activations, stats.weights, stats.per_tensor_weights ? " (per tensor)" : " per channel",
                stats.biases);
    vkc_onnx_close(m);
    ranges_file_free(&rf);
    return st == VKC_OK ? 0 : 1;
}
