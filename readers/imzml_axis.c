/* The common m/z axis of a processed imzML file (spec 2.8): the exact union
 * of every spectrum's values (default, lossless) or a geometric axis at a
 * ppm spacing. Streams: one m/z array in memory plus the pending runs of
 * readers/sorted_union.h. */
#include "readers/imzml_axis.h"
#include "readers/ppm_axis.h"
#include "readers/sorted_union.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Calls fn for every distinct m/z array of the index (continuous files
 * repeat one array), one array in memory at a time. */
static int each_mz_array(const imzml_index *ix, int fd, const char *ibd_path,
                         int (*fn)(void *ctx, const double *values, uint64_t n, size_t spectrum, omsi_error *err),
                         void *ctx, omsi_error *err)
{
    double *values = NULL;
    size_t values_cap = 0, scratch_size = 0;
    unsigned char *scratch = NULL;
    int rc = 0;
    for (size_t s = 0; s < ix->count && !rc; s++) {
        const imzml_array *a = &ix->spectra[s].mz;
        if (s > 0 && a->offset == ix->spectra[s - 1].mz.offset && a->length == ix->spectra[s - 1].mz.length)
            continue;
        if (a->length > values_cap) {
            double *p = realloc(values, (size_t)a->length * sizeof *p);
            if (!p) {
                rc = omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory", ibd_path);
                break;
            }
            values = p;
            values_cap = (size_t)a->length;
        }
        rc = imzml_read_array(fd, ibd_path, a, values, &scratch, &scratch_size, NULL, err); /* the checksum follows the spectra */
        if (!rc)
            rc = fn(ctx, values, a->length, s, err);
    }
    free(values);
    free(scratch);
    return rc;
}

typedef struct union_ctx {
    sorted_union u;
    const char *path;
    imzml_index *ix;
    size_t last_growth;   /* the last spectrum that added values to the set */
} union_ctx;

static int add_to_union(void *ctx, const double *values, uint64_t n, size_t spectrum, omsi_error *err)
{
    union_ctx *c = ctx;
    if (sorted_union_add_repeat(&c->u, values, (size_t)n)) {
        c->ix->spectra[spectrum].mz_is_axis = true; /* so far: see mark_axis_arrays */
        return 0;
    }
    for (uint64_t k = 0; k < n; k++)
        if (!isfinite(values[k]))
            return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: m/z value %g in spectrum %zu", c->path, values[k], spectrum);
    if (sorted_union_add(&c->u, values, (size_t)n))
        c->last_growth = spectrum;
    return 0;
}

/* The set only grows: an array equal to it when added is the final axis
 * unless a later array added values (the first one always does). Spectra
 * that each_mz_array skipped repeat the array before them. */
static void mark_axis_arrays(union_ctx *c)
{
    imzml_index *ix = c->ix;
    for (size_t s = 0; s <= c->last_growth && s < ix->count; s++)
        ix->spectra[s].mz_is_axis = false;
    for (size_t s = 1; s < ix->count; s++) {
        const imzml_array *a = &ix->spectra[s].mz, *before = &ix->spectra[s - 1].mz;
        if (a->offset == before->offset && a->length == before->length)
            ix->spectra[s].mz_is_axis = ix->spectra[s - 1].mz_is_axis;
    }
}

int imzml_axis_union(imzml_index *ix, int fd, const char *ibd_path, uint64_t max_points,
                     double **axis_out, uint64_t *n_out, uint64_t *unsorted, omsi_error *err)
{
    union_ctx c = {.path = ibd_path, .ix = ix}; /* the index comes unmarked (imzml_index.c) */
    sorted_union_init(&c.u, max_points);
    int rc = each_mz_array(ix, fd, ibd_path, add_to_union, &c, err);
    if (!rc && !sorted_union_finish(&c.u))
        rc = c.u.failed ? omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory for the m/z axis", ibd_path)
                        : omsi_error_set(err, OMSI_ERR_UNSUPPORTED,
                                         "%s: the exact m/z axis has more than %llu distinct values; convert with a "
                                         "ppm axis (--axis ppm:N) or raise the limit (--max-axis)",
                                         ibd_path, (unsigned long long)max_points);
    if (!rc) {
        mark_axis_arrays(&c);
        *axis_out = c.u.values;
        *n_out = c.u.count;
        *unsorted = c.u.unsorted;
        c.u.values = NULL;
    }
    sorted_union_free(&c.u);
    return rc;
}

typedef struct range_ctx {
    double lo, hi;
} range_ctx;

static int widen_range(void *ctx, const double *values, uint64_t n, size_t spectrum, omsi_error *err)
{
    (void)spectrum, (void)err;
    range_ctx *c = ctx;
    for (uint64_t k = 0; k < n; k++) {
        c->lo = values[k] < c->lo ? values[k] : c->lo;
        c->hi = values[k] > c->hi ? values[k] : c->hi;
    }
    return 0;
}

int imzml_axis_ppm(const imzml_index *ix, int fd, const char *ibd_path, double ppm, uint64_t max_points,
                   imzml_ppm_axis *out, double **axis_out, uint64_t *n_out, omsi_error *err)
{
    range_ctx range = {INFINITY, -INFINITY};
    int rc = each_mz_array(ix, fd, ibd_path, widen_range, &range, err);
    if (rc)
        return rc;
    double lo = range.lo, hi = range.hi;
    if (!(lo > 0) || !isfinite(hi) || hi < lo)
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: m/z range %g..%g cannot be binned in ppm", ibd_path, lo, hi);
    double step = log1p(ppm * 1e-6);
    double bins = floor(log(hi / lo) / step) + 1;
    if (max_points && bins > (double)max_points)
        return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: %g ppm bins over m/z %g..%g are %.0f values, more than %llu",
                              ibd_path, ppm, lo, hi, bins, (unsigned long long)max_points);
    uint64_t n = (uint64_t)bins;
    double *axis = malloc((size_t)n * sizeof *axis);
    if (!axis)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    for (uint64_t k = 0; k < n; k++)
        axis[k] = lo * exp((double)k * step); /* lower edge of bin k */
    out->lo = lo;
    out->log_step = step;
    out->n = n;
    out->edges = axis;
    *axis_out = axis;
    *n_out = n;
    return 0;
}

uint64_t imzml_ppm_bin(const imzml_ppm_axis *a, double mz)
{
    return ppm_axis_bin(a->edges, a->n, a->lo, a->log_step, mz);
}
