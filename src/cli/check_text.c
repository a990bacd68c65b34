/* `omsi-catalog check` for people: one aligned block per path, rendered from
 * the same json-c object that --json prints. */
#include "cli/check_report.h"
#include "base/omsi_escape.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_WIDTH 21

static void line(FILE *f, int indent, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void line(FILE *f, int indent, const char *label, const char *fmt, ...)
{
    fprintf(f, "%*s%-*s ", indent, "", LABEL_WIDTH - indent, label);
    va_list ap;
    va_start(ap, fmt);
    char *text = omsi_vformat_alloc(fmt, ap);
    va_end(ap);
    /* escaped: file names and metadata may hold control characters */
    omsi_escape_fputs(text ? text : "(out of memory)", f);
    free(text);
    fputc('\n', f);
}

static json_object *get(json_object *o, const char *key)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *str(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    return v ? json_object_get_string(v) : "";
}

/* "801684 bytes (783 KiB)" */
static void format_size(char *buf, size_t n, json_object *v)
{
    if (!v) {
        snprintf(buf, n, "unknown");
        return;
    }
    uint64_t b = json_object_get_uint64(v);
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double scaled = (double)b;
    size_t u = 0;
    while (scaled >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        scaled /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, n, "%" PRIu64 " bytes", b);
    else
        snprintf(buf, n, "%" PRIu64 " bytes (%.1f %s)", b, scaled, units[u]);
}

static void print_dependencies(FILE *f, json_object *deps)
{
    size_t n = deps ? json_object_array_length(deps) : 0;
    if (n == 0) {
        line(f, 4, "dependencies", "none");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *d = json_object_array_get_idx(deps, i);
        json_object *region = get(d, "region");
        char where[64];
        if (region)
            snprintf(where, sizeof where, "dataset %s, region %s", str(d, "dataset"),
                     json_object_get_int64(region) < 0 ? "all" : json_object_get_string(region));
        else
            snprintf(where, sizeof where, "dataset %s", str(d, "dataset"));
        line(f, 4, i == 0 ? "dependencies" : "", "%s -> %s (%s)", str(d, "link_name"), where,
             str(d, "type"));
    }
}

static void print_dataset(FILE *f, json_object *d, bool stats)
{
    json_object *region = get(d, "region");
    char title[320];
    const char *name = str(d, "name");
    if (region)
        snprintf(title, sizeof title, "dataset %s, region %s%s%s%s", str(d, "dataset"),
                 json_object_get_string(region), get(d, "region_name") ? " \"" : "",
                 str(d, "region_name"), get(d, "region_name") ? "\"" : "");
    else
        snprintf(title, sizeof title, "dataset %s%s%s%s", str(d, "dataset"), name[0] ? " \"" : "",
                 name, name[0] ? "\"" : "");
    fputs("  ", f);
    omsi_escape_fputs(title, f);
    fputc('\n', f);
    json_object *shape = get(d, "shape");
    if (shape && json_object_array_length(shape) == 3)
        line(f, 4, "shape", "%s x %s x %s (x, y, m/z)",
             json_object_get_string(json_object_array_get_idx(shape, 0)),
             json_object_get_string(json_object_array_get_idx(shape, 1)),
             json_object_get_string(json_object_array_get_idx(shape, 2)));
    if (get(d, "region_origin"))
        line(f, 4, "region", "origin %s, size %s", str(d, "region_origin"),
             str(d, "region_size"));
    line(f, 4, "data type", "%s (m/z axis %s)", str(d, "dtype"), str(d, "mz_dtype"));
    json_object *lo = get(d, "mz_min"), *hi = get(d, "mz_max");
    if (lo && hi)
        line(f, 4, "m/z", "%s values, %.10g .. %.10g%s", str(d, "n_mz"),
             json_object_get_double(lo), json_object_get_double(hi),
             json_object_get_boolean(get(d, "mz_strictly_increasing")) ? ""
                                                                       : " (not increasing)");
    else
        line(f, 4, "m/z", "%s values", str(d, "n_mz"));
    line(f, 4, "spectra", "%s stored in %s pixels (grid cells)", str(d, "n_spectra"), str(d, "pixel_count"));
    json_object *skipped = get(d, "n_skipped");
    if (skipped && json_object_get_int64(skipped) > 0)
        line(f, 4, "skipped", "%s empty spectra (zero points)%s%s", json_object_get_string(skipped),
             get(d, "skipped_spectra") ? ": " : "", str(d, "skipped_spectra"));
    if (get(d, "checksum"))
        line(f, 4, "checksum", "%s", str(d, "checksum"));
    print_dependencies(f, get(d, "dependencies"));
    if (stats) {
        json_object *total = get(d, "total_intensity");
        if (total)
            line(f, 4, "total intensity", "%.15g (%s spectra read)",
                 json_object_get_double(total), str(d, "spectra_read"));
        else if (get(d, "spectra_read"))
            line(f, 4, "total intensity", "not a number (%s spectra read)",
                 str(d, "spectra_read"));
    }
}

void check_print_text(FILE *f, json_object *o, bool stats)
{
    char size[96];
    omsi_escape_fputs(str(o, "path"), f);
    fputc('\n', f);
    line(f, 2, "format", "%s", str(o, "format"));
    line(f, 2, "valid", "%s (%s)", json_object_get_boolean(get(o, "valid")) ? "yes" : "no",
         str(o, "validity"));
    json_object *imaging = get(o, "imaging");
    if (imaging)
        line(f, 2, "imaging", "%s", json_object_get_boolean(imaging)
                                        ? "yes (pixels are sample positions)"
                                        : "no (spectra are not grid positions: one row, one pixel per spectrum)");
    format_size(size, sizeof size, get(o, "size_bytes"));
    line(f, 2, "size", "%s", size);
    json_object *files = get(o, "files");
    size_t nfiles = files ? json_object_array_length(files) : 0;
    for (size_t i = 0; i < nfiles; i++)
        line(f, 2, i == 0 ? "files" : "", "%s",
             json_object_get_string(json_object_array_get_idx(files, i)));
    if (get(o, "error"))
        line(f, 2, "error", "%s", str(o, "error"));
    json_object *datasets = get(o, "datasets");
    size_t n = datasets ? json_object_array_length(datasets) : 0;
    for (size_t i = 0; i < n; i++)
        print_dataset(f, json_object_array_get_idx(datasets, i), stats);
}
