/* What observing a tensor costs, by where it lives: the range and histogram
 * passes over the same values as
 *   host/staging   a host array copied chunk by chunk into a staging buffer
 *                  (VK_EXT_external_memory_host masked);
 *   host/import    a host array imported in place (the default where the
 *                  device offers the extension; page-aligned here);
 *   buffer         the application's VkBuffer, vkc_*_buffer (submits, waits);
 *   recorded       vkc_record_* into the application's command buffer, its
 *                  own submit and wait, then vkc_recorder_read;
 *   cpu            the CPU backend on the host array (the baseline);
 * for float32 and float16. Every path's result is checked against the CPU
 * backend's. Wall-clock medians, ratios against the CPU backend and against
 * host/staging measured side by side in this run.
 *
 * usage: bench_buffer [--n VALUES] [--reps R] [--device SEL] */
#include "bench_util.h"
#include "vk/gpu.h"
#include "vk_app.h" /* tests/: the stand-in application */

#include <string.h>

enum { P_STAGE, P_IMPORT, P_BUFFER, P_RECORD, P_CPU, NPATH };
static const char *const PNAME[NPATH] = {"host/staging", "host/import", "buffer", "recorded", "cpu"};

/* One recorded pass, the way an application would run it. */
static vkc_status recorded(app *a, vkc_recorder *r, const vkc_buffer_view *v, const vkc_hist_spec *spec,
                           vkc_stats *st, uint64_t *counts)
{
    if (!app_begin(a)) return VKC_ERROR_VULKAN;
    vkc_status s = spec ? vkc_record_histogram(r, a->cmd, v, spec) : vkc_record_range(r, a->cmd, v);
    if (s != VKC_OK) return s;
    if (!app_submit(a)) return VKC_ERROR_VULKAN;
    return vkc_recorder_read(r, st, counts);
}

static int same(const vkc_stats *a, const vkc_stats *b)
{
    return vkc_f32_bits(a->min) == vkc_f32_bits(b->min) && vkc_f32_bits(a->max) == vkc_f32_bits(b->max) &&
           vkc_f32_bits(a->absmax) == vkc_f32_bits(b->absmax) && a->count == b->count && a->zeros == b->zeros;
}

int main(int argc, char **argv)
{
    uint64_t n = 16u << 20;
    int reps = 5;
    const char *device = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--n")) n = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--device")) device = argv[i + 1];
        else {
            fprintf(stderr, "usage: bench_buffer [--n VALUES] [--reps R] [--device SEL]\n");
            return 2;
        }
    }
    if (reps < 1 || reps > 99 || n == 0) return 2;
    vkc_msg msg;
    vkc_context_info gi = {0}, si = {0}, ci = {0};
    gi.backend = si.backend = VKC_BACKEND_VULKAN;
    gi.device = si.device = device;
    si.disable_features = VKC_FEATURE_HOST_IMPORT;
    ci.backend = VKC_BACKEND_CPU;
    vkc_context *gpu = NULL, *stage = NULL, *cpu = NULL;
    if (vkc_context_create(&gi, &gpu, &msg) != VKC_OK || vkc_context_create(&si, &stage, &msg) != VKC_OK) {
        fprintf(stderr, "bench_buffer: %s\n", msg.text);
        return 1;
    }
    vkc_context_create(&ci, &cpu, &msg);
    printf("bench_buffer: %llu values, medians of %d, device %s, %s\n", (unsigned long long)n, reps,
           vkc_context_device_name(gpu), load_average());
    printf("VK_EXT_external_memory_host: %s\n", gpu->host_import ? "enabled" : "not offered (import = staging)");

    static const vkc_dtype types[2] = {VKC_DTYPE_F32, VKC_DTYPE_F16};
    int bad = 0;
    for (int d = 0; d < 2; d++) {
        uint32_t es = vkc_dtype_size(types[d]);
        /* Page-aligned, as a framework's tensor allocator would give. */
        void *x = NULL;
        if (posix_memalign(&x, 1 << 16, n * es)) return 1;
        {
            uint64_t s = 12345;
            for (uint64_t i = 0; i < n; i++) {
                s = s * 6364136223846793005ull + 1442695040888963407ull;
                float f = (float)((int32_t)(s >> 33) % 20000) * 1e-3f;
                f = f > 0 ? f : 0.0f; /* post-ReLU */
                if (es == 4) memcpy((char *)x + 4 * i, &f, 4);
                else {
                    /* float -> half by truncation: any half will do. */
                    uint32_t b;
                    memcpy(&b, &f, 4);
                    uint32_t e = (b >> 23) & 0xff;
                    uint16_t h = e < 113 ? 0 : (uint16_t)(((e - 112) << 10) | ((b >> 13) & 0x3ff));
                    memcpy((char *)x + 2 * i, &h, 2);
                }
            }
        }
        vkc_gbuf dev;
        if (vkc_gbuf_create(gpu, n * es, 1, &dev) != VKC_OK) {
            fprintf(stderr, "bench_buffer: %s\n", vkc_context_error(gpu));
            return 1;
        }
        memcpy(dev.map, x, n * es);
        vkc_buffer_view view = {dev.buf, 0, n, types[d]};
        app a;
        vkc_recorder *rec = NULL;
        if (!app_open(gpu, &a) || vkc_recorder_create(gpu, &rec) != VKC_OK) return 1;
        gpu->import_min_bytes = 0;

        vkc_stats want = {0};
        vkc_range_host(cpu, x, n, types[d], &want);
        vkc_hist_spec spec = {VKC_HIST_ABS, 2048, 0.0f, want.absmax};
        uint64_t *hw = calloc(2048, 8), *h = calloc(2048, 8);
        vkc_histogram_host(cpu, x, n, types[d], &spec, hw);

        double med[NPATH][2];
        for (int p = 0; p < NPATH; p++) {
            for (int pass = 0; pass < 2; pass++) {
                double t[99];
                for (int k = 0; k < reps + 1; k++) {
                    vkc_stats st = {0};
                    memset(h, 0, 2048 * 8);
                    vkc_context *c = p == P_STAGE ? stage : p == P_CPU ? cpu : gpu;
                    vkc_status s;
                    double t0 = now_ms();
                    if (p == P_BUFFER)
                        s = pass ? vkc_histogram_buffer(c, &view, &spec, h) : vkc_range_buffer(c, &view, &st);
                    else if (p == P_RECORD)
                        s = recorded(&a, rec, &view, pass ? &spec : NULL, pass ? NULL : &st, pass ? h : NULL);
                    else
                        s = pass ? vkc_histogram_host(c, x, n, types[d], &spec, h)
                                 : vkc_range_host(c, x, n, types[d], &st);
                    double dt = now_ms() - t0;
                    if (s != VKC_OK || (pass ? memcmp(h, hw, 2048 * 8) != 0 : !same(&st, &want))) {
                        fprintf(stderr, "bench_buffer: %s %s gave a different result (%s)\n", PNAME[p],
                                pass ? "histogram" : "range", vkc_context_error(c));
                        bad = 1;
                    }
                    if (k) t[k - 1] = dt; /* the first run warms pipelines */
                }
                med[p][pass] = median(t, reps);
            }
        }
        printf("\n%s, %.1f MB    range ms   hist ms   hist GB/s   hist vs cpu   hist vs staging\n",
               d ? "float16" : "float32", n * es / 1e6);
        for (int p = 0; p < NPATH; p++)
            printf("  %-14s %9.2f %9.2f %11.2f %12.2fx %16.2fx\n", PNAME[p], med[p][0], med[p][1],
                   n * es / (med[p][1] * 1e6), med[P_CPU][1] / med[p][1], med[P_STAGE][1] / med[p][1]);
        printf("  imports so far: %llu\n", (unsigned long long)gpu->imports);
        vkc_recorder_destroy(rec);
        app_close(&a);
        vkc_gbuf_destroy(gpu, &dev);
        free(hw);
        free(h);
        free(x);
    }
    vkc_context_destroy(cpu);
    vkc_context_destroy(stage);
    vkc_context_destroy(gpu);
    return bad;
}
