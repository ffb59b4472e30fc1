/* A minimal fork-join loop over indices for the host side of the backends.
 * Threads are started per call: the callers do milliseconds of work per
 * call, where a pool would save nothing measurable. */
#ifndef VKC_PARALLEL_H
#define VKC_PARALLEL_H

#include <stdint.h>

/* Calls fn(arg, i) for every i < count on up to threads threads (the caller
 * is one of them); index i goes to thread i % threads. If a thread cannot be
 * started, the caller runs its indices. */
void vkc_parallel_for(uint32_t threads, uint32_t count, void (*fn)(void *arg, uint32_t i), void *arg);

#endif
