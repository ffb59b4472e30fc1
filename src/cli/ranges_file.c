#include "ranges_file.h"
#include "base/json_parse.h"
#include "cli.h"
#include "policy/range_policy.h"
#include "write/trtcache.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RANGE_FILE (1u << 30)

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            if (cap >= MAX_RANGE_FILE) {
                cli_error("%s: larger than 1 GiB, not a range file", path);
                free(buf);
                buf = NULL;
                break;
            }
            char *b = realloc(buf, cap * 2);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (buf && err) {
        cli_error("%s: read error", path);
        free(buf);
        return NULL;
    }
    if (!buf) cli_error("%s: out of memory", path);
    *len = n;
    return buf;
}

static int load_json(const char *path, const char *text, size_t len, ranges_file *out)
{
    vkc_json *root = NULL;
    vkc_msg msg = {{0}};
    if (vkc_json_parse(text, len, &root, &msg) != VKC_OK) {
        cli_error("%s: %s", path, msg.text);
        return 0;
    }
    out->owner = root;
    const char *fmt = vkc_json_string(vkc_json_get(root, "format"), NULL);
    if (!fmt || strcmp(fmt, "vkcalib-calibration") != 0) {
        cli_error("%s: not a vkcalib calibration (JSON without \"format\": \"vkcalib-calibration\"); write one with "
                  "`vkcalib calibrate ... -o ranges.json`",
                  path);
        return 0;
    }
    const vkc_json *ts = vkc_json_get(root, "tensors");
    size_t n = vkc_json_len(ts);
    if (vkc_json_type_of(ts) != VKC_JSON_ARRAY || n > UINT32_MAX) {
        cli_error("%s: \"tensors\" is not an array", path);
        return 0;
    }
    out->v = calloc(n ? n : 1, sizeof *out->v);
    if (!out->v) {
        cli_error("out of memory");
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const vkc_json *t = vkc_json_at(ts, i);
        vkc_qdq_range *r = &out->v[i];
        r->name = vkc_json_string(vkc_json_get(t, "name"), NULL);
        const char *mode = vkc_json_string(vkc_json_get(t, "mode"), NULL);
        const char *itype = vkc_json_string(vkc_json_get(t, "int_type"), NULL);
        r->lo = vkc_json_number(vkc_json_get(t, "lo"));
        r->hi = vkc_json_number(vkc_json_get(t, "hi"));
        r->scale = vkc_json_number(vkc_json_get(t, "scale"));
        double zp = vkc_json_number(vkc_json_get(t, "zero_point"));
        if (!r->name || !mode || !itype || !vkc_mode_parse(mode, &r->mode) || r->mode == VKC_MODE_AUTO ||
            !isfinite(r->lo) || !isfinite(r->hi) || !(r->scale > 0) || !isfinite(r->scale) || !(zp == floor(zp)) ||
            zp < -128 || zp > 255 || (strcmp(itype, "int8") != 0 && strcmp(itype, "uint8") != 0)) {
            cli_error("%s: tensor %zu%s%s%s: needs name, mode, int_type, lo, hi, a positive scale and an integer "
                      "zero_point",
                      path, i, r->name ? " ('" : "", r->name ? r->name : "", r->name ? "')" : "");
            return 0;
        }
        r->zero_point = (int32_t)zp;
        r->is_unsigned = !strcmp(itype, "uint8");
    }
    out->n = (uint32_t)n;
    return 1;
}

static int load_cache(const char *path, const char *text, size_t len, ranges_file *out)
{
    vkc_trtcache *c = calloc(1, sizeof *c);
    vkc_msg msg = {{0}};
    if (!c) {
        cli_error("out of memory");
        return 0;
    }
    out->owner = c;
    if (vkc_trtcache_parse(text, len, c, &msg) != VKC_OK) {
        cli_error("%s: %s", path, msg.text);
        return 0;
    }
    out->v = calloc(c->count ? c->count : 1, sizeof *out->v);
    if (!out->v || c->count > UINT32_MAX) {
        cli_error("out of memory");
        return 0;
    }
    for (size_t i = 0; i < c->count; i++) {
        const vkc_trtcache_entry *e = &c->entries[i];
        if (!(e->scale > 0) || !isfinite(e->scale)) {
            cli_error("%s: tensor '%s': scale %g cannot quantize (zero or not finite)", path, e->name, (double)e->scale);
            return 0;
        }
        vkc_qdq_range *r = &out->v[i];
        r->name = e->name;
        r->lo = -e->amax;
        r->hi = e->amax;
        r->scale = e->scale; /* the cache's float32, exactly */
        r->mode = VKC_MODE_SYMMETRIC;
    }
    out->n = (uint32_t)c->count;
    return 1;
}

int ranges_file_load(const char *path, ranges_file *out)
{
    memset(out, 0, sizeof *out);
    if (ends_with(path, ".vkch")) {
        cli_error("%s: a state file holds statistics, not ranges; run `vkcalib calibrate --from-state %s -o "
                  "ranges.json` first and give that JSON to --ranges",
                  path, path);
        return 0;
    }
    size_t len = 0;
    char *text = slurp(path, &len);
    if (!text) return 0;
    /* The content decides: a cache starts with its TRT- header line. */
    size_t skip = len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3) ? 3 : 0;
    int ok;
    if (len - skip >= 4 && !memcmp(text + skip, "TRT-", 4)) {
        out->kind = 1;
        ok = load_cache(path, text, len, out);
    } else {
        ok = load_json(path, text, len, out);
    }
    free(text);
    if (!ok) ranges_file_free(out);
    return ok;
}

void ranges_file_free(ranges_file *r)
{
    if (r->owner) {
        if (r->kind == 1) {
            vkc_trtcache_free(r->owner);
            free(r->owner);
        } else {
            vkc_json_free(r->owner);
        }
    }
    free(r->v);
    memset(r, 0, sizeof *r);
}
