/* Inside `vkcalib inspect` (cmd_inspect.c reads the file and tells its
 * kind): one part per kind of file, each printing a table or a JSON
 * document, and the output helpers they share (inspect_out.c). */
#ifndef VKC_CLI_INSPECT_H
#define VKC_CLI_INSPECT_H

#include "cli.h"

#include <stddef.h>

/* ---- output helpers (inspect_out.c) -------------------------------------- */

/* A name for the table: control characters as \xNN, so one tensor stays one
 * row; printed when print. Returns the columns used (UTF-8 continuation
 * bytes take none). */
int inspect_put_name_raw(const char *s, int print);
/* The name, padded to width columns. */
void inspect_put_name(const char *s, int width);
/* The name column's width for these names: 6 to 48. */
int inspect_name_width(const char *const *names, size_t n);
/* On a terminal (or with $COLUMNS) narrower than a row of width w + rest:
 * the name on a line of its own, the numbers indented on the next. Returns
 * 1 when rows are split. */
int inspect_split_rows(int w, int rest);
/* Flushes standard output: 0, or 1 after printing the error. */
int inspect_finish_stdout(void);
/* Prints the writer's document and destroys it: 0 or 1 as above. */
int inspect_emit_json(vkc_jw *j);

/* ---- the kinds of file: each returns the exit status (0 ok, 1 error) ----- */

/* A TensorRT calibration cache (inspect_cache.c). */
int inspect_cache(const char *path, const char *buf, size_t len, int json);
/* A vkcalib calibration JSON (inspect_json.c). */
int inspect_json(const char *path, const char *buf, size_t len, int json);
/* A state file, .vkch (inspect_state.c). */
int inspect_state(const char *path, const char *buf, size_t len, int json);
/* A calibration set: an .npz, a .npy or a folder (inspect_state.c). */
int inspect_set(const char *path, int json);

#endif
