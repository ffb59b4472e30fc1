/* Tensor data and external data: checking a location against the model's
 * folder, reading float32 values from the mapping, float_data or an
 * external file (64-bit offsets). */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* realpath */
#endif
#include "onnx/model.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int onnx_parse_u64_text(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s) return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return 0;
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

/* A location must name a file inside the model's folder: relative, no
 * '..' component, no backslash, and its real path (symbolic links
 * resolved) below the folder's real path. */
vkc_status onnx_check_location(vkc_onnx_model *m, onnx_tensor *t, vkc_msg *msg)
{
    const char *loc = t->ext_location;
    const char *tn = t->name ? t->name : "";
    if (!loc || !*loc)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "%s: tensor '%s': external data without a location", m->path, tn);
    int dots = 0;
    if (loc[0] == '/' || strchr(loc, '\\')) dots = 1;
    for (const char *c = loc; *c && !dots;) {
        size_t n = strcspn(c, "/");
        if (n == 2 && c[0] == '.' && c[1] == '.') dots = 1;
        c += n;
        if (*c == '/') c++;
    }
    if (dots)
        return vkc_fail(msg, VKC_ERROR_FORMAT,
                        "%s: tensor '%s': external data location '%s' leaves the model's folder (absolute paths, "
                        "'..' and '\\' are refused)",
                        m->path, tn, loc);
    size_t n = strlen(m->dir) + 1 + strlen(loc) + 1;
    char *joined = malloc(n);
    if (!joined) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    snprintf(joined, n, "%s/%s", m->dir, loc);
    char *real = realpath(joined, NULL);
    int err = errno;
    free(joined);
    if (!real)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "%s: tensor '%s': external data file '%s': %s", m->path, tn, loc,
                        strerror(err));
    size_t dl = strlen(m->dir_real);
    int inside = strncmp(real, m->dir_real, dl) == 0 && (real[dl] == '/' || (dl == 1 && m->dir_real[0] == '/'));
    struct stat st;
    if (!inside) {
        free(real);
        return vkc_fail(msg, VKC_ERROR_FORMAT,
                        "%s: tensor '%s': external data location '%s' resolves outside the model's folder (a "
                        "symbolic link?)",
                        m->path, tn, loc);
    }
    if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
        free(real);
        return vkc_fail(msg, VKC_ERROR_FORMAT, "%s: tensor '%s': external data '%s' is not a regular file", m->path,
                        tn, loc);
    }
    uint64_t fsize = (uint64_t)st.st_size, end;
    if (!t->ext_length) {
        if (t->ext_offset > fsize) t->ext_length = UINT64_MAX; /* fails below */
        else t->ext_length = fsize - t->ext_offset;
    }
    if (!vkc_add_u64(t->ext_offset, t->ext_length, &end) || end > fsize) {
        free(real);
        return vkc_fail(msg, VKC_ERROR_FORMAT,
                        "%s: tensor '%s': external data '%s' offset %llu length %llu runs past its end (%llu bytes)",
                        m->path, tn, loc, (unsigned long long)t->ext_offset, (unsigned long long)t->ext_length,
                        (unsigned long long)fsize);
    }
    char *keep = onnx_arena_alloc(m, strlen(real) + 1);
    if (keep) strcpy(keep, real);
    free(real);
    if (!keep) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    t->ext_path = keep;
    return VKC_OK;
}

#define NEXT(r, f) (vkc_pb_next(&(r), &(f), &why, &at) > 0)

/* ---- reading ------------------------------------------------------------------ */

static vkc_status read_at(const char *path, uint64_t off, void *dst, uint64_t len, vkc_msg *msg)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return vkc_fail(msg, VKC_ERROR_IO, "%s: %s", path, strerror(errno));
    uint64_t done = 0;
    while (done < len) {
        size_t chunk = len - done > (1u << 30) ? (1u << 30) : (size_t)(len - done);
        ssize_t n = pread(fd, (char *)dst + done, chunk, (off_t)(off + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int err = n < 0 ? errno : EIO;
            close(fd);
            return vkc_fail(msg, VKC_ERROR_IO, "%s: read at %llu: %s", path, (unsigned long long)(off + done),
                            n < 0 ? strerror(err) : "file shorter than its external data reference");
        }
        done += (uint64_t)n;
    }
    close(fd);
    return VKC_OK;
}

vkc_status onnx_tensor_floats(const vkc_onnx_model *m, const onnx_tensor *t, float **out, vkc_msg *msg)
{
    *out = NULL;
    if (t->data_type != DT_FLOAT)
        return vkc_fail(msg, VKC_ERROR_UNSUPPORTED, "%s: tensor '%s' is not float32 (data type %d)", m->path, t->name,
                        t->data_type);
    uint64_t bytes;
    if (!vkc_mul_u64(t->count, 4, &bytes) || bytes > SIZE_MAX)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "%s: tensor '%s' is too large", m->path, t->name);
    float *v = malloc(bytes ? (size_t)bytes : 1);
    if (!v) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: tensor '%s': out of memory", m->path, t->name);
    vkc_status st = VKC_OK;
    if (t->at == DATA_RAW || t->at == DATA_FLOATS_PACKED) {
        /* Lengths were checked against the shape when the model was opened. */
        for (uint64_t i = 0; i < t->count; i++) v[i] = vkc_bits_f32(vkc_ld32(m->buf + t->data_off + 4 * i));
    } else if (t->at == DATA_FLOATS) {
        const char *why = NULL;
        uint64_t at = 0, k = 0;
        vkc_pb_reader r = vkc_pb_reader_at(m->buf, t->msg_off, t->msg_len);
        vkc_pb_field f;
        while (NEXT(r, f))
            if (f.num == TENSOR_FLOAT_DATA && f.wt == VKC_PB_I32 && k < t->count) v[k++] = vkc_bits_f32((uint32_t)f.val);
        if (k != t->count) st = vkc_fail(msg, VKC_ERROR_FORMAT, "%s: tensor '%s': float_data does not match its shape", m->path, t->name);
    } else if (t->at == DATA_EXTERNAL) {
        st = read_at(t->ext_path, t->ext_offset, v, bytes, msg);
        for (uint64_t i = 0; st == VKC_OK && i < t->count; i++) v[i] = vkc_bits_f32(vkc_ld32((const uint8_t *)&v[i]));
    } else if (t->count != 0) {
        st = vkc_fail(msg, VKC_ERROR_FORMAT, "%s: tensor '%s' has no data", m->path, t->name);
    }
    if (st != VKC_OK) {
        free(v);
        return st;
    }
    *out = v;
    return VKC_OK;
}
