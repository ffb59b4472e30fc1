/* MPI for vkcalib calibrate (dist.h); single-process stubs without
 * VKC_WITH_MPI or without a launcher. */
#include "dist.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef VKC_WITH_MPI
#include <mpi.h>
#endif

static struct {
    int active; /* MPI_Init was called (and MPI_Finalize is due) */
    uint32_t rank, size, local_rank, local_size;
} g = {0, 0, 1, 0, 1};

int dist_compiled(void)
{
#ifdef VKC_WITH_MPI
    return 1;
#else
    return 0;
#endif
}

uint32_t dist_rank(void) { return g.rank; }
uint32_t dist_size(void) { return g.size; }
uint32_t dist_local_rank(void) { return g.local_rank; }
uint32_t dist_local_size(void) { return g.local_size; }

/* Set by the launchers we know: Open MPI, PMIx (Open MPI 5, Slurm), PMI-1/2
 * (MPICH's hydra, Slurm). */
static const char *launcher_size(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"};
    for (size_t k = 0; k < sizeof vars / sizeof vars[0]; k++) {
        const char *v = getenv(vars[k]);
        if (v && *v) return vars[k];
    }
    return NULL;
}

int dist_init(void)
{
    const char *var = launcher_size();
    if (!var) return 1;
#ifdef VKC_WITH_MPI
    int flag = 0;
    MPI_Initialized(&flag);
    if (!flag && MPI_Init(NULL, NULL) != MPI_SUCCESS) {
        cli_error("MPI_Init failed (started by an MPI launcher: %s is set)", var);
        return 0;
    }
    g.active = !flag;
    int r = 0, n = 1, lr = 0, ln = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    MPI_Comm local;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, r, MPI_INFO_NULL, &local) == MPI_SUCCESS) {
        MPI_Comm_rank(local, &lr);
        MPI_Comm_size(local, &ln);
        MPI_Comm_free(&local);
    }
    g.rank = (uint32_t)r;
    g.size = (uint32_t)n;
    g.local_rank = (uint32_t)lr;
    g.local_size = (uint32_t)ln;
#else
    /* Each process would calibrate everything and write the same file. */
    const char *size = getenv("OMPI_COMM_WORLD_SIZE");
    if (!size) size = getenv("PMI_SIZE");
    if (!size || strcmp(size, "1") != 0)
        cli_warn("started by an MPI launcher (%s), but this vkcalib is built without MPI (cmake -DVKC_MPI=ON): "
                 "every process calibrates the whole set on its own", var);
#endif
    return 1;
}

void dist_finalize(void)
{
#ifdef VKC_WITH_MPI
    if (g.active) MPI_Finalize();
#endif
    g.active = 0;
}

#ifdef VKC_WITH_MPI
/* Completes a non-blocking collective, sleeping between tests: a blocking
 * one would spin a core while rank 0 searches or a slower rank reads. */
static void wait_gently(MPI_Request *req)
{
    int done = 0;
    long ns = 1000;
    for (;;) {
        MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (done) return;
        struct timespec ts = {0, ns};
        nanosleep(&ts, NULL);
        if (ns < 2000000) ns *= 2;
    }
}
#endif

int dist_agree(int ok, int *root_ok)
{
    int v[2] = {ok != 0, g.rank == 0 ? ok != 0 : 1};
#ifdef VKC_WITH_MPI
    if (g.size > 1) {
        MPI_Request req;
        MPI_Iallreduce(MPI_IN_PLACE, v, 2, MPI_INT, MPI_MIN, MPI_COMM_WORLD, &req);
        wait_gently(&req);
    }
#endif
    if (root_ok) *root_ok = v[1];
    return v[0];
}

int dist_same(uint64_t v)
{
    uint64_t m[2] = {v, ~v}; /* min(v) and ~max(v) in one reduction */
#ifdef VKC_WITH_MPI
    if (g.size > 1) {
        MPI_Request req;
        MPI_Iallreduce(MPI_IN_PLACE, m, 2, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD, &req);
        wait_gently(&req);
    }
#endif
    return m[0] == ~m[1];
}

#ifdef VKC_WITH_MPI
/* A float's bits as an integer that orders like the float (IEEE total
 * order: -0 < +0), so MPI_MIN and MPI_MAX on integers are min and max. */
static uint32_t order_key(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

static float order_key_inv(uint32_t k)
{
    uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}
#endif

void dist_allreduce_stats(vkc_calibrator *cal, uint32_t ntensors)
{
#ifdef VKC_WITH_MPI
    if (g.size <= 1) return;
    /* vkc_stats_merge as reductions: sums of the counts, MIN and MAX of the
     * order keys of min and max (the IEEE total order, -0 < +0), MAX of
     * absmax's bits (never negative, so integer order is float order). A
     * share without finite values contributes the identity. In blocks, so
     * no allocation can fail on one rank only. */
    enum { BLOCK = 256 };
    uint64_t sums[BLOCK * 5];
    uint32_t keys[3][BLOCK];
    for (uint32_t t0 = 0; t0 < ntensors; t0 += BLOCK) {
        uint32_t m = ntensors - t0 < BLOCK ? ntensors - t0 : BLOCK;
        for (uint32_t k = 0; k < m; k++) {
            const vkc_stats *s = vkc_calibrator_stats(cal, t0 + k);
            sums[5 * k + 0] = s->count;
            sums[5 * k + 1] = s->zeros;
            sums[5 * k + 2] = s->nan;
            sums[5 * k + 3] = s->pos_inf;
            sums[5 * k + 4] = s->neg_inf;
            keys[0][k] = s->count ? order_key(s->min) : UINT32_MAX;
            keys[1][k] = s->count ? order_key(s->max) : 0;
            keys[2][k] = s->count ? float_bits(s->absmax) : 0;
        }
        MPI_Allreduce(MPI_IN_PLACE, sums, (int)(5 * m), MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, keys[0], (int)m, MPI_UINT32_T, MPI_MIN, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, keys[1], (int)m, MPI_UINT32_T, MPI_MAX, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, keys[2], (int)m, MPI_UINT32_T, MPI_MAX, MPI_COMM_WORLD);
        for (uint32_t k = 0; k < m; k++) {
            vkc_stats *s = vkc_calibrator_stats(cal, t0 + k);
            s->count = sums[5 * k + 0];
            s->zeros = sums[5 * k + 1];
            s->nan = sums[5 * k + 2];
            s->pos_inf = sums[5 * k + 3];
            s->neg_inf = sums[5 * k + 4];
            /* No finite value anywhere: the zeros of a fresh vkc_stats, as
             * one process leaves them. */
            s->min = s->count ? order_key_inv(keys[0][k]) : 0.0f;
            s->max = s->count ? order_key_inv(keys[1][k]) : 0.0f;
            s->absmax = s->count ? bits_float(keys[2][k]) : 0.0f;
        }
    }
#else
    (void)cal;
    (void)ntensors;
#endif
}

void dist_reduce_counts(vkc_calibrator *cal, uint32_t ntensors)
{
#ifdef VKC_WITH_MPI
    if (g.size <= 1) return;
    for (uint32_t t = 0; t < ntensors; t++) {
        uint32_t bins = 0;
        uint64_t *counts = vkc_calibrator_counts(cal, t, &bins);
        if (!counts) continue; /* a skipped tensor: skipped on every rank alike */
        if (g.rank == 0)
            MPI_Reduce(MPI_IN_PLACE, counts, (int)bins, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
        else
            MPI_Reduce(counts, NULL, (int)bins, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
    }
#else
    (void)cal;
    (void)ntensors;
#endif
}
