/* Streams the batches of a calibration set to the compute thread: a reader
 * thread fills one of two slots while the caller's pass consumes the other,
 * so file reading (and npz inflation) overlaps GPU or CPU work. */
#ifndef VKC_FEEDER_H
#define VKC_FEEDER_H

#include "dataset.h"

#include <pthread.h>

typedef struct feeder_chunk {
    const float *x;     /* the values as float32; NULL for native float16 */
    const void *raw;    /* the values in dtype (x itself for float32) */
    vkc_dtype dtype;
    uint64_t n;
    uint32_t tensor;
    uint32_t item;   /* first batch in the chunk (a chunk may span several) */
    uint32_t ndim;   /* that batch's shape (0: unknown or more than 8 dimensions) */
    uint64_t shape[8];
} feeder_chunk;

typedef struct feeder feeder;

struct vkc_source;
/* 1 for the element types of activations (float16, float32, float64);
 * integer arrays are counts or quantized data, not something to calibrate. */
int feeder_activation_type(vkc_npy_type dt);
/* Opens one batch: a .npy file or an npz member. */
vkc_status feeder_open_item(const ds_item *it, struct vkc_source **src, vkc_msg *msg);

/* slot_elems floats per slot (two slots). Starts the reader thread. With
 * native16, float16 batches arrive as float16 (twice as many per slot, half
 * the bytes to move to a GPU, which widens them exactly); otherwise every
 * chunk is float32. A chunk never mixes dtypes. */
feeder *feeder_start(const dataset *ds, uint64_t slot_elems, int native16, vkc_msg *msg);
/* Next chunk, in tensor and item order; 0 at the end or on a read error
 * (then feeder_finish reports it). The chunk stays valid until the next
 * call. */
int feeder_next(feeder *f, feeder_chunk *c);
/* Joins the thread; returns the reader's status (and message) and the final
 * progress counts. Stops the reader early if the caller gave up. */
vkc_status feeder_finish(feeder *f, vkc_msg *msg, uint64_t *bytes, uint32_t *files);
/* Progress, safe to call from the consumer. */
void feeder_progress(feeder *f, uint64_t *bytes, uint32_t *files);

#endif
