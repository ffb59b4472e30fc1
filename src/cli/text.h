/* Text built in memory for the tool's outputs (HTML reports, JSON, tables),
 * on a POSIX memory stream: appends never fail visibly; cli_buf_take says
 * at the end whether everything got in. */
#ifndef VKC_CLI_TEXT_H
#define VKC_CLI_TEXT_H

#include <stddef.h>
#include <stdio.h>

typedef struct cli_buf {
    FILE *f;       /* NULL once out of memory */
    char *data;    /* valid after cli_buf_take */
    size_t len;
    int failed;    /* an append or the caller gave up: the text is incomplete */
} cli_buf;

/* 0 when out of memory (the buffer then swallows appends). */
int cli_buf_open(cli_buf *b);
void cli_buf_printf(cli_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_buf_puts(cli_buf *b, const char *s);
void cli_buf_putc(cli_buf *b, char c);
void cli_buf_append(cli_buf *b, const void *p, size_t n);
/* Marks the text incomplete (an allocation of the caller's failed). */
void cli_buf_fail(cli_buf *b);
/* Ends the stream: 1 with b->data (NUL-terminated) and b->len, 0 when an
 * append failed. */
int cli_buf_take(cli_buf *b);
void cli_buf_free(cli_buf *b);

#endif
