/* A growable byte buffer for the writers.
 *
 * A zero-initialised vkc_buf is empty and ready. Appends never fail
 * visibly: when memory runs out the buffer latches `oom`, later appends do
 * nothing, and the caller checks once at the end. While `data` is not NULL
 * it is NUL-terminated (the terminator is not counted in `len`), so text
 * built here can be handed to string functions directly. */
#ifndef VKC_STRBUF_H
#define VKC_STRBUF_H

#include "base/common.h"

#include <stdarg.h>
#include <stddef.h>

typedef struct vkc_buf {
    char *data;
    size_t len, cap;
    int oom; /* 1 once an append failed: the content is incomplete */
} vkc_buf;

/* Makes room for n more bytes (plus the terminator); 0 when it cannot. */
int vkc_buf_reserve(vkc_buf *b, size_t n);
void vkc_buf_append(vkc_buf *b, const void *p, size_t n);
void vkc_buf_puts(vkc_buf *b, const char *s);
void vkc_buf_putc(vkc_buf *b, char c);
/* An encoding error from vsnprintf latches oom as well: either way the
 * buffer no longer holds what the caller asked for. */
void vkc_buf_printf(vkc_buf *b, const char *fmt, ...) VKC_PRINTF(2, 3);
void vkc_buf_vprintf(vkc_buf *b, const char *fmt, va_list ap);
/* Empties the buffer, keeping its memory and clearing oom. */
void vkc_buf_reset(vkc_buf *b);
/* Frees the memory and leaves a zero (empty, ready) buffer. */
void vkc_buf_free(vkc_buf *b);

#endif
