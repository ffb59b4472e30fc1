#include "base/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vkc_buf_reserve(vkc_buf *b, size_t n)
{
    if (b->oom) return 0;
    /* need = len + n + 1 for the terminator, without wrapping around. */
    if (n > SIZE_MAX - 1 - b->len) {
        b->oom = 1;
        return 0;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = 1;
        return 0;
    }
    b->data = p;
    b->cap = cap;
    return 1;
}

void vkc_buf_append(vkc_buf *b, const void *p, size_t n)
{
    if (!vkc_buf_reserve(b, n)) return;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}

void vkc_buf_puts(vkc_buf *b, const char *s)
{
    vkc_buf_append(b, s, strlen(s));
}

void vkc_buf_putc(vkc_buf *b, char c)
{
    vkc_buf_append(b, &c, 1);
}

void vkc_buf_vprintf(vkc_buf *b, const char *fmt, va_list ap)
{
    /* Most writes are short: try the spare room first, grow once if the
     * text did not fit. */
    if (!vkc_buf_reserve(b, 32)) return;
    va_list ap2;
    va_copy(ap2, ap);
    size_t room = b->cap - b->len;
    int n = vsnprintf(b->data + b->len, room, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        b->data[b->len] = 0;
        b->oom = 1;
        return;
    }
    if ((size_t)n >= room) {
        if (!vkc_buf_reserve(b, (size_t)n)) {
            b->data[b->len] = 0;
            return;
        }
        va_copy(ap2, ap);
        n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
        va_end(ap2);
        if (n < 0) {
            b->data[b->len] = 0;
            b->oom = 1;
            return;
        }
    }
    b->len += (size_t)n;
}

void vkc_buf_printf(vkc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vkc_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void vkc_buf_reset(vkc_buf *b)
{
    b->len = 0;
    b->oom = 0;
    if (b->data) b->data[0] = 0;
}

void vkc_buf_free(vkc_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}
