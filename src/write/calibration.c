/* The calibration document: building, querying, reading (JSON or TensorRT
 * cache, told apart by content) and writing it. */
#include "write/calibration.h"
#include "write/state.h"

#include "base/atomic_file.h"
#include "base/file.h"
#include "write/trtcache.h"

#include <stdlib.h>
#include <string.h>

/* A cache holds one short line per tensor and a JSON a few KB per tensor
 * with histograms: 4 GiB is far beyond any real model, and keeps a hostile
 * or mistaken path from filling memory. */
#define VKC_CALIBRATION_MAX_BYTES ((size_t)4 << 30)

static char *dup_or_null(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

vkc_calibration *vkc_calibration_new(const vkc_calibration_settings *settings)
{
    vkc_calibration *cal = calloc(1, sizeof *cal);
    if (!cal) return NULL;
    if (settings) cal->settings = *settings;
    cal->settings.sType = VKC_STRUCTURE_TYPE_CALIBRATION_SETTINGS;
    cal->settings.pNext = NULL;
    cal->trt_algo = dup_or_null(cal->settings.trt_algo);
    cal->producer = dup_or_null(cal->settings.producer ? cal->settings.producer : "");
    if ((cal->settings.trt_algo && !cal->trt_algo) || !cal->producer) {
        vkc_calibration_free(cal);
        return NULL;
    }
    cal->settings.trt_algo = cal->trt_algo;
    cal->settings.producer = cal->producer;
    return cal;
}

void vkc_calibration_free(vkc_calibration *cal)
{
    if (!cal) return;
    for (uint32_t t = 0; t < cal->n; t++) {
        free((char *)cal->t[t].name);
        free((uint64_t *)cal->t[t].counts);
    }
    free(cal->t);
    free(cal->trt_algo);
    free(cal->producer);
    free(cal);
}

vkc_status vkc_calibration_add(vkc_calibration *cal, const vkc_tensor_result *r, int take_counts, vkc_msg *msg)
{
    uint64_t *counts = NULL;
    if (r->counts && take_counts) {
        counts = (uint64_t *)r->counts;
    } else if (r->counts) {
        counts = malloc((size_t)r->spec.bins * sizeof *counts);
        if (!counts) return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory for a histogram");
        memcpy(counts, r->counts, (size_t)r->spec.bins * sizeof *counts);
    }
    char *name = dup_or_null(r->name ? r->name : "");
    if (!name || cal->n == UINT32_MAX) {
        free(name);
        free(counts);
        return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory for a tensor result");
    }
    if (cal->n == cal->cap) {
        uint32_t cap = cal->cap ? (cal->cap > UINT32_MAX / 2 ? UINT32_MAX : cal->cap * 2) : 16;
        vkc_tensor_result *t = realloc(cal->t, (size_t)cap * sizeof *t);
        if (!t) {
            free(name);
            free(counts);
            return vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory for %u tensor results", cap);
        }
        cal->t = t;
        cal->cap = cap;
    }
    vkc_tensor_result *d = &cal->t[cal->n++];
    *d = *r;
    d->sType = VKC_STRUCTURE_TYPE_TENSOR_RESULT;
    d->pNext = NULL;
    d->name = name;
    d->counts = counts;
    if (counts) d->fields |= VKC_RESULT_HISTOGRAM;
    return VKC_OK;
}

vkc_tensor_result *vkc_calibration_at(vkc_calibration *cal, uint32_t t)
{
    return cal && t < cal->n ? &cal->t[t] : NULL;
}

uint32_t vkc_calibration_count(const vkc_calibration *cal)
{
    return cal ? cal->n : 0;
}

const vkc_tensor_result *vkc_calibration_tensor(const vkc_calibration *cal, uint32_t t)
{
    return cal && t < cal->n ? &cal->t[t] : NULL;
}

uint32_t vkc_calibration_find(const vkc_calibration *cal, const char *name)
{
    for (uint32_t t = 0; cal && name && t < cal->n; t++)
        if (strcmp(cal->t[t].name, name) == 0) return t;
    return UINT32_MAX;
}

const vkc_calibration_settings *vkc_calibration_get_settings(const vkc_calibration *cal)
{
    return cal ? &cal->settings : NULL;
}

/* ---- TensorRT cache ------------------------------------------------------ */

static vkc_status from_trtcache(const char *buf, size_t len, const char *name, vkc_calibration **out, vkc_msg *msg)
{
    vkc_trtcache c;
    vkc_msg inner = {{0}};
    vkc_status s = vkc_trtcache_parse(buf, len, &c, &inner);
    if (s != VKC_OK) return vkc_fail(msg, s, "%s: %s", name, inner.text);
    vkc_calibration_settings set = {0};
    set.source = VKC_SOURCE_TRT_CACHE;
    set.mode = VKC_MODE_SYMMETRIC;
    set.trt_version = c.version;
    set.trt_algo = c.algo;
    vkc_calibration *cal = vkc_calibration_new(&set);
    if (!cal) s = vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory", name);
    for (size_t k = 0; s == VKC_OK && k < c.count; k++) {
        const vkc_trtcache_entry *e = &c.entries[k];
        vkc_tensor_result r = {0};
        r.name = e->name;
        r.fields = VKC_RESULT_RANGE;
        r.mode = VKC_MODE_SYMMETRIC;
        r.int_type = VKC_INT8;
        r.threshold = r.hi = r.amax = e->amax;
        r.lo = -e->amax;
        r.scale = e->scale;
        r.cache_scale_bits = e->bits;
        s = vkc_calibration_add(cal, &r, 0, msg);
    }
    vkc_trtcache_free(&c);
    if (s != VKC_OK) {
        vkc_calibration_free(cal);
        return s;
    }
    *out = cal;
    return VKC_OK;
}

static vkc_status format_trtcache(const vkc_calibration *cal, const vkc_write_info *info, vkc_buf *out,
                                  vkc_msg *msg)
{
    const uint32_t n = cal->n;
    const char **names = malloc((n ? n : 1) * sizeof *names);
    double *amax = malloc((n ? n : 1) * sizeof *amax);
    vkc_status s = names && amax ? VKC_OK : vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    for (uint32_t t = 0; s == VKC_OK && t < n; t++) {
        const vkc_tensor_result *r = &cal->t[t];
        if (!(r->fields & VKC_RESULT_RANGE))
            s = vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "tensor '%s' has no range to write", r->name);
        else if (r->mode != VKC_MODE_SYMMETRIC && !info->envelope)
            s = vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT,
                         "tensor '%s' has an %s range, and a TensorRT cache holds symmetric ones only (write its "
                         "symmetric envelope, or JSON)",
                         r->name, vkc_mode_name(r->mode));
        names[t] = r->name;
        amax[t] = r->amax;
    }
    if (s == VKC_OK) s = vkc_trtcache_format(out, info->trt_version, info->trt_algo, names, amax, n, NULL, msg);
    free(names);
    free(amax);
    return s;
}

/* ---- state files ------------------------------------------------------- */

/* A state file as a document of statistics (and, in the histogram round,
 * histograms of |x| over [0, hist_hi]), for the tools that show one:
 * inspect, explain, report. */
static vkc_status from_state(const void *buf, size_t len, const char *name, vkc_calibration **out, vkc_msg *msg)
{
    vkc_state st;
    vkc_msg inner = {{0}};
    vkc_status s = vkc_state_parse(buf, len, &st, &inner);
    if (s != VKC_OK) return vkc_fail(msg, s, "%s: %s", name, inner.text);
    vkc_calibration_settings set = {0};
    set.source = st.phase == VKC_STATE_HISTOGRAM ? VKC_SOURCE_STATE_HISTOGRAM : VKC_SOURCE_STATE_RANGE;
    set.bins = st.bins;
    set.nonfinite = st.flags & 1u ? VKC_NONFINITE_EXCLUDE : VKC_NONFINITE_ERROR;
    vkc_calibration *cal = vkc_calibration_new(&set);
    if (!cal) s = vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "%s: out of memory", name);
    for (uint32_t k = 0; s == VKC_OK && k < st.ntensors; k++) {
        const vkc_state_tensor *e = &st.t[k];
        vkc_tensor_result r = {0};
        r.name = e->name;
        r.fields = VKC_RESULT_STATS;
        r.stats = e->st;
        if (e->counts) {
            r.fields |= VKC_RESULT_HISTOGRAM;
            r.spec = (vkc_hist_spec){VKC_HIST_ABS, st.bins, 0.0f, e->hist_hi};
            r.counts = e->counts;
        }
        s = vkc_calibration_add(cal, &r, 0, msg);
    }
    vkc_state_free(&st);
    if (s != VKC_OK) {
        vkc_calibration_free(cal);
        return s;
    }
    *out = cal;
    return VKC_OK;
}

/* ---- both formats -------------------------------------------------------- */

vkc_status vkc_calibration_parse(const void *buf, size_t len, const char *name, vkc_calibration **out, vkc_msg *msg)
{
    if (!out || (!buf && len)) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_calibration_parse: NULL argument");
    *out = NULL;
    if (!name) name = "<memory>";
    const char *p = buf;
    size_t i = 0;
    /* A UTF-8 byte order mark, then white space, then '{' means JSON. */
    if (len >= 3 && (unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbb && (unsigned char)p[2] == 0xbf) i = 3;
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) i++;
    if (i < len && p[i] == '{') return vkc_calib_json_parse(p, len, name, out, msg);
    if (len >= 4 && memcmp(p, "VKCH", 4) == 0) return from_state(p, len, name, out, msg);
    return from_trtcache(p, len, name, out, msg);
}

vkc_status vkc_calibration_read(const char *path, vkc_calibration **out, vkc_msg *msg)
{
    if (!path || !out) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_calibration_read: NULL argument");
    char *buf;
    size_t len;
    vkc_status s = vkc_read_file(path, VKC_CALIBRATION_MAX_BYTES, &buf, &len, msg);
    if (s != VKC_OK) return s;
    s = vkc_calibration_parse(buf, len, path, out, msg);
    free(buf);
    return s;
}

vkc_status vkc_calibration_format(const vkc_calibration *cal, vkc_format fmt, const vkc_write_info *info, char **text,
                                  size_t *len, vkc_msg *msg)
{
    static const vkc_write_info defaults;
    if (!cal || !text) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_calibration_format: NULL argument");
    *text = NULL;
    if (len) *len = 0;
    if (!info) info = &defaults;
    vkc_status s = vkc_check_struct(info->sType, info->pNext, VKC_STRUCTURE_TYPE_WRITE_INFO, "vkc_write_info", msg);
    if (s != VKC_OK) return s;
    vkc_buf out = {0};
    if (fmt == VKC_FORMAT_TRT_CACHE) s = format_trtcache(cal, info, &out, msg);
    else if (fmt == VKC_FORMAT_JSON) s = vkc_calib_json_format(cal, info, &out, msg);
    else s = vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "unknown format %d", (int)fmt);
    if (s == VKC_OK && (out.oom || !vkc_buf_reserve(&out, 0)))
        s = vkc_fail(msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory formatting the calibration");
    if (s != VKC_OK) {
        vkc_buf_free(&out);
        return s;
    }
    *text = out.data;
    if (len) *len = out.len;
    return VKC_OK;
}

vkc_status vkc_calibration_write(const vkc_calibration *cal, const char *path, vkc_format fmt,
                                 const vkc_write_info *info, vkc_msg *msg)
{
    if (!path) return vkc_fail(msg, VKC_ERROR_INVALID_ARGUMENT, "vkc_calibration_write: NULL path");
    char *text;
    size_t len;
    vkc_msg inner = {{0}};
    vkc_status s = vkc_calibration_format(cal, fmt, info, &text, &len, &inner);
    if (s != VKC_OK) return vkc_fail(msg, s, "%s: %s", path, inner.text);
    s = vkc_atomic_write(path, text, len, msg);
    free(text);
    return s;
}
