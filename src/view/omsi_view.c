#include "view/omsi_view.h"
#include "writer/omsi_h5.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The 'format' text dataset must say full_cube. */
static bool read_small_text(hid_t loc, const char *path, char *out, size_t size);

static int read_format(omsi_view *v, omsi_error *err)
{
    char text[64];
    if (!read_small_text(v->group, "format", text, sizeof text))
        return omsi_error_set(err, OMSI_ERR_FORMAT,
                              "%s: %s has no 'format' string (not an OpenMSI dataset)", v->file_path,
                              v->group_path);
    if (strcmp(text, "full_cube") != 0)
        return omsi_error_set(err, OMSI_ERR_UNSUPPORTED, "%s: %s is a '%s' dataset; only full_cube is read",
                              v->file_path, v->group_path, text);
    return 0;
}

static int read_axis(omsi_view *v, omsi_error *err)
{
    hid_t ds = H5Dopen2(v->group, "mz", H5P_DEFAULT), space = -1;
    int rc = 0;
    hsize_t n = 0;
    if (ds < 0)
        return omsi_h5_fail(err, "%s: %s has no m/z axis", v->file_path, v->group_path);
    space = H5Dget_space(ds);
    if (space < 0 || H5Sget_simple_extent_ndims(space) != 1 ||
        H5Sget_simple_extent_dims(space, &n, NULL) < 0 || n != v->shape[2]) {
        rc = omsi_error_set(err, OMSI_ERR_FORMAT, "%s: %s/mz has %llu values for %llu bins",
                            v->file_path, v->group_path, (unsigned long long)n,
                            (unsigned long long)v->shape[2]);
    } else if (!(v->mz = malloc((n ? n : 1) * sizeof *v->mz))) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "%s: no memory for an m/z axis of %llu values",
                            v->file_path, (unsigned long long)n);
    } else if (H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v->mz) < 0) {
        rc = omsi_h5_fail(err, "%s: reading %s/mz", v->file_path, v->group_path);
    }
    if (space >= 0)
        H5Sclose(space);
    H5Dclose(ds);
    return rc;
}

/* data_0, data_1, ...: 3-D cubes of one shape; chunk shapes remembered. */
static int open_copies(omsi_view *v, omsi_error *err)
{
    for (unsigned k = 0; k < OMSI_VIEW_MAX_COPIES; k++) {
        omsi_view_copy *c = &v->copies[k];
        snprintf(c->name, sizeof c->name, "data_%u", k);
        htri_t exists = H5Lexists(v->group, c->name, H5P_DEFAULT);
        if (exists <= 0)
            break;
        if ((c->dataset = H5Dopen2(v->group, c->name, H5P_DEFAULT)) < 0)
            return omsi_h5_fail(err, "%s: opening %s/%s", v->file_path, v->group_path, c->name);
        v->n_copies++;
        hid_t space = H5Dget_space(c->dataset), dcpl = H5Dget_create_plist(c->dataset);
        hsize_t dims[3] = {0}, chunk[3] = {0};
        int ndims = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
        if (ndims == 3)
            H5Sget_simple_extent_dims(space, dims, NULL);
        bool chunked = dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED &&
                       H5Pget_chunk(dcpl, 3, chunk) == 3;
        if (space >= 0)
            H5Sclose(space);
        if (dcpl >= 0)
            H5Pclose(dcpl);
        if (ndims != 3)
            return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: %s/%s is not a 3-D cube", v->file_path,
                                  v->group_path, c->name);
        if (k == 0)
            memcpy(v->shape, (uint64_t[3]){dims[0], dims[1], dims[2]}, sizeof v->shape);
        else if (dims[0] != v->shape[0] || dims[1] != v->shape[1] || dims[2] != v->shape[2])
            return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: %s/%s has another shape than data_0",
                                  v->file_path, v->group_path, c->name);
        for (int i = 0; i < 3; i++)
            c->chunk[i] = chunked ? chunk[i] : dims[i];
    }
    if (v->n_copies == 0)
        return omsi_error_set(err, OMSI_ERR_FORMAT, "%s: %s has no data_0 cube", v->file_path,
                              v->group_path);
    return 0;
}

/* The text of a (1,) or scalar string dataset, variable-length (as BASTet
 * and we write them) or fixed-length, ASCII or UTF-8; false if absent or
 * not one string. */
static bool read_small_text(hid_t loc, const char *path, char *out, size_t size)
{
    out[0] = '\0';
    if (H5Lexists(loc, path, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
    }
    hid_t ds = H5Dopen2(loc, path, H5P_DEFAULT), file_type = ds >= 0 ? H5Dget_type(ds) : -1, type = -1,
          space = ds >= 0 ? H5Dget_space(ds) : -1;
    bool ok = false;
    bool is_string = file_type >= 0 && H5Tget_class(file_type) == H5T_STRING;
    htri_t variable = is_string ? H5Tis_variable_str(file_type) : -1;
    size_t fixed = is_string && variable == 0 ? H5Tget_size(file_type) : 0;
    char *value = NULL, *buf = fixed ? calloc(1, fixed + 1) : NULL;
    if (variable >= 0 && space >= 0 && H5Sget_simple_extent_npoints(space) == 1 && (variable || buf) &&
        (type = H5Tcopy(H5T_C_S1)) >= 0 && H5Tset_size(type, variable ? H5T_VARIABLE : fixed) >= 0 &&
        H5Tset_cset(type, H5Tget_cset(file_type)) >= 0 &&
        H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, variable ? (void *)&value : buf) >= 0 &&
        (!variable || value)) {
        snprintf(out, size, "%s", variable ? value : buf);
        ok = true;
    }
    if (value)
        H5free_memory(value);
    free(buf);
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    if (file_type >= 0)
        H5Tclose(file_type);
    if (ds >= 0)
        H5Dclose(ds);
    H5Eclear2(H5E_DEFAULT);
    return ok;
}

/* The analysis of this experiment whose type is omsi_catalog_summary and
 * whose msidata parameter is this dataset (other tools' analyses are
 * skipped: spec 10 says readers must tolerate them). */
static void find_summary(omsi_view *v)
{
    const char *slash = strrchr(v->group_path, '/');
    if (!slash || slash == v->group_path)
        return;
    char entry[64], path[128], text[128];
    snprintf(entry, sizeof entry, "%.*s", (int)(slash - v->group_path), v->group_path);
    for (unsigned k = 0; k < 256; k++) {
        snprintf(path, sizeof path, "%s/analysis_%u", entry, k);
        if (H5Lexists(v->file, path, H5P_DEFAULT) <= 0) {
            H5Eclear2(H5E_DEFAULT);
            break;
        }
        char type_path[192], param_path[192];
        snprintf(type_path, sizeof type_path, "%s/analysis_type", path);
        snprintf(param_path, sizeof param_path, "%s/parameter/msidata", path);
        if (read_small_text(v->file, type_path, text, sizeof text) &&
            strcmp(text, "omsi_catalog_summary") == 0 &&
            read_small_text(v->file, param_path, text, sizeof text) && strcmp(text, v->group_path) == 0) {
            snprintf(v->summary_path, sizeof v->summary_path, "%s", path);
            return;
        }
    }
}

int omsi_view_read_summary(const omsi_view *v, const char *name, double *out, uint64_t n,
                           omsi_error *err)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", v->summary_path, name);
    hid_t ds = v->summary_path[0] ? H5Dopen2(v->file, path, H5P_DEFAULT) : -1;
    if (ds < 0)
        return omsi_h5_fail(err, "%s: no %s", v->file_path, path);
    hid_t space = H5Dget_space(ds);
    int rc = 0;
    if (space < 0 || H5Sget_simple_extent_npoints(space) != (hssize_t)n)
        rc = omsi_error_set(err, OMSI_ERR_FORMAT, "%s: %s does not hold %llu values", v->file_path, path,
                            (unsigned long long)n);
    else if (H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
        rc = omsi_h5_fail(err, "%s: reading %s", v->file_path, path);
    if (space >= 0)
        H5Sclose(space);
    H5Dclose(ds);
    return rc;
}

int omsi_view_open(const char *file_path, const char *group_path, omsi_view *out, omsi_error *err)
{
    memset(out, 0, sizeof *out);
    out->file = out->group = -1;
    omsi_h5_quiet();
    int rc = 0;
    out->file_path = strdup(file_path);
    out->group_path = strdup(group_path);
    if (!out->file_path || !out->group_path) {
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory", file_path);
        goto done;
    }
    if ((out->file = H5Fopen(file_path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) {
        rc = omsi_h5_fail(err, "%s: cannot open as HDF5", file_path);
        goto done;
    }
    if ((out->group = H5Gopen2(out->file, group_path, H5P_DEFAULT)) < 0) {
        rc = omsi_h5_fail(err, "%s: no group %s", file_path, group_path);
        goto done;
    }
    if ((rc = read_format(out, err)) || (rc = open_copies(out, err)) || (rc = read_axis(out, err)))
        goto done;
    find_summary(out);
done:
    if (rc)
        omsi_view_close(out);
    return rc;
}

void omsi_view_close(omsi_view *v)
{
    for (unsigned k = 0; k < v->n_copies; k++)
        H5Dclose(v->copies[k].dataset);
    if (v->group >= 0)
        H5Gclose(v->group);
    if (v->file >= 0)
        H5Fclose(v->file);
    free(v->mz);
    free(v->file_path);
    free(v->group_path);
    memset(v, 0, sizeof *v);
    v->file = v->group = -1;
}

unsigned omsi_view_pick_copy(const omsi_view *v, const uint64_t start[3], const uint64_t count[3])
{
    unsigned best = 0;
    double best_cost = 0;
    for (unsigned k = 0; k < v->n_copies; k++) {
        double cost = 1;
        for (int i = 0; i < 3; i++) {
            uint64_t c = v->copies[k].chunk[i] ? v->copies[k].chunk[i] : 1;
            uint64_t first = start[i] / c, last = (start[i] + (count[i] ? count[i] : 1) - 1) / c;
            cost *= (double)(last - first + 1) * (double)c;
        }
        if (k == 0 || cost < best_cost) {
            best = k;
            best_cost = cost;
        }
    }
    return best;
}

int omsi_view_read(const omsi_view *v, const uint64_t start[3], const uint64_t count[3], double *out,
                   const char **copy_used, omsi_error *err)
{
    for (int i = 0; i < 3; i++)
        if (count[i] == 0 || start[i] > v->shape[i] || count[i] > v->shape[i] - start[i])
            return omsi_error_set(err, OMSI_ERR_INTERNAL, "%s: block outside %s", v->file_path,
                                  v->group_path);
    const omsi_view_copy *c = &v->copies[omsi_view_pick_copy(v, start, count)];
    if (copy_used)
        *copy_used = c->name;
    hsize_t hstart[3] = {start[0], start[1], start[2]}, hcount[3] = {count[0], count[1], count[2]};
    hid_t file_space = H5Dget_space(c->dataset), mem_space = H5Screate_simple(3, hcount, NULL);
    int rc = 0;
    if (file_space < 0 || mem_space < 0 ||
        H5Sselect_hyperslab(file_space, H5S_SELECT_SET, hstart, NULL, hcount, NULL) < 0 ||
        H5Dread(c->dataset, H5T_NATIVE_DOUBLE, mem_space, file_space, H5P_DEFAULT, out) < 0)
        rc = omsi_h5_fail(err, "%s: reading %s/%s", v->file_path, v->group_path, c->name);
    if (mem_space >= 0)
        H5Sclose(mem_space);
    if (file_space >= 0)
        H5Sclose(file_space);
    return rc;
}

int omsi_view_mz_window(const omsi_view *v, double lo, double hi, uint64_t *z0, uint64_t *z1,
                        omsi_error *err)
{
    uint64_t n = v->shape[2], a = 0, b;
    /* The axis is ascending (the writer's invariant); binary search both ends. */
    uint64_t l = 0, r = n;
    while (l < r) {
        uint64_t m = l + (r - l) / 2;
        if (v->mz[m] < lo)
            l = m + 1;
        else
            r = m;
    }
    a = l;
    for (l = a, r = n; l < r;) {
        uint64_t m = l + (r - l) / 2;
        if (v->mz[m] <= hi)
            l = m + 1;
        else
            r = m;
    }
    b = l;
    if (a >= b) {
        if (n == 0)
            return omsi_error_set(err, OMSI_ERR_USAGE, "%s: %s has no m/z bins", v->file_path,
                                  v->group_path);
        return omsi_error_set(err, OMSI_ERR_USAGE,
                              "%s: no m/z bin of %s lies in %.6g..%.6g (its axis covers %.6g..%.6g "
                              "in %llu bins)",
                              v->file_path, v->group_path, lo, hi, v->mz[0], v->mz[n - 1],
                              (unsigned long long)n);
    }
    *z0 = a;
    *z1 = b;
    return 0;
}
