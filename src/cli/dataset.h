/* A calibration set: tensors and, for each, the batches that hold it. */
#ifndef VKC_DATASET_H
#define VKC_DATASET_H

#include "vkcalib.h"

typedef struct ds_item {
    char *path;        /* .npy / raw file, or the .npz holding the member */
    char *member;      /* npz key, NULL for a plain file */
} ds_item;

typedef struct ds_tensor {
    char *name;
    ds_item *items;
    uint32_t nitems, cap;
} ds_tensor;

typedef struct dataset {
    ds_tensor *tensors;
    uint32_t ntensors, cap;
    uint32_t nbatches;  /* npz layout: batches seen */
    uint64_t bytes;     /* total size of the input files */
} dataset;

/* Scans each input: a .npz file (one batch, keys = tensor names), a folder
 * of .npz files (one per batch), a folder of tensor folders (tensor name =
 * folder name, one .npy per batch), or one tensor folder. Files are taken in
 * sorted (byte-wise) order. A tensor missing from some npz batches is an
 * error naming it unless allow_missing. Prints errors itself; returns 0 on
 * failure. */
int dataset_scan(dataset *ds, char **inputs, int ninputs, int allow_missing);
void dataset_free(dataset *ds);

/* Share r of n, for splitting a calibration over devices (--devices) or
 * processes (MPI): batch k of every tensor goes to share k % n, in order. A
 * shallow view: names and paths stay ds's (ds must outlive it); bytes is
 * ds's pro rata. A tensor with fewer than n batches has none in some
 * shares. Returns 0 when out of memory (printed); free with
 * dataset_share_free. */
int dataset_share(const dataset *ds, uint32_t r, uint32_t n, dataset *share);
void dataset_share_free(dataset *share);
/* A hash of the tensor names and batches (paths, members, order): processes
 * compare it to be sure they scanned the same calibration set. */
uint64_t dataset_fingerprint(const dataset *ds);

#endif
