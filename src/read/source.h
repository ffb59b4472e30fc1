/* Streaming tensor sources: a .npy file, a raw float32 file, an .npy in
 * memory, or a member of an .npz, read in pieces of the caller's choosing
 * so that no file is ever loaded whole. Every message names the file (and
 * the npz member, as "path[member]") and says what is wrong. */
#ifndef VKC_SOURCE_H
#define VKC_SOURCE_H

#include "read/npy.h"

#include <stdint.h>

/* The readers themselves are public (vkcalib.h: vkc_source_*, vkc_npz_*). */

/* Tests only: sets the size of the internal read and inflate buffers (at
 * least 1 byte; default 256 KiB) so that small files cross every internal
 * boundary, then rewinds. */
vkc_status vkc_source_set_chunk_bytes(vkc_source *s, size_t bytes, vkc_msg *msg);

#endif
