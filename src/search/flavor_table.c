/* The flavours' defaults table (flavor.h: vkc_flavor_get, vkc_flavor_find):
 * bins, levels, histogram kind, arithmetic and source of every tool's
 * entropy. Its own module because names and defaults are needed by code that
 * never searches (the range policy's names, state and ONNX readers, and the
 * fuzz targets that link only the parsers). */
#include "search/flavor.h"

#include <string.h>

/* ------------------------------------------------------------------------ */
/* Defaults                                                                 */

static const vkc_flavor_info kFlavors[VKC_FLAVOR_COUNT] = {
    {VKC_FLAVOR_MODELOPT, "modelopt", VKC_FAMILY_MODELOPT, VKC_HIST_ABS, 2048, 128, VKC_ARITH_DOUBLE_REF, 0, 0,
     "NVIDIA Model Optimizer _compute_amax_entropy (DESIGN.md §2)"},
    {VKC_FLAVOR_TENSORRT, "tensorrt", VKC_FAMILY_MODELOPT, VKC_HIST_ABS, 2048, 128, VKC_ARITH_DOUBLE_REF, 0, 0,
     "TensorRT's entropy calibrator, threshold (i + 0.5) w"},
    {VKC_FLAVOR_MXNET, "mxnet", VKC_FAMILY_MXNET, VKC_HIST_NUMPY, 8001, 255, VKC_ARITH_F32_SEQ, 0, 0,
     "apache/mxnet src/operator/quantization/calibrate.cc (1.6 to master)"},
    {VKC_FLAVOR_MXNET_UINT8, "mxnet-uint8", VKC_FAMILY_MXNET, VKC_HIST_NUMPY, 8001, 255, VKC_ARITH_F32_SEQ, 1, 0,
     "mxnet with quantized_dtype uint8: 511 levels and [0, T] for min >= 0"},
    {VKC_FLAVOR_MXNET15, "mxnet-1.5", VKC_FAMILY_MXNET15, VKC_HIST_NUMPY, 8001, 255, VKC_ARITH_F32_NUMPY, 0, 0,
     "apache/mxnet 1.5.1 python/mxnet/contrib/quantization.py _get_optimal_threshold"},
    {VKC_FLAVOR_MXNET15_UINT8, "mxnet-1.5-uint8", VKC_FAMILY_MXNET15, VKC_HIST_NUMPY, 8001, 255,
     VKC_ARITH_F32_NUMPY, 1, 0, "mxnet-1.5 with quantized_dtype uint8 (or auto)"},
    {VKC_FLAVOR_TVM, "tvm", VKC_FAMILY_MXNET, VKC_HIST_NUMPY, 8001, 255, VKC_ARITH_F32_SEQ, 0, 0,
     "apache/tvm src/relay/quantize/calibrate.cc MinimizeKL (a port of mxnet's op)"},
    {VKC_FLAVOR_ORT, "onnxruntime", VKC_FAMILY_ORT, VKC_HIST_NUMPY, 128, 128, VKC_ARITH_F32_NUMPY, 0, 1,
     "microsoft/onnxruntime python/tools/quantization/calibrate.py HistogramCollector (defaults)"},
    {VKC_FLAVOR_ORT_2048, "onnxruntime-2048", VKC_FAMILY_ORT, VKC_HIST_NUMPY, 2048, 128, VKC_ARITH_F32_NUMPY, 0, 1,
     "onnxruntime, num_bins 2048, num_quantized_bins 128"},
    {VKC_FLAVOR_ORT_8001, "onnxruntime-8001", VKC_FAMILY_ORT, VKC_HIST_NUMPY, 8001, 255, VKC_ARITH_F32_NUMPY, 0, 1,
     "onnxruntime, num_bins 8001, num_quantized_bins 255"},
    {VKC_FLAVOR_NCNN, "ncnn", VKC_FAMILY_NCNN, VKC_HIST_NCNN, 2048, 128, VKC_ARITH_F32_SEQ, 0, 0,
     "Tencent/ncnn tools/quantize/ncnn2table.cpp quantize_KL"},
    {VKC_FLAVOR_NCNN_ACIQ, "ncnn-aciq", VKC_FAMILY_NCNN_ACIQ, VKC_HIST_NCNN, 2048, 128, VKC_ARITH_F64, 0, 0,
     "Tencent/ncnn tools/quantize/ncnn2table.cpp compute_aciq_gaussian_clip"},
    {VKC_FLAVOR_MNN, "mnn", VKC_FAMILY_MNN, VKC_HIST_MNN, 2048, 128, VKC_ARITH_F32_SEQ, 0, 0,
     "alibaba/MNN tools/quantization/TensorStatistic.cpp _computeThreshold"},
    {VKC_FLAVOR_PADDLE, "paddle", VKC_FAMILY_PADDLE, VKC_HIST_PADDLE, 2048, 127, VKC_ARITH_F64, 0, 0,
     "PaddlePaddle/Paddle python/paddle/static/quantization/cal_kl_threshold.py"},
    {VKC_FLAVOR_PPQ, "ppq", VKC_FAMILY_PPQ, VKC_HIST_TORCH, 4096, 128, VKC_ARITH_F64, 0, 0,
     "OpenPPL/ppq ppq/quantization/observer/range.py TorchHistObserver (KL in float64)"},
};

const vkc_flavor_info *vkc_flavor_get(vkc_flavor f)
{
    return (int)f >= 0 && (int)f < VKC_FLAVOR_COUNT ? &kFlavors[f] : NULL;
}

const vkc_flavor_info *vkc_flavor_find(const char *name)
{
    for (int k = 0; name && k < VKC_FLAVOR_COUNT; k++)
        if (!strcmp(kFlavors[k].name, name)) return &kFlavors[k];
    return NULL;
}
