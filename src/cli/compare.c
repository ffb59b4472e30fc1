/* The calibrations behind `vkcalib compare` and report's tools' section
 * (compare.h): one calibrator per flavour, all fed from one read of the
 * files per pass (range, histogram, and the measure pass when asked). */
#include "compare.h"
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cmp_job {
    cmp_flavor *f;
    uint32_t n;
} cmp_job;

/* Each chunk to every flavour's calibrator still in the running. A flavour
 * that fails drops out (its column says so); the others go on. */
static int feed_all(void *user, const feeder_chunk *c)
{
    cmp_job *j = user;
    uint32_t live = 0;
    for (uint32_t k = 0; k < j->n; k++) {
        cmp_flavor *f = &j->f[k];
        if (f->failed) continue;
        vkc_pass p = vkc_calibrator_pass(f->cal);
        vkc_status s = VKC_OK;
        if (c->ndim && (p == VKC_PASS_RANGE || p == VKC_PASS_STREAM))
            s = vkc_calibrator_set_shape(f->cal, c->tensor, c->ndim, c->shape);
        if (s == VKC_OK) s = vkc_calibrator_feed(f->cal, c->tensor, c->raw, c->n, c->dtype);
        if (s != VKC_OK) {
            f->failed = 1;
            snprintf(f->error, sizeof f->error, "%s", vkc_calibrator_error(f->cal));
        }
        live += !f->failed;
    }
    if (!live) cli_error("every flavour failed (see below)");
    return live > 0;
}

int cmp_parse_flavors(const char *spec, cmp_flavor *out, uint32_t *n)
{
    *n = 0;
    if (!strcmp(spec, "all")) {
        for (int f = 0; f < VKC_FLAVOR_COUNT; f++) out[(*n)++].flavor = (vkc_flavor)f;
        return 1;
    }
    const char *p = spec;
    while (*p) {
        size_t len = strcspn(p, ",");
        char name[64];
        if (len == 0 || len >= sizeof name) {
            cli_error("--flavors: bad list '%s'", spec);
            return 0;
        }
        memcpy(name, p, len);
        name[len] = 0;
        vkc_flavor fl;
        if (!vkc_flavor_parse(name, &fl)) {
            cli_error("--flavors: unknown flavour '%s' (see --help)", name);
            return 0;
        }
        for (uint32_t k = 0; k < *n; k++)
            if (out[k].flavor == fl) {
                cli_error("--flavors: %s twice", name);
                return 0;
            }
        out[(*n)++].flavor = fl;
        p += len + (p[len] == ',');
    }
    if (!*n) cli_error("--flavors: name at least one flavour");
    return *n > 0;
}

int cmp_run(vkc_context *ctx, const dataset *ds, const calib_options *o, cmp_flavor *f, uint32_t nf, int measure)
{
    int ok = 1;
    for (uint32_t k = 0; ok && k < nf; k++) {
        calib_options fo = *o;
        fo.ci.flavor = f[k].flavor;
        fo.ci.measure = measure;
        /* onnxruntime's flavours give a range: show it as such. */
        fo.ci.mode = f[k].flavor >= VKC_FLAVOR_ORT && f[k].flavor <= VKC_FLAVOR_ORT_8001 ? VKC_MODE_ASYMMETRIC
                                                                                         : VKC_MODE_SYMMETRIC;
        f[k].cal = calib_create(ctx, ds, &fo);
        ok = f[k].cal != NULL;
    }
    cmp_job job = {f, nf};
    const int gpu = ctx && !vkc_context_is_cpu(ctx);
    static const char *const names[] = {"pass 1/2: range", "pass 2/2: histogram", "pass 3/3: measure"};
    for (int p = 0; ok && p < (measure ? 3 : 2); p++) {
        ok = calib_pass(ds, o, names[p], gpu && p < 2, feed_all, &job);
        for (uint32_t k = 0; ok && k < nf; k++) {
            if (f[k].failed || vkc_calibrator_end_pass(f[k].cal) == VKC_OK) continue;
            f[k].failed = 1;
            snprintf(f[k].error, sizeof f[k].error, "%s", vkc_calibrator_error(f[k].cal));
        }
    }
    return ok;
}

const vkc_tensor_result *cmp_result(const cmp_flavor *f, uint32_t t)
{
    return f->failed || !f->cal ? NULL : vkc_calibration_tensor(vkc_calibrator_results(f->cal), t);
}

void cmp_free(cmp_flavor *f, uint32_t nf)
{
    for (uint32_t k = 0; k < nf; k++) {
        vkc_calibrator_destroy(f[k].cal);
        f[k].cal = NULL;
    }
}
