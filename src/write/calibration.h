/* Calibration documents (vkcalib.h: vkc_calibration): the settings and the
 * per-tensor results of one calibration, however they came to be (computed
 * by a calibrator, read from a calibration JSON or a TensorRT cache), and
 * the writers of both formats. One module owns each format, reading and
 * writing: write/calib_json.c the JSON schema, write/trtcache.c the cache
 * lines; this one holds the document they share. */
#ifndef VKC_CALIBRATION_H
#define VKC_CALIBRATION_H

#include "base/common.h"
#include "base/strbuf.h"

struct vkc_calibration {
    vkc_calibration_settings settings;
    char *trt_algo, *producer;   /* owned copies behind settings' pointers */
    vkc_tensor_result *t;        /* names and counts owned (freed with the document) */
    uint32_t n, cap;
};

/* An empty document with the given settings (strings copied). NULL when out
 * of memory. */
vkc_calibration *vkc_calibration_new(const vkc_calibration_settings *settings);
/* Appends a copy of r: its name is copied; its counts are copied, or, with
 * take_counts, adopted (the document frees them, also on failure). */
vkc_status vkc_calibration_add(vkc_calibration *cal, const vkc_tensor_result *r, int take_counts, vkc_msg *msg);
/* Mutable access for the calibrator that built the document. */
vkc_tensor_result *vkc_calibration_at(vkc_calibration *cal, uint32_t t);

/* The JSON schema (write/calib_json.c): appends the document to out, or
 * parses buf into a new document (name names the file in messages). */
vkc_status vkc_calib_json_format(const vkc_calibration *cal, const vkc_write_info *info, vkc_buf *out,
                                 vkc_msg *msg);
vkc_status vkc_calib_json_parse(const char *buf, size_t len, const char *name, vkc_calibration **out,
                                vkc_msg *msg);

#endif
