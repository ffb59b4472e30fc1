#include "base/parallel.h"

#include <pthread.h>

#define MAX_THREADS 64

typedef struct lane {
    void (*fn)(void *, uint32_t);
    void *arg;
    uint32_t first, step, count;
} lane;

static void *run_lane(void *p)
{
    lane *l = p;
    for (uint32_t i = l->first; i < l->count; i += l->step) l->fn(l->arg, i);
    return NULL;
}

void vkc_parallel_for(uint32_t threads, uint32_t count, void (*fn)(void *arg, uint32_t i), void *arg)
{
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if (threads > count) threads = count;
    if (threads <= 1) {
        for (uint32_t i = 0; i < count; i++) fn(arg, i);
        return;
    }
    lane lanes[MAX_THREADS];
    pthread_t th[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (uint32_t t = 0; t < threads; t++) {
        lanes[t] = (lane){fn, arg, t, threads, count};
        if (t > 0) started[t] = pthread_create(&th[t], NULL, run_lane, &lanes[t]) == 0;
    }
    run_lane(&lanes[0]);
    for (uint32_t t = 1; t < threads; t++) {
        if (started[t]) pthread_join(th[t], NULL);
        else run_lane(&lanes[t]);
    }
}
