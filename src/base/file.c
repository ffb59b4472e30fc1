#include "base/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

vkc_status vkc_read_file(const char *path, size_t max_bytes, char **buf, size_t *len, vkc_msg *msg)
{
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return vkc_fail(msg, VKC_ERROR_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return vkc_fail(msg, VKC_ERROR_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)sb.st_size > (uint64_t)max_bytes) {
        fclose(f);
        return vkc_fail(msg, VKC_ERROR_FORMAT, "%s: %llu bytes, more than the %llu this format allows", path,
                        (unsigned long long)sb.st_size, (unsigned long long)max_bytes);
    }
    size_t n = (size_t)sb.st_size;
    char *b = malloc(n + 1);
    if (!b) {
        fclose(f);
        return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory for %zu bytes", path, n);
    }
    size_t got = fread(b, 1, n, f);
    int err = ferror(f);
    /* A file that grew since fstat is read as it was: the rest would be a
     * race we cannot make sense of anyway; one that shrank is an error. */
    fclose(f);
    if (got != n || err) {
        free(b);
        return vkc_fail(msg, VKC_ERROR_IO, "%s: short read (%zu of %zu bytes)", path, got, n);
    }
    b[n] = 0;
    *buf = b;
    *len = n;
    return VKC_OK;
}
