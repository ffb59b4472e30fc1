/* realpath() is X/Open. */
#define _XOPEN_SOURCE 700

#include "dataset.h"
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p) return NULL;
    memcpy(p, dir, a);
    size_t o = a;
    if (a && dir[a - 1] != '/') p[o++] = '/';
    memcpy(p + o, name, b + 1);
    return p;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of a folder, without dot files. */
static char **list_dir(const char *dir, uint32_t *n)
{
    DIR *d = opendir(dir);
    if (!d) {
        cli_error("%s: %s", dir, strerror(errno));
        return NULL;
    }
    uint32_t cap = 64, len = 0;
    char **names = malloc(cap * sizeof *names);
    struct dirent *e;
    while (names && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (len == cap) {
            char **g = realloc(names, (cap *= 2) * sizeof *names);
            if (!g) break;
            names = g;
        }
        names[len] = dup_str(e->d_name);
        if (!names[len]) break;
        len++;
    }
    closedir(d);
    if (!names) {
        cli_error("out of memory listing %s", dir);
        return NULL;
    }
    qsort(names, len, sizeof *names, cmp_str);
    *n = len;
    return names;
}

static void free_list(char **names, uint32_t n)
{
    for (uint32_t i = 0; names && i < n; i++) free(names[i]);
    free(names);
}

static ds_tensor *find_or_add(dataset *ds, const char *name)
{
    for (uint32_t t = 0; t < ds->ntensors; t++)
        if (strcmp(ds->tensors[t].name, name) == 0) return &ds->tensors[t];
    if (ds->ntensors == ds->cap) {
        uint32_t cap = ds->cap ? ds->cap * 2 : 16;
        ds_tensor *g = realloc(ds->tensors, cap * sizeof *g);
        if (!g) return NULL;
        ds->tensors = g;
        ds->cap = cap;
    }
    ds_tensor *t = &ds->tensors[ds->ntensors];
    memset(t, 0, sizeof *t);
    t->name = dup_str(name);
    if (!t->name) return NULL;
    ds->ntensors++;
    return t;
}

static int add_item(ds_tensor *t, const char *path, const char *member)
{
    if (t->nitems == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 8;
        ds_item *g = realloc(t->items, cap * sizeof *g);
        if (!g) return 0;
        t->items = g;
        t->cap = cap;
    }
    ds_item *it = &t->items[t->nitems];
    it->path = dup_str(path);
    it->member = member ? dup_str(member) : NULL;
    if (!it->path || (member && !it->member)) return 0;
    t->nitems++;
    return 1;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static int add_npz(dataset *ds, const char *path)
{
    vkc_npz *z = NULL;
    vkc_msg msg = {{0}};
    if (vkc_npz_open(path, &z, &msg) != VKC_OK) {
        cli_error("%s", msg.text);
        return 0;
    }
    int ok = 1;
    for (uint32_t k = 0; ok && k < vkc_npz_count(z); k++) {
        ds_tensor *t = find_or_add(ds, vkc_npz_key(z, k));
        ok = t && add_item(t, path, vkc_npz_key(z, k));
    }
    vkc_npz_close(z);
    if (!ok) cli_error("out of memory scanning %s", path);
    ds->nbatches++;
    ds->bytes += file_size(path);
    return ok;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *base_name(const char *path, char *buf, size_t size)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    size_t s = n;
    while (s > 0 && path[s - 1] != '/') s--;
    size_t len = n - s < size - 1 ? n - s : size - 1;
    memcpy(buf, path + s, len);
    buf[len] = 0;
    return buf;
}

/* A tensor folder: every .npy in it is a batch of the tensor. */
static int add_tensor_dir(dataset *ds, const char *dir, const char *name)
{
    uint32_t n = 0;
    char **names = list_dir(dir, &n);
    if (!names) return 0;
    ds_tensor *t = find_or_add(ds, name);
    int ok = t != NULL, files = 0;
    for (uint32_t k = 0; ok && k < n; k++) {
        if (!ends_with(names[k], ".npy")) continue;
        char *p = join(dir, names[k]);
        ok = p && add_item(t, p, NULL);
        ds->bytes += p ? file_size(p) : 0;
        free(p);
        files++;
    }
    free_list(names, n);
    if (ok && files == 0) {
        cli_error("%s: no .npy files in tensor folder '%s'", dir, name);
        return 0;
    }
    return ok;
}

static int scan_input(dataset *ds, const char *path)
{
    if (!is_dir(path)) {
        if (ends_with(path, ".npz")) return add_npz(ds, path);
        if (ends_with(path, ".npy")) {
            char name[256];
            base_name(path, name, sizeof name);
            name[strlen(name) - 4] = 0;
            ds_tensor *t = find_or_add(ds, name);
            ds->bytes += file_size(path);
            return t && add_item(t, path, NULL);
        }
        struct stat st;
        if (stat(path, &st) != 0) cli_error("%s: %s", path, strerror(errno));
        else cli_error("%s: not a .npz, .npy or folder", path);
        return 0;
    }
    uint32_t n = 0;
    char **names = list_dir(path, &n);
    if (!names) return 0;
    int ok = 1, npz = 0, npy = 0, dirs = 0;
    for (uint32_t k = 0; k < n; k++) {
        char *p = join(path, names[k]);
        if (!p) { ok = 0; break; }
        if (is_dir(p)) dirs++;
        else if (ends_with(names[k], ".npz")) npz++;
        else if (ends_with(names[k], ".npy")) npy++;
        free(p);
    }
    if (ok && npy && !npz && !dirs) {
        char name[256];
        ok = add_tensor_dir(ds, path, base_name(path, name, sizeof name));
    } else if (ok && (npz || dirs)) {
        for (uint32_t k = 0; ok && k < n; k++) {
            char *p = join(path, names[k]);
            if (!p) { ok = 0; break; }
            if (is_dir(p)) ok = add_tensor_dir(ds, p, names[k]);
            else if (ends_with(names[k], ".npz")) ok = add_npz(ds, p);
            free(p);
        }
    } else if (ok) {
        cli_error("%s: empty calibration folder (expected .npz batches, tensor folders or .npy files)", path);
        ok = 0;
    }
    free_list(names, n);
    return ok;
}

/* The same file or folder given twice would count its values twice. */
static int check_duplicates(char **inputs, int ninputs)
{
    char **real = calloc((size_t)ninputs, sizeof *real);
    int ok = real != NULL;
    for (int k = 0; ok && k < ninputs; k++) {
        real[k] = realpath(inputs[k], NULL);
        for (int m = 0; real[k] && m < k; m++)
            if (real[m] && strcmp(real[m], real[k]) == 0) {
                cli_error("%s is given twice (as %s and %s): its values would be counted twice", real[k],
                          inputs[m], inputs[k]);
                ok = 0;
                break;
            }
    }
    for (int k = 0; real && k < ninputs; k++) free(real[k]);
    free(real);
    return ok;
}

int dataset_scan(dataset *ds, char **inputs, int ninputs, int allow_missing)
{
    memset(ds, 0, sizeof *ds);
    if (!check_duplicates(inputs, ninputs)) return 0;
    for (int k = 0; k < ninputs; k++)
        if (!scan_input(ds, inputs[k])) return 0;
    if (ds->ntensors == 0) {
        cli_error("no tensors found in the inputs");
        return 0;
    }
    if (ds->nbatches > 0) {
        for (uint32_t t = 0; t < ds->ntensors; t++) {
            uint32_t have = 0;
            for (uint32_t k = 0; k < ds->tensors[t].nitems; k++) have += ds->tensors[t].items[k].member != NULL;
            if (have < ds->nbatches && !allow_missing) {
                cli_error("tensor '%s' is in %u of %u .npz batches (use --allow-missing to calibrate it on "
                          "the batches that have it)",
                          ds->tensors[t].name, have, ds->nbatches);
                return 0;
            }
        }
    }
    return 1;
}

void dataset_free(dataset *ds)
{
    for (uint32_t t = 0; t < ds->ntensors; t++) {
        for (uint32_t k = 0; k < ds->tensors[t].nitems; k++) {
            free(ds->tensors[t].items[k].path);
            free(ds->tensors[t].items[k].member);
        }
        free(ds->tensors[t].items);
        free(ds->tensors[t].name);
    }
    free(ds->tensors);
    memset(ds, 0, sizeof *ds);
}

int dataset_share(const dataset *ds, uint32_t r, uint32_t n, dataset *share)
{
    memset(share, 0, sizeof *share);
    share->tensors = calloc(ds->ntensors ? ds->ntensors : 1, sizeof *share->tensors);
    if (!share->tensors) {
        cli_error("out of memory");
        return 0;
    }
    share->ntensors = share->cap = ds->ntensors;
    uint64_t all = 0, mine = 0;
    for (uint32_t t = 0; t < ds->ntensors; t++) {
        const ds_tensor *src = &ds->tensors[t];
        ds_tensor *dst = &share->tensors[t];
        uint32_t m = src->nitems > r ? (src->nitems - r + n - 1) / n : 0;
        dst->name = src->name;
        dst->items = m ? malloc(m * sizeof *dst->items) : NULL;
        if (m && !dst->items) {
            dataset_share_free(share);
            cli_error("out of memory");
            return 0;
        }
        for (uint32_t k = r; k < src->nitems; k += n) dst->items[dst->nitems++] = src->items[k];
        dst->cap = dst->nitems;
        all += src->nitems;
        mine += dst->nitems;
    }
    share->nbatches = ds->nbatches > r ? (ds->nbatches - r + n - 1) / n : 0;
    share->bytes = all ? (uint64_t)((double)ds->bytes * (double)mine / (double)all) : 0;
    return 1;
}

void dataset_share_free(dataset *share)
{
    for (uint32_t t = 0; share->tensors && t < share->ntensors; t++) free(share->tensors[t].items);
    free(share->tensors);
    memset(share, 0, sizeof *share);
}

static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h;
}

uint64_t dataset_fingerprint(const dataset *ds)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint32_t t = 0; t < ds->ntensors; t++) {
        const ds_tensor *ten = &ds->tensors[t];
        h = fnv1a(h, ten->name, strlen(ten->name) + 1);
        for (uint32_t k = 0; k < ten->nitems; k++) {
            h = fnv1a(h, ten->items[k].path, strlen(ten->items[k].path) + 1);
            if (ten->items[k].member) h = fnv1a(h, ten->items[k].member, strlen(ten->items[k].member) + 1);
            h = fnv1a(h, "", 1);
        }
        h = fnv1a(h, "\n", 1);
    }
    return h;
}
