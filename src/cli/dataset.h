/* A calibration set: tensors and, for each, the batches that hold it. */
#ifndef VKC_DATASET_H
#define VKC_DATASET_H

#include "vkcalib.h"

typedef struct ds_item {
    const char *path;  /* .npy / raw file, or the .npz holding the member (the dataset's copy) */
    const char *member;/* npz key (the archive's), NULL for a plain file */
    vkc_npz *npz;      /* the archive, its directory read once at the scan; NULL for a plain file */
    uint32_t index;    /* the member's index in npz */
} ds_item;

typedef struct ds_tensor {
    char *name;
    ds_item *items;
    uint32_t nitems, cap;
} ds_tensor;

/* One input file: its path, and its archive for an .npz (kept open with
 * its descriptor released, so that a set of thousands of batches needs no
 * descriptor each and no directory is read twice). */
typedef struct ds_file {
    char *path;
    vkc_npz *npz;
} ds_file;

typedef struct dataset {
    ds_tensor *tensors;
    uint32_t ntensors, cap;
    uint32_t nbatches;  /* npz layout: batches seen */
    uint64_t bytes;     /* total size of the input files */
    ds_file *files;     /* every input file, once */
    uint32_t nfiles, capfiles;
    uint32_t *slots;    /* open-addressing index of tensor names: tensor + 1, 0 empty */
    uint32_t nslots;
    int owner;          /* 0 for a share (dataset_share): names, files and archives are the parent's */
} dataset;

/* Scans each input: a .npz file (one batch, keys = tensor names), a folder
 * of .npz files (one per batch), a folder of tensor folders (tensor name =
 * folder name, one .npy per batch), or one tensor folder. Files are taken in
 * sorted (byte-wise) order. A tensor missing from some npz batches is an
 * error naming it unless allow_missing. Nothing is dropped silently: a .npy
 * or .npz that fits no layout where it lies is an error, any other file a
 * warning; one batch file reached twice (a folder and a file in it, a
 * symbolic link to another batch) is an error. Prints errors itself;
 * returns 0 on failure. */
int dataset_scan(dataset *ds, char **inputs, int ninputs, int allow_missing);
void dataset_free(dataset *ds);
/* The bytes of the set's deflated .npz members, once decoded: what a second
 * read would spend CPU time inflating again. */
uint64_t dataset_deflated_bytes(const dataset *ds);

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
/* 1 when path names an existing file that is one of the set's input files
 * (the same device and inode: through any link). */
int dataset_has_file(const dataset *ds, const char *path);
/* 1 when path names an existing file that is one of the INPUTs or a file a
 * scan of them would read (for outputs that must not overwrite an input). */
int inputs_have_file(char **inputs, int ninputs, const char *path);

#endif
