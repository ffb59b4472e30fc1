#include "text.h"

#include <stdarg.h>
#include <stdlib.h>

int cli_buf_open(cli_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->failed = 0;
    b->f = open_memstream(&b->data, &b->len);
    b->failed = b->f == NULL;
    return b->f != NULL;
}

void cli_buf_printf(cli_buf *b, const char *fmt, ...)
{
    if (!b->f) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(b->f, fmt, ap);
    va_end(ap);
}

void cli_buf_puts(cli_buf *b, const char *s)
{
    if (b->f) fputs(s, b->f);
}

void cli_buf_putc(cli_buf *b, char c)
{
    if (b->f) fputc(c, b->f);
}

void cli_buf_append(cli_buf *b, const void *p, size_t n)
{
    if (b->f && n) fwrite(p, 1, n, b->f);
}

void cli_buf_fail(cli_buf *b)
{
    b->failed = 1;
}

int cli_buf_take(cli_buf *b)
{
    if (!b->f) return 0;
    int ok = !ferror(b->f) && !b->failed;
    ok = fclose(b->f) == 0 && ok && b->data;
    b->f = NULL;
    return ok;
}

void cli_buf_free(cli_buf *b)
{
    if (b->f) fclose(b->f);
    b->f = NULL;
    free(b->data);
    b->data = NULL;
    b->len = 0;
}
