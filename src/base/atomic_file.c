/* realpath is XSI, not base POSIX. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include "base/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- test hook --------------------------------------------------------- */

enum vkc_io_step { STEP_NONE, STEP_WRITE, STEP_FSYNC, STEP_CLOSE, STEP_RENAME, STEP_DIRSYNC };

typedef struct vkc_io_fault {
    enum vkc_io_step step;
    size_t write_after; /* STEP_WRITE: bytes allowed before the failure */
} vkc_io_fault;

static vkc_io_fault vkc_io_fault_get(void)
{
    vkc_io_fault f = {STEP_NONE, 0};
#ifdef VKC_TEST_HOOKS /* a shipped build has no fault injection at all */
    const char *s = getenv(VKC_TEST_IO_FAIL_ENV);
    if (!s) return f;
    if (strcmp(s, "write") == 0) f.step = STEP_WRITE;
    else if (strncmp(s, "write:", 6) == 0) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(s + 6, &end, 10);
        if (end != s + 6 && *end == 0 && errno == 0 && s[6] != '-') {
            f.step = STEP_WRITE;
            f.write_after = n > SIZE_MAX ? SIZE_MAX : (size_t)n;
        }
    } else if (strcmp(s, "fsync") == 0) f.step = STEP_FSYNC;
    else if (strcmp(s, "close") == 0) f.step = STEP_CLOSE;
    else if (strcmp(s, "rename") == 0) f.step = STEP_RENAME;
    else if (strcmp(s, "dirsync") == 0) f.step = STEP_DIRSYNC;
#endif
    return f;
}

/* ---- helpers ----------------------------------------------------------- */

/* Thread-safe strerror: the library may run on several threads. */
static const char *vkc_errstr(int err, char *buf, size_t size, int injected)
{
    if (strerror_r(err, buf, size) != 0) snprintf(buf, size, "error %d", err);
    if (injected) {
        size_t n = strlen(buf);
        snprintf(buf + n, size - n, " (injected by %s)", VKC_TEST_IO_FAIL_ENV);
    }
    return buf;
}

/* Splits path into a freshly allocated directory ("." when there is no
 * slash) and a pointer to the base name inside path. */
static char *vkc_dir_of(const char *path, const char **base)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        *base = path;
        return strdup(".");
    }
    *base = slash + 1;
    size_t n = slash == path ? 1 : (size_t)(slash - path); /* "/x" -> "/" */
    char *dir = malloc(n + 1);
    if (!dir) return NULL;
    memcpy(dir, path, n);
    dir[n] = 0;
    return dir;
}

/* Six name characters from the clock, the pid, a stack address and the
 * attempt number. Uniqueness is enforced by O_EXCL, not by this; it only
 * has to make collisions (and retries) rare without shared state. */
static void vkc_tmp_suffix(char out[7], unsigned attempt)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    struct timespec ts = {0, 0};
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t z = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
                 ((uint64_t)getpid() << 17) ^ (uint64_t)(uintptr_t)&ts ^
                 ((uint64_t)attempt * 0x9e3779b97f4a7c15ull);
    /* splitmix64 finaliser: spread the low-entropy inputs over all bits. */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    for (int i = 0; i < 6; i++) {
        out[i] = alphabet[z % 62];
        z /= 62;
    }
    out[6] = 0;
}

/* Creates dir/.<base>.XXXXXX.tmp exclusively. Returns the fd (or -1 with
 * errno set) and the name in *tmp_out. */
static int vkc_tmp_create(const char *dir, const char *base, char **tmp_out)
{
    /* Keep the temporary name within NAME_MAX (255) for long base names. */
    size_t blen = strlen(base);
    if (blen > 200) blen = 200;
    size_t dlen = strlen(dir);
    size_t size = dlen + 1 + 1 + blen + 1 + 6 + 4 + 1;
    char *tmp = malloc(size);
    if (!tmp) {
        errno = ENOMEM;
        return -1;
    }
    for (unsigned attempt = 0; attempt < 100; attempt++) {
        char sfx[7];
        vkc_tmp_suffix(sfx, attempt);
        snprintf(tmp, size, "%s/.%.*s.%s.tmp", dir, (int)blen, base, sfx);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            *tmp_out = tmp;
            return fd;
        }
        if (errno != EEXIST) break;
    }
    int err = errno;
    free(tmp);
    errno = err;
    return -1;
}

static int vkc_write_all(int fd, const char *p, size_t len, const vkc_io_fault *f,
                         int *injected)
{
    size_t done = 0;
    while (done < len) {
        size_t chunk = len - done;
        if (chunk > (size_t)1 << 30) chunk = (size_t)1 << 30;
        if (f->step == STEP_WRITE) {
            if (done >= f->write_after) {
                *injected = 1;
                errno = ENOSPC;
                return -1;
            }
            if (chunk > f->write_after - done) chunk = f->write_after - done;
        }
        ssize_t n = write(fd, p + done, chunk);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) { /* should not happen for regular files; avoid spinning */
            errno = EIO;
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

/* Why a step failed, for the message. */
typedef struct vkc_io_error {
    const char *what;
    int err;
    int injected;
} vkc_io_error;

static int vkc_io_failed(vkc_io_error *e, const char *what, int err, int injected)
{
    e->what = what;
    e->err = err;
    e->injected = injected;
    return -1;
}

/* Writes, syncs and closes the temporary file, checking each: a full disk
 * shows up at any of the three depending on the filesystem. Always closes
 * fd. */
static int vkc_tmp_fill(int fd, const void *data, size_t len, const vkc_io_fault *f,
                        vkc_io_error *e)
{
    int injected = 0;
    if (vkc_write_all(fd, data, len, f, &injected) != 0) {
        int err = errno;
        close(fd);
        return vkc_io_failed(e, "cannot write temporary file", err, injected);
    }
    int rc = fsync(fd);
    int err = errno;
    if (f->step == STEP_FSYNC) {
        rc = -1;
        err = ENOSPC;
        injected = 1;
    }
    /* EINVAL: a file that cannot be synced; there is nothing more to do. */
    if (rc != 0 && err != EINVAL) {
        close(fd);
        return vkc_io_failed(e, "cannot sync temporary file", err, injected);
    }
    rc = close(fd);
    err = errno;
    if (f->step == STEP_CLOSE) {
        rc = -1;
        err = ENOSPC;
        injected = 1;
    }
    /* After a successful fsync, EINTR from close cannot lose data, and on
     * Linux the descriptor is gone either way: never retry close. */
    if (rc != 0 && err != EINTR)
        return vkc_io_failed(e, "cannot close temporary file", err, injected);
    return 0;
}

static int vkc_tmp_rename(const char *tmp, const char *target, const vkc_io_fault *f,
                          vkc_io_error *e)
{
    if (f->step == STEP_RENAME) return vkc_io_failed(e, "cannot rename temporary file", EIO, 1);
    if (rename(tmp, target) != 0) return vkc_io_failed(e, "cannot rename temporary file", errno, 0);
    return 0;
}

/* Best effort: a directory that cannot be opened (no read permission) or
 * a filesystem without directory fsync is accepted; an I/O error is not. */
static int vkc_fsync_dir(const char *dir, const vkc_io_fault *f, int *injected)
{
    if (f->step == STEP_DIRSYNC) {
        *injected = 1;
        errno = EIO;
        return -1;
    }
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    int rc = fsync(fd);
    int err = errno;
    close(fd);
    if (rc != 0 && err != EINVAL && err != EROFS) {
        errno = err;
        return -1;
    }
    return 0;
}

/* ---- the write --------------------------------------------------------- */

typedef struct vkc_target {
    char *resolved; /* the path to replace after following a symlink */
    int exists;
    mode_t mode;
} vkc_target;

static vkc_status vkc_target_find(const char *path, vkc_target *t, vkc_msg *msg)
{
    char eb[256];
    struct stat st;
    t->resolved = NULL;
    t->exists = 0;
    t->mode = 0;
    if (lstat(path, &st) != 0) {
        if (errno != ENOENT)
            return vkc_fail(msg, VKC_ERROR_IO, "%s: %s", path,
                            vkc_errstr(errno, eb, sizeof eb, 0));
        t->resolved = strdup(path);
        if (!t->resolved) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
        return VKC_OK;
    }
    if (S_ISLNK(st.st_mode)) {
        t->resolved = realpath(path, NULL);
        if (!t->resolved)
            return vkc_fail(msg, VKC_ERROR_IO, "%s: cannot follow symbolic link: %s", path,
                            vkc_errstr(errno, eb, sizeof eb, 0));
        if (stat(t->resolved, &st) != 0) {
            int err = errno;
            free(t->resolved);
            t->resolved = NULL;
            return vkc_fail(msg, VKC_ERROR_IO, "%s: %s", path, vkc_errstr(err, eb, sizeof eb, 0));
        }
    } else {
        t->resolved = strdup(path);
        if (!t->resolved) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
    }
    if (!S_ISREG(st.st_mode)) {
        free(t->resolved);
        t->resolved = NULL;
        return vkc_fail(msg, VKC_ERROR_IO,
                        "%s: exists and is not a regular file (%s); refusing to replace it",
                        path,
                        S_ISDIR(st.st_mode)   ? "a directory"
                        : S_ISCHR(st.st_mode) ? "a character device"
                        : S_ISBLK(st.st_mode) ? "a block device"
                        : S_ISFIFO(st.st_mode) ? "a FIFO"
                        : S_ISSOCK(st.st_mode) ? "a socket"
                                               : "a special file");
    }
    t->exists = 1;
    t->mode = st.st_mode & 07777;
    return VKC_OK;
}

vkc_status vkc_atomic_write(const char *path, const void *data, size_t len, vkc_msg *msg)
{
    char eb[256];
    if (!path || !*path)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "atomic write: empty output path");
    if (path[strlen(path) - 1] == '/')
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: names a directory, not a file", path);
    if (!data && len)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: no data to write", path);

    vkc_io_fault fault = vkc_io_fault_get();
    vkc_target t;
    vkc_status st = vkc_target_find(path, &t, msg);
    if (st != VKC_OK) return st;

    const char *base;
    char *dir = vkc_dir_of(t.resolved, &base);
    if (!dir) {
        free(t.resolved);
        return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
    }

    char *tmp = NULL;
    int fd = vkc_tmp_create(dir, base, &tmp);
    if (fd < 0) {
        st = vkc_fail(msg, VKC_ERROR_IO, "%s: cannot create a temporary file in '%s': %s", path,
                      dir, vkc_errstr(errno, eb, sizeof eb, 0));
        free(dir);
        free(t.resolved);
        return st;
    }
    /* Keep the mode of the file being replaced; failure only costs the
     * mode, never the data, so it is not an error. */
    if (t.exists) (void)fchmod(fd, t.mode);

    vkc_io_error e = {NULL, 0, 0};
    if (vkc_tmp_fill(fd, data, len, &fault, &e) != 0 ||
        vkc_tmp_rename(tmp, t.resolved, &fault, &e) != 0) {
        unlink(tmp);
        st = vkc_fail(msg, VKC_ERROR_IO, "%s: %s '%s': %s", path, e.what, tmp,
                      vkc_errstr(e.err, eb, sizeof eb, e.injected));
        goto done;
    }
    if (vkc_fsync_dir(dir, &fault, &e.injected) != 0) {
        st = vkc_fail(msg, VKC_ERROR_IO,
                      "%s: written, but syncing directory '%s' failed, so it may not survive "
                      "a crash: %s",
                      path, dir, vkc_errstr(errno, eb, sizeof eb, e.injected));
        goto done;
    }
    st = VKC_OK;
done:
    free(tmp);
    free(dir);
    free(t.resolved);
    return st;
}

vkc_status vkc_write_file_atomic(const char *path, const void *data, size_t len, vkc_msg *msg)
{
    return vkc_atomic_write(path, data, len, msg);
}

/* ---- the streamed write ------------------------------------------------- */

struct vkc_atomic_stream {
    char *path;      /* as the caller named it, for messages */
    vkc_target t;
    char *dir, *tmp;
    int fd;
    uint64_t written;
    vkc_io_fault fault;
};

void vkc_atomic_abort(vkc_atomic_stream *s)
{
    if (!s) return;
    if (s->fd >= 0) close(s->fd);
    if (s->tmp) unlink(s->tmp);
    free(s->tmp);
    free(s->dir);
    free(s->t.resolved);
    free(s->path);
    free(s);
}

vkc_status vkc_atomic_begin(const char *path, vkc_atomic_stream **out, vkc_msg *msg)
{
    char eb[256];
    *out = NULL;
    if (!path || !*path)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "atomic write: empty output path");
    if (path[strlen(path) - 1] == '/')
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: names a directory, not a file", path);
    vkc_atomic_stream *s = calloc(1, sizeof *s);
    if (!s) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
    s->fd = -1;
    s->fault = vkc_io_fault_get();
    s->path = strdup(path);
    vkc_status st = s->path ? vkc_target_find(path, &s->t, msg)
                            : vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
    const char *base = NULL;
    if (st == VKC_OK) {
        s->dir = vkc_dir_of(s->t.resolved, &base);
        if (!s->dir) st = vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
    }
    if (st == VKC_OK) {
        s->fd = vkc_tmp_create(s->dir, base, &s->tmp);
        if (s->fd < 0)
            st = vkc_fail(msg, VKC_ERROR_IO, "%s: cannot create a temporary file in '%s': %s", path, s->dir,
                          vkc_errstr(errno, eb, sizeof eb, 0));
    }
    if (st != VKC_OK) {
        vkc_atomic_abort(s);
        return st;
    }
    if (s->t.exists) (void)fchmod(s->fd, s->t.mode);
    *out = s;
    return VKC_OK;
}

vkc_status vkc_atomic_append(vkc_atomic_stream *s, const void *data, size_t len, vkc_msg *msg)
{
    char eb[256];
    if (s->fd < 0) return vkc_fail(msg, VKC_ERROR_IO, "%s: write after a failure", s->path);
    /* The hook's byte count is over the whole stream. */
    vkc_io_fault f = s->fault;
    if (f.step == STEP_WRITE) f.write_after = f.write_after > s->written ? f.write_after - (size_t)s->written : 0;
    int injected = 0;
    if (vkc_write_all(s->fd, data, len, &f, &injected) != 0)
        return vkc_fail(msg, VKC_ERROR_IO, "%s: cannot write temporary file '%s': %s", s->path, s->tmp,
                        vkc_errstr(errno, eb, sizeof eb, injected));
    s->written += len;
    return VKC_OK;
}

vkc_status vkc_atomic_commit(vkc_atomic_stream *s, vkc_msg *msg)
{
    char eb[256];
    vkc_io_error e = {NULL, 0, 0};
    vkc_status st = VKC_OK;
    int fd = s->fd;
    s->fd = -1; /* vkc_tmp_fill closes it whatever happens */
    if (vkc_tmp_fill(fd, NULL, 0, &s->fault, &e) != 0 || vkc_tmp_rename(s->tmp, s->t.resolved, &s->fault, &e) != 0) {
        st = vkc_fail(msg, VKC_ERROR_IO, "%s: %s '%s': %s", s->path, e.what, s->tmp,
                      vkc_errstr(e.err, eb, sizeof eb, e.injected));
    } else {
        free(s->tmp);
        s->tmp = NULL; /* renamed: nothing to remove */
        if (vkc_fsync_dir(s->dir, &s->fault, &e.injected) != 0)
            st = vkc_fail(msg, VKC_ERROR_IO,
                          "%s: written, but syncing directory '%s' failed, so it may not survive a crash: %s",
                          s->path, s->dir, vkc_errstr(errno, eb, sizeof eb, e.injected));
    }
    vkc_atomic_abort(s);
    return st;
}
