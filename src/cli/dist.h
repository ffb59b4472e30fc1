/* Calibration over several processes with MPI (`mpirun -n K vkcalib
 * calibrate ...`): an optional build (cmake -DVKC_MPI=ON defines
 * VKC_WITH_MPI for the CLI only; the libraries never see MPI).
 *
 * MPI is initialised only when a launcher started the process (Open MPI's
 * OMPI_COMM_WORLD_SIZE, PMIx's PMIX_RANK, PMI's PMI_SIZE); otherwise, and
 * in a build without MPI, this is one process, rank 0 of 1, and every call
 * below is trivial (no MPI call at all).
 *
 * The rule that keeps an MPI run from hanging: every rank makes the same
 * collective calls in the same order. dist_agree is called unconditionally
 * after each phase; the reductions only when the preceding agreement said
 * every rank succeeded, so all ranks take the same path. */
#ifndef VKC_DIST_H
#define VKC_DIST_H

#include "calib.h"

#include <stdint.h>

/* 1 when this build has MPI. */
int dist_compiled(void);
/* Initialises MPI when launched by an MPI launcher; 0 on failure (printed).
 * Call once, before any other dist_ call; pair with dist_finalize. */
int dist_init(void);
void dist_finalize(void);

/* This process among all (rank of size) and among those on its machine
 * (local rank of local size). 0 of 1 without MPI. */
uint32_t dist_rank(void);
uint32_t dist_size(void);
uint32_t dist_local_rank(void);
uint32_t dist_local_size(void);

/* 1 when every rank passed ok != 0. *root_ok (optional): rank 0's ok. Waits
 * without spinning, so a rank that is done leaves the cores to the others. */
int dist_agree(int ok, int *root_ok);
/* 1 when every rank passed the same v. */
int dist_same(uint64_t v);
/* Range statistics: every rank's accumulated statistics of each tensor
 * (the calibrator in its range pass) merged exactly, as vkc_stats_merge
 * would, on every rank. */
void dist_allreduce_stats(vkc_calibrator *cal, uint32_t ntensors);
/* Histograms: every rank's counts (the calibrator in its histogram pass)
 * summed into rank 0's; the other ranks' are left as they were. */
void dist_reduce_counts(vkc_calibrator *cal, uint32_t ntensors);

#endif
