/* What the ONNX commands (qdq, tensors) and `calibrate --model` share:
 * opening a model with the error printed, the --target/--ops options, and
 * the check of a calibration set's names against a graph. */
#ifndef VKC_CLI_ONNX_H
#define VKC_CLI_ONNX_H

#include "dataset.h"

/* Prints the error itself; NULL on failure. */
vkc_onnx_model *onnx_cli_open(const char *path);

/* --target T, --ops LIST: 1 when argv[*i] was one (advancing past its
 * value), 0 when not, -1 on a usage error (printed). */
int onnx_cli_opt(int argc, char **argv, int *i, vkc_qdq_info *info);
#define ONNX_CLI_OPT_HELP                                                                          \
    "  --target T     tensorrt (default), onnxruntime or openvino: which tensors get\n"            \
    "                 Q/DQ pairs (onnxruntime/openvino: also the quantized ops'\n"                 \
    "                 outputs, so the runtime fuses them into integer kernels)\n"                  \
    "  --ops LIST     also quantize these ops besides Conv, ConvTranspose, Gemm and\n"            \
    "                 MatMul: comma-separated add, mul, avgpool, maxpool, concat, all\n"

/* The library's warnings, printed as the CLI's. */
void onnx_cli_warn(void *user, const char *text);

/* calibrate --model: every tensor of the calibration set must be a tensor
 * of the model's graph (else an error listing them), and the tensors the
 * TensorRT Q/DQ rewrite needs that the set lacks are warned about. Runs
 * before any data is read; prints its own messages; 0 on failure. */
int onnx_cli_check_dataset(const char *model_path, const dataset *ds, int quiet);
/* The same for the tensors of a calibrator (calibrate --from-state). */
int onnx_cli_check_calibrator(const char *model_path, const vkc_calibrator *cal, int quiet);

#endif
