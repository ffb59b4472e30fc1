/* A range file for `vkcalib qdq`: a calibration (the JSON of `vkcalib
 * calibrate -o x.json`, or a TensorRT calibration cache) read with
 * vkc_calibration_read, or a histogram-round state file (.vkch) searched
 * here with the calibration settings given, loaded into the vkc_qdq_range
 * array the Q/DQ writer takes. */
#ifndef VKC_CLI_RANGES_FILE_H
#define VKC_CLI_RANGES_FILE_H

#include "calib.h"

typedef struct ranges_file {
    vkc_qdq_range *v;
    uint32_t n;
    vkc_calibration *cal;        /* a calibration read from a file, or */
    vkc_calibrator *searched;    /* the calibrator that searched a state */
    vkc_context *ctx;
} ranges_file;

/* o: the method, mode and flavor a state file is searched with. Prints its
 * own errors (naming the file and the tensor); 0 on failure. */
int ranges_file_load(const char *path, const calib_options *o, ranges_file *out);
void ranges_file_free(ranges_file *r);

#endif
