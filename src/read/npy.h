/* .npy headers and element conversion, over memory only (no files here, so
 * that the fuzzers reach every branch). Format:
 * https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html */
#ifndef VKC_NPY_H
#define VKC_NPY_H

#include "base/common.h"

#include <stddef.h>
#include <stdint.h>

/* vkc_npy_type, vkc_npy_header and their helpers are public (vkcalib.h). */

/* Longest header accepted (numpy writes well under 1 KiB; a larger length
 * is a corrupt or hostile file, and we never want to buffer more). */
#define VKC_NPY_MAX_HEADER (1u << 20)
/* Bytes of the fixed prefix (magic, version, header length) that
 * vkc_npy_header_bytes needs. */
#define VKC_NPY_PREFIX 12


/* From the first min(len, VKC_NPY_PREFIX) bytes of a file of file_size
 * bytes: the size of the whole header (the data offset), so that a
 * streaming caller knows how much to read before vkc_npy_parse_header.
 * VKC_ERROR_FORMAT for a bad magic or version, a header longer than
 * VKC_NPY_MAX_HEADER, or one that runs past file_size. */
vkc_status vkc_npy_header_bytes(const void *buf, size_t len, uint64_t file_size,
                                uint64_t *header_bytes, vkc_msg *msg);

/* buf holds the first len bytes of a file of file_size bytes (len <=
 * file_size). Parses and checks the header, including that the data that
 * follows is exactly as long as the header declares. Returns
 * VKC_ERROR_FORMAT with a message on any problem in the file (no file name
 * in the message: the caller prefixes it); VKC_ERROR_INVALID_ARGUMENT when
 * the file may be fine but len does not cover its header (read
 * vkc_npy_header_bytes first) or len > file_size. */
vkc_status vkc_npy_parse_header(const void *buf, size_t len, uint64_t file_size,
                                vkc_npy_header *out, vkc_msg *msg);


/* Converts count little-endian elements at src (no alignment needed) to
 * float32: float16 exactly, float64 and the integer types rounded to
 * nearest. */
void vkc_convert_to_f32(vkc_npy_type dt, const void *src, uint64_t count, float *dst);

/* Converts count little-endian elements at src to uint64 (histogram
 * counts). VKC_ERROR_FORMAT, naming the first bad element, when a value is
 * negative, not an integer, NaN/Inf or not below 2^64. */
vkc_status vkc_convert_to_u64(vkc_npy_type dt, const void *src, uint64_t count, uint64_t *dst,
                              vkc_msg *msg);
/* The same, numbering elements from first_index in messages (for callers
 * that convert a long tensor in pieces). */
vkc_status vkc_convert_to_u64_at(vkc_npy_type dt, const void *src, uint64_t count, uint64_t first_index,
                                 uint64_t *dst, vkc_msg *msg);

#endif
