#include "feeder.h"
#include "cli.h"

#include <stdlib.h>
#include <string.h>

struct feeder {
    const dataset *ds;
    uint64_t cap;
    float *buf[2];
    int native16;
    uint64_t n[2];
    vkc_dtype dtype[2];
    uint32_t tensor[2], item[2];
    uint32_t ndim[2];
    uint64_t shape[2][8];   /* of the chunk's first batch */
    int full[2];
    int head;          /* next slot the consumer takes */
    int held;          /* consumer holds slot head - 1 until its next call */
    int done, stop;
    vkc_status status;
    vkc_msg msg;
    uint64_t bytes;
    uint32_t files;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    int started;
};

vkc_status feeder_open_item(const ds_item *it, vkc_source **src, vkc_msg *msg)
{
    if (!it->npz) return vkc_source_open_npy(it->path, src, msg);
    /* The archive's directory was read once, at the scan: opening a member
     * is one open() and its local header, whatever the number of members. */
    return vkc_npz_source(it->npz, it->index, src, msg);
}

/* Waits for a free slot; returns -1 when the consumer stopped. */
static int wait_slot(feeder *f, int slot)
{
    pthread_mutex_lock(&f->mu);
    while (f->full[slot] && !f->stop) pthread_cond_wait(&f->cv, &f->mu);
    int stop = f->stop;
    pthread_mutex_unlock(&f->mu);
    return stop ? -1 : 0;
}

/* Hands a filled slot to the consumer and moves to the other one. */
static void publish(feeder *f, int *slot, uint64_t n, vkc_dtype dt, uint32_t t, uint32_t item)
{
    pthread_mutex_lock(&f->mu);
    f->n[*slot] = n;
    f->dtype[*slot] = dt;
    f->tensor[*slot] = t;
    f->item[*slot] = item;
    f->full[*slot] = 1;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    *slot ^= 1;
}

/* Fills slots with one tensor's batches back to back: many small files make
 * one large chunk, so a GPU pass costs one submission per slot, not per
 * file. A slot never mixes tensors. */
static void *reader(void *arg)
{
    feeder *f = arg;
    int slot = 0;
    vkc_status s = VKC_OK;
    vkc_msg msg = {{0}};
    for (uint32_t t = 0; s == VKC_OK && t < f->ds->ntensors; t++) {
        const ds_tensor *ten = &f->ds->tensors[t];
        uint64_t fill = 0;
        uint32_t first = 0;
        vkc_dtype sdt = VKC_DTYPE_F32;
        for (uint32_t k = 0; s == VKC_OK && k < ten->nitems; k++) {
            vkc_source *src = NULL;
            s = feeder_open_item(&ten->items[k], &src, &msg);
            if (s != VKC_OK) break;
            vkc_npy_type dt = vkc_source_dtype(src);
            if (dt != VKC_DT_F32 && dt != VKC_DT_F16 && dt != VKC_DT_F64) {
                /* Integer arrays are histogram counts or quantized data,
                 * not activations: calibrating them is a mistake. */
                s = cli_fail(&msg, VKC_ERROR_FORMAT, "%s: dtype %s is not an activation type (float16, float32 or float64)",
                             vkc_source_name(src), vkc_npy_type_name(dt));
                vkc_source_close(src);
                break;
            }
            size_t esize = vkc_npy_type_size(dt);
            vkc_dtype want = f->native16 && dt == VKC_DT_F16 ? VKC_DTYPE_F16 : VKC_DTYPE_F32;
            if (fill && want != sdt) {
                publish(f, &slot, fill, sdt, t, first);
                fill = 0;
            }
            sdt = want;
            uint64_t cap = want == VKC_DTYPE_F16 ? 2 * f->cap : f->cap;
            for (;;) {
                if (fill == 0) {
                    if (wait_slot(f, slot) < 0) {
                        s = VKC_ERROR_IO;
                        msg.text[0] = 0;
                        break;
                    }
                    first = k;
                    /* The shape of the batch that starts the chunk. */
                    const vkc_npy_header *hd = vkc_source_header(src);
                    f->ndim[slot] = hd && hd->ndim <= 8 ? hd->ndim : 0;
                    for (uint32_t d = 0; d < f->ndim[slot]; d++) f->shape[slot][d] = hd->shape[d];
                }
                uint64_t got = 0;
                if (want == VKC_DTYPE_F16)
                    s = vkc_source_read_raw(src, (uint16_t *)(void *)f->buf[slot] + fill, cap - fill, &got, &msg);
                else
                    s = vkc_source_read_f32(src, f->buf[slot] + fill, cap - fill, &got, &msg);
                if (s != VKC_OK || got == 0) break;
                fill += got;
                pthread_mutex_lock(&f->mu);
                f->bytes += got * esize;
                pthread_mutex_unlock(&f->mu);
                if (fill == cap) {
                    publish(f, &slot, fill, sdt, t, first);
                    fill = 0;
                }
            }
            vkc_source_close(src);
            pthread_mutex_lock(&f->mu);
            f->files++;
            pthread_mutex_unlock(&f->mu);
        }
        if (s == VKC_OK && fill) publish(f, &slot, fill, sdt, t, first);
    }
    pthread_mutex_lock(&f->mu);
    f->done = 1;
    if (!f->stop) {
        f->status = s;
        f->msg = msg;
    }
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

feeder *feeder_start(const dataset *ds, uint64_t slot_elems, int native16, vkc_msg *msg)
{
    feeder *f = calloc(1, sizeof *f);
    if (!f) {
        cli_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
        return NULL;
    }
    f->ds = ds;
    f->native16 = native16;
    f->cap = slot_elems ? slot_elems : 1;
    f->buf[0] = malloc(f->cap * sizeof(float));
    f->buf[1] = malloc(f->cap * sizeof(float));
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    if (!f->buf[0] || !f->buf[1] || pthread_create(&f->th, NULL, reader, f) != 0) {
        cli_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "cannot start the reader (%llu MiB of buffers)",
                 (unsigned long long)(2 * f->cap * sizeof(float) >> 20));
        free(f->buf[0]);
        free(f->buf[1]);
        pthread_mutex_destroy(&f->mu);
        pthread_cond_destroy(&f->cv);
        free(f);
        return NULL;
    }
    f->started = 1;
    return f;
}

int feeder_next(feeder *f, feeder_chunk *c)
{
    pthread_mutex_lock(&f->mu);
    if (f->held) {
        /* The consumer is done with the slot it held: hand it back. */
        f->full[f->head ^ 1] = 0;
        f->held = 0;
        pthread_cond_broadcast(&f->cv);
    }
    while (!f->full[f->head] && !f->done) pthread_cond_wait(&f->cv, &f->mu);
    int ok = f->full[f->head] && f->status == VKC_OK;
    if (ok) {
        c->dtype = f->dtype[f->head];
        c->raw = f->buf[f->head];
        c->x = c->dtype == VKC_DTYPE_F32 ? f->buf[f->head] : NULL;
        c->n = f->n[f->head];
        c->tensor = f->tensor[f->head];
        c->item = f->item[f->head];
        c->ndim = f->ndim[f->head];
        memcpy(c->shape, f->shape[f->head], sizeof c->shape);
        f->head ^= 1;
        f->held = 1;
    }
    pthread_mutex_unlock(&f->mu);
    return ok;
}

void feeder_progress(feeder *f, uint64_t *bytes, uint32_t *files)
{
    pthread_mutex_lock(&f->mu);
    *bytes = f->bytes;
    *files = f->files;
    pthread_mutex_unlock(&f->mu);
}

vkc_status feeder_finish(feeder *f, vkc_msg *msg, uint64_t *bytes, uint32_t *files)
{
    if (!f) return VKC_ERROR_INVALID_ARGUMENT;
    pthread_mutex_lock(&f->mu);
    f->stop = !f->done;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    if (f->started) pthread_join(f->th, NULL);
    vkc_status s = f->status;
    if (s != VKC_OK && msg) *msg = f->msg;
    if (bytes) *bytes = f->bytes;
    if (files) *files = f->files;
    free(f->buf[0]);
    free(f->buf[1]);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
    return s;
}
