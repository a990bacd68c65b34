#include "writer/omsi_analysis.h"
#include "writer/omsi_file.h"
#include "writer/omsi_h5.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A contiguous float64 (or int64) dataset of rank 1 or 2. */
static int numbers(hid_t parent, const char *name, int rank, const hsize_t *dims, hid_t file_type,
                   hid_t mem_type, const void *values, omsi_error *err)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t ds = space < 0 ? -1 : H5Dcreate2(parent, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    int rc = 0;
    if (ds < 0 || (n && H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) < 0))
        rc = omsi_h5_fail(err, "analysis dataset %s", name);
    if (ds >= 0)
        H5Dclose(ds);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

static int parameter(hid_t group, const char *name, const char *value, const char *help,
                     omsi_error *err)
{
    hid_t ds = -1;
    int rc = omsi_h5_text_dataset(group, name, value, &ds, err);
    if (!rc)
        rc = omsi_h5_attr_string(ds, "help", help, err);
    if (ds >= 0)
        H5Dclose(ds);
    return rc;
}

int omsi_file_write_summary(hid_t experiment, size_t analysis_index, const char *data_path,
                            const omsi_summary *s, const omsi_peak *peaks, size_t n_peaks,
                            size_t max_peaks, omsi_error *err)
{
    char name[32], identifier[300], text[64];
    snprintf(name, sizeof name, "analysis_%zu", analysis_index);
    const char *base = strrchr(data_path, '/');
    snprintf(identifier, sizeof identifier, "summary of %s", base ? base + 1 : data_path);
    hid_t g = -1, params = -1, runinfo = -1, dep = -1;
    double *mean = malloc((s->nz ? s->nz : 1) * sizeof *mean);
    double *columns = malloc((n_peaks ? n_peaks : 1) * 3 * sizeof *columns);
    int64_t *bins = malloc((n_peaks ? n_peaks : 1) * sizeof *bins);
    int rc = 0;
    if (!mean || !columns || !bins) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "no memory for the summaries");
        goto done;
    }
    for (uint64_t k = 0; k < s->nz; k++)
        mean[k] = s->spectra ? s->sum[k] / (double)s->spectra : 0;
    for (size_t i = 0; i < n_peaks; i++) {
        columns[i] = peaks[i].mz;
        columns[n_peaks + i] = peaks[i].intensity;
        columns[2 * n_peaks + i] = peaks[i].coverage;
        bins[i] = (int64_t)peaks[i].bin;
    }
    hsize_t image[2] = {s->nx, s->ny}, spectrum = s->nz, n = n_peaks;
    if ((rc = omsi_h5_managed_group(experiment, name, "omsi_file_analysis", "0.2", &g, err)) ||
        (rc = omsi_h5_text_dataset(g, "analysis_identifier", identifier, NULL, err)) ||
        (rc = omsi_h5_text_dataset(g, "analysis_type", "omsi_catalog_summary", NULL, err)) ||
        (rc = numbers(g, "tic_image", 2, image, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, s->tic, err)) ||
        (rc = numbers(g, "base_peak_image", 2, image, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, s->base_peak, err)) ||
        (rc = numbers(g, "mean_spectrum", 1, &spectrum, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, mean, err)) ||
        (rc = numbers(g, "max_spectrum", 1, &spectrum, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                      s->spectra ? s->max : mean /* zeros, not -inf, without spectra */, err)) ||
        (rc = numbers(g, "peak_mz", 1, &n, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, columns, err)) ||
        (rc = numbers(g, "peak_intensity", 1, &n, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, columns + n_peaks, err)) ||
        (rc = numbers(g, "peak_coverage", 1, &n, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, columns + 2 * n_peaks, err)) ||
        (rc = numbers(g, "peak_bin", 1, &n, H5T_STD_I64LE, H5T_NATIVE_INT64, bins, err)))
        goto done;
    if ((params = H5Gcreate2(g, "parameter", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        (runinfo = H5Gcreate2(g, "runinfo", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0) {
        rc = omsi_h5_fail(err, "analysis groups");
        goto done;
    }
    snprintf(text, sizeof text, "%zu", max_peaks);
    if ((rc = parameter(params, "msidata", data_path, "the MSI dataset summarised", err)) ||
        (rc = parameter(params, "noise", "median + 3 * 1.4826 * MAD of 255 evenly spaced values",
                        "noise level of a spectrum (per pixel for coverage, of the mean spectrum for peaks)",
                        err)) ||
        (rc = parameter(params, "max_peaks", text, "strongest local maxima kept", err)) ||
        (rc = parameter(runinfo, "program", PACKAGE_STRING, "the program that computed the analysis", err)))
        goto done;
    snprintf(text, sizeof text, "%llu", (unsigned long long)s->spectra);
    if ((rc = parameter(runinfo, "spectra", text, "spectra summarised", err)) ||
        (rc = omsi_h5_managed_group(g, "dependency", "omsi_file_dependencies", "0.1", &dep, err)) ||
        (rc = omsi_file_add_parameter_dependency(dep, "msidata", "msidata", data_path, "parameter",
                                                 "the MSI dataset summarised", err)))
        goto done;
done:
    if (dep >= 0)
        H5Gclose(dep);
    if (runinfo >= 0)
        H5Gclose(runinfo);
    if (params >= 0)
        H5Gclose(params);
    if (g >= 0)
        H5Gclose(g);
    free(mean);
    free(columns);
    free(bins);
    if (rc)
        omsi_error_prefix(err, "%s", name);
    return rc;
}
