/* Internals shared by the catalog's source files. */
#ifndef OMSI_CATALOG_INTERNAL_H
#define OMSI_CATALOG_INTERNAL_H

#include "catalog/catalog.h"

#include <sqlite3.h>

struct omsi_catalog {
    sqlite3 *db;
    char *path;
    bool read_only;
};

/* Sets err from the connection's last error: "<catalog path>: what: message". */
int omsi_cat_fail(omsi_catalog *cat, omsi_error *err, const char *what);
/* Runs SQL without results. */
int omsi_cat_exec(omsi_catalog *cat, const char *sql, omsi_error *err);
/* Prepares sql; on failure sets err. */
int omsi_cat_prepare(omsi_catalog *cat, const char *sql, sqlite3_stmt **out, omsi_error *err);
/* A malloc'ed copy of a text column ("" for NULL); NULL only when out of memory. */
char *omsi_cat_column_dup(sqlite3_stmt *st, int column);
/* Wall-clock unix seconds. */
double omsi_cat_now(void);

/* Peaks, thumbnail and analysis path of a recorded dataset (summaries.c). */
struct omsi_converted_dataset;
int omsi_cat_record_summaries(omsi_catalog *cat, int64_t dataset_id,
                              const struct omsi_converted_dataset *d, omsi_error *err);

/* The migrations compiled in from sql/ (catalog/migrations.c, generated). */
extern const char *const omsi_catalog_migrations[];
extern const size_t omsi_catalog_migrations_count;

#endif
