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
    CLI_OPT_DEVICE = 1u << 11     /* --device D, --cpu, --validate */
};

/* When argv[*i] is one of the accepted options: applies it to o (advancing
 * *i past its value), records it in o->given and returns 1; 0 when it is
 * not one of them; -1 after printing a usage error (cmd names the command). */
int cli_option(int argc, char **argv, int *i, unsigned accept, calib_options *o, const char *cmd);

#endif
