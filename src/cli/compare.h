/* Every tool's entropy on the same data (`vkcalib compare`, and the tools'
 * section of `vkcalib report`): one calibrator per flavour, all fed from one
 * read of the files per pass. */
#ifndef VKC_CLI_COMPARE_H
#define VKC_CLI_COMPARE_H

#include "calib.h"
#include "dataset.h"

typedef struct cmp_flavor {
    vkc_flavor flavor;
    vkc_calibrator *cal;
    int failed;           /* its calibration stopped: error holds why */
    char error[1024];
} cmp_flavor;

/* "all" or a comma-separated list of flavour names into out (room for
 * VKC_FLAVOR_COUNT); 0 after printing a usage error. */
int cmp_parse_flavors(const char *spec, cmp_flavor *out, uint32_t *n);
/* Calibrates ds with every flavour of f (o: the shared options; onnxruntime's
 * flavours in mode asymmetric, the others symmetric), with a measure pass
 * when measure. A flavour that fails drops out (failed, error); 0 when the
 * files could not be read or every flavour failed (printed). */
int cmp_run(vkc_context *ctx, const dataset *ds, const calib_options *o, cmp_flavor *f, uint32_t nf, int measure);
/* Flavour f's result for tensor t of ds, NULL when it failed. */
const vkc_tensor_result *cmp_result(const cmp_flavor *f, uint32_t t);
void cmp_free(cmp_flavor *f, uint32_t nf);

#endif
