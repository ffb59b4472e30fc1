/* The zip container of .npz files: the central directory, member location
 * and validation. Reads through a vkc_blob (a file descriptor read with
 * pread, or a memory buffer), so a file is never loaded whole. Decoding a
 * member's bytes (stored or deflated, CRC-32) is source.c's job.
 *
 * Deliberately unsupported, each a clear error: zip64 archives or members
 * in the central directory, encryption, methods other than stored (0) and
 * deflated (8), multi-disk archives. A zip64 extra record in a local header
 * is accepted because numpy's savez always writes one (force_zip64=True)
 * while the central directory holds the real 32-bit sizes. */
#ifndef VKC_NPZ_H
#define VKC_NPZ_H

#include "base/common.h"

#include <stddef.h>
#include <stdint.h>

/* Random-access bytes: mem when not NULL, else fd. */
typedef struct vkc_blob {
    int fd;
    const uint8_t *mem;
    uint64_t size;
} vkc_blob;

/* Reads exactly n bytes at off. VKC_ERROR_FORMAT when the range passes the
 * end, VKC_ERROR_IO on a read error or a file that shrank. The message has
 * no file name. */
vkc_status vkc_blob_read(const vkc_blob *b, uint64_t off, void *dst, size_t n, vkc_msg *msg);

typedef struct vkc_zip_entry {
    const char *name;       /* member name, NUL-terminated (no NUL inside) */
    const char *key;        /* name without a trailing ".npy" */
    uint16_t method;        /* 0 stored, 8 deflated */
    uint16_t flags;
    uint32_t crc;
    uint64_t csize, usize;  /* compressed and uncompressed bytes */
    uint64_t local_offset;  /* of the local header */
} vkc_zip_entry;

typedef struct vkc_zip {
    uint32_t count;
    vkc_zip_entry *entries;
    char *strings;          /* names and keys */
    uint64_t cd_offset;     /* members must end before the central directory */
} vkc_zip;

/* Reads and checks the end record and the central directory. Directory
 * entries ("name/") are skipped. On failure *out is left empty. */
vkc_status vkc_zip_read_directory(const vkc_blob *b, vkc_zip *out, vkc_msg *msg);

/* Reads member i's local header, checks it against the central directory
 * and returns where its (compressed) data starts. */
vkc_status vkc_zip_member_data(const vkc_blob *b, const vkc_zip *z, uint32_t i, uint64_t *data_offset,
                               vkc_msg *msg);

void vkc_zip_free(vkc_zip *z);

#endif
