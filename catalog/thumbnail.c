#include "catalog/thumbnail.h"
#include "catalog/catalog_internal.h"

#include <stdlib.h>
#include <string.h>

int omsi_catalog_thumbnail(omsi_catalog *cat, int64_t dataset_id, unsigned char **png, size_t *bytes,
                           omsi_error *err)
{
    *png = NULL;
    *bytes = 0;
    omsi_db_stmt *st;
    int rc = omsi_cat_prepare(cat, "SELECT png FROM thumbnails WHERE dataset_id = ?", &st, err);
    if (rc)
        return rc;
    rc = omsi_cat_bind(cat, st, 1, err, "i", dataset_id);
    int step = rc ? OMSI_DB_DONE : omsi_db_step(st, err);
    if (rc) {
        ;
    } else if (step == OMSI_DB_ROW) {
        size_t n = 0;
        const void *data = omsi_db_column_blob(st, 0, &n);
        if (n == 0 || !data || !(*png = malloc(n)))
            rc = omsi_error_set(err, OMSI_ERR_NOMEM, "%s: cannot read the thumbnail of dataset %lld", cat->name,
                                (long long)dataset_id);
        else {
            memcpy(*png, data, n);
            *bytes = n;
        }
    } else if (step == OMSI_DB_DONE) {
        rc = omsi_error_set(err, OMSI_ERR_USAGE,
                            "%s: dataset %lld has no thumbnail (converted without summaries, or by an "
                            "older version: ingest it again)",
                            cat->name, (long long)dataset_id);
    } else {
        rc = omsi_cat_fail(cat, err, "reading a thumbnail");
    }
    omsi_db_finalize(st);
    return rc;
}
