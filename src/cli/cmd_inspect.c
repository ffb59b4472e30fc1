/* vkcalib inspect: the tensors, scales and ranges of a TensorRT calibration
 * cache or of a vkcalib JSON, the statistics of a state file or the tensors
 * of a calibration set, as a table or as JSON. This file reads the
 * command line and the file and tells its kind; each kind has its own part
 * (inspect.h). */
#include "inspect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Larger files are refused: a cache holds one short line per tensor, so even
 * a model with a million tensors stays far below this. */
#define INSPECT_MAX_BYTES (256ull << 20)

static const char *const kHelp =
    "Usage: vkcalib inspect FILE [--json]\n"
    "\n"
    "Prints the tensors, scales and ranges of a calibration file: a TensorRT\n"
    "calibration cache (from vkcalib, TensorRT, trtexec, ONNX Runtime, Model\n"
    "Optimizer...) or a JSON written by `vkcalib calibrate -o ranges.json`; the\n"
    "statistics of a state file (.vkch, `vkcalib collect`); or the tensors of a\n"
    "calibration set (an .npz, a .npy, a folder: what calibrate would read). The\n"
    "kind is detected from the content: JSON starts with '{', a state with VKCH.\n"
    "FILE '-' reads standard input.\n"
    "\n"
    "A TensorRT calibration cache is a text file:\n"
    "\n"
    "  TRT-8601-EntropyCalibration2      header: TensorRT's version integer\n"
    "  input: 3c010204                   (8.6.1 -> 8601, 10.3.0 -> 100300) and\n"
    "  /layer1/Relu_output_0: 3d418306   the calibrator that wrote it\n"
    "\n"
    "then one `<tensor name>: <hex>` line per tensor. The hex digits are the\n"
    "IEEE-754 bits of the float32 scale, scale = amax / 127: the tensor is\n"
    "quantized symmetrically to int8 codes -127..127 over [-amax, amax]. So\n"
    "3c010204 is the float32 0.00787401572 = 1/127, amax 1.0. TensorRT only\n"
    "reuses a cache whose header names the calibrator it runs (usually\n"
    "EntropyCalibration2), and ignores the version otherwise. Names may hold\n"
    "':' and spaces: the line splits at its last \": \". TensorRT writes a zero\n"
    "scale as `0`.\n"
    "\n"
    "For a cache, the table shows each tensor's scale, its bits and amax =\n"
    "scale * 127; for a vkcalib JSON also the mode, the range [lo, hi], the zero\n"
    "point and the chosen threshold.\n"
    "\n"
    "Options:\n"
    "  --json    print one JSON object instead of the table:\n"
    "            {\"source\": \"trt\" or \"vkcalib-json\", \"version\", \"algo\",\n"
    "             \"tensors\": [{\"name\", \"scale\", \"amax\", ...}]}; for a cache each\n"
    "            tensor has \"scale_bits\" (8 hex digits) too; for a vkcalib JSON\n"
    "            every field of the file is kept, plus \"cache_scale_bits\", what a\n"
    "            TensorRT cache holds for that amax\n"
    "\n"
    "Exit status: 0 ok, 1 unreadable or malformed file, 2 usage error.\n"
    "\n"
    "Example:\n"
    "  vkcalib inspect model.cache\n"
    "  vkcalib inspect ranges.json --json | python3 -m json.tool\n";

/* ---- reading ------------------------------------------------------------ */

/* Reads all of path ('-' = stdin) into *out (NUL-terminated, *len bytes). */
static int read_all(const char *path, char **out, size_t *len)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        cli_error("%s: %s", path, strerror(errno));
        return 0;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            cli_error("%s: is a directory (inspect reads one cache or JSON file)", path);
            if (!is_stdin) fclose(f);
            return 0;
        }
        if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > INSPECT_MAX_BYTES) {
            cli_error("%s: %llu bytes; inspect reads files up to %llu MiB (is this really a calibration "
                      "cache or JSON?)",
                      path, (unsigned long long)st.st_size, INSPECT_MAX_BYTES >> 20);
            if (!is_stdin) fclose(f);
            return 0;
        }
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    int ok = buf != NULL;
    if (!ok) cli_error("out of memory reading %s", path);
    while (ok) {
        if (n == cap) {
            if (cap >= INSPECT_MAX_BYTES) {
                cli_error("%s: more than %llu MiB; inspect reads files up to that size", path,
                          INSPECT_MAX_BYTES >> 20);
                ok = 0;
                break;
            }
            size_t ncap = cap * 2 > INSPECT_MAX_BYTES ? (size_t)INSPECT_MAX_BYTES : cap * 2;
            char *g = realloc(buf, ncap + 1);
            if (!g) {
                cli_error("out of memory reading %s", path);
                ok = 0;
                break;
            }
            buf = g;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                cli_error("%s: read error: %s", path, strerror(errno));
                ok = 0;
            }
            break;
        }
    }
    if (!is_stdin) fclose(f);
    if (!ok) {
        free(buf);
        return 0;
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return 1;
}

static int is_set_path(const char *path)
{
    struct stat st;
    size_t n = strlen(path);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return 1;
    return n >= 4 && (!strcmp(path + n - 4, ".npz") || !strcmp(path + n - 4, ".npy"));
}

/* ---- command -------------------------------------------------------------- */

int cmd_inspect(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(kHelp, stdout);
            return 0;
        }
        if (strcmp(a, "--json") == 0) {
            json = 1;
            continue;
        }
        if (a[0] == '-' && strcmp(a, "-") != 0) {
            cli_error("inspect: unknown option %s (see --help)", a);
            return 2;
        }
        if (path) {
            cli_error("inspect: one FILE at a time (got %s and %s)", path, a);
            return 2;
        }
        path = a;
    }
    if (!path) {
        cli_error("inspect: give a FILE, a TensorRT cache or a vkcalib JSON (see --help)");
        return 2;
    }
    if (strcmp(path, "-") != 0 && is_set_path(path)) return inspect_set(path, json);
    char *buf = NULL;
    size_t len = 0;
    if (!read_all(path, &buf, &len)) return 1;
    if (len >= 4 && memcmp(buf, "VKCH", 4) == 0) {
        int rc = inspect_state(path, buf, len, json);
        free(buf);
        return rc;
    }
    size_t p = 0;
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) p = 3; /* UTF-8 byte order mark */
    while (p < len && (buf[p] == ' ' || buf[p] == '\t' || buf[p] == '\r' || buf[p] == '\n')) p++;
    size_t bom = p >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    int rc = p < len && buf[p] == '{' ? inspect_json(path, buf, len, json)
                                      : inspect_cache(path, buf + bom, len - bom, json);
    free(buf);
    return rc;
}
