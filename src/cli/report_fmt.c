/* How the HTML of `vkcalib report` writes text and numbers: tensor names
 * escaped (and made valid UTF-8), numbers for people, numbers for data-
 * attributes (sortable, or exact to compare with the JSON), and SVG
 * coordinates in tenths. Every part of the document uses these, so that
 * the same value is written the same way everywhere. See report_parts.h. */
#include "report_parts.h"

#include <math.h>

/* Text as HTML: &<>"' escaped; invalid UTF-8 bytes and control characters
 * become U+FFFD, so the file is valid UTF-8 whatever the tensor names. */
void rv_put_esc(cli_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        if (c < 0x80) {
            switch (c) {
            case '&': cli_buf_puts(b, "&amp;"); break;
            case '<': cli_buf_puts(b, "&lt;"); break;
            case '>': cli_buf_puts(b, "&gt;"); break;
            case '"': cli_buf_puts(b, "&quot;"); break;
            case '\'': cli_buf_puts(b, "&#39;"); break;
            default:
                if (c < 0x20 || c == 0x7f) cli_buf_puts(b, "\xef\xbf\xbd");
                else cli_buf_putc(b, (char)c);
            }
            p++;
            continue;
        }
        int len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
        int good = len > 0;
        for (int k = 1; good && k < len; k++) good = (p[k] & 0xc0) == 0x80;
        if (good && len == 3) {
            uint32_t cp = ((c & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu);
            good = cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff);
        }
        if (good && len == 4) {
            uint32_t cp = ((c & 0x07u) << 18) | ((p[1] & 0x3fu) << 12) | ((p[2] & 0x3fu) << 6) | (p[3] & 0x3fu);
            good = cp >= 0x10000 && cp <= 0x10ffff;
        }
        if (!good) {
            cli_buf_puts(b, "\xef\xbf\xbd");
            p++;
            continue;
        }
        cli_buf_append(b, p, (size_t)len);
        p += len;
    }
}

/* A number for people: %.6g, "∞" for infinities, "–" for NaN. */
const char *rv_num6(double v, char *out, size_t size)
{
    if (isnan(v)) snprintf(out, size, "\xe2\x80\x93");
    else if (isinf(v)) snprintf(out, size, v > 0 ? "\xe2\x88\x9e" : "\xe2\x88\x92\xe2\x88\x9e");
    else snprintf(out, size, "%.6g", v);
    return out;
}

/* A number for data-v attributes: sortable by parseFloat, "" for NaN. */
void rv_put_datav(cli_buf *b, double v)
{
    if (isnan(v)) cli_buf_puts(b, " data-v=\"\"");
    else if (isinf(v)) cli_buf_puts(b, v > 0 ? " data-v=\"Infinity\"" : " data-v=\"-Infinity\"");
    else cli_buf_printf(b, " data-v=\"%.9g\"", v);
}

/* The shortest round-trip double, for data- attributes tests compare
 * exactly with the JSON. */
void rv_put_exact(cli_buf *b, double v)
{
    char t[40];
    vkc_jw_format_double(v, t, sizeof t);
    cli_buf_puts(b, t);
}

/* A coordinate in tenths of a unit: "12.3", "12", "-.5". */
void rv_put_tenths(cli_buf *b, long v)
{
    if (v < 0) {
        cli_buf_putc(b, '-');
        v = -v;
    }
    if (v % 10 == 0) cli_buf_printf(b, "%ld", v / 10);
    else if (v < 10) cli_buf_printf(b, ".%ld", v % 10);
    else cli_buf_printf(b, "%ld.%ld", v / 10, v % 10);
}

void rv_put_coord(cli_buf *b, double v)
{
    rv_put_tenths(b, lround(v * 10.0));
}
