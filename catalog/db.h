/* The SQL connection behind the catalog: one function table per backend
 * (SQLite: catalog/db_sqlite.c, PostgreSQL: catalog/db_pg.c), chosen by the
 * catalog target (a plain path is SQLite, a postgresql:// or postgres:// URI
 * is PostgreSQL), in the style of the reader registry. The catalog's code
 * (jobs, record, query, ...) talks only to this interface.
 *
 * SQL is written once for both where it can be: parameters are `?` on both
 * backends (the PostgreSQL driver numbers them $1, $2, ... itself), new rows
 * give their id by `RETURNING id`, upserts by `ON CONFLICT`. Where the
 * dialects differ (full-text search, schema version, locking), the caller
 * asks omsi_db_dialect().
 *
 * Every call that can fail takes an omsi_error and sets it to the backend's
 * message (the caller prefixes the catalog target and what it was doing).
 * A connection and its statements belong to one thread. */
#ifndef OMSI_DB_H
#define OMSI_DB_H

#include "base/omsi_error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum omsi_db_dialect {
    OMSI_DB_SQLITE = 0,
    OMSI_DB_POSTGRESQL = 1
} omsi_db_dialect;

/* What omsi_db_step returns besides an error (< 0). */
enum { OMSI_DB_DONE = 0, OMSI_DB_ROW = 1 };

typedef struct omsi_db omsi_db;
typedef struct omsi_db_stmt omsi_db_stmt;

typedef struct omsi_db_driver {
    const char *name;            /* "sqlite", "postgresql" */
    omsi_db_dialect dialect;
    /* true when target is this backend's (a URI scheme, or any path). */
    bool (*accepts)(const char *target);
    /* read_only: the catalog must exist; nothing is created or written. */
    int (*open)(const char *target, bool read_only, omsi_db **out, omsi_error *err);
    void (*close)(omsi_db *db);
    /* One or more statements without parameters or results. */
    int (*exec)(omsi_db *db, const char *sql, omsi_error *err);
    int (*prepare)(omsi_db *db, const char *sql, omsi_db_stmt **out, omsi_error *err);
    /* Parameters are 1-based. Text and blobs are copied. */
    int (*bind_int64)(omsi_db_stmt *st, int index, int64_t value, omsi_error *err);
    int (*bind_double)(omsi_db_stmt *st, int index, double value, omsi_error *err);
    int (*bind_text)(omsi_db_stmt *st, int index, const char *value, omsi_error *err); /* NULL binds NULL */
    int (*bind_blob)(omsi_db_stmt *st, int index, const void *data, size_t size, omsi_error *err);
    int (*bind_null)(omsi_db_stmt *st, int index, omsi_error *err);
    /* OMSI_DB_ROW, OMSI_DB_DONE, or < 0 with err set. */
    int (*step)(omsi_db_stmt *st, omsi_error *err);
    /* Back to before the first step; the bindings stay until rebound. */
    int (*reset)(omsi_db_stmt *st, omsi_error *err);
    void (*finalize)(omsi_db_stmt *st);
    /* Columns of the current row (0-based). Text and blobs stay valid until
     * the next step, reset or finalize; NULL reads as 0, 0.0 and NULL. */
    int (*column_count)(omsi_db_stmt *st);
    const char *(*column_name)(omsi_db_stmt *st, int column);
    bool (*column_is_null)(omsi_db_stmt *st, int column);
    int64_t (*column_int64)(omsi_db_stmt *st, int column);
    double (*column_double)(omsi_db_stmt *st, int column);
    const char *(*column_text)(omsi_db_stmt *st, int column);
    const void *(*column_blob)(omsi_db_stmt *st, int column, size_t *size);
    /* Rows inserted, changed or deleted by the last statement run to completion. */
    int64_t (*changes)(omsi_db *db);
    /* A write transaction that holds the write lock from its start
     * (SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN). */
    int (*begin_write)(omsi_db *db, omsi_error *err);
    int (*commit)(omsi_db *db, omsi_error *err);
    void (*rollback)(omsi_db *db);    /* never fails the caller; no-op outside a transaction */
    /* The schema version (0 for an empty catalog), read and set inside a
     * begin_write transaction; the migration numbering is shared. */
    int (*schema_version)(omsi_db *db, int *version, omsi_error *err);
    int (*set_schema_version)(omsi_db *db, int version, omsi_error *err);
    /* The migrations for this dialect, version i + 1 at index i. */
    const char *const *migrations;
    size_t migrations_count;
} omsi_db_driver;

/* Every connection and statement starts with its driver, so the calls below
 * dispatch without knowing the backend. */
struct omsi_db {
    const omsi_db_driver *driver;
};
struct omsi_db_stmt {
    const omsi_db_driver *driver;
};

/* The driver for target: PostgreSQL for a postgresql:// or postgres:// URI,
 * SQLite otherwise. Never NULL. */
const omsi_db_driver *omsi_db_driver_for(const char *target);
/* True when target names a PostgreSQL database. */
bool omsi_db_target_is_uri(const char *target);

extern const omsi_db_driver omsi_db_sqlite_driver;
extern const omsi_db_driver omsi_db_pg_driver;

static inline omsi_db_dialect omsi_db_dialect_of(const omsi_db *db) { return db->driver->dialect; }
static inline int omsi_db_exec(omsi_db *db, const char *sql, omsi_error *err)
{ return db->driver->exec(db, sql, err); }
static inline int omsi_db_prepare(omsi_db *db, const char *sql, omsi_db_stmt **out, omsi_error *err)
{ return db->driver->prepare(db, sql, out, err); }
static inline int omsi_db_bind_int64(omsi_db_stmt *st, int i, int64_t v, omsi_error *err)
{ return st->driver->bind_int64(st, i, v, err); }
static inline int omsi_db_bind_double(omsi_db_stmt *st, int i, double v, omsi_error *err)
{ return st->driver->bind_double(st, i, v, err); }
static inline int omsi_db_bind_text(omsi_db_stmt *st, int i, const char *v, omsi_error *err)
{ return st->driver->bind_text(st, i, v, err); }
static inline int omsi_db_bind_blob(omsi_db_stmt *st, int i, const void *p, size_t n, omsi_error *err)
{ return st->driver->bind_blob(st, i, p, n, err); }
static inline int omsi_db_bind_null(omsi_db_stmt *st, int i, omsi_error *err)
{ return st->driver->bind_null(st, i, err); }
static inline int omsi_db_step(omsi_db_stmt *st, omsi_error *err) { return st->driver->step(st, err); }
static inline int omsi_db_reset(omsi_db_stmt *st, omsi_error *err) { return st->driver->reset(st, err); }
static inline void omsi_db_finalize(omsi_db_stmt *st) { if (st) st->driver->finalize(st); }
static inline int omsi_db_column_count(omsi_db_stmt *st) { return st->driver->column_count(st); }
static inline const char *omsi_db_column_name(omsi_db_stmt *st, int c) { return st->driver->column_name(st, c); }
static inline bool omsi_db_column_is_null(omsi_db_stmt *st, int c) { return st->driver->column_is_null(st, c); }
static inline int64_t omsi_db_column_int64(omsi_db_stmt *st, int c) { return st->driver->column_int64(st, c); }
static inline double omsi_db_column_double(omsi_db_stmt *st, int c) { return st->driver->column_double(st, c); }
static inline const char *omsi_db_column_text(omsi_db_stmt *st, int c) { return st->driver->column_text(st, c); }
static inline const void *omsi_db_column_blob(omsi_db_stmt *st, int c, size_t *n)
{ return st->driver->column_blob(st, c, n); }
static inline int64_t omsi_db_changes(omsi_db *db) { return db->driver->changes(db); }
static inline int omsi_db_begin_write(omsi_db *db, omsi_error *err) { return db->driver->begin_write(db, err); }
static inline int omsi_db_commit(omsi_db *db, omsi_error *err) { return db->driver->commit(db, err); }
static inline void omsi_db_rollback(omsi_db *db) { db->driver->rollback(db); }
static inline void omsi_db_close(omsi_db *db) { if (db) db->driver->close(db); }

#endif
