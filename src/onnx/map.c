/* The open-addressing name map of model.h: FNV-1a hashes, linear probing,
 * a table at most half full. Keys are not copied (they live in the model's
 * arena or the caller's strings). */
#include "onnx/model.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

int onnx_map_put(onnx_map *m, const char *key, uint32_t val)
{
    if ((uint64_t)(m->count + 1) * 2 > m->cap) {
        uint32_t cap = m->cap ? m->cap * 2 : 64;
        const char **keys = calloc(cap, sizeof *keys);
        uint32_t *vals = calloc(cap, sizeof *vals);
        if (!keys || !vals) {
            free(keys);
            free(vals);
            return 0;
        }
        for (uint32_t i = 0; i < m->cap; i++) {
            if (!m->keys[i]) continue;
            uint32_t j = (uint32_t)(hash_str(m->keys[i]) & (cap - 1));
            while (keys[j]) j = (j + 1) & (cap - 1);
            keys[j] = m->keys[i];
            vals[j] = m->vals[i];
        }
        free(m->keys);
        free(m->vals);
        m->keys = keys;
        m->vals = vals;
        m->cap = cap;
    }
    uint32_t j = (uint32_t)(hash_str(key) & (m->cap - 1));
    while (m->keys[j]) {
        if (strcmp(m->keys[j], key) == 0) return 1; /* first wins */
        j = (j + 1) & (m->cap - 1);
    }
    m->keys[j] = key;
    m->vals[j] = val;
    m->count++;
    return 1;
}

uint32_t *onnx_map_slot(onnx_map *m, const char *key)
{
    if (!onnx_map_get(m, key, NULL) && !onnx_map_put(m, key, 0)) return NULL;
    uint32_t j = (uint32_t)(hash_str(key) & (m->cap - 1));
    while (strcmp(m->keys[j], key) != 0) j = (j + 1) & (m->cap - 1);
    return &m->vals[j];
}

int onnx_map_get(const onnx_map *m, const char *key, uint32_t *val)
{
    if (!m->cap) return 0;
    uint32_t j = (uint32_t)(hash_str(key) & (m->cap - 1));
    while (m->keys[j]) {
        if (strcmp(m->keys[j], key) == 0) {
            if (val) *val = m->vals[j];
            return 1;
        }
        j = (j + 1) & (m->cap - 1);
    }
    return 0;
}

void onnx_map_free(onnx_map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}


int onnx_grow(void **arr, uint32_t n, uint32_t *cap, size_t elem)
{
    if (n < *cap) return 1;
    uint32_t nc = *cap ? *cap * 2 : 16;
    if (nc <= *cap) return 0;
    void *a = realloc(*arr, (size_t)nc * elem);
    if (!a) return 0;
    *arr = a;
    *cap = nc;
    return 1;
}
