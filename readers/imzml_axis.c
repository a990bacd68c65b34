/* The common m/z axis of a processed imzML file (spec 2.8): the exact union
 * of every spectrum's values (default, lossless) or a geometric axis at a
 * ppm spacing. Streams: one m/z array in memory plus a bounded batch. */
#include "imzml_axis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { BATCH_VALUES = 1 << 21 };

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts and de-duplicates v in place; returns the new length. */
static size_t sort_unique(double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, compare_doubles);
    size_t out = 1;
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[out - 1])
            v[out++] = v[i];
    return out;
}

/* axis = union(axis, batch), both sorted and unique. */
static int merge(double **axis, size_t *n_axis, const double *batch, size_t n_batch, uint64_t max,
                 const char *path, omsi_error *err)
{
    double *out = malloc((*n_axis + n_batch) * sizeof *out);
    if (!out)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory for the m/z axis", path);
    size_t i = 0, j = 0, k = 0;
    while (i < *n_axis || j < n_batch) {
        double v;
        if (j == n_batch || (i < *n_axis && (*axis)[i] < batch[j]))
            v = (*axis)[i++];
        else if (i == *n_axis || batch[j] < (*axis)[i])
            v = batch[j++];
        else {
            v = (*axis)[i++];
            j++;
        }
        out[k++] = v;
    }
    free(*axis);
    *axis = out;
    *n_axis = k;
    if (max && k > max)
        return omsi_error_set(err, OMSI_ERR_UNSUPPORTED,
                              "%s: the exact m/z axis has more than %llu distinct values; convert with a ppm "
                              "axis (--axis ppm:N) or raise the limit (--max-axis)",
                              path, (unsigned long long)max);
    return 0;
}

int imzml_axis_union(const imzml_index *ix, int fd, const char *ibd_path, uint64_t max_points,
                     double **axis_out, uint64_t *n_out, omsi_error *err)
{
    double *axis = NULL, *batch = malloc(BATCH_VALUES * sizeof *batch), *values = NULL;
    size_t n_axis = 0, n_batch = 0, values_cap = 0, scratch_size = 0;
    unsigned char *scratch = NULL;
    int rc = batch ? 0 : omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    for (size_t s = 0; s < ix->count && !rc; s++) {
        const imzml_array *a = &ix->spectra[s].mz;
        if (s > 0 && a->offset == ix->spectra[s - 1].mz.offset && a->length == ix->spectra[s - 1].mz.length)
            continue; /* the same array again */
        if (a->length > values_cap) {
            double *p = realloc(values, (size_t)a->length * sizeof *p);
            if (!p) {
                rc = omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory", ibd_path);
                break;
            }
            values = p;
            values_cap = (size_t)a->length;
        }
        rc = imzml_read_array(fd, ibd_path, a, values, &scratch, &scratch_size, err);
        for (uint64_t k = 0; !rc && k < a->length; k++) {
            if (!isfinite(values[k])) {
                rc = omsi_error_set(err, OMSI_ERR_FORMAT, "%s: m/z value %g in spectrum %zu", ibd_path,
                                    values[k], s);
                break;
            }
            batch[n_batch++] = values[k];
            if (n_batch == BATCH_VALUES) {
                n_batch = sort_unique(batch, n_batch);
                rc = merge(&axis, &n_axis, batch, n_batch, max_points, ibd_path, err);
                n_batch = 0;
            }
        }
    }
    if (!rc && n_batch) {
        n_batch = sort_unique(batch, n_batch);
        rc = merge(&axis, &n_axis, batch, n_batch, max_points, ibd_path, err);
    }
    free(batch);
    free(values);
    free(scratch);
    if (rc) {
        free(axis);
        return rc;
    }
    *axis_out = axis;
    *n_out = n_axis;
    return 0;
}

int imzml_axis_ppm(const imzml_index *ix, int fd, const char *ibd_path, double ppm, uint64_t max_points,
                   imzml_ppm_axis *out, double **axis_out, uint64_t *n_out, omsi_error *err)
{
    double lo = INFINITY, hi = -INFINITY, *values = NULL;
    size_t values_cap = 0, scratch_size = 0;
    unsigned char *scratch = NULL;
    int rc = 0;
    for (size_t s = 0; s < ix->count && !rc; s++) {
        const imzml_array *a = &ix->spectra[s].mz;
        if (s > 0 && a->offset == ix->spectra[s - 1].mz.offset)
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
        rc = imzml_read_array(fd, ibd_path, a, values, &scratch, &scratch_size, err);
        for (uint64_t k = 0; !rc && k < a->length; k++) {
            if (values[k] < lo)
                lo = values[k];
            if (values[k] > hi)
                hi = values[k];
        }
    }
    free(values);
    free(scratch);
    if (rc)
        return rc;
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
    *axis_out = axis;
    *n_out = n;
    return 0;
}

uint64_t imzml_ppm_bin(const imzml_ppm_axis *a, double mz)
{
    double k = floor(log(mz / a->lo) / a->log_step);
    if (!(k >= 0))
        return 0;
    return k >= (double)a->n ? a->n - 1 : (uint64_t)k;
}
