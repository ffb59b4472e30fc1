#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

double progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void progress_begin(progress *p, const char *pass, uint64_t total_bytes, uint32_t total_files, int quiet)
{
    p->quiet = quiet;
    p->tty = isatty(2);
    p->pass = pass;
    p->total_bytes = total_bytes;
    p->total_files = total_files;
    p->start = p->last = progress_now();
    p->shown = 0;
}

static void line(progress *p, uint64_t bytes, uint32_t files, double now, int final)
{
    double el = now - p->start, mb = (double)bytes / 1e6, rate = el > 0 ? mb / el : 0;
    double frac = p->total_bytes ? (double)bytes / (double)p->total_bytes : 0;
    if (frac > 1) frac = 1;
    char eta[32] = "";
    if (!final && frac > 0.01 && rate > 0) snprintf(eta, sizeof eta, "  ETA %.0fs", el / frac - el);
    if (p->tty) {
        int w = 24, fill = (int)(frac * w + 0.5);
        char text[256];
        int len = snprintf(text, sizeof text, "%-20s [%.*s%*s] %3.0f%%  %u/%u files  %.1f MB  %.0f MB/s%s", p->pass,
                           fill, "########################", w - fill, "", frac * 100, files, p->total_files, mb, rate,
                           final ? "" : eta);
        if (len < 0) len = 0;
        if (len >= (int)sizeof text) len = (int)sizeof text - 1;
        /* Spaces over whatever the previous, longer line left (the ETA of
         * the last update: a stray "TA 0s" after the final line). */
        fprintf(stderr, "\r%s%*s", text, p->shown > len ? p->shown - len : 0, "");
        p->shown = len;
        if (final) {
            fputc('\n', stderr);
            p->shown = 0;
        }
    } else {
        fprintf(stderr, "vkcalib: %s: %u/%u files, %.1f MB, %.0f MB/s%s%s\n", p->pass, files, p->total_files, mb,
                rate, eta, final ? ", done" : "");
    }
    fflush(stderr);
}

void progress_update(progress *p, uint64_t bytes, uint32_t files, int force)
{
    if (p->quiet) return;
    double now = progress_now();
    double every = p->tty ? 0.1 : 5.0;
    if (!force && now - p->last < every) return;
    p->last = now;
    line(p, bytes, files, now, 0);
}

void progress_end(progress *p, uint64_t bytes, uint32_t files)
{
    if (p->quiet) return;
    line(p, bytes, files, progress_now(), 1);
}
