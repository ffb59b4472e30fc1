/* Progress on stderr: a one-line bar redrawn in place on a terminal, plain
 * lines every few seconds otherwise, nothing when quiet. */
#ifndef VKC_PROGRESS_H
#define VKC_PROGRESS_H

#include <stdint.h>

typedef struct progress {
    int quiet, tty;
    const char *pass;
    uint64_t total_bytes;
    uint32_t total_files;
    double start, last;
    int shown;       /* characters of the line on the terminal now */
} progress;

double progress_now(void);
void progress_begin(progress *p, const char *pass, uint64_t total_bytes, uint32_t total_files, int quiet);
void progress_update(progress *p, uint64_t bytes, uint32_t files, int force);
void progress_end(progress *p, uint64_t bytes, uint32_t files);

#endif
