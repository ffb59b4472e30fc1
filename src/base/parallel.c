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

typedef struct parts_job {
    void (*fn)(void *, uint32_t, uint64_t, uint64_t);
    void *arg;
    uint32_t parts;
    uint64_t n;
} parts_job;

static void run_part(void *p, uint32_t t)
{
    const parts_job *j = p;
    const uint64_t per = j->n / j->parts;
    j->fn(j->arg, t, t * per, t + 1 == j->parts ? j->n : (t + 1) * per);
}

void vkc_parallel_parts(uint32_t parts, uint64_t n, void (*fn)(void *arg, uint32_t part, uint64_t begin, uint64_t end),
                        void *arg)
{
    parts_job j = {fn, arg, parts ? parts : 1, n};
    vkc_parallel_for(j.parts, j.parts, run_part, &j);
}
