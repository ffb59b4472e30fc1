/* Per-tensor control of a calibration (--override, --overrides, --include,
 * --exclude) and the tensors a calibration leaves out (excluded, not
 * floating point, empty): reported, fatal only with --strict. */
#include "calib.h"
#include "options.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

static int grow(void **v, uint32_t *cap, uint32_t n, size_t size)
{
    if (n < *cap) return 1;
    uint32_t c = *cap ? *cap * 2 : 8;
    void *g = realloc(*v, (size_t)c * size);
    if (!g) return 0;
    *v = g;
    *cap = c;
    return 1;
}

/* "GLOB=METHOD[:MODE]", split at the last '=' (a glob may hold '='). */
int cli_rules_add_override(cli_rules *r, const char *spec, const char *where)
{
    const char *eq = strrchr(spec, '=');
    if (!eq || eq == spec || !eq[1]) {
        cli_error("%s: expected GLOB=METHOD[:MODE] (e.g. '*Softmax*=max:unsigned'), got '%s'", where, spec);
        return 0;
    }
    const char *rhs = eq + 1;
    while (*rhs == ' ' || *rhs == '\t') rhs++;
    const char *colon = strchr(rhs, ':');
    char method[32], mode[32] = "";
    size_t ml = colon ? (size_t)(colon - rhs) : strlen(rhs);
    if (ml >= sizeof method || (colon && strlen(colon + 1) >= sizeof mode)) {
        cli_error("%s: '%s': unknown method or mode", where, spec);
        return 0;
    }
    memcpy(method, rhs, ml);
    method[ml] = 0;
    if (colon) strcpy(mode, colon + 1);
    cli_override o = {0};
    if (!vkc_method_parse(method, &o.method)) {
        cli_error("%s: '%s': method entropy, percentile, mse or max, not '%s'", where, spec, method);
        return 0;
    }
    if (colon) {
        if (!vkc_mode_parse(mode, &o.mode)) {
            cli_error("%s: '%s': mode symmetric, unsigned, asymmetric or auto, not '%s'", where, spec, mode);
            return 0;
        }
        o.has_mode = 1;
    }
    if (o.has_mode && o.mode == VKC_MODE_ASYMMETRIC && o.method == VKC_METHOD_PERCENTILE) {
        cli_error("%s: '%s': mode asymmetric supports the entropy, mse and max methods", where, spec);
        return 0;
    }
    /* Surrounding blanks are not part of the glob (a file's `a* = max`). */
    const char *g0 = spec, *g1 = eq;
    while (g0 < g1 && (*g0 == ' ' || *g0 == '\t')) g0++;
    while (g1 > g0 && (g1[-1] == ' ' || g1[-1] == '\t')) g1--;
    if (g0 == g1) {
        cli_error("%s: '%s': empty glob", where, spec);
        return 0;
    }
    if (!grow((void **)&r->ov, &r->capov, r->nov, sizeof *r->ov) || !(o.glob = dup_n(g0, (size_t)(g1 - g0)))) {
        cli_error("out of memory");
        return 0;
    }
    r->ov[r->nov++] = o;
    return 1;
}

int cli_rules_add_glob(cli_rules *r, int include, const char *glob)
{
    char ***v = include ? &r->include : &r->exclude;
    uint32_t *n = include ? &r->ninc : &r->nexc, *cap = include ? &r->capinc : &r->capexc;
    if (!*glob) {
        cli_error("--%s: empty glob", include ? "include" : "exclude");
        return 0;
    }
    char *g = dup_n(glob, strlen(glob));
    if (!g || !grow((void **)v, cap, *n, sizeof **v)) {
        free(g);
        cli_error("out of memory");
        return 0;
    }
    (*v)[(*n)++] = g;
    return 1;
}

/* One rule per line: GLOB=METHOD[:MODE], `include GLOB`, `exclude GLOB`;
 * blank lines and lines starting with '#' are skipped. */
int cli_rules_read_file(cli_rules *r, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_error("--overrides %s: %s", path, strerror(errno));
        return 0;
    }
    char line[4096], where[4200];
    unsigned lineno = 0;
    int ok = 1;
    while (ok && fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n + 1 == sizeof line && line[n - 1] != '\n') {
            cli_error("%s:%u: line too long", path, lineno);
            ok = 0;
            break;
        }
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            line[--n] = 0;
        const char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '#') continue;
        snprintf(where, sizeof where, "%s:%u", path, lineno);
        if (!strncmp(p, "include ", 8) || !strncmp(p, "exclude ", 8)) {
            const char *g = p + 8;
            while (*g == ' ' || *g == '\t') g++;
            ok = cli_rules_add_glob(r, p[0] == 'i', g);
        } else {
            ok = cli_rules_add_override(r, p, where);
        }
    }
    if (ok && ferror(f)) {
        cli_error("--overrides %s: read error", path);
        ok = 0;
    }
    fclose(f);
    return ok;
}

void cli_rules_free(cli_rules *r)
{
    for (uint32_t k = 0; k < r->nov; k++) free(r->ov[k].glob);
    for (uint32_t k = 0; k < r->ninc; k++) free(r->include[k]);
    for (uint32_t k = 0; k < r->nexc; k++) free(r->exclude[k]);
    free(r->ov);
    free(r->include);
    free(r->exclude);
    memset(r, 0, sizeof *r);
}

static int matches(const char *glob, const char *name)
{
    return fnmatch(glob, name, 0) == 0;
}

const cli_override *calib_override_for(const cli_rules *r, const char *name)
{
    for (uint32_t k = r->nov; k-- > 0;)
        if (matches(r->ov[k].glob, name)) return &r->ov[k];
    return NULL;
}

void calib_note_skipped(calib_options *o, const char *name, const char *reason)
{
    cli_skipped *g = realloc(o->skipped, (o->nskipped + 1) * sizeof *g);
    if (!g) return;
    o->skipped = g;
    cli_skipped *s = &o->skipped[o->nskipped];
    s->name = dup_n(name, strlen(name));
    snprintf(s->reason, sizeof s->reason, "%s", reason);
    if (s->name) o->nskipped++;
}

/* Why tensor t is left out, or NULL: not included, excluded, or its first
 * batch is not floating point. */
static const char *left_out(const dataset *ds, uint32_t t, const cli_rules *r, char *why, size_t size)
{
    const char *name = ds->tensors[t].name;
    if (r->ninc) {
        int in = 0;
        for (uint32_t k = 0; !in && k < r->ninc; k++) in = matches(r->include[k], name);
        if (!in) return "matches no --include";
    }
    for (uint32_t k = 0; k < r->nexc; k++)
        if (matches(r->exclude[k], name)) {
            snprintf(why, size, "excluded by --exclude '%s'", r->exclude[k]);
            return why;
        }
    if (ds->tensors[t].nitems) {
        vkc_source *src = NULL;
        vkc_msg msg = {{0}};
        if (feeder_open_item(&ds->tensors[t].items[0], &src, &msg) == VKC_OK) {
            vkc_npy_type dt = vkc_source_dtype(src);
            const int activation = feeder_activation_type(dt);
            if (!activation)
                snprintf(why, size, "dtype %s in %s is not an activation type (float16, float32 or float64)",
                         vkc_npy_type_name(dt), vkc_source_name(src));
            vkc_source_close(src);
            if (!activation) return why;
        }
        /* An unreadable batch is reported when the passes read it. */
    }
    return NULL;
}

int calib_select(dataset *ds, calib_options *o)
{
    uint32_t keep = 0;
    int ok = 1;
    for (uint32_t t = 0; t < ds->ntensors; t++) {
        char why[256];
        const char *reason = left_out(ds, t, &o->rules, why, sizeof why);
        if (!reason) {
            ds->tensors[keep++] = ds->tensors[t];
            continue;
        }
        if (o->strict && strncmp(reason, "dtype", 5) == 0) {
            cli_error("tensor '%s': %s (--strict)", ds->tensors[t].name, reason);
            ok = 0;
        }
        calib_note_skipped(o, ds->tensors[t].name, reason);
        free(ds->tensors[t].items);
        free(ds->tensors[t].name);
    }
    if (keep != ds->ntensors) {
        ds->ntensors = keep;
        /* The name index is rebuilt when a name is next looked up. */
        free(ds->slots);
        ds->slots = NULL;
        ds->nslots = 0;
    }
    if (ok && keep == 0) {
        cli_error("no tensor left to calibrate (%u left out by --include/--exclude or their dtype)", o->nskipped);
        ok = 0;
    }
    return ok;
}

void calib_options_free(calib_options *o)
{
    cli_rules_free(&o->rules);
    for (uint32_t k = 0; k < o->nskipped; k++) free(o->skipped[k].name);
    free(o->skipped);
    o->skipped = NULL;
    o->nskipped = 0;
}
