/* The options shared by the commands that calibrate or search (see
 * options.c): a command names the ones it takes with CLI_OPT_* bits. */
#ifndef VKC_CLI_OPTIONS_H
#define VKC_CLI_OPTIONS_H

#include "calib.h"

/* The most bins any command takes, in --bins, --start-bin and the
 * histograms it reads: the library's cap. */
#define CLI_MAX_BINS VKC_HIST_MAX_BINS

enum {
    CLI_OPT_METHOD = 1u << 0,     /* --method M */
    CLI_OPT_MODE = 1u << 1,       /* --mode M */
    CLI_OPT_FLAVOR = 1u << 2,     /* --flavor F */
    CLI_OPT_BINS = 1u << 3,       /* --bins N */
    CLI_OPT_START_BIN = 1u << 4,  /* --start-bin S */
    CLI_OPT_PERCENTILE = 1u << 5, /* --percentile P */
    CLI_OPT_NONFINITE = 1u << 6,  /* --exclude-nonfinite */
    CLI_OPT_MISSING = 1u << 7,    /* --allow-missing */
    CLI_OPT_BUDGET = 1u << 8,     /* --memory-budget SIZE */
    CLI_OPT_QUIET = 1u << 9,      /* --quiet, -q */
    CLI_OPT_VERBOSE = 1u << 10,   /* --verbose, -v */
    CLI_OPT_DEVICE = 1u << 11,    /* --device D, --cpu, --validate */
    CLI_OPT_GUARDS = 1u << 12,    /* --max-clipped PCT, --max-sqnr-gap DB, --no-guards, --strict */
    CLI_OPT_SELECT = 1u << 13     /* --override G=M[:MODE], --overrides FILE, --include G, --exclude G */
};

#define CLI_GUARDS_HELP                                                                          \
    "  --max-clipped PCT     quality guard: warn when a range clips more than PCT% of\n"          \
    "                        a tensor's values (default 1)\n"                                    \
    "  --max-sqnr-gap DB     quality guard: warn when a range's SQNR, estimated from\n"          \
    "                        the histogram, lies more than DB below the best other\n"           \
    "                        method's (default 6, one bit)\n"                                   \
    "  --guard-methods LIST  the methods a range is compared with (comma-separated;\n"         \
    "                        default max,percentile: O(bins) each; entropy and mse\n"          \
    "                        cost a search per tensor)\n"                                      \
    "  --no-guards           no quality guards\n"                                               \
    "  --strict              guard warnings and skipped tensors are errors\n"
#define CLI_SELECT_HELP                                                                          \
    "  --override G=M[:MODE] tensors whose name matches the glob G get method M (and\n"         \
    "                        mode MODE), e.g. '*Softmax*=max:unsigned'; repeatable,\n"          \
    "                        the last match wins\n"                                             \
    "  --overrides FILE      the same from a file: one `GLOB=METHOD[:MODE]`,\n"                 \
    "                        `include GLOB` or `exclude GLOB` per line, # comments\n"           \
    "  --include G           calibrate only the tensors matching G (repeatable)\n"              \
    "  --exclude G           leave out the tensors matching G (repeatable); left-out,\n"        \
    "                        empty and non-float tensors are reported, not fatal\n"             \
    "                        (unless --strict)\n"

/* The per-tensor rules (select.c): 1 on success, 0 after printing the
 * usage error. */
int cli_rules_add_override(cli_rules *r, const char *spec, const char *where);
int cli_rules_add_glob(cli_rules *r, int include, const char *glob);
int cli_rules_read_file(cli_rules *r, const char *path);
void cli_rules_free(cli_rules *r);

/* p in (0, 100] with at most 4 decimals. */
int cli_percentile_ok(double p);

/* When argv[*i] is one of the accepted options: applies it to o (advancing
 * *i past its value), records it in o->given and returns 1; 0 when it is
 * not one of them; -1 after printing a usage error (cmd names the command). */
int cli_option(int argc, char **argv, int *i, unsigned accept, calib_options *o, const char *cmd);

#endif
