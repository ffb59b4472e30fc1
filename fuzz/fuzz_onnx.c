/* libFuzzer target: an ONNX model from memory, opened (the whole-tree
 * validation and the graph index), asked for the tensors it needs on every
 * target, and rewritten with a range for each; the output must open again.
 * Outputs go to a private folder in /dev/shm (or /tmp) and are removed.
 * The same function replays the seed corpus in ctest (fuzz/replay.c). */
#include "onnx/onnx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                             \
        }                                                                        \
    } while (0)

static char dir[64];

static void remove_dir(void)
{
    rmdir(dir);
}

static const char *out_dir(void)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/vkc_fuzz_onnx.%d", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
                 (int)getpid());
        (void)mkdir(dir, 0700);
        atexit(remove_dir);
    }
    return dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char model_name[96], out[128], data_file[140];
    snprintf(model_name, sizeof model_name, "%s/in.onnx", out_dir());
    snprintf(out, sizeof out, "%s/out.onnx", out_dir());
    snprintf(data_file, sizeof data_file, "%s.data", out);
    vkc_onnx_open_info info;
    memset(&info, 0, sizeof info);
    info.path = model_name; /* names messages; external data resolves in the folder */
    info.data = data;
    info.size = size;
    vkc_onnx_model *m = NULL;
    vkc_msg msg;
    vkc_status st = vkc_onnx_open(&info, &m, &msg);
    if (st != VKC_OK) {
        CHECK(m == NULL);
        CHECK(strncmp(msg.text, model_name, strlen(model_name)) == 0 || st == VKC_ERROR_OUT_OF_MEMORY);
        return 0;
    }
    for (int t = 0; t < 2; t++) {
        vkc_qdq_info qi;
        memset(&qi, 0, sizeof qi);
        qi.target = t ? VKC_QDQ_ONNXRUNTIME : VKC_QDQ_TENSORRT;
        qi.extra_ops = t ? VKC_QDQ_OP_ALL : 0;
        qi.skip_missing = 1;
        const char *const *names = NULL;
        uint32_t n = 0;
        if (vkc_onnx_needed_tensors(m, &qi, &names, &n, &msg) != VKC_OK) continue;
        vkc_qdq_range *r = calloc(n ? n : 1, sizeof *r);
        CHECK(r != NULL);
        for (uint32_t k = 0; k < n; k++) {
            CHECK(vkc_onnx_has_tensor(m, names[k]));
            r[k].name = names[k];
            r[k].lo = -1.0 - k;
            r[k].hi = 1.0 + k;
            r[k].scale = (1.0 + k) / 127;
            r[k].mode = VKC_MODE_SYMMETRIC;
        }
        st = vkc_qdq_write(m, r, n, &qi, out, NULL, &msg);
        free(r);
        if (st == VKC_OK) {
            /* what we write, we read */
            vkc_onnx_open_info again;
            memset(&again, 0, sizeof again);
            again.path = out;
            vkc_onnx_model *q = NULL;
            vkc_status s2 = vkc_onnx_open(&again, &q, &msg);
            if (s2 != VKC_OK) fprintf(stderr, "reopen: %s\n", msg.text);
            CHECK(s2 == VKC_OK);
            vkc_onnx_close(q);
        }
        unlink(out);
        unlink(data_file);
    }
    vkc_onnx_close(m);
    return 0;
}
