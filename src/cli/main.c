/* vkcalib: the command-line tool. */
#include "cli.h"
#include "dist.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const char *const kUsage =
    "vkcalib " VKC_VERSION_STRING ": INT8 calibration of activation ranges on any Vulkan GPU\n"
    "\n"
    "Usage: vkcalib COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  calibrate INPUT... -o OUT  activation dumps -> a TensorRT calibration cache\n"
    "                             or JSON\n"
    "  search --counts FILE       threshold search on a histogram you already have\n"
    "  collect INPUT... --state F one pass over a shard, saved for an exact merge\n"
    "  merge A B... -o F          add state files from shards (see collect --help)\n"
    "  inspect FILE               the tensors, scales and ranges of a cache or JSON\n"
    "  explain INPUT... --tensor T walkthrough of one tensor's calibration, with its\n"
    "                             own numbers and plots, in the terminal\n"
    "  compare INPUT...           every tool's entropy (TensorRT, ONNX Runtime, MXNet,\n"
    "                             TVM, ncnn, MNN, Paddle, PPQ) side by side\n"
    "  report INPUT... -o FILE    one self-contained HTML report: every tensor, every\n"
    "                             method, histograms, KL curves, SQNR\n"
    "  histogram                  range statistics and histogram of one tensor (.npy,\n"
    "                             raw float32, or a generated one)\n"
    "  devices                    Vulkan devices and their capabilities\n"
    "  qdq MODEL --ranges R -o OUT an ONNX model with INT8 Q/DQ at the calibrated\n"
    "                             ranges (TensorRT 10/11, ONNX Runtime, OpenVINO)\n"
    "  tensors MODEL              the tensors of an ONNX model that need ranges\n"
    "\n"
    "Options:\n"
    "  --version      print the version\n"
    "  --help         this text; `vkcalib COMMAND --help` explains a command\n"
    "\n"
    "Environment: VKCALIB_DEVICE (device selector), VKCALIB_VALIDATE=1 (validation\n"
    "layer), VKCALIB_DISABLE=subgroup,shared,timestamp,import (mask optional GPU\n"
    "features) or avx2,avx512 (the CPU backend's vector kernels), NO_COLOR.\n";

static int g_errors_muted;

void cli_mute_errors(int on)
{
    g_errors_muted = on;
}

void cli_error(const char *fmt, ...)
{
    if (g_errors_muted) return;
    va_list ap;
    va_start(ap, fmt);
    fputs("vkcalib: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

vkc_status cli_fail(vkc_msg *m, vkc_status s, const char *fmt, ...)
{
    if (m) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(m->text, sizeof m->text, fmt, ap);
        va_end(ap);
    }
    return s;
}

int cli_columns(FILE *f)
{
    struct winsize ws;
    const int fd = fileno(f);
    if (fd >= 0 && isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
    const char *c = getenv("COLUMNS");
    char *end;
    long v = c && *c ? strtol(c, &end, 10) : 0;
    return c && *c && !*end && v >= 20 && v <= 10000 ? (int)v : 0;
}

char *cli_json_string(const char *s)
{
    vkc_jw *j = vkc_jw_create();
    const char *text = NULL;
    size_t len = 0;
    char *out = NULL;
    if (!j) return NULL;
    vkc_jw_string(j, s);
    if (vkc_jw_finish(j, &text, &len, NULL) == VKC_OK && (out = malloc(len + 1))) memcpy(out, text, len + 1);
    vkc_jw_destroy(j);
    return out;
}

uint32_t cli_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("vkcalib: warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_is_help(const char *s)
{
    return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0;
}

int cli_parse_u64(const char *s, unsigned long long *out)
{
    char *end;
    if (!s || !*s || *s == '-') return 0;
    errno = 0;
    *out = strtoull(s, &end, 10);
    return errno == 0 && *end == 0;
}

int cli_parse_double(const char *s, double *out)
{
    char *end;
    if (!s || !*s) return 0;
    errno = 0;
    *out = strtod(s, &end);
    return errno == 0 && *end == 0;
}

int cli_device_opt(int argc, char **argv, int *i, cli_device_opts *o)
{
    const char *a = argv[*i];
    if (strcmp(a, "--cpu") == 0) {
        o->cpu = 1;
        return 1;
    }
    if (strcmp(a, "--validate") == 0) {
        o->validate = 1;
        return 1;
    }
    if (strcmp(a, "--device") == 0) {
        if (*i + 1 >= argc) {
            cli_error("--device needs a value (index, UUID or name substring)");
            return -1;
        }
        o->device = argv[++*i];
        return 1;
    }
    if (strncmp(a, "--device=", 9) == 0) {
        o->device = a + 9;
        return 1;
    }
    return 0;
}

vkc_context *cli_open_context(const cli_device_opts *o, int quiet)
{
    vkc_context_info info;
    memset(&info, 0, sizeof info);
    info.backend = o->cpu ? VKC_BACKEND_CPU : (o->device ? VKC_BACKEND_VULKAN : VKC_BACKEND_AUTO);
    info.device = o->device;
    info.validate = o->validate;
    info.cpu_threads = o->cpu_threads;
    if (o->device && strcmp(o->device, "cpu") == 0) info.backend = VKC_BACKEND_CPU;
    vkc_context *ctx = NULL;
    vkc_msg msg = {{0}};
    vkc_status s = vkc_context_create(&info, &ctx, &msg);
    if (s != VKC_OK) {
        cli_error("%s", msg.text);
        return NULL;
    }
    if (!quiet) fprintf(stderr, "vkcalib: device: %s\n", vkc_context_device_name(ctx));
    return ctx;
}

void cli_close_context(vkc_context *ctx)
{
    if (!ctx) return;
    uint32_t w = 0, e = 0;
    vkc_context_validation_counts(ctx, &w, &e);
    if (w || e) cli_warn("the validation layer reported %u warnings and %u errors", w, e);
    vkc_context_destroy(ctx);
}

int main(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1])) {
        fputs(kUsage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("vkcalib %s%s\n", vkc_version(), dist_compiled() ? " (mpi)" : "");
        return 0;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"devices", cmd_devices},     {"histogram", cmd_histogram}, {"search", cmd_search},
                {"calibrate", cmd_calibrate}, {"inspect", cmd_inspect},   {"explain", cmd_explain},
                {"report", cmd_report},       {"collect", cmd_collect},     {"merge", cmd_merge},
                {"qdq", cmd_qdq},             {"tensors", cmd_tensors},     {"compare", cmd_compare}};
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++)
        if (strcmp(argv[1], cmds[k].name) == 0) return cmds[k].fn(argc - 1, argv + 1);
    cli_error("unknown command '%s'; see `vkcalib --help`", argv[1]);
    return 2;
}
