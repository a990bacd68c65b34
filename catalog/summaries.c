/* Recording a dataset's summaries: its peaks (indexed by m/z for
 * `query --peak`), the TIC thumbnail and where the analysis lives. */
#include "catalog/catalog_internal.h"
#include "catalog/record.h"

int omsi_cat_record_summaries(omsi_catalog *cat, int64_t dataset_id, const omsi_converted_dataset *d,
                              omsi_error *err)
{
    if (!d->analysis_path[0])
        return 0;
    sqlite3_stmt *peak = NULL, *thumb = NULL, *update = NULL;
    int rc = omsi_cat_prepare(cat, "INSERT INTO peaks (dataset_id, mz, intensity, coverage) VALUES (?1, ?2, ?3, ?4)",
                              &peak, err);
    if (!rc)
        rc = omsi_cat_prepare(cat, "INSERT INTO thumbnails (dataset_id, width, height, png) VALUES (?1, ?2, ?3, ?4)",
                              &thumb, err);
    if (!rc)
        rc = omsi_cat_prepare(cat, "UPDATE datasets SET analysis_path = ?2, n_peaks = ?3 WHERE id = ?1", &update,
                              err);
    for (size_t i = 0; !rc && i < d->n_peaks; i++) {
        sqlite3_bind_int64(peak, 1, dataset_id);
        sqlite3_bind_double(peak, 2, d->peaks[i].mz);
        sqlite3_bind_double(peak, 3, d->peaks[i].intensity);
        sqlite3_bind_double(peak, 4, d->peaks[i].coverage);
        if (sqlite3_step(peak) != SQLITE_DONE)
            rc = omsi_cat_fail(cat, err, "recording a peak");
        sqlite3_reset(peak);
    }
    if (!rc && d->thumbnail_png) {
        sqlite3_bind_int64(thumb, 1, dataset_id);
        sqlite3_bind_int64(thumb, 2, d->thumbnail_width);
        sqlite3_bind_int64(thumb, 3, d->thumbnail_height);
        sqlite3_bind_blob64(thumb, 4, d->thumbnail_png, d->thumbnail_bytes, SQLITE_STATIC);
        if (sqlite3_step(thumb) != SQLITE_DONE)
            rc = omsi_cat_fail(cat, err, "recording a thumbnail");
    }
    if (!rc) {
        sqlite3_bind_int64(update, 1, dataset_id);
        sqlite3_bind_text(update, 2, d->analysis_path, -1, SQLITE_STATIC);
        sqlite3_bind_int64(update, 3, (int64_t)d->n_peaks);
        if (sqlite3_step(update) != SQLITE_DONE)
            rc = omsi_cat_fail(cat, err, "recording the summaries");
    }
    sqlite3_finalize(peak);
    sqlite3_finalize(thumb);
    sqlite3_finalize(update);
    return rc;
}
