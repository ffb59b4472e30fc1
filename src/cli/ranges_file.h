/* A range file for `vkcalib qdq`: the vkcalib-calibration JSON that
 * `vkcalib calibrate -o x.json` writes, or a TensorRT calibration cache,
 * loaded into the vkc_qdq_range array the Q/DQ writer takes. (.vkch state
 * files hold statistics, not ranges: they are refused with the command that
 * turns one into JSON.) */
#ifndef VKC_CLI_RANGES_FILE_H
#define VKC_CLI_RANGES_FILE_H

#include "onnx/onnx.h"

typedef struct ranges_file {
    vkc_qdq_range *v;
    uint32_t n;
    void *owner;      /* the parsed file the names point into */
    int kind;         /* 0 JSON, 1 TensorRT cache */
} ranges_file;

/* Prints its own errors (naming the file and the tensor); 0 on failure. */
int ranges_file_load(const char *path, ranges_file *out);
void ranges_file_free(ranges_file *r);

#endif
