#include "onnx_cli.h"
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

vkc_onnx_model *onnx_cli_open(const char *path)
{
    vkc_onnx_open_info info;
    memset(&info, 0, sizeof info);
    info.path = path;
    vkc_onnx_model *m = NULL;
    vkc_msg msg = {{0}};
    if (vkc_onnx_open(&info, &m, &msg) != VKC_OK) {
        cli_error("%s", msg.text);
        return NULL;
    }
    return m;
}

void onnx_cli_warn(void *user, const char *text)
{
    if (user && *(const int *)user) return; /* --quiet */
    cli_warn("%s", text);
}

static int parse_ops(const char *list, uint32_t *bits)
{
    *bits = 0;
    char item[32];
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        uint32_t bit;
        if (n == 0 || n >= sizeof item) return 0;
        memcpy(item, p, n);
        item[n] = 0;
        if (!vkc_qdq_op_parse(item, &bit)) return 0;
        *bits |= bit;
        p += n + (p[n] == ',');
    }
    return 1;
}

int onnx_cli_opt(int argc, char **argv, int *i, vkc_qdq_info *info)
{
    const char *a = argv[*i];
    int target = !strcmp(a, "--target"), ops = !strcmp(a, "--ops");
    if (!target && !ops) return 0;
    if (*i + 1 >= argc) {
        cli_error("%s needs a value (see --help)", a);
        return -1;
    }
    const char *v = argv[++*i];
    if (target && !vkc_qdq_target_parse(v, &info->target)) {
        cli_error("--target: tensorrt, onnxruntime or openvino, not %s", v);
        return -1;
    }
    if (ops && !parse_ops(v, &info->extra_ops)) {
        cli_error("--ops: a comma-separated list of add, mul, avgpool, maxpool, concat, all; not %s", v);
        return -1;
    }
    return 1;
}

static int check_names(const char *model_path, const char *const *names, uint32_t n, int quiet)
{
    vkc_onnx_model *m = onnx_cli_open(model_path);
    if (!m) return 0;
    uint32_t unknown = 0;
    for (uint32_t t = 0; t < n; t++) {
        if (vkc_onnx_has_tensor(m, names[t])) continue;
        if (unknown++ < 20) cli_error("tensor '%s' of the calibration set is not in %s", names[t], model_path);
    }
    if (unknown) {
        cli_error("%u of %u tensor names are not graph tensors of %s (dump the graph's own names: `vkcalib tensors "
                  "%s` lists them)",
                  unknown, n, model_path, model_path);
        vkc_onnx_close(m);
        return 0;
    }
    vkc_qdq_info info;
    memset(&info, 0, sizeof info);
    const char *const *need = NULL;
    uint32_t nneed = 0, missing = 0;
    vkc_msg msg = {{0}};
    if (vkc_onnx_needed_tensors(m, &info, &need, &nneed, &msg) == VKC_OK) {
        for (uint32_t k = 0; k < nneed; k++) {
            int found = 0;
            for (uint32_t t = 0; t < n && !found; t++) found = !strcmp(names[t], need[k]);
            if (!found && missing++ < 20 && !quiet)
                cli_warn("%s: tensor '%s' needs a range for Q/DQ (TensorRT target) and is not in the calibration set",
                         model_path, need[k]);
        }
        if (missing && !quiet)
            cli_warn("%u of the %u tensors `vkcalib qdq` needs are missing from the calibration set", missing, nneed);
    } else if (!quiet) {
        cli_warn("%s", msg.text);
    }
    vkc_onnx_close(m);
    return 1;
}

int onnx_cli_check_dataset(const char *model_path, const dataset *ds, int quiet)
{
    const char **names = malloc((ds->ntensors ? ds->ntensors : 1) * sizeof *names);
    if (!names) {
        cli_error("out of memory");
        return 0;
    }
    for (uint32_t t = 0; t < ds->ntensors; t++) names[t] = ds->tensors[t].name;
    int ok = check_names(model_path, names, ds->ntensors, quiet);
    free(names);
    return ok;
}

int onnx_cli_check_calibrator(const char *model_path, const vkc_calibrator *cal, int quiet)
{
    const uint32_t n = vkc_calibrator_tensor_count(cal);
    const char **names = malloc((n ? n : 1) * sizeof *names);
    if (!names) {
        cli_error("out of memory");
        return 0;
    }
    for (uint32_t t = 0; t < n; t++) names[t] = vkc_calibrator_tensor_name(cal, t);
    int ok = check_names(model_path, names, n, quiet);
    free(names);
    return ok;
}
