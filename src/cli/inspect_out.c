/* vkcalib inspect: the output every kind of file shares, the name column of
 * the tables (control characters escaped, width, rows split on a narrow
 * terminal) and the end of the output (standard output flushed, a JSON
 * document printed). */
#include "inspect.h"

#include <errno.h>
#include <string.h>

/* A name for the table: control characters as \xNN, so one tensor stays one
 * row. Returns the columns used (UTF-8 continuation bytes take none). */
int inspect_put_name_raw(const char *s, int print)
{
    int w = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f) {
            if (print) printf("\\x%02x", c);
            w += 4;
        } else {
            if (print) putchar(c);
            if ((c & 0xc0) != 0x80) w++;
        }
    }
    return w;
}

void inspect_put_name(const char *s, int width)
{
    for (int w = inspect_put_name_raw(s, 1); w < width; w++) putchar(' ');
}

int inspect_name_width(const char *const *names, size_t n)
{
    int w = 6;
    for (size_t i = 0; i < n; i++) {
        int l = inspect_put_name_raw(names[i], 0);
        if (l > w) w = l;
    }
    return w > 48 ? 48 : w;
}

/* On a terminal (or with $COLUMNS) narrower than a row of width w + rest:
 * the name on a line of its own, the numbers indented on the next. Returns
 * 1 when rows are split. */
int inspect_split_rows(int w, int rest)
{
    int cols = cli_columns(stdout);
    return cols && w + rest > cols;
}

int inspect_finish_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("writing to standard output: %s", strerror(errno));
        return 1;
    }
    return 0;
}

/* Prints the writer's document and destroys it. */
int inspect_emit_json(vkc_jw *j)
{
    vkc_msg msg = {{0}};
    const char *text;
    size_t len;
    if (vkc_jw_finish(j, &text, &len, &msg) != VKC_OK) {
        cli_error("%s", msg.text);
        vkc_jw_destroy(j);
        return 1;
    }
    fwrite(text, 1, len, stdout);
    fputc('\n', stdout);
    vkc_jw_destroy(j);
    return inspect_finish_stdout();
}
