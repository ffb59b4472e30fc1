/* Atomic file replacement: readers of `path` see either the old content or
 * the new, never a half-written file (DESIGN.md §5).
 *
 * The data goes to a temporary file `.<base>.XXXXXX.tmp` in the directory of
 * `path` (same filesystem, so rename is atomic), which is written, fsync'd
 * and closed with every error checked (a full disk shows up at write, fsync
 * or close, depending on the filesystem), then renamed over `path`; the
 * directory is fsync'd so the rename itself survives a crash. On any failure
 * before the rename the temporary file is removed and an existing `path` is
 * left untouched.
 *
 * - An existing `path` keeps its permission bits (not its owner, nor its
 *   hard links: the file is replaced, not rewritten). A new file gets 0644
 *   less the umask.
 * - A symbolic link is followed: its target is replaced, the link stays
 *   (a dangling link is an error).
 * - An existing `path` that is not a regular file (a directory, a device
 *   such as /dev/full or /dev/stdout, a FIFO) is refused with
 *   VKC_ERROR_IO: renaming over it would replace the device node rather
 *   than write to it. Writing to standard output is the caller's business.
 * - If the directory cannot be fsync'd after the rename, the new content is
 *   in place but its durability is unknown: that is reported as
 *   VKC_ERROR_IO. Filesystems that do not support fsync on a directory
 *   (EINVAL) or a directory that cannot be opened for reading are accepted.
 *
 * Test hook, compiled only with -DVKC_TEST_HOOKS=ON (scripts/test.sh and CI
 * do; a shipped build has none): the environment variable
 * VKCALIB_TEST_IO_FAIL makes one step fail, so tests (C and CLI) can check
 * the cleanup paths without a full disk. Its value is one of
 *   write       the first write() fails with ENOSPC
 *   write:<n>   write() fails with ENOSPC once <n> bytes have been written
 *               (a partial temporary file exists at that point)
 *   fsync       fsync of the file fails with ENOSPC (delayed allocation)
 *   close       close fails with ENOSPC (NFS reports quota errors here)
 *   rename      rename fails with EIO
 *   dirsync     fsync of the directory fails with EIO (after the rename)
 * Any other value, or none, injects nothing. Messages of injected failures
 * say "(injected by VKCALIB_TEST_IO_FAIL)" so they are never mistaken for
 * real ones. */
#ifndef VKC_ATOMIC_FILE_H
#define VKC_ATOMIC_FILE_H

#include "base/common.h"

#include <stddef.h>

#define VKC_TEST_IO_FAIL_ENV "VKCALIB_TEST_IO_FAIL"

/* Errors name `path` and strerror: VKC_ERROR_INVALID_ARGUMENT for a NULL
 * or empty path or one ending in '/', VKC_ERROR_IO otherwise. */
vkc_status vkc_atomic_write(const char *path, const void *data, size_t len, vkc_msg *msg);

/* The same, streamed: for outputs too large to build in memory (ONNX
 * models). begin creates the temporary file; append writes to it; commit
 * syncs, closes and renames (the steps and errors of vkc_atomic_write);
 * abort removes the temporary file. After any error the stream is still
 * to be given to abort (commit frees it on success and on failure). The
 * test hook applies, write:<n> counting the bytes of all appends. */
typedef struct vkc_atomic_stream vkc_atomic_stream;
vkc_status vkc_atomic_begin(const char *path, vkc_atomic_stream **out, vkc_msg *msg);
vkc_status vkc_atomic_append(vkc_atomic_stream *s, const void *data, size_t len, vkc_msg *msg);
vkc_status vkc_atomic_commit(vkc_atomic_stream *s, vkc_msg *msg);
void vkc_atomic_abort(vkc_atomic_stream *s);

#endif
