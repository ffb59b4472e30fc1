/* Streaming tensor sources: a .npy file, a raw float32 file, an .npy in
 * memory, or a member of an .npz, read in pieces of the caller's choosing
 * so that no file is ever loaded whole. Every message names the file (and
 * the npz member, as "path[member]") and says what is wrong. */
#ifndef VKC_SOURCE_H
#define VKC_SOURCE_H

#include "read/npy.h"

#include <stdint.h>

typedef struct vkc_source vkc_source;

vkc_status vkc_source_open_npy(const char *path, vkc_source **out, vkc_msg *msg);
/* Raw little-endian float32; the file must be exactly 4 * count bytes. */
vkc_status vkc_source_open_raw(const char *path, uint64_t count, vkc_source **out, vkc_msg *msg);
/* An .npy image in memory, for fuzzing and tests. Does not copy: buf must
 * outlive the source. Messages call it "<memory>". */
vkc_status vkc_source_open_mem_npy(const void *buf, size_t len, vkc_source **out, vkc_msg *msg);

typedef struct vkc_npz vkc_npz;

/* Reads the archive's directory only; members are read on demand. */
vkc_status vkc_npz_open(const char *path, vkc_npz **out, vkc_msg *msg);
/* Does not copy: buf must outlive the archive and its sources. */
vkc_status vkc_npz_open_mem(const void *buf, size_t len, vkc_npz **out, vkc_msg *msg);
uint32_t vkc_npz_count(const vkc_npz *z);
/* Member name without its trailing ".npy"; NULL when i is out of range. */
const char *vkc_npz_key(const vkc_npz *z, uint32_t i);
/* Index of key, or UINT32_MAX. */
uint32_t vkc_npz_find(const vkc_npz *z, const char *key);
/* A source over member i's .npy: checks its local header, parses its .npy
 * header, then streams (inflating incrementally) and checks the CRC-32 when
 * the last byte is read. The source keeps its own file descriptor, so it
 * may outlive the archive (a memory archive's buffer must still live). */
vkc_status vkc_npz_source(vkc_npz *z, uint32_t i, vkc_source **out, vkc_msg *msg);
void vkc_npz_close(vkc_npz *z);

uint64_t vkc_source_count(const vkc_source *s);
vkc_npy_type vkc_source_dtype(const vkc_source *s);
const vkc_npy_header *vkc_source_header(const vkc_source *s);
/* "path" or "path[member]", for the caller's own messages. */
const char *vkc_source_name(const vkc_source *s);

/* Reads up to max elements converted to float32; *got = 0 at the end.
 * Errors (a short file, a CRC mismatch at the end of a member, I/O errors)
 * name the file and member. After an error, reads fail until a rewind. */
vkc_status vkc_source_read_f32(vkc_source *s, float *dst, uint64_t max, uint64_t *got, vkc_msg *msg);
/* Reads up to max elements in the file's own dtype as raw little-endian
 * bytes (float16 for a GPU that histograms it without widening). */
vkc_status vkc_source_read_raw(vkc_source *s, void *dst, uint64_t max, uint64_t *got, vkc_msg *msg);
/* Reads up to max elements as uint64 histogram counts; VKC_ERROR_FORMAT
 * naming the file and element for a negative or fractional value. */
vkc_status vkc_source_read_u64(vkc_source *s, uint64_t *dst, uint64_t max, uint64_t *got, vkc_msg *msg);
/* Back to the first element (the calibration makes two passes). */
vkc_status vkc_source_rewind(vkc_source *s, vkc_msg *msg);
void vkc_source_close(vkc_source *s);

/* Tests only: sets the size of the internal read and inflate buffers (at
 * least 1 byte; default 256 KiB) so that small files cross every internal
 * boundary, then rewinds. */
vkc_status vkc_source_set_chunk_bytes(vkc_source *s, size_t bytes, vkc_msg *msg);

#endif
