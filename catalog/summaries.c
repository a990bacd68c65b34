/* Recording a dataset's summaries: its peaks (indexed by m/z for
 * `query --peak`), the TIC thumbnail and where the analysis lives. */
#include "catalog/catalog_internal.h"
#include "catalog/record.h"

int omsi_cat_record_summaries(omsi_catalog *cat, int64_t dataset_id, const omsi_converted_dataset *d,
                              omsi_error *err)
{
    if (!d->analysis_path[0])
        return 0;
    omsi_db_stmt *peak = NULL, *thumb = NULL, *update = NULL;
    int rc = omsi_cat_prepare(cat, "INSERT INTO peaks (dataset_id, mz, intensity, coverage) VALUES (?, ?, ?, ?)",
                              &peak, err);
    if (!rc)
        rc = omsi_cat_prepare(cat, "INSERT INTO thumbnails (dataset_id, width, height, png) VALUES (?, ?, ?, ?)",
                              &thumb, err);
    if (!rc)
        rc = omsi_cat_prepare(cat, "UPDATE datasets SET analysis_path = ?, n_peaks = ? WHERE id = ?", &update,
                              err);
    for (size_t i = 0; !rc && i < d->n_peaks; i++) {
        rc = omsi_cat_bind(cat, peak, 1, err, "iddd", dataset_id, d->peaks[i].mz, d->peaks[i].intensity,
                           d->peaks[i].coverage);
        if (!rc)
            rc = omsi_cat_step_done(cat, peak, "recording a peak", err);
    }
    if (!rc && d->thumbnail_png) {
        rc = omsi_cat_bind(cat, thumb, 1, err, "iii", dataset_id, (int64_t)d->thumbnail_width,
                           (int64_t)d->thumbnail_height);
        if (!rc && omsi_db_bind_blob(thumb, 4, d->thumbnail_png, d->thumbnail_bytes, err))
            rc = omsi_cat_fail(cat, err, "binding a value");
        if (!rc)
            rc = omsi_cat_step_done(cat, thumb, "recording a thumbnail", err);
    }
    if (!rc) {
        rc = omsi_cat_bind(cat, update, 1, err, "tii", d->analysis_path, (int64_t)d->n_peaks, dataset_id);
        if (!rc)
            rc = omsi_cat_step_done(cat, update, "recording the summaries", err);
    }
    omsi_db_finalize(peak);
    omsi_db_finalize(thumb);
    omsi_db_finalize(update);
    return rc;
}
