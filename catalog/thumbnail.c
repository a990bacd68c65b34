#include "catalog/thumbnail.h"
#include "catalog/catalog_internal.h"

#include <stdlib.h>
#include <string.h>

int omsi_catalog_thumbnail(omsi_catalog *cat, int64_t dataset_id, unsigned char **png, size_t *bytes,
                           omsi_error *err)
{
    *png = NULL;
    *bytes = 0;
    sqlite3_stmt *st;
    int rc = omsi_cat_prepare(cat, "SELECT png FROM thumbnails WHERE dataset_id = ?1", &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, dataset_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        int n = sqlite3_column_bytes(st, 0);
        const void *data = sqlite3_column_blob(st, 0);
        if (n <= 0 || !data || !(*png = malloc((size_t)n)))
            rc = omsi_error_set(err, OMSI_ERR_NOMEM, "%s: cannot read the thumbnail of dataset %lld", cat->path,
                                (long long)dataset_id);
        else {
            memcpy(*png, data, (size_t)n);
            *bytes = (size_t)n;
        }
    } else if (step == SQLITE_DONE) {
        rc = omsi_error_set(err, OMSI_ERR_USAGE,
                            "%s: dataset %lld has no thumbnail (converted without summaries, or by an "
                            "older version: ingest it again)",
                            cat->path, (long long)dataset_id);
    } else {
        rc = omsi_cat_fail(cat, err, "reading a thumbnail");
    }
    sqlite3_finalize(st);
    return rc;
}
