/* vkcalib inspect of the inputs of a calibration: a state file (.vkch:
 * the statistics, and histogram totals, of every tensor) and a calibration
 * set as calibrate would read it (its tensors, their batches, the first
 * batch's dtype and shape). */
#include "inspect.h"
#include "dataset.h"
#include "feeder.h"

#include <stdlib.h>

int inspect_state(const char *path, const char *buf, size_t len, int json)
{
    vkc_calibration *c = NULL;
    vkc_msg msg = {{0}};
    if (vkc_calibration_parse(buf, len, path, &c, &msg) != VKC_OK) {
        cli_error("%s", msg.text);
        return 1;
    }
    const vkc_calibration_settings *set = vkc_calibration_get_settings(c);
    const int hist = set->source == VKC_SOURCE_STATE_HISTOGRAM;
    const uint32_t n = vkc_calibration_count(c);
    if (json) {
        vkc_jw *j = vkc_jw_create();
        if (!j) {
            cli_error("out of memory");
            vkc_calibration_free(c);
            return 1;
        }
        vkc_jw_begin_object(j);
        vkc_jw_kv_string(j, "source", "vkcalib-state");
        vkc_jw_kv_string(j, "file", path);
        vkc_jw_kv_string(j, "round", hist ? "histogram" : "range");
        vkc_jw_kv_uint(j, "bins", set->bins);
        vkc_jw_kv_bool(j, "exclude_nonfinite", set->nonfinite == VKC_NONFINITE_EXCLUDE);
        vkc_jw_kv_uint(j, "count", n);
        vkc_jw_key(j, "tensors");
        vkc_jw_begin_array(j);
        for (uint32_t t = 0; t < n; t++) {
            const vkc_tensor_result *r = vkc_calibration_tensor(c, t);
            vkc_jw_begin_object(j);
            vkc_jw_kv_string(j, "name", r->name);
            vkc_jw_kv_uint(j, "finite", r->stats.count);
            vkc_jw_kv_double(j, "min", r->stats.min);
            vkc_jw_kv_double(j, "max", r->stats.max);
            vkc_jw_kv_double(j, "absmax", r->stats.absmax);
            vkc_jw_kv_uint(j, "zeros", r->stats.zeros);
            vkc_jw_kv_uint(j, "nan", r->stats.nan);
            vkc_jw_kv_uint(j, "pos_inf", r->stats.pos_inf);
            vkc_jw_kv_uint(j, "neg_inf", r->stats.neg_inf);
            if (r->counts) {
                uint64_t total = 0;
                for (uint32_t b = 0; b < r->spec.bins; b++) total += r->counts[b];
                vkc_jw_kv_uint(j, "histogram_total", total);
            }
            vkc_jw_end_object(j);
        }
        vkc_jw_end_array(j);
        vkc_jw_end_object(j);
        vkc_calibration_free(c);
        return inspect_emit_json(j);
    }
    printf("%s: vkcalib state file, %s round (%s), %u bins, non-finite values %s, %u tensor%s\n", path,
           hist ? "histogram" : "range", hist ? "statistics and histograms of |x|" : "range statistics", set->bins,
           set->nonfinite == VKC_NONFINITE_EXCLUDE ? "excluded" : "an error", n, n == 1 ? "" : "s");
    const char **names = calloc(n ? n : 1, sizeof *names);
    for (uint32_t t = 0; names && t < n; t++) names[t] = vkc_calibration_tensor(c, t)->name;
    int w = names ? inspect_name_width(names, n) : 6;
    free(names);
    const int split = inspect_split_rows(w, 5 * 13 + 3 * 8 + (hist ? 13 : 0));
    if (n) {
        if (split) printf("tensor\n ");
        else inspect_put_name("tensor", w);
        printf(" %12s %12s %12s %12s %12s %7s %7s %7s%s\n", "finite", "min", "max", "absmax", "zeros", "NaN", "+Inf",
               "-Inf", hist ? "    binned" : "");
    }
    for (uint32_t t = 0; t < n; t++) {
        const vkc_tensor_result *r = vkc_calibration_tensor(c, t);
        if (split) {
            inspect_put_name_raw(r->name, 1);
            printf("\n ");
        } else {
            inspect_put_name(r->name, w);
        }
        printf(" %12llu %12.6g %12.6g %12.6g %12llu %7llu %7llu %7llu", (unsigned long long)r->stats.count,
               (double)r->stats.min, (double)r->stats.max, (double)r->stats.absmax, (unsigned long long)r->stats.zeros,
               (unsigned long long)r->stats.nan, (unsigned long long)r->stats.pos_inf,
               (unsigned long long)r->stats.neg_inf);
        if (r->counts) {
            uint64_t total = 0;
            for (uint32_t b = 0; b < r->spec.bins; b++) total += r->counts[b];
            printf(" %10llu", (unsigned long long)total);
        }
        putchar('\n');
    }
    if (!hist) printf("(a range round: `vkcalib collect --range-from %s` histograms a shard over these ranges)\n", path);
    vkc_calibration_free(c);
    return inspect_finish_stdout();
}

/* A calibration set, as calibrate would read it: its tensors, the batches
 * holding each, the first batch's dtype and shape. */
int inspect_set(const char *path, int json)
{
    char *inputs[1] = {(char *)path};
    dataset ds;
    if (!dataset_scan(&ds, inputs, 1, 1)) {
        dataset_free(&ds);
        return 1;
    }
    vkc_jw *j = json ? vkc_jw_create() : NULL;
    if (json && !j) {
        cli_error("out of memory");
        dataset_free(&ds);
        return 1;
    }
    if (j) {
        vkc_jw_begin_object(j);
        vkc_jw_kv_string(j, "source", "calibration-set");
        vkc_jw_kv_string(j, "file", path);
        vkc_jw_kv_uint(j, "count", ds.ntensors);
        vkc_jw_key(j, "tensors");
        vkc_jw_begin_array(j);
    } else {
        printf("%s: calibration set, %u tensor%s, %u file%s\n", path, ds.ntensors, ds.ntensors == 1 ? "" : "s",
               ds.nfiles, ds.nfiles == 1 ? "" : "s");
    }
    const char **names = calloc(ds.ntensors ? ds.ntensors : 1, sizeof *names);
    for (uint32_t t = 0; names && t < ds.ntensors; t++) names[t] = ds.tensors[t].name;
    int w = names ? inspect_name_width(names, ds.ntensors) : 6;
    free(names);
    const int split = !j && inspect_split_rows(w, 8 + 6 + 40);
    if (!j && ds.ntensors) {
        if (split) printf("tensor\n ");
        else inspect_put_name("tensor", w);
        printf(" %7s %5s  %s\n", "batches", "dtype", "first batch");
    }
    for (uint32_t t = 0; t < ds.ntensors; t++) {
        const ds_tensor *ten = &ds.tensors[t];
        char shape[160] = "-", dt[8] = "?";
        vkc_source *src = NULL;
        vkc_msg msg = {{0}};
        if (ten->nitems && feeder_open_item(&ten->items[0], &src, &msg) == VKC_OK) {
            vkc_npy_describe(vkc_source_header(src), shape, sizeof shape);
            snprintf(dt, sizeof dt, "%s", vkc_npy_type_name(vkc_source_dtype(src)));
            vkc_source_close(src);
        } else if (ten->nitems) {
            snprintf(shape, sizeof shape, "unreadable: %.140s", msg.text);
        }
        if (j) {
            vkc_jw_begin_object(j);
            vkc_jw_kv_string(j, "name", ten->name);
            vkc_jw_kv_uint(j, "batches", ten->nitems);
            vkc_jw_kv_string(j, "dtype", dt);
            vkc_jw_kv_string(j, "first_batch", shape);
            vkc_jw_end_object(j);
            continue;
        }
        if (split) {
            inspect_put_name_raw(ten->name, 1);
            printf("\n ");
        } else {
            inspect_put_name(ten->name, w);
        }
        printf(" %7u %5s  %s\n", ten->nitems, dt, shape);
    }
    dataset_free(&ds);
    if (j) {
        vkc_jw_end_array(j);
        vkc_jw_end_object(j);
        return inspect_emit_json(j);
    }
    return inspect_finish_stdout();
}
