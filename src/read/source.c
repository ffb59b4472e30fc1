/* Streaming sources over .npy files, raw float32 files, memory, and .npz
 * members. Two layers: a stream delivers the decoded bytes of one .npy
 * image in order (stored or inflated, CRC-checked when it comes from a zip),
 * and a source parses the header and converts elements. The .npz archive
 * (vkc_npz_*) is here too, past 600 lines, because its members are streams
 * of this file: it adds only the directory lookup (zip.c parses it). */
#define _FILE_OFFSET_BITS 64 /* files past 2 GiB on 32-bit hosts */
#include "read/source.h"

#include "read/zip.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define DEFAULT_CHUNK (256u << 10)
/* zlib counts bytes in 32 bits and Linux reads at most ~2 GiB at a time,
 * so big requests are served in pieces of this size. */
#define MAX_PIECE ((size_t)1 << 30)

/* Which members of an archive had their CRC-32 verified, shared by the
 * archive and its sources (a source may outlive the archive): the last
 * reference frees it. A member read again through the same archive, from a
 * file that has not changed since it was opened, is not checked again, so
 * the second pass of exact mode does not pay for a CRC it already checked
 * (39% of the CPU time of a stored .npz calibration, measured). */
typedef struct npz_verified {
    atomic_uint refs;
    uint32_t n;
    atomic_uchar v[];
} npz_verified;

static npz_verified *verified_new(uint32_t n)
{
    npz_verified *v = malloc(sizeof *v + (n ? n : 1));
    if (!v) return NULL;
    atomic_init(&v->refs, 1u);
    v->n = n;
    for (uint32_t i = 0; i < n; i++) atomic_init(&v->v[i], 0);
    return v;
}

static npz_verified *verified_ref(npz_verified *v)
{
    if (v) atomic_fetch_add(&v->refs, 1u);
    return v;
}

static void verified_unref(npz_verified *v)
{
    if (v && atomic_fetch_sub(&v->refs, 1u) == 1u) free(v);
}

typedef struct stream {
    vkc_blob blob;
    uint64_t start;      /* first (compressed) byte in the blob */
    uint64_t csize;      /* compressed bytes; equals usize when stored */
    uint64_t usize;      /* decoded bytes: the .npy image's size */
    int deflated;
    int check_crc;       /* zip members carry a CRC-32 of the decoded bytes */
    uint32_t expect_crc, crc;
    npz_verified *ver;   /* where a verified CRC is recorded (npz members), or NULL */
    uint32_t member;
    uint64_t cpos, upos; /* compressed bytes fetched, decoded bytes delivered */
    int finished;        /* end checks done */
    z_stream z;
    int z_live, z_ended;
    uint8_t *in;         /* compressed input */
    size_t in_cap;
} stream;

struct vkc_source {
    char *name;          /* "path" or "path[member]" */
    stream st;
    vkc_npy_header h;
    uint64_t pos;        /* elements delivered */
    size_t chunk;
    uint8_t *scratch;    /* chunk bytes for conversion and skipping */
    int owns_fd;
    vkc_status broken;   /* a failed read's status, until rewind */
};

struct vkc_npz {
    char *path;
    vkc_blob blob;       /* owns blob.fd for files; -1 once released */
    vkc_zip zip;
    uint32_t *by_key;    /* member indices sorted by key (vkc_npz_find) */
    struct stat id;      /* the file at open: device, inode, size, mtime */
    npz_verified *ver;   /* members whose CRC-32 was verified */
};

static const char *errno_text(int err, char *buf, size_t n)
{
    if (strerror_r(err, buf, n) != 0) snprintf(buf, n, "error %d", err);
    return buf;
}

static int host_is_le(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static char *dup_string(const char *a, const char *b)
{
    size_t n = strlen(a) + (b ? strlen(b) + 2 : 0) + 1;
    char *s = malloc(n);
    if (!s) return NULL;
    if (b) snprintf(s, n, "%s[%s]", a, b);
    else memcpy(s, a, n);
    return s;
}

/* Prefixes msg (written without a name by a lower layer) with name. */
static vkc_status named(const char *name, vkc_status st, vkc_msg *msg)
{
    if (msg && st != VKC_OK) {
        /* Truncation is fine: the start of the message matters most. */
        char inner[sizeof msg->text];
        size_t cap = sizeof msg->text, nl = strlen(name), il;
        memcpy(inner, msg->text, sizeof inner);
        inner[sizeof inner - 1] = 0;
        il = strlen(inner);
        if (nl > cap - 3) nl = cap - 3;
        memcpy(msg->text, name, nl);
        memcpy(msg->text + nl, ": ", 2);
        if (il > cap - 1 - nl - 2) il = cap - 1 - nl - 2;
        memcpy(msg->text + nl + 2, inner, il);
        msg->text[nl + 2 + il] = 0;
    }
    return st;
}

/* ---- streams --------------------------------------------------------------- */

static vkc_status stream_fill(stream *s, vkc_msg *msg)
{
    if (s->z.avail_in > 0 || s->cpos == s->csize) return VKC_OK;
    uint64_t left = s->csize - s->cpos;
    size_t n = left < s->in_cap ? (size_t)left : s->in_cap;
    vkc_status st = vkc_blob_read(&s->blob, s->start + s->cpos, s->in, n, msg);
    if (st != VKC_OK) return st;
    s->cpos += n;
    s->z.next_in = s->in;
    s->z.avail_in = (uInt)n;
    return VKC_OK;
}

static vkc_status inflate_error(stream *s, int r, vkc_msg *msg)
{
    if (r == Z_MEM_ERROR) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory inflating");
    return vkc_fail(msg, VKC_ERROR_FORMAT, "corrupt deflate data after %" PRIu64 " bytes (%s)", s->upos,
                    s->z.msg ? s->z.msg : zError(r));
}

/* Inflates exactly n (<= MAX_PIECE) bytes into dst. */
static vkc_status stream_inflate(stream *s, uint8_t *dst, size_t n, vkc_msg *msg)
{
    s->z.next_out = dst;
    s->z.avail_out = (uInt)n;
    while (s->z.avail_out > 0) {
        uint64_t have = s->upos + (n - s->z.avail_out);
        if (s->z_ended)
            return vkc_fail(msg, VKC_ERROR_FORMAT, "deflate data ends after %" PRIu64 " of %" PRIu64 " bytes", have,
                            s->usize);
        vkc_status st = stream_fill(s, msg);
        if (st != VKC_OK) return st;
        if (s->z.avail_in == 0)
            return vkc_fail(msg, VKC_ERROR_FORMAT, "compressed data is truncated after %" PRIu64 " of %" PRIu64
                            " bytes", have, s->usize);
        int r = inflate(&s->z, Z_NO_FLUSH);
        if (r == Z_STREAM_END) s->z_ended = 1;
        else if (r != Z_OK) return inflate_error(s, r, msg);
    }
    return VKC_OK;
}

/* After the last byte: the deflate stream must end exactly there, and the
 * CRC-32 must match. */
static vkc_status stream_finish(stream *s, vkc_msg *msg)
{
    s->finished = 1;
    while (s->deflated && !s->z_ended) {
        uint8_t extra;
        s->z.next_out = &extra;
        s->z.avail_out = 1;
        vkc_status st = stream_fill(s, msg);
        if (st != VKC_OK) return st;
        if (s->z.avail_in == 0)
            return vkc_fail(msg, VKC_ERROR_FORMAT, "compressed data is truncated (no end of the deflate stream)");
        int r = inflate(&s->z, Z_NO_FLUSH);
        if (s->z.avail_out == 0)
            return vkc_fail(msg, VKC_ERROR_FORMAT, "deflate data is longer than the %" PRIu64 " bytes declared",
                            s->usize);
        if (r == Z_STREAM_END) s->z_ended = 1;
        else if (r != Z_OK) return inflate_error(s, r, msg);
    }
    if (s->deflated && (s->z.avail_in != 0 || s->cpos != s->csize))
        return vkc_fail(msg, VKC_ERROR_FORMAT, "%" PRIu64 " bytes of compressed data follow the end of the deflate "
                        "stream", s->csize - s->cpos + s->z.avail_in);
    if (s->check_crc && s->crc != s->expect_crc)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "CRC-32 mismatch: data has %08" PRIx32 ", archive says %08" PRIx32,
                        s->crc, s->expect_crc);
    if (s->check_crc && s->ver) atomic_store(&s->ver->v[s->member], 1);
    return VKC_OK;
}

/* Delivers the next n decoded bytes (the caller keeps within usize). */
static vkc_status stream_read(stream *s, void *dst, uint64_t n, vkc_msg *msg)
{
    uint8_t *p = dst;
    if (n > s->usize - s->upos) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "read past the end of the data");
    while (n > 0) {
        size_t k = n > MAX_PIECE ? MAX_PIECE : (size_t)n;
        vkc_status st = s->deflated ? stream_inflate(s, p, k, msg)
                                    : vkc_blob_read(&s->blob, s->start + s->upos, p, k, msg);
        if (st != VKC_OK) return st;
        if (s->check_crc) s->crc = (uint32_t)crc32(s->crc, p, (uInt)k);
        s->upos += k;
        p += k;
        n -= k;
    }
    if (s->upos == s->usize && !s->finished) return stream_finish(s, msg);
    return VKC_OK;
}

static void stream_rewind(stream *s)
{
    s->upos = s->cpos = 0;
    s->crc = 0;
    s->finished = 0;
    s->z_ended = 0;
    if (s->z_live) {
        inflateReset(&s->z);
        s->z.next_in = s->in;
        s->z.avail_in = 0;
    }
}

static vkc_status stream_set_buffer(stream *s, size_t bytes, vkc_msg *msg)
{
    if (!s->deflated) return VKC_OK;
    uint8_t *in = realloc(s->in, bytes);
    if (!in) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    s->in = in;
    s->in_cap = bytes;
    if (!s->z_live) {
        memset(&s->z, 0, sizeof s->z);
        if (inflateInit2(&s->z, -MAX_WBITS) != Z_OK)
            return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "cannot initialise zlib");
        s->z_live = 1;
    }
    stream_rewind(s);
    return VKC_OK;
}

/* ---- sources ----------------------------------------------------------------- */

static vkc_status source_alloc(const char *name, const char *member, vkc_source **out, vkc_msg *msg)
{
    vkc_source *s = calloc(1, sizeof *s);
    if (s) s->name = dup_string(name, member);
    if (s) s->scratch = malloc(DEFAULT_CHUNK);
    if (!s || !s->name || !s->scratch) {
        if (s) free(s->name);
        free(s);
        return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory", name);
    }
    s->chunk = DEFAULT_CHUNK;
    s->st.blob.fd = -1;
    *out = s;
    return VKC_OK;
}

/* Reads the fixed prefix and then the header it sizes, never more, so the
 * stream stands at the first data byte. */
static vkc_status read_npy_header(vkc_source *s, vkc_msg *msg)
{
    stream *st = &s->st;
    uint8_t pre[VKC_NPY_PREFIX];
    size_t n = st->usize < 10 ? (size_t)st->usize : 10;
    vkc_status r = stream_read(st, pre, n, msg);
    if (r == VKC_OK && n == 10 && pre[6] >= 2 && st->usize >= 12) {
        r = stream_read(st, pre + 10, 2, msg);
        n = 12;
    }
    uint64_t hbytes = 0;
    if (r == VKC_OK) r = vkc_npy_header_bytes(pre, n, st->usize, &hbytes, msg);
    if (r != VKC_OK) return r;
    uint8_t *hbuf = malloc((size_t)hbytes);
    if (!hbuf) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    memcpy(hbuf, pre, n);
    r = stream_read(st, hbuf + n, hbytes - n, msg);
    if (r == VKC_OK) r = vkc_npy_parse_header(hbuf, (size_t)hbytes, st->usize, &s->h, msg);
    free(hbuf);
    return r;
}

static vkc_status source_start_npy(vkc_source *s, vkc_source **out, vkc_msg *msg)
{
    vkc_status r = stream_set_buffer(&s->st, s->chunk, msg);
    if (r == VKC_OK) r = read_npy_header(s, msg);
    if (r != VKC_OK) {
        named(s->name, r, msg);
        vkc_source_close(s);
        return r;
    }
    *out = s;
    return VKC_OK;
}

static vkc_status open_file(const char *path, vkc_blob *b, vkc_msg *msg)
{
    char e[128];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return vkc_fail(msg, VKC_ERROR_IO, "%s: cannot open: %s", path, errno_text(errno, e, sizeof e));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int err = errno;
        close(fd);
        return vkc_fail(msg, VKC_ERROR_IO, "%s: cannot stat: %s", path, errno_text(err, e, sizeof e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return vkc_fail(msg, VKC_ERROR_IO, "%s: not a regular file", path);
    }
    b->fd = fd;
    b->mem = NULL;
    b->size = (uint64_t)sb.st_size;
    return VKC_OK;
}

vkc_status vkc_source_open_npy(const char *path, vkc_source **out, vkc_msg *msg)
{
    vkc_source *s = NULL;
    if (!path || !out) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_source_open_npy: NULL argument");
    vkc_status r = source_alloc(path, NULL, &s, msg);
    if (r != VKC_OK) return r;
    if ((r = open_file(path, &s->st.blob, msg)) != VKC_OK) {
        vkc_source_close(s);
        return r;
    }
    s->owns_fd = 1;
    s->st.csize = s->st.usize = s->st.blob.size;
    return source_start_npy(s, out, msg);
}

vkc_status vkc_source_open_mem_npy(const void *buf, size_t len, vkc_source **out, vkc_msg *msg)
{
    vkc_source *s = NULL;
    if ((!buf && len) || !out) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_source_open_mem_npy: NULL argument");
    vkc_status r = source_alloc("<memory>", NULL, &s, msg);
    if (r != VKC_OK) return r;
    static const uint8_t empty[1];
    s->st.blob.mem = buf ? buf : empty;
    s->st.blob.size = len;
    s->st.csize = s->st.usize = len;
    return source_start_npy(s, out, msg);
}

vkc_status vkc_source_open_raw(const char *path, uint64_t count, vkc_source **out, vkc_msg *msg)
{
    vkc_source *s = NULL;
    uint64_t bytes;
    if (!path || !out) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_source_open_raw: NULL argument");
    if (!vkc_mul_u64(count, 4, &bytes))
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: %" PRIu64 " elements is too many", path, count);
    vkc_status r = source_alloc(path, NULL, &s, msg);
    if (r != VKC_OK) return r;
    if ((r = open_file(path, &s->st.blob, msg)) != VKC_OK) {
        vkc_source_close(s);
        return r;
    }
    s->owns_fd = 1;
    if (s->st.blob.size != bytes) {
        r = vkc_fail(msg, VKC_ERROR_FORMAT, "%s: raw float32 file is %" PRIu64 " bytes, %" PRIu64
                     " elements need %" PRIu64, path, s->st.blob.size, count, bytes);
        vkc_source_close(s);
        return r;
    }
    s->st.csize = s->st.usize = bytes;
    s->h.dtype = VKC_DT_F32;
    s->h.ndim = 1;
    s->h.shape[0] = count;
    s->h.count = count;
    s->h.data_bytes = bytes;
    *out = s;
    return VKC_OK;
}

uint64_t vkc_source_count(const vkc_source *s)
{
    return s->h.count;
}

vkc_npy_type vkc_source_dtype(const vkc_source *s)
{
    return s->h.dtype;
}

const vkc_npy_header *vkc_source_header(const vkc_source *s)
{
    return &s->h;
}

const char *vkc_source_name(const vkc_source *s)
{
    return s->name;
}

/* Common start of the read calls: how many elements this call delivers. */
static vkc_status read_begin(vkc_source *s, const void *dst, uint64_t max, uint64_t *got, uint64_t *n,
                             vkc_msg *msg)
{
    if (!s || !got || (!dst && max))
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_source_read: NULL argument");
    *got = 0;
    if (s->broken)
        return vkc_fail(msg, s->broken, "%s: an earlier read failed; rewind to read again", s->name);
    uint64_t left = s->h.count - s->pos;
    *n = max < left ? max : left;
    return VKC_OK;
}

static vkc_status read_failed(vkc_source *s, vkc_status r, vkc_msg *msg)
{
    s->broken = r;
    return named(s->name, r, msg);
}

vkc_status vkc_source_read_raw(vkc_source *s, void *dst, uint64_t max, uint64_t *got, vkc_msg *msg)
{
    uint64_t n = 0;
    vkc_status r = read_begin(s, dst, max, got, &n, msg);
    if (r != VKC_OK || n == 0) return r;
    r = stream_read(&s->st, dst, n * vkc_npy_type_size(s->h.dtype), msg);
    if (r != VKC_OK) return read_failed(s, r, msg);
    s->pos += n;
    *got = n;
    return VKC_OK;
}

/* Elements per conversion piece: as many as the scratch buffer holds. */
static uint64_t piece_elems(const vkc_source *s)
{
    size_t es = vkc_npy_type_size(s->h.dtype);
    return s->chunk >= es ? s->chunk / es : 1;
}

vkc_status vkc_source_read_f32(vkc_source *s, float *dst, uint64_t max, uint64_t *got, vkc_msg *msg)
{
    uint64_t n = 0;
    vkc_status r = read_begin(s, dst, max, got, &n, msg);
    if (r != VKC_OK || n == 0) return r;
    if (s->h.dtype == VKC_DT_F32 && host_is_le()) {
        r = stream_read(&s->st, dst, n * 4, msg);
    } else {
        size_t es = vkc_npy_type_size(s->h.dtype);
        for (uint64_t done = 0; done < n && r == VKC_OK; ) {
            uint64_t k = n - done < piece_elems(s) ? n - done : piece_elems(s);
            r = stream_read(&s->st, s->scratch, k * es, msg);
            if (r == VKC_OK) vkc_convert_to_f32(s->h.dtype, s->scratch, k, dst + done);
            done += k;
        }
    }
    if (r != VKC_OK) return read_failed(s, r, msg);
    s->pos += n;
    *got = n;
    return VKC_OK;
}

vkc_status vkc_source_read_u64(vkc_source *s, uint64_t *dst, uint64_t max, uint64_t *got, vkc_msg *msg)
{
    uint64_t n = 0;
    vkc_status r = read_begin(s, dst, max, got, &n, msg);
    if (r != VKC_OK || n == 0) return r;
    size_t es = vkc_npy_type_size(s->h.dtype);
    for (uint64_t done = 0; done < n && r == VKC_OK; ) {
        uint64_t k = n - done < piece_elems(s) ? n - done : piece_elems(s);
        r = stream_read(&s->st, s->scratch, k * es, msg);
        if (r == VKC_OK) r = vkc_convert_to_u64_at(s->h.dtype, s->scratch, k, s->pos + done, dst + done, msg);
        done += k;
    }
    if (r != VKC_OK) return read_failed(s, r, msg);
    s->pos += n;
    *got = n;
    return VKC_OK;
}

/* Back to the first data byte. A zip member's header is decoded again,
 * since neither inflate nor the CRC can skip. */
vkc_status vkc_source_rewind(vkc_source *s, vkc_msg *msg)
{
    if (!s) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_source_rewind: NULL source");
    stream *st = &s->st;
    stream_rewind(st);
    s->pos = 0;
    s->broken = VKC_OK;
    vkc_status r = VKC_OK;
    if (!st->deflated && !st->check_crc) {
        st->upos = s->h.data_offset;
        if (s->h.data_bytes == 0) st->finished = 1;
    } else {
        for (uint64_t left = s->h.data_offset; left > 0 && r == VKC_OK; ) {
            size_t k = left < s->chunk ? (size_t)left : s->chunk;
            r = stream_read(st, s->scratch, k, msg);
            left -= k;
        }
    }
    if (r != VKC_OK) return read_failed(s, r, msg);
    return VKC_OK;
}

vkc_status vkc_source_set_chunk_bytes(vkc_source *s, size_t bytes, vkc_msg *msg)
{
    if (bytes == 0) bytes = 1;
    /* The scratch buffer must hold one element of any dtype. */
    uint8_t *p = realloc(s->scratch, bytes < 8 ? 8 : bytes);
    if (!p) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory", s->name);
    s->scratch = p;
    s->chunk = bytes;
    vkc_status r = stream_set_buffer(&s->st, bytes, msg);
    if (r != VKC_OK) return named(s->name, r, msg);
    return vkc_source_rewind(s, msg);
}

void vkc_source_close(vkc_source *s)
{
    if (!s) return;
    if (s->st.z_live) inflateEnd(&s->st.z);
    if (s->owns_fd && s->st.blob.fd >= 0) close(s->st.blob.fd);
    verified_unref(s->st.ver);
    free(s->st.in);
    free(s->scratch);
    free(s->name);
    free(s);
}

/* ---- npz ----------------------------------------------------------------------- */

static int cmp_entry_key(const void *a, const void *b)
{
    return strcmp((*(const vkc_zip_entry *const *)a)->key, (*(const vkc_zip_entry *const *)b)->key);
}

static vkc_status npz_finish_open(vkc_npz *z, vkc_npz **out, vkc_msg *msg)
{
    vkc_status r = vkc_zip_read_directory(&z->blob, &z->zip, msg);
    if (r == VKC_OK) {
        /* One sorted index per archive, so that finding a member is a binary
         * search (a directory of 20,000 members was searched linearly, once
         * per member: quadratic). Keys are unique (vkc_zip_read_directory). */
        const uint32_t n = z->zip.count;
        const vkc_zip_entry **v = malloc((n ? n : 1) * sizeof *v);
        z->by_key = malloc((n ? n : 1) * sizeof *z->by_key);
        if (!v || !z->by_key) r = vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
        else {
            for (uint32_t i = 0; i < n; i++) v[i] = &z->zip.entries[i];
            qsort(v, n, sizeof *v, cmp_entry_key);
            for (uint32_t i = 0; i < n; i++) z->by_key[i] = (uint32_t)(v[i] - z->zip.entries);
        }
        free(v);
        if (r == VKC_OK && !(z->ver = verified_new(n))) r = vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    }
    if (r != VKC_OK) {
        named(z->path, r, msg);
        vkc_npz_close(z);
        return r;
    }
    *out = z;
    return VKC_OK;
}

static vkc_npz *npz_alloc(const char *path)
{
    vkc_npz *z = calloc(1, sizeof *z);
    if (z) z->path = dup_string(path, NULL);
    if (z && !z->path) {
        free(z);
        return NULL;
    }
    if (z) z->blob.fd = -1;
    return z;
}

vkc_status vkc_npz_open(const char *path, vkc_npz **out, vkc_msg *msg)
{
    if (!path || !out) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_npz_open: NULL argument");
    vkc_npz *z = npz_alloc(path);
    if (!z) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
    vkc_status r = open_file(path, &z->blob, msg);
    if (r != VKC_OK) {
        vkc_npz_close(z);
        return r;
    }
    fstat(z->blob.fd, &z->id);
    return npz_finish_open(z, out, msg);
}

vkc_status vkc_npz_open_mem(const void *buf, size_t len, vkc_npz **out, vkc_msg *msg)
{
    static const uint8_t empty[1];
    if ((!buf && len) || !out) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_npz_open_mem: NULL argument");
    vkc_npz *z = npz_alloc("<memory>");
    if (!z) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "<memory>: out of memory");
    z->blob.mem = buf ? buf : empty;
    z->blob.size = len;
    return npz_finish_open(z, out, msg);
}

uint32_t vkc_npz_count(const vkc_npz *z)
{
    return z ? z->zip.count : 0;
}

const char *vkc_npz_key(const vkc_npz *z, uint32_t i)
{
    return z && i < z->zip.count ? z->zip.entries[i].key : NULL;
}

uint32_t vkc_npz_find(const vkc_npz *z, const char *key)
{
    if (!z || !key || !z->by_key) return UINT32_MAX;
    uint32_t lo = 0, hi = z->zip.count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(z->zip.entries[z->by_key[mid]].key, key);
        if (c == 0) return z->by_key[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return UINT32_MAX;
}

int vkc_npz_member(const vkc_npz *z, uint32_t i, uint64_t *stored_bytes, uint64_t *bytes, int *deflated)
{
    if (!z || i >= z->zip.count) return 0;
    const vkc_zip_entry *e = &z->zip.entries[i];
    if (stored_bytes) *stored_bytes = e->csize;
    if (bytes) *bytes = e->usize;
    if (deflated) *deflated = e->method == 8;
    return 1;
}

void vkc_npz_release_file(vkc_npz *z)
{
    if (z && !z->blob.mem && z->blob.fd >= 0) {
        close(z->blob.fd);
        z->blob.fd = -1;
    }
}

/* fd is the archive's file as it was opened (device, inode, size,
 * modification time): its directory and verified CRCs still hold. */
static int same_file(const vkc_npz *z, int fd)
{
    struct stat sb;
    return fstat(fd, &sb) == 0 && sb.st_dev == z->id.st_dev && sb.st_ino == z->id.st_ino &&
           sb.st_size == z->id.st_size && sb.st_mtim.tv_sec == z->id.st_mtim.tv_sec &&
           sb.st_mtim.tv_nsec == z->id.st_mtim.tv_nsec;
}

/* A released archive's file, opened again: the same file as at open, or an
 * error naming it. */
static vkc_status npz_reopen(const vkc_npz *z, int *fd_out, vkc_msg *msg)
{
    char e[128];
    int fd = open(z->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return vkc_fail(msg, VKC_ERROR_IO, "%s: cannot open: %s", z->path, errno_text(errno, e, sizeof e));
    if (!same_file(z, fd)) {
        close(fd);
        return vkc_fail(msg, VKC_ERROR_IO, "%s: the file changed since its directory was read", z->path);
    }
    *fd_out = fd;
    return VKC_OK;
}

vkc_status vkc_npz_source(vkc_npz *z, uint32_t i, vkc_source **out, vkc_msg *msg)
{
    if (!z || !out || i >= z->zip.count)
        return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "%s: no member %" PRIu32, z ? z->path : "npz", i);
    const vkc_zip_entry *e = &z->zip.entries[i];
    /* The source's own descriptor lets it outlive the archive: a duplicate
     * of the archive's, or (released) the file opened again. */
    vkc_blob blob = z->blob;
    vkc_status r = VKC_OK;
    if (!z->blob.mem && z->blob.fd < 0) {
        r = npz_reopen(z, &blob.fd, msg);
    } else if (!z->blob.mem) {
        char err[128];
        blob.fd = fcntl(z->blob.fd, F_DUPFD_CLOEXEC, 0);
        if (blob.fd < 0)
            r = vkc_fail(msg, VKC_ERROR_IO, "%s: cannot duplicate descriptor: %s", z->path,
                         errno_text(errno, err, sizeof err));
    }
    if (r != VKC_OK) return r;
    uint64_t data;
    vkc_source *s = NULL;
    r = vkc_zip_member_data(&blob, &z->zip, i, &data, msg);
    if (r != VKC_OK) named(z->path, r, msg);
    else r = source_alloc(z->path, e->name, &s, msg);
    if (r != VKC_OK) {
        if (!blob.mem) close(blob.fd);
        return r;
    }
    s->st.blob = blob;
    s->owns_fd = !blob.mem;
    s->st.start = data;
    s->st.csize = e->csize;
    s->st.usize = e->usize;
    s->st.deflated = e->method == 8;
    s->st.expect_crc = e->crc;
    s->st.ver = verified_ref(z->ver);
    s->st.member = i;
    /* Memory cannot change under the archive; a file may have. */
    s->st.check_crc = !(z->ver && atomic_load(&z->ver->v[i]) && (blob.mem || same_file(z, blob.fd)));
    return source_start_npy(s, out, msg);
}

void vkc_npz_close(vkc_npz *z)
{
    if (!z) return;
    if (!z->blob.mem && z->blob.fd >= 0) close(z->blob.fd);
    vkc_zip_free(&z->zip);
    verified_unref(z->ver);
    free(z->by_key);
    free(z->path);
    free(z);
}
