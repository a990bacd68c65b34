#include "writer/omsi_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int omsi_file_create(const char *path, hid_t *out, omsi_error *err)
{
    /* Library defaults: superblock 0, earliest format (spec 2.1). */
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        return omsi_h5_fail(err, "%s: cannot create HDF5 file", path);
    hid_t root = H5Gopen2(f, "/", H5P_DEFAULT);
    int rc = root < 0 ? omsi_h5_fail(err, "%s: root group", path) : 0;
    if (!rc)
        rc = omsi_h5_managed_attrs(root, "omsi_file", "0.1", err);
    rc = omsi_h5_close(&root, rc, err);
    if (rc) {
        omsi_file_close(&f, path, rc, err);
        return rc;
    }
    *out = f;
    return 0;
}

/* The file is being given up (and removed by the caller): what HDF5 still
 * has to write when it closes goes to /dev/null instead, so that the close
 * succeeds even on a full disk and frees everything. A failed H5Fclose in
 * HDF5 1.10 leaves a dangling id behind (the crash at exit of the ENOSPC
 * audit). Only for the sec2 driver, whose handle is the file descriptor. */
static void discard_writes(hid_t file)
{
    hid_t fapl = H5Fget_access_plist(file);
    bool sec2 = fapl >= 0 && H5Pget_driver(fapl) == H5FD_SEC2;
    if (fapl >= 0)
        H5Pclose(fapl);
    void *handle = NULL;
    if (!sec2 || H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) < 0 || !handle) {
        H5Eclear2(H5E_DEFAULT);
        return;
    }
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0)
        return;
    if (dup3(null, *(int *)handle, O_CLOEXEC) < 0) {
        /* the close below may fail then; the exit handler is off (omsi_h5_quiet) */
    }
    close(null);
}

int omsi_file_close(hid_t *file, const char *path, int rc, omsi_error *err)
{
    if (*file < 0)
        return rc;
    /* A flush reports a write error with the file still open and intact;
     * the close after it has (almost) nothing left to write. */
    if (rc == 0 && H5Fflush(*file, H5F_SCOPE_GLOBAL) < 0)
        rc = omsi_h5_fail(err, "%s: writing", path);
    if (rc)
        discard_writes(*file);
    int had = rc;
    rc = omsi_h5_close(file, rc, err);
    if (rc && !had)
        omsi_error_prefix(err, "%s", path);
    return rc;
}

static int describe(hid_t obj, const char *description, omsi_error *err)
{
    return omsi_h5_attr_string(obj, "description", description, err);
}

int omsi_file_create_experiment(hid_t file, size_t index, const char *identifier,
                                const double *mz, uint64_t nz, omsi_dtype mz_type, hid_t *out,
                                omsi_error *err)
{
    char name[32];
    snprintf(name, sizeof name, "entry_%zu", index);
    hid_t exp = -1, instrument = -1, methods = -1, axis = -1;
    int rc = omsi_h5_managed_group(file, name, "omsi_file_experiment", "0.1", &exp, err);
    if (!rc)
        rc = omsi_h5_text_dataset(exp, "experiment_identifier", identifier, NULL, err);
    if (!rc)
        rc = omsi_h5_managed_group(exp, "instrument", "omsi_file_instrument", "0.2", &instrument, err);
    if (!rc)
        rc = omsi_h5_axis(instrument, "mz", mz, nz, mz_type, &axis, err);
    if (!rc)
        rc = describe(axis, "The global m/z axis for the recordings", err);
    if (!rc)
        rc = omsi_h5_managed_group(exp, "methods", "omsi_file_methods", "0.3", &methods, err);
    rc = omsi_h5_close(&axis, rc, err);
    rc = omsi_h5_close(&instrument, rc, err);
    rc = omsi_h5_close(&methods, rc, err);
    if (rc) {
        omsi_h5_close(&exp, rc, err);
        omsi_error_prefix(err, "/%s", name);
        return rc;
    }
    *out = exp;
    return 0;
}

static hid_t cube_dataset(hid_t group, const char *name, const omsi_msidata_spec *spec,
                          bool chunked, const uint64_t chunk[3], omsi_error *err)
{
    hsize_t dims[3] = {spec->shape[0], spec->shape[1], spec->shape[2]};
    hid_t space = H5Screate_simple(3, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t ds = -1;
    if (space < 0 || dcpl < 0)
        goto done;
    /* Fill value 0, allocated on write like h5py (spec 2.5). */
    if (H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC) < 0)
        goto done;
    if (chunked) {
        hsize_t c[3] = {chunk[0], chunk[1], chunk[2]};
        if (H5Pset_chunk(dcpl, 3, c) < 0)
            goto done;
        if (spec->compression_level >= 0 && H5Pset_deflate(dcpl, (unsigned)spec->compression_level) < 0)
            goto done;
    }
    ds = H5Dcreate2(group, name, omsi_h5_file_type(spec->dtype), space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
done:
    if (ds < 0)
        omsi_h5_fail(err, "intensity dataset %s (%llu x %llu x %llu)", name,
                     (unsigned long long)dims[0], (unsigned long long)dims[1],
                     (unsigned long long)dims[2]);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    return ds;
}

int omsi_file_close_msidata(omsi_msidata *d, int rc, omsi_error *err)
{
    /* datasets first, their group last */
    hid_t *ids[] = {&d->cube, &d->copy, &d->dependency, &d->metadata, &d->group};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        rc = omsi_h5_close(ids[i], rc, err);
    return rc;
}

int omsi_file_create_msidata(hid_t experiment, size_t index, const omsi_msidata_spec *spec,
                             omsi_msidata *out, omsi_error *err)
{
    omsi_msidata d = {-1, -1, -1, -1, -1};
    char name[32];
    snprintf(name, sizeof name, "data_%zu", index);
    int rc = omsi_h5_managed_group(experiment, name, "omsi_file_msidata", "0.1", &d.group, err);
    if (!rc)
        rc = omsi_h5_text_dataset(d.group, "format", "full_cube", NULL, err);
    if (!rc)
        rc = omsi_h5_axis(d.group, "mz", spec->mz, spec->shape[2], spec->mz_type, NULL, err);
    if (!rc && (d.cube = cube_dataset(d.group, "data_0", spec, spec->chunked, spec->chunk, err)) < 0)
        rc = err->status;
    if (!rc && spec->image_copy &&
        (d.copy = cube_dataset(d.group, "data_1", spec, true, spec->image_chunk, err)) < 0)
        rc = err->status;
    if (!rc)
        rc = omsi_h5_managed_group(d.group, "dependency", "omsi_file_dependencies", "0.1",
                                   &d.dependency, err);
    if (!rc)
        rc = omsi_h5_managed_group(d.group, "metadata", "omsi_file_metadata_collection", "0.1",
                                   &d.metadata, err);
    if (rc) {
        omsi_file_close_msidata(&d, rc, err);
        omsi_error_prefix(err, "%s", name);
        return rc;
    }
    *out = d;
    return 0;
}

/* Writes one entry under a name not yet used in group. */
static int write_entry(hid_t group, const omsi_meta_entry *e, omsi_error *err)
{
    char base[256], name[280];
    omsi_h5_safe_name(e->key, base, sizeof base);
    snprintf(name, sizeof name, "%s", base);
    for (int i = 1; H5Lexists(group, name, H5P_DEFAULT) > 0; i++)
        snprintf(name, sizeof name, "%s_%d", base, i);
    hid_t ds = -1, space = -1;
    int rc = 0;
    switch (e->kind) {
    case OMSI_META_TEXT:
        rc = omsi_h5_text_dataset(group, name, e->text, &ds, err);
        break;
    case OMSI_META_JSON:
        rc = omsi_h5_scalar_string(group, name, e->text, &ds, err);
        if (!rc)
            rc = omsi_h5_attr_isjson(ds, err);
        break;
    case OMSI_META_INT:
    case OMSI_META_FLOAT: {
        bool is_int = e->kind == OMSI_META_INT;
        space = H5Screate(H5S_SCALAR);
        ds = H5Dcreate2(group, name, is_int ? H5T_STD_I64LE : H5T_IEEE_F64LE, space, H5P_DEFAULT,
                        H5P_DEFAULT, H5P_DEFAULT);
        if (ds < 0 || H5Dwrite(ds, is_int ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                               H5P_DEFAULT, is_int ? (const void *)&e->i : (const void *)&e->f) < 0)
            rc = omsi_h5_fail(err, "metadata %s", name);
        break;
    }
    }
    if (!rc)
        rc = describe(ds, e->description ? e->description : e->key, err);
    if (!rc && e->unit)
        rc = omsi_h5_attr_string(ds, "unit", e->unit, err);
    if (!rc && e->accession) {
        char ontology[320];
        snprintf(ontology, sizeof ontology, "{\"accession\": \"%s\"}", e->accession);
        rc = omsi_h5_attr_string(ds, "ontology", ontology, err);
    }
    rc = omsi_h5_close(&ds, rc, err);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

int omsi_file_write_metadata(hid_t group, const omsi_metadata *md, omsi_meta_collection coll,
                             omsi_error *err)
{
    for (size_t i = 0; md && i < md->count; i++) {
        if (md->items[i].collection != coll)
            continue;
        int rc = write_entry(group, &md->items[i], err);
        if (rc)
            return rc;
    }
    return 0;
}

int omsi_file_write_optional_collection(hid_t msidata_group, const omsi_metadata *md,
                                        omsi_meta_collection coll, omsi_error *err)
{
    bool any = false;
    for (size_t i = 0; md && i < md->count && !any; i++)
        any = md->items[i].collection == coll;
    if (!any)
        return 0;
    bool instrument = coll == OMSI_COLL_INSTRUMENT;
    hid_t g = -1;
    int rc = omsi_h5_managed_group(msidata_group, instrument ? "instrument" : "methods",
                                   instrument ? "omsi_file_instrument" : "omsi_file_methods",
                                   instrument ? "0.2" : "0.3", &g, err);
    if (!rc)
        rc = omsi_file_write_metadata(g, md, coll, err);
    return omsi_h5_close(&g, rc, err);
}

int omsi_file_add_dependency(hid_t dependency_group, const char *link_name,
                             const char *main_name, const char *type, const char *help,
                             omsi_error *err)
{
    return omsi_file_add_parameter_dependency(dependency_group, link_name, "", main_name, type, help,
                                              err);
}

int omsi_file_add_parameter_dependency(hid_t dependency_group, const char *link_name,
                                       const char *parameter_name, const char *main_name,
                                       const char *type, const char *help, omsi_error *err)
{
    char name[256];
    omsi_h5_safe_name(link_name, name, sizeof name);
    hid_t g = -1, parameter = -1;
    int rc = omsi_h5_managed_group(dependency_group, name, "omsi_file_dependencydata", "0.3", &g, err);
    if (!rc)
        rc = omsi_h5_text_dataset(g, "main_name", main_name, NULL, err);
    if (!rc)
        rc = omsi_h5_text_dataset(g, "parameter_name", parameter_name, &parameter, err);
    /* help goes on parameter_name, where BASTet writes it (spec 9). */
    if (!rc)
        rc = omsi_h5_attr_string(parameter, "help", help ? help : "", err);
    if (!rc)
        rc = omsi_h5_text_dataset(g, "selection", "", NULL, err);
    if (!rc)
        rc = omsi_h5_text_dataset(g, "data_name", "", NULL, err);
    if (!rc && type && type[0])
        rc = omsi_h5_text_dataset(g, "dependency_type", type, NULL, err);
    rc = omsi_h5_close(&parameter, rc, err);
    rc = omsi_h5_close(&g, rc, err);
    if (rc)
        omsi_error_prefix(err, "dependency %s", name);
    return rc;
}
