/* Opening the catalog: pragmas, schema migrations, error helpers. */
#include "catalog/catalog_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OMSI_CATALOG_DEFAULT_PATH "/var/lib/omsi-catalog/catalog.sqlite"

const char *omsi_catalog_default_path(const char *explicit_path)
{
    if (explicit_path && *explicit_path)
        return explicit_path;
    const char *env = getenv("OMSI_CATALOG");
    return env && *env ? env : OMSI_CATALOG_DEFAULT_PATH;
}

double omsi_cat_wall_clock(void) { return omsi_cat_now(); }

double omsi_cat_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int omsi_cat_fail(omsi_catalog *cat, omsi_error *err, const char *what)
{
    int code = cat->db ? sqlite3_extended_errcode(cat->db) : SQLITE_ERROR;
    const char *msg = cat->db ? sqlite3_errmsg(cat->db) : "no connection";
    if ((code & 0xff) == SQLITE_NOTADB || (code & 0xff) == SQLITE_CORRUPT)
        return omsi_error_set(err, OMSI_ERR_DB, "%s: %s: %s (not an omsi-catalog SQLite file, or damaged)",
                              cat->path, what, msg);
    if ((code & 0xff) == SQLITE_READONLY)
        return omsi_error_set(err, OMSI_ERR_DB, "%s: %s: %s (check the file and folder permissions)",
                              cat->path, what, msg);
    return omsi_error_set(err, OMSI_ERR_DB, "%s: %s: %s", cat->path, what, msg);
}

int omsi_cat_exec(omsi_catalog *cat, const char *sql, omsi_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(cat->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    sqlite3_free(msg);
    return omsi_cat_fail(cat, err, "SQL");
}

int omsi_cat_prepare(omsi_catalog *cat, const char *sql, sqlite3_stmt **out, omsi_error *err)
{
    if (sqlite3_prepare_v2(cat->db, sql, -1, out, NULL) == SQLITE_OK)
        return 0;
    *out = NULL;
    return omsi_cat_fail(cat, err, "prepare");
}

static int user_version(omsi_catalog *cat, int *out, omsi_error *err)
{
    sqlite3_stmt *st;
    int rc = omsi_cat_prepare(cat, "PRAGMA user_version", &st, err);
    if (rc)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW)
        *out = sqlite3_column_int(st, 0);
    else
        rc = omsi_cat_fail(cat, err, "reading the schema version");
    sqlite3_finalize(st);
    return rc;
}

/* Applies each migration above the file's version in its own transaction.
 * BEGIN IMMEDIATE takes the write lock first and the version is read inside
 * it: two processes opening a new catalog at once must not both apply the
 * same migration (the second one would fail on "already exists"). */
static int migrate(omsi_catalog *cat, omsi_error *err)
{
    int latest = (int)omsi_catalog_migrations_count;
    for (;;) {
        int version = 0;
        int rc = cat->read_only ? 0 : omsi_cat_exec(cat, "BEGIN IMMEDIATE", err);
        if (rc)
            return rc;
        rc = user_version(cat, &version, err);
        if (!rc && version > latest)
            rc = omsi_error_set(err, OMSI_ERR_DB,
                                "%s: schema version %d is newer than this program knows (%d); upgrade omsi-catalog",
                                cat->path, version, latest);
        if (!rc && cat->read_only && version != latest)
            rc = omsi_error_set(err, OMSI_ERR_DB,
                                "%s: schema version %d, expected %d (open it read-write once to migrate)",
                                cat->path, version, latest);
        if (rc || cat->read_only || version == latest) {
            if (!cat->read_only)
                sqlite3_exec(cat->db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
            return rc;
        }
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", version + 1);
        rc = omsi_cat_exec(cat, omsi_catalog_migrations[version], err);
        if (!rc)
            rc = omsi_cat_exec(cat, pragma, err);
        if (!rc)
            rc = omsi_cat_exec(cat, "COMMIT", err);
        if (rc) {
            sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
            omsi_error_prefix(err, "migration %d", version + 1);
            return rc;
        }
    }
}

/* Switches the catalog to WAL. SQLite answers "database is locked" at once,
 * without the busy handler, while another connection holds the file (two
 * processes creating a new catalog at once): retry for up to the busy
 * timeout. A catalog already in WAL mode needs no change and no lock. */
static int set_wal(omsi_catalog *cat, omsi_error *err)
{
    for (int tries = 0;; tries++) {
        sqlite3_stmt *st;
        int rc = omsi_cat_prepare(cat, "PRAGMA journal_mode = WAL", &st, err);
        if (rc)
            return rc;
        int step = sqlite3_step(st);
        int code = sqlite3_errcode(cat->db) & 0xff;
        bool wal = step == SQLITE_ROW &&
                   sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
        sqlite3_finalize(st);
        if (wal)
            return 0;
        if (code != SQLITE_BUSY || tries >= 3000)
            return step == SQLITE_ROW
                       ? omsi_error_set(err, OMSI_ERR_DB, "%s: cannot switch to WAL mode", cat->path)
                       : omsi_cat_fail(cat, err, "switching to WAL mode");
        sqlite3_sleep(10);
    }
}

/* "file:" URI of a path, with the characters a URI gives meaning escaped. */
static char *file_uri(const char *path, const char *query)
{
    size_t n = strlen(path);
    char *uri = malloc(3 * n + strlen(query) + 16);
    if (!uri)
        return NULL;
    char *o = uri + sprintf(uri, "file:");
    for (const char *p = path; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '%' || c == '?' || c == '#' || c < 0x21 || c >= 0x7f)
            o += sprintf(o, "%%%02X", c);
        else
            *o++ = (char)c;
    }
    sprintf(o, "?%s", query);
    return uri;
}

/* Opens the connection and reads the header (the first statement does: a
 * non-database fails here). Read-only: "mode=ro" first; a WAL catalog in a
 * folder where the -shm file cannot be created (read-only mount, no write
 * permission) cannot be read that way, so then "immutable=1", which reads
 * the main file without any locking or shared memory (a process writing it
 * meanwhile would not be seen consistently; where the folder is read-only
 * to everyone, none can). */
static int connect(omsi_catalog *cat, const char *query, omsi_error *err)
{
    int flags = (cat->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                SQLITE_OPEN_NOMUTEX | (query ? SQLITE_OPEN_URI : 0);
    char *uri = query ? file_uri(cat->path, query) : NULL;
    if (query && !uri)
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    int rc = 0;
    if (sqlite3_open_v2(uri ? uri : cat->path, &cat->db, flags, NULL) != SQLITE_OK)
        rc = omsi_cat_fail(cat, err, cat->read_only ? "cannot open (does it exist?)" : "cannot open or create");
    free(uri);
    if (rc)
        return rc;
    sqlite3_extended_result_codes(cat->db, 1);
    sqlite3_busy_timeout(cat->db, 30000);
    return omsi_cat_exec(cat, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;"
                              "SELECT count(*) FROM sqlite_master;", err);
}

int omsi_catalog_open(const char *path, omsi_catalog_mode mode, omsi_catalog **out,
                      omsi_error *err)
{
    *out = NULL;
    omsi_catalog *cat = calloc(1, sizeof *cat);
    if (!cat || !(cat->path = strdup(path))) {
        free(cat);
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    }
    cat->read_only = mode == OMSI_CATALOG_READ_ONLY;
    int rc = connect(cat, cat->read_only ? "mode=ro" : NULL, err);
    if (rc && cat->read_only && cat->db &&
        (sqlite3_extended_errcode(cat->db) & 0xff) != SQLITE_NOTADB &&
        (sqlite3_extended_errcode(cat->db) & 0xff) != SQLITE_CORRUPT && access(path, R_OK) == 0) {
        sqlite3_close_v2(cat->db);
        cat->db = NULL;
        omsi_error again = {0};
        if (connect(cat, "immutable=1", &again) == 0)
            rc = 0; /* keep the first error when the fallback fails too */
    }
    if (rc)
        goto done;
    /* SQLite silently opens a write-protected file read-only: say so now,
     * not at the first ingest. */
    if (!rc && !cat->read_only && sqlite3_db_readonly(cat->db, "main") == 1)
        rc = omsi_error_set(err, OMSI_ERR_DB,
                            "%s: the catalog is read-only (check the file and folder permissions)",
                            cat->path);
    if (!rc && !cat->read_only)
        rc = set_wal(cat, err);
    if (!rc)
        rc = migrate(cat, err);
done:
    if (rc) {
        omsi_catalog_close(cat);
        return rc;
    }
    *out = cat;
    return 0;
}

void omsi_catalog_close(omsi_catalog *cat)
{
    if (!cat)
        return;
    if (cat->db && !cat->read_only)
        sqlite3_exec(cat->db, "PRAGMA optimize", NULL, NULL, NULL); /* keeps planner statistics fresh */
    if (cat->db)
        sqlite3_close_v2(cat->db);
    free(cat->path);
    free(cat);
}

const char *omsi_catalog_path(const omsi_catalog *cat)
{
    return cat->path;
}

bool omsi_catalog_is_read_only(const omsi_catalog *cat)
{
    return cat->read_only;
}

char *omsi_cat_column_dup(sqlite3_stmt *st, int column)
{
    const unsigned char *t = sqlite3_column_text(st, column);
    return strdup(t ? (const char *)t : "");
}
