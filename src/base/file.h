/* Whole-file reads with a size cap, for the small formats read in one
 * piece (calibration JSON, TensorRT caches, state files). */
#ifndef VKC_FILE_H
#define VKC_FILE_H

#include "base/common.h"

#include <stddef.h>

/* Reads path into *buf (NUL-terminated; *len bytes without the NUL; free
 * with free()). Errors name the file: VKC_ERROR_IO when it cannot be
 * opened or read, or is not a regular file (a directory, a FIFO: those are
 * never calibration files), VKC_ERROR_FORMAT when it is larger than
 * max_bytes. */
vkc_status vkc_read_file(const char *path, size_t max_bytes, char **buf, size_t *len, vkc_msg *msg);

#endif
