#include "ranges_file.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* A state file's histograms, searched on the CPU backend (the searches are
 * exact on every backend, and a CPU needs no device). */
static const vkc_calibration *search_state(const char *path, const calib_options *o, ranges_file *out)
{
    cli_device_opts cpu = {0};
    cpu.cpu = 1;
    out->ctx = cli_open_context(&cpu, 1);
    if (!out->ctx) return NULL;
    calib_options co = *o; /* the skipped list it may fill stays here */
    co.skipped = NULL;
    co.nskipped = 0;
    out->searched = calib_from_state(out->ctx, path, &co);
    for (uint32_t k = 0; k < co.nskipped; k++) free(co.skipped[k].name);
    free(co.skipped);
    return out->searched ? vkc_calibrator_results(out->searched) : NULL;
}

int ranges_file_load(const char *path, const calib_options *o, ranges_file *out)
{
    memset(out, 0, sizeof *out);
    const vkc_calibration *cal;
    if (ends_with(path, ".vkch")) {
        cal = search_state(path, o, out);
    } else {
        vkc_msg msg = {{0}};
        if (vkc_calibration_read(path, &out->cal, &msg) != VKC_OK) cli_error("%s", msg.text);
        cal = out->cal;
    }
    if (!cal) {
        ranges_file_free(out);
        return 0;
    }
    const uint32_t n = vkc_calibration_count(cal);
    out->v = calloc(n ? n : 1, sizeof *out->v);
    if (!out->v) {
        cli_error("out of memory");
        ranges_file_free(out);
        return 0;
    }
    for (uint32_t t = 0; t < n; t++) {
        const vkc_tensor_result *r = vkc_calibration_tensor(cal, t);
        if (!(r->fields & VKC_RESULT_RANGE) || !(r->scale > 0) || !isfinite(r->scale)) {
            cli_error("%s: tensor '%s': no range that can quantize (a positive finite scale, lo and hi)", path,
                      r->name);
            ranges_file_free(out);
            return 0;
        }
        vkc_qdq_range *q = &out->v[t];
        q->name = r->name;
        q->lo = r->lo;
        q->hi = r->hi;
        q->scale = r->scale; /* a cache's float32, exactly */
        q->zero_point = r->zero_point;
        q->is_unsigned = r->int_type == VKC_UINT8;
        q->mode = r->mode;
    }
    out->n = n;
    return 1;
}

void ranges_file_free(ranges_file *r)
{
    free(r->v);
    vkc_calibration_free(r->cal);
    vkc_calibrator_destroy(r->searched);
    vkc_context_destroy(r->ctx);
    memset(r, 0, sizeof *r);
}
