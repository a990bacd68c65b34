#include "catalog/report.h"
#include "catalog/catalog_internal.h"

#include <string.h>

/* Runs sql with an optional int64 parameter (bound when the SQL has a
 * '?'); each row becomes an object keyed by column name, appended to a new
 * array in *out. types gives each column's JSON type, one letter a column:
 * 'i' integer, 'd' number, 't' string (the backends report types
 * differently; these are the schema's). NULL is null. */
static int rows_json(omsi_catalog *cat, const char *sql, const char *types, int64_t param,
                     json_object **out, omsi_error *err)
{
    omsi_db_stmt *st;
    int rc = omsi_cat_prepare(cat, sql, &st, err);
    if (rc)
        return rc;
    if (strchr(sql, '?'))
        rc = omsi_cat_bind(cat, st, 1, err, "i", param);
    if (rc) {
        omsi_db_finalize(st);
        return rc;
    }
    json_object *array = json_object_new_array();
    int step;
    int columns = (int)strlen(types);
    while ((step = omsi_db_step(st, err)) == OMSI_DB_ROW) {
        json_object *o = json_object_new_object();
        for (int c = 0; c < columns && c < omsi_db_column_count(st); c++) {
            json_object *v = NULL;
            if (!omsi_db_column_is_null(st, c)) {
                switch (types[c]) {
                case 'i': v = json_object_new_int64(omsi_db_column_int64(st, c)); break;
                case 'd': v = json_object_new_double(omsi_db_column_double(st, c)); break;
                default: v = json_object_new_string(omsi_db_column_text(st, c)); break;
                }
            }
            json_object_object_add(o, omsi_db_column_name(st, c), v);
        }
        json_object_array_add(array, o);
    }
    if (step < 0) {
        rc = omsi_cat_fail(cat, err, "report");
        json_object_put(array);
    } else {
        *out = array;
    }
    omsi_db_finalize(st);
    return rc;
}

static int attach(omsi_catalog *cat, json_object *parent, const char *key, const char *sql,
                  const char *types, int64_t param, omsi_error *err)
{
    json_object *rows;
    int rc = rows_json(cat, sql, types, param, &rows, err);
    if (!rc)
        json_object_object_add(parent, key, rows);
    return rc;
}

int omsi_catalog_show(omsi_catalog *cat, int64_t source_id, json_object **out, omsi_error *err)
{
    json_object *sources;
    int rc = rows_json(cat,
                       "SELECT id AS source_id, path, format, version, size_bytes, n_files, fingerprint, "
                       "first_seen, ingested_at, superseded_by, host FROM sources WHERE id = ?",
                       "ittiiitddit", source_id, &sources, err);
    if (rc)
        return rc;
    if (json_object_array_length(sources) == 0) {
        json_object_put(sources);
        return omsi_error_set(err, OMSI_ERR_USAGE, "no source with id %lld", (long long)source_id);
    }
    json_object *source = json_object_get(json_object_array_get_idx(sources, 0));
    json_object_put(sources);
    rc = attach(cat, source, "output_files",
                "SELECT path, bytes, sha256, created_at, seconds, host FROM output_files WHERE source_id = ?",
                "titddt", source_id, err);
    json_object *experiments = NULL;
    if (!rc)
        rc = rows_json(cat,
                       "SELECT id, entry_index, identifier FROM experiments WHERE source_id = ? "
                       "ORDER BY entry_index",
                       "iit", source_id, &experiments, err);
    for (size_t e = 0; !rc && e < json_object_array_length(experiments); e++) {
        json_object *x = json_object_array_get_idx(experiments, e);
        int64_t eid = json_object_get_int64(json_object_object_get(x, "id"));
        json_object *datasets;
        rc = rows_json(cat,
                       "SELECT id AS dataset_id, hdf5_path, name, source_dataset, source_region, nx, ny, nz, dtype, "
                       "mz_min, mz_max, spectra, total_intensity, analysis_path, n_peaks FROM datasets WHERE experiment_id = ? "
                       "ORDER BY id",
                       "ittiiiiitddidti", eid, &datasets, err);
        for (size_t i = 0; !rc && i < json_object_array_length(datasets); i++) {
            json_object *d = json_object_array_get_idx(datasets, i);
            int64_t did = json_object_get_int64(json_object_object_get(d, "dataset_id"));
            rc = attach(cat, d, "regions",
                        "SELECT region_index, name, x0, y0, nx, ny, spectra FROM regions WHERE dataset_id = ?",
                        "itiiiii", did, err);
            if (!rc)
                rc = attach(cat, d, "dependencies",
                            "SELECT p.link_name, p.type, t.hdf5_path AS target, p.help FROM dependencies p "
                            "JOIN datasets t ON t.id = p.to_dataset_id WHERE p.from_dataset_id = ? ORDER BY p.id",
                            "tttt", did, err);
            if (!rc)
                rc = attach(cat, d, "metadata",
                            "SELECT collection, key, value, unit, accession FROM metadata "
                            "WHERE dataset_id = ? ORDER BY id",
                            "ttttt", did, err);
            /* The summaries: the strongest peaks and the thumbnail's size
             * (`omsi-catalog thumbnail ID` writes it out). */
            if (!rc)
                rc = attach(cat, d, "strongest_peaks",
                            "SELECT mz, intensity, coverage FROM peaks WHERE dataset_id = ? "
                            "ORDER BY intensity DESC, id LIMIT 10",
                            "ddd", did, err);
            if (!rc)
                rc = attach(cat, d, "thumbnail",
                            omsi_cat_dialect(cat) == OMSI_DB_POSTGRESQL
                                ? "SELECT width, height, octet_length(png) AS bytes FROM thumbnails WHERE dataset_id = ?"
                                : "SELECT width, height, length(png) AS bytes FROM thumbnails WHERE dataset_id = ?",
                            "iii", did, err);
        }
        if (rc)
            json_object_put(datasets);
        else
            json_object_object_add(x, "datasets", datasets);
    }
    if (!rc)
        json_object_object_add(source, "experiments", json_object_get(experiments));
    json_object_put(experiments);
    if (!rc)
        rc = attach(cat, source, "metadata",
                    "SELECT collection, key, value, unit, accession FROM metadata "
                    "WHERE source_id = ? AND dataset_id IS NULL ORDER BY id",
                    "ttttt", source_id, err);
    if (!rc)
        rc = attach(cat, source, "jobs",
                    "SELECT id AS job_id, state, attempts, last_error, created_at, started_at, finished_at, host "
                    "FROM jobs WHERE source_path = (SELECT path FROM sources WHERE id = ?) ORDER BY id",
                    "ititdddt", source_id, err);
    if (!rc)
        rc = attach(cat, source, "versions",
                    "SELECT id AS source_id, version, fingerprint, ingested_at FROM sources "
                    "WHERE path = (SELECT path FROM sources WHERE id = ?) ORDER BY version",
                    "iitd", source_id, err);
    if (rc) {
        json_object_put(source);
        return rc;
    }
    *out = source;
    return 0;
}

int omsi_catalog_stats(omsi_catalog *cat, json_object **out, omsi_error *err)
{
    json_object *o = json_object_new_object();
    /* Sources carry their dataset count and output size: one pass. */
    int rc = attach(cat, o, "formats",
                    "SELECT format, COUNT(*) AS sources, SUM(n_datasets) AS datasets, SUM(size_bytes) AS bytes_in, "
                    "SUM(bytes_out) AS bytes_out FROM sources WHERE superseded_by IS NULL "
                    "GROUP BY format ORDER BY format",
                    "tiiii", 0, err);
    if (!rc)
        rc = attach(cat, o, "jobs", "SELECT state, COUNT(*) AS jobs FROM jobs GROUP BY state ORDER BY state", "ti", 0, err);
    json_object *totals = NULL;
    if (!rc)
        rc = rows_json(cat,
                    "SELECT COUNT(*) FILTER (WHERE superseded_by IS NULL) AS sources, "
                    "COUNT(*) FILTER (WHERE superseded_by IS NOT NULL) AS superseded, "
                    "COALESCE(SUM(n_datasets) FILTER (WHERE superseded_by IS NULL), 0) AS datasets, "
                    "COALESCE(SUM(size_bytes) FILTER (WHERE superseded_by IS NULL), 0) AS bytes_in, "
                    "COALESCE(SUM(bytes_out), 0) AS bytes_out FROM sources",
                    "iiiii", 0, &totals, err);
    /* One row: an object, not an array of one. */
    if (!rc)
        json_object_object_add(o, "totals", json_object_get(json_object_array_get_idx(totals, 0)));
    json_object_put(totals);
    if (rc) {
        json_object_put(o);
        return rc;
    }
    *out = o;
    return 0;
}
