/* Timing helpers shared by the benchmarks. */
#ifndef VKC_BENCH_UTIL_H
#define VKC_BENCH_UTIL_H

#include "base/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of n values; sorts v. */
static inline double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* A decimal option value: 1 on success (no sign, nothing after the digits). */
static inline int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    if (!s || !*s || *s == '-') return 0;
    *v = strtoull(s, &end, 10);
    return *end == 0;
}

/* The machine's load when we start: timings on a busy machine are noisy. */
static inline const char *load_average(void)
{
    static char text[96];
    double l1 = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    int ok = f && fscanf(f, "%lf", &l1) == 1;
    if (f) fclose(f);
    if (ok) snprintf(text, sizeof text, "load average %.2f on %u cores", l1, vkc_cpu_count());
    else snprintf(text, sizeof text, "%u cores", vkc_cpu_count());
    return text;
}

#endif
