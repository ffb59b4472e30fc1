/* Shared pieces of the vkcalib command-line tool. */
#ifndef VKC_CLI_H
#define VKC_CLI_H

#include "vkcalib.h"

#include <stdio.h>

/* Each command: argc/argv start at the command name; returns the exit code
 * (0 ok, 1 failure, 2 usage error). */
int cmd_devices(int argc, char **argv);
int cmd_histogram(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_collect(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_qdq(int argc, char **argv);
int cmd_tensors(int argc, char **argv);

/* Prints "vkcalib: " + message to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* While on, cli_error prints nothing: processes of an MPI run that would
 * all print the same error (rank 0 speaks for them). Set from the main
 * thread only, when no worker runs. */
void cli_mute_errors(int on);

/* Device options shared by the commands that compute: --device D, --cpu,
 * --validate. Returns 1 when argv[*i] was one of them (advancing *i past
 * its value), 0 when not, -1 on a usage error. */
typedef struct cli_device_opts {
    const char *device;
    int cpu;
    int validate;
    uint32_t cpu_threads;   /* CPU backend threads; 0: every online processor */
} cli_device_opts;
int cli_device_opt(int argc, char **argv, int *i, cli_device_opts *o);
/* Creates the context the options ask for; prints the error itself. */
vkc_context *cli_open_context(const cli_device_opts *o, int quiet);
/* Warns when the validation layer reported anything, then destroys. */
void cli_close_context(vkc_context *ctx);
#define CLI_DEVICE_HELP                                                                        \
    "  --device D     Vulkan device by index, UUID or name substring (also\n"                  \
    "                 VKCALIB_DEVICE); default: first discrete GPU, else integrated,\n"         \
    "                 else virtual; CPU Vulkan devices (lavapipe) only when named.\n"          \
    "                 No GPU: the native CPU backend.\n"                                       \
    "  --cpu          use the native CPU backend\n"                                            \
    "  --validate     enable the Khronos validation layer (also VKCALIB_VALIDATE=1)\n"

/* Formats a message into m (when not NULL) and returns s, as the library's
 * own calls report (`return cli_fail(msg, VKC_ERROR_FORMAT, "...")`). */
vkc_status cli_fail(vkc_msg *m, vkc_status s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The width tables printed to f should fit: the terminal's when f is one,
 * else $COLUMNS (20..10000) when set, else 0 (no limit: pipes and files keep
 * the full layout). */
int cli_columns(FILE *f);
/* s as a JSON string literal ("...", escaped as vkc_jw escapes), malloc'd;
 * NULL when out of memory. */
char *cli_json_string(const char *s);
/* A float32's bits (what a TensorRT cache line holds). */
uint32_t cli_f32_bits(float f);

int cli_parse_u64(const char *s, unsigned long long *out);
int cli_parse_double(const char *s, double *out);
int cli_is_help(const char *s);

#endif
