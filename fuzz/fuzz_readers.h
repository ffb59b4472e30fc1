/* The bodies of the reader fuzz targets, shared with tests/test_cpu_readers.c
 * so that the seed corpus replays through exactly the fuzzed code paths in
 * every ctest run, with or without libFuzzer.
 *
 * Each drains a source three ways (float32, raw bytes with tiny internal
 * buffers, uint64 counts) with rewinds between, and checks the invariants
 * every caller relies on; a broken invariant aborts, which is how a fuzzer
 * reports it. Returns the first error of the float32 and raw passes. */
#ifndef VKC_FUZZ_READERS_H
#define VKC_FUZZ_READERS_H

#include "read/source.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VKC_FUZZ_CHECK(cond)                                                        \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                \
        }                                                                           \
    } while (0)

/* An error's message must start with the source's name. */
static inline void vkc_fuzz_check_msg(vkc_status st, const char *name, const vkc_msg *msg)
{
    if (st == VKC_OK) return;
    VKC_FUZZ_CHECK(strncmp(msg->text, name, strlen(name)) == 0);
}

/* Reads everything once through one of three calls (0 f32, 1 raw, 2 u64)
 * in pieces of `piece` elements; checks that exactly count arrive. */
static inline vkc_status vkc_fuzz_drain(vkc_source *s, int how, uint64_t piece, vkc_msg *msg)
{
    float f[64];
    uint64_t u[64];
    uint8_t raw[64 * 8];
    uint64_t total = 0, got = 0;
    vkc_status st;
    VKC_FUZZ_CHECK(piece >= 1 && piece <= 64);
    do {
        if (how == 0) st = vkc_source_read_f32(s, f, piece, &got, msg);
        else if (how == 1) st = vkc_source_read_raw(s, raw, piece, &got, msg);
        else st = vkc_source_read_u64(s, u, piece, &got, msg);
        if (st != VKC_OK) {
            VKC_FUZZ_CHECK(got == 0);
            vkc_fuzz_check_msg(st, vkc_source_name(s), msg);
            return st;
        }
        VKC_FUZZ_CHECK(got <= piece);
        total += got;
    } while (got > 0);
    VKC_FUZZ_CHECK(total == vkc_source_count(s));
    return VKC_OK;
}

static inline vkc_status vkc_fuzz_source(vkc_source *s, vkc_msg *msg)
{
    const vkc_npy_header *h = vkc_source_header(s);
    VKC_FUZZ_CHECK(h->count == vkc_source_count(s));
    VKC_FUZZ_CHECK(h->data_bytes == h->count * vkc_npy_type_size(h->dtype));
    vkc_msg second, third;
    vkc_status first = vkc_fuzz_drain(s, 0, 64, msg);
    vkc_status st = vkc_source_set_chunk_bytes(s, 7, &second); /* rewinds */
    if (st == VKC_OK) st = vkc_fuzz_drain(s, 1, 3, &second);
    /* Same bytes, same verdict, whatever the piece and buffer sizes. */
    VKC_FUZZ_CHECK(st == first);
    if (vkc_source_rewind(s, &third) == VKC_OK) (void)vkc_fuzz_drain(s, 2, 5, &third);
    return first;
}

static inline vkc_status vkc_fuzz_npy(const uint8_t *data, size_t size, vkc_msg *msg)
{
    vkc_source *s = NULL;
    vkc_status st = vkc_source_open_mem_npy(data, size, &s, msg);
    if (st != VKC_OK) {
        VKC_FUZZ_CHECK(s == NULL);
        vkc_fuzz_check_msg(st, "<memory>", msg);
        return st;
    }
    st = vkc_fuzz_source(s, msg);
    vkc_source_close(s);
    return st;
}

/* Every member read fully; the first error wins. */
static inline vkc_status vkc_fuzz_npz_members(vkc_npz *z, const char *name, vkc_msg *msg)
{
    vkc_status first = VKC_OK;
    for (uint32_t i = 0; i < vkc_npz_count(z); i++) {
        const char *key = vkc_npz_key(z, i);
        VKC_FUZZ_CHECK(key != NULL);
        VKC_FUZZ_CHECK(vkc_npz_find(z, key) == i);
        vkc_source *s = NULL;
        vkc_msg m;
        vkc_status st = vkc_npz_source(z, i, &s, &m);
        if (st == VKC_OK) {
            st = vkc_fuzz_source(s, &m);
            vkc_source_close(s);
        } else {
            vkc_fuzz_check_msg(st, name, &m);
        }
        if (st != VKC_OK && first == VKC_OK) {
            first = st;
            *msg = m;
        }
    }
    VKC_FUZZ_CHECK(vkc_npz_key(z, vkc_npz_count(z)) == NULL);
    return first;
}

static inline vkc_status vkc_fuzz_npz(const uint8_t *data, size_t size, vkc_msg *msg)
{
    vkc_npz *z = NULL;
    vkc_status st = vkc_npz_open_mem(data, size, &z, msg);
    if (st != VKC_OK) {
        VKC_FUZZ_CHECK(z == NULL);
        vkc_fuzz_check_msg(st, "<memory>", msg);
        return st;
    }
    st = vkc_fuzz_npz_members(z, "<memory>", msg);
    vkc_npz_close(z);
    return st;
}

#endif
