#include "catalog/locate.h"
#include "catalog/catalog_internal.h"

#include <stdlib.h>
#include <string.h>

int omsi_catalog_locate(omsi_catalog *cat, int64_t source_id, unsigned dataset_index,
                        omsi_dataset_location *out, omsi_error *err)
{
    memset(out, 0, sizeof *out);
    out->source_id = source_id;
    out->dataset_index = dataset_index;
    omsi_db_stmt *st = NULL;
    int rc = omsi_cat_prepare(cat,
                              "SELECT d.id, o.path, d.hdf5_path, d.name, d.nx, d.ny, d.nz, d.mz_min, "
                              "d.mz_max FROM datasets d JOIN experiments e ON e.id = d.experiment_id "
                              "JOIN output_files o ON o.id = e.output_id WHERE d.source_id = ? "
                              "ORDER BY d.id",
                              &st, err);
    if (rc)
        return rc;
    rc = omsi_cat_bind(cat, st, 1, err, "i", source_id);
    int step = OMSI_DB_DONE;
    unsigned index = 0;
    while (!rc && (step = omsi_db_step(st, err)) == OMSI_DB_ROW) {
        if (index++ != dataset_index)
            continue;
        out->dataset_id = omsi_db_column_int64(st, 0);
        out->output_path = omsi_cat_column_dup(st, 1);
        out->hdf5_path = omsi_cat_column_dup(st, 2);
        out->name = omsi_cat_column_dup(st, 3);
        out->nx = omsi_db_column_int64(st, 4);
        out->ny = omsi_db_column_int64(st, 5);
        out->nz = omsi_db_column_int64(st, 6);
        out->mz_min = omsi_db_column_double(st, 7);
        out->mz_max = omsi_db_column_double(st, 8);
    }
    out->dataset_count = index;
    if (rc)
        ;
    else if (step < 0)
        rc = omsi_cat_fail(cat, err, "locate dataset");
    else if (!out->output_path && index == 0)
        rc = omsi_error_set(err, OMSI_ERR_USAGE,
                            "%s: no source %lld with converted datasets (see `omsi-catalog query`)",
                            cat->name, (long long)source_id);
    else if (!out->output_path)
        rc = omsi_error_set(err, OMSI_ERR_USAGE,
                            "%s: source %lld has %u dataset%s (--dataset 0..%u), not %u", cat->name,
                            (long long)source_id, index, index == 1 ? "" : "s", index - 1,
                            dataset_index);
    else if (!out->hdf5_path || !out->name)
        rc = omsi_error_set(err, OMSI_ERR_NOMEM, "%s: out of memory", cat->name);
    omsi_db_finalize(st);
    if (rc)
        omsi_dataset_location_free(out);
    return rc;
}

void omsi_dataset_location_free(omsi_dataset_location *loc)
{
    free(loc->output_path);
    free(loc->hdf5_path);
    free(loc->name);
    loc->output_path = loc->hdf5_path = loc->name = NULL;
}
