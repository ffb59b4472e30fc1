/* The options several commands share, in one table: one spelling, one
 * range and one message for each, whichever command takes it. */
#include "calib.h"
#include "options.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct opt_def {
    const char *name;
    unsigned bit;
    int takes_value;
} opt_def;

static const opt_def kOptions[] = {
    {"--method", CLI_OPT_METHOD, 1},
    {"--mode", CLI_OPT_MODE, 1},
    {"--flavor", CLI_OPT_FLAVOR, 1},
    {"--bins", CLI_OPT_BINS, 1},
    {"--start-bin", CLI_OPT_START_BIN, 1},
    {"--percentile", CLI_OPT_PERCENTILE, 1},
    {"--exclude-nonfinite", CLI_OPT_NONFINITE, 0},
    {"--allow-missing", CLI_OPT_MISSING, 0},
    {"--memory-budget", CLI_OPT_BUDGET, 1},
    {"--quiet", CLI_OPT_QUIET, 0},
    {"-q", CLI_OPT_QUIET, 0},
    {"--verbose", CLI_OPT_VERBOSE, 0},
    {"-v", CLI_OPT_VERBOSE, 0},
    {"--max-clipped", CLI_OPT_GUARDS, 1},
    {"--max-sqnr-gap", CLI_OPT_GUARDS, 1},
    {"--no-guards", CLI_OPT_GUARDS, 0},
    {"--strict", CLI_OPT_GUARDS, 0},
    {"--guard-methods", CLI_OPT_GUARDS, 1},
    {"--override", CLI_OPT_SELECT, 1},
    {"--overrides", CLI_OPT_SELECT, 1},
    {"--include", CLI_OPT_SELECT, 1},
    {"--exclude", CLI_OPT_SELECT, 1},
};

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v <= 0) return 0;
    double mul = 1;
    if (*end == 'K' || *end == 'k') mul = 1024.0, end++;
    else if (*end == 'M' || *end == 'm') mul = 1048576.0, end++;
    else if (*end == 'G' || *end == 'g') mul = 1073741824.0, end++;
    if (*end == 'B' || *end == 'b') end++;
    if (*end) return 0;
    *out = (uint64_t)(v * mul);
    return *out > 0;
}

/* p in (0, 100] with at most 4 decimals (the percentile search compares
 * p / 100 of the total exactly in integers: 99.99999 would be read as 100). */
int cli_percentile_ok(double p)
{
    if (!(p > 0 && p <= 100)) return 0;
    double s = p * 10000.0, r = nearbyint(s);
    return r >= 1 && fabs(s - r) <= 1e-7;
}

/* The guard and selection options (several names per bit). */
static int apply_named(const char *name, const char *v, calib_options *o)
{
    double d;
    if (!strcmp(name, "--max-clipped")) {
        if (cli_parse_double(v, &d) && d > 0 && d <= 100) {
            o->guard.max_clipped = d / 100.0;
            return 1;
        }
        cli_error("--max-clipped: expected a percentage in (0, 100], got %s", v);
        return 0;
    }
    if (!strcmp(name, "--max-sqnr-gap")) {
        if (cli_parse_double(v, &d) && d > 0) {
            o->guard.max_sqnr_gap_db = d;
            return 1;
        }
        cli_error("--max-sqnr-gap: expected a number of dB > 0, got %s", v);
        return 0;
    }
    if (!strcmp(name, "--no-guards")) {
        o->guard.disable = 1;
        return 1;
    }
    if (!strcmp(name, "--guard-methods")) {
        uint32_t mask = 0;
        char buf[128];
        snprintf(buf, sizeof buf, "%s", v);
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            vkc_method m;
            if (!vkc_method_parse(tok, &m)) {
                cli_error("--guard-methods: a comma-separated list of entropy, percentile, mse, max; not '%s'", tok);
                return 0;
            }
            mask |= 1u << m;
        }
        if (!mask) {
            cli_error("--guard-methods: name at least one method");
            return 0;
        }
        o->guard.methods = mask;
        return 1;
    }
    if (!strcmp(name, "--strict")) {
        o->strict = 1;
        return 1;
    }
    if (!strcmp(name, "--override")) return cli_rules_add_override(&o->rules, v, "--override");
    if (!strcmp(name, "--overrides")) return cli_rules_read_file(&o->rules, v);
    if (!strcmp(name, "--include")) return cli_rules_add_glob(&o->rules, 1, v);
    if (!strcmp(name, "--exclude")) return cli_rules_add_glob(&o->rules, 0, v);
    return 0;
}

/* 1 on success, 0 after printing the usage error. */
static int apply(unsigned bit, const char *v, calib_options *o)
{
    unsigned long long u;
    switch (bit) {
    case CLI_OPT_METHOD:
        if (vkc_method_parse(v, &o->ci.method)) return 1;
        cli_error("--method: entropy, percentile, mse or max, not %s", v);
        return 0;
    case CLI_OPT_MODE:
        if (vkc_mode_parse(v, &o->ci.mode)) return 1;
        cli_error("--mode: symmetric, unsigned, asymmetric or auto, not %s", v);
        return 0;
    case CLI_OPT_FLAVOR: {
        if (vkc_flavor_parse(v, &o->ci.flavor)) return 1;
        char list[512] = "";
        for (int f = 0; f < VKC_FLAVOR_COUNT; f++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", f ? ", " : "",
                     vkc_flavor_name((vkc_flavor)f));
        cli_error("--flavor: one of %s; not %s", list, v);
        return 0;
    }
    case CLI_OPT_BINS:
        if (cli_parse_u64(v, &u) && u >= 1 && u <= CLI_MAX_BINS) {
            o->ci.bins = (uint32_t)u;
            return 1;
        }
        cli_error("--bins: expected 1..%u, got %s", CLI_MAX_BINS, v);
        return 0;
    case CLI_OPT_START_BIN:
        if (cli_parse_u64(v, &u) && u >= 1 && u <= CLI_MAX_BINS) {
            o->ci.start_bin = (uint32_t)u;
            return 1;
        }
        cli_error("--start-bin: expected 1..%u, got %s", CLI_MAX_BINS, v);
        return 0;
    case CLI_OPT_PERCENTILE:
        if (cli_parse_double(v, &o->ci.percentile) && cli_percentile_ok(o->ci.percentile)) return 1;
        cli_error("--percentile: expected a number in (0, 100] with at most 4 decimals, got %s", v);
        return 0;
    case CLI_OPT_BUDGET:
        if (parse_size(v, &o->budget) && o->budget >= (1u << 20)) return 1;
        cli_error("--memory-budget: expected a size of at least 1M (e.g. 512M, 2G), got %s", v);
        return 0;
    case CLI_OPT_NONFINITE:
        o->ci.nonfinite = VKC_NONFINITE_EXCLUDE;
        return 1;
    case CLI_OPT_MISSING:
        o->allow_missing = 1;
        return 1;
    case CLI_OPT_QUIET:
        o->quiet = 1;
        return 1;
    case CLI_OPT_VERBOSE:
        o->verbose = 1;
        return 1;
    }
    return 0;
}

int cli_option(int argc, char **argv, int *i, unsigned accept, calib_options *o, const char *cmd)
{
    if (accept & CLI_OPT_DEVICE) {
        int r = cli_device_opt(argc, argv, i, &o->dev);
        if (r) return r;
    }
    const char *a = argv[*i];
    for (size_t k = 0; k < sizeof kOptions / sizeof kOptions[0]; k++) {
        const opt_def *d = &kOptions[k];
        if (!(accept & d->bit) || strcmp(a, d->name) != 0) continue;
        const char *v = NULL;
        if (d->takes_value) {
            if (*i + 1 >= argc) {
                cli_error("%s: %s needs a value (see --help)", cmd, a);
                return -1;
            }
            v = argv[++*i];
        }
        if (!((d->bit == CLI_OPT_GUARDS || d->bit == CLI_OPT_SELECT) ? apply_named(d->name, v, o)
                                                                      : apply(d->bit, v, o)))
            return -1;
        o->given |= d->bit;
        return 1;
    }
    return 0;
}
