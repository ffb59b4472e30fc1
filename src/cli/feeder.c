/* The feeder (feeder.h): a reader thread fills two slots in tensor and batch
 * order while the consumer's pass works on the other slot. Deflated .npz
 * members are the exception to one thread doing all the reading: inflating
 * costs far more CPU than the pass itself (84% of a deflated calibration's
 * time, measured), so a few decoder threads inflate the next members into
 * memory ahead of the reader, which copies them into the slots in order.
 * The chunks, their order and the errors are the same either way: a member
 * that fails is reported when the reader reaches it. */
#include "feeder.h"
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A deflated member decoded ahead of the reader (at most DECODE_MAX bytes
 * once decoded: a larger one is streamed by the reader as before). */
#define DECODE_MAX (32ull << 20)
#define DECODE_THREADS_MAX 8

typedef struct decoded {
    int state;               /* 0 waiting, 1 a decoder has it, 2 done */
    vkc_status status;
    vkc_msg msg;
    void *values;            /* float32, or float16 bits where the reader wants them */
    uint64_t n;
    vkc_npy_type dt;         /* the member's own dtype */
    vkc_dtype want;
    uint32_t ndim;
    uint64_t shape[8];
} decoded;

/* One batch in feeding order. */
typedef struct job {
    uint32_t tensor, item;
    int ahead;               /* decoded by the decoder threads */
    decoded d;
} job;

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
    /* Decoding ahead: jobs[next_decode..] are handed to decoders, at most
     * window jobs past the reader's position (reading). */
    job *jobs;
    uint32_t njobs, reading, next_decode, window;
    pthread_t dec[DECODE_THREADS_MAX];
    uint32_t ndec;
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

int feeder_activation_type(vkc_npy_type dt)
{
    return dt == VKC_DT_F32 || dt == VKC_DT_F16 || dt == VKC_DT_F64;
}

/* The error for a batch that is not an activation type. */
static vkc_status not_activation(vkc_source *src, vkc_npy_type dt, vkc_msg *msg)
{
    return cli_fail(msg, VKC_ERROR_FORMAT, "%s: dtype %s is not an activation type (float16, float32 or float64)",
                    vkc_source_name(src), vkc_npy_type_name(dt));
}

/* ---- decoding ahead ------------------------------------------------------ */

static void decode_one(feeder *f, job *j)
{
    decoded *d = &j->d;
    vkc_source *src = NULL;
    d->status = feeder_open_item(&f->ds->tensors[j->tensor].items[j->item], &src, &d->msg);
    if (d->status != VKC_OK) return;
    d->dt = vkc_source_dtype(src);
    const vkc_npy_header *hd = vkc_source_header(src);
    d->ndim = hd && hd->ndim <= 8 ? hd->ndim : 0;
    for (uint32_t k = 0; k < d->ndim; k++) d->shape[k] = hd->shape[k];
    if (!feeder_activation_type(d->dt)) {
        d->status = not_activation(src, d->dt, &d->msg);
        vkc_source_close(src);
        return;
    }
    d->want = f->native16 && d->dt == VKC_DT_F16 ? VKC_DTYPE_F16 : VKC_DTYPE_F32;
    const uint64_t count = vkc_source_count(src);
    const size_t es = d->want == VKC_DTYPE_F16 ? 2 : 4;
    d->values = malloc(count ? (size_t)count * es : 1);
    if (!d->values) {
        d->status = cli_fail(&d->msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory decoding it ahead",
                             vkc_source_name(src));
        vkc_source_close(src);
        return;
    }
    while (d->status == VKC_OK && d->n < count) {
        uint64_t got = 0;
        if (d->want == VKC_DTYPE_F16)
            d->status = vkc_source_read_raw(src, (uint16_t *)d->values + d->n, count - d->n, &got, &d->msg);
        else
            d->status = vkc_source_read_f32(src, (float *)d->values + d->n, count - d->n, &got, &d->msg);
        if (got == 0) break;
        d->n += got;
    }
    /* The end of the member is where its CRC is checked: read past it. */
    uint64_t extra = 0;
    float probe[1];
    if (d->status == VKC_OK && d->want == VKC_DTYPE_F16)
        d->status = vkc_source_read_raw(src, (uint16_t *)(void *)probe, 1, &extra, &d->msg);
    else if (d->status == VKC_OK)
        d->status = vkc_source_read_f32(src, probe, 1, &extra, &d->msg);
    if (d->status == VKC_OK && (d->n != count || extra))
        d->status = cli_fail(&d->msg, VKC_ERROR_FORMAT, "%s: holds another number of values than its header says",
                             vkc_source_name(src));
    vkc_source_close(src);
}

static void *decoder(void *arg)
{
    feeder *f = arg;
    pthread_mutex_lock(&f->mu);
    for (;;) {
        while (!f->stop && f->next_decode < f->njobs &&
               (!f->jobs[f->next_decode].ahead || f->jobs[f->next_decode].d.state != 0))
            f->next_decode++;
        if (f->stop || f->next_decode >= f->njobs) break;
        if (f->next_decode >= f->reading + f->window) {
            pthread_cond_wait(&f->cv, &f->mu);
            continue;
        }
        job *j = &f->jobs[f->next_decode++];
        j->d.state = 1;
        pthread_mutex_unlock(&f->mu);
        decode_one(f, j);
        pthread_mutex_lock(&f->mu);
        j->d.state = 2;
        pthread_cond_broadcast(&f->cv);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

/* The jobs in feeding order, and which of them the decoders take: deflated
 * npz members small enough to hold decoded. */
static int plan_jobs(feeder *f)
{
    uint32_t n = 0, ahead = 0;
    for (uint32_t t = 0; t < f->ds->ntensors; t++) n += f->ds->tensors[t].nitems;
    f->jobs = calloc(n ? n : 1, sizeof *f->jobs);
    if (!f->jobs) return 0;
    for (uint32_t t = 0; t < f->ds->ntensors; t++)
        for (uint32_t k = 0; k < f->ds->tensors[t].nitems; k++) {
            const ds_item *it = &f->ds->tensors[t].items[k];
            job *j = &f->jobs[f->njobs++];
            j->tensor = t;
            j->item = k;
            uint64_t bytes = 0;
            int deflated = 0;
            j->ahead = it->npz && vkc_npz_member(it->npz, it->index, NULL, &bytes, &deflated) && deflated &&
                       bytes <= DECODE_MAX;
            ahead += (uint32_t)j->ahead;
        }
    if (ahead) {
        /* Every core inflates: the consumer's pass is the lighter load. */
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        f->ndec = cores < 2 ? 2 : cores > DECODE_THREADS_MAX ? DECODE_THREADS_MAX : (uint32_t)cores;
        f->window = f->ndec + 1; /* at most that many members held decoded */
    }
    return 1;
}

/* ---- the reader ---------------------------------------------------------- */

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

/* One batch as the reader consumes it: a streaming source, or a member the
 * decoders hold in memory. */
typedef struct batch_in {
    vkc_source *src;
    decoded *d;
    uint64_t off;
    vkc_npy_type dt;
    uint32_t ndim;
    const uint64_t *shape;
} batch_in;

static vkc_status batch_open(feeder *f, uint32_t jn, batch_in *b, vkc_msg *msg)
{
    job *j = &f->jobs[jn];
    memset(b, 0, sizeof *b);
    if (j->ahead) {
        pthread_mutex_lock(&f->mu);
        while (j->d.state != 2 && !f->stop) pthread_cond_wait(&f->cv, &f->mu);
        int stop = f->stop;
        pthread_mutex_unlock(&f->mu);
        if (stop) {
            msg->text[0] = 0;
            return VKC_ERROR_IO;
        }
        if (j->d.status != VKC_OK) {
            *msg = j->d.msg;
            return j->d.status;
        }
        b->d = &j->d;
        b->dt = j->d.dt;
        b->ndim = j->d.ndim;
        b->shape = j->d.shape;
        return VKC_OK;
    }
    vkc_status s = feeder_open_item(&f->ds->tensors[j->tensor].items[j->item], &b->src, msg);
    if (s != VKC_OK) return s;
    b->dt = vkc_source_dtype(b->src);
    if (!feeder_activation_type(b->dt)) {
        s = not_activation(b->src, b->dt, msg);
        vkc_source_close(b->src);
        b->src = NULL;
        return s;
    }
    const vkc_npy_header *hd = vkc_source_header(b->src);
    b->ndim = hd && hd->ndim <= 8 ? hd->ndim : 0;
    b->shape = hd ? hd->shape : NULL;
    return VKC_OK;
}

static vkc_status batch_read(batch_in *b, vkc_dtype want, void *dst, uint64_t max, uint64_t *got, vkc_msg *msg)
{
    if (b->d) {
        uint64_t k = b->d->n - b->off < max ? b->d->n - b->off : max;
        const size_t es = want == VKC_DTYPE_F16 ? 2 : 4;
        memcpy(dst, (const char *)b->d->values + b->off * es, (size_t)(k * es));
        b->off += k;
        *got = k;
        return VKC_OK;
    }
    if (want == VKC_DTYPE_F16) return vkc_source_read_raw(b->src, (uint16_t *)dst, max, got, msg);
    return vkc_source_read_f32(b->src, (float *)dst, max, got, msg);
}

static void batch_close(feeder *f, uint32_t jn, batch_in *b)
{
    if (b->src) vkc_source_close(b->src);
    pthread_mutex_lock(&f->mu);
    if (b->d) {
        free(b->d->values);
        b->d->values = NULL;
    }
    f->reading = jn + 1; /* a decoder may take one more */
    f->files++;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
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
    uint32_t jn = 0;
    for (uint32_t t = 0; s == VKC_OK && t < f->ds->ntensors; t++) {
        const ds_tensor *ten = &f->ds->tensors[t];
        uint64_t fill = 0;
        uint32_t first = 0;
        vkc_dtype sdt = VKC_DTYPE_F32;
        for (uint32_t k = 0; s == VKC_OK && k < ten->nitems; k++, jn++) {
            batch_in b;
            s = batch_open(f, jn, &b, &msg);
            if (s != VKC_OK) break;
            size_t esize = vkc_npy_type_size(b.dt);
            vkc_dtype want = f->native16 && b.dt == VKC_DT_F16 ? VKC_DTYPE_F16 : VKC_DTYPE_F32;
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
                    f->ndim[slot] = b.ndim;
                    for (uint32_t d = 0; d < b.ndim; d++) f->shape[slot][d] = b.shape[d];
                }
                uint64_t got = 0;
                void *dst = want == VKC_DTYPE_F16 ? (void *)((uint16_t *)(void *)f->buf[slot] + fill)
                                                  : (void *)(f->buf[slot] + fill);
                s = batch_read(&b, want, dst, cap - fill, &got, &msg);
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
            batch_close(f, jn, &b);
        }
        if (s == VKC_OK && fill) publish(f, &slot, fill, sdt, t, first);
    }
    pthread_mutex_lock(&f->mu);
    f->done = 1;
    if (!f->stop) {
        f->status = s;
        f->msg = msg;
    }
    /* The decoders stop with the reader. */
    f->stop = 1;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

static void free_feeder(feeder *f)
{
    for (uint32_t k = 0; f->jobs && k < f->njobs; k++) free(f->jobs[k].d.values);
    free(f->jobs);
    free(f->buf[0]);
    free(f->buf[1]);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
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
    int ok = f->buf[0] && f->buf[1] && plan_jobs(f);
    /* Decoders first: the reader waits for the members marked ahead, so
     * which are marked is settled before it starts. A decoder that does
     * not start leaves its share to the others; with none, nothing is
     * decoded ahead. */
    uint32_t want = ok ? f->ndec : 0;
    f->ndec = 0;
    for (uint32_t k = 0; k < want; k++)
        if (pthread_create(&f->dec[f->ndec], NULL, decoder, f) == 0) f->ndec++;
    if (want && !f->ndec)
        for (uint32_t k = 0; k < f->njobs; k++) f->jobs[k].ahead = 0;
    if (ok && pthread_create(&f->th, NULL, reader, f) != 0) ok = 0;
    if (!ok) {
        pthread_mutex_lock(&f->mu);
        f->stop = 1;
        pthread_cond_broadcast(&f->cv);
        pthread_mutex_unlock(&f->mu);
        for (uint32_t k = 0; k < f->ndec; k++) pthread_join(f->dec[k], NULL);
        cli_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "cannot start the reader (%llu MiB of buffers)",
                 (unsigned long long)(2 * f->cap * sizeof(float) >> 20));
        free_feeder(f);
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
    f->stop = 1; /* a reader still running stops; its status stays unset */
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    if (f->started) pthread_join(f->th, NULL);
    for (uint32_t k = 0; k < f->ndec; k++) pthread_join(f->dec[k], NULL);
    vkc_status s = f->status;
    if (s != VKC_OK && msg) *msg = f->msg;
    if (bytes) *bytes = f->bytes;
    if (files) *files = f->files;
    free_feeder(f);
    return s;
}
