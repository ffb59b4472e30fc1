/* The one fork-join helper of the host side: every module that runs work
 * on several threads goes through it. Threads are started per call: the
 * callers do milliseconds of work per call, where a pool would save
 * nothing measurable. */
#ifndef VKC_PARALLEL_H
#define VKC_PARALLEL_H

#include <stdint.h>

/* Calls fn(arg, i) for every i < count on up to threads threads (the caller
 * is one of them); index i goes to thread i % threads. With count = threads,
 * each index is a lane of its own thread. If a thread cannot be started,
 * the caller runs its indices. */
void vkc_parallel_for(uint32_t threads, uint32_t count, void (*fn)(void *arg, uint32_t i), void *arg);

/* Splits [0, n) into parts contiguous ranges, part t = [t * (n / parts),
 * (t + 1) * (n / parts)) with the remainder in the last, and calls
 * fn(arg, t, begin, end) for each part on a thread of its own (the caller
 * runs one; parts 0 means 1). The split depends on n and parts only, so a
 * caller that merges the parts' results in part order gets the same result
 * whichever threads ran them. */
void vkc_parallel_parts(uint32_t parts, uint64_t n, void (*fn)(void *arg, uint32_t part, uint64_t begin, uint64_t end),
                        void *arg);

#endif
