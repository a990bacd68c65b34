/* Internals shared by the catalog's source files. */
#ifndef OMSI_CATALOG_INTERNAL_H
#define OMSI_CATALOG_INTERNAL_H

#include "catalog/catalog.h"
#include "catalog/db.h"

struct omsi_catalog {
    omsi_db *db;
    char *path;     /* the target as given: a path or a URI */
    char *name;     /* the target for messages (a URI without its password) */
    bool read_only;
};

/* Prefixes the backend's message in err with "<catalog>: what: ". */
int omsi_cat_fail(omsi_catalog *cat, omsi_error *err, const char *what);
/* Runs SQL without results. */
int omsi_cat_exec(omsi_catalog *cat, const char *sql, omsi_error *err);
/* Prepares sql; on failure sets err. */
int omsi_cat_prepare(omsi_catalog *cat, const char *sql, omsi_db_stmt **out, omsi_error *err);
/* Binds the parameters from `first` on, one per letter of types:
 * 'i' int64_t, 'd' double, 't' const char * (NULL binds NULL), 'n' NULL
 * (no argument). */
int omsi_cat_bind(omsi_catalog *cat, omsi_db_stmt *st, int first, omsi_error *err, const char *types, ...);
/* Runs a statement that returns no rows (or whose rows are not needed) and
 * resets it for the next bindings. */
int omsi_cat_step_done(omsi_catalog *cat, omsi_db_stmt *st, const char *what, omsi_error *err);
/* A write transaction (the write lock from its start), its end. */
int omsi_cat_begin(omsi_catalog *cat, omsi_error *err);
int omsi_cat_commit(omsi_catalog *cat, omsi_error *err);
void omsi_cat_rollback(omsi_catalog *cat);
/* A malloc'ed copy of a text column ("" for NULL); NULL only when out of memory. */
char *omsi_cat_column_dup(omsi_db_stmt *st, int column);
/* Like it, NULL for NULL. */
char *omsi_cat_column_dup_null(omsi_db_stmt *st, int column);
/* Wall-clock unix seconds. */
double omsi_cat_now(void);
/* The catalog's dialect. */
static inline omsi_db_dialect omsi_cat_dialect(const omsi_catalog *cat) { return omsi_db_dialect_of(cat->db); }

/* Text search (search_text.c). The document as PostgreSQL must see it
 * (split like fts5 splits it); a tsquery of free words, ANDed, a word
 * ending in '*' a prefix ("" when no word has a letter or digit); binds
 * the search row (source id, names, metadata) for the catalog's dialect. */
char *omsi_cat_search_document(const char *text);
char *omsi_cat_pg_tsquery(const char *words);
int omsi_cat_bind_search(omsi_catalog *cat, omsi_db_stmt *st, int64_t source_id, const char *names,
                         const char *metadata, omsi_error *err);

/* Peaks, thumbnail and analysis path of a recorded dataset (summaries.c). */
struct omsi_converted_dataset;
int omsi_cat_record_summaries(omsi_catalog *cat, int64_t dataset_id,
                              const struct omsi_converted_dataset *d, omsi_error *err);

#endif
