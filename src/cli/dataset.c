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

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The index of tensor names, kept at most half full (a scan of 20,000
 * tensors looked each name up linearly: quadratic). */
static int index_grow(dataset *ds)
{
    if ((uint64_t)(ds->ntensors + 1) * 2 <= ds->nslots) return 1;
    uint32_t ns = ds->nslots ? ds->nslots * 2 : 64;
    if (ns == 0 || ns > (1u << 30)) return 0;
    uint32_t *slots = calloc(ns, sizeof *slots);
    if (!slots) return 0;
    for (uint32_t t = 0; t < ds->ntensors; t++) {
        uint32_t k = name_hash(ds->tensors[t].name) & (ns - 1);
        while (slots[k]) k = (k + 1) & (ns - 1);
        slots[k] = t + 1;
    }
    free(ds->slots);
    ds->slots = slots;
    ds->nslots = ns;
    return 1;
}

static ds_tensor *find_or_add(dataset *ds, const char *name)
{
    if (ds->nslots)
        for (uint32_t k = name_hash(name) & (ds->nslots - 1); ds->slots[k]; k = (k + 1) & (ds->nslots - 1))
            if (strcmp(ds->tensors[ds->slots[k] - 1].name, name) == 0) return &ds->tensors[ds->slots[k] - 1];
    if (ds->ntensors == ds->cap) {
        uint32_t cap = ds->cap ? ds->cap * 2 : 16;
        ds_tensor *g = realloc(ds->tensors, cap * sizeof *g);
        if (!g) return NULL;
        ds->tensors = g;
        ds->cap = cap;
    }
    if (!index_grow(ds)) return NULL;
    ds_tensor *t = &ds->tensors[ds->ntensors];
    memset(t, 0, sizeof *t);
    t->name = dup_str(name);
    if (!t->name) return NULL;
    uint32_t k = name_hash(name) & (ds->nslots - 1);
    while (ds->slots[k]) k = (k + 1) & (ds->nslots - 1);
    ds->slots[k] = ds->ntensors + 1;
    ds->ntensors++;
    return t;
}

/* The dataset's entry for an input file (path copied once). */
static ds_file *add_file(dataset *ds, const char *path, vkc_npz *z)
{
    if (ds->nfiles == ds->capfiles) {
        uint32_t cap = ds->capfiles ? ds->capfiles * 2 : 64;
        ds_file *g = realloc(ds->files, cap * sizeof *g);
        if (!g) return NULL;
        ds->files = g;
        ds->capfiles = cap;
    }
    ds_file *f = &ds->files[ds->nfiles];
    f->path = dup_str(path);
    f->npz = z;
    if (!f->path) return NULL;
    ds->nfiles++;
    return f;
}

static int add_item(ds_tensor *t, const ds_file *f, const char *member, uint32_t index)
{
    if (t->nitems == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 8;
        ds_item *g = realloc(t->items, cap * sizeof *g);
        if (!g) return 0;
        t->items = g;
        t->cap = cap;
    }
    t->items[t->nitems++] = (ds_item){f->path, member, f->npz, index};
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
    /* The directory stays; the descriptor goes until a member is read. */
    vkc_npz_release_file(z);
    const ds_file *f = add_file(ds, path, z);
    int ok = f != NULL;
    if (!ok) vkc_npz_close(z);
    for (uint32_t k = 0; ok && k < vkc_npz_count(z); k++) {
        const char *key = vkc_npz_key(z, k);
        ds_tensor *t = find_or_add(ds, key);
        ok = t && add_item(t, f, key, k);
    }
    if (!ok) cli_error("out of memory scanning %s", path);
    ds->nbatches++;
    ds->bytes += file_size(path);
    return ok;
}

static int add_npy(dataset *ds, ds_tensor *t, const char *path)
{
    const ds_file *f = t ? add_file(ds, path, NULL) : NULL;
    ds->bytes += file_size(path);
    return f && add_item(t, f, NULL, 0);
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

/* Files a folder holds that no layout reads (notes, outputs written beside
 * the batches): said, never silently left out. */
static void warn_unused(const char *dir, char **names, const int *unused, uint32_t n)
{
    uint32_t count = 0, shown = 0;
    char list[256] = "";
    for (uint32_t k = 0; k < n; k++)
        if (unused[k]) {
            if (shown < 3 && strlen(list) + strlen(names[k]) + 3 < sizeof list) {
                if (shown) strcat(list, ", ");
                strcat(list, names[k]);
                shown++;
            }
            count++;
        }
    if (count)
        cli_warn("%s: %u file%s that %s no .npy or .npz, not read: %s%s", dir, count, count == 1 ? "" : "s",
                 count == 1 ? "is" : "are", list, count > shown ? ", ..." : "");
}

/* A tensor folder: every .npy in it is a batch of the tensor; a .npz or a
 * folder in it fits no layout (an error), other files are warned about. */
static int add_tensor_dir(dataset *ds, const char *dir, const char *name)
{
    uint32_t n = 0;
    char **names = list_dir(dir, &n);
    if (!names) return 0;
    ds_tensor *t = find_or_add(ds, name);
    int ok = t != NULL, files = 0;
    int *unused = calloc(n ? n : 1, sizeof *unused);
    ok = ok && unused;
    for (uint32_t k = 0; ok && k < n; k++) {
        char *p = join(dir, names[k]);
        if (!p) {
            ok = 0;
            break;
        }
        if (ends_with(names[k], ".npy") && !is_dir(p)) {
            ok = add_npy(ds, t, p);
            files++;
        } else if (ends_with(names[k], ".npz") || is_dir(p)) {
            cli_error("%s: '%s' in tensor folder '%s' is not a .npy batch (a tensor folder holds one .npy per "
                      "batch; give .npz batches as their own input)",
                      dir, names[k], name);
            ok = 0;
        } else {
            unused[k] = 1;
        }
        free(p);
    }
    if (ok) warn_unused(dir, names, unused, n);
    free(unused);
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
            return add_npy(ds, find_or_add(ds, name), path);
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
    int *kind = calloc(n ? n : 1, sizeof *kind); /* 1 folder, 2 .npz, 3 .npy, 0 other */
    const char *first_npy = NULL;
    for (uint32_t k = 0; kind && k < n; k++) {
        char *p = join(path, names[k]);
        if (!p) { ok = 0; break; }
        if (is_dir(p)) kind[k] = 1, dirs++;
        else if (ends_with(names[k], ".npz")) kind[k] = 2, npz++;
        else if (ends_with(names[k], ".npy")) {
            kind[k] = 3, npy++;
            if (!first_npy) first_npy = names[k];
        }
        free(p);
    }
    if (!kind) ok = 0;
    if (ok && npy && !npz && !dirs) {
        char name[256];
        ok = add_tensor_dir(ds, path, base_name(path, name, sizeof name));
    } else if (ok && npy) {
        /* .npy files beside .npz batches or tensor folders fit no layout:
         * never drop them silently. */
        cli_error("%s: %s is a .npy beside %s: a folder holds .npz batches, tensor folders or the .npy batches "
                  "of one tensor, not a mix (move it into its tensor's folder, or give it as its own input)",
                  path, first_npy, npz ? ".npz batches" : "tensor folders");
        ok = 0;
    } else if (ok && (npz || dirs)) {
        int *unused = calloc(n ? n : 1, sizeof *unused);
        ok = unused != NULL;
        for (uint32_t k = 0; ok && k < n; k++) {
            char *p = join(path, names[k]);
            if (!p) { ok = 0; break; }
            if (kind[k] == 1) ok = add_tensor_dir(ds, p, names[k]);
            else if (kind[k] == 2) ok = add_npz(ds, p);
            else unused[k] = 1;
            free(p);
        }
        if (ok) warn_unused(path, names, unused, n);
        free(unused);
    } else if (ok) {
        cli_error("%s: empty calibration folder (expected .npz batches, tensor folders or .npy files)", path);
        ok = 0;
    }
    free(kind);
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

typedef struct file_id {
    dev_t dev;
    ino_t ino;
    uint32_t owner; /* the tensor of a .npy, UINT32_MAX for an .npz */
    uint32_t file;
} file_id;

static int cmp_file_id(const void *a, const void *b)
{
    const file_id *x = a, *y = b;
    if (x->dev != y->dev) return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino) return x->ino < y->ino ? -1 : 1;
    if (x->owner != y->owner) return x->owner < y->owner ? -1 : 1;
    return x->file < y->file ? -1 : x->file > y->file;
}

/* One batch file reached twice (a folder and a file inside it; a link to
 * another batch): its values would be counted twice. B7. */
static int check_files_once(const dataset *ds)
{
    file_id *v = malloc((ds->nfiles ? ds->nfiles : 1) * sizeof *v);
    uint32_t n = 0, *owner = malloc((ds->nfiles ? ds->nfiles : 1) * sizeof *owner);
    int ok = v && owner;
    if (!ok) cli_error("out of memory");
    for (uint32_t f = 0; ok && f < ds->nfiles; f++) owner[f] = UINT32_MAX;
    /* A .npy file belongs to its tensor: the same file under two tensors
     * is not counted twice. */
    for (uint32_t t = 0; ok && t < ds->ntensors; t++)
        for (uint32_t k = 0; k < ds->tensors[t].nitems; k++)
            if (!ds->tensors[t].items[k].npz)
                for (uint32_t f = 0; f < ds->nfiles; f++)
                    if (ds->files[f].path == ds->tensors[t].items[k].path) {
                        owner[f] = t;
                        break;
                    }
    for (uint32_t f = 0; ok && f < ds->nfiles; f++) {
        struct stat st;
        if (stat(ds->files[f].path, &st) != 0) continue;
        v[n++] = (file_id){st.st_dev, st.st_ino, owner[f], f};
    }
    if (ok) qsort(v, n, sizeof *v, cmp_file_id);
    for (uint32_t k = 1; ok && k < n; k++)
        if (v[k].dev == v[k - 1].dev && v[k].ino == v[k - 1].ino && v[k].owner == v[k - 1].owner) {
            cli_error("%s and %s are the same file: a batch given twice would be counted twice",
                      ds->files[v[k - 1].file].path, ds->files[v[k].file].path);
            ok = 0;
        }
    free(v);
    free(owner);
    return ok;
}

int dataset_scan(dataset *ds, char **inputs, int ninputs, int allow_missing)
{
    memset(ds, 0, sizeof *ds);
    ds->owner = 1;
    if (!check_duplicates(inputs, ninputs)) return 0;
    for (int k = 0; k < ninputs; k++)
        if (!scan_input(ds, inputs[k])) return 0;
    if (!check_files_once(ds)) return 0;
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

uint64_t dataset_deflated_bytes(const dataset *ds)
{
    uint64_t total = 0;
    for (uint32_t t = 0; t < ds->ntensors; t++)
        for (uint32_t k = 0; k < ds->tensors[t].nitems; k++) {
            const ds_item *it = &ds->tensors[t].items[k];
            uint64_t bytes = 0;
            int deflated = 0;
            if (it->npz && vkc_npz_member(it->npz, it->index, NULL, &bytes, &deflated) && deflated) total += bytes;
        }
    return total;
}

void dataset_free(dataset *ds)
{
    for (uint32_t t = 0; t < ds->ntensors; t++) {
        free(ds->tensors[t].items);
        free(ds->tensors[t].name);
    }
    for (uint32_t f = 0; f < ds->nfiles; f++) {
        free(ds->files[f].path);
        vkc_npz_close(ds->files[f].npz);
    }
    free(ds->files);
    free(ds->tensors);
    free(ds->slots);
    memset(ds, 0, sizeof *ds);
}

int dataset_has_file(const dataset *ds, const char *path)
{
    struct stat o, st;
    if (stat(path, &o) != 0) return 0;
    for (uint32_t f = 0; f < ds->nfiles; f++)
        if (stat(ds->files[f].path, &st) == 0 && st.st_dev == o.st_dev && st.st_ino == o.st_ino) return 1;
    return 0;
}

/* path's identity against a file or, for a folder, the files in it and in
 * its subfolders (the depth a scan reads). */
static int under(const char *dir, const struct stat *o, int depth)
{
    struct stat st;
    if (stat(dir, &st) != 0) return 0;
    if (st.st_dev == o->st_dev && st.st_ino == o->st_ino) return 1;
    if (!S_ISDIR(st.st_mode) || depth > 1) return 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *p = join(dir, e->d_name);
        found = p && under(p, o, depth + 1);
        free(p);
    }
    closedir(d);
    return found;
}

int inputs_have_file(char **inputs, int ninputs, const char *path)
{
    struct stat o;
    if (stat(path, &o) != 0 || S_ISDIR(o.st_mode)) return 0;
    for (int k = 0; k < ninputs; k++)
        if (under(inputs[k], &o, 0)) return 1;
    return 0;
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
