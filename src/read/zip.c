/* Zip directory reading for .npz. Layout reference: PKWARE APPNOTE.TXT,
 * sections 4.3.7 (local header), 4.3.12 (central directory), 4.3.16 (end
 * record), 4.5.3 (zip64 extra). */
#define _FILE_OFFSET_BITS 64 /* pread past 2 GiB on 32-bit hosts */
#include "read/zip.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_END 0x06054b50u
#define SIG_ZIP64_LOCATOR 0x07064b50u
#define LOCAL_FIXED 30u
#define CENTRAL_FIXED 46u
#define END_FIXED 22u
#define ZIP64_EXTRA_ID 0x0001u
#define FLAG_ENCRYPTED 0x0001u
#define FLAG_DESCRIPTOR 0x0008u /* crc and sizes follow the data */
#define FLAG_STRONG_ENCRYPTION 0x0040u
#define FLAG_MASKED_HEADERS 0x2000u
/* A legitimate directory holds 46 bytes plus a short name per tensor;
 * refuse to buffer one that claims to be larger than this. */
#define MAX_CENTRAL_DIRECTORY (64u << 20)

/* strerror is not thread-safe; this is (POSIX strerror_r). */
static const char *errno_text(int err, char *buf, size_t n)
{
    if (strerror_r(err, buf, n) != 0) snprintf(buf, n, "error %d", err);
    return buf;
}

vkc_status vkc_blob_read(const vkc_blob *b, uint64_t off, void *dst, size_t n, vkc_msg *msg)
{
    uint64_t end;
    if (!vkc_add_u64(off, n, &end) || end > b->size)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "%zu bytes at offset %" PRIu64 " run past the end (%" PRIu64 " bytes)",
                        n, off, b->size);
    if (b->mem) {
        if (n) memcpy(dst, b->mem + off, n);
        return VKC_OK;
    }
    uint8_t *p = dst;
    size_t done = 0;
    while (done < n) {
        /* Linux returns at most about 2 GiB per call; ask for less. */
        size_t want = n - done > (1u << 30) ? (1u << 30) : n - done;
        ssize_t r = pread(b->fd, p + done, want, (off_t)(off + done));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            char e[128];
            return vkc_fail(msg, VKC_ERROR_IO, "read error at offset %" PRIu64 ": %s", off + done,
                            errno_text(errno, e, sizeof e));
        }
        if (r == 0)
            return vkc_fail(msg, VKC_ERROR_IO, "file ended at offset %" PRIu64 ", %" PRIu64 " bytes expected (was it "
                            "truncated while open?)", off + done, b->size);
        done += (size_t)r;
    }
    return VKC_OK;
}

/* ---- end of central directory -------------------------------------------- */

typedef struct zip_end {
    uint64_t pos;       /* of the end record */
    uint64_t entries;
    uint64_t cd_size, cd_offset;
} zip_end;

/* The end record is the last 22 bytes unless a comment (up to 64 KiB)
 * follows it; take the record whose comment length ends exactly at the end
 * of the file, so that a comment holding the signature cannot fool us. */
static vkc_status find_end(const vkc_blob *b, zip_end *e, vkc_msg *msg)
{
    if (b->size < END_FIXED) return vkc_fail(msg, VKC_ERROR_FORMAT, "not a zip file (%" PRIu64 " bytes)", b->size);
    uint64_t tail = b->size < END_FIXED + 65535u ? b->size : END_FIXED + 65535u;
    uint8_t *buf = malloc((size_t)tail);
    if (!buf) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    vkc_status st = vkc_blob_read(b, b->size - tail, buf, (size_t)tail, msg);
    if (st != VKC_OK) {
        free(buf);
        return st;
    }
    int64_t found = -1;
    for (int64_t i = (int64_t)(tail - END_FIXED); i >= 0; i--) {
        const uint8_t *p = buf + i;
        if (vkc_ld32(p) == SIG_END && (uint64_t)i + END_FIXED + vkc_ld16(p + 20) == tail) {
            found = i;
            break;
        }
    }
    if (found < 0) {
        free(buf);
        return vkc_fail(msg, VKC_ERROR_FORMAT, "not a zip file (no end of central directory record)");
    }
    const uint8_t *p = buf + found;
    unsigned disk = vkc_ld16(p + 4), cd_disk = vkc_ld16(p + 6), n_disk = vkc_ld16(p + 8), n_total = vkc_ld16(p + 10);
    uint32_t cd_size = vkc_ld32(p + 12), cd_offset = vkc_ld32(p + 16);
    e->pos = b->size - tail + (uint64_t)found;
    /* A zip64 end locator sits just before the end record. */
    uint8_t loc[4] = {0};
    if (e->pos >= 20) {
        if (found >= 20) memcpy(loc, p - 20, 4);
        else st = vkc_blob_read(b, e->pos - 20, loc, 4, msg);
    }
    free(buf);
    if (st != VKC_OK) return st;
    if (vkc_ld32(loc) == SIG_ZIP64_LOCATOR || n_disk == 0xffffu || n_total == 0xffffu || cd_size == 0xffffffffu ||
        cd_offset == 0xffffffffu)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "zip64 archives are not supported");
    if (disk != 0 || cd_disk != 0 || n_disk != n_total)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "multi-disk zip archives are not supported");
    if ((uint64_t)cd_offset + cd_size > e->pos)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "central directory (offset %" PRIu32 ", %" PRIu32
                        " bytes) runs past the end record at %" PRIu64, cd_offset, cd_size, e->pos);
    if ((uint64_t)n_total * CENTRAL_FIXED > cd_size)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "central directory of %" PRIu32 " bytes cannot hold %u entries",
                        cd_size, n_total);
    if (cd_size > MAX_CENTRAL_DIRECTORY)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "central directory of %" PRIu32 " bytes is implausibly large", cd_size);
    e->entries = n_total;
    e->cd_size = cd_size;
    e->cd_offset = cd_offset;
    return VKC_OK;
}

/* ---- central directory ----------------------------------------------------- */

/* Finds extra record `id` in an extra field; malformed trailing bytes end
 * the scan (some tools pad with zeros). */
static const uint8_t *find_extra(const uint8_t *x, size_t len, uint16_t id, size_t *rec_len)
{
    size_t i = 0;
    while (i + 4 <= len) {
        uint16_t rid = vkc_ld16(x + i), rlen = vkc_ld16(x + i + 2);
        if (i + 4 + rlen > len) break;
        if (rid == id) {
            *rec_len = rlen;
            return x + i + 4;
        }
        i += 4 + (size_t)rlen;
    }
    return NULL;
}

static int has_suffix(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* Checks one central directory entry for what we refuse to read. */
static vkc_status check_entry(const vkc_zip_entry *e, const uint8_t *extra, size_t xlen, uint16_t disk_start,
                              const zip_end *end, vkc_msg *msg)
{
    size_t rl;
    if (e->flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_HEADERS))
        return vkc_fail(msg, VKC_ERROR_FORMAT, "member '%s': encrypted members are not supported", e->name);
    if (e->csize == 0xffffffffu || e->usize == 0xffffffffu || e->local_offset == 0xffffffffu ||
        find_extra(extra, xlen, ZIP64_EXTRA_ID, &rl))
        return vkc_fail(msg, VKC_ERROR_FORMAT, "member '%s': zip64 members are not supported", e->name);
    if (e->method != 0 && e->method != 8)
        return vkc_fail(msg, VKC_ERROR_FORMAT,
                        "member '%s': compression method %u is not supported (only stored and deflated)", e->name,
                        e->method);
    if (e->method == 0 && e->csize != e->usize)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "member '%s': stored, but sizes differ (%" PRIu64 " and %" PRIu64 ")",
                        e->name, e->csize, e->usize);
    if (disk_start != 0)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "member '%s': multi-disk zip archives are not supported", e->name);
    if (e->local_offset + LOCAL_FIXED > end->cd_offset)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "member '%s': local header offset %" PRIu64
                        " is outside the archive's data", e->name, e->local_offset);
    return VKC_OK;
}

static int cmp_key(const void *a, const void *b)
{
    const vkc_zip_entry *x = *(const vkc_zip_entry *const *)a, *y = *(const vkc_zip_entry *const *)b;
    return strcmp(x->key, y->key);
}

/* Two members with one key ("a.npy" and "a") would make lookups ambiguous. */
static vkc_status check_unique_keys(const vkc_zip *z, vkc_msg *msg)
{
    if (z->count < 2) return VKC_OK;
    const vkc_zip_entry **v = malloc(sizeof *v * z->count);
    if (!v) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    for (uint32_t i = 0; i < z->count; i++) v[i] = &z->entries[i];
    qsort(v, z->count, sizeof *v, cmp_key);
    vkc_status st = VKC_OK;
    for (uint32_t i = 1; i < z->count && st == VKC_OK; i++)
        if (strcmp(v[i - 1]->key, v[i]->key) == 0)
            st = vkc_fail(msg, VKC_ERROR_FORMAT, "members '%s' and '%s' have the same key '%s'", v[i - 1]->name,
                          v[i]->name, v[i]->key);
    free(v);
    return st;
}

/* Parses the buffered directory into z (entries and strings allocated). */
static vkc_status parse_directory(const uint8_t *cd, const zip_end *end, vkc_zip *z, vkc_msg *msg)
{
    z->entries = calloc(end->entries ? end->entries : 1, sizeof *z->entries);
    /* Each name is stored twice (name and key), each at most its bytes in
     * the directory. */
    z->strings = malloc(2 * end->cd_size + 2 * end->entries + 1);
    if (!z->entries || !z->strings) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    char *str = z->strings;
    uint64_t at = 0;
    for (uint64_t k = 0; k < end->entries; k++) {
        const uint8_t *p = cd + at;
        if (at + CENTRAL_FIXED > end->cd_size || vkc_ld32(p) != SIG_CENTRAL)
            return vkc_fail(msg, VKC_ERROR_FORMAT, "central directory entry %" PRIu64 " is malformed", k);
        size_t nlen = vkc_ld16(p + 28), xlen = vkc_ld16(p + 30), clen = vkc_ld16(p + 32);
        if (at + CENTRAL_FIXED + nlen + xlen + clen > end->cd_size)
            return vkc_fail(msg, VKC_ERROR_FORMAT, "central directory entry %" PRIu64 " runs past the directory", k);
        const char *name = (const char *)p + CENTRAL_FIXED;
        if (nlen == 0 || memchr(name, 0, nlen))
            return vkc_fail(msg, VKC_ERROR_FORMAT, "central directory entry %" PRIu64 " has an empty or invalid name", k);
        at += CENTRAL_FIXED + nlen + xlen + clen;
        if (name[nlen - 1] == '/') continue; /* a folder, not a tensor */

        vkc_zip_entry *e = &z->entries[z->count];
        memcpy(str, name, nlen);
        str[nlen] = 0;
        e->name = str;
        str += nlen + 1;
        size_t klen = has_suffix(name, nlen, ".npy") ? nlen - 4 : nlen;
        memcpy(str, name, klen);
        str[klen] = 0;
        e->key = str;
        str += klen + 1;
        e->flags = vkc_ld16(p + 8);
        e->method = vkc_ld16(p + 10);
        e->crc = vkc_ld32(p + 16);
        e->csize = vkc_ld32(p + 20);
        e->usize = vkc_ld32(p + 24);
        e->local_offset = vkc_ld32(p + 42);
        vkc_status st = check_entry(e, p + CENTRAL_FIXED + nlen, xlen, vkc_ld16(p + 34), end, msg);
        if (st != VKC_OK) return st;
        z->count++;
    }
    if (at != end->cd_size)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "central directory has %" PRIu64 " unexpected bytes after its %" PRIu64
                        " entries", end->cd_size - at, end->entries);
    return check_unique_keys(z, msg);
}

vkc_status vkc_zip_read_directory(const vkc_blob *b, vkc_zip *out, vkc_msg *msg)
{
    zip_end end;
    memset(&end, 0, sizeof end);
    memset(out, 0, sizeof *out);
    vkc_status st = find_end(b, &end, msg);
    if (st != VKC_OK) return st;
    uint8_t *cd = malloc(end.cd_size ? (size_t)end.cd_size : 1);
    if (!cd) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    st = vkc_blob_read(b, end.cd_offset, cd, (size_t)end.cd_size, msg);
    vkc_zip z;
    memset(&z, 0, sizeof z);
    z.cd_offset = end.cd_offset;
    if (st == VKC_OK) st = parse_directory(cd, &end, &z, msg);
    free(cd);
    if (st != VKC_OK) {
        vkc_zip_free(&z);
        return st;
    }
    *out = z;
    return VKC_OK;
}

/* ---- local headers ------------------------------------------------------- */

/* A local field agrees with the directory when equal, or when zero because
 * the writer streamed the member and put the real value in a data
 * descriptor after it. */
static int agrees(uint64_t local, uint64_t central, uint16_t flags)
{
    return local == central || ((flags & FLAG_DESCRIPTOR) && local == 0);
}

/* Sizes from the local header, taking them from its zip64 record where the
 * 32-bit fields say 0xffffffff. numpy writes the record with the real sizes
 * in both places; either way they must agree with the directory. */
static vkc_status check_local_sizes(const vkc_zip_entry *e, const uint8_t *lh, const uint8_t *extra, size_t xlen,
                                    uint16_t lflags, vkc_msg *msg)
{
    uint64_t lcsize = vkc_ld32(lh + 18), lusize = vkc_ld32(lh + 22);
    size_t rl = 0;
    const uint8_t *z64 = find_extra(extra, xlen, ZIP64_EXTRA_ID, &rl);
    if (z64) {
        if (rl < 16)
            return vkc_fail(msg, VKC_ERROR_FORMAT, "member '%s': local zip64 record is too short", e->name);
        uint64_t zu = vkc_ld64(z64), zc = vkc_ld64(z64 + 8);
        if (!agrees(zu, e->usize, lflags) || !agrees(zc, e->csize, lflags))
            return vkc_fail(msg, VKC_ERROR_FORMAT, "member '%s': local zip64 sizes disagree with the central directory",
                            e->name);
        if (lusize == 0xffffffffu) lusize = zu;
        if (lcsize == 0xffffffffu) lcsize = zc;
    } else if (lusize == 0xffffffffu || lcsize == 0xffffffffu) {
        return vkc_fail(msg, VKC_ERROR_FORMAT, "member '%s': zip64 members are not supported", e->name);
    }
    if (!agrees(lusize, e->usize, lflags) || !agrees(lcsize, e->csize, lflags))
        return vkc_fail(msg, VKC_ERROR_FORMAT, "member '%s': local header sizes (%" PRIu64 ", %" PRIu64
                        ") disagree with the central directory (%" PRIu64 ", %" PRIu64 ")", e->name, lcsize, lusize,
                        e->csize, e->usize);
    return VKC_OK;
}

static vkc_status check_local(const vkc_zip_entry *e, const uint8_t *lh, const uint8_t *name_extra, vkc_msg *msg)
{
    uint16_t lflags = vkc_ld16(lh + 6), lmethod = vkc_ld16(lh + 8);
    size_t nlen = vkc_ld16(lh + 26), xlen = vkc_ld16(lh + 28);
    if (vkc_ld32(lh) != SIG_LOCAL)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "member '%s': no local header at offset %" PRIu64, e->name,
                        e->local_offset);
    if (nlen != strlen(e->name) || memcmp(name_extra, e->name, nlen) != 0)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "member '%s': local header names a different member", e->name);
    if (lflags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION))
        return vkc_fail(msg, VKC_ERROR_FORMAT, "member '%s': encrypted members are not supported", e->name);
    if (lmethod != e->method)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "member '%s': local header method %u disagrees with the central "
                        "directory (%u)", e->name, lmethod, e->method);
    if (!agrees(vkc_ld32(lh + 14), e->crc, lflags))
        return vkc_fail(msg, VKC_ERROR_FORMAT, "member '%s': local header CRC-32 disagrees with the central directory",
                        e->name);
    return check_local_sizes(e, lh, name_extra + nlen, xlen, lflags, msg);
}

vkc_status vkc_zip_member_data(const vkc_blob *b, const vkc_zip *z, uint32_t i, uint64_t *data_offset, vkc_msg *msg)
{
    const vkc_zip_entry *e = &z->entries[i];
    uint8_t lh[LOCAL_FIXED];
    vkc_status st = vkc_blob_read(b, e->local_offset, lh, sizeof lh, msg);
    if (st != VKC_OK) return st;
    size_t vlen = (size_t)vkc_ld16(lh + 26) + vkc_ld16(lh + 28);
    uint64_t data = e->local_offset + LOCAL_FIXED + vlen, data_end;
    if (!vkc_add_u64(data, e->csize, &data_end) || data_end > z->cd_offset)
        return vkc_fail(msg, VKC_ERROR_FORMAT, "member '%s': data (%" PRIu64 " bytes at offset %" PRIu64
                        ") runs past the central directory at %" PRIu64, e->name, e->csize, data, z->cd_offset);
    uint8_t *var = malloc(vlen ? vlen : 1);
    if (!var) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    st = vkc_blob_read(b, e->local_offset + LOCAL_FIXED, var, vlen, msg);
    if (st == VKC_OK) st = check_local(e, lh, var, msg);
    free(var);
    if (st == VKC_OK) *data_offset = data;
    return st;
}

void vkc_zip_free(vkc_zip *z)
{
    free(z->entries);
    free(z->strings);
    memset(z, 0, sizeof *z);
}
