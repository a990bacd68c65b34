/* What only SQLite has: the connection handle behind an omsi_db, for tests
 * that install SQL functions (crash and concurrency probes). NULL when db
 * is not an SQLite connection. Callers need SQLite's own header for it. */
#ifndef OMSI_DB_SQLITE_H
#define OMSI_DB_SQLITE_H

#include "catalog/db.h"

struct sqlite3;
struct sqlite3 *omsi_db_sqlite_handle(omsi_db *db);

#endif
