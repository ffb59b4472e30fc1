/* The benchmarks' data generator: splitmix64 and a Box-Muller normal, so
 * every benchmark draws the same values from the same seed. No library
 * header: bench_cpu_pass, which sees only the public API, uses it too. */
#ifndef VKC_BENCH_RAND_H
#define VKC_BENCH_RAND_H

#include <math.h>
#include <stdint.h>

static inline uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline double uniform01(uint64_t *s)
{
    return ((double)(splitmix(s) >> 11) + 0.5) * 0x1p-53;
}

static inline double normal(uint64_t *s)
{
    return sqrt(-2.0 * log(uniform01(s))) * cos(6.283185307179586 * uniform01(s));
}

#endif
